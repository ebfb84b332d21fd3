/* Per-request arena: every string a request parses lives here and is released
 * at once by arena_reset() when the request ends. Chunks are kept between
 * requests so a steady worker stops calling malloc for request data. */
#ifndef INTUKA_CORE_ARENA_H
#define INTUKA_CORE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *first_chunk;
	struct arena_chunk *current_chunk;
	size_t default_chunk_bytes;
};

void arena_init(struct arena *arena, size_t default_chunk_bytes);
void *arena_alloc(struct arena *arena, size_t size_bytes);
char *arena_strndup(struct arena *arena, const char *text, size_t length);
char *arena_strdup(struct arena *arena, const char *text);
/* Forget every allocation; keeps the first chunk, frees oversized extra ones. */
void arena_reset(struct arena *arena);
void arena_destroy(struct arena *arena);

#endif

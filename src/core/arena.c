/* Bump allocator with a chunk list, owned by one request at a time. */
#include "core/arena.h"
#include "core/alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t capacity_bytes;
	size_t used_bytes;
	alignas(max_align_t) unsigned char data[];
};

static struct arena_chunk *arena_chunk_new(size_t capacity_bytes)
{
	struct arena_chunk *chunk = xmalloc(sizeof(*chunk) + capacity_bytes);
	chunk->next = NULL;
	chunk->capacity_bytes = capacity_bytes;
	chunk->used_bytes = 0;
	return chunk;
}

void arena_init(struct arena *arena, size_t default_chunk_bytes)
{
	arena->default_chunk_bytes = default_chunk_bytes ? default_chunk_bytes : 16384;
	arena->first_chunk = arena_chunk_new(arena->default_chunk_bytes);
	arena->current_chunk = arena->first_chunk;
}

void *arena_alloc(struct arena *arena, size_t size_bytes)
{
	const size_t align = alignof(max_align_t);
	size_t rounded = (size_bytes + align - 1) & ~(align - 1);
	if (rounded < size_bytes)
		rounded = SIZE_MAX; /* overflow: force the oversized path, xmalloc aborts */
	struct arena_chunk *chunk = arena->current_chunk;
	if (chunk->capacity_bytes - chunk->used_bytes < rounded) {
		/* Reuse the next kept chunk when it fits, else append a new one. */
		if (chunk->next != NULL && chunk->next->capacity_bytes >= rounded) {
			chunk = chunk->next;
			chunk->used_bytes = 0;
		} else {
			size_t capacity = rounded > arena->default_chunk_bytes ? rounded : arena->default_chunk_bytes;
			struct arena_chunk *fresh = arena_chunk_new(capacity);
			fresh->next = chunk->next;
			chunk->next = fresh;
			chunk = fresh;
		}
		arena->current_chunk = chunk;
	}
	void *block = chunk->data + chunk->used_bytes;
	chunk->used_bytes += rounded;
	return block;
}

char *arena_strndup(struct arena *arena, const char *text, size_t length)
{
	char *copy = arena_alloc(arena, length + 1);
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}

char *arena_strdup(struct arena *arena, const char *text)
{
	return arena_strndup(arena, text, strlen(text));
}

void arena_reset(struct arena *arena)
{
	/* Keep at most one extra default-sized chunk so a burst of large bodies
	 * does not pin memory for the worker's whole life. */
	struct arena_chunk *keep = arena->first_chunk;
	struct arena_chunk *chunk = keep->next;
	keep->next = NULL;
	while (chunk != NULL) {
		struct arena_chunk *next = chunk->next;
		if (keep->next == NULL && chunk->capacity_bytes == arena->default_chunk_bytes) {
			chunk->next = NULL;
			keep->next = chunk;
		} else {
			free(chunk);
		}
		chunk = next;
	}
	arena->first_chunk->used_bytes = 0;
	if (arena->first_chunk->next != NULL)
		arena->first_chunk->next->used_bytes = 0;
	arena->current_chunk = arena->first_chunk;
}

void arena_destroy(struct arena *arena)
{
	struct arena_chunk *chunk = arena->first_chunk;
	while (chunk != NULL) {
		struct arena_chunk *next = chunk->next;
		free(chunk);
		chunk = next;
	}
	arena->first_chunk = NULL;
	arena->current_chunk = NULL;
}

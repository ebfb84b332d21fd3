/* Allocation wrappers that never return NULL. */
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void alloc_fail(size_t size_bytes)
{
	/* Nothing sensible can continue without memory; the master respawns us. */
	fprintf(stderr, "{\"level\":\"error\",\"msg\":\"out of memory allocating %zu bytes\"}\n", size_bytes);
	abort();
}

void *xmalloc(size_t size_bytes)
{
	void *block = malloc(size_bytes ? size_bytes : 1);
	if (block == NULL)
		alloc_fail(size_bytes);
	return block;
}

void *xcalloc(size_t count, size_t size_bytes)
{
	void *block = calloc(count ? count : 1, size_bytes ? size_bytes : 1);
	if (block == NULL)
		alloc_fail(count * size_bytes);
	return block;
}

void *xrealloc(void *old, size_t size_bytes)
{
	void *block = realloc(old, size_bytes ? size_bytes : 1);
	if (block == NULL)
		alloc_fail(size_bytes);
	return block;
}

char *xstrdup(const char *text)
{
	return xstrndup(text, strlen(text));
}

char *xstrndup(const char *text, size_t length)
{
	char *copy = xmalloc(length + 1);
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}

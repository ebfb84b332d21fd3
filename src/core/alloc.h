/* Allocation wrappers: one policy for out-of-memory (log and abort), so the
 * rest of the code spends its error handling on I/O and database failures. */
#ifndef INTUKA_CORE_ALLOC_H
#define INTUKA_CORE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size_bytes);
void *xcalloc(size_t count, size_t size_bytes);
void *xrealloc(void *old, size_t size_bytes);
char *xstrdup(const char *text);
char *xstrndup(const char *text, size_t length);

#endif

/* Pure helpers of the list parameters every platform list shares: the LIKE
 * pattern behind q, and the selection fields= makes among a list's names. */
#ifndef INTUKA_HTTP_LIST_PARAMS_H
#define INTUKA_HTTP_LIST_PARAMS_H

#include <stddef.h>
#include <stdint.h>

/* Escape character of list_like_prefix, for "LIKE ? ESCAPE '!'". */
#define LIST_LIKE_ESCAPE '!'

/* q as a prefix pattern: ! % and _ each preceded by !, then one %, so the
 * client's text matches itself and nothing wider. 0, or -1 when out (at
 * least 2 * strlen(q) + 2 bytes) is too small. */
int list_like_prefix(const char *q, char *out, size_t out_size);

/* The selection fields= makes: bit k set for names[k] (NULL-terminated, at
 * most 64 names). 0, or -1 with the first name not in names copied to
 * unknown (truncated to unknown_size). An empty item is unknown too. */
int list_select(const char *text, const char *const *names, uint64_t *mask, char *unknown, size_t unknown_size);

#endif

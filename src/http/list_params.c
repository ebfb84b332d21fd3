/* q's LIKE pattern and fields= selections. */
#include "http/list_params.h"

#include <stdio.h>
#include <string.h>

int list_like_prefix(const char *q, char *out, size_t out_size)
{
	size_t used = 0;
	for (const char *p = q; *p != '\0'; p++) {
		int escaped = *p == '%' || *p == '_' || *p == LIST_LIKE_ESCAPE;
		if (used + (size_t)escaped + 1 + 2 > out_size)
			return -1;
		if (escaped)
			out[used++] = LIST_LIKE_ESCAPE;
		out[used++] = *p;
	}
	if (used + 2 > out_size)
		return -1;
	out[used++] = '%';
	out[used] = '\0';
	return 0;
}

int list_select(const char *text, const char *const *names, uint64_t *mask, char *unknown, size_t unknown_size)
{
	*mask = 0;
	for (const char *item = text;;) {
		const char *end = strchr(item, ',');
		size_t length = end ? (size_t)(end - item) : strlen(item);
		int found = -1;
		for (int k = 0; names[k] != NULL && k < 64; k++)
			if (strlen(names[k]) == length && strncmp(names[k], item, length) == 0) {
				found = k;
				break;
			}
		if (found < 0) {
			snprintf(unknown, unknown_size, "%.*s", (int)length, item);
			return -1;
		}
		*mask |= UINT64_C(1) << found;
		if (end == NULL)
			return 0;
		item = end + 1;
	}
}

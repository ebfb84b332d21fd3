/* Workspaces of the find API: a tenant's content is partitioned by a short
 * name (lowercase letters, digits, hyphens). Pure functions, no I/O. */
#ifndef INTUKA_FIND_WORKSPACE_H
#define INTUKA_FIND_WORKSPACE_H

#include <stddef.h>

#define WORKSPACE_MAX 63

/* X-Workspace-ID as sent -> normalized name in out (dots become hyphens).
 * Returns 0, or -1 when the value is empty, too long or has other characters. */
int workspace_normalize(const char *header_value, char *out, size_t out_size);
/* Origin ("https://Shop.Example.com:8443") -> "shop-example-com". Returns 0 or -1
 * when the origin is not scheme://host[:port] with an http(s) scheme. */
int workspace_from_origin(const char *origin, char *out, size_t out_size);

#endif

/* Role-based access: the catalogue of permissions ("module.action"), the
 * four built-in roles, and the check a route's permission goes through.
 * A profile's permissions are stored as one sorted, space-separated list. */
#ifndef INTUKA_AUTH_RBAC_H
#define INTUKA_AUTH_RBAC_H

#include <stddef.h>

#define RBAC_PERMISSIONS_TEXT_MAX 2000

enum rbac_builtin_role {
	RBAC_ROLE_TENANT_ADMIN,
	RBAC_ROLE_MANAGER,
	RBAC_ROLE_USER,
	RBAC_ROLE_VIEWER,
	RBAC_ROLE__MAX
};

struct rbac_role_definition {
	const char *key;         /* stored in profiles.builtin_role: "tenant_admin" */
	const char *name;        /* "Tenant Admin" */
	const char *description;
	const char *permissions; /* normalized list */
};

const struct rbac_role_definition *rbac_builtin_role(enum rbac_builtin_role role);
/* Role by key ("viewer"); NULL when unknown. */
const struct rbac_role_definition *rbac_builtin_role_by_key(const char *key);

/* 1 when permission is in the catalogue. */
int rbac_permission_is_known(const char *permission);
const char *const *rbac_catalogue(size_t *count);

/* 1 when list (normalized, space-separated) grants permission. */
int rbac_list_grants(const char *list, const char *permission);

/* The permissions of wanted (a list) that holder (a list) does not grant,
 * space-separated into out; returns how many. 0 means wanted is a subset of
 * holder: a user may hand on only what they hold themselves. */
size_t rbac_list_missing(const char *holder, const char *wanted, char *out, size_t out_size);

/* Build a normalized list from items; -1 with the offending item in
 * *unknown when one is not in the catalogue. Duplicates collapse. */
int rbac_normalize(const char *const *items, size_t item_count, char *out, size_t out_size, const char **unknown);

#endif

/* Permission catalogue, built-in roles and permission checks. */
#include "auth/rbac.h"

#include <stdlib.h>
#include <string.h>

/* Sorted: normalized lists are built in this order. */
static const char *const rbac_permissions[] = {
	"audit.view",
	"finance.approve",
	"finance.create",
	"finance.delete",
	"finance.edit",
	"finance.view",
	"find.manage",
	"find.provision",
	"find.view",
	"hr.manage",
	"hr.view",
	"profiles.manage",
	"sales.create",
	"sales.delete",
	"sales.edit",
	"sales.view",
	"users.manage",
};
#define RBAC_PERMISSION_COUNT (sizeof(rbac_permissions) / sizeof(rbac_permissions[0]))

static const struct rbac_role_definition rbac_roles[RBAC_ROLE__MAX] = {
	[RBAC_ROLE_TENANT_ADMIN] = {.key = "tenant_admin", .name = "Tenant Admin",
		.description = "Full access to all modules and settings",
		.permissions = "audit.view finance.approve finance.create finance.delete finance.edit finance.view "
			       "find.manage find.provision find.view hr.manage hr.view profiles.manage sales.create "
			       "sales.delete sales.edit sales.view users.manage"},
	[RBAC_ROLE_MANAGER] = {.key = "manager", .name = "Manager",
		.description = "Module management with approval capabilities",
		.permissions = "finance.approve finance.create finance.delete finance.edit finance.view find.manage "
			       "find.view hr.manage hr.view sales.create sales.delete sales.edit sales.view"},
	[RBAC_ROLE_USER] = {.key = "user", .name = "User",
		.description = "Standard access: view, create and edit in the business modules",
		.permissions = "finance.create finance.edit finance.view find.view hr.view sales.create sales.edit "
			       "sales.view"},
	[RBAC_ROLE_VIEWER] = {.key = "viewer", .name = "Viewer", .description = "Read-only access to the business modules",
		.permissions = "finance.view find.view hr.view sales.view"},
};

const struct rbac_role_definition *rbac_builtin_role(enum rbac_builtin_role role)
{
	return (unsigned)role < RBAC_ROLE__MAX ? &rbac_roles[role] : NULL;
}

const struct rbac_role_definition *rbac_builtin_role_by_key(const char *key)
{
	for (int i = 0; i < RBAC_ROLE__MAX; i++)
		if (strcmp(rbac_roles[i].key, key) == 0)
			return &rbac_roles[i];
	return NULL;
}

const char *const *rbac_catalogue(size_t *count)
{
	*count = RBAC_PERMISSION_COUNT;
	return rbac_permissions;
}

static int rbac_index(const char *permission)
{
	for (size_t i = 0; i < RBAC_PERMISSION_COUNT; i++)
		if (strcmp(rbac_permissions[i], permission) == 0)
			return (int)i;
	return -1;
}

int rbac_permission_is_known(const char *permission)
{
	return rbac_index(permission) >= 0;
}

int rbac_list_grants(const char *list, const char *permission)
{
	size_t wanted = strlen(permission);
	if (list == NULL || wanted == 0)
		return 0;
	for (const char *cursor = list; *cursor != '\0';) {
		const char *end = strchr(cursor, ' ');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
		if (length == wanted && memcmp(cursor, permission, length) == 0)
			return 1;
		if (end == NULL)
			break;
		cursor = end + 1;
	}
	return 0;
}

size_t rbac_list_missing(const char *holder, const char *wanted, char *out, size_t out_size)
{
	size_t missing = 0, used = 0;
	if (out_size > 0)
		out[0] = '\0';
	for (const char *cursor = wanted ? wanted : ""; *cursor != '\0';) {
		while (*cursor == ' ')
			cursor++;
		size_t length = strcspn(cursor, " ");
		if (length == 0)
			break;
		char permission[64];
		/* A word longer than any permission cannot be granted either. */
		int fits = length < sizeof(permission);
		if (fits) {
			memcpy(permission, cursor, length);
			permission[length] = '\0';
		}
		if (!fits || !rbac_list_grants(holder, permission)) {
			missing++;
			if (used + length + 2 <= out_size) {
				if (used > 0)
					out[used++] = ' ';
				memcpy(out + used, cursor, length);
				used += length;
				out[used] = '\0';
			}
		}
		cursor += length;
	}
	return missing;
}

int rbac_normalize(const char *const *items, size_t item_count, char *out, size_t out_size, const char **unknown)
{
	int chosen[RBAC_PERMISSION_COUNT] = {0};
	*unknown = NULL;
	for (size_t i = 0; i < item_count; i++) {
		int index = rbac_index(items[i]);
		if (index < 0) {
			*unknown = items[i];
			return -1;
		}
		chosen[index] = 1;
	}
	size_t used = 0;
	if (out_size == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < RBAC_PERMISSION_COUNT; i++) {
		if (!chosen[i])
			continue;
		size_t length = strlen(rbac_permissions[i]);
		if (used + length + 2 > out_size)
			return -1;
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, rbac_permissions[i], length + 1);
		used += length;
	}
	return 0;
}

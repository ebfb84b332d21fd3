/* Who a find request speaks for: an API key found by its hash (with its
 * tenant and the tenant's plan, in one query), or, for a JWT, the tenant's
 * plan alone. */
#ifndef INTUKA_FIND_FIND_PRINCIPAL_H
#define INTUKA_FIND_FIND_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct auth_context;
struct db;
struct db_statement_def;
struct find_plan;

enum find_principal_outcome {
	FIND_PRINCIPAL_OK,
	FIND_PRINCIPAL_UNKNOWN, /* no such key, revoked, or its tenant is suspended */
	FIND_PRINCIPAL_EXPIRED,
	FIND_PRINCIPAL_DB_UNAVAILABLE,
	FIND_PRINCIPAL_DB_ERROR,
};

/* Permissions a key holds when it names no scopes. */
#define FIND_SECRET_KEY_PERMISSIONS "find.manage find.provision find.view"
#define FIND_PUBLISHABLE_KEY_PERMISSIONS "find.view"

/* Verify an "if_sk_"/"if_pk_" key and fill auth (tenant, key id, kind,
 * permissions, allowed origins) and plan. default_plan names the catalogue
 * plan of tenants without a plan row. */
enum find_principal_outcome find_principal_from_key(struct db *db, const char *key, int64_t now_s,
	const char *default_plan, struct arena *arena, struct auth_context *auth, struct find_plan *plan);
/* The plan of an already authenticated tenant (JWT requests). */
enum find_principal_outcome find_principal_plan(struct db *db, uint64_t tenant_id, const char *default_plan,
	struct find_plan *plan);
const struct db_statement_def *find_principal_statement_table(size_t *count);

#endif

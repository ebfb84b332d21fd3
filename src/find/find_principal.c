/* Key lookup, plan rows and the cheap last-used stamp. */
#include "find/find_principal.h"
#include "core/arena.h"
#include "db/db.h"
#include "find/api_key.h"
#include "find/plan.h"
#include "http/request.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* last_used_at is written at most once a minute per key, so a busy key
 * costs one extra write a minute, not one per request. */
#define FIND_KEY_LAST_USED_STEP_S 60

#define FIND_PLAN_COLUMNS                                                                                         \
	"p.plan_code, p.subscription_status, IFNULL(UNIX_TIMESTAMP(p.trial_ends_at), 0), "                          \
	"p.search_queries_per_month, p.chat_messages_per_month, p.recommendations_per_month, p.max_products, "      \
	"p.max_posts, p.max_prompts, p.max_taxonomies, p.max_webhooks, p.rate_per_minute, p.rate_per_hour"
#define FIND_PLAN_COLUMN_COUNT 13

enum find_principal_statement { FIND_STMT_KEY_LOOKUP, FIND_STMT_KEY_TOUCH, FIND_STMT_PLAN, FIND_STMT__MAX };

static const struct db_statement_def find_principal_statements[FIND_STMT__MAX] = {
	/* Global by design: the key's hash is all a request brings, and the
	 * tenant is the answer. */
	[FIND_STMT_KEY_LOOKUP] = {"find.key_lookup",
		"SELECT k.tenant_id, t.slug, k.key_id, k.key_hash, k.key_type, k.scopes, k.allowed_origins, "
		"IFNULL(UNIX_TIMESTAMP(k.expires_at), 0), k.revoked_at IS NOT NULL, "
		"IFNULL(UNIX_TIMESTAMP(k.last_used_at), 0), " FIND_PLAN_COLUMNS " "
		"FROM find_api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id AND t.status = 'active' "
		"LEFT JOIN find_tenant_plans p ON p.tenant_id = k.tenant_id WHERE k.key_hash = ?",
		0},
	[FIND_STMT_KEY_TOUCH] = {"find.key_touch",
		"UPDATE find_api_keys SET last_used_at = FROM_UNIXTIME(?) WHERE tenant_id = ? AND key_id = ?", 1},
	[FIND_STMT_PLAN] = {"find.plan",
		"SELECT " FIND_PLAN_COLUMNS " FROM find_tenant_plans p WHERE p.tenant_id = ?", 1},
};

const struct db_statement_def *find_principal_statement_table(size_t *count)
{
	*count = FIND_STMT__MAX;
	return find_principal_statements;
}

static uint32_t find_principal_u32(const char *text)
{
	unsigned long value = text ? strtoul(text, NULL, 10) : 0;
	return value > UINT32_MAX ? UINT32_MAX : (uint32_t)value;
}

/* Fill plan from 13 plan columns starting at values[0]; the default plan
 * when the tenant has no row (plan_code NULL). */
static void find_principal_read_plan(const char *const *values, const char *default_plan, struct find_plan *plan)
{
	if (values[0] == NULL) {
		const struct find_plan *builtin = find_plan_builtin(default_plan);
		*plan = builtin ? *builtin : *find_plan_builtin("free");
		return;
	}
	memset(plan, 0, sizeof(*plan));
	snprintf(plan->code, sizeof(plan->code), "%s", values[0]);
	plan->subscription_active = values[1] && strcmp(values[1], "active") == 0;
	plan->trial_ends_at_s = values[2] ? strtoll(values[2], NULL, 10) : 0;
	uint32_t *fields[] = {&plan->search_per_month, &plan->chat_per_month, &plan->recommendations_per_month,
		&plan->max_products, &plan->max_posts, &plan->max_prompts, &plan->max_taxonomies, &plan->max_webhooks,
		&plan->rate_per_minute, &plan->rate_per_hour};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		*fields[i] = find_principal_u32(values[3 + i]);
}

struct find_key_row {
	int found;
	uint64_t tenant_id;
	char tenant_slug[64];
	uint64_t key_id;
	unsigned char key_hash[API_KEY_HASH_BYTES];
	enum api_key_type type;
	char scopes[512];
	char allowed_origins[2048];
	int64_t expires_at_s;
	int revoked;
	int64_t last_used_s;
	const char *default_plan;
	struct find_plan *plan;
};

static int find_principal_read_key(void *callback_context, const struct db_row *row)
{
	struct find_key_row *key = callback_context;
	if (row->column_count != 10 + FIND_PLAN_COLUMN_COUNT || row->lengths[3] != API_KEY_HASH_BYTES)
		return 1;
	for (size_t i = 0; i < 10; i++)
		if (row->values[i] == NULL)
			return 1;
	key->found = 1;
	key->tenant_id = strtoull(row->values[0], NULL, 10);
	snprintf(key->tenant_slug, sizeof(key->tenant_slug), "%s", row->values[1]);
	key->key_id = strtoull(row->values[2], NULL, 10);
	memcpy(key->key_hash, row->values[3], API_KEY_HASH_BYTES);
	key->type = api_key_type_parse(row->values[4]);
	snprintf(key->scopes, sizeof(key->scopes), "%s", row->values[5]);
	snprintf(key->allowed_origins, sizeof(key->allowed_origins), "%s", row->values[6]);
	key->expires_at_s = strtoll(row->values[7], NULL, 10);
	key->revoked = row->values[8][0] == '1';
	key->last_used_s = strtoll(row->values[9], NULL, 10);
	find_principal_read_plan(row->values + 10, key->default_plan, key->plan);
	return 0;
}

static enum find_principal_outcome find_principal_db_outcome(enum db_result result)
{
	return result == DB_UNAVAILABLE ? FIND_PRINCIPAL_DB_UNAVAILABLE : FIND_PRINCIPAL_DB_ERROR;
}

enum find_principal_outcome find_principal_from_key(struct db *db, const char *key, int64_t now_s,
	const char *default_plan, struct arena *arena, struct auth_context *auth, struct find_plan *plan)
{
	if (!api_key_well_formed(key))
		return FIND_PRINCIPAL_UNKNOWN;
	unsigned char presented_hash[API_KEY_HASH_BYTES];
	api_key_hash(key, presented_hash);
	struct find_key_row row = {.default_plan = default_plan, .plan = plan};
	struct db_param params[] = {DB_BLOB(presented_hash, sizeof(presented_hash))};
	enum db_result result =
		db_query(db, &find_principal_statements[FIND_STMT_KEY_LOOKUP], params, 1, find_principal_read_key, &row);
	if (result != DB_OK)
		return find_principal_db_outcome(result);
	/* The index found the row by hash; the comparison that decides is the
	 * constant-time one, and the type must match the key's own prefix. */
	if (!row.found || row.revoked || CRYPTO_memcmp(row.key_hash, presented_hash, API_KEY_HASH_BYTES) != 0 ||
		row.type != api_key_type_of(key))
		return FIND_PRINCIPAL_UNKNOWN;
	if (row.expires_at_s != 0 && now_s >= row.expires_at_s)
		return FIND_PRINCIPAL_EXPIRED;

	auth->tenant_id = row.tenant_id;
	auth->tenant_slug = arena_strdup(arena, row.tenant_slug);
	auth->api_key_id = row.key_id;
	auth->kind = row.type == API_KEY_PUBLISHABLE ? AUTH_PUBLISHABLE_KEY : AUTH_SECRET_KEY;
	if (row.type == API_KEY_PUBLISHABLE)
		auth->permissions = FIND_PUBLISHABLE_KEY_PERMISSIONS;
	else
		auth->permissions = row.scopes[0] ? arena_strdup(arena, row.scopes) : FIND_SECRET_KEY_PERMISSIONS;
	auth->key_allowed_origins = arena_strdup(arena, row.allowed_origins);
	if (auth->tenant_slug == NULL || auth->permissions == NULL || auth->key_allowed_origins == NULL)
		return FIND_PRINCIPAL_DB_ERROR;

	if (now_s - row.last_used_s >= FIND_KEY_LAST_USED_STEP_S) {
		struct db_param touch[] = {DB_INT(now_s), DB_UINT(row.tenant_id), DB_UINT(row.key_id)};
		/* A missed stamp is not worth refusing the request for. */
		(void)db_exec(db, &find_principal_statements[FIND_STMT_KEY_TOUCH], touch, 3, NULL, NULL);
	}
	return FIND_PRINCIPAL_OK;
}

struct find_plan_row {
	int found;
	const char *default_plan;
	struct find_plan *plan;
};

static int find_principal_read_plan_row(void *callback_context, const struct db_row *row)
{
	struct find_plan_row *plan_row = callback_context;
	if (row->column_count != FIND_PLAN_COLUMN_COUNT)
		return 1;
	plan_row->found = 1;
	find_principal_read_plan(row->values, plan_row->default_plan, plan_row->plan);
	return 0;
}

enum find_principal_outcome find_principal_plan(struct db *db, uint64_t tenant_id, const char *default_plan,
	struct find_plan *plan)
{
	struct find_plan_row plan_row = {.default_plan = default_plan, .plan = plan};
	struct db_param params[] = {DB_UINT(tenant_id)};
	enum db_result result =
		db_query(db, &find_principal_statements[FIND_STMT_PLAN], params, 1, find_principal_read_plan_row, &plan_row);
	if (result != DB_OK)
		return find_principal_db_outcome(result);
	if (!plan_row.found) {
		const char *none[FIND_PLAN_COLUMN_COUNT] = {NULL};
		find_principal_read_plan(none, default_plan, plan);
	}
	return FIND_PRINCIPAL_OK;
}

/* Key lookup by hash and the cheap last-used stamp. */
#include "auth/key_principal.h"
#include "auth/api_key.h"
#include "auth/principal_confirm.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* last_used_at is written at most once a minute per key, so a busy key
 * costs one extra write a minute, not one per request. */
#define KEY_LAST_USED_STEP_S 60

/* Keys a worker keeps (direct-mapped by hash: a collision only costs a lookup). */
#define KEY_CACHE_SLOTS 64

enum key_principal_statement { KEY_STMT_LOOKUP, KEY_STMT_TOUCH, KEY_STMT_CONFIRM, KEY_STMT__MAX };

static const struct db_statement_def key_principal_statements[KEY_STMT__MAX] = {
	/* Global by design: the key's hash is all a request brings, and the
	 * tenant is the answer. */
	[KEY_STMT_LOOKUP] = {.name = "auth.key_lookup",
		.sql = "SELECT k.tenant_id, t.slug, k.key_id, k.key_hash, k.key_type, k.scopes, k.allowed_origins, "
		"IFNULL(UNIX_TIMESTAMP(k.expires_at), 0), k.revoked_at IS NOT NULL, "
		"IFNULL(UNIX_TIMESTAMP(k.last_used_at), 0), t.status = 'active', "
		"IFNULL((SELECT FLOOR(UNIX_TIMESTAMP(p.updated_at) * 1000) FROM find_tenant_plans p "
		"WHERE p.tenant_id = k.tenant_id), -1), "
		"IFNULL((SELECT FLOOR(UNIX_TIMESTAMP(l.updated_at) * 1000) FROM find_llm_providers l "
		"WHERE l.tenant_id = k.tenant_id), -1), " KEY_PRINCIPAL_FINGERPRINT " "
		"FROM find_api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id "
		"WHERE k.key_hash = ?",
		.tenant_bound = 0},
	[KEY_STMT_TOUCH] = {.name = "auth.key_touch",
		.sql = "UPDATE find_api_keys SET last_used_at = FROM_UNIXTIME(?) WHERE tenant_id = ? AND key_id = ?",
		.tenant_bound = 1,
		.retry_safe = 1},
	[KEY_STMT_CONFIRM] = {.name = "auth.key_confirm", .sql = "SELECT " KEY_PRINCIPAL_CONFIRM_COLUMN, .tenant_bound = 1},
};

const struct db_statement_def *key_principal_statement_table(size_t *count)
{
	*count = KEY_STMT__MAX;
	return key_principal_statements;
}

struct key_row {
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
	int tenant_active;
	int64_t plan_changed_ms;
	int64_t llm_changed_ms;
	char fingerprint[PRINCIPAL_FINGERPRINT_CHARS + 1];
};

/* A key this worker found valid: its row as read, and when that was. */
struct key_cached {
	int used;
	struct key_row row;
};

static struct key_cached key_cache[KEY_CACHE_SLOTS];

static struct key_cached *key_cache_slot(const unsigned char hash[API_KEY_HASH_BYTES])
{
	return &key_cache[hash[0] % KEY_CACHE_SLOTS];
}

static int key_principal_read(void *callback_context, const struct db_row *row)
{
	struct key_row *key = callback_context;
	if (row->column_count != 14 || row->lengths[3] != API_KEY_HASH_BYTES ||
		row->lengths[13] != PRINCIPAL_FINGERPRINT_CHARS)
		return 1;
	for (size_t i = 0; i < 14; i++)
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
	key->tenant_active = row->values[10][0] == '1';
	key->plan_changed_ms = strtoll(row->values[11], NULL, 10);
	key->llm_changed_ms = strtoll(row->values[12], NULL, 10);
	memcpy(key->fingerprint, row->values[13], PRINCIPAL_FINGERPRINT_CHARS);
	key->fingerprint[PRINCIPAL_FINGERPRINT_CHARS] = '\0';
	return 0;
}

/* Fills auth from a row found valid. */
static enum key_principal_outcome key_principal_fill(const struct key_row *row, struct arena *arena,
	struct auth_context *auth)
{
	auth->tenant_id = row->tenant_id;
	auth->tenant_slug = arena_strdup(arena, row->tenant_slug);
	auth->api_key_id = row->key_id;
	auth->kind = row->type == API_KEY_PUBLISHABLE ? AUTH_PUBLISHABLE_KEY : AUTH_SECRET_KEY;
	if (row->type == API_KEY_PUBLISHABLE)
		auth->permissions = KEY_PUBLISHABLE_PERMISSIONS;
	else
		auth->permissions = row->scopes[0] ? arena_strdup(arena, row->scopes) : KEY_SECRET_PERMISSIONS;
	auth->key_allowed_origins = arena_strdup(arena, row->allowed_origins);
	auth->plan_changed_ms = row->plan_changed_ms;
	auth->llm_changed_ms = row->llm_changed_ms;
	auth->principal_fingerprint = arena_strdup(arena, row->fingerprint);
	if (auth->tenant_slug == NULL || auth->permissions == NULL || auth->key_allowed_origins == NULL ||
		auth->principal_fingerprint == NULL)
		return KEY_PRINCIPAL_DB_ERROR;
	return KEY_PRINCIPAL_OK;
}

enum key_principal_outcome key_principal_load(struct db *db, const char *key, int64_t now_s, struct arena *arena,
	struct auth_context *auth)
{
	if (!api_key_well_formed(key))
		return KEY_PRINCIPAL_UNKNOWN;
	unsigned char presented_hash[API_KEY_HASH_BYTES];
	api_key_hash(key, presented_hash);
	struct key_row row = {0};
	struct db_param params[] = {DB_BLOB(presented_hash, sizeof(presented_hash))};
	enum db_result result = db_query(db, &key_principal_statements[KEY_STMT_LOOKUP], params, 1, key_principal_read, &row);
	if (result != DB_OK)
		return result == DB_UNAVAILABLE ? KEY_PRINCIPAL_DB_UNAVAILABLE : KEY_PRINCIPAL_DB_ERROR;
	/* The index found the row by hash; the comparison that decides is the
	 * constant-time one, and the type must match the key's own prefix. */
	struct key_cached *cached = key_cache_slot(presented_hash);
	cached->used = 0;
	if (!row.found || row.revoked || CRYPTO_memcmp(row.key_hash, presented_hash, API_KEY_HASH_BYTES) != 0 ||
		row.type != api_key_type_of(key))
		return KEY_PRINCIPAL_UNKNOWN;
	if (row.expires_at_s != 0 && now_s >= row.expires_at_s)
		return KEY_PRINCIPAL_EXPIRED;
	if (!row.tenant_active)
		return KEY_PRINCIPAL_TENANT_SUSPENDED;
	enum key_principal_outcome outcome = key_principal_fill(&row, arena, auth);
	if (outcome != KEY_PRINCIPAL_OK)
		return outcome;

	if (now_s - row.last_used_s >= KEY_LAST_USED_STEP_S) {
		struct db_param touch[] = {DB_INT(now_s), DB_UINT(row.tenant_id), DB_UINT(row.key_id)};
		/* A missed stamp is not worth refusing the request for; the
		 * cache then holds the key until the next minute's stamp. */
		if (db_exec(db, &key_principal_statements[KEY_STMT_TOUCH], touch, 3, NULL, NULL) == DB_OK)
			row.last_used_s = now_s;
	}
	cached->row = row;
	cached->used = 1;
	return KEY_PRINCIPAL_OK;
}

enum key_principal_outcome key_principal_cached(const char *key, int64_t now_s, struct arena *arena,
	struct auth_context *auth)
{
	if (!api_key_well_formed(key))
		return KEY_PRINCIPAL_UNKNOWN;
	unsigned char presented_hash[API_KEY_HASH_BYTES];
	api_key_hash(key, presented_hash);
	const struct key_cached *cached = key_cache_slot(presented_hash);
	/* The last-used stamp is written by lookups: once it is a minute old,
	 * the next request looks the key up (and stamps it). */
	if (!cached->used || CRYPTO_memcmp(cached->row.key_hash, presented_hash, API_KEY_HASH_BYTES) != 0 ||
		cached->row.type != api_key_type_of(key) ||
		(cached->row.expires_at_s != 0 && now_s >= cached->row.expires_at_s) ||
		now_s - cached->row.last_used_s >= KEY_LAST_USED_STEP_S || now_s < cached->row.last_used_s)
		return KEY_PRINCIPAL_UNKNOWN;
	enum key_principal_outcome outcome = key_principal_fill(&cached->row, arena, auth);
	if (outcome == KEY_PRINCIPAL_OK)
		auth->principal_unconfirmed = 1;
	return outcome;
}

void key_principal_forget(const char *key)
{
	unsigned char hash[API_KEY_HASH_BYTES];
	api_key_hash(key, hash);
	struct key_cached *cached = key_cache_slot(hash);
	if (CRYPTO_memcmp(cached->row.key_hash, hash, API_KEY_HASH_BYTES) == 0)
		cached->used = 0;
}

void key_principal_confirm_bind(const struct auth_context *auth, struct db_param *params)
{
	params[0] = DB_UINT(auth->tenant_id);
	params[1] = DB_UINT(auth->api_key_id);
}

int key_principal_confirm(struct db *db, struct auth_context *auth)
{
	struct db_param params[KEY_PRINCIPAL_CONFIRM_PARAMS];
	key_principal_confirm_bind(auth, params);
	return principal_confirm_by(db, &key_principal_statements[KEY_STMT_CONFIRM], params, KEY_PRINCIPAL_CONFIRM_PARAMS,
		auth);
}

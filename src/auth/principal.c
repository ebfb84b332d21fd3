/* One-query principal lookup. */
#include "auth/principal.h"
#include "auth/ratelimit.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define PRINCIPAL_JOIN                                                                                            \
	"FROM users u "                                                                                           \
	"JOIN tenants t ON t.tenant_id = u.tenant_id "                                                            \
	"JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id "                           \
	"JOIN sessions s ON s.tenant_id = u.tenant_id AND s.session_id = ? AND s.user_id = u.user_id "           \
	"WHERE u.tenant_id = ? AND u.user_id = ?"
/* The same principal as one JSON array, for the counted form below. */
#define PRINCIPAL_AS_JSON                                                                                         \
	"(SELECT JSON_ARRAY(t.slug, t.status, u.email, u.display_name, u.status, p.profile_id, p.name, "          \
	"p.permissions, p.version, s.revoked_at IS NULL AND s.expires_at > NOW(3)) " PRINCIPAL_JOIN ")"

enum principal_statement { PRINCIPAL_STMT_LOAD, PRINCIPAL_STMT_COUNTED_ONE, PRINCIPAL_STMT_COUNTED_TWO, PRINCIPAL_STMT__MAX };

/* The counting upserts are retry_safe: after a lost reply a retry may count
 * the request twice, which costs the client one request of its allowance;
 * refusing the request instead would cost it the request. */
static const struct db_statement_def principal_statements[PRINCIPAL_STMT__MAX] = {
	[PRINCIPAL_STMT_LOAD] = {.name = "principal.load",
		.sql = "SELECT t.slug, t.status, u.email, u.display_name, u.status, p.profile_id, p.name, p.permissions, "
		"p.version, s.revoked_at IS NULL AND s.expires_at > NOW(3) " PRINCIPAL_JOIN,
		.tenant_bound = 1},
	/* The rate counter's upsert returns the principal too: one round trip
	 * instead of two on every authenticated request. */
	[PRINCIPAL_STMT_COUNTED_ONE] = {.name = "principal.load_counted_one",
		.sql = "INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) VALUES (?, ?, ?, 1) "
		"ON DUPLICATE KEY UPDATE hits = hits + 1 RETURNING bucket, hits, " PRINCIPAL_AS_JSON,
		.tenant_bound = 1, .retry_safe = 1},
	[PRINCIPAL_STMT_COUNTED_TWO] = {.name = "principal.load_counted_two",
		.sql = "INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) VALUES (?, ?, ?, 1), (?, ?, ?, 1) "
		"ON DUPLICATE KEY UPDATE hits = hits + 1 RETURNING bucket, hits, " PRINCIPAL_AS_JSON,
		.tenant_bound = 1, .retry_safe = 1},
};

const struct db_statement_def *principal_statement_table(size_t *count)
{
	*count = PRINCIPAL_STMT__MAX;
	return principal_statements;
}

struct principal_row {
	struct arena *arena;
	struct auth_context *auth;
	int found;
	int usable;
};

static int principal_read(void *callback_context, const struct db_row *row)
{
	struct principal_row *out = callback_context;
	if (row->column_count != 10)
		return 0;
	for (size_t i = 0; i < row->column_count; i++)
		if (row->values[i] == NULL)
			return 0;
	struct auth_context *auth = out->auth;
	out->found = 1;
	out->usable = strcmp(row->values[1], "active") == 0 && strcmp(row->values[4], "active") == 0 &&
		row->values[9][0] == '1';
	auth->tenant_slug = arena_strdup(out->arena, row->values[0]);
	auth->email = arena_strdup(out->arena, row->values[2]);
	auth->display_name = arena_strdup(out->arena, row->values[3]);
	auth->profile_id = strtoull(row->values[5], NULL, 10);
	auth->profile_name = arena_strdup(out->arena, row->values[6]);
	auth->permissions = arena_strdup(out->arena, row->values[7]);
	auth->profile_version = strtoll(row->values[8], NULL, 10);
	return 0;
}

enum principal_outcome principal_load(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth)
{
	struct db_param params[] = {DB_UINT(session_id), DB_UINT(tenant_id), DB_UINT(user_id)};
	struct principal_row row = {arena, auth, 0, 0};
	enum db_result result = db_query(db, &principal_statements[0], params, 3, principal_read, &row);
	if (result == DB_UNAVAILABLE)
		return PRINCIPAL_DB_UNAVAILABLE;
	if (result != DB_OK)
		return PRINCIPAL_DB_ERROR;
	if (!row.found || !row.usable)
		return PRINCIPAL_GONE;
	auth->tenant_id = tenant_id;
	auth->user_id = user_id;
	auth->session_id = session_id;
	return PRINCIPAL_OK;
}

/* principal_read's work for the JSON array of the counted form. */
static int principal_read_json(struct principal_row *out, const char *text)
{
	json_object *values = json_tokener_parse(text);
	if (values == NULL || !json_object_is_type(values, json_type_array) || json_object_array_length(values) != 10) {
		json_object_put(values);
		return -1;
	}
	const char *strings[10] = {NULL};
	for (size_t i = 0; i < 10; i++) {
		json_object *item = json_object_array_get_idx(values, i);
		if (item == NULL) {
			json_object_put(values);
			return -1;
		}
		strings[i] = json_object_get_string(item);
	}
	struct auth_context *auth = out->auth;
	json_object *usable = json_object_array_get_idx(values, 9);
	out->found = 1;
	out->usable = strcmp(strings[1], "active") == 0 && strcmp(strings[4], "active") == 0 &&
		(json_object_get_boolean(usable) || json_object_get_int(usable) == 1);
	auth->tenant_slug = arena_strdup(out->arena, strings[0]);
	auth->email = arena_strdup(out->arena, strings[2]);
	auth->display_name = arena_strdup(out->arena, strings[3]);
	auth->profile_id = strtoull(strings[5], NULL, 10);
	auth->profile_name = arena_strdup(out->arena, strings[6]);
	auth->permissions = arena_strdup(out->arena, strings[7]);
	auth->profile_version = strtoll(strings[8], NULL, 10);
	json_object_put(values);
	return 0;
}

struct principal_counted_rows {
	struct principal_row principal;
	const struct ratelimit_bucket *buckets;
	size_t bucket_count;
	uint32_t hits[2];
	int malformed;
};

static int principal_read_counted(void *callback_context, const struct db_row *row)
{
	struct principal_counted_rows *rows = callback_context;
	if (row->column_count != 3 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	for (size_t i = 0; i < rows->bucket_count; i++)
		if (strcmp(rows->buckets[i].name, row->values[0]) == 0)
			rows->hits[i] = (uint32_t)strtoul(row->values[1], NULL, 10);
	/* Every row carries the same principal; NULL when there is none. */
	if (!rows->principal.found && row->values[2] != NULL && principal_read_json(&rows->principal, row->values[2]) != 0)
		rows->malformed = 1;
	return 0;
}

enum principal_outcome principal_load_counted(struct db *db, uint64_t tenant_id, uint64_t user_id,
	uint64_t session_id, const struct ratelimit_bucket *buckets, size_t bucket_count, int64_t now_s,
	struct arena *arena, struct auth_context *auth, struct ratelimit_outcome *outcome)
{
	if (bucket_count < 1 || bucket_count > 2)
		return PRINCIPAL_DB_ERROR;
	struct db_param params[9];
	size_t used = 0;
	for (size_t i = 0; i < bucket_count; i++) {
		params[used++] = DB_UINT(buckets[i].tenant_id);
		params[used++] = DB_TEXT(buckets[i].name);
		params[used++] = DB_INT(ratelimit_window_start(now_s, buckets[i].window_s));
	}
	params[used++] = DB_UINT(session_id);
	params[used++] = DB_UINT(tenant_id);
	params[used++] = DB_UINT(user_id);
	struct principal_counted_rows rows = {.principal = {arena, auth, 0, 0}, .buckets = buckets,
		.bucket_count = bucket_count};
	const struct db_statement_def *statement =
		&principal_statements[bucket_count == 1 ? PRINCIPAL_STMT_COUNTED_ONE : PRINCIPAL_STMT_COUNTED_TWO];
	enum db_result result = db_query(db, statement, params, used, principal_read_counted, &rows);
	if (result == DB_UNAVAILABLE)
		return PRINCIPAL_DB_UNAVAILABLE;
	if (result != DB_OK || rows.malformed)
		return PRINCIPAL_DB_ERROR;
	if (!rows.principal.found || !rows.principal.usable)
		return PRINCIPAL_GONE;
	ratelimit_evaluate(buckets, rows.hits, bucket_count, now_s, outcome);
	auth->tenant_id = tenant_id;
	auth->user_id = user_id;
	auth->session_id = session_id;
	return PRINCIPAL_OK;
}

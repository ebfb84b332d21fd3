/* Find API keys (/api/v1/find/provision/keys): list, create, revoke and
 * rotate, in the shapes of the Intufind SDK (a listing is an array of
 * snake_case items). A key's full text is returned only by create and
 * rotate; the database keeps its SHA-256. Open to secret keys and to users
 * holding find.provision (Tenant Admin). */
#include "auth/audit.h"
#include "auth/rbac.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "auth/api_key.h"
#include "find/gate.h"
#include "auth/cors.h"
#include "auth/key_principal.h"
#include "http/request.h"
#include "http/timestamp.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIND_KEYS_MAX_ORIGINS 20
#define FIND_KEYS_MAX_PER_TENANT 200
#define FIND_KEYS_ORIGIN_MAX 255
/* find_api_keys.allowed_origins holds them joined by spaces. */
#define FIND_KEYS_ORIGINS_COLUMN_MAX 2000

static void find_keys_list(struct request_context *context);
static void find_keys_create(struct request_context *context);
static void find_keys_revoke(struct request_context *context);
static void find_keys_rotate(struct request_context *context);

static const char *const key_types[] = {"secret", "publishable", NULL};
static const char *const key_environments[] = {"live", "test", NULL};

static const struct field_spec create_fields[] = {
	/* The SDK may send {}: an unnamed secret key. */
	{.name = "label", .type = FIELD_STRING, .min_length = 1, .max_length = 200},
	{.name = "keyType", .type = FIELD_ENUM, .enum_values = key_types},
	{.name = "scopes", .type = FIELD_STRING_ARRAY, .max_length = 8},
	{.name = "expiresAt", .type = FIELD_STRING, .max_length = 40, .nullable = 1},
	{.name = "environment", .type = FIELD_ENUM, .enum_values = key_environments},
	{.name = "allowedOrigins", .type = FIELD_STRING_ARRAY, .max_length = FIND_KEYS_MAX_ORIGINS},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

#define FIND_KEYS_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_keys_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/find/provision/keys", .permission = "find.provision",
		.credentials = FIND_KEYS_CREDENTIALS, .handler = find_keys_list},
	{.method = HTTP_POST, .pattern = "/api/v1/find/provision/keys", .permission = "find.provision",
		.credentials = FIND_KEYS_CREDENTIALS, .input = &create_input, .handler = find_keys_create},
	{.method = HTTP_POST, .pattern = "/api/v1/find/provision/keys/{id}/revoke",
		.permission = "find.provision", .credentials = FIND_KEYS_CREDENTIALS, .input = &input_no_body,
		.handler = find_keys_revoke},
	{.method = HTTP_POST, .pattern = "/api/v1/find/provision/keys/{id}/rotate",
		.permission = "find.provision", .credentials = FIND_KEYS_CREDENTIALS, .input = &input_no_body,
		.handler = find_keys_rotate},
};

const struct route_table find_keys_route_table = {
	.module_name = "find_keys",
	.routes = find_keys_routes,
	.route_count = sizeof(find_keys_routes) / sizeof(find_keys_routes[0]),
	.gate = &find_gate,
};

enum find_keys_statement {
	KEYS_STMT_LIST,
	KEYS_STMT_COUNT,
	KEYS_STMT_INSERT,
	KEYS_STMT_INSERT_ORIGIN,
	KEYS_STMT_STATE,
	KEYS_STMT_REVOKE,
	KEYS_STMT_DROP_ORIGINS,
	KEYS_STMT_ROTATE,
	KEYS_STMT__MAX
};

#define KEYS_COLUMNS                                                                                              \
	"key_id, label, prefix, key_type, environment, scopes, allowed_origins, "                                   \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(last_used_at, '%Y-%m-%dT%H:%i:%sZ'), "      \
	"DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(revoked_at, '%Y-%m-%dT%H:%i:%sZ'), "           \
	"DATE_FORMAT(rotated_at, '%Y-%m-%dT%H:%i:%sZ'), expires_at IS NOT NULL AND expires_at <= NOW(3)"
#define KEYS_COLUMN_COUNT 13

static const struct db_statement_def find_keys_statements[KEYS_STMT__MAX] = {
	[KEYS_STMT_LIST] = {.name = "find_keys.list",
		.sql = "SELECT " KEYS_COLUMNS " FROM find_api_keys WHERE tenant_id = ? ORDER BY key_id DESC LIMIT 500",
		.tenant_bound = 1},
	[KEYS_STMT_COUNT] = {.name = "find_keys.count",
		.sql = "SELECT COUNT(*) FROM find_api_keys WHERE tenant_id = ? AND revoked_at IS NULL",
		.tenant_bound = 1},
	[KEYS_STMT_INSERT] = {.name = "find_keys.insert",
		.sql = "INSERT INTO find_api_keys (tenant_id, key_hash, prefix, key_type, label, environment, scopes, "
		"allowed_origins, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?)",
		.tenant_bound = 1},
	[KEYS_STMT_INSERT_ORIGIN] = {.name = "find_keys.insert_origin",
		.sql = "INSERT IGNORE INTO find_key_origins (origin, tenant_id, key_id) SELECT ?, tenant_id, key_id "
		"FROM find_api_keys WHERE tenant_id = ? AND key_id = ?",
		.tenant_bound = 1},
	[KEYS_STMT_STATE] = {.name = "find_keys.state",
		.sql = "SELECT key_type, revoked_at IS NOT NULL, scopes FROM find_api_keys WHERE tenant_id = ? AND key_id = ? FOR UPDATE",
		.tenant_bound = 1},
	[KEYS_STMT_REVOKE] = {.name = "find_keys.revoke",
		.sql = "UPDATE find_api_keys SET revoked_at = NOW(3) WHERE tenant_id = ? AND key_id = ? AND revoked_at IS NULL",
		.tenant_bound = 1},
	[KEYS_STMT_DROP_ORIGINS] = {.name = "find_keys.drop_origins",
		.sql = "DELETE FROM find_key_origins WHERE tenant_id = ? AND key_id = ?", .tenant_bound = 1},
	[KEYS_STMT_ROTATE] = {.name = "find_keys.rotate",
		.sql = "UPDATE find_api_keys SET key_hash = ?, prefix = ?, rotated_at = NOW(3), last_used_at = NULL "
		"WHERE tenant_id = ? AND key_id = ? AND revoked_at IS NULL",
		.tenant_bound = 1},
};

const struct statement_table find_keys_statement_table = {"find_keys", find_keys_statements, KEYS_STMT__MAX};

static void find_keys_audit(struct request_context *context, const char *action, uint64_t key_id, const char *details)
{
	const struct auth_context *auth = &context->request->auth;
	char target[32];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)key_id);
	struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", "api_key", target,
		context->request->remote_addr, context->request->request_id, details};
	if (audit_record(context->db, &event) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "audit write failed for %s", action);
}

static json_object *find_keys_words(const char *words)
{
	return module_words_to_array(words ? words : "");
}

/* Optional members of a listed key are left out when unset: the SDK types
 * them "string | undefined", and null is not a string. */
static void find_keys_add_time(json_object *key, const char *name, const char *value)
{
	if (value != NULL)
		json_object_object_add(key, name, json_object_new_string(value));
}

static int find_keys_row(void *callback_context, const struct db_row *row)
{
	json_object *keys = callback_context;
	if (row->column_count != KEYS_COLUMN_COUNT)
		return 1;
	const char *const *v = row->values;
	json_object *key = json_object_new_object();
	json_object_object_add(key, "id", json_object_new_string(v[0]));
	json_object_object_add(key, "name", json_object_new_string(v[1]));
	json_object_object_add(key, "prefix", json_object_new_string(v[2]));
	json_object_object_add(key, "type", json_object_new_string(v[3]));
	json_object_object_add(key, "scopes", find_keys_words(v[5]));
	json_object_object_add(key, "created_at", json_object_new_string(v[7] ? v[7] : ""));
	find_keys_add_time(key, "expires_at", v[9]);
	find_keys_add_time(key, "last_used_at", v[8]);
	json_object_object_add(key, "revoked", json_object_new_boolean(v[10] != NULL));
	/* Intuka's own members, beside the SDK's. */
	json_object_object_add(key, "environment", json_object_new_string(v[4]));
	json_object_object_add(key, "allowedOrigins", find_keys_words(v[6]));
	const char *status = v[10] ? "revoked" : (v[12] && v[12][0] == '1') ? "expired" : "active";
	json_object_object_add(key, "status", json_object_new_string(status));
	find_keys_add_time(key, "revoked_at", v[10]);
	find_keys_add_time(key, "rotated_at", v[11]);
	json_object_array_add(keys, key);
	return 0;
}

static void find_keys_list(struct request_context *context)
{
	json_object *keys = json_object_new_array();
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id)};
	enum db_result result =
		db_query(context->db, &find_keys_statements[KEYS_STMT_LIST], params, 1, find_keys_row, keys);
	if (result != DB_OK) {
		json_object_put(keys);
		respond_db_failure(context, result, "list keys");
		return;
	}
	response_ok(context->response, STATUS_OK, keys, "API keys");
}

/* Scopes: find permissions a secret key is limited to, normalized. */
static int find_keys_scopes(struct request_context *context, char *out, size_t out_size)
{
	out[0] = '\0';
	json_object *scopes = input_field(context->request, "scopes");
	size_t count = scopes ? json_object_array_length(scopes) : 0;
	if (count == 0)
		return 0;
	const char *items[8];
	for (size_t i = 0; i < count; i++) {
		items[i] = json_object_get_string(json_object_array_get_idx(scopes, i));
		if (strncmp(items[i], "find.", 5) != 0) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid scopes");
			response_add_detail(context->response, "scopes", "\"%.60s\" is not one of find.view, find.manage, "
				"find.provision", items[i]);
			return -1;
		}
	}
	const char *unknown = NULL;
	if (rbac_normalize(items, count, out, out_size, &unknown) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid scopes");
		response_add_detail(context->response, "scopes", "\"%.60s\" is not one of find.view, find.manage, "
			"find.provision", unknown ? unknown : "?");
		return -1;
	}
	return 0;
}

/* Origins: normalized, space-separated. A publishable key without any is
 * used from every origin, and reads the workspace of the one that calls. */
static int find_keys_origins(struct request_context *context, int publishable, char *out, size_t out_size)
{
	out[0] = '\0';
	json_object *origins = input_field(context->request, "allowedOrigins");
	size_t count = origins ? json_object_array_length(origins) : 0;
	if (!publishable && count > 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Secret keys are not used from browsers");
		response_add_detail(context->response, "allowedOrigins", "only publishable keys take origins");
		return -1;
	}
	size_t used = 0;
	for (size_t i = 0; i < count; i++) {
		char origin[FIND_KEYS_ORIGIN_MAX + 1];
		const char *given = json_object_get_string(json_object_array_get_idx(origins, i));
		if (api_key_origin_normalize(given, origin, sizeof(origin)) != 0) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid allowed origin");
			response_add_detail(context->response, "allowedOrigins", "\"%.80s\" is not scheme://host[:port]",
				given);
			return -1;
		}
		size_t length = strlen(origin);
		if (used + length + 2 > out_size || used + length + 1 > FIND_KEYS_ORIGINS_COLUMN_MAX) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Too many allowed origins");
			response_add_detail(context->response, "allowedOrigins", "at most %d characters in all",
				FIND_KEYS_ORIGINS_COLUMN_MAX);
			return -1;
		}
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, origin, length + 1);
		used += length;
	}
	return 0;
}

static enum db_result find_keys_write_origins(struct request_context *context, uint64_t key_id, const char *origins)
{
	uint64_t tenant_id = context->request->auth.tenant_id;
	for (const char *cursor = origins; *cursor != '\0';) {
		size_t length = strcspn(cursor, " ");
		struct db_param params[] = {DB_TEXTN(cursor, length), DB_UINT(tenant_id), DB_UINT(key_id)};
		enum db_result result =
			db_exec(context->db, &find_keys_statements[KEYS_STMT_INSERT_ORIGIN], params, 3, NULL, NULL);
		if (result != DB_OK)
			return result;
		cursor += length;
		while (*cursor == ' ')
			cursor++;
	}
	return DB_OK;
}

static json_object *find_keys_secret_answer(uint64_t key_id, const char *key, const char *prefix,
	enum api_key_type type, const char *message)
{
	char id[32];
	snprintf(id, sizeof(id), "%llu", (unsigned long long)key_id);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "key", json_object_new_string(key));
	json_object_object_add(data, "prefix", json_object_new_string(prefix));
	json_object_object_add(data, "type", json_object_new_string(api_key_type_name(type)));
	json_object_object_add(data, "message", json_object_new_string(message));
	return data;
}

/* What a key may do: its scopes, or everything its type allows. */
static const char *find_keys_effective_permissions(enum api_key_type type, const char *scopes)
{
	if (type == API_KEY_PUBLISHABLE)
		return KEY_PUBLISHABLE_PERMISSIONS;
	return scopes[0] ? scopes : KEY_SECRET_PERMISSIONS;
}

/* A caller may only make, rotate or revoke keys that can do no more than it
 * can itself: a key scoped to find.provision must not mint a full key. */
static int find_keys_within_caller(struct request_context *context, const char *key_permissions)
{
	const char *mine = context->request->auth.permissions;
	for (const char *cursor = key_permissions; *cursor != '\0';) {
		size_t length = strcspn(cursor, " ");
		char permission[64];
		snprintf(permission, sizeof(permission), "%.*s", (int)(length < sizeof(permission) ? length : 0), cursor);
		if (length == 0 || length >= sizeof(permission) || !rbac_list_grants(mine, permission)) {
			response_error(context->response, STATUS_FORBIDDEN, "A key may not get more rights than its maker");
			response_add_detail(context->response, "scopes", "the key would hold %.*s, which you do not hold",
				(int)(length < 64 ? length : 64), cursor);
			return -1;
		}
		cursor += length;
		while (*cursor == ' ')
			cursor++;
	}
	return 0;
}

static void find_keys_create(struct request_context *context)
{
	struct request *request = context->request;
	const char *type_name = input_string(request, "keyType");
	enum api_key_type type = type_name ? api_key_type_parse(type_name) : API_KEY_SECRET;
	const char *label = input_string(request, "label");
	const char *environment = input_string(request, "environment");
	const char *expires_text = input_string(request, "expiresAt");
	int64_t expires_at_s = 0;
	if (expires_text != NULL) {
		/* A date alone means the end of that day. */
		if (timestamp_parse_seconds(expires_text, TIMESTAMP_OR_DATE_LAST_SECOND, &expires_at_s) != 0 ||
			expires_at_s <= context->now_s) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid expiresAt");
			response_add_detail(context->response, "expiresAt", "a future date or RFC 3339 date-time");
			return;
		}
		/* MariaDB's FROM_UNIXTIME and UNIX_TIMESTAMP stop at 2^31 - 1. */
		if (expires_at_s > INT32_MAX) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid expiresAt");
			response_add_detail(context->response, "expiresAt", "at most 2038-01-19T03:14:07Z");
			return;
		}
	}
	char scopes[256], origins[(FIND_KEYS_ORIGIN_MAX + 1) * FIND_KEYS_MAX_ORIGINS];
	if (find_keys_scopes(context, scopes, sizeof(scopes)) != 0 ||
		find_keys_origins(context, type == API_KEY_PUBLISHABLE, origins, sizeof(origins)) != 0)
		return;
	if (type == API_KEY_PUBLISHABLE && scopes[0] != '\0' && strcmp(scopes, "find.view") != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Publishable keys are read-only");
		response_add_detail(context->response, "scopes", "publishable keys can only hold find.view");
		return;
	}
	if (find_keys_within_caller(context, find_keys_effective_permissions(type, scopes)) != 0)
		return;

	char key[API_KEY_TEXT_MAX], prefix[API_KEY_DISPLAY_PREFIX_CHARS + 1];
	unsigned char hash[API_KEY_HASH_BYTES];
	if (api_key_generate(type, key, sizeof(key)) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Could not generate a key");
		return;
	}
	api_key_hash(key, hash);
	api_key_display_prefix(key, prefix, sizeof(prefix));

	uint64_t tenant_id = request->auth.tenant_id, key_id = 0, active_keys = 0;
	enum db_result result = db_begin(context->db);
	struct db_param count_params[] = {DB_UINT(tenant_id)};
	if (result == DB_OK)
		result = db_query(context->db, &find_keys_statements[KEYS_STMT_COUNT], count_params, 1, module_read_uint64,
			&active_keys);
	if (result == DB_OK && active_keys >= FIND_KEYS_MAX_PER_TENANT) {
		response_error(context->response, STATUS_CONFLICT, "Too many active keys; revoke unused ones first");
		return;
	}
	struct db_param params[] = {DB_UINT(tenant_id), DB_BLOB(hash, sizeof(hash)), DB_TEXT(prefix),
		DB_TEXT(api_key_type_name(type)), DB_TEXT(label ? label : ""),
		DB_TEXT(environment ? environment : "live"), DB_TEXT(scopes), DB_TEXT(origins),
		expires_at_s ? DB_INT(expires_at_s) : DB_NULL,
		request->auth.user_id ? DB_UINT(request->auth.user_id) : DB_NULL};
	if (result == DB_OK)
		result = db_exec(context->db, &find_keys_statements[KEYS_STMT_INSERT], params, 10, NULL, &key_id);
	/* Preflights find every publishable key through find_key_origins. */
	if (result == DB_OK && type == API_KEY_PUBLISHABLE)
		result = find_keys_write_origins(context, key_id, origins[0] ? origins : CORS_ANY_ORIGIN);
	if (result == DB_OK) {
		find_keys_audit(context, "find.key_create", key_id, api_key_type_name(type));
		result = db_commit(context->db);
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "create key");
		return;
	}
	response_ok(context->response, STATUS_CREATED,
		find_keys_secret_answer(key_id, key, prefix, type, "Store this key now: it is not shown again"),
		"API key created");
}

struct find_keys_state {
	int found;
	enum api_key_type type;
	int revoked;
	char scopes[512];
};

static int find_keys_read_state(void *callback_context, const struct db_row *row)
{
	struct find_keys_state *state = callback_context;
	if (row->column_count != 3 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL)
		return 1;
	snprintf(state->scopes, sizeof(state->scopes), "%s", row->values[2]);
	state->found = 1;
	state->type = api_key_type_parse(row->values[0]);
	state->revoked = row->values[1][0] == '1';
	return 0;
}

/* Begins a transaction and locks the key row; on refusal the response is set. */
static int find_keys_lock(struct request_context *context, uint64_t key_id, struct find_keys_state *state)
{
	if (key_id == 0) {
		module_not_found(context, "API key");
		return -1;
	}
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(key_id)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &find_keys_statements[KEYS_STMT_STATE], params, 2, find_keys_read_state, state);
	if (result != DB_OK) {
		respond_db_failure(context, result, "read key");
		return -1;
	}
	if (!state->found) {
		module_not_found(context, "API key");
		return -1;
	}
	if (find_keys_within_caller(context, find_keys_effective_permissions(state->type, state->scopes)) != 0) {
		return -1;
	}
	return 0;
}

static void find_keys_revoke(struct request_context *context)
{
	uint64_t key_id = module_path_id(context, "id");
	struct find_keys_state state = {0};
	if (find_keys_lock(context, key_id, &state) != 0)
		return;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(key_id)};
	enum db_result result = DB_OK;
	if (!state.revoked) {
		result = db_exec(context->db, &find_keys_statements[KEYS_STMT_REVOKE], params, 2, NULL, NULL);
		if (result == DB_OK)
			result = db_exec(context->db, &find_keys_statements[KEYS_STMT_DROP_ORIGINS], params, 2, NULL, NULL);
		if (result == DB_OK)
			find_keys_audit(context, "find.key_revoke", key_id, api_key_type_name(state.type));
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "revoke key");
		return;
	}
	char id[32];
	snprintf(id, sizeof(id), "%llu", (unsigned long long)key_id);
	/* Revoking twice succeeds: a retried request must not fail. */
	const char *message = state.revoked ? "API key was already revoked" : "API key revoked";
	json_object *data = json_object_new_object();
	json_object_object_add(data, "message", json_object_new_string(message));
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "revoked", json_object_new_boolean(1));
	response_ok(context->response, STATUS_OK, data, message);
}

static void find_keys_rotate(struct request_context *context)
{
	uint64_t key_id = module_path_id(context, "id");
	struct find_keys_state state = {0};
	if (find_keys_lock(context, key_id, &state) != 0)
		return;
	if (state.revoked) {
		response_error(context->response, STATUS_CONFLICT, "A revoked key cannot be rotated");
		return;
	}
	char key[API_KEY_TEXT_MAX], prefix[API_KEY_DISPLAY_PREFIX_CHARS + 1];
	unsigned char hash[API_KEY_HASH_BYTES];
	if (api_key_generate(state.type, key, sizeof(key)) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Could not generate a key");
		return;
	}
	api_key_hash(key, hash);
	api_key_display_prefix(key, prefix, sizeof(prefix));
	struct db_param params[] = {DB_BLOB(hash, sizeof(hash)), DB_TEXT(prefix),
		DB_UINT(context->request->auth.tenant_id), DB_UINT(key_id)};
	enum db_result result = db_exec(context->db, &find_keys_statements[KEYS_STMT_ROTATE], params, 4, NULL, NULL);
	if (result == DB_OK) {
		find_keys_audit(context, "find.key_rotate", key_id, api_key_type_name(state.type));
		result = db_commit(context->db);
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "rotate key");
		return;
	}
	response_ok(context->response, STATUS_OK,
		find_keys_secret_answer(key_id, key, prefix, state.type,
			"The previous key stopped working; store this one now: it is not shown again"),
		"API key rotated");
}

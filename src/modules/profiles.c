/* Profiles API: permission profiles of the caller's tenant. The four
 * built-in roles are listed but read-only; custom profiles can be created,
 * changed (bumping their version) and deleted while no user holds them.
 * Needs profiles.manage. */
#include "auth/audit.h"
#include "auth/rbac.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/list_export.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/list_params.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILES_MAX_PERMISSIONS 64

static void profiles_list(struct request_context *context);
static void profiles_create(struct request_context *context);
static void profiles_get(struct request_context *context);
static void profiles_update(struct request_context *context);
static void profiles_delete(struct request_context *context);

static const struct field_spec create_fields[] = {
	{.name = "name", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = 100},
	{.name = "description", .type = FIELD_STRING, .max_length = 500},
	{.name = "permissions", .type = FIELD_STRING_ARRAY, .required = 1, .max_length = PROFILES_MAX_PERMISSIONS},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

static const struct field_spec update_fields[] = {
	{.name = "name", .type = FIELD_STRING, .min_length = 1, .max_length = 100},
	{.name = "description", .type = FIELD_STRING, .max_length = 500},
	{.name = "permissions", .type = FIELD_STRING_ARRAY, .max_length = PROFILES_MAX_PERMISSIONS},
};
static const struct input_spec update_input = INPUT_SPEC(update_fields);

/* A profile's members, in order: what fields= and CSV columns name. */
static const char *const profiles_columns[] = {"id", "name", "description", "builtIn", "role", "permissions",
	"version", "createdAt", "updatedAt", "userCount", NULL};
static const char *const profiles_formats[] = {"json", "csv", NULL};
static const struct query_field profiles_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 100},
	{.name = "fields", .type = QUERY_LIST, .max_length = 32, .max_value = 10, .enum_values = profiles_columns},
	{.name = "format", .type = QUERY_ENUM, .enum_values = profiles_formats},
};
static const struct query_spec profiles_list_query = QUERY_SPEC(profiles_list_query_fields);

static const struct route profiles_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/profiles", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .query = &profiles_list_query, .handler = profiles_list},
	{.method = HTTP_POST, .pattern = "/api/v1/profiles", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .input = &create_input, .handler = profiles_create},
	{.method = HTTP_GET, .pattern = "/api/v1/profiles/{id}", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .handler = profiles_get},
	{.method = HTTP_PATCH, .pattern = "/api/v1/profiles/{id}", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .input = &update_input, .handler = profiles_update},
	{.method = HTTP_DELETE, .pattern = "/api/v1/profiles/{id}", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .handler = profiles_delete},
};

const struct route_table profiles_route_table = {
	.module_name = "profiles",
	.routes = profiles_routes,
	.route_count = sizeof(profiles_routes) / sizeof(profiles_routes[0]),
};

static const struct sort_field profiles_sort_fields[] = {
	{"created_at", "created_at"},
	{"name", "name"},
};
static const struct sort_whitelist profiles_sorts = {profiles_sort_fields, 2, "created_at"};

#define PROFILES_COLUMNS \
	"SELECT profile_id, name, description, builtin_role, permissions, version, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"(SELECT COUNT(*) FROM users u WHERE u.tenant_id = profiles.tenant_id AND u.profile_id = profiles.profile_id)"
#define PROFILES_LIST_SQL(order) \
	PROFILES_COLUMNS ", COUNT(*) OVER () FROM profiles WHERE tenant_id = ? " \
	"AND (? IS NULL OR name LIKE ? ESCAPE '!') ORDER BY " order " LIMIT ? OFFSET ?"

enum profiles_statement {
	PROFILES_STMT_LIST_CREATED_DESC,
	PROFILES_STMT_LIST_CREATED_ASC,
	PROFILES_STMT_LIST_NAME_DESC,
	PROFILES_STMT_LIST_NAME_ASC,
	PROFILES_STMT_GET,
	PROFILES_STMT_INSERT,
	PROFILES_STMT_UPDATE,
	PROFILES_STMT_DELETE,
	PROFILES_STMT__MAX
};

static const struct db_statement_def profiles_statements[PROFILES_STMT__MAX] = {
	[PROFILES_STMT_LIST_CREATED_DESC] = {.name = "profiles.list_created_desc",
		.sql = PROFILES_LIST_SQL("created_at DESC, profile_id DESC"), .tenant_bound = 1},
	[PROFILES_STMT_LIST_CREATED_ASC] = {.name = "profiles.list_created_asc",
		.sql = PROFILES_LIST_SQL("created_at ASC, profile_id ASC"),
		.tenant_bound = 1},
	[PROFILES_STMT_LIST_NAME_DESC] = {.name = "profiles.list_name_desc", .sql = PROFILES_LIST_SQL("name DESC"),
		.tenant_bound = 1},
	[PROFILES_STMT_LIST_NAME_ASC] = {.name = "profiles.list_name_asc", .sql = PROFILES_LIST_SQL("name ASC"),
		.tenant_bound = 1},
	[PROFILES_STMT_GET] = {.name = "profiles.get",
		.sql = PROFILES_COLUMNS " FROM profiles WHERE tenant_id = ? AND profile_id = ?",
		.tenant_bound = 1},
	[PROFILES_STMT_INSERT] = {.name = "profiles.insert",
		.sql = "INSERT INTO profiles (tenant_id, name, description, permissions) VALUES (?, ?, ?, ?)",
		.tenant_bound = 1},
	/* Built-ins are excluded in SQL too, so no path can change them. */
	[PROFILES_STMT_UPDATE] = {.name = "profiles.update",
		.sql = "UPDATE profiles SET name = COALESCE(?, name), description = COALESCE(?, description), "
		"permissions = COALESCE(?, permissions), version = version + 1 "
		"WHERE tenant_id = ? AND profile_id = ? AND builtin_role IS NULL",
		.tenant_bound = 1},
	[PROFILES_STMT_DELETE] = {.name = "profiles.delete",
		.sql = "DELETE FROM profiles WHERE tenant_id = ? AND profile_id = ? AND builtin_role IS NULL AND NOT EXISTS "
		"(SELECT 1 FROM users u WHERE u.tenant_id = profiles.tenant_id AND u.profile_id = profiles.profile_id)",
		.tenant_bound = 1},
};

const struct statement_table profiles_statement_table = {"profiles", profiles_statements, PROFILES_STMT__MAX};

struct profiles_rows {
	struct module_rows list;
	int builtin;
	int64_t user_count;
};


static int profiles_collect(void *callback_context, const struct db_row *row)
{
	struct profiles_rows *rows = callback_context;
	if (row->column_count < 9 || row->values[0] == NULL)
		return 0;
	json_object *profile = json_object_new_object();
	json_object_object_add(profile, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(profile, "name", json_object_new_string(row->values[1]));
	json_object_object_add(profile, "description", json_object_new_string(row->values[2]));
	json_object_object_add(profile, "builtIn", json_object_new_boolean(row->values[3] != NULL));
	json_object_object_add(profile, "role", module_string_or_null(row->values[3]));
	json_object_object_add(profile, "permissions", module_words_to_array(row->values[4]));
	json_object_object_add(profile, "version", json_object_new_int64(strtoll(row->values[5], NULL, 10)));
	json_object_object_add(profile, "createdAt", module_string_or_null(row->values[6]));
	json_object_object_add(profile, "updatedAt", module_string_or_null(row->values[7]));
	json_object_object_add(profile, "userCount", json_object_new_int64(strtoll(row->values[8], NULL, 10)));
	rows->builtin = row->values[3] != NULL;
	rows->user_count = strtoll(row->values[8], NULL, 10);
	module_rows_take(&rows->list, profile, row, 9);
	return 0;
}

/* The filters of one request, bound in PROFILES_LIST_SQL's order, then limit and offset. */
struct profiles_query {
	struct db_param params[5];
	const struct db_statement_def *statement;
	char pattern[2 * 100 + 2];
};

static int profiles_fetch(struct request_context *context, void *state, uint64_t limit, uint64_t offset,
	json_object *items, uint64_t *total)
{
	struct profiles_query *query = state;
	query->params[3] = DB_INT((int64_t)limit);
	query->params[4] = DB_INT((int64_t)offset);
	struct profiles_rows rows = {.list = {.items = items}};
	int result = db_query(context->db, query->statement, query->params, 5, profiles_collect, &rows);
	*total = rows.list.total;
	return result;
}

static void profiles_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &profiles_sorts, &page_request, context->response) != 0)
		return;
	/* The route's query spec has checked every parameter's form. */
	const char *text = query_text(context->request, "q");
	struct profiles_query query = {
		.statement = &profiles_statements[module_sort_statement_index(&profiles_sorts, &page_request)],
	};
	/* q's length is bounded by the spec, so the pattern always fits. */
	if (text && list_like_prefix(text, query.pattern, sizeof(query.pattern)) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "List parameters not understood");
		return;
	}
	struct db_param params[] = {
		DB_UINT(context->request->auth.tenant_id),
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
	};
	memcpy(query.params, params, sizeof(params));
	struct list_export export = {.file_name = "profiles", .columns = profiles_columns, .fetch = profiles_fetch,
		.state = &query};
	if (list_export_select_or_reply(context, profiles_columns, &export.selected) != 0)
		return;
	if (list_export_wanted(context)) {
		list_export_csv(context, &export);
		return;
	}
	json_object *items = json_object_new_array();
	uint64_t total = 0;
	int result = profiles_fetch(context, &query, page_request.limit, pagination_offset(&page_request), items, &total);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "profiles list");
		return;
	}
	list_export_pick(items, profiles_columns, export.selected);
	response_list(context->response, items, pagination_block(&page_request, total), "Profiles");
	respond_tag_list(context);
}

static int profiles_load(struct request_context *context, uint64_t profile_id, struct profiles_rows *rows)
{
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(profile_id)};
	memset(rows, 0, sizeof(*rows));
	return db_query(context->db, &profiles_statements[PROFILES_STMT_GET], params, 2, profiles_collect, rows);
}

/* Normalized permission list from the body's "permissions"; -1 with a
 * VALIDATION_ERROR naming the unknown permission. */
static int profiles_read_permissions(struct request_context *context, char *out, size_t out_size)
{
	json_object *array = input_field(context->request, "permissions");
	const char *items[PROFILES_MAX_PERMISSIONS];
	size_t count = json_object_array_length(array);
	for (size_t i = 0; i < count && i < PROFILES_MAX_PERMISSIONS; i++)
		items[i] = json_object_get_string(json_object_array_get_idx(array, i));
	const char *unknown = NULL;
	if (rbac_normalize(items, count, out, out_size, &unknown) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "permissions", "unknown permission \"%.64s\"", unknown ? unknown : "");
		return -1;
	}
	return 0;
}

static void profiles_audit(struct request_context *context, const char *action, uint64_t profile_id, const char *details)
{
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)profile_id);
	const struct auth_context *auth = &context->request->auth;
	struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", "profile", target,
		context->request->remote_addr, context->request->request_id, details};
	if (audit_record(context->db, &event) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "audit write failed for %s", action);
}

static void profiles_respond_one(struct request_context *context, uint64_t profile_id, enum status status,
	const char *message)
{
	struct profiles_rows rows;
	int result = profiles_load(context, profile_id, &rows);
	if (result != DB_OK || rows.list.single == NULL) {
		if (rows.list.single)
			json_object_put(rows.list.single);
		if (result != DB_OK)
			respond_db_failure(context, result, "profiles");
		else
			module_not_found(context, "Profile");
		return;
	}
	response_ok(context->response, status, rows.list.single, message);
}

static void profiles_create(struct request_context *context)
{
	char permissions[RBAC_PERMISSIONS_TEXT_MAX];
	if (profiles_read_permissions(context, permissions, sizeof(permissions)) != 0)
		return;
	const char *description = input_string(context->request, "description");
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(input_string(context->request, "name")),
		DB_TEXT(description ? description : ""), DB_TEXT(permissions)};
	uint64_t profile_id = 0;
	int result = db_exec(context->db, &profiles_statements[PROFILES_STMT_INSERT], params, 4, NULL, &profile_id);
	if (result == DB_DUPLICATE) {
		response_error(context->response, STATUS_CONFLICT, "A profile with this name already exists");
		response_add_detail(context->response, "name", "is already taken in this tenant");
		return;
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "profiles create");
		return;
	}
	profiles_audit(context, "profile.create", profile_id, permissions);
	profiles_respond_one(context, profile_id, STATUS_CREATED, "Profile created");
}

static void profiles_get(struct request_context *context)
{
	uint64_t profile_id = module_path_id(context, "id");
	if (profile_id == 0) {
		module_not_found(context, "Profile");
		return;
	}
	profiles_respond_one(context, profile_id, STATUS_OK, "Profile");
}

/* Loads the profile and refuses built-ins; 0 when the caller may change it. */
static int profiles_check_mutable(struct request_context *context, uint64_t profile_id, struct profiles_rows *rows)
{
	int result = profile_id ? profiles_load(context, profile_id, rows) : DB_OK;
	if (result != DB_OK) {
		respond_db_failure(context, result, "profiles");
		return -1;
	}
	if (profile_id == 0 || rows->list.single == NULL) {
		module_not_found(context, "Profile");
		return -1;
	}
	json_object_put(rows->list.single);
	rows->list.single = NULL;
	if (rows->builtin) {
		response_error(context->response, STATUS_FORBIDDEN, "Built-in profiles are read-only");
		return -1;
	}
	return 0;
}

static void profiles_update(struct request_context *context)
{
	uint64_t profile_id = module_path_id(context, "id");
	struct profiles_rows rows;
	memset(&rows, 0, sizeof(rows));
	if (profiles_check_mutable(context, profile_id, &rows) != 0)
		return;
	char permissions[RBAC_PERMISSIONS_TEXT_MAX];
	int has_permissions = input_field(context->request, "permissions") != NULL;
	if (has_permissions && profiles_read_permissions(context, permissions, sizeof(permissions)) != 0)
		return;
	const char *name = input_string(context->request, "name");
	const char *description = input_string(context->request, "description");
	struct db_param params[] = {name ? DB_TEXT(name) : DB_NULL, description ? DB_TEXT(description) : DB_NULL,
		has_permissions ? DB_TEXT(permissions) : DB_NULL, DB_UINT(context->request->auth.tenant_id),
		DB_UINT(profile_id)};
	int result = db_exec(context->db, &profiles_statements[PROFILES_STMT_UPDATE], params, 5, NULL, NULL);
	if (result == DB_DUPLICATE) {
		response_error(context->response, STATUS_CONFLICT, "A profile with this name already exists");
		response_add_detail(context->response, "name", "is already taken in this tenant");
		return;
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "profiles update");
		return;
	}
	profiles_audit(context, "profile.update", profile_id, has_permissions ? permissions : "");
	profiles_respond_one(context, profile_id, STATUS_OK, "Profile updated");
}

static void profiles_delete(struct request_context *context)
{
	uint64_t profile_id = module_path_id(context, "id");
	struct profiles_rows rows;
	memset(&rows, 0, sizeof(rows));
	if (profiles_check_mutable(context, profile_id, &rows) != 0)
		return;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(profile_id)};
	uint64_t deleted = 0;
	int result = db_exec(context->db, &profiles_statements[PROFILES_STMT_DELETE], params, 2, &deleted, NULL);
	if (result != DB_OK) {
		respond_db_failure(context, result, "profiles delete");
		return;
	}
	if (deleted == 0) {
		response_error(context->response, STATUS_CONFLICT, "Profile is assigned to users; reassign them first");
		return;
	}
	profiles_audit(context, "profile.delete", profile_id, "");
	response_ok(context->response, STATUS_OK, json_object_new_object(), "Profile deleted");
}

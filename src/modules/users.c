/* Users API: list, create, read, update (name, profile, status) and
 * deactivate the users of the caller's tenant. Needs users.manage. A user
 * cannot deactivate themselves or change their own profile, so a tenant
 * never locks out its last administrator by accident. Nobody hands on more
 * than they hold: a profile may be given only when its permissions are a
 * subset of the caller's, and a user may be changed only when their
 * permissions are too (so users.manage alone cannot make a Tenant Admin,
 * nor demote or lock out one). */
#include "auth/audit.h"
#include "auth/password.h"
#include "auth/rbac.h"
#include "auth/secret_token.h"
#include "auth/session.h"
#include "handler/context.h"
#include "handler/list_export.h"
#include "core/identifiers.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/list_params.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/timestamp.h"
#include "http/validate.h"
#include "modules/account_mail.h"
#include "modules/invitation.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void users_list(struct request_context *context);
static void users_create(struct request_context *context);
static void users_get(struct request_context *context);
static void users_update(struct request_context *context);
static void users_delete(struct request_context *context);
static void users_force_reset(struct request_context *context);
static void users_sessions_list(struct request_context *context);
static void users_sessions_revoke(struct request_context *context);

/* The prefix of password reset tokens, as POST /auth/password/reset reads them. */
#define USERS_RESET_PREFIX "pr1"

static const struct field_spec create_fields[] = {
	{.name = "email", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = IDENTIFIER_EMAIL_MAX},
	{.name = "name", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = 200},
	{.name = "password", .type = FIELD_STRING, .required = 1, .min_length = 10, .max_length = PASSWORD_MAX_BYTES},
	{.name = "profileId", .type = FIELD_INTEGER, .required = 1, .min_value = 1, .max_value = INT64_MAX},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

static const struct field_spec update_fields[] = {
	{.name = "name", .type = FIELD_STRING, .min_length = 1, .max_length = 200},
	{.name = "profileId", .type = FIELD_INTEGER, .min_value = 1, .max_value = INT64_MAX},
	{.name = "status", .type = FIELD_STRING, .min_length = 1, .max_length = 16},
};
static const struct input_spec update_input = INPUT_SPEC(update_fields);

static const char *const users_status_values[] = {"active", "deactivated", NULL};
/* A user's members, in order: what fields= and CSV columns name. */
static const char *const users_columns[] = {"id", "email", "name", "status", "profile", "createdAt", "updatedAt",
	"passwordResetRequired", NULL};
static const char *const users_formats[] = {"json", "csv", NULL};
static const struct query_field users_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "status", .type = QUERY_ENUM, .enum_values = users_status_values},
	{.name = "profileId", .type = QUERY_INTEGER, .min_value = 1, .max_value = INT64_MAX},
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 100},
	{.name = "createdFrom", .type = QUERY_TIMESTAMP},
	{.name = "createdTo", .type = QUERY_TIMESTAMP},
	{.name = "fields", .type = QUERY_LIST, .max_length = 32, .max_value = 8, .enum_values = users_columns},
	{.name = "format", .type = QUERY_ENUM, .enum_values = users_formats},
};
static const struct query_spec users_list_query = QUERY_SPEC(users_list_query_fields);

static const struct route users_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/users", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .query = &users_list_query,
		.handler = users_list},
	{.method = HTTP_POST, .pattern = "/api/v1/users", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .input = &create_input, .handler = users_create},
	{.method = HTTP_GET, .pattern = "/api/v1/users/{id}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = users_get},
	{.method = HTTP_PATCH, .pattern = "/api/v1/users/{id}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .input = &update_input, .handler = users_update},
	{.method = HTTP_DELETE, .pattern = "/api/v1/users/{id}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = users_delete},
	{.method = HTTP_POST, .pattern = "/api/v1/users/{id}/password-reset", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = users_force_reset},
	{.method = HTTP_GET, .pattern = "/api/v1/users/{id}/sessions", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = users_sessions_list},
	{.method = HTTP_DELETE, .pattern = "/api/v1/users/{id}/sessions", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = users_sessions_revoke},
	{.method = HTTP_DELETE, .pattern = "/api/v1/users/{id}/sessions/{sessionId}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = users_sessions_revoke},
};

const struct route_table users_route_table = {
	.module_name = "users",
	.routes = users_routes,
	.route_count = sizeof(users_routes) / sizeof(users_routes[0]),
};

static const struct sort_field users_sort_fields[] = {
	{"created_at", "u.created_at"},
	{"email", "u.email"},
	{"name", "u.display_name"},
};
static const struct sort_whitelist users_sorts = {users_sort_fields, 3, "created_at"};

#define USERS_COLUMNS \
	"SELECT u.user_id, u.email, u.display_name, u.status, u.profile_id, p.name, " \
	"DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(u.updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"u.password_reset_required"
#define USERS_FROM " FROM users u LEFT JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id"
/* Filters: each optional value is bound twice ("? IS NULL OR ..."). */
#define USERS_WHERE \
	" WHERE u.tenant_id = ? AND (? IS NULL OR u.status = ?) AND (? IS NULL OR u.profile_id = ?) " \
	"AND (? IS NULL OR u.email LIKE ? ESCAPE '!' OR u.display_name LIKE ? ESCAPE '!') " \
	"AND (? IS NULL OR u.created_at >= ?) AND (? IS NULL OR u.created_at < ?)"
#define USERS_LIST_SQL(order) \
	USERS_COLUMNS ", COUNT(*) OVER ()" USERS_FROM USERS_WHERE " ORDER BY " order " LIMIT ? OFFSET ?"

enum users_statement {
	USERS_STMT_LIST_CREATED_DESC,
	USERS_STMT_LIST_CREATED_ASC,
	USERS_STMT_LIST_EMAIL_DESC,
	USERS_STMT_LIST_EMAIL_ASC,
	USERS_STMT_LIST_NAME_DESC,
	USERS_STMT_LIST_NAME_ASC,
	USERS_STMT_GET,
	USERS_STMT_INSERT,
	USERS_STMT_PROFILE_EXISTS,
	USERS_STMT_TARGET,
	USERS_STMT_UPDATE,
	USERS_STMT_COUNT,
	USERS_STMT_REQUIRE_RESET,
	USERS_STMT_RESET_RETIRE_ALL,
	USERS_STMT_RESET_INSERT,
	USERS_STMT_EMAIL,
	USERS_STMT__MAX
};

static const struct db_statement_def users_statements[USERS_STMT__MAX] = {
	[USERS_STMT_LIST_CREATED_DESC] = {.name = "users.list_created_desc",
		.sql = USERS_LIST_SQL("u.created_at DESC, u.user_id DESC"),
		.tenant_bound = 1},
	[USERS_STMT_LIST_CREATED_ASC] = {.name = "users.list_created_asc",
		.sql = USERS_LIST_SQL("u.created_at ASC, u.user_id ASC"),
		.tenant_bound = 1},
	[USERS_STMT_LIST_EMAIL_DESC] = {.name = "users.list_email_desc", .sql = USERS_LIST_SQL("u.email DESC"),
		.tenant_bound = 1},
	[USERS_STMT_LIST_EMAIL_ASC] = {.name = "users.list_email_asc", .sql = USERS_LIST_SQL("u.email ASC"),
		.tenant_bound = 1},
	[USERS_STMT_LIST_NAME_DESC] = {.name = "users.list_name_desc",
		.sql = USERS_LIST_SQL("u.display_name DESC, u.user_id DESC"),
		.tenant_bound = 1},
	[USERS_STMT_LIST_NAME_ASC] = {.name = "users.list_name_asc",
		.sql = USERS_LIST_SQL("u.display_name ASC, u.user_id ASC"),
		.tenant_bound = 1},
	[USERS_STMT_GET] = {.name = "users.get",
		.sql = USERS_COLUMNS USERS_FROM " WHERE u.tenant_id = ? AND u.user_id = ?",
		.tenant_bound = 1},
	[USERS_STMT_INSERT] = {.name = "users.insert",
		.sql = "INSERT INTO users (tenant_id, email, display_name, password_hash, profile_id) VALUES (?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[USERS_STMT_PROFILE_EXISTS] = {.name = "users.profile_exists",
		.sql = "SELECT profile_id, permissions FROM profiles WHERE tenant_id = ? AND profile_id = ?",
		.tenant_bound = 1},
	/* What an administrative change needs of its target: its permissions
	 * (the caller must hold them) and the state the audit calls "before". */
	[USERS_STMT_TARGET] = {.name = "users.target",
		.sql = "SELECT u.display_name, u.status, u.profile_id, IFNULL(p.permissions, ''), u.password_reset_required "
		"FROM users u "
		"LEFT JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id "
		"WHERE u.tenant_id = ? AND u.user_id = ?",
		.tenant_bound = 1},
	[USERS_STMT_UPDATE] = {.name = "users.update",
		.sql = "UPDATE users SET display_name = COALESCE(?, display_name), profile_id = COALESCE(?, profile_id), "
		"status = COALESCE(?, status) WHERE tenant_id = ? AND user_id = ?",
		.tenant_bound = 1},
	/* Only when a page past the end comes back empty and COUNT OVER had no row to ride on. */
	[USERS_STMT_COUNT] = {.name = "users.count",
		.sql = "SELECT 0, '', '', '', NULL, NULL, NULL, NULL, 0, COUNT(*)" USERS_FROM USERS_WHERE,
		.tenant_bound = 1},
	[USERS_STMT_REQUIRE_RESET] = {.name = "users.require_reset",
		.sql = "UPDATE users SET password_reset_required = 1 WHERE tenant_id = ? AND user_id = ?", .tenant_bound = 1},
	/* Links still in a mailbox stop working: only the new one does. */
	[USERS_STMT_RESET_RETIRE_ALL] = {.name = "users.reset_retire_all",
		.sql = "UPDATE password_resets SET used_at = NOW(3) WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL",
		.tenant_bound = 1},
	[USERS_STMT_RESET_INSERT] = {.name = "users.reset_insert",
		.sql = "INSERT INTO password_resets (tenant_id, token_hash, user_id, expires_at) "
		"VALUES (?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
		.tenant_bound = 1},
	[USERS_STMT_EMAIL] = {.name = "users.email",
		.sql = "SELECT email FROM users WHERE tenant_id = ? AND user_id = ?", .tenant_bound = 1},
};

const struct statement_table users_statement_table = {"users", users_statements, USERS_STMT__MAX};

static json_object *users_row_to_json(const struct db_row *row)
{
	json_object *user = json_object_new_object();
	json_object_object_add(user, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(user, "email", json_object_new_string(row->values[1]));
	json_object_object_add(user, "name", json_object_new_string(row->values[2]));
	json_object_object_add(user, "status", json_object_new_string(row->values[3]));
	json_object *profile = NULL;
	if (row->values[4] != NULL) {
		profile = json_object_new_object();
		json_object_object_add(profile, "id", json_object_new_int64(strtoll(row->values[4], NULL, 10)));
		json_object_object_add(profile, "name", module_string_or_null(row->values[5]));
	}
	json_object_object_add(user, "profile", profile);
	json_object_object_add(user, "createdAt", module_string_or_null(row->values[6]));
	json_object_object_add(user, "updatedAt", module_string_or_null(row->values[7]));
	json_object_object_add(user, "passwordResetRequired",
		json_object_new_boolean(row->values[8] != NULL && row->values[8][0] == '1'));
	return user;
}

static int users_collect(void *callback_context, const struct db_row *row)
{
	struct module_rows *rows = callback_context;
	if (row->column_count < 9 || row->values[0] == NULL)
		return 0;
	json_object *user = users_row_to_json(row);
	module_rows_take(rows, user, row, 9);
	return 0;
}

/* The filters of one request, bound in USERS_WHERE's order, then limit and offset. */
struct users_query {
	struct db_param params[14];
	const struct db_statement_def *statement;
	char pattern[2 * 100 + 2];
	char from_sql[TIMESTAMP_SQL_SIZE];
	char to_sql[TIMESTAMP_SQL_SIZE];
};
#define USERS_FILTER_PARAMS 12

static int users_fetch(struct request_context *context, void *state, uint64_t limit, uint64_t offset,
	json_object *items, uint64_t *total)
{
	struct users_query *query = state;
	query->params[USERS_FILTER_PARAMS] = DB_INT((int64_t)limit);
	query->params[USERS_FILTER_PARAMS + 1] = DB_INT((int64_t)offset);
	struct module_rows rows = {items, NULL, 0};
	int result = db_query(context->db, query->statement, query->params, USERS_FILTER_PARAMS + 2, users_collect,
		&rows);
	*total = rows.total;
	return result;
}

static void users_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &users_sorts, &page_request, context->response) != 0)
		return;
	/* The route's query spec has checked every parameter's form. */
	const char *status = query_text(context->request, "status");
	int64_t profile_id = query_integer(context->request, "profileId", 0);
	const char *text = query_text(context->request, "q");
	const char *from = query_text(context->request, "createdFrom");
	const char *to = query_text(context->request, "createdTo");
	struct users_query query = {
		.statement = &users_statements[module_sort_statement_index(&users_sorts, &page_request)],
	};
	/* q's length is bounded by the spec, so the pattern always fits. */
	if ((text && list_like_prefix(text, query.pattern, sizeof(query.pattern)) != 0) ||
		(from && timestamp_parse(from, TIMESTAMP_OR_DATE, query.from_sql) != 0) ||
		(to && timestamp_parse(to, TIMESTAMP_OR_DATE, query.to_sql) != 0)) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "List parameters not understood");
		return;
	}
	struct db_param params[USERS_FILTER_PARAMS] = {
		DB_UINT(context->request->auth.tenant_id),
		status ? DB_TEXT(status) : DB_NULL, status ? DB_TEXT(status) : DB_NULL,
		profile_id ? DB_INT(profile_id) : DB_NULL, profile_id ? DB_INT(profile_id) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL,
		from ? DB_TEXT(query.from_sql) : DB_NULL, from ? DB_TEXT(query.from_sql) : DB_NULL,
		to ? DB_TEXT(query.to_sql) : DB_NULL, to ? DB_TEXT(query.to_sql) : DB_NULL,
	};
	memcpy(query.params, params, sizeof(params));
	struct list_export export = {.file_name = "users", .columns = users_columns, .fetch = users_fetch,
		.state = &query};
	if (list_export_select_or_reply(context, users_columns, &export.selected) != 0)
		return;
	if (list_export_wanted(context)) {
		list_export_csv(context, &export);
		return;
	}
	json_object *items = json_object_new_array();
	uint64_t total = 0;
	int result = users_fetch(context, &query, page_request.limit, pagination_offset(&page_request), items, &total);
	if (result == DB_OK && json_object_array_length(items) == 0 && page_request.page > 1) {
		struct module_rows count = {NULL, NULL, 0};
		result = db_query(context->db, &users_statements[USERS_STMT_COUNT], query.params, USERS_FILTER_PARAMS,
			users_collect, &count);
		if (count.single)
			json_object_put(count.single);
		total = count.total;
	}
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "users list");
		return;
	}
	list_export_pick(items, users_columns, export.selected);
	response_list(context->response, items, pagination_block(&page_request, total), "Users");
	respond_tag_list(context);
}

/* Loads one user as JSON into *out (NULL when not in this tenant). */
static int users_load(struct request_context *context, uint64_t user_id, json_object **out)
{
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(user_id)};
	struct module_rows rows = {NULL, NULL, 0};
	int result = db_query(context->db, &users_statements[USERS_STMT_GET], params, 2, users_collect, &rows);
	*out = rows.single;
	return result;
}

struct users_profile_row {
	int found;
	char permissions[RBAC_PERMISSIONS_TEXT_MAX];
};

static int users_read_profile(void *callback_context, const struct db_row *row)
{
	struct users_profile_row *out = callback_context;
	if (row->column_count == 2 && row->values[1] != NULL) {
		out->found = 1;
		snprintf(out->permissions, sizeof(out->permissions), "%s", row->values[1]);
	}
	return 0;
}

/* 0 when profile_id is a profile of this tenant whose permissions the
 * caller holds every one of; otherwise -1 after answering (422 for no such
 * profile, 403 naming what the caller lacks). */
static int users_check_grantable_or_reply(struct request_context *context, int64_t profile_id)
{
	struct users_profile_row profile = {0};
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_INT(profile_id)};
	int result = db_query(context->db, &users_statements[USERS_STMT_PROFILE_EXISTS], params, 2, users_read_profile,
		&profile);
	if (result != DB_OK) {
		respond_db_failure(context, result, "users profile");
		return -1;
	}
	if (!profile.found) {
		response_error(context->response, STATUS_UNPROCESSABLE, "Profile does not exist");
		response_add_detail(context->response, "profileId", "no such profile in this tenant");
		return -1;
	}
	char missing[RBAC_PERMISSIONS_TEXT_MAX];
	if (rbac_list_missing(context->request->auth.permissions, profile.permissions, missing, sizeof(missing)) > 0) {
		response_error(context->response, STATUS_FORBIDDEN, "You cannot grant permissions you do not hold");
		response_add_detail(context->response, "profileId", "the profile holds %.900s, which you do not", missing);
		return -1;
	}
	return 0;
}

/* A user as an administrative change finds them. */
struct users_target {
	int found;
	char name[201];
	char status[16];
	int64_t profile_id;
	char permissions[RBAC_PERMISSIONS_TEXT_MAX];
	int password_reset_required;
};

static int users_read_target(void *callback_context, const struct db_row *row)
{
	struct users_target *out = callback_context;
	if (row->column_count != 5 || row->values[1] == NULL)
		return 0;
	out->found = 1;
	out->password_reset_required = row->values[4] != NULL && row->values[4][0] == '1';
	snprintf(out->name, sizeof(out->name), "%s", row->values[0] ? row->values[0] : "");
	snprintf(out->status, sizeof(out->status), "%s", row->values[1]);
	out->profile_id = row->values[2] ? strtoll(row->values[2], NULL, 10) : 0;
	snprintf(out->permissions, sizeof(out->permissions), "%s", row->values[3] ? row->values[3] : "");
	return 0;
}

/* 0 with target filled when user_id is a user of this tenant whose
 * permissions the caller holds; otherwise -1 after answering (404, or 403
 * naming what the caller lacks). */
static int users_load_administrable_or_reply(struct request_context *context, uint64_t user_id,
	struct users_target *target)
{
	memset(target, 0, sizeof(*target));
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(user_id)};
	int result = user_id ? db_query(context->db, &users_statements[USERS_STMT_TARGET], params, 2, users_read_target,
				       target)
			     : DB_OK;
	if (result != DB_OK) {
		respond_db_failure(context, result, "users target");
		return -1;
	}
	if (!target->found) {
		module_not_found(context, "User");
		return -1;
	}
	char missing[RBAC_PERMISSIONS_TEXT_MAX];
	if (rbac_list_missing(context->request->auth.permissions, target->permissions, missing, sizeof(missing)) > 0) {
		response_error(context->response, STATUS_FORBIDDEN,
			"You cannot administer a user who holds permissions you do not hold");
		response_add_detail(context->response, "id", "the user holds %.900s, which you do not", missing);
		return -1;
	}
	return 0;
}

/* {"name", "profileId", "status"} of a user, for the audit's before and after. */
static json_object *users_state_json(const char *name, int64_t profile_id, const char *status)
{
	json_object *state = json_object_new_object();
	json_object_object_add(state, "name", json_object_new_string(name));
	json_object_object_add(state, "profileId", profile_id ? json_object_new_int64(profile_id) : NULL);
	json_object_object_add(state, "status", json_object_new_string(status));
	return state;
}

/* details: {"before": ..., "after": ...} (either may be NULL; both are taken), as text. */
static void users_change_details(json_object *before, json_object *after, char *out, size_t out_size)
{
	json_object *details = json_object_new_object();
	if (before != NULL)
		json_object_object_add(details, "before", before);
	if (after != NULL)
		json_object_object_add(details, "after", after);
	snprintf(out, out_size, "%s", json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
}

/* The audit entry of a change to target_user_id, in the caller's
 * transaction (so it commits with the change). Returns a db_result. */
static int users_audit_in_transaction(struct request_context *context, const char *action, uint64_t target_user_id,
	const char *details)
{
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)target_user_id);
	const struct auth_context *auth = &context->request->auth;
	struct audit_event event = {.tenant_id = auth->tenant_id, .actor_user_id = auth->user_id, .action = action,
		.outcome = "success", .target_type = "user", .target_id = target,
		.client_address = context->request->remote_addr, .request_id = context->request->request_id,
		.details = details};
	return audit_record(context->db, &event);
}

struct users_email {
	char *out;
	size_t out_size;
};

static int users_copy_email(void *callback_context, const struct db_row *row)
{
	struct users_email *email = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL)
		snprintf(email->out, email->out_size, "%s", row->values[0]);
	return 0;
}

static int users_read_email(struct request_context *context, uint64_t user_id, char *out, size_t out_size)
{
	struct users_email email = {.out = out, .out_size = out_size};
	out[0] = '\0';
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(user_id)};
	return db_query(context->db, &users_statements[USERS_STMT_EMAIL], key, 2, users_copy_email, &email);
}

static void users_audit(struct request_context *context, const char *action, uint64_t target_user_id,
	const char *details)
{
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)target_user_id);
	const struct auth_context *auth = &context->request->auth;
	struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", "user", target,
		context->request->remote_addr, context->request->request_id, details};
	if (audit_record(context->db, &event) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "audit write failed for %s", action);
}

static void users_create(struct request_context *context)
{
	char email[IDENTIFIER_EMAIL_MAX + 1];
	identifier_lowercase(input_string(context->request, "email"), email, sizeof(email));
	int64_t profile_id = input_integer(context->request, "profileId", 0);
	if (users_check_grantable_or_reply(context, profile_id) != 0)
		return;
	char hash[PASSWORD_HASH_TEXT_MAX];
	if (module_password_hash_or_reply(context, input_string(context->request, "password"), hash, sizeof(hash)) != 0)
		return;
	uint64_t user_id = 0;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(email),
		DB_TEXT(input_string(context->request, "name")), DB_TEXT(hash), DB_INT(profile_id)};
	int result = db_exec(context->db, &users_statements[USERS_STMT_INSERT], params, 5, NULL, &user_id);
	if (result == DB_DUPLICATE) {
		response_error(context->response, STATUS_CONFLICT, "A user with this email already exists");
		response_add_detail(context->response, "email", "is already taken in this tenant");
		return;
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "users create");
		return;
	}
	char details[1000];
	json_object *created = users_state_json(input_string(context->request, "name"), profile_id, "active");
	json_object_object_add(created, "email", json_object_new_string(email));
	users_change_details(NULL, created, details, sizeof(details));
	users_audit(context, "user.create", user_id, details);
	json_object *user = NULL;
	result = users_load(context, user_id, &user);
	if (result != DB_OK || user == NULL) {
		if (user)
			json_object_put(user);
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, "users create");
		return;
	}
	response_ok(context->response, STATUS_CREATED, user, "User created");
}

static void users_get(struct request_context *context)
{
	uint64_t user_id = module_path_id(context, "id");
	json_object *user = NULL;
	int result = user_id ? users_load(context, user_id, &user) : DB_OK;
	if (result != DB_OK) {
		respond_db_failure(context, result, "users get");
		return;
	}
	if (user == NULL) {
		module_not_found(context, "User");
		return;
	}
	response_ok(context->response, STATUS_OK, user, "User");
}

/* Applies name/profile/status; status "deactivated" also ends sessions. */
static void users_apply_update(struct request_context *context, uint64_t user_id, const char *name,
	const int64_t *profile_id, const char *status, const char *action)
{
	const struct auth_context *auth = &context->request->auth;
	if (user_id == auth->user_id && ((status != NULL && strcmp(status, "active") != 0) || profile_id != NULL)) {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"You cannot deactivate yourself or change your own profile");
		return;
	}
	struct users_target before;
	if (users_load_administrable_or_reply(context, user_id, &before) != 0)
		return;
	if (profile_id != NULL && users_check_grantable_or_reply(context, *profile_id) != 0)
		return;
	char details[1000];
	users_change_details(users_state_json(before.name, before.profile_id, before.status),
		users_state_json(name ? name : before.name, profile_id ? *profile_id : before.profile_id,
			status ? status : before.status),
		details, sizeof(details));
	struct db_param params[] = {name ? DB_TEXT(name) : DB_NULL, profile_id ? DB_INT(*profile_id) : DB_NULL,
		status ? DB_TEXT(status) : DB_NULL, DB_UINT(auth->tenant_id), DB_UINT(user_id)};
	uint64_t revoked = 0;
	int result;
	/* The change and its audit entry commit together. */
	if ((result = db_begin(context->db)) == DB_OK &&
		(result = db_exec(context->db, &users_statements[USERS_STMT_UPDATE], params, 5, NULL, NULL)) == DB_OK &&
		(status == NULL || strcmp(status, "deactivated") != 0 ||
			(result = session_revoke_user(context->db, auth->tenant_id, user_id, 0, "deactivated", &revoked)) ==
				DB_OK) &&
		(result = users_audit_in_transaction(context, action, user_id, details)) == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "users update");
		return;
	}
	json_object *user = NULL;
	if ((result = users_load(context, user_id, &user)) != DB_OK || user == NULL) {
		if (user)
			json_object_put(user);
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, "users update");
		return;
	}
	response_ok(context->response, STATUS_OK, user, "User updated");
}

static void users_update(struct request_context *context)
{
	uint64_t user_id = module_path_id(context, "id");
	if (user_id == 0) {
		module_not_found(context, "User");
		return;
	}
	const char *status = input_string(context->request, "status");
	if (status != NULL && strcmp(status, "active") != 0 && strcmp(status, "deactivated") != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "status", "must be active or deactivated");
		return;
	}
	int64_t profile_id = input_integer(context->request, "profileId", 0);
	users_apply_update(context, user_id, input_string(context->request, "name"), profile_id ? &profile_id : NULL,
		status, "user.update");
}

static void users_delete(struct request_context *context)
{
	uint64_t user_id = module_path_id(context, "id");
	if (user_id == 0) {
		module_not_found(context, "User");
		return;
	}
	/* Users are deactivated, not erased: the audit trail keeps naming them. */
	users_apply_update(context, user_id, NULL, NULL, "deactivated", "user.deactivate");
	if (status_is_success(context->response->status))
		snprintf(context->response->message, sizeof(context->response->message), "User deactivated");
}

/* An administrator makes a user choose a new password: the current one
 * stops working, every session ends, and a link valid 72 hours is mailed
 * (the same reset token POST /auth/password/reset takes). For one's own
 * password there is /auth/password/change. */
static void users_force_reset(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t user_id = module_path_id(context, "id");
	if (user_id != 0 && user_id == auth->user_id) {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"Use /auth/password/change for your own password");
		return;
	}
	struct users_target target;
	if (users_load_administrable_or_reply(context, user_id, &target) != 0)
		return;
	if (strcmp(target.status, "active") != 0) {
		response_error(context->response, STATUS_UNPROCESSABLE, "The user is deactivated; reactivate them first");
		return;
	}
	char token[SECRET_TOKEN_TEXT_MAX];
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(USERS_RESET_PREFIX, auth->tenant_id, token, sizeof(token), hash) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		return;
	}
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_UINT(user_id)};
	struct db_param insert[] = {DB_UINT(auth->tenant_id), DB_BLOB(hash, sizeof(hash)), DB_UINT(user_id),
		DB_INT(ACCOUNT_LINK_TTL_S)};
	uint64_t revoked = 0;
	char details[256];
	snprintf(details, sizeof(details),
		"{\"before\":{\"passwordResetRequired\":%s},\"after\":{\"passwordResetRequired\":true},\"revokedSessions\":",
		target.password_reset_required ? "true" : "false");
	char email[IDENTIFIER_EMAIL_MAX + 1], tenant_name[201], tenant_slug[IDENTIFIER_SLUG_MAX + 1];
	int result;
	if ((result = db_begin(context->db)) == DB_OK &&
		(result = db_exec(context->db, &users_statements[USERS_STMT_REQUIRE_RESET], key, 2, NULL, NULL)) == DB_OK &&
		(result = db_exec(context->db, &users_statements[USERS_STMT_RESET_RETIRE_ALL], key, 2, NULL, NULL)) == DB_OK &&
		(result = db_exec(context->db, &users_statements[USERS_STMT_RESET_INSERT], insert, 4, NULL, NULL)) == DB_OK &&
		(result = session_revoke_user(context->db, auth->tenant_id, user_id, 0, "password_reset_forced", &revoked)) ==
			DB_OK &&
		(result = users_read_email(context, user_id, email, sizeof(email))) == DB_OK &&
		(result = invitation_tenant_names(context->db, auth->tenant_id, tenant_name, sizeof(tenant_name), tenant_slug,
			 sizeof(tenant_slug))) == DB_OK) {
		size_t used = strlen(details);
		snprintf(details + used, sizeof(details) - used, "%llu}", (unsigned long long)revoked);
		if ((result = users_audit_in_transaction(context, "user.password_reset_forced", user_id, details)) == DB_OK)
			result = db_commit(context->db);
	}
	if (result != DB_OK) {
		explicit_bzero(token, sizeof(token));
		respond_db_failure(context, result, "users force reset");
		return;
	}
	account_mail_later(context, ACCOUNT_MAIL_FORCED_RESET, email, token, tenant_name, tenant_slug);
	explicit_bzero(token, sizeof(token));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "revokedSessions", json_object_new_int64((int64_t)revoked));
	response_ok(context->response, STATUS_OK, data, "Password reset required; a link was mailed to the user");
}

struct users_session_listing {
	json_object *items;
	uint64_t current_session_id;
};

static void users_add_session(void *callback_context, const struct session_info *session)
{
	struct users_session_listing *listing = callback_context;
	json_object *item = json_object_new_object();
	json_object_object_add(item, "id", json_object_new_int64((int64_t)session->session_id));
	json_object_object_add(item, "device", json_object_new_string(session->device));
	json_object_object_add(item, "address", json_object_new_string(session->client_address));
	json_object_object_add(item, "createdAt", json_object_new_string(session->created_at));
	json_object_object_add(item, "lastUsedAt", json_object_new_string(session->last_used_at));
	json_object_object_add(item, "expiresAt", json_object_new_string(session->expires_at));
	json_object_object_add(item, "current", json_object_new_boolean(session->session_id == listing->current_session_id));
	json_object_array_add(listing->items, item);
}

/* Reading a user's sessions needs users.manage only, as reading the user does. */
static void users_sessions_list(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t user_id = module_path_id(context, "id");
	json_object *user = NULL;
	int result = user_id ? users_load(context, user_id, &user) : DB_OK;
	if (result != DB_OK || user == NULL) {
		if (result != DB_OK)
			respond_db_failure(context, result, "users sessions");
		else
			module_not_found(context, "User");
		return;
	}
	json_object_put(user);
	struct users_session_listing listing = {.items = json_object_new_array(),
		.current_session_id = user_id == auth->user_id ? auth->session_id : 0};
	result = session_list(context->db, auth->tenant_id, user_id, users_add_session, &listing);
	if (result != DB_OK) {
		json_object_put(listing.items);
		respond_db_failure(context, result, "users sessions");
		return;
	}
	response_ok(context->response, STATUS_OK, listing.items, "Sessions");
}

/* DELETE /users/{id}/sessions/{sessionId}: one session; without a session
 * id, every session of the user (the caller's own current one excepted). */
static void users_sessions_revoke(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t user_id = module_path_id(context, "id");
	int one = request_path_param(context->request, "sessionId") != NULL;
	uint64_t session_id = one ? module_path_id(context, "sessionId") : 0;
	struct users_target target;
	if (users_load_administrable_or_reply(context, user_id, &target) != 0)
		return;
	if (one && session_id == 0) {
		module_not_found(context, "Session");
		return;
	}
	uint64_t revoked = 0;
	char details[128];
	int result = db_begin(context->db);
	if (result == DB_OK && one) {
		result = session_revoke_own(context->db, auth->tenant_id, user_id, session_id, "revoked_by_admin", &revoked);
		if (result == DB_OK && revoked == 0) {
			module_not_found(context, "Session");
			return;
		}
		snprintf(details, sizeof(details), "{\"sessionId\":%llu}", (unsigned long long)session_id);
	} else if (result == DB_OK) {
		result = session_revoke_user(context->db, auth->tenant_id, user_id,
			user_id == auth->user_id ? auth->session_id : 0, "revoked_by_admin", &revoked);
		snprintf(details, sizeof(details), "{\"revokedSessions\":%llu}", (unsigned long long)revoked);
	}
	if (result == DB_OK)
		result = users_audit_in_transaction(context, one ? "user.session_revoke" : "user.sessions_revoke", user_id,
			details);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "users sessions revoke");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "revokedSessions", json_object_new_int64((int64_t)revoked));
	response_ok(context->response, STATUS_OK, data, one ? "Session revoked" : "Sessions revoked");
}

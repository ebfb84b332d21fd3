/* Operator API: the installation's operator runs tenants without shell
 * access, with the operator key of the secrets file (never a tenant's
 * token): create a tenant with its first Tenant Admin invited by mail, list
 * and read tenants, suspend and reactivate them, export a tenant table by
 * table as JSON lines, delete a suspended tenant (export first, then erase,
 * reported per table), and read the operator's audit log. Without an
 * operator key configured these routes answer 404 (flow/pipeline.c). */
#include "auth/audit.h"
#include "core/config.h"
#include "core/identifiers.h"
#include "core/log.h"
#include "db/db.h"
#include "handler/context.h"
#include "handler/list_export.h"
#include "handler/respond.h"
#include "handler/stream.h"
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
#include "modules/tenant_lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void operator_tenants_list(struct request_context *context);
static void operator_tenants_create(struct request_context *context);
static void operator_tenants_get(struct request_context *context);
static void operator_tenants_suspend(struct request_context *context);
static void operator_tenants_reactivate(struct request_context *context);
static void operator_tenants_delete(struct request_context *context);
static void operator_export_index(struct request_context *context);
static void operator_export_table(struct request_context *context);
static void operator_audit_list(struct request_context *context);

static const struct field_spec create_fields[] = {
	{.name = "slug", .type = FIELD_SLUG, .required = 1, .min_length = 1, .max_length = IDENTIFIER_SLUG_MAX},
	{.name = "name", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = TENANT_NAME_MAX},
	{.name = "adminEmail", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = IDENTIFIER_EMAIL_MAX},
	{.name = "adminName", .type = FIELD_STRING, .max_length = 200},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

static const struct field_spec suspend_fields[] = {
	{.name = "reason", .type = FIELD_STRING, .max_length = TENANT_REASON_MAX},
};
static const struct input_spec suspend_input = INPUT_SPEC_BODY_OPTIONAL(suspend_fields);

static const char *const operator_status_values[] = {"active", "suspended", NULL};
/* A tenant's members, in order: what fields= and CSV columns name. */
static const char *const operator_tenant_columns[] = {"id", "slug", "name", "status", "statusReason", "createdAt",
	"statusChangedAt", "activeUsers", NULL};
static const char *const operator_formats[] = {"json", "csv", NULL};
static const struct query_field tenants_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "status", .type = QUERY_ENUM, .enum_values = operator_status_values},
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 100},
	{.name = "fields", .type = QUERY_LIST, .max_length = 32, .max_value = 8, .enum_values = operator_tenant_columns},
	{.name = "format", .type = QUERY_ENUM, .enum_values = operator_formats},
};
static const struct query_spec tenants_list_query = QUERY_SPEC(tenants_list_query_fields);

static const struct query_field delete_query_fields[] = {
	{.name = "confirm", .type = QUERY_TEXT, .min_length = 1, .max_length = IDENTIFIER_SLUG_MAX},
};
static const struct query_spec delete_query = QUERY_SPEC(delete_query_fields);

static const struct query_field audit_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "action", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},
	{.name = "from", .type = QUERY_TIMESTAMP},
	{.name = "to", .type = QUERY_TIMESTAMP},
};
static const struct query_spec audit_query = QUERY_SPEC(audit_query_fields);

static const struct route operator_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/operator/tenants", .credentials = ROUTE_CRED_OPERATOR,
		.query = &tenants_list_query, .handler = operator_tenants_list},
	{.method = HTTP_POST, .pattern = "/api/v1/operator/tenants", .credentials = ROUTE_CRED_OPERATOR,
		.input = &create_input, .handler = operator_tenants_create},
	{.method = HTTP_GET, .pattern = "/api/v1/operator/tenants/{id}", .credentials = ROUTE_CRED_OPERATOR,
		.handler = operator_tenants_get},
	{.method = HTTP_DELETE, .pattern = "/api/v1/operator/tenants/{id}", .credentials = ROUTE_CRED_OPERATOR,
		.query = &delete_query, .handler = operator_tenants_delete},
	{.method = HTTP_POST, .pattern = "/api/v1/operator/tenants/{id}/suspend", .credentials = ROUTE_CRED_OPERATOR,
		.input = &suspend_input, .handler = operator_tenants_suspend},
	{.method = HTTP_POST, .pattern = "/api/v1/operator/tenants/{id}/reactivate", .credentials = ROUTE_CRED_OPERATOR,
		.input = &input_no_body, .handler = operator_tenants_reactivate},
	{.method = HTTP_GET, .pattern = "/api/v1/operator/tenants/{id}/export", .credentials = ROUTE_CRED_OPERATOR,
		.handler = operator_export_index},
	{.method = HTTP_GET, .pattern = "/api/v1/operator/tenants/{id}/export/{table}", .credentials = ROUTE_CRED_OPERATOR,
		.handler = operator_export_table},
	{.method = HTTP_GET, .pattern = "/api/v1/operator/audit", .credentials = ROUTE_CRED_OPERATOR,
		.query = &audit_query, .handler = operator_audit_list},
};

const struct route_table operator_route_table = {
	.module_name = "operator",
	.routes = operator_routes,
	.route_count = sizeof(operator_routes) / sizeof(operator_routes[0]),
};

static const struct sort_field operator_sort_fields[] = {
	{"created_at", "t.created_at"},
	{"slug", "t.slug"},
};
static const struct sort_whitelist operator_sorts = {operator_sort_fields, 2, "created_at"};

static const struct sort_field operator_audit_sort_fields[] = {
	{"created_at", "occurred_at"},
};
static const struct sort_whitelist operator_audit_sorts = {operator_audit_sort_fields, 1, "created_at"};

#define OPERATOR_TIME(column) "DATE_FORMAT(" column ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define OPERATOR_TENANT_COLUMNS                                                                                    \
	"SELECT t.tenant_id, t.slug, t.name, t.status, t.status_reason, " OPERATOR_TIME("t.created_at") ", "        \
	OPERATOR_TIME("t.status_changed_at") ", "                                                                   \
	"(SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.tenant_id AND u.status = 'active')"
#define OPERATOR_TENANTS_WHERE                                                                                    \
	" WHERE (? IS NULL OR t.status = ?) AND (? IS NULL OR t.slug LIKE ? ESCAPE '!' OR t.name LIKE ? ESCAPE '!')"
#define OPERATOR_TENANTS_LIST_SQL(order)                                                                          \
	OPERATOR_TENANT_COLUMNS ", COUNT(*) OVER () FROM tenants t" OPERATOR_TENANTS_WHERE " ORDER BY " order         \
	" LIMIT ? OFFSET ?"
#define OPERATOR_AUDIT_WHERE                                                                                      \
	" WHERE tenant_id = ? AND (? IS NULL OR action = ?) AND (? IS NULL OR occurred_at >= ?) "                  \
	"AND (? IS NULL OR occurred_at < ?)"
#define OPERATOR_AUDIT_SQL(order)                                                                                 \
	"SELECT audit_id, " OPERATOR_TIME("occurred_at") ", action, outcome, target_type, target_id, client_address, " \
	"request_id, details, COUNT(*) OVER () FROM audit_log" OPERATOR_AUDIT_WHERE " ORDER BY " order              \
	" LIMIT ? OFFSET ?"

enum operator_statement {
	OPERATOR_STMT_LIST_CREATED_DESC,
	OPERATOR_STMT_LIST_CREATED_ASC,
	OPERATOR_STMT_LIST_SLUG_DESC,
	OPERATOR_STMT_LIST_SLUG_ASC,
	OPERATOR_STMT_COUNT,
	OPERATOR_STMT_GET,
	OPERATOR_STMT_AUDIT_DESC,
	OPERATOR_STMT_AUDIT_ASC,
	OPERATOR_STMT__MAX
};

/* The list spans every tenant: it is the operator's, and test_statements.c
 * lists it with that reason. One tenant is read bound to its id. The audit
 * log is tenant 0's, bound as such. */
static const struct db_statement_def operator_statements[OPERATOR_STMT__MAX] = {
	[OPERATOR_STMT_LIST_CREATED_DESC] = {.name = "operator.tenants_list",
		.sql = OPERATOR_TENANTS_LIST_SQL("t.created_at DESC, t.tenant_id DESC"), .tenant_bound = 0},
	[OPERATOR_STMT_LIST_CREATED_ASC] = {.name = "operator.tenants_list_created_asc",
		.sql = OPERATOR_TENANTS_LIST_SQL("t.created_at ASC, t.tenant_id ASC"), .tenant_bound = 0},
	[OPERATOR_STMT_LIST_SLUG_DESC] = {.name = "operator.tenants_list_slug_desc",
		.sql = OPERATOR_TENANTS_LIST_SQL("t.slug DESC"), .tenant_bound = 0},
	[OPERATOR_STMT_LIST_SLUG_ASC] = {.name = "operator.tenants_list_slug_asc",
		.sql = OPERATOR_TENANTS_LIST_SQL("t.slug ASC"), .tenant_bound = 0},
	/* Only when a page past the end comes back empty. */
	[OPERATOR_STMT_COUNT] = {.name = "operator.tenants_count",
		.sql = "SELECT COUNT(*) FROM tenants t" OPERATOR_TENANTS_WHERE, .tenant_bound = 0},
	[OPERATOR_STMT_GET] = {.name = "operator.tenants_get",
		.sql = OPERATOR_TENANT_COLUMNS " FROM tenants t WHERE t.tenant_id = ?", .tenant_bound = 1},
	[OPERATOR_STMT_AUDIT_DESC] = {.name = "operator.audit_desc",
		.sql = OPERATOR_AUDIT_SQL("occurred_at DESC, audit_id DESC"), .tenant_bound = 1},
	[OPERATOR_STMT_AUDIT_ASC] = {.name = "operator.audit_asc",
		.sql = OPERATOR_AUDIT_SQL("occurred_at ASC, audit_id ASC"), .tenant_bound = 1},
};

const struct statement_table operator_statement_table = {
	.module_name = "operator",
	.statements = operator_statements,
	.statement_count = OPERATOR_STMT__MAX,
};

/* Who the audit log names for the operator API. */
static void operator_actor(struct request_context *context, struct tenant_actor *actor)
{
	*actor = (struct tenant_actor){.who = "operator",
		.client_address = context->request->remote_addr ? context->request->remote_addr : "",
		.request_id = context->request->request_id};
}

static json_object *operator_tenant_json(const struct db_row *row)
{
	json_object *tenant = json_object_new_object();
	json_object_object_add(tenant, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(tenant, "slug", module_string_or_null(row->values[1]));
	json_object_object_add(tenant, "name", module_string_or_null(row->values[2]));
	json_object_object_add(tenant, "status", module_string_or_null(row->values[3]));
	json_object_object_add(tenant, "statusReason", json_object_new_string(row->values[4] ? row->values[4] : ""));
	json_object_object_add(tenant, "createdAt", module_string_or_null(row->values[5]));
	json_object_object_add(tenant, "statusChangedAt", module_string_or_null(row->values[6]));
	json_object_object_add(tenant, "activeUsers",
		json_object_new_int64(row->values[7] ? strtoll(row->values[7], NULL, 10) : 0));
	return tenant;
}

static int operator_collect_tenants(void *callback_context, const struct db_row *row)
{
	struct module_rows *rows = callback_context;
	if (row->column_count < 8 || row->values[0] == NULL)
		return 0;
	json_object *tenant = operator_tenant_json(row);
	module_rows_take(rows, tenant, row, 8);
	return 0;
}

/* The filters of one request, bound in OPERATOR_TENANTS_WHERE's order, then limit and offset. */
struct operator_tenants_query {
	struct db_param params[7];
	const struct db_statement_def *statement;
	char pattern[2 * 100 + 2];
};

static int operator_tenants_fetch(struct request_context *context, void *state, uint64_t limit, uint64_t offset,
	json_object *items, uint64_t *total)
{
	struct operator_tenants_query *query = state;
	query->params[5] = DB_INT((int64_t)limit);
	query->params[6] = DB_INT((int64_t)offset);
	struct module_rows rows = {.items = items};
	int result = db_query(context->db, query->statement, query->params, 7, operator_collect_tenants, &rows);
	*total = rows.total;
	return result;
}

static void operator_tenants_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &operator_sorts, &page_request, context->response) != 0)
		return;
	/* The route's query spec has checked every parameter's form. */
	const char *status = query_text(context->request, "status");
	const char *text = query_text(context->request, "q");
	struct operator_tenants_query query = {
		.statement = &operator_statements[module_sort_statement_index(&operator_sorts, &page_request)],
	};
	/* q's length is bounded by the spec, so the pattern always fits. */
	if (text && list_like_prefix(text, query.pattern, sizeof(query.pattern)) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "List parameters not understood");
		return;
	}
	struct db_param params[] = {
		status ? DB_TEXT(status) : DB_NULL, status ? DB_TEXT(status) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL,
	};
	memcpy(query.params, params, sizeof(params));
	struct list_export export = {.file_name = "tenants", .columns = operator_tenant_columns,
		.fetch = operator_tenants_fetch, .state = &query};
	if (list_export_select_or_reply(context, operator_tenant_columns, &export.selected) != 0)
		return;
	if (list_export_wanted(context)) {
		list_export_csv(context, &export);
		return;
	}
	json_object *items = json_object_new_array();
	uint64_t total = 0;
	int result = operator_tenants_fetch(context, &query, page_request.limit, pagination_offset(&page_request), items,
		&total);
	if (result == DB_OK && json_object_array_length(items) == 0 && page_request.page > 1)
		result = db_query(context->db, &operator_statements[OPERATOR_STMT_COUNT], query.params, 5, module_read_uint64,
			&total);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "operator tenants list");
		return;
	}
	list_export_pick(items, operator_tenant_columns, export.selected);
	response_list(context->response, items, pagination_block(&page_request, total), "Tenants");
	respond_tag_list(context);
}

/* The tenant as JSON into *out (NULL when there is none). */
static int operator_load(struct request_context *context, uint64_t tenant_id, json_object **out)
{
	struct db_param params[] = {DB_UINT(tenant_id)};
	struct module_rows rows = {0};
	int result = tenant_id ? db_query(context->db, &operator_statements[OPERATOR_STMT_GET], params, 1,
					 operator_collect_tenants, &rows)
			       : DB_OK;
	*out = rows.single;
	return result;
}

static void operator_respond_tenant(struct request_context *context, uint64_t tenant_id, enum status status,
	const char *message, json_object *invitation)
{
	json_object *tenant = NULL;
	int result = operator_load(context, tenant_id, &tenant);
	if (result != DB_OK || tenant == NULL) {
		if (tenant)
			json_object_put(tenant);
		if (invitation)
			json_object_put(invitation);
		if (result != DB_OK)
			respond_db_failure(context, result, "operator tenant");
		else
			module_not_found(context, "Tenant");
		return;
	}
	if (invitation != NULL)
		json_object_object_add(tenant, "invitation", invitation);
	response_ok(context->response, status, tenant, message);
}

/* A tenant and its first Tenant Admin, invited by mail: nobody ever holds
 * a password for them but themselves. */
static void operator_tenants_create(struct request_context *context)
{
	const char *slug = input_string(context->request, "slug");
	const char *name = input_string(context->request, "name");
	char email[IDENTIFIER_EMAIL_MAX + 1];
	identifier_lowercase(input_string(context->request, "adminEmail"), email, sizeof(email));
	const char *admin_name = input_string(context->request, "adminName");
	struct tenant_actor actor;
	operator_actor(context, &actor);
	struct tenant_summary created;
	uint64_t admin_profile_id = 0, invitation_id = 0;
	int duplicate = 0;
	char token[SECRET_TOKEN_TEXT_MAX];
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = tenant_lifecycle_create(context->db, slug, name, &actor, &created, &admin_profile_id, &duplicate);
	if (result == DB_OK && duplicate) {
		response_error(context->response, STATUS_CONFLICT, "A tenant with this slug already exists");
		response_add_detail(context->response, "slug", "is already taken");
		return;
	}
	if (result == DB_OK && admin_profile_id == 0)
		result = DB_ERROR;
	if (result == DB_OK &&
		invitation_issue(context->db, created.tenant_id, email, admin_name ? admin_name : "", admin_profile_id, 0,
			token, &invitation_id, &result) != INVITATION_OK && result == DB_OK)
		result = DB_ERROR; /* a new tenant has no users nor invitations */
	if (result == DB_OK) {
		char details[600];
		json_object *state = json_object_new_object();
		json_object *after = json_object_new_object();
		json_object_object_add(after, "email", json_object_new_string(email));
		json_object_object_add(after, "profileId", json_object_new_int64((int64_t)admin_profile_id));
		json_object_object_add(after, "status", json_object_new_string("pending"));
		json_object_object_add(state, "by", json_object_new_string(actor.who));
		json_object_object_add(state, "after", after);
		snprintf(details, sizeof(details), "%s", json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN));
		json_object_put(state);
		char target[24];
		snprintf(target, sizeof(target), "%llu", (unsigned long long)invitation_id);
		struct audit_event event = {.tenant_id = created.tenant_id, .action = "invitation.create",
			.outcome = "success", .target_type = "invitation", .target_id = target,
			.client_address = actor.client_address, .request_id = actor.request_id, .details = details};
		result = audit_record(context->db, &event);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		explicit_bzero(token, sizeof(token));
		respond_db_failure(context, result, "operator tenant create");
		return;
	}
	account_mail_later(context, ACCOUNT_MAIL_INVITATION, email, token, name, slug);
	explicit_bzero(token, sizeof(token));
	json_object *invitation = json_object_new_object();
	json_object_object_add(invitation, "id", json_object_new_int64((int64_t)invitation_id));
	json_object_object_add(invitation, "email", json_object_new_string(email));
	json_object_object_add(invitation, "profileId", json_object_new_int64((int64_t)admin_profile_id));
	json_object_object_add(invitation, "status", json_object_new_string("pending"));
	operator_respond_tenant(context, created.tenant_id, STATUS_CREATED, "Tenant created; its admin is invited",
		invitation);
}

static void operator_tenants_get(struct request_context *context)
{
	operator_respond_tenant(context, module_path_id(context, "id"), STATUS_OK, "Tenant", NULL);
}

static void operator_set_status(struct request_context *context, const char *status, const char *reason)
{
	uint64_t tenant_id = module_path_id(context, "id");
	if (tenant_id == 0) {
		module_not_found(context, "Tenant");
		return;
	}
	struct tenant_actor actor;
	operator_actor(context, &actor);
	struct tenant_summary before, after;
	int found = 0;
	int result = tenant_lifecycle_set_status(context->db, tenant_id, status, reason, &actor, &before, &after, &found);
	if (result != DB_OK) {
		respond_db_failure(context, result, "operator tenant status");
		return;
	}
	if (!found) {
		module_not_found(context, "Tenant");
		return;
	}
	operator_respond_tenant(context, tenant_id, STATUS_OK,
		strcmp(before.status, after.status) == 0 ? "Tenant unchanged"
		: strcmp(status, "suspended") == 0       ? "Tenant suspended"
							 : "Tenant reactivated",
		NULL);
}

static void operator_tenants_suspend(struct request_context *context)
{
	const char *reason = input_string(context->request, "reason");
	operator_set_status(context, "suspended", reason ? reason : "");
}

static void operator_tenants_reactivate(struct request_context *context)
{
	operator_set_status(context, "active", "");
}

/* The tenant named in the path; 0 with tenant filled, or -1 after 404. */
static int operator_find_or_reply(struct request_context *context, struct tenant_summary *tenant)
{
	uint64_t tenant_id = module_path_id(context, "id");
	int found = 0;
	int result = tenant_id ? tenant_lifecycle_find(context->db, tenant_id, NULL, tenant, &found) : DB_OK;
	if (result != DB_OK) {
		respond_db_failure(context, result, "operator tenant");
		return -1;
	}
	if (!found) {
		module_not_found(context, "Tenant");
		return -1;
	}
	return 0;
}

/* The tables of an export, each with its rows and its own address. */
static void operator_export_index(struct request_context *context)
{
	struct tenant_summary tenant;
	if (operator_find_or_reply(context, &tenant) != 0)
		return;
	size_t count = 0;
	const char *const *tables = tenant_lifecycle_tables(&count);
	json_object *items = json_object_new_array();
	/* One snapshot for every count. */
	int result = db_begin(context->db);
	for (size_t i = 0; result == DB_OK && i < count; i++) {
		uint64_t rows = 0;
		result = tenant_lifecycle_count_table(context->db, tenant.tenant_id, i, &rows);
		char path[160];
		snprintf(path, sizeof(path), "/api/v1/operator/tenants/%llu/export/%s", (unsigned long long)tenant.tenant_id,
			tables[i]);
		json_object *item = json_object_new_object();
		json_object_object_add(item, "table", json_object_new_string(tables[i]));
		json_object_object_add(item, "rows", json_object_new_int64((int64_t)rows));
		json_object_object_add(item, "path", json_object_new_string(path));
		json_object_array_add(items, item);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "operator export index");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "tenantId", json_object_new_int64((int64_t)tenant.tenant_id));
	json_object_object_add(data, "slug", json_object_new_string(tenant.slug));
	json_object_object_add(data, "tables", items);
	response_ok(context->response, STATUS_OK, data, "Export");
}

static int operator_stream_row(void *sink_context, const char *table, json_object *row)
{
	(void)table;
	return stream_send_json(sink_context, row);
}

/* One table of the tenant as JSON lines, streamed as it is read. The
 * X-Export-Rows header says how many lines come, from the same snapshot:
 * fewer lines mean the stream broke. */
static void operator_export_table(struct request_context *context)
{
	struct tenant_summary tenant;
	if (operator_find_or_reply(context, &tenant) != 0)
		return;
	const char *table = request_path_param(context->request, "table");
	int index = table ? tenant_lifecycle_table_index(table) : -1;
	if (index < 0) {
		module_not_found(context, "Table");
		return;
	}
	uint64_t expected = 0, rows = 0;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = tenant_lifecycle_count_table(context->db, tenant.tenant_id, (size_t)index, &expected);
	if (result != DB_OK) {
		respond_db_failure(context, result, "operator export");
		return;
	}
	char count_text[24], disposition[160];
	snprintf(count_text, sizeof(count_text), "%llu", (unsigned long long)expected);
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.jsonl\"", table);
	response_add_header(context->response, "X-Export-Rows", count_text);
	response_add_header(context->response, "Content-Disposition", disposition);
	if (stream_begin(context, STREAM_NDJSON_TYPE) != 0 && !stream_started(context)) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Streaming is not available here");
		return;
	}
	struct tenant_export_sink sink = {.row = operator_stream_row, .sink_context = context};
	int sink_failed = 0;
	result = tenant_lifecycle_export_table(context->db, tenant.tenant_id, (size_t)index, 0, &sink, &rows,
		&sink_failed);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK || sink_failed) {
		/* The headers are out: the short stream is the client's sign. */
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "export of %s stopped after %llu of %llu rows (%s)",
			table, (unsigned long long)rows, (unsigned long long)expected,
			sink_failed ? "client gone" : db_last_error(context->db));
		response_error(context->response, STATUS_INTERNAL_ERROR, "Export stopped");
		return;
	}
	struct tenant_actor actor;
	operator_actor(context, &actor);
	char details[300];
	snprintf(details, sizeof(details), "{\"by\":\"operator\",\"table\":\"%s\",\"rows\":%llu}", table,
		(unsigned long long)rows);
	if (tenant_lifecycle_audit(context->db, tenant.tenant_id, 1, "tenant.export", &actor, details) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "audit write failed for tenant.export");
}

/* DELETE /operator/tenants/{id}?confirm=<slug>: a suspended tenant only,
 * exported to tenant_export_dir first, then erased, in one transaction. */
static void operator_tenants_delete(struct request_context *context)
{
	struct tenant_summary tenant;
	if (operator_find_or_reply(context, &tenant) != 0)
		return;
	const char *confirm = query_text(context->request, "confirm");
	if (confirm == NULL || strcmp(confirm, tenant.slug) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
		response_add_detail(context->response, "confirm", "must be the tenant's slug");
		return;
	}
	if (strcmp(tenant.status, "suspended") != 0) {
		response_error(context->response, STATUS_CONFLICT, "Suspend the tenant before deleting it");
		return;
	}
	const char *export_root = context->config->tenant_export_dir;
	if (export_root[0] == '\0') {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"No export directory is configured (tenant_export_dir); nothing was deleted");
		return;
	}
	char directory[1024], stamp[32];
	time_t now = (time_t)context->now_s;
	struct tm utc;
	gmtime_r(&now, &utc);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &utc);
	snprintf(directory, sizeof(directory), "%.900s/%s-%llu-%s", export_root, tenant.slug,
		(unsigned long long)tenant.tenant_id, stamp);
	struct tenant_file_sink files;
	struct tenant_export_sink sink;
	if (tenant_file_sink_open(&files, directory, &sink) != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "tenant export directory: %s", files.error);
		response_error(context->response, STATUS_INTERNAL_ERROR, "The export could not be written; nothing was deleted");
		return;
	}
	struct tenant_actor actor;
	operator_actor(context, &actor);
	struct tenant_delete_report report;
	int result = DB_OK;
	switch (tenant_lifecycle_delete(context->db, tenant.tenant_id, &actor, &sink, &report, &result)) {
	case TENANT_DELETE_OK:
		break;
	case TENANT_DELETE_NOT_FOUND:
		module_not_found(context, "Tenant");
		return;
	case TENANT_DELETE_NOT_SUSPENDED:
		response_error(context->response, STATUS_CONFLICT, "Suspend the tenant before deleting it");
		return;
	case TENANT_DELETE_UNKNOWN_TABLE:
		log_msg(LOG_LEVEL_ERROR, context->request->request_id,
			"tenant delete refused: table %s has tenant rows this build does not know", report.unknown_table);
		response_error(context->response, STATUS_INTERNAL_ERROR,
			"The database has a tenant table this server does not know; nothing was deleted");
		return;
	case TENANT_DELETE_EXPORT_FAILED:
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "tenant export failed: %s", files.error);
		response_error(context->response, STATUS_INTERNAL_ERROR, "The export could not be written; nothing was deleted");
		return;
	case TENANT_DELETE_DB_FAILED:
		respond_db_failure(context, result, "operator tenant delete");
		return;
	}
	size_t count = 0;
	const char *const *tables = tenant_lifecycle_tables(&count);
	json_object *items = json_object_new_array();
	uint64_t exported = 0, deleted = 0;
	for (size_t i = 0; i < count; i++) {
		json_object *item = json_object_new_object();
		json_object_object_add(item, "table", json_object_new_string(tables[i]));
		json_object_object_add(item, "exported", json_object_new_int64((int64_t)report.exported[i]));
		json_object_object_add(item, "deleted", json_object_new_int64((int64_t)report.deleted[i]));
		json_object_array_add(items, item);
		exported += report.exported[i];
		deleted += report.deleted[i];
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_int64((int64_t)tenant.tenant_id));
	json_object_object_add(data, "slug", json_object_new_string(tenant.slug));
	json_object_object_add(data, "exportDirectory", json_object_new_string(directory));
	json_object_object_add(data, "exported", json_object_new_int64((int64_t)exported));
	json_object_object_add(data, "deleted", json_object_new_int64((int64_t)deleted));
	json_object_object_add(data, "tables", items);
	response_ok(context->response, STATUS_OK, data, "Tenant deleted");
}

struct operator_audit_rows {
	json_object *items;
	uint64_t total;
};

static int operator_collect_audit(void *callback_context, const struct db_row *row)
{
	struct operator_audit_rows *rows = callback_context;
	if (row->column_count != 10 || row->values[0] == NULL)
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(entry, "occurredAt", module_string_or_null(row->values[1]));
	json_object_object_add(entry, "action", module_string_or_null(row->values[2]));
	json_object_object_add(entry, "outcome", module_string_or_null(row->values[3]));
	json_object_object_add(entry, "targetType", module_string_or_null(row->values[4]));
	json_object_object_add(entry, "targetId", module_string_or_null(row->values[5]));
	json_object_object_add(entry, "clientAddress", module_string_or_null(row->values[6]));
	json_object_object_add(entry, "requestId", module_string_or_null(row->values[7]));
	json_object_object_add(entry, "details", module_string_or_null(row->values[8]));
	json_object_array_add(rows->items, entry);
	rows->total = strtoull(row->values[9], NULL, 10);
	return 0;
}

/* The operator's own log (tenant 0): tenants made, suspended, reactivated,
 * exported and deleted, and logins that named no existing tenant. */
static void operator_audit_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &operator_audit_sorts, &page_request, context->response) != 0)
		return;
	const char *action = query_text(context->request, "action");
	const char *from = query_text(context->request, "from");
	const char *to = query_text(context->request, "to");
	char from_sql[TIMESTAMP_SQL_SIZE] = "", to_sql[TIMESTAMP_SQL_SIZE] = "";
	if ((from && timestamp_parse(from, TIMESTAMP_OR_DATE, from_sql) != 0) ||
		(to && timestamp_parse(to, TIMESTAMP_OR_DATE, to_sql) != 0)) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Time range not understood");
		return;
	}
	struct db_param params[] = {
		DB_UINT(0),
		action ? DB_TEXT(action) : DB_NULL, action ? DB_TEXT(action) : DB_NULL,
		from ? DB_TEXT(from_sql) : DB_NULL, from ? DB_TEXT(from_sql) : DB_NULL,
		to ? DB_TEXT(to_sql) : DB_NULL, to ? DB_TEXT(to_sql) : DB_NULL,
		DB_INT(page_request.limit), DB_INT((int64_t)pagination_offset(&page_request)),
	};
	struct operator_audit_rows rows = {.items = json_object_new_array()};
	int result = db_query(context->db,
		&operator_statements[page_request.sort_descending ? OPERATOR_STMT_AUDIT_DESC : OPERATOR_STMT_AUDIT_ASC], params,
		sizeof(params) / sizeof(params[0]), operator_collect_audit, &rows);
	if (result != DB_OK) {
		json_object_put(rows.items);
		respond_db_failure(context, result, "operator audit");
		return;
	}
	response_list(context->response, rows.items, pagination_block(&page_request, rows.total), "Audit log");
	respond_tag_list(context);
}

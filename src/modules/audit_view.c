/* Audit API: GET /audit lists the tenant's audit trail, newest first by
 * default, filtered by action, actor, time range and q, with fields= and CSV
 * exports (handler/list_export.h). Needs audit.view. */
#include "handler/context.h"
#include "handler/list_export.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/list_params.h"
#include "http/pagination.h"
#include "http/request.h"
#include "http/query.h"
#include "http/response.h"
#include "http/timestamp.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void audit_list(struct request_context *context);

/* An entry's members, in order: what fields= and CSV columns name. */
static const char *const audit_columns[] = {"id", "occurredAt", "actorUserId", "action", "outcome", "targetType",
	"targetId", "clientAddress", "requestId", "details", NULL};
static const char *const audit_formats[] = {"json", "csv", NULL};

static const struct query_field audit_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "action", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},
	{.name = "actorUserId", .type = QUERY_INTEGER, .min_value = 1, .max_value = INT64_MAX},
	{.name = "from", .type = QUERY_TIMESTAMP},
	{.name = "to", .type = QUERY_TIMESTAMP},
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 100},
	{.name = "fields", .type = QUERY_LIST, .max_length = 32, .max_value = 10, .enum_values = audit_columns},
	{.name = "format", .type = QUERY_ENUM, .enum_values = audit_formats},
};
static const struct query_spec audit_list_query = QUERY_SPEC(audit_list_query_fields);

static const struct route audit_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/audit", .permission = "audit.view",
		.credentials = ROUTE_CRED_JWT, .query = &audit_list_query, .handler = audit_list},
};

const struct route_table audit_route_table = {
	.module_name = "audit",
	.routes = audit_routes,
	.route_count = sizeof(audit_routes) / sizeof(audit_routes[0]),
};

static const struct sort_field audit_sort_fields[] = {
	{"created_at", "occurred_at"},
};
static const struct sort_whitelist audit_sorts = {audit_sort_fields, 1, "created_at"};

#define AUDIT_WHERE \
	" WHERE tenant_id = ? AND (? IS NULL OR action = ?) AND (? IS NULL OR actor_user_id = ?) " \
	"AND (? IS NULL OR occurred_at >= ?) AND (? IS NULL OR occurred_at < ?) " \
	"AND (? IS NULL OR action LIKE ? ESCAPE '!' OR target_type LIKE ? ESCAPE '!' OR target_id LIKE ? ESCAPE '!')"
#define AUDIT_LIST_SQL(order) \
	"SELECT audit_id, DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:%s.%fZ'), actor_user_id, action, outcome, " \
	"target_type, target_id, client_address, request_id, details, COUNT(*) OVER () FROM audit_log" AUDIT_WHERE \
	" ORDER BY " order " LIMIT ? OFFSET ?"

static const struct db_statement_def audit_view_statements[] = {
	{.name = "audit.list_desc", .sql = AUDIT_LIST_SQL("occurred_at DESC, audit_id DESC"), .tenant_bound = 1},
	{.name = "audit.list_asc", .sql = AUDIT_LIST_SQL("occurred_at ASC, audit_id ASC"), .tenant_bound = 1},
};

const struct statement_table audit_view_statement_table = {"audit", audit_view_statements, 2};

struct audit_rows {
	json_object *items;
	uint64_t total;
};

static int audit_collect(void *callback_context, const struct db_row *row)
{
	struct audit_rows *rows = callback_context;
	if (row->column_count != 11 || row->values[0] == NULL)
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(entry, "occurredAt", module_string_or_null(row->values[1]));
	json_object_object_add(entry, "actorUserId",
		row->values[2] ? json_object_new_int64(strtoll(row->values[2], NULL, 10)) : NULL);
	json_object_object_add(entry, "action", module_string_or_null(row->values[3]));
	json_object_object_add(entry, "outcome", module_string_or_null(row->values[4]));
	json_object_object_add(entry, "targetType", module_string_or_null(row->values[5]));
	json_object_object_add(entry, "targetId", module_string_or_null(row->values[6]));
	json_object_object_add(entry, "clientAddress", module_string_or_null(row->values[7]));
	json_object_object_add(entry, "requestId", module_string_or_null(row->values[8]));
	json_object_object_add(entry, "details", module_string_or_null(row->values[9]));
	json_object_array_add(rows->items, entry);
	rows->total = strtoull(row->values[10], NULL, 10);
	return 0;
}

/* The filters of one request, bound in AUDIT_WHERE's order. */
struct audit_query {
	struct db_param params[15];
	const struct db_statement_def *statement;
	char pattern[2 * 100 + 2];
	char from_sql[TIMESTAMP_SQL_SIZE];
	char to_sql[TIMESTAMP_SQL_SIZE];
};

static int audit_fetch(struct request_context *context, void *state, uint64_t limit, uint64_t offset,
	json_object *items, uint64_t *total)
{
	struct audit_query *query = state;
	query->params[13] = DB_INT((int64_t)limit);
	query->params[14] = DB_INT((int64_t)offset);
	struct audit_rows rows = {items, 0};
	int result = db_query(context->db, query->statement, query->params, 15, audit_collect, &rows);
	*total = rows.total;
	return result;
}

static void audit_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &audit_sorts, &page_request, context->response) != 0)
		return;
	/* The query was checked against audit_list_query before the handler. */
	const char *action = query_text(context->request, "action");
	int64_t actor = query_integer(context->request, "actorUserId", 0);
	const char *from = query_text(context->request, "from");
	const char *to = query_text(context->request, "to");
	const char *text = query_text(context->request, "q");
	struct audit_query query = {.statement = &audit_view_statements[page_request.sort_descending ? 0 : 1]};
	/* q's length is bounded by the spec, so the pattern always fits. */
	if ((text && list_like_prefix(text, query.pattern, sizeof(query.pattern)) != 0) ||
		(from && timestamp_parse(from, TIMESTAMP_OR_DATE, query.from_sql) != 0) ||
		(to && timestamp_parse(to, TIMESTAMP_OR_DATE, query.to_sql) != 0)) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Time range not understood");
		return;
	}
	struct db_param params[] = {
		DB_UINT(context->request->auth.tenant_id),
		action ? DB_TEXT(action) : DB_NULL, action ? DB_TEXT(action) : DB_NULL,
		actor ? DB_INT(actor) : DB_NULL, actor ? DB_INT(actor) : DB_NULL,
		from ? DB_TEXT(query.from_sql) : DB_NULL, from ? DB_TEXT(query.from_sql) : DB_NULL,
		to ? DB_TEXT(query.to_sql) : DB_NULL, to ? DB_TEXT(query.to_sql) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
	};
	memcpy(query.params, params, sizeof(params));
	struct list_export export = {.file_name = "audit-log", .columns = audit_columns, .fetch = audit_fetch,
		.state = &query};
	if (list_export_select_or_reply(context, audit_columns, &export.selected) != 0)
		return;
	if (list_export_wanted(context)) {
		list_export_csv(context, &export);
		return;
	}
	json_object *items = json_object_new_array();
	uint64_t total = 0;
	int result = audit_fetch(context, &query, page_request.limit, pagination_offset(&page_request), items, &total);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "audit list");
		return;
	}
	list_export_pick(items, audit_columns, export.selected);
	response_list(context->response, items, pagination_block(&page_request, total), "Audit log");
	respond_tag_list(context);
}

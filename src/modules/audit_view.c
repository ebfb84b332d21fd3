/* Audit API: GET /audit lists the tenant's audit trail, newest first by
 * default, filtered by action, actor and time range. Needs audit.view. */
#include "core/context.h"
#include "core/respond.h"
#include "db/db.h"
#include "http/pagination.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void audit_list(struct request_context *context);

static const struct route audit_routes[] = {
	{HTTP_GET, "/api/v1/audit", "audit.view", ROUTE_CRED_JWT, NULL, audit_list},
};

const struct route_table audit_route_table = {"audit", audit_routes, 1};

static const struct sort_field audit_sort_fields[] = {
	{"created_at", "occurred_at"},
};
static const struct sort_whitelist audit_sorts = {audit_sort_fields, 1, "created_at"};

#define AUDIT_WHERE \
	" WHERE tenant_id = ? AND (? IS NULL OR action = ?) AND (? IS NULL OR actor_user_id = ?) " \
	"AND (? IS NULL OR occurred_at >= ?) AND (? IS NULL OR occurred_at < ?)"
#define AUDIT_LIST_SQL(order) \
	"SELECT audit_id, DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:%s.%fZ'), actor_user_id, action, outcome, " \
	"target_type, target_id, client_address, request_id, details, COUNT(*) OVER () FROM audit_log" AUDIT_WHERE \
	" ORDER BY " order " LIMIT ? OFFSET ?"

static const struct db_statement_def audit_view_statements[] = {
	{"audit.list_desc", AUDIT_LIST_SQL("occurred_at DESC, audit_id DESC"), 1},
	{"audit.list_asc", AUDIT_LIST_SQL("occurred_at ASC, audit_id ASC"), 1},
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

/* "2026-11-23" or "2026-11-23T10:00:00Z": digits and separators only, so
 * the database parses it; anything else is refused here. */
static int audit_time_is_plausible(const char *text)
{
	size_t length = strlen(text);
	if (length != 10 && length != 20)
		return 0;
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	for (size_t i = 0; i < length; i++) {
		if (shape[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != shape[i])
			return 0;
	}
	char date[11];
	memcpy(date, text, 10);
	date[10] = '\0';
	if (!validate_date_text(date))
		return 0;
	return length == 10 || (atoi(text + 11) < 24 && atoi(text + 14) < 60 && atoi(text + 17) < 60);
}

static void audit_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse(context->request, &audit_sorts, &page_request, context->response) != 0)
		return;
	const char *action = request_query(context->request, "action");
	const char *actor_text = request_query(context->request, "actorUserId");
	const char *from = request_query(context->request, "from");
	const char *to = request_query(context->request, "to");
	int failures = 0;
	char *end = NULL;
	long long actor = actor_text ? strtoll(actor_text, &end, 10) : 0;
	if (actor_text && (end == actor_text || *end != '\0' || actor <= 0))
		failures |= 1;
	if (action && (strlen(action) == 0 || strlen(action) > 64))
		failures |= 2;
	if (from && !audit_time_is_plausible(from))
		failures |= 4;
	if (to && !audit_time_is_plausible(to))
		failures |= 8;
	if (failures) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		if (failures & 1)
			response_add_detail(context->response, "actorUserId", "must be a positive integer");
		if (failures & 2)
			response_add_detail(context->response, "action", "must be 1 to 64 characters");
		if (failures & 4)
			response_add_detail(context->response, "from", "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		if (failures & 8)
			response_add_detail(context->response, "to", "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return;
	}
	/* MariaDB reads "2026-11-23T10:00:00Z" poorly; give it a space and no Z. */
	char from_sql[21] = "", to_sql[21] = "";
	if (from) {
		snprintf(from_sql, sizeof(from_sql), "%.19s", from);
		if (from_sql[10] == 'T')
			from_sql[10] = ' ';
	}
	if (to) {
		snprintf(to_sql, sizeof(to_sql), "%.19s", to);
		if (to_sql[10] == 'T')
			to_sql[10] = ' ';
	}
	struct db_param params[] = {
		DB_UINT(context->request->auth.tenant_id),
		action ? DB_TEXT(action) : DB_NULL, action ? DB_TEXT(action) : DB_NULL,
		actor_text ? DB_INT(actor) : DB_NULL, actor_text ? DB_INT(actor) : DB_NULL,
		from ? DB_TEXT(from_sql) : DB_NULL, from ? DB_TEXT(from_sql) : DB_NULL,
		to ? DB_TEXT(to_sql) : DB_NULL, to ? DB_TEXT(to_sql) : DB_NULL,
		DB_INT(page_request.limit), DB_INT((int64_t)pagination_offset(&page_request)),
	};
	struct audit_rows rows = {json_object_new_array(), 0};
	int result = db_query(context->db, &audit_view_statements[page_request.sort_descending ? 0 : 1], params,
		sizeof(params) / sizeof(params[0]), audit_collect, &rows);
	if (result != DB_OK) {
		json_object_put(rows.items);
		respond_db_failure(context, result, "audit list");
		return;
	}
	response_list(context->response, rows.items, pagination_block(&page_request, rows.total), "Audit log");
}

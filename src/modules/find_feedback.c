/* Find API feedback (/api/v1/find/feedback): visitors rate a chat answer
 * (publishable keys may submit), the shop reads, filters, sums up and
 * deletes what they said. Every row carries the workspace and the kind of
 * credential it came with. */
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "find/events.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/timestamp.h"
#include "http/validate.h"
#include "modules/find_common.h"
#include "modules/find_insights.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_COMMENT_MAX_BYTES 2000
#define FEEDBACK_METADATA_MAX_BYTES 4096
#define FEEDBACK_MESSAGE_INDEX_MAX 1000000
#define FEEDBACK_LIST_DEFAULT_LIMIT 20
#define FEEDBACK_LIST_MAX_LIMIT 100
#define FEEDBACK_LIST_MAX_OFFSET 100000
/* A thread holds a few ratings; the cap only guards the response size. */
#define FEEDBACK_THREAD_MAX_ROWS "1000"

static void find_feedback_submit(struct request_context *context);
static void find_feedback_list(struct request_context *context);
static void find_feedback_analytics(struct request_context *context);
static void find_feedback_thread(struct request_context *context);
static void find_feedback_delete(struct request_context *context);

static const char *const feedback_ratings[] = {"positive", "negative", NULL};

static const struct field_spec submit_fields[] = {
	{.name = "threadId", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = FIND_INSIGHTS_THREAD_ID_MAX},
	{.name = "rating", .type = FIELD_ENUM, .required = 1, .enum_values = feedback_ratings},
	{.name = "comment", .type = FIELD_STRING, .max_length = FEEDBACK_COMMENT_MAX_BYTES, .nullable = 1},
	{.name = "messageIndex", .type = FIELD_INTEGER, .min_value = 0, .max_value = FEEDBACK_MESSAGE_INDEX_MAX,
		.nullable = 1},
	{.name = "metadata", .type = FIELD_OBJECT, .max_length = FEEDBACK_METADATA_MAX_BYTES, .nullable = 1},
};
static const struct input_spec submit_input = INPUT_SPEC(submit_fields);

static const char *const feedback_periods[] = {"day", "week", "month", NULL};

/* The SDK's FeedbackSearchRequest.filters, as JSON text or filters[...] pairs. */
static const struct query_field list_filter_members[] = {
	{.name = "rating", .type = QUERY_ENUM, .enum_values = feedback_ratings},
	{.name = "thread_id", .type = QUERY_TEXT, .min_length = 1, .max_length = FIND_INSIGHTS_THREAD_ID_MAX},
	{.name = "created_after", .type = QUERY_TIMESTAMP},
	{.name = "created_before", .type = QUERY_TIMESTAMP},
};
static const struct query_spec list_filters = QUERY_SPEC(list_filter_members);

static const struct query_field list_query_fields[] = {
	{.name = "rating", .type = QUERY_ENUM, .enum_values = feedback_ratings},
	{.name = "threadId", .type = QUERY_TEXT, .min_length = 1, .max_length = FIND_INSIGHTS_THREAD_ID_MAX},
	{.name = "dateFrom", .type = QUERY_DATE},
	{.name = "dateTo", .type = QUERY_DATE},
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = FEEDBACK_LIST_MAX_LIMIT},
	{.name = "offset", .type = QUERY_INTEGER, .min_value = 0, .max_value = FEEDBACK_LIST_MAX_OFFSET},
	{.name = "filters", .type = QUERY_OBJECT, .members = &list_filters},
};
static const struct query_spec list_query = QUERY_SPEC(list_query_fields);

static const struct query_field analytics_query_fields[] = {
	{.name = "dateFrom", .type = QUERY_DATE},
	{.name = "dateTo", .type = QUERY_DATE},
	{.name = "period", .type = QUERY_ENUM, .enum_values = feedback_periods},
};
static const struct query_spec analytics_query = QUERY_SPEC(analytics_query_fields);

#define FEEDBACK_READERS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_feedback_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/find/feedback", .permission = "find.view",
		.credentials = FEEDBACK_READERS | ROUTE_CRED_PUBLISHABLE_KEY, .input = &submit_input,
		.handler = find_feedback_submit},
	{.method = HTTP_GET, .pattern = "/api/v1/find/feedback", .permission = "find.view",
		.credentials = FEEDBACK_READERS, .query = &list_query, .handler = find_feedback_list},
	{.method = HTTP_GET, .pattern = "/api/v1/find/feedback/analytics", .permission = "find.view",
		.credentials = FEEDBACK_READERS, .query = &analytics_query, .handler = find_feedback_analytics},
	/* The analytics family's name for the same figures. */
	{.method = HTTP_GET, .pattern = "/api/v1/find/analytics/feedback", .permission = "find.view",
		.credentials = FEEDBACK_READERS, .query = &analytics_query, .handler = find_feedback_analytics},
	{.method = HTTP_GET, .pattern = "/api/v1/find/feedback/thread/{threadId}", .permission = "find.view",
		.credentials = FEEDBACK_READERS, .handler = find_feedback_thread},
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/feedback/{id}", .permission = "find.manage",
		.credentials = FEEDBACK_READERS, .handler = find_feedback_delete},
};

const struct route_table find_feedback_route_table = {
	.module_name = "find_feedback",
	.routes = find_feedback_routes,
	.route_count = sizeof(find_feedback_routes) / sizeof(find_feedback_routes[0]),
	.gate = &find_gate,
};

enum find_feedback_statement {
	FEEDBACK_STMT_INSERT,
	FEEDBACK_STMT_GET,
	FEEDBACK_STMT_LIST,
	FEEDBACK_STMT_COUNT,
	FEEDBACK_STMT_THREAD,
	FEEDBACK_STMT_DAILY,
	FEEDBACK_STMT_DELETE,
	FEEDBACK_STMT__MAX
};

#define FEEDBACK_COLUMNS                                                                                          \
	"feedback_id, thread_id, workspace, rating, comment, message_index, metadata, source, "                      \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"
#define FEEDBACK_COLUMN_COUNT 9
/* Empty text disables a condition, so one statement serves every filter mix;
 * the (tenant_id, created_at) index narrows first. */
#define FEEDBACK_FILTERS                                                                                          \
	" FROM find_feedback WHERE tenant_id = ? AND (? = '' OR workspace = ?) AND (? = '' OR rating = ?) "         \
	"AND (? = '' OR thread_id = ?) AND created_at >= ? AND created_at < ?"

static const struct db_statement_def find_feedback_statements[FEEDBACK_STMT__MAX] = {
	[FEEDBACK_STMT_INSERT] = {.name = "find_feedback.insert",
		.sql = "INSERT INTO find_feedback (tenant_id, thread_id, workspace, rating, comment, message_index, metadata, "
		"source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[FEEDBACK_STMT_GET] = {.name = "find_feedback.get",
		.sql = "SELECT " FEEDBACK_COLUMNS " FROM find_feedback WHERE tenant_id = ? AND feedback_id = ?",
		.tenant_bound = 1},
	[FEEDBACK_STMT_LIST] = {.name = "find_feedback.list",
		.sql = "SELECT " FEEDBACK_COLUMNS ", COUNT(*) OVER ()" FEEDBACK_FILTERS
		" ORDER BY created_at DESC, feedback_id DESC LIMIT ? OFFSET ?",
		.tenant_bound = 1},
	[FEEDBACK_STMT_COUNT] = {.name = "find_feedback.count", .sql = "SELECT COUNT(*)" FEEDBACK_FILTERS,
		.tenant_bound = 1},
	[FEEDBACK_STMT_THREAD] = {.name = "find_feedback.thread",
		.sql = "SELECT " FEEDBACK_COLUMNS " FROM find_feedback WHERE tenant_id = ? AND thread_id = ? "
		"AND (? = '' OR workspace = ?) ORDER BY created_at, feedback_id LIMIT " FEEDBACK_THREAD_MAX_ROWS,
		.tenant_bound = 1},
	[FEEDBACK_STMT_DAILY] = {.name = "find_feedback.daily",
		.sql = "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day, SUM(rating = 'positive'), SUM(rating = 'negative') "
		"FROM find_feedback WHERE tenant_id = ? AND (? = '' OR workspace = ?) AND created_at >= ? "
		"AND created_at < ? GROUP BY day ORDER BY day",
		.tenant_bound = 1},
	[FEEDBACK_STMT_DELETE] = {.name = "find_feedback.delete",
		.sql = "DELETE FROM find_feedback WHERE tenant_id = ? AND feedback_id = ? AND (? = '' OR workspace = ?)",
		.tenant_bound = 1},
};

const struct statement_table find_feedback_statement_table = {
	"find_feedback", find_feedback_statements, FEEDBACK_STMT__MAX};

static void find_feedback_bad_parameter(struct request_context *context, const char *field, const char *issue)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
	response_add_detail(context->response, field, "%s", issue);
}

/* ------------------------------------------------------------- entries */

struct find_feedback_rows {
	json_object *results;
	uint64_t total;
};

static int find_feedback_row(void *callback_context, const struct db_row *row)
{
	struct find_feedback_rows *rows = callback_context;
	if (row->column_count < FEEDBACK_COLUMN_COUNT || row->values[0] == NULL)
		return 1;
	const char *const *v = row->values;
	json_object *item = json_object_new_object();
	json_object_object_add(item, "id", json_object_new_string(v[0]));
	json_object_object_add(item, "threadId", json_object_new_string(v[1]));
	json_object_object_add(item, "workspace", json_object_new_string(v[2] ? v[2] : ""));
	json_object_object_add(item, "rating", json_object_new_string(v[3] ? v[3] : ""));
	/* The SDK's FeedbackEntry marks these optional: absent, never null. */
	module_add_when_present(item, "comment", module_string_or_null(v[4]));
	module_add_when_present(item, "messageIndex", v[5] ? json_object_new_int64(strtoll(v[5], NULL, 10)) : NULL);
	module_add_when_present(item, "metadata", v[6] ? json_tokener_parse(v[6]) : NULL);
	json_object_object_add(item, "source", json_object_new_string(v[7] ? v[7] : ""));
	/* The SDK's FeedbackEntry reads created_at; createdAt stays for older clients. */
	json_object_object_add(item, "created_at", module_string_or_null(v[8]));
	json_object_object_add(item, "createdAt", module_string_or_null(v[8]));
	json_object_array_add(rows->results, item);
	if (row->column_count > FEEDBACK_COLUMN_COUNT && v[FEEDBACK_COLUMN_COUNT] != NULL)
		rows->total = strtoull(v[FEEDBACK_COLUMN_COUNT], NULL, 10);
	return 0;
}

/* ------------------------------------------------------------- submit */

/* Queues "feedback.submit" for the tenant's webhooks in the submit's
 * transaction (find/events.h): the event exists exactly when the feedback
 * does. The payload is borrowed by the emit and released here. */
static int find_feedback_emit_submitted(struct request_context *context, json_object *payload)
{
	int result = find_events_emit(context->db, context->request->auth.tenant_id, find_workspace(context),
		"feedback.submit", payload);
	json_object_put(payload);
	return result;
}

static json_object *find_feedback_event_payload(const struct request_context *context, const char *id)
{
	const struct request *request = context->request;
	json_object *payload = json_object_new_object();
	json_object_object_add(payload, "id", json_object_new_string(id));
	json_object_object_add(payload, "threadId", json_object_new_string(input_string(request, "threadId")));
	json_object_object_add(payload, "rating", json_object_new_string(input_string(request, "rating")));
	const char *comment = input_string(request, "comment");
	json_object_object_add(payload, "comment", comment ? json_object_new_string(comment) : NULL);
	json_object *message_index = input_field(request, "messageIndex");
	json_object_object_add(payload, "messageIndex", json_object_get(message_index));
	json_object_object_add(payload, "metadata", json_object_get(input_field(request, "metadata")));
	json_object_object_add(payload, "source", json_object_new_string(find_source_name(context)));
	json_object_object_add(payload, "workspace", json_object_new_string(find_workspace(context)));
	return payload;
}

static void find_feedback_submit(struct request_context *context)
{
	struct request *request = context->request;
	const char *thread_id = input_string(request, "threadId");
	if (!find_insights_thread_id_valid(thread_id)) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "threadId", "must be 1 to 64 letters, digits, '_' or '-'");
		return;
	}
	const char *comment = input_string(request, "comment");
	json_object *message_index = input_field(request, "messageIndex");
	json_object *metadata = input_field(request, "metadata");
	const char *metadata_text = metadata ? json_object_to_json_string_ext(metadata, JSON_C_TO_STRING_PLAIN) : NULL;
	struct db_param params[] = {DB_UINT(request->auth.tenant_id), DB_TEXT(thread_id), DB_TEXT(find_workspace(context)),
		DB_TEXT(input_string(request, "rating")), comment ? DB_TEXT(comment) : DB_NULL,
		message_index ? DB_INT(json_object_get_int64(message_index)) : DB_NULL,
		metadata_text ? DB_TEXT(metadata_text) : DB_NULL, DB_TEXT(find_source_name(context))};
	uint64_t feedback_id = 0;
	char id[32] = "";
	struct find_feedback_rows created = {json_object_new_array(), 0};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &find_feedback_statements[FEEDBACK_STMT_INSERT], params,
			sizeof(params) / sizeof(params[0]), NULL, &feedback_id);
	if (result == DB_OK) {
		snprintf(id, sizeof(id), "%llu", (unsigned long long)feedback_id);
		result = find_feedback_emit_submitted(context, find_feedback_event_payload(context, id));
	}
	/* The entry as stored (with the database's created_at), read in the
	 * same transaction: the answer is the SDK's FeedbackEntry. */
	struct db_param key[] = {DB_UINT(request->auth.tenant_id), DB_UINT(feedback_id)};
	if (result == DB_OK)
		result = db_query(context->db, &find_feedback_statements[FEEDBACK_STMT_GET], key, 2, find_feedback_row,
			&created);
	if (result == DB_OK && json_object_array_length(created.results) != 1)
		result = DB_ERROR;
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		json_object_put(created.results);
		respond_db_failure(context, result, "submit feedback");
		return;
	}
	json_object *data = json_object_get(json_object_array_get_idx(created.results, 0));
	json_object_put(created.results);
	json_object_object_add(data, "message", json_object_new_string("Thank you for your feedback"));
	response_ok(context->response, STATUS_CREATED, data, "Feedback recorded");
}

/* ------------------------------------------------------------- reads */

/* dateFrom/dateTo into bindable bounds; on refusal the response is set. */
static int find_feedback_range(struct request_context *context, char *first_text, char *end_text)
{
	struct find_day_range range;
	const char *bad_field = NULL;
	if (find_day_range_parse(query_text(context->request, "dateFrom"), query_text(context->request, "dateTo"),
		    &range, &bad_field) != 0) {
		find_feedback_bad_parameter(context, bad_field, "must be a date written YYYY-MM-DD, dateFrom not after dateTo");
		return -1;
	}
	find_day_range_bounds(&range, first_text, end_text);
	return 0;
}

/* A condition given both as a parameter and as a filters member must agree;
 * returns the value to use (NULL: none), or sets the refusal and fails. */
static int find_feedback_pick(struct request_context *context, const char *name, json_object *filters,
	const char *member, const char **value)
{
	*value = query_text(context->request, name);
	json_object *from_filters = NULL;
	if (filters == NULL || !json_object_object_get_ex(filters, member, &from_filters))
		return 0;
	const char *filter_value = json_object_get_string(from_filters);
	if (*value != NULL && strcmp(*value, filter_value) != 0) {
		char field[64];
		snprintf(field, sizeof(field), "filters.%s", member);
		find_feedback_bad_parameter(context, field, "disagrees with the parameter of the same meaning");
		return -1;
	}
	*value = filter_value;
	return 0;
}

/* The created_at window: the days of dateFrom/dateTo, narrowed by the
 * filters' created_after (inclusive) and created_before (exclusive; a date
 * alone means the end of that day). Bounds are UTC DATETIME texts of one
 * fixed width, so the narrower bound is the greater (or lesser) text. */
static int find_feedback_window(struct request_context *context, json_object *filters, char *first_text,
	char *end_text)
{
	char first_day[FIND_DAY_TEXT_SIZE], end_day[FIND_DAY_TEXT_SIZE];
	if (find_feedback_range(context, first_day, end_day) != 0)
		return -1;
	if (timestamp_parse(first_day, TIMESTAMP_OR_DATE, first_text) != 0 ||
		timestamp_parse(end_day, TIMESTAMP_OR_DATE, end_text) != 0) {
		find_feedback_bad_parameter(context, "dateFrom", "is outside the supported range of days");
		return -1;
	}
	json_object *bound = NULL;
	char instant[TIMESTAMP_SQL_SIZE];
	if (filters != NULL && json_object_object_get_ex(filters, "created_after", &bound) &&
		timestamp_parse(json_object_get_string(bound), TIMESTAMP_OR_DATE, instant) == 0 &&
		strcmp(instant, first_text) > 0)
		memcpy(first_text, instant, TIMESTAMP_SQL_SIZE);
	if (filters != NULL && json_object_object_get_ex(filters, "created_before", &bound) &&
		timestamp_parse(json_object_get_string(bound), TIMESTAMP_OR_DATE_END, instant) == 0 &&
		strcmp(instant, end_text) < 0)
		memcpy(end_text, instant, TIMESTAMP_SQL_SIZE);
	return 0;
}

static void find_feedback_list(struct request_context *context)
{
	const struct request *request = context->request;
	json_object *filters = query_object(request, "filters");
	const char *rating = NULL, *thread_id = NULL;
	if (find_feedback_pick(context, "rating", filters, "rating", &rating) != 0 ||
		find_feedback_pick(context, "threadId", filters, "thread_id", &thread_id) != 0)
		return;
	if (thread_id != NULL && !find_insights_thread_id_valid(thread_id)) {
		find_feedback_bad_parameter(context, "threadId", "must be 1 to 64 letters, digits, '_' or '-'");
		return;
	}
	int64_t limit = query_integer(request, "limit", FEEDBACK_LIST_DEFAULT_LIMIT);
	int64_t offset = query_integer(request, "offset", 0);
	char first_text[TIMESTAMP_SQL_SIZE], end_text[TIMESTAMP_SQL_SIZE];
	if (find_feedback_window(context, filters, first_text, end_text) != 0)
		return;
	const char *workspace = find_workspace(context);
	rating = rating ? rating : "";
	thread_id = thread_id ? thread_id : "";
	struct db_param params[] = {DB_UINT(request->auth.tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		DB_TEXT(rating), DB_TEXT(rating), DB_TEXT(thread_id), DB_TEXT(thread_id), DB_TEXT(first_text),
		DB_TEXT(end_text), DB_INT(limit), DB_INT(offset)};
	struct find_feedback_rows rows = {json_object_new_array(), 0};
	enum db_result result =
		db_query(context->db, &find_feedback_statements[FEEDBACK_STMT_LIST], params, 11, find_feedback_row, &rows);
	/* A page past the end has no row to carry the total: count apart. */
	if (result == DB_OK && json_object_array_length(rows.results) == 0 && offset > 0)
		result = db_query(context->db, &find_feedback_statements[FEEDBACK_STMT_COUNT], params, 9, module_read_uint64,
			&rows.total);
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "list feedback");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", rows.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)rows.total));
	json_object_object_add(data, "limit", json_object_new_int64(limit));
	json_object_object_add(data, "offset", json_object_new_int64(offset));
	response_ok(context->response, STATUS_OK, data, "Feedback");
}

static void find_feedback_thread(struct request_context *context)
{
	const char *thread_id = request_path_param(context->request, "threadId");
	if (!find_insights_thread_id_valid(thread_id)) {
		find_feedback_bad_parameter(context, "threadId", "must be 1 to 64 letters, digits, '_' or '-'");
		return;
	}
	const char *workspace = find_workspace(context);
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(thread_id), DB_TEXT(workspace),
		DB_TEXT(workspace)};
	struct find_feedback_rows rows = {json_object_new_array(), 0};
	enum db_result result =
		db_query(context->db, &find_feedback_statements[FEEDBACK_STMT_THREAD], params, 4, find_feedback_row, &rows);
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "thread feedback");
		return;
	}
	/* The SDK's forThread reads FeedbackEntry[]: the list is the data. */
	response_ok(context->response, STATUS_OK, rows.results, "Feedback of the thread");
}

static int find_feedback_daily_row(void *callback_context, const struct db_row *row)
{
	/* Columns: day, positive, negative. */
	return find_period_series_add_texts(callback_context, row->values, row->column_count, FIND_FEEDBACK_POSITIVE) != 0;
}

static void find_feedback_analytics(struct request_context *context)
{
	enum find_period period;
	if (find_period_parse(query_text(context->request, "period"), &period) != 0) {
		find_feedback_bad_parameter(context, "period", "must be day, week or month");
		return;
	}
	char first_text[FIND_DAY_TEXT_SIZE], end_text[FIND_DAY_TEXT_SIZE];
	if (find_feedback_range(context, first_text, end_text) != 0)
		return;
	const char *workspace = find_workspace(context);
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		DB_TEXT(first_text), DB_TEXT(end_text)};
	struct find_period_series series;
	find_period_series_init(&series, period);
	enum db_result result = db_query(context->db, &find_feedback_statements[FEEDBACK_STMT_DAILY], params, 5,
		find_feedback_daily_row, &series);
	if (result != DB_OK) {
		find_period_series_release(&series);
		respond_db_failure(context, result, "feedback analytics");
		return;
	}
	json_object *data = find_feedback_summary(&series);
	find_period_series_release(&series);
	response_ok(context->response, STATUS_OK, data, "Feedback analytics");
}

static void find_feedback_delete(struct request_context *context)
{
	uint64_t feedback_id = module_path_id(context, "id");
	if (feedback_id == 0) {
		module_not_found(context, "Feedback");
		return;
	}
	const char *workspace = find_workspace(context);
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(feedback_id), DB_TEXT(workspace),
		DB_TEXT(workspace)};
	uint64_t deleted = 0;
	enum db_result result =
		db_exec(context->db, &find_feedback_statements[FEEDBACK_STMT_DELETE], params, 4, &deleted, NULL);
	if (result != DB_OK) {
		respond_db_failure(context, result, "delete feedback");
		return;
	}
	if (deleted == 0) {
		module_not_found(context, "Feedback");
		return;
	}
	char id[32];
	snprintf(id, sizeof(id), "%llu", (unsigned long long)feedback_id);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "message", json_object_new_string("Feedback deleted successfully"));
	json_object_object_add(data, "deleted", json_object_new_boolean(1));
	response_ok(context->response, STATUS_OK, data, "Feedback deleted successfully");
}

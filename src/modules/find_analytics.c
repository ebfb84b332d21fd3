/* Find API analytics (/api/v1/find/analytics/...): what visitors searched
 * for, how much they chatted and what they thought of it, per UTC day.
 * Server side only (secret keys and signed-in users); every statement is
 * range-bounded on the (tenant_id, created_at) index of its table. */
#include "handler/context.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/find_common.h"
#include "modules/find_insights.h"
#include "modules/find_query.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANALYTICS_DEFAULT_DAYS 30
#define ANALYTICS_MAX_DAYS 365
#define ANALYTICS_DEFAULT_TOP 10
#define ANALYTICS_MAX_TOP 100

static void find_analytics_search(struct request_context *context);
static void find_analytics_chat(struct request_context *context);

/* The SDK's SearchContext values, recorded with each search. */
static const char *const analytics_sources[] = {"widget", "native", "chat", "api", "internal", "unknown", NULL};

#define ANALYTICS_DAYS_FIELD {.name = "days", .type = QUERY_INTEGER, .min_value = 1, .max_value = ANALYTICS_MAX_DAYS}
static const struct query_field search_query_fields[] = {
	ANALYTICS_DAYS_FIELD,
	{.name = "topN", .type = QUERY_INTEGER, .min_value = 1, .max_value = ANALYTICS_MAX_TOP},
	{.name = "workspaceId", .type = QUERY_TEXT, .min_length = 1, .max_length = 253},
	{.name = "source", .type = QUERY_ENUM, .enum_values = analytics_sources},
};
static const struct query_spec search_query = QUERY_SPEC(search_query_fields);
static const struct query_field chat_query_fields[] = {ANALYTICS_DAYS_FIELD};
static const struct query_spec chat_query = QUERY_SPEC(chat_query_fields);

#define ANALYTICS_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_analytics_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/find/analytics/search", .permission = "find.view",
		.credentials = ANALYTICS_CREDENTIALS, .query = &search_query, .handler = find_analytics_search},
	{.method = HTTP_GET, .pattern = "/api/v1/find/analytics/chat", .permission = "find.view",
		.credentials = ANALYTICS_CREDENTIALS, .query = &chat_query, .handler = find_analytics_chat},
};

const struct route_table find_analytics_route_table = {
	.module_name = "find_analytics",
	.routes = find_analytics_routes,
	.route_count = sizeof(find_analytics_routes) / sizeof(find_analytics_routes[0]),
	.gate = &find_gate,
};

enum find_analytics_statement {
	ANALYTICS_STMT_SEARCH_DAILY,
	ANALYTICS_STMT_SEARCH_TOP,
	ANALYTICS_STMT_MESSAGES_DAILY,
	ANALYTICS_STMT_THREADS_DAILY,
	ANALYTICS_STMT__MAX
};

/* Queries are compared trimmed and lowercased: "Lamp " and "lamp" are one. */
#define ANALYTICS_NORMALIZED_QUERY "LOWER(TRIM(query_text))"
/* ?source= (the SDK's name for the searchContext a search was sent with;
 * "" binds no condition): a search sent without one counts as "unknown". */
#define ANALYTICS_SEARCH_SOURCE " AND (? = '' OR COALESCE(search_context, 'unknown') = ?)"

static const struct db_statement_def find_analytics_statements[ANALYTICS_STMT__MAX] = {
	[ANALYTICS_STMT_SEARCH_DAILY] = {.name = "find_analytics.search_daily",
		.sql = "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day, COUNT(*), SUM(result_count = 0), SUM(result_count) "
		"FROM find_search_log WHERE tenant_id = ? AND (? = '' OR workspace = ?) AND created_at >= ? "
		"AND created_at < ?" ANALYTICS_SEARCH_SOURCE " GROUP BY day ORDER BY day",
		.tenant_bound = 1},
	/* COUNT(*) OVER () counts the groups before LIMIT: the unique queries. */
	[ANALYTICS_STMT_SEARCH_TOP] = {.name = "find_analytics.search_top",
		.sql = "SELECT " ANALYTICS_NORMALIZED_QUERY " AS normalized, COUNT(*) AS searches, AVG(result_count), "
		"COUNT(*) OVER () FROM find_search_log WHERE tenant_id = ? AND (? = '' OR workspace = ?) "
		"AND created_at >= ? AND created_at < ?" ANALYTICS_SEARCH_SOURCE " AND TRIM(query_text) <> '' "
		"GROUP BY normalized ORDER BY searches DESC, normalized LIMIT ?",
		.tenant_bound = 1},
	[ANALYTICS_STMT_MESSAGES_DAILY] = {.name = "find_analytics.messages_daily",
		.sql = "SELECT DATE_FORMAT(m.created_at, '%Y-%m-%d') AS day, COUNT(*) FROM find_messages m "
		"WHERE m.tenant_id = ? AND m.created_at >= ? AND m.created_at < ? AND (? = '' OR m.thread_id IN "
		"(SELECT t.thread_id FROM find_threads t WHERE t.tenant_id = ? AND t.workspace = ?)) "
		"GROUP BY day ORDER BY day",
		.tenant_bound = 1},
	[ANALYTICS_STMT_THREADS_DAILY] = {.name = "find_analytics.threads_daily",
		.sql = "SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day, COUNT(*), SUM(has_handoff <> 0) FROM find_threads "
		"WHERE tenant_id = ? AND (? = '' OR workspace = ?) AND created_at >= ? AND created_at < ? "
		"GROUP BY day ORDER BY day",
		.tenant_bound = 1},
};

const struct statement_table find_analytics_statement_table = {
	"find_analytics", find_analytics_statements, ANALYTICS_STMT__MAX};

/* ?days=N (bounded by the route's query spec) into the last N days. */
static void find_analytics_days(struct request_context *context, struct find_day_range *range)
{
	int64_t days = query_integer(context->request, "days", ANALYTICS_DEFAULT_DAYS);
	find_day_range_last(context->now_s, (int)days, range);
}

/* Rows "day, a, b[, c]" added to a series: counters in column order. */
static int find_analytics_daily_row(void *callback_context, const struct db_row *row)
{
	return find_period_series_add_texts(callback_context, row->values, row->column_count, 0) != 0;
}

/* ------------------------------------------------------------- search */

enum { SEARCH_COUNT, SEARCH_ZERO_RESULTS, SEARCH_RESULT_SUM };

struct find_analytics_top {
	json_object *queries;
	uint64_t unique_queries;
};

static int find_analytics_top_row(void *callback_context, const struct db_row *row)
{
	struct find_analytics_top *top = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 1;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "query", json_object_new_string(row->values[0]));
	json_object_object_add(entry, "count", json_object_new_int64(row->values[1] ? strtoll(row->values[1], NULL, 10) : 0));
	json_object_object_add(entry, "avg_results", find_json_decimal(row->values[2] ? strtod(row->values[2], NULL) : 0.0));
	json_object_array_add(top->queries, entry);
	top->unique_queries = row->values[3] ? strtoull(row->values[3], NULL, 10) : 0;
	return 0;
}

static void find_analytics_search(struct request_context *context)
{
	struct find_day_range range;
	find_analytics_days(context, &range);
	int64_t top_count = query_integer(context->request, "topN", ANALYTICS_DEFAULT_TOP);
	/* The SDK's SearchAnalyticsQuery also has workspaceId and source. */
	const char *source = query_text(context->request, "source");
	if (find_use_named_workspace_or_reply(context, query_text(context->request, "workspaceId"), "workspaceId") != 0)
		return;
	source = source ? source : "";
	char first_text[FIND_DAY_TEXT_SIZE], end_text[FIND_DAY_TEXT_SIZE];
	find_day_range_bounds(&range, first_text, end_text);
	const char *workspace = find_workspace(context);
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		DB_TEXT(first_text), DB_TEXT(end_text), DB_TEXT(source), DB_TEXT(source), DB_INT(top_count)};

	struct find_period_series series;
	find_period_series_init(&series, FIND_PERIOD_DAY);
	find_period_series_fill(&series, &range);
	struct find_analytics_top top = {json_object_new_array(), 0};
	enum db_result result = db_query(context->db, &find_analytics_statements[ANALYTICS_STMT_SEARCH_DAILY], params, 7,
		find_analytics_daily_row, &series);
	if (result == DB_OK)
		result = db_query(context->db, &find_analytics_statements[ANALYTICS_STMT_SEARCH_TOP], params, 8,
			find_analytics_top_row, &top);
	if (result != DB_OK) {
		find_period_series_release(&series);
		json_object_put(top.queries);
		respond_db_failure(context, result, "search analytics");
		return;
	}
	uint64_t searches = 0, zero_results = 0, result_sum = 0;
	json_object *periods = json_object_new_array();
	for (size_t i = 0; i < series.count; i++) {
		const struct find_period_bucket *bucket = &series.buckets[i];
		searches += bucket->counters[SEARCH_COUNT];
		zero_results += bucket->counters[SEARCH_ZERO_RESULTS];
		result_sum += bucket->counters[SEARCH_RESULT_SUM];
		json_object *entry = json_object_new_object();
		/* The SDK reads period (as feedback figures have it); date stays. */
		json_object_object_add(entry, "period", json_object_new_string(bucket->label));
		json_object_object_add(entry, "date", json_object_new_string(bucket->label));
		json_object_object_add(entry, "searches", json_object_new_int64((int64_t)bucket->counters[SEARCH_COUNT]));
		json_object_object_add(entry, "zero_results",
			json_object_new_int64((int64_t)bucket->counters[SEARCH_ZERO_RESULTS]));
		json_object_array_add(periods, entry);
	}
	find_period_series_release(&series);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "total_searches", json_object_new_int64((int64_t)searches));
	json_object_object_add(data, "unique_queries", json_object_new_int64((int64_t)top.unique_queries));
	json_object_object_add(data, "avg_results", find_json_decimal(find_ratio(result_sum, searches)));
	json_object_object_add(data, "zero_result_rate", find_json_decimal(find_ratio(zero_results, searches)));
	json_object_object_add(data, "top_queries", top.queries);
	json_object_object_add(data, "by_period", periods);
	response_ok(context->response, STATUS_OK, data, "Search analytics");
}

/* ------------------------------------------------------------- chat */

enum { CHAT_MESSAGES, CHAT_THREADS, CHAT_HANDOFFS };

/* Thread rows carry [threads, handoffs]; shift them behind the messages. */
static int find_analytics_thread_row(void *callback_context, const struct db_row *row)
{
	return find_period_series_add_texts(callback_context, row->values, row->column_count, CHAT_THREADS) != 0;
}

static void find_analytics_chat(struct request_context *context)
{
	struct find_day_range range;
	find_analytics_days(context, &range);
	char first_text[FIND_DAY_TEXT_SIZE], end_text[FIND_DAY_TEXT_SIZE];
	find_day_range_bounds(&range, first_text, end_text);
	uint64_t tenant_id = context->request->auth.tenant_id;
	const char *workspace = find_workspace(context);
	struct db_param message_params[] = {DB_UINT(tenant_id), DB_TEXT(first_text), DB_TEXT(end_text),
		DB_TEXT(workspace), DB_UINT(tenant_id), DB_TEXT(workspace)};
	struct db_param thread_params[] = {DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		DB_TEXT(first_text), DB_TEXT(end_text)};

	struct find_period_series series;
	find_period_series_init(&series, FIND_PERIOD_DAY);
	find_period_series_fill(&series, &range);
	enum db_result result = db_query(context->db, &find_analytics_statements[ANALYTICS_STMT_MESSAGES_DAILY],
		message_params, 6, find_analytics_daily_row, &series);
	if (result == DB_OK)
		result = db_query(context->db, &find_analytics_statements[ANALYTICS_STMT_THREADS_DAILY], thread_params, 5,
			find_analytics_thread_row, &series);
	if (result != DB_OK) {
		find_period_series_release(&series);
		respond_db_failure(context, result, "chat analytics");
		return;
	}
	uint64_t messages = 0, threads = 0, handoffs = 0;
	json_object *periods = json_object_new_array();
	for (size_t i = 0; i < series.count; i++) {
		const struct find_period_bucket *bucket = &series.buckets[i];
		messages += bucket->counters[CHAT_MESSAGES];
		threads += bucket->counters[CHAT_THREADS];
		handoffs += bucket->counters[CHAT_HANDOFFS];
		json_object *entry = json_object_new_object();
		json_object_object_add(entry, "period", json_object_new_string(bucket->label));
		json_object_object_add(entry, "date", json_object_new_string(bucket->label));
		json_object_object_add(entry, "messages", json_object_new_int64((int64_t)bucket->counters[CHAT_MESSAGES]));
		json_object_object_add(entry, "threads", json_object_new_int64((int64_t)bucket->counters[CHAT_THREADS]));
		json_object_array_add(periods, entry);
	}
	find_period_series_release(&series);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "total_messages", json_object_new_int64((int64_t)messages));
	json_object_object_add(data, "total_threads", json_object_new_int64((int64_t)threads));
	json_object_object_add(data, "avg_messages_per_thread", find_json_decimal(find_ratio(messages, threads)));
	json_object_object_add(data, "handoff_rate", find_json_decimal(find_ratio(handoffs, threads)));
	json_object_object_add(data, "by_period", periods);
	response_ok(context->response, STATUS_OK, data, "Chat analytics");
}

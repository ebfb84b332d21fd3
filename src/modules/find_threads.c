/* Find threads (/api/v1/find/threads): the conversations chat recorded.
 * Search with filters and a whitelisted sort, get one, its messages, export
 * (JSON or CSV, bounded), end a handoff and delete. Server side only:
 * secret keys and signed-in users, never publishable keys. */
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "http/request.h"
#include "http/timestamp.h"
#include "http/validate.h"
#include "http/response.h"
#include "modules/find_common.h"
#include "modules/find_conversation.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIND_THREADS_SEARCH_MAX_LIMIT 100
#define FIND_THREADS_MAX_OFFSET 100000
#define FIND_THREADS_MESSAGES_MAX 1000
/* An export holds at most this many threads and messages (the oldest
 * first); "truncated" says when there were more. */
#define FIND_THREADS_EXPORT_THREADS 5000
#define FIND_THREADS_EXPORT_MESSAGES 50000
#define FIND_THREADS_CSV_MAX_BYTES (32u * 1024u * 1024u)
/* Message text an export reads into memory at most (a worker is shared):
 * a canned answer can be 20 kB, so row counts alone do not bound it. */
#define FIND_THREADS_EXPORT_TEXT_BYTES (16u * 1024u * 1024u)

static void find_threads_search(struct request_context *context);
static void find_threads_get(struct request_context *context);
static void find_threads_messages(struct request_context *context);
static void find_threads_export(struct request_context *context);
static void find_threads_end_handoff(struct request_context *context);
static void find_threads_delete(struct request_context *context);

#define FIND_THREADS_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_threads_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/find/threads/search", .permission = "find.view",
		.credentials = FIND_THREADS_CREDENTIALS, .handler = find_threads_search},
	{.method = HTTP_POST, .pattern = "/api/v1/find/threads/export", .permission = "find.view",
		.credentials = FIND_THREADS_CREDENTIALS, .handler = find_threads_export},
	{.method = HTTP_GET, .pattern = "/api/v1/find/threads/{id}", .permission = "find.view",
		.credentials = FIND_THREADS_CREDENTIALS, .handler = find_threads_get},
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/threads/{id}", .permission = "find.manage",
		.credentials = FIND_THREADS_CREDENTIALS, .handler = find_threads_delete},
	{.method = HTTP_GET, .pattern = "/api/v1/find/threads/{id}/messages", .permission = "find.view",
		.credentials = FIND_THREADS_CREDENTIALS, .handler = find_threads_messages},
	{.method = HTTP_POST, .pattern = "/api/v1/find/threads/{id}/handoff/end", .permission = "find.manage",
		.credentials = FIND_THREADS_CREDENTIALS, .input = &input_no_body, .handler = find_threads_end_handoff},
};

const struct route_table find_threads_route_table = {
	.module_name = "find_threads",
	.routes = find_threads_routes,
	.route_count = sizeof(find_threads_routes) / sizeof(find_threads_routes[0]),
	.gate = &find_gate,
};

/* Search statements: one per sort column and direction. */
enum find_threads_sort { SORT_CREATED_AT, SORT_UPDATED_AT, SORT_MESSAGE_COUNT, SORT__MAX };
static const char *const find_threads_sort_names[SORT__MAX] = {"created_at", "updated_at", "message_count"};

enum find_threads_statement {
	THREADS_STMT_SEARCH_FIRST,
	THREADS_STMT_GET = THREADS_STMT_SEARCH_FIRST + SORT__MAX * 2,
	THREADS_STMT_MESSAGES,
	THREADS_STMT_EXPORT_THREADS,
	THREADS_STMT_EXPORT_MESSAGES,
	THREADS_STMT_END_HANDOFF,
	THREADS_STMT_DELETE_MESSAGES,
	THREADS_STMT_DELETE_PRODUCTS,
	THREADS_STMT_DELETE_THREAD,
	THREADS_STMT__MAX
};

#define THREAD_COLUMNS                                                                                           \
	"thread_id, workspace, user_id, status, has_handoff, DATE_FORMAT(handoff_ended_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"message_count, title, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "                                  \
	"DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ')"
#define THREAD_COLUMN_COUNT 10
#define THREAD_IN_WORKSPACE " AND (? = '' OR workspace = ?)"
#define THREAD_CREATED_RANGE " AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)"
#define THREAD_SEARCH(order)                                                                                     \
	"SELECT " THREAD_COLUMNS ", COUNT(*) OVER () FROM find_threads WHERE tenant_id = ?" THREAD_IN_WORKSPACE      \
	" AND (? IS NULL OR user_id = ?) AND (? IS NULL OR status = ?)" THREAD_CREATED_RANGE                        \
	" AND (? IS NULL OR has_handoff = ?) ORDER BY " order " LIMIT ? OFFSET ?"
#define THREAD_EXPORT_WHERE "tenant_id = ?" THREAD_IN_WORKSPACE THREAD_CREATED_RANGE " AND (? IS NULL OR user_id = ?)"

static const struct db_statement_def find_threads_statements[THREADS_STMT__MAX] = {
	[THREADS_STMT_SEARCH_FIRST + SORT_CREATED_AT * 2] = {.name = "find_threads.search_created_desc",
		.sql = THREAD_SEARCH("created_at DESC, thread_id DESC"), .tenant_bound = 1},
	[THREADS_STMT_SEARCH_FIRST + SORT_CREATED_AT * 2 + 1] = {.name = "find_threads.search_created_asc",
		.sql = THREAD_SEARCH("created_at, thread_id"), .tenant_bound = 1},
	[THREADS_STMT_SEARCH_FIRST + SORT_UPDATED_AT * 2] = {.name = "find_threads.search_updated_desc",
		.sql = THREAD_SEARCH("updated_at DESC, thread_id DESC"), .tenant_bound = 1},
	[THREADS_STMT_SEARCH_FIRST + SORT_UPDATED_AT * 2 + 1] = {.name = "find_threads.search_updated_asc",
		.sql = THREAD_SEARCH("updated_at, thread_id"), .tenant_bound = 1},
	[THREADS_STMT_SEARCH_FIRST + SORT_MESSAGE_COUNT * 2] = {.name = "find_threads.search_count_desc",
		.sql = THREAD_SEARCH("message_count DESC, thread_id DESC"), .tenant_bound = 1},
	[THREADS_STMT_SEARCH_FIRST + SORT_MESSAGE_COUNT * 2 + 1] = {.name = "find_threads.search_count_asc",
		.sql = THREAD_SEARCH("message_count, thread_id"), .tenant_bound = 1},
	[THREADS_STMT_GET] = {.name = "find_threads.get",
		.sql = "SELECT " THREAD_COLUMNS " FROM find_threads WHERE tenant_id = ? AND thread_id = ?" THREAD_IN_WORKSPACE,
		.tenant_bound = 1},
	[THREADS_STMT_MESSAGES] = {.name = "find_threads.messages",
		.sql = "SELECT message_index, role, content, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), payload "
		"FROM find_messages WHERE tenant_id = ? AND thread_id = ? ORDER BY message_index LIMIT 1000",
		.tenant_bound = 1},
	[THREADS_STMT_EXPORT_THREADS] = {.name = "find_threads.export_threads",
		.sql = "SELECT " THREAD_COLUMNS " FROM find_threads WHERE " THREAD_EXPORT_WHERE
		" ORDER BY created_at, thread_id LIMIT 5001",
		.tenant_bound = 1},
	/* The first parameter says whether contents are read at all (includeContent). */
	[THREADS_STMT_EXPORT_MESSAGES] = {.name = "find_threads.export_messages",
		.sql = "SELECT m.thread_id, m.message_index, m.role, IF(? = 1, m.content, ''), "
		"DATE_FORMAT(m.created_at, '%Y-%m-%dT%H:%i:%s.%fZ') "
		"FROM find_messages m JOIN (SELECT thread_id FROM find_threads WHERE " THREAD_EXPORT_WHERE
		" ORDER BY created_at, thread_id LIMIT 5000) t ON t.thread_id = m.thread_id WHERE m.tenant_id = ? "
		"ORDER BY m.thread_id, m.message_index LIMIT 50001",
		.tenant_bound = 1},
	[THREADS_STMT_END_HANDOFF] = {.name = "find_threads.end_handoff",
		.sql = "UPDATE find_threads SET status = 'active', handoff_ended_at = NOW(3) WHERE tenant_id = ? AND thread_id = ?"
		THREAD_IN_WORKSPACE " AND status = 'handoff'",
		.tenant_bound = 1},
	[THREADS_STMT_DELETE_MESSAGES] = {.name = "find_threads.delete_messages",
		.sql = "DELETE FROM find_messages WHERE tenant_id = ? AND thread_id = ?", .tenant_bound = 1},
	[THREADS_STMT_DELETE_PRODUCTS] = {.name = "find_threads.delete_products",
		.sql = "DELETE FROM find_thread_products WHERE tenant_id = ? AND thread_id = ?", .tenant_bound = 1},
	[THREADS_STMT_DELETE_THREAD] = {.name = "find_threads.delete_thread",
		.sql = "DELETE FROM find_threads WHERE tenant_id = ? AND thread_id = ?" THREAD_IN_WORKSPACE,
		.tenant_bound = 1},
};

const struct statement_table find_threads_statement_table = {
	"find_threads", find_threads_statements, THREADS_STMT__MAX};

/* ---------------------------------------------------------------- shared */

static int find_threads_refuse(struct request_context *context, const char *field, const char *problem)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request");
	response_add_detail(context->response, field, "%s", problem);
	return -1;
}

static json_object *find_threads_object(const char *const *v)
{
	json_object *thread = json_object_new_object();
	json_object_object_add(thread, "id", json_object_new_string(v[0]));
	json_object_object_add(thread, "thread_id", json_object_new_string(v[0]));
	json_object_object_add(thread, "workspace", json_object_new_string(v[1] ? v[1] : ""));
	json_object_object_add(thread, "user_id", json_object_new_string(v[2] ? v[2] : ""));
	json_object_object_add(thread, "status", json_object_new_string(v[3] ? v[3] : ""));
	json_object_object_add(thread, "has_handoff", json_object_new_boolean(v[4] && v[4][0] == '1'));
	json_object_object_add(thread, "handoff_ended_at", module_string_or_null(v[5]));
	json_object_object_add(thread, "message_count", json_object_new_int64(v[6] ? strtoll(v[6], NULL, 10) : 0));
	json_object_object_add(thread, "title", json_object_new_string(v[7] ? v[7] : ""));
	json_object_object_add(thread, "created_at", module_string_or_null(v[8]));
	json_object_object_add(thread, "updated_at", module_string_or_null(v[9]));
	return thread;
}

struct find_threads_rows {
	json_object *results;
	uint64_t total;
};

static int find_threads_row(void *callback_context, const struct db_row *row)
{
	struct find_threads_rows *rows = callback_context;
	if (row->column_count < THREAD_COLUMN_COUNT || row->values[0] == NULL)
		return 1;
	json_object_array_add(rows->results, find_threads_object(row->values));
	if (row->column_count > THREAD_COLUMN_COUNT && row->values[THREAD_COLUMN_COUNT])
		rows->total = strtoull(row->values[THREAD_COLUMN_COUNT], NULL, 10);
	return 0;
}

/* The path's thread id, or NULL after answering 404. */
static const char *find_threads_path_id(struct request_context *context)
{
	const char *id = request_path_param(context->request, "id");
	if (id == NULL || !find_thread_id_valid(id)) {
		module_not_found(context, "Thread");
		return NULL;
	}
	return id;
}

/* A time bound of a filter: a date (a whole day: an end bound moves to the
 * next midnight) or an RFC 3339 date-time. */
static int find_threads_time(json_object *value, int is_end, char out[TIMESTAMP_SQL_SIZE])
{
	if (!json_object_is_type(value, json_type_string))
		return -1;
	return timestamp_parse(json_object_get_string(value), is_end ? TIMESTAMP_OR_DATE_END : TIMESTAMP_OR_DATE, out);
}

/* ---------------------------------------------------------------- search */

struct find_threads_query {
	const char *user_id, *status;
	char created_after[TIMESTAMP_SQL_SIZE], created_before[TIMESTAMP_SQL_SIZE];
	int has_handoff; /* -1: any */
	int64_t limit, offset;
	enum find_threads_sort sort;
	int ascending;
};

static int find_threads_parse_filters(struct request_context *context, json_object *filters,
	struct find_threads_query *query)
{
	if (filters == NULL)
		return 0;
	if (!json_object_is_type(filters, json_type_object))
		return find_threads_refuse(context, "filters", "must be an object");
	json_object_object_foreach(filters, key, value)
	{
		if (value == NULL)
			continue;
		if (strcmp(key, "user_id") == 0 || strcmp(key, "userId") == 0) {
			if (!json_object_is_type(value, json_type_string) || json_object_get_string_len(value) > 191)
				return find_threads_refuse(context, "filters.user_id", "a string of at most 191 bytes");
			query->user_id = json_object_get_string(value);
		} else if (strcmp(key, "status") == 0) {
			if (!json_object_is_type(value, json_type_string) || json_object_get_string_len(value) > 16)
				return find_threads_refuse(context, "filters.status", "active, handoff or closed");
			query->status = json_object_get_string(value);
		} else if (strcmp(key, "created_after") == 0) {
			if (find_threads_time(value, 0, query->created_after) != 0)
				return find_threads_refuse(context, "filters.created_after", "a date (YYYY-MM-DD) or an RFC 3339 date-time");
		} else if (strcmp(key, "created_before") == 0) {
			if (find_threads_time(value, 1, query->created_before) != 0)
				return find_threads_refuse(context, "filters.created_before", "a date (YYYY-MM-DD, inclusive) or an RFC 3339 date-time");
		} else if (strcmp(key, "has_handoff") == 0) {
			if (!json_object_is_type(value, json_type_boolean))
				return find_threads_refuse(context, "filters.has_handoff", "true or false");
			query->has_handoff = json_object_get_boolean(value) ? 1 : 0;
		} else {
			return find_threads_refuse(context, "filters",
				"known filters: user_id, status, created_after, created_before, has_handoff");
		}
	}
	return 0;
}

static int find_threads_parse_search(struct request_context *context, struct find_threads_query *query)
{
	memset(query, 0, sizeof(*query));
	query->has_handoff = -1;
	query->limit = 20;
	json_object *body = context->request->json_body;
	if (body == NULL) /* an empty POST searches everything */
		return 0;
	if (!json_object_is_type(body, json_type_object))
		return find_threads_refuse(context, "body", "must be a JSON object");
	json_object_object_foreach(body, key, value)
	{
		if (strcmp(key, "limit") == 0 || strcmp(key, "offset") == 0) {
			int is_limit = key[0] == 'l';
			int64_t low = is_limit ? 1 : 0, high = is_limit ? FIND_THREADS_SEARCH_MAX_LIMIT : FIND_THREADS_MAX_OFFSET;
			if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < low ||
				json_object_get_int64(value) > high)
				return find_threads_refuse(context, key, is_limit ? "an integer from 1 to 100"
										   : "an integer from 0 to 100000");
			*(is_limit ? &query->limit : &query->offset) = json_object_get_int64(value);
		} else if (strcmp(key, "filters") == 0) {
			if (find_threads_parse_filters(context, value, query) != 0)
				return -1;
		} else if (strcmp(key, "sort_by") == 0 || strcmp(key, "sortBy") == 0) {
			int known = 0;
			for (int sort = 0; sort < SORT__MAX && value && json_object_is_type(value, json_type_string); sort++)
				if (strcmp(json_object_get_string(value), find_threads_sort_names[sort]) == 0)
					query->sort = (enum find_threads_sort)sort, known = 1;
			if (!known && value != NULL)
				return find_threads_refuse(context, key, "created_at, updated_at or message_count");
		} else if (strcmp(key, "sort_order") == 0 || strcmp(key, "sortOrder") == 0) {
			const char *order = value && json_object_is_type(value, json_type_string) ? json_object_get_string(value) : "";
			if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0 && value != NULL)
				return find_threads_refuse(context, key, "asc or desc");
			query->ascending = strcmp(order, "asc") == 0;
		} else {
			return find_threads_refuse(context, key, "is not a known field (limit, offset, filters, sort_by, sort_order)");
		}
	}
	return 0;
}

static struct db_param find_threads_optional(const char *text)
{
	return text != NULL && text[0] != '\0' ? DB_TEXT(text) : DB_NULL;
}

static void find_threads_search(struct request_context *context)
{
	struct find_threads_query query;
	if (find_threads_parse_search(context, &query) != 0)
		return;
	const char *workspace = find_workspace(context);
	struct db_param user = find_threads_optional(query.user_id), status = find_threads_optional(query.status);
	struct db_param after = find_threads_optional(query.created_after);
	struct db_param before = find_threads_optional(query.created_before);
	struct db_param handoff = query.has_handoff >= 0 ? DB_INT(query.has_handoff) : DB_NULL;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(workspace), DB_TEXT(workspace), user,
		user, status, status, after, after, before, before, handoff, handoff, DB_INT(query.limit),
		DB_INT(query.offset)};
	struct find_threads_rows rows = {json_object_new_array(), 0};
	const struct db_statement_def *statement =
		&find_threads_statements[THREADS_STMT_SEARCH_FIRST + query.sort * 2 + (query.ascending ? 1 : 0)];
	enum db_result result =
		db_query(context->db, statement, params, sizeof(params) / sizeof(params[0]), find_threads_row, &rows);
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "search threads");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", rows.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)rows.total));
	json_object_object_add(data, "limit", json_object_new_int64(query.limit));
	json_object_object_add(data, "offset", json_object_new_int64(query.offset));
	response_ok(context->response, STATUS_OK, data, "Threads");
}

/* ---------------------------------------------------------------- one thread */

/* The thread as JSON, or NULL (response set: 404 or a database failure). */
static json_object *find_threads_load(struct request_context *context, const char *id)
{
	const char *workspace = find_workspace(context);
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(id), DB_TEXT(workspace),
		DB_TEXT(workspace)};
	struct find_threads_rows rows = {json_object_new_array(), 0};
	enum db_result result =
		db_query(context->db, &find_threads_statements[THREADS_STMT_GET], params, 4, find_threads_row, &rows);
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "get thread");
		return NULL;
	}
	json_object *thread = json_object_array_length(rows.results) ? json_object_get(json_object_array_get_idx(rows.results, 0)) : NULL;
	json_object_put(rows.results);
	if (thread == NULL)
		module_not_found(context, "Thread");
	return thread;
}

static void find_threads_get(struct request_context *context)
{
	const char *id = find_threads_path_id(context);
	json_object *thread = id ? find_threads_load(context, id) : NULL;
	if (thread != NULL)
		response_ok(context->response, STATUS_OK, thread, "Thread");
}

static int find_threads_message_row(void *callback_context, const struct db_row *row)
{
	json_object *messages = callback_context;
	if (row->column_count != 5)
		return 1;
	const char *const *v = row->values;
	json_object *message = json_object_new_object();
	json_object_object_add(message, "index", json_object_new_int64(v[0] ? strtoll(v[0], NULL, 10) : 0));
	json_object_object_add(message, "role", json_object_new_string(v[1] ? v[1] : ""));
	json_object_object_add(message, "content", json_object_new_string(v[2] ? v[2] : ""));
	json_object_object_add(message, "timestamp", module_string_or_null(v[3]));
	json_object *payload = v[4] ? json_tokener_parse(v[4]) : NULL;
	if (payload != NULL) /* what the assistant showed: product, post and prompt ids */
		json_object_object_add(message, "metadata", payload);
	json_object_array_add(messages, message);
	return 0;
}

static void find_threads_messages(struct request_context *context)
{
	const char *id = find_threads_path_id(context);
	json_object *thread = id ? find_threads_load(context, id) : NULL;
	if (thread == NULL)
		return;
	json_object_put(thread);
	json_object *messages = json_object_new_array();
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(id)};
	enum db_result result = db_query(context->db, &find_threads_statements[THREADS_STMT_MESSAGES], params, 2,
		find_threads_message_row, messages);
	if (result != DB_OK) {
		json_object_put(messages);
		respond_db_failure(context, result, "thread messages");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "threadId", json_object_new_string(id));
	json_object_object_add(data, "messages", messages);
	response_ok(context->response, STATUS_OK, data, "Thread messages");
}

static void find_threads_end_handoff(struct request_context *context)
{
	const char *id = find_threads_path_id(context);
	if (id == NULL)
		return;
	const char *workspace = find_workspace(context);
	uint64_t changed = 0;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(id), DB_TEXT(workspace),
		DB_TEXT(workspace)};
	enum db_result result =
		db_exec(context->db, &find_threads_statements[THREADS_STMT_END_HANDOFF], params, 4, &changed, NULL);
	if (result != DB_OK) {
		respond_db_failure(context, result, "end handoff");
		return;
	}
	json_object *thread = find_threads_load(context, id);
	if (thread == NULL)
		return;
	/* Ending a handoff twice answers the same: a retried request must not
	 * fail. The SDK reads {message}; the thread comes with it. */
	const char *message = changed ? "Handoff ended" : "Thread was not in handoff";
	json_object_object_add(thread, "message", json_object_new_string(message));
	response_ok(context->response, STATUS_OK, thread, message);
}

static void find_threads_delete(struct request_context *context)
{
	const char *id = find_threads_path_id(context);
	if (id == NULL)
		return;
	const char *workspace = find_workspace(context);
	uint64_t tenant_id = context->request->auth.tenant_id, deleted = 0;
	struct db_param thread[] = {DB_UINT(tenant_id), DB_TEXT(id), DB_TEXT(workspace), DB_TEXT(workspace)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &find_threads_statements[THREADS_STMT_DELETE_THREAD], thread, 4, &deleted, NULL);
	if (result == DB_OK && deleted > 0)
		result = db_exec(context->db, &find_threads_statements[THREADS_STMT_DELETE_MESSAGES], thread, 2, NULL, NULL);
	if (result == DB_OK && deleted > 0)
		result = db_exec(context->db, &find_threads_statements[THREADS_STMT_DELETE_PRODUCTS], thread, 2, NULL, NULL);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "delete thread");
		return;
	}
	if (deleted == 0) {
		module_not_found(context, "Thread");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "message", json_object_new_string("Thread deleted successfully"));
	json_object_object_add(data, "deleted", json_object_new_boolean(1));
	response_ok(context->response, STATUS_OK, data, "Thread deleted successfully");
}

/* ---------------------------------------------------------------- export */

struct find_threads_export {
	json_object *threads;   /* array, in creation order */
	json_object *by_id;     /* thread id -> its messages array (borrowed from threads) */
	size_t message_rows;
	size_t text_bytes;
	int truncated;
	int include_content;    /* 0: messages go without their content */
};

static int find_threads_export_thread(void *callback_context, const struct db_row *row)
{
	struct find_threads_export *export = callback_context;
	if (row->column_count != THREAD_COLUMN_COUNT || row->values[0] == NULL)
		return 1;
	if (json_object_array_length(export->threads) >= FIND_THREADS_EXPORT_THREADS) {
		export->truncated = 1;
		return 0;
	}
	json_object *thread = find_threads_object(row->values), *messages = json_object_new_array();
	json_object_object_add(thread, "messages", messages);
	json_object_object_add(export->by_id, row->values[0], json_object_get(messages));
	json_object_array_add(export->threads, thread);
	return 0;
}

static int find_threads_export_message(void *callback_context, const struct db_row *row)
{
	struct find_threads_export *export = callback_context;
	if (row->column_count != 5 || row->values[0] == NULL)
		return 1;
	size_t text_length = row->lengths[3];
	if (++export->message_rows > FIND_THREADS_EXPORT_MESSAGES ||
		export->text_bytes + text_length > FIND_THREADS_EXPORT_TEXT_BYTES) {
		export->truncated = 1;
		return 1; /* nothing more fits: stop reading */
	}
	export->text_bytes += text_length;
	json_object *messages = NULL;
	if (!json_object_object_get_ex(export->by_id, row->values[0], &messages))
		return 0;
	json_object *message = json_object_new_object();
	json_object_object_add(message, "index", json_object_new_int64(row->values[1] ? strtoll(row->values[1], NULL, 10) : 0));
	json_object_object_add(message, "role", json_object_new_string(row->values[2] ? row->values[2] : ""));
	if (export->include_content)
		json_object_object_add(message, "content", json_object_new_string(row->values[3] ? row->values[3] : ""));
	json_object_object_add(message, "timestamp", module_string_or_null(row->values[4]));
	json_object_array_add(messages, message);
	return 0;
}

static const char *find_threads_member(json_object *object, const char *name)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(object, name, &value) || value == NULL)
		return "";
	return json_object_get_string(value);
}

/* One line per message (a thread without messages gets one line); without
 * include_content the content column is left out. */
static int find_threads_csv(json_object *threads, int include_content, struct find_text *csv)
{
	static const char *const thread_columns[] = {"thread_id", "workspace", "user_id", "status", "has_handoff",
		"message_count", "created_at"};
	static const char *const message_columns[] = {"index", "role", "content", "timestamp"};
	static const char header[] =
		"thread_id,workspace,user_id,status,has_handoff,message_count,created_at,message_index,role,content,"
		"message_timestamp\r\n";
	static const char header_without_content[] =
		"thread_id,workspace,user_id,status,has_handoff,message_count,created_at,message_index,role,"
		"message_timestamp\r\n";
	int result = include_content ? find_text_append(csv, header, strlen(header))
				     : find_text_append(csv, header_without_content, strlen(header_without_content));
	size_t thread_count = json_object_array_length(threads);
	for (size_t t = 0; t < thread_count && result == 0; t++) {
		json_object *thread = json_object_array_get_idx(threads, t), *messages = NULL;
		json_object_object_get_ex(thread, "messages", &messages);
		size_t message_count = messages ? json_object_array_length(messages) : 0;
		for (size_t m = 0; m < (message_count ? message_count : 1) && result == 0; m++) {
			json_object *message = message_count ? json_object_array_get_idx(messages, m) : NULL;
			for (size_t c = 0; c < sizeof(thread_columns) / sizeof(thread_columns[0]); c++) {
				result |= c ? find_text_append(csv, ",", 1) : 0;
				result |= find_csv_field(csv, find_threads_member(thread, thread_columns[c]));
			}
			for (size_t c = 0; c < sizeof(message_columns) / sizeof(message_columns[0]); c++) {
				if (!include_content && strcmp(message_columns[c], "content") == 0)
					continue;
				result |= find_text_append(csv, ",", 1);
				result |= find_csv_field(csv, message ? find_threads_member(message, message_columns[c]) : "");
			}
			result |= find_text_append(csv, "\r\n", 2);
		}
	}
	return result;
}

static void find_threads_export(struct request_context *context)
{
	json_object *body = context->request->json_body;
	const char *format = "json", *user_id = NULL;
	int include_content = 1;
	char date_from[TIMESTAMP_SQL_SIZE] = "", date_to[TIMESTAMP_SQL_SIZE] = "";
	if (body != NULL && !json_object_is_type(body, json_type_object)) {
		find_threads_refuse(context, "body", "must be a JSON object");
		return;
	}
	if (body != NULL) {
		json_object_object_foreach(body, key, value)
		{
			if (value == NULL)
				continue;
			if (strcmp(key, "format") == 0) {
				format = json_object_is_type(value, json_type_string) ? json_object_get_string(value) : "";
				if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
					find_threads_refuse(context, "format", "json or csv");
					return;
				}
			} else if (strcmp(key, "dateFrom") == 0) {
				if (find_threads_time(value, 0, date_from) != 0) {
					find_threads_refuse(context, "dateFrom", "a date (YYYY-MM-DD) or an RFC 3339 date-time");
					return;
				}
			} else if (strcmp(key, "dateTo") == 0) {
				if (find_threads_time(value, 1, date_to) != 0) {
					find_threads_refuse(context, "dateTo", "a date (YYYY-MM-DD, inclusive) or an RFC 3339 date-time");
					return;
				}
			} else if (strcmp(key, "userId") == 0) {
				if (!json_object_is_type(value, json_type_string) || json_object_get_string_len(value) == 0 ||
					json_object_get_string_len(value) > 191) {
					find_threads_refuse(context, "userId", "a string of 1 to 191 bytes");
					return;
				}
				user_id = json_object_get_string(value);
			} else if (strcmp(key, "includeContent") == 0) {
				if (!json_object_is_type(value, json_type_boolean)) {
					find_threads_refuse(context, "includeContent", "true or false");
					return;
				}
				include_content = json_object_get_boolean(value);
			} else {
				find_threads_refuse(context, key,
					"is not a known field (format, dateFrom, dateTo, userId, includeContent)");
				return;
			}
		}
	}
	const char *workspace = find_workspace(context);
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct db_param from = find_threads_optional(date_from), to = find_threads_optional(date_to);
	struct db_param user = find_threads_optional(user_id);
	/* The messages statement reads the includeContent flag first. */
	struct db_param params[] = {DB_INT(include_content), DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		from, from, to, to, user, user, DB_UINT(tenant_id)};
	struct find_threads_export export = {json_object_new_array(), json_object_new_object(), 0, 0, 0, include_content};
	enum db_result result = db_query(context->db, &find_threads_statements[THREADS_STMT_EXPORT_THREADS], params + 1,
		9, find_threads_export_thread, &export);
	if (result == DB_OK && json_object_array_length(export.threads) > 0)
		result = db_query(context->db, &find_threads_statements[THREADS_STMT_EXPORT_MESSAGES], params, 11,
			find_threads_export_message, &export);
	json_object_put(export.by_id);
	if (result != DB_OK) {
		json_object_put(export.threads);
		respond_db_failure(context, result, "export threads");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "format", json_object_new_string(format));
	json_object_object_add(data, "count", json_object_new_int64((int64_t)json_object_array_length(export.threads)));
	json_object_object_add(data, "truncated", json_object_new_boolean(export.truncated));
	json_object_object_add(data, "includeContent", json_object_new_boolean(include_content));
	if (strcmp(format, "csv") == 0) {
		struct find_text csv;
		find_text_init(&csv, FIND_THREADS_CSV_MAX_BYTES);
		if (find_threads_csv(export.threads, include_content, &csv) != 0)
			json_object_object_add(data, "truncated", json_object_new_boolean(1));
		json_object_object_add(data, "content", json_object_new_string_len(csv.data, (int)csv.length));
		find_text_release(&csv);
		json_object_put(export.threads);
	} else {
		json_object_object_add(data, "threads", export.threads);
	}
	response_ok(context->response, STATUS_OK, data, "Threads exported");
}

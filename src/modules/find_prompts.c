/* Find prompts (/api/v1/find/prompts): canned answers and conversation
 * starters a tenant defines for chat. List, get, search (FULLTEXT), upsert
 * by the client's id, bulk upsert and delete. The prompt is stored as sent
 * (unknown fields kept) in `document`; the columns are what chat matches
 * and filters on. New prompts count against the plan's max_prompts through
 * resource_counts ("find.prompts"), in the same transaction as the write. */
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "find/events.h"
#include "find/plan.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/find_common.h"
#include "modules/find_conversation.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIND_PROMPTS_BULK_MAX 100
#define FIND_PROMPTS_SEARCH_MAX 50
#define FIND_PROMPTS_COUNTER "find.prompts"

static void find_prompts_list(struct request_context *context);
static void find_prompts_get(struct request_context *context);
static void find_prompts_search(struct request_context *context);
static void find_prompts_upsert(struct request_context *context);
static void find_prompts_bulk(struct request_context *context);
static void find_prompts_delete(struct request_context *context);

/* The SDK's PromptListRequest: page, limit and filters, the same filters a
 * prompt search takes ({status}), as JSON text or filters[status]=... */
static const struct query_field list_filter_members[] = {
	{.name = "status", .type = QUERY_TEXT, .min_length = 1, .max_length = 32},
};
static const struct query_spec list_filters = QUERY_SPEC(list_filter_members);
static const struct query_field list_query_fields[] = {
	{.name = "page", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_PAGE},
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_LIMIT},
	{.name = "filters", .type = QUERY_OBJECT, .members = &list_filters},
};
static const struct query_spec list_query = QUERY_SPEC(list_query_fields);

#define FIND_PROMPTS_READERS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY)
#define FIND_PROMPTS_WRITERS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_prompts_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/find/prompts", .permission = "find.view",
		.credentials = FIND_PROMPTS_READERS, .query = &list_query, .handler = find_prompts_list},
	{.method = HTTP_POST, .pattern = "/api/v1/find/prompts", .permission = "find.manage",
		.credentials = FIND_PROMPTS_WRITERS, .handler = find_prompts_upsert},
	{.method = HTTP_POST, .pattern = "/api/v1/find/prompts/search", .permission = "find.view",
		.credentials = FIND_PROMPTS_READERS, .handler = find_prompts_search},
	{.method = HTTP_POST, .pattern = "/api/v1/find/prompts/bulk", .permission = "find.manage",
		.credentials = FIND_PROMPTS_WRITERS, .handler = find_prompts_bulk},
	{.method = HTTP_GET, .pattern = "/api/v1/find/prompts/{id}", .permission = "find.view",
		.credentials = FIND_PROMPTS_READERS, .handler = find_prompts_get},
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/prompts/{id}", .permission = "find.manage",
		.credentials = FIND_PROMPTS_WRITERS, .handler = find_prompts_delete},
};

const struct route_table find_prompts_route_table = {
	.module_name = "find_prompts",
	.routes = find_prompts_routes,
	.route_count = sizeof(find_prompts_routes) / sizeof(find_prompts_routes[0]),
	.gate = &find_gate,
};

enum find_prompts_statement {
	PROMPTS_STMT_LIST,
	PROMPTS_STMT_GET,
	PROMPTS_STMT_SEARCH,
	PROMPTS_STMT_SEARCH_ALL,
	PROMPTS_STMT_LOCK,
	PROMPTS_STMT_UPSERT,
	PROMPTS_STMT_DELETE,
	PROMPTS_STMT_COUNTER_ADD,
	PROMPTS_STMT_COUNTER_GET,
	PROMPTS_STMT__MAX
};

#define PROMPTS_COLUMNS                                                                                         \
	"document, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ')"
#define PROMPTS_TEXT "MATCH(prompt, title, description, tags_text, categories_text) AGAINST (? IN NATURAL LANGUAGE MODE)"
/* The workspace ("" = all), then whether the caller is a browser
 * (publishable key): browsers see only prompts that are live now. */
#define PROMPTS_IN_WORKSPACE                                                                                      \
	" AND (? = '' OR workspace = ?) AND (? = 0 OR (status = 'active'"                                         \
	" AND (active_from IS NULL OR active_from <= UTC_TIMESTAMP(3)) AND (active_to IS NULL OR active_to > UTC_TIMESTAMP(3))))"

static const struct db_statement_def find_prompts_statements[PROMPTS_STMT__MAX] = {
	[PROMPTS_STMT_LIST] = {.name = "find_prompts.list",
		.sql = "SELECT " PROMPTS_COLUMNS ", COUNT(*) OVER () FROM find_prompts WHERE tenant_id = ?" PROMPTS_IN_WORKSPACE
		" AND (? IS NULL OR status = ?) ORDER BY updated_at DESC, workspace, prompt_id LIMIT ? OFFSET ?",
		.tenant_bound = 1},
	[PROMPTS_STMT_GET] = {.name = "find_prompts.get",
		.sql = "SELECT " PROMPTS_COLUMNS " FROM find_prompts WHERE tenant_id = ? AND prompt_id = ?" PROMPTS_IN_WORKSPACE
		" ORDER BY workspace LIMIT 1",
		.tenant_bound = 1},
	/* The score's text is bound before the tenant: the select list comes first. */
	[PROMPTS_STMT_SEARCH] = {.name = "find_prompts.search",
		.sql = "SELECT " PROMPTS_COLUMNS ", " PROMPTS_TEXT ", COUNT(*) OVER () FROM find_prompts WHERE tenant_id = ?"
		PROMPTS_IN_WORKSPACE " AND " PROMPTS_TEXT " AND (? IS NULL OR status = ?)"
		" ORDER BY 4 DESC, priority DESC, prompt_id LIMIT ?",
		.tenant_bound = 1},
	[PROMPTS_STMT_SEARCH_ALL] = {.name = "find_prompts.search_all",
		.sql = "SELECT " PROMPTS_COLUMNS ", 0, COUNT(*) OVER () FROM find_prompts WHERE tenant_id = ?" PROMPTS_IN_WORKSPACE
		" AND (? IS NULL OR status = ?) ORDER BY priority DESC, updated_at DESC, prompt_id LIMIT ?",
		.tenant_bound = 1},
	[PROMPTS_STMT_LOCK] = {.name = "find_prompts.lock",
		.sql = "SELECT 1 FROM find_prompts WHERE tenant_id = ? AND workspace = ? AND prompt_id = ? FOR UPDATE",
		.tenant_bound = 1},
	[PROMPTS_STMT_UPSERT] = {.name = "find_prompts.upsert",
		.sql = "INSERT INTO find_prompts (tenant_id, workspace, prompt_id, prompt, title, description, canned_response, "
		"response_format, override_mode, status, priority, active_from, active_to, tags_text, categories_text, "
		"document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"prompt = VALUES(prompt), title = VALUES(title), description = VALUES(description), "
		"canned_response = VALUES(canned_response), response_format = VALUES(response_format), "
		"override_mode = VALUES(override_mode), status = VALUES(status), priority = VALUES(priority), "
		"active_from = VALUES(active_from), active_to = VALUES(active_to), tags_text = VALUES(tags_text), "
		"categories_text = VALUES(categories_text), document = VALUES(document), updated_at = NOW(3)",
		.tenant_bound = 1},
	[PROMPTS_STMT_DELETE] = {.name = "find_prompts.delete",
		.sql = "DELETE FROM find_prompts WHERE tenant_id = ? AND workspace = ? AND prompt_id = ?",
		.tenant_bound = 1},
	[PROMPTS_STMT_COUNTER_ADD] = {.name = "find_prompts.counter_add",
		.sql = "INSERT INTO resource_counts (tenant_id, resource, live_rows) VALUES (?, ?, ?) "
		"ON DUPLICATE KEY UPDATE live_rows = GREATEST(0, live_rows + VALUES(live_rows))",
		.tenant_bound = 1},
	[PROMPTS_STMT_COUNTER_GET] = {.name = "find_prompts.counter_get",
		.sql = "SELECT live_rows FROM resource_counts WHERE tenant_id = ? AND resource = ?", .tenant_bound = 1},
};

const struct statement_table find_prompts_statement_table = {
	"find_prompts", find_prompts_statements, PROMPTS_STMT__MAX};

/* Browsers (publishable keys) see only live prompts. */
static int find_prompts_browser(const struct request_context *context)
{
	return context->request->auth.kind == AUTH_PUBLISHABLE_KEY;
}

/* ---------------------------------------------------------------- reading */

struct find_prompts_rows {
	json_object *results;
	uint64_t total;
	int with_score;
};

/* The stored document with the server's timestamps (and score). */
static json_object *find_prompts_object(const struct db_row *row)
{
	json_object *prompt = row->values[0] ? json_tokener_parse(row->values[0]) : NULL;
	if (prompt == NULL || !json_object_is_type(prompt, json_type_object)) {
		json_object_put(prompt);
		prompt = json_object_new_object();
	}
	json_object_object_add(prompt, "created_at", module_string_or_null(row->values[1]));
	json_object_object_add(prompt, "updated_at", module_string_or_null(row->values[2]));
	return prompt;
}

static int find_prompts_row(void *callback_context, const struct db_row *row)
{
	struct find_prompts_rows *rows = callback_context;
	size_t expected = rows->with_score ? 5 : 4;
	if (row->column_count != expected)
		return 1;
	json_object *prompt = find_prompts_object(row);
	if (rows->with_score)
		json_object_object_add(prompt, "score", json_object_new_double(row->values[3] ? atof(row->values[3]) : 0));
	json_object_array_add(rows->results, prompt);
	const char *total = row->values[expected - 1];
	rows->total = total ? strtoull(total, NULL, 10) : 0;
	return 0;
}

static void find_prompts_list(struct request_context *context)
{
	struct page_request page;
	if (pagination_parse_or_reply(context->request, NULL, &page, context->response) != 0)
		return;
	const char *workspace = find_workspace(context);
	json_object *filters = query_object(context->request, "filters"), *status = NULL;
	json_object_object_get_ex(filters, "status", &status);
	struct db_param status_param = status ? DB_TEXT(json_object_get_string(status)) : DB_NULL;
	struct find_prompts_rows rows = {json_object_new_array(), 0, 0};
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
		DB_INT(find_prompts_browser(context)), status_param, status_param, DB_UINT(page.limit),
		DB_UINT(pagination_offset(&page))};
	enum db_result result =
		db_query(context->db, &find_prompts_statements[PROMPTS_STMT_LIST], params, 8, find_prompts_row, &rows);
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "list prompts");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", rows.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)rows.total));
	json_object_object_add(data, "page", json_object_new_int64(page.page));
	json_object_object_add(data, "limit", json_object_new_int64(page.limit));
	response_ok(context->response, STATUS_OK, data, "Prompts");
}

static int find_prompts_one(void *callback_context, const struct db_row *row)
{
	json_object **out = callback_context;
	if (row->column_count != 3)
		return 1;
	*out = find_prompts_object(row);
	return 0;
}

static void find_prompts_get(struct request_context *context)
{
	const char *id = request_path_param(context->request, "id");
	const char *workspace = find_workspace(context);
	json_object *prompt = NULL;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(id ? id : ""), DB_TEXT(workspace),
		DB_TEXT(workspace), DB_INT(find_prompts_browser(context))};
	enum db_result result =
		db_query(context->db, &find_prompts_statements[PROMPTS_STMT_GET], params, 5, find_prompts_one, &prompt);
	if (result != DB_OK) {
		json_object_put(prompt);
		respond_db_failure(context, result, "get prompt");
		return;
	}
	if (prompt == NULL) {
		module_not_found(context, "Prompt");
		return;
	}
	response_ok(context->response, STATUS_OK, prompt, "Prompt");
}

/* A body member check the input specs cannot express (objects). */
static int find_prompts_refuse(struct request_context *context, const char *field, const char *problem)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request");
	response_add_detail(context->response, field, "%s", problem);
	return -1;
}

static void find_prompts_search(struct request_context *context)
{
	json_object *body = context->request->json_body;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		find_prompts_refuse(context, "body", "must be a JSON object");
		return;
	}
	const char *text = "", *status = NULL;
	int64_t limit = 10;
	json_object_object_foreach(body, key, value)
	{
		if (strcmp(key, "text") == 0 || strcmp(key, "query") == 0) {
			if (value != NULL && (!json_object_is_type(value, json_type_string) ||
				json_object_get_string_len(value) > 500)) {
				find_prompts_refuse(context, key, "must be a string of at most 500 bytes");
				return;
			}
			text = value ? json_object_get_string(value) : "";
		} else if (strcmp(key, "limit") == 0) {
			if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 1 ||
				json_object_get_int64(value) > FIND_PROMPTS_SEARCH_MAX) {
				find_prompts_refuse(context, "limit", "must be an integer from 1 to 50");
				return;
			}
			limit = json_object_get_int64(value);
		} else if (strcmp(key, "filters") == 0) {
			if (value == NULL)
				continue;
			if (!json_object_is_type(value, json_type_object)) {
				find_prompts_refuse(context, "filters", "must be an object");
				return;
			}
			json_object_object_foreach(value, filter, filter_value)
			{
				if (strcmp(filter, "status") != 0 || !json_object_is_type(filter_value, json_type_string) ||
					json_object_get_string_len(filter_value) > 32) {
					find_prompts_refuse(context, "filters", "only {\"status\": \"...\"} is supported");
					return;
				}
				status = json_object_get_string(filter_value);
			}
		} else {
			find_prompts_refuse(context, key, "is not a known field (text, filters, limit)");
			return;
		}
	}
	const char *workspace = find_workspace(context);
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct find_prompts_rows rows = {json_object_new_array(), 0, 1};
	struct db_param status_param = status ? DB_TEXT(status) : DB_NULL;
	enum db_result result;
	if (text[0] != '\0') {
		struct db_param params[] = {DB_TEXT(text), DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
			DB_INT(find_prompts_browser(context)), DB_TEXT(text), status_param, status_param, DB_INT(limit)};
		result = db_query(context->db, &find_prompts_statements[PROMPTS_STMT_SEARCH], params, 9, find_prompts_row,
			&rows);
	} else {
		struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(workspace),
			DB_INT(find_prompts_browser(context)), status_param, status_param, DB_INT(limit)};
		result = db_query(context->db, &find_prompts_statements[PROMPTS_STMT_SEARCH_ALL], params, 7,
			find_prompts_row, &rows);
	}
	if (result != DB_OK) {
		json_object_put(rows.results);
		respond_db_failure(context, result, "search prompts");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", rows.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)rows.total));
	/* The SDK's PaginatedResponse: a search answers its first (only) page. */
	json_object_object_add(data, "page", json_object_new_int64(1));
	json_object_object_add(data, "limit", json_object_new_int64(limit));
	response_ok(context->response, STATUS_OK, data, "Prompts found");
}

/* ---------------------------------------------------------------- writing */

enum find_prompts_outcome { PROMPTS_CREATED, PROMPTS_UPDATED, PROMPTS_OVER_CAP, PROMPTS_FAILED };

/* One prompt in its own transaction; *db_failure holds the db_result on PROMPTS_FAILED. */
static enum find_prompts_outcome find_prompts_write(struct request_context *context, const char *workspace,
	json_object *entity, const struct find_prompt_fields *fields, int *db_failure)
{
	uint64_t tenant_id = context->request->auth.tenant_id, exists = 0, live_rows = 0;
	struct db_param key[] = {DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(fields->id)};
	/* The id is stored as text even when the client sent a number. */
	json_object_object_add(entity, "id", json_object_new_string(fields->id));
	const char *document = json_object_to_json_string_ext(entity, JSON_C_TO_STRING_PLAIN);
	struct db_param values[] = {DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(fields->id), DB_TEXT(fields->prompt),
		DB_TEXT(fields->title), DB_TEXT(fields->description), DB_TEXT(fields->canned_response),
		DB_TEXT(fields->response_format), DB_TEXT(fields->override_mode), DB_TEXT(fields->status),
		DB_INT(fields->priority), fields->active_from[0] ? DB_TEXT(fields->active_from) : DB_NULL,
		fields->active_to[0] ? DB_TEXT(fields->active_to) : DB_NULL, DB_TEXT(fields->tags_text),
		DB_TEXT(fields->categories_text), DB_TEXT(document)};
	struct db_param counter[] = {DB_UINT(tenant_id), DB_TEXT(FIND_PROMPTS_COUNTER), DB_INT(1)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &find_prompts_statements[PROMPTS_STMT_LOCK], key, 3, module_read_uint64,
			&exists);
	if (result == DB_OK && !exists) {
		/* Counting first takes the counter's row lock: concurrent creators
		 * queue here, so the cap holds without COUNT(*). */
		result = db_exec(context->db, &find_prompts_statements[PROMPTS_STMT_COUNTER_ADD], counter, 3, NULL, NULL);
		if (result == DB_OK)
			result = db_query(context->db, &find_prompts_statements[PROMPTS_STMT_COUNTER_GET], counter, 2,
				module_read_uint64, &live_rows);
		if (result == DB_OK && live_rows > find_request_of(context)->plan->max_prompts) {
			db_rollback(context->db);
			return PROMPTS_OVER_CAP;
		}
	}
	if (result == DB_OK)
		result = db_exec(context->db, &find_prompts_statements[PROMPTS_STMT_UPSERT], values, 16, NULL, NULL);
	/* The webhook event commits with the prompt (find/events.h). */
	if (result == DB_OK) {
		json_object *event = json_object_new_object();
		json_object_object_add(event, "id", json_object_new_string(fields->id));
		json_object_object_add(event, "created", json_object_new_boolean(!exists));
		result = find_events_emit(context->db, tenant_id, workspace, "prompt.upsert", event);
		json_object_put(event);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		db_rollback(context->db);
		*db_failure = result;
		return PROMPTS_FAILED;
	}
	return exists ? PROMPTS_UPDATED : PROMPTS_CREATED;
}

static void find_prompts_plan_limit(struct request_context *context)
{
	response_error(context->response, STATUS_PLAN_LIMIT_REACHED, "Prompt limit of the plan reached");
	response_add_detail(context->response, "prompts", "at most %u prompts on plan %s", find_request_of(context)->plan->max_prompts,
		find_request_of(context)->plan->code);
}

static void find_prompts_upsert(struct request_context *context)
{
	const char *workspace = find_require_workspace(context);
	if (workspace == NULL)
		return;
	struct find_prompt_fields fields;
	char field[64], problem[160];
	json_object *entity = context->request->json_body;
	if (find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)) != 0) {
		find_prompts_refuse(context, field, problem);
		return;
	}
	int db_failure = DB_OK;
	enum find_prompts_outcome outcome = find_prompts_write(context, workspace, entity, &fields, &db_failure);
	find_prompt_release(&fields);
	switch (outcome) {
	case PROMPTS_OVER_CAP:
		find_prompts_plan_limit(context);
		return;
	case PROMPTS_FAILED:
		respond_db_failure(context, db_failure, "upsert prompt");
		return;
	default:
		break;
	}
	const char *message = outcome == PROMPTS_CREATED ? "Prompt created" : "Prompt updated";
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(fields.id));
	json_object_object_add(data, "message", json_object_new_string(message));
	response_ok(context->response, outcome == PROMPTS_CREATED ? STATUS_CREATED : STATUS_OK, data, message);
}

static void find_prompts_failed_item(json_object *failed, json_object *entity, size_t index, const char *error)
{
	json_object *item = json_object_new_object();
	json_object *id = NULL;
	if (entity != NULL && json_object_is_type(entity, json_type_object) && json_object_object_get_ex(entity, "id", &id) &&
		id != NULL && (json_object_is_type(id, json_type_string) || json_object_is_type(id, json_type_int)))
		json_object_object_add(item, "id", json_object_new_string(json_object_get_string(id)));
	else
		json_object_object_add(item, "id", NULL);
	json_object_object_add(item, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(item, "error", json_object_new_string(error));
	json_object_array_add(failed, item);
}

static void find_prompts_bulk(struct request_context *context)
{
	const char *workspace = find_require_workspace(context);
	if (workspace == NULL)
		return;
	json_object *body = context->request->json_body, *entities = NULL;
	if (body == NULL || !json_object_is_type(body, json_type_object) ||
		!json_object_object_get_ex(body, "entities", &entities) || json_object_object_length(body) != 1 ||
		!json_object_is_type(entities, json_type_array) || json_object_array_length(entities) == 0 ||
		json_object_array_length(entities) > FIND_PROMPTS_BULK_MAX) {
		find_prompts_refuse(context, "entities", "1 to 100 prompt objects, and nothing else in the body");
		return;
	}
	json_object *successful = json_object_new_array(), *failed = json_object_new_array();
	size_t count = json_object_array_length(entities);
	for (size_t i = 0; i < count; i++) {
		json_object *entity = json_object_array_get_idx(entities, i);
		struct find_prompt_fields fields;
		char field[64], problem[160], error[240];
		if (find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)) != 0) {
			snprintf(error, sizeof(error), "%s %s", field, problem);
			find_prompts_failed_item(failed, entity, i, error);
			continue;
		}
		int db_failure = DB_OK;
		enum find_prompts_outcome outcome = find_prompts_write(context, workspace, entity, &fields, &db_failure);
		find_prompt_release(&fields);
		if (outcome == PROMPTS_CREATED || outcome == PROMPTS_UPDATED) {
			json_object_array_add(successful, json_object_new_string(fields.id));
		} else if (outcome == PROMPTS_OVER_CAP) {
			snprintf(error, sizeof(error), "prompt limit of plan %s reached (%u)", find_request_of(context)->plan->code,
				find_request_of(context)->plan->max_prompts);
			find_prompts_failed_item(failed, entity, i, error);
		} else {
			log_msg(LOG_LEVEL_ERROR, context->request->request_id, "bulk prompt %zu: %s", i,
				db_last_error(context->db));
			if (db_result_is_unavailable(db_failure)) { /* the rest would fail the same way */
				json_object_put(successful);
				json_object_put(failed);
				respond_db_failure(context, db_failure, "bulk prompts");
				return;
			}
			find_prompts_failed_item(failed, entity, i, "could not be stored");
		}
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "successful_ids", successful);
	json_object_object_add(data, "failed_items", failed);
	response_ok(context->response, STATUS_OK, data, "Bulk upsert processed");
}

static void find_prompts_delete(struct request_context *context)
{
	const char *workspace = find_require_workspace(context);
	if (workspace == NULL)
		return;
	const char *id = request_path_param(context->request, "id");
	uint64_t tenant_id = context->request->auth.tenant_id, deleted = 0;
	struct db_param key[] = {DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(id ? id : "")};
	struct db_param counter[] = {DB_UINT(tenant_id), DB_TEXT(FIND_PROMPTS_COUNTER), DB_INT(-1)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &find_prompts_statements[PROMPTS_STMT_DELETE], key, 3, &deleted, NULL);
	if (result == DB_OK && deleted > 0)
		result = db_exec(context->db, &find_prompts_statements[PROMPTS_STMT_COUNTER_ADD], counter, 3, NULL, NULL);
	if (result == DB_OK && deleted > 0) {
		json_object *event = json_object_new_object(), *ids = json_object_new_array();
		json_object_array_add(ids, json_object_new_string(id));
		json_object_object_add(event, "id", json_object_new_string(id));
		json_object_object_add(event, "ids", ids);
		result = find_events_emit(context->db, tenant_id, workspace, "prompt.delete", event);
		json_object_put(event);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "delete prompt");
		return;
	}
	if (deleted == 0) {
		module_not_found(context, "Prompt");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "message", json_object_new_string("Prompt deleted successfully"));
	json_object_object_add(data, "deleted", json_object_new_boolean(1));
	response_ok(context->response, STATUS_OK, data, "Prompt deleted successfully");
}

/* Find API webhooks (/api/v1/find/webhooks): create, list, get, update,
 * delete, a synchronous signed test delivery, delivery statistics and the
 * event catalogue. Deliveries themselves are written by find_events_emit
 * (src/find/events.c) and sent by the delivery process (src/server/
 * deliverer.c). Secret keys and users holding find.manage; never
 * publishable keys. */
#include "core/config.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "find/events.h"
#include "find/plan.h"
#include "find/webhook_policy.h"
#include "find/webhook_target.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/timestamp.h"
#include "http/validate.h"
#include "modules/find_common.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Longest a /test request waits for the receiver. */
#define FIND_WEBHOOKS_TEST_TIMEOUT_MS 5000

#define WEBHOOKS_NAME_MAX 200
#define WEBHOOKS_DESCRIPTION_MAX 1000
#define WEBHOOKS_SECRET_MIN 16
#define WEBHOOKS_SECRET_MAX 256
#define WEBHOOKS_EVENTS_TEXT_MAX 1000
#define WEBHOOKS_HEADERS_TEXT_MAX 8192
/* Event names a list may filter on at once (?events=a,b). */
#define WEBHOOKS_LIST_EVENTS_MAX 20
#define WEBHOOKS_EVENT_NAME_MAX 64
#define WEBHOOKS_METADATA_MAX 4096

static void find_webhooks_events(struct request_context *context);
static void find_webhooks_list(struct request_context *context);
static void find_webhooks_create(struct request_context *context);
static void find_webhooks_get(struct request_context *context);
static void find_webhooks_update(struct request_context *context);
static void find_webhooks_delete(struct request_context *context);
static void find_webhooks_test(struct request_context *context);
static void find_webhooks_stats(struct request_context *context);

/* A new webhook starts active or inactive; a PUT may also suspend one
 * (held like inactive until set active again), as the SDK allows. */
static const char *const webhook_statuses[] = {"active", "inactive", NULL};
static const char *const webhook_update_statuses[] = {"active", "inactive", "suspended", NULL};
static const char *const webhook_auth_types[] = {"none", "bearer", "basic", "api_key", NULL};

static const struct field_spec create_fields[] = {
	{.name = "name", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = WEBHOOKS_NAME_MAX},
	{.name = "url", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = WEBHOOK_URL_MAX},
	{.name = "events", .type = FIELD_STRING_ARRAY, .required = 1, .min_length = 1, .max_length = 20},
	{.name = "description", .type = FIELD_STRING, .max_length = WEBHOOKS_DESCRIPTION_MAX, .nullable = 1},
	{.name = "secret", .type = FIELD_STRING, .min_length = WEBHOOKS_SECRET_MIN, .max_length = WEBHOOKS_SECRET_MAX},
	{.name = "status", .type = FIELD_ENUM, .enum_values = webhook_statuses},
	{.name = "retry_policy", .type = FIELD_OBJECT},
	{.name = "headers", .type = FIELD_OBJECT, .nullable = 1},
	{.name = "timeout_ms", .type = FIELD_INTEGER, .min_value = WEBHOOK_MIN_TIMEOUT_MS,
		.max_value = WEBHOOK_MAX_TIMEOUT_MS},
	{.name = "auth_type", .type = FIELD_ENUM, .enum_values = webhook_auth_types},
	{.name = "auth_config", .type = FIELD_OBJECT, .max_length = WEBHOOK_AUTH_CONFIG_TEXT_MAX, .nullable = 1},
	{.name = "metadata", .type = FIELD_OBJECT, .max_length = WEBHOOKS_METADATA_MAX, .nullable = 1},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

/* The same fields, none required: a PUT changes what it names. */
static const struct field_spec update_fields[] = {
	{.name = "name", .type = FIELD_STRING, .min_length = 1, .max_length = WEBHOOKS_NAME_MAX},
	{.name = "url", .type = FIELD_STRING, .min_length = 1, .max_length = WEBHOOK_URL_MAX},
	{.name = "events", .type = FIELD_STRING_ARRAY, .min_length = 1, .max_length = 20},
	{.name = "description", .type = FIELD_STRING, .max_length = WEBHOOKS_DESCRIPTION_MAX, .nullable = 1},
	{.name = "secret", .type = FIELD_STRING, .min_length = WEBHOOKS_SECRET_MIN, .max_length = WEBHOOKS_SECRET_MAX},
	{.name = "status", .type = FIELD_ENUM, .enum_values = webhook_update_statuses},
	{.name = "retry_policy", .type = FIELD_OBJECT},
	{.name = "headers", .type = FIELD_OBJECT, .nullable = 1},
	{.name = "timeout_ms", .type = FIELD_INTEGER, .min_value = WEBHOOK_MIN_TIMEOUT_MS,
		.max_value = WEBHOOK_MAX_TIMEOUT_MS},
	{.name = "auth_type", .type = FIELD_ENUM, .enum_values = webhook_auth_types},
	{.name = "auth_config", .type = FIELD_OBJECT, .max_length = WEBHOOK_AUTH_CONFIG_TEXT_MAX, .nullable = 1},
	{.name = "metadata", .type = FIELD_OBJECT, .max_length = WEBHOOKS_METADATA_MAX, .nullable = 1},
};
static const struct input_spec update_input = INPUT_SPEC(update_fields);

#define WEBHOOKS_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
/* "events" comes before "{id}": the router takes the first match. */
static const char *const webhooks_statuses[] = {"active", "inactive", "suspended", NULL};
static const char *const webhooks_sort_names[] = {"name", "created_at", "updated_at", "last_delivery_at", NULL};
/* The SDK's WebhookListRequest (events joined with commas), and the older
 * single ?event=. Event names are checked against the catalogue by the handler. */
static const struct query_field list_query_fields[] = {
	{.name = "page", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_PAGE},
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_LIMIT},
	{.name = "status", .type = QUERY_ENUM, .enum_values = webhooks_statuses},
	{.name = "events", .type = QUERY_LIST, .max_length = WEBHOOKS_EVENT_NAME_MAX, .max_value = WEBHOOKS_LIST_EVENTS_MAX},
	{.name = "event", .type = QUERY_TEXT, .min_length = 1, .max_length = WEBHOOKS_EVENT_NAME_MAX},
	{.name = "name_contains", .type = QUERY_TEXT, .min_length = 1, .max_length = 200},
	{.name = "url_contains", .type = QUERY_TEXT, .min_length = 1, .max_length = 200},
	{.name = "created_after", .type = QUERY_TIMESTAMP},
	{.name = "created_before", .type = QUERY_TIMESTAMP},
	/* user:<id> or key:<id>, as a webhook's created_by says */
	{.name = "created_by", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},
	{.name = "sort_by", .type = QUERY_ENUM, .enum_values = webhooks_sort_names},
	{.name = "sort_order", .type = QUERY_ENUM, .enum_values = pagination_sort_orders},
};
static const struct query_spec list_query = QUERY_SPEC(list_query_fields);

static const struct route find_webhooks_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/find/webhooks/events", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .handler = find_webhooks_events},
	{.method = HTTP_GET, .pattern = "/api/v1/find/webhooks", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .query = &list_query,
		.handler = find_webhooks_list},
	{.method = HTTP_POST, .pattern = "/api/v1/find/webhooks", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .input = &create_input, .handler = find_webhooks_create},
	{.method = HTTP_GET, .pattern = "/api/v1/find/webhooks/{id}", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .handler = find_webhooks_get},
	{.method = HTTP_PUT, .pattern = "/api/v1/find/webhooks/{id}", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .input = &update_input, .handler = find_webhooks_update},
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/webhooks/{id}", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .handler = find_webhooks_delete},
	{.method = HTTP_POST, .pattern = "/api/v1/find/webhooks/{id}/test", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .input = &input_no_body, .handler = find_webhooks_test},
	{.method = HTTP_GET, .pattern = "/api/v1/find/webhooks/{id}/stats", .permission = "find.manage",
		.credentials = WEBHOOKS_CREDENTIALS, .handler = find_webhooks_stats},
};

const struct route_table find_webhooks_route_table = {
	.module_name = "find_webhooks",
	.routes = find_webhooks_routes,
	.route_count = sizeof(find_webhooks_routes) / sizeof(find_webhooks_routes[0]),
	.gate = &find_gate,
};

enum find_webhooks_statement {
	WEBHOOKS_STMT_COUNT,
	WEBHOOKS_STMT_INSERT,
	WEBHOOKS_STMT_GET,
	WEBHOOKS_STMT_LOCK,
	WEBHOOKS_STMT_READ,
	WEBHOOKS_STMT_LIST,
	WEBHOOKS_STMT_LIST_ASC,
	WEBHOOKS_STMT_LIST_COUNT,
	WEBHOOKS_STMT_UPDATE,
	WEBHOOKS_STMT_RELEASE_HELD,
	WEBHOOKS_STMT_DELETE,
	WEBHOOKS_STMT_DELETE_DELIVERIES,
	WEBHOOKS_STMT_STATS,
	WEBHOOKS_STMT__MAX
};

#define WEBHOOKS_COLUMNS                                                                                          \
	"webhook_id, name, url, description, status, events, max_attempts, backoff, initial_delay_ms, timeout_ms, " \
	"headers, consecutive_failures, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "                       \
	"DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(last_delivery_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"DATE_FORMAT(last_success_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(last_failure_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"auth_type, auth_config, metadata, created_by"
#define WEBHOOKS_COLUMN_COUNT 21
/* What a change reads of the stored webhook (find_webhooks_read_fields). */
#define WEBHOOKS_FIELD_COLUMNS                                                                                    \
	"name, url, description, secret, status, events, max_attempts, backoff, initial_delay_ms, timeout_ms, "     \
	"headers, auth_type, auth_config, metadata"
#define WEBHOOKS_FIELD_COLUMN_COUNT 14
/* The list's conditions: "" leaves one out. events is a JSON array of
 * names, any of which a webhook's subscription must hold. */
#define WEBHOOKS_LIST_FILTERS                                                                                     \
	" FROM find_webhooks WHERE tenant_id = ? AND (? = '' OR status = ?) AND (? = '' OR EXISTS (SELECT 1 FROM "  \
	"JSON_TABLE(?, '$[*]' COLUMNS (event VARCHAR(64) PATH '$')) jt WHERE FIND_IN_SET(jt.event, events) > 0)) "  \
	"AND (? = '' OR INSTR(name, ?) > 0) AND (? = '' OR INSTR(url, ?) > 0) AND (? = '' OR created_at >= ?) "    \
	"AND (? = '' OR created_at < ?) AND (? = '' OR created_by = ?)"
/* sort_by as one text column: dates in a fixed-width form sort as they fall. */
#define WEBHOOKS_SORT_KEY                                                                                         \
	"CASE ? WHEN 'name' THEN name WHEN 'updated_at' THEN DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') "    \
	"WHEN 'last_delivery_at' THEN DATE_FORMAT(last_delivery_at, '%Y-%m-%d %H:%i:%s.%f') "                     \
	"ELSE DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') END"

static const struct db_statement_def find_webhooks_statements[WEBHOOKS_STMT__MAX] = {
	/* FOR UPDATE locks the tenant's range, so two creates cannot both pass the cap. */
	[WEBHOOKS_STMT_COUNT] = {.name = "find_webhooks.count",
		.sql = "SELECT COUNT(*) FROM find_webhooks WHERE tenant_id = ? FOR UPDATE", .tenant_bound = 1},
	[WEBHOOKS_STMT_INSERT] = {.name = "find_webhooks.insert",
		.sql = "INSERT INTO find_webhooks (tenant_id, name, url, description, secret, status, events, max_attempts, "
		"backoff, initial_delay_ms, timeout_ms, headers, auth_type, auth_config, metadata, created_by) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_GET] = {.name = "find_webhooks.get",
		.sql = "SELECT " WEBHOOKS_COLUMNS " FROM find_webhooks WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_LOCK] = {.name = "find_webhooks.lock",
		.sql = "SELECT " WEBHOOKS_FIELD_COLUMNS " FROM find_webhooks WHERE tenant_id = ? AND webhook_id = ? FOR UPDATE",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_READ] = {.name = "find_webhooks.read",
		.sql = "SELECT " WEBHOOKS_FIELD_COLUMNS " FROM find_webhooks WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_LIST] = {.name = "find_webhooks.list",
		.sql = "SELECT " WEBHOOKS_COLUMNS ", COUNT(*) OVER ()" WEBHOOKS_LIST_FILTERS " ORDER BY " WEBHOOKS_SORT_KEY
		" DESC, webhook_id DESC LIMIT ? OFFSET ?",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_LIST_ASC] = {.name = "find_webhooks.list_asc",
		.sql = "SELECT " WEBHOOKS_COLUMNS ", COUNT(*) OVER ()" WEBHOOKS_LIST_FILTERS " ORDER BY " WEBHOOKS_SORT_KEY
		" ASC, webhook_id ASC LIMIT ? OFFSET ?",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_LIST_COUNT] = {.name = "find_webhooks.list_count",
		.sql = "SELECT COUNT(*)" WEBHOOKS_LIST_FILTERS,
		.tenant_bound = 1},
	/* Back to active (from inactive or suspended) starts a fresh failure count. */
	[WEBHOOKS_STMT_UPDATE] = {.name = "find_webhooks.update",
		.sql = "UPDATE find_webhooks SET consecutive_failures = IF(status <> 'active' AND ? = 'active', 0, "
		"consecutive_failures), name = ?, url = ?, description = ?, secret = ?, status = ?, events = ?, "
		"max_attempts = ?, backoff = ?, initial_delay_ms = ?, timeout_ms = ?, headers = ?, auth_type = ?, "
		"auth_config = ?, metadata = ? WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	/* Deliveries held while the webhook was not active are due again at once. */
	[WEBHOOKS_STMT_RELEASE_HELD] = {.name = "find_webhooks.release_held",
		.sql = "UPDATE find_webhook_deliveries SET next_attempt_at = NOW(3) WHERE tenant_id = ? AND webhook_id = ? "
		"AND status = 'pending' AND claim_token IS NULL",
		.tenant_bound = 1},
	[WEBHOOKS_STMT_DELETE] = {.name = "find_webhooks.delete",
		.sql = "DELETE FROM find_webhooks WHERE tenant_id = ? AND webhook_id = ?", .tenant_bound = 1},
	[WEBHOOKS_STMT_DELETE_DELIVERIES] = {.name = "find_webhooks.delete_deliveries",
		.sql = "DELETE FROM find_webhook_deliveries WHERE tenant_id = ? AND webhook_id = ?", .tenant_bound = 1},
	[WEBHOOKS_STMT_STATS] = {.name = "find_webhooks.stats",
		.sql = "SELECT w.status, w.consecutive_failures, w.total_deliveries, w.successful_deliveries, "
		"w.failed_deliveries, w.timed_responses, w.total_response_ms, "
		"DATE_FORMAT(w.last_delivery_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "
		"DATE_FORMAT(w.last_success_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "
		"DATE_FORMAT(w.last_failure_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "
		"(SELECT COUNT(*) FROM find_webhook_deliveries d WHERE d.tenant_id = w.tenant_id "
		"AND d.webhook_id = w.webhook_id AND d.status = 'pending') "
		"FROM find_webhooks w WHERE w.tenant_id = ? AND w.webhook_id = ?",
		.tenant_bound = 1},
};

const struct statement_table find_webhooks_statement_table = {
	"find_webhooks", find_webhooks_statements, WEBHOOKS_STMT__MAX};

/* A webhook's writable fields, as stored. */
struct webhook_fields {
	char name[WEBHOOKS_NAME_MAX + 1];
	char url[WEBHOOK_URL_MAX + 1];
	char description[WEBHOOKS_DESCRIPTION_MAX + 1];
	char secret[WEBHOOKS_SECRET_MAX + 1];
	char status[16];
	char events[WEBHOOKS_EVENTS_TEXT_MAX + 1];
	int max_attempts;
	char backoff[16];
	int64_t initial_delay_ms;
	int64_t timeout_ms;
	char headers[WEBHOOKS_HEADERS_TEXT_MAX + 1];
	char auth_type[16];
	char auth_config[WEBHOOK_AUTH_CONFIG_TEXT_MAX + 1]; /* "" when none; credentials: wiped after use */
	char metadata[WEBHOOKS_METADATA_MAX + 1];          /* "" when none */
};

static void find_webhooks_defaults(struct webhook_fields *fields)
{
	memset(fields, 0, sizeof(*fields));
	snprintf(fields->status, sizeof(fields->status), "active");
	fields->max_attempts = WEBHOOK_DEFAULT_MAX_ATTEMPTS;
	snprintf(fields->backoff, sizeof(fields->backoff), "exponential");
	fields->initial_delay_ms = WEBHOOK_DEFAULT_INITIAL_DELAY_MS;
	fields->timeout_ms = WEBHOOK_DEFAULT_TIMEOUT_MS;
	snprintf(fields->headers, sizeof(fields->headers), "{}");
	snprintf(fields->auth_type, sizeof(fields->auth_type), "none");
}

/* Credentials and the secret leave memory when the request is done with them. */
static void find_webhooks_wipe(struct webhook_fields *fields)
{
	explicit_bzero(fields->secret, sizeof(fields->secret));
	explicit_bzero(fields->auth_config, sizeof(fields->auth_config));
}

static void find_webhooks_invalid(struct request_context *context, const char *field, const char *reason)
{
	if (context->response->status != STATUS_VALIDATION_ERROR)
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid webhook");
	response_add_detail(context->response, field, "%s", reason);
}

/* events: known names, duplicates dropped, stored comma-separated. */
static int find_webhooks_read_events(struct request_context *context, json_object *events, char *out,
	size_t out_size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(events, i));
		if (!webhook_event_known(name)) {
			char reason[160];
			snprintf(reason, sizeof(reason), "\"%.40s\" is not an event (see GET /webhooks/events)", name);
			find_webhooks_invalid(context, "events", reason);
			return -1;
		}
		size_t length = strlen(name);
		int duplicate = 0;
		for (const char *cursor = out; *cursor != '\0' && !duplicate;) {
			size_t item = strcspn(cursor, ",");
			duplicate = item == length && strncmp(cursor, name, length) == 0;
			cursor += item + (cursor[item] == ',');
		}
		if (duplicate)
			continue;
		if (used + length + 2 > out_size)
			return -1;
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, name, length + 1);
		used += length;
	}
	return 0;
}

static int find_webhooks_read_retry_policy(struct request_context *context, json_object *policy,
	struct webhook_fields *fields)
{
	int failures = 0, backoff_given = 0;
	json_object_object_foreach(policy, key, value)
	{
		if (strcmp(key, "max_attempts") == 0) {
			int64_t number = json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : 0;
			if (number < 1 || number > WEBHOOK_MAX_ATTEMPTS_LIMIT) {
				find_webhooks_invalid(context, "retry_policy.max_attempts", "must be an integer from 1 to 10");
				failures++;
			} else {
				fields->max_attempts = (int)number;
			}
		} else if (strcmp(key, "backoff_type") == 0 || strcmp(key, "backoff") == 0) {
			/* backoff_type is the SDK's name; backoff the older one. */
			const char *text = json_object_is_type(value, json_type_string) ? json_object_get_string(value) : "";
			char field[40];
			snprintf(field, sizeof(field), "retry_policy.%s", key);
			if (strcmp(text, "fixed") != 0 && strcmp(text, "exponential") != 0) {
				find_webhooks_invalid(context, field, "must be fixed or exponential");
				failures++;
			} else if (backoff_given && strcmp(fields->backoff, text) != 0) {
				find_webhooks_invalid(context, field, "backoff and backoff_type disagree");
				failures++;
			} else {
				snprintf(fields->backoff, sizeof(fields->backoff), "%s", text);
				backoff_given = 1;
			}
		} else if (strcmp(key, "initial_delay_ms") == 0) {
			int64_t number = json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : 0;
			if (number < WEBHOOK_MIN_INITIAL_DELAY_MS || number > WEBHOOK_MAX_INITIAL_DELAY_MS) {
				find_webhooks_invalid(context, "retry_policy.initial_delay_ms",
					"must be an integer from 100 to 3600000");
				failures++;
			} else {
				fields->initial_delay_ms = number;
			}
		} else {
			char field[96];
			snprintf(field, sizeof(field), "retry_policy.%.64s", key);
			find_webhooks_invalid(context, field,
				"is not a known field (max_attempts, backoff_type, backoff, initial_delay_ms)");
			failures++;
		}
	}
	return failures ? -1 : 0;
}

static int find_webhooks_read_headers(struct request_context *context, json_object *headers, char *out,
	size_t out_size)
{
	if (headers == NULL) { /* null clears them */
		snprintf(out, out_size, "{}");
		return 0;
	}
	if (json_object_object_length(headers) > WEBHOOK_MAX_HEADERS) {
		find_webhooks_invalid(context, "headers", "at most 10 headers");
		return -1;
	}
	int failures = 0;
	json_object_object_foreach(headers, name, value)
	{
		char field[96];
		snprintf(field, sizeof(field), "headers.%.64s", name);
		if (!json_object_is_type(value, json_type_string)) {
			find_webhooks_invalid(context, field, "must be a string");
			failures++;
			continue;
		}
		const char *problem = webhook_header_problem(name, json_object_get_string(value));
		if (problem == NULL && strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value))
			problem = "header values must not contain NUL characters";
		if (problem != NULL) {
			find_webhooks_invalid(context, field, problem);
			failures++;
		}
	}
	if (failures)
		return -1;
	const char *text = json_object_to_json_string_ext(headers, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= out_size) {
		find_webhooks_invalid(context, "headers", "too large");
		return -1;
	}
	snprintf(out, out_size, "%s", text);
	return 0;
}

/* auth_type and auth_config over the stored ones. A new type needs its
 * config (except none, which clears it); a config alone is checked against
 * the type in force. The header the auth sends must not also be one of the
 * webhook's extra headers. On refusal the response names the member. */
static int find_webhooks_apply_auth(struct request_context *context, struct webhook_fields *fields)
{
	const struct request *request = context->request;
	enum webhook_auth_type type = WEBHOOK_AUTH_NONE, stored = WEBHOOK_AUTH_NONE;
	webhook_auth_type_parse(fields->auth_type, &stored);
	const char *named = input_string(request, "auth_type");
	if (named == NULL || webhook_auth_type_parse(named, &type) != 0)
		type = stored;
	json_object *config = NULL; /* owned */
	if (input_has_field(request, "auth_config")) {
		config = json_object_get(input_field(request, "auth_config"));
	} else if (type == stored && fields->auth_config[0] != '\0') {
		config = json_tokener_parse(fields->auth_config);
	}
	char member[64], field[96], required[64];
	const char *problem = webhook_auth_config_problem(type, config, member, sizeof(member));
	if (problem != NULL) {
		snprintf(field, sizeof(field), "auth_config%s%s", member[0] ? "." : "", member);
		if (!input_has_field(request, "auth_config") && type != stored) {
			snprintf(field, sizeof(field), "auth_config");
			snprintf(required, sizeof(required), "is required with auth_type %s", webhook_auth_type_name(type));
			problem = required;
		}
		find_webhooks_invalid(context, field, problem);
		json_object_put(config);
		return -1;
	}
	char header[WEBHOOK_HEADER_NAME_MAX + 1];
	webhook_auth_header_name(type, config, header, sizeof(header));
	json_object *headers = header[0] ? json_tokener_parse(fields->headers) : NULL;
	int clash = 0;
	if (headers != NULL && json_object_is_type(headers, json_type_object)) {
		json_object_object_foreach(headers, name, unused)
		{
			(void)unused;
			if (strcasecmp(name, header) == 0) {
				snprintf(field, sizeof(field), "headers.%.64s", name);
				snprintf(member, sizeof(member), "is set by auth_type %s", webhook_auth_type_name(type));
				find_webhooks_invalid(context, field, member);
				clash = 1;
			}
		}
	}
	json_object_put(headers);
	if (!clash) {
		snprintf(fields->auth_type, sizeof(fields->auth_type), "%s", webhook_auth_type_name(type));
		const char *text = type != WEBHOOK_AUTH_NONE && config != NULL
			? json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN) : "";
		snprintf(fields->auth_config, sizeof(fields->auth_config), "%s", text);
	}
	json_object_put(config);
	return clash ? -1 : 0;
}

/* Applies the body's fields over fields (defaults or the stored webhook);
 * on refusal the response holds every problem found. A new URL is
 * resolved and must pass the address rule now; it is checked again at
 * every delivery, since DNS answers change. */
static int find_webhooks_apply_input(struct request_context *context, struct webhook_fields *fields)
{
	const struct request *request = context->request;
	int failures = 0;
	const char *text;
	if ((text = input_string(request, "name")) != NULL)
		snprintf(fields->name, sizeof(fields->name), "%s", text);
	if (input_has_field(request, "description")) {
		text = input_string(request, "description");
		snprintf(fields->description, sizeof(fields->description), "%s", text ? text : "");
	}
	if ((text = input_string(request, "status")) != NULL)
		snprintf(fields->status, sizeof(fields->status), "%s", text);
	if ((text = input_string(request, "secret")) != NULL) {
		for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
			if (*p <= 0x20 || *p >= 0x7f) {
				find_webhooks_invalid(context, "secret", "printable ASCII without spaces");
				failures++;
				break;
			}
		}
		snprintf(fields->secret, sizeof(fields->secret), "%s", text);
	}
	json_object *value = input_field(request, "events");
	if (value != NULL && find_webhooks_read_events(context, value, fields->events, sizeof(fields->events)) != 0)
		failures++;
	value = input_field(request, "retry_policy");
	if (value != NULL && find_webhooks_read_retry_policy(context, value, fields) != 0)
		failures++;
	if (input_has_field(request, "headers") &&
		find_webhooks_read_headers(context, input_field(request, "headers"), fields->headers,
			sizeof(fields->headers)) != 0)
		failures++;
	if (input_has_field(request, "timeout_ms"))
		fields->timeout_ms = input_integer(request, "timeout_ms", WEBHOOK_DEFAULT_TIMEOUT_MS);
	if (input_has_field(request, "metadata")) {
		json_object *metadata = input_field(request, "metadata");
		snprintf(fields->metadata, sizeof(fields->metadata), "%s",
			metadata ? json_object_to_json_string_ext(metadata, JSON_C_TO_STRING_PLAIN) : "");
	}
	if (find_webhooks_apply_auth(context, fields) != 0)
		failures++;
	if ((text = input_string(request, "url")) != NULL) {
		struct webhook_target target;
		const char *problem = webhook_url_problem(text, &target);
		char why[WEBHOOK_ERROR_MAX];
		if (problem != NULL) {
			find_webhooks_invalid(context, "url", problem);
			failures++;
		} else if (webhook_target_resolve(&target, context->config->webhook_allow_private_targets, why,
			sizeof(why)) != WEBHOOK_TARGET_OK) {
			find_webhooks_invalid(context, "url", why);
			failures++;
		}
		snprintf(fields->url, sizeof(fields->url), "%s", text);
	}
	return failures ? -1 : 0;
}

static json_object *find_webhooks_id_text(uint64_t webhook_id)
{
	char id[32];
	snprintf(id, sizeof(id), "%llu", (unsigned long long)webhook_id);
	return json_object_new_string(id);
}

static json_object *find_webhooks_events_array(const char *events)
{
	json_object *array = json_object_new_array();
	for (const char *cursor = events ? events : ""; *cursor != '\0';) {
		size_t length = strcspn(cursor, ",");
		if (length > 0)
			json_object_array_add(array, json_object_new_string_len(cursor, (int)length));
		cursor += length + (cursor[length] == ',');
	}
	return array;
}

/* One webhook as clients see it: never with its secret. */
static json_object *find_webhooks_row_object(const struct db_row *row)
{
	const char *const *v = row->values;
	json_object *webhook = json_object_new_object();
	json_object_object_add(webhook, "id", json_object_new_string(v[0]));
	json_object_object_add(webhook, "name", json_object_new_string(v[1]));
	json_object_object_add(webhook, "url", json_object_new_string(v[2]));
	json_object_object_add(webhook, "description", json_object_new_string(v[3] ? v[3] : ""));
	json_object_object_add(webhook, "status", json_object_new_string(v[4]));
	json_object_object_add(webhook, "events", find_webhooks_events_array(v[5]));
	json_object *policy = json_object_new_object();
	json_object_object_add(policy, "max_attempts", json_object_new_int(atoi(v[6])));
	json_object_object_add(policy, "backoff_type", json_object_new_string(v[7]));
	json_object_object_add(policy, "backoff", json_object_new_string(v[7]));
	json_object_object_add(policy, "initial_delay_ms", json_object_new_int64(strtoll(v[8], NULL, 10)));
	json_object_object_add(webhook, "retry_policy", policy);
	json_object_object_add(webhook, "timeout_ms", json_object_new_int64(strtoll(v[9], NULL, 10)));
	json_object *headers = json_tokener_parse(v[10] ? v[10] : "{}");
	json_object_object_add(webhook, "headers", headers ? headers : json_object_new_object());
	json_object_object_add(webhook, "consecutive_failures", json_object_new_int64(strtoll(v[11], NULL, 10)));
	json_object_object_add(webhook, "created_at", module_string_or_null(v[12]));
	json_object_object_add(webhook, "updated_at", module_string_or_null(v[13]));
	module_add_when_present(webhook, "last_delivery_at", module_string_or_null(v[14]));
	module_add_when_present(webhook, "last_success_at", module_string_or_null(v[15]));
	module_add_when_present(webhook, "last_failure_at", module_string_or_null(v[16]));
	json_object_object_add(webhook, "auth_type", json_object_new_string(v[17] ? v[17] : "none"));
	json_object_object_add(webhook, "auth_config", webhook_auth_config_public(v[17], v[18]));
	json_object *metadata = v[19] ? json_tokener_parse(v[19]) : NULL;
	json_object_object_add(webhook, "metadata", metadata ? metadata : json_object_new_object());
	if (v[20] != NULL && v[20][0] != '\0')
		json_object_object_add(webhook, "created_by", json_object_new_string(v[20]));
	return webhook;
}

static int find_webhooks_read_one(void *callback_context, const struct db_row *row)
{
	json_object **webhook = callback_context;
	if (row->column_count != WEBHOOKS_COLUMN_COUNT || row->values[0] == NULL)
		return 1;
	*webhook = find_webhooks_row_object(row);
	return 0;
}

struct find_webhooks_page {
	json_object *results;
	uint64_t total;
};

static int find_webhooks_read_page_row(void *callback_context, const struct db_row *row)
{
	struct find_webhooks_page *page = callback_context;
	if (row->column_count != WEBHOOKS_COLUMN_COUNT + 1 || row->values[0] == NULL)
		return 1;
	json_object_array_add(page->results, find_webhooks_row_object(row));
	page->total = strtoull(row->values[WEBHOOKS_COLUMN_COUNT], NULL, 10);
	return 0;
}

/* The SDK's events() reads string[]: the names are the data (what each
 * event means is in docs/api.md). */
static void find_webhooks_events(struct request_context *context)
{
	json_object *events = json_object_new_array();
	for (const struct webhook_event_type *event = webhook_event_catalogue(); event->name != NULL; event++)
		json_object_array_add(events, json_object_new_string(event->name));
	response_ok(context->response, STATUS_OK, events, "Webhook events");
}

/* events (any of) from ?events=a,b or the older ?event=a, as a JSON array
 * for JSON_TABLE; "" when not filtered. -1 after answering 400. */
static int find_webhooks_event_filter(struct request_context *context, char *out, size_t out_size)
{
	const char *events = query_text(context->request, "events");
	const char *event = query_text(context->request, "event");
	out[0] = '\0';
	if (events != NULL && event != NULL) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
		response_add_detail(context->response, "event", "give events=a,b alone");
		return -1;
	}
	const char *list = events ? events : event;
	if (list == NULL)
		return 0;
	json_object *names = json_object_new_array();
	for (const char *item = list, *end;; item = end + 1) {
		end = strchr(item, ',');
		char name[WEBHOOKS_EVENT_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%.*s", end ? (int)(end - item) : (int)strlen(item), item);
		if (!webhook_event_known(name)) {
			json_object_put(names);
			response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
			response_add_detail(context->response, events ? "events" : "event",
				"\"%.64s\" is not an event of GET /webhooks/events", name);
			return -1;
		}
		json_object_array_add(names, json_object_new_string(name));
		if (end == NULL)
			break;
	}
	snprintf(out, out_size, "%s", json_object_to_json_string_ext(names, JSON_C_TO_STRING_PLAIN));
	json_object_put(names);
	return 0;
}

static void find_webhooks_list(struct request_context *context)
{
	struct request *request = context->request;
	struct page_request page_request;
	if (pagination_parse_or_reply(request, NULL, &page_request, context->response) != 0)
		return;
	/* A JSON array of up to WEBHOOKS_LIST_EVENTS_MAX quoted names. */
	char events[WEBHOOKS_LIST_EVENTS_MAX * (WEBHOOKS_EVENT_NAME_MAX + 3) + 3];
	if (find_webhooks_event_filter(context, events, sizeof(events)) != 0)
		return;
	const char *status = query_text(request, "status");
	const char *name_part = query_text(request, "name_contains");
	const char *url_part = query_text(request, "url_contains");
	const char *after_text = query_text(request, "created_after");
	const char *before_text = query_text(request, "created_before");
	const char *sort_by = query_text(request, "sort_by");
	const char *sort_order = query_text(request, "sort_order");
	char after[TIMESTAMP_SQL_SIZE] = "", before[TIMESTAMP_SQL_SIZE] = "";
	if ((after_text && timestamp_parse(after_text, TIMESTAMP_OR_DATE, after) != 0) ||
		(before_text && timestamp_parse(before_text, TIMESTAMP_OR_DATE_END, before) != 0)) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
		response_add_detail(context->response, after_text ? "created_after" : "created_before",
			"must be an RFC 3339 date-time or a date");
		return;
	}
	status = status ? status : "";
	name_part = name_part ? name_part : "";
	url_part = url_part ? url_part : "";
	sort_by = sort_by ? sort_by : "created_at";
	int ascending = sort_order != NULL && strcmp(sort_order, "asc") == 0;
	const char *created_by = query_text(request, "created_by");
	created_by = created_by ? created_by : "";
	struct db_param params[] = {DB_UINT(request->auth.tenant_id), DB_TEXT(status), DB_TEXT(status), DB_TEXT(events),
		DB_TEXT(events), DB_TEXT(name_part), DB_TEXT(name_part), DB_TEXT(url_part), DB_TEXT(url_part),
		DB_TEXT(after), DB_TEXT(after), DB_TEXT(before), DB_TEXT(before), DB_TEXT(created_by), DB_TEXT(created_by),
		DB_TEXT(sort_by), DB_UINT(page_request.limit), DB_UINT(pagination_offset(&page_request))};
	struct find_webhooks_page page = {json_object_new_array(), 0};
	enum db_result result = db_query(context->db,
		&find_webhooks_statements[ascending ? WEBHOOKS_STMT_LIST_ASC : WEBHOOKS_STMT_LIST], params, 18,
		find_webhooks_read_page_row, &page);
	/* Past the last page no row carries the total: count it apart. */
	if (result == DB_OK && json_object_array_length(page.results) == 0 && page_request.page > 1)
		result = db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_LIST_COUNT], params, 15,
			module_read_uint64, &page.total);
	if (result != DB_OK) {
		json_object_put(page.results);
		respond_db_failure(context, result, "list webhooks");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", page.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)page.total));
	json_object_object_add(data, "page", json_object_new_int64(page_request.page));
	json_object_object_add(data, "limit", json_object_new_int64(page_request.limit));
	response_ok(context->response, STATUS_OK, data, "Webhooks");
}

static void find_webhooks_create(struct request_context *context)
{
	struct request *request = context->request;
	struct webhook_fields fields;
	find_webhooks_defaults(&fields);
	if (find_webhooks_apply_input(context, &fields) != 0) {
		find_webhooks_wipe(&fields);
		return;
	}
	int generated = fields.secret[0] == '\0';
	if (generated && webhook_secret_generate(fields.secret, sizeof(fields.secret)) != 0) {
		find_webhooks_wipe(&fields);
		response_error(context->response, STATUS_INTERNAL_ERROR, "Could not generate a secret");
		return;
	}
	uint64_t tenant_id = request->auth.tenant_id, webhook_id = 0, existing = 0;
	const struct find_plan *plan = find_request_of(context)->plan;
	uint32_t cap = plan ? plan->max_webhooks : 0;
	struct db_param count_params[] = {DB_UINT(tenant_id)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_COUNT], count_params, 1,
			module_read_uint64, &existing);
	if (result == DB_OK && existing >= cap) {
		find_webhooks_wipe(&fields);
		response_error(context->response, STATUS_PLAN_LIMIT_REACHED, "Webhook limit of the plan reached");
		response_add_detail(context->response, "webhooks", "%u allowed on plan %s; delete one first", cap,
			plan ? plan->code : "?");
		return;
	}
	char created_by[64];
	if (request->auth.kind == AUTH_JWT)
		snprintf(created_by, sizeof(created_by), "user:%llu", (unsigned long long)request->auth.user_id);
	else
		snprintf(created_by, sizeof(created_by), "key:%llu", (unsigned long long)request->auth.api_key_id);
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(fields.name), DB_TEXT(fields.url),
		DB_TEXT(fields.description), DB_TEXT(fields.secret), DB_TEXT(fields.status), DB_TEXT(fields.events),
		DB_INT(fields.max_attempts), DB_TEXT(fields.backoff), DB_INT(fields.initial_delay_ms),
		DB_INT(fields.timeout_ms), DB_TEXT(fields.headers), DB_TEXT(fields.auth_type),
		fields.auth_config[0] ? DB_TEXT(fields.auth_config) : DB_NULL,
		fields.metadata[0] ? DB_TEXT(fields.metadata) : DB_NULL, DB_TEXT(created_by)};
	if (result == DB_OK)
		result = db_exec(context->db, &find_webhooks_statements[WEBHOOKS_STMT_INSERT], params, 16, NULL, &webhook_id);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		find_webhooks_wipe(&fields);
		respond_db_failure(context, result, "create webhook");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", find_webhooks_id_text(webhook_id));
	json_object_object_add(data, "message", json_object_new_string(generated
		? "Webhook created; store the secret now: it is not shown again"
		: "Webhook created"));
	if (generated)
		json_object_object_add(data, "secret", json_object_new_string(fields.secret));
	find_webhooks_wipe(&fields);
	response_ok(context->response, STATUS_CREATED, data, "Webhook created");
}

static void find_webhooks_get(struct request_context *context)
{
	uint64_t webhook_id = module_path_id(context, "id");
	json_object *webhook = NULL;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(webhook_id)};
	enum db_result result = webhook_id == 0 ? DB_OK
		: db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_GET], params, 2,
			find_webhooks_read_one, &webhook);
	if (result != DB_OK) {
		json_object_put(webhook);
		respond_db_failure(context, result, "read webhook");
		return;
	}
	if (webhook == NULL) {
		module_not_found(context, "Webhook");
		return;
	}
	response_ok(context->response, STATUS_OK, webhook, "Webhook");
}

struct find_webhooks_locked {
	int found;
	struct webhook_fields *fields;
};

static int find_webhooks_read_fields(void *callback_context, const struct db_row *row)
{
	struct find_webhooks_locked *locked = callback_context;
	if (row->column_count != WEBHOOKS_FIELD_COLUMN_COUNT)
		return 1;
	const char *const *v = row->values;
	struct webhook_fields *fields = locked->fields;
	snprintf(fields->name, sizeof(fields->name), "%s", v[0] ? v[0] : "");
	snprintf(fields->url, sizeof(fields->url), "%s", v[1] ? v[1] : "");
	snprintf(fields->description, sizeof(fields->description), "%s", v[2] ? v[2] : "");
	snprintf(fields->secret, sizeof(fields->secret), "%s", v[3] ? v[3] : "");
	snprintf(fields->status, sizeof(fields->status), "%s", v[4] ? v[4] : "");
	snprintf(fields->events, sizeof(fields->events), "%s", v[5] ? v[5] : "");
	fields->max_attempts = v[6] ? atoi(v[6]) : WEBHOOK_DEFAULT_MAX_ATTEMPTS;
	snprintf(fields->backoff, sizeof(fields->backoff), "%s", v[7] ? v[7] : "exponential");
	fields->initial_delay_ms = v[8] ? strtoll(v[8], NULL, 10) : WEBHOOK_DEFAULT_INITIAL_DELAY_MS;
	fields->timeout_ms = v[9] ? strtoll(v[9], NULL, 10) : WEBHOOK_DEFAULT_TIMEOUT_MS;
	snprintf(fields->headers, sizeof(fields->headers), "%s", v[10] ? v[10] : "{}");
	snprintf(fields->auth_type, sizeof(fields->auth_type), "%s", v[11] ? v[11] : "none");
	snprintf(fields->auth_config, sizeof(fields->auth_config), "%s", v[12] ? v[12] : "");
	snprintf(fields->metadata, sizeof(fields->metadata), "%s", v[13] ? v[13] : "");
	locked->found = 1;
	return 0;
}

static void find_webhooks_update(struct request_context *context)
{
	uint64_t webhook_id = module_path_id(context, "id");
	if (webhook_id == 0) {
		module_not_found(context, "Webhook");
		return;
	}
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct webhook_fields fields;
	find_webhooks_defaults(&fields);
	struct find_webhooks_locked locked = {0, &fields};
	struct db_param key_params[] = {DB_UINT(tenant_id), DB_UINT(webhook_id)};
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_LOCK], key_params, 2,
			find_webhooks_read_fields, &locked);
	if (result != DB_OK) {
		respond_db_failure(context, result, "read webhook");
		return;
	}
	if (!locked.found) {
		module_not_found(context, "Webhook");
		return;
	}
	int was_active = strcmp(fields.status, "active") == 0;
	/* The DNS lookup of a new URL happens with the row locked; it is one
	 * tenant's one webhook, and the lookup is bounded by the resolver. */
	if (find_webhooks_apply_input(context, &fields) != 0) {
		find_webhooks_wipe(&fields);
		return;
	}
	struct db_param params[] = {DB_TEXT(fields.status), DB_TEXT(fields.name), DB_TEXT(fields.url),
		DB_TEXT(fields.description), DB_TEXT(fields.secret), DB_TEXT(fields.status), DB_TEXT(fields.events),
		DB_INT(fields.max_attempts), DB_TEXT(fields.backoff), DB_INT(fields.initial_delay_ms),
		DB_INT(fields.timeout_ms), DB_TEXT(fields.headers), DB_TEXT(fields.auth_type),
		fields.auth_config[0] ? DB_TEXT(fields.auth_config) : DB_NULL,
		fields.metadata[0] ? DB_TEXT(fields.metadata) : DB_NULL, DB_UINT(tenant_id), DB_UINT(webhook_id)};
	result = db_exec(context->db, &find_webhooks_statements[WEBHOOKS_STMT_UPDATE], params, 17, NULL, NULL);
	if (result == DB_OK && !was_active && strcmp(fields.status, "active") == 0)
		result = db_exec(context->db, &find_webhooks_statements[WEBHOOKS_STMT_RELEASE_HELD], key_params, 2, NULL,
			NULL);
	if (result == DB_OK)
		result = db_commit(context->db);
	find_webhooks_wipe(&fields);
	if (result != DB_OK) {
		respond_db_failure(context, result, "update webhook");
		return;
	}
	json_object *webhook = NULL;
	result = db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_GET], key_params, 2,
		find_webhooks_read_one, &webhook);
	if (result != DB_OK || webhook == NULL) {
		json_object_put(webhook);
		respond_db_failure(context, result != DB_OK ? result : DB_ERROR, "read webhook");
		return;
	}
	response_ok(context->response, STATUS_OK, webhook, "Webhook updated");
}

static void find_webhooks_delete(struct request_context *context)
{
	uint64_t webhook_id = module_path_id(context, "id");
	if (webhook_id == 0) {
		module_not_found(context, "Webhook");
		return;
	}
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(webhook_id)};
	uint64_t deleted = 0;
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &find_webhooks_statements[WEBHOOKS_STMT_DELETE], params, 2, &deleted, NULL);
	if (result == DB_OK && deleted > 0)
		result = db_exec(context->db, &find_webhooks_statements[WEBHOOKS_STMT_DELETE_DELIVERIES], params, 2, NULL,
			NULL);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "delete webhook");
		return;
	}
	if (deleted == 0) {
		module_not_found(context, "Webhook");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", find_webhooks_id_text(webhook_id));
	json_object_object_add(data, "message", json_object_new_string("Webhook deleted successfully"));
	json_object_object_add(data, "deleted", json_object_new_boolean(1));
	response_ok(context->response, STATUS_OK, data, "Webhook deleted successfully");
}

static void find_webhooks_test(struct request_context *context)
{
	uint64_t webhook_id = module_path_id(context, "id");
	struct webhook_fields fields;
	find_webhooks_defaults(&fields);
	struct find_webhooks_locked loaded = {0, &fields};
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(webhook_id)};
	enum db_result result = webhook_id == 0 ? DB_OK
		: db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_READ], params, 2, find_webhooks_read_fields,
			&loaded);
	if (result != DB_OK) {
		respond_db_failure(context, result, "read webhook");
		return;
	}
	if (!loaded.found) {
		module_not_found(context, "Webhook");
		return;
	}
	char event_id[40];
	if (find_events_new_id(event_id, sizeof(event_id)) != 0) {
		find_webhooks_wipe(&fields);
		response_error(context->response, STATUS_INTERNAL_ERROR, "Could not make an event id");
		return;
	}
	json_object *payload = json_object_new_object();
	json_object_object_add(payload, "webhook_id", find_webhooks_id_text(webhook_id));
	json_object_object_add(payload, "message", json_object_new_string("This is a test delivery from Intuka"));
	char *body = find_events_body(event_id, "webhook.test", find_workspace(context), payload,
		context->now_s * 1000);
	json_object_put(payload);
	struct webhook_request delivery = {
		.url = fields.url,
		.secret = fields.secret,
		.event = "webhook.test",
		.delivery_id = event_id,
		.headers_json = fields.headers,
		.auth_type = fields.auth_type,
		.auth_config = fields.auth_config[0] ? fields.auth_config : NULL,
		.body = body,
		.body_length = strlen(body),
		/* The test runs inside a shared worker: it waits 5 s at most,
		 * whatever the webhook's own timeout for real deliveries. */
		.timeout_ms = (int)(fields.timeout_ms < FIND_WEBHOOKS_TEST_TIMEOUT_MS ? fields.timeout_ms
										     : FIND_WEBHOOKS_TEST_TIMEOUT_MS),
		.allow_private_targets = context->config->webhook_allow_private_targets,
	};
	struct webhook_outcome outcome;
	webhook_send(&delivery, &outcome);
	free(body);
	find_webhooks_wipe(&fields);
	log_msg(LOG_LEVEL_INFO, context->request->request_id, "webhook %llu test: HTTP %ld in %lld ms%s%s",
		(unsigned long long)webhook_id, outcome.response_code, (long long)outcome.response_ms,
		outcome.error[0] ? ": " : "", outcome.error);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "success", json_object_new_boolean(outcome.delivered));
	/* The SDK's WebhookTestResponse: optional members are left out when
	 * there is nothing to say, and responseTime is a string ("42ms"). */
	module_add_when_present(data, "responseCode",
		outcome.response_code ? json_object_new_int64(outcome.response_code) : NULL);
	char response_time[32];
	snprintf(response_time, sizeof(response_time), "%lldms", (long long)outcome.response_ms);
	json_object_object_add(data, "responseTime", json_object_new_string(response_time));
	json_object_object_add(data, "responseBody", json_object_new_string(outcome.response_body));
	module_add_when_present(data, "errorMessage", outcome.error[0] ? json_object_new_string(outcome.error) : NULL);
	response_ok(context->response, STATUS_OK, data, outcome.delivered ? "Test delivery succeeded"
									  : "Test delivery failed");
}

struct find_webhooks_stats_row {
	json_object *stats;
};

static int find_webhooks_read_stats(void *callback_context, const struct db_row *row)
{
	struct find_webhooks_stats_row *out = callback_context;
	if (row->column_count != 11)
		return 1;
	const char *const *v = row->values;
	uint64_t successful = strtoull(v[3] ? v[3] : "0", NULL, 10);
	uint64_t failed = strtoull(v[4] ? v[4] : "0", NULL, 10);
	uint64_t timed = strtoull(v[5] ? v[5] : "0", NULL, 10);
	uint64_t total_ms = strtoull(v[6] ? v[6] : "0", NULL, 10);
	uint64_t pending = strtoull(v[10] ? v[10] : "0", NULL, 10);
	json_object *stats = json_object_new_object();
	json_object_object_add(stats, "total_deliveries", json_object_new_int64((int64_t)(successful + failed + pending)));
	json_object_object_add(stats, "successful", json_object_new_int64((int64_t)successful));
	json_object_object_add(stats, "failed", json_object_new_int64((int64_t)failed));
	json_object_object_add(stats, "pending", json_object_new_int64((int64_t)pending));
	json_object_object_add(stats, "total_attempts", json_object_new_int64(strtoll(v[2] ? v[2] : "0", NULL, 10)));
	json_object_object_add(stats, "last_delivery_at", module_string_or_null(v[7]));
	json_object_object_add(stats, "last_success_at", module_string_or_null(v[8]));
	json_object_object_add(stats, "last_failure_at", module_string_or_null(v[9]));
	json_object_object_add(stats, "consecutive_failures", json_object_new_int64(strtoll(v[1] ? v[1] : "0", NULL, 10)));
	json_object_object_add(stats, "average_response_time_ms",
		timed ? json_object_new_int64((int64_t)(total_ms / timed)) : NULL);
	json_object_object_add(stats, "status", json_object_new_string(v[0] ? v[0] : ""));
	out->stats = stats;
	return 0;
}

static void find_webhooks_stats(struct request_context *context)
{
	uint64_t webhook_id = module_path_id(context, "id");
	struct find_webhooks_stats_row row = {NULL};
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(webhook_id)};
	enum db_result result = webhook_id == 0 ? DB_OK
		: db_query(context->db, &find_webhooks_statements[WEBHOOKS_STMT_STATS], params, 2,
			find_webhooks_read_stats, &row);
	if (result != DB_OK) {
		json_object_put(row.stats);
		respond_db_failure(context, result, "webhook stats");
		return;
	}
	if (row.stats == NULL) {
		module_not_found(context, "Webhook");
		return;
	}
	json_object_object_add(row.stats, "id", find_webhooks_id_text(webhook_id));
	response_ok(context->response, STATUS_OK, row.stats, "Webhook statistics");
}

/* The generic record engine: SQL generation from a resource description,
 * and the five standard handlers. */
#include "modules/resource.h"
#include "auth/rbac.h"
#include "core/alloc.h"
#include "core/json_text.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/timestamp.h"
#include "modules/idempotency.h"
#include "modules/module_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOURCE_SQL_MAX 8192
#define RESOURCE_Q_MAX 100

/* Appends to a growing SQL text; the buffer is sized for the largest table. */
struct sql_text {
	char text[RESOURCE_SQL_MAX];
	size_t used;
};

static void sql_add(struct sql_text *sql, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void sql_add(struct sql_text *sql, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int written = vsnprintf(sql->text + sql->used, sizeof(sql->text) - sql->used, format, args);
	va_end(args);
	if (written < 0 || (size_t)written >= sizeof(sql->text) - sql->used)
		abort(); /* a description too large for the buffer is a programming error */
	sql->used += (size_t)written;
}

static int resource_field_writable(const struct resource_field *field)
{
	return !(field->flags & RESOURCE_READONLY);
}

/* Raw columns: dates and times come as MariaDB writes them and are put in
 * the API's form in C (timestamp_from_sql), cheaper than DATE_FORMAT. */
static void resource_select_columns(const struct resource_def *resource, struct sql_text *sql, const char *alias)
{
	sql_add(sql, "SELECT %s%s, %sversion", alias, resource->id_column, alias);
	for (size_t i = 0; i < resource->field_count; i++)
		sql_add(sql, ", %s%s", alias, resource->fields[i].column);
	sql_add(sql, ", %screated_by, %screated_at, %supdated_at, %sdeleted_at IS NOT NULL", alias, alias, alias, alias);
}

/* WHERE clause shared by list and count: tenant, deleted, filters, created range, q. */
static void resource_list_where(const struct resource_def *resource, struct sql_text *sql)
{
	sql_add(sql, " WHERE tenant_id = ? AND (deleted_at IS NULL OR ? = 1)");
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource->fields[i].flags & RESOURCE_FILTER)
			sql_add(sql, " AND (? IS NULL OR %s = ?)", resource->fields[i].column);
	sql_add(sql, " AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)");
	if (resource->runtime->search_count > 0) {
		sql_add(sql, " AND (? IS NULL");
		for (size_t i = 0; i < resource->field_count; i++)
			if (resource->fields[i].flags & RESOURCE_SEARCH)
				sql_add(sql, " OR %s LIKE ?", resource->fields[i].column);
		sql_add(sql, ")");
	}
}

static const char *resource_store_sql(struct resource_runtime *runtime, size_t slot, const struct sql_text *sql)
{
	runtime->sql_texts[slot] = xstrdup(sql->text);
	return runtime->sql_texts[slot];
}

static enum field_type resource_field_type(enum resource_field_kind kind)
{
	switch (kind) {
	case RESOURCE_EMAIL:
		return FIELD_EMAIL;
	case RESOURCE_INTEGER:
	case RESOURCE_REFERENCE:
		return FIELD_INTEGER;
	case RESOURCE_BOOLEAN:
		return FIELD_BOOLEAN;
	case RESOURCE_DATE:
		return FIELD_DATE;
	case RESOURCE_ENUM:
		return FIELD_ENUM;
	case RESOURCE_CURRENCY:
		return FIELD_CURRENCY;
	case RESOURCE_TEXT:
	default:
		return FIELD_STRING;
	}
}

static void resource_prepare_specs(const struct resource_def *resource)
{
	struct resource_runtime *runtime = resource->runtime;
	size_t count = 0;
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (!resource_field_writable(field))
			continue;
		struct field_spec spec = {
			.name = field->api_name,
			.type = resource_field_type(field->kind),
			.required = (field->flags & RESOURCE_REQUIRED) != 0,
			.min_length = (field->flags & RESOURCE_REQUIRED) && field->kind == RESOURCE_TEXT ? 1 : 0,
			.max_length = field->max_length ? field->max_length : 255,
			.min_value = field->kind == RESOURCE_REFERENCE ? 1 : field->min_value,
			.max_value = field->kind == RESOURCE_REFERENCE ? INT64_MAX : field->max_value,
			.enum_values = field->enum_values,
			.nullable = (field->flags & RESOURCE_NULLABLE) != 0,
		};
		runtime->create_fields[count] = spec;
		spec.required = 0;
		runtime->update_fields[count] = spec;
		count++;
	}
	runtime->create_input = (struct input_spec){runtime->create_fields, count, 0};
	runtime->update_input = (struct input_spec){runtime->update_fields, count, 0};
}

static const char *resource_default_sql(const struct resource_field *field)
{
	if (field->default_sql != NULL)
		return field->default_sql;
	if (field->flags & RESOURCE_NULLABLE)
		return "NULL";
	switch (field->kind) {
	case RESOURCE_INTEGER:
		return "0";
	case RESOURCE_BOOLEAN:
		return "FALSE";
	default:
		return "''";
	}
}

/* A generated statement: tenant-bound, named after what it serves. */
static struct db_statement_def resource_generated(const char *name, const char *sql)
{
	return (struct db_statement_def){.name = name, .sql = sql, .tenant_bound = 1};
}

/* What a filtered list binds: tenant and includeDeleted, two per filter,
 * the created range (4), q once plus once per searched column, and the
 * page (2). resource_list fills exactly this many. */
static size_t resource_list_param_count(const struct resource_runtime *runtime)
{
	size_t search = runtime->search_count > 0 ? 1 + runtime->search_count : 0;
	return 2 + 2 * runtime->filter_count + 4 + search + 2;
}

int resource_prepare(const struct resource_def *resource)
{
	struct resource_runtime *runtime = resource->runtime;
	if (runtime->ready)
		return 0;
	static struct sql_text sql;
	size_t slot = 0;
	runtime->filter_count = 0;
	runtime->search_count = 0;
	size_t sort_count = 0;
	runtime->sort_fields[sort_count++] = (struct sort_field){"created_at", "created_at"};
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		runtime->filter_count += (field->flags & RESOURCE_FILTER) != 0;
		runtime->search_count += (field->flags & RESOURCE_SEARCH) != 0;
		if ((field->flags & RESOURCE_SORT) && sort_count < RESOURCE_MAX_SORTS)
			runtime->sort_fields[sort_count++] = (struct sort_field){field->api_name, field->column};
	}
	if (sort_count < RESOURCE_MAX_SORTS)
		runtime->sort_fields[sort_count++] = (struct sort_field){"updated_at", "updated_at"};
	if (resource->field_count > RESOURCE_MAX_FIELDS || resource_list_param_count(runtime) > DB_MAX_PARAMS)
		return -1;
	runtime->sorts = (struct sort_whitelist){runtime->sort_fields, (unsigned)sort_count, "created_at"};

	/* List: page of ids from the index first, then their rows (cheap deep pages). */
	for (size_t s = 0; s < sort_count; s++) {
		for (int ascending = 0; ascending <= 1; ascending++) {
			const char *direction = ascending ? "ASC" : "DESC";
			sql.used = 0;
			resource_select_columns(resource, &sql, "r.");
			sql_add(&sql, " FROM %s r JOIN (SELECT tenant_id, %s FROM %s", resource->table, resource->id_column,
				resource->table);
			resource_list_where(resource, &sql);
			sql_add(&sql, " ORDER BY %s %s, %s %s LIMIT ? OFFSET ?) page ON page.tenant_id = r.tenant_id AND page.%s = r.%s",
				runtime->sort_fields[s].sql_fragment, direction, resource->id_column, direction, resource->id_column,
				resource->id_column);
			sql_add(&sql, " ORDER BY r.%s %s, r.%s %s", runtime->sort_fields[s].sql_fragment, direction,
				resource->id_column, direction);
			struct db_statement_def *list = &runtime->list_statements[s * 2 + (size_t)ascending];
			list->name = resource->name;
			list->sql = resource_store_sql(runtime, slot++, &sql);
			list->tenant_bound = 1;

			sql.used = 0;
			resource_select_columns(resource, &sql, "r.");
			/* The live counter rides along as a last column: the page and
			 * its total in one round trip. Joined on the tenant and the
			 * resource's own constant name (never client text), the counter
			 * row is a constant table: read once, not once per row. */
			sql_add(&sql, ", c.live_rows");
			sql_add(&sql,
				" FROM %s r JOIN (SELECT tenant_id, %s FROM %s WHERE tenant_id = ? AND deleted_at IS NULL"
				" ORDER BY %s %s, %s %s LIMIT ? OFFSET ?) page ON page.tenant_id = r.tenant_id AND page.%s = r.%s"
				" LEFT JOIN resource_counts c ON c.tenant_id = r.tenant_id AND c.resource = '%s'"
				" ORDER BY r.%s %s, r.%s %s",
				resource->table, resource->id_column, resource->table, runtime->sort_fields[s].sql_fragment,
				direction, resource->id_column, direction, resource->id_column, resource->id_column,
				resource->name, runtime->sort_fields[s].sql_fragment, direction, resource->id_column, direction);
			struct db_statement_def *plain = &runtime->plain_list_statements[s * 2 + (size_t)ascending];
			plain->name = resource->name;
			plain->sql = resource_store_sql(runtime, slot++, &sql);
			plain->tenant_bound = 1;

			sql.used = 0;
			resource_select_columns(resource, &sql, "r.");
			sql_add(&sql, ", c.live_rows FROM %s r LEFT JOIN resource_counts c ON c.tenant_id = r.tenant_id"
				" AND c.resource = '%s' WHERE r.tenant_id = ? AND r.deleted_at IS NULL ORDER BY r.%s %s, r.%s %s"
				" LIMIT ? OFFSET ?", resource->table, resource->name, runtime->sort_fields[s].sql_fragment,
				direction, resource->id_column, direction);
			runtime->shallow_list_statements[s * 2 + (size_t)ascending] =
				resource_generated(resource->name, resource_store_sql(runtime, slot++, &sql));
		}
	}
	sql.used = 0;
	sql_add(&sql, "SELECT COUNT(*) FROM %s", resource->table);
	resource_list_where(resource, &sql);
	runtime->statements[RESOURCE_STMT_COUNT] = resource_generated(resource->name,
		resource_store_sql(runtime, slot++, &sql));

	sql.used = 0;
	resource_select_columns(resource, &sql, "");
	sql_add(&sql, " FROM %s WHERE tenant_id = ? AND %s = ? AND (deleted_at IS NULL OR ? = 1)", resource->table,
		resource->id_column);
	runtime->statements[RESOURCE_STMT_GET] = resource_generated(resource->name,
		resource_store_sql(runtime, slot++, &sql));

	sql.used = 0;
	sql_add(&sql, "INSERT INTO %s (tenant_id, created_by", resource->table);
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource_field_writable(&resource->fields[i]))
			sql_add(&sql, ", %s", resource->fields[i].column);
	sql_add(&sql, ") VALUES (?, ?");
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource_field_writable(&resource->fields[i]))
			sql_add(&sql, ", IF(? = 1, ?, %s)", resource_default_sql(&resource->fields[i]));
	sql_add(&sql, ")");
	runtime->statements[RESOURCE_STMT_INSERT] = resource_generated(resource->name,
		resource_store_sql(runtime, slot++, &sql));

	sql.used = 0;
	sql_add(&sql, "UPDATE %s SET version = version + 1", resource->table);
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource_field_writable(&resource->fields[i]))
			sql_add(&sql, ", %s = IF(? = 1, ?, %s)", resource->fields[i].column, resource->fields[i].column);
	sql_add(&sql, " WHERE tenant_id = ? AND %s = ? AND deleted_at IS NULL AND (? = 0 OR version = ?)", resource->id_column);
	if (resource->locked_condition)
		sql_add(&sql, " AND NOT (%s)", resource->locked_condition);
	runtime->statements[RESOURCE_STMT_UPDATE] = resource_generated(resource->name,
		resource_store_sql(runtime, slot++, &sql));

	sql.used = 0;
	sql_add(&sql,
		"UPDATE %s SET deleted_at = NOW(3), version = version + 1 "
		"WHERE tenant_id = ? AND %s = ? AND deleted_at IS NULL AND (? = 0 OR version = ?)",
		resource->table, resource->id_column);
	if (resource->locked_condition)
		sql_add(&sql, " AND NOT (%s)", resource->locked_condition);
	runtime->statements[RESOURCE_STMT_DELETE] = resource_generated(resource->name,
		resource_store_sql(runtime, slot++, &sql));

	runtime->statements[RESOURCE_STMT_COUNTER_ADD] = (struct db_statement_def){.name = "resource.counter_add",
		.sql = "INSERT INTO resource_counts (tenant_id, resource, live_rows) VALUES (?, ?, ?) "
		"ON DUPLICATE KEY UPDATE live_rows = live_rows + VALUES(live_rows)",
		.tenant_bound = 1};
	runtime->statements[RESOURCE_STMT_COUNTER_GET] = (struct db_statement_def){.name = "resource.counter_get",
		.sql = "SELECT live_rows FROM resource_counts WHERE tenant_id = ? AND resource = ?", .tenant_bound = 1};

	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (field->kind != RESOURCE_REFERENCE)
			continue;
		sql.used = 0;
		sql_add(&sql, "SELECT 1 FROM %s WHERE tenant_id = ? AND %s = ? AND %s", field->reference_table,
			field->reference_id_column,
			field->reference_live_condition ? field->reference_live_condition : "deleted_at IS NULL");
		runtime->reference_checks[i] = resource_generated(field->api_name,
			resource_store_sql(runtime, slot++, &sql));
	}
	resource_prepare_specs(resource);
	runtime->ready = 1;
	return 0;
}

size_t resource_statements(const struct resource_def *resource, const struct db_statement_def **out, size_t capacity)
{
	struct resource_runtime *runtime = resource->runtime;
	size_t count = 0;
	for (size_t i = 0; i < RESOURCE_STMT__FIXED && count < capacity; i++)
		out[count++] = &runtime->statements[i];
	for (size_t i = 0; i < runtime->sorts.field_count * 2 && count < capacity; i++)
		out[count++] = &runtime->list_statements[i];
	for (size_t i = 0; i < runtime->sorts.field_count * 2 && count < capacity; i++)
		out[count++] = &runtime->plain_list_statements[i];
	for (size_t i = 0; i < runtime->sorts.field_count * 2 && count < capacity; i++)
		out[count++] = &runtime->shallow_list_statements[i];
	for (size_t i = 0; i < resource->field_count && count < capacity; i++)
		if (resource->fields[i].kind == RESOURCE_REFERENCE)
			out[count++] = &runtime->reference_checks[i];
	return count;
}

const struct resource_def *resource_of(const struct request_context *context)
{
	const struct resource_def *resource = context->route->data;
	resource_prepare(resource);
	return resource;
}

/* ------------------------------------------------------------- rows to JSON */

struct resource_rows {
	const struct resource_def *resource;
	int show_sensitive;
	struct json_text *items; /* list mode: "[record,record" so far */
	json_object *single;     /* get mode */
	int64_t version;
	int with_total;          /* rows end with the live counter (plain lists) */
	int total_seen;
	uint64_t total;
	size_t item_count;
};

/* A stored date and time in the API's form, or null. */
static void resource_write_timestamp(struct json_text *text, const char *value)
{
	char formatted[TIMESTAMP_JSON_SIZE];
	if (value == NULL || timestamp_from_sql(value, formatted) != 0)
		json_text_raw(text, "null", 4);
	else
		json_text_string(text, formatted);
}

static void resource_write_value(struct json_text *text, const struct resource_field *field, const char *value)
{
	if (value == NULL) {
		json_text_raw(text, "null", 4);
		return;
	}
	switch (field->kind) {
	case RESOURCE_INTEGER:
	case RESOURCE_REFERENCE:
		json_text_int64(text, strtoll(value, NULL, 10));
		return;
	case RESOURCE_BOOLEAN:
		json_text_raw(text, value[0] == '1' ? "true" : "false", value[0] == '1' ? 4 : 5);
		return;
	case RESOURCE_TIMESTAMP:
		resource_write_timestamp(text, value);
		return;
	default:
		json_text_string(text, value);
	}
}

/* One record as JSON text: written directly, as a page of them is the
 * hottest answer there is (no json-c tree per value). */
static void resource_write_record(struct json_text *text, const struct resource_rows *rows, const struct db_row *row)
{
	const struct resource_def *resource = rows->resource;
	json_text_member(text, "id", 1);
	json_text_int64(text, strtoll(row->values[0], NULL, 10));
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if ((field->flags & RESOURCE_SENSITIVE) && !rows->show_sensitive)
			continue;
		json_text_member(text, field->api_name, 0);
		resource_write_value(text, field, row->values[2 + i]);
	}
	size_t tail = 2 + resource->field_count;
	json_text_member(text, "createdBy", 0);
	if (row->values[tail] != NULL)
		json_text_int64(text, strtoll(row->values[tail], NULL, 10));
	else
		json_text_raw(text, "null", 4);
	json_text_member(text, "createdAt", 0);
	resource_write_timestamp(text, row->values[tail + 1]);
	json_text_member(text, "updatedAt", 0);
	resource_write_timestamp(text, row->values[tail + 2]);
	if (row->values[tail + 3] && row->values[tail + 3][0] == '1') {
		json_text_member(text, "deleted", 0);
		json_text_raw(text, "true", 4);
	}
	json_text_member(text, "version", 0);
	json_text_int64(text, strtoll(row->values[1], NULL, 10));
}

static int resource_collect(void *callback_context, const struct db_row *row)
{
	struct resource_rows *rows = callback_context;
	const struct resource_def *resource = rows->resource;
	size_t expected = 2 + resource->field_count + 4 + (rows->with_total ? 1 : 0);
	if (row->column_count != expected || row->values[0] == NULL)
		return 0;
	if (rows->with_total && row->values[expected - 1] != NULL) {
		rows->total = strtoull(row->values[expected - 1], NULL, 10);
		rows->total_seen = 1;
	}
	if (rows->items != NULL) {
		json_text_char(rows->items, rows->item_count++ == 0 ? '[' : ',');
		json_text_char(rows->items, '{');
		resource_write_record(rows->items, rows, row);
		json_text_char(rows->items, '}');
		return 0;
	}
	/* One record: callers add to it, so it becomes a json-c object. */
	struct json_text text;
	json_text_init(&text);
	json_text_char(&text, '{');
	resource_write_record(&text, rows, row);
	json_text_char(&text, '}');
	json_object *record = json_tokener_parse(text.bytes);
	json_text_release(&text);
	if (record == NULL)
		return 1;
	if (rows->single)
		json_object_put(rows->single);
	rows->single = record;
	rows->version = strtoll(row->values[1], NULL, 10);
	return 0;
}

static int resource_shows_sensitive(const struct request_context *context, const struct resource_def *resource)
{
	return resource->sensitive_permission == NULL ||
		rbac_list_grants(context->request->auth.permissions, resource->sensitive_permission);
}

int resource_load(struct request_context *context, const struct resource_def *resource, uint64_t id,
	int include_deleted, json_object **out, int64_t *version)
{
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id), DB_INT(include_deleted)};
	struct resource_rows rows = {resource, resource_shows_sensitive(context, resource), NULL, NULL, 0};
	int result = db_query(context->db, &resource->runtime->statements[RESOURCE_STMT_GET], params, 3, resource_collect, &rows);
	*out = rows.single;
	if (version)
		*version = rows.version;
	return result;
}

static void resource_set_etag(struct request_context *context, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	response_add_header(context->response, "ETag", etag);
}

void resource_respond_one(struct request_context *context, const struct resource_def *resource, uint64_t id,
	int created_status, const char *message)
{
	json_object *record = NULL;
	int64_t version = 0;
	int result = resource_load(context, resource, id, 0, &record, &version);
	if (result != DB_OK || record == NULL) {
		if (record)
			json_object_put(record);
		if (result != DB_OK)
			respond_db_failure(context, result, resource->name);
		else
			module_not_found(context, resource->singular);
		return;
	}
	resource_set_etag(context, version);
	response_ok(context->response, created_status ? STATUS_CREATED : STATUS_OK, record, message);
}

int64_t resource_if_match(const struct request_context *context)
{
	const char *header = context->request->if_match;
	if (header == NULL || strcmp(header, "*") == 0)
		return 0;
	const char *start = header;
	if (strncmp(start, "W/", 2) == 0)
		start += 2;
	int quoted = *start == '"';
	start += quoted;
	if (*start < '1' || *start > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	long long version = strtoll(start, &end, 10);
	/* "3" and 3 are accepted; "3, 3" and unbalanced quotes are not */
	if (errno != 0 || version <= 0 || (quoted ? !(end[0] == '"' && end[1] == '\0') : *end != '\0'))
		return -1;
	return version;
}

/* ------------------------------------------------------------------ list */

static int resource_bad_query(struct request_context *context, int *failures, const char *field, const char *issue)
{
	if ((*failures)++ == 0)
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
	response_add_detail(context->response, field, "%s", issue);
	return -1;
}

/* A list's filters are the resource's own fields, so the route's query spec
 * accepts them through this check; their values are checked in
 * resource_list against the field's kind. */
static int resource_accepts_filter(const void *route_data, const char *name)
{
	const struct resource_def *resource = route_data;
	/* q only where some field is searched; its value is checked in resource_list. */
	unsigned wanted = strcmp(name, "q") == 0 ? RESOURCE_SEARCH : RESOURCE_FILTER;
	for (size_t i = 0; resource != NULL && i < resource->field_count; i++)
		if ((resource->fields[i].flags & wanted) && (wanted == RESOURCE_SEARCH || strcmp(resource->fields[i].api_name, name) == 0))
			return 1;
	return 0;
}

static const struct query_field resource_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "includeDeleted", .type = QUERY_BOOLEAN},
	{.name = "createdFrom", .type = QUERY_TIMESTAMP},
	{.name = "createdTo", .type = QUERY_TIMESTAMP},
};
const struct query_spec resource_list_query = {
	.fields = resource_list_query_fields,
	.field_count = sizeof(resource_list_query_fields) / sizeof(resource_list_query_fields[0]),
	.accepts = resource_accepts_filter,
};

static int resource_filter_value_ok(const struct resource_field *field, const char *value)
{
	switch (field->kind) {
	case RESOURCE_INTEGER:
	case RESOURCE_REFERENCE: {
		char *end = NULL;
		errno = 0;
		long long number = strtoll(value, &end, 10);
		return errno == 0 && end != value && *end == '\0' && (field->kind != RESOURCE_REFERENCE || number > 0);
	}
	case RESOURCE_BOOLEAN:
		return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
	case RESOURCE_DATE:
		return timestamp_is_date(value);
	case RESOURCE_ENUM:
		for (const char *const *allowed = field->filter_values ? field->filter_values : field->enum_values;
			allowed && *allowed; allowed++)
			if (strcmp(*allowed, value) == 0)
				return 1;
		return 0;
	default:
		return strlen(value) <= (field->max_length ? field->max_length : 255);
	}
}

void resource_list(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	struct resource_runtime *runtime = resource->runtime;
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &runtime->sorts, &page_request, context->response) != 0)
		return;
	int failures = 0;
	int include_deleted = query_boolean(context->request, "includeDeleted", 0);
	if (include_deleted && !rbac_list_grants(context->request->auth.permissions, resource->delete_permission)) {
		response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
		response_add_detail(context->response, "includeDeleted", "requires %s", resource->delete_permission);
		return;
	}
	struct db_param params[DB_MAX_PARAMS]; /* resource_prepare refused a resource needing more */
	size_t count = 0;
	int filtered = include_deleted;
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	params[count++] = DB_INT(include_deleted);
	char boolean_values[RESOURCE_MAX_FIELDS][2];
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (!(field->flags & RESOURCE_FILTER))
			continue;
		const char *value = query_text(context->request, field->api_name);
		if (value != NULL && !resource_filter_value_ok(field, value)) {
			resource_bad_query(context, &failures, field->api_name, "is not a valid value for this filter");
			value = NULL;
		}
		if (value != NULL && field->kind == RESOURCE_BOOLEAN) {
			snprintf(boolean_values[i], sizeof(boolean_values[i]), "%d", strcmp(value, "true") == 0);
			value = boolean_values[i];
		}
		filtered |= value != NULL;
		params[count++] = value ? DB_TEXT(value) : DB_NULL;
		params[count++] = value ? DB_TEXT(value) : DB_NULL;
	}
	char from[TIMESTAMP_SQL_SIZE] = "", to[TIMESTAMP_SQL_SIZE] = "";
	const char *from_text = query_text(context->request, "createdFrom");
	const char *to_text = query_text(context->request, "createdTo");
	if (from_text && timestamp_parse(from_text, TIMESTAMP_OR_DATE, from) != 0)
		resource_bad_query(context, &failures, "createdFrom", "must be an RFC 3339 date-time or a date");
	if (to_text && timestamp_parse(to_text, TIMESTAMP_OR_DATE, to) != 0)
		resource_bad_query(context, &failures, "createdTo", "must be an RFC 3339 date-time or a date");
	filtered |= from_text != NULL || to_text != NULL;
	params[count++] = from_text ? DB_TEXT(from) : DB_NULL;
	params[count++] = from_text ? DB_TEXT(from) : DB_NULL;
	params[count++] = to_text ? DB_TEXT(to) : DB_NULL;
	params[count++] = to_text ? DB_TEXT(to) : DB_NULL;
	char pattern[RESOURCE_Q_MAX + 2];
	const char *q = query_text(context->request, "q");
	if (runtime->search_count > 0) {
		if (q != NULL && (strlen(q) == 0 || strlen(q) > RESOURCE_Q_MAX || strpbrk(q, "%_\\") != NULL)) {
			resource_bad_query(context, &failures, "q", "1 to 100 characters, without % _ or \\");
			q = NULL;
		}
		if (q != NULL)
			snprintf(pattern, sizeof(pattern), "%s%%", q); /* prefix match: the index stays usable */
		filtered |= q != NULL;
		params[count++] = q ? DB_TEXT(pattern) : DB_NULL;
		for (size_t i = 0; i < runtime->search_count; i++)
			params[count++] = q ? DB_TEXT(pattern) : DB_NULL;
	} else if (q != NULL) {
		resource_bad_query(context, &failures, "q", "this list has no text search");
	}
	if (failures)
		return;
	size_t where_count = count;
	params[count++] = DB_INT(page_request.limit);
	params[count++] = DB_INT((int64_t)pagination_offset(&page_request));

	struct json_text items;
	json_text_init(&items);
	struct resource_rows rows = {resource, resource_shows_sensitive(context, resource), &items, NULL, 0,
		!filtered, 0, 0};
	size_t sort_index = module_sort_statement_index(&runtime->sorts, &page_request);
	int result;
	if (!filtered) {
		struct db_param plain[] = {params[0], params[where_count], params[where_count + 1]};
		const struct db_statement_def *statement = pagination_offset(&page_request) <= RESOURCE_SHALLOW_OFFSET_MAX
			? &runtime->shallow_list_statements[sort_index]
			: &runtime->plain_list_statements[sort_index];
		result = db_query(context->db, statement, plain, 3, resource_collect, &rows);
	} else {
		result = db_query(context->db, &runtime->list_statements[sort_index], params, count, resource_collect, &rows);
	}
	/* Total: the live counter when nothing narrows the list (one primary key
	 * read, however large the tenant; it came with the page unless the page
	 * was empty), COUNT(*) otherwise. */
	uint64_t total = rows.total;
	if (result == DB_OK && !rows.total_seen) {
		if (!filtered) {
			struct db_param counter[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(resource->name)};
			result = db_query(context->db, &runtime->statements[RESOURCE_STMT_COUNTER_GET], counter, 2,
				module_read_uint64, &total);
		} else {
			result = db_query(context->db, &runtime->statements[RESOURCE_STMT_COUNT], params, where_count,
				module_read_uint64, &total);
		}
	}
	if (result != DB_OK) {
		json_text_release(&items);
		respond_db_failure(context, result, resource->name);
		return;
	}
	json_text_raw(&items, rows.item_count == 0 ? "[]" : "]", rows.item_count == 0 ? 2 : 1);
	size_t items_length;
	char *items_bytes = json_text_take(&items, &items_length);
	response_list(context->response, response_json_text(items_bytes, items_length), pagination_block(&page_request, total),
		resource->name);
}

/* ------------------------------------------------------------- get/create */

void resource_get(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, resource->singular);
		return;
	}
	resource_respond_one(context, resource, id, 0, resource->singular);
}

/* Each given reference must name a live record of this tenant. */
int resource_check_references_or_reply(struct request_context *context, const struct resource_def *resource)
{
	int failures = 0;
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (field->kind != RESOURCE_REFERENCE || !resource_field_writable(field))
			continue;
		json_object *value = input_field(context->request, field->api_name);
		if (value == NULL)
			continue;
		uint64_t found = 0;
		struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_INT(json_object_get_int64(value))};
		int result = db_query(context->db, &resource->runtime->reference_checks[i], params, 2, module_read_uint64, &found);
		if (result != DB_OK) {
			respond_db_failure(context, result, resource->name);
			return -1;
		}
		if (found == 0) {
			if (failures++ == 0)
				response_error(context->response, STATUS_UNPROCESSABLE, "Referenced record does not exist");
			response_add_detail(context->response, field->api_name, "no such record in this tenant");
		}
	}
	return failures ? -1 : 0;
}

/* Binds (given, value) for every writable field from the validated body. */
static size_t resource_bind_body(struct request_context *context, const struct resource_def *resource,
	struct db_param *params, char booleans[][2])
{
	size_t count = 0;
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (!resource_field_writable(field))
			continue;
		int given = input_has_field(context->request, field->api_name);
		json_object *value = input_field(context->request, field->api_name);
		params[count++] = DB_INT(given);
		if (!given || value == NULL) {
			params[count++] = DB_NULL;
		} else if (field->kind == RESOURCE_INTEGER || field->kind == RESOURCE_REFERENCE) {
			params[count++] = DB_INT(json_object_get_int64(value));
		} else if (field->kind == RESOURCE_BOOLEAN) {
			snprintf(booleans[i], 2, "%d", json_object_get_boolean(value) ? 1 : 0);
			params[count++] = DB_TEXT(booleans[i]);
		} else {
			params[count++] = DB_TEXT(json_object_get_string(value));
		}
	}
	return count;
}

int resource_count_rows(struct request_context *context, const struct resource_def *resource, int64_t delta)
{
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(resource->name), DB_INT(delta)};
	return db_exec(context->db, &resource->runtime->statements[RESOURCE_STMT_COUNTER_ADD], params, 3, NULL, NULL);
}

int resource_insert_from_body(struct request_context *context, const struct resource_def *resource, uint64_t *new_id)
{
	struct db_param params[2 + 2 * RESOURCE_MAX_FIELDS];
	char booleans[RESOURCE_MAX_FIELDS][2];
	params[0] = DB_UINT(context->request->auth.tenant_id);
	params[1] = DB_UINT(context->request->auth.user_id);
	size_t count = 2 + resource_bind_body(context, resource, params + 2, booleans);
	int result = db_exec(context->db, &resource->runtime->statements[RESOURCE_STMT_INSERT], params, count, NULL, new_id);
	if (result == DB_OK)
		result = resource_count_rows(context, resource, 1);
	return result;
}

void resource_create_with(struct request_context *context, const struct resource_def *resource,
	const struct resource_create_steps *steps)
{
	int result = db_begin(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	int reserved = 0;
	if (idempotency_begin(context, &reserved) == IDEMPOTENCY_ANSWERED)
		return;
	if (steps->check != NULL && steps->check(context, steps->state) != 0)
		return;
	uint64_t id = 0;
	result = steps->insert ? steps->insert(context, steps->state, &id) : resource_insert_from_body(context, resource, &id);
	if (result == DB_OK && steps->after_insert != NULL)
		result = steps->after_insert(context, steps->state, id);
	if (result != DB_OK) {
		if (steps->fail != NULL)
			steps->fail(context, steps->state, result);
		else
			respond_db_failure(context, result, resource->name);
		return;
	}
	if (steps->respond != NULL)
		steps->respond(context, steps->state, id, steps->message);
	else
		resource_respond_one(context, resource, id, 1, steps->message);
	if (!status_is_success(context->response->status))
		return;
	if ((reserved && (result = idempotency_finish(context)) != DB_OK) || (result = db_commit(context->db)) != DB_OK)
		respond_db_failure(context, result, resource->name);
}

void resource_create(struct request_context *context)
{
	/* The route declares runtime->create_input: the pipeline checked the body. */
	const struct resource_def *resource = resource_of(context);
	if (resource_check_references_or_reply(context, resource) != 0)
		return;
	char message[96];
	snprintf(message, sizeof(message), "%s created", resource->singular);
	const struct resource_create_steps steps = {.message = message};
	resource_create_with(context, resource, &steps);
}

/* ------------------------------------------------------------ update/delete */

int resource_read_target_or_reply(struct request_context *context, const struct resource_def *resource, uint64_t *id,
	int64_t *expected_version)
{
	*id = module_path_id(context, "id");
	*expected_version = resource_if_match(context);
	if (*id == 0) {
		module_not_found(context, resource->singular);
		return -1;
	}
	if (*expected_version < 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid If-Match header");
		response_add_detail(context->response, "If-Match", "must be an ETag this API returned, such as \"3\"");
		return -1;
	}
	return 0;
}

/* After an UPDATE that matched nothing: 404 when the record is gone, 409
 * when the client's version is stale, 422 when the record is locked. */
static void resource_explain_miss(struct request_context *context, const struct resource_def *resource, uint64_t id,
	int64_t expected_version)
{
	json_object *record = NULL;
	int64_t version = 0;
	int result = resource_load(context, resource, id, 0, &record, &version);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
	} else if (record == NULL) {
		module_not_found(context, resource->singular);
	} else if (resource->locked_condition != NULL && (expected_version == 0 || expected_version == version)) {
		response_error(context->response, STATUS_UNPROCESSABLE, resource->locked_message);
	} else {
		response_error(context->response, STATUS_CONFLICT, "The record was changed by someone else");
		response_add_detail(context->response, "If-Match", "does not match the current version; reload and retry");
	}
	if (record)
		json_object_put(record);
}

void resource_update(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id;
	int64_t expected_version;
	if (resource_read_target_or_reply(context, resource, &id, &expected_version) != 0)
		return;
	/* The route declares runtime->update_input: the pipeline checked the body. */
	if (resource_check_references_or_reply(context, resource) != 0)
		return;
	struct db_param params[2 * RESOURCE_MAX_FIELDS + 4];
	char booleans[RESOURCE_MAX_FIELDS][2];
	size_t count = resource_bind_body(context, resource, params, booleans);
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	params[count++] = DB_UINT(id);
	params[count++] = DB_INT(expected_version);
	params[count++] = DB_INT(expected_version);
	uint64_t matched = 0;
	int result = db_exec(context->db, &resource->runtime->statements[RESOURCE_STMT_UPDATE], params, count, &matched, NULL);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (matched == 0) {
		resource_explain_miss(context, resource, id, expected_version);
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s updated", resource->singular);
	resource_respond_one(context, resource, id, 0, message);
}

void resource_delete(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id;
	int64_t expected_version;
	if (resource_read_target_or_reply(context, resource, &id, &expected_version) != 0)
		return;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id), DB_INT(expected_version),
		DB_INT(expected_version)};
	uint64_t matched = 0;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &resource->runtime->statements[RESOURCE_STMT_DELETE], params, 4, &matched, NULL);
	if (result == DB_OK && matched == 1)
		result = resource_count_rows(context, resource, -1);
	if (result == DB_OK)
		result = matched == 1 ? db_commit(context->db) : (db_rollback(context->db), DB_OK);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (matched == 0) {
		resource_explain_miss(context, resource, id, expected_version);
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s deleted", resource->singular);
	response_ok(context->response, STATUS_OK, json_object_new_object(), message);
}

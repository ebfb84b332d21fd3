/* The generic record engine: SQL generation from a resource description,
 * and the five standard handlers. */
#include "modules/resource.h"
#include "auth/principal.h"
#include "auth/principal_confirm.h"
#include "auth/rbac.h"
#include "core/alloc.h"
#include "core/json_text.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "handler/stream.h"
#include "http/csv.h"
#include "http/etag.h"
#include "http/list_params.h"
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

/* WHERE clause shared by list and count: tenant, deleted, filters, created
 * range, ranges, conditions, q. resource_list binds in this order. */
static void resource_list_where(const struct resource_def *resource, struct sql_text *sql)
{
	sql_add(sql, " WHERE tenant_id = ? AND (deleted_at IS NULL OR ? = 1)");
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource->fields[i].flags & RESOURCE_FILTER)
			sql_add(sql, " AND (? IS NULL OR %s = ?)", resource->fields[i].column);
	sql_add(sql, " AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)");
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (field->range_name == NULL)
			continue;
		if (field->kind == RESOURCE_DATE) /* Before, After: exclusive */
			sql_add(sql, " AND (? IS NULL OR %s < ?) AND (? IS NULL OR %s > ?)", field->column, field->column);
		else /* Min, Max: inclusive */
			sql_add(sql, " AND (? IS NULL OR %s >= ?) AND (? IS NULL OR %s <= ?)", field->column, field->column);
	}
	for (size_t i = 0; i < resource->condition_count; i++)
		sql_add(sql, " AND (? IS NULL OR COALESCE((%s), FALSE) = ?)", resource->conditions[i].sql);
	if (resource->runtime->search_count > 0) {
		/* '!' escapes LIKE's % and _ in the client's text (list_like_prefix):
		 * unlike a backslash it means the same under every sql_mode. */
		sql_add(sql, " AND (? IS NULL");
		for (size_t i = 0; i < resource->field_count; i++)
			if (resource->fields[i].flags & RESOURCE_SEARCH)
				sql_add(sql, " OR %s LIKE ? ESCAPE '!'", resource->fields[i].column);
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
 * the created range (4), four per range, two per condition, q once plus
 * once per searched column, and the page (2). resource_list fills exactly
 * this many. */
static size_t resource_list_param_count(const struct resource_def *resource)
{
	const struct resource_runtime *runtime = resource->runtime;
	size_t search = runtime->search_count > 0 ? 1 + runtime->search_count : 0;
	return 2 + 2 * runtime->filter_count + 4 + 4 * runtime->range_count + 2 * resource->condition_count + search + 2;
}

/* Names fields= accepts beyond the resource's own, in the order records show them. */
static const char *const resource_meta_names[] = {"createdBy", "createdAt", "updatedAt", "deleted", "version"};
#define RESOURCE_META_COUNT (sizeof(resource_meta_names) / sizeof(resource_meta_names[0]))
enum resource_meta { RESOURCE_META_CREATED_BY, RESOURCE_META_CREATED_AT, RESOURCE_META_UPDATED_AT,
	RESOURCE_META_DELETED, RESOURCE_META_VERSION };

static const char *const resource_formats[] = {"json", "csv", NULL};

/* The list's typed parameters that depend on the resource: q where fields
 * are searched, fields=, each range's pair and each condition. 0 or -1. */
static int resource_prepare_list_query(const struct resource_def *resource)
{
	struct resource_runtime *runtime = resource->runtime;
	size_t names = 0, count = 0;
	runtime->field_names[names++] = "id";
	for (size_t i = 0; i < resource->field_count; i++)
		runtime->field_names[names++] = resource->fields[i].api_name;
	for (size_t i = 0; i < RESOURCE_META_COUNT; i++)
		runtime->field_names[names++] = resource_meta_names[i];
	runtime->field_names[names] = NULL;
	runtime->list_query_fields[count++] = (struct query_field){.name = "fields", .type = QUERY_LIST,
		.max_length = 64, .max_value = (int64_t)names, .enum_values = runtime->field_names};
	if (runtime->search_count > 0)
		runtime->list_query_fields[count++] = (struct query_field){.name = "q", .type = QUERY_TEXT,
			.min_length = 1, .max_length = RESOURCE_Q_MAX};
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (field->range_name == NULL)
			continue;
		int is_date = field->kind == RESOURCE_DATE;
		if ((!is_date && field->kind != RESOURCE_INTEGER) || (field->flags & RESOURCE_SENSITIVE))
			return -1; /* a description error: ranges are on money and dates only */
		snprintf(runtime->range_names[i][0], sizeof(runtime->range_names[i][0]), "%s%s", field->range_name,
			is_date ? "Before" : "Min");
		snprintf(runtime->range_names[i][1], sizeof(runtime->range_names[i][1]), "%s%s", field->range_name,
			is_date ? "After" : "Max");
		for (int end = 0; end < 2; end++)
			runtime->list_query_fields[count++] = is_date
				? (struct query_field){.name = runtime->range_names[i][end], .type = QUERY_DATE}
				: (struct query_field){.name = runtime->range_names[i][end], .type = QUERY_INTEGER,
					.min_value = INT64_MIN / 4, .max_value = INT64_MAX / 4};
	}
	if (resource->condition_count > RESOURCE_MAX_CONDITIONS)
		return -1;
	for (size_t i = 0; i < resource->condition_count; i++)
		runtime->list_query_fields[count++] = (struct query_field){.name = resource->conditions[i].name,
			.type = QUERY_BOOLEAN};
	runtime->list_query = (struct query_spec){.fields = runtime->list_query_fields, .field_count = count};
	return 0;
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
	runtime->range_count = 0;
	size_t sort_count = 0;
	runtime->sort_fields[sort_count++] = (struct sort_field){"created_at", "created_at"};
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		runtime->filter_count += (field->flags & RESOURCE_FILTER) != 0;
		runtime->search_count += (field->flags & RESOURCE_SEARCH) != 0;
		runtime->range_count += field->range_name != NULL;
		if ((field->flags & RESOURCE_SORT) && sort_count < RESOURCE_MAX_SORTS)
			runtime->sort_fields[sort_count++] = (struct sort_field){field->api_name, field->column};
	}
	if (sort_count < RESOURCE_MAX_SORTS)
		runtime->sort_fields[sort_count++] = (struct sort_field){"updated_at", "updated_at"};
	if (resource->field_count > RESOURCE_MAX_FIELDS || resource_list_param_count(resource) > DB_MAX_PARAMS ||
		resource_prepare_list_query(resource) != 0)
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

			for (int confirming = 0; confirming <= 1; confirming++) {
				sql.used = 0;
				resource_select_columns(resource, &sql, "r.");
				sql_add(&sql, ", c.live_rows%s FROM %s r LEFT JOIN resource_counts c ON c.tenant_id = r.tenant_id"
					" AND c.resource = '%s' WHERE r.tenant_id = ? AND r.deleted_at IS NULL ORDER BY r.%s %s, r.%s %s"
					" LIMIT ? OFFSET ?", confirming ? ", " PRINCIPAL_CONFIRM_COLUMN : "", resource->table,
					resource->name, runtime->sort_fields[s].sql_fragment, direction, resource->id_column, direction);
				struct db_statement_def *shallow = confirming ? runtime->confirming_list_statements
									      : runtime->shallow_list_statements;
				shallow[s * 2 + (size_t)ascending] =
					resource_generated(resource->name, resource_store_sql(runtime, slot++, &sql));
			}
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
	for (size_t i = 0; i < runtime->sorts.field_count * 2 && count < capacity; i++)
		out[count++] = &runtime->confirming_list_statements[i];
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
	struct auth_context *confirm; /* and then a cached caller's fingerprint, when not NULL */
	int total_seen;
	uint64_t total;
	size_t item_count;
	/* fields=: bit k shows runtime->field_names[k] (id always); 0 shows all. */
	uint64_t selected;
	struct json_text *csv;   /* CSV mode: rows of this batch */
};

/* Bits of a selection: id is 0, field i is 1 + i, meta names follow. */
static int resource_field_shown(const struct resource_rows *rows, size_t field_index)
{
	const struct resource_field *field = &rows->resource->fields[field_index];
	if ((field->flags & RESOURCE_SENSITIVE) && !rows->show_sensitive)
		return 0;
	return rows->selected == 0 || (rows->selected & (UINT64_C(1) << (1 + field_index))) != 0;
}

static int resource_meta_shown(const struct resource_rows *rows, enum resource_meta meta)
{
	return rows->selected == 0 ||
		(rows->selected & (UINT64_C(1) << (1 + rows->resource->field_count + (size_t)meta))) != 0;
}

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
		if (!resource_field_shown(rows, i))
			continue;
		json_text_member(text, resource->fields[i].api_name, 0);
		resource_write_value(text, &resource->fields[i], row->values[2 + i]);
	}
	size_t tail = 2 + resource->field_count;
	if (resource_meta_shown(rows, RESOURCE_META_CREATED_BY)) {
		json_text_member(text, "createdBy", 0);
		if (row->values[tail] != NULL)
			json_text_int64(text, strtoll(row->values[tail], NULL, 10));
		else
			json_text_raw(text, "null", 4);
	}
	if (resource_meta_shown(rows, RESOURCE_META_CREATED_AT)) {
		json_text_member(text, "createdAt", 0);
		resource_write_timestamp(text, row->values[tail + 1]);
	}
	if (resource_meta_shown(rows, RESOURCE_META_UPDATED_AT)) {
		json_text_member(text, "updatedAt", 0);
		resource_write_timestamp(text, row->values[tail + 2]);
	}
	if (row->values[tail + 3] && row->values[tail + 3][0] == '1' && resource_meta_shown(rows, RESOURCE_META_DELETED)) {
		json_text_member(text, "deleted", 0);
		json_text_raw(text, "true", 4);
	}
	if (resource_meta_shown(rows, RESOURCE_META_VERSION)) {
		json_text_member(text, "version", 0);
		json_text_int64(text, strtoll(row->values[1], NULL, 10));
	}
}

/* The CSV header: the names a record of this selection shows, in order. */
static void resource_write_csv_header(struct json_text *out, const struct resource_rows *rows)
{
	const struct resource_def *resource = rows->resource;
	csv_plain_cell(out, "id");
	for (size_t i = 0; i < resource->field_count; i++)
		if (resource_field_shown(rows, i)) {
			csv_separator(out);
			csv_plain_cell(out, resource->fields[i].api_name);
		}
	for (size_t m = 0; m < RESOURCE_META_COUNT; m++)
		if (resource_meta_shown(rows, (enum resource_meta)m)) {
			csv_separator(out);
			csv_plain_cell(out, resource_meta_names[m]);
		}
	csv_row_end(out);
}

/* A stored date and time as a CSV cell in the API's form. */
static void resource_csv_timestamp(struct json_text *out, const char *value)
{
	char formatted[TIMESTAMP_JSON_SIZE];
	if (value != NULL && timestamp_from_sql(value, formatted) == 0)
		csv_plain_cell(out, formatted);
}

/* One record as a CSV row: the same cells as resource_write_record, every
 * column present (an empty cell for null), text made formula-safe. */
static void resource_write_csv_row(struct json_text *out, const struct resource_rows *rows, const struct db_row *row)
{
	const struct resource_def *resource = rows->resource;
	csv_plain_cell(out, row->values[0]);
	for (size_t i = 0; i < resource->field_count; i++) {
		if (!resource_field_shown(rows, i))
			continue;
		const struct resource_field *field = &resource->fields[i];
		const char *value = row->values[2 + i];
		csv_separator(out);
		switch (field->kind) {
		case RESOURCE_INTEGER:
		case RESOURCE_REFERENCE:
			csv_plain_cell(out, value); /* digits and a sign as MariaDB wrote them */
			break;
		case RESOURCE_BOOLEAN:
			csv_plain_cell(out, value == NULL ? NULL : value[0] == '1' ? "true" : "false");
			break;
		case RESOURCE_TIMESTAMP:
			resource_csv_timestamp(out, value);
			break;
		default:
			csv_text_cell(out, value);
		}
	}
	size_t tail = 2 + resource->field_count;
	int deleted = row->values[tail + 3] && row->values[tail + 3][0] == '1';
	const char *meta[RESOURCE_META_COUNT] = {row->values[tail], NULL, NULL, deleted ? "true" : "false", row->values[1]};
	for (size_t m = 0; m < RESOURCE_META_COUNT; m++) {
		if (!resource_meta_shown(rows, (enum resource_meta)m))
			continue;
		csv_separator(out);
		if (m == RESOURCE_META_CREATED_AT || m == RESOURCE_META_UPDATED_AT)
			resource_csv_timestamp(out, row->values[tail + (m == RESOURCE_META_CREATED_AT ? 1 : 2)]);
		else
			csv_plain_cell(out, meta[m]);
	}
	csv_row_end(out);
}

static int resource_collect(void *callback_context, const struct db_row *row)
{
	struct resource_rows *rows = callback_context;
	const struct resource_def *resource = rows->resource;
	size_t expected = 2 + resource->field_count + 4 + (rows->with_total ? 1 : 0) + (rows->confirm ? 1 : 0);
	if (row->column_count != expected || row->values[0] == NULL)
		return 0;
	size_t total_at = expected - 1 - (rows->confirm ? 1 : 0);
	if (rows->with_total && row->values[total_at] != NULL) {
		rows->total = strtoull(row->values[total_at], NULL, 10);
		rows->total_seen = 1;
	}
	if (rows->confirm != NULL)
		principal_confirm_read(rows->confirm, row->values[expected - 1], row->lengths[expected - 1]);
	if (rows->csv != NULL) {
		resource_write_csv_row(rows->csv, rows, row);
		rows->item_count++;
		return 0;
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
	for (size_t i = 0; resource != NULL && i < resource->field_count; i++)
		if ((resource->fields[i].flags & RESOURCE_FILTER) && strcmp(resource->fields[i].api_name, name) == 0)
			return 1;
	return 0;
}

/* q, fields=, ranges and conditions: typed per resource (resource_prepare). */
static const struct query_spec *resource_list_query_of(const void *route_data)
{
	const struct resource_def *resource = route_data;
	if (resource == NULL || resource_prepare(resource) != 0)
		return NULL;
	return &resource->runtime->list_query;
}

static const struct query_field resource_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "includeDeleted", .type = QUERY_BOOLEAN},
	{.name = "createdFrom", .type = QUERY_TIMESTAMP},
	{.name = "createdTo", .type = QUERY_TIMESTAMP},
	{.name = "format", .type = QUERY_ENUM, .enum_values = resource_formats},
};
const struct query_spec resource_list_query = {
	.fields = resource_list_query_fields,
	.field_count = sizeof(resource_list_query_fields) / sizeof(resource_list_query_fields[0]),
	.accepts = resource_accepts_filter,
	.extra = resource_list_query_of,
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

/* What one list request asks, bound in resource_list_where's order. The
 * parameters point into this struct's buffers. */
struct resource_list_request {
	struct page_request page;
	struct db_param params[DB_MAX_PARAMS]; /* resource_prepare refused a resource needing more */
	size_t where_count;
	int filtered;
	int show_sensitive;
	uint64_t selected;
	char boolean_values[RESOURCE_MAX_FIELDS][2];
	char from[TIMESTAMP_SQL_SIZE];
	char to[TIMESTAMP_SQL_SIZE];
	char pattern[RESOURCE_Q_MAX * 2 + 2];
};

/* fields=: the selection, refused (403) when it names a field the caller
 * may not see, rather than answered without it. 0 or -1 with the response set. */
static int resource_select_or_reply(struct request_context *context, const struct resource_def *resource,
	struct resource_list_request *list)
{
	const char *text = query_text(context->request, "fields");
	list->selected = 0;
	if (text == NULL)
		return 0;
	char unknown[72];
	if (list_select(text, resource->runtime->field_names, &list->selected, unknown, sizeof(unknown)) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		response_add_detail(context->response, "fields", "has an unknown item \"%s\"", unknown);
		return -1;
	}
	list->selected |= 1; /* id: a record is always named */
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if ((field->flags & RESOURCE_SENSITIVE) && !list->show_sensitive &&
			(list->selected & (UINT64_C(1) << (1 + i)))) {
			response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
			response_add_detail(context->response, "fields", "%s requires %s", field->api_name,
				resource->sensitive_permission);
			return -1;
		}
	}
	return 0;
}

/* Binds the WHERE of a filtered list from the query (the pipeline checked
 * the declared types; values that depend on the field are checked here).
 * 0, or -1 with the response set. */
static int resource_bind_list_or_reply(struct request_context *context, const struct resource_def *resource,
	struct resource_list_request *list)
{
	struct resource_runtime *runtime = resource->runtime;
	struct db_param *params = list->params;
	size_t count = 0;
	int failures = 0;
	int include_deleted = query_boolean(context->request, "includeDeleted", 0);
	if (include_deleted && !rbac_list_grants(context->request->auth.permissions, resource->delete_permission)) {
		response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
		response_add_detail(context->response, "includeDeleted", "requires %s", resource->delete_permission);
		return -1;
	}
	list->filtered = include_deleted;
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	params[count++] = DB_INT(include_deleted);
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
			snprintf(list->boolean_values[i], sizeof(list->boolean_values[i]), "%d", strcmp(value, "true") == 0);
			value = list->boolean_values[i];
		}
		list->filtered |= value != NULL;
		params[count++] = value ? DB_TEXT(value) : DB_NULL;
		params[count++] = value ? DB_TEXT(value) : DB_NULL;
	}
	const char *from_text = query_text(context->request, "createdFrom");
	const char *to_text = query_text(context->request, "createdTo");
	if (from_text && timestamp_parse(from_text, TIMESTAMP_OR_DATE, list->from) != 0)
		resource_bad_query(context, &failures, "createdFrom", "must be an RFC 3339 date-time or a date");
	if (to_text && timestamp_parse(to_text, TIMESTAMP_OR_DATE, list->to) != 0)
		resource_bad_query(context, &failures, "createdTo", "must be an RFC 3339 date-time or a date");
	list->filtered |= from_text != NULL || to_text != NULL;
	params[count++] = from_text ? DB_TEXT(list->from) : DB_NULL;
	params[count++] = from_text ? DB_TEXT(list->from) : DB_NULL;
	params[count++] = to_text ? DB_TEXT(list->to) : DB_NULL;
	params[count++] = to_text ? DB_TEXT(list->to) : DB_NULL;
	/* Ranges: the pipeline checked dates and integers against the declared types. */
	for (size_t i = 0; i < resource->field_count; i++) {
		if (resource->fields[i].range_name == NULL)
			continue;
		for (int end = 0; end < 2; end++) {
			const char *name = runtime->range_names[i][end];
			const char *value = query_text(context->request, name);
			struct db_param bound = value == NULL ? DB_NULL
				: resource->fields[i].kind == RESOURCE_DATE ? DB_TEXT(value)
				: DB_INT(query_integer(context->request, name, 0));
			list->filtered |= value != NULL;
			params[count++] = bound;
			params[count++] = bound;
		}
	}
	for (size_t i = 0; i < resource->condition_count; i++) {
		const char *value = query_text(context->request, resource->conditions[i].name);
		struct db_param bound = value == NULL ? DB_NULL
			: DB_INT(query_boolean(context->request, resource->conditions[i].name, 0));
		list->filtered |= value != NULL;
		params[count++] = bound;
		params[count++] = bound;
	}
	if (runtime->search_count > 0) {
		/* Declared 1 to RESOURCE_Q_MAX bytes without control characters;
		 * LIKE's own characters are escaped, so they match themselves. */
		const char *q = query_text(context->request, "q");
		if (q != NULL && list_like_prefix(q, list->pattern, sizeof(list->pattern)) != 0) {
			resource_bad_query(context, &failures, "q", "is too long");
			q = NULL;
		}
		list->filtered |= q != NULL;
		params[count++] = q ? DB_TEXT(list->pattern) : DB_NULL;
		for (size_t i = 0; i < runtime->search_count; i++)
			params[count++] = q ? DB_TEXT(list->pattern) : DB_NULL;
	}
	list->where_count = count;
	return failures ? -1 : 0;
}

/* One batch of a CSV export, through the statement the JSON page would use. */
static int resource_csv_batch(struct request_context *context, const struct resource_def *resource,
	struct resource_list_request *list, size_t sort_index, uint64_t offset, struct resource_rows *rows)
{
	struct resource_runtime *runtime = resource->runtime;
	if (!list->filtered) {
		struct db_param plain[] = {list->params[0], DB_INT(RESOURCE_CSV_BATCH_ROWS), DB_INT((int64_t)offset)};
		return db_query(context->db, &runtime->plain_list_statements[sort_index], plain, 3, resource_collect, rows);
	}
	list->params[list->where_count] = DB_INT(RESOURCE_CSV_BATCH_ROWS);
	list->params[list->where_count + 1] = DB_INT((int64_t)offset);
	return db_query(context->db, &runtime->list_statements[sort_index], list->params, list->where_count + 2,
		resource_collect, rows);
}

/* The whole filtered list as CSV, streamed a batch at a time. The count and
 * every batch read one snapshot (a read transaction), so rows written
 * meanwhile neither repeat nor go missing between batches. Past
 * RESOURCE_CSV_MAX_ROWS the answer is a 413 before any byte of CSV. */
static void resource_list_csv(struct request_context *context, const struct resource_def *resource,
	struct resource_list_request *list, size_t sort_index)
{
	struct resource_runtime *runtime = resource->runtime;
	int failures = 0;
	if (query_text(context->request, "page") != NULL)
		resource_bad_query(context, &failures, "page", "a CSV export is the whole filtered list: narrow it with filters");
	if (query_text(context->request, "limit") != NULL)
		resource_bad_query(context, &failures, "limit", "a CSV export is the whole filtered list: narrow it with filters");
	if (failures)
		return;
	uint64_t total = 0;
	int result = db_begin(context->db);
	if (result == DB_OK && !list->filtered) {
		struct db_param counter[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(resource->name)};
		result = db_query(context->db, &runtime->statements[RESOURCE_STMT_COUNTER_GET], counter, 2, module_read_uint64,
			&total);
	} else if (result == DB_OK) {
		result = db_query(context->db, &runtime->statements[RESOURCE_STMT_COUNT], list->params, list->where_count,
			module_read_uint64, &total);
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (total > RESOURCE_CSV_MAX_ROWS) {
		response_error(context->response, STATUS_PAYLOAD_TOO_LARGE, "Too many rows for one CSV export");
		response_add_detail(context->response, "rows", "%llu rows match; an export holds at most %d: narrow the list "
			"with filters, q or ranges", (unsigned long long)total, RESOURCE_CSV_MAX_ROWS);
		return;
	}
	char filename[64], disposition[128];
	snprintf(filename, sizeof(filename), "%s", resource->name);
	for (char *c = filename; *c != '\0'; c++)
		if (*c == ' ') /* "leave requests" -> "leave-requests.csv" */
			*c = '-';
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.csv\"", filename);
	response_add_header(context->response, "Content-Disposition", disposition);
	if (stream_begin(context, CSV_CONTENT_TYPE) != 0) {
		if (!stream_started(context)) {
			response_error(context->response, STATUS_INTERNAL_ERROR, "CSV export needs a streamed answer");
			return;
		}
		result = db_commit(context->db); /* the client went away with the headers */
		if (result != DB_OK)
			log_msg(LOG_LEVEL_WARN, context->request->request_id, "csv export: %s", db_last_error(context->db));
		return;
	}
	struct json_text batch;
	json_text_init(&batch);
	struct resource_rows rows = {.resource = resource, .show_sensitive = list->show_sensitive,
		.with_total = !list->filtered, .selected = list->selected, .csv = &batch};
	resource_write_csv_header(&batch, &rows);
	int client_gone = 0;
	for (uint64_t offset = 0; result == DB_OK && !client_gone; offset += RESOURCE_CSV_BATCH_ROWS) {
		rows.item_count = 0;
		result = resource_csv_batch(context, resource, list, sort_index, offset, &rows);
		if (result != DB_OK)
			break;
		client_gone = stream_send_bytes(context, batch.bytes, batch.length) != 0;
		json_text_release(&batch);
		json_text_init(&batch);
		if (rows.item_count < RESOURCE_CSV_BATCH_ROWS || offset + RESOURCE_CSV_BATCH_ROWS >= RESOURCE_CSV_MAX_ROWS)
			break;
	}
	json_text_release(&batch);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		/* The status line is out: the connection is cut so the client sees
		 * an incomplete answer; the pipeline rolls back what is open. */
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "csv export of %s: %s", resource->name,
			db_last_error(context->db));
		stream_cut(context);
		response_error(context->response, STATUS_INTERNAL_ERROR, "CSV export failed");
	}
}

/* The ETag of a page: a hash of its records and its pagination, so any
 * change to a row on it, to the total or to the page asked changes it. */
static void resource_page_etag(const char *items, size_t items_length, const struct page_request *page, uint64_t total,
	char etag[ETAG_HASH_SIZE])
{
	uint64_t tail[3] = {total, page->page, page->limit};
	uint64_t hash = etag_hash(ETAG_HASH_SEED, items, items_length);
	etag_format_hash(etag_hash(hash, tail, sizeof(tail)), etag);
}

void resource_list(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	struct resource_runtime *runtime = resource->runtime;
	struct resource_list_request list;
	if (pagination_parse_or_reply(context->request, &runtime->sorts, &list.page, context->response) != 0)
		return;
	list.show_sensitive = resource_shows_sensitive(context, resource);
	if (resource_bind_list_or_reply(context, resource, &list) != 0 || resource_select_or_reply(context, resource, &list) != 0)
		return;
	size_t sort_index = module_sort_statement_index(&runtime->sorts, &list.page);
	if (csv_requested(query_text(context->request, "format"), context->request->accept)) {
		resource_list_csv(context, resource, &list, sort_index);
		return;
	}
	struct db_param *params = list.params;
	size_t where_count = list.where_count, count = where_count;
	params[count++] = DB_INT(list.page.limit);
	params[count++] = DB_INT((int64_t)pagination_offset(&list.page));

	struct json_text items;
	json_text_init(&items);
	struct resource_rows rows = {.resource = resource, .show_sensitive = list.show_sensitive, .items = &items,
		.with_total = !list.filtered, .selected = list.selected};
	int result;
	struct auth_context *auth = &context->request->auth;
	if (!list.filtered && pagination_offset(&list.page) <= RESOURCE_SHALLOW_OFFSET_MAX && auth->principal_unconfirmed &&
		auth->kind == AUTH_JWT) {
		/* The hot path: the page confirms a session from the worker's cache. */
		struct db_param confirming[PRINCIPAL_CONFIRM_PARAMS + 3];
		principal_confirm_bind(auth, confirming);
		confirming[PRINCIPAL_CONFIRM_PARAMS] = params[0];
		confirming[PRINCIPAL_CONFIRM_PARAMS + 1] = params[where_count];
		confirming[PRINCIPAL_CONFIRM_PARAMS + 2] = params[where_count + 1];
		rows.confirm = auth;
		result = db_query(context->db, &runtime->confirming_list_statements[sort_index], confirming,
			PRINCIPAL_CONFIRM_PARAMS + 3, resource_collect, &rows);
	} else if (!list.filtered) {
		struct db_param plain[] = {params[0], params[where_count], params[where_count + 1]};
		const struct db_statement_def *statement = pagination_offset(&list.page) <= RESOURCE_SHALLOW_OFFSET_MAX
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
		if (!list.filtered) {
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
	char etag[ETAG_HASH_SIZE];
	resource_page_etag(items_bytes, items_length, &list.page, total, etag);
	/* If-None-Match is answered for every read that sets an ETag, in the pipeline. */
	response_add_header(context->response, "ETag", etag);
	response_list(context->response, response_json_text(items_bytes, items_length), pagination_block(&list.page, total),
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

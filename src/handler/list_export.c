/* CSV exports and field selection of json-c lists. */
#include "handler/list_export.h"
#include "core/json_text.h"
#include "core/log.h"
#include "db/db.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "handler/stream.h"
#include "http/csv.h"
#include "http/list_params.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>

int list_export_select_or_reply(struct request_context *context, const char *const *columns, uint64_t *selected)
{
	const char *text = query_text(context->request, "fields");
	char unknown[72];
	*selected = 0;
	if (text == NULL)
		return 0;
	if (list_select(text, columns, selected, unknown, sizeof(unknown)) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		response_add_detail(context->response, "fields", "has an unknown item \"%s\"", unknown);
		return -1;
	}
	*selected |= 1; /* the first column names the record */
	return 0;
}

static int list_export_shown(const struct list_export *export, size_t column)
{
	return export->selected == 0 || (export->selected & (UINT64_C(1) << column)) != 0;
}

void list_export_pick(json_object *items, const char *const *columns, uint64_t selected)
{
	if (selected == 0)
		return;
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *record = json_object_array_get_idx(items, i);
		for (size_t c = 0; columns[c] != NULL && c < 64; c++)
			if (!(selected & (UINT64_C(1) << c)))
				json_object_object_del(record, columns[c]);
	}
}

int list_export_wanted(const struct request_context *context)
{
	return csv_requested(query_text(context->request, "format"), context->request->accept);
}

/* One JSON value as a cell: text made formula-safe, numbers and booleans as written. */
static void list_export_cell(struct json_text *out, json_object *value)
{
	char number[32];
	switch (json_object_get_type(value)) {
	case json_type_null:
		return;
	case json_type_boolean:
		csv_plain_cell(out, json_object_get_boolean(value) ? "true" : "false");
		return;
	case json_type_int:
		snprintf(number, sizeof(number), "%lld", (long long)json_object_get_int64(value));
		csv_plain_cell(out, number);
		return;
	case json_type_string:
		csv_text_cell(out, json_object_get_string(value));
		return;
	default: /* objects, arrays, doubles: their JSON text, as text */
		csv_text_cell(out, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	}
}

static void list_export_rows(struct json_text *out, const struct list_export *export, json_object *items)
{
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *record = json_object_array_get_idx(items, i);
		int first = 1;
		for (size_t c = 0; export->columns[c] != NULL && c < 64; c++) {
			if (!list_export_shown(export, c))
				continue;
			if (!first)
				csv_separator(out);
			first = 0;
			json_object *value = NULL;
			json_object_object_get_ex(record, export->columns[c], &value);
			list_export_cell(out, value);
		}
		csv_row_end(out);
	}
}

void list_export_csv(struct request_context *context, const struct list_export *export)
{
	int failures = 0;
	const char *paged[] = {"page", "limit"};
	for (size_t i = 0; i < 2; i++)
		if (query_text(context->request, paged[i]) != NULL) {
			if (failures++ == 0)
				response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
			response_add_detail(context->response, paged[i],
				"a CSV export is the whole filtered list: narrow it with filters");
		}
	if (failures)
		return;
	/* The first batch also says how many rows match, before anything is sent. */
	uint64_t total = 0;
	json_object *items = json_object_new_array();
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = export->fetch(context, export->state, LIST_EXPORT_BATCH_ROWS, 0, items, &total);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, export->file_name);
		return;
	}
	if (total > LIST_EXPORT_MAX_ROWS) {
		json_object_put(items);
		response_error(context->response, STATUS_PAYLOAD_TOO_LARGE, "Too many rows for one CSV export");
		response_add_detail(context->response, "rows", "%llu rows match; an export holds at most %d: narrow the list "
			"with filters", (unsigned long long)total, LIST_EXPORT_MAX_ROWS);
		return;
	}
	char disposition[128];
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.csv\"", export->file_name);
	response_add_header(context->response, "Content-Disposition", disposition);
	if (stream_begin(context, CSV_CONTENT_TYPE) != 0) {
		json_object_put(items);
		if (!stream_started(context))
			response_error(context->response, STATUS_INTERNAL_ERROR, "CSV export needs a streamed answer");
		else if ((result = db_commit(context->db)) != DB_OK) /* the client went away with the headers */
			log_msg(LOG_LEVEL_WARN, context->request->request_id, "csv export: %s", db_last_error(context->db));
		return;
	}
	struct json_text batch;
	json_text_init(&batch);
	int first = 1;
	for (size_t c = 0; export->columns[c] != NULL && c < 64; c++)
		if (list_export_shown(export, c)) {
			if (!first)
				csv_separator(&batch);
			first = 0;
			csv_plain_cell(&batch, export->columns[c]);
		}
	csv_row_end(&batch);
	for (uint64_t offset = 0;;) {
		size_t count = json_object_array_length(items);
		list_export_rows(&batch, export, items);
		json_object_put(items);
		items = NULL;
		if (stream_send_bytes(context, batch.bytes, batch.length) != 0)
			break; /* the client is gone */
		json_text_release(&batch);
		json_text_init(&batch);
		offset += LIST_EXPORT_BATCH_ROWS;
		if (count < LIST_EXPORT_BATCH_ROWS || offset >= LIST_EXPORT_MAX_ROWS)
			break;
		uint64_t ignored = 0;
		items = json_object_new_array();
		result = export->fetch(context, export->state, LIST_EXPORT_BATCH_ROWS, offset, items, &ignored);
		if (result != DB_OK)
			break;
	}
	json_object_put(items);
	json_text_release(&batch);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "csv export of %s: %s", export->file_name,
			db_last_error(context->db));
		stream_cut(context);
		response_error(context->response, STATUS_INTERNAL_ERROR, "CSV export failed");
	}
}

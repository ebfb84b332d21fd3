/* Shared handler helpers. */
#include "modules/module_util.h"
#include "auth/hash_slots.h"
#include "auth/password.h"
#include "handler/context.h"
#include "core/log.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t module_path_id(const struct request_context *context, const char *name)
{
	const char *text = request_path_param(context->request, name);
	if (text == NULL || text[0] == '\0' || text[0] == '0' || strlen(text) > 19)
		return 0;
	for (const char *p = text; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return strtoull(text, NULL, 10);
}

size_t module_sort_statement_index(const struct sort_whitelist *whitelist, const struct page_request *page_request)
{
	size_t field_index = (size_t)(page_request->sort_field - whitelist->fields);
	return field_index * 2 + (page_request->sort_descending ? 0 : 1);
}

json_object *module_string_or_null(const char *value)
{
	return value ? json_object_new_string(value) : NULL;
}

void module_add_when_present(json_object *object, const char *name, json_object *value)
{
	if (value != NULL)
		json_object_object_add(object, name, value);
}

void module_not_found(struct request_context *context, const char *what)
{
	char message[96];
	snprintf(message, sizeof(message), "%s not found", what);
	response_error(context->response, STATUS_NOT_FOUND, message);
}

int module_read_uint64(void *callback_context, const struct db_row *row)
{
	uint64_t *out = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL)
		*out = strtoull(row->values[0], NULL, 10);
	return 0;
}

json_object *module_words_to_array(const char *words)
{
	json_object *array = json_object_new_array();
	for (const char *cursor = words; cursor != NULL && *cursor != '\0';) {
		const char *end = strchr(cursor, ' ');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
		json_object_array_add(array, json_object_new_string_len(cursor, (int)length));
		cursor = end ? end + 1 : NULL;
	}
	return array;
}

/* Long enough for a few hashes ahead to finish; a login that waits longer
 * is better told to come back. */
#define MODULE_HASH_SLOT_WAIT_MS 2000

static int module_hash_slot_or_reply(struct request_context *context)
{
	if (hash_slot_take(MODULE_HASH_SLOT_WAIT_MS) == 0)
		return 0;
	log_msg(LOG_LEVEL_WARN, context->request->request_id, "every password hash slot is busy: answered 503");
	response_error(context->response, STATUS_SERVICE_UNAVAILABLE, "Too many sign-ins at once, try again in a moment");
	response_add_header(context->response, "Retry-After", "1");
	return -1;
}

int module_password_hash_or_reply(struct request_context *context, const char *password, char *out, size_t out_size)
{
	if (module_hash_slot_or_reply(context) != 0)
		return -1;
	int result = password_hash(password, out, out_size);
	hash_slot_give();
	if (result != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "password hashing failed");
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		return -1;
	}
	return 0;
}

int module_password_verify_or_reply(struct request_context *context, const char *password, const char *encoded)
{
	if (module_hash_slot_or_reply(context) != 0)
		return -1;
	int verdict = password_verify(password, encoded);
	hash_slot_give();
	if (verdict < 0)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "a stored password hash is malformed");
	return verdict == 1;
}

void module_rows_take(struct module_rows *rows, json_object *item, const struct db_row *row, size_t record_columns)
{
	if (rows->items != NULL)
		json_object_array_add(rows->items, item);
	else {
		if (rows->single != NULL)
			json_object_put(rows->single);
		rows->single = item;
	}
	if (row->column_count == record_columns + 1 && row->values[record_columns] != NULL)
		rows->total = strtoull(row->values[record_columns], NULL, 10);
}

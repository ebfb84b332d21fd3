/* Shared handler helpers. */
#include "modules/module_util.h"
#include "core/context.h"
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

/*
 * Dotted-path access and strict parsing for response bodies (see json_path.h).
 */
#include "json_path.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

json_object *json_path_get(json_object *root, const char *dotted_path)
{
	json_object *current = root;
	const char *segment = dotted_path;

	while (current != NULL && *segment != '\0') {
		const char *dot = strchr(segment, '.');
		size_t segment_length = dot != NULL ? (size_t)(dot - segment) : strlen(segment);
		char key[128];
		json_object *next;

		if (segment_length == 0 || segment_length >= sizeof key)
			return NULL;
		if (!json_object_is_type(current, json_type_object))
			return NULL;
		memcpy(key, segment, segment_length);
		key[segment_length] = '\0';
		if (!json_object_object_get_ex(current, key, &next))
			return NULL;
		current = next;
		segment += segment_length + (dot != NULL ? 1 : 0);
	}
	return current;
}

const char *json_path_string(json_object *root, const char *dotted_path)
{
	json_object *value = json_path_get(root, dotted_path);

	if (value == NULL || !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

bool json_path_int64(json_object *root, const char *dotted_path, int64_t *value)
{
	json_object *found = json_path_get(root, dotted_path);

	if (found == NULL || !json_object_is_type(found, json_type_int))
		return false;
	*value = json_object_get_int64(found);
	return true;
}

json_object *json_parse_whole(const char *text, size_t length, char *why, size_t why_size)
{
	json_tokener *tokener;
	json_object *parsed;
	enum json_tokener_error error;
	size_t parse_end;

	if (length == 0) {
		snprintf(why, why_size, "empty body");
		return NULL;
	}
	tokener = json_tokener_new();
	if (tokener == NULL) {
		snprintf(why, why_size, "out of memory creating a JSON tokener");
		return NULL;
	}
	/* Strict: a server that emits invalid UTF-8 or comments is not emitting JSON. */
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	parsed = json_tokener_parse_ex(tokener, text, (int)length);
	error = json_tokener_get_error(tokener);
	parse_end = json_tokener_get_parse_end(tokener);
	json_tokener_free(tokener);

	if (parsed == NULL || error != json_tokener_success) {
		snprintf(why, why_size, "body is not JSON (%s): %.200s",
				 error == json_tokener_continue ? "truncated" : json_tokener_error_desc(error), text);
		json_object_put(parsed);
		return NULL;
	}
	for (size_t i = parse_end; i < length; i++) {
		if (!isspace((unsigned char)text[i])) {
			snprintf(why, why_size, "body has bytes after the JSON value at offset %zu: %.200s", i, text);
			json_object_put(parsed);
			return NULL;
		}
	}
	return parsed;
}

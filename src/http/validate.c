/* Field-by-field checks against an input spec. */
#include "http/validate.h"
#include "http/timestamp.h"
#include "core/identifiers.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALIDATE_DEFAULT_MAX_ITEMS 256

static void validate_fail(struct response *response, int *failures, const char *field, const char *issue)
{
	if ((*failures)++ == 0)
		response_error(response, STATUS_VALIDATION_ERROR, "Invalid request body");
	response_add_detail(response, field, "%s", issue);
}

static int validate_string_length(const char *text, const struct field_spec *spec, char *issue, size_t issue_size)
{
	size_t length = strlen(text);
	size_t max_length = spec->max_length ? spec->max_length : 65535;
	if (length < spec->min_length || length > max_length) {
		if (spec->min_length > 0)
			snprintf(issue, issue_size, "must be %zu to %zu characters", spec->min_length, max_length);
		else
			snprintf(issue, issue_size, "must be at most %zu characters", max_length);
		return -1;
	}
	return 0;
}

/* Returns NULL when value fits spec, else the issue text (in issue). */
static const char *validate_field(json_object *value, const struct field_spec *spec, char *issue, size_t issue_size)
{
	switch (spec->type) {
	case FIELD_STRING:
	case FIELD_EMAIL:
	case FIELD_SLUG: {
		if (!json_object_is_type(value, json_type_string))
			return "must be a string";
		const char *text = json_object_get_string(value);
		if (strlen(text) != (size_t)json_object_get_string_len(value))
			return "must not contain NUL characters";
		if (validate_string_length(text, spec, issue, issue_size) != 0)
			return issue;
		/* an optional email may be cleared with "" */
		if (spec->type == FIELD_EMAIL && !(text[0] == '\0' && spec->min_length == 0) &&
			!identifier_is_plausible_email(text))
			return "must be an email address";
		if (spec->type == FIELD_SLUG && !identifier_is_valid_slug(text))
			return "must be lowercase letters, digits and inner hyphens";
		return NULL;
	}
	case FIELD_INTEGER: {
		if (!json_object_is_type(value, json_type_int))
			return "must be an integer";
		int64_t number = json_object_get_int64(value);
		if ((spec->min_value != 0 || spec->max_value != 0) &&
			(number < spec->min_value || number > spec->max_value)) {
			snprintf(issue, issue_size, "must be from %lld to %lld", (long long)spec->min_value,
				(long long)spec->max_value);
			return issue;
		}
		return NULL;
	}
	case FIELD_BOOLEAN:
		return json_object_is_type(value, json_type_boolean) ? NULL : "must be true or false";
	case FIELD_ENUM: {
		if (!json_object_is_type(value, json_type_string))
			return "must be a string";
		const char *text = json_object_get_string(value);
		for (const char *const *allowed = spec->enum_values; allowed && *allowed; allowed++)
			if (strcmp(*allowed, text) == 0)
				return NULL;
		size_t used = (size_t)snprintf(issue, issue_size, "must be one of");
		for (const char *const *allowed = spec->enum_values; allowed && *allowed && used < issue_size; allowed++)
			used += (size_t)snprintf(issue + used, issue_size - used, " %s", *allowed);
		return issue;
	}
	case FIELD_DATE:
		if (!json_object_is_type(value, json_type_string) || !timestamp_is_date(json_object_get_string(value)))
			return "must be a date written YYYY-MM-DD";
		return NULL;
	case FIELD_CURRENCY: {
		const char *text = json_object_is_type(value, json_type_string) ? json_object_get_string(value) : "";
		if (strlen(text) != 3 || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			return "must be a three-letter currency code such as EUR";
		return NULL;
	}
	case FIELD_OBJECT: {
		if (!json_object_is_type(value, json_type_object))
			return "must be an object";
		/* The caller stores or reads the object whole: cap it as a document. */
		size_t max_bytes = spec->max_length ? spec->max_length : 65535;
		size_t length = strlen(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
		if (length > max_bytes) {
			snprintf(issue, issue_size, "must be at most %zu bytes as JSON", max_bytes);
			return issue;
		}
		return NULL;
	}
	case FIELD_STRING_ARRAY: {
		if (!json_object_is_type(value, json_type_array))
			return "must be an array of strings";
		size_t count = json_object_array_length(value);
		size_t max_items = spec->max_length ? spec->max_length : VALIDATE_DEFAULT_MAX_ITEMS;
		if (count < spec->min_length || count > max_items) {
			snprintf(issue, issue_size, "must have %zu to %zu items", spec->min_length, max_items);
			return issue;
		}
		for (size_t i = 0; i < count; i++) {
			json_object *item = json_object_array_get_idx(value, i);
			if (!json_object_is_type(item, json_type_string) || json_object_get_string_len(item) == 0 ||
				json_object_get_string_len(item) > 200)
				return "every item must be a non-empty string of at most 200 characters";
		}
		return NULL;
	}
	}
	return "has an unsupported type";
}

const struct input_spec input_no_body = {.fields = NULL, .field_count = 0, .body_optional = 1};

int validate_input(const struct request *request, const struct input_spec *spec, struct response *response)
{
	int failures = 0;
	if (spec->body_optional && request->body_length == 0)
		return 0;
	json_object *body = request->json_body;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		validate_fail(response, &failures, "body", "must be a JSON object");
		return -1;
	}
	for (size_t i = 0; i < spec->field_count; i++) {
		const struct field_spec *field = &spec->fields[i];
		json_object *value = NULL;
		int present = json_object_object_get_ex(body, field->name, &value);
		if (!present) {
			if (field->required)
				validate_fail(response, &failures, field->name, "is required");
			continue;
		}
		if (value == NULL) {
			if (!field->nullable)
				validate_fail(response, &failures, field->name,
					field->required ? "is required" : "must not be null");
			continue;
		}
		char issue[160];
		const char *problem = validate_field(value, field, issue, sizeof(issue));
		if (problem != NULL)
			validate_fail(response, &failures, field->name, problem);
	}
	if (!spec->allow_unknown_fields) {
		json_object_object_foreach(body, key, unused)
		{
			(void)unused;
			int known = 0;
			for (size_t i = 0; i < spec->field_count && !known; i++)
				known = strcmp(spec->fields[i].name, key) == 0;
			if (!known) {
				char field_name[80];
				snprintf(field_name, sizeof(field_name), "%.64s", key);
				validate_fail(response, &failures, field_name, "is not a known field");
			}
		}
	}
	return failures ? -1 : 0;
}

int validate_path_segment_reachable(const char *text)
{
	return strcmp(text, ".") != 0 && strcmp(text, "..") != 0;
}

int input_has_field(const struct request *request, const char *name)
{
	json_object *value = NULL;
	return request->json_body != NULL && json_object_is_type(request->json_body, json_type_object) &&
		json_object_object_get_ex(request->json_body, name, &value);
}

json_object *input_field(const struct request *request, const char *name)
{
	json_object *value = NULL;
	if (request->json_body == NULL || !json_object_object_get_ex(request->json_body, name, &value))
		return NULL;
	return value;
}

const char *input_string(const struct request *request, const char *name)
{
	json_object *value = input_field(request, name);
	return value != NULL && json_object_is_type(value, json_type_string) ? json_object_get_string(value) : NULL;
}

int64_t input_integer(const struct request *request, const char *name, int64_t fallback)
{
	json_object *value = input_field(request, name);
	return value != NULL && json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : fallback;
}

int input_boolean(const struct request *request, const char *name, int fallback)
{
	json_object *value = input_field(request, name);
	return value != NULL && json_object_is_type(value, json_type_boolean) ? json_object_get_boolean(value)
									      : fallback;
}

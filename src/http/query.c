/* Query-string validation against a route's declared parameters, and the
 * accessors handlers use afterwards. A QUERY_OBJECT parameter arrives either
 * as JSON text (filters={"rating":"negative"}) or as bracketed members
 * (filters[rating]=negative); both become the same object, kept in the
 * request (request->query_objects) until request_reset. */
#include "http/query.h"
#include "core/json_strict.h"
#include "http/request.h"
#include "http/response.h"
#include "http/timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_DEFAULT_MAX_LENGTH 200
#define QUERY_DEFAULT_MAX_ITEMS 50
/* JSON text of an object parameter; members are short values. */
#define QUERY_OBJECT_MAX_BYTES 4096
/* Room for an enum's allowed values (a list's field names). */
#define QUERY_ISSUE_SIZE 640

struct query_failures {
	struct response *response;
	int count;
};

static void query_fail(struct query_failures *failures, const char *name, const char *issue)
{
	if (failures->count++ == 0)
		response_error(failures->response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
	response_add_detail(failures->response, name, "%s", issue);
}

static const struct query_field *query_find_field(const struct query_spec *spec, const char *name, size_t length)
{
	if (spec == NULL)
		return NULL;
	for (size_t i = 0; i < spec->field_count; i++)
		if (strlen(spec->fields[i].name) == length && strncmp(spec->fields[i].name, name, length) == 0)
			return &spec->fields[i];
	return NULL;
}

/* Strict decimal with an optional sign; 0 or -1. */
static int query_parse_integer(const char *text, int64_t *out)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	size_t length = strlen(digits);
	if (length == 0 || length > 18 || strspn(digits, "0123456789") != length)
		return -1;
	errno = 0;
	long long value = strtoll(text, NULL, 10);
	if (errno != 0)
		return -1;
	*out = value;
	return 0;
}

static int query_enum_has(const char *const *values, const char *text, size_t length)
{
	for (; values != NULL && *values != NULL; values++)
		if (strlen(*values) == length && strncmp(*values, text, length) == 0)
			return 1;
	return 0;
}

/* Writes what the allowed values are, "a, b or c", into issue. */
static void query_enum_issue(const char *const *values, const char *prefix, char *issue, size_t issue_size)
{
	size_t used = (size_t)snprintf(issue, issue_size, "%s", prefix);
	for (size_t i = 0; values[i] != NULL && used < issue_size; i++) {
		const char *joint = i == 0 ? " " : values[i + 1] == NULL ? " or " : ", ";
		used += (size_t)snprintf(issue + used, issue_size - used, "%s%s", joint, values[i]);
	}
}

/* NULL when text fits field, else the issue (written into issue). */
static const char *query_check_text(const struct query_field *field, const char *text, char *issue, size_t issue_size)
{
	size_t length = strlen(text);
	size_t max_length = field->max_length ? field->max_length : QUERY_DEFAULT_MAX_LENGTH;
	switch (field->type) {
	case QUERY_TEXT:
		if (length < field->min_length || length > max_length) {
			snprintf(issue, issue_size, "must be %zu to %zu characters", field->min_length, max_length);
			return issue;
		}
		for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f)
				return "must not contain control characters";
		return NULL;
	case QUERY_INTEGER: {
		int64_t value = 0;
		int bounded = field->min_value != 0 || field->max_value != 0;
		if (query_parse_integer(text, &value) != 0 ||
			(bounded && (value < field->min_value || value > field->max_value))) {
			if (bounded)
				snprintf(issue, issue_size, "must be an integer from %lld to %lld", (long long)field->min_value,
					(long long)field->max_value);
			else
				snprintf(issue, issue_size, "must be an integer");
			return issue;
		}
		return NULL;
	}
	case QUERY_BOOLEAN:
		return strcmp(text, "true") == 0 || strcmp(text, "false") == 0 ? NULL : "must be true or false";
	case QUERY_ENUM:
		if (query_enum_has(field->enum_values, text, length))
			return NULL;
		query_enum_issue(field->enum_values, "must be one of", issue, issue_size);
		return issue;
	case QUERY_DATE:
		return timestamp_is_date(text) ? NULL : "must be a date written YYYY-MM-DD";
	case QUERY_TIMESTAMP: {
		char instant[TIMESTAMP_SQL_SIZE];
		return timestamp_parse(text, TIMESTAMP_OR_DATE, instant) == 0
			? NULL
			: "must be an RFC 3339 date-time (2026-11-23T08:00:00Z) or a date (2026-11-23)";
	}
	case QUERY_LIST: {
		size_t items = 0, max_items = field->max_value > 0 ? (size_t)field->max_value : QUERY_DEFAULT_MAX_ITEMS;
		const char *item = text;
		for (;;) {
			const char *end = strchr(item, ',');
			size_t item_length = end ? (size_t)(end - item) : strlen(item);
			if (item_length == 0 || item_length > max_length) {
				snprintf(issue, issue_size, "must be a comma-separated list of items of 1 to %zu characters",
					max_length);
				return issue;
			}
			if (field->enum_values != NULL && !query_enum_has(field->enum_values, item, item_length)) {
				/* Name the item at fault: in a long list it is not obvious. */
				char prefix[160];
				snprintf(prefix, sizeof(prefix), "has an unknown item \"%.*s\"; items must each be one of",
					item_length > 64 ? 64 : (int)item_length, item);
				query_enum_issue(field->enum_values, prefix, issue, issue_size);
				return issue;
			}
			if (++items > max_items) {
				snprintf(issue, issue_size, "must list at most %zu items", max_items);
				return issue;
			}
			if (end == NULL)
				return NULL;
			item = end + 1;
		}
	}
	case QUERY_OBJECT:
		return "must be a JSON object";
	}
	return "is not accepted";
}

/* A member value as it is stored in the parsed object: integers and
 * booleans typed, lists as arrays, everything else as text. */
static json_object *query_member_value(const struct query_field *field, const char *text)
{
	switch (field->type) {
	case QUERY_INTEGER: {
		int64_t value = 0;
		query_parse_integer(text, &value);
		return json_object_new_int64(value);
	}
	case QUERY_BOOLEAN:
		return json_object_new_boolean(strcmp(text, "true") == 0);
	case QUERY_LIST: {
		json_object *items = json_object_new_array();
		const char *item = text;
		for (const char *end; (end = strchr(item, ',')) != NULL; item = end + 1)
			json_object_array_add(items, json_object_new_string_len(item, (int)(end - item)));
		json_object_array_add(items, json_object_new_string(item));
		return items;
	}
	default:
		return json_object_new_string(text);
	}
}

/* The text form of a JSON member value, for the same checks as a bracketed
 * member: strings as they are, integers and booleans as written, arrays of
 * strings joined for lists. NULL when the JSON type cannot be that member. */
static const char *query_member_text(const struct query_field *field, json_object *value, char *buffer,
	size_t buffer_size)
{
	switch (json_object_get_type(value)) {
	case json_type_string:
		return field->type == QUERY_INTEGER || field->type == QUERY_BOOLEAN ? NULL : json_object_get_string(value);
	case json_type_int:
		if (field->type != QUERY_INTEGER)
			return NULL;
		snprintf(buffer, buffer_size, "%lld", (long long)json_object_get_int64(value));
		return buffer;
	case json_type_boolean:
		return field->type == QUERY_BOOLEAN ? (json_object_get_boolean(value) ? "true" : "false") : NULL;
	case json_type_array: {
		if (field->type != QUERY_LIST)
			return NULL;
		size_t used = 0, count = json_object_array_length(value);
		buffer[0] = '\0';
		for (size_t i = 0; i < count; i++) {
			json_object *item = json_object_array_get_idx(value, i);
			if (!json_object_is_type(item, json_type_string) || used >= buffer_size)
				return NULL;
			used += (size_t)snprintf(buffer + used, buffer_size - used, "%s%s", i ? "," : "",
				json_object_get_string(item));
		}
		return used < buffer_size ? buffer : NULL;
	}
	default:
		return NULL;
	}
}

/* Checks one member of object parameter `object_field` and adds it to parsed. */
static void query_add_member(const struct query_field *object_field, const char *member, const char *text,
	json_object *parsed, struct query_failures *failures)
{
	char detail_name[160], issue[QUERY_ISSUE_SIZE];
	snprintf(detail_name, sizeof(detail_name), "%s.%s", object_field->name, member);
	const struct query_field *field = query_find_field(object_field->members, member, strlen(member));
	if (field == NULL || field->type == QUERY_OBJECT) {
		query_fail(failures, detail_name, "unknown member");
		return;
	}
	if (json_object_object_get_ex(parsed, member, NULL)) {
		query_fail(failures, detail_name, "given more than once");
		return;
	}
	const char *problem = text ? query_check_text(field, text, issue, sizeof(issue)) : "has a value of the wrong type";
	if (problem != NULL) {
		query_fail(failures, detail_name, problem);
		return;
	}
	json_object_object_add(parsed, member, query_member_value(field, text));
}

static void query_parse_json_object(const struct query_field *field, const char *text, json_object *parsed,
	struct query_failures *failures)
{
	/* The same strict reading as bodies: one member name twice is refused,
	 * not quietly taken as its last value. */
	size_t length = strlen(text);
	json_object *root = NULL;
	/* Depth 2: the object, and a list member inside it. */
	int complete = length <= QUERY_OBJECT_MAX_BYTES && json_strict_parse(text, length, 2, &root, NULL) == 0;
	if (!complete || !json_object_is_type(root, json_type_object)) {
		char issue[QUERY_ISSUE_SIZE];
		snprintf(issue, sizeof(issue), "must be a JSON object of at most %d bytes, or %s[member]=value pairs",
			QUERY_OBJECT_MAX_BYTES, field->name);
		query_fail(failures, field->name, issue);
		json_object_put(root);
		return;
	}
	json_object_object_foreach(root, member, value)
	{
		char buffer[1024];
		const struct query_field *member_field = query_find_field(field->members, member, strlen(member));
		const char *member_text = member_field ? query_member_text(member_field, value, buffer, sizeof(buffer)) : "";
		query_add_member(field, member, member_text, parsed, failures);
	}
	json_object_put(root);
}

/* The object kept for parameter name (created on first use). */
static json_object *query_object_slot(struct request *request, const char *name)
{
	if (request->query_objects == NULL)
		request->query_objects = json_object_new_object();
	json_object *slot = NULL;
	if (!json_object_object_get_ex(request->query_objects, name, &slot)) {
		slot = json_object_new_object();
		json_object_object_add(request->query_objects, name, slot);
	}
	return slot;
}

/* 1 when the parameter at index appeared before it (same name). */
static int query_repeated(const struct request *request, size_t index)
{
	for (size_t i = 0; i < index; i++)
		if (strcmp(request->query_params[i].name, request->query_params[index].name) == 0)
			return 1;
	return 0;
}

int query_validate(struct request *request, const struct query_spec *spec, const void *route_data,
	struct response *response)
{
	struct query_failures failures = {response, 0};
	char issue[QUERY_ISSUE_SIZE];
	for (size_t i = 0; i < request->query_param_count; i++) {
		const char *name = request->query_params[i].name;
		const char *value = request->query_params[i].value;
		const char *bracket = strchr(name, '[');
		size_t name_length = bracket ? (size_t)(bracket - name) : strlen(name);
		const struct query_field *field = query_find_field(spec, name, name_length);
		if (field == NULL && spec != NULL && spec->extra != NULL)
			field = query_find_field(spec->extra(route_data), name, name_length);
		if (query_repeated(request, i)) {
			query_fail(&failures, name, "given more than once");
			continue;
		}
		if (field != NULL && field->type == QUERY_OBJECT) {
			if (bracket == NULL) {
				if (request->query_objects != NULL && json_object_object_get_ex(request->query_objects, name, NULL))
					query_fail(&failures, name, "give it either as JSON or as [member] pairs, not both");
				else
					query_parse_json_object(field, value, query_object_slot(request, field->name), &failures);
				continue;
			}
			size_t member_length = strlen(bracket + 1);
			if (member_length < 2 || bracket[member_length] != ']' || memchr(bracket + 1, '[', member_length) ||
				memchr(bracket + 1, ']', member_length - 1)) {
				query_fail(&failures, name, "a member is written name[member]=value, one level deep");
				continue;
			}
			if (request_query(request, field->name) != NULL) {
				query_fail(&failures, field->name, "give it either as JSON or as [member] pairs, not both");
				continue;
			}
			char member[128];
			snprintf(member, sizeof(member), "%.*s", (int)(member_length - 1), bracket + 1);
			query_add_member(field, member, value, query_object_slot(request, field->name), &failures);
			continue;
		}
		if (field == NULL || bracket != NULL) {
			int accepted = bracket == NULL && spec != NULL && spec->accepts != NULL && spec->accepts(route_data, name);
			if (!accepted)
				query_fail(&failures, name, "unknown parameter");
			continue;
		}
		const char *problem = query_check_text(field, value, issue, sizeof(issue));
		if (problem != NULL)
			query_fail(&failures, name, problem);
	}
	return failures.count ? -1 : 0;
}

const char *query_text(const struct request *request, const char *name)
{
	return request_query(request, name);
}

int64_t query_integer(const struct request *request, const char *name, int64_t fallback)
{
	const char *text = request_query(request, name);
	int64_t value = fallback;
	if (text != NULL && query_parse_integer(text, &value) != 0)
		return fallback;
	return value;
}

int query_boolean(const struct request *request, const char *name, int fallback)
{
	const char *text = request_query(request, name);
	return text == NULL ? fallback : strcmp(text, "true") == 0;
}

json_object *query_object(const struct request *request, const char *name)
{
	json_object *object = NULL;
	if (request->query_objects == NULL || !json_object_object_get_ex(request->query_objects, name, &object))
		return NULL;
	return object;
}

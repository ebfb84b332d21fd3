/*
 * Loading the SDK contract table: the whole file parsed strictly, the named
 * types, envelope and stream specs checked, then every row on its own (a
 * malformed row fails alone).
 */
#include "contract_table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_path.h"
#include "json_path.h"

enum { CONTRACT_FILE_MAX_BYTES = 4 * 1024 * 1024 };

static bool word_is_one_of(const char *word, const char *const words[])
{
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], word) == 0)
			return true;
	}
	return false;
}

/* Unknown members are refused: a misspelt "equals" would otherwise check nothing. */
static bool only_members(json_object *object, const char *const allowed[], const char *where, char *why,
						 size_t why_size)
{
	json_object_object_foreach(object, key, value) {
		(void)value;
		if (!word_is_one_of(key, allowed)) {
			snprintf(why, why_size, "%s: unknown member \"%s\"", where, key);
			return false;
		}
	}
	return true;
}

static bool spec_is_valid(json_object *types, json_object *spec, const char *where, char *why, size_t why_size)
{
	char inner[256];

	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(why, why_size, "%s: wanted an object of \"path\": \"type\"", where);
		return false;
	}
	json_object_object_foreach(spec, path, text) {
		if (!contract_path_is_valid(path)) {
			snprintf(why, why_size, "%s: malformed path \"%s\"", where, path);
			return false;
		}
		if (!json_object_is_type(text, json_type_string) ||
			!contract_types_are_valid(types, json_object_get_string(text), inner, sizeof inner)) {
			snprintf(why, why_size, "%s.\"%s\": %s", where, path,
					 json_object_is_type(text, json_type_string) ? inner : "the type must be a string");
			return false;
		}
	}
	return true;
}

static bool string_array_is_valid(json_object *array, bool paths, const char *where, char *why, size_t why_size)
{
	if (!json_object_is_type(array, json_type_array) || json_object_array_length(array) == 0) {
		snprintf(why, why_size, "%s: wanted a non-empty array of strings", where);
		return false;
	}
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *item = json_object_array_get_idx(array, i);
		if (!json_object_is_type(item, json_type_string) ||
			(paths && !contract_path_is_valid(json_object_get_string(item)))) {
			snprintf(why, why_size, "%s[%zu]: wanted a %s", where, i, paths ? "path" : "string");
			return false;
		}
	}
	return true;
}

static bool status_is_success(json_object *status)
{
	if (json_object_is_type(status, json_type_string))
		return true; /* "2xx", checked by the caller */
	return json_object_get_int(status) >= 200 && json_object_get_int(status) <= 299;
}

static bool expect_is_valid(const struct contract_table *table, json_object *expect, char *why, size_t why_size)
{
	static const char *const members[] = { "status", "code", "details", "data", "top", "headers",
										   "equals", "nonempty", "ndjson", NULL };
	static const char *const ndjson_members[] = { "present", "last", NULL };
	json_object *status, *member;

	if (!json_object_is_type(expect, json_type_object)) {
		snprintf(why, why_size, "expect: wanted an object");
		return false;
	}
	if (!only_members(expect, members, "expect", why, why_size))
		return false;
	if (!json_object_object_get_ex(expect, "status", &status) ||
		!((json_object_is_type(status, json_type_int) && json_object_get_int(status) >= 100 &&
		   json_object_get_int(status) <= 599) ||
		  (json_object_is_type(status, json_type_string) && strcmp(json_object_get_string(status), "2xx") == 0))) {
		snprintf(why, why_size, "expect.status: wanted an HTTP status or \"2xx\"");
		return false;
	}
	bool success = status_is_success(status);
	bool streamed = json_object_object_get_ex(expect, "ndjson", &member);
	if (streamed) {
		json_object *last, *present;
		if (!success || !json_object_is_type(member, json_type_object) ||
			(json_object_object_get_ex(member, "last", &last) && !json_object_is_type(last, json_type_string))) {
			snprintf(why, why_size, "expect.ndjson: an object {present, last} on a 2xx row");
			return false;
		}
		if (!only_members(member, ndjson_members, "expect.ndjson", why, why_size))
			return false;
		if (json_object_object_get_ex(member, "present", &present) &&
			!string_array_is_valid(present, false, "expect.ndjson.present", why, why_size))
			return false;
	}
	if (success && !streamed && !json_object_object_get_ex(expect, "data", NULL)) {
		snprintf(why, why_size, "expect: a 2xx row says what its data is (\"data\")");
		return false;
	}
	if (!success && !json_object_object_get_ex(expect, "code", NULL)) {
		snprintf(why, why_size, "expect: an error row names its error code (\"code\")");
		return false;
	}
	if (success &&
		(json_object_object_get_ex(expect, "code", NULL) || json_object_object_get_ex(expect, "details", NULL))) {
		snprintf(why, why_size, "expect: code and details are for error rows");
		return false;
	}
	if (json_object_object_get_ex(expect, "code", &member) && !json_object_is_type(member, json_type_string)) {
		snprintf(why, why_size, "expect.code: wanted a string");
		return false;
	}
	if (json_object_object_get_ex(expect, "details", &member) &&
		!string_array_is_valid(member, false, "expect.details", why, why_size))
		return false;
	if (json_object_object_get_ex(expect, "headers", &member) &&
		!string_array_is_valid(member, false, "expect.headers", why, why_size))
		return false;
	if (json_object_object_get_ex(expect, "nonempty", &member) &&
		!string_array_is_valid(member, true, "expect.nonempty", why, why_size))
		return false;
	if (json_object_object_get_ex(expect, "data", &member) &&
		!spec_is_valid(table->types, member, "expect.data", why, why_size))
		return false;
	if (json_object_object_get_ex(expect, "top", &member) &&
		!spec_is_valid(table->types, member, "expect.top", why, why_size))
		return false;
	if (json_object_object_get_ex(expect, "equals", &member)) {
		if (!json_object_is_type(member, json_type_object)) {
			snprintf(why, why_size, "expect.equals: wanted an object of \"path\": value");
			return false;
		}
		json_object_object_foreach(member, path, value) {
			(void)value;
			if (!contract_path_is_valid(path)) {
				snprintf(why, why_size, "expect.equals: malformed path \"%s\"", path);
				return false;
			}
		}
	}
	return true;
}

static bool request_is_valid(json_object *request, char *why, size_t why_size)
{
	static const char *const members[] = { "method", "path", "query", "workspace", "body", NULL };
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", NULL };
	json_object *member;

	if (!json_object_is_type(request, json_type_object)) {
		snprintf(why, why_size, "request: wanted an object");
		return false;
	}
	if (!only_members(request, members, "request", why, why_size))
		return false;
	if (!json_object_object_get_ex(request, "method", &member) || !json_object_is_type(member, json_type_string) ||
		!word_is_one_of(json_object_get_string(member), methods)) {
		snprintf(why, why_size, "request.method: wanted GET, POST, PUT, PATCH or DELETE");
		return false;
	}
	if (!json_object_object_get_ex(request, "path", &member) || !json_object_is_type(member, json_type_string) ||
		json_object_get_string(member)[0] != '/' || strchr(json_object_get_string(member), '?') != NULL) {
		snprintf(why, why_size, "request.path: wanted a string starting with '/', the query in \"query\"");
		return false;
	}
	if (json_object_object_get_ex(request, "query", &member) &&
		(!json_object_is_type(member, json_type_string) || json_object_get_string(member)[0] == '\0' ||
		 json_object_get_string(member)[0] == '?')) {
		snprintf(why, why_size, "request.query: wanted the encoded query string without '?'");
		return false;
	}
	if (json_object_object_get_ex(request, "workspace", &member) &&
		!json_object_is_type(member, json_type_boolean) && !json_object_is_type(member, json_type_string)) {
		snprintf(why, why_size, "request.workspace: wanted true, false or a workspace name");
		return false;
	}
	if (json_object_object_get_ex(request, "body", &member) && member == NULL) {
		snprintf(why, why_size, "request.body: null is not a body; leave the member out to send none");
		return false;
	}
	return true;
}

static bool row_is_valid(const struct contract_table *table, json_object *row, char *why, size_t why_size)
{
	static const char *const members[] = { "method", "case", "note", "credential", "origin",
										   "request", "expect", "capture", NULL };
	static const char *const credentials[] = { "secret", "publishable", "jwt", "wrong", "none",
											   "expired_trial", "rate_limited", NULL };
	json_object *member;

	if (!only_members(row, members, "row", why, why_size))
		return false;
	if (!json_object_object_get_ex(row, "credential", &member) || !json_object_is_type(member, json_type_string) ||
		!word_is_one_of(json_object_get_string(member), credentials)) {
		snprintf(why, why_size,
				 "credential: wanted secret, publishable, jwt, wrong, none, expired_trial or rate_limited");
		return false;
	}
	if (json_object_object_get_ex(row, "origin", &member) && !json_object_is_type(member, json_type_boolean)) {
		snprintf(why, why_size, "origin: wanted true or false");
		return false;
	}
	if (json_object_object_get_ex(row, "capture", &member)) {
		if (!json_object_is_type(member, json_type_object)) {
			snprintf(why, why_size, "capture: wanted an object of name: \"data.path\"");
			return false;
		}
		json_object_object_foreach(member, name, path) {
			if (!json_object_is_type(path, json_type_string) || name[0] == '\0') {
				snprintf(why, why_size, "capture.%s: wanted a dotted path", name);
				return false;
			}
		}
	}
	if (!json_object_object_get_ex(row, "request", &member)) {
		snprintf(why, why_size, "request: missing");
		return false;
	}
	if (!request_is_valid(member, why, why_size))
		return false;
	if (!json_object_object_get_ex(row, "expect", &member)) {
		snprintf(why, why_size, "expect: missing");
		return false;
	}
	return expect_is_valid(table, member, why, why_size);
}

static bool table_fail(struct contract_table *table, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool table_fail(struct contract_table *table, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(table->problem, sizeof table->problem, format, arguments);
	va_end(arguments);
	return false;
}

static char *read_whole_file(const char *file_path, size_t *length, char *why, size_t why_size)
{
	FILE *file = fopen(file_path, "rb");
	char *text;

	if (file == NULL) {
		snprintf(why, why_size, "%s", strerror(errno));
		return NULL;
	}
	text = malloc(CONTRACT_FILE_MAX_BYTES + 1);
	if (text == NULL)
		abort();
	*length = fread(text, 1, CONTRACT_FILE_MAX_BYTES + 1, file);
	if (ferror(file) || *length > CONTRACT_FILE_MAX_BYTES) {
		snprintf(why, why_size, "%s", ferror(file) ? "read error" : "larger than 4 MiB");
		fclose(file);
		free(text);
		return NULL;
	}
	fclose(file);
	text[*length] = '\0';
	return text;
}

static void row_name(struct contract_table *table, size_t index, json_object *row)
{
	struct contract_row *entry = &table->rows[index];
	json_object *method = NULL, *label = NULL;
	const char *method_text;

	json_object_object_get_ex(row, "method", &method);
	json_object_object_get_ex(row, "case", &label);
	method_text = json_object_is_type(method, json_type_string) ? json_object_get_string(method) : "";
	if (method_text[0] == '\0') {
		snprintf(entry->test_name, sizeof entry->test_name, "row %zu", index + 1);
		snprintf(entry->problem, sizeof entry->problem, "method: wanted the SDK method's name");
	} else if (json_object_is_type(label, json_type_string)) {
		snprintf(entry->test_name, sizeof entry->test_name, "%s (%s)", method_text, json_object_get_string(label));
	} else {
		snprintf(entry->test_name, sizeof entry->test_name, "%s", method_text);
	}
	/* CUnit refuses a second test of the same name, which would abort the
	 * whole registration: rename the duplicate and fail it instead. */
	for (size_t i = 0; i < index; i++) {
		if (strcmp(table->rows[i].test_name, entry->test_name) == 0) {
			snprintf(entry->problem, sizeof entry->problem, "row %zu has the same test name \"%s\"; add a \"case\"",
					 i + 1, entry->test_name);
			snprintf(entry->test_name, sizeof entry->test_name, "row %zu", index + 1);
			break;
		}
	}
}

bool contract_table_load(const char *file_path, struct contract_table *table)
{
	static const char *const top_members[] = { "sdk", "types", "envelope", "stream", "rows", NULL };
	static const char *const stream_members[] = { "types", "data", NULL };
	char why[512];
	size_t length = 0;
	char *text;
	json_object *rows, *member, *stream_types, *stream_data;

	memset(table, 0, sizeof *table);
	why[0] = '\0';
	text = read_whole_file(file_path, &length, why, sizeof why);
	if (text == NULL)
		return table_fail(table, "cannot read %s: %s", file_path, why);
	table->document = json_parse_whole(text, length, why, sizeof why);
	free(text);
	if (table->document == NULL)
		return table_fail(table, "%s: %s", file_path, why);
	if (!json_object_is_type(table->document, json_type_object) ||
		!only_members(table->document, top_members, "top level", why, sizeof why))
		return table_fail(table, "%s: %s", file_path, why[0] ? why : "wanted an object");
	if (!json_object_object_get_ex(table->document, "sdk", &member) || !json_object_is_type(member, json_type_string))
		return table_fail(table, "%s: \"sdk\" names the SDK version the rows are written from", file_path);
	if (!json_object_object_get_ex(table->document, "types", &table->types) ||
		!json_object_is_type(table->types, json_type_object))
		return table_fail(table, "%s: \"types\" must be an object of named types", file_path);
	json_object_object_foreach(table->types, type_name, spec) {
		char where[160];
		snprintf(where, sizeof where, "types.%s", type_name);
		if (!spec_is_valid(table->types, spec, where, why, sizeof why))
			return table_fail(table, "%s: %s", file_path, why);
	}
	if (!json_object_object_get_ex(table->document, "envelope", &table->envelope) ||
		!spec_is_valid(table->types, table->envelope, "envelope", why, sizeof why))
		return table_fail(table, "%s: %s", file_path, why[0] ? why : "\"envelope\" is missing");
	if (!json_object_object_get_ex(table->document, "stream", &table->stream) ||
		!json_object_is_type(table->stream, json_type_object) ||
		!only_members(table->stream, stream_members, "stream", why, sizeof why) ||
		!json_object_object_get_ex(table->stream, "types", &stream_types) ||
		!string_array_is_valid(stream_types, false, "stream.types", why, sizeof why) ||
		!json_object_object_get_ex(table->stream, "data", &stream_data) ||
		!json_object_is_type(stream_data, json_type_object))
		return table_fail(table, "%s: %s", file_path,
						  why[0] ? why : "\"stream\" is {\"types\": [...], \"data\": {type: type text}}");
	json_object_object_foreach(stream_data, chunk_type, chunk_types) {
		if (!json_object_is_type(chunk_types, json_type_string) ||
			!contract_types_are_valid(table->types, json_object_get_string(chunk_types), why, sizeof why))
			return table_fail(table, "%s: stream.data.%s: %s", file_path, chunk_type, why[0] ? why : "wanted a type");
	}
	if (!json_object_object_get_ex(table->document, "rows", &rows) || !json_object_is_type(rows, json_type_array) ||
		json_object_array_length(rows) == 0)
		return table_fail(table, "%s: \"rows\" must be a non-empty array", file_path);

	table->row_count = json_object_array_length(rows);
	table->rows = calloc(table->row_count, sizeof *table->rows);
	if (table->rows == NULL)
		abort();
	for (size_t i = 0; i < table->row_count; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		struct contract_row *entry = &table->rows[i];
		entry->row = row;
		if (!json_object_is_type(row, json_type_object)) {
			snprintf(entry->test_name, sizeof entry->test_name, "row %zu", i + 1);
			snprintf(entry->problem, sizeof entry->problem, "a row is an object");
			continue;
		}
		row_name(table, i, row);
		why[0] = '\0';
		if (entry->problem[0] == '\0' && !row_is_valid(table, row, why, sizeof why))
			snprintf(entry->problem, sizeof entry->problem, "%s", why);
	}
	return true;
}

void contract_table_free(struct contract_table *table)
{
	free(table->rows);
	if (table->document != NULL)
		json_object_put(table->document);
	memset(table, 0, sizeof *table);
}

const struct contract_row *contract_table_find_row(const struct contract_table *table, const char *test_name)
{
	for (size_t i = 0; i < table->row_count; i++) {
		if (strcmp(table->rows[i].test_name, test_name) == 0)
			return &table->rows[i];
	}
	return NULL;
}

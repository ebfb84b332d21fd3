/*
 * Reading response JSON by dotted path ("data.database.status"), and parsing a
 * body strictly: the whole body must be one JSON value, as a client would need.
 */
#ifndef INTUKA_ITEST_JSON_PATH_H
#define INTUKA_ITEST_JSON_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The value at path, or NULL when any step is missing or not an object.
 * Borrowed from root: do not put it. */
json_object *json_path_get(json_object *root, const char *dotted_path);

/* The string at path, or NULL when missing or not a string. */
const char *json_path_string(json_object *root, const char *dotted_path);

/* True and *value set when path holds an integer (not a double, not a string). */
bool json_path_int64(json_object *root, const char *dotted_path, int64_t *value);

/*
 * Parses text as exactly one JSON value (trailing whitespace allowed). Returns
 * a new reference the caller puts, or NULL with the reason in why.
 */
json_object *json_parse_whole(const char *text, size_t length, char *why, size_t why_size);

#endif

/*
 * The path language of the SDK contract table: where a member of an answer
 * must be and which JSON types it may have, and ${name} placeholders. No
 * CUnit here: every problem goes to a report callback, so the suite decides
 * how it is recorded.
 *
 * Paths (keys of "data", "top", "equals", "nonempty" and of named types):
 *   ""          the value itself (the answer's data, or a named type's value)
 *   "a.b"       member b of member a; every member named must be there
 *   "a?"        a may be absent; a path going below an absent or null "a?"
 *               holds vacuously (whether a may be null is said by the path
 *               ending at "a?", e.g. "a?": "object|null")
 *   "a[]", "[]" every element of the array a (or of the value itself)
 *   "a.*"       every member of the object a, whatever its name
 * Type text: string, number (integer or double), integer, boolean, object,
 * array, null, joined with "|", plus at most one "@Name": when no plain type
 * matched, the value is checked against the named type (an object of
 * path: type text, the "types" of the data file), e.g. "@Product|null".
 */
#ifndef INTUKA_ITEST_CONTRACT_PATH_H
#define INTUKA_ITEST_CONTRACT_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Called once per failure found, with a complete message. */
typedef void (*contract_report_fn)(void *context, const char *message);

/* Value of a placeholder, or NULL when nothing has that name (yet). */
typedef const char *(*contract_lookup_fn)(void *context, const char *name);

bool contract_path_is_valid(const char *path);
/* A type text whose named types all exist in named_types. */
bool contract_types_are_valid(json_object *named_types, const char *text, char *why, size_t why_size);

/* Each "path": "types" member of spec holds on root. label names root in
 * messages ("data"). True when nothing was reported. */
bool contract_check_types(json_object *named_types, json_object *root, json_object *spec, const char *label,
						  contract_report_fn report, void *context);

/* value alone against a type text ("@Product", "string"). */
bool contract_check_value(json_object *named_types, json_object *value, const char *types, const char *label,
						  contract_report_fn report, void *context);

/* Each "path": value of expected: every value reached equals it, and at least one is reached. */
bool contract_check_equals(json_object *named_types, json_object *root, json_object *expected, const char *label,
						   contract_report_fn report, void *context);

/* Each path of the array paths reaches at least one value, and every value
 * reached is a non-empty array or object. */
bool contract_check_nonempty(json_object *named_types, json_object *root, json_object *paths, const char *label,
							 contract_report_fn report, void *context);

/*
 * text with every ${name} replaced by lookup's value, percent-encoded as
 * JavaScript's encodeURIComponent does when encode is set (paths and query
 * strings, as the SDK encodes ids). A new string the caller frees, or NULL
 * with why (unknown name, malformed placeholder).
 */
char *contract_expand_text(const char *text, bool encode, contract_lookup_fn lookup, void *context, char *why,
						   size_t why_size);

/* A deep copy of value with placeholders expanded in every string; NULL with why. */
json_object *contract_expand_json(json_object *value, contract_lookup_fn lookup, void *context, char *why,
								  size_t why_size);

#endif

/* Declarative validation of JSON bodies: a route names its input spec and
 * the pipeline checks it before the handler runs, reporting every failing
 * field in VALIDATION_ERROR details. Handlers then read fields knowing their
 * type and bounds hold. Unknown fields are refused, never silently dropped. */
#ifndef INTUKA_HTTP_VALIDATE_H
#define INTUKA_HTTP_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct request;
struct response;

enum field_type {
	FIELD_STRING,
	FIELD_EMAIL,
	FIELD_SLUG,
	FIELD_INTEGER,
	FIELD_BOOLEAN,
	FIELD_STRING_ARRAY,
	FIELD_ENUM,     /* a string from enum_values */
	FIELD_DATE,     /* "YYYY-MM-DD", a real calendar date */
	FIELD_CURRENCY, /* three capital letters, ISO 4217 style ("EUR") */
	FIELD_OBJECT,   /* a JSON object; max_length caps its serialized bytes (0 = 65535) */
};

struct field_spec {
	const char *name;
	enum field_type type;
	int required;
	size_t min_length;   /* strings: bytes; arrays: items */
	size_t max_length;   /* strings: bytes; arrays: items (0 = 256); objects: serialized bytes */
	int64_t min_value;   /* integers */
	int64_t max_value;   /* integers (min = max = 0: any) */
	const char *const *enum_values; /* FIELD_ENUM: NULL-terminated */
	int nullable;        /* JSON null accepted (clears the field on update) */
};

struct input_spec {
	const struct field_spec *fields;
	size_t field_count;
	int allow_unknown_fields;
	/* A request without a body passes (actions such as approve, whose
	 * fields are all optional); a body must still be an object of them. */
	int body_optional;
};

#define INPUT_SPEC(field_array) {field_array, sizeof(field_array) / sizeof(field_array[0]), 0}
#define INPUT_SPEC_BODY_OPTIONAL(field_array)                                                                     \
	{.fields = field_array, .field_count = sizeof(field_array) / sizeof(field_array[0]), .body_optional = 1}
/* For actions that take nothing: no body, or an empty object. */
extern const struct input_spec input_no_body;

/* 0 when the body satisfies spec; otherwise VALIDATION_ERROR with details. */
int validate_input(const struct request *request, const struct input_spec *spec, struct response *response);

/* Accessors for validated bodies; NULL / fallback when the field is absent. */
const char *input_string(const struct request *request, const char *name);
int64_t input_integer(const struct request *request, const char *name, int64_t fallback);
int input_boolean(const struct request *request, const char *name, int fallback);
json_object *input_field(const struct request *request, const char *name);
/* 1 when the body has the member at all, even with a null value. */
int input_has_field(const struct request *request, const char *name);
/* 0 when text is "." or "..". Clients' URL parsers (fetch, curl) drop such a
 * path segment however it is percent-encoded, so a resource a body names so
 * could be created but never reached at its own URL (/X/{id}). */
int validate_path_segment_reachable(const char *text);

#endif

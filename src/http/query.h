/* Declared query parameters. A route names the parameters it accepts, each
 * with a type and bounds, as it names its body fields; the pipeline checks
 * the query before the handler runs and answers 400 naming every unknown,
 * repeated or malformed parameter, so nothing a client sends is silently
 * ignored. Handlers then read values knowing they hold. */
#ifndef INTUKA_HTTP_QUERY_H
#define INTUKA_HTTP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct request;
struct response;
struct query_spec;

enum query_type {
	QUERY_TEXT,      /* min_length..max_length bytes (max 0 = 200) */
	QUERY_INTEGER,   /* decimal, optional '-', within min_value..max_value (both 0: any) */
	QUERY_BOOLEAN,   /* true or false */
	QUERY_ENUM,      /* one of enum_values */
	QUERY_DATE,      /* YYYY-MM-DD */
	QUERY_TIMESTAMP, /* RFC 3339 date-time, or a date (http/timestamp.h) */
	QUERY_LIST,      /* comma-separated items of max_length bytes, at most max_value items (0 = 50);
			    with enum_values every item is one of them */
	QUERY_OBJECT,    /* name={"json":"object"} or name[member]=value pairs; members declared by .members */
};

struct query_field {
	const char *name;
	enum query_type type;
	size_t min_length;
	size_t max_length;
	int64_t min_value;
	int64_t max_value;
	const char *const *enum_values;   /* NULL-terminated */
	const struct query_spec *members; /* QUERY_OBJECT: its members (one level, no objects inside) */
};

struct query_spec {
	const struct query_field *fields;
	size_t field_count;
	/* Parameters known only at run time (a generic list's filter fields):
	 * returns 1 when the route accepts name; the handler checks its value. */
	int (*accepts)(const void *route_data, const char *name);
	/* Parameters the route's data declares besides these (a generic list's
	 * ranges, search and field names, per resource): typed and checked
	 * like fields. NULL, or returning NULL: none. */
	const struct query_spec *(*extra)(const void *route_data);
};

#define QUERY_SPEC(field_array) {.fields = field_array, .field_count = sizeof(field_array) / sizeof(field_array[0])}

/* 0 when every parameter is declared (or accepted) and valid; otherwise
 * VALIDATION_ERROR with one detail per parameter at fault. spec NULL: the
 * route takes no parameter. Parsed objects are kept in the request. */
int query_validate(struct request *request, const struct query_spec *spec, const void *route_data,
	struct response *response);

/* Accessors for validated parameters; fallback (or NULL) when absent. */
const char *query_text(const struct request *request, const char *name);
int64_t query_integer(const struct request *request, const char *name, int64_t fallback);
int query_boolean(const struct request *request, const char *name, int fallback);
/* A QUERY_OBJECT's members (borrowed from the request): text members as
 * strings, integers as integers, booleans as booleans, lists as arrays of
 * strings. NULL when the parameter was not given. */
json_object *query_object(const struct request *request, const char *name);

#endif

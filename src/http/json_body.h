/* Strict JSON parsing of request bodies with a nesting limit. */
#ifndef INTUKA_HTTP_JSON_BODY_H
#define INTUKA_HTTP_JSON_BODY_H

#include <stddef.h>

#include <json-c/json.h>

struct response;

/* Parse exactly one JSON value (whitespace around it allowed). On success
 * stores the tree in *out (caller owns it) and returns 0; otherwise sets a
 * VALIDATION_ERROR with a detail on response and returns -1. */
int json_body_parse(const char *body, size_t body_length, int max_depth, json_object **out,
	struct response *response);

#endif

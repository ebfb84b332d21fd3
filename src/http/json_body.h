/* Request bodies through the strict JSON recogniser, with a nesting limit. */
#ifndef INTUKA_HTTP_JSON_BODY_H
#define INTUKA_HTTP_JSON_BODY_H

#include <stddef.h>

#include <json-c/json.h>

struct response;

/* Parse exactly one strict JSON value (core/json_strict.h; whitespace around
 * it allowed). On success stores the tree in *out (caller owns it) and
 * returns 0; otherwise sets a VALIDATION_ERROR `Malformed JSON body` whose
 * detail names the first fault: field "body", issue "byte N: <reason>"
 * (N counted from 0), and returns -1. */
int json_body_parse(const char *body, size_t body_length, int max_depth, json_object **out,
	struct response *response);

#endif

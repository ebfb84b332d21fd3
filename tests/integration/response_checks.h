/*
 * What every Intuka response must satisfy, whatever the route: JSON content
 * type, an X-Request-Id, a body that is JSON, and one of the two envelopes.
 * The pure validators carry no CUnit state so forked load clients can use them.
 */
#ifndef INTUKA_ITEST_RESPONSE_CHECKS_H
#define INTUKA_ITEST_RESPONSE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "http_client.h"

enum { GENERATED_REQUEST_ID_LENGTH = 32 };

struct expected_response {
	long status;
	const char *error_code;        /* NULL: a success envelope is expected */
	const char *sent_request_id;   /* X-Request-Id the request carried, or NULL */
	bool request_id_echoed;        /* sent id is valid and must come back unchanged */
};

/* Exactly 32 hex digits: the shape of an id the server generated. */
bool request_id_has_generated_form(const char *value);

/* True when Content-Type starts with application/json (case-insensitive). */
bool content_type_is_json(const char *content_type);

/*
 * Checks root against the success or error envelope of the contract. On
 * failure writes the first problem found into why and returns false.
 */
bool envelope_is_well_formed(json_object *root, char *why, size_t why_size);

/*
 * The common checks as CUnit assertions, each failure naming the request
 * (request_label, e.g. "DELETE /api/v1/health"). Returns the parsed body for
 * case-specific checks (the caller puts it), or NULL when it is not JSON.
 */
json_object *check_common_response(const char *request_label, const struct http_response *response,
								   const struct expected_response *expected);

#endif

/* Body parsing: the strict recogniser in front of json-c, so a lenient or
 * ambiguous body (duplicate names, bad UTF-8, \u0000, integers beyond 64
 * bits) never reaches a handler or the database, and the client learns the
 * byte to fix. */
#include "http/json_body.h"
#include "core/json_strict.h"
#include "http/response.h"

int json_body_parse(const char *body, size_t body_length, int max_depth, json_object **out,
	struct response *response)
{
	struct json_strict_fault fault;
	if (json_strict_parse(body, body_length, max_depth, out, &fault) == 0)
		return 0;
	response_error(response, STATUS_VALIDATION_ERROR, "Malformed JSON body");
	response_add_detail(response, "body", "byte %zu: %s", fault.offset, fault.reason);
	return -1;
}

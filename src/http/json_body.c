/* Body parsing: json-c in strict mode with UTF-8 validation, so lenient
 * extensions (single quotes, comments, bad UTF-8) never reach a handler. */
#include "http/json_body.h"
#include "http/response.h"

#include <string.h>

/* json-c's strict mode still takes single-quoted strings, NaN, Infinity and
 * "1." as numbers. Outside strings, standard JSON only has structural
 * characters, numbers and the letters of true/false/null, so one pass finds
 * those extensions, and counts container nesting on the way (json-c counts
 * a scalar as a level of its own, which would make the limit off by one).
 * Returns a reason, or NULL when none is found. */
static const char *json_body_find_lenient_token(const char *body, size_t body_length, int max_depth)
{
	int in_string = 0;
	int depth = 0;
	for (size_t i = 0; i < body_length; i++) {
		char c = body[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return "nesting too deep";
		} else if (c == ']' || c == '}')
			depth--;
		else if (c == '\'')
			return "single-quoted strings are not JSON";
		else if (c == '.' && (i + 1 >= body_length || body[i + 1] < '0' || body[i + 1] > '9'))
			return "a number needs digits after the decimal point";
		else if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && strchr("truefalsnE", c) == NULL)
			return "unexpected literal (NaN and Infinity are not JSON)";
	}
	return NULL;
}

int json_body_parse(const char *body, size_t body_length, int max_depth, json_object **out,
	struct response *response)
{
	*out = NULL;
	if (memchr(body, '\0', body_length) != NULL) {
		response_error(response, STATUS_VALIDATION_ERROR, "Malformed JSON body");
		response_add_detail(response, "body", "raw NUL byte in body");
		return -1;
	}
	const char *lenient = json_body_find_lenient_token(body, body_length, max_depth);
	if (lenient != NULL) {
		response_error(response, STATUS_VALIDATION_ERROR, "Malformed JSON body");
		if (strcmp(lenient, "nesting too deep") == 0)
			response_add_detail(response, "body", "nesting deeper than %d levels", max_depth);
		else
			response_add_detail(response, "body", "%s", lenient);
		return -1;
	}
	/* The scan above enforces the container depth; json-c, which counts the
	 * innermost scalar as one more level, gets one level of room. */
	struct json_tokener *tokener = json_tokener_new_ex(max_depth + 1);
	if (tokener == NULL) {
		response_error(response, STATUS_INTERNAL_ERROR, "Internal error");
		return -1;
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *parsed = json_tokener_parse_ex(tokener, body, (int)body_length);
	enum json_tokener_error parse_error = json_tokener_get_error(tokener);
	size_t parse_end = json_tokener_get_parse_end(tokener);
	json_tokener_free(tokener);

	const char *reason = NULL;
	if (parse_error == json_tokener_error_depth)
		reason = "nesting too deep";
	else if (parse_error == json_tokener_continue)
		reason = "unexpected end of input";
	else if (parse_error != json_tokener_success) /* a bare null parses to NULL with success */
		reason = json_tokener_error_desc(parse_error);
	else {
		for (size_t i = parse_end; i < body_length && reason == NULL; i++)
			if (strchr(" \t\r\n", body[i]) == NULL)
				reason = "unexpected data after the JSON value";
	}
	if (reason != NULL) {
		if (parsed != NULL)
			json_object_put(parsed);
		response_error(response, STATUS_VALIDATION_ERROR, "Malformed JSON body");
		if (parse_error == json_tokener_error_depth)
			response_add_detail(response, "body", "nesting deeper than %d levels", max_depth);
		else
			response_add_detail(response, "body", "%s", reason);
		return -1;
	}
	*out = parsed;
	return 0;
}

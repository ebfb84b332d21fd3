/* Request parsing: every limit gives its own clear refusal. */
#include "unit_suites.h"
#include "core/arena.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct memory_body {
	const char *data;
	size_t length;
	size_t position;
	int reads;
};

static long memory_read(void *context, char *buffer, size_t buffer_size)
{
	struct memory_body *body = context;
	body->reads++;
	size_t left = body->length - body->position;
	size_t chunk = left < buffer_size ? left : buffer_size;
	memcpy(buffer, body->data + body->position, chunk);
	body->position += chunk;
	return (long)chunk;
}

static const struct request_limits test_limits = {
	.max_body_bytes = 64, .max_header_bytes = 200, .max_path_bytes = 40, .max_json_depth = 4, .max_query_params = 3};

struct parsed {
	struct arena arena;
	struct request request;
	struct response response;
	int result;
};

static void parse_envp(struct parsed *parsed, char **envp, struct memory_body *body)
{
	arena_init(&parsed->arena, 1024);
	request_init(&parsed->request, &parsed->arena);
	response_init(&parsed->response);
	parsed->result = request_parse(&parsed->request, envp, memory_read, body, &test_limits, &parsed->response);
}

static void parsed_free(struct parsed *parsed)
{
	request_reset(&parsed->request);
	response_reset(&parsed->response);
	arena_destroy(&parsed->arena);
}

static void request_splits_path_and_decodes_query(void)
{
	char *envp[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/api/v1/x?a=1&b=hello%20world&c=x+y", NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL_FATAL(parsed.result, 0);
	CU_ASSERT_EQUAL(parsed.request.method, HTTP_GET);
	CU_ASSERT_STRING_EQUAL(parsed.request.path, "/api/v1/x");
	CU_ASSERT_STRING_EQUAL(request_query(&parsed.request, "b"), "hello world");
	CU_ASSERT_STRING_EQUAL(request_query(&parsed.request, "c"), "x y");
	CU_ASSERT_PTR_NULL(request_query(&parsed.request, "d"));
	parsed_free(&parsed);
}

static void request_path_over_the_limit_is_414(void)
{
	char uri[128];
	snprintf(uri, sizeof(uri), "REQUEST_URI=/%060d", 0);
	char *envp[] = {"REQUEST_METHOD=GET", uri, NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_URI_TOO_LONG);
	parsed_free(&parsed);
}

static void request_headers_over_the_limit_are_431(void)
{
	char header[300];
	snprintf(header, sizeof(header), "HTTP_X_BIG=%0250d", 0);
	char *envp[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", header, NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_HEADERS_TOO_LARGE);
	parsed_free(&parsed);
}

static void request_body_over_the_limit_is_413_without_reading_it(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/json", "CONTENT_LENGTH=65",
		NULL};
	struct memory_body body = {.data = "", .length = 0};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_PAYLOAD_TOO_LARGE);
	CU_ASSERT_EQUAL(body.reads, 0);
	parsed_free(&parsed);
}

static void request_body_shorter_than_declared_is_400(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/json", "CONTENT_LENGTH=10",
		NULL};
	struct memory_body body = {.data = "{}", .length = 2};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_VALIDATION_ERROR);
	parsed_free(&parsed);
}

static void request_json_body_is_parsed(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/json; charset=utf-8",
		"CONTENT_LENGTH=9", NULL};
	struct memory_body body = {.data = "{\"a\":12}\n", .length = 9};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL_FATAL(parsed.result, 0);
	json_object *value = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed.request.json_body, "a", &value));
	CU_ASSERT_EQUAL(json_object_get_int(value), 12);
	parsed_free(&parsed);
}

static void request_chunked_body_without_length_is_read_to_the_end(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/json",
		"HTTP_TRANSFER_ENCODING=chunked", NULL};
	struct memory_body body = {.data = "{\"a\":12}", .length = 8};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL_FATAL(parsed.result, 0);
	CU_ASSERT_EQUAL(parsed.request.body_length, 8);
	json_object *value = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed.request.json_body, "a", &value));
	CU_ASSERT_EQUAL(json_object_get_int(value), 12);
	parsed_free(&parsed);
}

static void request_chunked_body_over_the_limit_is_413(void)
{
	char data[65];
	memset(data, ' ', sizeof(data));
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/json",
		"HTTP_TRANSFER_ENCODING=chunked", NULL};
	struct memory_body body = {.data = data, .length = sizeof(data)};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_PAYLOAD_TOO_LARGE);
	parsed_free(&parsed);
	/* Exactly the limit is still accepted (and then judged as JSON). */
	struct memory_body at_limit = {.data = data, .length = 64};
	parse_envp(&parsed, envp, &at_limit);
	CU_ASSERT_NOT_EQUAL(parsed.response.status, STATUS_PAYLOAD_TOO_LARGE);
	CU_ASSERT_EQUAL(parsed.request.body_length, 64);
	parsed_free(&parsed);
}

static void request_without_length_or_transfer_encoding_has_no_body(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", NULL};
	struct memory_body body = {.data = "{}", .length = 2};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL(parsed.result, 0);
	CU_ASSERT_EQUAL(parsed.request.body_length, 0);
	CU_ASSERT_EQUAL(body.reads, 0);
	parsed_free(&parsed);
}

static void request_non_json_body_is_415(void)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=2", NULL};
	struct memory_body body = {.data = "hi", .length = 2};
	struct parsed parsed;
	parse_envp(&parsed, envp, &body);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_UNSUPPORTED_MEDIA_TYPE);
	parsed_free(&parsed);
	char *lookalike[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=application/jsonx",
		"CONTENT_LENGTH=2", NULL};
	struct memory_body object = {.data = "{}", .length = 2};
	parse_envp(&parsed, lookalike, &object);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_UNSUPPORTED_MEDIA_TYPE);
	parsed_free(&parsed);
}

static void request_too_many_query_parameters_is_400(void)
{
	char *envp[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/?a=1&b=2&c=3&d=4", NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL(parsed.result, -1);
	CU_ASSERT_EQUAL(parsed.response.status, STATUS_VALIDATION_ERROR);
	parsed_free(&parsed);
}

static void request_bad_percent_escape_is_400(void)
{
	const char *bad[] = {"REQUEST_URI=/?a=%zz", "REQUEST_URI=/?a=%4", "REQUEST_URI=/?a=%00"};
	for (size_t i = 0; i < 3; i++) {
		char *envp[] = {"REQUEST_METHOD=GET", (char *)bad[i], NULL};
		struct parsed parsed;
		parse_envp(&parsed, envp, NULL);
		CU_ASSERT_EQUAL(parsed.result, -1);
		CU_ASSERT_EQUAL(parsed.response.status, STATUS_VALIDATION_ERROR);
		parsed_free(&parsed);
	}
}

/* Parameters are text: whatever is not UTF-8 once decoded, in a name or a
 * value, raw or percent-encoded, is refused before anything reads it. */
static void request_query_that_is_not_utf8_is_400(void)
{
	const char *bad[] = {"REQUEST_URI=/?threadId=%FF", "REQUEST_URI=/?thread%9C%9CId=t-9", "REQUEST_URI=/?q=\x9c",
		"REQUEST_URI=/?q=%C0%AF", "REQUEST_URI=/?q=%ED%A0%80", "REQUEST_URI=/?q=%F4%90%80%80",
		"REQUEST_URI=/?q=caf%C3", "REQUEST_URI=/?filters%5Bthread_id%5D=t-%C3%C3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *envp[] = {"REQUEST_METHOD=GET", (char *)bad[i], NULL};
		struct parsed parsed;
		parse_envp(&parsed, envp, NULL);
		CU_ASSERT_EQUAL(parsed.result, -1);
		CU_ASSERT_EQUAL(parsed.response.status, STATUS_VALIDATION_ERROR);
		CU_ASSERT_STRING_EQUAL(parsed.response.message, "Malformed query string");
		parsed_free(&parsed);
	}
	char *good[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/?q=caf%C3%A9+%E6%97%A5%F0%9F%98%80&b=\xc3\xa9", NULL};
	struct parsed parsed;
	parse_envp(&parsed, good, NULL);
	CU_ASSERT_EQUAL_FATAL(parsed.result, 0);
	CU_ASSERT_STRING_EQUAL(request_query(&parsed.request, "q"), "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
	CU_ASSERT_STRING_EQUAL(request_query(&parsed.request, "b"), "\xc3\xa9");
	parsed_free(&parsed);
}

static void request_id_is_echoed_when_plain_and_generated_otherwise(void)
{
	char *plain[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_X_REQUEST_ID=abc-123", NULL};
	struct parsed parsed;
	parse_envp(&parsed, plain, NULL);
	CU_ASSERT_STRING_EQUAL(parsed.request.request_id, "abc-123");
	parsed_free(&parsed);

	char *hostile[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_X_REQUEST_ID=<script>", NULL};
	parse_envp(&parsed, hostile, NULL);
	CU_ASSERT_EQUAL(strlen(parsed.request.request_id), 32);
	CU_ASSERT_EQUAL(strspn(parsed.request.request_id, "0123456789abcdef"), 32);
	parsed_free(&parsed);
}

static void request_unknown_method_is_kept_as_other(void)
{
	char *envp[] = {"REQUEST_METHOD=BREW", "REQUEST_URI=/", NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL(parsed.result, 0);
	CU_ASSERT_EQUAL(parsed.request.method, HTTP_METHOD_OTHER);
	CU_ASSERT_STRING_EQUAL(parsed.request.method_text, "BREW");
	parsed_free(&parsed);
}

/* libfcgi frees the parameters when the answer is finished, and work after
 * the answer still reads the request: nothing of it may point into them. */
static void request_keeps_its_own_copies_of_the_parameters(void)
{
	char method[] = "REQUEST_METHOD=POST", uri[] = "REQUEST_URI=/api/v1/auth/password/forgot?x=1",
	     address[] = "REMOTE_ADDR=203.0.113.9", agent[] = "HTTP_USER_AGENT=curl/8", host[] = "HTTP_HOST=a.example",
	     origin[] = "HTTP_ORIGIN=https://shop.example", key[] = "HTTP_IDEMPOTENCY_KEY=k-1";
	char *envp[] = {method, uri, address, agent, host, origin, key, NULL};
	struct parsed parsed;
	parse_envp(&parsed, envp, NULL);
	CU_ASSERT_EQUAL_FATAL(parsed.result, 0);
	for (char **entry = envp; *entry != NULL; entry++)
		memset(*entry, 'Z', strlen(*entry));
	CU_ASSERT_STRING_EQUAL(parsed.request.path, "/api/v1/auth/password/forgot");
	CU_ASSERT_STRING_EQUAL(parsed.request.remote_addr, "203.0.113.9");
	CU_ASSERT_STRING_EQUAL(parsed.request.user_agent, "curl/8");
	CU_ASSERT_STRING_EQUAL(parsed.request.host, "a.example");
	CU_ASSERT_STRING_EQUAL(parsed.request.origin, "https://shop.example");
	CU_ASSERT_STRING_EQUAL(parsed.request.idempotency_key, "k-1");
	CU_ASSERT_STRING_EQUAL(parsed.request.method_text, "POST");
	parsed_free(&parsed);
}

static const struct unit_test request_tests[] = {
	{"request_splits_path_and_decodes_query", request_splits_path_and_decodes_query},
	{"request_path_over_the_limit_is_414", request_path_over_the_limit_is_414},
	{"request_headers_over_the_limit_are_431", request_headers_over_the_limit_are_431},
	{"request_body_over_the_limit_is_413_without_reading_it", request_body_over_the_limit_is_413_without_reading_it},
	{"request_body_shorter_than_declared_is_400", request_body_shorter_than_declared_is_400},
	{"request_json_body_is_parsed", request_json_body_is_parsed},
	{"request_non_json_body_is_415", request_non_json_body_is_415},
	{"request_chunked_body_without_length_is_read_to_the_end", request_chunked_body_without_length_is_read_to_the_end},
	{"request_chunked_body_over_the_limit_is_413", request_chunked_body_over_the_limit_is_413},
	{"request_without_length_or_transfer_encoding_has_no_body",
		request_without_length_or_transfer_encoding_has_no_body},
	{"request_too_many_query_parameters_is_400", request_too_many_query_parameters_is_400},
	{"request_bad_percent_escape_is_400", request_bad_percent_escape_is_400},
	{"request_query_that_is_not_utf8_is_400", request_query_that_is_not_utf8_is_400},
	{"request_id_is_echoed_when_plain_and_generated_otherwise", request_id_is_echoed_when_plain_and_generated_otherwise},
	{"request_unknown_method_is_kept_as_other", request_unknown_method_is_kept_as_other},
	{"request_keeps_its_own_copies_of_the_parameters", request_keeps_its_own_copies_of_the_parameters},
};

int register_request_suite(void)
{
	return UNIT_SUITE("request", request_tests);
}

/* Envelopes and header block. */
#include "unit_suites.h"
#include "core/json_strict.h"
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

static char *render(const struct response *response)
{
	json_object *holder = NULL;
	size_t length = 0;
	const char *body = response_render_body(response, &holder, &length);
	char *copy = strdup(body);
	CU_ASSERT_EQUAL(strlen(copy), length);
	json_object_put(holder);
	return copy;
}

static void success_envelope_has_success_data_and_message(void)
{
	struct response response;
	response_init(&response);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "x", json_object_new_int(1));
	response_ok(&response, STATUS_OK, data, "Done");
	char *body = render(&response);
	CU_ASSERT_STRING_EQUAL(body, "{\"success\":true,\"data\":{\"x\":1},\"message\":\"Done\"}");
	free(body);
	response_reset(&response);
}

static void list_envelope_carries_pagination(void)
{
	struct response response;
	response_init(&response);
	json_object *pagination = json_object_new_object();
	json_object_object_add(pagination, "page", json_object_new_int(1));
	response_list(&response, json_object_new_array(), pagination, "Listed");
	char *body = render(&response);
	CU_ASSERT_STRING_EQUAL(body, "{\"success\":true,\"data\":[],\"pagination\":{\"page\":1},\"message\":\"Listed\"}");
	free(body);
	response_reset(&response);
}

static void error_envelope_has_code_message_and_details(void)
{
	struct response response;
	response_init(&response);
	response_ok(&response, STATUS_OK, json_object_new_object(), "will be replaced");
	response_error(&response, STATUS_VALIDATION_ERROR, "Email is required");
	response_add_detail(&response, "email", "is required");
	char *body = render(&response);
	CU_ASSERT_STRING_EQUAL(body, "{\"success\":false,\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"Email is "
				     "required\",\"details\":[{\"field\":\"email\",\"issue\":\"is required\"}]}}");
	free(body);
	response_reset(&response);
}

static void every_error_status_has_its_http_code(void)
{
	CU_ASSERT_EQUAL(status_http_code(STATUS_VALIDATION_ERROR), 400);
	CU_ASSERT_EQUAL(status_http_code(STATUS_UNAUTHORIZED), 401);
	CU_ASSERT_EQUAL(status_http_code(STATUS_FORBIDDEN), 403);
	CU_ASSERT_EQUAL(status_http_code(STATUS_NOT_FOUND), 404);
	CU_ASSERT_EQUAL(status_http_code(STATUS_CONFLICT), 409);
	CU_ASSERT_EQUAL(status_http_code(STATUS_UNPROCESSABLE), 422);
	CU_ASSERT_EQUAL(status_http_code(STATUS_RATE_LIMITED), 429);
	CU_ASSERT_EQUAL(status_http_code(STATUS_INTERNAL_ERROR), 500);
	for (int s = STATUS_VALIDATION_ERROR; s < STATUS__MAX; s++) {
		CU_ASSERT_PTR_NOT_NULL(status_error_code((enum status)s));
		CU_ASSERT_TRUE(status_http_code((enum status)s) >= 400);
	}
	CU_ASSERT_EQUAL(status_http_code((enum status)999), 500);
}

static void headers_block_has_status_request_id_and_extras(void)
{
	struct response response;
	response_init(&response);
	response_error(&response, STATUS_METHOD_NOT_ALLOWED, "nope");
	CU_ASSERT_EQUAL(response_add_header(&response, "Allow", "GET, POST"), 0);
	char headers[4096];
	size_t length = response_render_headers(&response, "req-1", 10, headers, sizeof(headers));
	CU_ASSERT_EQUAL(length, strlen(headers));
	CU_ASSERT_EQUAL(strncmp(headers, "Status: 405 Method Not Allowed\r\n", 32), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "X-Request-Id: req-1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Content-Length: 10\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Allow: GET, POST\r\n"));
	CU_ASSERT_EQUAL(strcmp(headers + length - 4, "\r\n\r\n"), 0);
	response_reset(&response);
}

static size_t count_of(const char *text, const char *needle)
{
	size_t count = 0;
	for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
		count++;
	return count;
}

static void unavailable_answers_say_when_to_retry_once(void)
{
	struct response response;
	char headers[4096];
	response_init(&response);
	response_error(&response, STATUS_SERVICE_UNAVAILABLE, "Database unavailable");
	response_render_headers(&response, "req-2", 0, headers, sizeof(headers));
	CU_ASSERT_EQUAL(count_of(headers, "Retry-After: 5\r\n"), 1);
	response_reset(&response);
	/* A handler's own Retry-After wins, and there is only one. */
	response_init(&response);
	response_error(&response, STATUS_SERVICE_UNAVAILABLE, "Try later");
	CU_ASSERT_EQUAL(response_add_header(&response, "Retry-After", "30"), 0);
	response_render_headers(&response, "req-3", 0, headers, sizeof(headers));
	CU_ASSERT_EQUAL(count_of(headers, "Retry-After:"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Retry-After: 30\r\n"));
	response_reset(&response);
	/* Other errors carry none of their own accord. */
	response_init(&response);
	response_error(&response, STATUS_INTERNAL_ERROR, "Internal error");
	response_render_headers(&response, "req-4", 0, headers, sizeof(headers));
	CU_ASSERT_EQUAL(count_of(headers, "Retry-After:"), 0);
	response_reset(&response);
}

static void header_injection_is_refused(void)
{
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL(response_add_header(&response, "X-A", "ok\r\nSet-Cookie: evil"), -1);
	CU_ASSERT_EQUAL(response_add_header(&response, "X-B:", "v"), -1);
	CU_ASSERT_EQUAL(response.extra_headers_length, 0);
	response_reset(&response);
}

/* A detail echoes what the client sent: a query parameter's name may hold
 * any byte after percent-decoding, and a member name cut to fit may end
 * inside a character. The envelope stays UTF-8 JSON all the same. */
static void details_and_messages_stay_utf8_whatever_they_echo(void)
{
	struct response response;
	response_init(&response);
	response_error(&response, STATUS_VALIDATION_ERROR, "Invalid query parameters");
	response_add_detail(&response, "thread\x9c\x9cId", "unknown parameter");
	response_add_detail(&response, "caf\xc3\xa9", "member \"%.5s\" cut", "\xe6\x97\xa5\xe6\x9c\xac");
	response_add_detail(&response, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", "overlong, surrogate, beyond U+10FFFF");
	json_object *holder = NULL;
	size_t length = 0;
	const char *body = response_render_body(&response, &holder, &length);
	CU_ASSERT_EQUAL(json_strict_check(body, length, 8, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"field\":\"thread\xef\xbf\xbd\xef\xbf\xbdId\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"field\":\"caf\xc3\xa9\""));
	/* "%.5s" keeps one character and a half of the second: the half is replaced. */
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"issue\":\"member \\\"\xe6\x97\xa5\xef\xbf\xbd\xef\xbf\xbd\\\" cut\""));
	json_object_put(holder);

	/* A message cut to fit ends between characters. */
	char long_message[400];
	for (size_t i = 0; i + 2 < sizeof(long_message); i += 2)
		memcpy(long_message + i, "\xc3\xa9", 2);
	long_message[sizeof(long_message) - 2] = '\0';
	response_error(&response, STATUS_VALIDATION_ERROR, long_message);
	CU_ASSERT_EQUAL(strlen(response.message), sizeof(response.message) - 2);
	CU_ASSERT_EQUAL(json_strict_utf8_length(response.message + strlen(response.message) - 2, 2), 2);
	response_reset(&response);
}

/* A handler run again starts from what the pipeline had set before it. */
static void rewind_keeps_what_came_before_the_handler(void)
{
	struct response response;
	response_init(&response);
	response_add_header(&response, "X-RateLimit-Limit", "200");
	response_set_envelope_member(&response, "usage", json_object_new_int(7));
	size_t before = response.extra_headers_length;
	response_add_header(&response, "Location", "/api/v1/sales/leads/1");
	response_error(&response, STATUS_CONFLICT, "Concurrent update");
	response_add_detail(&response, "id", "is taken");
	response_rewind(&response, before);
	CU_ASSERT_EQUAL(response.status, STATUS_OK);
	CU_ASSERT_EQUAL(response.extra_headers_length, before);
	CU_ASSERT_PTR_NOT_NULL(strstr(response.extra_headers, "X-RateLimit-Limit: 200"));
	CU_ASSERT_PTR_NULL(strstr(response.extra_headers, "Location"));
	CU_ASSERT_PTR_NULL(response.details);
	response_ok(&response, STATUS_CREATED, json_object_new_object(), "Created");
	char *body = render(&response);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"usage\":7"));
	CU_ASSERT_PTR_NULL(strstr(body, "Concurrent"));
	CU_ASSERT_PTR_NULL(strstr(body, "is taken"));
	free(body);
	response_reset(&response);
}

static const struct unit_test response_tests[] = {
	{"rewind_keeps_what_came_before_the_handler", rewind_keeps_what_came_before_the_handler},
	{"success_envelope_has_success_data_and_message", success_envelope_has_success_data_and_message},
	{"list_envelope_carries_pagination", list_envelope_carries_pagination},
	{"error_envelope_has_code_message_and_details", error_envelope_has_code_message_and_details},
	{"every_error_status_has_its_http_code", every_error_status_has_its_http_code},
	{"headers_block_has_status_request_id_and_extras", headers_block_has_status_request_id_and_extras},
	{"header_injection_is_refused", header_injection_is_refused},
	{"unavailable_answers_say_when_to_retry_once", unavailable_answers_say_when_to_retry_once},
	{"details_and_messages_stay_utf8_whatever_they_echo", details_and_messages_stay_utf8_whatever_they_echo},
};

int register_response_suite(void)
{
	return UNIT_SUITE("response", response_tests);
}

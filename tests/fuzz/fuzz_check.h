/* What the fuzz targets assert alike. A property that fails aborts with the
 * property's text on stderr: libFuzzer then saves the input as a crash, and
 * make check's replay (fuzz_replay.c) fails. Header-only, so a target is one
 * .c file plus this. */
#ifndef INTUKA_TESTS_FUZZ_CHECK_H
#define INTUKA_TESTS_FUZZ_CHECK_H

#include "core/json_strict.h"
#include "core/status.h"
#include "http/response.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(condition) fuzz_require((condition) ? 1 : 0, #condition, __FILE__, __LINE__)

static inline void fuzz_require(int holds, const char *property, const char *file, int line)
{
	if (holds)
		return;
	fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, property);
	abort();
}

/* A copy of exactly size bytes (at least one allocated), so AddressSanitizer
 * sees a read one past the input. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *copy = malloc(size == 0 ? 1 : size);
	FUZZ_REQUIRE(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	return copy;
}

/* The same bytes with a NUL after them, for APIs that take C strings. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	FUZZ_REQUIRE(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

/* 1 when json is a string member of object holding non-empty text. */
static inline int fuzz_member_is_text(json_object *object, const char *name)
{
	json_object *value = NULL;
	return json_object_object_get_ex(object, name, &value) && json_object_is_type(value, json_type_string) &&
		json_object_get_string_len(value) > 0;
}

/* A refusal as the client receives it: a 4xx status, an envelope that is
 * strict JSON (so valid UTF-8, whatever the input echoed) with success
 * false, the status's error code, a message, and details that are
 * {field, issue} strings; and a header block that ends in an empty line. */
static inline void fuzz_require_refusal(const struct response *response)
{
	int http_code = status_http_code(response->status);
	FUZZ_REQUIRE(http_code >= 400 && http_code < 500);
	FUZZ_REQUIRE(response->message[0] != '\0');

	json_object *holder = NULL;
	size_t length = 0;
	const char *body = response_render_body(response, &holder, &length);
	FUZZ_REQUIRE(body != NULL && length > 0);
	struct json_strict_fault fault;
	if (json_strict_check(body, length, 8, &fault) != 0) {
		fprintf(stderr, "envelope refused at byte %zu (%s): %.*s\n", fault.offset, fault.reason, (int)length, body);
		FUZZ_REQUIRE(!"the envelope of a refusal is strict JSON");
	}
	json_object *success = NULL, *error = NULL, *code = NULL, *details = NULL;
	FUZZ_REQUIRE(json_object_object_get_ex(holder, "success", &success) && !json_object_get_boolean(success));
	FUZZ_REQUIRE(json_object_object_get_ex(holder, "error", &error));
	FUZZ_REQUIRE(json_object_object_get_ex(error, "code", &code) &&
		strcmp(json_object_get_string(code), status_error_code(response->status)) == 0);
	FUZZ_REQUIRE(fuzz_member_is_text(error, "message"));
	FUZZ_REQUIRE(json_object_object_get_ex(error, "details", &details) &&
		json_object_is_type(details, json_type_array));
	for (size_t i = 0; i < json_object_array_length(details); i++) {
		json_object *detail = json_object_array_get_idx(details, i);
		json_object *field = NULL;
		FUZZ_REQUIRE(json_object_object_get_ex(detail, "field", &field) &&
			json_object_is_type(field, json_type_string));
		FUZZ_REQUIRE(fuzz_member_is_text(detail, "issue"));
	}

	char headers[4096];
	size_t header_length = response_render_headers(response, "fuzz", length, headers, sizeof(headers));
	FUZZ_REQUIRE(header_length > 4 && header_length < sizeof(headers) - 1);
	FUZZ_REQUIRE(memcmp(headers + header_length - 4, "\r\n\r\n", 4) == 0);
	json_object_put(holder);
}

#endif

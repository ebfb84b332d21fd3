/* Body parsing: strictness, depth limit, trailing data, UTF-8, and the
 * detail a refusal carries (the recogniser itself: test_json_strict.c). */
#include "unit_suites.h"
#include "http/json_body.h"
#include "http/response.h"

#include <string.h>

static int parse(const char *text, size_t length, int depth, enum status *status_out)
{
	struct response response;
	response_init(&response);
	json_object *tree = NULL;
	int result = json_body_parse(text, length, depth, &tree, &response);
	*status_out = response.status;
	/* a refusal always explains itself */
	if (result != 0)
		CU_ASSERT_TRUE(response.details != NULL && json_object_array_length(response.details) > 0);
	json_object_put(tree);
	response_reset(&response);
	return result;
}

static void json_accepts_an_object_with_surrounding_whitespace(void)
{
	enum status status;
	const char *text = "  {\"a\": [1, 2, {\"b\": null}]}\n";
	CU_ASSERT_EQUAL(parse(text, strlen(text), 32, &status), 0);
	CU_ASSERT_EQUAL(status, STATUS_OK);
}

static void json_refuses_truncated_input(void)
{
	enum status status;
	CU_ASSERT_EQUAL(parse("{\"a\":", 5, 32, &status), -1);
	CU_ASSERT_EQUAL(status, STATUS_VALIDATION_ERROR);
}

static void json_refuses_trailing_garbage(void)
{
	enum status status;
	CU_ASSERT_EQUAL(parse("{} x", 4, 32, &status), -1);
	CU_ASSERT_EQUAL(status, STATUS_VALIDATION_ERROR);
	CU_ASSERT_EQUAL(parse("{}{}", 4, 32, &status), -1);
}

static void json_refuses_lenient_syntax(void)
{
	enum status status;
	CU_ASSERT_EQUAL(parse("{'a':1}", 7, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("{\"a\":1,}", 8, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("[1,2,]", 6, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("[NaN]", 5, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("[-Infinity]", 11, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("[1.]", 4, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("/*c*/[1]", 8, 32, &status), -1);
	/* the same characters inside strings are fine, and so are exponents */
	const char *inside = "[\"it's NaN. \\\" Infinity\", 1.5e3, -2E-2, true, false, null]";
	CU_ASSERT_EQUAL(parse(inside, strlen(inside), 32, &status), 0);
}

static void json_depth_limit_is_exact(void)
{
	char text[200];
	enum status status;
	for (int depth = 1; depth <= 40; depth++) {
		memset(text, '[', (size_t)depth);
		memset(text + depth, ']', (size_t)depth);
		int result = parse(text, (size_t)depth * 2, 32, &status);
		CU_ASSERT_EQUAL(result, depth <= 32 ? 0 : -1);
	}
}

static void json_depth_counts_containers_not_the_scalar_inside(void)
{
	char text[200];
	enum status status;
	/* 32 arrays around a number are 32 levels; 33 are too many. */
	for (int depth = 31; depth <= 33; depth++) {
		memset(text, '[', (size_t)depth);
		text[depth] = '7';
		memset(text + depth + 1, ']', (size_t)depth);
		CU_ASSERT_EQUAL(parse(text, (size_t)depth * 2 + 1, 32, &status), depth <= 32 ? 0 : -1);
	}
	const char *brackets_in_strings = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]";
	CU_ASSERT_EQUAL(parse(brackets_in_strings, strlen(brackets_in_strings), 32, &status), 0);
}

static void json_refuses_raw_nul_escaped_nul_and_invalid_utf8(void)
{
	enum status status;
	CU_ASSERT_EQUAL(parse("\"a\0b\"", 5, 32, &status), -1);
	CU_ASSERT_EQUAL(parse("\"\xff\xfe\"", 4, 32, &status), -1);
	CU_ASSERT_EQUAL(status, STATUS_VALIDATION_ERROR);
	/* what we read becomes C strings, which an escaped NUL would cut short */
	const char *escaped_nul = "\"a\\u0000b\"";
	CU_ASSERT_EQUAL(parse(escaped_nul, strlen(escaped_nul), 32, &status), -1);
	CU_ASSERT_EQUAL(status, STATUS_VALIDATION_ERROR);
	const char *utf8 = "\"h\xc3\xa9llo\"";
	CU_ASSERT_EQUAL(parse(utf8, strlen(utf8), 32, &status), 0);
}

/* The one detail names the byte and the fault, never the client's text at length. */
static void json_refusal_detail_names_the_byte_and_the_fault(void)
{
	static const struct {
		const char *body;
		const char *issue;
	} cases[] = {
		{"{\"lastName\":\"a\",\"lastName\":\"b\"}", "byte 16: duplicate member \"lastName\""},
		{"{\"a\":\"\xc0\xaf\"}", "byte 6: overlong UTF-8"},
		{"{\"n\":9223372036854775808}", "byte 5: integer outside the signed 64-bit range"},
		{"[[[[", "byte 3: nesting deeper than 3 levels"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct response response;
		response_init(&response);
		json_object *tree = NULL;
		CU_ASSERT_EQUAL(json_body_parse(cases[i].body, strlen(cases[i].body), 3, &tree, &response), -1);
		CU_ASSERT_PTR_NULL(tree);
		CU_ASSERT_EQUAL(response.status, STATUS_VALIDATION_ERROR);
		CU_ASSERT_STRING_EQUAL(response.message, "Malformed JSON body");
		CU_ASSERT_EQUAL_FATAL(response.details != NULL ? json_object_array_length(response.details) : 0, 1);
		json_object *detail = json_object_array_get_idx(response.details, 0), *field = NULL, *issue = NULL;
		CU_ASSERT(json_object_object_get_ex(detail, "field", &field) &&
			strcmp(json_object_get_string(field), "body") == 0);
		CU_ASSERT(json_object_object_get_ex(detail, "issue", &issue));
		CU_ASSERT_STRING_EQUAL(json_object_get_string(issue), cases[i].issue);
		response_reset(&response);
	}
}

static const struct unit_test json_body_tests[] = {
	{"json_accepts_an_object_with_surrounding_whitespace", json_accepts_an_object_with_surrounding_whitespace},
	{"json_refuses_truncated_input", json_refuses_truncated_input},
	{"json_refuses_trailing_garbage", json_refuses_trailing_garbage},
	{"json_refuses_lenient_syntax", json_refuses_lenient_syntax},
	{"json_depth_limit_is_exact", json_depth_limit_is_exact},
	{"json_depth_counts_containers_not_the_scalar_inside", json_depth_counts_containers_not_the_scalar_inside},
	{"json_refuses_raw_nul_escaped_nul_and_invalid_utf8", json_refuses_raw_nul_escaped_nul_and_invalid_utf8},
	{"json_refusal_detail_names_the_byte_and_the_fault", json_refusal_detail_names_the_byte_and_the_fault},
};

int register_json_body_suite(void)
{
	return UNIT_SUITE("json_body", json_body_tests);
}

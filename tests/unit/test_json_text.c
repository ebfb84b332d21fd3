/* JSON text written by hand reads as json-c writes it (the envelope is
 * json-c's, with NOSLASHESCAPE): every string of a set with quotes,
 * backslashes, control characters, slashes and multi-byte UTF-8. */
#include "unit_suites.h"
#include "core/json_text.h"

#include <json-c/json.h>
#include <string.h>

static void strings_are_escaped_as_json_c_escapes_them(void)
{
	static const char *const samples[] = {
		"", "plain", "quote \" and backslash \\", "slash / stays", "tab\tnew\nline\rform\fback\b",
		"\x01\x02\x1f control", "\x7f delete", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "</script>",
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct json_text text;
		json_text_init(&text);
		json_text_string(&text, samples[i]);
		json_object *string = json_object_new_string(samples[i]);
		const char *expected = json_object_to_json_string_ext(string, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (strcmp(text.bytes, expected) != 0)
			fprintf(stderr, "sample %zu: %s vs json-c %s\n", i, text.bytes, expected);
		CU_ASSERT_STRING_EQUAL(text.bytes, expected);
		json_object_put(string);
		json_text_release(&text);
	}
}

static void objects_and_numbers_parse_back(void)
{
	struct json_text text;
	json_text_init(&text);
	json_text_char(&text, '{');
	json_text_member(&text, "id", 1);
	json_text_int64(&text, -9223372036854775807LL - 1);
	json_text_member(&text, "name", 0);
	json_text_string(&text, "A\nB");
	json_text_member(&text, "numbers", 0);
	json_text_raw(&text, "[", 1);
	json_text_int64(&text, 0);
	json_text_raw(&text, ",", 1);
	json_text_int64(&text, 9223372036854775807LL);
	json_text_raw(&text, ",", 1);
	json_text_int64(&text, -42);
	json_text_raw(&text, "]", 1);
	json_text_char(&text, '}');
	size_t length = 0;
	char *bytes = json_text_take(&text, &length);
	CU_ASSERT_EQUAL(length, strlen(bytes));
	json_object *parsed = json_tokener_parse(bytes);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
	json_object *value = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "id", &value) && json_object_get_int64(value) == INT64_MIN);
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "name", &value) && strcmp(json_object_get_string(value), "A\nB") == 0);
	CU_ASSERT_TRUE(strstr(bytes, "\"numbers\":[0,9223372036854775807,-42]") != NULL);
	json_object_put(parsed);
	free(bytes);
}

int register_json_text_suite(void)
{
	static const struct unit_test tests[] = {
		{"strings_are_escaped_as_json_c_escapes_them", strings_are_escaped_as_json_c_escapes_them},
		{"objects_and_numbers_parse_back", objects_and_numbers_parse_back},
	};
	return UNIT_SUITE("json_text", tests);
}

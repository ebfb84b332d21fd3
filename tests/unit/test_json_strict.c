/* The strict JSON recogniser: a vector for every refusal (with the byte it
 * must name) and for the valid edge cases next to each, json_strict_parse()
 * over the same texts, and the fuzz target replayed on all of them. */
#include "unit_suites.h"
#include "core/json_strict.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEFAULT_DEPTH 32

struct strict_vector {
	const char *name;
	const char *text;
	size_t length; /* literals may hold NUL bytes, so never strlen */
	int max_depth;
	enum json_strict_fault_kind kind; /* NONE: accepted */
	size_t offset;
	const char *reason_part; /* the reason contains this, or NULL */
};

#define ACCEPT(name_, literal) \
	{.name = name_, .text = literal, .length = sizeof(literal) - 1, .max_depth = DEFAULT_DEPTH}
#define REFUSE(name_, literal, kind_, offset_, reason_) \
	{.name = name_, \
		.text = literal, \
		.length = sizeof(literal) - 1, \
		.max_depth = DEFAULT_DEPTH, \
		.kind = JSON_STRICT_FAULT_##kind_, \
		.offset = offset_, \
		.reason_part = reason_}

static const struct strict_vector strict_vectors[] = {
	/* Duplicate member names, at any depth, compared after unescaping; the
	 * offset is the opening quote of the first repeat. */
	REFUSE("duplicate at the top", "{\"lastName\":\"a\",\"lastName\":\"b\"}", DUPLICATE_MEMBER, 16,
		"duplicate member \"lastName\""),
	REFUSE("duplicate in a nested object", "{\"a\":{\"b\":1,\"b\":2}}", DUPLICATE_MEMBER, 12,
		"duplicate member \"b\""),
	REFUSE("duplicate in the second object of an array", "[{\"x\":1},{\"x\":1,\"x\":2}]", DUPLICATE_MEMBER, 16,
		"\"x\""),
	REFUSE("duplicate spelled with escapes", "{\"al\":1,\"a\\u006c\":2}", DUPLICATE_MEMBER, 8,
		"duplicate member \"al\""),
	REFUSE("duplicate spelled as UTF-8 and as an escape", "{\"\\u00e9\":1,\"\xc3\xa9\":2}", DUPLICATE_MEMBER,
		12, "duplicate member name"),
	REFUSE("duplicate spelled with a surrogate pair", "{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}",
		DUPLICATE_MEMBER, 10, "duplicate member name"),
	REFUSE("three of a name: the second is reported", "{\"k\":1,\"k\":2,\"k\":3}", DUPLICATE_MEMBER, 7, "\"k\""),
	REFUSE("inner duplicate earlier than an outer one", "{\"a\":1,\"b\":{\"c\":1,\"c\":2},\"a\":2}",
		DUPLICATE_MEMBER, 18, "\"c\""),
	REFUSE("outer duplicate earlier than an inner one", "{\"a\":1,\"a\":{\"c\":1,\"c\":2}}", DUPLICATE_MEMBER, 7,
		"\"a\""),
	REFUSE("duplicate before a trailing comma", "{\"a\":1,\"a\":2,}", DUPLICATE_MEMBER, 7, "\"a\""),
	REFUSE("duplicate in an object left open", "{\"a\":1,\"a\":2", DUPLICATE_MEMBER, 7, "\"a\""),
	REFUSE("duplicate empty names", "{\"\":1,\"\":2}", DUPLICATE_MEMBER, 6, "duplicate member \"\""),
	REFUSE("a name with a quote is not echoed", "{\"a\\\"b\":1,\"a\\\"b\":2}", DUPLICATE_MEMBER, 10,
		"duplicate member name"),
	ACCEPT("the same name in sibling objects", "[{\"x\":1},{\"x\":2}]"),
	ACCEPT("the same name at two depths", "{\"a\":{\"a\":{\"a\":1}}}"),
	ACCEPT("names that differ only in case", "{\"a\":1,\"A\":2}"),
	ACCEPT("a name that is a prefix of another", "{\"ab\":1,\"a\":2,\"abc\":3}"),

	/* Integers: int64 exactly. */
	ACCEPT("INT64_MAX", "9223372036854775807"),
	ACCEPT("INT64_MIN", "-9223372036854775808"),
	ACCEPT("minus zero", "-0"),
	REFUSE("INT64_MAX + 1", "9223372036854775808", NUMBER_RANGE, 0, "64-bit"),
	REFUSE("INT64_MIN - 1", "-9223372036854775809", NUMBER_RANGE, 0, "64-bit"),
	REFUSE("UINT64_MAX in an array", "[1,18446744073709551615]", NUMBER_RANGE, 3, "64-bit"),
	REFUSE("twenty nines as a member", "{\"n\":99999999999999999999}", NUMBER_RANGE, 5, "64-bit"),
	/* Numbers with a fraction or exponent are doubles: refused only when
	 * they overflow to infinity. */
	ACCEPT("DBL_MAX", "1.7976931348623157e308"),
	ACCEPT("-DBL_MAX", "-1.7976931348623157e308"),
	ACCEPT("1e308", "[1e308,1E+308,-1e308]"),
	ACCEPT("a double beyond int64", "123456789012345678901234567890.5"),
	ACCEPT("an integer-valued double beyond int64", "1e19"),
	ACCEPT("underflow to zero", "[1e-400,-1e-400,4.9e-324]"),
	ACCEPT("exponent forms", "[0e0,0.0,-0.0e-0,1E2,1e+2,1e-2,2.5E-3]"),
	REFUSE("1e309", "1e309", NUMBER_RANGE, 0, "double"),
	REFUSE("-1e400 in an array", "[0.5,-1e400]", NUMBER_RANGE, 5, "double"),
	REFUSE("DBL_MAX rounded up", "1.7976931348623159e308", NUMBER_RANGE, 0, "double"),

	/* UTF-8: RFC 3629 only. */
	REFUSE("overlong C0 AF", "\"\xc0\xaf\"", STRING, 1, "overlong"),
	REFUSE("overlong C1 BF", "\"\xc1\xbf\"", STRING, 1, "overlong"),
	REFUSE("overlong three bytes E0 80 AF", "\"\xe0\x80\xaf\"", STRING, 1, "overlong"),
	REFUSE("overlong four bytes F0 80 80 AF", "\"\xf0\x80\x80\xaf\"", STRING, 1, "overlong"),
	REFUSE("above U+10FFFF: F4 90 80 80", "\"\xf4\x90\x80\x80\"", STRING, 1, "U+10FFFF"),
	REFUSE("lead byte F5", "\"\xf5\x80\x80\x80\"", STRING, 1, "U+10FFFF"),
	REFUSE("lead byte FF", "\"\xff\"", STRING, 1, NULL),
	REFUSE("CESU-8 high surrogate ED A0 80", "\"\xed\xa0\x80\"", STRING, 1, "surrogate"),
	REFUSE("CESU-8 low surrogate ED B0 80", "\"\xed\xb0\x80\"", STRING, 1, "surrogate"),
	REFUSE("CESU-8 pair for U+1F600", "\"\xed\xa0\xbd\xed\xb8\x80\"", STRING, 1, "surrogate"),
	REFUSE("truncated before the closing quote", "\"ab\xe2\x82\"", STRING, 3, "truncated"),
	REFUSE("truncated at the end of the text", "\"\xf0\x9f\x98", STRING, 1, "truncated"),
	REFUSE("stray continuation byte", "\"a\x80\"", STRING, 2, "continuation"),
	REFUSE("invalid UTF-8 in a member name", "{\"\xc0\xaf\":1}", STRING, 2, "overlong"),
	REFUSE("invalid UTF-8 outside strings", "[\xc3\xa9]", SYNTAX, 1, "0xC3"),
	ACCEPT("every valid UTF-8 length at its edges",
		"[\"\x7f\",\"\xc2\x80\",\"\xdf\xbf\",\"\xe0\xa0\x80\",\"\xed\x9f\xbf\",\"\xee\x80\x80\","
		"\"\xef\xbf\xbf\","
		"\"\xf0\x90\x80\x80\",\"\xf4\x8f\xbf\xbf\"]"),

	/* Escapes. */
	REFUSE("lone high surrogate", "\"\\ud800\"", STRING, 1, "\\uD800"),
	REFUSE("high surrogate then a letter", "\"\\ud800x\"", STRING, 1, "unpaired"),
	REFUSE("high surrogate then a non-surrogate escape", "\"\\ud800\\u0041\"", STRING, 1, "unpaired"),
	REFUSE("two high surrogates", "\"\\ud800\\ud800\"", STRING, 1, "unpaired"),
	REFUSE("lone low surrogate", "\"\\udc00\"", STRING, 1, "\\uDC00"),
	REFUSE("high surrogate at the end of the text", "\"\\udbff", STRING, 1, "unpaired"),
	REFUSE("escaped NUL", "\"a\\u0000b\"", STRING, 2, "\\u0000"),
	REFUSE("escaped NUL in a member name", "{\"a\\u0000\":1}", STRING, 3, "\\u0000"),
	REFUSE("unknown escape \\x", "\"\\x41\"", STRING, 1, "\\x"),
	REFUSE("escaped single quote", "\"\\'\"", STRING, 1, "unknown escape"),
	REFUSE("short \\u", "\"\\u12\"", STRING, 1, "four hex digits"),
	REFUSE("\\u with a non-hex digit", "\"\\u12G4\"", STRING, 1, "four hex digits"),
	ACCEPT("a surrogate pair", "\"\\ud83d\\ude00\""),
	ACCEPT("U+10FFFF as a pair", "\"\\uDBFF\\uDFFF\""),
	ACCEPT("every simple escape", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	ACCEPT("escaped control characters", "\"\\u0001\\u001f\\u007f\""),

	/* Raw control characters inside strings. */
	REFUSE("raw TAB", "\"a\tb\"", STRING, 2, "U+0009"),
	REFUSE("raw 0x01", "\"\x01\"", STRING, 1, "U+0001"),
	REFUSE("raw LF", "{\"a\":\"x\ny\"}", STRING, 7, "U+000A"),
	REFUSE("raw 0x1F", "\"\x1f\"", STRING, 1, "U+001F"),
	REFUSE("raw NUL in a string", "\"a\0b\"", STRING, 2, "U+0000"),
	REFUSE("raw NUL outside strings", "[1,\0]", SYNTAX, 3, "0x00"),

	/* Nesting. */
	REFUSE("objects one level too deep", "{\"a\":{\"b\":{}}}", DEPTH, 10, "deeper than 2"),
	ACCEPT("a scalar inside the deepest container is no extra level", "[[7]]"),

	/* Trailing data and truncation. */
	REFUSE("a word after the value", "{} x", SYNTAX, 3, "after the JSON value"),
	REFUSE("a second object", "{}{}", SYNTAX, 2, "after the JSON value"),
	REFUSE("a second number", "1 2", SYNTAX, 2, "after the JSON value"),
	REFUSE("an extra bracket", "[1]]", SYNTAX, 3, "after the JSON value"),
	REFUSE("two strings", "\"a\"\"b\"", SYNTAX, 3, "after the JSON value"),
	REFUSE("a hex number", "0x10", SYNTAX, 1, "after the JSON value"),
	REFUSE("a form feed is not JSON space", "\f{}", SYNTAX, 0, NULL),
	REFUSE("a no-break space is not JSON space", "\xc2\xa0{}", SYNTAX, 0, NULL),
	REFUSE("truncated object", "{\"a\":1", SYNTAX, 6, "end of input"),
	REFUSE("truncated after a colon", "{\"a\":", SYNTAX, 5, "end of input"),
	REFUSE("unterminated string", "\"abc", SYNTAX, 4, "unterminated"),
	REFUSE("an open bracket", "[", SYNTAX, 1, "end of input"),
	REFUSE("empty text", "", SYNTAX, 0, "empty"),
	REFUSE("only whitespace", " \t\r\n", SYNTAX, 4, "empty"),
	ACCEPT("whitespace everywhere it may be", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" :{ } }\n\r\t "),

	/* json-c leniencies, each named. */
	REFUSE("single-quoted name", "{'a':1}", SYNTAX, 1, "single quotes"),
	REFUSE("single-quoted value", "['a']", SYNTAX, 1, "single quotes"),
	REFUSE("single-quoted name after a comma", "{\"a\":1,'b':2}", SYNTAX, 7, "single quotes"),
	REFUSE("NaN", "[NaN]", SYNTAX, 1, "NaN"),
	REFUSE("nan", "[nan]", SYNTAX, 1, "NaN"),
	REFUSE("Infinity", "[Infinity]", SYNTAX, 1, "Infinity"),
	REFUSE("-Infinity", "[-Infinity]", SYNTAX, 1, "Infinity"),
	REFUSE("block comment first", "/*c*/[1]", SYNTAX, 0, "comments"),
	REFUSE("block comment inside", "[1,/*c*/2]", SYNTAX, 3, "comments"),
	REFUSE("line comment after the value", "[1]//c", SYNTAX, 3, NULL),
	REFUSE("hash comment", "# c\n{}", SYNTAX, 0, "comments"),
	REFUSE("1.", "[1.]", SYNTAX, 3, "decimal point"),
	REFUSE("1. at the end", "1.", SYNTAX, 2, "decimal point"),
	REFUSE(".5", "[.5]", SYNTAX, 1, "decimal point"),
	REFUSE("1.e5", "1.e5", SYNTAX, 2, "decimal point"),
	REFUSE("leading zero", "[01]", SYNTAX, 1, "leading zeros"),
	REFUSE("negative leading zero", "[-01]", SYNTAX, 1, "leading zeros"),
	REFUSE("double zero", "00", SYNTAX, 0, "leading zeros"),
	REFUSE("plus sign", "[+1]", SYNTAX, 1, "'+'"),
	REFUSE("exponent without digits", "[1e]", SYNTAX, 3, "exponent"),
	REFUSE("signed exponent without digits", "[1e+]", SYNTAX, 4, "exponent"),
	REFUSE("a lone minus", "[-]", SYNTAX, 2, "digit"),
	REFUSE("trailing comma in an array", "[1,]", SYNTAX, 3, "trailing comma"),
	REFUSE("trailing comma in an object", "{\"a\":1,}", SYNTAX, 7, "trailing comma"),
	REFUSE("leading comma", "[,1]", SYNTAX, 1, "','"),
	REFUSE("missing comma", "[1 2]", SYNTAX, 3, "',' or ']'"),
	REFUSE("missing colon", "{\"a\" 1}", SYNTAX, 5, "':'"),
	REFUSE("unquoted name", "{a:1}", SYNTAX, 1, "member name"),
	REFUSE("missing comma between members", "{\"a\":1 \"b\":2}", SYNTAX, 7, "',' or '}'"),
	REFUSE("True", "[True]", SYNTAX, 1, "lower-case"),
	REFUSE("NULL", "[NULL]", SYNTAX, 1, "lower-case"),
	REFUSE("a truncated literal", "[nul]", SYNTAX, 1, "null"),
	REFUSE("a literal run on", "[truex]", SYNTAX, 5, "',' or ']'"),
	REFUSE("a byte-order mark", "\xef\xbb\xbf{}", SYNTAX, 0, "byte-order mark"),
	REFUSE("an undefined value", "[undefined]", SYNTAX, 1, "'u'"),
	/* The first object of the text ending before any name was stored (the
	 * fuzz target found this path undefined; replayed under UBSan by
	 * tests/fuzz/run.sh, with these texts in its corpus). */
	REFUSE("an object ending before its first name", "{\x1ctext\":\"\"\"lit", SYNTAX, 1, "member name"),
	REFUSE("an object ending at its first byte", "{", SYNTAX, 1, NULL),

	/* Small valid texts. */
	ACCEPT("empty object", "{}"),
	ACCEPT("an empty object first, then one with members", "[{},{\"a\":{}}]"),
	ACCEPT("empty array", "[]"),
	ACCEPT("empty containers inside", "{\"a\":[],\"b\":{},\"c\":[{}],\"d\":\"\"}"),
	ACCEPT("top-level scalars: string", "\"x\""),
	ACCEPT("top-level scalars: number", "0"),
	ACCEPT("top-level scalars: true", "true"),
	ACCEPT("top-level scalars: false", "false"),
	ACCEPT("top-level scalars: null", "null"),
	ACCEPT("what json-c's strict mode took as a sign of trouble, inside a string",
		"[\"it's NaN. \\\" Infinity // /* 1. 01\"]"),
};

#define STRICT_VECTOR_COUNT (sizeof(strict_vectors) / sizeof(strict_vectors[0]))

static int reason_is_short_printable(const char *reason)
{
	size_t length = strnlen(reason, JSON_STRICT_REASON_MAX);
	if (length == 0 || length >= JSON_STRICT_REASON_MAX)
		return 0;
	for (size_t i = 0; i < length; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			return 0;
	return 1;
}

static void report(int ok, const char *name, const char *format, ...) __attribute__((format(printf, 3, 4)));

static void report(int ok, const char *name, const char *format, ...)
{
	char message[512];
	int used = snprintf(message, sizeof(message), "vector \"%s\": ", name);
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(message + used, sizeof(message) - (size_t)used, format, arguments);
	va_end(arguments);
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, __LINE__, message, __FILE__, "", CU_FALSE);
}

/* A private copy of exactly length bytes: nothing after it to read by mistake. */
static char *exact_copy(const char *text, size_t length)
{
	char *copy = malloc(length == 0 ? 1 : length);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, text, length);
	return copy;
}

static void json_strict_each_vector_gets_its_verdict_offset_and_reason(void)
{
	CU_ASSERT(STRICT_VECTOR_COUNT >= 100);
	for (size_t i = 0; i < STRICT_VECTOR_COUNT; i++) {
		const struct strict_vector *vector = &strict_vectors[i];
		char *text = exact_copy(vector->text, vector->length);
		struct json_strict_fault fault;
		memset(&fault, 0xa5, sizeof(fault));
		int max_depth = vector->kind == JSON_STRICT_FAULT_DEPTH ? 2 : vector->max_depth;
		int result = json_strict_check(text, vector->length, max_depth, &fault);
		if (vector->kind == JSON_STRICT_FAULT_NONE) {
			report(result == 0 && fault.kind == JSON_STRICT_FAULT_NONE, vector->name,
				"expected acceptance, got %s at byte %zu: %.80s",
				json_strict_fault_kind_text(fault.kind), fault.offset, result == 0 ? "" : fault.reason);
		} else {
			report(result == -1 && fault.kind == vector->kind && fault.offset == vector->offset,
				vector->name, "expected %s at byte %zu, got %s at byte %zu (%.80s)",
				json_strict_fault_kind_text(vector->kind), vector->offset,
				result == 0 ? "acceptance" : json_strict_fault_kind_text(fault.kind), fault.offset,
				result == 0 ? "" : fault.reason);
			report(reason_is_short_printable(fault.reason), vector->name,
				"the reason must be short printable ASCII");
			if (vector->reason_part != NULL)
				report(strstr(fault.reason, vector->reason_part) != NULL, vector->name,
					"reason \"%.80s\" should contain \"%s\"", fault.reason, vector->reason_part);
		}
		free(text);
	}
}

static void json_strict_parse_agrees_with_check_on_every_vector(void)
{
	for (size_t i = 0; i < STRICT_VECTOR_COUNT; i++) {
		const struct strict_vector *vector = &strict_vectors[i];
		char *text = exact_copy(vector->text, vector->length);
		int max_depth = vector->kind == JSON_STRICT_FAULT_DEPTH ? 2 : vector->max_depth;
		json_object *tree = (json_object *)&tree; /* must be overwritten */
		struct json_strict_fault fault;
		int result = json_strict_parse(text, vector->length, max_depth, &tree, &fault);
		if (vector->kind == JSON_STRICT_FAULT_NONE) {
			int is_null = vector->length == 4 && memcmp(vector->text, "null", 4) == 0;
			report(result == 0 && (tree != NULL || is_null), vector->name,
				"json_strict_parse should build a tree");
		} else {
			report(result == -1 && tree == NULL && fault.kind == vector->kind &&
					fault.offset == vector->offset,
				vector->name, "json_strict_parse should refuse like json_strict_check");
		}
		if (result == 0)
			json_object_put(tree);
		free(text);
	}
}

static void json_strict_fuzz_target_holds_on_every_vector(void)
{
	for (size_t i = 0; i < STRICT_VECTOR_COUNT; i++) {
		/* The first byte picks the depth limit inside the target. */
		const struct strict_vector *vector = &strict_vectors[i];
		CU_ASSERT_EQUAL(LLVMFuzzerTestOneInput((const uint8_t *)vector->text, vector->length), 0);
	}
	CU_ASSERT_EQUAL(LLVMFuzzerTestOneInput((const uint8_t *)"", 0), 0);
}

/* ---- generated texts ----------------------------------------------------- */

static char *nested_arrays(int depth, size_t *length)
{
	char *text = malloc((size_t)depth * 2 + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, '[', (size_t)depth);
	text[depth] = '7';
	memset(text + depth + 1, ']', (size_t)depth);
	*length = (size_t)depth * 2 + 1;
	return text;
}

/* {"a":{"a":...{}...}} with depth objects. */
static char *nested_objects(int depth, size_t *length)
{
	char *text = malloc((size_t)depth * 6 + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	size_t used = 0;
	for (int i = 0; i < depth - 1; i++) {
		memcpy(text + used, "{\"a\":", 5);
		used += 5;
	}
	memcpy(text + used, "{}", 2);
	used += 2;
	memset(text + used, '}', (size_t)depth - 1);
	*length = used + (size_t)depth - 1;
	return text;
}

static void json_strict_depth_limit_is_exact_and_counts_containers_only(void)
{
	for (int depth = 1; depth <= 40; depth++) {
		size_t length;
		char *arrays = nested_arrays(depth, &length);
		struct json_strict_fault fault;
		int result = json_strict_check(arrays, length, 32, &fault);
		CU_ASSERT_EQUAL(result, depth <= 32 ? 0 : -1);
		if (depth > 32) {
			CU_ASSERT_EQUAL(fault.kind, JSON_STRICT_FAULT_DEPTH);
			CU_ASSERT_EQUAL(fault.offset, 32); /* the 33rd bracket */
			CU_ASSERT_STRING_EQUAL(fault.reason, "nesting deeper than 32 levels");
		}
		json_object *tree = NULL;
		CU_ASSERT_EQUAL(json_strict_parse(arrays, length, 32, &tree, NULL), depth <= 32 ? 0 : -1);
		json_object_put(tree);
		free(arrays);

		char *objects = nested_objects(depth, &length);
		CU_ASSERT_EQUAL(json_strict_check(objects, length, 32, NULL), depth <= 32 ? 0 : -1);
		CU_ASSERT_EQUAL(json_strict_parse(objects, length, 32, &tree, NULL), depth <= 32 ? 0 : -1);
		json_object_put(tree);
		free(objects);
	}
	/* 0 allows a scalar only; negative counts as 0. */
	CU_ASSERT_EQUAL(json_strict_check("1", 1, 0, NULL), 0);
	CU_ASSERT_EQUAL(json_strict_check("[]", 2, 0, NULL), -1);
	CU_ASSERT_EQUAL(json_strict_check("[]", 2, -3, NULL), -1);
	CU_ASSERT_EQUAL(json_strict_check("[]", 2, 1, NULL), 0);
}

static void json_strict_depth_is_clamped_to_its_maximum(void)
{
	size_t length;
	char *at_maximum = nested_arrays(JSON_STRICT_DEPTH_MAX, &length);
	CU_ASSERT_EQUAL(json_strict_check(at_maximum, length, 5000, NULL), 0);
	json_object *tree = NULL;
	CU_ASSERT_EQUAL(json_strict_parse(at_maximum, length, 5000, &tree, NULL), 0);
	json_object_put(tree);
	free(at_maximum);
	char *beyond = nested_arrays(JSON_STRICT_DEPTH_MAX + 1, &length);
	struct json_strict_fault fault;
	CU_ASSERT_EQUAL(json_strict_check(beyond, length, 5000, &fault), -1);
	CU_ASSERT_EQUAL(fault.kind, JSON_STRICT_FAULT_DEPTH);
	CU_ASSERT_EQUAL(fault.offset, JSON_STRICT_DEPTH_MAX);
	free(beyond);
}

/* Many distinct names pass, and a repeat at the very end is found at its
 * offset: the comparison is per object, not limited to a few members. */
static void json_strict_finds_a_duplicate_among_many_names(void)
{
	enum { NAME_COUNT = 20000 };
	size_t capacity = NAME_COUNT * 16 + 64, used = 0;
	char *text = malloc(capacity);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	text[used++] = '{';
	for (int i = 0; i < NAME_COUNT; i++)
		used += (size_t)snprintf(text + used, capacity - used, "%s\"n%d\":%d", i == 0 ? "" : ",", i, i);
	text[used++] = '}';
	CU_ASSERT_EQUAL(json_strict_check(text, used, 32, NULL), 0);

	used--; /* reopen the object and repeat the first name */
	size_t repeat_offset = used + 1;
	used += (size_t)snprintf(text + used, capacity - used, ",\"n0\":0}");
	struct json_strict_fault fault;
	CU_ASSERT_EQUAL(json_strict_check(text, used, 32, &fault), -1);
	CU_ASSERT_EQUAL(fault.kind, JSON_STRICT_FAULT_DUPLICATE_MEMBER);
	CU_ASSERT_EQUAL(fault.offset, repeat_offset);
	CU_ASSERT_STRING_EQUAL(fault.reason, "duplicate member \"n0\"");
	free(text);
}

static void json_strict_quotes_at_most_32_bytes_of_a_name(void)
{
	const char *text = "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1,"
			   "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":2}";
	struct json_strict_fault fault;
	CU_ASSERT_EQUAL(json_strict_check(text, strlen(text), 32, &fault), -1);
	CU_ASSERT_EQUAL(fault.offset, 46);
	CU_ASSERT_STRING_EQUAL(fault.reason, "duplicate member \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
}

static void json_strict_parse_builds_the_same_values(void)
{
	const char *text = "{\"s\":\"\\ud83d\\ude00 \\u00e9\",\"min\":-9223372036854775808,"
			   "\"max\":9223372036854775807,\"d\":1.5e300,\"n\":null,\"a\":[true,false]}";
	json_object *tree = NULL;
	struct json_strict_fault fault;
	CU_ASSERT_EQUAL_FATAL(json_strict_parse(text, strlen(text), 32, &tree, &fault), 0);
	CU_ASSERT_EQUAL(fault.kind, JSON_STRICT_FAULT_NONE);
	json_object *value = NULL;
	CU_ASSERT(json_object_object_get_ex(tree, "s", &value));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(value), "\xf0\x9f\x98\x80 \xc3\xa9");
	CU_ASSERT(json_object_object_get_ex(tree, "min", &value));
	CU_ASSERT(json_object_get_int64(value) == INT64_MIN);
	CU_ASSERT(json_object_object_get_ex(tree, "max", &value));
	CU_ASSERT(json_object_get_int64(value) == INT64_MAX);
	CU_ASSERT(json_object_object_get_ex(tree, "d", &value));
	CU_ASSERT(json_object_is_type(value, json_type_double) && json_object_get_double(value) == 1.5e300);
	json_object_put(tree);

	/* A number or literal that ends the text (no terminator after it). */
	char digits[3] = {'4', '2', 'x'};
	CU_ASSERT_EQUAL_FATAL(json_strict_parse(digits, 2, 32, &tree, NULL), 0);
	CU_ASSERT(json_object_is_type(tree, json_type_int) && json_object_get_int64(tree) == 42);
	json_object_put(tree);
	CU_ASSERT_EQUAL_FATAL(json_strict_parse("true", 4, 32, &tree, NULL), 0);
	CU_ASSERT(json_object_get_boolean(tree));
	json_object_put(tree);
	CU_ASSERT_EQUAL(json_strict_parse("null", 4, 32, &tree, NULL), 0);
	CU_ASSERT_PTR_NULL(tree);
}

static void json_strict_check_takes_a_null_text_or_fault(void)
{
	struct json_strict_fault fault;
	CU_ASSERT_EQUAL(json_strict_check(NULL, 0, 32, &fault), -1);
	CU_ASSERT_EQUAL(fault.kind, JSON_STRICT_FAULT_SYNTAX);
	CU_ASSERT_EQUAL(fault.offset, 0);
	CU_ASSERT_EQUAL(json_strict_check("{}", 2, 32, NULL), 0);
	CU_ASSERT_EQUAL(json_strict_check("{", 1, 32, NULL), -1);
	CU_ASSERT_STRING_EQUAL(json_strict_fault_kind_text(JSON_STRICT_FAULT_DUPLICATE_MEMBER),
		"duplicate member name");
	CU_ASSERT_STRING_EQUAL(json_strict_fault_kind_text(JSON_STRICT_FAULT__MAX), "unknown fault");
}

static const struct unit_test json_strict_tests[] = {
	{"json_strict_each_vector_gets_its_verdict_offset_and_reason",
		json_strict_each_vector_gets_its_verdict_offset_and_reason},
	{"json_strict_parse_agrees_with_check_on_every_vector", json_strict_parse_agrees_with_check_on_every_vector},
	{"json_strict_fuzz_target_holds_on_every_vector", json_strict_fuzz_target_holds_on_every_vector},
	{"json_strict_depth_limit_is_exact_and_counts_containers_only",
		json_strict_depth_limit_is_exact_and_counts_containers_only},
	{"json_strict_depth_is_clamped_to_its_maximum", json_strict_depth_is_clamped_to_its_maximum},
	{"json_strict_finds_a_duplicate_among_many_names", json_strict_finds_a_duplicate_among_many_names},
	{"json_strict_quotes_at_most_32_bytes_of_a_name", json_strict_quotes_at_most_32_bytes_of_a_name},
	{"json_strict_parse_builds_the_same_values", json_strict_parse_builds_the_same_values},
	{"json_strict_check_takes_a_null_text_or_fault", json_strict_check_takes_a_null_text_or_fault},
};

int register_json_strict_suite(void)
{
	return UNIT_SUITE("json_strict", json_strict_tests);
}

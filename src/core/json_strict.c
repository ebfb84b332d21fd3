/* Strict RFC 8259 recogniser in front of json-c. json-c's strict mode still
 * takes single quotes, NaN, Infinity and "1.", keeps the last of duplicate
 * names, saturates integers beyond 64 bits, decodes \u0000 into strings that
 * C code then cuts short, and lets overlong UTF-8, encoded surrogates and
 * code points above U+10FFFF through (which MariaDB then refuses with a
 * 1366). One pass here refuses all of that and says where. */
#include "core/json_strict.h"
#include "core/alloc.h"
#include "core/log.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member name read in the object being scanned; kept until the object
 * ends, then compared with its siblings. */
struct json_strict_member {
	const char *name; /* into the text, or into decoded when the name had escapes */
	size_t name_length;
	size_t offset; /* of the opening quote */
	char *decoded; /* owned unescaped copy, or NULL */
};

struct json_strict_scanner {
	const unsigned char *text;
	size_t length;
	size_t position;
	int max_depth;
	/* The fault that stopped the scan (anything but a duplicate). */
	struct json_strict_fault stop;
	/* Duplicates do not stop the scan: the earliest one found so far, so
	 * the report can name whichever fault comes first in the text. */
	struct json_strict_fault duplicate;
	/* Names of the objects still open, innermost last. */
	struct json_strict_member *members;
	size_t member_count;
	size_t member_capacity;
};

static const char *const json_strict_fault_kind_texts[JSON_STRICT_FAULT__MAX] = {
	[JSON_STRICT_FAULT_NONE] = "none",
	[JSON_STRICT_FAULT_SYNTAX] = "not strict JSON",
	[JSON_STRICT_FAULT_DEPTH] = "nested too deep",
	[JSON_STRICT_FAULT_DUPLICATE_MEMBER] = "duplicate member name",
	[JSON_STRICT_FAULT_NUMBER_RANGE] = "number out of range",
	[JSON_STRICT_FAULT_STRING] = "invalid string",
};

const char *json_strict_fault_kind_text(enum json_strict_fault_kind kind)
{
	if ((unsigned)kind >= JSON_STRICT_FAULT__MAX || json_strict_fault_kind_texts[kind] == NULL)
		return "unknown fault";
	return json_strict_fault_kind_texts[kind];
}

static void json_strict_fault_set(struct json_strict_fault *fault, enum json_strict_fault_kind kind, size_t offset,
	const char *format, va_list arguments) __attribute__((format(printf, 4, 0)));

static void json_strict_fault_set(struct json_strict_fault *fault, enum json_strict_fault_kind kind, size_t offset,
	const char *format, va_list arguments)
{
	fault->kind = kind;
	fault->offset = offset;
	vsnprintf(fault->reason, sizeof(fault->reason), format, arguments);
}

static int json_strict_fail(struct json_strict_scanner *scanner, enum json_strict_fault_kind kind, size_t offset,
	const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Records the fault that stops the scan (only the first) and returns -1. */
static int json_strict_fail(struct json_strict_scanner *scanner, enum json_strict_fault_kind kind, size_t offset,
	const char *format, ...)
{
	if (scanner->stop.kind == JSON_STRICT_FAULT_NONE) {
		va_list arguments;
		va_start(arguments, format);
		json_strict_fault_set(&scanner->stop, kind, offset, format, arguments);
		va_end(arguments);
	}
	return -1;
}

static int json_strict_at_end(const struct json_strict_scanner *scanner)
{
	return scanner->position >= scanner->length;
}

static int json_strict_at(const struct json_strict_scanner *scanner, unsigned char expected)
{
	return scanner->position < scanner->length && scanner->text[scanner->position] == expected;
}

static int json_strict_at_digit(const struct json_strict_scanner *scanner)
{
	return scanner->position < scanner->length && scanner->text[scanner->position] >= '0' &&
		scanner->text[scanner->position] <= '9';
}

static void json_strict_skip_space(struct json_strict_scanner *scanner)
{
	while (scanner->position < scanner->length) {
		unsigned char c = scanner->text[scanner->position];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return;
		scanner->position++;
	}
}

/* "unexpected 'x'" for printable ASCII, the byte's value otherwise, so a
 * reason never carries raw client bytes. */
static int json_strict_fail_unexpected(struct json_strict_scanner *scanner, const char *expected)
{
	if (json_strict_at_end(scanner))
		return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->length,
			"unexpected end of input (expected %s)", expected);
	unsigned char c = scanner->text[scanner->position];
	if (c >= 0x21 && c <= 0x7e)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
			"unexpected '%c' (expected %s)", c, expected);
	return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
		"unexpected byte 0x%02X (expected %s)", c, expected);
}

/* ---- strings ----------------------------------------------------------- */

/* Length of the valid RFC 3629 UTF-8 sequence at text, or 0 with a reason. */
static size_t json_strict_utf8_sequence(const unsigned char *text, size_t available, const char **reason)
{
	unsigned char lead = text[0];
	size_t length;
	uint32_t code_point, minimum;
	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf) {
		length = 2;
		code_point = lead & 0x1f;
		minimum = 0x80;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		length = 3;
		code_point = lead & 0x0f;
		minimum = 0x800;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		length = 4;
		code_point = lead & 0x07;
		minimum = 0x10000;
	} else {
		if (lead == 0xc0 || lead == 0xc1)
			*reason = "overlong UTF-8";
		else if (lead >= 0xf5 && lead <= 0xf7)
			*reason = "invalid UTF-8 (beyond U+10FFFF)";
		else if (lead >= 0xf8)
			*reason = "invalid UTF-8 byte";
		else
			*reason = "invalid UTF-8 (stray continuation byte)";
		return 0;
	}
	for (size_t i = 1; i < length; i++) {
		if (i >= available || (text[i] & 0xc0) != 0x80) {
			*reason = "truncated UTF-8 sequence";
			return 0;
		}
		code_point = (code_point << 6) | (text[i] & 0x3f);
	}
	if (code_point < minimum)
		*reason = "overlong UTF-8";
	else if (code_point > 0x10ffff)
		*reason = "invalid UTF-8 (beyond U+10FFFF)";
	else if (code_point >= 0xd800 && code_point <= 0xdfff)
		*reason = "UTF-8 encoded surrogate";
	else
		return length;
	return 0;
}

size_t json_strict_utf8_length(const char *text, size_t available)
{
	const char *reason = NULL;
	if (text == NULL || available == 0)
		return 0;
	return json_strict_utf8_sequence((const unsigned char *)text, available, &reason);
}

static int json_strict_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits at text[at..]; -1 when they are not all there. */
static long json_strict_hex4(const unsigned char *text, size_t length, size_t at)
{
	if (at > length || length - at < 4)
		return -1;
	long code = 0;
	for (size_t i = 0; i < 4; i++) {
		int digit = json_strict_hex_digit(text[at + i]);
		if (digit < 0)
			return -1;
		code = code * 16 + digit;
	}
	return code;
}

/* After "\u" at backslash: one escape, or a high-low surrogate pair. */
static int json_strict_scan_unicode_escape(struct json_strict_scanner *scanner, size_t backslash)
{
	long code = json_strict_hex4(scanner->text, scanner->length, scanner->position);
	if (code < 0)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, backslash, "\\u needs four hex digits");
	if (code == 0)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, backslash,
			"\\u0000 is not accepted (text is stored as C strings)");
	if (code >= 0xdc00 && code <= 0xdfff)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, backslash,
			"unpaired surrogate \\u%04lX", code);
	scanner->position += 4;
	if (code < 0xd800 || code > 0xdbff)
		return 0;
	long low = -1;
	if (scanner->length - scanner->position >= 6 && scanner->text[scanner->position] == '\\' &&
		scanner->text[scanner->position + 1] == 'u')
		low = json_strict_hex4(scanner->text, scanner->length, scanner->position + 2);
	if (low < 0xdc00 || low > 0xdfff)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, backslash,
			"unpaired surrogate \\u%04lX", code);
	scanner->position += 6;
	return 0;
}

/* At the opening quote; on success the position is past the closing one. */
static int json_strict_scan_string(struct json_strict_scanner *scanner, int *has_escapes)
{
	size_t opening = scanner->position++;
	*has_escapes = 0;
	while (scanner->position < scanner->length) {
		size_t at = scanner->position;
		unsigned char c = scanner->text[at];
		if (c == '"') {
			scanner->position++;
			return 0;
		}
		if (c < 0x20)
			return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, at,
				"raw control character U+%04X in a string (escape it)", c);
		if (c != '\\') {
			const char *reason = NULL;
			size_t sequence = json_strict_utf8_sequence(scanner->text + at, scanner->length - at, &reason);
			if (sequence == 0)
				return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, at, "%s", reason);
			scanner->position += sequence;
			continue;
		}
		*has_escapes = 1;
		scanner->position++;
		if (json_strict_at_end(scanner))
			break;
		unsigned char escape = scanner->text[scanner->position++];
		if (escape == 'u') {
			if (json_strict_scan_unicode_escape(scanner, at) != 0)
				return -1;
		} else if (strchr("\"\\/bfnrt", escape) == NULL || escape == '\0') {
			if (escape >= 0x21 && escape <= 0x7e)
				return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, at, "unknown escape \\%c",
					escape);
			return json_strict_fail(scanner, JSON_STRICT_FAULT_STRING, at, "unknown escape");
		}
	}
	return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->length,
		"unterminated string (opened at byte %zu)", opening);
}

static size_t json_strict_put_utf8(char *out, uint32_t code_point)
{
	if (code_point < 0x80) {
		out[0] = (char)code_point;
		return 1;
	}
	if (code_point < 0x800) {
		out[0] = (char)(0xc0 | (code_point >> 6));
		out[1] = (char)(0x80 | (code_point & 0x3f));
		return 2;
	}
	if (code_point < 0x10000) {
		out[0] = (char)(0xe0 | (code_point >> 12));
		out[1] = (char)(0x80 | ((code_point >> 6) & 0x3f));
		out[2] = (char)(0x80 | (code_point & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (code_point >> 18));
	out[1] = (char)(0x80 | ((code_point >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((code_point >> 6) & 0x3f));
	out[3] = (char)(0x80 | (code_point & 0x3f));
	return 4;
}

/* Unescapes the inside of a string json_strict_scan_string() accepted into
 * out (at least length bytes: no escape decodes to more than it spells). */
static size_t json_strict_unescape(const unsigned char *inside, size_t length, char *out)
{
	size_t written = 0;
	for (size_t i = 0; i < length;) {
		if (inside[i] != '\\') {
			out[written++] = (char)inside[i++];
			continue;
		}
		unsigned char escape = inside[i + 1];
		i += 2;
		if (escape != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			out[written++] = to[strchr(from, escape) - from];
			continue;
		}
		uint32_t code_point = (uint32_t)json_strict_hex4(inside, length, i);
		i += 4;
		if (code_point >= 0xd800 && code_point <= 0xdbff) {
			uint32_t low = (uint32_t)json_strict_hex4(inside, length, i + 2);
			code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
			i += 6;
		}
		written += json_strict_put_utf8(out + written, code_point);
	}
	return written;
}

/* ---- duplicate names ------------------------------------------------------ */

static int json_strict_member_compare(const void *left_pointer, const void *right_pointer)
{
	const struct json_strict_member *left = left_pointer, *right = right_pointer;
	size_t shorter = left->name_length < right->name_length ? left->name_length : right->name_length;
	int order = memcmp(left->name, right->name, shorter);
	if (order != 0)
		return order;
	if (left->name_length != right->name_length)
		return left->name_length < right->name_length ? -1 : 1;
	return left->offset < right->offset ? -1 : left->offset > right->offset;
}

static int json_strict_same_name(const struct json_strict_member *left, const struct json_strict_member *right)
{
	return left->name_length == right->name_length && memcmp(left->name, right->name, left->name_length) == 0;
}

static void json_strict_note_duplicate(struct json_strict_scanner *scanner, const struct json_strict_member *member)
{
	if (scanner->duplicate.kind != JSON_STRICT_FAULT_NONE && scanner->duplicate.offset <= member->offset)
		return;
	int printable = 1;
	for (size_t i = 0; i < member->name_length && printable; i++) {
		unsigned char c = (unsigned char)member->name[i];
		printable = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
	}
	struct json_strict_fault *fault = &scanner->duplicate;
	fault->kind = JSON_STRICT_FAULT_DUPLICATE_MEMBER;
	fault->offset = member->offset;
	if (!printable)
		snprintf(fault->reason, sizeof(fault->reason), "duplicate member name");
	else if (member->name_length > JSON_STRICT_NAME_ECHO_MAX)
		snprintf(fault->reason, sizeof(fault->reason), "duplicate member \"%.*s...\"",
			JSON_STRICT_NAME_ECHO_MAX, member->name);
	else
		snprintf(fault->reason, sizeof(fault->reason), "duplicate member \"%.*s\"", (int)member->name_length,
			member->name);
}

/* Compares the names of the object whose members start at first, notes its
 * earliest repeated name, and forgets them. Sorting keeps this n log n for
 * any object a client can send, with no hash an attacker could flood. */
static void json_strict_settle_members(struct json_strict_scanner *scanner, size_t first)
{
	size_t count = scanner->member_count - first;
	/* An object without a name ("{}", or one that ends before its first
	 * name) may come before any member was stored: members is then still
	 * NULL, and NULL + 0 is undefined behaviour (clang's UBSan stops on it). */
	if (count == 0)
		return;
	struct json_strict_member *members = scanner->members + first;
	if (count > 1) {
		qsort(members, count, sizeof(*members), json_strict_member_compare);
		for (size_t i = 1; i < count; i++)
			/* sorted by offset among equal names: the second is the first repeat */
			if (json_strict_same_name(&members[i], &members[i - 1]) &&
				(i == 1 || !json_strict_same_name(&members[i - 1], &members[i - 2])))
				json_strict_note_duplicate(scanner, &members[i]);
	}
	for (size_t i = 0; i < count; i++)
		free(members[i].decoded);
	scanner->member_count = first;
}

static void json_strict_add_member(struct json_strict_scanner *scanner, size_t opening, int has_escapes)
{
	if (scanner->member_count == scanner->member_capacity) {
		scanner->member_capacity = scanner->member_capacity == 0 ? 16 : scanner->member_capacity * 2;
		scanner->members = xrealloc(scanner->members, scanner->member_capacity * sizeof(*scanner->members));
	}
	struct json_strict_member *member = &scanner->members[scanner->member_count++];
	const unsigned char *inside = scanner->text + opening + 1;
	size_t inside_length = scanner->position - opening - 2;
	member->offset = opening;
	member->decoded = NULL;
	if (!has_escapes) {
		member->name = (const char *)inside;
		member->name_length = inside_length;
		return;
	}
	member->decoded = xmalloc(inside_length + 1);
	member->name_length = json_strict_unescape(inside, inside_length, member->decoded);
	member->name = member->decoded;
}

/* ---- numbers and literals ------------------------------------------------ */

/* Digits only, no leading zero (the grammar saw to both). */
static int json_strict_integer_fits(const unsigned char *literal, size_t length)
{
	int negative = literal[0] == '-';
	const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
	size_t digits = length - (size_t)negative;
	size_t limit_digits = strlen(limit);
	if (digits != limit_digits)
		return digits < limit_digits;
	return memcmp(literal + negative, limit, digits) <= 0;
}

/* json-c reads these with strtod too, so the same bytes decide. */
static int json_strict_double_is_finite(const unsigned char *literal, size_t length)
{
	char small[64];
	char *copy = length < sizeof(small) ? small : xmalloc(length + 1);
	memcpy(copy, literal, length);
	copy[length] = '\0';
	double value = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return isfinite(value);
}

static int json_strict_scan_number(struct json_strict_scanner *scanner)
{
	size_t start = scanner->position;
	int integral = 1;
	if (json_strict_at(scanner, '-')) {
		scanner->position++;
		if (json_strict_at(scanner, 'I'))
			return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, start, "Infinity is not JSON");
	}
	if (json_strict_at(scanner, '0')) {
		scanner->position++;
		if (json_strict_at_digit(scanner))
			return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, start,
				"leading zeros are not JSON");
	} else if (!json_strict_at_digit(scanner)) {
		return json_strict_fail_unexpected(scanner, "a digit");
	}
	while (json_strict_at_digit(scanner))
		scanner->position++;
	if (json_strict_at(scanner, '.')) {
		integral = 0;
		scanner->position++;
		if (!json_strict_at_digit(scanner))
			return json_strict_fail_unexpected(scanner, "a digit after the decimal point");
		while (json_strict_at_digit(scanner))
			scanner->position++;
	}
	if (json_strict_at(scanner, 'e') || json_strict_at(scanner, 'E')) {
		integral = 0;
		scanner->position++;
		if (json_strict_at(scanner, '+') || json_strict_at(scanner, '-'))
			scanner->position++;
		if (!json_strict_at_digit(scanner))
			return json_strict_fail_unexpected(scanner, "a digit in the exponent");
		while (json_strict_at_digit(scanner))
			scanner->position++;
	}
	const unsigned char *literal = scanner->text + start;
	size_t length = scanner->position - start;
	if (integral && !json_strict_integer_fits(literal, length))
		return json_strict_fail(scanner, JSON_STRICT_FAULT_NUMBER_RANGE, start,
			"integer outside the signed 64-bit range");
	if (!integral && !json_strict_double_is_finite(literal, length))
		return json_strict_fail(scanner, JSON_STRICT_FAULT_NUMBER_RANGE, start,
			"number too large for a double");
	return 0;
}

static int json_strict_scan_literal(struct json_strict_scanner *scanner, const char *literal)
{
	size_t length = strlen(literal);
	if (scanner->length - scanner->position < length ||
		memcmp(scanner->text + scanner->position, literal, length) != 0)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
			"not a JSON literal (expected %s)", literal);
	scanner->position += length;
	return 0;
}

/* ---- values and containers ----------------------------------------------- */

static int json_strict_scan_value(struct json_strict_scanner *scanner, int depth);

static int json_strict_enter(struct json_strict_scanner *scanner, int depth)
{
	if (depth > scanner->max_depth)
		return json_strict_fail(scanner, JSON_STRICT_FAULT_DEPTH, scanner->position,
			"nesting deeper than %d levels", scanner->max_depth);
	scanner->position++;
	json_strict_skip_space(scanner);
	return 0;
}

/* After a comma: a closing bracket here is the trailing-comma leniency. */
static int json_strict_fail_after_comma(struct json_strict_scanner *scanner, unsigned char closing,
	const char *expected)
{
	if (json_strict_at(scanner, closing))
		return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
			"trailing commas are not JSON");
	if (json_strict_at(scanner, '\''))
		return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
			"single quotes are not JSON");
	return json_strict_fail_unexpected(scanner, expected);
}

static int json_strict_scan_members(struct json_strict_scanner *scanner, int depth)
{
	if (json_strict_at(scanner, '}')) {
		scanner->position++;
		return 0;
	}
	for (int first = 1;; first = 0) {
		if (!json_strict_at(scanner, '"')) {
			if (!first)
				return json_strict_fail_after_comma(scanner, '}', "a member name in double quotes");
			if (json_strict_at(scanner, '\''))
				return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position,
					"single quotes are not JSON");
			return json_strict_fail_unexpected(scanner, "a member name in double quotes");
		}
		size_t opening = scanner->position;
		int has_escapes;
		if (json_strict_scan_string(scanner, &has_escapes) != 0)
			return -1;
		json_strict_add_member(scanner, opening, has_escapes);
		json_strict_skip_space(scanner);
		if (!json_strict_at(scanner, ':'))
			return json_strict_fail_unexpected(scanner, "':' after a member name");
		scanner->position++;
		if (json_strict_scan_value(scanner, depth) != 0)
			return -1;
		json_strict_skip_space(scanner);
		if (json_strict_at(scanner, '}')) {
			scanner->position++;
			return 0;
		}
		if (!json_strict_at(scanner, ','))
			return json_strict_fail_unexpected(scanner, "',' or '}'");
		scanner->position++;
		json_strict_skip_space(scanner);
	}
}

static int json_strict_scan_object(struct json_strict_scanner *scanner, int depth)
{
	if (json_strict_enter(scanner, depth) != 0)
		return -1;
	size_t first_member = scanner->member_count;
	int result = json_strict_scan_members(scanner, depth);
	/* On a fault too: a repeated name before it is the earlier fault. */
	json_strict_settle_members(scanner, first_member);
	return result;
}

static int json_strict_scan_array(struct json_strict_scanner *scanner, int depth)
{
	if (json_strict_enter(scanner, depth) != 0)
		return -1;
	if (json_strict_at(scanner, ']')) {
		scanner->position++;
		return 0;
	}
	for (;;) {
		if (json_strict_scan_value(scanner, depth) != 0)
			return -1;
		json_strict_skip_space(scanner);
		if (json_strict_at(scanner, ']')) {
			scanner->position++;
			return 0;
		}
		if (!json_strict_at(scanner, ','))
			return json_strict_fail_unexpected(scanner, "',' or ']'");
		scanner->position++;
		json_strict_skip_space(scanner);
		if (json_strict_at(scanner, ']'))
			return json_strict_fail_after_comma(scanner, ']', "a value");
	}
}

/* Names the leniencies json-c knows, so a client learns what to change. */
static int json_strict_fail_not_a_value(struct json_strict_scanner *scanner)
{
	static const struct {
		const char *prefix;
		const char *reason;
	} leniencies[] = {
		{.prefix = "'", .reason = "single quotes are not JSON"},
		{.prefix = "/", .reason = "comments are not JSON"},
		{.prefix = "#", .reason = "comments are not JSON"},
		{.prefix = "NaN", .reason = "NaN is not JSON"},
		{.prefix = "nan", .reason = "NaN is not JSON"},
		{.prefix = "Infinity", .reason = "Infinity is not JSON"},
		{.prefix = "infinity", .reason = "Infinity is not JSON"},
		{.prefix = "+", .reason = "a number may not start with '+'"},
		{.prefix = ".", .reason = "a number needs a digit before the decimal point"},
		{.prefix = "\xef\xbb\xbf", .reason = "a byte-order mark is not JSON"},
		{.prefix = "T", .reason = "true, false and null are lower-case"},
		{.prefix = "F", .reason = "true, false and null are lower-case"},
		{.prefix = "N", .reason = "true, false and null are lower-case"},
	};
	size_t available = scanner->length - scanner->position;
	for (size_t i = 0; i < sizeof(leniencies) / sizeof(leniencies[0]); i++) {
		size_t prefix_length = strlen(leniencies[i].prefix);
		if (available >= prefix_length &&
			memcmp(scanner->text + scanner->position, leniencies[i].prefix, prefix_length) == 0)
			return json_strict_fail(scanner, JSON_STRICT_FAULT_SYNTAX, scanner->position, "%s",
				leniencies[i].reason);
	}
	return json_strict_fail_unexpected(scanner, "a value");
}

/* depth is that of the container holding the value (0 at the top). */
static int json_strict_scan_value(struct json_strict_scanner *scanner, int depth)
{
	json_strict_skip_space(scanner);
	if (json_strict_at_end(scanner))
		return json_strict_fail_unexpected(scanner, "a value");
	int has_escapes;
	switch (scanner->text[scanner->position]) {
	case '{':
		return json_strict_scan_object(scanner, depth + 1);
	case '[':
		return json_strict_scan_array(scanner, depth + 1);
	case '"':
		return json_strict_scan_string(scanner, &has_escapes);
	case 't':
		return json_strict_scan_literal(scanner, "true");
	case 'f':
		return json_strict_scan_literal(scanner, "false");
	case 'n':
		if (scanner->length - scanner->position >= 3 &&
			memcmp(scanner->text + scanner->position, "nan", 3) == 0)
			return json_strict_fail_not_a_value(scanner);
		return json_strict_scan_literal(scanner, "null");
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return json_strict_scan_number(scanner);
	default:
		return json_strict_fail_not_a_value(scanner);
	}
}

/* ---- entry points ---------------------------------------------------------- */

int json_strict_check(const char *text, size_t length, int max_depth, struct json_strict_fault *fault)
{
	struct json_strict_scanner scanner = {
		.text = (const unsigned char *)(text != NULL ? text : ""),
		.length = text != NULL ? length : 0,
		.max_depth = max_depth < 0 ? 0 : max_depth > JSON_STRICT_DEPTH_MAX ? JSON_STRICT_DEPTH_MAX : max_depth,
	};
	json_strict_skip_space(&scanner);
	if (json_strict_at_end(&scanner))
		json_strict_fail(&scanner, JSON_STRICT_FAULT_SYNTAX, scanner.length, "no JSON value (empty text)");
	else if (json_strict_scan_value(&scanner, 0) == 0) {
		json_strict_skip_space(&scanner);
		if (!json_strict_at_end(&scanner))
			json_strict_fail(&scanner, JSON_STRICT_FAULT_SYNTAX, scanner.position,
				"unexpected data after the JSON value");
	}
	/* Objects left open by a fault were settled on the way out. */
	free(scanner.members);

	const struct json_strict_fault *first = NULL;
	if (scanner.stop.kind != JSON_STRICT_FAULT_NONE)
		first = &scanner.stop;
	if (scanner.duplicate.kind != JSON_STRICT_FAULT_NONE &&
		(first == NULL || scanner.duplicate.offset < first->offset))
		first = &scanner.duplicate;
	if (fault != NULL) {
		if (first != NULL)
			*fault = *first;
		else
			*fault = (struct json_strict_fault){.kind = JSON_STRICT_FAULT_NONE};
	}
	return first == NULL ? 0 : -1;
}

int json_strict_parse(const char *text, size_t length, int max_depth, json_object **out,
	struct json_strict_fault *fault)
{
	*out = NULL;
	struct json_strict_fault local;
	if (fault == NULL)
		fault = &local;
	if (json_strict_check(text, length, max_depth, fault) != 0)
		return -1;
	if (length > INT_MAX) {
		*fault = (struct json_strict_fault){.kind = JSON_STRICT_FAULT_SYNTAX, .offset = INT_MAX};
		snprintf(fault->reason, sizeof(fault->reason), "text longer than %d bytes", INT_MAX);
		return -1;
	}
	int depth = max_depth < 0 ? 0 : max_depth > JSON_STRICT_DEPTH_MAX ? JSON_STRICT_DEPTH_MAX : max_depth;
	/* json-c counts the innermost scalar as a level of its own. */
	struct json_tokener *tokener = json_tokener_new_ex(depth + 1);
	if (tokener == NULL) {
		log_error("json_strict: out of memory for a JSON tokener");
		abort();
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *parsed = json_tokener_parse_ex(tokener, text, (int)length);
	enum json_tokener_error parse_error = json_tokener_get_error(tokener);
	/* A number or literal at the very end waits for a byte that ends it;
	 * the NUL json_tokener_parse() would have read is that byte. */
	if (parse_error == json_tokener_continue) {
		parsed = json_tokener_parse_ex(tokener, "", 1);
		parse_error = json_tokener_get_error(tokener);
	}
	size_t parse_end = json_tokener_get_parse_end(tokener);
	json_tokener_free(tokener);
	if (parse_error != json_tokener_success) {
		/* The recogniser is stricter than json-c everywhere; reaching this is
		 * a bug worth a log line, and the text is still refused. */
		log_warn("json_strict: json-c refused a text the recogniser accepted: %s at byte %zu",
			json_tokener_error_desc(parse_error), parse_end);
		json_object_put(parsed);
		*fault = (struct json_strict_fault){.kind = JSON_STRICT_FAULT_SYNTAX, .offset = parse_end};
		snprintf(fault->reason, sizeof(fault->reason), "not accepted by the JSON parser");
		return -1;
	}
	*out = parsed;
	return 0;
}

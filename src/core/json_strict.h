/* Strict RFC 8259 JSON: the one recogniser every client-controlled JSON text
 * passes before json-c builds a tree of it (request bodies, JWT header and
 * payload, small JSON values found in other inputs). It refuses what json-c
 * would let through and names the byte where the text first goes wrong. */
#ifndef INTUKA_CORE_JSON_STRICT_H
#define INTUKA_CORE_JSON_STRICT_H

#include <stddef.h>

#include <json-c/json.h>

#define JSON_STRICT_DEPTH_MAX 1000 /* larger max_depth values are clamped, so recursion stays shallow */
#define JSON_STRICT_REASON_MAX 80
#define JSON_STRICT_NAME_ECHO_MAX 32 /* bytes of a member name a reason may quote */

/* What the first fault is about. Everything outside this grammar is SYNTAX:
 * single quotes, comments, NaN, Infinity, "1.", ".5", "+1", leading zeros,
 * trailing commas, upper-case literals, a byte-order mark, truncation, and
 * anything after the one top-level value but space, tab, CR and LF. */
enum json_strict_fault_kind {
	JSON_STRICT_FAULT_NONE,
	JSON_STRICT_FAULT_SYNTAX,
	JSON_STRICT_FAULT_DEPTH, /* more nested arrays and objects than max_depth */
	JSON_STRICT_FAULT_DUPLICATE_MEMBER, /* a name twice in one object (at any depth), compared after unescaping */
	JSON_STRICT_FAULT_NUMBER_RANGE, /* an integer outside int64, or a number that overflows a double */
	JSON_STRICT_FAULT_STRING, /* invalid UTF-8 (overlong, surrogate, above U+10FFFF, truncated), a raw
	                           * control character U+0000-U+001F, an unknown escape, an unpaired
	                           * surrogate escape, or \u0000 */
	JSON_STRICT_FAULT__MAX
};

struct json_strict_fault {
	enum json_strict_fault_kind kind;
	/* Bytes from the start of the text to the first offending byte (the
	 * opening quote of a repeated name, the first byte of a number out of
	 * range or of a bad UTF-8 sequence, the backslash of a bad escape); the
	 * text's length when it ends too early. */
	size_t offset;
	/* Short English, printable ASCII, NUL-terminated. Quotes at most
	 * JSON_STRICT_NAME_ECHO_MAX bytes of a member name and otherwise never
	 * echoes the text. */
	char reason[JSON_STRICT_REASON_MAX];
};

/* Checks that text[0..length) is exactly one JSON value (any type; space,
 * tab, CR and LF around it) with at most max_depth nested arrays and objects
 * (0 allows only a scalar; a scalar inside them is no extra level). On top of
 * RFC 8259 it refuses duplicate member names, integers outside
 * [INT64_MIN, INT64_MAX], numbers with a fraction or exponent that overflow
 * to infinity (they are doubles otherwise; underflow to zero is accepted),
 * and \u0000, because what we read becomes C strings. The text need not be
 * NUL-terminated; a raw NUL byte is refused like any control character.
 * Returns 0, or -1 with the first fault (the lowest offset) in fault, which
 * may be NULL when only the verdict matters. */
int json_strict_check(const char *text, size_t length, int max_depth, struct json_strict_fault *fault);

/* json_strict_check(), then json-c over the same bytes. On 0, *out holds the
 * tree (the caller's to json_object_put; NULL for the literal null). On -1,
 * *out is NULL and fault (which may be NULL) says why. */
int json_strict_parse(const char *text, size_t length, int max_depth, json_object **out,
	struct json_strict_fault *fault);

/* Length of the valid UTF-8 sequence (RFC 3629: no overlong form, surrogate
 * or code point above U+10FFFF) at the start of text, reading at most
 * available bytes; 0 when there is none. The strings the recogniser accepts
 * are made of these; code that echoes client bytes into JSON uses it too. */
size_t json_strict_utf8_length(const char *text, size_t available);

/* Short English name of a fault kind; never NULL. */
const char *json_strict_fault_kind_text(enum json_strict_fault_kind kind);

#endif

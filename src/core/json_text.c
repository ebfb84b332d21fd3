/* See json_text.h. */
#include "core/json_text.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_text_init(struct json_text *text)
{
	text->capacity = 1024;
	text->bytes = xmalloc(text->capacity);
	text->bytes[0] = '\0';
	text->length = 0;
}

void json_text_release(struct json_text *text)
{
	free(text->bytes);
	text->bytes = NULL;
	text->length = text->capacity = 0;
}

char *json_text_take(struct json_text *text, size_t *length)
{
	char *bytes = text->bytes;
	*length = text->length;
	text->bytes = NULL;
	text->length = text->capacity = 0;
	return bytes;
}

static void json_text_reserve(struct json_text *text, size_t more)
{
	if (text->length + more + 1 <= text->capacity)
		return;
	size_t capacity = text->capacity ? text->capacity : 1024;
	while (capacity < text->length + more + 1)
		capacity *= 2;
	text->bytes = xrealloc(text->bytes, capacity);
	text->capacity = capacity;
}

void json_text_raw(struct json_text *text, const char *bytes, size_t length)
{
	json_text_reserve(text, length);
	memcpy(text->bytes + text->length, bytes, length);
	text->length += length;
	text->bytes[text->length] = '\0';
}

void json_text_char(struct json_text *text, char character)
{
	json_text_raw(text, &character, 1);
}

void json_text_string(struct json_text *text, const char *value)
{
	static const char digits[] = "0123456789abcdef";
	size_t length = strlen(value);
	json_text_reserve(text, length + 2);
	json_text_char(text, '"');
	const unsigned char *start = (const unsigned char *)value;
	for (const unsigned char *at = start; *at != '\0'; at++) {
		const char *escape = NULL;
		char unicode[7];
		switch (*at) {
		case '"': escape = "\\\""; break;
		case '\\': escape = "\\\\"; break;
		case '\b': escape = "\\b"; break;
		case '\f': escape = "\\f"; break;
		case '\n': escape = "\\n"; break;
		case '\r': escape = "\\r"; break;
		case '\t': escape = "\\t"; break;
		default:
			if (*at < 0x20) {
				memcpy(unicode, "\\u00", 4);
				unicode[4] = digits[*at >> 4];
				unicode[5] = digits[*at & 15];
				unicode[6] = '\0';
				escape = unicode;
			}
		}
		if (escape == NULL)
			continue;
		json_text_raw(text, (const char *)start, (size_t)(at - start));
		json_text_raw(text, escape, strlen(escape));
		start = at + 1;
	}
	json_text_raw(text, (const char *)start, strlen((const char *)start));
	json_text_char(text, '"');
}

void json_text_int64(struct json_text *text, int64_t value)
{
	/* Digits from the end: a page writes a hundred numbers, snprintf's
	 * format parsing for each shows in a profile. */
	char number[24];
	char *at = number + sizeof(number);
	uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
	do {
		*--at = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude != 0);
	if (value < 0)
		*--at = '-';
	json_text_raw(text, at, (size_t)(number + sizeof(number) - at));
}

void json_text_member(struct json_text *text, const char *name, int first)
{
	if (!first)
		json_text_char(text, ',');
	json_text_string(text, name);
	json_text_char(text, ':');
}

/* JSON written as text, for answers built in bulk (a page of records): no
 * tree of json-c objects to allocate and free for every value. Strings are
 * escaped as json-c does with JSON_C_TO_STRING_NOSLASHESCAPE, so an answer
 * reads the same whichever way it was written. */
#ifndef INTUKA_CORE_JSON_TEXT_H
#define INTUKA_CORE_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct json_text {
	char *bytes; /* owned; NUL-terminated */
	size_t length;
	size_t capacity;
};

void json_text_init(struct json_text *text);
void json_text_release(struct json_text *text);
/* Hands the bytes over (the caller frees them); text is empty again. */
char *json_text_take(struct json_text *text, size_t *length);

void json_text_raw(struct json_text *text, const char *bytes, size_t length);
void json_text_char(struct json_text *text, char character);
/* A quoted, escaped string. */
void json_text_string(struct json_text *text, const char *value);
void json_text_int64(struct json_text *text, int64_t value);
/* "name": in an object, after a comma unless first. */
void json_text_member(struct json_text *text, const char *name, int first);

#endif

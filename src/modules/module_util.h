/* Small helpers shared by module handlers: path ids, timestamps and the
 * list plumbing (one statement per whitelisted sort, total via COUNT OVER). */
#ifndef INTUKA_MODULES_MODULE_UTIL_H
#define INTUKA_MODULES_MODULE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "db/db.h"
#include "http/pagination.h"

struct request_context;

/* Strict positive decimal id from the path parameter; 0 when malformed. */
uint64_t module_path_id(const struct request_context *context, const char *name);
/* Index into a list-statement array laid out as [field][asc=1|desc=0]. */
size_t module_sort_statement_index(const struct sort_whitelist *whitelist, const struct page_request *page_request);
/* "a b c" (a stored permission list) -> ["a","b","c"]. */
json_object *module_words_to_array(const char *words);
/* A nullable JSON string from a row value. */
json_object *module_string_or_null(const char *value);
/* Adds name: value to object only when value is not NULL (takes value).
 * For members a client's types mark optional: absent, never null. */
void module_add_when_present(json_object *object, const char *name, json_object *value);
/* Row callback: first column as an unsigned integer into *(uint64_t *). */
int module_read_uint64(void *callback_context, const struct db_row *row);
/* Answer 404 in the standard form. */
void module_not_found(struct request_context *context, const char *what);

/* Password work under the cap on hashes at once (auth/hash_slots.h). Each
 * answers 503 with Retry-After: 1 when no slot came free in time. */
/* 0 with the Argon2id hash in out, or -1 after answering (503, or 500). */
int module_password_hash_or_reply(struct request_context *context, const char *password, char *out, size_t out_size);
/* 1 match, 0 mismatch or malformed stored hash, -1 after answering 503. */
int module_password_verify_or_reply(struct request_context *context, const char *password, const char *encoded);

/* What a read collects: the items of a list page (items set), or the one
 * record (items NULL; a later row replaces it); and the total that a list
 * statement gives in one more column after the record's. */
struct module_rows {
	json_object *items;
	json_object *single;
	uint64_t total;
};

/* Takes item (owned from here on) into rows; the row's column at
 * record_columns, when there is one, is the list's total. */
void module_rows_take(struct module_rows *rows, json_object *item, const struct db_row *row, size_t record_columns);

#endif

/* Pure pieces of the find conversation API (prompts, chat, threads) that
 * need no database: thread ids, the handoff rule, prompt documents, chat
 * filters and CSV export text. Kept apart so unit tests reach them. */
#ifndef INTUKA_MODULES_FIND_CONVERSATION_H
#define INTUKA_MODULES_FIND_CONVERSATION_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "http/timestamp.h"

#define FIND_THREAD_ID_MAX 64
#define FIND_PROMPT_ID_MAX 191
#define FIND_PROMPT_TEXT_MAX 4000
#define FIND_PROMPT_CANNED_MAX 20000
#define FIND_PROMPT_DOCUMENT_MAX 65536
#define FIND_PROMPT_LIST_MAX 50 /* items in tags, categories, *_ids */
#define FIND_FILTER_TERMS_MAX 10
#define FIND_FILTER_TERM_MAX 191

/* 1-64 of [A-Za-z0-9_-]. */
int find_thread_id_valid(const char *id);
/* "th_" and 24 random hex digits; 0, or -1 when no randomness is available. */
int find_thread_id_generate(char *out, size_t out_size);
/* "pr_" and 24 random hex digits, for a prompt sent without an id. */
int find_prompt_id_generate(char *out, size_t out_size);

/* Whether a visitor asks for a person: the message (any case) names a way
 * of reaching someone ("talk to", "speak to", "speak with", "talk with",
 * "connect me", "transfer me", "chat with") followed later by one of
 * "human", "person", "agent", "representative", "someone", "staff",
 * "operator"; or it is just "human", "agent" or "operator". */
int find_conversation_is_handoff(const char *message);

/* A prompt entity (POST /prompts, /prompts/bulk) read into its columns.
 * Strings point into the entity or into the struct; release with
 * find_prompt_release. */
struct find_prompt_fields {
	char id[FIND_PROMPT_ID_MAX + 1];
	int id_generated; /* the entity had no id: this one was made for it */
	const char *prompt;
	const char *title;
	const char *description;
	const char *canned_response;
	const char *response_format;
	const char *override_mode; /* "override" | "fallback" | "" */
	const char *status;
	int64_t priority;
	char active_from[TIMESTAMP_SQL_SIZE]; /* UTC, as MariaDB reads it, or "" (none) */
	char active_to[TIMESTAMP_SQL_SIZE];
	char *tags_text; /* words joined by spaces, for FULLTEXT */
	char *categories_text;
};

/* 0, or -1 with the offending field and the problem written. An entity
 * without an id (or with a null one) gets a generated one. */
int find_prompt_parse(json_object *entity, struct find_prompt_fields *out, char *field, size_t field_size,
	char *problem, size_t problem_size);
void find_prompt_release(struct find_prompt_fields *fields);

/* productFilter / postFilter of a chat request. Term lists are any-of
 * within a facet and all-of across facets. */
enum find_filter_facet { FIND_FILTER_CATEGORIES, FIND_FILTER_BRANDS, FIND_FILTER_TAGS, FIND_FILTER__FACETS };

struct find_filter {
	json_object *terms[FIND_FILTER__FACETS]; /* arrays of strings, owned; NULL = no condition */
	int has_price_min, has_price_max;
	double price_min, price_max;
	int on_sale; /* -1: any, 0 or 1 */
	char stock_status[33]; /* "" = any */
};

/* for_products: 1 for productFilter (all keys), 0 for postFilter
 * (categories and tags only). NULL value = no filter. 0, or -1 with problem. */
int find_filter_parse(json_object *value, int for_products, struct find_filter *out, char *problem,
	size_t problem_size);
void find_filter_release(struct find_filter *filter);
/* The facet's terms as a JSON array text, NULL when the facet has no condition. */
const char *find_filter_terms_json(const struct find_filter *filter, enum find_filter_facet facet);

/* A growing text with a hard cap: appends past max_bytes fail. */
struct find_text {
	char *data;
	size_t length, capacity, max_bytes;
	int overflowed;
};

void find_text_init(struct find_text *text, size_t max_bytes);
int find_text_append(struct find_text *text, const char *data, size_t length);
void find_text_release(struct find_text *text);
/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF
 * or starts or ends with a space; quotes doubled. A value a spreadsheet
 * would run as a formula (=, +, -, @ first) gets a leading apostrophe. */
int find_csv_field(struct find_text *text, const char *value);

#endif

/* What chat with a language model decides without I/O: the words of a
 * message that are constraints (price bounds, stock, sale) turned into
 * filters, the two tools the model may call and the validation of its
 * arguments, and the card citations ([[product:ID]], [[post:ID]]) taken out
 * of the streamed text so that only items the search returned are shown. */
#ifndef INTUKA_MODULES_FIND_CHAT_MODEL_H
#define INTUKA_MODULES_FIND_CHAT_MODEL_H

#include <stddef.h>

#include <json-c/json.h>

#include "modules/find_conversation.h"

#define FIND_CHAT_TOOL_TEXT_MAX 200
#define FIND_CHAT_TOOL_TERMS_MAX 10
#define FIND_CHAT_TOOL_TERM_MAX 100

/* Price bounds ("under 120 dollars", "below $80", "over 50", "between 50
 * and 80", "50 to 80 euros"), "in stock" and "on sale" in message, set in
 * filter where the client's filter left them open (a client's filter
 * wins). text receives the message without those phrases (same size as
 * the message is enough). Returns how many constraints were set. */
int find_chat_query_constraints(const char *message, struct find_filter *filter, char *text, size_t text_size);

enum find_chat_tool { FIND_CHAT_TOOL_PRODUCTS, FIND_CHAT_TOOL_POSTS, FIND_CHAT_TOOL__MAX };

struct find_chat_tool_query {
	enum find_chat_tool tool;
	char text[FIND_CHAT_TOOL_TEXT_MAX + 1];
	struct find_filter filter; /* release with find_filter_release */
};

/* The tools array of a completion request (new object, caller owns). */
json_object *find_chat_tools_json(void);
/* A tool call's name and JSON arguments checked against the tool's schema:
 * known members only, right types, bounds. 0 with query filled (release
 * its filter), or -1 with problem written (query left empty). */
int find_chat_tool_parse(const char *name, const char *arguments, struct find_chat_tool_query *query, char *problem,
	size_t problem_size);

/* Streaming citations: text in, text without markers out, cited ids kept
 * in order (each once, at most FIND_CHAT_CITES_MAX per kind). A marker cut
 * across deltas is held back until it is complete or proves not to be one. */
#define FIND_CHAT_CITES_MAX 10
#define FIND_CHAT_CITE_HOLD_MAX 240

struct find_chat_cites {
	char held[FIND_CHAT_CITE_HOLD_MAX + 1];
	size_t held_length;
	json_object *products; /* cited ids, strings */
	json_object *posts;
};

void find_chat_cites_init(struct find_chat_cites *cites);
void find_chat_cites_release(struct find_chat_cites *cites);
/* Appends the visible part of text to out (a json-c printbuf-like growing
 * buffer is overkill: out_size must be at least length + FIND_CHAT_CITE_HOLD_MAX
 * + 1). Returns the visible length written. */
size_t find_chat_cites_feed(struct find_chat_cites *cites, const char *text, size_t length, char *out,
	size_t out_size);
/* Whatever is held at the end of the answer, as text. */
size_t find_chat_cites_finish(struct find_chat_cites *cites, char *out, size_t out_size);

/* The cards to show: the cited ids the search returned (an id it did not
 * return is dropped and counted in *dropped), or, when nothing was cited,
 * the first `fallback_count` returned ones. returned_ids and
 * returned_documents are parallel arrays; the result holds documents
 * (new array, references taken). */
json_object *find_chat_cards_select(json_object *cited_ids, json_object *returned_ids,
	json_object *returned_documents, size_t fallback_count, size_t *dropped);

#endif

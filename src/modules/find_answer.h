/* The chat answer, decided without a database: which prompt applies, what
 * the intro says, whether products and posts are shown, and how the intro
 * is cut into text_delta chunks for streaming. The chat handler gathers the
 * candidates (prompts, products, posts) and hands them here. */
#ifndef INTUKA_MODULES_FIND_ANSWER_H
#define INTUKA_MODULES_FIND_ANSWER_H

#include <stddef.h>

enum find_answer_mode {
	FIND_ANSWER_OVERRIDE, /* the canned response alone */
	FIND_ANSWER_FALLBACK, /* the canned response only when nothing else matched */
};

/* "fallback" is fallback; "override", "" and anything else is override. */
enum find_answer_mode find_answer_mode_of(const char *override_mode);

/* Whether a prompt's text is close enough to the visitor's message to
 * answer it: at least half of the prompt's significant words (3+ letters,
 * not a stop word) occur in the message, counting a word and its longer
 * forms alike ("ship" ~ "shipping", "return" ~ "returns"). FULLTEXT only
 * preselects candidates; this keeps one shared word from triggering a
 * canned answer. */
int find_answer_prompt_matches(const char *message, const char *prompt_text);

struct find_answer_input {
	const char *message;
	int handoff;                 /* the visitor asked for a person */
	int has_prompt;              /* a prompt was chosen */
	const char *canned_response; /* the chosen prompt's, may be "" */
	const char *override_mode;
	size_t product_count, post_count; /* matches found */
};

enum find_answer_source { FIND_ANSWER_MATCHES, FIND_ANSWER_CANNED, FIND_ANSWER_NOTHING, FIND_ANSWER_HANDOFF };

struct find_answer {
	enum find_answer_source source;
	int show_products, show_posts;
	char *intro; /* owned; release with find_answer_release */
};

void find_answer_compose(const struct find_answer_input *input, struct find_answer *answer);
void find_answer_release(struct find_answer *answer);

/* Where the text_delta chunk that starts at start ends: after words_per_chunk
 * words and the whitespace that follows them. Chunks joined give the text
 * back unchanged; returns start only at the end of the text. */
size_t find_answer_chunk_end(const char *text, size_t start, unsigned words_per_chunk);

/* Words per text_delta chunk. */
#define FIND_ANSWER_CHUNK_WORDS 3

#endif

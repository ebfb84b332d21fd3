/* Composing the chat answer from what was found: prompt modes, the intro
 * text and its streaming chunks. */
#include "modules/find_answer.h"
#include "core/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIND_ANSWER_QUOTE_MAX 80
#define FIND_ANSWER_WORDS_MAX 64

enum find_answer_mode find_answer_mode_of(const char *override_mode)
{
	return override_mode != NULL && strcmp(override_mode, "fallback") == 0 ? FIND_ANSWER_FALLBACK
									       : FIND_ANSWER_OVERRIDE;
}

/* ---------------------------------------------------------------- prompt match */

static const char *const find_answer_stop_words[] = {"the", "and", "you", "your", "are", "for", "what", "how",
	"can", "with", "have", "has", "does", "this", "that", "there", "from", "about", "our", "any", "please",
	"tell", "know", "want", "would", "like", "need", "get", "not", "was", "were", "will", "which", "who", "why",
	"when", "where", "its", "they", "their", "them", "into", "some", "but", "all", "out", "is", NULL};

struct find_answer_words {
	char words[FIND_ANSWER_WORDS_MAX][32];
	size_t count;
};

static int find_answer_is_stop_word(const char *word)
{
	for (size_t i = 0; find_answer_stop_words[i]; i++)
		if (strcmp(find_answer_stop_words[i], word) == 0)
			return 1;
	return 0;
}

/* Lowercased significant words of text, each once. Bytes of multi-byte
 * UTF-8 characters count as letters. */
static void find_answer_split(const char *text, struct find_answer_words *out)
{
	out->count = 0;
	const unsigned char *cursor = (const unsigned char *)text;
	while (*cursor && out->count < FIND_ANSWER_WORDS_MAX) {
		while (*cursor && !(isalnum(*cursor) || *cursor >= 0x80))
			cursor++;
		char word[32];
		size_t length = 0;
		while (*cursor && (isalnum(*cursor) || *cursor >= 0x80)) {
			if (length + 1 < sizeof(word))
				word[length++] = (char)tolower(*cursor);
			cursor++;
		}
		word[length] = '\0';
		if (length < 3 || find_answer_is_stop_word(word))
			continue;
		int seen = 0;
		for (size_t i = 0; i < out->count && !seen; i++)
			seen = strcmp(out->words[i], word) == 0;
		if (!seen)
			memcpy(out->words[out->count++], word, length + 1);
	}
}

static int find_answer_words_alike(const char *a, const char *b)
{
	size_t a_length = strlen(a), b_length = strlen(b);
	const char *shorter = a_length <= b_length ? a : b, *longer = a_length <= b_length ? b : a;
	size_t shorter_length = a_length <= b_length ? a_length : b_length;
	if (a_length == b_length)
		return strcmp(a, b) == 0;
	return shorter_length >= 4 && strncmp(shorter, longer, shorter_length) == 0;
}

int find_answer_prompt_matches(const char *message, const char *prompt_text)
{
	struct find_answer_words message_words, prompt_words;
	find_answer_split(message, &message_words);
	find_answer_split(prompt_text, &prompt_words);
	if (prompt_words.count == 0 || message_words.count == 0)
		return 0;
	size_t found = 0;
	for (size_t p = 0; p < prompt_words.count; p++) {
		int hit = 0;
		for (size_t m = 0; m < message_words.count && !hit; m++)
			hit = find_answer_words_alike(prompt_words.words[p], message_words.words[m]);
		found += (size_t)hit;
	}
	return found * 2 >= prompt_words.count;
}

/* ---------------------------------------------------------------- intro */

/* The message as quoted in the intro: one line, at most 80 bytes, cut on a
 * UTF-8 character boundary. */
static void find_answer_quote(const char *message, char *out, size_t out_size)
{
	size_t used = 0, limit = out_size - 4 < FIND_ANSWER_QUOTE_MAX ? out_size - 4 : FIND_ANSWER_QUOTE_MAX;
	const char *cursor = message;
	while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n')
		cursor++;
	for (; *cursor && used < limit; cursor++)
		out[used++] = (*cursor == '\r' || *cursor == '\n' || *cursor == '\t') ? ' ' : *cursor;
	int cut = *cursor != '\0';
	if (cut && ((unsigned char)*cursor & 0xC0) == 0x80) { /* stopped inside a character: drop its start */
		while (used > 0 && ((unsigned char)out[used - 1] & 0xC0) == 0x80)
			used--;
		if (used > 0)
			used--;
	}
	while (used > 0 && (out[used - 1] == ' ' || out[used - 1] == '?' || out[used - 1] == '.' || out[used - 1] == '!'))
		used--;
	out[used] = '\0';
	if (cut)
		memcpy(out + used, "...", 4);
}

/* before + "quoted" + after, in a new string. */
static char *find_answer_quoted_text(const char *before, const char *quoted, const char *after)
{
	int length = snprintf(NULL, 0, "%s\"%s\"%s", before, quoted, after);
	char *text = xmalloc((size_t)length + 1);
	snprintf(text, (size_t)length + 1, "%s\"%s\"%s", before, quoted, after);
	return text;
}

void find_answer_compose(const struct find_answer_input *input, struct find_answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	if (input->handoff) {
		answer->source = FIND_ANSWER_HANDOFF;
		answer->intro = xstrdup("I'll connect you with a member of our team. Someone will get back to you "
					"in this conversation.");
		return;
	}
	int canned = input->has_prompt && input->canned_response != NULL && input->canned_response[0] != '\0';
	size_t matches = input->product_count + input->post_count;
	if (canned && (find_answer_mode_of(input->override_mode) == FIND_ANSWER_OVERRIDE || matches == 0)) {
		answer->source = FIND_ANSWER_CANNED;
		answer->intro = xstrdup(input->canned_response);
		return;
	}
	char quoted[FIND_ANSWER_QUOTE_MAX + 8];
	find_answer_quote(input->message, quoted, sizeof(quoted));
	if (matches == 0) {
		answer->source = FIND_ANSWER_NOTHING;
		answer->intro = find_answer_quoted_text("I couldn't find anything matching ", quoted,
			". Try other words, or ask to talk to a human.");
		return;
	}
	answer->source = FIND_ANSWER_MATCHES;
	answer->show_products = input->product_count > 0;
	answer->show_posts = input->post_count > 0;
	const char *before = !answer->show_posts ? "Here are some products that match "
			     : !answer->show_products ? "Here are some articles that match "
						      : "Here are some products and articles that match ";
	answer->intro = find_answer_quoted_text(before, quoted, ":");
}

void find_answer_release(struct find_answer *answer)
{
	free(answer->intro);
	answer->intro = NULL;
}

size_t find_answer_chunk_end(const char *text, size_t start, unsigned words_per_chunk)
{
	size_t at = start;
	if (words_per_chunk == 0)
		words_per_chunk = 1;
	for (unsigned word = 0; word < words_per_chunk && text[at]; word++) {
		while (text[at] && isspace((unsigned char)text[at]))
			at++;
		while (text[at] && !isspace((unsigned char)text[at]))
			at++;
	}
	while (text[at] && isspace((unsigned char)text[at]))
		at++;
	return at;
}

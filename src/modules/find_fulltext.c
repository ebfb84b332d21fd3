/* Tenant-scoped FULLTEXT tokens for indexing and for queries. */
#include "modules/find_fulltext.h"
#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

/* InnoDB's default stopword list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD). */
static const char *const find_fulltext_stopwords[] = {"a", "about", "an", "are", "as", "at", "be", "by", "com",
	"de", "en", "for", "from", "how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to",
	"was", "what", "when", "where", "who", "will", "with", "und", "www"};

static int find_fulltext_word_byte(unsigned char c)
{
	/* Letters, digits, and every byte of a multi-byte UTF-8 character. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int find_fulltext_stopword(const char *word, size_t length)
{
	for (size_t i = 0; i < sizeof(find_fulltext_stopwords) / sizeof(find_fulltext_stopwords[0]); i++)
		if (strlen(find_fulltext_stopwords[i]) == length && memcmp(find_fulltext_stopwords[i], word, length) == 0)
			return 1;
	return 0;
}

/* The next kept word of text from *position on, lowercased into word
 * (FIND_FULLTEXT_MAX_WORD_BYTES + 1 bytes); returns its length, 0 at the end. */
static size_t find_fulltext_next_word(const char *text, size_t text_length, size_t *position, char *word)
{
	while (*position < text_length) {
		while (*position < text_length && !find_fulltext_word_byte((unsigned char)text[*position]))
			(*position)++;
		size_t start = *position;
		while (*position < text_length && find_fulltext_word_byte((unsigned char)text[*position]))
			(*position)++;
		size_t length = *position - start;
		if (length > FIND_FULLTEXT_MAX_WORD_BYTES) {
			length = FIND_FULLTEXT_MAX_WORD_BYTES;
			while (length > 0 && ((unsigned char)text[start + length] & 0xC0) == 0x80)
				length--; /* never cut a character in two */
		}
		for (size_t i = 0; i < length; i++) {
			char c = text[start + i];
			word[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		word[length] = '\0';
		if (length >= FIND_FULLTEXT_MIN_WORD_BYTES && !find_fulltext_stopword(word, length))
			return length;
	}
	return 0;
}

static int find_fulltext_has_token(const char *query, const char *token, size_t length)
{
	for (const char *cursor = query; *cursor != '\0';) {
		if (*cursor == '+')
			cursor++;
		size_t seen = strcspn(cursor, " ");
		if (seen == length && memcmp(cursor, token, length) == 0)
			return 1;
		cursor += seen;
		while (*cursor == ' ')
			cursor++;
	}
	return 0;
}

int find_fulltext_query(uint64_t tenant_id, const char *text, size_t text_length, enum find_fulltext_mode mode,
	char *out, size_t out_size)
{
	if (out_size == 0)
		return -1;
	out[0] = '\0';
	size_t used = 0, position = 0, length;
	int words = 0;
	char word[FIND_FULLTEXT_MAX_WORD_BYTES + 1], token[FIND_FULLTEXT_MAX_WORD_BYTES + 32];
	while (words < FIND_FULLTEXT_MAX_QUERY_WORDS && (length = find_fulltext_next_word(text, text_length, &position, word))) {
		int token_length = snprintf(token, sizeof(token), "t%llux%s", (unsigned long long)tenant_id, word);
		/* Repeated words add nothing to an AND and only skew an OR. */
		if (token_length < 0 || find_fulltext_has_token(out, token, (size_t)token_length))
			continue;
		size_t needed = (used > 0) + (mode == FIND_FULLTEXT_ALL_WORDS) + (size_t)token_length + 1;
		if (used + needed > out_size)
			return -1;
		if (used > 0)
			out[used++] = ' ';
		if (mode == FIND_FULLTEXT_ALL_WORDS)
			out[used++] = '+';
		memcpy(out + used, token, (size_t)token_length + 1);
		used += (size_t)token_length;
		words++;
	}
	return words;
}

char *find_fulltext_index_words(uint64_t tenant_id, const char *const *texts, size_t text_count)
{
	char prefix[32];
	int prefix_length = snprintf(prefix, sizeof(prefix), "t%llux", (unsigned long long)tenant_id);
	/* Each word of n >= 2 bytes becomes prefix + n + a space: at most
	 * (prefix + 3) / 3 times the text's size, plus one. */
	size_t capacity = 1;
	for (size_t i = 0; i < text_count; i++)
		if (texts[i] != NULL)
			capacity += strlen(texts[i]) * (size_t)(prefix_length + 3) / 2 + 1;
	char *out = xmalloc(capacity);
	size_t used = 0;
	char word[FIND_FULLTEXT_MAX_WORD_BYTES + 1];
	for (size_t i = 0; i < text_count; i++) {
		if (texts[i] == NULL)
			continue;
		size_t text_length = strlen(texts[i]), position = 0, length;
		while ((length = find_fulltext_next_word(texts[i], text_length, &position, word)) > 0) {
			if (used + (used > 0) + (size_t)prefix_length + length + 1 > capacity)
				break; /* cannot happen with the bound above; never overrun */
			if (used > 0)
				out[used++] = ' ';
			memcpy(out + used, prefix, (size_t)prefix_length);
			used += (size_t)prefix_length;
			memcpy(out + used, word, length);
			used += length;
		}
	}
	out[used] = '\0';
	return out;
}

/* Building FULLTEXT boolean queries from what a visitor typed. */
#include "modules/find_fulltext.h"

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

static int find_fulltext_has_word(const char *query, const char *word, size_t length)
{
	for (const char *cursor = query; *cursor != '\0';) {
		if (*cursor == '+')
			cursor++;
		size_t seen = strcspn(cursor, " ");
		if (seen == length && memcmp(cursor, word, length) == 0)
			return 1;
		cursor += seen;
		while (*cursor == ' ')
			cursor++;
	}
	return 0;
}

int find_fulltext_query(const char *text, size_t text_length, enum find_fulltext_mode mode, char *out,
	size_t out_size)
{
	if (out_size == 0)
		return -1;
	size_t used = 0;
	int words = 0;
	out[0] = '\0';
	for (size_t position = 0; position < text_length && words < FIND_FULLTEXT_MAX_WORDS;) {
		while (position < text_length && !find_fulltext_word_byte((unsigned char)text[position]))
			position++;
		size_t start = position;
		while (position < text_length && find_fulltext_word_byte((unsigned char)text[position]))
			position++;
		size_t length = position - start;
		if (length == 0)
			break;
		char word[256];
		if (length >= sizeof(word))
			length = sizeof(word) - 1;
		for (size_t i = 0; i < length; i++) {
			char c = text[start + i];
			word[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		if (length < FIND_FULLTEXT_MIN_WORD_BYTES || find_fulltext_stopword(word, length))
			continue;
		/* Repeated words add nothing to an AND and only skew an OR. */
		if (find_fulltext_has_word(out, word, length))
			continue;
		size_t needed = (used > 0) + (mode == FIND_FULLTEXT_ALL_WORDS) + length + 1;
		if (used + needed > out_size)
			return -1;
		if (used > 0)
			out[used++] = ' ';
		if (mode == FIND_FULLTEXT_ALL_WORDS)
			out[used++] = '+';
		memcpy(out + used, word, length);
		used += length;
		out[used] = '\0';
		words++;
	}
	return words;
}

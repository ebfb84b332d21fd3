/* Search text -> a MariaDB FULLTEXT boolean-mode query. Searches first ask
 * for every word ("+wireless +headphones": precise, and cheap because the
 * match set is small), and only when that finds nothing for any word
 * ("wireless headphones"). Words the index never holds (shorter than
 * innodb_ft_min_token_size, or InnoDB's default stopwords) are left out:
 * "+the" would match nothing. Operators in the text are never passed on. */
#ifndef INTUKA_MODULES_FIND_FULLTEXT_H
#define INTUKA_MODULES_FIND_FULLTEXT_H

#include <stddef.h>

#define FIND_FULLTEXT_MIN_WORD_BYTES 3
#define FIND_FULLTEXT_MAX_WORDS 32

enum find_fulltext_mode { FIND_FULLTEXT_ALL_WORDS, FIND_FULLTEXT_ANY_WORD };

/* Writes the query for mode into out; returns the number of words in it
 * (0: nothing searchable), or -1 when out is too small. */
int find_fulltext_query(const char *text, size_t text_length, enum find_fulltext_mode mode, char *out,
	size_t out_size);

#endif

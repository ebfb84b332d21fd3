/* Search words for MariaDB FULLTEXT, scoped to a tenant.
 *
 * InnoDB keeps one FULLTEXT index per table, shared by every tenant: a
 * search for "headphones" would read the postings of every tenant's
 * headphones before the tenant_id condition drops them, so one tenant's
 * search would slow down as others grow. Instead each indexed word is
 * stored as "t<tenant id>x<word>" (in search_name / search_text), and
 * queries ask for the same tokens: a tenant's search reads only its own
 * postings, and relevance statistics are per tenant. As a bonus, short
 * words ("tv", "4k") become long enough to be indexed.
 *
 * A search first asks for every word ("+t7xwireless +t7xheadphones":
 * precise, and cheap because the match set is small) and, only when that
 * finds nothing, for any word. Words are letters, digits and multi-byte
 * UTF-8 characters; ASCII is lowercased; single characters and InnoDB's
 * default stopwords are left out on both sides; no character of the text
 * acts as a FULLTEXT operator. */
#ifndef INTUKA_MODULES_FIND_FULLTEXT_H
#define INTUKA_MODULES_FIND_FULLTEXT_H

#include <stddef.h>
#include <stdint.h>

#define FIND_FULLTEXT_MIN_WORD_BYTES 2
/* innodb_ft_max_token_size is 84 characters; "t<20 digits>x" takes 22. */
#define FIND_FULLTEXT_MAX_WORD_BYTES 60
#define FIND_FULLTEXT_MAX_QUERY_WORDS 32
/* Room for a query of FIND_FULLTEXT_MAX_QUERY_WORDS words. */
#define FIND_FULLTEXT_QUERY_MAX (FIND_FULLTEXT_MAX_QUERY_WORDS * (FIND_FULLTEXT_MAX_WORD_BYTES + 25) + 1)

enum find_fulltext_mode { FIND_FULLTEXT_ALL_WORDS, FIND_FULLTEXT_ANY_WORD };

/* Writes the boolean-mode query for mode into out; returns the number of
 * words in it (0: nothing searchable), or -1 when out is too small. */
int find_fulltext_query(uint64_t tenant_id, const char *text, size_t text_length, enum find_fulltext_mode mode,
	char *out, size_t out_size);
/* The indexed form of the given texts (NULL entries skipped): every word as
 * a tenant token, space-separated, repeats kept (they weigh in relevance).
 * Returns a malloc'd string ("" when there are no words) the caller frees. */
char *find_fulltext_index_words(uint64_t tenant_id, const char *const *texts, size_t text_count);

#endif

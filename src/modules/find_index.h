/* The find search index, pure part: words and their impacts, the packed
 * postings of one bucket, the query plan (positions, alternatives, boosts)
 * and the walk that ranks top-k with early termination, counts up to a
 * bound and estimates past it. No database here: find_index_store.c reads
 * and writes the two tables (find_search_terms, find_search_postings) and
 * hands postings to the walk through struct find_index_source, so every
 * rule below is unit-tested on its own.
 *
 * Layout (docs/search.md has the why): every product or post has a search
 * document number, 32 bits spread uniformly at random over the tenant's
 * range. A term's postings are cut into 2^bits buckets by the top bits of
 * the document number, so the bucket of a document is known without a
 * lookup and a range of documents is a range of buckets. Because numbers
 * are random, the first fraction f of the range holds a uniform sample of
 * f of the matches: the walk counts exactly until the bound, then
 * estimates the total as matches seen / f. Each bucket keeps its highest
 * impact and each term its highest: the walk stops when no document left
 * can enter the top k (MaxScore over terms, block-max over buckets). */
#ifndef INTUKA_MODULES_FIND_INDEX_H
#define INTUKA_MODULES_FIND_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* ----------------------------------------------------------------- words */

#define FIND_INDEX_WORD_MIN_BYTES 2
#define FIND_INDEX_WORD_MAX_BYTES 60
/* A term is a word, or two words of the name joined by a space (a pair:
 * it ranks phrases), so at most two words and a space. */
#define FIND_INDEX_TERM_MAX_BYTES (2 * FIND_INDEX_WORD_MAX_BYTES + 1)
#define FIND_INDEX_QUERY_WORDS_MAX 32
/* Typo tolerance: one edit, for words of at least this many letters (no digits). */
#define FIND_INDEX_TYPO_MIN_CHARS 5

/* The next word of text from *position on, lowercased into word (at least
 * FIND_INDEX_WORD_MAX_BYTES + 1 bytes); returns its length, 0 at the end.
 * Words are runs of letters, digits and multi-byte UTF-8 characters; ASCII is
 * lowercased; with keep_short, single characters and stopwords are returned
 * too (a prefix being typed), otherwise skipped. *ended_by_separator tells
 * whether a separator followed the word (NULL allowed). */
size_t find_index_next_word(const char *text, size_t text_length, size_t *position, char *word, int keep_short,
	int *ended_by_separator);
int find_index_is_stopword(const char *word, size_t length);

/* The words of a search text and how each may match. */
struct find_index_text {
	char words[FIND_INDEX_QUERY_WORDS_MAX][FIND_INDEX_WORD_MAX_BYTES + 1];
	int count;
	int last_is_prefix; /* the text ends inside its last word: it is being typed */
};

/* Splits text into query words (repeats once). The last word is kept even
 * when short or a stopword if it is being typed. */
void find_index_text_parse(const char *text, size_t text_length, struct find_index_text *out);

/* ---------------------------------------------------------- document terms */

/* The impact of a term in a document: BM25 term-frequency saturation over
 * both fields at once (a word of the name counts three times), normalised by
 * the document's length, quantised to 1..255. */
#define FIND_INDEX_NAME_WEIGHT 3
uint8_t find_index_impact(unsigned name_count, unsigned text_count, unsigned document_words);

struct find_index_term {
	char term[FIND_INDEX_TERM_MAX_BYTES + 1];
	uint8_t impact;
};

/* The distinct terms of one document, sorted by term (strcmp). */
struct find_index_terms {
	struct find_index_term *items;
	size_t count;
};

/* Terms of a document: the words of name (weighted), the words of the other
 * texts (NULL entries skipped), and the pairs of adjacent name words. */
void find_index_terms_build(const char *name, const char *const *texts, size_t text_count,
	struct find_index_terms *out);
void find_index_terms_release(struct find_index_terms *terms);

/* What changes between the terms a document was indexed with and its new
 * ones: each entry a term with its new impact, or 0 when it goes. Terms whose
 * impact is the same are not listed. Sorted by term. */
void find_index_terms_diff(const struct find_index_terms *old_terms, const struct find_index_terms *new_terms,
	struct find_index_terms *changes);

/* ---------------------------------------------------------------- buckets */

/* Buckets per term: 2^bits, chosen from the term's document count so a bucket
 * holds 32-256 postings on average; a term changes its bits only when it
 * leaves that band (hysteresis), and is then rewritten whole. */
#define FIND_INDEX_BUCKET_TARGET 128
#define FIND_INDEX_BUCKET_BITS_MAX 20
unsigned find_index_bucket_bits_for(uint32_t documents, unsigned current_bits);
uint32_t find_index_bucket_of(uint32_t doc, unsigned bits);
/* First document number of bucket in a term of bits (the last is first of the next - 1). */
uint64_t find_index_bucket_first(uint32_t bucket, unsigned bits);

/* Range maxima: the number range cut into FIND_INDEX_RANGES equal ranges (the
 * top FIND_INDEX_RANGE_BITS bits of a number). A term of at least
 * FIND_INDEX_RANGE_MAXIMA_MIN_BITS bucket bits keeps, in its statistics row,
 * the highest impact of its postings in each range (an upper bound: a
 * removal may leave it stale, never too low), so a search bounds the
 * blocks of its words without reading the buckets' headers. */
#define FIND_INDEX_RANGE_BITS 8
#define FIND_INDEX_RANGES (1u << FIND_INDEX_RANGE_BITS)
#define FIND_INDEX_RANGE_MAXIMA_MIN_BITS 4
uint32_t find_index_range_of(uint32_t doc);
/* Raises maxima (FIND_INDEX_RANGES bytes) to the impact of every posting. */
void find_index_range_maxima_add(uint8_t *maxima, const uint32_t *docs, const uint8_t *impacts, size_t count);
/* The bound of each bucket of a term of bits from first_bucket to its last,
 * from its range maxima (the highest of the ranges a bucket overlaps). */
void find_index_range_maxima_to_buckets(const uint8_t *ranges, unsigned bits, uint64_t first_bucket,
	uint8_t *bucket_maxima);

/* A bucket decoded: documents ascending, each with its impact. */
struct find_index_postings {
	uint32_t *docs;
	uint8_t *impacts;
	size_t count, capacity;
};

void find_index_postings_release(struct find_index_postings *postings);
void find_index_postings_clear(struct find_index_postings *postings);
/* Adds or replaces doc (impact > 0) or removes it (impact 0). */
void find_index_postings_set(struct find_index_postings *postings, uint32_t doc, uint8_t impact);
void find_index_postings_append(struct find_index_postings *postings, uint32_t doc, uint8_t impact);
uint8_t find_index_postings_max_impact(const struct find_index_postings *postings);

/* Packed form: a varint count, then per posting the varint gap from the
 * previous document (the first from 0) and its impact byte. Returns a
 * malloc'd buffer and its length. */
unsigned char *find_index_postings_encode(const struct find_index_postings *postings, size_t *length);
/* Appends the postings of a packed bucket; -1 when it is malformed. */
int find_index_postings_decode(const unsigned char *data, size_t length, struct find_index_postings *out);

/* --------------------------------------------------------------- doc numbers */

/* A bijection of the 32-bit numbers: the n-th document of a bulk load gets
 * find_index_doc_number(n), spread over the range like random numbers and
 * never twice the same. New documents draw a random number instead. */
uint32_t find_index_doc_number(uint32_t sequence);

/* ------------------------------------------------------------------ typos */

/* 1 when a and b (UTF-8) are at most one edit apart: one character inserted,
 * removed, replaced, or two adjacent ones swapped. */
int find_index_one_edit(const char *a, const char *b);
/* 1 when word may be corrected: at least FIND_INDEX_TYPO_MIN_CHARS characters, no digit. */
int find_index_typo_candidate(const char *word);
/* Splits word for the typo lookup: every term one edit away begins with
 * prefix or ends with suffix (both written, characters whole). */
void find_index_typo_keys(const char *word, char *prefix, size_t prefix_size, char *suffix, size_t suffix_size);
/* The characters of text in reverse order (each character's bytes kept in
 * order), for the reversed-term index. */
void find_index_reverse_chars(const char *text, char *out, size_t out_size);

/* ------------------------------------------------------------------ query */

#define FIND_INDEX_ALTERNATIVES_MAX 24 /* per position: the word, its typo or prefix alternatives */
#define FIND_INDEX_QUERY_TERMS_MAX 96
#define FIND_INDEX_TOP_MAX 100
/* Weights of alternatives to the word as typed. */
#define FIND_INDEX_WEIGHT_PREFIX 0.9
#define FIND_INDEX_WEIGHT_TYPO 0.7
#define FIND_INDEX_WEIGHT_PAIR 0.5 /* a pair of query words side by side in the name */

/* One term the walk reads: its statistics (from find_search_terms) and the
 * postings fetched so far. position: the query word it stands for, or -1
 * for a boost (a pair) that adds to the score but is never required. */
struct find_index_query_term {
	char term[FIND_INDEX_TERM_MAX_BYTES + 1];
	int position;
	double weight;
	uint32_t documents;
	uint8_t max_impact;
	unsigned bits;
	double idf;
	/* FIND_INDEX_RANGES bytes (owned), or NULL: the walk asks the source
	 * for the bucket maxima instead. */
	uint8_t *range_maxima;
	/* Walk state: postings of documents from the walk's current start on,
	 * and the first bucket not fetched yet. */
	struct find_index_postings postings;
	size_t cursor;
	uint64_t next_bucket;
};

enum find_index_mode { FIND_INDEX_ALL_WORDS, FIND_INDEX_ANY_WORD };

struct find_index_query {
	enum find_index_mode mode;
	int positions;
	struct find_index_query_term terms[FIND_INDEX_QUERY_TERMS_MAX];
	size_t term_count;
	uint64_t collection_documents; /* the tenant's live products or posts, for idf */
};

/* Adds a term to the query (ignored when full or already there for that
 * position); returns its index or -1. */
int find_index_query_add(struct find_index_query *query, const char *term, int position, double weight,
	uint32_t documents, uint8_t max_impact, unsigned bits);
/* Gives term index its range maxima (copied). */
void find_index_query_set_range_maxima(struct find_index_query *query, int index, const uint8_t *maxima);
/* idf of every term (BM25's, from documents and collection_documents). */
void find_index_query_prepare(struct find_index_query *query);
/* 1 when some required position has no term with postings: nothing can match. */
int find_index_query_impossible(const struct find_index_query *query);
void find_index_query_release(struct find_index_query *query);

/* One bucket of one term the walk wants. */
struct find_index_bucket_request {
	uint32_t term; /* index in query->terms */
	uint32_t bucket;
};

/* Where the walk gets postings and checks documents. fetch reads the
 * requested buckets (grouped by term, buckets ascending within a term) and
 * appends their postings to terms[term].postings in that order. maxima (may
 * be NULL: no block-max) sets, for each term i with maxima[i] not NULL, the
 * highest impact of each of its buckets from first_bucket[i] to its last
 * (0 for a bucket with no postings). verify (may be NULL: every document
 * passes) sets passed[j] for the documents that pass what the index does not
 * know (workspace, filters, visibility). Each returns 0, or non-zero to stop
 * the walk with that value. */
struct find_index_source {
	int (*fetch)(void *context, struct find_index_query *query, const struct find_index_bucket_request *requests,
		size_t count);
	int (*maxima)(void *context, const struct find_index_query *query, const uint64_t *first_bucket,
		uint8_t *const *maxima);
	int (*verify)(void *context, const uint32_t *docs, size_t count, uint8_t *passed);
	void *context;        /* of fetch and maxima */
	void *verify_context; /* of verify */
};

struct find_index_hit {
	uint32_t doc;
	double score;
};

struct find_index_result {
	struct find_index_hit top[FIND_INDEX_TOP_MAX]; /* best first */
	size_t top_count;
	uint64_t matches_counted; /* matching documents seen while counting */
	uint64_t total;           /* exact, or the estimate when total_is_exact is 0 */
	int total_is_exact;
	/* The matches seen while counting (document order, a uniform sample of
	 * the match set when the walk stopped counting), for facets. */
	uint32_t *sample;
	size_t sample_count;
	int sample_is_all; /* the sample is every match */
	uint64_t postings_read; /* for the access log and tests: work done */
};

struct find_index_limits {
	size_t top_k;             /* 1..FIND_INDEX_TOP_MAX */
	uint64_t total_bound;     /* count exactly up to this many matches */
	/* When not 0: counting may stop once this many matches are counted and
	 * the total is past total_bound beyond doubt (its estimate less four
	 * standard deviations of the sampled count is), so a broad query does
	 * not read the buckets of total_bound matches to report an estimate. */
	uint64_t estimate_after;
	size_t sample_max;        /* matches kept for facets */
	uint64_t round_postings;  /* postings of the rarest word per fetch, at first */
};

/* Walks the query: fills result (release with find_index_result_release).
 * Returns 0, or the non-zero value a source callback stopped it with. */
int find_index_walk(struct find_index_query *query, const struct find_index_limits *limits,
	const struct find_index_source *source, struct find_index_result *result);
void find_index_result_release(struct find_index_result *result);

/* The total reported when the walk stopped counting at fraction (0, 1] of
 * the document range with matches counted: matches / fraction, never less
 * than the matches seen. */
uint64_t find_index_estimate_total(uint64_t matches, double fraction);

#endif

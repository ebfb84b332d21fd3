/* The find search index's pure logic: words, impacts, packed buckets,
 * typo edits, and the top-k walk checked against a brute-force ranking. */
#include "unit_suites.h"
#include "modules/find_index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t words_of(const char *text, char out[][FIND_INDEX_WORD_MAX_BYTES + 1], size_t max)
{
	size_t count = 0, position = 0;
	char word[FIND_INDEX_WORD_MAX_BYTES + 1];
	while (count < max && find_index_next_word(text, strlen(text), &position, word, 0, NULL) > 0)
		strcpy(out[count++], word);
	return count;
}

static void words_are_lowercased_and_stopwords_and_single_characters_left_out(void)
{
	char words[8][FIND_INDEX_WORD_MAX_BYTES + 1];
	CU_ASSERT_EQUAL(words_of("the best TV for a 4k room", words, 8), 4);
	CU_ASSERT_STRING_EQUAL(words[0], "best");
	CU_ASSERT_STRING_EQUAL(words[1], "tv");
	CU_ASSERT_STRING_EQUAL(words[2], "4k");
	CU_ASSERT_STRING_EQUAL(words[3], "room");
	CU_ASSERT_EQUAL(words_of("-kettle +\"steel\" (lamp*) LG-G915", words, 8), 5);
	CU_ASSERT_STRING_EQUAL(words[4], "g915");
	CU_ASSERT_EQUAL(words_of("crème brûlée", words, 8), 2);
	CU_ASSERT_STRING_EQUAL(words[0], "crème");
}

static void a_typed_short_word_is_kept_only_when_asked(void)
{
	size_t position = 0;
	char word[FIND_INDEX_WORD_MAX_BYTES + 1];
	int ended = 1;
	CU_ASSERT_EQUAL(find_index_next_word("h", 1, &position, word, 0, &ended), 0);
	position = 0;
	CU_ASSERT_EQUAL(find_index_next_word("h", 1, &position, word, 1, &ended), 1);
	CU_ASSERT_FALSE(ended);
	position = 0;
	CU_ASSERT_EQUAL(find_index_next_word("lamp ", 5, &position, word, 1, &ended), 4);
	CU_ASSERT_TRUE(ended);
}

static void a_search_text_keeps_each_word_once_and_the_word_being_typed(void)
{
	struct find_index_text text;
	find_index_text_parse("Wireless wireless HEADPH", 24, &text);
	CU_ASSERT_EQUAL_FATAL(text.count, 2);
	CU_ASSERT_STRING_EQUAL(text.words[0], "wireless");
	CU_ASSERT_STRING_EQUAL(text.words[1], "headph");
	CU_ASSERT_TRUE(text.last_is_prefix);
	/* A separator after the last word: nothing is being typed. */
	find_index_text_parse("lamp for the desk ", 18, &text);
	CU_ASSERT_EQUAL_FATAL(text.count, 2);
	CU_ASSERT_STRING_EQUAL(text.words[1], "desk");
	CU_ASSERT_FALSE(text.last_is_prefix);
	/* A single character or a stopword being typed is kept, last. */
	find_index_text_parse("camping l", 9, &text);
	CU_ASSERT_EQUAL_FATAL(text.count, 2);
	CU_ASSERT_STRING_EQUAL(text.words[1], "l");
	CU_ASSERT_TRUE(text.last_is_prefix);
	find_index_text_parse("a the", 5, &text);
	CU_ASSERT_EQUAL(text.count, 1);
	find_index_text_parse("  ", 2, &text);
	CU_ASSERT_EQUAL(text.count, 0);
	/* At most FIND_INDEX_QUERY_WORDS_MAX words. */
	char many[40 * 6 + 1] = "";
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "w%03d ", i);
	find_index_text_parse(many, strlen(many), &text);
	CU_ASSERT_EQUAL(text.count, FIND_INDEX_QUERY_WORDS_MAX);
}

static void impact_grows_with_frequency_and_the_name_and_falls_with_length(void)
{
	CU_ASSERT_EQUAL(find_index_impact(0, 0, 10), 0);
	uint8_t text_once = find_index_impact(0, 1, 10);
	CU_ASSERT_TRUE(text_once >= 1);
	CU_ASSERT_TRUE(find_index_impact(0, 3, 10) > text_once);
	CU_ASSERT_TRUE(find_index_impact(1, 0, 10) > find_index_impact(0, 1, 10));
	CU_ASSERT_TRUE(find_index_impact(0, 1, 10) > find_index_impact(0, 1, 400));
	CU_ASSERT_TRUE(find_index_impact(1000, 1000, 1) <= 255);
}

static void document_terms_are_sorted_distinct_and_carry_name_pairs(void)
{
	struct find_index_terms terms;
	const char *texts[] = {"Great sound, wireless freedom", NULL, "Audio"};
	find_index_terms_build("Wireless Headphones m137", texts, 3, &terms);
	const char *expected[] = {"audio", "freedom", "great", "headphones", "headphones m137", "m137", "sound", "wireless",
		"wireless headphones"};
	CU_ASSERT_EQUAL_FATAL(terms.count, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < terms.count; i++)
		CU_ASSERT_STRING_EQUAL(terms.items[i].term, expected[i]);
	/* "wireless" is in the name and the text: above "sound", in the text once. */
	CU_ASSERT_TRUE(terms.items[7].impact > terms.items[6].impact);
	find_index_terms_release(&terms);
}

static void a_diff_lists_only_what_changes(void)
{
	struct find_index_terms before, after, changes;
	const char *old_texts[] = {"red lamp"};
	const char *new_texts[] = {"blue lamp"};
	find_index_terms_build("Desk", old_texts, 1, &before);
	find_index_terms_build("Desk", new_texts, 1, &after);
	find_index_terms_diff(&before, &after, &changes);
	CU_ASSERT_EQUAL_FATAL(changes.count, 2);
	CU_ASSERT_STRING_EQUAL(changes.items[0].term, "blue");
	CU_ASSERT_TRUE(changes.items[0].impact > 0);
	CU_ASSERT_STRING_EQUAL(changes.items[1].term, "red");
	CU_ASSERT_EQUAL(changes.items[1].impact, 0);
	find_index_terms_release(&changes);
	find_index_terms_diff(&before, &before, &changes);
	CU_ASSERT_EQUAL(changes.count, 0);
	find_index_terms_release(&changes);
	find_index_terms_release(&before);
	find_index_terms_release(&after);
}

static void buckets_round_trip_and_malformed_ones_are_refused(void)
{
	struct find_index_postings postings = {0}, decoded = {0};
	uint32_t docs[] = {4000000000u, 7, 0, 1u << 31, 123456};
	for (size_t i = 0; i < 5; i++)
		find_index_postings_set(&postings, docs[i], (uint8_t)(10 + i));
	find_index_postings_set(&postings, 7, 99);  /* replaces */
	find_index_postings_set(&postings, 0, 0);   /* removes */
	find_index_postings_set(&postings, 55, 0);  /* absent: nothing */
	CU_ASSERT_EQUAL_FATAL(postings.count, 4);
	CU_ASSERT_EQUAL(postings.docs[0], 7);
	CU_ASSERT_EQUAL(postings.impacts[0], 99);
	CU_ASSERT_EQUAL(postings.docs[3], 4000000000u);
	CU_ASSERT_EQUAL(find_index_postings_max_impact(&postings), 99);
	size_t length = 0;
	unsigned char *packed = find_index_postings_encode(&postings, &length);
	CU_ASSERT_EQUAL_FATAL(find_index_postings_decode(packed, length, &decoded), 0);
	CU_ASSERT_EQUAL_FATAL(decoded.count, postings.count);
	CU_ASSERT_EQUAL(memcmp(decoded.docs, postings.docs, postings.count * sizeof(uint32_t)), 0);
	CU_ASSERT_EQUAL(memcmp(decoded.impacts, postings.impacts, postings.count), 0);
	find_index_postings_clear(&decoded);
	CU_ASSERT_EQUAL(find_index_postings_decode(packed, length - 1, &decoded), -1);
	unsigned char bad_count[] = {0x7F};
	CU_ASSERT_EQUAL(find_index_postings_decode(bad_count, 1, &decoded), -1);
	free(packed);
	find_index_postings_release(&postings);
	find_index_postings_release(&decoded);
}

static void bucket_bits_keep_buckets_between_32_and_256_postings(void)
{
	CU_ASSERT_EQUAL(find_index_bucket_bits_for(1, 0), 0);
	CU_ASSERT_EQUAL(find_index_bucket_bits_for(256, 0), 0);
	CU_ASSERT_EQUAL(find_index_bucket_bits_for(257, 0), 1);
	unsigned bits = find_index_bucket_bits_for(1000000, 0);
	CU_ASSERT_TRUE(1000000 / (1u << bits) <= 256 && 1000000 / (1u << bits) >= 32);
	/* Hysteresis: a term a little under its band keeps its bits. */
	CU_ASSERT_EQUAL(find_index_bucket_bits_for(200, 1), 1);
	CU_ASSERT_EQUAL(find_index_bucket_bits_for(20, 1), 0);
	CU_ASSERT_EQUAL(find_index_bucket_of(0xFFFFFFFFu, 0), 0);
	CU_ASSERT_EQUAL(find_index_bucket_of(0xFFFFFFFFu, 4), 15);
	CU_ASSERT_EQUAL(find_index_bucket_first(15, 4), 0xF0000000ull);
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void doc_numbers_of_a_bulk_load_never_repeat_and_spread(void)
{
	enum { N = 200000 };
	uint32_t *numbers = malloc(N * sizeof(uint32_t));
	size_t low_half = 0;
	for (uint32_t i = 0; i < N; i++) {
		numbers[i] = find_index_doc_number(i + 1);
		low_half += numbers[i] < 0x80000000u;
	}
	qsort(numbers, N, sizeof(uint32_t), compare_u32);
	size_t repeats = 0;
	for (size_t i = 1; i < N; i++)
		repeats += numbers[i] == numbers[i - 1];
	CU_ASSERT_EQUAL(repeats, 0);
	CU_ASSERT_TRUE(low_half > N * 0.49 && low_half < N * 0.51);
	/* The migration's SQL computes the same mix: keep them in step. */
	CU_ASSERT_EQUAL(find_index_doc_number(1), 1753845952u);
	free(numbers);
}

static void one_edit_means_insert_delete_replace_or_swap(void)
{
	CU_ASSERT_TRUE(find_index_one_edit("headphones", "headphones"));
	CU_ASSERT_TRUE(find_index_one_edit("headphnes", "headphones"));
	CU_ASSERT_TRUE(find_index_one_edit("headphones", "headphone"));
	CU_ASSERT_TRUE(find_index_one_edit("headphonez", "headphones"));
	CU_ASSERT_TRUE(find_index_one_edit("haedphones", "headphones"));
	CU_ASSERT_FALSE(find_index_one_edit("haedphnes", "headphones"));
	CU_ASSERT_FALSE(find_index_one_edit("lantern", "lanterns!!"));
	CU_ASSERT_TRUE(find_index_one_edit("brûlée", "brulée"));
	CU_ASSERT_TRUE(find_index_typo_candidate("kettle"));
	CU_ASSERT_FALSE(find_index_typo_candidate("lamp"));
	CU_ASSERT_FALSE(find_index_typo_candidate("m1370"));
}

static void typo_keys_cover_every_one_edit_neighbour(void)
{
	const char *word = "kettle";
	const char *neighbours[] = {"ketle", "kettles", "bettle", "ektle" /* two edits: not needed */, "kettel", "ketlte",
		"kxttle", "kettlx"};
	char prefix[64], suffix[64], reversed[64];
	find_index_typo_keys(word, prefix, sizeof(prefix), suffix, sizeof(suffix));
	CU_ASSERT_STRING_EQUAL(prefix, "ket");
	CU_ASSERT_STRING_EQUAL(suffix, "le");
	for (size_t i = 0; i < sizeof(neighbours) / sizeof(neighbours[0]); i++) {
		if (!find_index_one_edit(word, neighbours[i]))
			continue;
		size_t n = strlen(neighbours[i]);
		int found = strncmp(neighbours[i], prefix, strlen(prefix)) == 0 ||
			(n >= strlen(suffix) && strcmp(neighbours[i] + n - strlen(suffix), suffix) == 0);
		CU_ASSERT_TRUE(found);
	}
	find_index_reverse_chars("brûlée", reversed, sizeof(reversed));
	CU_ASSERT_STRING_EQUAL(reversed, "eélûrb");
}

static void estimates_never_fall_under_what_was_seen(void)
{
	CU_ASSERT_EQUAL(find_index_estimate_total(1000, 0.25), 4000);
	CU_ASSERT_EQUAL(find_index_estimate_total(1000, 1.0), 1000);
	CU_ASSERT_EQUAL(find_index_estimate_total(7, 0.0), 7);
}

/* ------------------------------------------------------------ the walk */

/* An in-memory index: per term, sorted postings; fetch copies buckets. */
#define TEST_TERMS 4
struct memory_index {
	struct find_index_postings lists[TEST_TERMS];
	unsigned bits[TEST_TERMS];
	int fetches;
	int maxima_calls;
	uint32_t rejected_modulo; /* verify refuses docs divisible by this (0: none) */
};

static struct find_index_postings *memory_list(struct memory_index *index, const char *term)
{
	return &index->lists[term[0] - 'a'];
}

static int memory_fetch(void *context, struct find_index_query *query, const struct find_index_bucket_request *requests,
	size_t count)
{
	struct memory_index *index = context;
	index->fetches++;
	for (size_t r = 0; r < count; r++) {
		/* The walk asks term by term, buckets ascending, never twice. */
		if (r > 0 && requests[r].term == requests[r - 1].term)
			CU_ASSERT_TRUE(requests[r].bucket > requests[r - 1].bucket);
		struct find_index_query_term *term = &query->terms[requests[r].term];
		const struct find_index_postings *list = memory_list(index, term->term);
		for (size_t p = 0; p < list->count; p++)
			if (find_index_bucket_of(list->docs[p], term->bits) == requests[r].bucket)
				find_index_postings_append(&term->postings, list->docs[p], list->impacts[p]);
	}
	return 0;
}

static int memory_maxima(void *context, const struct find_index_query *query, const uint64_t *first,
	uint8_t *const *maxima)
{
	struct memory_index *index = context;
	index->maxima_calls++;
	for (size_t term = 0; term < query->term_count; term++) {
		if (maxima[term] == NULL)
			continue;
		const struct find_index_postings *list = memory_list(index, query->terms[term].term);
		for (size_t p = 0; p < list->count; p++) {
			uint64_t bucket = find_index_bucket_of(list->docs[p], query->terms[term].bits);
			if (bucket >= first[term] && list->impacts[p] > maxima[term][bucket - first[term]])
				maxima[term][bucket - first[term]] = list->impacts[p];
		}
	}
	return 0;
}

static int memory_verify(void *context, const uint32_t *docs, size_t count, uint8_t *passed)
{
	struct memory_index *index = context;
	for (size_t i = 0; i < count; i++)
		passed[i] = index->rejected_modulo == 0 || docs[i] % index->rejected_modulo != 0;
	return 0;
}

static uint32_t test_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 32);
}

/* Term a: 1 in 3 documents, b: 1 in 5, c: 1 in 40; impacts vary. */
static void memory_build(struct memory_index *index, size_t documents, uint64_t seed)
{
	memset(index, 0, sizeof(*index));
	uint64_t state = seed;
	uint32_t *docs = malloc(documents * sizeof(uint32_t));
	for (size_t i = 0; i < documents; i++)
		docs[i] = find_index_doc_number((uint32_t)i + 1);
	qsort(docs, documents, sizeof(uint32_t), compare_u32);
	for (size_t i = 0; i < documents; i++) {
		uint32_t r = test_random(&state);
		if (r % 3 == 0)
			find_index_postings_append(&index->lists[0], docs[i], (uint8_t)(1 + test_random(&state) % 200));
		if (r % 5 == 1)
			find_index_postings_append(&index->lists[1], docs[i], (uint8_t)(1 + test_random(&state) % 200));
		if (r % 40 == 2)
			find_index_postings_append(&index->lists[2], docs[i], (uint8_t)(1 + test_random(&state) % 200));
	}
	for (int t = 0; t < TEST_TERMS; t++)
		index->bits[t] = find_index_bucket_bits_for((uint32_t)index->lists[t].count, 0);
	free(docs);
}

static void memory_release(struct memory_index *index)
{
	for (int t = 0; t < TEST_TERMS; t++)
		find_index_postings_release(&index->lists[t]);
}

static void memory_query(struct memory_index *index, struct find_index_query *query, enum find_index_mode mode,
	const char *const *terms, int count)
{
	memset(query, 0, sizeof(*query));
	query->mode = mode;
	query->positions = count;
	query->collection_documents = 100000;
	for (int i = 0; i < count; i++) {
		const struct find_index_postings *list = memory_list(index, terms[i]);
		find_index_query_add(query, terms[i], i, 1.0, (uint32_t)list->count, find_index_postings_max_impact(list),
			index->bits[terms[i][0] - 'a']);
	}
	find_index_query_prepare(query);
}

/* The exact answer: every document scored, sorted. */
static size_t brute_force(struct memory_index *index, const struct find_index_query *query, struct find_index_hit *hits,
	size_t max)
{
	size_t count = 0;
	const struct find_index_postings *lists[TEST_TERMS];
	size_t cursors[TEST_TERMS] = {0};
	for (size_t i = 0; i < query->term_count; i++)
		lists[i] = memory_list(index, query->terms[i].term);
	for (;;) {
		uint64_t doc = UINT64_MAX;
		for (size_t i = 0; i < query->term_count; i++)
			if (cursors[i] < lists[i]->count && lists[i]->docs[cursors[i]] < doc)
				doc = lists[i]->docs[cursors[i]];
		if (doc == UINT64_MAX)
			break;
		double score = 0;
		size_t present = 0;
		for (size_t i = 0; i < query->term_count; i++)
			if (cursors[i] < lists[i]->count && lists[i]->docs[cursors[i]] == doc) {
				score += query->terms[i].weight * query->terms[i].idf * lists[i]->impacts[cursors[i]];
				present++;
				cursors[i]++;
			}
		int matches = query->mode == FIND_INDEX_ALL_WORDS ? present == query->term_count : present > 0;
		if (matches && !(index->rejected_modulo && doc % index->rejected_modulo == 0) && count < max)
			hits[count++] = (struct find_index_hit){.doc = (uint32_t)doc, .score = score};
	}
	for (size_t i = 1; i < count; i++) /* insertion sort: best first, then lower doc */
		for (size_t j = i; j > 0 && (hits[j].score > hits[j - 1].score ||
						    (hits[j].score == hits[j - 1].score && hits[j].doc < hits[j - 1].doc));
			j--) {
			struct find_index_hit swap = hits[j];
			hits[j] = hits[j - 1];
			hits[j - 1] = swap;
		}
	return count;
}

/* Range maxima for every term of query, from the index's lists, as the
 * statistics row keeps them; stale adds to each range (a removal leaves the
 * maxima high: still a bound). */
static void memory_range_maxima(struct memory_index *index, struct find_index_query *query, uint8_t stale)
{
	for (size_t t = 0; t < query->term_count; t++) {
		const struct find_index_postings *list = memory_list(index, query->terms[t].term);
		uint8_t ranges[FIND_INDEX_RANGES] = {0};
		find_index_range_maxima_add(ranges, list->docs, list->impacts, list->count);
		for (size_t r = 0; r < FIND_INDEX_RANGES && stale; r++)
			ranges[r] = ranges[r] + stale > 255 ? 255 : (uint8_t)(ranges[r] + stale);
		find_index_query_set_range_maxima(query, (int)t, ranges);
	}
}

/* The walk against brute force. ranges: 0 none, 1 exact range maxima, 2
 * stale ones; estimate_after as in find_index_limits. Returns the postings
 * the walk read. */
static uint64_t walk_and_compare_with(struct memory_index *index, enum find_index_mode mode, const char *const *terms,
	int count, uint64_t bound, int use_maxima, int expect_exact, int ranges, uint64_t estimate_after)
{
	struct find_index_query query;
	memory_query(index, &query, mode, terms, count);
	if (ranges)
		memory_range_maxima(index, &query, ranges == 2 ? 30 : 0);
	struct find_index_source source = {.fetch = memory_fetch, .maxima = use_maxima ? memory_maxima : NULL,
		.verify = memory_verify, .context = index, .verify_context = index};
	struct find_index_limits limits = {.top_k = 10, .total_bound = bound, .sample_max = 1000, .round_postings = 512,
		.estimate_after = estimate_after};
	struct find_index_result result;
	CU_ASSERT_EQUAL_FATAL(find_index_walk(&query, &limits, &source, &result), 0);
	static struct find_index_hit expected[200000];
	size_t total = brute_force(index, &query, expected, 200000);
	CU_ASSERT_EQUAL(result.total_is_exact, expect_exact);
	if (result.total_is_exact) {
		CU_ASSERT_EQUAL(result.total, total);
	} else {
		CU_ASSERT_TRUE(result.matches_counted >= (estimate_after ? estimate_after : bound));
		CU_ASSERT_TRUE(total > bound);
		/* A uniform sample: the estimate lands near the truth. */
		CU_ASSERT_TRUE(fabs((double)result.total - (double)total) < (estimate_after ? 0.25 : 0.15) * (double)total);
	}
	CU_ASSERT_EQUAL_FATAL(result.top_count, total < 10 ? total : 10);
	for (size_t i = 0; i < result.top_count; i++) {
		CU_ASSERT_EQUAL(result.top[i].doc, expected[i].doc);
		CU_ASSERT_DOUBLE_EQUAL(result.top[i].score, expected[i].score, 1e-9);
	}
	uint64_t read = result.postings_read;
	find_index_result_release(&result);
	find_index_query_release(&query);
	return read;
}

static void walk_and_compare(struct memory_index *index, enum find_index_mode mode, const char *const *terms, int count,
	uint64_t bound, int use_maxima, int expect_exact)
{
	walk_and_compare_with(index, mode, terms, count, bound, use_maxima, expect_exact, 0, 0);
}

static void the_walk_ranks_exactly_and_counts_to_the_bound_then_estimates(void)
{
	struct memory_index index;
	memory_build(&index, 60000, 42);
	const char *ab[] = {"a", "b"}, *ac[] = {"a", "c"}, *abc[] = {"a", "b", "c"};
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0);  /* ~4000 matches: estimated */
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, ac, 2, 1000, 1, 1);  /* ~500: exact */
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, abc, 3, 1000, 0, 1);
	walk_and_compare(&index, FIND_INDEX_ANY_WORD, ab, 2, 1000, 0, 0);
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, ab, 2, 100000, 1, 1); /* a bound above: exact */
	index.rejected_modulo = 3;
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0);
	walk_and_compare(&index, FIND_INDEX_ALL_WORDS, ac, 2, 1000, 0, 1);
	memory_release(&index);
}

/* Counting may stop early only when the total is surely past the bound:
 * the page stays exact, a total under the bound stays exact, and a broad
 * query reads fewer postings. */
static void an_early_estimate_keeps_the_page_and_small_totals_exact(void)
{
	struct memory_index index;
	memory_build(&index, 60000, 42);
	const char *ab[] = {"a", "b"}, *ac[] = {"a", "c"}, *bc[] = {"b", "c"};
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0, 0, 250);
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ac, 2, 1000, 1, 1, 0, 250); /* ~500: exact */
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, bc, 2, 1000, 1, 1, 0, 250); /* ~300: exact */
	walk_and_compare_with(&index, FIND_INDEX_ANY_WORD, ab, 2, 1000, 1, 0, 1, 250);
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 100000, 1, 1, 0, 250); /* a bound above: exact */
	index.rejected_modulo = 3;
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0, 1, 250);
	walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ac, 2, 1000, 0, 1, 2, 250);
	/* Equal impacts (as in a catalogue of similar names): the top is
	 * settled by the count, so the early estimate is what saves reading. */
	index.rejected_modulo = 0;
	for (int t = 0; t < TEST_TERMS; t++)
		if (index.lists[t].count > 0) /* an empty list has no array */
			memset(index.lists[t].impacts, 10, index.lists[t].count);
	uint64_t full = walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0, 0, 0);
	uint64_t early = walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0, 0, 250);
	CU_ASSERT_TRUE(early * 2 < full);
	memory_release(&index);
}

/* Range maxima, exact or stale high, rank exactly as bucket maxima do. */
static void range_maxima_rank_exactly_as_bucket_maxima(void)
{
	struct memory_index index;
	memory_build(&index, 60000, 7);
	const char *ab[] = {"a", "b"}, *ac[] = {"a", "c"}, *abc[] = {"a", "b", "c"};
	for (int ranges = 1; ranges <= 2; ranges++) {
		walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ab, 2, 1000, 1, 0, ranges, 0);
		walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, ac, 2, 1000, 0, 1, ranges, 0);
		walk_and_compare_with(&index, FIND_INDEX_ALL_WORDS, abc, 3, 1000, 0, 1, ranges, 0);
		walk_and_compare_with(&index, FIND_INDEX_ANY_WORD, ab, 2, 1000, 0, 0, ranges, 0);
	}
	memory_release(&index);
}

/* A bucket's bound is the highest of the ranges it overlaps, at any bits. */
static void range_maxima_bound_every_bucket(void)
{
	uint8_t ranges[FIND_INDEX_RANGES] = {0}, buckets[1024];
	uint32_t docs[] = {0x00000001u, 0x01ffffffu, 0x7f000000u, 0xff123456u};
	uint8_t impacts[] = {10, 20, 30, 40};
	find_index_range_maxima_add(ranges, docs, impacts, 4);
	CU_ASSERT_EQUAL(ranges[0], 10);
	CU_ASSERT_EQUAL(ranges[1], 20);
	CU_ASSERT_EQUAL(ranges[0x7f], 30);
	CU_ASSERT_EQUAL(ranges[0xff], 40);
	find_index_range_maxima_add(ranges, docs, (uint8_t[]){5, 5, 5, 5}, 4); /* never lowered */
	CU_ASSERT_EQUAL(ranges[0], 10);
	find_index_range_maxima_to_buckets(ranges, 0, 0, buckets);
	CU_ASSERT_EQUAL(buckets[0], 40);
	find_index_range_maxima_to_buckets(ranges, 1, 0, buckets);
	CU_ASSERT_EQUAL(buckets[0], 30);
	CU_ASSERT_EQUAL(buckets[1], 40);
	find_index_range_maxima_to_buckets(ranges, 8, 1, buckets);
	CU_ASSERT_EQUAL(buckets[0], 20);
	CU_ASSERT_EQUAL(buckets[1], 0);
	find_index_range_maxima_to_buckets(ranges, 10, 0, buckets);
	for (uint64_t bucket = 0; bucket < 1024; bucket++) {
		uint8_t highest = 0;
		for (size_t d = 0; d < 4; d++)
			if (find_index_bucket_of(docs[d], 10) >> 2 == bucket >> 2 && impacts[d] > highest)
				highest = impacts[d];
		CU_ASSERT_EQUAL(buckets[bucket], highest);
	}
}

static void block_max_case(int high_in_rarer, int ranged)
{
	struct memory_index index;
	memset(&index, 0, sizeof(index));
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t doc = find_index_doc_number(i + 1);
		find_index_postings_set(&index.lists[0], doc, !high_in_rarer && i == 15000 ? 250 : 10);
		if (i % 2 == 0)
			find_index_postings_set(&index.lists[1], doc, high_in_rarer && i == 15000 ? 250 : 10);
	}
	index.bits[0] = find_index_bucket_bits_for((uint32_t)index.lists[0].count, 0);
	index.bits[1] = find_index_bucket_bits_for((uint32_t)index.lists[1].count, 0);
	const char *ab[] = {"a", "b"};
	struct find_index_query query;
	memory_query(&index, &query, FIND_INDEX_ALL_WORDS, ab, 2);
	if (ranged)
		memory_range_maxima(&index, &query, 0);
	struct find_index_source source = {.fetch = memory_fetch, .maxima = memory_maxima, .context = &index};
	struct find_index_limits limits = {.top_k = 1, .total_bound = 100, .sample_max = 100, .round_postings = 256};
	struct find_index_result result;
	CU_ASSERT_EQUAL_FATAL(find_index_walk(&query, &limits, &source, &result), 0);
	CU_ASSERT_EQUAL(result.total_is_exact, 0);
	/* With range maxima in the statistics, no bucket maxima are read. */
	CU_ASSERT_EQUAL(index.maxima_calls, ranged ? 0 : 1);
	/* the count, the maxima, then one fetch of every bucket that can still beat the top */
	CU_ASSERT_TRUE(index.fetches <= 4);
	CU_ASSERT_TRUE(result.postings_read < 20000); /* not the whole lists */
	struct find_index_hit expected[20000];
	brute_force(&index, &query, expected, 20000);
	CU_ASSERT_EQUAL(result.top[0].doc, expected[0].doc);
	find_index_result_release(&result);
	find_index_query_release(&query);
	memory_release(&index);
}

/* One high-impact posting among low ones, in the rarer list or the more
 * common one: after the count, the walk reads every term's bucket maxima
 * and fetches only what can still beat the top, not the rest of the lists. */
static void block_max_skips_buckets_that_cannot_enter_the_top(void)
{
	block_max_case(1, 0);
	block_max_case(0, 0);
	block_max_case(1, 1);
	block_max_case(0, 1);
}

static void a_word_with_no_postings_matches_nothing_when_all_are_required(void)
{
	struct memory_index index;
	memory_build(&index, 1000, 7);
	const char *ad[] = {"a", "d"};
	struct find_index_query query;
	memory_query(&index, &query, FIND_INDEX_ALL_WORDS, ad, 2);
	struct find_index_source source = {.fetch = memory_fetch, .context = &index};
	struct find_index_limits limits = {.top_k = 5, .total_bound = 1000, .sample_max = 10};
	struct find_index_result result;
	CU_ASSERT_EQUAL(find_index_walk(&query, &limits, &source, &result), 0);
	CU_ASSERT_EQUAL(result.total, 0);
	CU_ASSERT_TRUE(result.total_is_exact);
	CU_ASSERT_EQUAL(index.fetches, 0);
	find_index_result_release(&result);
	find_index_query_release(&query);
	memory_release(&index);
}

int register_find_index_suite(void)
{
	static const struct unit_test tests[] = {
		{"words are lowercased, stopwords and single characters left out",
			words_are_lowercased_and_stopwords_and_single_characters_left_out},
		{"a typed short word is kept only when asked", a_typed_short_word_is_kept_only_when_asked},
		{"a search text keeps each word once and the word being typed",
			a_search_text_keeps_each_word_once_and_the_word_being_typed},
		{"impact grows with frequency and the name, falls with length",
			impact_grows_with_frequency_and_the_name_and_falls_with_length},
		{"document terms are sorted, distinct, with name pairs", document_terms_are_sorted_distinct_and_carry_name_pairs},
		{"a diff lists only what changes", a_diff_lists_only_what_changes},
		{"buckets round-trip; malformed ones are refused", buckets_round_trip_and_malformed_ones_are_refused},
		{"bucket bits keep 32-256 postings per bucket", bucket_bits_keep_buckets_between_32_and_256_postings},
		{"doc numbers of a bulk load never repeat and spread", doc_numbers_of_a_bulk_load_never_repeat_and_spread},
		{"one edit: insert, delete, replace or swap", one_edit_means_insert_delete_replace_or_swap},
		{"typo keys cover every one-edit neighbour", typo_keys_cover_every_one_edit_neighbour},
		{"estimates never fall under what was seen", estimates_never_fall_under_what_was_seen},
		{"the walk ranks exactly, counts to the bound, then estimates",
			the_walk_ranks_exactly_and_counts_to_the_bound_then_estimates},
		{"an early estimate keeps the page and small totals exact",
			an_early_estimate_keeps_the_page_and_small_totals_exact},
		{"range maxima rank exactly as bucket maxima", range_maxima_rank_exactly_as_bucket_maxima},
		{"range maxima bound every bucket", range_maxima_bound_every_bucket},
		{"block-max skips buckets that cannot enter the top", block_max_skips_buckets_that_cannot_enter_the_top},
		{"a word with no postings matches nothing when all are required",
			a_word_with_no_postings_matches_nothing_when_all_are_required},
	};
	return UNIT_SUITE("find_index", tests);
}

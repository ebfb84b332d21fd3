/* The find search index, pure part: words, impacts, packed buckets, typo
 * edits and the top-k walk (see find_index.h). */
#include "modules/find_index.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- words */

/* InnoDB's default stopword list, kept from the FULLTEXT days so a query
 * means what it meant: "the" and "for" narrow nothing. */
static const char *const find_index_stopwords[] = {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de",
	"en", "for", "from", "how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was",
	"what", "when", "where", "who", "will", "with", "und", "www"};

static int find_index_word_byte(unsigned char c)
{
	/* Letters, digits, and every byte of a multi-byte UTF-8 character. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

int find_index_is_stopword(const char *word, size_t length)
{
	for (size_t i = 0; i < sizeof(find_index_stopwords) / sizeof(find_index_stopwords[0]); i++)
		if (strlen(find_index_stopwords[i]) == length && memcmp(find_index_stopwords[i], word, length) == 0)
			return 1;
	return 0;
}

size_t find_index_next_word(const char *text, size_t text_length, size_t *position, char *word, int keep_short,
	int *ended_by_separator)
{
	while (*position < text_length) {
		while (*position < text_length && !find_index_word_byte((unsigned char)text[*position]))
			(*position)++;
		size_t start = *position;
		while (*position < text_length && find_index_word_byte((unsigned char)text[*position]))
			(*position)++;
		size_t length = *position - start;
		if (ended_by_separator != NULL)
			*ended_by_separator = *position < text_length;
		if (length > FIND_INDEX_WORD_MAX_BYTES) {
			length = FIND_INDEX_WORD_MAX_BYTES;
			while (length > 0 && ((unsigned char)text[start + length] & 0xC0) == 0x80)
				length--; /* never cut a character in two */
		}
		for (size_t i = 0; i < length; i++) {
			char c = text[start + i];
			word[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		word[length] = '\0';
		if (length == 0)
			continue;
		if (keep_short || (length >= FIND_INDEX_WORD_MIN_BYTES && !find_index_is_stopword(word, length)))
			return length;
	}
	return 0;
}

void find_index_text_parse(const char *text, size_t text_length, struct find_index_text *out)
{
	memset(out, 0, sizeof(*out));
	size_t position = 0, length;
	char word[FIND_INDEX_WORD_MAX_BYTES + 1];
	int ended = 1;
	while (out->count < FIND_INDEX_QUERY_WORDS_MAX &&
		(length = find_index_next_word(text, text_length, &position, word, 1, &ended)) > 0) {
		int typed = !ended; /* nothing after it: the word is being typed */
		if (!typed && (length < FIND_INDEX_WORD_MIN_BYTES || find_index_is_stopword(word, length)))
			continue;
		int repeat = 0;
		for (int i = 0; i < out->count && !repeat; i++)
			repeat = strcmp(out->words[i], word) == 0;
		if (repeat)
			continue;
		memcpy(out->words[out->count++], word, length + 1);
		out->last_is_prefix = typed;
	}
}

/* ---------------------------------------------------------- document terms */

/* BM25's k1 and b, with a fixed reference length: impacts are computed once
 * at indexing, so they cannot follow the collection's average length. */
#define FIND_INDEX_K1 1.2
#define FIND_INDEX_B 0.5
#define FIND_INDEX_REFERENCE_WORDS 40.0

uint8_t find_index_impact(unsigned name_count, unsigned text_count, unsigned document_words)
{
	double frequency = (double)name_count * FIND_INDEX_NAME_WEIGHT + (double)text_count;
	if (frequency <= 0)
		return 0;
	double norm = 1.0 - FIND_INDEX_B + FIND_INDEX_B * (double)document_words / FIND_INDEX_REFERENCE_WORDS;
	double saturated = frequency / (frequency + FIND_INDEX_K1 * norm); /* 0..1 */
	long impact = lround(saturated * 255.0);
	return (uint8_t)(impact < 1 ? 1 : impact > 255 ? 255 : impact);
}

struct find_index_count {
	char term[FIND_INDEX_TERM_MAX_BYTES + 1];
	unsigned name_count, text_count;
};

static int find_index_count_compare(const void *a, const void *b)
{
	return strcmp(((const struct find_index_count *)a)->term, ((const struct find_index_count *)b)->term);
}

static void find_index_count_add(struct find_index_count **counts, size_t *count, size_t *capacity, const char *term,
	int in_name)
{
	if (*count == *capacity) {
		*capacity = *capacity ? *capacity * 2 : 32;
		*counts = xrealloc(*counts, *capacity * sizeof(**counts));
	}
	struct find_index_count *item = &(*counts)[(*count)++];
	memset(item, 0, sizeof(*item));
	memcpy(item->term, term, strlen(term) + 1);
	if (in_name)
		item->name_count = 1;
	else
		item->text_count = 1;
}

void find_index_terms_build(const char *name, const char *const *texts, size_t text_count,
	struct find_index_terms *out)
{
	struct find_index_count *counts = NULL;
	size_t count = 0, capacity = 0;
	unsigned words = 0;
	char word[FIND_INDEX_WORD_MAX_BYTES + 1], previous[FIND_INDEX_WORD_MAX_BYTES + 1] = "";
	char pair[FIND_INDEX_TERM_MAX_BYTES + 1];
	size_t length, position = 0, name_length = name ? strlen(name) : 0;
	while (name != NULL && (length = find_index_next_word(name, name_length, &position, word, 0, NULL)) > 0) {
		find_index_count_add(&counts, &count, &capacity, word, 1);
		/* Pairs of adjacent kept words of the name rank phrases. */
		if (previous[0] != '\0') {
			size_t previous_length = strlen(previous);
			memcpy(pair, previous, previous_length);
			pair[previous_length] = ' ';
			memcpy(pair + previous_length + 1, word, length + 1);
			find_index_count_add(&counts, &count, &capacity, pair, 1);
		}
		memcpy(previous, word, length + 1);
		words++;
	}
	for (size_t i = 0; i < text_count; i++) {
		if (texts[i] == NULL)
			continue;
		size_t text_length = strlen(texts[i]);
		position = 0;
		while ((length = find_index_next_word(texts[i], text_length, &position, word, 0, NULL)) > 0) {
			find_index_count_add(&counts, &count, &capacity, word, 0);
			words++;
		}
	}
	if (count > 1)
		qsort(counts, count, sizeof(*counts), find_index_count_compare);
	out->items = count ? xmalloc(count * sizeof(*out->items)) : NULL;
	out->count = 0;
	for (size_t i = 0; i < count;) {
		size_t j = i;
		unsigned name_total = 0, text_total = 0;
		for (; j < count && strcmp(counts[j].term, counts[i].term) == 0; j++) {
			name_total += counts[j].name_count;
			text_total += counts[j].text_count;
		}
		struct find_index_term *term = &out->items[out->count++];
		memcpy(term->term, counts[i].term, strlen(counts[i].term) + 1);
		term->impact = find_index_impact(name_total, text_total, words);
		i = j;
	}
	free(counts);
}

void find_index_terms_release(struct find_index_terms *terms)
{
	free(terms->items);
	terms->items = NULL;
	terms->count = 0;
}

void find_index_terms_diff(const struct find_index_terms *old_terms, const struct find_index_terms *new_terms,
	struct find_index_terms *changes)
{
	size_t capacity = old_terms->count + new_terms->count;
	changes->items = capacity ? xmalloc(capacity * sizeof(*changes->items)) : NULL;
	changes->count = 0;
	size_t i = 0, j = 0;
	while (i < old_terms->count || j < new_terms->count) {
		int order = i == old_terms->count   ? 1
			: j == new_terms->count ? -1
						: strcmp(old_terms->items[i].term, new_terms->items[j].term);
		if (order < 0) {
			changes->items[changes->count] = old_terms->items[i++];
			changes->items[changes->count++].impact = 0;
		} else if (order > 0) {
			changes->items[changes->count++] = new_terms->items[j++];
		} else {
			if (old_terms->items[i].impact != new_terms->items[j].impact)
				changes->items[changes->count++] = new_terms->items[j];
			i++;
			j++;
		}
	}
}

/* ---------------------------------------------------------------- buckets */

unsigned find_index_bucket_bits_for(uint32_t documents, unsigned current_bits)
{
	unsigned bits = current_bits > FIND_INDEX_BUCKET_BITS_MAX ? FIND_INDEX_BUCKET_BITS_MAX : current_bits;
	/* Grow past 256 per bucket, shrink under 32: between, leave it. */
	while (bits < FIND_INDEX_BUCKET_BITS_MAX && (uint64_t)documents > ((uint64_t)2 * FIND_INDEX_BUCKET_TARGET << bits))
		bits++;
	while (bits > 0 && (uint64_t)documents < ((uint64_t)FIND_INDEX_BUCKET_TARGET / 4 << bits))
		bits--;
	return bits;
}

uint32_t find_index_bucket_of(uint32_t doc, unsigned bits)
{
	return bits == 0 ? 0 : doc >> (32 - bits);
}

uint64_t find_index_bucket_first(uint32_t bucket, unsigned bits)
{
	return bits == 0 ? 0 : (uint64_t)bucket << (32 - bits);
}

uint32_t find_index_range_of(uint32_t doc)
{
	return doc >> (32 - FIND_INDEX_RANGE_BITS);
}

void find_index_range_maxima_add(uint8_t *maxima, const uint32_t *docs, const uint8_t *impacts, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t range = find_index_range_of(docs[i]);
		if (impacts[i] > maxima[range])
			maxima[range] = impacts[i];
	}
}

void find_index_range_maxima_to_buckets(const uint8_t *ranges, unsigned bits, uint64_t first_bucket,
	uint8_t *bucket_maxima)
{
	uint64_t buckets = (uint64_t)1 << bits;
	for (uint64_t bucket = first_bucket; bucket < buckets; bucket++) {
		uint8_t max = 0;
		if (bits >= FIND_INDEX_RANGE_BITS) {
			max = ranges[bucket >> (bits - FIND_INDEX_RANGE_BITS)];
		} else {
			/* A bucket wider than a range: the highest of its ranges. */
			uint64_t from = bucket << (FIND_INDEX_RANGE_BITS - bits), to = (bucket + 1) << (FIND_INDEX_RANGE_BITS - bits);
			for (uint64_t range = from; range < to; range++)
				if (ranges[range] > max)
					max = ranges[range];
		}
		bucket_maxima[bucket - first_bucket] = max;
	}
}

void find_index_postings_release(struct find_index_postings *postings)
{
	free(postings->docs);
	free(postings->impacts);
	memset(postings, 0, sizeof(*postings));
}

void find_index_postings_clear(struct find_index_postings *postings)
{
	postings->count = 0;
}

static void find_index_postings_reserve(struct find_index_postings *postings, size_t wanted)
{
	if (wanted <= postings->capacity)
		return;
	size_t capacity = postings->capacity ? postings->capacity : 64;
	while (capacity < wanted)
		capacity *= 2;
	postings->docs = xrealloc(postings->docs, capacity * sizeof(*postings->docs));
	postings->impacts = xrealloc(postings->impacts, capacity);
	postings->capacity = capacity;
}

void find_index_postings_append(struct find_index_postings *postings, uint32_t doc, uint8_t impact)
{
	find_index_postings_reserve(postings, postings->count + 1);
	postings->docs[postings->count] = doc;
	postings->impacts[postings->count++] = impact;
}

void find_index_postings_set(struct find_index_postings *postings, uint32_t doc, uint8_t impact)
{
	size_t low = 0, high = postings->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (postings->docs[middle] < doc)
			low = middle + 1;
		else
			high = middle;
	}
	int present = low < postings->count && postings->docs[low] == doc;
	if (impact == 0) {
		if (!present)
			return;
		memmove(postings->docs + low, postings->docs + low + 1, (postings->count - low - 1) * sizeof(uint32_t));
		memmove(postings->impacts + low, postings->impacts + low + 1, postings->count - low - 1);
		postings->count--;
		return;
	}
	if (present) {
		postings->impacts[low] = impact;
		return;
	}
	find_index_postings_reserve(postings, postings->count + 1);
	memmove(postings->docs + low + 1, postings->docs + low, (postings->count - low) * sizeof(uint32_t));
	memmove(postings->impacts + low + 1, postings->impacts + low, postings->count - low);
	postings->docs[low] = doc;
	postings->impacts[low] = impact;
	postings->count++;
}

uint8_t find_index_postings_max_impact(const struct find_index_postings *postings)
{
	uint8_t max = 0;
	for (size_t i = 0; i < postings->count; i++)
		if (postings->impacts[i] > max)
			max = postings->impacts[i];
	return max;
}

static size_t find_index_varint_put(unsigned char *out, uint64_t value)
{
	size_t used = 0;
	do {
		unsigned char byte = value & 0x7F;
		value >>= 7;
		out[used++] = byte | (value ? 0x80 : 0);
	} while (value);
	return used;
}

static int find_index_varint_get(const unsigned char *data, size_t length, size_t *position, uint64_t *value)
{
	uint64_t result = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*position >= length)
			return -1;
		unsigned char byte = data[(*position)++];
		result |= (uint64_t)(byte & 0x7F) << shift;
		if (!(byte & 0x80)) {
			*value = result;
			return 0;
		}
	}
	return -1;
}

unsigned char *find_index_postings_encode(const struct find_index_postings *postings, size_t *length)
{
	/* At most 5 bytes per gap and one per impact, and 10 for the count. */
	unsigned char *out = xmalloc(10 + postings->count * 6);
	size_t used = find_index_varint_put(out, postings->count);
	uint32_t previous = 0;
	for (size_t i = 0; i < postings->count; i++) {
		used += find_index_varint_put(out + used, (uint64_t)postings->docs[i] - previous);
		out[used++] = postings->impacts[i];
		previous = postings->docs[i];
	}
	*length = used;
	return out;
}

int find_index_postings_decode(const unsigned char *data, size_t length, struct find_index_postings *out)
{
	size_t position = 0;
	uint64_t count = 0, gap = 0, doc = 0;
	if (find_index_varint_get(data, length, &position, &count) != 0 || count > length)
		return -1;
	find_index_postings_reserve(out, out->count + (size_t)count);
	for (uint64_t i = 0; i < count; i++) {
		if (find_index_varint_get(data, length, &position, &gap) != 0 || position >= length)
			return -1;
		doc += gap;
		if (doc > UINT32_MAX || (i > 0 && gap == 0))
			return -1;
		out->docs[out->count] = (uint32_t)doc;
		out->impacts[out->count++] = data[position++];
	}
	return position == length ? 0 : -1;
}

/* ------------------------------------------------------------ doc numbers */

uint32_t find_index_doc_number(uint32_t sequence)
{
	/* Each step is invertible on 32 bits (odd multipliers, xor-shifts), so
	 * the whole is a bijection; the mixing spreads neighbours apart. */
	uint32_t x = sequence;
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* ------------------------------------------------------------------ typos */

#define FIND_INDEX_CHARS_MAX (FIND_INDEX_TERM_MAX_BYTES + 1)

/* Code points of UTF-8 text (malformed bytes stand for themselves). */
static size_t find_index_code_points(const char *text, uint32_t *out, size_t out_max)
{
	size_t count = 0;
	const unsigned char *p = (const unsigned char *)text;
	while (*p != '\0' && count < out_max) {
		uint32_t c = *p;
		size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		size_t k = 1;
		for (; k <= extra && (p[k] & 0xC0) == 0x80; k++)
			c = (c << 6) | (p[k] & 0x3F);
		out[count++] = c;
		p += k;
	}
	return count;
}

int find_index_one_edit(const char *a, const char *b)
{
	uint32_t x[FIND_INDEX_CHARS_MAX], y[FIND_INDEX_CHARS_MAX];
	size_t n = find_index_code_points(a, x, FIND_INDEX_CHARS_MAX), m = find_index_code_points(b, y, FIND_INDEX_CHARS_MAX);
	if (n > m) {
		uint32_t swap[FIND_INDEX_CHARS_MAX];
		memcpy(swap, x, n * sizeof(uint32_t));
		memcpy(x, y, m * sizeof(uint32_t));
		memcpy(y, swap, n * sizeof(uint32_t));
		size_t count = n;
		n = m;
		m = count;
	}
	if (m - n > 1)
		return 0;
	size_t i = 0;
	while (i < n && x[i] == y[i])
		i++;
	if (i == n)
		return 1; /* equal, or y has one more at the end */
	if (n == m) {
		/* replace x[i], or swap x[i] and x[i+1] */
		if (memcmp(x + i + 1, y + i + 1, (n - i - 1) * sizeof(uint32_t)) == 0)
			return 1;
		return i + 1 < n && x[i] == y[i + 1] && x[i + 1] == y[i] &&
			memcmp(x + i + 2, y + i + 2, (n - i - 2) * sizeof(uint32_t)) == 0;
	}
	/* y has one inserted at i */
	return memcmp(x + i, y + i + 1, (n - i) * sizeof(uint32_t)) == 0;
}

int find_index_typo_candidate(const char *word)
{
	uint32_t chars[FIND_INDEX_CHARS_MAX];
	size_t count = find_index_code_points(word, chars, FIND_INDEX_CHARS_MAX);
	if (count < FIND_INDEX_TYPO_MIN_CHARS)
		return 0;
	for (size_t i = 0; i < count; i++)
		if (chars[i] >= '0' && chars[i] <= '9')
			return 0;
	return 1;
}

/* Byte offset of the character at index chars in text. */
static size_t find_index_char_offset(const char *text, size_t chars)
{
	size_t offset = 0;
	for (size_t seen = 0; text[offset] != '\0'; offset++) {
		if (((unsigned char)text[offset] & 0xC0) != 0x80) {
			if (seen == chars)
				return offset;
			seen++;
		}
	}
	return offset;
}

void find_index_typo_keys(const char *word, char *prefix, size_t prefix_size, char *suffix, size_t suffix_size)
{
	uint32_t chars[FIND_INDEX_CHARS_MAX];
	size_t count = find_index_code_points(word, chars, FIND_INDEX_CHARS_MAX);
	/* One edit at character i leaves the first half whole when i >= half,
	 * and otherwise everything after half + 1 (replace, delete, insert or a
	 * swap of i and i + 1 < half + 1). */
	size_t half = count / 2;
	size_t prefix_end = find_index_char_offset(word, half);
	size_t suffix_start = find_index_char_offset(word, half + 1);
	size_t length = strlen(word);
	size_t prefix_length = prefix_end < prefix_size ? prefix_end : prefix_size - 1;
	memcpy(prefix, word, prefix_length);
	prefix[prefix_length] = '\0';
	size_t suffix_length = length - suffix_start < suffix_size ? length - suffix_start : suffix_size - 1;
	memcpy(suffix, word + suffix_start, suffix_length);
	suffix[suffix_length] = '\0';
}

void find_index_reverse_chars(const char *text, char *out, size_t out_size)
{
	size_t length = strlen(text);
	if (length >= out_size)
		length = out_size - 1;
	size_t used = 0, end = length;
	while (end > 0) {
		size_t start = end - 1;
		while (start > 0 && ((unsigned char)text[start] & 0xC0) == 0x80)
			start--;
		memcpy(out + used, text + start, end - start);
		used += end - start;
		end = start;
	}
	out[used] = '\0';
}

/* ------------------------------------------------------------------ query */

int find_index_query_add(struct find_index_query *query, const char *term, int position, double weight,
	uint32_t documents, uint8_t max_impact, unsigned bits)
{
	for (size_t i = 0; i < query->term_count; i++)
		if (query->terms[i].position == position && strcmp(query->terms[i].term, term) == 0)
			return -1;
	if (query->term_count == FIND_INDEX_QUERY_TERMS_MAX || strlen(term) > FIND_INDEX_TERM_MAX_BYTES)
		return -1;
	struct find_index_query_term *item = &query->terms[query->term_count];
	memset(item, 0, sizeof(*item));
	memcpy(item->term, term, strlen(term) + 1);
	item->position = position;
	item->weight = weight;
	item->documents = documents;
	item->max_impact = max_impact;
	item->bits = bits > FIND_INDEX_BUCKET_BITS_MAX ? FIND_INDEX_BUCKET_BITS_MAX : bits;
	return (int)query->term_count++;
}

void find_index_query_set_range_maxima(struct find_index_query *query, int index, const uint8_t *maxima)
{
	if (index < 0 || (size_t)index >= query->term_count)
		return;
	struct find_index_query_term *term = &query->terms[index];
	if (term->range_maxima == NULL)
		term->range_maxima = xmalloc(FIND_INDEX_RANGES);
	memcpy(term->range_maxima, maxima, FIND_INDEX_RANGES);
}

void find_index_query_prepare(struct find_index_query *query)
{
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_query_term *term = &query->terms[i];
		double n = (double)query->collection_documents, df = (double)term->documents;
		if (n < df)
			n = df;
		term->idf = log(1.0 + (n - df + 0.5) / (df + 0.5));
	}
}

int find_index_query_impossible(const struct find_index_query *query)
{
	int any = 0;
	for (int position = 0; position < query->positions; position++) {
		int found = 0;
		for (size_t i = 0; i < query->term_count; i++)
			if (query->terms[i].position == position && query->terms[i].documents > 0)
				found = 1;
		if (!found && query->mode == FIND_INDEX_ALL_WORDS)
			return 1;
		any |= found;
	}
	return !any;
}

void find_index_query_release(struct find_index_query *query)
{
	for (size_t i = 0; i < query->term_count; i++) {
		find_index_postings_release(&query->terms[i].postings);
		free(query->terms[i].range_maxima);
		query->terms[i].range_maxima = NULL;
	}
}

/* ------------------------------------------------------------------- walk */

#define FIND_INDEX_RANGE_END ((uint64_t)1 << 32)
#define FIND_INDEX_BLOCK_RUN_MAX 16 /* driver buckets fetched together past the count */

/* Top k, kept as a min-heap: the root is the hit a better one displaces. A
 * hit is better with a higher score, and at equal scores with a lower
 * document number (the walk meets documents in ascending order, so a later
 * equal never displaces an earlier one). */
struct find_index_heap {
	struct find_index_hit *items;
	size_t count, capacity;
};

static int find_index_hit_better(const struct find_index_hit *a, const struct find_index_hit *b)
{
	return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

static void find_index_heap_push(struct find_index_heap *heap, uint32_t doc, double score)
{
	struct find_index_hit hit = {.doc = doc, .score = score};
	size_t i;
	if (heap->count < heap->capacity) {
		i = heap->count++;
		while (i > 0 && find_index_hit_better(&heap->items[(i - 1) / 2], &hit)) {
			heap->items[i] = heap->items[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		heap->items[i] = hit;
		return;
	}
	if (heap->capacity == 0 || !find_index_hit_better(&hit, &heap->items[0]))
		return;
	i = 0;
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= heap->count)
			break;
		if (child + 1 < heap->count && find_index_hit_better(&heap->items[child], &heap->items[child + 1]))
			child++;
		if (!find_index_hit_better(&hit, &heap->items[child]))
			break;
		heap->items[i] = heap->items[child];
		i = child;
	}
	heap->items[i] = hit;
}

/* The score a new document must beat (-1 while the heap is not full). */
static double find_index_heap_threshold(const struct find_index_heap *heap)
{
	return heap->count < heap->capacity ? -1.0 : heap->items[0].score;
}

static int find_index_hit_order(const void *a, const void *b)
{
	const struct find_index_hit *x = a, *y = b;
	return find_index_hit_better(x, y) ? -1 : find_index_hit_better(y, x) ? 1 : 0;
}

uint64_t find_index_estimate_total(uint64_t matches, double fraction)
{
	if (fraction <= 0 || fraction >= 1)
		return matches;
	double estimate = floor((double)matches / fraction + 0.5);
	return estimate < (double)matches ? matches : (uint64_t)estimate;
}

struct find_index_walk_state {
	struct find_index_query *query;
	const struct find_index_source *source;
	double position_bound[FIND_INDEX_QUERY_WORDS_MAX];
	double boost_bound;
	double upper_bound;  /* the best score any document could have */
	int driver;          /* AND: the position whose documents are candidates; -1 for OR */
	uint64_t driver_documents;
	/* candidates of one range, and what verify says of them */
	uint32_t *docs;
	double *scores;
	uint8_t *passed;
	size_t count, capacity;
};

static double find_index_term_bound(const struct find_index_query_term *term)
{
	return term->weight * term->idf * term->max_impact;
}

/* Drops postings before doc from every term (they are behind the walk). */
static void find_index_drop_before(struct find_index_query *query, uint64_t doc)
{
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_postings *postings = &query->terms[i].postings;
		size_t keep = 0;
		while (keep < postings->count && postings->docs[keep] < doc)
			keep++;
		if (keep > 0) {
			memmove(postings->docs, postings->docs + keep, (postings->count - keep) * sizeof(uint32_t));
			memmove(postings->impacts, postings->impacts + keep, postings->count - keep);
			postings->count -= keep;
		}
		query->terms[i].cursor = 0;
	}
}

/* A range of document numbers the walk reads: [low, high). */
struct find_index_range {
	uint64_t low, high;
};

/* Fetches what the ranges (ascending) need of every term with postings, in
 * one call: the buckets that overlap them and were not read before. */
static int find_index_fetch_ranges(struct find_index_walk_state *state, const struct find_index_range *ranges,
	size_t range_count, uint64_t *postings_read)
{
	struct find_index_query *query = state->query;
	struct find_index_bucket_request *requests = NULL;
	size_t count = 0, capacity = 0;
	size_t before[FIND_INDEX_QUERY_TERMS_MAX];
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_query_term *term = &query->terms[i];
		before[i] = term->postings.count;
		if (term->documents == 0)
			continue;
		for (size_t r = 0; r < range_count; r++) {
			uint64_t from = find_index_bucket_of((uint32_t)ranges[r].low, term->bits);
			uint64_t to = find_index_bucket_of((uint32_t)(ranges[r].high - 1), term->bits);
			for (uint64_t bucket = from < term->next_bucket ? term->next_bucket : from; bucket <= to; bucket++) {
				if (count == capacity) {
					capacity = capacity ? capacity * 2 : 256;
					requests = xrealloc(requests, capacity * sizeof(*requests));
				}
				requests[count++] = (struct find_index_bucket_request){.term = (uint32_t)i, .bucket = (uint32_t)bucket};
				term->next_bucket = bucket + 1;
			}
		}
	}
	int stopped = count ? state->source->fetch(state->source->context, query, requests, count) : 0;
	free(requests);
	for (size_t i = 0; i < query->term_count && stopped == 0; i++)
		*postings_read += query->terms[i].postings.count - before[i];
	return stopped;
}

/* The smallest document >= doc among the candidate terms, below high; 0 when none. */
static int find_index_next_candidate(struct find_index_walk_state *state, uint64_t high, uint32_t *doc)
{
	struct find_index_query *query = state->query;
	uint64_t best = high;
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_query_term *term = &query->terms[i];
		if (term->position < 0 || (state->driver >= 0 && term->position != state->driver))
			continue;
		if (term->cursor < term->postings.count && term->postings.docs[term->cursor] < best)
			best = term->postings.docs[term->cursor];
	}
	if (best >= high)
		return 0;
	*doc = (uint32_t)best;
	return 1;
}

/* Scores doc; returns 0 when it does not match (a required position missing). */
static int find_index_score(struct find_index_walk_state *state, uint32_t doc, double *score)
{
	struct find_index_query *query = state->query;
	double position_score[FIND_INDEX_QUERY_WORDS_MAX] = {0};
	int present[FIND_INDEX_QUERY_WORDS_MAX] = {0};
	double boost = 0;
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_query_term *term = &query->terms[i];
		struct find_index_postings *postings = &term->postings;
		while (term->cursor < postings->count && postings->docs[term->cursor] < doc)
			term->cursor++;
		if (term->cursor >= postings->count || postings->docs[term->cursor] != doc)
			continue;
		double value = term->weight * term->idf * postings->impacts[term->cursor];
		if (term->position < 0) {
			boost += value;
		} else {
			present[term->position] = 1;
			if (value > position_score[term->position])
				position_score[term->position] = value;
		}
	}
	double total = boost;
	int matched = 0;
	for (int position = 0; position < query->positions; position++) {
		if (!present[position] && query->mode == FIND_INDEX_ALL_WORDS)
			return 0;
		matched |= present[position];
		total += position_score[position];
	}
	*score = total;
	return matched;
}

static void find_index_candidate_add(struct find_index_walk_state *state, uint32_t doc, double score)
{
	if (state->count == state->capacity) {
		state->capacity = state->capacity ? state->capacity * 2 : 256;
		state->docs = xrealloc(state->docs, state->capacity * sizeof(*state->docs));
		state->scores = xrealloc(state->scores, state->capacity * sizeof(*state->scores));
		state->passed = xrealloc(state->passed, state->capacity);
	}
	state->docs[state->count] = doc;
	state->scores[state->count++] = score;
}

/* Evaluates [low, high): every match when counting, otherwise only the
 * documents that could enter the top k. */
static int find_index_evaluate(struct find_index_walk_state *state, uint64_t high, int counting,
	struct find_index_heap *heap, struct find_index_result *result, size_t sample_max)
{
	uint32_t doc;
	state->count = 0;
	double threshold = find_index_heap_threshold(heap);
	while (find_index_next_candidate(state, high, &doc)) {
		double score = 0;
		if (find_index_score(state, doc, &score) && (counting || score > threshold))
			find_index_candidate_add(state, doc, score);
		/* Step past doc in the candidate terms (score advanced the others). */
		for (size_t i = 0; i < state->query->term_count; i++) {
			struct find_index_query_term *term = &state->query->terms[i];
			if (term->cursor < term->postings.count && term->postings.docs[term->cursor] == doc)
				term->cursor++;
		}
	}
	if (state->count == 0)
		return 0;
	memset(state->passed, 1, state->count);
	if (state->source->verify != NULL) {
		int stopped = state->source->verify(state->source->verify_context, state->docs, state->count, state->passed);
		if (stopped != 0)
			return stopped;
	}
	for (size_t i = 0; i < state->count; i++) {
		if (!state->passed[i])
			continue;
		if (counting) {
			result->matches_counted++;
			if (result->sample_count < sample_max)
				result->sample[result->sample_count++] = state->docs[i];
		}
		find_index_heap_push(heap, state->docs[i], state->scores[i]);
	}
	return 0;
}

/* Block-max past the count: the highest impact of every remaining bucket
 * of every term, once: from the term's range maxima when its statistics
 * carry them (nothing to read), otherwise read from the source (the
 * buckets' headers). */
#define FIND_INDEX_BLOCK_TERMS_MAX 8 /* more terms: the term bounds alone */

struct find_index_block_maxima {
	uint8_t *maxima[FIND_INDEX_QUERY_TERMS_MAX];
	uint64_t first[FIND_INDEX_QUERY_TERMS_MAX];
	unsigned step_bits; /* ranges are buckets of this many bits */
	int loaded;
};

static void find_index_block_maxima_release(struct find_index_block_maxima *blocks)
{
	for (size_t i = 0; i < FIND_INDEX_QUERY_TERMS_MAX; i++)
		free(blocks->maxima[i]);
}

static int find_index_block_maxima_load(struct find_index_walk_state *state, struct find_index_block_maxima *blocks,
	uint64_t low)
{
	struct find_index_query *query = state->query;
	blocks->loaded = 1;
	blocks->step_bits = 0;
	for (size_t i = 0; i < query->term_count; i++) {
		struct find_index_query_term *term = &query->terms[i];
		if (term->documents == 0)
			continue;
		/* Ranges follow the finest buckets of the terms candidates come from. */
		if (term->position >= 0 && (state->driver < 0 || term->position == state->driver) && term->bits > blocks->step_bits)
			blocks->step_bits = term->bits;
		blocks->first[i] = find_index_bucket_of((uint32_t)low, term->bits);
		blocks->maxima[i] = xcalloc((size_t)(((uint64_t)1 << term->bits) - blocks->first[i]), 1);
	}
	uint8_t *wanted[FIND_INDEX_QUERY_TERMS_MAX] = {0};
	int any = 0;
	for (size_t i = 0; i < query->term_count; i++) {
		if (blocks->maxima[i] == NULL)
			continue;
		if (query->terms[i].range_maxima != NULL) {
			find_index_range_maxima_to_buckets(query->terms[i].range_maxima, query->terms[i].bits, blocks->first[i],
				blocks->maxima[i]);
		} else {
			wanted[i] = blocks->maxima[i];
			any = 1;
		}
	}
	if (!any)
		return 0;
	return state->source->maxima(state->source->context, query, blocks->first, wanted);
}

/* The best score a document in [low, high) could have, by the bucket maxima
 * of every term (0 when it cannot match: a required word has no posting
 * there, or no word has in the any-word mode). */
static double find_index_range_bound(struct find_index_walk_state *state, const struct find_index_block_maxima *blocks,
	uint64_t low, uint64_t high)
{
	struct find_index_query *query = state->query;
	double position_bound[FIND_INDEX_QUERY_WORDS_MAX] = {0}, boost = 0;
	for (size_t i = 0; i < query->term_count; i++) {
		const struct find_index_query_term *term = &query->terms[i];
		if (blocks->maxima[i] == NULL)
			continue;
		uint64_t from = find_index_bucket_of((uint32_t)low, term->bits), to = find_index_bucket_of((uint32_t)(high - 1), term->bits);
		uint8_t max = 0;
		for (uint64_t bucket = from < blocks->first[i] ? blocks->first[i] : from; bucket <= to; bucket++)
			if (blocks->maxima[i][bucket - blocks->first[i]] > max)
				max = blocks->maxima[i][bucket - blocks->first[i]];
		double bound = term->weight * term->idf * max;
		if (term->position < 0)
			boost += bound;
		else if (bound > position_bound[term->position])
			position_bound[term->position] = bound;
	}
	double total = boost;
	int any = 0;
	for (int position = 0; position < query->positions; position++) {
		if (position_bound[position] <= 0 && query->mode == FIND_INDEX_ALL_WORDS)
			return 0;
		any |= position_bound[position] > 0;
		total += position_bound[position];
	}
	return any ? total : 0;
}

/* The ranges from low on that could hold a document beating threshold,
 * adjacent ones merged, at most FIND_INDEX_BLOCK_RANGES_MAX: read in one
 * fetch. Returns how many (0: none is left). */
#define FIND_INDEX_BLOCK_RANGES_MAX 64
static size_t find_index_block_ranges(struct find_index_walk_state *state, const struct find_index_block_maxima *blocks,
	double threshold, uint64_t low, struct find_index_range *ranges)
{
	uint64_t steps = (uint64_t)1 << blocks->step_bits;
	size_t count = 0;
	for (uint64_t step = find_index_bucket_of((uint32_t)low, blocks->step_bits); step < steps; step++) {
		uint64_t start = find_index_bucket_first((uint32_t)step, blocks->step_bits);
		uint64_t end = step + 1 >= steps ? FIND_INDEX_RANGE_END : find_index_bucket_first((uint32_t)step + 1, blocks->step_bits);
		if (start < low)
			start = low;
		if (!(find_index_range_bound(state, blocks, start, end) > threshold))
			continue;
		if (count > 0 && ranges[count - 1].high == start) {
			ranges[count - 1].high = end;
			continue;
		}
		if (count == FIND_INDEX_BLOCK_RANGES_MAX)
			break;
		ranges[count++] = (struct find_index_range){.low = start, .high = end};
	}
	return count;
}

/* Counting may stop at fraction covered of the range with matches counted
 * when limits allow an early estimate and the total is past the bound
 * beyond doubt: the count of a uniform sample is about binomial, so the
 * estimate less four of its standard deviations (sqrt(matches) / covered)
 * must still be past total_bound. A total at or under the bound is then
 * counted exactly but for a chance well under 1 in 10,000. */
static int find_index_surely_past(uint64_t matches, double covered, const struct find_index_limits *limits)
{
	if (limits->estimate_after == 0 || matches < limits->estimate_after || covered <= 0 || covered >= 1)
		return 0;
	double m = (double)matches;
	return (m - 4.0 * sqrt(m)) / covered > (double)limits->total_bound;
}

int find_index_walk(struct find_index_query *query, const struct find_index_limits *limits,
	const struct find_index_source *source, struct find_index_result *result)
{
	memset(result, 0, sizeof(*result));
	size_t top_k = limits->top_k < 1 ? 1 : limits->top_k > FIND_INDEX_TOP_MAX ? FIND_INDEX_TOP_MAX : limits->top_k;
	struct find_index_heap heap = {.items = result->top, .capacity = top_k};
	result->sample = limits->sample_max ? xmalloc(limits->sample_max * sizeof(uint32_t)) : NULL;
	result->total_is_exact = 1;
	if (find_index_query_impossible(query)) {
		result->sample_is_all = 1;
		return 0;
	}
	struct find_index_walk_state state = {.query = query, .source = source, .driver = -1};
	for (size_t i = 0; i < query->term_count; i++) {
		const struct find_index_query_term *term = &query->terms[i];
		double bound = find_index_term_bound(term);
		if (term->position < 0)
			state.boost_bound += bound;
		else if (bound > state.position_bound[term->position])
			state.position_bound[term->position] = bound;
	}
	state.upper_bound = state.boost_bound;
	for (int position = 0; position < query->positions; position++)
		state.upper_bound += state.position_bound[position];
	/* AND: candidates come from the rarest word; OR: from every word. */
	uint64_t position_documents[FIND_INDEX_QUERY_WORDS_MAX] = {0};
	for (size_t i = 0; i < query->term_count; i++)
		if (query->terms[i].position >= 0)
			position_documents[query->terms[i].position] += query->terms[i].documents;
	if (query->mode == FIND_INDEX_ALL_WORDS) {
		for (int position = 0; position < query->positions; position++)
			if (state.driver < 0 || position_documents[position] < position_documents[state.driver])
				state.driver = position;
		state.driver_documents = position_documents[state.driver];
	} else {
		for (int position = 0; position < query->positions; position++)
			state.driver_documents += position_documents[position];
	}
	size_t live_terms = 0;
	int all_ranged = 1; /* block-max needs no source of bucket maxima */
	for (size_t i = 0; i < query->term_count; i++) {
		live_terms += query->terms[i].documents > 0;
		if (query->terms[i].documents > 0 && query->terms[i].range_maxima == NULL)
			all_ranged = 0;
	}
	/* The matches the count aims at: the bound, or fewer when the total
	 * may be estimated past it and the words look common enough for that. */
	uint64_t aim = limits->total_bound;

	uint64_t round = limits->round_postings ? limits->round_postings : 4096;
	double fraction = state.driver_documents <= round ? 1.0 : (double)round / (double)state.driver_documents;
	/* All words: if they were independent, the matches would be
	 * N x the product of their shares; size the first read to count the
	 * bound at once (at most 8 rounds' worth). */
	if (query->mode == FIND_INDEX_ALL_WORDS && fraction < 1.0 && query->collection_documents > 0) {
		double expected = (double)query->collection_documents;
		for (int position = 0; position < query->positions; position++)
			expected *= (double)position_documents[position] / (double)query->collection_documents;
		if (limits->estimate_after > 0 && limits->estimate_after < aim && expected > 2.0 * (double)limits->total_bound)
			aim = limits->estimate_after;
		double wanted = expected > 0 ? 1.25 * (double)aim / expected : 1.0;
		double most = 8.0 * fraction;
		fraction = wanted > most ? most : wanted > fraction ? wanted : fraction;
		if (fraction > 1.0)
			fraction = 1.0;
	}
	uint64_t low = 0, counted_end = FIND_INDEX_RANGE_END;
	int counting = 1, stopped = 0;
	struct find_index_block_maxima blocks = {0};
	struct find_index_range ranges[FIND_INDEX_BLOCK_RANGES_MAX];
	while (low < FIND_INDEX_RANGE_END) {
		size_t range_count = 1;
		double span = fraction * (double)FIND_INDEX_RANGE_END;
		ranges[0].low = low;
		ranges[0].high = span >= (double)(FIND_INDEX_RANGE_END - low) ? FIND_INDEX_RANGE_END : low + (uint64_t)span + 1;
		if (!counting) {
			double threshold = find_index_heap_threshold(&heap);
			if (heap.count == heap.capacity && threshold >= state.upper_bound)
				break; /* MaxScore: nothing left can enter the top k */
			if (heap.count == heap.capacity && (source->maxima != NULL || all_ranged) &&
				live_terms <= FIND_INDEX_BLOCK_TERMS_MAX) {
				if (!blocks.loaded && (stopped = find_index_block_maxima_load(&state, &blocks, low)) != 0)
					break;
				range_count = find_index_block_ranges(&state, &blocks, threshold, low, ranges);
				if (range_count == 0)
					break; /* block-max: no bucket left can enter the top k */
			}
		}
		stopped = find_index_fetch_ranges(&state, ranges, range_count, &result->postings_read);
		for (size_t r = 0; r < range_count && stopped == 0; r++) {
			/* Postings before the range are behind the walk, or in buckets
			 * judged unable to enter the top k. */
			find_index_drop_before(query, ranges[r].low);
			stopped = find_index_evaluate(&state, ranges[r].high, counting, &heap, result, limits->sample_max);
		}
		if (stopped != 0)
			break;
		uint64_t high = ranges[range_count - 1].high;
		find_index_drop_before(query, high);
		double covered = (double)high / (double)FIND_INDEX_RANGE_END;
		if (counting && high < FIND_INDEX_RANGE_END &&
			(result->matches_counted >= limits->total_bound ||
				find_index_surely_past(result->matches_counted, covered, limits))) {
			counting = 0;
			counted_end = high;
		}
		/* Size the next range: counting, so the aim is likely reached in
		 * one more fetch (the bound, unless the estimate so far is well
		 * past it); past the count, larger steps. */
		if (counting && result->matches_counted > 0) {
			double estimate = (double)result->matches_counted / covered;
			uint64_t target = limits->estimate_after > 0 && limits->estimate_after < limits->total_bound &&
					estimate > 2.0 * (double)limits->total_bound
				? limits->estimate_after
				: limits->total_bound;
			double needed = covered * (double)target / (double)result->matches_counted * 1.2 - covered;
			fraction = needed > fraction * 8 ? fraction * 8 : needed < fraction ? fraction : needed;
		} else {
			fraction *= 4;
		}
		low = high;
	}
	find_index_block_maxima_release(&blocks);
	free(state.docs);
	free(state.scores);
	free(state.passed);
	if (stopped != 0)
		return stopped;
	if (counting) {
		result->total = result->matches_counted;
		result->sample_is_all = result->sample_count == result->matches_counted;
	} else {
		result->total_is_exact = 0;
		result->total = find_index_estimate_total(result->matches_counted,
			(double)counted_end / (double)FIND_INDEX_RANGE_END);
	}
	result->top_count = heap.count;
	if (result->top_count > 1)
		qsort(result->top, result->top_count, sizeof(result->top[0]), find_index_hit_order);
	return 0;
}

void find_index_result_release(struct find_index_result *result)
{
	free(result->sample);
	result->sample = NULL;
	result->sample_count = 0;
}

/* The find search index in MariaDB (see find_index_store.h): statements,
 * the transactional write path, the walk's source, query building and the
 * full rebuild. */
#include "modules/find_index_store.h"
#include "auth/key_principal.h"
#include "auth/principal_confirm.h"
#include "core/alloc.h"
#include "core/hex.h"
#include "http/request.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum find_index_statement {
	FIS_HEADS_LOCK,
	FIS_TERM_BUCKETS_LOCK,
	FIS_BUCKETS_WRITE,
	FIS_BUCKETS_DELETE,
	FIS_TERM_BUCKETS_DELETE,
	FIS_HEADS_WRITE,
	FIS_HEADS_DELETE,
	FIS_HEADS,
	FIS_HEADS_CONFIRMING,
	FIS_PREFIX,
	FIS_TYPO,
	FIS_BUCKETS,
	FIS_MAXIMA,
	FIS_REBUILD_PRODUCTS,
	FIS_REBUILD_POSTS,
	FIS_CLEAR_POSTINGS,
	FIS_CLEAR_TERMS,
	FIS__MAX
};

#define FIS_TERMS "JSON_TABLE(?, '$[*]' COLUMNS (term VARCHAR(128) CHARACTER SET utf8mb4 PATH '$')) jt"
#define FIS_PAIRS                                                                                                 \
	"JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, term VARCHAR(128) CHARACTER SET utf8mb4 PATH '$[0]',"    \
	" bucket INT UNSIGNED PATH '$[1]')) jt"
#define FIS_HEAD_COLUMNS "t.term, t.documents, t.max_impact, t.bucket_bits"
#define FIND_INDEX_MAXIMA_SLOTS 4
#define FIS_MAXIMA_SLOT(slot)                                                                                     \
	"(SELECT " slot ", p.bucket, p.max_impact FROM find_search_postings p WHERE p.tenant_id = ? AND p.entity = ?"  \
	" AND p.term = ? AND p.bucket BETWEEN ? AND ?)"

/* The words' statistics, the tenant's live documents for idf, every
 * bucket of the words of at most FIND_INDEX_PRELOAD_DOCUMENTS documents
 * (one row per bucket, in order: a search whose words are that rare needs
 * no other read of the index), and the range maxima of the large ones
 * (block-max then needs no read of bucket headers); extra: more columns. */
#define FIS_HEADS_SQL(extra)                                                                                      \
	"SELECT " FIS_HEAD_COLUMNS ", (SELECT rc.live_rows FROM resource_counts rc WHERE rc.tenant_id = t.tenant_id"    \
	" AND rc.resource = ?), p.postings, t.range_maxima" extra " FROM " FIS_TERMS " JOIN find_search_terms t"         \
	" ON t.tenant_id = ? AND t.entity = ? AND t.term = jt.term LEFT JOIN find_search_postings p"                    \
	" ON (t.bucket_bits = 0 OR t.documents <= ?) AND p.tenant_id = t.tenant_id AND p.entity = t.entity"             \
	" AND p.term = t.term WHERE t.documents > 0 ORDER BY t.term, p.bucket"

static const struct db_statement_def find_index_statements[FIS__MAX] = {
	/* A write's terms with, for each of its documents, the bucket the
	 * document falls in: both locked, in one read. A term or bucket not there
	 * yet is locked as a gap, so two writers adding it meet as a deadlock and
	 * one is retried. */
	[FIS_HEADS_LOCK] = {.name = "find_index.heads_lock",
		.sql = "SELECT " FIS_HEAD_COLUMNS ", p.bucket, p.postings, t.range_maxima FROM JSON_TABLE(?, '$[*]' COLUMNS (term VARCHAR(128)"
		" CHARACTER SET utf8mb4 PATH '$[0]', doc INT UNSIGNED PATH '$[1]')) jt JOIN find_search_terms t"
		" ON t.tenant_id = ? AND t.entity = ? AND t.term = jt.term LEFT JOIN find_search_postings p"
		" ON p.tenant_id = t.tenant_id AND p.entity = t.entity AND p.term = t.term"
		" AND p.bucket = IF(t.bucket_bits = 0, 0, jt.doc >> (32 - t.bucket_bits)) FOR UPDATE", .tenant_bound = 1},
	[FIS_TERM_BUCKETS_LOCK] = {.name = "find_index.term_buckets_lock",
		.sql = "SELECT p.term, p.bucket, p.postings FROM " FIS_TERMS " JOIN find_search_postings p"
		" ON p.tenant_id = ? AND p.entity = ? AND p.term = jt.term FOR UPDATE", .tenant_bound = 1},
	[FIS_BUCKETS_WRITE] = {.name = "find_index.buckets_write",
		.sql = "INSERT INTO find_search_postings (tenant_id, entity, term, bucket, documents, max_impact, postings)"
		" SELECT ?, ?, jt.term, jt.bucket, jt.documents, jt.max_impact, UNHEX(jt.postings) FROM JSON_TABLE(?, '$[*]'"
		" COLUMNS (term VARCHAR(128) CHARACTER SET utf8mb4 PATH '$[0]', bucket INT UNSIGNED PATH '$[1]',"
		" documents INT UNSIGNED PATH '$[2]', max_impact INT UNSIGNED PATH '$[3]', postings LONGTEXT PATH '$[4]')) jt"
		" ON DUPLICATE KEY UPDATE documents = VALUES(documents), max_impact = VALUES(max_impact),"
		" postings = VALUES(postings)", .tenant_bound = 1},
	[FIS_BUCKETS_DELETE] = {.name = "find_index.buckets_delete",
		.sql = "DELETE p FROM " FIS_PAIRS " JOIN find_search_postings p ON p.tenant_id = ? AND p.entity = ?"
		" AND p.term = jt.term AND p.bucket = jt.bucket", .tenant_bound = 1},
	[FIS_TERM_BUCKETS_DELETE] = {.name = "find_index.term_buckets_delete",
		.sql = "DELETE p FROM " FIS_TERMS " JOIN find_search_postings p ON p.tenant_id = ? AND p.entity = ?"
		" AND p.term = jt.term", .tenant_bound = 1},
	[FIS_HEADS_WRITE] = {.name = "find_index.heads_write",
		.sql = "INSERT INTO find_search_terms (tenant_id, entity, term, term_reversed, documents, max_impact,"
		" bucket_bits, range_maxima) SELECT ?, ?, jt.term, jt.reversed, jt.documents, jt.max_impact, jt.bits,"
		" NULLIF(UNHEX(jt.ranges), '') FROM JSON_TABLE(?, '$[*]' COLUMNS (term VARCHAR(128) CHARACTER SET utf8mb4"
		" PATH '$[0]', reversed VARCHAR(128) CHARACTER SET utf8mb4 PATH '$[1]', documents INT UNSIGNED PATH '$[2]',"
		" max_impact INT UNSIGNED PATH '$[3]', bits INT UNSIGNED PATH '$[4]', ranges VARCHAR(512) PATH '$[5]')) jt"
		" ON DUPLICATE KEY UPDATE documents = VALUES(documents), max_impact = VALUES(max_impact),"
		" bucket_bits = VALUES(bucket_bits), range_maxima = VALUES(range_maxima)", .tenant_bound = 1},
	[FIS_HEADS_DELETE] = {.name = "find_index.heads_delete",
		.sql = "DELETE t FROM " FIS_TERMS " JOIN find_search_terms t ON t.tenant_id = ? AND t.entity = ?"
		" AND t.term = jt.term", .tenant_bound = 1},
	/* The words' statistics and more (FIS_HEADS_SQL). */
	[FIS_HEADS] = {.name = "find_index.heads", .sql = FIS_HEADS_SQL(""), .tenant_bound = 1},
	/* The same, with a cached API key's fingerprint (auth/key_principal.h). */
	[FIS_HEADS_CONFIRMING] = {.name = "find_index.heads_confirming",
		.sql = FIS_HEADS_SQL(", " KEY_PRINCIPAL_CONFIRM_COLUMN), .tenant_bound = 1},
	/* Terms that begin with what is being typed: the first 256 in order, of
	 * which the caller keeps the most frequent. */
	[FIS_PREFIX] = {.name = "find_index.prefix",
		.sql = "SELECT " FIS_HEAD_COLUMNS " FROM find_search_terms t WHERE t.tenant_id = ? AND t.entity = ?"
		" AND t.term LIKE ? AND t.documents > 0 AND t.term NOT LIKE '% %' ORDER BY t.term LIMIT 256",
		.tenant_bound = 1},
	/* Terms one edit away share the first half or the end (find_index_typo_keys). */
	[FIS_TYPO] = {.name = "find_index.typo",
		.sql = "(SELECT " FIS_HEAD_COLUMNS " FROM find_search_terms t WHERE t.tenant_id = ? AND t.entity = ?"
		" AND t.term LIKE ? AND CHAR_LENGTH(t.term) BETWEEN ? AND ? AND t.documents > 0 ORDER BY t.term LIMIT 512)"
		" UNION ALL (SELECT " FIS_HEAD_COLUMNS " FROM find_search_terms t WHERE t.tenant_id = ? AND t.entity = ?"
		" AND t.term_reversed LIKE ? AND CHAR_LENGTH(t.term) BETWEEN ? AND ? AND t.documents > 0"
		" ORDER BY t.term_reversed LIMIT 512)", .tenant_bound = 1},
	[FIS_BUCKETS] = {.name = "find_index.buckets",
		.sql = "SELECT jt.n, p.postings FROM " FIS_PAIRS " JOIN find_search_postings p ON p.tenant_id = ?"
		" AND p.entity = ? AND p.term = jt.term AND p.bucket = jt.bucket ORDER BY jt.n", .tenant_bound = 1},
	/* The highest impact of each bucket of up to four terms (block-max). */
	[FIS_MAXIMA] = {.name = "find_index.maxima",
		.sql = FIS_MAXIMA_SLOT("0") " UNION ALL " FIS_MAXIMA_SLOT("1") " UNION ALL " FIS_MAXIMA_SLOT("2")
		" UNION ALL " FIS_MAXIMA_SLOT("3"), .tenant_bound = 1},
	[FIS_REBUILD_PRODUCTS] = {.name = "find_index.rebuild_products",
		.sql = "SELECT search_doc, name, content, excerpt, sku, categories_text, tags_text, brands_text"
		" FROM find_products WHERE tenant_id = ?", .tenant_bound = 1},
	[FIS_REBUILD_POSTS] = {.name = "find_index.rebuild_posts",
		.sql = "SELECT search_doc, title, content, excerpt, author_name, categories_text, tags_text"
		" FROM find_posts WHERE tenant_id = ?", .tenant_bound = 1},
	[FIS_CLEAR_POSTINGS] = {.name = "find_index.clear_postings",
		.sql = "DELETE FROM find_search_postings WHERE tenant_id = ? AND entity = ?", .tenant_bound = 1},
	[FIS_CLEAR_TERMS] = {.name = "find_index.clear_terms",
		.sql = "DELETE FROM find_search_terms WHERE tenant_id = ? AND entity = ?", .tenant_bound = 1},
};

const struct statement_table find_index_statement_table = {"find_index", find_index_statements, FIS__MAX};

/* Pairs and rows per statement: keeps each under max_allowed_packet. */
#define FIND_INDEX_PAIRS_PER_FETCH 4096
#define FIND_INDEX_WRITE_BYTES (1024 * 1024)

static const char *find_index_entity(enum find_entity_kind kind)
{
	return kind == FIND_POST ? "post" : "product";
}

/* ----------------------------------------------------------------- terms */

void find_index_terms_of_texts(const char *name, const char *const *texts, size_t text_count,
	struct find_index_terms *out)
{
	find_index_terms_build(name, texts, text_count, out);
}

void find_index_terms_of_columns(const struct find_columns *columns, struct find_index_terms *out)
{
	const char *texts[] = {columns->text[FIND_TEXT_CONTENT], columns->text[FIND_TEXT_EXCERPT],
		columns->text[FIND_TEXT_SKU], columns->text[FIND_TEXT_AUTHOR_NAME], columns->joined_terms[FIND_FACET_CATEGORIES],
		columns->joined_terms[FIND_FACET_TAGS], columns->joined_terms[FIND_FACET_BRANDS]};
	find_index_terms_build(columns->text[FIND_TEXT_TITLE], texts, sizeof(texts) / sizeof(texts[0]), out);
}

uint32_t find_index_new_doc(void)
{
	char hex[9];
	for (int attempt = 0; attempt < 4; attempt++) {
		if (hex_random(4, hex, sizeof(hex)) != 0)
			return 0;
		uint32_t doc = (uint32_t)strtoul(hex, NULL, 16);
		if (doc != 0)
			return doc;
	}
	return 0;
}

/* ------------------------------------------------------------ write path */

struct find_index_apply_op {
	uint32_t doc;
	uint8_t impact; /* 0: remove */
};

struct find_index_apply_bucket {
	uint32_t bucket;
	int stored; /* a row exists */
	struct find_index_postings postings;
};

struct find_index_apply_term {
	char term[FIND_INDEX_TERM_MAX_BYTES + 1];
	int64_t delta;
	uint8_t added_max;
	struct find_index_apply_op *ops;
	size_t op_count, op_capacity;
	int exists;
	uint32_t old_documents;
	uint8_t old_max;
	unsigned old_bits;
	uint32_t new_documents;
	uint8_t new_max;
	unsigned new_bits;
	int has_ranges; /* old_ranges were read (else unknown: NULL, or a new term) */
	uint8_t old_ranges[FIND_INDEX_RANGES];
	int whole; /* every bucket is read and rewritten: new bits, or no documents left */
	struct find_index_apply_bucket *buckets;
	size_t bucket_count, bucket_capacity;
};

struct find_index_apply {
	struct find_index_apply_term *terms;
	size_t count, capacity;
	int malformed;
};

static struct find_index_apply_term *find_index_apply_find(struct find_index_apply *apply, const char *term)
{
	size_t low = 0, high = apply->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(apply->terms[middle].term, term);
		if (order == 0)
			return &apply->terms[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static struct find_index_apply_term *find_index_apply_term_of(struct find_index_apply *apply, const char *term)
{
	struct find_index_apply_term *found = find_index_apply_find(apply, term);
	if (found != NULL)
		return found;
	if (apply->count == apply->capacity) {
		apply->capacity = apply->capacity ? apply->capacity * 2 : 32;
		apply->terms = xrealloc(apply->terms, apply->capacity * sizeof(*apply->terms));
	}
	size_t at = 0;
	while (at < apply->count && strcmp(apply->terms[at].term, term) < 0)
		at++;
	memmove(apply->terms + at + 1, apply->terms + at, (apply->count - at) * sizeof(*apply->terms));
	apply->count++;
	struct find_index_apply_term *item = &apply->terms[at];
	memset(item, 0, sizeof(*item));
	memcpy(item->term, term, strlen(term) + 1);
	return item;
}

static void find_index_apply_op_add(struct find_index_apply_term *term, uint32_t doc, uint8_t impact, int delta)
{
	if (term->op_count == term->op_capacity) {
		term->op_capacity = term->op_capacity ? term->op_capacity * 2 : 4;
		term->ops = xrealloc(term->ops, term->op_capacity * sizeof(*term->ops));
	}
	term->ops[term->op_count++] = (struct find_index_apply_op){.doc = doc, .impact = impact};
	term->delta += delta;
	if (impact > term->added_max)
		term->added_max = impact;
}

static struct find_index_apply_bucket *find_index_apply_bucket_of(struct find_index_apply_term *term, uint32_t bucket)
{
	for (size_t i = 0; i < term->bucket_count; i++)
		if (term->buckets[i].bucket == bucket)
			return &term->buckets[i];
	if (term->bucket_count == term->bucket_capacity) {
		term->bucket_capacity = term->bucket_capacity ? term->bucket_capacity * 2 : 4;
		term->buckets = xrealloc(term->buckets, term->bucket_capacity * sizeof(*term->buckets));
	}
	struct find_index_apply_bucket *item = &term->buckets[term->bucket_count++];
	memset(item, 0, sizeof(*item));
	item->bucket = bucket;
	return item;
}

static void find_index_apply_release(struct find_index_apply *apply)
{
	for (size_t i = 0; i < apply->count; i++) {
		for (size_t b = 0; b < apply->terms[i].bucket_count; b++)
			find_index_postings_release(&apply->terms[i].buckets[b].postings);
		free(apply->terms[i].buckets);
		free(apply->terms[i].ops);
	}
	free(apply->terms);
	memset(apply, 0, sizeof(*apply));
}

/* Collects every change as per-term operations (a term gains a document,
 * changes its impact, or loses it). */
static void find_index_apply_collect(struct find_index_apply *apply, const struct find_index_change *changes,
	size_t change_count)
{
	static const struct find_index_terms none = {0};
	for (size_t c = 0; c < change_count; c++) {
		const struct find_index_terms *old_terms = changes[c].old_terms ? changes[c].old_terms : &none;
		const struct find_index_terms *new_terms = changes[c].new_terms ? changes[c].new_terms : &none;
		size_t i = 0, j = 0;
		while (i < old_terms->count || j < new_terms->count) {
			int order = i == old_terms->count   ? 1
				: j == new_terms->count ? -1
							: strcmp(old_terms->items[i].term, new_terms->items[j].term);
			if (order < 0) {
				find_index_apply_op_add(find_index_apply_term_of(apply, old_terms->items[i].term), changes[c].doc, 0, -1);
				i++;
			} else if (order > 0) {
				find_index_apply_op_add(find_index_apply_term_of(apply, new_terms->items[j].term), changes[c].doc,
					new_terms->items[j].impact, 1);
				j++;
			} else {
				if (old_terms->items[i].impact != new_terms->items[j].impact)
					find_index_apply_op_add(find_index_apply_term_of(apply, new_terms->items[j].term), changes[c].doc,
						new_terms->items[j].impact, 0);
				i++;
				j++;
			}
		}
	}
}

static int find_index_read_head(void *callback_context, const struct db_row *row)
{
	struct find_index_apply *apply = callback_context;
	if (row->column_count < 4 || row->values[0] == NULL)
		return 0;
	struct find_index_apply_term *term = find_index_apply_find(apply, row->values[0]);
	if (term == NULL)
		return 0;
	term->exists = 1;
	term->old_documents = (uint32_t)strtoul(row->values[1], NULL, 10);
	term->old_max = (uint8_t)strtoul(row->values[2], NULL, 10);
	term->old_bits = (unsigned)strtoul(row->values[3], NULL, 10);
	if (row->column_count >= 7 && row->values[6] != NULL && row->lengths[6] == FIND_INDEX_RANGES) {
		term->has_ranges = 1;
		memcpy(term->old_ranges, row->values[6], FIND_INDEX_RANGES);
	}
	if (row->column_count >= 6 && row->values[4] != NULL && row->values[5] != NULL) {
		struct find_index_apply_bucket *bucket =
			find_index_apply_bucket_of(term, (uint32_t)strtoul(row->values[4], NULL, 10));
		if (!bucket->stored) {
			bucket->stored = 1;
			if (find_index_postings_decode((const unsigned char *)row->values[5], row->lengths[5], &bucket->postings) != 0)
				apply->malformed = 1;
		}
	}
	return 0;
}

struct find_index_bucket_reader {
	struct find_index_apply *apply;
	int malformed;
};

static int find_index_read_bucket(void *callback_context, const struct db_row *row)
{
	struct find_index_bucket_reader *reader = callback_context;
	if (row->column_count < 3 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	struct find_index_apply_term *term = find_index_apply_find(reader->apply, row->values[0]);
	if (term == NULL)
		return 0;
	struct find_index_apply_bucket *bucket = find_index_apply_bucket_of(term, (uint32_t)strtoul(row->values[1], NULL, 10));
	bucket->stored = 1;
	find_index_postings_clear(&bucket->postings);
	if (row->values[2] != NULL &&
		find_index_postings_decode((const unsigned char *)row->values[2], row->lengths[2], &bucket->postings) != 0)
		reader->malformed = 1;
	return 0;
}

/* A JSON text of an array built with json-c; the caller puts the array. */
static const char *find_index_json(json_object *array)
{
	return json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN);
}

static int find_index_exec_json(struct db *db, enum find_index_statement which, json_object *array, uint64_t tenant_id,
	const char *entity, int json_first)
{
	if (json_object_array_length(array) == 0)
		return DB_OK;
	struct db_param params[3];
	if (json_first) {
		params[0] = DB_TEXT(find_index_json(array));
		params[1] = DB_UINT(tenant_id);
		params[2] = DB_TEXT(entity);
	} else {
		params[0] = DB_UINT(tenant_id);
		params[1] = DB_TEXT(entity);
		params[2] = DB_TEXT(find_index_json(array));
	}
	return db_exec(db, &find_index_statements[which], params, 3, NULL, NULL);
}

/* Buffers bucket rows for FIS_BUCKETS_WRITE and sends them about a
 * megabyte at a time. */
struct find_index_writer {
	struct db *db;
	uint64_t tenant_id;
	const char *entity;
	json_object *rows;
	size_t bytes;
	int result;
	uint64_t buckets_written;
};

static void find_index_writer_flush(struct find_index_writer *writer)
{
	if (writer->result == DB_OK && json_object_array_length(writer->rows) > 0)
		writer->result = find_index_exec_json(writer->db, FIS_BUCKETS_WRITE, writer->rows, writer->tenant_id,
			writer->entity, 0);
	json_object_put(writer->rows);
	writer->rows = json_object_new_array();
	writer->bytes = 0;
}

static void find_index_writer_add(struct find_index_writer *writer, const char *term, uint32_t bucket,
	const struct find_index_postings *postings)
{
	size_t length = 0;
	unsigned char *packed = find_index_postings_encode(postings, &length);
	char *hex = xmalloc(2 * length + 1);
	hex_encode(packed, length, hex);
	json_object *row = json_object_new_array();
	json_object_array_add(row, json_object_new_string(term));
	json_object_array_add(row, json_object_new_int64(bucket));
	json_object_array_add(row, json_object_new_int64((int64_t)postings->count));
	json_object_array_add(row, json_object_new_int(find_index_postings_max_impact(postings)));
	json_object_array_add(row, json_object_new_string_len(hex, (int)(2 * length)));
	json_object_array_add(writer->rows, row);
	writer->buckets_written++;
	writer->bytes += 2 * length + strlen(term) + 32;
	free(hex);
	free(packed);
	if (writer->bytes >= FIND_INDEX_WRITE_BYTES)
		find_index_writer_flush(writer);
}

/* Writes the term's postings (every one of them, in new_bits buckets). */
static void find_index_write_whole(struct find_index_writer *writer, const char *term,
	const struct find_index_postings *all, unsigned bits)
{
	struct find_index_postings bucket_postings = {0};
	size_t i = 0;
	while (i < all->count) {
		uint32_t bucket = find_index_bucket_of(all->docs[i], bits);
		find_index_postings_clear(&bucket_postings);
		for (; i < all->count && find_index_bucket_of(all->docs[i], bits) == bucket; i++)
			find_index_postings_append(&bucket_postings, all->docs[i], all->impacts[i]);
		find_index_writer_add(writer, term, bucket, &bucket_postings);
	}
	find_index_postings_release(&bucket_postings);
}

static void find_index_head_row(json_object *heads, const char *term, uint32_t documents, uint8_t max_impact,
	unsigned bits, const uint8_t *ranges)
{
	char ranges_hex[2 * FIND_INDEX_RANGES + 1] = "";
	if (ranges != NULL)
		hex_encode(ranges, FIND_INDEX_RANGES, ranges_hex);
	char reversed[FIND_INDEX_TERM_MAX_BYTES + 1];
	find_index_reverse_chars(term, reversed, sizeof(reversed));
	json_object *row = json_object_new_array();
	json_object_array_add(row, json_object_new_string(term));
	json_object_array_add(row, json_object_new_string(reversed));
	json_object_array_add(row, json_object_new_int64(documents));
	json_object_array_add(row, json_object_new_int(max_impact));
	json_object_array_add(row, json_object_new_int((int)bits));
	json_object_array_add(row, json_object_new_string(ranges_hex));
	json_object_array_add(heads, row);
}

int find_index_apply(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	const struct find_index_change *changes, size_t change_count)
{
	struct find_index_apply apply = {0};
	find_index_apply_collect(&apply, changes, change_count);
	if (apply.count == 0)
		return DB_OK;
	const char *entity = find_index_entity(kind);
	/* (term, document) pairs in term order: terms are locked in sorted
	 * order, so two writers never wait on each other in a circle. */
	json_object *terms = json_object_new_array();
	for (size_t i = 0; i < apply.count; i++)
		for (size_t o = 0; o < apply.terms[i].op_count; o++) {
			json_object *pair = json_object_new_array();
			json_object_array_add(pair, json_object_new_string(apply.terms[i].term));
			json_object_array_add(pair, json_object_new_int64(apply.terms[i].ops[o].doc));
			json_object_array_add(terms, pair);
		}
	struct db_param lock_params[] = {DB_TEXT(find_index_json(terms)), DB_UINT(tenant_id), DB_TEXT(entity)};
	int result = db_query(db, &find_index_statements[FIS_HEADS_LOCK], lock_params, 3, find_index_read_head, &apply);
	json_object *whole_terms = json_object_new_array();
	for (size_t i = 0; result == DB_OK && i < apply.count; i++) {
		struct find_index_apply_term *term = &apply.terms[i];
		int64_t documents = (int64_t)term->old_documents + term->delta;
		term->new_documents = documents < 0 ? 0 : (uint32_t)documents;
		term->new_bits = find_index_bucket_bits_for(term->new_documents, term->exists ? term->old_bits : 0);
		term->whole = term->exists && (term->new_bits != term->old_bits || term->new_documents == 0);
		if (term->whole)
			json_object_array_add(whole_terms, json_object_new_string(term->term));
	}
	struct find_index_bucket_reader reader = {.apply = &apply};
	if (result == DB_OK && json_object_array_length(whole_terms) > 0) {
		struct db_param params[] = {DB_TEXT(find_index_json(whole_terms)), DB_UINT(tenant_id), DB_TEXT(entity)};
		result = db_query(db, &find_index_statements[FIS_TERM_BUCKETS_LOCK], params, 3, find_index_read_bucket, &reader);
	}
	if (result == DB_OK && apply.malformed)
		result = DB_ERROR;
	if (result == DB_OK && reader.malformed)
		result = DB_ERROR;
	json_object *deletes = json_object_new_array(), *heads = json_object_new_array(),
		    *dropped = json_object_new_array();
	struct find_index_writer writer = {.db = db, .tenant_id = tenant_id, .entity = entity,
		.rows = json_object_new_array(), .result = DB_OK};
	/* Whole terms lose every bucket row first; what remains is written anew. */
	if (result == DB_OK)
		result = find_index_exec_json(db, FIS_TERM_BUCKETS_DELETE, whole_terms, tenant_id, entity, 1);
	uint8_t ranges[FIND_INDEX_RANGES];
	for (size_t i = 0; result == DB_OK && i < apply.count; i++) {
		struct find_index_apply_term *term = &apply.terms[i];
		int ranges_known = 0;
		if (term->whole) {
			struct find_index_postings all = {0};
			for (size_t b = 0; b < term->bucket_count; b++)
				for (size_t p = 0; p < term->buckets[b].postings.count; p++)
					find_index_postings_set(&all, term->buckets[b].postings.docs[p], term->buckets[b].postings.impacts[p]);
			for (size_t o = 0; o < term->op_count; o++)
				find_index_postings_set(&all, term->ops[o].doc, term->ops[o].impact);
			term->new_documents = (uint32_t)all.count;
			term->new_bits = find_index_bucket_bits_for(term->new_documents, term->old_bits);
			term->new_max = find_index_postings_max_impact(&all);
			/* Rewritten whole: its range maxima exact again (or none, when
			 * it has too few buckets to need them). */
			ranges_known = term->new_bits >= FIND_INDEX_RANGE_MAXIMA_MIN_BITS;
			memset(ranges, 0, sizeof(ranges));
			if (ranges_known)
				find_index_range_maxima_add(ranges, all.docs, all.impacts, all.count);
			if (all.count > 0)
				find_index_write_whole(&writer, term->term, &all, term->new_bits);
			find_index_postings_release(&all);
		} else {
			for (size_t o = 0; o < term->op_count; o++) {
				struct find_index_apply_bucket *bucket =
					find_index_apply_bucket_of(term, find_index_bucket_of(term->ops[o].doc, term->new_bits));
				find_index_postings_set(&bucket->postings, term->ops[o].doc, term->ops[o].impact);
			}
			for (size_t b = 0; b < term->bucket_count; b++) {
				struct find_index_apply_bucket *bucket = &term->buckets[b];
				if (bucket->postings.count > 0) {
					find_index_writer_add(&writer, term->term, bucket->bucket, &bucket->postings);
				} else if (bucket->stored) {
					json_object *pair = json_object_new_array();
					json_object_array_add(pair, json_object_new_string(term->term));
					json_object_array_add(pair, json_object_new_int64(bucket->bucket));
					json_object_array_add(deletes, pair);
				}
			}
			/* A removal may leave the term's maximum stale: still a bound. */
			term->new_max = term->exists && term->old_max > term->added_max ? term->old_max : term->added_max;
			/* The same for its range maxima, raised by what is added. A term
			 * that exists without them (indexed before they were kept)
			 * stays without until find-reindex; a new one has all its
			 * postings here. */
			ranges_known = term->new_bits >= FIND_INDEX_RANGE_MAXIMA_MIN_BITS && (term->has_ranges || !term->exists);
			if (term->has_ranges)
				memcpy(ranges, term->old_ranges, sizeof(ranges));
			else
				memset(ranges, 0, sizeof(ranges));
			for (size_t o = 0; ranges_known && o < term->op_count; o++)
				find_index_range_maxima_add(ranges, &term->ops[o].doc, &term->ops[o].impact, 1);
		}
		if (term->new_documents > 0)
			find_index_head_row(heads, term->term, term->new_documents, term->new_max, term->new_bits,
				ranges_known ? ranges : NULL);
		else if (term->exists)
			json_object_array_add(dropped, json_object_new_string(term->term));
	}
	find_index_writer_flush(&writer);
	if (result == DB_OK)
		result = writer.result;
	if (result == DB_OK)
		result = find_index_exec_json(db, FIS_BUCKETS_DELETE, deletes, tenant_id, entity, 1);
	if (result == DB_OK)
		result = find_index_exec_json(db, FIS_HEADS_WRITE, heads, tenant_id, entity, 0);
	if (result == DB_OK)
		result = find_index_exec_json(db, FIS_HEADS_DELETE, dropped, tenant_id, entity, 1);
	json_object_put(writer.rows);
	json_object_put(terms);
	json_object_put(whole_terms);
	json_object_put(deletes);
	json_object_put(heads);
	json_object_put(dropped);
	find_index_apply_release(&apply);
	return result;
}

/* ------------------------------------------------------------ query build */

struct find_index_head {
	char term[FIND_INDEX_TERM_MAX_BYTES + 1];
	uint32_t documents;
	uint8_t max_impact;
	unsigned bits;
	/* Every posting of a term read whole with its statistics (complete:
	 * the walk has nothing to fetch for it); owned. */
	struct find_index_postings postings;
	int complete;
	int has_ranges;
	uint8_t ranges[FIND_INDEX_RANGES]; /* its range maxima, when it has them */
};

struct find_index_heads {
	struct find_index_head *items;
	size_t count, capacity;
	uint64_t collection_documents;
	int malformed; /* a bucket read with a head did not decode */
	struct auth_context *key_check; /* reads the confirmation column, when there is one */
};

/* Rows come one per term, or one per bucket of a term read whole, its
 * buckets in order (a term appears once in the statement's list). */
static int find_index_collect_head(void *callback_context, const struct db_row *row)
{
	struct find_index_heads *heads = callback_context;
	if (row->column_count < 4 || row->values[0] == NULL || row->lengths[0] > FIND_INDEX_TERM_MAX_BYTES)
		return 0;
	struct find_index_head *head = heads->count ? &heads->items[heads->count - 1] : NULL;
	int next_bucket = head != NULL && head->complete && strlen(head->term) == row->lengths[0] &&
		memcmp(head->term, row->values[0], row->lengths[0]) == 0;
	if (!next_bucket) {
		if (heads->count == heads->capacity) {
			heads->capacity = heads->capacity ? heads->capacity * 2 : 32;
			heads->items = xrealloc(heads->items, heads->capacity * sizeof(*heads->items));
		}
		head = &heads->items[heads->count++];
		memset(head, 0, sizeof(*head));
		memcpy(head->term, row->values[0], row->lengths[0]);
		head->term[row->lengths[0]] = '\0';
		head->documents = (uint32_t)strtoul(row->values[1], NULL, 10);
		head->max_impact = (uint8_t)strtoul(row->values[2], NULL, 10);
		head->bits = (unsigned)strtoul(row->values[3], NULL, 10);
		if (row->column_count > 4 && row->values[4] != NULL)
			heads->collection_documents = strtoull(row->values[4], NULL, 10);
		head->has_ranges = row->column_count > 6 && row->values[6] != NULL && row->lengths[6] == FIND_INDEX_RANGES;
		if (head->has_ranges)
			memcpy(head->ranges, row->values[6], FIND_INDEX_RANGES);
	}
	if (row->column_count > 7 && heads->key_check != NULL)
		principal_confirm_read(heads->key_check, row->values[7], row->lengths[7]);
	if (row->column_count > 5 && row->values[5] != NULL) {
		head->complete = 1;
		if (find_index_postings_decode((const unsigned char *)row->values[5], row->lengths[5], &head->postings) != 0)
			heads->malformed = 1;
	}
	return 0;
}

static void find_index_heads_release(struct find_index_heads *heads)
{
	for (size_t i = 0; i < heads->count; i++)
		find_index_postings_release(&heads->items[i].postings);
	free(heads->items);
	memset(heads, 0, sizeof(*heads));
}

/* Adds a term read with its statistics, and its postings when they came
 * whole with them (the walk then has nothing to fetch for it). Returns the
 * term's index or -1. */
static int find_index_add_head(struct find_index_query *query, const struct find_index_head *head, int position,
	double weight)
{
	int index = find_index_query_add(query, head->term, position, weight, head->documents, head->max_impact, head->bits);
	if (index >= 0 && head->has_ranges)
		find_index_query_set_range_maxima(query, index, head->ranges);
	if (index >= 0 && head->complete) {
		struct find_index_query_term *term = &query->terms[index];
		find_index_postings_clear(&term->postings);
		for (size_t i = 0; i < head->postings.count; i++)
			find_index_postings_append(&term->postings, head->postings.docs[i], head->postings.impacts[i]);
		term->next_bucket = (uint64_t)1 << head->bits;
	}
	return index;
}

/* The statement's list names each term once: its rows are then one term's
 * (or its buckets') at a time. */
static void find_index_terms_add_once(json_object *terms, const char *term)
{
	for (size_t i = 0; i < json_object_array_length(terms); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(terms, i)), term) == 0)
			return;
	json_object_array_add(terms, json_object_new_string(term));
}

static const struct find_index_head *find_index_heads_find(const struct find_index_heads *heads, const char *term)
{
	for (size_t i = 0; i < heads->count; i++)
		if (strcmp(heads->items[i].term, term) == 0)
			return &heads->items[i];
	return NULL;
}

static int find_index_head_by_documents(const void *a, const void *b)
{
	const struct find_index_head *x = a, *y = b;
	if (x->documents != y->documents)
		return x->documents > y->documents ? -1 : 1;
	return strcmp(x->term, y->term);
}

/* Adds the most frequent of heads (already read) as alternatives of position. */
static void find_index_add_alternatives(struct find_index_query *query, struct find_index_heads *heads, int position,
	double weight, const char *skip)
{
	if (heads->count > 1)
		qsort(heads->items, heads->count, sizeof(*heads->items), find_index_head_by_documents);
	size_t added = 0;
	for (size_t i = 0; i < heads->count && added + 1 < FIND_INDEX_ALTERNATIVES_MAX; i++) {
		if (strcmp(heads->items[i].term, skip) == 0)
			continue;
		if (find_index_query_add(query, heads->items[i].term, position, weight, heads->items[i].documents,
			    heads->items[i].max_impact, heads->items[i].bits) >= 0)
			added++;
	}
}

static int find_index_lookup_prefix(struct db *db, uint64_t tenant_id, const char *entity, const char *word,
	struct find_index_heads *out)
{
	char pattern[FIND_INDEX_WORD_MAX_BYTES + 2];
	snprintf(pattern, sizeof(pattern), "%s%%", word);
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(entity), DB_TEXT(pattern)};
	return db_query(db, &find_index_statements[FIS_PREFIX], params, 3, find_index_collect_head, out);
}

static int find_index_lookup_typos(struct db *db, uint64_t tenant_id, const char *entity, const char *word,
	struct find_index_heads *out)
{
	char prefix[FIND_INDEX_WORD_MAX_BYTES + 2], suffix[FIND_INDEX_WORD_MAX_BYTES + 2];
	char reversed[FIND_INDEX_WORD_MAX_BYTES + 2], prefix_pattern[FIND_INDEX_WORD_MAX_BYTES + 3],
		suffix_pattern[FIND_INDEX_WORD_MAX_BYTES + 3];
	find_index_typo_keys(word, prefix, sizeof(prefix), suffix, sizeof(suffix));
	find_index_reverse_chars(suffix, reversed, sizeof(reversed));
	snprintf(prefix_pattern, sizeof(prefix_pattern), "%s%%", prefix);
	snprintf(suffix_pattern, sizeof(suffix_pattern), "%s%%", reversed);
	size_t chars = find_utf8_chars(word);
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(entity), DB_TEXT(prefix_pattern), DB_INT((int64_t)chars - 1),
		DB_INT((int64_t)chars + 1), DB_UINT(tenant_id), DB_TEXT(entity), DB_TEXT(suffix_pattern),
		DB_INT((int64_t)chars - 1), DB_INT((int64_t)chars + 1)};
	struct find_index_heads found = {0};
	int result = db_query(db, &find_index_statements[FIS_TYPO], params, 10, find_index_collect_head, &found);
	/* Keep the terms truly one edit away, each once. */
	for (size_t i = 0; result == DB_OK && i < found.count; i++) {
		if (!find_index_one_edit(word, found.items[i].term) || find_index_heads_find(out, found.items[i].term))
			continue;
		if (out->count == out->capacity) {
			out->capacity = out->capacity ? out->capacity * 2 : 16;
			out->items = xrealloc(out->items, out->capacity * sizeof(*out->items));
		}
		out->items[out->count++] = found.items[i];
		memset(&found.items[i].postings, 0, sizeof(found.items[i].postings)); /* out owns it now */
	}
	find_index_heads_release(&found);
	return result;
}

/* The statistics (and small terms' postings) of text's words, and of the
 * pairs of adjacent words when pairs is set, into heads. */
static int find_index_read_heads(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	const struct find_index_text *text, int pairs, struct auth_context *key_check, struct find_index_heads *heads)
{
	json_object *terms = json_object_new_array();
	char pair[FIND_INDEX_TERM_MAX_BYTES + 1];
	for (int i = 0; i < text->count; i++) {
		find_index_terms_add_once(terms, text->words[i]);
		if (pairs && i > 0) {
			snprintf(pair, sizeof(pair), "%s %s", text->words[i - 1], text->words[i]);
			find_index_terms_add_once(terms, pair);
		}
	}
	int confirming = key_check != NULL && key_check->principal_unconfirmed &&
		(key_check->kind == AUTH_SECRET_KEY || key_check->kind == AUTH_PUBLISHABLE_KEY);
	heads->key_check = confirming ? key_check : NULL;
	const char *counter = kind == FIND_POST ? "find.posts" : "find.products";
	struct db_param params[5 + KEY_PRINCIPAL_CONFIRM_PARAMS];
	size_t count = 0;
	params[count++] = DB_TEXT(counter);
	if (confirming) {
		key_principal_confirm_bind(key_check, params + count);
		count += KEY_PRINCIPAL_CONFIRM_PARAMS;
	}
	params[count++] = DB_TEXT(find_index_json(terms));
	params[count++] = DB_UINT(tenant_id);
	params[count++] = DB_TEXT(find_index_entity(kind));
	params[count++] = DB_UINT(FIND_INDEX_PRELOAD_DOCUMENTS);
	int result = db_query(db, &find_index_statements[confirming ? FIS_HEADS_CONFIRMING : FIS_HEADS], params, count,
		find_index_collect_head, heads);
	json_object_put(terms);
	heads->key_check = NULL;
	return result;
}

void find_index_memo_release(struct find_index_memo *memo)
{
	if (memo->heads != NULL) {
		find_index_heads_release(memo->heads);
		free(memo->heads);
	}
	memo->heads = NULL;
}

int find_index_query_build(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	const struct find_index_text *text, const struct find_index_plan *plan, struct auth_context *key_check,
	struct find_index_memo *memo, struct find_index_query *query)
{
	memset(query, 0, sizeof(*query));
	query->mode = plan->mode;
	query->positions = text->count;
	if (text->count == 0)
		return DB_OK;
	const char *entity = find_index_entity(kind);
	char pair[FIND_INDEX_TERM_MAX_BYTES + 1];
	struct find_index_heads read_now = {0}, *heads = &read_now;
	int result = DB_OK;
	if (memo != NULL && memo->heads != NULL) {
		heads = memo->heads; /* read by an earlier walk of this search */
	} else {
		result = find_index_read_heads(db, tenant_id, kind, text, plan->pairs, key_check, heads);
		if (result == DB_OK && memo != NULL) {
			memo->heads = xmalloc(sizeof(*memo->heads));
			*memo->heads = read_now;
			memset(&read_now, 0, sizeof(read_now));
			heads = memo->heads;
		}
	}
	int malformed = heads->malformed;
	query->collection_documents = heads->collection_documents;
	for (int i = 0; result == DB_OK && i < text->count; i++) {
		const char *word = text->words[i];
		int last = i == text->count - 1;
		const struct find_index_head *head = find_index_heads_find(heads, word);
		int typed_short = last && text->last_is_prefix &&
			(strlen(word) < FIND_INDEX_WORD_MIN_BYTES || find_index_is_stopword(word, strlen(word)));
		if (head != NULL && !typed_short)
			find_index_add_head(query, head, i, 1.0);
		struct find_index_heads alternatives = {0};
		if (plan->prefix_last && last && text->last_is_prefix) {
			result = find_index_lookup_prefix(db, tenant_id, entity, word, &alternatives);
			if (result == DB_OK)
				find_index_add_alternatives(query, &alternatives, i, FIND_INDEX_WEIGHT_PREFIX, word);
		} else if (plan->typos && head == NULL && find_index_typo_candidate(word)) {
			result = find_index_lookup_typos(db, tenant_id, entity, word, &alternatives);
			if (result == DB_OK)
				find_index_add_alternatives(query, &alternatives, i, FIND_INDEX_WEIGHT_TYPO, word);
		}
		find_index_heads_release(&alternatives);
		if (plan->pairs && i > 0) {
			snprintf(pair, sizeof(pair), "%s %s", text->words[i - 1], word);
			const struct find_index_head *pair_head = find_index_heads_find(heads, pair);
			if (pair_head != NULL)
				find_index_add_head(query, pair_head, -1, FIND_INDEX_WEIGHT_PAIR);
		}
	}
	find_index_heads_release(&read_now); /* empty when the memo keeps them */
	if (result == DB_OK && malformed)
		result = DB_ERROR;
	/* The collection is at least as large as its most frequent term. */
	for (size_t i = 0; i < query->term_count; i++)
		if (query->collection_documents < query->terms[i].documents)
			query->collection_documents = query->terms[i].documents;
	find_index_query_prepare(query);
	return result;
}

/* ------------------------------------------------------------ walk source */

struct find_index_fetch {
	struct find_index_query *query;
	const size_t *term_of; /* pair ordinal (1-based) -> term index */
	size_t pair_count;
	int malformed;
};

static int find_index_read_fetched(void *callback_context, const struct db_row *row)
{
	struct find_index_fetch *fetch = callback_context;
	if (row->column_count < 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	size_t ordinal = strtoul(row->values[0], NULL, 10);
	if (ordinal == 0 || ordinal > fetch->pair_count)
		return 0;
	struct find_index_query_term *term = &fetch->query->terms[fetch->term_of[ordinal - 1]];
	if (find_index_postings_decode((const unsigned char *)row->values[1], row->lengths[1], &term->postings) != 0)
		fetch->malformed = 1;
	return 0;
}

/* Sends the pairs gathered so far and appends their postings. */
static int find_index_fetch_flush(struct find_index_db_source *source, struct find_index_fetch *fetch,
	json_object **pairs)
{
	int result = DB_OK;
	fetch->pair_count = json_object_array_length(*pairs);
	if (fetch->pair_count > 0) {
		struct db_param params[] = {DB_TEXT(find_index_json(*pairs)), DB_UINT(source->tenant_id),
			DB_TEXT(find_index_entity(source->kind))};
		result = db_query(source->db, &find_index_statements[FIS_BUCKETS], params, 3, find_index_read_fetched, fetch);
	}
	json_object_put(*pairs);
	*pairs = json_object_new_array();
	return result;
}

/* Pairs are sent term by term in bucket order and rows come back in that
 * order, so each term's postings are appended in document order. */
static int find_index_db_fetch(void *context, struct find_index_query *query,
	const struct find_index_bucket_request *requests, size_t count)
{
	struct find_index_db_source *source = context;
	size_t *term_of = xmalloc(FIND_INDEX_PAIRS_PER_FETCH * sizeof(size_t));
	json_object *pairs = json_object_new_array();
	struct find_index_fetch fetch = {.query = query, .term_of = term_of};
	int result = DB_OK;
	for (size_t i = 0; i < count && result == DB_OK; i++) {
		if (json_object_array_length(pairs) == FIND_INDEX_PAIRS_PER_FETCH)
			result = find_index_fetch_flush(source, &fetch, &pairs);
		term_of[json_object_array_length(pairs)] = requests[i].term;
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(query->terms[requests[i].term].term));
		json_object_array_add(pair, json_object_new_int64(requests[i].bucket));
		json_object_array_add(pairs, pair);
	}
	if (result == DB_OK)
		result = find_index_fetch_flush(source, &fetch, &pairs);
	json_object_put(pairs);
	free(term_of);
	if (result == DB_OK && fetch.malformed)
		result = DB_ERROR;
	source->db_result = result;
	return result == DB_OK ? 0 : 1;
}

struct find_index_maxima_reader {
	const size_t *term_of; /* slot -> term index */
	const uint64_t *first_bucket;
	uint8_t *const *maxima;
	const struct find_index_query *query;
};

static int find_index_read_maximum(void *callback_context, const struct db_row *row)
{
	struct find_index_maxima_reader *reader = callback_context;
	if (row->column_count < 3 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL)
		return 0;
	size_t slot = strtoul(row->values[0], NULL, 10);
	if (slot >= FIND_INDEX_MAXIMA_SLOTS)
		return 0;
	size_t term = reader->term_of[slot];
	uint64_t bucket = strtoull(row->values[1], NULL, 10);
	uint64_t last = ((uint64_t)1 << reader->query->terms[term].bits) - 1;
	if (bucket >= reader->first_bucket[term] && bucket <= last)
		reader->maxima[term][bucket - reader->first_bucket[term]] = (uint8_t)strtoul(row->values[2], NULL, 10);
	return 0;
}

/* The maxima of up to FIND_INDEX_MAXIMA_SLOTS terms per statement. */
static int find_index_db_maxima(void *context, const struct find_index_query *query, const uint64_t *first_bucket,
	uint8_t *const *maxima)
{
	struct find_index_db_source *source = context;
	const char *entity = find_index_entity(source->kind);
	size_t next = 0;
	source->db_result = DB_OK;
	while (source->db_result == DB_OK) {
		size_t term_of[FIND_INDEX_MAXIMA_SLOTS];
		struct db_param params[FIND_INDEX_MAXIMA_SLOTS * 5];
		size_t slots = 0;
		for (; next < query->term_count && slots < FIND_INDEX_MAXIMA_SLOTS; next++) {
			if (maxima[next] == NULL)
				continue;
			term_of[slots] = next;
			params[slots * 5] = DB_UINT(source->tenant_id);
			params[slots * 5 + 1] = DB_TEXT(entity);
			params[slots * 5 + 2] = DB_TEXT(query->terms[next].term);
			params[slots * 5 + 3] = DB_UINT(first_bucket[next]);
			params[slots * 5 + 4] = DB_UINT(((uint64_t)1 << query->terms[next].bits) - 1);
			slots++;
		}
		if (slots == 0)
			break;
		for (size_t slot = slots; slot < FIND_INDEX_MAXIMA_SLOTS; slot++) {
			params[slot * 5] = DB_UINT(source->tenant_id);
			params[slot * 5 + 1] = DB_TEXT(entity);
			params[slot * 5 + 2] = DB_NULL; /* an empty slot matches no row */
			params[slot * 5 + 3] = DB_UINT(0);
			params[slot * 5 + 4] = DB_UINT(0);
		}
		struct find_index_maxima_reader reader = {.term_of = term_of, .first_bucket = first_bucket, .maxima = maxima,
			.query = query};
		source->db_result = db_query(source->db, &find_index_statements[FIS_MAXIMA], params,
			FIND_INDEX_MAXIMA_SLOTS * 5, find_index_read_maximum, &reader);
	}
	return source->db_result == DB_OK ? 0 : 1;
}

void find_index_db_source_init(struct find_index_db_source *db_source, struct find_index_source *source,
	int (*verify)(void *context, const uint32_t *docs, size_t count, uint8_t *passed), void *verify_context)
{
	db_source->db_result = DB_OK;
	source->fetch = find_index_db_fetch;
	source->maxima = find_index_db_maxima;
	source->verify = verify;
	source->context = db_source;
	source->verify_context = verify_context;
}

char *find_index_doc_list(const uint32_t *docs, size_t count)
{
	char *text = xmalloc(2 + count * 11 + 1);
	size_t used = 0;
	text[used++] = '[';
	for (size_t i = 0; i < count; i++)
		used += (size_t)sprintf(text + used, "%s%u", i ? "," : "", (unsigned)docs[i]);
	text[used++] = ']';
	text[used] = '\0';
	return text;
}

static int find_index_doc_order_32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int find_index_mark_passed(void *callback_context, const struct db_row *row)
{
	struct find_index_passing *passing = callback_context;
	if (row->column_count < 1 || row->values[0] == NULL)
		return 0;
	uint32_t doc = (uint32_t)strtoul(row->values[0], NULL, 10);
	const uint32_t *found = bsearch(&doc, passing->docs, passing->count, sizeof(uint32_t), find_index_doc_order_32);
	if (found != NULL)
		passing->passed[found - passing->docs] = 1;
	return 0;
}

/* ---------------------------------------------------------------- rebuild */

/* Term -> postings, open addressing. */
struct find_index_map_entry {
	char *term;
	struct find_index_postings postings;
	uint8_t max_impact;
};

struct find_index_map {
	struct find_index_map_entry *entries;
	size_t count, capacity;
};

static uint64_t find_index_hash(const char *text)
{
	uint64_t hash = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		hash = (hash ^ *p) * 1099511628211ULL;
	return hash;
}

static struct find_index_map_entry *find_index_map_slot(struct find_index_map *map, const char *term)
{
	if (2 * (map->count + 1) > map->capacity) {
		size_t capacity = map->capacity ? map->capacity * 2 : 4096;
		struct find_index_map_entry *entries = xcalloc(capacity, sizeof(*entries));
		for (size_t i = 0; i < map->capacity; i++) {
			if (map->entries[i].term == NULL)
				continue;
			size_t at = find_index_hash(map->entries[i].term) & (capacity - 1);
			while (entries[at].term != NULL)
				at = (at + 1) & (capacity - 1);
			entries[at] = map->entries[i];
		}
		free(map->entries);
		map->entries = entries;
		map->capacity = capacity;
	}
	size_t at = find_index_hash(term) & (map->capacity - 1);
	while (map->entries[at].term != NULL && strcmp(map->entries[at].term, term) != 0)
		at = (at + 1) & (map->capacity - 1);
	if (map->entries[at].term == NULL) {
		map->entries[at].term = xstrdup(term);
		map->count++;
	}
	return &map->entries[at];
}

struct find_index_rebuild {
	struct find_index_map map;
	struct find_index_rebuild_report *report;
};

static int find_index_rebuild_row(void *callback_context, const struct db_row *row)
{
	struct find_index_rebuild *rebuild = callback_context;
	if (row->column_count < 7)
		return 0;
	if (row->values[0] == NULL) {
		rebuild->report->unnumbered++;
		return 0;
	}
	uint32_t doc = (uint32_t)strtoul(row->values[0], NULL, 10);
	struct find_index_terms terms;
	find_index_terms_build(row->values[1], (const char *const *)row->values + 2, row->column_count - 2, &terms);
	for (size_t i = 0; i < terms.count; i++) {
		struct find_index_map_entry *entry = find_index_map_slot(&rebuild->map, terms.items[i].term);
		find_index_postings_append(&entry->postings, doc, terms.items[i].impact);
		if (terms.items[i].impact > entry->max_impact)
			entry->max_impact = terms.items[i].impact;
	}
	find_index_terms_release(&terms);
	rebuild->report->documents++;
	return 0;
}

static int find_index_doc_order(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts a term's postings by document (rows arrive in key order, not by number). */
static void find_index_sort_postings(struct find_index_postings *postings)
{
	uint64_t *pairs = xmalloc(postings->count * sizeof(uint64_t));
	for (size_t i = 0; i < postings->count; i++)
		pairs[i] = (uint64_t)postings->docs[i] << 8 | postings->impacts[i];
	qsort(pairs, postings->count, sizeof(uint64_t), find_index_doc_order);
	for (size_t i = 0; i < postings->count; i++) {
		postings->docs[i] = (uint32_t)(pairs[i] >> 8);
		postings->impacts[i] = (uint8_t)(pairs[i] & 0xFF);
	}
	free(pairs);
}

int find_index_rebuild(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	struct find_index_rebuild_report *report)
{
	memset(report, 0, sizeof(*report));
	struct find_index_rebuild rebuild = {.report = report};
	const char *entity = find_index_entity(kind);
	struct db_param tenant[] = {DB_UINT(tenant_id), DB_TEXT(entity)};
	int result = db_begin(db);
	if (result == DB_OK)
		result = db_query(db, &find_index_statements[kind == FIND_POST ? FIS_REBUILD_POSTS : FIS_REBUILD_PRODUCTS],
			tenant, 1, find_index_rebuild_row, &rebuild);
	if (result == DB_OK)
		result = db_exec(db, &find_index_statements[FIS_CLEAR_POSTINGS], tenant, 2, NULL, NULL);
	if (result == DB_OK)
		result = db_exec(db, &find_index_statements[FIS_CLEAR_TERMS], tenant, 2, NULL, NULL);
	struct find_index_writer writer = {.db = db, .tenant_id = tenant_id, .entity = entity,
		.rows = json_object_new_array(), .result = result};
	json_object *heads = json_object_new_array();
	for (size_t i = 0; i < rebuild.map.capacity && writer.result == DB_OK; i++) {
		struct find_index_map_entry *entry = &rebuild.map.entries[i];
		if (entry->term == NULL)
			continue;
		find_index_sort_postings(&entry->postings);
		unsigned bits = find_index_bucket_bits_for((uint32_t)entry->postings.count, 0);
		find_index_write_whole(&writer, entry->term, &entry->postings, bits);
		uint8_t ranges[FIND_INDEX_RANGES] = {0};
		if (bits >= FIND_INDEX_RANGE_MAXIMA_MIN_BITS)
			find_index_range_maxima_add(ranges, entry->postings.docs, entry->postings.impacts, entry->postings.count);
		find_index_head_row(heads, entry->term, (uint32_t)entry->postings.count, entry->max_impact, bits,
			bits >= FIND_INDEX_RANGE_MAXIMA_MIN_BITS ? ranges : NULL);
		report->terms++;
		if (json_object_array_length(heads) >= 2000) {
			writer.result = find_index_exec_json(db, FIS_HEADS_WRITE, heads, tenant_id, entity, 0);
			json_object_put(heads);
			heads = json_object_new_array();
		}
	}
	find_index_writer_flush(&writer);
	if (writer.result == DB_OK)
		writer.result = find_index_exec_json(db, FIS_HEADS_WRITE, heads, tenant_id, entity, 0);
	json_object_put(heads);
	json_object_put(writer.rows);
	report->buckets = writer.buckets_written;
	result = writer.result;
	if (result == DB_OK)
		result = db_commit(db);
	else
		db_rollback(db);
	for (size_t i = 0; i < rebuild.map.capacity; i++) {
		free(rebuild.map.entries[i].term);
		find_index_postings_release(&rebuild.map.entries[i].postings);
	}
	free(rebuild.map.entries);
	return result;
}

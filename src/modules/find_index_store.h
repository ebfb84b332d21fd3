/* The find search index in MariaDB: writes a document's postings in the
 * caller's transaction (so an upsert is searchable when it commits), reads
 * term statistics, prefix and typo alternatives and buckets for the walk
 * (find_index.h), and rebuilds a tenant's index (intuka-admin find-reindex).
 * Every statement binds the tenant first: a search never reads another
 * tenant's terms or postings. */
#ifndef INTUKA_MODULES_FIND_INDEX_STORE_H
#define INTUKA_MODULES_FIND_INDEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "modules/find_documents.h"
#include "modules/find_index.h"

struct auth_context;

/* The terms a product or post is indexed under, from its parsed columns. */
void find_index_terms_of_columns(const struct find_columns *columns, struct find_index_terms *out);
/* The same from a stored row's texts (name or title, then the others in the
 * order find_index_terms_of_columns reads them; NULL entries skipped). */
void find_index_terms_of_texts(const char *name, const char *const *texts, size_t text_count,
	struct find_index_terms *out);

/* A new document number for a row: random, never 0. Returns 0 on failure. */
uint32_t find_index_new_doc(void);

/* One document's change: the terms it was indexed under (empty for a new
 * one) and the terms it has now (empty when it goes). */
struct find_index_change {
	uint32_t doc;
	const struct find_index_terms *old_terms;
	const struct find_index_terms *new_terms;
};

/* Applies changes to the tenant's postings and term statistics inside the
 * caller's open transaction (rows it touches stay locked until it ends).
 * Returns an enum db_result. */
int find_index_apply(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	const struct find_index_change *changes, size_t change_count);

/* --------------------------------------------------------------- search */

/* How a search may widen its words. */
struct find_index_plan {
	enum find_index_mode mode;
	int prefix_last; /* the last word also matches as a prefix */
	int typos;       /* words absent from the vocabulary match one edit away */
	int pairs;       /* adjacent words side by side in the name rank higher */
};

/* Terms of at most this many documents are read whole with their
 * statistics: a search whose words are all that rare reads the index in
 * one statement. The same as a search's first fetch of its rarest word
 * (find_search.c), which would read every bucket of such terms anyway. */
#define FIND_INDEX_PRELOAD_DOCUMENTS 4096

/* The words' statistics a search read, kept for its later walks (the
 * prefix and any-word walks read the same words): for one text and one
 * setting of plan.pairs. Starts zeroed; release when the search is done. */
struct find_index_heads;
struct find_index_memo {
	struct find_index_heads *heads;
};
void find_index_memo_release(struct find_index_memo *memo);

/* Builds query for words: reads their statistics (or takes them from memo,
 * which may be NULL) and, as plan allows, the prefix and typo alternatives
 * from the tenant's vocabulary. key_check (may be NULL): a request whose API
 * key came from the worker's cache; the statistics' statement then confirms
 * it (auth/key_principal.h). Returns an enum db_result. */
int find_index_query_build(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	const struct find_index_text *text, const struct find_index_plan *plan, struct auth_context *key_check,
	struct find_index_memo *memo, struct find_index_query *query);

/* The walk's source over the database; verify and verify_context come from
 * the caller (filters it alone knows), may be NULL. */
struct find_index_db_source {
	struct db *db;
	uint64_t tenant_id;
	enum find_entity_kind kind;
	int db_result; /* what stopped the walk, when it stopped */
};
void find_index_db_source_init(struct find_index_db_source *db_source, struct find_index_source *source,
	int (*verify)(void *context, const uint32_t *docs, size_t count, uint8_t *passed), void *verify_context);

/* A JSON array of document numbers, for statements that read a list of
 * them (the caller frees it). */
char *find_index_doc_list(const uint32_t *docs, size_t count);

/* Row callback for a verify: the first column is a document number that
 * passes; marks it in passed (docs ascending). */
struct find_index_passing {
	const uint32_t *docs;
	size_t count;
	uint8_t *passed;
};
int find_index_mark_passed(void *callback_context, const struct db_row *row);

/* ---------------------------------------------------------------- rebuild */

struct find_index_rebuild_report {
	uint64_t documents;
	uint64_t unnumbered; /* rows without a search_doc: left out */
	uint64_t terms;
	uint64_t buckets;
};

/* Rewrites the whole index of one tenant's products or posts from their
 * rows (in one transaction). Returns an enum db_result. */
int find_index_rebuild(struct db *db, uint64_t tenant_id, enum find_entity_kind kind,
	struct find_index_rebuild_report *report);

extern const struct statement_table find_index_statement_table;

#endif

/* Shared between the two files of the find content module (find_content.c:
 * routes, statements, single-entity handlers; find_content_batch.c: bulk
 * and delete-by-query): the entity definition and the one-entity writes
 * every handler goes through. */
#ifndef INTUKA_MODULES_FIND_CONTENT_H
#define INTUKA_MODULES_FIND_CONTENT_H

#include <stdint.h>

#include <json-c/json.h>

#include "db/db.h"
#include "modules/find_documents.h"
#include "modules/find_index.h"

struct request_context;

#define FIND_BULK_MAX 500
#define FIND_DELETE_BATCH 500 /* matches selected per delete-by-query transaction */
#define FIND_DELETE_BATCH_TEXT "500" /* the same, spliced into the *.match_ids SQL */

enum find_content_statement {
	FC_EXISTS,
	FC_INSERT,
	FC_UPDATE,
	FC_GET_WS,
	FC_GET_ANY,
	FC_DELETE,
	FC_IDS_WS,
	FC_IDS_ANY,
	FC_COUNT_WS,
	FC_COUNT_ANY,
	FC_MATCH_IDS,
	FC_DELETE_IDS,
	/* Term statements last: taxonomies have no terms and stop before them. */
	FC_TERMS_DELETE,
	FC_TERMS_INSERT,
	FC_TERMS_DELETE_IDS,
	/* Id listing narrowed by status and terms (products and posts). */
	FC_IDS_FILTERED,
	FC_COUNT_FILTERED,
	FC__MAX
};

/* What the generic handlers need to know about an entity. */
struct find_entity_def {
	enum find_entity_kind kind;
	const char *counter_name; /* resource_counts.resource */
	const struct db_statement_def *statements; /* indexed by enum find_content_statement */
};

enum find_store_outcome { FIND_STORED, FIND_CAP_REACHED, FIND_STORE_FAILED };

/* The entity the matched route serves. */
const struct find_entity_def *find_content_def(const struct request_context *context);
uint64_t find_content_tenant(const struct request_context *context);
/* The request body as an object, or NULL after answering 400. */
json_object *find_content_body(struct request_context *context);
/* 400 VALIDATION_ERROR with one detail per collected error. */
void find_content_respond_errors(struct request_context *context, const char *message, const struct find_errors *errors);

/* Upserts one validated entity in its own transaction (row, terms, and for
 * a new id the live-row count checked against the plan's cap). On
 * FIND_STORE_FAILED *db_result holds the enum db_result. */
enum find_store_outcome find_content_store(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, int *created, int *db_result);
/* Upserts count validated entities with distinct ids in one transaction,
 * with one write of their postings (a bulk request's items, a group at a
 * time). Returns DB_OK with created[i] set when every one is stored;
 * otherwise (a database error, a race, the plan's cap) none is, and the
 * caller stores them one by one with find_content_store. */
int find_content_store_group(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, size_t count, int *created);
/* Deletes one entity with its terms and count; *found is 0 when absent. Returns an enum db_result. */
int find_content_remove(struct request_context *context, const struct find_entity_def *def, const char *workspace,
	const char *id, int *found);
/* Adds delta to the tenant's live-row count for the entity (inside the caller's transaction). */
int find_content_counter_add(struct request_context *context, const struct find_entity_def *def, int64_t delta);
void find_content_cap_message(const struct request_context *context, const struct find_entity_def *def, char *out,
	size_t out_size);
/* Queues "<entity>.upsert" or "<entity>.delete" for the tenant's webhooks
 * inside the caller's transaction (find_events_emit). data: {"id", "created"}
 * for an upsert; {"ids": [...]} (and "id" when there is one) for a delete.
 * ids is a JSON array of strings. Returns an enum db_result. */
int find_content_emit_upsert(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, const char *id, int created);
int find_content_emit_delete(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, json_object *ids);
/* A row FC_EXISTS (or a match of FC_MATCH_IDS after its id) found: for
 * products and posts its search number and the terms it is indexed under. */
struct find_indexed_row {
	int exists;
	uint32_t doc; /* 0: not numbered, so not in the index */
	struct find_index_terms terms;
};
/* Row callback filling a struct find_indexed_row (release its terms). */
int find_content_read_indexed(void *callback_context, const struct db_row *row);

/* Row callback: first column as a string appended to the json array callback_context. */
int find_content_collect_ids(void *callback_context, const struct db_row *row);

void find_bulk_upsert(struct request_context *context);
void find_bulk_delete(struct request_context *context);
void find_delete_by_query(struct request_context *context);

#endif

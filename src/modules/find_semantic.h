/* Semantic ranking on plans that have it (find_plan.semantic_search) when
 * the installation has an embeddings model (docs/chat.md, "Semantic
 * ranking"): the search asks the provider for the query's vector (one
 * call, chat_llm_embedding_timeout_ms), takes the text search's top
 * FIND_SEMANTIC_CANDIDATES and re-ranks them by the hybrid score of
 * find/embedding.h with the stored vectors; recommendations read the
 * nearest neighbours of the product's vector. Any failure leaves the text
 * ranking as it is: it never fails the request. */
#ifndef INTUKA_MODULES_FIND_SEMANTIC_H
#define INTUKA_MODULES_FIND_SEMANTIC_H

#include <stddef.h>

#include "modules/find_documents.h"
#include "modules/find_index.h"

struct request_context;

/* Text hits re-ranked per search. */
#define FIND_SEMANTIC_CANDIDATES 50
/* Vectors of the workspace's products compared with the source product's
 * for recommendations (brute force, newest first past the bound). */
#define FIND_SEMANTIC_SCAN_MAX 10000
/* Neighbours that share nothing else with the product and still become
 * recommendation candidates. */
#define FIND_SEMANTIC_NEIGHBOURS_MAX 50

struct find_semantic_query {
	int active;          /* the query has a vector: re-rank */
	const char *entity;  /* "product" or "post" */
	char model[256];     /* the tenant's embeddings model: only its vectors compare */
	float *vector;       /* owned */
	size_t dimension;
};

/* Asks for the query's vector when enabled; query->active says whether
 * the search re-ranks (the plan has semantic search, the tenant an
 * embeddings model, the provider answered). Never fails: a failure is
 * logged and the search ranks by text. */
void find_semantic_begin(struct request_context *context, enum find_entity_kind kind, const char *text,
	size_t text_length, struct find_semantic_query *query);
/* How many text hits the walk should keep for this search. */
int find_semantic_candidates(const struct find_semantic_query *query, int limit);
/* Re-ranks hits (when active) and keeps the first `keep`. */
void find_semantic_rerank(struct request_context *context, const struct find_semantic_query *query,
	struct find_index_result *hits, size_t keep);
void find_semantic_end(struct find_semantic_query *query);

struct find_semantic_neighbour {
	const char *product_id; /* in the request's arena */
	double cosine;
};
/* The products of workspace with a vector, by similarity to product_id's
 * vector (best first), at most FIND_SEMANTIC_SCAN_MAX; *count 0 when the
 * product has no vector or semantic ranking is off. Returns an enum
 * db_result. */
int find_semantic_neighbours(struct request_context *context, const char *workspace, const char *product_id,
	struct find_semantic_neighbour **neighbours, size_t *count);

#endif

/* Semantic re-ranking of the text search's top hits, and the nearest
 * neighbours of a product for recommendations. */
#include "modules/find_semantic.h"
#include "auth/principal_confirm.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"
#include "find/embedding.h"
#include "find/embedding_store.h"
#include "find/gate.h"
#include "find/llm_embed.h"
#include "find/plan.h"
#include "handler/context.h"
#include "http/request.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum find_semantic_statement { SEMANTIC_STMT_SOURCE, SEMANTIC_STMT_SCAN, SEMANTIC_STMT__MAX };

#define SEMANTIC_SCAN_MAX_TEXT "10000"
_Static_assert(FIND_SEMANTIC_SCAN_MAX == 10000, "the scan's LIMIT is written out");

static const struct db_statement_def find_semantic_statements[SEMANTIC_STMT__MAX] = {
	/* The newest product of that id in the workspace, as recommendations' source. */
	[SEMANTIC_STMT_SOURCE] = {.name = "find_semantic.source_vector",
		.sql = "SELECT e.vector FROM find_products p JOIN find_embeddings e ON e.tenant_id = p.tenant_id "
		"AND e.entity = 'product' AND e.doc = p.search_doc AND e.model = ? WHERE p.tenant_id = ? "
		"AND p.workspace = ? AND p.product_id = ? LIMIT 1",
		.tenant_bound = 1},
	[SEMANTIC_STMT_SCAN] = {.name = "find_semantic.scan",
		.sql = "SELECT p.product_id, e.vector FROM find_embeddings e JOIN find_products p ON p.tenant_id = e.tenant_id "
		"AND p.search_doc = e.doc WHERE e.tenant_id = ? AND e.entity = 'product' AND e.model = ? "
		"AND p.workspace = ? AND p.product_id <> ? ORDER BY e.updated_at DESC LIMIT " SEMANTIC_SCAN_MAX_TEXT,
		.tenant_bound = 1},
};

const struct statement_table find_semantic_statement_table = {
	"find_semantic", find_semantic_statements, SEMANTIC_STMT__MAX};

static int find_semantic_plan_has_it(const struct request_context *context)
{
	const struct find_request *find = find_request_of(context);
	return find != NULL && find->plan != NULL && find->plan->semantic_search;
}

void find_semantic_begin(struct request_context *context, enum find_entity_kind kind, const char *text,
	size_t text_length, struct find_semantic_query *query)
{
	memset(query, 0, sizeof(*query));
	query->entity = kind == FIND_POST ? "post" : "product";
	if ((kind != FIND_PRODUCT && kind != FIND_POST) || text_length == 0 || !find_semantic_plan_has_it(context))
		return;
	struct llm_endpoint endpoint;
	if (llm_embed_endpoint_known(context->db, context->config, context->request->auth.tenant_id,
		    context->config->chat_llm_embedding_timeout_ms, context->request->auth.llm_changed_ms,
		    &endpoint) != DB_OK ||
		endpoint.model[0] == '\0')
		return;
	/* An outside call goes only on behalf of a caller confirmed now (one
	 * from the worker's cache is otherwise confirmed by the index read). */
	if (!principal_stands_now(context->db, &context->request->auth))
		return;
	snprintf(query->model, sizeof(query->model), "%s", endpoint.model);
	size_t length = embedding_text_cut(text, text_length, EMBEDDING_TEXT_MAX);
	const char *texts[] = {text};
	char why[256];
	enum llm_call_result called = llm_embed(&endpoint, texts, &length, 1, &query->vector, &query->dimension, why,
		sizeof(why));
	if (called != LLM_CALL_OK) {
		/* The visitor gets the text ranking; the operator gets the reason. */
		log_msg(LOG_LEVEL_WARN, context->request->request_id,
			"search: the query's embedding failed (%s: %s); ranked by text", llm_call_result_name(called), why);
		free(query->vector);
		query->vector = NULL;
		return;
	}
	query->active = 1;
}

int find_semantic_candidates(const struct find_semantic_query *query, int limit)
{
	if (!query->active || limit >= FIND_SEMANTIC_CANDIDATES)
		return limit;
	return FIND_SEMANTIC_CANDIDATES;
}

struct find_semantic_rerank_work {
	const struct find_semantic_query *query;
	struct embedding_candidate *candidates;
	size_t count;
	float *scratch;
};

static int find_semantic_vector_row(void *callback_context, uint32_t doc, const unsigned char *data, size_t length)
{
	struct find_semantic_rerank_work *work = callback_context;
	size_t dimension = embedding_decode(data, length, work->scratch, EMBEDDING_DIMENSION_MAX);
	if (dimension == 0 || dimension != work->query->dimension)
		return 0; /* another model's shape: the text score stands */
	for (size_t i = 0; i < work->count; i++)
		if (work->candidates[i].doc == doc) {
			work->candidates[i].has_vector = 1;
			work->candidates[i].cosine = embedding_cosine(work->query->vector, work->scratch, dimension);
		}
	return 0;
}

void find_semantic_rerank(struct request_context *context, const struct find_semantic_query *query,
	struct find_index_result *hits, size_t keep)
{
	if (query->active && hits->top_count > 1) {
		struct embedding_candidate candidates[FIND_INDEX_TOP_MAX];
		uint32_t docs[FIND_INDEX_TOP_MAX];
		double best = 0;
		for (size_t i = 0; i < hits->top_count; i++) {
			candidates[i] = (struct embedding_candidate){.doc = hits->top[i].doc, .text_score = hits->top[i].score};
			docs[i] = hits->top[i].doc;
			if (hits->top[i].score > best)
				best = hits->top[i].score;
		}
		struct find_semantic_rerank_work work = {.query = query, .candidates = candidates,
			.count = hits->top_count, .scratch = xmalloc(EMBEDDING_DIMENSION_MAX * sizeof(float))};
		int result = embedding_store_vectors(context->db, context->request->auth.tenant_id, query->entity,
			query->model, docs, hits->top_count, find_semantic_vector_row, &work);
		free(work.scratch);
		if (result == DB_OK) {
			embedding_rerank(candidates, hits->top_count);
			/* On the text score's scale: a document without a vector shows its text score. */
			for (size_t i = 0; i < hits->top_count; i++)
				hits->top[i] = (struct find_index_hit){.doc = candidates[i].doc,
					.score = candidates[i].hybrid_score * best};
		} else {
			log_msg(LOG_LEVEL_WARN, context->request->request_id,
				"search: reading the stored vectors failed; ranked by text");
		}
	}
	if (hits->top_count > keep)
		hits->top_count = keep;
}

void find_semantic_end(struct find_semantic_query *query)
{
	free(query->vector);
	query->vector = NULL;
	query->active = 0;
}

struct find_semantic_scan {
	struct arena *arena;
	const float *source;
	size_t dimension;
	float *scratch;
	struct find_semantic_neighbour *neighbours;
	size_t count;
};

static int find_semantic_source_row(void *callback_context, const struct db_row *row)
{
	struct find_semantic_scan *scan = callback_context;
	if (row->column_count != 1 || row->values[0] == NULL || scan->dimension != 0)
		return 0;
	scan->dimension = embedding_decode((const unsigned char *)row->values[0], row->lengths[0], scan->scratch,
		EMBEDDING_DIMENSION_MAX);
	return 0;
}

static int find_semantic_scan_row(void *callback_context, const struct db_row *row)
{
	struct find_semantic_scan *scan = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL ||
		scan->count >= FIND_SEMANTIC_SCAN_MAX)
		return 0;
	size_t dimension = embedding_decode((const unsigned char *)row->values[1], row->lengths[1], scan->scratch,
		EMBEDDING_DIMENSION_MAX);
	if (dimension != scan->dimension)
		return 0;
	scan->neighbours[scan->count].product_id = arena_strdup(scan->arena, row->values[0]);
	scan->neighbours[scan->count].cosine = embedding_cosine(scan->source, scan->scratch, dimension);
	scan->count++;
	return 0;
}

static int find_semantic_by_cosine(const void *left, const void *right)
{
	const struct find_semantic_neighbour *a = left, *b = right;
	if (a->cosine != b->cosine)
		return a->cosine > b->cosine ? -1 : 1;
	return strcmp(a->product_id, b->product_id);
}

int find_semantic_neighbours(struct request_context *context, const char *workspace, const char *product_id,
	struct find_semantic_neighbour **neighbours, size_t *count)
{
	*neighbours = NULL;
	*count = 0;
	if (!find_semantic_plan_has_it(context))
		return DB_OK;
	uint64_t tenant_id = context->request->auth.tenant_id;
	/* Only the model is needed: the stored vectors are compared, nothing is called. */
	struct llm_endpoint endpoint;
	int result = llm_embed_endpoint(context->db, context->config, tenant_id, 0, &endpoint);
	if (result != DB_OK || endpoint.model[0] == '\0')
		return result;
	const char *model = endpoint.model;
	float *source = xmalloc(EMBEDDING_DIMENSION_MAX * sizeof(float));
	struct find_semantic_scan scan = {.arena = context->request->arena, .source = source, .scratch = source};
	struct db_param source_params[] = {DB_TEXT(model), DB_UINT(tenant_id), DB_TEXT(workspace), DB_TEXT(product_id)};
	result = db_query(context->db, &find_semantic_statements[SEMANTIC_STMT_SOURCE], source_params, 4,
		find_semantic_source_row, &scan);
	if (result != DB_OK || scan.dimension == 0) {
		free(source);
		return result;
	}
	scan.scratch = xmalloc(EMBEDDING_DIMENSION_MAX * sizeof(float));
	scan.neighbours = arena_alloc(context->request->arena, FIND_SEMANTIC_SCAN_MAX * sizeof(*scan.neighbours));
	struct db_param scan_params[] = {DB_UINT(tenant_id), DB_TEXT(model), DB_TEXT(workspace), DB_TEXT(product_id)};
	result = db_query(context->db, &find_semantic_statements[SEMANTIC_STMT_SCAN], scan_params, 4,
		find_semantic_scan_row, &scan);
	free(scan.scratch);
	free(source);
	if (result != DB_OK)
		return result;
	if (scan.count > 1)
		qsort(scan.neighbours, scan.count, sizeof(*scan.neighbours), find_semantic_by_cosine);
	*neighbours = scan.neighbours;
	*count = scan.count;
	return DB_OK;
}

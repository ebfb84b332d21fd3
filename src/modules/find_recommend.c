/* Find API product recommendations (POST /api/v1/find/recommendations/
 * products): products that share categories, tags or brands with the given
 * one, were shown in the same chat threads (or in the client's basket
 * affinities), or were shown to the request's visitor (userId), scored by
 * find_recommend_score.c, the client's complementary products first; the
 * most recently updated products when nothing qualifies. Every query is
 * bounded, whatever the catalogue's size. */
#include "core/arena.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/find_common.h"
#include "modules/find_insights.h"
#include "modules/find_recommend_score.h"
#include "modules/find_semantic.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates per strategy; term matches read before grouping; threads of the source read. */
#define RECOMMEND_CANDIDATES_PER_STRATEGY 500
/* Terms, co-occurrence and memory, plus what the client lists. */
#define RECOMMEND_CANDIDATES_MAX                                                                                  \
	(3 * RECOMMEND_CANDIDATES_PER_STRATEGY + FIND_RECOMMEND_MAX_BASKET + FIND_RECOMMEND_MAX_COMPLEMENTARY +      \
		FIND_SEMANTIC_NEIGHBOURS_MAX)
#define RECOMMEND_LIMIT_TEXT "500"
#define RECOMMEND_TERM_MATCHES_TEXT "20000"
#define RECOMMEND_THREADS_TEXT "1000"
#define RECOMMEND_FILTER_MAX_BYTES 16384

static void find_recommend_products(struct request_context *context);

static const struct field_spec recommend_fields[] = {
	{.name = "productId", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = FIND_RECOMMEND_ID_MAX},
	{.name = "maxRecommendations", .type = FIELD_INTEGER, .min_value = 1, .max_value = FIND_RECOMMEND_MAX_COUNT},
	{.name = "excludeProductIds", .type = FIELD_STRING_ARRAY, .max_length = FIND_RECOMMEND_MAX_EXCLUDED},
	{.name = "productFilter", .type = FIELD_OBJECT, .max_length = RECOMMEND_FILTER_MAX_BYTES},
	{.name = "userId", .type = FIELD_STRING, .min_length = 1, .max_length = FIND_RECOMMEND_ID_MAX},
	{.name = "weights", .type = FIELD_OBJECT, .max_length = 512},
	{.name = "complimentaryProducts", .type = FIELD_STRING_ARRAY, .max_length = FIND_RECOMMEND_MAX_COMPLEMENTARY},
};
/* basketAffinity is an array of objects, which the spec cannot declare:
 * find_recommend_parse checks it, and refuses every member it does not
 * know, so nothing unknown gets through. */
static const struct input_spec recommend_input = {recommend_fields,
	sizeof(recommend_fields) / sizeof(recommend_fields[0]), 1};

static const struct find_route_terms find_recommend_terms = {.meter = FIND_METER_RECOMMENDATIONS};

static const struct route find_recommend_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/find/recommendations/products", .permission = "find.view",
		.credentials = ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY,
		.input = &recommend_input, .handler = find_recommend_products, .gate_data = &find_recommend_terms},
};

const struct route_table find_recommend_route_table = {
	.module_name = "find_recommend",
	.routes = find_recommend_routes,
	.route_count = sizeof(find_recommend_routes) / sizeof(find_recommend_routes[0]),
	.gate = &find_gate,
};

enum find_recommend_statement {
	RECOMMEND_STMT_SOURCE,
	RECOMMEND_STMT_TERM_CANDIDATES,
	RECOMMEND_STMT_COOCCURRENCE,
	RECOMMEND_STMT_MEMORY,
	RECOMMEND_STMT_DETAILS,
	RECOMMEND_STMT_FALLBACK,
	RECOMMEND_STMT__MAX
};

#define RECOMMEND_SOURCE_TERMS(facet)                                                                             \
	"(SELECT COUNT(*) FROM find_terms t WHERE t.tenant_id = p.tenant_id AND t.entity = 'product' "              \
	"AND t.workspace = p.workspace AND t.entity_id = p.product_id AND t.facet = '" facet "')"
#define RECOMMEND_FILTER_TERMS(facet)                                                                             \
	" AND (? IS NULL OR EXISTS (SELECT 1 FROM find_terms f WHERE f.tenant_id = p.tenant_id "                    \
	"AND f.entity = 'product' AND f.workspace = p.workspace AND f.entity_id = p.product_id AND f.facet = '" facet \
	"' AND f.term IN (SELECT j.term FROM JSON_TABLE(?, '$[*]' COLUMNS (term VARCHAR(191) PATH '$')) AS j)))"
/* productFilter: 14 parameters, bound by find_recommend_bind_filter. */
#define RECOMMEND_FILTER                                                                                          \
	" AND (? < 0 OR p.on_sale = ?) AND (? = '' OR p.stock_status = ?) AND (? IS NULL OR p.price >= ?) "         \
	"AND (? IS NULL OR p.price <= ?)" RECOMMEND_FILTER_TERMS("categories") RECOMMEND_FILTER_TERMS("tags")        \
		RECOMMEND_FILTER_TERMS("brands")
#define RECOMMEND_FILTER_PARAMS 14

static const struct db_statement_def find_recommend_statements[RECOMMEND_STMT__MAX] = {
	/* Without a workspace the newest product of that id is the source. */
	[RECOMMEND_STMT_SOURCE] = {.name = "find_recommend.source",
		.sql = "SELECT p.workspace, " RECOMMEND_SOURCE_TERMS("categories") ", " RECOMMEND_SOURCE_TERMS("tags") ", "
		RECOMMEND_SOURCE_TERMS("brands") " FROM find_products p WHERE p.tenant_id = ? AND p.product_id = ? "
		"AND (? = '' OR p.workspace = ?) ORDER BY p.updated_at DESC LIMIT 1",
		.tenant_bound = 1},
	[RECOMMEND_STMT_TERM_CANDIDATES] = {.name = "find_recommend.term_candidates",
		.sql = "SELECT m.entity_id, SUM(m.facet = 'categories'), SUM(m.facet = 'tags'), SUM(m.facet = 'brands') FROM "
		"(SELECT t.entity_id, t.facet FROM find_terms s JOIN find_terms t ON t.tenant_id = s.tenant_id "
		"AND t.entity = s.entity AND t.facet = s.facet AND t.term = s.term AND t.workspace = s.workspace "
		"AND t.entity_id <> s.entity_id WHERE s.tenant_id = ? AND s.entity = 'product' AND s.workspace = ? "
		"AND s.entity_id = ? LIMIT " RECOMMEND_TERM_MATCHES_TEXT ") AS m "
		"GROUP BY m.entity_id ORDER BY COUNT(*) DESC, m.entity_id LIMIT " RECOMMEND_LIMIT_TEXT,
		.tenant_bound = 1},
	[RECOMMEND_STMT_COOCCURRENCE] = {.name = "find_recommend.cooccurrence",
		.sql = "SELECT o.product_id, COUNT(*) FROM (SELECT thread_id FROM find_thread_products WHERE tenant_id = ? "
		"AND product_id = ? ORDER BY thread_id DESC LIMIT " RECOMMEND_THREADS_TEXT ") AS s "
		"JOIN find_thread_products o ON o.tenant_id = ? AND o.thread_id = s.thread_id AND o.product_id <> ? "
		"GROUP BY o.product_id ORDER BY COUNT(*) DESC, o.product_id LIMIT " RECOMMEND_LIMIT_TEXT,
		.tenant_bound = 1},
	/* Products shown in the visitor's (userId) latest threads. */
	[RECOMMEND_STMT_MEMORY] = {.name = "find_recommend.memory",
		.sql = "SELECT o.product_id, COUNT(*) FROM (SELECT thread_id FROM find_threads WHERE tenant_id = ? AND user_id = ? "
		"ORDER BY created_at DESC LIMIT " RECOMMEND_THREADS_TEXT ") AS s "
		"JOIN find_thread_products o ON o.tenant_id = ? AND o.thread_id = s.thread_id AND o.product_id <> ? "
		"GROUP BY o.product_id ORDER BY COUNT(*) DESC, o.product_id LIMIT " RECOMMEND_LIMIT_TEXT,
		.tenant_bound = 1},
	/* The candidates' documents, only for those that meet productFilter. */
	/* Drafts and the like are never recommended, whoever asks. */
#define RECOMMEND_VISIBLE " AND p.status NOT IN ('draft', 'private', 'trash', 'pending')"
	[RECOMMEND_STMT_DETAILS] = {.name = "find_recommend.details",
		.sql = "SELECT p.product_id, p.document FROM find_products p WHERE p.tenant_id = ? AND p.workspace = ? "
		"AND p.product_id IN (SELECT c.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id VARCHAR(191) PATH '$')) AS c)"
		RECOMMEND_FILTER RECOMMEND_VISIBLE,
		.tenant_bound = 1},
	[RECOMMEND_STMT_FALLBACK] = {.name = "find_recommend.fallback",
		.sql = "SELECT p.product_id, p.document FROM find_products p WHERE p.tenant_id = ? AND p.workspace = ? "
		"AND p.product_id <> ?" RECOMMEND_FILTER RECOMMEND_VISIBLE " ORDER BY p.updated_at DESC, p.product_id LIMIT ?",
		.tenant_bound = 1},
};

const struct statement_table find_recommend_statement_table = {
	"find_recommend", find_recommend_statements, RECOMMEND_STMT__MAX};

/* Everything one request gathers; candidates sorted by id while gathering. */
struct find_recommend_work {
	struct arena *arena;
	int found;
	char workspace[64];
	struct find_recommend_source source;
	struct find_recommend_candidate candidates[RECOMMEND_CANDIDATES_MAX];
	size_t candidate_count;
	size_t sorted_count; /* candidates[0..sorted_count) are in id order */
};

static void find_recommend_bind_filter(const struct find_product_filter *filter, struct db_param *params)
{
	params[0] = DB_INT(filter->on_sale);
	params[1] = DB_INT(filter->on_sale);
	params[2] = DB_TEXT(filter->stock_status ? filter->stock_status : "");
	params[3] = params[2];
	params[4] = filter->has_min_price ? DB_TEXT(filter->min_price_text) : DB_NULL;
	params[5] = params[4];
	params[6] = filter->has_max_price ? DB_TEXT(filter->max_price_text) : DB_NULL;
	params[7] = params[6];
	for (int facet = 0; facet < FIND_SIGNAL_TERM_FACETS; facet++) {
		const char *terms = filter->terms_json[facet];
		params[8 + 2 * facet] = terms ? DB_TEXT(terms) : DB_NULL;
		params[9 + 2 * facet] = terms ? DB_TEXT(terms) : DB_TEXT("[]");
	}
}

static int find_recommend_source_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_work *work = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 1;
	work->found = 1;
	snprintf(work->workspace, sizeof(work->workspace), "%s", row->values[0]);
	for (int facet = 0; facet < FIND_SIGNAL_TERM_FACETS; facet++)
		work->source.term_count[facet] = row->values[1 + facet] ? (unsigned)strtoul(row->values[1 + facet], NULL, 10) : 0;
	return 0;
}

static int find_recommend_by_id(const void *left, const void *right)
{
	const struct find_recommend_candidate *a = left, *b = right;
	return strcmp(a->product_id, b->product_id);
}

/* The candidate of that id, added when new; NULL when the table is full. */
static struct find_recommend_candidate *find_recommend_candidate(struct find_recommend_work *work, const char *id)
{
	struct find_recommend_candidate key = {.product_id = id};
	struct find_recommend_candidate *found =
		bsearch(&key, work->candidates, work->sorted_count, sizeof(key), find_recommend_by_id);
	if (found != NULL)
		return found;
	for (size_t i = work->sorted_count; i < work->candidate_count; i++)
		if (strcmp(work->candidates[i].product_id, id) == 0)
			return &work->candidates[i];
	if (work->candidate_count == RECOMMEND_CANDIDATES_MAX)
		return NULL;
	struct find_recommend_candidate *candidate = &work->candidates[work->candidate_count++];
	memset(candidate, 0, sizeof(*candidate));
	candidate->product_id = arena_strdup(work->arena, id);
	return candidate;
}

static void find_recommend_sort_by_id(struct find_recommend_work *work)
{
	if (work->candidate_count > 1) /* qsort wants a real array even for zero items */
		qsort(work->candidates, work->candidate_count, sizeof(work->candidates[0]), find_recommend_by_id);
	work->sorted_count = work->candidate_count;
}

static int find_recommend_term_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_work *work = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 1;
	struct find_recommend_candidate *candidate = find_recommend_candidate(work, row->values[0]);
	if (candidate == NULL)
		return 1;
	for (int facet = 0; facet < FIND_SIGNAL_TERM_FACETS; facet++)
		candidate->shared[facet] = row->values[1 + facet] ? (unsigned)strtoul(row->values[1 + facet], NULL, 10) : 0;
	return 0;
}

static int find_recommend_cooccurrence_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_work *work = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL)
		return 1;
	struct find_recommend_candidate *candidate = find_recommend_candidate(work, row->values[0]);
	if (candidate == NULL)
		return 1;
	candidate->shared[FIND_SIGNAL_COOCCURRENCE] = row->values[1] ? (unsigned)strtoul(row->values[1], NULL, 10) : 0;
	return 0;
}

static int find_recommend_memory_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_work *work = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL)
		return 1;
	struct find_recommend_candidate *candidate = find_recommend_candidate(work, row->values[0]);
	if (candidate == NULL)
		return 1;
	candidate->shared[FIND_SIGNAL_MEMORY] = row->values[1] ? (unsigned)strtoul(row->values[1], NULL, 10) : 0;
	return 0;
}

/* What the client lists: basket affinities add to co-occurrence, and the
 * complementary products are candidates in their listed order. Room for
 * them is reserved in RECOMMEND_CANDIDATES_MAX. */
static void find_recommend_add_listed(const struct find_recommend_request *request, struct find_recommend_work *work)
{
	for (size_t i = 0; i < request->basket_count; i++) {
		struct find_recommend_candidate *candidate = find_recommend_candidate(work, request->basket[i].product_id);
		if (candidate != NULL)
			candidate->basket_frequency += request->basket[i].frequency;
	}
	for (size_t i = 0; i < request->complementary_count; i++) {
		struct find_recommend_candidate *candidate = find_recommend_candidate(work, request->complementary_ids[i]);
		if (candidate != NULL && candidate->complementary_rank == 0)
			candidate->complementary_rank = (unsigned)i + 1;
	}
}

static int find_recommend_details_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_work *work = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	struct find_recommend_candidate key = {.product_id = row->values[0]};
	struct find_recommend_candidate *candidate =
		bsearch(&key, work->candidates, work->sorted_count, sizeof(key), find_recommend_by_id);
	json_object *document = candidate ? json_tokener_parse(row->values[1]) : NULL;
	if (document == NULL || !json_object_is_type(document, json_type_object)) {
		json_object_put(document);
		return 0;
	}
	json_object_put(candidate->user_data);
	candidate->user_data = document;
	candidate->passes_filter = 1;
	return 0;
}

static void find_recommend_release(struct find_recommend_work *work)
{
	for (size_t i = 0; i < work->candidate_count; i++) {
		json_object_put(work->candidates[i].user_data);
		work->candidates[i].user_data = NULL;
	}
}

struct find_recommend_fallback {
	const struct find_recommend_request *request;
	json_object *recommendations;
};

static int find_recommend_fallback_row(void *callback_context, const struct db_row *row)
{
	struct find_recommend_fallback *fallback = callback_context;
	const struct find_recommend_request *request = fallback->request;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	if ((int)json_object_array_length(fallback->recommendations) >= request->max_recommendations)
		return 0;
	for (size_t i = 0; i < request->excluded_count; i++)
		if (strcmp(request->excluded_ids[i], row->values[0]) == 0)
			return 0;
	json_object *document = json_tokener_parse(row->values[1]);
	if (document == NULL || !json_object_is_type(document, json_type_object)) {
		json_object_put(document);
		return 0;
	}
	json_object_object_add(document, "score", find_json_decimal(0.0));
	json_object *reasons = json_object_new_array();
	json_object_array_add(reasons, json_object_new_string("recently_updated"));
	json_object_object_add(document, "reasons", reasons);
	json_object_array_add(fallback->recommendations, document);
	return 0;
}

/* With vectors (find_semantic.h): every candidate's similarity to the
 * product, and the nearest products that share nothing else as candidates
 * too (at most FIND_SEMANTIC_NEIGHBOURS_MAX). Room for them is reserved in
 * RECOMMEND_CANDIDATES_MAX. */
static enum db_result find_recommend_add_neighbours(struct request_context *context,
	const struct find_recommend_request *request, struct find_recommend_work *work)
{
	struct find_semantic_neighbour *neighbours = NULL;
	size_t count = 0, added = 0;
	int result = find_semantic_neighbours(context, work->workspace, request->product_id, &neighbours, &count);
	if (result != DB_OK || count == 0)
		return result;
	work->source.semantic = 1;
	size_t known = work->sorted_count;
	for (size_t i = 0; i < count; i++) {
		struct find_recommend_candidate key = {.product_id = neighbours[i].product_id};
		struct find_recommend_candidate *candidate =
			bsearch(&key, work->candidates, known, sizeof(key), find_recommend_by_id);
		if (candidate == NULL && added < FIND_SEMANTIC_NEIGHBOURS_MAX && neighbours[i].cosine > 0 &&
			(candidate = find_recommend_candidate(work, neighbours[i].product_id)) != NULL)
			added++;
		if (candidate != NULL)
			candidate->similarity = neighbours[i].cosine;
	}
	find_recommend_sort_by_id(work);
	return DB_OK;
}

static void find_recommend_bad_request(struct request_context *context, const char *field, const char *issue)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
	response_add_detail(context->response, field, "%s", issue);
}

/* Gathers the term and co-occurrence candidates and the documents of
 * those that meet the filter. */
static enum db_result find_recommend_gather(struct request_context *context,
	const struct find_recommend_request *request, struct find_recommend_work *work)
{
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct db_param term_params[] = {DB_UINT(tenant_id), DB_TEXT(work->workspace), DB_TEXT(request->product_id)};
	enum db_result result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_TERM_CANDIDATES],
		term_params, 3, find_recommend_term_row, work);
	find_recommend_sort_by_id(work);
	struct db_param thread_params[] = {DB_UINT(tenant_id), DB_TEXT(request->product_id), DB_UINT(tenant_id),
		DB_TEXT(request->product_id)};
	if (result == DB_OK)
		result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_COOCCURRENCE], thread_params, 4,
			find_recommend_cooccurrence_row, work);
	find_recommend_sort_by_id(work);
	struct db_param memory_params[] = {DB_UINT(tenant_id), DB_TEXT(request->user_id ? request->user_id : ""),
		DB_UINT(tenant_id), DB_TEXT(request->product_id)};
	if (result == DB_OK && request->user_id != NULL)
		result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_MEMORY], memory_params, 4,
			find_recommend_memory_row, work);
	find_recommend_sort_by_id(work);
	if (result == DB_OK)
		find_recommend_add_listed(request, work);
	find_recommend_sort_by_id(work);
	if (result == DB_OK)
		result = find_recommend_add_neighbours(context, request, work);
	if (result != DB_OK || work->candidate_count == 0)
		return result;

	json_object *ids = json_object_new_array();
	for (size_t i = 0; i < work->candidate_count; i++)
		json_object_array_add(ids, json_object_new_string(work->candidates[i].product_id));
	struct db_param params[3 + RECOMMEND_FILTER_PARAMS] = {DB_UINT(tenant_id), DB_TEXT(work->workspace),
		DB_TEXT(json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN))};
	find_recommend_bind_filter(&request->filter, params + 3);
	result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_DETAILS], params,
		3 + RECOMMEND_FILTER_PARAMS, find_recommend_details_row, work);
	json_object_put(ids);
	return result;
}

/* The weights used: per signal, and per SDK group (normalised). */
static json_object *find_recommend_weights_json(const struct find_recommend_weights *weights,
	const double groups[FIND_WEIGHT__GROUPS])
{
	json_object *object = json_object_new_object();
	for (int signal = 0; signal < FIND_SIGNAL__MAX; signal++)
		json_object_object_add(object, find_signal_name((enum find_signal)signal),
			find_json_decimal(weights->weight[signal]));
	for (int group = 0; group < FIND_WEIGHT__GROUPS; group++)
		json_object_object_add(object, find_weight_group_name((enum find_weight_group)group),
			find_json_decimal(groups[group]));
	return object;
}

/* A strategy bit beyond the signals: the client's complementary products. */
#define RECOMMEND_STRATEGY_COMPLEMENTARY (1u << FIND_SIGNAL__MAX)

static json_object *find_recommend_answer(json_object *recommendations, unsigned strategies, int fallback_applied,
	size_t total_candidates, const struct find_recommend_weights *weights, const double groups[FIND_WEIGHT__GROUPS])
{
	json_object *used = json_object_new_array();
	if (strategies & RECOMMEND_STRATEGY_COMPLEMENTARY)
		json_object_array_add(used, json_object_new_string("complementary"));
	for (int signal = 0; signal < FIND_SIGNAL__MAX; signal++)
		if (strategies & (1u << signal))
			json_object_array_add(used, json_object_new_string(find_signal_name((enum find_signal)signal)));
	if (strategies & FIND_RECOMMEND_REASON_SEMANTIC)
		json_object_array_add(used, json_object_new_string("semantic"));
	if (fallback_applied)
		json_object_array_add(used, json_object_new_string("recent"));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "recommendations", recommendations);
	json_object_object_add(data, "usedStrategies", used);
	json_object_object_add(data, "fallbackApplied", json_object_new_boolean(fallback_applied));
	json_object_object_add(data, "weights", find_recommend_weights_json(weights, groups));
	json_object_object_add(data, "totalCandidates", json_object_new_int64((int64_t)total_candidates));
	return data;
}

static void find_recommend_products(struct request_context *context)
{
	struct find_recommend_request request;
	char bad_field[80], issue[160];
	if (find_recommend_parse(context->request->json_body, &request, bad_field, sizeof(bad_field), issue,
		    sizeof(issue)) != 0) {
		find_recommend_bad_request(context, bad_field, issue);
		return;
	}
	struct find_recommend_work *work = arena_alloc(context->request->arena, sizeof(*work));
	memset(work, 0, sizeof(*work));
	work->arena = context->request->arena;
	const char *workspace = find_workspace(context);
	struct db_param source_params[] = {DB_UINT(context->request->auth.tenant_id), DB_TEXT(request.product_id),
		DB_TEXT(workspace), DB_TEXT(workspace)};
	enum db_result result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_SOURCE], source_params, 4,
		find_recommend_source_row, work);
	if (result == DB_OK && !work->found) {
		module_not_found(context, "Product");
		return;
	}
	if (result == DB_OK)
		result = find_recommend_gather(context, &request, work);
	if (result != DB_OK) {
		find_recommend_release(work);
		respond_db_failure(context, result, "recommendations");
		return;
	}

	struct find_recommend_weights weights;
	double groups[FIND_WEIGHT__GROUPS];
	find_recommend_effective_weights(&request, &weights, groups); /* checked by find_recommend_parse */
	size_t qualifying = find_recommend_rank(work->candidates, work->candidate_count, &work->source, &weights,
		request.product_id, request.excluded_ids, request.excluded_count);
	json_object *recommendations = json_object_new_array();
	unsigned strategies = 0;
	if (!find_recommend_needs_fallback(qualifying)) {
		for (size_t i = 0; i < qualifying && (int)i < request.max_recommendations; i++) {
			struct find_recommend_candidate *candidate = &work->candidates[i];
			json_object *product = candidate->user_data;
			candidate->user_data = NULL;
			json_object_object_add(product, "score", find_json_decimal(candidate->score));
			json_object *reasons = json_object_new_array();
			if (candidate->complementary_rank > 0) {
				json_object_array_add(reasons, json_object_new_string("complementary"));
				strategies |= RECOMMEND_STRATEGY_COMPLEMENTARY;
			}
			for (int signal = 0; signal < FIND_SIGNAL__MAX; signal++)
				if (candidate->reasons & (1u << signal))
					json_object_array_add(reasons, json_object_new_string(find_signal_reason((enum find_signal)signal)));
			if (candidate->reasons & FIND_RECOMMEND_REASON_SEMANTIC)
				json_object_array_add(reasons, json_object_new_string("semantically_similar"));
			json_object_object_add(product, "reasons", reasons);
			json_object_array_add(recommendations, product);
			strategies |= candidate->reasons;
		}
		find_recommend_release(work);
		response_ok(context->response, STATUS_OK,
			find_recommend_answer(recommendations, strategies, 0, qualifying, &weights, groups), "Recommendations");
		return;
	}
	find_recommend_release(work);

	struct db_param params[3 + RECOMMEND_FILTER_PARAMS + 1] = {DB_UINT(context->request->auth.tenant_id),
		DB_TEXT(work->workspace), DB_TEXT(request.product_id)};
	find_recommend_bind_filter(&request.filter, params + 3);
	params[3 + RECOMMEND_FILTER_PARAMS] = DB_INT((int64_t)request.max_recommendations + (int64_t)request.excluded_count);
	struct find_recommend_fallback fallback = {&request, recommendations};
	result = db_query(context->db, &find_recommend_statements[RECOMMEND_STMT_FALLBACK], params,
		3 + RECOMMEND_FILTER_PARAMS + 1, find_recommend_fallback_row, &fallback);
	if (result != DB_OK) {
		json_object_put(recommendations);
		respond_db_failure(context, result, "recommendations fallback");
		return;
	}
	size_t count = json_object_array_length(recommendations);
	response_ok(context->response, STATUS_OK, find_recommend_answer(recommendations, 0, 1, count, &weights, groups),
		"Recommendations");
}

/* Find API search over products and posts. A text search walks the search
 * index (find_index.h: top k with early termination, an exact total up to
 * a bound and an estimate past it) and checks its candidates against the
 * workspace, the filters and visibility here; facets count the matches, or
 * a uniform sample of them past the bound. Without text, one statement
 * lists the filtered rows. A search log row is written after the response
 * has gone out. */
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "modules/find_common.h"
#include "modules/find_documents.h"
#include "modules/find_index_store.h"
#include "modules/find_query.h"
#include "modules/find_search_log.h"
#include "modules/find_semantic.h"
#include "modules/find_sql.h"
#include "modules/modules.h"

#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statement variants: with or without a workspace, with or without text. */
enum find_search_variant { SEARCH_WS_TEXT, SEARCH_WS_ALL, SEARCH_ANY_TEXT, SEARCH_ANY_ALL, SEARCH__VARIANTS };
enum find_search_statement { SEARCH_RESULTS, SEARCH_TERM_FACETS, SEARCH_VALUE_FACETS, SEARCH_PRICE_FACET, SEARCH__KINDS };

/* With text, the rows are the index's candidates, bound as a JSON array of
 * search document numbers: results keep those that pass, facets count them. */
#define DOCS " AND e.search_doc IN (SELECT md.d FROM JSON_TABLE(?, '$[*]' COLUMNS (d INT UNSIGNED PATH '$')) md)"
#define PRODUCT_MATCH DOCS
#define POST_MATCH DOCS
#define WS " AND e.workspace = ?"

/* Browsers (publishable keys) never see drafts and the like: bound 1 for them. */
#define VISIBLE " AND (? = 0 OR e.status NOT IN ('draft', 'private', 'trash', 'pending'))"

#define RESULTS(table, score, where, filters, id_column)                                                      \
	"SELECT e.document, " score " AS score, COUNT(*) OVER () AS total FROM " table " e WHERE e.tenant_id = ?"  \
	where filters VISIBLE " ORDER BY score DESC, e.updated_at DESC, e." id_column " LIMIT ?"
/* Which of the index's candidates pass the workspace, filters and visibility. */
#define CANDIDATES(table, where, filters) "SELECT e.search_doc FROM " table " e WHERE e.tenant_id = ?" where filters VISIBLE

#define TERM_FACETS(table, entity, id_column, where, filters)                                                 \
	"SELECT f.facet, f.term, f.hits FROM (SELECT fc.facet, fc.term, COUNT(*) AS hits,"                       \
	" ROW_NUMBER() OVER (PARTITION BY fc.facet ORDER BY COUNT(*) DESC, fc.term) AS position"                   \
	" FROM " table " e JOIN find_terms fc ON fc.tenant_id = e.tenant_id AND fc.entity = '" entity "'"          \
	" AND fc.workspace = e.workspace AND fc.entity_id = e." id_column " WHERE e.tenant_id = ?" where filters   \
	VISIBLE " GROUP BY fc.facet, fc.term) f WHERE f.position <= ? ORDER BY f.facet, f.hits DESC, f.term"

/* One value of a row as a JSON array of texts for JSON_TABLE: an array as
 * it is, a string, number or boolean as a list of one ("true"), an object
 * or null as nothing. */
#define JSON_VALUES(x)                                                                                          \
	"CASE JSON_TYPE(" x ") WHEN 'ARRAY' THEN " x " WHEN 'OBJECT' THEN '[]' WHEN 'NULL' THEN '[]'"              \
	" ELSE JSON_ARRAY(JSON_UNQUOTE(" x ")) END"
#define DOCUMENT_AT "JSON_EXTRACT(e.document, vf.path)"
/* Products read stock_status and on_sale from the columns filters use. */
#define PRODUCT_VALUES                                                                                          \
	"CASE vf.path WHEN 'column:stock_status' THEN JSON_ARRAY(NULLIF(e.stock_status, ''))"                     \
	" WHEN 'column:on_sale' THEN JSON_ARRAY(IF(e.on_sale, 'true', 'false')) ELSE " JSON_VALUES(DOCUMENT_AT) " END"
#define POST_VALUES JSON_VALUES(DOCUMENT_AT)

/* Every value facet of the request in one pass: the spec [[name, path], …]
 * is the first parameter (find_search_request.value_facet_spec). */
#define VALUE_FACETS(table, values, where, filters)                                                           \
	"SELECT f.facet, f.term, f.hits FROM (SELECT vf.facet, v.term, COUNT(*) AS hits,"                        \
	" ROW_NUMBER() OVER (PARTITION BY vf.facet ORDER BY COUNT(*) DESC, v.term) AS position FROM " table " e"    \
	" JOIN JSON_TABLE(?, '$[*]' COLUMNS (facet VARCHAR(100) PATH '$[0]', path VARCHAR(200) PATH '$[1]')) vf"    \
	" JOIN JSON_TABLE(" values ", '$[*]' COLUMNS (term VARCHAR(191) PATH '$')) v WHERE e.tenant_id = ?" where   \
	filters VISIBLE " AND v.term IS NOT NULL GROUP BY vf.facet, v.term) f WHERE f.position <= ?"               \
	" ORDER BY f.facet, f.hits DESC, f.term"

/* Bucket lower bounds are bound from find_price_bucket_bounds, highest first. */
#define PRICE_FACET(where)                                                                                    \
	"SELECT CASE WHEN e.price >= ? THEN 5 WHEN e.price >= ? THEN 4 WHEN e.price >= ? THEN 3"                  \
	" WHEN e.price >= ? THEN 2 WHEN e.price >= ? THEN 1 ELSE 0 END AS bucket, COUNT(*)"                        \
	" FROM find_products e WHERE e.tenant_id = ?" where " AND e.price IS NOT NULL" FIND_SQL_PRODUCT_FILTERS    \
	VISIBLE " GROUP BY bucket ORDER BY bucket"

static const struct db_statement_def find_product_search_statements[SEARCH__KINDS * SEARCH__VARIANTS] = {
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.products.search_candidates",
		.sql = CANDIDATES("find_products", WS PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.products.search_all",
		.sql = RESULTS("find_products", "0", WS, FIND_SQL_PRODUCT_FILTERS, "product_id"), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.products.search_candidates_any",
		.sql = CANDIDATES("find_products", PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.products.search_any_all",
		.sql = RESULTS("find_products", "0", "", FIND_SQL_PRODUCT_FILTERS, "product_id"), .tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.products.facets",
		.sql = TERM_FACETS("find_products", "product", "product_id", WS PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.products.facets_all",
		.sql = TERM_FACETS("find_products", "product", "product_id", WS, FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.products.facets_any",
		.sql = TERM_FACETS("find_products", "product", "product_id", PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.products.facets_any_all",
		.sql = TERM_FACETS("find_products", "product", "product_id", "", FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.products.value_facets",
		.sql = VALUE_FACETS("find_products", PRODUCT_VALUES, WS PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.products.value_facets_all",
		.sql = VALUE_FACETS("find_products", PRODUCT_VALUES, WS, FIND_SQL_PRODUCT_FILTERS), .tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.products.value_facets_any",
		.sql = VALUE_FACETS("find_products", PRODUCT_VALUES, PRODUCT_MATCH, FIND_SQL_PRODUCT_FILTERS),
		.tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.products.value_facets_any_all",
		.sql = VALUE_FACETS("find_products", PRODUCT_VALUES, "", FIND_SQL_PRODUCT_FILTERS), .tenant_bound = 1},
	[SEARCH_PRICE_FACET * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.products.price_facet",
		.sql = PRICE_FACET(WS PRODUCT_MATCH),
		.tenant_bound = 1},
	[SEARCH_PRICE_FACET * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.products.price_facet_all",
		.sql = PRICE_FACET(WS),
		.tenant_bound = 1},
	[SEARCH_PRICE_FACET * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.products.price_facet_any",
		.sql = PRICE_FACET(PRODUCT_MATCH),
		.tenant_bound = 1},
	[SEARCH_PRICE_FACET * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.products.price_facet_any_all",
		.sql = PRICE_FACET(""),
		.tenant_bound = 1},
};

/* Posts have no price facet: their table stops before it. */
static const struct db_statement_def find_post_search_statements[SEARCH_PRICE_FACET * SEARCH__VARIANTS] = {
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.posts.search_candidates",
		.sql = CANDIDATES("find_posts", WS POST_MATCH, FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.posts.search_all",
		.sql = RESULTS("find_posts", "0", WS, FIND_SQL_POST_FILTERS, "post_id"), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.posts.search_candidates_any",
		.sql = CANDIDATES("find_posts", POST_MATCH, FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_RESULTS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.posts.search_any_all",
		.sql = RESULTS("find_posts", "0", "", FIND_SQL_POST_FILTERS, "post_id"), .tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.posts.facets",
		.sql = TERM_FACETS("find_posts", "post", "post_id", WS POST_MATCH, FIND_SQL_POST_FILTERS),
		.tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.posts.facets_all",
		.sql = TERM_FACETS("find_posts", "post", "post_id", WS, FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.posts.facets_any",
		.sql = TERM_FACETS("find_posts", "post", "post_id", POST_MATCH, FIND_SQL_POST_FILTERS),
		.tenant_bound = 1},
	[SEARCH_TERM_FACETS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.posts.facets_any_all",
		.sql = TERM_FACETS("find_posts", "post", "post_id", "", FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_WS_TEXT] = {.name = "find.posts.value_facets",
		.sql = VALUE_FACETS("find_posts", POST_VALUES, WS POST_MATCH, FIND_SQL_POST_FILTERS),
		.tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_WS_ALL] = {.name = "find.posts.value_facets_all",
		.sql = VALUE_FACETS("find_posts", POST_VALUES, WS, FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_ANY_TEXT] = {.name = "find.posts.value_facets_any",
		.sql = VALUE_FACETS("find_posts", POST_VALUES, POST_MATCH, FIND_SQL_POST_FILTERS), .tenant_bound = 1},
	[SEARCH_VALUE_FACETS * SEARCH__VARIANTS + SEARCH_ANY_ALL] = {.name = "find.posts.value_facets_any_all",
		.sql = VALUE_FACETS("find_posts", POST_VALUES, "", FIND_SQL_POST_FILTERS), .tenant_bound = 1},
};


/* The documents of the top hits, by search number; for a text without
 * spaces, with the products whose SKU is the text (pinned: they come first). */
#define HIT_DOCUMENTS(table)                                                                                  \
	"SELECT e.search_doc, e.document, 0 AS pinned FROM JSON_TABLE(?, '$[*]' COLUMNS (d INT UNSIGNED PATH '$')) md" \
	" JOIN " table " e ON e.tenant_id = ? AND e.search_doc = md.d"
#define SKU_DOCUMENTS(where)                                                                                  \
	"(" HIT_DOCUMENTS("find_products") ") UNION ALL (SELECT e.search_doc, e.document, 1 FROM find_products e"    \
	" WHERE e.tenant_id = ? AND e.sku = ?" where " AND e.search_doc IS NOT NULL" FIND_SQL_PRODUCT_FILTERS VISIBLE \
	" LIMIT 5)"
enum find_search_hit_statement { HITS_PRODUCT_DOCUMENTS, HITS_POST_DOCUMENTS, HITS_SKU_WS, HITS_SKU_ANY, HITS__MAX };
static const struct db_statement_def find_search_hit_statements[HITS__MAX] = {
	[HITS_PRODUCT_DOCUMENTS] = {.name = "find.products.search_documents", .sql = HIT_DOCUMENTS("find_products"),
		.tenant_bound = 1},
	[HITS_POST_DOCUMENTS] = {.name = "find.posts.search_documents", .sql = HIT_DOCUMENTS("find_posts"),
		.tenant_bound = 1},
	[HITS_SKU_WS] = {.name = "find.products.search_documents_sku", .sql = SKU_DOCUMENTS(WS), .tenant_bound = 1},
	[HITS_SKU_ANY] = {.name = "find.products.search_documents_sku_any", .sql = SKU_DOCUMENTS(""), .tenant_bound = 1},
};
const struct statement_table find_search_hits_statement_table = {"find.search_hits", find_search_hit_statements,
	HITS__MAX};

const struct statement_table find_product_search_statement_table = {"find.products.search",
	find_product_search_statements, sizeof(find_product_search_statements) / sizeof(find_product_search_statements[0])};
const struct statement_table find_post_search_statement_table = {"find.posts.search", find_post_search_statements,
	sizeof(find_post_search_statements) / sizeof(find_post_search_statements[0])};

static const enum find_entity_kind find_search_products = FIND_PRODUCT;
static const enum find_entity_kind find_search_posts = FIND_POST;

static void find_search(struct request_context *context);

static const struct find_route_terms find_search_terms = {.meter = FIND_METER_SEARCH};

static const struct route find_search_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/find/products/search", .permission = "find.view",
		.credentials = ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY, .handler = find_search,
		.data = &find_search_products, .gate_data = &find_search_terms, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = "/api/v1/find/posts/search", .permission = "find.view",
		.credentials = ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY, .handler = find_search,
		.data = &find_search_posts, .gate_data = &find_search_terms, .principal_cache = 1},
};

const struct route_table find_search_route_table = {
	.module_name = "find_search",
	.routes = find_search_routes,
	.route_count = sizeof(find_search_routes) / sizeof(find_search_routes[0]),
	.gate = &find_gate,
};

/* ------------------------------------------------------------- binding */

/* Everything one search statement binds, in placeholder order. */
struct find_search_binding {
	struct db_param params[64];
	size_t count;
	char bounds[FIND_PRICE_BUCKETS][32];
};

/* doc_list: with text, the JSON array of search document numbers the
 * statement reads (candidates or matches). */
static void find_bind_search(struct request_context *context, const struct find_search_request *request,
	const char *doc_list, enum find_search_statement kind, struct find_search_binding *binding)
{
	const char *workspace = find_workspace(context);
	int has_text = request->text[0] != '\0';
	size_t count = 0;
	struct db_param *params = binding->params;
	if (kind == SEARCH_VALUE_FACETS)
		params[count++] = DB_TEXT(request->value_facet_spec);
	if (kind == SEARCH_PRICE_FACET) {
		for (int bucket = FIND_PRICE_BUCKETS - 1; bucket >= 1; bucket--) {
			snprintf(binding->bounds[bucket], sizeof(binding->bounds[bucket]), "%.4f", find_price_bucket_bounds[bucket]);
			params[count++] = DB_TEXT(binding->bounds[bucket]);
		}
	}
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	if (workspace[0] != '\0')
		params[count++] = DB_TEXT(workspace);
	if (has_text)
		params[count++] = DB_TEXT(doc_list);
	count += find_filters_bind(request->kind, &request->filters, params + count);
	params[count++] = DB_INT(context->request->auth.kind == AUTH_PUBLISHABLE_KEY);
	if (kind == SEARCH_RESULTS && !has_text)
		params[count++] = DB_INT(request->limit);
	else if (kind == SEARCH_TERM_FACETS || kind == SEARCH_VALUE_FACETS)
		params[count++] = DB_INT(request->facet_size);
	binding->count = count;
}

static const struct db_statement_def *find_search_statement(const struct request_context *context,
	const struct find_search_request *request, enum find_search_statement kind)
{
	int has_workspace = find_workspace(context)[0] != '\0';
	int has_text = request->text[0] != '\0';
	enum find_search_variant variant = has_workspace ? (has_text ? SEARCH_WS_TEXT : SEARCH_WS_ALL)
							 : (has_text ? SEARCH_ANY_TEXT : SEARCH_ANY_ALL);
	const struct db_statement_def *table =
		request->kind == FIND_PRODUCT ? find_product_search_statements : find_post_search_statements;
	return &table[kind * SEARCH__VARIANTS + variant];
}

/* ------------------------------------------------------------- row readers */

/* A page of results is cut once its documents pass this many bytes (the
 * first always goes in): 100 documents of 64 KiB would make a 6 MB answer
 * that a worker builds in memory and the web server must hold. */
#define FIND_SEARCH_PAGE_MAX_BYTES (2 * 1024 * 1024)

struct find_search_rows {
	json_object *results;
	uint64_t total;
	size_t document_bytes;
	int truncated; /* fewer results than the limit because of the byte budget */
};

static int find_collect_result(void *callback_context, const struct db_row *row)
{
	struct find_search_rows *rows = callback_context;
	if (row->column_count < 3 || row->values[0] == NULL)
		return 0;
	if (row->values[2] != NULL)
		rows->total = strtoull(row->values[2], NULL, 10);
	size_t length = row->lengths[0];
	if (rows->truncated || (json_object_array_length(rows->results) > 0 &&
				       rows->document_bytes + length > FIND_SEARCH_PAGE_MAX_BYTES)) {
		rows->truncated = 1;
		return 0; /* read on: the total rides on every row */
	}
	json_object *document = json_tokener_parse(row->values[0]);
	if (document == NULL || !json_object_is_type(document, json_type_object)) {
		json_object_put(document);
		return 0;
	}
	json_object_object_add(document, "score", json_object_new_double(row->values[1] ? strtod(row->values[1], NULL) : 0));
	json_object_array_add(rows->results, document);
	rows->document_bytes += length;
	return 0;
}

/* A facet row "facet, term, hits" goes to the list of that name: the
 * facets object holds a list for each facet asked for, and only those. */
static int find_collect_facet(void *callback_context, const struct db_row *row)
{
	json_object *facets = callback_context, *list = NULL;
	if (row->column_count < 3 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL)
		return 0;
	if (!json_object_object_get_ex(facets, row->values[0], &list))
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "key", json_object_new_string(row->values[1]));
	json_object_object_add(entry, "value", json_object_new_string(row->values[1]));
	json_object_object_add(entry, "count", json_object_new_int64(strtoll(row->values[2], NULL, 10)));
	json_object_array_add(list, entry);
	return 0;
}

/* A price bucket row "bucket, count" goes to "price" and "price_ranges",
 * whichever were asked for. */
static int find_collect_price_facet(void *callback_context, const struct db_row *row)
{
	json_object *facets = callback_context;
	if (row->column_count < 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	int bucket = atoi(row->values[0]);
	int64_t count = strtoll(row->values[1], NULL, 10);
	json_object *list = NULL;
	if (json_object_object_get_ex(facets, find_facet_field_name(FIND_FACET_FIELD_PRICE), &list)) {
		json_object *entry = find_price_bucket_entry(bucket, count, 0);
		if (entry != NULL)
			json_object_array_add(list, entry);
	}
	if (json_object_object_get_ex(facets, find_facet_field_name(FIND_FACET_FIELD_PRICE_RANGES), &list)) {
		json_object *entry = find_price_bucket_entry(bucket, count, 1);
		if (entry != NULL)
			json_object_array_add(list, entry);
	}
	return 0;
}

/* The facet members the request asked for, each an empty list. */
static json_object *find_search_empty_facets(const struct find_search_request *request)
{
	json_object *facets = json_object_new_object();
	for (int field = 0; field < FIND_FACET_FIELD__MAX; field++)
		if (request->facet_mask & (1u << field))
			json_object_object_add(facets, find_facet_field_name(field), json_object_new_array());
	for (size_t i = 0; i < request->value_facet_count; i++)
		json_object_object_add(facets, request->value_facets[i].name, json_object_new_array());
	return facets;
}

/* Facets over the filtered match set (not only the returned page): with
 * text, over the matches doc_list names; one statement for the term lists,
 * one for the value facets, one for the price buckets, each only when asked
 * for. */
static int find_search_facets(struct request_context *context, const struct find_search_request *request,
	const char *doc_list, json_object **out)
{
	const unsigned term_fields = (1u << FIND_FACET_FIELD_CATEGORIES) | (1u << FIND_FACET_FIELD_TAGS) |
		(1u << FIND_FACET_FIELD_BRANDS);
	const unsigned price_fields = (1u << FIND_FACET_FIELD_PRICE) | (1u << FIND_FACET_FIELD_PRICE_RANGES);
	json_object *facets = find_search_empty_facets(request);
	struct find_search_binding binding;
	int result = DB_OK;
	if (request->facet_mask & term_fields) {
		find_bind_search(context, request, doc_list, SEARCH_TERM_FACETS, &binding);
		result = db_query(context->db, find_search_statement(context, request, SEARCH_TERM_FACETS), binding.params,
			binding.count, find_collect_facet, facets);
	}
	if (result == DB_OK && request->value_facet_count > 0) {
		find_bind_search(context, request, doc_list, SEARCH_VALUE_FACETS, &binding);
		result = db_query(context->db, find_search_statement(context, request, SEARCH_VALUE_FACETS), binding.params,
			binding.count, find_collect_facet, facets);
	}
	if (result == DB_OK && request->kind == FIND_PRODUCT && (request->facet_mask & price_fields)) {
		find_bind_search(context, request, doc_list, SEARCH_PRICE_FACET, &binding);
		result = db_query(context->db, find_search_statement(context, request, SEARCH_PRICE_FACET), binding.params,
			binding.count, find_collect_price_facet, facets);
	}
	if (result != DB_OK) {
		json_object_put(facets);
		return result;
	}
	*out = facets;
	return DB_OK;
}

/* ------------------------------------------------------------- search log */

_Static_assert(sizeof(struct find_search_log_entry) <= sizeof(((struct request_context *)0)->after_response_data),
	"the search log entry must fit in after_response_data");

/* ------------------------------------------------------------- index path */

/* Matches counted exactly, and facets computed on every match, up to this
 * many; past it the total is estimated and facets come from a uniform sample
 * of this many matches (totalIsExact, facetsAreExact false). */
#define FIND_SEARCH_TOTAL_BOUND 1000
#define FIND_SEARCH_FACET_BOUND 1000
/* Postings of the rarest word read by the walk's first fetch. */
#define FIND_SEARCH_ROUND_POSTINGS 4096
/* Without facets, the count may stop past this many matches once the total
 * is past FIND_SEARCH_TOTAL_BOUND beyond doubt (find_index_limits): the
 * estimate is then as good as the one at the bound (within about 6% at
 * one standard deviation) for a quarter of the buckets read. Facets keep
 * the full sample of FIND_SEARCH_FACET_BOUND matches. */
#define FIND_SEARCH_ESTIMATE_AFTER 250

struct find_search_verifier {
	struct request_context *context;
	const struct find_search_request *request;
	int db_result;
};

/* The walk's verify: which candidates (ascending) pass the workspace, the
 * filters and, for browsers, visibility. */
static int find_search_verify(void *callback_context, const uint32_t *docs, size_t count, uint8_t *passed)
{
	struct find_search_verifier *verifier = callback_context;
	memset(passed, 0, count);
	char *doc_list = find_index_doc_list(docs, count);
	struct find_search_binding binding;
	find_bind_search(verifier->context, verifier->request, doc_list, SEARCH_RESULTS, &binding);
	struct find_index_passing passing = {.docs = docs, .count = count, .passed = passed};
	verifier->db_result = db_query(verifier->context->db,
		find_search_statement(verifier->context, verifier->request, SEARCH_RESULTS), binding.params, binding.count,
		find_index_mark_passed, &passing);
	free(doc_list);
	return verifier->db_result == DB_OK ? 0 : 1;
}

/* Candidates need checking only when something narrows them that the index
 * does not hold. */
static int find_search_needs_verify(const struct request_context *context, const struct find_search_request *request)
{
	return find_workspace(context)[0] != '\0' || !find_filters_empty(&request->filters) ||
		context->request->auth.kind == AUTH_PUBLISHABLE_KEY;
}

/* One walk of the index with plan; fills result. Returns an enum db_result. */
static int find_search_walk(struct request_context *context, const struct find_search_request *request,
	const struct find_index_text *text, const struct find_index_plan *plan, struct find_index_memo *memo,
	struct find_index_result *result)
{
	struct find_index_query query;
	int status = find_index_query_build(context->db, context->request->auth.tenant_id, request->kind, text, plan,
		&context->request->auth, memo, &query);
	if (status != DB_OK) {
		find_index_query_release(&query);
		memset(result, 0, sizeof(*result));
		return status;
	}
	struct find_search_verifier verifier = {.context = context, .request = request, .db_result = DB_OK};
	struct find_index_db_source db_source = {.db = context->db, .tenant_id = context->request->auth.tenant_id,
		.kind = request->kind};
	struct find_index_source source;
	find_index_db_source_init(&db_source, &source, find_search_needs_verify(context, request) ? find_search_verify : NULL,
		&verifier);
	struct find_index_limits limits = {.top_k = (size_t)request->limit, .total_bound = FIND_SEARCH_TOTAL_BOUND,
		.sample_max = FIND_SEARCH_FACET_BOUND, .round_postings = FIND_SEARCH_ROUND_POSTINGS,
		.estimate_after = request->include_facets ? 0 : FIND_SEARCH_ESTIMATE_AFTER};
	int stopped = find_index_walk(&query, &limits, &source, result);
	find_index_query_release(&query);
	if (stopped != 0)
		return verifier.db_result != DB_OK ? verifier.db_result : db_source.db_result != DB_OK ? db_source.db_result : DB_ERROR;
	return DB_OK;
}

/* Every word (typos allowed, phrases ranked); the word being typed as a
 * prefix when it is not a word of the tenant or the page is not full; any
 * word only when all of them find nothing. The words' statistics are read
 * once, by the first walk. */
static int find_search_index(struct request_context *context, const struct find_search_request *request,
	const struct find_index_text *text, struct find_index_result *result)
{
	struct find_index_plan plan = {.mode = FIND_INDEX_ALL_WORDS, .typos = 1, .pairs = text->count > 1};
	struct find_index_memo memo = {0};
	int status = find_search_walk(context, request, text, &plan, &memo, result);
	if (status == DB_OK && text->last_is_prefix && result->top_count < (size_t)request->limit) {
		find_index_result_release(result);
		plan.prefix_last = 1;
		status = find_search_walk(context, request, text, &plan, &memo, result);
	}
	if (status == DB_OK && result->total == 0 && text->count > 1) {
		find_index_result_release(result);
		plan.mode = FIND_INDEX_ANY_WORD;
		status = find_search_walk(context, request, text, &plan, &memo, result);
	}
	find_index_memo_release(&memo);
	return status;
}

#define FIND_SEARCH_PINNED_MAX 5

struct find_search_documents {
	const struct find_index_result *result;
	json_object *documents[FIND_INDEX_TOP_MAX]; /* by position in result->top */
	size_t lengths[FIND_INDEX_TOP_MAX];
	/* products whose SKU is the text, in the order found */
	uint32_t pinned_docs[FIND_SEARCH_PINNED_MAX];
	json_object *pinned[FIND_SEARCH_PINNED_MAX];
	size_t pinned_lengths[FIND_SEARCH_PINNED_MAX];
	size_t pinned_count;
};

static json_object *find_search_parse_document(const char *text)
{
	json_object *document = json_tokener_parse(text);
	if (document != NULL && !json_object_is_type(document, json_type_object)) {
		json_object_put(document);
		document = NULL;
	}
	return document;
}

static int find_search_collect_document(void *callback_context, const struct db_row *row)
{
	struct find_search_documents *documents = callback_context;
	if (row->column_count < 3 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	uint32_t doc = (uint32_t)strtoul(row->values[0], NULL, 10);
	if (row->values[2] != NULL && strcmp(row->values[2], "1") == 0) {
		if (documents->pinned_count < FIND_SEARCH_PINNED_MAX) {
			size_t at = documents->pinned_count++;
			documents->pinned_docs[at] = doc;
			documents->pinned[at] = find_search_parse_document(row->values[1]);
			documents->pinned_lengths[at] = row->lengths[1];
		}
		return 0;
	}
	for (size_t i = 0; i < documents->result->top_count; i++) {
		if (documents->result->top[i].doc != doc || documents->documents[i] != NULL)
			continue;
		documents->documents[i] = find_search_parse_document(row->values[1]);
		documents->lengths[i] = row->lengths[1];
	}
	return 0;
}

/* Adds one document with its score to the page unless the byte budget is spent. */
static void find_search_page_add(struct find_search_rows *rows, json_object *document, size_t length, double score)
{
	if (rows->truncated ||
		(json_object_array_length(rows->results) > 0 && rows->document_bytes + length > FIND_SEARCH_PAGE_MAX_BYTES)) {
		rows->truncated = 1;
		json_object_put(document);
		return;
	}
	/* Scores are rounded: the walk's sums are not meant to be read to the last bit. */
	json_object_object_add(document, "score", json_object_new_double(floor(score * 1000 + 0.5) / 1000));
	json_object_array_add(rows->results, document);
	rows->document_bytes += length;
}

/* The page: products whose SKU is exactly the text first (when they pass
 * the filters), then the top hits in rank order, each with its score, cut at
 * the page's byte budget. One statement reads both. */
static int find_search_hits_page(struct request_context *context, const struct find_search_request *request,
	struct find_index_result *result, struct find_search_rows *rows)
{
	int by_sku = request->kind == FIND_PRODUCT && request->text_length <= 191 &&
		strpbrk(request->text, " \t\r\n") == NULL;
	if (result->top_count == 0 && !by_sku)
		return DB_OK;
	uint32_t docs[FIND_INDEX_TOP_MAX];
	for (size_t i = 0; i < result->top_count; i++)
		docs[i] = result->top[i].doc;
	char *doc_list = find_index_doc_list(docs, result->top_count);
	const char *workspace = find_workspace(context);
	struct db_param params[6 + FIND_SQL_PRODUCT_FILTER_PARAMS]; /* 5 around the filters, and the visibility flag */
	size_t count = 0;
	params[count++] = DB_TEXT(doc_list);
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	const struct db_statement_def *statement =
		&find_search_hit_statements[request->kind == FIND_POST ? HITS_POST_DOCUMENTS : HITS_PRODUCT_DOCUMENTS];
	if (by_sku) {
		params[count++] = DB_UINT(context->request->auth.tenant_id);
		params[count++] = DB_TEXTN(request->text, request->text_length);
		if (workspace[0] != '\0')
			params[count++] = DB_TEXT(workspace);
		count += find_filters_bind(FIND_PRODUCT, &request->filters, params + count);
		params[count++] = DB_INT(context->request->auth.kind == AUTH_PUBLISHABLE_KEY);
		statement = &find_search_hit_statements[workspace[0] != '\0' ? HITS_SKU_WS : HITS_SKU_ANY];
	}
	struct find_search_documents *documents = xcalloc(1, sizeof(*documents));
	documents->result = result;
	int status = db_query(context->db, statement, params, count, find_search_collect_document, documents);
	free(doc_list);
	double best = result->top_count ? result->top[0].score : 0;
	size_t shown = 0;
	for (size_t i = 0; i < documents->pinned_count; i++) {
		int seen = 0;
		for (size_t j = 0; j < result->top_count && !seen; j++)
			seen = result->top[j].doc == documents->pinned_docs[i];
		/* A pinned product the words did not match is one more result. */
		if (!seen && result->total_is_exact)
			result->total++;
		if (documents->pinned[i] == NULL)
			continue;
		if (status == DB_OK && shown < (size_t)request->limit) {
			find_search_page_add(rows, documents->pinned[i], documents->pinned_lengths[i], best + 10);
			shown++;
		} else {
			json_object_put(documents->pinned[i]);
		}
	}
	for (size_t i = 0; i < result->top_count; i++) {
		if (documents->documents[i] == NULL)
			continue;
		int pinned = 0;
		for (size_t j = 0; j < documents->pinned_count && !pinned; j++)
			pinned = documents->pinned_docs[j] == result->top[i].doc;
		if (status == DB_OK && !pinned && shown < (size_t)request->limit) {
			find_search_page_add(rows, documents->documents[i], documents->lengths[i], result->top[i].score);
			shown++;
		} else {
			json_object_put(documents->documents[i]);
		}
	}
	free(documents);
	return status;
}

/* Facet counts of a sample scaled to the estimated match set. */
static void find_search_scale_facets(json_object *facets, double factor)
{
	json_object_object_foreach(facets, name, list) {
		(void)name;
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *entry = json_object_array_get_idx(list, i), *count = NULL;
			if (json_object_object_get_ex(entry, "count", &count))
				json_object_object_add(entry, "count",
					json_object_new_int64((int64_t)floor((double)json_object_get_int64(count) * factor + 0.5)));
		}
	}
}

/* ------------------------------------------------------------- handler */

static void find_search(struct request_context *context)
{
	enum find_entity_kind kind = *(const enum find_entity_kind *)context->route->data;
	struct find_search_request request;
	struct find_errors errors = {0};
	if (find_search_parse(kind, context->request->json_body, &request, &errors) != 0) {
		find_search_request_release(&request);
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid search request");
		for (size_t i = 0; i < errors.count; i++)
			response_add_detail(context->response, errors.items[i].field, "%s", errors.items[i].message);
		return;
	}
	struct find_search_rows rows = {.results = json_object_new_array()};
	struct find_index_result hits = {0};
	json_object *facets = NULL;
	int result = DB_OK, total_is_exact = 1, facets_are_exact = 1;
	if (request.text[0] == '\0') {
		struct find_search_binding binding;
		find_bind_search(context, &request, NULL, SEARCH_RESULTS, &binding);
		result = db_query(context->db, find_search_statement(context, &request, SEARCH_RESULTS), binding.params,
			binding.count, find_collect_result, &rows);
		if (result == DB_OK && request.include_facets)
			result = find_search_facets(context, &request, NULL, &facets);
	} else {
		struct find_index_text text;
		find_index_text_parse(request.text, request.text_length, &text);
		/* Semantic ranking (find_semantic.h): the walk keeps more text hits,
		 * re-ranked by the query's vector and cut back to the page. */
		struct find_semantic_query semantic;
		find_semantic_begin(context, kind, request.text, request.text_length, &semantic);
		struct find_search_request walked = request;
		walked.limit = find_semantic_candidates(&semantic, request.limit);
		result = find_search_index(context, &walked, &text, &hits);
		if (result == DB_OK)
			find_semantic_rerank(context, &semantic, &hits, (size_t)request.limit);
		find_semantic_end(&semantic);
		if (result == DB_OK)
			result = find_search_hits_page(context, &request, &hits, &rows);
		rows.total = hits.total;
		total_is_exact = hits.total_is_exact;
		if (result == DB_OK && request.include_facets) {
			if (hits.sample_count == 0) {
				facets = find_search_empty_facets(&request); /* nothing matched: nothing to count */
			} else {
				char *doc_list = find_index_doc_list(hits.sample, hits.sample_count);
				result = find_search_facets(context, &request, doc_list, &facets);
				free(doc_list);
				facets_are_exact = hits.sample_is_all && hits.total_is_exact;
				if (result == DB_OK && !facets_are_exact)
					find_search_scale_facets(facets, (double)hits.total / (double)hits.sample_count);
			}
		}
		find_index_result_release(&hits);
	}
	if (result != DB_OK) {
		json_object_put(rows.results);
		json_object_put(facets);
		find_search_request_release(&request);
		respond_db_failure(context, result, "search");
		return;
	}
	json_object *query = json_object_new_object();
	json_object_object_add(query, "text", json_object_new_string(request.text));
	json_object_object_add(query, "filters",
		request.filters_given ? json_object_get(request.filters_given) : json_object_new_object());
	json_object_object_add(query, "limit", json_object_new_int(request.limit));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "results", rows.results);
	json_object_object_add(data, "total", json_object_new_int64((int64_t)rows.total));
	json_object_object_add(data, "totalIsExact", json_object_new_boolean(total_is_exact));
	if (rows.truncated)
		json_object_object_add(data, "truncated", json_object_new_boolean(1));
	if (facets != NULL) {
		json_object_object_add(data, "facets", facets);
		json_object_object_add(data, "facetsAreExact", json_object_new_boolean(facets_are_exact));
	}
	json_object_object_add(data, "query", query);
	/* useAgent is taken, but there is no agent: every search is the plain one. */
	json_object_object_add(data, "agent_used", json_object_new_boolean(0));
	response_ok(context->response, STATUS_OK, data, "Search completed");

	struct find_search_log_entry entry;
	find_search_log_fill(&entry, context->request->auth.tenant_id, context->request->auth.api_key_id, rows.total, kind,
		find_source_name(context), find_workspace(context), request.text, request.search_context);
	memcpy(context->after_response_data, &entry, sizeof(entry));
	context->after_response = find_search_log_after_response;
	find_search_request_release(&request);
}

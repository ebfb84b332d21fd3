/* Find API content: upsert, read, delete, bulk, id listing and
 * delete-by-query for products, posts and taxonomies. One generic set of
 * handlers serves the three entities through a small definition table;
 * each write keeps find_terms and the live-row counter (resource_counts) in
 * step in the same transaction. */
#include "handler/context.h"
#include "core/alloc.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "find/embedding_store.h"
#include "find/events.h"
#include "find/plan.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "modules/find_common.h"
#include "modules/find_content.h"
#include "modules/find_documents.h"
#include "modules/find_index_store.h"
#include "modules/find_query.h"
#include "modules/find_sql.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIND_IDS_LIMIT_DEFAULT 100
#define FIND_IDS_LIMIT_MAX 1000

/* FC_EXISTS locks the row and reads its number and the texts it was indexed
 * with (find_index_store.h), so a write can take exactly those postings out. */
#define FIND_SQL_COMMON(table, id_column, name)                                                                 \
	[FC_GET_WS] = {name ".get", "SELECT document FROM " table " WHERE tenant_id = ? AND workspace = ? AND " id_column \
		" = ?", 1},                                                                                               \
	[FC_GET_ANY] = {name ".get_any", "SELECT document FROM " table " WHERE tenant_id = ? AND " id_column " = ?"     \
		" ORDER BY updated_at DESC LIMIT 1", 1},                                                                  \
	[FC_DELETE] = {name ".delete", "DELETE FROM " table " WHERE tenant_id = ? AND workspace = ? AND " id_column " = ?", 1}, \
	[FC_IDS_WS] = {name ".ids", "SELECT " id_column " FROM " table " WHERE tenant_id = ? AND workspace = ?"         \
		" ORDER BY " id_column " LIMIT ? OFFSET ?", 1},                                                          \
	[FC_IDS_ANY] = {name ".ids_any", "SELECT DISTINCT " id_column " FROM " table " WHERE tenant_id = ?"             \
		" ORDER BY " id_column " LIMIT ? OFFSET ?", 1},                                                          \
	[FC_COUNT_WS] = {name ".count", "SELECT COUNT(*) FROM " table " WHERE tenant_id = ? AND workspace = ?", 1},     \
	[FC_COUNT_ANY] = {name ".count_any", "SELECT COUNT(DISTINCT " id_column ") FROM " table " WHERE tenant_id = ?", 1}, \
	[FC_DELETE_IDS] = {name ".delete_ids", "DELETE FROM " table " WHERE tenant_id = ? AND workspace = ? AND "      \
		id_column " IN (SELECT jt.id FROM " FIND_SQL_JSON_STRINGS("id") ")", 1}

#define FIND_SQL_TERMS(entity, name)                                                                            \
	[FC_TERMS_DELETE] = {name ".terms_delete", "DELETE FROM find_terms WHERE tenant_id = ? AND entity = '" entity   \
		"' AND workspace = ? AND entity_id = ?", 1},                                                              \
	[FC_TERMS_INSERT] = {name ".terms_insert", "INSERT INTO find_terms (tenant_id, entity, workspace, entity_id, facet, term)" \
		" SELECT ?, '" entity "', ?, ?, jt.facet, jt.term FROM JSON_TABLE(?, '$[*]' COLUMNS ("                   \
		"facet VARCHAR(16) PATH '$[0]', term VARCHAR(191) PATH '$[1]')) jt"                                      \
		" ON DUPLICATE KEY UPDATE entity_id = VALUES(entity_id)", 1},                                            \
	[FC_TERMS_DELETE_IDS] = {name ".terms_delete_ids", "DELETE FROM find_terms WHERE tenant_id = ? AND entity = '"  \
		entity "' AND workspace = ? AND entity_id IN (SELECT jt.id FROM " FIND_SQL_JSON_STRINGS("id") ")", 1}

/* The ids of one entity narrowed by its filters, in every workspace or one
 * ("" binds to all). */
#define FIND_SQL_IDS_FILTERED(table, id_column, name, filters)                                                  \
	[FC_IDS_FILTERED] = {name ".ids_filtered", "SELECT DISTINCT e." id_column " FROM " table " e"                \
		" WHERE e.tenant_id = ? AND (? = '' OR e.workspace = ?)" filters " ORDER BY e." id_column                \
		" LIMIT ? OFFSET ?", 1},                                                                                  \
	[FC_COUNT_FILTERED] = {name ".count_filtered", "SELECT COUNT(DISTINCT e." id_column ") FROM " table " e"     \
		" WHERE e.tenant_id = ? AND (? = '' OR e.workspace = ?)" filters, 1}

static const struct db_statement_def find_product_statements[FC__MAX] = {
	FIND_SQL_COMMON("find_products", "product_id", "find.products"),
	FIND_SQL_TERMS("product", "find.products"),
	FIND_SQL_IDS_FILTERED("find_products", "product_id", "find.products", FIND_SQL_PRODUCT_FILTERS),
	[FC_EXISTS] = {.name = "find.products.exists",
		.sql = "SELECT " FIND_SQL_PRODUCT_INDEXED " FROM find_products WHERE tenant_id = ? AND workspace = ?"
		" AND product_id = ? FOR UPDATE", .tenant_bound = 1},
	[FC_INSERT] = {.name = "find.products.insert",
		.sql = "INSERT INTO find_products (tenant_id, workspace, product_id, search_doc, name, content, excerpt, sku, price,"
		" sale_price, regular_price, on_sale, stock_status, rating, status, categories_text, tags_text, brands_text,"
		" document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[FC_UPDATE] = {.name = "find.products.update",
		.sql = "UPDATE find_products SET name = ?, content = ?, excerpt = ?, sku = ?, price = ?, sale_price = ?,"
		" regular_price = ?, on_sale = ?, stock_status = ?, rating = ?, status = ?, categories_text = ?, tags_text = ?,"
		" brands_text = ?, document = ?, search_doc = ?, updated_at = NOW(3)"
		" WHERE tenant_id = ? AND workspace = ? AND product_id = ?", .tenant_bound = 1},
	[FC_MATCH_IDS] = {.name = "find.products.match_ids",
		.sql = "SELECT e.product_id, " FIND_SQL_PRODUCT_INDEXED_E " FROM find_products e WHERE e.tenant_id = ?"
		" AND e.workspace = ?" FIND_SQL_PRODUCT_FILTERS " ORDER BY e.product_id LIMIT " FIND_DELETE_BATCH_TEXT
		" FOR UPDATE", .tenant_bound = 1},
};

static const struct db_statement_def find_post_statements[FC__MAX] = {
	FIND_SQL_COMMON("find_posts", "post_id", "find.posts"),
	FIND_SQL_TERMS("post", "find.posts"),
	FIND_SQL_IDS_FILTERED("find_posts", "post_id", "find.posts", FIND_SQL_POST_FILTERS),
	[FC_EXISTS] = {.name = "find.posts.exists",
		.sql = "SELECT " FIND_SQL_POST_INDEXED " FROM find_posts WHERE tenant_id = ? AND workspace = ? AND post_id = ?"
		" FOR UPDATE", .tenant_bound = 1},
	[FC_INSERT] = {.name = "find.posts.insert",
		.sql = "INSERT INTO find_posts (tenant_id, workspace, post_id, search_doc, title, content, excerpt, url, status,"
		" author_name, categories_text, tags_text, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[FC_UPDATE] = {.name = "find.posts.update",
		.sql = "UPDATE find_posts SET title = ?, content = ?, excerpt = ?, url = ?, status = ?, author_name = ?,"
		" categories_text = ?, tags_text = ?, document = ?, search_doc = ?, updated_at = NOW(3)"
		" WHERE tenant_id = ? AND workspace = ? AND post_id = ?", .tenant_bound = 1},
	[FC_MATCH_IDS] = {.name = "find.posts.match_ids",
		.sql = "SELECT e.post_id, " FIND_SQL_POST_INDEXED_E " FROM find_posts e WHERE e.tenant_id = ?"
		" AND e.workspace = ?" FIND_SQL_POST_FILTERS " ORDER BY e.post_id LIMIT " FIND_DELETE_BATCH_TEXT
		" FOR UPDATE", .tenant_bound = 1},
};

static const struct db_statement_def find_taxonomy_statements[FC__MAX] = {
	FIND_SQL_COMMON("find_taxonomies", "taxonomy_id", "find.taxonomies"),
	[FC_EXISTS] = {.name = "find.taxonomies.exists",
		.sql = "SELECT 1 FROM find_taxonomies WHERE tenant_id = ? AND workspace = ? AND taxonomy_id = ? FOR UPDATE",
		.tenant_bound = 1},
	[FC_INSERT] = {.name = "find.taxonomies.insert",
		.sql = "INSERT INTO find_taxonomies (tenant_id, workspace, taxonomy_id, name, slug, taxonomy_name, parent, document)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)", .tenant_bound = 1},
	[FC_UPDATE] = {.name = "find.taxonomies.update",
		.sql = "UPDATE find_taxonomies SET name = ?, slug = ?, taxonomy_name = ?, parent = ?, document = ?,"
		" updated_at = NOW(3) WHERE tenant_id = ? AND workspace = ? AND taxonomy_id = ?", .tenant_bound = 1},
	[FC_MATCH_IDS] = {.name = "find.taxonomies.match_ids",
		.sql = "SELECT e.taxonomy_id FROM find_taxonomies e WHERE e.tenant_id = ? AND e.workspace = ?" FIND_SQL_TAXONOMY_FILTERS
		" ORDER BY e.taxonomy_id LIMIT " FIND_DELETE_BATCH_TEXT, .tenant_bound = 1},
};

enum find_counter_statement { FIND_COUNTER_ADD, FIND_COUNTER_GET, FIND_COUNTER__MAX };
static const struct db_statement_def find_counter_statements[FIND_COUNTER__MAX] = {
	[FIND_COUNTER_ADD] = {.name = "find.counter_add",
		.sql = "INSERT INTO resource_counts (tenant_id, resource, live_rows) VALUES (?, ?, ?) "
		"ON DUPLICATE KEY UPDATE live_rows = live_rows + VALUES(live_rows)", .tenant_bound = 1},
	[FIND_COUNTER_GET] = {.name = "find.counter_get",
		.sql = "SELECT live_rows FROM resource_counts WHERE tenant_id = ? AND resource = ?",
		.tenant_bound = 1},
};

const struct statement_table find_products_statement_table = {"find.products", find_product_statements, FC__MAX};
const struct statement_table find_posts_statement_table = {"find.posts", find_post_statements, FC__MAX};
/* Taxonomies have no term rows: their table stops before the term statements. */
const struct statement_table find_taxonomies_statement_table = {"find.taxonomies", find_taxonomy_statements, FC_TERMS_DELETE};
const struct statement_table find_counters_statement_table = {"find.counters", find_counter_statements, FIND_COUNTER__MAX};

static const struct find_entity_def find_products_def = {FIND_PRODUCT, "find.products", find_product_statements};
static const struct find_entity_def find_posts_def = {FIND_POST, "find.posts", find_post_statements};
static const struct find_entity_def find_taxonomies_def = {FIND_TAXONOMY, "find.taxonomies", find_taxonomy_statements};

static void find_upsert(struct request_context *context);
static void find_get(struct request_context *context);
static void find_delete(struct request_context *context);
static void find_ids(struct request_context *context);

/* GET /X/ids: the page, and for products and posts the SDK's listIds
 * narrowing (categories and tags: any of a comma-separated list). */
#define FIND_IDS_PAGE_FIELDS                                                                                     \
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = FIND_IDS_LIMIT_MAX},               \
	{.name = "offset", .type = QUERY_INTEGER, .min_value = 0, .max_value = 1000000000}
static const struct query_field find_ids_query_fields[] = {
	FIND_IDS_PAGE_FIELDS,
	{.name = "categories", .type = QUERY_LIST, .max_length = 191, .max_value = FIND_FILTER_TERMS_MAX},
	{.name = "tags", .type = QUERY_LIST, .max_length = 191, .max_value = FIND_FILTER_TERMS_MAX},
	{.name = "status", .type = QUERY_TEXT, .min_length = 1, .max_length = 32},
};
static const struct query_spec find_ids_query = QUERY_SPEC(find_ids_query_fields);
static const struct query_field find_taxonomy_ids_query_fields[] = {FIND_IDS_PAGE_FIELDS};
static const struct query_spec find_taxonomy_ids_query = QUERY_SPEC(find_taxonomy_ids_query_fields);

#define FIND_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
/* Literal paths (bulk, ids, delete-by-query) come before "{id}": the router takes the first match. */
#define FIND_CONTENT_ROUTES(path, def, ids_query)                                                                   \
	{.method = HTTP_POST, .pattern = "/api/v1/find/" path "/bulk", .permission = "find.manage",                   \
		.credentials = FIND_CREDENTIALS, .handler = find_bulk_upsert, .data = &def},                             \
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/" path "/bulk", .permission = "find.manage",                 \
		.credentials = FIND_CREDENTIALS, .handler = find_bulk_delete, .data = &def},                             \
	{.method = HTTP_GET, .pattern = "/api/v1/find/" path "/ids", .permission = "find.view",                       \
		.credentials = FIND_CREDENTIALS, .query = &ids_query, .handler = find_ids, .data = &def},                \
	{.method = HTTP_POST, .pattern = "/api/v1/find/" path "/delete-by-query", .permission = "find.manage",         \
		.credentials = FIND_CREDENTIALS, .handler = find_delete_by_query, .data = &def},                         \
	{.method = HTTP_POST, .pattern = "/api/v1/find/" path, .permission = "find.manage",                           \
		.credentials = FIND_CREDENTIALS, .handler = find_upsert, .data = &def},                                  \
	{.method = HTTP_GET, .pattern = "/api/v1/find/" path "/{id}", .permission = "find.view",                      \
		.credentials = FIND_CREDENTIALS, .handler = find_get, .data = &def},                                     \
	{.method = HTTP_DELETE, .pattern = "/api/v1/find/" path "/{id}", .permission = "find.manage",                 \
		.credentials = FIND_CREDENTIALS, .handler = find_delete, .data = &def}

static const struct route find_content_routes[] = {
	FIND_CONTENT_ROUTES("products", find_products_def, find_ids_query),
	FIND_CONTENT_ROUTES("posts", find_posts_def, find_ids_query),
	FIND_CONTENT_ROUTES("taxonomies", find_taxonomies_def, find_taxonomy_ids_query),
};

const struct route_table find_content_route_table = {
	.module_name = "find_content",
	.routes = find_content_routes,
	.route_count = sizeof(find_content_routes) / sizeof(find_content_routes[0]),
	.gate = &find_gate,
};

/* ---------------------------------------------------------------- helpers */

const struct find_entity_def *find_content_def(const struct request_context *context)
{
	return context->route->data;
}

uint64_t find_content_tenant(const struct request_context *context)
{
	return context->request->auth.tenant_id;
}

static uint32_t find_content_cap(const struct request_context *context, enum find_entity_kind kind)
{
	const struct find_plan *plan = find_request_of(context)->plan;
	if (plan == NULL)
		return UINT32_MAX; /* the gate always sets a plan; no plan, no cap */
	switch (kind) {
	case FIND_PRODUCT:
		return plan->max_products;
	case FIND_POST:
		return plan->max_posts;
	default:
		return plan->max_taxonomies;
	}
}

/* The request body as an object, or NULL after answering 400. */
json_object *find_content_body(struct request_context *context)
{
	json_object *body = context->request->json_body;
	if (body != NULL && json_object_is_type(body, json_type_object))
		return body;
	response_error(context->response, STATUS_VALIDATION_ERROR, "A JSON object body is required");
	response_add_detail(context->response, "body", "must be a JSON object");
	return NULL;
}

void find_content_respond_errors(struct request_context *context, const char *message, const struct find_errors *errors)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, message);
	for (size_t i = 0; i < errors->count; i++)
		response_add_detail(context->response, errors->items[i].field, "%s", errors->items[i].message);
}

/* Column values in the order of the entity's INSERT (after the three keys) and UPDATE (before them). */
static size_t find_bind_columns(const struct find_columns *columns, struct db_param *params)
{
	size_t count = 0;
#define NUMBER(n) (columns->has_number[n] ? DB_TEXT(columns->number_text[n]) : DB_NULL)
	switch (columns->kind) {
	case FIND_PRODUCT:
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_TITLE]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_CONTENT]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_EXCERPT]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_SKU]);
		params[count++] = NUMBER(FIND_NUMBER_PRICE);
		params[count++] = NUMBER(FIND_NUMBER_SALE_PRICE);
		params[count++] = NUMBER(FIND_NUMBER_REGULAR_PRICE);
		params[count++] = DB_INT(columns->on_sale);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_STOCK_STATUS]);
		params[count++] = NUMBER(FIND_NUMBER_RATING);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_STATUS]);
		params[count++] = DB_TEXT(columns->joined_terms[FIND_FACET_CATEGORIES]);
		params[count++] = DB_TEXT(columns->joined_terms[FIND_FACET_TAGS]);
		params[count++] = DB_TEXT(columns->joined_terms[FIND_FACET_BRANDS]);
		break;
	case FIND_POST:
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_TITLE]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_CONTENT]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_EXCERPT]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_URL]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_STATUS]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_AUTHOR_NAME]);
		params[count++] = DB_TEXT(columns->joined_terms[FIND_FACET_CATEGORIES]);
		params[count++] = DB_TEXT(columns->joined_terms[FIND_FACET_TAGS]);
		break;
	default:
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_TITLE]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_SLUG]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_TAXONOMY_NAME]);
		params[count++] = DB_TEXT(columns->text[FIND_TEXT_PARENT]);
		break;
	}
#undef NUMBER
	params[count++] = DB_TEXTN(columns->document, columns->document_length);
	return count;
}

int find_content_counter_add(struct request_context *context, const struct find_entity_def *def, int64_t delta)
{
	struct db_param params[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(def->counter_name), DB_INT(delta)};
	return db_exec(context->db, &find_counter_statements[FIND_COUNTER_ADD], params, 3, NULL, NULL);
}

static int find_read_int64(void *callback_context, const struct db_row *row)
{
	int64_t *out = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL)
		*out = strtoll(row->values[0], NULL, 10);
	return 0;
}

/* The event carries ids, not documents: a receiver that wants the entity
 * reads it with GET, and a write of a large document does not pay for
 * copying it into the outbox once per webhook. */
int find_content_emit_upsert(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, const char *id, int created)
{
	char event[32];
	snprintf(event, sizeof(event), "%s.upsert", find_entity_singular(def->kind));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "created", json_object_new_boolean(created));
	int result = find_events_emit(context->db, find_content_tenant(context), workspace, event, data);
	json_object_put(data);
	return result;
}

int find_content_emit_delete(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, json_object *ids)
{
	char event[32];
	snprintf(event, sizeof(event), "%s.delete", find_entity_singular(def->kind));
	json_object *data = json_object_new_object();
	if (json_object_array_length(ids) == 1)
		json_object_object_add(data, "id", json_object_get(json_object_array_get_idx(ids, 0)));
	json_object_object_add(data, "ids", json_object_get(ids));
	int result = find_events_emit(context->db, find_content_tenant(context), workspace, event, data);
	json_object_put(data);
	return result;
}

int find_content_read_indexed(void *callback_context, const struct db_row *row)
{
	struct find_indexed_row *indexed = callback_context;
	indexed->exists = 1;
	if (row->column_count >= 7 && row->values[0] != NULL) {
		indexed->doc = (uint32_t)strtoul(row->values[0], NULL, 10);
		find_index_terms_of_texts(row->values[1], (const char *const *)row->values + 2, row->column_count - 2,
			&indexed->terms);
	}
	return 0;
}

/* The row of one upsert, its term rows, for a new id the live-row count
 * checked against the plan's cap, and its event, inside the caller's open
 * transaction; not its postings: *indexed and *doc say what they were and
 * will be (doc 0 for taxonomies). FIND_CAP_REACHED and FIND_STORE_FAILED
 * leave the transaction for the caller to roll back. */
static enum find_store_outcome find_content_write(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, struct find_indexed_row *indexed, uint32_t *doc,
	int *created, int *db_result)
{
	const struct db_statement_def *statements = def->statements;
	int searchable = def->kind != FIND_TAXONOMY;
	struct db_param keys[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(workspace), DB_TEXT(columns->id)};
	struct db_param params[32];
	*created = 0;
	*doc = 0;
	int result = db_query(context->db, &statements[FC_EXISTS], keys, 3, find_content_read_indexed, indexed);
	if (result == DB_OK && searchable && (*doc = indexed->doc) == 0 && (*doc = find_index_new_doc()) == 0)
		result = DB_ERROR;
	if (result == DB_OK && indexed->exists) {
		size_t count = find_bind_columns(columns, params);
		if (searchable)
			params[count++] = DB_UINT(*doc);
		memcpy(params + count, keys, sizeof(keys));
		result = db_exec(context->db, &statements[FC_UPDATE], params, count + 3, NULL, NULL);
	} else if (result == DB_OK) {
		memcpy(params, keys, sizeof(keys));
		size_t count = 3;
		if (searchable)
			params[count++] = DB_UINT(*doc);
		count += find_bind_columns(columns, params + count);
		result = db_exec(context->db, &statements[FC_INSERT], params, count, NULL, NULL);
		int64_t live_rows = 0;
		struct db_param counter[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(def->counter_name)};
		if (result == DB_OK)
			result = find_content_counter_add(context, def, 1);
		if (result == DB_OK)
			result = db_query(context->db, &find_counter_statements[FIND_COUNTER_GET], counter, 2, find_read_int64,
				&live_rows);
		if (result == DB_OK && !find_cap_allows(live_rows, find_content_cap(context, def->kind)))
			return FIND_CAP_REACHED;
		*created = 1;
	}
	if (result == DB_OK && find_entity_has_facet(def->kind, FIND_FACET_CATEGORIES)) {
		result = db_exec(context->db, &statements[FC_TERMS_DELETE], keys, 3, NULL, NULL);
		if (result == DB_OK && strcmp(columns->term_rows, "[]") != 0) {
			struct db_param terms[] = {keys[0], keys[1], keys[2], DB_TEXT(columns->term_rows)};
			result = db_exec(context->db, &statements[FC_TERMS_INSERT], terms, 4, NULL, NULL);
		}
	}
	/* In the same transaction: the event exists exactly when the write does. */
	if (result == DB_OK)
		result = find_content_emit_upsert(context, def, workspace, columns->id, *created);
	/* Queued with the write, so a committed document always gets its vector;
	 * intukad --embed computes it, never this request. */
	if (result == DB_OK && searchable)
		result = embedding_store_enqueue(context->db, find_content_tenant(context), find_entity_singular(def->kind),
			*doc);
	*db_result = result;
	return result == DB_OK ? FIND_STORED : FIND_STORE_FAILED;
}

/* One entity in its own transaction: the row, its terms, its postings in
 * the search index and, for a new id, the live-row counter checked against
 * the plan's cap. A race with another writer of the same new id (duplicate
 * key, deadlock) or a search number drawn twice is retried. */
enum find_store_outcome find_content_store(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, int *created, int *db_result)
{
	int searchable = def->kind != FIND_TAXONOMY;
	struct find_index_terms new_terms = {0};
	if (searchable)
		find_index_terms_of_columns(columns, &new_terms);
	int result = DB_OK;
	for (int attempt = 0; attempt < 3; attempt++) {
		struct find_indexed_row indexed = {0};
		uint32_t doc = 0;
		*created = 0;
		result = db_begin(context->db);
		enum find_store_outcome outcome = FIND_STORE_FAILED;
		if (result == DB_OK)
			outcome = find_content_write(context, def, workspace, columns, &indexed, &doc, created, &result);
		if (outcome == FIND_CAP_REACHED) {
			db_rollback(context->db);
			find_index_terms_release(&indexed.terms);
			find_index_terms_release(&new_terms);
			return FIND_CAP_REACHED;
		}
		/* The postings commit with the row: searchable when the answer goes out. */
		if (result == DB_OK && searchable) {
			struct find_index_change change = {.doc = doc, .old_terms = indexed.doc ? &indexed.terms : NULL,
				.new_terms = &new_terms};
			result = find_index_apply(context->db, find_content_tenant(context), def->kind, &change, 1);
		}
		find_index_terms_release(&indexed.terms);
		if (result == DB_OK)
			result = db_commit(context->db);
		if (result == DB_OK) {
			find_index_terms_release(&new_terms);
			return FIND_STORED;
		}
		db_rollback(context->db);
		if (result != DB_DUPLICATE && result != DB_DEADLOCK)
			break;
	}
	find_index_terms_release(&new_terms);
	*db_result = result;
	return FIND_STORE_FAILED;
}

int find_content_store_group(struct request_context *context, const struct find_entity_def *def,
	const char *workspace, struct find_columns *columns, size_t count, int *created)
{
	int searchable = def->kind != FIND_TAXONOMY;
	struct find_index_terms *new_terms = xcalloc(count, sizeof(*new_terms));
	struct find_indexed_row *indexed = xcalloc(count, sizeof(*indexed));
	struct find_index_change *changes = xcalloc(count, sizeof(*changes));
	int result = db_begin(context->db);
	for (size_t i = 0; i < count && result == DB_OK; i++) {
		uint32_t doc = 0;
		/* The cap: the caller stores the items one by one, and says which one it refused. */
		if (find_content_write(context, def, workspace, &columns[i], &indexed[i], &doc, &created[i], &result) ==
				FIND_CAP_REACHED)
			result = DB_ERROR;
		if (result == DB_OK && searchable) {
			find_index_terms_of_columns(&columns[i], &new_terms[i]);
			changes[i] = (struct find_index_change){.doc = doc,
				.old_terms = indexed[i].doc ? &indexed[i].terms : NULL, .new_terms = &new_terms[i]};
		}
	}
	/* One apply for the group: a term's buckets are read and written once, not once per item. */
	if (result == DB_OK && searchable)
		result = find_index_apply(context->db, find_content_tenant(context), def->kind, changes, count);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK)
		db_rollback(context->db);
	for (size_t i = 0; i < count; i++) {
		find_index_terms_release(&new_terms[i]);
		find_index_terms_release(&indexed[i].terms);
	}
	free(changes);
	free(indexed);
	free(new_terms);
	return result;
}

/* Removes one entity, its terms, its postings and its count; *found is 0 when absent. */
int find_content_remove(struct request_context *context, const struct find_entity_def *def, const char *workspace,
	const char *id, int *found)
{
	struct db_param keys[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(workspace), DB_TEXT(id)};
	uint64_t deleted = 0;
	struct find_indexed_row indexed = {0};
	*found = 0;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &def->statements[FC_EXISTS], keys, 3, find_content_read_indexed, &indexed);
	if (result == DB_OK && indexed.exists)
		result = db_exec(context->db, &def->statements[FC_DELETE], keys, 3, &deleted, NULL);
	if (result == DB_OK && deleted > 0) {
		result = find_content_counter_add(context, def, -(int64_t)deleted);
		if (result == DB_OK && find_entity_has_facet(def->kind, FIND_FACET_CATEGORIES))
			result = db_exec(context->db, &def->statements[FC_TERMS_DELETE], keys, 3, NULL, NULL);
		if (result == DB_OK && indexed.doc != 0) {
			struct find_index_change change = {.doc = indexed.doc, .old_terms = &indexed.terms};
			result = find_index_apply(context->db, find_content_tenant(context), def->kind, &change, 1);
		}
		if (result == DB_OK && indexed.doc != 0)
			result = embedding_store_forget(context->db, find_content_tenant(context), find_entity_singular(def->kind),
				indexed.doc);
		if (result == DB_OK) {
			json_object *ids = json_object_new_array();
			json_object_array_add(ids, json_object_new_string(id));
			result = find_content_emit_delete(context, def, workspace, ids);
			json_object_put(ids);
		}
	}
	find_index_terms_release(&indexed.terms);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		db_rollback(context->db);
		return result;
	}
	*found = deleted > 0;
	return DB_OK;
}

void find_content_cap_message(const struct request_context *context, const struct find_entity_def *def, char *out,
	size_t out_size)
{
	snprintf(out, out_size, "Plan limit reached: your plan allows %u %s; delete some or upgrade",
		(unsigned)find_content_cap(context, def->kind), find_entity_plural(def->kind));
}

/* -------------------------------------------------------------- handlers */

static void find_upsert(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *workspace = find_require_workspace(context);
	json_object *body;
	if (workspace == NULL || (body = find_content_body(context)) == NULL)
		return;
	struct find_columns columns;
	struct find_errors errors = {0};
	char message[160];
	if (find_document_parse(def->kind, body, &columns, &errors) != 0) {
		snprintf(message, sizeof(message), "Invalid %s", find_entity_singular(def->kind));
		find_content_respond_errors(context, message, &errors);
		return;
	}
	int created = 0, result = DB_OK;
	switch (find_content_store(context, def, workspace, &columns, &created, &result)) {
	case FIND_CAP_REACHED:
		find_content_cap_message(context, def, message, sizeof(message));
		response_error(context->response, STATUS_PLAN_LIMIT_REACHED, message);
		break;
	case FIND_STORE_FAILED:
		respond_db_failure(context, result, find_entity_plural(def->kind));
		break;
	case FIND_STORED: {
		json_object *data = json_object_new_object();
		snprintf(message, sizeof(message), "%s indexed successfully (%s)", find_entity_title(def->kind),
			created ? "created" : "updated");
		json_object_object_add(data, "id", json_object_new_string(columns.id));
		json_object_object_add(data, "created", json_object_new_boolean(created));
		json_object_object_add(data, "message", json_object_new_string(message));
		response_ok(context->response, STATUS_OK, data, message);
		break;
	}
	}
	find_columns_release(&columns);
}

/* The path id, or NULL after answering 404 (an id the API could never have stored). */
static const char *find_path_id(struct request_context *context, const struct find_entity_def *def)
{
	const char *id = request_path_param(context->request, "id");
	if (id != NULL && find_id_valid(id))
		return id;
	module_not_found(context, find_entity_title(def->kind));
	return NULL;
}

static int find_read_document(void *callback_context, const struct db_row *row)
{
	json_object **out = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL && *out == NULL)
		*out = json_tokener_parse(row->values[0]);
	return 0;
}

static void find_get(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *id = find_path_id(context, def);
	if (id == NULL)
		return;
	const char *workspace = find_workspace(context);
	json_object *document = NULL;
	int result;
	if (workspace[0] != '\0') {
		struct db_param params[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(workspace), DB_TEXT(id)};
		result = db_query(context->db, &def->statements[FC_GET_WS], params, 3, find_read_document, &document);
	} else {
		struct db_param params[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(id)};
		result = db_query(context->db, &def->statements[FC_GET_ANY], params, 2, find_read_document, &document);
	}
	if (result != DB_OK) {
		if (document)
			json_object_put(document);
		respond_db_failure(context, result, find_entity_plural(def->kind));
		return;
	}
	if (document == NULL) {
		module_not_found(context, find_entity_title(def->kind));
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s retrieved", find_entity_title(def->kind));
	response_ok(context->response, STATUS_OK, document, message);
}

static void find_delete(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	const char *workspace = find_require_workspace(context);
	const char *id;
	if (workspace == NULL || (id = find_path_id(context, def)) == NULL)
		return;
	int found = 0;
	int result = find_content_remove(context, def, workspace, id, &found);
	if (result != DB_OK) {
		respond_db_failure(context, result, find_entity_plural(def->kind));
		return;
	}
	if (!found) {
		module_not_found(context, find_entity_title(def->kind));
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s deleted successfully", find_entity_title(def->kind));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_string(id));
	json_object_object_add(data, "message", json_object_new_string(message));
	response_ok(context->response, STATUS_OK, data, message);
}

int find_content_collect_ids(void *callback_context, const struct db_row *row)
{
	if (row->column_count > 0 && row->values[0] != NULL)
		json_object_array_add(callback_context, json_object_new_string(row->values[0]));
	return 0;
}

/* The listIds narrowing as search filters ({categories, tags, status}),
 * so the id list and a search agree on what a filter means. Returns 1 when
 * some filter is given, 0 when none, -1 after answering 400. The filters
 * borrow their text (status) from *given, which the caller puts once it is
 * done with them: both queries of the page read it. */
static int find_ids_filters(struct request_context *context, const struct find_entity_def *def,
	struct find_filters *filters, json_object **given_out)
{
	static const char *const names[] = {"categories", "tags", "status"};
	json_object *given = json_object_new_object();
	*given_out = given;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *text = query_text(context->request, names[i]);
		if (text == NULL)
			continue;
		if (strcmp(names[i], "status") == 0) {
			json_object_object_add(given, names[i], json_object_new_string(text));
			continue;
		}
		json_object *terms = json_object_new_array();
		for (const char *item = text, *end;; item = end + 1) {
			end = strchr(item, ',');
			json_object_array_add(terms, json_object_new_string_len(item, end ? (int)(end - item) : (int)strlen(item)));
			if (end == NULL)
				break;
		}
		json_object_object_add(given, names[i], terms);
	}
	int any = json_object_object_length(given) > 0;
	struct find_errors errors = {0};
	int parsed = any ? find_search_filters_parse(def->kind, given, filters, &errors) : 0;
	if (parsed != 0) {
		find_content_respond_errors(context, "Invalid query parameters", &errors);
		return -1;
	}
	return any;
}

static void find_ids(struct request_context *context)
{
	const struct find_entity_def *def = find_content_def(context);
	int64_t limit = query_integer(context->request, "limit", FIND_IDS_LIMIT_DEFAULT);
	int64_t offset = query_integer(context->request, "offset", 0);
	struct find_filters filters;
	json_object *given = NULL;
	find_filters_init(&filters);
	int filtered = def->kind == FIND_TAXONOMY ? 0 : find_ids_filters(context, def, &filters, &given);
	if (filtered < 0) {
		find_filters_release(&filters);
		json_object_put(given);
		return;
	}
	const char *workspace = find_workspace(context);
	json_object *ids = json_object_new_array();
	uint64_t total = 0;
	int result;
	if (filtered) {
		struct db_param params[3 + FIND_SQL_PRODUCT_FILTER_PARAMS + 2] = {DB_UINT(find_content_tenant(context)),
			DB_TEXT(workspace), DB_TEXT(workspace)};
		size_t where_count = 3 + find_filters_bind(def->kind, &filters, params + 3);
		params[where_count] = DB_INT(limit);
		params[where_count + 1] = DB_INT(offset);
		result = db_query(context->db, &def->statements[FC_IDS_FILTERED], params, where_count + 2,
			find_content_collect_ids, ids);
		if (result == DB_OK)
			result = db_query(context->db, &def->statements[FC_COUNT_FILTERED], params, where_count,
				module_read_uint64, &total);
	} else if (workspace[0] != '\0') {
		struct db_param params[] = {DB_UINT(find_content_tenant(context)), DB_TEXT(workspace), DB_INT(limit), DB_INT(offset)};
		result = db_query(context->db, &def->statements[FC_IDS_WS], params, 4, find_content_collect_ids, ids);
		if (result == DB_OK)
			result = db_query(context->db, &def->statements[FC_COUNT_WS], params, 2, module_read_uint64, &total);
	} else {
		struct db_param params[] = {DB_UINT(find_content_tenant(context)), DB_INT(limit), DB_INT(offset)};
		result = db_query(context->db, &def->statements[FC_IDS_ANY], params, 3, find_content_collect_ids, ids);
		if (result == DB_OK)
			result = db_query(context->db, &def->statements[FC_COUNT_ANY], params, 1, module_read_uint64, &total);
	}
	find_filters_release(&filters);
	json_object_put(given);
	if (result != DB_OK) {
		json_object_put(ids);
		respond_db_failure(context, result, find_entity_plural(def->kind));
		return;
	}
	size_t returned = json_object_array_length(ids);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "ids", ids);
	json_object_object_add(data, "total_count", json_object_new_int64((int64_t)total));
	json_object_object_add(data, "has_more", json_object_new_boolean((uint64_t)offset + returned < total));
	json_object_object_add(data, "returned_count", json_object_new_int64((int64_t)returned));
	response_ok(context->response, STATUS_OK, data, "Ids retrieved");
}

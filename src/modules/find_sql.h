/* SQL fragments shared by the find content and search statements. Every
 * statement is assembled at compile time from these fixed texts; request
 * values only ever reach the server as bound parameters.
 *
 * Filters use fixed slots "(? IS NULL OR condition)" with the value bound
 * twice (find_filters_bind in find_query.c binds them in this order), so one
 * prepared statement serves every combination. A term filter takes its
 * any-of list as one JSON array parameter read with JSON_TABLE: the list
 * length is capped when parsing (FIND_FILTER_TERMS_MAX) but costs no
 * placeholders, which keeps each statement well under the 64 parameters the
 * database layer binds. The entity table is always aliased "e". */
#ifndef INTUKA_MODULES_FIND_SQL_H
#define INTUKA_MODULES_FIND_SQL_H

/* A JSON array of strings as a one-column table. */
#define FIND_SQL_JSON_STRINGS(column) "JSON_TABLE(?, '$[*]' COLUMNS (" column " VARCHAR(191) PATH '$')) jt"

#define FIND_SQL_TERM_FILTER(entity, id_column, facet)                                                         \
	" AND (? IS NULL OR EXISTS (SELECT 1 FROM find_terms ft WHERE ft.tenant_id = e.tenant_id"                 \
	" AND ft.entity = '" entity "' AND ft.workspace = e.workspace AND ft.entity_id = e." id_column            \
	" AND ft.facet = '" facet "' AND ft.term IN (SELECT jt.term FROM " FIND_SQL_JSON_STRINGS("term") ")))"

#define FIND_SQL_PRODUCT_FILTERS                                                                                \
	" AND (? IS NULL OR e.status = ?) AND (? IS NULL OR e.stock_status = ?) AND (? IS NULL OR e.sku = ?)"    \
	" AND (? IS NULL OR e.on_sale = ?) AND (? IS NULL OR e.price >= ?) AND (? IS NULL OR e.price <= ?)"       \
	FIND_SQL_TERM_FILTER("product", "product_id", "categories")                                               \
	FIND_SQL_TERM_FILTER("product", "product_id", "tags") FIND_SQL_TERM_FILTER("product", "product_id", "brands")

#define FIND_SQL_POST_FILTERS                                                                                   \
	" AND (? IS NULL OR e.status = ?) AND (? IS NULL OR e.author_name = ?)"                                   \
	FIND_SQL_TERM_FILTER("post", "post_id", "categories") FIND_SQL_TERM_FILTER("post", "post_id", "tags")

#define FIND_SQL_TAXONOMY_FILTERS                                                                               \
	" AND (? IS NULL OR e.taxonomy_name = ?) AND (? IS NULL OR e.parent = ?) AND (? IS NULL OR e.slug = ?)"

/* What a product or post is indexed from (find_index_store.h): its search
 * document number first, then the name or title, then the other texts. */
#define FIND_SQL_PRODUCT_INDEXED "search_doc, name, content, excerpt, sku, categories_text, tags_text, brands_text"
#define FIND_SQL_PRODUCT_INDEXED_E                                                                              \
	"e.search_doc, e.name, e.content, e.excerpt, e.sku, e.categories_text, e.tags_text, e.brands_text"
#define FIND_SQL_POST_INDEXED "search_doc, title, content, excerpt, author_name, categories_text, tags_text"
#define FIND_SQL_POST_INDEXED_E "e.search_doc, e.title, e.content, e.excerpt, e.author_name, e.categories_text, e.tags_text"

/* Parameters each filter fragment takes. */
#define FIND_SQL_PRODUCT_FILTER_PARAMS 18
#define FIND_SQL_POST_FILTER_PARAMS 8
#define FIND_SQL_TAXONOMY_FILTER_PARAMS 6

#endif

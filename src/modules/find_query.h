/* Find queries: the filters of a search or a delete-by-query, the search
 * request itself (text, limit, facets), the fixed price buckets and the
 * search log payload. Pure parsing and binding: no database round trips. */
#ifndef INTUKA_MODULES_FIND_QUERY_H
#define INTUKA_MODULES_FIND_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "db/db.h"
#include "modules/find_documents.h"

#define FIND_FILTER_TERMS_MAX 20
#define FIND_SEARCH_TEXT_MAX_BYTES 500
#define FIND_SEARCH_LIMIT_DEFAULT 10
#define FIND_SEARCH_LIMIT_MAX 100
#define FIND_FACET_SIZE_DEFAULT 10
#define FIND_FACET_SIZE_MAX 50
#define FIND_SEARCH_CONTEXT_MAX 15 /* bytes of the longest SearchContext, with room */

/* Scalar filters bound in fixed slots; NULL when not filtered. */
enum find_filter_text { FIND_FILTER_STATUS, FIND_FILTER_STOCK_STATUS, FIND_FILTER_SKU, FIND_FILTER_AUTHOR_NAME,
	FIND_FILTER_TAXONOMY_NAME, FIND_FILTER_PARENT, FIND_FILTER_SLUG, FIND_FILTER_TEXT__MAX };

/* What narrows a match set. Strings point into the request body; term
 * lists are JSON arrays (owned) bound to JSON_TABLE. */
struct find_filters {
	const char *text[FIND_FILTER_TEXT__MAX];
	int on_sale; /* -1: any */
	int has_min_price, has_max_price;
	char min_price[32], max_price[32];
	double min_price_value, max_price_value;
	char *terms_json[FIND_FACET__MAX];
};

void find_filters_init(struct find_filters *filters);
void find_filters_release(struct find_filters *filters);
int find_filters_empty(const struct find_filters *filters);

/* Binds the entity's filter slots in the order find_sql.h's fragment for
 * that entity expects them; returns the number of params written. */
size_t find_filters_bind(enum find_entity_kind kind, const struct find_filters *filters, struct db_param *params);

/* Search filters: an object {categories, tags, brands, price:{min,max},
 * min_price, max_price, stock_status, on_sale, status, sku | posts:
 * categories, tags, status, author_name}. Unknown members are errors. */
int find_search_filters_parse(enum find_entity_kind kind, json_object *object, struct find_filters *filters,
	struct find_errors *errors);
/* Delete-by-query filters: [{field, value}, …], at least one, fields from
 * the entity's whitelist, each at most once. */
int find_delete_filters_parse(enum find_entity_kind kind, json_object *array, struct find_filters *filters,
	struct find_errors *errors);

/* A price range: {min, max} (either may be absent or null); numbers >= 0,
 * min <= max. Writes into filters. field names the member for errors. */
int find_price_range_parse(json_object *value, const char *field, struct find_filters *filters,
	struct find_errors *errors);

/* ----------------------------------------------------------------- search */

/* Facets with a fixed name: term lists (find_terms) and the price buckets,
 * as "price" ({key, value, count}) and as "price_ranges" ({key, from, to,
 * count}): one count serves both. */
enum find_facet_field { FIND_FACET_FIELD_CATEGORIES, FIND_FACET_FIELD_TAGS, FIND_FACET_FIELD_BRANDS,
	FIND_FACET_FIELD_PRICE, FIND_FACET_FIELD_PRICE_RANGES, FIND_FACET_FIELD__MAX };

/* Facets counted from one value of each matching row: stock_status and
 * on_sale (their columns), featured and type (the stored document), and
 * attributes.<name> and metadata.<name> (a string, number, boolean or array
 * of them in the stored document). All of a request's are counted in one
 * statement that reads them from a bound JSON spec [[name, path], …]. */
#define FIND_VALUE_FACETS_MAX 10
#define FIND_FACET_KEY_MAX_CHARS 64 /* the <name> of attributes.<name> and metadata.<name> */
#define FIND_FACET_FIELDS_MAX 16    /* members of facetFields */
struct find_value_facet {
	char name[16 + FIND_FACET_KEY_MAX_CHARS]; /* as requested: "on_sale", "attributes.color" */
};

struct find_search_request {
	enum find_entity_kind kind;
	const char *text;   /* "" for everything */
	size_t text_length; /* bytes, at most FIND_SEARCH_TEXT_MAX_BYTES */
	int limit;
	int include_facets;
	unsigned facet_mask; /* 1u << enum find_facet_field */
	struct find_value_facet value_facets[FIND_VALUE_FACETS_MAX];
	size_t value_facet_count;
	/* [[name, path], …] bound to the value facet statement ("" when none):
	 * a path is "$.featured", "$.attributes.\"color\"" or "column:on_sale". */
	char value_facet_spec[FIND_VALUE_FACETS_MAX * (2 * (16 + FIND_FACET_KEY_MAX_CHARS) + 16) + 4];
	int facet_size;
	json_object *filters_given; /* the request's filters object (borrowed), or NULL */
	struct find_filters filters;
	/* searchContext: where the search came from ("widget", "native", "chat",
	 * "api", "internal", "unknown"), kept in the search log; NULL when not sent. */
	const char *search_context;
	/* useAgent: Intuka has no search agent, so the answer says agent_used
	 * false whatever was asked; -1 when not sent. */
	int use_agent;
};

int find_search_parse(enum find_entity_kind kind, json_object *body, struct find_search_request *request,
	struct find_errors *errors);
void find_search_request_release(struct find_search_request *request);
const char *find_facet_field_name(enum find_facet_field field);

/* ---------------------------------------------------------- price buckets */

#define FIND_PRICE_BUCKETS 6
/* Lower bounds of the buckets 0-25, 25-50, 50-100, 100-250, 250-500, 500+. */
extern const double find_price_bucket_bounds[FIND_PRICE_BUCKETS];
/* A bucket as a facet entry: {key, value, count}, and with ranged, the
 * bounds of a RangeFacetBucket: from (always) and to (all but the last). */
json_object *find_price_bucket_entry(int bucket, int64_t count, int ranged);
/* The bucket a price falls in: lower bound inclusive, upper exclusive. */
int find_price_bucket(double price);
/* "0-25", …, "500+". */
const char *find_price_bucket_label(int bucket);

/* ------------------------------------------------------------- search log */

/* What the search log needs after the response is gone; fits in
 * request_context.after_response_data. */
struct find_search_log_entry {
	uint64_t tenant_id;
	uint64_t api_key_id; /* 0: none */
	uint64_t result_count;
	char entity[8];     /* "product" | "post" */
	char source[12];    /* "secret" | "publishable" | "jwt" */
	char search_context[FIND_SEARCH_CONTEXT_MAX + 1]; /* "" when the client sent none */
	char workspace[64];
	char query[FIND_SEARCH_TEXT_MAX_BYTES + 1];
};

/* Fills entry; the query is cut to 500 bytes on a character boundary.
 * search_context may be NULL. */
void find_search_log_fill(struct find_search_log_entry *entry, uint64_t tenant_id, uint64_t api_key_id,
	uint64_t result_count, enum find_entity_kind kind, const char *source, const char *workspace, const char *query,
	const char *search_context);

/* The SDK's SearchContext values; 1 when text is one of them. */
int find_search_context_valid(const char *text);

#endif

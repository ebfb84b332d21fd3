/* Find queries: search request parsing, filters (search and
 * delete-by-query), price ranges, fixed price buckets, the search log
 * payload, and that every filtered statement has as many placeholders as
 * the binder fills. */
#include "unit_suites.h"
#include "handler/context.h"
#include "modules/find_content.h"
#include "modules/find_query.h"
#include "flow/registry.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int search(enum find_entity_kind kind, const char *text, struct find_search_request *request,
	struct find_errors *errors, json_object **body)
{
	*body = json_tokener_parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*body);
	memset(errors, 0, sizeof(*errors));
	return find_search_parse(kind, *body, request, errors);
}

static int has_error(const struct find_errors *errors, const char *field)
{
	for (size_t i = 0; i < errors->count; i++)
		if (strcmp(errors->items[i].field, field) == 0)
			return 1;
	return 0;
}

static void search_defaults_are_limit_10_and_every_facet(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"text\":\"  \"}", &request, &errors, &body), 0);
	CU_ASSERT_STRING_EQUAL(request.text, ""); /* blank text: everything */
	CU_ASSERT_EQUAL(request.limit, 10);
	CU_ASSERT_EQUAL(request.facet_size, 10);
	CU_ASSERT_FALSE(request.include_facets);
	/* categories, tags, brands, price and price_ranges */
	CU_ASSERT_EQUAL(request.facet_mask, 0x1Fu);
	CU_ASSERT_EQUAL(request.value_facet_count, 0);
	CU_ASSERT_STRING_EQUAL(request.value_facet_spec, "");
	CU_ASSERT_TRUE(find_filters_empty(&request.filters));
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"query\":\"hello\",\"limit\":100,\"includeFacets\":true}", &request, &errors, &body), 0);
	CU_ASSERT_STRING_EQUAL(request.text, "hello");
	CU_ASSERT_EQUAL(request.limit, 100);
	CU_ASSERT_EQUAL(request.facet_mask, (1u << FIND_FACET_FIELD_CATEGORIES) | (1u << FIND_FACET_FIELD_TAGS));
	find_search_request_release(&request);
	json_object_put(body);
}

static void search_bounds_and_unknown_members_are_refused(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL(search(FIND_PRODUCT,
				"{\"text\":5,\"limit\":0,\"facetSize\":51,\"includeFacets\":\"yes\",\"sort\":\"x\",\"facetFields\":[\"colour\"]}",
				&request, &errors, &body), -1);
	CU_ASSERT_TRUE(has_error(&errors, "text"));
	CU_ASSERT_TRUE(has_error(&errors, "limit"));
	CU_ASSERT_TRUE(has_error(&errors, "facetSize"));
	CU_ASSERT_TRUE(has_error(&errors, "includeFacets"));
	CU_ASSERT_TRUE(has_error(&errors, "sort"));
	CU_ASSERT_TRUE(has_error(&errors, "facetFields"));
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"limit\":101}", &request, &errors, &body), -1);
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"limit\":\"5\"}", &request, &errors, &body), -1);
	find_search_request_release(&request);
	json_object_put(body);
	/* Posts have no price facet. */
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"facetFields\":[\"price\"]}", &request, &errors, &body), -1);
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"facetFields\":[\"brands\",\"price\"]}", &request, &errors, &body), 0);
	CU_ASSERT_EQUAL(request.facet_mask, (1u << FIND_FACET_FIELD_BRANDS) | (1u << FIND_FACET_FIELD_PRICE));
	find_search_request_release(&request);
	json_object_put(body);
}

/* Every facet name the SDK documents for products is taken: the value
 * facets go into one spec of [name, path] pairs, in the order asked. */
static void value_facets_become_one_spec(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL_FATAL(search(FIND_PRODUCT,
				      "{\"facetFields\":[\"categories\",\"brands\",\"stock_status\",\"on_sale\",\"featured\",\"type\","
				      "\"price_ranges\",\"attributes.color\",\"metadata.retailer_id\",\"on_sale\"]}",
				      &request, &errors, &body), 0);
	CU_ASSERT_EQUAL(request.facet_mask, (1u << FIND_FACET_FIELD_CATEGORIES) | (1u << FIND_FACET_FIELD_BRANDS) |
		(1u << FIND_FACET_FIELD_PRICE_RANGES));
	CU_ASSERT_EQUAL(request.value_facet_count, 6); /* on_sale once */
	CU_ASSERT_STRING_EQUAL(request.value_facets[4].name, "attributes.color");
	CU_ASSERT_STRING_EQUAL(request.value_facet_spec,
		"[[\"stock_status\",\"column:stock_status\"],[\"on_sale\",\"column:on_sale\"],[\"featured\",\"$.featured\"],"
		"[\"type\",\"$.type\"],[\"attributes.color\",\"$.attributes.\\\"color\\\"\"],"
		"[\"metadata.retailer_id\",\"$.metadata.\\\"retailer_id\\\"\"]]");
	/* The spec is JSON the database can read. */
	json_object *spec = json_tokener_parse(request.value_facet_spec);
	CU_ASSERT_PTR_NOT_NULL(spec);
	CU_ASSERT_EQUAL(json_object_array_length(spec), 6);
	json_object_put(spec);
	find_search_request_release(&request);
	json_object_put(body);

	/* Posts: term lists and the maps of their documents only. */
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"facetFields\":[\"tags\",\"metadata.series\"]}", &request, &errors, &body), 0);
	CU_ASSERT_EQUAL(request.value_facet_count, 1);
	find_search_request_release(&request);
	json_object_put(body);
	static const char *const refused[] = {
		"{\"facetFields\":[\"stock_status\"]}",               /* posts only */
		"{\"facetFields\":[\"price_ranges\"]}",               /* posts only */
		"{\"facetFields\":[\"attributes.\"]}",                /* no name */
		"{\"facetFields\":[\"attributes.co\\\"lor\"]}",       /* a quote would leave the path */
		"{\"facetFields\":[\"metadata.a.b\"]}",               /* no nesting */
		"{\"facetFields\":[\"colour\"]}",
		"{\"facetFields\":[5]}",
		"{\"facetFields\":\"categories\"}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CU_ASSERT_EQUAL(search(i < 2 ? FIND_POST : FIND_PRODUCT, refused[i], &request, &errors, &body), -1);
		CU_ASSERT_TRUE(has_error(&errors, "facetFields"));
		find_search_request_release(&request);
		json_object_put(body);
	}
	/* At most FIND_VALUE_FACETS_MAX value facets. */
	char text[1024] = "{\"facetFields\":[";
	for (int i = 0; i <= FIND_VALUE_FACETS_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\"metadata.m%d\"", i ? "," : "", i);
	strcat(text, "]}");
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, text, &request, &errors, &body), -1);
	CU_ASSERT_TRUE(has_error(&errors, "facetFields"));
	find_search_request_release(&request);
	json_object_put(body);
}

/* searchContext and useAgent of the SDK's search requests (products and posts). */
static void search_context_and_use_agent_are_taken(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	static const char *const contexts[] = {"widget", "native", "chat", "api", "internal", "unknown"};
	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		char text[96];
		snprintf(text, sizeof(text), "{\"text\":\"lamp\",\"searchContext\":\"%s\",\"useAgent\":true}", contexts[i]);
		CU_ASSERT_EQUAL(search(i % 2 ? FIND_POST : FIND_PRODUCT, text, &request, &errors, &body), 0);
		CU_ASSERT_STRING_EQUAL(request.search_context, contexts[i]);
		CU_ASSERT_EQUAL(request.use_agent, 1);
		find_search_request_release(&request);
		json_object_put(body);
	}
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"text\":\"lamp\"}", &request, &errors, &body), 0);
	CU_ASSERT_PTR_NULL(request.search_context);
	CU_ASSERT_EQUAL(request.use_agent, -1);
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"searchContext\":\"browser\",\"useAgent\":\"yes\"}", &request, &errors, &body), -1);
	CU_ASSERT_TRUE(has_error(&errors, "searchContext"));
	CU_ASSERT_TRUE(has_error(&errors, "useAgent"));
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_FALSE(find_search_context_valid(NULL));
	CU_ASSERT_FALSE(find_search_context_valid("Widget"));
}

static void price_bucket_entries_carry_key_value_and_bounds(void)
{
	json_object *entry = find_price_bucket_entry(2, 7, 1);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN),
		"{\"key\":\"50-100\",\"value\":\"50-100\",\"from\":50,\"to\":100,\"count\":7}");
	json_object_put(entry);
	entry = find_price_bucket_entry(5, 1, 1); /* the last bucket has no upper bound */
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN),
		"{\"key\":\"500+\",\"value\":\"500+\",\"from\":500,\"count\":1}");
	json_object_put(entry);
	entry = find_price_bucket_entry(0, 3, 0);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN),
		"{\"key\":\"0-25\",\"value\":\"0-25\",\"count\":3}");
	json_object_put(entry);
	CU_ASSERT_PTR_NULL(find_price_bucket_entry(6, 1, 1));
}

static void product_filters_fill_their_slots(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL_FATAL(search(FIND_PRODUCT,
				      "{\"filters\":{\"categories\":\"Audio\",\"brands\":[\"Sony\",\"Bose\"],\"price\":{\"min\":10,\"max\":99.5},"
				      "\"on_sale\":false,\"stock_status\":\"instock\"}}",
				      &request, &errors, &body), 0);
	const struct find_filters *filters = &request.filters;
	CU_ASSERT_STRING_EQUAL(filters->terms_json[FIND_FACET_CATEGORIES], "[\"Audio\"]");
	CU_ASSERT_STRING_EQUAL(filters->terms_json[FIND_FACET_BRANDS], "[\"Sony\",\"Bose\"]");
	CU_ASSERT_PTR_NULL(filters->terms_json[FIND_FACET_TAGS]);
	CU_ASSERT_TRUE(filters->has_min_price && filters->has_max_price);
	CU_ASSERT_STRING_EQUAL(filters->min_price, "10.0000");
	CU_ASSERT_STRING_EQUAL(filters->max_price, "99.5000");
	CU_ASSERT_EQUAL(filters->on_sale, 0);
	CU_ASSERT_STRING_EQUAL(filters->text[FIND_FILTER_STOCK_STATUS], "instock");
	CU_ASSERT_FALSE(find_filters_empty(filters));
	struct db_param params[32];
	size_t count = find_filters_bind(FIND_PRODUCT, filters, params);
	CU_ASSERT_EQUAL(count, 18);
	CU_ASSERT_EQUAL(params[0].type, DB_PARAM_NULL);  /* status */
	CU_ASSERT_EQUAL(params[2].type, DB_PARAM_TEXT);  /* stock_status */
	CU_ASSERT_EQUAL(params[6].type, DB_PARAM_INT64); /* on_sale */
	CU_ASSERT_EQUAL(params[6].int_value, 0);
	CU_ASSERT_STRING_EQUAL(params[8].text, "10.0000");
	CU_ASSERT_STRING_EQUAL(params[10].text, "99.5000");
	CU_ASSERT_STRING_EQUAL(params[12].text, "[\"Audio\"]");
	CU_ASSERT_EQUAL(params[14].type, DB_PARAM_NULL); /* tags */
	CU_ASSERT_STRING_EQUAL(params[16].text, "[\"Sony\",\"Bose\"]");
	find_search_request_release(&request);
	json_object_put(body);
}

static void price_range_takes_both_forms_and_checks_order(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"filters\":{\"min_price\":25,\"max_price\":50}}", &request, &errors, &body), 0);
	CU_ASSERT_STRING_EQUAL(request.filters.min_price, "25.0000");
	CU_ASSERT_STRING_EQUAL(request.filters.max_price, "50.0000");
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"filters\":{\"price\":{\"max\":20}}}", &request, &errors, &body), 0);
	CU_ASSERT_FALSE(request.filters.has_min_price);
	CU_ASSERT_TRUE(request.filters.has_max_price);
	find_search_request_release(&request);
	json_object_put(body);
	const char *bad[] = {"{\"filters\":{\"price\":{\"min\":50,\"max\":20}}}", "{\"filters\":{\"price\":{\"min\":-1}}}",
		"{\"filters\":{\"price\":{\"from\":1}}}", "{\"filters\":{\"price\":10}}", "{\"filters\":{\"min_price\":\"10\"}}",
		"{\"filters\":{\"min_price\":60,\"max_price\":50}}", "{\"filters\":{\"max_price\":null}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int result = search(FIND_PRODUCT, bad[i], &request, &errors, &body);
		if (result != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(result, -1);
		find_search_request_release(&request);
		json_object_put(body);
	}
}

static void unknown_and_malformed_filters_are_refused(void)
{
	struct find_search_request request;
	struct find_errors errors;
	json_object *body;
	const char *bad_product[] = {"{\"filters\":{\"colour\":\"red\"}}", "{\"filters\":{\"categories\":[]}}",
		"{\"filters\":{\"categories\":[\"\"]}}", "{\"filters\":{\"tags\":[1]}}", "{\"filters\":{\"on_sale\":\"true\"}}",
		"{\"filters\":{\"author_name\":\"Ann\"}}", "{\"filters\":\"x\"}",
		"{\"filters\":{\"brands\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\","
		"\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\"]}}"};
	for (size_t i = 0; i < sizeof(bad_product) / sizeof(bad_product[0]); i++) {
		int result = search(FIND_PRODUCT, bad_product[i], &request, &errors, &body);
		if (result != -1)
			fprintf(stderr, "accepted: %s\n", bad_product[i]);
		CU_ASSERT_EQUAL(result, -1);
		CU_ASSERT_TRUE(errors.count >= 1);
		find_search_request_release(&request);
		json_object_put(body);
	}
	/* Posts filter by author but have no brands or prices. */
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"filters\":{\"author_name\":\"Ann\",\"tags\":\"news\"}}", &request, &errors, &body), 0);
	struct db_param params[16];
	CU_ASSERT_EQUAL(find_filters_bind(FIND_POST, &request.filters, params), 8);
	CU_ASSERT_STRING_EQUAL(params[2].text, "Ann");
	CU_ASSERT_STRING_EQUAL(params[6].text, "[\"news\"]");
	find_search_request_release(&request);
	json_object_put(body);
	CU_ASSERT_EQUAL(search(FIND_POST, "{\"filters\":{\"brands\":\"x\"}}", &request, &errors, &body), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errors.items[0].message, "categories, tags, status, author_name"));
	find_search_request_release(&request);
	json_object_put(body);
	/* The {field, value} list form works for search too. */
	CU_ASSERT_EQUAL(search(FIND_PRODUCT, "{\"filters\":[{\"field\":\"categories\",\"value\":\"Audio\"}]}", &request,
				&errors, &body), 0);
	CU_ASSERT_STRING_EQUAL(request.filters.terms_json[FIND_FACET_CATEGORIES], "[\"Audio\"]");
	find_search_request_release(&request);
	json_object_put(body);
}

static int delete_filters(enum find_entity_kind kind, const char *text, struct find_filters *filters,
	struct find_errors *errors, json_object **body)
{
	*body = json_tokener_parse(text);
	memset(errors, 0, sizeof(*errors));
	find_filters_init(filters);
	return find_delete_filters_parse(kind, *body, filters, errors);
}

static void delete_by_query_needs_known_fields_and_at_least_one(void)
{
	struct find_filters filters;
	struct find_errors errors;
	json_object *body;
	CU_ASSERT_EQUAL(delete_filters(FIND_PRODUCT, "[{\"field\":\"status\",\"value\":\"draft\"},{\"field\":\"on_sale\",\"value\":true}]",
				&filters, &errors, &body), 0);
	CU_ASSERT_STRING_EQUAL(filters.text[FIND_FILTER_STATUS], "draft");
	CU_ASSERT_EQUAL(filters.on_sale, 1);
	find_filters_release(&filters);
	json_object_put(body);
	const char *bad[] = {"[]", "{}", "[{\"field\":\"name\",\"value\":\"x\"}]", "[{\"field\":\"price\",\"value\":{\"min\":1}}]",
		"[{\"field\":\"status\"}]", "[{\"field\":\"status\",\"value\":\"a\"},{\"field\":\"status\",\"value\":\"b\"}]",
		"[\"status\"]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int result = delete_filters(FIND_PRODUCT, bad[i], &filters, &errors, &body);
		if (result != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(result, -1);
		find_filters_release(&filters);
		json_object_put(body);
	}
	CU_ASSERT_EQUAL(find_delete_filters_parse(FIND_PRODUCT, NULL, &filters, &errors), -1);
	/* Taxonomies: taxonomyName, parent (a number too) and slug only. */
	CU_ASSERT_EQUAL(delete_filters(FIND_TAXONOMY, "[{\"field\":\"taxonomyName\",\"value\":\"product_cat\"},{\"field\":\"parent\",\"value\":7}]",
				&filters, &errors, &body), 0);
	struct db_param params[8];
	CU_ASSERT_EQUAL(find_filters_bind(FIND_TAXONOMY, &filters, params), 6);
	CU_ASSERT_STRING_EQUAL(params[0].text, "product_cat");
	CU_ASSERT_STRING_EQUAL(params[2].text, "7");
	CU_ASSERT_EQUAL(params[4].type, DB_PARAM_NULL);
	find_filters_release(&filters);
	json_object_put(body);
	CU_ASSERT_EQUAL(delete_filters(FIND_TAXONOMY, "[{\"field\":\"status\",\"value\":\"x\"}]", &filters, &errors, &body), -1);
	find_filters_release(&filters);
	json_object_put(body);
}

static void price_buckets_are_lower_inclusive(void)
{
	const struct {
		double price;
		int bucket;
	} cases[] = {{0, 0}, {24.99, 0}, {25, 1}, {49.99, 1}, {50, 2}, {99.99, 2}, {100, 3}, {249.5, 3}, {250, 4},
		{499.99, 4}, {500, 5}, {1e9, 5}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(find_price_bucket(cases[i].price), cases[i].bucket);
	CU_ASSERT_STRING_EQUAL(find_price_bucket_label(0), "0-25");
	CU_ASSERT_STRING_EQUAL(find_price_bucket_label(3), "100-250");
	CU_ASSERT_STRING_EQUAL(find_price_bucket_label(5), "500+");
	CU_ASSERT_PTR_NULL(find_price_bucket_label(6));
	CU_ASSERT_PTR_NULL(find_price_bucket_label(-1));
	/* Each label starts at its bound. */
	for (int i = 0; i < FIND_PRICE_BUCKETS; i++) {
		char start[16];
		snprintf(start, sizeof(start), "%.0f", find_price_bucket_bounds[i]);
		CU_ASSERT_EQUAL(strncmp(find_price_bucket_label(i), start, strlen(start)), 0);
	}
}

static void search_log_entry_cuts_the_query_on_a_character(void)
{
	char query[700];
	memset(query, 'q', 499);
	strcpy(query + 499, "\xc3\xa9 and more text after the limit");
	struct find_search_log_entry entry;
	find_search_log_fill(&entry, 7, 0, 12, FIND_POST, "publishable", "shop-a", query, "widget");
	CU_ASSERT_EQUAL(strlen(entry.query), 499); /* é would straddle byte 500 */
	CU_ASSERT_STRING_EQUAL(entry.entity, "post");
	CU_ASSERT_STRING_EQUAL(entry.source, "publishable");
	CU_ASSERT_STRING_EQUAL(entry.workspace, "shop-a");
	CU_ASSERT_EQUAL(entry.tenant_id, 7);
	CU_ASSERT_EQUAL(entry.api_key_id, 0);
	CU_ASSERT_EQUAL(entry.result_count, 12);
	CU_ASSERT_STRING_EQUAL(entry.search_context, "widget");
	find_search_log_fill(&entry, 7, 42, 0, FIND_PRODUCT, "secret", "", "espresso", NULL);
	CU_ASSERT_STRING_EQUAL(entry.query, "espresso");
	CU_ASSERT_STRING_EQUAL(entry.search_context, ""); /* none sent */
	CU_ASSERT_STRING_EQUAL(entry.entity, "product");
	CU_ASSERT_EQUAL(entry.api_key_id, 42);
	CU_ASSERT_TRUE(sizeof(entry) <= sizeof(((struct request_context *)0)->after_response_data));
}

static size_t placeholders(const char *sql)
{
	size_t count = 0;
	for (; *sql != '\0'; sql++)
		count += *sql == '?';
	return count;
}

static const struct db_statement_def *statement_named(const char *name)
{
	size_t table_count = 0;
	const struct statement_table *const *tables = registry_statement_tables(&table_count);
	for (size_t t = 0; t < table_count; t++)
		for (size_t s = 0; s < tables[t]->statement_count; s++)
			if (strcmp(tables[t]->statements[s].name, name) == 0)
				return &tables[t]->statements[s];
	return NULL;
}

/* The SQL fragments and find_filters_bind must agree on the slots. */
static void filtered_statements_have_the_placeholders_the_binder_fills(void)
{
	struct find_filters filters;
	struct db_param params[32];
	find_filters_init(&filters);
	const struct {
		const char *name;
		enum find_entity_kind kind;
		size_t others; /* tenant, workspace, text, limit, … */
	} cases[] = {
		{"find.products.match_ids", FIND_PRODUCT, 2},
		{"find.posts.match_ids", FIND_POST, 2},
		{"find.taxonomies.match_ids", FIND_TAXONOMY, 2},
		/* + 1 everywhere below: the browser-visibility flag */
		/* tenant, workspace, the candidates' numbers */
		{"find.products.search_candidates", FIND_PRODUCT, 2 + 1 + 1},
		{"find.products.search_candidates_any", FIND_PRODUCT, 1 + 1 + 1},
		/* the page's numbers and tenant, then tenant, text, workspace */
		{"find.products.search_documents_sku", FIND_PRODUCT, 2 + 3 + 1},
		{"find.products.search_any_all", FIND_PRODUCT, 1 + 1 + 1},
		{"find.products.facets", FIND_PRODUCT, 2 + 1 + 1 + 1},
		{"find.products.price_facet_any", FIND_PRODUCT, 5 + 1 + 1 + 1},
		/* the value facet spec first */
		{"find.products.value_facets", FIND_PRODUCT, 1 + 2 + 1 + 1 + 1},
		{"find.posts.value_facets_any_all", FIND_POST, 1 + 1 + 1 + 1},
		{"find.posts.search_candidates", FIND_POST, 2 + 1 + 1},
		{"find.posts.facets_any_all", FIND_POST, 1 + 1 + 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct db_statement_def *statement = statement_named(cases[i].name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(statement);
		size_t expected = cases[i].others + find_filters_bind(cases[i].kind, &filters, params);
		if (placeholders(statement->sql) != expected)
			fprintf(stderr, "%s: %zu placeholders, %zu bound\n", cases[i].name, placeholders(statement->sql), expected);
		CU_ASSERT_EQUAL(placeholders(statement->sql), expected);
		CU_ASSERT_TRUE(expected <= 64);
	}
	/* The batch size spliced into the match_ids SQL is the one the loop uses. */
	CU_ASSERT_EQUAL(atoi(FIND_DELETE_BATCH_TEXT), FIND_DELETE_BATCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(statement_named("find.posts.match_ids")->sql, "LIMIT " FIND_DELETE_BATCH_TEXT));
}

static const struct unit_test find_query_tests[] = {
	{"search_defaults_are_limit_10_and_every_facet", search_defaults_are_limit_10_and_every_facet},
	{"search_bounds_and_unknown_members_are_refused", search_bounds_and_unknown_members_are_refused},
	{"value_facets_become_one_spec", value_facets_become_one_spec},
	{"search_context_and_use_agent_are_taken", search_context_and_use_agent_are_taken},
	{"price_bucket_entries_carry_key_value_and_bounds", price_bucket_entries_carry_key_value_and_bounds},
	{"product_filters_fill_their_slots", product_filters_fill_their_slots},
	{"price_range_takes_both_forms_and_checks_order", price_range_takes_both_forms_and_checks_order},
	{"unknown_and_malformed_filters_are_refused", unknown_and_malformed_filters_are_refused},
	{"delete_by_query_needs_known_fields_and_at_least_one", delete_by_query_needs_known_fields_and_at_least_one},
	{"price_buckets_are_lower_inclusive", price_buckets_are_lower_inclusive},
	{"search_log_entry_cuts_the_query_on_a_character", search_log_entry_cuts_the_query_on_a_character},
	{"filtered_statements_have_the_placeholders_the_binder_fills",
		filtered_statements_have_the_placeholders_the_binder_fills},
};

int register_find_query_suite(void)
{
	return UNIT_SUITE("find_query", find_query_tests);
}

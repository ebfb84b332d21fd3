/* Find documents: what a product, post or taxonomy must look like, the
 * column values taken from it, and the indexing cap decision. */
#include "unit_suites.h"
#include "modules/find_documents.h"
#include "http/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text as JSON and runs the document rules; the object stays in *object. */
static int parse_text(enum find_entity_kind kind, const char *text, json_object **object, struct find_columns *columns,
	struct find_errors *errors)
{
	*object = json_tokener_parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*object);
	memset(errors, 0, sizeof(*errors));
	return find_document_parse(kind, *object, columns, errors);
}

static int has_error(const struct find_errors *errors, const char *field)
{
	for (size_t i = 0; i < errors->count; i++)
		if (strcmp(errors->items[i].field, field) == 0)
			return 1;
	return 0;
}

static void product_columns_are_extracted_and_unknown_fields_kept(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	int result = parse_text(FIND_PRODUCT,
		"{\"id\":\"sku-1\",\"name\":\"Wireless Headphones\",\"content\":\"Noise cancelling\",\"sku\":\"WH-1000\","
		"\"price\":199.99,\"regular_price\":\"249\",\"sale_price\":\"\",\"on_sale\":true,\"stock_status\":\"instock\","
		"\"rating\":4.5,\"categories\":[\"Audio\",\"Electronics\",\"Audio\"],\"tags\":\"wireless\",\"brands\":[\"Sony\"],"
		"\"image\":\"https://x/img.png\",\"attributes\":{\"color\":\"black\"},\"custom\":[1,2]}",
		&object, &columns, &errors);
	CU_ASSERT_EQUAL_FATAL(result, 0);
	CU_ASSERT_STRING_EQUAL(columns.id, "sku-1");
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_TITLE], "Wireless Headphones");
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_SKU], "WH-1000");
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_STOCK_STATUS], "instock");
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_STATUS], "");
	CU_ASSERT_TRUE(columns.has_number[FIND_NUMBER_PRICE]);
	CU_ASSERT_STRING_EQUAL(columns.number_text[FIND_NUMBER_PRICE], "199.9900");
	CU_ASSERT_TRUE(columns.has_number[FIND_NUMBER_REGULAR_PRICE]);
	CU_ASSERT_STRING_EQUAL(columns.number_text[FIND_NUMBER_REGULAR_PRICE], "249.0000");
	CU_ASSERT_FALSE(columns.has_number[FIND_NUMBER_SALE_PRICE]); /* "" is no price */
	CU_ASSERT_STRING_EQUAL(columns.number_text[FIND_NUMBER_RATING], "4.5000");
	CU_ASSERT_EQUAL(columns.on_sale, 1);
	/* The duplicate "Audio" is dropped; the single tag string became a list. */
	CU_ASSERT_EQUAL(columns.terms[FIND_FACET_CATEGORIES].count, 2);
	CU_ASSERT_EQUAL(columns.terms[FIND_FACET_TAGS].count, 1);
	CU_ASSERT_STRING_EQUAL(columns.joined_terms[FIND_FACET_CATEGORIES], "Audio | Electronics");
	CU_ASSERT_STRING_EQUAL(columns.term_rows,
		"[[\"categories\",\"Audio\"],[\"categories\",\"Electronics\"],[\"tags\",\"wireless\"],[\"brands\",\"Sony\"]]");
	/* The stored document keeps what the API does not know. */
	json_object *stored = json_tokener_parse(columns.document);
	json_object *value = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(stored, "custom", &value));
	CU_ASSERT_TRUE(json_object_object_get_ex(stored, "attributes", &value));
	CU_ASSERT_TRUE(json_object_object_get_ex(stored, "tags", &value) && json_object_is_type(value, json_type_array));
	CU_ASSERT_EQUAL(columns.document_length, strlen(columns.document));
	json_object_put(stored);
	find_columns_release(&columns);
	json_object_put(object);
}

static void every_bad_field_is_reported_at_once(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	int result = parse_text(FIND_PRODUCT,
		"{\"id\":\"\",\"name\":5,\"price\":-1,\"sale_price\":\"abc\",\"on_sale\":\"yes\",\"tags\":[1],"
		"\"brands\":{\"a\":1},\"rating\":1000,\"stock_status\":\"012345678901234567890123456789012\"}",
		&object, &columns, &errors);
	CU_ASSERT_EQUAL(result, -1);
	const char *fields[] = {"id", "name", "price", "sale_price", "on_sale", "tags", "brands", "rating", "stock_status"};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!has_error(&errors, fields[i]))
			fprintf(stderr, "no error for %s\n", fields[i]);
		CU_ASSERT_TRUE(has_error(&errors, fields[i]));
	}
	CU_ASSERT_EQUAL(errors.count, 9);
	CU_ASSERT_PTR_NULL(columns.document);
	json_object_put(object);
}

static void required_fields_differ_by_entity(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, "{}", &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "id") && has_error(&errors, "name"));
	json_object_put(object);
	CU_ASSERT_EQUAL(parse_text(FIND_POST, "{\"id\":\"p\",\"name\":\"not a title\"}", &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "title"));
	CU_ASSERT_EQUAL(errors.count, 1);
	json_object_put(object);
	CU_ASSERT_EQUAL(parse_text(FIND_POST, "{\"id\":\"p\",\"title\":\"Hello\",\"author_name\":\"Ann\",\"tags\":[\"a\"]}",
				&object, &columns, &errors), 0);
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_AUTHOR_NAME], "Ann");
	CU_ASSERT_STRING_EQUAL(columns.term_rows, "[[\"tags\",\"a\"]]");
	find_columns_release(&columns);
	json_object_put(object);
	CU_ASSERT_EQUAL(parse_text(FIND_POST, "{\"id\":\"p\",\"title\":null}", &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "title"));
	json_object_put(object);
}

static void taxonomy_parent_accepts_wordpress_numbers(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	CU_ASSERT_EQUAL(parse_text(FIND_TAXONOMY,
				"{\"id\":12,\"name\":\"Shoes\",\"slug\":\"shoes\",\"taxonomyName\":\"product_cat\",\"parent\":7}",
				&object, &columns, &errors), 0);
	CU_ASSERT_STRING_EQUAL(columns.id, "12"); /* a numeric id becomes a string */
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_PARENT], "7");
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_TAXONOMY_NAME], "product_cat");
	CU_ASSERT_STRING_EQUAL(columns.term_rows, "[]");
	CU_ASSERT_PTR_NOT_NULL(strstr(columns.document, "\"id\":\"12\""));
	find_columns_release(&columns);
	json_object_put(object);
	CU_ASSERT_EQUAL(parse_text(FIND_TAXONOMY, "{\"id\":\"t\",\"name\":\"Top\",\"parent\":0}", &object, &columns, &errors), 0);
	CU_ASSERT_STRING_EQUAL(columns.text[FIND_TEXT_PARENT], ""); /* 0: no parent */
	find_columns_release(&columns);
	json_object_put(object);
	CU_ASSERT_EQUAL(parse_text(FIND_TAXONOMY, "{\"id\":\"t\",\"name\":\"Top\",\"parent\":[1]}", &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "parent"));
	json_object_put(object);
}

static void ids_are_1_to_191_characters_without_controls(void)
{
	char id[400];
	memset(id, 'a', 191);
	id[191] = '\0';
	CU_ASSERT_TRUE(find_id_valid(id));
	id[191] = 'a';
	id[192] = '\0';
	CU_ASSERT_FALSE(find_id_valid(id));
	CU_ASSERT_FALSE(find_id_valid(""));
	CU_ASSERT_FALSE(find_id_valid("a\tb"));
	CU_ASSERT_FALSE(find_id_valid("a\x7f"));
	CU_ASSERT_TRUE(find_id_valid("shop/123 with spaces"));
	/* 191 two-byte characters are 382 bytes and still one valid id. */
	id[0] = '\0';
	for (int i = 0; i < 191; i++)
		strcat(id, "\xc3\xa9");
	CU_ASSERT_TRUE(find_id_valid(id));
	CU_ASSERT_EQUAL(find_utf8_chars(id), 191);
}

static void dot_segment_ids_are_refused_since_no_url_reaches_them(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	const char *refused[] = {"{\"id\":\"..\",\"name\":\"x\"}", "{\"id\":\".\",\"name\":\"x\"}"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, refused[i], &object, &columns, &errors), -1);
		CU_ASSERT_TRUE(has_error(&errors, "id"));
		json_object_put(object);
	}
	/* Dots inside an id stay in its one encoded segment and are fine. */
	const char *kept[] = {"{\"id\":\"...\",\"name\":\"x\"}", "{\"id\":\"../a\",\"name\":\"x\"}",
		"{\"id\":\".hidden\",\"name\":\"x\"}"};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, kept[i], &object, &columns, &errors), 0);
		find_columns_release(&columns);
		json_object_put(object);
	}
	CU_ASSERT_FALSE(validate_path_segment_reachable(".."));
	CU_ASSERT_FALSE(validate_path_segment_reachable("."));
	CU_ASSERT_TRUE(validate_path_segment_reachable("..."));
	CU_ASSERT_TRUE(validate_path_segment_reachable("a/.."));
}

static void term_lists_and_documents_are_capped(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	char *text = malloc(80 * 1024);
	strcpy(text, "{\"id\":\"x\",\"name\":\"n\",\"tags\":[");
	for (int i = 0; i < 51; i++)
		sprintf(text + strlen(text), "%s\"t%d\"", i ? "," : "", i);
	strcat(text, "]}");
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, text, &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "tags"));
	json_object_put(object);
	/* A document over 64 KiB is refused as a whole. */
	strcpy(text, "{\"id\":\"x\",\"name\":\"n\",\"content\":\"");
	size_t used = strlen(text);
	memset(text + used, 'c', 66000);
	strcpy(text + used + 66000, "\"}");
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, text, &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "document"));
	CU_ASSERT_PTR_NULL(columns.document);
	json_object_put(object);
	/* Names are counted in characters: 500 two-byte ones fit, 501 do not. */
	strcpy(text, "{\"id\":\"x\",\"name\":\"");
	for (int i = 0; i < 500; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"}");
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, text, &object, &columns, &errors), 0);
	find_columns_release(&columns);
	json_object_put(object);
	strcpy(text + strlen(text) - 2, "\xc3\xa9\"}");
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, text, &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "name"));
	json_object_put(object);
	free(text);
}

static void a_non_object_entity_is_refused(void)
{
	json_object *object;
	struct find_columns columns;
	struct find_errors errors;
	CU_ASSERT_EQUAL(parse_text(FIND_PRODUCT, "[1,2]", &object, &columns, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "entity"));
	json_object_put(object);
}

static void error_summary_lists_each_field(void)
{
	struct find_errors errors = {0};
	find_errors_add(&errors, "name", "is required");
	find_errors_add(&errors, "price", "must be a number from 0 to %d", 5);
	char summary[128];
	find_errors_summary(&errors, summary, sizeof(summary));
	CU_ASSERT_STRING_EQUAL(summary, "name: is required; price: must be a number from 0 to 5");
	find_errors_summary(&errors, summary, 10); /* truncated, still terminated */
	CU_ASSERT_EQUAL(strlen(summary), 9);
}

static void cap_allows_up_to_the_plan_limit(void)
{
	CU_ASSERT_TRUE(find_cap_allows(1, 1));
	CU_ASSERT_FALSE(find_cap_allows(2, 1));
	CU_ASSERT_TRUE(find_cap_allows(5000, 5000));
	CU_ASSERT_FALSE(find_cap_allows(5001, 5000));
	CU_ASSERT_FALSE(find_cap_allows(1, 0)); /* a plan without the feature indexes nothing */
	CU_ASSERT_TRUE(find_cap_allows(0, 0));
	CU_ASSERT_TRUE(find_cap_allows(4294967295LL, UINT32_MAX));
}

static void utf8_prefix_never_splits_a_character(void)
{
	CU_ASSERT_EQUAL(find_utf8_prefix("abc", 10), 3);
	CU_ASSERT_EQUAL(find_utf8_prefix("abc", 2), 2);
	CU_ASSERT_EQUAL(find_utf8_prefix("a\xc3\xa9", 2), 1); /* would cut é in half */
	CU_ASSERT_EQUAL(find_utf8_prefix("a\xc3\xa9", 3), 3);
	CU_ASSERT_EQUAL(find_utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 5), 3);
}

static const struct unit_test find_documents_tests[] = {
	{"product_columns_are_extracted_and_unknown_fields_kept", product_columns_are_extracted_and_unknown_fields_kept},
	{"every_bad_field_is_reported_at_once", every_bad_field_is_reported_at_once},
	{"required_fields_differ_by_entity", required_fields_differ_by_entity},
	{"taxonomy_parent_accepts_wordpress_numbers", taxonomy_parent_accepts_wordpress_numbers},
	{"ids_are_1_to_191_characters_without_controls", ids_are_1_to_191_characters_without_controls},
	{"dot_segment_ids_are_refused_since_no_url_reaches_them", dot_segment_ids_are_refused_since_no_url_reaches_them},
	{"term_lists_and_documents_are_capped", term_lists_and_documents_are_capped},
	{"a_non_object_entity_is_refused", a_non_object_entity_is_refused},
	{"error_summary_lists_each_field", error_summary_lists_each_field},
	{"cap_allows_up_to_the_plan_limit", cap_allows_up_to_the_plan_limit},
	{"utf8_prefix_never_splits_a_character", utf8_prefix_never_splits_a_character},
};

int register_find_documents_suite(void)
{
	return UNIT_SUITE("find_documents", find_documents_tests);
}

/* Fuzz target for the find search body (find_search_parse,
 * modules/find_query.c), for products and for posts. The input is the
 * request body: it goes through the strict JSON recogniser with the
 * product's default depth first, as every body does, and what passes is
 * parsed as a search of each entity, its text split into the search
 * index's query words (modules/find_index.c) and its search log entry
 * filled, as the handler does.
 * Properties: it never crashes, leaks or reads past the text; a refusal has
 * at least one error, and the VALIDATION_ERROR the handler builds from the
 * errors is strict JSON (so no error echoes a member name cut inside a
 * character); an accepted search has every documented bound (text, limit,
 * facetSize, facets the entity has, a value facet spec that is a strict
 * JSON array of [name, path] pairs, term filters that are strict JSON
 * arrays of 1-20 strings, prices >= 0 with min <= max, the filter slots the
 * entity binds); its query words are valid UTF-8 words of the text, each
 * once, at most the word cap; and the body written back by json-c parses
 * to the same search. */
#include "fuzz_check.h"

#include "core/config.h"
#include "modules/find_index.h"
#include "modules/find_query.h"

#include <math.h>

#define FUZZ_FIND_TENANT_ID 7

static int fuzz_find_max_depth(void)
{
	static int max_depth;
	if (max_depth == 0) {
		struct config config;
		config_set_defaults(&config);
		max_depth = config.max_json_depth;
	}
	return max_depth;
}

/* text is valid UTF-8 with no character JSON must escape: as the inside of
 * a JSON string it passes the strict recogniser. */
static int fuzz_find_utf8_plain(const char *text)
{
	size_t length = strlen(text);
	char *quoted = malloc(length + 3);
	FUZZ_REQUIRE(quoted != NULL);
	quoted[0] = '"';
	memcpy(quoted + 1, text, length);
	quoted[length + 1] = '"';
	quoted[length + 2] = '\0';
	int valid = strpbrk(text, "\"\\") == NULL && json_strict_check(quoted, length + 2, 0, NULL) == 0;
	free(quoted);
	return valid;
}

/* The handler's refusal, built the way find_search builds it. */
static void fuzz_find_require_refusal(const struct find_errors *errors)
{
	FUZZ_REQUIRE(errors->count >= 1 && errors->count <= FIND_ERRORS_MAX);
	struct response response;
	response_init(&response);
	response_error(&response, STATUS_VALIDATION_ERROR, "Invalid search request");
	for (size_t i = 0; i < errors->count; i++) {
		FUZZ_REQUIRE(errors->items[i].message[0] != '\0');
		response_add_detail(&response, errors->items[i].field, "%s", errors->items[i].message);
	}
	fuzz_require_refusal(&response);
	response_reset(&response);
}

/* A term filter: a strict JSON array of 1-20 non-empty strings. */
static void fuzz_find_require_terms(const char *terms_json)
{
	if (terms_json == NULL)
		return;
	json_object *terms = NULL;
	FUZZ_REQUIRE(json_strict_parse(terms_json, strlen(terms_json), 1, &terms, NULL) == 0);
	FUZZ_REQUIRE(json_object_is_type(terms, json_type_array));
	size_t count = json_object_array_length(terms);
	FUZZ_REQUIRE(count >= 1 && count <= FIND_FILTER_TERMS_MAX);
	for (size_t i = 0; i < count; i++) {
		json_object *term = json_object_array_get_idx(terms, i);
		FUZZ_REQUIRE(json_object_is_type(term, json_type_string) && json_object_get_string_len(term) > 0);
	}
	json_object_put(terms);
}

static void fuzz_find_require_price(int has, const char *text, double value)
{
	if (!has)
		return;
	char *end = NULL;
	double written = strtod(text, &end);
	FUZZ_REQUIRE(end != text && *end == '\0');
	FUZZ_REQUIRE(isfinite(value) && value >= 0 && value <= FIND_PRICE_MAX);
	FUZZ_REQUIRE(fabs(written - value) <= 0.00005 * (1 + value));
}

static void fuzz_find_require_filters(enum find_entity_kind kind, const struct find_filters *filters)
{
	for (int facet = 0; facet < FIND_FACET__MAX; facet++)
		fuzz_find_require_terms(filters->terms_json[facet]);
	FUZZ_REQUIRE(filters->on_sale >= -1 && filters->on_sale <= 1);
	fuzz_find_require_price(filters->has_min_price, filters->min_price, filters->min_price_value);
	fuzz_find_require_price(filters->has_max_price, filters->max_price, filters->max_price_value);
	if (filters->has_min_price && filters->has_max_price)
		FUZZ_REQUIRE(filters->min_price_value <= filters->max_price_value);
	if (kind == FIND_POST) {
		/* Only what a post's statement binds. */
		FUZZ_REQUIRE(filters->terms_json[FIND_FACET_BRANDS] == NULL && filters->on_sale == -1);
		FUZZ_REQUIRE(!filters->has_min_price && !filters->has_max_price);
		FUZZ_REQUIRE(filters->text[FIND_FILTER_STOCK_STATUS] == NULL && filters->text[FIND_FILTER_SKU] == NULL);
	} else {
		FUZZ_REQUIRE(filters->text[FIND_FILTER_AUTHOR_NAME] == NULL);
	}
	FUZZ_REQUIRE(filters->text[FIND_FILTER_TAXONOMY_NAME] == NULL && filters->text[FIND_FILTER_PARENT] == NULL &&
		filters->text[FIND_FILTER_SLUG] == NULL);
	struct db_param params[32];
	FUZZ_REQUIRE(find_filters_bind(kind, filters, params) == (kind == FIND_PRODUCT ? 18u : 8u));
}

/* [[name, path], …] with as many pairs as value facets, names as requested. */
static void fuzz_find_require_value_facets(const struct find_search_request *search)
{
	FUZZ_REQUIRE(search->value_facet_count <= FIND_VALUE_FACETS_MAX);
	if (search->value_facet_count == 0) {
		FUZZ_REQUIRE(search->value_facet_spec[0] == '\0');
		return;
	}
	json_object *spec = NULL;
	FUZZ_REQUIRE(json_strict_parse(search->value_facet_spec, strlen(search->value_facet_spec), 2, &spec, NULL) == 0);
	FUZZ_REQUIRE(json_object_is_type(spec, json_type_array));
	FUZZ_REQUIRE(json_object_array_length(spec) == search->value_facet_count);
	for (size_t i = 0; i < search->value_facet_count; i++) {
		json_object *pair = json_object_array_get_idx(spec, i);
		FUZZ_REQUIRE(json_object_is_type(pair, json_type_array) && json_object_array_length(pair) == 2);
		json_object *name = json_object_array_get_idx(pair, 0), *path = json_object_array_get_idx(pair, 1);
		FUZZ_REQUIRE(json_object_is_type(name, json_type_string) && json_object_is_type(path, json_type_string));
		FUZZ_REQUIRE(strcmp(json_object_get_string(name), search->value_facets[i].name) == 0);
		const char *path_text = json_object_get_string(path);
		FUZZ_REQUIRE(strncmp(path_text, "$.", 2) == 0 || strncmp(path_text, "column:", 7) == 0);
	}
	json_object_put(spec);
}

/* The query words: each valid UTF-8 of letters, digits and multi-byte
 * characters, lowercase, within the word bounds (a short one only as the
 * word being typed, last), never twice, at most the word cap. */
static void fuzz_find_require_words(const char *text, size_t text_length)
{
	struct find_index_text words;
	find_index_text_parse(text, text_length, &words);
	FUZZ_REQUIRE(words.count >= 0 && words.count <= FIND_INDEX_QUERY_WORDS_MAX);
	for (int word = 0; word < words.count; word++) {
		const char *cursor = words.words[word];
		size_t length = strlen(cursor);
		FUZZ_REQUIRE(length >= 1 && length <= FIND_INDEX_WORD_MAX_BYTES);
		FUZZ_REQUIRE(length >= FIND_INDEX_WORD_MIN_BYTES || (word == words.count - 1 && words.last_is_prefix));
		FUZZ_REQUIRE(fuzz_find_utf8_plain(cursor));
		for (size_t i = 0; i < length; i++) {
			unsigned char c = (unsigned char)cursor[i];
			FUZZ_REQUIRE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80);
		}
		for (int other = 0; other < word; other++)
			FUZZ_REQUIRE(strcmp(words.words[other], cursor) != 0);
	}
}

static void fuzz_find_require_accepted(enum find_entity_kind kind, const struct find_search_request *search)
{
	FUZZ_REQUIRE(search->kind == kind && search->text != NULL);
	FUZZ_REQUIRE(search->text_length == strlen(search->text) && search->text_length <= FIND_SEARCH_TEXT_MAX_BYTES);
	FUZZ_REQUIRE(search->limit >= 1 && search->limit <= FIND_SEARCH_LIMIT_MAX);
	FUZZ_REQUIRE(search->facet_size >= 1 && search->facet_size <= FIND_FACET_SIZE_MAX);
	FUZZ_REQUIRE(search->include_facets == 0 || search->include_facets == 1);
	FUZZ_REQUIRE(search->use_agent >= -1 && search->use_agent <= 1);
	unsigned available = kind == FIND_PRODUCT ? (1u << FIND_FACET_FIELD__MAX) - 1
						: (1u << FIND_FACET_FIELD_CATEGORIES) | (1u << FIND_FACET_FIELD_TAGS);
	FUZZ_REQUIRE((search->facet_mask & ~available) == 0);
	FUZZ_REQUIRE(search->search_context == NULL || find_search_context_valid(search->search_context));
	fuzz_find_require_value_facets(search);
	fuzz_find_require_filters(kind, &search->filters);
	fuzz_find_require_words(search->text, search->text_length);

	struct find_search_log_entry entry;
	find_search_log_fill(&entry, FUZZ_FIND_TENANT_ID, 0, 0, kind, "secret", "", search->text, search->search_context);
	FUZZ_REQUIRE(strcmp(entry.query, search->text) == 0);
}

/* The same search read from the body as json-c writes it. */
static void fuzz_find_require_same_again(enum find_entity_kind kind, json_object *body,
	const struct find_search_request *first)
{
	size_t length = 0;
	const char *written = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &length);
	json_object *again = NULL;
	FUZZ_REQUIRE(json_strict_parse(written, length, fuzz_find_max_depth(), &again, NULL) == 0);
	struct find_search_request second;
	struct find_errors errors = {0};
	FUZZ_REQUIRE(find_search_parse(kind, again, &second, &errors) == 0);
	FUZZ_REQUIRE(strcmp(first->text, second.text) == 0 && first->limit == second.limit);
	FUZZ_REQUIRE(first->facet_size == second.facet_size && first->include_facets == second.include_facets);
	FUZZ_REQUIRE(first->facet_mask == second.facet_mask && first->use_agent == second.use_agent);
	FUZZ_REQUIRE(strcmp(first->value_facet_spec, second.value_facet_spec) == 0);
	const struct find_filters *left = &first->filters, *right = &second.filters;
	for (int facet = 0; facet < FIND_FACET__MAX; facet++)
		FUZZ_REQUIRE((left->terms_json[facet] == NULL) == (right->terms_json[facet] == NULL) &&
			(left->terms_json[facet] == NULL || strcmp(left->terms_json[facet], right->terms_json[facet]) == 0));
	for (int slot = 0; slot < FIND_FILTER_TEXT__MAX; slot++)
		FUZZ_REQUIRE((left->text[slot] == NULL) == (right->text[slot] == NULL) &&
			(left->text[slot] == NULL || strcmp(left->text[slot], right->text[slot]) == 0));
	FUZZ_REQUIRE(left->on_sale == right->on_sale && left->has_min_price == right->has_min_price &&
		left->has_max_price == right->has_max_price);
	FUZZ_REQUIRE(strcmp(left->min_price, right->min_price) == 0 && strcmp(left->max_price, right->max_price) == 0);
	find_search_request_release(&second);
	json_object_put(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	json_object *body = NULL;
	if (json_strict_parse(text, size, fuzz_find_max_depth(), &body, NULL) == 0) {
		static const enum find_entity_kind kinds[] = {FIND_PRODUCT, FIND_POST};
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			struct find_search_request search;
			struct find_errors errors = {0};
			int result = find_search_parse(kinds[i], body, &search, &errors);
			FUZZ_REQUIRE(result == 0 || result == -1);
			if (result == 0) {
				FUZZ_REQUIRE(errors.count == 0);
				fuzz_find_require_accepted(kinds[i], &search);
				fuzz_find_require_same_again(kinds[i], body, &search);
			} else {
				fuzz_find_require_refusal(&errors);
			}
			find_search_request_release(&search);
		}
	}
	json_object_put(body);
	free(text);
	return 0;
}

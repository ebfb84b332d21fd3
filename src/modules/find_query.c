/* Parsing of search and delete-by-query filters into fixed binding slots,
 * the search request, price buckets and the search log payload. */
#include "modules/find_query.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which filter a member name sets. */
enum find_filter_key {
	KEY_CATEGORIES,
	KEY_TAGS,
	KEY_BRANDS,
	KEY_PRICE,
	KEY_MIN_PRICE,
	KEY_MAX_PRICE,
	KEY_STOCK_STATUS,
	KEY_ON_SALE,
	KEY_STATUS,
	KEY_SKU,
	KEY_AUTHOR_NAME,
	KEY_TAXONOMY_NAME,
	KEY_PARENT,
	KEY_SLUG,
	KEY__MAX
};

struct find_filter_name {
	const char *name;
	enum find_filter_key key;
	size_t max_chars; /* text filters */
	int text_slot;    /* enum find_filter_text, -1 when not a text filter */
};

static const struct find_filter_name find_filter_names[KEY__MAX] = {
	{"categories", KEY_CATEGORIES, FIND_TERM_MAX_CHARS, -1},
	{"tags", KEY_TAGS, FIND_TERM_MAX_CHARS, -1},
	{"brands", KEY_BRANDS, FIND_TERM_MAX_CHARS, -1},
	{"price", KEY_PRICE, 0, -1},
	{"min_price", KEY_MIN_PRICE, 0, -1},
	{"max_price", KEY_MAX_PRICE, 0, -1},
	{"stock_status", KEY_STOCK_STATUS, 32, FIND_FILTER_STOCK_STATUS},
	{"on_sale", KEY_ON_SALE, 0, -1},
	{"status", KEY_STATUS, 32, FIND_FILTER_STATUS},
	{"sku", KEY_SKU, 191, FIND_FILTER_SKU},
	{"author_name", KEY_AUTHOR_NAME, 200, FIND_FILTER_AUTHOR_NAME},
	{"taxonomyName", KEY_TAXONOMY_NAME, 100, FIND_FILTER_TAXONOMY_NAME},
	{"parent", KEY_PARENT, 191, FIND_FILTER_PARENT},
	{"slug", KEY_SLUG, 191, FIND_FILTER_SLUG},
};

#define BIT(key) (1u << (key))
/* Whitelists: what each entity's search and delete-by-query accept. */
static const unsigned find_search_keys[FIND_ENTITY__MAX] = {
	[FIND_PRODUCT] = BIT(KEY_CATEGORIES) | BIT(KEY_TAGS) | BIT(KEY_BRANDS) | BIT(KEY_PRICE) | BIT(KEY_MIN_PRICE) |
		BIT(KEY_MAX_PRICE) | BIT(KEY_STOCK_STATUS) | BIT(KEY_ON_SALE) | BIT(KEY_STATUS) | BIT(KEY_SKU),
	[FIND_POST] = BIT(KEY_CATEGORIES) | BIT(KEY_TAGS) | BIT(KEY_STATUS) | BIT(KEY_AUTHOR_NAME),
	[FIND_TAXONOMY] = 0,
};
static const unsigned find_delete_keys[FIND_ENTITY__MAX] = {
	[FIND_PRODUCT] = BIT(KEY_STATUS) | BIT(KEY_STOCK_STATUS) | BIT(KEY_CATEGORIES) | BIT(KEY_TAGS) | BIT(KEY_BRANDS) |
		BIT(KEY_SKU) | BIT(KEY_ON_SALE),
	[FIND_POST] = BIT(KEY_STATUS) | BIT(KEY_CATEGORIES) | BIT(KEY_TAGS) | BIT(KEY_AUTHOR_NAME),
	[FIND_TAXONOMY] = BIT(KEY_TAXONOMY_NAME) | BIT(KEY_PARENT) | BIT(KEY_SLUG),
};

void find_filters_init(struct find_filters *filters)
{
	memset(filters, 0, sizeof(*filters));
	filters->on_sale = -1;
}

void find_filters_release(struct find_filters *filters)
{
	for (size_t i = 0; i < FIND_FACET__MAX; i++) {
		free(filters->terms_json[i]);
		filters->terms_json[i] = NULL;
	}
}

int find_filters_empty(const struct find_filters *filters)
{
	for (size_t i = 0; i < FIND_FILTER_TEXT__MAX; i++)
		if (filters->text[i] != NULL)
			return 0;
	for (size_t i = 0; i < FIND_FACET__MAX; i++)
		if (filters->terms_json[i] != NULL)
			return 0;
	return filters->on_sale < 0 && !filters->has_min_price && !filters->has_max_price;
}

static void find_bind_pair(struct db_param *params, size_t *count, struct db_param value)
{
	params[(*count)++] = value;
	params[(*count)++] = value;
}

static struct db_param find_text_or_null(const char *text)
{
	return text ? DB_TEXT(text) : DB_NULL;
}

size_t find_filters_bind(enum find_entity_kind kind, const struct find_filters *filters, struct db_param *params)
{
	size_t count = 0;
	switch (kind) {
	case FIND_PRODUCT:
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_STATUS]));
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_STOCK_STATUS]));
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_SKU]));
		find_bind_pair(params, &count, filters->on_sale >= 0 ? DB_INT(filters->on_sale) : DB_NULL);
		find_bind_pair(params, &count, filters->has_min_price ? DB_TEXT(filters->min_price) : DB_NULL);
		find_bind_pair(params, &count, filters->has_max_price ? DB_TEXT(filters->max_price) : DB_NULL);
		find_bind_pair(params, &count, find_text_or_null(filters->terms_json[FIND_FACET_CATEGORIES]));
		find_bind_pair(params, &count, find_text_or_null(filters->terms_json[FIND_FACET_TAGS]));
		find_bind_pair(params, &count, find_text_or_null(filters->terms_json[FIND_FACET_BRANDS]));
		break;
	case FIND_POST:
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_STATUS]));
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_AUTHOR_NAME]));
		find_bind_pair(params, &count, find_text_or_null(filters->terms_json[FIND_FACET_CATEGORIES]));
		find_bind_pair(params, &count, find_text_or_null(filters->terms_json[FIND_FACET_TAGS]));
		break;
	case FIND_TAXONOMY:
	default:
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_TAXONOMY_NAME]));
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_PARENT]));
		find_bind_pair(params, &count, find_text_or_null(filters->text[FIND_FILTER_SLUG]));
		break;
	}
	return count;
}

/* A price bound: a JSON number >= 0 (null: no bound). */
static int find_price_bound(json_object *value, const char *field, int *has, double *number, char *text,
	size_t text_size, struct find_errors *errors)
{
	if (value == NULL)
		return 0;
	if (!(json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)) ||
		!isfinite(json_object_get_double(value)) || json_object_get_double(value) < 0 ||
		json_object_get_double(value) > FIND_PRICE_MAX) {
		find_errors_add(errors, field, "must be a number >= 0");
		return -1;
	}
	*has = 1;
	*number = json_object_get_double(value);
	snprintf(text, text_size, "%.4f", *number);
	return 0;
}

int find_price_range_parse(json_object *value, const char *field, struct find_filters *filters,
	struct find_errors *errors)
{
	if (value == NULL || !json_object_is_type(value, json_type_object)) {
		find_errors_add(errors, field, "must be an object {min, max}");
		return -1;
	}
	char name[48];
	json_object_object_foreach(value, key, member) {
		(void)member;
		if (strcmp(key, "min") != 0 && strcmp(key, "max") != 0) {
			find_errors_add(errors, field, "has an unknown member \"%.40s\" (use min and max)", key);
			return -1;
		}
	}
	json_object *min = NULL, *max = NULL;
	json_object_object_get_ex(value, "min", &min);
	json_object_object_get_ex(value, "max", &max);
	snprintf(name, sizeof(name), "%s.min", field);
	if (find_price_bound(min, name, &filters->has_min_price, &filters->min_price_value, filters->min_price,
			sizeof(filters->min_price), errors) != 0)
		return -1;
	snprintf(name, sizeof(name), "%s.max", field);
	if (find_price_bound(max, name, &filters->has_max_price, &filters->max_price_value, filters->max_price,
			sizeof(filters->max_price), errors) != 0)
		return -1;
	if (filters->has_min_price && filters->has_max_price && filters->min_price_value > filters->max_price_value) {
		find_errors_add(errors, field, "min must not be greater than max");
		return -1;
	}
	return 0;
}

/* Term filter: a string or an array of 1-20 strings, matched any-of. */
static int find_terms_filter(json_object *value, const char *field, char **out, struct find_errors *errors)
{
	json_object *array = json_object_new_array();
	if (json_object_is_type(value, json_type_string)) {
		json_object_array_add(array, json_object_get(value));
	} else if (json_object_is_type(value, json_type_array)) {
		size_t length = json_object_array_length(value);
		for (size_t i = 0; i < length && length <= FIND_FILTER_TERMS_MAX; i++)
			json_object_array_add(array, json_object_get(json_object_array_get_idx(value, i)));
	}
	size_t length = json_object_array_length(array);
	int valid = length >= 1 && length <= FIND_FILTER_TERMS_MAX;
	for (size_t i = 0; i < length && valid; i++) {
		json_object *item = json_object_array_get_idx(array, i);
		valid = json_object_is_type(item, json_type_string) && json_object_get_string_len(item) > 0 &&
			find_utf8_chars(json_object_get_string(item)) <= FIND_TERM_MAX_CHARS;
	}
	if (!valid) {
		find_errors_add(errors, field, "must be a string or an array of 1-%d non-empty strings", FIND_FILTER_TERMS_MAX);
		json_object_put(array);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN));
	json_object_put(array);
	return 0;
}

static int find_filter_apply(const struct find_filter_name *name, json_object *value, struct find_filters *filters,
	struct find_errors *errors)
{
	switch (name->key) {
	case KEY_CATEGORIES:
		return find_terms_filter(value, name->name, &filters->terms_json[FIND_FACET_CATEGORIES], errors);
	case KEY_TAGS:
		return find_terms_filter(value, name->name, &filters->terms_json[FIND_FACET_TAGS], errors);
	case KEY_BRANDS:
		return find_terms_filter(value, name->name, &filters->terms_json[FIND_FACET_BRANDS], errors);
	case KEY_PRICE:
		return find_price_range_parse(value, name->name, filters, errors);
	case KEY_MIN_PRICE:
	case KEY_MAX_PRICE: {
		int is_min = name->key == KEY_MIN_PRICE;
		if (value == NULL) {
			find_errors_add(errors, name->name, "must be a number >= 0");
			return -1;
		}
		return find_price_bound(value, name->name, is_min ? &filters->has_min_price : &filters->has_max_price,
			is_min ? &filters->min_price_value : &filters->max_price_value,
			is_min ? filters->min_price : filters->max_price, sizeof(filters->min_price), errors);
	}
	case KEY_ON_SALE:
		if (value == NULL || !json_object_is_type(value, json_type_boolean)) {
			find_errors_add(errors, name->name, "must be true or false");
			return -1;
		}
		filters->on_sale = json_object_get_boolean(value) ? 1 : 0;
		return 0;
	default:
		/* Text filters; parent also takes a WordPress numeric id. */
		if (value != NULL && name->key == KEY_PARENT && json_object_is_type(value, json_type_int)) {
			filters->text[name->text_slot] = json_object_get_string(value);
			return 0;
		}
		if (value == NULL || !json_object_is_type(value, json_type_string) ||
			find_utf8_chars(json_object_get_string(value)) > name->max_chars) {
			find_errors_add(errors, name->name, "must be a string of at most %zu characters", name->max_chars);
			return -1;
		}
		filters->text[name->text_slot] = json_object_get_string(value);
		return 0;
	}
}

static const struct find_filter_name *find_filter_lookup(const char *field, unsigned allowed)
{
	for (size_t i = 0; i < KEY__MAX; i++)
		if ((allowed & BIT(find_filter_names[i].key)) && strcmp(find_filter_names[i].name, field) == 0)
			return &find_filter_names[i];
	return NULL;
}

static void find_unknown_filter(const char *field, unsigned allowed, const char *where, struct find_errors *errors)
{
	char list[256];
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; i < KEY__MAX && used < sizeof(list); i++)
		if (allowed & BIT(find_filter_names[i].key))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
				find_filter_names[i].name);
	find_errors_add(errors, where, "unknown filter field \"%.40s\"; use one of: %s", field, list);
}

/* Applies [{field, value}, …]; each field at most once. */
static int find_filter_pairs(json_object *array, unsigned allowed, const char *where, struct find_filters *filters,
	struct find_errors *errors)
{
	unsigned seen = 0;
	size_t errors_before = errors->count;
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *item = json_object_array_get_idx(array, i);
		json_object *field = NULL, *value = NULL;
		if (!json_object_is_type(item, json_type_object) || !json_object_object_get_ex(item, "field", &field) ||
			!json_object_is_type(field, json_type_string) || !json_object_object_get_ex(item, "value", &value)) {
			find_errors_add(errors, where, "item %zu must be an object {field, value}", i);
			continue;
		}
		const struct find_filter_name *name = find_filter_lookup(json_object_get_string(field), allowed);
		if (name == NULL) {
			find_unknown_filter(json_object_get_string(field), allowed, where, errors);
			continue;
		}
		if (seen & BIT(name->key)) {
			find_errors_add(errors, name->name, "is given more than once");
			continue;
		}
		seen |= BIT(name->key);
		find_filter_apply(name, value, filters, errors);
	}
	return errors->count > errors_before ? -1 : 0;
}

int find_search_filters_parse(enum find_entity_kind kind, json_object *object, struct find_filters *filters,
	struct find_errors *errors)
{
	unsigned allowed = find_search_keys[kind];
	if (object == NULL)
		return 0;
	if (json_object_is_type(object, json_type_array))
		return find_filter_pairs(object, allowed, "filters", filters, errors);
	if (!json_object_is_type(object, json_type_object)) {
		find_errors_add(errors, "filters", "must be an object");
		return -1;
	}
	size_t errors_before = errors->count;
	json_object_object_foreach(object, key, value) {
		const struct find_filter_name *name = find_filter_lookup(key, allowed);
		if (name == NULL) {
			find_unknown_filter(key, allowed, "filters", errors);
			continue;
		}
		find_filter_apply(name, value, filters, errors);
	}
	if (errors->count == errors_before && filters->has_min_price && filters->has_max_price &&
		filters->min_price_value > filters->max_price_value)
		find_errors_add(errors, "filters", "min_price must not be greater than max_price");
	return errors->count > errors_before ? -1 : 0;
}

int find_delete_filters_parse(enum find_entity_kind kind, json_object *array, struct find_filters *filters,
	struct find_errors *errors)
{
	if (array == NULL || !json_object_is_type(array, json_type_array) || json_object_array_length(array) == 0) {
		find_errors_add(errors, "filters", "must be a non-empty array of {field, value}");
		return -1;
	}
	return find_filter_pairs(array, find_delete_keys[kind], "filters", filters, errors);
}

/* ----------------------------------------------------------------- search */

static const char *const find_facet_field_names[FIND_FACET_FIELD__MAX] = {"categories", "tags", "brands", "price",
	"price_ranges"};

const char *find_facet_field_name(enum find_facet_field field)
{
	return find_facet_field_names[field];
}

/* Without facetFields: the term lists and, for products, both price forms. */
static unsigned find_facets_of(enum find_entity_kind kind)
{
	if (kind == FIND_PRODUCT)
		return (1u << FIND_FACET_FIELD__MAX) - 1;
	return (1u << FIND_FACET_FIELD_CATEGORIES) | (1u << FIND_FACET_FIELD_TAGS);
}

static int find_read_bounded_int(json_object *body, const char *name, int fallback, int min, int max, int *out,
	struct find_errors *errors)
{
	json_object *value = NULL;
	*out = fallback;
	if (!json_object_object_get_ex(body, name, &value) || value == NULL)
		return 0;
	if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < min ||
		json_object_get_int64(value) > max) {
		find_errors_add(errors, name, "must be an integer from %d to %d", min, max);
		return -1;
	}
	*out = (int)json_object_get_int64(value);
	return 0;
}

/* Value facets: what each is read from, and which entities have it. */
static const struct {
	const char *name;
	const char *path;
	int products_only;
} find_value_facet_kinds[] = {
	{"stock_status", "column:stock_status", 1},
	{"on_sale", "column:on_sale", 1},
	{"featured", "$.featured", 1},
	{"type", "$.type", 1},
};

/* The <name> of attributes.<name> or metadata.<name>: it is spliced into a
 * quoted JSON path member, so only characters that need no escaping. */
static int find_facet_key_valid(const char *key)
{
	size_t length = strlen(key);
	if (length == 0 || length > FIND_FACET_KEY_MAX_CHARS)
		return 0;
	for (const char *p = key; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			    *p == '-'))
			return 0;
	return 1;
}

/* A value facet named field: its JSON path into path, 0; -1 with the
 * reason written when the entity cannot have it. */
static int find_value_facet_path(enum find_entity_kind kind, const char *field, char *path, size_t path_size,
	char *why, size_t why_size)
{
	for (size_t i = 0; i < sizeof(find_value_facet_kinds) / sizeof(find_value_facet_kinds[0]); i++) {
		if (strcmp(field, find_value_facet_kinds[i].name) != 0)
			continue;
		if (find_value_facet_kinds[i].products_only && kind != FIND_PRODUCT) {
			snprintf(why, why_size, "posts have no \"%s\" facet; use categories, tags, attributes.<name> or "
				"metadata.<name>", field);
			return -1;
		}
		snprintf(path, path_size, "%s", find_value_facet_kinds[i].path);
		return 0;
	}
	static const char *const maps[] = {"attributes.", "metadata."};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		size_t prefix = strlen(maps[i]);
		if (strncmp(field, maps[i], prefix) != 0)
			continue;
		if (!find_facet_key_valid(field + prefix)) {
			snprintf(why, why_size, "\"%.40s\": the name after \"%s\" must be 1-%d letters, digits, '_' or '-'",
				field, maps[i], FIND_FACET_KEY_MAX_CHARS);
			return -1;
		}
		snprintf(path, path_size, "$.%.*s\"%.*s\"", (int)prefix, maps[i], FIND_FACET_KEY_MAX_CHARS, field + prefix);
		return 0;
	}
	snprintf(why, why_size, "\"%.20s\" is not a facet (%s)", field,
		kind == FIND_PRODUCT ? "categories, tags, brands, price, price_ranges, stock_status, on_sale, featured, type, "
				       "attributes.X, metadata.X"
				     : "categories, tags, attributes.X, metadata.X");
	return -1;
}

/* Adds a value facet to the request (once per name); -1 when full. */
static int find_value_facet_add(struct find_search_request *request, const char *field, const char *path)
{
	for (size_t i = 0; i < request->value_facet_count; i++)
		if (strcmp(request->value_facets[i].name, field) == 0)
			return 0;
	if (request->value_facet_count == FIND_VALUE_FACETS_MAX)
		return -1;
	struct find_value_facet *facet = &request->value_facets[request->value_facet_count++];
	snprintf(facet->name, sizeof(facet->name), "%s", field);
	/* Names and paths hold no character JSON must escape except the
	 * quotes of the path (find_facet_key_valid). */
	size_t used = strlen(request->value_facet_spec);
	char escaped_path[2 * sizeof(facet->name) + 16];
	size_t out = 0;
	for (const char *p = path; *p != '\0' && out + 2 < sizeof(escaped_path); p++) {
		if (*p == '"')
			escaped_path[out++] = '\\';
		escaped_path[out++] = *p;
	}
	escaped_path[out] = '\0';
	snprintf(request->value_facet_spec + used, sizeof(request->value_facet_spec) - used, "%s[\"%s\",\"%s\"]",
		used > 1 ? "," : "", facet->name, escaped_path);
	return 0;
}

static void find_parse_facet_fields(enum find_entity_kind kind, json_object *value,
	struct find_search_request *request, struct find_errors *errors)
{
	unsigned available = find_facets_of(kind);
	request->facet_mask = available;
	request->value_facet_count = 0;
	request->value_facet_spec[0] = '\0';
	if (value == NULL)
		return;
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > FIND_FACET_FIELDS_MAX) {
		find_errors_add(errors, "facetFields", "must be an array of at most %d facet names", FIND_FACET_FIELDS_MAX);
		return;
	}
	request->facet_mask = 0;
	snprintf(request->value_facet_spec, sizeof(request->value_facet_spec), "[");
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *item = json_object_array_get_idx(value, i);
		if (!json_object_is_type(item, json_type_string)) {
			find_errors_add(errors, "facetFields", "item %zu must be a facet name", i);
			return;
		}
		const char *field = json_object_get_string(item);
		int found = -1;
		for (int f = 0; f < FIND_FACET_FIELD__MAX; f++)
			if (strcmp(field, find_facet_field_names[f]) == 0)
				found = f;
		if (found >= 0 && (available & (1u << found))) {
			request->facet_mask |= 1u << found;
			continue;
		}
		char path[2 * FIND_FACET_KEY_MAX_CHARS], why[160];
		if (found >= 0) {
			snprintf(why, sizeof(why), "posts have no \"%s\" facet; use categories, tags, attributes.<name> or "
				"metadata.<name>", field);
			find_errors_add(errors, "facetFields", "%s", why);
			return;
		}
		if (find_value_facet_path(kind, field, path, sizeof(path), why, sizeof(why)) != 0) {
			find_errors_add(errors, "facetFields", "%s", why);
			return;
		}
		if (find_value_facet_add(request, field, path) != 0) {
			find_errors_add(errors, "facetFields", "at most %d facets other than categories, tags, brands and price",
				FIND_VALUE_FACETS_MAX);
			return;
		}
	}
	size_t used = strlen(request->value_facet_spec);
	snprintf(request->value_facet_spec + used, sizeof(request->value_facet_spec) - used, "]");
	if (request->value_facet_count == 0)
		request->value_facet_spec[0] = '\0';
}

int find_search_parse(enum find_entity_kind kind, json_object *body, struct find_search_request *request,
	struct find_errors *errors)
{
	static const char *const known[] = {"text", "query", "filters", "limit", "includeFacets", "facetFields", "facetSize",
		"searchContext", "useAgent"};
	memset(request, 0, sizeof(*request));
	request->kind = kind;
	request->text = "";
	request->use_agent = -1;
	find_filters_init(&request->filters);
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		find_errors_add(errors, "body", "must be a JSON object");
		return -1;
	}
	size_t errors_before = errors->count;
	json_object_object_foreach(body, key, member) {
		(void)member;
		int is_known = 0;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !is_known; i++)
			is_known = strcmp(known[i], key) == 0;
		if (!is_known)
			find_errors_add(errors, key, "is not a search parameter");
	}
	/* "query" is accepted as another name for "text". */
	json_object *text = NULL;
	if (!json_object_object_get_ex(body, "text", &text) || text == NULL)
		json_object_object_get_ex(body, "query", &text);
	if (text != NULL) {
		if (!json_object_is_type(text, json_type_string) ||
			(size_t)json_object_get_string_len(text) > FIND_SEARCH_TEXT_MAX_BYTES) {
			find_errors_add(errors, "text", "must be a string of at most %d bytes", FIND_SEARCH_TEXT_MAX_BYTES);
		} else {
			request->text = json_object_get_string(text);
			/* Blank text means everything. */
			const char *p = request->text;
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			if (*p == '\0')
				request->text = "";
		}
	}
	request->text_length = strlen(request->text);
	find_read_bounded_int(body, "limit", FIND_SEARCH_LIMIT_DEFAULT, 1, FIND_SEARCH_LIMIT_MAX, &request->limit, errors);
	find_read_bounded_int(body, "facetSize", FIND_FACET_SIZE_DEFAULT, 1, FIND_FACET_SIZE_MAX, &request->facet_size,
		errors);
	json_object *value = NULL;
	if (json_object_object_get_ex(body, "includeFacets", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_boolean))
			find_errors_add(errors, "includeFacets", "must be true or false");
		else
			request->include_facets = json_object_get_boolean(value);
	}
	value = NULL;
	json_object_object_get_ex(body, "facetFields", &value);
	find_parse_facet_fields(kind, value, request, errors);
	value = NULL;
	if (json_object_object_get_ex(body, "filters", &value) && value != NULL) {
		request->filters_given = value;
		find_search_filters_parse(kind, value, &request->filters, errors);
	}
	value = NULL;
	if (json_object_object_get_ex(body, "searchContext", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_string) || !find_search_context_valid(json_object_get_string(value)))
			find_errors_add(errors, "searchContext", "must be widget, native, chat, api, internal or unknown");
		else
			request->search_context = json_object_get_string(value);
	}
	value = NULL;
	if (json_object_object_get_ex(body, "useAgent", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_boolean))
			find_errors_add(errors, "useAgent", "must be true or false");
		else
			request->use_agent = json_object_get_boolean(value);
	}
	return errors->count > errors_before ? -1 : 0;
}

void find_search_request_release(struct find_search_request *request)
{
	find_filters_release(&request->filters);
}

/* ---------------------------------------------------------- price buckets */

const double find_price_bucket_bounds[FIND_PRICE_BUCKETS] = {0, 25, 50, 100, 250, 500};
static const char *const find_price_bucket_labels[FIND_PRICE_BUCKETS] = {"0-25", "25-50", "50-100", "100-250",
	"250-500", "500+"};

int find_price_bucket(double price)
{
	int bucket = 0;
	for (int i = 1; i < FIND_PRICE_BUCKETS; i++)
		if (price >= find_price_bucket_bounds[i])
			bucket = i;
	return bucket;
}

const char *find_price_bucket_label(int bucket)
{
	return bucket >= 0 && bucket < FIND_PRICE_BUCKETS ? find_price_bucket_labels[bucket] : NULL;
}

/* The bounds are whole currency units: written as integers. */
json_object *find_price_bucket_entry(int bucket, int64_t count, int ranged)
{
	const char *label = find_price_bucket_label(bucket);
	if (label == NULL)
		return NULL;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "key", json_object_new_string(label));
	json_object_object_add(entry, "value", json_object_new_string(label));
	if (ranged) {
		json_object_object_add(entry, "from", json_object_new_int64((int64_t)find_price_bucket_bounds[bucket]));
		if (bucket + 1 < FIND_PRICE_BUCKETS)
			json_object_object_add(entry, "to", json_object_new_int64((int64_t)find_price_bucket_bounds[bucket + 1]));
	}
	json_object_object_add(entry, "count", json_object_new_int64(count));
	return entry;
}

/* ------------------------------------------------------------- search log */

int find_search_context_valid(const char *text)
{
	static const char *const contexts[] = {"widget", "native", "chat", "api", "internal", "unknown"};
	for (size_t i = 0; text != NULL && i < sizeof(contexts) / sizeof(contexts[0]); i++)
		if (strcmp(text, contexts[i]) == 0)
			return 1;
	return 0;
}

void find_search_log_fill(struct find_search_log_entry *entry, uint64_t tenant_id, uint64_t api_key_id,
	uint64_t result_count, enum find_entity_kind kind, const char *source, const char *workspace, const char *query,
	const char *search_context)
{
	memset(entry, 0, sizeof(*entry));
	entry->tenant_id = tenant_id;
	entry->api_key_id = api_key_id;
	entry->result_count = result_count;
	snprintf(entry->entity, sizeof(entry->entity), "%s", kind == FIND_POST ? "post" : "product");
	snprintf(entry->source, sizeof(entry->source), "%s", source);
	snprintf(entry->workspace, sizeof(entry->workspace), "%s", workspace);
	snprintf(entry->search_context, sizeof(entry->search_context), "%s", search_context ? search_context : "");
	/* The cut keeps whole characters. */
	size_t keep = find_utf8_prefix(query, FIND_SEARCH_TEXT_MAX_BYTES);
	memcpy(entry->query, query, keep);
	entry->query[keep] = '\0';
}

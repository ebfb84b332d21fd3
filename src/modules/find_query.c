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

static const char *const find_facet_field_names[FIND_FACET_FIELD__MAX] = {"categories", "tags", "brands", "price"};

const char *find_facet_field_name(enum find_facet_field field)
{
	return find_facet_field_names[field];
}

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

static void find_parse_facet_fields(enum find_entity_kind kind, json_object *value, unsigned *mask,
	struct find_errors *errors)
{
	unsigned available = find_facets_of(kind);
	*mask = available;
	if (value == NULL)
		return;
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > FIND_FACET_FIELD__MAX * 2) {
		find_errors_add(errors, "facetFields", "must be an array of facet names");
		return;
	}
	*mask = 0;
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *item = json_object_array_get_idx(value, i);
		int found = -1;
		for (int f = 0; f < FIND_FACET_FIELD__MAX && json_object_is_type(item, json_type_string); f++)
			if ((available & (1u << f)) && strcmp(json_object_get_string(item), find_facet_field_names[f]) == 0)
				found = f;
		if (found < 0) {
			find_errors_add(errors, "facetFields", "unknown facet \"%.40s\"; use %s",
				json_object_is_type(item, json_type_string) ? json_object_get_string(item) : "?",
				kind == FIND_PRODUCT ? "categories, tags, brands, price" : "categories, tags");
			return;
		}
		*mask |= 1u << found;
	}
}

int find_search_parse(enum find_entity_kind kind, json_object *body, struct find_search_request *request,
	struct find_errors *errors)
{
	static const char *const known[] = {"text", "query", "filters", "limit", "includeFacets", "facetFields", "facetSize"};
	memset(request, 0, sizeof(*request));
	request->kind = kind;
	request->text = "";
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
	find_parse_facet_fields(kind, value, &request->facet_mask, errors);
	value = NULL;
	if (json_object_object_get_ex(body, "filters", &value) && value != NULL) {
		request->filters_given = value;
		find_search_filters_parse(kind, value, &request->filters, errors);
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

/* ------------------------------------------------------------- search log */

void find_search_log_fill(struct find_search_log_entry *entry, uint64_t tenant_id, uint64_t api_key_id,
	uint64_t result_count, enum find_entity_kind kind, const char *source, const char *workspace, const char *query)
{
	memset(entry, 0, sizeof(*entry));
	entry->tenant_id = tenant_id;
	entry->api_key_id = api_key_id;
	entry->result_count = result_count;
	snprintf(entry->entity, sizeof(entry->entity), "%s", kind == FIND_POST ? "post" : "product");
	snprintf(entry->source, sizeof(entry->source), "%s", source);
	snprintf(entry->workspace, sizeof(entry->workspace), "%s", workspace);
	/* The cut keeps whole characters. */
	size_t keep = find_utf8_prefix(query, FIND_SEARCH_TEXT_MAX_BYTES);
	memcpy(entry->query, query, keep);
	entry->query[keep] = '\0';
}

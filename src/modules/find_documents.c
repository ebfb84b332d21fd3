/* Validation and column extraction for find documents. One rule table per
 * entity names the fields the API knows (type, bounds, column); any other
 * member is kept in the stored document untouched. */
#include "modules/find_documents.h"
#include "core/alloc.h"
#include "http/validate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum find_rule_kind { RULE_ID, RULE_TEXT, RULE_PRICE, RULE_RATING, RULE_BOOLEAN, RULE_TERMS, RULE_PARENT };

struct find_rule {
	const char *name;
	enum find_rule_kind kind;
	int column; /* enum find_text_column / find_number_column / find_facet; -1: type check only */
	size_t max_chars; /* text: 0 = only the document cap */
	int required;
};

static const struct find_rule find_product_rules[] = {
	{"id", RULE_ID, -1, FIND_ID_MAX_CHARS, 1},
	{"name", RULE_TEXT, FIND_TEXT_TITLE, 500, 1},
	{"content", RULE_TEXT, FIND_TEXT_CONTENT, 0, 0},
	{"excerpt", RULE_TEXT, FIND_TEXT_EXCERPT, 0, 0},
	{"sku", RULE_TEXT, FIND_TEXT_SKU, 191, 0},
	{"stock_status", RULE_TEXT, FIND_TEXT_STOCK_STATUS, 32, 0},
	{"status", RULE_TEXT, FIND_TEXT_STATUS, 32, 0},
	{"url", RULE_TEXT, -1, 2048, 0},
	{"price", RULE_PRICE, FIND_NUMBER_PRICE, 0, 0},
	{"sale_price", RULE_PRICE, FIND_NUMBER_SALE_PRICE, 0, 0},
	{"regular_price", RULE_PRICE, FIND_NUMBER_REGULAR_PRICE, 0, 0},
	{"rating", RULE_RATING, FIND_NUMBER_RATING, 0, 0},
	{"on_sale", RULE_BOOLEAN, 0, 0, 0},
	{"categories", RULE_TERMS, FIND_FACET_CATEGORIES, 0, 0},
	{"tags", RULE_TERMS, FIND_FACET_TAGS, 0, 0},
	{"brands", RULE_TERMS, FIND_FACET_BRANDS, 0, 0},
};

static const struct find_rule find_post_rules[] = {
	{"id", RULE_ID, -1, FIND_ID_MAX_CHARS, 1},
	{"title", RULE_TEXT, FIND_TEXT_TITLE, 500, 1},
	{"content", RULE_TEXT, FIND_TEXT_CONTENT, 0, 0},
	{"excerpt", RULE_TEXT, FIND_TEXT_EXCERPT, 0, 0},
	{"url", RULE_TEXT, FIND_TEXT_URL, 2048, 0},
	{"status", RULE_TEXT, FIND_TEXT_STATUS, 32, 0},
	{"author_name", RULE_TEXT, FIND_TEXT_AUTHOR_NAME, 200, 0},
	{"categories", RULE_TERMS, FIND_FACET_CATEGORIES, 0, 0},
	{"tags", RULE_TERMS, FIND_FACET_TAGS, 0, 0},
};

static const struct find_rule find_taxonomy_rules[] = {
	{"id", RULE_ID, -1, FIND_ID_MAX_CHARS, 1},
	{"name", RULE_TEXT, FIND_TEXT_TITLE, 500, 1},
	{"slug", RULE_TEXT, FIND_TEXT_SLUG, 191, 0},
	{"taxonomyName", RULE_TEXT, FIND_TEXT_TAXONOMY_NAME, 100, 0},
	{"parent", RULE_PARENT, FIND_TEXT_PARENT, 191, 0},
	{"description", RULE_TEXT, -1, 0, 0},
};

static const struct {
	const struct find_rule *rules;
	size_t rule_count;
	const char *singular, *plural, *title;
} find_entities[FIND_ENTITY__MAX] = {
	[FIND_PRODUCT] = {find_product_rules, sizeof(find_product_rules) / sizeof(find_product_rules[0]), "product",
		"products", "Product"},
	[FIND_POST] = {find_post_rules, sizeof(find_post_rules) / sizeof(find_post_rules[0]), "post", "posts", "Post"},
	[FIND_TAXONOMY] = {find_taxonomy_rules, sizeof(find_taxonomy_rules) / sizeof(find_taxonomy_rules[0]), "taxonomy",
		"taxonomies", "Taxonomy"},
};

static const char *const find_facet_names[FIND_FACET__MAX] = {"categories", "tags", "brands"};

const char *find_entity_singular(enum find_entity_kind kind)
{
	return find_entities[kind].singular;
}

const char *find_entity_plural(enum find_entity_kind kind)
{
	return find_entities[kind].plural;
}

const char *find_entity_title(enum find_entity_kind kind)
{
	return find_entities[kind].title;
}

const char *find_facet_name(enum find_facet facet)
{
	return find_facet_names[facet];
}

int find_entity_has_facet(enum find_entity_kind kind, enum find_facet facet)
{
	if (kind == FIND_TAXONOMY)
		return 0;
	return facet != FIND_FACET_BRANDS || kind == FIND_PRODUCT;
}

void find_errors_add(struct find_errors *errors, const char *field, const char *format, ...)
{
	if (errors->count == FIND_ERRORS_MAX)
		return;
	struct find_field_error *item = &errors->items[errors->count++];
	snprintf(item->field, sizeof(item->field), "%s", field);
	va_list args;
	va_start(args, format);
	vsnprintf(item->message, sizeof(item->message), format, args);
	va_end(args);
}

void find_errors_summary(const struct find_errors *errors, char *out, size_t out_size)
{
	size_t used = 0;
	if (out_size == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < errors->count && used < out_size; i++) {
		int written = snprintf(out + used, out_size - used, "%s%s: %s", i ? "; " : "", errors->items[i].field,
			errors->items[i].message);
		if (written < 0)
			break;
		used += (size_t)written;
	}
}

size_t find_utf8_chars(const char *text)
{
	size_t count = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		count += (*p & 0xC0) != 0x80;
	return count;
}

size_t find_utf8_prefix(const char *text, size_t max_bytes)
{
	size_t length = strlen(text);
	if (length <= max_bytes)
		return length;
	size_t cut = max_bytes;
	while (cut > 0 && (((const unsigned char *)text)[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

int find_id_valid(const char *id)
{
	if (id == NULL || id[0] == '\0' || find_utf8_chars(id) > FIND_ID_MAX_CHARS)
		return 0;
	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int find_cap_allows(int64_t live_rows_after, uint32_t cap)
{
	return live_rows_after <= (int64_t)cap;
}

void find_columns_release(struct find_columns *columns)
{
	for (size_t i = 0; i < FIND_FACET__MAX; i++) {
		free(columns->joined_terms[i]);
		columns->joined_terms[i] = NULL;
	}
	free(columns->term_rows);
	free(columns->document);
	columns->term_rows = NULL;
	columns->document = NULL;
}

/* JSON number, or a string holding one (shops often send "19.99"); "" and null are absent. */
static int find_read_number(json_object *value, double *out, int *present)
{
	*present = 0;
	if (value == NULL)
		return 0;
	if (json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)) {
		*out = json_object_get_double(value);
		*present = 1;
		return isfinite(*out) ? 0 : -1;
	}
	if (!json_object_is_type(value, json_type_string))
		return -1;
	const char *text = json_object_get_string(value);
	if (text[0] == '\0')
		return 0;
	char *end = NULL;
	double number = strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(number) || strpbrk(text, "xXnNiI") != NULL)
		return -1;
	*out = number;
	*present = 1;
	return 0;
}

static void find_check_text(const struct find_rule *rule, json_object *value, struct find_columns *columns,
	struct find_errors *errors)
{
	if (!json_object_is_type(value, json_type_string)) {
		find_errors_add(errors, rule->name, "must be a string");
		return;
	}
	const char *text = json_object_get_string(value);
	if (rule->required && text[0] == '\0') {
		find_errors_add(errors, rule->name, "must not be empty");
		return;
	}
	if (rule->max_chars > 0 && find_utf8_chars(text) > rule->max_chars) {
		find_errors_add(errors, rule->name, "must be at most %zu characters", rule->max_chars);
		return;
	}
	if (rule->column >= 0)
		columns->text[rule->column] = text;
}

/* A term list: a string or an array of strings; a single string is turned
 * into a one-item array in the document. Exact duplicates are dropped. */
static void find_check_terms(const struct find_rule *rule, json_object *entity, json_object *value,
	struct find_columns *columns, struct find_errors *errors)
{
	if (json_object_is_type(value, json_type_string)) {
		json_object *array = json_object_new_array();
		json_object_array_add(array, json_object_new_string(json_object_get_string(value)));
		json_object_object_add(entity, rule->name, array);
		value = array;
	}
	if (!json_object_is_type(value, json_type_array)) {
		find_errors_add(errors, rule->name, "must be a string or an array of strings");
		return;
	}
	size_t length = json_object_array_length(value);
	if (length > FIND_TERMS_PER_FACET_MAX) {
		find_errors_add(errors, rule->name, "must have at most %d items", FIND_TERMS_PER_FACET_MAX);
		return;
	}
	struct find_term_list *list = &columns->terms[rule->column];
	for (size_t i = 0; i < length; i++) {
		json_object *item = json_object_array_get_idx(value, i);
		if (!json_object_is_type(item, json_type_string) || json_object_get_string_len(item) == 0 ||
			find_utf8_chars(json_object_get_string(item)) > FIND_TERM_MAX_CHARS) {
			find_errors_add(errors, rule->name, "items must be non-empty strings of at most %d characters",
				FIND_TERM_MAX_CHARS);
			list->count = 0;
			return;
		}
		const char *term = json_object_get_string(item);
		int duplicate = 0;
		for (size_t j = 0; j < list->count && !duplicate; j++)
			duplicate = strcmp(list->terms[j], term) == 0;
		if (!duplicate)
			list->terms[list->count++] = term;
	}
}

static void find_check_field(const struct find_rule *rule, json_object *entity, json_object *value,
	struct find_columns *columns, struct find_errors *errors)
{
	double number = 0;
	int present = 0;
	switch (rule->kind) {
	case RULE_ID:
		break; /* read before the other fields */
	case RULE_TEXT:
		find_check_text(rule, value, columns, errors);
		break;
	case RULE_PRICE:
	case RULE_RATING: {
		double max = rule->kind == RULE_PRICE ? FIND_PRICE_MAX : FIND_RATING_MAX;
		if (find_read_number(value, &number, &present) != 0 || (present && (number < 0 || number > max))) {
			find_errors_add(errors, rule->name, "must be a number from 0 to %.0f", max);
			break;
		}
		columns->has_number[rule->column] = present;
		columns->number[rule->column] = number;
		snprintf(columns->number_text[rule->column], sizeof(columns->number_text[rule->column]), "%.4f", number);
		break;
	}
	case RULE_BOOLEAN:
		if (!json_object_is_type(value, json_type_boolean))
			find_errors_add(errors, rule->name, "must be true or false");
		else
			columns->on_sale = json_object_get_boolean(value) ? 1 : 0;
		break;
	case RULE_TERMS:
		find_check_terms(rule, entity, value, columns, errors);
		break;
	case RULE_PARENT:
		/* WordPress sends parent ids as numbers; the column keeps their text. */
		if (json_object_is_type(value, json_type_int)) {
			const char *text = json_object_get_string(value);
			columns->text[rule->column] = strcmp(text, "0") == 0 ? "" : text;
		} else {
			find_check_text(rule, value, columns, errors);
		}
		break;
	}
}

/* The id: a string, or an integer turned into one in the document. */
static void find_check_id(json_object *entity, struct find_columns *columns, struct find_errors *errors)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(entity, "id", &value) || value == NULL) {
		find_errors_add(errors, "id", "is required");
		return;
	}
	if (json_object_is_type(value, json_type_int)) {
		json_object *text = json_object_new_string(json_object_get_string(value));
		json_object_object_add(entity, "id", text);
		value = text;
	}
	if (!json_object_is_type(value, json_type_string) || !find_id_valid(json_object_get_string(value))) {
		find_errors_add(errors, "id", "must be a string of 1-%d characters without control characters",
			FIND_ID_MAX_CHARS);
		return;
	}
	if (!validate_path_segment_reachable(json_object_get_string(value))) {
		find_errors_add(errors, "id", "must not be \".\" or \"..\": no URL can name it, so the document "
			"could not be read or deleted by id");
		return;
	}
	columns->id = json_object_get_string(value);
}

static char *find_join_terms(const struct find_term_list *list)
{
	size_t size = 1;
	for (size_t i = 0; i < list->count; i++)
		size += strlen(list->terms[i]) + 3;
	char *joined = xmalloc(size);
	size_t used = 0;
	joined[0] = '\0';
	for (size_t i = 0; i < list->count; i++)
		used += (size_t)snprintf(joined + used, size - used, "%s%s", i ? " | " : "", list->terms[i]);
	return joined;
}

static char *find_term_rows(const struct find_columns *columns)
{
	json_object *rows = json_object_new_array();
	for (int facet = 0; facet < FIND_FACET__MAX; facet++) {
		for (size_t i = 0; i < columns->terms[facet].count; i++) {
			json_object *row = json_object_new_array();
			json_object_array_add(row, json_object_new_string(find_facet_names[facet]));
			json_object_array_add(row, json_object_new_string(columns->terms[facet].terms[i]));
			json_object_array_add(rows, row);
		}
	}
	char *text = xstrdup(json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PLAIN));
	json_object_put(rows);
	return text;
}

int find_document_parse(enum find_entity_kind kind, json_object *entity, struct find_columns *columns,
	struct find_errors *errors)
{
	memset(columns, 0, sizeof(*columns));
	columns->kind = kind;
	for (size_t i = 0; i < FIND_TEXT__MAX; i++)
		columns->text[i] = "";
	if (entity == NULL || !json_object_is_type(entity, json_type_object)) {
		find_errors_add(errors, "entity", "must be a JSON object");
		return -1;
	}
	size_t errors_before = errors->count;
	find_check_id(entity, columns, errors);
	const struct find_rule *rules = find_entities[kind].rules;
	for (size_t i = 0; i < find_entities[kind].rule_count; i++) {
		const struct find_rule *rule = &rules[i];
		if (rule->kind == RULE_ID)
			continue;
		json_object *value = NULL;
		json_object_object_get_ex(entity, rule->name, &value);
		if (value == NULL) { /* absent or null */
			if (rule->required)
				find_errors_add(errors, rule->name, "is required");
			continue;
		}
		find_check_field(rule, entity, value, columns, errors);
	}
	if (errors->count > errors_before)
		return -1;
	const char *document = json_object_to_json_string_ext(entity, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t length = strlen(document);
	if (length > FIND_DOCUMENT_MAX_BYTES) {
		find_errors_add(errors, "document", "is %zu bytes; the limit is %d", length, FIND_DOCUMENT_MAX_BYTES);
		return -1;
	}
	columns->document = xstrdup(document);
	columns->document_length = length;
	for (int facet = 0; facet < FIND_FACET__MAX; facet++)
		columns->joined_terms[facet] = find_join_terms(&columns->terms[facet]);
	columns->term_rows = find_term_rows(columns);
	return 0;
}

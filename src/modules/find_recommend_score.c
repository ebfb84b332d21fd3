/* Scoring and ranking of recommendation candidates, and the request's
 * own rules (productFilter) that the declarative input spec cannot say. */
#include "modules/find_recommend_score.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIND_RECOMMEND_PRICE_MAX 99999999999.0 /* DECIMAL(15,4) */
#define FIND_RECOMMEND_STOCK_STATUS_MAX 32

const struct find_recommend_weights find_recommend_default_weights = {{0.35, 0.2, 0.25, 0.2}};

const char *find_signal_name(enum find_signal signal)
{
	static const char *const names[FIND_SIGNAL__MAX] = {"categories", "tags", "brands", "cooccurrence"};
	return signal < FIND_SIGNAL__MAX ? names[signal] : "";
}

const char *find_signal_reason(enum find_signal signal)
{
	static const char *const reasons[FIND_SIGNAL__MAX] = {"shared_categories", "shared_tags", "shared_brands",
		"viewed_together"};
	return signal < FIND_SIGNAL__MAX ? reasons[signal] : "";
}

double find_recommend_score(const struct find_recommend_candidate *candidate,
	const struct find_recommend_source *source, const struct find_recommend_weights *weights, unsigned *reasons)
{
	double score = 0.0;
	unsigned contributed = 0;
	for (int signal = 0; signal < FIND_SIGNAL__MAX; signal++) {
		unsigned shared = candidate->shared[signal];
		if (shared == 0 || weights->weight[signal] <= 0.0)
			continue;
		unsigned whole = signal == FIND_SIGNAL_COOCCURRENCE ? FIND_RECOMMEND_COOCCURRENCE_SATURATION
								      : source->term_count[signal];
		if (whole == 0)
			continue;
		double strength = shared >= whole ? 1.0 : (double)shared / (double)whole;
		score += weights->weight[signal] * strength;
		contributed |= 1u << signal;
	}
	if (reasons != NULL)
		*reasons = contributed;
	/* Four decimals: equal evidence must tie exactly, whatever the summing order. */
	return (double)(int64_t)(score * 10000.0 + 0.5) / 10000.0;
}

static int find_recommend_is_excluded(const char *product_id, const char *source_id, const char *const *excluded_ids,
	size_t excluded_count)
{
	if (source_id != NULL && strcmp(product_id, source_id) == 0)
		return 1;
	for (size_t i = 0; i < excluded_count; i++)
		if (strcmp(product_id, excluded_ids[i]) == 0)
			return 1;
	return 0;
}

static int find_recommend_order(const void *left, const void *right)
{
	const struct find_recommend_candidate *a = left, *b = right;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->product_id, b->product_id);
}

size_t find_recommend_rank(struct find_recommend_candidate *candidates, size_t count,
	const struct find_recommend_source *source, const struct find_recommend_weights *weights,
	const char *source_id, const char *const *excluded_ids, size_t excluded_count)
{
	size_t qualifying = 0;
	for (size_t i = 0; i < count; i++) {
		struct find_recommend_candidate *candidate = &candidates[i];
		candidate->score = find_recommend_score(candidate, source, weights, &candidate->reasons);
		if (!candidate->passes_filter || candidate->score <= 0.0 ||
			find_recommend_is_excluded(candidate->product_id, source_id, excluded_ids, excluded_count))
			continue;
		if (i != qualifying) {
			struct find_recommend_candidate swap = candidates[qualifying];
			candidates[qualifying] = *candidate;
			*candidate = swap;
		}
		qualifying++;
	}
	/* qsort wants a real array even for zero items (candidates may be NULL then). */
	if (qualifying > 1)
		qsort(candidates, qualifying, sizeof(*candidates), find_recommend_order);
	return qualifying;
}

int find_recommend_needs_fallback(size_t qualifying_count)
{
	return qualifying_count == 0;
}

/* ------------------------------------------------------------- request */

static int find_recommend_fail(char *bad_field, size_t bad_field_size, const char *field, char *issue,
	size_t issue_size, const char *text)
{
	snprintf(bad_field, bad_field_size, "%s", field);
	snprintf(issue, issue_size, "%s", text);
	return -1;
}

/* A term list: an array of 1-50 non-empty strings (a single string is
 * taken as a list of one and rewritten so in the body). */
static const char *find_recommend_term_list(json_object *filter, const char *name, int *bad)
{
	json_object *value = NULL;
	*bad = 0;
	if (!json_object_object_get_ex(filter, name, &value) || value == NULL)
		return NULL;
	if (json_object_is_type(value, json_type_string)) {
		json_object *list = json_object_new_array();
		json_object_array_add(list, json_object_get(value));
		json_object_object_add(filter, name, list);
		value = list;
	}
	if (!json_object_is_type(value, json_type_array)) {
		*bad = 1;
		return NULL;
	}
	size_t count = json_object_array_length(value);
	if (count == 0 || count > FIND_RECOMMEND_FILTER_TERMS_MAX) {
		*bad = 1;
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		json_object *item = json_object_array_get_idx(value, i);
		if (!json_object_is_type(item, json_type_string) || json_object_get_string_len(item) == 0 ||
			json_object_get_string_len(item) > FIND_RECOMMEND_ID_MAX ||
			strlen(json_object_get_string(item)) != (size_t)json_object_get_string_len(item)) {
			*bad = 1;
			return NULL;
		}
	}
	return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
}

static int find_recommend_price(json_object *filter, const char *name, int *has, char *text, size_t text_size,
	double *value_out)
{
	json_object *value = NULL;
	*has = 0;
	if (!json_object_object_get_ex(filter, name, &value) || value == NULL)
		return 0;
	if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
		return -1;
	double number = json_object_get_double(value);
	if (!isfinite(number) || number < 0.0 || number > FIND_RECOMMEND_PRICE_MAX)
		return -1;
	*has = 1;
	*value_out = number;
	snprintf(text, text_size, "%.4f", number);
	return 0;
}

static int find_recommend_parse_filter(json_object *filter, struct find_product_filter *out, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size)
{
	static const char *const known[] = {"categories", "tags", "brands", "on_sale", "stock_status", "min_price",
		"max_price"};
	json_object_object_foreach(filter, key, unused)
	{
		(void)unused;
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], key) != 0)
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			char field[80];
			snprintf(field, sizeof(field), "productFilter.%.48s", key);
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"is not a known filter (categories, tags, brands, on_sale, stock_status, min_price, max_price)");
		}
	}
	for (int facet = 0; facet < FIND_SIGNAL_TERM_FACETS; facet++) {
		int bad = 0;
		const char *name = find_signal_name((enum find_signal)facet);
		out->terms_json[facet] = find_recommend_term_list(filter, name, &bad);
		if (bad) {
			char field[48];
			snprintf(field, sizeof(field), "productFilter.%s", name);
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"must be a string or 1 to 50 non-empty strings of at most 191 bytes");
		}
	}
	json_object *value = NULL;
	out->on_sale = -1;
	if (json_object_object_get_ex(filter, "on_sale", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_boolean))
			return find_recommend_fail(bad_field, bad_field_size, "productFilter.on_sale", issue, issue_size,
				"must be true or false");
		out->on_sale = json_object_get_boolean(value) ? 1 : 0;
	}
	out->stock_status = NULL;
	if (json_object_object_get_ex(filter, "stock_status", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_string) || json_object_get_string_len(value) == 0 ||
			json_object_get_string_len(value) > FIND_RECOMMEND_STOCK_STATUS_MAX)
			return find_recommend_fail(bad_field, bad_field_size, "productFilter.stock_status", issue, issue_size,
				"must be a string of 1 to 32 characters");
		out->stock_status = json_object_get_string(value);
	}
	double min_price = 0.0, max_price = 0.0;
	if (find_recommend_price(filter, "min_price", &out->has_min_price, out->min_price_text,
		    sizeof(out->min_price_text), &min_price) != 0)
		return find_recommend_fail(bad_field, bad_field_size, "productFilter.min_price", issue, issue_size,
			"must be a number from 0");
	if (find_recommend_price(filter, "max_price", &out->has_max_price, out->max_price_text,
		    sizeof(out->max_price_text), &max_price) != 0)
		return find_recommend_fail(bad_field, bad_field_size, "productFilter.max_price", issue, issue_size,
			"must be a number from 0");
	if (out->has_min_price && out->has_max_price && min_price > max_price)
		return find_recommend_fail(bad_field, bad_field_size, "productFilter.max_price", issue, issue_size,
			"must not be below min_price");
	return 0;
}

int find_recommend_parse(json_object *body, struct find_recommend_request *request, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size)
{
	memset(request, 0, sizeof(*request));
	request->filter.on_sale = -1;
	json_object *value = NULL;
	if (!json_object_object_get_ex(body, "productId", &value) || !json_object_is_type(value, json_type_string) ||
		json_object_get_string_len(value) == 0 || json_object_get_string_len(value) > FIND_RECOMMEND_ID_MAX)
		return find_recommend_fail(bad_field, bad_field_size, "productId", issue, issue_size,
			"is required: 1 to 191 characters");
	request->product_id = json_object_get_string(value);

	request->max_recommendations = FIND_RECOMMEND_DEFAULT_COUNT;
	if (json_object_object_get_ex(body, "maxRecommendations", &value) && value != NULL) {
		int64_t count = json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : 0;
		if (count < 1 || count > FIND_RECOMMEND_MAX_COUNT)
			return find_recommend_fail(bad_field, bad_field_size, "maxRecommendations", issue, issue_size,
				"must be an integer from 1 to 50");
		request->max_recommendations = (int)count;
	}

	if (json_object_object_get_ex(body, "excludeProductIds", &value) && value != NULL) {
		size_t count = json_object_is_type(value, json_type_array) ? json_object_array_length(value) : SIZE_MAX;
		if (count > FIND_RECOMMEND_MAX_EXCLUDED)
			return find_recommend_fail(bad_field, bad_field_size, "excludeProductIds", issue, issue_size,
				"must be an array of at most 100 product ids");
		for (size_t i = 0; i < count; i++) {
			json_object *item = json_object_array_get_idx(value, i);
			if (!json_object_is_type(item, json_type_string) || json_object_get_string_len(item) == 0 ||
				json_object_get_string_len(item) > FIND_RECOMMEND_ID_MAX)
				return find_recommend_fail(bad_field, bad_field_size, "excludeProductIds", issue, issue_size,
					"every item must be a product id of 1 to 191 characters");
			request->excluded_ids[request->excluded_count++] = json_object_get_string(item);
		}
	}

	if (json_object_object_get_ex(body, "productFilter", &value) && value != NULL) {
		if (!json_object_is_type(value, json_type_object))
			return find_recommend_fail(bad_field, bad_field_size, "productFilter", issue, issue_size,
				"must be an object");
		return find_recommend_parse_filter(value, &request->filter, bad_field, bad_field_size, issue, issue_size);
	}
	return 0;
}

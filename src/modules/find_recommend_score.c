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

const struct find_recommend_weights find_recommend_default_weights = {{
	[FIND_SIGNAL_CATEGORIES] = 0.35,
	[FIND_SIGNAL_TAGS] = 0.2,
	[FIND_SIGNAL_BRANDS] = 0.25,
	[FIND_SIGNAL_COOCCURRENCE] = 0.2,
	[FIND_SIGNAL_MEMORY] = 0.0,
}};

const char *find_signal_name(enum find_signal signal)
{
	static const char *const names[FIND_SIGNAL__MAX] = {"categories", "tags", "brands", "cooccurrence", "memory"};
	return signal < FIND_SIGNAL__MAX ? names[signal] : "";
}

const char *find_signal_reason(enum find_signal signal)
{
	static const char *const reasons[FIND_SIGNAL__MAX] = {"shared_categories", "shared_tags", "shared_brands",
		"viewed_together", "seen_by_visitor"};
	return signal < FIND_SIGNAL__MAX ? reasons[signal] : "";
}

const char *find_weight_group_name(enum find_weight_group group)
{
	static const char *const names[FIND_WEIGHT__GROUPS] = {"similarProducts", "basketAffinity", "memoryBased"};
	return group < FIND_WEIGHT__GROUPS ? names[group] : "";
}

int find_recommend_effective_weights(const struct find_recommend_request *request,
	struct find_recommend_weights *weights, double groups[FIND_WEIGHT__GROUPS])
{
	const double term_share = find_recommend_default_weights.weight[FIND_SIGNAL_CATEGORIES] +
		find_recommend_default_weights.weight[FIND_SIGNAL_TAGS] + find_recommend_default_weights.weight[FIND_SIGNAL_BRANDS];
	double given[FIND_WEIGHT__GROUPS] = {
		[FIND_WEIGHT_SIMILAR] = term_share,
		[FIND_WEIGHT_BASKET] = find_recommend_default_weights.weight[FIND_SIGNAL_COOCCURRENCE],
		/* Memory needs a visitor; with one it weighs as much as baskets. */
		[FIND_WEIGHT_MEMORY] = request->user_id != NULL ? find_recommend_default_weights.weight[FIND_SIGNAL_COOCCURRENCE]
							  : 0.0,
	};
	int any_given = 0;
	for (int group = 0; group < FIND_WEIGHT__GROUPS; group++) {
		if (request->has_weight[group]) {
			given[group] = request->weight[group];
			any_given = 1;
		}
	}
	double sum = 0.0;
	for (int group = 0; group < FIND_WEIGHT__GROUPS; group++)
		sum += given[group];
	if (sum <= 0.0)
		return -1;
	for (int group = 0; group < FIND_WEIGHT__GROUPS; group++)
		groups[group] = given[group] / sum;
	/* The defaults as they are, so the usual request scores exactly as before. */
	if (!any_given && request->user_id == NULL) {
		*weights = find_recommend_default_weights;
		return 0;
	}
	memset(weights, 0, sizeof(*weights));
	for (int signal = 0; signal < FIND_SIGNAL_TERM_FACETS; signal++)
		weights->weight[signal] = groups[FIND_WEIGHT_SIMILAR] * find_recommend_default_weights.weight[signal] / term_share;
	weights->weight[FIND_SIGNAL_COOCCURRENCE] = groups[FIND_WEIGHT_BASKET];
	weights->weight[FIND_SIGNAL_MEMORY] = groups[FIND_WEIGHT_MEMORY];
	return 0;
}

double find_recommend_score(const struct find_recommend_candidate *candidate,
	const struct find_recommend_source *source, const struct find_recommend_weights *weights, unsigned *reasons)
{
	double score = 0.0;
	unsigned contributed = 0;
	for (int signal = 0; signal < FIND_SIGNAL__MAX; signal++) {
		double shared = candidate->shared[signal];
		if (signal == FIND_SIGNAL_COOCCURRENCE)
			shared += candidate->basket_frequency;
		if (shared <= 0.0 || weights->weight[signal] <= 0.0)
			continue;
		unsigned whole = signal >= FIND_SIGNAL_TERM_FACETS ? FIND_RECOMMEND_COOCCURRENCE_SATURATION
								   : source->term_count[signal];
		if (whole == 0)
			continue;
		double strength = shared >= whole ? 1.0 : shared / (double)whole;
		score += weights->weight[signal] * strength;
		contributed |= 1u << signal;
	}
	if (source->semantic) {
		double similarity = candidate->similarity > 0 ? candidate->similarity : 0;
		score = (1.0 - FIND_RECOMMEND_SEMANTIC_WEIGHT) * score + FIND_RECOMMEND_SEMANTIC_WEIGHT * similarity;
		if (similarity > 0)
			contributed |= FIND_RECOMMEND_REASON_SEMANTIC;
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
	/* complimentaryProducts first, in the order the client listed them. */
	if ((a->complementary_rank > 0) != (b->complementary_rank > 0))
		return a->complementary_rank > 0 ? -1 : 1;
	if (a->complementary_rank != b->complementary_rank)
		return a->complementary_rank < b->complementary_rank ? -1 : 1;
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
		if (!candidate->passes_filter || (candidate->score <= 0.0 && candidate->complementary_rank == 0) ||
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

static int find_recommend_id_valid(json_object *item)
{
	return json_object_is_type(item, json_type_string) && json_object_get_string_len(item) > 0 &&
		json_object_get_string_len(item) <= FIND_RECOMMEND_ID_MAX &&
		strlen(json_object_get_string(item)) == (size_t)json_object_get_string_len(item);
}

/* weights {similarProducts, basketAffinity, memoryBased}: numbers 0-1000. */
static int find_recommend_parse_weights(json_object *value, struct find_recommend_request *request, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size)
{
	if (!json_object_is_type(value, json_type_object))
		return find_recommend_fail(bad_field, bad_field_size, "weights", issue, issue_size, "must be an object");
	json_object_object_foreach(value, key, weight)
	{
		int group = 0;
		while (group < FIND_WEIGHT__GROUPS && strcmp(find_weight_group_name((enum find_weight_group)group), key) != 0)
			group++;
		char field[80];
		snprintf(field, sizeof(field), "weights.%.48s", key);
		if (group == FIND_WEIGHT__GROUPS)
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"is not a weight (similarProducts, basketAffinity, memoryBased)");
		if (weight == NULL)
			continue;
		double number = json_object_is_type(weight, json_type_int) || json_object_is_type(weight, json_type_double)
			? json_object_get_double(weight) : -1.0;
		if (!isfinite(number) || number < 0.0 || number > FIND_RECOMMEND_MAX_WEIGHT)
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"must be a number from 0 to 1000");
		request->has_weight[group] = 1;
		request->weight[group] = number;
	}
	return 0;
}

/* basketAffinity [{productId, frequency}]: at most 50 items. */
static int find_recommend_parse_basket(json_object *value, struct find_recommend_request *request, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size)
{
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > FIND_RECOMMEND_MAX_BASKET)
		return find_recommend_fail(bad_field, bad_field_size, "basketAffinity", issue, issue_size,
			"must be an array of at most 50 {productId, frequency}");
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *item = json_object_array_get_idx(value, i), *id = NULL, *frequency = NULL;
		char field[64];
		snprintf(field, sizeof(field), "basketAffinity.%zu", i);
		if (!json_object_is_type(item, json_type_object))
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"must be an object {productId, frequency}");
		json_object_object_foreach(item, key, unused)
		{
			(void)unused;
			if (strcmp(key, "productId") != 0 && strcmp(key, "frequency") != 0)
				return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
					"has a member other than productId and frequency");
		}
		json_object_object_get_ex(item, "productId", &id);
		json_object_object_get_ex(item, "frequency", &frequency);
		if (id == NULL || !find_recommend_id_valid(id))
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"productId must be a product id of 1 to 191 characters");
		double number = frequency != NULL &&
			(json_object_is_type(frequency, json_type_int) || json_object_is_type(frequency, json_type_double))
			? json_object_get_double(frequency) : -1.0;
		if (!isfinite(number) || number < 0.0 || number > FIND_RECOMMEND_MAX_FREQUENCY)
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size,
				"frequency must be a number from 0 to 1000000");
		request->basket[request->basket_count].product_id = json_object_get_string(id);
		request->basket[request->basket_count].frequency = number;
		request->basket_count++;
	}
	return 0;
}

int find_recommend_parse(json_object *body, struct find_recommend_request *request, char *bad_field,
	size_t bad_field_size, char *issue, size_t issue_size)
{
	static const char *const known[] = {"productId", "maxRecommendations", "excludeProductIds", "productFilter",
		"userId", "weights", "basketAffinity", "complimentaryProducts"};
	memset(request, 0, sizeof(*request));
	request->filter.on_sale = -1;
	json_object *value = NULL;
	json_object_object_foreach(body, member, unused)
	{
		(void)unused;
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], member) != 0)
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			char field[64];
			snprintf(field, sizeof(field), "%.48s", member);
			return find_recommend_fail(bad_field, bad_field_size, field, issue, issue_size, "is not a known field");
		}
	}
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
		if (find_recommend_parse_filter(value, &request->filter, bad_field, bad_field_size, issue, issue_size) != 0)
			return -1;
	}

	value = NULL;
	if (json_object_object_get_ex(body, "userId", &value) && value != NULL) {
		if (!find_recommend_id_valid(value))
			return find_recommend_fail(bad_field, bad_field_size, "userId", issue, issue_size,
				"must be a visitor id of 1 to 191 characters");
		request->user_id = json_object_get_string(value);
	}
	value = NULL;
	if (json_object_object_get_ex(body, "weights", &value) && value != NULL &&
		find_recommend_parse_weights(value, request, bad_field, bad_field_size, issue, issue_size) != 0)
		return -1;
	value = NULL;
	if (json_object_object_get_ex(body, "basketAffinity", &value) && value != NULL &&
		find_recommend_parse_basket(value, request, bad_field, bad_field_size, issue, issue_size) != 0)
		return -1;
	value = NULL;
	if (json_object_object_get_ex(body, "complimentaryProducts", &value) && value != NULL) {
		size_t count = json_object_is_type(value, json_type_array) ? json_object_array_length(value) : SIZE_MAX;
		if (count > FIND_RECOMMEND_MAX_COMPLEMENTARY)
			return find_recommend_fail(bad_field, bad_field_size, "complimentaryProducts", issue, issue_size,
				"must be an array of at most 50 product ids");
		for (size_t i = 0; i < count; i++) {
			json_object *item = json_object_array_get_idx(value, i);
			if (!find_recommend_id_valid(item))
				return find_recommend_fail(bad_field, bad_field_size, "complimentaryProducts", issue, issue_size,
					"every item must be a product id of 1 to 191 characters");
			request->complementary_ids[request->complementary_count++] = json_object_get_string(item);
		}
	}
	struct find_recommend_weights weights;
	double groups[FIND_WEIGHT__GROUPS];
	if (find_recommend_effective_weights(request, &weights, groups) != 0)
		return find_recommend_fail(bad_field, bad_field_size, "weights", issue, issue_size,
			"at least one weight must be above 0");
	return 0;
}

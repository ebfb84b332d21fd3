/* Find API insights logic: UTC days and ranges, period buckets, rates,
 * query parameters and thread ids, object fields in input specs, and the
 * recommendation scorer (weights, exclusions, ties, fallback) with its
 * request parsing. */
#include "unit_suites.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/find_insights.h"
#include "modules/find_recommend_score.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- days */

static void days_parse_and_format_round_trip_across_leap_years(void)
{
	char text[FIND_DAY_TEXT_SIZE];
	CU_ASSERT_EQUAL(find_day_parse("1970-01-01"), 0);
	CU_ASSERT_EQUAL(find_day_parse("1970-01-02"), 1);
	CU_ASSERT_EQUAL(find_day_parse("2000-03-01") - find_day_parse("2000-02-28"), 2); /* 2000 is leap */
	CU_ASSERT_EQUAL(find_day_parse("2100-03-01") - find_day_parse("2100-02-28"), 1); /* 2100 is not */
	CU_ASSERT_EQUAL(find_day_parse("2026-11-23"), 20780);
	find_day_format(20780, text);
	CU_ASSERT_STRING_EQUAL(text, "2026-11-23");
	for (int64_t day = 10950; day < 10950 + 1500; day += 7) {
		find_day_format(day, text);
		CU_ASSERT_EQUAL(find_day_parse(text), day);
	}
	CU_ASSERT_EQUAL(find_day_parse("2026-02-29"), -1);
	CU_ASSERT_EQUAL(find_day_parse("2026-1-01"), -1);
	CU_ASSERT_EQUAL(find_day_parse("yesterday"), -1);
	CU_ASSERT_EQUAL(find_day_parse(NULL), -1);
}

static void unix_time_falls_on_its_utc_day(void)
{
	CU_ASSERT_EQUAL(find_day_of(0), 0);
	CU_ASSERT_EQUAL(find_day_of(86399), 0);
	CU_ASSERT_EQUAL(find_day_of(86400), 1);
	CU_ASSERT_EQUAL(find_day_of(-1), -1);
	CU_ASSERT_EQUAL(find_day_of(1795392000 + 3600), 20780); /* 2026-11-23 01:00 UTC */
}

static void date_range_is_inclusive_and_refuses_bad_or_reversed_dates(void)
{
	struct find_day_range range;
	const char *bad = NULL;
	char first[FIND_DAY_TEXT_SIZE], end[FIND_DAY_TEXT_SIZE];
	CU_ASSERT_EQUAL(find_day_range_parse("2026-11-01", "2026-11-30", &range, &bad), 0);
	find_day_range_bounds(&range, first, end);
	CU_ASSERT_STRING_EQUAL(first, "2026-11-01");
	CU_ASSERT_STRING_EQUAL(end, "2026-12-01"); /* dateTo's whole day is in */
	CU_ASSERT_EQUAL(find_day_range_parse("2026-11-05", "2026-11-05", &range, &bad), 0);
	CU_ASSERT_EQUAL(range.end_day - range.first_day, 1);
	CU_ASSERT_EQUAL(find_day_range_parse(NULL, NULL, &range, &bad), 0);
	find_day_range_bounds(&range, first, end);
	CU_ASSERT_STRING_EQUAL(first, FIND_DAY_EARLIEST_TEXT);
	CU_ASSERT_STRING_EQUAL(end, "2999-12-31"); /* still a date the grammar reads */
	CU_ASSERT_EQUAL(find_day_range_parse("2026-13-01", NULL, &range, &bad), -1);
	CU_ASSERT_STRING_EQUAL(bad, "dateFrom");
	CU_ASSERT_EQUAL(find_day_range_parse(NULL, "31/12/2026", &range, &bad), -1);
	CU_ASSERT_STRING_EQUAL(bad, "dateTo");
	CU_ASSERT_EQUAL(find_day_range_parse("2026-11-02", "2026-11-01", &range, &bad), -1);
	CU_ASSERT_STRING_EQUAL(bad, "dateTo");
}

static void last_days_end_with_today(void)
{
	struct find_day_range range;
	int64_t now_s = 20780 * 86400LL + 13 * 3600; /* 2026-11-23 13:00 UTC */
	find_day_range_last(now_s, 1, &range);
	CU_ASSERT_EQUAL(range.first_day, 20780);
	CU_ASSERT_EQUAL(range.end_day, 20781);
	find_day_range_last(now_s, 30, &range);
	CU_ASSERT_EQUAL(range.first_day, 20780 - 29);
	CU_ASSERT_EQUAL(range.end_day, 20781);
}

/* ---------------------------------------------------------------- periods */

static void period_labels_are_day_monday_of_iso_week_and_month(void)
{
	char label[FIND_DAY_TEXT_SIZE];
	enum find_period period;
	CU_ASSERT_EQUAL(find_period_parse(NULL, &period), 0);
	CU_ASSERT_EQUAL(period, FIND_PERIOD_DAY);
	CU_ASSERT_EQUAL(find_period_parse("week", &period), 0);
	CU_ASSERT_EQUAL(period, FIND_PERIOD_WEEK);
	CU_ASSERT_EQUAL(find_period_parse("month", &period), 0);
	CU_ASSERT_EQUAL(period, FIND_PERIOD_MONTH);
	CU_ASSERT_EQUAL(find_period_parse("year", &period), -1);
	CU_ASSERT_EQUAL(find_period_parse("Day", &period), -1);

	find_period_label(find_day_parse("2026-11-25"), FIND_PERIOD_DAY, label, sizeof(label));
	CU_ASSERT_STRING_EQUAL(label, "2026-11-25");
	find_period_label(find_day_parse("2026-11-23"), FIND_PERIOD_WEEK, label, sizeof(label)); /* a Monday */
	CU_ASSERT_STRING_EQUAL(label, "2026-11-23");
	find_period_label(find_day_parse("2026-11-29"), FIND_PERIOD_WEEK, label, sizeof(label)); /* its Sunday */
	CU_ASSERT_STRING_EQUAL(label, "2026-11-23");
	find_period_label(find_day_parse("2027-01-01"), FIND_PERIOD_WEEK, label, sizeof(label)); /* week spans years */
	CU_ASSERT_STRING_EQUAL(label, "2026-12-28");
	find_period_label(find_day_parse("1970-01-01"), FIND_PERIOD_WEEK, label, sizeof(label)); /* a Thursday */
	CU_ASSERT_STRING_EQUAL(label, "1969-12-29");
	find_period_label(find_day_parse("2026-11-30"), FIND_PERIOD_MONTH, label, sizeof(label));
	CU_ASSERT_STRING_EQUAL(label, "2026-11");
}

static void series_buckets_days_into_periods_in_order(void)
{
	struct find_period_series series;
	find_period_series_init(&series, FIND_PERIOD_WEEK);
	const uint64_t one_positive[FIND_BUCKET_COUNTERS] = {1, 0, 0};
	const uint64_t one_negative[FIND_BUCKET_COUNTERS] = {0, 1, 0};
	/* Out of order on purpose: buckets still come out by time. */
	find_period_series_add(&series, find_day_parse("2026-11-30"), one_positive); /* week of 11-30 */
	find_period_series_add(&series, find_day_parse("2026-11-24"), one_positive); /* week of 11-23 */
	find_period_series_add(&series, find_day_parse("2026-11-29"), one_negative); /* week of 11-23 */
	find_period_series_add(&series, find_day_parse("2026-11-16"), one_negative); /* week of 11-16 */
	CU_ASSERT_EQUAL_FATAL(series.count, 3);
	CU_ASSERT_STRING_EQUAL(series.buckets[0].label, "2026-11-16");
	CU_ASSERT_STRING_EQUAL(series.buckets[1].label, "2026-11-23");
	CU_ASSERT_STRING_EQUAL(series.buckets[2].label, "2026-11-30");
	CU_ASSERT_EQUAL(series.buckets[1].counters[0], 1);
	CU_ASSERT_EQUAL(series.buckets[1].counters[1], 1);
	CU_ASSERT_EQUAL(series.buckets[0].counters[1], 1);
	find_period_series_release(&series);
	CU_ASSERT_EQUAL(series.count, 0);
}

static void dense_series_has_every_day_of_the_range(void)
{
	struct find_period_series series;
	struct find_day_range range = {find_day_parse("2026-11-20"), find_day_parse("2026-11-24")};
	find_period_series_init(&series, FIND_PERIOD_DAY);
	find_period_series_fill(&series, &range);
	const uint64_t counters[FIND_BUCKET_COUNTERS] = {2, 1, 5};
	find_period_series_add(&series, find_day_parse("2026-11-22"), counters);
	CU_ASSERT_EQUAL_FATAL(series.count, 4);
	CU_ASSERT_STRING_EQUAL(series.buckets[0].label, "2026-11-20");
	CU_ASSERT_STRING_EQUAL(series.buckets[3].label, "2026-11-23");
	CU_ASSERT_EQUAL(series.buckets[0].counters[0], 0);
	CU_ASSERT_EQUAL(series.buckets[2].counters[0], 2);
	CU_ASSERT_EQUAL(series.buckets[2].counters[2], 5);
	find_period_series_release(&series);

	/* Many days grow the table past its first allocation. */
	struct find_day_range year = {find_day_parse("2026-01-01"), find_day_parse("2027-01-01")};
	find_period_series_init(&series, FIND_PERIOD_MONTH);
	find_period_series_fill(&series, &year);
	CU_ASSERT_EQUAL(series.count, 12);
	find_period_series_release(&series);
	find_period_series_init(&series, FIND_PERIOD_DAY);
	find_period_series_fill(&series, &year);
	CU_ASSERT_EQUAL(series.count, 365);
	find_period_series_release(&series);
}

static void feedback_summary_counts_and_rates_exactly(void)
{
	struct find_period_series series;
	find_period_series_init(&series, FIND_PERIOD_DAY);
	const uint64_t first_day[FIND_BUCKET_COUNTERS] = {2, 1, 0};
	const uint64_t second_day[FIND_BUCKET_COUNTERS] = {1, 0, 0};
	find_period_series_add(&series, find_day_parse("2026-11-22"), first_day);
	find_period_series_add(&series, find_day_parse("2026-11-23"), second_day);
	json_object *summary = find_feedback_summary(&series);
	find_period_series_release(&series);
	const char *text = json_object_to_json_string_ext(summary, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_STRING_EQUAL(text, "{\"total\":4,\"positive\":3,\"negative\":1,\"positive_rate\":0.75,\"by_period\":["
				     "{\"period\":\"2026-11-22\",\"total\":3,\"positive\":2,\"negative\":1},"
				     "{\"period\":\"2026-11-23\",\"total\":1,\"positive\":1,\"negative\":0}]}");
	json_object_put(summary);

	find_period_series_init(&series, FIND_PERIOD_DAY);
	summary = find_feedback_summary(&series);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(summary, JSON_C_TO_STRING_PLAIN),
		"{\"total\":0,\"positive\":0,\"negative\":0,\"positive_rate\":0.0,\"by_period\":[]}");
	json_object_put(summary);
}

static void ratios_round_to_four_decimals_and_print_short(void)
{
	CU_ASSERT_DOUBLE_EQUAL(find_ratio(3, 4), 0.75, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(find_ratio(1, 3), 0.3333, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(find_ratio(2, 3), 0.6667, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(find_ratio(5, 0), 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(find_ratio(7, 7), 1.0, 1e-12);
	const struct {
		double value;
		const char *text;
	} cases[] = {{0.75, "0.75"}, {1.0, "1.0"}, {0.0, "0.0"}, {1.0 / 3.0, "0.3333"}, {12.5, "12.5"}, {0.35, "0.35"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *number = find_json_decimal(cases[i].value);
		CU_ASSERT_STRING_EQUAL(json_object_to_json_string(number), cases[i].text);
		json_object_put(number);
	}
}

/* ---------------------------------------------------------------- input */

static void thread_ids_are_short_and_plain(void)
{
	char longest[FIND_INSIGHTS_THREAD_ID_MAX + 2];
	memset(longest, 'a', sizeof(longest));
	longest[FIND_INSIGHTS_THREAD_ID_MAX] = '\0';
	CU_ASSERT_TRUE(find_insights_thread_id_valid("thread_1-A"));
	CU_ASSERT_TRUE(find_insights_thread_id_valid(longest));
	longest[FIND_INSIGHTS_THREAD_ID_MAX] = 'a';
	longest[FIND_INSIGHTS_THREAD_ID_MAX + 1] = '\0';
	CU_ASSERT_FALSE(find_insights_thread_id_valid(longest));
	CU_ASSERT_FALSE(find_insights_thread_id_valid(""));
	CU_ASSERT_FALSE(find_insights_thread_id_valid(NULL));
	CU_ASSERT_FALSE(find_insights_thread_id_valid("a b"));
	CU_ASSERT_FALSE(find_insights_thread_id_valid("a/b"));
	CU_ASSERT_FALSE(find_insights_thread_id_valid("th\xc3\xa9"));
}

static int validate_body(const struct input_spec *spec, const char *json)
{
	struct request request;
	memset(&request, 0, sizeof(request));
	request.json_body = json_tokener_parse(json);
	struct response response;
	response_init(&response);
	int result = validate_input(&request, spec, &response);
	json_object_put(request.json_body);
	response_reset(&response);
	return result;
}

static void object_fields_take_objects_up_to_their_serialized_size(void)
{
	static const struct field_spec fields[] = {{.name = "metadata", .type = FIELD_OBJECT, .max_length = 20}};
	static const struct input_spec spec = INPUT_SPEC(fields);
	CU_ASSERT_EQUAL(validate_body(&spec, "{\"metadata\":{\"page\":\"/a\"}}"), 0);
	CU_ASSERT_EQUAL(validate_body(&spec, "{}"), 0);
	CU_ASSERT_EQUAL(validate_body(&spec, "{\"metadata\":{\"page\":\"/a-much-longer-path\"}}"), -1);
	CU_ASSERT_EQUAL(validate_body(&spec, "{\"metadata\":[1]}"), -1);
	CU_ASSERT_EQUAL(validate_body(&spec, "{\"metadata\":\"text\"}"), -1);
	CU_ASSERT_EQUAL(validate_body(&spec, "{\"metadata\":null}"), -1);
}

/* ---------------------------------------------------------------- scorer */

static const struct find_recommend_source two_categories_one_brand = {{2, 0, 1}};

static struct find_recommend_candidate candidate(const char *id, unsigned categories, unsigned tags, unsigned brands,
	unsigned together)
{
	struct find_recommend_candidate made = {.product_id = id, .passes_filter = 1};
	made.shared[FIND_SIGNAL_CATEGORIES] = categories;
	made.shared[FIND_SIGNAL_TAGS] = tags;
	made.shared[FIND_SIGNAL_BRANDS] = brands;
	made.shared[FIND_SIGNAL_COOCCURRENCE] = together;
	return made;
}

static void score_is_the_weighted_share_of_the_source_terms(void)
{
	const struct find_recommend_weights *weights = &find_recommend_default_weights;
	unsigned reasons = 0;
	struct find_recommend_candidate full = candidate("a", 2, 0, 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&full, &two_categories_one_brand, weights, &reasons), 0.6, 1e-9);
	CU_ASSERT_EQUAL(reasons, (1u << FIND_SIGNAL_CATEGORIES) | (1u << FIND_SIGNAL_BRANDS));
	struct find_recommend_candidate half = candidate("b", 1, 0, 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&half, &two_categories_one_brand, weights, &reasons), 0.175, 1e-9);
	/* Tags the source does not have cannot count. */
	struct find_recommend_candidate tags_only = candidate("c", 0, 3, 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&tags_only, &two_categories_one_brand, weights, &reasons), 0.0, 1e-9);
	CU_ASSERT_EQUAL(reasons, 0);
	/* Co-occurrence saturates after three threads. */
	struct find_recommend_candidate once = candidate("d", 0, 0, 0, 1);
	struct find_recommend_candidate often = candidate("e", 0, 0, 0, 9);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&once, &two_categories_one_brand, weights, NULL), 0.0667, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&often, &two_categories_one_brand, weights, &reasons), 0.2, 1e-9);
	CU_ASSERT_EQUAL(reasons, 1u << FIND_SIGNAL_COOCCURRENCE);
	/* Everything shared scores 1. */
	struct find_recommend_source all = {{1, 1, 1}};
	struct find_recommend_candidate everything = candidate("f", 1, 1, 1, 3);
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&everything, &all, weights, NULL), 1.0, 1e-9);
	/* Other weights change the order of evidence. */
	struct find_recommend_weights brands_only = {{0.0, 0.0, 1.0, 0.0}};
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&full, &two_categories_one_brand, &brands_only, &reasons), 1.0, 1e-9);
	CU_ASSERT_EQUAL(reasons, 1u << FIND_SIGNAL_BRANDS);
}

static void ranking_orders_by_score_then_id_and_drops_exclusions(void)
{
	struct find_recommend_candidate candidates[] = {
		candidate("zeta", 0, 0, 0, 3),  /* 0.2 */
		candidate("alpha", 0, 0, 0, 3), /* 0.2: ties with zeta, comes first by id */
		candidate("source", 2, 0, 1, 0), /* the product itself */
		candidate("best", 2, 0, 1, 0),  /* 0.6 */
		candidate("banned", 2, 0, 1, 3), /* excluded by the caller */
		candidate("filtered", 2, 0, 1, 3), /* fails productFilter */
		candidate("nothing", 0, 5, 0, 0), /* scores 0 */
		candidate("some", 1, 0, 0, 0),  /* 0.175 */
	};
	candidates[5].passes_filter = 0;
	const char *const excluded[] = {"banned", "unknown"};
	size_t qualifying = find_recommend_rank(candidates, 8, &two_categories_one_brand, &find_recommend_default_weights,
		"source", excluded, 2);
	CU_ASSERT_EQUAL_FATAL(qualifying, 4);
	CU_ASSERT_STRING_EQUAL(candidates[0].product_id, "best");
	CU_ASSERT_STRING_EQUAL(candidates[1].product_id, "alpha");
	CU_ASSERT_STRING_EQUAL(candidates[2].product_id, "zeta");
	CU_ASSERT_STRING_EQUAL(candidates[3].product_id, "some");
	CU_ASSERT_DOUBLE_EQUAL(candidates[1].score, candidates[2].score, 0.0);
	CU_ASSERT_FALSE(find_recommend_needs_fallback(qualifying));
}

static void nothing_qualifying_asks_for_the_fallback(void)
{
	struct find_recommend_candidate candidates[] = {candidate("self", 2, 0, 1, 0), candidate("gone", 1, 0, 0, 0)};
	const char *const excluded[] = {"gone"};
	size_t qualifying = find_recommend_rank(candidates, 2, &two_categories_one_brand, &find_recommend_default_weights,
		"self", excluded, 1);
	CU_ASSERT_EQUAL(qualifying, 0);
	CU_ASSERT_TRUE(find_recommend_needs_fallback(qualifying));
	CU_ASSERT_TRUE(find_recommend_needs_fallback(find_recommend_rank(NULL, 0, &two_categories_one_brand,
		&find_recommend_default_weights, "self", NULL, 0)));
}

static int parse_recommend(const char *json, struct find_recommend_request *request, char *field, json_object **body)
{
	char issue[160];
	*body = json_tokener_parse(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*body);
	return find_recommend_parse(*body, request, field, 80, issue, sizeof(issue));
}

static void recommendation_request_defaults_and_filters(void)
{
	struct find_recommend_request request;
	char field[80];
	json_object *body = NULL;
	CU_ASSERT_EQUAL(parse_recommend("{\"productId\":\"p-1\"}", &request, field, &body), 0);
	CU_ASSERT_STRING_EQUAL(request.product_id, "p-1");
	CU_ASSERT_EQUAL(request.max_recommendations, FIND_RECOMMEND_DEFAULT_COUNT);
	CU_ASSERT_EQUAL(request.excluded_count, 0);
	CU_ASSERT_EQUAL(request.filter.on_sale, -1);
	CU_ASSERT_PTR_NULL(request.filter.terms_json[FIND_SIGNAL_CATEGORIES]);
	json_object_put(body);

	CU_ASSERT_EQUAL(parse_recommend("{\"productId\":\"p-1\",\"maxRecommendations\":50,\"excludeProductIds\":[\"a\",\"b\"],"
					"\"productFilter\":{\"categories\":\"Lamps\",\"brands\":[\"Lux\",\"Nova\"],"
					"\"on_sale\":true,\"stock_status\":\"instock\",\"min_price\":5,\"max_price\":19.5}}",
			    &request, field, &body),
		0);
	CU_ASSERT_EQUAL(request.max_recommendations, 50);
	CU_ASSERT_EQUAL_FATAL(request.excluded_count, 2);
	CU_ASSERT_STRING_EQUAL(request.excluded_ids[1], "b");
	CU_ASSERT_STRING_EQUAL(request.filter.terms_json[FIND_SIGNAL_CATEGORIES], "[\"Lamps\"]"); /* one string, a list */
	CU_ASSERT_STRING_EQUAL(request.filter.terms_json[FIND_SIGNAL_BRANDS], "[\"Lux\",\"Nova\"]");
	CU_ASSERT_PTR_NULL(request.filter.terms_json[FIND_SIGNAL_TAGS]);
	CU_ASSERT_EQUAL(request.filter.on_sale, 1);
	CU_ASSERT_STRING_EQUAL(request.filter.stock_status, "instock");
	CU_ASSERT_TRUE(request.filter.has_min_price && request.filter.has_max_price);
	CU_ASSERT_STRING_EQUAL(request.filter.min_price_text, "5.0000");
	CU_ASSERT_STRING_EQUAL(request.filter.max_price_text, "19.5000");
	json_object_put(body);
}

/* basketAffinity frequencies add to the threads shown together; the
 * visitor's threads feed the memory signal. */
static void basket_frequency_and_memory_score_like_threads(void)
{
	struct find_recommend_weights weights = find_recommend_default_weights;
	weights.weight[FIND_SIGNAL_MEMORY] = 0.5;
	unsigned reasons = 0;
	struct find_recommend_candidate basket = candidate("b", 0, 0, 0, 1);
	basket.basket_frequency = 1.0; /* 1 thread + 1 = 2 of 3 */
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&basket, &two_categories_one_brand, &weights, &reasons), 0.1333, 1e-9);
	CU_ASSERT_EQUAL(reasons, 1u << FIND_SIGNAL_COOCCURRENCE);
	struct find_recommend_candidate basket_only = candidate("c", 0, 0, 0, 0);
	basket_only.basket_frequency = 40.0; /* saturates */
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&basket_only, &two_categories_one_brand, &weights, NULL), 0.2, 1e-9);
	struct find_recommend_candidate seen = candidate("d", 0, 0, 0, 0);
	seen.shared[FIND_SIGNAL_MEMORY] = 3;
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&seen, &two_categories_one_brand, &weights, &reasons), 0.5, 1e-9);
	CU_ASSERT_EQUAL(reasons, 1u << FIND_SIGNAL_MEMORY);
	/* With the default weights (no visitor) memory counts for nothing. */
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&seen, &two_categories_one_brand, &find_recommend_default_weights, NULL),
		0.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(find_signal_name(FIND_SIGNAL_MEMORY), "memory");
	CU_ASSERT_STRING_EQUAL(find_signal_reason(FIND_SIGNAL_MEMORY), "seen_by_visitor");
}

/* complimentaryProducts come first in the listed order, even scoring 0;
 * exclusions and the filter still apply to them. */
static void complementary_products_rank_first_in_their_order(void)
{
	struct find_recommend_candidate candidates[] = {
		candidate("best", 2, 0, 1, 0),   /* 0.6 */
		candidate("second", 0, 0, 0, 0), /* listed 2nd, scores 0 */
		candidate("first", 1, 0, 0, 0),  /* listed 1st, 0.175 */
		candidate("gone", 0, 0, 0, 0),   /* listed, but excluded */
		candidate("hidden", 0, 0, 0, 0), /* listed, fails the filter */
	};
	candidates[1].complementary_rank = 2;
	candidates[2].complementary_rank = 1;
	candidates[3].complementary_rank = 3;
	candidates[4].complementary_rank = 4;
	candidates[4].passes_filter = 0;
	const char *const excluded[] = {"gone"};
	size_t qualifying = find_recommend_rank(candidates, 5, &two_categories_one_brand, &find_recommend_default_weights,
		"source", excluded, 1);
	CU_ASSERT_EQUAL_FATAL(qualifying, 3);
	CU_ASSERT_STRING_EQUAL(candidates[0].product_id, "first");
	CU_ASSERT_STRING_EQUAL(candidates[1].product_id, "second");
	CU_ASSERT_STRING_EQUAL(candidates[2].product_id, "best");
	CU_ASSERT_FALSE(find_recommend_needs_fallback(qualifying));
}

/* The SDK's weights replace the defaults group by group, then sum to 1. */
static void client_weights_are_normalised_over_the_groups(void)
{
	struct find_recommend_request request;
	struct find_recommend_weights weights;
	double groups[FIND_WEIGHT__GROUPS];
	memset(&request, 0, sizeof(request));
	CU_ASSERT_EQUAL(find_recommend_effective_weights(&request, &weights, groups), 0);
	CU_ASSERT_EQUAL(memcmp(&weights, &find_recommend_default_weights, sizeof(weights)), 0);
	CU_ASSERT_DOUBLE_EQUAL(groups[FIND_WEIGHT_SIMILAR], 0.8, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(groups[FIND_WEIGHT_MEMORY], 0.0, 1e-9);
	/* A visitor brings memory in at the weight of baskets. */
	request.user_id = "v-1";
	CU_ASSERT_EQUAL(find_recommend_effective_weights(&request, &weights, groups), 0);
	CU_ASSERT_DOUBLE_EQUAL(groups[FIND_WEIGHT_SIMILAR], 0.8 / 1.2, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(weights.weight[FIND_SIGNAL_MEMORY], 0.2 / 1.2, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(weights.weight[FIND_SIGNAL_CATEGORIES], 0.35 / 1.2, 1e-9);
	/* The client's values, normalised: 3:1:0 gives 0.75 and 0.25. */
	request.user_id = NULL;
	request.has_weight[FIND_WEIGHT_SIMILAR] = request.has_weight[FIND_WEIGHT_BASKET] = 1;
	request.weight[FIND_WEIGHT_SIMILAR] = 3;
	request.weight[FIND_WEIGHT_BASKET] = 1;
	CU_ASSERT_EQUAL(find_recommend_effective_weights(&request, &weights, groups), 0);
	CU_ASSERT_DOUBLE_EQUAL(groups[FIND_WEIGHT_SIMILAR], 0.75, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(weights.weight[FIND_SIGNAL_CATEGORIES] + weights.weight[FIND_SIGNAL_TAGS] +
			weights.weight[FIND_SIGNAL_BRANDS], 0.75, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(weights.weight[FIND_SIGNAL_BRANDS] / weights.weight[FIND_SIGNAL_CATEGORIES], 0.25 / 0.35,
		1e-9);
	CU_ASSERT_DOUBLE_EQUAL(weights.weight[FIND_SIGNAL_COOCCURRENCE], 0.25, 1e-9);
	/* Nothing left to weigh. */
	request.weight[FIND_WEIGHT_SIMILAR] = 0;
	request.weight[FIND_WEIGHT_BASKET] = 0;
	CU_ASSERT_EQUAL(find_recommend_effective_weights(&request, &weights, groups), -1);
}

static void recommendation_request_takes_the_sdk_members(void)
{
	struct find_recommend_request request;
	char field[80];
	json_object *body = NULL;
	CU_ASSERT_EQUAL_FATAL(parse_recommend("{\"productId\":\"p-1\",\"userId\":\"v-9\",\"weights\":{\"similarProducts\":2,"
					      "\"memoryBased\":0.5},\"basketAffinity\":[{\"productId\":\"p-2\",\"frequency\":3},"
					      "{\"productId\":\"p-3\",\"frequency\":0.5}],\"complimentaryProducts\":[\"p-4\",\"p-5\"]}",
				      &request, field, &body),
		0);
	CU_ASSERT_STRING_EQUAL(request.user_id, "v-9");
	CU_ASSERT_TRUE(request.has_weight[FIND_WEIGHT_SIMILAR] && request.has_weight[FIND_WEIGHT_MEMORY]);
	CU_ASSERT_FALSE(request.has_weight[FIND_WEIGHT_BASKET]);
	CU_ASSERT_DOUBLE_EQUAL(request.weight[FIND_WEIGHT_MEMORY], 0.5, 1e-9);
	CU_ASSERT_EQUAL_FATAL(request.basket_count, 2);
	CU_ASSERT_STRING_EQUAL(request.basket[1].product_id, "p-3");
	CU_ASSERT_DOUBLE_EQUAL(request.basket[1].frequency, 0.5, 1e-9);
	CU_ASSERT_EQUAL_FATAL(request.complementary_count, 2);
	CU_ASSERT_STRING_EQUAL(request.complementary_ids[0], "p-4");
	json_object_put(body);
}

static void recommendation_request_refusals_name_the_field(void)
{
	static const struct {
		const char *json;
		const char *field;
	} cases[] = {
		{"{}", "productId"},
		{"{\"productId\":\"\"}", "productId"},
		{"{\"productId\":\"p\",\"maxRecommendations\":0}", "maxRecommendations"},
		{"{\"productId\":\"p\",\"maxRecommendations\":51}", "maxRecommendations"},
		{"{\"productId\":\"p\",\"excludeProductIds\":[\"\"]}", "excludeProductIds"},
		{"{\"productId\":\"p\",\"productFilter\":[]}", "productFilter"},
		{"{\"productId\":\"p\",\"productFilter\":{\"colour\":\"red\"}}", "productFilter.colour"},
		{"{\"productId\":\"p\",\"productFilter\":{\"tags\":[]}}", "productFilter.tags"},
		{"{\"productId\":\"p\",\"productFilter\":{\"brands\":[1]}}", "productFilter.brands"},
		{"{\"productId\":\"p\",\"productFilter\":{\"on_sale\":\"yes\"}}", "productFilter.on_sale"},
		{"{\"productId\":\"p\",\"productFilter\":{\"stock_status\":\"\"}}", "productFilter.stock_status"},
		{"{\"productId\":\"p\",\"productFilter\":{\"min_price\":-1}}", "productFilter.min_price"},
		{"{\"productId\":\"p\",\"productFilter\":{\"max_price\":\"10\"}}", "productFilter.max_price"},
		{"{\"productId\":\"p\",\"productFilter\":{\"min_price\":10,\"max_price\":5}}", "productFilter.max_price"},
		{"{\"productId\":\"p\",\"colour\":\"red\"}", "colour"},
		{"{\"productId\":\"p\",\"userId\":\"\"}", "userId"},
		{"{\"productId\":\"p\",\"weights\":{\"recency\":1}}", "weights.recency"},
		{"{\"productId\":\"p\",\"weights\":{\"similarProducts\":-1}}", "weights.similarProducts"},
		{"{\"productId\":\"p\",\"weights\":{\"basketAffinity\":\"high\"}}", "weights.basketAffinity"},
		{"{\"productId\":\"p\",\"weights\":{\"similarProducts\":0,\"basketAffinity\":0}}", "weights"},
		{"{\"productId\":\"p\",\"weights\":[1]}", "weights"},
		{"{\"productId\":\"p\",\"basketAffinity\":{}}", "basketAffinity"},
		{"{\"productId\":\"p\",\"basketAffinity\":[{\"productId\":\"a\"}]}", "basketAffinity.0"},
		{"{\"productId\":\"p\",\"basketAffinity\":[{\"productId\":\"a\",\"frequency\":-2}]}", "basketAffinity.0"},
		{"{\"productId\":\"p\",\"basketAffinity\":[{\"productId\":\"a\",\"frequency\":1},{\"frequency\":1}]}",
			"basketAffinity.1"},
		{"{\"productId\":\"p\",\"basketAffinity\":[{\"productId\":\"a\",\"frequency\":1,\"weight\":2}]}",
			"basketAffinity.0"},
		{"{\"productId\":\"p\",\"complimentaryProducts\":[\"\"]}", "complimentaryProducts"},
		{"{\"productId\":\"p\",\"complimentaryProducts\":\"p-4\"}", "complimentaryProducts"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct find_recommend_request request;
		char field[80] = "";
		json_object *body = NULL;
		CU_ASSERT_EQUAL(parse_recommend(cases[i].json, &request, field, &body), -1);
		if (strcmp(field, cases[i].field) != 0)
			fprintf(stderr, "case %zu: field %s, wanted %s\n", i, field, cases[i].field);
		CU_ASSERT_STRING_EQUAL(field, cases[i].field);
		json_object_put(body);
	}

	/* 101 exclusions are one too many. */
	char json[2048] = "{\"productId\":\"p\",\"excludeProductIds\":[";
	for (int i = 0; i <= FIND_RECOMMEND_MAX_EXCLUDED; i++)
		strcat(json, i ? ",\"x\"" : "\"x\"");
	strcat(json, "]}");
	struct find_recommend_request request;
	char field[80] = "";
	json_object *body = NULL;
	CU_ASSERT_EQUAL(parse_recommend(json, &request, field, &body), -1);
	CU_ASSERT_STRING_EQUAL(field, "excludeProductIds");
	json_object_put(body);
}

static void database_rows_land_in_the_named_counters(void)
{
	struct find_period_series series;
	find_period_series_init(&series, FIND_PERIOD_DAY);
	const char *const thread_row[] = {"2026-11-20", "4", "1"};
	const char *const message_row[] = {"2026-11-20", "9"};
	CU_ASSERT_EQUAL(find_period_series_add_texts(&series, message_row, 2, 0), 0);
	CU_ASSERT_EQUAL(find_period_series_add_texts(&series, thread_row, 3, 1), 0);
	CU_ASSERT_EQUAL_FATAL(series.count, 1);
	CU_ASSERT_EQUAL(series.buckets[0].counters[0], 9);
	CU_ASSERT_EQUAL(series.buckets[0].counters[1], 4);
	CU_ASSERT_EQUAL(series.buckets[0].counters[2], 1);
	/* Too many columns for the counters, a bad day, a row without counters. */
	const char *const wide[] = {"2026-11-20", "1", "2", "3"};
	const char *const bad_day[] = {"2026-13-40", "1"};
	CU_ASSERT_EQUAL(find_period_series_add_texts(&series, wide, 4, 1), -1);
	CU_ASSERT_EQUAL(find_period_series_add_texts(&series, bad_day, 2, 0), -1);
	CU_ASSERT_EQUAL(find_period_series_add_texts(&series, wide, 1, 0), -1);
	CU_ASSERT_EQUAL(series.count, 1);
	find_period_series_release(&series);
}

static const struct unit_test find_insights_tests[] = {
	{"database_rows_land_in_the_named_counters", database_rows_land_in_the_named_counters},
	{"days_parse_and_format_round_trip_across_leap_years", days_parse_and_format_round_trip_across_leap_years},
	{"unix_time_falls_on_its_utc_day", unix_time_falls_on_its_utc_day},
	{"date_range_is_inclusive_and_refuses_bad_or_reversed_dates",
		date_range_is_inclusive_and_refuses_bad_or_reversed_dates},
	{"last_days_end_with_today", last_days_end_with_today},
	{"period_labels_are_day_monday_of_iso_week_and_month", period_labels_are_day_monday_of_iso_week_and_month},
	{"series_buckets_days_into_periods_in_order", series_buckets_days_into_periods_in_order},
	{"dense_series_has_every_day_of_the_range", dense_series_has_every_day_of_the_range},
	{"feedback_summary_counts_and_rates_exactly", feedback_summary_counts_and_rates_exactly},
	{"ratios_round_to_four_decimals_and_print_short", ratios_round_to_four_decimals_and_print_short},
	{"thread_ids_are_short_and_plain", thread_ids_are_short_and_plain},
	{"object_fields_take_objects_up_to_their_serialized_size", object_fields_take_objects_up_to_their_serialized_size},
	{"score_is_the_weighted_share_of_the_source_terms", score_is_the_weighted_share_of_the_source_terms},
	{"ranking_orders_by_score_then_id_and_drops_exclusions", ranking_orders_by_score_then_id_and_drops_exclusions},
	{"nothing_qualifying_asks_for_the_fallback", nothing_qualifying_asks_for_the_fallback},
	{"recommendation_request_defaults_and_filters", recommendation_request_defaults_and_filters},
	{"recommendation_request_refusals_name_the_field", recommendation_request_refusals_name_the_field},
	{"basket_frequency_and_memory_score_like_threads", basket_frequency_and_memory_score_like_threads},
	{"complementary_products_rank_first_in_their_order", complementary_products_rank_first_in_their_order},
	{"client_weights_are_normalised_over_the_groups", client_weights_are_normalised_over_the_groups},
	{"recommendation_request_takes_the_sdk_members", recommendation_request_takes_the_sdk_members},
};

int register_find_insights_suite(void)
{
	return UNIT_SUITE("find_insights", find_insights_tests);
}

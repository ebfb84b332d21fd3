/* UTC day arithmetic, ranges and period buckets for feedback and analytics.
 * Days are counted from 1970-01-01 with the civil-calendar conversion of
 * H. Hinnant's date algorithms, so no call depends on the local time zone. */
#include "modules/find_insights.h"
#include "core/alloc.h"
#include "http/timestamp.h"
#include "http/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest range a dense series is filled for: ten years of days. */
#define FIND_SERIES_MAX_DAYS 3660

static int64_t find_days_from_civil(int64_t year, int64_t month, int64_t day)
{
	year -= month <= 2;
	const int64_t era = (year >= 0 ? year : year - 399) / 400;
	const int64_t year_of_era = year - era * 400;
	const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

static void find_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	days += 719468;
	const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	const int64_t day_of_era = days - era * 146097;
	const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	const int64_t month_index = (5 * day_of_year + 2) / 153;
	*day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
	*month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

int64_t find_day_parse(const char *text)
{
	if (text == NULL || !timestamp_is_date(text))
		return -1;
	return find_days_from_civil(atoi(text), atoi(text + 5), atoi(text + 8));
}

void find_day_format(int64_t day, char *out)
{
	int64_t year;
	int month, day_of_month;
	find_civil_from_days(day, &year, &month, &day_of_month);
	char text[48];
	snprintf(text, sizeof(text), "%04d-%02d-%02d", (int)(year % 10000), month, day_of_month);
	memcpy(out, text, FIND_DAY_TEXT_SIZE - 1);
	out[FIND_DAY_TEXT_SIZE - 1] = '\0';
}

int64_t find_day_of(int64_t unix_s)
{
	return unix_s >= 0 ? unix_s / 86400 : -((-unix_s + 86399) / 86400);
}

int find_day_range_parse(const char *date_from, const char *date_to, struct find_day_range *range,
	const char **bad_field)
{
	int64_t first = find_day_parse(date_from ? date_from : FIND_DAY_EARLIEST_TEXT);
	if (first < 0) {
		*bad_field = "dateFrom";
		return -1;
	}
	int64_t last = find_day_parse(date_to ? date_to : FIND_DAY_LATEST_TEXT);
	if (last < 0 || last < first) {
		*bad_field = "dateTo";
		return -1;
	}
	range->first_day = first;
	range->end_day = last + 1;
	return 0;
}

void find_day_range_last(int64_t now_s, int days, struct find_day_range *range)
{
	range->end_day = find_day_of(now_s) + 1;
	range->first_day = range->end_day - (days > 0 ? days : 1);
}

void find_day_range_bounds(const struct find_day_range *range, char *first_text, char *end_text)
{
	find_day_format(range->first_day, first_text);
	find_day_format(range->end_day, end_text);
}

int find_period_parse(const char *text, enum find_period *period)
{
	static const char *const names[FIND_PERIOD__MAX] = {"day", "week", "month"};
	if (text == NULL) {
		*period = FIND_PERIOD_DAY;
		return 0;
	}
	for (int i = 0; i < FIND_PERIOD__MAX; i++) {
		if (strcmp(text, names[i]) == 0) {
			*period = (enum find_period)i;
			return 0;
		}
	}
	return -1;
}

void find_period_label(int64_t day, enum find_period period, char *out, size_t out_size)
{
	char text[FIND_DAY_TEXT_SIZE];
	switch (period) {
	case FIND_PERIOD_WEEK: {
		/* 1970-01-01 was a Thursday: Monday-based weekday is (day + 3) mod 7. */
		int64_t weekday = ((day + 3) % 7 + 7) % 7;
		find_day_format(day - weekday, text);
		snprintf(out, out_size, "%s", text);
		return;
	}
	case FIND_PERIOD_MONTH:
		find_day_format(day, text);
		snprintf(out, out_size, "%.7s", text);
		return;
	case FIND_PERIOD_DAY:
	default:
		find_day_format(day, text);
		snprintf(out, out_size, "%s", text);
		return;
	}
}

void find_period_series_init(struct find_period_series *series, enum find_period period)
{
	memset(series, 0, sizeof(*series));
	series->period = period;
}

/* The bucket labelled label, inserted in order when absent. */
static struct find_period_bucket *find_period_series_bucket(struct find_period_series *series, const char *label)
{
	size_t low = 0, high = series->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(series->buckets[middle].label, label);
		if (order == 0)
			return &series->buckets[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	if (series->count == series->capacity) {
		series->capacity = series->capacity ? series->capacity * 2 : 16;
		series->buckets = xrealloc(series->buckets, series->capacity * sizeof(*series->buckets));
	}
	memmove(&series->buckets[low + 1], &series->buckets[low], (series->count - low) * sizeof(*series->buckets));
	series->count++;
	struct find_period_bucket *bucket = &series->buckets[low];
	memset(bucket, 0, sizeof(*bucket));
	snprintf(bucket->label, sizeof(bucket->label), "%s", label);
	return bucket;
}

void find_period_series_fill(struct find_period_series *series, const struct find_day_range *range)
{
	int64_t end = range->end_day;
	if (end - range->first_day > FIND_SERIES_MAX_DAYS)
		end = range->first_day + FIND_SERIES_MAX_DAYS;
	for (int64_t day = range->first_day; day < end; day++) {
		char label[FIND_DAY_TEXT_SIZE];
		find_period_label(day, series->period, label, sizeof(label));
		find_period_series_bucket(series, label);
	}
}

void find_period_series_add(struct find_period_series *series, int64_t day, const uint64_t *counters)
{
	char label[FIND_DAY_TEXT_SIZE];
	find_period_label(day, series->period, label, sizeof(label));
	struct find_period_bucket *bucket = find_period_series_bucket(series, label);
	for (int i = 0; i < FIND_BUCKET_COUNTERS; i++)
		bucket->counters[i] += counters[i];
}

int find_period_series_add_texts(struct find_period_series *series, const char *const *values, size_t value_count,
	size_t first_counter)
{
	if (value_count < 2 || first_counter + value_count - 1 > FIND_BUCKET_COUNTERS || values[0] == NULL)
		return -1;
	int64_t day = find_day_parse(values[0]);
	if (day < 0)
		return -1;
	uint64_t counters[FIND_BUCKET_COUNTERS] = {0};
	for (size_t i = 1; i < value_count; i++)
		counters[first_counter + i - 1] = values[i] ? strtoull(values[i], NULL, 10) : 0;
	find_period_series_add(series, day, counters);
	return 0;
}

void find_period_series_release(struct find_period_series *series)
{
	free(series->buckets);
	series->buckets = NULL;
	series->count = series->capacity = 0;
}

double find_ratio(uint64_t part, uint64_t whole)
{
	if (whole == 0)
		return 0.0;
	/* Rounded through an integer so 3/4 prints 0.75, not 0.75000000000000011. */
	return (double)(int64_t)((double)part * 10000.0 / (double)whole + 0.5) / 10000.0;
}

json_object *find_json_decimal(double value)
{
	char text[48];
	snprintf(text, sizeof(text), "%.4f", value);
	size_t length = strlen(text);
	while (length > 0 && text[length - 1] == '0')
		text[--length] = '\0';
	if (length > 0 && text[length - 1] == '.') {
		text[length++] = '0';
		text[length] = '\0';
	}
	/* The text given is what json-c prints, instead of 17 significant digits. */
	return json_object_new_double_s(value, text);
}

json_object *find_feedback_summary(const struct find_period_series *series)
{
	uint64_t positive = 0, negative = 0;
	json_object *periods = json_object_new_array();
	for (size_t i = 0; i < series->count; i++) {
		const struct find_period_bucket *bucket = &series->buckets[i];
		uint64_t bucket_positive = bucket->counters[FIND_FEEDBACK_POSITIVE];
		uint64_t bucket_negative = bucket->counters[FIND_FEEDBACK_NEGATIVE];
		positive += bucket_positive;
		negative += bucket_negative;
		json_object *entry = json_object_new_object();
		json_object_object_add(entry, "period", json_object_new_string(bucket->label));
		json_object_object_add(entry, "total", json_object_new_int64((int64_t)(bucket_positive + bucket_negative)));
		json_object_object_add(entry, "positive", json_object_new_int64((int64_t)bucket_positive));
		json_object_object_add(entry, "negative", json_object_new_int64((int64_t)bucket_negative));
		json_object_array_add(periods, entry);
	}
	json_object *summary = json_object_new_object();
	json_object_object_add(summary, "total", json_object_new_int64((int64_t)(positive + negative)));
	json_object_object_add(summary, "positive", json_object_new_int64((int64_t)positive));
	json_object_object_add(summary, "negative", json_object_new_int64((int64_t)negative));
	json_object_object_add(summary, "positive_rate", find_json_decimal(find_ratio(positive, positive + negative)));
	json_object_object_add(summary, "by_period", periods);
	return summary;
}

int find_insights_thread_id_valid(const char *text)
{
	if (text == NULL)
		return 0;
	size_t length = strlen(text);
	return length >= 1 && length <= FIND_INSIGHTS_THREAD_ID_MAX &&
		strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == length;
}

/* Pure helpers of the find API's feedback and analytics: UTC days, date
 * ranges from query parameters, period buckets (day, week, month), rates
 * and the checks on thread ids. No database and no request: unit-tested. */
#ifndef INTUKA_MODULES_FIND_INSIGHTS_H
#define INTUKA_MODULES_FIND_INSIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define FIND_DAY_TEXT_SIZE 11 /* "YYYY-MM-DD" and its NUL */
#define FIND_INSIGHTS_THREAD_ID_MAX 64
/* Open ranges start and end here: inside DATETIME and timestamp_is_date,
 * the day after the latest (a range's exclusive end) included. */
#define FIND_DAY_EARLIEST_TEXT "1970-01-01"
#define FIND_DAY_LATEST_TEXT "2999-12-30"

/* Days since 1970-01-01 (UTC) of a real calendar date "YYYY-MM-DD"; -1 otherwise. */
int64_t find_day_parse(const char *text);
/* "YYYY-MM-DD" of a day number; out holds FIND_DAY_TEXT_SIZE bytes. */
void find_day_format(int64_t day, char *out);
/* The UTC day a Unix time falls on. */
int64_t find_day_of(int64_t unix_s);

/* A half-open range of days [first_day, end_day). */
struct find_day_range {
	int64_t first_day;
	int64_t end_day;
};

/* dateFrom and dateTo (inclusive; either may be NULL for an open end).
 * Returns 0, or -1 with *bad_field naming the parameter at fault (a
 * malformed date, or dateFrom after dateTo: "dateTo"). */
int find_day_range_parse(const char *date_from, const char *date_to, struct find_day_range *range,
	const char **bad_field);
/* The last `days` days, today (UTC) included. */
void find_day_range_last(int64_t now_s, int days, struct find_day_range *range);
/* Both ends as "YYYY-MM-DD" for binding: created_at >= first AND created_at < end. */
void find_day_range_bounds(const struct find_day_range *range, char *first_text, char *end_text);

enum find_period { FIND_PERIOD_DAY, FIND_PERIOD_WEEK, FIND_PERIOD_MONTH, FIND_PERIOD__MAX };

/* "day", "week" or "month"; NULL means day. Returns -1 for anything else. */
int find_period_parse(const char *text, enum find_period *period);
/* The label of the period a day belongs to: the day itself, the Monday
 * that starts its ISO week ("2026-11-23"), or its month ("2026-11"). */
void find_period_label(int64_t day, enum find_period period, char *out, size_t out_size);

#define FIND_BUCKET_COUNTERS 3
struct find_period_bucket {
	char label[FIND_DAY_TEXT_SIZE];
	uint64_t counters[FIND_BUCKET_COUNTERS]; /* what they count is the caller's */
};

/* Buckets kept in label order (labels of one period sort by time). */
struct find_period_series {
	enum find_period period;
	size_t count;
	size_t capacity;
	struct find_period_bucket *buckets; /* owned; find_period_series_release */
};

void find_period_series_init(struct find_period_series *series, enum find_period period);
/* One empty bucket for every period that meets the range, so a chart
 * shows the quiet days too. The range must be bounded (at most 3660 days). */
void find_period_series_fill(struct find_period_series *series, const struct find_day_range *range);
/* Adds counters (FIND_BUCKET_COUNTERS of them) to the bucket of day,
 * creating it in order when absent. */
void find_period_series_add(struct find_period_series *series, int64_t day, const uint64_t *counters);
/* A database row "day, n1, n2, ..." (texts): n1 goes to counters[first_counter],
 * n2 to the next, and so on. Returns 0, or -1 when the row does not fit. */
int find_period_series_add_texts(struct find_period_series *series, const char *const *values, size_t value_count,
	size_t first_counter);
void find_period_series_release(struct find_period_series *series);

/* part / whole rounded to 4 decimals; 0 when whole is 0. */
double find_ratio(uint64_t part, uint64_t whole);

/* A JSON number written with at most 4 decimals ("0.75", "0.3333"). */
json_object *find_json_decimal(double value);

/* Feedback figures of a series whose counters are [positive, negative]:
 * {total, positive, negative, positive_rate, by_period:[{period, total,
 * positive, negative}]}. */
#define FIND_FEEDBACK_POSITIVE 0
#define FIND_FEEDBACK_NEGATIVE 1
json_object *find_feedback_summary(const struct find_period_series *series);


/* 1 when text is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'. */
int find_insights_thread_id_valid(const char *text);

#endif

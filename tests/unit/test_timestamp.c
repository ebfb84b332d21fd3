/* The one timestamp grammar: RFC 3339 date-times to UTC, dates where allowed. */
#include "unit_suites.h"
#include "http/timestamp.h"

#include <string.h>

static void timestamp_check(const char *text, enum timestamp_form form, const char *expected)
{
	char out[TIMESTAMP_SQL_SIZE] = "";
	int result = timestamp_parse(text, form, out);
	if (expected == NULL) {
		CU_ASSERT_EQUAL(result, -1);
		return;
	}
	CU_ASSERT_EQUAL(result, 0);
	CU_ASSERT_STRING_EQUAL(out, expected);
}

static void timestamp_reads_utc_and_offsets(void)
{
	timestamp_check("2026-11-23T08:00:00Z", TIMESTAMP_DATE_TIME, "2026-11-23 08:00:00.000000");
	timestamp_check("2026-11-23t08:00:00z", TIMESTAMP_DATE_TIME, "2026-11-23 08:00:00.000000");
	timestamp_check("2026-01-01T00:30:00+01:00", TIMESTAMP_DATE_TIME, "2025-12-31 23:30:00.000000");
	timestamp_check("2026-12-31T23:30:00-01:00", TIMESTAMP_DATE_TIME, "2027-01-01 00:30:00.000000");
	timestamp_check("2024-02-29T12:00:00Z", TIMESTAMP_DATE_TIME, "2024-02-29 12:00:00.000000");
}

static void timestamp_keeps_microseconds_of_a_fraction(void)
{
	timestamp_check("2026-11-23T08:00:00.5Z", TIMESTAMP_DATE_TIME, "2026-11-23 08:00:00.500000");
	timestamp_check("2026-11-23T08:00:00.123456789Z", TIMESTAMP_DATE_TIME, "2026-11-23 08:00:00.123456");
	timestamp_check("2026-11-23T08:00:00.Z", TIMESTAMP_DATE_TIME, NULL);
	timestamp_check("2026-11-23T08:00:00.1234567890Z", TIMESTAMP_DATE_TIME, NULL);
}

static void timestamp_dates_only_where_the_form_allows_them(void)
{
	timestamp_check("2026-11-23", TIMESTAMP_DATE_TIME, NULL);
	timestamp_check("2026-11-23", TIMESTAMP_OR_DATE, "2026-11-23 00:00:00.000000");
	timestamp_check("2026-12-31", TIMESTAMP_OR_DATE_END, "2027-01-01 00:00:00.000000");
	timestamp_check("2026-11-23T10:00:00Z", TIMESTAMP_OR_DATE_END, "2026-11-23 10:00:00.000000");
	CU_ASSERT(timestamp_is_date("2024-02-29"));
	CU_ASSERT(!timestamp_is_date("2023-02-29"));
	CU_ASSERT(!timestamp_is_date("2023-2-28"));
}

static void timestamp_refuses_what_rfc_3339_does_not_write(void)
{
	const char *const bad[] = {"2026-11-23T08:00:00", "2026-11-23 08:00:00Z", "2026-13-01T00:00:00Z",
		"2026-02-30T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T08:60:00Z", "2026-11-23T08:00:00+1:00",
		"2026-11-23T08:00:00+01", "2026-11-23T08:00:00Zjunk", "0999-01-01T00:00:00Z", "", "yesterday",
		"2026-11-23T08:00:00+24:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		timestamp_check(bad[i], TIMESTAMP_OR_DATE, NULL);
	char out[TIMESTAMP_SQL_SIZE];
	CU_ASSERT_EQUAL(timestamp_parse(NULL, TIMESTAMP_OR_DATE, out), -1);
}

/* The same grammar as epoch seconds (key expiry, trial ends). */
static void timestamp_seconds_follow_the_same_grammar(void)
{
	int64_t seconds = 0;
	CU_ASSERT_EQUAL(timestamp_parse_seconds("1970-01-02", TIMESTAMP_OR_DATE, &seconds), 0);
	CU_ASSERT_EQUAL(seconds, 86400);
	CU_ASSERT_EQUAL(timestamp_parse_seconds("1970-01-02", TIMESTAMP_OR_DATE_END, &seconds), 0);
	CU_ASSERT_EQUAL(seconds, 2 * 86400);
	CU_ASSERT_EQUAL(timestamp_parse_seconds("1970-01-02", TIMESTAMP_OR_DATE_LAST_SECOND, &seconds), 0);
	CU_ASSERT_EQUAL(seconds, 2 * 86400 - 1);
	CU_ASSERT_EQUAL(timestamp_parse_seconds("2027-01-31T12:00:00.999+01:00", TIMESTAMP_DATE_TIME, &seconds), 0);
	CU_ASSERT_EQUAL(seconds, 1801393200); /* 11:00 UTC */
	CU_ASSERT_EQUAL(timestamp_parse_seconds("2027-01-31", TIMESTAMP_DATE_TIME, &seconds), -1);
	CU_ASSERT_EQUAL(timestamp_parse_seconds("2027-01-31T12:00:00", TIMESTAMP_OR_DATE, &seconds), -1);
}

/* MariaDB's DATETIME text in the API's form, whatever the column's decimals. */
static void timestamp_from_sql_writes_the_api_form(void)
{
	char out[TIMESTAMP_JSON_SIZE];
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23 08:11:02.123", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "2026-11-23T08:11:02.123000Z");
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23 08:11:02", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "2026-11-23T08:11:02.000000Z");
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23 08:11:02.123456", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "2026-11-23T08:11:02.123456Z");
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23", out), -1);
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23T08:11:02", out), -1);
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23 08:11:02.", out), -1);
	CU_ASSERT_EQUAL(timestamp_from_sql("2026-11-23 08:11:02.1234567", out), -1);
}

int register_timestamp_suite(void)
{
	static const struct unit_test tests[] = {
		{"reads_utc_and_offsets", timestamp_reads_utc_and_offsets},
		{"keeps_microseconds_of_a_fraction", timestamp_keeps_microseconds_of_a_fraction},
		{"dates_only_where_the_form_allows_them", timestamp_dates_only_where_the_form_allows_them},
		{"refuses_what_rfc_3339_does_not_write", timestamp_refuses_what_rfc_3339_does_not_write},
		{"seconds_follow_the_same_grammar", timestamp_seconds_follow_the_same_grammar},
		{"from_sql_writes_the_api_form", timestamp_from_sql_writes_the_api_form},
	};
	return UNIT_SUITE("timestamp", tests);
}

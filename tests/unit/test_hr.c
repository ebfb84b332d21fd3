/* HR leave rules without a database: day numbers, inclusive overlap,
 * calendar and working day counts, and the status transitions. */
#include "unit_suites.h"
#include "modules/hr_leave.h"

#include <stdint.h>

static int64_t day(const char *text)
{
	int64_t number = 0;
	CU_ASSERT_EQUAL_FATAL(hr_leave_day_number(text, &number), 0);
	return number;
}

static void day_numbers_count_from_1970_and_respect_leap_years(void)
{
	CU_ASSERT_EQUAL(day("1970-01-01"), 0);
	CU_ASSERT_EQUAL(day("1970-01-02"), 1);
	CU_ASSERT_EQUAL(day("1969-12-31"), -1);
	CU_ASSERT_EQUAL(day("2000-03-01") - day("2000-02-28"), 2); /* 2000 is a leap year */
	CU_ASSERT_EQUAL(day("1900-03-01") - day("1900-02-28"), 1); /* 1900 is not */
	CU_ASSERT_EQUAL(day("2024-12-31") - day("2024-01-01"), 365);
	CU_ASSERT_EQUAL(day("2025-01-01") - day("2024-12-31"), 1);
}

static void day_numbers_refuse_what_is_not_a_calendar_date(void)
{
	int64_t number = 0;
	CU_ASSERT_EQUAL(hr_leave_day_number("2023-02-29", &number), -1);
	CU_ASSERT_EQUAL(hr_leave_day_number("2024-13-01", &number), -1);
	CU_ASSERT_EQUAL(hr_leave_day_number("2024-1-01", &number), -1);
	CU_ASSERT_EQUAL(hr_leave_day_number("", &number), -1);
	CU_ASSERT_EQUAL(hr_leave_day_number(NULL, &number), -1);
	CU_ASSERT_EQUAL(hr_leave_day_number("2024-02-29", &number), 0);
}

static void ranges_sharing_a_day_overlap_because_both_ends_are_included(void)
{
	/* 1-10 and 10-20 share the 10th */
	CU_ASSERT_TRUE(hr_leave_ranges_overlap(day("2026-07-01"), day("2026-07-10"), day("2026-07-10"), day("2026-07-20")));
	CU_ASSERT_TRUE(hr_leave_ranges_overlap(day("2026-07-10"), day("2026-07-20"), day("2026-07-01"), day("2026-07-10")));
	/* one inside the other, identical, one-day ranges */
	CU_ASSERT_TRUE(hr_leave_ranges_overlap(day("2026-07-01"), day("2026-07-31"), day("2026-07-05"), day("2026-07-06")));
	CU_ASSERT_TRUE(hr_leave_ranges_overlap(day("2026-07-05"), day("2026-07-06"), day("2026-07-01"), day("2026-07-31")));
	CU_ASSERT_TRUE(hr_leave_ranges_overlap(day("2026-07-03"), day("2026-07-03"), day("2026-07-03"), day("2026-07-03")));
}

static void touching_ranges_do_not_overlap(void)
{
	/* 1-10 and 11-20 touch without sharing a day, in either order */
	CU_ASSERT_FALSE(hr_leave_ranges_overlap(day("2026-07-01"), day("2026-07-10"), day("2026-07-11"), day("2026-07-20")));
	CU_ASSERT_FALSE(hr_leave_ranges_overlap(day("2026-07-11"), day("2026-07-20"), day("2026-07-01"), day("2026-07-10")));
	/* across a month and a year end */
	CU_ASSERT_FALSE(hr_leave_ranges_overlap(day("2026-12-20"), day("2026-12-31"), day("2027-01-01"), day("2027-01-05")));
	CU_ASSERT_FALSE(hr_leave_ranges_overlap(day("2026-07-01"), day("2026-07-02"), day("2026-08-01"), day("2026-08-02")));
}

static void calendar_days_include_both_ends(void)
{
	CU_ASSERT_EQUAL(hr_leave_calendar_days(day("2026-07-01"), day("2026-07-01")), 1);
	CU_ASSERT_EQUAL(hr_leave_calendar_days(day("2026-07-01"), day("2026-07-10")), 10);
	CU_ASSERT_EQUAL(hr_leave_calendar_days(day("2024-02-01"), day("2024-02-29")), 29);
	CU_ASSERT_EQUAL(hr_leave_calendar_days(day("2026-01-01"), day("2026-12-31")), 365);
	CU_ASSERT_EQUAL(hr_leave_calendar_days(day("2026-07-10"), day("2026-07-01")), 0);
}

static void weekdays_are_known_for_fixed_dates(void)
{
	CU_ASSERT_EQUAL(hr_leave_weekday(day("1970-01-01")), 4); /* Thursday */
	CU_ASSERT_EQUAL(hr_leave_weekday(day("2000-01-01")), 6); /* Saturday */
	CU_ASSERT_EQUAL(hr_leave_weekday(day("2026-07-06")), 1); /* Monday */
	CU_ASSERT_EQUAL(hr_leave_weekday(day("1969-12-28")), 0); /* Sunday, before the epoch */
}

static void working_days_skip_saturdays_and_sundays(void)
{
	/* 2026-07-06 is a Monday */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-06"), day("2026-07-10")), 5);  /* Mon-Fri */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-06"), day("2026-07-12")), 5);  /* Mon-Sun */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-11"), day("2026-07-12")), 0);  /* a weekend */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-10"), day("2026-07-13")), 2);  /* Fri-Mon */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-08"), day("2026-07-08")), 1);  /* one Wednesday */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-06"), day("2026-07-19")), 10); /* two weeks */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-04"), day("2026-07-20")), 11); /* Sat to Mon two weeks on */
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-01-01"), day("2026-12-31")), 261);
	CU_ASSERT_EQUAL(hr_leave_working_days(day("2026-07-10"), day("2026-07-06")), 0);
}

/* Brute force over many starts and lengths: the weekly shortcut agrees with
 * counting day by day. */
static void working_days_agree_with_counting_day_by_day(void)
{
	int64_t first = day("2026-06-01");
	for (int64_t start = first; start < first + 14; start++) {
		for (int64_t length = 0; length < 40; length++) {
			int64_t counted = 0;
			for (int64_t d = start; d <= start + length; d++)
				counted += hr_leave_weekday(d) != 0 && hr_leave_weekday(d) != 6;
			CU_ASSERT_EQUAL(hr_leave_working_days(start, start + length), counted);
		}
	}
}

static void only_pending_requests_can_be_decided_or_cancelled(void)
{
	enum hr_leave_status next = HR_LEAVE_PENDING;
	CU_ASSERT_EQUAL(hr_leave_transition(HR_LEAVE_PENDING, HR_LEAVE_APPROVE, &next), 0);
	CU_ASSERT_EQUAL(next, HR_LEAVE_APPROVED);
	CU_ASSERT_EQUAL(hr_leave_transition(HR_LEAVE_PENDING, HR_LEAVE_REJECT, &next), 0);
	CU_ASSERT_EQUAL(next, HR_LEAVE_REJECTED);
	CU_ASSERT_EQUAL(hr_leave_transition(HR_LEAVE_PENDING, HR_LEAVE_CANCEL, &next), 0);
	CU_ASSERT_EQUAL(next, HR_LEAVE_CANCELLED);
	enum hr_leave_status finals[] = {HR_LEAVE_APPROVED, HR_LEAVE_REJECTED, HR_LEAVE_CANCELLED};
	enum hr_leave_action actions[] = {HR_LEAVE_APPROVE, HR_LEAVE_REJECT, HR_LEAVE_CANCEL};
	for (size_t s = 0; s < 3; s++) {
		for (size_t a = 0; a < 3; a++) {
			next = HR_LEAVE_PENDING;
			CU_ASSERT_EQUAL(hr_leave_transition(finals[s], actions[a], &next), -1);
			CU_ASSERT_EQUAL(next, HR_LEAVE_PENDING); /* untouched on refusal */
		}
	}
}

static void status_names_round_trip_and_unknown_ones_are_refused(void)
{
	for (int i = 0; i < HR_LEAVE_STATUS__MAX; i++) {
		enum hr_leave_status parsed = HR_LEAVE_STATUS__MAX;
		CU_ASSERT_EQUAL(hr_leave_status_parse(hr_leave_status_name((enum hr_leave_status)i), &parsed), 0);
		CU_ASSERT_EQUAL(parsed, (enum hr_leave_status)i);
	}
	enum hr_leave_status parsed;
	CU_ASSERT_EQUAL(hr_leave_status_parse("Approved", &parsed), -1);
	CU_ASSERT_EQUAL(hr_leave_status_parse("", &parsed), -1);
	CU_ASSERT_EQUAL(hr_leave_status_parse(NULL, &parsed), -1);
	CU_ASSERT_STRING_EQUAL(hr_leave_action_name(HR_LEAVE_CANCEL), "cancel");
}

static const struct unit_test hr_tests[] = {
	{"day_numbers_count_from_1970_and_respect_leap_years", day_numbers_count_from_1970_and_respect_leap_years},
	{"day_numbers_refuse_what_is_not_a_calendar_date", day_numbers_refuse_what_is_not_a_calendar_date},
	{"ranges_sharing_a_day_overlap_because_both_ends_are_included",
		ranges_sharing_a_day_overlap_because_both_ends_are_included},
	{"touching_ranges_do_not_overlap", touching_ranges_do_not_overlap},
	{"calendar_days_include_both_ends", calendar_days_include_both_ends},
	{"weekdays_are_known_for_fixed_dates", weekdays_are_known_for_fixed_dates},
	{"working_days_skip_saturdays_and_sundays", working_days_skip_saturdays_and_sundays},
	{"working_days_agree_with_counting_day_by_day", working_days_agree_with_counting_day_by_day},
	{"only_pending_requests_can_be_decided_or_cancelled", only_pending_requests_can_be_decided_or_cancelled},
	{"status_names_round_trip_and_unknown_ones_are_refused", status_names_round_trip_and_unknown_ones_are_refused},
};

int register_hr_suite(void)
{
	return UNIT_SUITE("hr", hr_tests);
}

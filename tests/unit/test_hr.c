/* HR leave rules without a database: day numbers, inclusive overlap,
 * calendar and working day counts, the status transitions, half days and
 * balance arithmetic. */
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
	CU_ASSERT_EQUAL(hr_leave_transition(HR_LEAVE_PENDING, HR_LEAVE_EDIT, &next), 0);
	CU_ASSERT_EQUAL(next, HR_LEAVE_PENDING); /* an edited request is still pending */
	enum hr_leave_status final_ones[] = {HR_LEAVE_APPROVED, HR_LEAVE_REJECTED, HR_LEAVE_CANCELLED};
	for (size_t s = 0; s < 3; s++) {
		next = HR_LEAVE_APPROVED;
		CU_ASSERT_EQUAL(hr_leave_transition(final_ones[s], HR_LEAVE_EDIT, &next), -1);
		CU_ASSERT_EQUAL(next, HR_LEAVE_APPROVED);
	}
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

static int64_t all_time_halves(const char *start, const char *end, int start_half, int end_half)
{
	return hr_leave_half_days(day(start), day(end), start_half, end_half, day("2000-01-01"), day("2099-12-31"));
}

static void half_days_count_two_per_working_day_less_the_halves(void)
{
	/* Monday 2027-03-01 to Friday 2027-03-05: five working days */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-01", "2027-03-05", 0, 0), 10);
	CU_ASSERT_EQUAL(all_time_halves("2027-03-01", "2027-03-05", 1, 0), 9);  /* from Monday noon: 4.5 */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-01", "2027-03-05", 0, 1), 9);  /* to Friday noon */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-01", "2027-03-05", 1, 1), 8);
	/* a single half day */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-03", "2027-03-03", 1, 0), 1);
	CU_ASSERT_EQUAL(all_time_halves("2027-03-03", "2027-03-03", 0, 1), 1);
	CU_ASSERT_EQUAL(all_time_halves("2027-03-03", "2027-03-03", 0, 0), 2);
	/* a half on a Saturday or Sunday takes nothing away: the day counted nothing */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-06", "2027-03-12", 1, 0), 10); /* Saturday to Friday */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-01", "2027-03-07", 0, 1), 10); /* Monday to Sunday */
	CU_ASSERT_EQUAL(all_time_halves("2027-03-06", "2027-03-07", 1, 1), 0);
}

static void half_days_are_split_between_the_years_a_request_touches(void)
{
	int64_t first_2026, last_2026, first_2027, last_2027;
	hr_leave_year_bounds(2026, &first_2026, &last_2026);
	hr_leave_year_bounds(2027, &first_2027, &last_2027);
	CU_ASSERT_EQUAL(first_2026, day("2026-01-01"));
	CU_ASSERT_EQUAL(last_2026, day("2026-12-31"));
	CU_ASSERT_EQUAL(first_2027, last_2026 + 1);
	/* Tuesday 2026-12-29 (from noon) to Tuesday 2027-01-05 (to noon):
	 * 29, 30, 31 in 2026 (2.5 days), 1, 4, 5 in 2027 (2.5 days) */
	int64_t start = day("2026-12-29"), end = day("2027-01-05");
	CU_ASSERT_EQUAL(hr_leave_half_days(start, end, 1, 1, first_2026, last_2026), 5);
	CU_ASSERT_EQUAL(hr_leave_half_days(start, end, 1, 1, first_2027, last_2027), 5);
	/* a half belongs to the year of its day only */
	CU_ASSERT_EQUAL(hr_leave_half_days(start, end, 0, 1, first_2026, last_2026), 6);
	CU_ASSERT_EQUAL(hr_leave_half_days(start, end, 1, 0, first_2027, last_2027), 6);
	/* a year the request does not touch */
	CU_ASSERT_EQUAL(hr_leave_half_days(start, end, 0, 0, day("2028-01-01"), day("2028-12-31")), 0);
}

static void both_halves_of_a_single_day_are_refused(void)
{
	CU_ASSERT_EQUAL(hr_leave_halves_valid(day("2027-03-03"), day("2027-03-03"), 1, 1), -1);
	CU_ASSERT_EQUAL(hr_leave_halves_valid(day("2027-03-03"), day("2027-03-03"), 1, 0), 0);
	CU_ASSERT_EQUAL(hr_leave_halves_valid(day("2027-03-03"), day("2027-03-04"), 1, 1), 0);
	CU_ASSERT_EQUAL(hr_leave_halves_valid(day("2027-03-03"), day("2027-03-04"), 0, 0), 0);
}

static void a_request_fits_what_remains_of_the_allowance(void)
{
	/* 25 days allowed, 10 taken, 4.5 pending: 10.5 remain */
	struct hr_leave_balance balance = {.allowance = 50, .taken = 20, .pending = 9};
	CU_ASSERT_EQUAL(hr_leave_remaining(&balance), 21);
	CU_ASSERT_TRUE(hr_leave_fits(&balance, 21));
	CU_ASSERT_TRUE(hr_leave_fits(&balance, 0));
	CU_ASSERT_FALSE(hr_leave_fits(&balance, 22)); /* half a day too many */
	/* an allowance lowered below what is booked: negative, nothing fits but nothing */
	struct hr_leave_balance lowered = {.allowance = 10, .taken = 20, .pending = 0};
	CU_ASSERT_EQUAL(hr_leave_remaining(&lowered), -10);
	CU_ASSERT_FALSE(hr_leave_fits(&lowered, 1));
	CU_ASSERT_TRUE(hr_leave_fits(&lowered, 0));
	/* a zero allowance allows only requests that charge nothing */
	struct hr_leave_balance zero = {.allowance = 0, .taken = 0, .pending = 0};
	CU_ASSERT_FALSE(hr_leave_fits(&zero, 1));
	/* without an allowance the type is not counted */
	struct hr_leave_balance none = {.allowance = -1, .taken = 700, .pending = 700};
	CU_ASSERT_EQUAL(hr_leave_remaining(&none), INT64_MAX);
	CU_ASSERT_TRUE(hr_leave_fits(&none, 732));
}

static const struct unit_test hr_tests[] = {
	{"half_days_count_two_per_working_day_less_the_halves", half_days_count_two_per_working_day_less_the_halves},
	{"half_days_are_split_between_the_years_a_request_touches",
		half_days_are_split_between_the_years_a_request_touches},
	{"both_halves_of_a_single_day_are_refused", both_halves_of_a_single_day_are_refused},
	{"a_request_fits_what_remains_of_the_allowance", a_request_fits_what_remains_of_the_allowance},
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

/* The rules of leave requests that need no database: calendar arithmetic on
 * YYYY-MM-DD dates, the inclusive overlap of two date ranges, day counts and
 * the status a decision leads to. Kept apart from the handlers so unit tests
 * can prove them. */
#ifndef INTUKA_MODULES_HR_LEAVE_H
#define INTUKA_MODULES_HR_LEAVE_H

#include <stdint.h>

/* One request covers at most this many calendar days (both ends included). */
#define HR_LEAVE_MAX_DAYS 366

/* The calendar years allowances and balances are kept for. */
#define HR_LEAVE_YEAR_MIN 1970
#define HR_LEAVE_YEAR_MAX 9999

/* Days since 1970-01-01 of a real calendar date written YYYY-MM-DD (the
 * range timestamp_is_date accepts); 0, or -1 when text is not such a date. */
int hr_leave_day_number(const char *text, int64_t *day);

/* 1 when [a_start, a_end] and [b_start, b_end] share at least one day. Both
 * ends belong to a range: a leave ending on the 10th and one starting on the
 * 10th overlap; one starting on the 11th only touches it. */
int hr_leave_ranges_overlap(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end);

/* Calendar days in [start, end], both included; 0 when end is before start. */
int64_t hr_leave_calendar_days(int64_t start, int64_t end);

/* Monday-to-Friday days in [start, end], both included; 0 when end is before
 * start. Public holidays are not known here. */
int64_t hr_leave_working_days(int64_t start, int64_t end);

/* 0 = Sunday ... 6 = Saturday. */
int hr_leave_weekday(int64_t day);

/* First and last day number of a calendar year (1..9999). */
void hr_leave_year_bounds(int64_t year, int64_t *first, int64_t *last);

/* The leave a request charges within [from, to] (a year, for balances), in
 * half days: two per Monday-to-Friday day of [start, end] inside [from,
 * to], one less when start_half (the first day is taken from noon) or
 * end_half (the last day ends at noon) falls on such a day. A one-day
 * request with both halves would charge nothing: hr_leave_halves_valid
 * refuses it. */
int64_t hr_leave_half_days(int64_t start, int64_t end, int start_half, int end_half, int64_t from, int64_t to);

/* 0 when the halves make sense for [start, end]: not both on a one-day
 * request. -1 otherwise. */
int hr_leave_halves_valid(int64_t start, int64_t end, int start_half, int end_half);

/* One employee's leave of one type in one year, in half days. allowance <
 * 0: none is set, the type is not counted against a balance. */
struct hr_leave_balance {
	int64_t allowance;
	int64_t taken;   /* approved */
	int64_t pending;
};

/* allowance - taken - pending (negative when an allowance was lowered
 * below what is already booked); INT64_MAX when no allowance is set. */
int64_t hr_leave_remaining(const struct hr_leave_balance *balance);

/* 1 when a request charging requested half days fits the balance (which
 * must not already count it): always without an allowance, and always for
 * a request that charges nothing. */
int hr_leave_fits(const struct hr_leave_balance *balance, int64_t requested);

enum hr_leave_status {
	HR_LEAVE_PENDING,
	HR_LEAVE_APPROVED,
	HR_LEAVE_REJECTED,
	HR_LEAVE_CANCELLED,
	HR_LEAVE_STATUS__MAX
};

enum hr_leave_action {
	HR_LEAVE_APPROVE,
	HR_LEAVE_REJECT,
	HR_LEAVE_CANCEL,
	HR_LEAVE_EDIT, /* the owner changes a pending request; it stays pending */
	HR_LEAVE_ACTION__MAX
};

/* Status names as stored and shown ("pending", ...); parse returns -1 for
 * an unknown name. */
const char *hr_leave_status_name(enum hr_leave_status status);
int hr_leave_status_parse(const char *text, enum hr_leave_status *status);
const char *hr_leave_action_name(enum hr_leave_action action);

/* The status action leads to from status: only a pending request can be
 * approved, rejected, cancelled or edited. 0, or -1 for an illegal transition. */
int hr_leave_transition(enum hr_leave_status from, enum hr_leave_action action, enum hr_leave_status *to);

#endif

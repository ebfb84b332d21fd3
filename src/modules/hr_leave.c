/* Leave request rules: dates as day numbers, overlap, day counts, transitions. */
#include "modules/hr_leave.h"
#include "http/timestamp.h"
#include "http/validate.h"

#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
static int64_t hr_leave_days_from_civil(int64_t year, int64_t month, int64_t day)
{
	year -= month <= 2;
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	int64_t year_of_era = year - era * 400;
	int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

int hr_leave_day_number(const char *text, int64_t *day)
{
	if (text == NULL || !timestamp_is_date(text))
		return -1;
	*day = hr_leave_days_from_civil(atoi(text), atoi(text + 5), atoi(text + 8));
	return 0;
}

int hr_leave_ranges_overlap(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end)
{
	return a_start <= b_end && b_start <= a_end;
}

int64_t hr_leave_calendar_days(int64_t start, int64_t end)
{
	return end < start ? 0 : end - start + 1;
}

int hr_leave_weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday. */
	int64_t weekday = (day + 4) % 7;
	return (int)(weekday < 0 ? weekday + 7 : weekday);
}

int64_t hr_leave_working_days(int64_t start, int64_t end)
{
	if (end < start)
		return 0;
	int64_t days = end - start + 1;
	int64_t working = days / 7 * 5; /* every whole week has five */
	int weekday = hr_leave_weekday(start);
	for (int64_t rest = days % 7; rest > 0; rest--, weekday = (weekday + 1) % 7)
		working += weekday != 0 && weekday != 6;
	return working;
}

void hr_leave_year_bounds(int64_t year, int64_t *first, int64_t *last)
{
	*first = hr_leave_days_from_civil(year, 1, 1);
	*last = hr_leave_days_from_civil(year, 12, 31);
}

static int hr_leave_is_working(int64_t day)
{
	int weekday = hr_leave_weekday(day);
	return weekday != 0 && weekday != 6;
}

int64_t hr_leave_half_days(int64_t start, int64_t end, int start_half, int end_half, int64_t from, int64_t to)
{
	int64_t first = start > from ? start : from;
	int64_t last = end < to ? end : to;
	if (last < first)
		return 0;
	int64_t halves = 2 * hr_leave_working_days(first, last);
	if (start_half && start >= first && hr_leave_is_working(start))
		halves--;
	if (end_half && end <= last && hr_leave_is_working(end))
		halves--;
	return halves < 0 ? 0 : halves;
}

int hr_leave_halves_valid(int64_t start, int64_t end, int start_half, int end_half)
{
	return start == end && start_half && end_half ? -1 : 0;
}

int64_t hr_leave_remaining(const struct hr_leave_balance *balance)
{
	if (balance->allowance < 0)
		return INT64_MAX;
	return balance->allowance - balance->taken - balance->pending;
}

int hr_leave_fits(const struct hr_leave_balance *balance, int64_t requested)
{
	/* a request that charges nothing (a weekend) never exceeds a balance */
	return balance->allowance < 0 || requested <= 0 || requested <= hr_leave_remaining(balance);
}

static const char *const hr_leave_status_names[HR_LEAVE_STATUS__MAX] = {
	[HR_LEAVE_PENDING] = "pending",
	[HR_LEAVE_APPROVED] = "approved",
	[HR_LEAVE_REJECTED] = "rejected",
	[HR_LEAVE_CANCELLED] = "cancelled",
};

static const char *const hr_leave_action_names[HR_LEAVE_ACTION__MAX] = {
	[HR_LEAVE_APPROVE] = "approve",
	[HR_LEAVE_REJECT] = "reject",
	[HR_LEAVE_CANCEL] = "cancel",
	[HR_LEAVE_EDIT] = "edit",
};

const char *hr_leave_status_name(enum hr_leave_status status)
{
	return (unsigned)status < HR_LEAVE_STATUS__MAX ? hr_leave_status_names[status] : "unknown";
}

const char *hr_leave_action_name(enum hr_leave_action action)
{
	return (unsigned)action < HR_LEAVE_ACTION__MAX ? hr_leave_action_names[action] : "unknown";
}

int hr_leave_status_parse(const char *text, enum hr_leave_status *status)
{
	for (int i = 0; text != NULL && i < HR_LEAVE_STATUS__MAX; i++) {
		if (strcmp(text, hr_leave_status_names[i]) == 0) {
			*status = (enum hr_leave_status)i;
			return 0;
		}
	}
	return -1;
}

int hr_leave_transition(enum hr_leave_status from, enum hr_leave_action action, enum hr_leave_status *to)
{
	/* Decisions are final: approved, rejected and cancelled requests stay so;
	 * a change of plan is a new request. */
	static const enum hr_leave_status outcome[HR_LEAVE_ACTION__MAX] = {
		[HR_LEAVE_APPROVE] = HR_LEAVE_APPROVED,
		[HR_LEAVE_REJECT] = HR_LEAVE_REJECTED,
		[HR_LEAVE_CANCEL] = HR_LEAVE_CANCELLED,
		[HR_LEAVE_EDIT] = HR_LEAVE_PENDING,
	};
	if (from != HR_LEAVE_PENDING || (unsigned)action >= HR_LEAVE_ACTION__MAX)
		return -1;
	*to = outcome[action];
	return 0;
}

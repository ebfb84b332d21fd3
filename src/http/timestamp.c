/* RFC 3339 parsing into UTC DATETIME text. Offsets are applied with
 * timegm/gmtime_r, so "2026-01-01T00:30:00+01:00" is 2025-12-31 23:30 UTC. */
#include "http/timestamp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* count decimal digits at text into *value; 0 or -1. */
static int timestamp_digits(const char *text, int count, int *value)
{
	int result = 0;
	for (int i = 0; i < count; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		result = result * 10 + (text[i] - '0');
	}
	*value = result;
	return 0;
}

static int timestamp_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DD" at the start of text; 0 or -1. */
static int timestamp_read_date(const char *text, struct tm *fields)
{
	int year, month, day;
	if (timestamp_digits(text, 4, &year) != 0 || text[4] != '-' || timestamp_digits(text + 5, 2, &month) != 0 ||
		text[7] != '-' || timestamp_digits(text + 8, 2, &day) != 0)
		return -1;
	if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1 || day > timestamp_days_in_month(year, month))
		return -1;
	memset(fields, 0, sizeof(*fields));
	fields->tm_year = year - 1900;
	fields->tm_mon = month - 1;
	fields->tm_mday = day;
	return 0;
}

int timestamp_from_sql(const char *text, char out[TIMESTAMP_JSON_SIZE])
{
	size_t length = strlen(text);
	if (length < 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':' || (length > 19 && text[19] != '.'))
		return -1;
	size_t fraction_digits = 0;
	if (length > 19) {
		fraction_digits = length - 20;
		if (fraction_digits == 0 || fraction_digits > 6 || strspn(text + 20, "0123456789") != fraction_digits)
			return -1;
	}
	memcpy(out, text, 10);
	out[10] = 'T';
	memcpy(out + 11, text + 11, 8);
	out[19] = '.';
	for (size_t i = 0; i < 6; i++)
		out[20 + i] = i < fraction_digits ? text[20 + i] : '0';
	out[26] = 'Z';
	out[27] = '\0';
	return 0;
}

int timestamp_is_date(const char *text)
{
	struct tm fields;
	return text != NULL && strlen(text) == 10 && timestamp_read_date(text, &fields) == 0;
}

static void timestamp_write(time_t instant, int microseconds, char out[TIMESTAMP_SQL_SIZE])
{
	struct tm utc;
	gmtime_r(&instant, &utc);
	/* Wide enough for any int the compiler imagines; the values are in range. */
	char text[96];
	snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d.%06d", utc.tm_year + 1900, utc.tm_mon + 1,
		utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, microseconds);
	snprintf(out, TIMESTAMP_SQL_SIZE, "%.26s", text);
}

/* The instant text names, as seconds since the epoch and microseconds. */
static int timestamp_read(const char *text, enum timestamp_form form, time_t *instant, int *microseconds_out)
{
	struct tm fields;
	if (text == NULL || strlen(text) < 10 || strlen(text) > 40 || timestamp_read_date(text, &fields) != 0)
		return -1;
	if (text[10] == '\0') {
		if (form == TIMESTAMP_DATE_TIME)
			return -1;
		*instant = timegm(&fields) + (form == TIMESTAMP_OR_DATE_END ? 86400
						: form == TIMESTAMP_OR_DATE_LAST_SECOND ? 86399 : 0);
		*microseconds_out = 0;
		return 0;
	}
	int hour, minute, second;
	const char *cursor = text + 10;
	if ((*cursor != 'T' && *cursor != 't') || timestamp_digits(cursor + 1, 2, &hour) != 0 || cursor[3] != ':' ||
		timestamp_digits(cursor + 4, 2, &minute) != 0 || cursor[6] != ':' ||
		timestamp_digits(cursor + 7, 2, &second) != 0)
		return -1;
	/* A leap second (:60) names the instant that follows it, as POSIX time does. */
	if (hour > 23 || minute > 59 || second > 60)
		return -1;
	cursor += 9;
	int microseconds = 0;
	if (*cursor == '.') {
		int fraction_digits = 0;
		for (cursor++; *cursor >= '0' && *cursor <= '9'; cursor++, fraction_digits++)
			if (fraction_digits < 6)
				microseconds = microseconds * 10 + (*cursor - '0');
		if (fraction_digits == 0 || fraction_digits > 9)
			return -1;
		for (int i = fraction_digits; i < 6; i++)
			microseconds *= 10;
	}
	int offset_s = 0;
	if (*cursor == 'Z' || *cursor == 'z') {
		cursor++;
	} else if (*cursor == '+' || *cursor == '-') {
		int offset_hours, offset_minutes;
		if (timestamp_digits(cursor + 1, 2, &offset_hours) != 0 || cursor[3] != ':' ||
			timestamp_digits(cursor + 4, 2, &offset_minutes) != 0 || offset_hours > 23 || offset_minutes > 59)
			return -1;
		offset_s = (offset_hours * 60 + offset_minutes) * 60 * (*cursor == '-' ? -1 : 1);
		cursor += 6;
	} else {
		return -1;
	}
	if (*cursor != '\0')
		return -1;
	fields.tm_hour = hour;
	fields.tm_min = minute;
	fields.tm_sec = second;
	*instant = timegm(&fields) - offset_s;
	*microseconds_out = microseconds;
	return 0;
}

int timestamp_parse(const char *text, enum timestamp_form form, char out[TIMESTAMP_SQL_SIZE])
{
	time_t instant;
	int microseconds;
	if (timestamp_read(text, form, &instant, &microseconds) != 0)
		return -1;
	timestamp_write(instant, microseconds, out);
	return 0;
}

int timestamp_parse_seconds(const char *text, enum timestamp_form form, int64_t *seconds)
{
	time_t instant;
	int microseconds;
	if (timestamp_read(text, form, &instant, &microseconds) != 0)
		return -1;
	*seconds = (int64_t)instant;
	return 0;
}

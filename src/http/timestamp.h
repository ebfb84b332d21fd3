/* The one timestamp grammar of the API: RFC 3339 date-times with an optional
 * fraction and a required offset ("2026-11-23T08:00:00Z",
 * "2026-11-23T09:00:00.250+01:00"), and plain dates ("2026-11-23") where a
 * parameter is a day. Parsed values are written in UTC the way MariaDB reads
 * a DATETIME(6), so no client text reaches SQL unparsed. */
#ifndef INTUKA_HTTP_TIMESTAMP_H
#define INTUKA_HTTP_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DD HH:MM:SS.ffffff" plus its terminator. */
#define TIMESTAMP_SQL_SIZE 27

enum timestamp_form {
	TIMESTAMP_DATE_TIME, /* RFC 3339 date-time only */
	TIMESTAMP_OR_DATE,   /* a date-time, or a date meaning its first instant (00:00 UTC) */
	TIMESTAMP_OR_DATE_END, /* an exclusive end: a date-time, or a date meaning the instant after it ends */
	TIMESTAMP_OR_DATE_LAST_SECOND, /* an inclusive end shown to people: a date means its 23:59:59 */
};

/* 0 and out filled (UTC) when text is a valid instant of that form; -1 otherwise. */
int timestamp_parse(const char *text, enum timestamp_form form, char out[TIMESTAMP_SQL_SIZE]);
/* The same instant as whole seconds since the epoch (a fraction is dropped). */
int timestamp_parse_seconds(const char *text, enum timestamp_form form, int64_t *seconds);

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" plus its terminator. */
#define TIMESTAMP_JSON_SIZE 28

/* A DATETIME as MariaDB sends it ("2026-11-23 08:11:02.123", any number of
 * fraction digits, none included) in the API's form
 * ("2026-11-23T08:11:02.123000Z"); 0, or -1 when text has another shape. */
int timestamp_from_sql(const char *text, char out[TIMESTAMP_JSON_SIZE]);

/* 1 when text has the date-only shape "YYYY-MM-DD": a real calendar day of
 * the years 1900 to 2999 (every date and time the API reads is in them). */
int timestamp_is_date(const char *text);

#endif

/* RFC 4180 cells, formula-safe, and the choice between CSV and JSON. */
#include "http/csv.h"
#include "core/json_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void csv_text_cell(struct json_text *out, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	int formula = strchr("=+-@\t\r", value[0]) != NULL;
	int quoted = strpbrk(value, ",\"\r\n") != NULL;
	if (quoted)
		json_text_char(out, '"');
	if (formula)
		json_text_char(out, '\'');
	for (const char *run = value; *run != '\0';) {
		const char *quote = strchr(run, '"');
		size_t length = quote ? (size_t)(quote - run) : strlen(run);
		json_text_raw(out, run, length);
		if (quote == NULL)
			break;
		json_text_raw(out, "\"\"", 2);
		run = quote + 1;
	}
	if (quoted)
		json_text_char(out, '"');
}

void csv_plain_cell(struct json_text *out, const char *value)
{
	if (value != NULL)
		json_text_raw(out, value, strlen(value));
}

void csv_separator(struct json_text *out)
{
	json_text_char(out, ',');
}

void csv_row_end(struct json_text *out)
{
	json_text_raw(out, "\r\n", 2);
}

/* The q of one media range's parameters ("; q=0.5"): 1000 for 1, 0 for 0. */
static int csv_quality(const char *parameters, size_t length)
{
	int quality = 1000;
	for (size_t i = 0; i + 1 < length; i++) {
		if (parameters[i] != ';')
			continue;
		size_t at = i + 1;
		while (at < length && (parameters[at] == ' ' || parameters[at] == '\t'))
			at++;
		if (at + 2 <= length && (parameters[at] == 'q' || parameters[at] == 'Q') && parameters[at + 1] == '=') {
			at += 2;
			int whole = at < length ? parameters[at] - '0' : -1;
			if (whole != 0 && whole != 1)
				return 0;
			quality = whole * 1000;
			at++;
			if (at < length && parameters[at] == '.') {
				int scale = 100;
				for (at++; at < length && isdigit((unsigned char)parameters[at]) && scale > 0; at++, scale /= 10)
					quality += (parameters[at] - '0') * scale;
			}
			return quality > 1000 ? 1000 : quality;
		}
	}
	return quality;
}

int csv_requested(const char *format, const char *accept)
{
	if (format != NULL)
		return strcmp(format, "csv") == 0;
	if (accept == NULL)
		return 0;
	int csv = -1, json = -1;
	for (const char *range = accept; *range != '\0';) {
		range += strspn(range, " \t,");
		const char *end = strchr(range, ',');
		size_t length = end ? (size_t)(end - range) : strlen(range);
		size_t type_length = strcspn(range, ";, \t");
		if (type_length > length)
			type_length = length;
		int quality = csv_quality(range + type_length, length - type_length);
		if (type_length == 8 && strncasecmp(range, "text/csv", 8) == 0)
			csv = quality > csv ? quality : csv;
		else if (type_length == 16 && strncasecmp(range, "application/json", 16) == 0)
			json = quality > json ? quality : json;
		if (end == NULL)
			break;
		range = end + 1;
	}
	return csv > 0 && csv > json;
}

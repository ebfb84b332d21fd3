/* CSV text (RFC 4180) for list exports: cells separated by commas, rows
 * ended by CRLF, a cell quoted when it holds a comma, a quote, CR or LF
 * (quotes doubled inside). Text cells are made formula-safe: one that
 * starts with = + - @ tab or CR gets a leading apostrophe, so a spreadsheet
 * opening the file shows it instead of running it (CWE-1236). Cells are
 * appended to a core/json_text buffer used as plain bytes. */
#ifndef INTUKA_HTTP_CSV_H
#define INTUKA_HTTP_CSV_H

#include <stddef.h>

struct json_text;

#define CSV_CONTENT_TYPE "text/csv; charset=utf-8"

/* A text cell (NULL: empty), quoted and made formula-safe as needed. */
void csv_text_cell(struct json_text *out, const char *value);
/* A cell the server wrote itself from a number or a fixed word: as it is. */
void csv_plain_cell(struct json_text *out, const char *value);
/* Between cells and at the end of a row. */
void csv_separator(struct json_text *out);
void csv_row_end(struct json_text *out);

/* Whether the answer should be CSV: format wins when given ("csv" or
 * "json"); otherwise Accept must rank text/csv above application/json
 * (a missing q counts as 1; a q of 0 refuses a type; equal ranks keep JSON). */
int csv_requested(const char *format, const char *accept);

#endif

/* fields= and CSV exports for lists a module builds as json-c trees (the
 * audit log): the same rules as the record engine's lists. The module
 * declares its columns once; the export reads its pages in batches through
 * the module's own statement, inside one read transaction (one snapshot),
 * and streams them, so a worker holds one batch, never the export. */
#ifndef INTUKA_HANDLER_LIST_EXPORT_H
#define INTUKA_HANDLER_LIST_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct request_context;

/* Rows past which an export is a 413 (as the record engine's), and a batch. */
#define LIST_EXPORT_MAX_ROWS 10000
#define LIST_EXPORT_BATCH_ROWS 500

struct list_export {
	const char *file_name;       /* "audit-log": the attachment's name, without .csv */
	const char *const *columns;  /* the records' member names, in order, NULL-terminated (at most 64) */
	uint64_t selected;           /* from list_export_select_or_reply; 0: every column */
	/* Appends up to limit records from offset to items and sets *total to
	 * what the filters match (0 when no row came): a db_result. */
	int (*fetch)(struct request_context *context, void *state, uint64_t limit, uint64_t offset, json_object *items,
		uint64_t *total);
	void *state;
};

/* fields= against columns: the selection (0 when absent), or -1 with the
 * 400 set. The pipeline already refused unknown names (a QUERY_LIST whose
 * enum_values are the columns). */
int list_export_select_or_reply(struct request_context *context, const char *const *columns, uint64_t *selected);
/* Keeps in each record of items only the selected members (selected 0: all). */
void list_export_pick(json_object *items, const char *const *columns, uint64_t selected);
/* Whether the request asks for CSV (format=csv, or Accept ranking text/csv first). */
int list_export_wanted(const struct request_context *context);
/* The whole filtered list as CSV: 400 for page or limit, 413 past
 * LIST_EXPORT_MAX_ROWS before any CSV, otherwise streamed; a database
 * failure halfway cuts the connection. */
void list_export_csv(struct request_context *context, const struct list_export *export);

#endif

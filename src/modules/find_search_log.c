/* See find_search_log.h. */
#include "modules/find_search_log.h"
#include "core/log.h"
#include "db/db.h"
#include "handler/context.h"

#include <string.h>
#include <time.h>

#define FIND_SEARCH_LOG_COLUMNS "INSERT INTO find_search_log (tenant_id, entity, workspace, query_text, result_count, " \
				"source, api_key_id, search_context) VALUES "
#define FIND_SEARCH_LOG_ROW "(?, ?, ?, ?, ?, ?, ?, ?)"
#define FIND_SEARCH_LOG_ROWS_2 FIND_SEARCH_LOG_ROW ", " FIND_SEARCH_LOG_ROW
#define FIND_SEARCH_LOG_ROWS_4 FIND_SEARCH_LOG_ROWS_2 ", " FIND_SEARCH_LOG_ROWS_2
#define FIND_SEARCH_LOG_ROWS_8 FIND_SEARCH_LOG_ROWS_4 ", " FIND_SEARCH_LOG_ROWS_4

/* Batches of 8, 4, 2 and 1 rows: any count is written in at most four statements. */
static const struct db_statement_def find_search_log_statements[] = {
	{.name = "find.search_log_8", .sql = FIND_SEARCH_LOG_COLUMNS FIND_SEARCH_LOG_ROWS_8, .tenant_bound = 1},
	{.name = "find.search_log_4", .sql = FIND_SEARCH_LOG_COLUMNS FIND_SEARCH_LOG_ROWS_4, .tenant_bound = 1},
	{.name = "find.search_log_2", .sql = FIND_SEARCH_LOG_COLUMNS FIND_SEARCH_LOG_ROWS_2, .tenant_bound = 1},
	{.name = "find.search_log_1", .sql = FIND_SEARCH_LOG_COLUMNS FIND_SEARCH_LOG_ROW, .tenant_bound = 1},
};

const struct statement_table find_search_log_statement_table = {"find.search_log", find_search_log_statements,
	sizeof(find_search_log_statements) / sizeof(find_search_log_statements[0])};

static struct find_search_log_entry find_search_log_pending[FIND_SEARCH_LOG_BATCH];
static size_t find_search_log_count;
static int64_t find_search_log_oldest_ms;

static int64_t find_search_log_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* rows entries from first, in the statement for that many. */
static int find_search_log_write(struct db *db, const struct find_search_log_entry *first, size_t rows,
	const struct db_statement_def *statement)
{
	struct db_param params[8 * FIND_SEARCH_LOG_BATCH];
	for (size_t i = 0; i < rows; i++) {
		const struct find_search_log_entry *entry = &first[i];
		struct db_param *row = &params[8 * i];
		row[0] = DB_UINT(entry->tenant_id);
		row[1] = DB_TEXT(entry->entity);
		row[2] = DB_TEXT(entry->workspace);
		row[3] = DB_TEXT(entry->query);
		row[4] = DB_UINT(entry->result_count);
		row[5] = DB_TEXT(entry->source);
		row[6] = entry->api_key_id ? DB_UINT(entry->api_key_id) : DB_NULL;
		row[7] = entry->search_context[0] ? DB_TEXT(entry->search_context) : DB_NULL;
	}
	return db_exec(db, statement, params, 8 * rows, NULL, NULL);
}

void find_search_log_flush(struct db *db, int64_t now_ms, int force)
{
	if (find_search_log_count == 0 ||
		(!force && find_search_log_count < FIND_SEARCH_LOG_BATCH &&
			now_ms - find_search_log_oldest_ms < FIND_SEARCH_LOG_WAIT_MS))
		return;
	size_t written = 0;
	for (size_t size = 8, statement = 0; size >= 1; size /= 2, statement++) {
		while (find_search_log_count - written >= size) {
			if (find_search_log_write(db, &find_search_log_pending[written], size,
				    &find_search_log_statements[statement]) != DB_OK)
				log_warn("search log: %zu entries not written: %s", size, db_last_error(db));
			written += size;
		}
	}
	find_search_log_count = 0;
}

void find_search_log_after_response(struct request_context *context)
{
	int64_t now_ms = find_search_log_now_ms();
	if (find_search_log_count == 0)
		find_search_log_oldest_ms = now_ms;
	memcpy(&find_search_log_pending[find_search_log_count++], context->after_response_data,
		sizeof(struct find_search_log_entry));
	find_search_log_flush(context->db, now_ms, 0);
}

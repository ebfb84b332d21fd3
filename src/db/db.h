/* MariaDB access for one worker: one connection, opened lazily, prepared
 * statements cached by their definition, transparent reconnect (and one
 * retry outside a transaction) after the server restarts. Every statement
 * is a static definition next to the module that uses it. */
#ifndef INTUKA_DB_DB_H
#define INTUKA_DB_DB_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct db;

struct db_statement_def {
	const char *name; /* for logs: "system.schema_version" */
	const char *sql;
	/* 1 when the statement is scoped by "tenant_id = ?"; 0 only for the
	 * few global lookups (tenant by slug, schema version), listed in tests. */
	int tenant_bound;
};

/* A module's statements, listed by the registry so tests can check that
 * each binds the tenant id. */
struct statement_table {
	const char *module_name;
	const struct db_statement_def *statements;
	size_t statement_count;
};

enum db_param_type { DB_PARAM_NULL, DB_PARAM_INT64, DB_PARAM_UINT64, DB_PARAM_TEXT, DB_PARAM_BLOB };

struct db_param {
	enum db_param_type type;
	int64_t int_value;
	uint64_t uint_value;
	const char *text;
	size_t text_length;
};

#define DB_INT(v) ((struct db_param){.type = DB_PARAM_INT64, .int_value = (v)})
#define DB_UINT(v) ((struct db_param){.type = DB_PARAM_UINT64, .uint_value = (v)})
#define DB_TEXT(s) ((struct db_param){.type = DB_PARAM_TEXT, .text = (s), .text_length = strlen(s)})
#define DB_TEXTN(s, n) ((struct db_param){.type = DB_PARAM_TEXT, .text = (s), .text_length = (n)})
#define DB_BLOB(p, n) ((struct db_param){.type = DB_PARAM_BLOB, .text = (const char *)(p), .text_length = (n)})
#define DB_NULL ((struct db_param){.type = DB_PARAM_NULL})

enum db_result {
	DB_OK,
	DB_UNAVAILABLE, /* cannot reach the server: 503 */
	DB_DUPLICATE,   /* unique key violated: 409 */
	DB_DEADLOCK,    /* transaction chosen as victim: retry or 409 */
	DB_ERROR,       /* anything else: 500, logged */
};

/* One fetched row: values are NUL-terminated text (NULL for SQL NULL), valid
 * only during the callback. */
struct db_row {
	size_t column_count;
	const char *const *values;
	const unsigned long *lengths;
};

/* Return 0 to continue, non-zero to stop fetching (the rest is discarded). */
typedef int (*db_row_callback)(void *callback_context, const struct db_row *row);

struct db_counters {
	uint64_t round_trips;
	uint64_t reconnects;
};

struct db *db_new(const struct config *config);
void db_free(struct db *db);

/* Run a statement that returns no rows. affected_rows and insert_id may be NULL. */
enum db_result db_exec(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, uint64_t *affected_rows, uint64_t *insert_id);
/* Run a statement and hand every row to on_row. */
enum db_result db_query(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, db_row_callback on_row, void *callback_context);

enum db_result db_begin(struct db *db);
enum db_result db_commit(struct db *db);
void db_rollback(struct db *db);
/* 1 between db_begin and db_commit/db_rollback. The request flow rolls back
 * whatever a handler left open, so handlers do not on their error paths. */
int db_in_transaction(const struct db *db);

/* Plain text SQL without parameters (migrations, admin); multi-statement allowed. */
enum db_result db_exec_script(struct db *db, const char *sql);
/* Opens the connection now if it is not open; for health checks. */
enum db_result db_ensure_connected(struct db *db);
const char *db_last_error(const struct db *db);
const struct db_counters *db_get_counters(const struct db *db);

#endif

/* MariaDB access for one worker: one connection, opened lazily, prepared
 * statements cached by their definition, transparent reconnect after the
 * server restarts. A statement that finds the connection lost is retried
 * once on a fresh one when that is safe: outside a transaction, and only
 * a read or a retry-safe write, or a write that never reached the server.
 * Every statement is a static definition next to the module that uses it. */
#ifndef INTUKA_DB_DB_H
#define INTUKA_DB_DB_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct db;

/* The most parameters one statement may bind. */
#define DB_MAX_PARAMS 64

struct db_statement_def {
	const char *name; /* for logs: "system.schema_version" */
	const char *sql;
	/* 1 when the statement is scoped by "tenant_id = ?"; 0 only for the
	 * few global lookups (tenant by slug, schema version), listed in tests. */
	int tenant_bound;
	/* 1 for a write that may run twice without harm (it sets values rather
	 * than adding to them, or it only counts): outside a transaction it is
	 * retried after a lost connection like a read. Reads are always. */
	int retry_safe;
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
	/* The connection was lost after a COMMIT or a write that is not
	 * retry-safe reached the server: it may or may not have been applied,
	 * so it is not retried. 503; the client retries with its
	 * Idempotency-Key or looks before it writes again. */
	DB_OUTCOME_UNKNOWN,
};

/* What a server or client error number means to the code above, whatever
 * the statement was. Pure; exposed for tests. */
enum db_failure_class {
	DB_FAILURE_OTHER,
	DB_FAILURE_DUPLICATE,
	/* The connection is gone (or going): reconnect, to another node when
	 * there are several. A write already sent may have been applied. */
	DB_FAILURE_CONNECTION_LOST,
	/* 1047: a Galera node that is not part of the primary component (lost
	 * quorum, still joining) refuses every statement; nothing ran. */
	DB_FAILURE_NODE_NOT_READY,
	/* 1213: a deadlock on one server, or on Galera a certification failure
	 * (another node committed a write to the same rows first). The server
	 * rolled the whole transaction back: repeating it whole is sound. */
	DB_FAILURE_CONFLICT,
};
enum db_failure_class db_failure_class_of(unsigned error_number);

/* What happened to the database in one run of a request's handler, for
 * deciding whether running it again is sound (flow/pipeline.c). */
struct db_attempt {
	unsigned conflicts;   /* DB_FAILURE_CONFLICT answers */
	unsigned unavailable; /* connections lost, nodes not ready, connects failed */
	/* Commits and autocommit writes that took effect (or may have: an
	 * outcome unknown counts): after one, the run cannot be repeated whole.
	 * Writes marked retry_safe do not count. */
	unsigned applied_writes;
};

/* Runs of a request's handler, the first included, when a conflict or a
 * lost node made it fail before anything was applied. */
#define DB_ATTEMPTS_MAX 4

/* Milliseconds to wait before repeat number repeat (1-based) of a request:
 * half fixed, half random from random_value, doubling from 10-20 ms up to
 * 80-160 ms, so two nodes that conflicted do not meet again in step. */
unsigned db_repeat_delay_ms(unsigned repeat, uint32_t random_value);
/* 1 when a run with this record failed for a reason another run may not
 * meet (a conflict; a lost or unready node when there is another node to
 * move to) and applied nothing. Pure; exposed for tests. */
int db_attempt_repeatable(const struct db_attempt *attempt, size_t host_count);

/* What a statement that the server answered without an error means for
 * the caller's transaction, given the connection's server status flags
 * after it: DB_OK, or DB_DEADLOCK when the caller had a transaction open
 * and the server no longer does. Galera ends a transaction that lost to a
 * replicated write (a brute-force abort) by itself; the next statement is
 * usually told so (1213), but one seen to run without an error then ran
 * alone, in autocommit, and a COMMIT after it would report done what was
 * rolled back. Pure; exposed for tests. */
enum db_result db_statement_outcome(int in_transaction, unsigned server_status);

/* How a column's text is to be read by code that does not know the
 * statement (a tenant's export): as a number, as text, or as bytes. */
enum db_column_kind { DB_COLUMN_TEXT, DB_COLUMN_NUMBER, DB_COLUMN_BINARY };

/* One fetched row: values are NUL-terminated text (NULL for SQL NULL), valid
 * only during the callback, as are the column names and kinds. */
struct db_row {
	size_t column_count;
	const char *const *values;
	const unsigned long *lengths;
	const char *const *names;
	const enum db_column_kind *kinds;
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

/* 1 when running the statement twice does no harm: SELECT (and WITH)
 * statements, and writes marked retry_safe. */
int db_statement_retry_safe(const struct db_statement_def *statement);
/* 1 for the results that mean the database could not be used just now
 * (DB_UNAVAILABLE, DB_OUTCOME_UNKNOWN): a 503, and further statements of
 * the request would fail the same way. */
int db_result_is_unavailable(enum db_result result);

/* Plain text SQL without parameters (migrations, admin); multi-statement allowed. */
enum db_result db_exec_script(struct db *db, const char *sql);
/* Opens the connection now if it is not open; for health checks. */
enum db_result db_ensure_connected(struct db *db);
const char *db_last_error(const struct db *db);
/* Starts a new record of what a handler's run does to the database. */
void db_attempt_start(struct db *db);
const struct db_attempt *db_attempt_record(const struct db *db);
/* Database nodes this worker may use (1 without db_hosts). */
size_t db_host_count(const struct db *db);
const struct db_counters *db_get_counters(const struct db *db);

#endif

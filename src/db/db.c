/* Connection handling, statement cache and the bind/fetch plumbing of
 * MariaDB Connector/C, kept in one place so modules deal in rows. */
#include "db/db.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/log.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DB_STATEMENT_CACHE_SLOTS 1024 /* power of two, well above every statement the modules define */
#define DB_MAX_COLUMNS 64
#define DB_COLUMN_INITIAL_BYTES 256
/* A column buffer that grew past this is freed after its query: a rare
 * large value does not stay in every worker's memory. */
#define DB_COLUMN_KEPT_BYTES (64 * 1024)

struct db_cached_statement {
	const struct db_statement_def *definition;
	MYSQL_STMT *handle;
};

struct db {
	MYSQL *connection;
	const struct config *config;
	int in_transaction;
	/* DB_OK, or how the open transaction already failed: a conflict (the
	 * server rolled it all back) or a lost connection (the server drops
	 * it). Until the caller rolls back or begins anew, every statement and
	 * the COMMIT of that transaction answer this without reaching the
	 * server: one that ran would run on its own, in autocommit, and a
	 * COMMIT would report done what was never written. */
	enum db_result transaction_failure;
	/* The nodes of db_hosts (or db_host alone) and the one in use: a lost
	 * or unready node sends the worker to the next, round the list. */
	struct config_db_host hosts[CONFIG_DB_HOSTS_MAX];
	size_t host_count;
	size_t host_index;
	/* When this worker last connected to a node other than its first. */
	time_t failed_over_at;
	/* The last error was a node refusing to work (1047): nothing ran. */
	int node_not_ready;
	struct db_attempt attempt;
	struct db_cached_statement cache[DB_STATEMENT_CACHE_SLOTS];
	struct db_counters counters;
	char last_error[512];
	/* Rows handed to callbacks by the current statement. */
	size_t rows_delivered;
	/* Fetch buffers, one per column, kept from query to query: rows are
	 * fetched one query at a time on a connection, so they are never shared. */
	char *column_buffers[DB_MAX_COLUMNS];
	size_t column_capacities[DB_MAX_COLUMNS];
};

struct db *db_new(const struct config *config)
{
	struct db *db = xcalloc(1, sizeof(*db));
	db->config = config;
	char error[CONFIG_ERROR_MAX];
	if (config->db_hosts[0] != '\0' && config->db_socket[0] == '\0' &&
		config_parse_db_hosts(config->db_hosts, config->db_port, db->hosts, CONFIG_DB_HOSTS_MAX, &db->host_count,
			error, sizeof(error)) != 0) {
		/* config_validate refused this already; db_host stays usable. */
		log_error("db_hosts: %s; using db_host", error);
		db->host_count = 0;
	}
	if (db->host_count == 0) {
		snprintf(db->hosts[0].host, sizeof(db->hosts[0].host), "%s", config->db_host);
		db->hosts[0].port = config->db_port;
		db->host_count = 1;
	}
	/* Every worker starts with the list's first node and moves on only when
	 * it fails (and stays on the next until that one fails): the workers of
	 * one web node write through one Galera node, so they conflict with each
	 * other as on one server (by waiting on locks), not by failing
	 * certification at commit. */
	return db;
}

static void db_forget_statements(struct db *db)
{
	for (size_t i = 0; i < DB_STATEMENT_CACHE_SLOTS; i++) {
		if (db->cache[i].handle != NULL)
			mysql_stmt_close(db->cache[i].handle);
		db->cache[i].handle = NULL;
		db->cache[i].definition = NULL;
	}
}

static void db_disconnect(struct db *db)
{
	db_forget_statements(db);
	if (db->connection != NULL)
		mysql_close(db->connection);
	db->connection = NULL;
	db->in_transaction = 0;
	db->transaction_failure = DB_OK;
}

/* The connection failed. A node that refused to work (1047: no quorum,
 * still joining) is left for the next one of the list; after a lost
 * connection the next connect tries the same node first (a session
 * killed, an idle timeout: the node is fine), and a node that is gone
 * refuses or times out there, so the connect moves on by itself. */
static void db_leave_node(struct db *db)
{
	int not_ready = db->node_not_ready;
	db_disconnect(db);
	if (not_ready && db->host_count > 1)
		db->host_index = (db->host_index + 1) % db->host_count;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	for (size_t c = 0; c < DB_MAX_COLUMNS; c++)
		free(db->column_buffers[c]);
	free(db);
}

const char *db_last_error(const struct db *db)
{
	return db->last_error;
}

const struct db_counters *db_get_counters(const struct db *db)
{
	return &db->counters;
}

enum db_failure_class db_failure_class_of(unsigned error_number)
{
	switch (error_number) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_STMT_CLOSED:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case ER_UNKNOWN_STMT_HANDLER:
		return DB_FAILURE_CONNECTION_LOST;
	case ER_UNKNOWN_COM_ERROR: /* 1047, "WSREP has not yet prepared node for application use" */
		return DB_FAILURE_NODE_NOT_READY;
	case ER_LOCK_DEADLOCK:
		return DB_FAILURE_CONFLICT;
	case ER_DUP_ENTRY:
		return DB_FAILURE_DUPLICATE;
	default:
		return DB_FAILURE_OTHER;
	}
}

unsigned db_repeat_delay_ms(unsigned repeat, uint32_t random_value)
{
	unsigned shift = repeat == 0 ? 0 : repeat - 1;
	if (shift > 3)
		shift = 3;
	unsigned half = 10u << shift; /* 10, 20, 40, 80 */
	return half + random_value % (half + 1);
}

int db_attempt_repeatable(const struct db_attempt *attempt, size_t host_count)
{
	if (attempt->applied_writes > 0)
		return 0;
	return attempt->conflicts > 0 || (attempt->unavailable > 0 && host_count > 1);
}

/* Seconds on another node before a worker tries its first node again. */
#define DB_FAILBACK_S 30

void db_attempt_start(struct db *db)
{
	memset(&db->attempt, 0, sizeof(db->attempt));
	/* Back to the first node a while after a failover, between requests,
	 * so the web node's workers gather on one node again (its writes then
	 * wait on locks there instead of failing certification). When the
	 * first node is still away, the connect moves on at once (refused) or
	 * after db_connect_timeout_s, once per DB_FAILBACK_S. */
	if (db->connection != NULL && db->host_index != 0 && !db->in_transaction &&
		time(NULL) - db->failed_over_at >= DB_FAILBACK_S) {
		db_disconnect(db);
		db->host_index = 0;
	}
}

const struct db_attempt *db_attempt_record(const struct db *db)
{
	return &db->attempt;
}

size_t db_host_count(const struct db *db)
{
	return db->host_count;
}

static enum db_result db_classify(struct db *db, unsigned error_number, const char *message)
{
	snprintf(db->last_error, sizeof(db->last_error), "%u: %s", error_number, message);
	db->node_not_ready = 0;
	switch (db_failure_class_of(error_number)) {
	case DB_FAILURE_NODE_NOT_READY:
		db->node_not_ready = 1;
		db->attempt.unavailable++;
		return DB_UNAVAILABLE;
	case DB_FAILURE_CONNECTION_LOST:
		db->attempt.unavailable++;
		return DB_UNAVAILABLE;
	case DB_FAILURE_DUPLICATE:
		return DB_DUPLICATE;
	case DB_FAILURE_CONFLICT:
		db->attempt.conflicts++;
		return DB_DEADLOCK;
	default:
		return DB_ERROR;
	}
}

/* A statement's error. A few failures (an error packet in the middle of a
 * result set) leave the number on the connection rather than on the
 * statement; with no number anywhere, nobody knows where the conversation
 * with the server stands, and it is treated as lost. */
static enum db_result db_classify_statement(struct db *db, MYSQL_STMT *handle)
{
	unsigned error_number = mysql_stmt_errno(handle);
	if (error_number != 0)
		return db_classify(db, error_number, mysql_stmt_error(handle));
	if (db->connection != NULL && mysql_errno(db->connection) != 0)
		return db_classify(db, mysql_errno(db->connection), mysql_error(db->connection));
	return db_classify(db, CR_SERVER_LOST, "statement failed without an error number");
}

/* A handle with every option a session needs. One per connection attempt:
 * a failed mysql_real_connect leaves its handle's options reset (a later
 * connect on it got the server's time zone and sql_mode, no read timeout,
 * and string columns cut to their buffer without a truncation report). */
static MYSQL *db_connection_new(const struct config *config)
{
	MYSQL *connection = mysql_init(NULL);
	if (connection == NULL)
		return NULL;
	unsigned connect_timeout = (unsigned)config->db_connect_timeout_s;
	unsigned read_timeout = (unsigned)config->db_read_timeout_s;
	my_bool no_reconnect = 0; /* we re-prepare statements ourselves after a reconnect */
	my_bool report_truncation = 1; /* db_fetch_rows grows a buffer on it */
	mysql_optionsv(connection, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_optionsv(connection, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
	mysql_optionsv(connection, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
	mysql_optionsv(connection, MYSQL_OPT_RECONNECT, &no_reconnect);
	mysql_optionsv(connection, MYSQL_REPORT_DATA_TRUNCATION, &report_truncation);
	mysql_optionsv(connection, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* UTC and strict mode on every connection, whatever the server defaults are. */
	mysql_optionsv(connection, MYSQL_INIT_COMMAND,
		"SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,"
		"ERROR_FOR_DIVISION_BY_ZERO'");
	return connection;
}

enum db_result db_ensure_connected(struct db *db)
{
	if (db->connection != NULL)
		return DB_OK;
	const struct config *config = db->config;
	const char *socket_path = config->db_socket[0] ? config->db_socket : NULL;
	/* Every node once, starting with the current one. A node passed over
	 * here costs the request nothing: it does not count as unavailable. */
	unsigned unavailable_before = db->attempt.unavailable;
	for (size_t tried = 0; tried < db->host_count; tried++) {
		const struct config_db_host *host = &db->hosts[db->host_index];
		MYSQL *connection = db_connection_new(config);
		if (connection == NULL)
			return DB_ERROR;
		db->counters.round_trips++;
		if (mysql_real_connect(connection, socket_path ? NULL : host->host, config->db_user, config->db_password,
			    config->db_name, (unsigned)host->port, socket_path,
			    CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS) != NULL) {
			db->connection = connection;
			db->attempt.unavailable = unavailable_before;
			if (db->host_index != 0)
				db->failed_over_at = time(NULL);
			return DB_OK;
		}
		db_classify(db, CR_CONNECTION_ERROR, mysql_error(connection));
		mysql_close(connection);
		if (db->host_count > 1) {
			log_warn("database node %s:%d unreachable (%s); trying the next", host->host, host->port,
				db->last_error);
			db->host_index = (db->host_index + 1) % db->host_count;
		}
	}
	return DB_UNAVAILABLE;
}

static MYSQL_STMT *db_prepared(struct db *db, const struct db_statement_def *definition, enum db_result *result)
{
	size_t slot = ((uintptr_t)definition >> 3) & (DB_STATEMENT_CACHE_SLOTS - 1);
	for (size_t probe = 0; probe < DB_STATEMENT_CACHE_SLOTS; probe++) {
		struct db_cached_statement *entry = &db->cache[(slot + probe) & (DB_STATEMENT_CACHE_SLOTS - 1)];
		if (entry->definition == definition)
			return entry->handle;
		if (entry->definition != NULL)
			continue;
		MYSQL_STMT *handle = mysql_stmt_init(db->connection);
		if (handle == NULL) {
			*result = DB_ERROR;
			return NULL;
		}
		db->counters.round_trips++;
		if (mysql_stmt_prepare(handle, definition->sql, (unsigned long)strlen(definition->sql)) != 0) {
			*result = db_classify_statement(db, handle);
			mysql_stmt_close(handle);
			return NULL;
		}
		entry->definition = definition;
		entry->handle = handle;
		return handle;
	}
	snprintf(db->last_error, sizeof(db->last_error), "statement cache full");
	*result = DB_ERROR;
	return NULL;
}

static void db_bind_params(MYSQL_BIND *binds, const struct db_param *params, size_t param_count,
	unsigned long *lengths)
{
	memset(binds, 0, sizeof(MYSQL_BIND) * param_count);
	for (size_t i = 0; i < param_count; i++) {
		const struct db_param *param = &params[i];
		switch (param->type) {
		case DB_PARAM_NULL:
			binds[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_PARAM_INT64:
			binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
			binds[i].buffer = (void *)&param->int_value;
			break;
		case DB_PARAM_UINT64:
			binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
			binds[i].buffer = (void *)&param->uint_value;
			binds[i].is_unsigned = 1;
			break;
		case DB_PARAM_TEXT:
		case DB_PARAM_BLOB:
			/* BLOB goes as bytes, with no character set conversion. */
			lengths[i] = (unsigned long)param->text_length;
			binds[i].buffer_type = param->type == DB_PARAM_BLOB ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
			binds[i].buffer = (void *)param->text;
			binds[i].buffer_length = lengths[i];
			binds[i].length = &lengths[i];
			break;
		}
	}
}

/* Integers and floating point are numbers; DECIMAL stays text so no digit
 * is lost; strings in the binary character set (63) are bytes. */
static enum db_column_kind db_column_kind_of(const MYSQL_FIELD *field)
{
	switch (field->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return DB_COLUMN_NUMBER;
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
		return field->charsetnr == 63 ? DB_COLUMN_BINARY : DB_COLUMN_TEXT;
	default:
		return DB_COLUMN_TEXT;
	}
}

/* Fetch every row as text. Columns start with small buffers and grow when
 * the server reports truncation, so wide rows cost nothing up front. */
static enum db_result db_fetch_rows(struct db *db, MYSQL_STMT *handle, db_row_callback on_row,
	void *callback_context)
{
	size_t column_count = mysql_stmt_field_count(handle);
	if (column_count == 0)
		return DB_OK; /* statement returns no result set */
	if (column_count > DB_MAX_COLUMNS) {
		snprintf(db->last_error, sizeof(db->last_error), "too many columns (%zu)", column_count);
		return DB_ERROR;
	}
	/* Names and kinds: the statement's own field list (Connector/C keeps it
	 * with the handle), not a copy of the metadata made for every query. */
	const MYSQL_FIELD *fields = handle->fields;
	if (fields == NULL) {
		snprintf(db->last_error, sizeof(db->last_error), "no field list for a result set");
		return DB_ERROR;
	}
	const char *names[DB_MAX_COLUMNS];
	enum db_column_kind kinds[DB_MAX_COLUMNS];
	for (size_t c = 0; c < column_count; c++) {
		names[c] = fields[c].name;
		kinds[c] = db_column_kind_of(&fields[c]);
	}
	MYSQL_BIND binds[DB_MAX_COLUMNS];
	unsigned long lengths[DB_MAX_COLUMNS];
	my_bool nulls[DB_MAX_COLUMNS];
	my_bool errors[DB_MAX_COLUMNS];
	char **buffers = db->column_buffers;
	size_t *capacities = db->column_capacities;
	const char *values[DB_MAX_COLUMNS];
	memset(binds, 0, sizeof(binds));
	for (size_t c = 0; c < column_count; c++) {
		if (buffers[c] == NULL) {
			capacities[c] = DB_COLUMN_INITIAL_BYTES;
			buffers[c] = xmalloc(capacities[c]);
		}
		binds[c].buffer_type = MYSQL_TYPE_STRING;
		binds[c].buffer = buffers[c];
		binds[c].buffer_length = (unsigned long)capacities[c] - 1;
		binds[c].length = &lengths[c];
		binds[c].is_null = &nulls[c];
		binds[c].error = &errors[c];
	}
	enum db_result result = DB_OK;
	if (mysql_stmt_bind_result(handle, binds) != 0) {
		result = db_classify_statement(db, handle);
		goto done;
	}
	int stop = 0;
	for (;;) {
		int fetch_status = mysql_stmt_fetch(handle);
		if (fetch_status == MYSQL_NO_DATA)
			break;
		if (fetch_status == 1) {
			result = db_classify_statement(db, handle);
			break;
		}
		int grew = 0;
		for (size_t c = 0; c < column_count; c++) {
			/* The length is the value's whole length, whether or not the
			 * fetch reported the cut: a value longer than its buffer is
			 * fetched again into a bigger one, never read short. */
			if (!nulls[c] && lengths[c] >= capacities[c]) {
				grew = 1;
				capacities[c] = lengths[c] + 1;
				buffers[c] = xrealloc(buffers[c], capacities[c]);
				binds[c].buffer = buffers[c];
				binds[c].buffer_length = (unsigned long)capacities[c] - 1;
				if (mysql_stmt_fetch_column(handle, &binds[c], (unsigned)c, 0) != 0) {
					result = db_classify_statement(db, handle);
					goto done;
				}
			}
			if (nulls[c]) {
				values[c] = NULL;
			} else {
				buffers[c][lengths[c]] = '\0';
				values[c] = buffers[c];
			}
		}
		if (!stop) {
			db->rows_delivered++;
			struct db_row row = {.column_count = column_count, .values = values, .lengths = lengths,
				.names = names, .kinds = kinds};
			stop = on_row(callback_context, &row);
		}
		/* Rebind after growing a buffer so the next fetch uses it. */
		if (grew && mysql_stmt_bind_result(handle, binds) != 0) {
			result = db_classify_statement(db, handle);
			break;
		}
	}
done:
	for (size_t c = 0; c < column_count; c++) {
		if (capacities[c] > DB_COLUMN_KEPT_BYTES) {
			free(buffers[c]);
			buffers[c] = NULL;
		}
	}
	return result;
}

int db_statement_retry_safe(const struct db_statement_def *statement)
{
	if (statement->retry_safe)
		return 1;
	const char *sql = statement->sql;
	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '(')
		sql++;
	return strncasecmp(sql, "SELECT", 6) == 0 || strncasecmp(sql, "WITH", 4) == 0;
}

enum db_result db_statement_outcome(int in_transaction, unsigned server_status)
{
	return in_transaction && (server_status & SERVER_STATUS_IN_TRANS) == 0 ? DB_DEADLOCK : DB_OK;
}

/* After a statement answered without an error inside a transaction: the
 * server must still hold that transaction (db_statement_outcome). When it
 * does not, the transaction is over, and the request, which wrote nothing
 * that stays, is run again like after any other conflict. */
static enum db_result db_check_transaction_held(struct db *db, const char *what)
{
	unsigned server_status = SERVER_STATUS_IN_TRANS;
	if (db->connection == NULL ||
		mariadb_get_infov(db->connection, MARIADB_CONNECTION_SERVER_STATUS, &server_status) != 0)
		return DB_OK; /* unknown: the statement's own answer stands */
	if (db_statement_outcome(db->in_transaction, server_status) == DB_OK)
		return DB_OK;
	snprintf(db->last_error, sizeof(db->last_error), "%s: the server ended the transaction (a conflict it did "
		"not report)", what);
	log_warn("%s", db->last_error);
	db->attempt.conflicts++;
	db->transaction_failure = DB_DEADLOCK;
	return DB_DEADLOCK;
}

int db_result_is_unavailable(enum db_result result)
{
	return result == DB_UNAVAILABLE || result == DB_OUTCOME_UNKNOWN;
}

/* *sent is set once the statement went to the server: a lost connection
 * after that leaves a write's outcome unknown. */
static enum db_result db_run_once(struct db *db, const struct db_statement_def *statement,
	const struct db_param *params, size_t param_count, uint64_t *affected_rows, uint64_t *insert_id,
	db_row_callback on_row, void *callback_context, int *sent)
{
	enum db_result result = db_ensure_connected(db);
	if (result != DB_OK)
		return result;
	MYSQL_STMT *handle = db_prepared(db, statement, &result);
	if (handle == NULL)
		return result;
	if (param_count > DB_MAX_PARAMS || mysql_stmt_param_count(handle) != param_count) {
		snprintf(db->last_error, sizeof(db->last_error), "%s: expects %lu parameters, got %zu",
			statement->name, mysql_stmt_param_count(handle), param_count);
		return DB_ERROR;
	}
	MYSQL_BIND binds[DB_MAX_PARAMS];
	unsigned long lengths[DB_MAX_PARAMS];
	if (param_count > 0) {
		db_bind_params(binds, params, param_count, lengths);
		if (mysql_stmt_bind_param(handle, binds) != 0)
			return db_classify_statement(db, handle);
	}
	db->counters.round_trips++;
	*sent = 1;
	if (mysql_stmt_execute(handle) != 0)
		return db_classify_statement(db, handle);
	if (affected_rows != NULL)
		*affected_rows = mysql_stmt_affected_rows(handle);
	if (insert_id != NULL)
		*insert_id = mysql_stmt_insert_id(handle);
	if (on_row != NULL)
		result = db_fetch_rows(db, handle, on_row, callback_context);
	mysql_stmt_free_result(handle);
	return result;
}

/* Times an autocommit statement that lost a conflict runs again before
 * the conflict goes to the caller. */
#define DB_AUTOCOMMIT_CONFLICT_RETRIES 5

static enum db_result db_run(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, uint64_t *affected_rows, uint64_t *insert_id, db_row_callback on_row,
	void *callback_context)
{
	int sent = 0;
	db->rows_delivered = 0;
	if (db->in_transaction && db->transaction_failure != DB_OK) {
		snprintf(db->last_error, sizeof(db->last_error), "%s: not run, its transaction already failed",
			statement->name);
		return db->transaction_failure;
	}
	unsigned conflicts_before = db->attempt.conflicts;
	enum db_result result =
		db_run_once(db, statement, params, param_count, affected_rows, insert_id, on_row, callback_context, &sent);
	/* One statement outside a transaction that lost a conflict (a deadlock,
	 * or on Galera another node's write to the same row certified first,
	 * as counters of two web nodes do) was rolled back whole: run it again
	 * after a short random pause, unless its rows were already handed on. */
	for (unsigned retry = 1; result == DB_DEADLOCK && !db->in_transaction && db->rows_delivered == 0 &&
	     retry <= DB_AUTOCOMMIT_CONFLICT_RETRIES; retry++) {
		struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)(1 + random() % (2u << retry)) * 1000000L};
		nanosleep(&pause, NULL);
		sent = 0;
		result = db_run_once(db, statement, params, param_count, affected_rows, insert_id, on_row,
			callback_context, &sent);
	}
	if (result != DB_DEADLOCK)
		db->attempt.conflicts = conflicts_before; /* overcome here: nothing for the request to repeat */
	else if (db->in_transaction)
		db->transaction_failure = DB_DEADLOCK;
	if (result == DB_OK && db->in_transaction)
		result = db_check_transaction_held(db, statement->name);
	if (result == DB_OK && !db->in_transaction && !db_statement_retry_safe(statement))
		db->attempt.applied_writes++;
	if (result != DB_UNAVAILABLE)
		return result;
	/* A node that refused the statement (1047) did not run it. */
	if (db->node_not_ready)
		sent = 0;
	/* The server went away (restart, failover, idle timeout). Inside a
	 * transaction the server rolled the work back: nothing was applied and
	 * the caller fails the request. Outside one, a fresh connection and one
	 * retry are safe unless a write that must not run twice had already
	 * reached the server: then nobody knows whether it ran. */
	int was_in_transaction = db->in_transaction;
	if (db->connection != NULL) {
		log_warn("database connection lost (%s); reconnecting", db->last_error);
		db_leave_node(db);
		db->counters.reconnects++;
	}
	if (was_in_transaction) {
		/* Still open for the caller, to be rolled back, never committed. */
		db->in_transaction = 1;
		db->transaction_failure = DB_UNAVAILABLE;
		return DB_UNAVAILABLE;
	}
	if (sent && !db_statement_retry_safe(statement)) {
		log_warn("%s: connection lost after the write was sent; not retried, outcome unknown", statement->name);
		db->attempt.applied_writes++;
		return DB_OUTCOME_UNKNOWN;
	}
	sent = 0;
	result = db_run_once(db, statement, params, param_count, affected_rows, insert_id, on_row, callback_context,
		&sent);
	if (result == DB_OK && !db_statement_retry_safe(statement))
		db->attempt.applied_writes++;
	return result;
}

enum db_result db_exec(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, uint64_t *affected_rows, uint64_t *insert_id)
{
	return db_run(db, statement, params, param_count, affected_rows, insert_id, NULL, NULL);
}

enum db_result db_query(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, db_row_callback on_row, void *callback_context)
{
	return db_run(db, statement, params, param_count, NULL, NULL, on_row, callback_context);
}

static enum db_result db_simple(struct db *db, const char *sql)
{
	db->counters.round_trips++;
	if (mysql_real_query(db->connection, sql, (unsigned long)strlen(sql)) != 0)
		return db_classify(db, mysql_errno(db->connection), mysql_error(db->connection));
	return DB_OK;
}

enum db_result db_begin(struct db *db)
{
	enum db_result result = db_ensure_connected(db);
	if (result == DB_OK)
		result = db_simple(db, "START TRANSACTION");
	if (result == DB_UNAVAILABLE && db->connection != NULL) {
		/* Nothing has happened yet in this transaction: reconnect once. */
		db_leave_node(db);
		db->counters.reconnects++;
		result = db_ensure_connected(db);
		if (result == DB_OK)
			result = db_simple(db, "START TRANSACTION");
	}
	if (result == DB_OK) {
		db->in_transaction = 1;
		db->transaction_failure = DB_OK;
	}
	return result;
}

enum db_result db_commit(struct db *db)
{
	if (db->in_transaction && db->transaction_failure != DB_OK) {
		enum db_result failure = db->transaction_failure;
		snprintf(db->last_error, sizeof(db->last_error), "COMMIT not sent: the transaction already failed");
		db->in_transaction = 0;
		db->transaction_failure = DB_OK;
		return failure;
	}
	if (db->connection == NULL)
		return DB_UNAVAILABLE;
	/* Sent now, a COMMIT of what the server already rolled back would
	 * succeed with nothing in it. */
	if (db_check_transaction_held(db, "COMMIT") != DB_OK) {
		db->in_transaction = 0;
		db->transaction_failure = DB_OK;
		return DB_DEADLOCK;
	}
	enum db_result result = db_simple(db, "COMMIT");
	db->in_transaction = 0;
	if (result == DB_UNAVAILABLE && db->node_not_ready) {
		/* Refused by a node without quorum: not committed anywhere. */
		db_leave_node(db);
	} else if (result == DB_UNAVAILABLE) {
		/* The COMMIT may have been applied before the answer was lost. */
		log_warn("connection lost during COMMIT (%s); outcome unknown", db->last_error);
		db_leave_node(db);
		result = DB_OUTCOME_UNKNOWN;
	}
	if (result == DB_OK || result == DB_OUTCOME_UNKNOWN)
		db->attempt.applied_writes++;
	return result;
}

int db_in_transaction(const struct db *db)
{
	return db->in_transaction;
}

void db_rollback(struct db *db)
{
	if (db->connection != NULL && db_simple(db, "ROLLBACK") == DB_UNAVAILABLE)
		db_leave_node(db);
	db->in_transaction = 0;
	db->transaction_failure = DB_OK;
}

enum db_result db_exec_script(struct db *db, const char *sql)
{
	enum db_result result = db_ensure_connected(db);
	if (result != DB_OK)
		return result;
	result = db_simple(db, sql);
	/* Drain every result of a multi-statement script; the first error wins. */
	int status;
	do {
		MYSQL_RES *rows = mysql_store_result(db->connection);
		if (rows != NULL)
			mysql_free_result(rows);
		status = mysql_next_result(db->connection);
		if (status > 0 && result == DB_OK)
			result = db_classify(db, mysql_errno(db->connection), mysql_error(db->connection));
	} while (status == 0);
	if (result == DB_UNAVAILABLE)
		db_leave_node(db);
	return result;
}

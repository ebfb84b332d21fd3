/*
 * The database layer against a live MariaDB (deploy/test.sh runs it with
 * INTUKA_TEST_CONFIG naming an intuka.conf for the test server): what
 * src/db/db.c promises about a transaction that failed, which no HTTP test
 * can provoke on one server.
 *
 * - A transaction the server ended by itself (as Galera does to one that
 *   lost to a replicated write) is noticed at the next statement, whatever
 *   that statement answered, and is never committed.
 * - A transaction whose connection was killed answers its failure to every
 *   later statement and to COMMIT, sends nothing, and the next transaction
 *   after a rollback works on a fresh connection.
 * - A session opened on the next node of db_hosts after the first refused
 *   is set up like any other (UTC, strict mode, long values read whole).
 *
 * Every check works in a TEMPORARY table of its own session: nothing of the
 * schema is touched.
 */
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct config config;

static const struct db_statement_def insert_row = {
	.name = "dbcheck.insert", .sql = "INSERT INTO dbcheck_rows (id) VALUES (?)", .tenant_bound = 0};
static const struct db_statement_def count_rows = {
	.name = "dbcheck.count", .sql = "SELECT COUNT(*) FROM dbcheck_rows WHERE id = ?", .tenant_bound = 0};
static const struct db_statement_def session_id = {
	.name = "dbcheck.connection_id", .sql = "SELECT CONNECTION_ID()", .tenant_bound = 0};

static int read_number(void *callback_context, const struct db_row *row)
{
	long long *out = callback_context;
	*out = row->column_count > 0 && row->values[0] != NULL ? strtoll(row->values[0], NULL, 10) : -1;
	return 0;
}

/* Rows with id in this session's table, or -1 when the count failed. */
static long long rows_with(struct db *db, long long id)
{
	long long count = -1;
	struct db_param params[] = {DB_INT(id)};
	if (db_query(db, &count_rows, params, 1, read_number, &count) != DB_OK)
		return -1;
	return count;
}

static struct db *session_with_table(void)
{
	struct db *db = db_new(&config);
	int created = db_exec_script(db, "CREATE TEMPORARY TABLE dbcheck_rows (id INT PRIMARY KEY) ENGINE=InnoDB");
	CU_ASSERT_EQUAL(created, DB_OK);
	if (created != DB_OK)
		printf("    cannot create the session's table: %s\n", db_last_error(db));
	return db;
}

static void a_transaction_the_server_ended_is_never_committed(void)
{
	struct db *db = session_with_table();
	struct db_param first[] = {DB_INT(1)}, second[] = {DB_INT(2)};
	CU_ASSERT_EQUAL_FATAL(db_begin(db), DB_OK);
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, first, 1, NULL, NULL), DB_OK);
	CU_ASSERT_EQUAL(rows_with(db, 1), 1); /* its own write, inside the transaction */
	/* The server ends the transaction without the layer's knowledge: a
	 * ROLLBACK sent on the same connection behind its back. */
	CU_ASSERT_EQUAL(db_exec_script(db, "ROLLBACK"), DB_OK);
	long long count = -2;
	struct db_param one[] = {DB_INT(1)};
	/* The next statement would run alone and find nothing; it is refused. */
	CU_ASSERT_EQUAL(db_query(db, &count_rows, one, 1, read_number, &count), DB_DEADLOCK);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(db), "ended the transaction"));
	/* Nor does any later statement run, nor the COMMIT. */
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, second, 1, NULL, NULL), DB_DEADLOCK);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(db), "not run"));
	CU_ASSERT_EQUAL(db_commit(db), DB_DEADLOCK);
	CU_ASSERT_FALSE(db_in_transaction(db));
	CU_ASSERT_EQUAL(db_attempt_record(db)->conflicts, 1);
	/* What is stored: neither row (the second was never sent). */
	CU_ASSERT_EQUAL(rows_with(db, 1), 0);
	CU_ASSERT_EQUAL(rows_with(db, 2), 0);
	/* And a transaction after it works. */
	CU_ASSERT_EQUAL(db_begin(db), DB_OK);
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, second, 1, NULL, NULL), DB_OK);
	CU_ASSERT_EQUAL(db_commit(db), DB_OK);
	CU_ASSERT_EQUAL(rows_with(db, 2), 1);
	db_free(db);
}

static void a_transaction_that_lost_its_connection_fails_until_rolled_back(void)
{
	struct db *db = session_with_table();
	struct db *killer = db_new(&config);
	long long connection = 0;
	CU_ASSERT_EQUAL_FATAL(db_query(db, &session_id, NULL, 0, read_number, &connection), DB_OK);
	CU_ASSERT_FATAL(connection > 0);
	struct db_param first[] = {DB_INT(1)}, second[] = {DB_INT(2)};
	CU_ASSERT_EQUAL_FATAL(db_begin(db), DB_OK);
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, first, 1, NULL, NULL), DB_OK);
	char kill[64];
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", connection);
	CU_ASSERT_EQUAL(db_exec_script(killer, kill), DB_OK);
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, second, 1, NULL, NULL), DB_UNAVAILABLE);
	/* Still the caller's transaction to end: nothing runs in it. */
	CU_ASSERT_TRUE(db_in_transaction(db));
	uint64_t round_trips = db_get_counters(db)->round_trips;
	CU_ASSERT_EQUAL(db_exec(db, &insert_row, second, 1, NULL, NULL), DB_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(db), "not run"));
	CU_ASSERT_EQUAL(db_commit(db), DB_UNAVAILABLE);
	CU_ASSERT_EQUAL(db_get_counters(db)->round_trips, round_trips); /* nothing went to a server */
	db_rollback(db);
	CU_ASSERT_FALSE(db_in_transaction(db));
	/* A fresh connection: a new session, and its transactions work. */
	long long fresh = 0;
	CU_ASSERT_EQUAL(db_begin(db), DB_OK);
	CU_ASSERT_EQUAL(db_query(db, &session_id, NULL, 0, read_number, &fresh), DB_OK);
	CU_ASSERT_TRUE(fresh > 0 && fresh != connection);
	CU_ASSERT_EQUAL(db_commit(db), DB_OK);
	db_free(killer);
	db_free(db);
}

struct session_settings {
	char time_zone[32];
	char sql_mode[256];
	unsigned long long_value_length;
	size_t long_value_read;
};

static int read_settings(void *callback_context, const struct db_row *row)
{
	struct session_settings *out = callback_context;
	if (row->column_count != 3 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL)
		return 0;
	snprintf(out->time_zone, sizeof(out->time_zone), "%s", row->values[0]);
	snprintf(out->sql_mode, sizeof(out->sql_mode), "%s", row->values[1]);
	out->long_value_length = row->lengths[2];
	out->long_value_read = strlen(row->values[2]);
	return 0;
}

static const struct db_statement_def session_settings = {.name = "dbcheck.session_settings",
	.sql = "SELECT @@session.time_zone, @@session.sql_mode, REPEAT('x', 3000)", .tenant_bound = 0};

/* What every session must have (db.c sets it at connect), on the first node
 * of db_hosts and on the next one after the first refused: UTC, strict
 * mode, and a long value read whole. */
static void check_session(const char *db_hosts, const char *what)
{
	static struct config failing_over;
	failing_over = config;
	snprintf(failing_over.db_hosts, sizeof(failing_over.db_hosts), "%s", db_hosts);
	failing_over.db_socket[0] = '\0';
	struct db *db = db_new(&failing_over);
	struct session_settings settings = {0};
	int result = db_query(db, &session_settings, NULL, 0, read_settings, &settings);
	printf("    %s (%s): time_zone %s, sql_mode %s, a value of %lu bytes read as %zu\n", what, db_hosts,
		settings.time_zone, settings.sql_mode, settings.long_value_length, settings.long_value_read);
	CU_ASSERT_EQUAL(result, DB_OK);
	CU_ASSERT_STRING_EQUAL(settings.time_zone, "+00:00");
	CU_ASSERT_PTR_NOT_NULL(strstr(settings.sql_mode, "STRICT_ALL_TABLES"));
	CU_ASSERT_PTR_NOT_NULL(strstr(settings.sql_mode, "NO_ZERO_DATE"));
	CU_ASSERT_EQUAL(settings.long_value_length, 3000);
	CU_ASSERT_EQUAL(settings.long_value_read, 3000);
	db_free(db);
}

/* A refused node first (port 1 on loopback: nothing listens there). */
static void a_session_after_a_refused_node_is_set_up_like_the_first(void)
{
	char direct[300], after_refusal[320];
	snprintf(direct, sizeof(direct), "%s:%d", config.db_host, config.db_port);
	snprintf(after_refusal, sizeof(after_refusal), "127.0.0.1:1,%s", direct);
	check_session(direct, "first node");
	check_session(after_refusal, "after a refused node");
}

int main(void)
{
	const char *config_path = getenv("INTUKA_TEST_CONFIG");
	char error[CONFIG_ERROR_MAX];
	if (config_path == NULL || config_load(&config, config_path, error, sizeof(error)) != 0) {
		fprintf(stderr, "intuka-dbcheck: INTUKA_TEST_CONFIG must name a valid intuka.conf: %s\n",
			config_path ? error : "not set");
		return 2;
	}
	log_init(LOG_TARGET_STDERR, LOG_LEVEL_WARN, "intuka-dbcheck");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite("db_layer", NULL, NULL);
	if (suite == NULL ||
		CU_add_test(suite, "a_transaction_the_server_ended_is_never_committed",
			a_transaction_the_server_ended_is_never_committed) == NULL ||
		CU_add_test(suite, "a_transaction_that_lost_its_connection_fails_until_rolled_back",
			a_transaction_that_lost_its_connection_fails_until_rolled_back) == NULL ||
		CU_add_test(suite, "a_session_after_a_refused_node_is_set_up_like_the_first",
			a_session_after_a_refused_node_is_set_up_like_the_first) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

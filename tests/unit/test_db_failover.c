/* The database layer's pure decisions for a Galera cluster: what an error
 * number means, when a failed request may run again, how long it waits. */
#include "unit_suites.h"
#include "db/db.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdint.h>

static void db_failure_classes_follow_the_error_numbers(void)
{
	CU_ASSERT_EQUAL(db_failure_class_of(1047), DB_FAILURE_NODE_NOT_READY); /* WSREP not prepared */
	CU_ASSERT_EQUAL(db_failure_class_of(ER_UNKNOWN_COM_ERROR), DB_FAILURE_NODE_NOT_READY);
	CU_ASSERT_EQUAL(db_failure_class_of(1213), DB_FAILURE_CONFLICT); /* deadlock or certification failure */
	CU_ASSERT_EQUAL(db_failure_class_of(1053), DB_FAILURE_CONNECTION_LOST); /* server shutdown */
	CU_ASSERT_EQUAL(db_failure_class_of(CR_SERVER_LOST), DB_FAILURE_CONNECTION_LOST);
	CU_ASSERT_EQUAL(db_failure_class_of(CR_SERVER_GONE_ERROR), DB_FAILURE_CONNECTION_LOST);
	CU_ASSERT_EQUAL(db_failure_class_of(CR_CONNECTION_ERROR), DB_FAILURE_CONNECTION_LOST);
	CU_ASSERT_EQUAL(db_failure_class_of(ER_CONNECTION_KILLED), DB_FAILURE_CONNECTION_LOST);
	CU_ASSERT_EQUAL(db_failure_class_of(ER_DUP_ENTRY), DB_FAILURE_DUPLICATE);
	/* A lock wait timeout rolls back one statement, not the transaction:
	 * not a conflict to repeat. Syntax and data errors are not either. */
	CU_ASSERT_EQUAL(db_failure_class_of(ER_LOCK_WAIT_TIMEOUT), DB_FAILURE_OTHER);
	CU_ASSERT_EQUAL(db_failure_class_of(ER_PARSE_ERROR), DB_FAILURE_OTHER);
	CU_ASSERT_EQUAL(db_failure_class_of(ER_NO_SUCH_TABLE), DB_FAILURE_OTHER);
	CU_ASSERT_EQUAL(db_failure_class_of(0), DB_FAILURE_OTHER);
}

static void db_attempt_is_repeated_only_when_nothing_was_applied(void)
{
	struct db_attempt clean = {0};
	CU_ASSERT_FALSE(db_attempt_repeatable(&clean, 3)); /* nothing failed */
	struct db_attempt conflict = {.conflicts = 1};
	CU_ASSERT_TRUE(db_attempt_repeatable(&conflict, 1)); /* a deadlock on one server too */
	CU_ASSERT_TRUE(db_attempt_repeatable(&conflict, 3));
	struct db_attempt conflict_after_commit = {.conflicts = 1, .applied_writes = 1};
	CU_ASSERT_FALSE(db_attempt_repeatable(&conflict_after_commit, 3));
	struct db_attempt lost = {.unavailable = 1};
	CU_ASSERT_TRUE(db_attempt_repeatable(&lost, 2)); /* another node to go to */
	CU_ASSERT_FALSE(db_attempt_repeatable(&lost, 1)); /* the same server again: the 503 stands */
	struct db_attempt lost_after_commit = {.unavailable = 1, .applied_writes = 2};
	CU_ASSERT_FALSE(db_attempt_repeatable(&lost_after_commit, 3));
	CU_ASSERT_TRUE(DB_ATTEMPTS_MAX >= 2 && DB_ATTEMPTS_MAX <= 8);
}

static void db_repeat_delays_grow_with_jitter_and_stay_bounded(void)
{
	static const unsigned floors[] = {10, 10, 20, 40, 80, 80};
	for (unsigned repeat = 0; repeat < 6; repeat++) {
		unsigned low = db_repeat_delay_ms(repeat, 0);
		CU_ASSERT_EQUAL(low, floors[repeat]);
		/* The random half is at most as long as the fixed one. */
		CU_ASSERT_EQUAL(db_repeat_delay_ms(repeat, floors[repeat]), 2 * floors[repeat]);
		CU_ASSERT_EQUAL(db_repeat_delay_ms(repeat, floors[repeat] + 1), floors[repeat]);
	}
	/* Different random values give different delays: two nodes that met
	 * at commit do not meet again in step. */
	unsigned seen_different = 0;
	for (uint32_t r = 1; r < 50; r++)
		seen_different += db_repeat_delay_ms(2, r) != db_repeat_delay_ms(2, 0);
	CU_ASSERT_TRUE(seen_different > 40);
	CU_ASSERT_TRUE(db_repeat_delay_ms(1000, UINT32_MAX) <= 160);
}

/* A statement answered without an error counts as done in the caller's
 * transaction only while the server still says it holds one. */
static void db_statement_outcome_needs_the_transaction_still_held(void)
{
	CU_ASSERT_EQUAL(db_statement_outcome(1, SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT), DB_OK);
	CU_ASSERT_EQUAL(db_statement_outcome(1, SERVER_STATUS_IN_TRANS), DB_OK);
	/* What Galera left after a brute-force abort: autocommit, no transaction. */
	CU_ASSERT_EQUAL(db_statement_outcome(1, SERVER_STATUS_AUTOCOMMIT), DB_DEADLOCK);
	CU_ASSERT_EQUAL(db_statement_outcome(1, 0), DB_DEADLOCK);
	/* Outside a transaction there is nothing to lose. */
	CU_ASSERT_EQUAL(db_statement_outcome(0, SERVER_STATUS_AUTOCOMMIT), DB_OK);
	CU_ASSERT_EQUAL(db_statement_outcome(0, SERVER_STATUS_IN_TRANS), DB_OK);
}

static const struct unit_test db_failover_tests[] = {
	{"db_statement_outcome_needs_the_transaction_still_held", db_statement_outcome_needs_the_transaction_still_held},
	{"db_failure_classes_follow_the_error_numbers", db_failure_classes_follow_the_error_numbers},
	{"db_attempt_is_repeated_only_when_nothing_was_applied", db_attempt_is_repeated_only_when_nothing_was_applied},
	{"db_repeat_delays_grow_with_jitter_and_stay_bounded", db_repeat_delays_grow_with_jitter_and_stay_bounded},
};

int register_db_failover_suite(void)
{
	return UNIT_SUITE("db_failover", db_failover_tests);
}

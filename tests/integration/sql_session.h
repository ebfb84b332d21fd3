/*
 * A database session held open beside the stack, for tests that need a
 * request to wait inside a worker: a lock taken by INTUKA_TEST_DB_SQL_CMD in
 * its own process, kept while the session sleeps, and ended by killing that
 * session. Also small SQL polls (a number printed by a query).
 */
#ifndef INTUKA_ITEST_SQL_SESSION_H
#define INTUKA_ITEST_SQL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Runs "<setup_sql>; SELECT SLEEP(hold_s); ..." in its own process group;
 * the process, or -1 when it could not start. hold_s only bounds the lock
 * should the test die: sql_session_end ends it. */
pid_t sql_session_hold(const char *setup_sql, int hold_s);
/* Kills the sleeping session (its locks go with it), then waits for the
 * process, killing its group should it linger past deadline_ms. */
void sql_session_end(pid_t holder, int64_t deadline_ms);

/* The first number sql printed, or -1 (a failed command is a recorded failure). */
long sql_number(const char *sql);
/* Polls until sql prints a number of at least 1; false at the deadline. */
bool sql_wait_for_positive(const char *sql, int64_t deadline_ms);

/* A PROCESSLIST condition that finds the holding session. */
#define SQL_SESSION_HOLDER_CONDITION "INFO LIKE 'SELECT SLEEP(%'"

#endif

/* See sql_session.h. */
#include "sql_session.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest_clock.h"
#include "stack_control.h"
#include "test_environment.h"

enum { SQL_SESSION_POLL_MS = 100 };

pid_t sql_session_hold(const char *setup_sql, int hold_s)
{
	char sql[1024];
	int sql_length = snprintf(sql, sizeof sql, "%s; SELECT SLEEP(%d); ROLLBACK; UNLOCK TABLES;\n", setup_sql, hold_s);
	int stdin_pipe[2];
	pid_t holder;

	if (sql_length < 0 || (size_t)sql_length >= sizeof sql || !test_environment_has(test_environment.db_sql_command))
		return -1;
	if (pipe(stdin_pipe) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	holder = fork();
	if (holder < 0) {
		close(stdin_pipe[0]);
		close(stdin_pipe[1]);
		return -1;
	}
	if (holder == 0) {
		int null_fd = open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		dup2(stdin_pipe[0], STDIN_FILENO);
		if (null_fd >= 0) {
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		close(stdin_pipe[0]);
		close(stdin_pipe[1]);
		execl("/bin/sh", "sh", "-c", test_environment.db_sql_command, (char *)NULL);
		_exit(127);
	}
	close(stdin_pipe[0]);
	if (write(stdin_pipe[1], sql, (size_t)sql_length) != sql_length) {
		close(stdin_pipe[1]);
		kill(-holder, SIGKILL);
		waitpid(holder, NULL, 0);
		return -1;
	}
	close(stdin_pipe[1]);
	return holder;
}

long sql_number(const char *sql)
{
	char out[64];
	char *end;
	long value;

	if (!stack_sql(sql, out, sizeof out) || out[0] == '\0')
		return -1;
	value = strtol(out, &end, 10);
	return end != out ? value : -1;
}

bool sql_wait_for_positive(const char *sql, int64_t deadline_ms)
{
	int64_t started_ms = itest_clock_now_ms();

	while (itest_clock_now_ms() - started_ms < deadline_ms) {
		if (sql_number(sql) >= 1)
			return true;
		itest_clock_sleep_ms(SQL_SESSION_POLL_MS);
	}
	return false;
}

void sql_session_end(pid_t holder, int64_t deadline_ms)
{
	/* A sleeping query does not notice its client going away: kill the session. */
	long session = sql_number("SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
							  SQL_SESSION_HOLDER_CONDITION);
	int64_t started_ms = itest_clock_now_ms();
	int status;

	if (session > 0) {
		char kill_sql[64], ignored[16];

		snprintf(kill_sql, sizeof kill_sql, "KILL %ld", session);
		stack_sql(kill_sql, ignored, sizeof ignored);
	}
	while (waitpid(holder, &status, WNOHANG) == 0) {
		if (itest_clock_now_ms() - started_ms >= deadline_ms) {
			kill(-holder, SIGKILL);
			waitpid(holder, &status, 0);
			break;
		}
		itest_clock_sleep_ms(SQL_SESSION_POLL_MS);
	}
}

/*
 * Runs a program (intuka-admin) with arguments, an optional stdin text and
 * extra environment, and captures its exit status, stdout and stderr.
 * Everything captured is owned by struct command_result.
 */
#ifndef INTUKA_ITEST_COMMAND_RUNNER_H
#define INTUKA_ITEST_COMMAND_RUNNER_H

#include <stdbool.h>

struct command_result {
	int exit_status;        /* exit code, or -1 when killed by a signal or timed out */
	int terminating_signal; /* the signal when exit_status is -1 after a crash, else 0 */
	bool timed_out;
	char *stdout_text;      /* NUL-terminated, possibly "" */
	char *stderr_text;
};

/*
 * argv[0] is the program path (no PATH search); extra_environment is a
 * NULL-terminated list of "NAME=value" added to ours, or NULL. stdin_text NULL
 * means stdin is /dev/null, so a prompt can never hang the test. Returns false
 * when the program could not be started at all; the result is then still
 * safe to free.
 */
bool command_run(const char *const argv[], const char *const extra_environment[], const char *stdin_text,
				 struct command_result *result);

void command_result_free(struct command_result *result);

/* "exit 1, stderr: ..." for failure messages. */
const char *command_result_describe(const struct command_result *result, char *buffer, unsigned int buffer_size);

#endif

/*
 * The process side of the stack under test: the intukad master from its pid
 * file, its worker children as seen in /proc, and the commands that stop and
 * start MariaDB. No HTTP here.
 */
#ifndef INTUKA_ITEST_STACK_CONTROL_H
#define INTUKA_ITEST_STACK_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pid_set {
	pid_t *pids;      /* sorted ascending */
	size_t count;
};

/* Reads a positive pid from the file; false with the reason in why. */
bool stack_read_master_pid(const char *pid_file_path, pid_t *master_pid, char *why, size_t why_size);

/*
 * Live (non-zombie) children of parent_pid, from /proc/<pid>/stat field 4.
 * A killed worker the master has not reaped yet is a zombie and not counted:
 * it serves nothing. The caller frees with pid_set_free().
 */
bool stack_list_children(pid_t parent_pid, struct pid_set *children);

bool pid_set_contains(const struct pid_set *set, pid_t pid);
/* True when no pid of one set is in the other. */
bool pid_set_disjoint(const struct pid_set *a, const struct pid_set *b);
bool pid_set_equal(const struct pid_set *a, const struct pid_set *b);
/* "12 34 56" into buffer, for failure messages. */
const char *pid_set_format(const struct pid_set *set, char *buffer, size_t buffer_size);
void pid_set_free(struct pid_set *set);

/*
 * Live "intukad --single -c CONFIG" processes (those mod_fcgid starts) whose
 * configuration file is config_path once both are resolved (the stack calls
 * it through ../). The caller frees with pid_set_free().
 */
bool stack_list_single_processes(const char *config_path, struct pid_set *processes);

/* The process exists and is not a zombie. */
bool stack_process_is_alive(pid_t pid);

/* The parent pid of pid, or -1 when it does not exist. */
pid_t stack_parent_of(pid_t pid);

/*
 * Runs a shell command with system() and returns its exit status, or -1 when
 * it could not run or was killed by a signal.
 */
int stack_run_command(const char *shell_command);

/*
 * Runs sql through INTUKA_TEST_DB_SQL_CMD; copies what it printed (rows,
 * tab-separated, trailing newline removed) into out. False, with a recorded
 * failure, when the command is missing or fails.
 */
bool stack_sql(const char *sql, char *out, size_t out_size);

#endif

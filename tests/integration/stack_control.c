/*
 * /proc scanning and shell commands for the anomaly tests (see stack_control.h).
 * /proc is read directly rather than through ps(1) so the result does not
 * depend on procps output formats.
 */
#include "stack_control.h"
#include "command_runner.h"
#include "itest_check.h"
#include "test_environment.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

bool stack_read_master_pid(const char *pid_file_path, pid_t *master_pid, char *why, size_t why_size)
{
	FILE *pid_file = fopen(pid_file_path, "r");
	char line[64];
	char *end;
	long value;

	if (pid_file == NULL) {
		snprintf(why, why_size, "cannot open pid file %s: %s", pid_file_path, strerror(errno));
		return false;
	}
	if (fgets(line, sizeof line, pid_file) == NULL) {
		snprintf(why, why_size, "pid file %s is empty", pid_file_path);
		fclose(pid_file);
		return false;
	}
	fclose(pid_file);
	errno = 0;
	value = strtol(line, &end, 10);
	while (*end != '\0' && isspace((unsigned char)*end))
		end++;
	if (errno != 0 || end == line || *end != '\0' || value <= 1 || value > INT_MAX) {
		snprintf(why, why_size, "pid file %s does not hold a pid: \"%s\"", pid_file_path, line);
		return false;
	}
	*master_pid = (pid_t)value;
	return true;
}

/*
 * Reads state and ppid from /proc/<pid>/stat. The command name (field 2) may
 * contain spaces and parentheses, so parsing starts after its last ')'.
 */
static bool stack_read_stat(pid_t pid, char *state, pid_t *parent_pid)
{
	char path[64], content[1024];
	FILE *stat_file;
	size_t length;
	const char *after_name;
	int parsed_parent;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	stat_file = fopen(path, "r");
	if (stat_file == NULL)
		return false;
	length = fread(content, 1, sizeof content - 1, stat_file);
	fclose(stat_file);
	content[length] = '\0';
	after_name = strrchr(content, ')');
	if (after_name == NULL || sscanf(after_name + 1, " %c %d", state, &parsed_parent) != 2)
		return false;
	*parent_pid = (pid_t)parsed_parent;
	return true;
}

static int pid_compare(const void *left, const void *right)
{
	pid_t a = *(const pid_t *)left, b = *(const pid_t *)right;
	return (a > b) - (a < b);
}

bool stack_list_children(pid_t parent_pid, struct pid_set *children)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	size_t capacity = 0;

	children->pids = NULL;
	children->count = 0;
	if (proc == NULL)
		return false;
	while ((entry = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		char state;
		pid_t entry_parent;

		if (*end != '\0' || pid <= 0)
			continue;
		/* Processes vanish between readdir and open: that is not an error. */
		if (!stack_read_stat((pid_t)pid, &state, &entry_parent))
			continue;
		if (entry_parent != parent_pid || state == 'Z' || state == 'X')
			continue;
		if (children->count == capacity) {
			size_t new_capacity = capacity == 0 ? 16 : capacity * 2;
			pid_t *grown = realloc(children->pids, new_capacity * sizeof *grown);

			if (grown == NULL) {
				closedir(proc);
				pid_set_free(children);
				return false;
			}
			children->pids = grown;
			capacity = new_capacity;
		}
		children->pids[children->count++] = (pid_t)pid;
	}
	closedir(proc);
	if (children->count > 1)
		qsort(children->pids, children->count, sizeof children->pids[0], pid_compare);
	return true;
}

static bool pid_set_append(struct pid_set *set, size_t *capacity, pid_t pid)
{
	if (set->count == *capacity) {
		size_t new_capacity = *capacity == 0 ? 16 : *capacity * 2;
		pid_t *grown = realloc(set->pids, new_capacity * sizeof *grown);

		if (grown == NULL)
			return false;
		set->pids = grown;
		*capacity = new_capacity;
	}
	set->pids[set->count++] = pid;
	return true;
}

/* True when the NUL-separated command line has --single and "-c PATH" with
 * PATH resolving to wanted_config (already resolved). */
static bool stack_cmdline_is_single_with(const char *cmdline, size_t length, const char *wanted_config)
{
	bool single = false, config_matches = false;
	const char *end = cmdline + length;

	for (const char *argument = cmdline; argument < end; argument += strlen(argument) + 1) {
		const char *next = argument + strlen(argument) + 1;

		if (strcmp(argument, "--single") == 0)
			single = true;
		if (strcmp(argument, "-c") == 0 && next < end) {
			char resolved[PATH_MAX];

			if (realpath(next, resolved) != NULL && strcmp(resolved, wanted_config) == 0)
				config_matches = true;
		}
	}
	return single && config_matches;
}

bool stack_list_single_processes(const char *config_path, struct pid_set *processes)
{
	char wanted_config[PATH_MAX];
	DIR *proc;
	struct dirent *entry;
	size_t capacity = 0;

	processes->pids = NULL;
	processes->count = 0;
	if (realpath(config_path, wanted_config) == NULL)
		return false;
	proc = opendir("/proc");
	if (proc == NULL)
		return false;
	while ((entry = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		char path[64], cmdline[4096];
		FILE *cmdline_file;
		size_t length;

		if (*end != '\0' || pid <= 0 || !stack_process_is_alive((pid_t)pid))
			continue;
		snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
		cmdline_file = fopen(path, "r");
		/* Processes vanish between readdir and open: that is not an error. */
		if (cmdline_file == NULL)
			continue;
		length = fread(cmdline, 1, sizeof cmdline - 1, cmdline_file);
		fclose(cmdline_file);
		cmdline[length] = '\0';
		if (!stack_cmdline_is_single_with(cmdline, length, wanted_config))
			continue;
		if (!pid_set_append(processes, &capacity, (pid_t)pid)) {
			closedir(proc);
			pid_set_free(processes);
			return false;
		}
	}
	closedir(proc);
	if (processes->count > 1)
		qsort(processes->pids, processes->count, sizeof processes->pids[0], pid_compare);
	return true;
}

bool pid_set_contains(const struct pid_set *set, pid_t pid)
{
	for (size_t i = 0; i < set->count; i++) {
		if (set->pids[i] == pid)
			return true;
	}
	return false;
}

bool pid_set_disjoint(const struct pid_set *a, const struct pid_set *b)
{
	for (size_t i = 0; i < a->count; i++) {
		if (pid_set_contains(b, a->pids[i]))
			return false;
	}
	return true;
}

bool pid_set_equal(const struct pid_set *a, const struct pid_set *b)
{
	/* Both are sorted, so equal sets are equal arrays. */
	return a->count == b->count
		&& (a->count == 0 || memcmp(a->pids, b->pids, a->count * sizeof a->pids[0]) == 0);
}

const char *pid_set_format(const struct pid_set *set, char *buffer, size_t buffer_size)
{
	size_t used = 0;

	buffer[0] = '\0';
	for (size_t i = 0; i < set->count && used < buffer_size; i++) {
		int written = snprintf(buffer + used, buffer_size - used, "%s%d", i == 0 ? "" : " ",
							   (int)set->pids[i]);
		if (written < 0)
			break;
		used += (size_t)written;
	}
	if (set->count == 0)
		snprintf(buffer, buffer_size, "(none)");
	return buffer;
}

void pid_set_free(struct pid_set *set)
{
	free(set->pids);
	set->pids = NULL;
	set->count = 0;
}

bool stack_process_is_alive(pid_t pid)
{
	char state;
	pid_t parent_pid;

	return stack_read_stat(pid, &state, &parent_pid) && state != 'Z' && state != 'X';
}

pid_t stack_parent_of(pid_t pid)
{
	char state;
	pid_t parent_pid;

	return stack_read_stat(pid, &state, &parent_pid) ? parent_pid : -1;
}

int stack_run_command(const char *shell_command)
{
	int status;

	/* The command's own output goes to our stdout; flush ours first so the
	 * log reads in order. */
	fflush(stdout);
	fflush(stderr);
	status = system(shell_command);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

bool stack_sql(const char *sql, char *out, size_t out_size)
{
	out[0] = '\0';
	if (!ITEST_CHECK(test_environment_has(test_environment.db_sql_command), "INTUKA_TEST_DB_SQL_CMD is empty"))
		return false;
	const char *const argv[] = { "/bin/sh", "-c", test_environment.db_sql_command, NULL };
	struct command_result result;
	bool started = command_run(argv, NULL, sql, &result);
	char why[512];
	bool ok = ITEST_CHECK(started && result.exit_status == 0, "SQL command failed: %s",
						  command_result_describe(&result, why, sizeof why));
	if (ok) {
		snprintf(out, out_size, "%s", result.stdout_text);
		size_t length = strlen(out);
		while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r'))
			out[--length] = '\0';
	}
	command_result_free(&result);
	return ok;
}

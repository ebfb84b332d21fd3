/*
 * fork/exec with captured output (see command_runner.h). Both pipes are read
 * in one poll loop, since a child blocked writing stderr while we wait on
 * stdout would deadlock; a deadline kills a child that hangs.
 */
#include "command_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest_clock.h"

enum {
	COMMAND_TIMEOUT_MS = 60000,
	COMMAND_MAX_OUTPUT_BYTES = 1024 * 1024,
};

struct output_buffer {
	char *text;
	size_t length;
	size_t capacity;
};

static bool output_buffer_append(struct output_buffer *buffer, const char *data, size_t length)
{
	if (buffer->length + length > COMMAND_MAX_OUTPUT_BYTES)
		return true; /* drop the excess: the tests only look at the start */
	if (buffer->length + length + 1 > buffer->capacity) {
		size_t new_capacity = buffer->capacity == 0 ? 1024 : buffer->capacity;
		char *grown;

		while (new_capacity < buffer->length + length + 1)
			new_capacity *= 2;
		grown = realloc(buffer->text, new_capacity);
		if (grown == NULL)
			return false;
		buffer->text = grown;
		buffer->capacity = new_capacity;
	}
	memcpy(buffer->text + buffer->length, data, length);
	buffer->length += length;
	buffer->text[buffer->length] = '\0';
	return true;
}

/* Runs in the child: wire the pipes, add the environment, exec. Never returns. */
static void command_exec_child(const char *const argv[], const char *const extra_environment[], int stdin_fd,
							   int stdout_fd, int stderr_fd)
{
	if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(stdout_fd, STDOUT_FILENO) < 0
		|| dup2(stderr_fd, STDERR_FILENO) < 0)
		_exit(127);
	/* An ignored signal stays ignored across exec: give the program the
	 * default SIGPIPE behaviour our main() took away from itself. */
	signal(SIGPIPE, SIG_DFL);
	for (const char *const *entry = extra_environment; entry != NULL && *entry != NULL; entry++) {
		if (putenv((char *)*entry) != 0)
			_exit(127);
	}
	execv(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void close_if_open(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

bool command_run(const char *const argv[], const char *const extra_environment[], const char *stdin_text,
				 struct command_result *result)
{
	int stdin_pipe[2] = { -1, -1 }, stdout_pipe[2] = { -1, -1 }, stderr_pipe[2] = { -1, -1 };
	struct output_buffer captured_stdout = { 0 }, captured_stderr = { 0 };
	size_t stdin_written = 0, stdin_length = stdin_text != NULL ? strlen(stdin_text) : 0;
	int64_t deadline_ms = itest_clock_now_ms() + COMMAND_TIMEOUT_MS;
	pid_t child;
	int status = 0;
	bool started = false;

	memset(result, 0, sizeof *result);
	result->exit_status = -1;
	if (pipe2(stdin_pipe, O_CLOEXEC) != 0 || pipe2(stdout_pipe, O_CLOEXEC) != 0
		|| pipe2(stderr_pipe, O_CLOEXEC) != 0)
		goto done;

	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0)
		goto done;
	if (child == 0)
		command_exec_child(argv, extra_environment, stdin_pipe[0], stdout_pipe[1], stderr_pipe[1]);
	started = true;
	close_if_open(&stdin_pipe[0]);
	close_if_open(&stdout_pipe[1]);
	close_if_open(&stderr_pipe[1]);
	/* Non-blocking so a child that never reads stdin cannot stall the loop;
	 * main() ignores SIGPIPE, so a child that exits early yields EPIPE. */
	if (fcntl(stdin_pipe[1], F_SETFL, O_NONBLOCK) != 0 || stdin_length == 0)
		close_if_open(&stdin_pipe[1]);

	while (stdout_pipe[0] >= 0 || stderr_pipe[0] >= 0) {
		struct pollfd watched[3];
		int watched_count = 0, ready;
		int64_t remaining_ms = deadline_ms - itest_clock_now_ms();

		if (remaining_ms <= 0) {
			result->timed_out = true;
			kill(child, SIGKILL);
			break;
		}
		if (stdout_pipe[0] >= 0)
			watched[watched_count++] = (struct pollfd){ .fd = stdout_pipe[0], .events = POLLIN };
		if (stderr_pipe[0] >= 0)
			watched[watched_count++] = (struct pollfd){ .fd = stderr_pipe[0], .events = POLLIN };
		if (stdin_pipe[1] >= 0)
			watched[watched_count++] = (struct pollfd){ .fd = stdin_pipe[1], .events = POLLOUT };
		ready = poll(watched, (nfds_t)watched_count, (int)remaining_ms);
		if (ready < 0 && errno != EINTR)
			break;
		for (int i = 0; ready > 0 && i < watched_count; i++) {
			if (watched[i].revents == 0)
				continue;
			if (watched[i].fd == stdin_pipe[1]) {
				ssize_t written = write(stdin_pipe[1], stdin_text + stdin_written, stdin_length - stdin_written);

				if (written > 0)
					stdin_written += (size_t)written;
				if (written < 0 || stdin_written == stdin_length)
					close_if_open(&stdin_pipe[1]);
			} else {
				char chunk[4096];
				ssize_t read_count = read(watched[i].fd, chunk, sizeof chunk);
				bool is_stdout = watched[i].fd == stdout_pipe[0];

				if (read_count > 0) {
					if (!output_buffer_append(is_stdout ? &captured_stdout : &captured_stderr, chunk,
											  (size_t)read_count))
						close_if_open(is_stdout ? &stdout_pipe[0] : &stderr_pipe[0]);
				} else if (read_count == 0 || errno != EINTR) {
					close_if_open(is_stdout ? &stdout_pipe[0] : &stderr_pipe[0]);
				}
			}
		}
	}
	close_if_open(&stdin_pipe[1]);
	close_if_open(&stdout_pipe[0]);
	close_if_open(&stderr_pipe[0]);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (status != -1 && WIFEXITED(status) && !result->timed_out)
		result->exit_status = WEXITSTATUS(status);
	else if (status != -1 && WIFSIGNALED(status))
		result->terminating_signal = WTERMSIG(status);

done:
	close_if_open(&stdin_pipe[0]);
	close_if_open(&stdin_pipe[1]);
	close_if_open(&stdout_pipe[0]);
	close_if_open(&stdout_pipe[1]);
	close_if_open(&stderr_pipe[0]);
	close_if_open(&stderr_pipe[1]);
	/* Callers read the texts as strings even when nothing was written. */
	result->stdout_text = captured_stdout.text != NULL ? captured_stdout.text : strdup("");
	result->stderr_text = captured_stderr.text != NULL ? captured_stderr.text : strdup("");
	if (result->stdout_text == NULL || result->stderr_text == NULL) {
		command_result_free(result);
		return false;
	}
	return started;
}

void command_result_free(struct command_result *result)
{
	free(result->stdout_text);
	free(result->stderr_text);
	result->stdout_text = NULL;
	result->stderr_text = NULL;
}

const char *command_result_describe(const struct command_result *result, char *buffer, unsigned int buffer_size)
{
	const char *stdout_text = result->stdout_text != NULL ? result->stdout_text : "";
	const char *stderr_text = result->stderr_text != NULL ? result->stderr_text : "";

	if (result->timed_out)
		snprintf(buffer, buffer_size, "timed out; stdout: %.200s; stderr: %.200s", stdout_text, stderr_text);
	else if (result->terminating_signal != 0)
		snprintf(buffer, buffer_size, "killed by signal %d (%s); stderr: %.300s", result->terminating_signal,
				 strsignal(result->terminating_signal), stderr_text);
	else
		snprintf(buffer, buffer_size, "exit %d; stdout: %.200s; stderr: %.300s", result->exit_status,
				 stdout_text, stderr_text);
	return buffer;
}

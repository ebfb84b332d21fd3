/* fork/exec of the mail command with a bounded wait. */
#include "auth/mailer.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int mailer_write_all(int fd, const char *text)
{
	size_t length = strlen(text);
	while (length > 0) {
		ssize_t written = write(fd, text, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return -1;
		text += written;
		length -= (size_t)written;
	}
	return 0;
}

static int mailer_header_is_safe(const char *value)
{
	return value != NULL && strpbrk(value, "\r\n") == NULL;
}

int mailer_send(const char *command, const struct mail_message *message, int timeout_ms)
{
	if (command == NULL || command[0] == '\0' || !mailer_header_is_safe(message->from) ||
		!mailer_header_is_safe(message->to) || !mailer_header_is_safe(message->subject))
		return -1;
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		return -1;
	pid_t child = fork();
	if (child < 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -1;
	}
	if (child == 0) {
		/* The command reads the message on stdin; nothing of ours leaks into it. */
		if (dup2(pipe_fds[0], STDIN_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(pipe_fds[0]);
	char headers[1024];
	snprintf(headers, sizeof(headers),
		"From: %s\nTo: %s\nSubject: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n",
		message->from, message->to, message->subject);
	int write_failed = mailer_write_all(pipe_fds[1], headers) != 0 || mailer_write_all(pipe_fds[1], message->body) != 0;
	close(pipe_fds[1]);

	int wait_status = 0;
	pid_t reaped = 0;
	struct timespec pause = {0, 10 * 1000 * 1000};
	for (int waited_ms = 0; waited_ms <= timeout_ms; waited_ms += 10) {
		reaped = waitpid(child, &wait_status, WNOHANG);
		if (reaped != 0)
			break;
		nanosleep(&pause, NULL);
	}
	if (reaped == 0) {
		kill(child, SIGKILL);
		waitpid(child, &wait_status, 0);
		log_error("mail command did not finish within %d ms; killed", timeout_ms);
		return -1;
	}
	if (reaped < 0 || write_failed || !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
		log_error("mail command failed (exit %d)", WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1);
		return -1;
	}
	return 0;
}

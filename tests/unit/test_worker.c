/* A real worker process on a unix socket, driven by a minimal FastCGI
 * client: it answers, and it exits cleanly after max_requests_per_worker
 * so the master can recycle it. */
#include "unit_suites.h"
#include "core/config.h"
#include "core/log.h"
#include "server/listen_socket.h"
#include "server/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { FCGI_BEGIN_REQUEST = 1, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4, FCGI_STDIN = 5, FCGI_STDOUT = 6 };

static size_t fcgi_record(unsigned char *out, int type, const unsigned char *content, size_t length)
{
	out[0] = 1;
	out[1] = (unsigned char)type;
	out[2] = 0;
	out[3] = 1; /* request id 1 */
	out[4] = (unsigned char)(length >> 8);
	out[5] = (unsigned char)(length & 0xff);
	out[6] = 0;
	out[7] = 0;
	if (length)
		memcpy(out + 8, content, length);
	return 8 + length;
}

static size_t fcgi_pair(unsigned char *out, const char *name, const char *value)
{
	size_t name_length = strlen(name), value_length = strlen(value);
	out[0] = (unsigned char)name_length; /* both < 128 in these tests */
	out[1] = (unsigned char)value_length;
	memcpy(out + 2, name, name_length);
	memcpy(out + 2 + name_length, value, value_length);
	return 2 + name_length + value_length;
}

/* Sends GET path; collects STDOUT into response. Returns 0 on END_REQUEST. */
static int fcgi_get(const char *socket_path, const char *path, char *response, size_t response_size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	unsigned char message[2048], params[1024];
	size_t used = 0;
	unsigned char begin[8] = {0, 1, 0, 0, 0, 0, 0, 0}; /* responder, no keep-alive */
	used += fcgi_record(message + used, FCGI_BEGIN_REQUEST, begin, sizeof(begin));
	size_t params_length = fcgi_pair(params, "REQUEST_METHOD", "GET");
	params_length += fcgi_pair(params + params_length, "REQUEST_URI", path);
	used += fcgi_record(message + used, FCGI_PARAMS, params, params_length);
	used += fcgi_record(message + used, FCGI_PARAMS, NULL, 0);
	used += fcgi_record(message + used, FCGI_STDIN, NULL, 0);
	if (write(fd, message, used) != (ssize_t)used) {
		close(fd);
		return -1;
	}
	size_t response_used = 0;
	int ended = 0;
	unsigned char header[8];
	while (!ended) {
		struct pollfd waiter = {.fd = fd, .events = POLLIN};
		if (poll(&waiter, 1, 5000) != 1 || recv(fd, header, 8, MSG_WAITALL) != 8)
			break;
		size_t content_length = ((size_t)header[4] << 8) | header[5];
		size_t total = content_length + header[6];
		unsigned char content[65536 + 256];
		if (total > 0 && recv(fd, content, total, MSG_WAITALL) != (ssize_t)total)
			break;
		if (header[1] == FCGI_STDOUT && response_used + content_length < response_size) {
			memcpy(response + response_used, content, content_length);
			response_used += content_length;
		} else if (header[1] == FCGI_END_REQUEST) {
			ended = 1;
		}
	}
	response[response_used] = '\0';
	close(fd);
	return ended ? 0 : -1;
}

enum { WORKER_EXIT_DEADLINE_MS = 5000 };

static int64_t worker_test_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Waits for child to exit, by the clock, at most deadline_ms; the pid when it
 * did (status in *wait_status), 0 when it had to be killed. */
static pid_t worker_test_reap(pid_t child, int64_t deadline_ms, int *wait_status)
{
	int64_t started_ms = worker_test_now_ms();
	for (;;) {
		pid_t reaped = waitpid(child, wait_status, WNOHANG);
		if (reaped != 0)
			return reaped;
		if (worker_test_now_ms() - started_ms >= deadline_ms)
			break;
		struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	kill(child, SIGKILL);
	waitpid(child, wait_status, 0);
	return 0;
}

static void worker_answers_and_exits_after_max_requests(void)
{
	char directory[] = "/tmp/intuka-worker-test-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char socket_path[128];
	snprintf(socket_path, sizeof(socket_path), "%s/worker.sock", directory);
	char error[256];
	int listen_fd = listen_socket_open(socket_path, 16, 0600, (uid_t)-1, (gid_t)-1, error, sizeof(error));
	CU_ASSERT_TRUE_FATAL(listen_fd >= 0);

	static struct config config;
	config_set_defaults(&config);
	config.max_requests_per_worker = 3;
	log_init(LOG_TARGET_STDERR, LOG_LEVEL_ERROR, "unit-worker");
	pid_t child = fork();
	CU_ASSERT_TRUE_FATAL(child >= 0);
	if (child == 0)
		_exit(worker_run(&config, listen_fd));
	close(listen_fd);

	char response[8192];
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(fcgi_get(socket_path, "/api/v1/version", response, sizeof(response)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(response, "Status: 200 OK"));
		CU_ASSERT_PTR_NOT_NULL(strstr(response, "\"apiVersion\":\"v1\""));
	}
	int wait_status = 0;
	pid_t reaped = worker_test_reap(child, WORKER_EXIT_DEADLINE_MS, &wait_status);
	CU_ASSERT_EQUAL(reaped, child);
	CU_ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
	unlink(socket_path);
	rmdir(directory);
}

static void worker_stops_on_sigterm_while_idle(void)
{
	char directory[] = "/tmp/intuka-worker-test-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char socket_path[128];
	snprintf(socket_path, sizeof(socket_path), "%s/worker.sock", directory);
	char error[256];
	int listen_fd = listen_socket_open(socket_path, 16, 0600, (uid_t)-1, (gid_t)-1, error, sizeof(error));
	CU_ASSERT_TRUE_FATAL(listen_fd >= 0);
	static struct config config;
	config_set_defaults(&config);
	pid_t child = fork();
	CU_ASSERT_TRUE_FATAL(child >= 0);
	if (child == 0)
		_exit(worker_run(&config, listen_fd));
	close(listen_fd);
	char response[8192];
	CU_ASSERT_EQUAL(fcgi_get(socket_path, "/api/v1/nope", response, sizeof(response)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(response, "Status: 404"));
	kill(child, SIGTERM);
	int wait_status = 0;
	pid_t reaped = worker_test_reap(child, WORKER_EXIT_DEADLINE_MS, &wait_status);
	CU_ASSERT_EQUAL(reaped, child);
	CU_ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
	unlink(socket_path);
	rmdir(directory);
}

/* A free loopback port with nothing listening: connecting to it is refused. */
static int closed_loopback_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof(address);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0 &&
		getsockname(fd, (struct sockaddr *)&address, &length) == 0)
		port = ntohs(address.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The "dbRoundTrips" value of the first access line for path, or -1. */
static long access_line_round_trips(const char *log_text, const char *path)
{
	const char *needle = "\"type\":\"access\",";
	for (const char *line = strstr(log_text, needle); line != NULL; line = strstr(line + 1, needle)) {
		const char *end = strchr(line, '\n');
		char path_field[200];
		snprintf(path_field, sizeof(path_field), "\"path\":\"%s\"", path);
		const char *found_path = strstr(line, path_field);
		const char *count = strstr(line, "\"dbRoundTrips\":");
		if (found_path != NULL && count != NULL && (end == NULL || (found_path < end && count < end)))
			return strtol(count + strlen("\"dbRoundTrips\":"), NULL, 10);
	}
	return -1;
}

/* Each access line counts the MariaDB round trips of its own request: none
 * for a route without the database, and the (failed) connection attempts
 * for the health check when nothing listens on the database port. */
static void worker_access_line_counts_db_round_trips(void)
{
	char directory[] = "/tmp/intuka-worker-test-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char socket_path[128], log_path[128];
	snprintf(socket_path, sizeof(socket_path), "%s/worker.sock", directory);
	snprintf(log_path, sizeof(log_path), "%s/worker.log", directory);
	char error[256];
	int listen_fd = listen_socket_open(socket_path, 16, 0600, (uid_t)-1, (gid_t)-1, error, sizeof(error));
	CU_ASSERT_TRUE_FATAL(listen_fd >= 0);
	int db_port = closed_loopback_port();
	CU_ASSERT_TRUE_FATAL(db_port > 0);

	static struct config config;
	config_set_defaults(&config);
	config.max_requests_per_worker = 3;
	snprintf(config.db_host, sizeof(config.db_host), "127.0.0.1");
	config.db_port = db_port;
	config.db_connect_timeout_s = 1;
	pid_t child = fork();
	CU_ASSERT_TRUE_FATAL(child >= 0);
	if (child == 0) {
		int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
		if (log_fd < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(1);
		log_init(LOG_TARGET_STDERR, LOG_LEVEL_INFO, "unit-worker");
		_exit(worker_run(&config, listen_fd));
	}
	close(listen_fd);

	char response[8192];
	CU_ASSERT_EQUAL(fcgi_get(socket_path, "/api/v1/version", response, sizeof(response)), 0);
	CU_ASSERT_EQUAL(fcgi_get(socket_path, "/api/v1/health", response, sizeof(response)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(response, "Status: 503"));
	CU_ASSERT_EQUAL(fcgi_get(socket_path, "/api/v1/version", response, sizeof(response)), 0);
	int wait_status = 0;
	pid_t reaped = worker_test_reap(child, WORKER_EXIT_DEADLINE_MS, &wait_status);
	CU_ASSERT_EQUAL(reaped, child);

	char log_text[16384];
	FILE *log_file = fopen(log_path, "r");
	size_t log_length = log_file ? fread(log_text, 1, sizeof(log_text) - 1, log_file) : 0;
	if (log_file)
		fclose(log_file);
	log_text[log_length] = '\0';
	CU_ASSERT_EQUAL(access_line_round_trips(log_text, "/api/v1/version"), 0);
	long health_round_trips = access_line_round_trips(log_text, "/api/v1/health");
	CU_ASSERT_TRUE(health_round_trips >= 1);
	/* The count is per request, not cumulative: the last version line is 0 too. */
	const char *last_line = log_text;
	for (const char *p = strstr(log_text, "\"path\":\"/api/v1/version\""); p != NULL;
		p = strstr(p + 1, "\"path\":\"/api/v1/version\""))
		last_line = p;
	CU_ASSERT_PTR_NOT_NULL(strstr(last_line, "\"dbRoundTrips\":0}"));
	unlink(log_path);
	unlink(socket_path);
	rmdir(directory);
}

static const struct unit_test worker_tests[] = {
	{"worker_answers_and_exits_after_max_requests", worker_answers_and_exits_after_max_requests},
	{"worker_stops_on_sigterm_while_idle", worker_stops_on_sigterm_while_idle},
	{"worker_access_line_counts_db_round_trips", worker_access_line_counts_db_round_trips},
};

int register_worker_suite(void)
{
	return UNIT_SUITE("worker", worker_tests);
}

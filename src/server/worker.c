/* Worker loop. We wait for connections with epoll_pwait instead of letting
 * libfcgi block in accept(): FCGX_ShutdownPending() would also make libfcgi
 * report end-of-input on the request in hand, cutting its body short. With
 * SIGTERM blocked except inside epoll_pwait, a stop request lands between
 * requests only, and EPOLLEXCLUSIVE wakes one idle worker per connection. */
#include "server/worker.h"
#include "auth/jwt.h"
#include "server/keys.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/context.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/stream.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define WORKER_ARENA_CHUNK_BYTES (64 * 1024)
/* Unread body bytes we swallow after an early refusal (e.g. 413) so the web
 * server sees a clean end of request; past this we just close. */
#define WORKER_DRAIN_MAX_BYTES (64 * 1024 * 1024)

static volatile sig_atomic_t worker_stop_requested;

static void worker_on_stop_signal(int signal_number)
{
	(void)signal_number;
	worker_stop_requested = 1;
}

static long worker_read_body(void *reader_context, char *buffer, size_t buffer_size)
{
	FCGX_Stream *in = reader_context;
	int chunk = buffer_size > 65536 ? 65536 : (int)buffer_size;
	return FCGX_GetStr(buffer, chunk, in);
}

static void worker_drain_input(FCGX_Stream *in)
{
	char scratch[8192];
	size_t drained = 0;
	int got;
	while (drained < WORKER_DRAIN_MAX_BYTES && (got = FCGX_GetStr(scratch, sizeof(scratch), in)) > 0)
		drained += (size_t)got;
}

static double worker_elapsed_ms(const struct timespec *started)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - started->tv_sec) * 1000.0 + (double)(now.tv_nsec - started->tv_nsec) / 1e6;
}

static int worker_stream_write(void *sink, const char *data, size_t length)
{
	return FCGX_PutStr(data, (int)length, sink) < 0 ? -1 : 0;
}

static int worker_stream_flush(void *sink)
{
	return FCGX_FFlush(sink) < 0 ? -1 : 0;
}

/* Render and send; returns bytes of body written. */
static size_t worker_send(FCGX_Request *fcgx, const struct request *request, const struct response *response)
{
	json_object *holder = NULL;
	size_t body_length = 0;
	const char *body = response_render_body(response, &holder, &body_length);
	char headers[RESPONSE_HEADERS_MAX + 512];
	size_t headers_length = response_render_headers(response, request->request_id, body_length, headers,
		sizeof(headers));
	int failed = FCGX_PutStr(headers, (int)headers_length, fcgx->out) < 0 ||
		FCGX_PutStr(body, (int)body_length, fcgx->out) < 0;
	json_object_put(holder);
	if (failed) {
		log_msg(LOG_LEVEL_DEBUG, request->request_id, "client went away before the response was written");
		return 0;
	}
	return body_length;
}

static int worker_install_signals(sigset_t *wait_mask)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = worker_on_stop_signal;
	sigemptyset(&action.sa_mask);
	action.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0)
		return -1;
	/* Reload belongs to the master; a worker is replaced, not reloaded. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	if (sigprocmask(SIG_BLOCK, &blocked, wait_mask) != 0)
		return -1;
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	return 0;
}

static int worker_open_poll(int listen_fd)
{
	int flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return -1;
	int poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (poll_fd < 0)
		return -1;
	struct epoll_event interest = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
	if (epoll_ctl(poll_fd, EPOLL_CTL_ADD, listen_fd, &interest) != 0) {
		close(poll_fd);
		return -1;
	}
	return poll_fd;
}

int worker_run(const struct config *config, int listen_fd)
{
	sigset_t wait_mask;
	if (worker_install_signals(&wait_mask) != 0) {
		log_error("worker: cannot install signal handlers: %s", strerror(errno));
		return WORKER_EXIT_FATAL;
	}
	int poll_fd = worker_open_poll(listen_fd);
	if (poll_fd < 0 || FCGX_Init() != 0) {
		log_error("worker: cannot wait on the listening socket: %s", strerror(errno));
		return WORKER_EXIT_FATAL;
	}
	/* Seed this process's random generator now rather than inside the
	 * first request (it costs milliseconds after a fork). */
	unsigned char warm_up[16];
	if (RAND_bytes(warm_up, sizeof(warm_up)) != 1)
		log_warn("worker: random generator not ready yet");
	FCGX_Request fcgx;
	if (FCGX_InitRequest(&fcgx, listen_fd, 0) != 0) {
		log_error("worker: FCGX_InitRequest failed");
		close(poll_fd);
		return WORKER_EXIT_FATAL;
	}

	struct arena arena;
	arena_init(&arena, WORKER_ARENA_CHUNK_BYTES);
	struct request request;
	struct response response;
	request_init(&request, &arena);
	response_init(&response);
	struct worker_info info = {.pid = (long)getpid(), .requests_served = 0};
	static struct jwt_keyring keyring;
	char key_error[512];
	if (server_keyring_from_config(config, &keyring, key_error, sizeof(key_error)) != 0) {
		log_error("worker: %s", key_error);
		close(poll_fd);
		arena_destroy(&arena);
		return WORKER_EXIT_FATAL;
	}
	struct db *db = db_new(config);
	struct request_context context = {
		.request = &request, .response = &response, .db = db, .config = config, .worker = &info, .keyring = &keyring};
	uint64_t max_requests = (uint64_t)config->max_requests_per_worker;
	int exit_status = 0;

	while (!worker_stop_requested && (max_requests == 0 || info.requests_served < max_requests)) {
		struct epoll_event ready;
		int ready_count = epoll_pwait(poll_fd, &ready, 1, -1, &wait_mask);
		if (ready_count < 0) {
			if (errno == EINTR)
				continue;
			log_error("worker: epoll_pwait: %s", strerror(errno));
			exit_status = 1;
			break;
		}
		int accepted = FCGX_Accept_r(&fcgx);
		if (accepted < 0) {
			/* Another worker took the connection, or the client gave up. */
			if (-accepted == EAGAIN || -accepted == EWOULDBLOCK || -accepted == ECONNABORTED ||
				-accepted == EINTR)
				continue;
			log_error("worker: accept failed: %s", strerror(-accepted));
			exit_status = 1;
			break;
		}
		struct timespec started;
		clock_gettime(CLOCK_MONOTONIC, &started);
		/* Statements, prepares, connects and transaction commands this
		 * request sent to MariaDB, for the access line (benchmarks read it). */
		uint64_t round_trips_before = db_get_counters(db)->round_trips;
		info.requests_served++;
		context.now_s = (int64_t)time(NULL);

		struct response_stream stream = {
			.sink = fcgx.out, .write = worker_stream_write, .flush = worker_stream_flush};
		context.stream = &stream;
		pipeline_process(&context, fcgx.envp, worker_read_body, fcgx.in);
		/* A streamed response is already out; the envelope is for the rest. */
		size_t sent_bytes = stream.started ? stream.body_bytes : worker_send(&fcgx, &request, &response);
		context.stream = NULL;
		worker_drain_input(fcgx.in);
		FCGX_Finish_r(&fcgx);

		struct access_record record = {
			.request_id = request.request_id,
			.method = request.method_text,
			.path = request.path,
			.tenant_slug = request.auth.tenant_slug,
			.http_status = status_http_code(response.status),
			.duration_ms = worker_elapsed_ms(&started),
			.response_bytes = sent_bytes,
			.db_round_trips = db_get_counters(db)->round_trips - round_trips_before,
		};
		log_access(&record);
		if (context.after_response != NULL) {
			context.after_response(&context);
			context.after_response = NULL;
		}
		request_reset(&request);
		response_reset(&response);
		arena_reset(&arena);
	}

	FCGX_Free(&fcgx, 0);
	jwt_keyring_clear(&keyring);
	db_free(db);
	arena_destroy(&arena);
	close(poll_fd);
	return exit_status;
}

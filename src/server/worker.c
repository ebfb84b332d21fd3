/* Worker loop. We wait for connections with epoll_pwait instead of letting
 * libfcgi block in accept(): FCGX_ShutdownPending() would also make libfcgi
 * report end-of-input on the request in hand, cutting its body short. With
 * SIGTERM blocked except inside epoll_pwait, a stop request lands between
 * requests only, and EPOLLEXCLUSIVE wakes one idle worker per connection;
 * SIGUSR1 (reopen the log file) the same way.
 * A finished answer is framed here and sent without waiting: what the web
 * server cannot take at once goes to the worker's response sender, so a
 * client that stops reading never holds a worker, whatever the web server
 * passes on. Every write has a deadline (send_timeout_ms). */
#include "server/worker.h"
#include "auth/jwt.h"
#include "core/alloc.h"
#include "server/fcgi_frame.h"
#include "server/keys.h"
#include "server/response_sender.h"
#include "core/arena.h"
#include "core/config.h"
#include "handler/context.h"
#include "core/log.h"
#include "flow/pipeline.h"
#include "flow/registry.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "handler/stream.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WORKER_ARENA_CHUNK_BYTES (64 * 1024)
/* Unread body bytes we swallow after an early refusal (e.g. 413) so the web
 * server sees a clean end of request; past this we just close. */
#define WORKER_DRAIN_MAX_BYTES (64 * 1024 * 1024)
/* A streamed chunk goes out in pieces of this size, the deadline re-armed
 * before each, so one blocked write never outlives the time left. */
#define WORKER_SEND_PIECE_BYTES (16 * 1024)
/* Answers a worker's response sender may hold at once, and their bytes;
 * past either bound the worker sends itself, under the deadline. */
#define WORKER_SENDER_MAX_ANSWERS 64
#define WORKER_SENDER_MAX_BYTES (64 * 1024 * 1024)

static volatile sig_atomic_t worker_stop_requested;
static volatile sig_atomic_t worker_reopen_requested;

static void worker_on_stop_signal(int signal_number)
{
	(void)signal_number;
	worker_stop_requested = 1;
}

static void worker_on_reopen_signal(int signal_number)
{
	(void)signal_number;
	worker_reopen_requested = 1;
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

/* The FastCGI connection of a streamed answer with the deadline of the
 * chunk being written; streams go through libfcgi (FCGX_PutStr). */
struct worker_sink {
	FCGX_Request *fcgx;
	int timeout_ms;
	struct timespec deadline;
	int timed_out;
};

static void worker_sink_start(struct worker_sink *sink)
{
	clock_gettime(CLOCK_MONOTONIC, &sink->deadline);
	sink->deadline.tv_sec += sink->timeout_ms / 1000;
	sink->deadline.tv_nsec += (long)(sink->timeout_ms % 1000) * 1000000L;
	if (sink->deadline.tv_nsec >= 1000000000L) {
		sink->deadline.tv_sec++;
		sink->deadline.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds until the sink's deadline (0 once it has passed). */
static int worker_sink_left_ms(const struct worker_sink *sink)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long left_ms = (long long)(sink->deadline.tv_sec - now.tv_sec) * 1000LL +
		(sink->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return left_ms > 0 ? (int)left_ms : 0;
}

/* Lets the next socket writes wait only for the time left; -1 when none is. */
static int worker_sink_arm(struct worker_sink *sink)
{
	int left_ms = worker_sink_left_ms(sink);
	if (left_ms <= 0) {
		sink->timed_out = 1;
		return -1;
	}
	/* Never a zero timeval: that would mean "wait forever". */
	struct timeval left = {.tv_sec = left_ms / 1000, .tv_usec = (suseconds_t)(left_ms % 1000) * 1000};
	return setsockopt(sink->fcgx->ipcFd, SOL_SOCKET, SO_SNDTIMEO, &left, sizeof(left)) == 0 ? 0 : -1;
}

static void worker_sink_note_error(struct worker_sink *sink)
{
	int error = FCGX_GetError(sink->fcgx->out);
	sink->timed_out |= error == EAGAIN || error == EWOULDBLOCK;
}

/* Writes data in pieces under the deadline; -1 when the web server stopped
 * taking bytes in time (timed_out set) or the connection failed. */
static int worker_sink_put(struct worker_sink *sink, const char *data, size_t length)
{
	for (size_t offset = 0; offset < length; offset += WORKER_SEND_PIECE_BYTES) {
		size_t piece = length - offset < WORKER_SEND_PIECE_BYTES ? length - offset : WORKER_SEND_PIECE_BYTES;
		if (worker_sink_arm(sink) != 0 || FCGX_PutStr(data + offset, (int)piece, sink->fcgx->out) < 0) {
			worker_sink_note_error(sink);
			return -1;
		}
	}
	return 0;
}

/* A streamed response: each chunk gets the whole timeout, as a chat answer
 * may take longer to produce than to send. */
static int worker_stream_write(void *context, const char *data, size_t length)
{
	struct worker_sink *sink = context;
	worker_sink_start(sink);
	return worker_sink_put(sink, data, length);
}

static int worker_stream_flush(void *context)
{
	struct worker_sink *sink = context;
	worker_sink_start(sink);
	if (worker_sink_arm(sink) == 0 && FCGX_FFlush(sink->fcgx->out) == 0)
		return 0;
	worker_sink_note_error(sink);
	return -1;
}

static void worker_log_dropped(const char *request_id, int timeout_ms)
{
	log_msg(LOG_LEVEL_WARN, request_id,
		"response dropped: the web server took no more of it within send_timeout_ms (%d ms); "
		"its client is probably not reading", timeout_ms);
}

/* Sends what the socket takes without waiting: 1 when all of it went out,
 * 0 when the socket is full, -1 when the connection failed. */
static int worker_send_now(int fd, const char *bytes, size_t length, size_t *sent)
{
	while (*sent < length) {
		ssize_t wrote = send(fd, bytes + *sent, length - *sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (wrote < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		*sent += (size_t)wrote;
	}
	return 1;
}

/* The rest of an answer sent by the worker itself, within the deadline:
 * 1 sent, 0 timed out, -1 connection failed. */
static int worker_send_within(int fd, const char *bytes, size_t length, size_t sent, struct worker_sink *sink)
{
	for (;;) {
		int outcome = worker_send_now(fd, bytes, length, &sent);
		if (outcome != 0)
			return outcome;
		int left_ms = worker_sink_left_ms(sink);
		if (left_ms <= 0)
			return 0;
		struct pollfd writable = {.fd = fd, .events = POLLOUT};
		if (poll(&writable, 1, left_ms) < 0 && errno != EINTR)
			return -1;
	}
}

/* libfcgi must add nothing of its own after records we framed: its stdout
 * and stderr streams are marked already closed. */
static void worker_close_fcgi_output(FCGX_Request *fcgx)
{
	fcgx->out->isClosed = fcgx->out->wasFCloseCalled = 1;
	fcgx->err->isClosed = fcgx->err->wasFCloseCalled = 1;
}

/* Renders and sends a finished answer: what the web server does not take at
 * once goes to the response sender (or, past its bounds or on a kept
 * connection, is sent here within the deadline). Returns body bytes sent or
 * handed over; 0 when the answer was dropped. */
static size_t worker_answer(FCGX_Request *fcgx, struct response_sender *sender, struct worker_sink *sink,
	const struct request *request, const struct response *response)
{
	json_object *holder = NULL;
	size_t body_length = 0;
	const char *body = response_render_body(response, &holder, &body_length);
	char head[RESPONSE_HEADERS_MAX + 512];
	size_t head_length = response_render_headers(response, request->request_id, body_length, head, sizeof(head));
	char *framed = xmalloc(fcgi_frame_response_size(head_length + body_length));
	size_t framed_length = fcgi_frame_response((uint16_t)fcgx->requestId, head, head_length, body, body_length, framed);
	json_object_put(holder);
	worker_close_fcgi_output(fcgx);

	size_t sent = 0;
	int outcome = worker_send_now(fcgx->ipcFd, framed, framed_length, &sent);
	if (outcome == 0 && !fcgx->keepConnection && sender != NULL) {
		int copy = fcntl(fcgx->ipcFd, F_DUPFD_CLOEXEC, 0);
		if (copy >= 0 && response_sender_take(sender, copy, framed, framed_length, sent, request->request_id) == 0) {
			/* libfcgi then closes its descriptor without shutting the
			 * connection down, which would cut the sender's copy off. */
			FCGX_Detach(fcgx);
			return body_length; /* the sender owns framed now */
		}
		if (copy >= 0)
			close(copy);
	}
	if (outcome == 0) {
		worker_sink_start(sink);
		outcome = worker_send_within(fcgx->ipcFd, framed, framed_length, sent, sink);
	}
	free(framed);
	if (outcome == 1)
		return body_length;
	if (outcome == 0)
		worker_log_dropped(request->request_id, sink->timeout_ms);
	else
		log_msg(LOG_LEVEL_DEBUG, request->request_id, "client went away before the response was written");
	/* An answer cut short must not look complete to the web server. */
	shutdown(fcgx->ipcFd, SHUT_RDWR);
	return 0;
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
	action.sa_handler = worker_on_reopen_signal;
	if (sigaction(SIGUSR1, &action, NULL) != 0)
		return -1;
	/* Reload belongs to the master; a worker is replaced, not reloaded. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &blocked, wait_mask) != 0)
		return -1;
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGUSR1);
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
	struct response_sender *sender =
		response_sender_start(WORKER_SENDER_MAX_BYTES, WORKER_SENDER_MAX_ANSWERS, config->send_timeout_ms);
	if (sender == NULL)
		log_warn("worker: no response sender thread; slow clients will be waited for, up to send_timeout_ms");

	log_bind_request_id(request.request_id);
	while (!worker_stop_requested && (max_requests == 0 || info.requests_served < max_requests)) {
		if (worker_reopen_requested) {
			worker_reopen_requested = 0;
			char reopen_error[CONFIG_ERROR_MAX];
			if (log_reopen(reopen_error, sizeof(reopen_error)) != 0)
				log_error("worker: cannot reopen the log, still writing to the old one: %s", reopen_error);
		}
		struct epoll_event ready;
		int ready_count = epoll_pwait(poll_fd, &ready, 1, REGISTRY_IDLE_MS, &wait_mask);
		if (ready_count < 0) {
			if (errno == EINTR)
				continue;
			log_error("worker: epoll_pwait: %s", strerror(errno));
			exit_status = 1;
			break;
		}
		if (ready_count == 0) {
			registry_worker_idle(db);
			continue;
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

		struct worker_sink sink = {.fcgx = &fcgx, .timeout_ms = config->send_timeout_ms};
		struct response_stream stream = {
			.sink = &sink, .write = worker_stream_write, .flush = worker_stream_flush};
		context.stream = &stream;
		pipeline_process(&context, fcgx.envp, worker_read_body, fcgx.in);
		/* A streamed response is already out; the envelope is for the rest. */
		size_t sent_bytes =
			stream.started ? stream.body_bytes : worker_answer(&fcgx, sender, &sink, &request, &response);
		if (stream.started && (sink.timed_out || stream.cut)) {
			if (sink.timed_out)
				worker_log_dropped(request.request_id, sink.timeout_ms);
			/* libfcgi would try its unsent buffer again while closing: a
			 * connection shut now fails those writes at once. */
			shutdown(fcgx.ipcFd, SHUT_RDWR);
		}
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
		/* Work after the answer owns no transaction past its end either:
		 * the next request must not start inside one. */
		if (db_in_transaction(db)) {
			log_msg(LOG_LEVEL_ERROR, request.request_id, "work after the answer left a transaction open; "
				"rolled back");
			db_rollback(db);
		}
		request_reset(&request);
		response_reset(&response);
		arena_reset(&arena);
	}

	log_bind_request_id(NULL);
	/* Answers still on their way finish (or are dropped at their deadline) first. */
	response_sender_stop(sender);
	FCGX_Free(&fcgx, 0);
	jwt_keyring_clear(&keyring);
	/* Batched logs and unused rate leases go out before the worker does. */
	registry_worker_exit(db);
	db_free(db);
	arena_destroy(&arena);
	close(poll_fd);
	return exit_status;
}

/* The sender thread waits in epoll for the connections it holds to become
 * writable, and for the eventfd the worker signals when it hands one over.
 * Only the hand-over list is shared (under the lock); the thread alone
 * touches its connections. */
#include "server/response_sender.h"
#include "core/log.h"
#include "http/request.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct sender_answer {
	int fd;
	char *bytes;
	size_t length;
	size_t sent;
	int64_t deadline_ms;
	char request_id[REQUEST_ID_MAX + 1];
	struct sender_answer *next;
};

struct response_sender {
	pthread_t thread;
	pthread_mutex_t lock;
	int wake_fd;
	int poll_fd;
	int timeout_ms;
	size_t max_waiting_bytes;
	size_t max_waiting_answers;
	/* Under the lock: */
	struct sender_answer *handed_over;
	size_t waiting_bytes;
	size_t waiting_answers;
	int stopping;
	/* The thread's own: */
	struct sender_answer *held;
};

static int64_t sender_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Closes and frees an answer that is done with (sent, failed or dropped). */
static void sender_release(struct response_sender *sender, struct sender_answer *answer)
{
	epoll_ctl(sender->poll_fd, EPOLL_CTL_DEL, answer->fd, NULL);
	close(answer->fd);
	pthread_mutex_lock(&sender->lock);
	sender->waiting_bytes -= answer->length - answer->sent;
	sender->waiting_answers--;
	pthread_mutex_unlock(&sender->lock);
	free(answer->bytes);
	free(answer);
}

/* Sends what the socket takes now; 1 when the answer is finished with. */
static int sender_push(struct sender_answer *answer)
{
	while (answer->sent < answer->length) {
		ssize_t wrote = send(answer->fd, answer->bytes + answer->sent, answer->length - answer->sent,
			MSG_DONTWAIT | MSG_NOSIGNAL);
		if (wrote < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_msg(LOG_LEVEL_DEBUG, answer->request_id, "web server connection closed before the answer ended");
			return 1;
		}
		answer->sent += (size_t)wrote;
	}
	return 1;
}

/* Moves handed-over answers into the thread's set. Returns 1 when stopping. */
static int sender_adopt(struct response_sender *sender)
{
	uint64_t signals;
	ssize_t ignored = read(sender->wake_fd, &signals, sizeof(signals));
	(void)ignored; /* a nonblocking eventfd: nothing to read is fine */
	pthread_mutex_lock(&sender->lock);
	struct sender_answer *list = sender->handed_over;
	sender->handed_over = NULL;
	int stopping = sender->stopping;
	pthread_mutex_unlock(&sender->lock);
	while (list != NULL) {
		struct sender_answer *answer = list;
		list = list->next;
		struct epoll_event interest = {.events = EPOLLOUT, .data.ptr = answer};
		answer->next = sender->held;
		sender->held = answer;
		if (epoll_ctl(sender->poll_fd, EPOLL_CTL_ADD, answer->fd, &interest) != 0)
			answer->deadline_ms = 0; /* cannot wait on it: dropped at the next deadline check */
	}
	return stopping;
}

/* Drops answers past their deadline; returns ms until the next one (-1: none). */
static int sender_expire(struct response_sender *sender)
{
	int64_t now = sender_now_ms(), next = -1;
	for (struct sender_answer **link = &sender->held; *link != NULL;) {
		struct sender_answer *answer = *link;
		if (answer->deadline_ms > now) {
			if (next < 0 || answer->deadline_ms < next)
				next = answer->deadline_ms;
			link = &answer->next;
			continue;
		}
		log_msg(LOG_LEVEL_WARN, answer->request_id,
			"response dropped: the web server took %zu of %zu bytes within send_timeout_ms (%d ms); "
			"its client is probably not reading", answer->sent, answer->length, sender->timeout_ms);
		*link = answer->next;
		sender_release(sender, answer);
	}
	return next < 0 ? -1 : (int)(next - now);
}

static void sender_finish(struct response_sender *sender, struct sender_answer *done)
{
	for (struct sender_answer **link = &sender->held; *link != NULL; link = &(*link)->next) {
		if (*link == done) {
			*link = done->next;
			sender_release(sender, done);
			return;
		}
	}
}

static void *sender_main(void *argument)
{
	struct response_sender *sender = argument;
	int stopping = 0;
	for (;;) {
		int wait_ms = sender_expire(sender);
		if (stopping && sender->held == NULL)
			break;
		struct epoll_event events[16];
		int ready = epoll_wait(sender->poll_fd, events, 16, wait_ms);
		if (ready < 0 && errno != EINTR) {
			log_error("response sender: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < ready; i++) {
			if (events[i].data.ptr == NULL) {
				stopping |= sender_adopt(sender);
				continue;
			}
			struct sender_answer *answer = events[i].data.ptr;
			if (sender_push(answer))
				sender_finish(sender, answer);
		}
	}
	while (sender->held != NULL) {
		struct sender_answer *answer = sender->held;
		sender->held = answer->next;
		sender_release(sender, answer);
	}
	return NULL;
}

struct response_sender *response_sender_start(size_t max_waiting_bytes, size_t max_waiting_answers, int timeout_ms)
{
	struct response_sender *sender = calloc(1, sizeof(*sender));
	if (sender == NULL)
		return NULL;
	sender->timeout_ms = timeout_ms;
	sender->max_waiting_bytes = max_waiting_bytes;
	sender->max_waiting_answers = max_waiting_answers;
	sender->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sender->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event interest = {.events = EPOLLIN, .data.ptr = NULL};
	if (sender->wake_fd < 0 || sender->poll_fd < 0 ||
		epoll_ctl(sender->poll_fd, EPOLL_CTL_ADD, sender->wake_fd, &interest) != 0 ||
		pthread_mutex_init(&sender->lock, NULL) != 0)
		goto failed;
	/* Signals stay with the worker's main thread: the thread starts with them all blocked. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &previous);
	int started = pthread_create(&sender->thread, NULL, sender_main, sender);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (started != 0) {
		pthread_mutex_destroy(&sender->lock);
		goto failed;
	}
	return sender;
failed:
	if (sender->wake_fd >= 0)
		close(sender->wake_fd);
	if (sender->poll_fd >= 0)
		close(sender->poll_fd);
	free(sender);
	return NULL;
}

static void sender_wake(struct response_sender *sender)
{
	uint64_t one = 1;
	ssize_t ignored = write(sender->wake_fd, &one, sizeof(one));
	(void)ignored; /* the counter cannot overflow at one per hand-over */
}

int response_sender_take(struct response_sender *sender, int fd, char *bytes, size_t length, size_t sent,
	const char *request_id)
{
	struct sender_answer *answer = calloc(1, sizeof(*answer));
	if (answer == NULL)
		return -1;
	pthread_mutex_lock(&sender->lock);
	int room = !sender->stopping && sender->waiting_answers < sender->max_waiting_answers &&
		sender->waiting_bytes + (length - sent) <= sender->max_waiting_bytes;
	if (room) {
		answer->fd = fd;
		answer->bytes = bytes;
		answer->length = length;
		answer->sent = sent;
		answer->deadline_ms = sender_now_ms() + sender->timeout_ms;
		snprintf(answer->request_id, sizeof(answer->request_id), "%s", request_id);
		answer->next = sender->handed_over;
		sender->handed_over = answer;
		sender->waiting_bytes += length - sent;
		sender->waiting_answers++;
	}
	pthread_mutex_unlock(&sender->lock);
	if (!room) {
		free(answer);
		return -1;
	}
	sender_wake(sender);
	return 0;
}

void response_sender_stop(struct response_sender *sender)
{
	if (sender == NULL)
		return;
	pthread_mutex_lock(&sender->lock);
	sender->stopping = 1;
	pthread_mutex_unlock(&sender->lock);
	sender_wake(sender);
	pthread_join(sender->thread, NULL);
	close(sender->wake_fd);
	close(sender->poll_fd);
	pthread_mutex_destroy(&sender->lock);
	free(sender);
}

/* A worker's response sender: a thread that finishes sending answers the
 * web server could not take at once (its client reads slowly, or not at
 * all), so the worker goes on to the next request instead of waiting. Each
 * answer keeps a deadline (send_timeout_ms); past it the connection is
 * closed and the drop logged. The bytes waiting are bounded per worker;
 * over the bound the worker sends itself, under the same deadline. */
#ifndef INTUKA_SERVER_RESPONSE_SENDER_H
#define INTUKA_SERVER_RESPONSE_SENDER_H

#include <stddef.h>

struct response_sender;

/* NULL when the thread cannot start (the worker then sends everything itself). */
struct response_sender *response_sender_start(size_t max_waiting_bytes, size_t max_waiting_answers, int timeout_ms);

/* Hands over the rest of an answer: fd (a duplicate the sender closes when
 * done) and bytes (malloc'd; freed by the sender), of which `sent` went out
 * already. Returns 0, or -1 when over the bounds (nothing taken). */
int response_sender_take(struct response_sender *sender, int fd, char *bytes, size_t length, size_t sent,
	const char *request_id);

/* Finishes or drops what waits (each within its deadline), then stops the thread. */
void response_sender_stop(struct response_sender *sender);

#endif

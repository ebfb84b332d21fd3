/*
 * Concurrent health clients as forked processes: real parallel connections
 * spread requests over several workers, which one sequential client may not.
 * A child reports only the number of bad responses, through its exit status.
 */
#ifndef INTUKA_ITEST_PARALLEL_CLIENTS_H
#define INTUKA_ITEST_PARALLEL_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum health_expectation {
	HEALTH_EXPECT_HEALTHY,       /* 200, database ok */
	HEALTH_EXPECT_UNAVAILABLE,   /* 503 SERVICE_UNAVAILABLE */
};

enum { PARALLEL_CLIENTS_MAX = 16 };

struct parallel_clients {
	pid_t client_pids[PARALLEL_CLIENTS_MAX];
	size_t client_count;
	size_t requests_per_client;
};

struct parallel_clients_plan {
	size_t client_count;
	size_t requests_per_client;
	/* Spreads a client's requests over time, so an event the test triggers
	 * (SIGHUP) is sure to fall inside the run rather than after it. */
	unsigned int pause_between_requests_ms;
	enum health_expectation expectation;
};

/* Forks the planned children, each making its requests sequentially. On
 * failure, children already started are waited for. */
bool parallel_clients_start(struct parallel_clients *clients, const struct parallel_clients_plan *plan);

/* True while at least one child has not exited yet (it is not reaped here). */
bool parallel_clients_any_running(const struct parallel_clients *clients);

/*
 * Waits for every child. *bad_responses counts requests that did not meet the
 * expectation, plus every request of a child that crashed or could not run.
 * Each child prints its first bad response on stderr.
 */
void parallel_clients_wait(struct parallel_clients *clients, size_t *bad_responses);

/*
 * Runs client(argument) in count children at once and waits for them. Each
 * child's exit status is its count of bad answers (capped at 254); returns
 * their sum, where a child that could not start, crashed or answered 255
 * ("could not do its job") counts failure_weight.
 */
int parallel_clients_run_each(size_t count, int (*client)(const void *argument), const void *argument,
							  int failure_weight);

#endif

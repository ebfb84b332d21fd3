/*
 * Forked health clients (see parallel_clients.h). Children leave with
 * _exit(): they must not flush stdio buffers inherited from the parent or run
 * its atexit handlers (CUnit, the leak checker).
 */
#include "parallel_clients.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health_probe.h"
#include "itest_clock.h"

/* 255 is "the child could not do its job": never a count of bad responses. */
enum { CLIENT_EXIT_BROKEN = 255, CLIENT_EXIT_MAX_COUNT = 254 };

static void parallel_client_run(size_t client_index, const struct parallel_clients_plan *plan)
{
	size_t bad_responses = 0;

	for (size_t i = 0; i < plan->requests_per_client; i++) {
		struct health_observation observation;
		bool as_expected;

		if (i > 0 && plan->pause_between_requests_ms > 0)
			itest_clock_sleep_ms(plan->pause_between_requests_ms);
		health_probe(&observation);
		as_expected = plan->expectation == HEALTH_EXPECT_HEALTHY ? health_observation_is_healthy(&observation)
														   : health_observation_is_unavailable(&observation);
		if (!as_expected) {
			char description[512];

			if (bad_responses == 0) {
				fprintf(stderr, "    client %zu request %zu: %s\n", client_index, i + 1,
						health_observation_describe(&observation, description, sizeof description));
			}
			bad_responses++;
		}
	}
	fflush(stderr);
	_exit(bad_responses > CLIENT_EXIT_MAX_COUNT ? CLIENT_EXIT_MAX_COUNT : (int)bad_responses);
}

bool parallel_clients_start(struct parallel_clients *clients, const struct parallel_clients_plan *plan)
{
	memset(clients, 0, sizeof *clients);
	if (plan->client_count > PARALLEL_CLIENTS_MAX || plan->requests_per_client > CLIENT_EXIT_MAX_COUNT)
		return false;
	clients->requests_per_client = plan->requests_per_client;

	fflush(stdout);
	fflush(stderr);
	for (size_t i = 0; i < plan->client_count; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			size_t ignored;

			parallel_clients_wait(clients, &ignored);
			return false;
		}
		if (pid == 0)
			parallel_client_run(i, plan);
		clients->client_pids[clients->client_count++] = pid;
	}
	return true;
}

bool parallel_clients_any_running(const struct parallel_clients *clients)
{
	for (size_t i = 0; i < clients->client_count; i++) {
		siginfo_t info = { 0 };

		/* WNOWAIT leaves the child to parallel_clients_wait(); si_pid stays 0
		 * while the child is still running. */
		if (waitid(P_PID, (id_t)clients->client_pids[i], &info, WEXITED | WNOHANG | WNOWAIT) == 0
			&& info.si_pid == 0)
			return true;
	}
	return false;
}

void parallel_clients_wait(struct parallel_clients *clients, size_t *bad_responses)
{
	*bad_responses = 0;
	for (size_t i = 0; i < clients->client_count; i++) {
		int status;
		pid_t waited;

		do {
			waited = waitpid(clients->client_pids[i], &status, 0);
		} while (waited < 0 && errno == EINTR);

		if (waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == CLIENT_EXIT_BROKEN) {
			fprintf(stderr, "    client %zu did not finish normally\n", i);
			*bad_responses += clients->requests_per_client;
		} else {
			*bad_responses += (size_t)WEXITSTATUS(status);
		}
	}
	clients->client_count = 0;
}

int parallel_clients_run_each(size_t count, int (*client)(const void *argument), const void *argument,
							  int failure_weight)
{
	pid_t children[PARALLEL_CLIENTS_MAX];
	size_t started = 0;
	int bad = 0;
	if (count > PARALLEL_CLIENTS_MAX)
		count = PARALLEL_CLIENTS_MAX;
	fflush(NULL);
	for (; started < count; started++) {
		children[started] = fork();
		if (children[started] < 0)
			break;
		if (children[started] == 0) {
			int answer = client(argument);
			_exit(answer < 0 ? CLIENT_EXIT_BROKEN : answer > CLIENT_EXIT_MAX_COUNT ? CLIENT_EXIT_MAX_COUNT : answer);
		}
	}
	bad += (int)(count - started) * failure_weight; /* never ran */
	for (size_t i = 0; i < started; i++) {
		int status = 0;
		pid_t waited;
		do
			waited = waitpid(children[i], &status, 0);
		while (waited < 0 && errno == EINTR);
		if (waited != children[i] || !WIFEXITED(status) || WEXITSTATUS(status) == CLIENT_EXIT_BROKEN)
			bad += failure_weight;
		else
			bad += WEXITSTATUS(status);
	}
	return bad;
}

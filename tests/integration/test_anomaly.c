/*
 * Process and database anomalies under a running stack: a worker killed, the
 * database restarted, the master reloaded. Each test puts the stack back the
 * way it found it (the database is always restarted), so suites can follow.
 * Tests needing a variable the flavour cannot provide are registered inactive.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "health_probe.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "parallel_clients.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum {
	WORKER_RESPAWN_DEADLINE_MS = 5000,
	DATABASE_RECOVERY_DEADLINE_MS = 15000,
	GENERATION_RETIRE_DEADLINE_MS = 5000,
	POLL_INTERVAL_MS = 100,
	FOLLOW_UP_REQUEST_COUNT = 20,
};

/* ---- helpers shared by the tests ------------------------------------------ */

static bool anomaly_read_master(pid_t *master_pid)
{
	char why[512];

	if (!ITEST_CHECK(stack_read_master_pid(test_environment.master_pid_file, master_pid, why, sizeof why), "%s",
					 why))
		return false;
	return ITEST_CHECK(stack_process_is_alive(*master_pid), "master pid %d from %s is not running",
					   (int)*master_pid, test_environment.master_pid_file);
}

static bool anomaly_list_workers(pid_t master_pid, struct pid_set *workers)
{
	return ITEST_CHECK(stack_list_children(master_pid, workers), "cannot list the children of master %d in /proc",
					   (int)master_pid);
}

/* Polls until health is 200 with database ok; the elapsed ms, or -1 at the deadline. */
static int64_t anomaly_wait_until_healthy(int64_t deadline_ms, struct health_observation *last)
{
	int64_t started_ms = itest_clock_now_ms();

	for (;;) {
		health_probe(last);
		if (health_observation_is_healthy(last))
			return itest_clock_now_ms() - started_ms;
		if (itest_clock_now_ms() - started_ms >= deadline_ms)
			return -1;
		itest_clock_sleep_ms(POLL_INTERVAL_MS);
	}
}

/* Sequential requests that must all be healthy; the number that were not. */
static size_t anomaly_count_unhealthy(size_t request_count, const char *phase)
{
	size_t unhealthy = 0;

	for (size_t i = 0; i < request_count; i++) {
		struct health_observation observation;
		char description[512];

		health_probe(&observation);
		if (health_observation_is_healthy(&observation))
			continue;
		if (unhealthy == 0) {
			printf("    %s: request %zu: %s\n", phase, i + 1,
				   health_observation_describe(&observation, description, sizeof description));
		}
		unhealthy++;
	}
	return unhealthy;
}

/* ---- a killed worker ------------------------------------------------------ */

static bool worker_set_shows_replacement(const struct pid_set *before, const struct pid_set *now, pid_t killed_pid)
{
	bool has_new_pid = false;

	for (size_t i = 0; i < now->count; i++) {
		if (!pid_set_contains(before, now->pids[i]))
			has_new_pid = true;
	}
	return now->count == before->count && has_new_pid && !pid_set_contains(now, killed_pid);
}

static void killed_worker_is_replaced_and_service_continues(void)
{
	struct pid_set workers_before = { 0 }, workers_after = { 0 };
	struct health_observation observation;
	char description[512], before_text[256], after_text[256];
	pid_t master_pid, victim_pid;
	int64_t started_ms, recovery_ms;
	size_t unhealthy;
	bool replaced = false;

	if (!anomaly_read_master(&master_pid) || !anomaly_list_workers(master_pid, &workers_before))
		return;
	if (!ITEST_CHECK(workers_before.count > 0, "master %d has no worker children", (int)master_pid))
		goto out;

	/* Kill the worker that just answered: that also proves health reports a
	 * real worker of this master. */
	health_probe(&observation);
	if (!ITEST_CHECK(health_observation_is_healthy(&observation), "precondition: health should be 200, got %s",
					 health_observation_describe(&observation, description, sizeof description)))
		goto out;
	victim_pid = observation.worker_pid;
	if (!ITEST_CHECK(pid_set_contains(&workers_before, victim_pid),
					 "data.worker.pid %d is not among the master's workers (%s)", (int)victim_pid,
					 pid_set_format(&workers_before, before_text, sizeof before_text)))
		goto out;
	if (!ITEST_CHECK(kill(victim_pid, SIGKILL) == 0, "kill(%d, SIGKILL): %s", (int)victim_pid, strerror(errno)))
		goto out;

	recovery_ms = anomaly_wait_until_healthy(WORKER_RESPAWN_DEADLINE_MS, &observation);
	ITEST_CHECK(recovery_ms >= 0, "health not 200 within %d ms of killing worker %d: %s",
				WORKER_RESPAWN_DEADLINE_MS, (int)victim_pid,
				health_observation_describe(&observation, description, sizeof description));
	unhealthy = anomaly_count_unhealthy(FOLLOW_UP_REQUEST_COUNT, "after the kill");
	ITEST_CHECK(unhealthy == 0, "%zu of %d health requests after the kill were not 200", unhealthy,
				FOLLOW_UP_REQUEST_COUNT);

	started_ms = itest_clock_now_ms();
	while (!replaced && itest_clock_now_ms() - started_ms < WORKER_RESPAWN_DEADLINE_MS) {
		pid_set_free(&workers_after);
		if (!anomaly_list_workers(master_pid, &workers_after))
			goto out;
		replaced = worker_set_shows_replacement(&workers_before, &workers_after, victim_pid);
		if (!replaced)
			itest_clock_sleep_ms(POLL_INTERVAL_MS);
	}
	ITEST_CHECK(replaced,
				"within %d ms the master should again have %zu workers including a new pid and not %d; "
				"before: %s, now: %s",
				WORKER_RESPAWN_DEADLINE_MS, workers_before.count, (int)victim_pid,
				pid_set_format(&workers_before, before_text, sizeof before_text),
				pid_set_format(&workers_after, after_text, sizeof after_text));
	ITEST_CHECK(stack_parent_of(victim_pid) != master_pid || !stack_process_is_alive(victim_pid),
				"killed worker %d is still a live child of the master", (int)victim_pid);
	ITEST_CHECK(stack_process_is_alive(master_pid), "master %d died", (int)master_pid);
	printf("    killed worker %d; service healthy again after %lld ms; workers now: %s\n", (int)victim_pid,
		   (long long)recovery_ms, pid_set_format(&workers_after, after_text, sizeof after_text));

out:
	pid_set_free(&workers_before);
	pid_set_free(&workers_after);
}

/* ---- the database restarted ----------------------------------------------- */

/* With the database down every worker must answer 503, none may crash. */
static void database_down_phase(bool have_master, pid_t master_pid, const struct pid_set *workers_before)
{
	const struct parallel_clients_plan plan = {
		.client_count = 4, .requests_per_client = 5, .expectation = HEALTH_EXPECT_UNAVAILABLE,
	};
	struct parallel_clients clients;
	struct pid_set workers_now = { 0 };
	char before_text[256], now_text[256], description[512];
	size_t bad_responses = 0;

	for (int i = 0; i < 10; i++) {
		struct health_observation observation;

		health_probe(&observation);
		if (!health_observation_is_unavailable(&observation)) {
			if (bad_responses == 0) {
				printf("    database down, request %d: %s\n", i + 1,
					   health_observation_describe(&observation, description, sizeof description));
			}
			bad_responses++;
		}
	}
	ITEST_CHECK(bad_responses == 0,
				"with the database down, %zu of 10 sequential health requests were not 503 SERVICE_UNAVAILABLE "
				"with an error envelope",
				bad_responses);

	/* Parallel clients hold several connections at once, so several workers answer. */
	if (ITEST_CHECK(parallel_clients_start(&clients, &plan), "cannot fork the load clients")) {
		parallel_clients_wait(&clients, &bad_responses);
		ITEST_CHECK(bad_responses == 0,
					"with the database down, %zu of 20 concurrent health requests were not 503 SERVICE_UNAVAILABLE",
					bad_responses);
	}

	if (have_master && anomaly_list_workers(master_pid, &workers_now)) {
		ITEST_CHECK(pid_set_equal(workers_before, &workers_now),
					"workers changed while the database was down (a worker crashed or exited): before %s, now %s",
					pid_set_format(workers_before, before_text, sizeof before_text),
					pid_set_format(&workers_now, now_text, sizeof now_text));
	}
	pid_set_free(&workers_now);
}

static void database_restart_under_running_server_recovers(void)
{
	const struct parallel_clients_plan plan = {
		.client_count = 4, .requests_per_client = 10, .expectation = HEALTH_EXPECT_HEALTHY,
	};
	struct parallel_clients clients;
	struct health_observation observation;
	struct pid_set workers_before = { 0 }, workers_after = { 0 };
	char description[512], before_text[256], after_text[256];
	bool have_master = test_environment_has(test_environment.master_pid_file);
	pid_t master_pid = -1;
	int64_t start_command_began_ms, start_command_took_ms, recovery_ms;
	int exit_status;
	size_t unhealthy;

	health_probe(&observation);
	if (!ITEST_CHECK(health_observation_is_healthy(&observation), "precondition: health should be 200, got %s",
					 health_observation_describe(&observation, description, sizeof description)))
		return;
	if (have_master && (!anomaly_read_master(&master_pid) || !anomaly_list_workers(master_pid, &workers_before)))
		return;

	exit_status = stack_run_command(test_environment.db_stop_command);
	if (ITEST_CHECK(exit_status == 0, "INTUKA_TEST_DB_STOP_CMD (%s) exited %d", test_environment.db_stop_command,
					exit_status))
		database_down_phase(have_master, master_pid, &workers_before);

	/* Always restart, even after a failed check or a failed stop: the next
	 * tests (and the next run) need the database. */
	start_command_began_ms = itest_clock_now_ms();
	exit_status = stack_run_command(test_environment.db_start_command);
	start_command_took_ms = itest_clock_now_ms() - start_command_began_ms;
	if (!ITEST_CHECK(exit_status == 0, "INTUKA_TEST_DB_START_CMD (%s) exited %d", test_environment.db_start_command,
					 exit_status))
		goto out;

	recovery_ms = anomaly_wait_until_healthy(DATABASE_RECOVERY_DEADLINE_MS, &observation);
	if (!ITEST_CHECK(recovery_ms >= 0, "health not 200 within %d ms of the database start command returning: %s",
					 DATABASE_RECOVERY_DEADLINE_MS,
					 health_observation_describe(&observation, description, sizeof description)))
		goto out;
	printf("    database recovery: start command took %lld ms, first healthy response %lld ms after it returned\n",
		   (long long)start_command_took_ms, (long long)recovery_ms);

	unhealthy = anomaly_count_unhealthy(FOLLOW_UP_REQUEST_COUNT, "after the restart");
	ITEST_CHECK(unhealthy == 0, "%zu of %d consecutive health requests after the restart were not 200 with "
				"database ok", unhealthy, FOLLOW_UP_REQUEST_COUNT);
	/* Sequential requests may all land on one worker; concurrent ones reach
	 * the others, each of which must have reconnected by itself. */
	if (ITEST_CHECK(parallel_clients_start(&clients, &plan), "cannot fork the load clients")) {
		parallel_clients_wait(&clients, &unhealthy);
		ITEST_CHECK(unhealthy == 0, "%zu of 40 concurrent health requests after the restart were not 200", unhealthy);
	}
	if (have_master && anomaly_list_workers(master_pid, &workers_after)) {
		ITEST_CHECK(pid_set_equal(&workers_before, &workers_after),
					"workers should recover without being restarted: before %s, after %s",
					pid_set_format(&workers_before, before_text, sizeof before_text),
					pid_set_format(&workers_after, after_text, sizeof after_text));
	}

out:
	pid_set_free(&workers_before);
	pid_set_free(&workers_after);
}

/* ---- SIGHUP reload ------------------------------------------------------- */

static void reload_with_sighup_drops_no_request(void)
{
	enum { RELOAD_COUNT = 3, RELOAD_INTERVAL_MS = 100 };
	/* 50 requests 10 ms apart last at least half a second: the three reloads,
	 * 100 ms apart, all land inside the run. */
	const struct parallel_clients_plan plan = {
		.client_count = 4, .requests_per_client = 50, .pause_between_requests_ms = 10,
		.expectation = HEALTH_EXPECT_HEALTHY,
	};
	struct parallel_clients clients;
	struct pid_set workers_before = { 0 }, workers_after = { 0 };
	char before_text[256], after_text[256];
	pid_t master_pid;
	size_t bad_responses;
	bool clients_outlived_reloads, generation_replaced = false;
	int64_t started_ms;

	if (!anomaly_read_master(&master_pid) || !anomaly_list_workers(master_pid, &workers_before))
		return;
	if (!ITEST_CHECK(workers_before.count > 0, "master %d has no worker children", (int)master_pid))
		goto out;
	if (!ITEST_CHECK(parallel_clients_start(&clients, &plan), "cannot fork the load clients"))
		goto out;

	for (int reload = 0; reload < RELOAD_COUNT; reload++) {
		itest_clock_sleep_ms(RELOAD_INTERVAL_MS);
		ITEST_CHECK(kill(master_pid, SIGHUP) == 0, "kill(%d, SIGHUP): %s", (int)master_pid, strerror(errno));
	}
	clients_outlived_reloads = parallel_clients_any_running(&clients);
	parallel_clients_wait(&clients, &bad_responses);
	ITEST_CHECK(bad_responses == 0, "%zu of %zu health requests during the reloads were not 200", bad_responses,
				plan.client_count * plan.requests_per_client);
	/* Otherwise the reloads happened after the load and the test proved nothing. */
	ITEST_CHECK(clients_outlived_reloads, "the load clients finished before the last SIGHUP was sent");
	ITEST_CHECK(stack_process_is_alive(master_pid), "master %d died after SIGHUP", (int)master_pid);

	started_ms = itest_clock_now_ms();
	while (!generation_replaced && itest_clock_now_ms() - started_ms < GENERATION_RETIRE_DEADLINE_MS) {
		pid_set_free(&workers_after);
		if (!anomaly_list_workers(master_pid, &workers_after))
			goto out;
		generation_replaced = workers_after.count == workers_before.count
						   && pid_set_disjoint(&workers_before, &workers_after);
		if (!generation_replaced)
			itest_clock_sleep_ms(POLL_INTERVAL_MS);
	}
	ITEST_CHECK(generation_replaced,
				"within %d ms of the reloads the master should have %zu workers, all new: before %s, now %s",
				GENERATION_RETIRE_DEADLINE_MS, workers_before.count,
				pid_set_format(&workers_before, before_text, sizeof before_text),
				pid_set_format(&workers_after, after_text, sizeof after_text));
	printf("    workers before reload: %s; after: %s\n",
		   pid_set_format(&workers_before, before_text, sizeof before_text),
		   pid_set_format(&workers_after, after_text, sizeof after_text));

out:
	pid_set_free(&workers_before);
	pid_set_free(&workers_after);
}

bool anomaly_suite_register(void)
{
	const char *no_master = NULL, *no_database_control = NULL;
	CU_pSuite suite = CU_add_suite("anomaly", NULL, NULL);

	if (suite == NULL)
		return false;
	if (!test_environment_has(test_environment.master_pid_file))
		no_master = "INTUKA_TEST_MASTER_PIDFILE is empty (no intukad master: under fcgid Apache owns the processes)";
	if (!test_environment_has(test_environment.db_stop_command)
		|| !test_environment_has(test_environment.db_start_command))
		no_database_control = "INTUKA_TEST_DB_STOP_CMD or INTUKA_TEST_DB_START_CMD is empty";

	return itest_add_test(suite, "killed_worker_is_replaced_and_service_continues",
						  killed_worker_is_replaced_and_service_continues, no_master)
		&& itest_add_test(suite, "database_restart_under_running_server_recovers",
						  database_restart_under_running_server_recovers, no_database_control)
		&& itest_add_test(suite, "reload_with_sighup_drops_no_request", reload_with_sighup_drops_no_request,
						  no_master);
}

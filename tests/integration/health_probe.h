/*
 * One GET /api/v1/health, reduced to the facts the anomaly and admin tests
 * reason about. No CUnit calls, so forked load clients can use it too.
 */
#ifndef INTUKA_ITEST_HEALTH_PROBE_H
#define INTUKA_ITEST_HEALTH_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct health_observation {
	bool response_arrived;      /* false: refused, reset or timed out */
	long http_status;
	bool envelope_ok;           /* JSON content type, X-Request-Id, body JSON, envelope shape */
	char error_code[64];        /* error.code of an error envelope, else "" */
	bool database_ok;           /* data.status and data.database.status are both "ok" */
	int64_t schema_version;     /* -1 when absent */
	pid_t worker_pid;           /* -1 when absent */
	char retry_after[32];       /* the Retry-After header, "" when absent */
	char problem[384];          /* the first thing that was wrong, for failure messages */
};

void health_probe(struct health_observation *observation);

/* 200 with a valid success envelope and database "ok". */
bool health_observation_is_healthy(const struct health_observation *observation);

/* 503 with a valid error envelope, code SERVICE_UNAVAILABLE and a Retry-After. */
bool health_observation_is_unavailable(const struct health_observation *observation);

/* One line saying what came back, for failure messages. */
const char *health_observation_describe(const struct health_observation *observation, char *buffer,
										size_t buffer_size);

#endif

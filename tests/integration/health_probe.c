/*
 * GET /api/v1/health reduced to a struct (see health_probe.h).
 */
#include "health_probe.h"

#include <stdio.h>
#include <string.h>

#include "http_client.h"
#include "json_path.h"
#include "response_checks.h"

static void health_probe_read_body(struct health_observation *observation, json_object *root)
{
	const char *error_code = json_path_string(root, "error.code");
	const char *status = json_path_string(root, "data.status");
	const char *database_status = json_path_string(root, "data.database.status");
	int64_t number;

	if (error_code != NULL)
		snprintf(observation->error_code, sizeof observation->error_code, "%s", error_code);
	observation->database_ok = status != NULL && strcmp(status, "ok") == 0
							&& database_status != NULL && strcmp(database_status, "ok") == 0;
	if (json_path_int64(root, "data.database.schemaVersion", &number))
		observation->schema_version = number;
	if (json_path_int64(root, "data.worker.pid", &number) && number > 0)
		observation->worker_pid = (pid_t)number;
}

void health_probe(struct health_observation *observation)
{
	const struct http_request request = { .method = "GET", .path_and_query = "/api/v1/health" };
	struct http_response response;
	json_object *root;
	char why[256];

	memset(observation, 0, sizeof *observation);
	observation->schema_version = -1;
	observation->worker_pid = -1;

	if (!http_client_send(&request, &response, why, sizeof why)) {
		snprintf(observation->problem, sizeof observation->problem, "no response: %s", why);
		http_response_free(&response);
		return;
	}
	observation->response_arrived = true;
	observation->http_status = response.status;
	const char *retry_after = http_response_header(&response, "Retry-After");
	snprintf(observation->retry_after, sizeof observation->retry_after, "%s", retry_after ? retry_after : "");

	root = json_parse_whole(response.body, response.body_length, why, sizeof why);
	if (root == NULL) {
		snprintf(observation->problem, sizeof observation->problem, "status %ld: %s", response.status, why);
	} else if (!envelope_is_well_formed(root, why, sizeof why)) {
		snprintf(observation->problem, sizeof observation->problem, "status %ld: envelope: %s",
				 response.status, why);
	} else if (!content_type_is_json(http_response_header(&response, "Content-Type"))) {
		snprintf(observation->problem, sizeof observation->problem, "status %ld: Content-Type is not JSON",
				 response.status);
	} else if (!request_id_has_generated_form(http_response_header(&response, "X-Request-Id"))) {
		snprintf(observation->problem, sizeof observation->problem,
				 "status %ld: X-Request-Id missing or not 32 hex chars", response.status);
	} else {
		observation->envelope_ok = true;
	}
	if (root != NULL)
		health_probe_read_body(observation, root);
	if (observation->problem[0] == '\0' && response.status != 200) {
		snprintf(observation->problem, sizeof observation->problem, "status %ld: %.300s", response.status,
				 response.body);
	}
	json_object_put(root);
	http_response_free(&response);
}

bool health_observation_is_healthy(const struct health_observation *observation)
{
	return observation->response_arrived && observation->http_status == 200 && observation->envelope_ok
		&& observation->database_ok;
}

bool health_observation_is_unavailable(const struct health_observation *observation)
{
	return observation->response_arrived && observation->http_status == 503 && observation->envelope_ok
		&& strcmp(observation->error_code, "SERVICE_UNAVAILABLE") == 0 && observation->retry_after[0] != '\0';
}

const char *health_observation_describe(const struct health_observation *observation, char *buffer,
										size_t buffer_size)
{
	if (observation->problem[0] != '\0') {
		snprintf(buffer, buffer_size, "%s", observation->problem);
	} else {
		snprintf(buffer, buffer_size, "status %ld, error.code \"%s\", database %s, worker pid %d, Retry-After \"%s\"",
				 observation->http_status, observation->error_code,
				 observation->database_ok ? "ok" : "not ok", (int)observation->worker_pid, observation->retry_after);
	}
	return buffer;
}

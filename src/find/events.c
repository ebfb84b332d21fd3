/* The webhook outbox, writing side: one INSERT ... SELECT per event. */
#include "find/events.h"
#include "core/hex.h"
#include "core/alloc.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum find_events_statement { EVENTS_STMT_EMIT, EVENTS_STMT__MAX };

static const struct db_statement_def find_events_statements[EVENTS_STMT__MAX] = {
	/* Served by find_webhooks_status (tenant_id, status). */
	[EVENTS_STMT_EMIT] = {.name = "find_events.emit",
		.sql = "INSERT INTO find_webhook_deliveries (tenant_id, webhook_id, event_id, event, body) "
		"SELECT tenant_id, webhook_id, ?, ?, ? FROM find_webhooks "
		"WHERE tenant_id = ? AND status = 'active' AND FIND_IN_SET(?, events) > 0",
		.tenant_bound = 1},
};

const struct db_statement_def *find_events_statement_table(size_t *count)
{
	*count = EVENTS_STMT__MAX;
	return find_events_statements;
}

int find_events_new_id(char *out, size_t out_size)
{
	if (out_size < 37)
		return -1;
	memcpy(out, "evt_", 4);
	if (hex_random(16, out + 4, out_size - 4) != 0)
		return -1;
	return 0;
}

char *find_events_body(const char *event_id, const char *event, const char *workspace, json_object *payload,
	int64_t now_ms)
{
	time_t seconds = (time_t)(now_ms / 1000);
	struct tm calendar;
	gmtime_r(&seconds, &calendar);
	char date[40], created_at[48];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &calendar);
	snprintf(created_at, sizeof(created_at), "%s.%03dZ", date, (int)(now_ms % 1000));
	json_object *envelope = json_object_new_object();
	json_object_object_add(envelope, "id", json_object_new_string(event_id));
	json_object_object_add(envelope, "event", json_object_new_string(event));
	json_object_object_add(envelope, "created_at", json_object_new_string(created_at));
	json_object_object_add(envelope, "workspace", json_object_new_string(workspace ? workspace : ""));
	json_object_object_add(envelope, "data", payload ? json_object_get(payload) : json_object_new_object());
	char *body = xstrdup(json_object_to_json_string_ext(envelope, JSON_C_TO_STRING_PLAIN));
	json_object_put(envelope);
	return body;
}

int find_events_emit(struct db *db, uint64_t tenant_id, const char *workspace, const char *event,
	json_object *payload)
{
	char event_id[40];
	if (find_events_new_id(event_id, sizeof(event_id)) != 0)
		return DB_ERROR;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	char *body = find_events_body(event_id, event, workspace, payload, now_ms);
	struct db_param params[] = {DB_TEXT(event_id), DB_TEXT(event), DB_TEXT(body), DB_UINT(tenant_id),
		DB_TEXT(event)};
	enum db_result result = db_exec(db, &find_events_statements[EVENTS_STMT_EMIT], params, 5, NULL, NULL);
	free(body);
	return result;
}

/* The webhook outbox's writing side: modules that change find content call
 * find_events_emit inside their own transaction, and the event reaches every
 * active webhook of the tenant subscribed to it when that transaction
 * commits (see sql/migrations/0008_find_webhooks.sql for the design). */
#ifndef INTUKA_FIND_EVENTS_H
#define INTUKA_FIND_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "db/db.h"

/* Inserts one delivery row per active webhook of tenant_id subscribed to
 * event (a name of the catalogue in find/webhook_policy.h), in one
 * statement: when the tenant has no such webhook it costs one indexed
 * lookup. The delivered body is
 *   {"id":"evt_<32 hex>","event":event,"created_at":"<ISO 8601 UTC>",
 *    "workspace":workspace,"data":payload}
 * payload stays the caller's (it is referenced, not consumed); NULL sends
 * {}. workspace may be NULL or "". Returns an enum db_result; on failure the
 * caller rolls its transaction back as for any other statement. */
int find_events_emit(struct db *db, uint64_t tenant_id, const char *workspace, const char *event,
	json_object *payload);

/* The body find_events_emit stores, for an event id it chose; exposed for
 * the /test route and unit tests. Caller frees with free(). */
char *find_events_body(const char *event_id, const char *event, const char *workspace, json_object *payload,
	int64_t now_ms);
/* "evt_" and 32 hex digits of fresh randomness; out needs 37 bytes. */
int find_events_new_id(char *out, size_t out_size);

const struct db_statement_def *find_events_statement_table(size_t *count);

#endif

/* The webhook outbox, reading side, for the delivery process: claim due
 * deliveries of every tenant, renew a claim before sending, and record
 * each attempt's outcome (retry by the webhook's policy, final failure,
 * suspension of a webhook that keeps failing). Rows are found by
 * find_webhook_deliveries_due (status, next_attempt_at); see
 * sql/migrations/0008_find_webhooks.sql for how the lease works. */
#ifndef INTUKA_FIND_WEBHOOK_OUTBOX_H
#define INTUKA_FIND_WEBHOOK_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "find/webhook_target.h"

#define WEBHOOK_OUTBOX_BATCH_MAX 100
#define WEBHOOK_CLAIM_TOKEN_MAX 33

struct webhook_claim {
	uint64_t tenant_id;
	uint64_t delivery_id;
};

/* One delivery with what sending it needs; body, headers and auth config
 * are malloc'd and released by webhook_outbox_delivery_free. */
struct webhook_delivery {
	uint64_t tenant_id;
	uint64_t delivery_id;
	uint64_t webhook_id;
	int found;           /* the claim still holds and the row exists */
	int webhook_missing; /* an orphan row: its webhook is gone */
	char event[40];
	char event_id[40];
	char *body;
	size_t body_length;
	int attempts;        /* finished attempts before this one */
	char url[2049];
	char secret[257];
	char status[16];     /* the webhook's */
	int max_attempts;
	char backoff[16];
	int64_t initial_delay_ms;
	int timeout_ms;
	char *headers_json;
	char auth_type[16];  /* "none", "bearer", "basic", "api_key" */
	char *auth_config;   /* credentials (JSON) or NULL; wiped when freed */
};

/* A fresh claim token (32 hex digits). */
int webhook_outbox_new_token(char *out, size_t out_size);

/* Reads up to limit due rows and takes each with a compare-and-set that
 * stamps token and pushes its due time lease_s ahead, only while the row is
 * still due: several delivery processes, on one server or on the nodes of
 * a Galera cluster, never take the same row. Returns an enum db_result;
 * *claimed_count rows (those taken) are in claims. */
int webhook_outbox_claim(struct db *db, const char *token, int lease_s, size_t limit, struct webhook_claim *claims,
	size_t *claimed_count);

/* Extends the lease of a claimed row and reads it with its webhook.
 * delivery->found is 0 when the claim was lost (lease ran out and another
 * process took the row) or the row is gone. */
int webhook_outbox_load(struct db *db, const struct webhook_claim *claim, const char *token, int lease_s,
	struct webhook_delivery *delivery);
void webhook_outbox_delivery_free(struct webhook_delivery *delivery);

/* Gives a claimed row back, due now (shutdown) or after hold_s (webhook not
 * active: the row waits for it to be resumed). */
int webhook_outbox_release(struct db *db, const struct webhook_claim *claim, const char *token, int hold_s);

/* Records one attempt. On a 2xx the delivery succeeded and the webhook's
 * failure count restarts; otherwise a retry is scheduled by the webhook's
 * policy, or, at max_attempts, the delivery fails and the webhook counts
 * one more failed delivery in a row: at suspend_after_failures it is
 * suspended. *final_status receives "succeeded", "retry" or "failed". */
int webhook_outbox_record(struct db *db, const struct webhook_delivery *delivery, const char *token,
	const struct webhook_outcome *outcome, int suspend_after_failures, const char **final_status);

/* Deletes finished deliveries older than retention_days, at most 1000. */
int webhook_outbox_purge(struct db *db, int retention_days, uint64_t *deleted);

const struct db_statement_def *webhook_outbox_statement_table(size_t *count);

#endif

/* The webhook outbox, reading side: claims, leases, outcomes, retention. */
#include "find/webhook_outbox.h"
#include "core/hex.h"
#include "core/alloc.h"
#include "find/webhook_policy.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum webhook_outbox_statement {
	OUTBOX_STMT_CLAIM_SELECT,
	OUTBOX_STMT_CLAIM_MARK,
	OUTBOX_STMT_RENEW,
	OUTBOX_STMT_LOAD,
	OUTBOX_STMT_RELEASE,
	OUTBOX_STMT_SUCCEEDED,
	OUTBOX_STMT_WEBHOOK_SUCCEEDED,
	OUTBOX_STMT_RETRY,
	OUTBOX_STMT_WEBHOOK_ATTEMPT_FAILED,
	OUTBOX_STMT_FAILED,
	OUTBOX_STMT_WEBHOOK_DELIVERY_FAILED,
	OUTBOX_STMT_PURGE,
	OUTBOX_STMT__MAX
};

static const struct db_statement_def webhook_outbox_statements[OUTBOX_STMT__MAX] = {
	/* Global by nature: the delivery process serves every tenant. A range
	 * of find_webhook_deliveries_due (status, next_attempt_at). Candidates
	 * only, read without locks: the claim itself is the mark below. */
	[OUTBOX_STMT_CLAIM_SELECT] = {.name = "find_webhooks.claim_due",
		.sql = "SELECT tenant_id, delivery_id FROM find_webhook_deliveries "
		"WHERE status = 'pending' AND next_attempt_at <= NOW(3) "
		"ORDER BY next_attempt_at LIMIT ?",
		.tenant_bound = 0},
	/* Compare-and-set: the row is taken only while it is still due, so of
	 * two processes that read it, on one server or on two Galera nodes,
	 * one changes it (the other matches nothing, or loses certification). */
	[OUTBOX_STMT_CLAIM_MARK] = {.name = "find_webhooks.claim_mark",
		.sql = "UPDATE find_webhook_deliveries SET claim_token = ?, next_attempt_at = NOW(3) + INTERVAL ? SECOND "
		"WHERE tenant_id = ? AND delivery_id = ? AND status = 'pending' AND next_attempt_at <= NOW(3)",
		.tenant_bound = 1},
	[OUTBOX_STMT_RENEW] = {.name = "find_webhooks.claim_renew",
		.sql = "UPDATE find_webhook_deliveries SET next_attempt_at = NOW(3) + INTERVAL ? SECOND "
		"WHERE tenant_id = ? AND delivery_id = ? AND claim_token = ? AND status = 'pending'",
		.tenant_bound = 1, .retry_safe = 1},
	[OUTBOX_STMT_LOAD] = {.name = "find_webhooks.delivery_load",
		.sql = "SELECT d.webhook_id, d.event, d.event_id, d.body, d.attempts, w.url, w.secret, w.status, "
		"w.max_attempts, w.backoff, w.initial_delay_ms, w.timeout_ms, w.headers, w.auth_type, w.auth_config "
		"FROM find_webhook_deliveries d LEFT JOIN find_webhooks w "
		"ON w.tenant_id = d.tenant_id AND w.webhook_id = d.webhook_id "
		"WHERE d.tenant_id = ? AND d.delivery_id = ? AND d.claim_token = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_RELEASE] = {.name = "find_webhooks.claim_release",
		.sql = "UPDATE find_webhook_deliveries SET claim_token = NULL, next_attempt_at = NOW(3) + INTERVAL ? SECOND "
		"WHERE tenant_id = ? AND delivery_id = ? AND claim_token = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_SUCCEEDED] = {.name = "find_webhooks.delivery_succeeded",
		.sql = "UPDATE find_webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, "
		"next_attempt_at = NOW(3), claim_token = NULL, last_status_code = ?, last_error = '', "
		"last_response_ms = ? WHERE tenant_id = ? AND delivery_id = ? AND claim_token = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_WEBHOOK_SUCCEEDED] = {.name = "find_webhooks.webhook_succeeded",
		.sql = "UPDATE find_webhooks SET consecutive_failures = 0, total_deliveries = total_deliveries + 1, "
		"successful_deliveries = successful_deliveries + 1, timed_responses = timed_responses + 1, "
		"total_response_ms = total_response_ms + ?, last_delivery_at = NOW(3), last_success_at = NOW(3) "
		"WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_RETRY] = {.name = "find_webhooks.delivery_retry",
		.sql = "UPDATE find_webhook_deliveries SET attempts = attempts + 1, claim_token = NULL, "
		"next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND, last_status_code = ?, last_error = ?, "
		"last_response_ms = ? WHERE tenant_id = ? AND delivery_id = ? AND claim_token = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_WEBHOOK_ATTEMPT_FAILED] = {.name = "find_webhooks.webhook_attempt_failed",
		.sql = "UPDATE find_webhooks SET total_deliveries = total_deliveries + 1, "
		"timed_responses = timed_responses + ?, total_response_ms = total_response_ms + ?, "
		"last_delivery_at = NOW(3), last_failure_at = NOW(3) WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	[OUTBOX_STMT_FAILED] = {.name = "find_webhooks.delivery_failed",
		.sql = "UPDATE find_webhook_deliveries SET status = 'failed', attempts = attempts + 1, claim_token = NULL, "
		"next_attempt_at = NOW(3), last_status_code = ?, last_error = ?, last_response_ms = ? "
		"WHERE tenant_id = ? AND delivery_id = ? AND claim_token = ?",
		.tenant_bound = 1},
	/* MariaDB assigns left to right with the new values: status is decided
	 * from the count before this failure, then the count moves. */
	[OUTBOX_STMT_WEBHOOK_DELIVERY_FAILED] = {.name = "find_webhooks.webhook_delivery_failed",
		.sql = "UPDATE find_webhooks SET status = IF(status = 'active' AND consecutive_failures + 1 >= ?, 'suspended', "
		"status), consecutive_failures = consecutive_failures + 1, failed_deliveries = failed_deliveries + 1, "
		"total_deliveries = total_deliveries + 1, timed_responses = timed_responses + ?, "
		"total_response_ms = total_response_ms + ?, last_delivery_at = NOW(3), last_failure_at = NOW(3) "
		"WHERE tenant_id = ? AND webhook_id = ?",
		.tenant_bound = 1},
	/* Global like the claim, on the same index (both finished statuses). */
	[OUTBOX_STMT_PURGE] = {.name = "find_webhooks.purge_finished",
		.sql = "DELETE FROM find_webhook_deliveries WHERE status IN ('succeeded', 'failed') "
		"AND next_attempt_at < NOW(3) - INTERVAL ? DAY LIMIT 1000",
		.tenant_bound = 0, .retry_safe = 1},
};

const struct db_statement_def *webhook_outbox_statement_table(size_t *count)
{
	*count = OUTBOX_STMT__MAX;
	return webhook_outbox_statements;
}

int webhook_outbox_new_token(char *out, size_t out_size)
{
	if (out_size < WEBHOOK_CLAIM_TOKEN_MAX)
		return -1;
	return hex_random(16, out, out_size);
}

struct webhook_claim_list {
	struct webhook_claim *claims;
	size_t count;
	size_t limit;
};

static int webhook_outbox_read_claim(void *callback_context, const struct db_row *row)
{
	struct webhook_claim_list *list = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL || list->count >= list->limit)
		return 1;
	list->claims[list->count].tenant_id = strtoull(row->values[0], NULL, 10);
	list->claims[list->count].delivery_id = strtoull(row->values[1], NULL, 10);
	list->count++;
	return 0;
}

int webhook_outbox_claim(struct db *db, const char *token, int lease_s, size_t limit, struct webhook_claim *claims,
	size_t *claimed_count)
{
	*claimed_count = 0;
	if (limit > WEBHOOK_OUTBOX_BATCH_MAX)
		limit = WEBHOOK_OUTBOX_BATCH_MAX;
	struct webhook_claim_list list = {claims, 0, limit};
	struct db_param select_params[] = {DB_UINT(limit)};
	enum db_result result = db_query(db, &webhook_outbox_statements[OUTBOX_STMT_CLAIM_SELECT], select_params, 1,
		webhook_outbox_read_claim, &list);
	if (result != DB_OK)
		return result;
	/* One autocommit compare-and-set per candidate: the rows another
	 * process took in between are dropped from the batch. A conflict is
	 * such a row too; a lost connection leaves the row with us or not, and
	 * either way its lease brings it back. */
	size_t kept = 0;
	for (size_t i = 0; i < list.count; i++) {
		struct db_param params[] = {DB_TEXT(token), DB_INT(lease_s), DB_UINT(claims[i].tenant_id),
			DB_UINT(claims[i].delivery_id)};
		uint64_t taken = 0;
		result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_CLAIM_MARK], params, 4, &taken, NULL);
		if (result == DB_OK && taken == 1)
			claims[kept++] = claims[i];
		else if (result != DB_OK && result != DB_DEADLOCK)
			break;
	}
	*claimed_count = kept;
	return kept > 0 || result == DB_OK || result == DB_DEADLOCK ? DB_OK : result;
}

static int webhook_outbox_read_delivery(void *callback_context, const struct db_row *row)
{
	struct webhook_delivery *delivery = callback_context;
	if (row->column_count != 15 || row->values[0] == NULL || row->values[3] == NULL)
		return 1;
	const char *const *v = row->values;
	delivery->found = 1;
	delivery->webhook_id = strtoull(v[0], NULL, 10);
	snprintf(delivery->event, sizeof(delivery->event), "%s", v[1] ? v[1] : "");
	snprintf(delivery->event_id, sizeof(delivery->event_id), "%s", v[2] ? v[2] : "");
	delivery->body_length = row->lengths[3];
	delivery->body = xmalloc(delivery->body_length + 1);
	memcpy(delivery->body, v[3], delivery->body_length);
	delivery->body[delivery->body_length] = '\0';
	delivery->attempts = v[4] ? atoi(v[4]) : 0;
	if (v[5] == NULL) {
		delivery->webhook_missing = 1;
		return 0;
	}
	snprintf(delivery->url, sizeof(delivery->url), "%s", v[5]);
	snprintf(delivery->secret, sizeof(delivery->secret), "%s", v[6] ? v[6] : "");
	snprintf(delivery->status, sizeof(delivery->status), "%s", v[7] ? v[7] : "");
	delivery->max_attempts = v[8] ? atoi(v[8]) : WEBHOOK_DEFAULT_MAX_ATTEMPTS;
	snprintf(delivery->backoff, sizeof(delivery->backoff), "%s", v[9] ? v[9] : "exponential");
	delivery->initial_delay_ms = v[10] ? strtoll(v[10], NULL, 10) : WEBHOOK_DEFAULT_INITIAL_DELAY_MS;
	delivery->timeout_ms = v[11] ? atoi(v[11]) : WEBHOOK_DEFAULT_TIMEOUT_MS;
	delivery->headers_json = xstrdup(v[12] ? v[12] : "{}");
	snprintf(delivery->auth_type, sizeof(delivery->auth_type), "%s", v[13] ? v[13] : "none");
	delivery->auth_config = v[14] ? xstrdup(v[14]) : NULL;
	return 0;
}

int webhook_outbox_load(struct db *db, const struct webhook_claim *claim, const char *token, int lease_s,
	struct webhook_delivery *delivery)
{
	memset(delivery, 0, sizeof(*delivery));
	delivery->tenant_id = claim->tenant_id;
	delivery->delivery_id = claim->delivery_id;
	uint64_t renewed = 0;
	struct db_param renew_params[] = {DB_INT(lease_s), DB_UINT(claim->tenant_id), DB_UINT(claim->delivery_id),
		DB_TEXT(token)};
	enum db_result result =
		db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_RENEW], renew_params, 4, &renewed, NULL);
	if (result != DB_OK || renewed == 0)
		return result;
	struct db_param params[] = {DB_UINT(claim->tenant_id), DB_UINT(claim->delivery_id), DB_TEXT(token)};
	return db_query(db, &webhook_outbox_statements[OUTBOX_STMT_LOAD], params, 3, webhook_outbox_read_delivery,
		delivery);
}

void webhook_outbox_delivery_free(struct webhook_delivery *delivery)
{
	free(delivery->body);
	free(delivery->headers_json);
	explicit_bzero(delivery->secret, sizeof(delivery->secret));
	if (delivery->auth_config != NULL) {
		explicit_bzero(delivery->auth_config, strlen(delivery->auth_config));
		free(delivery->auth_config);
	}
	delivery->body = NULL;
	delivery->headers_json = NULL;
	delivery->auth_config = NULL;
}

int webhook_outbox_release(struct db *db, const struct webhook_claim *claim, const char *token, int hold_s)
{
	struct db_param params[] = {DB_INT(hold_s), DB_UINT(claim->tenant_id), DB_UINT(claim->delivery_id),
		DB_TEXT(token)};
	return db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_RELEASE], params, 4, NULL, NULL);
}

int webhook_outbox_record(struct db *db, const struct webhook_delivery *delivery, const char *token,
	const struct webhook_outcome *outcome, int suspend_after_failures, const char **final_status)
{
	int64_t status_code = outcome->response_code;
	int64_t response_ms = outcome->response_ms;
	int timed = outcome->response_code != 0;
	char error[256];
	snprintf(error, sizeof(error), "%s", outcome->error);
	uint64_t changed = 0;
	enum db_result result = db_begin(db);
	if (outcome->delivered) {
		*final_status = "succeeded";
		struct db_param params[] = {DB_INT(status_code), DB_INT(response_ms), DB_UINT(delivery->tenant_id),
			DB_UINT(delivery->delivery_id), DB_TEXT(token)};
		if (result == DB_OK)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_SUCCEEDED], params, 5, &changed, NULL);
		struct db_param webhook_params[] = {DB_INT(response_ms), DB_UINT(delivery->tenant_id),
			DB_UINT(delivery->webhook_id)};
		if (result == DB_OK && changed > 0)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_WEBHOOK_SUCCEEDED], webhook_params, 3,
				NULL, NULL);
	} else if (delivery->attempts + 1 < delivery->max_attempts) {
		*final_status = "retry";
		enum webhook_backoff backoff =
			strcmp(delivery->backoff, "fixed") == 0 ? WEBHOOK_BACKOFF_FIXED : WEBHOOK_BACKOFF_EXPONENTIAL;
		int64_t delay_ms = webhook_retry_delay_ms(backoff, delivery->initial_delay_ms, delivery->attempts + 1);
		struct db_param params[] = {DB_INT(delay_ms * 1000), status_code ? DB_INT(status_code) : DB_NULL,
			DB_TEXT(error), timed ? DB_INT(response_ms) : DB_NULL, DB_UINT(delivery->tenant_id),
			DB_UINT(delivery->delivery_id), DB_TEXT(token)};
		if (result == DB_OK)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_RETRY], params, 7, &changed, NULL);
		struct db_param webhook_params[] = {DB_INT(timed), DB_INT(timed ? response_ms : 0),
			DB_UINT(delivery->tenant_id), DB_UINT(delivery->webhook_id)};
		if (result == DB_OK && changed > 0)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_WEBHOOK_ATTEMPT_FAILED], webhook_params, 4,
				NULL, NULL);
	} else {
		*final_status = "failed";
		struct db_param params[] = {status_code ? DB_INT(status_code) : DB_NULL, DB_TEXT(error),
			timed ? DB_INT(response_ms) : DB_NULL, DB_UINT(delivery->tenant_id), DB_UINT(delivery->delivery_id),
			DB_TEXT(token)};
		if (result == DB_OK)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_FAILED], params, 6, &changed, NULL);
		struct db_param webhook_params[] = {DB_INT(suspend_after_failures), DB_INT(timed),
			DB_INT(timed ? response_ms : 0), DB_UINT(delivery->tenant_id), DB_UINT(delivery->webhook_id)};
		if (result == DB_OK && changed > 0)
			result = db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_WEBHOOK_DELIVERY_FAILED], webhook_params,
				5, NULL, NULL);
	}
	if (result == DB_OK)
		result = db_commit(db);
	if (result != DB_OK)
		db_rollback(db);
	return result;
}

int webhook_outbox_purge(struct db *db, int retention_days, uint64_t *deleted)
{
	struct db_param params[] = {DB_INT(retention_days)};
	return db_exec(db, &webhook_outbox_statements[OUTBOX_STMT_PURGE], params, 1, deleted, NULL);
}

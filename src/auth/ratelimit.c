/* Rate counters: window maths, the counting statement and the headers. */
#include "auth/ratelimit.h"
#include "core/hex.h"
#include "db/db.h"
#include "http/response.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ratelimit_statement { RATELIMIT_STMT_HIT_ONE, RATELIMIT_STMT_HIT_TWO, RATELIMIT_STMT_PURGE, RATELIMIT_STMT__MAX };

/* The counting upserts are retry_safe: after a lost reply a retry may count
 * the request twice, which costs the client one request of its allowance;
 * refusing the request instead would cost it the request. */
static const struct db_statement_def ratelimit_statements[RATELIMIT_STMT__MAX] = {
	[RATELIMIT_STMT_HIT_ONE] = {.name = "ratelimit.hit_one",
		.sql = "INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) VALUES (?, ?, ?, 1) "
		"ON DUPLICATE KEY UPDATE hits = hits + 1 RETURNING tenant_id, bucket, hits",
		.tenant_bound = 1, .retry_safe = 1},
	[RATELIMIT_STMT_HIT_TWO] = {.name = "ratelimit.hit_two",
		.sql = "INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) VALUES (?, ?, ?, 1), (?, ?, ?, 1) "
		"ON DUPLICATE KEY UPDATE hits = hits + 1 RETURNING tenant_id, bucket, hits",
		.tenant_bound = 1, .retry_safe = 1},
	[RATELIMIT_STMT_PURGE] = {.name = "ratelimit.purge",
		.sql = "DELETE FROM rate_counters WHERE tenant_id = ? AND window_start < ? LIMIT 5000",
		.tenant_bound = 1,
		.retry_safe = 1},
};

const struct db_statement_def *ratelimit_statement_table(size_t *count)
{
	*count = RATELIMIT_STMT__MAX;
	return ratelimit_statements;
}

int64_t ratelimit_window_start(int64_t now_s, uint32_t window_s)
{
	return window_s ? now_s - now_s % window_s : now_s;
}

void ratelimit_evaluate(const struct ratelimit_bucket *buckets, const uint32_t *hits, size_t bucket_count,
	int64_t now_s, struct ratelimit_outcome *outcome)
{
	outcome->allowed = 1;
	outcome->limit = 0;
	outcome->remaining = UINT32_MAX;
	outcome->reset_epoch_s = now_s;
	outcome->retry_after_s = 0;
	for (size_t i = 0; i < bucket_count; i++) {
		uint32_t remaining = hits[i] >= buckets[i].limit ? 0 : buckets[i].limit - hits[i];
		int64_t reset = ratelimit_window_start(now_s, buckets[i].window_s) + buckets[i].window_s;
		if (hits[i] > buckets[i].limit) {
			uint32_t wait_s = (uint32_t)(reset - now_s);
			if (outcome->allowed || wait_s > outcome->retry_after_s)
				outcome->retry_after_s = wait_s;
			outcome->allowed = 0;
		}
		/* Headers describe the bucket closest to its limit. */
		if (remaining < outcome->remaining || outcome->limit == 0) {
			outcome->remaining = remaining;
			outcome->limit = buckets[i].limit;
			outcome->reset_epoch_s = reset;
		}
	}
	if (outcome->remaining == UINT32_MAX)
		outcome->remaining = 0;
}

struct ratelimit_rows {
	const struct ratelimit_bucket *buckets;
	size_t bucket_count;
	uint32_t *hits;
};

static int ratelimit_collect(void *callback_context, const struct db_row *row)
{
	struct ratelimit_rows *rows = callback_context;
	if (row->column_count != 3 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL)
		return 0;
	uint64_t tenant_id = strtoull(row->values[0], NULL, 10);
	for (size_t i = 0; i < rows->bucket_count; i++)
		if (rows->buckets[i].tenant_id == tenant_id && strcmp(rows->buckets[i].name, row->values[1]) == 0)
			rows->hits[i] = (uint32_t)strtoul(row->values[2], NULL, 10);
	return 0;
}

int ratelimit_hit(struct db *db, const struct ratelimit_bucket *buckets, size_t bucket_count, int64_t now_s,
	struct ratelimit_outcome *outcome)
{
	if (bucket_count < 1 || bucket_count > 2)
		return DB_ERROR;
	struct db_param params[6];
	for (size_t i = 0; i < bucket_count; i++) {
		params[3 * i] = DB_UINT(buckets[i].tenant_id);
		params[3 * i + 1] = DB_TEXT(buckets[i].name);
		params[3 * i + 2] = DB_INT(ratelimit_window_start(now_s, buckets[i].window_s));
	}
	uint32_t hits[2] = {0, 0};
	struct ratelimit_rows rows = {buckets, bucket_count, hits};
	const struct db_statement_def *statement =
		&ratelimit_statements[bucket_count == 1 ? RATELIMIT_STMT_HIT_ONE : RATELIMIT_STMT_HIT_TWO];
	enum db_result result = db_query(db, statement, params, 3 * bucket_count, ratelimit_collect, &rows);
	if (result != DB_OK)
		return result;
	ratelimit_evaluate(buckets, hits, bucket_count, now_s, outcome);
	return DB_OK;
}

void ratelimit_add_headers(struct response *response, const struct ratelimit_outcome *outcome, int64_t now_s)
{
	char value[32];
	snprintf(value, sizeof(value), "%u", outcome->limit);
	response_add_header(response, "X-RateLimit-Limit", value);
	snprintf(value, sizeof(value), "%u", outcome->remaining);
	response_add_header(response, "X-RateLimit-Remaining", value);
	snprintf(value, sizeof(value), "%lld", (long long)outcome->reset_epoch_s);
	response_add_header(response, "X-RateLimit-Reset", value);
	if (!outcome->allowed) {
		uint32_t retry_after = outcome->retry_after_s ? outcome->retry_after_s : 1;
		(void)now_s;
		snprintf(value, sizeof(value), "%u", retry_after);
		response_add_header(response, "Retry-After", value);
	}
}

int ratelimit_purge(struct db *db, uint64_t tenant_id, int64_t now_s, uint32_t max_age_s)
{
	struct db_param params[] = {DB_UINT(tenant_id), DB_INT(now_s - (int64_t)max_age_s)};
	return db_exec(db, &ratelimit_statements[RATELIMIT_STMT_PURGE], params, 2, NULL, NULL);
}

int ratelimit_bucket_hashed(char *out, size_t out_size, const char *prefix, const char *text)
{
	char digest[65];
	if (hex_sha256(text, strlen(text), digest) != 0)
		return -1;
	snprintf(out, out_size, "%s:%s", prefix, digest);
	return 0;
}

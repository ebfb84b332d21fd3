/* Rate counters: window maths, the statements on rate_counters (this file
 * is their one owner: exact counts, leases and purges all go through it)
 * and the headers. */
#include "auth/ratelimit.h"
#include "core/hex.h"
#include "db/db.h"
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ratelimit_statement {
	RATELIMIT_STMT_ADD_1,
	RATELIMIT_STMT_ADD_2,
	RATELIMIT_STMT_ADD_3,
	RATELIMIT_STMT_TAKE_BACK,
	RATELIMIT_STMT_PURGE,
	RATELIMIT_STMT_PEEK,
	RATELIMIT_STMT__MAX
};

#define RATELIMIT_ADD_ROW "(?, ?, ?, ?)"
#define RATELIMIT_ADD(rows)                                                                                       \
	"INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) VALUES " rows                          \
	" ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits) RETURNING tenant_id, bucket, window_start, hits"

/* The counting upserts are retry_safe: after a lost reply a retry may count
 * the request twice, which costs the client one request of its allowance;
 * refusing the request instead would cost it the request. Taking back is
 * not: twice would hand out what was used. */
static const struct db_statement_def ratelimit_statements[RATELIMIT_STMT__MAX] = {
	[RATELIMIT_STMT_ADD_1] = {.name = "ratelimit.add_1", .sql = RATELIMIT_ADD(RATELIMIT_ADD_ROW),
		.tenant_bound = 1, .retry_safe = 1},
	[RATELIMIT_STMT_ADD_2] = {.name = "ratelimit.add_2",
		.sql = RATELIMIT_ADD(RATELIMIT_ADD_ROW ", " RATELIMIT_ADD_ROW), .tenant_bound = 1, .retry_safe = 1},
	[RATELIMIT_STMT_ADD_3] = {.name = "ratelimit.add_3",
		.sql = RATELIMIT_ADD(RATELIMIT_ADD_ROW ", " RATELIMIT_ADD_ROW ", " RATELIMIT_ADD_ROW), .tenant_bound = 1,
		.retry_safe = 1},
	[RATELIMIT_STMT_TAKE_BACK] = {.name = "ratelimit.take_back",
		.sql = "UPDATE rate_counters SET hits = hits - LEAST(hits, ?) WHERE tenant_id = ? AND bucket = ? "
		"AND window_start = ?",
		.tenant_bound = 1},
	[RATELIMIT_STMT_PURGE] = {.name = "ratelimit.purge",
		.sql = "DELETE FROM rate_counters WHERE tenant_id = ? AND window_start < ? LIMIT 5000",
		.tenant_bound = 1,
		.retry_safe = 1},
	/* For buckets that count failures only: read before trying. */
	[RATELIMIT_STMT_PEEK] = {.name = "ratelimit.peek",
		.sql = "SELECT hits FROM rate_counters WHERE tenant_id = ? AND bucket = ? AND window_start = ?",
		.tenant_bound = 1},
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

static int ratelimit_read_count(void *callback_context, const struct db_row *row)
{
	if (row->column_count == 1 && row->values[0] != NULL)
		*(uint64_t *)callback_context = strtoull(row->values[0], NULL, 10);
	return 0;
}

struct ratelimit_add_rows {
	struct ratelimit_count *counts;
	size_t count;
};

static int ratelimit_add_collect(void *callback_context, const struct db_row *row)
{
	struct ratelimit_add_rows *rows = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL || row->values[1] == NULL || row->values[2] == NULL ||
		row->values[3] == NULL)
		return 0;
	uint64_t tenant_id = strtoull(row->values[0], NULL, 10);
	int64_t window_start = strtoll(row->values[2], NULL, 10);
	for (size_t i = 0; i < rows->count; i++) {
		struct ratelimit_count *count = &rows->counts[i];
		if (count->tenant_id == tenant_id && count->window_start == window_start &&
			strcmp(count->bucket, row->values[1]) == 0) {
			count->total = strtoull(row->values[3], NULL, 10);
			count->seen = 1;
		}
	}
	return 0;
}

int ratelimit_add(struct db *db, struct ratelimit_count *counts, size_t count)
{
	static const enum ratelimit_statement by_rows[] = {RATELIMIT_STMT_ADD_1, RATELIMIT_STMT_ADD_2,
		RATELIMIT_STMT_ADD_3};
	if (count < 1 || count > RATELIMIT_ADD_MAX)
		return DB_ERROR;
	struct db_param params[4 * RATELIMIT_ADD_MAX];
	for (size_t i = 0; i < count; i++) {
		params[4 * i] = DB_UINT(counts[i].tenant_id);
		params[4 * i + 1] = DB_TEXT(counts[i].bucket);
		params[4 * i + 2] = DB_INT(counts[i].window_start);
		params[4 * i + 3] = DB_UINT(counts[i].add);
		counts[i].total = 0;
		counts[i].seen = 0;
	}
	struct ratelimit_add_rows rows = {counts, count};
	enum db_result result =
		db_query(db, &ratelimit_statements[by_rows[count - 1]], params, 4 * count, ratelimit_add_collect, &rows);
	if (result != DB_OK)
		return result;
	for (size_t i = 0; i < count; i++)
		if (!counts[i].seen)
			return DB_ERROR; /* every row comes back: one that did not is a bug */
	return DB_OK;
}

int ratelimit_take_back(struct db *db, uint64_t tenant_id, const char *bucket, int64_t window_start, uint32_t amount)
{
	struct db_param params[] = {DB_UINT(amount), DB_UINT(tenant_id), DB_TEXT(bucket), DB_INT(window_start)};
	return db_exec(db, &ratelimit_statements[RATELIMIT_STMT_TAKE_BACK], params, 4, NULL, NULL);
}

int ratelimit_hit(struct db *db, const struct ratelimit_bucket *buckets, size_t bucket_count, int64_t now_s,
	struct ratelimit_outcome *outcome)
{
	if (bucket_count < 1 || bucket_count > 2)
		return DB_ERROR;
	struct ratelimit_count counts[2];
	for (size_t i = 0; i < bucket_count; i++)
		counts[i] = (struct ratelimit_count){.tenant_id = buckets[i].tenant_id, .bucket = buckets[i].name,
			.window_start = ratelimit_window_start(now_s, buckets[i].window_s), .add = 1};
	enum db_result result = ratelimit_add(db, counts, bucket_count);
	if (result != DB_OK)
		return result;
	uint32_t hits[2];
	for (size_t i = 0; i < bucket_count; i++)
		hits[i] = counts[i].total > UINT32_MAX ? UINT32_MAX : (uint32_t)counts[i].total;
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

int ratelimit_peek(struct db *db, const struct ratelimit_bucket *bucket, int64_t now_s,
	struct ratelimit_outcome *outcome)
{
	uint64_t hits = 0;
	struct db_param params[] = {DB_UINT(bucket->tenant_id), DB_TEXT(bucket->name),
		DB_INT(ratelimit_window_start(now_s, bucket->window_s))};
	int result = db_query(db, &ratelimit_statements[RATELIMIT_STMT_PEEK], params, 3, ratelimit_read_count, &hits);
	/* As if this attempt were counted: refused once the limit is reached. */
	uint32_t counted = hits >= UINT32_MAX ? UINT32_MAX : (uint32_t)hits + 1;
	ratelimit_evaluate(bucket, &counted, 1, now_s, outcome);
	return result;
}

/* Fixed-window rate limits counted in MariaDB, so every worker on every
 * node sees the same count. One INSERT ... ON DUPLICATE KEY UPDATE ...
 * RETURNING counts up to three buckets in a single round trip. Exact counts
 * here (one write per request); rate_lease.h takes units in advance. */
#ifndef INTUKA_AUTH_RATELIMIT_H
#define INTUKA_AUTH_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_statement_def;
struct response;

#define RATELIMIT_BUCKET_MAX 96

struct ratelimit_bucket {
	uint64_t tenant_id; /* 0 before a tenant is known */
	char name[RATELIMIT_BUCKET_MAX];
	uint32_t limit;
	uint32_t window_s;
};

struct ratelimit_outcome {
	int allowed;
	uint32_t limit;        /* of the tightest bucket */
	uint32_t remaining;
	int64_t reset_epoch_s; /* when the tightest bucket's window ends */
	uint32_t retry_after_s;
};

int64_t ratelimit_window_start(int64_t now_s, uint32_t window_s);
/* Combine per-bucket counts into one outcome (pure; exposed for tests). */
void ratelimit_evaluate(const struct ratelimit_bucket *buckets, const uint32_t *hits, size_t bucket_count,
	int64_t now_s, struct ratelimit_outcome *outcome);
/* One row of rate_counters to add to, and its total once added. */
struct ratelimit_count {
	uint64_t tenant_id;
	const char *bucket;
	int64_t window_start;
	uint32_t add;   /* 0 reads the total */
	uint64_t total; /* after the addition */
	int seen;
};

#define RATELIMIT_ADD_MAX 3

/* Add to 1..RATELIMIT_ADD_MAX rows in one round trip and read their totals
 * back. Returns a db_result. */
int ratelimit_add(struct db *db, struct ratelimit_count *counts, size_t count);
/* Subtract amount (never below 0): units handed back. Returns a db_result. */
int ratelimit_take_back(struct db *db, uint64_t tenant_id, const char *bucket, int64_t window_start, uint32_t amount);
/* Count one hit in each bucket (1 or 2), exactly, and evaluate. Returns a
 * db_result. For the rare, security-relevant limits (login, forgot). */
int ratelimit_hit(struct db *db, const struct ratelimit_bucket *buckets, size_t bucket_count, int64_t now_s,
	struct ratelimit_outcome *outcome);
/* For a bucket that counts only failures (operator key attempts): the
 * verdict the next attempt would get, without counting it; count a failure
 * with ratelimit_hit. Returns a db_result. */
int ratelimit_peek(struct db *db, const struct ratelimit_bucket *bucket, int64_t now_s,
	struct ratelimit_outcome *outcome);
/* X-RateLimit-* headers, and Retry-After when refused. */
void ratelimit_add_headers(struct response *response, const struct ratelimit_outcome *outcome, int64_t now_s);
const struct db_statement_def *ratelimit_statement_table(size_t *count);
/* Drop windows older than max_age_s for one tenant (cheap, by primary key prefix). */
int ratelimit_purge(struct db *db, uint64_t tenant_id, int64_t now_s, uint32_t max_age_s);
/* Bucket name "prefix:" + hex SHA-256 of text, so emails never sit in the
 * table; 0, or -1 when no digest could be made. */
int ratelimit_bucket_hashed(char *out, size_t out_size, const char *prefix, const char *text);

#endif

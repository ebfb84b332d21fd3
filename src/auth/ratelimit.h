/* Fixed-window rate limits counted in MariaDB, so every worker on every
 * node sees the same count. One INSERT ... ON DUPLICATE KEY UPDATE ...
 * RETURNING counts up to two buckets in a single round trip. */
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
/* Count one hit in each bucket (1 or 2) and evaluate. Returns a db_result. */
int ratelimit_hit(struct db *db, const struct ratelimit_bucket *buckets, size_t bucket_count, int64_t now_s,
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

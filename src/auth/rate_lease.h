/* Rate limits without a durable write per request: a worker takes units of
 * a bucket's allowance in advance (a lease: one counting statement adds L to
 * the shared row in rate_counters) and hands them to its next requests from
 * memory. The shared row always counts every unit leased, so across all
 * workers of all web nodes no window admits more than its limit. What a
 * worker leased but has not used yet is lost to the others until the window
 * ends or the worker hands it back (when it exits, or evicts the bucket): a
 * request may be refused although the limit was not quite reached. Leases
 * shrink as the allowance runs out, down to one unit (an exact count), so
 * that shortfall is at most a few units per worker near the limit.
 *
 * The rare, security-relevant limits (login, forgot password) do not lease:
 * they count exactly with ratelimit_hit. */
#ifndef INTUKA_AUTH_RATE_LEASE_H
#define INTUKA_AUTH_RATE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/ratelimit.h"

struct db;

/* The most units one lease takes, and the share of the remaining allowance
 * it may take (1/RATE_LEASE_SHARE): with W workers on N nodes, at most
 * W x N x RATE_LEASE_MAX units sit unused in leases. */
#define RATE_LEASE_MAX 32
#define RATE_LEASE_SHARE 16
/* Leases of one unit until this many in a row were each used up within a
 * second: then they double, up to the cap. A quiet bucket (a tenant's few
 * searches, a test) is counted exactly; a busy one needs few writes. */
#define RATE_LEASE_WARMUP 4
/* Buckets a worker keeps leases for; the least recently used goes first. */
#define RATE_LEASE_SLOTS 256

struct rate_lease_want {
	uint64_t tenant_id;
	const char *bucket;
	int64_t window_start; /* the rate_counters row */
	int64_t window_end;   /* units of this row are never used after it */
	uint32_t limit;
	int take; /* 1: this request uses one unit; 0: only read the count */
};

struct rate_lease_got {
	uint64_t count; /* units used in the window up to this request (an estimate: others' unused leases count) */
	int refused;    /* this bucket had no unit left */
};

/* One unit of every bucket that takes (all or none), from this worker's
 * leases, or by leasing more in one round trip. *admitted is 1 when every
 * bucket gave its unit; when one had none, the units others gave are put
 * back and *admitted is 0. Returns a db_result. */
int rate_lease_take(struct db *db, const struct rate_lease_want *wants, size_t want_count, int64_t now_s,
	struct rate_lease_got *got, int *admitted);
/* Hands back the units a request took (it was refused later): in memory. */
void rate_lease_put_back(const struct rate_lease_want *wants, size_t want_count);
/* Hands every unused unit of a window still open back to the shared rows
 * (a worker that exits). */
void rate_lease_release_all(struct db *db, int64_t now_s);

/* The same on a given table and counter: what the worker's functions above
 * do with its own table and the rows in MariaDB. Tests run several tables
 * (workers) against one counter in memory. */
struct rate_lease_table;
struct rate_lease_counter {
	int (*add)(void *context, struct ratelimit_count *counts, size_t count);
	int (*take_back)(void *context, uint64_t tenant_id, const char *bucket, int64_t window_start, uint32_t amount);
	void *context;
};
struct rate_lease_table *rate_lease_table_new(void);
void rate_lease_table_free(struct rate_lease_table *table);
int rate_lease_take_in(struct rate_lease_table *table, const struct rate_lease_counter *counter,
	const struct rate_lease_want *wants, size_t want_count, int64_t now_s, struct rate_lease_got *got, int *admitted);
void rate_lease_put_back_in(struct rate_lease_table *table, const struct rate_lease_want *wants, size_t want_count);
void rate_lease_release_all_in(struct rate_lease_table *table, const struct rate_lease_counter *counter, int64_t now_s);

/* The most units to lease given the limit and the row's last known total. */
uint32_t rate_lease_size(uint32_t limit, uint64_t known_total);
/* The next lease: one unit until the streak reaches RATE_LEASE_WARMUP, then
 * double the previous one, within rate_lease_size. */
uint32_t rate_lease_next_size(uint32_t limit, uint64_t known_total, uint32_t previous_size, uint32_t streak);
/* Of a lease of size units ending at total (the row's count after it),
 * how many lie within limit. */
uint32_t rate_lease_usable(uint32_t limit, uint64_t total, uint32_t size);

#endif

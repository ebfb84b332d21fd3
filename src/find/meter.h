/* Metering of find requests: the per-minute and per-hour counters of the
 * caller (an API key, or a user with a JWT) and the tenant's monthly counter
 * of the route's feature, all in rate_counters and taken from this worker's
 * leases (auth/rate_lease.h): most requests count without a round trip.
 * A monthly row is keyed by the first second of the next month, so the
 * periodic purge of old windows removes it once its month is over. */
#ifndef INTUKA_FIND_METER_H
#define INTUKA_FIND_METER_H

#include <stddef.h>
#include <stdint.h>

#include "auth/ratelimit.h"

struct db;

struct find_meter_request {
	uint64_t tenant_id;
	char caller[48];      /* "k<key_id>" or "u<user_id>" */
	uint32_t per_minute;
	uint32_t per_hour;
	const char *feature;  /* "search", "chat", "recommendations" */
	uint32_t allowance;   /* of that feature this month */
	int counts;           /* 1 when this request uses the allowance, 0 to only read it */
	int64_t now_s;
};

/* The units an admitted request took, so that it can hand them back
 * (find_meter_put_back) when it is run again from the start. */
#define FIND_METER_BUCKETS 3
struct find_meter_taken {
	int taken; /* 1 while the request holds its units */
	uint64_t tenant_id;
	char buckets[FIND_METER_BUCKETS][64];
	int64_t window_start[FIND_METER_BUCKETS];
	int64_t window_end[FIND_METER_BUCKETS];
	uint32_t limit[FIND_METER_BUCKETS];
	int take[FIND_METER_BUCKETS];
};

struct find_meter_outcome {
	struct ratelimit_outcome rate; /* the tighter of minute and hour */
	uint32_t remaining_per_minute;
	uint32_t remaining_per_hour;
	int64_t minute_reset_s;
	uint64_t quota_used; /* after this request, capped at the allowance when refused */
	int quota_exceeded;
	char quota_reset_date[11]; /* "YYYY-MM-DD" (UTC), first day of next month */
	struct find_meter_taken taken;
};

/* The rate_counters bucket of a feature's monthly count ("fq:search"). */
void find_meter_quota_bucket(const char *feature, char *out, size_t out_size);
/* The first second (UTC) of the month after now_s, and that date as text;
 * also the window_start of this month's quota rows. */
int64_t find_meter_next_month(int64_t now_s, char reset_date[11]);
/* Pure: the decision from the three counts (for tests and for find_meter_hit). */
void find_meter_evaluate(const struct find_meter_request *request, uint32_t minute_hits, uint32_t hour_hits,
	uint64_t quota_hits, struct find_meter_outcome *outcome);
/* Count and decide. A request refused for its rate or its quota uses none
 * of the allowance. Returns a db_result. */
int find_meter_hit(struct db *db, const struct find_meter_request *request, struct find_meter_outcome *outcome);
/* Hands back what an admitted request took (in this worker's leases). */
void find_meter_put_back(struct find_meter_taken *taken);

#endif

/* Per-caller rate counters and monthly quota, counted together. */
#include "find/meter.h"
#include "auth/rate_lease.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void find_meter_quota_bucket(const char *feature, char *out, size_t out_size)
{
	ratelimit_bucket_name(out, out_size, RATELIMIT_KIND_FIND_MONTH, feature);
}

int64_t find_meter_next_month(int64_t now_s, char reset_date[11])
{
	time_t now = (time_t)now_s;
	struct tm calendar;
	gmtime_r(&now, &calendar);
	struct tm next = {0};
	next.tm_year = calendar.tm_year + (calendar.tm_mon == 11);
	next.tm_mon = (calendar.tm_mon + 1) % 12;
	next.tm_mday = 1;
	char date[32];
	snprintf(date, sizeof(date), "%04d-%02d-01", next.tm_year + 1900, next.tm_mon + 1);
	memcpy(reset_date, date, 10);
	reset_date[10] = '\0';
	return (int64_t)timegm(&next);
}

void find_meter_evaluate(const struct find_meter_request *request, uint32_t minute_hits, uint32_t hour_hits,
	uint64_t quota_hits, struct find_meter_outcome *outcome)
{
	struct ratelimit_bucket buckets[2] = {
		{.tenant_id = request->tenant_id, .limit = request->per_minute, .window_s = 60},
		{.tenant_id = request->tenant_id, .limit = request->per_hour, .window_s = 3600},
	};
	uint32_t hits[2] = {minute_hits, hour_hits};
	ratelimit_evaluate(buckets, hits, 2, request->now_s, &outcome->rate);
	outcome->remaining_per_minute = minute_hits >= request->per_minute ? 0 : request->per_minute - minute_hits;
	outcome->remaining_per_hour = hour_hits >= request->per_hour ? 0 : request->per_hour - hour_hits;
	outcome->minute_reset_s = ratelimit_window_start(request->now_s, 60) + 60;
	find_meter_next_month(request->now_s, outcome->quota_reset_date);
	outcome->quota_exceeded = request->counts && quota_hits > request->allowance;
	outcome->quota_used = quota_hits > request->allowance ? request->allowance : quota_hits;
}

int find_meter_hit(struct db *db, const struct find_meter_request *request, struct find_meter_outcome *outcome)
{
	char minute_bucket[64], hour_bucket[64], quota_bucket[64], reset_date[11];
	/* Distinct names: a minute and an hour window can start at the same second. */
	ratelimit_bucket_name(minute_bucket, sizeof(minute_bucket), RATELIMIT_KIND_FIND_MINUTE, request->caller);
	ratelimit_bucket_name(hour_bucket, sizeof(hour_bucket), RATELIMIT_KIND_FIND_HOUR, request->caller);
	find_meter_quota_bucket(request->feature, quota_bucket, sizeof(quota_bucket));
	int64_t month_end_s = find_meter_next_month(request->now_s, reset_date);
	int64_t minute_start = ratelimit_window_start(request->now_s, 60);
	int64_t hour_start = ratelimit_window_start(request->now_s, 3600);
	/* The month's row is keyed by its end (see find_meter.h). */
	const struct rate_lease_want wants[FIND_METER_BUCKETS] = {
		{.tenant_id = request->tenant_id, .bucket = minute_bucket, .window_start = minute_start,
			.window_end = minute_start + 60, .limit = request->per_minute, .take = 1},
		{.tenant_id = request->tenant_id, .bucket = hour_bucket, .window_start = hour_start,
			.window_end = hour_start + 3600, .limit = request->per_hour, .take = 1},
		{.tenant_id = request->tenant_id, .bucket = quota_bucket, .window_start = month_end_s,
			.window_end = month_end_s, .limit = request->allowance, .take = request->counts},
	};
	struct rate_lease_got got[3];
	int admitted = 0;
	int result = rate_lease_take(db, wants, 3, request->now_s, got, &admitted);
	if (result != DB_OK)
		return result;
	/* A refused request takes no unit of any bucket (rate_lease_take puts
	 * them back), so refusals never use the allowance. */
	uint64_t quota = got[2].count;
	if (!admitted && request->counts && !got[2].refused && quota > 0)
		quota--; /* its unit went back */
	find_meter_evaluate(request, (uint32_t)(got[0].count > UINT32_MAX ? UINT32_MAX : got[0].count),
		(uint32_t)(got[1].count > UINT32_MAX ? UINT32_MAX : got[1].count), quota, outcome);
	if (!admitted && !outcome->rate.allowed)
		outcome->quota_exceeded = 0; /* the rate refused first: say that */
	struct find_meter_taken *taken = &outcome->taken;
	memset(taken, 0, sizeof(*taken));
	taken->taken = admitted;
	taken->tenant_id = request->tenant_id;
	for (size_t i = 0; i < FIND_METER_BUCKETS; i++) {
		snprintf(taken->buckets[i], sizeof(taken->buckets[i]), "%s", wants[i].bucket);
		taken->window_start[i] = wants[i].window_start;
		taken->window_end[i] = wants[i].window_end;
		taken->limit[i] = wants[i].limit;
		taken->take[i] = wants[i].take;
	}
	return DB_OK;
}

void find_meter_put_back(struct find_meter_taken *taken)
{
	if (!taken->taken)
		return;
	struct rate_lease_want wants[FIND_METER_BUCKETS];
	for (size_t i = 0; i < FIND_METER_BUCKETS; i++)
		wants[i] = (struct rate_lease_want){.tenant_id = taken->tenant_id, .bucket = taken->buckets[i],
			.window_start = taken->window_start[i], .window_end = taken->window_end[i], .limit = taken->limit[i],
			.take = taken->take[i]};
	rate_lease_put_back(wants, FIND_METER_BUCKETS);
	taken->taken = 0;
}

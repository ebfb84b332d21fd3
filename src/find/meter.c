/* Per-caller rate counters and monthly quota, counted together. */
#include "find/meter.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum find_meter_statement { FIND_METER_STMT_HIT, FIND_METER_STMT_GIVE_BACK, FIND_METER_STMT__MAX };

/* The counting upserts are retry_safe: after a lost reply a retry may count
 * the request twice, which costs the client one request of its allowance;
 * refusing the request instead would cost it the request. */
static const struct db_statement_def find_meter_statements[FIND_METER_STMT__MAX] = {
	[FIND_METER_STMT_HIT] = {.name = "find.meter_hit",
		.sql = "INSERT INTO rate_counters (tenant_id, bucket, window_start, hits) "
		"VALUES (?, ?, ?, 1), (?, ?, ?, 1), (?, ?, ?, ?) "
		"ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits) RETURNING tenant_id, bucket, hits",
		.tenant_bound = 1, .retry_safe = 1},
	[FIND_METER_STMT_GIVE_BACK] = {.name = "find.meter_give_back",
		.sql = "UPDATE rate_counters SET hits = hits - 1 WHERE tenant_id = ? AND bucket = ? AND window_start = ? "
		"AND hits > 0",
		.tenant_bound = 1},
};

const struct db_statement_def *find_meter_statement_table(size_t *count)
{
	*count = FIND_METER_STMT__MAX;
	return find_meter_statements;
}

void find_meter_quota_bucket(const char *feature, char *out, size_t out_size)
{
	snprintf(out, out_size, "fq:%s", feature);
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

struct find_meter_rows {
	const char *names[3];
	uint64_t hits[3];
};

static int find_meter_collect(void *callback_context, const struct db_row *row)
{
	struct find_meter_rows *rows = callback_context;
	if (row->column_count != 3 || row->values[1] == NULL || row->values[2] == NULL)
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(rows->names[i], row->values[1]) == 0)
			rows->hits[i] = strtoull(row->values[2], NULL, 10);
	return 0;
}

int find_meter_hit(struct db *db, const struct find_meter_request *request, struct find_meter_outcome *outcome)
{
	char minute_bucket[64], hour_bucket[64], quota_bucket[64], reset_date[11];
	/* Distinct names: a minute and an hour window can start at the same second. */
	snprintf(minute_bucket, sizeof(minute_bucket), "fm:%s", request->caller);
	snprintf(hour_bucket, sizeof(hour_bucket), "fh:%s", request->caller);
	find_meter_quota_bucket(request->feature, quota_bucket, sizeof(quota_bucket));
	int64_t month_end_s = find_meter_next_month(request->now_s, reset_date);
	struct db_param params[] = {
		DB_UINT(request->tenant_id), DB_TEXT(minute_bucket), DB_INT(ratelimit_window_start(request->now_s, 60)),
		DB_UINT(request->tenant_id), DB_TEXT(hour_bucket), DB_INT(ratelimit_window_start(request->now_s, 3600)),
		DB_UINT(request->tenant_id), DB_TEXT(quota_bucket), DB_INT(month_end_s), DB_INT(request->counts ? 1 : 0),
	};
	struct find_meter_rows rows = {{minute_bucket, hour_bucket, quota_bucket}, {0, 0, 0}};
	enum db_result result = db_query(db, &find_meter_statements[FIND_METER_STMT_HIT], params,
		sizeof(params) / sizeof(params[0]), find_meter_collect, &rows);
	if (result != DB_OK)
		return result;
	find_meter_evaluate(request, (uint32_t)rows.hits[0], (uint32_t)rows.hits[1], rows.hits[2], outcome);
	if (request->counts && (!outcome->rate.allowed || outcome->quota_exceeded)) {
		struct db_param give_back[] = {DB_UINT(request->tenant_id), DB_TEXT(quota_bucket), DB_INT(month_end_s)};
		result = db_exec(db, &find_meter_statements[FIND_METER_STMT_GIVE_BACK], give_back, 3, NULL, NULL);
		if (result != DB_OK)
			return result;
		if (outcome->quota_used > 0 && !outcome->quota_exceeded)
			outcome->quota_used--;
	}
	return DB_OK;
}

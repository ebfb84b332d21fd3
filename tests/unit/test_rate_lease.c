/* Rate leases: several workers (tables) take units of one shared counter
 * (in memory here, rate_counters in production). No window ever admits more
 * than its limit; small limits are counted exactly; large ones need a write
 * for only a few requests; units put back or released are there again. */
#include "unit_suites.h"
#include "auth/rate_lease.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

#define SHARED_ROWS 16

struct shared_row {
	uint64_t tenant_id;
	char bucket[64];
	int64_t window_start;
	uint64_t hits;
};

struct shared_counter {
	struct shared_row rows[SHARED_ROWS];
	size_t row_count;
	size_t add_calls;
};

static struct shared_row *shared_row_for(struct shared_counter *shared, uint64_t tenant_id, const char *bucket,
	int64_t window_start)
{
	for (size_t i = 0; i < shared->row_count; i++)
		if (shared->rows[i].tenant_id == tenant_id && shared->rows[i].window_start == window_start &&
			strcmp(shared->rows[i].bucket, bucket) == 0)
			return &shared->rows[i];
	if (shared->row_count == SHARED_ROWS)
		return NULL;
	struct shared_row *row = &shared->rows[shared->row_count++];
	memset(row, 0, sizeof(*row));
	row->tenant_id = tenant_id;
	snprintf(row->bucket, sizeof(row->bucket), "%s", bucket);
	row->window_start = window_start;
	return row;
}

static int shared_add(void *context, struct ratelimit_count *counts, size_t count)
{
	struct shared_counter *shared = context;
	shared->add_calls++;
	for (size_t i = 0; i < count; i++) {
		struct shared_row *row = shared_row_for(shared, counts[i].tenant_id, counts[i].bucket, counts[i].window_start);
		if (row == NULL)
			return DB_ERROR;
		row->hits += counts[i].add;
		counts[i].total = row->hits;
		counts[i].seen = 1;
	}
	return DB_OK;
}

static int shared_take_back(void *context, uint64_t tenant_id, const char *bucket, int64_t window_start, uint32_t amount)
{
	struct shared_row *row = shared_row_for(context, tenant_id, bucket, window_start);
	if (row == NULL)
		return DB_ERROR;
	row->hits -= amount < row->hits ? amount : row->hits;
	return DB_OK;
}

static struct rate_lease_want one_bucket(uint32_t limit, int64_t window_start)
{
	return (struct rate_lease_want){.tenant_id = 7, .bucket = "u:1", .window_start = window_start,
		.window_end = window_start + 60, .limit = limit, .take = 1};
}

static void lease_sizes_shrink_as_the_allowance_runs_out(void)
{
	CU_ASSERT_EQUAL(rate_lease_size(1000000, 0), RATE_LEASE_MAX);
	CU_ASSERT_EQUAL(rate_lease_size(200, 0), 200 / RATE_LEASE_SHARE);
	CU_ASSERT_EQUAL(rate_lease_size(200, 190), 1);
	CU_ASSERT_EQUAL(rate_lease_size(10, 0), 1);
	CU_ASSERT_EQUAL(rate_lease_size(10, 50), 1);
	CU_ASSERT_EQUAL(rate_lease_next_size(1000000, 5, 1, 0), 1);
	CU_ASSERT_EQUAL(rate_lease_next_size(1000000, 5, 1, RATE_LEASE_WARMUP - 1), 1);
	CU_ASSERT_EQUAL(rate_lease_next_size(1000000, 5, 1, RATE_LEASE_WARMUP), 2);
	CU_ASSERT_EQUAL(rate_lease_next_size(1000000, 50, 16, RATE_LEASE_WARMUP + 4), RATE_LEASE_MAX);
	CU_ASSERT_EQUAL(rate_lease_next_size(200, 150, 16, RATE_LEASE_WARMUP + 4), 3); /* (200 - 150) / 16 */
	CU_ASSERT_EQUAL(rate_lease_usable(10, 8, 4), 4);
	CU_ASSERT_EQUAL(rate_lease_usable(10, 12, 4), 2); /* 9 and 10 are in, 11 and 12 are not */
	CU_ASSERT_EQUAL(rate_lease_usable(10, 15, 4), 0);
	CU_ASSERT_EQUAL(rate_lease_usable(10, 10, 1), 1);
}

/* Requests spread over workers in a fixed, uneven order. */
static size_t run_workers(struct rate_lease_table **tables, size_t workers, struct shared_counter *shared,
	uint32_t limit, size_t attempts)
{
	const struct rate_lease_counter counter = {shared_add, shared_take_back, shared};
	size_t admitted_total = 0;
	uint32_t state = 12345;
	for (size_t i = 0; i < attempts; i++) {
		state = state * 1103515245u + 12345u;
		size_t worker = (state >> 16) % workers;
		struct rate_lease_want want = one_bucket(limit, 600);
		struct rate_lease_got got;
		int admitted = 0;
		CU_ASSERT_EQUAL_FATAL(rate_lease_take_in(tables[worker], &counter, &want, 1, 610, &got, &admitted), DB_OK);
		admitted_total += (size_t)admitted;
		if (admitted)
			CU_ASSERT_TRUE(got.count >= 1 && got.count <= limit);
	}
	return admitted_total;
}

static void no_window_admits_more_than_its_limit_across_workers(void)
{
	enum { WORKERS = 8 };
	static const uint32_t limits[] = {1, 10, 200, 1000, 5000};
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		struct rate_lease_table *tables[WORKERS];
		for (size_t w = 0; w < WORKERS; w++)
			tables[w] = rate_lease_table_new();
		struct shared_counter shared = {0};
		size_t admitted = run_workers(tables, WORKERS, &shared, limits[l], 3 * (size_t)limits[l] + 100);
		/* Never over; short by at most what the other workers hold unused near the end. */
		if (admitted > limits[l] || admitted + WORKERS * 2 < limits[l])
			fprintf(stderr, "limit %u: %zu admitted\n", limits[l], admitted);
		CU_ASSERT_TRUE(admitted <= limits[l]);
		CU_ASSERT_TRUE(admitted + WORKERS * 2 >= limits[l]);
		for (size_t w = 0; w < WORKERS; w++)
			rate_lease_table_free(tables[w]);
	}
}

static void small_limits_are_counted_exactly(void)
{
	enum { WORKERS = 4 };
	struct rate_lease_table *tables[WORKERS];
	for (size_t w = 0; w < WORKERS; w++)
		tables[w] = rate_lease_table_new();
	struct shared_counter shared = {0};
	CU_ASSERT_EQUAL(run_workers(tables, WORKERS, &shared, 10, 40), 10);
	/* One unit per lease: every admitted request was a write, as before
	 * leases; once a worker saw the limit reached it refuses from memory. */
	CU_ASSERT_TRUE(shared.add_calls >= 10 && shared.add_calls <= 40);
	for (size_t w = 0; w < WORKERS; w++)
		rate_lease_table_free(tables[w]);
}

static void large_limits_need_a_write_for_few_requests(void)
{
	enum { WORKERS = 4, ATTEMPTS = 4000 };
	struct rate_lease_table *tables[WORKERS];
	for (size_t w = 0; w < WORKERS; w++)
		tables[w] = rate_lease_table_new();
	struct shared_counter shared = {0};
	CU_ASSERT_EQUAL(run_workers(tables, WORKERS, &shared, 1000000, ATTEMPTS), ATTEMPTS);
	CU_ASSERT_TRUE(shared.add_calls <= ATTEMPTS / 16);
	/* The row counts what was leased: the admitted plus what workers hold. */
	CU_ASSERT_TRUE(shared.rows[0].hits >= ATTEMPTS && shared.rows[0].hits <= ATTEMPTS + WORKERS * RATE_LEASE_MAX);
	/* Released, the unused units go back: the row counts what was used. */
	const struct rate_lease_counter counter = {shared_add, shared_take_back, &shared};
	for (size_t w = 0; w < WORKERS; w++) {
		rate_lease_release_all_in(tables[w], &counter, 610);
		rate_lease_table_free(tables[w]);
	}
	CU_ASSERT_EQUAL(shared.rows[0].hits, ATTEMPTS);
}

static void a_refusal_by_one_bucket_takes_nothing_from_the_others(void)
{
	struct rate_lease_table *table = rate_lease_table_new();
	struct shared_counter shared = {0};
	const struct rate_lease_counter counter = {shared_add, shared_take_back, &shared};
	struct rate_lease_want wants[2] = {one_bucket(100, 600), one_bucket(1, 600)};
	wants[1].bucket = "t";
	struct rate_lease_got got[2];
	int admitted = 0;
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, wants, 2, 610, got, &admitted), DB_OK);
	CU_ASSERT_TRUE(admitted);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, wants, 2, 610, got, &admitted), DB_OK);
	CU_ASSERT_FALSE(admitted);
	CU_ASSERT_TRUE(got[1].refused && !got[0].refused);
	CU_ASSERT_TRUE(got[1].count > 1); /* over its limit: the headers say 0 remaining */
	/* The user bucket's unit went back: one used in all. */
	struct rate_lease_want user_only = one_bucket(100, 600);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &user_only, 1, 610, got, &admitted), DB_OK);
	CU_ASSERT_TRUE(admitted);
	CU_ASSERT_EQUAL(got[0].count, 2);
	rate_lease_table_free(table);
}

static void put_back_units_and_new_windows_are_there_again(void)
{
	struct rate_lease_table *table = rate_lease_table_new();
	struct shared_counter shared = {0};
	const struct rate_lease_counter counter = {shared_add, shared_take_back, &shared};
	struct rate_lease_want want = one_bucket(1, 600);
	struct rate_lease_got got;
	int admitted = 0;
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 610, &got, &admitted), DB_OK);
	CU_ASSERT_TRUE(admitted);
	rate_lease_put_back_in(table, &want, 1);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 611, &got, &admitted), DB_OK);
	CU_ASSERT_TRUE(admitted);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 612, &got, &admitted), DB_OK);
	CU_ASSERT_FALSE(admitted);
	struct rate_lease_want next_minute = one_bucket(1, 660);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &next_minute, 1, 661, &got, &admitted), DB_OK);
	CU_ASSERT_TRUE(admitted);
	CU_ASSERT_EQUAL(got.count, 1);
	rate_lease_table_free(table);
}

/* A tenant's few requests: the shared row says exactly how many were used. */
static void a_quiet_bucket_is_counted_exactly(void)
{
	struct rate_lease_table *table = rate_lease_table_new();
	struct shared_counter shared = {0};
	const struct rate_lease_counter counter = {shared_add, shared_take_back, &shared};
	struct rate_lease_want want = one_bucket(10000, 600);
	struct rate_lease_got got;
	int admitted = 0;
	for (int i = 0; i < RATE_LEASE_WARMUP; i++) {
		CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 610, &got, &admitted), DB_OK);
		CU_ASSERT_EQUAL(shared.rows[0].hits, (uint64_t)i + 1);
	}
	/* Spread out in time, no streak builds up either. */
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 620 + 2 * i, &got, &admitted), DB_OK);
		CU_ASSERT_EQUAL(shared.rows[0].hits, (uint64_t)RATE_LEASE_WARMUP + (uint64_t)i + 1);
	}
	rate_lease_table_free(table);
}

static void reading_takes_no_unit(void)
{
	struct rate_lease_table *table = rate_lease_table_new();
	struct shared_counter shared = {0};
	const struct rate_lease_counter counter = {shared_add, shared_take_back, &shared};
	struct rate_lease_want want = one_bucket(5, 600);
	want.take = 0;
	struct rate_lease_got got;
	int admitted = 0;
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 610, &got, &admitted), DB_OK);
		CU_ASSERT_TRUE(admitted);
		CU_ASSERT_EQUAL(got.count, 0);
	}
	/* Another worker's use shows on the next read: reads are never stale. */
	struct rate_lease_table *other = rate_lease_table_new();
	struct rate_lease_want taking = one_bucket(5, 600);
	CU_ASSERT_EQUAL(rate_lease_take_in(other, &counter, &taking, 1, 610, &got, &admitted), DB_OK);
	CU_ASSERT_EQUAL(rate_lease_take_in(table, &counter, &want, 1, 611, &got, &admitted), DB_OK);
	CU_ASSERT_EQUAL(got.count, 1);
	rate_lease_table_free(other);
	rate_lease_table_free(table);
}

int register_rate_lease_suite(void)
{
	static const struct unit_test tests[] = {
		{"lease_sizes_shrink_as_the_allowance_runs_out", lease_sizes_shrink_as_the_allowance_runs_out},
		{"no_window_admits_more_than_its_limit_across_workers", no_window_admits_more_than_its_limit_across_workers},
		{"small_limits_are_counted_exactly", small_limits_are_counted_exactly},
		{"large_limits_need_a_write_for_few_requests", large_limits_need_a_write_for_few_requests},
		{"a_refusal_by_one_bucket_takes_nothing_from_the_others",
			a_refusal_by_one_bucket_takes_nothing_from_the_others},
		{"put_back_units_and_new_windows_are_there_again", put_back_units_and_new_windows_are_there_again},
		{"a_quiet_bucket_is_counted_exactly", a_quiet_bucket_is_counted_exactly},
		{"reading_takes_no_unit", reading_takes_no_unit},
	};
	return UNIT_SUITE("rate_lease", tests);
}

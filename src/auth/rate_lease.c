/* See rate_lease.h. One table per worker process (requests run one at a
 * time in a worker, so nothing here is shared between threads). */
#include "auth/rate_lease.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rate_lease_slot {
	int in_use;
	uint64_t tenant_id;
	char bucket[RATELIMIT_BUCKET_MAX];
	int64_t window_start;
	int64_t window_end;
	int known;      /* total below was read in this window */
	uint64_t total; /* the row's count right after our last lease (or read) */
	uint32_t size;  /* units of that lease */
	uint32_t usable; /* of them, within the limit */
	uint32_t used;
	int64_t leased_at_s; /* when that lease was taken */
	uint32_t streak;     /* leases in a row each used up within a second of the last */
	uint64_t last_touch; /* for eviction: the least recently used goes */
};

struct rate_lease_table {
	struct rate_lease_slot slots[RATE_LEASE_SLOTS];
	uint64_t clock;
};

/* The worker's own table, and its counter: the shared rows in MariaDB. */
static struct rate_lease_table rate_lease_worker_table;

static int rate_lease_db_add(void *counter_context, struct ratelimit_count *counts, size_t count)
{
	return ratelimit_add(counter_context, counts, count);
}

static int rate_lease_db_take_back(void *counter_context, uint64_t tenant_id, const char *bucket, int64_t window_start,
	uint32_t amount)
{
	return ratelimit_take_back(counter_context, tenant_id, bucket, window_start, amount);
}

struct rate_lease_table *rate_lease_table_new(void)
{
	return xcalloc(1, sizeof(struct rate_lease_table));
}

void rate_lease_table_free(struct rate_lease_table *table)
{
	free(table);
}

uint32_t rate_lease_size(uint32_t limit, uint64_t known_total)
{
	if (known_total >= limit)
		return 1;
	uint64_t share = (limit - known_total) / RATE_LEASE_SHARE;
	if (share < 1)
		return 1;
	return share > RATE_LEASE_MAX ? RATE_LEASE_MAX : (uint32_t)share;
}

uint32_t rate_lease_next_size(uint32_t limit, uint64_t known_total, uint32_t previous_size, uint32_t streak)
{
	uint32_t cap = rate_lease_size(limit, known_total);
	if (streak < RATE_LEASE_WARMUP)
		return 1;
	uint32_t grown = previous_size >= RATE_LEASE_MAX / 2 ? RATE_LEASE_MAX : 2 * (previous_size ? previous_size : 1);
	return grown < cap ? grown : cap;
}

uint32_t rate_lease_usable(uint32_t limit, uint64_t total, uint32_t size)
{
	if (total <= limit)
		return size;
	uint64_t before = total >= size ? total - size : 0;
	return before >= limit ? 0 : (uint32_t)(limit - before);
}


/* Hands a slot's unused units of an open window back to the shared row. A
 * failure only leaves them counted until the window ends. */
static void rate_lease_hand_back(const struct rate_lease_counter *counter, const struct rate_lease_slot *slot,
	int64_t now_s)
{
	if (!slot->in_use || slot->window_end <= now_s || slot->used >= slot->usable)
		return;
	uint32_t unused = slot->usable - slot->used;
	if (counter->take_back(counter->context, slot->tenant_id, slot->bucket, slot->window_start, unused) != DB_OK)
		log_warn("rate lease: %u unused units of %s stay counted until their window ends", unused, slot->bucket);
}

static struct rate_lease_slot *rate_lease_find(struct rate_lease_table *table, uint64_t tenant_id, const char *bucket)
{
	for (size_t i = 0; i < RATE_LEASE_SLOTS; i++) {
		struct rate_lease_slot *slot = &table->slots[i];
		if (slot->in_use && slot->tenant_id == tenant_id && strcmp(slot->bucket, bucket) == 0)
			return slot;
	}
	return NULL;
}

/* The slot of a bucket for this window: found, reset for a new window, or
 * taken from the least recently used bucket (whose units go back first). */
static struct rate_lease_slot *rate_lease_slot_for(struct rate_lease_table *table,
	const struct rate_lease_counter *counter, const struct rate_lease_want *want, int64_t now_s)
{
	struct rate_lease_slot *slot = rate_lease_find(table, want->tenant_id, want->bucket);
	if (slot == NULL) {
		slot = &table->slots[0];
		for (size_t i = 0; i < RATE_LEASE_SLOTS && slot->in_use; i++)
			if (!table->slots[i].in_use || table->slots[i].last_touch < slot->last_touch)
				slot = &table->slots[i];
		rate_lease_hand_back(counter, slot, now_s);
		memset(slot, 0, sizeof(*slot));
		slot->in_use = 1;
		slot->tenant_id = want->tenant_id;
		snprintf(slot->bucket, sizeof(slot->bucket), "%s", want->bucket);
	}
	if (slot->window_start != want->window_start) {
		/* A new window: what the old one leased lapsed with it. */
		slot->window_start = want->window_start;
		slot->known = 0;
		slot->total = slot->size = slot->usable = slot->used = 0;
	}
	slot->window_end = want->window_end;
	slot->last_touch = ++table->clock;
	return slot;
}

static uint64_t rate_lease_estimate(const struct rate_lease_slot *slot)
{
	return slot->total - slot->size + slot->used;
}

int rate_lease_take_in(struct rate_lease_table *table, const struct rate_lease_counter *counter,
	const struct rate_lease_want *wants, size_t want_count, int64_t now_s, struct rate_lease_got *got, int *admitted)
{
	if (want_count > RATELIMIT_ADD_MAX)
		return DB_ERROR;
	struct rate_lease_slot *slots[RATELIMIT_ADD_MAX];
	struct ratelimit_count counts[RATELIMIT_ADD_MAX];
	size_t lease_index[RATELIMIT_ADD_MAX], lease_count = 0;
	for (size_t i = 0; i < want_count; i++) {
		struct rate_lease_slot *slot = slots[i] = rate_lease_slot_for(table, counter, &wants[i], now_s);
		/* A limit changed since the lease (a new plan): recount what is usable. */
		if (slot->size > 0)
			slot->usable = rate_lease_usable(wants[i].limit, slot->total, slot->size);
		/* Reading (a route that shows usage without using it) reads the row:
		 * what this worker last saw could be long out of date. */
		int needs_row = wants[i].take ? slot->used >= slot->usable && slot->usable == slot->size : 1;
		if (!needs_row)
			continue;
		uint32_t add = 0;
		if (wants[i].take) {
			/* Leases grow only while a bucket is busy here: a quiet one is
			 * counted one unit at a time, exactly. */
			slot->streak = slot->known && slot->size > 0 && now_s - slot->leased_at_s <= 1 ? slot->streak + 1 : 0;
			add = slot->known ? rate_lease_next_size(wants[i].limit, slot->total, slot->size, slot->streak) : 1;
			slot->leased_at_s = now_s;
		}
		counts[lease_count] = (struct ratelimit_count){.tenant_id = wants[i].tenant_id, .bucket = wants[i].bucket,
			.window_start = wants[i].window_start, .add = add};
		lease_index[lease_count++] = i;
	}
	if (lease_count > 0) {
		int result = counter->add(counter->context, counts, lease_count);
		if (result != DB_OK)
			return result;
		for (size_t k = 0; k < lease_count; k++) {
			struct rate_lease_slot *slot = slots[lease_index[k]];
			slot->known = 1;
			slot->total = counts[k].total;
			slot->size = counts[k].add;
			slot->usable = rate_lease_usable(wants[lease_index[k]].limit, slot->total, slot->size);
			slot->used = 0;
		}
	}
	*admitted = 1;
	for (size_t i = 0; i < want_count; i++) {
		got[i].refused = 0;
		if (wants[i].take) {
			if (slots[i]->used < slots[i]->usable)
				slots[i]->used++;
			else
				got[i].refused = 1;
		}
		got[i].count = got[i].refused ? (uint64_t)wants[i].limit + 1 : rate_lease_estimate(slots[i]);
		*admitted &= !got[i].refused;
	}
	if (!*admitted)
		for (size_t i = 0; i < want_count; i++)
			if (wants[i].take && !got[i].refused && slots[i]->used > 0)
				slots[i]->used--;
	return DB_OK;
}

void rate_lease_put_back_in(struct rate_lease_table *table, const struct rate_lease_want *wants, size_t want_count)
{
	for (size_t i = 0; i < want_count; i++) {
		if (!wants[i].take)
			continue;
		struct rate_lease_slot *slot = rate_lease_find(table, wants[i].tenant_id, wants[i].bucket);
		if (slot != NULL && slot->window_start == wants[i].window_start && slot->used > 0)
			slot->used--;
	}
}

void rate_lease_release_all_in(struct rate_lease_table *table, const struct rate_lease_counter *counter, int64_t now_s)
{
	for (size_t i = 0; i < RATE_LEASE_SLOTS; i++) {
		rate_lease_hand_back(counter, &table->slots[i], now_s);
		table->slots[i].in_use = 0;
	}
}

/* ---------------------------------------------------------- the worker's */

int rate_lease_take(struct db *db, const struct rate_lease_want *wants, size_t want_count, int64_t now_s,
	struct rate_lease_got *got, int *admitted)
{
	const struct rate_lease_counter counter = {rate_lease_db_add, rate_lease_db_take_back, db};
	return rate_lease_take_in(&rate_lease_worker_table, &counter, wants, want_count, now_s, got, admitted);
}

void rate_lease_put_back(const struct rate_lease_want *wants, size_t want_count)
{
	rate_lease_put_back_in(&rate_lease_worker_table, wants, want_count);
}

void rate_lease_release_all(struct db *db, int64_t now_s)
{
	const struct rate_lease_counter counter = {rate_lease_db_add, rate_lease_db_take_back, db};
	rate_lease_release_all_in(&rate_lease_worker_table, &counter, now_s);
}

/* Arena: allocations are aligned, survive until reset, and large requests work. */
#include "unit_suites.h"
#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

static void arena_allocations_are_aligned_and_distinct(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	char *first = arena_alloc(&arena, 3);
	char *second = arena_alloc(&arena, 5);
	CU_ASSERT_PTR_NOT_EQUAL(first, second);
	CU_ASSERT_EQUAL((uintptr_t)second % alignof(max_align_t), 0);
	memcpy(first, "ab", 3);
	memcpy(second, "cdef", 5);
	CU_ASSERT_STRING_EQUAL(first, "ab");
	CU_ASSERT_STRING_EQUAL(second, "cdef");
	arena_destroy(&arena);
}

static void arena_serves_blocks_larger_than_a_chunk(void)
{
	struct arena arena;
	arena_init(&arena, 256);
	char *big = arena_alloc(&arena, 10000);
	memset(big, 'x', 10000);
	char *small = arena_strdup(&arena, "after");
	CU_ASSERT_EQUAL(big[9999], 'x');
	CU_ASSERT_STRING_EQUAL(small, "after");
	arena_destroy(&arena);
}

static void arena_reset_reuses_the_first_chunk(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	char *before = arena_alloc(&arena, 16);
	for (int i = 0; i < 100; i++)
		arena_alloc(&arena, 100);
	arena_reset(&arena);
	char *after = arena_alloc(&arena, 16);
	CU_ASSERT_PTR_EQUAL(before, after);
	arena_destroy(&arena);
}

static void arena_strndup_copies_exactly_and_terminates(void)
{
	struct arena arena;
	arena_init(&arena, 64);
	char *copy = arena_strndup(&arena, "abcdef", 3);
	CU_ASSERT_STRING_EQUAL(copy, "abc");
	arena_destroy(&arena);
}

static const struct unit_test arena_tests[] = {
	{"arena_allocations_are_aligned_and_distinct", arena_allocations_are_aligned_and_distinct},
	{"arena_serves_blocks_larger_than_a_chunk", arena_serves_blocks_larger_than_a_chunk},
	{"arena_reset_reuses_the_first_chunk", arena_reset_reuses_the_first_chunk},
	{"arena_strndup_copies_exactly_and_terminates", arena_strndup_copies_exactly_and_terminates},
};

int register_arena_suite(void)
{
	return UNIT_SUITE("arena", arena_tests);
}

/* Search text to FULLTEXT boolean queries. */
#include "unit_suites.h"
#include "modules/find_fulltext.h"

#include <string.h>

static int query(const char *text, enum find_fulltext_mode mode, char *out, size_t out_size)
{
	return find_fulltext_query(text, strlen(text), mode, out, out_size);
}

static void every_word_is_required_first_and_any_word_after(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query("Wireless Headphones", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "+wireless +headphones");
	CU_ASSERT_EQUAL(query("Wireless Headphones", FIND_FULLTEXT_ANY_WORD, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "wireless headphones");
}

static void words_the_index_never_holds_are_left_out(void)
{
	char out[256];
	/* "the" and "for" are stopwords, "tv" and "4k" are below the minimum length. */
	CU_ASSERT_EQUAL(query("the best TV for 4k", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "+best");
	CU_ASSERT_EQUAL(query("tv", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(query("", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 0);
}

static void operators_in_the_text_are_never_passed_on(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query("-kettle +\"steel\" (lamp*) ~mug @3 <drill>", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 5);
	CU_ASSERT_STRING_EQUAL(out, "+kettle +steel +lamp +mug +drill");
	CU_ASSERT_EQUAL(query("LG-G915", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "+g915");
}

static void repeated_words_count_once_and_utf8_stays_whole(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query("lamp LAMP Lamp", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "+lamp");
	CU_ASSERT_EQUAL(query("crème brûlée", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "+crème +brûlée");
}

static void a_small_buffer_is_refused(void)
{
	char out[8];
	CU_ASSERT_EQUAL(query("wireless headphones", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(find_fulltext_query("lamp", 4, FIND_FULLTEXT_ALL_WORDS, out, 0), -1);
}

static const struct unit_test find_fulltext_tests[] = {
	{"every_word_is_required_first_and_any_word_after", every_word_is_required_first_and_any_word_after},
	{"words_the_index_never_holds_are_left_out", words_the_index_never_holds_are_left_out},
	{"operators_in_the_text_are_never_passed_on", operators_in_the_text_are_never_passed_on},
	{"repeated_words_count_once_and_utf8_stays_whole", repeated_words_count_once_and_utf8_stays_whole},
	{"a_small_buffer_is_refused", a_small_buffer_is_refused},
};

int register_find_fulltext_suite(void)
{
	return UNIT_SUITE("find_fulltext", find_fulltext_tests);
}

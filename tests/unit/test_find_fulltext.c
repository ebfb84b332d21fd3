/* Search text to tenant-scoped FULLTEXT tokens, for indexing and queries. */
#include "unit_suites.h"
#include "modules/find_fulltext.h"

#include <stdlib.h>
#include <string.h>

static int query(uint64_t tenant_id, const char *text, enum find_fulltext_mode mode, char *out, size_t out_size)
{
	return find_fulltext_query(tenant_id, text, strlen(text), mode, out, out_size);
}

static void every_word_is_required_first_and_any_word_after(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query(7, "Wireless Headphones", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "+t7xwireless +t7xheadphones");
	CU_ASSERT_EQUAL(query(7, "Wireless Headphones", FIND_FULLTEXT_ANY_WORD, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "t7xwireless t7xheadphones");
}

static void tokens_of_two_tenants_never_meet(void)
{
	char a[64], b[64];
	CU_ASSERT_EQUAL(query(12, "3xlamp", FIND_FULLTEXT_ANY_WORD, a, sizeof(a)), 1);
	CU_ASSERT_EQUAL(query(123, "lamp", FIND_FULLTEXT_ANY_WORD, b, sizeof(b)), 1);
	/* The first x after the digits ends the tenant id: no collision. */
	CU_ASSERT_STRING_EQUAL(a, "t12x3xlamp");
	CU_ASSERT_STRING_EQUAL(b, "t123xlamp");
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void stopwords_and_single_characters_are_left_out_but_short_words_stay(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query(1, "the best TV for a 4k room", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 4);
	CU_ASSERT_STRING_EQUAL(out, "+t1xbest +t1xtv +t1x4k +t1xroom");
	CU_ASSERT_EQUAL(query(1, "a I the", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(query(1, "", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 0);
}

static void operators_in_the_text_are_never_passed_on(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query(2, "-kettle +\"steel\" (lamp*) ~mug @3 <drill>", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 5);
	CU_ASSERT_STRING_EQUAL(out, "+t2xkettle +t2xsteel +t2xlamp +t2xmug +t2xdrill");
	CU_ASSERT_EQUAL(query(2, "LG-G915", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "+t2xlg +t2xg915");
}

static void repeated_words_count_once_in_queries_and_utf8_stays_whole(void)
{
	char out[256];
	CU_ASSERT_EQUAL(query(3, "lamp LAMP Lamp", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "+t3xlamp");
	CU_ASSERT_EQUAL(query(3, "crème brûlée", FIND_FULLTEXT_ALL_WORDS, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out, "+t3xcrème +t3xbrûlée");
	char small[8];
	CU_ASSERT_EQUAL(query(3, "wireless headphones", FIND_FULLTEXT_ALL_WORDS, small, sizeof(small)), -1);
	CU_ASSERT_EQUAL(find_fulltext_query(3, "lamp", 4, FIND_FULLTEXT_ALL_WORDS, small, 0), -1);
}

static void indexed_words_use_the_same_rules_and_keep_repeats(void)
{
	const char *texts[] = {"Wireless Headphones", NULL, "The lamp, the LAMP & a TV", ""};
	char *words = find_fulltext_index_words(9, texts, 4);
	CU_ASSERT_STRING_EQUAL(words, "t9xwireless t9xheadphones t9xlamp t9xlamp t9xtv");
	free(words);
	const char *none[] = {"a . ,"};
	words = find_fulltext_index_words(9, none, 1);
	CU_ASSERT_STRING_EQUAL(words, "");
	free(words);
	/* A word longer than any token may be is cut on a character boundary. */
	char long_word[200];
	memset(long_word, 'a', 59);
	strcpy(long_word + 59, "é and more");
	const char *cut[] = {long_word};
	words = find_fulltext_index_words(9, cut, 1);
	CU_ASSERT_EQUAL(strncmp(words, "t9x", 3), 0);
	CU_ASSERT_EQUAL(strcspn(words, " "), 3 + 59); /* "é" did not fit whole */
	CU_ASSERT_STRING_EQUAL(words + 3 + 59, " t9xand t9xmore"); /* "and" is not an InnoDB stopword */
	free(words);
}

static const struct unit_test find_fulltext_tests[] = {
	{"every_word_is_required_first_and_any_word_after", every_word_is_required_first_and_any_word_after},
	{"tokens_of_two_tenants_never_meet", tokens_of_two_tenants_never_meet},
	{"stopwords_and_single_characters_are_left_out_but_short_words_stay",
		stopwords_and_single_characters_are_left_out_but_short_words_stay},
	{"operators_in_the_text_are_never_passed_on", operators_in_the_text_are_never_passed_on},
	{"repeated_words_count_once_in_queries_and_utf8_stays_whole",
		repeated_words_count_once_in_queries_and_utf8_stays_whole},
	{"indexed_words_use_the_same_rules_and_keep_repeats", indexed_words_use_the_same_rules_and_keep_repeats},
};

int register_find_fulltext_suite(void)
{
	return UNIT_SUITE("find_fulltext", find_fulltext_tests);
}

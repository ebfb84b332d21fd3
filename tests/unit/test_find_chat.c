/* Find conversation logic without a database: the chat answer (prompt
 * modes, intro, text chunks), thread ids, the handoff rule, prompt
 * documents, chat filters and CSV quoting. */
#include "unit_suites.h"
#include "modules/find_answer.h"
#include "modules/find_conversation.h"

#include <stdlib.h>
#include <string.h>

static void compose(const char *message, int has_prompt, const char *canned, const char *mode, size_t products,
	size_t posts, struct find_answer *answer)
{
	struct find_answer_input input = {.message = message, .has_prompt = has_prompt, .canned_response = canned,
		.override_mode = mode, .product_count = products, .post_count = posts};
	find_answer_compose(&input, answer);
}

static void override_prompt_answers_with_its_canned_response_alone(void)
{
	struct find_answer answer;
	compose("what is your return policy", 1, "Returns are free within 30 days.", "override", 3, 2, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_CANNED);
	CU_ASSERT_STRING_EQUAL(answer.intro, "Returns are free within 30 days.");
	CU_ASSERT_FALSE(answer.show_products);
	CU_ASSERT_FALSE(answer.show_posts);
	find_answer_release(&answer);
	/* No mode given counts as override. */
	compose("returns", 1, "Free returns.", "", 1, 0, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_CANNED);
	CU_ASSERT_FALSE(answer.show_products);
	find_answer_release(&answer);
}

static void fallback_prompt_answers_only_when_nothing_matched(void)
{
	struct find_answer answer;
	compose("lantern", 1, "Ask us anything.", "fallback", 2, 0, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_MATCHES);
	CU_ASSERT_TRUE(answer.show_products);
	CU_ASSERT_FALSE(answer.show_posts);
	CU_ASSERT_STRING_EQUAL(answer.intro, "Here are some products that match \"lantern\":");
	find_answer_release(&answer);
	compose("lantern", 1, "Ask us anything.", "fallback", 0, 0, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_CANNED);
	CU_ASSERT_STRING_EQUAL(answer.intro, "Ask us anything.");
	find_answer_release(&answer);
	/* A prompt without a canned response never replaces the matches. */
	compose("lantern", 1, "", "override", 1, 1, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_MATCHES);
	CU_ASSERT_STRING_EQUAL(answer.intro, "Here are some products and articles that match \"lantern\":");
	find_answer_release(&answer);
}

static void intro_names_what_was_found_or_admits_nothing(void)
{
	struct find_answer answer;
	compose("  how to clean a tent?\n", 0, NULL, NULL, 0, 2, &answer);
	CU_ASSERT_STRING_EQUAL(answer.intro, "Here are some articles that match \"how to clean a tent\":");
	CU_ASSERT_TRUE(answer.show_posts);
	find_answer_release(&answer);
	compose("unicorn saddle", 0, NULL, NULL, 0, 0, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_NOTHING);
	CU_ASSERT_PTR_NOT_NULL(strstr(answer.intro, "I couldn't find anything matching \"unicorn saddle\""));
	find_answer_release(&answer);
	/* Long messages are quoted shortened, never cut inside a character. */
	char long_message[200];
	memset(long_message, 'a', 79);
	memcpy(long_message + 79, "\xc3\xa9", 2); /* é straddles the 80-byte cut */
	strcpy(long_message + 81, " and more words after it");
	compose(long_message, 0, NULL, NULL, 1, 0, &answer);
	CU_ASSERT_PTR_NOT_NULL(strstr(answer.intro, "aaa...\":"));
	CU_ASSERT_PTR_NULL(strstr(answer.intro, "\xc3..."));
	find_answer_release(&answer);
}

static void handoff_answer_shows_nothing_else(void)
{
	struct find_answer_input input = {.message = "talk to a human", .handoff = 1, .has_prompt = 1,
		.canned_response = "x", .product_count = 3};
	struct find_answer answer;
	find_answer_compose(&input, &answer);
	CU_ASSERT_EQUAL(answer.source, FIND_ANSWER_HANDOFF);
	CU_ASSERT_FALSE(answer.show_products);
	CU_ASSERT_PTR_NOT_NULL(strstr(answer.intro, "member of our team"));
	find_answer_release(&answer);
}

static void prompt_matches_need_half_of_its_significant_words(void)
{
	CU_ASSERT_TRUE(find_answer_prompt_matches("What is your return policy?", "Return policy"));
	CU_ASSERT_TRUE(find_answer_prompt_matches("do you accept returns", "What is the return policy?"));
	CU_ASSERT_TRUE(find_answer_prompt_matches("shipping to Canada", "Do you ship internationally?"));
	CU_ASSERT_FALSE(find_answer_prompt_matches("Do you have a camping lantern?", "What is your return policy?"));
	CU_ASSERT_FALSE(find_answer_prompt_matches("policy", "return policy for damaged lanterns"));
	CU_ASSERT_FALSE(find_answer_prompt_matches("anything", "the and you"));
	CU_ASSERT_EQUAL(find_answer_mode_of("fallback"), FIND_ANSWER_FALLBACK);
	CU_ASSERT_EQUAL(find_answer_mode_of("override"), FIND_ANSWER_OVERRIDE);
	CU_ASSERT_EQUAL(find_answer_mode_of(NULL), FIND_ANSWER_OVERRIDE);
}

static void text_chunks_are_word_groups_that_join_back_to_the_text(void)
{
	const char *text = "Here are some products that match \"camping lantern\":";
	char joined[128] = "";
	size_t chunks = 0;
	const char *expected[] = {"Here are some ", "products that match ", "\"camping lantern\":"};
	for (size_t start = 0, end; text[start]; start = end, chunks++) {
		end = find_answer_chunk_end(text, start, 3);
		CU_ASSERT_TRUE_FATAL(end > start);
		if (chunks < 3)
			CU_ASSERT_EQUAL(strncmp(text + start, expected[chunks], end - start), 0);
		strncat(joined, text + start, end - start);
	}
	CU_ASSERT_EQUAL(chunks, 3);
	CU_ASSERT_STRING_EQUAL(joined, text);
	CU_ASSERT_EQUAL(find_answer_chunk_end("  two  words  ", 0, 1), 7);
	CU_ASSERT_EQUAL(find_answer_chunk_end("end", 3, 3), 3);
}

static void thread_ids_are_short_safe_tokens(void)
{
	CU_ASSERT_TRUE(find_thread_id_valid("th_abc-DEF_123"));
	char sixty_five[66];
	memset(sixty_five, 'x', 65);
	sixty_five[64] = '\0';
	CU_ASSERT_TRUE(find_thread_id_valid(sixty_five)); /* 64 */
	sixty_five[64] = 'y';
	sixty_five[65] = '\0';
	CU_ASSERT_FALSE(find_thread_id_valid(sixty_five)); /* 65 */
	CU_ASSERT_FALSE(find_thread_id_valid(""));
	CU_ASSERT_FALSE(find_thread_id_valid(NULL));
	CU_ASSERT_FALSE(find_thread_id_valid("a b"));
	CU_ASSERT_FALSE(find_thread_id_valid("../x"));
	CU_ASSERT_FALSE(find_thread_id_valid("th\xc3\xa9"));
	char generated[FIND_THREAD_ID_MAX + 1], other[FIND_THREAD_ID_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(find_thread_id_generate(generated, sizeof(generated)), 0);
	CU_ASSERT_EQUAL_FATAL(find_thread_id_generate(other, sizeof(other)), 0);
	CU_ASSERT_TRUE(find_thread_id_valid(generated));
	CU_ASSERT_EQUAL(strlen(generated), 27);
	CU_ASSERT_STRING_NOT_EQUAL(generated, other);
	CU_ASSERT_EQUAL(find_thread_id_generate(generated, 10), -1);
}

static void handoff_rule_needs_a_way_to_reach_a_person(void)
{
	CU_ASSERT_TRUE(find_conversation_is_handoff("I want to talk to a human"));
	CU_ASSERT_TRUE(find_conversation_is_handoff("Can I SPEAK   TO an agent please?"));
	CU_ASSERT_TRUE(find_conversation_is_handoff("connect me with customer service staff"));
	CU_ASSERT_TRUE(find_conversation_is_handoff("Human!"));
	CU_ASSERT_FALSE(find_conversation_is_handoff("Do you sell human-size tents?"));
	CU_ASSERT_FALSE(find_conversation_is_handoff("talk to me about lanterns"));
	CU_ASSERT_FALSE(find_conversation_is_handoff("what is the agent discount"));
}

static void prompt_documents_are_checked_field_by_field(void)
{
	char field[64], problem[160];
	struct find_prompt_fields fields;
	json_object *good = json_tokener_parse("{\"id\":42,\"prompt\":\"Return policy\",\"override_mode\":\"fallback\","
					       "\"tags\":[\"returns\",\"policy\"],\"active_to\":\"2030-01-31T10:00:00Z\","
					       "\"priority\":5,\"custom\":{\"kept\":true}}");
	CU_ASSERT_EQUAL_FATAL(find_prompt_parse(good, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_EQUAL(fields.id, "42");
	CU_ASSERT_STRING_EQUAL(fields.status, "active");
	CU_ASSERT_STRING_EQUAL(fields.tags_text, "returns policy");
	CU_ASSERT_STRING_EQUAL(fields.active_to, "2030-01-31 10:00:00.000000");
	CU_ASSERT_STRING_EQUAL(fields.active_from, "");
	CU_ASSERT_EQUAL(fields.priority, 5);
	find_prompt_release(&fields);
	json_object_put(good);

	/* The SDK's Prompt has an optional id: one is made for a prompt without. */
	json_object *without_id = json_tokener_parse("{\"prompt\":\"x\"}");
	CU_ASSERT_EQUAL_FATAL(find_prompt_parse(without_id, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_TRUE(fields.id_generated);
	CU_ASSERT_EQUAL(strlen(fields.id), 27);
	CU_ASSERT_EQUAL(strncmp(fields.id, "pr_", 3), 0);
	CU_ASSERT_EQUAL(strspn(fields.id + 3, "0123456789abcdef"), 24);
	char first_id[sizeof(fields.id)];
	snprintf(first_id, sizeof(first_id), "%s", fields.id);
	find_prompt_release(&fields);
	CU_ASSERT_EQUAL_FATAL(find_prompt_parse(without_id, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(fields.id, first_id); /* a new one each time */
	find_prompt_release(&fields);
	json_object_put(without_id);
	json_object *null_id = json_tokener_parse("{\"id\":null,\"prompt\":\"x\"}");
	CU_ASSERT_EQUAL(find_prompt_parse(null_id, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_TRUE(fields.id_generated);
	find_prompt_release(&fields);
	json_object_put(null_id);

	const char *bad[][2] = {
		{"{\"id\":true,\"prompt\":\"x\"}", "id"},
		{"{\"id\":\"a\"}", "prompt"},
		{"{\"id\":\"a\",\"prompt\":\"x\",\"override_mode\":\"always\"}", "override_mode"},
		{"{\"id\":\"a\",\"prompt\":\"x\",\"active_from\":\"2030-02-30\"}", "active_from"},
		{"{\"id\":\"a\",\"prompt\":\"x\",\"tags\":\"returns\"}", "tags"},
		{"{\"id\":\"a\",\"prompt\":\"x\",\"priority\":\"high\"}", "priority"},
		{"{\"id\":\"\",\"prompt\":\"x\"}", "id"},
		/* No URL reaches "/prompts/.." or "/prompts/.": fetch and curl drop the segment. */
		{"{\"id\":\"..\",\"prompt\":\"x\"}", "id"},
		{"{\"id\":\".\",\"prompt\":\"x\"}", "id"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *entity = json_tokener_parse(bad[i][0]);
		CU_ASSERT_EQUAL(find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)), -1);
		CU_ASSERT_STRING_EQUAL(field, bad[i][1]);
		json_object_put(entity);
	}
}

static void chat_filters_accept_the_documented_shapes_and_refuse_the_rest(void)
{
	char problem[200];
	struct find_filter filter;
	json_object *value = json_tokener_parse("{\"categories\":[\"Lighting\",\"Camping\"],\"brands\":\"Acme\","
						"\"price\":{\"min\":5,\"max\":20.5},\"onSale\":true,\"stockStatus\":\"instock\"}");
	CU_ASSERT_EQUAL_FATAL(find_filter_parse(value, 1, &filter, problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_EQUAL(find_filter_terms_json(&filter, FIND_FILTER_CATEGORIES), "[\"Lighting\",\"Camping\"]");
	CU_ASSERT_STRING_EQUAL(find_filter_terms_json(&filter, FIND_FILTER_BRANDS), "[\"Acme\"]");
	CU_ASSERT_PTR_NULL(find_filter_terms_json(&filter, FIND_FILTER_TAGS));
	CU_ASSERT_TRUE(filter.has_price_min && filter.has_price_max);
	CU_ASSERT_DOUBLE_EQUAL(filter.price_max, 20.5, 1e-9);
	CU_ASSERT_EQUAL(filter.on_sale, 1);
	CU_ASSERT_STRING_EQUAL(filter.stock_status, "instock");
	find_filter_release(&filter);
	json_object_put(value);

	CU_ASSERT_EQUAL(find_filter_parse(NULL, 1, &filter, problem, sizeof(problem)), 0);
	CU_ASSERT_EQUAL(filter.on_sale, -1);
	CU_ASSERT_FALSE(filter.has_price_min);

	/* The names product search and recommendations use are taken too. */
	value = json_tokener_parse("{\"min_price\":5,\"max_price\":9,\"on_sale\":false,\"stock_status\":\"instock\"}");
	CU_ASSERT_EQUAL_FATAL(find_filter_parse(value, 1, &filter, problem, sizeof(problem)), 0);
	CU_ASSERT_TRUE(filter.has_price_min && filter.has_price_max);
	CU_ASSERT_DOUBLE_EQUAL(filter.price_min, 5.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(filter.price_max, 9.0, 1e-9);
	CU_ASSERT_EQUAL(filter.on_sale, 0);
	find_filter_release(&filter);
	json_object_put(value);

	const char *bad_products[] = {"{\"colour\":\"red\"}", "{\"priceMin\":-1}", "{\"priceMin\":30,\"priceMax\":10}",
		"{\"categories\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]}", "{\"tags\":[\"\"]}",
		"{\"onSale\":\"yes\"}", "[\"categories\"]"};
	for (size_t i = 0; i < sizeof(bad_products) / sizeof(bad_products[0]); i++) {
		value = json_tokener_parse(bad_products[i]);
		CU_ASSERT_EQUAL(find_filter_parse(value, 1, &filter, problem, sizeof(problem)), -1);
		json_object_put(value);
	}
	/* Posts have no brands, prices or stock. */
	value = json_tokener_parse("{\"brands\":[\"Acme\"]}");
	CU_ASSERT_EQUAL(find_filter_parse(value, 0, &filter, problem, sizeof(problem)), -1);
	json_object_put(value);
	value = json_tokener_parse("{\"tags\":\"guides\"}");
	CU_ASSERT_EQUAL(find_filter_parse(value, 0, &filter, problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_EQUAL(find_filter_terms_json(&filter, FIND_FILTER_TAGS), "[\"guides\"]");
	find_filter_release(&filter);
	json_object_put(value);
}

static void csv_fields_are_quoted_only_when_needed_and_formulas_defused(void)
{
	struct find_text csv;
	find_text_init(&csv, 1024);
	const char *values[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " padded", "=SUM(A1)", "", NULL};
	for (size_t i = 0; i < 8; i++) {
		if (i)
			find_text_append(&csv, ",", 1);
		CU_ASSERT_EQUAL(find_csv_field(&csv, values[i]), 0);
	}
	CU_ASSERT_STRING_EQUAL(csv.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",'=SUM(A1),,");
	find_text_release(&csv);

	find_text_init(&csv, 8);
	CU_ASSERT_EQUAL(find_csv_field(&csv, "12345678"), 0);
	CU_ASSERT_EQUAL(find_csv_field(&csv, "9"), -1); /* the cap holds */
	CU_ASSERT_TRUE(csv.overflowed);
	CU_ASSERT_EQUAL(csv.length, 8);
	find_text_release(&csv);
}

/* A prompt's window: a date alone covers the whole day; any RFC 3339 offset
 * is taken and stored in UTC. */
static void prompt_windows_take_whole_days_and_any_offset(void)
{
	struct find_prompt_fields fields;
	char field[64], problem[128];
	json_object *entity = json_tokener_parse("{\"id\":\"w\",\"prompt\":\"x\",\"active_from\":\"2030-01-31\","
						 "\"active_to\":\"2030-01-31\"}");
	CU_ASSERT_EQUAL_FATAL(find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_EQUAL(fields.active_from, "2030-01-31 00:00:00.000000");
	CU_ASSERT_STRING_EQUAL(fields.active_to, "2030-02-01 00:00:00.000000");
	find_prompt_release(&fields);
	json_object_put(entity);
	entity = json_tokener_parse("{\"id\":\"w\",\"prompt\":\"x\",\"active_from\":\"2030-01-31T08:15:30+02:00\"}");
	CU_ASSERT_EQUAL_FATAL(find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)), 0);
	CU_ASSERT_STRING_EQUAL(fields.active_from, "2030-01-31 06:15:30.000000");
	find_prompt_release(&fields);
	json_object_put(entity);
	entity = json_tokener_parse("{\"id\":\"w\",\"prompt\":\"x\",\"active_to\":\"2030-01-31T25:00:00Z\"}");
	CU_ASSERT_EQUAL(find_prompt_parse(entity, &fields, field, sizeof(field), problem, sizeof(problem)), -1);
	CU_ASSERT_STRING_EQUAL(field, "active_to");
	json_object_put(entity);
}

static const struct unit_test find_chat_tests[] = {
	{"override_prompt_answers_with_its_canned_response_alone", override_prompt_answers_with_its_canned_response_alone},
	{"fallback_prompt_answers_only_when_nothing_matched", fallback_prompt_answers_only_when_nothing_matched},
	{"intro_names_what_was_found_or_admits_nothing", intro_names_what_was_found_or_admits_nothing},
	{"handoff_answer_shows_nothing_else", handoff_answer_shows_nothing_else},
	{"prompt_matches_need_half_of_its_significant_words", prompt_matches_need_half_of_its_significant_words},
	{"text_chunks_are_word_groups_that_join_back_to_the_text", text_chunks_are_word_groups_that_join_back_to_the_text},
	{"thread_ids_are_short_safe_tokens", thread_ids_are_short_safe_tokens},
	{"handoff_rule_needs_a_way_to_reach_a_person", handoff_rule_needs_a_way_to_reach_a_person},
	{"prompt_documents_are_checked_field_by_field", prompt_documents_are_checked_field_by_field},
	{"chat_filters_accept_the_documented_shapes_and_refuse_the_rest",
		chat_filters_accept_the_documented_shapes_and_refuse_the_rest},
	{"csv_fields_are_quoted_only_when_needed_and_formulas_defused",
		csv_fields_are_quoted_only_when_needed_and_formulas_defused},
	{"prompt_windows_take_whole_days_and_any_offset", prompt_windows_take_whole_days_and_any_offset},
};

int register_find_chat_suite(void)
{
	return UNIT_SUITE("find_chat", find_chat_tests);
}

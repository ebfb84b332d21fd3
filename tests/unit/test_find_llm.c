/* Chat with a language model, without one: the server-sent event parser,
 * the completion stream (text deltas, tool calls in fragments, usage,
 * error events), the tools' argument validation, the query constraints
 * (price, stock, sale) and the card citations (invented ids dropped). */
#include "unit_suites.h"
#include "find/llm_client.h"
#include "find/llm_sse.h"
#include "modules/find_chat_model.h"

#include <stdlib.h>
#include <string.h>

struct events {
	char seen[8][256];
	int count;
};

static int collect_event(void *user, const char *data, size_t length)
{
	struct events *events = user;
	if (events->count < 8)
		snprintf(events->seen[events->count++], 256, "%.*s", (int)length, data);
	return 0;
}

static void sse_events_survive_any_cut_and_line_ending(void)
{
	static const char stream[] = ": comment\r\ndata: one\r\n\r\nevent: x\ndata: two\ndata: lines\n\ndata:three\r\r";
	/* fed whole, then byte by byte: the same events */
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct llm_sse *sse = malloc(sizeof(*sse));
		llm_sse_init(sse);
		struct events events = {0};
		size_t length = strlen(stream);
		if (bytewise) {
			for (size_t i = 0; i < length; i++)
				CU_ASSERT_EQUAL(llm_sse_feed(sse, stream + i, 1, collect_event, &events), 0);
		} else {
			CU_ASSERT_EQUAL(llm_sse_feed(sse, stream, length, collect_event, &events), 0);
		}
		CU_ASSERT_EQUAL(events.count, 3);
		CU_ASSERT_STRING_EQUAL(events.seen[0], "one");
		CU_ASSERT_STRING_EQUAL(events.seen[1], "two\nlines");
		CU_ASSERT_STRING_EQUAL(events.seen[2], "three");
		free(sse);
	}
}

static void sse_refuses_a_line_over_its_cap(void)
{
	struct llm_sse *sse = malloc(sizeof(*sse));
	llm_sse_init(sse);
	struct events events = {0};
	char *long_line = malloc(LLM_SSE_LINE_MAX + 10);
	memset(long_line, 'a', LLM_SSE_LINE_MAX + 9);
	long_line[LLM_SSE_LINE_MAX + 9] = '\0';
	CU_ASSERT_EQUAL(llm_sse_feed(sse, long_line, strlen(long_line), collect_event, &events), -1);
	CU_ASSERT_EQUAL(llm_sse_feed(sse, "\n\n", 2, collect_event, &events), -1); /* and stays failed */
	CU_ASSERT_EQUAL(events.count, 0);
	free(long_line);
	free(sse);
}

struct deltas {
	char text[256];
};

static int collect_text(void *user, const char *text, size_t length)
{
	struct deltas *deltas = user;
	strncat(deltas->text, text, length);
	strcat(deltas->text, "|");
	return 0;
}

static void feed(struct llm_completion *completion, const char *data)
{
	llm_completion_event(completion, data, strlen(data));
}

static void completion_gathers_deltas_tool_calls_and_usage(void)
{
	struct llm_completion *completion = malloc(sizeof(*completion));
	struct deltas deltas = {{0}};
	llm_completion_init(completion, collect_text, &deltas);
	feed(completion, "{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}");
	feed(completion, "{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}");
	feed(completion, "not json");
	feed(completion, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":"
			 "\"search_products\",\"arguments\":\"{\\\"te\"}}]}}]}");
	feed(completion, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"xt\\\":1}\"}}]},"
			 "\"finish_reason\":\"tool_calls\"}]}");
	feed(completion, "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7}}");
	feed(completion, "[DONE]");
	CU_ASSERT_STRING_EQUAL(deltas.text, "Hel|lo|");
	CU_ASSERT_STRING_EQUAL(completion->text, "Hello");
	CU_ASSERT_EQUAL(completion->call_count, 1);
	CU_ASSERT_STRING_EQUAL(completion->calls[0].id, "c1");
	CU_ASSERT_STRING_EQUAL(completion->calls[0].name, "search_products");
	CU_ASSERT_STRING_EQUAL(completion->calls[0].arguments, "{\"text\":1}");
	CU_ASSERT_STRING_EQUAL(completion->finish_reason, "tool_calls");
	CU_ASSERT_EQUAL(completion->prompt_tokens, 12);
	CU_ASSERT_EQUAL(completion->completion_tokens, 7);
	CU_ASSERT_TRUE(completion->done);
	/* an error event is kept; tool calls past the cap are refused */
	llm_completion_init(completion, NULL, NULL);
	feed(completion, "{\"error\":{\"message\":\"rate limited\"}}");
	CU_ASSERT_STRING_EQUAL(completion->error, "rate limited");
	feed(completion, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":9,\"function\":{\"name\":\"x\"}}]}}]}");
	CU_ASSERT_EQUAL(completion->call_count, 0);
	CU_ASSERT_TRUE(completion->too_many_calls);
	free(completion);
}

static void tool_arguments_are_held_to_the_schema(void)
{
	struct find_chat_tool_query query;
	char problem[200];
	CU_ASSERT_EQUAL(find_chat_tool_parse("search_products",
		"{\"text\":\"trail shoes\",\"min_price\":20,\"max_price\":120.5,\"categories\":[\"Shoes\"],"
		"\"brands\":[\"Acme\"],\"in_stock\":true,\"on_sale\":true}", &query, problem, sizeof(problem)), 0);
	CU_ASSERT_EQUAL(query.tool, FIND_CHAT_TOOL_PRODUCTS);
	CU_ASSERT_STRING_EQUAL(query.text, "trail shoes");
	CU_ASSERT_TRUE(query.filter.has_price_min && query.filter.price_min == 20);
	CU_ASSERT_TRUE(query.filter.has_price_max && query.filter.price_max == 120.5);
	CU_ASSERT_STRING_EQUAL(query.filter.stock_status, "instock");
	CU_ASSERT_EQUAL(query.filter.on_sale, 1);
	CU_ASSERT_PTR_NOT_NULL(find_filter_terms_json(&query.filter, FIND_FILTER_BRANDS));
	find_filter_release(&query.filter);
	/* refusals name the parameter */
	static const char *const refused[][3] = {
		{"search_products", "{\"colour\":\"red\"}", "colour"},
		{"search_products", "{\"max_price\":\"cheap\"}", "max_price"},
		{"search_products", "{\"max_price\":-1}", "max_price"},
		{"search_products", "{\"min_price\":90,\"max_price\":10}", "min_price"},
		{"search_products", "{\"categories\":\"Shoes\"}", "categories"},
		{"search_products", "{\"in_stock\":\"yes\"}", "in_stock"},
		{"search_posts", "{\"brands\":[\"Acme\"]}", "brands"},
		{"search_products", "[1,2]", "arguments"},
		{"delete_everything", "{}", "tool"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		problem[0] = '\0';
		CU_ASSERT_EQUAL(find_chat_tool_parse(refused[i][0], refused[i][1], &query, problem, sizeof(problem)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(problem, refused[i][2]));
	}
	char long_text[300];
	memset(long_text, 'a', sizeof(long_text));
	snprintf(long_text, sizeof(long_text), "{\"text\":\"%0250d\"}", 0);
	CU_ASSERT_EQUAL(find_chat_tool_parse("search_posts", long_text, &query, problem, sizeof(problem)), -1);
	CU_ASSERT_EQUAL(find_chat_tool_parse("search_posts", "", &query, problem, sizeof(problem)), 0);
	CU_ASSERT_EQUAL(query.tool, FIND_CHAT_TOOL_POSTS);
	json_object *tools = find_chat_tools_json();
	CU_ASSERT_EQUAL(json_object_array_length(tools), 2);
	json_object_put(tools);
}

static void empty_filter(struct find_filter *filter)
{
	memset(filter, 0, sizeof(*filter));
	filter->on_sale = -1;
}

static void query_constraints_become_filters(void)
{
	struct find_filter filter;
	char text[256];
	empty_filter(&filter);
	CU_ASSERT_EQUAL(find_chat_query_constraints(
		"I need shoes for running on trails in the rain, under 120 dollars", &filter, text, sizeof(text)), 1);
	CU_ASSERT_TRUE(filter.has_price_max && filter.price_max == 120);
	CU_ASSERT_FALSE(filter.has_price_min);
	CU_ASSERT_PTR_NULL(strstr(text, "120"));
	CU_ASSERT_PTR_NULL(strstr(text, "dollars"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "trails in the rain"));

	empty_filter(&filter);
	CU_ASSERT_EQUAL(find_chat_query_constraints("tents between 50 and 80, in stock and on sale", &filter, text,
		sizeof(text)), 4);
	CU_ASSERT_TRUE(filter.price_min == 50 && filter.price_max == 80);
	CU_ASSERT_STRING_EQUAL(filter.stock_status, "instock");
	CU_ASSERT_EQUAL(filter.on_sale, 1);
	CU_ASSERT_PTR_NULL(strstr(text, "stock"));

	static const struct {
		const char *message;
		int has_min, has_max;
		double min, max;
	} cases[] = {
		{"lamps below $45.50", 0, 1, 0, 45.5},
		{"a jacket less than 200 euros", 0, 1, 0, 200},
		{"boots over 100", 1, 0, 100, 0},
		{"at least 30 dollars", 1, 0, 30, 0},
		{"bags $20-$40", 1, 1, 20, 40},
		{"from 10 to 20 USD", 1, 1, 10, 20},
		{"no more than 60", 0, 1, 0, 60},
		{"under the bed storage", 0, 0, 0, 0}, /* no number: not a bound */
		{"between 80 and 50", 0, 0, 0, 0},     /* backwards: not a range */
		{"size 42 shoes", 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		empty_filter(&filter);
		find_chat_query_constraints(cases[i].message, &filter, text, sizeof(text));
		CU_ASSERT_EQUAL(filter.has_price_min, cases[i].has_min);
		CU_ASSERT_EQUAL(filter.has_price_max, cases[i].has_max);
		if (cases[i].has_min) {
			CU_ASSERT_DOUBLE_EQUAL(filter.price_min, cases[i].min, 0.001);
		}
		if (cases[i].has_max) {
			CU_ASSERT_DOUBLE_EQUAL(filter.price_max, cases[i].max, 0.001);
		}
	}
	/* the client's own filter wins */
	empty_filter(&filter);
	filter.has_price_max = 1, filter.price_max = 500;
	CU_ASSERT_EQUAL(find_chat_query_constraints("under 120", &filter, text, sizeof(text)), 0);
	CU_ASSERT_DOUBLE_EQUAL(filter.price_max, 500, 0.001);
}

static size_t feed_all(struct find_chat_cites *cites, const char *const *pieces, char *out, size_t out_size)
{
	size_t written = 0;
	char piece_out[512];
	for (size_t i = 0; pieces[i] != NULL; i++) {
		size_t length = find_chat_cites_feed(cites, pieces[i], strlen(pieces[i]), piece_out, sizeof(piece_out));
		memcpy(out + written, piece_out, length);
		written += length;
	}
	written += find_chat_cites_finish(cites, out + written, out_size - written);
	out[written] = '\0';
	return written;
}

static void citations_leave_the_text_and_invented_ids_are_dropped(void)
{
	struct find_chat_cites cites;
	find_chat_cites_init(&cites);
	static const char *const pieces[] = {"Try [[product:p-1]] or [[pro", "duct:invented-9]]; see [[post:g", "uide]] [x] [[a",
		"]] [[product:p-1]].", NULL};
	char out[512];
	feed_all(&cites, pieces, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "Try  or ; see  [x] [[a]] .");
	CU_ASSERT_EQUAL(json_object_array_length(cites.products), 2); /* p-1 once, invented-9 */
	CU_ASSERT_EQUAL(json_object_array_length(cites.posts), 1);

	json_object *returned_ids = json_tokener_parse("[\"p-1\",\"p-2\"]");
	json_object *documents = json_tokener_parse("[{\"id\":\"p-1\"},{\"id\":\"p-2\"}]");
	size_t dropped = 0;
	json_object *cards = find_chat_cards_select(cites.products, returned_ids, documents, 3, &dropped);
	CU_ASSERT_EQUAL(json_object_array_length(cards), 1);
	CU_ASSERT_EQUAL(dropped, 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(json_object_array_get_idx(cards, 0), "id")),
		"p-1");
	json_object_put(cards);
	/* nothing cited: the first returned ones */
	cards = find_chat_cards_select(NULL, returned_ids, documents, 1, &dropped);
	CU_ASSERT_EQUAL(json_object_array_length(cards), 1);
	CU_ASSERT_EQUAL(dropped, 0);
	json_object_put(cards);
	json_object_put(returned_ids);
	json_object_put(documents);
	find_chat_cites_release(&cites);

	/* an unfinished marker at the end is text */
	find_chat_cites_init(&cites);
	static const char *const unfinished[] = {"end [[product:p-", NULL};
	feed_all(&cites, unfinished, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "end [[product:p-");
	CU_ASSERT_EQUAL(json_object_array_length(cites.products), 0);
	find_chat_cites_release(&cites);
}

/* No network needed: literal addresses are refused before any connection,
 * and port 9 on loopback (discard) refuses connections. */
static enum llm_call_result call_once(const char *base_url, int tenant_set, int allow_private_targets)
{
	struct llm_endpoint endpoint = {.timeout_ms = 2000, .stall_ms = 1000, .tenant_set = tenant_set,
		.allow_private_targets = allow_private_targets};
	snprintf(endpoint.base_url, sizeof(endpoint.base_url), "%s", base_url);
	snprintf(endpoint.model, sizeof(endpoint.model), "m");
	struct llm_completion *completion = malloc(sizeof(*completion));
	llm_completion_init(completion, NULL, NULL);
	char why[300];
	enum llm_call_result result = llm_chat_stream(&endpoint, "{}", completion, why, sizeof(why));
	free(completion);
	return result;
}

static void tenant_endpoints_are_held_to_the_address_rule_and_the_operators_are_not(void)
{
	/* a tenant's URL on loopback: refused unless private targets are allowed */
	CU_ASSERT_EQUAL(call_once("http://127.0.0.1:9/v1", 1, 0), LLM_CALL_REFUSED);
	CU_ASSERT_EQUAL(call_once("http://[::1]:9/v1", 1, 0), LLM_CALL_REFUSED);
	CU_ASSERT_EQUAL(call_once("http://10.1.2.3:9/v1", 1, 0), LLM_CALL_REFUSED);
	CU_ASSERT_NOT_EQUAL(call_once("http://127.0.0.1:9/v1", 1, 1), LLM_CALL_REFUSED);
	/* the metadata service stays out of reach whatever is allowed */
	CU_ASSERT_EQUAL(call_once("http://169.254.169.254/v1", 1, 1), LLM_CALL_REFUSED);
	CU_ASSERT_EQUAL(call_once("http://user:pw@example.com/v1", 1, 0), LLM_CALL_REFUSED);
	/* the operator's own URL (a local Ollama) is tried: it fails to connect, it is not refused */
	CU_ASSERT_EQUAL(call_once("http://127.0.0.1:9/v1", 0, 0), LLM_CALL_FAILED);
}

static const struct unit_test find_llm_tests[] = {
	{"tenant_endpoints_are_held_to_the_address_rule_and_the_operators_are_not",
		tenant_endpoints_are_held_to_the_address_rule_and_the_operators_are_not},
	{"sse_events_survive_any_cut_and_line_ending", sse_events_survive_any_cut_and_line_ending},
	{"sse_refuses_a_line_over_its_cap", sse_refuses_a_line_over_its_cap},
	{"completion_gathers_deltas_tool_calls_and_usage", completion_gathers_deltas_tool_calls_and_usage},
	{"tool_arguments_are_held_to_the_schema", tool_arguments_are_held_to_the_schema},
	{"query_constraints_become_filters", query_constraints_become_filters},
	{"citations_leave_the_text_and_invented_ids_are_dropped", citations_leave_the_text_and_invented_ids_are_dropped},
};

int register_find_llm_suite(void)
{
	return UNIT_SUITE("find_llm", find_llm_tests);
}

/*
 * Find API query parameters over real HTTP: every list and search route
 * takes the parameters it declares and refuses the rest by name; objects
 * (filters) arrive as JSON text or as filters[member]=value pairs, and a
 * stringified object ("[object Object]") is refused, never read as "no
 * filter"; the SDK's list parameters (listIds, feedback.search, prompts.list,
 * webhooks.list) narrow what they say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"

enum { TOKEN_MAX = 4097 };

static char tenant[64], token[TOKEN_MAX];
static const char password[] = "find-queries-password-1";
static const struct find_headers shop = { .workspace = "query-shop" };

/* The call's status is expected; returns the reply (to free) or false. */
static bool call_expect(const char *method, const char *path, const char *body, long status,
						struct find_reply *reply)
{
	if (!find_call(method, path, body, token, &shop, reply))
		return false;
	if (!ITEST_CHECK(reply->status == status, "%s %s: expected %ld, got %ld: %s", method, path, status, reply->status,
					 reply->body ? json_object_to_json_string(reply->body) : "no JSON body")) {
		find_reply_free(reply);
		return false;
	}
	return true;
}

static void setup_call(const char *method, const char *path, const char *body, long status)
{
	struct find_reply reply;
	if (call_expect(method, path, body, status, &reply))
		find_reply_free(&reply);
}

static bool reply_names_detail(const struct find_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	size_t count = details && json_object_is_type(details, json_type_array) ? json_object_array_length(details) : 0;
	for (size_t i = 0; i < count; i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name != NULL && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

/* A 400 VALIDATION_ERROR naming field. */
static void expect_refused(const char *method, const char *path, const char *field)
{
	struct find_reply reply;
	if (!call_expect(method, path, NULL, 400, &reply))
		return;
	ITEST_CHECK(strcmp(find_error_code(&reply), "VALIDATION_ERROR") == 0, "%s: code %s", path, find_error_code(&reply));
	ITEST_CHECK(reply_names_detail(&reply, field), "%s: details should name %s: %s", path, field,
				json_object_to_json_string(reply.body));
	find_reply_free(&reply);
}

/* The number at data.<member> of a 200 answer, or -1. */
static int64_t data_number(const char *path, const char *member)
{
	struct find_reply reply;
	int64_t value = -1;
	char dotted[64];
	snprintf(dotted, sizeof dotted, "data.%s", member);
	if (call_expect("GET", path, NULL, 200, &reply)) {
		ITEST_CHECK(json_path_int64(reply.body, dotted, &value), "%s: %s should be an integer", path, dotted);
		find_reply_free(&reply);
	}
	return value;
}

/* The ids (or the "id" members) in data.<member>, joined with commas. */
static void data_ids(const char *path, const char *member, char *out, size_t out_size)
{
	struct find_reply reply;
	char dotted[64];
	snprintf(dotted, sizeof dotted, "data.%s", member);
	out[0] = '\0';
	if (!call_expect("GET", path, NULL, 200, &reply))
		return;
	json_object *array = json_path_get(reply.body, dotted);
	size_t used = 0;
	for (size_t i = 0; array && json_object_is_type(array, json_type_array) && i < json_object_array_length(array); i++) {
		json_object *item = json_object_array_get_idx(array, i);
		const char *text = json_object_is_type(item, json_type_string) ? json_object_get_string(item)
																		: json_path_string(item, "id");
		used += (size_t)snprintf(out + used, used < out_size ? out_size - used : 0, "%s%s", used ? "," : "",
								 text ? text : "?");
	}
	ITEST_CHECK(array != NULL, "%s: %s should be an array", path, dotted);
	find_reply_free(&reply);
}

static int find_queries_suite_init(void)
{
	if (!find_make_tenant_admin("fqq", "Query Co", password, tenant, sizeof tenant, token))
		return 1;
	return 0;
}

static void unknown_parameters_are_refused_on_every_list_and_search_route(void)
{
	static const char *const paths[] = {
		"/products/ids?bogus=1", "/posts/ids?bogus=1", "/taxonomies/ids?categories=x", "/feedback?bogus=1",
		"/feedback/analytics?bogus=1", "/analytics/feedback?bogus=1", "/analytics/search?bogus=1",
		"/analytics/chat?topN=3", "/prompts?bogus=1", "/webhooks?bogus=1", "/webhooks/events?bogus=1",
		"/provision/keys?bogus=1",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const char *name_start = strchr(paths[i], '?') + 1;
		char field[32];
		snprintf(field, sizeof field, "%.*s", (int)strcspn(name_start, "="), name_start);
		expect_refused("GET", paths[i], field);
	}
	/* POST routes take no query at all. */
	struct find_reply reply;
	if (call_expect("POST", "/products/search?limit=5", "{\"text\":\"\"}", 400, &reply)) {
		ITEST_CHECK(reply_names_detail(&reply, "limit"), "search: the stray limit parameter is named");
		find_reply_free(&reply);
	}
}

static void product_ids_narrow_by_categories_tags_and_status(void)
{
	setup_call("POST", "/products/bulk",
			   "{\"entities\":[{\"id\":\"q-1\",\"name\":\"Lamp\",\"categories\":[\"Lights\"],\"tags\":[\"warm\"],"
			   "\"status\":\"publish\"},{\"id\":\"q-2\",\"name\":\"Desk\",\"categories\":[\"Furniture\"],"
			   "\"status\":\"draft\"},{\"id\":\"q-3\",\"name\":\"Bulb\",\"categories\":[\"Lights\",\"Spares\"],"
			   "\"tags\":[\"cold\"],\"status\":\"publish\"}]}",
			   200);
	char ids[256];
	data_ids("/products/ids?categories=Lights", "ids", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "q-1,q-3") == 0, "categories=Lights: got %s", ids);
	ITEST_CHECK(data_number("/products/ids?categories=Lights", "total_count") == 2, "categories=Lights: total 2");
	data_ids("/products/ids?categories=Furniture,Spares", "ids", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "q-2,q-3") == 0, "any of Furniture,Spares: got %s", ids);
	data_ids("/products/ids?categories=Lights&tags=warm", "ids", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "q-1") == 0, "Lights and warm: got %s", ids);
	data_ids("/products/ids?status=draft", "ids", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "q-2") == 0, "status=draft: got %s", ids);
	data_ids("/products/ids?status=publish&limit=1&offset=1", "ids", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "q-3") == 0, "second page of publish: got %s", ids);
	ITEST_CHECK(data_number("/products/ids?status=nothing-here", "total_count") == 0, "unknown status: total 0");
	expect_refused("GET", "/products/ids?categories=a,,b", "categories");
	expect_refused("GET", "/products/ids?limit=1001", "limit");
}

static void feedback_filters_arrive_as_json_or_brackets_and_never_as_object_object(void)
{
	setup_call("POST", "/feedback", "{\"threadId\":\"fq-thread-1\",\"rating\":\"positive\"}", 201);
	setup_call("POST", "/feedback", "{\"threadId\":\"fq-thread-1\",\"rating\":\"negative\",\"comment\":\"meh\"}", 201);
	setup_call("POST", "/feedback", "{\"threadId\":\"fq-thread-2\",\"rating\":\"negative\"}", 201);
	ITEST_CHECK(data_number("/feedback", "total") == 3, "no filter: 3 entries");
	/* What the SDK sends for feedback.search({filters: {rating: 'negative'}}). */
	expect_refused("GET", "/feedback?filters=%5Bobject+Object%5D", "filters");
	ITEST_CHECK(data_number("/feedback?filters=%7B%22rating%22%3A%22negative%22%7D", "total") == 2,
				"filters as JSON text: 2 negative");
	ITEST_CHECK(data_number("/feedback?filters%5Brating%5D=negative", "total") == 2, "filters[rating]: 2 negative");
	ITEST_CHECK(data_number("/feedback?filters[rating]=negative&filters[thread_id]=fq-thread-1", "total") == 1,
				"rating and thread: 1");
	ITEST_CHECK(data_number("/feedback?filters[created_after]=2000-01-01T00:00:00Z&filters[created_before]=2999-01-01",
							"total") == 3, "a wide created window keeps all 3");
	ITEST_CHECK(data_number("/feedback?filters[created_before]=2000-01-01", "total") == 0,
				"created_before long ago: none");
	ITEST_CHECK(data_number("/feedback?rating=negative&filters[rating]=negative", "total") == 2,
				"parameter and filter agreeing");
	expect_refused("GET", "/feedback?rating=positive&filters[rating]=negative", "filters.rating");
	expect_refused("GET", "/feedback?filters[rating]=awful", "filters.rating");
	expect_refused("GET", "/feedback?filters[score]=1", "filters.score");
	expect_refused("GET", "/feedback?filters[created_after]=yesterday", "filters.created_after");
	expect_refused("GET", "/feedback?filters=%7B%22rating%22%3A%22negative%22%7D&filters[rating]=negative", "filters");
	expect_refused("GET", "/feedback?limit=1&limit=2", "limit");
	/* Not UTF-8 once decoded, as a value or inside an object: refused as a
	 * malformed query before anything reads it. */
	expect_refused("GET", "/feedback?threadId=fq-thread-%ED%A0%80", "query");
	expect_refused("GET", "/feedback?filters[thread_id]=fq-thread-%C3%C3", "query");
	expect_refused("GET", "/feedback?rating%9C=negative", "query");
}

static void prompt_lists_filter_by_status(void)
{
	setup_call("POST", "/prompts", "{\"id\":\"fq-live\",\"prompt\":\"What ships today?\",\"status\":\"active\"}", 201);
	setup_call("POST", "/prompts", "{\"id\":\"fq-draft\",\"prompt\":\"Draft question\",\"status\":\"draft\"}", 201);
	char ids[128];
	data_ids("/prompts?filters[status]=draft", "results", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "fq-draft") == 0, "filters[status]=draft: got %s", ids);
	data_ids("/prompts?filters=%7B%22status%22%3A%22active%22%7D&limit=10&page=1", "results", ids, sizeof ids);
	ITEST_CHECK(strcmp(ids, "fq-live") == 0, "filters as JSON: got %s", ids);
	expect_refused("GET", "/prompts?filters[tags]=x", "filters.tags");
	expect_refused("GET", "/prompts?sortBy=name", "sortBy");
}

static void webhook_lists_filter_and_sort_as_the_sdk_asks(void)
{
	setup_call("POST", "/webhooks",
			   "{\"name\":\"b-products\",\"url\":\"http://127.0.0.1:9/products\",\"events\":[\"product.upsert\"]}", 201);
	setup_call("POST", "/webhooks",
			   "{\"name\":\"a-feedback\",\"url\":\"http://127.0.0.1:9/feedback\",\"events\":[\"feedback.submit\","
			   "\"product.delete\"]}",
			   201);
	char ids[256], names[256];
	data_ids("/webhooks?events=product.upsert,product.delete", "results", ids, sizeof ids);
	ITEST_CHECK(strchr(ids, ',') != NULL, "events any of two: both webhooks, got %s", ids);
	ITEST_CHECK(data_number("/webhooks?events=feedback.submit", "total") == 1, "events=feedback.submit: 1");
	ITEST_CHECK(data_number("/webhooks?name_contains=feedback", "total") == 1, "name_contains: 1");
	ITEST_CHECK(data_number("/webhooks?url_contains=%2Fproducts", "total") == 1, "url_contains: 1");
	ITEST_CHECK(data_number("/webhooks?created_before=2000-01-01", "total") == 0, "created_before long ago: 0");
	ITEST_CHECK(data_number("/webhooks?created_after=2000-01-01T00:00:00Z&status=active", "total") == 2,
				"created_after long ago: 2");
	struct find_reply reply;
	if (call_expect("GET", "/webhooks?sort_by=name&sort_order=asc", NULL, 200, &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		const char *first = results && json_object_array_length(results) > 0
								? json_path_string(json_object_array_get_idx(results, 0), "name") : NULL;
		snprintf(names, sizeof names, "%s", first ? first : "(none)");
		ITEST_CHECK(strcmp(names, "a-feedback") == 0, "sort_by=name asc starts with a-feedback, got %s", names);
		find_reply_free(&reply);
	}
	expect_refused("GET", "/webhooks?events=product.upsert,no.such.event", "events");
	expect_refused("GET", "/webhooks?sort_by=secret", "sort_by");
	expect_refused("GET", "/webhooks?status=sleeping", "status");
}

static void analytics_parameters_are_bounded(void)
{
	expect_refused("GET", "/analytics/search?days=0", "days");
	expect_refused("GET", "/analytics/search?topN=101", "topN");
	expect_refused("GET", "/analytics/search?source=browser", "source");
	expect_refused("GET", "/analytics/chat?days=366", "days");
	expect_refused("GET", "/analytics/feedback?period=year", "period");
	expect_refused("GET", "/analytics/feedback?dateFrom=2026-02-30", "dateFrom");
	setup_call("GET", "/analytics/search?days=7&topN=5&source=widget", NULL, 200);
}

bool find_queries_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_queries", find_queries_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "unknown_parameters_are_refused_on_every_list_and_search_route",
						  unknown_parameters_are_refused_on_every_list_and_search_route, NULL) &&
		   itest_add_test(suite, "product_ids_narrow_by_categories_tags_and_status",
						  product_ids_narrow_by_categories_tags_and_status, NULL) &&
		   itest_add_test(suite, "feedback_filters_arrive_as_json_or_brackets_and_never_as_object_object",
						  feedback_filters_arrive_as_json_or_brackets_and_never_as_object_object, NULL) &&
		   itest_add_test(suite, "prompt_lists_filter_by_status", prompt_lists_filter_by_status, NULL) &&
		   itest_add_test(suite, "webhook_lists_filter_and_sort_as_the_sdk_asks",
						  webhook_lists_filter_and_sort_as_the_sdk_asks, NULL) &&
		   itest_add_test(suite, "analytics_parameters_are_bounded", analytics_parameters_are_bounded, NULL);
}

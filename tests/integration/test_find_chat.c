/*
 * Suite "find_chat": prompts (CRUD, bulk, search, plan cap, publishable
 * reads), chat answers from prompts, products and posts with every turn
 * stored in a thread, threads (search, messages, export, handoff, delete)
 * and chat streamed as NDJSON lines that reach the client as they are
 * produced (the test stack sets chat_stream_pace_ms).
 *
 * Products and posts are indexed through POST /products and /posts (the
 * find content routes); without them the tests that need matches fail and
 * say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <curl/curl.h>

#include "find_client.h"
#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "json_path.h"
#include "suites.h"
#include "test_environment.h"

#define CHAT_ORIGIN "https://chat.example"
#define CHAT_WORKSPACE "chat-example"
#define RETURNS_ANSWER "Returns are free, within 30 days. Keep the receipt and the original box, and we refund you."

static const char password[] = "find-chat-password-1";
static char tenant[64], admin[4097], secret[80], publishable[80];
static char capped_tenant[64], capped_admin[4097], capped_secret[80];
static bool content_indexed; /* products and posts could be indexed */
static const struct find_headers in_workspace = { .workspace = CHAT_WORKSPACE };
static const struct find_headers from_origin = { .origin = CHAT_ORIGIN };

static bool make_tenant(const char *prefix, char *slug, size_t slug_size, char *token, char *key, size_t key_size)
{
	return find_make_tenant_admin(prefix, "Find chat", password, slug, slug_size, token) &&
		   find_create_key(token, "{\"label\":\"server\",\"keyType\":\"secret\"}", key, key_size, NULL, 0) == 201;
}

static long call(const char *method, const char *path, const char *body, const char *bearer,
				 const struct find_headers *headers, struct find_reply *reply)
{
	if (!find_call(method, path, body, bearer, headers, reply)) {
		memset(reply, 0, sizeof *reply);
		return 0;
	}
	return reply->status;
}

static bool upsert(const char *path, const char *body)
{
	long status = find_status("POST", path, body, secret, &in_workspace, NULL);
	if (status != 200 && status != 201)
		fprintf(stderr, "find_chat set-up: POST %s: %ld\n", path, status);
	return status == 200 || status == 201;
}

static int find_chat_init(void)
{
	if (!make_tenant("fch", tenant, sizeof tenant, admin, secret, sizeof secret) ||
		!make_tenant("fcc", capped_tenant, sizeof capped_tenant, capped_admin, capped_secret, sizeof capped_secret))
		return 1;
	const char *cap[] = { "find-plan", "set", capped_tenant, "pro", "--max-prompts", "1", NULL };
	const char *pro[] = { "find-plan", "set", tenant, "pro", NULL };
	if (admin_command(cap, NULL) != 0 || admin_command(pro, NULL) != 0)
		return 1;
	if (find_create_key(admin,
						"{\"label\":\"browser\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"" CHAT_ORIGIN "\"]}",
						publishable, sizeof publishable, NULL, 0) != 201)
		return 1;
	if (!upsert("/prompts", "{\"id\":\"returns\",\"prompt\":\"What is your return policy?\",\"title\":\"Returns\","
							"\"canned_response\":\"" RETURNS_ANSWER "\",\"override_mode\":\"override\","
							"\"follow_up_ids\":[\"shipping\"],\"priority\":10,\"tags\":[\"policy\"]}") ||
		!upsert("/prompts", "{\"id\":\"shipping\",\"prompt\":\"Do you ship internationally?\",\"title\":\"Shipping\","
							"\"canned_response\":\"We ship to 40 countries.\",\"override_mode\":\"fallback\"}") ||
		!upsert("/prompts", "{\"id\":\"expired\",\"prompt\":\"Winter sale discount code\",\"canned_response\":\"WINTER\","
							"\"active_to\":\"2020-01-01\"}"))
		return 1;
	/* Content comes from the find content routes; chat only reads it. */
	content_indexed =
		upsert("/products", "{\"id\":\"p-lantern\",\"name\":\"Camping Lantern\",\"content\":\"A bright lantern for "
							"camping trips\",\"categories\":[\"Lighting\"],\"price\":25}") &&
		upsert("/products", "{\"id\":\"p-tent\",\"name\":\"Family Tent\",\"content\":\"A tent for four people, "
							"camping ready\",\"categories\":[\"Tents\"],\"price\":300}") &&
		upsert("/posts", "{\"id\":\"lantern-guide\",\"title\":\"Choosing a camping lantern\",\"content\":\"How bright "
						 "should a lantern be for camping?\"}");
	return 0;
}

/* Like json_path_get, with numeric segments indexing arrays ("data.results.0.id"). */
static json_object *at_get(json_object *root, const char *dotted_path)
{
	char segment[128];
	json_object *node = root;
	for (const char *cursor = dotted_path; node != NULL && *cursor != '\0';) {
		size_t length = strcspn(cursor, ".");
		if (length >= sizeof segment)
			return NULL;
		memcpy(segment, cursor, length);
		segment[length] = '\0';
		cursor += length + (cursor[length] == '.');
		if (json_object_is_type(node, json_type_array) && length > 0 && strspn(segment, "0123456789") == length) {
			size_t index = strtoul(segment, NULL, 10);
			node = index < json_object_array_length(node) ? json_object_array_get_idx(node, index) : NULL;
		} else if (!json_object_is_type(node, json_type_object) || !json_object_object_get_ex(node, segment, &node)) {
			return NULL;
		}
	}
	return node;
}

static const char *at_string(json_object *root, const char *dotted_path)
{
	json_object *value = at_get(root, dotted_path);
	return value && json_object_is_type(value, json_type_string) ? json_object_get_string(value) : NULL;
}

static bool at_int64(json_object *root, const char *dotted_path, int64_t *out)
{
	json_object *value = at_get(root, dotted_path);
	if (value == NULL || !json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return true;
}

/* A POST the way the SDK sends endHandoff and revoke: a JSON content type
 * and no body at all (Content-Length 0). */
static long post_without_body(const char *path, const char *bearer, struct find_reply *reply)
{
	char authorization[4200], url[512], error_text[256], why[128];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
	snprintf(url, sizeof url, "/api/v1/find%s", path);
	const char *lines[] = { authorization, NULL };
	struct http_request request = { .method = "POST", .path_and_query = url, .content_type = "application/json",
									.body = "", .body_length = 0, .extra_headers = lines };
	struct http_response response;
	memset(&response, 0, sizeof response);
	memset(reply, 0, sizeof *reply);
	if (!ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text), "POST %s: %s", path,
					 error_text)) {
		http_response_free(&response);
		return 0;
	}
	reply->status = response.status;
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	http_response_free(&response);
	return reply->status;
}

/* A delete answers the SDK's DeleteResponse {id, message} (deleted kept). */
static void expect_delete_answer(const char *path, const struct find_headers *headers, const char *id)
{
	struct find_reply reply;
	if (call("DELETE", path, NULL, secret, headers, &reply) == 0)
		return;
	const char *answered_id = json_path_string(reply.body, "data.id");
	const char *message = json_path_string(reply.body, "data.message");
	json_object *deleted = json_path_get(reply.body, "data.deleted");
	ITEST_CHECK(reply.status == 200 && answered_id && strcmp(answered_id, id) == 0 && message && message[0] != '\0' &&
					deleted && json_object_get_boolean(deleted),
				"DELETE %s answers {id, message, deleted}: %ld %s", path, reply.status,
				reply.body ? json_object_to_json_string(reply.body) : "");
	find_reply_free(&reply);
}

/* ---------------------------------------------------------------- prompts */

static void prompts_upsert_get_list_delete(void)
{
	const char *body = "{\"id\":\"temp\",\"prompt\":\"Temporary question\",\"status\":\"active\",\"custom\":{\"x\":1}}";
	ITEST_CHECK(find_status("POST", "/prompts", body, secret, &in_workspace, NULL) == 201, "create answers 201");
	struct find_reply reply;
	ITEST_CHECK(call("POST", "/prompts", "{\"id\":\"temp\",\"prompt\":\"Temporary question, edited\",\"custom\":{\"x\":2}}",
					 secret, &in_workspace, &reply) == 200, "update answers 200");
	const char *id = reply.body ? json_path_string(reply.body, "data.id") : NULL;
	ITEST_CHECK(id && strcmp(id, "temp") == 0, "upsert answers the id");
	find_reply_free(&reply);

	if (call("GET", "/prompts/temp", NULL, secret, &in_workspace, &reply) == 200) {
		const char *prompt = json_path_string(reply.body, "data.prompt");
		int64_t kept = 0;
		ITEST_CHECK(prompt && strcmp(prompt, "Temporary question, edited") == 0, "the update is stored");
		ITEST_CHECK(json_path_int64(reply.body, "data.custom.x", &kept) && kept == 2, "unknown fields are kept");
		ITEST_CHECK(json_path_string(reply.body, "data.created_at") != NULL, "timestamps are shown");
	} else {
		ITEST_CHECK(false, "GET /prompts/temp: %ld", reply.status);
	}
	find_reply_free(&reply);

	if (call("GET", "/prompts?page=1&limit=2", NULL, secret, &in_workspace, &reply) == 200) {
		int64_t total = 0, limit = 0, page = 0;
		json_object *results = json_path_get(reply.body, "data.results");
		ITEST_CHECK(json_path_int64(reply.body, "data.total", &total) && total == 4, "total counts all 4 prompts");
		ITEST_CHECK(json_path_int64(reply.body, "data.limit", &limit) && limit == 2 &&
						json_path_int64(reply.body, "data.page", &page) && page == 1, "page and limit echoed");
		ITEST_CHECK(results && json_object_array_length(results) == 2, "one page of 2");
	} else {
		ITEST_CHECK(false, "GET /prompts: %ld", reply.status);
	}
	find_reply_free(&reply);

	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"x\",\"prompt\":\"x\"}", secret, NULL, "VALIDATION_ERROR") == 400,
				"writes need X-Workspace-ID");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"x\",\"prompt\":\"x\",\"override_mode\":\"always\"}", secret,
						  &in_workspace, "VALIDATION_ERROR") == 400, "override_mode is checked");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"x\"}", secret, &in_workspace, "VALIDATION_ERROR") == 400,
				"prompt is required");
	expect_delete_answer("/prompts/temp", &in_workspace, "temp");
	ITEST_CHECK(find_status("GET", "/prompts/temp", NULL, secret, &in_workspace, "NOT_FOUND") == 404, "gone");
	ITEST_CHECK(find_status("DELETE", "/prompts/temp", NULL, secret, &in_workspace, "NOT_FOUND") == 404,
				"deleting twice is 404");
}

static void a_browser_thread_belongs_to_its_visitor(void)
{
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hello\",\"threadId\":\"it-mine\",\"visitorId\":\"v-owner\"}",
						  publishable, &from_origin, NULL) == 200, "the visitor starts a thread");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hello again\",\"threadId\":\"it-mine\",\"visitorId\":\"v-owner\"}",
						  publishable, &from_origin, NULL) == 200, "and goes on with it");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"let me in\",\"threadId\":\"it-mine\",\"visitorId\":\"v-other\"}",
						  publishable, &from_origin, "NOT_FOUND") == 404, "another visitor does not write to it");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"let me in\",\"threadId\":\"it-mine\"}", publishable,
						  &from_origin, "NOT_FOUND") == 404, "nor does an anonymous one");
}

static void publishable_key_reads_prompts_but_cannot_write(void)
{
	struct find_reply reply;
	if (call("GET", "/prompts/returns", NULL, publishable, &from_origin, &reply) == 200) {
		const char *canned = json_path_string(reply.body, "data.canned_response");
		ITEST_CHECK(canned && strcmp(canned, RETURNS_ANSWER) == 0, "the origin's workspace is read");
	} else {
		ITEST_CHECK(false, "publishable GET /prompts/returns: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/prompts/search", "{\"text\":\"return\"}", publishable, &from_origin, NULL) == 200,
				"publishable search");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"p\",\"prompt\":\"p\"}", publishable, &from_origin, "FORBIDDEN") ==
					403, "publishable write is 403");
	ITEST_CHECK(find_status("DELETE", "/prompts/returns", NULL, publishable, &from_origin, "FORBIDDEN") == 403,
				"publishable delete is 403");
	ITEST_CHECK(find_status("GET", "/prompts/returns", NULL, publishable, NULL, "FORBIDDEN") == 403,
				"publishable without its origin is 403");
}

static void bulk_upsert_reports_each_item(void)
{
	struct find_reply reply;
	const char *body = "{\"entities\":[{\"id\":\"bulk-a\",\"prompt\":\"First bulk\"},{\"id\":\"bulk-bad\"},"
					   "{\"id\":\"bulk-b\",\"prompt\":\"Second bulk\",\"priority\":\"high\"},"
					   "{\"id\":\"bulk-c\",\"prompt\":\"Third bulk\"}]}";
	if (call("POST", "/prompts/bulk", body, secret, &in_workspace, &reply) == 200) {
		json_object *successful = json_path_get(reply.body, "data.successful_ids");
		json_object *failed = json_path_get(reply.body, "data.failed_items");
		ITEST_CHECK(successful && json_object_array_length(successful) == 2, "two stored");
		ITEST_CHECK(failed && json_object_array_length(failed) == 2, "two refused");
		if (failed && json_object_array_length(failed) == 2) {
			const char *first = json_path_string(json_object_array_get_idx(failed, 0), "id");
			int64_t index = -1;
			ITEST_CHECK(first && strcmp(first, "bulk-bad") == 0, "the failed item names its id");
			ITEST_CHECK(json_path_int64(json_object_array_get_idx(failed, 1), "index", &index) && index == 2,
						"and its index");
		}
	} else {
		ITEST_CHECK(false, "bulk: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("GET", "/prompts/bulk-c", NULL, secret, &in_workspace, NULL) == 200, "a good item is stored");
	ITEST_CHECK(find_status("GET", "/prompts/bulk-bad", NULL, secret, &in_workspace, "NOT_FOUND") == 404,
				"a bad item is not");
	ITEST_CHECK(find_status("POST", "/prompts/bulk", "{\"entities\":[]}", secret, &in_workspace, "VALIDATION_ERROR") == 400,
				"empty bulk is refused");
	find_status("DELETE", "/prompts/bulk-a", NULL, secret, &in_workspace, NULL);
	find_status("DELETE", "/prompts/bulk-c", NULL, secret, &in_workspace, NULL);
}

static void prompt_search_ranks_by_text_with_scores(void)
{
	struct find_reply reply;
	if (call("POST", "/prompts/search", "{\"text\":\"return policy\",\"limit\":5}", secret, &in_workspace, &reply) == 200) {
		const char *first = at_string(reply.body, "data.results.0.id");
		json_object *score = at_get(reply.body, "data.results.0.score");
		int64_t total = 0;
		ITEST_CHECK(first && strcmp(first, "returns") == 0, "best match first: %s", first ? first : "(none)");
		ITEST_CHECK(score && json_object_get_double(score) > 0, "results carry a score");
		ITEST_CHECK(json_path_int64(reply.body, "data.total", &total) && total == 1, "only matches count");
		int64_t page = 0, limit = 0;
		ITEST_CHECK(json_path_int64(reply.body, "data.page", &page) && page == 1 &&
						json_path_int64(reply.body, "data.limit", &limit) && limit == 5,
					"a paginated answer {results, total, page: 1, limit: 5}");
	} else {
		ITEST_CHECK(false, "search: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("POST", "/prompts/search", "{\"text\":\"return policy\"}", secret, &in_workspace, &reply) == 200) {
		int64_t limit = 0;
		ITEST_CHECK(json_path_int64(reply.body, "data.limit", &limit) && limit == 10, "the default limit is echoed");
	} else {
		ITEST_CHECK(false, "search without limit: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/prompts/search", "{\"text\":\"x\",\"filters\":{\"colour\":\"red\"}}", secret,
						  &in_workspace, "VALIDATION_ERROR") == 400, "unknown filters are refused");
}

static void new_prompts_stop_at_the_plan_cap(void)
{
	const struct find_headers ws = { .workspace = "capped" };
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"one\",\"prompt\":\"One\"}", capped_secret, &ws, NULL) == 201,
				"the first prompt fits");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"two\",\"prompt\":\"Two\"}", capped_secret, &ws,
						  "PLAN_LIMIT_REACHED") == 403, "the second is over the cap");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"one\",\"prompt\":\"One again\"}", capped_secret, &ws, NULL) == 200,
				"updating an existing prompt is not a new one");
	ITEST_CHECK(find_status("DELETE", "/prompts/one", NULL, capped_secret, &ws, NULL) == 200, "delete frees the slot");
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":\"two\",\"prompt\":\"Two\"}", capped_secret, &ws, NULL) == 201,
				"then the next fits");
}

/* ---------------------------------------------------------------- chat */

static long chat(const char *body, const char *key, const struct find_headers *headers, struct find_reply *reply)
{
	return call("POST", "/chat", body, key, headers, reply);
}

static void override_prompt_answers_with_its_canned_response(void)
{
	struct find_reply reply;
	if (chat("{\"message\":\"What is your return policy?\",\"threadId\":\"it-returns\",\"visitorId\":\"v-1\"}", secret,
			 &in_workspace, &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		const char *thread = json_path_string(reply.body, "data.threadId");
		json_object *products = json_path_get(reply.body, "data.message.products");
		const char *follow_up = at_string(reply.body, "data.message.prompts.0.id");
		ITEST_CHECK(intro && strcmp(intro, RETURNS_ANSWER) == 0, "canned response: %s", intro ? intro : "(none)");
		ITEST_CHECK(products && json_object_array_length(products) == 0, "override shows no products");
		ITEST_CHECK(thread && strcmp(thread, "it-returns") == 0, "the given thread id");
		ITEST_CHECK(follow_up && strcmp(follow_up, "shipping") == 0, "follow-ups come from follow_up_ids");
		ITEST_CHECK(json_path_get(reply.body, "usage.quota") != NULL, "chat is metered");
	} else {
		ITEST_CHECK(false, "chat: %ld %s", reply.status, reply.body ? json_object_to_json_string(reply.body) : "");
	}
	find_reply_free(&reply);
	/* The same prompt chosen by id, from the browser. */
	if (chat("{\"message\":\"hello\",\"promptId\":\"returns\"}", publishable, &from_origin, &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		const char *thread = json_path_string(reply.body, "data.threadId");
		ITEST_CHECK(intro && strcmp(intro, RETURNS_ANSWER) == 0, "promptId picks the prompt");
		ITEST_CHECK(thread && strncmp(thread, "th_", 3) == 0, "a thread id is generated");
	} else {
		ITEST_CHECK(false, "publishable chat: %ld", reply.status);
	}
	find_reply_free(&reply);
	/* An expired prompt never answers. */
	if (chat("{\"message\":\"winter sale discount code\",\"promptId\":\"expired\"}", secret, &in_workspace, &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		ITEST_CHECK(intro && strcmp(intro, "WINTER") != 0, "expired prompt ignored");
	}
	find_reply_free(&reply);
}

static void fallback_prompt_answers_when_nothing_matches(void)
{
	struct find_reply reply;
	if (chat("{\"message\":\"Do you ship internationally?\",\"threadId\":\"it-shipping\"}", secret, &in_workspace,
			 &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		ITEST_CHECK(intro && strcmp(intro, "We ship to 40 countries.") == 0, "fallback canned response: %s",
					intro ? intro : "(none)");
	} else {
		ITEST_CHECK(false, "chat: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (chat("{\"message\":\"unicorn saddle\"}", secret, &in_workspace, &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		ITEST_CHECK(intro && strstr(intro, "I couldn't find") != NULL, "nothing found is said: %s", intro ? intro : "");
	}
	find_reply_free(&reply);
}

static void chat_shows_matching_products_and_posts(void)
{
	ITEST_CHECK(content_indexed, "products and posts could not be indexed: the find content routes "
								 "(POST /products, /posts) are missing");
	if (!content_indexed)
		return;
	struct find_reply reply;
	if (chat("{\"message\":\"camping lantern\",\"threadId\":\"it-lantern\"}", secret, &in_workspace, &reply) == 200) {
		const char *intro = json_path_string(reply.body, "data.message.intro");
		const char *product = at_string(reply.body, "data.message.products.0.id");
		const char *post = at_string(reply.body, "data.message.posts.0.id");
		ITEST_CHECK(intro && strncmp(intro, "Here are some products", 22) == 0, "intro: %s", intro ? intro : "");
		ITEST_CHECK(product && strcmp(product, "p-lantern") == 0, "best product first: %s", product ? product : "");
		ITEST_CHECK(post && strcmp(post, "lantern-guide") == 0, "the matching post");
	} else {
		ITEST_CHECK(false, "chat: %ld", reply.status);
	}
	find_reply_free(&reply);
	/* The filter keeps only tents, whatever the text matched. */
	if (chat("{\"message\":\"camping\",\"productFilter\":{\"categories\":[\"Tents\"],\"priceMax\":500}}", secret,
			 &in_workspace, &reply) == 200) {
		json_object *products = json_path_get(reply.body, "data.message.products");
		const char *product = at_string(reply.body, "data.message.products.0.id");
		ITEST_CHECK(products && json_object_array_length(products) == 1 && product && strcmp(product, "p-tent") == 0,
					"productFilter applies");
	}
	find_reply_free(&reply);
	if (chat("{\"message\":\"camping\",\"productFilter\":{\"priceMin\":1000}}", secret, &in_workspace, &reply) == 200) {
		json_object *products = json_path_get(reply.body, "data.message.products");
		ITEST_CHECK(products && json_object_array_length(products) == 0, "price range applies");
	}
	find_reply_free(&reply);
}

static void chat_input_is_validated(void)
{
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"\"}", secret, &in_workspace, "VALIDATION_ERROR") == 400,
				"empty message");
	ITEST_CHECK(find_status("POST", "/chat", "{}", secret, &in_workspace, "VALIDATION_ERROR") == 400, "no message");
	char big[4200] = "{\"message\":\"";
	memset(big + strlen(big), 'a', 4001);
	strcpy(big + 12 + 4001, "\"}");
	ITEST_CHECK(find_status("POST", "/chat", big, secret, &in_workspace, "VALIDATION_ERROR") == 400, "4001 bytes");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"threadId\":\"a b\"}", secret, &in_workspace,
						  "VALIDATION_ERROR") == 400, "bad thread id");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"colour\":1}", secret, &in_workspace,
						  "VALIDATION_ERROR") == 400, "unknown field");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"productFilter\":{\"priceMin\":-1}}", secret,
						  &in_workspace, "VALIDATION_ERROR") == 400, "bad filter");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"threadId\":\"it-returns\"}", secret,
						  &(struct find_headers){ .workspace = "elsewhere" }, "NOT_FOUND") == 404,
				"another workspace's thread is not written to");
}

/* ---------------------------------------------------------------- threads */

static void thread_keeps_both_turns_of_every_exchange(void)
{
	struct find_reply reply;
	chat("{\"message\":\"and for sale items, what is the return policy?\",\"threadId\":\"it-returns\"}", secret,
		 &in_workspace, &reply);
	find_reply_free(&reply);
	if (call("GET", "/threads/it-returns", NULL, secret, &in_workspace, &reply) == 200) {
		int64_t count = 0;
		const char *user = json_path_string(reply.body, "data.user_id");
		const char *title = json_path_string(reply.body, "data.title");
		ITEST_CHECK(json_path_int64(reply.body, "data.message_count", &count) && count == 4, "4 messages: %lld",
					(long long)count);
		ITEST_CHECK(user && strcmp(user, "v-1") == 0, "the visitor id");
		ITEST_CHECK(title && strcmp(title, "What is your return policy?") == 0, "the first message is the title");
	} else {
		ITEST_CHECK(false, "GET thread: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("GET", "/threads/it-returns/messages", NULL, secret, NULL, &reply) == 200) {
		json_object *messages = json_path_get(reply.body, "data.messages");
		ITEST_CHECK(messages && json_object_array_length(messages) == 4, "4 messages listed");
		const char *role0 = at_string(reply.body, "data.messages.0.role");
		const char *content0 = at_string(reply.body, "data.messages.0.content");
		const char *role1 = at_string(reply.body, "data.messages.1.role");
		const char *content1 = at_string(reply.body, "data.messages.1.content");
		const char *shown = at_string(reply.body, "data.messages.1.metadata.promptId");
		ITEST_CHECK(role0 && strcmp(role0, "user") == 0 && content0 && strcmp(content0, "What is your return policy?") == 0,
					"the user's turn");
		ITEST_CHECK(role1 && strcmp(role1, "assistant") == 0 && content1 && strcmp(content1, RETURNS_ANSWER) == 0,
					"the assistant's turn");
		ITEST_CHECK(shown && strcmp(shown, "returns") == 0, "what the answer used is recorded");
		ITEST_CHECK(at_string(reply.body, "data.messages.0.timestamp") != NULL, "timestamps");
	} else {
		ITEST_CHECK(false, "GET messages: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("GET", "/threads/nope-none", NULL, secret, NULL, "NOT_FOUND") == 404, "unknown thread");
	ITEST_CHECK(find_status("POST", "/threads/search", "{}", publishable, &from_origin, "FORBIDDEN") == 403,
				"publishable keys cannot read threads");
}

static int64_t search_total(const char *body, const char **first_id)
{
	static char first[80];
	struct find_reply reply;
	int64_t total = -1;
	first[0] = '\0';
	if (call("POST", "/threads/search", body, secret, NULL, &reply) == 200) {
		json_path_int64(reply.body, "data.total", &total);
		const char *id = at_string(reply.body, "data.results.0.id");
		snprintf(first, sizeof first, "%s", id ? id : "");
	} else {
		ITEST_CHECK(false, "search %s: %ld", body, reply.status);
	}
	find_reply_free(&reply);
	if (first_id)
		*first_id = first;
	return total;
}

static void handoff_is_recorded_and_can_be_ended(void)
{
	struct find_reply reply;
	if (chat("{\"message\":\"I want to talk to a human please\",\"threadId\":\"it-handoff\",\"visitorId\":\"v-2\"}",
			 secret, &in_workspace, &reply) == 200) {
		json_object *handoff = json_path_get(reply.body, "data.handoff");
		ITEST_CHECK(handoff && json_object_get_boolean(handoff), "the answer says handoff");
	}
	find_reply_free(&reply);
	if (call("GET", "/threads/it-handoff", NULL, secret, NULL, &reply) == 200) {
		const char *status = json_path_string(reply.body, "data.status");
		json_object *has = json_path_get(reply.body, "data.has_handoff");
		ITEST_CHECK(status && strcmp(status, "handoff") == 0, "status handoff");
		ITEST_CHECK(has && json_object_get_boolean(has), "has_handoff");
	}
	find_reply_free(&reply);
	ITEST_CHECK(search_total("{\"filters\":{\"status\":\"handoff\"}}", NULL) == 1, "one thread in handoff");
	/* As the SDK sends it: Content-Type application/json and no body at all. */
	if (post_without_body("/threads/it-handoff/handoff/end", secret, &reply) == 200) {
		const char *status = json_path_string(reply.body, "data.status");
		const char *message = json_path_string(reply.body, "data.message");
		json_object *has = json_path_get(reply.body, "data.has_handoff");
		ITEST_CHECK(message && strcmp(message, "Handoff ended") == 0, "data carries the SDK's {message}");
		ITEST_CHECK(status && strcmp(status, "active") == 0, "back to active");
		ITEST_CHECK(json_path_string(reply.body, "data.handoff_ended_at") != NULL, "handoff_ended_at set");
		ITEST_CHECK(has && json_object_get_boolean(has), "the thread still shows it had a handoff");
	} else {
		ITEST_CHECK(false, "end handoff: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (post_without_body("/threads/it-handoff/handoff/end", secret, &reply) == 200) {
		const char *message = json_path_string(reply.body, "data.message");
		ITEST_CHECK(message && strcmp(message, "Thread was not in handoff") == 0, "ending twice answers 200: %s",
					message ? message : "(no message)");
	} else {
		ITEST_CHECK(false, "ending twice: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/threads/it-handoff/handoff/end", NULL, publishable, &from_origin, "FORBIDDEN") == 403,
				"publishable cannot end a handoff");
	ITEST_CHECK(search_total("{\"filters\":{\"status\":\"handoff\"}}", NULL) == 0, "none in handoff now");
	ITEST_CHECK(search_total("{\"filters\":{\"has_handoff\":true}}", NULL) == 1, "has_handoff filter");
}

static void thread_search_filters_sorts_and_pages(void)
{
	const char *first = NULL;
	ITEST_CHECK(search_total("{\"filters\":{\"user_id\":\"v-1\"}}", &first) == 1 && strcmp(first, "it-returns") == 0,
				"user_id filter");
	ITEST_CHECK(search_total("{\"sort_by\":\"message_count\",\"sort_order\":\"desc\"}", &first) >= 3 &&
					strcmp(first, "it-returns") == 0, "the longest thread first: %s", first);
	ITEST_CHECK(search_total("{\"filters\":{\"created_after\":\"2000-01-01\",\"created_before\":\"2001-01-01\"}}", NULL) == 0,
				"date range");
	ITEST_CHECK(search_total("{\"filters\":{\"created_after\":\"2000-01-01\"}}", NULL) >= 3, "open date range");
	struct find_reply reply;
	if (call("POST", "/threads/search", "{\"limit\":1,\"offset\":1,\"sort_by\":\"created_at\",\"sort_order\":\"asc\"}",
			 secret, NULL, &reply) == 200) {
		int64_t limit = 0, offset = 0;
		json_object *results = json_path_get(reply.body, "data.results");
		ITEST_CHECK(json_path_int64(reply.body, "data.limit", &limit) && limit == 1 &&
						json_path_int64(reply.body, "data.offset", &offset) && offset == 1, "limit and offset echoed");
		ITEST_CHECK(results && json_object_array_length(results) == 1, "one result");
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/threads/search", "{\"sort_by\":\"title\"}", secret, NULL, "VALIDATION_ERROR") == 400,
				"sort_by is whitelisted");
	ITEST_CHECK(find_status("POST", "/threads/search", "{\"filters\":{\"created_after\":\"soon\"}}", secret, NULL,
						  "VALIDATION_ERROR") == 400, "dates are checked");
}

static void threads_export_as_json_and_csv(void)
{
	struct find_reply reply;
	if (call("POST", "/threads/export", "{\"format\":\"json\",\"dateFrom\":\"2000-01-01\"}", secret, NULL, &reply) == 200) {
		json_object *threads = json_path_get(reply.body, "data.threads");
		bool found = false;
		for (size_t i = 0; threads && i < json_object_array_length(threads); i++) {
			json_object *thread = json_object_array_get_idx(threads, i);
			const char *id = json_path_string(thread, "id");
			json_object *messages = json_path_get(thread, "messages");
			if (id && strcmp(id, "it-returns") == 0)
				found = messages && json_object_array_length(messages) == 4;
		}
		ITEST_CHECK(found, "it-returns with its 4 messages");
	} else {
		ITEST_CHECK(false, "export json: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("POST", "/threads/export", "{\"format\":\"csv\"}", secret, NULL, &reply) == 200) {
		const char *format = json_path_string(reply.body, "data.format");
		const char *content = json_path_string(reply.body, "data.content");
		ITEST_CHECK(format && strcmp(format, "csv") == 0, "format csv");
		ITEST_CHECK(content && strncmp(content, "thread_id,workspace,user_id,", 28) == 0, "a header line");
		ITEST_CHECK(content && strstr(content, "\"" RETURNS_ANSWER "\"") != NULL, "a field with a comma is quoted");
		ITEST_CHECK(content && strstr(content, "it-returns," CHAT_WORKSPACE ",v-1,active,false,4,") != NULL,
					"thread columns");
	} else {
		ITEST_CHECK(false, "export csv: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("POST", "/threads/export", "{\"format\":\"json\",\"dateTo\":\"2000-01-01\"}", secret, NULL, &reply) == 200) {
		json_object *threads = json_path_get(reply.body, "data.threads");
		ITEST_CHECK(threads && json_object_array_length(threads) == 0, "dateTo bounds the export");
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/threads/export", "{\"format\":\"xml\"}", secret, NULL, "VALIDATION_ERROR") == 400,
				"format is checked");
	/* The SDK's userId and includeContent. */
	if (call("POST", "/threads/export", "{\"format\":\"json\",\"userId\":\"v-1\",\"includeContent\":false}", secret,
			 NULL, &reply) == 200) {
		json_object *threads = json_path_get(reply.body, "data.threads");
		const char *id = at_string(reply.body, "data.threads.0.id");
		json_object *message = at_get(reply.body, "data.threads.0.messages.0"), *unused = NULL;
		json_object *include = json_path_get(reply.body, "data.includeContent");
		ITEST_CHECK(threads && json_object_array_length(threads) == 1 && id && strcmp(id, "it-returns") == 0,
					"userId keeps that visitor's threads: %s", json_object_to_json_string(reply.body));
		ITEST_CHECK(message && json_path_string(message, "role") != NULL &&
						!json_object_object_get_ex(message, "content", &unused) &&
						strstr(json_object_to_json_string(reply.body), "Returns are free") == NULL,
					"includeContent false leaves the contents out");
		ITEST_CHECK(include && !json_object_get_boolean(include), "the answer says includeContent false");
	} else {
		ITEST_CHECK(false, "export userId, includeContent: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("POST", "/threads/export", "{\"format\":\"csv\",\"includeContent\":false}", secret, NULL, &reply) == 200) {
		const char *content = json_path_string(reply.body, "data.content");
		ITEST_CHECK(content && strncmp(content, "thread_id,workspace,user_id,status,has_handoff,message_count,created_at,"
												"message_index,role,message_timestamp\r\n", 110) == 0 &&
						strstr(content, "Returns are free") == NULL,
					"csv without the content column");
	} else {
		ITEST_CHECK(false, "export csv without content: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("POST", "/threads/export", "{\"userId\":\"nobody-at-all\",\"includeContent\":true}", secret, NULL, &reply) ==
		200) {
		json_object *threads = json_path_get(reply.body, "data.threads");
		ITEST_CHECK(threads && json_object_array_length(threads) == 0, "an unknown userId has no threads");
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/threads/export", "{\"includeContent\":\"no\"}", secret, NULL, "VALIDATION_ERROR") ==
					400, "includeContent is a boolean");
	ITEST_CHECK(find_status("POST", "/threads/export", "{\"userId\":\"\"}", secret, NULL, "VALIDATION_ERROR") == 400,
				"userId is not empty");
}

static void deleting_a_thread_removes_its_messages(void)
{
	struct find_reply reply;
	chat("{\"message\":\"temporary\",\"threadId\":\"it-delete\"}", secret, &in_workspace, &reply);
	find_reply_free(&reply);
	ITEST_CHECK(find_status("DELETE", "/threads/it-delete", NULL, publishable, &from_origin, "FORBIDDEN") == 403,
				"publishable cannot delete");
	expect_delete_answer("/threads/it-delete", NULL, "it-delete");
	ITEST_CHECK(find_status("GET", "/threads/it-delete", NULL, secret, NULL, "NOT_FOUND") == 404, "gone");
	ITEST_CHECK(find_status("GET", "/threads/it-delete/messages", NULL, secret, NULL, "NOT_FOUND") == 404,
				"messages gone");
	ITEST_CHECK(find_status("DELETE", "/threads/it-delete", NULL, secret, NULL, "NOT_FOUND") == 404, "twice is 404");
	/* A new chat on the same id starts from message 0 again. */
	chat("{\"message\":\"again\",\"threadId\":\"it-delete\"}", secret, &in_workspace, &reply);
	find_reply_free(&reply);
	if (call("GET", "/threads/it-delete/messages", NULL, secret, NULL, &reply) == 200) {
		int64_t index = -1;
		ITEST_CHECK(at_int64(reply.body, "data.messages.0.index", &index) && index == 0, "fresh thread");
	}
	find_reply_free(&reply);
	find_status("DELETE", "/threads/it-delete", NULL, secret, NULL, NULL);
}

/* ---------------------------------------------------------------- streaming */

#define STREAM_MAX_PIECES 256

struct stream_capture {
	char body[65536];
	size_t length;
	unsigned pieces;
	int64_t piece_ms[STREAM_MAX_PIECES];
	size_t piece_end[STREAM_MAX_PIECES]; /* body length after each piece */
	char content_type[128];
};

static size_t stream_write(char *data, size_t size, size_t count, void *user)
{
	struct stream_capture *capture = user;
	size_t bytes = size * count;
	if (capture->length + bytes >= sizeof capture->body)
		return 0;
	memcpy(capture->body + capture->length, data, bytes);
	capture->length += bytes;
	capture->body[capture->length] = '\0';
	if (capture->pieces < STREAM_MAX_PIECES) {
		capture->piece_ms[capture->pieces] = itest_clock_now_ms();
		capture->piece_end[capture->pieces] = capture->length;
	}
	capture->pieces++;
	return bytes;
}

static size_t stream_header(char *data, size_t size, size_t count, void *user)
{
	struct stream_capture *capture = user;
	size_t bytes = size * count;
	if (bytes > 13 && strncasecmp(data, "Content-Type:", 13) == 0)
		snprintf(capture->content_type, sizeof capture->content_type, "%.*s", (int)(bytes - 13), data + 13);
	return bytes;
}

/* POST /chat with stream:true through libcurl, recording when each piece arrives. */
static long stream_chat(const char *body, struct stream_capture *capture, int64_t *started_ms)
{
	char url[512], authorization[200], workspace[100];
	snprintf(url, sizeof url, "%s/api/v1/find/chat", test_environment.base_url);
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", secret);
	snprintf(workspace, sizeof workspace, "X-Workspace-ID: %s", CHAT_WORKSPACE);
	CURL *curl = curl_easy_init();
	if (curl == NULL)
		return 0;
	struct curl_slist *headers = curl_slist_append(NULL, authorization);
	headers = curl_slist_append(headers, workspace);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, capture);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, stream_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, capture);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	*started_ms = itest_clock_now_ms();
	CURLcode result = curl_easy_perform(curl);
	long status = 0;
	if (result == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "stream_chat: %s\n", curl_easy_strerror(result));
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return status;
}

/* When the piece holding body offset `offset` arrived. */
static int64_t stream_arrival_ms(const struct stream_capture *capture, size_t offset)
{
	unsigned pieces = capture->pieces < STREAM_MAX_PIECES ? capture->pieces : STREAM_MAX_PIECES;
	for (unsigned i = 0; i < pieces; i++)
		if (capture->piece_end[i] > offset)
			return capture->piece_ms[i];
	return capture->pieces ? capture->piece_ms[pieces - 1] : 0;
}

static void streamed_chat_arrives_line_by_line(void)
{
	static struct stream_capture capture;
	memset(&capture, 0, sizeof capture);
	int64_t started_ms = 0;
	long status = stream_chat("{\"message\":\"What is your return policy?\",\"threadId\":\"it-stream\",\"stream\":true}",
							  &capture, &started_ms);
	ITEST_CHECK(status == 200, "streamed chat: HTTP %ld", status);
	ITEST_CHECK(strstr(capture.content_type, "application/x-ndjson") != NULL, "content type: %s", capture.content_type);

	/* Every line is one JSON chunk: text_delta+, product*, post*, prompts, usage, complete. */
	char text[1024] = "";
	unsigned deltas = 0, lines = 0;
	int stage = 0; /* 0 deltas, 1 items, 2 prompts seen, 3 usage seen, 4 complete seen */
	bool shape_ok = true;
	int64_t first_delta_ms = 0;
	const char *thread = NULL;
	json_object *complete = NULL;
	for (size_t start = 0; start < capture.length;) {
		const char *newline = memchr(capture.body + start, '\n', capture.length - start);
		ITEST_CHECK(newline != NULL, "every chunk ends with a newline");
		if (newline == NULL)
			break;
		size_t line_length = (size_t)(newline - (capture.body + start));
		char why[128];
		json_object *chunk = json_parse_whole(capture.body + start, line_length, why, sizeof why);
		const char *type = chunk ? json_path_string(chunk, "type") : NULL;
		lines++;
		if (type == NULL) {
			shape_ok = false;
		} else if (strcmp(type, "text_delta") == 0) {
			shape_ok &= stage == 0;
			if (deltas++ == 0)
				first_delta_ms = stream_arrival_ms(&capture, start);
			const char *delta = json_path_string(chunk, "data");
			if (delta && strlen(text) + strlen(delta) < sizeof text)
				strcat(text, delta);
		} else if (strcmp(type, "product") == 0 || strcmp(type, "post") == 0) {
			shape_ok &= stage <= 1;
			stage = 1;
		} else if (strcmp(type, "prompts") == 0) {
			shape_ok &= stage <= 1 && json_object_is_type(json_path_get(chunk, "data"), json_type_array);
			stage = 2;
		} else if (strcmp(type, "usage") == 0) {
			shape_ok &= stage == 2 && json_object_is_type(json_path_get(chunk, "data.totalTokens"), json_type_int);
			stage = 3;
		} else if (strcmp(type, "complete") == 0) {
			shape_ok &= stage == 3;
			stage = 4;
			json_object_put(complete);
			complete = json_object_get(chunk);
			thread = json_path_string(complete, "data.threadId");
		} else {
			shape_ok = false; /* "error" or unknown */
		}
		json_object_put(chunk);
		start += line_length + 1;
	}
	int64_t ended_ms = capture.pieces ? capture.piece_ms[(capture.pieces < STREAM_MAX_PIECES ? capture.pieces : STREAM_MAX_PIECES) - 1] : 0;
	ITEST_CHECK(shape_ok && stage == 4, "chunk order text_delta, items, prompts, usage, complete (%u lines)", lines);
	const char *mode = complete ? json_path_string(complete, "data.mode") : NULL;
	ITEST_CHECK(mode && strcmp(mode, "retrieval") == 0, "no model configured: complete says mode retrieval");
	ITEST_CHECK(deltas >= 4, "the intro comes in several text_delta chunks: %u", deltas);
	ITEST_CHECK(strcmp(text, RETURNS_ANSWER) == 0, "the deltas join to the canned answer: %s", text);
	ITEST_CHECK(thread && strcmp(thread, "it-stream") == 0, "complete carries the thread id");
	ITEST_CHECK(capture.pieces > 1, "the body came in %u pieces", capture.pieces);
	/* With the stack's 40 ms pace and >= 4 deltas the body takes >= 120 ms
	 * after the first delta; a buffering server would deliver all at once. */
	ITEST_CHECK(first_delta_ms > 0 && ended_ms - first_delta_ms >= 80,
				"first text_delta %lld ms before the end (started %lld ms before it)",
				(long long)(ended_ms - first_delta_ms), (long long)(first_delta_ms - started_ms));
	json_object_put(complete);

	/* Stored before "complete" was sent. */
	struct find_reply reply;
	if (call("GET", "/threads/it-stream/messages", NULL, secret, NULL, &reply) == 200) {
		json_object *messages = json_path_get(reply.body, "data.messages");
		const char *answer = at_string(reply.body, "data.messages.1.content");
		ITEST_CHECK(messages && json_object_array_length(messages) == 2, "both turns stored");
		ITEST_CHECK(answer && strcmp(answer, RETURNS_ANSWER) == 0, "the streamed answer stored");
	} else {
		ITEST_CHECK(false, "messages of the streamed thread: %ld", reply.status);
	}
	find_reply_free(&reply);
}

static void streamed_chat_sends_products_and_posts_as_chunks(void)
{
	ITEST_CHECK(content_indexed, "products and posts could not be indexed: the find content routes are missing");
	if (!content_indexed)
		return;
	static struct stream_capture capture;
	memset(&capture, 0, sizeof capture);
	int64_t started_ms = 0;
	ITEST_CHECK(stream_chat("{\"message\":\"camping lantern\",\"stream\":true}", &capture, &started_ms) == 200, "200");
	ITEST_CHECK(strstr(capture.body, "{\"type\":\"product\",\"data\":{") != NULL, "a product chunk");
	ITEST_CHECK(strstr(capture.body, "{\"type\":\"post\",\"data\":{") != NULL, "a post chunk");
	ITEST_CHECK(strstr(capture.body, "\"id\":\"p-lantern\"") != NULL, "the lantern");
	const char *last = capture.length > 1 ? capture.body + capture.length - 2 : capture.body;
	while (last > capture.body && *last != '\n')
		last--;
	ITEST_CHECK(strstr(last, "\"type\":\"complete\"") != NULL, "complete is last");
}

/* The rest of the SDK's ChatRequest: workspaceId names the workspace (and
 * must agree with X-Workspace-ID or a browser's Origin), userJwt is taken
 * and kept nowhere, offerResponse is kept with the visitor's message. */
static bool reply_names_field(const struct find_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	for (size_t i = 0; details && i < json_object_array_length(details); i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

static void expect_refusal(const char *label, const char *body, const char *key, const struct find_headers *headers,
						   long status, const char *field)
{
	struct find_reply reply;
	if (chat(body, key, headers, &reply) == 0)
		return;
	ITEST_CHECK(reply.status == status && reply_names_field(&reply, field), "%s: %ld naming %s: %s", label,
				reply.status, field, reply.body ? json_object_to_json_string(reply.body) : "");
	find_reply_free(&reply);
}

static void chat_takes_every_member_of_the_sdk_request(void)
{
	struct find_reply reply;
	/* workspaceId alone names the workspace: its products, and the thread kept there. */
	if (chat("{\"message\":\"camping lantern\",\"threadId\":\"it-ws-body\",\"workspaceId\":\"" CHAT_WORKSPACE "\"}",
			 secret, NULL, &reply) == 200) {
		const char *product = at_string(reply.body, "data.message.products.0.id");
		ITEST_CHECK(!content_indexed || (product && strcmp(product, "p-lantern") == 0), "the workspace's product: %s",
					product ? product : "(none)");
	} else {
		ITEST_CHECK(false, "chat with workspaceId: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (call("GET", "/threads/it-ws-body", NULL, secret, NULL, &reply) == 200) {
		const char *workspace = json_path_string(reply.body, "data.workspace");
		ITEST_CHECK(workspace && strcmp(workspace, CHAT_WORKSPACE) == 0, "the thread is in that workspace: %s",
					workspace ? workspace : "(none)");
	} else {
		ITEST_CHECK(false, "GET the thread: %ld", reply.status);
	}
	find_reply_free(&reply);
	if (chat("{\"message\":\"camping lantern\",\"threadId\":\"it-ws-other\",\"workspaceId\":\"other-shop\"}", secret,
			 NULL, &reply) == 200) {
		json_object *products = json_path_get(reply.body, "data.message.products");
		ITEST_CHECK(products && json_object_array_length(products) == 0, "another workspace has no lantern");
	} else {
		ITEST_CHECK(false, "chat in another workspace: %ld", reply.status);
	}
	find_reply_free(&reply);
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"workspaceId\":\"" CHAT_WORKSPACE "\"}", secret,
							&in_workspace, NULL) == 200, "workspaceId agreeing with X-Workspace-ID");
	expect_refusal("workspaceId disagreeing with X-Workspace-ID", "{\"message\":\"hi\",\"workspaceId\":\"other-shop\"}",
				   secret, &in_workspace, 400, "workspaceId");
	expect_refusal("a malformed workspaceId", "{\"message\":\"hi\",\"workspaceId\":\"Not One!\"}", secret, NULL, 400,
				   "workspaceId");
	ITEST_CHECK(find_status("POST", "/chat", "{\"message\":\"hi\",\"workspaceId\":\"" CHAT_WORKSPACE "\"}", publishable,
							&from_origin, NULL) == 200, "a browser naming its Origin's workspace");
	expect_refusal("a browser naming another workspace", "{\"message\":\"hi\",\"workspaceId\":\"other-shop\"}",
				   publishable, &from_origin, 403, "workspaceId");

	/* userJwt: taken, bounded, and kept nowhere. */
	const char *token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2aXNpdG9yLTQyIn0.c2hvcC1zaWduYXR1cmUtbm90LXN0b3JlZA";
	char body[9000];
	snprintf(body, sizeof body, "{\"message\":\"where is my order\",\"threadId\":\"it-jwt\",\"userJwt\":\"%s\"}", token);
	ITEST_CHECK(find_status("POST", "/chat", body, secret, &in_workspace, NULL) == 200, "userJwt is taken");
	if (call("POST", "/threads/export", "{\"format\":\"json\"}", secret, NULL, &reply) == 200) {
		ITEST_CHECK(strstr(json_object_to_json_string(reply.body), "c2hvcC1zaWduYXR1cmUtbm90LXN0b3JlZA") == NULL,
					"the token is in no stored thread");
	}
	find_reply_free(&reply);
	if (call("GET", "/threads/it-jwt/messages", NULL, secret, NULL, &reply) == 200) {
		ITEST_CHECK(strstr(json_object_to_json_string(reply.body), "c2hvcC1zaWduYXR1cmUtbm90LXN0b3JlZA") == NULL,
					"nor in its messages");
	}
	find_reply_free(&reply);
	char long_token[8300];
	memset(long_token, 'j', 8193);
	long_token[8193] = '\0';
	snprintf(body, sizeof body, "{\"message\":\"hi\",\"userJwt\":\"%s\"}", long_token);
	expect_refusal("an 8193-byte userJwt", body, secret, &in_workspace, 400, "userJwt");
	expect_refusal("a userJwt that is not a string", "{\"message\":\"hi\",\"userJwt\":42}", secret, &in_workspace, 400,
				   "userJwt");

	/* offerResponse: kept with the visitor's message. */
	ITEST_CHECK(find_status("POST", "/chat",
							"{\"message\":\"yes please\",\"threadId\":\"it-offer\",\"offerResponse\":{\"domain\":\"support\","
							"\"actionId\":\"contact\",\"formData\":{\"email\":\"ann@example.com\"}}}",
							secret, &in_workspace, NULL) == 200,
				"offerResponse is taken");
	if (call("GET", "/threads/it-offer/messages", NULL, secret, NULL, &reply) == 200) {
		const char *role = at_string(reply.body, "data.messages.0.role");
		const char *action = at_string(reply.body, "data.messages.0.metadata.offerResponse.actionId");
		const char *email = at_string(reply.body, "data.messages.0.metadata.offerResponse.formData.email");
		ITEST_CHECK(role && strcmp(role, "user") == 0 && action && strcmp(action, "contact") == 0 && email &&
						strcmp(email, "ann@example.com") == 0,
					"the visitor's message keeps it: %s", json_object_to_json_string(reply.body));
	} else {
		ITEST_CHECK(false, "messages of it-offer: %ld", reply.status);
	}
	find_reply_free(&reply);
	expect_refusal("offerResponse without actionId", "{\"message\":\"hi\",\"offerResponse\":{\"domain\":\"support\"}}",
				   secret, &in_workspace, 400, "offerResponse.actionId");
	expect_refusal("offerResponse with an unknown member",
				   "{\"message\":\"hi\",\"offerResponse\":{\"domain\":\"d\",\"actionId\":\"a\",\"extra\":1}}", secret,
				   &in_workspace, 400, "offerResponse.extra");
	expect_refusal("formData that is not strings",
				   "{\"message\":\"hi\",\"offerResponse\":{\"domain\":\"d\",\"actionId\":\"a\",\"formData\":{\"n\":1}}}",
				   secret, &in_workspace, 400, "offerResponse.formData");
	expect_refusal("offerResponse not an object", "{\"message\":\"hi\",\"offerResponse\":\"yes\"}", secret,
				   &in_workspace, 400, "offerResponse");
}

/* The SDK's Prompt has an optional id: the server makes one and answers it
 * in the UpsertResponse {id, message}, in bulk too. */
static void a_prompt_without_id_gets_one(void)
{
	struct find_reply reply;
	char id[200] = "";
	if (call("POST", "/prompts", "{\"prompt\":\"Do you gift wrap?\",\"canned_response\":\"Yes, for free.\"}", secret,
			 &in_workspace, &reply) == 201) {
		const char *given = json_path_string(reply.body, "data.id");
		const char *message = json_path_string(reply.body, "data.message");
		ITEST_CHECK(given && strncmp(given, "pr_", 3) == 0 && strlen(given) == 27 && message && message[0] != '\0',
					"created with a generated id: %s", json_object_to_json_string(reply.body));
		snprintf(id, sizeof id, "%s", given ? given : "");
	} else {
		ITEST_CHECK(false, "a prompt without id: %ld %s", reply.status,
					reply.body ? json_object_to_json_string(reply.body) : "");
	}
	find_reply_free(&reply);
	char path[256];
	snprintf(path, sizeof path, "/prompts/%s", id);
	if (id[0] != '\0' && call("GET", path, NULL, secret, &in_workspace, &reply) == 200) {
		const char *stored = json_path_string(reply.body, "data.id");
		const char *prompt = json_path_string(reply.body, "data.prompt");
		ITEST_CHECK(stored && strcmp(stored, id) == 0 && prompt && strcmp(prompt, "Do you gift wrap?") == 0,
					"stored under it, the document carrying it");
	} else {
		ITEST_CHECK(false, "GET %s: %ld", path, reply.status);
	}
	find_reply_free(&reply);
	if (id[0] != '\0')
		expect_delete_answer(path, &in_workspace, id);
	if (call("POST", "/prompts/bulk", "{\"entities\":[{\"prompt\":\"No id in bulk\"},{\"id\":\"bulk-named\",\"prompt\":\"Named\"}]}",
			 secret, &in_workspace, &reply) == 200) {
		const char *first = at_string(reply.body, "data.successful_ids.0");
		const char *second = at_string(reply.body, "data.successful_ids.1");
		json_object *failed = json_path_get(reply.body, "data.failed_items");
		ITEST_CHECK(first && strncmp(first, "pr_", 3) == 0 && second && strcmp(second, "bulk-named") == 0 && failed &&
						json_object_array_length(failed) == 0,
					"bulk answers the generated id: %s", json_object_to_json_string(reply.body));
		if (first) {
			snprintf(path, sizeof path, "/prompts/%s", first);
			find_status("DELETE", path, NULL, secret, &in_workspace, NULL);
		}
	} else {
		ITEST_CHECK(false, "bulk without ids: %ld", reply.status);
	}
	find_reply_free(&reply);
	find_status("DELETE", "/prompts/bulk-named", NULL, secret, &in_workspace, NULL);
	ITEST_CHECK(find_status("POST", "/prompts", "{\"id\":true,\"prompt\":\"x\"}", secret, &in_workspace,
							"VALIDATION_ERROR") == 400, "an id that is not a string is still refused");
}

bool find_chat_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_chat", find_chat_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "prompts_upsert_get_list_delete", prompts_upsert_get_list_delete, NULL) &&
		   itest_add_test(suite, "a_browser_thread_belongs_to_its_visitor", a_browser_thread_belongs_to_its_visitor, NULL) &&
		   itest_add_test(suite, "publishable_key_reads_prompts_but_cannot_write",
						  publishable_key_reads_prompts_but_cannot_write, NULL) &&
		   itest_add_test(suite, "bulk_upsert_reports_each_item", bulk_upsert_reports_each_item, NULL) &&
		   itest_add_test(suite, "prompt_search_ranks_by_text_with_scores", prompt_search_ranks_by_text_with_scores,
						  NULL) &&
		   itest_add_test(suite, "new_prompts_stop_at_the_plan_cap", new_prompts_stop_at_the_plan_cap, NULL) &&
		   itest_add_test(suite, "override_prompt_answers_with_its_canned_response",
						  override_prompt_answers_with_its_canned_response, NULL) &&
		   itest_add_test(suite, "fallback_prompt_answers_when_nothing_matches",
						  fallback_prompt_answers_when_nothing_matches, NULL) &&
		   itest_add_test(suite, "chat_shows_matching_products_and_posts", chat_shows_matching_products_and_posts,
						  NULL) &&
		   itest_add_test(suite, "chat_input_is_validated", chat_input_is_validated, NULL) &&
		   itest_add_test(suite, "thread_keeps_both_turns_of_every_exchange", thread_keeps_both_turns_of_every_exchange,
						  NULL) &&
		   itest_add_test(suite, "handoff_is_recorded_and_can_be_ended", handoff_is_recorded_and_can_be_ended, NULL) &&
		   itest_add_test(suite, "thread_search_filters_sorts_and_pages", thread_search_filters_sorts_and_pages, NULL) &&
		   itest_add_test(suite, "threads_export_as_json_and_csv", threads_export_as_json_and_csv, NULL) &&
		   itest_add_test(suite, "deleting_a_thread_removes_its_messages", deleting_a_thread_removes_its_messages,
						  NULL) &&
		   itest_add_test(suite, "streamed_chat_arrives_line_by_line", streamed_chat_arrives_line_by_line, NULL) &&
		   itest_add_test(suite, "streamed_chat_sends_products_and_posts_as_chunks",
						  streamed_chat_sends_products_and_posts_as_chunks, NULL) &&
		   itest_add_test(suite, "chat_takes_every_member_of_the_sdk_request", chat_takes_every_member_of_the_sdk_request,
						  NULL) &&
		   itest_add_test(suite, "a_prompt_without_id_gets_one", a_prompt_without_id_gets_one, NULL);
}

/*
 * Suite "find_insights": feedback (submit with secret and publishable keys,
 * lists and filters, per thread, figures, delete, validation, who may read,
 * tenant isolation), search and chat analytics over a known set of
 * searches and chats, and product recommendations on a known catalogue
 * (shared categories and brands rank first, exclusions and filters hold,
 * fallback, unknown product 404). Tests of routes another part of the
 * find API serves (product indexing and search, chat) are registered
 * inactive when the stack does not have those routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"

#define INSIGHTS_ORIGIN "https://insights.example"
#define INSIGHTS_WORKSPACE "insights-example"
#define CATALOGUE_WORKSPACE "recs"

static const char password[] = "find-insights-password-1";
/* A: the fixtures; B: another tenant that must see none of them. */
static char tenant_a[64], tenant_b[64];
static char admin_a[4097], admin_b[4097];
static char secret_a[80], publishable_a[80], secret_b[80];
static char first_feedback_id[32];
static char today[16], yesterday[16];

static const struct find_headers browser = { .origin = INSIGHTS_ORIGIN };
static const struct find_headers catalogue = { .workspace = CATALOGUE_WORKSPACE };

/* A Tenant Admin's tenant on the pro plan. */
static bool make_tenant_admin(const char *prefix, char *slug, size_t slug_size, char *token)
{
	if (!find_make_tenant_admin(prefix, "Find insights", password, slug, slug_size, token))
		return false;
	const char *plan[] = { "find-plan", "set", slug, "pro", NULL };
	return admin_command(plan, NULL) == 0;
}

/* One call; answers the status and keeps the body in *reply (caller frees). */
static long call(const char *method, const char *path, const char *body, const char *bearer,
				 const struct find_headers *headers, struct find_reply *reply)
{
	if (!find_call(method, path, body, bearer, headers, reply)) {
		reply->body = NULL;
		return 0;
	}
	return reply->status;
}

static int64_t int_at(json_object *body, const char *path)
{
	int64_t value = -1;
	return json_path_int64(body, path, &value) ? value : -1;
}

/* A number at path; -1 when absent (every figure checked here is >= 0). */
static double number_at(json_object *body, const char *path)
{
	json_object *value = json_path_get(body, path);
	if (value == NULL || !(json_object_is_type(value, json_type_double) || json_object_is_type(value, json_type_int)))
		return -1.0;
	return json_object_get_double(value);
}

/* part / whole as the API rounds it: 4 decimals. */
static double rounded_ratio(int64_t part, int64_t whole)
{
	return whole == 0 ? 0.0 : (double)(int64_t)((double)part * 10000.0 / (double)whole + 0.5) / 10000.0;
}

static size_t length_at(json_object *body, const char *path)
{
	json_object *value = json_path_get(body, path);
	return value != NULL && json_object_is_type(value, json_type_array) ? json_object_array_length(value) : (size_t)-1;
}

/* The string member of item i of the array at path. */
static const char *item_string(json_object *body, const char *path, size_t i, const char *member)
{
	json_object *array = json_path_get(body, path);
	if (array == NULL || !json_object_is_type(array, json_type_array) || i >= json_object_array_length(array))
		return NULL;
	return json_path_string(json_object_array_get_idx(array, i), member);
}

static const char *text_of(const struct find_reply *reply)
{
	return reply->body ? json_object_to_json_string(reply->body) : "(no body)";
}

static bool submit_feedback(const char *bearer, const struct find_headers *headers, const char *body, char *id,
							size_t id_size)
{
	struct find_reply reply;
	long status = call("POST", "/feedback", body, bearer, headers, &reply);
	const char *given = reply.body ? json_path_string(reply.body, "data.id") : NULL;
	bool ok = status == 201 && given != NULL && json_path_string(reply.body, "data.message") != NULL;
	if (!ok)
		fprintf(stderr, "find_insights: submit %s: %ld %s\n", body, status, text_of(&reply));
	if (ok && id != NULL)
		snprintf(id, id_size, "%s", given);
	if (status != 0)
		find_reply_free(&reply);
	return ok;
}

/* Whether the stack serves a route: asked without credentials, a route
 * that exists answers 401, one that does not 404 "No such resource". */
static int find_insights_init(void)
{
	time_t now = time(NULL), before = now - 86400;
	struct tm calendar;
	gmtime_r(&now, &calendar);
	strftime(today, sizeof today, "%Y-%m-%d", &calendar);
	gmtime_r(&before, &calendar);
	strftime(yesterday, sizeof yesterday, "%Y-%m-%d", &calendar);
	if (!make_tenant_admin("fia", tenant_a, sizeof tenant_a, admin_a) ||
		!make_tenant_admin("fib", tenant_b, sizeof tenant_b, admin_b))
		return 1;
	if (find_create_key(admin_a, "{\"label\":\"server\",\"keyType\":\"secret\"}", secret_a, sizeof secret_a, NULL, 0) != 201 ||
		find_create_key(admin_a,
						"{\"label\":\"browser\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"" INSIGHTS_ORIGIN "\"]}",
						publishable_a, sizeof publishable_a, NULL, 0) != 201 ||
		find_create_key(admin_b, "{\"label\":\"server\",\"keyType\":\"secret\"}", secret_b, sizeof secret_b, NULL, 0) != 201)
		return 1;
	/* The feedback fixture: 3 positive, 1 negative, two threads, one from the browser. */
	if (!submit_feedback(secret_a, NULL,
						 "{\"threadId\":\"thread-a\",\"rating\":\"positive\",\"comment\":\"Great\",\"messageIndex\":1,"
						 "\"metadata\":{\"page\":\"/lamps\"}}",
						 first_feedback_id, sizeof first_feedback_id) ||
		!submit_feedback(secret_a, NULL, "{\"threadId\":\"thread-a\",\"rating\":\"negative\",\"comment\":\"Wrong size\"}",
						 NULL, 0) ||
		!submit_feedback(publishable_a, &browser, "{\"threadId\":\"thread-b\",\"rating\":\"positive\"}", NULL, 0) ||
		!submit_feedback(secret_a, NULL, "{\"threadId\":\"thread-b\",\"rating\":\"positive\",\"messageIndex\":0}", NULL, 0))
		return 1;
	return 0;
}

/* ---------------------------------------------------------------- feedback */

static void feedback_is_listed_with_its_filters(void)
{
	struct find_reply reply;
	if (call("GET", "/feedback", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4 &&
						length_at(reply.body, "data.results") == 4 && int_at(reply.body, "data.limit") == 20 &&
						int_at(reply.body, "data.offset") == 0,
					"all four: %ld %s", reply.status, text_of(&reply));
		/* Newest first. */
		const char *thread = item_string(reply.body, "data.results", 0, "threadId");
		ITEST_CHECK(thread && strcmp(thread, "thread-b") == 0, "newest first: %s", thread ? thread : "?");
		/* The SDK's FeedbackEntry reads created_at; createdAt is kept beside it. */
		const char *created_at = item_string(reply.body, "data.results", 0, "created_at");
		const char *created_at_old = item_string(reply.body, "data.results", 0, "createdAt");
		ITEST_CHECK(created_at && strncmp(created_at, today, 10) == 0 && created_at_old &&
						strcmp(created_at, created_at_old) == 0,
					"entries carry created_at and createdAt: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/feedback?rating=negative", NULL, secret_a, NULL, &reply) != 0) {
		const char *comment = item_string(reply.body, "data.results", 0, "comment");
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 1 && comment &&
						strcmp(comment, "Wrong size") == 0, "negative only: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/feedback?threadId=thread-b&rating=positive", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 2, "thread-b: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/feedback?limit=1&offset=1", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4 &&
						length_at(reply.body, "data.results") == 1 && int_at(reply.body, "data.limit") == 1 &&
						int_at(reply.body, "data.offset") == 1, "page 2 of 1: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/feedback?offset=50", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4 &&
						length_at(reply.body, "data.results") == 0, "past the end keeps the total: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	char path[160];
	snprintf(path, sizeof path, "/feedback?dateFrom=%s&dateTo=%s", today, today);
	if (call("GET", path, NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4, "today: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/feedback?dateTo=%s", yesterday);
	if (call("GET", path, NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 0, "until yesterday: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	/* The browser's feedback carries its origin's workspace and its source. */
	struct find_headers workspace = { .workspace = INSIGHTS_WORKSPACE };
	if (call("GET", "/feedback", NULL, secret_a, &workspace, &reply) != 0) {
		const char *source = item_string(reply.body, "data.results", 0, "source");
		const char *thread = item_string(reply.body, "data.results", 0, "threadId");
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 1 && source &&
						strcmp(source, "publishable") == 0 && thread && strcmp(thread, "thread-b") == 0,
					"workspace %s: %s", INSIGHTS_WORKSPACE, text_of(&reply));
		find_reply_free(&reply);
	}
	/* A signed-in user reads the same list. */
	if (call("GET", "/feedback", NULL, admin_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4, "JWT: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

static void feedback_of_one_thread_comes_in_order(void)
{
	struct find_reply reply;
	if (call("GET", "/feedback/thread/thread-a", NULL, secret_a, NULL, &reply) == 0)
		return;
	/* The SDK's forThread reads FeedbackEntry[]: data is the array itself. */
	ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data") == 2, "thread-a: %s", text_of(&reply));
	const char *rating = item_string(reply.body, "data", 0, "rating");
	const char *source = item_string(reply.body, "data", 0, "source");
	const char *id = item_string(reply.body, "data", 0, "id");
	const char *created_at = item_string(reply.body, "data", 0, "created_at");
	json_object *results = json_path_get(reply.body, "data");
	json_object *first = results && json_object_is_type(results, json_type_array) ? json_object_array_get_idx(results, 0)
																				 : NULL;
	const char *page = first ? json_path_string(first, "metadata.page") : NULL;
	int64_t message_index = first ? int_at(first, "messageIndex") : -1;
	ITEST_CHECK(rating && strcmp(rating, "positive") == 0 && source && strcmp(source, "secret") == 0 && id &&
					strcmp(id, first_feedback_id) == 0 && page && strcmp(page, "/lamps") == 0 && message_index == 1 &&
					created_at && strncmp(created_at, today, 10) == 0,
				"first of thread-a as submitted: %s", text_of(&reply));
	find_reply_free(&reply);
	if (call("GET", "/feedback/thread/no-such-thread", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data") == 0, "unknown thread: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("GET", "/feedback/thread/bad%20id", NULL, secret_a, NULL, "VALIDATION_ERROR") == 400,
				"a malformed thread id");
}

static void feedback_figures_match_the_fixture(void)
{
	static const char *const paths[] = { "/feedback/analytics", "/analytics/feedback" };
	for (size_t i = 0; i < 2; i++) {
		struct find_reply reply;
		if (call("GET", paths[i], NULL, secret_a, NULL, &reply) == 0)
			continue;
		const char *period = item_string(reply.body, "data.by_period", 0, "period");
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 4 &&
						int_at(reply.body, "data.positive") == 3 && int_at(reply.body, "data.negative") == 1 &&
						number_at(reply.body, "data.positive_rate") == 0.75 && length_at(reply.body, "data.by_period") == 1 &&
						period && strcmp(period, today) == 0,
					"%s: %s", paths[i], text_of(&reply));
		json_object *bucket = json_object_array_get_idx(json_path_get(reply.body, "data.by_period"), 0);
		ITEST_CHECK(bucket && int_at(bucket, "total") == 4 && int_at(bucket, "positive") == 3 &&
						int_at(bucket, "negative") == 1, "%s bucket: %s", paths[i], text_of(&reply));
		find_reply_free(&reply);
	}
	struct find_reply reply;
	if (call("GET", "/feedback/analytics?period=month", NULL, secret_a, NULL, &reply) != 0) {
		const char *period = item_string(reply.body, "data.by_period", 0, "period");
		ITEST_CHECK(reply.status == 200 && period && strlen(period) == 7 && strncmp(period, today, 7) == 0,
					"by month: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	char path[160];
	snprintf(path, sizeof path, "/feedback/analytics?dateTo=%s", yesterday);
	if (call("GET", path, NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total") == 0 &&
						number_at(reply.body, "data.positive_rate") == 0.0 && length_at(reply.body, "data.by_period") == 0,
					"nothing before today: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

/* POST /feedback answers the entry it stored: the SDK's FeedbackEntry. */
static void submitted_feedback_answers_the_entry(void)
{
	struct find_reply reply;
	if (call("POST", "/feedback",
			 "{\"threadId\":\"thread-entry\",\"rating\":\"negative\",\"comment\":\"Too slow\",\"messageIndex\":2,"
			 "\"metadata\":{\"page\":\"/cart\"}}",
			 secret_a, NULL, &reply) == 0)
		return;
	const char *id = json_path_string(reply.body, "data.id");
	const char *created_at = json_path_string(reply.body, "data.created_at");
	const char *page = json_path_string(reply.body, "data.metadata.page");
	const char *thread = json_path_string(reply.body, "data.threadId");
	const char *rating = json_path_string(reply.body, "data.rating");
	const char *comment = json_path_string(reply.body, "data.comment");
	ITEST_CHECK(reply.status == 201 && id && strtoll(id, NULL, 10) > 0 && thread && strcmp(thread, "thread-entry") == 0 &&
					rating && strcmp(rating, "negative") == 0 && comment && strcmp(comment, "Too slow") == 0 &&
					int_at(reply.body, "data.messageIndex") == 2 && page && strcmp(page, "/cart") == 0 && created_at &&
					strncmp(created_at, today, 10) == 0 && json_path_string(reply.body, "data.message") != NULL,
				"the created entry: %s", text_of(&reply));
	char stored_id[32] = "";
	snprintf(stored_id, sizeof stored_id, "%s", id ? id : "");
	find_reply_free(&reply);
	/* It reads back the same through the thread's list. */
	if (call("GET", "/feedback/thread/thread-entry", NULL, secret_a, NULL, &reply) != 0) {
		const char *listed = item_string(reply.body, "data", 0, "id");
		ITEST_CHECK(reply.status == 200 && listed && strcmp(listed, stored_id) == 0, "listed: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	/* Without the optional members they are absent (the SDK's types have no null). */
	if (call("POST", "/feedback", "{\"threadId\":\"thread-entry\",\"rating\":\"positive\"}", secret_a, NULL, &reply) != 0) {
		json_object *data = json_path_get(reply.body, "data"), *member = NULL;
		ITEST_CHECK(reply.status == 201 && data && !json_object_object_get_ex(data, "comment", &member) &&
						!json_object_object_get_ex(data, "messageIndex", &member) &&
						!json_object_object_get_ex(data, "metadata", &member),
				"optional members absent: %s", text_of(&reply));
		const char *second = json_path_string(reply.body, "data.id");
		char path[96];
		snprintf(path, sizeof path, "/feedback/%s", second ? second : "0");
		find_status("DELETE", path, NULL, secret_a, NULL, NULL);
		find_reply_free(&reply);
	}
	char path[96];
	snprintf(path, sizeof path, "/feedback/%s", stored_id);
	find_status("DELETE", path, NULL, secret_a, NULL, NULL);
}

static void feedback_is_deleted_once(void)
{
	char id[32] = "", path[96];
	ITEST_CHECK(submit_feedback(secret_a, NULL, "{\"threadId\":\"thread-gone\",\"rating\":\"negative\"}", id, sizeof id),
				"submit one to delete");
	snprintf(path, sizeof path, "/feedback/%s", id);
	ITEST_CHECK(find_status("DELETE", path, NULL, publishable_a, &browser, "FORBIDDEN") == 403,
				"a publishable key does not delete");
	ITEST_CHECK(find_status("DELETE", path, NULL, secret_b, NULL, "NOT_FOUND") == 404, "another tenant does not delete");
	struct find_reply reply;
	if (call("DELETE", path, NULL, secret_a, NULL, &reply) != 0) {
		const char *answered_id = json_path_string(reply.body, "data.id");
		const char *message = json_path_string(reply.body, "data.message");
		ITEST_CHECK(reply.status == 200 && answered_id && strcmp(answered_id, id) == 0 && message && message[0] != '\0' &&
						json_object_get_boolean(json_path_get(reply.body, "data.deleted")),
					"delete answers {id, message, deleted}: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("DELETE", path, NULL, secret_a, NULL, "NOT_FOUND") == 404, "gone");
	ITEST_CHECK(find_status("DELETE", "/feedback/not-a-number", NULL, secret_a, NULL, "NOT_FOUND") == 404, "bad id");
	if (call("GET", "/feedback/thread/thread-gone", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data") == 0, "not listed: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	/* A signed-in admin (find.manage) deletes too. */
	ITEST_CHECK(submit_feedback(secret_a, NULL, "{\"threadId\":\"thread-gone\",\"rating\":\"positive\"}", id, sizeof id),
				"submit another");
	snprintf(path, sizeof path, "/feedback/%s", id);
	ITEST_CHECK(find_status("DELETE", path, NULL, admin_a, NULL, NULL) == 200, "delete as admin");
}

static void feedback_input_is_validated(void)
{
	char comment[2100], metadata[4300], long_thread[80], body[4600];
	memset(comment, 'c', 2001);
	comment[2001] = '\0';
	memset(long_thread, 't', 65);
	long_thread[65] = '\0';
	snprintf(metadata, sizeof metadata, "{\"blob\":\"%4090d\"}", 1);
	static const char *const bodies[] = {
		"{\"rating\":\"positive\"}",
		"{\"threadId\":\"t1\"}",
		"{\"threadId\":\"t1\",\"rating\":\"meh\"}",
		"{\"threadId\":\"a b\",\"rating\":\"positive\"}",
		"{\"threadId\":\"t1\",\"rating\":\"positive\",\"messageIndex\":-1}",
		"{\"threadId\":\"t1\",\"rating\":\"positive\",\"metadata\":[1]}",
		"{\"threadId\":\"t1\",\"rating\":\"positive\",\"mood\":\"happy\"}",
		"[1]",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		ITEST_CHECK(find_status("POST", "/feedback", bodies[i], secret_a, NULL, "VALIDATION_ERROR") == 400, "refused: %s",
					bodies[i]);
	snprintf(body, sizeof body, "{\"threadId\":\"%s\",\"rating\":\"positive\"}", long_thread);
	ITEST_CHECK(find_status("POST", "/feedback", body, secret_a, NULL, "VALIDATION_ERROR") == 400, "65-character thread");
	snprintf(body, sizeof body, "{\"threadId\":\"t1\",\"rating\":\"positive\",\"comment\":\"%s\"}", comment);
	ITEST_CHECK(find_status("POST", "/feedback", body, secret_a, NULL, "VALIDATION_ERROR") == 400, "2001-byte comment");
	comment[2000] = '\0';
	snprintf(body, sizeof body, "{\"threadId\":\"t1\",\"rating\":\"positive\",\"comment\":\"%s\"}", comment);
	char id[32] = "";
	ITEST_CHECK(submit_feedback(secret_a, NULL, body, id, sizeof id), "2000-byte comment accepted");
	char path[96];
	snprintf(path, sizeof path, "/feedback/%s", id);
	ITEST_CHECK(find_status("DELETE", path, NULL, secret_a, NULL, NULL) == 200, "and removed again");
	snprintf(body, sizeof body, "{\"threadId\":\"t1\",\"rating\":\"positive\",\"metadata\":%s}", metadata);
	ITEST_CHECK(find_status("POST", "/feedback", body, secret_a, NULL, "VALIDATION_ERROR") == 400, "metadata over 4 KiB");

	static const char *const queries[] = {
		"/feedback?rating=meh", "/feedback?limit=0", "/feedback?limit=101", "/feedback?offset=-1",
		"/feedback?dateFrom=2026-13-01", "/feedback?dateFrom=2026-02-02&dateTo=2026-02-01", "/feedback?threadId=a%20b",
		"/feedback/analytics?period=year", "/analytics/feedback?dateTo=tomorrow",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		ITEST_CHECK(find_status("GET", queries[i], NULL, secret_a, NULL, "VALIDATION_ERROR") == 400, "refused: %s",
					queries[i]);
}

static void publishable_keys_submit_but_do_not_read(void)
{
	static const char *const paths[] = { "/feedback", "/feedback/analytics", "/feedback/thread/thread-a",
										 "/analytics/search", "/analytics/chat", "/analytics/feedback" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		ITEST_CHECK(find_status("GET", paths[i], NULL, publishable_a, &browser, "FORBIDDEN") == 403, "publishable GET %s",
					paths[i]);
	/* Without its origin the key is refused even for submitting. */
	ITEST_CHECK(find_status("POST", "/feedback", "{\"threadId\":\"t1\",\"rating\":\"positive\"}", publishable_a, NULL,
							"FORBIDDEN") == 403, "publishable without Origin");
	ITEST_CHECK(find_status("POST", "/feedback", "{\"threadId\":\"t1\",\"rating\":\"positive\"}", NULL, NULL,
							"UNAUTHORIZED") == 401, "no credentials");
}

static void another_tenant_sees_none_of_it(void)
{
	static const char *const paths[] = { "/feedback", "/feedback/thread/thread-a", "/feedback/analytics",
										 "/analytics/feedback" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct find_reply reply;
		if (call("GET", paths[i], NULL, secret_b, NULL, &reply) == 0)
			continue;
		/* A thread's feedback is an array; the others carry a total. */
		bool none = strncmp(paths[i], "/feedback/thread/", 17) == 0 ? length_at(reply.body, "data") == 0
																	: int_at(reply.body, "data.total") == 0;
		ITEST_CHECK(reply.status == 200 && none, "tenant B %s: %s", paths[i], text_of(&reply));
		find_reply_free(&reply);
	}
	struct find_reply reply;
	if (call("GET", "/analytics/search", NULL, secret_b, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total_searches") == 0 &&
						int_at(reply.body, "data.unique_queries") == 0 && length_at(reply.body, "data.top_queries") == 0,
					"tenant B searches: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

/* ---------------------------------------------------------------- analytics without fixtures */

static void analytics_periods_cover_every_requested_day(void)
{
	struct find_reply reply;
	if (call("GET", "/analytics/chat?days=7", NULL, secret_b, NULL, &reply) != 0) {
		const char *last = item_string(reply.body, "data.by_period", 6, "date");
		/* The SDK reads period; date stays beside it. */
		const char *last_period = item_string(reply.body, "data.by_period", 6, "period");
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.by_period") == 7 && last &&
						strcmp(last, today) == 0 && last_period && strcmp(last_period, today) == 0 &&
						int_at(reply.body, "data.total_messages") == 0 &&
						int_at(reply.body, "data.total_threads") == 0 &&
						number_at(reply.body, "data.avg_messages_per_thread") == 0.0 &&
						number_at(reply.body, "data.handoff_rate") == 0.0,
					"seven quiet days ending today: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/analytics/search", NULL, secret_b, NULL, &reply) != 0) {
		const char *last_period = item_string(reply.body, "data.by_period", 29, "period");
		const char *last_date = item_string(reply.body, "data.by_period", 29, "date");
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.by_period") == 30 &&
						number_at(reply.body, "data.zero_result_rate") == 0.0 && last_period &&
						strcmp(last_period, today) == 0 && last_date && strcmp(last_date, today) == 0,
					"thirty days by default, each with period and date: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	static const char *const refused[] = { "/analytics/search?days=0", "/analytics/search?days=366",
										   "/analytics/search?topN=0", "/analytics/search?topN=101",
										   "/analytics/chat?days=abc" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ITEST_CHECK(find_status("GET", refused[i], NULL, secret_b, NULL, "VALIDATION_ERROR") == 400, "refused: %s",
					refused[i]);
}

/* ---------------------------------------------------------------- search analytics (content routes) */

/* One product search; returns the total it reported, -1 on failure. */
static int64_t search(const char *text)
{
	char body[200];
	snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
	struct find_reply reply;
	if (call("POST", "/products/search", body, secret_a, &catalogue, &reply) == 0)
		return -1;
	int64_t total = reply.status == 200 ? int_at(reply.body, "data.total") : -1;
	if (total < 0)
		fprintf(stderr, "find_insights: search %s: %ld %s\n", text, reply.status, text_of(&reply));
	find_reply_free(&reply);
	return total;
}

static bool index_product(const char *workspace, const char *body)
{
	struct find_headers headers = { .workspace = workspace };
	struct find_reply reply;
	long status = call("POST", "/products", body, secret_a, &headers, &reply);
	bool ok = status == 200 || status == 201;
	if (!ok)
		fprintf(stderr, "find_insights: index %s: %ld %s\n", body, status, text_of(&reply));
	if (status != 0)
		find_reply_free(&reply);
	return ok;
}

/* The catalogue: lamp-1 is the source; lamp-2 shares both categories and
 * the brand (0.6), lamp-4 only the tag (0.2), lamp-3 one category (0.175);
 * chair-1 shares nothing. Two more in the browser's workspace. */
static bool catalogue_indexed;

static bool index_catalogue(void)
{
	if (catalogue_indexed)
		return true;
	catalogue_indexed =
		index_product(CATALOGUE_WORKSPACE, "{\"id\":\"lamp-1\",\"name\":\"Garden Lantern\",\"price\":10,"
										   "\"categories\":[\"Lighting\",\"Outdoor\"],\"brands\":[\"Lux\"],\"tags\":[\"solar\"]}") &&
		index_product(CATALOGUE_WORKSPACE, "{\"id\":\"lamp-2\",\"name\":\"Porch Lantern\",\"price\":10,"
										   "\"categories\":[\"Lighting\",\"Outdoor\"],\"brands\":[\"Lux\"]}") &&
		index_product(CATALOGUE_WORKSPACE, "{\"id\":\"lamp-3\",\"name\":\"Desk Lamp\",\"price\":10,"
										   "\"categories\":[\"Lighting\"],\"brands\":[\"Nova\"]}") &&
		index_product(CATALOGUE_WORKSPACE, "{\"id\":\"lamp-4\",\"name\":\"Solar Panel\",\"price\":99,"
										   "\"categories\":[\"Energy\"],\"brands\":[\"Sun\"],\"tags\":[\"solar\"]}") &&
		index_product(CATALOGUE_WORKSPACE, "{\"id\":\"chair-1\",\"name\":\"Oak Chair\",\"price\":40,"
										   "\"categories\":[\"Furniture\"],\"brands\":[\"Oak\"]}") &&
		index_product(INSIGHTS_WORKSPACE, "{\"id\":\"w-1\",\"name\":\"Shop Lantern\",\"price\":12,"
										  "\"categories\":[\"Lighting\"]}") &&
		index_product(INSIGHTS_WORKSPACE, "{\"id\":\"w-2\",\"name\":\"Shop Lamp\",\"price\":12,"
										  "\"categories\":[\"Lighting\"]}");
	return catalogue_indexed;
}

static void search_figures_follow_the_searches_made(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	/* "Lantern", "lantern " and "LANTERN" are one query; the nonsense finds nothing. */
	int64_t totals[4] = { search("Lantern"), search("lantern "), search("LANTERN"), search("zzqxvvk") };
	ITEST_CHECK(totals[0] >= 1 && totals[1] == totals[0] && totals[2] == totals[0] && totals[3] == 0,
				"search totals %lld %lld %lld %lld", (long long)totals[0], (long long)totals[1], (long long)totals[2],
				(long long)totals[3]);
	int64_t sum = totals[0] * 3;
	/* The log is written after each response: wait for all four. */
	struct find_reply reply = { 0 };
	long status = 0;
	for (int attempt = 0; attempt < 30; attempt++) {
		status = call("GET", "/analytics/search?days=1", NULL, secret_a, NULL, &reply);
		if (status == 200 && int_at(reply.body, "data.total_searches") >= 4)
			break;
		if (status != 0)
			find_reply_free(&reply);
		reply.body = NULL;
		usleep(100 * 1000);
	}
	if (reply.body == NULL) {
		ITEST_CHECK(false, "analytics/search never showed four searches (%ld)", status);
		return;
	}
	double average = rounded_ratio(sum, 4);
	const char *top = item_string(reply.body, "data.top_queries", 0, "query");
	const char *second = item_string(reply.body, "data.top_queries", 1, "query");
	const char *day = item_string(reply.body, "data.by_period", 0, "period");
	json_object *top_entry = json_object_array_get_idx(json_path_get(reply.body, "data.top_queries"), 0);
	json_object *day_entry = json_object_array_get_idx(json_path_get(reply.body, "data.by_period"), 0);
	ITEST_CHECK(int_at(reply.body, "data.total_searches") == 4 && int_at(reply.body, "data.unique_queries") == 2 &&
					number_at(reply.body, "data.zero_result_rate") == 0.25 &&
					number_at(reply.body, "data.avg_results") == average,
				"totals (avg %.4f): %s", average, text_of(&reply));
	ITEST_CHECK(top && strcmp(top, "lantern") == 0 && top_entry && int_at(top_entry, "count") == 3 &&
					number_at(top_entry, "avg_results") == (double)totals[0] && second && strcmp(second, "zzqxvvk") == 0,
				"top queries: %s", text_of(&reply));
	ITEST_CHECK(length_at(reply.body, "data.by_period") == 1 && day && strcmp(day, today) == 0 && day_entry &&
					int_at(day_entry, "searches") == 4 && int_at(day_entry, "zero_results") == 1,
				"today: %s", text_of(&reply));
	find_reply_free(&reply);
	if (call("GET", "/analytics/search?days=1&topN=1", NULL, secret_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.top_queries") == 1 &&
						int_at(reply.body, "data.unique_queries") == 2, "topN=1: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

/* total_searches of /analytics/search<query>, polled until it is wanted (the
 * log is written after each response; a negative wanted reads once); -1 on a
 * failed call. */
static int64_t searches_when(const char *query, const struct find_headers *headers, int64_t wanted)
{
	char path[256];
	snprintf(path, sizeof path, "/analytics/search%s", query);
	int64_t total = -1;
	for (int attempt = 0; attempt < 30; attempt++) {
		struct find_reply reply;
		if (call("GET", path, NULL, secret_a, headers, &reply) == 0)
			return -1;
		total = reply.status == 200 ? int_at(reply.body, "data.total_searches") : -1;
		if (reply.status != 200)
			fprintf(stderr, "find_insights: GET %s: %ld %s\n", path, reply.status, text_of(&reply));
		find_reply_free(&reply);
		if (wanted < 0 || total == wanted || total < 0)
			break;
		usleep(100 * 1000);
	}
	return total;
}

/* The SDK's searchContext is kept with each logged search and is what
 * ?source= filters on; useAgent is taken and answered agent_used false;
 * ?workspaceId= names the workspace like X-Workspace-ID. */
static void search_context_is_logged_and_filtered_by_source(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	int64_t before = searches_when("?days=1", NULL, -1);
	static const struct {
		const char *path, *body;
	} searches[] = {
		{ "/products/search", "{\"text\":\"Lantern\",\"searchContext\":\"widget\",\"useAgent\":true}" },
		{ "/products/search", "{\"text\":\"solar\",\"searchContext\":\"widget\"}" },
		{ "/posts/search", "{\"text\":\"lantern\",\"searchContext\":\"api\",\"useAgent\":false}" },
	};
	for (size_t i = 0; i < sizeof searches / sizeof searches[0]; i++) {
		struct find_reply reply;
		if (call("POST", searches[i].path, searches[i].body, secret_a, &catalogue, &reply) == 0)
			continue;
		json_object *agent_used = json_path_get(reply.body, "data.agent_used");
		ITEST_CHECK(reply.status == 200 && agent_used && json_object_is_type(agent_used, json_type_boolean) &&
						!json_object_get_boolean(agent_used),
					"%s %s: 200 with agent_used false: %s", searches[i].path, searches[i].body, text_of(&reply));
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"x\",\"searchContext\":\"browser\"}", secret_a,
							&catalogue, "VALIDATION_ERROR") == 400, "an unknown searchContext is refused");
	ITEST_CHECK(find_status("POST", "/posts/search", "{\"text\":\"x\",\"useAgent\":1}", secret_a, &catalogue,
							"VALIDATION_ERROR") == 400, "useAgent must be a boolean");
	int64_t all = searches_when("?days=1", NULL, before + 3);
	ITEST_CHECK(before >= 0 && all == before + 3, "three more searches logged: %lld then %lld", (long long)before,
				(long long)all);
	ITEST_CHECK(searches_when("?days=1&source=widget", NULL, 2) == 2, "source=widget: the two widget searches");
	ITEST_CHECK(searches_when("?days=1&source=api", NULL, 1) == 1, "source=api: the post search");
	ITEST_CHECK(searches_when("?days=1&source=chat", NULL, 0) == 0, "source=chat: none");
	ITEST_CHECK(searches_when("?days=1&source=unknown", NULL, before) == before,
				"source=unknown: the searches sent without a context");
	ITEST_CHECK(searches_when("?days=1&source=widget&workspaceId=" CATALOGUE_WORKSPACE, NULL, 2) == 2,
				"workspaceId names the workspace searched");
	ITEST_CHECK(searches_when("?days=1&source=widget&workspaceId=" INSIGHTS_WORKSPACE, NULL, 0) == 0,
				"and another workspace has none of them");
	ITEST_CHECK(searches_when("?days=1&source=widget&workspaceId=" CATALOGUE_WORKSPACE, &catalogue, 2) == 2,
				"workspaceId agreeing with X-Workspace-ID");
	ITEST_CHECK(find_status("GET", "/analytics/search?workspaceId=" INSIGHTS_WORKSPACE, NULL, secret_a, &catalogue,
							"VALIDATION_ERROR") == 400, "workspaceId disagreeing with X-Workspace-ID");
	ITEST_CHECK(find_status("GET", "/analytics/search?workspaceId=Not%20One", NULL, secret_a, NULL, "VALIDATION_ERROR") ==
					400, "a malformed workspaceId");
	ITEST_CHECK(find_status("GET", "/analytics/search?source=browser", NULL, secret_a, NULL, "VALIDATION_ERROR") == 400,
				"an unknown source");
}

/* ---------------------------------------------------------------- recommendations (content routes) */

static long recommend(const char *body, const char *bearer, const struct find_headers *headers, struct find_reply *reply)
{
	return call("POST", "/recommendations/products", body, bearer, headers, reply);
}

static const char *recommended(const struct find_reply *reply, size_t i)
{
	return item_string(reply->body, "data.recommendations", i, "id");
}

static bool is(const char *value, const char *expected)
{
	return value != NULL && strcmp(value, expected) == 0;
}

static void shared_categories_and_brand_rank_first(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	struct find_reply reply;
	if (recommend("{\"productId\":\"lamp-1\"}", secret_a, &catalogue, &reply) == 0)
		return;
	json_object *first = json_object_array_get_idx(json_path_get(reply.body, "data.recommendations"), 0);
	json_object *reasons = first ? json_path_get(first, "reasons") : NULL;
	ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 3 &&
					is(recommended(&reply, 0), "lamp-2") && is(recommended(&reply, 1), "lamp-4") &&
					is(recommended(&reply, 2), "lamp-3"),
				"lamp-2, lamp-4, lamp-3: %s", text_of(&reply));
	ITEST_CHECK(first && number_at(first, "score") == 0.6 && reasons && json_object_array_length(reasons) == 2 &&
					is(json_path_string(first, "name"), "Porch Lantern"),
				"lamp-2 as a product with its score and reasons: %s", text_of(&reply));
	ITEST_CHECK(int_at(reply.body, "data.totalCandidates") == 3 &&
					json_object_get_boolean(json_path_get(reply.body, "data.fallbackApplied")) == 0 &&
					number_at(reply.body, "data.weights.categories") == 0.35 &&
					number_at(reply.body, "data.weights.cooccurrence") == 0.2 &&
					length_at(reply.body, "data.usedStrategies") == 3,
				"the answer's members: %s", text_of(&reply));
	ITEST_CHECK(json_path_get(reply.body, "usage.quota") != NULL, "metered: %s", text_of(&reply));
	find_reply_free(&reply);

	/* Without X-Workspace-ID the product is found in its workspace. */
	if (recommend("{\"productId\":\"lamp-1\",\"maxRecommendations\":1}", admin_a, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 1 &&
						is(recommended(&reply, 0), "lamp-2") && int_at(reply.body, "data.totalCandidates") == 3,
					"one, signed in: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

static void exclusions_and_filters_are_honoured(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	struct find_reply reply;
	if (recommend("{\"productId\":\"lamp-1\",\"excludeProductIds\":[\"lamp-2\"]}", secret_a, &catalogue, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 2 &&
						is(recommended(&reply, 0), "lamp-4") && is(recommended(&reply, 1), "lamp-3"),
					"without lamp-2: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"productFilter\":{\"brands\":[\"Nova\"]}}", secret_a, &catalogue, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 1 &&
						is(recommended(&reply, 0), "lamp-3"), "brand Nova: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"productFilter\":{\"max_price\":20}}", secret_a, &catalogue, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 2 &&
						is(recommended(&reply, 0), "lamp-2") && is(recommended(&reply, 1), "lamp-3"),
					"at most 20: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	ITEST_CHECK(recommend("{\"productId\":\"no-such-product\"}", secret_a, &catalogue, &reply) == 404 &&
					strcmp(find_error_code(&reply), "NOT_FOUND") == 0, "unknown product 404");
	find_reply_free(&reply);
	static const char *const refused[] = {
		"{}", "{\"productId\":\"lamp-1\",\"maxRecommendations\":51}", "{\"productId\":\"lamp-1\",\"productFilter\":{\"colour\":1}}",
		"{\"productId\":\"lamp-1\",\"productFilter\":{\"min_price\":5,\"max_price\":1}}",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ITEST_CHECK(find_status("POST", "/recommendations/products", refused[i], secret_a, &catalogue, "VALIDATION_ERROR") ==
						400, "refused: %s", refused[i]);
}

static void nothing_in_common_falls_back_to_recent_products(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	struct find_reply reply;
	if (recommend("{\"productId\":\"chair-1\",\"maxRecommendations\":10}", secret_a, &catalogue, &reply) == 0)
		return;
	bool has_self = false;
	for (size_t i = 0; i < 10; i++)
		has_self = has_self || is(recommended(&reply, i), "chair-1");
	json_object *strategies = json_path_get(reply.body, "data.usedStrategies");
	ITEST_CHECK(reply.status == 200 && json_object_get_boolean(json_path_get(reply.body, "data.fallbackApplied")) &&
					length_at(reply.body, "data.recommendations") == 4 && !has_self && strategies &&
					json_object_array_length(strategies) == 1 &&
					is(json_object_get_string(json_object_array_get_idx(strategies, 0)), "recent"),
				"fallback: %s", text_of(&reply));
	find_reply_free(&reply);
}

static void browser_recommendations_stay_in_its_workspace(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	struct find_reply reply;
	if (recommend("{\"productId\":\"w-1\"}", publishable_a, &browser, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && length_at(reply.body, "data.recommendations") == 1 &&
						is(recommended(&reply, 0), "w-2"), "from the browser: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	ITEST_CHECK(recommend("{\"productId\":\"lamp-1\"}", publishable_a, &browser, &reply) == 404,
				"another workspace's product is unknown to the browser");
	find_reply_free(&reply);
	ITEST_CHECK(recommend("{\"productId\":\"lamp-1\"}", secret_b, NULL, &reply) == 404, "and to another tenant");
	find_reply_free(&reply);
}

/* ---------------------------------------------------------------- chat analytics (chat routes) */

/* Whether the chat answer in reply showed the product. */
static bool chat_showed(const struct find_reply *reply, const char *product_id)
{
	for (size_t i = 0; i < 20; i++)
		if (is(item_string(reply->body, "data.message.products", i, "id"), product_id))
			return true;
	return false;
}

static void chat_figures_follow_the_messages_sent(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	/* The last question shows the chair and the desk lamp together: they
	 * share no term, so only co-occurrence can relate them. Each matches
	 * one word found in no other product, so both score the same whatever
	 * else the tenant's catalogue holds, and the chat's relevance floor
	 * keeps both. */
	static const char *const chats[][2] = { { "chat-one", "Do you sell lanterns?" },
											{ "chat-one", "And solar ones?" },
											{ "chat-two", "A chair or a desk?" } };
	bool shown_together = false;
	for (size_t i = 0; i < 3; i++) {
		char body[200];
		snprintf(body, sizeof body, "{\"message\":\"%s\",\"threadId\":\"%s\"}", chats[i][1], chats[i][0]);
		struct find_reply reply;
		if (call("POST", "/chat", body, secret_a, &catalogue, &reply) == 0)
			continue;
		ITEST_CHECK(reply.status == 200, "chat %zu: %ld %s", i, reply.status, text_of(&reply));
		if (i == 2) {
			shown_together = chat_showed(&reply, "chair-1") && chat_showed(&reply, "lamp-3");
			ITEST_CHECK(shown_together, "the last chat shows chair-1 and lamp-3: %s", text_of(&reply));
		}
		find_reply_free(&reply);
	}
	struct find_reply reply;
	if (call("GET", "/analytics/chat?days=1", NULL, secret_a, NULL, &reply) != 0) {
		int64_t messages = int_at(reply.body, "data.total_messages");
		json_object *day = json_object_array_get_idx(json_path_get(reply.body, "data.by_period"), 0);
		/* Each visitor message is stored with the answer the chat gave: 3 x 2. */
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total_threads") == 2 && messages == 6 &&
						number_at(reply.body, "data.avg_messages_per_thread") == 3.0 &&
						number_at(reply.body, "data.handoff_rate") == 0.0 && length_at(reply.body, "data.by_period") == 1 &&
						day && is(json_path_string(day, "date"), today) && is(json_path_string(day, "period"), today) &&
						int_at(day, "messages") == 6 &&
						int_at(day, "threads") == 2,
					"chat figures: %s", text_of(&reply));
		find_reply_free(&reply);
	}
	if (call("GET", "/analytics/chat?days=1", NULL, secret_b, NULL, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && int_at(reply.body, "data.total_threads") == 0, "not another tenant's: %s",
					text_of(&reply));
		find_reply_free(&reply);
	}

	/* Co-occurrence: the chair now has a companion instead of the fallback. */
	if (!ITEST_CHECK(shown_together, "the chat showed chair-1 and lamp-3 together"))
		return;
	if (recommend("{\"productId\":\"chair-1\"}", secret_a, &catalogue, &reply) != 0) {
		json_object *first = json_object_array_get_idx(json_path_get(reply.body, "data.recommendations"), 0);
		json_object *reasons = first ? json_path_get(first, "reasons") : NULL;
		ITEST_CHECK(reply.status == 200 && !json_object_get_boolean(json_path_get(reply.body, "data.fallbackApplied")) &&
						is(recommended(&reply, 0), "lamp-3") && reasons && json_object_array_length(reasons) == 1 &&
						is(json_object_get_string(json_object_array_get_idx(reasons, 0)), "viewed_together") &&
						number_at(first, "score") == 0.0667,
					"viewed together: %s", text_of(&reply));
		find_reply_free(&reply);
	}
}

/* "id:reason+reason,…" of the recommendations. */
static void recommendation_text(const struct find_reply *reply, char *out, size_t out_size)
{
	size_t used = 0;
	out[0] = '\0';
	json_object *list = json_path_get(reply->body, "data.recommendations");
	for (size_t i = 0; list && i < json_object_array_length(list) && used < out_size; i++) {
		json_object *item = json_object_array_get_idx(list, i), *reasons = json_path_get(item, "reasons");
		const char *id = json_path_string(item, "id");
		used += (size_t)snprintf(out + used, out_size - used, "%s%s:", i ? "," : "", id ? id : "?");
		for (size_t r = 0; reasons && r < json_object_array_length(reasons) && used < out_size; r++)
			used += (size_t)snprintf(out + used, out_size - used, "%s%s", r ? "+" : "",
									 json_object_get_string(json_object_array_get_idx(reasons, r)));
	}
}

static bool strategies_include(const struct find_reply *reply, const char *strategy)
{
	json_object *list = json_path_get(reply->body, "data.usedStrategies");
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (is(json_object_get_string(json_object_array_get_idx(list, i)), strategy))
			return true;
	return false;
}

/* The SDK's RecommendationRequest members: complimentaryProducts come
 * first, basketAffinity adds to co-occurrence, weights replace the
 * defaults (normalised), userId brings in what that visitor was shown. */
static void sdk_recommendation_members_change_the_ranking(void)
{
	if (!ITEST_CHECK(index_catalogue(), "catalogue indexed"))
		return;
	struct find_reply reply;
	char text[512];
	if (recommend("{\"productId\":\"lamp-1\",\"complimentaryProducts\":[\"chair-1\",\"no-such\",\"lamp-3\"]}",
				  secret_a, &catalogue, &reply) != 0) {
		recommendation_text(&reply, text, sizeof text);
		/* What follows them depends on what earlier chats showed together:
		 * "Do you sell lanterns?" shows both lanterns (lanterns is one edit
		 * from the tenant's word lantern), so lamp-2 was viewed with lamp-1. */
		static const char first[] = "chair-1:complementary,lamp-3:complementary+shared_categories,"
									"lamp-2:shared_categories+shared_brands+viewed_together,";
		ITEST_CHECK(reply.status == 200 && strncmp(text, first, sizeof first - 1) == 0 &&
						strstr(text, "no-such") == NULL && strategies_include(&reply, "complementary"),
					"complementary first, in their order: [%s] %s", text, text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"basketAffinity\":[{\"productId\":\"chair-1\",\"frequency\":3}]}",
				  secret_a, &catalogue, &reply) != 0) {
		recommendation_text(&reply, text, sizeof text);
		json_object *list = json_path_get(reply.body, "data.recommendations"), *chair = NULL;
		for (size_t i = 0; list && i < json_object_array_length(list); i++)
			if (is(json_path_string(json_object_array_get_idx(list, i), "id"), "chair-1"))
				chair = json_object_array_get_idx(list, i);
		const char *chair_at = strstr(text, "chair-1:viewed_together"), *lamp_3_at = strstr(text, "lamp-3:");
		ITEST_CHECK(reply.status == 200 && strncmp(text, "lamp-2:", 7) == 0 && chair && number_at(chair, "score") == 0.2 &&
						chair_at && lamp_3_at && chair_at < lamp_3_at,
					"a basket affinity counts as threads together (0.2, above lamp-3's 0.175): [%s] %s", text,
					text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"weights\":{\"similarProducts\":0,\"basketAffinity\":2},"
				  "\"basketAffinity\":[{\"productId\":\"chair-1\",\"frequency\":3}]}",
				  secret_a, &catalogue, &reply) != 0) {
		recommendation_text(&reply, text, sizeof text);
		ITEST_CHECK(reply.status == 200 && strncmp(text, "chair-1:viewed_together", 23) == 0 &&
						number_at(json_object_array_get_idx(json_path_get(reply.body, "data.recommendations"), 0),
								  "score") == 1.0 &&
						strstr(text, "shared_") == NULL &&
						number_at(reply.body, "data.weights.basketAffinity") == 1.0 &&
						number_at(reply.body, "data.weights.similarProducts") == 0.0 &&
						number_at(reply.body, "data.weights.cooccurrence") == 1.0 &&
						number_at(reply.body, "data.weights.categories") == 0.0,
					"the client's weights, normalised: [%s] %s", text, text_of(&reply));
		find_reply_free(&reply);
	}
	/* A visitor who was shown the chair in chat. */
	if (call("POST", "/chat", "{\"message\":\"Oak chair\",\"threadId\":\"rec-memory\",\"visitorId\":\"rec-visitor\"}",
			 secret_a, &catalogue, &reply) != 0) {
		ITEST_CHECK(reply.status == 200 && chat_showed(&reply, "chair-1"), "the chat showed the chair: %s",
					text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"userId\":\"rec-visitor\"}", secret_a, &catalogue, &reply) != 0) {
		recommendation_text(&reply, text, sizeof text);
		ITEST_CHECK(reply.status == 200 && strstr(text, "chair-1:seen_by_visitor") != NULL &&
						strategies_include(&reply, "memory") && number_at(reply.body, "data.weights.memoryBased") == 0.1667 &&
						number_at(reply.body, "data.weights.memory") == 0.1667,
					"what the visitor was shown: [%s] %s", text, text_of(&reply));
		find_reply_free(&reply);
	}
	if (recommend("{\"productId\":\"lamp-1\",\"userId\":\"someone-else\"}", secret_a, &catalogue, &reply) != 0) {
		recommendation_text(&reply, text, sizeof text);
		ITEST_CHECK(reply.status == 200 && strstr(text, "chair-1") == NULL, "another visitor was shown nothing: [%s]",
					text);
		find_reply_free(&reply);
	}
	static const char *const refused[] = {
		"{\"productId\":\"lamp-1\",\"weights\":{\"similarProducts\":0,\"basketAffinity\":0}}",
		"{\"productId\":\"lamp-1\",\"weights\":{\"popularity\":1}}",
		"{\"productId\":\"lamp-1\",\"basketAffinity\":[{\"productId\":\"chair-1\"}]}",
		"{\"productId\":\"lamp-1\",\"userId\":\"\"}",
		"{\"productId\":\"lamp-1\",\"complimentaryProducts\":[1]}",
		"{\"productId\":\"lamp-1\",\"boost\":true}",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ITEST_CHECK(find_status("POST", "/recommendations/products", refused[i], secret_a, &catalogue, "VALIDATION_ERROR") ==
						400, "refused: %s", refused[i]);
}

bool find_insights_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_insights", find_insights_init, NULL);
	if (suite == NULL)
		return false;
	return itest_add_test(suite, "feedback_is_listed_with_its_filters", feedback_is_listed_with_its_filters, NULL) &&
		   itest_add_test(suite, "feedback_of_one_thread_comes_in_order", feedback_of_one_thread_comes_in_order, NULL) &&
		   itest_add_test(suite, "feedback_figures_match_the_fixture", feedback_figures_match_the_fixture, NULL) &&
		   itest_add_test(suite, "submitted_feedback_answers_the_entry", submitted_feedback_answers_the_entry, NULL) &&
		   itest_add_test(suite, "feedback_is_deleted_once", feedback_is_deleted_once, NULL) &&
		   itest_add_test(suite, "feedback_input_is_validated", feedback_input_is_validated, NULL) &&
		   itest_add_test(suite, "publishable_keys_submit_but_do_not_read", publishable_keys_submit_but_do_not_read, NULL) &&
		   itest_add_test(suite, "another_tenant_sees_none_of_it", another_tenant_sees_none_of_it, NULL) &&
		   itest_add_test(suite, "analytics_periods_cover_every_requested_day", analytics_periods_cover_every_requested_day,
						  NULL) &&
		   itest_add_test(suite, "search_figures_follow_the_searches_made", search_figures_follow_the_searches_made, NULL) &&
		   itest_add_test(suite, "search_context_is_logged_and_filtered_by_source",
						  search_context_is_logged_and_filtered_by_source, NULL) &&
		   itest_add_test(suite, "shared_categories_and_brand_rank_first", shared_categories_and_brand_rank_first, NULL) &&
		   itest_add_test(suite, "exclusions_and_filters_are_honoured", exclusions_and_filters_are_honoured, NULL) &&
		   itest_add_test(suite, "nothing_in_common_falls_back_to_recent_products",
						  nothing_in_common_falls_back_to_recent_products, NULL) &&
		   itest_add_test(suite, "browser_recommendations_stay_in_its_workspace", browser_recommendations_stay_in_its_workspace, NULL) &&
		   itest_add_test(suite, "chat_figures_follow_the_messages_sent", chat_figures_follow_the_messages_sent, NULL) &&
		   itest_add_test(suite, "sdk_recommendation_members_change_the_ranking",
						  sdk_recommendation_members_change_the_ranking, NULL);
}

/*
 * Find API content and search over real HTTP: upsert/get/delete, bulk with
 * bad items, id paging, delete-by-query, workspace and tenant isolation,
 * relevance and filters on a known product fixture, exact facet counts,
 * posts and taxonomies, and the indexing cap of the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097 };

static char tenant[64], other_tenant[64];
static char token[TOKEN_MAX], other_token[TOKEN_MAX];
static const char password[] = "find-password-123";

/* One call with a bearer token and an optional X-Workspace-ID. */
static bool find_call(const char *method, const char *path, const char *body, const char *workspace,
					  const char *bearer, struct api_reply *reply)
{
	char authorization[4200], workspace_header[128];
	const char *headers[3] = { NULL, NULL, NULL };
	size_t count = 0;
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
	headers[count++] = authorization;
	if (workspace != NULL) {
		snprintf(workspace_header, sizeof workspace_header, "X-Workspace-ID: %s", workspace);
		headers[count++] = workspace_header;
	}
	struct http_request request = { .method = method, .path_and_query = path,
									.content_type = body ? "application/json" : NULL, .body = body,
									.body_length = body ? strlen(body) : 0, .extra_headers = headers };
	struct http_response response;
	char error_text[128], why[128];
	memset(&response, 0, sizeof response);
	memset(reply, 0, sizeof *reply);
	if (!http_client_send(&request, &response, error_text, sizeof error_text)) {
		ITEST_CHECK(false, "%s %s: %s", method, path, error_text);
		http_response_free(&response);
		return false;
	}
	reply->status = response.status;
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	http_response_free(&response);
	return true;
}

/* Status (and error code) of a call whose body is not needed. */
static void expect_call(const char *label, const char *method, const char *path, const char *body,
						const char *workspace, const char *bearer, long status, const char *code)
{
	struct api_reply reply;
	if (!find_call(method, path, body, workspace, bearer, &reply))
		return;
	ITEST_CHECK(reply.status == status, "%s: expected %ld, got %ld (%s)", label, status, reply.status,
				api_error_code(&reply));
	if (code != NULL)
		ITEST_CHECK(strcmp(api_error_code(&reply), code) == 0, "%s: expected %s, got \"%s\"", label, code,
					api_error_code(&reply));
	api_reply_free(&reply);
}

/* The string items of an array (or the "id" members of an array of objects)
 * joined with commas, for comparing with an expected list. */
static void join_ids(json_object *array, char *out, size_t out_size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; array && i < json_object_array_length(array) && used < out_size; i++) {
		json_object *item = json_object_array_get_idx(array, i);
		const char *text = json_object_is_type(item, json_type_string) ? json_object_get_string(item)
																	   : json_path_string(item, "id");
		used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? "," : "", text ? text : "?");
	}
}

/* Sorted copy of a comma list, so result sets compare without their order. */
static int compare_strings(const void *left, const void *right)
{
	return strcmp(*(const char *const *)left, *(const char *const *)right);
}

static void sort_list(const char *list, char *out, size_t out_size)
{
	char copy[2048];
	char *items[128];
	size_t count = 0;
	snprintf(copy, sizeof copy, "%s", list);
	for (char *item = strtok(copy, ","); item && count < 128; item = strtok(NULL, ","))
		items[count++] = item;
	qsort(items, count, sizeof items[0], compare_strings);
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < out_size; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? "," : "", items[i]);
}

/* ------------------------------------------------------------- fixture */

#define P(id, name, content, sku, price, on_sale, stock, cats, tags, brands)                                        \
	"{\"id\":\"" id "\",\"name\":\"" name "\",\"content\":\"" content "\",\"sku\":\"" sku "\",\"price\":" price \
	",\"on_sale\":" on_sale ",\"stock_status\":\"" stock "\",\"categories\":" cats ",\"tags\":" tags            \
	",\"brands\":" brands ",\"status\":\"publish\"}"

static const char product_fixture[] = "{\"entities\":["
	P("hp-1", "Wireless Noise Cancelling Headphones", "Over-ear headphones with active noise cancelling and a 30 hour battery.",
	  "SNY-WH1000", "199.99", "true", "instock", "[\"Audio\"]", "[\"wireless\",\"bluetooth\"]", "\"Sony\"") ","
	P("hp-2", "Wired Studio Headphones", "Closed-back monitor headphones for mixing and recording.",
	  "ATH-M50", "89", "false", "instock", "[\"Audio\"]", "[\"studio\"]", "\"Audio-Technica\"") ","
	P("sp-1", "Portable Bluetooth Speaker", "Waterproof speaker with deep bass for outdoor parties.",
	  "BOSE-SL2", "129", "false", "outofstock", "[\"Audio\"]", "[\"wireless\",\"bluetooth\"]", "\"Bose\"") ","
	P("eb-1", "True Wireless Earbuds", "Compact earbuds, a pocket alternative to big headphones.",
	  "APL-POD3", "249", "true", "instock", "[\"Audio\"]", "[\"wireless\"]", "\"Apple\"") ","
	P("rs-1", "Pegasus Running Shoes", "Cushioned road shoes for daily training and marathons.",
	  "NK-PEG40", "120", "false", "instock", "[\"Footwear\"]", "[\"running\",\"sport\"]", "\"Nike\"") ","
	P("rs-2", "Trail Running Shoes", "Grippy outsole for muddy trail runs in the mountains.",
	  "AD-TR22", "95", "true", "instock", "[\"Footwear\"]", "[\"running\",\"trail\"]", "\"Adidas\"") ","
	P("bt-1", "Leather Hiking Boots", "Waterproof boots for long hikes over rocky ground.",
	  "MR-HK9", "160", "false", "outofstock", "[\"Footwear\"]", "[\"hiking\"]", "\"Merrell\"") ","
	P("es-1", "Dedica Espresso Machine", "Pump machine with a milk frother for cappuccino at home.",
	  "DL-EC685", "299", "true", "instock", "[\"Kitchen\"]", "[\"coffee\"]", "\"DeLonghi\"") ","
	P("es-2", "Burr Coffee Grinder", "Grinds beans fine enough for espresso or coarse for a french press.",
	  "BR-SG820", "149.5", "false", "instock", "[\"Kitchen\"]", "[\"coffee\"]", "\"Breville\"") ","
	P("kt-1", "Electric Kettle", "Fast boiling kettle with temperature presets for tea.",
	  "BR-KT100", "45", "false", "instock", "[\"Kitchen\"]", "[\"tea\"]", "\"Breville\"") ","
	P("ms-1", "Wireless Mouse", "Ergonomic mouse with silent clicks and a long lasting battery.",
	  "LG-MX3", "24.99", "false", "instock", "[\"Computers\"]", "[\"wireless\"]", "\"Logitech\"") ","
	P("kb-1", "Mechanical Keyboard", "Low profile mechanical keys with per-key lighting for gaming.",
	  "LG-G915", "510", "false", "instock", "[\"Computers\"]", "[\"gaming\"]", "\"Logitech\"")
	"]}";

static const char post_fixture[] = "{\"entities\":["
	"{\"id\":\"post-espresso\",\"title\":\"How to brew espresso at home\",\"content\":\"Dose, tamp and pull a shot.\","
	"\"categories\":[\"Coffee\"],\"tags\":[\"guide\"],\"author_name\":\"Ann\",\"status\":\"publish\"},"
	"{\"id\":\"post-shoes\",\"title\":\"Choosing running shoes\",\"content\":\"Fit, drop and cushioning explained.\","
	"\"categories\":[\"Running\"],\"tags\":[\"review\"],\"author_name\":\"Bob\",\"status\":\"publish\"},"
	"{\"id\":\"post-audio\",\"title\":\"Headphone buying guide\",\"content\":\"Open or closed back, wired or wireless.\","
	"\"categories\":[\"Audio\"],\"tags\":[\"guide\"],\"author_name\":\"Ann\",\"status\":\"draft\"}"
	"]}";

static int find_login(const char *slug, const char *email, char *out)
{
	return api_login(email, password, slug, out, NULL) == 200 ? 0 : 1;
}

/* A fresh tenant with a Tenant Admin; 0 on success. */
static int find_tenant_with_admin(const char *prefix, char *slug, size_t slug_size, char *admin_token)
{
	char email[128];
	identity_unique_slug(prefix, slug, slug_size);
	snprintf(email, sizeof email, "admin@%s.test", slug);
	const char *create[] = { "tenant", "create", slug, "Find Co", NULL };
	const char *user[] = { "user", "create", slug, email, NULL };
	if (admin_command(create, NULL) || admin_command(user, password))
		return 1;
	return find_login(slug, email, admin_token);
}

static int bulk_all_stored(const char *path, const char *body, const char *workspace, size_t expected)
{
	struct api_reply reply;
	if (!find_call("POST", path, body, workspace, token, &reply))
		return 1;
	json_object *ok = json_path_get(reply.body, "data.successfulIds");
	size_t stored = ok ? json_object_array_length(ok) : 0;
	int failed = reply.status != 200 || stored != expected;
	if (failed)
		fprintf(stderr, "fixture %s: status %ld, %zu of %zu stored\n", path, reply.status, stored, expected);
	api_reply_free(&reply);
	return failed;
}

static int find_suite_init(void)
{
	if (find_tenant_with_admin("fnd", tenant, sizeof tenant, token) ||
		find_tenant_with_admin("fno", other_tenant, sizeof other_tenant, other_token))
		return 1;
	return bulk_all_stored("/api/v1/find/products/bulk", product_fixture, "shop-a", 12) ||
		   bulk_all_stored("/api/v1/find/posts/bulk", post_fixture, "shop-a", 3);
}

/* -------------------------------------------------------------- tests */

static void upsert_creates_then_updates_and_delete_removes(void)
{
	struct api_reply reply;
	const char *path = "/api/v1/find/products";
	if (find_call("POST", path, "{\"id\":\"c1\",\"name\":\"First name\",\"price\":10,\"colour\":\"teal\"}", "crud-ws",
				  token, &reply)) {
		const char *message = json_path_string(reply.body, "data.message");
		const char *id = json_path_string(reply.body, "data.id");
		ITEST_CHECK(reply.status == 200 && id && strcmp(id, "c1") == 0 && message && strstr(message, "created"),
					"first upsert creates: %ld %s", reply.status, message ? message : "-");
		api_reply_free(&reply);
	}
	if (find_call("POST", path, "{\"id\":\"c1\",\"name\":\"Second name\",\"price\":12,\"colour\":\"teal\"}", "crud-ws",
				  token, &reply)) {
		const char *message = json_path_string(reply.body, "data.message");
		ITEST_CHECK(reply.status == 200 && message && strstr(message, "updated"), "second upsert updates: %ld %s",
					reply.status, message ? message : "-");
		api_reply_free(&reply);
	}
	if (find_call("GET", "/api/v1/find/products/c1", NULL, "crud-ws", token, &reply)) {
		const char *name = json_path_string(reply.body, "data.name");
		const char *colour = json_path_string(reply.body, "data.colour");
		ITEST_CHECK(reply.status == 200 && name && strcmp(name, "Second name") == 0 && colour &&
						strcmp(colour, "teal") == 0,
					"GET returns the stored document with unknown fields: %ld %s %s", reply.status, name ? name : "-",
					colour ? colour : "-");
		api_reply_free(&reply);
	}
	/* The update did not count as a second product. */
	if (find_call("GET", "/api/v1/find/products/ids", NULL, "crud-ws", token, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "data.total_count", &total);
		ITEST_CHECK(total == 1, "one product in crud-ws after create+update, got %lld", (long long)total);
		api_reply_free(&reply);
	}
	expect_call("GET unknown id", "GET", "/api/v1/find/products/nope", NULL, "crud-ws", token, 404, "NOT_FOUND");
	expect_call("DELETE", "DELETE", "/api/v1/find/products/c1", NULL, "crud-ws", token, 200, NULL);
	expect_call("GET after delete", "GET", "/api/v1/find/products/c1", NULL, "crud-ws", token, 404, "NOT_FOUND");
	expect_call("DELETE again", "DELETE", "/api/v1/find/products/c1", NULL, "crud-ws", token, 404, "NOT_FOUND");
}

static void writes_need_a_valid_workspace_and_valid_fields(void)
{
	expect_call("upsert without X-Workspace-ID", "POST", "/api/v1/find/products", "{\"id\":\"w\",\"name\":\"n\"}", NULL,
				token, 400, "VALIDATION_ERROR");
	expect_call("delete without X-Workspace-ID", "DELETE", "/api/v1/find/products/hp-1", NULL, NULL, token, 400,
				"VALIDATION_ERROR");
	expect_call("bulk without X-Workspace-ID", "POST", "/api/v1/find/posts/bulk", "{\"entities\":[]}", NULL, token,
				400, "VALIDATION_ERROR");
	expect_call("invalid X-Workspace-ID", "POST", "/api/v1/find/products", "{\"id\":\"w\",\"name\":\"n\"}",
				"Bad_Workspace!", token, 400, "VALIDATION_ERROR");
	expect_call("invalid X-Workspace-ID on a read", "GET", "/api/v1/find/products/hp-1", NULL, "no spaces", token, 400,
				"VALIDATION_ERROR");
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/products", "{\"id\":\"w\",\"name\":\"\",\"price\":-3,\"categories\":[5]}",
				  "shop-a", token, &reply)) {
		json_object *details = json_path_get(reply.body, "error.details");
		size_t count = details ? json_object_array_length(details) : 0;
		ITEST_CHECK(reply.status == 400 && count == 3, "name, price, categories each reported: %ld, %zu details",
					reply.status, count);
		api_reply_free(&reply);
	}
	expect_call("post without title", "POST", "/api/v1/find/posts", "{\"id\":\"x\",\"name\":\"n\"}", "shop-a", token,
				400, "VALIDATION_ERROR");
	expect_call("body that is not an object", "POST", "/api/v1/find/products", "[1]", "shop-a", token, 400,
				"VALIDATION_ERROR");
}

static void bulk_reports_bad_items_and_stores_good_ones(void)
{
	struct api_reply reply;
	const char *body = "{\"entities\":[{\"id\":\"g1\",\"name\":\"Good one\"},{\"id\":\"bad1\"},{\"name\":\"no id\"},"
					   "{\"id\":\"g2\",\"name\":\"Bad price\",\"price\":\"cheap\"},{\"id\":\"g3\",\"name\":\"Good three\"}]}";
	if (find_call("POST", "/api/v1/find/products/bulk", body, "bulk-ws", token, &reply)) {
		char ok[256], failed[256];
		join_ids(json_path_get(reply.body, "data.successfulIds"), ok, sizeof ok);
		json_object *failures = json_path_get(reply.body, "data.failedItems");
		size_t failure_count = failures ? json_object_array_length(failures) : 0;
		failed[0] = '\0';
		for (size_t i = 0; i < failure_count; i++) {
			json_object *item = json_object_array_get_idx(failures, i);
			const char *id = json_path_string(item, "id");
			const char *error = json_path_string(item, "error");
			ITEST_CHECK(error && error[0], "failed item %zu has an error text", i);
			snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s%s", i ? "," : "", id ? id : "null");
		}
		int64_t processed = 0;
		json_path_int64(reply.body, "data.processed", &processed);
		ITEST_CHECK(reply.status == 200 && strcmp(ok, "g1,g3") == 0 && strcmp(failed, "bad1,null,g2") == 0 &&
						processed == 5,
					"bulk: ok [%s] failed [%s] processed %lld", ok, failed, (long long)processed);
		api_reply_free(&reply);
	}
	expect_call("good bulk item stored", "GET", "/api/v1/find/products/g3", NULL, "bulk-ws", token, 200, NULL);
	expect_call("bad bulk item not stored", "GET", "/api/v1/find/products/g2", NULL, "bulk-ws", token, 404, NULL);
	/* 501 entities: refused as a whole. */
	size_t size = 32 + 501 * 3;
	char *big = malloc(size);
	strcpy(big, "{\"entities\":[");
	for (int i = 0; i < 501; i++)
		strcat(big, i ? ",{}" : "{}");
	strcat(big, "]}");
	expect_call("bulk over 500", "POST", "/api/v1/find/products/bulk", big, "bulk-ws", token, 400, "VALIDATION_ERROR");
	free(big);
	if (find_call("DELETE", "/api/v1/find/products/bulk", "{\"ids\":[\"g1\",\"absent-1\",\"g3\"]}", "bulk-ws", token,
				  &reply)) {
		char deleted[128], failed[128];
		join_ids(json_path_get(reply.body, "data.deletedIds"), deleted, sizeof deleted);
		join_ids(json_path_get(reply.body, "data.failedItems"), failed, sizeof failed);
		json_object *failures = json_path_get(reply.body, "data.failedItems");
		const char *error = failures && json_object_array_length(failures) == 1
								? json_path_string(json_object_array_get_idx(failures, 0), "error")
								: NULL;
		ITEST_CHECK(reply.status == 200 && strcmp(deleted, "g1,g3") == 0 && strcmp(failed, "absent-1") == 0 && error &&
						strcmp(error, "not found") == 0,
					"bulk delete: deleted [%s] failed [%s] (%s)", deleted, failed, error ? error : "-");
		api_reply_free(&reply);
	}
	expect_call("bulk-deleted item gone", "GET", "/api/v1/find/products/g1", NULL, "bulk-ws", token, 404, NULL);
}

/* "." and ".." are ids no client can put in a URL (fetch and curl drop such a
 * path segment, percent-encoded or not), so GET and DELETE /X/{id} could never
 * reach them: they are refused where they are written. */
static void dot_segment_ids_are_refused_since_no_url_reaches_them(void)
{
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/products", "{\"id\":\"..\",\"name\":\"Unreachable\"}", "dots-ws", token,
				  &reply)) {
		json_object *details = json_path_get(reply.body, "error.details");
		const char *field = details && json_object_array_length(details) == 1
								? json_path_string(json_object_array_get_idx(details, 0), "field")
								: NULL;
		ITEST_CHECK(reply.status == 400 && field != NULL && strcmp(field, "id") == 0,
					"upsert of id \"..\": expected 400 naming id, got %ld (%s)", reply.status,
					field ? field : "no single detail");
		api_reply_free(&reply);
	}
	if (find_call("POST", "/api/v1/find/posts/bulk",
				  "{\"entities\":[{\"id\":\".\",\"title\":\"Dot\"},{\"id\":\"...\",\"title\":\"Three dots\"}]}",
				  "dots-ws", token, &reply)) {
		char ok[64], failed[64];
		join_ids(json_path_get(reply.body, "data.successfulIds"), ok, sizeof ok);
		join_ids(json_path_get(reply.body, "data.failedItems"), failed, sizeof failed);
		ITEST_CHECK(reply.status == 200 && strcmp(ok, "...") == 0 && strcmp(failed, ".") == 0,
					"bulk: ok [%s] failed [%s] (status %ld)", ok, failed, reply.status);
		api_reply_free(&reply);
	}
	/* Dots that are not a whole segment are an ordinary id, reachable by URL. */
	expect_call("id \"...\" read by its URL", "GET", "/api/v1/find/posts/...", NULL, "dots-ws", token, 200, NULL);
	expect_call("id \"...\" deleted by its URL", "DELETE", "/api/v1/find/posts/...", NULL, "dots-ws", token, 200, NULL);
}

static void ids_page_with_total_and_has_more(void)
{
	char body[1024] = "{\"entities\":[";
	for (int i = 1; i <= 7; i++)
		snprintf(body + strlen(body), sizeof body - strlen(body), "%s{\"id\":\"p%02d\",\"name\":\"Paged %d\"}",
				 i > 1 ? "," : "", i, i);
	strcat(body, "]}");
	if (!ITEST_CHECK(bulk_all_stored("/api/v1/find/products/bulk", body, "page-ws", 7) == 0, "paging fixture"))
		return;
	const struct {
		const char *query, *ids;
		bool has_more;
	} pages[] = { { "limit=3&offset=0", "p01,p02,p03", true }, { "limit=3&offset=3", "p04,p05,p06", true },
				  { "limit=3&offset=6", "p07", false }, { "", "p01,p02,p03,p04,p05,p06,p07", false } };
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		char path[128], ids[256];
		snprintf(path, sizeof path, "/api/v1/find/products/ids?%s", pages[i].query);
		struct api_reply reply;
		if (!find_call("GET", path, NULL, "page-ws", token, &reply))
			continue;
		join_ids(json_path_get(reply.body, "data.ids"), ids, sizeof ids);
		int64_t total = 0, returned = 0;
		json_path_int64(reply.body, "data.total_count", &total);
		json_path_int64(reply.body, "data.returned_count", &returned);
		json_object *more = json_path_get(reply.body, "data.has_more");
		ITEST_CHECK(reply.status == 200 && strcmp(ids, pages[i].ids) == 0 && total == 7 &&
						more && json_object_get_boolean(more) == pages[i].has_more &&
						returned == (int64_t)(strlen(pages[i].ids) + 1) / 4,
					"%s: ids [%s] total %lld returned %lld", pages[i].query, ids, (long long)total, (long long)returned);
		api_reply_free(&reply);
	}
	expect_call("limit not a number", "GET", "/api/v1/find/products/ids?limit=abc", NULL, "page-ws", token, 400,
				"VALIDATION_ERROR");
	expect_call("limit 0", "GET", "/api/v1/find/products/ids?limit=0", NULL, "page-ws", token, 400, NULL);
	expect_call("limit 1001", "GET", "/api/v1/find/products/ids?limit=1001", NULL, "page-ws", token, 400, NULL);
	expect_call("negative offset", "GET", "/api/v1/find/products/ids?offset=-1", NULL, "page-ws", token, 400, NULL);
}

/* A status filter narrows the count as it narrows the ids: total_count and
 * has_more describe the filtered set (both queries read the same filter). */
static void ids_filtered_by_status_count_what_they_list(void)
{
	const char *body = "{\"entities\":[{\"id\":\"s1\",\"name\":\"Shown one\",\"status\":\"publish\"},"
					   "{\"id\":\"s2\",\"name\":\"Hidden\",\"status\":\"draft\"},"
					   "{\"id\":\"s3\",\"name\":\"Shown three\",\"status\":\"publish\",\"tags\":[\"lit\"]}]}";
	if (!ITEST_CHECK(bulk_all_stored("/api/v1/find/products/bulk", body, "ids-status-ws", 3) == 0, "status fixture"))
		return;
	const struct {
		const char *query, *ids;
		int64_t total;
		bool has_more;
	} cases[] = { { "status=publish", "s1,s3", 2, false }, { "status=draft", "s2", 1, false },
				  { "status=publish&limit=1", "s1", 2, true }, { "status=publish&tags=lit", "s3", 1, false },
				  { "status=trash", "", 0, false } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[128], ids[128];
		snprintf(path, sizeof path, "/api/v1/find/products/ids?%s", cases[i].query);
		struct api_reply reply;
		if (!find_call("GET", path, NULL, "ids-status-ws", token, &reply))
			continue;
		join_ids(json_path_get(reply.body, "data.ids"), ids, sizeof ids);
		int64_t total = -1;
		json_path_int64(reply.body, "data.total_count", &total);
		json_object *more = json_path_get(reply.body, "data.has_more");
		ITEST_CHECK(reply.status == 200 && strcmp(ids, cases[i].ids) == 0 && total == cases[i].total && more &&
						json_object_get_boolean(more) == cases[i].has_more,
					"%s: ids [%s] total_count %lld has_more %s (wanted [%s], %lld)", cases[i].query, ids,
					(long long)total, more ? json_object_to_json_string(more) : "absent", cases[i].ids,
					(long long)cases[i].total);
		api_reply_free(&reply);
	}
}

static void delete_by_query_counts_and_refuses_vague_filters(void)
{
	const char *fixture = "{\"entities\":["
						  "{\"id\":\"d1\",\"name\":\"Old draft\",\"status\":\"draft\",\"categories\":[\"Old\"]},"
						  "{\"id\":\"d2\",\"name\":\"Old draft two\",\"status\":\"draft\",\"categories\":[\"Old\",\"Misc\"]},"
						  "{\"id\":\"d3\",\"name\":\"New draft\",\"status\":\"draft\",\"categories\":[\"New\"]},"
						  "{\"id\":\"d4\",\"name\":\"Old published\",\"status\":\"publish\",\"categories\":[\"Old\"]},"
						  "{\"id\":\"d5\",\"name\":\"Published\",\"status\":\"publish\"}]}";
	if (!ITEST_CHECK(bulk_all_stored("/api/v1/find/products/bulk", fixture, "dbq-ws", 5) == 0, "dbq fixture"))
		return;
	expect_call("unknown field", "POST", "/api/v1/find/products/delete-by-query",
				"{\"filters\":[{\"field\":\"name\",\"value\":\"Old draft\"}]}", "dbq-ws", token, 400, "VALIDATION_ERROR");
	expect_call("empty filters", "POST", "/api/v1/find/products/delete-by-query", "{\"filters\":[]}", "dbq-ws", token,
				400, "VALIDATION_ERROR");
	expect_call("no filters", "POST", "/api/v1/find/products/delete-by-query", "{}", "dbq-ws", token, 400,
				"VALIDATION_ERROR");
	expect_call("no workspace", "POST", "/api/v1/find/products/delete-by-query",
				"{\"filters\":[{\"field\":\"status\",\"value\":\"draft\"}]}", NULL, token, 400, "VALIDATION_ERROR");
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/products/delete-by-query",
				  "{\"filters\":[{\"field\":\"status\",\"value\":\"draft\"},{\"field\":\"categories\",\"value\":\"Old\"}]}",
				  "dbq-ws", token, &reply)) {
		int64_t found = -1, deleted = -1;
		json_path_int64(reply.body, "data.found_count", &found);
		json_path_int64(reply.body, "data.deleted_count", &deleted);
		ITEST_CHECK(reply.status == 200 && found == 2 && deleted == 2, "draft+Old: found %lld deleted %lld (%ld)",
					(long long)found, (long long)deleted, reply.status);
		api_reply_free(&reply);
	}
	if (find_call("GET", "/api/v1/find/products/ids", NULL, "dbq-ws", token, &reply)) {
		char ids[128];
		join_ids(json_path_get(reply.body, "data.ids"), ids, sizeof ids);
		ITEST_CHECK(strcmp(ids, "d3,d4,d5") == 0, "left after delete-by-query: [%s]", ids);
		api_reply_free(&reply);
	}
	/* The deleted products' terms went with them: "Old" now counts only d4, "Misc" none. */
	if (find_call("POST", "/api/v1/find/products/search", "{\"includeFacets\":true,\"facetFields\":[\"categories\"]}",
				  "dbq-ws", token, &reply)) {
		char facets[256];
		json_object *list = json_path_get(reply.body, "data.facets.categories");
		facets[0] = '\0';
		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			json_object *entry = json_object_array_get_idx(list, i);
			int64_t count = 0;
			json_path_int64(entry, "count", &count);
			snprintf(facets + strlen(facets), sizeof facets - strlen(facets), "%s%s:%lld", i ? "," : "",
					 json_path_string(entry, "value"), (long long)count);
		}
		ITEST_CHECK(strcmp(facets, "New:1,Old:1") == 0, "category facets after delete-by-query: [%s]", facets);
		api_reply_free(&reply);
	}
}

/* Search in shop-a and return the result ids joined (in order) and the total. */
static bool search_ids(const char *path, const char *body, const char *workspace, const char *bearer, char *ids,
					   size_t ids_size, int64_t *total)
{
	struct api_reply reply;
	ids[0] = '\0';
	*total = -1;
	if (!find_call("POST", path, body, workspace, bearer, &reply))
		return false;
	bool ok = ITEST_CHECK(reply.status == 200, "search %s: %ld %s", body, reply.status, api_error_code(&reply));
	join_ids(json_path_get(reply.body, "data.results"), ids, ids_size);
	json_path_int64(reply.body, "data.total", total);
	api_reply_free(&reply);
	return ok;
}

static void search_ranks_the_right_product_first(void)
{
	const struct {
		const char *text, *first;
	} cases[] = {
		{ "wireless headphones", "hp-1" }, { "trail running", "rs-2" }, { "espresso", "es-1" },
		{ "LG-G915", "kb-1" },            { "kettle", "kt-1" },        { "hiking boots", "bt-1" },
		{ "bluetooth speaker", "sp-1" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[256], ids[1024];
		int64_t total = 0;
		snprintf(body, sizeof body, "{\"text\":\"%s\"}", cases[i].text);
		if (!search_ids("/api/v1/find/products/search", body, "shop-a", token, ids, sizeof ids, &total))
			continue;
		size_t first_length = strcspn(ids, ",");
		ITEST_CHECK(first_length == strlen(cases[i].first) && strncmp(ids, cases[i].first, first_length) == 0,
					"\"%s\": expected %s first, got [%s]", cases[i].text, cases[i].first, ids);
		ITEST_CHECK(total >= 1, "\"%s\": total %lld", cases[i].text, (long long)total);
	}
	/* Espresso is in es-2's text too, but the name weighs more: both found, es-1 first. */
	char ids[1024];
	int64_t total = 0;
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"espresso\"}", "shop-a", token, ids, sizeof ids, &total))
		ITEST_CHECK(strcmp(ids, "es-1,es-2") == 0 && total == 2, "espresso: [%s] total %lld", ids, (long long)total);
	/* limit caps the page, not the total; scores come with the results. */
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/products/search", "{\"text\":\"wireless\",\"limit\":2}", "shop-a", token,
				  &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		int64_t total_wireless = 0, limit = 0;
		json_path_int64(reply.body, "data.total", &total_wireless);
		json_path_int64(reply.body, "data.query.limit", &limit);
		json_object *score = results && json_object_array_length(results) > 0
								 ? json_path_get(json_object_array_get_idx(results, 0), "score")
								 : NULL;
		ITEST_CHECK(results && json_object_array_length(results) == 2 && total_wireless == 4 && limit == 2 && score &&
						json_object_get_double(score) > 0,
					"wireless limit 2: %zu results, total %lld, score %s",
					results ? json_object_array_length(results) : 0, (long long)total_wireless,
					score ? json_object_get_string(score) : "-");
		api_reply_free(&reply);
	}
	/* Empty text: everything, newest first. */
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"\",\"limit\":100}", "shop-a", token, ids, sizeof ids,
				   &total))
		ITEST_CHECK(total == 12, "empty text matches all 12, got %lld", (long long)total);
}

static void search_filters_return_exactly_the_expected_ids(void)
{
	const struct {
		const char *filters, *ids;
	} cases[] = {
		{ "{\"categories\":\"Audio\"}", "eb-1,hp-1,hp-2,sp-1" },
		{ "{\"brands\":[\"Sony\",\"Bose\"]}", "hp-1,sp-1" },
		{ "{\"brands\":\"Logitech\"}", "kb-1,ms-1" },
		{ "{\"price\":{\"min\":100,\"max\":200}}", "bt-1,es-2,hp-1,rs-1,sp-1" },
		{ "{\"min_price\":250}", "es-1,kb-1" },
		{ "{\"on_sale\":true}", "eb-1,es-1,hp-1,rs-2" },
		{ "{\"stock_status\":\"outofstock\"}", "bt-1,sp-1" },
		{ "{\"categories\":[\"Audio\"],\"on_sale\":true}", "eb-1,hp-1" },
		{ "{\"tags\":\"wireless\",\"price\":{\"max\":100}}", "ms-1" },
		{ "{\"categories\":\"Garden\"}", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[512], ids[1024], sorted[1024];
		int64_t total = 0;
		snprintf(body, sizeof body, "{\"text\":\"\",\"limit\":100,\"filters\":%s}", cases[i].filters);
		if (!search_ids("/api/v1/find/products/search", body, "shop-a", token, ids, sizeof ids, &total))
			continue;
		sort_list(ids, sorted, sizeof sorted);
		size_t expected_count = cases[i].ids[0] ? 1 : 0;
		for (const char *p = cases[i].ids; *p; p++)
			expected_count += *p == ',';
		ITEST_CHECK(strcmp(sorted, cases[i].ids) == 0 && total == (int64_t)expected_count,
					"filters %s: expected [%s], got [%s] total %lld", cases[i].filters, cases[i].ids, sorted,
					(long long)total);
	}
	/* Text and filters together. */
	char ids[256];
	int64_t total = 0;
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"wireless\",\"filters\":{\"categories\":\"Computers\"}}",
				   "shop-a", token, ids, sizeof ids, &total))
		ITEST_CHECK(strcmp(ids, "ms-1") == 0 && total == 1, "wireless in Computers: [%s]", ids);
	expect_call("unknown filter", "POST", "/api/v1/find/products/search", "{\"filters\":{\"colour\":\"red\"}}", "shop-a",
				token, 400, "VALIDATION_ERROR");
	expect_call("min above max", "POST", "/api/v1/find/products/search",
				"{\"filters\":{\"price\":{\"min\":10,\"max\":5}}}", "shop-a", token, 400, "VALIDATION_ERROR");
	expect_call("limit over 100", "POST", "/api/v1/find/products/search", "{\"limit\":101}", "shop-a", token, 400,
				"VALIDATION_ERROR");
}

/* "key:count,…" of one facet (a bucket whose "value" is not its key shows
 * as "key!=value"). The facet name may hold dots ("attributes.color"), so
 * it is looked up as one member. */
/* A search page stops at about 2 MiB of documents: 40 products of 60 KB
 * that all match give fewer results than the limit, say so with truncated,
 * and still count all 40 in total. A small page is not marked. */
static void a_search_page_of_large_documents_is_cut_and_says_so(void)
{
	/* Three bulk requests of 14 (under the 1 MiB body limit), so the
	 * suite's per-minute allowance is not spent on this fixture. */
	enum { BIG_PRODUCTS = 40, BIG_PER_BULK = 14, BIG_CONTENT_BYTES = 60 * 1000 };
	static char content[BIG_CONTENT_BYTES + 1], body[BIG_PER_BULK * (BIG_CONTENT_BYTES + 80) + 32];
	for (size_t i = 0; i < BIG_CONTENT_BYTES; i++)
		content[i] = (i % 8 == 7) ? ' ' : 'a' + (char)(i % 7);
	content[BIG_CONTENT_BYTES] = '\0';
	for (int first = 0; first < BIG_PRODUCTS; first += BIG_PER_BULK) {
		int count = BIG_PRODUCTS - first < BIG_PER_BULK ? BIG_PRODUCTS - first : BIG_PER_BULK;
		size_t used = (size_t)snprintf(body, sizeof body, "{\"entities\":[");
		for (int i = first; i < first + count; i++)
			used += (size_t)snprintf(body + used, sizeof body - used, "%s{\"id\":\"big-%d\",\"name\":\"Heavy anvil %d\","
									 "\"content\":\"%s\"}", i > first ? "," : "", i, i, content);
		snprintf(body + used, sizeof body - used, "]}");
		if (!ITEST_CHECK(bulk_all_stored("/api/v1/find/products/bulk", body, "big-ws", (size_t)count) == 0,
						 "big products %d to %d stored", first, first + count - 1))
			return;
	}
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/products/search", "{\"text\":\"anvil\",\"limit\":100}", "big-ws", token,
				  &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		json_object *truncated = json_path_get(reply.body, "data.truncated");
		int64_t total = -1;
		json_path_int64(reply.body, "data.total", &total);
		size_t count = results ? json_object_array_length(results) : 0;
		ITEST_CHECK(reply.status == 200 && count >= 1 && count < BIG_PRODUCTS && total == BIG_PRODUCTS &&
						truncated && json_object_get_boolean(truncated),
					"a page of 40 x 60 KB is cut: %ld, %zu results, total %lld, truncated %s", reply.status, count,
					(long long)total, truncated ? json_object_to_json_string(truncated) : "absent");
		api_reply_free(&reply);
	}
	if (find_call("POST", "/api/v1/find/products/search", "{\"text\":\"anvil\",\"limit\":5}", "big-ws", token,
				  &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		ITEST_CHECK(reply.status == 200 && results && json_object_array_length(results) == 5 &&
						json_path_get(reply.body, "data.truncated") == NULL,
					"a page within the budget is whole and unmarked: %ld", reply.status);
		api_reply_free(&reply);
	}
}

static void facet_text(json_object *body, const char *name, char *out, size_t out_size)
{
	json_object *facets = json_path_get(body, "data.facets"), *list = NULL;
	if (facets == NULL || !json_object_object_get_ex(facets, name, &list))
		list = NULL;
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; list && i < json_object_array_length(list) && used < out_size; i++) {
		json_object *entry = json_object_array_get_idx(list, i);
		int64_t count = 0;
		json_path_int64(entry, "count", &count);
		const char *key = json_path_string(entry, "key");
		const char *value = json_path_string(entry, "value");
		bool same = key && value && strcmp(key, value) == 0;
		used += (size_t)snprintf(out + used, out_size - used, "%s%s%s%s:%lld", i ? "," : "", key ? key : "?",
								 same ? "" : "!=", same ? "" : (value ? value : "?"), (long long)count);
	}
}

/* "key[from,to]:count,…" of a range facet ("-" for a bound left out). */
static void range_facet_text(json_object *body, const char *name, char *out, size_t out_size)
{
	json_object *facets = json_path_get(body, "data.facets"), *list = NULL;
	if (facets == NULL || !json_object_object_get_ex(facets, name, &list))
		list = NULL;
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; list && i < json_object_array_length(list) && used < out_size; i++) {
		json_object *entry = json_object_array_get_idx(list, i);
		int64_t count = 0, from = -1, to = -1;
		json_path_int64(entry, "count", &count);
		bool has_from = json_path_int64(entry, "from", &from), has_to = json_path_int64(entry, "to", &to);
		char from_text[24] = "-", to_text[24] = "-";
		if (has_from)
			snprintf(from_text, sizeof from_text, "%lld", (long long)from);
		if (has_to)
			snprintf(to_text, sizeof to_text, "%lld", (long long)to);
		const char *key = json_path_string(entry, "key");
		used += (size_t)snprintf(out + used, out_size - used, "%s%s[%s,%s]:%lld", i ? "," : "", key ? key : "?",
								 from_text, to_text, (long long)count);
	}
}

static void facets_count_the_whole_match_set(void)
{
	struct api_reply reply;
	char text[1024];
	if (find_call("POST", "/api/v1/find/products/search", "{\"limit\":1,\"includeFacets\":true}", "shop-a", token,
				  &reply)) {
		facet_text(reply.body, "categories", text, sizeof text);
		ITEST_CHECK(strcmp(text, "Audio:4,Footwear:3,Kitchen:3,Computers:2") == 0, "categories: [%s]", text);
		facet_text(reply.body, "brands", text, sizeof text);
		ITEST_CHECK(strcmp(text, "Breville:2,Logitech:2,Adidas:1,Apple:1,Audio-Technica:1,Bose:1,DeLonghi:1,Merrell:1,"
								 "Nike:1,Sony:1") == 0,
					"brands: [%s]", text);
		facet_text(reply.body, "tags", text, sizeof text);
		ITEST_CHECK(strcmp(text, "wireless:4,bluetooth:2,coffee:2,running:2,gaming:1,hiking:1,sport:1,studio:1,tea:1,"
								 "trail:1") == 0,
					"tags: [%s]", text);
		facet_text(reply.body, "price", text, sizeof text);
		ITEST_CHECK(strcmp(text, "0-25:1,25-50:1,50-100:2,100-250:6,250-500:1,500+:1") == 0, "price: [%s]", text);
		range_facet_text(reply.body, "price_ranges", text, sizeof text);
		ITEST_CHECK(strcmp(text, "0-25[0,25]:1,25-50[25,50]:1,50-100[50,100]:2,100-250[100,250]:6,250-500[250,500]:1,"
								 "500+[500,-]:1") == 0,
					"price_ranges: [%s]", text);
		api_reply_free(&reply);
	}
	if (find_call("POST", "/api/v1/find/products/search",
				  "{\"filters\":{\"categories\":\"Audio\"},\"includeFacets\":true,\"facetFields\":[\"tags\",\"price\"],"
				  "\"facetSize\":2}",
				  "shop-a", token, &reply)) {
		facet_text(reply.body, "tags", text, sizeof text);
		ITEST_CHECK(strcmp(text, "wireless:3,bluetooth:2") == 0, "Audio tags, 2 per facet: [%s]", text);
		facet_text(reply.body, "price", text, sizeof text);
		ITEST_CHECK(strcmp(text, "50-100:1,100-250:3") == 0, "Audio price buckets: [%s]", text);
		ITEST_CHECK(json_path_get(reply.body, "data.facets.categories") == NULL, "facetFields leaves out categories");
		api_reply_free(&reply);
	}
	if (find_call("POST", "/api/v1/find/products/search", "{\"text\":\"espresso\"}", "shop-a", token, &reply)) {
		ITEST_CHECK(json_path_get(reply.body, "data.facets") == NULL, "no facets unless includeFacets");
		api_reply_free(&reply);
	}
}

/* The facet names of the SDK's searchWithFacets: the ranges of price_ranges
 * and the values of columns and of the stored documents, counted over the
 * filtered match set; what an entity cannot have is refused by name. */
static void sdk_facet_fields_are_counted_or_refused(void)
{
	static const char fixture[] = "{\"entities\":["
		"{\"id\":\"f1\",\"name\":\"Red mug\",\"price\":12,\"on_sale\":true,\"stock_status\":\"instock\","
		"\"featured\":true,\"type\":\"simple\",\"categories\":[\"Mugs\"],\"brands\":[\"Acme\"],"
		"\"attributes\":{\"color\":[\"red\",\"white\"]},\"metadata\":{\"retailer_id\":\"r1\",\"grams\":300}},"
		"{\"id\":\"f2\",\"name\":\"Blue mug\",\"price\":30,\"stock_status\":\"outofstock\",\"featured\":false,"
		"\"type\":\"variable\",\"categories\":[\"Mugs\"],\"brands\":[\"Acme\"],\"attributes\":{\"color\":[\"blue\"]},"
		"\"metadata\":{\"retailer_id\":\"r1\",\"grams\":300}},"
		"{\"id\":\"f3\",\"name\":\"Red plate\",\"price\":700,\"on_sale\":true,\"stock_status\":\"instock\","
		"\"type\":\"simple\",\"categories\":[\"Plates\"],\"attributes\":{\"color\":\"red\"},"
		"\"metadata\":{\"retailer_id\":\"r2\",\"tags\":{\"nested\":1}}}"
		"]}";
	if (bulk_all_stored("/api/v1/find/products/bulk", fixture, "facet-ws", 3) != 0) {
		ITEST_CHECK(false, "facet fixture not stored");
		return;
	}
	struct api_reply reply;
	char text[512];
	if (find_call("POST", "/api/v1/find/products/search",
				  "{\"text\":\"\",\"includeFacets\":true,\"facetFields\":[\"categories\",\"brands\",\"stock_status\","
				  "\"on_sale\",\"featured\",\"type\",\"price_ranges\",\"attributes.color\",\"metadata.retailer_id\","
				  "\"metadata.grams\",\"metadata.tags\",\"attributes.size\"]}",
				  "facet-ws", token, &reply)) {
		ITEST_CHECK(reply.status == 200, "SDK facet fields: %ld %s", reply.status, api_error_code(&reply));
		const struct {
			const char *name, *expected;
		} facets[] = {
			{ "categories", "Mugs:2,Plates:1" },
			{ "brands", "Acme:2" },
			{ "stock_status", "instock:2,outofstock:1" },
			{ "on_sale", "true:2,false:1" },       /* f2 sent none: the column says false */
			{ "featured", "false:1,true:1" },      /* f3 has none: not counted */
			{ "type", "simple:2,variable:1" },
			{ "attributes.color", "red:2,blue:1,white:1" }, /* a single string counts as a list of one */
			{ "metadata.retailer_id", "r1:2,r2:1" },
			{ "metadata.grams", "300:2" },
			{ "metadata.tags", "" },               /* an object has no value to count */
			{ "attributes.size", "" },
		};
		for (size_t i = 0; i < sizeof facets / sizeof facets[0]; i++) {
			facet_text(reply.body, facets[i].name, text, sizeof text);
			ITEST_CHECK(strcmp(text, facets[i].expected) == 0, "facet %s: [%s], expected [%s]", facets[i].name, text,
						facets[i].expected);
		}
		range_facet_text(reply.body, "price_ranges", text, sizeof text);
		ITEST_CHECK(strcmp(text, "0-25[0,25]:1,25-50[25,50]:1,500+[500,-]:1") == 0, "price_ranges: [%s]", text);
		json_object *facets_object = json_path_get(reply.body, "data.facets"), *unused = NULL;
		ITEST_CHECK(facets_object && !json_object_object_get_ex(facets_object, "price", &unused) &&
						!json_object_object_get_ex(facets_object, "tags", &unused),
					"only the facets asked for are answered");
		api_reply_free(&reply);
	}
	/* Filters narrow the value facets like the others. */
	if (find_call("POST", "/api/v1/find/products/search",
				  "{\"filters\":{\"on_sale\":true},\"includeFacets\":true,\"facetFields\":[\"type\",\"attributes.color\"],"
				  "\"facetSize\":1}",
				  "facet-ws", token, &reply)) {
		facet_text(reply.body, "type", text, sizeof text);
		ITEST_CHECK(strcmp(text, "simple:2") == 0, "type of the products on sale: [%s]", text);
		facet_text(reply.body, "attributes.color", text, sizeof text);
		ITEST_CHECK(strcmp(text, "red:2") == 0, "one colour per facetSize 1: [%s]", text);
		api_reply_free(&reply);
	}
	static const struct {
		const char *label, *path, *body, *named;
	} refused[] = {
		{ "an unknown facet", "/api/v1/find/products/search", "{\"includeFacets\":true,\"facetFields\":[\"colour\"]}",
		  "colour" },
		{ "an attribute name that is not a plain name", "/api/v1/find/products/search",
		  "{\"includeFacets\":true,\"facetFields\":[\"attributes.a.b\"]}", "attributes.a.b" },
		{ "posts have no stock_status", "/api/v1/find/posts/search",
		  "{\"includeFacets\":true,\"facetFields\":[\"stock_status\"]}", "stock_status" },
		{ "posts have no price_ranges", "/api/v1/find/posts/search",
		  "{\"includeFacets\":true,\"facetFields\":[\"price_ranges\"]}", "price_ranges" },
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (!find_call("POST", refused[i].path, refused[i].body, "facet-ws", token, &reply))
			continue;
		json_object *details = json_path_get(reply.body, "error.details");
		json_object *first = details && json_object_array_length(details) ? json_object_array_get_idx(details, 0) : NULL;
		const char *field = first ? json_path_string(first, "field") : NULL;
		const char *message = first ? json_path_string(first, "issue") : NULL;
		ITEST_CHECK(reply.status == 400 && field && strcmp(field, "facetFields") == 0 && message &&
						strstr(message, refused[i].named) != NULL,
					"%s: %ld, %s: %s", refused[i].label, reply.status, field ? field : "-", message ? message : "-");
		api_reply_free(&reply);
	}
}

static void posts_search_and_filter(void)
{
	char ids[256];
	int64_t total = 0;
	if (search_ids("/api/v1/find/posts/search", "{\"text\":\"espresso\"}", "shop-a", token, ids, sizeof ids, &total))
		ITEST_CHECK(strncmp(ids, "post-espresso", 13) == 0, "espresso post first: [%s]", ids);
	if (search_ids("/api/v1/find/posts/search", "{\"filters\":{\"author_name\":\"Ann\"}}", "shop-a", token, ids,
				   sizeof ids, &total)) {
		char sorted[256];
		sort_list(ids, sorted, sizeof sorted);
		ITEST_CHECK(strcmp(sorted, "post-audio,post-espresso") == 0 && total == 2, "Ann's posts: [%s]", sorted);
	}
	if (search_ids("/api/v1/find/posts/search", "{\"filters\":{\"status\":\"publish\",\"tags\":\"guide\"}}", "shop-a",
				   token, ids, sizeof ids, &total))
		ITEST_CHECK(strcmp(ids, "post-espresso") == 0, "published guides: [%s]", ids);
	struct api_reply reply;
	if (find_call("POST", "/api/v1/find/posts/search", "{\"includeFacets\":true}", "shop-a", token, &reply)) {
		char text[256];
		facet_text(reply.body, "tags", text, sizeof text);
		ITEST_CHECK(strcmp(text, "guide:2,review:1") == 0, "post tags facet: [%s]", text);
		ITEST_CHECK(json_path_get(reply.body, "data.facets.price") == NULL, "posts have no price facet");
		api_reply_free(&reply);
	}
	expect_call("posts have no brands filter", "POST", "/api/v1/find/posts/search", "{\"filters\":{\"brands\":\"x\"}}",
				"shop-a", token, 400, "VALIDATION_ERROR");
	expect_call("GET post", "GET", "/api/v1/find/posts/post-shoes", NULL, "shop-a", token, 200, NULL);
}

static void taxonomies_upsert_get_and_delete_by_query(void)
{
	const char *fixture = "{\"entities\":["
						  "{\"id\":\"t1\",\"name\":\"Shoes\",\"slug\":\"shoes\",\"taxonomyName\":\"product_cat\",\"parent\":0},"
						  "{\"id\":\"t2\",\"name\":\"Trail\",\"slug\":\"trail\",\"taxonomyName\":\"product_cat\",\"parent\":\"t1\"},"
						  "{\"id\":\"t3\",\"name\":\"Sale\",\"slug\":\"sale\",\"taxonomyName\":\"product_tag\"}]}";
	if (!ITEST_CHECK(bulk_all_stored("/api/v1/find/taxonomies/bulk", fixture, "tax-ws", 3) == 0, "taxonomy fixture"))
		return;
	struct api_reply reply;
	if (find_call("GET", "/api/v1/find/taxonomies/t2", NULL, "tax-ws", token, &reply)) {
		const char *parent = json_path_string(reply.body, "data.parent");
		ITEST_CHECK(reply.status == 200 && parent && strcmp(parent, "t1") == 0, "taxonomy t2: %ld parent %s",
					reply.status, parent ? parent : "-");
		api_reply_free(&reply);
	}
	if (find_call("POST", "/api/v1/find/taxonomies/delete-by-query",
				  "{\"filters\":[{\"field\":\"taxonomyName\",\"value\":\"product_cat\"}]}", "tax-ws", token, &reply)) {
		int64_t deleted = -1;
		json_path_int64(reply.body, "data.deleted_count", &deleted);
		ITEST_CHECK(reply.status == 200 && deleted == 2, "product_cat taxonomies deleted: %lld", (long long)deleted);
		api_reply_free(&reply);
	}
	expect_call("taxonomy field not for products", "POST", "/api/v1/find/products/delete-by-query",
				"{\"filters\":[{\"field\":\"taxonomyName\",\"value\":\"x\"}]}", "tax-ws", token, 400, NULL);
	expect_call("no search route for taxonomies", "POST", "/api/v1/find/taxonomies/search", "{}", "tax-ws", token, 405,
				NULL);
}

static void workspaces_keep_content_apart(void)
{
	const char *only_b = "{\"id\":\"only-b\",\"name\":\"Zebra Print Umbrella\",\"categories\":[\"Rain\"]}";
	expect_call("write to shop-b", "POST", "/api/v1/find/products", only_b, "shop-b", token, 200, NULL);
	/* The same id in two workspaces: each keeps its own. */
	expect_call("hp-1 in shop-b", "POST", "/api/v1/find/products", "{\"id\":\"hp-1\",\"name\":\"Zebra Headphones\"}",
				"shop-b", token, 200, NULL);
	expect_call("only-b from shop-a", "GET", "/api/v1/find/products/only-b", NULL, "shop-a", token, 404, "NOT_FOUND");
	expect_call("only-b from shop-b", "GET", "/api/v1/find/products/only-b", NULL, "shop-b", token, 200, NULL);
	expect_call("only-b without a workspace", "GET", "/api/v1/find/products/only-b", NULL, NULL, token, 200, NULL);
	struct api_reply reply;
	if (find_call("GET", "/api/v1/find/products/hp-1", NULL, "shop-a", token, &reply)) {
		const char *name = json_path_string(reply.body, "data.name");
		ITEST_CHECK(name && strcmp(name, "Wireless Noise Cancelling Headphones") == 0, "hp-1 in shop-a unchanged: %s",
					name ? name : "-");
		api_reply_free(&reply);
	}
	if (find_call("GET", "/api/v1/find/products/hp-1", NULL, NULL, token, &reply)) {
		const char *name = json_path_string(reply.body, "data.name");
		ITEST_CHECK(name && strcmp(name, "Zebra Headphones") == 0, "hp-1 without a workspace: most recently updated, got %s",
					name ? name : "-");
		api_reply_free(&reply);
	}
	if (find_call("GET", "/api/v1/find/products/ids?limit=1000", NULL, "shop-a", token, &reply)) {
		int64_t total = 0;
		json_path_int64(reply.body, "data.total_count", &total);
		ITEST_CHECK(total == 12, "shop-a ids: 12, got %lld", (long long)total);
		api_reply_free(&reply);
	}
	if (find_call("GET", "/api/v1/find/products/ids?limit=1000", NULL, "shop-b", token, &reply)) {
		char ids[128];
		join_ids(json_path_get(reply.body, "data.ids"), ids, sizeof ids);
		ITEST_CHECK(strcmp(ids, "hp-1,only-b") == 0, "shop-b ids: [%s]", ids);
		api_reply_free(&reply);
	}
	char ids[256];
	int64_t total = 0;
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"zebra\"}", "shop-a", token, ids, sizeof ids, &total))
		ITEST_CHECK(total == 0, "zebra from shop-a: none, got [%s]", ids);
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"zebra\"}", "shop-b", token, ids, sizeof ids, &total))
		ITEST_CHECK(total == 2, "zebra from shop-b: 2, got [%s]", ids);
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"zebra umbrella\"}", NULL, token, ids, sizeof ids, &total))
		ITEST_CHECK(strncmp(ids, "only-b", 6) == 0, "zebra umbrella across workspaces: [%s]", ids);
	if (search_ids("/api/v1/find/products/search", "{\"filters\":{\"categories\":\"Rain\"}}", NULL, token, ids,
				   sizeof ids, &total))
		ITEST_CHECK(strcmp(ids, "only-b") == 0, "Rain across workspaces: [%s]", ids);
	expect_call("delete only-b in shop-a is absent", "DELETE", "/api/v1/find/products/only-b", NULL, "shop-a", token, 404,
				NULL);
	expect_call("delete only-b in shop-b", "DELETE", "/api/v1/find/products/only-b", NULL, "shop-b", token, 200, NULL);
}

static void another_tenant_sees_nothing(void)
{
	expect_call("other tenant GET", "GET", "/api/v1/find/products/hp-1", NULL, NULL, other_token, 404, "NOT_FOUND");
	expect_call("other tenant GET with workspace", "GET", "/api/v1/find/products/hp-1", NULL, "shop-a", other_token, 404,
				NULL);
	expect_call("other tenant DELETE", "DELETE", "/api/v1/find/products/hp-1", NULL, "shop-a", other_token, 404, NULL);
	struct api_reply reply;
	if (find_call("GET", "/api/v1/find/products/ids", NULL, NULL, other_token, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "data.total_count", &total);
		ITEST_CHECK(reply.status == 200 && total == 0, "other tenant ids: %lld", (long long)total);
		api_reply_free(&reply);
	}
	char ids[256];
	int64_t total = 0;
	if (search_ids("/api/v1/find/products/search", "{\"text\":\"headphones\"}", "shop-a", other_token, ids, sizeof ids,
				   &total))
		ITEST_CHECK(total == 0, "other tenant search: none, got [%s]", ids);
	if (search_ids("/api/v1/find/products/search", "{\"includeFacets\":true}", NULL, other_token, ids, sizeof ids, &total))
		ITEST_CHECK(total == 0, "other tenant browse: none, got [%s]", ids);
	expect_call("other tenant delete-by-query deletes nothing here", "POST", "/api/v1/find/products/delete-by-query",
				"{\"filters\":[{\"field\":\"status\",\"value\":\"publish\"}]}", "shop-a", other_token, 200, NULL);
	expect_call("fixture intact", "GET", "/api/v1/find/products/kt-1", NULL, "shop-a", token, 200, NULL);
}

/* Fills a fresh tenant to its plan's taxonomy cap (read from tierLimits), then one more. */
static void a_new_entity_beyond_the_plan_cap_is_refused(void)
{
	char slug[64], admin_token[TOKEN_MAX];
	if (!ITEST_CHECK(find_tenant_with_admin("fcp", slug, sizeof slug, admin_token) == 0, "cap tenant"))
		return;
	struct api_reply reply;
	int64_t cap = -1;
	if (find_call("GET", "/api/v1/find/taxonomies/ids", NULL, "cap-ws", admin_token, &reply)) {
		json_path_int64(reply.body, "tierLimits.indexing.taxonomies", &cap);
		api_reply_free(&reply);
	}
	if (!ITEST_CHECK(cap > 0 && cap <= 2000, "a taxonomy cap small enough to fill, got %lld", (long long)cap))
		return;
	size_t size = 600 * 64;
	char *body = malloc(size);
	int64_t stored = 0;
	while (stored < cap) {
		int64_t batch = cap - stored < 500 ? cap - stored : 500;
		strcpy(body, "{\"entities\":[");
		for (int64_t i = 0; i < batch; i++)
			snprintf(body + strlen(body), size - strlen(body), "%s{\"id\":\"t%lld\",\"name\":\"T %lld\"}", i ? "," : "",
					 (long long)(stored + i), (long long)(stored + i));
		strcat(body, "]}");
		if (!find_call("POST", "/api/v1/find/taxonomies/bulk", body, "cap-ws", admin_token, &reply))
			break;
		json_object *ok = json_path_get(reply.body, "data.successfulIds");
		int64_t count = ok ? (int64_t)json_object_array_length(ok) : 0;
		api_reply_free(&reply);
		if (!ITEST_CHECK(count == batch, "filling to the cap: %lld of %lld stored", (long long)count, (long long)batch))
			break;
		stored += count;
	}
	free(body);
	if (stored != cap)
		return;
	expect_call("one more than the cap", "POST", "/api/v1/find/taxonomies", "{\"id\":\"extra\",\"name\":\"Extra\"}",
				"cap-ws", admin_token, 403, "PLAN_LIMIT_REACHED");
	if (find_call("POST", "/api/v1/find/taxonomies/bulk", "{\"entities\":[{\"id\":\"extra2\",\"name\":\"E\"}]}", "cap-ws",
				  admin_token, &reply)) {
		json_object *failed = json_path_get(reply.body, "data.failedItems");
		const char *error = failed && json_object_array_length(failed) == 1
								? json_path_string(json_object_array_get_idx(failed, 0), "error")
								: NULL;
		ITEST_CHECK(error && strstr(error, "limit"), "bulk item over the cap fails: %s", error ? error : "-");
		api_reply_free(&reply);
	}
	expect_call("updating an existing id at the cap", "POST", "/api/v1/find/taxonomies",
				"{\"id\":\"t0\",\"name\":\"Renamed\"}", "cap-ws", admin_token, 200, NULL);
	expect_call("another workspace shares the tenant's cap", "POST", "/api/v1/find/taxonomies",
				"{\"id\":\"elsewhere\",\"name\":\"E\"}", "cap-ws-2", admin_token, 403, "PLAN_LIMIT_REACHED");
	expect_call("delete one", "DELETE", "/api/v1/find/taxonomies/t1", NULL, "cap-ws", admin_token, 200, NULL);
	expect_call("room again after a delete", "POST", "/api/v1/find/taxonomies", "{\"id\":\"extra\",\"name\":\"Extra\"}",
				"cap-ws", admin_token, 200, NULL);
}

bool find_content_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_content", find_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "upsert_creates_then_updates_and_delete_removes",
						  upsert_creates_then_updates_and_delete_removes, NULL) &&
		   itest_add_test(suite, "writes_need_a_valid_workspace_and_valid_fields",
						  writes_need_a_valid_workspace_and_valid_fields, NULL) &&
		   itest_add_test(suite, "bulk_reports_bad_items_and_stores_good_ones", bulk_reports_bad_items_and_stores_good_ones,
						  NULL) &&
		   itest_add_test(suite, "dot_segment_ids_are_refused_since_no_url_reaches_them",
						  dot_segment_ids_are_refused_since_no_url_reaches_them, NULL) &&
		   itest_add_test(suite, "ids_page_with_total_and_has_more", ids_page_with_total_and_has_more, NULL) &&
		   itest_add_test(suite, "ids_filtered_by_status_count_what_they_list",
						  ids_filtered_by_status_count_what_they_list, NULL) &&
		   itest_add_test(suite, "delete_by_query_counts_and_refuses_vague_filters",
						  delete_by_query_counts_and_refuses_vague_filters, NULL) &&
		   itest_add_test(suite, "search_ranks_the_right_product_first", search_ranks_the_right_product_first, NULL) &&
		   itest_add_test(suite, "search_filters_return_exactly_the_expected_ids",
						  search_filters_return_exactly_the_expected_ids, NULL) &&
		   itest_add_test(suite, "facets_count_the_whole_match_set", facets_count_the_whole_match_set, NULL) &&
		   itest_add_test(suite, "a_search_page_of_large_documents_is_cut_and_says_so",
						  a_search_page_of_large_documents_is_cut_and_says_so, NULL) &&
		   itest_add_test(suite, "sdk_facet_fields_are_counted_or_refused", sdk_facet_fields_are_counted_or_refused,
						  NULL) &&
		   itest_add_test(suite, "posts_search_and_filter", posts_search_and_filter, NULL) &&
		   itest_add_test(suite, "taxonomies_upsert_get_and_delete_by_query", taxonomies_upsert_get_and_delete_by_query,
						  NULL) &&
		   itest_add_test(suite, "workspaces_keep_content_apart", workspaces_keep_content_apart, NULL) &&
		   itest_add_test(suite, "another_tenant_sees_nothing", another_tenant_sees_nothing, NULL) &&
		   itest_add_test(suite, "a_new_entity_beyond_the_plan_cap_is_refused",
						  a_new_entity_beyond_the_plan_cap_is_refused, NULL);
}

/*
 * The find search index over real HTTP: ranking over name and text in one
 * pass with phrases first, the word being typed as a prefix, one-edit typos
 * from the tenant's own words, totals exact up to the bound and estimated
 * past it, facets sampled past it, writes searchable as soon as they are
 * answered, filters and workspaces on the index's candidates, the rebuild
 * by intuka-admin find-reindex, and tenants that never see each other's
 * words.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "sql_session.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097 };

static char tenant[64], neighbour[64];
static char token[TOKEN_MAX], neighbour_token[TOKEN_MAX];
static const char password[] = "scale-password-123";

/* Products loaded by SQL into workspace "bulk" and indexed by find-reindex:
 * every name has "common", one in 125 also "rare". */
enum { BULK_PRODUCTS = 5000, RARE_PRODUCTS = BULK_PRODUCTS / 125, NEIGHBOUR_PRODUCTS = 2000 };

static bool scale_call(const char *method, const char *path, const char *body, const char *workspace,
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

/* What one search answered. */
struct search_answer {
	char ids[2048]; /* result ids in order, comma-separated */
	int64_t total;
	int total_is_exact; /* -1 when the member is missing */
	int facets_are_exact;
	json_object *facets; /* owned when not NULL */
};

static bool search(const char *bearer, const char *workspace, const char *body, struct search_answer *answer)
{
	struct api_reply reply;
	memset(answer, 0, sizeof *answer);
	answer->total = -1;
	answer->total_is_exact = answer->facets_are_exact = -1;
	if (!scale_call("POST", "/api/v1/find/products/search", body, workspace, bearer, &reply))
		return false;
	bool ok = ITEST_CHECK(reply.status == 200, "search %s: %ld %s", body, reply.status, api_error_code(&reply));
	json_object *results = json_path_get(reply.body, "data.results");
	size_t used = 0;
	for (size_t i = 0; results && i < json_object_array_length(results) && used < sizeof answer->ids; i++) {
		const char *id = json_path_string(json_object_array_get_idx(results, i), "id");
		used += (size_t)snprintf(answer->ids + used, sizeof answer->ids - used, "%s%s", i ? "," : "", id ? id : "?");
	}
	json_path_int64(reply.body, "data.total", &answer->total);
	json_object *flag = json_path_get(reply.body, "data.totalIsExact");
	if (flag != NULL && json_object_is_type(flag, json_type_boolean))
		answer->total_is_exact = json_object_get_boolean(flag);
	flag = json_path_get(reply.body, "data.facetsAreExact");
	if (flag != NULL && json_object_is_type(flag, json_type_boolean))
		answer->facets_are_exact = json_object_get_boolean(flag);
	json_object *facets = json_path_get(reply.body, "data.facets");
	answer->facets = facets ? json_object_get(facets) : NULL;
	api_reply_free(&reply);
	return ok;
}

static void search_answer_free(struct search_answer *answer)
{
	json_object_put(answer->facets);
	answer->facets = NULL;
}

/* ids as expected: "a|b,c" means a and b in either order, then c. */
static bool ids_match(const char *ids, const char *expected)
{
	char either[64], swapped[128];
	const char *bar = strchr(expected, '|');
	if (bar == NULL)
		return strcmp(ids, expected) == 0;
	const char *comma = strchr(bar, ',');
	size_t second_length = comma ? (size_t)(comma - bar - 1) : strlen(bar + 1);
	snprintf(either, sizeof either, "%.*s,%.*s", (int)(bar - expected), expected, (int)second_length, bar + 1);
	snprintf(swapped, sizeof swapped, "%.*s,%.*s%s", (int)second_length, bar + 1, (int)(bar - expected), expected,
			 comma ? comma : "");
	char straight[128];
	snprintf(straight, sizeof straight, "%s%s", either, comma ? comma : "");
	return strcmp(ids, straight) == 0 || strcmp(ids, swapped) == 0;
}

/* The count of key in a facet list, or -1. */
static int64_t facet_count(json_object *facets, const char *facet, const char *key)
{
	json_object *list = NULL;
	if (facets == NULL || !json_object_object_get_ex(facets, facet, &list))
		return -1;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *entry = json_object_array_get_idx(list, i);
		const char *entry_key = json_path_string(entry, "key");
		int64_t count = -1;
		if (entry_key && strcmp(entry_key, key) == 0 && json_path_int64(entry, "count", &count))
			return count;
	}
	return -1;
}

/* ------------------------------------------------------------- fixture */

#define P(id, name, content, category)                                                                             \
	"{\"id\":\"" id "\",\"name\":\"" name "\",\"content\":\"" content "\",\"categories\":[\"" category "\"],"       \
	"\"status\":\"publish\",\"price\":10}"

static const char ranking_fixture[] = "{\"entities\":["
	P("wh", "Wireless Headphones", "Over-ear, with a long battery.", "Audio") ","
	P("hs", "Headphones Stand Wireless", "Holds any pair of cans.", "Audio") ","
	P("hx", "Studio Monitor", "Pairs with wireless headphones and speakers.", "Audio") ","
	P("kt", "Electric Kettle", "Boils water fast.", "Kitchen") ","
	P("ln", "Camping Lantern", "Bright and light.", "Outdoor") ","
	P("lp", "Desk Lamp", "Warm light for reading.", "Home")
	"]}";

static int scale_tenant(const char *prefix, char *slug, size_t slug_size, char *admin_token)
{
	char email[128];
	identity_unique_slug(prefix, slug, slug_size);
	snprintf(email, sizeof email, "admin@%s.test", slug);
	const char *create[] = { "tenant", "create", slug, "Scale Co", NULL };
	const char *user[] = { "user", "create", slug, email, NULL };
	if (admin_command(create, NULL) || admin_command(user, password))
		return 1;
	return api_login(email, password, slug, admin_token, NULL) == 200 ? 0 : 1;
}

/* count products named "Common <word> <n>" (every rare_every-th also "rare")
 * loaded by SQL into the tenant's workspace "bulk", with a category each,
 * numbered evenly over the search range; returns the rows inserted. */
static long load_by_sql(const char *slug, const char *word, int count, int rare_every)
{
	char sql[4096];
	snprintf(sql, sizeof sql,
			 "SET @t = (SELECT tenant_id FROM tenants WHERE slug = '%s');"
			 "INSERT INTO find_products (tenant_id, workspace, product_id, search_doc, name, content, excerpt, sku,"
			 " categories_text, tags_text, brands_text, status, document)"
			 " SELECT @t, 'bulk', CONCAT('c', seq), seq * 858993,"
			 " CONCAT('Common %s ', IF(seq %% %d = 0, 'rare ', ''), seq), '', '', '',"
			 " ELT(1 + seq %% 4, 'Red', 'Green', 'Blue', 'Gold'), '', '', 'publish',"
			 " JSON_OBJECT('id', CONCAT('c', seq), 'name', CONCAT('Common %s ', seq))"
			 " FROM seq_1_to_%d;"
			 "SET @n = ROW_COUNT();"
			 "INSERT INTO find_terms (tenant_id, entity, workspace, entity_id, facet, term)"
			 " SELECT @t, 'product', 'bulk', CONCAT('c', seq), 'categories', ELT(1 + seq %% 4, 'Red', 'Green', 'Blue', 'Gold')"
			 " FROM seq_1_to_%d;"
			 "SELECT @n;",
			 slug, word, rare_every, word, count, count);
	return sql_number(sql);
}

static int scale_suite_init(void)
{
	if (scale_tenant("fss", tenant, sizeof tenant, token) ||
		scale_tenant("fsn", neighbour, sizeof neighbour, neighbour_token))
		return 1;
	struct api_reply reply;
	if (!scale_call("POST", "/api/v1/find/products/bulk", ranking_fixture, "shop", token, &reply))
		return 1;
	json_object *ok = json_path_get(reply.body, "data.successfulIds");
	int stored = reply.status == 200 && ok && json_object_array_length(ok) == 6;
	api_reply_free(&reply);
	return stored ? 0 : 1;
}

/* -------------------------------------------------------------- tests */

/* The large catalogues come in by SQL, as an operator's import would, and
 * are searchable once find-reindex has run (the tests below use them). */
static void a_catalogue_loaded_by_sql_is_indexed_by_find_reindex(void)
{
	struct search_answer answer;
	ITEST_CHECK(load_by_sql(tenant, "Widget", BULK_PRODUCTS, BULK_PRODUCTS / RARE_PRODUCTS) == BULK_PRODUCTS,
				"%d products loaded", BULK_PRODUCTS);
	ITEST_CHECK(load_by_sql(neighbour, "Zebrawidget", NEIGHBOUR_PRODUCTS, 1000000) == NEIGHBOUR_PRODUCTS,
				"%d neighbour products loaded", NEIGHBOUR_PRODUCTS);
	if (search(token, "bulk", "{\"text\":\"rare \"}", &answer))
		ITEST_CHECK(answer.total == 0, "before find-reindex, rows loaded by SQL are not in the index: %lld",
					(long long)answer.total);
	search_answer_free(&answer);
	const char *reindex[] = { "find-reindex", tenant, NULL };
	const char *reindex_neighbour[] = { "find-reindex", neighbour, NULL };
	ITEST_CHECK(admin_command(reindex, NULL) == 0, "find-reindex %s", tenant);
	ITEST_CHECK(admin_command(reindex_neighbour, NULL) == 0, "find-reindex %s", neighbour);
	if (search(token, "bulk", "{\"text\":\"rare \"}", &answer))
		ITEST_CHECK(answer.total == RARE_PRODUCTS, "after find-reindex: %lld", (long long)answer.total);
	search_answer_free(&answer);
	/* The products written through the API were indexed again alike. */
	if (search(token, "shop", "{\"text\":\"kettle \"}", &answer))
		ITEST_CHECK(strcmp(answer.ids, "kt") == 0, "kettle after find-reindex: [%s]", answer.ids);
	search_answer_free(&answer);
}

static void name_and_text_rank_in_one_pass_and_phrases_come_first(void)
{
	struct search_answer answer;
	/* All three hold both words; "wireless headphones" side by side in the
	 * name beats the same words apart in the name, which beats the text. */
	if (search(token, "shop", "{\"text\":\"wireless headphones\"}", &answer)) {
		ITEST_CHECK(strcmp(answer.ids, "wh,hs,hx") == 0, "wireless headphones: [%s]", answer.ids);
		ITEST_CHECK(answer.total == 3 && answer.total_is_exact == 1, "total %lld exact %d", (long long)answer.total,
					answer.total_is_exact);
	}
	search_answer_free(&answer);
	/* Any word only when every word finds nothing. */
	if (search(token, "shop", "{\"text\":\"kettle lantern\"}", &answer))
		ITEST_CHECK(answer.total == 2, "kettle lantern (no item has both): [%s] %lld", answer.ids,
					(long long)answer.total);
	search_answer_free(&answer);
}

static void the_word_being_typed_matches_as_a_prefix(void)
{
	static const struct {
		const char *body, *ids;
	} cases[] = {
		/* wh and hs tie (both words in the name), hx has them in its text only */
		{ "{\"text\":\"wireless headph\"}", "wh|hs,hx" },
		{ "{\"text\":\"lant\"}", "ln" },
		{ "{\"text\":\"camping l\"}", "ln" },
		/* "lamp" is a word of the catalogue: exactly, and the page is not full, so "lamp" as a prefix too. */
		{ "{\"text\":\"lamp\"}", "lp" },
		/* A finished word (a space after it) is not a prefix. */
		{ "{\"text\":\"lant \"}", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct search_answer answer;
		if (search(token, "shop", cases[i].body, &answer))
			ITEST_CHECK(ids_match(answer.ids, cases[i].ids), "%s: expected [%s], got [%s]", cases[i].body, cases[i].ids,
						answer.ids);
		search_answer_free(&answer);
	}
}

static void words_of_five_letters_or_more_forgive_one_typo(void)
{
	static const struct {
		const char *body, *ids;
	} cases[] = {
		{ "{\"text\":\"kettel \"}", "kt" },        /* two letters swapped */
		{ "{\"text\":\"ketle \"}", "kt" },         /* one missing */
		{ "{\"text\":\"lanterns \"}", "ln" },      /* one added */
		{ "{\"text\":\"wireless headphonez \"}", "wh|hs,hx" },
		{ "{\"text\":\"kxttxe \"}", "" },          /* two edits */
		{ "{\"text\":\"lmap \"}", "" },            /* four letters: no typo tolerance */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct search_answer answer;
		if (search(token, "shop", cases[i].body, &answer))
			ITEST_CHECK(ids_match(answer.ids, cases[i].ids), "%s: expected [%s], got [%s]", cases[i].body, cases[i].ids,
						answer.ids);
		search_answer_free(&answer);
	}
}

static void totals_are_exact_up_to_the_bound_then_estimated(void)
{
	struct search_answer answer;
	if (search(token, "bulk", "{\"text\":\"common widget\",\"limit\":5}", &answer)) {
		ITEST_CHECK(answer.total_is_exact == 0, "5000 matches: totalIsExact false, got %d", answer.total_is_exact);
		ITEST_CHECK(llabs(answer.total - BULK_PRODUCTS) <= BULK_PRODUCTS / 20, "estimate within 5%% of %d: %lld",
					BULK_PRODUCTS, (long long)answer.total);
		ITEST_CHECK(strlen(answer.ids) > 0 && strchr(answer.ids, ',') != NULL, "a page of results: [%s]", answer.ids);
	}
	search_answer_free(&answer);
	if (search(token, "bulk", "{\"text\":\"rare\"}", &answer))
		ITEST_CHECK(answer.total == RARE_PRODUCTS && answer.total_is_exact == 1, "rare: %lld exact %d",
					(long long)answer.total, answer.total_is_exact);
	search_answer_free(&answer);
	/* Without text the total is always exact. */
	if (search(token, "bulk", "{\"limit\":1}", &answer))
		ITEST_CHECK(answer.total == BULK_PRODUCTS && answer.total_is_exact == 1, "browse: %lld exact %d",
					(long long)answer.total, answer.total_is_exact);
	search_answer_free(&answer);
}

static void facets_are_exact_up_to_the_bound_then_sampled(void)
{
	struct search_answer answer;
	if (search(token, "bulk", "{\"text\":\"rare\",\"includeFacets\":true,\"facetFields\":[\"categories\"]}", &answer)) {
		/* 40 rare ones: seq 125, 250, ...: seq % 4 is 1 for odd multiples of 125, 2 for 250 + 500k... */
		int64_t red = facet_count(answer.facets, "categories", "Red"), green = facet_count(answer.facets, "categories", "Green");
		int64_t blue = facet_count(answer.facets, "categories", "Blue"), gold = facet_count(answer.facets, "categories", "Gold");
		ITEST_CHECK(answer.facets_are_exact == 1, "rare facets exact: %d", answer.facets_are_exact);
		ITEST_CHECK((red < 0 ? 0 : red) + (green < 0 ? 0 : green) + (blue < 0 ? 0 : blue) + (gold < 0 ? 0 : gold) ==
						RARE_PRODUCTS,
					"rare facets add up to %d: %lld %lld %lld %lld", RARE_PRODUCTS, (long long)red, (long long)green,
					(long long)blue, (long long)gold);
	}
	search_answer_free(&answer);
	if (search(token, "bulk", "{\"text\":\"common\",\"includeFacets\":true,\"facetFields\":[\"categories\"]}", &answer)) {
		ITEST_CHECK(answer.facets_are_exact == 0, "common facets sampled: %d", answer.facets_are_exact);
		const char *keys[] = { "Red", "Green", "Blue", "Gold" };
		for (size_t i = 0; i < 4; i++) {
			int64_t count = facet_count(answer.facets, "categories", keys[i]);
			ITEST_CHECK(llabs(count - BULK_PRODUCTS / 4) <= BULK_PRODUCTS / 20, "%s scaled near %d: %lld", keys[i],
						BULK_PRODUCTS / 4, (long long)count);
		}
	}
	search_answer_free(&answer);
}

static void writes_are_searchable_when_answered_and_gone_when_deleted(void)
{
	struct api_reply reply;
	struct search_answer answer;
	if (scale_call("POST", "/api/v1/find/products", "{\"id\":\"qk\",\"name\":\"Quokka Plush\",\"status\":\"publish\"}",
				   "shop", token, &reply))
		ITEST_CHECK(reply.status == 200, "upsert qk: %ld", reply.status);
	api_reply_free(&reply);
	if (search(token, "shop", "{\"text\":\"quokka\"}", &answer))
		ITEST_CHECK(strcmp(answer.ids, "qk") == 0, "quokka after its upsert: [%s]", answer.ids);
	search_answer_free(&answer);
	if (scale_call("POST", "/api/v1/find/products", "{\"id\":\"qk\",\"name\":\"Wombat Plush\",\"status\":\"publish\"}",
				   "shop", token, &reply))
		ITEST_CHECK(reply.status == 200, "update qk: %ld", reply.status);
	api_reply_free(&reply);
	if (search(token, "shop", "{\"text\":\"quokka \"}", &answer))
		ITEST_CHECK(answer.total == 0, "quokka after the rename: [%s]", answer.ids);
	search_answer_free(&answer);
	if (search(token, "shop", "{\"text\":\"wombat plush\"}", &answer))
		ITEST_CHECK(strcmp(answer.ids, "qk") == 0, "wombat after the rename: [%s]", answer.ids);
	search_answer_free(&answer);
	if (scale_call("DELETE", "/api/v1/find/products/qk", NULL, "shop", token, &reply))
		ITEST_CHECK(reply.status == 200, "delete qk: %ld", reply.status);
	api_reply_free(&reply);
	if (search(token, "shop", "{\"text\":\"wombat \"}", &answer))
		ITEST_CHECK(answer.total == 0, "wombat after the delete: [%s]", answer.ids);
	search_answer_free(&answer);
	/* Delete-by-query takes its matches out of the index too. */
	if (scale_call("POST", "/api/v1/find/products", "{\"id\":\"dq\",\"name\":\"Gnu Figurine\",\"status\":\"draft\"}",
				   "shop", token, &reply))
		ITEST_CHECK(reply.status == 200, "upsert dq: %ld", reply.status);
	api_reply_free(&reply);
	if (scale_call("POST", "/api/v1/find/products/delete-by-query", "{\"filters\":[{\"field\":\"status\",\"value\":\"draft\"}]}",
				   "shop", token, &reply))
		ITEST_CHECK(reply.status == 200, "delete-by-query: %ld", reply.status);
	api_reply_free(&reply);
	if (search(token, "shop", "{\"text\":\"figurine \"}", &answer))
		ITEST_CHECK(answer.total == 0, "figurine after delete-by-query: [%s]", answer.ids);
	search_answer_free(&answer);
}

/* A bulk upsert stores its items in groups (one write of the index per
 * group) and falls back to item by item when a group fails: here a bad item
 * and a repeated id cut groups, and the plan's cap is reached inside one.
 * Every item comes out as it would alone, in order, and each stored one is
 * searchable when the answer arrives. */
static void a_bulk_upsert_in_groups_gives_each_item_its_own_outcome(void)
{
	enum { ITEMS = 80, CAP = 60, BAD = 10, REPEATED = 20, REPEATED_OF = 15 };
	char slug[64], group_token[TOKEN_MAX];
	if (!ITEST_CHECK(scale_tenant("fsg", slug, sizeof slug, group_token) == 0, "group tenant"))
		return;
	char cap_text[16];
	snprintf(cap_text, sizeof cap_text, "%d", CAP);
	const char *plan[] = { "find-plan", "set", slug, "pro", "--max-products", cap_text, NULL };
	if (!ITEST_CHECK(admin_command(plan, NULL) == 0, "plan with a cap of %d products", CAP))
		return;
	size_t size = 64 + ITEMS * 160;
	char *body = malloc(size);
	strcpy(body, "{\"entities\":[");
	for (int i = 0; i < ITEMS; i++) {
		char item[160];
		if (i == BAD)
			snprintf(item, sizeof item, "{\"id\":\"g%d\",\"name\":\"Grouped zq%d\",\"price\":\"cheap\"}", i, i);
		else if (i == REPEATED)
			snprintf(item, sizeof item, "{\"id\":\"g%d\",\"name\":\"Grouped zr%d\",\"status\":\"publish\"}",
					 REPEATED_OF, i);
		else
			snprintf(item, sizeof item, "{\"id\":\"g%d\",\"name\":\"Grouped zq%d\",\"status\":\"publish\"}", i, i);
		snprintf(body + strlen(body), size - strlen(body), "%s%s", i ? "," : "", item);
	}
	strcat(body, "]}");
	struct api_reply reply;
	bool sent = scale_call("POST", "/api/v1/find/products/bulk", body, "shop", group_token, &reply);
	free(body);
	if (!sent)
		return;
	/* Stored: items 0-61 but the bad one (item 20 updates g15, so the 60th
	 * new product is item 61); refused by the cap: 62-79. */
	json_object *ok = json_path_get(reply.body, "data.successfulIds");
	json_object *failures = json_path_get(reply.body, "data.failedItems");
	size_t ok_count = ok ? json_object_array_length(ok) : 0;
	size_t failure_count = failures ? json_object_array_length(failures) : 0;
	ITEST_CHECK(reply.status == 200 && ok_count == 61 && failure_count == ITEMS - 61,
				"bulk: %ld, %zu stored, %zu failed", reply.status, ok_count, failure_count);
	for (size_t i = 0; i < failure_count; i++) {
		json_object *item = json_object_array_get_idx(failures, i);
		int64_t index = -1;
		json_path_int64(item, "index", &index);
		const char *error = json_path_string(item, "error");
		int64_t expected = i == 0 ? BAD : 61 + (int64_t)i;
		if (!ITEST_CHECK(index == expected && error != NULL && (i == 0 || strstr(error, "limit") != NULL),
						 "failure %zu: index %lld (expected %lld), error %s", i, (long long)index,
						 (long long)expected, error ? error : "-"))
			break;
	}
	for (size_t i = 0; i < ok_count && i < 12; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ok, i));
		char expected[16];
		snprintf(expected, sizeof expected, "g%zu", i < BAD ? i : i + 1);
		if (!ITEST_CHECK(id && strcmp(id, expected) == 0, "successful id %zu: %s, expected %s", i, id ? id : "-",
						 expected))
			break;
	}
	api_reply_free(&reply);
	/* Searchable as answered: a word of the first group, one stored item by
	 * item after the cap stopped a group, the repeated id's later name (and
	 * not its earlier one), and nothing of the refused or bad items. */
	static const struct {
		const char *body;
		const char *ids;
	} cases[] = {
		{ "{\"text\":\"zq5 \"}", "g5" },   { "{\"text\":\"zq45 \"}", "g45" }, { "{\"text\":\"zq61 \"}", "g61" },
		{ "{\"text\":\"zr20 \"}", "g15" }, { "{\"text\":\"zq15 \"}", "" },    { "{\"text\":\"zq62 \"}", "" },
		{ "{\"text\":\"zq10 \"}", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct search_answer answer;
		if (search(group_token, "shop", cases[i].body, &answer))
			ITEST_CHECK(strcmp(answer.ids, cases[i].ids) == 0, "%s: expected [%s], got [%s]", cases[i].body,
						cases[i].ids, answer.ids);
		search_answer_free(&answer);
	}
	struct search_answer all;
	if (search(group_token, "shop", "{\"text\":\"grouped\",\"limit\":1}", &all))
		ITEST_CHECK(all.total == CAP && all.total_is_exact == 1, "grouped: %lld products indexed, expected %d",
					(long long)all.total, CAP);
	search_answer_free(&all);
}

static void filters_and_workspaces_narrow_the_index_candidates(void)
{
	struct search_answer answer;
	/* Exactly the Red quarter (seq % 4 == 0) of the rare ones: seq = 125 * k with k % 4 == 0. */
	if (search(token, "bulk", "{\"text\":\"rare\",\"filters\":{\"categories\":\"Red\"},\"limit\":100}", &answer))
		ITEST_CHECK(answer.total == RARE_PRODUCTS / 4 && answer.total_is_exact == 1, "rare Red: %lld",
					(long long)answer.total);
	search_answer_free(&answer);
	/* The ranking fixture is in "shop": not in "bulk". */
	if (search(token, "bulk", "{\"text\":\"kettle \"}", &answer))
		ITEST_CHECK(answer.total == 0, "kettle in bulk: [%s]", answer.ids);
	search_answer_free(&answer);
	if (search(token, NULL, "{\"text\":\"kettle \"}", &answer))
		ITEST_CHECK(strcmp(answer.ids, "kt") == 0, "kettle in every workspace: [%s]", answer.ids);
	search_answer_free(&answer);
}

static void a_tenant_never_finds_or_reads_another_tenants_words(void)
{
	struct search_answer answer;
	/* The neighbour's own words: its own count, not the tenant's. */
	if (search(neighbour_token, "bulk", "{\"text\":\"common\"}", &answer))
		ITEST_CHECK(answer.total_is_exact == 0 || answer.total == NEIGHBOUR_PRODUCTS, "neighbour common: %lld",
					(long long)answer.total);
	search_answer_free(&answer);
	if (search(neighbour_token, "bulk", "{\"text\":\"common\",\"limit\":1}", &answer))
		ITEST_CHECK(llabs(answer.total - NEIGHBOUR_PRODUCTS) <= NEIGHBOUR_PRODUCTS / 20, "neighbour common: %lld",
					(long long)answer.total);
	search_answer_free(&answer);
	/* Words only the other tenant has: not found, not as typos, not as prefixes. */
	static const char *const tenant_bodies[] = { "{\"text\":\"zebrawidget \"}", "{\"text\":\"zebrawidgte \"}",
												 "{\"text\":\"zebraw\"}" };
	for (size_t i = 0; i < 3; i++) {
		if (search(token, NULL, tenant_bodies[i], &answer))
			ITEST_CHECK(answer.total == 0, "tenant %s: [%s]", tenant_bodies[i], answer.ids);
		search_answer_free(&answer);
	}
	static const char *const neighbour_bodies[] = { "{\"text\":\"kettle \"}", "{\"text\":\"kettel \"}",
													"{\"text\":\"kett\"}", "{\"text\":\"rare \"}" };
	for (size_t i = 0; i < 4; i++) {
		if (search(neighbour_token, NULL, neighbour_bodies[i], &answer))
			ITEST_CHECK(answer.total == 0, "neighbour %s: [%s]", neighbour_bodies[i], answer.ids);
		search_answer_free(&answer);
	}
	/* The index rows of each tenant are its own: the neighbour's terms hold
	 * no word of the tenant's fixture. */
	char sql[512];
	snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM find_search_terms WHERE tenant_id = (SELECT tenant_id FROM tenants WHERE slug = '%s')"
			 " AND term IN ('kettle', 'lantern', 'rare', 'widget')",
			 neighbour);
	ITEST_CHECK(sql_number(sql) == 0, "neighbour's terms hold none of the tenant's words");
}

/* The range maxima of a common word: set by find-reindex for a term of 16
 * buckets or more (none for a small one), raised by a write that brings a
 * higher impact into a range, so block-max never skips the item that now
 * ranks first. */
static void range_maxima_follow_writes_so_block_max_skips_nothing_that_ranks(void)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM find_search_terms WHERE tenant_id = (SELECT tenant_id FROM tenants WHERE slug = '%s')"
			 " AND entity = 'product' AND ((term = 'common' AND bucket_bits >= 4 AND LENGTH(range_maxima) = 256)"
			 " OR (term = 'rare' AND range_maxima IS NULL))",
			 tenant);
	ITEST_CHECK(sql_number(sql) == 2, "range maxima for 'common' (5000 items), none for 'rare' (40)");
	struct api_reply reply;
	if (scale_call("POST", "/api/v1/find/products", "{\"id\":\"top-common\",\"name\":\"Common\",\"status\":\"publish\"}",
				   "bulk", token, &reply))
		ITEST_CHECK(reply.status == 200, "upsert top-common: %ld", reply.status);
	api_reply_free(&reply);
	/* The one-word name gives "common" its highest impact: the term's maximum,
	 * and the maximum of the range the item's number falls in. */
	snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM find_search_terms t JOIN find_products p ON p.tenant_id = t.tenant_id"
			 " AND p.workspace = 'bulk' AND p.product_id = 'top-common'"
			 " WHERE t.tenant_id = (SELECT tenant_id FROM tenants WHERE slug = '%s') AND t.entity = 'product'"
			 " AND t.term = 'common' AND ORD(SUBSTRING(t.range_maxima, (p.search_doc >> 24) + 1, 1)) = t.max_impact",
			 tenant);
	ITEST_CHECK(sql_number(sql) == 1, "the write raised the range maximum of top-common's range");
	struct search_answer answer;
	for (int limit = 1; limit <= 3; limit += 2) {
		char body[64];
		snprintf(body, sizeof body, "{\"text\":\"common\",\"limit\":%d}", limit);
		if (search(token, "bulk", body, &answer))
			ITEST_CHECK(strncmp(answer.ids, "top-common", 10) == 0 && (answer.ids[10] == '\0' || answer.ids[10] == ','),
						"%s: top-common first, got [%s]", body, answer.ids);
		search_answer_free(&answer);
	}
	if (scale_call("DELETE", "/api/v1/find/products/top-common", NULL, "bulk", token, &reply))
		ITEST_CHECK(reply.status == 200, "delete top-common: %ld", reply.status);
	api_reply_free(&reply);
}

bool find_search_scale_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_search_scale", scale_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "a_catalogue_loaded_by_sql_is_indexed_by_find_reindex",
						  a_catalogue_loaded_by_sql_is_indexed_by_find_reindex, NULL) &&
		   itest_add_test(suite, "name_and_text_rank_in_one_pass_and_phrases_come_first",
						  name_and_text_rank_in_one_pass_and_phrases_come_first, NULL) &&
		   itest_add_test(suite, "the_word_being_typed_matches_as_a_prefix", the_word_being_typed_matches_as_a_prefix,
						  NULL) &&
		   itest_add_test(suite, "words_of_five_letters_or_more_forgive_one_typo",
						  words_of_five_letters_or_more_forgive_one_typo, NULL) &&
		   itest_add_test(suite, "totals_are_exact_up_to_the_bound_then_estimated",
						  totals_are_exact_up_to_the_bound_then_estimated, NULL) &&
		   itest_add_test(suite, "facets_are_exact_up_to_the_bound_then_sampled",
						  facets_are_exact_up_to_the_bound_then_sampled, NULL) &&
		   itest_add_test(suite, "writes_are_searchable_when_answered_and_gone_when_deleted",
						  writes_are_searchable_when_answered_and_gone_when_deleted, NULL) &&
		   itest_add_test(suite, "a_bulk_upsert_in_groups_gives_each_item_its_own_outcome",
						  a_bulk_upsert_in_groups_gives_each_item_its_own_outcome, NULL) &&
		   itest_add_test(suite, "filters_and_workspaces_narrow_the_index_candidates",
						  filters_and_workspaces_narrow_the_index_candidates, NULL) &&
		   itest_add_test(suite, "a_tenant_never_finds_or_reads_another_tenants_words",
						  a_tenant_never_finds_or_reads_another_tenants_words, NULL) &&
		   itest_add_test(suite, "range_maxima_follow_writes_so_block_max_skips_nothing_that_ranks",
						  range_maxima_follow_writes_so_block_max_skips_nothing_that_ranks, NULL);
}

/*
 * Suite "find_semantic": semantic ranking with embeddings from the test
 * stub (tests/llm_stub: a hashed bag of words in which "sneakers",
 * "trainers", "shoes" and "footwear" are one concept, and "lantern" and
 * "lamp" another), computed by the stack's intukad --embed. A product
 * upsert queues its document in its own transaction; the process embeds
 * it; a search on a plan with semantic search puts the semantically closer
 * product first where text ranking alone does not, a plan without it is
 * unchanged, a failing or stalled provider leaves the text ranking, another
 * tenant's vectors are never used, a claimed queue row waits for its lease,
 * and recommendations use the vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "json_path.h"
#include "sql_session.h"
#include "suites.h"
#include "test_environment.h"

#define SEMANTIC_WORKSPACE "sem-shop"
#define SEMANTIC_QUERY "{\"text\":\"running footwear shoes\"}"
#define SEMANTIC_WAIT_MS 20000

static const char password[] = "find-semantic-password-1";
/* sem: pro (semantic search); plain: starter; iso: pro, for isolation; cap: starter capped at 1 product. */
static char sem[64], sem_admin[4097], sem_key[80];
static char plain[64], plain_admin[4097], plain_key[80];
static char iso[64], iso_admin[4097], iso_key[80];
static char cap[64], cap_admin[4097], cap_key[80];
static bool ready;
static const struct find_headers in_workspace = { .workspace = SEMANTIC_WORKSPACE };

static const char *const catalogue[] = {
	/* Text ranking puts the socks first for "running": the word is in their name. */
	"{\"id\":\"p-socks\",\"name\":\"Running socks\",\"content\":\"Cushioned socks for running\"}",
	/* The sneakers have "running" in their text only, but are footwear twice. */
	"{\"id\":\"p-sneakers\",\"name\":\"Trail sneakers\",\"content\":\"Grippy trainers for running on wet trails\"}",
	"{\"id\":\"p-lantern\",\"name\":\"Camping lantern\",\"content\":\"Bright lantern for tents\"}",
	"{\"id\":\"p-lamp\",\"name\":\"Desk lamp\",\"content\":\"Reading lamp, warm glow\"}",
	"{\"id\":\"p-kettle\",\"name\":\"Steel kettle\",\"content\":\"Boils water fast\"}",
};
enum { CATALOGUE_SIZE = sizeof catalogue / sizeof catalogue[0] };

static bool make_tenant(const char *prefix, char *slug, size_t slug_size, char *token, char *key, size_t key_size)
{
	return find_make_tenant_admin(prefix, "Find Semantic", password, slug, slug_size, token) &&
		   find_create_key(token, "{\"label\":\"server\",\"keyType\":\"secret\"}", key, key_size, NULL, 0) == 201;
}

static bool upsert(const char *key, const char *body)
{
	long status = find_status("POST", "/products", body, key, &in_workspace, NULL);
	if (status != 200 && status != 201)
		fprintf(stderr, "find_semantic set-up: POST /products: %ld\n", status);
	return status == 200 || status == 201;
}

static bool upsert_catalogue(const char *key)
{
	for (size_t i = 0; i < CATALOGUE_SIZE; i++)
		if (!upsert(key, catalogue[i]))
			return false;
	return true;
}

static bool set_plan(const char *slug, const char *plan)
{
	const char *arguments[] = { "find-plan", "set", slug, plan, NULL };
	return admin_command(arguments, NULL) == 0;
}

/* The stub's embeddings for the tenant, at the tenant's own endpoint (no chat model). */
static bool use_embeddings(const char *slug)
{
	const char *arguments[] = { "find-chat-model", "set", slug, "--base-url", getenv("INTUKA_TEST_LLM_URL"),
								"--embedding-model", "stub-embed", NULL };
	return admin_command(arguments, NULL) == 0;
}

static long count_for(const char *table, const char *slug)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s x JOIN tenants t ON t.tenant_id = x.tenant_id WHERE t.slug = '%s'",
			 table, slug);
	return sql_number(sql);
}

/* Until every product of the tenant has a vector and nothing is queued. */
static bool wait_embedded(const char *slug, long products)
{
	char sql[768];
	snprintf(sql, sizeof sql,
			 "SELECT (SELECT COUNT(*) FROM find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id "
			 "WHERE t.slug = '%s') >= %ld AND (SELECT COUNT(*) FROM find_embedding_queue q JOIN tenants t "
			 "ON t.tenant_id = q.tenant_id WHERE t.slug = '%s') = 0",
			 slug, products, slug);
	return sql_wait_for_positive(sql, SEMANTIC_WAIT_MS);
}

static int find_semantic_init(void)
{
	if (!make_tenant("fse", sem, sizeof sem, sem_admin, sem_key, sizeof sem_key) ||
		!make_tenant("fsp", plain, sizeof plain, plain_admin, plain_key, sizeof plain_key) ||
		!make_tenant("fsi", iso, sizeof iso, iso_admin, iso_key, sizeof iso_key) ||
		!make_tenant("fsc", cap, sizeof cap, cap_admin, cap_key, sizeof cap_key))
		return 1;
	const char *capped[] = { "find-plan", "set", cap, "starter", "--max-products", "1", NULL };
	if (!set_plan(sem, "pro") || !set_plan(plain, "starter") || !set_plan(iso, "pro") ||
		admin_command(capped, NULL) != 0)
		return 1;
	ready = upsert_catalogue(sem_key) && upsert_catalogue(plain_key) && upsert_catalogue(iso_key) &&
			use_embeddings(sem) && use_embeddings(iso);
	return 0;
}

/* The ids of a list in the answer, joined by ",". */
static void ids_at(json_object *body, const char *path, char *out, size_t out_size)
{
	json_object *items = body ? json_path_get(body, path) : NULL;
	out[0] = '\0';
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *id = NULL;
		json_object_object_get_ex(json_object_array_get_idx(items, i), "id", &id);
		size_t used = strlen(out);
		snprintf(out + used, out_size - used, "%s%s", used ? "," : "", id ? json_object_get_string(id) : "?");
	}
}

static long search(const char *key, const char *body, char *ids, size_t ids_size)
{
	struct find_reply reply = { 0 };
	ids[0] = '\0';
	if (!find_call("POST", "/products/search", body, key, &in_workspace, &reply))
		return 0;
	ids_at(reply.body, "data.results", ids, ids_size);
	long status = reply.status;
	find_reply_free(&reply);
	return status;
}

static bool starts_with(const char *ids, const char *first)
{
	size_t length = strlen(first);
	return strncmp(ids, first, length) == 0 && (ids[length] == ',' || ids[length] == '\0');
}

/* ---------------------------------------------------------------- queue */

static void an_upsert_queues_its_document_in_its_transaction(void)
{
	if (!ITEST_CHECK(ready, "set-up"))
		return;
	/* cap has no embeddings model: its queue rows stay where the write left them. */
	ITEST_CHECK(upsert(cap_key, catalogue[0]), "the first product is stored");
	ITEST_CHECK(count_for("find_embedding_queue", cap) == 1, "its queue row exists when the answer comes");
	long status = find_status("POST", "/products", catalogue[1], cap_key, &in_workspace, NULL);
	ITEST_CHECK(status >= 400, "a second product is over the plan's cap: %ld", status);
	ITEST_CHECK(count_for("find_embedding_queue", cap) == 1, "the refused write queued nothing (rolled back with it)");
	ITEST_CHECK(count_for("find_embeddings", cap) == 0, "no vector without a model");
	/* Re-upserting the same product keeps one row per document. */
	ITEST_CHECK(upsert(cap_key, catalogue[0]), "the product again");
	ITEST_CHECK(count_for("find_embedding_queue", cap) == 1, "still one queue row");
}

static void the_embedding_process_embeds_queued_documents(void)
{
	if (!ITEST_CHECK(ready, "set-up"))
		return;
	ITEST_CHECK(wait_embedded(sem, CATALOGUE_SIZE), "every product of %s has a vector and the queue is empty", sem);
	char sql[512];
	snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id WHERE t.slug = '%s' "
			 "AND e.model = 'stub-embed' AND e.dimension = 256 AND LENGTH(e.vector) = 1024",
			 sem);
	ITEST_CHECK(sql_number(sql) == CATALOGUE_SIZE, "float32 vectors of the stub's 256 dimensions, with their model");
	/* A tenant without embeddings keeps its documents queued, untouched. */
	ITEST_CHECK(count_for("find_embeddings", plain) == 0 && count_for("find_embedding_queue", plain) == CATALOGUE_SIZE,
				"the starter tenant without a model: queued, no vectors");
}

static void a_claimed_row_waits_for_its_lease(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE), "set-up"))
		return;
	char sql[1024];
	/* Another process holds the lamp's row for an hour; its stored hash is made stale. */
	snprintf(sql, sizeof sql,
			 "UPDATE find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id JOIN find_products p "
			 "ON p.tenant_id = e.tenant_id AND p.search_doc = e.doc SET e.content_hash = 'stale' "
			 "WHERE t.slug = '%s' AND p.product_id = 'p-lamp'; "
			 "INSERT INTO find_embedding_queue (tenant_id, entity, doc, claim_token, lease_until) "
			 "SELECT p.tenant_id, 'product', p.search_doc, 'another-process', NOW(3) + INTERVAL 1 HOUR "
			 "FROM find_products p JOIN tenants t ON t.tenant_id = p.tenant_id WHERE t.slug = '%s' "
			 "AND p.product_id = 'p-lamp'; SELECT ROW_COUNT()",
			 sem, sem);
	ITEST_CHECK(sql_number(sql) == 1, "the row is queued under another claim");
	itest_clock_sleep_ms(1500);
	snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id "
			 "WHERE t.slug = '%s' AND e.content_hash = 'stale'",
			 sem);
	ITEST_CHECK(sql_number(sql) == 1, "not taken while the other claim's lease runs");
	char expire[512];
	snprintf(expire, sizeof expire,
			 "UPDATE find_embedding_queue q JOIN tenants t ON t.tenant_id = q.tenant_id "
			 "SET q.lease_until = NOW(3) - INTERVAL 1 SECOND WHERE t.slug = '%s'; SELECT ROW_COUNT()",
			 sem);
	ITEST_CHECK(sql_number(expire) == 1, "the lease ends");
	snprintf(sql, sizeof sql,
			 "SELECT (SELECT COUNT(*) FROM find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id "
			 "WHERE t.slug = '%s' AND e.content_hash = 'stale') = 0",
			 sem);
	ITEST_CHECK(sql_wait_for_positive(sql, SEMANTIC_WAIT_MS), "taken and embedded again once the lease ended");
	ITEST_CHECK(wait_embedded(sem, CATALOGUE_SIZE), "and dequeued");
}

/* ---------------------------------------------------------------- search */

static void a_semantic_plan_ranks_the_closer_product_first(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE), "set-up"))
		return;
	char ids[512];
	ITEST_CHECK(search(sem_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-sneakers"),
				"pro: the sneakers first, got %s", ids);
	/* The plain tenant, vectors or not, ranks by text: the socks first. */
	ITEST_CHECK(use_embeddings(plain) && wait_embedded(plain, CATALOGUE_SIZE), "the starter tenant's vectors exist");
	ITEST_CHECK(search(plain_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-socks"),
				"starter (no semantic search): text order, the socks first, got %s", ids);
	/* Only the candidates of the text search are re-ranked: nothing new joins. */
	ITEST_CHECK(strstr(ids, "p-kettle") == NULL, "text candidates only: %s", ids);
	ITEST_CHECK(search(sem_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && strstr(ids, "p-kettle") == NULL,
				"pro re-ranks the text candidates only: %s", ids);
}

static void a_provider_failure_leaves_the_text_ranking(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE), "set-up"))
		return;
	char ids[512];
	ITEST_CHECK(search(sem_key, "{\"text\":\"running footwear shoes embedfail\"}", ids, sizeof ids) == 200 &&
					starts_with(ids, "p-socks"),
				"the provider answers 500: the search answers by text, got %s", ids);
	int64_t started_ms = itest_clock_now_ms();
	long status = search(sem_key, "{\"text\":\"running footwear shoes embedstall\"}", ids, sizeof ids);
	int64_t took_ms = itest_clock_now_ms() - started_ms;
	ITEST_CHECK(status == 200 && starts_with(ids, "p-socks"), "a stalled provider: text order, got %ld %s", status, ids);
	ITEST_CHECK(took_ms < 4000, "within chat_llm_embedding_timeout_ms (800), not the stub's 5 s: %lld ms",
				(long long)took_ms);
	/* The search stays correct with no embeddings: the provider's row off. */
	const char *off[] = { "find-chat-model", "set", sem, "--off", NULL };
	ITEST_CHECK(admin_command(off, NULL) == 0, "the tenant's model off");
	ITEST_CHECK(search(sem_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-socks"),
				"no embeddings model: text order, got %s", ids);
	ITEST_CHECK(use_embeddings(sem), "the stub again");
	ITEST_CHECK(search(sem_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-sneakers"),
				"and the semantic order again, got %s", ids);
}

static void another_tenants_vectors_are_never_used(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE) && wait_embedded(iso, CATALOGUE_SIZE), "set-up"))
		return;
	char ids[512], sql[1536];
	ITEST_CHECK(search(iso_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-sneakers"),
				"iso ranks semantically with its own vectors, got %s", ids);
	/* iso loses its vectors; sem gets rows under iso's document numbers with the sneakers' vector. */
	snprintf(sql, sizeof sql,
			 "DELETE e FROM find_embeddings e JOIN tenants t ON t.tenant_id = e.tenant_id WHERE t.slug = '%s'; "
			 "INSERT INTO find_embeddings (tenant_id, entity, doc, model, dimension, vector, content_hash) "
			 "SELECT s.tenant_id, 'product', p.search_doc, s.model, s.dimension, s.vector, s.content_hash "
			 "FROM find_products p JOIN tenants ti ON ti.tenant_id = p.tenant_id AND ti.slug = '%s' "
			 "JOIN tenants ts ON ts.slug = '%s' JOIN find_products sp ON sp.tenant_id = ts.tenant_id "
			 "AND sp.product_id = 'p-sneakers' JOIN find_embeddings s ON s.tenant_id = ts.tenant_id "
			 "AND s.entity = 'product' AND s.doc = sp.search_doc WHERE p.product_id = 'p-sneakers' "
			 "ON DUPLICATE KEY UPDATE vector = VALUES(vector); SELECT ROW_COUNT()",
			 iso, iso, sem);
	ITEST_CHECK(sql_number(sql) >= 1, "a foreign row under iso's document number");
	ITEST_CHECK(count_for("find_embeddings", iso) == 0, "iso has no vector of its own");
	ITEST_CHECK(search(iso_key, SEMANTIC_QUERY, ids, sizeof ids) == 200 && starts_with(ids, "p-socks"),
				"iso without vectors ranks by text: the other tenant's row is not read, got %s", ids);
}

/* ---------------------------------------------------------------- recommendations */

static void recommendations_use_the_vectors(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE), "set-up"))
		return;
	struct find_reply reply = { 0 };
	char ids[512];
	const char *body = "{\"productId\":\"p-lantern\",\"maxRecommendations\":3}";
	ITEST_CHECK(find_call("POST", "/recommendations/products", body, sem_key, &in_workspace, &reply) &&
					reply.status == 200,
				"HTTP %ld", reply.status);
	ids_at(reply.body, "data.recommendations", ids, sizeof ids);
	const char *text = reply.body ? json_object_to_json_string_ext(reply.body, JSON_C_TO_STRING_PLAIN) : "";
	ITEST_CHECK(starts_with(ids, "p-lamp"), "the lamp is the lantern's nearest neighbour: %s", ids);
	ITEST_CHECK(strstr(text, "\"semantically_similar\"") != NULL && strstr(text, "\"semantic\"") != NULL,
				"the reason and the strategy say so: %s", text);
	find_reply_free(&reply);
	/* The starter plan shares nothing else between them: the fallback. */
	ITEST_CHECK(find_call("POST", "/recommendations/products", body, plain_key, &in_workspace, &reply) &&
					reply.status == 200,
				"HTTP %ld", reply.status);
	text = reply.body ? json_object_to_json_string_ext(reply.body, JSON_C_TO_STRING_PLAIN) : "";
	ITEST_CHECK(strstr(text, "semantically_similar") == NULL && strstr(text, "\"fallbackApplied\":true") != NULL,
				"starter: no vectors used: %s", text);
	find_reply_free(&reply);
}

static void a_delete_takes_the_vector_with_it(void)
{
	if (!ITEST_CHECK(ready && wait_embedded(sem, CATALOGUE_SIZE), "set-up"))
		return;
	ITEST_CHECK(upsert(sem_key, "{\"id\":\"p-tent\",\"name\":\"Dome tent\",\"content\":\"Two person tent\"}"),
				"a new product");
	ITEST_CHECK(wait_embedded(sem, CATALOGUE_SIZE + 1), "embedded");
	long before = count_for("find_embeddings", sem);
	long status = find_status("DELETE", "/products/p-tent", NULL, sem_key, &in_workspace, NULL);
	ITEST_CHECK(status == 200, "deleted: %ld", status);
	long after = count_for("find_embeddings", sem);
	ITEST_CHECK(after == before - 1, "its vector went with it, in its transaction: %ld then %ld", before, after);
}

bool find_semantic_suite_register(void)
{
	const char *no_stub = test_environment_has(getenv("INTUKA_TEST_LLM_URL"))
							  ? NULL
							  : "INTUKA_TEST_LLM_URL not set (deploy/test.sh starts the stub)";
	CU_pSuite suite = CU_add_suite("find_semantic", find_semantic_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "an_upsert_queues_its_document_in_its_transaction",
						  an_upsert_queues_its_document_in_its_transaction, no_stub) &&
		   itest_add_test(suite, "the_embedding_process_embeds_queued_documents",
						  the_embedding_process_embeds_queued_documents, no_stub) &&
		   itest_add_test(suite, "a_claimed_row_waits_for_its_lease", a_claimed_row_waits_for_its_lease, no_stub) &&
		   itest_add_test(suite, "a_semantic_plan_ranks_the_closer_product_first",
						  a_semantic_plan_ranks_the_closer_product_first, no_stub) &&
		   itest_add_test(suite, "a_provider_failure_leaves_the_text_ranking",
						  a_provider_failure_leaves_the_text_ranking, no_stub) &&
		   itest_add_test(suite, "another_tenants_vectors_are_never_used", another_tenants_vectors_are_never_used,
						  no_stub) &&
		   itest_add_test(suite, "recommendations_use_the_vectors", recommendations_use_the_vectors, no_stub) &&
		   itest_add_test(suite, "a_delete_takes_the_vector_with_it", a_delete_takes_the_vector_with_it, no_stub);
}

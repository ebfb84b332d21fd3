/* Semantic ranking's pure parts: vectors packed and unpacked, cosine, the
 * hybrid score and re-ranking, the content hash, the /embeddings answer,
 * the queue's retry schedule, the plans that offer it, and recommendations
 * scored with a similarity. */
#include "unit_suites.h"
#include "db/db.h"
#include "find/embedding.h"
#include "find/embedding_store.h"
#include "find/plan.h"
#include "modules/find_recommend_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_vector_round_trip_is_little_endian(void)
{
	float vector[3] = {1.0f, -0.5f, 3.25f};
	unsigned char packed[12];
	embedding_encode(vector, 3, packed);
	/* 1.0f is 0x3f800000: its lowest byte first. */
	CU_ASSERT_EQUAL(packed[0], 0x00);
	CU_ASSERT_EQUAL(packed[3], 0x3f);
	CU_ASSERT_EQUAL(packed[2], 0x80);
	float back[3];
	CU_ASSERT_EQUAL(embedding_decode(packed, sizeof(packed), back, 3), 3);
	CU_ASSERT_EQUAL(memcmp(vector, back, sizeof(vector)), 0);
}

static void test_decode_refuses_broken_vectors(void)
{
	unsigned char packed[12] = {0};
	float back[3];
	CU_ASSERT_EQUAL(embedding_decode(packed, 11, back, 3), 0); /* not whole floats */
	CU_ASSERT_EQUAL(embedding_decode(packed, 0, back, 3), 0);
	CU_ASSERT_EQUAL(embedding_decode(packed, 12, back, 2), 0); /* over the bound */
	float nan_value = NAN;
	embedding_encode(&nan_value, 1, packed);
	CU_ASSERT_EQUAL(embedding_decode(packed, 4, back, 3), 0);
}

static void test_cosine(void)
{
	float a[2] = {1, 0}, b[2] = {0, 1}, c[2] = {2, 0}, d[2] = {-1, 0}, zero[2] = {0, 0};
	CU_ASSERT_DOUBLE_EQUAL(embedding_cosine(a, c, 2), 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(embedding_cosine(a, b, 2), 0.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(embedding_cosine(a, d, 2), -1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(embedding_cosine(a, zero, 2), 0.0, 1e-9);
}

static void test_hybrid_score_weights(void)
{
	CU_ASSERT_DOUBLE_EQUAL(embedding_hybrid_score(1.0, 1, 1.0), 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(embedding_hybrid_score(0.5, 1, 0.5), 0.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(embedding_hybrid_score(1.0, 1, 0.0), EMBEDDING_WEIGHT_TEXT, 1e-9);
	/* A negative similarity counts as none, not as a penalty. */
	CU_ASSERT_DOUBLE_EQUAL(embedding_hybrid_score(1.0, 1, -0.8), EMBEDDING_WEIGHT_TEXT, 1e-9);
	/* Without a vector the text score stands. */
	CU_ASSERT_DOUBLE_EQUAL(embedding_hybrid_score(0.7, 0, 0.0), 0.7, 1e-9);
}

static void test_rerank_moves_the_closer_document_up(void)
{
	struct embedding_candidate candidates[3] = {
		{.doc = 1, .text_score = 10.0, .has_vector = 1, .cosine = 0.3},
		{.doc = 2, .text_score = 6.0, .has_vector = 1, .cosine = 0.75},
		{.doc = 3, .text_score = 5.0, .has_vector = 0},
	};
	embedding_rerank(candidates, 3);
	CU_ASSERT_EQUAL(candidates[0].doc, 2); /* 0.4 * 0.6 + 0.6 * 0.75 = 0.69 */
	CU_ASSERT_EQUAL(candidates[1].doc, 1); /* 0.4 + 0.18 = 0.58 */
	CU_ASSERT_EQUAL(candidates[2].doc, 3); /* its text score: 0.5 */
	CU_ASSERT_DOUBLE_EQUAL(candidates[2].hybrid_score, 0.5, 1e-9);
}

static void test_rerank_keeps_text_order_on_ties(void)
{
	struct embedding_candidate candidates[3] = {
		{.doc = 7, .text_score = 2.0}, {.doc = 8, .text_score = 2.0}, {.doc = 9, .text_score = 1.0}};
	embedding_rerank(candidates, 3);
	CU_ASSERT_EQUAL(candidates[0].doc, 7);
	CU_ASSERT_EQUAL(candidates[1].doc, 8);
	CU_ASSERT_EQUAL(candidates[2].doc, 9);
}

static void test_content_hash_depends_on_model_and_text(void)
{
	char a[EMBEDDING_HASH_LENGTH + 1], b[EMBEDDING_HASH_LENGTH + 1], c[EMBEDDING_HASH_LENGTH + 1];
	embedding_content_hash("m1", "lantern", 7, a);
	embedding_content_hash("m2", "lantern", 7, b);
	embedding_content_hash("m1", "lanterns", 8, c);
	CU_ASSERT_EQUAL(strlen(a), EMBEDDING_HASH_LENGTH);
	CU_ASSERT_NOT_EQUAL(strcmp(a, b), 0);
	CU_ASSERT_NOT_EQUAL(strcmp(a, c), 0);
	embedding_content_hash("m1", "lantern", 7, b);
	CU_ASSERT_STRING_EQUAL(a, b);
	/* The model's end is marked: "m1"+"2x" is not "m12"+"x". */
	embedding_content_hash("m12", "x", 1, a);
	embedding_content_hash("m1", "2x", 2, b);
	CU_ASSERT_NOT_EQUAL(strcmp(a, b), 0);
}

static void test_text_cut_keeps_utf8_whole(void)
{
	const char *text = "ab\xc3\xa9" "cd"; /* "abécd" */
	CU_ASSERT_EQUAL(embedding_text_cut(text, 6, 3), 2);
	CU_ASSERT_EQUAL(embedding_text_cut(text, 6, 4), 4);
	CU_ASSERT_EQUAL(embedding_text_cut(text, 6, 10), 6);
}

static void test_parse_answer_places_vectors_by_index(void)
{
	float *vectors = NULL;
	size_t dimension = 0;
	char why[128];
	const char *answer = "{\"data\":[{\"index\":1,\"embedding\":[3,4]},{\"index\":0,\"embedding\":[1.5,2]}]}";
	CU_ASSERT_EQUAL(embedding_parse_answer(answer, 2, &vectors, &dimension, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(dimension, 2);
	CU_ASSERT_DOUBLE_EQUAL(vectors[0], 1.5, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(vectors[2], 3.0, 1e-6);
	free(vectors);
}

static void test_parse_answer_refuses_mismatches(void)
{
	float *vectors = NULL;
	size_t dimension = 0;
	char why[128];
	const char *bad[] = {
		"{\"data\":[{\"embedding\":[1,2]}]}",                                 /* one vector for two inputs */
		"{\"data\":[{\"embedding\":[1,2]},{\"embedding\":[1,2,3]}]}",          /* two dimensions */
		"{\"data\":[{\"embedding\":[1,\"x\"]},{\"embedding\":[1,2]}]}",        /* not a number */
		"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}", /* index repeated */
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(embedding_parse_answer(bad[i], 2, &vectors, &dimension, why, sizeof(why)), -1);
		CU_ASSERT_PTR_NULL(vectors);
	}
}

static void test_request_json(void)
{
	const char *texts[] = {"red lamp", "tent"};
	size_t lengths[] = {3, 4}; /* a length cuts a text */
	char *body = embedding_request_json("m", texts, lengths, 2);
	CU_ASSERT_STRING_EQUAL(body, "{\"model\":\"m\",\"input\":[\"red\",\"tent\"]}");
	free(body);
}

static void test_retry_backoff_is_bounded(void)
{
	CU_ASSERT_EQUAL(embedding_retry_delay_s(1), EMBEDDING_RETRY_BASE_S);
	CU_ASSERT_EQUAL(embedding_retry_delay_s(2), 2 * EMBEDDING_RETRY_BASE_S);
	CU_ASSERT_EQUAL(embedding_retry_delay_s(3), 4 * EMBEDDING_RETRY_BASE_S);
	for (unsigned attempts = 1; attempts < EMBEDDING_ATTEMPTS_MAX; attempts++) {
		CU_ASSERT(embedding_retry_delay_s(attempts) > 0);
		CU_ASSERT(embedding_retry_delay_s(attempts) <= EMBEDDING_RETRY_MAX_S);
	}
	/* Given up, not retried for ever. */
	CU_ASSERT_EQUAL(embedding_retry_delay_s(EMBEDDING_ATTEMPTS_MAX), -1);
	CU_ASSERT_EQUAL(embedding_retry_delay_s(200), -1);
}

static void test_higher_plans_have_semantic_search(void)
{
	CU_ASSERT_FALSE(find_plan_builtin("free")->semantic_search);
	CU_ASSERT_FALSE(find_plan_builtin("starter")->semantic_search);
	CU_ASSERT_TRUE(find_plan_builtin("pro")->semantic_search);
	CU_ASSERT_TRUE(find_plan_builtin("business")->semantic_search);
	json_object *limits = find_plan_tier_limits(find_plan_builtin("pro"));
	json_object *search = NULL, *semantic = NULL, *enabled = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(limits, "search", &search) &&
		json_object_object_get_ex(search, "semantic", &semantic) &&
		json_object_object_get_ex(semantic, "enabled", &enabled) && json_object_get_boolean(enabled));
	json_object_put(limits);
}

static void test_recommend_score_with_similarity(void)
{
	struct find_recommend_source source = {.term_count = {2, 0, 0}};
	struct find_recommend_candidate shares = {.product_id = "a", .shared = {2}, .similarity = 0.2};
	struct find_recommend_candidate close = {.product_id = "b", .similarity = 0.9};
	unsigned reasons = 0;
	/* Without a vector of the source, similarity is ignored. */
	CU_ASSERT_DOUBLE_EQUAL(find_recommend_score(&close, &source, &find_recommend_default_weights, &reasons), 0.0, 1e-9);
	CU_ASSERT_EQUAL(reasons, 0);
	source.semantic = 1;
	double shares_score = find_recommend_score(&shares, &source, &find_recommend_default_weights, &reasons);
	CU_ASSERT_DOUBLE_EQUAL(shares_score, 0.5 * 0.35 + 0.5 * 0.2, 1e-4);
	CU_ASSERT(reasons & FIND_RECOMMEND_REASON_SEMANTIC);
	double close_score = find_recommend_score(&close, &source, &find_recommend_default_weights, &reasons);
	CU_ASSERT_DOUBLE_EQUAL(close_score, 0.45, 1e-4);
	CU_ASSERT_EQUAL(reasons, FIND_RECOMMEND_REASON_SEMANTIC);
	CU_ASSERT(close_score > shares_score);
}

static const struct db_statement_def *semantic_statement(const char *name)
{
	size_t count = 0;
	const struct db_statement_def *table = embedding_store_statement_table(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* The claim is a compare-and-set that holds on Galera: no row lock is relied
 * on, the UPDATE itself only takes a row nobody holds or whose lease ended,
 * and only tenants with a model are read. */
static void queue_claims_are_compare_and_set_with_a_lease(void)
{
	const struct db_statement_def *due = semantic_statement("find_embeddings.due");
	const struct db_statement_def *claim = semantic_statement("find_embeddings.claim");
	const struct db_statement_def *dequeue = semantic_statement("find_embeddings.dequeue");
	CU_ASSERT_PTR_NOT_NULL_FATAL(due);
	CU_ASSERT_PTR_NOT_NULL_FATAL(claim);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dequeue);
	CU_ASSERT_PTR_NULL(strstr(due->sql, "FOR UPDATE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(due->sql, "lease_until < NOW(3)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(due->sql, "embedding_model"));
	CU_ASSERT_PTR_NOT_NULL(strstr(claim->sql, "UPDATE find_embedding_queue SET claim_token = ?"));
	CU_ASSERT_PTR_NOT_NULL(strstr(claim->sql, "(claim_token IS NULL OR lease_until < NOW(3))"));
	/* Finishing names the token and the version embedded. */
	CU_ASSERT_PTR_NOT_NULL(strstr(dequeue->sql, "claim_token = ? AND version = ?"));
	char token[EMBEDDING_CLAIM_TOKEN_MAX], other[EMBEDDING_CLAIM_TOKEN_MAX];
	CU_ASSERT_EQUAL(embedding_store_new_token(token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(embedding_store_new_token(other, sizeof(other)), 0);
	CU_ASSERT_EQUAL(strlen(token), 32);
	CU_ASSERT_NOT_EQUAL(strcmp(token, other), 0);
	CU_ASSERT_EQUAL(embedding_store_new_token(token, 8), -1);
}

static const struct unit_test find_semantic_tests[] = {
	{"queue claims are a compare-and-set with a lease", queue_claims_are_compare_and_set_with_a_lease},
	{"a vector survives packing, little-endian", test_vector_round_trip_is_little_endian},
	{"broken or oversized vectors are refused", test_decode_refuses_broken_vectors},
	{"cosine of parallel, orthogonal, opposite and zero vectors", test_cosine},
	{"the hybrid score weighs text 0.4 and similarity 0.6", test_hybrid_score_weights},
	{"re-ranking puts the closer document first", test_rerank_moves_the_closer_document_up},
	{"re-ranking keeps the text order on ties", test_rerank_keeps_text_order_on_ties},
	{"the content hash changes with model and text", test_content_hash_depends_on_model_and_text},
	{"a text is cut between UTF-8 characters", test_text_cut_keeps_utf8_whole},
	{"an /embeddings answer is read by index", test_parse_answer_places_vectors_by_index},
	{"an /embeddings answer that does not fit is refused", test_parse_answer_refuses_mismatches},
	{"the /embeddings request", test_request_json},
	{"queue retries back off and give up", test_retry_backoff_is_bounded},
	{"pro and business plans have semantic search", test_higher_plans_have_semantic_search},
	{"recommendations weigh similarity when the product has a vector", test_recommend_score_with_similarity},
};

int register_find_semantic_suite(void)
{
	return UNIT_SUITE("find_semantic", find_semantic_tests);
}

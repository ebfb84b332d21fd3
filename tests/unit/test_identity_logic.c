/* Pure logic of the identity layer: permissions, rate windows, tenant
 * hosts, opaque tokens and declarative body validation. */
#include "unit_suites.h"
#include "auth/operator_key.h"
#include "auth/ratelimit.h"
#include "auth/rbac.h"
#include "auth/secret_token.h"
#include "auth/session.h"
#include "core/config.h"
#include "auth/tenant_host.h"
#include "core/arena.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"

#include <stdio.h>
#include <string.h>

static void rbac_builtin_roles_nest_as_documented(void)
{
	const struct rbac_role_definition *admin = rbac_builtin_role(RBAC_ROLE_TENANT_ADMIN);
	const struct rbac_role_definition *viewer = rbac_builtin_role_by_key("viewer");
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(viewer);
	size_t count = 0;
	const char *const *catalogue = rbac_catalogue(&count);
	for (size_t i = 0; i < count; i++)
		CU_ASSERT_TRUE(rbac_list_grants(admin->permissions, catalogue[i]));
	CU_ASSERT_TRUE(rbac_list_grants(viewer->permissions, "sales.view"));
	CU_ASSERT_FALSE(rbac_list_grants(viewer->permissions, "sales.create"));
	CU_ASSERT_FALSE(rbac_list_grants(rbac_builtin_role(RBAC_ROLE_MANAGER)->permissions, "users.manage"));
	CU_ASSERT_TRUE(rbac_list_grants(rbac_builtin_role(RBAC_ROLE_MANAGER)->permissions, "finance.approve"));
	CU_ASSERT_FALSE(rbac_list_grants(rbac_builtin_role(RBAC_ROLE_USER)->permissions, "finance.approve"));
	CU_ASSERT_PTR_NULL(rbac_builtin_role_by_key("root"));
}

static void rbac_list_grants_matches_whole_words_only(void)
{
	CU_ASSERT_TRUE(rbac_list_grants("hr.view sales.view", "sales.view"));
	CU_ASSERT_FALSE(rbac_list_grants("hr.view sales.viewer", "sales.view"));
	CU_ASSERT_FALSE(rbac_list_grants("hr.view", "hr"));
	CU_ASSERT_FALSE(rbac_list_grants("", "hr.view"));
	CU_ASSERT_FALSE(rbac_list_grants(NULL, "hr.view"));
}

static void rbac_normalize_sorts_dedupes_and_refuses_unknown(void)
{
	char out[RBAC_PERMISSIONS_TEXT_MAX];
	const char *unknown = NULL;
	const char *items[] = {"sales.view", "audit.view", "sales.view"};
	CU_ASSERT_EQUAL(rbac_normalize(items, 3, out, sizeof(out), &unknown), 0);
	CU_ASSERT_STRING_EQUAL(out, "audit.view sales.view");
	const char *bad[] = {"sales.view", "sales.fly"};
	CU_ASSERT_EQUAL(rbac_normalize(bad, 2, out, sizeof(out), &unknown), -1);
	CU_ASSERT_STRING_EQUAL(unknown, "sales.fly");
	CU_ASSERT_EQUAL(rbac_normalize(NULL, 0, out, sizeof(out), &unknown), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void rbac_a_profile_is_grantable_only_when_its_permissions_are_a_subset(void)
{
	char missing[RBAC_PERMISSIONS_TEXT_MAX];
	const char *manager = rbac_builtin_role(RBAC_ROLE_MANAGER)->permissions;
	const char *admin = rbac_builtin_role(RBAC_ROLE_TENANT_ADMIN)->permissions;
	const char *viewer = rbac_builtin_role(RBAC_ROLE_VIEWER)->permissions;
	/* Everything nests as documented; a list covers itself. */
	CU_ASSERT_EQUAL(rbac_list_missing(admin, admin, missing, sizeof(missing)), 0);
	CU_ASSERT_EQUAL(rbac_list_missing(admin, viewer, missing, sizeof(missing)), 0);
	CU_ASSERT_EQUAL(rbac_list_missing(manager, viewer, missing, sizeof(missing)), 0);
	CU_ASSERT_STRING_EQUAL(missing, "");
	/* A users.manage holder without the rest cannot hand out Tenant Admin. */
	CU_ASSERT_EQUAL(rbac_list_missing("sales.view users.manage", admin, missing, sizeof(missing)), 15);
	CU_ASSERT_EQUAL(rbac_list_missing("sales.view users.manage", "audit.view sales.view users.manage", missing,
				sizeof(missing)), 1);
	CU_ASSERT_STRING_EQUAL(missing, "audit.view");
	CU_ASSERT_EQUAL(rbac_list_missing(manager, admin, missing, sizeof(missing)), 4);
	CU_ASSERT_STRING_EQUAL(missing, "audit.view find.provision profiles.manage users.manage");
	/* The empty profile is anyone's to give; nothing is granted by nothing. */
	CU_ASSERT_EQUAL(rbac_list_missing("", "", missing, sizeof(missing)), 0);
	CU_ASSERT_EQUAL(rbac_list_missing(NULL, "hr.view", missing, sizeof(missing)), 1);
	/* Whole words: sales.view does not cover sales.viewer or sales. */
	CU_ASSERT_EQUAL(rbac_list_missing("sales.view", "sales", missing, sizeof(missing)), 1);
	CU_ASSERT_EQUAL(rbac_list_missing("sales.viewer", "sales.view", missing, sizeof(missing)), 1);
	/* A short buffer still counts every missing permission. */
	CU_ASSERT_EQUAL(rbac_list_missing("", admin, missing, 8), 17);
}

static void ratelimit_windows_align_and_the_limit_plus_one_is_refused(void)
{
	CU_ASSERT_EQUAL(ratelimit_window_start(1000, 60), 960);
	CU_ASSERT_EQUAL(ratelimit_window_start(960, 60), 960);
	struct ratelimit_bucket bucket = {.tenant_id = 1, .limit = 10, .window_s = 900};
	struct ratelimit_outcome outcome;
	uint32_t hits = 10;
	ratelimit_evaluate(&bucket, &hits, 1, 1000, &outcome);
	CU_ASSERT_TRUE(outcome.allowed);
	CU_ASSERT_EQUAL(outcome.remaining, 0);
	CU_ASSERT_EQUAL(outcome.reset_epoch_s, 1800);
	hits = 11;
	ratelimit_evaluate(&bucket, &hits, 1, 1000, &outcome);
	CU_ASSERT_FALSE(outcome.allowed);
	CU_ASSERT_EQUAL(outcome.retry_after_s, 800);
}

static void ratelimit_reports_the_tightest_of_two_buckets(void)
{
	struct ratelimit_bucket buckets[2] = {
		{.tenant_id = 1, .limit = 200, .window_s = 60},
		{.tenant_id = 1, .limit = 1000, .window_s = 60},
	};
	uint32_t hits[2] = {5, 990};
	struct ratelimit_outcome outcome;
	ratelimit_evaluate(buckets, hits, 2, 30, &outcome);
	CU_ASSERT_TRUE(outcome.allowed);
	CU_ASSERT_EQUAL(outcome.limit, 1000);
	CU_ASSERT_EQUAL(outcome.remaining, 10);
	hits[0] = 201;
	ratelimit_evaluate(buckets, hits, 2, 30, &outcome);
	CU_ASSERT_FALSE(outcome.allowed);
	CU_ASSERT_EQUAL(outcome.retry_after_s, 30);
}

static void ratelimit_bucket_names_hide_the_email(void)
{
	char name[RATELIMIT_BUCKET_MAX];
	ratelimit_bucket_hashed(name, sizeof(name), "le", "demo|admin@demo.test");
	CU_ASSERT_EQUAL(strncmp(name, "le:", 3), 0);
	CU_ASSERT_EQUAL(strlen(name), 3 + 64);
	CU_ASSERT_PTR_NULL(strstr(name, "admin"));
}

static void tenant_host_finds_the_slug_under_the_base_domain_only(void)
{
	char slug[64];
	CU_ASSERT_TRUE(tenant_host_slug("demo.example.test", "example.test", slug, sizeof(slug)));
	CU_ASSERT_STRING_EQUAL(slug, "demo");
	CU_ASSERT_TRUE(tenant_host_slug("ACME.Example.Test:8443", "example.test", slug, sizeof(slug)));
	CU_ASSERT_STRING_EQUAL(slug, "acme");
	CU_ASSERT_FALSE(tenant_host_slug("example.test", "example.test", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug("a.b.example.test", "example.test", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug("demo.example.test.evil.org", "example.test", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug("demoexample.test", "example.test", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug("demo.example.test", "", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug(NULL, "example.test", slug, sizeof(slug)));
	CU_ASSERT_FALSE(tenant_host_slug("bad_slug.example.test", "example.test", slug, sizeof(slug)));
}

static void secret_tokens_round_trip_and_refuse_tampering(void)
{
	char token[SECRET_TOKEN_TEXT_MAX];
	unsigned char made[SECRET_TOKEN_HASH_BYTES], parsed[SECRET_TOKEN_HASH_BYTES];
	CU_ASSERT_EQUAL_FATAL(secret_token_new("rt1", 42, token, sizeof(token), made), 0);
	CU_ASSERT_EQUAL(strncmp(token, "rt1.42.", 7), 0);
	uint64_t tenant_id = 0;
	CU_ASSERT_EQUAL(secret_token_parse("rt1", token, &tenant_id, parsed), 0);
	CU_ASSERT_EQUAL(tenant_id, 42);
	CU_ASSERT_EQUAL(memcmp(made, parsed, sizeof(made)), 0);
	/* Another tenant id in front changes the hash, so it finds nothing. */
	char moved[SECRET_TOKEN_TEXT_MAX];
	snprintf(moved, sizeof(moved), "rt1.43.%s", token + 7);
	CU_ASSERT_EQUAL(secret_token_parse("rt1", moved, &tenant_id, parsed), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(made, parsed, sizeof(made)), 0);
	CU_ASSERT_EQUAL(secret_token_parse("pr1", token, &tenant_id, parsed), -1);
	CU_ASSERT_EQUAL(secret_token_parse("rt1", "rt1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &tenant_id, parsed), -1);
	CU_ASSERT_EQUAL(secret_token_parse("rt1", "rt1.1.short", &tenant_id, parsed), -1);
	CU_ASSERT_EQUAL(secret_token_parse("rt1", "rt1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &tenant_id, parsed), -1);
	CU_ASSERT_EQUAL(secret_token_parse("rt1", "rt1.x1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &tenant_id, parsed), -1);
}

static void refresh_successor_opens_only_with_its_own_token_and_binding(void)
{
	char token[SECRET_TOKEN_TEXT_MAX], other[SECRET_TOKEN_TEXT_MAX];
	unsigned char hash[SECRET_TOKEN_HASH_BYTES], other_hash[SECRET_TOKEN_HASH_BYTES];
	CU_ASSERT_EQUAL_FATAL(secret_token_new("rt1", 7, token, sizeof(token), hash), 0);
	CU_ASSERT_EQUAL_FATAL(secret_token_new("rt1", 7, other, sizeof(other), other_hash), 0);
	struct session_pair pair = {.session_id = 3, .user_id = 9, .access_expires_at_s = 1790000000};
	snprintf(pair.refresh_token, sizeof(pair.refresh_token), "rt1.7.next");
	memset(pair.access_token, 'a', 600);
	pair.access_token[600] = '\0';
	unsigned char sealed[SESSION_SEALED_MAX];
	size_t sealed_length = 0;
	CU_ASSERT_EQUAL_FATAL(session_seal_successor(token, hash, sizeof(hash), &pair, sealed, &sealed_length), 0);
	CU_ASSERT_TRUE(sealed_length > 600 && sealed_length <= SESSION_SEALED_MAX);
	/* The stored bytes do not hold the tokens in clear. */
	CU_ASSERT_PTR_NULL(memmem(sealed, sealed_length, "rt1.7.next", 10));

	struct session_pair opened;
	memset(&opened, 0, sizeof(opened));
	CU_ASSERT_EQUAL(session_open_successor(token, hash, sizeof(hash), sealed, sealed_length, &opened), 0);
	CU_ASSERT_STRING_EQUAL(opened.refresh_token, pair.refresh_token);
	CU_ASSERT_STRING_EQUAL(opened.access_token, pair.access_token);
	CU_ASSERT_EQUAL(opened.access_expires_at_s, pair.access_expires_at_s);

	/* Another token, another row's binding, one flipped byte: nothing opens. */
	CU_ASSERT_EQUAL(session_open_successor(other, hash, sizeof(hash), sealed, sealed_length, &opened), -1);
	CU_ASSERT_EQUAL(session_open_successor(token, other_hash, sizeof(other_hash), sealed, sealed_length, &opened), -1);
	sealed[20] ^= 1;
	CU_ASSERT_EQUAL(session_open_successor(token, hash, sizeof(hash), sealed, sealed_length, &opened), -1);
	sealed[20] ^= 1;
	CU_ASSERT_EQUAL(session_open_successor(token, hash, sizeof(hash), sealed, 20, &opened), -1);
	/* A pair too large to keep is refused, not cut. */
	memset(pair.access_token, 'a', JWT_TOKEN_MAX);
	pair.access_token[JWT_TOKEN_MAX] = '\0';
	CU_ASSERT_EQUAL(session_seal_successor(token, hash, sizeof(hash), &pair, sealed, &sealed_length), -1);
}

static void refresh_reuse_replays_only_inside_the_grace_window_with_a_kept_successor(void)
{
	CU_ASSERT_TRUE(session_reuse_is_replay(1, 1));
	CU_ASSERT_FALSE(session_reuse_is_replay(0, 1)); /* after the window: the family is revoked */
	CU_ASSERT_FALSE(session_reuse_is_replay(1, 0)); /* retired before successors were kept */
	CU_ASSERT_FALSE(session_reuse_is_replay(0, 0));
	struct config config;
	config_set_defaults(&config);
	CU_ASSERT_EQUAL(config.refresh_reuse_grace_s, 10);
	char error[CONFIG_ERROR_MAX];
	CU_ASSERT_EQUAL(config_parse_text(&config, "refresh_reuse_grace_s = 0\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.refresh_reuse_grace_s, 0);
	CU_ASSERT_EQUAL(config_parse_text(&config, "refresh_reuse_grace_s = 61\n", "t", 0, error, sizeof(error)), -1);
}

static void operator_key_matches_only_the_whole_configured_key(void)
{
	const char *key = "0123456789abcdef0123456789abcdef";
	CU_ASSERT_TRUE(operator_key_matches(key, "0123456789abcdef0123456789abcdef"));
	CU_ASSERT_FALSE(operator_key_matches(key, "0123456789abcdef0123456789abcde"));   /* a prefix */
	CU_ASSERT_FALSE(operator_key_matches(key, "0123456789abcdef0123456789abcdef0")); /* longer */
	CU_ASSERT_FALSE(operator_key_matches(key, "1123456789abcdef0123456789abcdef"));
	CU_ASSERT_FALSE(operator_key_matches(key, ""));
	CU_ASSERT_FALSE(operator_key_matches(key, NULL));
	/* No key configured: nothing opens the operator API, not even nothing. */
	CU_ASSERT_FALSE(operator_key_matches("", ""));
	CU_ASSERT_FALSE(operator_key_matches(NULL, key));
}

static const struct field_spec sample_fields[] = {
	{.name = "email", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = 254},
	{.name = "age", .type = FIELD_INTEGER, .min_value = 0, .max_value = 150},
	{.name = "tags", .type = FIELD_STRING_ARRAY, .max_length = 2},
	{.name = "active", .type = FIELD_BOOLEAN},
};
static const struct input_spec sample_input = INPUT_SPEC(sample_fields);

static int validate_text(const char *json, struct response *response)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct request request;
	request_init(&request, &arena);
	request.json_body = json_tokener_parse(json);
	int result = validate_input(&request, &sample_input, response);
	request_reset(&request);
	arena_destroy(&arena);
	return result;
}

static void validation_accepts_a_good_body(void)
{
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL(validate_text("{\"email\":\"a@b.co\",\"age\":3,\"tags\":[\"x\"],\"active\":true}", &response), 0);
	response_reset(&response);
}

static void validation_reports_every_bad_field_and_unknown_ones(void)
{
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL(validate_text("{\"age\":\"3\",\"tags\":[\"a\",\"b\",\"c\"],\"active\":1,\"admin\":true}", &response), -1);
	CU_ASSERT_EQUAL(response.status, STATUS_VALIDATION_ERROR);
	/* email missing, age type, tags too many, active type, admin unknown */
	CU_ASSERT_EQUAL(json_object_array_length(response.details), 5);
	response_reset(&response);
	response_init(&response);
	CU_ASSERT_EQUAL(validate_text("{\"email\":\"not-an-email\",\"age\":151}", &response), -1);
	CU_ASSERT_EQUAL(json_object_array_length(response.details), 2);
	response_reset(&response);
	response_init(&response);
	CU_ASSERT_EQUAL(validate_text("[1,2]", &response), -1);
	response_reset(&response);
}

static const char *const colours[] = {"red", "green", NULL};
static const struct field_spec typed_fields[] = {
	{.name = "colour", .type = FIELD_ENUM, .enum_values = colours},
	{.name = "day", .type = FIELD_DATE},
	{.name = "currency", .type = FIELD_CURRENCY},
	{.name = "note", .type = FIELD_STRING, .max_length = 10, .nullable = 1},
	{.name = "size", .type = FIELD_INTEGER, .min_value = 1, .max_value = 9},
};
static const struct input_spec typed_input = INPUT_SPEC(typed_fields);

static int validate_typed(const char *json)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct request request;
	request_init(&request, &arena);
	request.json_body = json_tokener_parse(json);
	struct response response;
	response_init(&response);
	int result = validate_input(&request, &typed_input, &response);
	int details = response.details ? (int)json_object_array_length(response.details) : 0;
	response_reset(&response);
	request_reset(&request);
	arena_destroy(&arena);
	return result == 0 ? 0 : details;
}

static void validation_checks_enums_dates_currencies_and_nulls(void)
{
	CU_ASSERT_EQUAL(validate_typed("{\"colour\":\"red\",\"day\":\"2024-02-29\",\"currency\":\"EUR\",\"note\":null}"), 0);
	CU_ASSERT_EQUAL(validate_typed("{\"colour\":\"blue\"}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"day\":\"2023-02-29\"}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"day\":\"2023-13-01\"}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"day\":\"23-01-01\"}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"currency\":\"eur\"}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"currency\":\"EURO\"}"), 1);
	/* null clears a nullable field; elsewhere it is refused, not ignored */
	CU_ASSERT_EQUAL(validate_typed("{\"size\":null}"), 1);
	CU_ASSERT_EQUAL(validate_typed("{\"size\":10,\"colour\":null}"), 2);
}

static const struct unit_test identity_tests[] = {
	{"validation_checks_enums_dates_currencies_and_nulls", validation_checks_enums_dates_currencies_and_nulls},
	{"rbac_builtin_roles_nest_as_documented", rbac_builtin_roles_nest_as_documented},
	{"rbac_list_grants_matches_whole_words_only", rbac_list_grants_matches_whole_words_only},
	{"rbac_normalize_sorts_dedupes_and_refuses_unknown", rbac_normalize_sorts_dedupes_and_refuses_unknown},
	{"rbac_a_profile_is_grantable_only_when_its_permissions_are_a_subset",
		rbac_a_profile_is_grantable_only_when_its_permissions_are_a_subset},
	{"ratelimit_windows_align_and_the_limit_plus_one_is_refused", ratelimit_windows_align_and_the_limit_plus_one_is_refused},
	{"ratelimit_reports_the_tightest_of_two_buckets", ratelimit_reports_the_tightest_of_two_buckets},
	{"ratelimit_bucket_names_hide_the_email", ratelimit_bucket_names_hide_the_email},
	{"tenant_host_finds_the_slug_under_the_base_domain_only", tenant_host_finds_the_slug_under_the_base_domain_only},
	{"secret_tokens_round_trip_and_refuse_tampering", secret_tokens_round_trip_and_refuse_tampering},
	{"refresh_successor_opens_only_with_its_own_token_and_binding",
		refresh_successor_opens_only_with_its_own_token_and_binding},
	{"refresh_reuse_replays_only_inside_the_grace_window_with_a_kept_successor",
		refresh_reuse_replays_only_inside_the_grace_window_with_a_kept_successor},
	{"operator_key_matches_only_the_whole_configured_key", operator_key_matches_only_the_whole_configured_key},
	{"validation_accepts_a_good_body", validation_accepts_a_good_body},
	{"validation_reports_every_bad_field_and_unknown_ones", validation_reports_every_bad_field_and_unknown_ones},
};

int register_identity_logic_suite(void)
{
	return UNIT_SUITE("identity_logic", identity_tests);
}

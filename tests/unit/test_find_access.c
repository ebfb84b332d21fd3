/* Find API access logic: workspaces, key text, origins, plans and metering. */
#include "unit_suites.h"
#include "auth/api_key.h"
#include "auth/key_principal.h"
#include "auth/principal_confirm.h"
#include "core/arena.h"
#include "http/request.h"
#include "find/meter.h"
#include "find/plan.h"
#include "find/workspace.h"
#include "modules/find_tenant_report.h"
#include "http/response.h"
#include "http/router.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void workspace_header_turns_dots_into_hyphens_and_refuses_the_rest(void)
{
	char out[WORKSPACE_MAX + 1];
	CU_ASSERT_EQUAL(workspace_normalize("my-store-com", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "my-store-com");
	CU_ASSERT_EQUAL(workspace_normalize("my.store.com", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "my-store-com");
	CU_ASSERT_EQUAL(workspace_normalize("", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_normalize("My-Store", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_normalize("a b", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_normalize("shop_1", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_normalize("../etc", out, sizeof(out)), -1);
	char long_name[80];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	CU_ASSERT_EQUAL(workspace_normalize(long_name, out, sizeof(out)), -1);
	long_name[63] = '\0';
	CU_ASSERT_EQUAL(workspace_normalize(long_name, out, sizeof(out)), 0);
}

static void workspace_from_origin_uses_the_lowercased_host(void)
{
	char out[WORKSPACE_MAX + 1];
	CU_ASSERT_EQUAL(workspace_from_origin("https://Shop.Example.com", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "shop-example-com");
	CU_ASSERT_EQUAL(workspace_from_origin("http://localhost:8080", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "localhost");
	CU_ASSERT_EQUAL(workspace_from_origin("https://shop.example/path", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_from_origin("ftp://shop.example", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_from_origin("https://", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_from_origin("https://a:99999999", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(workspace_from_origin(NULL, out, sizeof(out)), -1);
}

static void generated_keys_have_their_prefix_and_differ(void)
{
	char secret[API_KEY_TEXT_MAX], publishable[API_KEY_TEXT_MAX], again[API_KEY_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(api_key_generate(API_KEY_SECRET, secret, sizeof(secret)), 0);
	CU_ASSERT_EQUAL_FATAL(api_key_generate(API_KEY_PUBLISHABLE, publishable, sizeof(publishable)), 0);
	CU_ASSERT_EQUAL_FATAL(api_key_generate(API_KEY_SECRET, again, sizeof(again)), 0);
	CU_ASSERT_EQUAL(strncmp(secret, "if_sk_", 6), 0);
	CU_ASSERT_EQUAL(strncmp(publishable, "if_pk_", 6), 0);
	CU_ASSERT_EQUAL(strlen(secret), 6 + API_KEY_RANDOM_CHARS);
	CU_ASSERT_TRUE(api_key_well_formed(secret));
	CU_ASSERT_TRUE(api_key_well_formed(publishable));
	CU_ASSERT_STRING_NOT_EQUAL(secret, again);
	CU_ASSERT_EQUAL(api_key_type_of(secret), API_KEY_SECRET);
	CU_ASSERT_EQUAL(api_key_type_of(publishable), API_KEY_PUBLISHABLE);
	CU_ASSERT_EQUAL(api_key_generate(API_KEY_SECRET, again, 20), -1);
	char prefix[API_KEY_DISPLAY_PREFIX_CHARS + 1];
	api_key_display_prefix(secret, prefix, sizeof(prefix));
	CU_ASSERT_EQUAL(strlen(prefix), API_KEY_DISPLAY_PREFIX_CHARS);
	CU_ASSERT_EQUAL(strncmp(prefix, secret, API_KEY_DISPLAY_PREFIX_CHARS), 0);
}

static void malformed_keys_are_refused_before_any_lookup(void)
{
	CU_ASSERT_FALSE(api_key_well_formed("if_sk_short"));
	CU_ASSERT_FALSE(api_key_well_formed("if_sk_0123456789012345678901234567890!"));
	CU_ASSERT_FALSE(api_key_well_formed("if_xk_01234567890123456789012345678901"));
	CU_ASSERT_FALSE(api_key_well_formed("eyJhbGciOiJIUzI1NiJ9.e30.x"));
	CU_ASSERT_TRUE(api_key_well_formed("if_sk_01234567890123456789012345678901"));
	CU_ASSERT_EQUAL(api_key_type_of("eyJhbGciOiJIUzI1NiJ9.e30.x"), API_KEY_NONE);
	CU_ASSERT_EQUAL(api_key_type_of(NULL), API_KEY_NONE);
}

static void key_hash_is_sha256_of_the_whole_key(void)
{
	unsigned char hash[API_KEY_HASH_BYTES];
	api_key_hash("abc", hash);
	/* SHA-256("abc"), FIPS 180-2 appendix B.1 */
	static const unsigned char expected[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad};
	CU_ASSERT_EQUAL(memcmp(hash, expected, 32), 0);
}

static void origins_match_exactly_after_normalizing(void)
{
	const char *allowed = "https://shop.example http://localhost:3000";
	CU_ASSERT_TRUE(api_key_origin_allowed(allowed, "https://shop.example"));
	CU_ASSERT_TRUE(api_key_origin_allowed(allowed, "https://SHOP.example/"));
	CU_ASSERT_TRUE(api_key_origin_allowed(allowed, "http://localhost:3000"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, "http://shop.example"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, "https://evil.example"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, "https://shop.example.evil.test"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, "https://shop"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, "http://localhost:30001"));
	CU_ASSERT_FALSE(api_key_origin_allowed(allowed, NULL));
	CU_ASSERT_FALSE(api_key_origin_allowed("", "https://shop.example"));
	char out[64];
	CU_ASSERT_EQUAL(api_key_origin_normalize("https://user@shop.example", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(api_key_origin_normalize("https://shop.example/a", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(api_key_origin_normalize("https://shop.example?x", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(api_key_origin_normalize("javascript:alert(1)", out, sizeof(out)), -1);
}

static void a_key_without_origins_serves_every_http_origin_but_needs_one(void)
{
	const char *listed = "https://shop.example http://localhost:3000";
	/* A key with origins: today's rule. */
	CU_ASSERT_EQUAL(api_key_origin_check(listed, "https://shop.example"), API_KEY_ORIGIN_OK);
	CU_ASSERT_EQUAL(api_key_origin_check(listed, "https://evil.example"), API_KEY_ORIGIN_NOT_ALLOWED);
	CU_ASSERT_EQUAL(api_key_origin_check(listed, "null"), API_KEY_ORIGIN_NOT_ALLOWED);
	CU_ASSERT_EQUAL(api_key_origin_check(listed, NULL), API_KEY_ORIGIN_MISSING);
	CU_ASSERT_EQUAL(api_key_origin_check(listed, ""), API_KEY_ORIGIN_MISSING);
	/* A key without: any http(s) origin, never none, never an opaque one. */
	CU_ASSERT_EQUAL(api_key_origin_check("", "https://shop.example"), API_KEY_ORIGIN_OK);
	CU_ASSERT_EQUAL(api_key_origin_check("", "http://Anything.Example:8080/"), API_KEY_ORIGIN_OK);
	CU_ASSERT_EQUAL(api_key_origin_check("", NULL), API_KEY_ORIGIN_MISSING);
	CU_ASSERT_EQUAL(api_key_origin_check("", ""), API_KEY_ORIGIN_MISSING);
	CU_ASSERT_EQUAL(api_key_origin_check("", "null"), API_KEY_ORIGIN_INVALID);
	CU_ASSERT_EQUAL(api_key_origin_check("", "file://"), API_KEY_ORIGIN_INVALID);
	CU_ASSERT_EQUAL(api_key_origin_check("", "https://shop.example/path"), API_KEY_ORIGIN_INVALID);
	CU_ASSERT_EQUAL(api_key_origin_check(NULL, "https://shop.example"), API_KEY_ORIGIN_OK);
}

static void plans_refuse_after_the_trial_and_when_inactive(void)
{
	struct find_plan plan = *find_plan_builtin("pro");
	CU_ASSERT_EQUAL(find_plan_check(&plan, 1000), FIND_PLAN_OK);
	plan.trial_ends_at_s = 2000;
	CU_ASSERT_EQUAL(find_plan_check(&plan, 1999), FIND_PLAN_OK);
	CU_ASSERT_EQUAL(find_plan_check(&plan, 2000), FIND_PLAN_TRIAL_EXPIRED);
	plan.subscription_active = 0;
	CU_ASSERT_EQUAL(find_plan_check(&plan, 2000), FIND_PLAN_TRIAL_EXPIRED);
	CU_ASSERT_EQUAL(find_plan_check(&plan, 1000), FIND_PLAN_INACTIVE);
	CU_ASSERT_PTR_NULL(find_plan_builtin("platinum"));
	CU_ASSERT_EQUAL(find_plan_allowance(&plan, FIND_METER_SEARCH), 50000);
	CU_ASSERT_EQUAL(find_plan_allowance(&plan, FIND_METER_CHAT), 4000);
	CU_ASSERT_EQUAL(find_plan_allowance(&plan, FIND_METER_NONE), 0);
}

static void tier_limits_name_each_feature_with_its_allowance(void)
{
	struct find_plan plan = *find_plan_builtin("free");
	plan.chat_per_month = 0;
	json_object *limits = find_plan_tier_limits(&plan);
	json_object *search = NULL, *chat = NULL, *value = NULL;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(limits, "search", &search));
	CU_ASSERT_TRUE(json_object_object_get_ex(search, "queriesPerMonth", &value) && json_object_get_int(value) == 1000);
	CU_ASSERT_TRUE(json_object_object_get_ex(search, "enabled", &value) && json_object_get_boolean(value));
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(limits, "chat", &chat));
	CU_ASSERT_TRUE(json_object_object_get_ex(chat, "enabled", &value) && !json_object_get_boolean(value));
	json_object_put(limits);
}

/* Reads a number or boolean at a dotted path of the tierLimits object; -1 when absent or of another type. */
static int64_t tier_value(json_object *limits, const char *path)
{
	char copy[96];
	snprintf(copy, sizeof(copy), "%s", path);
	json_object *node = limits;
	for (char *save = NULL, *part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
		if (node == NULL || !json_object_object_get_ex(node, part, &node))
			return -1;
	if (json_object_is_type(node, json_type_boolean))
		return json_object_get_boolean(node);
	return json_object_is_type(node, json_type_int) ? json_object_get_int64(node) : -1;
}

static void tier_limits_have_the_sdk_members_and_keep_the_earlier_ones(void)
{
	struct find_plan plan = *find_plan_builtin("pro");
	plan.recommendations_per_month = 0;
	json_object *limits = find_plan_tier_limits(&plan);
	/* The SDK's TierLimits. */
	CU_ASSERT_EQUAL(tier_value(limits, "search.enabled"), 1);
	CU_ASSERT_EQUAL(tier_value(limits, "search.queriesPerMonth"), 50000);
	CU_ASSERT_EQUAL(tier_value(limits, "search.semantic.enabled"), 1); /* pro has semantic search */
	CU_ASSERT_EQUAL(tier_value(limits, "chat.messagesPerMonth"), 4000);
	CU_ASSERT_EQUAL(tier_value(limits, "recommendations.enabled"), 0);
	CU_ASSERT_EQUAL(tier_value(limits, "recommendations.perMonth"), 0);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.products"), 50000);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.posts"), 10000);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.prompts"), 200);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.taxonomies"), 5000);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.webhooks"), 10);
	/* Intuka's earlier members, unchanged. */
	CU_ASSERT_EQUAL(tier_value(limits, "recommendations.requestsPerMonth"), 0);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.maxProducts"), 50000);
	CU_ASSERT_EQUAL(tier_value(limits, "indexing.maxWebhooks"), 10);
	CU_ASSERT_EQUAL(tier_value(limits, "rateLimit.perMinute"), 300);
	json_object *code = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(limits, "plan", &code) && strcmp(json_object_get_string(code), "pro") == 0);
	json_object_put(limits);
}

static const char *report_string(json_object *report, const char *path)
{
	char copy[96];
	snprintf(copy, sizeof(copy), "%s", path);
	json_object *node = report;
	for (char *save = NULL, *part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
		if (node == NULL || !json_object_object_get_ex(node, part, &node))
			return NULL;
	return node && json_object_is_type(node, json_type_string) ? json_object_get_string(node) : NULL;
}

static int report_has_null(json_object *object, const char *name)
{
	json_object *value = object; /* get_ex sets it to NULL for a null member */
	return json_object_object_get_ex(object, name, &value) && value == NULL;
}

static void tenant_percentages_round_down_to_one_decimal(void)
{
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(0, 100), 0, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(1, 3), 33.3, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(2, 3), 66.6, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(150, 50000), 0.3, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(50000, 50000), 100, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(7, 0), 0, 0.0001);
	CU_ASSERT_DOUBLE_EQUAL(find_tenant_percentage(12, 10), 120, 0.0001);
	CU_ASSERT_TRUE(find_tenant_percentage(UINT64_MAX, 1) > 1e15);
}

static void tenant_status_says_whether_the_subscription_is_valid(void)
{
	const int64_t now_s = 1795417200; /* 2026-11-23T07:00:00Z */
	struct find_plan plan = *find_plan_builtin("pro");
	json_object *report = find_tenant_status_report(&plan, now_s, "https://example.test/upgrade");
	json_object *subscription = NULL, *valid = NULL, *semantic = NULL;
	CU_ASSERT_STRING_EQUAL(report_string(report, "status"), "active");
	CU_ASSERT_STRING_EQUAL(report_string(report, "timestamp"), "2026-11-23T07:00:00Z");
	CU_ASSERT_TRUE(report_has_null(report, "publishableKey"));
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(report, "subscription", &subscription));
	CU_ASSERT_TRUE(json_object_object_get_ex(subscription, "valid", &valid) && json_object_get_boolean(valid));
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.tier"), "pro");
	CU_ASSERT_TRUE(report_has_null(subscription, "expires"));
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.validation.status"), "active");
	CU_ASSERT_PTR_NULL(report_string(report, "subscription.upgrade_url"));
	json_object *limits = NULL, *search = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(subscription, "limits", &limits) &&
		json_object_object_get_ex(limits, "search", &search) && json_object_object_get_ex(search, "semantic", &semantic));
	json_object_put(report);

	plan.trial_ends_at_s = now_s + 86400;
	report = find_tenant_status_report(&plan, now_s, "https://example.test/upgrade");
	CU_ASSERT_STRING_EQUAL(report_string(report, "status"), "active");
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.validation.status"), "trial");
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.expires"), "2026-11-24T07:00:00Z");
	json_object_put(report);

	plan.trial_ends_at_s = 1577836800; /* 2020-01-01 */
	report = find_tenant_status_report(&plan, now_s, "https://example.test/upgrade");
	CU_ASSERT_STRING_EQUAL(report_string(report, "status"), "inactive");
	CU_ASSERT_TRUE(json_object_object_get_ex(report, "subscription", &subscription) &&
		json_object_object_get_ex(subscription, "valid", &valid) && !json_object_get_boolean(valid));
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.validation.status"), "trial_expired");
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.expires"), "2020-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.upgrade_url"), "https://example.test/upgrade");
	json_object_put(report);

	plan.trial_ends_at_s = 0;
	plan.subscription_active = 0;
	report = find_tenant_status_report(&plan, now_s, "");
	CU_ASSERT_STRING_EQUAL(report_string(report, "status"), "inactive");
	CU_ASSERT_STRING_EQUAL(report_string(report, "subscription.validation.status"), "inactive");
	CU_ASSERT_PTR_NULL(report_string(report, "subscription.upgrade_url"));
	json_object_put(report);
}

/* The features array item of that type, or NULL. */
static json_object *usage_feature(json_object *report, const char *type)
{
	json_object *features = NULL;
	if (!json_object_object_get_ex(report, "features", &features))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(features); i++) {
		json_object *item = json_object_array_get_idx(features, i), *item_type = NULL;
		if (json_object_object_get_ex(item, "type", &item_type) && strcmp(json_object_get_string(item_type), type) == 0)
			return item;
	}
	return NULL;
}

static int64_t usage_number(json_object *object, const char *name)
{
	json_object *usage = NULL, *value = NULL;
	if (object == NULL || !json_object_object_get_ex(object, "usage", &usage) ||
		!json_object_object_get_ex(usage, name, &value))
		return -1;
	if (json_object_is_type(value, json_type_boolean))
		return json_object_get_boolean(value);
	return json_object_is_type(value, json_type_int) ? json_object_get_int64(value) : -2;
}

static void tenant_usage_counts_each_feature_against_the_plan(void)
{
	const int64_t now_s = 1795417200; /* 2026-11-23T07:00:00Z */
	struct find_plan plan = *find_plan_builtin("free");
	plan.chat_per_month = 0;
	struct find_tenant_figures figures = {.products = 500, .posts = 3, .taxonomies = 2, .prompts = 1, .webhooks = 1,
		.searches = 250, .chat_messages = 0, .recommendations = 600};
	json_object *report = find_tenant_usage_report(&plan, &figures, now_s);
	CU_ASSERT_STRING_EQUAL(report_string(report, "tier"), "free");
	json_object *reset = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(report, "resetTime", &reset) &&
		json_object_get_int64(reset) == (int64_t)1796083200 * 1000); /* 2026-12-01 */

	json_object *search = usage_feature(report, "search");
	CU_ASSERT_EQUAL(usage_number(search, "current"), 250);
	CU_ASSERT_EQUAL(usage_number(search, "limit"), 1000);
	CU_ASSERT_EQUAL(usage_number(search, "available"), 1);
	json_object *usage = NULL, *percentage = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(search, "usage", &usage) &&
		json_object_object_get_ex(usage, "percentage", &percentage) &&
		strcmp(json_object_to_json_string(percentage), "25") == 0);
	/* Used beyond a lowered allowance: shown at the allowance, as usage.quota. */
	json_object *recommendations = usage_feature(report, "recommendations");
	CU_ASSERT_EQUAL(usage_number(recommendations, "current"), 500);
	CU_ASSERT_EQUAL(usage_number(recommendations, "available"), 0);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "chat"), "available"), 0);
	/* A cap reached leaves no room. */
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "products"), "current"), 500);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "products"), "available"), 0);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "posts"), "available"), 1);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "webhooks"), "limit"), 1);

	json_object *tier_features = NULL, *entry = NULL, *available = NULL;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(report, "tier_features", &tier_features));
	CU_ASSERT_TRUE(json_object_object_get_ex(tier_features, "search", &entry) &&
		json_object_object_get_ex(entry, "available", &available) && json_object_get_boolean(available));
	CU_ASSERT_TRUE(json_object_object_get_ex(tier_features, "chat", &entry) &&
		json_object_object_get_ex(entry, "available", &available) && !json_object_get_boolean(available) &&
		json_object_object_get_ex(entry, "reason", NULL));
	CU_ASSERT_TRUE(json_object_object_get_ex(tier_features, "semantic_search", &entry) &&
		json_object_object_get_ex(entry, "available", &available) && !json_object_get_boolean(available));

	json_object *indexes = NULL, *users = NULL, *count = NULL, *posts = NULL;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(report, "indexes", &indexes));
	CU_ASSERT_TRUE(json_object_object_get_ex(indexes, "users", &users) && !json_object_object_get_ex(users, "count", NULL));
	CU_ASSERT_TRUE(json_object_object_get_ex(indexes, "posts", &posts) && json_object_object_get_ex(posts, "count", &count) &&
		json_object_get_int64(count) == 3);
	json_object *summary = NULL, *total = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(report, "data_summary", &summary) &&
		json_object_object_get_ex(summary, "total_documents", &total) && json_object_get_int64(total) == 506);
	json_object_put(report);

	/* A lapsed plan: nothing is available, and the reason says why. */
	plan.trial_ends_at_s = 1577836800;
	report = find_tenant_usage_report(&plan, &figures, now_s);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "search"), "available"), 0);
	CU_ASSERT_EQUAL(usage_number(usage_feature(report, "posts"), "available"), 0);
	CU_ASSERT_TRUE(json_object_object_get_ex(report, "tier_features", &tier_features) &&
		json_object_object_get_ex(tier_features, "search", &entry) &&
		json_object_object_get_ex(entry, "reason", &available) &&
		strcmp(json_object_get_string(available), "Your free trial has ended") == 0);
	json_object_put(report);
}

static void next_month_rolls_over_the_year(void)
{
	char date[11];
	/* 2026-11-23T07:00:00Z */
	CU_ASSERT_EQUAL(find_meter_next_month(1795417200, date), 1796083200); /* 2026-12-01T00:00:00Z */
	CU_ASSERT_STRING_EQUAL(date, "2026-12-01");
	/* 2026-12-31T23:59:59Z */
	CU_ASSERT_EQUAL(find_meter_next_month(1798761599, date), 1798761600);
	CU_ASSERT_STRING_EQUAL(date, "2027-01-01");
}

static void meter_refuses_over_rate_or_quota_and_reports_remaining(void)
{
	struct find_meter_request request = {.tenant_id = 1, .per_minute = 10, .per_hour = 100, .feature = "search",
		.allowance = 5, .counts = 1, .now_s = 1795417230};
	struct find_meter_outcome outcome;
	find_meter_evaluate(&request, 3, 40, 5, &outcome);
	CU_ASSERT_TRUE(outcome.rate.allowed);
	CU_ASSERT_FALSE(outcome.quota_exceeded);
	CU_ASSERT_EQUAL(outcome.remaining_per_minute, 7);
	CU_ASSERT_EQUAL(outcome.remaining_per_hour, 60);
	CU_ASSERT_EQUAL(outcome.quota_used, 5);
	CU_ASSERT_EQUAL(outcome.minute_reset_s, 1795417260);
	CU_ASSERT_STRING_EQUAL(outcome.quota_reset_date, "2026-12-01");

	find_meter_evaluate(&request, 3, 40, 6, &outcome);
	CU_ASSERT_TRUE(outcome.quota_exceeded);
	CU_ASSERT_EQUAL(outcome.quota_used, 5);

	find_meter_evaluate(&request, 11, 40, 1, &outcome);
	CU_ASSERT_FALSE(outcome.rate.allowed);
	CU_ASSERT_EQUAL(outcome.remaining_per_minute, 0);

	find_meter_evaluate(&request, 1, 101, 1, &outcome);
	CU_ASSERT_FALSE(outcome.rate.allowed);

	/* A route that only reads the quota is never refused for it. */
	request.counts = 0;
	find_meter_evaluate(&request, 1, 1, 9, &outcome);
	CU_ASSERT_FALSE(outcome.quota_exceeded);
	CU_ASSERT_EQUAL(outcome.quota_used, 5);
}

static void envelope_members_survive_an_error_and_error_members_land_inside_error(void)
{
	struct response response;
	response_init(&response);
	response_set_envelope_member(&response, "usage", json_object_new_int(7));
	response_ok(&response, STATUS_OK, json_object_new_object(), "ok");
	response_error(&response, STATUS_PAYMENT_REQUIRED, "Your free trial has ended");
	response_set_error_member(&response, "upgrade_url", json_object_new_string("/pricing"));
	json_object *holder = NULL;
	size_t length = 0;
	const char *body = response_render_body(&response, &holder, &length);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"usage\":7"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"code\":\"TRIAL_EXPIRED\""));
	json_object *parsed = json_tokener_parse(body);
	json_object *error = NULL, *url = NULL;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(parsed, "error", &error) &&
		json_object_object_get_ex(error, "upgrade_url", &url));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(url), "/pricing");
	json_object_put(parsed);
	json_object_put(holder);
	response_reset(&response);
}

/* A cached key stands only when the fingerprint read now is the one it was
 * cached with; anything else (another row, none, a cut value) changes it. */
static void a_cached_key_stands_only_on_the_same_fingerprint(void)
{
	const char *cached = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *other = "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct auth_context auth = {.principal_fingerprint = cached, .principal_unconfirmed = 1};
	principal_confirm_read(&auth, cached, strlen(cached));
	CU_ASSERT_EQUAL(auth.principal_unconfirmed, 0);
	CU_ASSERT_EQUAL(auth.principal_changed, 0);
	/* A second column value (every row of a statement carries it) changes nothing. */
	principal_confirm_read(&auth, other, strlen(other));
	CU_ASSERT_EQUAL(auth.principal_changed, 0);

	struct auth_context changed = {.principal_fingerprint = cached, .principal_unconfirmed = 1};
	principal_confirm_read(&changed, other, strlen(other));
	CU_ASSERT_EQUAL(changed.principal_unconfirmed, 0);
	CU_ASSERT_EQUAL(changed.principal_changed, 1);

	struct auth_context gone = {.principal_fingerprint = cached, .principal_unconfirmed = 1};
	principal_confirm_read(&gone, NULL, 0);
	CU_ASSERT_EQUAL(gone.principal_changed, 1);

	struct auth_context cut = {.principal_fingerprint = cached, .principal_unconfirmed = 1};
	principal_confirm_read(&cut, cached, 32);
	CU_ASSERT_EQUAL(cut.principal_changed, 1);

	/* A key looked up in this request has nothing to confirm. */
	struct auth_context looked_up = {.principal_fingerprint = cached};
	principal_confirm_read(&looked_up, other, strlen(other));
	CU_ASSERT_EQUAL(looked_up.principal_changed, 0);
}

/* A key this worker never found valid is not served from the cache, nor is
 * a malformed one. */
static void only_keys_found_valid_come_from_the_cache(void)
{
	struct arena arena;
	arena_init(&arena, 4096);
	struct auth_context auth = {0};
	CU_ASSERT_EQUAL(key_principal_cached("if_sk_01234567890123456789012345678901", 1800000000, &arena, &auth),
		KEY_PRINCIPAL_UNKNOWN);
	CU_ASSERT_EQUAL(key_principal_cached("if_sk_short", 1800000000, &arena, &auth), KEY_PRINCIPAL_UNKNOWN);
	CU_ASSERT_EQUAL(auth.principal_unconfirmed, 0);
	CU_ASSERT_EQUAL(auth.tenant_id, 0);
	arena_destroy(&arena);
}

static const struct unit_test find_access_tests[] = {
	{"a_cached_key_stands_only_on_the_same_fingerprint", a_cached_key_stands_only_on_the_same_fingerprint},
	{"only_keys_found_valid_come_from_the_cache", only_keys_found_valid_come_from_the_cache},
	{"workspace_header_turns_dots_into_hyphens_and_refuses_the_rest",
		workspace_header_turns_dots_into_hyphens_and_refuses_the_rest},
	{"workspace_from_origin_uses_the_lowercased_host", workspace_from_origin_uses_the_lowercased_host},
	{"generated_keys_have_their_prefix_and_differ", generated_keys_have_their_prefix_and_differ},
	{"malformed_keys_are_refused_before_any_lookup", malformed_keys_are_refused_before_any_lookup},
	{"key_hash_is_sha256_of_the_whole_key", key_hash_is_sha256_of_the_whole_key},
	{"origins_match_exactly_after_normalizing", origins_match_exactly_after_normalizing},
	{"a_key_without_origins_serves_every_http_origin_but_needs_one",
		a_key_without_origins_serves_every_http_origin_but_needs_one},
	{"plans_refuse_after_the_trial_and_when_inactive", plans_refuse_after_the_trial_and_when_inactive},
	{"tier_limits_name_each_feature_with_its_allowance", tier_limits_name_each_feature_with_its_allowance},
	{"tier_limits_have_the_sdk_members_and_keep_the_earlier_ones",
		tier_limits_have_the_sdk_members_and_keep_the_earlier_ones},
	{"tenant_percentages_round_down_to_one_decimal", tenant_percentages_round_down_to_one_decimal},
	{"tenant_status_says_whether_the_subscription_is_valid", tenant_status_says_whether_the_subscription_is_valid},
	{"tenant_usage_counts_each_feature_against_the_plan", tenant_usage_counts_each_feature_against_the_plan},
	{"next_month_rolls_over_the_year", next_month_rolls_over_the_year},
	{"meter_refuses_over_rate_or_quota_and_reports_remaining",
		meter_refuses_over_rate_or_quota_and_reports_remaining},
	{"envelope_members_survive_an_error_and_error_members_land_inside_error",
		envelope_members_survive_an_error_and_error_members_land_inside_error},
};

int register_find_access_suite(void)
{
	return UNIT_SUITE("find_access", find_access_tests);
}

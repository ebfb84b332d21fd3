/* Tenant status and usage answers, from figures read elsewhere. */
#include "modules/find_tenant_report.h"
#include "find/meter.h"
#include "find/plan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static json_object *find_tenant_time(int64_t at_s)
{
	char text[32];
	time_t at = (time_t)at_s;
	struct tm calendar;
	gmtime_r(&at, &calendar);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &calendar);
	return json_object_new_string(text);
}

/* Tenths of a percent, rounded down. */
static uint64_t find_tenant_per_mille(uint64_t current, uint32_t limit)
{
	if (limit == 0)
		return 0;
	if (current > UINT64_MAX / 1000)
		current = UINT64_MAX / 1000;
	return current * 1000 / limit;
}

double find_tenant_percentage(uint64_t current, uint32_t limit)
{
	return (double)find_tenant_per_mille(current, limit) / 10.0;
}

/* The percentage as a JSON number written with at most one decimal, so
 * 12.5 does not print as 12.500000000000002. */
static json_object *find_tenant_percentage_json(uint64_t current, uint32_t limit)
{
	uint64_t tenths = find_tenant_per_mille(current, limit);
	char text[32];
	if (tenths % 10 == 0)
		snprintf(text, sizeof(text), "%llu", (unsigned long long)(tenths / 10));
	else
		snprintf(text, sizeof(text), "%llu.%llu", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10));
	return json_object_new_double_s((double)tenths / 10.0, text);
}

/* The words of a verdict: validation.status and its message. */
static void find_tenant_verdict_words(const struct find_plan *plan, enum find_plan_verdict verdict,
	const char **status, const char **message)
{
	switch (verdict) {
	case FIND_PLAN_TRIAL_EXPIRED:
		*status = "trial_expired";
		*message = "Your free trial has ended";
		return;
	case FIND_PLAN_INACTIVE:
		*status = "inactive";
		*message = "Subscription is inactive";
		return;
	case FIND_PLAN_OK:
	default:
		*status = plan->trial_ends_at_s != 0 ? "trial" : "active";
		*message = plan->trial_ends_at_s != 0 ? "Free trial" : "Subscription is active";
		return;
	}
}

json_object *find_tenant_status_report(const struct find_plan *plan, int64_t now_s, const char *upgrade_url)
{
	enum find_plan_verdict verdict = find_plan_check(plan, now_s);
	int valid = verdict == FIND_PLAN_OK;
	const char *validation_status, *validation_message;
	find_tenant_verdict_words(plan, verdict, &validation_status, &validation_message);

	json_object *validation = json_object_new_object();
	json_object_object_add(validation, "status", json_object_new_string(validation_status));
	json_object_object_add(validation, "message", json_object_new_string(validation_message));
	json_object *subscription = json_object_new_object();
	json_object_object_add(subscription, "valid", json_object_new_boolean(valid));
	json_object_object_add(subscription, "tier", json_object_new_string(plan->code));
	/* Only a trial ends on a known date; a subscription runs until changed. */
	json_object_object_add(subscription, "expires", plan->trial_ends_at_s ? find_tenant_time(plan->trial_ends_at_s) : NULL);
	json_object_object_add(subscription, "limits", find_plan_tier_limits(plan));
	json_object_object_add(subscription, "validation", validation);
	if (!valid && upgrade_url != NULL && upgrade_url[0] != '\0')
		json_object_object_add(subscription, "upgrade_url", json_object_new_string(upgrade_url));

	json_object *report = json_object_new_object();
	json_object_object_add(report, "status", json_object_new_string(valid ? "active" : "inactive"));
	json_object_object_add(report, "timestamp", find_tenant_time(now_s));
	/* Keys are stored as hashes and shown once, at creation: there is no
	 * key text to hand out here. */
	json_object_object_add(report, "publishableKey", NULL);
	json_object_object_add(report, "subscription", subscription);
	return report;
}

struct find_tenant_feature {
	const char *name;
	const char *type;
	uint64_t current;
	uint32_t limit;
	int metered; /* a monthly allowance (counted up to it), else an indexing cap */
};

static json_object *find_tenant_feature_json(const struct find_tenant_feature *feature, int valid)
{
	/* The envelope's usage.quota.current stops at the allowance too. */
	uint64_t current = feature->metered && feature->current > feature->limit ? feature->limit : feature->current;
	json_object *usage = json_object_new_object();
	json_object_object_add(usage, "current", json_object_new_int64((int64_t)current));
	json_object_object_add(usage, "limit", json_object_new_int64(feature->limit));
	json_object_object_add(usage, "percentage", find_tenant_percentage_json(current, feature->limit));
	json_object_object_add(usage, "available", json_object_new_boolean(valid && current < feature->limit));
	json_object *item = json_object_new_object();
	json_object_object_add(item, "name", json_object_new_string(feature->name));
	json_object_object_add(item, "type", json_object_new_string(feature->type));
	json_object_object_add(item, "usage", usage);
	return item;
}

static json_object *find_tenant_availability(int available, const char *reason)
{
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "available", json_object_new_boolean(available));
	if (!available && reason != NULL)
		json_object_object_add(entry, "reason", json_object_new_string(reason));
	return entry;
}

static json_object *find_tenant_index(uint64_t count)
{
	json_object *index = json_object_new_object();
	json_object_object_add(index, "exists", json_object_new_boolean(1));
	json_object_object_add(index, "count", json_object_new_int64((int64_t)count));
	return index;
}

json_object *find_tenant_usage_report(const struct find_plan *plan, const struct find_tenant_figures *figures,
	int64_t now_s)
{
	enum find_plan_verdict verdict = find_plan_check(plan, now_s);
	int valid = verdict == FIND_PLAN_OK;
	const char *lapse = verdict == FIND_PLAN_TRIAL_EXPIRED ? "Your free trial has ended" : "Subscription is inactive";

	const struct find_tenant_feature features[] = {
		{.name = "Search", .type = "search", .current = figures->searches, .limit = plan->search_per_month, .metered = 1},
		{.name = "Chat", .type = "chat", .current = figures->chat_messages, .limit = plan->chat_per_month, .metered = 1},
		{.name = "Recommendations", .type = "recommendations", .current = figures->recommendations,
			.limit = plan->recommendations_per_month, .metered = 1},
		{.name = "Products", .type = "products", .current = figures->products, .limit = plan->max_products},
		{.name = "Posts", .type = "posts", .current = figures->posts, .limit = plan->max_posts},
		{.name = "Prompts", .type = "prompts", .current = figures->prompts, .limit = plan->max_prompts},
		{.name = "Taxonomies", .type = "taxonomies", .current = figures->taxonomies, .limit = plan->max_taxonomies},
		{.name = "Webhooks", .type = "webhooks", .current = figures->webhooks, .limit = plan->max_webhooks},
	};
	json_object *feature_list = json_object_new_array();
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		json_object_array_add(feature_list, find_tenant_feature_json(&features[i], valid));

	/* Whether the plan offers a feature at all (not whether room is left). */
	json_object *tier_features = json_object_new_object();
	const struct {
		const char *name;
		uint32_t allowance;
	} offered[] = {
		{"search", plan->search_per_month},
		{"chat", plan->chat_per_month},
		{"recommendations", plan->recommendations_per_month},
		{"webhooks", plan->max_webhooks},
	};
	for (size_t i = 0; i < sizeof(offered) / sizeof(offered[0]); i++)
		json_object_object_add(tier_features, offered[i].name,
			find_tenant_availability(valid && offered[i].allowance > 0,
				!valid ? lapse : "Not included in this plan"));
	json_object_object_add(tier_features, "semantic_search",
		find_tenant_availability(valid && plan->semantic_search, !valid ? lapse : "Not included in this plan"));

	json_object *indexes = json_object_new_object();
	json_object_object_add(indexes, "products", find_tenant_index(figures->products));
	json_object_object_add(indexes, "posts", find_tenant_index(figures->posts));
	/* Nothing indexes users here. */
	json_object *users = json_object_new_object();
	json_object_object_add(users, "exists", json_object_new_boolean(0));
	json_object_object_add(indexes, "users", users);
	json_object_object_add(indexes, "taxonomies", find_tenant_index(figures->taxonomies));
	json_object_object_add(indexes, "prompts", find_tenant_index(figures->prompts));

	json_object *by_type = json_object_new_object();
	json_object_object_add(by_type, "products", json_object_new_int64((int64_t)figures->products));
	json_object_object_add(by_type, "posts", json_object_new_int64((int64_t)figures->posts));
	json_object_object_add(by_type, "users", json_object_new_int64(0));
	json_object_object_add(by_type, "taxonomies", json_object_new_int64((int64_t)figures->taxonomies));
	json_object_object_add(by_type, "prompts", json_object_new_int64((int64_t)figures->prompts));
	json_object *data_summary = json_object_new_object();
	uint64_t total = figures->products + figures->posts + figures->taxonomies + figures->prompts;
	json_object_object_add(data_summary, "total_documents", json_object_new_int64((int64_t)total));
	json_object_object_add(data_summary, "by_type", by_type);

	char reset_date[11];
	int64_t reset_s = find_meter_next_month(now_s, reset_date);
	json_object *report = json_object_new_object();
	json_object_object_add(report, "tier", json_object_new_string(plan->code));
	json_object_object_add(report, "resetTime", json_object_new_int64(reset_s * 1000));
	json_object_object_add(report, "resetDate", json_object_new_string(reset_date));
	json_object_object_add(report, "features", feature_list);
	json_object_object_add(report, "tier_features", tier_features);
	json_object_object_add(report, "indexes", indexes);
	json_object_object_add(report, "data_summary", data_summary);
	return report;
}

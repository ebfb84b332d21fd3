/* The plan catalogue and what a plan allows. */
#include "find/plan.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIND_PLAN_COLUMNS                                                                                         \
	"p.plan_code, p.subscription_status, IFNULL(UNIX_TIMESTAMP(p.trial_ends_at), 0), "                          \
	"p.search_queries_per_month, p.chat_messages_per_month, p.recommendations_per_month, p.max_products, "      \
	"p.max_posts, p.max_prompts, p.max_taxonomies, p.max_webhooks, p.rate_per_minute, p.rate_per_hour"
#define FIND_PLAN_COLUMN_COUNT 13

static const struct db_statement_def find_plan_statements[] = {
	{.name = "find.plan", .sql = "SELECT " FIND_PLAN_COLUMNS " FROM find_tenant_plans p WHERE p.tenant_id = ?",
		.tenant_bound = 1},
};

const struct db_statement_def *find_plan_statement_table(size_t *count)
{
	*count = sizeof(find_plan_statements) / sizeof(find_plan_statements[0]);
	return find_plan_statements;
}

/* Allowances per month and caps on indexed items. Tenants without a plan
 * row get the default plan named in the configuration. */
static const struct find_plan find_plans[] = {
	{.code = "free", .subscription_active = 1, .search_per_month = 1000, .chat_per_month = 100,
		.recommendations_per_month = 500, .max_products = 500, .max_posts = 100, .max_prompts = 10,
		.max_taxonomies = 200, .max_webhooks = 1, .rate_per_minute = 60, .rate_per_hour = 1000},
	{.code = "starter", .subscription_active = 1, .search_per_month = 10000, .chat_per_month = 1000,
		.recommendations_per_month = 5000, .max_products = 5000, .max_posts = 1000, .max_prompts = 50,
		.max_taxonomies = 1000, .max_webhooks = 3, .rate_per_minute = 120, .rate_per_hour = 3000},
	{.code = "pro", .subscription_active = 1, .search_per_month = 50000, .chat_per_month = 4000,
		.recommendations_per_month = 25000, .max_products = 50000, .max_posts = 10000, .max_prompts = 200,
		.max_taxonomies = 5000, .max_webhooks = 10, .rate_per_minute = 300, .rate_per_hour = 10000,
		.semantic_search = 1},
	{.code = "business", .subscription_active = 1, .search_per_month = 500000, .chat_per_month = 40000,
		.recommendations_per_month = 250000, .max_products = 1000000, .max_posts = 100000, .max_prompts = 1000,
		.max_taxonomies = 50000, .max_webhooks = 50, .rate_per_minute = 1200, .rate_per_hour = 50000,
		.semantic_search = 1},
};
static const char *const find_plan_name_list[] = {"free", "starter", "pro", "business", NULL};

const struct find_plan *find_plan_builtin(const char *code)
{
	for (size_t i = 0; i < sizeof(find_plans) / sizeof(find_plans[0]); i++)
		if (strcmp(find_plans[i].code, code) == 0)
			return &find_plans[i];
	return NULL;
}

const char *const *find_plan_names(void)
{
	return find_plan_name_list;
}

enum find_plan_verdict find_plan_check(const struct find_plan *plan, int64_t now_s)
{
	/* An ended trial says more than "inactive": it tells the client to subscribe. */
	if (plan->trial_ends_at_s != 0 && now_s >= plan->trial_ends_at_s)
		return FIND_PLAN_TRIAL_EXPIRED;
	if (!plan->subscription_active)
		return FIND_PLAN_INACTIVE;
	return FIND_PLAN_OK;
}

static json_object *find_plan_feature(uint32_t allowance, const char *allowance_name)
{
	json_object *feature = json_object_new_object();
	json_object_object_add(feature, "enabled", json_object_new_boolean(allowance > 0));
	json_object_object_add(feature, allowance_name, json_object_new_int64(allowance));
	return feature;
}

/* The SDK's TierLimits members first; Intuka's earlier names (plan,
 * recommendations.requestsPerMonth, indexing.max*, rateLimit) stay beside
 * them for clients that read those. */
json_object *find_plan_tier_limits(const struct find_plan *plan)
{
	json_object *limits = json_object_new_object();
	json_object_object_add(limits, "plan", json_object_new_string(plan->code));
	json_object *search = find_plan_feature(plan->search_per_month, "queriesPerMonth");
	/* The plan's offer; without an embeddings model the search ranks by text. */
	json_object *semantic = json_object_new_object();
	json_object_object_add(semantic, "enabled", json_object_new_boolean(plan->semantic_search));
	json_object_object_add(search, "semantic", semantic);
	json_object_object_add(limits, "search", search);
	json_object_object_add(limits, "chat", find_plan_feature(plan->chat_per_month, "messagesPerMonth"));
	json_object *recommendations = find_plan_feature(plan->recommendations_per_month, "perMonth");
	json_object_object_add(recommendations, "requestsPerMonth", json_object_new_int64(plan->recommendations_per_month));
	json_object_object_add(limits, "recommendations", recommendations);
	json_object *indexing = json_object_new_object();
	json_object_object_add(indexing, "products", json_object_new_int64(plan->max_products));
	json_object_object_add(indexing, "posts", json_object_new_int64(plan->max_posts));
	json_object_object_add(indexing, "prompts", json_object_new_int64(plan->max_prompts));
	json_object_object_add(indexing, "taxonomies", json_object_new_int64(plan->max_taxonomies));
	json_object_object_add(indexing, "webhooks", json_object_new_int64(plan->max_webhooks));
	json_object_object_add(indexing, "maxProducts", json_object_new_int64(plan->max_products));
	json_object_object_add(indexing, "maxPosts", json_object_new_int64(plan->max_posts));
	json_object_object_add(indexing, "maxPrompts", json_object_new_int64(plan->max_prompts));
	json_object_object_add(indexing, "maxTaxonomies", json_object_new_int64(plan->max_taxonomies));
	json_object_object_add(indexing, "maxWebhooks", json_object_new_int64(plan->max_webhooks));
	json_object_object_add(limits, "indexing", indexing);
	json_object *rate = json_object_new_object();
	json_object_object_add(rate, "perMinute", json_object_new_int64(plan->rate_per_minute));
	json_object_object_add(rate, "perHour", json_object_new_int64(plan->rate_per_hour));
	json_object_object_add(limits, "rateLimit", rate);
	return limits;
}

uint32_t find_plan_allowance(const struct find_plan *plan, enum find_meter meter)
{
	switch (meter) {
	case FIND_METER_SEARCH:
		return plan->search_per_month;
	case FIND_METER_CHAT:
		return plan->chat_per_month;
	case FIND_METER_RECOMMENDATIONS:
		return plan->recommendations_per_month;
	default:
		return 0;
	}
}

int find_plan_check_default(const char *default_plan, char *error, size_t error_size)
{
	if (find_plan_builtin(default_plan) != NULL)
		return 0;
	snprintf(error, error_size, "find_default_plan: expected free, starter, pro or business, got \"%s\"", default_plan);
	return -1;
}

static uint32_t find_plan_u32(const char *text)
{
	unsigned long value = text ? strtoul(text, NULL, 10) : 0;
	return value > UINT32_MAX ? UINT32_MAX : (uint32_t)value;
}

struct find_plan_row {
	int found;
	struct find_plan *plan;
};

static int find_plan_read_row(void *callback_context, const struct db_row *row)
{
	struct find_plan_row *out = callback_context;
	if (row->column_count != FIND_PLAN_COLUMN_COUNT || row->values[0] == NULL)
		return 1;
	const char *const *values = row->values;
	struct find_plan *plan = out->plan;
	memset(plan, 0, sizeof(*plan));
	snprintf(plan->code, sizeof(plan->code), "%s", values[0]);
	plan->subscription_active = values[1] && strcmp(values[1], "active") == 0;
	plan->trial_ends_at_s = values[2] ? strtoll(values[2], NULL, 10) : 0;
	uint32_t *fields[] = {&plan->search_per_month, &plan->chat_per_month, &plan->recommendations_per_month,
		&plan->max_products, &plan->max_posts, &plan->max_prompts, &plan->max_taxonomies, &plan->max_webhooks,
		&plan->rate_per_minute, &plan->rate_per_hour};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		*fields[i] = find_plan_u32(values[3 + i]);
	const struct find_plan *builtin = find_plan_builtin(plan->code);
	plan->semantic_search = builtin != NULL && builtin->semantic_search;
	out->found = 1;
	return 0;
}

/* Plans this worker read, by tenant (a direct-mapped table: a collision
 * only costs a read). */
#define FIND_PLAN_CACHE_SLOTS 128

struct find_plan_cached {
	uint64_t tenant_id;
	int64_t changed_ms;
	struct find_plan plan;
};

static struct find_plan_cached find_plan_cache[FIND_PLAN_CACHE_SLOTS];

int find_plan_load_known(struct db *db, uint64_t tenant_id, const char *default_plan, int64_t changed_ms,
	struct find_plan *plan)
{
	struct find_plan_cached *slot = &find_plan_cache[tenant_id % FIND_PLAN_CACHE_SLOTS];
	if (changed_ms != 0 && slot->tenant_id == tenant_id && slot->changed_ms == changed_ms) {
		*plan = slot->plan;
		return DB_OK;
	}
	int result = find_plan_load(db, tenant_id, default_plan, plan);
	if (result == DB_OK && changed_ms != 0) {
		slot->tenant_id = tenant_id;
		slot->changed_ms = changed_ms;
		slot->plan = *plan;
	}
	return result;
}

int find_plan_load(struct db *db, uint64_t tenant_id, const char *default_plan, struct find_plan *plan)
{
	struct find_plan_row row = {.plan = plan};
	struct db_param params[] = {DB_UINT(tenant_id)};
	int result = db_query(db, &find_plan_statements[0], params, 1, find_plan_read_row, &row);
	if (result == DB_OK && !row.found) {
		const struct find_plan *builtin = find_plan_builtin(default_plan);
		*plan = builtin ? *builtin : *find_plan_builtin("free");
	}
	return result;
}

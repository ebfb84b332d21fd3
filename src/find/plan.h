/* Find API plans: the monthly allowances and indexing caps a tenant has,
 * its trial end and subscription state. The catalogue of named plans lives
 * here; a tenant's row (find_tenant_plans) holds a copy it may adjust. */
#ifndef INTUKA_FIND_PLAN_H
#define INTUKA_FIND_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct db;
struct db_statement_def;

#define FIND_PLAN_CODE_MAX 32

struct find_plan {
	char code[FIND_PLAN_CODE_MAX + 1];
	int subscription_active;
	int64_t trial_ends_at_s; /* 0: no trial */
	uint32_t search_per_month;
	uint32_t chat_per_month;
	uint32_t recommendations_per_month;
	uint32_t max_products;
	uint32_t max_posts;
	uint32_t max_prompts;
	uint32_t max_taxonomies;
	uint32_t max_webhooks;
	uint32_t rate_per_minute;
	uint32_t rate_per_hour;
	/* Search re-ranks by embeddings and recommendations use them
	 * (docs/chat.md, "Semantic ranking"); from the catalogue by plan code. */
	int semantic_search;
};

enum find_plan_verdict { FIND_PLAN_OK, FIND_PLAN_TRIAL_EXPIRED, FIND_PLAN_INACTIVE };

/* The monthly allowance a route counts against. */
enum find_meter { FIND_METER_NONE = 0, FIND_METER_SEARCH, FIND_METER_CHAT, FIND_METER_RECOMMENDATIONS };

/* A named plan of the catalogue ("free", "starter", "pro", "business"); NULL if unknown. */
const struct find_plan *find_plan_builtin(const char *code);
/* Names of the catalogue, NULL-terminated, for help texts. */
const char *const *find_plan_names(void);
/* Whether a tenant on this plan may use the API at now_s. */
enum find_plan_verdict find_plan_check(const struct find_plan *plan, int64_t now_s);
/* The "tierLimits" member of every find response (new object, caller owns). */
json_object *find_plan_tier_limits(const struct find_plan *plan);
/* The allowance for a metered feature (0 when the feature is off). */
uint32_t find_plan_allowance(const struct find_plan *plan, enum find_meter meter);
/* The plan of a tenant: its row, or default_plan of the catalogue when it
 * has none. Returns an enum db_result. */
int find_plan_load(struct db *db, uint64_t tenant_id, const char *default_plan, struct find_plan *plan);
/* The same, from this worker's copy while the plan's change stamp is still
 * changed_ms (auth_context.plan_changed_ms, read with an API key): a key's
 * request then needs no round trip for its plan. changed_ms 0: not known,
 * always read. Returns an enum db_result. */
int find_plan_load_known(struct db *db, uint64_t tenant_id, const char *default_plan, int64_t changed_ms,
	struct find_plan *plan);
/* 0 when default_plan names a plan of the catalogue, else -1 with why. */
int find_plan_check_default(const char *default_plan, char *error, size_t error_size);
const struct db_statement_def *find_plan_statement_table(size_t *count);

#endif

/* intuka-admin find-plan: set or show a tenant's find API plan (allowances,
 * caps, trial end, subscription state). Billing systems call this. */
#include "tools/admin.h"
#include "core/config.h"
#include "db/db.h"
#include "find/plan.h"
#include "http/timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct db_statement_def plan_upsert = {.name = "admin.plan_upsert",
	.sql = "INSERT INTO find_tenant_plans (tenant_id, plan_code, subscription_status, trial_ends_at, "
	"search_queries_per_month, chat_messages_per_month, recommendations_per_month, max_products, max_posts, "
	"max_prompts, max_taxonomies, max_webhooks, rate_per_minute, rate_per_hour) "
	"SELECT tenant_id, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM tenants WHERE slug = ? "
	"ON DUPLICATE KEY UPDATE plan_code = VALUES(plan_code), subscription_status = VALUES(subscription_status), "
	"trial_ends_at = VALUES(trial_ends_at), search_queries_per_month = VALUES(search_queries_per_month), "
	"chat_messages_per_month = VALUES(chat_messages_per_month), "
	"recommendations_per_month = VALUES(recommendations_per_month), max_products = VALUES(max_products), "
	"max_posts = VALUES(max_posts), max_prompts = VALUES(max_prompts), max_taxonomies = VALUES(max_taxonomies), "
	"max_webhooks = VALUES(max_webhooks), rate_per_minute = VALUES(rate_per_minute), "
	"rate_per_hour = VALUES(rate_per_hour)",
	.tenant_bound = 0};
static const struct db_statement_def plan_show = {.name = "admin.plan_show",
	.sql = "SELECT t.slug, IFNULL(p.plan_code, '-'), IFNULL(p.subscription_status, '-'), "
	"IFNULL(DATE_FORMAT(p.trial_ends_at, '%Y-%m-%dT%H:%i:%sZ'), '-'), IFNULL(p.search_queries_per_month, '-'), "
	"IFNULL(p.chat_messages_per_month, '-'), IFNULL(p.recommendations_per_month, '-'), "
	"IFNULL(p.max_products, '-'), IFNULL(p.max_posts, '-'), IFNULL(p.max_prompts, '-'), "
	"IFNULL(p.max_taxonomies, '-'), IFNULL(p.max_webhooks, '-'), IFNULL(p.rate_per_minute, '-'), "
	"IFNULL(p.rate_per_hour, '-') FROM tenants t LEFT JOIN find_tenant_plans p ON p.tenant_id = t.tenant_id "
	"WHERE t.slug = ?",
	.tenant_bound = 0};

static const char *const plan_show_labels[] = {"tenant", "plan", "subscription", "trial ends", "search/month",
	"chat/month", "recommendations/month", "max products", "max posts", "max prompts", "max taxonomies",
	"max webhooks", "rate/minute", "rate/hour"};

static int admin_plan_print(void *callback_context, const struct db_row *row)
{
	*(int *)callback_context = 1;
	for (size_t i = 0; i < row->column_count && i < 14; i++)
		printf("%-22s %s\n", plan_show_labels[i], row->values[i] ? row->values[i] : "-");
	return 0;
}

static int admin_plan_number(const char *option, const char *text, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long value = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > 2000000000UL) {
		fprintf(stderr, "intuka-admin: %s needs a whole number from 0 to 2000000000, got \"%s\"\n", option, text);
		return -1;
	}
	*out = (uint32_t)value;
	return 0;
}

/* "none", a date (through the end of that day, UTC) or an RFC 3339 date-time. */
static int admin_plan_trial_end(const char *text, int64_t *out)
{
	if (strcmp(text, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (timestamp_parse_seconds(text, TIMESTAMP_OR_DATE_LAST_SECOND, out) != 0) {
		fprintf(stderr, "intuka-admin: --trial-ends takes a date (YYYY-MM-DD), an RFC 3339 date-time or none\n");
		return -1;
	}
	return 0;
}

static int admin_plan_set(struct admin_context *context, const char *slug, const char *code, int argc, char **argv)
{
	const struct find_plan *builtin = find_plan_builtin(code);
	if (builtin == NULL) {
		fprintf(stderr, "intuka-admin: unknown plan \"%s\"; plans:", code);
		for (const char *const *name = find_plan_names(); *name; name++)
			fprintf(stderr, " %s", *name);
		fprintf(stderr, "\n");
		return ADMIN_EXIT_USAGE;
	}
	struct find_plan plan = *builtin;
	struct {
		const char *option;
		uint32_t *field;
	} numbers[] = {
		{"--search-quota", &plan.search_per_month}, {"--chat-quota", &plan.chat_per_month},
		{"--recommendations-quota", &plan.recommendations_per_month}, {"--max-products", &plan.max_products},
		{"--max-posts", &plan.max_posts}, {"--max-prompts", &plan.max_prompts},
		{"--max-taxonomies", &plan.max_taxonomies}, {"--max-webhooks", &plan.max_webhooks},
		{"--rate-per-minute", &plan.rate_per_minute}, {"--rate-per-hour", &plan.rate_per_hour},
	};
	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "intuka-admin: %s needs a value\n", argv[i]);
			return ADMIN_EXIT_USAGE;
		}
		const char *option = argv[i], *value = argv[i + 1];
		int matched = 0;
		for (size_t n = 0; n < sizeof(numbers) / sizeof(numbers[0]); n++) {
			if (strcmp(option, numbers[n].option) == 0) {
				if (admin_plan_number(option, value, numbers[n].field) != 0)
					return ADMIN_EXIT_USAGE;
				matched = 1;
			}
		}
		if (matched)
			continue;
		if (strcmp(option, "--trial-ends") == 0) {
			if (admin_plan_trial_end(value, &plan.trial_ends_at_s) != 0)
				return ADMIN_EXIT_USAGE;
		} else if (strcmp(option, "--trial-days") == 0) {
			uint32_t days = 0;
			if (admin_plan_number(option, value, &days) != 0 || days > 3650)
				return ADMIN_EXIT_USAGE;
			plan.trial_ends_at_s = (int64_t)time(NULL) + (int64_t)days * 86400;
		} else if (strcmp(option, "--status") == 0 && (strcmp(value, "active") == 0 || strcmp(value, "inactive") == 0)) {
			plan.subscription_active = strcmp(value, "active") == 0;
		} else {
			fprintf(stderr, "intuka-admin: unknown option %s %s (see intuka-admin --help)\n", option, value);
			return ADMIN_EXIT_USAGE;
		}
	}
	if (plan.rate_per_minute == 0 || plan.rate_per_hour == 0) {
		fprintf(stderr, "intuka-admin: rate limits must be at least 1\n");
		return ADMIN_EXIT_USAGE;
	}
	struct db_param params[] = {DB_TEXT(plan.code), DB_TEXT(plan.subscription_active ? "active" : "inactive"),
		plan.trial_ends_at_s ? DB_INT(plan.trial_ends_at_s) : DB_NULL, DB_UINT(plan.search_per_month),
		DB_UINT(plan.chat_per_month), DB_UINT(plan.recommendations_per_month), DB_UINT(plan.max_products),
		DB_UINT(plan.max_posts), DB_UINT(plan.max_prompts), DB_UINT(plan.max_taxonomies), DB_UINT(plan.max_webhooks),
		DB_UINT(plan.rate_per_minute), DB_UINT(plan.rate_per_hour), DB_TEXT(slug)};
	uint64_t affected = 0;
	if (db_exec(context->db, &plan_upsert, params, sizeof(params) / sizeof(params[0]), &affected, NULL) != DB_OK) {
		admin_report_db_error(context, "setting the plan");
		return ADMIN_EXIT_FAILURE;
	}
	/* MariaDB counts 0 for an unchanged row, 1 inserted, 2 updated; 0 can
	 * also mean no such tenant, which the show below tells apart. */
	int shown = 0;
	struct db_param show_params[] = {DB_TEXT(slug)};
	if (db_query(context->db, &plan_show, show_params, 1, admin_plan_print, &shown) != DB_OK) {
		admin_report_db_error(context, "reading the plan back");
		return ADMIN_EXIT_FAILURE;
	}
	if (!shown) {
		fprintf(stderr, "intuka-admin: no tenant \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	return ADMIN_EXIT_OK;
}

int admin_find_plan(struct admin_context *context, int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[0], "set") == 0)
		return admin_plan_set(context, argv[1], argv[2], argc - 3, argv + 3);
	if (argc == 2 && strcmp(argv[0], "show") == 0) {
		int shown = 0;
		struct db_param params[] = {DB_TEXT(argv[1])};
		if (db_query(context->db, &plan_show, params, 1, admin_plan_print, &shown) != DB_OK) {
			admin_report_db_error(context, "reading the plan");
			return ADMIN_EXIT_FAILURE;
		}
		if (!shown) {
			fprintf(stderr, "intuka-admin: no tenant \"%s\"\n", argv[1]);
			return ADMIN_EXIT_FAILURE;
		}
		printf("(a plan of \"-\" means the default plan \"%s\")\n", context->config->find_default_plan);
		return ADMIN_EXIT_OK;
	}
	fprintf(stderr, "usage: intuka-admin find-plan set SLUG PLAN [OPTIONS] | find-plan show SLUG\n");
	return ADMIN_EXIT_USAGE;
}

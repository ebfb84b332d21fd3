/* Find API tenant calls of the v1 SDK: POST /tenant/status (is the
 * subscription valid, on which plan) and GET /tenant/usage (this month's
 * counts against the plan, and the documents held). Secret keys, or users
 * with find.view; publishable keys get 403. Both answer when the trial has
 * ended or the subscription is inactive (the gate lets them through), with
 * valid: false: that is what a client asks them to learn. */
#include "core/config.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/gate.h"
#include "find/meter.h"
#include "find/plan.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/validate.h"
#include "modules/find_tenant_report.h"
#include "modules/modules.h"

#include <stdlib.h>
#include <string.h>

static void find_tenant_status(struct request_context *context);
static void find_tenant_usage(struct request_context *context);

/* The SDK posts {}; any member would be one this call does not read. */
static const struct input_spec status_input = {.fields = NULL, .field_count = 0};

/* A client asks these precisely to learn that its plan lapsed; they read
 * the plan and counters only, never content, and use no allowance. */
static const struct find_route_terms find_tenant_terms = {.serves_lapsed_plan = 1};

#define FIND_TENANT_CREDENTIALS (ROUTE_CRED_JWT | ROUTE_CRED_SECRET_KEY)
static const struct route find_tenant_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/find/tenant/status", .permission = "find.view",
		.credentials = FIND_TENANT_CREDENTIALS, .input = &status_input, .handler = find_tenant_status,
		.gate_data = &find_tenant_terms},
	{.method = HTTP_GET, .pattern = "/api/v1/find/tenant/usage", .permission = "find.view",
		.credentials = FIND_TENANT_CREDENTIALS, .handler = find_tenant_usage,
		.gate_data = &find_tenant_terms},
};

const struct route_table find_tenant_route_table = {
	.module_name = "find_tenant",
	.routes = find_tenant_routes,
	.route_count = sizeof(find_tenant_routes) / sizeof(find_tenant_routes[0]),
	.gate = &find_gate,
};

enum find_tenant_statement { TENANT_STMT_FIGURES, TENANT_STMT__MAX };

/* One round trip: the live-row counters the content, prompt and webhook
 * writes keep (resource_counts, the same rows the plan caps are checked
 * against), this month's quota rows of the meter (rate_counters), and the
 * webhooks, which have no counter (at most a plan's few dozen). */
static const struct db_statement_def find_tenant_statements[TENANT_STMT__MAX] = {
	[TENANT_STMT_FIGURES] = {.name = "find_tenant.figures",
		.sql = "SELECT resource, live_rows FROM resource_counts WHERE tenant_id = ? "
		"AND resource IN ('find.products', 'find.posts', 'find.taxonomies', 'find.prompts') "
		"UNION ALL SELECT bucket, hits FROM rate_counters WHERE tenant_id = ? AND bucket IN (?, ?, ?) "
		"AND window_start = ? "
		"UNION ALL SELECT 'find.webhooks', COUNT(*) FROM find_webhooks WHERE tenant_id = ?",
		.tenant_bound = 1},
};

const struct statement_table find_tenant_statement_table = {
	.module_name = "find_tenant",
	.statements = find_tenant_statements,
	.statement_count = TENANT_STMT__MAX,
};

struct find_tenant_row_target {
	const char *name;
	uint64_t *value;
};

struct find_tenant_rows {
	struct find_tenant_row_target targets[8];
	size_t target_count;
};

static int find_tenant_read_figure(void *callback_context, const struct db_row *row)
{
	struct find_tenant_rows *rows = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 1;
	for (size_t i = 0; i < rows->target_count; i++)
		if (strcmp(rows->targets[i].name, row->values[0]) == 0) {
			/* A counter a failed write left below zero counts as none. */
			long long value = strtoll(row->values[1], NULL, 10);
			*rows->targets[i].value = value > 0 ? (uint64_t)value : 0;
		}
	return 0;
}

/* The plan is the gate's; without one the route was not gated. */
static const struct find_plan *find_tenant_plan(struct request_context *context)
{
	const struct find_request *state = find_request_of(context);
	if (state == NULL || state->plan == NULL) {
		respond_db_failure(context, DB_ERROR, "tenant call without a plan");
		return NULL;
	}
	return state->plan;
}

static void find_tenant_status(struct request_context *context)
{
	const struct find_plan *plan = find_tenant_plan(context);
	if (plan == NULL)
		return;
	response_ok(context->response, STATUS_OK,
		find_tenant_status_report(plan, context->now_s, context->config->find_upgrade_url), "Tenant status");
}

static void find_tenant_usage(struct request_context *context)
{
	const struct find_plan *plan = find_tenant_plan(context);
	if (plan == NULL)
		return;
	struct find_tenant_figures figures = {0};
	char search_bucket[64], chat_bucket[64], recommendations_bucket[64], reset_date[11];
	/* The feature names the gate meters by (find_gate_feature). */
	find_meter_quota_bucket("search", search_bucket, sizeof(search_bucket));
	find_meter_quota_bucket("chat", chat_bucket, sizeof(chat_bucket));
	find_meter_quota_bucket("recommendations", recommendations_bucket, sizeof(recommendations_bucket));
	struct find_tenant_rows rows = {
		.targets = {
			{"find.products", &figures.products},
			{"find.posts", &figures.posts},
			{"find.taxonomies", &figures.taxonomies},
			{"find.prompts", &figures.prompts},
			{"find.webhooks", &figures.webhooks},
			{search_bucket, &figures.searches},
			{chat_bucket, &figures.chat_messages},
			{recommendations_bucket, &figures.recommendations},
		},
		.target_count = 8,
	};
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct db_param params[] = {
		DB_UINT(tenant_id),
		DB_UINT(tenant_id),
		DB_TEXT(search_bucket),
		DB_TEXT(chat_bucket),
		DB_TEXT(recommendations_bucket),
		DB_INT(find_meter_next_month(context->now_s, reset_date)),
		DB_UINT(tenant_id),
	};
	enum db_result result = db_query(context->db, &find_tenant_statements[TENANT_STMT_FIGURES], params,
		sizeof(params) / sizeof(params[0]), find_tenant_read_figure, &rows);
	if (result != DB_OK) {
		respond_db_failure(context, result, "tenant usage");
		return;
	}
	response_ok(context->response, STATUS_OK, find_tenant_usage_report(plan, &figures, context->now_s),
		"Tenant usage");
}

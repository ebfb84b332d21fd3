/* The pure part of the tenant calls (/tenant/status, /tenant/usage): their
 * answers built from the plan, the time and the tenant's figures, in the
 * shapes of the v1 SDK's TenantStatusResponse and UsageSummaryResponse. The
 * module (find_tenant.c) reads the figures from the database. */
#ifndef INTUKA_MODULES_FIND_TENANT_REPORT_H
#define INTUKA_MODULES_FIND_TENANT_REPORT_H

#include <stdint.h>

#include <json-c/json.h>

struct find_plan;

/* What a tenant holds (live documents, across its workspaces) and has used
 * this month (UTC). */
struct find_tenant_figures {
	uint64_t products;
	uint64_t posts;
	uint64_t taxonomies;
	uint64_t prompts;
	uint64_t webhooks;
	uint64_t searches;
	uint64_t chat_messages;
	uint64_t recommendations;
};

/* current as a percentage of limit, rounded down to one decimal; 0 when the
 * limit is 0. */
double find_tenant_percentage(uint64_t current, uint32_t limit);
/* TenantStatusResponse (new object, caller owns). upgrade_url is named in
 * the subscription while it is not valid. */
json_object *find_tenant_status_report(const struct find_plan *plan, int64_t now_s, const char *upgrade_url);
/* UsageSummaryResponse (new object, caller owns). */
json_object *find_tenant_usage_report(const struct find_plan *plan, const struct find_tenant_figures *figures,
	int64_t now_s);

#endif

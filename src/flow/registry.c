/* Registry of modules: adding a module means adding one line to each list. */
#include "flow/registry.h"
#include "auth/audit.h"
#include "auth/cors.h"
#include "auth/key_principal.h"
#include "auth/principal.h"
#include "auth/rate_lease.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "core/config.h"
#include "db/db.h"
#include "find/events.h"
#include "find/plan.h"
#include "find/embedding_store.h"
#include "find/llm_embed.h"
#include "find/webhook_outbox.h"
#include "http/router.h"
#include "modules/idempotency.h"
#include "modules/invitation.h"
#include "modules/modules.h"
#include "modules/find_search_log.h"
#include "modules/resource.h"
#include "modules/tenant_lifecycle.h"

#include <stdio.h>
#include <time.h>

static const struct route_table *const registry_routes[] = {
	&system_route_table,
	&api_docs_route_table,
	&auth_route_table,
	&users_route_table,
	&invitations_route_table,
	&profiles_route_table,
	&audit_route_table,
	&sales_route_table,
	&hr_route_table,
	&finance_route_table,
	&find_keys_route_table,
	&find_tenant_route_table,
	&find_feedback_route_table,
	&find_recommend_route_table,
	&find_analytics_route_table,
	&find_content_route_table,
	&find_search_route_table,
	&find_prompts_route_table,
	&find_chat_route_table,
	&find_threads_route_table,
	&find_webhooks_route_table,
	&operator_route_table,
};

const struct route_table *const *registry_route_tables(size_t *table_count)
{
	*table_count = sizeof(registry_routes) / sizeof(registry_routes[0]);
	return registry_routes;
}


/* Module statement tables; the auth layer's are appended at run time. */
static const struct statement_table *const registry_statement_list[] = {
	&system_statement_table,
	&auth_statement_table,
	&users_statement_table,
	&invitations_statement_table,
	&invitation_statement_table,
	&profiles_statement_table,
	&audit_view_statement_table,
	&sales_statement_table,
	&hr_statement_table,
	&finance_statement_table,
	&find_keys_statement_table,
	&find_tenant_statement_table,
	&find_products_statement_table,
	&find_posts_statement_table,
	&find_taxonomies_statement_table,
	&find_counters_statement_table,
	&find_product_search_statement_table,
	&find_post_search_statement_table,
	&find_search_log_statement_table,
	&find_index_statement_table,
	&find_search_hits_statement_table,
	&find_semantic_statement_table,
	&find_feedback_statement_table,
	&find_recommend_statement_table,
	&find_analytics_statement_table,
	&find_prompts_statement_table,
	&find_chat_statement_table,
	&find_threads_statement_table,
	&find_webhooks_statement_table,
	&tenant_lifecycle_statement_table,
	&tenant_tables_statement_table,
	&operator_statement_table,
};
#define REGISTRY_STATEMENT_COUNT (sizeof(registry_statement_list) / sizeof(registry_statement_list[0]))

/* The lower layers' statement tables, which give their statements through
 * a function (they are arrays in their own files). */
static const struct {
	const char *name;
	const struct db_statement_def *(*table)(size_t *count);
} registry_layer_list[] = {
	{"ratelimit", ratelimit_statement_table},
	{"session", session_statement_table},
	{"principal", principal_statement_table},
	{"audit", audit_statement_table},
	{"idempotency", idempotency_statement_table},
	{"key_principal", key_principal_statement_table},
	{"cors", cors_statement_table},
	{"find_plan", find_plan_statement_table},
	{"find_events", find_events_statement_table},
	{"webhook_outbox", webhook_outbox_statement_table},
	{"embedding_store", embedding_store_statement_table},
	{"llm_embed", llm_embed_statement_table},
};
#define REGISTRY_LAYER_COUNT (sizeof(registry_layer_list) / sizeof(registry_layer_list[0]))
static struct statement_table registry_layer_tables[REGISTRY_LAYER_COUNT];
static const struct statement_table *registry_statements[REGISTRY_STATEMENT_COUNT + REGISTRY_LAYER_COUNT];

const struct statement_table *const *registry_statement_tables(size_t *table_count)
{
	size_t used = 0;
	for (size_t i = 0; i < REGISTRY_STATEMENT_COUNT; i++)
		registry_statements[used++] = registry_statement_list[i];
	for (size_t i = 0; i < REGISTRY_LAYER_COUNT; i++) {
		size_t count = 0;
		const struct db_statement_def *statements = registry_layer_list[i].table(&count);
		registry_layer_tables[i] = (struct statement_table){
			.module_name = registry_layer_list[i].name, .statements = statements, .statement_count = count};
		registry_statements[used++] = &registry_layer_tables[i];
	}
	*table_count = used;
	return registry_statements;
}

int registry_prepare(const struct config *config, char *error, size_t error_size)
{
	const struct resource_def *const *const resource_lists[] = {sales_resources, hr_resources, finance_resources};
	for (size_t i = 0; i < sizeof(resource_lists) / sizeof(resource_lists[0]); i++) {
		for (const struct resource_def *const *resource = resource_lists[i]; *resource != NULL; resource++) {
			if (resource_prepare(*resource) != 0) {
				snprintf(error, error_size, "records of %s: more fields or parameters than the engine holds",
					(*resource)->name);
				return -1;
			}
		}
	}
	return find_plan_check_default(config->find_default_plan, error, error_size);
}

static int64_t registry_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void registry_worker_idle(struct db *db)
{
	find_search_log_flush(db, registry_now_ms(), 0);
}

void registry_worker_exit(struct db *db)
{
	find_search_log_flush(db, registry_now_ms(), 1);
	rate_lease_release_all(db, (int64_t)time(NULL));
}

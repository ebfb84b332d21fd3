/* The list of modules whose route tables the router searches, in order,
 * and every statement table (so tests can check each binds tenant_id). */
#ifndef INTUKA_MODULES_MODULES_H
#define INTUKA_MODULES_MODULES_H

#include <stddef.h>

#include "db/db.h"
#include "http/router.h"

struct statement_table {
	const char *module_name;
	const struct db_statement_def *statements;
	size_t statement_count;
};

extern const struct route_table system_route_table;
extern const struct route_table auth_route_table;
extern const struct route_table users_route_table;
extern const struct route_table profiles_route_table;
extern const struct route_table audit_route_table;
extern const struct route_table sales_route_table;
extern const struct route_table hr_route_table;
extern const struct route_table finance_route_table;
extern const struct route_table find_keys_route_table;
extern const struct route_table find_tenant_route_table;
extern const struct route_table find_feedback_route_table;
extern const struct route_table find_recommend_route_table;
extern const struct route_table find_analytics_route_table;
extern const struct route_table find_content_route_table;
extern const struct route_table find_search_route_table;
extern const struct route_table find_prompts_route_table;
extern const struct route_table find_chat_route_table;
extern const struct route_table find_threads_route_table;
extern const struct route_table find_webhooks_route_table;

extern const struct statement_table system_statement_table;
extern const struct statement_table auth_statement_table;
extern const struct statement_table users_statement_table;
extern const struct statement_table profiles_statement_table;
extern const struct statement_table audit_view_statement_table;
extern const struct statement_table sales_statement_table;
extern const struct statement_table hr_statement_table;
extern const struct statement_table finance_statement_table;
extern const struct statement_table find_keys_statement_table;
extern const struct statement_table find_tenant_statement_table;
extern const struct statement_table find_feedback_statement_table;
extern const struct statement_table find_recommend_statement_table;
extern const struct statement_table find_analytics_statement_table;
extern const struct statement_table find_products_statement_table;
extern const struct statement_table find_posts_statement_table;
extern const struct statement_table find_taxonomies_statement_table;
extern const struct statement_table find_counters_statement_table;
extern const struct statement_table find_product_search_statement_table;
extern const struct statement_table find_post_search_statement_table;
extern const struct statement_table find_search_log_statement_table;
extern const struct statement_table find_prompts_statement_table;
extern const struct statement_table find_chat_statement_table;
extern const struct statement_table find_threads_statement_table;
extern const struct statement_table find_webhooks_statement_table;

struct resource_def;
/* NULL-terminated lists of the generic records each module serves. */
extern const struct resource_def *const sales_resources[];
extern const struct resource_def *const hr_resources[];
extern const struct resource_def *const finance_resources[];

const struct route_table *const *modules_route_tables(size_t *table_count);
/* Module tables plus the auth layer's own (sessions, rate counters, ...). */
const struct statement_table *const *modules_statement_tables(size_t *table_count);

#endif

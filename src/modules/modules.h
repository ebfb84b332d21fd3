/* What each module offers the registry (flow/registry.c): its route table,
 * its statement table, and the generic records it serves. */
#ifndef INTUKA_MODULES_MODULES_H
#define INTUKA_MODULES_MODULES_H

#include <stddef.h>

#include "db/db.h"
#include "http/router.h"

extern const struct route_table system_route_table;
extern const struct route_table api_docs_route_table;
extern const struct route_table auth_route_table;
extern const struct route_table users_route_table;
extern const struct route_table invitations_route_table;
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
extern const struct route_table operator_route_table;

extern const struct statement_table system_statement_table;
extern const struct statement_table auth_statement_table;
extern const struct statement_table users_statement_table;
extern const struct statement_table invitations_statement_table;
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
extern const struct statement_table find_index_statement_table;
extern const struct statement_table find_search_hits_statement_table;
extern const struct statement_table find_semantic_statement_table;
extern const struct statement_table find_prompts_statement_table;
extern const struct statement_table find_chat_statement_table;
extern const struct statement_table find_threads_statement_table;
extern const struct statement_table find_webhooks_statement_table;
extern const struct statement_table operator_statement_table;

struct resource_def;
/* NULL-terminated lists of the generic records each module serves. */
extern const struct resource_def *const sales_resources[];
extern const struct resource_def *const hr_resources[];
extern const struct resource_def *const finance_resources[];

#endif

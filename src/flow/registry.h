/* The registry: every route table the router searches, in order, and every
 * statement table (so tests can check each binds tenant_id). Adding a
 * module or an API surface means adding its tables here. */
#ifndef INTUKA_FLOW_REGISTRY_H
#define INTUKA_FLOW_REGISTRY_H

#include <stddef.h>

struct config;
struct route_table;
struct statement_table;

const struct route_table *const *registry_route_tables(size_t *table_count);
/* Module tables plus the lower layers' own (sessions, rate counters, ...). */
const struct statement_table *const *registry_statement_tables(size_t *table_count);
/* The API surfaces' checks of their configuration keys (the find default
 * plan must be one of the catalogue); 0, or -1 with why in error. Run by
 * every program after config_load. */
int registry_check_config(const struct config *config, char *error, size_t error_size);

#endif

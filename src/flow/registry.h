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
/* Run by every program after config_load, before serving: checks the API
 * surfaces' configuration keys (the find default plan must be one of the
 * catalogue) and builds what modules generate once (the record engine's
 * statements and the input specs its routes declare). 0, or -1 with why. */
int registry_prepare(const struct config *config, char *error, size_t error_size);

struct db;
/* A worker between requests, at least every REGISTRY_IDLE_MS: work the
 * modules keep for later (batched logs past their wait) is done here. */
#define REGISTRY_IDLE_MS 100
void registry_worker_idle(struct db *db);
/* A worker about to exit: what the modules hold goes out (batched logs,
 * unused rate leases). */
void registry_worker_exit(struct db *db);

#endif

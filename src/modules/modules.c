/* Registry of modules: adding a module means adding one line to each list. */
#include "modules/modules.h"

static const struct route_table *const modules_routes[] = {
	&system_route_table,
};

static const struct statement_table *const modules_statements[] = {
	&system_statement_table,
};

const struct route_table *const *modules_route_tables(size_t *table_count)
{
	*table_count = sizeof(modules_routes) / sizeof(modules_routes[0]);
	return modules_routes;
}

const struct statement_table *const *modules_statement_tables(size_t *table_count)
{
	*table_count = sizeof(modules_statements) / sizeof(modules_statements[0]);
	return modules_statements;
}

/* The list of modules whose route tables the router searches, in order. */
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
extern const struct statement_table system_statement_table;

const struct route_table *const *modules_route_tables(size_t *table_count);
/* Every module's statements, so tests can check each one binds tenant_id. */
const struct statement_table *const *modules_statement_tables(size_t *table_count);

#endif

/* Tenant isolation at the source: every module statement marked
 * tenant-bound filters on "tenant_id = ?", and the unbound ones are exactly
 * the listed global lookups. */
#include "unit_suites.h"
#include "modules/modules.h"

#include <string.h>

static const char *const global_statements[] = {
	"system.schema_version",
};

static int is_listed_global(const char *name)
{
	for (size_t i = 0; i < sizeof(global_statements) / sizeof(global_statements[0]); i++)
		if (strcmp(global_statements[i], name) == 0)
			return 1;
	return 0;
}

static void every_module_statement_binds_tenant_or_is_a_listed_global(void)
{
	size_t table_count = 0;
	const struct statement_table *const *tables = modules_statement_tables(&table_count);
	CU_ASSERT_TRUE_FATAL(table_count > 0);
	size_t checked = 0;
	for (size_t t = 0; t < table_count; t++) {
		for (size_t s = 0; s < tables[t]->statement_count; s++) {
			const struct db_statement_def *statement = &tables[t]->statements[s];
			CU_ASSERT_PTR_NOT_NULL_FATAL(statement->sql);
			if (statement->tenant_bound) {
				CU_ASSERT_PTR_NOT_NULL(strstr(statement->sql, "tenant_id = ?"));
				CU_ASSERT_FALSE(is_listed_global(statement->name));
			} else {
				CU_ASSERT_TRUE(is_listed_global(statement->name));
			}
			checked++;
		}
	}
	CU_ASSERT_TRUE(checked >= 1);
}

static void every_route_has_a_handler_and_an_absolute_pattern(void)
{
	size_t table_count = 0;
	const struct route_table *const *tables = modules_route_tables(&table_count);
	for (size_t t = 0; t < table_count; t++) {
		for (size_t r = 0; r < tables[t]->route_count; r++) {
			const struct route *route = &tables[t]->routes[r];
			CU_ASSERT_PTR_NOT_NULL(route->handler);
			CU_ASSERT_EQUAL(strncmp(route->pattern, "/api/v1/", 8), 0);
		}
	}
}

static const struct unit_test statement_tests[] = {
	{"every_module_statement_binds_tenant_or_is_a_listed_global",
		every_module_statement_binds_tenant_or_is_a_listed_global},
	{"every_route_has_a_handler_and_an_absolute_pattern", every_route_has_a_handler_and_an_absolute_pattern},
};

int register_statements_suite(void)
{
	return UNIT_SUITE("statements", statement_tests);
}

/* Tenant isolation at the source: every module statement marked
 * tenant-bound filters on "tenant_id = ?", and the unbound ones are exactly
 * the listed global lookups. */
#include "unit_suites.h"
#include "db/db.h"
#include "flow/registry.h"
#include "modules/modules.h"
#include "modules/resource.h"

#include <stdio.h>
#include <string.h>

static const char *const global_statements[] = {
	"system.schema_version",
	"auth.login_lookup", /* finds the tenant by slug: the tenant is the answer */
	"auth.key_lookup",   /* finds an API key by its hash: the tenant is the answer */
	"cors.origin_allowed", /* CORS preflight: only whether some publishable key lists the origin */
	/* The webhook delivery process serves every tenant: it claims due rows
	 * by find_webhook_deliveries_due (status, next_attempt_at) and learns
	 * each row's tenant from it; everything it does with a row afterwards
	 * binds that tenant_id. The purge drops finished rows by the same index. */
	"find_webhooks.claim_due",
	"find_webhooks.purge_finished",
	/* The embedding process (intukad --embed) likewise reads due queue rows
	 * of every tenant; the claim and all that follows bind the row's tenant. */
	"find_embeddings.due",
	/* The operator (intuka-admin, the operator API) names a tenant by its
	 * slug; no tenant's user reaches it. */
	"tenant_lifecycle.by_slug",
	/* Which tables have a tenant_id column (information_schema): a tenant
	 * is deleted only while every one of them is in tenant_tables. */
	"tenant_lifecycle.schema_tenant_tables",
	/* A new tenant row: the tenant is what is being made. */
	"tenant_lifecycle.insert",
	/* The operator API's list of every tenant of the installation, per
	 * sort; its credential is the installation's, not a tenant's. */
	"operator.tenants_list",
	"operator.tenants_list_created_asc",
	"operator.tenants_list_slug_desc",
	"operator.tenants_list_slug_asc",
	"operator.tenants_count",
};

/* Scoped means: an INSERT whose first column is tenant_id, or a condition
 * "tenant_id = ?" for everything else. */
static int statement_is_tenant_scoped(const char *sql)
{
	if (strncmp(sql, "INSERT INTO ", 12) == 0) {
		const char *columns = strchr(sql, '(');
		return columns != NULL && strncmp(columns, "(tenant_id,", 11) == 0;
	}
	return strstr(sql, "tenant_id = ?") != NULL;
}

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
	const struct statement_table *const *tables = registry_statement_tables(&table_count);
	CU_ASSERT_TRUE_FATAL(table_count > 0);
	size_t checked = 0;
	for (size_t t = 0; t < table_count; t++) {
		for (size_t s = 0; s < tables[t]->statement_count; s++) {
			const struct db_statement_def *statement = &tables[t]->statements[s];
			CU_ASSERT_PTR_NOT_NULL_FATAL(statement->sql);
			if (statement->tenant_bound) {
				if (!statement_is_tenant_scoped(statement->sql))
					fprintf(stderr, "not tenant-scoped: %s\n", statement->name);
				CU_ASSERT_TRUE(statement_is_tenant_scoped(statement->sql));
				CU_ASSERT_FALSE(is_listed_global(statement->name));
			} else {
				CU_ASSERT_TRUE(is_listed_global(statement->name));
			}
			checked++;
		}
	}
	CU_ASSERT_TRUE(checked >= 1);
}

/* Checks one module's NULL-terminated resource list; returns the statements checked. */
static size_t check_generated_statements(const struct resource_def *const *resources)
{
	size_t checked = 0;
	for (const struct resource_def *const *resource = resources; *resource != NULL; resource++) {
		CU_ASSERT_EQUAL_FATAL(resource_prepare(*resource), 0);
		const struct db_statement_def *statements[128];
		size_t count = resource_statements(*resource, statements, 128);
		for (size_t i = 0; i < count; i++, checked++) {
			CU_ASSERT_TRUE(statements[i]->tenant_bound);
			if (!statement_is_tenant_scoped(statements[i]->sql))
				fprintf(stderr, "not tenant-scoped: %s\n", statements[i]->sql);
			CU_ASSERT_TRUE(statement_is_tenant_scoped(statements[i]->sql));
		}
	}
	return checked;
}

static void every_generated_record_statement_binds_the_tenant_first(void)
{
	CU_ASSERT_TRUE(check_generated_statements(sales_resources) >= 40);
	CU_ASSERT_TRUE(check_generated_statements(finance_resources) >= 20);
	CU_ASSERT_TRUE(check_generated_statements(hr_resources) >= 40);
}

static void every_route_has_a_handler_and_an_absolute_pattern(void)
{
	size_t table_count = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	for (size_t t = 0; t < table_count; t++) {
		for (size_t r = 0; r < tables[t]->route_count; r++) {
			const struct route *route = &tables[t]->routes[r];
			CU_ASSERT_PTR_NOT_NULL(route->handler);
			CU_ASSERT_EQUAL(strncmp(route->pattern, "/api/v1/", 8), 0);
		}
	}
}

/* Writes that may run twice after a lost connection; each is here because
 * it was reviewed: why a second run does no harm. Anything else that
 * writes is never retried once sent (db.h: DB_OUTCOME_UNKNOWN). */
static const char *const retry_safe_writes[] = {
	"ratelimit.add_1", "ratelimit.add_2", "ratelimit.add_3",  /* counts and leases: one extra unit at most */
	"ratelimit.purge", "find_webhooks.purge_finished",        /* deletes expired rows: a repeat finds none */
	"auth.key_touch", "find_webhooks.claim_renew",            /* set a time: a repeat sets it again */
	"find_embeddings.save", "find_embeddings.unclaim",        /* set values: a repeat sets them again */
	"find_embeddings.dequeue",                                /* deletes one claimed version: a repeat finds none */
};

static int is_listed_retry_safe_write(const char *name)
{
	for (size_t i = 0; i < sizeof(retry_safe_writes) / sizeof(retry_safe_writes[0]); i++)
		if (strcmp(retry_safe_writes[i], name) == 0)
			return 1;
	return 0;
}

static void reads_are_retry_safe_and_writes_only_when_marked(void)
{
	const struct db_statement_def cases[] = {
		{.name = "read", .sql = "SELECT 1"},
		{.name = "read lower case", .sql = "select 1"},
		{.name = "read in parentheses", .sql = " (SELECT 1) UNION (SELECT 2)"},
		{.name = "common table", .sql = "WITH t AS (SELECT 1) SELECT * FROM t"},
		{.name = "insert", .sql = "INSERT INTO t (tenant_id) VALUES (?)"},
		{.name = "update", .sql = "UPDATE t SET a = a + 1 WHERE tenant_id = ?"},
		{.name = "delete", .sql = "DELETE FROM t WHERE tenant_id = ?"},
		{.name = "selected insert", .sql = "INSERT INTO t SELECT * FROM u"},
		{.name = "marked write", .sql = "UPDATE t SET seen = NOW() WHERE tenant_id = ?", .retry_safe = 1},
	};
	const int expected[] = {1, 1, 1, 1, 0, 0, 0, 0, 1};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (db_statement_retry_safe(&cases[i]) != expected[i])
			fprintf(stderr, "retry_safe(%s) is %d\n", cases[i].name, db_statement_retry_safe(&cases[i]));
		CU_ASSERT_EQUAL(db_statement_retry_safe(&cases[i]), expected[i]);
	}
	CU_ASSERT_TRUE(db_result_is_unavailable(DB_UNAVAILABLE));
	CU_ASSERT_TRUE(db_result_is_unavailable(DB_OUTCOME_UNKNOWN));
	CU_ASSERT_FALSE(db_result_is_unavailable(DB_ERROR));
	CU_ASSERT_FALSE(db_result_is_unavailable(DB_DUPLICATE));
}

static void every_write_marked_retry_safe_is_a_reviewed_one(void)
{
	size_t table_count = 0, marked = 0;
	const struct statement_table *const *tables = registry_statement_tables(&table_count);
	for (size_t t = 0; t < table_count; t++) {
		for (size_t s = 0; s < tables[t]->statement_count; s++) {
			const struct db_statement_def *statement = &tables[t]->statements[s];
			if (!statement->retry_safe)
				continue;
			marked++;
			if (!is_listed_retry_safe_write(statement->name))
				fprintf(stderr, "retry_safe but not reviewed: %s\n", statement->name);
			CU_ASSERT_TRUE(is_listed_retry_safe_write(statement->name));
		}
	}
	/* Every reviewed name is marked in some table (a renamed one is noticed). */
	CU_ASSERT_EQUAL(marked, sizeof(retry_safe_writes) / sizeof(retry_safe_writes[0]));
}

/* Routes that take a body and check it themselves, each with the reason:
 * everything else that takes a body declares it (.input), so the pipeline
 * refuses a bad one before the handler runs. */
static const struct {
	const char *pattern;
	const char *why;
} self_checked_bodies[] = {
	{"/api/v1/finance/invoices", "the record's fields plus lines, checked together (finance_read_body)"},
	{"/api/v1/finance/invoices/{id}", "the same, for a PATCH"},
	{"/api/v1/finance/expenses/{id}", "finance_read_body, as for invoices"},
	{"/api/v1/hr/leave-requests/{id}", "a pending request's own fields (leave_update_input): the engine serves leave "
		"requests read-only"},
	{"/api/v1/find/products", "documents keep members the API does not know (find_documents)"},
	{"/api/v1/find/posts", "documents (find_documents)"},
	{"/api/v1/find/taxonomies", "documents (find_documents)"},
	{"/api/v1/find/prompts", "documents (find_prompts)"},
	{"/api/v1/find/products/bulk", "arrays of documents"},
	{"/api/v1/find/posts/bulk", "arrays of documents"},
	{"/api/v1/find/taxonomies/bulk", "arrays of documents"},
	{"/api/v1/find/prompts/bulk", "arrays of documents"},
	{"/api/v1/find/products/delete-by-query", "a search filter (find_query)"},
	{"/api/v1/find/posts/delete-by-query", "a search filter (find_query)"},
	{"/api/v1/find/taxonomies/delete-by-query", "a search filter (find_query)"},
	{"/api/v1/find/products/search", "a search request (find_query), fuzzed"},
	{"/api/v1/find/posts/search", "a search request (find_query), fuzzed"},
	{"/api/v1/find/prompts/search", "a search request (find_query)"},
	{"/api/v1/find/chat", "a chat request with filters (find_chat)"},
	{"/api/v1/find/threads/search", "a search request with filters (find_threads)"},
	{"/api/v1/find/threads/export", "an export request with filters (find_threads)"},
};

static const char *self_checked_reason(const char *pattern)
{
	for (size_t i = 0; i < sizeof(self_checked_bodies) / sizeof(self_checked_bodies[0]); i++)
		if (strcmp(self_checked_bodies[i].pattern, pattern) == 0)
			return self_checked_bodies[i].why;
	return NULL;
}

static void every_route_taking_a_body_declares_it_or_says_why_not(void)
{
	size_t table_count = 0, listed_seen = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	for (size_t t = 0; t < table_count; t++) {
		for (size_t r = 0; r < tables[t]->route_count; r++) {
			const struct route *route = &tables[t]->routes[r];
			if (route->method != HTTP_POST && route->method != HTTP_PATCH && route->method != HTTP_PUT)
				continue;
			const char *why = self_checked_reason(route->pattern);
			listed_seen += why != NULL;
			if (route->input == NULL && why == NULL)
				fprintf(stderr, "body neither declared nor listed: %s\n", route->pattern);
			CU_ASSERT_TRUE(route->input != NULL || why != NULL);
		}
	}
	/* No stale entry: each listed pattern is a body-taking route. */
	CU_ASSERT_TRUE(listed_seen >= sizeof(self_checked_bodies) / sizeof(self_checked_bodies[0]));
}

/* A record's routes: the engine's create and update declare the specs it
 * builds, and the route that deletes a record asks for the permission the
 * record names for seeing deleted rows (includeDeleted on its list). */
static void record_routes_declare_the_engine_specs_and_the_delete_permission(void)
{
	const struct resource_def *const *const lists[] = {sales_resources, hr_resources, finance_resources};
	size_t table_count = 0, checked = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		for (const struct resource_def *const *resource = lists[l]; *resource != NULL; resource++) {
			CU_ASSERT_EQUAL_FATAL(resource_prepare(*resource), 0);
			for (size_t t = 0; t < table_count; t++) {
				for (size_t r = 0; r < tables[t]->route_count; r++) {
					const struct route *route = &tables[t]->routes[r];
					if (route->data != *resource || strstr(route->pattern, "}/") != NULL)
						continue; /* approve, reject, convert: their own permission and body */
					CU_ASSERT_PTR_NOT_NULL(route->permission);
					if (route->method == HTTP_DELETE) {
						if (strcmp(route->permission, (*resource)->delete_permission) != 0)
							fprintf(stderr, "%s asks %s, the record names %s\n", route->pattern,
								route->permission, (*resource)->delete_permission);
						CU_ASSERT_STRING_EQUAL(route->permission, (*resource)->delete_permission);
					}
					if (route->method == HTTP_POST)
						CU_ASSERT_TRUE(route->input != NULL || self_checked_reason(route->pattern) != NULL);
					if (route->method == HTTP_PATCH)
						CU_ASSERT_TRUE(route->input == &(*resource)->runtime->update_input ||
							self_checked_reason(route->pattern) != NULL);
					checked++;
				}
			}
		}
	}
	CU_ASSERT_TRUE(checked >= 30);
}

static const struct unit_test statement_tests[] = {
	{"every_module_statement_binds_tenant_or_is_a_listed_global",
		every_module_statement_binds_tenant_or_is_a_listed_global},
	{"every_generated_record_statement_binds_the_tenant_first", every_generated_record_statement_binds_the_tenant_first},
	{"every_route_has_a_handler_and_an_absolute_pattern", every_route_has_a_handler_and_an_absolute_pattern},
	{"reads_are_retry_safe_and_writes_only_when_marked", reads_are_retry_safe_and_writes_only_when_marked},
	{"every_write_marked_retry_safe_is_a_reviewed_one", every_write_marked_retry_safe_is_a_reviewed_one},
	{"every_route_taking_a_body_declares_it_or_says_why_not", every_route_taking_a_body_declares_it_or_says_why_not},
	{"record_routes_declare_the_engine_specs_and_the_delete_permission",
		record_routes_declare_the_engine_specs_and_the_delete_permission},
};

int register_statements_suite(void)
{
	return UNIT_SUITE("statements", statement_tests);
}

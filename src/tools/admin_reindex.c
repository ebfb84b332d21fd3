/* intuka-admin find-reindex: rebuilds the find search index (postings and
 * term statistics) of every tenant, or of one, from the stored products and
 * posts. Needed once after migration 0011 on a database that already held
 * content, and after rows were loaded by SQL rather than through the API. */
#include "tools/admin.h"
#include "db/db.h"
#include "modules/find_index_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct db_statement_def reindex_tenants = {.name = "admin.find_reindex_tenants",
	.sql = "SELECT tenant_id, slug FROM tenants WHERE ? = '' OR slug = ? ORDER BY tenant_id", .tenant_bound = 0};

struct reindex_tenant {
	uint64_t tenant_id;
	char slug[128];
};

struct reindex_tenants {
	struct reindex_tenant *items;
	size_t count, capacity;
};

static int reindex_collect_tenant(void *callback_context, const struct db_row *row)
{
	struct reindex_tenants *tenants = callback_context;
	if (row->column_count < 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	if (tenants->count == tenants->capacity) {
		tenants->capacity = tenants->capacity ? tenants->capacity * 2 : 64;
		tenants->items = realloc(tenants->items, tenants->capacity * sizeof(*tenants->items));
		if (tenants->items == NULL)
			return 1;
	}
	struct reindex_tenant *tenant = &tenants->items[tenants->count++];
	tenant->tenant_id = strtoull(row->values[0], NULL, 10);
	snprintf(tenant->slug, sizeof(tenant->slug), "%s", row->values[1]);
	return 0;
}

static double reindex_seconds(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

int admin_find_reindex(struct admin_context *context, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: intuka-admin find-reindex [SLUG]\n");
		return ADMIN_EXIT_USAGE;
	}
	const char *slug = argc == 1 ? argv[0] : "";
	struct reindex_tenants tenants = {0};
	struct db_param params[] = {DB_TEXT(slug), DB_TEXT(slug)};
	if (db_query(context->db, &reindex_tenants, params, 2, reindex_collect_tenant, &tenants) != DB_OK) {
		admin_report_db_error(context, "listing tenants");
		free(tenants.items);
		return ADMIN_EXIT_FAILURE;
	}
	if (slug[0] != '\0' && tenants.count == 0) {
		fprintf(stderr, "intuka-admin: no tenant \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	int status = ADMIN_EXIT_OK;
	static const enum find_entity_kind kinds[] = {FIND_PRODUCT, FIND_POST};
	for (size_t t = 0; t < tenants.count && status == ADMIN_EXIT_OK; t++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			struct timespec started;
			clock_gettime(CLOCK_MONOTONIC, &started);
			struct find_index_rebuild_report report;
			if (find_index_rebuild(context->db, tenants.items[t].tenant_id, kinds[k], &report) != DB_OK) {
				admin_report_db_error(context, "rebuilding the search index");
				status = ADMIN_EXIT_FAILURE;
				break;
			}
			if (report.documents == 0 && report.unnumbered == 0)
				continue;
			printf("%s %s: %llu documents, %llu terms, %llu buckets in %.1fs\n", tenants.items[t].slug,
				find_entity_plural(kinds[k]), (unsigned long long)report.documents, (unsigned long long)report.terms,
				(unsigned long long)report.buckets, reindex_seconds(&started));
			if (report.unnumbered > 0)
				fprintf(stderr, "intuka-admin: %s: %llu %s have no search number (run migrate first); left out\n",
					tenants.items[t].slug, (unsigned long long)report.unnumbered, find_entity_plural(kinds[k]));
		}
	}
	free(tenants.items);
	return status;
}

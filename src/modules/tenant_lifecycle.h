/* The life of a tenant as the installation's operator sees it: lookup,
 * suspension and reactivation, export of every row it owns (one JSON-lines
 * file per table) and deletion (export first, then erase every row, reported
 * per table). Shared by the operator API and intuka-admin; it holds no
 * routes. Every change is written to the audit log twice, in the tenant's
 * own log (its admins see what happened to it) and in the operator's log
 * (tenant 0), with who, what, before and after. */
#ifndef INTUKA_MODULES_TENANT_LIFECYCLE_H
#define INTUKA_MODULES_TENANT_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "core/identifiers.h"
#include "db/db.h"

#define TENANT_NAME_MAX 200
#define TENANT_REASON_MAX 200

/* Who changes a tenant: never a tenant's user. */
struct tenant_actor {
	const char *who;            /* "operator" (the API's operator key) or "intuka-admin (<login>)" */
	const char *client_address; /* "" from the shell */
	const char *request_id;     /* "" from the shell */
};

struct tenant_summary {
	uint64_t tenant_id;
	char slug[IDENTIFIER_SLUG_MAX + 1];
	char name[TENANT_NAME_MAX + 1];
	char status[16]; /* "active" or "suspended" */
	char status_reason[TENANT_REASON_MAX + 1];
	char created_at[40];
	char status_changed_at[40]; /* "" when never changed */
};

/* By id (slug NULL) or by slug (tenant_id 0). *found is 0 when there is
 * none. Returns a db_result. */
int tenant_lifecycle_find(struct db *db, uint64_t tenant_id, const char *slug, struct tenant_summary *out, int *found);

/* Inside the caller's transaction: a new active tenant with its four
 * built-in roles (auth/rbac.c), audited as tenant.create in both logs.
 * created is filled; *admin_profile_id is its Tenant Admin profile;
 * *duplicate is 1 (and nothing made) when the slug is taken. */
int tenant_lifecycle_create(struct db *db, const char *slug, const char *name, const struct tenant_actor *actor,
	struct tenant_summary *created, uint64_t *admin_profile_id, int *duplicate);

/* Sets status ("active" or "suspended") with its reason ("" when none), in
 * its own transaction, and audits it. before and after are filled (before
 * as it was, after as it is now); *found is 0 when no such tenant. Setting
 * the status a tenant already has changes and audits nothing. On failure
 * the transaction may be left open: the request flow (or the caller) rolls
 * it back. */
int tenant_lifecycle_set_status(struct db *db, uint64_t tenant_id, const char *status, const char *reason,
	const struct tenant_actor *actor, struct tenant_summary *before, struct tenant_summary *after, int *found);

/* Writes one operator action on tenant_id to the operator's audit log
 * (tenant 0) and, with in_tenant_log, to the tenant's own log too (not when
 * the tenant is going away). details is JSON text. Returns a db_result. */
int tenant_lifecycle_audit(struct db *db, uint64_t tenant_id, int in_tenant_log, const char *action,
	const struct tenant_actor *actor, const char *details);

/* The tables that hold a tenant's rows (every table with a tenant_id
 * column but tenants itself), in the order they are erased. A unit test
 * reads sql/migrations and fails when one is missing here; deletion also
 * reads the live schema and refuses while it has one this list lacks. */
const char *const *tenant_lifecycle_tables(size_t *count);
/* Index of a table in that list, or -1. */
int tenant_lifecycle_table_index(const char *table);

/* One row as a JSON object: columns by name, NULL as null, integers and
 * floating point as numbers, DECIMAL and text as strings, bytes as
 * lower-case hex. The caller owns it. */
json_object *tenant_lifecycle_row_json(const struct db_row *row);

/* Where an export goes, table by table. Each returns 0 or -1 (stop). */
struct tenant_export_sink {
	int (*begin_table)(void *sink_context, const char *table);
	int (*row)(void *sink_context, const char *table, json_object *row);
	int (*end_table)(void *sink_context, const char *table, uint64_t rows);
	void *sink_context;
};

/* Every row of one table of the tenant (locked: shared locks held until
 * the caller's transaction ends, so nothing joins the tenant's rows
 * meanwhile). *rows counts what went to the sink; *sink_failed is set when
 * the sink refused. Returns a db_result. */
int tenant_lifecycle_export_table(struct db *db, uint64_t tenant_id, size_t table_index, int locked,
	const struct tenant_export_sink *sink, uint64_t *rows, int *sink_failed);

/* How many rows one table holds of the tenant. Returns a db_result. */
int tenant_lifecycle_count_table(struct db *db, uint64_t tenant_id, size_t table_index, uint64_t *rows);

/* JSON-lines files in a directory: <directory>/<table>.jsonl, created
 * exclusively with mode 0600 and synced to disk when the table ends. The
 * directory is created (0700) when missing. */
struct tenant_file_sink {
	char directory[1024];
	int fd;
	char error[256]; /* why the last call failed */
};
int tenant_file_sink_open(struct tenant_file_sink *files, const char *directory, struct tenant_export_sink *sink);

/* Every table of the tenant to sink, from one consistent snapshot (its own
 * transaction), then audited as tenant.export with the row counts in both
 * logs. rows[] gets each table's count (tenant_lifecycle_tables order).
 * Returns a db_result; *sink_failed when the sink refused (nothing more was
 * written, nothing audited). */
int tenant_lifecycle_export(struct db *db, uint64_t tenant_id, const struct tenant_actor *actor,
	const struct tenant_export_sink *sink, uint64_t rows[64], int *sink_failed);

enum tenant_delete_outcome {
	TENANT_DELETE_OK,
	TENANT_DELETE_NOT_FOUND,
	TENANT_DELETE_NOT_SUSPENDED,  /* suspend first: no request may write meanwhile */
	TENANT_DELETE_UNKNOWN_TABLE,  /* the schema has a tenant table this build does not list */
	TENANT_DELETE_EXPORT_FAILED,  /* the sink refused; nothing was erased */
	TENANT_DELETE_DB_FAILED,      /* see *result; nothing was erased */
};

struct tenant_delete_report {
	struct tenant_summary before;
	size_t table_count;
	uint64_t exported[64];
	uint64_t deleted[64];
	char unknown_table[65];
};

/* Exports every table of a suspended tenant to sink, then erases its rows
 * in every table and the tenant itself, in one transaction, and audits it
 * in the operator's log. Returns what happened; on TENANT_DELETE_DB_FAILED
 * *result holds the db_result. */
enum tenant_delete_outcome tenant_lifecycle_delete(struct db *db, uint64_t tenant_id, const struct tenant_actor *actor,
	const struct tenant_export_sink *sink, struct tenant_delete_report *report, int *result);

extern const struct statement_table tenant_lifecycle_statement_table;
extern const struct statement_table tenant_tables_statement_table;

#endif

/* The life of a tenant as the installation's operator sees it: lookup,
 * suspension and reactivation. Shared by the operator API and
 * intuka-admin; it holds no routes. Every change is written to the audit
 * log twice, in the tenant's own log (its admins see what happened to it)
 * and in the operator's log (tenant 0), with who, what, before and after. */
#ifndef INTUKA_MODULES_TENANT_LIFECYCLE_H
#define INTUKA_MODULES_TENANT_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

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

/* Sets status ("active" or "suspended") with its reason ("" when none), in
 * its own transaction, and audits it. before and after are filled (before
 * as it was, after as it is now); *found is 0 when no such tenant. Setting
 * the status a tenant already has changes and audits nothing. On failure
 * the transaction may be left open: the request flow (or the caller) rolls
 * it back. */
int tenant_lifecycle_set_status(struct db *db, uint64_t tenant_id, const char *status, const char *reason,
	const struct tenant_actor *actor, struct tenant_summary *before, struct tenant_summary *after, int *found);

/* Writes one operator action to the tenant's audit log (when tenant_id is
 * not 0 and the tenant still exists) and to the operator's (tenant 0).
 * details is JSON text. Returns a db_result. */
int tenant_lifecycle_audit(struct db *db, uint64_t tenant_id, const char *action, const struct tenant_actor *actor,
	const char *details);

extern const struct statement_table tenant_lifecycle_statement_table;

#endif

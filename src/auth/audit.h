/* Audit trail: security-relevant events (logins, token reuse, password and
 * user/profile changes) written to the tenant-partitioned audit_log. */
#ifndef INTUKA_AUTH_AUDIT_H
#define INTUKA_AUTH_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_statement_def;

struct audit_event {
	uint64_t tenant_id;
	uint64_t actor_user_id; /* 0 when nobody is authenticated */
	const char *action;     /* "auth.login", "user.update", ... */
	const char *outcome;    /* "success" | "failure" | "denied" */
	const char *target_type;
	const char *target_id;
	const char *client_address;
	const char *request_id;
	const char *details;    /* short text, never a secret */
};

/* Returns a db_result; callers inside a transaction roll back on failure. */
int audit_record(struct db *db, const struct audit_event *event);
const struct db_statement_def *audit_statement_table(size_t *count);

#endif

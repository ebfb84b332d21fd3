/* Callers served from a worker's cache. A worker keeps the API keys
 * (auth/key_principal.h) and the JWT sessions (auth/principal.h) it found
 * valid. On a route that allows it (route.principal_cache), a request may
 * take its caller from that cache, provisionally: before its answer leaves,
 * the caller's row is read again, cheaply, as an extra column of a statement
 * the handler sends anyway (KEY_PRINCIPAL_CONFIRM_COLUMN,
 * PRINCIPAL_CONFIRM_COLUMN) or, when none carried it, alone; a row that
 * changed (a revoked key or session, a rotated key, a deactivated user, a
 * changed profile, a suspended tenant, a new plan) sends the request round
 * again from a fresh lookup. A revocation thus takes effect on the next
 * request, as without the cache. */
#ifndef INTUKA_AUTH_PRINCIPAL_CONFIRM_H
#define INTUKA_AUTH_PRINCIPAL_CONFIRM_H

#include <stddef.h>

struct auth_context;
struct db;
struct db_param;
struct db_statement_def;

/* Fingerprints are SHA-256 in hex. */
#define PRINCIPAL_FINGERPRINT_CHARS 64

/* A confirmation column's value (NULL: the caller's row is gone): the
 * caller stands when it equals the cached fingerprint. Later values of the
 * same request change nothing. */
void principal_confirm_read(struct auth_context *auth, const char *value, size_t length);
/* Runs statement (one row, one column: the fingerprint now) and reads it;
 * no row counts as changed. Returns a db_result. */
int principal_confirm_by(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, struct auth_context *auth);
/* Confirms a cached caller of either kind with a read of its own (when no
 * statement of the request carried the column). Returns a db_result. */
int principal_confirm_now(struct db *db, struct auth_context *auth);
/* Before something that cannot be taken back (a stream, a call to another
 * service): 1 when the caller stands now (looked up in this request, or
 * confirmed, by a read here if need be), 0 when it changed or the read
 * failed (the pipeline then answers from a fresh lookup, or 503). */
int principal_stands_now(struct db *db, struct auth_context *auth);

#endif

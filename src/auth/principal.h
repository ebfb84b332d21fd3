/* The principal behind a verified access token, read fresh on every
 * request in one query: the user must be active, the tenant active and the
 * session not revoked, and the profile's current permissions apply (so a
 * profile change takes effect on the next request, not the next login).
 * The tenant's suspension is read in that same row as the session's
 * revocation: whatever keeps a principal between requests must keep
 * reading that row (or an epoch that suspension moves too), so a suspended
 * tenant is refused on the very next request. */
#ifndef INTUKA_AUTH_PRINCIPAL_H
#define INTUKA_AUTH_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct auth_context;
struct db;
struct db_statement_def;

enum principal_outcome {
	PRINCIPAL_OK,
	PRINCIPAL_GONE,             /* session revoked or expired, user deactivated: 401 */
	PRINCIPAL_TENANT_SUSPENDED, /* a live session of an active user, but the tenant is suspended: 403 */
	PRINCIPAL_DB_UNAVAILABLE,
	PRINCIPAL_DB_ERROR,
};

enum principal_outcome principal_load(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth);
const struct db_statement_def *principal_statement_table(size_t *count);

#endif

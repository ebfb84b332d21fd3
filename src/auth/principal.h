/* The principal behind a verified access token, read on every request in
 * one query: the user must be active, the tenant active and the session not
 * revoked, and the profile's current permissions apply (so a profile change
 * takes effect on the next request, not the next login). The tenant's
 * suspension is read in that same row as the session's revocation. A worker
 * may keep a principal between requests (auth/principal_confirm.h), but then
 * reads that row again within the request, as a fingerprint, so a change of
 * any of it is seen on the very next request. */
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

/* Sessions this worker found valid are kept (auth/principal_confirm.h). */

/* Everything principal_load reads, hashed (JSON_ARRAY quotes each member).
 * The session's liveness is part of it, so an expiry changes it too. */
#define PRINCIPAL_FINGERPRINT                                                                                     \
	"SHA2(JSON_ARRAY(t.slug, t.status, u.email, u.display_name, u.status, p.profile_id, p.name, p.permissions,"  \
	" p.version, s.revoked_at IS NULL AND s.expires_at > NOW(3)), 256)"
#define PRINCIPAL_FROM                                                                                            \
	"FROM users u "                                                                                           \
	"JOIN tenants t ON t.tenant_id = u.tenant_id "                                                            \
	"JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id "                           \
	"JOIN sessions s ON s.tenant_id = u.tenant_id AND s.session_id = ? AND s.user_id = u.user_id "           \
	"WHERE u.tenant_id = ? AND u.user_id = ?"
/* A scalar column of a cached session's fingerprint now (NULL when gone);
 * bind its PRINCIPAL_CONFIRM_PARAMS parameters with principal_confirm_bind. */
#define PRINCIPAL_CONFIRM_COLUMN "(SELECT " PRINCIPAL_FINGERPRINT " " PRINCIPAL_FROM ")"
#define PRINCIPAL_CONFIRM_PARAMS 3

struct db_param;

/* The session from this worker's cache, when it holds it valid: fills auth
 * as principal_load would, marked unconfirmed. PRINCIPAL_OK, or
 * PRINCIPAL_GONE when the caller must look it up. */
enum principal_outcome principal_cached(uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth);
void principal_confirm_bind(const struct auth_context *auth, struct db_param *params);
/* Reads the session's fingerprint alone, for a request no statement confirmed. */
int principal_confirm_session(struct db *db, struct auth_context *auth);
void principal_forget(uint64_t tenant_id, uint64_t user_id, uint64_t session_id);

#endif

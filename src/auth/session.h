/* Login sessions and their refresh tokens. A session is one login; its
 * refresh tokens form a family. Each refresh token works once: exchanging
 * it retires it and issues the next. Presenting a retired token means it was
 * copied, so the whole session is revoked. */
#ifndef INTUKA_AUTH_SESSION_H
#define INTUKA_AUTH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "auth/secret_token.h"

struct db;
struct db_statement_def;

#define SESSION_REFRESH_PREFIX "rt1"

enum session_outcome {
	SESSION_OK,
	SESSION_INVALID, /* unknown, malformed or expired token; revoked session */
	SESSION_REUSED,  /* retired token presented again: session revoked */
	SESSION_TENANT_SUSPENDED, /* a live token of a suspended tenant: kept as it is, 403 */
	SESSION_DB_ERROR,
};

struct session_grant {
	uint64_t session_id;
	uint64_t user_id;
	char refresh_token[SECRET_TOKEN_TEXT_MAX];
};

/* Inside the caller's transaction: create a session and its first token. */
int session_start(struct db *db, uint64_t tenant_id, uint64_t user_id, uint32_t ttl_s, const char *client_address,
	struct session_grant *grant);
/* Exchange a refresh token (runs its own transaction). */
enum session_outcome session_rotate(struct db *db, const char *presented_token, uint32_t ttl_s,
	uint64_t *tenant_id, struct session_grant *grant);
/* Revoke one session, or every session of a user but keep_session_id (0 = none). */
int session_revoke(struct db *db, uint64_t tenant_id, uint64_t session_id, const char *reason);
int session_revoke_user(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t keep_session_id,
	const char *reason, uint64_t *revoked_count);
const struct db_statement_def *session_statement_table(size_t *count);

#endif

/* Login sessions and their refresh tokens. A session is one login; its
 * refresh tokens form a family. Each refresh token works once: exchanging
 * it retires it and issues the next pair. Presenting a retired token again
 * within a short grace window (two tabs refreshing together) answers the
 * same pair its first exchange made; after the window it means the token
 * was copied, and the whole session is revoked. */
#ifndef INTUKA_AUTH_SESSION_H
#define INTUKA_AUTH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "auth/secret_token.h"

struct db;
struct db_statement_def;

#define SESSION_REFRESH_PREFIX "rt1"
/* What a session keeps of the login's User-Agent (printable ASCII). */
#define SESSION_DEVICE_MAX 255
/* The sessions of one user a list shows, newest use first. */
#define SESSION_LIST_MAX 100

enum session_outcome {
	SESSION_OK,
	SESSION_REPLAYED, /* a token retired within the grace window: the pair of its first exchange again */
	SESSION_INVALID,  /* unknown, malformed or expired token; revoked session; the signer refused */
	SESSION_REUSED,   /* retired token presented after the grace window: session revoked */
	SESSION_TENANT_SUSPENDED, /* a live token of a suspended tenant: kept as it is, 403 */
	SESSION_DB_ERROR,
};

struct session_grant {
	uint64_t session_id;
	uint64_t user_id;
	char refresh_token[SECRET_TOKEN_TEXT_MAX];
};

/* A new token pair, as the client receives it. */
struct session_pair {
	uint64_t session_id;
	uint64_t user_id;
	char access_token[JWT_TOKEN_MAX + 1];
	int64_t access_expires_at_s;
	char refresh_token[SECRET_TOKEN_TEXT_MAX];
};

/* Signs the access token of a new pair (inside the exchange's transaction,
 * so it may read the database): fills access_token and
 * access_expires_at_s. 0, or -1 to abandon the exchange (nothing changes;
 * the outcome is SESSION_INVALID). */
typedef int (*session_sign_access)(void *signer_context, uint64_t tenant_id, struct session_pair *pair);

/* Inside the caller's transaction: create a session and its first token.
 * device is the client's User-Agent (NULL for none); it is kept as
 * printable ASCII, at most SESSION_DEVICE_MAX bytes. */
int session_start(struct db *db, uint64_t tenant_id, uint64_t user_id, uint32_t ttl_s, const char *client_address,
	const char *device, struct session_grant *grant);
/* Exchange a refresh token (runs its own transaction). grace_s is how long
 * a retired token still answers the pair it was exchanged for (0: never). */
enum session_outcome session_rotate(struct db *db, const char *presented_token, uint32_t ttl_s, uint32_t grace_s,
	session_sign_access sign, void *signer_context, uint64_t *tenant_id, struct session_pair *pair);
/* Revoke one session, or every session of a user but keep_session_id (0 = none). */
int session_revoke(struct db *db, uint64_t tenant_id, uint64_t session_id, const char *reason);
int session_revoke_user(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t keep_session_id,
	const char *reason, uint64_t *revoked_count);
/* Revoke session_id only if it is a live session of user_id; *revoked is 0
 * when it is not (another user's, unknown, already ended). */
int session_revoke_own(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id, const char *reason,
	uint64_t *revoked);

struct session_info {
	uint64_t session_id;
	const char *device;
	const char *client_address;
	const char *created_at;   /* RFC 3339 UTC */
	const char *last_used_at; /* login or the last refresh */
	const char *expires_at;
};
/* The user's live sessions, most recently used first, at most
 * SESSION_LIST_MAX; on_session is called once per session (strings valid
 * during the call). Returns a db_result. */
int session_list(struct db *db, uint64_t tenant_id, uint64_t user_id,
	void (*on_session)(void *callback_context, const struct session_info *session), void *callback_context);

/* The grace rule, on its own: a retired token presented again is replayed
 * when it was retired less than grace_s ago and its successor was kept. */
int session_reuse_is_replay(int retired_within_grace, int has_successor);

/* The pair a retired token was exchanged for, sealed with a key only that
 * token's text gives (AES-256-GCM, the key an HMAC of the token): the
 * database alone cannot open it. bound_to (the token's hash) is
 * authenticated with it. *sealed_length is set; 0, or -1. */
#define SESSION_SEALED_MAX 2048
int session_seal_successor(const char *presented_token, const unsigned char *bound_to, size_t bound_to_length,
	const struct session_pair *pair, unsigned char *sealed, size_t *sealed_length);
/* 0 with pair's tokens and expiry filled, or -1 when it does not open. */
int session_open_successor(const char *presented_token, const unsigned char *bound_to, size_t bound_to_length,
	const unsigned char *sealed, size_t sealed_length, struct session_pair *pair);

const struct db_statement_def *session_statement_table(size_t *count);

#endif

/* Who a request with an API key speaks for: the key found by its hash, its
 * tenant, kind, permissions and allowed origins. Keys open the find API; a
 * key made without scopes holds all of its permissions. */
#ifndef INTUKA_AUTH_KEY_PRINCIPAL_H
#define INTUKA_AUTH_KEY_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct auth_context;
struct db;
struct db_statement_def;

enum key_principal_outcome {
	KEY_PRINCIPAL_OK,
	KEY_PRINCIPAL_UNKNOWN, /* no such key, or revoked */
	KEY_PRINCIPAL_EXPIRED,
	KEY_PRINCIPAL_TENANT_SUSPENDED, /* a genuine key of a suspended tenant: 403 */
	KEY_PRINCIPAL_DB_UNAVAILABLE,
	KEY_PRINCIPAL_DB_ERROR,
};

/* Permissions a key holds when it names no scopes. */
#define KEY_SECRET_PERMISSIONS "find.manage find.provision find.view"
#define KEY_PUBLISHABLE_PERMISSIONS "find.view"

/* Verify an "if_sk_"/"if_pk_" key and fill auth (tenant, key id, kind,
 * permissions, allowed origins). The key's last_used_at is stamped at most
 * once a minute. The tenant's status comes in the same row as the key, read
 * on every request. */
enum key_principal_outcome key_principal_load(struct db *db, const char *key, int64_t now_s, struct arena *arena,
	struct auth_context *auth);
const struct db_statement_def *key_principal_statement_table(size_t *count);

#endif

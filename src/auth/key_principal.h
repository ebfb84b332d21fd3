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

/* Keys this worker found valid are kept by hash (auth/principal_confirm.h). */

/* Everything a lookup reads of the key, its tenant, its plan and its model
 * provider, except the last-used stamp, hashed: equal fingerprints, the same principal. JSON_ARRAY
 * quotes every member, so no two rows run together into the same text. */
#define KEY_PRINCIPAL_FINGERPRINT                                                                               \
	"SHA2(JSON_ARRAY(k.tenant_id, t.slug, t.status, k.key_id, HEX(k.key_hash), k.key_type, k.scopes,"          \
	" k.allowed_origins, UNIX_TIMESTAMP(k.expires_at), k.revoked_at IS NOT NULL,"                              \
	" (SELECT UNIX_TIMESTAMP(p.updated_at) FROM find_tenant_plans p WHERE p.tenant_id = k.tenant_id),"        \
	" (SELECT UNIX_TIMESTAMP(l.updated_at) FROM find_llm_providers l WHERE l.tenant_id = k.tenant_id)), 256)"
/* A scalar column of a cached key's fingerprint now (NULL when the key or
 * its tenant is gone); bind its KEY_PRINCIPAL_CONFIRM_PARAMS parameters with
 * key_principal_confirm_bind. */
#define KEY_PRINCIPAL_CONFIRM_COLUMN                                                                            \
	"(SELECT " KEY_PRINCIPAL_FINGERPRINT " FROM find_api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id"    \
	" WHERE k.tenant_id = ? AND k.key_id = ?)"
#define KEY_PRINCIPAL_CONFIRM_PARAMS 2

struct db_param;

/* The key from this worker's cache, when it holds it valid and its
 * last-used stamp is recent: fills auth as key_principal_load would, marked
 * unconfirmed. Returns KEY_PRINCIPAL_OK, or KEY_PRINCIPAL_UNKNOWN when the
 * caller must look the key up. */
enum key_principal_outcome key_principal_cached(const char *key, int64_t now_s, struct arena *arena,
	struct auth_context *auth);
void key_principal_confirm_bind(const struct auth_context *auth, struct db_param *params);
/* Reads the key's fingerprint alone, for a request no statement confirmed. */
int key_principal_confirm(struct db *db, struct auth_context *auth);
/* Drops key from this worker's cache. */
void key_principal_forget(const char *key);

#endif

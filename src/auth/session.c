/* Session and refresh-token storage. */
#include "auth/session.h"
#include "db/db.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_SEAL_NONCE_BYTES 12
#define SESSION_SEAL_TAG_BYTES 16
/* Domain separation: the sealing key is not the token's stored hash. */
#define SESSION_SEAL_KEY_LABEL "intuka refresh successor v1"

#define SESSION_TIME(column) "DATE_FORMAT(" column ", '%Y-%m-%dT%H:%i:%s.%fZ')"

enum session_statement {
	SESSION_STMT_INSERT,
	SESSION_STMT_INSERT_TOKEN,
	SESSION_STMT_FIND_TOKEN,
	SESSION_STMT_RETIRE_TOKEN,
	SESSION_STMT_TOUCH,
	SESSION_STMT_REVOKE,
	SESSION_STMT_REVOKE_USER,
	SESSION_STMT_REVOKE_OWN,
	SESSION_STMT_LIST,
	SESSION_STMT__MAX
};

static const struct db_statement_def session_statements[SESSION_STMT__MAX] = {
	[SESSION_STMT_INSERT] = {.name = "session.insert",
		.sql = "INSERT INTO sessions (tenant_id, user_id, expires_at, client_address, user_agent, last_used_at) "
		"VALUES (?, ?, NOW(3) + INTERVAL ? SECOND, ?, ?, NOW(3))",
		.tenant_bound = 1},
	[SESSION_STMT_INSERT_TOKEN] = {.name = "session.insert_token",
		.sql = "INSERT INTO refresh_tokens (tenant_id, token_hash, session_id, user_id, expires_at) "
		"VALUES (?, ?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
		.tenant_bound = 1},
	/* Locks the token row so two concurrent exchanges cannot both win: the
	 * second waits for the first and then finds the token retired, inside
	 * the grace window, with the pair the first one made. */
	[SESSION_STMT_FIND_TOKEN] = {.name = "session.find_token",
		.sql = "SELECT r.session_id, r.user_id, r.retired_at IS NOT NULL, r.expires_at > NOW(3), "
		"s.revoked_at IS NULL AND s.expires_at > NOW(3), t.status = 'active', "
		"r.retired_at IS NOT NULL AND r.retired_at > NOW(3) - INTERVAL ? SECOND, r.successor_sealed "
		"FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.session_id = r.session_id "
		"JOIN tenants t ON t.tenant_id = r.tenant_id "
		"WHERE r.tenant_id = ? AND r.token_hash = ? FOR UPDATE",
		.tenant_bound = 1},
	[SESSION_STMT_RETIRE_TOKEN] = {.name = "session.retire_token",
		.sql = "UPDATE refresh_tokens SET retired_at = NOW(3), successor_sealed = ? "
		"WHERE tenant_id = ? AND token_hash = ? AND retired_at IS NULL",
		.tenant_bound = 1},
	[SESSION_STMT_TOUCH] = {.name = "session.touch",
		.sql = "UPDATE sessions SET last_used_at = NOW(3) WHERE tenant_id = ? AND session_id = ?",
		.tenant_bound = 1},
	[SESSION_STMT_REVOKE] = {.name = "session.revoke",
		.sql = "UPDATE sessions SET revoked_at = NOW(3), revoke_reason = ? "
		"WHERE tenant_id = ? AND session_id = ? AND revoked_at IS NULL",
		.tenant_bound = 1},
	[SESSION_STMT_REVOKE_USER] = {.name = "session.revoke_user",
		.sql = "UPDATE sessions SET revoked_at = NOW(3), revoke_reason = ? "
		"WHERE tenant_id = ? AND user_id = ? AND session_id <> ? AND revoked_at IS NULL",
		.tenant_bound = 1},
	[SESSION_STMT_REVOKE_OWN] = {.name = "session.revoke_own",
		.sql = "UPDATE sessions SET revoked_at = NOW(3), revoke_reason = ? "
		"WHERE tenant_id = ? AND session_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > NOW(3)",
		.tenant_bound = 1},
	[SESSION_STMT_LIST] = {.name = "session.list",
		.sql = "SELECT session_id, user_agent, client_address, " SESSION_TIME("created_at") ", "
		SESSION_TIME("IFNULL(last_used_at, created_at)") ", " SESSION_TIME("expires_at") " "
		"FROM sessions WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > NOW(3) "
		"ORDER BY IFNULL(last_used_at, created_at) DESC, session_id DESC LIMIT 100",
		.tenant_bound = 1},
};

_Static_assert(SESSION_LIST_MAX == 100, "session.list's LIMIT says SESSION_LIST_MAX");

const struct db_statement_def *session_statement_table(size_t *count)
{
	*count = SESSION_STMT__MAX;
	return session_statements;
}

/* ---- sealing a retired token's successor ------------------------------- */

static int session_seal_key(const char *presented_token, unsigned char key[32])
{
	unsigned int length = 0;
	return HMAC(EVP_sha256(), SESSION_SEAL_KEY_LABEL, (int)strlen(SESSION_SEAL_KEY_LABEL),
		       (const unsigned char *)presented_token, strlen(presented_token), key, &length) != NULL &&
			       length == 32
		? 0
		: -1;
}

/* "<expires>\n<refresh token>\n<access token>" */
int session_seal_successor(const char *presented_token, const unsigned char *bound_to, size_t bound_to_length,
	const struct session_pair *pair, unsigned char *sealed, size_t *sealed_length)
{
	char plain[SESSION_SEALED_MAX];
	int plain_length = snprintf(plain, sizeof(plain), "%lld\n%s\n%s", (long long)pair->access_expires_at_s,
		pair->refresh_token, pair->access_token);
	if (plain_length < 0 ||
		(size_t)plain_length + SESSION_SEAL_NONCE_BYTES + SESSION_SEAL_TAG_BYTES > SESSION_SEALED_MAX)
		return -1;
	unsigned char key[32];
	if (session_seal_key(presented_token, key) != 0 || RAND_bytes(sealed, SESSION_SEAL_NONCE_BYTES) != 1)
		return -1;
	int result = -1, written = 0, final_written = 0;
	EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new();
	if (cipher != NULL && EVP_EncryptInit_ex(cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_IVLEN, SESSION_SEAL_NONCE_BYTES, NULL) == 1 &&
		EVP_EncryptInit_ex(cipher, NULL, NULL, key, sealed) == 1 &&
		EVP_EncryptUpdate(cipher, NULL, &written, bound_to, (int)bound_to_length) == 1 &&
		EVP_EncryptUpdate(cipher, sealed + SESSION_SEAL_NONCE_BYTES, &written, (const unsigned char *)plain,
			plain_length) == 1 &&
		EVP_EncryptFinal_ex(cipher, sealed + SESSION_SEAL_NONCE_BYTES + written, &final_written) == 1 &&
		EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, SESSION_SEAL_TAG_BYTES,
			sealed + SESSION_SEAL_NONCE_BYTES + written + final_written) == 1) {
		*sealed_length = SESSION_SEAL_NONCE_BYTES + (size_t)written + (size_t)final_written + SESSION_SEAL_TAG_BYTES;
		result = 0;
	}
	EVP_CIPHER_CTX_free(cipher);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	return result;
}

int session_open_successor(const char *presented_token, const unsigned char *bound_to, size_t bound_to_length,
	const unsigned char *sealed, size_t sealed_length, struct session_pair *pair)
{
	if (sealed_length <= SESSION_SEAL_NONCE_BYTES + SESSION_SEAL_TAG_BYTES || sealed_length > SESSION_SEALED_MAX)
		return -1;
	unsigned char key[32];
	if (session_seal_key(presented_token, key) != 0)
		return -1;
	size_t cipher_length = sealed_length - SESSION_SEAL_NONCE_BYTES - SESSION_SEAL_TAG_BYTES;
	char plain[SESSION_SEALED_MAX + 1];
	int result = -1, written = 0, final_written = 0;
	EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new();
	if (cipher != NULL && EVP_DecryptInit_ex(cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_IVLEN, SESSION_SEAL_NONCE_BYTES, NULL) == 1 &&
		EVP_DecryptInit_ex(cipher, NULL, NULL, key, sealed) == 1 &&
		EVP_DecryptUpdate(cipher, NULL, &written, bound_to, (int)bound_to_length) == 1 &&
		EVP_DecryptUpdate(cipher, (unsigned char *)plain, &written, sealed + SESSION_SEAL_NONCE_BYTES,
			(int)cipher_length) == 1 &&
		EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, SESSION_SEAL_TAG_BYTES,
			(void *)(sealed + sealed_length - SESSION_SEAL_TAG_BYTES)) == 1 &&
		EVP_DecryptFinal_ex(cipher, (unsigned char *)plain + written, &final_written) == 1) {
		plain[written + final_written] = '\0';
		char *refresh = strchr(plain, '\n');
		char *access = refresh ? strchr(refresh + 1, '\n') : NULL;
		if (access != NULL) {
			*refresh++ = '\0';
			*access++ = '\0';
			char *end = NULL;
			long long expires = strtoll(plain, &end, 10);
			if (end != plain && *end == '\0' && strlen(refresh) < sizeof(pair->refresh_token) &&
				strlen(access) < sizeof(pair->access_token)) {
				pair->access_expires_at_s = expires;
				snprintf(pair->refresh_token, sizeof(pair->refresh_token), "%s", refresh);
				snprintf(pair->access_token, sizeof(pair->access_token), "%s", access);
				result = 0;
			}
		}
	}
	EVP_CIPHER_CTX_free(cipher);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	return result;
}

int session_reuse_is_replay(int retired_within_grace, int has_successor)
{
	return retired_within_grace && has_successor;
}

/* ---- sessions ----------------------------------------------------------- */

static int session_issue_token(struct db *db, uint64_t tenant_id, uint64_t session_id, uint64_t user_id,
	uint32_t ttl_s, char *token_out, size_t token_size)
{
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(SESSION_REFRESH_PREFIX, tenant_id, token_out, token_size, hash) != 0)
		return DB_ERROR;
	struct db_param params[] = {DB_UINT(tenant_id), DB_BLOB(hash, sizeof(hash)), DB_UINT(session_id),
		DB_UINT(user_id), DB_INT(ttl_s)};
	return db_exec(db, &session_statements[SESSION_STMT_INSERT_TOKEN], params, 5, NULL, NULL);
}

/* Printable ASCII only: a header's bytes need not be UTF-8, and the column is text. */
static void session_device_text(const char *device, char *out, size_t out_size)
{
	size_t used = 0;
	for (const char *p = device ? device : ""; *p != '\0' && used + 1 < out_size; p++)
		out[used++] = (*p >= 0x20 && *p <= 0x7e) ? *p : '?';
	out[used] = '\0';
}

int session_start(struct db *db, uint64_t tenant_id, uint64_t user_id, uint32_t ttl_s, const char *client_address,
	const char *device, struct session_grant *grant)
{
	const char *address = client_address ? client_address : "";
	size_t address_length = strlen(address);
	char device_text[SESSION_DEVICE_MAX + 1];
	session_device_text(device, device_text, sizeof(device_text));
	struct db_param params[] = {DB_UINT(tenant_id), DB_UINT(user_id), DB_INT(ttl_s),
		DB_TEXTN(address, address_length > 64 ? 64 : address_length), DB_TEXT(device_text)};
	uint64_t session_id = 0;
	int result = db_exec(db, &session_statements[SESSION_STMT_INSERT], params, 5, NULL, &session_id);
	if (result != DB_OK)
		return result;
	grant->session_id = session_id;
	grant->user_id = user_id;
	return session_issue_token(db, tenant_id, session_id, user_id, ttl_s, grant->refresh_token,
		sizeof(grant->refresh_token));
}

struct session_token_row {
	int found;
	uint64_t session_id;
	uint64_t user_id;
	int retired;
	int token_live;
	int session_live;
	int tenant_active;
	int retired_within_grace;
	unsigned char successor[SESSION_SEALED_MAX];
	size_t successor_length;
};

static int session_read_token(void *callback_context, const struct db_row *row)
{
	struct session_token_row *out = callback_context;
	if (row->column_count != 8)
		return 0;
	out->found = 1;
	out->session_id = strtoull(row->values[0], NULL, 10);
	out->user_id = strtoull(row->values[1], NULL, 10);
	out->retired = row->values[2] && row->values[2][0] == '1';
	out->token_live = row->values[3] && row->values[3][0] == '1';
	out->session_live = row->values[4] && row->values[4][0] == '1';
	out->tenant_active = row->values[5] && row->values[5][0] == '1';
	out->retired_within_grace = row->values[6] && row->values[6][0] == '1';
	if (row->values[7] != NULL && row->lengths[7] <= sizeof(out->successor)) {
		memcpy(out->successor, row->values[7], row->lengths[7]);
		out->successor_length = row->lengths[7];
	}
	return 0;
}

enum session_outcome session_rotate(struct db *db, const char *presented_token, uint32_t ttl_s, uint32_t grace_s,
	session_sign_access sign, void *signer_context, uint64_t *tenant_id, struct session_pair *pair)
{
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_parse(SESSION_REFRESH_PREFIX, presented_token, tenant_id, hash) != 0)
		return SESSION_INVALID;
	if (db_begin(db) != DB_OK)
		return SESSION_DB_ERROR;
	struct db_param find[] = {DB_INT(grace_s), DB_UINT(*tenant_id), DB_BLOB(hash, sizeof(hash))};
	struct session_token_row token_row;
	memset(&token_row, 0, sizeof(token_row));
	struct session_token_row *row = &token_row;
	enum session_outcome outcome = SESSION_DB_ERROR;
	if (db_query(db, &session_statements[SESSION_STMT_FIND_TOKEN], find, 3, session_read_token, row) != DB_OK)
		goto failed;
	pair->session_id = row->session_id;
	pair->user_id = row->user_id;
	if (!row->found || !row->session_live || (!row->token_live && !row->retired)) {
		outcome = SESSION_INVALID;
		goto failed;
	}
	if (!row->tenant_active) {
		/* Nothing is retired: the session goes on when the tenant is
		 * reactivated. */
		outcome = SESSION_TENANT_SUSPENDED;
		goto failed;
	}
	if (row->retired) {
		if (session_reuse_is_replay(row->retired_within_grace, row->successor_length > 0) &&
			session_open_successor(presented_token, hash, sizeof(hash), row->successor, row->successor_length,
				pair) == 0) {
			/* Two tabs refreshing together: the late one gets the pair
			 * the first one made, and nothing changes. */
			outcome = db_commit(db) == DB_OK ? SESSION_REPLAYED : SESSION_DB_ERROR;
			goto done;
		}
		/* A retired token came back: someone holds a copy. End the family. */
		struct db_param revoke[] = {DB_TEXT("refresh_reuse"), DB_UINT(*tenant_id), DB_UINT(row->session_id)};
		if (db_exec(db, &session_statements[SESSION_STMT_REVOKE], revoke, 3, NULL, NULL) != DB_OK ||
			db_commit(db) != DB_OK)
			goto failed;
		outcome = SESSION_REUSED;
		goto done;
	}
	if (session_issue_token(db, *tenant_id, row->session_id, row->user_id, ttl_s, pair->refresh_token,
		    sizeof(pair->refresh_token)) != DB_OK)
		goto failed;
	if (sign(signer_context, *tenant_id, pair) != 0) {
		outcome = SESSION_INVALID;
		goto failed;
	}
	unsigned char sealed[SESSION_SEALED_MAX];
	size_t sealed_length = 0;
	if (session_seal_successor(presented_token, hash, sizeof(hash), pair, sealed, &sealed_length) != 0)
		goto failed;
	struct db_param retire[] = {DB_BLOB(sealed, sealed_length), DB_UINT(*tenant_id), DB_BLOB(hash, sizeof(hash))};
	struct db_param touch[] = {DB_UINT(*tenant_id), DB_UINT(row->session_id)};
	if (db_exec(db, &session_statements[SESSION_STMT_RETIRE_TOKEN], retire, 3, NULL, NULL) != DB_OK ||
		db_exec(db, &session_statements[SESSION_STMT_TOUCH], touch, 2, NULL, NULL) != DB_OK ||
		db_commit(db) != DB_OK)
		goto failed;
	outcome = SESSION_OK;
	goto done;
failed:
	db_rollback(db);
done:
	OPENSSL_cleanse(&token_row, sizeof(token_row));
	return outcome;
}

int session_revoke(struct db *db, uint64_t tenant_id, uint64_t session_id, const char *reason)
{
	struct db_param params[] = {DB_TEXT(reason), DB_UINT(tenant_id), DB_UINT(session_id)};
	return db_exec(db, &session_statements[SESSION_STMT_REVOKE], params, 3, NULL, NULL);
}

int session_revoke_user(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t keep_session_id,
	const char *reason, uint64_t *revoked_count)
{
	struct db_param params[] = {DB_TEXT(reason), DB_UINT(tenant_id), DB_UINT(user_id), DB_UINT(keep_session_id)};
	return db_exec(db, &session_statements[SESSION_STMT_REVOKE_USER], params, 4, revoked_count, NULL);
}

int session_revoke_own(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id, const char *reason,
	uint64_t *revoked)
{
	struct db_param params[] = {DB_TEXT(reason), DB_UINT(tenant_id), DB_UINT(session_id), DB_UINT(user_id)};
	*revoked = 0;
	return db_exec(db, &session_statements[SESSION_STMT_REVOKE_OWN], params, 4, revoked, NULL);
}

struct session_list_context {
	void (*on_session)(void *callback_context, const struct session_info *session);
	void *callback_context;
};

static int session_read_listed(void *callback_context, const struct db_row *row)
{
	struct session_list_context *list = callback_context;
	if (row->column_count != 6 || row->values[0] == NULL)
		return 0;
	struct session_info session = {
		.session_id = strtoull(row->values[0], NULL, 10),
		.device = row->values[1] ? row->values[1] : "",
		.client_address = row->values[2] ? row->values[2] : "",
		.created_at = row->values[3] ? row->values[3] : "",
		.last_used_at = row->values[4] ? row->values[4] : "",
		.expires_at = row->values[5] ? row->values[5] : "",
	};
	list->on_session(list->callback_context, &session);
	return 0;
}

int session_list(struct db *db, uint64_t tenant_id, uint64_t user_id,
	void (*on_session)(void *callback_context, const struct session_info *session), void *callback_context)
{
	struct session_list_context list = {.on_session = on_session, .callback_context = callback_context};
	struct db_param params[] = {DB_UINT(tenant_id), DB_UINT(user_id)};
	return db_query(db, &session_statements[SESSION_STMT_LIST], params, 2, session_read_listed, &list);
}

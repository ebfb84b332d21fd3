/* Session and refresh-token storage. */
#include "auth/session.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

enum session_statement {
	SESSION_STMT_INSERT,
	SESSION_STMT_INSERT_TOKEN,
	SESSION_STMT_FIND_TOKEN,
	SESSION_STMT_RETIRE_TOKEN,
	SESSION_STMT_REVOKE,
	SESSION_STMT_REVOKE_USER,
	SESSION_STMT__MAX
};

static const struct db_statement_def session_statements[SESSION_STMT__MAX] = {
	[SESSION_STMT_INSERT] = {.name = "session.insert",
		.sql = "INSERT INTO sessions (tenant_id, user_id, expires_at, client_address) "
		"VALUES (?, ?, NOW(3) + INTERVAL ? SECOND, ?)",
		.tenant_bound = 1},
	[SESSION_STMT_INSERT_TOKEN] = {.name = "session.insert_token",
		.sql = "INSERT INTO refresh_tokens (tenant_id, token_hash, session_id, user_id, expires_at) "
		"VALUES (?, ?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
		.tenant_bound = 1},
	/* Locks the token row so two concurrent exchanges cannot both win. */
	[SESSION_STMT_FIND_TOKEN] = {.name = "session.find_token",
		.sql = "SELECT r.session_id, r.user_id, r.retired_at IS NOT NULL, r.expires_at > NOW(3), "
		"s.revoked_at IS NULL AND s.expires_at > NOW(3), t.status = 'active' "
		"FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.session_id = r.session_id "
		"JOIN tenants t ON t.tenant_id = r.tenant_id "
		"WHERE r.tenant_id = ? AND r.token_hash = ? FOR UPDATE",
		.tenant_bound = 1},
	[SESSION_STMT_RETIRE_TOKEN] = {.name = "session.retire_token",
		.sql = "UPDATE refresh_tokens SET retired_at = NOW(3) WHERE tenant_id = ? AND token_hash = ? AND retired_at IS NULL",
		.tenant_bound = 1},
	[SESSION_STMT_REVOKE] = {.name = "session.revoke",
		.sql = "UPDATE sessions SET revoked_at = NOW(3), revoke_reason = ? "
		"WHERE tenant_id = ? AND session_id = ? AND revoked_at IS NULL",
		.tenant_bound = 1},
	[SESSION_STMT_REVOKE_USER] = {.name = "session.revoke_user",
		.sql = "UPDATE sessions SET revoked_at = NOW(3), revoke_reason = ? "
		"WHERE tenant_id = ? AND user_id = ? AND session_id <> ? AND revoked_at IS NULL",
		.tenant_bound = 1},
};

const struct db_statement_def *session_statement_table(size_t *count)
{
	*count = SESSION_STMT__MAX;
	return session_statements;
}

static int session_issue_token(struct db *db, uint64_t tenant_id, uint64_t session_id, uint64_t user_id,
	uint32_t ttl_s, struct session_grant *grant)
{
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(SESSION_REFRESH_PREFIX, tenant_id, grant->refresh_token, sizeof(grant->refresh_token),
		    hash) != 0)
		return DB_ERROR;
	struct db_param params[] = {DB_UINT(tenant_id), DB_BLOB(hash, sizeof(hash)), DB_UINT(session_id),
		DB_UINT(user_id), DB_INT(ttl_s)};
	grant->session_id = session_id;
	grant->user_id = user_id;
	return db_exec(db, &session_statements[SESSION_STMT_INSERT_TOKEN], params, 5, NULL, NULL);
}

int session_start(struct db *db, uint64_t tenant_id, uint64_t user_id, uint32_t ttl_s, const char *client_address,
	struct session_grant *grant)
{
	const char *address = client_address ? client_address : "";
	size_t address_length = strlen(address);
	struct db_param params[] = {DB_UINT(tenant_id), DB_UINT(user_id), DB_INT(ttl_s),
		DB_TEXTN(address, address_length > 64 ? 64 : address_length)};
	uint64_t session_id = 0;
	int result = db_exec(db, &session_statements[SESSION_STMT_INSERT], params, 4, NULL, &session_id);
	if (result != DB_OK)
		return result;
	return session_issue_token(db, tenant_id, session_id, user_id, ttl_s, grant);
}

struct session_token_row {
	int found;
	uint64_t session_id;
	uint64_t user_id;
	int retired;
	int token_live;
	int session_live;
	int tenant_active;
};

static int session_read_token(void *callback_context, const struct db_row *row)
{
	struct session_token_row *out = callback_context;
	if (row->column_count != 6)
		return 0;
	out->found = 1;
	out->session_id = strtoull(row->values[0], NULL, 10);
	out->user_id = strtoull(row->values[1], NULL, 10);
	out->retired = row->values[2] && row->values[2][0] == '1';
	out->token_live = row->values[3] && row->values[3][0] == '1';
	out->session_live = row->values[4] && row->values[4][0] == '1';
	out->tenant_active = row->values[5] && row->values[5][0] == '1';
	return 0;
}

enum session_outcome session_rotate(struct db *db, const char *presented_token, uint32_t ttl_s,
	uint64_t *tenant_id, struct session_grant *grant)
{
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_parse(SESSION_REFRESH_PREFIX, presented_token, tenant_id, hash) != 0)
		return SESSION_INVALID;
	if (db_begin(db) != DB_OK)
		return SESSION_DB_ERROR;
	struct db_param key[] = {DB_UINT(*tenant_id), DB_BLOB(hash, sizeof(hash))};
	struct session_token_row row = {0};
	if (db_query(db, &session_statements[SESSION_STMT_FIND_TOKEN], key, 2, session_read_token, &row) != DB_OK)
		goto failed;
	if (!row.found || !row.session_live || (!row.token_live && !row.retired)) {
		db_rollback(db);
		return SESSION_INVALID;
	}
	if (!row.tenant_active) {
		/* Nothing is retired: the session goes on when the tenant is
		 * reactivated. */
		db_rollback(db);
		return SESSION_TENANT_SUSPENDED;
	}
	if (row.retired) {
		/* A retired token came back: someone holds a copy. End the family. */
		struct db_param revoke[] = {DB_TEXT("refresh_reuse"), DB_UINT(*tenant_id), DB_UINT(row.session_id)};
		if (db_exec(db, &session_statements[SESSION_STMT_REVOKE], revoke, 3, NULL, NULL) != DB_OK ||
			db_commit(db) != DB_OK)
			goto failed;
		grant->session_id = row.session_id;
		grant->user_id = row.user_id;
		return SESSION_REUSED;
	}
	if (db_exec(db, &session_statements[SESSION_STMT_RETIRE_TOKEN], key, 2, NULL, NULL) != DB_OK ||
		session_issue_token(db, *tenant_id, row.session_id, row.user_id, ttl_s, grant) != DB_OK ||
		db_commit(db) != DB_OK)
		goto failed;
	return SESSION_OK;
failed:
	db_rollback(db);
	return SESSION_DB_ERROR;
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

/* Invitation storage. */
#include "modules/invitation.h"
#include "modules/account_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* accepted, revoked, expired or pending, in that order of precedence. */
#define INVITATION_STATUS_SQL                                                                                     \
	"CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' WHEN i.revoked_at IS NOT NULL THEN 'revoked' "      \
	"WHEN i.expires_at <= NOW(3) THEN 'expired' ELSE 'pending' END"
#define INVITATION_LOCK_SQL(condition)                                                                            \
	"SELECT i.invitation_id, i.email, i.display_name, i.profile_id, " INVITATION_STATUS_SQL ", "               \
	"p.profile_id IS NOT NULL, IFNULL(p.permissions, ''), IFNULL(p.version, 0), t.status = 'active' "         \
	"FROM invitations i JOIN tenants t ON t.tenant_id = i.tenant_id "                                         \
	"LEFT JOIN profiles p ON p.tenant_id = i.tenant_id AND p.profile_id = i.profile_id "                      \
	"WHERE i.tenant_id = ? AND " condition " FOR UPDATE"

enum invitation_statement {
	INVITATION_STMT_USER_WITH_EMAIL,
	INVITATION_STMT_PENDING_WITH_EMAIL,
	INVITATION_STMT_INSERT,
	INVITATION_STMT_LOCK,
	INVITATION_STMT_LOCK_BY_TOKEN,
	INVITATION_STMT_RENEW,
	INVITATION_STMT_REVOKE,
	INVITATION_STMT_ACCEPT,
	INVITATION_STMT_TENANT_NAMES,
	INVITATION_STMT__MAX
};

static const struct db_statement_def invitation_statements[INVITATION_STMT__MAX] = {
	[INVITATION_STMT_USER_WITH_EMAIL] = {.name = "invitation.user_with_email",
		.sql = "SELECT user_id FROM users WHERE tenant_id = ? AND email = ?", .tenant_bound = 1},
	/* A locking read of the email's index range: two invitations of one
	 * address at once wait for each other, and the second finds the first. */
	[INVITATION_STMT_PENDING_WITH_EMAIL] = {.name = "invitation.pending_with_email",
		.sql = "SELECT invitation_id FROM invitations WHERE tenant_id = ? AND email = ? AND accepted_at IS NULL "
		"AND revoked_at IS NULL AND expires_at > NOW(3) FOR UPDATE",
		.tenant_bound = 1},
	[INVITATION_STMT_INSERT] = {.name = "invitation.insert",
		.sql = "INSERT INTO invitations (tenant_id, token_hash, email, display_name, profile_id, invited_by, expires_at) "
		"VALUES (?, ?, ?, ?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
		.tenant_bound = 1},
	[INVITATION_STMT_LOCK] = {.name = "invitation.lock", .sql = INVITATION_LOCK_SQL("i.invitation_id = ?"),
		.tenant_bound = 1},
	[INVITATION_STMT_LOCK_BY_TOKEN] = {.name = "invitation.lock_by_token",
		.sql = INVITATION_LOCK_SQL("i.token_hash = ?"), .tenant_bound = 1},
	[INVITATION_STMT_RENEW] = {.name = "invitation.renew",
		.sql = "UPDATE invitations SET token_hash = ?, expires_at = NOW(3) + INTERVAL ? SECOND, "
		"sent_count = sent_count + 1 WHERE tenant_id = ? AND invitation_id = ? AND accepted_at IS NULL "
		"AND revoked_at IS NULL",
		.tenant_bound = 1},
	[INVITATION_STMT_REVOKE] = {.name = "invitation.revoke",
		.sql = "UPDATE invitations SET revoked_at = NOW(3) WHERE tenant_id = ? AND invitation_id = ? "
		"AND accepted_at IS NULL AND revoked_at IS NULL",
		.tenant_bound = 1},
	[INVITATION_STMT_ACCEPT] = {.name = "invitation.accept",
		.sql = "UPDATE invitations SET accepted_at = NOW(3), accepted_user_id = ? WHERE tenant_id = ? "
		"AND invitation_id = ? AND accepted_at IS NULL",
		.tenant_bound = 1},
	[INVITATION_STMT_TENANT_NAMES] = {.name = "invitation.tenant_names",
		.sql = "SELECT name, slug FROM tenants WHERE tenant_id = ?", .tenant_bound = 1},
};

const struct statement_table invitation_statement_table = {
	.module_name = "invitation",
	.statements = invitation_statements,
	.statement_count = INVITATION_STMT__MAX,
};

static int invitation_count_rows(void *callback_context, const struct db_row *row)
{
	(void)row;
	(*(int *)callback_context)++;
	return 0;
}

enum invitation_outcome invitation_issue(struct db *db, uint64_t tenant_id, const char *email, const char *name,
	uint64_t profile_id, uint64_t invited_by, char token[SECRET_TOKEN_TEXT_MAX], uint64_t *invitation_id, int *result)
{
	struct db_param key[] = {DB_UINT(tenant_id), DB_TEXT(email)};
	int users = 0, pending = 0;
	*result = db_query(db, &invitation_statements[INVITATION_STMT_PENDING_WITH_EMAIL], key, 2, invitation_count_rows,
		&pending);
	if (*result == DB_OK)
		*result = db_query(db, &invitation_statements[INVITATION_STMT_USER_WITH_EMAIL], key, 2,
			invitation_count_rows, &users);
	if (*result != DB_OK)
		return INVITATION_FAILED;
	if (users > 0)
		return INVITATION_USER_EXISTS;
	if (pending > 0)
		return INVITATION_PENDING_EXISTS;
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(INVITATION_TOKEN_PREFIX, tenant_id, token, SECRET_TOKEN_TEXT_MAX, hash) != 0) {
		*result = DB_ERROR;
		return INVITATION_FAILED;
	}
	struct db_param insert[] = {DB_UINT(tenant_id), DB_BLOB(hash, sizeof(hash)), DB_TEXT(email), DB_TEXT(name),
		DB_UINT(profile_id), invited_by ? DB_UINT(invited_by) : DB_NULL, DB_INT(ACCOUNT_LINK_TTL_S)};
	*result = db_exec(db, &invitation_statements[INVITATION_STMT_INSERT], insert, 7, NULL, invitation_id);
	return *result == DB_OK ? INVITATION_OK : INVITATION_FAILED;
}

struct invitation_lock_row {
	struct invitation_info *out;
	int found;
};

static int invitation_read(void *callback_context, const struct db_row *row)
{
	struct invitation_lock_row *target = callback_context;
	if (row->column_count != 9 || row->values[0] == NULL)
		return 0;
	struct invitation_info *out = target->out;
	memset(out, 0, sizeof(*out));
	out->invitation_id = strtoull(row->values[0], NULL, 10);
	snprintf(out->email, sizeof(out->email), "%s", row->values[1] ? row->values[1] : "");
	snprintf(out->name, sizeof(out->name), "%s", row->values[2] ? row->values[2] : "");
	out->profile_id = row->values[3] ? strtoull(row->values[3], NULL, 10) : 0;
	snprintf(out->status, sizeof(out->status), "%s", row->values[4] ? row->values[4] : "");
	out->profile_exists = row->values[5] && row->values[5][0] == '1';
	snprintf(out->profile_permissions, sizeof(out->profile_permissions), "%s", row->values[6] ? row->values[6] : "");
	out->profile_version = row->values[7] ? strtoll(row->values[7], NULL, 10) : 0;
	out->tenant_active = row->values[8] && row->values[8][0] == '1';
	target->found = 1;
	return 0;
}

int invitation_lock(struct db *db, uint64_t tenant_id, uint64_t invitation_id, struct invitation_info *out, int *found)
{
	struct invitation_lock_row target = {.out = out};
	struct db_param key[] = {DB_UINT(tenant_id), DB_UINT(invitation_id)};
	int result = db_query(db, &invitation_statements[INVITATION_STMT_LOCK], key, 2, invitation_read, &target);
	*found = target.found;
	return result;
}

int invitation_lock_by_token(struct db *db, uint64_t tenant_id, const unsigned char hash[SECRET_TOKEN_HASH_BYTES],
	struct invitation_info *out, int *found)
{
	struct invitation_lock_row target = {.out = out};
	struct db_param key[] = {DB_UINT(tenant_id), DB_BLOB(hash, SECRET_TOKEN_HASH_BYTES)};
	int result = db_query(db, &invitation_statements[INVITATION_STMT_LOCK_BY_TOKEN], key, 2, invitation_read, &target);
	*found = target.found;
	return result;
}

enum invitation_outcome invitation_renew(struct db *db, uint64_t tenant_id, uint64_t invitation_id,
	char token[SECRET_TOKEN_TEXT_MAX], int *result)
{
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(INVITATION_TOKEN_PREFIX, tenant_id, token, SECRET_TOKEN_TEXT_MAX, hash) != 0) {
		*result = DB_ERROR;
		return INVITATION_FAILED;
	}
	uint64_t changed = 0;
	struct db_param renew[] = {DB_BLOB(hash, sizeof(hash)), DB_INT(ACCOUNT_LINK_TTL_S), DB_UINT(tenant_id),
		DB_UINT(invitation_id)};
	*result = db_exec(db, &invitation_statements[INVITATION_STMT_RENEW], renew, 4, &changed, NULL);
	if (*result != DB_OK)
		return INVITATION_FAILED;
	return changed == 1 ? INVITATION_OK : INVITATION_NOT_RENEWABLE;
}

int invitation_revoke(struct db *db, uint64_t tenant_id, uint64_t invitation_id)
{
	struct db_param key[] = {DB_UINT(tenant_id), DB_UINT(invitation_id)};
	return db_exec(db, &invitation_statements[INVITATION_STMT_REVOKE], key, 2, NULL, NULL);
}

int invitation_mark_accepted(struct db *db, uint64_t tenant_id, uint64_t invitation_id, uint64_t user_id)
{
	struct db_param params[] = {DB_UINT(user_id), DB_UINT(tenant_id), DB_UINT(invitation_id)};
	return db_exec(db, &invitation_statements[INVITATION_STMT_ACCEPT], params, 3, NULL, NULL);
}

struct invitation_names {
	char *name;
	size_t name_size;
	char *slug;
	size_t slug_size;
};

static int invitation_read_names(void *callback_context, const struct db_row *row)
{
	struct invitation_names *out = callback_context;
	if (row->column_count == 2) {
		snprintf(out->name, out->name_size, "%s", row->values[0] ? row->values[0] : "");
		snprintf(out->slug, out->slug_size, "%s", row->values[1] ? row->values[1] : "");
	}
	return 0;
}

int invitation_tenant_names(struct db *db, uint64_t tenant_id, char *name, size_t name_size, char *slug,
	size_t slug_size)
{
	struct invitation_names out = {name, name_size, slug, slug_size};
	name[0] = slug[0] = '\0';
	struct db_param key[] = {DB_UINT(tenant_id)};
	return db_query(db, &invitation_statements[INVITATION_STMT_TENANT_NAMES], key, 1, invitation_read_names, &out);
}

/* One-query principal lookup. */
#include "auth/principal.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

#include <stdlib.h>
#include <string.h>

#define PRINCIPAL_JOIN                                                                                            \
	"FROM users u "                                                                                           \
	"JOIN tenants t ON t.tenant_id = u.tenant_id "                                                            \
	"JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id "                           \
	"JOIN sessions s ON s.tenant_id = u.tenant_id AND s.session_id = ? AND s.user_id = u.user_id "           \
	"WHERE u.tenant_id = ? AND u.user_id = ?"
enum principal_statement { PRINCIPAL_STMT_LOAD, PRINCIPAL_STMT__MAX };

static const struct db_statement_def principal_statements[PRINCIPAL_STMT__MAX] = {
	[PRINCIPAL_STMT_LOAD] = {.name = "principal.load",
		.sql = "SELECT t.slug, t.status, u.email, u.display_name, u.status, p.profile_id, p.name, p.permissions, "
		"p.version, s.revoked_at IS NULL AND s.expires_at > NOW(3) " PRINCIPAL_JOIN,
		.tenant_bound = 1},
};

const struct db_statement_def *principal_statement_table(size_t *count)
{
	*count = PRINCIPAL_STMT__MAX;
	return principal_statements;
}

struct principal_row {
	struct arena *arena;
	struct auth_context *auth;
	int found;
	int usable;           /* session live, user active (the tenant aside) */
	int tenant_suspended;
};

/* What a found principal row allows. */
static enum principal_outcome principal_verdict(const struct principal_row *row)
{
	if (!row->found || !row->usable)
		return PRINCIPAL_GONE;
	return row->tenant_suspended ? PRINCIPAL_TENANT_SUSPENDED : PRINCIPAL_OK;
}

static int principal_read(void *callback_context, const struct db_row *row)
{
	struct principal_row *out = callback_context;
	if (row->column_count != 10)
		return 0;
	for (size_t i = 0; i < row->column_count; i++)
		if (row->values[i] == NULL)
			return 0;
	struct auth_context *auth = out->auth;
	out->found = 1;
	out->usable = strcmp(row->values[4], "active") == 0 && row->values[9][0] == '1';
	out->tenant_suspended = strcmp(row->values[1], "active") != 0;
	auth->tenant_slug = arena_strdup(out->arena, row->values[0]);
	auth->email = arena_strdup(out->arena, row->values[2]);
	auth->display_name = arena_strdup(out->arena, row->values[3]);
	auth->profile_id = strtoull(row->values[5], NULL, 10);
	auth->profile_name = arena_strdup(out->arena, row->values[6]);
	auth->permissions = arena_strdup(out->arena, row->values[7]);
	auth->profile_version = strtoll(row->values[8], NULL, 10);
	return 0;
}

enum principal_outcome principal_load(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth)
{
	struct db_param params[] = {DB_UINT(session_id), DB_UINT(tenant_id), DB_UINT(user_id)};
	struct principal_row row = {.arena = arena, .auth = auth};
	enum db_result result = db_query(db, &principal_statements[0], params, 3, principal_read, &row);
	if (result == DB_UNAVAILABLE)
		return PRINCIPAL_DB_UNAVAILABLE;
	if (result != DB_OK)
		return PRINCIPAL_DB_ERROR;
	enum principal_outcome verdict = principal_verdict(&row);
	if (verdict != PRINCIPAL_OK)
		return verdict;
	auth->tenant_id = tenant_id;
	auth->user_id = user_id;
	auth->session_id = session_id;
	return PRINCIPAL_OK;
}

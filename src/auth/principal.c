/* One-query principal lookup. */
#include "auth/principal.h"
#include "auth/principal_confirm.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

#include <stdlib.h>
#include <string.h>

/* Sessions a worker keeps (direct-mapped: a collision only costs a lookup). */
#define PRINCIPAL_CACHE_SLOTS 64

enum principal_statement { PRINCIPAL_STMT_LOAD, PRINCIPAL_STMT_CONFIRM, PRINCIPAL_STMT__MAX };

static const struct db_statement_def principal_statements[PRINCIPAL_STMT__MAX] = {
	[PRINCIPAL_STMT_LOAD] = {.name = "principal.load",
		.sql = "SELECT t.slug, t.status, u.email, u.display_name, u.status, p.profile_id, p.name, p.permissions, "
		"p.version, s.revoked_at IS NULL AND s.expires_at > NOW(3), " PRINCIPAL_FINGERPRINT " " PRINCIPAL_FROM,
		.tenant_bound = 1},
	[PRINCIPAL_STMT_CONFIRM] = {.name = "principal.confirm", .sql = "SELECT " PRINCIPAL_CONFIRM_COLUMN,
		.tenant_bound = 1},
};

const struct db_statement_def *principal_statement_table(size_t *count)
{
	*count = PRINCIPAL_STMT__MAX;
	return principal_statements;
}

/* What a lookup read of a valid session, kept for its next requests. */
struct principal_cached {
	int used;
	uint64_t tenant_id, user_id, session_id;
	uint64_t profile_id;
	int64_t profile_version;
	char *tenant_slug, *email, *display_name, *profile_name, *permissions; /* owned */
	char fingerprint[PRINCIPAL_FINGERPRINT_CHARS + 1];
};

static struct principal_cached principal_cache[PRINCIPAL_CACHE_SLOTS];

static struct principal_cached *principal_cache_slot(uint64_t tenant_id, uint64_t user_id, uint64_t session_id)
{
	uint64_t mixed = (tenant_id * 0x9E3779B97F4A7C15ull) ^ (user_id * 0xC2B2AE3D27D4EB4Full) ^ session_id;
	return &principal_cache[(mixed ^ (mixed >> 29)) % PRINCIPAL_CACHE_SLOTS];
}

static void principal_cache_clear(struct principal_cached *slot)
{
	free(slot->tenant_slug);
	free(slot->email);
	free(slot->display_name);
	free(slot->profile_name);
	free(slot->permissions);
	memset(slot, 0, sizeof(*slot));
}

struct principal_row {
	struct arena *arena;
	struct auth_context *auth;
	int found;
	int usable;           /* session live, user active (the tenant aside) */
	int tenant_suspended;
	char fingerprint[PRINCIPAL_FINGERPRINT_CHARS + 1];
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
	if (row->column_count != 11 || row->lengths[10] != PRINCIPAL_FINGERPRINT_CHARS)
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
	memcpy(out->fingerprint, row->values[10], PRINCIPAL_FINGERPRINT_CHARS);
	out->fingerprint[PRINCIPAL_FINGERPRINT_CHARS] = '\0';
	return 0;
}

/* Keeps a principal found valid; a copy that fails to allocate is not kept. */
static void principal_cache_store(const struct auth_context *auth, const char *fingerprint)
{
	struct principal_cached *slot = principal_cache_slot(auth->tenant_id, auth->user_id, auth->session_id);
	principal_cache_clear(slot);
	slot->tenant_id = auth->tenant_id;
	slot->user_id = auth->user_id;
	slot->session_id = auth->session_id;
	slot->profile_id = auth->profile_id;
	slot->profile_version = auth->profile_version;
	slot->tenant_slug = strdup(auth->tenant_slug);
	slot->email = strdup(auth->email);
	slot->display_name = strdup(auth->display_name);
	slot->profile_name = strdup(auth->profile_name);
	slot->permissions = strdup(auth->permissions);
	memcpy(slot->fingerprint, fingerprint, sizeof(slot->fingerprint));
	slot->used = slot->tenant_slug && slot->email && slot->display_name && slot->profile_name && slot->permissions;
	if (!slot->used)
		principal_cache_clear(slot);
}

enum principal_outcome principal_cached(uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth)
{
	const struct principal_cached *slot = principal_cache_slot(tenant_id, user_id, session_id);
	if (!slot->used || slot->tenant_id != tenant_id || slot->user_id != user_id || slot->session_id != session_id)
		return PRINCIPAL_GONE;
	auth->tenant_slug = arena_strdup(arena, slot->tenant_slug);
	auth->email = arena_strdup(arena, slot->email);
	auth->display_name = arena_strdup(arena, slot->display_name);
	auth->profile_name = arena_strdup(arena, slot->profile_name);
	auth->permissions = arena_strdup(arena, slot->permissions);
	auth->principal_fingerprint = arena_strdup(arena, slot->fingerprint);
	if (!auth->tenant_slug || !auth->email || !auth->display_name || !auth->profile_name || !auth->permissions ||
		!auth->principal_fingerprint)
		return PRINCIPAL_GONE;
	auth->profile_id = slot->profile_id;
	auth->profile_version = slot->profile_version;
	auth->tenant_id = tenant_id;
	auth->user_id = user_id;
	auth->session_id = session_id;
	auth->principal_unconfirmed = 1;
	return PRINCIPAL_OK;
}

void principal_forget(uint64_t tenant_id, uint64_t user_id, uint64_t session_id)
{
	struct principal_cached *slot = principal_cache_slot(tenant_id, user_id, session_id);
	if (slot->tenant_id == tenant_id && slot->user_id == user_id && slot->session_id == session_id)
		principal_cache_clear(slot);
}

void principal_confirm_bind(const struct auth_context *auth, struct db_param *params)
{
	params[0] = DB_UINT(auth->session_id);
	params[1] = DB_UINT(auth->tenant_id);
	params[2] = DB_UINT(auth->user_id);
}

int principal_confirm_session(struct db *db, struct auth_context *auth)
{
	struct db_param params[PRINCIPAL_CONFIRM_PARAMS];
	principal_confirm_bind(auth, params);
	return principal_confirm_by(db, &principal_statements[PRINCIPAL_STMT_CONFIRM], params, PRINCIPAL_CONFIRM_PARAMS,
		auth);
}

enum principal_outcome principal_load(struct db *db, uint64_t tenant_id, uint64_t user_id, uint64_t session_id,
	struct arena *arena, struct auth_context *auth)
{
	struct db_param params[] = {DB_UINT(session_id), DB_UINT(tenant_id), DB_UINT(user_id)};
	struct principal_row row = {.arena = arena, .auth = auth};
	enum db_result result = db_query(db, &principal_statements[PRINCIPAL_STMT_LOAD], params, 3, principal_read, &row);
	if (result == DB_UNAVAILABLE)
		return PRINCIPAL_DB_UNAVAILABLE;
	if (result != DB_OK)
		return PRINCIPAL_DB_ERROR;
	enum principal_outcome verdict = principal_verdict(&row);
	if (verdict != PRINCIPAL_OK) {
		principal_forget(tenant_id, user_id, session_id);
		return verdict;
	}
	auth->tenant_id = tenant_id;
	auth->user_id = user_id;
	auth->session_id = session_id;
	if (auth->tenant_slug == NULL || auth->email == NULL || auth->display_name == NULL ||
		auth->profile_name == NULL || auth->permissions == NULL)
		return PRINCIPAL_DB_ERROR;
	principal_cache_store(auth, row.fingerprint);
	return PRINCIPAL_OK;
}

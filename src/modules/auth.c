/* Auth module: login, refresh rotation, logout, me, and the password flows.
 * Login answers alike (message and work) for an unknown tenant, an unknown
 * email, a wrong password and a disabled account. */
#include "auth/audit.h"
#include "auth/hash_slots.h"
#include "auth/jwt.h"
#include "auth/mailer.h"
#include "auth/password.h"
#include "auth/principal.h"
#include "auth/ratelimit.h"
#include "auth/secret_token.h"
#include "auth/session.h"
#include "auth/tenant_host.h"
#include "core/config.h"
#include "handler/context.h"
#include "core/identifiers.h"
#include "core/hex.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/invitation.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_PASSWORD_MIN 10
#define AUTH_RESET_PREFIX "pr1"
#define AUTH_RESET_TTL_S 1800
#define AUTH_MAIL_TIMEOUT_MS 10000
#define AUTH_SUSPENDED_MESSAGE "This tenant is suspended; contact your provider"

static void auth_login(struct request_context *context);
static void auth_refresh(struct request_context *context);
static void auth_logout(struct request_context *context);
static void auth_logout_all(struct request_context *context);
static void auth_me(struct request_context *context);
static void auth_password_forgot(struct request_context *context);
static void auth_password_reset(struct request_context *context);
static void auth_password_change(struct request_context *context);
static void auth_sessions_list(struct request_context *context);
static void auth_sessions_revoke(struct request_context *context);
static void auth_logout_others(struct request_context *context);
static void auth_accept_invitation(struct request_context *context);

static const struct field_spec login_fields[] = {
	{.name = "email", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = IDENTIFIER_EMAIL_MAX},
	{.name = "password", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = PASSWORD_MAX_BYTES},
	{.name = "tenantSlug", .type = FIELD_SLUG, .max_length = IDENTIFIER_SLUG_MAX},
};
static const struct input_spec login_input = INPUT_SPEC(login_fields);

static const struct field_spec refresh_fields[] = {
	{.name = "refreshToken", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = SECRET_TOKEN_TEXT_MAX},
};
static const struct input_spec refresh_input = INPUT_SPEC(refresh_fields);

static const struct field_spec forgot_fields[] = {
	{.name = "email", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = IDENTIFIER_EMAIL_MAX},
	{.name = "tenantSlug", .type = FIELD_SLUG, .max_length = IDENTIFIER_SLUG_MAX},
};
static const struct input_spec forgot_input = INPUT_SPEC(forgot_fields);

static const struct field_spec reset_fields[] = {
	{.name = "token", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = SECRET_TOKEN_TEXT_MAX},
	{.name = "newPassword", .type = FIELD_STRING, .required = 1, .min_length = AUTH_PASSWORD_MIN,
		.max_length = PASSWORD_MAX_BYTES},
};
static const struct input_spec reset_input = INPUT_SPEC(reset_fields);

static const struct field_spec change_fields[] = {
	{.name = "currentPassword", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = PASSWORD_MAX_BYTES},
	{.name = "newPassword", .type = FIELD_STRING, .required = 1, .min_length = AUTH_PASSWORD_MIN,
		.max_length = PASSWORD_MAX_BYTES},
};
static const struct input_spec change_input = INPUT_SPEC(change_fields);

static const struct field_spec accept_fields[] = {
	{.name = "token", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = SECRET_TOKEN_TEXT_MAX},
	{.name = "password", .type = FIELD_STRING, .required = 1, .min_length = AUTH_PASSWORD_MIN,
		.max_length = PASSWORD_MAX_BYTES},
	{.name = "name", .type = FIELD_STRING, .min_length = 1, .max_length = 200},
};
static const struct input_spec accept_input = INPUT_SPEC(accept_fields);

static const struct route auth_routes[] = {
	{.method = HTTP_POST, .pattern = "/api/v1/auth/login", .credentials = ROUTE_PUBLIC,
		.input = &login_input, .handler = auth_login},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/refresh", .credentials = ROUTE_PUBLIC,
		.input = &refresh_input, .handler = auth_refresh},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/logout", .credentials = ROUTE_CRED_JWT,
		.input = &input_no_body, .handler = auth_logout},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/logout-all", .credentials = ROUTE_CRED_JWT,
		.input = &input_no_body, .handler = auth_logout_all},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/logout-others", .credentials = ROUTE_CRED_JWT,
		.input = &input_no_body, .handler = auth_logout_others},
	{.method = HTTP_GET, .pattern = "/api/v1/auth/me", .credentials = ROUTE_CRED_JWT, .handler = auth_me},
	{.method = HTTP_GET, .pattern = "/api/v1/auth/sessions", .credentials = ROUTE_CRED_JWT,
		.handler = auth_sessions_list},
	{.method = HTTP_DELETE, .pattern = "/api/v1/auth/sessions/{id}", .credentials = ROUTE_CRED_JWT,
		.handler = auth_sessions_revoke},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/password/forgot", .credentials = ROUTE_PUBLIC,
		.input = &forgot_input, .handler = auth_password_forgot},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/password/reset", .credentials = ROUTE_PUBLIC,
		.input = &reset_input, .handler = auth_password_reset},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/password/change", .credentials = ROUTE_CRED_JWT,
		.input = &change_input, .handler = auth_password_change},
	{.method = HTTP_POST, .pattern = "/api/v1/auth/invitations/accept", .credentials = ROUTE_PUBLIC,
		.input = &accept_input, .handler = auth_accept_invitation},
};

const struct route_table auth_route_table = {
	.module_name = "auth",
	.routes = auth_routes,
	.route_count = sizeof(auth_routes) / sizeof(auth_routes[0]),
};

enum auth_statement {
	AUTH_STMT_LOGIN_LOOKUP,
	AUTH_STMT_UPDATE_PASSWORD,
	AUTH_STMT_PASSWORD_HASH,
	AUTH_STMT_RESET_INSERT,
	AUTH_STMT_RESET_FIND,
	AUTH_STMT_RESET_USE,
	AUTH_STMT_RESET_RETIRE_ALL,
	AUTH_STMT_USER_INSERT,
	AUTH_STMT__MAX
};

static const struct db_statement_def auth_statements[AUTH_STMT__MAX] = {
	/* Global: the tenant is what we are looking for. */
	[AUTH_STMT_LOGIN_LOOKUP] = {.name = "auth.login_lookup",
		.sql = "SELECT t.tenant_id, t.status, u.user_id, u.password_hash, u.status, p.version, "
		"u.password_reset_required "
		"FROM tenants t "
		"LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.email = ? "
		"LEFT JOIN profiles p ON p.tenant_id = u.tenant_id AND p.profile_id = u.profile_id "
		"WHERE t.slug = ?",
		.tenant_bound = 0},
	[AUTH_STMT_UPDATE_PASSWORD] = {.name = "auth.update_password",
		.sql = "UPDATE users SET password_hash = ?, password_reset_required = 0 WHERE tenant_id = ? AND user_id = ?",
		.tenant_bound = 1},
	[AUTH_STMT_PASSWORD_HASH] = {.name = "auth.password_hash",
		.sql = "SELECT password_hash FROM users WHERE tenant_id = ? AND user_id = ?", .tenant_bound = 1},
	[AUTH_STMT_RESET_INSERT] = {.name = "auth.reset_insert",
		.sql = "INSERT INTO password_resets (tenant_id, token_hash, user_id, expires_at) "
		"VALUES (?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
		.tenant_bound = 1},
	[AUTH_STMT_RESET_FIND] = {.name = "auth.reset_find",
		.sql = "SELECT r.user_id, r.expires_at > NOW(3) AND r.used_at IS NULL AND u.status = 'active' "
		"FROM password_resets r JOIN users u ON u.tenant_id = r.tenant_id AND u.user_id = r.user_id "
		"WHERE r.tenant_id = ? AND r.token_hash = ? FOR UPDATE",
		.tenant_bound = 1},
	[AUTH_STMT_RESET_USE] = {.name = "auth.reset_use",
		.sql = "UPDATE password_resets SET used_at = NOW(3) WHERE tenant_id = ? AND token_hash = ?",
		.tenant_bound = 1},
	/* A new password makes every reset link still in a mailbox useless. */
	[AUTH_STMT_RESET_RETIRE_ALL] = {.name = "auth.reset_retire_all",
		.sql = "UPDATE password_resets SET used_at = NOW(3) WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL",
		.tenant_bound = 1},
	[AUTH_STMT_USER_INSERT] = {.name = "auth.user_insert",
		.sql = "INSERT INTO users (tenant_id, email, display_name, password_hash, profile_id) VALUES (?, ?, ?, ?, ?)",
		.tenant_bound = 1},
};

const struct statement_table auth_statement_table = {"auth", auth_statements, AUTH_STMT__MAX};

/* Verifying against this costs the same as a real hash, so a login for an
 * unknown account takes as long as one with a wrong password. */
static const char auth_dummy_hash[] =
	"$argon2id$v=19$m=19456,t=2,p=1$gny7SENDYQZkKSDxZKpo/A$ajBJ4Pkw5YiF/YD/MUU/RkBT8CvK/jL41HYxNQqgJy8";

/* The tenant slug from the body, else from the Host subdomain. */
static const char *auth_tenant_slug(struct request_context *context, char *host_slug, size_t host_slug_size)
{
	const char *from_body = input_string(context->request, "tenantSlug");
	if (from_body != NULL)
		return from_body;
	if (tenant_host_slug(context->request->host, context->config->base_domain, host_slug, host_slug_size))
		return host_slug;
	return NULL;
}

static void auth_audit(struct request_context *context, uint64_t tenant_id, uint64_t actor_user_id, const char *action,
	const char *outcome, const char *details)
{
	char target[24] = "";
	if (actor_user_id)
		snprintf(target, sizeof(target), "%llu", (unsigned long long)actor_user_id);
	struct audit_event event = {
		.tenant_id = tenant_id,
		.actor_user_id = actor_user_id,
		.action = action,
		.outcome = outcome,
		.target_type = actor_user_id ? "user" : "",
		.target_id = target,
		.client_address = context->request->remote_addr,
		.request_id = context->request->request_id,
		.details = details,
	};
	int result = audit_record(context->db, &event);
	if (result != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "audit write failed for %s: %s", action,
			db_last_error(context->db));
}

/* Count a hit in the given buckets; on refusal the 429 is already set. */
static int auth_rate_limit(struct request_context *context, struct ratelimit_bucket *buckets, size_t bucket_count)
{
	struct ratelimit_outcome outcome;
	int result = ratelimit_hit(context->db, buckets, bucket_count, context->now_s, &outcome);
	if (result != DB_OK) {
		respond_db_failure(context, result, "rate limit");
		return -1;
	}
	ratelimit_add_headers(context->response, &outcome, context->now_s);
	if (!outcome.allowed) {
		response_error(context->response, STATUS_RATE_LIMITED, "Too many attempts, try again later");
		return -1;
	}
	/* Address buckets live under tenant 0, which no authenticated request
	 * purges; clear its old windows now and then from here. */
	if ((random() & 1023) == 0)
		ratelimit_purge(context->db, 0, context->now_s, 2 * 86400);
	return 0;
}

static void auth_address_bucket(struct ratelimit_bucket *bucket, const char *prefix, const char *address,
	uint32_t limit, uint32_t window_s)
{
	bucket->tenant_id = 0;
	snprintf(bucket->name, sizeof(bucket->name), "%s:%.64s", prefix, address ? address : "-");
	bucket->limit = limit;
	bucket->window_s = window_s;
}

/* 0, or -1 after answering 500 (no digest: one bucket for everyone would
 * lock every account out together). */
static int auth_account_bucket(struct request_context *context, struct ratelimit_bucket *bucket, const char *prefix,
	uint64_t tenant_id, const char *slug, const char *email, uint32_t limit, uint32_t window_s)
{
	char key[IDENTIFIER_SLUG_MAX + IDENTIFIER_EMAIL_MAX + 2];
	snprintf(key, sizeof(key), "%s|%s", slug, email);
	bucket->tenant_id = tenant_id;
	bucket->limit = limit;
	bucket->window_s = window_s;
	if (ratelimit_bucket_hashed(bucket->name, sizeof(bucket->name), prefix, key) != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "rate limit: no SHA-256 digest");
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		return -1;
	}
	return 0;
}

/* Access token for a session; 0 or -1. */
static int auth_issue_access_token(struct request_context *context, uint64_t tenant_id, uint64_t user_id,
	uint64_t session_id, int64_t profile_version, char *out, size_t out_size)
{
	struct jwt_claims claims;
	memset(&claims, 0, sizeof(claims));
	snprintf(claims.sub, sizeof(claims.sub), "%llu", (unsigned long long)user_id);
	claims.tenant_id = tenant_id;
	claims.session_id = session_id;
	claims.iat = context->now_s;
	claims.exp = context->now_s + context->config->access_token_ttl_s;
	if (hex_random(12, claims.jti, sizeof(claims.jti)) != 0)
		return -1;
	snprintf(claims.iss, sizeof(claims.iss), "%.127s", context->config->jwt_issuer);
	snprintf(claims.aud, sizeof(claims.aud), "%.127s", context->config->jwt_audience);
	claims.profile_version = profile_version;
	return jwt_sign(context->keyring, &claims, out, out_size);
}

static void auth_respond_tokens(struct request_context *context, enum status status, const char *access_token,
	const char *refresh_token, int64_t expires_in_s, uint64_t user_id, const char *message)
{
	json_object *data = json_object_new_object();
	json_object_object_add(data, "accessToken", json_object_new_string(access_token));
	json_object_object_add(data, "refreshToken", json_object_new_string(refresh_token));
	json_object_object_add(data, "tokenType", json_object_new_string("Bearer"));
	json_object_object_add(data, "expiresIn", json_object_new_int64(expires_in_s > 0 ? expires_in_s : 0));
	json_object *user = json_object_new_object();
	json_object_object_add(user, "id", json_object_new_int64((int64_t)user_id));
	json_object_object_add(data, "user", user);
	response_ok(context->response, status, data, message);
}

struct login_row {
	int tenant_found;
	uint64_t tenant_id;
	int tenant_active;
	uint64_t user_id;
	char password_hash[PASSWORD_HASH_TEXT_MAX];
	int user_active;
	int64_t profile_version;
	int password_reset_required;
};

static int auth_read_login(void *callback_context, const struct db_row *row)
{
	struct login_row *out = callback_context;
	if (row->column_count != 7 || row->values[0] == NULL)
		return 0;
	out->tenant_found = 1;
	out->tenant_id = strtoull(row->values[0], NULL, 10);
	out->tenant_active = row->values[1] && strcmp(row->values[1], "active") == 0;
	if (row->values[2] != NULL && row->values[3] != NULL && strlen(row->values[3]) < sizeof(out->password_hash)) {
		out->user_id = strtoull(row->values[2], NULL, 10);
		snprintf(out->password_hash, sizeof(out->password_hash), "%s", row->values[3]);
		out->user_active = row->values[4] && strcmp(row->values[4], "active") == 0 && row->values[5] != NULL;
		out->profile_version = row->values[5] ? strtoll(row->values[5], NULL, 10) : 0;
		out->password_reset_required = row->values[6] && row->values[6][0] == '1';
	}
	return 0;
}

static void auth_login(struct request_context *context)
{
	char host_slug[IDENTIFIER_SLUG_MAX + 1];
	const char *slug = auth_tenant_slug(context, host_slug, sizeof(host_slug));
	if (slug == NULL) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "tenantSlug", "is required (or use your tenant's own host name)");
		return;
	}
	char email[IDENTIFIER_EMAIL_MAX + 1];
	identifier_lowercase(input_string(context->request, "email"), email, sizeof(email));
	const char *password = input_string(context->request, "password");

	struct login_row row;
	memset(&row, 0, sizeof(row));
	struct db_param lookup[] = {DB_TEXT(email), DB_TEXT(slug)};
	int result = db_query(context->db, &auth_statements[AUTH_STMT_LOGIN_LOOKUP], lookup, 2, auth_read_login, &row);
	if (result != DB_OK) {
		respond_db_failure(context, result, "login lookup");
		return;
	}
	const struct config *config = context->config;
	struct ratelimit_bucket buckets[2];
	if (auth_account_bucket(context, &buckets[0], "le", row.tenant_id, slug, email,
		    (uint32_t)config->login_rate_limit, (uint32_t)config->login_rate_window_s) != 0)
		return;
	auth_address_bucket(&buckets[1], "la", context->request->remote_addr,
		(uint32_t)config->login_address_rate_limit, (uint32_t)config->login_rate_window_s);
	if (auth_rate_limit(context, buckets, 2) != 0)
		return;

	int verdict = module_password_verify_or_reply(context, password, row.user_id ? row.password_hash : auth_dummy_hash);
	if (verdict < 0)
		return;
	int password_ok = verdict == 1;
	if (password_ok && row.tenant_found && !row.tenant_active && row.user_active) {
		/* Only the account's own password learns why: everyone else gets
		 * the uniform refusal below. */
		auth_audit(context, row.tenant_id, row.user_id, "auth.login", "failure", "tenant suspended");
		response_error(context->response, STATUS_TENANT_SUSPENDED, AUTH_SUSPENDED_MESSAGE);
		return;
	}
	if (!password_ok || !row.tenant_found || !row.tenant_active || !row.user_active ||
		row.password_reset_required) {
		/* A forced reset refuses the old password like a wrong one: it may
		 * be what leaked. */
		const char *reason = !row.tenant_found ? "unknown tenant"
			: !row.user_id                     ? "unknown email"
			: !password_ok                     ? "wrong password"
			: !row.tenant_active               ? "tenant suspended"
			: !row.user_active                 ? "user deactivated"
							   : "password reset required";
		auth_audit(context, row.tenant_id, row.user_id, "auth.login", "failure", reason);
		response_error(context->response, STATUS_UNAUTHORIZED, "Invalid email or password");
		return;
	}

	struct session_grant grant;
	if ((result = db_begin(context->db)) != DB_OK) {
		respond_db_failure(context, result, "login");
		return;
	}
	result = session_start(context->db, row.tenant_id, row.user_id, (uint32_t)config->refresh_token_ttl_s,
		context->request->remote_addr, context->request->user_agent, &grant);
	if (result == DB_OK)
		auth_audit(context, row.tenant_id, row.user_id, "auth.login", "success", "");
	if (result != DB_OK || (result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result, "login session");
		return;
	}
	/* A hash of the earlier scheme (PBKDF2) or with lower parameters is
	 * replaced while we hold the password, when a hash slot is free at once
	 * (the next login will do it otherwise). */
	if (password_needs_rehash(row.password_hash) && hash_slot_take(0) == 0) {
		char rehashed[PASSWORD_HASH_TEXT_MAX];
		int hashed = password_hash(password, rehashed, sizeof(rehashed));
		hash_slot_give();
		struct db_param update[] = {DB_TEXT(rehashed), DB_UINT(row.tenant_id), DB_UINT(row.user_id)};
		if (hashed != 0 ||
			db_exec(context->db, &auth_statements[AUTH_STMT_UPDATE_PASSWORD], update, 3, NULL, NULL) != DB_OK)
			log_msg(LOG_LEVEL_WARN, context->request->request_id, "login: the password hash was not upgraded");
	}
	char access_token[JWT_TOKEN_MAX + 1];
	if (auth_issue_access_token(context, row.tenant_id, row.user_id, grant.session_id, row.profile_version,
		    access_token, sizeof(access_token)) != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "login: cannot sign the access token");
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		return;
	}
	auth_respond_tokens(context, STATUS_OK, access_token, grant.refresh_token, config->access_token_ttl_s, row.user_id,
		"Logged in");
}

/* Signs the access token of a refreshed pair, inside the exchange: the
 * user must still be active, and the token carries the profile's version. */
static int auth_sign_refreshed(void *signer_context, uint64_t tenant_id, struct session_pair *pair)
{
	struct request_context *context = signer_context;
	struct auth_context *auth = &context->request->auth;
	if (principal_load(context->db, tenant_id, pair->user_id, pair->session_id, context->request->arena, auth) !=
		PRINCIPAL_OK)
		return -1;
	pair->access_expires_at_s = context->now_s + context->config->access_token_ttl_s;
	return auth_issue_access_token(context, tenant_id, pair->user_id, pair->session_id, auth->profile_version,
		pair->access_token, sizeof(pair->access_token));
}

static void auth_refresh(struct request_context *context)
{
	struct ratelimit_bucket bucket;
	auth_address_bucket(&bucket, "ra", context->request->remote_addr, (uint32_t)context->config->rate_limit_per_minute,
		60);
	if (auth_rate_limit(context, &bucket, 1) != 0)
		return;
	uint64_t tenant_id = 0;
	struct session_pair pair;
	memset(&pair, 0, sizeof(pair));
	enum session_outcome outcome = session_rotate(context->db, input_string(context->request, "refreshToken"),
		(uint32_t)context->config->refresh_token_ttl_s, (uint32_t)context->config->refresh_reuse_grace_s,
		auth_sign_refreshed, context, &tenant_id, &pair);
	switch (outcome) {
	case SESSION_OK:
	case SESSION_REPLAYED:
		/* A replay answers the first exchange's pair, so its access token
		 * has a little less time left. */
		auth_respond_tokens(context, STATUS_OK, pair.access_token, pair.refresh_token,
			pair.access_expires_at_s - context->now_s, pair.user_id, "Tokens refreshed");
		break;
	case SESSION_REUSED:
		auth_audit(context, tenant_id, pair.user_id, "auth.refresh_reuse", "denied",
			"retired refresh token presented after the grace window; session revoked");
		response_error(context->response, STATUS_UNAUTHORIZED, "Invalid refresh token");
		break;
	case SESSION_INVALID:
		response_error(context->response, STATUS_UNAUTHORIZED, "Invalid refresh token");
		break;
	case SESSION_TENANT_SUSPENDED:
		response_error(context->response, STATUS_TENANT_SUSPENDED, AUTH_SUSPENDED_MESSAGE);
		break;
	case SESSION_DB_ERROR:
		respond_db_failure(context, DB_UNAVAILABLE, "refresh");
		break;
	}
	explicit_bzero(&pair, sizeof(pair));
}

static void auth_logout(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	int result = session_revoke(context->db, auth->tenant_id, auth->session_id, "logout");
	if (result != DB_OK) {
		respond_db_failure(context, result, "logout");
		return;
	}
	auth_audit(context, auth->tenant_id, auth->user_id, "auth.logout", "success", "");
	response_ok(context->response, STATUS_OK, json_object_new_object(), "Logged out");
}

static void auth_logout_all(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t revoked = 0;
	int result = session_revoke_user(context->db, auth->tenant_id, auth->user_id, 0, "logout_all", &revoked);
	if (result != DB_OK) {
		respond_db_failure(context, result, "logout-all");
		return;
	}
	auth_audit(context, auth->tenant_id, auth->user_id, "auth.logout_all", "success", "");
	json_object *data = json_object_new_object();
	json_object_object_add(data, "revokedSessions", json_object_new_int64((int64_t)revoked));
	response_ok(context->response, STATUS_OK, data, "Logged out everywhere");
}

/* Every session of the user but this one: "log out my other devices". */
static void auth_logout_others(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t revoked = 0;
	int result = session_revoke_user(context->db, auth->tenant_id, auth->user_id, auth->session_id, "logout_others",
		&revoked);
	if (result != DB_OK) {
		respond_db_failure(context, result, "logout-others");
		return;
	}
	char details[64];
	snprintf(details, sizeof(details), "{\"revokedSessions\":%llu}", (unsigned long long)revoked);
	auth_audit(context, auth->tenant_id, auth->user_id, "auth.logout_others", "success", details);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "revokedSessions", json_object_new_int64((int64_t)revoked));
	response_ok(context->response, STATUS_OK, data, "Other sessions logged out");
}

struct auth_session_listing {
	json_object *items;
	uint64_t current_session_id;
};

static void auth_add_session(void *callback_context, const struct session_info *session)
{
	struct auth_session_listing *listing = callback_context;
	json_object *item = json_object_new_object();
	json_object_object_add(item, "id", json_object_new_int64((int64_t)session->session_id));
	json_object_object_add(item, "device", json_object_new_string(session->device));
	json_object_object_add(item, "address", json_object_new_string(session->client_address));
	json_object_object_add(item, "createdAt", json_object_new_string(session->created_at));
	json_object_object_add(item, "lastUsedAt", json_object_new_string(session->last_used_at));
	json_object_object_add(item, "expiresAt", json_object_new_string(session->expires_at));
	json_object_object_add(item, "current", json_object_new_boolean(session->session_id == listing->current_session_id));
	json_object_array_add(listing->items, item);
}

static void auth_sessions_list(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	struct auth_session_listing listing = {.items = json_object_new_array(), .current_session_id = auth->session_id};
	int result = session_list(context->db, auth->tenant_id, auth->user_id, auth_add_session, &listing);
	if (result != DB_OK) {
		json_object_put(listing.items);
		respond_db_failure(context, result, "sessions list");
		return;
	}
	response_ok(context->response, STATUS_OK, listing.items, "Sessions");
}

/* One of one's own sessions, this one included (then it is a logout). */
static void auth_sessions_revoke(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	uint64_t session_id = module_path_id(context, "id");
	uint64_t revoked = 0;
	int result = session_id ? session_revoke_own(context->db, auth->tenant_id, auth->user_id, session_id,
					  "session_revoke", &revoked)
				: DB_OK;
	if (result != DB_OK) {
		respond_db_failure(context, result, "session revoke");
		return;
	}
	if (revoked == 0) {
		module_not_found(context, "Session");
		return;
	}
	char details[64];
	snprintf(details, sizeof(details), "{\"sessionId\":%llu}", (unsigned long long)session_id);
	auth_audit(context, auth->tenant_id, auth->user_id, "auth.session_revoke", "success", details);
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_int64((int64_t)session_id));
	json_object_object_add(data, "current", json_object_new_boolean(session_id == auth->session_id));
	response_ok(context->response, STATUS_OK, data, "Session revoked");
}

/* An invitation's link: the invitee chooses a password (and may correct
 * the name) and is logged in. The token works once, for 72 hours. */
static void auth_accept_invitation(struct request_context *context)
{
	struct ratelimit_bucket bucket;
	auth_address_bucket(&bucket, "ia", context->request->remote_addr,
		(uint32_t)context->config->login_address_rate_limit, (uint32_t)context->config->login_rate_window_s);
	if (auth_rate_limit(context, &bucket, 1) != 0)
		return;
	uint64_t tenant_id = 0;
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_parse(INVITATION_TOKEN_PREFIX, input_string(context->request, "token"), &tenant_id, hash) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid or expired invitation");
		response_add_detail(context->response, "token", "is invalid or expired");
		return;
	}
	char password_hash_text[PASSWORD_HASH_TEXT_MAX];
	if (module_password_hash_or_reply(context, input_string(context->request, "password"), password_hash_text,
		    sizeof(password_hash_text)) != 0)
		return;
	int result = db_begin(context->db);
	struct invitation_info invitation;
	int found = 0;
	if (result == DB_OK)
		result = invitation_lock_by_token(context->db, tenant_id, hash, &invitation, &found);
	if (result != DB_OK) {
		respond_db_failure(context, result, "accept invitation");
		return;
	}
	if (!found || strcmp(invitation.status, "pending") != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid or expired invitation");
		response_add_detail(context->response, "token", "is invalid or expired");
		return;
	}
	if (!invitation.tenant_active) {
		response_error(context->response, STATUS_TENANT_SUSPENDED, AUTH_SUSPENDED_MESSAGE);
		return;
	}
	if (!invitation.profile_exists) {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"The invitation's profile no longer exists; ask for a new invitation");
		return;
	}
	const char *name = input_string(context->request, "name");
	if (name == NULL)
		name = invitation.name;
	uint64_t user_id = 0;
	struct db_param insert[] = {DB_UINT(tenant_id), DB_TEXT(invitation.email), DB_TEXT(name),
		DB_TEXT(password_hash_text), DB_UINT(invitation.profile_id)};
	result = db_exec(context->db, &auth_statements[AUTH_STMT_USER_INSERT], insert, 5, NULL, &user_id);
	if (result == DB_DUPLICATE) {
		response_error(context->response, STATUS_CONFLICT, "A user with this email already exists");
		response_add_detail(context->response, "token", "its email is already a user of this tenant");
		return;
	}
	struct session_grant grant;
	memset(&grant, 0, sizeof(grant));
	if (result == DB_OK)
		result = invitation_mark_accepted(context->db, tenant_id, invitation.invitation_id, user_id);
	if (result == DB_OK)
		result = session_start(context->db, tenant_id, user_id, (uint32_t)context->config->refresh_token_ttl_s,
			context->request->remote_addr, context->request->user_agent, &grant);
	if (result == DB_OK) {
		json_object *details = json_object_new_object();
		json_object *after = json_object_new_object();
		json_object_object_add(after, "userId", json_object_new_int64((int64_t)user_id));
		json_object_object_add(after, "email", json_object_new_string(invitation.email));
		json_object_object_add(after, "profileId", json_object_new_int64((int64_t)invitation.profile_id));
		json_object_object_add(after, "status", json_object_new_string("accepted"));
		json_object_object_add(details, "after", after);
		char target[24], details_text[1000];
		snprintf(target, sizeof(target), "%llu", (unsigned long long)invitation.invitation_id);
		snprintf(details_text, sizeof(details_text), "%s",
			json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
		json_object_put(details);
		struct audit_event event = {.tenant_id = tenant_id, .actor_user_id = user_id, .action = "invitation.accept",
			.outcome = "success", .target_type = "invitation", .target_id = target,
			.client_address = context->request->remote_addr, .request_id = context->request->request_id,
			.details = details_text};
		result = audit_record(context->db, &event);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "accept invitation");
		return;
	}
	char access_token[JWT_TOKEN_MAX + 1];
	if (auth_issue_access_token(context, tenant_id, user_id, grant.session_id, invitation.profile_version,
		    access_token, sizeof(access_token)) != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "accept invitation: cannot sign the access token");
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		return;
	}
	auth_respond_tokens(context, STATUS_CREATED, access_token, grant.refresh_token, context->config->access_token_ttl_s,
		user_id, "Invitation accepted");
}

static void auth_me(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	json_object *data = json_object_new_object();
	json_object_object_add(data, "id", json_object_new_int64((int64_t)auth->user_id));
	json_object_object_add(data, "email", json_object_new_string(auth->email));
	json_object_object_add(data, "name", json_object_new_string(auth->display_name));
	json_object *tenant = json_object_new_object();
	json_object_object_add(tenant, "id", json_object_new_int64((int64_t)auth->tenant_id));
	json_object_object_add(tenant, "slug", json_object_new_string(auth->tenant_slug));
	json_object_object_add(data, "tenant", tenant);
	json_object *profile = json_object_new_object();
	json_object_object_add(profile, "id", json_object_new_int64((int64_t)auth->profile_id));
	json_object_object_add(profile, "name", json_object_new_string(auth->profile_name));
	json_object_object_add(profile, "version", json_object_new_int64(auth->profile_version));
	json_object_object_add(data, "profile", profile);
	json_object_object_add(data, "permissions", module_words_to_array(auth->permissions));
	response_ok(context->response, STATUS_OK, data, "Current user");
}

/* after_response_data holds "to\0token\0". */
static void auth_send_reset_mail(struct request_context *context, const char *to, const char *token)
{
	const struct config *config = context->config;
	char body[2048];
	if (config->password_reset_url[0] != '\0')
		snprintf(body, sizeof(body),
			"A password reset was requested for your account.\n\nOpen this link within 30 minutes:\n%s%s\n\n"
			"If you did not ask for this, ignore this message.\n",
			config->password_reset_url, token);
	else
		snprintf(body, sizeof(body),
			"A password reset was requested for your account.\n\nYour reset token (valid 30 minutes):\n%s\n\n"
			"If you did not ask for this, ignore this message.\n",
			token);
	struct mail_message message = {config->mail_from, to, "Reset your password", body};
	if (mailer_send(config->mail_command, &message, AUTH_MAIL_TIMEOUT_MS) != 0)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "password reset mail could not be sent");
	explicit_bzero(body, sizeof(body));
}

/* The account a reset was asked for, kept in after_response_data. */
struct auth_forgot_account {
	uint64_t tenant_id;
	uint64_t user_id;
	char email[IDENTIFIER_EMAIL_MAX + 1];
};
_Static_assert(sizeof(struct auth_forgot_account) <= sizeof(((struct request_context *)0)->after_response_data),
	"the forgot account must fit after_response_data");

/* After the answer is out: the token, its row, the audit entry and the
 * mail. Doing this before answering made existing accounts answer later
 * than unknown ones, which told an outsider which addresses have accounts.
 * A failure here is logged; the answer was the same either way. */
static void auth_forgot_after_response(struct request_context *context)
{
	struct auth_forgot_account account;
	memcpy(&account, context->after_response_data, sizeof(account));
	explicit_bzero(context->after_response_data, sizeof(context->after_response_data));
	char token[SECRET_TOKEN_TEXT_MAX];
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_new(AUTH_RESET_PREFIX, account.tenant_id, token, sizeof(token), hash) != 0) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "password reset token could not be made");
		return;
	}
	struct db_param insert[] = {DB_UINT(account.tenant_id), DB_BLOB(hash, sizeof(hash)), DB_UINT(account.user_id),
		DB_INT(AUTH_RESET_TTL_S)};
	int result = db_exec(context->db, &auth_statements[AUTH_STMT_RESET_INSERT], insert, 4, NULL, NULL);
	if (result != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id,
			"password reset not stored (database result %d); no mail sent", result);
	else {
		auth_audit(context, account.tenant_id, account.user_id, "auth.password_forgot", "success", "");
		auth_send_reset_mail(context, account.email, token);
	}
	explicit_bzero(token, sizeof(token));
	explicit_bzero(&account, sizeof(account));
}

static void auth_password_forgot(struct request_context *context)
{
	char host_slug[IDENTIFIER_SLUG_MAX + 1];
	const char *slug = auth_tenant_slug(context, host_slug, sizeof(host_slug));
	if (slug == NULL) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "tenantSlug", "is required (or use your tenant's own host name)");
		return;
	}
	char email[IDENTIFIER_EMAIL_MAX + 1];
	identifier_lowercase(input_string(context->request, "email"), email, sizeof(email));
	struct login_row row;
	memset(&row, 0, sizeof(row));
	struct db_param lookup[] = {DB_TEXT(email), DB_TEXT(slug)};
	int result = db_query(context->db, &auth_statements[AUTH_STMT_LOGIN_LOOKUP], lookup, 2, auth_read_login, &row);
	if (result != DB_OK) {
		respond_db_failure(context, result, "forgot lookup");
		return;
	}
	/* Per account, and per client address so one client cannot send
	 * reset mail to any number of addresses. */
	struct ratelimit_bucket buckets[2];
	if (auth_account_bucket(context, &buckets[0], "fe", row.tenant_id, slug, email,
		    (uint32_t)context->config->forgot_rate_limit, (uint32_t)context->config->forgot_rate_window_s) != 0)
		return;
	auth_address_bucket(&buckets[1], "fa", context->request->remote_addr,
		(uint32_t)context->config->login_address_rate_limit, (uint32_t)context->config->forgot_rate_window_s);
	if (auth_rate_limit(context, buckets, 2) != 0)
		return;
	/* Up to the answer, both paths do the same work. */
	if (row.tenant_active && row.user_active) {
		struct auth_forgot_account account = {.tenant_id = row.tenant_id, .user_id = row.user_id};
		snprintf(account.email, sizeof(account.email), "%s", email);
		memcpy(context->after_response_data, &account, sizeof(account));
		context->after_response = auth_forgot_after_response;
	}
	response_ok(context->response, STATUS_OK, json_object_new_object(),
		"If the account exists, a password reset message has been sent");
}

struct reset_row {
	int found;
	uint64_t user_id;
	int usable;
};

static int auth_read_reset(void *callback_context, const struct db_row *row)
{
	struct reset_row *out = callback_context;
	if (row->column_count == 2 && row->values[0] != NULL) {
		out->found = 1;
		out->user_id = strtoull(row->values[0], NULL, 10);
		out->usable = row->values[1] != NULL && row->values[1][0] == '1';
	}
	return 0;
}

static void auth_password_reset(struct request_context *context)
{
	struct ratelimit_bucket bucket;
	auth_address_bucket(&bucket, "rr", context->request->remote_addr,
		(uint32_t)context->config->login_address_rate_limit, (uint32_t)context->config->login_rate_window_s);
	if (auth_rate_limit(context, &bucket, 1) != 0)
		return;
	uint64_t tenant_id = 0;
	unsigned char hash[SECRET_TOKEN_HASH_BYTES];
	if (secret_token_parse(AUTH_RESET_PREFIX, input_string(context->request, "token"), &tenant_id, hash) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid or expired reset token");
		response_add_detail(context->response, "token", "is invalid or expired");
		return;
	}
	char new_hash[PASSWORD_HASH_TEXT_MAX];
	if (module_password_hash_or_reply(context, input_string(context->request, "newPassword"), new_hash,
		    sizeof(new_hash)) != 0)
		return;
	int result = db_begin(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "reset");
		return;
	}
	struct db_param key[] = {DB_UINT(tenant_id), DB_BLOB(hash, sizeof(hash))};
	struct reset_row row = {0, 0, 0};
	result = db_query(context->db, &auth_statements[AUTH_STMT_RESET_FIND], key, 2, auth_read_reset, &row);
	if (result == DB_OK && (!row.found || !row.usable)) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid or expired reset token");
		response_add_detail(context->response, "token", "is invalid or expired");
		return;
	}
	struct db_param update[] = {DB_TEXT(new_hash), DB_UINT(tenant_id), DB_UINT(row.user_id)};
	uint64_t revoked = 0;
	struct db_param owner[] = {DB_UINT(tenant_id), DB_UINT(row.user_id)};
	if (result == DB_OK)
		result = db_exec(context->db, &auth_statements[AUTH_STMT_RESET_USE], key, 2, NULL, NULL);
	if (result == DB_OK)
		result = db_exec(context->db, &auth_statements[AUTH_STMT_RESET_RETIRE_ALL], owner, 2, NULL, NULL);
	if (result == DB_OK)
		result = db_exec(context->db, &auth_statements[AUTH_STMT_UPDATE_PASSWORD], update, 3, NULL, NULL);
	if (result == DB_OK)
		result = session_revoke_user(context->db, tenant_id, row.user_id, 0, "password_reset", &revoked);
	if (result == DB_OK) {
		char target[24];
		snprintf(target, sizeof(target), "%llu", (unsigned long long)row.user_id);
		struct audit_event event = {tenant_id, row.user_id, "auth.password_reset", "success", "user", target,
			context->request->remote_addr, context->request->request_id, ""};
		result = audit_record(context->db, &event);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "reset");
		return;
	}
	response_ok(context->response, STATUS_OK, json_object_new_object(), "Password changed; please log in again");
}

static int auth_copy_hash(void *callback_context, const struct db_row *row)
{
	char *out = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL && strlen(row->values[0]) < PASSWORD_HASH_TEXT_MAX)
		snprintf(out, PASSWORD_HASH_TEXT_MAX, "%s", row->values[0]);
	return 0;
}

static void auth_password_change(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	/* A stolen access token must not become a fast password oracle. */
	struct ratelimit_bucket bucket = {.tenant_id = auth->tenant_id,
		.limit = (uint32_t)context->config->login_rate_limit,
		.window_s = (uint32_t)context->config->login_rate_window_s};
	snprintf(bucket.name, sizeof(bucket.name), "pc:%llu", (unsigned long long)auth->user_id);
	if (auth_rate_limit(context, &bucket, 1) != 0)
		return;
	const char *current = input_string(context->request, "currentPassword");
	const char *fresh = input_string(context->request, "newPassword");
	char stored[PASSWORD_HASH_TEXT_MAX] = "";
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->user_id)};
	int result = db_query(context->db, &auth_statements[AUTH_STMT_PASSWORD_HASH], key, 2, auth_copy_hash, stored);
	if (result != DB_OK) {
		respond_db_failure(context, result, "password change");
		return;
	}
	int verdict = module_password_verify_or_reply(context, current, stored);
	if (verdict < 0)
		return;
	if (verdict != 1) {
		auth_audit(context, auth->tenant_id, auth->user_id, "auth.password_change", "failure",
			"wrong current password");
		response_error(context->response, STATUS_VALIDATION_ERROR, "Current password is incorrect");
		response_add_detail(context->response, "currentPassword", "is incorrect");
		return;
	}
	if (strcmp(current, fresh) == 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "newPassword", "must differ from the current password");
		return;
	}
	char new_hash[PASSWORD_HASH_TEXT_MAX];
	if (module_password_hash_or_reply(context, fresh, new_hash, sizeof(new_hash)) != 0)
		return;
	uint64_t revoked = 0;
	struct db_param update[] = {DB_TEXT(new_hash), DB_UINT(auth->tenant_id), DB_UINT(auth->user_id)};
	if ((result = db_begin(context->db)) == DB_OK &&
		(result = db_exec(context->db, &auth_statements[AUTH_STMT_UPDATE_PASSWORD], update, 3, NULL, NULL)) == DB_OK &&
		(result = session_revoke_user(context->db, auth->tenant_id, auth->user_id, auth->session_id,
			 "password_change", &revoked)) == DB_OK &&
		(result = db_exec(context->db, &auth_statements[AUTH_STMT_RESET_RETIRE_ALL], key, 2, NULL, NULL)) == DB_OK) {
		char target[24];
		snprintf(target, sizeof(target), "%llu", (unsigned long long)auth->user_id);
		struct audit_event event = {auth->tenant_id, auth->user_id, "auth.password_change", "success", "user", target,
			context->request->remote_addr, context->request->request_id, ""};
		if ((result = audit_record(context->db, &event)) == DB_OK)
			result = db_commit(context->db);
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "password change");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "revokedSessions", json_object_new_int64((int64_t)revoked));
	response_ok(context->response, STATUS_OK, data, "Password changed; other sessions were logged out");
}

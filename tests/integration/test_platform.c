/*
 * Running the platform without shell access, over real HTTP: tenant
 * suspension (intuka-admin and the operator API), the operator API itself,
 * invitations, user administration by a Tenant Admin, and sessions people
 * can live with (listing, revoking, the refresh grace window). Every tenant
 * and user is made by this suite, unique per run, so it can run again on
 * the same database.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "command_runner.h"
#include "find_client.h"
#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097, REFRESH_MAX = 128 };

static const char admin_password[] = "platform-admin-pass-1";

static void expect_status(const char *label, const struct api_reply *reply, long status, const char *code)
{
	ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld (%s)", label, status, reply->status,
				reply->body ? json_object_to_json_string(reply->body) : "no body");
	if (code != NULL)
		ITEST_CHECK(strcmp(api_error_code(reply), code) == 0, "%s: expected error %s, got \"%s\"", label, code,
					api_error_code(reply));
}

/* One call whose status (and error code) must be as given. */
static void call_expect(const char *label, const char *method, const char *path, const char *body,
						const char *bearer, long status, const char *code)
{
	struct api_reply reply;
	if (!api_call(method, path, body, bearer, NULL, &reply))
		return;
	expect_status(label, &reply, status, code);
	api_reply_free(&reply);
}

static bool refresh_tokens(const char *refresh, long expected, char *access_out, char *refresh_out)
{
	char body[256];
	snprintf(body, sizeof body, "{\"refreshToken\":\"%s\"}", refresh);
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/auth/refresh", body, NULL, NULL, &reply))
		return false;
	bool ok = ITEST_CHECK(reply.status == expected, "refresh: expected %ld, got %ld (%s)", expected, reply.status,
						  api_error_code(&reply));
	if (reply.status == 200) {
		const char *access = json_path_string(reply.body, "data.accessToken");
		const char *next = json_path_string(reply.body, "data.refreshToken");
		if (access_out != NULL)
			snprintf(access_out, TOKEN_MAX, "%s", access ? access : "");
		if (refresh_out != NULL)
			snprintf(refresh_out, REFRESH_MAX, "%s", next ? next : "");
	}
	api_reply_free(&reply);
	return ok;
}

/* The newest entry of action in the tenant's audit log, as its admin sees it. */
static json_object *latest_audit(const char *token, const char *action)
{
	char path[160];
	snprintf(path, sizeof path, "/api/v1/audit?action=%s&limit=1", action);
	struct api_reply reply;
	if (!api_call("GET", path, NULL, token, NULL, &reply))
		return NULL;
	json_object *entry = NULL;
	json_object *items = reply.status == 200 ? json_path_get(reply.body, "data") : NULL;
	if (items != NULL && json_object_array_length(items) > 0)
		entry = json_object_get(json_object_array_get_idx(items, 0));
	api_reply_free(&reply);
	return entry;
}

/* details of an audit entry, parsed (it is JSON text for administrative changes). */
static json_object *audit_details(json_object *entry)
{
	const char *text = entry ? json_path_string(entry, "details") : NULL;
	char why[128];
	return text ? json_parse_whole(text, strlen(text), why, sizeof why) : NULL;
}

/* ---- tenant suspension from the shell ------------------------------------ */

static void suspended_tenant_gets_403_for_tokens_keys_and_login_until_resumed(void)
{
	char slug[64], token[TOKEN_MAX], refresh[REFRESH_MAX], email[160];
	char other_slug[64], other_token[TOKEN_MAX];
	if (!ITEST_CHECK(find_make_tenant_admin("susp", "Suspended Co", admin_password, slug, sizeof slug, token),
					 "make the tenant to suspend") ||
		!ITEST_CHECK(find_make_tenant_admin("susp-other", "Bystander Co", admin_password, other_slug,
											sizeof other_slug, other_token),
					 "make a second tenant"))
		return;
	snprintf(email, sizeof email, "admin@%s.test", slug);
	if (!ITEST_CHECK(api_login(email, admin_password, slug, token, refresh) == 200, "login before suspension"))
		return;
	char key[128];
	if (!ITEST_CHECK(find_create_key(token, "{\"label\":\"server\",\"keyType\":\"secret\"}", key, sizeof key, NULL, 0) == 201,
					 "a secret key before suspension"))
		return;

	const char *suspend[] = { "tenant", "suspend", slug, "--reason", "unpaid invoices", NULL };
	if (!ITEST_CHECK(admin_command(suspend, NULL) == 0, "intuka-admin tenant suspend"))
		return;
	call_expect("access token of a suspended tenant", "GET", "/api/v1/auth/me", NULL, token, 403, "TENANT_SUSPENDED");
	call_expect("a platform route", "GET", "/api/v1/users", NULL, token, 403, "TENANT_SUSPENDED");
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, key, NULL, "TENANT_SUSPENDED") == 403,
				"a secret key of a suspended tenant on the find API is 403");
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, token, NULL, "TENANT_SUSPENDED") == 403,
				"a JWT of a suspended tenant on the find API is 403");
	refresh_tokens(refresh, 403, NULL, NULL);
	char body[512];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"tenantSlug\":\"%s\"}", email, admin_password,
			 slug);
	call_expect("login with the right password", "POST", "/api/v1/auth/login", body, NULL, 403, "TENANT_SUSPENDED");
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"not-the-password\",\"tenantSlug\":\"%s\"}", email,
			 slug);
	call_expect("login with a wrong password says nothing more", "POST", "/api/v1/auth/login", body, NULL, 401,
				"UNAUTHORIZED");
	call_expect("another tenant is untouched", "GET", "/api/v1/auth/me", NULL, other_token, 200, NULL);

	const char *resume[] = { "tenant", "resume", slug, NULL };
	if (!ITEST_CHECK(admin_command(resume, NULL) == 0, "intuka-admin tenant resume"))
		return;
	call_expect("the same access token after resume", "GET", "/api/v1/auth/me", NULL, token, 200, NULL);
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, key, NULL, NULL) == 200, "the same key after resume");
	/* The refresh refused while suspended was not retired: it still works once. */
	refresh_tokens(refresh, 200, NULL, NULL);

	json_object *entry = latest_audit(token, "tenant.suspend");
	json_object *details = audit_details(entry);
	const char *by = details ? json_path_string(details, "by") : NULL;
	const char *before = details ? json_path_string(details, "before.status") : NULL;
	const char *after = details ? json_path_string(details, "after.status") : NULL;
	const char *reason = details ? json_path_string(details, "after.reason") : NULL;
	ITEST_CHECK(by && strncmp(by, "intuka-admin", 12) == 0 && before && strcmp(before, "active") == 0 && after &&
					strcmp(after, "suspended") == 0 && reason && strcmp(reason, "unpaid invoices") == 0,
				"tenant.suspend is audited with who, before and after: %s",
				entry ? json_object_to_json_string(entry) : "(no entry)");
	json_object_put(details);
	json_object_put(entry);
	entry = latest_audit(token, "tenant.reactivate");
	ITEST_CHECK(entry != NULL, "tenant.reactivate is audited");
	json_object_put(entry);
}

/* ---- user administration ------------------------------------------------- */

/* The id of the built-in profile with this role, as admin_token sees it. */
static int64_t builtin_profile(const char *admin_token, const char *role)
{
	struct api_reply reply;
	int64_t id = 0;
	if (api_call("GET", "/api/v1/profiles?limit=100", NULL, admin_token, NULL, &reply) && reply.status == 200) {
		json_object *items = json_path_get(reply.body, "data");
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			const char *found = json_path_string(json_object_array_get_idx(items, i), "role");
			if (found && strcmp(found, role) == 0)
				json_path_int64(json_object_array_get_idx(items, i), "id", &id);
		}
	}
	api_reply_free(&reply);
	ITEST_CHECK(id > 0, "built-in profile %s found", role);
	return id;
}

/* POST path with body as token; the new resource's data.id, or 0 (checks status). */
static int64_t create_expect(const char *label, const char *path, const char *body, const char *token, long status)
{
	struct api_reply reply;
	int64_t id = 0;
	if (!api_call("POST", path, body, token, NULL, &reply))
		return 0;
	expect_status(label, &reply, status, NULL);
	if (reply.status == 201)
		json_path_int64(reply.body, "data.id", &id);
	api_reply_free(&reply);
	return id;
}

static void users_manage_grants_and_changes_only_what_the_caller_holds(void)
{
	char slug[64], admin_token[TOKEN_MAX], body[512], path[128];
	if (!ITEST_CHECK(find_make_tenant_admin("grant", "Grant Co", admin_password, slug, sizeof slug, admin_token),
					 "make a tenant"))
		return;
	int64_t admin_profile = builtin_profile(admin_token, "tenant_admin");
	int64_t viewer_profile = builtin_profile(admin_token, "viewer");
	/* A helpdesk profile: users.manage and exactly the Viewer's permissions. */
	int64_t helpdesk_profile = create_expect(
		"create the helpdesk profile", "/api/v1/profiles",
		"{\"name\":\"Helpdesk\",\"permissions\":[\"users.manage\",\"finance.view\",\"find.view\",\"hr.view\",\"sales.view\"]}",
		admin_token, 201);
	snprintf(body, sizeof body,
			 "{\"email\":\"desk@%s.test\",\"name\":\"Desk\",\"password\":\"%s\",\"profileId\":%lld}", slug,
			 admin_password, (long long)helpdesk_profile);
	int64_t desk_id = create_expect("the admin creates the helpdesk user", "/api/v1/users", body, admin_token, 201);
	char desk_email[160], desk_token[TOKEN_MAX];
	snprintf(desk_email, sizeof desk_email, "desk@%s.test", slug);
	if (!desk_id || !ITEST_CHECK(api_login(desk_email, admin_password, slug, desk_token, NULL) == 200, "desk login"))
		return;

	/* Lesser role: the helpdesk cannot make a Tenant Admin, nor a second helpdesk... */
	snprintf(body, sizeof body,
			 "{\"email\":\"boss@%s.test\",\"name\":\"Boss\",\"password\":\"%s\",\"profileId\":%lld}", slug,
			 admin_password, (long long)admin_profile);
	struct api_reply reply;
	if (api_call("POST", "/api/v1/users", body, desk_token, NULL, &reply)) {
		expect_status("helpdesk creates a Tenant Admin", &reply, 403, "FORBIDDEN");
		json_object *details = json_path_get(reply.body, "error.details");
		json_object *first = details && json_object_array_length(details) > 0
								 ? json_object_array_get_idx(details, 0) : NULL;
		const char *field = first ? json_path_string(first, "field") : NULL;
		const char *issue = first ? json_path_string(first, "issue") : NULL;
		ITEST_CHECK(field && strcmp(field, "profileId") == 0 && issue && strstr(issue, "audit.view") != NULL,
					"the refusal names profileId and what is lacking: %s", json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	/* ...but can make a Viewer, whose permissions it holds. */
	snprintf(body, sizeof body,
			 "{\"email\":\"peek@%s.test\",\"name\":\"Peek\",\"password\":\"%s\",\"profileId\":%lld}", slug,
			 admin_password, (long long)viewer_profile);
	int64_t peek_id = create_expect("helpdesk creates a Viewer", "/api/v1/users", body, desk_token, 201);
	if (!peek_id)
		return;
	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)peek_id);
	snprintf(body, sizeof body, "{\"profileId\":%lld}", (long long)admin_profile);
	call_expect("helpdesk promotes the Viewer to Tenant Admin", "PATCH", path, body, desk_token, 403, "FORBIDDEN");
	call_expect("helpdesk renames the Viewer", "PATCH", path, "{\"name\":\"Peek Renamed\"}", desk_token, 200, NULL);

	/* The Tenant Admin holds more than the helpdesk: out of its reach. */
	char admin_email[160];
	snprintf(admin_email, sizeof admin_email, "admin@%s.test", slug);
	struct api_reply listing;
	int64_t admin_id = 0;
	snprintf(path, sizeof path, "/api/v1/users?q=admin%%40&limit=5");
	if (api_call("GET", path, NULL, admin_token, NULL, &listing) && listing.status == 200) {
		json_object *items = json_path_get(listing.body, "data");
		if (items && json_object_array_length(items) > 0)
			json_path_int64(json_object_array_get_idx(items, 0), "id", &admin_id);
		api_reply_free(&listing);
	}
	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)admin_id);
	call_expect("helpdesk deactivates the Tenant Admin", "PATCH", path, "{\"status\":\"deactivated\"}", desk_token, 403,
				"FORBIDDEN");
	call_expect("helpdesk DELETEs the Tenant Admin", "DELETE", path, NULL, desk_token, 403, "FORBIDDEN");
	call_expect("the Tenant Admin is still active", "GET", "/api/v1/auth/me", NULL, admin_token, 200, NULL);
	/* The Tenant Admin holds everything: it changes the helpdesk freely. */
	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)desk_id);
	snprintf(body, sizeof body, "{\"profileId\":%lld}", (long long)viewer_profile);
	call_expect("the admin moves the helpdesk to Viewer", "PATCH", path, body, admin_token, 200, NULL);
	call_expect("the helpdesk's next request has lost users.manage", "GET", "/api/v1/users", NULL, desk_token, 403,
				"FORBIDDEN");

	json_object *entry = latest_audit(admin_token, "user.update");
	json_object *details = audit_details(entry);
	int64_t before = 0, after = 0;
	ITEST_CHECK(details && json_path_int64(details, "before.profileId", &before) && before == helpdesk_profile &&
					json_path_int64(details, "after.profileId", &after) && after == viewer_profile,
				"user.update records the profile before and after: %s",
				entry ? json_object_to_json_string(entry) : "(none)");
	json_object_put(details);
	json_object_put(entry);
}

/* ---- sessions ------------------------------------------------------------ */

/* Logs in with a User-Agent (the session's device); copies the tokens. */
static bool login_with_device(const char *email, const char *slug, const char *device, char *access,
							  char *refresh)
{
	char body[512], agent[160];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"tenantSlug\":\"%s\"}", email, admin_password,
			 slug);
	snprintf(agent, sizeof agent, "User-Agent: %s", device);
	const char *headers[] = { agent, NULL };
	struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/login", .content_type = "application/json",
		.body = body, .body_length = strlen(body), .extra_headers = headers,
	};
	struct http_response response;
	char error_text[256];
	memset(&response, 0, sizeof response);
	bool sent = http_client_send(&request, &response, error_text, sizeof error_text);
	bool ok = ITEST_CHECK(sent && response.status == 200, "login from %s: %ld %s", device, response.status,
						  sent ? response.body : error_text);
	if (ok) {
		char why[128];
		json_object *parsed = json_parse_whole(response.body, response.body_length, why, sizeof why);
		const char *a = parsed ? json_path_string(parsed, "data.accessToken") : NULL;
		const char *r = parsed ? json_path_string(parsed, "data.refreshToken") : NULL;
		snprintf(access, TOKEN_MAX, "%s", a ? a : "");
		if (refresh != NULL)
			snprintf(refresh, REFRESH_MAX, "%s", r ? r : "");
		if (parsed)
			json_object_put(parsed);
	}
	http_response_free(&response);
	return ok;
}

/* The session of the listing whose device is device, and whether it is current. */
static int64_t session_with_device(json_object *sessions, const char *device, bool *current)
{
	for (size_t i = 0; sessions && i < json_object_array_length(sessions); i++) {
		json_object *item = json_object_array_get_idx(sessions, i);
		const char *found = json_path_string(item, "device");
		if (found && strcmp(found, device) == 0) {
			int64_t id = 0;
			json_path_int64(item, "id", &id);
			json_object *flag = json_path_get(item, "current");
			*current = flag && json_object_get_boolean(flag);
			return id;
		}
	}
	return 0;
}

static void sessions_are_listed_with_device_and_revoked_one_by_one_or_all_but_this_one(void)
{
	char slug[64], token[TOKEN_MAX], email[160];
	char laptop[TOKEN_MAX], phone[TOKEN_MAX], tablet[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX];
	if (!ITEST_CHECK(find_make_tenant_admin("sess", "Sessions Co", admin_password, slug, sizeof slug, token),
					 "make a tenant") ||
		!ITEST_CHECK(find_make_tenant_admin("sess-other", "Other Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "make another tenant"))
		return;
	snprintf(email, sizeof email, "admin@%s.test", slug);
	if (!login_with_device(email, slug, "itest-laptop/1.0", laptop, NULL) ||
		!login_with_device(email, slug, "itest-phone/2.0 (caf\xc3\xa9)", phone, NULL) ||
		!login_with_device(email, slug, "itest-tablet/3.0", tablet, NULL))
		return;
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/auth/sessions", NULL, laptop, NULL, &reply))
		return;
	expect_status("GET /auth/sessions", &reply, 200, NULL);
	json_object *sessions = json_path_get(reply.body, "data");
	bool laptop_current = false, phone_current = true;
	int64_t laptop_id = session_with_device(sessions, "itest-laptop/1.0", &laptop_current);
	int64_t phone_id = session_with_device(sessions, "itest-phone/2.0 (caf?" "?)", &phone_current);
	ITEST_CHECK(laptop_id > 0 && laptop_current, "the laptop's session is listed as the current one");
	ITEST_CHECK(phone_id > 0 && !phone_current, "the phone's session is listed (bytes beyond ASCII as ?), not current");
	json_object *first = sessions ? json_object_array_get_idx(sessions, 0) : NULL;
	ITEST_CHECK(first && json_path_string(first, "address") && json_path_string(first, "createdAt") &&
					json_path_string(first, "lastUsedAt") && json_path_string(first, "expiresAt"),
				"a session shows address, created, last used and end: %s",
				first ? json_object_to_json_string(first) : "(none)");
	api_reply_free(&reply);
	if (phone_id <= 0)
		return;

	char path[96];
	snprintf(path, sizeof path, "/api/v1/auth/sessions/%lld", (long long)phone_id);
	call_expect("another tenant's admin cannot end the phone's session", "DELETE", path, NULL, other_token, 404,
				"NOT_FOUND");
	call_expect("the phone still works", "GET", "/api/v1/auth/me", NULL, phone, 200, NULL);
	call_expect("end the phone's session from the laptop", "DELETE", path, NULL, laptop, 200, NULL);
	call_expect("the phone's token is refused at once", "GET", "/api/v1/auth/me", NULL, phone, 401, "UNAUTHORIZED");
	call_expect("ending it again is 404", "DELETE", path, NULL, laptop, 404, "NOT_FOUND");
	call_expect("a malformed session id is 404", "DELETE", "/api/v1/auth/sessions/abc", NULL, laptop, 404,
				"NOT_FOUND");

	if (api_call("POST", "/api/v1/auth/logout-others", NULL, laptop, NULL, &reply)) {
		expect_status("log out the other sessions", &reply, 200, NULL);
		int64_t revoked = 0;
		json_path_int64(reply.body, "data.revokedSessions", &revoked);
		ITEST_CHECK(revoked >= 2, "logout-others ended the tablet and the admin's first login: %lld",
					(long long)revoked);
		api_reply_free(&reply);
	}
	call_expect("the tablet is logged out", "GET", "/api/v1/auth/me", NULL, tablet, 401, "UNAUTHORIZED");
	call_expect("the laptop goes on", "GET", "/api/v1/auth/me", NULL, laptop, 200, NULL);
	call_expect("the other tenant goes on", "GET", "/api/v1/auth/me", NULL, other_token, 200, NULL);
	if (api_call("GET", "/api/v1/auth/sessions", NULL, laptop, NULL, &reply)) {
		json_object *left = json_path_get(reply.body, "data");
		ITEST_CHECK(left && json_object_array_length(left) == 1, "one session is left: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	json_object *entry = latest_audit(laptop, "auth.session_revoke");
	json_object *details = audit_details(entry);
	int64_t audited = 0;
	ITEST_CHECK(details && json_path_int64(details, "sessionId", &audited) && audited == phone_id,
				"auth.session_revoke names the session: %s", entry ? json_object_to_json_string(entry) : "(none)");
	json_object_put(details);
	json_object_put(entry);
}

/* ---- mail ------------------------------------------------------------------ */

/* The tenant id behind an access token (GET /auth/me). */
static int64_t tenant_id_of(const char *token)
{
	struct api_reply reply;
	int64_t id = 0;
	if (api_call("GET", "/api/v1/auth/me", NULL, token, NULL, &reply) && reply.status == 200)
		json_path_int64(reply.body, "data.tenant.id", &id);
	api_reply_free(&reply);
	return id;
}

/* The newest token starting with "<kind>.<tenant id>." in the captured mail. */
static bool newest_mailed_token(const char *kind, int64_t tenant_id, char *token, size_t token_size)
{
	const char *mail_file = getenv("INTUKA_TEST_MAIL_FILE");
	FILE *file = mail_file ? fopen(mail_file, "r") : NULL;
	if (file == NULL)
		return false;
	char prefix[48], line[1024];
	snprintf(prefix, sizeof prefix, "%s.%lld.", kind, (long long)tenant_id);
	bool found = false;
	while (fgets(line, sizeof line, file) != NULL) {
		char *start = strstr(line, prefix);
		if (start != NULL) {
			start[strcspn(start, " \r\n")] = '\0';
			snprintf(token, token_size, "%s", start);
			found = true;
		}
	}
	fclose(file);
	return found;
}

/* Waits (mail goes out after the response) for a token other than previous. */
static bool wait_for_mailed_token(const char *kind, int64_t tenant_id, const char *previous, char *token,
								  size_t token_size)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		if (newest_mailed_token(kind, tenant_id, token, token_size) && strcmp(token, previous) != 0)
			return true;
		usleep(100 * 1000);
	}
	return ITEST_CHECK(false, "no new %s token of tenant %lld reached the mail command", kind, (long long)tenant_id);
}

/* POST /auth/invitations/accept; the access token on 201 (buffer TOKEN_MAX). */
static long accept_invitation(const char *token, const char *password, char *access)
{
	char body[512];
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"%s\"}", token, password);
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/auth/invitations/accept", body, NULL, NULL, &reply))
		return 0;
	long status = reply.status;
	if (status == 201 && access != NULL) {
		const char *text = json_path_string(reply.body, "data.accessToken");
		snprintf(access, TOKEN_MAX, "%s", text ? text : "");
	}
	api_reply_free(&reply);
	return status;
}

/* A user made through the API with a built-in role; its id. */
static int64_t make_user(const char *admin_token, const char *slug, const char *local, const char *role)
{
	char body[512];
	snprintf(body, sizeof body, "{\"email\":\"%s@%s.test\",\"name\":\"%s\",\"password\":\"%s\",\"profileId\":%lld}", local,
			 slug, local, admin_password, (long long)builtin_profile(admin_token, role));
	return create_expect("create a user", "/api/v1/users", body, admin_token, 201);
}

/* ---- invitations ----------------------------------------------------------- */

static void invitation_links_are_single_use_72_hours_and_accepting_logs_the_invitee_in(void)
{
	char slug[64], admin_token[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX], body[512], path[128];
	if (!ITEST_CHECK(find_make_tenant_admin("invite", "Invite Co", admin_password, slug, sizeof slug, admin_token),
					 "make a tenant") ||
		!ITEST_CHECK(find_make_tenant_admin("invite-other", "Other Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "make another tenant"))
		return;
	int64_t tenant_id = tenant_id_of(admin_token);
	int64_t user_profile = builtin_profile(admin_token, "user");
	snprintf(body, sizeof body, "{\"email\":\"Newbie@%s.test\",\"name\":\"Newbie\",\"profileId\":%lld}", slug,
			 (long long)user_profile);
	int64_t invitation_id = create_expect("invite", "/api/v1/invitations", body, admin_token, 201);
	char first_token[128] = "", second_token[128] = "";
	if (!invitation_id || !wait_for_mailed_token("iv1", tenant_id, "", first_token, sizeof first_token))
		return;
	create_expect("the same address again", "/api/v1/invitations", body, admin_token, 409);
	snprintf(body, sizeof body, "{\"email\":\"admin@%s.test\",\"profileId\":%lld}", slug, (long long)user_profile);
	create_expect("an address that is already a user", "/api/v1/invitations", body, admin_token, 409);
	snprintf(body, sizeof body, "{\"email\":\"x@%s.test\",\"profileId\":999999999}", slug);
	create_expect("a profile that is not the tenant's", "/api/v1/invitations", body, admin_token, 422);

	snprintf(path, sizeof path, "/api/v1/invitations/%lld", (long long)invitation_id);
	call_expect("another tenant cannot see the invitation", "GET", path, NULL, other_token, 404, "NOT_FOUND");
	call_expect("nor revoke it", "DELETE", path, NULL, other_token, 404, "NOT_FOUND");
	/* A lesser role: a Viewer has no users.manage. */
	char viewer_token[TOKEN_MAX], viewer_email[160];
	make_user(admin_token, slug, "viewer", "viewer");
	snprintf(viewer_email, sizeof viewer_email, "viewer@%s.test", slug);
	if (ITEST_CHECK(api_login(viewer_email, admin_password, slug, viewer_token, NULL) == 200, "viewer login")) {
		call_expect("a Viewer lists invitations", "GET", "/api/v1/invitations", NULL, viewer_token, 403, "FORBIDDEN");
		snprintf(body, sizeof body, "{\"email\":\"v@%s.test\",\"profileId\":%lld}", slug, (long long)user_profile);
		call_expect("a Viewer invites", "POST", "/api/v1/invitations", body, viewer_token, 403, "FORBIDDEN");
	}

	/* Resend: a new link, the old one stops working. */
	snprintf(path, sizeof path, "/api/v1/invitations/%lld/resend", (long long)invitation_id);
	call_expect("resend", "POST", path, NULL, admin_token, 200, NULL);
	if (!wait_for_mailed_token("iv1", tenant_id, first_token, second_token, sizeof second_token))
		return;
	ITEST_CHECK(accept_invitation(first_token, "newbie-password-1", NULL) == 400, "the first link no longer works");
	char newbie_token[TOKEN_MAX];
	ITEST_CHECK(accept_invitation(second_token, "short", NULL) == 400, "a too short password is refused");
	if (!ITEST_CHECK(accept_invitation(second_token, "newbie-password-1", newbie_token) == 201,
					 "the new link creates the user and logs them in"))
		return;
	struct api_reply reply;
	if (api_call("GET", "/api/v1/auth/me", NULL, newbie_token, NULL, &reply)) {
		expect_status("the invitee's token", &reply, 200, NULL);
		const char *email = json_path_string(reply.body, "data.email");
		const char *profile = json_path_string(reply.body, "data.profile.name");
		char expected[160];
		snprintf(expected, sizeof expected, "newbie@%s.test", slug);
		ITEST_CHECK(email && strcmp(email, expected) == 0 && profile && strcmp(profile, "User") == 0,
					"the invitee is %s with the invitation's profile: %s", expected,
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	ITEST_CHECK(accept_invitation(second_token, "newbie-password-2", NULL) == 400, "the link works once");
	char newbie_email[160];
	snprintf(newbie_email, sizeof newbie_email, "newbie@%s.test", slug);
	ITEST_CHECK(api_login(newbie_email, "newbie-password-1", slug, NULL, NULL) == 200,
				"the invitee logs in with the chosen password");
	snprintf(path, sizeof path, "/api/v1/invitations/%lld", (long long)invitation_id);
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		const char *status = json_path_string(reply.body, "data.status");
		int64_t user_id = 0, sent = 0;
		ITEST_CHECK(status && strcmp(status, "accepted") == 0 && json_path_int64(reply.body, "data.userId", &user_id) &&
						user_id > 0 && json_path_int64(reply.body, "data.sentCount", &sent) && sent == 2,
					"the invitation is accepted, names the user and was sent twice: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	call_expect("an accepted invitation cannot be revoked", "DELETE", path, NULL, admin_token, 422, "UNPROCESSABLE");

	/* Revoked: its link is refused. */
	snprintf(body, sizeof body, "{\"email\":\"gone@%s.test\",\"profileId\":%lld}", slug, (long long)user_profile);
	int64_t revoked_id = create_expect("invite again", "/api/v1/invitations", body, admin_token, 201);
	char revoked_token[128];
	if (revoked_id && wait_for_mailed_token("iv1", tenant_id, second_token, revoked_token, sizeof revoked_token)) {
		snprintf(path, sizeof path, "/api/v1/invitations/%lld", (long long)revoked_id);
		call_expect("revoke", "DELETE", path, NULL, admin_token, 200, NULL);
		ITEST_CHECK(accept_invitation(revoked_token, "gone-password-1", NULL) == 400, "a revoked link is refused");
		snprintf(path, sizeof path, "/api/v1/invitations/%lld/resend", (long long)revoked_id);
		call_expect("a revoked invitation is not resent", "POST", path, NULL, admin_token, 422, "UNPROCESSABLE");
	}

	/* Expired after 72 hours (moved back in time here): refused, then resent. */
	if (test_environment_has(test_environment.db_sql_command)) {
		snprintf(body, sizeof body, "{\"email\":\"late@%s.test\",\"profileId\":%lld}", slug, (long long)user_profile);
		int64_t late_id = create_expect("invite a late one", "/api/v1/invitations", body, admin_token, 201);
		char late_token[128], renewed[128], sql[256], out[64];
		if (late_id && wait_for_mailed_token("iv1", tenant_id, revoked_token, late_token, sizeof late_token)) {
			snprintf(sql, sizeof sql,
					 "UPDATE invitations SET expires_at = NOW(3) - INTERVAL 1 SECOND "
					 "WHERE tenant_id = %lld AND invitation_id = %lld", (long long)tenant_id, (long long)late_id);
			stack_sql(sql, out, sizeof out);
			ITEST_CHECK(accept_invitation(late_token, "late-password-1", NULL) == 400, "an expired link is refused");
			snprintf(path, sizeof path, "/api/v1/invitations?status=expired");
			if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
				int64_t total = 0;
				json_path_int64(reply.body, "pagination.total", &total);
				ITEST_CHECK(total == 1, "one expired invitation is listed: %lld", (long long)total);
				api_reply_free(&reply);
			}
			snprintf(path, sizeof path, "/api/v1/invitations/%lld/resend", (long long)late_id);
			call_expect("resend an expired invitation", "POST", path, NULL, admin_token, 200, NULL);
			if (wait_for_mailed_token("iv1", tenant_id, late_token, renewed, sizeof renewed))
				ITEST_CHECK(accept_invitation(renewed, "late-password-1", NULL) == 201, "the renewed link works");
		}
	}

	json_object *entry = latest_audit(admin_token, "invitation.accept");
	json_object *details = audit_details(entry);
	const char *after = details ? json_path_string(details, "after.status") : NULL;
	ITEST_CHECK(after && strcmp(after, "accepted") == 0, "invitation.accept is audited: %s",
				entry ? json_object_to_json_string(entry) : "(none)");
	json_object_put(details);
	json_object_put(entry);
	entry = latest_audit(admin_token, "invitation.revoke");
	ITEST_CHECK(entry != NULL, "invitation.revoke is audited");
	json_object_put(entry);
}

static void an_invitation_carries_only_a_profile_the_inviter_holds(void)
{
	char slug[64], admin_token[TOKEN_MAX], body[512];
	if (!ITEST_CHECK(find_make_tenant_admin("invgrant", "Grant Co", admin_password, slug, sizeof slug, admin_token),
					 "make a tenant"))
		return;
	int64_t helpdesk_profile = create_expect(
		"create the helpdesk profile", "/api/v1/profiles",
		"{\"name\":\"Helpdesk\",\"permissions\":[\"users.manage\",\"finance.view\",\"find.view\",\"hr.view\",\"sales.view\"]}",
		admin_token, 201);
	snprintf(body, sizeof body, "{\"email\":\"desk@%s.test\",\"name\":\"Desk\",\"password\":\"%s\",\"profileId\":%lld}",
			 slug, admin_password, (long long)helpdesk_profile);
	create_expect("the helpdesk user", "/api/v1/users", body, admin_token, 201);
	char desk_email[160], desk_token[TOKEN_MAX];
	snprintf(desk_email, sizeof desk_email, "desk@%s.test", slug);
	if (!ITEST_CHECK(api_login(desk_email, admin_password, slug, desk_token, NULL) == 200, "desk login"))
		return;
	snprintf(body, sizeof body, "{\"email\":\"boss@%s.test\",\"profileId\":%lld}", slug,
			 (long long)builtin_profile(admin_token, "tenant_admin"));
	call_expect("the helpdesk invites a Tenant Admin", "POST", "/api/v1/invitations", body, desk_token, 403,
				"FORBIDDEN");
	snprintf(body, sizeof body, "{\"email\":\"peek@%s.test\",\"profileId\":%lld}", slug,
			 (long long)builtin_profile(admin_token, "viewer"));
	call_expect("the helpdesk invites a Viewer", "POST", "/api/v1/invitations", body, desk_token, 201, NULL);
}

/* ---- a Tenant Admin's hold on other users ---------------------------------- */

static void forced_reset_ends_sessions_refuses_the_old_password_and_mails_a_link(void)
{
	char slug[64], admin_token[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX], path[128], email[160];
	if (!ITEST_CHECK(find_make_tenant_admin("reset", "Reset Co", admin_password, slug, sizeof slug, admin_token),
					 "make a tenant") ||
		!ITEST_CHECK(find_make_tenant_admin("reset-other", "Other Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "make another tenant"))
		return;
	int64_t tenant_id = tenant_id_of(admin_token);
	int64_t user_id = make_user(admin_token, slug, "clerk", "user");
	make_user(admin_token, slug, "viewer", "viewer");
	snprintf(email, sizeof email, "clerk@%s.test", slug);
	char first[TOKEN_MAX], second[TOKEN_MAX], viewer_token[TOKEN_MAX], viewer_email[160];
	snprintf(viewer_email, sizeof viewer_email, "viewer@%s.test", slug);
	if (!user_id || !ITEST_CHECK(api_login(email, admin_password, slug, first, NULL) == 200, "clerk login") ||
		!ITEST_CHECK(api_login(email, admin_password, slug, second, NULL) == 200, "clerk second login") ||
		!ITEST_CHECK(api_login(viewer_email, admin_password, slug, viewer_token, NULL) == 200, "viewer login"))
		return;
	char before[128] = "";
	newest_mailed_token("pr1", tenant_id, before, sizeof before);
	snprintf(path, sizeof path, "/api/v1/users/%lld/password-reset", (long long)user_id);
	call_expect("a Viewer forces a reset", "POST", path, NULL, viewer_token, 403, "FORBIDDEN");
	call_expect("another tenant's admin forces a reset", "POST", path, NULL, other_token, 404, "NOT_FOUND");
	call_expect("the clerk is untouched so far", "GET", "/api/v1/auth/me", NULL, first, 200, NULL);
	struct api_reply reply;
	if (api_call("POST", path, NULL, admin_token, NULL, &reply)) {
		expect_status("the admin forces a reset", &reply, 200, NULL);
		int64_t revoked = 0;
		json_path_int64(reply.body, "data.revokedSessions", &revoked);
		ITEST_CHECK(revoked == 2, "both of the clerk's sessions ended: %lld", (long long)revoked);
		api_reply_free(&reply);
	}
	call_expect("the clerk's token", "GET", "/api/v1/auth/me", NULL, second, 401, "UNAUTHORIZED");
	ITEST_CHECK(api_login(email, admin_password, slug, NULL, NULL) == 401, "the old password no longer logs in");
	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)user_id);
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		json_object *flag = json_path_get(reply.body, "data.passwordResetRequired");
		ITEST_CHECK(flag && json_object_get_boolean(flag), "the user shows passwordResetRequired: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	char token[128];
	if (!wait_for_mailed_token("pr1", tenant_id, before, token, sizeof token))
		return;
	char body[256];
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"newPassword\":\"clerk-new-password-1\"}", token);
	call_expect("the mailed link resets the password", "POST", "/api/v1/auth/password/reset", body, NULL, 200, NULL);
	call_expect("and works once", "POST", "/api/v1/auth/password/reset", body, NULL, 400, "VALIDATION_ERROR");
	ITEST_CHECK(api_login(email, "clerk-new-password-1", slug, NULL, NULL) == 200, "the new password logs in");
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		json_object *flag = json_path_get(reply.body, "data.passwordResetRequired");
		ITEST_CHECK(flag && !json_object_get_boolean(flag), "the reset cleared passwordResetRequired");
		api_reply_free(&reply);
	}
	/* One's own password has its own route. */
	int64_t admin_id = 0;
	if (api_call("GET", "/api/v1/auth/me", NULL, admin_token, NULL, &reply)) {
		json_path_int64(reply.body, "data.id", &admin_id);
		api_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/api/v1/users/%lld/password-reset", (long long)admin_id);
	call_expect("an admin forces their own reset", "POST", path, NULL, admin_token, 422, "UNPROCESSABLE");
	json_object *entry = latest_audit(admin_token, "user.password_reset_forced");
	json_object *details = audit_details(entry);
	json_object *after = details ? json_path_get(details, "after.passwordResetRequired") : NULL;
	ITEST_CHECK(after && json_object_get_boolean(after), "user.password_reset_forced is audited with before and after: %s",
				entry ? json_object_to_json_string(entry) : "(none)");
	json_object_put(details);
	json_object_put(entry);
}

static void an_admin_lists_and_ends_another_users_sessions(void)
{
	char slug[64], admin_token[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX], path[160], email[160];
	if (!ITEST_CHECK(find_make_tenant_admin("usess", "User Sessions Co", admin_password, slug, sizeof slug,
											admin_token),
					 "make a tenant") ||
		!ITEST_CHECK(find_make_tenant_admin("usess-other", "Other Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "make another tenant"))
		return;
	int64_t user_id = make_user(admin_token, slug, "roamer", "user");
	snprintf(email, sizeof email, "roamer@%s.test", slug);
	char laptop[TOKEN_MAX], phone[TOKEN_MAX], user_token[TOKEN_MAX];
	if (!user_id || !login_with_device(email, slug, "roamer-laptop", laptop, NULL) ||
		!login_with_device(email, slug, "roamer-phone", phone, NULL))
		return;
	snprintf(path, sizeof path, "/api/v1/users/%lld/sessions", (long long)user_id);
	call_expect("another tenant lists the sessions", "GET", path, NULL, other_token, 404, "NOT_FOUND");
	call_expect("another tenant ends them", "DELETE", path, NULL, other_token, 404, "NOT_FOUND");
	struct api_reply reply;
	int64_t phone_id = 0;
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		expect_status("the admin lists the user's sessions", &reply, 200, NULL);
		json_object *sessions = json_path_get(reply.body, "data");
		bool current = true;
		phone_id = session_with_device(sessions, "roamer-phone", &current);
		ITEST_CHECK(sessions && json_object_array_length(sessions) == 2 && phone_id > 0 && !current,
					"two sessions, none the admin's own: %s", json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	/* A lesser role cannot end the sessions of someone above it. */
	if (ITEST_CHECK(api_login(email, admin_password, slug, user_token, NULL) == 200, "the user's own login")) {
		int64_t admin_id = 0;
		if (api_call("GET", "/api/v1/auth/me", NULL, admin_token, NULL, &reply)) {
			json_path_int64(reply.body, "data.id", &admin_id);
			api_reply_free(&reply);
		}
		char admin_path[160];
		snprintf(admin_path, sizeof admin_path, "/api/v1/users/%lld/sessions", (long long)admin_id);
		call_expect("a User ends the admin's sessions", "DELETE", admin_path, NULL, user_token, 403, "FORBIDDEN");
	}
	snprintf(path, sizeof path, "/api/v1/users/%lld/sessions/%lld", (long long)user_id, (long long)phone_id);
	call_expect("the admin ends the phone's session", "DELETE", path, NULL, admin_token, 200, NULL);
	call_expect("the phone is logged out", "GET", "/api/v1/auth/me", NULL, phone, 401, "UNAUTHORIZED");
	call_expect("the laptop is not", "GET", "/api/v1/auth/me", NULL, laptop, 200, NULL);
	call_expect("the same session again", "DELETE", path, NULL, admin_token, 404, "NOT_FOUND");
	snprintf(path, sizeof path, "/api/v1/users/%lld/sessions", (long long)user_id);
	if (api_call("DELETE", path, NULL, admin_token, NULL, &reply)) {
		expect_status("the admin ends every session of the user", &reply, 200, NULL);
		int64_t revoked = 0;
		json_path_int64(reply.body, "data.revokedSessions", &revoked);
		ITEST_CHECK(revoked == 2, "the laptop and the user's own login: %lld", (long long)revoked);
		api_reply_free(&reply);
	}
	call_expect("the laptop is logged out", "GET", "/api/v1/auth/me", NULL, laptop, 401, "UNAUTHORIZED");
	call_expect("the admin is not", "GET", "/api/v1/auth/me", NULL, admin_token, 200, NULL);
	json_object *entry = latest_audit(admin_token, "user.sessions_revoke");
	ITEST_CHECK(entry != NULL, "user.sessions_revoke is audited");
	json_object_put(entry);
}

/* ---- export and deletion from the shell ---------------------------------- */

/* intuka-admin with arguments; exit status, stdout into out (may be NULL). */
static int admin_output(const char *const arguments[], char *out, size_t out_size)
{
	const char *argv[16] = { test_environment.admin_binary, "-c", test_environment.config_file };
	size_t count = 3;
	for (const char *const *argument = arguments; *argument != NULL && count < 15; argument++)
		argv[count++] = *argument;
	argv[count] = NULL;
	struct command_result result;
	if (!command_run(argv, NULL, NULL, &result))
		return -1;
	if (out != NULL)
		snprintf(out, out_size, "%s%s", result.stdout_text, result.stderr_text);
	int status = result.exit_status;
	command_result_free(&result);
	return status;
}

/* Lines of a file, or -1 when it cannot be read. */
static long file_lines(const char *path, const char *must_contain, bool *contains)
{
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return -1;
	long lines = 0;
	char line[8192];
	*contains = must_contain == NULL;
	while (fgets(line, sizeof line, file) != NULL) {
		lines += strchr(line, '\n') != NULL;
		if (must_contain != NULL && strstr(line, must_contain) != NULL)
			*contains = true;
	}
	fclose(file);
	return lines;
}

/* The rows the tenant still has in every table the delete report named. */
static long remaining_rows(const char *report, int64_t tenant_id)
{
	char sql[8192] = "SELECT 0", line[128];
	size_t used = strlen(sql);
	for (const char *cursor = report; cursor && *cursor; cursor = strchr(cursor, '\n'), cursor = cursor ? cursor + 1 : NULL) {
		size_t length = strcspn(cursor, "\t\n");
		if (cursor[length] != '\t' || length == 0 || length >= 64 || strncmp(cursor, "TABLE", 5) == 0)
			continue;
		snprintf(line, sizeof line, "%.*s", (int)length, cursor);
		used += (size_t)snprintf(sql + used, sizeof sql - used, " + (SELECT COUNT(*) FROM %s WHERE tenant_id = %lld)",
								 line, (long long)tenant_id);
	}
	snprintf(sql + used, sizeof sql - used, " + (SELECT COUNT(*) FROM tenants WHERE tenant_id = %lld)",
			 (long long)tenant_id);
	char out[64];
	if (!stack_sql(sql, out, sizeof out))
		return -1;
	return atol(out);
}

static void tenant_export_and_delete_from_the_shell_leave_files_and_no_row(void)
{
	char slug[64], token[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX], email[160];
	if (!ITEST_CHECK(find_make_tenant_admin("gone", "Gone Co", admin_password, slug, sizeof slug, token),
					 "make the tenant to delete") ||
		!ITEST_CHECK(find_make_tenant_admin("stays", "Stays Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "make a tenant that stays"))
		return;
	int64_t tenant_id = tenant_id_of(token);
	snprintf(email, sizeof email, "admin@%s.test", slug);
	create_expect("a lead", "/api/v1/sales/leads", "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}", token, 201);
	char key[128];
	ITEST_CHECK(find_create_key(token, "{\"label\":\"server\",\"keyType\":\"secret\"}", key, sizeof key, NULL, 0) == 201,
				"a find key");
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"later@%s.test\",\"profileId\":%lld}", slug,
			 (long long)builtin_profile(token, "viewer"));
	create_expect("an invitation", "/api/v1/invitations", body, token, 201);

	char base[] = "/tmp/intuka-itest-export-XXXXXX", export_dir[128], delete_dir[128], path[256];
	if (!ITEST_CHECK(mkdtemp(base) != NULL, "a temporary directory"))
		return;
	snprintf(export_dir, sizeof export_dir, "%s/export", base);
	snprintf(delete_dir, sizeof delete_dir, "%s/before-delete", base);
	static char output[16384];
	const char *export_args[] = { "tenant", "export", slug, export_dir, NULL };
	ITEST_CHECK(admin_output(export_args, output, sizeof output) == 0, "tenant export: %.400s", output);
	bool contains = false;
	snprintf(path, sizeof path, "%s/users.jsonl", export_dir);
	ITEST_CHECK(file_lines(path, email, &contains) == 1 && contains, "users.jsonl holds the admin");
	snprintf(path, sizeof path, "%s/sales_leads.jsonl", export_dir);
	ITEST_CHECK(file_lines(path, "Lovelace", &contains) == 1 && contains, "sales_leads.jsonl holds the lead");
	snprintf(path, sizeof path, "%s/find_api_keys.jsonl", export_dir);
	ITEST_CHECK(file_lines(path, "\"key_hash\":\"", &contains) == 1 && contains,
				"find_api_keys.jsonl holds the key, its hash as hex");
	ITEST_CHECK(admin_output(export_args, output, sizeof output) == 1 && strstr(output, "jsonl") != NULL,
				"a second export into the same directory refuses to overwrite: %.300s", output);

	const char *delete_args[] = { "tenant", "delete", slug, "--export-dir", delete_dir, NULL };
	ITEST_CHECK(admin_output(delete_args, output, sizeof output) == 1 && strstr(output, "suspend it first") != NULL,
				"an active tenant is not deleted: %.300s", output);
	call_expect("the active tenant still works", "GET", "/api/v1/auth/me", NULL, token, 200, NULL);
	const char *suspend[] = { "tenant", "suspend", slug, NULL };
	if (!ITEST_CHECK(admin_command(suspend, NULL) == 0, "suspend"))
		return;
	if (!ITEST_CHECK(admin_output(delete_args, output, sizeof output) == 0, "tenant delete: %.600s", output))
		return;
	ITEST_CHECK(strstr(output, "users\t1\t1\n") != NULL && strstr(output, "sales_leads\t1\t1\n") != NULL &&
					strstr(output, "invitations\t1\t1\n") != NULL,
				"the report names each table with rows exported and deleted: %.1500s", output);
	snprintf(path, sizeof path, "%s/users.jsonl", delete_dir);
	ITEST_CHECK(file_lines(path, email, &contains) == 1 && contains, "the export before deletion holds the admin");
	if (test_environment_has(test_environment.db_sql_command))
		ITEST_CHECK(remaining_rows(output, tenant_id) == 0, "no row of the tenant is left in any table");
	ITEST_CHECK(api_login(email, admin_password, slug, NULL, NULL) == 401, "its admin cannot log in");
	call_expect("its token", "GET", "/api/v1/auth/me", NULL, token, 401, "UNAUTHORIZED");
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, key, NULL, NULL) == 401, "its key is gone");
	call_expect("the other tenant is untouched", "GET", "/api/v1/auth/me", NULL, other_token, 200, NULL);
	const char *again[] = { "tenant", "delete", slug, "--export-dir", delete_dir, NULL };
	ITEST_CHECK(admin_output(again, output, sizeof output) == 1, "deleting it again: no such tenant");
	if (test_environment_has(test_environment.db_sql_command)) {
		char sql[256], details[1024];
		snprintf(sql, sizeof sql,
				 "SELECT details FROM audit_log WHERE tenant_id = 0 AND action = 'tenant.delete' AND target_id = '%lld'",
				 (long long)tenant_id);
		if (stack_sql(sql, details, sizeof details))
			ITEST_CHECK(strstr(details, "intuka-admin") != NULL && strstr(details, slug) != NULL &&
							strstr(details, "\"users\":1") != NULL,
						"the operator's log keeps tenant.delete with who, before and the rows: %s", details);
	}
}

/* ---- the operator API ------------------------------------------------------ */

static char operator_key[256];

static bool load_operator_key(void)
{
	if (operator_key[0] != '\0')
		return true;
	return ITEST_CHECK(identity_config_lookup("operator_key", true, operator_key, sizeof operator_key) &&
						   strlen(operator_key) >= 32,
					   "the stack's secrets file holds operator_key");
}

/* A raw call with the operator key; the whole answer (freed by the caller). */
static bool operator_raw(const char *method, const char *path, const char *body, struct http_response *response)
{
	char authorization[320];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", operator_key);
	const char *headers[] = { authorization, NULL };
	struct http_request request = {
		.method = method, .path_and_query = path, .content_type = body ? "application/json" : NULL,
		.body = body, .body_length = body ? strlen(body) : 0, .extra_headers = headers,
	};
	char error_text[256];
	memset(response, 0, sizeof *response);
	return ITEST_CHECK(http_client_send(&request, response, error_text, sizeof error_text), "%s %s: no answer: %s",
					   method, path, error_text);
}

static void operator_api_takes_the_operator_key_and_nothing_else(void)
{
	char slug[64], token[TOKEN_MAX], key[128];
	if (!load_operator_key() ||
		!ITEST_CHECK(find_make_tenant_admin("opkey", "Key Co", admin_password, slug, sizeof slug, token),
					 "make a tenant"))
		return;
	ITEST_CHECK(find_create_key(token, "{\"label\":\"server\",\"keyType\":\"secret\"}", key, sizeof key, NULL, 0) == 201,
				"a find key");
	call_expect("no credential", "GET", "/api/v1/operator/tenants", NULL, NULL, 401, "UNAUTHORIZED");
	call_expect("a Tenant Admin's token", "GET", "/api/v1/operator/tenants", NULL, token, 401, "UNAUTHORIZED");
	call_expect("a secret find key", "GET", "/api/v1/operator/tenants", NULL, key, 401, "UNAUTHORIZED");
	char wrong[256];
	snprintf(wrong, sizeof wrong, "%s", operator_key);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	call_expect("a key one character off", "GET", "/api/v1/operator/tenants", NULL, wrong, 401, "UNAUTHORIZED");
	call_expect("the operator key", "GET", "/api/v1/operator/tenants", NULL, operator_key, 200, NULL);
	/* And the operator key opens no tenant's API. */
	call_expect("the operator key on a tenant route", "GET", "/api/v1/users", NULL, operator_key, 401, "UNAUTHORIZED");
	call_expect("the operator key on /auth/me", "GET", "/api/v1/auth/me", NULL, operator_key, 401, "UNAUTHORIZED");
}

/* The first record of a list answer, or NULL. */
static json_object *operator_first(json_object *body)
{
	json_object *items = body ? json_path_get(body, "data") : NULL;
	if (items == NULL || !json_object_is_type(items, json_type_array) || json_object_array_length(items) == 0)
		return NULL;
	return json_object_array_get_idx(items, 0);
}

static void operator_tenants_list_takes_q_fields_and_csv(void)
{
	char slug[64], token[TOKEN_MAX], path[256];
	if (!load_operator_key() ||
		!ITEST_CHECK(find_make_tenant_admin("opq", "Opq Qwerty Co", admin_password, slug, sizeof slug, token),
					 "make a tenant"))
		return;
	struct api_reply reply;
	/* q is a prefix of the slug or the name; fields= keeps id and what it names */
	snprintf(path, sizeof path, "/api/v1/operator/tenants?q=%s&fields=slug,status", slug);
	if (api_call("GET", path, NULL, operator_key, NULL, &reply)) {
		expect_status("tenants by slug", &reply, 200, NULL);
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		json_object *item = operator_first(reply.body);
		const char *found = item ? json_path_string(item, "slug") : NULL;
		ITEST_CHECK(total == 1 && found && strcmp(found, slug) == 0 && json_object_object_length(item) == 3,
					"the tenant alone, as id, slug and status: %s",
					reply.body ? json_object_to_json_string(reply.body) : "");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/operator/tenants?q=opq%20QWERTY", NULL, operator_key, NULL, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		json_object *item = operator_first(reply.body);
		const char *name = item ? json_path_string(item, "name") : NULL;
		ITEST_CHECK(reply.status == 200 && total >= 1 && name && strncmp(name, "Opq Qwerty", 10) == 0,
					"by name, case-insensitively: %s", reply.body ? json_object_to_json_string(reply.body) : "");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/operator/tenants?q=%25", NULL, operator_key, NULL, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(reply.status == 200 && total == 0, "%% matches itself, and no tenant: %lld", (long long)total);
		api_reply_free(&reply);
	}
	call_expect("an unknown field", "GET", "/api/v1/operator/tenants?fields=slug,secret", NULL, operator_key, 400,
				"VALIDATION_ERROR");
	/* the whole filtered set as CSV */
	struct http_response response;
	snprintf(path, sizeof path, "/api/v1/operator/tenants?q=%s&format=csv&fields=slug", slug);
	if (operator_raw("GET", path, NULL, &response)) {
		const char *disposition = http_response_header(&response, "Content-Disposition");
		ITEST_CHECK(response.status == 200 && strncmp(response.body, "id,slug\r\n", 9) == 0 &&
						strstr(response.body, slug) != NULL,
					"a header and the tenant's row: %ld %.300s", response.status, response.body);
		ITEST_CHECK(disposition && strstr(disposition, "tenants.csv"), "file name: %s",
					disposition ? disposition : "none");
		http_response_free(&response);
	}
	/* the tenant's own admin gets none of it */
	call_expect("a Tenant Admin's token", "GET", "/api/v1/operator/tenants?format=csv", NULL, token, 401,
				"UNAUTHORIZED");
	snprintf(path, sizeof path, "/api/v1/operator/tenants?q=%s", slug);
	call_expect("a Tenant Admin's token with q", "GET", path, NULL, token, 401, "UNAUTHORIZED");
}

/* The tenant's new id and its admin's mailed invitation token. */
static bool operator_create_tenant(const char *prefix, char *slug, size_t slug_size, int64_t *tenant_id, char *token,
								   size_t token_size)
{
	identity_unique_slug(prefix, slug, slug_size);
	char body[512];
	snprintf(body, sizeof body,
			 "{\"slug\":\"%s\",\"name\":\"%s Ltd\",\"adminEmail\":\"Owner@%s.test\",\"adminName\":\"Olive Owner\"}", slug,
			 prefix, slug);
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/operator/tenants", body, operator_key, NULL, &reply))
		return false;
	expect_status("POST /operator/tenants", &reply, 201, NULL);
	*tenant_id = 0;
	json_path_int64(reply.body, "data.id", tenant_id);
	const char *status = json_path_string(reply.body, "data.status");
	const char *invited = json_path_string(reply.body, "data.invitation.email");
	char expected[160];
	snprintf(expected, sizeof expected, "owner@%s.test", slug);
	bool ok = ITEST_CHECK(*tenant_id > 0 && status && strcmp(status, "active") == 0 && invited &&
							  strcmp(invited, expected) == 0,
						  "an active tenant and its invited admin: %s",
						  reply.body ? json_object_to_json_string(reply.body) : "");
	api_reply_free(&reply);
	return ok && wait_for_mailed_token("iv1", *tenant_id, "", token, token_size);
}

/* The closing path of the platform: an operator call, then nothing but the
 * tenant's own API from the invitation to an approved invoice. */
static void a_tenant_made_by_the_operator_runs_from_invitation_to_first_invoice(void)
{
	char slug[64], invitation[128], owner[TOKEN_MAX], body[512];
	int64_t tenant_id = 0;
	if (!load_operator_key() || !operator_create_tenant("opnew", slug, sizeof slug, &tenant_id, invitation,
														sizeof invitation))
		return;
	snprintf(body, sizeof body, "{\"slug\":\"%s\",\"name\":\"Again\",\"adminEmail\":\"x@y.test\"}", slug);
	call_expect("the same slug again", "POST", "/api/v1/operator/tenants", body, operator_key, 409, "CONFLICT");
	call_expect("a slug that cannot be a host name", "POST", "/api/v1/operator/tenants",
				"{\"slug\":\"Bad Slug\",\"name\":\"X\",\"adminEmail\":\"x@y.test\"}", operator_key, 400,
				"VALIDATION_ERROR");
	if (!ITEST_CHECK(accept_invitation(invitation, "owner-password-1", owner) == 201, "the owner accepts"))
		return;
	struct api_reply reply;
	if (api_call("GET", "/api/v1/auth/me", NULL, owner, NULL, &reply)) {
		const char *profile = json_path_string(reply.body, "data.profile.name");
		ITEST_CHECK(profile && strcmp(profile, "Tenant Admin") == 0, "the owner is the Tenant Admin: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	/* A colleague who approves: invited as Manager. */
	snprintf(body, sizeof body, "{\"email\":\"approver@%s.test\",\"name\":\"Abe\",\"profileId\":%lld}", slug,
			 (long long)builtin_profile(owner, "manager"));
	char colleague_invitation[128], approver[TOKEN_MAX];
	if (!create_expect("invite the approver", "/api/v1/invitations", body, owner, 201) ||
		!wait_for_mailed_token("iv1", tenant_id, invitation, colleague_invitation, sizeof colleague_invitation) ||
		!ITEST_CHECK(accept_invitation(colleague_invitation, "approver-pass-1", approver) == 201, "the approver accepts"))
		return;
	int64_t invoice = create_expect(
		"the first invoice", "/api/v1/finance/invoices",
		"{\"number\":\"INV-0001\",\"customerName\":\"First Customer\",\"issueDate\":\"2026-03-01\","
		"\"lines\":[{\"description\":\"Setup\",\"quantity\":1,\"unitPrice\":100000,\"taxRateBp\":1950}]}",
		owner, 201);
	if (!invoice)
		return;
	char path[128];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/submit", (long long)invoice);
	call_expect("submit it", "POST", path, NULL, owner, 200, NULL);
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/approve", (long long)invoice);
	call_expect("the approver approves it", "POST", path, NULL, approver, 200, NULL);
	if (api_call("GET", "/api/v1/operator/audit?action=tenant.create&limit=100", NULL, operator_key, NULL, &reply)) {
		expect_status("the operator's audit log", &reply, 200, NULL);
		json_object *items = json_path_get(reply.body, "data");
		bool seen = false;
		char target[32];
		snprintf(target, sizeof target, "%lld", (long long)tenant_id);
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			const char *id = json_path_string(json_object_array_get_idx(items, i), "targetId");
			seen |= id && strcmp(id, target) == 0;
		}
		ITEST_CHECK(seen, "tenant.create of tenant %s is in the operator's log", target);
		api_reply_free(&reply);
	}
}

static void the_operator_suspends_exports_and_deletes_a_tenant(void)
{
	char slug[64], invitation[128], owner[TOKEN_MAX], other_slug[64], other_token[TOKEN_MAX], path[192], body[256];
	int64_t tenant_id = 0;
	if (!load_operator_key() ||
		!operator_create_tenant("opdel", slug, sizeof slug, &tenant_id, invitation, sizeof invitation) ||
		!ITEST_CHECK(accept_invitation(invitation, "owner-password-1", owner) == 201, "the owner accepts") ||
		!ITEST_CHECK(find_make_tenant_admin("opdel-other", "Other Co", admin_password, other_slug, sizeof other_slug,
											other_token),
					 "another tenant"))
		return;
	create_expect("a lead", "/api/v1/sales/leads", "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}", owner, 201);
	char tenant_path[96];
	snprintf(tenant_path, sizeof tenant_path, "/api/v1/operator/tenants/%lld", (long long)tenant_id);

	snprintf(path, sizeof path, "%s/suspend", tenant_path);
	call_expect("suspend", "POST", path, "{\"reason\":\"unpaid\"}", operator_key, 200, NULL);
	call_expect("the owner is refused", "GET", "/api/v1/auth/me", NULL, owner, 403, "TENANT_SUSPENDED");
	call_expect("the other tenant is not", "GET", "/api/v1/auth/me", NULL, other_token, 200, NULL);
	struct api_reply reply;
	if (api_call("GET", tenant_path, NULL, operator_key, NULL, &reply)) {
		const char *status = json_path_string(reply.body, "data.status");
		const char *reason = json_path_string(reply.body, "data.statusReason");
		ITEST_CHECK(status && strcmp(status, "suspended") == 0 && reason && strcmp(reason, "unpaid") == 0,
					"the tenant shows its status and reason: %s", json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}

	/* The export: the tables with their rows, then one table as JSON lines. */
	snprintf(path, sizeof path, "%s/export", tenant_path);
	if (api_call("GET", path, NULL, operator_key, NULL, &reply)) {
		expect_status("the export's tables", &reply, 200, NULL);
		json_object *tables = json_path_get(reply.body, "data.tables");
		int64_t users = -1, leads = -1;
		for (size_t i = 0; tables && i < json_object_array_length(tables); i++) {
			json_object *item = json_object_array_get_idx(tables, i);
			const char *name = json_path_string(item, "table");
			if (name && strcmp(name, "users") == 0)
				json_path_int64(item, "rows", &users);
			if (name && strcmp(name, "sales_leads") == 0)
				json_path_int64(item, "rows", &leads);
		}
		ITEST_CHECK(tables && json_object_array_length(tables) >= 30 && users == 1 && leads == 1,
					"every table is listed with its rows (users %lld, sales_leads %lld)", (long long)users,
					(long long)leads);
		api_reply_free(&reply);
	}
	struct http_response response;
	snprintf(path, sizeof path, "%s/export/sales_leads", tenant_path);
	if (operator_raw("GET", path, NULL, &response)) {
		const char *type = http_response_header(&response, "Content-Type");
		const char *rows = http_response_header(&response, "X-Export-Rows");
		long lines = 0;
		for (size_t i = 0; i < response.body_length; i++)
			lines += response.body[i] == '\n';
		ITEST_CHECK(response.status == 200 && type && strstr(type, "application/x-ndjson") && rows &&
						atol(rows) == 1 && lines == 1 && strstr(response.body, "\"last_name\":\"Lovelace\"") != NULL,
					"sales_leads streams as JSON lines, as many as X-Export-Rows: %ld %s %s %.300s", response.status,
					type ? type : "-", rows ? rows : "-", response.body);
		http_response_free(&response);
	}
	snprintf(path, sizeof path, "%s/export/tenants", tenant_path);
	call_expect("a table that holds no tenant's rows", "GET", path, NULL, operator_key, 404, "NOT_FOUND");

	/* Deletion asks for the slug, and a suspended tenant. */
	call_expect("delete without confirm", "DELETE", tenant_path, NULL, operator_key, 400, "VALIDATION_ERROR");
	snprintf(path, sizeof path, "%s?confirm=%s", tenant_path, other_slug);
	call_expect("delete confirming another slug", "DELETE", path, NULL, operator_key, 400, "VALIDATION_ERROR");
	snprintf(path, sizeof path, "%s/reactivate", tenant_path);
	call_expect("reactivate", "POST", path, NULL, operator_key, 200, NULL);
	call_expect("the owner's same token works again", "GET", "/api/v1/auth/me", NULL, owner, 200, NULL);
	snprintf(path, sizeof path, "%s?confirm=%s", tenant_path, slug);
	call_expect("delete an active tenant", "DELETE", path, NULL, operator_key, 409, "CONFLICT");
	snprintf(body, sizeof body, "%s/suspend", tenant_path);
	call_expect("suspend again", "POST", body, NULL, operator_key, 200, NULL);
	if (!api_call("DELETE", path, NULL, operator_key, NULL, &reply))
		return;
	expect_status("delete", &reply, 200, NULL);
	json_object *tables = json_path_get(reply.body, "data.tables");
	bool balanced = tables != NULL;
	int64_t users_deleted = 0;
	for (size_t i = 0; tables && i < json_object_array_length(tables); i++) {
		json_object *item = json_object_array_get_idx(tables, i);
		int64_t exported = -1, deleted = -2;
		json_path_int64(item, "exported", &exported);
		json_path_int64(item, "deleted", &deleted);
		balanced &= exported == deleted;
		const char *name = json_path_string(item, "table");
		if (name && strcmp(name, "users") == 0)
			users_deleted = deleted;
	}
	ITEST_CHECK(balanced && users_deleted == 1, "every table reports as many rows exported as deleted: %s",
				json_object_to_json_string(reply.body));
	const char *directory = json_path_string(reply.body, "data.exportDirectory");
	char file[512];
	snprintf(file, sizeof file, "%s/users.jsonl", directory ? directory : "/nonexistent");
	bool contains = false;
	char owner_email[160];
	snprintf(owner_email, sizeof owner_email, "owner@%s.test", slug);
	ITEST_CHECK(file_lines(file, owner_email, &contains) == 1 && contains, "the export on the server holds the owner: %s",
				file);
	api_reply_free(&reply);
	call_expect("the tenant is gone", "GET", tenant_path, NULL, operator_key, 404, "NOT_FOUND");
	call_expect("its owner's token", "GET", "/api/v1/auth/me", NULL, owner, 401, "UNAUTHORIZED");
	call_expect("the other tenant", "GET", "/api/v1/auth/me", NULL, other_token, 200, NULL);
	if (test_environment_has(test_environment.db_sql_command)) {
		char rows_sql[64];
		snprintf(rows_sql, sizeof rows_sql, "sessions\t1\t1\nusers\t1\t1\naudit_log\t1\t1\n");
		ITEST_CHECK(remaining_rows(rows_sql, tenant_id) == 0, "no row of the tenant is left");
	}
	if (api_call("GET", "/api/v1/operator/audit?action=tenant.delete&limit=100", NULL, operator_key, NULL, &reply)) {
		json_object *items = json_path_get(reply.body, "data");
		bool seen = false;
		char target[32];
		snprintf(target, sizeof target, "%lld", (long long)tenant_id);
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *item = json_object_array_get_idx(items, i);
			const char *id = json_path_string(item, "targetId");
			const char *details = json_path_string(item, "details");
			seen |= id && strcmp(id, target) == 0 && details && strstr(details, "\"by\":\"operator\"") &&
					strstr(details, slug);
		}
		ITEST_CHECK(seen, "tenant.delete is in the operator's log with who and before");
		api_reply_free(&reply);
	}
}

/* Last of the suite: it uses up the address's allowance of failures. */
static void failed_operator_keys_are_limited_per_address_even_for_the_right_key(void)
{
	if (!load_operator_key())
		return;
	char wrong[300], window_text[16] = "900";
	snprintf(wrong, sizeof wrong, "wrong-%.250s", operator_key);
	identity_config_lookup("operator_rate_window_s", false, window_text, sizeof window_text);
	long last = 0;
	struct api_reply reply;
	/* The limit is 10 failures a window of a few seconds: a window that
	 * ends mid-way (or a slow machine) starts the count again, so go on
	 * past 10 until refused, up to four windows' worth. */
	for (int attempt = 0; attempt < 40 && last != 429; attempt++) {
		if (!api_call("GET", "/api/v1/operator/tenants", NULL, wrong, NULL, &reply))
			return;
		last = reply.status;
		api_reply_free(&reply);
	}
	ITEST_CHECK(last == 429, "wrong keys end in 429, got %ld", last);
	if (api_call("GET", "/api/v1/operator/tenants", NULL, operator_key, NULL, &reply)) {
		expect_status("the right key while limited", &reply, 429, "RATE_LIMITED");
		ITEST_CHECK(reply.retry_after[0] != '\0', "with Retry-After");
		api_reply_free(&reply);
	}
	sleep((unsigned)atoi(window_text) + 1);
	call_expect("the right key after the window", "GET", "/api/v1/operator/tenants", NULL, operator_key, 200, NULL);
}

struct parallel_refresh {
	const char *body;
	pthread_barrier_t *start;
	long status;
	char access[TOKEN_MAX];
	char refresh[REFRESH_MAX];
	char error[256];
};

/* No CUnit in here: the main thread checks what came back. */
static void *parallel_refresh_run(void *argument)
{
	struct parallel_refresh *run = argument;
	struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/refresh", .content_type = "application/json",
		.body = run->body, .body_length = strlen(run->body),
	};
	struct http_response response;
	memset(&response, 0, sizeof response);
	pthread_barrier_wait(run->start);
	if (http_client_send(&request, &response, run->error, sizeof run->error)) {
		run->status = response.status;
		char why[128];
		json_object *parsed = json_parse_whole(response.body, response.body_length, why, sizeof why);
		const char *a = parsed ? json_path_string(parsed, "data.accessToken") : NULL;
		const char *r = parsed ? json_path_string(parsed, "data.refreshToken") : NULL;
		snprintf(run->access, sizeof run->access, "%s", a ? a : "");
		snprintf(run->refresh, sizeof run->refresh, "%s", r ? r : "");
		if (parsed)
			json_object_put(parsed);
	}
	http_response_free(&response);
	return NULL;
}

static void two_refreshes_at_once_get_one_pair_and_a_late_reuse_revokes_the_session(void)
{
	char slug[64], token[TOKEN_MAX], email[160], refresh[REFRESH_MAX];
	if (!ITEST_CHECK(find_make_tenant_admin("tabs", "Tabs Co", admin_password, slug, sizeof slug, token),
					 "make a tenant"))
		return;
	snprintf(email, sizeof email, "admin@%s.test", slug);
	if (!ITEST_CHECK(api_login(email, admin_password, slug, token, refresh) == 200, "login"))
		return;
	char body[256];
	snprintf(body, sizeof body, "{\"refreshToken\":\"%s\"}", refresh);
	enum { TABS = 2 };
	static struct parallel_refresh runs[TABS];
	pthread_t threads[TABS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, TABS);
	for (int i = 0; i < TABS; i++) {
		memset(&runs[i], 0, sizeof runs[i]);
		runs[i].body = body;
		runs[i].start = &start;
		pthread_create(&threads[i], NULL, parallel_refresh_run, &runs[i]);
	}
	for (int i = 0; i < TABS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&start);
	ITEST_CHECK(runs[0].status == 200 && runs[1].status == 200, "both tabs refresh: %ld (%s), %ld (%s)",
				runs[0].status, runs[0].error, runs[1].status, runs[1].error);
	ITEST_CHECK(runs[0].refresh[0] != '\0' && strcmp(runs[0].refresh, runs[1].refresh) == 0 &&
					strcmp(runs[0].access, runs[1].access) == 0 && strcmp(runs[0].refresh, refresh) != 0,
				"both tabs hold the same new pair");
	call_expect("the shared access token works", "GET", "/api/v1/auth/me", NULL, runs[0].access, 200, NULL);

	/* The shared pair goes on: its refresh token exchanges once more. */
	char next_access[TOKEN_MAX], next_refresh[REFRESH_MAX];
	if (!refresh_tokens(runs[0].refresh, 200, next_access, next_refresh))
		return;

	char grace_text[16] = "10";
	identity_config_lookup("refresh_reuse_grace_s", false, grace_text, sizeof grace_text);
	sleep((unsigned)atoi(grace_text) + 1);
	/* The first token again, after the window: a stolen copy. */
	refresh_tokens(refresh, 401, NULL, NULL);
	call_expect("the session's newest access token is revoked", "GET", "/api/v1/auth/me", NULL, next_access, 401,
				"UNAUTHORIZED");
	refresh_tokens(next_refresh, 401, NULL, NULL);
}

bool platform_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("platform", NULL, NULL);
	if (suite == NULL)
		return false;
	const char *no_admin = test_environment_has(test_environment.admin_binary) &&
								   test_environment_has(test_environment.config_file)
							   ? NULL
							   : "INTUKA_TEST_ADMIN or INTUKA_TEST_CONFIG is empty";
	return itest_add_test(suite, "suspended_tenant_gets_403_for_tokens_keys_and_login_until_resumed",
						  suspended_tenant_gets_403_for_tokens_keys_and_login_until_resumed, no_admin) &&
		   itest_add_test(suite, "tenant_export_and_delete_from_the_shell_leave_files_and_no_row",
						  tenant_export_and_delete_from_the_shell_leave_files_and_no_row, no_admin) &&
		   itest_add_test(suite, "users_manage_grants_and_changes_only_what_the_caller_holds",
						  users_manage_grants_and_changes_only_what_the_caller_holds, no_admin) &&
		   itest_add_test(suite, "invitation_links_are_single_use_72_hours_and_accepting_logs_the_invitee_in",
						  invitation_links_are_single_use_72_hours_and_accepting_logs_the_invitee_in, no_admin) &&
		   itest_add_test(suite, "an_invitation_carries_only_a_profile_the_inviter_holds",
						  an_invitation_carries_only_a_profile_the_inviter_holds, no_admin) &&
		   itest_add_test(suite, "forced_reset_ends_sessions_refuses_the_old_password_and_mails_a_link",
						  forced_reset_ends_sessions_refuses_the_old_password_and_mails_a_link, no_admin) &&
		   itest_add_test(suite, "an_admin_lists_and_ends_another_users_sessions",
						  an_admin_lists_and_ends_another_users_sessions, no_admin) &&
		   itest_add_test(suite, "sessions_are_listed_with_device_and_revoked_one_by_one_or_all_but_this_one",
						  sessions_are_listed_with_device_and_revoked_one_by_one_or_all_but_this_one, no_admin) &&
		   itest_add_test(suite, "two_refreshes_at_once_get_one_pair_and_a_late_reuse_revokes_the_session",
						  two_refreshes_at_once_get_one_pair_and_a_late_reuse_revokes_the_session, no_admin) &&
		   itest_add_test(suite, "operator_api_takes_the_operator_key_and_nothing_else",
						  operator_api_takes_the_operator_key_and_nothing_else, no_admin) &&
		   itest_add_test(suite, "operator_tenants_list_takes_q_fields_and_csv",
						  operator_tenants_list_takes_q_fields_and_csv, no_admin) &&
		   itest_add_test(suite, "a_tenant_made_by_the_operator_runs_from_invitation_to_first_invoice",
						  a_tenant_made_by_the_operator_runs_from_invitation_to_first_invoice, no_admin) &&
		   itest_add_test(suite, "the_operator_suspends_exports_and_deletes_a_tenant",
						  the_operator_suspends_exports_and_deletes_a_tenant, no_admin) &&
		   itest_add_test(suite, "failed_operator_keys_are_limited_per_address_even_for_the_right_key",
						  failed_operator_keys_are_limited_per_address_even_for_the_right_key, no_admin);
}

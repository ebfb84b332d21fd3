/*
 * Identity and access over real HTTP: login, tokens, refresh rotation,
 * RBAC, profiles, users, password flows, rate limits and the audit log.
 * The suite creates its own tenants and users (unique per run) with
 * intuka-admin, so it can run again on the same database.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "health_probe.h"
#include "identity_client.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "stack_control.h"
#include "json_path.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097, REFRESH_MAX = 128 };

static char tenant_a[64], tenant_b[64];
static char admin_a[128], viewer_a[128], admin_b[128];
static const char admin_password[] = "correct-horse-battery-1";
static const char viewer_password[] = "viewer-password-22";

static const char *base_domain(void)
{
	const char *value = getenv("INTUKA_TEST_BASE_DOMAIN");
	return value ? value : "";
}

static int identity_suite_init(void)
{
	identity_unique_slug("ida", tenant_a, sizeof tenant_a);
	identity_unique_slug("idb", tenant_b, sizeof tenant_b);
	snprintf(admin_a, sizeof admin_a, "admin@%s.test", tenant_a);
	snprintf(viewer_a, sizeof viewer_a, "viewer@%s.test", tenant_a);
	snprintf(admin_b, sizeof admin_b, "admin@%s.test", tenant_b);
	const char *create_a[] = { "tenant", "create", tenant_a, "Identity A", NULL };
	const char *create_b[] = { "tenant", "create", tenant_b, "Identity B", NULL };
	const char *user_admin_a[] = { "user", "create", tenant_a, admin_a, "--name", "Admin A", NULL };
	const char *user_viewer_a[] = { "user", "create", tenant_a, viewer_a, "--role", "viewer", NULL };
	const char *user_admin_b[] = { "user", "create", tenant_b, admin_b, NULL };
	if (admin_command(create_a, NULL) != 0 || admin_command(create_b, NULL) != 0 ||
		admin_command(user_admin_a, admin_password) != 0 || admin_command(user_viewer_a, viewer_password) != 0 ||
		admin_command(user_admin_b, admin_password) != 0)
		return 1;
	return 0;
}

static bool login_as(const char *email, const char *password, const char *slug, char *access, char *refresh)
{
	long status = api_login(email, password, slug, access, refresh);
	return ITEST_CHECK(status == 200, "login %s: expected 200, got %ld", email, status);
}

/* id of the user with this email, as tenant admin `token` sees it. */
static int64_t user_id_by_email(const char *token, const char *email)
{
	char path[256];
	snprintf(path, sizeof path, "/api/v1/users?q=%s&limit=5", email);
	/* '@' is fine in a query; '+' would not be */
	struct api_reply reply;
	int64_t id = 0;
	if (api_call("GET", path, NULL, token, NULL, &reply) && reply.status == 200) {
		json_object *items = json_path_get(reply.body, "data");
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *item = json_object_array_get_idx(items, i);
			const char *found = json_path_string(item, "email");
			if (found && strcmp(found, email) == 0)
				json_path_int64(item, "id", &id);
		}
	}
	api_reply_free(&reply);
	return id;
}

static void expect_status(const char *label, const struct api_reply *reply, long status, const char *code)
{
	ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld", label, status, reply->status);
	if (code != NULL)
		ITEST_CHECK(strcmp(api_error_code(reply), code) == 0, "%s: expected error %s, got \"%s\"", label, code,
					api_error_code(reply));
}

static void login_issues_tokens_and_me_reports_the_tenant_admin(void)
{
	char access[TOKEN_MAX], refresh[REFRESH_MAX];
	if (!login_as(admin_a, admin_password, tenant_a, access, refresh))
		return;
	ITEST_CHECK(strncmp(access, "eyJ", 3) == 0 && strchr(access, '.') != NULL, "access token is a JWT: %.40s", access);
	ITEST_CHECK(strncmp(refresh, "rt1.", 4) == 0, "refresh token is opaque: %.20s", refresh);
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/auth/me", NULL, access, NULL, &reply))
		return;
	expect_status("GET /auth/me", &reply, 200, NULL);
	const char *email = json_path_string(reply.body, "data.email");
	const char *slug = json_path_string(reply.body, "data.tenant.slug");
	const char *profile = json_path_string(reply.body, "data.profile.name");
	ITEST_CHECK(email && strcmp(email, admin_a) == 0, "me.email = %s", email ? email : "(null)");
	ITEST_CHECK(slug && strcmp(slug, tenant_a) == 0, "me.tenant.slug = %s", slug ? slug : "(null)");
	ITEST_CHECK(profile && strcmp(profile, "Tenant Admin") == 0, "first user is Tenant Admin, got %s",
				profile ? profile : "(null)");
	ITEST_CHECK(reply.rate_remaining[0] != '\0', "authenticated responses carry X-RateLimit-Remaining");
	api_reply_free(&reply);
}

static long timed_login(const char *email, const char *password, const char *slug, double *elapsed_ms)
{
	double started = (double)itest_clock_now_ms();
	long status = api_login(email, password, slug, NULL, NULL);
	*elapsed_ms = (double)itest_clock_now_ms() - started;
	return status;
}

static void login_refusals_look_alike_and_cost_alike(void)
{
	char unknown_email[128];
	snprintf(unknown_email, sizeof unknown_email, "nobody@%s.test", tenant_a);
	double wrong_ms = 0, unknown_ms = 0, tenant_ms = 0;
	long wrong = timed_login(admin_b, "not-the-password", tenant_b, &wrong_ms);
	long unknown = timed_login(unknown_email, "not-the-password", tenant_a, &unknown_ms);
	long other_tenant = timed_login(admin_a, admin_password, "no-such-tenant-zz", &tenant_ms);
	long cross = api_login(admin_a, admin_password, tenant_b, NULL, NULL);
	ITEST_CHECK(wrong == 401 && unknown == 401 && other_tenant == 401 && cross == 401,
				"wrong password %ld, unknown email %ld, unknown tenant %ld, other tenant %ld: all 401", wrong,
				unknown, other_tenant, cross);
	/* Without the dummy hash an unknown email would answer 100x faster. */
	ITEST_CHECK(unknown_ms * 4 >= wrong_ms && tenant_ms * 4 >= wrong_ms,
				"unknown email %.0f ms and unknown tenant %.0f ms take about as long as a wrong password %.0f ms",
				unknown_ms, tenant_ms, wrong_ms);
	struct api_reply a, b;
	if (api_call("POST", "/api/v1/auth/login", "{\"email\":\"x@y.test\",\"password\":\"p\",\"tenantSlug\":\"nope\"}",
				 NULL, NULL, &a) &&
		api_call("POST", "/api/v1/auth/login", "{\"email\":\"x@y.test\",\"password\":\"p\"}", NULL, NULL, &b)) {
		const char *message = json_path_string(a.body, "error.message");
		ITEST_CHECK(message && strcmp(message, "Invalid email or password") == 0, "uniform message, got %s",
					message ? message : "(null)");
		expect_status("login without tenant", &b, 400, "VALIDATION_ERROR");
		api_reply_free(&a);
		api_reply_free(&b);
	}
}

static void eleventh_login_in_the_window_is_429_with_retry_after(void)
{
	char email[128];
	snprintf(email, sizeof email, "brute@%s.test", tenant_a);
	for (int attempt = 1; attempt <= 10; attempt++) {
		long status = api_login(email, "guess-guess", tenant_a, NULL, NULL);
		if (!ITEST_CHECK(status == 401, "attempt %d: expected 401, got %ld", attempt, status))
			return;
	}
	struct api_reply reply;
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"guess-guess\",\"tenantSlug\":\"%s\"}", email, tenant_a);
	if (!api_call("POST", "/api/v1/auth/login", body, NULL, NULL, &reply))
		return;
	expect_status("11th login", &reply, 429, "RATE_LIMITED");
	long retry_after = atol(reply.retry_after);
	ITEST_CHECK(retry_after > 0 && retry_after <= 900, "Retry-After within the 15-minute window: \"%s\"",
				reply.retry_after);
	ITEST_CHECK(strcmp(reply.rate_remaining, "0") == 0, "X-RateLimit-Remaining: 0, got \"%s\"", reply.rate_remaining);
	api_reply_free(&reply);
	/* The same email in another tenant is another account: not limited. */
	long other = api_login(email, "guess-guess", tenant_b, NULL, NULL);
	ITEST_CHECK(other == 401, "other tenant's bucket is separate: expected 401, got %ld", other);
}

static void requests_without_valid_credentials_are_401(void)
{
	static const char *const bad_headers[] = { NULL, "Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer    ", "bearer x.y.z" };
	for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
		const char *headers[2] = { bad_headers[i] ? NULL : NULL, NULL };
		char header_line[128];
		if (bad_headers[i] != NULL) {
			snprintf(header_line, sizeof header_line, "Authorization: %s", bad_headers[i]);
			headers[0] = header_line;
		}
		struct http_request request = { .method = "GET", .path_and_query = "/api/v1/auth/me", .extra_headers = headers };
		struct http_response response;
		char error_text[128];
		memset(&response, 0, sizeof response);
		if (ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text), "GET /auth/me: %s",
						error_text))
			ITEST_CHECK(response.status == 401, "Authorization \"%s\": expected 401, got %ld",
						bad_headers[i] ? bad_headers[i] : "(none)", response.status);
		http_response_free(&response);
	}
}

struct attack_token {
	const char *name;
	char text[6000];
};

/* Builds forged and malformed tokens from a genuine one and the real key. */
static size_t build_attack_tokens(const char *genuine, struct attack_token *tokens, size_t capacity)
{
	size_t count = 0;
	char kid[64];
	unsigned char secret[128];
	size_t secret_length = 0;
	bool have_key = identity_load_signing_key(kid, sizeof kid, secret, &secret_length);
	const unsigned char other_secret[32] = "an-attacker-guessed-this-secret!";
	long long now = (long long)time(NULL);
	char payload[1024], header[256];
	const char *dot1 = strchr(genuine, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL)
		return 0;
	const char *genuine_payload_b64 = dot1 + 1;
	int genuine_payload_length = (int)(dot2 - dot1 - 1);

#define ADD(label, ...) \
	do { \
		if (count < capacity) { \
			tokens[count].name = label; \
			snprintf(tokens[count].text, sizeof tokens[count].text, __VA_ARGS__); \
			count++; \
		} \
	} while (0)
#define ADD_SIGNED(label, header_json, payload_json, key, key_length) \
	do { \
		if (count < capacity) { \
			tokens[count].name = label; \
			identity_sign(header_json, payload_json, key, key_length, tokens[count].text, sizeof tokens[count].text); \
			count++; \
		} \
	} while (0)

	char none_header[128], alg_header[128];
	identity_base64url((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, none_header, sizeof none_header);
	ADD("alg none, empty signature", "%s.%.*s.", none_header, genuine_payload_length, genuine_payload_b64);
	static const char *const algs[] = { "HS384", "HS512", "RS256", "ES256", "PS256", "hs256", "NONE", "" };
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", algs[i], kid);
		identity_base64url((const unsigned char *)header, strlen(header), alg_header, sizeof alg_header);
		ADD(algs[i][0] ? "other alg" : "empty alg", "%s.%s", alg_header, dot1 + 1);
	}
	ADD("signature cut short", "%.*s", (int)strlen(genuine) - 5, genuine);
	ADD("signature of another token", "%.*s.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", (int)(dot2 - genuine), genuine);
	ADD("extra part", "%s.e30", genuine);
	ADD("two parts", "%.*s", (int)(dot2 - genuine), genuine);
	ADD("padding added", "%s=", genuine);
	ADD("space inside", "%.*s %s", 10, genuine, genuine + 10);
	ADD("plus sign", "%.*s+%s", 10, genuine, genuine + 11);
	ADD("slash", "%.*s/%s", 10, genuine, genuine + 11);
	ADD("empty header", "%s", dot1);
	ADD("only dots", "..");
	ADD("garbage", "not-a-token-at-all");
	ADD("json text", "{\"alg\":\"none\"}");
	char huge[5200];
	memset(huge, 'A', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	ADD("5 KiB token", "%s.%s.%s", "eyJhbGciOiJIUzI1NiJ9", huge, "AAAA");
	/* Signed with a key the server does not have. */
	snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	snprintf(payload, sizeof payload,
			 "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}",
			 now, now + 600);
	ADD_SIGNED("signed with a guessed key", header, payload, other_secret, sizeof other_secret);
	ADD_SIGNED("unknown kid", "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"not-a-key\"}", payload, other_secret,
			   sizeof other_secret);
	ADD_SIGNED("no kid", "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, other_secret, sizeof other_secret);
	if (have_key) {
		/* Correct signatures over bad claims: each must still be refused. */
		static const struct {
			const char *name;
			const char *format;
		} claims[] = {
			{ "expired", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "wrong issuer", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"evil\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "wrong audience", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"other\",\"pv\":1,\"sid\":1}" },
			{ "exp missing", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"x\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "exp as string", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":\"%lld\",\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "tid zero", "{\"sub\":\"1\",\"tid\":0,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "tid string", "{\"sub\":\"1\",\"tid\":\"1\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "sub not digits", "{\"sub\":\"admin\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "session that does not exist", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":999999999}" },
			{ "user that does not exist", "{\"sub\":\"999999999\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "tenant that does not exist", "{\"sub\":\"1\",\"tid\":999999999,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "duplicate exp", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":1,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
			{ "payload is an array", "[%lld,%lld]" },
			{ "issued in the future", "{\"sub\":\"1\",\"tid\":1,\"iat\":%lld,\"exp\":%lld,\"jti\":\"x\",\"iss\":\"intuka\",\"aud\":\"intuka-api\",\"pv\":1,\"sid\":1}" },
		};
		for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
			long long iat = now, exp = now + 600;
			if (strcmp(claims[i].name, "expired") == 0) {
				iat = now - 7200;
				exp = now - 3600;
			} else if (strcmp(claims[i].name, "issued in the future") == 0) {
				iat = now + 3600;
				exp = now + 7200;
			}
			/* The formats are the literal table above, each with two %lld. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(payload, sizeof payload, claims[i].format, iat, exp);
#pragma GCC diagnostic pop
			ADD_SIGNED(claims[i].name, header, payload, secret, secret_length);
		}
		ADD_SIGNED("duplicate alg", "{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, secret, secret_length);
		char crit_header[256];
		snprintf(crit_header, sizeof crit_header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\",\"crit\":[\"exp\"]}", kid);
		ADD_SIGNED("crit header", crit_header, payload, secret, secret_length);
		char typ_header[256];
		snprintf(typ_header, sizeof typ_header, "{\"alg\":\"HS256\",\"typ\":\"JWE\",\"kid\":\"%s\"}", kid);
		ADD_SIGNED("typ not JWT", typ_header, payload, secret, secret_length);
	}
#undef ADD
#undef ADD_SIGNED
	return count;
}

static void forged_and_malformed_tokens_are_all_401_and_no_worker_dies(void)
{
	char access[TOKEN_MAX];
	if (!login_as(admin_b, admin_password, tenant_b, access, NULL))
		return;
	pid_t master = 0;
	struct pid_set before = { NULL, 0 }, after = { NULL, 0 };
	char why[128];
	bool have_master = test_environment_has(test_environment.master_pid_file) &&
					   stack_read_master_pid(test_environment.master_pid_file, &master, why, sizeof why) &&
					   stack_list_children(master, &before);
	static struct attack_token tokens[64];
	size_t count = build_attack_tokens(access, tokens, 64);
	ITEST_CHECK(count >= 40, "at least 40 attack tokens, built %zu (is the signing key readable?)", count);
	for (size_t i = 0; i < count; i++) {
		struct api_reply reply;
		if (!ITEST_CHECK(api_call("GET", "/api/v1/auth/me", NULL, tokens[i].text, NULL, &reply),
						 "attack \"%s\": transport failure", tokens[i].name))
			continue;
		ITEST_CHECK(reply.status == 401 && strcmp(api_error_code(&reply), "UNAUTHORIZED") == 0,
					"attack \"%s\": expected 401 UNAUTHORIZED, got %ld %s", tokens[i].name, reply.status,
					api_error_code(&reply));
		api_reply_free(&reply);
	}
	struct api_reply reply;
	if (api_call("GET", "/api/v1/auth/me", NULL, access, NULL, &reply)) {
		expect_status("genuine token after the attack", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (have_master && stack_list_children(master, &after)) {
		char before_text[256], after_text[256];
		ITEST_CHECK(pid_set_equal(&before, &after), "no worker died: before %s, after %s",
					pid_set_format(&before, before_text, sizeof before_text),
					pid_set_format(&after, after_text, sizeof after_text));
	}
	pid_set_free(&before);
	pid_set_free(&after);
}

/* The JSON text of a token's payload part (unpadded base64url), or false. */
static bool token_payload_text(const char *token, char *out, size_t out_size)
{
	const char *start = strchr(token, '.');
	const char *end = start != NULL ? strchr(start + 1, '.') : NULL;
	unsigned long pending = 0;
	unsigned pending_bits = 0;
	size_t used = 0;
	if (end == NULL)
		return false;
	for (const char *cursor = start + 1; cursor < end; cursor++) {
		const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *found = *cursor != '\0' ? strchr(alphabet, *cursor) : NULL;
		if (found == NULL)
			return false;
		pending = (pending << 6) | (unsigned long)(found - alphabet);
		pending_bits += 6;
		if (pending_bits >= 8) {
			pending_bits -= 8;
			if (used + 1 >= out_size)
				return false;
			out[used++] = (char)((pending >> pending_bits) & 0xff);
		}
	}
	out[used] = '\0';
	return used > 0 && out[used - 1] == '}';
}

/* nbf (RFC 7519 4.1.5) is honoured with the leeway of exp: the genuine
 * token's own claims, re-signed with the stack's key, pass without nbf, with
 * nbf in the past and within the leeway (30 s), and are refused with nbf an
 * hour ahead or given as a string. */
static void token_not_yet_valid_by_nbf_is_401(void)
{
	char access[TOKEN_MAX], payload[2048], header[256], kid[64];
	unsigned char secret[128];
	size_t secret_length = 0;
	if (!login_as(admin_b, admin_password, tenant_b, access, NULL))
		return;
	if (!ITEST_CHECK(identity_load_signing_key(kid, sizeof kid, secret, &secret_length),
					 "the stack's signing key should be readable")
		|| !ITEST_CHECK(token_payload_text(access, payload, sizeof payload), "the access token's payload decodes"))
		return;
	snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	payload[strlen(payload) - 1] = '\0'; /* reopen the object */
	long long now = (long long)time(NULL);
	static const struct {
		const char *name;
		const char *member_format; /* appended to the claims; %lld is now plus offset_s */
		long long offset_s;
		long expected_status;
	} cases[] = {
		{ "no nbf, re-signed", "", 0, 200 },
		{ "nbf a minute ago", ",\"nbf\":%lld", -60, 200 },
		{ "nbf 5 s ahead, within the leeway", ",\"nbf\":%lld", 5, 200 },
		{ "nbf an hour ahead", ",\"nbf\":%lld", 3600, 401 },
		{ "nbf as a string", ",\"nbf\":\"%lld\"", -60, 401 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char member[64], claims[2200], token[6000];
		/* The formats are the literal table above, each with at most one %lld. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(member, sizeof member, cases[i].member_format, now + cases[i].offset_s);
#pragma GCC diagnostic pop
		snprintf(claims, sizeof claims, "%s%s}", payload, member);
		identity_sign(header, claims, secret, secret_length, token, sizeof token);
		struct api_reply reply;
		if (!ITEST_CHECK(api_call("GET", "/api/v1/auth/me", NULL, token, NULL, &reply), "%s: transport failure",
						 cases[i].name))
			continue;
		ITEST_CHECK(reply.status == cases[i].expected_status, "%s: expected %ld, got %ld %s", cases[i].name,
					cases[i].expected_status, reply.status, api_error_code(&reply));
		api_reply_free(&reply);
	}
}

static void token_of_one_tenant_on_another_tenants_host_is_refused(void)
{
	char access[TOKEN_MAX];
	if (!login_as(admin_a, admin_password, tenant_a, access, NULL))
		return;
	char own_host[256], other_host[256];
	snprintf(own_host, sizeof own_host, "%s.%s", tenant_a, base_domain());
	snprintf(other_host, sizeof other_host, "%s.%s", tenant_b, base_domain());
	struct api_reply own, other;
	if (!api_call("GET", "/api/v1/auth/me", NULL, access, own_host, &own))
		return;
	if (api_call("GET", "/api/v1/auth/me", NULL, access, other_host, &other)) {
		expect_status("token on its own tenant's host", &own, 200, NULL);
		expect_status("token on another tenant's host", &other, 401, "UNAUTHORIZED");
		api_reply_free(&other);
	}
	api_reply_free(&own);
	/* Login on a tenant host needs no tenantSlug. */
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", admin_a, admin_password);
	struct api_reply login;
	if (api_call("POST", "/api/v1/auth/login", body, NULL, own_host, &login)) {
		expect_status("login by Host subdomain", &login, 200, NULL);
		api_reply_free(&login);
	}
}

static void viewer_is_refused_every_write(void)
{
	char access[TOKEN_MAX];
	if (!login_as(viewer_a, viewer_password, tenant_a, access, NULL))
		return;
	struct api_reply reply;
	static const struct {
		const char *method, *path, *body;
	} writes[] = {
		{ "POST", "/api/v1/users", "{\"email\":\"x@y.test\",\"name\":\"X\",\"password\":\"long-enough-pass\",\"profileId\":1}" },
		{ "PATCH", "/api/v1/users/1", "{\"name\":\"X\"}" },
		{ "DELETE", "/api/v1/users/1", NULL },
		{ "POST", "/api/v1/profiles", "{\"name\":\"P\",\"permissions\":[\"sales.view\"]}" },
		{ "GET", "/api/v1/users", NULL },
		{ "GET", "/api/v1/audit", NULL },
	};
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		if (!api_call(writes[i].method, writes[i].path, writes[i].body, access, NULL, &reply))
			continue;
		ITEST_CHECK(reply.status == 403 && strcmp(api_error_code(&reply), "FORBIDDEN") == 0,
					"viewer %s %s: expected 403 FORBIDDEN, got %ld %s", writes[i].method, writes[i].path,
					reply.status, api_error_code(&reply));
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, access, NULL, &reply)) {
		expect_status("viewer reads own profile", &reply, 200, NULL);
		api_reply_free(&reply);
	}
}

static void another_tenants_users_and_profiles_are_not_found(void)
{
	char token_a[TOKEN_MAX], token_b[TOKEN_MAX];
	if (!login_as(admin_a, admin_password, tenant_a, token_a, NULL) ||
		!login_as(admin_b, admin_password, tenant_b, token_b, NULL))
		return;
	int64_t viewer_id = user_id_by_email(token_a, viewer_a);
	if (!ITEST_CHECK(viewer_id > 0, "tenant A admin finds its viewer"))
		return;
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/profiles", "{\"name\":\"A only\",\"permissions\":[\"sales.view\"]}", token_a, NULL,
				  &reply))
		return;
	int64_t profile_id = 0;
	json_path_int64(reply.body, "data.id", &profile_id);
	expect_status("create profile in A", &reply, 201, NULL);
	api_reply_free(&reply);
	char path[128];
	static const char *const methods[] = { "GET", "PATCH", "DELETE" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)viewer_id);
		if (api_call(methods[i], path, i == 1 ? "{\"name\":\"stolen\"}" : NULL, token_b, NULL, &reply)) {
			ITEST_CHECK(reply.status == 404, "B %s A's user: expected 404, got %ld", methods[i], reply.status);
			api_reply_free(&reply);
		}
		snprintf(path, sizeof path, "/api/v1/profiles/%lld", (long long)profile_id);
		if (api_call(methods[i], path, i == 1 ? "{\"name\":\"stolen\"}" : NULL, token_b, NULL, &reply)) {
			ITEST_CHECK(reply.status == 404, "B %s A's profile: expected 404, got %ld", methods[i], reply.status);
			api_reply_free(&reply);
		}
	}
	/* B cannot give its user A's profile either. */
	int64_t admin_b_id = user_id_by_email(token_b, admin_b);
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"new@%s.test\",\"name\":\"N\",\"password\":\"long-enough-pass\",\"profileId\":%lld}",
			 tenant_b, (long long)profile_id);
	if (api_call("POST", "/api/v1/users", body, token_b, NULL, &reply)) {
		expect_status("B creates a user with A's profile", &reply, 422, "UNPROCESSABLE");
		api_reply_free(&reply);
	}
	ITEST_CHECK(admin_b_id > 0, "B sees its own admin");
}

static void refresh_rotates_and_reuse_after_the_grace_window_revokes_the_whole_family(void)
{
	char access[TOKEN_MAX], refresh[REFRESH_MAX];
	if (!login_as(admin_b, admin_password, tenant_b, access, refresh))
		return;
	char body[256];
	snprintf(body, sizeof body, "{\"refreshToken\":\"%s\"}", refresh);
	struct api_reply first;
	if (!api_call("POST", "/api/v1/auth/refresh", body, NULL, NULL, &first))
		return;
	expect_status("first refresh", &first, 200, NULL);
	const char *next_refresh = json_path_string(first.body, "data.refreshToken");
	const char *next_access = json_path_string(first.body, "data.accessToken");
	char second_refresh[REFRESH_MAX] = "", second_access[TOKEN_MAX] = "";
	snprintf(second_refresh, sizeof second_refresh, "%s", next_refresh ? next_refresh : "");
	snprintf(second_access, sizeof second_access, "%s", next_access ? next_access : "");
	api_reply_free(&first);
	ITEST_CHECK(strcmp(second_refresh, refresh) != 0, "refresh returns a new refresh token");
	struct api_reply reply;
	if (api_call("GET", "/api/v1/auth/me", NULL, second_access, NULL, &reply)) {
		expect_status("new access token works", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	/* Presenting the retired token again at once (two tabs): the same pair. */
	if (api_call("POST", "/api/v1/auth/refresh", body, NULL, NULL, &reply)) {
		expect_status("reuse inside the grace window", &reply, 200, NULL);
		const char *again = json_path_string(reply.body, "data.refreshToken");
		ITEST_CHECK(again && strcmp(again, second_refresh) == 0,
					"reuse inside the grace window answers the pair of the first exchange");
		api_reply_free(&reply);
	}
	/* After the window: refused, and the family ends. */
	char grace_text[16] = "10";
	identity_config_lookup("refresh_reuse_grace_s", false, grace_text, sizeof grace_text);
	sleep((unsigned)atoi(grace_text) + 1);
	if (api_call("POST", "/api/v1/auth/refresh", body, NULL, NULL, &reply)) {
		expect_status("reuse of a retired refresh token after the grace window", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
	snprintf(body, sizeof body, "{\"refreshToken\":\"%s\"}", second_refresh);
	if (api_call("POST", "/api/v1/auth/refresh", body, NULL, NULL, &reply)) {
		expect_status("newest refresh token after reuse", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, second_access, NULL, &reply)) {
		expect_status("access token of the revoked family", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
	if (api_call("POST", "/api/v1/auth/refresh", "{\"refreshToken\":\"rt1.1.garbage\"}", NULL, NULL, &reply)) {
		expect_status("malformed refresh token", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
}

static void profile_change_applies_on_the_next_request(void)
{
	char admin_token[TOKEN_MAX], user_token[TOKEN_MAX];
	if (!login_as(admin_a, admin_password, tenant_a, admin_token, NULL))
		return;
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/profiles", "{\"name\":\"Auditors\",\"permissions\":[\"sales.view\"]}", admin_token,
				  NULL, &reply))
		return;
	int64_t profile_id = 0;
	json_path_int64(reply.body, "data.id", &profile_id);
	api_reply_free(&reply);
	char email[128], body[512];
	snprintf(email, sizeof email, "auditor@%s.test", tenant_a);
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"name\":\"Aud\",\"password\":\"auditor-pass-123\",\"profileId\":%lld}",
			 email, (long long)profile_id);
	if (!api_call("POST", "/api/v1/users", body, admin_token, NULL, &reply))
		return;
	expect_status("create auditor", &reply, 201, NULL);
	api_reply_free(&reply);
	if (!login_as(email, "auditor-pass-123", tenant_a, user_token, NULL))
		return;
	if (api_call("GET", "/api/v1/audit", NULL, user_token, NULL, &reply)) {
		expect_status("auditor before the change", &reply, 403, "FORBIDDEN");
		api_reply_free(&reply);
	}
	char path[64];
	snprintf(path, sizeof path, "/api/v1/profiles/%lld", (long long)profile_id);
	if (api_call("PATCH", path, "{\"permissions\":[\"sales.view\",\"audit.view\"]}", admin_token, NULL, &reply)) {
		expect_status("grant audit.view", &reply, 200, NULL);
		int64_t version = 0;
		json_path_int64(reply.body, "data.version", &version);
		ITEST_CHECK(version == 2, "profile version bumped to 2, got %lld", (long long)version);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/audit", NULL, user_token, NULL, &reply)) {
		expect_status("same token after the change", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("DELETE", path, NULL, admin_token, NULL, &reply)) {
		expect_status("delete a profile in use", &reply, 409, "CONFLICT");
		api_reply_free(&reply);
	}
	if (api_call("PATCH", "/api/v1/profiles/1", "{\"name\":\"Renamed\"}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 403 || reply.status == 404, "built-in or foreign profile 1 cannot change: %ld",
					reply.status);
		api_reply_free(&reply);
	}
}

static void deactivated_user_is_locked_out_at_once(void)
{
	char admin_token[TOKEN_MAX], user_token[TOKEN_MAX];
	if (!login_as(admin_a, admin_password, tenant_a, admin_token, NULL))
		return;
	char email[128], body[512];
	snprintf(email, sizeof email, "leaver@%s.test", tenant_a);
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/profiles?sortBy=name&sortOrder=asc", NULL, admin_token, NULL, &reply))
		return;
	int64_t user_profile = 0;
	json_object *items = json_path_get(reply.body, "data");
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		const char *role = json_path_string(json_object_array_get_idx(items, i), "role");
		if (role && strcmp(role, "user") == 0)
			json_path_int64(json_object_array_get_idx(items, i), "id", &user_profile);
	}
	api_reply_free(&reply);
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"name\":\"Leaver\",\"password\":\"leaver-pass-123\",\"profileId\":%lld}",
			 email, (long long)user_profile);
	if (!api_call("POST", "/api/v1/users", body, admin_token, NULL, &reply))
		return;
	int64_t user_id = 0;
	json_path_int64(reply.body, "data.id", &user_id);
	expect_status("create leaver", &reply, 201, NULL);
	api_reply_free(&reply);
	if (!login_as(email, "leaver-pass-123", tenant_a, user_token, NULL))
		return;
	char path[64];
	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)user_id);
	if (api_call("DELETE", path, NULL, admin_token, NULL, &reply)) {
		expect_status("deactivate", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, user_token, NULL, &reply)) {
		expect_status("deactivated user's token", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
	long status = api_login(email, "leaver-pass-123", tenant_a, NULL, NULL);
	ITEST_CHECK(status == 401, "deactivated user cannot log in: %ld", status);
	if (api_call("DELETE", "/api/v1/users/999999999", NULL, admin_token, NULL, &reply)) {
		expect_status("deactivate unknown user", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
}

static void logout_ends_one_session_and_logout_all_ends_all(void)
{
	char first[TOKEN_MAX], second[TOKEN_MAX], third[TOKEN_MAX];
	if (!login_as(admin_b, admin_password, tenant_b, first, NULL) ||
		!login_as(admin_b, admin_password, tenant_b, second, NULL) ||
		!login_as(admin_b, admin_password, tenant_b, third, NULL))
		return;
	struct api_reply reply;
	if (api_call("POST", "/api/v1/auth/logout", NULL, first, NULL, &reply)) {
		expect_status("logout", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, first, NULL, &reply)) {
		expect_status("token after logout", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, second, NULL, &reply)) {
		expect_status("other session after logout", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("POST", "/api/v1/auth/logout-all", NULL, second, NULL, &reply)) {
		expect_status("logout-all", &reply, 200, NULL);
		int64_t revoked = 0;
		json_path_int64(reply.body, "data.revokedSessions", &revoked);
		ITEST_CHECK(revoked >= 2, "logout-all revoked at least 2 sessions, got %lld", (long long)revoked);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, third, NULL, &reply)) {
		expect_status("third session after logout-all", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
}

/* The newest "pr1." token in the captured mail file. */
static bool last_reset_token(const char *mail_file, char *token, size_t token_size)
{
	FILE *file = fopen(mail_file, "r");
	if (file == NULL)
		return false;
	char line[512];
	bool found = false;
	while (fgets(line, sizeof line, file) != NULL) {
		char *start = strstr(line, "pr1.");
		if (start != NULL) {
			start[strcspn(start, " \r\n")] = '\0';
			snprintf(token, token_size, "%s", start);
			found = true;
		}
	}
	fclose(file);
	return found;
}

/* A hash of the earlier scheme, made as the server once made them. */
static bool legacy_pbkdf2_hash(const char *password, char *out, size_t out_size)
{
	unsigned char salt[16], digest[32], salt_b64[32], digest_b64[48];
	if (RAND_bytes(salt, sizeof salt) != 1 ||
		PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, 1000, EVP_sha256(), sizeof digest,
						  digest) != 1)
		return false;
	EVP_EncodeBlock(salt_b64, salt, sizeof salt);
	EVP_EncodeBlock(digest_b64, digest, sizeof digest);
	snprintf(out, out_size, "$pbkdf2-sha256$i=1000$%s$%s", salt_b64, digest_b64);
	return true;
}

/* An account still holding a PBKDF2 hash logs in, and its hash becomes Argon2id. */
static void login_upgrades_an_earlier_password_hash_to_argon2id(void)
{
	char email[128], legacy[160], sql[1024], stored[512];
	snprintf(email, sizeof email, "legacy@%s.test", tenant_b);
	const char *create[] = { "user", "create", tenant_b, email, NULL };
	if (!ITEST_CHECK(admin_command(create, "legacy-password-1") == 0, "create the legacy user") ||
		!ITEST_CHECK(legacy_pbkdf2_hash("legacy-password-2", legacy, sizeof legacy), "make a PBKDF2 hash"))
		return;
	snprintf(sql, sizeof sql,
			 "UPDATE users u JOIN tenants t ON t.tenant_id = u.tenant_id SET u.password_hash = '%s' "
			 "WHERE t.slug = '%s' AND u.email = '%s'",
			 legacy, tenant_b, email);
	if (!stack_sql(sql, stored, sizeof stored))
		return;
	ITEST_CHECK(api_login(email, "legacy-password-1", tenant_b, NULL, NULL) == 401, "the replaced password is refused");
	ITEST_CHECK(api_login(email, "legacy-password-2", tenant_b, NULL, NULL) == 200, "the PBKDF2 password logs in");
	snprintf(sql, sizeof sql,
			 "SELECT u.password_hash FROM users u JOIN tenants t ON t.tenant_id = u.tenant_id "
			 "WHERE t.slug = '%s' AND u.email = '%s'",
			 tenant_b, email);
	if (!stack_sql(sql, stored, sizeof stored))
		return;
	ITEST_CHECK(strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "after login the hash is Argon2id: %.40s",
				stored);
	ITEST_CHECK(api_login(email, "legacy-password-2", tenant_b, NULL, NULL) == 200, "and the password still works");
	ITEST_CHECK(api_login(email, "legacy-password-3", tenant_b, NULL, NULL) == 401, "a wrong one still does not");
}

static int compare_doubles(const void *a, const void *b)
{
	double left = *(const double *)a, right = *(const double *)b;
	return (left > right) - (left < right);
}

static double median_of(double *values, size_t count)
{
	qsort(values, count, sizeof values[0], compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* Milliseconds one forgot request takes, or -1 when it did not answer 200. */
static double timed_forgot(const char *email)
{
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"tenantSlug\":\"%s\"}", email, tenant_b);
	struct timespec started, ended;
	struct api_reply reply;
	clock_gettime(CLOCK_MONOTONIC, &started);
	bool answered = api_call("POST", "/api/v1/auth/password/forgot", body, NULL, NULL, &reply);
	clock_gettime(CLOCK_MONOTONIC, &ended);
	bool ok = ITEST_CHECK(answered && reply.status == 200, "forgot for %s: %ld", email, reply.status);
	if (answered)
		api_reply_free(&reply);
	return ok ? (double)(ended.tv_sec - started.tv_sec) * 1e3 + (double)(ended.tv_nsec - started.tv_nsec) / 1e6 : -1;
}

/* Bytes in path, or -1 when it cannot be read. */
static long file_size(const char *path)
{
	struct stat status;
	return stat(path, &status) == 0 ? (long)status.st_size : -1;
}

/* The reset token, its row, the audit entry and the mail are made after
 * the answer, so an existing account answers as fast as an unknown one:
 * 30 requests of each, interleaved, compared by their medians. */
static void password_forgot_takes_as_long_for_existing_and_unknown_accounts(void)
{
	enum { ACCOUNTS = 6, PER_ACCOUNT = 5, SAMPLES = ACCOUNTS * PER_ACCOUNT };
	char emails[ACCOUNTS][128];
	for (int i = 0; i < ACCOUNTS; i++) {
		snprintf(emails[i], sizeof emails[i], "timing-%d@%s.test", i, tenant_b);
		const char *create[] = { "user", "create", tenant_b, emails[i], NULL };
		if (!ITEST_CHECK(admin_command(create, "timing-password-123") == 0, "create %s", emails[i]))
			return;
	}
	/* Unknown addresses are asked as often as known ones: a rate bucket's
	 * first request costs more than the next, for either kind. */
	char ghosts[ACCOUNTS][128];
	for (int i = 0; i < ACCOUNTS; i++)
		snprintf(ghosts[i], sizeof ghosts[i], "nobody-%d-%d@%s.test", i, (int)getpid(), tenant_b);
	const char *mail_file = getenv("INTUKA_TEST_MAIL_FILE");
	if (!ITEST_CHECK(mail_file && *mail_file, "INTUKA_TEST_MAIL_FILE names the captured mail"))
		return;
	double existing[SAMPLES], unknown[SAMPLES], difference[SAMPLES];
	for (int i = 0; i < SAMPLES; i++) {
		itest_clock_sleep_ms(30);
		long mail_bytes = file_size(mail_file);
		existing[i] = timed_forgot(emails[i % ACCOUNTS]); /* at most 5 each: the per-account limit */
		/* The work after the answer (token, audit, mail) ends with the mail:
		 * wait for it, so it never competes with the request timed next. */
		for (int waited_ms = 0; waited_ms < 5000 && file_size(mail_file) == mail_bytes; waited_ms += 10)
			itest_clock_sleep_ms(10);
		itest_clock_sleep_ms(30);
		unknown[i] = timed_forgot(ghosts[i % ACCOUNTS]);
		if (existing[i] < 0 || unknown[i] < 0)
			return;
		difference[i] = existing[i] - unknown[i];
	}
	/* Paired differences: neighbouring requests share the machine's load. */
	double difference_median = median_of(difference, SAMPLES);
	double existing_median = median_of(existing, SAMPLES), unknown_median = median_of(unknown, SAMPLES);
	printf("    forgot medians over %d requests each: existing %.3f ms, unknown %.3f ms, paired difference %.3f ms\n",
		   SAMPLES, existing_median, unknown_median, difference_median);
	/* Writing the token and the audit entry before answering made existing
	 * accounts 0.6-1.3 ms slower. */
	/* 0.3 ms, or a fifth of a request on a slower (sanitizer) build. */
	double allowed_ms = unknown_median / 5 > 0.3 ? unknown_median / 5 : 0.3;
	ITEST_CHECK(difference_median < allowed_ms, "existing accounts answer %.3f ms later than unknown ones (allowed %.3f)",
				difference_median, allowed_ms);
}

static void password_forgot_is_uniform_and_a_reset_token_works_once(void)
{
	const char *mail_file = getenv("INTUKA_TEST_MAIL_FILE");
	if (!ITEST_CHECK(mail_file && *mail_file, "INTUKA_TEST_MAIL_FILE names the captured mail"))
		return;
	char email[128], body[256];
	snprintf(email, sizeof email, "forgetful@%s.test", tenant_b);
	const char *create[] = { "user", "create", tenant_b, email, NULL };
	if (!ITEST_CHECK(admin_command(create, "old-password-123") == 0, "create forgetful user"))
		return;
	char before_token[128] = "", older_token[128] = "";
	last_reset_token(mail_file, before_token, sizeof before_token);
	struct api_reply known, unknown;
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"tenantSlug\":\"%s\"}", email, tenant_b);
	/* A first request whose token must die when the second one is used. */
	if (!api_call("POST", "/api/v1/auth/password/forgot", body, NULL, NULL, &known))
		return;
	api_reply_free(&known);
	for (int waited_ms = 0; waited_ms < 5000; waited_ms += 100) {
		if (last_reset_token(mail_file, older_token, sizeof older_token) && strcmp(older_token, before_token) != 0)
			break;
		usleep(100000);
	}
	snprintf(before_token, sizeof before_token, "%s", older_token);
	if (!api_call("POST", "/api/v1/auth/password/forgot", body, NULL, NULL, &known))
		return;
	snprintf(body, sizeof body, "{\"email\":\"ghost@%s.test\",\"tenantSlug\":\"%s\"}", tenant_b, tenant_b);
	if (api_call("POST", "/api/v1/auth/password/forgot", body, NULL, NULL, &unknown)) {
		const char *known_message = json_path_string(known.body, "message");
		const char *unknown_message = json_path_string(unknown.body, "message");
		ITEST_CHECK(known.status == 200 && unknown.status == 200, "forgot answers 200 either way: %ld / %ld",
					known.status, unknown.status);
		ITEST_CHECK(known_message && unknown_message && strcmp(known_message, unknown_message) == 0,
					"same message for known and unknown emails");
		api_reply_free(&unknown);
	}
	api_reply_free(&known);
	char token[128] = "";
	bool delivered = false;
	for (int waited_ms = 0; waited_ms < 5000 && !delivered; waited_ms += 100) {
		delivered = last_reset_token(mail_file, token, sizeof token) && strcmp(token, before_token) != 0;
		if (!delivered)
			usleep(100000);
	}
	if (!ITEST_CHECK(delivered, "a reset mail reached the mail command"))
		return;
	struct api_reply reply;
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"newPassword\":\"brand-new-password-9\"}", token);
	if (api_call("POST", "/api/v1/auth/password/reset", body, NULL, NULL, &reply)) {
		expect_status("reset with the mailed token", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("POST", "/api/v1/auth/password/reset", body, NULL, NULL, &reply)) {
		expect_status("second use of the token", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"newPassword\":\"another-password-8\"}", older_token);
	if (api_call("POST", "/api/v1/auth/password/reset", body, NULL, NULL, &reply)) {
		expect_status("an older reset token after a successful reset", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	ITEST_CHECK(api_login(email, "old-password-123", tenant_b, NULL, NULL) == 401, "old password refused");
	ITEST_CHECK(api_login(email, "brand-new-password-9", tenant_b, NULL, NULL) == 200, "new password accepted");
	if (api_call("POST", "/api/v1/auth/password/reset", "{\"token\":\"pr1.1.short\",\"newPassword\":\"whatever-long-1\"}",
				 NULL, NULL, &reply)) {
		expect_status("malformed reset token", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
}

static void password_change_needs_the_current_one_and_ends_other_sessions(void)
{
	char email[128];
	snprintf(email, sizeof email, "changer@%s.test", tenant_b);
	const char *create[] = { "user", "create", tenant_b, email, NULL };
	if (!ITEST_CHECK(admin_command(create, "changer-pass-1") == 0, "create changer"))
		return;
	char here[TOKEN_MAX], elsewhere[TOKEN_MAX];
	if (!login_as(email, "changer-pass-1", tenant_b, here, NULL) ||
		!login_as(email, "changer-pass-1", tenant_b, elsewhere, NULL))
		return;
	struct api_reply reply;
	if (api_call("POST", "/api/v1/auth/password/change",
				 "{\"currentPassword\":\"wrong-one-here\",\"newPassword\":\"changer-pass-2\"}", here, NULL, &reply)) {
		expect_status("change with a wrong current password", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	if (api_call("POST", "/api/v1/auth/password/change",
				 "{\"currentPassword\":\"changer-pass-1\",\"newPassword\":\"short\"}", here, NULL, &reply)) {
		expect_status("change to a too-short password", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	if (api_call("POST", "/api/v1/auth/password/change",
				 "{\"currentPassword\":\"changer-pass-1\",\"newPassword\":\"changer-pass-2\"}", here, NULL, &reply)) {
		expect_status("change", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, here, NULL, &reply)) {
		expect_status("this session survives", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/auth/me", NULL, elsewhere, NULL, &reply)) {
		expect_status("other session ends", &reply, 401, "UNAUTHORIZED");
		api_reply_free(&reply);
	}
}

/* How many times the response carries a header (any case). */
static size_t header_occurrences(const struct http_response *response, const char *name)
{
	size_t count = 0;
	for (size_t i = 0; i < response->header_count; i++)
		if (strcasecmp(response->headers[i].name, name) == 0)
			count++;
	return count;
}

/*
 * Password change counts its own bucket (login_rate_limit per user, 10 per
 * 15 minutes) after the per-user limit every authenticated route counts
 * (200 a minute): the answer carries one set of X-RateLimit-* headers, the
 * tighter bucket's, not one set per bucket.
 */
static void password_change_answers_one_set_of_rate_headers(void)
{
	char email[128], limit_text[32] = "", access[TOKEN_MAX], authorization[TOKEN_MAX + 32], error_text[256];
	snprintf(email, sizeof email, "rate-headers@%s.test", tenant_b);
	const char *create[] = { "user", "create", tenant_b, email, NULL };
	if (!ITEST_CHECK(admin_command(create, "rate-headers-1") == 0, "create user") ||
		!login_as(email, "rate-headers-1", tenant_b, access, NULL))
		return;
	if (!ITEST_CHECK(identity_config_lookup("login_rate_limit", false, limit_text, sizeof limit_text),
					 "login_rate_limit in the stack's configuration"))
		return;
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", access);
	const char *headers[] = { authorization, NULL };
	static const char body[] = "{\"currentPassword\":\"not-the-current-one\",\"newPassword\":\"rate-headers-2\"}";
	for (int attempt = 1; attempt <= 2; attempt++) {
		struct http_request request = { .method = "POST", .path_and_query = "/api/v1/auth/password/change",
										.content_type = "application/json", .body = body,
										.body_length = sizeof body - 1, .extra_headers = headers };
		struct http_response response;
		memset(&response, 0, sizeof response);
		if (!ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text),
						 "password change: no answer: %s", error_text)) {
			http_response_free(&response);
			return;
		}
		ITEST_CHECK(response.status == 400, "attempt %d with a wrong current password: expected 400, got %ld",
					attempt, response.status);
		static const char *const names[] = { "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset" };
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			ITEST_CHECK(header_occurrences(&response, names[i]) == 1, "attempt %d: %s appears %zu times, expected once",
						attempt, names[i], header_occurrences(&response, names[i]));
		ITEST_CHECK(header_occurrences(&response, "Retry-After") == 0, "attempt %d: no Retry-After on a 400",
					attempt);
		const char *limit = http_response_header(&response, "X-RateLimit-Limit");
		const char *remaining = http_response_header(&response, "X-RateLimit-Remaining");
		ITEST_CHECK(limit != NULL && strcmp(limit, limit_text) == 0,
					"attempt %d: X-RateLimit-Limit is the password change bucket's %s, got \"%s\"", attempt,
					limit_text, limit != NULL ? limit : "(none)");
		ITEST_CHECK(remaining != NULL && atol(remaining) == atol(limit_text) - attempt,
					"attempt %d: X-RateLimit-Remaining %ld, got \"%s\"", attempt, atol(limit_text) - attempt,
					remaining != NULL ? remaining : "(none)");
		http_response_free(&response);
	}
}

static void users_api_validates_input_field_by_field(void)
{
	char token[TOKEN_MAX];
	if (!login_as(admin_b, admin_password, tenant_b, token, NULL))
		return;
	struct api_reply reply;
	if (api_call("POST", "/api/v1/users", "{\"email\":\"not-an-email\",\"password\":\"short\",\"role\":\"god\"}", token,
				 NULL, &reply)) {
		expect_status("bad user body", &reply, 400, "VALIDATION_ERROR");
		json_object *details = json_path_get(reply.body, "error.details");
		size_t count = details ? json_object_array_length(details) : 0;
		/* email shape, password length, name missing, profileId missing, role unknown */
		ITEST_CHECK(count == 5, "one detail per problem: expected 5, got %zu", count);
		api_reply_free(&reply);
	}
	char body[256];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"name\":\"Again\",\"password\":\"long-enough-pass\",\"profileId\":1}",
			 admin_b);
	if (api_call("POST", "/api/v1/users", body, token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 409 || reply.status == 422, "existing email (or foreign profile): %ld", reply.status);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/users?limit=101", NULL, token, NULL, &reply)) {
		expect_status("limit over 100", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/users?sortBy=password_hash", NULL, token, NULL, &reply)) {
		expect_status("sort by a column outside the whitelist", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/users?page=1&limit=1&sortBy=email&sortOrder=asc", NULL, token, NULL, &reply)) {
		expect_status("paged list", &reply, 200, NULL);
		int64_t total = 0, limit = 0;
		json_path_int64(reply.body, "pagination.total", &total);
		json_path_int64(reply.body, "pagination.limit", &limit);
		ITEST_CHECK(total >= 1 && limit == 1, "pagination total %lld limit %lld", (long long)total, (long long)limit);
		api_reply_free(&reply);
	}
}

static void audit_records_logins_and_refresh_reuse_for_admins(void)
{
	char token[TOKEN_MAX];
	if (!login_as(admin_b, admin_password, tenant_b, token, NULL))
		return;
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/audit?action=auth.login&limit=100", NULL, token, NULL, &reply))
		return;
	expect_status("audit list", &reply, 200, NULL);
	json_object *items = json_path_get(reply.body, "data");
	size_t successes = 0, failures = 0;
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		const char *outcome = json_path_string(json_object_array_get_idx(items, i), "outcome");
		successes += outcome && strcmp(outcome, "success") == 0;
		failures += outcome && strcmp(outcome, "failure") == 0;
	}
	ITEST_CHECK(successes >= 1 && failures >= 1, "audit has successful (%zu) and failed (%zu) logins", successes,
				failures);
	api_reply_free(&reply);
	if (api_call("GET", "/api/v1/audit?from=yesterday", NULL, token, NULL, &reply)) {
		expect_status("bad audit filter", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
}

bool identity_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("identity", identity_suite_init, NULL);
	if (suite == NULL)
		return false;
	const char *no_domain = base_domain()[0] ? NULL : "INTUKA_TEST_BASE_DOMAIN is not set";
	return itest_add_test(suite, "login_issues_tokens_and_me_reports_the_tenant_admin",
						  login_issues_tokens_and_me_reports_the_tenant_admin, NULL) &&
		   itest_add_test(suite, "login_refusals_look_alike_and_cost_alike", login_refusals_look_alike_and_cost_alike,
						  NULL) &&
		   itest_add_test(suite, "eleventh_login_in_the_window_is_429_with_retry_after",
						  eleventh_login_in_the_window_is_429_with_retry_after, NULL) &&
		   itest_add_test(suite, "requests_without_valid_credentials_are_401",
						  requests_without_valid_credentials_are_401, NULL) &&
		   itest_add_test(suite, "forged_and_malformed_tokens_are_all_401_and_no_worker_dies",
						  forged_and_malformed_tokens_are_all_401_and_no_worker_dies, NULL) &&
		   itest_add_test(suite, "token_not_yet_valid_by_nbf_is_401", token_not_yet_valid_by_nbf_is_401, NULL) &&
		   itest_add_test(suite, "token_of_one_tenant_on_another_tenants_host_is_refused",
						  token_of_one_tenant_on_another_tenants_host_is_refused, no_domain) &&
		   itest_add_test(suite, "viewer_is_refused_every_write", viewer_is_refused_every_write, NULL) &&
		   itest_add_test(suite, "another_tenants_users_and_profiles_are_not_found",
						  another_tenants_users_and_profiles_are_not_found, NULL) &&
		   itest_add_test(suite, "refresh_rotates_and_reuse_after_the_grace_window_revokes_the_whole_family",
						  refresh_rotates_and_reuse_after_the_grace_window_revokes_the_whole_family, NULL) &&
		   itest_add_test(suite, "profile_change_applies_on_the_next_request",
						  profile_change_applies_on_the_next_request, NULL) &&
		   itest_add_test(suite, "deactivated_user_is_locked_out_at_once", deactivated_user_is_locked_out_at_once,
						  NULL) &&
		   itest_add_test(suite, "logout_ends_one_session_and_logout_all_ends_all",
						  logout_ends_one_session_and_logout_all_ends_all, NULL) &&
		   itest_add_test(suite, "login_upgrades_an_earlier_password_hash_to_argon2id",
						  login_upgrades_an_earlier_password_hash_to_argon2id,
						  test_environment_has(test_environment.db_sql_command) ? NULL
																				: "INTUKA_TEST_DB_SQL_CMD is empty") &&
		   /* A 0.3 ms comparison needs one database server: on a Galera cluster
			* squeezed onto the test machine it would measure the scheduler. The
			* single-server flavours keep it. */
		   itest_add_test(suite, "password_forgot_takes_as_long_for_existing_and_unknown_accounts",
						  password_forgot_takes_as_long_for_existing_and_unknown_accounts,
						  test_environment.db_nodes == 1 ? NULL : "timed on a single database server only") &&
		   itest_add_test(suite, "password_forgot_is_uniform_and_a_reset_token_works_once",
						  password_forgot_is_uniform_and_a_reset_token_works_once, NULL) &&
		   itest_add_test(suite, "password_change_needs_the_current_one_and_ends_other_sessions",
						  password_change_needs_the_current_one_and_ends_other_sessions, NULL) &&
		   itest_add_test(suite, "password_change_answers_one_set_of_rate_headers",
						  password_change_answers_one_set_of_rate_headers, NULL) &&
		   itest_add_test(suite, "users_api_validates_input_field_by_field", users_api_validates_input_field_by_field,
						  NULL) &&
		   itest_add_test(suite, "audit_records_logins_and_refresh_reuse_for_admins",
						  audit_records_logins_and_refresh_reuse_for_admins, NULL);
}

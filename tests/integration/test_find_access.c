/*
 * Suite "find_access": who may use the find API and how much. API key
 * lifecycle, publishable keys (origins, CORS, read-only), workspaces derived
 * from origins, tenant isolation, plans (trial over, inactive), monthly quota
 * and per-key rate limits, and the tierLimits/usage members of the envelope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "parallel_clients.h"
#include "suites.h"
#include "test_environment.h"

#define SHOP_ORIGIN "https://shop.example"
#define SHOP_WORKSPACE "shop-example"

static const char password[] = "find-access-password-1";
/* A: keys and isolation; B: the other tenant; C: plan changes. */
static char tenant_a[64], tenant_b[64], tenant_c[64];
static char admin_a[4097], admin_b[4097], admin_c[4097], viewer_a[4097];
static char secret_a[80], publishable_a[80], secret_b[80], secret_c[80], second_secret_c[80];

static bool set_plan(const char *slug, const char *const extra[])
{
	const char *arguments[24] = { "find-plan", "set", slug, "pro" };
	size_t count = 4;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && count < 23; i++)
		arguments[count++] = extra[i];
	arguments[count] = NULL;
	return admin_command(arguments, NULL) == 0;
}

static bool index_product(const char *key, const char *workspace, const char *id, const char *name)
{
	char body[400];
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"%s\",\"price\":10,\"categories\":[\"test\"]}", id, name);
	struct find_headers headers = { .workspace = workspace };
	struct find_reply reply;
	if (!find_call("POST", "/products", body, key, &headers, &reply))
		return false;
	bool ok = reply.status == 200 || reply.status == 201;
	if (!ok)
		fprintf(stderr, "find_access set-up: index %s: %ld %s\n", id, reply.status,
				reply.body ? json_object_to_json_string(reply.body) : "");
	find_reply_free(&reply);
	return ok;
}

static int find_access_init(void)
{
	if (!find_make_tenant_admin("fka", "Find access", password, tenant_a, sizeof tenant_a, admin_a) ||
		!find_make_tenant_admin("fkb", "Find access", password, tenant_b, sizeof tenant_b, admin_b) ||
		!find_make_tenant_admin("fkc", "Find access", password, tenant_c, sizeof tenant_c, admin_c))
		return 1;
	char email[160];
	snprintf(email, sizeof email, "viewer@%s.test", tenant_a);
	const char *viewer[] = { "user", "create", tenant_a, email, "--role", "viewer", NULL };
	if (admin_command(viewer, password) != 0 || api_login(email, password, tenant_a, viewer_a, NULL) != 200)
		return 1;
	if (find_create_key(admin_a, "{\"label\":\"server\",\"keyType\":\"secret\"}", secret_a, sizeof secret_a, NULL, 0) != 201 ||
		find_create_key(admin_a,
						"{\"label\":\"browser\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"" SHOP_ORIGIN "\"]}",
						publishable_a, sizeof publishable_a, NULL, 0) != 201 ||
		find_create_key(admin_b, "{\"label\":\"server\",\"keyType\":\"secret\"}", secret_b, sizeof secret_b, NULL, 0) != 201 ||
		find_create_key(admin_c, "{\"label\":\"one\",\"keyType\":\"secret\"}", secret_c, sizeof secret_c, NULL, 0) != 201 ||
		find_create_key(admin_c, "{\"label\":\"two\",\"keyType\":\"secret\"}", second_secret_c, sizeof second_secret_c,
						NULL, 0) != 201)
		return 1;
	/* The same client id in two workspaces of A, and once in B. */
	/* A draft in the shop: browsers must never find it. */
	struct find_headers shop = { .workspace = SHOP_WORKSPACE };
	struct find_reply draft;
	if (!find_call("POST", "/products", "{\"id\":\"p-draft\",\"name\":\"Draft Lantern\",\"status\":\"draft\"}",
				   secret_a, &shop, &draft) || draft.status != 200) {
		find_reply_free(&draft);
		return 1;
	}
	find_reply_free(&draft);
	if (!index_product(secret_a, SHOP_WORKSPACE, "p-1", "Shop Lantern") ||
		!index_product(secret_a, "other-store", "p-1", "Other Lantern") ||
		!index_product(secret_b, SHOP_WORKSPACE, "p-b", "Tenant B Lantern") ||
		!index_product(secret_c, "plans", "p-c", "Plan Lantern"))
		return 1;
	return 0;
}

/* ---------------------------------------------------------------- keys */

/* The item of a GET /provision/keys answer (data: an array) with that id. */
static json_object *listed_key(json_object *body, const char *id)
{
	json_object *keys = body ? json_path_get(body, "data") : NULL;
	if (keys == NULL || !json_object_is_type(keys, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		json_object *key = json_object_array_get_idx(keys, i);
		const char *key_id = json_path_string(key, "id");
		if (key_id != NULL && strcmp(key_id, id) == 0)
			return key;
	}
	return NULL;
}

static bool has_member(json_object *object, const char *name)
{
	return object != NULL && json_object_object_get_ex(object, name, NULL);
}

static bool bool_member(json_object *object, const char *name, bool wanted)
{
	json_object *value = NULL;
	return object != NULL && json_object_object_get_ex(object, name, &value) &&
		   json_object_is_type(value, json_type_boolean) && json_object_get_boolean(value) == wanted;
}

/* A POST as the SDK sends revoke and rotate: Content-Type: application/json
 * and no body, with "Content-Length: 0" or with no Content-Length at all. */
static bool post_without_body(const char *path, const char *bearer, bool send_length, struct find_reply *reply)
{
	char authorization[4200], url[512];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
	snprintf(url, sizeof url, "/api/v1/find%s", path);
	/* An empty "Content-Length:" line makes curl leave the header out. */
	const char *lines[] = { authorization, send_length ? NULL : "Content-Length:", NULL };
	struct http_request request = {
		.method = "POST", .path_and_query = url, .content_type = "application/json",
		.body = "", .body_length = 0, .extra_headers = lines,
	};
	struct http_response response;
	char error_text[256], why[128];
	memset(reply, 0, sizeof *reply);
	if (!ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text), "POST %s: %s", path,
					 error_text)) {
		http_response_free(&response);
		return false;
	}
	reply->status = response.status;
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	http_response_free(&response);
	return true;
}

static void key_listing_has_the_sdk_shape(void)
{
	char key[80], id[32], dated_id[32], dated[80];
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"shape\",\"keyType\":\"secret\",\"scopes\":[\"find.view\"]}", key,
								sizeof key, id, sizeof id) == 201, "create");
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"dated\",\"keyType\":\"secret\",\"expiresAt\":\"2037-12-31\"}",
								dated, sizeof dated, dated_id, sizeof dated_id) == 201, "create with an expiry");
	/* Used once, so last_used_at is set. */
	ITEST_CHECK(find_status("GET", "/products/ids", NULL, key, NULL, NULL) == 200, "use the key");
	struct find_reply reply;
	if (!find_call("GET", "/provision/keys", NULL, admin_a, NULL, &reply))
		return;
	json_object *data = reply.body ? json_path_get(reply.body, "data") : NULL;
	ITEST_CHECK(reply.status == 200 && data && json_object_is_type(data, json_type_array) &&
					json_object_array_length(data) >= 2,
				"data is an array of keys: %ld %s", reply.status,
				reply.body ? json_object_to_json_string(reply.body) : "");
	json_object *item = listed_key(reply.body, id);
	const char *name = json_path_string(item, "name"), *prefix = json_path_string(item, "prefix"),
			   *type = json_path_string(item, "type"), *created = json_path_string(item, "created_at"),
			   *used = json_path_string(item, "last_used_at"), *environment = json_path_string(item, "environment"),
			   *status = json_path_string(item, "status");
	json_object *scopes = json_path_get(item, "scopes");
	ITEST_CHECK(item && name && strcmp(name, "shape") == 0 && prefix && strncmp(key, prefix, strlen(prefix)) == 0 &&
					type && strcmp(type, "secret") == 0 && created && strlen(created) >= 20 && used &&
					strlen(used) >= 20 && bool_member(item, "revoked", false),
				"id, name, prefix, type, created_at, last_used_at, revoked: %s",
				item ? json_object_to_json_string(item) : "(not listed)");
	ITEST_CHECK(scopes && json_object_is_type(scopes, json_type_array) && json_object_array_length(scopes) == 1 &&
					strcmp(json_object_get_string(json_object_array_get_idx(scopes, 0)), "find.view") == 0,
				"scopes [find.view]");
	/* Unset optional members are left out: null is not a string. */
	ITEST_CHECK(item && !has_member(item, "expires_at") && !has_member(item, "revoked_at") &&
					!has_member(item, "rotated_at") && !has_member(item, "createdAt") && !has_member(item, "label"),
				"no expires_at/revoked_at/rotated_at when unset, no camelCase twins");
	ITEST_CHECK(environment && strcmp(environment, "live") == 0 && status && strcmp(status, "active") == 0 &&
					json_path_get(item, "allowedOrigins") != NULL,
				"Intuka's own members beside the SDK's");
	json_object *dated_item = listed_key(reply.body, dated_id);
	const char *expires = json_path_string(dated_item, "expires_at");
	ITEST_CHECK(expires && strncmp(expires, "2037-12-31T23:59:59", 19) == 0 && !has_member(dated_item, "last_used_at"),
				"expires_at when set, no last_used_at before any use: %s",
				dated_item ? json_object_to_json_string(dated_item) : "(not listed)");
	find_reply_free(&reply);

	char path[96];
	snprintf(path, sizeof path, "/provision/keys/%s/revoke", dated_id);
	ITEST_CHECK(find_status("POST", path, NULL, admin_a, NULL, NULL) == 200, "revoke");
	if (find_call("GET", "/provision/keys", NULL, admin_a, NULL, &reply)) {
		json_object *revoked = listed_key(reply.body, dated_id);
		const char *revoked_at = json_path_string(revoked, "revoked_at");
		status = json_path_string(revoked, "status");
		ITEST_CHECK(bool_member(revoked, "revoked", true) && revoked_at && status && strcmp(status, "revoked") == 0,
					"a revoked key: revoked true, revoked_at, status revoked: %s",
					revoked ? json_object_to_json_string(revoked) : "(not listed)");
		find_reply_free(&reply);
	}
}

static void key_type_defaults_to_secret(void)
{
	char key[80], id[32];
	struct find_reply reply;
	if (find_call("POST", "/provision/keys", "{\"label\":\"no type\"}", admin_a, NULL, &reply)) {
		const char *text = json_path_string(reply.body, "data.key"), *type = json_path_string(reply.body, "data.type");
		const char *message = json_path_string(reply.body, "data.message"), *prefix = json_path_string(reply.body, "data.prefix");
		ITEST_CHECK(reply.status == 201 && text && strncmp(text, "if_sk_", 6) == 0 && type && strcmp(type, "secret") == 0 &&
						message && message[0] && prefix && strncmp(text, prefix, strlen(prefix)) == 0,
					"no keyType: a secret key {id, key, prefix, type, message}: %ld %s", reply.status,
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	/* What the SDK sends for apiKeys.create() without arguments. */
	ITEST_CHECK(find_create_key(admin_a, "{}", key, sizeof key, id, sizeof id) == 201 && strncmp(key, "if_sk_", 6) == 0,
				"an empty body makes a secret key: %s", key);
	if (find_call("GET", "/provision/keys", NULL, admin_a, NULL, &reply)) {
		const char *name = json_path_string(listed_key(reply.body, id), "name");
		ITEST_CHECK(name && name[0] == '\0', "an unnamed key lists name \"\": %s", name ? name : "(none)");
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("POST", "/provision/keys", "{\"label\":\"\"}", admin_a, NULL, "VALIDATION_ERROR") == 400,
				"a label given empty is still refused");
}

/* apiKeys.revoke and apiKeys.rotate POST with Content-Type: application/json
 * and no body; fetch sends "Content-Length: 0" then, and Intuka takes the
 * request with that header or without any. lighttpd 1.4 answers a POST
 * without Content-Length 411 itself, before Intuka sees it (docs/api.md). */
static void revoke_and_rotate_accept_a_post_without_body(void)
{
	for (int send_length = 1; send_length >= 0; send_length--) {
		char key[80], id[32], path[96];
		ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"bodyless\"}", key, sizeof key, id, sizeof id) == 201, "create");
		struct find_reply reply;
		if (!send_length && strcmp(test_environment.flavour, "lighttpd") == 0) {
			snprintf(path, sizeof path, "/provision/keys/%s/revoke", id);
			if (post_without_body(path, admin_a, false, &reply)) {
				ITEST_CHECK(reply.status == 411, "lighttpd refuses a POST without Content-Length: %ld", reply.status);
				find_reply_free(&reply);
			}
			continue;
		}
		snprintf(path, sizeof path, "/provision/keys/%s/rotate", id);
		if (post_without_body(path, admin_a, send_length, &reply)) {
			const char *text = json_path_string(reply.body, "data.key"), *same = json_path_string(reply.body, "data.id");
			const char *prefix = json_path_string(reply.body, "data.prefix"), *message = json_path_string(reply.body, "data.message");
			ITEST_CHECK(reply.status == 200 && text && strncmp(text, "if_sk_", 6) == 0 && strcmp(text, key) != 0 &&
							same && strcmp(same, id) == 0 && prefix && message && message[0],
						"rotate (%s): {id, key, prefix, message}: %ld %s",
						send_length ? "Content-Length: 0" : "no Content-Length", reply.status,
						reply.body ? json_object_to_json_string(reply.body) : "");
			find_reply_free(&reply);
		}
		snprintf(path, sizeof path, "/provision/keys/%s/revoke", id);
		if (post_without_body(path, admin_a, send_length, &reply)) {
			const char *message = json_path_string(reply.body, "data.message"), *same = json_path_string(reply.body, "data.id");
			ITEST_CHECK(reply.status == 200 && message && strcmp(message, "API key revoked") == 0 && same &&
							strcmp(same, id) == 0,
						"revoke (%s): {message, id}: %ld %s", send_length ? "Content-Length: 0" : "no Content-Length",
						reply.status, reply.body ? json_object_to_json_string(reply.body) : "");
			find_reply_free(&reply);
		}
		if (post_without_body(path, admin_a, send_length, &reply)) {
			const char *message = json_path_string(reply.body, "data.message");
			ITEST_CHECK(reply.status == 200 && message && strcmp(message, "API key was already revoked") == 0,
						"revoking again: %ld %s", reply.status, message ? message : "(none)");
			find_reply_free(&reply);
		}
	}
}

static void key_lifecycle_create_use_rotate_revoke(void)
{
	char key[80], id[32], path[96];
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"lifecycle\",\"keyType\":\"secret\"}", key, sizeof key, id,
								sizeof id) == 201, "create");
	ITEST_CHECK(strncmp(key, "if_sk_", 6) == 0 && strlen(key) >= 6 + 32, "key shape: %s", key);
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, key, NULL, NULL) == 200, "the new key works");

	/* Listings show a prefix, never the key. */
	struct find_reply list;
	if (find_call("GET", "/provision/keys", NULL, admin_a, NULL, &list)) {
		const char *text = list.body ? json_object_to_json_string(list.body) : "";
		ITEST_CHECK(list.status == 200 && strstr(text, key) == NULL && strstr(text, "\"prefix\"") != NULL,
					"list without secrets: %ld", list.status);
		find_reply_free(&list);
	}

	snprintf(path, sizeof path, "/provision/keys/%s/rotate", id);
	struct find_reply rotated;
	char new_key[80] = "";
	if (find_call("POST", path, NULL, admin_a, NULL, &rotated)) {
		const char *text = rotated.body ? json_path_string(rotated.body, "data.key") : NULL;
		const char *same_id = rotated.body ? json_path_string(rotated.body, "data.id") : NULL;
		snprintf(new_key, sizeof new_key, "%s", text ? text : "");
		ITEST_CHECK(rotated.status == 200 && same_id && strcmp(same_id, id) == 0, "rotate: %ld", rotated.status);
		find_reply_free(&rotated);
	}
	ITEST_CHECK(strncmp(new_key, "if_sk_", 6) == 0 && strcmp(new_key, key) != 0, "a different key");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, key, NULL, "UNAUTHORIZED") == 401, "old key 401");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, new_key, NULL, NULL) == 200, "new key 200");

	snprintf(path, sizeof path, "/provision/keys/%s/revoke", id);
	ITEST_CHECK(find_status("POST", path, NULL, new_key, NULL, NULL) == 200, "revoke");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, new_key, NULL, "UNAUTHORIZED") == 401, "revoked 401");
	ITEST_CHECK(find_status("POST", path, NULL, admin_a, NULL, NULL) == 200, "revoking again answers the same");
	snprintf(path, sizeof path, "/provision/keys/%s/rotate", id);
	ITEST_CHECK(find_status("POST", path, NULL, admin_a, NULL, "CONFLICT") == 409, "a revoked key is not rotated");
	ITEST_CHECK(find_status("POST", "/provision/keys/999999999/revoke", NULL, admin_a, NULL, "NOT_FOUND") == 404,
				"unknown key 404");
}

static void key_creation_is_validated(void)
{
	ITEST_CHECK(find_status("POST", "/provision/keys", "{\"label\":\"x\",\"keyType\":\"master\"}", admin_a, NULL,
							"VALIDATION_ERROR") == 400, "unknown type");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"secret\",\"allowedOrigins\":[\"https://a.example\"]}",
							admin_a, NULL, "VALIDATION_ERROR") == 400, "a secret key with origins");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"https://a.example/path\"]}",
							admin_a, NULL, "VALIDATION_ERROR") == 400, "origin with a path");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"secret\",\"expiresAt\":\"2001-01-01\"}", admin_a, NULL,
							"VALIDATION_ERROR") == 400, "expiry in the past");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"secret\",\"expiresAt\":\"2099-01-31\"}", admin_a, NULL,
							"VALIDATION_ERROR") == 400, "expiry past what the database stores");
	ITEST_CHECK(find_status("POST", "/provision/keys", "{\"label\":\"x\",\"keyType\":\"secret\",\"scopes\":[\"sales.view\"]}",
							admin_a, NULL, "VALIDATION_ERROR") == 400, "scope outside the find API");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, viewer_a, NULL, "FORBIDDEN") == 403,
				"a viewer may not manage keys");
}

static void scoped_secret_key_holds_only_its_scopes(void)
{
	char key[80];
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"reader\",\"keyType\":\"secret\",\"scopes\":[\"find.view\"]}", key,
								sizeof key, NULL, 0) == 201, "create scoped key");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, key, NULL, "FORBIDDEN") == 403, "no provisioning");
	struct find_headers headers = { .workspace = SHOP_WORKSPACE };
	ITEST_CHECK(find_status("POST", "/products", "{\"id\":\"x\",\"name\":\"X\"}", key, &headers, "FORBIDDEN") == 403,
				"no writes");
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, key, &headers, NULL) == 200, "reads work");

	/* A key that may provision may not mint or take over a stronger key. */
	char provisioner[80], full[80], full_id[32], path[96];
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"prov\",\"keyType\":\"secret\",\"scopes\":[\"find.provision\"]}",
								provisioner, sizeof provisioner, NULL, 0) == 201, "create provisioning key");
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"full\",\"keyType\":\"secret\"}", full, sizeof full, full_id,
								sizeof full_id) == 201, "create full key");
	ITEST_CHECK(find_status("POST", "/provision/keys", "{\"label\":\"x\",\"keyType\":\"secret\"}", provisioner, NULL,
							"FORBIDDEN") == 403, "no unscoped key from a scoped one");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"secret\",\"scopes\":[\"find.manage\"]}", provisioner, NULL,
							"FORBIDDEN") == 403, "no find.manage key from a find.provision key");
	snprintf(path, sizeof path, "/provision/keys/%s/rotate", full_id);
	ITEST_CHECK(find_status("POST", path, NULL, provisioner, NULL, "FORBIDDEN") == 403, "no rotating a stronger key");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, full, NULL, NULL) == 200, "the stronger key still works");
	ITEST_CHECK(find_status("POST", "/provision/keys",
							"{\"label\":\"x\",\"keyType\":\"secret\",\"scopes\":[\"find.provision\"]}", provisioner, NULL,
							NULL) == 201, "an equal key is fine");
}

static void api_keys_open_only_the_find_api(void)
{
	struct api_reply reply;
	if (api_call("GET", "/api/v1/sales/leads", NULL, secret_a, NULL, &reply)) {
		ITEST_CHECK(reply.status == 401, "a find key on the platform API: %ld", reply.status);
		api_reply_free(&reply);
	}
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, "if_sk_0000000000000000000000000000000000000000", NULL,
							"UNAUTHORIZED") == 401, "unknown key");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, "if_sk_short", NULL, "UNAUTHORIZED") == 401, "malformed key");
}

/* ---------------------------------------------------------------- publishable keys */

static void publishable_key_cannot_write_or_provision(void)
{
	struct find_headers headers = { .origin = SHOP_ORIGIN };
	ITEST_CHECK(find_status("POST", "/products", "{\"id\":\"x\",\"name\":\"X\"}", publishable_a, &headers, "FORBIDDEN") ==
					403, "write with a publishable key");
	ITEST_CHECK(find_status("DELETE", "/products/p-1", NULL, publishable_a, &headers, "FORBIDDEN") == 403,
				"delete with a publishable key");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, publishable_a, &headers, "FORBIDDEN") == 403,
				"provisioning with a publishable key");
}

static void publishable_key_works_only_from_its_origins(void)
{
	struct find_headers good = { .origin = SHOP_ORIGIN }, evil = { .origin = "https://evil.example" },
						none = { 0 };
	struct find_reply reply;
	if (find_call("POST", "/products/search", "{\"text\":\"lantern\"}", publishable_a, &good, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(reply.allow_origin, SHOP_ORIGIN) == 0,
					"registered origin: %ld, Access-Control-Allow-Origin '%s'", reply.status, reply.allow_origin);
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lantern\"}", publishable_a, &evil, "FORBIDDEN") ==
					403, "another origin");
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lantern\"}", publishable_a, &none, "FORBIDDEN") ==
					403, "no origin");
}

static void preflight_is_answered_for_registered_origins_only(void)
{
	struct find_headers good = { .origin = SHOP_ORIGIN, .request_method = "POST" },
						evil = { .origin = "https://evil.example", .request_method = "POST" };
	struct find_reply reply;
	if (find_call("OPTIONS", "/products/search", NULL, NULL, &good, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(reply.allow_origin, SHOP_ORIGIN) == 0,
					"preflight from the shop: %ld '%s'", reply.status, reply.allow_origin);
		find_reply_free(&reply);
	}
	if (find_call("OPTIONS", "/products/search", NULL, NULL, &evil, &reply)) {
		ITEST_CHECK(reply.status == 403 && reply.allow_origin[0] == '\0', "preflight from elsewhere: %ld '%s'",
					reply.status, reply.allow_origin);
		find_reply_free(&reply);
	}
	/* Writes are not for browsers even from a registered origin. */
	ITEST_CHECK(find_status("OPTIONS", "/products", NULL, NULL, &good, "FORBIDDEN") == 403, "preflight of a write");
}

static int result_count_with_id(json_object *body, const char *id, const char *name)
{
	json_object *results = json_path_get(body, "data.results");
	int matches = 0;
	for (size_t i = 0; results && i < json_object_array_length(results); i++) {
		json_object *item = json_object_array_get_idx(results, i);
		const char *item_id = json_path_string(item, "id");
		const char *item_name = json_path_string(item, "name");
		if (item_id && strcmp(item_id, id) == 0 && (name == NULL || (item_name && strcmp(item_name, name) == 0)))
			matches++;
	}
	return matches;
}

static void publishable_key_searches_the_workspace_of_its_origin(void)
{
	struct find_headers headers = { .origin = SHOP_ORIGIN };
	struct find_reply reply;
	if (!find_call("POST", "/products/search", "{\"text\":\"lantern\"}", publishable_a, &headers, &reply))
		return;
	int64_t total = -1;
	json_path_int64(reply.body, "data.total", &total);
	ITEST_CHECK(reply.status == 200 && total == 1 && result_count_with_id(reply.body, "p-1", "Shop Lantern") == 1,
				"only the shop's published lantern: %ld total %lld", reply.status, (long long)total);
	find_reply_free(&reply);
	/* The server side sees the draft too. */
	struct find_headers server = { .workspace = SHOP_WORKSPACE };
	if (!find_call("POST", "/products/search", "{\"text\":\"lantern\"}", secret_a, &server, &reply))
		return;
	json_path_int64(reply.body, "data.total", &total);
	ITEST_CHECK(reply.status == 200 && total == 2 && result_count_with_id(reply.body, "p-draft", NULL) == 1,
				"a secret key finds the draft: %ld total %lld", reply.status, (long long)total);
	find_reply_free(&reply);
}

/* A search with the key from origin: the total, and whether the one result
 * is (id, name); -1 when the call failed or was refused. */
static int64_t search_from(const char *key, const char *origin, const char *id, const char *name, bool *matches,
						   char *allow_origin, size_t allow_origin_size)
{
	struct find_headers headers = { .origin = origin };
	struct find_reply reply;
	*matches = false;
	if (!find_call("POST", "/products/search", "{\"text\":\"lantern\"}", key, &headers, &reply))
		return -1;
	int64_t total = -1;
	if (reply.status == 200)
		json_path_int64(reply.body, "data.total", &total);
	else
		fprintf(stderr, "search from %s: %ld %s\n", origin, reply.status,
				reply.body ? json_object_to_json_string(reply.body) : "");
	*matches = id != NULL && result_count_with_id(reply.body, id, name) == 1;
	if (allow_origin != NULL)
		snprintf(allow_origin, allow_origin_size, "%s", reply.allow_origin);
	find_reply_free(&reply);
	return total;
}

/* A publishable key made without allowedOrigins (the SDK's create request
 * has no such member) works from any site, on that site's workspace only. */
static void publishable_key_without_origins_reads_the_workspace_of_the_calling_site(void)
{
	char key[80], id[32], path[96], allow_origin[256];
	if (!ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"any site\",\"keyType\":\"publishable\"}", key, sizeof key,
									 id, sizeof id) == 201 && strncmp(key, "if_pk_", 6) == 0,
					 "a publishable key without origins is made: %s", key))
		return;
	bool matches = false;
	int64_t total = search_from(key, SHOP_ORIGIN, "p-1", "Shop Lantern", &matches, allow_origin, sizeof allow_origin);
	ITEST_CHECK(total == 1 && matches && strcmp(allow_origin, SHOP_ORIGIN) == 0,
				"from the shop: the shop's published lantern only (not the draft, not tenant B's): total %lld, "
				"Access-Control-Allow-Origin '%s'", (long long)total, allow_origin);
	total = search_from(key, "https://other-store", "p-1", "Other Lantern", &matches, NULL, 0);
	ITEST_CHECK(total == 1 && matches, "from other-store: that workspace's lantern: total %lld", (long long)total);
	total = search_from(key, "https://unknown.example", NULL, NULL, &matches, NULL, 0);
	ITEST_CHECK(total == 0, "from a site with no workspace: nothing: total %lld", (long long)total);

	struct find_headers none = { 0 }, opaque = { .origin = "null" }, shop = { .origin = SHOP_ORIGIN };
	struct find_reply reply;
	if (find_call("POST", "/products/search", "{\"text\":\"lantern\"}", key, &none, &reply)) {
		const char *message = reply.body ? json_path_string(reply.body, "error.message") : NULL;
		ITEST_CHECK(reply.status == 403 && strcmp(find_error_code(&reply), "FORBIDDEN") == 0 && message &&
						strstr(message, "Origin required") != NULL,
					"no Origin: 403 saying an Origin is required: %ld %s", reply.status, message ? message : "");
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lantern\"}", key, &opaque, "FORBIDDEN") == 403,
				"Origin: null");
	ITEST_CHECK(find_status("POST", "/products", "{\"id\":\"x\",\"name\":\"X\"}", key, &shop, "FORBIDDEN") == 403,
				"still no writes");
	ITEST_CHECK(find_status("GET", "/provision/keys", NULL, key, &shop, "FORBIDDEN") == 403, "still no provisioning");

	/* Listed without origins. */
	if (find_call("GET", "/provision/keys", NULL, admin_a, NULL, &reply)) {
		json_object *origins = json_path_get(listed_key(reply.body, id), "allowedOrigins");
		ITEST_CHECK(origins && json_object_is_type(origins, json_type_array) && json_object_array_length(origins) == 0,
					"listed with allowedOrigins []");
		find_reply_free(&reply);
	}

	/* A key with origins keeps its rule meanwhile. */
	struct find_headers evil = { .origin = "https://evil.example" };
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lantern\"}", publishable_a, &evil, "FORBIDDEN") ==
					403, "the origin-bound key still refuses other origins");

	/* Preflights: while such a key is active, from any http(s) origin, for
	 * the routes publishable keys may use; after its revocation, no more. */
	struct find_headers anywhere = { .origin = "https://anywhere.example", .request_method = "POST" };
	if (find_call("OPTIONS", "/products/search", NULL, NULL, &anywhere, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(reply.allow_origin, "https://anywhere.example") == 0,
					"preflight from any origin while the key is active: %ld '%s'", reply.status, reply.allow_origin);
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("OPTIONS", "/products", NULL, NULL, &anywhere, "FORBIDDEN") == 403,
				"still no preflight of a write");
	struct find_headers opaque_preflight = { .origin = "null", .request_method = "POST" };
	ITEST_CHECK(find_status("OPTIONS", "/products/search", NULL, NULL, &opaque_preflight, "FORBIDDEN") == 403,
				"no preflight from Origin: null");

	snprintf(path, sizeof path, "/provision/keys/%s/revoke", id);
	ITEST_CHECK(find_status("POST", path, NULL, admin_a, NULL, NULL) == 200, "revoke the key");
	ITEST_CHECK(find_status("OPTIONS", "/products/search", NULL, NULL, &anywhere, "FORBIDDEN") == 403,
				"no preflight from an unregistered origin once no such key is active");
	struct find_headers shop_preflight = { .origin = SHOP_ORIGIN, .request_method = "POST" };
	ITEST_CHECK(find_status("OPTIONS", "/products/search", NULL, NULL, &shop_preflight, NULL) == 200,
				"registered origins keep their preflights");
}

/* ---------------------------------------------------------------- isolation */

static void workspaces_and_tenants_do_not_see_each_other(void)
{
	struct find_headers shop = { .workspace = SHOP_WORKSPACE }, other = { .workspace = "other-store" },
						dotted = { .workspace = "shop.example" }, empty_ws = { .workspace = "nothing-here" };
	struct find_reply reply;
	if (find_call("GET", "/products/p-1", NULL, secret_a, &shop, &reply)) {
		const char *name = reply.body ? json_path_string(reply.body, "data.name") : NULL;
		ITEST_CHECK(reply.status == 200 && name && strcmp(name, "Shop Lantern") == 0, "shop's p-1: %ld", reply.status);
		find_reply_free(&reply);
	}
	if (find_call("GET", "/products/p-1", NULL, secret_a, &other, &reply)) {
		const char *name = reply.body ? json_path_string(reply.body, "data.name") : NULL;
		ITEST_CHECK(reply.status == 200 && name && strcmp(name, "Other Lantern") == 0, "other's p-1: %ld", reply.status);
		find_reply_free(&reply);
	}
	if (find_call("GET", "/products/p-1", NULL, secret_a, &dotted, &reply)) {
		const char *name = reply.body ? json_path_string(reply.body, "data.name") : NULL;
		ITEST_CHECK(reply.status == 200 && name && strcmp(name, "Shop Lantern") == 0,
					"dots in X-Workspace-ID become hyphens: %ld", reply.status);
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, secret_a, &empty_ws, "NOT_FOUND") == 404,
				"another workspace sees nothing");
	ITEST_CHECK(find_status("GET", "/products/p-b", NULL, secret_a, &shop, "NOT_FOUND") == 404,
				"tenant B's product from tenant A");
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, secret_b, &shop, "NOT_FOUND") == 404,
				"tenant A's product from tenant B");
	if (find_call("POST", "/products/search", "{\"text\":\"lantern\"}", secret_b, NULL, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "data.total", &total);
		ITEST_CHECK(reply.status == 200 && total == 1 && result_count_with_id(reply.body, "p-b", NULL) == 1,
					"tenant B finds its own lantern only: total %lld", (long long)total);
		find_reply_free(&reply);
	}
	struct find_headers bad = { .workspace = "Bad_Workspace" };
	ITEST_CHECK(find_status("GET", "/products/p-1", NULL, secret_a, &bad, "VALIDATION_ERROR") == 400,
				"invalid X-Workspace-ID");
	ITEST_CHECK(find_status("POST", "/products", "{\"id\":\"x\",\"name\":\"X\"}", secret_a, NULL, "VALIDATION_ERROR") ==
					400, "a write without a workspace");
}

/* ---------------------------------------------------------------- plans */

static void envelope_carries_tier_limits_and_usage(void)
{
	const char *const plain[] = { NULL };
	ITEST_CHECK(set_plan(tenant_c, plain), "plan pro");
	struct find_reply reply;
	if (!find_call("GET", "/products/ids", NULL, secret_c, NULL, &reply))
		return;
	int64_t queries = 0, per_minute = -1, per_hour = -1, reset_ms = 0, limit = 0;
	json_path_int64(reply.body, "tierLimits.search.queriesPerMonth", &queries);
	json_path_int64(reply.body, "usage.rateLimit.remaining.perMinute", &per_minute);
	json_path_int64(reply.body, "usage.rateLimit.remaining.perHour", &per_hour);
	json_path_int64(reply.body, "usage.rateLimit.resetTime", &reset_ms);
	json_path_int64(reply.body, "usage.quota.limit", &limit);
	const char *reset_date = json_path_string(reply.body, "usage.quota.resetDate");
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	ITEST_CHECK(reply.status == 200 && queries == 50000 && limit == 50000, "pro allowances: %lld %lld",
				(long long)queries, (long long)limit);
	ITEST_CHECK(per_minute >= 0 && per_minute < 300 && per_hour >= 0 && per_hour < 10000, "remaining %lld/%lld",
				(long long)per_minute, (long long)per_hour);
	ITEST_CHECK(reset_ms > now_ms - 2000 && reset_ms <= now_ms + 62000, "resetTime in ms within the minute: %lld",
				(long long)reset_ms);
	ITEST_CHECK(reset_date && strlen(reset_date) == 10 && strcmp(reset_date + 7, "-01") == 0, "resetDate %s",
				reset_date ? reset_date : "(none)");
	int64_t current = -1;
	ITEST_CHECK(json_path_int64(reply.body, "usage.quota.current", &current) && current >= 0, "quota.current %lld",
				(long long)current);

	/* The SDK's TierLimits, with the earlier members beside them. */
	json_object *semantic_enabled = json_path_get(reply.body, "tierLimits.search.semantic.enabled");
	ITEST_CHECK(semantic_enabled && json_object_is_type(semantic_enabled, json_type_boolean) &&
					json_object_get_boolean(semantic_enabled),
				"search.semantic.enabled is true on the pro plan");
	struct { const char *path; int64_t wanted; } members[] = {
		{ "tierLimits.chat.messagesPerMonth", 4000 },   { "tierLimits.recommendations.perMonth", 25000 },
		{ "tierLimits.indexing.products", 50000 },     { "tierLimits.indexing.posts", 10000 },
		{ "tierLimits.indexing.prompts", 200 },        { "tierLimits.indexing.taxonomies", 5000 },
		{ "tierLimits.indexing.webhooks", 10 },        { "tierLimits.recommendations.requestsPerMonth", 25000 },
		{ "tierLimits.indexing.maxProducts", 50000 },  { "tierLimits.rateLimit.perMinute", 300 },
	};
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		int64_t value = -1;
		json_path_int64(reply.body, members[i].path, &value);
		ITEST_CHECK(value == members[i].wanted, "%s: %lld, wanted %lld", members[i].path, (long long)value,
					(long long)members[i].wanted);
	}
	const char *plan = json_path_string(reply.body, "tierLimits.plan");
	ITEST_CHECK(plan && strcmp(plan, "pro") == 0, "tierLimits.plan %s", plan ? plan : "(none)");
	find_reply_free(&reply);
}

/* Every one of several requests (so every worker) answers status: workers
 * keep the plan they read while it has not changed, and must see a change
 * on the very next request. */
static void every_worker_answers(const char *label, long status, const char *code)
{
	for (int i = 0; i < 8; i++)
		ITEST_CHECK(find_status("GET", "/products/p-c", NULL, secret_c, NULL, code) == status, "%s, request %d: %ld",
					label, i + 1, status);
}

static void trial_over_is_402_and_keeps_the_data(void)
{
	const char *const ended[] = { "--trial-ends", "2020-01-01", NULL };
	const char *const plain[] = { NULL };
	every_worker_answers("before the change, every worker has read the plan", 200, NULL);
	ITEST_CHECK(set_plan(tenant_c, ended), "plan with an ended trial");
	every_worker_answers("the ended trial shows at once", 402, "TRIAL_EXPIRED");
	struct find_reply reply;
	if (find_call("GET", "/products/p-c", NULL, secret_c, NULL, &reply)) {
		const char *ended_at = reply.body ? json_path_string(reply.body, "error.trial_ended_at") : NULL;
		const char *upgrade = reply.body ? json_path_string(reply.body, "error.upgrade_url") : NULL;
		ITEST_CHECK(reply.status == 402 && strcmp(find_error_code(&reply), "TRIAL_EXPIRED") == 0 && ended_at &&
						strncmp(ended_at, "2020-01-01", 10) == 0 && upgrade && upgrade[0],
					"402 TRIAL_EXPIRED with trial_ended_at and upgrade_url: %ld %s", reply.status,
					find_error_code(&reply));
		/* The SDK's TrialExpiredError reads them at the top level. */
		const char *top_ended = reply.body ? json_path_string(reply.body, "trial_ended_at") : NULL;
		const char *top_upgrade = reply.body ? json_path_string(reply.body, "upgrade_url") : NULL;
		ITEST_CHECK(top_ended && ended_at && strcmp(top_ended, ended_at) == 0 && top_upgrade && upgrade &&
						strcmp(top_upgrade, upgrade) == 0,
					"trial_ended_at and upgrade_url beside error too: %s",
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	const char *const inactive[] = { "--status", "inactive", NULL };
	ITEST_CHECK(set_plan(tenant_c, inactive), "inactive plan");
	every_worker_answers("inactive subscription 403 at once", 403, "SUBSCRIPTION_INACTIVE");
	ITEST_CHECK(set_plan(tenant_c, plain), "plan restored");
	every_worker_answers("data kept after the trial, the restored plan at once", 200, NULL);
}

static void monthly_search_quota_runs_out_with_429(void)
{
	const char *const small[] = { "--search-quota", "3", NULL };
	const char *const plain[] = { NULL };
	/* Earlier tests of this run may have searched; a fresh tenant month would
	 * be cleaner, so the quota is set above what was used so far. */
	ITEST_CHECK(set_plan(tenant_c, small), "quota of 3");
	int64_t used = -1, last_used = -1;
	int accepted = 0;
	for (int i = 0; i < 5; i++) {
		struct find_reply reply;
		if (!find_call("POST", "/products/search", "{\"text\":\"lantern\"}", secret_c, NULL, &reply))
			return;
		if (reply.status == 200) {
			accepted++;
			json_path_int64(reply.body, "usage.quota.current", &used);
			ITEST_CHECK(used > last_used, "quota.current grows: %lld after %lld", (long long)used, (long long)last_used);
			last_used = used;
		} else {
			ITEST_CHECK(reply.status == 429 && strcmp(find_error_code(&reply), "QUOTA_EXCEEDED") == 0,
						"over the quota: %ld %s", reply.status, find_error_code(&reply));
		}
		find_reply_free(&reply);
	}
	ITEST_CHECK(accepted == 3 && used == 3, "exactly 3 searches accepted: %d, current %lld", accepted, (long long)used);
	/* Refusals do not use the allowance; routes without a quota still work. */
	struct find_reply reply;
	if (find_call("GET", "/products/ids", NULL, secret_c, NULL, &reply)) {
		int64_t current = -1;
		json_path_int64(reply.body, "usage.quota.current", &current);
		ITEST_CHECK(reply.status == 200 && current == 3, "ids still 200, quota.current %lld", (long long)current);
		find_reply_free(&reply);
	}
	ITEST_CHECK(set_plan(tenant_c, plain), "plan restored");
	ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lantern\"}", secret_c, NULL, NULL) == 200,
				"a larger allowance lets searches through again");
}

static void rate_limit_counts_each_key_on_its_own(void)
{
	const char *const slow[] = { "--rate-per-minute", "3", NULL };
	const char *const plain[] = { NULL };
	/* Keep the four requests inside one minute window. */
	if (time(NULL) % 60 > 50)
		sleep((unsigned)(61 - time(NULL) % 60));
	char fresh[80];
	ITEST_CHECK(find_create_key(admin_c, "{\"label\":\"rate\",\"keyType\":\"secret\"}", fresh, sizeof fresh, NULL, 0) ==
					201, "fresh key");
	ITEST_CHECK(set_plan(tenant_c, slow), "3 per minute");
	long statuses[4];
	int64_t remaining[4] = { -1, -1, -1, -1 };
	char retry_after[32] = "";
	for (int i = 0; i < 4; i++) {
		struct find_reply reply;
		statuses[i] = 0;
		if (!find_call("GET", "/products/ids", NULL, fresh, NULL, &reply))
			continue;
		statuses[i] = reply.status;
		json_path_int64(reply.body, "usage.rateLimit.remaining.perMinute", &remaining[i]);
		if (i == 3)
			snprintf(retry_after, sizeof retry_after, "%s", reply.retry_after);
		find_reply_free(&reply);
	}
	ITEST_CHECK(statuses[0] == 200 && statuses[1] == 200 && statuses[2] == 200 && statuses[3] == 429,
				"3 accepted then 429: %ld %ld %ld %ld", statuses[0], statuses[1], statuses[2], statuses[3]);
	ITEST_CHECK(remaining[0] == 2 && remaining[1] == 1 && remaining[2] == 0, "remaining 2 1 0: %lld %lld %lld",
				(long long)remaining[0], (long long)remaining[1], (long long)remaining[2]);
	ITEST_CHECK(atoi(retry_after) >= 1 && atoi(retry_after) <= 60, "Retry-After %s", retry_after);
	ITEST_CHECK(find_status("GET", "/products/ids", NULL, second_secret_c, NULL, NULL) == 200,
				"another key of the tenant is not slowed");
	ITEST_CHECK(set_plan(tenant_c, plain), "plan restored");
}

/* ---------------------------------------------------------------- tenant calls */

static bool tenant_bool(json_object *body, const char *path, bool wanted)
{
	json_object *value = json_path_get(body, path);
	return value != NULL && json_object_is_type(value, json_type_boolean) && json_object_get_boolean(value) == wanted;
}

/* usage.<name> of the features item of that type; -1 when absent. */
static int64_t tenant_feature(json_object *body, const char *type, const char *name)
{
	json_object *features = json_path_get(body, "data.features");
	for (size_t i = 0; features && i < json_object_array_length(features); i++) {
		json_object *item = json_object_array_get_idx(features, i);
		const char *item_type = json_path_string(item, "type");
		if (item_type == NULL || strcmp(item_type, type) != 0)
			continue;
		json_object *value = json_path_get(json_path_get(item, "usage"), name);
		if (value != NULL && json_object_is_type(value, json_type_boolean))
			return json_object_get_boolean(value);
		int64_t number = -1;
		json_path_int64(json_path_get(item, "usage"), name, &number);
		return number;
	}
	return -1;
}

static int64_t number_at(json_object *body, const char *path)
{
	int64_t value = -1;
	json_path_int64(body, path, &value);
	return value;
}

static void tenant_status_answers_the_subscription_state(void)
{
	struct find_reply reply;
	/* What the v1 SDK sends: POST with {}. */
	if (find_call("POST", "/tenant/status", "{}", secret_a, NULL, &reply)) {
		const char *status = json_path_string(reply.body, "data.status"), *tier = json_path_string(reply.body, "data.subscription.tier"),
				   *timestamp = json_path_string(reply.body, "data.timestamp");
		json_object *subscription = json_path_get(reply.body, "data.subscription");
		json_object *member = NULL; /* a member that is null reads as NULL */
		bool key_null = json_object_object_get_ex(json_path_get(reply.body, "data"), "publishableKey", &member) &&
						member == NULL;
		bool expires_null = subscription && json_object_object_get_ex(subscription, "expires", &member) && member == NULL;
		ITEST_CHECK(reply.status == 200 && status && strcmp(status, "active") == 0 &&
						tenant_bool(reply.body, "data.subscription.valid", true) && tier && strcmp(tier, "starter") == 0 &&
						timestamp && strlen(timestamp) == 20 && key_null && expires_null &&
						number_at(reply.body, "data.subscription.limits.search.queriesPerMonth") == 10000 &&
						tenant_bool(reply.body, "data.subscription.limits.search.semantic.enabled", false),
					"status of an active tenant: %ld %s", reply.status,
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	ITEST_CHECK(find_status("POST", "/tenant/status", "{}", admin_a, NULL, NULL) == 200, "a Tenant Admin's JWT");
	ITEST_CHECK(find_status("POST", "/tenant/status", "{}", viewer_a, NULL, NULL) == 200, "a viewer's JWT (find.view)");
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, viewer_a, NULL, NULL) == 200, "usage with a viewer's JWT");

	/* Refusals. */
	struct find_headers shop = { .origin = SHOP_ORIGIN };
	ITEST_CHECK(find_status("POST", "/tenant/status", "{}", publishable_a, &shop, "FORBIDDEN") == 403,
				"a publishable key on /tenant/status");
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, publishable_a, &shop, "FORBIDDEN") == 403,
				"a publishable key on /tenant/usage");
	ITEST_CHECK(find_status("POST", "/tenant/status", "{}", "if_sk_0000000000000000000000000000000000000000", NULL,
							"UNAUTHORIZED") == 401, "an unknown key");
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, "if_sk_0000000000000000000000000000000000000000", NULL,
							"UNAUTHORIZED") == 401, "an unknown key on usage");
	ITEST_CHECK(find_status("GET", "/tenant/usage", NULL, NULL, NULL, "UNAUTHORIZED") == 401, "no credentials");
	ITEST_CHECK(find_status("POST", "/tenant/status", "{\"tenantId\":\"other\"}", secret_a, NULL, "VALIDATION_ERROR") ==
					400, "a member the call does not read");
	char scoped[80];
	ITEST_CHECK(find_create_key(admin_a, "{\"label\":\"manage only\",\"scopes\":[\"find.manage\"]}", scoped,
								sizeof scoped, NULL, 0) == 201, "a key without find.view");
	ITEST_CHECK(find_status("POST", "/tenant/status", "{}", scoped, NULL, "FORBIDDEN") == 403, "find.view is needed");
}

static bool index_entity(const char *key, const char *path, const char *workspace, const char *body)
{
	struct find_headers headers = { .workspace = workspace };
	long status = find_status("POST", path, body, key, &headers, NULL);
	if (status != 200 && status != 201)
		fprintf(stderr, "find_access tenant usage set-up: POST %s: %ld\n", path, status);
	return status == 200 || status == 201;
}

/* A fresh tenant, so every figure is known: what it holds across its
 * workspaces and what it used this month, and nothing of other tenants'. */
static void tenant_usage_reports_the_tenants_own_figures(void)
{
	char slug[64], admin[4097], key[80];
	if (!ITEST_CHECK(find_make_tenant_admin("fkd", "Find usage", password, slug, sizeof slug, admin) &&
						 find_create_key(admin, "{\"label\":\"usage\"}", key, sizeof key, NULL, 0) == 201,
					 "usage tenant"))
		return;
	bool stored = index_entity(key, "/products", "one", "{\"id\":\"u-1\",\"name\":\"Usage Lamp\"}") &&
				  index_entity(key, "/products", "one", "{\"id\":\"u-2\",\"name\":\"Usage Desk\"}") &&
				  index_entity(key, "/products", "two", "{\"id\":\"u-1\",\"name\":\"Usage Lamp\"}") &&
				  index_entity(key, "/posts", "one", "{\"id\":\"post-1\",\"title\":\"Usage notes\"}") &&
				  index_entity(key, "/taxonomies", "one", "{\"id\":\"tax-1\",\"name\":\"Lamps\"}") &&
				  index_entity(key, "/prompts", "one", "{\"id\":\"pr-1\",\"prompt\":\"Which lamp?\"}");
	if (!ITEST_CHECK(stored, "usage fixture"))
		return;
	for (int i = 0; i < 2; i++)
		ITEST_CHECK(find_status("POST", "/products/search", "{\"text\":\"lamp\"}", key, NULL, NULL) == 200, "search");

	struct find_reply reply;
	if (!find_call("GET", "/tenant/usage", NULL, key, NULL, &reply))
		return;
	const char *text = reply.body ? json_object_to_json_string(reply.body) : "";
	const char *tier = json_path_string(reply.body, "data.tier");
	int64_t reset_ms = number_at(reply.body, "data.resetTime"), now_ms = (int64_t)time(NULL) * 1000;
	ITEST_CHECK(reply.status == 200 && tier && strcmp(tier, "starter") == 0 && reset_ms > now_ms &&
					reset_ms <= now_ms + 32LL * 86400 * 1000,
				"tier and the month's reset in ms: %ld %s", reply.status, text);
	ITEST_CHECK(number_at(reply.body, "data.indexes.products.count") == 3 &&
					number_at(reply.body, "data.indexes.posts.count") == 1 &&
					number_at(reply.body, "data.indexes.taxonomies.count") == 1 &&
					tenant_bool(reply.body, "data.indexes.products.exists", true) &&
					tenant_bool(reply.body, "data.indexes.users.exists", false),
				"indexes: 3 products over two workspaces, 1 post, 1 taxonomy, no users index: %s", text);
	ITEST_CHECK(number_at(reply.body, "data.data_summary.total_documents") == 6 &&
					number_at(reply.body, "data.data_summary.by_type.products") == 3 &&
					number_at(reply.body, "data.data_summary.by_type.users") == 0 &&
					number_at(reply.body, "data.data_summary.by_type.prompts") == 1,
				"data_summary: %s", text);
	ITEST_CHECK(tenant_feature(reply.body, "search", "current") == 2 &&
					tenant_feature(reply.body, "search", "limit") == 10000 &&
					tenant_feature(reply.body, "search", "available") == 1 &&
					tenant_feature(reply.body, "chat", "current") == 0 &&
					tenant_feature(reply.body, "products", "current") == 3 &&
					tenant_feature(reply.body, "products", "limit") == 5000 &&
					tenant_feature(reply.body, "prompts", "current") == 1 &&
					tenant_feature(reply.body, "webhooks", "current") == 0,
				"features: 2 searches this month, the documents against the caps: %s", text);
	ITEST_CHECK(tenant_bool(reply.body, "data.tier_features.search.available", true) &&
					tenant_bool(reply.body, "data.tier_features.semantic_search.available", false),
				"tier_features: %s", text);
	/* Reading usage used no allowance. */
	ITEST_CHECK(number_at(reply.body, "usage.quota.current") == 2, "the envelope's quota.current still 2: %s", text);
	find_reply_free(&reply);

	/* Other tenants see their own figures only. */
	if (find_call("GET", "/tenant/usage", NULL, secret_b, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && number_at(reply.body, "data.indexes.products.count") == 1 &&
						number_at(reply.body, "data.indexes.posts.count") == 0 &&
						tenant_feature(reply.body, "prompts", "current") == 0,
					"tenant B: its one product, none of the usage tenant's: %s",
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	if (find_call("GET", "/tenant/usage", NULL, admin, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && number_at(reply.body, "data.indexes.products.count") == 3,
					"the same figures with the tenant admin's JWT: %ld", reply.status);
		find_reply_free(&reply);
	}
}

/* The plan gate refuses every other route of a lapsed plan; the tenant
 * calls answer, saying the subscription is not valid. */
static void tenant_calls_answer_when_the_plan_has_lapsed(void)
{
	const char *const ended[] = { "--trial-ends", "2020-01-01", NULL };
	const char *const inactive[] = { "--status", "inactive", NULL };
	const char *const plain[] = { NULL };
	ITEST_CHECK(set_plan(tenant_c, ended), "plan with an ended trial");
	ITEST_CHECK(find_status("GET", "/products/p-c", NULL, secret_c, NULL, "TRIAL_EXPIRED") == 402,
				"content still refused");
	struct find_reply reply;
	if (find_call("POST", "/tenant/status", "{}", secret_c, NULL, &reply)) {
		const char *status = json_path_string(reply.body, "data.status"),
				   *validation = json_path_string(reply.body, "data.subscription.validation.status"),
				   *expires = json_path_string(reply.body, "data.subscription.expires"),
				   *upgrade = json_path_string(reply.body, "data.subscription.upgrade_url"),
				   *tier = json_path_string(reply.body, "data.subscription.tier");
		ITEST_CHECK(reply.status == 200 && status && strcmp(status, "inactive") == 0 &&
						tenant_bool(reply.body, "data.subscription.valid", false) && validation &&
						strcmp(validation, "trial_expired") == 0 && expires &&
						strncmp(expires, "2020-01-01T", 11) == 0 && upgrade && upgrade[0] && tier &&
						strcmp(tier, "pro") == 0,
					"status after the trial: %ld %s", reply.status,
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	if (find_call("GET", "/tenant/usage", NULL, secret_c, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && tenant_feature(reply.body, "search", "available") == 0 &&
						number_at(reply.body, "data.indexes.products.count") == 1 &&
						tenant_bool(reply.body, "data.tier_features.search.available", false),
					"usage after the trial: figures kept, nothing available: %ld %s", reply.status,
					reply.body ? json_object_to_json_string(reply.body) : "");
		find_reply_free(&reply);
	}
	ITEST_CHECK(set_plan(tenant_c, inactive), "inactive plan");
	ITEST_CHECK(find_status("GET", "/products/p-c", NULL, secret_c, NULL, "SUBSCRIPTION_INACTIVE") == 403,
				"content refused while inactive");
	if (find_call("POST", "/tenant/status", "{}", secret_c, NULL, &reply)) {
		const char *validation = json_path_string(reply.body, "data.subscription.validation.status");
		ITEST_CHECK(reply.status == 200 && tenant_bool(reply.body, "data.subscription.valid", false) && validation &&
						strcmp(validation, "inactive") == 0,
					"status while inactive: %ld %s", reply.status, validation ? validation : "(none)");
		find_reply_free(&reply);
	}
	ITEST_CHECK(set_plan(tenant_c, plain), "plan restored");
	if (find_call("POST", "/tenant/status", "{}", secret_c, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && tenant_bool(reply.body, "data.subscription.valid", true),
					"valid again once restored: %ld", reply.status);
		find_reply_free(&reply);
	}
}

/* ------------------------------------------------------- cached keys */

/* Searches from several clients at once, so that every worker serves some
 * and keeps the key in its cache: each answer must have status and, when
 * per_minute is not 0, tierLimits.rateLimit.perMinute (the plan the answer
 * was admitted under). A child reports its bad answers (the first on
 * stderr) through its exit status. */
#define CACHE_CLIENTS 8
#define CACHE_REQUESTS_EACH 4

struct cache_search {
	const char *key, *body;
	long status;
	int64_t per_minute;
};

static int cache_child(const void *argument)
{
	const struct cache_search *search = argument;
	int bad = 0;
	for (int i = 0; i < CACHE_REQUESTS_EACH; i++) {
		struct find_reply reply = { 0 };
		if (!find_call("POST", "/products/search", search->body, search->key, NULL, &reply)) {
			bad++;
			continue;
		}
		int64_t rate = -1;
		if (reply.body != NULL)
			json_path_int64(reply.body, "tierLimits.rateLimit.perMinute", &rate);
		if (reply.status != search->status || (search->per_minute != 0 && rate != search->per_minute)) {
			if (bad == 0)
				fprintf(stderr, "    cached key: %s wanted %ld (perMinute %lld), got %ld %s\n", search->body,
						search->status, (long long)search->per_minute, reply.status,
						reply.body ? json_object_to_json_string(reply.body) : "");
			bad++;
		}
		find_reply_free(&reply);
	}
	return bad;
}

#define EXPECT_ALL(key, body, status, per_minute, what)                                                        \
	do {                                                                                                       \
		struct cache_search search = { (key), (body), (status), (per_minute) };                                \
		int bad_answers = parallel_clients_run_each(CACHE_CLIENTS, cache_child, &search, CACHE_REQUESTS_EACH); \
		ITEST_CHECK(bad_answers == 0, "%s: %d of %d answers not %ld", what, bad_answers,                       \
					CACHE_CLIENTS * CACHE_REQUESTS_EACH, (long)(status));                                      \
	} while (0)

/* Workers keep the API keys they found valid, and a search confirms the key
 * in its own index read (or, when no word is in the index, alone): a change
 * of the key, its tenant or its plan is seen on the very next request by
 * every worker, as without the cache. */
static void cached_keys_see_every_change_at_once(void)
{
	char tenant[64], admin[4097], key[80], id[32], rotated[80] = "", path[96];
	const char *known = "{\"text\":\"lantern\",\"limit\":5}", *unknown = "{\"text\":\"qqzzxxyyw\",\"limit\":5}";
	const char *const fast[] = { "--rate-per-minute", "5000", NULL }, *const faster[] = { "--rate-per-minute", "6000", NULL };
	if (!ITEST_CHECK(find_make_tenant_admin("fkk", "Find key cache", password, tenant, sizeof tenant, admin),
					 "tenant") ||
		!ITEST_CHECK(set_plan(tenant, fast), "plan") ||
		!ITEST_CHECK(find_create_key(admin, "{\"label\":\"cached\",\"keyType\":\"secret\"}", key, sizeof key, id,
									 sizeof id) == 201, "key") ||
		!ITEST_CHECK(index_product(key, "cache-shop", "p-cache", "Cache Lantern"), "product"))
		return;
	struct find_reply first;
	if (find_call("POST", "/products/search", known, key, NULL, &first)) {
		json_object *results = first.body ? json_path_get(first.body, "data.results") : NULL;
		ITEST_CHECK(first.status == 200 && results && json_object_is_type(results, json_type_array) &&
						json_object_array_length(results) == 1,
					"the product is found: %ld", first.status);
		find_reply_free(&first);
	}
	EXPECT_ALL(key, known, 200, 5000, "known word, before any change");
	EXPECT_ALL(key, unknown, 200, 5000, "unknown word, before any change");

	ITEST_CHECK(set_plan(tenant, faster), "plan changed");
	EXPECT_ALL(key, known, 200, 6000, "the new plan, on the next request");
	EXPECT_ALL(key, unknown, 200, 6000, "the new plan, no word in the index");

	snprintf(path, sizeof path, "/provision/keys/%s/rotate", id);
	struct find_reply rotation;
	if (find_call("POST", path, NULL, admin, NULL, &rotation)) {
		const char *text = rotation.body ? json_path_string(rotation.body, "data.key") : NULL;
		snprintf(rotated, sizeof rotated, "%s", text ? text : "");
		ITEST_CHECK(rotation.status == 200 && rotated[0] != '\0', "rotate: %ld", rotation.status);
		find_reply_free(&rotation);
	}
	EXPECT_ALL(key, known, 401, 0, "the rotated-away key");
	EXPECT_ALL(key, unknown, 401, 0, "the rotated-away key, no word in the index");
	EXPECT_ALL(rotated, known, 200, 6000, "the new key text");

	const char *const suspend[] = { "tenant", "suspend", tenant, NULL };
	const char *const resume[] = { "tenant", "resume", tenant, NULL };
	ITEST_CHECK(admin_command(suspend, NULL) == 0, "suspend");
	EXPECT_ALL(rotated, known, 403, 0, "a suspended tenant's key");
	EXPECT_ALL(rotated, unknown, 403, 0, "a suspended tenant's key, no word in the index");
	ITEST_CHECK(admin_command(resume, NULL) == 0, "resume");
	EXPECT_ALL(rotated, known, 200, 6000, "resumed");

	snprintf(path, sizeof path, "/provision/keys/%s/revoke", id);
	ITEST_CHECK(find_status("POST", path, NULL, admin, NULL, NULL) == 200, "revoke");
	EXPECT_ALL(rotated, known, 401, 0, "the revoked key");
	EXPECT_ALL(rotated, unknown, 401, 0, "the revoked key, no word in the index");
}

bool find_access_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_access", find_access_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "key_lifecycle_create_use_rotate_revoke", key_lifecycle_create_use_rotate_revoke, NULL) &&
		   itest_add_test(suite, "key_listing_has_the_sdk_shape", key_listing_has_the_sdk_shape, NULL) &&
		   itest_add_test(suite, "key_type_defaults_to_secret", key_type_defaults_to_secret, NULL) &&
		   itest_add_test(suite, "revoke_and_rotate_accept_a_post_without_body",
						  revoke_and_rotate_accept_a_post_without_body, NULL) &&
		   itest_add_test(suite, "key_creation_is_validated", key_creation_is_validated, NULL) &&
		   itest_add_test(suite, "scoped_secret_key_holds_only_its_scopes", scoped_secret_key_holds_only_its_scopes, NULL) &&
		   itest_add_test(suite, "api_keys_open_only_the_find_api", api_keys_open_only_the_find_api, NULL) &&
		   itest_add_test(suite, "publishable_key_cannot_write_or_provision", publishable_key_cannot_write_or_provision,
						  NULL) &&
		   itest_add_test(suite, "publishable_key_works_only_from_its_origins",
						  publishable_key_works_only_from_its_origins, NULL) &&
		   itest_add_test(suite, "preflight_is_answered_for_registered_origins_only",
						  preflight_is_answered_for_registered_origins_only, NULL) &&
		   itest_add_test(suite, "publishable_key_searches_the_workspace_of_its_origin",
						  publishable_key_searches_the_workspace_of_its_origin, NULL) &&
		   itest_add_test(suite, "publishable_key_without_origins_reads_the_workspace_of_the_calling_site",
						  publishable_key_without_origins_reads_the_workspace_of_the_calling_site, NULL) &&
		   itest_add_test(suite, "workspaces_and_tenants_do_not_see_each_other",
						  workspaces_and_tenants_do_not_see_each_other, NULL) &&
		   itest_add_test(suite, "envelope_carries_tier_limits_and_usage", envelope_carries_tier_limits_and_usage, NULL) &&
		   itest_add_test(suite, "trial_over_is_402_and_keeps_the_data", trial_over_is_402_and_keeps_the_data, NULL) &&
		   itest_add_test(suite, "monthly_search_quota_runs_out_with_429", monthly_search_quota_runs_out_with_429,
						  NULL) &&
		   itest_add_test(suite, "rate_limit_counts_each_key_on_its_own", rate_limit_counts_each_key_on_its_own, NULL) &&
		   itest_add_test(suite, "tenant_status_answers_the_subscription_state", tenant_status_answers_the_subscription_state,
						  NULL) &&
		   itest_add_test(suite, "tenant_usage_reports_the_tenants_own_figures", tenant_usage_reports_the_tenants_own_figures,
						  NULL) &&
		   itest_add_test(suite, "tenant_calls_answer_when_the_plan_has_lapsed", tenant_calls_answer_when_the_plan_has_lapsed,
						  NULL) &&
		   itest_add_test(suite, "cached_keys_see_every_change_at_once", cached_keys_see_every_change_at_once, NULL);
}

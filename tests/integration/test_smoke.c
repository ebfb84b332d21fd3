/*
 * Smoke: the few requests that show an installation works end to end, for
 * stacks set up the way a sysadmin or a hosting customer would (the Debian
 * package, a home-directory install under mod_fcgid): health with the
 * database, a login and /auth/me, one record created, read, changed and
 * deleted, and one find API search with a secret key. The full suites cover
 * each of these in depth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097, KEY_MAX = 256 };

static char tenant[64];
static char admin_token[TOKEN_MAX];
static const char password[] = "smoke-password-123";

static int smoke_suite_init(void)
{
	/* A tenant of its own and its Tenant Admin, made with intuka-admin as
	 * the sysadmin would; the login is the first test's to check. */
	return find_make_tenant_admin("smk", "Smoke Co", password, tenant, sizeof tenant, admin_token) ? 0 : 1;
}

static void health_answers_ok_with_the_database_and_schema(void)
{
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/health", NULL, NULL, NULL, &reply))
		return;
	int64_t schema_version = 0;
	const char *status = json_path_string(reply.body, "data.status");
	const char *database = json_path_string(reply.body, "data.database.status");
	ITEST_CHECK(reply.status == 200, "GET /api/v1/health: expected 200, got %ld", reply.status);
	ITEST_CHECK(status != NULL && strcmp(status, "ok") == 0, "health data.status: %s", status ? status : "(none)");
	ITEST_CHECK(database != NULL && strcmp(database, "ok") == 0, "health data.database.status: %s",
				database ? database : "(none)");
	ITEST_CHECK(json_path_int64(reply.body, "data.database.schemaVersion", &schema_version) && schema_version >= 1,
				"health: schemaVersion %lld, expected the migrated schema (>= 1)", (long long)schema_version);
	api_reply_free(&reply);
}

static void login_and_me_name_the_user_and_tenant(void)
{
	char email[128], token[TOKEN_MAX];
	snprintf(email, sizeof email, "admin@%s.test", tenant);
	long status = api_login(email, password, tenant, token, NULL);
	if (!ITEST_CHECK(status == 200, "POST /auth/login for %s: expected 200, got %ld", email, status))
		return;
	long refused = api_login(email, "not-the-password-1", tenant, NULL, NULL);
	ITEST_CHECK(refused == 401, "login with a wrong password: expected 401, got %ld", refused);
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/auth/me", NULL, token, NULL, &reply))
		return;
	const char *me_email = json_path_string(reply.body, "data.email");
	ITEST_CHECK(reply.status == 200, "GET /auth/me: expected 200, got %ld %s", reply.status, api_error_code(&reply));
	ITEST_CHECK(me_email != NULL && strcmp(me_email, email) == 0, "/auth/me data.email: %s, expected %s",
				me_email ? me_email : "(none)", email);
	api_reply_free(&reply);
}

static void a_lead_is_created_read_changed_and_deleted(void)
{
	struct api_reply reply;
	int64_t id = 0;
	if (!api_call("POST", "/api/v1/sales/leads", "{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"company\":\"Engines\"}",
				  admin_token, NULL, &reply))
		return;
	ITEST_CHECK(reply.status == 201, "POST /sales/leads: expected 201, got %ld %s", reply.status, api_error_code(&reply));
	json_path_int64(reply.body, "data.id", &id);
	api_reply_free(&reply);
	if (!ITEST_CHECK(id > 0, "the created lead has an id"))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/sales/leads/%lld", (long long)id);
	if (api_call("PATCH", path, "{\"status\":\"qualified\"}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "PATCH %s: expected 200, got %ld %s", path, reply.status,
					api_error_code(&reply));
		api_reply_free(&reply);
	}
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		const char *last_name = json_path_string(reply.body, "data.lastName");
		const char *status = json_path_string(reply.body, "data.status");
		ITEST_CHECK(reply.status == 200 && last_name != NULL && strcmp(last_name, "Lovelace") == 0 && status != NULL &&
						strcmp(status, "qualified") == 0,
					"GET %s: %ld lastName %s status %s", path, reply.status, last_name ? last_name : "-",
					status ? status : "-");
		api_reply_free(&reply);
	}
	if (api_call("DELETE", path, NULL, admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "DELETE %s: expected 200, got %ld", path, reply.status);
		api_reply_free(&reply);
	}
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 404, "GET %s after DELETE: expected 404, got %ld", path, reply.status);
		api_reply_free(&reply);
	}
}

static void a_find_search_with_a_secret_key_finds_the_product(void)
{
	char key[KEY_MAX];
	long created = find_create_key(admin_token, "{\"label\":\"smoke\",\"keyType\":\"secret\"}", key, sizeof key, NULL, 0);
	if (!ITEST_CHECK(created == 201, "POST /find/provision/keys: expected 201, got %ld", created))
		return;
	struct find_headers headers = { .workspace = "smoke-shop" };
	struct find_reply reply;
	if (!find_call("POST", "/products",
				   "{\"id\":\"smoke-1\",\"name\":\"Copper Kettle\",\"content\":\"A kettle for the stove\",\"price\":30}",
				   key, &headers, &reply))
		return;
	ITEST_CHECK(reply.status == 200 || reply.status == 201, "POST /find/products: expected 200 or 201, got %ld %s",
				reply.status, find_error_code(&reply));
	find_reply_free(&reply);
	if (!find_call("POST", "/products/search", "{\"text\":\"kettle\"}", key, &headers, &reply))
		return;
	int64_t total = -1;
	json_path_int64(reply.body, "data.total", &total);
	json_object *results = json_path_get(reply.body, "data.results");
	json_object *first_result = results != NULL && json_object_is_type(results, json_type_array) &&
										json_object_array_length(results) > 0
									? json_object_array_get_idx(results, 0)
									: NULL;
	const char *first = first_result != NULL ? json_path_string(first_result, "id") : NULL;
	ITEST_CHECK(reply.status == 200, "POST /find/products/search: expected 200, got %ld %s", reply.status,
				find_error_code(&reply));
	ITEST_CHECK(total == 1 && first != NULL && strcmp(first, "smoke-1") == 0,
				"search \"kettle\": expected smoke-1 alone, got total %lld first %s", (long long)total,
				first ? first : "(none)");
	find_reply_free(&reply);
}

bool smoke_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("smoke", smoke_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "health_answers_ok_with_the_database_and_schema",
						  health_answers_ok_with_the_database_and_schema, NULL) &&
		   itest_add_test(suite, "login_and_me_name_the_user_and_tenant", login_and_me_name_the_user_and_tenant, NULL) &&
		   itest_add_test(suite, "a_lead_is_created_read_changed_and_deleted",
						  a_lead_is_created_read_changed_and_deleted, NULL) &&
		   itest_add_test(suite, "a_find_search_with_a_secret_key_finds_the_product",
						  a_find_search_with_a_secret_key_finds_the_product, NULL);
}

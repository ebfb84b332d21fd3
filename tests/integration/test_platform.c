/*
 * Running the platform without shell access, over real HTTP: tenant
 * suspension (intuka-admin and the operator API), the operator API itself,
 * invitations, user administration by a Tenant Admin, and sessions people
 * can live with (listing, revoking, the refresh grace window). Every tenant
 * and user is made by this suite, unique per run, so it can run again on
 * the same database.
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
                          suspended_tenant_gets_403_for_tokens_keys_and_login_until_resumed, no_admin);
}

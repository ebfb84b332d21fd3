/*
 * Sales over real HTTP: leads, accounts, contacts and opportunities through
 * the generic record engine (validation, pagination, sort whitelist,
 * filters, ETag/If-Match, soft delete, Idempotency-Key), lead conversion and
 * the pipeline summary, and the refusals: viewer writes, other tenants' ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "parallel_clients.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097 };

static char tenant[64], other_tenant[64];
static char manager_token[TOKEN_MAX], user_token[TOKEN_MAX], viewer_token[TOKEN_MAX], other_token[TOKEN_MAX];
static const char password[] = "sales-password-123";

static int sales_login(const char *slug, const char *email, char *token)
{
	return api_login(email, password, slug, token, NULL) == 200 ? 0 : 1;
}

static int sales_suite_init(void)
{
	identity_unique_slug("sal", tenant, sizeof tenant);
	identity_unique_slug("sao", other_tenant, sizeof other_tenant);
	char admin[128], manager[128], user[128], viewer[128], other[128];
	snprintf(admin, sizeof admin, "admin@%s.test", tenant);
	snprintf(manager, sizeof manager, "manager@%s.test", tenant);
	snprintf(user, sizeof user, "user@%s.test", tenant);
	snprintf(viewer, sizeof viewer, "viewer@%s.test", tenant);
	snprintf(other, sizeof other, "admin@%s.test", other_tenant);
	const char *create[] = { "tenant", "create", tenant, "Sales Co", NULL };
	const char *create_other[] = { "tenant", "create", other_tenant, "Other Co", NULL };
	const char *u_admin[] = { "user", "create", tenant, admin, NULL };
	const char *u_manager[] = { "user", "create", tenant, manager, "--role", "manager", NULL };
	const char *u_user[] = { "user", "create", tenant, user, "--role", "user", NULL };
	const char *u_viewer[] = { "user", "create", tenant, viewer, "--role", "viewer", NULL };
	const char *u_other[] = { "user", "create", other_tenant, other, NULL };
	if (admin_command(create, NULL) || admin_command(create_other, NULL) || admin_command(u_admin, password) ||
		admin_command(u_manager, password) || admin_command(u_user, password) || admin_command(u_viewer, password) ||
		admin_command(u_other, password))
		return 1;
	return sales_login(tenant, manager, manager_token) || sales_login(tenant, user, user_token) ||
		   sales_login(tenant, viewer, viewer_token) || sales_login(other_tenant, other, other_token);
}

static void expect(const char *label, const struct api_reply *reply, long status, const char *code)
{
	ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld", label, status, reply->status);
	if (code != NULL)
		ITEST_CHECK(strcmp(api_error_code(reply), code) == 0, "%s: expected %s, got \"%s\"", label, code,
					api_error_code(reply));
}

/* POST a record, return its id (0 on failure). */
static int64_t create_record(const char *path, const char *body, const char *token)
{
	struct api_reply reply;
	int64_t id = 0;
	if (api_call("POST", path, body, token, NULL, &reply)) {
		if (ITEST_CHECK(reply.status == 201, "POST %s %s: expected 201, got %ld %s", path, body, reply.status,
						api_error_code(&reply)))
			json_path_int64(reply.body, "data.id", &id);
		api_reply_free(&reply);
	}
	return id;
}

/* ETag-carrying calls need the extra header: use the raw client. */
static long call_with_header(const char *method, const char *path, const char *body, const char *token,
							 const char *header, char *etag_out, size_t etag_size)
{
	char authorization[4200];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
	const char *headers[3] = { authorization, header, NULL };
	struct http_request request = { .method = method, .path_and_query = path,
									.content_type = body ? "application/json" : NULL, .body = body,
									.body_length = body ? strlen(body) : 0, .extra_headers = headers };
	struct http_response response;
	char error_text[128];
	memset(&response, 0, sizeof response);
	long status = http_client_send(&request, &response, error_text, sizeof error_text) ? response.status : 0;
	const char *etag = http_response_header(&response, "ETag");
	if (etag_out != NULL)
		snprintf(etag_out, etag_size, "%s", etag ? etag : "");
	http_response_free(&response);
	return status;
}

static void leads_crud_with_etag_and_soft_delete(void)
{
	int64_t id = create_record("/api/v1/sales/leads",
							   "{\"firstName\":\"Grace\",\"lastName\":\"Hopper\",\"company\":\"Navy\",\"status\":\"contacted\"}",
							   user_token);
	if (!ITEST_CHECK(id > 0, "lead created"))
		return;
	char path[96], etag[32], header[64];
	snprintf(path, sizeof path, "/api/v1/sales/leads/%lld", (long long)id);
	long status = call_with_header("GET", path, NULL, user_token, "X-Test: 1", etag, sizeof etag);
	ITEST_CHECK(status == 200 && strcmp(etag, "\"1\"") == 0, "GET: 200 with ETag \"1\", got %ld %s", status, etag);
	snprintf(header, sizeof header, "If-Match: %s", etag);
	status = call_with_header("PATCH", path, "{\"status\":\"qualified\",\"notes\":\"met\"}", user_token, header, etag,
							  sizeof etag);
	ITEST_CHECK(status == 200 && strcmp(etag, "\"2\"") == 0, "PATCH with current If-Match: 200, ETag \"2\": %ld %s",
				status, etag);
	status = call_with_header("PATCH", path, "{\"notes\":\"stale\"}", user_token, "If-Match: \"1\"", NULL, 0);
	ITEST_CHECK(status == 409, "PATCH with a stale If-Match: expected 409, got %ld", status);
	status = call_with_header("PATCH", path, "{\"notes\":\"x\"}", user_token, "If-Match: banana", NULL, 0);
	ITEST_CHECK(status == 400, "PATCH with a malformed If-Match: expected 400, got %ld", status);
	struct api_reply reply;
	if (api_call("GET", path, NULL, user_token, NULL, &reply)) {
		const char *notes = json_path_string(reply.body, "data.notes");
		const char *lead_status = json_path_string(reply.body, "data.status");
		ITEST_CHECK(notes && strcmp(notes, "met") == 0 && lead_status && strcmp(lead_status, "qualified") == 0,
					"the stale PATCH changed nothing: notes %s status %s", notes ? notes : "-",
					lead_status ? lead_status : "-");
		api_reply_free(&reply);
	}
	status = call_with_header("DELETE", path, NULL, manager_token, "X-Test: 1", NULL, 0);
	ITEST_CHECK(status == 200, "DELETE: 200, got %ld", status);
	if (api_call("GET", path, NULL, manager_token, NULL, &reply)) {
		expect("GET after delete", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/sales/leads?includeDeleted=true&limit=100", NULL, manager_token, NULL, &reply)) {
		expect("manager lists deleted leads", &reply, 200, NULL);
		bool found = false;
		json_object *items = json_path_get(reply.body, "data");
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			int64_t item_id = 0;
			json_path_int64(json_object_array_get_idx(items, i), "id", &item_id);
			found |= item_id == id;
		}
		ITEST_CHECK(found, "deleted lead %lld is listed with includeDeleted=true", (long long)id);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/sales/leads?includeDeleted=true", NULL, user_token, NULL, &reply)) {
		expect("includeDeleted without sales.delete", &reply, 403, "FORBIDDEN");
		api_reply_free(&reply);
	}
}

static void lead_validation_reports_each_field(void)
{
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/sales/leads",
				  "{\"lastName\":\"\",\"email\":\"nope\",\"status\":\"converted\",\"ownerUserId\":-4,\"rank\":1}",
				  user_token, NULL, &reply))
		return;
	expect("bad lead", &reply, 400, "VALIDATION_ERROR");
	json_object *details = json_path_get(reply.body, "error.details");
	size_t count = details ? json_object_array_length(details) : 0;
	ITEST_CHECK(count == 5, "lastName, email, status, ownerUserId and rank each reported: %zu details", count);
	api_reply_free(&reply);
	if (api_call("POST", "/api/v1/sales/leads", "{\"lastName\":\"X\",\"ownerUserId\":999999999}", user_token, NULL,
				 &reply)) {
		expect("owner that is no user of this tenant", &reply, 422, "UNPROCESSABLE");
		api_reply_free(&reply);
	}
}

static void list_pagination_sort_and_filters_match_known_data(void)
{
	char fresh[64], admin[128], token[TOKEN_MAX];
	identity_unique_slug("sap", fresh, sizeof fresh);
	snprintf(admin, sizeof admin, "admin@%s.test", fresh);
	const char *create[] = { "tenant", "create", fresh, "Paging Co", NULL };
	const char *user[] = { "user", "create", fresh, admin, NULL };
	if (!ITEST_CHECK(admin_command(create, NULL) == 0 && admin_command(user, password) == 0, "fresh tenant") ||
		!ITEST_CHECK(sales_login(fresh, admin, token) == 0, "login to fresh tenant"))
		return;
	for (int i = 0; i < 23; i++) {
		char body[160];
		snprintf(body, sizeof body, "{\"lastName\":\"Name%02d\",\"company\":\"%s\",\"status\":\"%s\"}", i,
				 i % 2 ? "Odd Inc" : "Even Ltd", i < 5 ? "lost" : "new");
		create_record("/api/v1/sales/leads", body, token);
	}
	struct api_reply reply;
	if (api_call("GET", "/api/v1/sales/leads?page=3&limit=10&sortBy=lastName&sortOrder=asc", NULL, token, NULL, &reply)) {
		int64_t total = 0, pages = 0, page = 0;
		json_path_int64(reply.body, "pagination.total", &total);
		json_path_int64(reply.body, "pagination.totalPages", &pages);
		json_path_int64(reply.body, "pagination.page", &page);
		json_object *items = json_path_get(reply.body, "data");
		size_t count = items ? json_object_array_length(items) : 0;
		ITEST_CHECK(total == 23 && pages == 3 && page == 3 && count == 3, "page 3 of 23 by 10: total %lld pages %lld items %zu",
					(long long)total, (long long)pages, count);
		const char *first = count ? json_path_string(json_object_array_get_idx(items, 0), "lastName") : NULL;
		ITEST_CHECK(first && strcmp(first, "Name20") == 0, "ascending lastName: page 3 starts at Name20, got %s",
					first ? first : "(none)");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/sales/leads?status=lost&limit=100", NULL, token, NULL, &reply)) {
		int64_t total = 0;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(total == 5, "status=lost filter: total 5, got %lld", (long long)total);
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/sales/leads?q=Odd&limit=100", NULL, token, NULL, &reply)) {
		int64_t total = 0;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(total == 11, "q=Odd prefix search on company: total 11, got %lld", (long long)total);
		api_reply_free(&reply);
	}
	/* % and _ in q are ordinary characters now: they match themselves */
	if (api_call("GET", "/api/v1/sales/leads?q=Odd%25", NULL, token, NULL, &reply)) {
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(reply.status == 200 && total == 0, "q=Odd%% matches no company: %ld, total %lld", reply.status,
					(long long)total);
		api_reply_free(&reply);
	}
	static const char *const bad_queries[] = { "?sortBy=notes", "?sortBy=password", "?limit=0", "?limit=101",
											   "?page=0", "?status=asleep", "?createdFrom=yesterday", "?q=" };
	for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "/api/v1/sales/leads%s", bad_queries[i]);
		if (api_call("GET", path, NULL, token, NULL, &reply)) {
			ITEST_CHECK(reply.status == 400, "GET %s: expected 400, got %ld", path, reply.status);
			api_reply_free(&reply);
		}
	}
}

/* 1 when error.details names field. */
static bool reply_names_detail(const struct api_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	size_t count = details && json_object_is_type(details, json_type_array) ? json_object_array_length(details) : 0;
	for (size_t i = 0; i < count; i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name != NULL && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

/* A parameter a list does not know would answer the whole list as if it
 * were the filtered one: it is refused and named instead. */
static void unknown_list_parameters_are_400_naming_each_one(void)
{
	struct api_reply reply;
	bool sent = api_call("GET", "/api/v1/sales/leads?company=Navy&bogus=1&limit=5", NULL, manager_token, NULL, &reply);
	if (ITEST_CHECK(sent, "GET leads with unknown parameters: no answer")) {
		expect("unknown list parameters", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(reply_names_detail(&reply, "company") && reply_names_detail(&reply, "bogus") &&
						!reply_names_detail(&reply, "limit"),
					"details name company and bogus, not limit: %s",
					reply.body ? json_object_to_json_string(reply.body) : "no body");
		api_reply_free(&reply);
	}
	sent = api_call("GET", "/api/v1/sales/leads?status=new&status=lost", NULL, manager_token, NULL, &reply);
	if (ITEST_CHECK(sent, "GET leads with a repeated filter: no answer")) {
		expect("a repeated filter", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(reply_names_detail(&reply, "status"), "the repeated status is named");
		api_reply_free(&reply);
	}
	/* One timestamp grammar: RFC 3339 with a fraction and an offset, or a date. */
	static const char *const accepted[] = { "?createdFrom=2026-01-01T00:00:00.250%2B02:00",
											"?createdTo=2999-01-01", "?createdFrom=2026-01-01T00:00:00Z" };
	for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
		char path[160];
		snprintf(path, sizeof path, "/api/v1/sales/leads%s", accepted[i]);
		sent = api_call("GET", path, NULL, manager_token, NULL, &reply);
		if (ITEST_CHECK(sent, "GET %s: no answer", path)) {
			expect(path, &reply, 200, NULL);
			api_reply_free(&reply);
		}
	}
}

static void lead_conversion_creates_account_contact_and_opportunity_once(void)
{
	int64_t lead = create_record("/api/v1/sales/leads",
								 "{\"firstName\":\"Alan\",\"lastName\":\"Turing\",\"company\":\"Bletchley\",\"email\":\"alan@b.test\"}",
								 user_token);
	if (!ITEST_CHECK(lead > 0, "lead created"))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/sales/leads/%lld/convert", (long long)lead);
	struct api_reply reply;
	if (!api_call("POST", path, "{\"createOpportunity\":true,\"amount\":250000,\"currency\":\"GBP\",\"closeDate\":\"2027-01-31\"}",
				  user_token, NULL, &reply))
		return;
	expect("convert", &reply, 200, NULL);
	const char *status = json_path_string(reply.body, "data.lead.status");
	const char *account = json_path_string(reply.body, "data.account.name");
	const char *contact = json_path_string(reply.body, "data.contact.lastName");
	int64_t amount = 0, contact_account = 0, account_id = 0;
	json_path_int64(reply.body, "data.opportunity.amount", &amount);
	json_path_int64(reply.body, "data.contact.accountId", &contact_account);
	json_path_int64(reply.body, "data.account.id", &account_id);
	ITEST_CHECK(status && strcmp(status, "converted") == 0, "lead converted: %s", status ? status : "-");
	ITEST_CHECK(account && strcmp(account, "Bletchley") == 0, "account named after the company: %s", account ? account : "-");
	ITEST_CHECK(contact && strcmp(contact, "Turing") == 0 && contact_account == account_id,
				"contact Turing linked to the new account");
	ITEST_CHECK(amount == 250000, "opportunity amount 250000 minor units, got %lld", (long long)amount);
	api_reply_free(&reply);
	if (api_call("POST", path, "{}", user_token, NULL, &reply)) {
		expect("convert again", &reply, 409, "CONFLICT");
		api_reply_free(&reply);
	}
	char lead_path[96];
	snprintf(lead_path, sizeof lead_path, "/api/v1/sales/leads/%lld", (long long)lead);
	if (api_call("PATCH", lead_path, "{\"status\":\"new\"}", user_token, NULL, &reply)) {
		expect("reopening a converted lead", &reply, 422, "UNPROCESSABLE");
		api_reply_free(&reply);
	}
	if (api_call("DELETE", lead_path, NULL, manager_token, NULL, &reply)) {
		expect("deleting a converted lead", &reply, 422, "UNPROCESSABLE");
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/sales/opportunities/summary", NULL, user_token, NULL, &reply)) {
		expect("summary", &reply, 200, NULL);
		json_object *stages = json_path_get(reply.body, "data.stages");
		int64_t gbp_total = 0;
		for (size_t i = 0; stages && i < json_object_array_length(stages); i++) {
			json_object *entry = json_object_array_get_idx(stages, i);
			const char *currency = json_path_string(entry, "currency");
			const char *stage = json_path_string(entry, "stage");
			int64_t value = 0;
			json_path_int64(entry, "totalAmount", &value);
			if (currency && strcmp(currency, "GBP") == 0 && stage && strcmp(stage, "prospecting") == 0)
				gbp_total += value;
		}
		ITEST_CHECK(gbp_total == 250000, "summary: prospecting GBP total 250000, got %lld", (long long)gbp_total);
		api_reply_free(&reply);
	}
}

static void viewer_cannot_write_sales(void)
{
	int64_t lead = create_record("/api/v1/sales/leads", "{\"lastName\":\"Viewed\"}", user_token);
	char path[96], convert[112];
	snprintf(path, sizeof path, "/api/v1/sales/leads/%lld", (long long)lead);
	snprintf(convert, sizeof convert, "%s/convert", path);
	struct { const char *method, *path, *body; } writes[] = {
		{ "POST", "/api/v1/sales/leads", "{\"lastName\":\"V\"}" },
		{ "POST", "/api/v1/sales/accounts", "{\"name\":\"V\"}" },
		{ "POST", "/api/v1/sales/contacts", "{\"lastName\":\"V\"}" },
		{ "POST", "/api/v1/sales/opportunities", "{\"name\":\"V\"}" },
		{ "PATCH", path, "{\"notes\":\"v\"}" },
		{ "DELETE", path, NULL },
		{ "POST", convert, "{}" },
	};
	struct api_reply reply;
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		if (api_call(writes[i].method, writes[i].path, writes[i].body, viewer_token, NULL, &reply)) {
			ITEST_CHECK(reply.status == 403, "viewer %s %s: expected 403, got %ld", writes[i].method, writes[i].path,
						reply.status);
			api_reply_free(&reply);
		}
	}
	if (api_call("GET", path, NULL, viewer_token, NULL, &reply)) {
		expect("viewer reads", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	if (api_call("DELETE", path, NULL, user_token, NULL, &reply)) {
		expect("user without sales.delete", &reply, 403, "FORBIDDEN");
		api_reply_free(&reply);
	}
}

static void another_tenants_records_are_not_found(void)
{
	int64_t ids[4];
	ids[0] = create_record("/api/v1/sales/leads", "{\"lastName\":\"Mine\"}", manager_token);
	ids[1] = create_record("/api/v1/sales/accounts", "{\"name\":\"Mine Ltd\"}", manager_token);
	char body[96];
	snprintf(body, sizeof body, "{\"lastName\":\"Mine\",\"accountId\":%lld}", (long long)ids[1]);
	ids[2] = create_record("/api/v1/sales/contacts", body, manager_token);
	ids[3] = create_record("/api/v1/sales/opportunities", "{\"name\":\"Mine deal\",\"amount\":100}", manager_token);
	static const char *const bases[] = { "leads", "accounts", "contacts", "opportunities" };
	static const char *const methods[] = { "GET", "PATCH", "DELETE" };
	struct api_reply reply;
	for (size_t r = 0; r < 4; r++) {
		for (size_t m = 0; m < 3; m++) {
			char path[96];
			snprintf(path, sizeof path, "/api/v1/sales/%s/%lld", bases[r], (long long)ids[r]);
			if (api_call(methods[m], path, m == 1 ? "{}" : NULL, other_token, NULL, &reply)) {
				ITEST_CHECK(reply.status == 404, "other tenant %s %s: expected 404, got %ld", methods[m], path,
							reply.status);
				api_reply_free(&reply);
			}
		}
	}
	char path[96];
	snprintf(path, sizeof path, "/api/v1/sales/leads/%lld/convert", (long long)ids[0]);
	if (api_call("POST", path, "{}", other_token, NULL, &reply)) {
		expect("other tenant converts", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	/* Nor can another tenant point its records at ours. */
	if (api_call("POST", "/api/v1/sales/contacts", body, other_token, NULL, &reply)) {
		expect("contact referencing another tenant's account", &reply, 422, "UNPROCESSABLE");
		api_reply_free(&reply);
	}
}

static int64_t lead_total(const char *token)
{
	struct api_reply reply;
	int64_t total = -1;
	if (api_call("GET", "/api/v1/sales/leads?limit=1", NULL, token, NULL, &reply)) {
		json_path_int64(reply.body, "pagination.total", &total);
		api_reply_free(&reply);
	}
	return total;
}

static void idempotent_retry_creates_one_lead(void)
{
	char key_header[96];
	snprintf(key_header, sizeof key_header, "Idempotency-Key: %s-retry", tenant);
	int64_t before = lead_total(manager_token);
	char authorization[4200];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", manager_token);
	const char *headers[3] = { authorization, key_header, NULL };
	int64_t first_id = 0, second_id = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct http_request request = { .method = "POST", .path_and_query = "/api/v1/sales/leads",
										.content_type = "application/json", .body = "{\"lastName\":\"Once\"}",
										.body_length = 19, .extra_headers = headers };
		struct http_response response;
		char error_text[128], why[64];
		memset(&response, 0, sizeof response);
		if (ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text), "attempt %d: %s",
						attempt + 1, error_text)) {
			json_object *body = json_parse_whole(response.body, response.body_length, why, sizeof why);
			ITEST_CHECK(response.status == 201, "attempt %d: 201, got %ld", attempt + 1, response.status);
			json_path_int64(body, "data.id", attempt == 0 ? &first_id : &second_id);
			if (body)
				json_object_put(body);
		}
		http_response_free(&response);
	}
	ITEST_CHECK(first_id > 0 && first_id == second_id, "retry returns the same lead: %lld and %lld",
				(long long)first_id, (long long)second_id);
	ITEST_CHECK(lead_total(manager_token) == before + 1, "exactly one lead was added");
	struct http_request different = { .method = "POST", .path_and_query = "/api/v1/sales/leads",
									  .content_type = "application/json", .body = "{\"lastName\":\"Twice\"}",
									  .body_length = 20, .extra_headers = headers };
	struct http_response response;
	char error_text[128];
	memset(&response, 0, sizeof response);
	if (ITEST_CHECK(http_client_send(&different, &response, error_text, sizeof error_text), "different body: %s",
					error_text))
		ITEST_CHECK(response.status == 422, "same key, different body: expected 422, got %ld", response.status);
	http_response_free(&response);
}

/* GET the stage history of an opportunity as token: the reply (caller frees). */
static bool stage_history(int64_t id, const char *token, struct api_reply *reply)
{
	char path[128];
	snprintf(path, sizeof path, "/api/v1/sales/opportunities/%lld/stage-history", (long long)id);
	return api_call("GET", path, NULL, token, NULL, reply);
}

static long patch_opportunity(int64_t id, const char *body, const char *token)
{
	char path[96];
	snprintf(path, sizeof path, "/api/v1/sales/opportunities/%lld", (long long)id);
	struct api_reply reply;
	long status = 0;
	if (api_call("PATCH", path, body, token, NULL, &reply)) {
		status = reply.status;
		api_reply_free(&reply);
	}
	return status;
}

static void opportunities_need_a_lost_reason_and_keep_their_stage_history(void)
{
	int64_t id = create_record("/api/v1/sales/opportunities", "{\"name\":\"Fleet renewal\",\"amount\":1000}", user_token);
	if (!ITEST_CHECK(id > 0, "opportunity created"))
		return;
	struct api_reply reply;
	/* entering closed_lost needs a reason, on create as on update */
	if (api_call("POST", "/api/v1/sales/opportunities", "{\"name\":\"Lost at once\",\"stage\":\"closed_lost\"}",
				 user_token, NULL, &reply)) {
		expect("create lost without a reason", &reply, 422, "UNPROCESSABLE");
		json_object *details = json_path_get(reply.body, "error.details");
		const char *field = details ? json_path_string(json_object_array_get_idx(details, 0), "field") : NULL;
		ITEST_CHECK(field && strcmp(field, "lostReason") == 0, "the refusal names lostReason");
		api_reply_free(&reply);
	}
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"proposal\"}", user_token) == 200, "to proposal");
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"closed_lost\"}", user_token) == 422, "lost without a reason: 422");
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"closed_lost\",\"lostReason\":\"\"}", user_token) == 422,
				"an empty reason is no reason");
	char long_reason[600];
	memset(long_reason, 'r', sizeof long_reason);
	char body[700];
	snprintf(body, sizeof body, "{\"stage\":\"closed_lost\",\"lostReason\":\"%.501s\"}", long_reason);
	ITEST_CHECK(patch_opportunity(id, body, user_token) == 400, "a reason over 500 bytes: 400");
	char path[96];
	snprintf(path, sizeof path, "/api/v1/sales/opportunities/%lld", (long long)id);
	if (api_call("PATCH", path, "{\"stage\":\"closed_lost\",\"lostReason\":\"Price\"}", user_token, NULL, &reply)) {
		expect("lost with a reason", &reply, 200, NULL);
		const char *reason = json_path_string(reply.body, "data.lostReason");
		ITEST_CHECK(reason && strcmp(reason, "Price") == 0, "lostReason kept: %s", reason ? reason : "-");
		api_reply_free(&reply);
	}
	ITEST_CHECK(patch_opportunity(id, "{\"lostReason\":null}", user_token) == 422,
				"a lost opportunity cannot lose its reason");
	ITEST_CHECK(patch_opportunity(id, "{\"probability\":5}", user_token) == 200, "no stage change");
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"negotiation\"}", user_token) == 200, "reopened");
	/* refusals */
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"closed_won\"}", viewer_token) == 403, "a viewer cannot change it");
	ITEST_CHECK(patch_opportunity(id, "{\"stage\":\"closed_won\"}", other_token) == 404, "another tenant: 404");
	if (stage_history(id, other_token, &reply)) {
		expect("another tenant's history", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	if (stage_history(999999999, user_token, &reply)) {
		expect("no such opportunity", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	/* the history: created, proposal, lost (with the reason), negotiation; not the refused ones */
	static const char *const from[] = { NULL, "prospecting", "proposal", "closed_lost" };
	static const char *const to[] = { "prospecting", "proposal", "closed_lost", "negotiation" };
	if (stage_history(id, viewer_token, &reply)) {
		expect("history", &reply, 200, NULL);
		json_object *list = json_path_get(reply.body, "data");
		bool same = list && json_object_array_length(list) == 4;
		for (size_t i = 0; same && i < 4; i++) {
			json_object *entry = json_object_array_get_idx(list, i);
			const char *f = json_path_string(entry, "fromStage"), *t = json_path_string(entry, "toStage");
			const char *when = json_path_string(entry, "changedAt");
			int64_t by = 0;
			json_path_int64(entry, "changedBy", &by);
			same = (from[i] ? f && strcmp(f, from[i]) == 0 : f == NULL) && t && strcmp(t, to[i]) == 0 && by > 0 &&
				   when && strlen(when) == 27;
		}
		const char *reason = list ? json_path_string(json_object_array_get_idx(list, 2), "lostReason") : NULL;
		ITEST_CHECK(same && reason && strcmp(reason, "Price") == 0, "four changes in order, the loss with its reason: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	/* an opportunity made by converting a lead starts its history too */
	int64_t lead = create_record("/api/v1/sales/leads", "{\"lastName\":\"Lovelace\",\"company\":\"Engines\"}", user_token);
	char convert[96];
	snprintf(convert, sizeof convert, "/api/v1/sales/leads/%lld/convert", (long long)lead);
	int64_t converted = 0;
	if (lead > 0 && api_call("POST", convert, "{\"createOpportunity\":true}", user_token, NULL, &reply)) {
		expect("convert", &reply, 200, NULL);
		json_path_int64(reply.body, "data.opportunity.id", &converted);
		api_reply_free(&reply);
	}
	if (converted > 0 && stage_history(converted, user_token, &reply)) {
		json_object *list = json_path_get(reply.body, "data");
		ITEST_CHECK(reply.status == 200 && list && json_object_array_length(list) == 1,
					"the converted opportunity's history has its first stage: %s",
					json_object_to_json_string(reply.body));
		api_reply_free(&reply);
	}
	/* stage changes are audited with before and after */
	char admin[128], admin_token[TOKEN_MAX];
	snprintf(admin, sizeof admin, "admin@%s.test", tenant);
	if (ITEST_CHECK(api_login(admin, password, tenant, admin_token, NULL) == 200, "the admin logs in") &&
		api_call("GET", "/api/v1/audit?action=sales.opportunity.stage&limit=100", NULL, admin_token, NULL, &reply)) {
		char target[24];
		snprintf(target, sizeof target, "%lld", (long long)id);
		json_object *items = json_path_get(reply.body, "data");
		int found = 0;
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *entry = json_object_array_get_idx(items, i);
			const char *t = json_path_string(entry, "targetId"), *details = json_path_string(entry, "details");
			found += t && strcmp(t, target) == 0 && details && strstr(details, "\"before\":{\"stage\":") != NULL;
		}
		ITEST_CHECK(reply.status == 200 && found == 4, "four audit entries with before and after, found %d", found);
		api_reply_free(&reply);
	}
}

/* ------------------------------------------------------- cached sessions */

/* Lists from several clients at once, so that workers serve some each and
 * keep the session in their cache; each answer must have status. A child
 * reports its bad answers (the first on stderr) through its exit status.
 * Few enough that the test stack's 200 requests a minute per user hold
 * for the whole test. */
#define CACHE_CLIENTS 4
#define CACHE_REQUESTS_EACH 3

struct cached_list {
	const char *token, *path;
	long status;
};

static int cached_list_child(const void *argument)
{
	const struct cached_list *list = argument;
	int bad = 0;
	for (int i = 0; i < CACHE_REQUESTS_EACH; i++) {
		struct api_reply reply = { 0 };
		if (!api_call("GET", list->path, NULL, list->token, NULL, &reply)) {
			bad++;
			continue;
		}
		if (reply.status != list->status) {
			if (bad == 0)
				fprintf(stderr, "    cached session: GET %s wanted %ld, got %ld %s\n", list->path, list->status,
						reply.status, api_error_code(&reply));
			bad++;
		}
		api_reply_free(&reply);
	}
	return bad;
}

#define EXPECT_ALL(token, path, status, what)                                                                  \
	do {                                                                                                       \
		struct cached_list list = { (token), (path), (status) };                                               \
		int bad_answers = parallel_clients_run_each(CACHE_CLIENTS, cached_list_child, &list, CACHE_REQUESTS_EACH); \
		ITEST_CHECK(bad_answers == 0, "%s: %d of %d answers not %ld", what, bad_answers,                       \
					CACHE_CLIENTS * CACHE_REQUESTS_EACH, (long)(status));                                      \
	} while (0)

/* Workers keep the sessions they found valid, and a list page confirms its
 * caller in its own statement (or, past the first pages, alone): a profile
 * change, a deactivated user, a suspended tenant or a logout is seen on the
 * very next request by every worker, as without the cache. */
static void cached_sessions_see_every_change_at_once(void)
{
	char slug[64], admin[128], seller[128], admin_token[TOKEN_MAX], token[TOKEN_MAX], path[96];
	identity_unique_slug("sac", slug, sizeof slug);
	snprintf(admin, sizeof admin, "admin@%s.test", slug);
	snprintf(seller, sizeof seller, "seller@%s.test", slug);
	const char *const create[] = { "tenant", "create", slug, "Cache Co", NULL };
	const char *const u_admin[] = { "user", "create", slug, admin, NULL };
	if (!ITEST_CHECK(admin_command(create, NULL) == 0 && admin_command(u_admin, password) == 0, "tenant") ||
		!ITEST_CHECK(sales_login(slug, admin, admin_token) == 0, "admin login"))
		return;
	struct api_reply reply;
	int64_t profile_id = 0, user_id = 0;
	if (!api_call("POST", "/api/v1/profiles", "{\"name\":\"Sellers\",\"permissions\":[\"sales.view\"]}", admin_token,
				  NULL, &reply))
		return;
	json_path_int64(reply.body, "data.id", &profile_id);
	ITEST_CHECK(reply.status == 201 && profile_id > 0, "profile: %ld", reply.status);
	api_reply_free(&reply);
	char body[512];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"name\":\"Seller\",\"password\":\"%s\",\"profileId\":%lld}", seller,
			 password, (long long)profile_id);
	if (!api_call("POST", "/api/v1/users", body, admin_token, NULL, &reply))
		return;
	json_path_int64(reply.body, "data.id", &user_id);
	ITEST_CHECK(reply.status == 201 && user_id > 0, "user: %ld", reply.status);
	api_reply_free(&reply);
	if (!ITEST_CHECK(sales_login(slug, seller, token) == 0, "seller login"))
		return;
	const char *first = "/api/v1/sales/leads?page=1&limit=5", *deep = "/api/v1/sales/leads?page=40&limit=5";
	EXPECT_ALL(token, first, 200, "first page, before any change");
	EXPECT_ALL(token, deep, 200, "a deep page, before any change");

	char profile_path[64];
	snprintf(profile_path, sizeof profile_path, "/api/v1/profiles/%lld", (long long)profile_id);
	if (api_call("PATCH", profile_path, "{\"permissions\":[\"finance.view\"]}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "sales.view taken away: %ld", reply.status);
		api_reply_free(&reply);
	}
	EXPECT_ALL(token, first, 403, "without sales.view, on the next request");
	EXPECT_ALL(token, deep, 403, "without sales.view, a deep page");
	if (api_call("PATCH", profile_path, "{\"permissions\":[\"sales.view\"]}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "sales.view given back: %ld", reply.status);
		api_reply_free(&reply);
	}
	EXPECT_ALL(token, first, 200, "sales.view given back");

	const char *const suspend[] = { "tenant", "suspend", slug, NULL };
	const char *const resume[] = { "tenant", "resume", slug, NULL };
	ITEST_CHECK(admin_command(suspend, NULL) == 0, "suspend");
	EXPECT_ALL(token, first, 403, "a suspended tenant");
	ITEST_CHECK(admin_command(resume, NULL) == 0, "resume");
	EXPECT_ALL(token, first, 200, "resumed");

	snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)user_id);
	if (api_call("PATCH", path, "{\"status\":\"deactivated\"}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "deactivate: %ld %s", reply.status, api_error_code(&reply));
		api_reply_free(&reply);
	}
	EXPECT_ALL(token, first, 401, "a deactivated user");
	EXPECT_ALL(token, deep, 401, "a deactivated user, a deep page");
	if (api_call("PATCH", path, "{\"status\":\"active\"}", admin_token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200, "reactivate: %ld %s", reply.status, api_error_code(&reply));
		api_reply_free(&reply);
	}

	/* The seller's own logout, with a fresh session cached everywhere first. */
	if (!ITEST_CHECK(sales_login(slug, seller, token) == 0, "seller login again"))
		return;
	EXPECT_ALL(token, first, 200, "a new session");
	if (api_call("POST", "/api/v1/auth/logout", "{}", token, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 || reply.status == 204, "logout: %ld", reply.status);
		api_reply_free(&reply);
	}
	EXPECT_ALL(token, first, 401, "after logout");
	EXPECT_ALL(token, deep, 401, "after logout, a deep page");
}

bool sales_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("sales", sales_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "leads_crud_with_etag_and_soft_delete", leads_crud_with_etag_and_soft_delete, NULL) &&
		   itest_add_test(suite, "lead_validation_reports_each_field", lead_validation_reports_each_field, NULL) &&
		   itest_add_test(suite, "list_pagination_sort_and_filters_match_known_data",
						  list_pagination_sort_and_filters_match_known_data, NULL) &&
		   itest_add_test(suite, "unknown_list_parameters_are_400_naming_each_one",
						  unknown_list_parameters_are_400_naming_each_one, NULL) &&
		   itest_add_test(suite, "lead_conversion_creates_account_contact_and_opportunity_once",
						  lead_conversion_creates_account_contact_and_opportunity_once, NULL) &&
		   itest_add_test(suite, "viewer_cannot_write_sales", viewer_cannot_write_sales, NULL) &&
		   itest_add_test(suite, "another_tenants_records_are_not_found", another_tenants_records_are_not_found, NULL) &&
		   itest_add_test(suite, "idempotent_retry_creates_one_lead", idempotent_retry_creates_one_lead, NULL) &&
		   itest_add_test(suite, "opportunities_need_a_lost_reason_and_keep_their_stage_history",
						  opportunities_need_a_lost_reason_and_keep_their_stage_history, NULL) &&
		   itest_add_test(suite, "cached_sessions_see_every_change_at_once", cached_sessions_see_every_change_at_once,
						  NULL);
}

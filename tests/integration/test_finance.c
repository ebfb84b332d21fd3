/*
 * Finance over real HTTP: invoices with server-computed totals, expenses,
 * the draft -> submitted -> approved | rejected -> paid flow with its
 * refusals (own document, wrong state, missing permission, another tenant),
 * ETag/If-Match, Idempotency-Key, lists, and a race of concurrent approvals
 * of which exactly one may win. Tenants and users are created per run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"

enum { TOKEN_MAX = 4097, RACERS = 8 };

struct finance_user {
	const char *role;
	char email[128];
	char token[TOKEN_MAX];
	int64_t id;
};

/* Tenant A: an admin, two managers (finance.approve), a user (no approve) and
 * a viewer; tenant B: its admin. */
static char tenant_a[64], tenant_b[64];
static struct finance_user admin_a = { "tenant_admin" }, manager_1 = { "manager" }, manager_2 = { "manager" },
						   clerk = { "user" }, viewer = { "viewer" }, admin_b = { "tenant_admin" };
static const char password[] = "finance-password-77";
static unsigned invoice_counter;

struct fin_reply {
	long status;
	json_object *body;
	char etag[32];
	char replayed[16];
};

static void fin_reply_free(struct fin_reply *reply)
{
	if (reply->body != NULL)
		json_object_put(reply->body);
	reply->body = NULL;
}

/* One request with a bearer token and at most one extra header line. */
static bool fin_call(const char *method, const char *path, const char *json_body, const struct finance_user *user,
					 const char *extra_header, struct fin_reply *reply)
{
	char authorization[4200];
	const char *headers[3] = { NULL, NULL, NULL };
	size_t count = 0;
	memset(reply, 0, sizeof *reply);
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", user->token);
	headers[count++] = authorization;
	if (extra_header != NULL)
		headers[count++] = extra_header;
	struct http_request request = {
		.method = method,
		.path_and_query = path,
		.content_type = json_body ? "application/json" : NULL,
		.body = json_body,
		.body_length = json_body ? strlen(json_body) : 0,
		.extra_headers = headers,
	};
	struct http_response response;
	char error_text[256], why[128];
	memset(&response, 0, sizeof response);
	if (!http_client_send(&request, &response, error_text, sizeof error_text)) {
		ITEST_CHECK(false, "%s %s: %s", method, path, error_text);
		http_response_free(&response);
		return false;
	}
	reply->status = response.status;
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	const char *value = http_response_header(&response, "ETag");
	snprintf(reply->etag, sizeof reply->etag, "%s", value ? value : "");
	value = http_response_header(&response, "Idempotent-Replayed");
	snprintf(reply->replayed, sizeof reply->replayed, "%s", value ? value : "");
	http_response_free(&response);
	return true;
}

static const char *fin_error_code(const struct fin_reply *reply)
{
	const char *code = reply->body ? json_path_string(reply->body, "error.code") : NULL;
	return code ? code : "";
}

static bool expect(const char *label, const struct fin_reply *reply, long status, const char *code)
{
	bool ok = ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld: %s", label, status, reply->status,
						  reply->body ? json_object_to_json_string(reply->body) : "(no body)");
	if (code != NULL)
		ok = ITEST_CHECK(strcmp(fin_error_code(reply), code) == 0, "%s: expected error %s, got \"%s\"", label, code,
						 fin_error_code(reply)) && ok;
	return ok;
}

/* Calls and checks the status in one go; frees the reply. */
static bool call_expect(const char *label, const char *method, const char *path, const char *json_body,
						const struct finance_user *user, long status, const char *code)
{
	struct fin_reply reply;
	if (!fin_call(method, path, json_body, user, NULL, &reply))
		return false;
	bool ok = expect(label, &reply, status, code);
	fin_reply_free(&reply);
	return ok;
}

/* True when error.details names field. */
static bool has_detail(const struct fin_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	for (size_t i = 0; details && json_object_is_type(details, json_type_array) && i < json_object_array_length(details);
		 i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

static int64_t data_int(const struct fin_reply *reply, const char *path)
{
	char full[128];
	int64_t value = -1;
	snprintf(full, sizeof full, "data.%s", path);
	if (reply->body == NULL || !json_path_int64(reply->body, full, &value))
		return -1;
	return value;
}

static const char *data_string(const struct fin_reply *reply, const char *path)
{
	char full[128];
	snprintf(full, sizeof full, "data.%s", path);
	const char *value = reply->body ? json_path_string(reply->body, full) : NULL;
	return value ? value : "";
}

static bool login(struct finance_user *user, const char *slug)
{
	char body[512];
	snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"tenantSlug\":\"%s\"}", user->email, password,
			 slug);
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/auth/login", body, NULL, NULL, &reply))
		return false;
	const char *token = reply.status == 200 ? json_path_string(reply.body, "data.accessToken") : NULL;
	bool ok = token != NULL && json_path_int64(reply.body, "data.user.id", &user->id);
	if (ok)
		snprintf(user->token, sizeof user->token, "%s", token);
	else
		fprintf(stderr, "finance: login %s failed with %ld\n", user->email, reply.status);
	api_reply_free(&reply);
	return ok;
}

static bool create_user(struct finance_user *user, const char *slug, const char *name)
{
	snprintf(user->email, sizeof user->email, "%s@%s.test", name, slug);
	const char *arguments[] = { "user", "create", slug, user->email, "--role", user->role, NULL };
	return admin_command(arguments, password) == 0 && login(user, slug);
}

static int finance_suite_init(void)
{
	identity_unique_slug("fina", tenant_a, sizeof tenant_a);
	identity_unique_slug("finb", tenant_b, sizeof tenant_b);
	const char *create_a[] = { "tenant", "create", tenant_a, "Finance A", NULL };
	const char *create_b[] = { "tenant", "create", tenant_b, "Finance B", NULL };
	if (admin_command(create_a, NULL) != 0 || admin_command(create_b, NULL) != 0)
		return 1;
	if (!create_user(&admin_a, tenant_a, "admin") || !create_user(&manager_1, tenant_a, "manager1") ||
		!create_user(&manager_2, tenant_a, "manager2") || !create_user(&clerk, tenant_a, "clerk") ||
		!create_user(&viewer, tenant_a, "viewer") || !create_user(&admin_b, tenant_b, "admin"))
		return 1;
	return 0;
}

/* ------------------------------------------------------------------ fixtures */

static const char one_line[] = "[{\"description\":\"Consulting\",\"quantity\":2,\"unitPrice\":5000,\"taxRateBp\":2000}]";

/* A draft invoice with these lines (JSON array text); 0 on failure. */
static int64_t create_invoice(const struct finance_user *user, const char *lines, struct fin_reply *kept)
{
	char body[4096];
	unsigned number = ++invoice_counter;
	snprintf(body, sizeof body,
			 "{\"number\":\"INV-%u\",\"customerName\":\"Customer %u\",\"issueDate\":\"2026-03-01\",\"lines\":%s}",
			 number, number, lines);
	struct fin_reply reply;
	if (!fin_call("POST", "/api/v1/finance/invoices", body, user, NULL, &reply))
		return 0;
	int64_t id = expect("create invoice", &reply, 201, NULL) ? data_int(&reply, "id") : 0;
	if (kept != NULL)
		*kept = reply;
	else
		fin_reply_free(&reply);
	return id > 0 ? id : 0;
}

static int64_t create_expense(const struct finance_user *user, const char *category, int64_t amount)
{
	char body[512];
	snprintf(body, sizeof body,
			 "{\"description\":\"Taxi\",\"category\":\"%s\",\"amount\":%lld,\"currency\":\"EUR\","
			 "\"expenseDate\":\"2026-03-02\"}",
			 category, (long long)amount);
	struct fin_reply reply;
	if (!fin_call("POST", "/api/v1/finance/expenses", body, user, NULL, &reply))
		return 0;
	int64_t id = expect("create expense", &reply, 201, NULL) ? data_int(&reply, "id") : 0;
	fin_reply_free(&reply);
	return id > 0 ? id : 0;
}

/* POST /finance/<kind>s/<id>/<step> and check the answer. */
static bool step(const char *kind, int64_t id, const char *action, const char *json_body,
				 const struct finance_user *user, long status, const char *code)
{
	char path[160], label[160];
	snprintf(path, sizeof path, "/api/v1/finance/%ss/%lld/%s", kind, (long long)id, action);
	snprintf(label, sizeof label, "%s %s %lld as %s", action, kind, (long long)id, user->email);
	return call_expect(label, "POST", path, json_body, user, status, code);
}

static int64_t list_total(const struct finance_user *user, const char *path)
{
	struct fin_reply reply;
	int64_t total = -1;
	if (fin_call("GET", path, NULL, user, NULL, &reply) && expect(path, &reply, 200, NULL))
		json_path_int64(reply.body, "pagination.total", &total);
	fin_reply_free(&reply);
	return total;
}

/* ------------------------------------------------------------------ tests */

static void invoice_totals_are_computed_exactly_in_minor_units(void)
{
	/* 3 x 19.99 at 20 %: 59.97 + 11.99 (11.994 rounds down); 2 x 2.50 at 7 %:
	 * 5.00 + 0.35; 1 x 0.01 at 50 %: 0.005 rounds half up to 0.01. */
	static const char lines[] = "[{\"description\":\"Widget\",\"quantity\":3,\"unitPrice\":1999,\"taxRateBp\":2000},"
								"{\"description\":\"Gadget\",\"quantity\":2,\"unitPrice\":250,\"taxRateBp\":700},"
								"{\"description\":\"Caf\\u00e9 \\\"spécial\\\"\",\"quantity\":1,\"unitPrice\":1,"
								"\"taxRateBp\":5000}]";
	struct fin_reply created;
	int64_t id = create_invoice(&manager_1, lines, &created);
	if (!ITEST_CHECK(id > 0, "invoice created"))
		return;
	ITEST_CHECK(data_int(&created, "subtotal") == 6498, "subtotal 5997 + 500 + 1 = 6498, got %lld",
				(long long)data_int(&created, "subtotal"));
	ITEST_CHECK(data_int(&created, "tax") == 1235, "tax 1199 + 35 + 1 = 1235, got %lld",
				(long long)data_int(&created, "tax"));
	ITEST_CHECK(data_int(&created, "total") == 7733, "total 7733, got %lld", (long long)data_int(&created, "total"));
	ITEST_CHECK(strcmp(data_string(&created, "status"), "draft") == 0, "a new invoice is a draft");
	ITEST_CHECK(data_int(&created, "createdBy") == manager_1.id, "createdBy is the creator");
	ITEST_CHECK(strcmp(created.etag, "\"1\"") == 0, "ETag \"1\" on create, got %s", created.etag);
	fin_reply_free(&created);

	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	struct fin_reply reply;
	if (!fin_call("GET", path, NULL, &viewer, NULL, &reply) || !expect("GET invoice as viewer", &reply, 200, NULL)) {
		fin_reply_free(&reply);
		return;
	}
	json_object *items = json_path_get(reply.body, "data.lines");
	if (ITEST_CHECK(items && json_object_array_length(items) == 3, "three lines come back")) {
		static const int64_t expected[3][4] = { { 1, 5997, 1199, 2000 }, { 2, 500, 35, 700 }, { 3, 1, 1, 5000 } };
		for (size_t i = 0; i < 3; i++) {
			json_object *line = json_object_array_get_idx(items, i);
			int64_t line_no = 0, line_total = 0, tax = 0, rate = 0;
			json_path_int64(line, "lineNo", &line_no);
			json_path_int64(line, "lineTotal", &line_total);
			json_path_int64(line, "tax", &tax);
			json_path_int64(line, "taxRateBp", &rate);
			ITEST_CHECK(line_no == expected[i][0] && line_total == expected[i][1] && tax == expected[i][2] &&
							rate == expected[i][3],
						"line %zu: no %lld total %lld tax %lld rate %lld", i, (long long)line_no,
						(long long)line_total, (long long)tax, (long long)rate);
		}
		const char *description = json_path_string(json_object_array_get_idx(items, 2), "description");
		ITEST_CHECK(description && strcmp(description, "Caf\xc3\xa9 \"sp\xc3\xa9" "cial\"") == 0,
					"description kept byte for byte, got %s", description ? description : "(null)");
	}
	ITEST_CHECK(data_int(&reply, "total") == 7733 && strcmp(reply.etag, "\"1\"") == 0, "GET: total 7733, ETag \"1\"");
	fin_reply_free(&reply);

	/* Replacing the lines recomputes the totals. */
	struct fin_reply patched;
	if (fin_call("PATCH", path,
				 "{\"lines\":[{\"description\":\"Flat fee\",\"quantity\":1,\"unitPrice\":100000,\"taxRateBp\":1950}]}",
				 &manager_1, "If-Match: \"1\"", &patched) &&
		expect("PATCH lines", &patched, 200, NULL)) {
		ITEST_CHECK(data_int(&patched, "subtotal") == 100000 && data_int(&patched, "tax") == 19500 &&
						data_int(&patched, "total") == 119500,
					"new totals 100000 + 19500 = 119500, got %lld", (long long)data_int(&patched, "total"));
		json_object *new_lines = json_path_get(patched.body, "data.lines");
		ITEST_CHECK(new_lines && json_object_array_length(new_lines) == 1, "the lines were replaced");
		ITEST_CHECK(strcmp(patched.etag, "\"2\"") == 0, "ETag \"2\" after the PATCH, got %s", patched.etag);
	}
	fin_reply_free(&patched);
}

static void invoice_validation_reports_each_field(void)
{
	struct fin_reply reply;
	const char *bad =
		"{\"number\":\"\",\"customerName\":5,\"currency\":\"euro\",\"issueDate\":\"2026-02-30\",\"bogus\":1,"
		"\"lines\":[{\"quantity\":0,\"unitPrice\":-1,\"taxRateBp\":10001,\"colour\":\"red\"},"
		"{\"description\":\"ok\",\"quantity\":1.5,\"unitPrice\":\"9\"}, 7]}";
	if (fin_call("POST", "/api/v1/finance/invoices", bad, &manager_1, NULL, &reply) &&
		expect("invalid invoice", &reply, 400, "VALIDATION_ERROR")) {
		static const char *const fields[] = { "number", "customerName", "currency", "issueDate", "bogus",
											  "lines[0].description", "lines[0].quantity", "lines[0].unitPrice",
											  "lines[0].taxRateBp", "lines[0].colour", "lines[1].quantity",
											  "lines[1].unitPrice", "lines[2]" };
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			ITEST_CHECK(has_detail(&reply, fields[i]), "details name %s: %s", fields[i],
						json_object_to_json_string(reply.body));
	}
	fin_reply_free(&reply);
	/* An integer beyond int64 never reaches the field checks: such a body is
	 * not strict JSON, and the one detail names the byte where it starts. */
	if (fin_call("POST", "/api/v1/finance/invoices",
				 "{\"number\":\"X-0\",\"customerName\":\"C\",\"lines\":[{\"description\":\"a\",\"quantity\":1,"
				 "\"unitPrice\":9223372036854775808}]}",
				 &manager_1, NULL, &reply) &&
		expect("unitPrice beyond int64", &reply, 400, "VALIDATION_ERROR")) {
		json_object *details = json_path_get(reply.body, "error.details");
		json_object *first = details && json_object_is_type(details, json_type_array)
								 ? json_object_array_get_idx(details, 0) : NULL;
		const char *issue = first ? json_path_string(first, "issue") : NULL;
		ITEST_CHECK(issue && strcmp(issue, "byte 88: integer outside the signed 64-bit range") == 0,
					"unitPrice beyond int64: the detail names byte 88: %s", json_object_to_json_string(reply.body));
	}
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/finance/invoices", "{\"number\":\"X-1\",\"customerName\":\"C\"}", &manager_1, NULL,
				 &reply) &&
		expect("invoice without lines", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "lines"), "details name lines");
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/finance/invoices", "{\"number\":\"X-2\",\"customerName\":\"C\",\"lines\":[]}",
				 &manager_1, NULL, &reply) &&
		expect("invoice with no lines", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "lines"), "details name lines");
	fin_reply_free(&reply);

	/* Valid numbers whose product does not fit in int64: 422, and nothing stored. */
	if (fin_call("POST", "/api/v1/finance/invoices",
				 "{\"number\":\"X-3\",\"customerName\":\"C\",\"lines\":[{\"description\":\"a\",\"quantity\":2,"
				 "\"unitPrice\":9223372036854775807}]}",
				 &manager_1, NULL, &reply) &&
		expect("overflowing line", &reply, 422, "UNPROCESSABLE"))
		ITEST_CHECK(has_detail(&reply, "lines[0]"), "details name lines[0]");
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/finance/invoices",
				 "{\"number\":\"X-4\",\"customerName\":\"C\",\"lines\":[{\"description\":\"a\",\"quantity\":1,"
				 "\"unitPrice\":9000000000000000000},{\"description\":\"b\",\"quantity\":1,"
				 "\"unitPrice\":9000000000000000000}]}",
				 &manager_1, NULL, &reply) &&
		expect("overflowing total", &reply, 422, "UNPROCESSABLE"))
		ITEST_CHECK(has_detail(&reply, "lines"), "details name lines");
	fin_reply_free(&reply);

	/* Server-set fields are not writable; expenses are checked the same way. */
	if (fin_call("POST", "/api/v1/finance/invoices",
				 "{\"number\":\"X-5\",\"customerName\":\"C\",\"status\":\"approved\",\"total\":1,\"lines\":[{"
				 "\"description\":\"a\",\"quantity\":1,\"unitPrice\":1}]}",
				 &manager_1, NULL, &reply) &&
		expect("status in the body", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "status") && has_detail(&reply, "total"), "status and total are refused");
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/finance/expenses", "{\"amount\":0,\"currency\":\"eur\",\"expenseDate\":\"x\"}",
				 &clerk, NULL, &reply) &&
		expect("invalid expense", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "description") && has_detail(&reply, "amount") &&
						has_detail(&reply, "currency") && has_detail(&reply, "expenseDate"),
					"expense details: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	/* An account id must name a live account of this tenant. */
	if (fin_call("POST", "/api/v1/finance/invoices",
				 "{\"number\":\"X-6\",\"customerName\":\"C\",\"accountId\":999999999,\"lines\":[{"
				 "\"description\":\"a\",\"quantity\":1,\"unitPrice\":1}]}",
				 &manager_1, NULL, &reply) &&
		expect("unknown account", &reply, 422, "UNPROCESSABLE"))
		ITEST_CHECK(has_detail(&reply, "accountId"), "details name accountId");
	fin_reply_free(&reply);
}

static void invoice_number_is_unique_in_the_tenant_and_account_must_be_ours(void)
{
	struct fin_reply reply;
	const char *body = "{\"number\":\"DUP-1\",\"customerName\":\"C\",\"lines\":[{\"description\":\"a\","
					   "\"quantity\":1,\"unitPrice\":1}]}";
	if (!fin_call("POST", "/api/v1/finance/invoices", body, &manager_1, NULL, &reply))
		return;
	expect("first DUP-1", &reply, 201, NULL);
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/finance/invoices", body, &manager_2, NULL, &reply) &&
		expect("second DUP-1", &reply, 409, "CONFLICT"))
		ITEST_CHECK(has_detail(&reply, "number"), "details name number");
	fin_reply_free(&reply);
	/* The same number in tenant B is another invoice. */
	if (fin_call("POST", "/api/v1/finance/invoices", body, &admin_b, NULL, &reply))
		expect("DUP-1 in tenant B", &reply, 201, NULL);
	fin_reply_free(&reply);

	/* Tenant B's account is not tenant A's; A's own is accepted. */
	int64_t account_b = 0, account_a = 0;
	if (fin_call("POST", "/api/v1/sales/accounts", "{\"name\":\"B Corp\"}", &admin_b, NULL, &reply) &&
		expect("account in B", &reply, 201, NULL))
		account_b = data_int(&reply, "id");
	fin_reply_free(&reply);
	if (fin_call("POST", "/api/v1/sales/accounts", "{\"name\":\"A Corp\"}", &admin_a, NULL, &reply) &&
		expect("account in A", &reply, 201, NULL))
		account_a = data_int(&reply, "id");
	fin_reply_free(&reply);
	char with_account[512];
	snprintf(with_account, sizeof with_account,
			 "{\"number\":\"ACC-B\",\"customerName\":\"C\",\"accountId\":%lld,\"lines\":[{\"description\":\"a\","
			 "\"quantity\":1,\"unitPrice\":1}]}",
			 (long long)account_b);
	call_expect("invoice naming B's account in A", "POST", "/api/v1/finance/invoices", with_account, &manager_1, 422,
				"UNPROCESSABLE");
	snprintf(with_account, sizeof with_account,
			 "{\"number\":\"ACC-A\",\"customerName\":\"C\",\"accountId\":%lld,\"lines\":[{\"description\":\"a\","
			 "\"quantity\":1,\"unitPrice\":1}]}",
			 (long long)account_a);
	if (fin_call("POST", "/api/v1/finance/invoices", with_account, &manager_1, NULL, &reply) &&
		expect("invoice naming A's account", &reply, 201, NULL))
		ITEST_CHECK(data_int(&reply, "accountId") == account_a, "accountId stored");
	fin_reply_free(&reply);
}

static void expense_list_pagination_matches_a_known_count(void)
{
	char category[64], path[192];
	snprintf(category, sizeof category, "pages-%u", ++invoice_counter);
	for (int i = 0; i < 7; i++)
		if (!create_expense(&clerk, category, 100 + i))
			return;
	snprintf(path, sizeof path, "/api/v1/finance/expenses?category=%s&limit=3&page=2&sortBy=amount&sortOrder=asc",
			 category);
	struct fin_reply reply;
	if (fin_call("GET", path, NULL, &viewer, NULL, &reply) && expect("page 2 of 3", &reply, 200, NULL)) {
		int64_t page = 0, limit = 0, total = 0, pages = 0, first_amount = 0;
		json_path_int64(reply.body, "pagination.page", &page);
		json_path_int64(reply.body, "pagination.limit", &limit);
		json_path_int64(reply.body, "pagination.total", &total);
		json_path_int64(reply.body, "pagination.totalPages", &pages);
		json_object *items = json_path_get(reply.body, "data");
		ITEST_CHECK(page == 2 && limit == 3 && total == 7 && pages == 3,
					"pagination page 2, limit 3, total 7, totalPages 3: got %lld %lld %lld %lld", (long long)page,
					(long long)limit, (long long)total, (long long)pages);
		if (ITEST_CHECK(items && json_object_array_length(items) == 3, "three items on page 2")) {
			json_path_int64(json_object_array_get_idx(items, 0), "amount", &first_amount);
			ITEST_CHECK(first_amount == 103, "ascending amounts: page 2 starts at 103, got %lld",
						(long long)first_amount);
		}
	}
	fin_reply_free(&reply);
	snprintf(path, sizeof path, "/api/v1/finance/expenses?category=%s&limit=3&page=3", category);
	if (fin_call("GET", path, NULL, &viewer, NULL, &reply) && expect("page 3 of 3", &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		ITEST_CHECK(items && json_object_array_length(items) == 1, "one item on the last page");
	}
	fin_reply_free(&reply);
	call_expect("limit 101", "GET", "/api/v1/finance/expenses?limit=101", NULL, &viewer, 400, "VALIDATION_ERROR");
}

static void invoice_sort_whitelist_and_status_filter(void)
{
	struct fin_reply reply;
	if (fin_call("GET", "/api/v1/finance/invoices?sortBy=total&sortOrder=asc&limit=100", NULL, &viewer, NULL, &reply) &&
		expect("sortBy=total", &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		int64_t previous = -1;
		bool ordered = true;
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			int64_t total = 0;
			json_path_int64(json_object_array_get_idx(items, i), "total", &total);
			ordered = ordered && total >= previous;
			previous = total;
		}
		ITEST_CHECK(ordered, "totals ascend");
		ITEST_CHECK(items && json_object_array_length(items) > 0 &&
						json_path_get(json_object_array_get_idx(items, 0), "lines") == NULL,
					"lists leave the lines out");
	}
	fin_reply_free(&reply);
	static const char *const allowed[] = { "number", "customerName", "issueDate", "dueDate", "total", "created_at",
										   "updated_at" };
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "/api/v1/finance/invoices?sortBy=%s&limit=1", allowed[i]);
		call_expect(path, "GET", path, NULL, &viewer, 200, NULL);
	}
	if (fin_call("GET", "/api/v1/finance/invoices?sortBy=notes", NULL, &viewer, NULL, &reply) &&
		expect("sortBy=notes", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "sortBy"), "details name sortBy");
	fin_reply_free(&reply);

	int64_t submitted = create_invoice(&manager_1, one_line, NULL);
	if (!submitted || !step("invoice", submitted, "submit", NULL, &manager_1, 200, NULL))
		return;
	if (fin_call("GET", "/api/v1/finance/invoices?status=submitted&limit=100", NULL, &viewer, NULL, &reply) &&
		expect("status=submitted", &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		bool all_submitted = true, found = false;
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *item = json_object_array_get_idx(items, i);
			const char *status = json_path_string(item, "status");
			int64_t id = 0;
			json_path_int64(item, "id", &id);
			all_submitted = all_submitted && status && strcmp(status, "submitted") == 0;
			found = found || id == submitted;
		}
		int64_t total = 0;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(all_submitted && found && total == (int64_t)json_object_array_length(items),
					"only submitted invoices, ours among them, total matches");
	}
	fin_reply_free(&reply);
	call_expect("status=bogus", "GET", "/api/v1/finance/invoices?status=bogus", NULL, &viewer, 400,
				"VALIDATION_ERROR");
}

static void invoice_goes_submitted_approved_paid_with_another_approver(void)
{
	int64_t id = create_invoice(&manager_1, one_line, NULL);
	if (!id)
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/submit", (long long)id);
	struct fin_reply reply;
	if (fin_call("POST", path, NULL, &manager_1, NULL, &reply) && expect("submit", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "submitted") == 0 && data_string(&reply, "submittedAt")[0],
					"submitted, with submittedAt");
	fin_reply_free(&reply);
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/approve", (long long)id);
	if (fin_call("POST", path, "{\"note\":\"looks right\"}", &manager_2, NULL, &reply) &&
		expect("approve by manager 2", &reply, 200, NULL)) {
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "approved") == 0, "approved");
		ITEST_CHECK(data_int(&reply, "decidedBy") == manager_2.id, "decidedBy is manager 2");
		ITEST_CHECK(strcmp(data_string(&reply, "decisionNote"), "looks right") == 0, "the note is kept");
		ITEST_CHECK(strcmp(reply.etag, "\"3\"") == 0, "version 3 after create, submit, approve; ETag %s", reply.etag);
	}
	fin_reply_free(&reply);
	step("invoice", id, "approve", NULL, &manager_2, 409, "CONFLICT");
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/pay", (long long)id);
	if (fin_call("POST", path, NULL, &manager_2, NULL, &reply) && expect("pay", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "paid") == 0 && data_string(&reply, "paidAt")[0],
					"paid, with paidAt");
	fin_reply_free(&reply);
	step("invoice", id, "pay", NULL, &manager_2, 409, "CONFLICT");
	step("invoice", id, "submit", NULL, &manager_1, 409, "CONFLICT");

	/* Every step is in the audit log with the document id. */
	static const char *const actions[] = { "submit", "approve", "pay" };
	for (size_t i = 0; i < 3; i++) {
		char audit_path[160];
		snprintf(audit_path, sizeof audit_path, "/api/v1/audit?action=finance.invoice.%s&limit=100", actions[i]);
		if (!fin_call("GET", audit_path, NULL, &admin_a, NULL, &reply) || !expect(audit_path, &reply, 200, NULL)) {
			fin_reply_free(&reply);
			continue;
		}
		char target[24];
		snprintf(target, sizeof target, "%lld", (long long)id);
		json_object *items = json_path_get(reply.body, "data");
		int found = 0;
		for (size_t j = 0; items && j < json_object_array_length(items); j++) {
			const char *target_id = json_path_string(json_object_array_get_idx(items, j), "targetId");
			found += target_id && strcmp(target_id, target) == 0;
		}
		ITEST_CHECK(found == 1, "one audit entry finance.invoice.%s for %s, found %d", actions[i], target, found);
		fin_reply_free(&reply);
	}
}

static void expense_is_rejected_with_a_note_and_cannot_be_paid(void)
{
	int64_t id = create_expense(&clerk, "travel", 4200);
	if (!id || !step("expense", id, "submit", NULL, &clerk, 200, NULL))
		return;
	step("expense", id, "pay", NULL, &manager_1, 409, "CONFLICT");
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/expenses/%lld/reject", (long long)id);
	struct fin_reply reply;
	if (fin_call("POST", path, "{\"note\":\"no receipt\"}", &manager_1, NULL, &reply) &&
		expect("reject", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "rejected") == 0 &&
						strcmp(data_string(&reply, "decisionNote"), "no receipt") == 0 &&
						data_int(&reply, "decidedBy") == manager_1.id,
					"rejected by manager 1 with the note");
	fin_reply_free(&reply);
	step("expense", id, "pay", NULL, &manager_1, 409, "CONFLICT");
	step("expense", id, "approve", NULL, &manager_2, 409, "CONFLICT");
	step("expense", id, "reject", "{\"note\":5}", &manager_1, 400, "VALIDATION_ERROR");
	step("expense", id, "reject", "{\"reason\":\"x\"}", &manager_1, 400, "VALIDATION_ERROR");
}

static void approving_ones_own_document_is_403(void)
{
	int64_t invoice = create_invoice(&manager_1, one_line, NULL);
	int64_t expense = create_expense(&manager_1, "own", 999);
	if (!invoice || !expense || !step("invoice", invoice, "submit", NULL, &manager_1, 200, NULL) ||
		!step("expense", expense, "submit", NULL, &manager_1, 200, NULL))
		return;
	step("invoice", invoice, "approve", NULL, &manager_1, 403, "FORBIDDEN");
	step("invoice", invoice, "reject", NULL, &manager_1, 403, "FORBIDDEN");
	step("expense", expense, "approve", NULL, &manager_1, 403, "FORBIDDEN");
	/* still submitted: another manager can decide */
	step("expense", expense, "approve", NULL, &manager_2, 200, NULL);
}

static void wrong_state_transitions_are_409(void)
{
	int64_t draft = create_invoice(&manager_1, one_line, NULL);
	if (!draft)
		return;
	step("invoice", draft, "approve", NULL, &manager_2, 409, "CONFLICT");
	step("invoice", draft, "reject", NULL, &manager_2, 409, "CONFLICT");
	step("invoice", draft, "pay", NULL, &manager_2, 409, "CONFLICT");
	/* Submit and pay take nothing: a body with members is refused, not ignored;
	 * a decision's note must be text. */
	step("invoice", draft, "submit", "{\"note\":\"please\"}", &clerk, 400, "VALIDATION_ERROR");
	step("invoice", draft, "reject", "{\"note\":7}", &manager_2, 400, "VALIDATION_ERROR");
	if (!step("invoice", draft, "submit", "{}", &clerk, 200, NULL))
		return;
	step("invoice", draft, "submit", NULL, &clerk, 409, "CONFLICT");
	step("invoice", draft, "pay", NULL, &manager_2, 409, "CONFLICT");
}

static void only_drafts_can_be_edited_or_deleted(void)
{
	struct fin_reply created;
	int64_t id = create_invoice(&manager_1, one_line, &created);
	fin_reply_free(&created);
	if (!id || !step("invoice", id, "submit", NULL, &manager_1, 200, NULL))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	call_expect("PATCH submitted invoice", "PATCH", path, "{\"notes\":\"late change\"}", &manager_1, 409,
				"CONFLICT");
	call_expect("PATCH submitted invoice lines", "PATCH", path, "{\"lines\":[{\"description\":\"x\",\"quantity\":1,"
				"\"unitPrice\":1}]}", &manager_1, 409, "CONFLICT");
	call_expect("DELETE submitted invoice", "DELETE", path, NULL, &admin_a, 409, "CONFLICT");
	struct fin_reply reply;
	if (fin_call("GET", path, NULL, &manager_1, NULL, &reply) && expect("GET after refusals", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "notes"), "") == 0 && data_int(&reply, "total") == 12000,
					"nothing changed: notes empty, total 12000");
	fin_reply_free(&reply);

	int64_t expense = create_expense(&clerk, "edit", 500);
	if (!expense || !step("expense", expense, "submit", NULL, &clerk, 200, NULL))
		return;
	snprintf(path, sizeof path, "/api/v1/finance/expenses/%lld", (long long)expense);
	call_expect("PATCH submitted expense", "PATCH", path, "{\"amount\":1}", &clerk, 409, "CONFLICT");
	call_expect("DELETE submitted expense", "DELETE", path, NULL, &admin_a, 409, "CONFLICT");
}

static void stale_if_match_is_409_and_soft_delete_hides_the_draft(void)
{
	int64_t id = create_expense(&clerk, "etag", 700);
	if (!id)
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/expenses/%lld", (long long)id);
	struct fin_reply reply;
	if (fin_call("PATCH", path, "{\"amount\":750}", &clerk, "If-Match: \"1\"", &reply) &&
		expect("PATCH with the current ETag", &reply, 200, NULL))
		ITEST_CHECK(data_int(&reply, "amount") == 750 && strcmp(reply.etag, "\"2\"") == 0, "amount 750, ETag \"2\"");
	fin_reply_free(&reply);
	if (fin_call("PATCH", path, "{\"amount\":800}", &clerk, "If-Match: \"1\"", &reply))
		expect("PATCH with a stale ETag", &reply, 409, "CONFLICT");
	fin_reply_free(&reply);
	if (fin_call("DELETE", path, NULL, &admin_a, "If-Match: \"1\"", &reply))
		expect("DELETE with a stale ETag", &reply, 409, "CONFLICT");
	fin_reply_free(&reply);
	if (fin_call("PATCH", path, "{\"amount\":800}", &clerk, "If-Match: banana", &reply))
		expect("PATCH with a malformed If-Match", &reply, 400, "VALIDATION_ERROR");
	fin_reply_free(&reply);

	int64_t invoice = create_invoice(&manager_1, one_line, NULL);
	char invoice_path[96];
	snprintf(invoice_path, sizeof invoice_path, "/api/v1/finance/invoices/%lld", (long long)invoice);
	if (invoice && fin_call("PATCH", invoice_path, "{\"notes\":\"x\"}", &manager_1, "If-Match: \"7\"", &reply))
		expect("invoice PATCH with a stale ETag", &reply, 409, "CONFLICT");
	fin_reply_free(&reply);

	int64_t before = list_total(&admin_a, "/api/v1/finance/expenses");
	if (fin_call("DELETE", path, NULL, &admin_a, "If-Match: \"2\"", &reply))
		expect("DELETE the draft", &reply, 200, NULL);
	fin_reply_free(&reply);
	call_expect("GET deleted", "GET", path, NULL, &admin_a, 404, "NOT_FOUND");
	call_expect("DELETE again", "DELETE", path, NULL, &admin_a, 404, "NOT_FOUND");
	char submit[128];
	snprintf(submit, sizeof submit, "%s/submit", path);
	call_expect("submit deleted", "POST", submit, NULL, &clerk, 404, "NOT_FOUND");
	int64_t after = list_total(&admin_a, "/api/v1/finance/expenses");
	ITEST_CHECK(after == before - 1, "list total %lld -> %lld after the delete", (long long)before, (long long)after);
	if (fin_call("GET", "/api/v1/finance/expenses?includeDeleted=true&category=etag", NULL, &admin_a, NULL, &reply) &&
		expect("includeDeleted", &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		bool deleted = items && json_object_array_length(items) == 1 &&
					   json_object_get_boolean(json_path_get(json_object_array_get_idx(items, 0), "deleted"));
		ITEST_CHECK(deleted, "the deleted draft is listed with deleted: true");
	}
	fin_reply_free(&reply);
	call_expect("includeDeleted without finance.delete", "GET", "/api/v1/finance/expenses?includeDeleted=true", NULL,
				&clerk, 403, "FORBIDDEN");
}

static void viewer_and_user_are_refused_what_their_role_lacks(void)
{
	int64_t id = create_invoice(&manager_1, one_line, NULL);
	if (!id || !step("invoice", id, "submit", NULL, &manager_1, 200, NULL))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	char body[256];
	snprintf(body, sizeof body, "{\"number\":\"V-%u\",\"customerName\":\"V\",\"lines\":%s}", ++invoice_counter,
			 one_line);
	call_expect("viewer creates", "POST", "/api/v1/finance/invoices", body, &viewer, 403, "FORBIDDEN");
	call_expect("viewer creates expense", "POST", "/api/v1/finance/expenses", "{\"description\":\"x\",\"amount\":1}",
				&viewer, 403, "FORBIDDEN");
	call_expect("viewer edits", "PATCH", path, "{\"notes\":\"x\"}", &viewer, 403, "FORBIDDEN");
	call_expect("viewer deletes", "DELETE", path, NULL, &viewer, 403, "FORBIDDEN");
	step("invoice", id, "submit", NULL, &viewer, 403, "FORBIDDEN");
	step("invoice", id, "approve", NULL, &viewer, 403, "FORBIDDEN");
	call_expect("viewer reads", "GET", path, NULL, &viewer, 200, NULL);

	struct fin_reply reply;
	char approve[128];
	snprintf(approve, sizeof approve, "%s/approve", path);
	if (fin_call("POST", approve, NULL, &clerk, NULL, &reply) && expect("user approves", &reply, 403, "FORBIDDEN"))
		ITEST_CHECK(has_detail(&reply, "permission"), "the refusal names the permission");
	fin_reply_free(&reply);
	step("invoice", id, "reject", NULL, &clerk, 403, "FORBIDDEN");
	step("invoice", id, "pay", NULL, &clerk, 403, "FORBIDDEN");
	call_expect("user deletes", "DELETE", path, NULL, &clerk, 403, "FORBIDDEN");
	/* the refusals changed nothing */
	if (fin_call("GET", path, NULL, &viewer, NULL, &reply) && expect("GET", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "submitted") == 0, "still submitted");
	fin_reply_free(&reply);
}

static void another_tenants_documents_are_not_found(void)
{
	int64_t invoice = create_invoice(&manager_1, one_line, NULL);
	int64_t expense = create_expense(&clerk, "cross", 321);
	if (!invoice || !expense || !step("invoice", invoice, "submit", NULL, &manager_1, 200, NULL))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)invoice);
	call_expect("B GETs A's invoice", "GET", path, NULL, &admin_b, 404, "NOT_FOUND");
	call_expect("B PATCHes A's invoice", "PATCH", path, "{\"notes\":\"mine\"}", &admin_b, 404, "NOT_FOUND");
	call_expect("B DELETEs A's invoice", "DELETE", path, NULL, &admin_b, 404, "NOT_FOUND");
	step("invoice", invoice, "approve", NULL, &admin_b, 404, "NOT_FOUND");
	step("invoice", invoice, "reject", NULL, &admin_b, 404, "NOT_FOUND");
	step("invoice", invoice, "submit", NULL, &admin_b, 404, "NOT_FOUND");
	snprintf(path, sizeof path, "/api/v1/finance/expenses/%lld", (long long)expense);
	call_expect("B GETs A's expense", "GET", path, NULL, &admin_b, 404, "NOT_FOUND");
	call_expect("B PATCHes A's expense", "PATCH", path, "{\"amount\":1}", &admin_b, 404, "NOT_FOUND");
	call_expect("B DELETEs A's expense", "DELETE", path, NULL, &admin_b, 404, "NOT_FOUND");
	step("expense", expense, "submit", NULL, &admin_b, 404, "NOT_FOUND");
	call_expect("malformed id", "GET", "/api/v1/finance/invoices/0x10", NULL, &admin_a, 404, "NOT_FOUND");

	/* A's documents are untouched, and B's lists do not show them. */
	struct fin_reply reply;
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)invoice);
	if (fin_call("GET", path, NULL, &admin_a, NULL, &reply) && expect("A GETs its invoice", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "submitted") == 0 && strcmp(data_string(&reply, "notes"), "") == 0,
					"unchanged by B");
	fin_reply_free(&reply);
	if (fin_call("GET", "/api/v1/finance/expenses?category=cross", NULL, &admin_b, NULL, &reply) &&
		expect("B lists", &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		ITEST_CHECK(items && json_object_array_length(items) == 0, "B sees none of A's expenses");
	}
	fin_reply_free(&reply);
}

static void idempotent_retry_of_an_invoice_create_makes_one_invoice(void)
{
	int64_t before = list_total(&manager_2, "/api/v1/finance/invoices");
	char body[512], key[96];
	snprintf(body, sizeof body, "{\"number\":\"IDEM-%u\",\"customerName\":\"Retry Ltd\",\"lines\":%s}",
			 ++invoice_counter, one_line);
	snprintf(key, sizeof key, "Idempotency-Key: fin-%s-%u", tenant_a, invoice_counter);
	struct fin_reply first, second;
	if (!fin_call("POST", "/api/v1/finance/invoices", body, &manager_2, key, &first))
		return;
	if (!fin_call("POST", "/api/v1/finance/invoices", body, &manager_2, key, &second)) {
		fin_reply_free(&first);
		return;
	}
	expect("first create", &first, 201, NULL);
	expect("retried create", &second, 201, NULL);
	ITEST_CHECK(data_int(&first, "id") > 0 && data_int(&first, "id") == data_int(&second, "id"),
				"the retry answers the same invoice: %lld and %lld", (long long)data_int(&first, "id"),
				(long long)data_int(&second, "id"));
	ITEST_CHECK(data_int(&second, "total") == 12000, "the replay carries the totals");
	json_object *lines = json_path_get(second.body, "data.lines");
	ITEST_CHECK(lines && json_object_array_length(lines) == 1, "and the lines");
	ITEST_CHECK(strcmp(second.replayed, "true") == 0, "Idempotent-Replayed: true on the retry");
	fin_reply_free(&first);
	fin_reply_free(&second);
	int64_t after = list_total(&manager_2, "/api/v1/finance/invoices");
	ITEST_CHECK(after == before + 1, "one invoice created: total %lld -> %lld", (long long)before, (long long)after);

	/* the same key with another body is refused */
	char other[512];
	snprintf(other, sizeof other, "{\"number\":\"IDEM-X%u\",\"customerName\":\"Other\",\"lines\":%s}", invoice_counter,
			 one_line);
	struct fin_reply reply;
	if (fin_call("POST", "/api/v1/finance/invoices", other, &manager_2, key, &reply))
		expect("same key, other body", &reply, 422, "UNPROCESSABLE");
	fin_reply_free(&reply);
}

/* Each child approves once and reports through its exit status. */
enum { RACE_WON = 0, RACE_LOST_409 = 1, RACE_OTHER = 2 };

static void concurrent_approvals_of_one_invoice_have_exactly_one_winner(void)
{
	int64_t id = create_invoice(&manager_1, one_line, NULL);
	if (!id || !step("invoice", id, "submit", NULL, &manager_1, 200, NULL))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/approve", (long long)id);
	/* The children block on the pipe until the parent closes it: they start together. */
	int gate[2];
	if (!ITEST_CHECK(pipe(gate) == 0, "pipe"))
		return;
	fflush(NULL);
	pid_t children[RACERS];
	size_t started = 0;
	for (size_t i = 0; i < RACERS; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			close(gate[1]);
			char byte;
			while (read(gate[0], &byte, 1) > 0) {
			}
			/* half the racers are manager 2, half the tenant admin: both may approve */
			const struct finance_user *approver = i % 2 ? &admin_a : &manager_2;
			char authorization[4200];
			snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", approver->token);
			const char *headers[] = { authorization, NULL };
			struct http_request request = { .method = "POST", .path_and_query = path, .extra_headers = headers };
			struct http_response response;
			char error_text[128];
			memset(&response, 0, sizeof response);
			int outcome = RACE_OTHER;
			if (http_client_send(&request, &response, error_text, sizeof error_text))
				outcome = response.status == 200 ? RACE_WON : response.status == 409 ? RACE_LOST_409 : RACE_OTHER;
			if (outcome == RACE_OTHER)
				fprintf(stderr, "racer %zu: status %ld %s\n", i, response.status, response.body ? response.body : "");
			http_response_free(&response);
			_exit(outcome);
		}
		if (pid < 0)
			break;
		children[started++] = pid;
	}
	close(gate[0]);
	close(gate[1]);
	int won = 0, lost = 0, other = 0;
	for (size_t i = 0; i < started; i++) {
		int status = 0;
		if (waitpid(children[i], &status, 0) < 0 || !WIFEXITED(status))
			other++;
		else if (WEXITSTATUS(status) == RACE_WON)
			won++;
		else if (WEXITSTATUS(status) == RACE_LOST_409)
			lost++;
		else
			other++;
	}
	ITEST_CHECK(started == RACERS, "%zu racers started", started);
	ITEST_CHECK(won == 1 && lost == RACERS - 1 && other == 0, "exactly one 200 and %d x 409: got %d won, %d lost, %d other",
				RACERS - 1, won, lost, other);

	struct fin_reply reply;
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	if (fin_call("GET", path, NULL, &viewer, NULL, &reply) && expect("GET after the race", &reply, 200, NULL)) {
		int64_t decided_by = data_int(&reply, "decidedBy");
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "approved") == 0, "approved");
		ITEST_CHECK(data_int(&reply, "version") == 3, "approved once: version 3, got %lld",
					(long long)data_int(&reply, "version"));
		ITEST_CHECK(decided_by == manager_2.id || decided_by == admin_a.id, "decided by one of the racers");
	}
	fin_reply_free(&reply);
	if (fin_call("GET", "/api/v1/audit?action=finance.invoice.approve&limit=100", NULL, &admin_a, NULL, &reply) &&
		expect("audit", &reply, 200, NULL)) {
		char target[24];
		snprintf(target, sizeof target, "%lld", (long long)id);
		json_object *items = json_path_get(reply.body, "data");
		int entries = 0;
		for (size_t j = 0; items && j < json_object_array_length(items); j++) {
			const char *target_id = json_path_string(json_object_array_get_idx(items, j), "targetId");
			entries += target_id && strcmp(target_id, target) == 0;
		}
		ITEST_CHECK(entries == 1, "one approve entry in the audit log, found %d", entries);
	}
	fin_reply_free(&reply);
}

/* ------------------------------------------------------------------ no dead ends */

/* One audit entry of action for target whose details hold needle. */
static bool audit_has(const char *action, int64_t target, const struct finance_user *actor, const char *needle)
{
	char path[160], target_text[24];
	snprintf(path, sizeof path, "/api/v1/audit?action=%s&limit=100", action);
	snprintf(target_text, sizeof target_text, "%lld", (long long)target);
	struct fin_reply reply;
	bool found = false;
	if (fin_call("GET", path, NULL, &admin_a, NULL, &reply) && expect(path, &reply, 200, NULL)) {
		json_object *items = json_path_get(reply.body, "data");
		for (size_t i = 0; items && i < json_object_array_length(items) && !found; i++) {
			json_object *entry = json_object_array_get_idx(items, i);
			const char *id = json_path_string(entry, "targetId");
			const char *details = json_path_string(entry, "details");
			int64_t who = 0;
			json_path_int64(entry, "actorUserId", &who);
			found = id && strcmp(id, target_text) == 0 && who == actor->id && details && strstr(details, needle);
		}
	}
	fin_reply_free(&reply);
	return found;
}

static void a_rejected_document_is_reopened_by_its_author_and_resubmitted(void)
{
	int64_t invoice = create_invoice(&clerk, one_line, NULL);
	int64_t expense = create_expense(&clerk, "reopen", 1500);
	if (!invoice || !expense || !step("invoice", invoice, "submit", NULL, &clerk, 200, NULL) ||
		!step("expense", expense, "submit", NULL, &clerk, 200, NULL))
		return;
	/* only a rejected document reopens */
	step("invoice", invoice, "reopen", NULL, &clerk, 409, "CONFLICT");
	step("invoice", invoice, "reject", "{\"note\":\"wrong customer\"}", &manager_1, 200, NULL);
	step("expense", expense, "reject", NULL, &manager_1, 200, NULL);
	/* by its author only: another holder of finance.edit is refused, a viewer
	 * lacks the permission, another tenant does not see it */
	struct fin_reply reply;
	char path[128];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/reopen", (long long)invoice);
	if (fin_call("POST", path, NULL, &manager_2, NULL, &reply) && expect("reopen by another", &reply, 403, "FORBIDDEN"))
		ITEST_CHECK(has_detail(&reply, "createdBy"), "the refusal names createdBy");
	fin_reply_free(&reply);
	step("invoice", invoice, "reopen", NULL, &viewer, 403, "FORBIDDEN");
	step("invoice", invoice, "reopen", NULL, &admin_b, 404, "NOT_FOUND");
	step("invoice", invoice, "reopen", "{\"note\":\"x\"}", &clerk, 400, "VALIDATION_ERROR");
	if (fin_call("POST", path, NULL, &clerk, NULL, &reply) && expect("reopen by the author", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "draft") == 0 &&
						strcmp(data_string(&reply, "decisionNote"), "wrong customer") == 0 &&
						strcmp(reply.etag, "\"4\"") == 0,
					"a draft again, the last decision still shown, version 4: %s",
					json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	step("invoice", invoice, "reopen", NULL, &clerk, 409, "CONFLICT");
	/* edited and submitted again, then approved */
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)invoice);
	call_expect("edit the reopened draft", "PATCH", path, "{\"customerName\":\"Right Customer\"}", &clerk, 200, NULL);
	step("invoice", invoice, "submit", NULL, &clerk, 200, NULL);
	step("invoice", invoice, "approve", NULL, &manager_2, 200, NULL);
	step("expense", expense, "reopen", NULL, &clerk, 200, NULL);
	step("expense", expense, "submit", NULL, &clerk, 200, NULL);
	step("expense", expense, "approve", NULL, &manager_1, 200, NULL);
	ITEST_CHECK(audit_has("finance.invoice.reopen", invoice, &clerk, "\"before\":{\"status\":\"rejected\"}"),
				"the reopening is audited with the status before and after");
	ITEST_CHECK(audit_has("finance.expense.reopen", expense, &clerk, "\"after\":{\"status\":\"draft\"}"),
				"the expense's too");
}

/* A paid invoice by manager 1, approved and paid by manager 2. */
static int64_t paid_invoice(void)
{
	int64_t id = create_invoice(&manager_1, one_line, NULL);
	if (!id || !step("invoice", id, "submit", NULL, &manager_1, 200, NULL) ||
		!step("invoice", id, "approve", NULL, &manager_2, 200, NULL) ||
		!step("invoice", id, "pay", NULL, &manager_2, 200, NULL))
		return 0;
	return id;
}

static void a_paid_invoice_is_voided_with_a_reason(void)
{
	int64_t id = paid_invoice();
	int64_t draft = create_invoice(&manager_1, one_line, NULL);
	if (!id || !draft)
		return;
	step("invoice", draft, "void", "{\"reason\":\"never sent\"}", &manager_2, 409, "CONFLICT");
	step("invoice", id, "void", NULL, &manager_2, 400, "VALIDATION_ERROR");
	step("invoice", id, "void", "{\"reason\":\"\"}", &manager_2, 400, "VALIDATION_ERROR");
	step("invoice", id, "void", "{\"reason\":\"x\"}", &clerk, 403, "FORBIDDEN");
	step("invoice", id, "void", "{\"reason\":\"x\"}", &admin_b, 404, "NOT_FOUND");
	char path[128];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/void", (long long)id);
	struct fin_reply reply;
	if (fin_call("POST", path, "{\"reason\":\"Billed twice\"}", &manager_1, NULL, &reply) &&
		expect("void", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "void") == 0 &&
						strcmp(data_string(&reply, "voidReason"), "Billed twice") == 0 &&
						data_int(&reply, "voidedBy") == manager_1.id && data_string(&reply, "voidedAt")[0],
					"void, with who, when and why: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	step("invoice", id, "void", "{\"reason\":\"again\"}", &manager_1, 409, "CONFLICT");
	step("invoice", id, "credit-note", "{\"number\":\"CN-VOID\"}", &manager_1, 409, "CONFLICT");
	step("invoice", id, "pay", NULL, &manager_1, 409, "CONFLICT");
	ITEST_CHECK(audit_has("finance.invoice.void", id, &manager_1, "\"reason\":\"Billed twice\""),
				"the void is audited with its reason");
	ITEST_CHECK(list_total(&viewer, "/api/v1/finance/invoices?status=void") >= 1, "the status filter knows void");
}

static void a_paid_invoice_is_credited_by_a_credit_note(void)
{
	struct fin_reply original;
	int64_t id = paid_invoice();
	if (!id)
		return;
	char path[128], number[32];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	if (!fin_call("GET", path, NULL, &viewer, NULL, &original) || !expect("GET paid", &original, 200, NULL)) {
		fin_reply_free(&original);
		return;
	}
	int64_t total = data_int(&original, "total");
	snprintf(number, sizeof number, "%s", data_string(&original, "number"));
	fin_reply_free(&original);
	step("invoice", id, "credit-note", "{\"number\":\"CN-1\"}", &clerk, 403, "FORBIDDEN");
	step("invoice", id, "credit-note", "{\"number\":\"CN-1\"}", &admin_b, 404, "NOT_FOUND");
	step("invoice", id, "credit-note", "{}", &manager_1, 400, "VALIDATION_ERROR");
	char body[96];
	snprintf(body, sizeof body, "{\"number\":\"%s\"}", number);
	step("invoice", id, "credit-note", body, &manager_1, 409, "CONFLICT");
	snprintf(body, sizeof body, "{\"number\":\"CN-%u\",\"notes\":\"goods returned\"}", ++invoice_counter);
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/credit-note", (long long)id);
	struct fin_reply reply;
	int64_t credit = 0;
	if (fin_call("POST", path, body, &manager_2, NULL, &reply) && expect("credit note", &reply, 201, NULL)) {
		credit = data_int(&reply, "id");
		json_object *lines = json_path_get(reply.body, "data.lines");
		ITEST_CHECK(credit > 0 && credit != id && strcmp(data_string(&reply, "documentType"), "credit_note") == 0 &&
						data_int(&reply, "creditedInvoiceId") == id && data_int(&reply, "total") == total &&
						strcmp(data_string(&reply, "status"), "approved") == 0 &&
						data_int(&reply, "decidedBy") == manager_2.id &&
						strcmp(data_string(&reply, "notes"), "goods returned") == 0 && lines &&
						json_object_array_length(lines) == 1,
					"a credit note of the whole invoice, approved by its issuer: %s",
					json_object_to_json_string(reply.body));
	}
	fin_reply_free(&reply);
	if (!credit)
		return;
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld", (long long)id);
	if (fin_call("GET", path, NULL, &viewer, NULL, &reply) && expect("GET credited", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "credited") == 0 && data_int(&reply, "creditNoteId") == credit &&
						strcmp(data_string(&reply, "documentType"), "invoice") == 0,
					"the invoice is credited and names its credit note: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	step("invoice", id, "credit-note", "{\"number\":\"CN-TWICE\"}", &manager_2, 409, "CONFLICT");
	step("invoice", id, "void", "{\"reason\":\"late\"}", &manager_2, 409, "CONFLICT");
	/* the refund is the credit note's payment; a credit note is not credited */
	step("invoice", credit, "pay", NULL, &manager_1, 200, NULL);
	step("invoice", credit, "credit-note", "{\"number\":\"CN-OF-CN\"}", &manager_2, 422, "UNPROCESSABLE");
	ITEST_CHECK(audit_has("finance.invoice.credit", id, &manager_2, "\"status\":\"credited\""),
				"the credit is audited with before and after");
	ITEST_CHECK(list_total(&viewer, "/api/v1/finance/invoices?documentType=credit_note") >= 1,
				"credit notes can be listed apart");
}

static void approvals_above_a_profiles_limit_need_a_second_approver(void)
{
	struct fin_reply reply;
	int64_t manager_profile = 0;
	if (fin_call("GET", "/api/v1/auth/me", NULL, &manager_1, NULL, &reply) && expect("me", &reply, 200, NULL))
		json_path_int64(reply.body, "data.profile.id", &manager_profile);
	fin_reply_free(&reply);
	if (!ITEST_CHECK(manager_profile > 0, "the manager's profile id is known"))
		return;
	char body[160];
	snprintf(body, sizeof body, "{\"profileId\":%lld,\"currency\":\"EUR\",\"limit\":10000}", (long long)manager_profile);
	/* limits are an administrator's: profiles.manage */
	call_expect("manager sets a limit", "PUT", "/api/v1/finance/approval-limits", body, &manager_1, 403, "FORBIDDEN");
	call_expect("user sets a limit", "PUT", "/api/v1/finance/approval-limits", body, &clerk, 403, "FORBIDDEN");
	call_expect("another tenant's profile", "PUT", "/api/v1/finance/approval-limits", body, &admin_b, 422,
				"UNPROCESSABLE");
	if (fin_call("PUT", "/api/v1/finance/approval-limits", "{\"profileId\":0,\"currency\":\"eur\",\"limit\":-1}",
				 &admin_a, NULL, &reply) &&
		expect("bad limit", &reply, 400, "VALIDATION_ERROR"))
		ITEST_CHECK(has_detail(&reply, "profileId") && has_detail(&reply, "currency") && has_detail(&reply, "limit"),
					"every bad field is named: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	if (!call_expect("admin sets a limit", "PUT", "/api/v1/finance/approval-limits", body, &admin_a, 200, NULL))
		return;
	if (fin_call("GET", "/api/v1/finance/approval-limits", NULL, &viewer, NULL, &reply) &&
		expect("list limits", &reply, 200, NULL)) {
		json_object *first = json_object_array_get_idx(json_path_get(reply.body, "data"), 0);
		int64_t profile = 0, limit = 0;
		json_path_int64(first, "profileId", &profile);
		json_path_int64(first, "limit", &limit);
		ITEST_CHECK(profile == manager_profile && limit == 10000 &&
						json_path_string(first, "currency") &&
						strcmp(json_path_string(first, "currency"), "EUR") == 0,
					"the limit is listed: %s", json_object_to_json_string(reply.body));
	}
	fin_reply_free(&reply);
	if (fin_call("GET", "/api/v1/finance/approval-limits", NULL, &admin_b, NULL, &reply) &&
		expect("other tenant's limits", &reply, 200, NULL))
		ITEST_CHECK(json_object_array_length(json_path_get(reply.body, "data")) == 0, "tenant B sees none of A's");
	fin_reply_free(&reply);

	/* 12000 EUR is over the manager's 10000 */
	int64_t big = create_invoice(&clerk, one_line, NULL);
	if (!big || !step("invoice", big, "submit", NULL, &clerk, 200, NULL))
		return;
	char path[128];
	snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/approve", (long long)big);
	if (fin_call("POST", path, NULL, &manager_1, NULL, &reply) && expect("first approval", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "submitted") == 0 &&
						data_int(&reply, "firstApprovedBy") == manager_1.id && data_string(&reply, "firstApprovedAt")[0],
					"still submitted, with the first approval: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	if (fin_call("POST", path, NULL, &manager_1, NULL, &reply) && expect("same approver twice", &reply, 403, "FORBIDDEN"))
		ITEST_CHECK(has_detail(&reply, "firstApprovedBy"), "names firstApprovedBy");
	fin_reply_free(&reply);
	step("invoice", big, "approve", NULL, &clerk, 403, "FORBIDDEN");
	if (fin_call("POST", path, NULL, &manager_2, NULL, &reply) && expect("second approval", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "approved") == 0 && data_int(&reply, "decidedBy") == manager_2.id &&
						data_int(&reply, "firstApprovedBy") == manager_1.id,
					"approved by the second: %s", json_object_to_json_string(reply.body));
	fin_reply_free(&reply);
	ITEST_CHECK(audit_has("finance.invoice.first_approve", big, &manager_1, "\"firstApprovedBy\":"),
				"the first approval is audited");

	/* within the limit, or in a currency without one: one approval */
	int64_t small = create_expense(&clerk, "limits", 9999);
	if (small && step("expense", small, "submit", NULL, &clerk, 200, NULL))
		step("expense", small, "approve", NULL, &manager_1, 200, NULL);
	int64_t usd = 0;
	if (fin_call("POST", "/api/v1/finance/expenses",
				 "{\"description\":\"Hotel\",\"amount\":500000,\"currency\":\"USD\"}", &clerk, NULL, &reply) &&
		expect("USD expense", &reply, 201, NULL))
		usd = data_int(&reply, "id");
	fin_reply_free(&reply);
	if (usd && step("expense", usd, "submit", NULL, &clerk, 200, NULL))
		step("expense", usd, "approve", NULL, &manager_1, 200, NULL);
	char get[128];
	snprintf(get, sizeof get, "/api/v1/finance/expenses/%lld", (long long)small);
	if (fin_call("GET", get, NULL, &viewer, NULL, &reply) && expect("GET small", &reply, 200, NULL))
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "approved") == 0, "9999 is within 10000: approved at once");
	fin_reply_free(&reply);

	/* a rejected document's first approval goes with the reopening */
	int64_t again = create_expense(&clerk, "limits", 20000);
	if (again && step("expense", again, "submit", NULL, &clerk, 200, NULL) &&
		step("expense", again, "approve", NULL, &manager_1, 200, NULL) &&
		step("expense", again, "reject", NULL, &manager_2, 200, NULL) &&
		step("expense", again, "reopen", NULL, &clerk, 200, NULL)) {
		snprintf(get, sizeof get, "/api/v1/finance/expenses/%lld", (long long)again);
		if (fin_call("GET", get, NULL, &viewer, NULL, &reply) && expect("GET reopened", &reply, 200, NULL))
			ITEST_CHECK(json_path_get(reply.body, "data.firstApprovedBy") == NULL &&
							strcmp(data_string(&reply, "status"), "draft") == 0,
						"the first approval is cleared: %s", json_object_to_json_string(reply.body));
		fin_reply_free(&reply);
	}
	ITEST_CHECK(audit_has("finance.approval_limit.set", manager_profile, &admin_a, "\"after\":10000"),
				"the limit is audited with before and after");
	/* null removes it */
	snprintf(body, sizeof body, "{\"profileId\":%lld,\"currency\":\"EUR\",\"limit\":null}", (long long)manager_profile);
	call_expect("remove the limit", "PUT", "/api/v1/finance/approval-limits", body, &admin_a, 200, NULL);
	ITEST_CHECK(audit_has("finance.approval_limit.set", manager_profile, &admin_a, "\"before\":10000,\"after\":null"),
				"the removal is audited");
}

bool finance_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("finance", finance_suite_init, NULL);
	if (suite == NULL)
		return false;
	return itest_add_test(suite, "invoice_totals_are_computed_exactly_in_minor_units",
						  invoice_totals_are_computed_exactly_in_minor_units, NULL) &&
		   itest_add_test(suite, "invoice_validation_reports_each_field", invoice_validation_reports_each_field, NULL) &&
		   itest_add_test(suite, "invoice_number_is_unique_in_the_tenant_and_account_must_be_ours",
						  invoice_number_is_unique_in_the_tenant_and_account_must_be_ours, NULL) &&
		   itest_add_test(suite, "expense_list_pagination_matches_a_known_count",
						  expense_list_pagination_matches_a_known_count, NULL) &&
		   itest_add_test(suite, "invoice_sort_whitelist_and_status_filter", invoice_sort_whitelist_and_status_filter,
						  NULL) &&
		   itest_add_test(suite, "invoice_goes_submitted_approved_paid_with_another_approver",
						  invoice_goes_submitted_approved_paid_with_another_approver, NULL) &&
		   itest_add_test(suite, "expense_is_rejected_with_a_note_and_cannot_be_paid",
						  expense_is_rejected_with_a_note_and_cannot_be_paid, NULL) &&
		   itest_add_test(suite, "approving_ones_own_document_is_403", approving_ones_own_document_is_403, NULL) &&
		   itest_add_test(suite, "wrong_state_transitions_are_409", wrong_state_transitions_are_409, NULL) &&
		   itest_add_test(suite, "only_drafts_can_be_edited_or_deleted", only_drafts_can_be_edited_or_deleted, NULL) &&
		   itest_add_test(suite, "stale_if_match_is_409_and_soft_delete_hides_the_draft",
						  stale_if_match_is_409_and_soft_delete_hides_the_draft, NULL) &&
		   itest_add_test(suite, "viewer_and_user_are_refused_what_their_role_lacks",
						  viewer_and_user_are_refused_what_their_role_lacks, NULL) &&
		   itest_add_test(suite, "another_tenants_documents_are_not_found", another_tenants_documents_are_not_found,
						  NULL) &&
		   itest_add_test(suite, "idempotent_retry_of_an_invoice_create_makes_one_invoice",
						  idempotent_retry_of_an_invoice_create_makes_one_invoice, NULL) &&
		   itest_add_test(suite, "concurrent_approvals_of_one_invoice_have_exactly_one_winner",
						  concurrent_approvals_of_one_invoice_have_exactly_one_winner, NULL) &&
		   itest_add_test(suite, "a_rejected_document_is_reopened_by_its_author_and_resubmitted",
						  a_rejected_document_is_reopened_by_its_author_and_resubmitted, NULL) &&
		   itest_add_test(suite, "a_paid_invoice_is_voided_with_a_reason", a_paid_invoice_is_voided_with_a_reason,
						  NULL) &&
		   itest_add_test(suite, "a_paid_invoice_is_credited_by_a_credit_note",
						  a_paid_invoice_is_credited_by_a_credit_note, NULL) &&
		   itest_add_test(suite, "approvals_above_a_profiles_limit_need_a_second_approver",
						  approvals_above_a_profiles_limit_need_a_second_approver, NULL);
}

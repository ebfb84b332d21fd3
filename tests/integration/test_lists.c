/*
 * Lists people can query, over real HTTP: ranges on money and dates and
 * invoices' overdue, q with LIKE's own characters, fields=, CSV exports
 * (formula-safe, streamed, 413 past the row bound) and If-None-Match (304)
 * on lists and single reads; each under another tenant's data and a lesser
 * role. Tenants and users are created per run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "sql_session.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097, CSV_MAX_ROWS = 10000 };

struct list_user {
	const char *role;
	char email[128];
	char token[TOKEN_MAX];
	int64_t id;
};

/* Tenant A: an admin, a manager (hr.manage) and a viewer; tenant B: its
 * admin, holding look-alike records that A must never see. */
static char tenant_a[64], tenant_b[64];
static struct list_user admin_a = { "tenant_admin" }, manager_a = { "manager" }, viewer_a = { "viewer" },
						admin_b = { "tenant_admin" };
static const char password[] = "lists-password-77";

struct list_reply {
	long status;
	json_object *body;   /* the envelope when the answer is JSON */
	char *text;          /* the raw body (CSV), owned */
	size_t text_length;
	char etag[64];
	char content_type[96];
	char disposition[128];
};

static void list_reply_free(struct list_reply *reply)
{
	if (reply->body != NULL)
		json_object_put(reply->body);
	free(reply->text);
	memset(reply, 0, sizeof *reply);
}

/* One request with a bearer token and at most one extra header line. */
static bool list_call(const char *method, const char *path, const char *json_body, const struct list_user *user,
					  const char *extra_header, struct list_reply *reply)
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
	reply->text = malloc(response.body_length + 1);
	memcpy(reply->text, response.body, response.body_length + 1);
	reply->text_length = response.body_length;
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	const char *value = http_response_header(&response, "ETag");
	snprintf(reply->etag, sizeof reply->etag, "%s", value ? value : "");
	value = http_response_header(&response, "Content-Type");
	snprintf(reply->content_type, sizeof reply->content_type, "%s", value ? value : "");
	value = http_response_header(&response, "Content-Disposition");
	snprintf(reply->disposition, sizeof reply->disposition, "%s", value ? value : "");
	http_response_free(&response);
	return true;
}

static const char *list_error_code(const struct list_reply *reply)
{
	const char *code = reply->body ? json_path_string(reply->body, "error.code") : NULL;
	return code ? code : "";
}

static bool expect(const char *label, const struct list_reply *reply, long status, const char *code)
{
	bool ok = ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld: %.400s", label, status, reply->status,
						  reply->text ? reply->text : "(no body)");
	if (code != NULL)
		ok = ITEST_CHECK(strcmp(list_error_code(reply), code) == 0, "%s: expected error %s, got \"%s\"", label, code,
						 list_error_code(reply)) && ok;
	return ok;
}

/* The issue of the detail naming field, or NULL. */
static const char *detail_issue(const struct list_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	for (size_t i = 0; details && json_object_is_type(details, json_type_array) && i < json_object_array_length(details);
		 i++) {
		json_object *detail = json_object_array_get_idx(details, i);
		const char *name = json_path_string(detail, "field");
		if (name && strcmp(name, field) == 0) {
			const char *issue = json_path_string(detail, "issue");
			return issue ? issue : "";
		}
	}
	return NULL;
}

/* The first record of a list answer, or NULL. */
static json_object *first_item(const struct list_reply *reply)
{
	json_object *items = reply->body ? json_path_get(reply->body, "data") : NULL;
	if (items == NULL || !json_object_is_type(items, json_type_array) || json_object_array_length(items) == 0)
		return NULL;
	return json_object_array_get_idx(items, 0);
}

/* GET path as user; pagination.total of a 200, or -1 (recorded). */
static int64_t list_total(const char *label, const char *path, const struct list_user *user)
{
	struct list_reply reply;
	int64_t total = -1;
	if (list_call("GET", path, NULL, user, NULL, &reply) && expect(label, &reply, 200, NULL))
		json_path_int64(reply.body, "pagination.total", &total);
	list_reply_free(&reply);
	return total;
}

static void expect_total(const char *path, const struct list_user *user, int64_t expected)
{
	int64_t total = list_total(path, path, user);
	ITEST_CHECK(total == expected, "GET %s: expected %lld records, got %lld", path, (long long)expected,
				(long long)total);
}

/* GET path as user; 400 naming field. */
static void expect_refused(const char *path, const struct list_user *user, long status, const char *code,
						   const char *field)
{
	struct list_reply reply;
	if (list_call("GET", path, NULL, user, NULL, &reply) && expect(path, &reply, status, code))
		ITEST_CHECK(detail_issue(&reply, field) != NULL, "GET %s: a detail names %s: %.300s", path, field, reply.text);
	list_reply_free(&reply);
}

static bool login(struct list_user *user, const char *slug)
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
		fprintf(stderr, "lists: login %s failed with %ld\n", user->email, reply.status);
	api_reply_free(&reply);
	return ok;
}

static bool create_user(struct list_user *user, const char *slug, const char *name)
{
	snprintf(user->email, sizeof user->email, "%s@%s.test", name, slug);
	const char *arguments[] = { "user", "create", slug, user->email, "--role", user->role, NULL };
	return admin_command(arguments, password) == 0 && login(user, slug);
}

static int lists_suite_init(void)
{
	identity_unique_slug("lsta", tenant_a, sizeof tenant_a);
	identity_unique_slug("lstb", tenant_b, sizeof tenant_b);
	const char *create_a[] = { "tenant", "create", tenant_a, "Lists A", NULL };
	const char *create_b[] = { "tenant", "create", tenant_b, "Lists B", NULL };
	if (admin_command(create_a, NULL) != 0 || admin_command(create_b, NULL) != 0)
		return 1;
	if (!create_user(&admin_a, tenant_a, "admin") || !create_user(&manager_a, tenant_a, "manager") ||
		!create_user(&viewer_a, tenant_a, "viewer") || !create_user(&admin_b, tenant_b, "admin"))
		return 1;
	return 0;
}

/* ------------------------------------------------------------------ fixtures */

/* An invoice of one untaxed line (its total is amount), due on due_date
 * ("null" for none), submitted when asked; its id or 0. */
static int64_t create_invoice(const struct list_user *user, const char *number, const char *customer, int64_t amount,
							  const char *due_date, bool submit)
{
	char body[1024], due[32];
	if (strcmp(due_date, "null") == 0)
		snprintf(due, sizeof due, "null");
	else
		snprintf(due, sizeof due, "\"%s\"", due_date);
	snprintf(body, sizeof body,
			 "{\"number\":\"%s\",\"customerName\":\"%s\",\"issueDate\":\"2026-03-01\",\"dueDate\":%s,"
			 "\"lines\":[{\"description\":\"Work\",\"quantity\":1,\"unitPrice\":%lld,\"taxRateBp\":0}]}",
			 number, customer, due, (long long)amount);
	struct list_reply reply;
	if (!list_call("POST", "/api/v1/finance/invoices", body, user, NULL, &reply))
		return 0;
	int64_t id = 0;
	if (expect("create invoice", &reply, 201, NULL))
		json_path_int64(reply.body, "data.id", &id);
	list_reply_free(&reply);
	if (id > 0 && submit) {
		char path[128];
		snprintf(path, sizeof path, "/api/v1/finance/invoices/%lld/submit", (long long)id);
		if (list_call("POST", path, NULL, user, NULL, &reply))
			expect("submit invoice", &reply, 200, NULL);
		list_reply_free(&reply);
	}
	return id;
}

/* An employee; its id or 0. */
static int64_t create_employee(const struct list_user *user, const char *first, const char *last, int64_t salary,
							   const char *hire_date)
{
	char body[512];
	snprintf(body, sizeof body,
			 "{\"firstName\":\"%s\",\"lastName\":\"%s\",\"hireDate\":\"%s\",\"salary\":%lld,\"salaryCurrency\":\"EUR\"}",
			 first, last, hire_date, (long long)salary);
	struct list_reply reply;
	if (!list_call("POST", "/api/v1/hr/employees", body, user, NULL, &reply))
		return 0;
	int64_t id = 0;
	if (expect("create employee", &reply, 201, NULL))
		json_path_int64(reply.body, "data.id", &id);
	list_reply_free(&reply);
	return id;
}

/* Lines of a CSV body (CRLF-ended rows; quoted cells here hold no line break). */
static size_t csv_lines(const struct list_reply *reply)
{
	size_t lines = 0;
	for (const char *at = reply->text; at != NULL && (at = strstr(at, "\r\n")) != NULL; at += 2)
		lines++;
	return lines;
}

/* ------------------------------------------------------------------- tests */

static bool invoices_made;

/* The invoices the range, overdue and q tests read, in both tenants. */
static bool make_invoices(void)
{
	if (invoices_made)
		return true;
	invoices_made =
		create_invoice(&admin_a, "RNG-1", "Range Alpha", 1000, "2020-01-10", true) > 0 &&
		create_invoice(&admin_a, "RNG-2", "Range Bravo", 5000, "2020-02-10", false) > 0 &&
		create_invoice(&admin_a, "RNG-3", "Range Charlie", 9000, "2999-01-01", true) > 0 &&
		create_invoice(&admin_a, "RNG-4", "Range Delta", 3000, "null", true) > 0 &&
		/* tenant B: the same numbers and customers, all matching every range */
		create_invoice(&admin_b, "RNG-1", "Range Alpha", 4000, "2020-01-10", true) > 0 &&
		create_invoice(&admin_b, "RNG-2", "Range Bravo", 4000, "2020-01-20", true) > 0;
	return invoices_made;
}

static void money_and_date_ranges_narrow_invoices_within_the_tenant(void)
{
	if (!ITEST_CHECK(make_invoices(), "invoices created"))
		return;
	expect_total("/api/v1/finance/invoices?q=RNG-", &admin_a, 4);
	expect_total("/api/v1/finance/invoices?q=RNG-&amountMin=3000", &admin_a, 3);
	expect_total("/api/v1/finance/invoices?q=RNG-&amountMin=3000&amountMax=5000", &admin_a, 2);
	expect_total("/api/v1/finance/invoices?q=RNG-&amountMax=1000", &admin_a, 1);
	/* Before and After are exclusive; a missing due date is in no range */
	expect_total("/api/v1/finance/invoices?dueBefore=2020-02-10", &admin_a, 1);
	expect_total("/api/v1/finance/invoices?dueAfter=2020-01-10", &admin_a, 2);
	expect_total("/api/v1/finance/invoices?dueAfter=2020-01-09&dueBefore=2020-02-11", &admin_a, 2);
	expect_total("/api/v1/finance/invoices?q=RNG-&issuedAfter=2026-02-28&issuedBefore=2026-03-02", &admin_a, 4);
	expect_total("/api/v1/finance/invoices?q=RNG-&issuedAfter=2026-03-01", &admin_a, 0);
	/* the other tenant's look-alikes are never counted, whatever the range */
	expect_total("/api/v1/finance/invoices?amountMin=4000&amountMax=4000", &admin_a, 0);
	expect_total("/api/v1/finance/invoices?amountMin=4000&amountMax=4000", &admin_b, 2);
	expect_total("/api/v1/finance/invoices?dueBefore=2020-02-01", &admin_b, 2);
	/* the viewer reads the same ranges */
	expect_total("/api/v1/finance/invoices?q=RNG-&amountMin=3000", &viewer_a, 3);
}

static void overdue_invoices_are_sent_unpaid_and_past_due(void)
{
	if (!ITEST_CHECK(make_invoices(), "invoices created"))
		return;
	/* RNG-1: submitted, due in 2020. RNG-2 is past due but a draft; RNG-3 is
	 * not yet due; RNG-4 has no due date. */
	struct list_reply reply;
	if (list_call("GET", "/api/v1/finance/invoices?overdue=true", NULL, &admin_a, NULL, &reply) &&
		expect("overdue=true", &reply, 200, NULL)) {
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		const char *number = first_item(&reply) ? json_path_string(first_item(&reply), "number") : NULL;
		ITEST_CHECK(total == 1 && number && strcmp(number, "RNG-1") == 0, "overdue: only RNG-1, got %lld (%s)",
					(long long)total, number ? number : "none");
	}
	list_reply_free(&reply);
	expect_total("/api/v1/finance/invoices?q=RNG-&overdue=false", &admin_a, 3);
	expect_total("/api/v1/finance/invoices?overdue=true", &admin_b, 2);
	expect_total("/api/v1/finance/invoices?overdue=true&amountMin=2000", &admin_a, 0);
}

static void malformed_ranges_are_400_naming_the_parameter(void)
{
	expect_refused("/api/v1/finance/invoices?amountMin=ten", &admin_a, 400, "VALIDATION_ERROR", "amountMin");
	expect_refused("/api/v1/finance/invoices?amountMax=1.5", &admin_a, 400, "VALIDATION_ERROR", "amountMax");
	expect_refused("/api/v1/finance/invoices?dueBefore=2026-13-01", &admin_a, 400, "VALIDATION_ERROR", "dueBefore");
	expect_refused("/api/v1/finance/invoices?dueAfter=yesterday", &admin_a, 400, "VALIDATION_ERROR", "dueAfter");
	expect_refused("/api/v1/finance/invoices?overdue=yes", &admin_a, 400, "VALIDATION_ERROR", "overdue");
	/* a range another list has is unknown here; overdue is the invoices' own */
	expect_refused("/api/v1/finance/expenses?dueBefore=2026-01-01", &admin_a, 400, "VALIDATION_ERROR", "dueBefore");
	expect_refused("/api/v1/finance/expenses?overdue=true", &admin_a, 400, "VALIDATION_ERROR", "overdue");
	expect_refused("/api/v1/sales/leads?amountMin=1", &admin_a, 400, "VALIDATION_ERROR", "amountMin");
	expect_refused("/api/v1/hr/employees?salaryMin=1", &admin_a, 400, "VALIDATION_ERROR", "salaryMin");
	/* the same parameters on the other date lists */
	expect_total("/api/v1/hr/employees?hiredAfter=2999-01-01", &admin_a, 0);
	expect_total("/api/v1/sales/opportunities?closeBefore=1999-01-01&amountMin=0", &admin_a, 0);
}

static void q_matches_like_characters_literally_within_the_tenant(void)
{
	bool made = create_invoice(&admin_a, "Q-1", "50% off Ltd", 100, "null", false) > 0 &&
				create_invoice(&admin_a, "Q-2", "50 cents Ltd", 100, "null", false) > 0 &&
				create_invoice(&admin_a, "Q-3", "a_b Corp", 100, "null", false) > 0 &&
				create_invoice(&admin_a, "Q-4", "axb Corp", 100, "null", false) > 0 &&
				create_invoice(&admin_a, "Q-5", "back\\\\slash", 100, "null", false) > 0 &&
				create_invoice(&admin_b, "Q-1", "50% off Ltd", 100, "null", false) > 0;
	if (!ITEST_CHECK(made, "invoices created"))
		return;
	expect_total("/api/v1/finance/invoices?q=50%25", &admin_a, 1);
	expect_total("/api/v1/finance/invoices?q=50", &admin_a, 2);
	expect_total("/api/v1/finance/invoices?q=a_b", &admin_a, 1);
	expect_total("/api/v1/finance/invoices?q=a_", &admin_a, 1);
	expect_total("/api/v1/finance/invoices?q=%25", &admin_a, 0);
	expect_total("/api/v1/finance/invoices?q=_", &admin_a, 0);
	expect_total("/api/v1/finance/invoices?q=back%5C", &admin_a, 1);
	expect_total("/api/v1/finance/invoices?q=!", &admin_a, 0);
	/* B's "50% off Ltd" stays B's */
	expect_total("/api/v1/finance/invoices?q=50%25", &admin_b, 1);
	char path[400], long_q[102];
	memset(long_q, 'x', 101);
	long_q[101] = '\0';
	snprintf(path, sizeof path, "/api/v1/finance/invoices?q=%s", long_q);
	expect_refused(path, &admin_a, 400, "VALIDATION_ERROR", "q");
	expect_refused("/api/v1/finance/invoices?q=", &admin_a, 400, "VALIDATION_ERROR", "q");
	/* a list without searched fields takes no q */
	expect_refused("/api/v1/hr/leave-requests?q=x", &admin_a, 400, "VALIDATION_ERROR", "q");
}

static void fields_pick_what_each_record_shows(void)
{
	if (!ITEST_CHECK(make_invoices(), "invoices created"))
		return;
	struct list_reply reply;
	if (list_call("GET", "/api/v1/finance/invoices?q=RNG-&fields=number,total&sortBy=number&sortOrder=asc", NULL,
				  &viewer_a, NULL, &reply) &&
		expect("fields=number,total", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		int64_t total = -1;
		ITEST_CHECK(first != NULL && json_object_object_length(first) == 3, "id, number and total only: %s",
					first ? json_object_to_json_string(first) : "none");
		ITEST_CHECK(first && json_path_int64(first, "total", &total) && total == 1000, "total of RNG-1: %lld",
					(long long)total);
		ITEST_CHECK(first && json_path_get(first, "id") != NULL, "id is always there");
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/finance/invoices?fields=number,bogus", NULL, &admin_a, NULL, &reply) &&
		expect("unknown field", &reply, 400, "VALIDATION_ERROR")) {
		const char *issue = detail_issue(&reply, "fields");
		ITEST_CHECK(issue && strstr(issue, "\"bogus\""), "the detail names bogus: %s", issue ? issue : "none");
	}
	list_reply_free(&reply);
	expect_refused("/api/v1/finance/invoices?fields=", &admin_a, 400, "VALIDATION_ERROR", "fields");
}

static void fields_never_reveal_what_the_role_may_not_see(void)
{
	if (!ITEST_CHECK(create_employee(&manager_a, "Ada", "Fieldwise", 420000, "2021-05-01") > 0, "employee"))
		return;
	/* salary is hr.manage's: asking for it without is refused, not dropped */
	expect_refused("/api/v1/hr/employees?fields=lastName,salary", &viewer_a, 403, "FORBIDDEN", "fields");
	struct list_reply reply;
	if (list_call("GET", "/api/v1/hr/employees?q=Fieldwise&fields=lastName,salary", NULL, &manager_a, NULL, &reply) &&
		expect("manager fields=salary", &reply, 200, NULL)) {
		int64_t salary = -1;
		ITEST_CHECK(first_item(&reply) && json_path_int64(first_item(&reply), "salary", &salary) && salary == 420000,
					"salary shown: %.300s", reply.text);
	}
	list_reply_free(&reply);
	/* a viewer's CSV has no salary column */
	if (list_call("GET", "/api/v1/hr/employees?q=Fieldwise&format=csv", NULL, &viewer_a, NULL, &reply) &&
		expect("viewer csv", &reply, 200, NULL)) {
		ITEST_CHECK(strstr(reply.text, "salary") == NULL && strstr(reply.text, "420000") == NULL &&
						strstr(reply.text, "nationalId") == NULL,
					"no sensitive column for the viewer: %.300s", reply.text);
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/hr/employees?q=Fieldwise&format=csv", NULL, &manager_a, NULL, &reply) &&
		expect("manager csv", &reply, 200, NULL))
		ITEST_CHECK(strstr(reply.text, ",salary,") != NULL && strstr(reply.text, "420000") != NULL,
					"the manager's CSV has salaries: %.300s", reply.text);
	list_reply_free(&reply);
	/* includeDeleted needs the delete permission, in CSV as in JSON */
	expect_refused("/api/v1/hr/employees?includeDeleted=true&format=csv", &viewer_a, 403, "FORBIDDEN",
				   "includeDeleted");
}

static void csv_export_is_the_filtered_set_quoted_and_formula_safe(void)
{
	bool made = create_invoice(&admin_a, "CSV-1", "=HYPERLINK(\\\"http://evil\\\")", 700, "null", false) > 0 &&
				create_invoice(&admin_a, "CSV-2", "Smith, John", 800, "null", false) > 0 &&
				create_invoice(&admin_a, "CSV-3", "-2+3", 900, "null", false) > 0 &&
				create_invoice(&admin_b, "CSV-9", "Other tenant", 900, "null", false) > 0;
	if (!ITEST_CHECK(made, "invoices created"))
		return;
	struct list_reply reply;
	if (list_call("GET", "/api/v1/finance/invoices?q=CSV-&format=csv&sortBy=number&sortOrder=asc", NULL, &viewer_a,
				  NULL, &reply) &&
		expect("format=csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.content_type, "text/csv", 8) == 0, "Content-Type: %s", reply.content_type);
		ITEST_CHECK(strstr(reply.disposition, "invoices.csv") != NULL, "Content-Disposition: %s", reply.disposition);
		ITEST_CHECK(strncmp(reply.text, "id,number,customerName,", 23) == 0, "header row: %.200s", reply.text);
		ITEST_CHECK(csv_lines(&reply) == 4, "a header and 3 rows, got %zu lines: %.600s", csv_lines(&reply),
					reply.text);
		ITEST_CHECK(strstr(reply.text, ",\"'=HYPERLINK(\"\"http://evil\"\")\",") != NULL,
					"the formula is quoted and defused: %.600s", reply.text);
		ITEST_CHECK(strstr(reply.text, ",\"Smith, John\",") != NULL, "the comma is quoted");
		ITEST_CHECK(strstr(reply.text, ",'-2+3,") != NULL, "a leading minus is defused");
		ITEST_CHECK(strstr(reply.text, "Other tenant") == NULL, "nothing of tenant B");
		ITEST_CHECK(reply.etag[0] == '\0', "a CSV export has no ETag");
	}
	list_reply_free(&reply);
	/* Accept: text/csv does the same; fields= picks the columns */
	if (list_call("GET", "/api/v1/finance/invoices?q=CSV-&fields=number,total&sortBy=number&sortOrder=asc", NULL,
				  &admin_a, "Accept: text/csv", &reply) &&
		expect("Accept: text/csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.text, "id,number,total\r\n", 17) == 0, "chosen columns: %.200s", reply.text);
		ITEST_CHECK(strstr(reply.text, ",CSV-2,800\r\n") != NULL, "a row: %.300s", reply.text);
	}
	list_reply_free(&reply);
	/* JSON stays the default, and wins a tie */
	if (list_call("GET", "/api/v1/finance/invoices?q=CSV-", NULL, &admin_a, "Accept: text/csv, application/json",
				  &reply))
		ITEST_CHECK(reply.status == 200 && reply.body != NULL, "JSON on a tie: %ld %.100s", reply.status, reply.text);
	list_reply_free(&reply);
	/* an export is the whole set: page and limit are refused, not ignored */
	expect_refused("/api/v1/finance/invoices?format=csv&limit=10", &admin_a, 400, "VALIDATION_ERROR", "limit");
	expect_refused("/api/v1/finance/invoices?format=xml", &admin_a, 400, "VALIDATION_ERROR", "format");
	/* an empty export is its header row */
	if (list_call("GET", "/api/v1/finance/invoices?q=NOTHING-&format=csv", NULL, &admin_a, NULL, &reply) &&
		expect("empty csv", &reply, 200, NULL))
		ITEST_CHECK(csv_lines(&reply) == 1, "only the header: %.200s", reply.text);
	list_reply_free(&reply);
}

/* Leads inserted straight into the database: the row bound is 10000, and
 * 10001 requests would take minutes. The live counter is kept true. */
static bool insert_bulk_leads(const char *slug, int count, const char *source)
{
	char sql[2048];
	int length = snprintf(sql, sizeof sql,
			 "INSERT INTO sales_leads (tenant_id, last_name, company, source)"
			 " SELECT t.tenant_id, CONCAT('Bulk', n.i), 'Bulk Co', '%s' FROM tenants t"
			 " JOIN (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS i"
			 " FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e,"
			 " (SELECT 0 d UNION ALL SELECT 1) f) n ON n.i < %d WHERE t.slug = '%s';"
			 " INSERT INTO resource_counts (tenant_id, resource, live_rows) SELECT tenant_id, 'leads', %d FROM tenants"
			 " WHERE slug = '%s' ON DUPLICATE KEY UPDATE live_rows = live_rows + VALUES(live_rows);"
			 " SELECT COUNT(*) FROM sales_leads l JOIN tenants t ON t.tenant_id = l.tenant_id"
			 " WHERE t.slug = '%s' AND l.source = '%s'",
			 source, count, slug, count, slug, slug, source);
	if (!ITEST_CHECK(length > 0 && (size_t)length < sizeof sql, "the bulk insert fits its buffer"))
		return false;
	long inserted = sql_number(sql);
	return ITEST_CHECK(inserted == count, "inserted %d %s leads, the database says %ld", count, source, inserted);
}

static void csv_past_the_row_bound_is_413_and_at_it_is_complete(void)
{
	if (!insert_bulk_leads(tenant_a, CSV_MAX_ROWS, "bulk") || !insert_bulk_leads(tenant_a, 1, "extra"))
		return;
	struct list_reply reply;
	/* exactly the bound: every row, streamed in batches */
	if (list_call("GET", "/api/v1/sales/leads?source=bulk&format=csv&fields=lastName", NULL, &admin_a, NULL,
				  &reply) &&
		expect("10000 rows", &reply, 200, NULL)) {
		ITEST_CHECK(csv_lines(&reply) == CSV_MAX_ROWS + 1, "header and 10000 rows, got %zu lines", csv_lines(&reply));
		ITEST_CHECK(strstr(reply.text, ",Bulk0\r\n") != NULL && strstr(reply.text, ",Bulk9999\r\n") != NULL,
					"first and last rows are there");
	}
	list_reply_free(&reply);
	/* one past it, filtered (COUNT) and unfiltered (the live counter) */
	const char *past[] = { "/api/v1/sales/leads?q=Bulk&format=csv", "/api/v1/sales/leads?format=csv" };
	for (size_t i = 0; i < 2; i++) {
		if (list_call("GET", past[i], NULL, &admin_a, NULL, &reply) &&
			expect(past[i], &reply, 413, "PAYLOAD_TOO_LARGE")) {
			const char *issue = detail_issue(&reply, "rows");
			ITEST_CHECK(issue && strstr(issue, "10001 rows match") && strstr(issue, "at most 10000"),
						"the detail says how many and the bound: %s", issue ? issue : "none");
			ITEST_CHECK(strncmp(reply.content_type, "application/json", 16) == 0, "a JSON error: %s",
						reply.content_type);
		}
		list_reply_free(&reply);
	}
	/* tenant B's export does not see A's rows */
	if (list_call("GET", "/api/v1/sales/leads?q=Bulk&format=csv", NULL, &admin_b, NULL, &reply) &&
		expect("tenant B csv", &reply, 200, NULL))
		ITEST_CHECK(csv_lines(&reply) == 1, "only the header for B, got %zu lines", csv_lines(&reply));
	list_reply_free(&reply);
	/* the JSON list still pages them */
	expect_total("/api/v1/sales/leads?q=Bulk&limit=1", &admin_a, CSV_MAX_ROWS + 1);
}

static void if_none_match_answers_304_on_lists_and_single_reads(void)
{
	if (!ITEST_CHECK(make_invoices(), "invoices created"))
		return;
	const char *path = "/api/v1/finance/invoices?q=RNG-&sortBy=number";
	struct list_reply first, reply;
	if (!list_call("GET", path, NULL, &admin_a, NULL, &first) || !expect("list", &first, 200, NULL) ||
		!ITEST_CHECK(first.etag[0] == '"', "a list has an ETag: %s", first.etag)) {
		list_reply_free(&first);
		return;
	}
	char header[160];
	/* the tag itself, weak, in a list, and "*" */
	const char *prefixes[] = { "", "W/", "\"nope\", ", NULL };
	for (size_t i = 0; i < 4; i++) {
		if (prefixes[i] != NULL)
			snprintf(header, sizeof header, "If-None-Match: %s%s", prefixes[i], first.etag);
		else
			snprintf(header, sizeof header, "If-None-Match: *");
		if (list_call("GET", path, NULL, &admin_a, header, &reply) && expect(header, &reply, 304, NULL)) {
			ITEST_CHECK(reply.text_length == 0, "%s: no body, got %zu bytes", header, reply.text_length);
			ITEST_CHECK(strcmp(reply.etag, first.etag) == 0, "%s: the ETag again", header);
		}
		list_reply_free(&reply);
	}
	/* another page, another tag; another tenant, another list */
	snprintf(header, sizeof header, "If-None-Match: %s", first.etag);
	if (list_call("GET", "/api/v1/finance/invoices?q=RNG-&sortBy=number&limit=1", NULL, &admin_a, header, &reply))
		expect("another page", &reply, 200, NULL);
	list_reply_free(&reply);
	if (list_call("GET", path, NULL, &admin_b, header, &reply))
		expect("tenant B", &reply, 200, NULL);
	list_reply_free(&reply);
	if (list_call("GET", path, NULL, &admin_a, "If-None-Match: \"nope\"", &reply))
		expect("other tag", &reply, 200, NULL);
	list_reply_free(&reply);
	/* a change to the list changes its tag */
	int64_t id = create_invoice(&admin_a, "RNG-5", "Range Echo", 10, "null", false);
	if (list_call("GET", path, NULL, &admin_a, header, &reply) && expect("after a create", &reply, 200, NULL))
		ITEST_CHECK(strcmp(reply.etag, first.etag) != 0, "a new tag after a create");
	list_reply_free(&reply);
	list_reply_free(&first);

	/* single reads: the version is the tag */
	char record[128];
	snprintf(record, sizeof record, "/api/v1/finance/invoices/%lld", (long long)id);
	if (list_call("GET", record, NULL, &admin_a, "If-None-Match: \"1\"", &reply) && expect("record", &reply, 304, NULL))
		ITEST_CHECK(reply.text_length == 0 && strcmp(reply.etag, "\"1\"") == 0, "no body, ETag \"1\"");
	list_reply_free(&reply);
	if (list_call("PATCH", record, "{\"notes\":\"changed\"}", &admin_a, NULL, &reply))
		expect("patch", &reply, 200, NULL);
	list_reply_free(&reply);
	if (list_call("GET", record, NULL, &admin_a, "If-None-Match: \"1\"", &reply) &&
		expect("record after patch", &reply, 200, NULL))
		ITEST_CHECK(strcmp(reply.etag, "\"2\"") == 0, "version 2: %s", reply.etag);
	list_reply_free(&reply);
	/* another tenant's record is 404 whatever the tag */
	if (list_call("GET", record, NULL, &admin_b, "If-None-Match: *", &reply))
		expect("tenant B record", &reply, 404, "NOT_FOUND");
	list_reply_free(&reply);
	/* a generic record (sales) too */
	if (list_call("POST", "/api/v1/sales/accounts", "{\"name\":\"Etag Account\"}", &admin_a, NULL, &reply) &&
		expect("account", &reply, 201, NULL)) {
		int64_t account = 0;
		json_path_int64(reply.body, "data.id", &account);
		snprintf(record, sizeof record, "/api/v1/sales/accounts/%lld", (long long)account);
		list_reply_free(&reply);
		if (list_call("GET", record, NULL, &viewer_a, "If-None-Match: W/\"1\"", &reply))
			expect("account 304", &reply, 304, NULL);
	}
	list_reply_free(&reply);
	/* a write is never answered 304 */
	if (list_call("PATCH", record, "{\"industry\":\"Tags\"}", &admin_a, "If-None-Match: *", &reply))
		expect("patch with If-None-Match", &reply, 200, NULL);
	list_reply_free(&reply);
}

static void hand_built_lists_carry_an_etag_and_answer_304(void)
{
	const char *paths[] = { "/api/v1/profiles", "/api/v1/invitations", "/api/v1/audit?limit=5", "/api/v1/users" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct list_reply first, reply;
		if (!list_call("GET", paths[i], NULL, &admin_a, NULL, &first) || !expect(paths[i], &first, 200, NULL) ||
			!ITEST_CHECK(first.etag[0] == '"', "%s has an ETag: \"%s\"", paths[i], first.etag)) {
			list_reply_free(&first);
			continue;
		}
		char header[160];
		snprintf(header, sizeof header, "If-None-Match: W/%s", first.etag);
		if (list_call("GET", paths[i], NULL, &admin_a, header, &reply) && expect(paths[i], &reply, 304, NULL))
			ITEST_CHECK(reply.text_length == 0, "%s: 304 without a body", paths[i]);
		list_reply_free(&reply);
		/* the other tenant's list has its own tag: A's matches it only when
		 * both pages are the same bytes (two empty lists) */
		char tag_b[64] = "";
		if (list_call("GET", paths[i], NULL, &admin_b, NULL, &reply) && expect(paths[i], &reply, 200, NULL))
			snprintf(tag_b, sizeof tag_b, "%s", reply.etag);
		list_reply_free(&reply);
		long wanted = strcmp(tag_b, first.etag) == 0 ? 304 : 200;
		if (list_call("GET", paths[i], NULL, &admin_b, header, &reply))
			ITEST_CHECK(reply.status == wanted, "%s of tenant B with A's tag: expected %ld, got %ld", paths[i], wanted,
						reply.status);
		list_reply_free(&reply);
		/* a role without the permission is refused, never told "not modified" */
		if (list_call("GET", paths[i], NULL, &viewer_a, "If-None-Match: *", &reply))
			expect(paths[i], &reply, 403, "FORBIDDEN");
		list_reply_free(&reply);
		list_reply_free(&first);
	}
}

static void audit_log_picks_fields_and_exports_csv_within_bounds(void)
{
	struct list_reply reply;
	/* logins of this suite's users are in the log */
	if (list_call("GET", "/api/v1/audit?action=auth.login&fields=action,outcome", NULL, &admin_a, NULL, &reply) &&
		expect("audit fields", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		ITEST_CHECK(first && json_object_object_length(first) == 3 && json_path_string(first, "outcome"),
					"id, action and outcome: %s", first ? json_object_to_json_string(first) : "none");
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/audit?fields=action,secret", NULL, &admin_a, NULL, &reply) &&
		expect("audit unknown field", &reply, 400, "VALIDATION_ERROR")) {
		const char *issue = detail_issue(&reply, "fields");
		ITEST_CHECK(issue && strstr(issue, "\"secret\""), "names secret: %s", issue ? issue : "none");
	}
	list_reply_free(&reply);
	int64_t logins = list_total("audit logins", "/api/v1/audit?action=auth.login", &admin_a);
	if (list_call("GET", "/api/v1/audit?action=auth.login&format=csv", NULL, &admin_a, NULL, &reply) &&
		expect("audit csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.text, "id,occurredAt,actorUserId,action,outcome,", 41) == 0, "header: %.120s",
					reply.text);
		ITEST_CHECK((int64_t)csv_lines(&reply) == logins + 1, "a row per login (%lld), got %zu lines",
					(long long)logins, csv_lines(&reply));
		ITEST_CHECK(strstr(reply.disposition, "audit-log.csv") != NULL, "file name: %s", reply.disposition);
	}
	list_reply_free(&reply);
	/* tenant B's export holds none of A's entries, and a viewer gets none at all */
	if (list_call("GET", "/api/v1/audit?format=csv&fields=actorUserId", NULL, &admin_b, NULL, &reply) &&
		expect("audit csv B", &reply, 200, NULL)) {
		char a_user[32];
		snprintf(a_user, sizeof a_user, ",%lld\r\n", (long long)admin_a.id);
		ITEST_CHECK(csv_lines(&reply) > 1 && strstr(reply.text, a_user) == NULL, "B's entries only: %.300s",
					reply.text);
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/audit?format=csv", NULL, &viewer_a, NULL, &reply))
		expect("viewer audit csv", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
	if (!test_environment_has(test_environment.db_sql_command))
		return;
	/* past the bound: 413 before any CSV */
	char sql[1400];
	snprintf(sql, sizeof sql,
			 "INSERT INTO audit_log (tenant_id, action, outcome) SELECT t.tenant_id, 'bulk.test', 'success'"
			 " FROM tenants t, (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,"
			 " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
			 " UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e"
			 " WHERE t.slug = '%s'; INSERT INTO audit_log (tenant_id, action, outcome) SELECT tenant_id, 'bulk.test',"
			 " 'success' FROM tenants WHERE slug = '%s'; SELECT COUNT(*) FROM audit_log l JOIN tenants t"
			 " ON t.tenant_id = l.tenant_id WHERE t.slug = '%s' AND l.action = 'bulk.test'",
			 tenant_b, tenant_b, tenant_b);
	if (!ITEST_CHECK(sql_number(sql) == CSV_MAX_ROWS + 1, "10001 audit entries inserted"))
		return;
	if (list_call("GET", "/api/v1/audit?action=bulk.test&format=csv", NULL, &admin_b, NULL, &reply) &&
		expect("audit past the bound", &reply, 413, "PAYLOAD_TOO_LARGE")) {
		const char *issue = detail_issue(&reply, "rows");
		ITEST_CHECK(issue && strstr(issue, "10001 rows match"), "the detail: %s", issue ? issue : "none");
	}
	list_reply_free(&reply);
	/* A's export is untouched by B's entries */
	if (list_call("GET", "/api/v1/audit?action=bulk.test&format=csv", NULL, &admin_a, NULL, &reply) &&
		expect("audit A", &reply, 200, NULL))
		ITEST_CHECK(csv_lines(&reply) == 1, "only the header for A, got %zu lines", csv_lines(&reply));
	list_reply_free(&reply);
}

static void users_list_takes_q_created_range_fields_and_csv_within_the_tenant(void)
{
	struct list_reply reply;
	int64_t users = list_total("users", "/api/v1/users", &admin_a);
	ITEST_CHECK(users >= 3, "tenant A has its three users: %lld", (long long)users);
	/* q is a prefix of email or name; fields= keeps id and what it names */
	if (list_call("GET", "/api/v1/users?q=viewer&fields=email,status", NULL, &admin_a, NULL, &reply) &&
		expect("users q", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		const char *email = first ? json_path_string(first, "email") : NULL;
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(total == 1 && email && strcmp(email, viewer_a.email) == 0 &&
						json_object_object_length(first) == 3 && json_path_string(first, "status"),
					"the viewer alone, as id, email and status: %.300s", reply.text);
	}
	list_reply_free(&reply);
	/* LIKE characters match themselves: no email starts with "%" or "_" */
	expect_total("/api/v1/users?q=%25", &admin_a, 0);
	expect_total("/api/v1/users?q=_", &admin_a, 0);
	/* q never reaches another tenant: B's admin finds only B's "admin" */
	if (list_call("GET", "/api/v1/users?q=admin", NULL, &admin_b, NULL, &reply) && expect("users q B", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		const char *email = first ? json_path_string(first, "email") : NULL;
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(total == 1 && email && strcmp(email, admin_b.email) == 0, "B's admin alone: %.300s", reply.text);
	}
	list_reply_free(&reply);
	/* created range: the end exclusive; every user of the suite was created today */
	char path[160];
	snprintf(path, sizeof path, "/api/v1/users?createdFrom=2000-01-01&createdTo=2999-01-01");
	expect_total(path, &admin_a, users);
	expect_total("/api/v1/users?createdFrom=2999-01-01", &admin_a, 0);
	expect_total("/api/v1/users?createdTo=2000-01-01", &admin_a, 0);
	expect_refused("/api/v1/users?createdFrom=yesterday", &admin_a, 400, "VALIDATION_ERROR", "createdFrom");
	expect_refused("/api/v1/users?fields=email,passwordHash", &admin_a, 400, "VALIDATION_ERROR", "fields");
	/* CSV: every user of the tenant, none of B's */
	if (list_call("GET", "/api/v1/users?format=csv&fields=email", NULL, &admin_a, NULL, &reply) &&
		expect("users csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.text, "id,email\r\n", 10) == 0, "header: %.120s", reply.text);
		ITEST_CHECK((int64_t)csv_lines(&reply) == users + 1, "a row per user (%lld), got %zu lines", (long long)users,
					csv_lines(&reply));
		ITEST_CHECK(strstr(reply.text, viewer_a.email) != NULL && strstr(reply.text, admin_b.email) == NULL,
					"A's users only: %.400s", reply.text);
		ITEST_CHECK(strstr(reply.disposition, "users.csv") != NULL, "file name: %s", reply.disposition);
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/users?format=csv", NULL, &admin_b, NULL, &reply) && expect("users csv B", &reply, 200, NULL))
		ITEST_CHECK(strstr(reply.text, admin_a.email) == NULL && strstr(reply.text, admin_b.email) != NULL,
					"B's users only: %.400s", reply.text);
	list_reply_free(&reply);
	/* a role without users.manage gets neither a page nor an export */
	if (list_call("GET", "/api/v1/users?format=csv", NULL, &viewer_a, NULL, &reply))
		expect("viewer users csv", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/users?q=admin", NULL, &viewer_a, NULL, &reply))
		expect("viewer users q", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
}

/* Invites local@<tenant's slug>.test with the viewer's profile; whether it was made. */
static bool invite(const struct list_user *user, const char *slug, const char *local)
{
	struct list_reply reply;
	int64_t profile = 0;
	char path[160], body[320];
	snprintf(path, sizeof path, "/api/v1/users?q=%s&fields=profile", user == &admin_a ? "viewer" : "admin");
	if (list_call("GET", path, NULL, user, NULL, &reply) && expect("profile to invite with", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		if (first)
			json_path_int64(first, "profile.id", &profile);
	}
	list_reply_free(&reply);
	snprintf(body, sizeof body, "{\"email\":\"%s@%s.test\",\"profileId\":%lld}", local, slug, (long long)profile);
	bool made = list_call("POST", "/api/v1/invitations", body, user, NULL, &reply) && expect(local, &reply, 201, NULL);
	list_reply_free(&reply);
	return made;
}

static void invitations_list_takes_q_fields_and_csv_within_the_tenant(void)
{
	struct list_reply reply;
	if (!invite(&admin_a, tenant_a, "inv-one") || !invite(&admin_a, tenant_a, "inv-two") ||
		!invite(&admin_b, tenant_b, "inv-one"))
		return;
	expect_total("/api/v1/invitations?q=inv-", &admin_a, 2);
	expect_total("/api/v1/invitations?q=INV-T", &admin_a, 1);
	expect_total("/api/v1/invitations?q=%25", &admin_a, 0);
	expect_total("/api/v1/invitations?q=inv-&status=revoked", &admin_a, 0);
	expect_total("/api/v1/invitations?q=inv-", &admin_b, 1);
	if (list_call("GET", "/api/v1/invitations?q=inv-one&fields=email,status", NULL, &admin_a, NULL, &reply) &&
		expect("invitations fields", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		const char *email = first ? json_path_string(first, "email") : NULL;
		const char *status = first ? json_path_string(first, "status") : NULL;
		ITEST_CHECK(first && json_object_object_length(first) == 3 && email && strstr(email, tenant_a) &&
						status && strcmp(status, "pending") == 0,
					"id, email and status of A's invitation: %.300s", reply.text);
	}
	list_reply_free(&reply);
	expect_refused("/api/v1/invitations?fields=tokenHash", &admin_a, 400, "VALIDATION_ERROR", "fields");
	int64_t all = list_total("invitations", "/api/v1/invitations", &admin_a);
	if (list_call("GET", "/api/v1/invitations?format=csv&fields=email,status", NULL, &admin_a, NULL, &reply) &&
		expect("invitations csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.text, "id,email,status\r\n", 17) == 0, "header: %.120s", reply.text);
		ITEST_CHECK((int64_t)csv_lines(&reply) == all + 1, "a row per invitation (%lld), got %zu lines",
					(long long)all, csv_lines(&reply));
		ITEST_CHECK(strstr(reply.text, tenant_b) == NULL, "A's invitations only: %.400s", reply.text);
		ITEST_CHECK(strstr(reply.disposition, "invitations.csv") != NULL, "file name: %s", reply.disposition);
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/invitations?format=csv", NULL, &admin_b, NULL, &reply) &&
		expect("invitations csv B", &reply, 200, NULL))
		ITEST_CHECK(strstr(reply.text, tenant_a) == NULL && strstr(reply.text, tenant_b) != NULL,
					"B's invitations only: %.400s", reply.text);
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/invitations?q=inv-", NULL, &viewer_a, NULL, &reply))
		expect("viewer invitations q", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/invitations?format=csv", NULL, &viewer_a, NULL, &reply))
		expect("viewer invitations csv", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
}

static void profiles_list_takes_q_fields_and_csv_within_the_tenant(void)
{
	struct list_reply reply;
	const char *body_a = "{\"name\":\"Zq Alpha\",\"permissions\":[\"audit.view\"]}";
	const char *body_b = "{\"name\":\"Zq Beta\",\"permissions\":[\"audit.view\"]}";
	bool made = list_call("POST", "/api/v1/profiles", body_a, &admin_a, NULL, &reply) &&
				expect("profile A", &reply, 201, NULL);
	list_reply_free(&reply);
	made = made && list_call("POST", "/api/v1/profiles", body_b, &admin_b, NULL, &reply) &&
		   expect("profile B", &reply, 201, NULL);
	list_reply_free(&reply);
	if (!made)
		return;
	/* q is a prefix of the name, case-insensitive; fields= keeps id and what it names */
	if (list_call("GET", "/api/v1/profiles?q=zq&fields=name,userCount", NULL, &admin_a, NULL, &reply) &&
		expect("profiles q", &reply, 200, NULL)) {
		json_object *first = first_item(&reply);
		const char *name = first ? json_path_string(first, "name") : NULL;
		int64_t total = -1;
		json_path_int64(reply.body, "pagination.total", &total);
		ITEST_CHECK(total == 1 && name && strcmp(name, "Zq Alpha") == 0 && json_object_object_length(first) == 3,
					"A's profile alone, as id, name and userCount: %.300s", reply.text);
	}
	list_reply_free(&reply);
	expect_total("/api/v1/profiles?q=%25", &admin_a, 0);
	expect_total("/api/v1/profiles?q=Zq%20B", &admin_b, 1);
	expect_total("/api/v1/profiles?q=Zq%20B", &admin_a, 0);
	expect_refused("/api/v1/profiles?fields=name,secret", &admin_a, 400, "VALIDATION_ERROR", "fields");
	int64_t all = list_total("profiles", "/api/v1/profiles", &admin_a);
	if (list_call("GET", "/api/v1/profiles?format=csv&fields=name", NULL, &admin_a, NULL, &reply) &&
		expect("profiles csv", &reply, 200, NULL)) {
		ITEST_CHECK(strncmp(reply.text, "id,name\r\n", 9) == 0, "header: %.120s", reply.text);
		ITEST_CHECK((int64_t)csv_lines(&reply) == all + 1, "a row per profile (%lld), got %zu lines", (long long)all,
					csv_lines(&reply));
		ITEST_CHECK(strstr(reply.text, "Zq Alpha") && !strstr(reply.text, "Zq Beta"), "A's profiles only: %.400s",
					reply.text);
		ITEST_CHECK(strstr(reply.disposition, "profiles.csv") != NULL, "file name: %s", reply.disposition);
	}
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/profiles?format=csv", NULL, &viewer_a, NULL, &reply))
		expect("viewer profiles csv", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
	if (list_call("GET", "/api/v1/profiles?q=zq", NULL, &viewer_a, NULL, &reply))
		expect("viewer profiles q", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
}

static void audit_log_q_is_a_prefix_of_action_or_target_within_the_tenant(void)
{
	int64_t logins = list_total("audit logins", "/api/v1/audit?action=auth.login", &admin_a);
	ITEST_CHECK(logins > 0, "tenant A has logins in its log: %lld", (long long)logins);
	expect_total("/api/v1/audit?q=auth.login", &admin_a, logins);
	expect_total("/api/v1/audit?q=%25", &admin_a, 0);
	expect_total("/api/v1/audit?q=auth_login", &admin_a, 0);
	/* by target: A's user id is the target of A's own logins, never of B's */
	char path[160];
	snprintf(path, sizeof path, "/api/v1/audit?action=auth.login&q=%lld", (long long)admin_a.id);
	int64_t own = list_total("audit by target", path, &admin_a);
	ITEST_CHECK(own >= 1 && own <= logins, "A's admin's logins: %lld of %lld", (long long)own, (long long)logins);
	int64_t logins_b = list_total("audit logins B", "/api/v1/audit?action=auth.login", &admin_b);
	expect_total("/api/v1/audit?q=auth.login", &admin_b, logins_b);
	struct list_reply reply;
	if (list_call("GET", "/api/v1/audit?q=auth", NULL, &viewer_a, NULL, &reply))
		expect("viewer audit q", &reply, 403, "FORBIDDEN");
	list_reply_free(&reply);
}

bool lists_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("lists", lists_suite_init, NULL);
	if (suite == NULL)
		return false;
	const char *no_sql = test_environment_has(test_environment.db_sql_command) ? NULL : "INTUKA_TEST_DB_SQL_CMD is empty";
	return itest_add_test(suite, "money_and_date_ranges_narrow_invoices_within_the_tenant",
						  money_and_date_ranges_narrow_invoices_within_the_tenant, NULL) &&
		   itest_add_test(suite, "overdue_invoices_are_sent_unpaid_and_past_due",
						  overdue_invoices_are_sent_unpaid_and_past_due, NULL) &&
		   itest_add_test(suite, "malformed_ranges_are_400_naming_the_parameter",
						  malformed_ranges_are_400_naming_the_parameter, NULL) &&
		   itest_add_test(suite, "q_matches_like_characters_literally_within_the_tenant",
						  q_matches_like_characters_literally_within_the_tenant, NULL) &&
		   itest_add_test(suite, "fields_pick_what_each_record_shows", fields_pick_what_each_record_shows, NULL) &&
		   itest_add_test(suite, "fields_never_reveal_what_the_role_may_not_see",
						  fields_never_reveal_what_the_role_may_not_see, NULL) &&
		   itest_add_test(suite, "csv_export_is_the_filtered_set_quoted_and_formula_safe",
						  csv_export_is_the_filtered_set_quoted_and_formula_safe, NULL) &&
		   itest_add_test(suite, "csv_past_the_row_bound_is_413_and_at_it_is_complete",
						  csv_past_the_row_bound_is_413_and_at_it_is_complete, no_sql) &&
		   itest_add_test(suite, "if_none_match_answers_304_on_lists_and_single_reads",
						  if_none_match_answers_304_on_lists_and_single_reads, NULL) &&
		   itest_add_test(suite, "hand_built_lists_carry_an_etag_and_answer_304",
						  hand_built_lists_carry_an_etag_and_answer_304, NULL) &&
		   itest_add_test(suite, "audit_log_picks_fields_and_exports_csv_within_bounds",
						  audit_log_picks_fields_and_exports_csv_within_bounds, NULL) &&
		   itest_add_test(suite, "users_list_takes_q_created_range_fields_and_csv_within_the_tenant",
						  users_list_takes_q_created_range_fields_and_csv_within_the_tenant, NULL) &&
		   itest_add_test(suite, "invitations_list_takes_q_fields_and_csv_within_the_tenant",
						  invitations_list_takes_q_fields_and_csv_within_the_tenant, NULL) &&
		   itest_add_test(suite, "profiles_list_takes_q_fields_and_csv_within_the_tenant",
						  profiles_list_takes_q_fields_and_csv_within_the_tenant, NULL) &&
		   itest_add_test(suite, "audit_log_q_is_a_prefix_of_action_or_target_within_the_tenant",
						  audit_log_q_is_a_prefix_of_action_or_target_within_the_tenant, NULL);
}

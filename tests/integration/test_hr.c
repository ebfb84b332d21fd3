/*
 * The HR module over real HTTP: departments, employees and leave requests,
 * their validation, lists, sensitive fields, permissions, the leave flow
 * (own requests, approval without overlap, cancel), tenant isolation,
 * If-Match and Idempotency-Key. The suite makes its own tenants and users
 * (unique per run) with intuka-admin, so it can run again on one database.
 */
#include <pthread.h>
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
#include "sql_session.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097 };

static char tenant_a[64], tenant_b[64];
static const char password[] = "hr-suite-password-1";

/* Who acts: tenant A's admin (Tenant Admin), a manager (hr.manage), two
 * users with employee records (hr.view), a user without one, a viewer, and
 * tenant B's admin for the cross-tenant checks. */
enum hr_actor { ADMIN, MANAGER, ALICE, BOB, CAROL, VIEWER, ADMIN_B, HR_ACTOR__MAX };

static const struct {
	const char *local_part;
	const char *role; /* NULL: the tenant's first user, Tenant Admin */
	int in_tenant_b;
} actors[HR_ACTOR__MAX] = {
	[ADMIN] = { "admin", NULL, 0 },   [MANAGER] = { "manager", "manager", 0 }, [ALICE] = { "alice", "user", 0 },
	[BOB] = { "bob", "user", 0 },     [CAROL] = { "carol", "user", 0 },        [VIEWER] = { "viewer", "viewer", 0 },
	[ADMIN_B] = { "admin", NULL, 1 },
};

static char tokens[HR_ACTOR__MAX][TOKEN_MAX];
static int64_t user_ids[HR_ACTOR__MAX];
static int64_t alice_employee, bob_employee;

/* ---------------------------------------------------------------- client */

struct hr_reply {
	long status;
	json_object *body; /* parsed envelope or NULL */
	char etag[32];
	char replayed[16];
};

static void hr_reply_free(struct hr_reply *reply)
{
	if (reply->body != NULL)
		json_object_put(reply->body);
	reply->body = NULL;
}

/* One request as actor; if_match and idempotency_key may be NULL. */
static bool hr_call(enum hr_actor actor, const char *method, const char *path, const char *body, const char *if_match,
					const char *idempotency_key, struct hr_reply *reply)
{
	char authorization[TOKEN_MAX + 32], if_match_line[64], key_line[256], url[512];
	const char *headers[4] = { NULL, NULL, NULL, NULL };
	size_t count = 0;
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", tokens[actor]);
	headers[count++] = authorization;
	if (if_match != NULL) {
		snprintf(if_match_line, sizeof if_match_line, "If-Match: %s", if_match);
		headers[count++] = if_match_line;
	}
	if (idempotency_key != NULL) {
		snprintf(key_line, sizeof key_line, "Idempotency-Key: %s", idempotency_key);
		headers[count++] = key_line;
	}
	snprintf(url, sizeof url, "/api/v1/hr%s", path);
	struct http_request request = {
		.method = method,
		.path_and_query = url,
		.content_type = body ? "application/json" : NULL,
		.body = body,
		.body_length = body ? strlen(body) : 0,
		.extra_headers = headers,
	};
	struct http_response response;
	char error_text[256], why[128];
	memset(reply, 0, sizeof *reply);
	memset(&response, 0, sizeof response);
	if (!http_client_send(&request, &response, error_text, sizeof error_text)) {
		ITEST_CHECK(false, "%s %s: %s", method, url, error_text);
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

static const char *hr_error_code(const struct hr_reply *reply)
{
	const char *code = reply->body ? json_path_string(reply->body, "error.code") : NULL;
	return code ? code : "";
}

static bool expect(const char *label, const struct hr_reply *reply, long status, const char *code)
{
	bool ok = ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld (%s)", label, status, reply->status,
						  reply->body ? json_object_to_json_string(reply->body) : "no JSON body");
	if (code != NULL)
		ok = ITEST_CHECK(strcmp(hr_error_code(reply), code) == 0, "%s: expected error %s, got \"%s\"", label, code,
						 hr_error_code(reply)) && ok;
	return ok;
}

/* Sends, checks the status (and code), and frees: for steps whose body does not matter. */
static bool call_expect(enum hr_actor actor, const char *method, const char *path, const char *body,
						const char *if_match, long status, const char *code)
{
	struct hr_reply reply;
	char label[300];
	snprintf(label, sizeof label, "%s %s as %s", method, path, actors[actor].local_part);
	if (!hr_call(actor, method, path, body, if_match, NULL, &reply))
		return false;
	bool ok = expect(label, &reply, status, code);
	hr_reply_free(&reply);
	return ok;
}

/* POST that must answer 201; returns the new id (0 on failure). */
static int64_t create(enum hr_actor actor, const char *path, const char *body)
{
	struct hr_reply reply;
	int64_t id = 0;
	char label[300];
	snprintf(label, sizeof label, "POST %s as %s", path, actors[actor].local_part);
	if (hr_call(actor, "POST", path, body, NULL, NULL, &reply) && expect(label, &reply, 201, NULL))
		json_path_int64(reply.body, "data.id", &id);
	hr_reply_free(&reply);
	return id;
}

static int64_t data_int(const struct hr_reply *reply, const char *field)
{
	char path[80];
	int64_t value = 0;
	snprintf(path, sizeof path, "data.%s", field);
	json_path_int64(reply->body, path, &value);
	return value;
}

static const char *data_string(const struct hr_reply *reply, const char *field)
{
	char path[80];
	snprintf(path, sizeof path, "data.%s", field);
	const char *value = json_path_string(reply->body, path);
	return value ? value : "";
}

static int64_t pagination_value(const struct hr_reply *reply, const char *field)
{
	char path[80];
	int64_t value = -1;
	snprintf(path, sizeof path, "pagination.%s", field);
	json_path_int64(reply->body, path, &value);
	return value;
}

static size_t item_count(const struct hr_reply *reply)
{
	json_object *items = reply->body ? json_path_get(reply->body, "data") : NULL;
	return items && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
}

static json_object *item(const struct hr_reply *reply, size_t index)
{
	return json_object_array_get_idx(json_path_get(reply->body, "data"), index);
}

/* Details of an error reply: 1 when one names field. */
static bool has_detail(const struct hr_reply *reply, const char *field)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	for (size_t i = 0; details && i < json_object_array_length(details); i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

static size_t detail_count(const struct hr_reply *reply)
{
	json_object *details = reply->body ? json_path_get(reply->body, "error.details") : NULL;
	return details ? json_object_array_length(details) : 0;
}

static int64_t file_leave(enum hr_actor actor, const char *type, const char *start, const char *end)
{
	char body[200];
	snprintf(body, sizeof body, "{\"leaveType\":\"%s\",\"startDate\":\"%s\",\"endDate\":\"%s\"}", type, start, end);
	return create(actor, "/leave-requests", body);
}

/* POST /leave-requests/{id}/ACTION as actor; returns the status (0 on transport failure). */
static long leave_action(enum hr_actor actor, int64_t id, const char *action, struct hr_reply *reply)
{
	char path[96];
	snprintf(path, sizeof path, "/leave-requests/%lld/%s", (long long)id, action);
	return hr_call(actor, "POST", path, NULL, NULL, NULL, reply) ? reply->status : 0;
}

static long leave_action_status(enum hr_actor actor, int64_t id, const char *action)
{
	struct hr_reply reply;
	long status = leave_action(actor, id, action, &reply);
	hr_reply_free(&reply);
	return status;
}

/* ---------------------------------------------------------------- fixtures */

/* For the suite's set-up, where no test is running to record a check:
 * POST as actor, the new id or 0 (and why on stderr). */
static int64_t init_create(enum hr_actor actor, const char *path, const char *body)
{
	char url[128];
	struct api_reply reply;
	int64_t id = 0;
	snprintf(url, sizeof url, "/api/v1/hr%s", path);
	if (!api_call("POST", url, body, tokens[actor], NULL, &reply))
		return 0;
	if (reply.status == 201)
		json_path_int64(reply.body, "data.id", &id);
	else
		fprintf(stderr, "hr set-up: POST %s: %ld %s\n", url, reply.status,
				reply.body ? json_object_to_json_string(reply.body) : "");
	api_reply_free(&reply);
	return id;
}

static int hr_suite_init(void)
{
	identity_unique_slug("hra", tenant_a, sizeof tenant_a);
	identity_unique_slug("hrb", tenant_b, sizeof tenant_b);
	const char *create_a[] = { "tenant", "create", tenant_a, "HR A", NULL };
	const char *create_b[] = { "tenant", "create", tenant_b, "HR B", NULL };
	if (admin_command(create_a, NULL) != 0 || admin_command(create_b, NULL) != 0)
		return 1;
	for (int actor = 0; actor < HR_ACTOR__MAX; actor++) {
		const char *slug = actors[actor].in_tenant_b ? tenant_b : tenant_a;
		char email[160];
		snprintf(email, sizeof email, "%s@%s.test", actors[actor].local_part, slug);
		const char *with_role[] = { "user", "create", slug, email, "--role", actors[actor].role, NULL };
		const char *first[] = { "user", "create", slug, email, NULL };
		if (admin_command(actors[actor].role ? with_role : first, password) != 0)
			return 1;
		long login = api_login(email, password, slug, tokens[actor], NULL);
		if (login != 200) {
			fprintf(stderr, "hr set-up: login %s: %ld\n", email, login);
			return 1;
		}
		struct api_reply me;
		if (!api_call("GET", "/api/v1/auth/me", NULL, tokens[actor], NULL, &me))
			return 1;
		json_path_int64(me.body, "data.id", &user_ids[actor]);
		api_reply_free(&me);
		if (user_ids[actor] <= 0)
			return 1;
	}
	/* Alice and Bob are employees linked to their users; Carol is not. */
	char body[300];
	snprintf(body, sizeof body, "{\"firstName\":\"Alice\",\"lastName\":\"Archer\",\"userId\":%lld}",
			 (long long)user_ids[ALICE]);
	alice_employee = init_create(ADMIN, "/employees", body);
	snprintf(body, sizeof body, "{\"firstName\":\"Bob\",\"lastName\":\"Baker\",\"userId\":%lld}",
			 (long long)user_ids[BOB]);
	bob_employee = init_create(ADMIN, "/employees", body);
	return alice_employee > 0 && bob_employee > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- departments */

static void departments_are_created_read_updated_and_soft_deleted(void)
{
	struct hr_reply reply;
	if (hr_call(MANAGER, "POST", "/departments",
				"{\"name\":\"\",\"code\":\"THIS-CODE-IS-TOO-LONG\",\"parentDepartmentId\":0,\"budget\":1}", NULL, NULL,
				&reply)) {
		expect("bad department body", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(detail_count(&reply) == 4 && has_detail(&reply, "name") && has_detail(&reply, "code") &&
						has_detail(&reply, "parentDepartmentId") && has_detail(&reply, "budget"),
					"one detail per bad field (name, code, parentDepartmentId, budget): %s",
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	call_expect(MANAGER, "POST", "/departments", "{\"code\":\"X\"}", NULL, 400, "VALIDATION_ERROR");
	int64_t parent = create(MANAGER, "/departments", "{\"name\":\"Operations\",\"code\":\"OPS\"}");
	if (!ITEST_CHECK(parent > 0, "parent department created"))
		return;
	char body[200], path[64];
	snprintf(body, sizeof body, "{\"name\":\"Logistics\",\"code\":\"LOG\",\"parentDepartmentId\":%lld,"
			 "\"managerEmployeeId\":%lld}", (long long)parent, (long long)bob_employee);
	if (!hr_call(MANAGER, "POST", "/departments", body, NULL, NULL, &reply))
		return;
	expect("create department", &reply, 201, NULL);
	int64_t id = data_int(&reply, "id");
	ITEST_CHECK(strcmp(reply.etag, "\"1\"") == 0, "ETag of a new record is \"1\", got %s", reply.etag);
	ITEST_CHECK(strcmp(data_string(&reply, "name"), "Logistics") == 0 && data_int(&reply, "parentDepartmentId") == parent &&
					data_int(&reply, "managerEmployeeId") == bob_employee && data_int(&reply, "version") == 1 &&
					data_int(&reply, "createdBy") == user_ids[MANAGER],
				"created department as sent: %s", json_object_to_json_string(reply.body));
	hr_reply_free(&reply);

	snprintf(path, sizeof path, "/departments/%lld", (long long)id);
	call_expect(VIEWER, "GET", path, NULL, NULL, 200, NULL);
	if (hr_call(MANAGER, "PATCH", path, "{\"name\":\"Logistics and Fleet\",\"managerEmployeeId\":null}", "\"1\"", NULL,
				&reply)) {
		expect("patch department", &reply, 200, NULL);
		ITEST_CHECK(strcmp(reply.etag, "\"2\"") == 0 && strcmp(data_string(&reply, "name"), "Logistics and Fleet") == 0 &&
						json_path_get(reply.body, "data.managerEmployeeId") == NULL &&
						strcmp(data_string(&reply, "code"), "LOG") == 0,
					"PATCH changes only what it sends and bumps the version: ETag %s, %s", reply.etag,
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	/* a department cannot sit under itself or under its own sub-department */
	snprintf(body, sizeof body, "{\"parentDepartmentId\":%lld}", (long long)id);
	call_expect(MANAGER, "PATCH", path, body, NULL, 422, "UNPROCESSABLE");
	char parent_path[64];
	snprintf(parent_path, sizeof parent_path, "/departments/%lld", (long long)parent);
	call_expect(MANAGER, "PATCH", parent_path, body, NULL, 422, "UNPROCESSABLE");
	call_expect(MANAGER, "PATCH", path, "{\"parentDepartmentId\":999999999}", NULL, 422, "UNPROCESSABLE");
	call_expect(MANAGER, "PATCH", path, "{\"name\":null}", NULL, 400, "VALIDATION_ERROR");

	call_expect(MANAGER, "DELETE", path, NULL, NULL, 200, NULL);
	call_expect(MANAGER, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(MANAGER, "DELETE", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(MANAGER, "PATCH", path, "{\"name\":\"Back\"}", NULL, 404, "NOT_FOUND");
	/* soft: still listed for hr.manage with includeDeleted */
	if (hr_call(MANAGER, "GET", "/departments?code=LOG&includeDeleted=true", NULL, NULL, NULL, &reply)) {
		expect("list with deleted", &reply, 200, NULL);
		bool seen = false;
		for (size_t i = 0; i < item_count(&reply); i++) {
			int64_t item_id = 0;
			json_path_int64(item(&reply, i), "id", &item_id);
			json_object *deleted = json_path_get(item(&reply, i), "deleted");
			seen |= item_id == id && deleted != NULL && json_object_get_boolean(deleted);
		}
		ITEST_CHECK(seen, "the deleted department is kept and marked deleted: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	call_expect(VIEWER, "GET", "/departments?includeDeleted=true", NULL, NULL, 403, "FORBIDDEN");
}

/* ---------------------------------------------------------------- employees */

static void employees_validate_every_field_and_keep_salary_with_its_currency(void)
{
	struct hr_reply reply;
	if (hr_call(MANAGER, "POST", "/employees",
				"{\"firstName\":\"\",\"email\":\"not-an-email\",\"hireDate\":\"2026-02-30\","
				"\"employmentStatus\":\"fired\",\"salary\":-1,\"salaryCurrency\":\"eur\",\"nationalId\":42}",
				NULL, NULL, &reply)) {
		expect("bad employee body", &reply, 400, "VALIDATION_ERROR");
		static const char *const fields[] = { "firstName", "lastName", "email", "hireDate", "employmentStatus",
											  "salary", "salaryCurrency", "nationalId" };
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			ITEST_CHECK(has_detail(&reply, fields[i]), "a detail names %s: %s", fields[i],
						json_object_to_json_string(reply.body));
		ITEST_CHECK(detail_count(&reply) == 8, "8 details, got %zu", detail_count(&reply));
		hr_reply_free(&reply);
	}
	if (hr_call(MANAGER, "POST", "/employees", "{\"firstName\":\"Dan\",\"lastName\":\"Diaz\",\"salary\":100}", NULL,
				NULL, &reply)) {
		expect("salary without currency", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(has_detail(&reply, "salaryCurrency"), "the missing currency is named");
		hr_reply_free(&reply);
	}
	if (!hr_call(MANAGER, "POST", "/employees",
				 "{\"firstName\":\"Dan\",\"lastName\":\"Diaz\",\"email\":\"dan@example.test\",\"jobTitle\":\"Driver\","
				 "\"hireDate\":\"2024-02-29\",\"salary\":4200000,\"salaryCurrency\":\"EUR\",\"nationalId\":\"DD-1\"}",
				 NULL, NULL, &reply))
		return;
	expect("create employee", &reply, 201, NULL);
	int64_t id = data_int(&reply, "id");
	ITEST_CHECK(data_int(&reply, "salary") == 4200000 && strcmp(data_string(&reply, "salaryCurrency"), "EUR") == 0 &&
					strcmp(data_string(&reply, "hireDate"), "2024-02-29") == 0 &&
					strcmp(data_string(&reply, "employmentStatus"), "active") == 0 &&
					json_path_get(reply.body, "data.userId") == NULL,
				"employee as sent, status active by default: %s", json_object_to_json_string(reply.body));
	hr_reply_free(&reply);
	char path[64], body[200];
	snprintf(path, sizeof path, "/employees/%lld", (long long)id);
	/* clearing the currency alone would leave a bare number */
	call_expect(MANAGER, "PATCH", path, "{\"salaryCurrency\":null}", NULL, 400, "VALIDATION_ERROR");
	call_expect(MANAGER, "PATCH", path, "{\"salary\":null,\"salaryCurrency\":null}", NULL, 200, NULL);
	call_expect(MANAGER, "PATCH", path, "{\"salary\":5}", NULL, 400, "VALIDATION_ERROR");
	/* a user is at most one employee */
	snprintf(body, sizeof body, "{\"userId\":%lld}", (long long)user_ids[ALICE]);
	if (hr_call(MANAGER, "PATCH", path, body, NULL, NULL, &reply)) {
		expect("link a user twice", &reply, 409, "CONFLICT");
		ITEST_CHECK(has_detail(&reply, "userId"), "names userId");
		hr_reply_free(&reply);
	}
	call_expect(MANAGER, "PATCH", path, "{\"userId\":999999999}", NULL, 422, "UNPROCESSABLE");
	call_expect(MANAGER, "PATCH", path, "{\"departmentId\":999999999}", NULL, 422, "UNPROCESSABLE");
	call_expect(MANAGER, "PATCH", path, "{\"employmentStatus\":\"on_leave\",\"jobTitle\":\"Senior Driver\"}", NULL, 200,
				NULL);
	call_expect(MANAGER, "PATCH", path, "{\"id\":5}", NULL, 400, "VALIDATION_ERROR");
}

/* ---------------------------------------------------------------- lists */

static int64_t list_total(enum hr_actor actor, const char *path_and_query)
{
	struct hr_reply reply;
	int64_t total = -1;
	if (hr_call(actor, "GET", path_and_query, NULL, NULL, NULL, &reply) && expect(path_and_query, &reply, 200, NULL))
		total = pagination_value(&reply, "total");
	hr_reply_free(&reply);
	return total;
}

static void pagination_reports_the_known_count_filtered_and_unfiltered(void)
{
	int64_t before = list_total(ADMIN, "/departments");
	int64_t ids[7] = { 0 };
	for (int i = 0; i < 7; i++) {
		char body[120];
		snprintf(body, sizeof body, "{\"name\":\"Paged %d\",\"code\":\"PAGED\"}", i);
		ids[i] = create(ADMIN, "/departments", body);
	}
	char path[64];
	snprintf(path, sizeof path, "/departments/%lld", (long long)ids[6]);
	call_expect(ADMIN, "DELETE", path, NULL, NULL, 200, NULL);
	/* unfiltered: the live counter; six more than before */
	int64_t after = list_total(ADMIN, "/departments");
	ITEST_CHECK(before >= 0 && after == before + 6, "unfiltered total %lld, expected %lld + 6", (long long)after,
				(long long)before);
	struct hr_reply reply;
	static const struct {
		const char *query;
		long page, limit, items, total_pages;
	} pages[] = {
		{ "/departments?code=PAGED&limit=4", 1, 4, 4, 2 },
		{ "/departments?code=PAGED&limit=4&page=2", 2, 4, 2, 2 },
		{ "/departments?code=PAGED&limit=4&page=3", 3, 4, 0, 2 },
		{ "/departments?code=PAGED", 1, 20, 6, 1 },
	};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		if (!hr_call(ADMIN, "GET", pages[i].query, NULL, NULL, NULL, &reply))
			continue;
		expect(pages[i].query, &reply, 200, NULL);
		ITEST_CHECK(pagination_value(&reply, "total") == 6 && pagination_value(&reply, "page") == pages[i].page &&
						pagination_value(&reply, "limit") == pages[i].limit &&
						pagination_value(&reply, "totalPages") == pages[i].total_pages &&
						(long)item_count(&reply) == pages[i].items,
					"%s: total 6, page %ld, limit %ld, %ld items, %ld pages; got %s", pages[i].query, pages[i].page,
					pages[i].limit, pages[i].items, pages[i].total_pages,
					json_object_to_json_string(json_path_get(reply.body, "pagination")));
		hr_reply_free(&reply);
	}
	static const char *const refused[] = { "/departments?limit=0", "/departments?limit=101", "/departments?page=0",
										   "/departments?sortOrder=up", "/leave-requests?page=x" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		call_expect(ADMIN, "GET", refused[i], NULL, NULL, 400, "VALIDATION_ERROR");
}

static void sort_follows_the_whitelist_and_refuses_other_fields(void)
{
	create(ADMIN, "/departments", "{\"name\":\"Sorted B\",\"code\":\"SORTED\"}");
	create(ADMIN, "/departments", "{\"name\":\"Sorted C\",\"code\":\"SORTED\"}");
	create(ADMIN, "/departments", "{\"name\":\"Sorted A\",\"code\":\"SORTED\"}");
	static const struct {
		const char *query;
		const char *first, *last;
	} orders[] = {
		{ "/departments?code=SORTED&sortBy=name&sortOrder=asc", "Sorted A", "Sorted C" },
		{ "/departments?code=SORTED&sortBy=name&sortOrder=desc", "Sorted C", "Sorted A" },
		{ "/departments?code=SORTED&sortBy=created_at&sortOrder=asc", "Sorted B", "Sorted A" },
		{ "/departments?code=SORTED", "Sorted A", "Sorted B" }, /* newest first by default */
	};
	struct hr_reply reply;
	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
		if (!hr_call(ADMIN, "GET", orders[i].query, NULL, NULL, NULL, &reply))
			continue;
		expect(orders[i].query, &reply, 200, NULL);
		const char *first = item_count(&reply) == 3 ? json_path_string(item(&reply, 0), "name") : NULL;
		const char *last = item_count(&reply) == 3 ? json_path_string(item(&reply, 2), "name") : NULL;
		ITEST_CHECK(first && last && strcmp(first, orders[i].first) == 0 && strcmp(last, orders[i].last) == 0,
					"%s: %s first and %s last, got %s .. %s", orders[i].query, orders[i].first, orders[i].last,
					first ? first : "(none)", last ? last : "(none)");
		hr_reply_free(&reply);
	}
	static const char *const allowed[] = { "/employees?sortBy=lastName", "/employees?sortBy=hireDate&sortOrder=asc",
										   "/employees?sortBy=updated_at", "/leave-requests?sortBy=startDate",
										   "/leave-requests?sortBy=endDate", "/departments?sortBy=code" };
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		call_expect(MANAGER, "GET", allowed[i], NULL, NULL, 200, NULL);
	/* sensitive fields sort nothing: an order would reveal them */
	static const char *const refused[] = { "/employees?sortBy=salary", "/employees?sortBy=nationalId",
										   "/employees?sortBy=salary_minor", "/leave-requests?sortBy=status",
										   "/departments?sortBy=parent_department_id" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (!hr_call(MANAGER, "GET", refused[i], NULL, NULL, NULL, &reply))
			continue;
		expect(refused[i], &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(has_detail(&reply, "sortBy"), "%s: the detail names sortBy", refused[i]);
		hr_reply_free(&reply);
	}
}

static void filters_and_search_narrow_the_lists(void)
{
	int64_t department = create(MANAGER, "/departments", "{\"name\":\"Filtered\",\"code\":\"FILT\"}");
	char body[300], query[200];
	snprintf(body, sizeof body, "{\"firstName\":\"Fay\",\"lastName\":\"Quillfeather\",\"departmentId\":%lld,"
			 "\"employmentStatus\":\"terminated\",\"jobTitle\":\"Filter Clerk\"}", (long long)department);
	int64_t fay = create(MANAGER, "/employees", body);
	snprintf(body, sizeof body, "{\"firstName\":\"Gus\",\"lastName\":\"Quillfeather\",\"departmentId\":%lld}",
			 (long long)department);
	create(MANAGER, "/employees", body);
	snprintf(query, sizeof query, "/employees?departmentId=%lld", (long long)department);
	ITEST_CHECK(list_total(VIEWER, query) == 2, "departmentId filter: 2 employees");
	snprintf(query, sizeof query, "/employees?departmentId=%lld&employmentStatus=terminated", (long long)department);
	struct hr_reply reply;
	if (hr_call(VIEWER, "GET", query, NULL, NULL, NULL, &reply)) {
		int64_t found = 0;
		if (item_count(&reply) == 1)
			json_path_int64(item(&reply, 0), "id", &found);
		ITEST_CHECK(pagination_value(&reply, "total") == 1 && found == fay, "two filters together find Fay only: %s",
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	ITEST_CHECK(list_total(VIEWER, "/employees?q=Quillf") == 2, "q is a prefix search on the names");
	ITEST_CHECK(list_total(VIEWER, "/employees?q=uillf") == 0, "q matches prefixes only");
	ITEST_CHECK(list_total(VIEWER, "/employees?jobTitle=Filter%20Clerk") == 1, "jobTitle filter");
	ITEST_CHECK(list_total(VIEWER, "/departments?code=FILT") == 1, "code filter");
	static const char *const refused[] = { "/employees?employmentStatus=fired", "/employees?departmentId=abc",
										   "/leave-requests?status=maybe", "/leave-requests?leaveType=party",
										   "/employees?q=", "/employees?createdFrom=yesterday" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		call_expect(MANAGER, "GET", refused[i], NULL, NULL, 400, "VALIDATION_ERROR");
	/* LIKE's own characters in q match themselves, not anything */
	ITEST_CHECK(list_total(VIEWER, "/employees?q=50%25") == 0, "q=50%% matches nobody");
}

/* ---------------------------------------------------------------- sensitive fields */

static const char *const sensitive_fields[] = { "salary", "salaryCurrency", "nationalId" };

static bool record_has_sensitive(json_object *record, bool *all)
{
	bool any = false;
	*all = true;
	for (size_t i = 0; i < 3; i++) {
		bool present = json_object_object_get_ex(record, sensitive_fields[i], NULL);
		any |= present;
		*all &= present;
	}
	return any;
}

static void salary_and_national_id_are_shown_to_hr_manage_only(void)
{
	int64_t id = create(MANAGER, "/employees",
						"{\"firstName\":\"Sal\",\"lastName\":\"Secretson\",\"salary\":9900000,\"salaryCurrency\":\"GBP\","
						"\"nationalId\":\"QQ123456C\"}");
	if (!ITEST_CHECK(id > 0, "employee with a salary created"))
		return;
	char path[64];
	snprintf(path, sizeof path, "/employees/%lld", (long long)id);
	static const enum hr_actor readers[] = { MANAGER, ADMIN, ALICE, VIEWER };
	for (size_t r = 0; r < sizeof readers / sizeof readers[0]; r++) {
		bool manages = readers[r] == MANAGER || readers[r] == ADMIN;
		struct hr_reply reply;
		bool all = false;
		if (hr_call(readers[r], "GET", path, NULL, NULL, NULL, &reply) && expect("GET employee", &reply, 200, NULL)) {
			json_object *record = json_path_get(reply.body, "data");
			bool any = record_has_sensitive(record, &all);
			ITEST_CHECK(manages ? all : !any, "GET as %s: sensitive keys %s: %s", actors[readers[r]].local_part,
						manages ? "all present" : "all absent", json_object_to_json_string(record));
			if (manages)
				ITEST_CHECK(data_int(&reply, "salary") == 9900000 &&
								strcmp(data_string(&reply, "nationalId"), "QQ123456C") == 0,
							"values shown as stored");
			ITEST_CHECK(strstr(json_object_to_json_string(reply.body), "QQ123456C") == NULL || manages,
						"the national id appears nowhere in the answer to %s", actors[readers[r]].local_part);
		}
		hr_reply_free(&reply);
		if (hr_call(readers[r], "GET", "/employees?q=Secretson", NULL, NULL, NULL, &reply) &&
			expect("list employees", &reply, 200, NULL)) {
			ITEST_CHECK(item_count(&reply) == 1, "the list finds the employee");
			for (size_t i = 0; i < item_count(&reply); i++) {
				bool any = record_has_sensitive(item(&reply, i), &all);
				ITEST_CHECK(manages ? all : !any, "list as %s: sensitive keys %s", actors[readers[r]].local_part,
							manages ? "all present" : "all absent");
			}
		}
		hr_reply_free(&reply);
	}
	/* nor can a filter probe them: there is no salary filter, and asking for one is refused */
	call_expect(VIEWER, "GET", "/employees?salary=1", NULL, NULL, 400, "VALIDATION_ERROR");
	ITEST_CHECK(list_total(VIEWER, "/employees?q=QQ123") == 0, "q does not search the national id");
}

static void viewers_and_users_cannot_write_departments_or_employees(void)
{
	int64_t department = create(MANAGER, "/departments", "{\"name\":\"Guarded\"}");
	char department_path[64], employee_path[64];
	snprintf(department_path, sizeof department_path, "/departments/%lld", (long long)department);
	snprintf(employee_path, sizeof employee_path, "/employees/%lld", (long long)alice_employee);
	static const enum hr_actor readers[] = { VIEWER, ALICE };
	for (size_t r = 0; r < 2; r++) {
		enum hr_actor actor = readers[r];
		struct hr_reply reply;
		if (hr_call(actor, "POST", "/departments", "{\"name\":\"Nope\"}", NULL, NULL, &reply)) {
			expect("POST department without hr.manage", &reply, 403, "FORBIDDEN");
			ITEST_CHECK(has_detail(&reply, "permission"), "the refusal names the permission");
			hr_reply_free(&reply);
		}
		call_expect(actor, "PATCH", department_path, "{\"name\":\"Nope\"}", NULL, 403, "FORBIDDEN");
		call_expect(actor, "DELETE", department_path, NULL, NULL, 403, "FORBIDDEN");
		call_expect(actor, "POST", "/employees", "{\"firstName\":\"N\",\"lastName\":\"O\"}", NULL, 403, "FORBIDDEN");
		/* not even one's own record: salary is HR's to set */
		call_expect(actor, "PATCH", employee_path, "{\"salary\":1,\"salaryCurrency\":\"EUR\"}", NULL, 403, "FORBIDDEN");
		call_expect(actor, "DELETE", employee_path, NULL, NULL, 403, "FORBIDDEN");
		call_expect(actor, "GET", department_path, NULL, NULL, 200, NULL);
		call_expect(actor, "GET", employee_path, NULL, NULL, 200, NULL);
	}
	call_expect(MANAGER, "GET", department_path, NULL, NULL, 200, NULL);
}

/* ---------------------------------------------------------------- leave */

static void employee_files_own_leave_and_an_overlapping_approval_is_422(void)
{
	struct hr_reply reply;
	if (!hr_call(ALICE, "POST", "/leave-requests",
				 "{\"leaveType\":\"annual\",\"startDate\":\"2027-03-01\",\"endDate\":\"2027-03-07\",\"reason\":\"Alps\"}",
				 NULL, NULL, &reply))
		return;
	expect("file own leave", &reply, 201, NULL);
	int64_t first = data_int(&reply, "id");
	ITEST_CHECK(data_int(&reply, "employeeId") == alice_employee && strcmp(data_string(&reply, "status"), "pending") == 0 &&
					data_int(&reply, "days") == 7 && data_int(&reply, "workingDays") == 5 &&
					data_int(&reply, "createdBy") == user_ids[ALICE],
				"the employee comes from the caller's link; 7 days, 5 working: %s",
				json_object_to_json_string(reply.body));
	hr_reply_free(&reply);
	if (!hr_call(MANAGER, "POST", "/leave-requests/0/approve", NULL, NULL, NULL, &reply))
		return;
	expect("approve id 0", &reply, 404, "NOT_FOUND");
	hr_reply_free(&reply);
	char path[96];
	snprintf(path, sizeof path, "/leave-requests/%lld/approve", (long long)first);
	if (hr_call(MANAGER, "POST", path, "{\"decisionNote\":\"Enjoy\"}", NULL, NULL, &reply)) {
		expect("approve", &reply, 200, NULL);
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "approved") == 0 &&
						data_int(&reply, "decidedBy") == user_ids[MANAGER] &&
						strcmp(data_string(&reply, "decisionNote"), "Enjoy") == 0 &&
						strlen(data_string(&reply, "decidedAt")) == 27,
					"approved, by the manager, with the note and a timestamp: %s",
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	/* shares the 7th */
	int64_t second = file_leave(ALICE, "unpaid", "2027-03-07", "2027-03-09");
	if (!ITEST_CHECK(second > 0, "an overlapping request can be filed"))
		return;
	if (leave_action(MANAGER, second, "approve", &reply) != 0) {
		expect("approve overlapping leave", &reply, 422, "UNPROCESSABLE");
		ITEST_CHECK(has_detail(&reply, "startDate"), "the refusal names the dates");
		hr_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/leave-requests/%lld", (long long)second);
	if (hr_call(ALICE, "GET", path, NULL, NULL, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(data_string(&reply, "status"), "pending") == 0,
					"the refused approval changed nothing: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	ITEST_CHECK(leave_action_status(MANAGER, second, "reject") == 200, "the overlapping request can be rejected");
	ITEST_CHECK(leave_action_status(MANAGER, second, "approve") == 409, "a rejected request cannot be approved");
	ITEST_CHECK(leave_action_status(MANAGER, first, "approve") == 409, "an approved request cannot be approved again");
	ITEST_CHECK(leave_action_status(MANAGER, first, "reject") == 409, "nor rejected afterwards");
	ITEST_CHECK(leave_action_status(ALICE, first, "cancel") == 409, "nor cancelled once approved");
	ITEST_CHECK(leave_action_status(ALICE, second, "approve") == 403, "an employee cannot approve");
	/* the decisions are in the audit log */
	struct api_reply audit;
	if (api_call("GET", "/api/v1/audit?action=hr.leave.approve&limit=100", NULL, tokens[ADMIN], NULL, &audit)) {
		char target[24];
		snprintf(target, sizeof target, "%lld", (long long)first);
		bool found = false;
		json_object *items = json_path_get(audit.body, "data");
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			const char *id = json_path_string(json_object_array_get_idx(items, i), "targetId");
			int64_t actor = 0;
			json_path_int64(json_object_array_get_idx(items, i), "actorUserId", &actor);
			found |= id && strcmp(id, target) == 0 && actor == user_ids[MANAGER];
		}
		ITEST_CHECK(audit.status == 200 && found, "audit has hr.leave.approve for request %s by the manager", target);
		api_reply_free(&audit);
	}
	if (api_call("GET", "/api/v1/audit?action=hr.leave.reject&limit=100", NULL, tokens[ADMIN], NULL, &audit)) {
		ITEST_CHECK(audit.status == 200 && json_path_get(audit.body, "data") &&
						json_object_array_length(json_path_get(audit.body, "data")) >= 1,
					"audit has hr.leave.reject");
		api_reply_free(&audit);
	}
}

static void touching_ranges_can_both_be_approved(void)
{
	int64_t first = file_leave(ALICE, "annual", "2027-04-01", "2027-04-10");
	int64_t second = file_leave(ALICE, "annual", "2027-04-11", "2027-04-20");
	int64_t before = file_leave(ALICE, "sick", "2027-03-31", "2027-03-31");
	if (!ITEST_CHECK(first > 0 && second > 0 && before > 0, "three requests filed"))
		return;
	ITEST_CHECK(leave_action_status(MANAGER, second, "approve") == 200, "11th to 20th approved");
	ITEST_CHECK(leave_action_status(MANAGER, first, "approve") == 200, "1st to 10th, ending the day before, approved");
	ITEST_CHECK(leave_action_status(MANAGER, before, "approve") == 200, "the single day before them approved");
	/* a single day inside either is not */
	int64_t inside = file_leave(ALICE, "sick", "2027-04-10", "2027-04-10");
	ITEST_CHECK(leave_action_status(MANAGER, inside, "approve") == 422, "the 10th is taken");
	/* another employee's leave is no conflict */
	int64_t bobs = file_leave(BOB, "annual", "2027-04-05", "2027-04-06");
	ITEST_CHECK(leave_action_status(MANAGER, bobs, "approve") == 200, "the same days for another employee are fine");
}

static void leave_needs_an_employee_record_and_valid_dates(void)
{
	struct hr_reply reply;
	static const char body[] = "{\"leaveType\":\"annual\",\"startDate\":\"2027-05-01\",\"endDate\":\"2027-05-02\"}";
	static const enum hr_actor unlinked[] = { CAROL, VIEWER, MANAGER };
	for (size_t i = 0; i < 3; i++) {
		if (!hr_call(unlinked[i], "POST", "/leave-requests", body, NULL, NULL, &reply))
			continue;
		expect("file leave without an employee record", &reply, 422, "UNPROCESSABLE");
		ITEST_CHECK(has_detail(&reply, "employeeId"), "the refusal names employeeId");
		hr_reply_free(&reply);
	}
	if (hr_call(CAROL, "GET", "/leave-requests", NULL, NULL, NULL, &reply)) {
		expect("list without an employee record", &reply, 200, NULL);
		ITEST_CHECK(item_count(&reply) == 0 && pagination_value(&reply, "total") == 0, "an empty list");
		hr_reply_free(&reply);
	}
	if (hr_call(ALICE, "POST", "/leave-requests",
				"{\"leaveType\":\"holiday\",\"startDate\":\"2027-02-30\",\"reason\":7,\"employee\":1}", NULL, NULL,
				&reply)) {
		expect("bad leave body", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(detail_count(&reply) == 5 && has_detail(&reply, "leaveType") && has_detail(&reply, "startDate") &&
						has_detail(&reply, "endDate") && has_detail(&reply, "reason") && has_detail(&reply, "employee"),
					"one detail per problem: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	call_expect(ALICE, "POST", "/leave-requests",
				"{\"leaveType\":\"annual\",\"startDate\":\"2027-05-02\",\"endDate\":\"2027-05-01\"}", NULL, 400,
				"VALIDATION_ERROR");
	call_expect(ALICE, "POST", "/leave-requests",
				"{\"leaveType\":\"unpaid\",\"startDate\":\"2027-01-01\",\"endDate\":\"2028-01-02\"}", NULL, 400,
				"VALIDATION_ERROR");
	call_expect(ALICE, "POST", "/leave-requests", NULL, NULL, 400, "VALIDATION_ERROR");
	/* a terminated employee files nothing */
	char path[64];
	snprintf(path, sizeof path, "/employees/%lld", (long long)bob_employee);
	if (call_expect(MANAGER, "PATCH", path, "{\"employmentStatus\":\"terminated\"}", NULL, 200, NULL)) {
		call_expect(BOB, "POST", "/leave-requests", body, NULL, 422, "UNPROCESSABLE");
		call_expect(MANAGER, "PATCH", path, "{\"employmentStatus\":\"active\"}", NULL, 200, NULL);
	}
}

static bool all_items_belong_to(const struct hr_reply *reply, int64_t employee)
{
	for (size_t i = 0; i < item_count(reply); i++) {
		int64_t owner = 0;
		json_path_int64(item(reply, i), "employeeId", &owner);
		if (owner != employee)
			return false;
	}
	return true;
}

static void users_see_only_their_own_leave_and_managers_see_all(void)
{
	int64_t bobs = file_leave(BOB, "other", "2027-06-01", "2027-06-02");
	int64_t alices = file_leave(ALICE, "other", "2027-06-01", "2027-06-02");
	if (!ITEST_CHECK(bobs > 0 && alices > 0, "both filed"))
		return;
	struct hr_reply reply;
	if (hr_call(ALICE, "GET", "/leave-requests?limit=100", NULL, NULL, NULL, &reply)) {
		expect("own list", &reply, 200, NULL);
		ITEST_CHECK(item_count(&reply) >= 1 && all_items_belong_to(&reply, alice_employee) &&
						pagination_value(&reply, "total") == (int64_t)item_count(&reply),
					"Alice's list holds only her requests, and its total counts only them");
		hr_reply_free(&reply);
	}
	char query[128], path[96];
	snprintf(query, sizeof query, "/leave-requests?employeeId=%lld", (long long)bob_employee);
	ITEST_CHECK(list_total(ALICE, query) == 0, "asking for Bob's requests shows Alice nothing");
	ITEST_CHECK(list_total(MANAGER, query) >= 1, "the manager filters by any employee");
	snprintf(query, sizeof query, "/leave-requests?employeeId=%lld&status=pending", (long long)alice_employee);
	ITEST_CHECK(list_total(ALICE, query) >= 1, "Alice may name herself");
	if (hr_call(MANAGER, "GET", "/leave-requests?limit=100", NULL, NULL, NULL, &reply)) {
		bool saw_bob = false, saw_alice = false;
		for (size_t i = 0; i < item_count(&reply); i++) {
			int64_t id = 0;
			json_path_int64(item(&reply, i), "id", &id);
			saw_bob |= id == bobs;
			saw_alice |= id == alices;
		}
		ITEST_CHECK(saw_bob && saw_alice, "the manager's list holds both");
		hr_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/leave-requests/%lld", (long long)bobs);
	call_expect(ALICE, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(VIEWER, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(BOB, "GET", path, NULL, NULL, 200, NULL);
	call_expect(MANAGER, "GET", path, NULL, NULL, 200, NULL);
	ITEST_CHECK(leave_action_status(ALICE, bobs, "cancel") == 404, "Alice cannot cancel Bob's request");
	ITEST_CHECK(leave_action_status(ALICE, bobs, "reject") == 403, "nor reject it");
	call_expect(ALICE, "DELETE", path, NULL, NULL, 403, "FORBIDDEN");
	/* only hr.manage files for someone else */
	char body[200];
	snprintf(body, sizeof body, "{\"employeeId\":%lld,\"leaveType\":\"sick\",\"startDate\":\"2027-06-10\","
			 "\"endDate\":\"2027-06-10\"}", (long long)bob_employee);
	if (hr_call(ALICE, "POST", "/leave-requests", body, NULL, NULL, &reply)) {
		expect("file for another employee without hr.manage", &reply, 403, "FORBIDDEN");
		ITEST_CHECK(has_detail(&reply, "employeeId"), "names employeeId");
		hr_reply_free(&reply);
	}
	if (hr_call(MANAGER, "POST", "/leave-requests", body, NULL, NULL, &reply)) {
		expect("manager files for Bob", &reply, 201, NULL);
		ITEST_CHECK(data_int(&reply, "employeeId") == bob_employee && data_int(&reply, "createdBy") == user_ids[MANAGER],
					"for Bob, created by the manager");
		hr_reply_free(&reply);
	}
	snprintf(body, sizeof body, "{\"employeeId\":999999999,\"leaveType\":\"sick\",\"startDate\":\"2027-06-10\","
			 "\"endDate\":\"2027-06-10\"}");
	call_expect(MANAGER, "POST", "/leave-requests", body, NULL, 422, "UNPROCESSABLE");
}

static void the_owner_cancels_pending_leave_and_nobody_else_does(void)
{
	int64_t bobs = file_leave(BOB, "annual", "2027-07-01", "2027-07-03");
	if (!ITEST_CHECK(bobs > 0, "filed"))
		return;
	struct hr_reply reply;
	if (leave_action(MANAGER, bobs, "cancel", &reply) != 0) {
		expect("manager cancels someone else's leave", &reply, 403, "FORBIDDEN");
		hr_reply_free(&reply);
	}
	if (leave_action(BOB, bobs, "cancel", &reply) != 0) {
		expect("owner cancels", &reply, 200, NULL);
		ITEST_CHECK(strcmp(data_string(&reply, "status"), "cancelled") == 0, "cancelled");
		hr_reply_free(&reply);
	}
	ITEST_CHECK(leave_action_status(BOB, bobs, "cancel") == 409, "cancelling twice is 409");
	ITEST_CHECK(leave_action_status(MANAGER, bobs, "approve") == 409, "a cancelled request cannot be approved");
	char path[96];
	snprintf(path, sizeof path, "/leave-requests/%lld/cancel", (long long)bobs);
	call_expect(BOB, "POST", path, "{\"why\":\"x\"}", NULL, 400, "VALIDATION_ERROR");
	snprintf(path, sizeof path, "/leave-requests/%lld/approve", (long long)bobs);
	call_expect(MANAGER, "POST", path, "{\"decisionNote\":5}", NULL, 400, "VALIDATION_ERROR");
}

/* Two managers approve two overlapping requests of one employee at the same
 * moment: the employee's row lock lets exactly one win. */
static void concurrent_overlapping_approvals_cannot_both_win(void)
{
	static const char *const starts[] = { "2027-08-03", "2027-08-13", "2027-08-23" };
	static const char *const ends[] = { "2027-08-06", "2027-08-16", "2027-08-26" };
	for (int round = 0; round < 3; round++) {
		int64_t a = file_leave(BOB, "annual", starts[round], ends[round]);
		int64_t b = file_leave(BOB, "unpaid", starts[round], ends[round]);
		if (!ITEST_CHECK(a > 0 && b > 0, "round %d: two overlapping requests filed", round))
			return;
		pid_t children[2];
		for (int c = 0; c < 2; c++) {
			fflush(NULL);
			children[c] = fork();
			if (children[c] == 0) {
				long status = leave_action_status(c == 0 ? MANAGER : ADMIN, c == 0 ? a : b, "approve");
				_exit(status == 200 ? 0 : status == 422 ? 1 : 2);
			}
		}
		int outcomes[3] = { 0, 0, 0 };
		for (int c = 0; c < 2; c++) {
			int status = 0;
			if (children[c] > 0 && waitpid(children[c], &status, 0) == children[c] && WIFEXITED(status) &&
				WEXITSTATUS(status) <= 2)
				outcomes[WEXITSTATUS(status)]++;
			else
				outcomes[2]++;
		}
		ITEST_CHECK(outcomes[0] == 1 && outcomes[1] == 1,
					"round %d: one approval wins (200) and the other is refused (422): %d won, %d refused, %d other",
					round, outcomes[0], outcomes[1], outcomes[2]);
	}
}

/* ---------------------------------------------------------------- isolation and concurrency */

static void another_tenants_records_are_not_found_by_id(void)
{
	int64_t department = create(MANAGER, "/departments", "{\"name\":\"Private\"}");
	int64_t leave = file_leave(ALICE, "annual", "2027-09-01", "2027-09-01");
	if (!ITEST_CHECK(department > 0 && leave > 0, "tenant A records exist"))
		return;
	char department_path[64], employee_path[64], leave_path[64], action[96];
	snprintf(department_path, sizeof department_path, "/departments/%lld", (long long)department);
	snprintf(employee_path, sizeof employee_path, "/employees/%lld", (long long)alice_employee);
	snprintf(leave_path, sizeof leave_path, "/leave-requests/%lld", (long long)leave);
	const char *paths[] = { department_path, employee_path, leave_path };
	for (size_t i = 0; i < 3; i++) {
		call_expect(ADMIN_B, "GET", paths[i], NULL, NULL, 404, "NOT_FOUND");
		call_expect(ADMIN_B, "DELETE", paths[i], NULL, NULL, 404, "NOT_FOUND");
	}
	/* bodies valid for each resource, so the answer is about the id alone */
	call_expect(ADMIN_B, "PATCH", department_path, "{\"name\":\"Mine\"}", NULL, 404, "NOT_FOUND");
	call_expect(ADMIN_B, "PATCH", employee_path, "{\"firstName\":\"Mine\"}", NULL, 404, "NOT_FOUND");
	call_expect(ADMIN_B, "PATCH", employee_path, "{\"firstName\":\"Mine\"}", "\"1\"", 404, "NOT_FOUND");
	static const char *const actions[] = { "approve", "reject", "cancel" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(action, sizeof action, "%s/%s", leave_path, actions[i]);
		call_expect(ADMIN_B, "POST", action, NULL, NULL, 404, "NOT_FOUND");
	}
	/* a reference into tenant A is no reference in tenant B */
	char body[120];
	snprintf(body, sizeof body, "{\"name\":\"Sub\",\"parentDepartmentId\":%lld}", (long long)department);
	call_expect(ADMIN_B, "POST", "/departments", body, NULL, 422, "UNPROCESSABLE");
	snprintf(body, sizeof body, "{\"employeeId\":%lld,\"leaveType\":\"sick\",\"startDate\":\"2027-09-02\","
			 "\"endDate\":\"2027-09-02\"}", (long long)alice_employee);
	call_expect(ADMIN_B, "POST", "/leave-requests", body, NULL, 422, "UNPROCESSABLE");
	/* and everything is still there, unchanged, for tenant A */
	struct hr_reply reply;
	if (hr_call(MANAGER, "GET", department_path, NULL, NULL, NULL, &reply)) {
		expect("department after tenant B's attempts", &reply, 200, NULL);
		ITEST_CHECK(strcmp(data_string(&reply, "name"), "Private") == 0 && data_int(&reply, "version") == 1,
					"unchanged");
		hr_reply_free(&reply);
	}
	if (hr_call(MANAGER, "GET", leave_path, NULL, NULL, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(data_string(&reply, "status"), "pending") == 0, "leave still pending");
		hr_reply_free(&reply);
	}
	ITEST_CHECK(list_total(ADMIN_B, "/employees") == 0, "tenant B lists no employees of tenant A");
}

static void stale_if_match_is_409_and_a_malformed_one_400(void)
{
	int64_t id = create(MANAGER, "/departments", "{\"name\":\"Versioned\"}");
	char path[64];
	snprintf(path, sizeof path, "/departments/%lld", (long long)id);
	call_expect(MANAGER, "PATCH", path, "{\"code\":\"V2\"}", "\"1\"", 200, NULL);
	call_expect(MANAGER, "PATCH", path, "{\"code\":\"V3\"}", "\"1\"", 409, "CONFLICT");
	call_expect(MANAGER, "DELETE", path, NULL, "\"1\"", 409, "CONFLICT");
	call_expect(MANAGER, "PATCH", path, "{\"code\":\"V3\"}", "version-two", 400, "VALIDATION_ERROR");
	call_expect(MANAGER, "PATCH", path, "{\"code\":\"V3\"}", "\"2\"", 200, NULL);
	snprintf(path, sizeof path, "/employees/%lld", (long long)alice_employee);
	struct hr_reply reply;
	if (hr_call(MANAGER, "GET", path, NULL, NULL, NULL, &reply)) {
		char stale[32];
		snprintf(stale, sizeof stale, "%s", reply.etag);
		hr_reply_free(&reply);
		call_expect(MANAGER, "PATCH", path, "{\"jobTitle\":\"Analyst\"}", stale, 200, NULL);
		call_expect(MANAGER, "PATCH", path, "{\"jobTitle\":\"Chief\"}", stale, 409, "CONFLICT");
	}
	int64_t leave = file_leave(ALICE, "other", "2027-10-01", "2027-10-01");
	char action[96];
	snprintf(action, sizeof action, "/leave-requests/%lld/approve", (long long)leave);
	call_expect(MANAGER, "POST", action, NULL, "\"7\"", 409, "CONFLICT");
	call_expect(MANAGER, "POST", action, NULL, "nonsense", 400, "VALIDATION_ERROR");
	call_expect(MANAGER, "POST", action, NULL, "\"1\"", 200, NULL);
}

static void a_retried_create_with_the_same_idempotency_key_returns_the_same_record(void)
{
	char key[96];
	snprintf(key, sizeof key, "hr-%s-department", tenant_a);
	struct hr_reply first, again;
	static const char body[] = "{\"name\":\"Once Only\",\"code\":\"ONCE\"}";
	if (!hr_call(MANAGER, "POST", "/departments", body, NULL, key, &first))
		return;
	expect("first create", &first, 201, NULL);
	if (hr_call(MANAGER, "POST", "/departments", body, NULL, key, &again)) {
		expect("retried create", &again, 201, NULL);
		ITEST_CHECK(data_int(&first, "id") > 0 && data_int(&first, "id") == data_int(&again, "id") &&
						strcmp(again.replayed, "true") == 0,
					"same record (%lld, %lld), replayed \"%s\"", (long long)data_int(&first, "id"),
					(long long)data_int(&again, "id"), again.replayed);
		hr_reply_free(&again);
	}
	hr_reply_free(&first);
	ITEST_CHECK(list_total(MANAGER, "/departments?code=ONCE") == 1, "one department, not two");
	call_expect(MANAGER, "POST", "/departments", "{\"name\":\"Something else\"}", NULL, 201, NULL);
	if (hr_call(MANAGER, "POST", "/departments", "{\"name\":\"Something else\"}", NULL, key, &again)) {
		expect("same key, other body", &again, 422, "UNPROCESSABLE");
		hr_reply_free(&again);
	}

	/* the custom creates keep the same promise */
	snprintf(key, sizeof key, "hr-%s-employee", tenant_a);
	static const char employee[] = "{\"firstName\":\"Ida\",\"lastName\":\"Empotent\",\"salary\":1,\"salaryCurrency\":\"EUR\"}";
	if (hr_call(MANAGER, "POST", "/employees", employee, NULL, key, &first) &&
		hr_call(MANAGER, "POST", "/employees", employee, NULL, key, &again)) {
		ITEST_CHECK(first.status == 201 && again.status == 201 && data_int(&first, "id") == data_int(&again, "id") &&
						strcmp(again.replayed, "true") == 0,
					"employee created once: %ld %ld, ids %lld %lld", first.status, again.status,
					(long long)data_int(&first, "id"), (long long)data_int(&again, "id"));
	}
	hr_reply_free(&first);
	hr_reply_free(&again);
	ITEST_CHECK(list_total(MANAGER, "/employees?q=Empotent") == 1, "one employee, not two");

	snprintf(key, sizeof key, "hr-%s-leave", tenant_a);
	static const char leave[] = "{\"leaveType\":\"annual\",\"startDate\":\"2027-11-01\",\"endDate\":\"2027-11-02\"}";
	if (hr_call(ALICE, "POST", "/leave-requests", leave, NULL, key, &first) &&
		hr_call(ALICE, "POST", "/leave-requests", leave, NULL, key, &again)) {
		ITEST_CHECK(first.status == 201 && again.status == 201 && data_int(&first, "id") == data_int(&again, "id") &&
						strcmp(again.replayed, "true") == 0,
					"leave request created once: %ld %ld, ids %lld %lld", first.status, again.status,
					(long long)data_int(&first, "id"), (long long)data_int(&again, "id"));
	}
	hr_reply_free(&first);
	hr_reply_free(&again);
	char query[128];
	snprintf(query, sizeof query, "/leave-requests?employeeId=%lld&createdFrom=2000-01-01", (long long)alice_employee);
	int64_t before_total = list_total(ALICE, query);
	if (hr_call(ALICE, "POST", "/leave-requests", leave, NULL, key, &again))
		hr_reply_free(&again);
	ITEST_CHECK(list_total(ALICE, query) == before_total, "a third retry adds nothing either");
}

static void salary_changes_are_audited_without_the_amounts(void)
{
	int64_t id = create(MANAGER, "/employees", "{\"firstName\":\"Aud\",\"lastName\":\"Ited\"}");
	char path[64];
	snprintf(path, sizeof path, "/employees/%lld", (long long)id);
	call_expect(MANAGER, "PATCH", path, "{\"salary\":7654321,\"salaryCurrency\":\"CHF\"}", NULL, 200, NULL);
	call_expect(MANAGER, "PATCH", path, "{\"salary\":7654321}", NULL, 200, NULL); /* no change: no entry */
	call_expect(MANAGER, "PATCH", path, "{\"jobTitle\":\"Auditor\"}", NULL, 200, NULL);
	call_expect(MANAGER, "PATCH", path, "{\"salary\":7654999}", NULL, 200, NULL);
	struct api_reply audit;
	if (!api_call("GET", "/api/v1/audit?action=hr.employee.salary_change&limit=100", NULL, tokens[ADMIN], NULL, &audit))
		return;
	char target[24];
	snprintf(target, sizeof target, "%lld", (long long)id);
	int entries = 0;
	bool leaks = false;
	json_object *items = json_path_get(audit.body, "data");
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *entry = json_object_array_get_idx(items, i);
		const char *entry_target = json_path_string(entry, "targetId");
		const char *details = json_path_string(entry, "details");
		if (entry_target == NULL || strcmp(entry_target, target) != 0)
			continue;
		entries++;
		leaks |= details != NULL && (strstr(details, "7654") != NULL || strstr(details, "CHF") != NULL);
	}
	ITEST_CHECK(audit.status == 200 && entries == 2, "two salary changes audited for employee %s, got %d", target,
				entries);
	ITEST_CHECK(!leaks, "the audit details name fields, never amounts");
	api_reply_free(&audit);
}

/* ---------------------------------------------------------------- lost connections */

enum {
	LOST_WRITE_DEADLINE_MS = 5000,
	LOST_WRITE_LOCK_HOLD_S = 30,
};

struct lost_write_request {
	char path[96];
	const char *method;
	const char *body;
	struct http_response response;
	bool answered;
	char error_text[256];
};

/* Runs in its own thread: no CUnit calls here. */
static void *lost_write_request_main(void *context)
{
	struct lost_write_request *in_flight = context;
	char authorization[TOKEN_MAX + 32], url[160];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", tokens[MANAGER]);
	const char *headers[] = { authorization, NULL };
	snprintf(url, sizeof url, "/api/v1/hr%s", in_flight->path);
	struct http_request request = {
		.method = in_flight->method,
		.path_and_query = url,
		.content_type = in_flight->body ? "application/json" : NULL,
		.body = in_flight->body,
		.body_length = in_flight->body ? strlen(in_flight->body) : 0,
		.extra_headers = headers,
	};
	in_flight->answered = http_client_send(&request, &in_flight->response, in_flight->error_text,
										   sizeof in_flight->error_text);
	return NULL;
}

/*
 * Sends method path body while another session holds the department's row,
 * waits until the worker's statement waits on it, kills the worker's database
 * connection, then lets the row go. The answer is in *in_flight (answered
 * false when the test could not get that far, with a recorded failure).
 */
static void lose_connection_during(int64_t department, const char *method, const char *body,
								   const char *statement_prefix, struct lost_write_request *in_flight)
{
	char lock_sql[160], waiting_sql[320];
	snprintf(lock_sql, sizeof lock_sql,
			 "START TRANSACTION; SELECT department_id FROM hr_departments WHERE department_id = %lld FOR UPDATE",
			 (long long)department);
	snprintf(waiting_sql, sizeof waiting_sql,
			 "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE '%s%%'",
			 statement_prefix);
	snprintf(in_flight->path, sizeof in_flight->path, "/departments/%lld", (long long)department);
	in_flight->method = method;
	in_flight->body = body;
	pid_t holder = sql_session_hold(lock_sql, LOST_WRITE_LOCK_HOLD_S);
	if (!ITEST_CHECK(holder > 0, "cannot start INTUKA_TEST_DB_SQL_CMD to hold the department's row"))
		return;
	pthread_t thread;
	bool thread_started = false;
	if (!ITEST_CHECK(sql_wait_for_positive("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> "
										   "CONNECTION_ID() AND " SQL_SESSION_HOLDER_CONDITION,
										   LOST_WRITE_DEADLINE_MS),
					 "the row lock was not taken within %d ms", LOST_WRITE_DEADLINE_MS))
		goto release;
	thread_started = pthread_create(&thread, NULL, lost_write_request_main, in_flight) == 0;
	if (!ITEST_CHECK(thread_started, "cannot start the request thread"))
		goto release;
	if (!ITEST_CHECK(sql_wait_for_positive(waiting_sql, LOST_WRITE_DEADLINE_MS),
					 "no worker ran %s... within %d ms", statement_prefix, LOST_WRITE_DEADLINE_MS))
		goto release;
	long worker_session = sql_number(waiting_sql);
	char kill_sql[64], ignored[16];
	snprintf(kill_sql, sizeof kill_sql, "KILL CONNECTION %ld", worker_session);
	ITEST_CHECK(worker_session > 0 && stack_sql(kill_sql, ignored, sizeof ignored),
				"cannot kill the worker's database session %ld", worker_session);
release:
	sql_session_end(holder, LOST_WRITE_DEADLINE_MS);
	if (thread_started) {
		pthread_join(thread, NULL);
		ITEST_CHECK(in_flight->answered, "%s %s: %s", method, in_flight->path, in_flight->error_text);
	}
}

static const char *lost_write_message(const struct lost_write_request *in_flight, char *why, size_t why_size)
{
	json_object *body = json_parse_whole(in_flight->response.body, in_flight->response.body_length, why, why_size);
	const char *message = body ? json_path_string(body, "error.message") : NULL;
	snprintf(why, why_size, "%s", message ? message : "");
	if (body != NULL)
		json_object_put(body);
	return why;
}

/*
 * A department's PATCH is one statement on its own; a DELETE is a
 * transaction. When the worker's connection dies while the statement runs,
 * the PATCH's fate is unknown to intukad (the server may have applied it
 * before the answer was lost), so it is 503 saying so and is not run again;
 * the DELETE's transaction was rolled back with the connection, so it is a
 * plain 503. Either way the department is as it was, and the same request
 * then succeeds. On a Galera cluster (several database nodes) the DELETE's
 * handler runs again, on a fresh connection, since nothing of it had been
 * applied: it answers 200 and the department is deleted once.
 */
/* ---------------------------------------------------------------- workflows: self-approval, balances, edits */

/* The audit entries of action on target: 1 when one by actor has details
 * holding every one of the needles. */
static bool audit_has(const char *action, int64_t target, enum hr_actor actor, const char *const *needles,
					  size_t needle_count)
{
	char path[160], target_text[24];
	snprintf(path, sizeof path, "/api/v1/audit?action=%s&limit=100", action);
	snprintf(target_text, sizeof target_text, "%lld", (long long)target);
	struct api_reply audit;
	bool found = false;
	if (!api_call("GET", path, NULL, tokens[ADMIN], NULL, &audit))
		return false;
	json_object *items = json_path_get(audit.body, "data");
	for (size_t i = 0; items && i < json_object_array_length(items) && !found; i++) {
		json_object *entry = json_object_array_get_idx(items, i);
		const char *id = json_path_string(entry, "targetId");
		const char *details = json_path_string(entry, "details");
		int64_t who = 0;
		json_path_int64(entry, "actorUserId", &who);
		bool all = id && strcmp(id, target_text) == 0 && who == user_ids[actor] && details != NULL;
		for (size_t n = 0; all && n < needle_count; n++)
			all = strstr(details, needles[n]) != NULL;
		found = all;
	}
	api_reply_free(&audit);
	return found;
}

static void nobody_approves_or_rejects_their_own_leave(void)
{
	/* the manager becomes an employee too */
	char body[200];
	snprintf(body, sizeof body, "{\"firstName\":\"Mona\",\"lastName\":\"Manager\",\"userId\":%lld}",
			 (long long)user_ids[MANAGER]);
	int64_t mona = create(ADMIN, "/employees", body);
	int64_t own = file_leave(MANAGER, "annual", "2028-02-07", "2028-02-08");
	snprintf(body, sizeof body, "{\"employeeId\":%lld,\"leaveType\":\"sick\",\"startDate\":\"2028-02-14\","
			 "\"endDate\":\"2028-02-14\"}", (long long)mona);
	int64_t filed_as_manager = create(MANAGER, "/leave-requests", body);
	if (!ITEST_CHECK(mona > 0 && own > 0 && filed_as_manager > 0, "the manager's employee and two requests exist"))
		return;
	static const char *const decisions[] = { "approve", "reject" };
	const int64_t requests[] = { own, filed_as_manager };
	for (size_t r = 0; r < 2; r++) {
		for (size_t d = 0; d < 2; d++) {
			struct hr_reply reply;
			if (leave_action(MANAGER, requests[r], decisions[d], &reply) == 0)
				continue;
			expect("decide one's own leave", &reply, 403, "FORBIDDEN");
			ITEST_CHECK(has_detail(&reply, "employeeId") &&
							json_path_string(reply.body, "error.message") != NULL &&
							strstr(json_path_string(reply.body, "error.message"), "your own") != NULL,
						"the refusal says it is one's own: %s", json_object_to_json_string(reply.body));
			hr_reply_free(&reply);
		}
	}
	char path[96];
	snprintf(path, sizeof path, "/leave-requests/%lld", (long long)own);
	struct hr_reply reply;
	if (hr_call(MANAGER, "GET", path, NULL, NULL, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(data_string(&reply, "status"), "pending") == 0,
					"the refused decisions changed nothing");
		hr_reply_free(&reply);
	}
	/* another manager decides */
	ITEST_CHECK(leave_action_status(ADMIN, own, "approve") == 200, "the tenant admin approves the manager's leave");
	ITEST_CHECK(leave_action_status(ADMIN, filed_as_manager, "reject") == 200, "and rejects the other");
	static const char *const approved[] = { "\"before\":{\"status\":\"pending\"", "\"after\":{\"status\":\"approved\"" };
	ITEST_CHECK(audit_has("hr.leave.approve", own, ADMIN, approved, 2),
				"the approval is audited with the status before and after");
	/* deleting the employee frees the manager's user for the other tests */
	snprintf(path, sizeof path, "/employees/%lld", (long long)mona);
	call_expect(ADMIN, "DELETE", path, NULL, NULL, 200, NULL);
}

/* One entry of a balances answer: the value of field for leave_type, as
 * text ("1.5", "3", "null"); "" when missing. */
static const char *balance_of(const struct hr_reply *reply, const char *leave_type, const char *field, char *out,
							  size_t size)
{
	json_object *list = reply->body ? json_path_get(reply->body, "data.balances") : NULL;
	snprintf(out, size, "%s", "");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *entry = json_object_array_get_idx(list, i);
		const char *type = json_path_string(entry, "leaveType");
		json_object *value = NULL;
		if (type && strcmp(type, leave_type) == 0 && json_object_object_get_ex(entry, field, &value))
			snprintf(out, size, "%s", value ? json_object_to_json_string(value) : "null");
	}
	return out;
}

/* GET Bob's balances for 2029 as actor and compare annual's four numbers. */
static bool bob_annual_is(enum hr_actor actor, const char *allowance, const char *taken, const char *pending,
						  const char *remaining)
{
	char path[96], got[4][32];
	snprintf(path, sizeof path, "/employees/%lld/leave-balances?year=2029", (long long)bob_employee);
	struct hr_reply reply;
	if (!hr_call(actor, "GET", path, NULL, NULL, NULL, &reply))
		return false;
	bool ok = expect("GET balances", &reply, 200, NULL);
	balance_of(&reply, "annual", "allowance", got[0], sizeof got[0]);
	balance_of(&reply, "annual", "taken", got[1], sizeof got[1]);
	balance_of(&reply, "annual", "pending", got[2], sizeof got[2]);
	balance_of(&reply, "annual", "remaining", got[3], sizeof got[3]);
	ok = ITEST_CHECK(ok && strcmp(got[0], allowance) == 0 && strcmp(got[1], taken) == 0 &&
						 strcmp(got[2], pending) == 0 && strcmp(got[3], remaining) == 0 && data_int(&reply, "year") == 2029,
					 "annual 2029: allowance %s taken %s pending %s remaining %s, got %s", allowance, taken, pending,
					 remaining, json_object_to_json_string(reply.body));
	hr_reply_free(&reply);
	return ok;
}

static void leave_balances_count_half_days_and_refuse_what_exceeds_them(void)
{
	char allowances[96], balances[96];
	snprintf(allowances, sizeof allowances, "/employees/%lld/leave-allowances", (long long)bob_employee);
	snprintf(balances, sizeof balances, "/employees/%lld/leave-balances?year=2029", (long long)bob_employee);
	static const char three_days[] = "{\"year\":2029,\"leaveType\":\"annual\",\"days\":3}";
	/* only hr.manage sets allowances */
	call_expect(BOB, "PUT", allowances, three_days, NULL, 403, "FORBIDDEN");
	call_expect(VIEWER, "PUT", allowances, three_days, NULL, 403, "FORBIDDEN");
	struct hr_reply reply;
	if (hr_call(MANAGER, "PUT", allowances, "{\"year\":1800,\"leaveType\":\"holiday\",\"days\":-1}", NULL, NULL,
				&reply)) {
		expect("bad allowance", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(has_detail(&reply, "year") && has_detail(&reply, "leaveType") && has_detail(&reply, "days"),
					"every bad field is named: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	call_expect(MANAGER, "PUT", allowances, "{\"year\":2029,\"leaveType\":\"annual\"}", NULL, 400, "VALIDATION_ERROR");
	call_expect(MANAGER, "PUT", allowances, three_days, NULL, 200, NULL);
	ITEST_CHECK(bob_annual_is(BOB, "3", "0", "0", "3"), "a fresh allowance");
	/* sick leave has no allowance: not counted */
	if (hr_call(BOB, "GET", balances, NULL, NULL, NULL, &reply)) {
		char allowance[32], remaining[32];
		ITEST_CHECK(strcmp(balance_of(&reply, "sick", "allowance", allowance, sizeof allowance), "null") == 0 &&
						strcmp(balance_of(&reply, "sick", "remaining", remaining, sizeof remaining), "null") == 0,
					"a type without an allowance shows null: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	/* Monday 2029-01-01 and Tuesday 2029-01-02 until noon: 1.5 days */
	int64_t first = create(BOB, "/leave-requests",
						   "{\"leaveType\":\"annual\",\"startDate\":\"2029-01-01\",\"endDate\":\"2029-01-02\","
						   "\"endHalfDay\":true}");
	if (!ITEST_CHECK(first > 0, "a request with a half day is filed"))
		return;
	char path[96];
	snprintf(path, sizeof path, "/leave-requests/%lld", (long long)first);
	if (hr_call(BOB, "GET", path, NULL, NULL, NULL, &reply)) {
		json_object *end_half = json_path_get(reply.body, "data.endHalfDay");
		json_object *start_half = json_path_get(reply.body, "data.startHalfDay");
		ITEST_CHECK(data_int(&reply, "halfDays") == 3 && data_int(&reply, "workingDays") == 2 &&
						end_half && json_object_get_boolean(end_half) && start_half &&
						!json_object_get_boolean(start_half),
					"3 half days, the last one a half: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	ITEST_CHECK(bob_annual_is(BOB, "3", "0", "1.5", "1.5"), "pending leave counts against the balance");
	ITEST_CHECK(bob_annual_is(MANAGER, "3", "0", "1.5", "1.5"), "the manager sees the same");
	/* two more days do not fit in 1.5 */
	if (hr_call(BOB, "POST", "/leave-requests",
				"{\"leaveType\":\"annual\",\"startDate\":\"2029-01-08\",\"endDate\":\"2029-01-09\"}", NULL, NULL,
				&reply)) {
		expect("a request over the balance", &reply, 422, "UNPROCESSABLE");
		ITEST_CHECK(has_detail(&reply, "endDate"), "the refusal names endDate: %s",
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	/* other types are not counted against annual */
	int64_t unpaid = file_leave(BOB, "unpaid", "2029-01-08", "2029-01-09");
	ITEST_CHECK(unpaid > 0, "unpaid leave has no allowance and is filed");
	/* half a day does fit */
	int64_t half = create(BOB, "/leave-requests",
						  "{\"leaveType\":\"annual\",\"startDate\":\"2029-01-10\",\"endDate\":\"2029-01-10\","
						  "\"startHalfDay\":true}");
	ITEST_CHECK(half > 0, "half a day fits");
	ITEST_CHECK(bob_annual_is(BOB, "3", "0", "2", "1"), "two days pending");
	call_expect(BOB, "POST", "/leave-requests",
				"{\"leaveType\":\"sick\",\"startDate\":\"2029-01-11\",\"endDate\":\"2029-01-11\",\"startHalfDay\":true,"
				"\"endHalfDay\":true}", NULL, 400, "VALIDATION_ERROR");

	/* editing a pending request: counted again, itself left out */
	call_expect(BOB, "PATCH", path, "{\"endDate\":\"2029-01-03\",\"endHalfDay\":false}", NULL, 422, "UNPROCESSABLE");
	call_expect(BOB, "PATCH", path, "{\"status\":\"approved\"}", NULL, 400, "VALIDATION_ERROR");
	call_expect(BOB, "PATCH", path, "{\"endDate\":\"2028-12-31\"}", NULL, 400, "VALIDATION_ERROR");
	call_expect(ALICE, "PATCH", path, "{\"reason\":\"mine\"}", NULL, 404, "NOT_FOUND");
	call_expect(MANAGER, "PATCH", path, "{\"reason\":\"mine\"}", NULL, 403, "FORBIDDEN");
	call_expect(ADMIN_B, "PATCH", path, "{\"reason\":\"mine\"}", NULL, 404, "NOT_FOUND");
	call_expect(BOB, "PATCH", path, "{\"reason\":\"stale\"}", "\"9\"", 409, "CONFLICT");
	if (hr_call(BOB, "PATCH", path, "{\"endHalfDay\":false,\"reason\":\"Two full days\"}", "\"1\"", NULL, &reply)) {
		expect("edit own pending request", &reply, 200, NULL);
		ITEST_CHECK(data_int(&reply, "halfDays") == 4 && data_int(&reply, "version") == 2 &&
						strcmp(data_string(&reply, "status"), "pending") == 0 &&
						strcmp(data_string(&reply, "reason"), "Two full days") == 0 &&
						strcmp(data_string(&reply, "startDate"), "2029-01-01") == 0,
					"two full days, still pending, version 2: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	static const char *const edited[] = { "\"before\":{\"status\":\"pending\"", "\"endHalfDay\":true",
										  "\"after\":{\"status\":\"pending\"", "\"endHalfDay\":false" };
	ITEST_CHECK(audit_has("hr.leave.update", first, BOB, edited, 4), "the edit is audited with before and after");
	ITEST_CHECK(bob_annual_is(BOB, "3", "0", "2.5", "0.5"), "2.5 days pending");

	/* approval moves it to taken; decided requests are no longer edited */
	ITEST_CHECK(leave_action_status(MANAGER, first, "approve") == 200, "approved within the balance");
	ITEST_CHECK(bob_annual_is(BOB, "3", "2", "0.5", "0.5"), "2 taken, 0.5 pending");
	call_expect(BOB, "PATCH", path, "{\"reason\":\"later\"}", NULL, 409, "CONFLICT");

	/* an allowance lowered below what is booked: remaining goes negative and
	 * the pending half day can no longer be approved */
	call_expect(MANAGER, "PUT", allowances, "{\"year\":2029,\"leaveType\":\"annual\",\"days\":1}", NULL, 200, NULL);
	ITEST_CHECK(bob_annual_is(BOB, "1", "2", "0.5", "-1.5"), "remaining goes negative");
	if (leave_action(MANAGER, half, "approve", &reply) != 0) {
		expect("approve over a lowered allowance", &reply, 422, "UNPROCESSABLE");
		hr_reply_free(&reply);
	}
	static const char *const lowered[] = { "\"leaveType\":\"annual\"", "\"year\":2029", "\"before\":3",
										   "\"after\":1" };
	ITEST_CHECK(audit_has("hr.leave_allowance.set", bob_employee, MANAGER, lowered, 4),
				"the allowance change is audited with before and after");
	/* null removes the allowance: annual is no longer counted */
	call_expect(MANAGER, "PUT", allowances, "{\"year\":2029,\"leaveType\":\"annual\",\"days\":null}", NULL, 200, NULL);
	ITEST_CHECK(bob_annual_is(BOB, "null", "2", "0.5", "null"), "without an allowance");
	ITEST_CHECK(leave_action_status(MANAGER, half, "approve") == 200, "then the half day can be approved");

	/* only one's own balances; other tenants see nothing */
	snprintf(path, sizeof path, "/employees/%lld/leave-balances", (long long)bob_employee);
	call_expect(ALICE, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(CAROL, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(ADMIN_B, "GET", path, NULL, NULL, 404, "NOT_FOUND");
	call_expect(ADMIN_B, "PUT", allowances, three_days, NULL, 404, "NOT_FOUND");
	call_expect(BOB, "GET", path, NULL, NULL, 200, NULL);
	call_expect(BOB, "GET", "/employees/999999999/leave-balances", NULL, NULL, 404, "NOT_FOUND");
	call_expect(BOB, "GET", "/employees/1/leave-balances?year=1800", NULL, NULL, 400, "VALIDATION_ERROR");
	call_expect(BOB, "GET", "/employees/1/leave-balances?month=1", NULL, NULL, 400, "VALIDATION_ERROR");
}

static void a_write_cut_off_by_a_lost_connection_is_503_and_never_run_twice(void)
{
	int64_t department = create(MANAGER, "/departments", "{\"name\":\"Night shift\",\"code\":\"NIGHT\"}");
	if (!ITEST_CHECK(department > 0, "department created"))
		return;
	char path[64], message[512];
	snprintf(path, sizeof path, "/departments/%lld", (long long)department);

	struct lost_write_request patch = { 0 };
	lose_connection_during(department, "PATCH", "{\"name\":\"Day shift\"}", "UPDATE hr_departments SET version",
						   &patch);
	if (patch.answered) {
		const char *retry_after = http_response_header(&patch.response, "Retry-After");
		ITEST_CHECK(patch.response.status == 503 && retry_after != NULL &&
						strstr(lost_write_message(&patch, message, sizeof message), "may or may not") != NULL,
					"PATCH cut off: 503 with Retry-After saying it may or may not have been made, got %ld: %s",
					patch.response.status, patch.response.body);
	}
	http_response_free(&patch.response);
	struct hr_reply reply;
	if (hr_call(MANAGER, "GET", path, NULL, NULL, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && strcmp(data_string(&reply, "name"), "Night shift") == 0 &&
						data_int(&reply, "version") == 1,
					"the killed PATCH left the department as it was: %s", json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}

	struct lost_write_request removal = { 0 };
	lose_connection_during(department, "DELETE", NULL, "UPDATE hr_departments SET deleted_at", &removal);
	bool run_again = test_environment.db_nodes > 1;
	if (removal.answered && run_again) {
		ITEST_CHECK(removal.response.status == 200,
					"DELETE cut off inside its transaction, run again on a fresh connection: 200, got %ld: %s",
					removal.response.status, removal.response.body);
	} else if (removal.answered) {
		ITEST_CHECK(removal.response.status == 503 &&
						strstr(lost_write_message(&removal, message, sizeof message), "Database unavailable") != NULL,
					"DELETE cut off inside its transaction: 503 Database unavailable, got %ld: %s",
					removal.response.status, removal.response.body);
	}
	http_response_free(&removal.response);
	if (run_again) {
		/* Deleted once: gone, and a second DELETE finds nothing. */
		call_expect(MANAGER, "GET", path, NULL, NULL, 404, NULL);
		call_expect(MANAGER, "DELETE", path, NULL, NULL, 404, NULL);
		return;
	}
	call_expect(MANAGER, "GET", path, NULL, NULL, 200, NULL);

	/* Nothing was half done: the same requests now succeed. */
	if (hr_call(MANAGER, "PATCH", path, "{\"name\":\"Day shift\"}", NULL, NULL, &reply)) {
		ITEST_CHECK(reply.status == 200 && data_int(&reply, "version") == 2, "PATCH again: %ld %s", reply.status,
					json_object_to_json_string(reply.body));
		hr_reply_free(&reply);
	}
	call_expect(MANAGER, "DELETE", path, NULL, NULL, 200, NULL);
}

bool hr_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("hr", hr_suite_init, NULL);
	if (suite == NULL)
		return false;
#define HR_TEST(name) itest_add_test(suite, #name, name, NULL)
	return HR_TEST(departments_are_created_read_updated_and_soft_deleted) &&
		   HR_TEST(employees_validate_every_field_and_keep_salary_with_its_currency) &&
		   HR_TEST(pagination_reports_the_known_count_filtered_and_unfiltered) &&
		   HR_TEST(sort_follows_the_whitelist_and_refuses_other_fields) &&
		   HR_TEST(filters_and_search_narrow_the_lists) &&
		   HR_TEST(salary_and_national_id_are_shown_to_hr_manage_only) &&
		   HR_TEST(viewers_and_users_cannot_write_departments_or_employees) &&
		   HR_TEST(employee_files_own_leave_and_an_overlapping_approval_is_422) &&
		   HR_TEST(touching_ranges_can_both_be_approved) &&
		   HR_TEST(leave_needs_an_employee_record_and_valid_dates) &&
		   HR_TEST(users_see_only_their_own_leave_and_managers_see_all) &&
		   HR_TEST(the_owner_cancels_pending_leave_and_nobody_else_does) &&
		   HR_TEST(concurrent_overlapping_approvals_cannot_both_win) &&
		   HR_TEST(another_tenants_records_are_not_found_by_id) &&
		   HR_TEST(stale_if_match_is_409_and_a_malformed_one_400) &&
		   HR_TEST(a_retried_create_with_the_same_idempotency_key_returns_the_same_record) &&
		   HR_TEST(salary_changes_are_audited_without_the_amounts) &&
		   HR_TEST(nobody_approves_or_rejects_their_own_leave) &&
		   HR_TEST(leave_balances_count_half_days_and_refuse_what_exceeds_them) &&
		   itest_add_test(suite, "a_write_cut_off_by_a_lost_connection_is_503_and_never_run_twice",
						  a_write_cut_off_by_a_lost_connection_is_503_and_never_run_twice,
						  test_environment_has(test_environment.db_sql_command)
							  ? NULL
							  : "INTUKA_TEST_DB_SQL_CMD is empty: no way to hold a row and kill a session");
#undef HR_TEST
}

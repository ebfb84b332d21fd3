/* HR module: departments, employees and leave requests. Departments and
 * employees are generic records (read hr.view, write hr.manage); salary and
 * national id are shown only to hr.manage, and changes to them are audited.
 * A leave request belongs to an employee: a user files their own through
 * the employee record linked to their user, sees only their own, and may
 * edit or cancel it while pending; hr.manage sees and files for everyone and
 * approves or rejects (never their own leave), never into an overlap with
 * approved leave. Leave may start or end with a half day; where hr.manage
 * set an allowance for the employee, type and year, a request beyond what
 * remains of it is refused. */
#include "auth/audit.h"
#include "auth/rbac.h"
#include "core/arena.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/hr_leave.h"
#include "modules/idempotency.h"
#include "modules/module_util.h"
#include "modules/modules.h"
#include "modules/resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HR_MANAGE "hr.manage"

static const char *const employment_statuses[] = {"active", "on_leave", "terminated", NULL};
static const char *const leave_types[] = {"annual", "sick", "unpaid", "other", NULL};
static const char *const leave_statuses[] = {"pending", "approved", "rejected", "cancelled", NULL};

static const struct resource_field department_fields[] = {
	{.api_name = "name", .column = "name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 200},
	{.api_name = "code", .column = "code", .kind = RESOURCE_TEXT, .flags = RESOURCE_FILTER | RESOURCE_SORT,
		.max_length = 20},
	{.api_name = "parentDepartmentId", .column = "parent_department_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "hr_departments",
		.reference_id_column = "department_id"},
	{.api_name = "managerEmployeeId", .column = "manager_employee_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "hr_employees",
		.reference_id_column = "employee_id"},
};

/* Sensitive fields are never filters, search terms or sort keys: an ordering
 * or a match would tell a hr.view user what the value hides. */
static const struct resource_field employee_fields[] = {
	{.api_name = "userId", .column = "user_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "users", .reference_id_column = "user_id",
		.reference_live_condition = "status = 'active'"},
	{.api_name = "departmentId", .column = "department_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "hr_departments",
		.reference_id_column = "department_id"},
	{.api_name = "firstName", .column = "first_name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 100},
	{.api_name = "lastName", .column = "last_name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 100},
	{.api_name = "email", .column = "email", .kind = RESOURCE_EMAIL, .flags = RESOURCE_FILTER | RESOURCE_SEARCH,
		.max_length = 254},
	{.api_name = "jobTitle", .column = "job_title", .kind = RESOURCE_TEXT, .flags = RESOURCE_FILTER | RESOURCE_SORT,
		.max_length = 100},
	{.api_name = "hireDate", .column = "hire_date", .kind = RESOURCE_DATE, .flags = RESOURCE_NULLABLE | RESOURCE_SORT,
		.range_name = "hired"},
	{.api_name = "employmentStatus", .column = "employment_status", .kind = RESOURCE_ENUM, .flags = RESOURCE_FILTER,
		.enum_values = employment_statuses, .default_sql = "'active'"},
	/* money travels as integer minor units (cents) */
	{.api_name = "salary", .column = "salary_minor", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_SENSITIVE | RESOURCE_NULLABLE, .min_value = 0, .max_value = INT64_MAX / 4},
	{.api_name = "salaryCurrency", .column = "salary_currency", .kind = RESOURCE_CURRENCY,
		.flags = RESOURCE_SENSITIVE | RESOURCE_NULLABLE},
	{.api_name = "nationalId", .column = "national_id", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_SENSITIVE | RESOURCE_NULLABLE, .max_length = 50},
};

/* Leave requests are written only by the handlers below (the employee comes
 * from the caller's link, the counts from the dates, the status from the
 * decisions), so the engine serves them read-only: list, get and delete. */
static const struct resource_field leave_fields[] = {
	{.api_name = "employeeId", .column = "employee_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_READONLY, .reference_table = "hr_employees",
		.reference_id_column = "employee_id"},
	{.api_name = "leaveType", .column = "leave_type", .kind = RESOURCE_ENUM, .flags = RESOURCE_FILTER | RESOURCE_READONLY,
		.enum_values = leave_types},
	{.api_name = "startDate", .column = "start_date", .kind = RESOURCE_DATE, .flags = RESOURCE_SORT | RESOURCE_READONLY,
		.range_name = "start"},
	{.api_name = "endDate", .column = "end_date", .kind = RESOURCE_DATE, .flags = RESOURCE_SORT | RESOURCE_READONLY,
		.range_name = "end"},
	{.api_name = "days", .column = "days", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "workingDays", .column = "working_days", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "startHalfDay", .column = "start_half_day", .kind = RESOURCE_BOOLEAN, .flags = RESOURCE_READONLY},
	{.api_name = "endHalfDay", .column = "end_half_day", .kind = RESOURCE_BOOLEAN, .flags = RESOURCE_READONLY},
	/* what the request charges against a balance, in half days */
	{.api_name = "halfDays", .column = "half_days", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "reason", .column = "reason", .kind = RESOURCE_TEXT, .flags = RESOURCE_READONLY, .max_length = 1000},
	{.api_name = "status", .column = "status", .kind = RESOURCE_ENUM, .flags = RESOURCE_FILTER | RESOURCE_READONLY,
		.enum_values = leave_statuses},
	{.api_name = "decidedBy", .column = "decided_by", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "decidedAt", .column = "decided_at_text", .kind = RESOURCE_TEXT, .flags = RESOURCE_READONLY},
	{.api_name = "decisionNote", .column = "decision_note", .kind = RESOURCE_TEXT, .flags = RESOURCE_READONLY,
		.max_length = 500},
};


static struct resource_runtime department_runtime, employee_runtime, leave_runtime;

static const struct resource_def hr_departments = {
	.name = "departments",
	.singular = "Department",
	.table = "hr_departments",
	.id_column = "department_id",
	.delete_permission = HR_MANAGE,
	.fields = department_fields,
	.field_count = sizeof(department_fields) / sizeof(department_fields[0]),
	.runtime = &department_runtime,
};
static const struct resource_def hr_employees = {
	.name = "employees",
	.singular = "Employee",
	.table = "hr_employees",
	.id_column = "employee_id",
	.delete_permission = HR_MANAGE,
	.sensitive_permission = HR_MANAGE,
	.fields = employee_fields,
	.field_count = sizeof(employee_fields) / sizeof(employee_fields[0]),
	.runtime = &employee_runtime,
};
static const struct resource_def hr_leave_requests = {
	.name = "leave requests",
	.singular = "Leave request",
	.table = "hr_leave_requests",
	.id_column = "leave_request_id",
	.delete_permission = HR_MANAGE,
	.fields = leave_fields,
	.field_count = sizeof(leave_fields) / sizeof(leave_fields[0]),
	.runtime = &leave_runtime,
};

static void hr_department_update(struct request_context *context);
static void hr_employee_create(struct request_context *context);
static void hr_employee_update(struct request_context *context);
static void hr_leave_list(struct request_context *context);
static void hr_leave_create(struct request_context *context);
static void hr_leave_get(struct request_context *context);
static void hr_leave_approve(struct request_context *context);
static void hr_leave_reject(struct request_context *context);
static void hr_leave_cancel(struct request_context *context);
static void hr_leave_update(struct request_context *context);
static void hr_leave_balances(struct request_context *context);
static void hr_leave_allowance_set(struct request_context *context);

static const struct field_spec leave_create_fields[] = {
	{.name = "employeeId", .type = FIELD_INTEGER, .min_value = 1, .max_value = INT64_MAX},
	{.name = "leaveType", .type = FIELD_ENUM, .required = 1, .enum_values = leave_types},
	{.name = "startDate", .type = FIELD_DATE, .required = 1},
	{.name = "endDate", .type = FIELD_DATE, .required = 1},
	{.name = "reason", .type = FIELD_STRING, .max_length = 1000},
	{.name = "startHalfDay", .type = FIELD_BOOLEAN},
	{.name = "endHalfDay", .type = FIELD_BOOLEAN},
};
static const struct input_spec leave_create_input = INPUT_SPEC(leave_create_fields);

/* A pending request's owner changes any of these; the rest stays. */
static const struct field_spec leave_update_fields[] = {
	{.name = "leaveType", .type = FIELD_ENUM, .enum_values = leave_types},
	{.name = "startDate", .type = FIELD_DATE},
	{.name = "endDate", .type = FIELD_DATE},
	{.name = "reason", .type = FIELD_STRING, .max_length = 1000},
	{.name = "startHalfDay", .type = FIELD_BOOLEAN},
	{.name = "endHalfDay", .type = FIELD_BOOLEAN},
};
static const struct input_spec leave_update_input = INPUT_SPEC(leave_update_fields);

/* days: whole days a year (null removes the allowance: the type is no longer counted) */
static const struct field_spec allowance_fields[] = {
	{.name = "year", .type = FIELD_INTEGER, .required = 1, .min_value = HR_LEAVE_YEAR_MIN,
		.max_value = HR_LEAVE_YEAR_MAX},
	{.name = "leaveType", .type = FIELD_ENUM, .required = 1, .enum_values = leave_types},
	{.name = "days", .type = FIELD_INTEGER, .required = 1, .nullable = 1, .min_value = 0,
		.max_value = HR_LEAVE_MAX_DAYS},
};
static const struct input_spec allowance_input = INPUT_SPEC(allowance_fields);

static const struct query_field balance_query_fields[] = {
	{.name = "year", .type = QUERY_INTEGER, .min_value = HR_LEAVE_YEAR_MIN, .max_value = HR_LEAVE_YEAR_MAX},
};
static const struct query_spec balance_query = QUERY_SPEC(balance_query_fields);

/* Approve and reject take no body or a note; cancel takes nothing. */
static const struct field_spec decision_fields[] = {
	{.name = "decisionNote", .type = FIELD_STRING, .max_length = 500, .nullable = 1},
};
static const struct input_spec decision_input = INPUT_SPEC_BODY_OPTIONAL(decision_fields);

#define HR_BASE "/api/v1/hr"

static const struct route hr_routes[] = {
	{.method = HTTP_GET, .pattern = HR_BASE "/departments", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query,
		.handler = resource_list, .data = &hr_departments, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = HR_BASE "/departments", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &department_runtime.create_input, .handler = resource_create,
		.data = &hr_departments},
	{.method = HTTP_GET, .pattern = HR_BASE "/departments/{id}", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .handler = resource_get, .data = &hr_departments},
	{.method = HTTP_PATCH, .pattern = HR_BASE "/departments/{id}", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &department_runtime.update_input, .handler = hr_department_update,
		.data = &hr_departments},
	{.method = HTTP_DELETE, .pattern = HR_BASE "/departments/{id}", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .handler = resource_delete, .data = &hr_departments},

	{.method = HTTP_GET, .pattern = HR_BASE "/employees", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query,
		.handler = resource_list, .data = &hr_employees, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = HR_BASE "/employees", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &employee_runtime.create_input, .handler = hr_employee_create,
		.data = &hr_employees},
	/* longer paths before the "{id}" patterns */
	{.method = HTTP_GET, .pattern = HR_BASE "/employees/{id}/leave-balances", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .query = &balance_query, .handler = hr_leave_balances,
		.data = &hr_employees},
	{.method = HTTP_PUT, .pattern = HR_BASE "/employees/{id}/leave-allowances", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &allowance_input, .handler = hr_leave_allowance_set,
		.data = &hr_employees},
	{.method = HTTP_GET, .pattern = HR_BASE "/employees/{id}", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .handler = resource_get, .data = &hr_employees},
	{.method = HTTP_PATCH, .pattern = HR_BASE "/employees/{id}", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &employee_runtime.update_input, .handler = hr_employee_update,
		.data = &hr_employees},
	{.method = HTTP_DELETE, .pattern = HR_BASE "/employees/{id}", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .handler = resource_delete, .data = &hr_employees},

	{.method = HTTP_GET, .pattern = HR_BASE "/leave-requests", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query,
		.handler = hr_leave_list, .data = &hr_leave_requests},
	{.method = HTTP_POST, .pattern = HR_BASE "/leave-requests", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .input = &leave_create_input, .handler = hr_leave_create,
		.data = &hr_leave_requests},
	{.method = HTTP_GET, .pattern = HR_BASE "/leave-requests/{id}", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .handler = hr_leave_get, .data = &hr_leave_requests},
	{.method = HTTP_PATCH, .pattern = HR_BASE "/leave-requests/{id}", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .input = &leave_update_input, .handler = hr_leave_update,
		.data = &hr_leave_requests},
	{.method = HTTP_DELETE, .pattern = HR_BASE "/leave-requests/{id}", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .handler = resource_delete, .data = &hr_leave_requests},
	{.method = HTTP_POST, .pattern = HR_BASE "/leave-requests/{id}/approve", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &decision_input, .handler = hr_leave_approve,
		.data = &hr_leave_requests},
	{.method = HTTP_POST, .pattern = HR_BASE "/leave-requests/{id}/reject", .permission = HR_MANAGE,
		.credentials = ROUTE_CRED_JWT, .input = &decision_input, .handler = hr_leave_reject,
		.data = &hr_leave_requests},
	{.method = HTTP_POST, .pattern = HR_BASE "/leave-requests/{id}/cancel", .permission = "hr.view",
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = hr_leave_cancel,
		.data = &hr_leave_requests},
};

const struct route_table hr_route_table = {
	.module_name = "hr",
	.routes = hr_routes,
	.route_count = sizeof(hr_routes) / sizeof(hr_routes[0]),
};

const struct resource_def *const hr_resources[] = {&hr_departments, &hr_employees, &hr_leave_requests, NULL};

enum hr_statement {
	HR_STMT_DEPARTMENT_UNDER,
	HR_STMT_EMPLOYEE_BY_USER,
	HR_STMT_EMPLOYEE_BY_ID,
	HR_STMT_EMPLOYEE_LOCK,
	HR_STMT_EMPLOYEE_SENSITIVE_FOR_UPDATE,
	HR_STMT_LEAVE_INSERT,
	HR_STMT_LEAVE_STATE,
	HR_STMT_LEAVE_OVERLAP,
	HR_STMT_LEAVE_DECIDE,
	HR_STMT_LEAVE_CANCEL,
	HR_STMT_LEAVE_UPDATE,
	HR_STMT_LEAVE_BOOKED,
	HR_STMT_ALLOWANCE,
	HR_STMT_ALLOWANCE_LOCK,
	HR_STMT_ALLOWANCE_SET,
	HR_STMT_ALLOWANCE_REMOVE,
	HR_STMT__MAX
};

static const struct db_statement_def hr_statements[HR_STMT__MAX] = {
	/* Is department ? the candidate parent itself or one of its ancestors?
	 * UNION (not UNION ALL) ends the walk even on a cycle made by a race. */
	[HR_STMT_DEPARTMENT_UNDER] = {.name = "hr.department_under",
		.sql = "WITH RECURSIVE ancestors (department_id, parent_department_id) AS ("
		"SELECT department_id, parent_department_id FROM hr_departments WHERE tenant_id = ? AND department_id = ? "
		"UNION SELECT d.department_id, d.parent_department_id FROM hr_departments d "
		"JOIN ancestors a ON d.department_id = a.parent_department_id WHERE d.tenant_id = ?) "
		"SELECT COUNT(*) FROM ancestors WHERE department_id = ?",
		.tenant_bound = 1},
	/* live_user_id is user_id on live rows only (unique per tenant) */
	[HR_STMT_EMPLOYEE_BY_USER] = {.name = "hr.employee_by_user",
		.sql = "SELECT employee_id, employment_status FROM hr_employees WHERE tenant_id = ? AND live_user_id = ?",
		.tenant_bound = 1},
	[HR_STMT_EMPLOYEE_BY_ID] = {.name = "hr.employee_by_id",
		.sql = "SELECT employee_id, employment_status FROM hr_employees "
		"WHERE tenant_id = ? AND employee_id = ? AND deleted_at IS NULL",
		.tenant_bound = 1},
	/* Approvals of one employee's leave, and the balance checks of its
	 * filings and edits, queue up on this row: a write (not SELECT ... FOR
	 * UPDATE) so that on a Galera cluster two nodes approving at once also
	 * conflict, at commit. updated_at stays: the employee record itself
	 * does not change. */
	[HR_STMT_EMPLOYEE_LOCK] = {.name = "hr.employee_lock",
		.sql = "UPDATE hr_employees SET leave_approvals = leave_approvals + 1, updated_at = updated_at "
		"WHERE tenant_id = ? AND employee_id = ?",
		.tenant_bound = 1},
	[HR_STMT_EMPLOYEE_SENSITIVE_FOR_UPDATE] = {.name = "hr.employee_sensitive",
		.sql = "SELECT salary_minor, salary_currency, national_id FROM hr_employees "
		"WHERE tenant_id = ? AND employee_id = ? AND deleted_at IS NULL FOR UPDATE",
		.tenant_bound = 1},
	[HR_STMT_LEAVE_INSERT] = {.name = "hr.leave_insert",
		.sql = "INSERT INTO hr_leave_requests (tenant_id, created_by, employee_id, leave_type, start_date, end_date, days, "
		"working_days, reason, start_half_day, end_half_day, half_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[HR_STMT_LEAVE_STATE] = {.name = "hr.leave_state",
		.sql = "SELECT employee_id, status, DATE_FORMAT(start_date, '%Y-%m-%d'), DATE_FORMAT(end_date, '%Y-%m-%d'), version, "
		"leave_type, start_half_day, end_half_day "
		"FROM hr_leave_requests WHERE tenant_id = ? AND leave_request_id = ? AND deleted_at IS NULL",
		.tenant_bound = 1},
	/* A locking read: it sees approvals committed while we waited for the
	 * employee's lock, which a snapshot read would not. Both ends inclusive. */
	[HR_STMT_LEAVE_OVERLAP] = {.name = "hr.leave_overlap",
		.sql = "SELECT leave_request_id FROM hr_leave_requests WHERE tenant_id = ? AND employee_id = ? "
		"AND status = 'approved' AND deleted_at IS NULL AND start_date <= ? AND end_date >= ? "
		"AND leave_request_id <> ? ORDER BY start_date LIMIT 1 FOR UPDATE",
		.tenant_bound = 1},
	/* One conditional UPDATE: of two concurrent decisions only one finds it pending. */
	[HR_STMT_LEAVE_DECIDE] = {.name = "hr.leave_decide",
		.sql = "UPDATE hr_leave_requests SET status = ?, decided_by = ?, decided_at = NOW(3), decision_note = ?, "
		"version = version + 1 WHERE tenant_id = ? AND leave_request_id = ? AND status = 'pending' "
		"AND deleted_at IS NULL AND (? = 0 OR version = ?)",
		.tenant_bound = 1},
	[HR_STMT_LEAVE_CANCEL] = {.name = "hr.leave_cancel",
		.sql = "UPDATE hr_leave_requests SET status = 'cancelled', version = version + 1 "
		"WHERE tenant_id = ? AND leave_request_id = ? AND employee_id = ? AND status = 'pending' "
		"AND deleted_at IS NULL AND (? = 0 OR version = ?)",
		.tenant_bound = 1},
	[HR_STMT_LEAVE_UPDATE] = {.name = "hr.leave_update",
		.sql = "UPDATE hr_leave_requests SET leave_type = ?, start_date = ?, end_date = ?, start_half_day = ?, "
		"end_half_day = ?, days = ?, working_days = ?, half_days = ?, reason = COALESCE(?, reason), "
		"version = version + 1 WHERE tenant_id = ? AND leave_request_id = ? AND employee_id = ? "
		"AND status = 'pending' AND deleted_at IS NULL AND (? = 0 OR version = ?)",
		.tenant_bound = 1},
	/* One employee's pending and approved leave touching a year, other than
	 * the request being decided or edited. A locking read, after the
	 * employee's lock, like the overlap check; bounded (a year holds at
	 * most 732 half days of counted leave). */
	[HR_STMT_LEAVE_BOOKED] = {.name = "hr.leave_booked",
		.sql = "SELECT leave_type, status, DATE_FORMAT(start_date, '%Y-%m-%d'), DATE_FORMAT(end_date, '%Y-%m-%d'), "
		"start_half_day, end_half_day FROM hr_leave_requests WHERE tenant_id = ? AND employee_id = ? "
		"AND status IN ('pending', 'approved') AND deleted_at IS NULL AND start_date <= ? AND end_date >= ? "
		"AND leave_request_id <> ? LIMIT 5000 FOR UPDATE",
		.tenant_bound = 1},
	[HR_STMT_ALLOWANCE] = {.name = "hr.allowances",
		.sql = "SELECT leave_type, half_days FROM hr_leave_allowances WHERE tenant_id = ? AND employee_id = ? "
		"AND year = ?",
		.tenant_bound = 1},
	[HR_STMT_ALLOWANCE_LOCK] = {.name = "hr.allowance_lock",
		.sql = "SELECT half_days FROM hr_leave_allowances WHERE tenant_id = ? AND employee_id = ? AND leave_type = ? "
		"AND year = ? FOR UPDATE",
		.tenant_bound = 1},
	[HR_STMT_ALLOWANCE_SET] = {.name = "hr.allowance_set",
		.sql = "INSERT INTO hr_leave_allowances (tenant_id, employee_id, leave_type, year, half_days, created_by) "
		"VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE half_days = VALUES(half_days)",
		.tenant_bound = 1},
	[HR_STMT_ALLOWANCE_REMOVE] = {.name = "hr.allowance_remove",
		.sql = "DELETE FROM hr_leave_allowances WHERE tenant_id = ? AND employee_id = ? AND leave_type = ? AND year = ?",
		.tenant_bound = 1},
};

const struct statement_table hr_statement_table = {"hr", hr_statements, HR_STMT__MAX};

/* ------------------------------------------------------------------ helpers */

static int hr_is_manager(const struct request_context *context)
{
	return rbac_list_grants(context->request->auth.permissions, HR_MANAGE);
}

static void hr_set_etag(struct request_context *context, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	response_add_header(context->response, "ETag", etag);
}

static int hr_audit(struct request_context *context, const char *action, const char *target_type, uint64_t target_id,
	const char *details)
{
	const struct auth_context *auth = &context->request->auth;
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)target_id);
	struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", target_type, target,
		context->request->remote_addr, context->request->request_id, details};
	return audit_record(context->db, &event);
}

struct hr_employee_link {
	int found;
	uint64_t employee_id;
	char status[16];
};

static int hr_read_employee_link(void *callback_context, const struct db_row *row)
{
	struct hr_employee_link *link = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL)
		return 0;
	link->found = 1;
	link->employee_id = strtoull(row->values[0], NULL, 10);
	snprintf(link->status, sizeof(link->status), "%s", row->values[1] ? row->values[1] : "");
	return 0;
}

/* The caller's own live employee record (found = 0 when their user has none). */
static int hr_own_employee(struct request_context *context, struct hr_employee_link *link)
{
	memset(link, 0, sizeof(*link));
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(context->request->auth.user_id)};
	return db_query(context->db, &hr_statements[HR_STMT_EMPLOYEE_BY_USER], params, 2, hr_read_employee_link, link);
}

static int hr_employee_by_id(struct request_context *context, uint64_t employee_id, struct hr_employee_link *link)
{
	memset(link, 0, sizeof(*link));
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(employee_id)};
	return db_query(context->db, &hr_statements[HR_STMT_EMPLOYEE_BY_ID], params, 2, hr_read_employee_link, link);
}

/* Strict positive decimal (as the engine's filters accept); 0 otherwise. */
static uint64_t hr_parse_id(const char *text)
{
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return 0;
	char *end = NULL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' ? value : 0;
}

/* ------------------------------------------------------------- departments */

/* A department may not be moved under itself or under one of its own
 * sub-departments: the tree would become a loop with no root. */
static void hr_department_update(struct request_context *context)
{
	uint64_t id = module_path_id(context, "id");
	if (id == 0 || resource_if_match(context) < 0) {
		resource_update(context); /* answers 404 / 400 in the engine's words */
		return;
	}
	json_object *parent = input_field(context->request, "parentDepartmentId");
	if (parent != NULL) {
		uint64_t parent_id = (uint64_t)json_object_get_int64(parent);
		uint64_t under = parent_id == id;
		if (!under) {
			uint64_t tenant_id = context->request->auth.tenant_id;
			struct db_param params[] = {DB_UINT(tenant_id), DB_UINT(parent_id), DB_UINT(tenant_id), DB_UINT(id)};
			int result = db_query(context->db, &hr_statements[HR_STMT_DEPARTMENT_UNDER], params, 4,
				module_read_uint64, &under);
			if (result != DB_OK) {
				respond_db_failure(context, result, "department update");
				return;
			}
		}
		if (under) {
			response_error(context->response, STATUS_UNPROCESSABLE,
				"A department cannot be placed under itself or one of its sub-departments");
			response_add_detail(context->response, "parentDepartmentId", "would make the department its own ancestor");
			return;
		}
	}
	resource_update(context);
}

/* --------------------------------------------------------------- employees */

enum hr_sensitive_field { HR_SALARY, HR_SALARY_CURRENCY, HR_NATIONAL_ID, HR_SENSITIVE__MAX };

static const char *const hr_sensitive_names[HR_SENSITIVE__MAX] = {"salary", "salaryCurrency", "nationalId"};

/* The stored sensitive values of one employee, as text (NULL = SQL NULL). */
struct hr_sensitive_row {
	int found;
	int present[HR_SENSITIVE__MAX];
	char values[HR_SENSITIVE__MAX][64];
};

static int hr_read_sensitive(void *callback_context, const struct db_row *row)
{
	struct hr_sensitive_row *out = callback_context;
	if (row->column_count != HR_SENSITIVE__MAX)
		return 0;
	out->found = 1;
	for (size_t i = 0; i < HR_SENSITIVE__MAX; i++) {
		out->present[i] = row->values[i] != NULL;
		snprintf(out->values[i], sizeof(out->values[i]), "%s", row->values[i] ? row->values[i] : "");
	}
	return 0;
}

/* Whether the value after the write is set: the body's when it gives one,
 * else the stored one (old is NULL on create). */
static int hr_sensitive_set_after(const struct request_context *context, const struct hr_sensitive_row *old,
	enum hr_sensitive_field field)
{
	if (input_has_field(context->request, hr_sensitive_names[field]))
		return input_field(context->request, hr_sensitive_names[field]) != NULL;
	return old != NULL && old->present[field];
}

/* A salary without its currency (or the reverse) is not an amount: they
 * are set and cleared together. */
static int hr_check_salary_pair(struct request_context *context, const struct hr_sensitive_row *old)
{
	int salary_set = hr_sensitive_set_after(context, old, HR_SALARY);
	int currency_set = hr_sensitive_set_after(context, old, HR_SALARY_CURRENCY);
	if (salary_set == currency_set)
		return 0;
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
	response_add_detail(context->response, salary_set ? "salaryCurrency" : "salary",
		"salary and salaryCurrency are set and cleared together");
	return -1;
}

/* 1 when the body changes field from what old holds (old NULL: nothing stored yet). */
static int hr_sensitive_changed(const struct request_context *context, const struct hr_sensitive_row *old,
	enum hr_sensitive_field field)
{
	if (!input_has_field(context->request, hr_sensitive_names[field]))
		return 0;
	json_object *value = input_field(context->request, hr_sensitive_names[field]);
	int was_set = old != NULL && old->present[field];
	if (value == NULL || !was_set)
		return (value != NULL) != was_set;
	char text[64];
	if (json_object_is_type(value, json_type_int))
		snprintf(text, sizeof(text), "%lld", (long long)json_object_get_int64(value));
	else
		snprintf(text, sizeof(text), "%s", json_object_get_string(value));
	return strcmp(text, old->values[field]) != 0;
}

/* Audit entries for changed salary or national id, inside the write's
 * transaction. They name the fields, never the values: whoever reads the
 * audit log need not be allowed to see them. */
static int hr_audit_sensitive(struct request_context *context, uint64_t employee_id, const struct hr_sensitive_row *old)
{
	static const struct {
		const char *action;
		enum hr_sensitive_field first, last;
	} groups[] = {
		{"hr.employee.salary_change", HR_SALARY, HR_SALARY_CURRENCY},
		{"hr.employee.national_id_change", HR_NATIONAL_ID, HR_NATIONAL_ID},
	};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		char details[160] = "";
		size_t used = 0;
		for (int field = (int)groups[g].first; field <= (int)groups[g].last; field++) {
			if (!hr_sensitive_changed(context, old, (enum hr_sensitive_field)field))
				continue;
			used += (size_t)snprintf(details + used, sizeof(details) - used, "%s%s", used ? ", " : "",
				hr_sensitive_names[field]);
		}
		if (used == 0)
			continue;
		snprintf(details + used, sizeof(details) - used, old == NULL ? " set on create" : " changed");
		int result = hr_audit(context, groups[g].action, "employee", employee_id, details);
		if (result != DB_OK)
			return result;
	}
	return DB_OK;
}

/* A user is at most one live employee: say so plainly before the unique key would. */
static int hr_check_user_link(struct request_context *context, uint64_t employee_id)
{
	json_object *user = input_field(context->request, "userId");
	if (user == NULL)
		return 0;
	struct hr_employee_link link = {0};
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT((uint64_t)json_object_get_int64(user))};
	int result = db_query(context->db, &hr_statements[HR_STMT_EMPLOYEE_BY_USER], params, 2, hr_read_employee_link, &link);
	if (result != DB_OK) {
		respond_db_failure(context, result, "employees");
		return -1;
	}
	if (link.found && link.employee_id != employee_id) {
		response_error(context->response, STATUS_CONFLICT, "This user is already linked to another employee");
		response_add_detail(context->response, "userId", "is the user of employee %llu",
			(unsigned long long)link.employee_id);
		return -1;
	}
	return 0;
}

static int hr_employee_create_check(struct request_context *context, void *state)
{
	(void)state;
	return hr_check_user_link(context, 0);
}

static int hr_employee_create_audit(struct request_context *context, void *state, uint64_t id)
{
	(void)state;
	return hr_audit_sensitive(context, id, NULL);
}

/* The engine's create, plus the salary pair, the user link and the audit of
 * sensitive values, all in the one transaction with the Idempotency-Key. */
static void hr_employee_create(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	if (hr_check_salary_pair(context, NULL) != 0 || resource_check_references_or_reply(context, resource) != 0)
		return;
	const struct resource_create_steps steps = {.check = hr_employee_create_check,
		.after_insert = hr_employee_create_audit, .message = "Employee created"};
	resource_create_with(context, resource, &steps);
}

/* The engine's PATCH inside a transaction that first locks the row and reads
 * the sensitive values, so the salary pair is checked against what is
 * stored and the audit says exactly what changed. */
static void hr_employee_update(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	if (id == 0 || resource_if_match(context) < 0) {
		resource_update(context); /* answers 404 / 400 in the engine's words */
		return;
	}
	struct hr_sensitive_row old = {0};
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &hr_statements[HR_STMT_EMPLOYEE_SENSITIVE_FOR_UPDATE], key, 2,
			hr_read_sensitive, &old);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (!old.found) {
		module_not_found(context, resource->singular);
		return;
	}
	if (hr_check_salary_pair(context, &old) != 0 || hr_check_user_link(context, id) != 0) {
		return;
	}
	resource_update(context);
	if (!status_is_success(context->response->status)) {
		return;
	}
	result = hr_audit_sensitive(context, id, &old);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
	}
}

/* ---------------------------------------------------------- leave requests */

/* Swap (or add) one query parameter, in the request's arena. */
static void hr_force_query(struct request *request, const char *name, const char *value)
{
	struct query_param *params = arena_alloc(request->arena, (request->query_param_count + 1) * sizeof(*params));
	size_t count = 0;
	params[count++] = (struct query_param){arena_strdup(request->arena, name), arena_strdup(request->arena, value)};
	for (size_t i = 0; i < request->query_param_count; i++)
		if (strcmp(request->query_params[i].name, name) != 0)
			params[count++] = request->query_params[i];
	request->query_params = params;
	request->query_param_count = count;
}

/* hr.manage lists every request; anyone else only their own, whatever the
 * query says: the employee filter is set here from their user's link. */
static void hr_leave_list(struct request_context *context)
{
	if (hr_is_manager(context)) {
		resource_list(context);
		return;
	}
	const struct resource_def *resource = resource_of(context);
	struct hr_employee_link own;
	int result = hr_own_employee(context, &own);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	const char *asked_text = query_text(context->request, "employeeId");
	uint64_t asked = hr_parse_id(asked_text);
	if (asked_text != NULL && asked == 0) {
		resource_list(context); /* a malformed filter: the engine says how */
		return;
	}
	char own_id[24];
	/* Nothing of theirs can match: an id no employee has gives the engine's
	 * empty answer, checks, ETag and CSV included. */
	uint64_t listed = !own.found || (asked != 0 && asked != own.employee_id) ? (uint64_t)INT64_MAX : own.employee_id;
	snprintf(own_id, sizeof(own_id), "%llu", (unsigned long long)listed);
	hr_force_query(context->request, "employeeId", own_id);
	resource_list(context);
}

/* Another employee's request answers 404 to a user without hr.manage, as if
 * it did not exist. */
static void hr_leave_get(struct request_context *context)
{
	if (hr_is_manager(context)) {
		resource_get(context);
		return;
	}
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, resource->singular);
		return;
	}
	struct hr_employee_link own;
	json_object *record = NULL;
	int64_t version = 0;
	int result = hr_own_employee(context, &own);
	if (result == DB_OK && own.found)
		result = resource_load(context, resource, id, 0, &record, &version);
	if (result != DB_OK) {
		if (record)
			json_object_put(record);
		respond_db_failure(context, result, resource->name);
		return;
	}
	json_object *owner = NULL;
	if (record == NULL || !json_object_object_get_ex(record, "employeeId", &owner) ||
		(uint64_t)json_object_get_int64(owner) != own.employee_id) {
		if (record)
			json_object_put(record);
		module_not_found(context, resource->singular);
		return;
	}
	hr_set_etag(context, version);
	response_ok(context->response, STATUS_OK, record, resource->singular);
}

struct hr_leave_row {
	int found;
	uint64_t employee_id;
	enum hr_leave_status status;
	char start_date[11], end_date[11];
	int64_t version;
	char leave_type[16];
	int start_half, end_half;
};

static int hr_read_leave(void *callback_context, const struct db_row *row)
{
	struct hr_leave_row *leave = callback_context;
	if (row->column_count != 8 || row->values[0] == NULL || row->values[2] == NULL || row->values[3] == NULL ||
		row->values[5] == NULL || hr_leave_status_parse(row->values[1], &leave->status) != 0)
		return 0;
	leave->found = 1;
	leave->employee_id = strtoull(row->values[0], NULL, 10);
	snprintf(leave->start_date, sizeof(leave->start_date), "%s", row->values[2]);
	snprintf(leave->end_date, sizeof(leave->end_date), "%s", row->values[3]);
	leave->version = row->values[4] ? strtoll(row->values[4], NULL, 10) : 0;
	snprintf(leave->leave_type, sizeof(leave->leave_type), "%s", row->values[5]);
	leave->start_half = row->values[6] != NULL && strcmp(row->values[6], "1") == 0;
	leave->end_half = row->values[7] != NULL && strcmp(row->values[7], "1") == 0;
	return 0;
}

static int hr_leave_read(struct request_context *context, uint64_t id, struct hr_leave_row *leave)
{
	memset(leave, 0, sizeof(*leave));
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
	return db_query(context->db, &hr_statements[HR_STMT_LEAVE_STATE], params, 2, hr_read_leave, leave);
}

/* ------------------------------------------------------------ leave balances */

#define HR_LEAVE_TYPES (sizeof(leave_types) / sizeof(leave_types[0]) - 1)

static int hr_leave_type_index(const char *name)
{
	for (size_t i = 0; name != NULL && i < HR_LEAVE_TYPES; i++)
		if (strcmp(leave_types[i], name) == 0)
			return (int)i;
	return -1;
}

/* One employee's leave in one calendar year, per leave type. */
struct hr_year_balances {
	int64_t year, first, last; /* day numbers of its first and last day */
	struct hr_leave_balance types[HR_LEAVE_TYPES];
};

static int hr_read_allowance(void *callback_context, const struct db_row *row)
{
	struct hr_year_balances *year = callback_context;
	int type = row->column_count == 2 ? hr_leave_type_index(row->values[0]) : -1;
	if (type >= 0 && row->values[1] != NULL)
		year->types[type].allowance = strtoll(row->values[1], NULL, 10);
	return 0;
}

static int hr_read_booked(void *callback_context, const struct db_row *row)
{
	struct hr_year_balances *year = callback_context;
	int type = row->column_count == 6 ? hr_leave_type_index(row->values[0]) : -1;
	int64_t start = 0, end = 0;
	if (type < 0 || row->values[1] == NULL || hr_leave_day_number(row->values[2], &start) != 0 ||
		hr_leave_day_number(row->values[3], &end) != 0)
		return 0;
	int64_t halves = hr_leave_half_days(start, end, row->values[4] && strcmp(row->values[4], "1") == 0,
		row->values[5] && strcmp(row->values[5], "1") == 0, year->first, year->last);
	if (strcmp(row->values[1], "approved") == 0)
		year->types[type].taken += halves;
	else
		year->types[type].pending += halves;
	return 0;
}

/* The allowances and booked leave of an employee in year, leaving out
 * request except_id (0: none). Inside a transaction after the employee's
 * lock, the booked leave is read with locks. */
static int hr_load_year(struct request_context *context, uint64_t employee_id, int64_t year, uint64_t except_id,
	struct hr_year_balances *out)
{
	memset(out, 0, sizeof(*out));
	out->year = year;
	hr_leave_year_bounds(year, &out->first, &out->last);
	for (size_t i = 0; i < HR_LEAVE_TYPES; i++)
		out->types[i].allowance = -1;
	char first[11], last[11];
	snprintf(first, sizeof(first), "%04lld-01-01", (long long)year);
	snprintf(last, sizeof(last), "%04lld-12-31", (long long)year);
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct db_param allowance[] = {DB_UINT(tenant_id), DB_UINT(employee_id), DB_INT(year)};
	struct db_param booked[] = {DB_UINT(tenant_id), DB_UINT(employee_id), DB_TEXT(last), DB_TEXT(first),
		DB_UINT(except_id)};
	int result = db_query(context->db, &hr_statements[HR_STMT_ALLOWANCE], allowance, 3, hr_read_allowance, out);
	if (result == DB_OK)
		result = db_query(context->db, &hr_statements[HR_STMT_LEAVE_BOOKED], booked, 5, hr_read_booked, out);
	return result;
}

/* Half days as the API shows days: 9 is 4.5, 10 is 5. */
static json_object *hr_days_json(int64_t halves)
{
	return halves % 2 ? json_object_new_double((double)halves / 2.0) : json_object_new_int64(halves / 2);
}

static json_object *hr_balance_json(const char *leave_type, const struct hr_leave_balance *balance)
{
	json_object *entry = json_object_new_object();
	int counted = balance->allowance >= 0;
	json_object_object_add(entry, "leaveType", json_object_new_string(leave_type));
	json_object_object_add(entry, "allowance", counted ? hr_days_json(balance->allowance) : NULL);
	json_object_object_add(entry, "taken", hr_days_json(balance->taken));
	json_object_object_add(entry, "pending", hr_days_json(balance->pending));
	json_object_object_add(entry, "remaining", counted ? hr_days_json(hr_leave_remaining(balance)) : NULL);
	return entry;
}

/* Half days as text in days: "4.5", "-0.5", "5". */
static const char *hr_days_text(int64_t halves, char *out, size_t size)
{
	uint64_t magnitude = halves < 0 ? (uint64_t)(-(halves + 1)) + 1 : (uint64_t)halves;
	snprintf(out, size, "%s%llu%s", halves < 0 ? "-" : "", (unsigned long long)(magnitude / 2),
		magnitude % 2 ? ".5" : "");
	return out;
}

/* A proposed request (for an employee, of a type, from start_text to
 * end_text with its halves) against the balance of each year it touches,
 * inside the caller's transaction: the employee's row is locked first so
 * that two requests of one employee are checked one after the other.
 * except_id is the request itself when it is edited or approved;
 * with_pending 0 counts only approved leave (an approval: pending requests
 * wait their turn). 0 when it fits; otherwise answered (422, or the
 * database failure), -1. */
static int hr_leave_check_balance(struct request_context *context, uint64_t employee_id, const char *leave_type,
	const char *start_text, const char *end_text, int start_half, int end_half, uint64_t except_id, int with_pending)
{
	int type = hr_leave_type_index(leave_type);
	int64_t start = 0, end = 0;
	if (type < 0 || hr_leave_day_number(start_text, &start) != 0 || hr_leave_day_number(end_text, &end) != 0) {
		respond_db_failure(context, DB_ERROR, "leave requests");
		return -1;
	}
	struct db_param employee[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(employee_id)};
	int result = db_exec(context->db, &hr_statements[HR_STMT_EMPLOYEE_LOCK], employee, 2, NULL, NULL);
	/* a request covers at most 366 days: one or two years */
	for (int64_t year = atoi(start_text); result == DB_OK && year <= atoi(end_text); year++) {
		struct hr_year_balances balances;
		result = hr_load_year(context, employee_id, year, except_id, &balances);
		if (result != DB_OK)
			break;
		struct hr_leave_balance balance = balances.types[type];
		if (!with_pending)
			balance.pending = 0;
		int64_t requested = hr_leave_half_days(start, end, start_half, end_half, balances.first, balances.last);
		if (hr_leave_fits(&balance, requested))
			continue;
		char needed[32], remaining[32];
		response_error(context->response, STATUS_UNPROCESSABLE, "The request exceeds the leave balance");
		response_add_detail(context->response, "endDate", "needs %s days of %s leave in %lld; %s remain",
			hr_days_text(requested, needed, sizeof(needed)), leave_type, (long long)year,
			hr_days_text(hr_leave_remaining(&balance), remaining, sizeof(remaining)));
		return -1;
	}
	if (result != DB_OK) {
		respond_db_failure(context, result, "leave requests");
		return -1;
	}
	return 0;
}

static void hr_refuse_bad_dates(struct request_context *context, const char *issue)
{
	response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
	response_add_detail(context->response, "endDate", "%s", issue);
}

/* The dates and halves of a request as filed or edited: 0 with the day
 * numbers, or 400 naming the fault and -1. */
static int hr_leave_check_dates(struct request_context *context, const char *start_text, const char *end_text,
	int start_half, int end_half, int64_t *start, int64_t *end)
{
	if (hr_leave_day_number(start_text, start) != 0 || hr_leave_day_number(end_text, end) != 0) {
		hr_refuse_bad_dates(context, "startDate and endDate must be dates written YYYY-MM-DD");
		return -1;
	}
	if (*end < *start) {
		hr_refuse_bad_dates(context, "must not be before startDate");
		return -1;
	}
	if (hr_leave_calendar_days(*start, *end) > HR_LEAVE_MAX_DAYS) {
		hr_refuse_bad_dates(context, "a leave request covers at most 366 days");
		return -1;
	}
	if (hr_leave_halves_valid(*start, *end, start_half, end_half) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid request body");
		response_add_detail(context->response, "endHalfDay",
			"a one-day request is either a half day (one of startHalfDay, endHalfDay) or a whole day, not both halves");
		return -1;
	}
	return 0;
}

struct hr_leave_create_state {
	int for_other;
	int64_t start, end;
	int start_half, end_half;
	struct hr_employee_link employee;
};

/* The employee the request is for, found (and live) in the transaction. */
static int hr_leave_create_check(struct request_context *context, void *state)
{
	struct hr_leave_create_state *create = state;
	int result = create->for_other
		? hr_employee_by_id(context, (uint64_t)input_integer(context->request, "employeeId", 0), &create->employee)
		: hr_own_employee(context, &create->employee);
	if (result != DB_OK) {
		respond_db_failure(context, result, "leave-requests");
		return -1;
	}
	const struct hr_employee_link *employee = &create->employee;
	if (employee->found && strcmp(employee->status, "terminated") != 0)
		return hr_leave_check_balance(context, employee->employee_id, input_string(context->request, "leaveType"),
			input_string(context->request, "startDate"), input_string(context->request, "endDate"), create->start_half,
			create->end_half, 0, 1);
	if (!employee->found && create->for_other) {
		response_error(context->response, STATUS_UNPROCESSABLE, "Referenced record does not exist");
		response_add_detail(context->response, "employeeId", "no such employee in this tenant");
	} else if (!employee->found) {
		response_error(context->response, STATUS_UNPROCESSABLE, "You have no employee record in this tenant");
		response_add_detail(context->response, "employeeId",
			"your user is not linked to an employee; HR links it with the employee's userId");
	} else {
		response_error(context->response, STATUS_UNPROCESSABLE, "The employee is terminated");
		response_add_detail(context->response, "employeeId", "a terminated employee cannot file leave");
	}
	return -1;
}

/* Counts are fixed when filed. */
static int hr_leave_create_insert(struct request_context *context, void *state, uint64_t *id)
{
	const struct hr_leave_create_state *create = state;
	const struct auth_context *auth = &context->request->auth;
	const char *reason = input_string(context->request, "reason");
	struct db_param params[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->user_id), DB_UINT(create->employee.employee_id),
		DB_TEXT(input_string(context->request, "leaveType")), DB_TEXT(input_string(context->request, "startDate")),
		DB_TEXT(input_string(context->request, "endDate")), DB_INT(hr_leave_calendar_days(create->start, create->end)),
		DB_INT(hr_leave_working_days(create->start, create->end)), DB_TEXT(reason ? reason : ""),
		DB_INT(create->start_half), DB_INT(create->end_half),
		DB_INT(hr_leave_half_days(create->start, create->end, create->start_half, create->end_half, create->start,
			create->end))};
	int result = db_exec(context->db, &hr_statements[HR_STMT_LEAVE_INSERT], params, 12, NULL, id);
	if (result == DB_OK)
		result = resource_count_rows(context, resource_of(context), 1);
	return result;
}

/* Files a request for the caller's own employee record, or, with hr.manage,
 * for the employee the body names. */
static void hr_leave_create(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	const char *start_text = input_string(context->request, "startDate");
	const char *end_text = input_string(context->request, "endDate");
	int64_t start = 0, end = 0;
	int start_half = input_boolean(context->request, "startHalfDay", 0);
	int end_half = input_boolean(context->request, "endHalfDay", 0);
	if (hr_leave_check_dates(context, start_text, end_text, start_half, end_half, &start, &end) != 0)
		return;
	int for_other = input_has_field(context->request, "employeeId");
	if (for_other && !hr_is_manager(context)) {
		response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
		response_add_detail(context->response, "employeeId", "requires %s; leave out to file your own request",
			HR_MANAGE);
		return;
	}
	struct hr_leave_create_state state = {.for_other = for_other, .start = start, .end = end,
		.start_half = start_half, .end_half = end_half};
	const struct resource_create_steps steps = {.check = hr_leave_create_check, .insert = hr_leave_create_insert,
		.message = "Leave request created", .state = &state};
	resource_create_with(context, resource, &steps);
}

#define HR_LEAVE_DETAILS_MAX 400

static json_object *hr_leave_state_json(const struct hr_leave_row *leave, const char *status)
{
	json_object *state = json_object_new_object();
	json_object_object_add(state, "status", json_object_new_string(status));
	json_object_object_add(state, "leaveType", json_object_new_string(leave->leave_type));
	json_object_object_add(state, "startDate", json_object_new_string(leave->start_date));
	json_object_object_add(state, "endDate", json_object_new_string(leave->end_date));
	json_object_object_add(state, "startHalfDay", json_object_new_boolean(leave->start_half));
	json_object_object_add(state, "endHalfDay", json_object_new_boolean(leave->end_half));
	return state;
}

/* The audit details of a change to a leave request: {"employeeId",
 * "before": {...}, "after": {...}} with status, type, dates and halves. */
static void hr_leave_change_details(const struct hr_leave_row *before, const struct hr_leave_row *after,
	const char *after_status, char *out, size_t size)
{
	json_object *details = json_object_new_object();
	json_object_object_add(details, "employeeId", json_object_new_int64((int64_t)before->employee_id));
	json_object_object_add(details, "before", hr_leave_state_json(before, hr_leave_status_name(before->status)));
	json_object_object_add(details, "after", hr_leave_state_json(after, after_status));
	snprintf(out, size, "%s", json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
}

/* 409 for a step the status does not allow (the wrong state), 409 for a stale If-Match;
 * 0 with the next status otherwise. */
static int hr_leave_refuse_transition(struct request_context *context, const struct hr_leave_row *leave,
	enum hr_leave_action action, int64_t expected_version, enum hr_leave_status *next)
{
	if (hr_leave_transition(leave->status, action, next) != 0) {
		char message[96];
		snprintf(message, sizeof(message), "Cannot %s a leave request that is %s", hr_leave_action_name(action),
			hr_leave_status_name(leave->status));
		response_error(context->response, STATUS_CONFLICT, message);
		response_add_detail(context->response, "status", "is %s; only pending requests can be approved, rejected, "
			"edited or cancelled", hr_leave_status_name(leave->status));
		return -1;
	}
	if (expected_version != 0 && expected_version != leave->version) {
		response_error(context->response, STATUS_CONFLICT, "The record was changed by someone else");
		response_add_detail(context->response, "If-Match", "does not match the current version; reload and retry");
		return -1;
	}
	return 0;
}

/* After a conditional UPDATE that matched nothing (the transaction rolled
 * back): say why from what is stored now. */
static void hr_leave_explain_miss(struct request_context *context, uint64_t id, enum hr_leave_action action,
	int64_t expected_version)
{
	struct hr_leave_row leave;
	enum hr_leave_status next;
	int result = hr_leave_read(context, id, &leave);
	if (result != DB_OK)
		respond_db_failure(context, result, "leave requests");
	else if (!leave.found)
		module_not_found(context, "Leave request");
	else if (hr_leave_refuse_transition(context, &leave, action, expected_version, &next) == 0)
		response_error(context->response, STATUS_CONFLICT, "Concurrent update, try again");
}

/* The path id and If-Match of approve, reject and cancel; their bodies
 * are declared by their routes (decision_input, input_no_body). */
static int hr_leave_action_target(struct request_context *context, uint64_t id, int64_t expected_version)
{
	if (id == 0) {
		module_not_found(context, "Leave request");
		return -1;
	}
	if (expected_version < 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid If-Match header");
		response_add_detail(context->response, "If-Match", "must be an ETag this API returned, such as \"3\"");
		return -1;
	}
	return 0;
}

/* Approve or reject in one transaction: read the request, lock its employee
 * (so approvals of one employee's leave run one at a time), refuse an
 * approval that overlaps approved leave or exceeds the balance, then one
 * conditional UPDATE from pending, and the audit entry. Nobody decides
 * their own leave (403), as nobody approves their own invoice. */
static void hr_leave_decide(struct request_context *context, enum hr_leave_action action)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	int64_t expected_version = resource_if_match(context);
	if (hr_leave_action_target(context, id, expected_version) != 0)
		return;
	const struct auth_context *auth = &context->request->auth;
	struct hr_employee_link own;
	struct hr_leave_row leave;
	int result = hr_own_employee(context, &own);
	if (result == DB_OK)
		result = db_begin(context->db);
	if (result == DB_OK)
		result = hr_leave_read(context, id, &leave);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	enum hr_leave_status next;
	if (!leave.found) {
		module_not_found(context, resource->singular);
		return;
	}
	if (hr_leave_refuse_transition(context, &leave, action, expected_version, &next) != 0) {
		return;
	}
	if (own.found && own.employee_id == leave.employee_id) {
		char message[96];
		snprintf(message, sizeof(message), "You cannot %s your own leave request; another manager must decide",
			hr_leave_action_name(action));
		response_error(context->response, STATUS_FORBIDDEN, message);
		response_add_detail(context->response, "employeeId", "is your own employee record");
		return;
	}
	if (action == HR_LEAVE_APPROVE) {
		uint64_t overlapping = 0;
		struct db_param employee[] = {DB_UINT(auth->tenant_id), DB_UINT(leave.employee_id)};
		struct db_param overlap[] = {DB_UINT(auth->tenant_id), DB_UINT(leave.employee_id), DB_TEXT(leave.end_date),
			DB_TEXT(leave.start_date), DB_UINT(id)};
		result = db_exec(context->db, &hr_statements[HR_STMT_EMPLOYEE_LOCK], employee, 2, NULL, NULL);
		if (result == DB_OK)
			result = db_query(context->db, &hr_statements[HR_STMT_LEAVE_OVERLAP], overlap, 5, module_read_uint64,
				&overlapping);
		if (result != DB_OK) {
			respond_db_failure(context, result, resource->name);
			return;
		}
		if (overlapping != 0) {
			response_error(context->response, STATUS_UNPROCESSABLE,
				"The leave overlaps approved leave of the same employee");
			response_add_detail(context->response, "startDate", "%s to %s overlaps approved leave request %llu",
				leave.start_date, leave.end_date, (unsigned long long)overlapping);
			return;
		}
		if (hr_leave_check_balance(context, leave.employee_id, leave.leave_type, leave.start_date, leave.end_date,
			leave.start_half, leave.end_half, id, 0) != 0)
			return;
	}
	const char *note = input_string(context->request, "decisionNote");
	struct db_param decide[] = {DB_TEXT(hr_leave_status_name(next)), DB_UINT(auth->user_id),
		note ? DB_TEXT(note) : DB_NULL, DB_UINT(auth->tenant_id), DB_UINT(id), DB_INT(expected_version),
		DB_INT(expected_version)};
	uint64_t matched = 0;
	result = db_exec(context->db, &hr_statements[HR_STMT_LEAVE_DECIDE], decide, 7, &matched, NULL);
	if (result == DB_OK && matched == 0) {
		hr_leave_explain_miss(context, id, action, expected_version);
		return;
	}
	char details[HR_LEAVE_DETAILS_MAX];
	hr_leave_change_details(&leave, &leave, hr_leave_status_name(next), details, sizeof(details));
	if (result == DB_OK)
		result = hr_audit(context, action == HR_LEAVE_APPROVE ? "hr.leave.approve" : "hr.leave.reject",
			"leave_request", id, details);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	resource_respond_one(context, resource, id, 0,
		action == HR_LEAVE_APPROVE ? "Leave request approved" : "Leave request rejected");
}

static void hr_leave_approve(struct request_context *context)
{
	hr_leave_decide(context, HR_LEAVE_APPROVE);
}

static void hr_leave_reject(struct request_context *context)
{
	hr_leave_decide(context, HR_LEAVE_REJECT);
}

/* Leave request id and the caller's own employee link, read in a
 * transaction begun here, for a step only that employee may take (verb:
 * "cancel", "change"). 0 when the request is the caller's own; otherwise
 * answered and -1: a database failure, 403 to hr.manage (who rejects
 * instead), 404 to anyone else (they cannot see it). */
static int hr_leave_own_or_reply(struct request_context *context, uint64_t id, const char *verb,
	struct hr_employee_link *own, struct hr_leave_row *leave)
{
	const struct resource_def *resource = resource_of(context);
	int result = hr_own_employee(context, own);
	if (result == DB_OK)
		result = db_begin(context->db);
	if (result == DB_OK)
		result = hr_leave_read(context, id, leave);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return -1;
	}
	if (leave->found && own->found && leave->employee_id == own->employee_id)
		return 0;
	if (leave->found && hr_is_manager(context)) {
		char message[96];
		snprintf(message, sizeof(message), "Only the employee can %s their own leave request", verb);
		response_error(context->response, STATUS_FORBIDDEN, message);
		response_add_detail(context->response, "employeeId", "is not your employee record; reject the request instead");
	} else {
		module_not_found(context, resource->singular);
	}
	return -1;
}

/* Only the employee the request is for may cancel it, while pending. Anyone
 * else gets 404 (they cannot see it) or, with hr.manage, 403 (reject it instead). */
static void hr_leave_cancel(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	int64_t expected_version = resource_if_match(context);
	if (hr_leave_action_target(context, id, expected_version) != 0)
		return;
	const struct auth_context *auth = &context->request->auth;
	struct hr_employee_link own;
	struct hr_leave_row leave;
	if (hr_leave_own_or_reply(context, id, "cancel", &own, &leave) != 0)
		return;
	enum hr_leave_status next;
	int result = DB_OK;
	if (hr_leave_refuse_transition(context, &leave, HR_LEAVE_CANCEL, expected_version, &next) != 0) {
		return;
	}
	struct db_param cancel[] = {DB_UINT(auth->tenant_id), DB_UINT(id), DB_UINT(own.employee_id),
		DB_INT(expected_version), DB_INT(expected_version)};
	uint64_t matched = 0;
	result = db_exec(context->db, &hr_statements[HR_STMT_LEAVE_CANCEL], cancel, 5, &matched, NULL);
	if (result == DB_OK && matched == 0) {
		hr_leave_explain_miss(context, id, HR_LEAVE_CANCEL, expected_version);
		return;
	}
	char details[HR_LEAVE_DETAILS_MAX];
	hr_leave_change_details(&leave, &leave, "cancelled", details, sizeof(details));
	if (result == DB_OK)
		result = hr_audit(context, "hr.leave.cancel", "leave_request", id, details);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	resource_respond_one(context, resource, id, 0, "Leave request cancelled");
}

/* The employee a pending request is for changes its type, dates, halves or
 * reason (hr.manage rejects instead, like cancelling). The new days are
 * counted again and checked against the balance, leaving the request's
 * own old days out. */
static void hr_leave_update(struct request_context *context)
{
	const struct resource_def *resource = resource_of(context);
	uint64_t id = module_path_id(context, "id");
	int64_t expected_version = resource_if_match(context);
	if (hr_leave_action_target(context, id, expected_version) != 0)
		return;
	const struct auth_context *auth = &context->request->auth;
	struct hr_employee_link own;
	struct hr_leave_row leave;
	if (hr_leave_own_or_reply(context, id, "change", &own, &leave) != 0)
		return;
	enum hr_leave_status next;
	int result = DB_OK;
	if (hr_leave_refuse_transition(context, &leave, HR_LEAVE_EDIT, expected_version, &next) != 0)
		return;
	struct hr_leave_row after = leave;
	const char *text = input_string(context->request, "leaveType");
	if (text != NULL)
		snprintf(after.leave_type, sizeof(after.leave_type), "%s", text);
	if ((text = input_string(context->request, "startDate")) != NULL)
		snprintf(after.start_date, sizeof(after.start_date), "%s", text);
	if ((text = input_string(context->request, "endDate")) != NULL)
		snprintf(after.end_date, sizeof(after.end_date), "%s", text);
	after.start_half = input_boolean(context->request, "startHalfDay", leave.start_half);
	after.end_half = input_boolean(context->request, "endHalfDay", leave.end_half);
	int64_t start = 0, end = 0;
	if (hr_leave_check_dates(context, after.start_date, after.end_date, after.start_half, after.end_half, &start,
		&end) != 0)
		return;
	if (hr_leave_check_balance(context, leave.employee_id, after.leave_type, after.start_date, after.end_date,
		after.start_half, after.end_half, id, 1) != 0)
		return;
	const char *reason = input_string(context->request, "reason");
	struct db_param update[] = {DB_TEXT(after.leave_type), DB_TEXT(after.start_date), DB_TEXT(after.end_date),
		DB_INT(after.start_half), DB_INT(after.end_half), DB_INT(hr_leave_calendar_days(start, end)),
		DB_INT(hr_leave_working_days(start, end)),
		DB_INT(hr_leave_half_days(start, end, after.start_half, after.end_half, start, end)),
		reason ? DB_TEXT(reason) : DB_NULL, DB_UINT(auth->tenant_id), DB_UINT(id), DB_UINT(own.employee_id),
		DB_INT(expected_version), DB_INT(expected_version)};
	uint64_t matched = 0;
	result = db_exec(context->db, &hr_statements[HR_STMT_LEAVE_UPDATE], update, 14, &matched, NULL);
	if (result == DB_OK && matched == 0) {
		hr_leave_explain_miss(context, id, HR_LEAVE_EDIT, expected_version);
		return;
	}
	char details[HR_LEAVE_DETAILS_MAX];
	hr_leave_change_details(&leave, &after, "pending", details, sizeof(details));
	if (result == DB_OK)
		result = hr_audit(context, "hr.leave.update", "leave_request", id, details);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	resource_respond_one(context, resource, id, 0, "Leave request updated");
}

/* The employee of /employees/{id}/...: any of the tenant's with hr.manage,
 * else only one's own (another's answers 404, as their leave does). 0, or
 * answered and -1. */
static int hr_balance_employee(struct request_context *context, uint64_t *employee_id)
{
	*employee_id = module_path_id(context, "id");
	struct hr_employee_link link = {0};
	int result = DB_OK;
	if (*employee_id != 0)
		result = hr_is_manager(context) ? hr_employee_by_id(context, *employee_id, &link)
						: hr_own_employee(context, &link);
	if (result != DB_OK) {
		respond_db_failure(context, result, "employees");
		return -1;
	}
	if (!link.found || link.employee_id != *employee_id) {
		module_not_found(context, "Employee");
		return -1;
	}
	return 0;
}

static int64_t hr_current_year(void)
{
	time_t now = time(NULL);
	struct tm utc;
	gmtime_r(&now, &utc);
	return utc.tm_year + 1900;
}

static json_object *hr_balances_json(uint64_t employee_id, const struct hr_year_balances *balances)
{
	json_object *data = json_object_new_object();
	json_object *list = json_object_new_array();
	json_object_object_add(data, "employeeId", json_object_new_int64((int64_t)employee_id));
	json_object_object_add(data, "year", json_object_new_int64(balances->year));
	for (size_t i = 0; i < HR_LEAVE_TYPES; i++)
		json_object_array_add(list, hr_balance_json(leave_types[i], &balances->types[i]));
	json_object_object_add(data, "balances", list);
	return data;
}

/* GET /employees/{id}/leave-balances?year=: per leave type, the allowance
 * (null when none is set), taken (approved), pending and remaining days. */
static void hr_leave_balances(struct request_context *context)
{
	uint64_t employee_id;
	if (hr_balance_employee(context, &employee_id) != 0)
		return;
	struct hr_year_balances balances;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = hr_load_year(context, employee_id, query_integer(context->request, "year", hr_current_year()), 0,
			&balances);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "leave balances");
		return;
	}
	response_ok(context->response, STATUS_OK, hr_balances_json(employee_id, &balances), "Leave balances");
}

static int hr_read_half_days(void *callback_context, const struct db_row *row)
{
	if (row->column_count == 1 && row->values[0] != NULL)
		*(int64_t *)callback_context = strtoll(row->values[0], NULL, 10);
	return 0;
}

/* PUT /employees/{id}/leave-allowances {"year", "leaveType", "days"}: sets
 * (or with null removes) an allowance, audited with before and after. An
 * allowance below what is already booked is allowed: remaining goes
 * negative and further requests of that type are refused. */
static void hr_leave_allowance_set(struct request_context *context)
{
	uint64_t employee_id;
	if (hr_balance_employee(context, &employee_id) != 0)
		return;
	const struct auth_context *auth = &context->request->auth;
	int64_t year = input_integer(context->request, "year", 0);
	const char *leave_type = input_string(context->request, "leaveType");
	json_object *days = input_field(context->request, "days");
	int64_t before = -1;
	struct db_param employee[] = {DB_UINT(auth->tenant_id), DB_UINT(employee_id)};
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_UINT(employee_id), DB_TEXT(leave_type), DB_INT(year)};
	struct db_param set[] = {DB_UINT(auth->tenant_id), DB_UINT(employee_id), DB_TEXT(leave_type), DB_INT(year),
		DB_INT(days ? 2 * json_object_get_int64(days) : 0), DB_UINT(auth->user_id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &hr_statements[HR_STMT_EMPLOYEE_LOCK], employee, 2, NULL, NULL);
	if (result == DB_OK)
		result = db_query(context->db, &hr_statements[HR_STMT_ALLOWANCE_LOCK], key, 4, hr_read_half_days, &before);
	if (result == DB_OK)
		result = days ? db_exec(context->db, &hr_statements[HR_STMT_ALLOWANCE_SET], set, 6, NULL, NULL)
			      : db_exec(context->db, &hr_statements[HR_STMT_ALLOWANCE_REMOVE], key, 4, NULL, NULL);
	json_object *details = json_object_new_object();
	json_object_object_add(details, "leaveType", json_object_new_string(leave_type));
	json_object_object_add(details, "year", json_object_new_int64(year));
	json_object_object_add(details, "before", before >= 0 ? hr_days_json(before) : NULL);
	json_object_object_add(details, "after", days ? hr_days_json(2 * json_object_get_int64(days)) : NULL);
	if (result == DB_OK)
		result = hr_audit(context, "hr.leave_allowance.set", "employee", employee_id,
			json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
	struct hr_year_balances balances;
	if (result == DB_OK)
		result = hr_load_year(context, employee_id, year, 0, &balances);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "leave allowances");
		return;
	}
	response_ok(context->response, STATUS_OK, hr_balances_json(employee_id, &balances), "Leave allowance set");
}

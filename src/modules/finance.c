/* Finance module: invoices (with line items whose totals the server computes
 * in integer minor units) and expenses on the generic record engine, and the
 * approval flow both share: draft -> submitted -> approved | rejected, then
 * approved -> paid; a rejected document goes back to draft when its author
 * reopens it. A paid invoice is voided (with a reason) or credited by a
 * credit note. Only drafts may be edited or deleted. Permissions:
 * finance.view, finance.create, finance.edit (submit, reopen one's own),
 * finance.delete, finance.approve (approve, reject, pay, void, credit; never
 * approve or reject one's own document). Above the approval limit of the
 * approver's profile in the document's currency, an approval is the first
 * of two: a second approver completes it. profiles.manage sets the limits. */
#include "auth/audit.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/finance_approval.h"
#include "modules/finance_money.h"
#include "modules/idempotency.h"
#include "modules/module_util.h"
#include "modules/modules.h"
#include "modules/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINANCE_LINES_MAX 200
#define FINANCE_LINE_DESCRIPTION_MAX 500
#define FINANCE_NOTE_MAX 1000

static const char *const document_statuses[] = {"draft", "submitted", "approved", "rejected", "paid", "void",
	"credited", NULL};
static const char *const document_types[] = {"invoice", "credit_note", NULL};

/* Set only by the flow's routes, never by a body. */
#define FLOW_FIELDS \
	{.api_name = "status", .column = "status", .kind = RESOURCE_ENUM, .flags = RESOURCE_READONLY | RESOURCE_FILTER, \
		.enum_values = document_statuses}, \
	{.api_name = "submittedAt", .column = "submitted_at", .kind = RESOURCE_TIMESTAMP, .flags = RESOURCE_READONLY}, \
	{.api_name = "firstApprovedBy", .column = "first_approved_by", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY}, \
	{.api_name = "firstApprovedAt", .column = "first_approved_at", .kind = RESOURCE_TIMESTAMP, \
		.flags = RESOURCE_READONLY}, \
	{.api_name = "decidedBy", .column = "decided_by", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY}, \
	{.api_name = "decidedAt", .column = "decided_at", .kind = RESOURCE_TIMESTAMP, .flags = RESOURCE_READONLY}, \
	{.api_name = "decisionNote", .column = "decision_note", .kind = RESOURCE_TEXT, .flags = RESOURCE_READONLY}, \
	{.api_name = "paidAt", .column = "paid_at", .kind = RESOURCE_TIMESTAMP, .flags = RESOURCE_READONLY}

static const struct resource_field invoice_fields[] = {
	{.api_name = "number", .column = "number", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 40},
	{.api_name = "customerName", .column = "customer_name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 200},
	{.api_name = "accountId", .column = "account_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "sales_accounts",
		.reference_id_column = "account_id"},
	{.api_name = "currency", .column = "currency", .kind = RESOURCE_CURRENCY, .flags = RESOURCE_FILTER,
		.default_sql = "'EUR'"},
	{.api_name = "issueDate", .column = "issue_date", .kind = RESOURCE_DATE, .flags = RESOURCE_SORT,
		.default_sql = "CURRENT_DATE", .range_name = "issued"},
	{.api_name = "dueDate", .column = "due_date", .kind = RESOURCE_DATE, .flags = RESOURCE_NULLABLE | RESOURCE_SORT,
		.range_name = "due"},
	{.api_name = "notes", .column = "notes", .kind = RESOURCE_TEXT, .max_length = 2000},
	/* computed from the lines, in minor units */
	{.api_name = "subtotal", .column = "subtotal_minor", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "tax", .column = "tax_minor", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "total", .column = "total_minor", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY | RESOURCE_SORT,
		.range_name = "amount"},
	FLOW_FIELDS,
	/* after payment: voided, or credited by a credit note (itself an invoice row) */
	{.api_name = "documentType", .column = "document_type", .kind = RESOURCE_ENUM,
		.flags = RESOURCE_READONLY | RESOURCE_FILTER, .enum_values = document_types},
	{.api_name = "creditedInvoiceId", .column = "credited_invoice_id", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_READONLY},
	{.api_name = "creditNoteId", .column = "credit_note_id", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "voidedBy", .column = "voided_by", .kind = RESOURCE_INTEGER, .flags = RESOURCE_READONLY},
	{.api_name = "voidedAt", .column = "voided_at", .kind = RESOURCE_TIMESTAMP, .flags = RESOURCE_READONLY},
	{.api_name = "voidReason", .column = "void_reason", .kind = RESOURCE_TEXT, .flags = RESOURCE_READONLY},
};

static const struct resource_field expense_fields[] = {
	{.api_name = "description", .column = "description", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH, .max_length = 500},
	{.api_name = "category", .column = "category", .kind = RESOURCE_TEXT, .flags = RESOURCE_FILTER, .max_length = 100},
	{.api_name = "amount", .column = "amount_minor", .kind = RESOURCE_INTEGER, .flags = RESOURCE_REQUIRED | RESOURCE_SORT,
		.min_value = 1, .max_value = INT64_MAX / 4, .range_name = "amount"},
	{.api_name = "currency", .column = "currency", .kind = RESOURCE_CURRENCY, .flags = RESOURCE_FILTER,
		.default_sql = "'EUR'"},
	{.api_name = "expenseDate", .column = "expense_date", .kind = RESOURCE_DATE, .flags = RESOURCE_SORT,
		.default_sql = "CURRENT_DATE", .range_name = "spent"},
	FLOW_FIELDS,
};


/* Sent for approval or approved, not yet paid, and past its due date. */
static const struct resource_condition invoice_conditions[] = {
	{.name = "overdue", .sql = "status IN ('submitted', 'approved') AND due_date < CURRENT_DATE"},
};

static struct resource_runtime invoice_runtime, expense_runtime;

static const struct resource_def finance_invoices = {
	.name = "invoices",
	.singular = "Invoice",
	.table = "finance_invoices",
	.id_column = "invoice_id",
	.delete_permission = "finance.delete",
	.fields = invoice_fields,
	.field_count = sizeof(invoice_fields) / sizeof(invoice_fields[0]),
	.runtime = &invoice_runtime,
	.conditions = invoice_conditions,
	.condition_count = sizeof(invoice_conditions) / sizeof(invoice_conditions[0]),
};
static const struct resource_def finance_expenses = {
	.name = "expenses",
	.singular = "Expense",
	.table = "finance_expenses",
	.id_column = "expense_id",
	.delete_permission = "finance.delete",
	.fields = expense_fields,
	.field_count = sizeof(expense_fields) / sizeof(expense_fields[0]),
	.runtime = &expense_runtime,
};

/* Statements every document has, in a block per document (see below). */
enum finance_document_statement {
	DOC_STMT_STATE,   /* status, created_by, version: explains a refused write */
	DOC_STMT_LOCK,    /* the same, locking the row before a draft is edited */
	DOC_STMT_SUBMIT,
	DOC_STMT_APPROVE,
	DOC_STMT_REJECT,
	DOC_STMT_PAY,
	DOC_STMT_REOPEN,
	DOC_STMT_APPROVAL_LOCK, /* what an approval decides on, locking the row */
	DOC_STMT_FIRST_APPROVE,
	DOC_STMT_DELETE,
	DOC_STMT__MAX
};

/* finance_statements: a DOC_STMT__MAX block per document, then the lines'. */
enum finance_statement {
	FINANCE_INVOICE_BLOCK = 0,
	FINANCE_EXPENSE_BLOCK = DOC_STMT__MAX,
	FINANCE_STMT_LINES_INSERT = 2 * DOC_STMT__MAX,
	FINANCE_STMT_LINES_DELETE,
	FINANCE_STMT_LINES_SELECT,
	FINANCE_STMT_TOTALS,
	FINANCE_STMT_VOID,
	FINANCE_STMT_CREDIT_LOCK,
	FINANCE_STMT_CREDIT_INSERT,
	FINANCE_STMT_CREDIT_LINES,
	FINANCE_STMT_CREDITED,
	FINANCE_STMT_LIMIT,
	FINANCE_STMT_LIMITS_LIST,
	FINANCE_STMT_LIMIT_LOCK,
	FINANCE_STMT_LIMIT_SET,
	FINANCE_STMT_LIMIT_REMOVE,
	FINANCE_STMT_PROFILE_EXISTS,
	FINANCE_STMT__MAX
};

/* A resource that follows the approval flow. */
struct finance_document {
	const struct resource_def *resource;
	const char *kind;                 /* "invoice": audit target type and action part */
	const struct db_statement_def *statements; /* its DOC_STMT__MAX block */
	int has_lines;
};

static const struct db_statement_def finance_statements[FINANCE_STMT__MAX];

static const struct finance_document invoice_document = {&finance_invoices, "invoice",
	&finance_statements[FINANCE_INVOICE_BLOCK], 1};
static const struct finance_document expense_document = {&finance_expenses, "expense",
	&finance_statements[FINANCE_EXPENSE_BLOCK], 0};

static void finance_invoice_create(struct request_context *context);
static void finance_invoice_get(struct request_context *context);
static void finance_update(struct request_context *context);
static void finance_delete(struct request_context *context);
static void finance_submit(struct request_context *context);
static void finance_approve(struct request_context *context);
static void finance_reject(struct request_context *context);
static void finance_pay(struct request_context *context);
static void finance_reopen(struct request_context *context);
static void finance_void(struct request_context *context);
static void finance_credit_note(struct request_context *context);
static void finance_limits_list(struct request_context *context);
static void finance_limit_set(struct request_context *context);

/* Approve and reject take no body or a note; submit and pay take nothing. */
static const struct field_spec decision_fields[] = {
	{.name = "note", .type = FIELD_STRING, .max_length = FINANCE_NOTE_MAX},
};
static const struct input_spec decision_input = INPUT_SPEC_BODY_OPTIONAL(decision_fields);

/* Voiding a paid invoice needs a reason. */
static const struct field_spec void_fields[] = {
	{.name = "reason", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = FINANCE_NOTE_MAX},
};
static const struct input_spec void_input = INPUT_SPEC(void_fields);

/* A credit note has its own number (unique like every invoice number). */
static const struct field_spec credit_note_fields[] = {
	{.name = "number", .type = FIELD_STRING, .required = 1, .min_length = 1, .max_length = 40},
	{.name = "notes", .type = FIELD_STRING, .max_length = 2000},
};
static const struct input_spec credit_note_input = INPUT_SPEC(credit_note_fields);

/* limit: minor units of currency; null removes the limit */
static const struct field_spec limit_fields[] = {
	{.name = "profileId", .type = FIELD_INTEGER, .required = 1, .min_value = 1, .max_value = INT64_MAX},
	{.name = "currency", .type = FIELD_CURRENCY, .required = 1},
	{.name = "limit", .type = FIELD_INTEGER, .required = 1, .nullable = 1, .min_value = 0, .max_value = INT64_MAX / 4},
};
static const struct input_spec limit_input = INPUT_SPEC(limit_fields);

#define FLOW_ROUTES(base, document) \
	{.method = HTTP_POST, .pattern = base "/{id}/submit", .permission = "finance.edit",                           \
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = finance_submit, .data = &document},  \
	{.method = HTTP_POST, .pattern = base "/{id}/approve", .permission = "finance.approve",                       \
		.credentials = ROUTE_CRED_JWT, .input = &decision_input, .handler = finance_approve, .data = &document}, \
	{.method = HTTP_POST, .pattern = base "/{id}/reject", .permission = "finance.approve",                        \
		.credentials = ROUTE_CRED_JWT, .input = &decision_input, .handler = finance_reject, .data = &document},  \
	{.method = HTTP_POST, .pattern = base "/{id}/pay", .permission = "finance.approve",                           \
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = finance_pay, .data = &document},      \
	{.method = HTTP_POST, .pattern = base "/{id}/reopen", .permission = "finance.edit",                          \
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = finance_reopen, .data = &document}

/* The engine's handlers take a resource_def as data, finance's own a finance_document. */
static const struct route finance_routes[] = {
	/* longer paths before the "{id}" patterns */
	FLOW_ROUTES("/api/v1/finance/invoices", invoice_document),
	FLOW_ROUTES("/api/v1/finance/expenses", expense_document),
	{.method = HTTP_POST, .pattern = "/api/v1/finance/invoices/{id}/void", .permission = "finance.approve",
		.credentials = ROUTE_CRED_JWT, .input = &void_input, .handler = finance_void, .data = &invoice_document},
	{.method = HTTP_POST, .pattern = "/api/v1/finance/invoices/{id}/credit-note", .permission = "finance.approve",
		.credentials = ROUTE_CRED_JWT, .input = &credit_note_input, .handler = finance_credit_note,
		.data = &invoice_document},
	{.method = HTTP_GET, .pattern = "/api/v1/finance/approval-limits", .permission = "finance.view",
		.credentials = ROUTE_CRED_JWT, .handler = finance_limits_list},
	{.method = HTTP_PUT, .pattern = "/api/v1/finance/approval-limits", .permission = "profiles.manage",
		.credentials = ROUTE_CRED_JWT, .input = &limit_input, .handler = finance_limit_set},
	{.method = HTTP_GET, .pattern = "/api/v1/finance/invoices", .permission = "finance.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query,
		.handler = resource_list, .data = &finance_invoices, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = "/api/v1/finance/invoices", .permission = "finance.create",
		.credentials = ROUTE_CRED_JWT, .handler = finance_invoice_create, .data = &invoice_document},
	{.method = HTTP_GET, .pattern = "/api/v1/finance/invoices/{id}", .permission = "finance.view",
		.credentials = ROUTE_CRED_JWT, .handler = finance_invoice_get, .data = &invoice_document},
	{.method = HTTP_PATCH, .pattern = "/api/v1/finance/invoices/{id}", .permission = "finance.edit",
		.credentials = ROUTE_CRED_JWT, .handler = finance_update, .data = &invoice_document},
	{.method = HTTP_DELETE, .pattern = "/api/v1/finance/invoices/{id}", .permission = "finance.delete",
		.credentials = ROUTE_CRED_JWT, .handler = finance_delete, .data = &invoice_document},
	{.method = HTTP_GET, .pattern = "/api/v1/finance/expenses", .permission = "finance.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query,
		.handler = resource_list, .data = &finance_expenses, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = "/api/v1/finance/expenses", .permission = "finance.create",
		.credentials = ROUTE_CRED_JWT, .input = &expense_runtime.create_input, .handler = resource_create,
		.data = &finance_expenses},
	{.method = HTTP_GET, .pattern = "/api/v1/finance/expenses/{id}", .permission = "finance.view",
		.credentials = ROUTE_CRED_JWT, .handler = resource_get, .data = &finance_expenses},
	{.method = HTTP_PATCH, .pattern = "/api/v1/finance/expenses/{id}", .permission = "finance.edit",
		.credentials = ROUTE_CRED_JWT, .handler = finance_update, .data = &expense_document},
	{.method = HTTP_DELETE, .pattern = "/api/v1/finance/expenses/{id}", .permission = "finance.delete",
		.credentials = ROUTE_CRED_JWT, .handler = finance_delete, .data = &expense_document},
};

const struct route_table finance_route_table = {
	.module_name = "finance",
	.routes = finance_routes,
	.route_count = sizeof(finance_routes) / sizeof(finance_routes[0]),
};

const struct resource_def *const finance_resources[] = {&finance_invoices, &finance_expenses, NULL};

/* ---------------------------------------------------------------- statements */

#define DOCUMENT_STATEMENTS(block, kind, table, id, amount) \
	[block + DOC_STMT_STATE] = {"finance." kind "_state", \
		"SELECT status, created_by, version FROM " table " WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL", 1}, \
	[block + DOC_STMT_LOCK] = {"finance." kind "_lock", \
		"SELECT status, created_by, version FROM " table " WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL " \
		"FOR UPDATE", 1}, \
	[block + DOC_STMT_SUBMIT] = {"finance." kind "_submit", \
		"UPDATE " table " SET status = 'submitted', submitted_at = NOW(3), version = version + 1 " \
		"WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'draft'", 1}, \
	[block + DOC_STMT_APPROVE] = {"finance." kind "_approve", \
		"UPDATE " table " SET status = 'approved', decided_by = ?, decided_at = NOW(3), decision_note = ?, " \
		"version = version + 1 WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'submitted' " \
		"AND NOT (created_by <=> ?)", 1}, \
	[block + DOC_STMT_REJECT] = {"finance." kind "_reject", \
		"UPDATE " table " SET status = 'rejected', decided_by = ?, decided_at = NOW(3), decision_note = ?, " \
		"version = version + 1 WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'submitted' " \
		"AND NOT (created_by <=> ?)", 1}, \
	[block + DOC_STMT_PAY] = {"finance." kind "_pay", \
		"UPDATE " table " SET status = 'paid', paid_at = NOW(3), version = version + 1 " \
		"WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'approved'", 1}, \
	[block + DOC_STMT_REOPEN] = {"finance." kind "_reopen", \
		"UPDATE " table " SET status = 'draft', submitted_at = NULL, first_approved_by = NULL, " \
		"first_approved_at = NULL, version = version + 1 " \
		"WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'rejected' AND created_by <=> ?", 1}, \
	[block + DOC_STMT_APPROVAL_LOCK] = {"finance." kind "_approval_lock", \
		"SELECT status, created_by, " amount ", currency, first_approved_by FROM " table " WHERE tenant_id = ? " \
		"AND " id " = ? AND deleted_at IS NULL FOR UPDATE", 1}, \
	[block + DOC_STMT_FIRST_APPROVE] = {"finance." kind "_first_approve", \
		"UPDATE " table " SET first_approved_by = ?, first_approved_at = NOW(3), version = version + 1 " \
		"WHERE tenant_id = ? AND " id " = ? AND deleted_at IS NULL AND status = 'submitted' " \
		"AND first_approved_by IS NULL AND NOT (created_by <=> ?)", 1}, \
	[block + DOC_STMT_DELETE] = {"finance." kind "_delete", \
		"UPDATE " table " SET deleted_at = NOW(3), version = version + 1 WHERE tenant_id = ? AND " id " = ? " \
		"AND deleted_at IS NULL AND status = 'draft' AND (? = 0 OR version = ?)", 1}


static const struct db_statement_def finance_statements[FINANCE_STMT__MAX] = {
	DOCUMENT_STATEMENTS(FINANCE_INVOICE_BLOCK, "invoice", "finance_invoices", "invoice_id", "total_minor"),
	DOCUMENT_STATEMENTS(FINANCE_EXPENSE_BLOCK, "expense", "finance_expenses", "expense_id", "amount_minor"),
	/* All of an invoice's lines in one round trip, whatever their number: the
	 * server-computed lines travel as one JSON array that JSON_TABLE unpacks
	 * (integers convert exactly; the amounts are never floating point). */
	[FINANCE_STMT_LINES_INSERT] = {.name = "finance.invoice_lines_insert",
		.sql = "INSERT INTO finance_invoice_lines (tenant_id, invoice_id, line_no, description, quantity, unit_price_minor, "
		"tax_rate_bp, line_total_minor, tax_minor) "
		"SELECT ?, ?, line.line_no, line.description, line.quantity, line.unit_price, line.tax_rate_bp, "
		"line.line_total, line.tax FROM JSON_TABLE(?, '$[*]' COLUMNS ("
		"line_no FOR ORDINALITY, description VARCHAR(500) PATH '$.description', quantity INT PATH '$.quantity', "
		"unit_price BIGINT PATH '$.unitPrice', tax_rate_bp INT PATH '$.taxRateBp', "
		"line_total BIGINT PATH '$.lineTotal', tax BIGINT PATH '$.tax')) AS line",
		.tenant_bound = 1},
	[FINANCE_STMT_LINES_DELETE] = {.name = "finance.invoice_lines_delete",
		.sql = "DELETE FROM finance_invoice_lines WHERE tenant_id = ? AND invoice_id = ?", .tenant_bound = 1},
	[FINANCE_STMT_LINES_SELECT] = {.name = "finance.invoice_lines",
		.sql = "SELECT line_no, description, quantity, unit_price_minor, tax_rate_bp, line_total_minor, tax_minor "
		"FROM finance_invoice_lines WHERE tenant_id = ? AND invoice_id = ? ORDER BY line_no",
		.tenant_bound = 1},
	[FINANCE_STMT_TOTALS] = {.name = "finance.invoice_totals",
		.sql = "UPDATE finance_invoices SET subtotal_minor = ?, tax_minor = ?, total_minor = ? "
		"WHERE tenant_id = ? AND invoice_id = ?",
		.tenant_bound = 1},
	[FINANCE_STMT_VOID] = {.name = "finance.invoice_void",
		.sql = "UPDATE finance_invoices SET status = 'void', voided_by = ?, voided_at = NOW(3), void_reason = ?, "
		"version = version + 1 WHERE tenant_id = ? AND invoice_id = ? AND deleted_at IS NULL AND status = 'paid'",
		.tenant_bound = 1},
	[FINANCE_STMT_CREDIT_LOCK] = {.name = "finance.invoice_credit_lock",
		.sql = "SELECT status, document_type FROM finance_invoices WHERE tenant_id = ? AND invoice_id = ? "
		"AND deleted_at IS NULL FOR UPDATE",
		.tenant_bound = 1},
	/* The credit note: the credited invoice's customer, currency and
	 * amounts, issued today and approved by whoever issues it. */
	[FINANCE_STMT_CREDIT_INSERT] = {.name = "finance.credit_note_insert",
		.sql = "INSERT INTO finance_invoices (tenant_id, number, document_type, credited_invoice_id, customer_name, "
		"account_id, currency, issue_date, notes, subtotal_minor, tax_minor, total_minor, status, submitted_at, "
		"decided_by, decided_at, created_by) SELECT tenant_id, ?, 'credit_note', invoice_id, customer_name, "
		"account_id, currency, UTC_DATE(), ?, subtotal_minor, tax_minor, total_minor, 'approved', NOW(3), ?, NOW(3), ? "
		"FROM finance_invoices WHERE tenant_id = ? AND invoice_id = ?",
		.tenant_bound = 1},
	[FINANCE_STMT_CREDIT_LINES] = {.name = "finance.credit_note_lines",
		.sql = "INSERT INTO finance_invoice_lines (tenant_id, invoice_id, line_no, description, quantity, "
		"unit_price_minor, tax_rate_bp, line_total_minor, tax_minor) SELECT tenant_id, ?, line_no, description, "
		"quantity, unit_price_minor, tax_rate_bp, line_total_minor, tax_minor FROM finance_invoice_lines "
		"WHERE tenant_id = ? AND invoice_id = ?",
		.tenant_bound = 1},
	[FINANCE_STMT_CREDITED] = {.name = "finance.invoice_credited",
		.sql = "UPDATE finance_invoices SET status = 'credited', credit_note_id = ?, version = version + 1 "
		"WHERE tenant_id = ? AND invoice_id = ? AND deleted_at IS NULL AND status = 'paid'",
		.tenant_bound = 1},
	[FINANCE_STMT_LIMIT] = {.name = "finance.approval_limit",
		.sql = "SELECT limit_minor FROM finance_approval_limits WHERE tenant_id = ? AND profile_id = ? AND currency = ?",
		.tenant_bound = 1},
	[FINANCE_STMT_LIMITS_LIST] = {.name = "finance.approval_limits",
		.sql = "SELECT l.profile_id, p.name, l.currency, l.limit_minor FROM finance_approval_limits l "
		"JOIN profiles p ON p.tenant_id = l.tenant_id AND p.profile_id = l.profile_id "
		"WHERE l.tenant_id = ? ORDER BY l.profile_id, l.currency LIMIT 1000",
		.tenant_bound = 1},
	[FINANCE_STMT_LIMIT_LOCK] = {.name = "finance.approval_limit_lock",
		.sql = "SELECT limit_minor FROM finance_approval_limits WHERE tenant_id = ? AND profile_id = ? AND currency = ? "
		"FOR UPDATE",
		.tenant_bound = 1},
	[FINANCE_STMT_LIMIT_SET] = {.name = "finance.approval_limit_set",
		.sql = "INSERT INTO finance_approval_limits (tenant_id, profile_id, currency, limit_minor, created_by) "
		"VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE limit_minor = VALUES(limit_minor)",
		.tenant_bound = 1},
	[FINANCE_STMT_LIMIT_REMOVE] = {.name = "finance.approval_limit_remove",
		.sql = "DELETE FROM finance_approval_limits WHERE tenant_id = ? AND profile_id = ? AND currency = ?",
		.tenant_bound = 1},
	[FINANCE_STMT_PROFILE_EXISTS] = {.name = "finance.profile_exists",
		.sql = "SELECT COUNT(*) FROM profiles WHERE tenant_id = ? AND profile_id = ?",
		.tenant_bound = 1},
};

const struct statement_table finance_statement_table = {"finance", finance_statements, FINANCE_STMT__MAX};

/* ---------------------------------------------------------------- the flow */

/* Who may take a step beyond the route's permission, and what its UPDATE binds. */
enum finance_step_kind {
	FINANCE_STEP_PLAIN,    /* (tenant, id) */
	FINANCE_STEP_DECISION, /* (user, note, tenant, id, user): records the decider; never one's own document */
	FINANCE_STEP_AUTHOR,   /* (tenant, id, user): only the document's author */
	FINANCE_STEP_REASON,   /* (user, reason, tenant, id): records who and why */
};

struct finance_transition {
	enum finance_document_statement statement;
	const char *action;      /* "approve": audit action "finance.invoice.approve" */
	const char *from_status; /* the only status it applies to */
	const char *to_status;
	const char *done;        /* "approved", for messages */
	enum finance_step_kind kind;
	const struct db_statement_def *fixed; /* a statement of one document only, instead of its block's */
	const char *text_field;  /* the body member audited with it: "note", "reason" */
};

static const struct finance_transition finance_submit_step = {DOC_STMT_SUBMIT, "submit", "draft", "submitted",
	"submitted", FINANCE_STEP_PLAIN, NULL, NULL};
static const struct finance_transition finance_approve_step = {DOC_STMT_APPROVE, "approve", "submitted", "approved",
	"approved", FINANCE_STEP_DECISION, NULL, "note"};
static const struct finance_transition finance_reject_step = {DOC_STMT_REJECT, "reject", "submitted", "rejected",
	"rejected", FINANCE_STEP_DECISION, NULL, "note"};
static const struct finance_transition finance_pay_step = {DOC_STMT_PAY, "pay", "approved", "paid", "marked paid",
	FINANCE_STEP_PLAIN, NULL, NULL};
static const struct finance_transition finance_reopen_step = {DOC_STMT_REOPEN, "reopen", "rejected", "draft",
	"reopened", FINANCE_STEP_AUTHOR, NULL, NULL};
static const struct finance_transition finance_void_step = {DOC_STMT__MAX, "void", "paid", "void", "voided",
	FINANCE_STEP_REASON, &finance_statements[FINANCE_STMT_VOID], "reason"};


/* ---------------------------------------------------------------- helpers */

struct finance_state {
	int found;
	char status[16];
	uint64_t created_by;
	int64_t version;
	char document_type[16];
};

static int finance_read_state(void *callback_context, const struct db_row *row)
{
	struct finance_state *state = callback_context;
	if (row->column_count != 3 || row->values[0] == NULL)
		return 0;
	state->found = 1;
	snprintf(state->status, sizeof(state->status), "%s", row->values[0]);
	state->created_by = row->values[1] ? strtoull(row->values[1], NULL, 10) : 0;
	state->version = row->values[2] ? strtoll(row->values[2], NULL, 10) : 0;
	return 0;
}

/* (status, document_type) of an invoice. */
static int finance_read_kind(void *callback_context, const struct db_row *row)
{
	struct finance_state *state = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	state->found = 1;
	snprintf(state->status, sizeof(state->status), "%s", row->values[0]);
	snprintf(state->document_type, sizeof(state->document_type), "%s", row->values[1]);
	return 0;
}

static int finance_load_state(struct request_context *context, const struct finance_document *document,
	enum finance_document_statement statement, uint64_t id, struct finance_state *state)
{
	memset(state, 0, sizeof(*state));
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
	return db_query(context->db, &document->statements[statement], key, 2, finance_read_state, state);
}

static void finance_refuse_not_draft(struct request_context *context, const struct finance_document *document,
	const struct finance_state *state, const char *what)
{
	char message[160];
	snprintf(message, sizeof(message), "%s is %s, not draft: it cannot be %s", document->resource->singular,
		state->status, what);
	response_error(context->response, STATUS_CONFLICT, message);
	response_add_detail(context->response, "status", "is %s", state->status);
}

static void finance_refuse_stale(struct request_context *context)
{
	response_error(context->response, STATUS_CONFLICT, "The record was changed by someone else");
	response_add_detail(context->response, "If-Match", "does not match the current version; reload and retry");
}

static void finance_set_etag(struct request_context *context, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	response_add_header(context->response, "ETag", etag);
}

static json_object *finance_int_json(const char *value)
{
	return json_object_new_int64(value ? strtoll(value, NULL, 10) : 0);
}

static int finance_collect_line(void *callback_context, const struct db_row *row)
{
	json_object *lines = callback_context;
	if (row->column_count != 7 || row->values[0] == NULL)
		return 0;
	json_object *line = json_object_new_object();
	json_object_object_add(line, "lineNo", finance_int_json(row->values[0]));
	json_object_object_add(line, "description", module_string_or_null(row->values[1]));
	json_object_object_add(line, "quantity", finance_int_json(row->values[2]));
	json_object_object_add(line, "unitPrice", finance_int_json(row->values[3]));
	json_object_object_add(line, "taxRateBp", finance_int_json(row->values[4]));
	json_object_object_add(line, "lineTotal", finance_int_json(row->values[5]));
	json_object_object_add(line, "tax", finance_int_json(row->values[6]));
	json_object_array_add(lines, line);
	return 0;
}

/* Answer with one document (an invoice with its lines), setting ETag. */
static void finance_respond(struct request_context *context, const struct finance_document *document, uint64_t id,
	int created, const char *message)
{
	if (!document->has_lines) {
		resource_respond_one(context, document->resource, id, created, message);
		return;
	}
	json_object *record = NULL;
	int64_t version = 0;
	int result = resource_load(context, document->resource, id, 0, &record, &version);
	json_object *lines = json_object_new_array();
	if (result == DB_OK && record != NULL) {
		struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
		result = db_query(context->db, &finance_statements[FINANCE_STMT_LINES_SELECT], key, 2, finance_collect_line,
			lines);
	}
	if (result != DB_OK || record == NULL) {
		json_object_put(lines);
		if (record)
			json_object_put(record);
		if (result != DB_OK)
			respond_db_failure(context, result, document->resource->name);
		else
			module_not_found(context, document->resource->singular);
		return;
	}
	json_object_object_add(record, "lines", lines);
	finance_set_etag(context, version);
	response_ok(context->response, created ? STATUS_CREATED : STATUS_OK, record, message);
}

/* A write refused by the database for a duplicate: for invoices the number. */
static void finance_db_failure(struct request_context *context, const struct finance_document *document, int result)
{
	if (result == DB_DUPLICATE && document->has_lines) {
		response_error(context->response, STATUS_CONFLICT, "An invoice with this number already exists");
		response_add_detail(context->response, "number", "is already used in this tenant");
		return;
	}
	respond_db_failure(context, result, document->resource->name);
}

/* ---------------------------------------------------------------- bodies */

struct finance_line {
	const char *description;
	int64_t quantity, unit_price_minor, tax_rate_bp;
	struct finance_line_amounts amounts;
};

struct finance_lines {
	int given;
	size_t count;
	struct finance_line items[FINANCE_LINES_MAX];
	struct finance_totals totals;
};

static void finance_body_issue(struct request_context *context, int *failures, enum status status, const char *field,
	const char *issue)
{
	if ((*failures)++ == 0)
		response_error(context->response, status,
			status == STATUS_VALIDATION_ERROR ? "Invalid request body" : "Amounts too large");
	response_add_detail(context->response, field, "%s", issue);
}

/* An integer member of a line within [min, max]; json-c clamps numbers above
 * INT64_MAX, so those are caught by comparing with the unsigned reading. */
static int finance_line_integer(struct request_context *context, int *failures, json_object *line, size_t index,
	const char *name, int required, int64_t min_value, int64_t max_value, int64_t *out)
{
	char field[64];
	snprintf(field, sizeof(field), "lines[%zu].%s", index, name);
	json_object *value = NULL;
	if (!json_object_object_get_ex(line, name, &value)) {
		if (required)
			finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field, "is required");
		return -1;
	}
	if (value == NULL) {
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field,
			required ? "is required" : "must not be null");
		return -1;
	}
	char issue[96];
	snprintf(issue, sizeof(issue), "must be an integer from %lld to %lld", (long long)min_value,
		(long long)max_value);
	if (!json_object_is_type(value, json_type_int)) {
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field, issue);
		return -1;
	}
	int64_t number = json_object_get_int64(value);
	if (number < min_value || number > max_value || (number >= 0 && json_object_get_uint64(value) != (uint64_t)number)) {
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field, issue);
		return -1;
	}
	*out = number;
	return 0;
}

static void finance_parse_line(struct request_context *context, int *failures, json_object *line, size_t index,
	struct finance_line *out)
{
	char field[64];
	if (!json_object_is_type(line, json_type_object)) {
		snprintf(field, sizeof(field), "lines[%zu]", index);
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field,
			"must be an object {description, quantity, unitPrice, taxRateBp}");
		return;
	}
	json_object *description = NULL;
	snprintf(field, sizeof(field), "lines[%zu].description", index);
	if (!json_object_object_get_ex(line, "description", &description) || description == NULL) {
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field, "is required");
	} else if (!json_object_is_type(description, json_type_string) ||
		json_object_get_string_len(description) < 1 ||
		json_object_get_string_len(description) > FINANCE_LINE_DESCRIPTION_MAX ||
		strlen(json_object_get_string(description)) != (size_t)json_object_get_string_len(description)) {
		finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field,
			"must be a string of 1 to 500 characters without NUL");
	} else {
		out->description = json_object_get_string(description);
	}
	out->tax_rate_bp = 0;
	finance_line_integer(context, failures, line, index, "quantity", 1, 1, INT32_MAX, &out->quantity);
	finance_line_integer(context, failures, line, index, "unitPrice", 1, 0, INT64_MAX, &out->unit_price_minor);
	finance_line_integer(context, failures, line, index, "taxRateBp", 0, 0, FINANCE_TAX_RATE_BP_MAX,
		&out->tax_rate_bp);
	json_object_object_foreach(line, key, unused)
	{
		(void)unused;
		if (strcmp(key, "description") != 0 && strcmp(key, "quantity") != 0 && strcmp(key, "unitPrice") != 0 &&
			strcmp(key, "taxRateBp") != 0) {
			snprintf(field, sizeof(field), "lines[%zu].%.32s", index, key);
			finance_body_issue(context, failures, STATUS_VALIDATION_ERROR, field, "is not a known field");
		}
	}
}

/* Every line's amounts and the invoice totals; 422 when they overflow. */
static int finance_compute_lines(struct request_context *context, struct finance_lines *lines)
{
	int failures = 0;
	memset(&lines->totals, 0, sizeof(lines->totals));
	for (size_t i = 0; i < lines->count; i++) {
		struct finance_line *line = &lines->items[i];
		char field[32];
		snprintf(field, sizeof(field), "lines[%zu]", i);
		if (finance_money_line(line->quantity, line->unit_price_minor, line->tax_rate_bp, &line->amounts) !=
			FINANCE_MONEY_OK)
			finance_body_issue(context, &failures, STATUS_UNPROCESSABLE, field,
				"quantity x unitPrice plus tax does not fit in a 64-bit amount");
		else if (failures == 0 && finance_money_add_line(&lines->totals, &line->amounts) != FINANCE_MONEY_OK)
			finance_body_issue(context, &failures, STATUS_UNPROCESSABLE, "lines",
				"the invoice total does not fit in a 64-bit amount");
	}
	return failures ? -1 : 0;
}

/* The body of a create (creating = 1) or PATCH: the engine's field checks,
 * then for invoices `lines` (required on create), every failure in one
 * VALIDATION_ERROR; then the money maths (422 on overflow). */
static int finance_read_body(struct request_context *context, const struct finance_document *document, int creating,
	struct finance_lines *lines)
{
	const struct resource_runtime *runtime = document->resource->runtime;
	struct input_spec spec = creating ? runtime->create_input : runtime->update_input;
	lines->given = 0;
	lines->count = 0;
	if (!document->has_lines)
		return validate_input(context->request, &spec, context->response);
	spec.allow_unknown_fields = 1; /* "lines" is checked here, and so are unknown members */
	int failures = validate_input(context->request, &spec, context->response) != 0;
	json_object *body = context->request->json_body;
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return -1;
	json_object_object_foreach(body, key, unused)
	{
		(void)unused;
		int known = strcmp(key, "lines") == 0;
		for (size_t i = 0; i < spec.field_count && !known; i++)
			known = strcmp(spec.fields[i].name, key) == 0;
		if (!known) {
			char field[80];
			snprintf(field, sizeof(field), "%.64s", key);
			finance_body_issue(context, &failures, STATUS_VALIDATION_ERROR, field, "is not a known field");
		}
	}
	json_object *items = NULL;
	lines->given = json_object_object_get_ex(body, "lines", &items);
	if (!lines->given && creating) {
		finance_body_issue(context, &failures, STATUS_VALIDATION_ERROR, "lines", "is required");
	} else if (lines->given) {
		size_t count = json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
		if (count < 1 || count > FINANCE_LINES_MAX) {
			finance_body_issue(context, &failures, STATUS_VALIDATION_ERROR, "lines",
				"must be an array of 1 to 200 lines");
		} else {
			lines->count = count;
			for (size_t i = 0; i < count; i++)
				finance_parse_line(context, &failures, json_object_array_get_idx(items, i), i, &lines->items[i]);
		}
	}
	if (failures)
		return -1;
	return lines->given ? finance_compute_lines(context, lines) : 0;
}

/* (given, value) for every writable field, in the order of the engine's
 * generated UPDATE. The document fields have no booleans. */
static size_t finance_bind_body(struct request_context *context, const struct resource_def *resource,
	struct db_param *params)
{
	size_t count = 0;
	for (size_t i = 0; i < resource->field_count; i++) {
		const struct resource_field *field = &resource->fields[i];
		if (field->flags & RESOURCE_READONLY)
			continue;
		int given = input_has_field(context->request, field->api_name);
		json_object *value = input_field(context->request, field->api_name);
		params[count++] = DB_INT(given);
		if (!given || value == NULL)
			params[count++] = DB_NULL;
		else if (field->kind == RESOURCE_INTEGER || field->kind == RESOURCE_REFERENCE)
			params[count++] = DB_INT(json_object_get_int64(value));
		else
			params[count++] = DB_TEXT(json_object_get_string(value));
	}
	return count;
}

/* Inside the caller's transaction: the invoice's lines (replacing any) and totals. */
static int finance_store_lines(struct request_context *context, uint64_t invoice_id, const struct finance_lines *lines,
	int replace)
{
	uint64_t tenant_id = context->request->auth.tenant_id;
	struct db_param key[] = {DB_UINT(tenant_id), DB_UINT(invoice_id)};
	int result = DB_OK;
	if (replace)
		result = db_exec(context->db, &finance_statements[FINANCE_STMT_LINES_DELETE], key, 2, NULL, NULL);
	if (result != DB_OK)
		return result;
	json_object *array = json_object_new_array();
	for (size_t i = 0; i < lines->count; i++) {
		const struct finance_line *line = &lines->items[i];
		json_object *item = json_object_new_object();
		json_object_object_add(item, "description", json_object_new_string(line->description));
		json_object_object_add(item, "quantity", json_object_new_int64(line->quantity));
		json_object_object_add(item, "unitPrice", json_object_new_int64(line->unit_price_minor));
		json_object_object_add(item, "taxRateBp", json_object_new_int64(line->tax_rate_bp));
		json_object_object_add(item, "lineTotal", json_object_new_int64(line->amounts.line_total_minor));
		json_object_object_add(item, "tax", json_object_new_int64(line->amounts.tax_minor));
		json_object_array_add(array, item);
	}
	const char *text = json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct db_param insert[] = {DB_UINT(tenant_id), DB_UINT(invoice_id), DB_TEXT(text)};
	uint64_t inserted = 0;
	result = db_exec(context->db, &finance_statements[FINANCE_STMT_LINES_INSERT], insert, 3, &inserted, NULL);
	json_object_put(array);
	if (result == DB_OK && inserted != lines->count) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "invoice %llu: %llu of %zu lines stored",
			(unsigned long long)invoice_id, (unsigned long long)inserted, lines->count);
		return DB_ERROR;
	}
	struct db_param totals[] = {DB_INT(lines->totals.subtotal_minor), DB_INT(lines->totals.tax_minor),
		DB_INT(lines->totals.total_minor), DB_UINT(tenant_id), DB_UINT(invoice_id)};
	if (result == DB_OK)
		result = db_exec(context->db, &finance_statements[FINANCE_STMT_TOTALS], totals, 5, NULL, NULL);
	return result;
}

/* ---------------------------------------------------------------- handlers */

static void finance_invoice_get(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	resource_prepare(document->resource);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, document->resource->singular);
		return;
	}
	finance_respond(context, document, id, 0, document->resource->singular);
}

/* The engine's create steps, with the lines and totals beside the row. */
struct finance_create_state {
	const struct finance_document *document;
	const struct finance_lines *lines;
};

static int finance_create_lines(struct request_context *context, void *state, uint64_t id)
{
	const struct finance_create_state *create = state;
	return finance_store_lines(context, id, create->lines, 0);
}

static void finance_create_failed(struct request_context *context, void *state, int result)
{
	finance_db_failure(context, ((const struct finance_create_state *)state)->document, result);
}

static void finance_create_respond(struct request_context *context, void *state, uint64_t id, const char *message)
{
	finance_respond(context, ((const struct finance_create_state *)state)->document, id, 1, message);
}

/* Like the engine's create, plus the lines and totals in the same
 * transaction, and the same Idempotency-Key replay. */
static void finance_invoice_create(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	struct finance_lines lines; /* about 10 KB */
	if (finance_read_body(context, document, 1, &lines) != 0 || resource_check_references_or_reply(context, resource) != 0)
		return;
	struct finance_create_state state = {.document = document, .lines = &lines};
	const struct resource_create_steps steps = {.after_insert = finance_create_lines, .fail = finance_create_failed,
		.respond = finance_create_respond, .message = "Invoice created", .state = &state};
	resource_create_with(context, resource, &steps);
}

/* PATCH of a draft. The row is locked first, so a concurrent submit either
 * happens before (and this answers 409) or waits for this edit to commit. */
static void finance_update(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	uint64_t id;
	int64_t expected_version;
	if (resource_read_target_or_reply(context, resource, &id, &expected_version) != 0)
		return;
	struct finance_lines lines;
	if (finance_read_body(context, document, 0, &lines) != 0 || resource_check_references_or_reply(context, resource) != 0)
		return;
	struct finance_state state;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = finance_load_state(context, document, DOC_STMT_LOCK, id, &state);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (!state.found || strcmp(state.status, "draft") != 0 ||
		(expected_version != 0 && state.version != expected_version)) {
		if (!state.found)
			module_not_found(context, resource->singular);
		else if (strcmp(state.status, "draft") != 0)
			finance_refuse_not_draft(context, document, &state, "edited");
		else
			finance_refuse_stale(context);
		return;
	}
	struct db_param params[2 * RESOURCE_MAX_FIELDS + 4];
	size_t count = finance_bind_body(context, resource, params);
	params[count++] = DB_UINT(context->request->auth.tenant_id);
	params[count++] = DB_UINT(id);
	params[count++] = DB_INT(expected_version);
	params[count++] = DB_INT(expected_version);
	result = db_exec(context->db, &resource->runtime->statements[RESOURCE_STMT_UPDATE], params, count, NULL, NULL);
	if (result == DB_OK && lines.given)
		result = finance_store_lines(context, id, &lines, 1);
	if (result != DB_OK) {
		finance_db_failure(context, document, result);
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s updated", resource->singular);
	finance_respond(context, document, id, 0, message);
	if (!status_is_success(context->response->status) || (result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, resource->name);
	}
}

/* Soft delete of a draft: one conditional UPDATE; a miss is explained by a re-read. */
static void finance_delete(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	uint64_t id;
	int64_t expected_version;
	if (resource_read_target_or_reply(context, resource, &id, &expected_version) != 0)
		return;
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id), DB_INT(expected_version),
		DB_INT(expected_version)};
	uint64_t matched = 0;
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, &document->statements[DOC_STMT_DELETE], params, 4, &matched, NULL);
	if (result == DB_OK && matched == 1)
		result = resource_count_rows(context, resource, -1);
	if (result == DB_OK)
		result = matched == 1 ? db_commit(context->db) : (db_rollback(context->db), DB_OK);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (matched == 0) {
		struct finance_state state;
		result = finance_load_state(context, document, DOC_STMT_STATE, id, &state);
		if (result != DB_OK)
			respond_db_failure(context, result, resource->name);
		else if (!state.found)
			module_not_found(context, resource->singular);
		else if (strcmp(state.status, "draft") != 0)
			finance_refuse_not_draft(context, document, &state, "deleted");
		else
			finance_refuse_stale(context);
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s deleted", resource->singular);
	response_ok(context->response, STATUS_OK, json_object_new_object(), message);
}

/* Why a transition's UPDATE matched nothing, read after the rollback (so it
 * sees what the winner of a race committed): 404, 409 (wrong state) or 403. */
static void finance_explain_refusal(struct request_context *context, const struct finance_document *document,
	const struct finance_transition *transition, uint64_t id)
{
	const struct resource_def *resource = document->resource;
	struct finance_state state;
	int result = finance_load_state(context, document, DOC_STMT_STATE, id, &state);
	char message[160];
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
	} else if (!state.found) {
		module_not_found(context, resource->singular);
	} else if (strcmp(state.status, transition->from_status) != 0) {
		snprintf(message, sizeof(message), "%s is %s, not %s: it cannot be %s", resource->singular, state.status,
			transition->from_status, transition->done);
		response_error(context->response, STATUS_CONFLICT, message);
		response_add_detail(context->response, "status", "is %s", state.status);
	} else if (transition->kind == FINANCE_STEP_DECISION && state.created_by == context->request->auth.user_id) {
		snprintf(message, sizeof(message), "You cannot %s your own %s; another approver must decide",
			transition->action, document->kind);
		response_error(context->response, STATUS_FORBIDDEN, message);
		response_add_detail(context->response, "createdBy", "is you");
	} else if (transition->kind == FINANCE_STEP_AUTHOR && state.created_by != context->request->auth.user_id) {
		snprintf(message, sizeof(message), "Only the author of this %s can %s it", document->kind,
			transition->action);
		response_error(context->response, STATUS_FORBIDDEN, message);
		response_add_detail(context->response, "createdBy", "is another user");
	} else {
		/* the status matched again after the miss: changed meanwhile */
		response_error(context->response, STATUS_CONFLICT, "Concurrent update, try again");
	}
}

/* Audit details of a step: {"before": {"status"}, "after": {"status"
 * [, "creditNoteId"]} [, "note" | "reason": text]}. */
static void finance_change_details(const char *from, const char *to, const char *text_field, const char *text,
	uint64_t credit_note_id, char *out, size_t size)
{
	json_object *details = json_object_new_object();
	json_object *before = json_object_new_object();
	json_object *after = json_object_new_object();
	json_object_object_add(before, "status", json_object_new_string(from));
	json_object_object_add(after, "status", json_object_new_string(to));
	if (credit_note_id != 0)
		json_object_object_add(after, "creditNoteId", json_object_new_int64((int64_t)credit_note_id));
	json_object_object_add(details, "before", before);
	json_object_object_add(details, "after", after);
	if (text_field != NULL && text != NULL)
		json_object_object_add(details, text_field, json_object_new_string(text));
	snprintf(out, size, "%s", json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
}

/* One step of the flow: a single conditional UPDATE decides it, so of two
 * concurrent approvals the second waits for the first's row lock, then
 * matches nothing and answers 409. The audit entry commits with the change. */
static void finance_transition_run(struct request_context *context, const struct finance_transition *transition,
	int in_transaction)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, resource->singular);
		return;
	}
	/* The route declares the body: a note for decisions, a reason to void, nothing otherwise. */
	const char *note = transition->text_field ? input_string(context->request, transition->text_field) : NULL;
	const struct auth_context *auth = &context->request->auth;
	struct db_param params[5];
	size_t count = 0;
	if (transition->kind == FINANCE_STEP_DECISION || transition->kind == FINANCE_STEP_REASON) {
		params[count++] = DB_UINT(auth->user_id);
		params[count++] = note ? DB_TEXT(note) : DB_NULL;
	}
	params[count++] = DB_UINT(auth->tenant_id);
	params[count++] = DB_UINT(id);
	if (transition->kind == FINANCE_STEP_DECISION || transition->kind == FINANCE_STEP_AUTHOR)
		params[count++] = DB_UINT(auth->user_id);
	const struct db_statement_def *statement =
		transition->fixed ? transition->fixed : &document->statements[transition->statement];
	uint64_t matched = 0;
	int result = in_transaction ? DB_OK : db_begin(context->db);
	if (result == DB_OK)
		result = db_exec(context->db, statement, params, count, &matched, NULL);
	if (result == DB_OK && matched == 0) {
		finance_explain_refusal(context, document, transition, id);
		return;
	}
	char action[64], target[24], details[FINANCE_NOTE_MAX * 2 + 96];
	snprintf(action, sizeof(action), "finance.%s.%s", document->kind, transition->action);
	snprintf(target, sizeof(target), "%llu", (unsigned long long)id);
	finance_change_details(transition->from_status, transition->to_status, transition->text_field, note, 0, details,
		sizeof(details));
	struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", document->kind, target,
		context->request->remote_addr, context->request->request_id, details};
	if (result == DB_OK)
		result = audit_record(context->db, &event);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	char message[96];
	snprintf(message, sizeof(message), "%s %s", resource->singular, transition->done);
	finance_respond(context, document, id, 0, message);
	if (!status_is_success(context->response->status) || (result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, resource->name);
	}
}

static void finance_transition(struct request_context *context, const struct finance_transition *transition)
{
	finance_transition_run(context, transition, 0);
}

static void finance_submit(struct request_context *context)
{
	finance_transition(context, &finance_submit_step);
}

/* What an approval decides on: the row locked (DOC_STMT_APPROVAL_LOCK). */
struct finance_approval_row {
	int found;
	char status[16];
	uint64_t created_by, first_approved_by;
	int64_t amount;
	char currency[4];
};

static int finance_read_approval_row(void *callback_context, const struct db_row *row)
{
	struct finance_approval_row *out = callback_context;
	if (row->column_count != 5 || row->values[0] == NULL || row->values[2] == NULL || row->values[3] == NULL)
		return 0;
	out->found = 1;
	snprintf(out->status, sizeof(out->status), "%s", row->values[0]);
	out->created_by = row->values[1] ? strtoull(row->values[1], NULL, 10) : 0;
	out->amount = strtoll(row->values[2], NULL, 10);
	snprintf(out->currency, sizeof(out->currency), "%s", row->values[3]);
	out->first_approved_by = row->values[4] ? strtoull(row->values[4], NULL, 10) : 0;
	return 0;
}

static int finance_read_limit(void *callback_context, const struct db_row *row)
{
	if (row->column_count == 1 && row->values[0] != NULL)
		*(int64_t *)callback_context = strtoll(row->values[0], NULL, 10);
	return 0;
}

/* Approve, with the threshold: the row is locked, then the caller's
 * profile limit in the document's currency says whether this approval
 * completes it or is the first of two (a second approver, neither the
 * creator nor the first, completes it). The state and the creator are
 * refused as for every step; the first approver approving again is 403. */
static void finance_approve(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, resource->singular);
		return;
	}
	const struct auth_context *auth = &context->request->auth;
	struct finance_approval_row row = {0};
	int64_t limit = -1;
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_UINT(id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &document->statements[DOC_STMT_APPROVAL_LOCK], key, 2,
			finance_read_approval_row, &row);
	struct db_param limit_key[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->profile_id), DB_TEXT(row.currency)};
	if (result == DB_OK && row.found && strcmp(row.status, "submitted") == 0)
		result = db_query(context->db, &finance_statements[FINANCE_STMT_LIMIT], limit_key, 3, finance_read_limit,
			&limit);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (!row.found || strcmp(row.status, "submitted") != 0 || row.created_by == auth->user_id) {
		finance_explain_refusal(context, document, &finance_approve_step, id);
		return;
	}
	enum finance_approval_step step = finance_approval_decide(row.amount, limit, row.first_approved_by, auth->user_id);
	if (step == FINANCE_APPROVAL_SAME_TWICE) {
		char message[160];
		snprintf(message, sizeof(message), "You already approved this %s; above your approval limit a second "
			"approver must approve it", document->kind);
		response_error(context->response, STATUS_FORBIDDEN, message);
		response_add_detail(context->response, "firstApprovedBy", "is you");
		return;
	}
	if (step == FINANCE_APPROVAL_FIRST) {
		struct db_param first[] = {DB_UINT(auth->user_id), DB_UINT(auth->tenant_id), DB_UINT(id),
			DB_UINT(auth->user_id)};
		uint64_t matched = 0;
		result = db_exec(context->db, &document->statements[DOC_STMT_FIRST_APPROVE], first, 4, &matched, NULL);
		if (result == DB_OK && matched != 1)
			result = DB_ERROR; /* the row is locked and matched every condition: cannot happen */
		char action[64], target[24], details[160];
		snprintf(action, sizeof(action), "finance.%s.first_approve", document->kind);
		snprintf(target, sizeof(target), "%llu", (unsigned long long)id);
		snprintf(details, sizeof(details),
			"{\"before\":{\"status\":\"submitted\",\"firstApprovedBy\":null},"
			"\"after\":{\"status\":\"submitted\",\"firstApprovedBy\":%llu},\"limit\":%lld}",
			(unsigned long long)auth->user_id, (long long)limit);
		struct audit_event event = {auth->tenant_id, auth->user_id, action, "success", document->kind, target,
			context->request->remote_addr, context->request->request_id, details};
		if (result == DB_OK)
			result = audit_record(context->db, &event);
		if (result != DB_OK) {
			respond_db_failure(context, result, resource->name);
			return;
		}
		char message[160];
		snprintf(message, sizeof(message), "%s above your approval limit: first approval recorded, a second "
			"approver must approve it", resource->singular);
		finance_respond(context, document, id, 0, message);
		if (!status_is_success(context->response->status) || (result = db_commit(context->db)) != DB_OK)
			respond_db_failure(context, result == DB_OK ? DB_ERROR : result, resource->name);
		return;
	}
	finance_transition_run(context, &finance_approve_step, 1);
}

static void finance_reject(struct request_context *context)
{
	finance_transition(context, &finance_reject_step);
}

static void finance_pay(struct request_context *context)
{
	finance_transition(context, &finance_pay_step);
}

/* The author of a rejected document takes it back to draft, to edit and
 * submit again; the last decision stays on it until the next one. */
static void finance_reopen(struct request_context *context)
{
	finance_transition(context, &finance_reopen_step);
}

static void finance_void(struct request_context *context)
{
	finance_transition(context, &finance_void_step);
}

/* A paid invoice is credited in full: in one transaction, with the invoice
 * locked, a credit note (a new invoice row, documentType credit_note,
 * approved, numbered by the body) with the invoice's lines and amounts,
 * and the invoice becomes credited, pointing at it. The credit note then
 * follows the flow from approved: pay records the refund. */
static void finance_credit_note(struct request_context *context)
{
	const struct finance_document *document = context->route->data;
	const struct resource_def *resource = document->resource;
	resource_prepare(resource);
	uint64_t id = module_path_id(context, "id");
	if (id == 0) {
		module_not_found(context, resource->singular);
		return;
	}
	const struct auth_context *auth = &context->request->auth;
	const char *number = input_string(context->request, "number");
	const char *notes = input_string(context->request, "notes");
	struct finance_state state = {0};
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_UINT(id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &finance_statements[FINANCE_STMT_CREDIT_LOCK], key, 2, finance_read_kind,
			&state);
	if (result != DB_OK) {
		respond_db_failure(context, result, resource->name);
		return;
	}
	if (!state.found) {
		module_not_found(context, resource->singular);
		return;
	}
	if (strcmp(state.document_type, "invoice") != 0 || strcmp(state.status, "paid") != 0) {
		/* crediting a credit note breaks a rule (422); an invoice not paid is in the wrong state (409) */
		int note = strcmp(state.document_type, "invoice") != 0;
		response_error(context->response, note ? STATUS_UNPROCESSABLE : STATUS_CONFLICT,
			note ? "A credit note cannot be credited" : "Only a paid invoice can be credited");
		response_add_detail(context->response, note ? "documentType" : "status", "is %s",
			note ? state.document_type : state.status);
		return;
	}
	uint64_t credit_id = 0;
	struct db_param insert[] = {DB_TEXT(number), DB_TEXT(notes ? notes : ""), DB_UINT(auth->user_id),
		DB_UINT(auth->user_id), DB_UINT(auth->tenant_id), DB_UINT(id)};
	result = db_exec(context->db, &finance_statements[FINANCE_STMT_CREDIT_INSERT], insert, 6, NULL, &credit_id);
	struct db_param lines[] = {DB_UINT(credit_id), DB_UINT(auth->tenant_id), DB_UINT(id)};
	if (result == DB_OK)
		result = db_exec(context->db, &finance_statements[FINANCE_STMT_CREDIT_LINES], lines, 3, NULL, NULL);
	struct db_param credited[] = {DB_UINT(credit_id), DB_UINT(auth->tenant_id), DB_UINT(id)};
	uint64_t matched = 0;
	if (result == DB_OK)
		result = db_exec(context->db, &finance_statements[FINANCE_STMT_CREDITED], credited, 3, &matched, NULL);
	if (result == DB_OK && matched != 1)
		result = DB_ERROR; /* the row is locked and was paid: cannot happen */
	if (result == DB_OK)
		result = resource_count_rows(context, resource, 1);
	char target[24], details[FINANCE_NOTE_MAX + 160];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)id);
	finance_change_details("paid", "credited", notes ? "notes" : NULL, notes, credit_id, details, sizeof(details));
	struct audit_event event = {auth->tenant_id, auth->user_id, "finance.invoice.credit", "success", "invoice",
		target, context->request->remote_addr, context->request->request_id, details};
	if (result == DB_OK)
		result = audit_record(context->db, &event);
	if (result != DB_OK) {
		finance_db_failure(context, document, result);
		return;
	}
	finance_respond(context, document, credit_id, 1, "Credit note created");
	if (!status_is_success(context->response->status) || (result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, resource->name);
	}
}

/* GET /finance/approval-limits: every limit of the tenant. */
static int finance_collect_limit(void *callback_context, const struct db_row *row)
{
	json_object *list = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "profileId", finance_int_json(row->values[0]));
	json_object_object_add(entry, "profileName", module_string_or_null(row->values[1]));
	json_object_object_add(entry, "currency", module_string_or_null(row->values[2]));
	json_object_object_add(entry, "limit", finance_int_json(row->values[3]));
	json_object_array_add(list, entry);
	return 0;
}

static void finance_limits_list(struct request_context *context)
{
	json_object *list = json_object_new_array();
	struct db_param tenant[] = {DB_UINT(context->request->auth.tenant_id)};
	int result = db_query(context->db, &finance_statements[FINANCE_STMT_LIMITS_LIST], tenant, 1, finance_collect_limit,
		list);
	if (result != DB_OK) {
		json_object_put(list);
		respond_db_failure(context, result, "approval limits");
		return;
	}
	response_ok(context->response, STATUS_OK, list, "Approval limits");
}

/* PUT /finance/approval-limits {"profileId", "currency", "limit"}: sets (or,
 * with null, removes) a profile's limit in a currency, audited with before
 * and after. */
static void finance_limit_set(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	int64_t profile_id = input_integer(context->request, "profileId", 0);
	const char *currency = input_string(context->request, "currency");
	json_object *limit = input_field(context->request, "limit");
	uint64_t profiles = 0;
	int64_t before = -1;
	struct db_param profile[] = {DB_UINT(auth->tenant_id), DB_INT(profile_id)};
	struct db_param key[] = {DB_UINT(auth->tenant_id), DB_INT(profile_id), DB_TEXT(currency)};
	struct db_param set[] = {DB_UINT(auth->tenant_id), DB_INT(profile_id), DB_TEXT(currency),
		DB_INT(limit ? json_object_get_int64(limit) : 0), DB_UINT(auth->user_id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &finance_statements[FINANCE_STMT_PROFILE_EXISTS], profile, 2, module_read_uint64,
			&profiles);
	if (result == DB_OK && profiles == 0) {
		response_error(context->response, STATUS_UNPROCESSABLE, "Referenced record does not exist");
		response_add_detail(context->response, "profileId", "no such profile in this tenant");
		return;
	}
	if (result == DB_OK)
		result = db_query(context->db, &finance_statements[FINANCE_STMT_LIMIT_LOCK], key, 3, finance_read_limit, &before);
	if (result == DB_OK)
		result = limit ? db_exec(context->db, &finance_statements[FINANCE_STMT_LIMIT_SET], set, 5, NULL, NULL)
			       : db_exec(context->db, &finance_statements[FINANCE_STMT_LIMIT_REMOVE], key, 3, NULL, NULL);
	json_object *details = json_object_new_object();
	json_object_object_add(details, "currency", json_object_new_string(currency));
	json_object_object_add(details, "before", before >= 0 ? json_object_new_int64(before) : NULL);
	json_object_object_add(details, "after", limit ? json_object_new_int64(json_object_get_int64(limit)) : NULL);
	char target[24];
	snprintf(target, sizeof(target), "%lld", (long long)profile_id);
	struct audit_event event = {auth->tenant_id, auth->user_id, "finance.approval_limit.set", "success", "profile",
		target, context->request->remote_addr, context->request->request_id,
		json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN)};
	if (result == DB_OK)
		result = audit_record(context->db, &event);
	json_object_put(details);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "approval limits");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "profileId", json_object_new_int64(profile_id));
	json_object_object_add(data, "currency", json_object_new_string(currency));
	json_object_object_add(data, "limit", limit ? json_object_new_int64(json_object_get_int64(limit)) : NULL);
	response_ok(context->response, STATUS_OK, data, limit ? "Approval limit set" : "Approval limit removed");
}

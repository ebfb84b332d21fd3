/* Sales module: leads, accounts, contacts and opportunities on the generic
 * record engine, plus lead conversion (account, contact and optionally an
 * opportunity in one transaction) and the opportunity pipeline summary.
 * An opportunity enters closed_lost only with a lostReason, and every
 * change of its stage is kept in its stage history (and audited).
 * Permissions: sales.view, sales.create, sales.edit, sales.delete. */
#include "auth/audit.h"
#include "auth/rbac.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/module_util.h"
#include "modules/modules.h"
#include "modules/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWNER_FIELD \
	{.api_name = "ownerUserId", .column = "owner_user_id", .kind = RESOURCE_REFERENCE, \
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "users", .reference_id_column = "user_id", \
		.reference_live_condition = "status = 'active'"}

static const char *const lead_statuses_writable[] = {"new", "contacted", "qualified", "lost", NULL};
static const char *const lead_statuses[] = {"new", "contacted", "qualified", "converted", "lost", NULL};
static const char *const opportunity_stages[] = {
	"prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost", NULL};

static const struct resource_field lead_fields[] = {
	{.api_name = "firstName", .column = "first_name", .kind = RESOURCE_TEXT, .flags = RESOURCE_SEARCH, .max_length = 100},
	{.api_name = "lastName", .column = "last_name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 100},
	{.api_name = "company", .column = "company", .kind = RESOURCE_TEXT, .flags = RESOURCE_SEARCH | RESOURCE_SORT,
		.max_length = 200},
	{.api_name = "email", .column = "email", .kind = RESOURCE_EMAIL, .flags = RESOURCE_FILTER, .max_length = 254},
	{.api_name = "phone", .column = "phone", .kind = RESOURCE_TEXT, .max_length = 50},
	{.api_name = "source", .column = "source", .kind = RESOURCE_TEXT, .flags = RESOURCE_FILTER, .max_length = 50},
	/* "converted" is reached only through POST .../convert */
	{.api_name = "status", .column = "status", .kind = RESOURCE_ENUM, .flags = RESOURCE_FILTER,
		.enum_values = lead_statuses_writable, .filter_values = lead_statuses, .default_sql = "'new'"},
	OWNER_FIELD,
	{.api_name = "notes", .column = "notes", .kind = RESOURCE_TEXT, .max_length = 2000},
	{.api_name = "convertedAccountId", .column = "converted_account_id", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_READONLY},
	{.api_name = "convertedContactId", .column = "converted_contact_id", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_READONLY},
	{.api_name = "convertedOpportunityId", .column = "converted_opportunity_id", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_READONLY},
};

static const struct resource_field account_fields[] = {
	{.api_name = "name", .column = "name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 200},
	{.api_name = "industry", .column = "industry", .kind = RESOURCE_TEXT, .flags = RESOURCE_FILTER, .max_length = 100},
	{.api_name = "website", .column = "website", .kind = RESOURCE_TEXT, .max_length = 255},
	{.api_name = "phone", .column = "phone", .kind = RESOURCE_TEXT, .max_length = 50},
	OWNER_FIELD,
	{.api_name = "annualRevenue", .column = "annual_revenue_minor", .kind = RESOURCE_INTEGER,
		.flags = RESOURCE_NULLABLE, .min_value = 0, .max_value = INT64_MAX / 4, .range_name = "revenue"},
	{.api_name = "currency", .column = "currency", .kind = RESOURCE_CURRENCY, .flags = RESOURCE_NULLABLE},
};

static const struct resource_field contact_fields[] = {
	{.api_name = "accountId", .column = "account_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "sales_accounts",
		.reference_id_column = "account_id"},
	{.api_name = "firstName", .column = "first_name", .kind = RESOURCE_TEXT, .flags = RESOURCE_SEARCH, .max_length = 100},
	{.api_name = "lastName", .column = "last_name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 100},
	{.api_name = "email", .column = "email", .kind = RESOURCE_EMAIL, .flags = RESOURCE_FILTER, .max_length = 254},
	{.api_name = "phone", .column = "phone", .kind = RESOURCE_TEXT, .max_length = 50},
	{.api_name = "title", .column = "title", .kind = RESOURCE_TEXT, .max_length = 100},
	OWNER_FIELD,
};

static const struct resource_field opportunity_fields[] = {
	{.api_name = "accountId", .column = "account_id", .kind = RESOURCE_REFERENCE,
		.flags = RESOURCE_FILTER | RESOURCE_NULLABLE, .reference_table = "sales_accounts",
		.reference_id_column = "account_id"},
	{.api_name = "contactId", .column = "contact_id", .kind = RESOURCE_REFERENCE, .flags = RESOURCE_NULLABLE,
		.reference_table = "sales_contacts", .reference_id_column = "contact_id"},
	{.api_name = "name", .column = "name", .kind = RESOURCE_TEXT,
		.flags = RESOURCE_REQUIRED | RESOURCE_SEARCH | RESOURCE_SORT, .max_length = 200},
	{.api_name = "stage", .column = "stage", .kind = RESOURCE_ENUM, .flags = RESOURCE_FILTER,
		.enum_values = opportunity_stages, .default_sql = "'prospecting'"},
	/* money travels as integer minor units (cents) */
	{.api_name = "amount", .column = "amount_minor", .kind = RESOURCE_INTEGER, .flags = RESOURCE_SORT,
		.min_value = 0, .max_value = INT64_MAX / 4, .range_name = "amount"},
	{.api_name = "currency", .column = "currency", .kind = RESOURCE_CURRENCY, .default_sql = "'EUR'"},
	{.api_name = "closeDate", .column = "close_date", .kind = RESOURCE_DATE, .flags = RESOURCE_NULLABLE | RESOURCE_SORT,
		.range_name = "close"},
	{.api_name = "probability", .column = "probability", .kind = RESOURCE_INTEGER, .min_value = 0, .max_value = 100,
		.default_sql = "10"},
	/* required to enter closed_lost; kept afterwards as the last loss's reason */
	{.api_name = "lostReason", .column = "lost_reason", .kind = RESOURCE_TEXT, .flags = RESOURCE_NULLABLE,
		.max_length = 500},
	OWNER_FIELD,
};


static struct resource_runtime lead_runtime, account_runtime, contact_runtime, opportunity_runtime;

/* A converted lead is history: its account, contact and opportunity carry on. */
static const struct resource_def sales_leads = {
	.name = "leads",
	.singular = "Lead",
	.table = "sales_leads",
	.id_column = "lead_id",
	.delete_permission = "sales.delete",
	.fields = lead_fields,
	.field_count = sizeof(lead_fields) / sizeof(lead_fields[0]),
	.runtime = &lead_runtime,
	.locked_condition = "status = 'converted'",
	.locked_message = "A converted lead cannot be changed or deleted",
};
static const struct resource_def sales_accounts = {
	.name = "accounts",
	.singular = "Account",
	.table = "sales_accounts",
	.id_column = "account_id",
	.delete_permission = "sales.delete",
	.fields = account_fields,
	.field_count = sizeof(account_fields) / sizeof(account_fields[0]),
	.runtime = &account_runtime,
};
static const struct resource_def sales_contacts = {
	.name = "contacts",
	.singular = "Contact",
	.table = "sales_contacts",
	.id_column = "contact_id",
	.delete_permission = "sales.delete",
	.fields = contact_fields,
	.field_count = sizeof(contact_fields) / sizeof(contact_fields[0]),
	.runtime = &contact_runtime,
};
static const struct resource_def sales_opportunities = {
	.name = "opportunities",
	.singular = "Opportunity",
	.table = "sales_opportunities",
	.id_column = "opportunity_id",
	.delete_permission = "sales.delete",
	.fields = opportunity_fields,
	.field_count = sizeof(opportunity_fields) / sizeof(opportunity_fields[0]),
	.runtime = &opportunity_runtime,
};

static void sales_convert_lead(struct request_context *context);
static void sales_opportunity_summary(struct request_context *context);
static void sales_opportunity_create(struct request_context *context);
static void sales_opportunity_update(struct request_context *context);
static void sales_opportunity_stages(struct request_context *context);

static const struct field_spec convert_fields[] = {
	{.name = "accountName", .type = FIELD_STRING, .min_length = 1, .max_length = 200},
	{.name = "createOpportunity", .type = FIELD_BOOLEAN},
	{.name = "opportunityName", .type = FIELD_STRING, .min_length = 1, .max_length = 200},
	{.name = "amount", .type = FIELD_INTEGER, .min_value = 0, .max_value = INT64_MAX / 4},
	{.name = "currency", .type = FIELD_CURRENCY},
	{.name = "closeDate", .type = FIELD_DATE},
};
static const struct input_spec convert_input = INPUT_SPEC(convert_fields);

/* The record engine's routes; create and update declare the input specs
 * resource_prepare builds into the runtime at startup. */
#define RESOURCE_ROUTES(base, resource, runtime) \
	{.method = HTTP_GET, .pattern = base, .permission = "sales.view", .credentials = ROUTE_CRED_JWT,              \
		.query = &resource_list_query, .handler = resource_list, .data = &resource, .principal_cache = 1},    \
	{.method = HTTP_POST, .pattern = base, .permission = "sales.create", .credentials = ROUTE_CRED_JWT,           \
		.input = &runtime.create_input, .handler = resource_create, .data = &resource},                       \
	{.method = HTTP_GET, .pattern = base "/{id}", .permission = "sales.view",                                     \
		.credentials = ROUTE_CRED_JWT, .handler = resource_get, .data = &resource},                           \
	{.method = HTTP_PATCH, .pattern = base "/{id}", .permission = "sales.edit",                                   \
		.credentials = ROUTE_CRED_JWT, .input = &runtime.update_input, .handler = resource_update,            \
		.data = &resource},                                                                                   \
	{.method = HTTP_DELETE, .pattern = base "/{id}", .permission = "sales.delete",                                \
		.credentials = ROUTE_CRED_JWT, .handler = resource_delete, .data = &resource}

static const struct route sales_routes[] = {
	/* literal paths before "{id}" patterns */
	{.method = HTTP_GET, .pattern = "/api/v1/sales/opportunities/summary", .permission = "sales.view",
		.credentials = ROUTE_CRED_JWT, .handler = sales_opportunity_summary},
	/* creates records, so sales.create; it also edits the lead (checked inside) */
	{.method = HTTP_POST, .pattern = "/api/v1/sales/leads/{id}/convert", .permission = "sales.create",
		.credentials = ROUTE_CRED_JWT, .input = &convert_input, .handler = sales_convert_lead,
		.data = &sales_leads},
	RESOURCE_ROUTES("/api/v1/sales/leads", sales_leads, lead_runtime),
	RESOURCE_ROUTES("/api/v1/sales/accounts", sales_accounts, account_runtime),
	RESOURCE_ROUTES("/api/v1/sales/contacts", sales_contacts, contact_runtime),
	{.method = HTTP_GET, .pattern = "/api/v1/sales/opportunities/{id}/stage-history", .permission = "sales.view",
		.credentials = ROUTE_CRED_JWT, .handler = sales_opportunity_stages, .data = &sales_opportunities},
	/* the engine's routes, with the stage rules and history on create and update */
	{.method = HTTP_GET, .pattern = "/api/v1/sales/opportunities", .permission = "sales.view",
		.credentials = ROUTE_CRED_JWT, .query = &resource_list_query, .handler = resource_list,
		.data = &sales_opportunities, .principal_cache = 1},
	{.method = HTTP_POST, .pattern = "/api/v1/sales/opportunities", .permission = "sales.create",
		.credentials = ROUTE_CRED_JWT, .input = &opportunity_runtime.create_input, .handler = sales_opportunity_create,
		.data = &sales_opportunities},
	{.method = HTTP_GET, .pattern = "/api/v1/sales/opportunities/{id}", .permission = "sales.view",
		.credentials = ROUTE_CRED_JWT, .handler = resource_get, .data = &sales_opportunities},
	{.method = HTTP_PATCH, .pattern = "/api/v1/sales/opportunities/{id}", .permission = "sales.edit",
		.credentials = ROUTE_CRED_JWT, .input = &opportunity_runtime.update_input, .handler = sales_opportunity_update,
		.data = &sales_opportunities},
	{.method = HTTP_DELETE, .pattern = "/api/v1/sales/opportunities/{id}", .permission = "sales.delete",
		.credentials = ROUTE_CRED_JWT, .handler = resource_delete, .data = &sales_opportunities},
};

const struct route_table sales_route_table = {
	.module_name = "sales",
	.routes = sales_routes,
	.route_count = sizeof(sales_routes) / sizeof(sales_routes[0]),
};

const struct resource_def *const sales_resources[] = {&sales_leads, &sales_accounts, &sales_contacts, &sales_opportunities,
	NULL};

enum sales_statement {
	SALES_STMT_LEAD_FOR_UPDATE,
	SALES_STMT_INSERT_ACCOUNT,
	SALES_STMT_INSERT_CONTACT,
	SALES_STMT_INSERT_OPPORTUNITY,
	SALES_STMT_MARK_CONVERTED,
	SALES_STMT_SUMMARY,
	SALES_STMT_STAGE_LOCK,
	SALES_STMT_STAGE_INSERT,
	SALES_STMT_STAGE_HISTORY,
	SALES_STMT_OPPORTUNITY_EXISTS,
	SALES_STMT__MAX
};

static const struct db_statement_def sales_statements[SALES_STMT__MAX] = {
	/* The row lock makes two concurrent conversions of one lead queue up:
	 * the second sees "converted" and answers 409. */
	[SALES_STMT_LEAD_FOR_UPDATE] = {.name = "sales.lead_for_update",
		.sql = "SELECT status, first_name, last_name, company, email, phone, owner_user_id FROM sales_leads "
		"WHERE tenant_id = ? AND lead_id = ? AND deleted_at IS NULL FOR UPDATE",
		.tenant_bound = 1},
	[SALES_STMT_INSERT_ACCOUNT] = {.name = "sales.convert_account",
		.sql = "INSERT INTO sales_accounts (tenant_id, created_by, name, owner_user_id) VALUES (?, ?, ?, ?)",
		.tenant_bound = 1},
	[SALES_STMT_INSERT_CONTACT] = {.name = "sales.convert_contact",
		.sql = "INSERT INTO sales_contacts (tenant_id, created_by, account_id, first_name, last_name, email, phone, "
		"owner_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[SALES_STMT_INSERT_OPPORTUNITY] = {.name = "sales.convert_opportunity",
		.sql = "INSERT INTO sales_opportunities (tenant_id, created_by, account_id, contact_id, name, amount_minor, currency, "
		"close_date, owner_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[SALES_STMT_MARK_CONVERTED] = {.name = "sales.mark_converted",
		.sql = "UPDATE sales_leads SET status = 'converted', converted_account_id = ?, converted_contact_id = ?, "
		"converted_opportunity_id = ?, converted_at = NOW(3), version = version + 1 WHERE tenant_id = ? AND lead_id = ?",
		.tenant_bound = 1},
	[SALES_STMT_SUMMARY] = {.name = "sales.opportunity_summary",
		.sql = "SELECT stage, currency, COUNT(*), SUM(amount_minor) FROM sales_opportunities "
		"WHERE tenant_id = ? AND deleted_at IS NULL GROUP BY stage, currency ORDER BY stage, currency",
		.tenant_bound = 1},
	/* An update reads the stage it changes with the row locked, so two
	 * concurrent stage changes are recorded in the order they happen. */
	[SALES_STMT_STAGE_LOCK] = {.name = "sales.opportunity_stage_lock",
		.sql = "SELECT stage, lost_reason FROM sales_opportunities WHERE tenant_id = ? AND opportunity_id = ? "
		"AND deleted_at IS NULL FOR UPDATE",
		.tenant_bound = 1},
	[SALES_STMT_STAGE_INSERT] = {.name = "sales.opportunity_stage_insert",
		.sql = "INSERT INTO sales_opportunity_stages (tenant_id, opportunity_id, from_stage, to_stage, lost_reason, "
		"changed_by) VALUES (?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[SALES_STMT_STAGE_HISTORY] = {.name = "sales.opportunity_stage_history",
		.sql = "SELECT from_stage, to_stage, lost_reason, changed_by, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') "
		"FROM sales_opportunity_stages WHERE tenant_id = ? AND opportunity_id = ? ORDER BY history_id LIMIT 1000",
		.tenant_bound = 1},
	[SALES_STMT_OPPORTUNITY_EXISTS] = {.name = "sales.opportunity_exists",
		.sql = "SELECT COUNT(*) FROM sales_opportunities WHERE tenant_id = ? AND opportunity_id = ? "
		"AND deleted_at IS NULL",
		.tenant_bound = 1},
};

const struct statement_table sales_statement_table = {"sales", sales_statements, SALES_STMT__MAX};

struct lead_row {
	int found;
	char status[16];
	char first_name[101], last_name[101], company[201], email[255], phone[51];
	uint64_t owner_user_id;
};

static int sales_read_lead(void *callback_context, const struct db_row *row)
{
	struct lead_row *lead = callback_context;
	if (row->column_count != 7 || row->values[0] == NULL)
		return 0;
	lead->found = 1;
	snprintf(lead->status, sizeof(lead->status), "%s", row->values[0]);
	snprintf(lead->first_name, sizeof(lead->first_name), "%s", row->values[1] ? row->values[1] : "");
	snprintf(lead->last_name, sizeof(lead->last_name), "%s", row->values[2] ? row->values[2] : "");
	snprintf(lead->company, sizeof(lead->company), "%s", row->values[3] ? row->values[3] : "");
	snprintf(lead->email, sizeof(lead->email), "%s", row->values[4] ? row->values[4] : "");
	snprintf(lead->phone, sizeof(lead->phone), "%s", row->values[5] ? row->values[5] : "");
	lead->owner_user_id = row->values[6] ? strtoull(row->values[6], NULL, 10) : 0;
	return 0;
}

static int sales_record_stage(struct request_context *context, uint64_t id, const char *from, const char *to,
	const char *lost_reason);

/* Inside the transaction: account, contact, optional opportunity, lead update. */
static int sales_convert_in_transaction(struct request_context *context, uint64_t lead_id, const struct lead_row *lead,
	uint64_t ids[3])
{
	const struct auth_context *auth = &context->request->auth;
	char default_account[sizeof(lead->first_name) + sizeof(lead->last_name) + 1];
	const char *account_name = input_string(context->request, "accountName");
	if (account_name == NULL) {
		if (lead->company[0] != '\0')
			account_name = lead->company;
		else {
			snprintf(default_account, sizeof(default_account), "%s%s%s", lead->first_name,
				lead->first_name[0] ? " " : "", lead->last_name);
			/* The column holds 200 bytes here; cut on a character boundary. */
			size_t length = strlen(default_account);
			if (length > 200) {
				length = 200;
				while (length > 0 && ((unsigned char)default_account[length] & 0xC0) == 0x80)
					length--;
				default_account[length] = '\0';
			}
			account_name = default_account;
		}
	}
	struct db_param owner = lead->owner_user_id ? DB_UINT(lead->owner_user_id) : DB_NULL;
	struct db_param account[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->user_id), DB_TEXT(account_name), owner};
	int result = db_exec(context->db, &sales_statements[SALES_STMT_INSERT_ACCOUNT], account, 4, NULL, &ids[0]);
	if (result != DB_OK || (result = resource_count_rows(context, &sales_accounts, 1)) != DB_OK)
		return result;
	struct db_param contact[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->user_id), DB_UINT(ids[0]),
		DB_TEXT(lead->first_name), DB_TEXT(lead->last_name), DB_TEXT(lead->email), DB_TEXT(lead->phone), owner};
	result = db_exec(context->db, &sales_statements[SALES_STMT_INSERT_CONTACT], contact, 8, NULL, &ids[1]);
	if (result != DB_OK || (result = resource_count_rows(context, &sales_contacts, 1)) != DB_OK)
		return result;
	ids[2] = 0;
	if (input_boolean(context->request, "createOpportunity", 0)) {
		const char *name = input_string(context->request, "opportunityName");
		const char *currency = input_string(context->request, "currency");
		const char *close_date = input_string(context->request, "closeDate");
		struct db_param opportunity[] = {DB_UINT(auth->tenant_id), DB_UINT(auth->user_id), DB_UINT(ids[0]),
			DB_UINT(ids[1]), DB_TEXT(name ? name : account_name),
			DB_INT(input_integer(context->request, "amount", 0)), DB_TEXT(currency ? currency : "EUR"),
			close_date ? DB_TEXT(close_date) : DB_NULL, owner};
		result = db_exec(context->db, &sales_statements[SALES_STMT_INSERT_OPPORTUNITY], opportunity, 9, NULL, &ids[2]);
		if (result != DB_OK || (result = resource_count_rows(context, &sales_opportunities, 1)) != DB_OK ||
			(result = sales_record_stage(context, ids[2], NULL, "prospecting", NULL)) != DB_OK)
			return result;
	}
	struct db_param mark[] = {DB_UINT(ids[0]), DB_UINT(ids[1]), ids[2] ? DB_UINT(ids[2]) : DB_NULL,
		DB_UINT(auth->tenant_id), DB_UINT(lead_id)};
	return db_exec(context->db, &sales_statements[SALES_STMT_MARK_CONVERTED], mark, 5, NULL, NULL);
}

static void sales_convert_lead(struct request_context *context)
{
	resource_prepare(&sales_leads);
	resource_prepare(&sales_accounts);
	resource_prepare(&sales_contacts);
	resource_prepare(&sales_opportunities);
	uint64_t lead_id = module_path_id(context, "id");
	if (lead_id == 0) {
		module_not_found(context, "Lead");
		return;
	}
	if (!rbac_list_grants(context->request->auth.permissions, "sales.edit")) {
		response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
		response_add_detail(context->response, "permission", "requires sales.edit");
		return;
	}
	int result = db_begin(context->db);
	struct lead_row lead;
	memset(&lead, 0, sizeof(lead));
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(lead_id)};
	if (result == DB_OK)
		result = db_query(context->db, &sales_statements[SALES_STMT_LEAD_FOR_UPDATE], key, 2, sales_read_lead, &lead);
	if (result != DB_OK) {
		respond_db_failure(context, result, "lead conversion");
		return;
	}
	if (!lead.found) {
		module_not_found(context, "Lead");
		return;
	}
	if (strcmp(lead.status, "converted") == 0) {
		response_error(context->response, STATUS_CONFLICT, "Lead is already converted");
		return;
	}
	if (strcmp(lead.status, "lost") == 0) {
		response_error(context->response, STATUS_UNPROCESSABLE, "A lost lead cannot be converted; reopen it first");
		return;
	}
	uint64_t ids[3] = {0, 0, 0};
	result = sales_convert_in_transaction(context, lead_id, &lead, ids);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "lead conversion");
		return;
	}
	json_object *data = json_object_new_object();
	json_object *record = NULL;
	const struct resource_def *created[] = {&sales_leads, &sales_accounts, &sales_contacts, &sales_opportunities};
	const char *names[] = {"lead", "account", "contact", "opportunity"};
	uint64_t created_ids[] = {lead_id, ids[0], ids[1], ids[2]};
	for (size_t i = 0; i < 4; i++) {
		record = NULL;
		if (created_ids[i] != 0 && resource_load(context, created[i], created_ids[i], 0, &record, NULL) != DB_OK) {
			json_object_put(data);
			if (record)
				json_object_put(record);
			respond_db_failure(context, DB_ERROR, "lead conversion");
			return;
		}
		json_object_object_add(data, names[i], record);
	}
	response_ok(context->response, STATUS_OK, data, "Lead converted");
}

static int sales_collect_stage(void *callback_context, const struct db_row *row)
{
	json_object *stages = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "stage", json_object_new_string(row->values[0]));
	json_object_object_add(entry, "currency", json_object_new_string(row->values[1] ? row->values[1] : ""));
	json_object_object_add(entry, "count", json_object_new_int64(strtoll(row->values[2], NULL, 10)));
	json_object_object_add(entry, "totalAmount",
		json_object_new_int64(row->values[3] ? strtoll(row->values[3], NULL, 10) : 0));
	json_object_array_add(stages, entry);
	return 0;
}

static void sales_opportunity_summary(struct request_context *context)
{
	json_object *stages = json_object_new_array();
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id)};
	int result = db_query(context->db, &sales_statements[SALES_STMT_SUMMARY], params, 1, sales_collect_stage, stages);
	if (result != DB_OK) {
		json_object_put(stages);
		respond_db_failure(context, result, "opportunity summary");
		return;
	}
	json_object *data = json_object_new_object();
	json_object_object_add(data, "stages", stages);
	response_ok(context->response, STATUS_OK, data, "Opportunity pipeline by stage");
}

/* ------------------------------------------------------ opportunity stages */

#define SALES_LOST_STAGE "closed_lost"

/* One row of the stage history and its audit entry, in the caller's
 * transaction. from NULL: the stage it was created in. */
static int sales_record_stage(struct request_context *context, uint64_t id, const char *from, const char *to,
	const char *lost_reason)
{
	const struct auth_context *auth = &context->request->auth;
	struct db_param row[] = {DB_UINT(auth->tenant_id), DB_UINT(id), from ? DB_TEXT(from) : DB_NULL, DB_TEXT(to),
		lost_reason ? DB_TEXT(lost_reason) : DB_NULL, DB_UINT(auth->user_id)};
	int result = db_exec(context->db, &sales_statements[SALES_STMT_STAGE_INSERT], row, 6, NULL, NULL);
	if (result != DB_OK)
		return result;
	json_object *details = json_object_new_object();
	json_object *before = json_object_new_object();
	json_object *after = json_object_new_object();
	json_object_object_add(before, "stage", from ? json_object_new_string(from) : NULL);
	json_object_object_add(after, "stage", json_object_new_string(to));
	if (lost_reason != NULL)
		json_object_object_add(after, "lostReason", json_object_new_string(lost_reason));
	json_object_object_add(details, "before", before);
	json_object_object_add(details, "after", after);
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)id);
	struct audit_event event = {auth->tenant_id, auth->user_id, "sales.opportunity.stage", "success", "opportunity",
		target, context->request->remote_addr, context->request->request_id,
		json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN)};
	result = audit_record(context->db, &event);
	json_object_put(details);
	return result;
}

/* The stage after the write: the body's, else the stored one (NULL on create: the default). */
static const char *sales_stage_after(const struct request_context *context, const char *stored)
{
	const char *stage = input_string(context->request, "stage");
	return stage ? stage : stored ? stored : "prospecting";
}

/* The lostReason after the write: the body's (null clears it), else the stored one. */
static const char *sales_lost_reason_after(const struct request_context *context, const char *stored)
{
	if (input_has_field(context->request, "lostReason"))
		return input_string(context->request, "lostReason");
	return stored;
}

/* closed_lost needs a reason: 0, or 422 naming lostReason and -1. */
static int sales_check_lost_reason(struct request_context *context, const char *stage, const char *reason)
{
	if (strcmp(stage, SALES_LOST_STAGE) != 0 || (reason != NULL && reason[0] != '\0'))
		return 0;
	response_error(context->response, STATUS_UNPROCESSABLE, "A lost opportunity needs a lostReason");
	response_add_detail(context->response, "lostReason", "is required when stage is closed_lost");
	return -1;
}

static int sales_opportunity_create_check(struct request_context *context, void *state)
{
	(void)state;
	return sales_check_lost_reason(context, sales_stage_after(context, NULL), sales_lost_reason_after(context, NULL));
}

static int sales_opportunity_create_history(struct request_context *context, void *state, uint64_t id)
{
	(void)state;
	const char *stage = sales_stage_after(context, NULL);
	return sales_record_stage(context, id, NULL, stage,
		strcmp(stage, SALES_LOST_STAGE) == 0 ? sales_lost_reason_after(context, NULL) : NULL);
}

/* The engine's create, plus the lost reason rule and the first row of the
 * stage history, in the create's transaction. */
static void sales_opportunity_create(struct request_context *context)
{
	if (resource_check_references_or_reply(context, &sales_opportunities) != 0)
		return;
	const struct resource_create_steps steps = {.check = sales_opportunity_create_check,
		.after_insert = sales_opportunity_create_history, .message = "Opportunity created"};
	resource_create_with(context, &sales_opportunities, &steps);
}

struct sales_stage_row {
	int found;
	char stage[16];
	int has_reason;
	char lost_reason[501];
};

static int sales_read_stage(void *callback_context, const struct db_row *row)
{
	struct sales_stage_row *out = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL)
		return 0;
	out->found = 1;
	snprintf(out->stage, sizeof(out->stage), "%s", row->values[0]);
	out->has_reason = row->values[1] != NULL;
	snprintf(out->lost_reason, sizeof(out->lost_reason), "%s", row->values[1] ? row->values[1] : "");
	return 0;
}

/* The engine's PATCH in a transaction that first locks the row and reads
 * its stage: entering closed_lost needs a lostReason, and a change of stage
 * adds a row to the history and an audit entry, committed with the change. */
static void sales_opportunity_update(struct request_context *context)
{
	uint64_t id = module_path_id(context, "id");
	if (id == 0 || resource_if_match(context) < 0) {
		resource_update(context); /* answers 404 / 400 in the engine's words */
		return;
	}
	struct sales_stage_row old = {0};
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
	int result = db_begin(context->db);
	if (result == DB_OK)
		result = db_query(context->db, &sales_statements[SALES_STMT_STAGE_LOCK], key, 2, sales_read_stage, &old);
	if (result != DB_OK) {
		respond_db_failure(context, result, sales_opportunities.name);
		return;
	}
	if (!old.found) {
		module_not_found(context, sales_opportunities.singular);
		return;
	}
	const char *stage = sales_stage_after(context, old.stage);
	const char *reason = sales_lost_reason_after(context, old.has_reason ? old.lost_reason : NULL);
	if (sales_check_lost_reason(context, stage, reason) != 0)
		return;
	resource_update(context);
	if (!status_is_success(context->response->status))
		return;
	if (strcmp(stage, old.stage) != 0)
		result = sales_record_stage(context, id, old.stage, stage,
			strcmp(stage, SALES_LOST_STAGE) == 0 ? reason : NULL);
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK)
		respond_db_failure(context, result, sales_opportunities.name);
}

static int sales_collect_stage_change(void *callback_context, const struct db_row *row)
{
	json_object *list = callback_context;
	if (row->column_count != 5 || row->values[1] == NULL)
		return 0;
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "fromStage", module_string_or_null(row->values[0]));
	json_object_object_add(entry, "toStage", json_object_new_string(row->values[1]));
	json_object_object_add(entry, "lostReason", module_string_or_null(row->values[2]));
	json_object_object_add(entry, "changedBy",
		row->values[3] ? json_object_new_int64(strtoll(row->values[3], NULL, 10)) : NULL);
	json_object_object_add(entry, "changedAt", module_string_or_null(row->values[4]));
	json_object_array_add(list, entry);
	return 0;
}

/* GET /sales/opportunities/{id}/stage-history: oldest first. */
static void sales_opportunity_stages(struct request_context *context)
{
	uint64_t id = module_path_id(context, "id");
	uint64_t live = 0;
	struct db_param key[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(id)};
	int result = id == 0 ? DB_OK
			     : db_query(context->db, &sales_statements[SALES_STMT_OPPORTUNITY_EXISTS], key, 2,
				       module_read_uint64, &live);
	if (result == DB_OK && live == 0) {
		module_not_found(context, sales_opportunities.singular);
		return;
	}
	json_object *list = json_object_new_array();
	if (result == DB_OK)
		result = db_query(context->db, &sales_statements[SALES_STMT_STAGE_HISTORY], key, 2,
			sales_collect_stage_change, list);
	if (result != DB_OK) {
		json_object_put(list);
		respond_db_failure(context, result, "stage history");
		return;
	}
	response_ok(context->response, STATUS_OK, list, "Opportunity stage history");
}

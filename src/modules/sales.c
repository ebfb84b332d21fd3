/* Sales module: leads, accounts, contacts and opportunities on the generic
 * record engine, plus lead conversion (account, contact and optionally an
 * opportunity in one transaction) and the opportunity pipeline summary.
 * Permissions: sales.view, sales.create, sales.edit, sales.delete. */
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
		.flags = RESOURCE_NULLABLE, .min_value = 0, .max_value = INT64_MAX / 4},
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
		.min_value = 0, .max_value = INT64_MAX / 4},
	{.api_name = "currency", .column = "currency", .kind = RESOURCE_CURRENCY, .default_sql = "'EUR'"},
	{.api_name = "closeDate", .column = "close_date", .kind = RESOURCE_DATE, .flags = RESOURCE_NULLABLE | RESOURCE_SORT},
	{.api_name = "probability", .column = "probability", .kind = RESOURCE_INTEGER, .min_value = 0, .max_value = 100,
		.default_sql = "10"},
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
		.query = &resource_list_query, .handler = resource_list, .data = &resource},                          \
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
	RESOURCE_ROUTES("/api/v1/sales/opportunities", sales_opportunities, opportunity_runtime),
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
		if (result != DB_OK || (result = resource_count_rows(context, &sales_opportunities, 1)) != DB_OK)
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

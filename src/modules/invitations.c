/* Invitations API: a Tenant Admin (users.manage) invites people by email,
 * resends an invitation (a new link; the old one stops working) and
 * revokes one. The invitee accepts through POST /auth/invitations/accept
 * (modules/auth.c). An invitation may carry only a profile whose
 * permissions the inviter holds, as users.manage does everywhere. */
#include "auth/audit.h"
#include "auth/rbac.h"
#include "core/identifiers.h"
#include "core/log.h"
#include "db/db.h"
#include "handler/context.h"
#include "handler/list_export.h"
#include "handler/respond.h"
#include "http/list_params.h"
#include "http/pagination.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "modules/account_mail.h"
#include "modules/invitation.h"
#include "modules/module_util.h"
#include "modules/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void invitations_list(struct request_context *context);
static void invitations_create(struct request_context *context);
static void invitations_get(struct request_context *context);
static void invitations_resend(struct request_context *context);
static void invitations_revoke(struct request_context *context);

static const struct field_spec create_fields[] = {
	{.name = "email", .type = FIELD_EMAIL, .required = 1, .min_length = 3, .max_length = IDENTIFIER_EMAIL_MAX},
	{.name = "name", .type = FIELD_STRING, .max_length = 200},
	{.name = "profileId", .type = FIELD_INTEGER, .required = 1, .min_value = 1, .max_value = INT64_MAX},
};
static const struct input_spec create_input = INPUT_SPEC(create_fields);

static const char *const invitations_status_values[] = {"pending", "accepted", "revoked", "expired", NULL};
/* An invitation's members, in order: what fields= and CSV columns name. */
static const char *const invitations_columns[] = {"id", "email", "name", "profile", "status", "invitedBy",
	"createdAt", "expiresAt", "acceptedAt", "userId", "sentCount", NULL};
static const char *const invitations_formats[] = {"json", "csv", NULL};
static const struct query_field invitations_list_query_fields[] = {
	PAGINATION_QUERY_FIELDS,
	{.name = "status", .type = QUERY_ENUM, .enum_values = invitations_status_values},
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 100},
	{.name = "fields", .type = QUERY_LIST, .max_length = 32, .max_value = 11, .enum_values = invitations_columns},
	{.name = "format", .type = QUERY_ENUM, .enum_values = invitations_formats},
};
static const struct query_spec invitations_list_query = QUERY_SPEC(invitations_list_query_fields);

static const struct route invitations_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/invitations", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .query = &invitations_list_query, .handler = invitations_list},
	{.method = HTTP_POST, .pattern = "/api/v1/invitations", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .input = &create_input, .handler = invitations_create},
	{.method = HTTP_GET, .pattern = "/api/v1/invitations/{id}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = invitations_get},
	{.method = HTTP_POST, .pattern = "/api/v1/invitations/{id}/resend", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .input = &input_no_body, .handler = invitations_resend},
	{.method = HTTP_DELETE, .pattern = "/api/v1/invitations/{id}", .permission = "users.manage",
		.credentials = ROUTE_CRED_JWT, .handler = invitations_revoke},
};

const struct route_table invitations_route_table = {
	.module_name = "invitations",
	.routes = invitations_routes,
	.route_count = sizeof(invitations_routes) / sizeof(invitations_routes[0]),
};

static const struct sort_field invitations_sort_fields[] = {
	{"created_at", "i.created_at"},
};
static const struct sort_whitelist invitations_sorts = {invitations_sort_fields, 1, "created_at"};

#define INVITATIONS_STATUS                                                                                        \
	"(CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' WHEN i.revoked_at IS NOT NULL THEN 'revoked' "     \
	"WHEN i.expires_at <= NOW(3) THEN 'expired' ELSE 'pending' END)"
#define INVITATIONS_TIME(column) "DATE_FORMAT(" column ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define INVITATIONS_COLUMNS                                                                                       \
	"SELECT i.invitation_id, i.email, i.display_name, i.profile_id, p.name, " INVITATIONS_STATUS ", "          \
	"i.invited_by, " INVITATIONS_TIME("i.created_at") ", " INVITATIONS_TIME("i.expires_at") ", "                \
	INVITATIONS_TIME("i.accepted_at") ", i.accepted_user_id, i.sent_count"
#define INVITATIONS_FROM                                                                                          \
	" FROM invitations i LEFT JOIN profiles p ON p.tenant_id = i.tenant_id AND p.profile_id = i.profile_id"
#define INVITATIONS_LIST_SQL(order)                                                                               \
	INVITATIONS_COLUMNS ", COUNT(*) OVER ()" INVITATIONS_FROM                                                  \
	" WHERE i.tenant_id = ? AND (? IS NULL OR " INVITATIONS_STATUS " = ?) "                                   \
	"AND (? IS NULL OR i.email LIKE ? ESCAPE '!') ORDER BY " order " LIMIT ? OFFSET ?"

enum invitations_statement {
	INVITATIONS_STMT_LIST_DESC,
	INVITATIONS_STMT_LIST_ASC,
	INVITATIONS_STMT_GET,
	INVITATIONS_STMT_PROFILE,
	INVITATIONS_STMT__MAX
};

static const struct db_statement_def invitations_statements[INVITATIONS_STMT__MAX] = {
	[INVITATIONS_STMT_LIST_DESC] = {.name = "invitations.list_desc",
		.sql = INVITATIONS_LIST_SQL("i.created_at DESC, i.invitation_id DESC"), .tenant_bound = 1},
	[INVITATIONS_STMT_LIST_ASC] = {.name = "invitations.list_asc",
		.sql = INVITATIONS_LIST_SQL("i.created_at ASC, i.invitation_id ASC"), .tenant_bound = 1},
	[INVITATIONS_STMT_GET] = {.name = "invitations.get",
		.sql = INVITATIONS_COLUMNS INVITATIONS_FROM " WHERE i.tenant_id = ? AND i.invitation_id = ?",
		.tenant_bound = 1},
	[INVITATIONS_STMT_PROFILE] = {.name = "invitations.profile",
		.sql = "SELECT permissions FROM profiles WHERE tenant_id = ? AND profile_id = ?", .tenant_bound = 1},
};

const struct statement_table invitations_statement_table = {
	.module_name = "invitations",
	.statements = invitations_statements,
	.statement_count = INVITATIONS_STMT__MAX,
};

static json_object *invitations_row_to_json(const struct db_row *row)
{
	json_object *item = json_object_new_object();
	json_object_object_add(item, "id", json_object_new_int64(strtoll(row->values[0], NULL, 10)));
	json_object_object_add(item, "email", json_object_new_string(row->values[1] ? row->values[1] : ""));
	json_object_object_add(item, "name", json_object_new_string(row->values[2] ? row->values[2] : ""));
	json_object *profile = json_object_new_object();
	json_object_object_add(profile, "id", json_object_new_int64(row->values[3] ? strtoll(row->values[3], NULL, 10) : 0));
	json_object_object_add(profile, "name", module_string_or_null(row->values[4]));
	json_object_object_add(item, "profile", profile);
	json_object_object_add(item, "status", json_object_new_string(row->values[5] ? row->values[5] : ""));
	json_object_object_add(item, "invitedBy",
		row->values[6] ? json_object_new_int64(strtoll(row->values[6], NULL, 10)) : NULL);
	json_object_object_add(item, "createdAt", module_string_or_null(row->values[7]));
	json_object_object_add(item, "expiresAt", module_string_or_null(row->values[8]));
	json_object_object_add(item, "acceptedAt", module_string_or_null(row->values[9]));
	json_object_object_add(item, "userId",
		row->values[10] ? json_object_new_int64(strtoll(row->values[10], NULL, 10)) : NULL);
	json_object_object_add(item, "sentCount",
		json_object_new_int64(row->values[11] ? strtoll(row->values[11], NULL, 10) : 0));
	return item;
}

static int invitations_collect(void *callback_context, const struct db_row *row)
{
	struct module_rows *rows = callback_context;
	if (row->column_count < 12 || row->values[0] == NULL)
		return 0;
	json_object *item = invitations_row_to_json(row);
	module_rows_take(rows, item, row, 12);
	return 0;
}

/* The filters of one request, bound in INVITATIONS_LIST_SQL's order, then limit and offset. */
struct invitations_query {
	struct db_param params[7];
	const struct db_statement_def *statement;
	char pattern[2 * 100 + 2];
};

static int invitations_fetch(struct request_context *context, void *state, uint64_t limit, uint64_t offset,
	json_object *items, uint64_t *total)
{
	struct invitations_query *query = state;
	query->params[5] = DB_INT((int64_t)limit);
	query->params[6] = DB_INT((int64_t)offset);
	struct module_rows rows = {.items = items};
	int result = db_query(context->db, query->statement, query->params, 7, invitations_collect, &rows);
	*total = rows.total;
	return result;
}

static void invitations_list(struct request_context *context)
{
	struct page_request page_request;
	if (pagination_parse_or_reply(context->request, &invitations_sorts, &page_request, context->response) != 0)
		return;
	/* The route's query spec has checked every parameter's form. */
	const char *status = query_text(context->request, "status");
	const char *text = query_text(context->request, "q");
	struct invitations_query query = {
		.statement =
			&invitations_statements[page_request.sort_descending ? INVITATIONS_STMT_LIST_DESC : INVITATIONS_STMT_LIST_ASC],
	};
	/* q's length is bounded by the spec, so the pattern always fits. */
	if (text && list_like_prefix(text, query.pattern, sizeof(query.pattern)) != 0) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "List parameters not understood");
		return;
	}
	struct db_param params[] = {
		DB_UINT(context->request->auth.tenant_id),
		status ? DB_TEXT(status) : DB_NULL, status ? DB_TEXT(status) : DB_NULL,
		text ? DB_TEXT(query.pattern) : DB_NULL, text ? DB_TEXT(query.pattern) : DB_NULL,
	};
	memcpy(query.params, params, sizeof(params));
	struct list_export export = {.file_name = "invitations", .columns = invitations_columns,
		.fetch = invitations_fetch, .state = &query};
	if (list_export_select_or_reply(context, invitations_columns, &export.selected) != 0)
		return;
	if (list_export_wanted(context)) {
		list_export_csv(context, &export);
		return;
	}
	json_object *items = json_object_new_array();
	uint64_t total = 0;
	int result = invitations_fetch(context, &query, page_request.limit, pagination_offset(&page_request), items,
		&total);
	if (result != DB_OK) {
		json_object_put(items);
		respond_db_failure(context, result, "invitations list");
		return;
	}
	list_export_pick(items, invitations_columns, export.selected);
	response_list(context->response, items, pagination_block(&page_request, total), "Invitations");
	respond_tag_list(context);
}

/* The invitation as JSON into *out (NULL when not in this tenant). */
static int invitations_load(struct request_context *context, uint64_t invitation_id, json_object **out)
{
	struct db_param params[] = {DB_UINT(context->request->auth.tenant_id), DB_UINT(invitation_id)};
	struct module_rows rows = {0};
	int result = db_query(context->db, &invitations_statements[INVITATIONS_STMT_GET], params, 2, invitations_collect,
		&rows);
	*out = rows.single;
	return result;
}

static void invitations_respond_one(struct request_context *context, uint64_t invitation_id, enum status status,
	const char *message)
{
	json_object *invitation = NULL;
	int result = invitations_load(context, invitation_id, &invitation);
	if (result != DB_OK || invitation == NULL) {
		if (invitation)
			json_object_put(invitation);
		if (result != DB_OK)
			respond_db_failure(context, result, "invitations");
		else
			module_not_found(context, "Invitation");
		return;
	}
	response_ok(context->response, status, invitation, message);
}

struct invitations_profile {
	int found;
	char permissions[RBAC_PERMISSIONS_TEXT_MAX];
};

static int invitations_read_profile(void *callback_context, const struct db_row *row)
{
	struct invitations_profile *out = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL) {
		out->found = 1;
		snprintf(out->permissions, sizeof(out->permissions), "%s", row->values[0]);
	}
	return 0;
}

/* 0 when the caller holds every permission of the profile (which must be
 * this tenant's); otherwise -1 after answering 422 or 403. */
static int invitations_check_grantable_or_reply(struct request_context *context, int exists, const char *permissions)
{
	if (!exists) {
		response_error(context->response, STATUS_UNPROCESSABLE, "Profile does not exist");
		response_add_detail(context->response, "profileId", "no such profile in this tenant");
		return -1;
	}
	char missing[RBAC_PERMISSIONS_TEXT_MAX];
	if (rbac_list_missing(context->request->auth.permissions, permissions, missing, sizeof(missing)) > 0) {
		response_error(context->response, STATUS_FORBIDDEN, "You cannot grant permissions you do not hold");
		response_add_detail(context->response, "profileId", "the profile holds %.900s, which you do not", missing);
		return -1;
	}
	return 0;
}

static int invitations_audit(struct request_context *context, const char *action, uint64_t invitation_id,
	json_object *details_object)
{
	char target[24], details[1000];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)invitation_id);
	snprintf(details, sizeof(details), "%s", json_object_to_json_string_ext(details_object, JSON_C_TO_STRING_PLAIN));
	json_object_put(details_object);
	const struct auth_context *auth = &context->request->auth;
	struct audit_event event = {.tenant_id = auth->tenant_id, .actor_user_id = auth->user_id, .action = action,
		.outcome = "success", .target_type = "invitation", .target_id = target,
		.client_address = context->request->remote_addr, .request_id = context->request->request_id,
		.details = details};
	return audit_record(context->db, &event);
}

/* The state an audit entry shows of an invitation. */
static json_object *invitations_state(const char *email, uint64_t profile_id, const char *status)
{
	json_object *state = json_object_new_object();
	json_object_object_add(state, "email", json_object_new_string(email));
	json_object_object_add(state, "profileId", json_object_new_int64((int64_t)profile_id));
	json_object_object_add(state, "status", json_object_new_string(status));
	return state;
}

/* Mail the link after the response. */
static int invitations_mail_later(struct request_context *context, const char *email, const char *token)
{
	char tenant_name[201], tenant_slug[IDENTIFIER_SLUG_MAX + 1];
	int result = invitation_tenant_names(context->db, context->request->auth.tenant_id, tenant_name,
		sizeof(tenant_name), tenant_slug, sizeof(tenant_slug));
	if (result == DB_OK)
		account_mail_later(context, ACCOUNT_MAIL_INVITATION, email, token, tenant_name, tenant_slug);
	return result;
}

static void invitations_create(struct request_context *context)
{
	const struct auth_context *auth = &context->request->auth;
	char email[IDENTIFIER_EMAIL_MAX + 1];
	identifier_lowercase(input_string(context->request, "email"), email, sizeof(email));
	const char *name = input_string(context->request, "name");
	int64_t profile_id = input_integer(context->request, "profileId", 0);
	struct invitations_profile profile = {0};
	struct db_param profile_key[] = {DB_UINT(auth->tenant_id), DB_INT(profile_id)};
	int result = db_query(context->db, &invitations_statements[INVITATIONS_STMT_PROFILE], profile_key, 2,
		invitations_read_profile, &profile);
	if (result != DB_OK) {
		respond_db_failure(context, result, "invitations create");
		return;
	}
	if (invitations_check_grantable_or_reply(context, profile.found, profile.permissions) != 0)
		return;
	char token[SECRET_TOKEN_TEXT_MAX];
	uint64_t invitation_id = 0;
	if ((result = db_begin(context->db)) != DB_OK) {
		respond_db_failure(context, result, "invitations create");
		return;
	}
	switch (invitation_issue(context->db, auth->tenant_id, email, name ? name : "", (uint64_t)profile_id,
		auth->user_id, token, &invitation_id, &result)) {
	case INVITATION_OK:
		break;
	case INVITATION_USER_EXISTS:
		response_error(context->response, STATUS_CONFLICT, "A user with this email already exists");
		response_add_detail(context->response, "email", "is already a user of this tenant");
		return;
	case INVITATION_PENDING_EXISTS:
		response_error(context->response, STATUS_CONFLICT, "This email has a pending invitation; resend it instead");
		response_add_detail(context->response, "email", "has a pending invitation");
		return;
	default:
		respond_db_failure(context, result, "invitations create");
		return;
	}
	json_object *details = json_object_new_object();
	json_object_object_add(details, "after", invitations_state(email, (uint64_t)profile_id, "pending"));
	if ((result = invitations_audit(context, "invitation.create", invitation_id, details)) != DB_OK ||
		(result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result, "invitations create");
		return;
	}
	if ((result = invitations_mail_later(context, email, token)) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "invitation %llu: no tenant name; no mail sent",
			(unsigned long long)invitation_id);
	explicit_bzero(token, sizeof(token));
	invitations_respond_one(context, invitation_id, STATUS_CREATED, "Invitation sent");
}

static void invitations_get(struct request_context *context)
{
	uint64_t invitation_id = module_path_id(context, "id");
	if (invitation_id == 0) {
		module_not_found(context, "Invitation");
		return;
	}
	invitations_respond_one(context, invitation_id, STATUS_OK, "Invitation");
}

/* The invitation, locked, in a new transaction; 0 or -1 after answering. */
static int invitations_lock_or_reply(struct request_context *context, uint64_t invitation_id,
	struct invitation_info *invitation)
{
	int found = 0;
	int result = invitation_id ? db_begin(context->db) : DB_OK;
	if (result == DB_OK && invitation_id)
		result = invitation_lock(context->db, context->request->auth.tenant_id, invitation_id, invitation, &found);
	if (result != DB_OK) {
		respond_db_failure(context, result, "invitation");
		return -1;
	}
	if (!found) {
		module_not_found(context, "Invitation");
		return -1;
	}
	return 0;
}

static void invitations_resend(struct request_context *context)
{
	uint64_t invitation_id = module_path_id(context, "id");
	struct invitation_info invitation;
	if (invitations_lock_or_reply(context, invitation_id, &invitation) != 0)
		return;
	if (strcmp(invitation.status, "pending") != 0 && strcmp(invitation.status, "expired") != 0) {
		response_error(context->response, STATUS_UNPROCESSABLE, "Only a pending or expired invitation can be resent");
		response_add_detail(context->response, "id", "the invitation is %s", invitation.status);
		return;
	}
	/* The profile may have gained permissions since it was invited with. */
	if (invitations_check_grantable_or_reply(context, invitation.profile_exists, invitation.profile_permissions) != 0)
		return;
	char token[SECRET_TOKEN_TEXT_MAX];
	int result;
	if (invitation_renew(context->db, context->request->auth.tenant_id, invitation_id, token, &result) != INVITATION_OK) {
		respond_db_failure(context, result == DB_OK ? DB_ERROR : result, "invitations resend");
		return;
	}
	json_object *details = json_object_new_object();
	json_object_object_add(details, "before", invitations_state(invitation.email, invitation.profile_id, invitation.status));
	json_object_object_add(details, "after", invitations_state(invitation.email, invitation.profile_id, "pending"));
	if ((result = invitations_audit(context, "invitation.resend", invitation_id, details)) != DB_OK ||
		(result = db_commit(context->db)) != DB_OK) {
		respond_db_failure(context, result, "invitations resend");
		return;
	}
	if (invitations_mail_later(context, invitation.email, token) != DB_OK)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "invitation %llu: no tenant name; no mail sent",
			(unsigned long long)invitation_id);
	explicit_bzero(token, sizeof(token));
	invitations_respond_one(context, invitation_id, STATUS_OK, "Invitation sent again");
}

static void invitations_revoke(struct request_context *context)
{
	uint64_t invitation_id = module_path_id(context, "id");
	struct invitation_info invitation;
	if (invitations_lock_or_reply(context, invitation_id, &invitation) != 0)
		return;
	if (strcmp(invitation.status, "accepted") == 0) {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"An accepted invitation cannot be revoked; deactivate the user instead");
		return;
	}
	int result = DB_OK;
	if (strcmp(invitation.status, "revoked") != 0) {
		json_object *details = json_object_new_object();
		json_object_object_add(details, "before",
			invitations_state(invitation.email, invitation.profile_id, invitation.status));
		json_object_object_add(details, "after", invitations_state(invitation.email, invitation.profile_id, "revoked"));
		if ((result = invitation_revoke(context->db, context->request->auth.tenant_id, invitation_id)) == DB_OK)
			result = invitations_audit(context, "invitation.revoke", invitation_id, details);
		else
			json_object_put(details);
	}
	if (result == DB_OK)
		result = db_commit(context->db);
	if (result != DB_OK) {
		respond_db_failure(context, result, "invitations revoke");
		return;
	}
	invitations_respond_one(context, invitation_id, STATUS_OK, "Invitation revoked");
}

/* Tenant lookup, suspension and reactivation, with their audit entries. */
#include "modules/tenant_lifecycle.h"
#include "auth/audit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENANT_COLUMNS                                                                                            \
	"SELECT tenant_id, slug, name, status, status_reason, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"IFNULL(DATE_FORMAT(status_changed_at, '%Y-%m-%dT%H:%i:%s.%fZ'), '') FROM tenants "

enum tenant_lifecycle_statement {
	TENANT_STMT_BY_ID,
	TENANT_STMT_BY_SLUG,
	TENANT_STMT_LOCK,
	TENANT_STMT_SET_STATUS,
	TENANT_STMT__MAX
};

/* The operator names the tenant; no tenant's user ever reaches these. */
static const struct db_statement_def tenant_lifecycle_statements[TENANT_STMT__MAX] = {
	[TENANT_STMT_BY_ID] = {.name = "tenant_lifecycle.by_id", .sql = TENANT_COLUMNS "WHERE tenant_id = ?",
		.tenant_bound = 1},
	[TENANT_STMT_BY_SLUG] = {.name = "tenant_lifecycle.by_slug", .sql = TENANT_COLUMNS "WHERE slug = ?",
		.tenant_bound = 0},
	[TENANT_STMT_LOCK] = {.name = "tenant_lifecycle.lock",
		.sql = TENANT_COLUMNS "WHERE tenant_id = ? FOR UPDATE", .tenant_bound = 1},
	[TENANT_STMT_SET_STATUS] = {.name = "tenant_lifecycle.set_status",
		.sql = "UPDATE tenants SET status = ?, status_reason = ?, status_changed_at = NOW(3) WHERE tenant_id = ?",
		.tenant_bound = 1},
};

const struct statement_table tenant_lifecycle_statement_table = {
	.module_name = "tenant_lifecycle",
	.statements = tenant_lifecycle_statements,
	.statement_count = TENANT_STMT__MAX,
};

struct tenant_row {
	struct tenant_summary *out;
	int found;
};

static int tenant_lifecycle_read(void *callback_context, const struct db_row *row)
{
	struct tenant_row *target = callback_context;
	if (row->column_count != 7 || row->values[0] == NULL)
		return 0;
	struct tenant_summary *out = target->out;
	memset(out, 0, sizeof(*out));
	out->tenant_id = strtoull(row->values[0], NULL, 10);
	snprintf(out->slug, sizeof(out->slug), "%s", row->values[1] ? row->values[1] : "");
	snprintf(out->name, sizeof(out->name), "%s", row->values[2] ? row->values[2] : "");
	snprintf(out->status, sizeof(out->status), "%s", row->values[3] ? row->values[3] : "");
	snprintf(out->status_reason, sizeof(out->status_reason), "%s", row->values[4] ? row->values[4] : "");
	snprintf(out->created_at, sizeof(out->created_at), "%s", row->values[5] ? row->values[5] : "");
	snprintf(out->status_changed_at, sizeof(out->status_changed_at), "%s", row->values[6] ? row->values[6] : "");
	target->found = 1;
	return 0;
}

int tenant_lifecycle_find(struct db *db, uint64_t tenant_id, const char *slug, struct tenant_summary *out, int *found)
{
	struct tenant_row target = {.out = out};
	struct db_param by_id[] = {DB_UINT(tenant_id)};
	struct db_param by_slug[] = {DB_TEXT(slug ? slug : "")};
	int result = slug != NULL
		? db_query(db, &tenant_lifecycle_statements[TENANT_STMT_BY_SLUG], by_slug, 1, tenant_lifecycle_read, &target)
		: db_query(db, &tenant_lifecycle_statements[TENANT_STMT_BY_ID], by_id, 1, tenant_lifecycle_read, &target);
	*found = target.found;
	return result;
}

int tenant_lifecycle_audit(struct db *db, uint64_t tenant_id, const char *action, const struct tenant_actor *actor,
	const char *details)
{
	char target[24];
	snprintf(target, sizeof(target), "%llu", (unsigned long long)tenant_id);
	struct audit_event event = {
		.tenant_id = 0,
		.action = action,
		.outcome = "success",
		.target_type = "tenant",
		.target_id = target,
		.client_address = actor->client_address,
		.request_id = actor->request_id,
		.details = details,
	};
	int result = audit_record(db, &event);
	if (result == DB_OK && tenant_id != 0) {
		event.tenant_id = tenant_id;
		result = audit_record(db, &event);
	}
	return result;
}

/* {"by": who, "before": {...}, "after": {...}} as audit details. */
static void tenant_lifecycle_status_details(const struct tenant_actor *actor, const struct tenant_summary *before,
	const struct tenant_summary *after, char *out, size_t out_size)
{
	json_object *details = json_object_new_object();
	json_object_object_add(details, "by", json_object_new_string(actor->who));
	const struct tenant_summary *states[2] = {before, after};
	const char *names[2] = {"before", "after"};
	for (size_t i = 0; i < 2; i++) {
		json_object *state = json_object_new_object();
		json_object_object_add(state, "status", json_object_new_string(states[i]->status));
		json_object_object_add(state, "reason", json_object_new_string(states[i]->status_reason));
		json_object_object_add(details, names[i], state);
	}
	snprintf(out, out_size, "%s", json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
}

int tenant_lifecycle_set_status(struct db *db, uint64_t tenant_id, const char *status, const char *reason,
	const struct tenant_actor *actor, struct tenant_summary *before, struct tenant_summary *after, int *found)
{
	*found = 0;
	int result = db_begin(db);
	if (result != DB_OK)
		return result;
	struct tenant_row target = {.out = before};
	struct db_param key[] = {DB_UINT(tenant_id)};
	result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_LOCK], key, 1, tenant_lifecycle_read, &target);
	if (result != DB_OK)
		return result;
	if (!target.found)
		return db_commit(db);
	*found = 1;
	*after = *before;
	if (strcmp(before->status, status) == 0)
		return db_commit(db);
	struct db_param update[] = {DB_TEXT(status), DB_TEXT(reason), DB_UINT(tenant_id)};
	result = db_exec(db, &tenant_lifecycle_statements[TENANT_STMT_SET_STATUS], update, 3, NULL, NULL);
	if (result != DB_OK)
		return result;
	struct tenant_row now = {.out = after};
	result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_BY_ID], key, 1, tenant_lifecycle_read, &now);
	if (result != DB_OK)
		return result;
	char details[1000];
	tenant_lifecycle_status_details(actor, before, after, details, sizeof(details));
	result = tenant_lifecycle_audit(db, tenant_id,
		strcmp(status, "suspended") == 0 ? "tenant.suspend" : "tenant.reactivate", actor, details);
	if (result != DB_OK)
		return result;
	return db_commit(db);
}

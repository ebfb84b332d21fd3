/* Audit writes. */
#include "auth/audit.h"
#include "db/db.h"

#include <string.h>

static const struct db_statement_def audit_statements[] = {
	{.name = "audit.insert",
		.sql = "INSERT INTO audit_log (tenant_id, actor_user_id, action, outcome, target_type, target_id, client_address, "
		"request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		.tenant_bound = 1},
};

const struct db_statement_def *audit_statement_table(size_t *count)
{
	*count = sizeof(audit_statements) / sizeof(audit_statements[0]);
	return audit_statements;
}

static struct db_param audit_text(const char *text, size_t max_length)
{
	const char *value = text ? text : "";
	size_t length = strlen(value);
	return DB_TEXTN(value, length > max_length ? max_length : length);
}

int audit_record(struct db *db, const struct audit_event *event)
{
	struct db_param params[] = {
		DB_UINT(event->tenant_id),
		event->actor_user_id ? DB_UINT(event->actor_user_id) : DB_NULL,
		audit_text(event->action, 64),
		audit_text(event->outcome, 16),
		audit_text(event->target_type, 32),
		audit_text(event->target_id, 64),
		audit_text(event->client_address, 64),
		audit_text(event->request_id, 64),
		audit_text(event->details, 1000),
	};
	return db_exec(db, &audit_statements[0], params, sizeof(params) / sizeof(params[0]), NULL, NULL);
}

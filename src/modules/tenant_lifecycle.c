/* Tenant lookup, suspension and reactivation, with their audit entries. */
#include "modules/tenant_lifecycle.h"
#include "auth/audit.h"
#include "auth/rbac.h"
#include "core/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TENANT_COLUMNS                                                                                            \
	"SELECT tenant_id, slug, name, status, status_reason, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"IFNULL(DATE_FORMAT(status_changed_at, '%Y-%m-%dT%H:%i:%s.%fZ'), '') FROM tenants "

enum tenant_lifecycle_statement {
	TENANT_STMT_BY_ID,
	TENANT_STMT_BY_SLUG,
	TENANT_STMT_LOCK,
	TENANT_STMT_SET_STATUS,
	TENANT_STMT_ERASE_TENANT,
	TENANT_STMT_SCHEMA_TENANT_TABLES,
	TENANT_STMT_INSERT,
	TENANT_STMT_SEED_ROLE,
	TENANT_STMT_ADMIN_PROFILE,
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
	/* Last of a deletion, after every table of tenant_tables. */
	[TENANT_STMT_ERASE_TENANT] = {.name = "tenant_lifecycle.erase_tenant",
		.sql = "DELETE FROM tenants WHERE tenant_id = ?", .tenant_bound = 1},
	/* The live schema's own account of which tables hold tenants' rows. */
	[TENANT_STMT_SCHEMA_TENANT_TABLES] = {.name = "tenant_lifecycle.schema_tenant_tables",
		.sql = "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
		"AND COLUMN_NAME = 'tenant_id' AND TABLE_NAME <> 'tenants'",
		.tenant_bound = 0},
	/* A new tenant: the tenant is what is being made. */
	[TENANT_STMT_INSERT] = {.name = "tenant_lifecycle.insert", .sql = "INSERT INTO tenants (slug, name) VALUES (?, ?)",
		.tenant_bound = 0},
	[TENANT_STMT_SEED_ROLE] = {.name = "tenant_lifecycle.seed_role",
		.sql = "INSERT INTO profiles (tenant_id, name, description, builtin_role, permissions) VALUES (?, ?, ?, ?, ?)",
		.tenant_bound = 1},
	[TENANT_STMT_ADMIN_PROFILE] = {.name = "tenant_lifecycle.admin_profile",
		.sql = "SELECT profile_id FROM profiles WHERE tenant_id = ? AND builtin_role = 'tenant_admin'",
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

int tenant_lifecycle_audit(struct db *db, uint64_t tenant_id, int in_tenant_log, const char *action,
	const struct tenant_actor *actor, const char *details)
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
	if (result == DB_OK && in_tenant_log) {
		event.tenant_id = tenant_id;
		result = audit_record(db, &event);
	}
	return result;
}

static int tenant_lifecycle_read_id(void *callback_context, const struct db_row *row)
{
	if (row->column_count == 1 && row->values[0] != NULL)
		*(uint64_t *)callback_context = strtoull(row->values[0], NULL, 10);
	return 0;
}

int tenant_lifecycle_create(struct db *db, const char *slug, const char *name, const struct tenant_actor *actor,
	struct tenant_summary *created, uint64_t *admin_profile_id, int *duplicate)
{
	*duplicate = 0;
	*admin_profile_id = 0;
	uint64_t tenant_id = 0;
	struct db_param insert[] = {DB_TEXT(slug), DB_TEXT(name)};
	int result = db_exec(db, &tenant_lifecycle_statements[TENANT_STMT_INSERT], insert, 2, NULL, &tenant_id);
	if (result == DB_DUPLICATE) {
		*duplicate = 1;
		return DB_OK;
	}
	if (result != DB_OK)
		return result;
	/* The roles come from auth/rbac.c, the one place that defines them. */
	for (int role = 0; role < RBAC_ROLE__MAX; role++) {
		const struct rbac_role_definition *definition = rbac_builtin_role((enum rbac_builtin_role)role);
		struct db_param seed[] = {DB_UINT(tenant_id), DB_TEXT(definition->name), DB_TEXT(definition->description),
			DB_TEXT(definition->key), DB_TEXT(definition->permissions)};
		if ((result = db_exec(db, &tenant_lifecycle_statements[TENANT_STMT_SEED_ROLE], seed, 5, NULL, NULL)) != DB_OK)
			return result;
	}
	struct db_param key[] = {DB_UINT(tenant_id)};
	if ((result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_ADMIN_PROFILE], key, 1,
		     tenant_lifecycle_read_id, admin_profile_id)) != DB_OK)
		return result;
	struct tenant_row row = {.out = created};
	if ((result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_BY_ID], key, 1, tenant_lifecycle_read, &row)) !=
		DB_OK)
		return result;
	json_object *details = json_object_new_object();
	json_object_object_add(details, "by", json_object_new_string(actor->who));
	json_object_object_add(details, "before", NULL);
	json_object *after = json_object_new_object();
	json_object_object_add(after, "slug", json_object_new_string(slug));
	json_object_object_add(after, "name", json_object_new_string(name));
	json_object_object_add(after, "status", json_object_new_string("active"));
	json_object_object_add(details, "after", after);
	char text[1000];
	snprintf(text, sizeof(text), "%s", json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN));
	json_object_put(details);
	return tenant_lifecycle_audit(db, tenant_id, 1, "tenant.create", actor, text);
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
	result = tenant_lifecycle_audit(db, tenant_id, 1,
		strcmp(status, "suspended") == 0 ? "tenant.suspend" : "tenant.reactivate", actor, details);
	if (result != DB_OK)
		return result;
	return db_commit(db);
}

/* ---- the tables a tenant's rows live in ---------------------------------- */

/* Four statements per table: a plain export, a locking one (deletion), the
 * erasure and a count. Table names come from this list only, never from a
 * request. */
#define TENANT_TABLE(table)                                                                                       \
	{.name = "tenant_tables.export_" #table, .sql = "SELECT * FROM " #table " WHERE tenant_id = ?",             \
		.tenant_bound = 1},                                                                                 \
	{.name = "tenant_tables.export_locked_" #table,                                                           \
		.sql = "SELECT * FROM " #table " WHERE tenant_id = ? LOCK IN SHARE MODE", .tenant_bound = 1},       \
	{.name = "tenant_tables.erase_" #table, .sql = "DELETE FROM " #table " WHERE tenant_id = ?",                \
		.tenant_bound = 1},                                                                                 \
	{.name = "tenant_tables.count_" #table, .sql = "SELECT COUNT(*) FROM " #table " WHERE tenant_id = ?",       \
		.tenant_bound = 1}
#define TENANT_TABLE_STATEMENTS 4
#define TENANT_TABLE_EXPORT 0
#define TENANT_TABLE_EXPORT_LOCKED 1
#define TENANT_TABLE_ERASE 2
#define TENANT_TABLE_COUNT_ROWS 3

static const char *const tenant_tables[] = {
	"audit_log", "rate_counters", "password_resets", "refresh_tokens", "sessions", "invitations",
	"idempotency_keys", "resource_counts",
	"sales_leads", "sales_opportunity_stages", "sales_opportunities", "sales_contacts", "sales_accounts",
	"finance_approval_limits", "finance_invoice_lines", "finance_invoices", "finance_expenses",
	"hr_leave_allowances", "hr_leave_requests", "hr_employees", "hr_departments",
	"find_embedding_queue", "find_embeddings", "find_llm_usage", "find_llm_providers",
	"find_webhook_deliveries", "find_webhooks", "find_feedback", "find_thread_products", "find_messages",
	"find_threads", "find_prompts", "find_search_log", "find_search_postings", "find_search_terms", "find_terms",
	"find_taxonomies", "find_posts", "find_products", "find_key_origins", "find_api_keys", "find_tenant_plans",
	"users", "profiles",
};
#define TENANT_TABLE_COUNT (sizeof(tenant_tables) / sizeof(tenant_tables[0]))

static const struct db_statement_def tenant_table_statements[] = {
	TENANT_TABLE(audit_log), TENANT_TABLE(rate_counters), TENANT_TABLE(password_resets),
	TENANT_TABLE(refresh_tokens), TENANT_TABLE(sessions), TENANT_TABLE(invitations),
	TENANT_TABLE(idempotency_keys), TENANT_TABLE(resource_counts),
	TENANT_TABLE(sales_leads), TENANT_TABLE(sales_opportunity_stages), TENANT_TABLE(sales_opportunities),
	TENANT_TABLE(sales_contacts),
	TENANT_TABLE(sales_accounts),
	TENANT_TABLE(finance_approval_limits), TENANT_TABLE(finance_invoice_lines), TENANT_TABLE(finance_invoices),
	TENANT_TABLE(finance_expenses),
	TENANT_TABLE(hr_leave_allowances), TENANT_TABLE(hr_leave_requests), TENANT_TABLE(hr_employees),
	TENANT_TABLE(hr_departments),
	TENANT_TABLE(find_embedding_queue), TENANT_TABLE(find_embeddings),
	TENANT_TABLE(find_llm_usage), TENANT_TABLE(find_llm_providers),
	TENANT_TABLE(find_webhook_deliveries), TENANT_TABLE(find_webhooks), TENANT_TABLE(find_feedback),
	TENANT_TABLE(find_thread_products), TENANT_TABLE(find_messages), TENANT_TABLE(find_threads),
	TENANT_TABLE(find_prompts), TENANT_TABLE(find_search_log), TENANT_TABLE(find_search_postings),
	TENANT_TABLE(find_search_terms), TENANT_TABLE(find_terms),
	TENANT_TABLE(find_taxonomies), TENANT_TABLE(find_posts), TENANT_TABLE(find_products),
	TENANT_TABLE(find_key_origins), TENANT_TABLE(find_api_keys), TENANT_TABLE(find_tenant_plans),
	TENANT_TABLE(users), TENANT_TABLE(profiles),
};
_Static_assert(sizeof(tenant_table_statements) / sizeof(tenant_table_statements[0]) ==
		TENANT_TABLE_STATEMENTS * TENANT_TABLE_COUNT,
	"four statements per tenant table");
_Static_assert(TENANT_TABLE_COUNT <= sizeof(((struct tenant_delete_report *)0)->deleted) / sizeof(uint64_t),
	"a report holds every table");

const struct statement_table tenant_tables_statement_table = {
	.module_name = "tenant_tables",
	.statements = tenant_table_statements,
	.statement_count = sizeof(tenant_table_statements) / sizeof(tenant_table_statements[0]),
};

const char *const *tenant_lifecycle_tables(size_t *count)
{
	*count = TENANT_TABLE_COUNT;
	return tenant_tables;
}

int tenant_lifecycle_table_index(const char *table)
{
	for (size_t i = 0; i < TENANT_TABLE_COUNT; i++)
		if (strcmp(tenant_tables[i], table) == 0)
			return (int)i;
	return -1;
}

json_object *tenant_lifecycle_row_json(const struct db_row *row)
{
	json_object *object = json_object_new_object();
	for (size_t c = 0; c < row->column_count; c++) {
		const char *name = row->names ? row->names[c] : "?";
		const char *value = row->values[c];
		json_object *member = NULL;
		if (value == NULL) {
			member = NULL;
		} else if (row->kinds && row->kinds[c] == DB_COLUMN_BINARY) {
			char *hex = malloc(2 * row->lengths[c] + 1);
			if (hex != NULL) {
				hex_encode((const unsigned char *)value, row->lengths[c], hex);
				member = json_object_new_string(hex);
				free(hex);
			}
		} else if (row->kinds && row->kinds[c] == DB_COLUMN_NUMBER) {
			char *end = NULL;
			long long integer = strtoll(value, &end, 10);
			if (end != value && *end == '\0')
				member = json_object_new_int64(integer);
			else
				member = json_object_new_double(strtod(value, NULL));
		} else {
			member = json_object_new_string_len(value, (int)row->lengths[c]);
		}
		json_object_object_add(object, name, member);
	}
	return object;
}

struct tenant_export_rows {
	const struct tenant_export_sink *sink;
	const char *table;
	uint64_t rows;
	int sink_failed;
};

static int tenant_lifecycle_export_row(void *callback_context, const struct db_row *row)
{
	struct tenant_export_rows *export = callback_context;
	json_object *object = tenant_lifecycle_row_json(row);
	int failed = export->sink->row(export->sink->sink_context, export->table, object) != 0;
	json_object_put(object);
	if (failed) {
		export->sink_failed = 1;
		return 1; /* stop: the rest is discarded */
	}
	export->rows++;
	return 0;
}

int tenant_lifecycle_export_table(struct db *db, uint64_t tenant_id, size_t table_index, int locked,
	const struct tenant_export_sink *sink, uint64_t *rows, int *sink_failed)
{
	*rows = 0;
	*sink_failed = 0;
	if (table_index >= TENANT_TABLE_COUNT)
		return DB_ERROR;
	const char *table = tenant_tables[table_index];
	if (sink->begin_table != NULL && sink->begin_table(sink->sink_context, table) != 0) {
		*sink_failed = 1;
		return DB_OK;
	}
	struct tenant_export_rows export = {.sink = sink, .table = table};
	struct db_param key[] = {DB_UINT(tenant_id)};
	const struct db_statement_def *statement =
		&tenant_table_statements[TENANT_TABLE_STATEMENTS * table_index + (locked ? TENANT_TABLE_EXPORT_LOCKED : TENANT_TABLE_EXPORT)];
	int result = db_query(db, statement, key, 1, tenant_lifecycle_export_row, &export);
	*rows = export.rows;
	if (result == DB_OK && !export.sink_failed && sink->end_table != NULL &&
		sink->end_table(sink->sink_context, table, export.rows) != 0)
		export.sink_failed = 1;
	*sink_failed = export.sink_failed;
	return result;
}

int tenant_lifecycle_count_table(struct db *db, uint64_t tenant_id, size_t table_index, uint64_t *rows)
{
	*rows = 0;
	if (table_index >= TENANT_TABLE_COUNT)
		return DB_ERROR;
	struct db_param key[] = {DB_UINT(tenant_id)};
	return db_query(db, &tenant_table_statements[TENANT_TABLE_STATEMENTS * table_index + TENANT_TABLE_COUNT_ROWS], key,
		1, tenant_lifecycle_read_id, rows);
}

/* ---- export to files --------------------------------------------------- */

static int tenant_file_begin(void *sink_context, const char *table)
{
	struct tenant_file_sink *files = sink_context;
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s.jsonl", files->directory, table);
	files->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (files->fd < 0) {
		snprintf(files->error, sizeof(files->error), "%s.jsonl: %s", table, strerror(errno));
		return -1;
	}
	return 0;
}

static int tenant_file_write_all(struct tenant_file_sink *files, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(files->fd, data, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			snprintf(files->error, sizeof(files->error), "write: %s", strerror(errno));
			return -1;
		}
		data += written;
		length -= (size_t)written;
	}
	return 0;
}

static int tenant_file_row(void *sink_context, const char *table, json_object *row)
{
	(void)table;
	struct tenant_file_sink *files = sink_context;
	size_t length = 0;
	const char *text =
		json_object_to_json_string_length(row, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &length);
	return tenant_file_write_all(files, text, length) == 0 && tenant_file_write_all(files, "\n", 1) == 0 ? 0 : -1;
}

/* The export must be on disk before anything is erased. */
static int tenant_file_end(void *sink_context, const char *table, uint64_t rows)
{
	(void)table;
	(void)rows;
	struct tenant_file_sink *files = sink_context;
	int result = fsync(files->fd);
	if (result != 0)
		snprintf(files->error, sizeof(files->error), "fsync: %s", strerror(errno));
	if (close(files->fd) != 0 && result == 0) {
		snprintf(files->error, sizeof(files->error), "close: %s", strerror(errno));
		result = -1;
	}
	files->fd = -1;
	if (result == 0) {
		int directory = open(files->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (directory >= 0) {
			(void)fsync(directory); /* the new name too; not every file system can */
			close(directory);
		}
	}
	return result == 0 ? 0 : -1;
}

int tenant_file_sink_open(struct tenant_file_sink *files, const char *directory, struct tenant_export_sink *sink)
{
	memset(files, 0, sizeof(*files));
	files->fd = -1;
	if (directory[0] == '\0' || strlen(directory) >= sizeof(files->directory)) {
		snprintf(files->error, sizeof(files->error), "export directory name empty or too long");
		return -1;
	}
	snprintf(files->directory, sizeof(files->directory), "%s", directory);
	if (mkdir(directory, 0700) != 0 && errno != EEXIST) {
		snprintf(files->error, sizeof(files->error), "%.200s: %s", directory, strerror(errno));
		return -1;
	}
	*sink = (struct tenant_export_sink){.begin_table = tenant_file_begin, .row = tenant_file_row,
		.end_table = tenant_file_end, .sink_context = files};
	return 0;
}

/* {"by", "table": n, ...} of the non-empty tables (totals when too long). */
static void tenant_lifecycle_row_counts(const struct tenant_actor *actor, const uint64_t *rows, char *out,
	size_t out_size)
{
	json_object *details = json_object_new_object();
	json_object_object_add(details, "by", json_object_new_string(actor->who));
	json_object *counts = json_object_new_object();
	uint64_t total = 0;
	for (size_t i = 0; i < TENANT_TABLE_COUNT; i++) {
		total += rows[i];
		if (rows[i] > 0)
			json_object_object_add(counts, tenant_tables[i], json_object_new_int64((int64_t)rows[i]));
	}
	json_object_object_add(details, "rows", counts);
	const char *text = json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= out_size && out_size > 0) {
		json_object_object_add(details, "rows", json_object_new_int64((int64_t)total));
		text = json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN);
	}
	snprintf(out, out_size, "%s", text);
	json_object_put(details);
}

int tenant_lifecycle_export(struct db *db, uint64_t tenant_id, const struct tenant_actor *actor,
	const struct tenant_export_sink *sink, uint64_t rows[64], int *sink_failed)
{
	*sink_failed = 0;
	int result = db_begin(db);
	for (size_t i = 0; result == DB_OK && i < TENANT_TABLE_COUNT; i++) {
		result = tenant_lifecycle_export_table(db, tenant_id, i, 0, sink, &rows[i], sink_failed);
		if (*sink_failed)
			return result;
	}
	if (result != DB_OK)
		return result;
	char details[1000];
	tenant_lifecycle_row_counts(actor, rows, details, sizeof(details));
	if ((result = tenant_lifecycle_audit(db, tenant_id, 1, "tenant.export", actor, details)) != DB_OK)
		return result;
	return db_commit(db);
}

/* ---- deletion ---------------------------------------------------------- */

struct tenant_schema_check {
	char *unknown;
	size_t unknown_size;
};

static int tenant_lifecycle_read_schema_table(void *callback_context, const struct db_row *row)
{
	struct tenant_schema_check *check = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL && tenant_lifecycle_table_index(row->values[0]) < 0 &&
		check->unknown[0] == '\0')
		snprintf(check->unknown, check->unknown_size, "%s", row->values[0]);
	return 0;
}

/* {"by", "before": {...}, "after": null, "rows": {"table": n, ...}} with the
 * erased counts of non-empty tables; totals only when that does not fit. */
static void tenant_lifecycle_delete_details(const struct tenant_actor *actor, const struct tenant_delete_report *report,
	char *out, size_t out_size)
{
	json_object *details = json_object_new_object();
	json_object_object_add(details, "by", json_object_new_string(actor->who));
	json_object *before = json_object_new_object();
	json_object_object_add(before, "slug", json_object_new_string(report->before.slug));
	json_object_object_add(before, "name", json_object_new_string(report->before.name));
	json_object_object_add(before, "status", json_object_new_string(report->before.status));
	json_object_object_add(details, "before", before);
	json_object_object_add(details, "after", NULL);
	json_object *rows = json_object_new_object();
	uint64_t total = 0;
	for (size_t i = 0; i < report->table_count; i++) {
		total += report->deleted[i];
		if (report->deleted[i] > 0)
			json_object_object_add(rows, tenant_tables[i], json_object_new_int64((int64_t)report->deleted[i]));
	}
	json_object_object_add(details, "rows", rows);
	const char *text = json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= out_size && out_size > 0) {
		json_object_object_add(details, "rows", json_object_new_int64((int64_t)total));
		text = json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN);
	}
	snprintf(out, out_size, "%s", text);
	json_object_put(details);
}

enum tenant_delete_outcome tenant_lifecycle_delete(struct db *db, uint64_t tenant_id, const struct tenant_actor *actor,
	const struct tenant_export_sink *sink, struct tenant_delete_report *report, int *result)
{
	memset(report, 0, sizeof(*report));
	report->table_count = TENANT_TABLE_COUNT;
	struct tenant_schema_check check = {.unknown = report->unknown_table, .unknown_size = sizeof(report->unknown_table)};
	*result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_SCHEMA_TENANT_TABLES], NULL, 0, tenant_lifecycle_read_schema_table, &check);
	if (*result != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	if (report->unknown_table[0] != '\0')
		return TENANT_DELETE_UNKNOWN_TABLE;
	if ((*result = db_begin(db)) != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	struct tenant_row target = {.out = &report->before};
	struct db_param key[] = {DB_UINT(tenant_id)};
	*result = db_query(db, &tenant_lifecycle_statements[TENANT_STMT_LOCK], key, 1, tenant_lifecycle_read, &target);
	if (*result != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	if (!target.found)
		return TENANT_DELETE_NOT_FOUND;
	if (strcmp(report->before.status, "suspended") != 0)
		return TENANT_DELETE_NOT_SUSPENDED;
	/* Export first, under shared locks: what is erased below is exactly
	 * what was written out. */
	for (size_t i = 0; i < TENANT_TABLE_COUNT; i++) {
		int sink_failed = 0;
		*result = tenant_lifecycle_export_table(db, tenant_id, i, 1, sink, &report->exported[i], &sink_failed);
		if (*result != DB_OK)
			return TENANT_DELETE_DB_FAILED;
		if (sink_failed)
			return TENANT_DELETE_EXPORT_FAILED;
	}
	for (size_t i = 0; i < TENANT_TABLE_COUNT; i++) {
		*result = db_exec(db, &tenant_table_statements[TENANT_TABLE_STATEMENTS * i + TENANT_TABLE_ERASE], key, 1, &report->deleted[i], NULL);
		if (*result != DB_OK)
			return TENANT_DELETE_DB_FAILED;
	}
	if ((*result = db_exec(db, &tenant_lifecycle_statements[TENANT_STMT_ERASE_TENANT], key, 1, NULL, NULL)) != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	char details[1000];
	tenant_lifecycle_delete_details(actor, report, details, sizeof(details));
	/* The tenant's own log is gone with it; the operator's keeps the record. */
	if ((*result = tenant_lifecycle_audit(db, tenant_id, 0, "tenant.delete", actor, details)) != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	if ((*result = db_commit(db)) != DB_OK)
		return TENANT_DELETE_DB_FAILED;
	return TENANT_DELETE_OK;
}

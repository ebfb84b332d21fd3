/* Tenant and user commands of intuka-admin. */
#include "tools/admin.h"
#include "auth/password.h"
#include "auth/rbac.h"
#include "core/config.h"
#include "core/identifiers.h"
#include "db/db.h"
#include "modules/tenant_lifecycle.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADMIN_PASSWORD_MIN_BYTES 10
#define ADMIN_NAME_MAX_BYTES 200

static const struct db_statement_def tenant_list = {.name = "admin.tenant_list",
	.sql = "SELECT tenant_id, slug, status, name, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM tenants "
	"ORDER BY tenant_id",
	.tenant_bound = 0};
static const struct db_statement_def tenant_by_slug = {.name = "admin.tenant_by_slug",
	.sql = "SELECT tenant_id FROM tenants WHERE slug = ?", .tenant_bound = 0};
static const struct db_statement_def user_insert = {.name = "admin.user_insert",
	.sql = "INSERT INTO users (tenant_id, email, display_name, password_hash, profile_id) VALUES (?, ?, ?, ?, ?)",
	.tenant_bound = 1};
static const struct db_statement_def user_count = {.name = "admin.user_count",
	.sql = "SELECT COUNT(*) FROM users WHERE tenant_id = ?", .tenant_bound = 1};
static const struct db_statement_def role_profile = {.name = "admin.role_profile",
	.sql = "SELECT profile_id FROM profiles WHERE tenant_id = ? AND builtin_role = ?", .tenant_bound = 1};
/* Built-in roles come from auth/rbac.c, the one place that defines them;
 * the version moves only when the permissions really change. */
static const struct db_statement_def seed_builtin = {.name = "admin.seed_builtin",
	.sql = "INSERT INTO profiles (tenant_id, name, description, builtin_role, permissions) "
	"SELECT tenant_id, ?, ?, ?, ? FROM tenants WHERE ? = 0 OR tenant_id = ? "
	"ON DUPLICATE KEY UPDATE version = IF(permissions <> VALUES(permissions), version + 1, version), "
	"permissions = VALUES(permissions), description = VALUES(description)",
	.tenant_bound = 0};
static const struct db_statement_def assign_admins = {.name = "admin.assign_admins",
	.sql = "UPDATE users u JOIN profiles p ON p.tenant_id = u.tenant_id AND p.builtin_role = 'tenant_admin' "
	"SET u.profile_id = p.profile_id WHERE u.profile_id IS NULL",
	.tenant_bound = 0};

int admin_seed_builtin_profiles(struct admin_context *context, uint64_t tenant_id)
{
	for (int role = 0; role < RBAC_ROLE__MAX; role++) {
		const struct rbac_role_definition *definition = rbac_builtin_role((enum rbac_builtin_role)role);
		struct db_param params[] = {DB_TEXT(definition->name), DB_TEXT(definition->description),
			DB_TEXT(definition->key), DB_TEXT(definition->permissions), DB_UINT(tenant_id), DB_UINT(tenant_id)};
		if (db_exec(context->db, &seed_builtin, params, 6, NULL, NULL) != DB_OK) {
			admin_report_db_error(context, "seeding built-in profiles");
			return -1;
		}
	}
	if (tenant_id == 0 && db_exec(context->db, &assign_admins, NULL, 0, NULL, NULL) != DB_OK) {
		admin_report_db_error(context, "assigning profiles to existing users");
		return -1;
	}
	return 0;
}

static int admin_print_tenant(void *callback_context, const struct db_row *row)
{
	(void)callback_context;
	if (row->column_count == 5)
		printf("%s\t%s\t%s\t%s\t%s\n", row->values[0], row->values[1], row->values[2], row->values[4],
			row->values[3]);
	return 0;
}

/* The audit log names the shell account that ran the command. */
static void admin_actor(char *who, size_t who_size, struct tenant_actor *actor)
{
	const struct passwd *account = getpwuid(geteuid());
	if (account != NULL)
		snprintf(who, who_size, "intuka-admin (%s)", account->pw_name);
	else
		snprintf(who, who_size, "intuka-admin (uid %lu)", (unsigned long)geteuid());
	*actor = (struct tenant_actor){.who = who, .client_address = "", .request_id = ""};
}

static int admin_tenant_create(struct admin_context *context, const char *slug, const char *name)
{
	if (!identifier_is_valid_slug(slug)) {
		fprintf(stderr,
			"intuka-admin: invalid tenant slug \"%s\": use 1-63 lowercase letters, digits and inner hyphens\n",
			slug);
		return ADMIN_EXIT_FAILURE;
	}
	if (name[0] == '\0' || strlen(name) > ADMIN_NAME_MAX_BYTES) {
		fprintf(stderr, "intuka-admin: tenant name must be 1-%d bytes\n", ADMIN_NAME_MAX_BYTES);
		return ADMIN_EXIT_FAILURE;
	}
	char who[96];
	struct tenant_actor actor;
	admin_actor(who, sizeof(who), &actor);
	struct tenant_summary created;
	uint64_t admin_profile_id = 0;
	int duplicate = 0;
	/* The tenant, its built-in roles and the audit entry appear together or not at all. */
	enum db_result result = db_begin(context->db);
	if (result == DB_OK)
		result = tenant_lifecycle_create(context->db, slug, name, &actor, &created, &admin_profile_id, &duplicate);
	if (result == DB_OK && duplicate) {
		db_rollback(context->db);
		fprintf(stderr, "intuka-admin: a tenant with slug \"%s\" already exists\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	if (result != DB_OK || (result = db_commit(context->db)) != DB_OK) {
		db_rollback(context->db);
		admin_report_db_error(context, "creating the tenant");
		return ADMIN_EXIT_FAILURE;
	}
	printf("created tenant %s (id %llu)\n", slug, (unsigned long long)created.tenant_id);
	return ADMIN_EXIT_OK;
}

/* The tenant named by slug, or a message and 0. */
static int admin_find_tenant(struct admin_context *context, const char *slug, struct tenant_summary *tenant)
{
	int found = 0;
	if (tenant_lifecycle_find(context->db, 0, slug, tenant, &found) != DB_OK) {
		admin_report_db_error(context, "looking up the tenant");
		return 0;
	}
	if (!found)
		fprintf(stderr, "intuka-admin: no tenant with slug \"%s\"\n", slug);
	return found;
}

/* tenant suspend SLUG [--reason TEXT] | tenant resume SLUG */
static int admin_tenant_set_status(struct admin_context *context, const char *slug, const char *status,
	const char *reason)
{
	if (strlen(reason) > TENANT_REASON_MAX) {
		fprintf(stderr, "intuka-admin: the reason is longer than %d bytes\n", TENANT_REASON_MAX);
		return ADMIN_EXIT_FAILURE;
	}
	struct tenant_summary tenant, before, after;
	if (!admin_find_tenant(context, slug, &tenant))
		return ADMIN_EXIT_FAILURE;
	char who[96];
	struct tenant_actor actor;
	admin_actor(who, sizeof(who), &actor);
	int found = 0;
	if (tenant_lifecycle_set_status(context->db, tenant.tenant_id, status, reason, &actor, &before, &after, &found) !=
		DB_OK) {
		db_rollback(context->db);
		admin_report_db_error(context, "changing the tenant's status");
		return ADMIN_EXIT_FAILURE;
	}
	if (!found) {
		fprintf(stderr, "intuka-admin: no tenant with slug \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	if (strcmp(before.status, after.status) == 0)
		printf("tenant %s is already %s\n", slug, after.status);
	else
		printf("tenant %s: %s -> %s\n", slug, before.status, after.status);
	return ADMIN_EXIT_OK;
}

/* tenant export SLUG DIR: one JSON-lines file per table into DIR. */
static int admin_tenant_export(struct admin_context *context, const char *slug, const char *directory)
{
	struct tenant_summary tenant;
	if (!admin_find_tenant(context, slug, &tenant))
		return ADMIN_EXIT_FAILURE;
	struct tenant_file_sink files;
	struct tenant_export_sink sink;
	if (tenant_file_sink_open(&files, directory, &sink) != 0) {
		fprintf(stderr, "intuka-admin: export directory: %s\n", files.error);
		return ADMIN_EXIT_FAILURE;
	}
	char who[96];
	struct tenant_actor actor;
	admin_actor(who, sizeof(who), &actor);
	uint64_t rows[64] = {0};
	int sink_failed = 0;
	int result = tenant_lifecycle_export(context->db, tenant.tenant_id, &actor, &sink, rows, &sink_failed);
	if (sink_failed || result != DB_OK) {
		db_rollback(context->db);
		if (sink_failed)
			fprintf(stderr, "intuka-admin: writing the export failed: %s\n", files.error);
		else
			admin_report_db_error(context, "exporting the tenant");
		return ADMIN_EXIT_FAILURE;
	}
	size_t count = 0;
	const char *const *tables = tenant_lifecycle_tables(&count);
	uint64_t total = 0;
	printf("TABLE\tROWS\n");
	for (size_t i = 0; i < count; i++) {
		printf("%s\t%llu\n", tables[i], (unsigned long long)rows[i]);
		total += rows[i];
	}
	printf("exported tenant %s: %llu rows in %zu files under %s\n", slug, (unsigned long long)total, count, directory);
	return ADMIN_EXIT_OK;
}

/* tenant delete SLUG --export-dir DIR: export, then erase, reported per table. */
static int admin_tenant_delete(struct admin_context *context, const char *slug, const char *directory)
{
	struct tenant_summary tenant;
	if (!admin_find_tenant(context, slug, &tenant))
		return ADMIN_EXIT_FAILURE;
	if (strcmp(tenant.status, "suspended") != 0) {
		fprintf(stderr, "intuka-admin: tenant %s is %s; suspend it first (tenant suspend %s)\n", slug, tenant.status,
			slug);
		return ADMIN_EXIT_FAILURE;
	}
	struct tenant_file_sink files;
	struct tenant_export_sink sink;
	if (tenant_file_sink_open(&files, directory, &sink) != 0) {
		fprintf(stderr, "intuka-admin: export directory: %s\n", files.error);
		return ADMIN_EXIT_FAILURE;
	}
	char who[96];
	struct tenant_actor actor;
	admin_actor(who, sizeof(who), &actor);
	static struct tenant_delete_report report;
	int result = DB_OK;
	enum tenant_delete_outcome outcome = tenant_lifecycle_delete(context->db, tenant.tenant_id, &actor, &sink, &report,
		&result);
	if (outcome != TENANT_DELETE_OK)
		db_rollback(context->db);
	switch (outcome) {
	case TENANT_DELETE_OK:
		break;
	case TENANT_DELETE_NOT_FOUND:
		fprintf(stderr, "intuka-admin: no tenant with slug \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	case TENANT_DELETE_NOT_SUSPENDED:
		fprintf(stderr, "intuka-admin: tenant %s is no longer suspended; nothing was deleted\n", slug);
		return ADMIN_EXIT_FAILURE;
	case TENANT_DELETE_UNKNOWN_TABLE:
		fprintf(stderr,
			"intuka-admin: the database has a tenant table this intuka-admin does not know (%s); "
			"nothing was deleted (upgrade intuka-admin)\n",
			report.unknown_table);
		return ADMIN_EXIT_FAILURE;
	case TENANT_DELETE_EXPORT_FAILED:
		fprintf(stderr, "intuka-admin: writing the export failed (%s); nothing was deleted\n", files.error);
		return ADMIN_EXIT_FAILURE;
	case TENANT_DELETE_DB_FAILED:
		admin_report_db_error(context, "deleting the tenant (nothing was deleted)");
		return ADMIN_EXIT_FAILURE;
	}
	uint64_t exported = 0, deleted = 0;
	size_t count = 0;
	const char *const *tables = tenant_lifecycle_tables(&count);
	printf("TABLE\tEXPORTED\tDELETED\n");
	for (size_t i = 0; i < count; i++) {
		printf("%s\t%llu\t%llu\n", tables[i], (unsigned long long)report.exported[i],
			(unsigned long long)report.deleted[i]);
		exported += report.exported[i];
		deleted += report.deleted[i];
	}
	printf("deleted tenant %s (id %llu): %llu rows exported to %s, %llu rows deleted\n", slug,
		(unsigned long long)tenant.tenant_id, (unsigned long long)exported, directory, (unsigned long long)deleted);
	return ADMIN_EXIT_OK;
}

int admin_tenant(struct admin_context *context, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("ID\tSLUG\tSTATUS\tCREATED\tNAME\n");
		if (db_query(context->db, &tenant_list, NULL, 0, admin_print_tenant, NULL) != DB_OK) {
			admin_report_db_error(context, "listing tenants");
			return ADMIN_EXIT_FAILURE;
		}
		return ADMIN_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[0], "create") == 0)
		return admin_tenant_create(context, argv[1], argv[2]);
	if ((argc == 2 || (argc == 4 && strcmp(argv[2], "--reason") == 0)) && strcmp(argv[0], "suspend") == 0)
		return admin_tenant_set_status(context, argv[1], "suspended", argc == 4 ? argv[3] : "");
	if (argc == 2 && strcmp(argv[0], "resume") == 0)
		return admin_tenant_set_status(context, argv[1], "active", "");
	if (argc == 3 && strcmp(argv[0], "export") == 0)
		return admin_tenant_export(context, argv[1], argv[2]);
	if (argc == 4 && strcmp(argv[0], "delete") == 0 && strcmp(argv[2], "--export-dir") == 0)
		return admin_tenant_delete(context, argv[1], argv[3]);
	fprintf(stderr, "usage: intuka-admin tenant create SLUG NAME | tenant list | tenant suspend SLUG [--reason TEXT]\n"
			"       | tenant resume SLUG | tenant export SLUG DIR | tenant delete SLUG --export-dir DIR\n");
	return ADMIN_EXIT_USAGE;
}

static int admin_copy_id(void *callback_context, const struct db_row *row)
{
	unsigned long long *id = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL)
		*id = strtoull(row->values[0], NULL, 10);
	return 0;
}

/* The password never comes from argv: other users can read it in ps. */
static int admin_read_password(char *out, size_t out_size)
{
	const char *from_environment = getenv("INTUKA_USER_PASSWORD");
	if (from_environment != NULL) {
		if (strlen(from_environment) >= out_size)
			return -1;
		snprintf(out, out_size, "%s", from_environment);
		return 0;
	}
	if (fgets(out, (int)out_size, stdin) == NULL)
		return -1;
	size_t length = strlen(out);
	if (length > 0 && out[length - 1] != '\n' && !feof(stdin))
		return -1; /* longer than the buffer */
	while (length > 0 && (out[length - 1] == '\n' || out[length - 1] == '\r'))
		out[--length] = '\0';
	return 0;
}

static int admin_copy_number(void *callback_context, const struct db_row *row)
{
	unsigned long long *number = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL)
		*number = strtoull(row->values[0], NULL, 10);
	return 0;
}

/* The profile for role, or by default: Tenant Admin for a tenant's first
 * user, User afterwards. 0 when it cannot be found. */
static unsigned long long admin_role_profile(struct admin_context *context, unsigned long long tenant_id,
	const char *role_key)
{
	unsigned long long existing_users = 0, profile_id = 0;
	if (role_key == NULL) {
		struct db_param count_params[] = {DB_UINT(tenant_id)};
		if (db_query(context->db, &user_count, count_params, 1, admin_copy_number, &existing_users) != DB_OK)
			return 0;
		role_key = existing_users == 0 ? "tenant_admin" : "user";
	}
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(role_key)};
	if (db_query(context->db, &role_profile, params, 2, admin_copy_number, &profile_id) != DB_OK)
		return 0;
	return profile_id;
}

static int admin_user_create(struct admin_context *context, const char *tenant_slug, const char *email_input,
	const char *display_name, const char *role_key)
{
	if (role_key != NULL && rbac_builtin_role_by_key(role_key) == NULL) {
		fprintf(stderr, "intuka-admin: unknown role \"%s\": use tenant_admin, manager, user or viewer\n", role_key);
		return ADMIN_EXIT_FAILURE;
	}
	char email[IDENTIFIER_EMAIL_MAX + 1];
	if (identifier_lowercase(email_input, email, sizeof(email)) != 0 || !identifier_is_plausible_email(email)) {
		fprintf(stderr, "intuka-admin: \"%s\" is not a valid email address\n", email_input);
		return ADMIN_EXIT_FAILURE;
	}
	if (strlen(display_name) > ADMIN_NAME_MAX_BYTES) {
		fprintf(stderr, "intuka-admin: name longer than %d bytes\n", ADMIN_NAME_MAX_BYTES);
		return ADMIN_EXIT_FAILURE;
	}
	unsigned long long tenant_id = 0;
	struct db_param slug_param[] = {DB_TEXT(tenant_slug)};
	if (db_query(context->db, &tenant_by_slug, slug_param, 1, admin_copy_id, &tenant_id) != DB_OK) {
		admin_report_db_error(context, "looking up the tenant");
		return ADMIN_EXIT_FAILURE;
	}
	if (tenant_id == 0) {
		fprintf(stderr, "intuka-admin: no tenant with slug \"%s\"\n", tenant_slug);
		return ADMIN_EXIT_FAILURE;
	}
	unsigned long long profile_id = admin_role_profile(context, tenant_id, role_key);
	if (profile_id == 0) {
		admin_report_db_error(context, "finding the role's profile (has migrate run?)");
		return ADMIN_EXIT_FAILURE;
	}
	char password[PASSWORD_MAX_BYTES + 2];
	if (admin_read_password(password, sizeof(password)) != 0 || strlen(password) < ADMIN_PASSWORD_MIN_BYTES ||
		strlen(password) > PASSWORD_MAX_BYTES) {
		explicit_bzero(password, sizeof(password));
		fprintf(stderr,
			"intuka-admin: give a password of %d to %d bytes in INTUKA_USER_PASSWORD or on standard input\n",
			ADMIN_PASSWORD_MIN_BYTES, PASSWORD_MAX_BYTES);
		return ADMIN_EXIT_FAILURE;
	}
	char password_hash_text[PASSWORD_HASH_TEXT_MAX];
	int hashed = password_hash(password, password_hash_text, sizeof(password_hash_text));
	explicit_bzero(password, sizeof(password));
	if (hashed != 0) {
		fprintf(stderr, "intuka-admin: password hashing failed\n");
		return ADMIN_EXIT_FAILURE;
	}
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(email), DB_TEXT(display_name),
		DB_TEXT(password_hash_text), DB_UINT(profile_id)};
	uint64_t user_id = 0;
	enum db_result result = db_exec(context->db, &user_insert, params, 5, NULL, &user_id);
	if (result == DB_DUPLICATE) {
		fprintf(stderr, "intuka-admin: %s already exists in tenant %s\n", email, tenant_slug);
		return ADMIN_EXIT_FAILURE;
	}
	if (result != DB_OK) {
		admin_report_db_error(context, "creating the user");
		return ADMIN_EXIT_FAILURE;
	}
	printf("created user %s in tenant %s (id %llu)\n", email, tenant_slug, (unsigned long long)user_id);
	return ADMIN_EXIT_OK;
}

int admin_user(struct admin_context *context, int argc, char **argv)
{
	if (argc >= 3 && argc % 2 == 1 && strcmp(argv[0], "create") == 0) {
		const char *display_name = "";
		const char *role_key = NULL;
		for (int i = 3; i < argc; i += 2) {
			if (strcmp(argv[i], "--name") == 0)
				display_name = argv[i + 1];
			else if (strcmp(argv[i], "--role") == 0)
				role_key = argv[i + 1];
			else
				goto usage;
		}
		return admin_user_create(context, argv[1], argv[2], display_name, role_key);
	}
usage:
	fprintf(stderr, "usage: intuka-admin user create TENANT_SLUG EMAIL [--name NAME] [--role ROLE]\n"
			"       ROLE: tenant_admin, manager, user or viewer (default: tenant_admin for a tenant's\n"
			"       first user, user afterwards); password from INTUKA_USER_PASSWORD or stdin\n");
	return ADMIN_EXIT_USAGE;
}

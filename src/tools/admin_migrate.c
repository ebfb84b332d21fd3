/* Numbered migrations (sql/migrations/NNNN_name.sql) applied in order, each
 * recorded with its checksum in schema_migrations. Re-running applies only
 * what is missing; an applied file that later changed is refused. A lock
 * row keeps two admins from migrating at once, on one server or on any
 * nodes of a Galera cluster: GET_LOCK would be local to one node there,
 * while the row's compare-and-set is an ordinary replicated write that
 * Galera certifies, so of two admins on two nodes one wins. */
#include "tools/admin.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/hex.h"
#include "db/db.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIGRATION_MAX_FILES 1000
/* How long the lock row stays taken by an admin that died holding it;
 * renewed after every applied migration. */
#define MIGRATION_LOCK_LEASE_S 900
/* How long an admin waits for another one's migration. */
#define MIGRATION_LOCK_WAIT_S 60
#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)

struct migration_file {
	int version;
	char file_name[256];
};

static const struct db_statement_def migrate_create_table = {.name = "admin.create_schema_migrations",
	.sql = "CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INT UNSIGNED NOT NULL PRIMARY KEY,"
	" name VARCHAR(200) NOT NULL,"
	" checksum CHAR(64) NOT NULL,"
	" applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	.tenant_bound = 0};
static const struct db_statement_def migrate_create_lock = {.name = "admin.create_schema_migration_lock",
	.sql = "CREATE TABLE IF NOT EXISTS schema_migration_lock ("
	" lock_id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
	" holder CHAR(32) NULL,"
	" expires_at DATETIME(3) NULL"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	.tenant_bound = 0};
static const struct db_statement_def migrate_lock_row = {.name = "admin.migrate_lock_row",
	.sql = "INSERT IGNORE INTO schema_migration_lock (lock_id) VALUES (1)", .tenant_bound = 0, .retry_safe = 1};
/* Taken when free or when its holder's lease ran out. */
static const struct db_statement_def migrate_lock = {.name = "admin.migrate_lock",
	.sql = "UPDATE schema_migration_lock SET holder = ?, expires_at = NOW(3) + INTERVAL ? SECOND "
	"WHERE lock_id = 1 AND (holder IS NULL OR expires_at < NOW(3))",
	.tenant_bound = 0};
static const struct db_statement_def migrate_lock_renew = {.name = "admin.migrate_lock_renew",
	.sql = "UPDATE schema_migration_lock SET expires_at = NOW(3) + INTERVAL ? SECOND WHERE lock_id = 1 AND holder = ?",
	.tenant_bound = 0, .retry_safe = 1};
static const struct db_statement_def migrate_unlock = {.name = "admin.migrate_unlock",
	.sql = "UPDATE schema_migration_lock SET holder = NULL, expires_at = NULL WHERE lock_id = 1 AND holder = ?",
	.tenant_bound = 0, .retry_safe = 1};
static const struct db_statement_def migrate_checksum = {.name = "admin.migration_checksum",
	.sql = "SELECT checksum FROM schema_migrations WHERE version = ?", .tenant_bound = 0};
static const struct db_statement_def migrate_record = {.name = "admin.migration_record",
	.sql = "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)", .tenant_bound = 0};
static const struct db_statement_def migrate_version = {.name = "admin.schema_version",
	.sql = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", .tenant_bound = 0};

/* NNNN_lowercase_name.sql */
static int migration_parse_name(const char *file_name, int *version)
{
	size_t length = strlen(file_name);
	if (length < 10 || strcmp(file_name + length - 4, ".sql") != 0 || file_name[4] != '_')
		return -1;
	int value = 0;
	for (int i = 0; i < 4; i++) {
		if (file_name[i] < '0' || file_name[i] > '9')
			return -1;
		value = value * 10 + (file_name[i] - '0');
	}
	for (size_t i = 5; i < length - 4; i++) {
		char c = file_name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	*version = value;
	return value > 0 ? 0 : -1;
}

static int migration_compare(const void *left, const void *right)
{
	return ((const struct migration_file *)left)->version - ((const struct migration_file *)right)->version;
}

/* Lists migration files sorted by version; returns the count or -1. */
static int migration_list(const char *directory, struct migration_file *files, int capacity)
{
	DIR *listing = opendir(directory);
	if (listing == NULL) {
		fprintf(stderr, "intuka-admin: migrations directory %s: %s\n", directory, strerror(errno));
		return -1;
	}
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(listing)) != NULL) {
		int version;
		if (entry->d_name[0] == '.' || migration_parse_name(entry->d_name, &version) != 0)
			continue;
		if (count == capacity || strlen(entry->d_name) >= sizeof(files[count].file_name)) {
			fprintf(stderr, "intuka-admin: too many or too long migration files in %s\n", directory);
			closedir(listing);
			return -1;
		}
		files[count].version = version;
		snprintf(files[count].file_name, sizeof(files[count].file_name), "%s", entry->d_name);
		count++;
	}
	closedir(listing);
	qsort(files, (size_t)count, sizeof(files[0]), migration_compare);
	for (int i = 1; i < count; i++) {
		if (files[i].version == files[i - 1].version) {
			fprintf(stderr, "intuka-admin: two migrations share version %04d: %s and %s\n", files[i].version,
				files[i - 1].file_name, files[i].file_name);
			return -1;
		}
	}
	return count;
}

int admin_latest_available_version(const char *migrations_dir)
{
	static struct migration_file files[MIGRATION_MAX_FILES];
	int count = migration_list(migrations_dir, files, MIGRATION_MAX_FILES);
	if (count < 0)
		return -1;
	return count == 0 ? 0 : files[count - 1].version;
}

static char *migration_read(const char *directory, const char *file_name)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", directory, file_name);
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		fprintf(stderr, "intuka-admin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *text = xmalloc(MIGRATION_MAX_BYTES + 1);
	size_t length = fread(text, 1, MIGRATION_MAX_BYTES + 1, file);
	int failed = ferror(file) || length > MIGRATION_MAX_BYTES;
	fclose(file);
	if (failed) {
		fprintf(stderr, "intuka-admin: %s: unreadable or larger than 4 MiB\n", path);
		free(text);
		return NULL;
	}
	text[length] = '\0';
	return text;
}

static int migration_copy_first_column(void *callback_context, const struct db_row *row)
{
	char *out = callback_context;
	if (row->column_count > 0 && row->values[0] != NULL)
		snprintf(out, 65, "%s", row->values[0]);
	return 0;
}

int admin_schema_version(struct admin_context *context, long long *version)
{
	char text[65] = "";
	if (db_query(context->db, &migrate_version, NULL, 0, migration_copy_first_column, text) != DB_OK)
		return -1;
	*version = strtoll(text, NULL, 10);
	return 0;
}

/* Takes the lock row for holder, waiting up to MIGRATION_LOCK_WAIT_S for
 * another admin. A conflict at commit (two nodes took it at once) means
 * the other one has it. Returns 0 when taken. */
static int migration_lock(struct admin_context *context, const char *holder)
{
	if (db_exec(context->db, &migrate_create_lock, NULL, 0, NULL, NULL) != DB_OK ||
		db_exec(context->db, &migrate_lock_row, NULL, 0, NULL, NULL) != DB_OK) {
		admin_report_db_error(context, "creating the migration lock");
		return -1;
	}
	for (int waited_ms = 0; waited_ms <= MIGRATION_LOCK_WAIT_S * 1000; waited_ms += 250) {
		struct db_param params[] = {DB_TEXT(holder), DB_INT(MIGRATION_LOCK_LEASE_S)};
		uint64_t taken = 0;
		enum db_result result = db_exec(context->db, &migrate_lock, params, 2, &taken, NULL);
		if (result == DB_OK && taken == 1)
			return 0;
		if (result != DB_OK && result != DB_DEADLOCK) {
			admin_report_db_error(context, "taking the migration lock");
			return -1;
		}
		struct timespec pause = {.tv_sec = 0, .tv_nsec = 250 * 1000000L};
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "intuka-admin: another migration is running (lock not obtained in %d s)\n",
		MIGRATION_LOCK_WAIT_S);
	return -1;
}

static int migration_apply_all(struct admin_context *context, struct migration_file *files, int count,
	const char *holder)
{
	int applied = 0;
	for (int i = 0; i < count; i++) {
		struct migration_file *file = &files[i];
		char *text = migration_read(context->migrations_dir, file->file_name);
		if (text == NULL)
			return -1;
		char checksum[65];
		if (hex_sha256(text, strlen(text), checksum) != 0) {
			fprintf(stderr, "intuka-admin: cannot compute the checksum of migration %s\n", file->file_name);
			free(text);
			return -1;
		}
		char recorded[65] = "";
		struct db_param version_param[] = {DB_INT(file->version)};
		if (db_query(context->db, &migrate_checksum, version_param, 1, migration_copy_first_column, recorded) !=
			DB_OK) {
			admin_report_db_error(context, "reading applied migrations");
			free(text);
			return -1;
		}
		if (recorded[0] != '\0') {
			free(text);
			if (strcmp(recorded, checksum) != 0) {
				fprintf(stderr,
					"intuka-admin: migration %s was changed after it was applied; add a new "
					"migration instead of editing an applied one\n",
					file->file_name);
				return -1;
			}
			continue;
		}
		printf("applying %s\n", file->file_name);
		enum db_result result = db_exec_script(context->db, text);
		free(text);
		if (result != DB_OK) {
			fprintf(stderr, "intuka-admin: migration %s failed: %s\n", file->file_name, db_last_error(context->db));
			return -1;
		}
		struct db_param record[] = {DB_INT(file->version), DB_TEXT(file->file_name), DB_TEXT(checksum)};
		if (db_exec(context->db, &migrate_record, record, 3, NULL, NULL) != DB_OK) {
			admin_report_db_error(context, "recording a migration");
			return -1;
		}
		struct db_param renew[] = {DB_INT(MIGRATION_LOCK_LEASE_S), DB_TEXT(holder)};
		uint64_t renewed = 0;
		if (db_exec(context->db, &migrate_lock_renew, renew, 2, &renewed, NULL) != DB_OK || renewed != 1) {
			fprintf(stderr, "intuka-admin: the migration lock was lost after %s; stopping\n", file->file_name);
			return -1;
		}
		applied++;
	}
	return applied;
}

int admin_migrate(struct admin_context *context)
{
	static struct migration_file files[MIGRATION_MAX_FILES];
	int count = migration_list(context->migrations_dir, files, MIGRATION_MAX_FILES);
	if (count < 0)
		return ADMIN_EXIT_FAILURE;
	if (db_exec(context->db, &migrate_create_table, NULL, 0, NULL, NULL) != DB_OK) {
		admin_report_db_error(context, "creating schema_migrations");
		return ADMIN_EXIT_FAILURE;
	}
	char holder[33];
	if (hex_random(16, holder, sizeof(holder)) != 0) {
		fprintf(stderr, "intuka-admin: no random bytes for the migration lock\n");
		return ADMIN_EXIT_FAILURE;
	}
	if (migration_lock(context, holder) != 0)
		return ADMIN_EXIT_FAILURE;
	int applied = migration_apply_all(context, files, count, holder);
	struct db_param release[] = {DB_TEXT(holder)};
	if (db_exec(context->db, &migrate_unlock, release, 1, NULL, NULL) != DB_OK)
		admin_report_db_error(context, "releasing the migration lock (it lapses by itself)");
	if (applied < 0)
		return ADMIN_EXIT_FAILURE;
	if (admin_seed_builtin_profiles(context, 0) != 0)
		return ADMIN_EXIT_FAILURE;
	long long version = 0;
	if (admin_schema_version(context, &version) != 0) {
		admin_report_db_error(context, "reading the schema version");
		return ADMIN_EXIT_FAILURE;
	}
	if (applied == 0)
		printf("schema up to date at version %lld\n", version);
	else
		printf("applied %d migration%s; schema version %lld\n", applied, applied == 1 ? "" : "s", version);
	return ADMIN_EXIT_OK;
}

/* A tenant's deletion erases every table that holds its rows: the list in
 * modules/tenant_lifecycle.c is held to the migrations here (every table
 * created, or altered, with a tenant_id column), so a new table cannot be
 * forgotten silently. Also the export's row format and its files. */
#include "unit_suites.h"
#include "modules/tenant_lifecycle.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef INTUKA_MIGRATIONS_SOURCE_DIR
#error "INTUKA_MIGRATIONS_SOURCE_DIR names sql/migrations"
#endif

#define MIGRATION_TABLES_MAX 128

struct table_names {
	char names[MIGRATION_TABLES_MAX][65];
	size_t count;
};

static void table_names_add(struct table_names *tables, const char *name, size_t length)
{
	if (length == 0 || length > 64 || tables->count >= MIGRATION_TABLES_MAX)
		return;
	for (size_t i = 0; i < tables->count; i++)
		if (strlen(tables->names[i]) == length && memcmp(tables->names[i], name, length) == 0)
			return;
	memcpy(tables->names[tables->count], name, length);
	tables->names[tables->count][length] = '\0';
	tables->count++;
}

static size_t identifier_length(const char *text)
{
	size_t length = 0;
	while ((text[length] >= 'a' && text[length] <= 'z') || (text[length] >= '0' && text[length] <= '9') ||
		text[length] == '_')
		length++;
	return length;
}

/* Tables of one migration's text that get a tenant_id column. */
static void migration_tenant_tables(const char *sql, struct table_names *tables)
{
	static const char create[] = "CREATE TABLE IF NOT EXISTS ";
	for (const char *found = strstr(sql, create); found != NULL; found = strstr(found + 1, create)) {
		const char *name = found + strlen(create);
		size_t name_length = identifier_length(name);
		const char *end = strstr(name, "\n)");
		if (end == NULL)
			continue;
		for (const char *line = strchr(name, '\n'); line != NULL && line < end; line = strchr(line + 1, '\n')) {
			const char *column = line + 1 + strspn(line + 1, " \t");
			if (strncmp(column, "tenant_id ", 10) == 0) {
				table_names_add(tables, name, name_length);
				break;
			}
		}
	}
	static const char alter[] = "ALTER TABLE ";
	for (const char *found = strstr(sql, alter); found != NULL; found = strstr(found + 1, alter)) {
		const char *name = found + strlen(alter);
		size_t name_length = identifier_length(name);
		const char *end = strchr(name, ';');
		const char *added = strstr(name, "ADD COLUMN IF NOT EXISTS tenant_id ");
		const char *added_plain = strstr(name, "ADD COLUMN tenant_id ");
		if ((added != NULL && (end == NULL || added < end)) || (added_plain != NULL && (end == NULL || added_plain < end)))
			table_names_add(tables, name, name_length);
	}
}

static int read_migrations(struct table_names *tables)
{
	DIR *directory = opendir(INTUKA_MIGRATIONS_SOURCE_DIR);
	if (directory == NULL)
		return -1;
	size_t files = 0;
	for (struct dirent *entry = readdir(directory); entry != NULL; entry = readdir(directory)) {
		size_t length = strlen(entry->d_name);
		if (length < 5 || strcmp(entry->d_name + length - 4, ".sql") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", INTUKA_MIGRATIONS_SOURCE_DIR, entry->d_name);
		FILE *file = fopen(path, "r");
		if (file == NULL)
			continue;
		static char text[1 << 20];
		size_t used = fread(text, 1, sizeof(text) - 1, file);
		text[used] = '\0';
		fclose(file);
		migration_tenant_tables(text, tables);
		files++;
	}
	closedir(directory);
	return files > 0 ? 0 : -1;
}

static void every_table_with_a_tenant_id_column_is_erased_with_its_tenant(void)
{
	struct table_names migrations = {0};
	CU_ASSERT_EQUAL_FATAL(read_migrations(&migrations), 0);
	size_t count = 0;
	const char *const *listed = tenant_lifecycle_tables(&count);
	/* The reader itself must see what it is there to see. */
	CU_ASSERT_TRUE(migrations.count >= 30);
	size_t matched = 0;
	for (size_t i = 0; i < migrations.count; i++) {
		if (strcmp(migrations.names[i], "tenants") == 0)
			continue; /* the tenant itself goes last, by its own statement */
		if (tenant_lifecycle_table_index(migrations.names[i]) < 0)
			fprintf(stderr, "table %s has a tenant_id column but is not in tenant_tables\n", migrations.names[i]);
		CU_ASSERT_TRUE(tenant_lifecycle_table_index(migrations.names[i]) >= 0);
		matched++;
	}
	/* And nothing listed that the migrations do not make. */
	for (size_t i = 0; i < count; i++) {
		int made = 0;
		for (size_t j = 0; j < migrations.count; j++)
			made |= strcmp(migrations.names[j], listed[i]) == 0;
		if (!made)
			fprintf(stderr, "tenant_tables lists %s, which no migration makes with tenant_id\n", listed[i]);
		CU_ASSERT_TRUE(made);
	}
	CU_ASSERT_EQUAL(matched, count);
	CU_ASSERT_EQUAL(tenant_lifecycle_table_index("tenants"), -1);
}

static void the_reader_finds_created_and_altered_tenant_tables_only(void)
{
	struct table_names tables = {0};
	migration_tenant_tables("CREATE TABLE IF NOT EXISTS owned (\n  tenant_id BIGINT,\n  x INT\n) ENGINE=InnoDB;\n"
				"CREATE TABLE IF NOT EXISTS global_one (\n  id INT,\n  other_tenant_id INT\n);\n"
				"ALTER TABLE later\n  ADD COLUMN IF NOT EXISTS tenant_id BIGINT;\n"
				"ALTER TABLE unrelated ADD COLUMN note INT;\n",
		&tables);
	CU_ASSERT_EQUAL_FATAL(tables.count, 2);
	CU_ASSERT_STRING_EQUAL(tables.names[0], "owned");
	CU_ASSERT_STRING_EQUAL(tables.names[1], "later");
}

static void an_exported_row_keeps_types_nulls_and_bytes(void)
{
	const char *names[] = {"tenant_id", "name", "amount", "hash", "note", "ratio"};
	const char *values[] = {"7", "Ann \"A\"", "12.50", "\x01\xff", NULL, "0.25"};
	unsigned long lengths[] = {1, 7, 5, 2, 0, 4};
	enum db_column_kind kinds[] = {DB_COLUMN_NUMBER, DB_COLUMN_TEXT, DB_COLUMN_TEXT, DB_COLUMN_BINARY, DB_COLUMN_TEXT,
		DB_COLUMN_NUMBER};
	struct db_row row = {.column_count = 6, .values = values, .lengths = lengths, .names = names, .kinds = kinds};
	json_object *object = tenant_lifecycle_row_json(&row);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN),
		"{\"tenant_id\":7,\"name\":\"Ann \\\"A\\\"\",\"amount\":\"12.50\",\"hash\":\"01ff\",\"note\":null,\"ratio\":0.25}");
	json_object_put(object);
}

static void export_files_are_json_lines_and_never_overwrite(void)
{
	char directory[] = "/tmp/intuka-export-test-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char target[128];
	snprintf(target, sizeof(target), "%s/tenant", directory);
	struct tenant_file_sink files;
	struct tenant_export_sink sink;
	CU_ASSERT_EQUAL_FATAL(tenant_file_sink_open(&files, target, &sink), 0);
	CU_ASSERT_EQUAL(sink.begin_table(sink.sink_context, "users"), 0);
	json_object *row = json_tokener_parse("{\"user_id\":1,\"email\":\"a@b.test\"}");
	CU_ASSERT_EQUAL(sink.row(sink.sink_context, "users", row), 0);
	CU_ASSERT_EQUAL(sink.row(sink.sink_context, "users", row), 0);
	json_object_put(row);
	CU_ASSERT_EQUAL(sink.end_table(sink.sink_context, "users", 2), 0);
	char path[256], text[256] = "";
	snprintf(path, sizeof(path), "%s/users.jsonl", target);
	FILE *file = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	size_t used = fread(text, 1, sizeof(text) - 1, file);
	text[used] = '\0';
	fclose(file);
	CU_ASSERT_STRING_EQUAL(text, "{\"user_id\":1,\"email\":\"a@b.test\"}\n{\"user_id\":1,\"email\":\"a@b.test\"}\n");
	struct stat info;
	CU_ASSERT_EQUAL(stat(path, &info), 0);
	CU_ASSERT_EQUAL(info.st_mode & 0777, 0600);
	/* A second export into the same place refuses rather than overwrite. */
	CU_ASSERT_EQUAL(sink.begin_table(sink.sink_context, "users"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(files.error, "users.jsonl"));
	unlink(path);
	rmdir(target);
	rmdir(directory);
}

static const struct unit_test tenant_lifecycle_tests[] = {
	{"every_table_with_a_tenant_id_column_is_erased_with_its_tenant",
		every_table_with_a_tenant_id_column_is_erased_with_its_tenant},
	{"the_reader_finds_created_and_altered_tenant_tables_only", the_reader_finds_created_and_altered_tenant_tables_only},
	{"an_exported_row_keeps_types_nulls_and_bytes", an_exported_row_keeps_types_nulls_and_bytes},
	{"export_files_are_json_lines_and_never_overwrite", export_files_are_json_lines_and_never_overwrite},
};

int register_tenant_lifecycle_suite(void)
{
	return UNIT_SUITE("tenant_lifecycle", tenant_lifecycle_tests);
}

/* docs/api.md's permission tables say what the code grants: the catalogue
 * table lists exactly rbac_catalogue(), and each built-in profile's row lists
 * exactly its permissions. A permission added in code without its line in the
 * documentation (as find.* once was) fails here. Likewise the rate limit
 * table lists exactly the kinds of bucket the code counts in. */
#include "unit_suites.h"
#include "auth/ratelimit.h"
#include "auth/rbac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INTUKA_API_DOC_FILE
#error "INTUKA_API_DOC_FILE names docs/api.md"
#endif

#define DOC_LINE_MAX 4096
#define DOC_NAMES_MAX 64

struct doc_names {
	char names[DOC_NAMES_MAX][48];
	size_t count;
};

static void doc_names_add(struct doc_names *names, const char *name, size_t length)
{
	if (names->count < DOC_NAMES_MAX && length > 0 && length < sizeof(names->names[0])) {
		memcpy(names->names[names->count], name, length);
		names->names[names->count][length] = '\0';
		names->count++;
	}
}

/* Every `quoted` word of text (up to end) into names, split at spaces. */
static void doc_quoted_words(const char *text, const char *end, struct doc_names *names)
{
	for (const char *open = strchr(text, '`'); open != NULL && open < end; open = strchr(open + 1, '`')) {
		const char *close = strchr(open + 1, '`');
		if (close == NULL || close > end)
			return;
		for (const char *word = open + 1; word < close;) {
			size_t length = strcspn(word, " `");
			doc_names_add(names, word, length);
			word += length + (word[length] == ' ');
		}
		open = close;
	}
}

static int doc_names_hold(const struct doc_names *names, const char *name)
{
	for (size_t i = 0; i < names->count; i++)
		if (strcmp(names->names[i], name) == 0)
			return 1;
	return 0;
}

/* The same set, in any order, each once. */
static int doc_names_equal(const struct doc_names *names, const char *const *expected, size_t expected_count)
{
	if (names->count != expected_count)
		return 0;
	for (size_t i = 0; i < expected_count; i++)
		if (!doc_names_hold(names, expected[i]))
			return 0;
	return 1;
}

static void doc_report(const char *what, const struct doc_names *names)
{
	fprintf(stderr, "docs/api.md %s:", what);
	for (size_t i = 0; i < names->count; i++)
		fprintf(stderr, " %s", names->names[i]);
	fprintf(stderr, "\n");
}

static void permission_tables_match_the_catalogue_and_the_built_in_profiles(void)
{
	FILE *file = fopen(INTUKA_API_DOC_FILE, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	struct doc_names catalogue = {0};
	struct doc_names roles[RBAC_ROLE__MAX];
	memset(roles, 0, sizeof(roles));
	int in_section = 0, role_rows = 0;
	char line[DOC_LINE_MAX];
	while (fgets(line, sizeof(line), file) != NULL) {
		if (strncmp(line, "## ", 3) == 0) {
			in_section = strncmp(line, "## Permissions (RBAC)", 21) == 0;
			continue;
		}
		if (!in_section || strncmp(line, "| `", 3) != 0)
			continue;
		const char *first_end = strchr(line + 1, '|');
		if (first_end == NULL)
			continue;
		char key[48];
		size_t key_length = strcspn(line + 3, "`");
		snprintf(key, sizeof(key), "%.*s", (int)key_length, line + 3);
		const struct rbac_role_definition *role = rbac_builtin_role_by_key(key);
		if (role != NULL) {
			/* The permissions are the last quoted group of the row. */
			const char *last_close = strrchr(line, '`');
			const char *last_open = NULL;
			for (const char *at = line; at < last_close; at++)
				if (*at == '`')
					last_open = at;
			for (int r = 0; r < RBAC_ROLE__MAX; r++)
				if (rbac_builtin_role((enum rbac_builtin_role)r) == role && last_open != NULL)
					doc_quoted_words(last_open, last_close + 1, &roles[r]);
			role_rows++;
		} else if (strchr(key, '.') != NULL) {
			doc_quoted_words(line, first_end, &catalogue);
		}
	}
	fclose(file);
	size_t catalogue_count = 0;
	const char *const *permissions = rbac_catalogue(&catalogue_count);
	if (!doc_names_equal(&catalogue, permissions, catalogue_count))
		doc_report("permission table lists", &catalogue);
	CU_ASSERT_TRUE(doc_names_equal(&catalogue, permissions, catalogue_count));
	CU_ASSERT_EQUAL(role_rows, RBAC_ROLE__MAX);
	for (int r = 0; r < RBAC_ROLE__MAX; r++) {
		const struct rbac_role_definition *role = rbac_builtin_role((enum rbac_builtin_role)r);
		struct doc_names granted = {0};
		char text[RBAC_PERMISSIONS_TEXT_MAX + 3];
		snprintf(text, sizeof(text), "`%s`", role->permissions);
		doc_quoted_words(text, text + strlen(text), &granted);
		const char *expected[DOC_NAMES_MAX];
		for (size_t i = 0; i < granted.count; i++)
			expected[i] = granted.names[i];
		if (!doc_names_equal(&roles[r], expected, granted.count))
			doc_report(role->key, &roles[r]);
		CU_ASSERT_TRUE(doc_names_equal(&roles[r], expected, granted.count));
	}
}

#define DOC_CELLS 4

/* The cells of a table row "| a | b | c | d |", trimmed; how many. */
static size_t doc_row_cells(char *line, char *cells[DOC_CELLS])
{
	size_t count = 0;
	char *cell = line + 1;
	for (char *bar = strchr(cell, '|'); bar != NULL && count < DOC_CELLS; bar = strchr(cell, '|')) {
		*bar = '\0';
		cell += strspn(cell, " ");
		for (char *end = bar; end > cell && end[-1] == ' '; end--)
			end[-1] = '\0';
		cells[count++] = cell;
		cell = bar + 1;
	}
	return count;
}

/* The row documents the kind: the same requests, counted per the same
 * thing (the cell may explain it further), its limit's setting and its
 * window named. */
static int doc_row_documents(char *const cells[DOC_CELLS], const struct ratelimit_kind_info *kind)
{
	return strcmp(cells[0], kind->requests) == 0 &&
		strncmp(cells[1], kind->counted_per, strlen(kind->counted_per)) == 0 &&
		strstr(cells[2], kind->limit_setting) != NULL && strstr(cells[3], kind->window) != NULL;
}

static void rate_limit_table_lists_every_kind_of_bucket(void)
{
	FILE *file = fopen(INTUKA_API_DOC_FILE, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	int documented[RATELIMIT_KIND__MAX] = {0};
	int in_section = 0, rows = 0, unmatched_rows = 0;
	char line[DOC_LINE_MAX];
	while (fgets(line, sizeof(line), file) != NULL) {
		if (strncmp(line, "## ", 3) == 0) {
			in_section = strncmp(line, "## Rate limits", 14) == 0;
			continue;
		}
		if (!in_section || line[0] != '|' || strncmp(line, "|---", 4) == 0 ||
			strncmp(line, "| requests |", 12) == 0)
			continue;
		char *cells[DOC_CELLS];
		if (doc_row_cells(line, cells) != DOC_CELLS)
			continue; /* the headers' table has two columns */
		rows++;
		int matched = 0;
		for (int k = 0; k < RATELIMIT_KIND__MAX; k++)
			if (doc_row_documents(cells, ratelimit_kind_info((enum ratelimit_kind)k))) {
				documented[k]++;
				matched++;
			}
		if (matched != 1) {
			fprintf(stderr, "docs/api.md rate limit row \"%s | %s\" documents %d kinds of bucket\n", cells[0],
				cells[1], matched);
			unmatched_rows++;
		}
	}
	fclose(file);
	for (int k = 0; k < RATELIMIT_KIND__MAX; k++) {
		const struct ratelimit_kind_info *kind = ratelimit_kind_info((enum ratelimit_kind)k);
		if (documented[k] != 1)
			fprintf(stderr, "docs/api.md rate limit table: bucket \"%s\" (%s, per %s, %s, %s) has %d rows\n",
				kind->prefix, kind->requests, kind->counted_per, kind->limit_setting, kind->window,
				documented[k]);
		CU_ASSERT_EQUAL(documented[k], 1);
	}
	CU_ASSERT_EQUAL(unmatched_rows, 0);
	CU_ASSERT_EQUAL(rows, RATELIMIT_KIND__MAX);
}

/* The check itself can fail: a catalogue row the table lacks is missed. */
static void rate_limit_rows_are_told_apart(void)
{
	char row[] = "| `POST /auth/password/change` | user (besides the per-user limit above) | `login_rate_limit`, 10 | "
		     "`login_rate_window_s`, 900 s |";
	char *cells[DOC_CELLS];
	CU_ASSERT_EQUAL_FATAL(doc_row_cells(row, cells), DOC_CELLS);
	CU_ASSERT_TRUE(doc_row_documents(cells, ratelimit_kind_info(RATELIMIT_KIND_PASSWORD_CHANGE)));
	CU_ASSERT_FALSE(doc_row_documents(cells, ratelimit_kind_info(RATELIMIT_KIND_USER)));
	CU_ASSERT_FALSE(doc_row_documents(cells, ratelimit_kind_info(RATELIMIT_KIND_LOGIN_ACCOUNT)));
}

int register_api_doc_tables_suite(void)
{
	static const struct unit_test tests[] = {
		{"permission_tables_match_the_catalogue_and_the_built_in_profiles",
			permission_tables_match_the_catalogue_and_the_built_in_profiles},
		{"rate_limit_table_lists_every_kind_of_bucket", rate_limit_table_lists_every_kind_of_bucket},
		{"rate_limit_rows_are_told_apart", rate_limit_rows_are_told_apart},
	};
	return UNIT_SUITE("api_doc_tables", tests);
}

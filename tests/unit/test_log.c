/* Logging: the file target, reopening it after a rotation (SIGUSR1), and the
 * targets the configuration may name. */
#include "unit_suites.h"
#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tests move stderr onto log files; the runner's stderr comes back after. */
static int log_saved_stderr = -1;

static void log_test_save_stderr(void)
{
	log_saved_stderr = dup(STDERR_FILENO);
}

static void log_test_restore_stderr(void)
{
	log_init(LOG_TARGET_STDERR, LOG_LEVEL_INFO, "unit-tests");
	if (log_saved_stderr >= 0) {
		dup2(log_saved_stderr, STDERR_FILENO);
		close(log_saved_stderr);
		log_saved_stderr = -1;
	}
}

/* Reads a whole small file into buffer; "" when missing. */
static void log_test_read(const char *path, char *buffer, size_t buffer_size)
{
	buffer[0] = '\0';
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return;
	size_t length = fread(buffer, 1, buffer_size - 1, file);
	buffer[length] = '\0';
	fclose(file);
}

static void log_file_target_receives_lines_and_reopens_after_a_move(void)
{
	char directory[] = "/tmp/intuka-log-test.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char path[256], moved[256], text[4096], error[CONFIG_ERROR_MAX] = "";
	snprintf(path, sizeof(path), "%s/intukad.log", directory);
	snprintf(moved, sizeof(moved), "%s/intukad.log.1", directory);
	log_test_save_stderr();
	int configured = log_configure("file", "info", path, "unit-tests", error, sizeof(error));
	log_info("before the rotation");
	CU_ASSERT_EQUAL(rename(path, moved), 0);
	/* Still the moved file until told: this is what copytruncate was for. */
	log_info("after the move, before the reopen");
	int reopened = log_reopen(error, sizeof(error));
	log_info("after the reopen");
	log_msg(LOG_LEVEL_DEBUG, NULL, "below the level");
	log_test_restore_stderr();
	CU_ASSERT_EQUAL(configured, 0);
	CU_ASSERT_EQUAL(reopened, 0);

	log_test_read(moved, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"msg\":\"before the rotation\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "after the move, before the reopen"));
	CU_ASSERT_PTR_NULL(strstr(text, "after the reopen\""));
	log_test_read(path, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"level\":\"info\",\"prog\":\"unit-tests\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"msg\":\"after the reopen\""));
	CU_ASSERT_PTR_NULL(strstr(text, "before the rotation"));
	CU_ASSERT_PTR_NULL(strstr(text, "below the level"));
	unlink(path);
	unlink(moved);
	rmdir(directory);
}

static void log_reopen_failure_keeps_the_old_file(void)
{
	char directory[] = "/tmp/intuka-log-test.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char path[256], text[4096], error[CONFIG_ERROR_MAX] = "";
	snprintf(path, sizeof(path), "%s/intukad.log", directory);
	log_test_save_stderr();
	int configured = log_configure("file", "info", path, "unit-tests", error, sizeof(error));
	/* Read through our own descriptor: the name is about to go. */
	FILE *old_file = fopen(path, "r");
	/* The directory is gone: the file cannot be opened again by its name. */
	unlink(path);
	rmdir(directory);
	int reopened = log_reopen(error, sizeof(error));
	log_info("written after the failed reopen");
	log_test_restore_stderr();
	CU_ASSERT_EQUAL(configured, 0);
	CU_ASSERT_EQUAL(reopened, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(old_file);
	size_t length = fread(text, 1, sizeof(text) - 1, old_file);
	text[length] = '\0';
	fclose(old_file);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "written after the failed reopen"));
}

/* A reload from log_target = file back to stderr: lines go where stderr
 * went before, not on into the file. */
static void log_back_to_stderr_leaves_the_file(void)
{
	char directory[] = "/tmp/intuka-log-test.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char path[256], stderr_path[256], text[4096], error[CONFIG_ERROR_MAX] = "";
	snprintf(path, sizeof(path), "%s/intukad.log", directory);
	snprintf(stderr_path, sizeof(stderr_path), "%s/stderr.txt", directory);
	log_test_save_stderr();
	/* What "stderr" is for this test: a file of its own. */
	FILE *plain_stderr = fopen(stderr_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain_stderr);
	dup2(fileno(plain_stderr), STDERR_FILENO);
	fclose(plain_stderr);
	int to_file = log_configure("file", "info", path, "unit-tests", error, sizeof(error));
	log_info("into the log file");
	int to_stderr = log_configure("stderr", "info", NULL, "unit-tests", error, sizeof(error));
	log_info("back on stderr");
	log_test_restore_stderr();
	CU_ASSERT_EQUAL(to_file, 0);
	CU_ASSERT_EQUAL(to_stderr, 0);
	log_test_read(path, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "into the log file"));
	CU_ASSERT_PTR_NULL(strstr(text, "back on stderr"));
	log_test_read(stderr_path, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "back on stderr"));
	CU_ASSERT_PTR_NULL(strstr(text, "into the log file"));
	unlink(path);
	unlink(stderr_path);
	rmdir(directory);
}

static void log_configure_refuses_what_it_cannot_use(void)
{
	char error[CONFIG_ERROR_MAX] = "";
	log_test_save_stderr();
	CU_ASSERT_EQUAL(log_configure("file", "info", "", "unit-tests", error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "log_file"));
	CU_ASSERT_EQUAL(log_configure("file", "info", "/nonexistent-dir/x/intukad.log", "unit-tests", error,
				sizeof(error)),
		-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "/nonexistent-dir/x/intukad.log"));
	CU_ASSERT_EQUAL(log_configure("journal", "info", NULL, "unit-tests", error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "stderr, file or syslog"));
	CU_ASSERT_EQUAL(log_configure("stderr", "loud", NULL, "unit-tests", error, sizeof(error)), -1);
	/* stderr and syslog need no file; reopening them is harmless. */
	CU_ASSERT_EQUAL(log_configure("syslog", "warn", NULL, "unit-tests", error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(log_reopen(error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(log_configure("stderr", "info", NULL, "unit-tests", error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(log_reopen(error, sizeof(error)), 0);
	log_test_restore_stderr();
}

static void log_targets_parse_and_config_wants_an_absolute_log_file(void)
{
	enum log_target target;
	CU_ASSERT_EQUAL(log_target_parse("stderr", &target), 0);
	CU_ASSERT_EQUAL(target, LOG_TARGET_STDERR);
	CU_ASSERT_EQUAL(log_target_parse("syslog", &target), 0);
	CU_ASSERT_EQUAL(target, LOG_TARGET_SYSLOG);
	CU_ASSERT_EQUAL(log_target_parse("file", &target), 0);
	CU_ASSERT_EQUAL(target, LOG_TARGET_FILE);
	CU_ASSERT_EQUAL(log_target_parse("File", &target), -1);

	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	CU_ASSERT_EQUAL(config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "secrets", 1, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_parse_text(&config, "log_target = file\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "log_file"));
	CU_ASSERT_EQUAL(config_parse_text(&config, "log_file = logs/intukad.log\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(
		config_parse_text(&config, "log_file = /var/log/intuka/intukad.log\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_parse_text(&config, "log_target = syslog\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_parse_text(&config, "log_target = journal\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
}

/* Whether the line of text holding marker names a request id; -1 when no
 * line holds it. */
static int log_test_line_has_request_id(const char *text, const char *marker)
{
	const char *found = strstr(text, marker);
	if (found == NULL)
		return -1;
	const char *line_start = found, *line_end = strchr(found, '\n');
	while (line_start > text && line_start[-1] != '\n')
		line_start--;
	size_t length = line_end ? (size_t)(line_end - line_start) : strlen(line_start);
	char line[1024];
	snprintf(line, sizeof(line), "%.*s", (int)length, line_start);
	return strstr(line, "\"requestId\"") != NULL;
}

/* A line logged without an id while a request is served (the database
 * layer's warnings) names the bound request; between requests, none. */
static void log_lines_name_the_request_being_served(void)
{
	char directory[] = "/tmp/intuka-log-test.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char path[256], text[4096], error[CONFIG_ERROR_MAX] = "";
	snprintf(path, sizeof(path), "%s/intukad.log", directory);
	char request_id[40] = "";
	log_test_save_stderr();
	int configured = log_configure("file", "info", path, "unit-tests", error, sizeof(error));
	log_bind_request_id(request_id);
	snprintf(request_id, sizeof(request_id), "%s", "0123abcd");
	log_warn("connection lost inside the request");
	log_msg(LOG_LEVEL_WARN, "explicit-id", "an explicit id wins");
	request_id[0] = '\0';
	log_warn("between requests");
	log_bind_request_id(NULL);
	log_warn("unbound");
	log_test_restore_stderr();
	CU_ASSERT_EQUAL(configured, 0);
	log_test_read(path, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"requestId\":\"0123abcd\",\"msg\":\"connection lost inside the request\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"requestId\":\"explicit-id\",\"msg\":\"an explicit id wins\""));
	CU_ASSERT_EQUAL(log_test_line_has_request_id(text, "between requests"), 0);
	CU_ASSERT_EQUAL(log_test_line_has_request_id(text, "unbound"), 0);
	unlink(path);
	rmdir(directory);
}

int register_log_suite(void)
{
	static const struct unit_test tests[] = {
		{.name = "log: file target receives lines and reopens after a move",
			.function = log_file_target_receives_lines_and_reopens_after_a_move},
		{.name = "log: a failed reopen keeps the old file", .function = log_reopen_failure_keeps_the_old_file},
		{.name = "log: back to stderr leaves the file", .function = log_back_to_stderr_leaves_the_file},
		{.name = "log: configure refuses what it cannot use", .function = log_configure_refuses_what_it_cannot_use},
		{.name = "log: lines name the request being served",
			.function = log_lines_name_the_request_being_served},
		{.name = "log: targets parse; config wants an absolute log_file",
			.function = log_targets_parse_and_config_wants_an_absolute_log_file},
	};
	return UNIT_SUITE("log", tests);
}

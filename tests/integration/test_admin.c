/*
 * intuka-admin against the stack's database: exit codes (0 ok, 1 failure,
 * 64 usage, 78 configuration) and what it prints. Slugs and e-mails carry the
 * time and pid of this run, so the suite can run again on the same database.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "command_runner.h"
#include "health_probe.h"
#include "itest_check.h"
#include "suites.h"
#include "test_environment.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,
	EXIT_USAGE = 64,
	EXIT_CONFIGURATION = 78,
	ADMIN_MAX_ARGUMENTS = 12,
};

/* Unique per run: "itest-<unix time>-<pid>". */
static char admin_run_tag[48];

/* Runs intuka-admin -c CONFIG <arguments...>. */
static bool admin_run(const char *const arguments[], const char *const extra_environment[],
					  struct command_result *result)
{
	const char *argv[ADMIN_MAX_ARGUMENTS + 4] = { test_environment.admin_binary, "-c", test_environment.config_file };
	size_t argument_count = 3;

	memset(result, 0, sizeof *result);
	for (const char *const *argument = arguments; *argument != NULL; argument++) {
		if (argument_count >= ADMIN_MAX_ARGUMENTS + 3)
			return false;
		argv[argument_count++] = *argument;
	}
	argv[argument_count] = NULL;
	return command_run(argv, extra_environment, NULL, result);
}

/*
 * Counts occurrences of token in text that stand alone: not glued to letters,
 * digits, '-', '_' or '.', so slug "x-1" is not found inside "x-10".
 */
static size_t count_standalone_token(const char *text, const char *token)
{
	static const char glue[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	size_t token_length = strlen(token), count = 0;

	for (const char *found = strstr(text, token); found != NULL; found = strstr(found + 1, token)) {
		bool glued_before = found > text && strchr(glue, found[-1]) != NULL;
		bool glued_after = found[token_length] != '\0' && strchr(glue, found[token_length]) != NULL;

		if (!glued_before && !glued_after)
			count++;
	}
	return count;
}

static bool admin_expect_exit(const char *step, const struct command_result *result, int expected_exit)
{
	char description[768];

	return ITEST_CHECK(result->exit_status == expected_exit, "%s: expected exit %d, got %s", step, expected_exit,
					   command_result_describe(result, description, sizeof description));
}

/* A failure must say why on stderr, not leave the operator guessing. */
static void admin_expect_stderr_message(const char *step, const struct command_result *result)
{
	ITEST_CHECK(result->stderr_text[strspn(result->stderr_text, " \t\r\n")] != '\0',
				"%s: failed without a message on stderr", step);
}

static bool admin_create_tenant(const char *step, const char *slug, struct command_result *result)
{
	const char *const arguments[] = { "tenant", "create", slug, "Integration Test Tenant", NULL };

	return ITEST_CHECK(admin_run(arguments, NULL, result), "%s: cannot run %s", step, test_environment.admin_binary);
}

/* ---- tests ---------------------------------------------------------------- */

static void admin_health_exits_0_and_prints_the_schema_version(void)
{
	const char *const arguments[] = { "health", NULL };
	struct health_observation observation;
	struct command_result result;
	char description[512], schema_version_text[32];

	/* The server reports the schema version over HTTP: the admin tool must
	 * print that same number. */
	health_probe(&observation);
	if (!ITEST_CHECK(health_observation_is_healthy(&observation) && observation.schema_version >= 1,
					 "precondition: GET /api/v1/health should be 200 with a schema version, got %s",
					 health_observation_describe(&observation, description, sizeof description)))
		return;
	snprintf(schema_version_text, sizeof schema_version_text, "%lld", (long long)observation.schema_version);

	if (!ITEST_CHECK(admin_run(arguments, NULL, &result), "cannot run %s", test_environment.admin_binary))
		goto out;
	admin_expect_exit("intuka-admin health", &result, EXIT_OK);
	ITEST_CHECK(count_standalone_token(result.stdout_text, schema_version_text) > 0,
				"intuka-admin health should print schema version %s on stdout, printed: %.300s", schema_version_text,
				result.stdout_text);
out:
	command_result_free(&result);
}

static void admin_migrate_is_idempotent_when_run_twice(void)
{
	const char *const arguments[] = { "migrate", NULL };
	struct command_result first, second;

	if (ITEST_CHECK(admin_run(arguments, NULL, &first), "cannot run %s", test_environment.admin_binary))
		admin_expect_exit("first intuka-admin migrate", &first, EXIT_OK);
	if (ITEST_CHECK(admin_run(arguments, NULL, &second), "cannot run %s", test_environment.admin_binary))
		admin_expect_exit("second intuka-admin migrate (nothing left to apply)", &second, EXIT_OK);
	command_result_free(&first);
	command_result_free(&second);
}

static void admin_tenant_create_with_invalid_slug_fails_with_message(void)
{
	struct command_result result;
	char description[768];

	if (admin_create_tenant("tenant create 'Bad Slug!'", "Bad Slug!", &result)) {
		/* Either a usage error or a refused value is a fair reading of the
		 * contract; success, a crash or another code is not. */
		ITEST_CHECK(result.exit_status == EXIT_FAILURE_RUNTIME || result.exit_status == EXIT_USAGE,
					"tenant create 'Bad Slug!': expected exit 1 or 64, got %s",
					command_result_describe(&result, description, sizeof description));
		admin_expect_stderr_message("tenant create 'Bad Slug!'", &result);
	}
	command_result_free(&result);
}

static void admin_tenant_create_twice_with_same_slug_fails_the_second_time(void)
{
	const char *const list_arguments[] = { "tenant", "list", NULL };
	struct command_result first = { 0 }, second = { 0 }, listing = { 0 };
	char slug[64];
	size_t listed;

	snprintf(slug, sizeof slug, "%s-dup", admin_run_tag);
	if (!admin_create_tenant("first tenant create", slug, &first)
		|| !admin_expect_exit("first tenant create", &first, EXIT_OK))
		goto out;
	if (admin_create_tenant("second tenant create", slug, &second)) {
		admin_expect_exit("second tenant create with the same slug", &second, EXIT_FAILURE_RUNTIME);
		admin_expect_stderr_message("second tenant create with the same slug", &second);
	}
	if (ITEST_CHECK(admin_run(list_arguments, NULL, &listing), "cannot run tenant list")
		&& admin_expect_exit("tenant list", &listing, EXIT_OK)) {
		listed = count_standalone_token(listing.stdout_text, slug);
		ITEST_CHECK(listed == 1, "tenant list should show %s exactly once, shows it %zu times", slug, listed);
	}
out:
	command_result_free(&first);
	command_result_free(&second);
	command_result_free(&listing);
}

static void admin_tenant_list_shows_a_created_tenant(void)
{
	const char *const list_arguments[] = { "tenant", "list", NULL };
	struct command_result created = { 0 }, listing = { 0 };
	char slug[64];

	snprintf(slug, sizeof slug, "%s-list", admin_run_tag);
	if (!admin_create_tenant("tenant create", slug, &created)
		|| !admin_expect_exit("tenant create", &created, EXIT_OK))
		goto out;
	if (ITEST_CHECK(admin_run(list_arguments, NULL, &listing), "cannot run tenant list")
		&& admin_expect_exit("tenant list", &listing, EXIT_OK)) {
		ITEST_CHECK(count_standalone_token(listing.stdout_text, slug) == 1,
					"tenant list should show %s, printed: %.400s", slug, listing.stdout_text);
	}
out:
	command_result_free(&created);
	command_result_free(&listing);
}

static void admin_user_create_for_existing_tenant_succeeds(void)
{
	struct command_result created_tenant = { 0 }, created_user = { 0 };
	const char *const password_environment[] = { "INTUKA_USER_PASSWORD=Itest-Correct-Horse-9-Battery", NULL };
	char slug[64], email[96];

	/* The positive control for the unknown-tenant test below: the same
	 * command succeeds when only the tenant differs. */
	snprintf(slug, sizeof slug, "%s-user", admin_run_tag);
	snprintf(email, sizeof email, "%s@example.com", admin_run_tag);
	if (!admin_create_tenant("tenant create", slug, &created_tenant)
		|| !admin_expect_exit("tenant create", &created_tenant, EXIT_OK))
		goto out;
	{
		const char *const arguments[] = { "user", "create", slug, email, "--name", "Itest User", NULL };

		if (ITEST_CHECK(admin_run(arguments, password_environment, &created_user), "cannot run user create"))
			admin_expect_exit("user create for an existing tenant", &created_user, EXIT_OK);
	}
out:
	command_result_free(&created_tenant);
	command_result_free(&created_user);
}

static void admin_user_create_for_unknown_tenant_fails_with_message(void)
{
	const char *const password_environment[] = { "INTUKA_USER_PASSWORD=Itest-Correct-Horse-9-Battery", NULL };
	struct command_result result;
	char slug[64], email[96];

	snprintf(slug, sizeof slug, "%s-missing", admin_run_tag);
	snprintf(email, sizeof email, "%s-orphan@example.com", admin_run_tag);
	{
		const char *const arguments[] = { "user", "create", slug, email, NULL };

		if (ITEST_CHECK(admin_run(arguments, password_environment, &result), "cannot run user create")) {
			admin_expect_exit("user create for an unknown tenant", &result, EXIT_FAILURE_RUNTIME);
			admin_expect_stderr_message("user create for an unknown tenant", &result);
		}
	}
	command_result_free(&result);
}

static void admin_tenant_suspend_and_resume_report_the_change_and_refuse_unknown_slugs(void)
{
	struct command_result created = { 0 }, suspended = { 0 }, again = { 0 }, resumed = { 0 }, unknown = { 0 },
						  usage = { 0 };
	char slug[64], missing[64];

	snprintf(slug, sizeof slug, "%s-susp", admin_run_tag);
	snprintf(missing, sizeof missing, "%s-nosuch", admin_run_tag);
	if (!admin_create_tenant("tenant create", slug, &created) || !admin_expect_exit("tenant create", &created, EXIT_OK))
		goto out;
	{
		const char *const suspend[] = { "tenant", "suspend", slug, "--reason", "itest", NULL };
		const char *const resume[] = { "tenant", "resume", slug, NULL };
		const char *const suspend_missing[] = { "tenant", "suspend", missing, NULL };
		const char *const suspend_without_slug[] = { "tenant", "suspend", NULL };

		if (ITEST_CHECK(admin_run(suspend, NULL, &suspended), "cannot run tenant suspend")) {
			admin_expect_exit("tenant suspend", &suspended, EXIT_OK);
			ITEST_CHECK(strstr(suspended.stdout_text, "active -> suspended") != NULL,
						"tenant suspend reports the change, printed: %.200s", suspended.stdout_text);
		}
		if (ITEST_CHECK(admin_run(suspend, NULL, &again), "cannot run tenant suspend twice")) {
			admin_expect_exit("tenant suspend of a suspended tenant", &again, EXIT_OK);
			ITEST_CHECK(strstr(again.stdout_text, "already suspended") != NULL,
						"a second suspend changes nothing and says so, printed: %.200s", again.stdout_text);
		}
		if (ITEST_CHECK(admin_run(resume, NULL, &resumed), "cannot run tenant resume")) {
			admin_expect_exit("tenant resume", &resumed, EXIT_OK);
			ITEST_CHECK(strstr(resumed.stdout_text, "suspended -> active") != NULL,
						"tenant resume reports the change, printed: %.200s", resumed.stdout_text);
		}
		if (ITEST_CHECK(admin_run(suspend_missing, NULL, &unknown), "cannot run tenant suspend (unknown)")) {
			admin_expect_exit("tenant suspend of an unknown slug", &unknown, EXIT_FAILURE_RUNTIME);
			admin_expect_stderr_message("tenant suspend of an unknown slug", &unknown);
		}
		if (ITEST_CHECK(admin_run(suspend_without_slug, NULL, &usage), "cannot run tenant suspend (usage)"))
			admin_expect_exit("tenant suspend without a slug", &usage, EXIT_USAGE);
	}
out:
	command_result_free(&created);
	command_result_free(&suspended);
	command_result_free(&again);
	command_result_free(&resumed);
	command_result_free(&unknown);
	command_result_free(&usage);
}

static void admin_without_arguments_exits_64(void)
{
	const char *const argv[] = { test_environment.admin_binary, NULL };
	struct command_result result;

	if (ITEST_CHECK(command_run(argv, NULL, NULL, &result), "cannot run %s", test_environment.admin_binary)) {
		admin_expect_exit("intuka-admin without arguments", &result, EXIT_USAGE);
		admin_expect_stderr_message("intuka-admin without arguments", &result);
	}
	command_result_free(&result);
}

static void admin_unknown_command_exits_64(void)
{
	const char *const arguments[] = { "no-such-command", NULL };
	struct command_result result;

	if (ITEST_CHECK(admin_run(arguments, NULL, &result), "cannot run %s", test_environment.admin_binary))
		admin_expect_exit("intuka-admin no-such-command", &result, EXIT_USAGE);
	command_result_free(&result);
}

static void admin_with_missing_configuration_file_exits_78(void)
{
	const char *const argv[] = { test_environment.admin_binary, "-c", "/nonexistent/intuka-itest.conf", "health",
								 NULL };
	struct command_result result;

	if (ITEST_CHECK(command_run(argv, NULL, NULL, &result), "cannot run %s", test_environment.admin_binary)) {
		admin_expect_exit("intuka-admin -c /nonexistent/intuka-itest.conf health", &result, EXIT_CONFIGURATION);
		admin_expect_stderr_message("intuka-admin with a missing configuration file", &result);
	}
	command_result_free(&result);
}

bool admin_suite_register(void)
{
	const char *no_admin = NULL, *no_admin_or_config = NULL;
	CU_pSuite suite = CU_add_suite("admin", NULL, NULL);

	if (suite == NULL)
		return false;
	snprintf(admin_run_tag, sizeof admin_run_tag, "itest-%lld-%d", (long long)time(NULL), (int)getpid());
	if (!test_environment_has(test_environment.admin_binary))
		no_admin = "INTUKA_TEST_ADMIN is empty";
	if (!test_environment_has(test_environment.admin_binary) || !test_environment_has(test_environment.config_file))
		no_admin_or_config = "INTUKA_TEST_ADMIN or INTUKA_TEST_CONFIG is empty";

	return itest_add_test(suite, "admin_health_exits_0_and_prints_the_schema_version",
						  admin_health_exits_0_and_prints_the_schema_version, no_admin_or_config)
		&& itest_add_test(suite, "admin_migrate_is_idempotent_when_run_twice",
						  admin_migrate_is_idempotent_when_run_twice, no_admin_or_config)
		&& itest_add_test(suite, "admin_tenant_create_with_invalid_slug_fails_with_message",
						  admin_tenant_create_with_invalid_slug_fails_with_message, no_admin_or_config)
		&& itest_add_test(suite, "admin_tenant_create_twice_with_same_slug_fails_the_second_time",
						  admin_tenant_create_twice_with_same_slug_fails_the_second_time, no_admin_or_config)
		&& itest_add_test(suite, "admin_tenant_list_shows_a_created_tenant", admin_tenant_list_shows_a_created_tenant,
						  no_admin_or_config)
		&& itest_add_test(suite, "admin_user_create_for_existing_tenant_succeeds",
						  admin_user_create_for_existing_tenant_succeeds, no_admin_or_config)
		&& itest_add_test(suite, "admin_user_create_for_unknown_tenant_fails_with_message",
						  admin_user_create_for_unknown_tenant_fails_with_message, no_admin_or_config)
		&& itest_add_test(suite, "admin_tenant_suspend_and_resume_report_the_change_and_refuse_unknown_slugs",
						  admin_tenant_suspend_and_resume_report_the_change_and_refuse_unknown_slugs,
						  no_admin_or_config)
		&& itest_add_test(suite, "admin_without_arguments_exits_64", admin_without_arguments_exits_64, no_admin)
		&& itest_add_test(suite, "admin_unknown_command_exits_64", admin_unknown_command_exits_64,
						  no_admin_or_config)
		&& itest_add_test(suite, "admin_with_missing_configuration_file_exits_78",
						  admin_with_missing_configuration_file_exits_78, no_admin);
}

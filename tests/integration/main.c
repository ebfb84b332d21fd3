/*
 * intuka-itest: the integration tests of Intuka over real HTTP, against a
 * stack somebody else started (deploy/test.sh). Reads the INTUKA_TEST_*
 * environment, registers the suites and runs all of them or the one named.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "http_client.h"
#include "suites.h"
#include "test_environment.h"

enum { EXIT_ALL_PASSED = 0, EXIT_TEST_FAILED = 1, EXIT_USAGE = 64 };

bool itest_add_test(CU_pSuite suite, const char *name, CU_TestFunc function, const char *skip_reason)
{
	CU_pTest test = CU_add_test(suite, name, function);

	if (test == NULL)
		return false;
	if (skip_reason == NULL)
		return true;
	printf("skipped: %s.%s: %s\n", suite->pName, name, skip_reason);
	return CU_set_test_active(test, CU_FALSE) == CUE_SUCCESS;
}

static const struct suite_entry {
	const char *name;
	bool (*register_suite)(void);
} suite_entries[] = {
	{ "contract", contract_suite_register },
	{ "anomaly", anomaly_suite_register },
	{ "admin", admin_suite_register },
	{ "identity", identity_suite_register },
	{ "sales", sales_suite_register },
	{ "hr", hr_suite_register },
	{ "finance", finance_suite_register },
	{ "find_access", find_access_suite_register },
	{ "find_insights", find_insights_suite_register },
	{ "find_content", find_content_suite_register },
	{ "find_search_scale", find_search_scale_suite_register },
	{ "find_chat", find_chat_suite_register },
	{ "find_llm", find_llm_suite_register },
	{ "find_semantic", find_semantic_suite_register },
	{ "find_webhooks", find_webhooks_suite_register },
	{ "find_queries", find_queries_suite_register },
	{ "slow_readers", slow_readers_suite_register },
	{ "web_errors", web_errors_suite_register },
	{ "sdk_contract", sdk_contract_suite_register },
	{ "platform", platform_suite_register },
	{ "lists", lists_suite_register },
	{ "api_docs", api_docs_suite_register },
	/* Not a suite of its own so much as a pick of the others, for installed
	 * stacks (deploy/test.sh: package, shared). */
	{ "smoke", smoke_suite_register },
};

enum { SUITE_ENTRY_COUNT = sizeof suite_entries / sizeof suite_entries[0] };

static bool suite_name_is_known(const char *suite_name)
{
	for (size_t i = 0; i < SUITE_ENTRY_COUNT; i++) {
		if (strcmp(suite_entries[i].name, suite_name) == 0)
			return true;
	}
	return false;
}

static bool suite_is_chosen(const char *suite_name, int chosen_count, char **chosen_names)
{
	if (chosen_count == 0)
		return true;
	for (int i = 0; i < chosen_count; i++) {
		if (strcmp(chosen_names[i], suite_name) == 0)
			return true;
	}
	return false;
}

/* Only the suites that will run are registered, so a run of some suites does
 * not announce the skipped tests of the others. */
static bool register_suites(int chosen_count, char **chosen_names)
{
	for (size_t i = 0; i < SUITE_ENTRY_COUNT; i++) {
		if (!suite_is_chosen(suite_entries[i].name, chosen_count, chosen_names))
			continue;
		if (!suite_entries[i].register_suite())
			return false;
	}
	return true;
}

static int run_tests(void)
{
	CU_ErrorCode run_error;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	/* Skipped tests are registered inactive; they must show as inactive in
	 * the summary, not as failures and not as passes. */
	CU_set_fail_on_inactive(CU_FALSE);
	run_error = CU_basic_run_tests();
	if (run_error != CUE_SUCCESS) {
		fprintf(stderr, "intuka-itest: CUnit run failed: %s\n", CU_get_error_msg());
		return EXIT_TEST_FAILED;
	}
	printf("\n");
	if (CU_get_number_of_failures() > 0 || CU_get_number_of_tests_failed() > 0
		|| CU_get_number_of_suites_failed() > 0)
		return EXIT_TEST_FAILED;
	return EXIT_ALL_PASSED;
}

int main(int argc, char **argv)
{
	int chosen_count = argc - 1;
	char **chosen_names = argv + 1;
	int exit_status;

	for (int i = 0; i < chosen_count; i++) {
		if (strcmp(chosen_names[i], "-h") == 0 || strcmp(chosen_names[i], "--help") == 0) {
			test_environment_print_usage(argv[0]);
			return EXIT_USAGE;
		}
		if (!suite_name_is_known(chosen_names[i])) {
			fprintf(stderr, "intuka-itest: no suite named \"%s\"\n", chosen_names[i]);
			test_environment_print_usage(argv[0]);
			return EXIT_USAGE;
		}
	}
	if (!test_environment_load()) {
		test_environment_print_usage(argv[0]);
		return EXIT_USAGE;
	}
	/* A server that closes early must surface as EPIPE in a check, not kill
	 * the test program (curl avoids SIGPIPE itself; the admin stdin pipe does not). */
	signal(SIGPIPE, SIG_IGN);
	/* Line-buffered, so our progress lines and CUnit's interleave in order
	 * when stdout is a file or a pipe (deploy/test.sh logs). */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!http_client_global_init(test_environment.base_url)) {
		fprintf(stderr, "intuka-itest: libcurl initialisation failed\n");
		return EXIT_TEST_FAILED;
	}
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "intuka-itest: CUnit initialisation failed: %s\n", CU_get_error_msg());
		http_client_global_cleanup();
		return EXIT_TEST_FAILED;
	}
	printf("intuka-itest: %s (flavour %s)\n", test_environment.base_url,
		   test_environment.flavour[0] != '\0' ? test_environment.flavour : "unspecified");
	if (!register_suites(chosen_count, chosen_names)) {
		fprintf(stderr, "intuka-itest: registering the suites failed: %s\n", CU_get_error_msg());
		exit_status = EXIT_TEST_FAILED;
	} else {
		exit_status = run_tests();
	}
	CU_cleanup_registry();
	http_client_global_cleanup();
	return exit_status;
}

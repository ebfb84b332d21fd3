/* Unit test runner: every suite, verbose, non-zero exit on any failure. */
#include "unit_suites.h"

#include <CUnit/Basic.h>
#include <stdio.h>

int unit_add_suite(const char *suite_name, const struct unit_test *tests, size_t test_count)
{
	CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
	if (suite == NULL)
		return -1;
	for (size_t i = 0; i < test_count; i++)
		if (CU_add_test(suite, tests[i].name, tests[i].function) == NULL)
			return -1;
	return 0;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	int (*registrations[])(void) = {
		register_arena_suite,
		register_config_suite,
		register_db_failover_suite,
		register_fcgi_frame_suite,
		register_hr_suite,
		register_finance_suite,
		register_find_access_suite,
		register_find_insights_suite,
		register_find_documents_suite,
		register_find_index_suite,
		register_find_query_suite,
		register_find_chat_suite,
		register_find_llm_suite,
		register_find_semantic_suite,
		register_identifiers_suite,
		register_identity_logic_suite,
		register_jwt_suite,
		register_log_suite,
		register_notify_suite,
		register_json_body_suite,
		register_json_strict_suite,
		register_openapi_routes_suite,
		register_pagination_suite,
		register_password_suite,
		register_query_suite,
		register_request_suite,
		register_response_suite,
		register_router_suite,
		register_statements_suite,
		register_stream_suite,
		register_timestamp_suite,
		register_hex_suite,
		register_api_doc_tables_suite,
		register_api_docs_suite,
		register_rate_lease_suite,
		register_json_text_suite,
		register_list_params_suite,
		register_webhooks_suite,
		register_worker_suite,
		register_tenant_lifecycle_suite,
	};
	for (size_t i = 0; i < sizeof(registrations) / sizeof(registrations[0]); i++) {
		if (registrations[i]() != 0) {
			fprintf(stderr, "cannot register suite %zu: %s\n", i, CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned tests_run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return failures != 0 || tests_run == 0 ? 1 : 0;
}

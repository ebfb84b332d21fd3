/* Each test file registers one CUnit suite. */
#ifndef INTUKA_TESTS_UNIT_SUITES_H
#define INTUKA_TESTS_UNIT_SUITES_H

#include <CUnit/CUnit.h>

int register_arena_suite(void);
int register_config_suite(void);
int register_db_failover_suite(void);
int register_fcgi_frame_suite(void);
int register_hr_suite(void);
int register_finance_suite(void);
int register_find_access_suite(void);
int register_find_insights_suite(void);
int register_find_documents_suite(void);
int register_find_index_suite(void);
int register_find_query_suite(void);
int register_find_chat_suite(void);
int register_find_llm_suite(void);
int register_find_semantic_suite(void);
int register_identifiers_suite(void);
int register_identity_logic_suite(void);
int register_jwt_suite(void);
int register_log_suite(void);
int register_notify_suite(void);
int register_json_body_suite(void);
int register_json_strict_suite(void);
int register_openapi_routes_suite(void);
int register_pagination_suite(void);
int register_password_suite(void);
int register_query_suite(void);
int register_request_suite(void);
int register_response_suite(void);
int register_router_suite(void);
int register_statements_suite(void);
int register_stream_suite(void);
int register_timestamp_suite(void);
int register_hex_suite(void);
int register_api_doc_tables_suite(void);
int register_api_docs_suite(void);
int register_rate_lease_suite(void);
int register_json_text_suite(void);
int register_list_params_suite(void);
int register_webhooks_suite(void);
int register_worker_suite(void);
int register_tenant_lifecycle_suite(void);

/* Adds a suite with the given tests; returns 0 or -1. */
struct unit_test {
	const char *name;
	void (*function)(void);
};
int unit_add_suite(const char *suite_name, const struct unit_test *tests, size_t test_count);
#define UNIT_SUITE(name, tests) unit_add_suite(name, tests, sizeof(tests) / sizeof(tests[0]))

#endif

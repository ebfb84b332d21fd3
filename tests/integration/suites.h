/*
 * One registration function per suite; main() calls them and runs what was
 * asked for. Each returns false only when CUnit itself failed.
 */
#ifndef INTUKA_ITEST_SUITES_H
#define INTUKA_ITEST_SUITES_H

#include <stdbool.h>

#include <CUnit/CUnit.h>

bool contract_suite_register(void);
bool anomaly_suite_register(void);
bool admin_suite_register(void);
bool identity_suite_register(void);
bool sales_suite_register(void);
bool hr_suite_register(void);
bool finance_suite_register(void);
bool find_access_suite_register(void);
bool find_insights_suite_register(void);
bool find_content_suite_register(void);
bool find_search_scale_suite_register(void);
bool find_chat_suite_register(void);
bool find_llm_suite_register(void);
bool find_semantic_suite_register(void);
bool find_webhooks_suite_register(void);
bool find_queries_suite_register(void);
bool slow_readers_suite_register(void);
bool web_errors_suite_register(void);
bool sdk_contract_suite_register(void);
bool platform_suite_register(void);
bool lists_suite_register(void);
bool api_docs_suite_register(void);
bool smoke_suite_register(void);

/*
 * Registers a test and, when skip_reason is not NULL, deactivates it and says
 * why on stdout. CUnit then lists it as inactive: a skipped test is never
 * reported as a passed one.
 */
bool itest_add_test(CU_pSuite suite, const char *name, CU_TestFunc function, const char *skip_reason);

#endif

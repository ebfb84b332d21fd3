/*
 * Assertions that say what was expected and what came back.
 * CU_ASSERT only records the text of the expression; for an HTTP test that is
 * useless without the actual status or body, so every check here formats one.
 */
#ifndef INTUKA_ITEST_CHECK_H
#define INTUKA_ITEST_CHECK_H

#include <stdbool.h>

/*
 * Records a CUnit assertion (never fatal) whose failure text is the formatted
 * message. Returns the condition so callers can stop a test whose later steps
 * would only produce noise.
 */
bool itest_check_record(bool condition, unsigned int line, const char *file,
						const char *function, const char *format, ...)
	__attribute__((format(printf, 5, 6)));

#define ITEST_CHECK(condition, ...) \
	itest_check_record((condition), __LINE__, __FILE__, __func__, __VA_ARGS__)

#endif

/*
 * Formatted CUnit assertions (see itest_check.h). CUnit copies the condition
 * text into its failure record, so a stack buffer is enough here.
 */
#include "itest_check.h"

#include <stdarg.h>
#include <stdio.h>

#include <CUnit/CUnit.h>

bool itest_check_record(bool condition, unsigned int line, const char *file,
						const char *function, const char *format, ...)
{
	char message[1024];
	va_list arguments;

	/* Passing checks still count as assertions, so format only on failure
	 * to keep the thousands of passing checks cheap. */
	if (condition) {
		CU_assertImplementation(CU_TRUE, line, "ok", file, function, CU_FALSE);
		return true;
	}
	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	CU_assertImplementation(CU_FALSE, line, message, file, function, CU_FALSE);
	return false;
}

/* Invoice money maths: line totals, tax rounded half up in basis points,
 * the bounds of the inputs and refusal of anything that overflows int64;
 * and the approval threshold rule. */
#include "unit_suites.h"
#include "modules/finance_approval.h"
#include "modules/finance_money.h"

#include <stdint.h>

static void line_total_is_quantity_times_unit_price_with_tax_rounded(void)
{
	struct finance_line_amounts line;
	/* 3 x 19.99 at 20 %: 59.97 and 11.994 -> 11.99 */
	CU_ASSERT_EQUAL_FATAL(finance_money_line(3, 1999, 2000, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.line_total_minor, 5997);
	CU_ASSERT_EQUAL(line.tax_minor, 1199);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(1, 0, 2000, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.line_total_minor, 0);
	CU_ASSERT_EQUAL(line.tax_minor, 0);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(7, 1000, 0, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.line_total_minor, 7000);
	CU_ASSERT_EQUAL(line.tax_minor, 0);
}

static void tax_exactly_half_a_minor_unit_rounds_up(void)
{
	CU_ASSERT_EQUAL(finance_money_tax_half_up(1, 5000), 1);     /* 0.5 -> 1 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(3, 5000), 2);     /* 1.5 -> 2 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(5, 1000), 1);     /* 0.5 -> 1 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(25, 2000), 5);    /* 5.0 stays */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(1, 4999), 0);     /* 0.4999 -> 0 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(1, 5001), 1);     /* 0.5001 -> 1 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(10005, 1000), 1001); /* 1000.5 -> 1001 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(10004, 1000), 1000); /* 1000.4 -> 1000 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(0, 10000), 0);
}

static void tax_on_the_largest_amounts_is_exact_and_never_overflows(void)
{
	/* 100 % of anything is itself; 50 % of INT64_MAX (odd) rounds up. */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(INT64_MAX, 10000), INT64_MAX);
	CU_ASSERT_EQUAL(finance_money_tax_half_up(INT64_MAX, 5000), INT64_MAX / 2 + 1);
	CU_ASSERT_EQUAL(finance_money_tax_half_up(INT64_MAX, 1), INT64_MAX / 10000 + 1); /* ...477.5807 -> ...478 */
	CU_ASSERT_EQUAL(finance_money_tax_half_up(INT64_MAX - 1, 2500), (INT64_MAX - 1) / 4 + 1); /* x.5 up */
}

static void tax_rate_outside_0_to_10000_basis_points_is_invalid(void)
{
	struct finance_line_amounts line;
	CU_ASSERT_EQUAL(finance_money_line(1, 100, -1, &line), FINANCE_MONEY_INVALID);
	CU_ASSERT_EQUAL(finance_money_line(1, 100, 10001, &line), FINANCE_MONEY_INVALID);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(1, 100, 10000, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.tax_minor, 100);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(1, 100, 0, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.tax_minor, 0);
}

static void quantity_below_one_and_negative_prices_are_invalid(void)
{
	struct finance_line_amounts line;
	CU_ASSERT_EQUAL(finance_money_line(0, 100, 0, &line), FINANCE_MONEY_INVALID);
	CU_ASSERT_EQUAL(finance_money_line(-2, 100, 0, &line), FINANCE_MONEY_INVALID);
	CU_ASSERT_EQUAL(finance_money_line(1, -1, 0, &line), FINANCE_MONEY_INVALID);
}

static void line_whose_product_overflows_int64_is_refused(void)
{
	struct finance_line_amounts line = {-7, -7};
	CU_ASSERT_EQUAL(finance_money_line(2, INT64_MAX / 2 + 1, 0, &line), FINANCE_MONEY_OVERFLOW);
	CU_ASSERT_EQUAL(finance_money_line(INT32_MAX, INT64_MAX / 1000, 0, &line), FINANCE_MONEY_OVERFLOW);
	CU_ASSERT_EQUAL(line.line_total_minor, -7); /* untouched on refusal */
	/* the product fits but the line with its tax does not */
	CU_ASSERT_EQUAL(finance_money_line(1, INT64_MAX, 1, &line), FINANCE_MONEY_OVERFLOW);
	/* the largest product that fits, without tax, is accepted */
	CU_ASSERT_EQUAL_FATAL(finance_money_line(1, INT64_MAX, 0, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.line_total_minor, INT64_MAX);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(2, INT64_MAX / 2, 0, &line), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(line.line_total_minor, INT64_MAX - 1);
}

static void totals_add_subtotal_and_tax_and_refuse_overflow(void)
{
	struct finance_totals totals = {0, 0, 0};
	struct finance_line_amounts first, second;
	CU_ASSERT_EQUAL_FATAL(finance_money_line(3, 1999, 2000, &first), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL_FATAL(finance_money_line(2, 250, 700, &second), FINANCE_MONEY_OK); /* 500, 35 */
	CU_ASSERT_EQUAL(finance_money_add_line(&totals, &first), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(finance_money_add_line(&totals, &second), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(totals.subtotal_minor, 6497);
	CU_ASSERT_EQUAL(totals.tax_minor, 1234);
	CU_ASSERT_EQUAL(totals.total_minor, 7731);

	struct finance_line_amounts huge = {INT64_MAX / 2 + 1, 0};
	struct finance_totals before = totals;
	CU_ASSERT_EQUAL(finance_money_add_line(&totals, &huge), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(finance_money_add_line(&totals, &huge), FINANCE_MONEY_OVERFLOW);
	CU_ASSERT_EQUAL(totals.subtotal_minor, before.subtotal_minor + INT64_MAX / 2 + 1); /* left as it was */

	/* subtotal and tax each fit, their sum does not */
	struct finance_totals sum = {0, 0, 0};
	struct finance_line_amounts half_with_tax = {INT64_MAX / 2, INT64_MAX / 2};
	struct finance_line_amounts one_more_tax = {0, 2};
	CU_ASSERT_EQUAL(finance_money_add_line(&sum, &half_with_tax), FINANCE_MONEY_OK);
	CU_ASSERT_EQUAL(sum.total_minor, INT64_MAX - 1);
	CU_ASSERT_EQUAL(finance_money_add_line(&sum, &one_more_tax), FINANCE_MONEY_OVERFLOW);
	CU_ASSERT_EQUAL(sum.tax_minor, INT64_MAX / 2);
}

static void within_the_limit_or_without_one_a_single_approval_is_enough(void)
{
	CU_ASSERT_EQUAL(finance_approval_decide(100000, -1, 0, 7), FINANCE_APPROVAL_FULL);     /* no limit */
	CU_ASSERT_EQUAL(finance_approval_decide(100000, 100000, 0, 7), FINANCE_APPROVAL_FULL); /* at the limit */
	CU_ASSERT_EQUAL(finance_approval_decide(0, 0, 0, 7), FINANCE_APPROVAL_FULL);
	CU_ASSERT_EQUAL(finance_approval_decide(INT64_MAX / 4, -1, 0, 7), FINANCE_APPROVAL_FULL);
}

static void above_the_limit_the_first_approval_waits_for_a_second_person(void)
{
	/* one minor unit over */
	CU_ASSERT_EQUAL(finance_approval_decide(100001, 100000, 0, 7), FINANCE_APPROVAL_FIRST);
	CU_ASSERT_EQUAL(finance_approval_decide(1, 0, 0, 7), FINANCE_APPROVAL_FIRST); /* a zero limit: always two */
	/* the same person again is not a second approver */
	CU_ASSERT_EQUAL(finance_approval_decide(100001, 100000, 7, 7), FINANCE_APPROVAL_SAME_TWICE);
	/* anyone else completes it, whatever their own limit */
	CU_ASSERT_EQUAL(finance_approval_decide(100001, 100000, 7, 8), FINANCE_APPROVAL_FULL);
	CU_ASSERT_EQUAL(finance_approval_decide(100001, 5, 7, 8), FINANCE_APPROVAL_FULL);
	CU_ASSERT_EQUAL(finance_approval_decide(100001, -1, 7, 8), FINANCE_APPROVAL_FULL);
	/* a first approver whose limit now allows the amount completes it alone */
	CU_ASSERT_EQUAL(finance_approval_decide(100001, 200000, 7, 7), FINANCE_APPROVAL_FULL);
}

static const struct unit_test finance_tests[] = {
	{"within_the_limit_or_without_one_a_single_approval_is_enough",
		within_the_limit_or_without_one_a_single_approval_is_enough},
	{"above_the_limit_the_first_approval_waits_for_a_second_person",
		above_the_limit_the_first_approval_waits_for_a_second_person},
	{"line_total_is_quantity_times_unit_price_with_tax_rounded", line_total_is_quantity_times_unit_price_with_tax_rounded},
	{"tax_exactly_half_a_minor_unit_rounds_up", tax_exactly_half_a_minor_unit_rounds_up},
	{"tax_on_the_largest_amounts_is_exact_and_never_overflows", tax_on_the_largest_amounts_is_exact_and_never_overflows},
	{"tax_rate_outside_0_to_10000_basis_points_is_invalid", tax_rate_outside_0_to_10000_basis_points_is_invalid},
	{"quantity_below_one_and_negative_prices_are_invalid", quantity_below_one_and_negative_prices_are_invalid},
	{"line_whose_product_overflows_int64_is_refused", line_whose_product_overflows_int64_is_refused},
	{"totals_add_subtotal_and_tax_and_refuse_overflow", totals_add_subtotal_and_tax_and_refuse_overflow},
};

int register_finance_suite(void)
{
	return UNIT_SUITE("finance", finance_tests);
}

/* Invoice money maths in integer minor units (cents): line totals, tax at a
 * rate in basis points rounded half up, and invoice sums. Pure functions,
 * no floating point; every product and sum is checked for int64 overflow. */
#ifndef INTUKA_MODULES_FINANCE_MONEY_H
#define INTUKA_MODULES_FINANCE_MONEY_H

#include <stdint.h>

#define FINANCE_TAX_RATE_BP_MAX 10000 /* 100 % */

enum finance_money_result {
	FINANCE_MONEY_OK,
	FINANCE_MONEY_INVALID,  /* quantity < 1, negative price, rate outside 0..10000 */
	FINANCE_MONEY_OVERFLOW, /* a product or sum does not fit in int64 */
};

struct finance_line_amounts {
	int64_t line_total_minor; /* quantity x unit price, before tax */
	int64_t tax_minor;
};

struct finance_totals {
	int64_t subtotal_minor;
	int64_t tax_minor;
	int64_t total_minor; /* subtotal + tax */
};

/* amount_minor x rate_bp / 10000, rounded half up (x.5 goes up). amount and
 * rate must be non-negative and rate at most 10000; then it cannot overflow. */
int64_t finance_money_tax_half_up(int64_t amount_minor, int64_t rate_bp);

/* One line's total and tax. */
enum finance_money_result finance_money_line(int64_t quantity, int64_t unit_price_minor, int64_t tax_rate_bp,
	struct finance_line_amounts *out);

/* Adds a line to running totals (start from all zero). On overflow the
 * totals are left unchanged. */
enum finance_money_result finance_money_add_line(struct finance_totals *totals, const struct finance_line_amounts *line);

#endif

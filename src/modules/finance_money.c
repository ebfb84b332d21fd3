/* Invoice money maths; see finance_money.h. */
#include "modules/finance_money.h"

int64_t finance_money_tax_half_up(int64_t amount_minor, int64_t rate_bp)
{
	/* Split the amount so no intermediate product can overflow:
	 * amount = whole * 10000 + rest, and whole * rate / 10000 is exact. */
	int64_t whole = amount_minor / 10000;
	int64_t rest = amount_minor % 10000;
	return whole * rate_bp + (rest * rate_bp + 5000) / 10000;
}

enum finance_money_result finance_money_line(int64_t quantity, int64_t unit_price_minor, int64_t tax_rate_bp,
	struct finance_line_amounts *out)
{
	if (quantity < 1 || unit_price_minor < 0 || tax_rate_bp < 0 || tax_rate_bp > FINANCE_TAX_RATE_BP_MAX)
		return FINANCE_MONEY_INVALID;
	int64_t line_total = 0;
	if (__builtin_mul_overflow(quantity, unit_price_minor, &line_total))
		return FINANCE_MONEY_OVERFLOW;
	int64_t tax = finance_money_tax_half_up(line_total, tax_rate_bp);
	int64_t with_tax = 0;
	/* The line must also be payable: its total with tax fits. */
	if (__builtin_add_overflow(line_total, tax, &with_tax))
		return FINANCE_MONEY_OVERFLOW;
	out->line_total_minor = line_total;
	out->tax_minor = tax;
	return FINANCE_MONEY_OK;
}

enum finance_money_result finance_money_add_line(struct finance_totals *totals, const struct finance_line_amounts *line)
{
	int64_t subtotal, tax, total;
	if (__builtin_add_overflow(totals->subtotal_minor, line->line_total_minor, &subtotal) ||
		__builtin_add_overflow(totals->tax_minor, line->tax_minor, &tax) ||
		__builtin_add_overflow(subtotal, tax, &total))
		return FINANCE_MONEY_OVERFLOW;
	totals->subtotal_minor = subtotal;
	totals->tax_minor = tax;
	totals->total_minor = total;
	return FINANCE_MONEY_OK;
}

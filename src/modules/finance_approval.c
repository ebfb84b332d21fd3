/* The approval threshold rule; see finance_approval.h. */
#include "modules/finance_approval.h"

enum finance_approval_step finance_approval_decide(int64_t amount, int64_t limit, uint64_t first_approver,
	uint64_t user)
{
	if (first_approver != 0 && first_approver != user)
		return FINANCE_APPROVAL_FULL;
	if (limit < 0 || amount <= limit)
		return FINANCE_APPROVAL_FULL;
	return first_approver == user ? FINANCE_APPROVAL_SAME_TWICE : FINANCE_APPROVAL_FIRST;
}

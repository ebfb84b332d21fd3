/* The approval threshold rule, without a database: above the approval limit
 * a profile has for a currency, one holder of finance.approve is not
 * enough; the document needs a second approver. Kept apart from the
 * handlers so unit tests can prove it. */
#ifndef INTUKA_MODULES_FINANCE_APPROVAL_H
#define INTUKA_MODULES_FINANCE_APPROVAL_H

#include <stdint.h>

enum finance_approval_step {
	FINANCE_APPROVAL_FULL,       /* the document becomes approved */
	FINANCE_APPROVAL_FIRST,      /* recorded as the first of two approvals; it stays submitted */
	FINANCE_APPROVAL_SAME_TWICE, /* the first approver again: refused, a second person must approve */
};

/* What an approval by user does to a submitted document of amount (minor
 * units), given the limit of user's profile in the document's currency
 * (limit < 0: none, any amount) and who approved it first (0: nobody).
 * A first approval by someone else always completes it: two people
 * approved. Within the limit one approval is enough. */
enum finance_approval_step finance_approval_decide(int64_t amount, int64_t limit, uint64_t first_approver,
	uint64_t user);

#endif

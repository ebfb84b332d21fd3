/* Idempotency-Key on creates: the first request with a key stores its
 * answer in the same transaction as the record it created; a retry with the
 * same key (per tenant, 24 hours) gets that answer again instead of a second
 * record. A concurrent retry waits on the key's row and then replays. */
#ifndef INTUKA_MODULES_IDEMPOTENCY_H
#define INTUKA_MODULES_IDEMPOTENCY_H

#include <stddef.h>

struct request_context;
struct db_statement_def;

#define IDEMPOTENCY_KEY_MAX 200

enum idempotency_outcome {
	IDEMPOTENCY_PROCEED,  /* no key, or a new key reserved: do the work */
	IDEMPOTENCY_ANSWERED, /* replayed, or refused: the response is set; the request flow rolls back */
};

/* Inside the caller's open transaction, which it leaves open: on ANSWERED
 * the response is complete and the caller just returns (the request flow
 * rolls the transaction back). */
enum idempotency_outcome idempotency_begin(struct request_context *context, int *reserved);
/* Store the response now set (before the caller commits). db_result. */
int idempotency_finish(struct request_context *context);
const struct db_statement_def *idempotency_statement_table(size_t *count);

#endif

/* What find API handlers share: the request's workspace, the source a
 * search is logged under, and the plan's caps. The find gate (src/find/
 * gate.c) has already authenticated, resolved the workspace and metered the
 * request when a handler runs. */
#ifndef INTUKA_MODULES_FIND_COMMON_H
#define INTUKA_MODULES_FIND_COMMON_H

struct request_context;

/* The workspace the request names; "" when it names none (reads then span
 * every workspace of the tenant). */
const char *find_workspace(const struct request_context *context);
/* For content writes: the workspace, or NULL after answering 400. */
const char *find_require_workspace(struct request_context *context);
/* "secret", "publishable" or "jwt": who asked, for the search log. */
const char *find_source_name(const struct request_context *context);

#endif

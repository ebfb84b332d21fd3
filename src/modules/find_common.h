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
/* The SDK's workspaceId (a chat body member, a search analytics query
 * parameter; field names it) beside what the gate resolved. NULL changes
 * nothing. A publishable key's must be its Origin's workspace (403). With
 * X-Workspace-ID both must agree (400); without it, it becomes the
 * request's workspace. Returns 0, or -1 after answering. */
int find_use_named_workspace_or_reply(struct request_context *context, const char *named, const char *field);

#endif

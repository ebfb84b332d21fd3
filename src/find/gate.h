/* The find API's own pipeline step, after authentication: origin check for
 * publishable keys, workspace, the tenant's plan (trial, subscription; a
 * route with serves_lapsed_plan passes a lapsed one, still rate limited),
 * per-key rate limits and monthly quota, and the tierLimits/usage members
 * every find response carries. Returns 0 to go on, -1 with the refusal set. */
#ifndef INTUKA_FIND_GATE_H
#define INTUKA_FIND_GATE_H

struct request_context;
struct route;

int find_gate(struct request_context *context, const struct route *route);
/* Whether the route belongs to the find API (it accepts API keys). */
int find_route(const struct route *route);

#endif

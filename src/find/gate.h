/* The find API's gate (struct route_gate, http/router.h): after
 * authentication, the origin check for publishable keys, the workspace, the
 * tenant's plan (trial, subscription; a route whose terms serve a lapsed
 * plan passes it, still rate limited), per-caller rate limits and the
 * monthly quota, and the tierLimits/usage members every find response
 * carries. Find route tables name it; find handlers read what it kept. */
#ifndef INTUKA_FIND_GATE_H
#define INTUKA_FIND_GATE_H

#include "find/meter.h"

#include "find/plan.h"
#include "http/router.h"

struct request_context;

/* What the gate needs of a find route (its gate_data); NULL means neither. */
struct find_route_terms {
	enum find_meter meter;  /* the monthly allowance the route counts against */
	int serves_lapsed_plan; /* answered even after the trial or the subscription ended */
};

/* What the gate keeps for find handlers, in the request's arena. */
struct find_request {
	const struct find_plan *plan;
	const char *workspace; /* validated; "" when the request names none */
	struct find_meter_taken meter_taken;
};

extern const struct route_gate find_gate;

/* The state the find gate kept for this request (never NULL once admitted). */
struct find_request *find_request_of(const struct request_context *context);

#endif

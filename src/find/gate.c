/* The find gate: workspace, plan and envelope members for find routes. */
#include "find/gate.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/context.h"
#include "find/plan.h"
#include "find/workspace.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

#include <string.h>

int find_route(const struct route *route)
{
	return (route->credentials & (ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY)) != 0;
}

static int find_gate_workspace(struct request_context *context)
{
	struct request *request = context->request;
	request->auth.workspace = "";
	if (request->workspace_header == NULL)
		return 0;
	char workspace[WORKSPACE_MAX + 1];
	if (workspace_normalize(request->workspace_header, workspace, sizeof(workspace)) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid X-Workspace-ID");
		response_add_detail(context->response, "X-Workspace-ID",
			"use 1-%d lowercase letters, digits and hyphens (dots become hyphens)", WORKSPACE_MAX);
		return -1;
	}
	request->auth.workspace = arena_strdup(request->arena, workspace);
	return request->auth.workspace ? 0 : -1;
}

int find_gate(struct request_context *context, const struct route *route)
{
	(void)route;
	if (find_gate_workspace(context) != 0)
		return -1;
	context->find_plan = find_plan_builtin("starter");
	response_set_envelope_member(context->response, "tierLimits", find_plan_tier_limits(context->find_plan));
	return 0;
}

/* Accessors for find handlers over what the find gate resolved. */
#include "modules/find_common.h"
#include "core/arena.h"
#include "find/gate.h"
#include "find/workspace.h"
#include "handler/context.h"
#include "http/request.h"
#include "http/response.h"

#include <string.h>

const char *find_workspace(const struct request_context *context)
{
	const struct find_request *state = find_request_of(context);
	return state != NULL && state->workspace != NULL ? state->workspace : "";
}

const char *find_require_workspace(struct request_context *context)
{
	const char *workspace = find_workspace(context);
	if (workspace[0] != '\0')
		return workspace;
	response_error(context->response, STATUS_VALIDATION_ERROR, "X-Workspace-ID header is required for content writes");
	response_add_detail(context->response, "X-Workspace-ID", "required: lowercase letters, digits and hyphens");
	return NULL;
}

const char *find_source_name(const struct request_context *context)
{
	switch (context->request->auth.kind) {
	case AUTH_SECRET_KEY:
		return "secret";
	case AUTH_PUBLISHABLE_KEY:
		return "publishable";
	default:
		return "jwt";
	}
}

int find_use_named_workspace_or_reply(struct request_context *context, const char *named, const char *field)
{
	struct request *request = context->request;
	char workspace[WORKSPACE_MAX + 1];
	if (named == NULL)
		return 0;
	if (workspace_normalize(named, workspace, sizeof(workspace)) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid workspace");
		response_add_detail(context->response, field,
			"use 1-%d lowercase letters, digits and hyphens (dots become hyphens)", WORKSPACE_MAX);
		return -1;
	}
	/* A browser's workspace is its origin's: naming another is not allowed. */
	if (request->auth.kind == AUTH_PUBLISHABLE_KEY) {
		if (strcmp(workspace, find_workspace(context)) == 0)
			return 0;
		response_error(context->response, STATUS_FORBIDDEN, "Workspace not allowed for this key");
		response_add_detail(context->response, field, "must be the workspace of the request's Origin (%s)",
			find_workspace(context));
		return -1;
	}
	if (request->workspace_header != NULL) {
		if (strcmp(workspace, find_workspace(context)) == 0)
			return 0;
		response_error(context->response, STATUS_VALIDATION_ERROR, "Workspace named twice");
		response_add_detail(context->response, field, "must agree with X-Workspace-ID (%s)", find_workspace(context));
		return -1;
	}
	const char *copy = arena_strdup(request->arena, workspace);
	if (copy == NULL) {
		response_error(context->response, STATUS_INTERNAL_ERROR, "Out of request memory");
		return -1;
	}
	find_request_of(context)->workspace = copy;
	return 0;
}

/* Accessors for find handlers over what the find gate resolved. */
#include "modules/find_common.h"
#include "core/context.h"
#include "http/request.h"
#include "http/response.h"

const char *find_workspace(const struct request_context *context)
{
	const char *workspace = context->request->auth.workspace;
	return workspace ? workspace : "";
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

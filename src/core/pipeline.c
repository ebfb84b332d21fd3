/* The request pipeline. Steps that are not built yet (authentication,
 * tenant, rate limit, permission) are fixed points here so later modules
 * slot in without changing the order. */
#include "core/pipeline.h"
#include "core/config.h"
#include "core/log.h"
#include "http/response.h"
#include "http/router.h"
#include "modules/modules.h"

/* A route that needs credentials gets 401 until a verifier accepts them. */
static int pipeline_authenticate(struct request_context *context, const struct route *route)
{
	if (route->credentials == ROUTE_PUBLIC)
		return 0;
	response_error(context->response, STATUS_UNAUTHORIZED, "Authentication required");
	return -1;
}

static int pipeline_resolve_tenant(struct request_context *context, const struct route *route)
{
	(void)context;
	(void)route;
	return 0; /* public routes are not tenant-scoped */
}

static int pipeline_check_rate_limit(struct request_context *context, const struct route *route)
{
	(void)context;
	(void)route;
	return 0;
}

static int pipeline_check_permission(struct request_context *context, const struct route *route)
{
	if (route->permission == NULL)
		return 0;
	response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
	return -1;
}

void pipeline_limits_from_config(const struct config *config, struct request_limits *limits)
{
	limits->max_body_bytes = (size_t)config->max_body_bytes;
	limits->max_header_bytes = (size_t)config->max_header_bytes;
	limits->max_path_bytes = (size_t)config->max_path_bytes;
	limits->max_json_depth = config->max_json_depth;
	limits->max_query_params = (size_t)config->max_query_params;
}

void pipeline_process(struct request_context *context, char **envp, request_body_reader read_body,
	void *reader_context)
{
	struct request *request = context->request;
	struct response *response = context->response;
	struct request_limits limits;
	pipeline_limits_from_config(context->config, &limits);

	if (request_parse(request, envp, read_body, reader_context, &limits, response) != 0)
		return;

	size_t table_count = 0;
	const struct route_table *const *tables = modules_route_tables(&table_count);
	const struct route *route = NULL;
	char allow[128];
	switch (router_match(tables, table_count, request->method, request->path, request->arena, &route,
		&request->path_params, allow, sizeof(allow))) {
	case ROUTER_NOT_FOUND:
		response_error(response, STATUS_NOT_FOUND, "No such resource");
		return;
	case ROUTER_METHOD_NOT_ALLOWED:
		response_error(response, STATUS_METHOD_NOT_ALLOWED, "Method not allowed on this resource");
		response_add_header(response, "Allow", allow);
		return;
	case ROUTER_FOUND:
		break;
	}

	if (pipeline_authenticate(context, route) != 0 || pipeline_resolve_tenant(context, route) != 0 ||
		pipeline_check_rate_limit(context, route) != 0 || pipeline_check_permission(context, route) != 0)
		return;

	route->handler(context);
}

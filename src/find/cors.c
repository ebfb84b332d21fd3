/* Preflight answers and CORS headers. */
#include "find/cors.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "db/db.h"
#include "find/api_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "flow/registry.h"
#include "modules/modules.h"

#include <string.h>

#define FIND_BASE_PATH "/api/v1/find/"

static const struct db_statement_def find_cors_statements[] = {
	/* Global by design: a preflight names no tenant; the answer is only
	 * whether some active publishable key lists this origin, or lists
	 * none (FIND_CORS_ANY_ORIGIN) and so may be used from it. */
	{"find.origin_allowed",
		"SELECT 1 FROM find_key_origins o JOIN find_api_keys k ON k.tenant_id = o.tenant_id AND k.key_id = o.key_id "
		"JOIN tenants t ON t.tenant_id = k.tenant_id AND t.status = 'active' "
		"WHERE o.origin IN (?, '" FIND_CORS_ANY_ORIGIN "') AND k.revoked_at IS NULL "
		"AND (k.expires_at IS NULL OR k.expires_at > NOW(3)) LIMIT 1",
		0},
};

const struct db_statement_def *find_cors_statement_table(size_t *count)
{
	*count = sizeof(find_cors_statements) / sizeof(find_cors_statements[0]);
	return find_cors_statements;
}

int find_cors_path(const char *path)
{
	return path != NULL && strncmp(path, FIND_BASE_PATH, strlen(FIND_BASE_PATH)) == 0;
}

void find_cors_allow(struct response *response, const char *origin)
{
	response_add_header(response, "Access-Control-Allow-Origin", origin);
	response_add_header(response, "Vary", "Origin");
	response_add_header(response, "Access-Control-Expose-Headers",
		"X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
}

static int find_cors_found(void *callback_context, const struct db_row *row)
{
	(void)row;
	*(int *)callback_context = 1;
	return 0;
}

static void find_cors_refuse(struct request_context *context, const char *reason)
{
	response_error(context->response, STATUS_FORBIDDEN, "CORS preflight refused");
	response_add_detail(context->response, "Origin", "%s", reason);
}

void find_cors_preflight(struct request_context *context)
{
	struct request *request = context->request;
	char origin[256];
	if (api_key_origin_normalize(request->origin, origin, sizeof(origin)) != 0) {
		find_cors_refuse(context, "an http(s) Origin header is required");
		return;
	}
	enum http_method wanted = http_method_parse(request->cors_request_method ? request->cors_request_method : "");
	size_t table_count = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	const struct route *route = NULL;
	struct path_params params;
	char allow[128];
	if (router_match(tables, table_count, wanted, request->path, request->arena, &route, &params, allow,
		sizeof(allow)) != ROUTER_FOUND || !(route->credentials & ROUTE_CRED_PUBLISHABLE_KEY)) {
		find_cors_refuse(context, "this method and path are not open to browsers");
		return;
	}
	int found = 0;
	struct db_param lookup[] = {DB_TEXT(origin)};
	enum db_result result = db_query(context->db, &find_cors_statements[0], lookup, 1, find_cors_found, &found);
	if (result != DB_OK) {
		respond_db_failure(context, result, "CORS preflight");
		return;
	}
	if (!found) {
		find_cors_refuse(context, "no active publishable key may be used from this origin");
		return;
	}
	response_ok(context->response, STATUS_OK, NULL, "Preflight accepted");
	find_cors_allow(context->response, request->origin);
	response_add_header(context->response, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	response_add_header(context->response, "Access-Control-Allow-Headers",
		"Authorization, Content-Type, X-Workspace-ID, X-Request-Id");
	response_add_header(context->response, "Access-Control-Max-Age", "600");
}

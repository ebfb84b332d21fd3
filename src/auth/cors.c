/* Preflight decisions and CORS headers. */
#include "auth/cors.h"
#include "auth/api_key.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

#include <string.h>

static const struct db_statement_def cors_statements[] = {
	/* Global by design: a preflight names no tenant; the answer is only
	 * whether some active publishable key lists this origin, or lists
	 * none (CORS_ANY_ORIGIN) and so may be used from it. */
	{.name = "cors.origin_allowed",
		.sql = "SELECT 1 FROM find_key_origins o JOIN find_api_keys k ON k.tenant_id = o.tenant_id AND k.key_id = o.key_id "
		"JOIN tenants t ON t.tenant_id = k.tenant_id AND t.status = 'active' "
		"WHERE o.origin IN (?, '" CORS_ANY_ORIGIN "') AND k.revoked_at IS NULL "
		"AND (k.expires_at IS NULL OR k.expires_at > NOW(3)) LIMIT 1",
		.tenant_bound = 0},
};

const struct db_statement_def *cors_statement_table(size_t *count)
{
	*count = sizeof(cors_statements) / sizeof(cors_statements[0]);
	return cors_statements;
}

void cors_allow(struct response *response, const char *origin)
{
	response_add_header(response, "Access-Control-Allow-Origin", origin);
	response_add_header(response, "Vary", "Origin");
	response_add_header(response, "Access-Control-Expose-Headers",
		"X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
}

void cors_preflight_headers(struct response *response, const char *origin)
{
	cors_allow(response, origin);
	response_add_header(response, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	response_add_header(response, "Access-Control-Allow-Headers",
		"Authorization, Content-Type, X-Workspace-ID, X-Request-Id");
	response_add_header(response, "Access-Control-Max-Age", "600");
}

static int cors_found(void *callback_context, const struct db_row *row)
{
	(void)row;
	*(int *)callback_context = 1;
	return 0;
}

enum cors_verdict cors_preflight(struct db *db, const struct request *request, const struct route_table *const *tables,
	size_t table_count)
{
	char origin[256];
	if (api_key_origin_normalize(request->origin, origin, sizeof(origin)) != 0)
		return CORS_NO_ORIGIN;
	enum http_method wanted = http_method_parse(request->cors_request_method ? request->cors_request_method : "");
	const struct route *route = NULL;
	struct path_params params;
	char allow[128];
	if (router_match(tables, table_count, wanted, request->path, request->arena, &route, NULL, &params, allow,
		sizeof(allow)) != ROUTER_FOUND || !(route->credentials & ROUTE_CRED_PUBLISHABLE_KEY))
		return CORS_NOT_FOR_BROWSERS;
	int found = 0;
	struct db_param lookup[] = {DB_TEXT(origin)};
	enum db_result result = db_query(db, &cors_statements[0], lookup, 1, cors_found, &found);
	if (result != DB_OK)
		return result == DB_UNAVAILABLE ? CORS_DB_UNAVAILABLE : CORS_DB_ERROR;
	return found ? CORS_ALLOWED : CORS_ORIGIN_UNKNOWN;
}

const char *cors_verdict_reason(enum cors_verdict verdict)
{
	switch (verdict) {
	case CORS_NO_ORIGIN:
		return "an http(s) Origin header is required";
	case CORS_NOT_FOR_BROWSERS:
		return "this method and path are not open to browsers";
	case CORS_ORIGIN_UNKNOWN:
		return "no active publishable key may be used from this origin";
	default:
		return "";
	}
}

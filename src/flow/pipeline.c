/* The request pipeline: parse -> route -> authenticate -> tenant -> the
 * route table's gate (or the platform rate limit) -> permission -> query
 * and body validation -> handler. Each step either passes or leaves its
 * refusal in the response. An API surface plugs in through its tables'
 * gate; nothing here names one. OPTIONS requests are CORS preflights. */
#include "flow/pipeline.h"
#include "auth/api_key.h"
#include "auth/cors.h"
#include "auth/jwt.h"
#include "auth/key_principal.h"
#include "auth/operator_key.h"
#include "auth/principal.h"
#include "auth/principal_confirm.h"
#include "auth/rate_lease.h"
#include "auth/ratelimit.h"
#include "auth/rbac.h"
#include "auth/tenant_host.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"
#include "flow/registry.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "http/etag.h"
#include "handler/stream.h"
#include "http/query.h"
#include "http/response.h"
#include "http/router.h"
#include "http/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A genuine credential of a suspended tenant: the caller is known, so 403
 * and not 401; the tenant's data is kept until its operator decides. */
#define PIPELINE_SUSPENDED_MESSAGE "This tenant is suspended; contact your provider"

static void pipeline_unauthorized(struct request_context *context, const char *message)
{
	response_error(context->response, STATUS_UNAUTHORIZED, message);
	response_add_header(context->response, "WWW-Authenticate", "Bearer");
}

/* "Bearer <token>" with the scheme in any case; NULL when absent. */
static const char *pipeline_bearer_token(const char *authorization)
{
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	return *token ? token : NULL;
}

/* An API key, looked up by its hash. A genuine key on a route its type may
 * not use is a 403, not a 401: the caller is known, the route is not theirs. */
static int pipeline_authenticate_key(struct request_context *context, const struct route *route, const char *key,
	int use_cache)
{
	struct request *request = context->request;
	if (!(route->credentials & (ROUTE_CRED_SECRET_KEY | ROUTE_CRED_PUBLISHABLE_KEY))) {
		pipeline_unauthorized(context, "API keys are not accepted on this route");
		return -1;
	}
	enum key_principal_outcome outcome = KEY_PRINCIPAL_UNKNOWN;
	if (use_cache && route->principal_cache)
		outcome = key_principal_cached(key, context->now_s, request->arena, &request->auth);
	if (outcome != KEY_PRINCIPAL_OK)
		outcome = key_principal_load(context->db, key, context->now_s, request->arena, &request->auth);
	switch (outcome) {
	case KEY_PRINCIPAL_OK:
		break;
	case KEY_PRINCIPAL_EXPIRED:
		pipeline_unauthorized(context, "API key has expired");
		return -1;
	case KEY_PRINCIPAL_UNKNOWN:
		pipeline_unauthorized(context, "Invalid or expired API key");
		return -1;
	case KEY_PRINCIPAL_TENANT_SUSPENDED:
		response_error(context->response, STATUS_TENANT_SUSPENDED, PIPELINE_SUSPENDED_MESSAGE);
		return -1;
	case KEY_PRINCIPAL_DB_UNAVAILABLE:
		respond_db_failure(context, DB_UNAVAILABLE, "authenticate key");
		return -1;
	default:
		respond_db_failure(context, DB_ERROR, "authenticate key");
		return -1;
	}
	unsigned needed = request->auth.kind == AUTH_PUBLISHABLE_KEY ? ROUTE_CRED_PUBLISHABLE_KEY : ROUTE_CRED_SECRET_KEY;
	if (!(route->credentials & needed)) {
		response_error(context->response, STATUS_FORBIDDEN,
			needed == ROUTE_CRED_PUBLISHABLE_KEY ? "Publishable keys cannot use this route; use a secret key"
							     : "This key type cannot use this route");
		return -1;
	}
	return 0;
}

/* The operator key. Without one configured there is no operator API: 404,
 * as for a path that does not exist, and nothing is counted. Failed
 * attempts count per client address, and once over the limit even the
 * right key is refused until the window ends, so the limit bounds guessing. */
static int pipeline_authenticate_operator(struct request_context *context)
{
	struct request *request = context->request;
	const struct config *config = context->config;
	if (config->operator_key[0] == '\0') {
		response_error(context->response, STATUS_NOT_FOUND, "No such resource");
		return -1;
	}
	struct ratelimit_bucket bucket = {.tenant_id = 0, .limit = (uint32_t)config->operator_rate_limit,
		.window_s = (uint32_t)config->operator_rate_window_s};
	ratelimit_bucket_name(bucket.name, sizeof(bucket.name), RATELIMIT_KIND_OPERATOR_ADDRESS,
		request->remote_addr ? request->remote_addr : "-");
	struct ratelimit_outcome outcome;
	int result = ratelimit_peek(context->db, &bucket, context->now_s, &outcome);
	if (result != DB_OK) {
		respond_db_failure(context, result, "operator rate limit");
		return -1;
	}
	if (!outcome.allowed) {
		ratelimit_add_headers(context->response, &outcome, context->now_s);
		response_error(context->response, STATUS_RATE_LIMITED, "Too many attempts, try again later");
		return -1;
	}
	if (!operator_key_matches(config->operator_key, pipeline_bearer_token(request->authorization))) {
		log_msg(LOG_LEVEL_WARN, request->request_id, "operator key refused from %s",
			request->remote_addr ? request->remote_addr : "-");
		result = ratelimit_hit(context->db, &bucket, 1, context->now_s, &outcome);
		if (result != DB_OK) {
			respond_db_failure(context, result, "operator rate limit");
			return -1;
		}
		pipeline_unauthorized(context, "Invalid operator key");
		return -1;
	}
	request->auth.kind = AUTH_OPERATOR;
	request->auth.tenant_id = 0;
	return 0;
}

/* The platform API's rate buckets of a user: per user, and per tenant when
 * a tenant ceiling is configured. Returns how many. */
static size_t pipeline_user_buckets(const struct config *config, uint64_t tenant_id, uint64_t user_id,
	struct ratelimit_bucket buckets[2])
{
	buckets[0].tenant_id = tenant_id;
	char user[24];
	snprintf(user, sizeof(user), "%llu", (unsigned long long)user_id);
	ratelimit_bucket_name(buckets[0].name, sizeof(buckets[0].name), RATELIMIT_KIND_USER, user);
	buckets[0].limit = (uint32_t)config->rate_limit_per_minute;
	buckets[0].window_s = 60;
	if (config->rate_limit_tenant_per_minute <= 0)
		return 1;
	buckets[1].tenant_id = tenant_id;
	ratelimit_bucket_name(buckets[1].name, sizeof(buckets[1].name), RATELIMIT_KIND_TENANT, NULL);
	buckets[1].limit = (uint32_t)config->rate_limit_tenant_per_minute;
	buckets[1].window_s = 60;
	return 2;
}

/* Outcome of the platform API's rate count, taken with the principal, and
 * the buckets it took a unit of (handed back if the request runs again). */
struct pipeline_rate {
	int counted;
	struct ratelimit_outcome outcome;
	struct ratelimit_bucket buckets[2];
	struct rate_lease_want wants[2];
	size_t bucket_count;
	int admitted;
};

/* The per-user (and per-tenant) limits from this worker's leases: most
 * requests count without a round trip (auth/rate_lease.h). */
static int pipeline_count_user(struct request_context *context, uint64_t tenant_id, uint64_t user_id,
	struct pipeline_rate *rate)
{
	struct ratelimit_bucket *buckets = rate->buckets;
	size_t bucket_count = pipeline_user_buckets(context->config, tenant_id, user_id, buckets);
	struct rate_lease_want *wants = rate->wants;
	struct rate_lease_got got[2];
	for (size_t i = 0; i < bucket_count; i++) {
		int64_t start = ratelimit_window_start(context->now_s, buckets[i].window_s);
		wants[i] = (struct rate_lease_want){.tenant_id = buckets[i].tenant_id, .bucket = buckets[i].name,
			.window_start = start, .window_end = start + buckets[i].window_s, .limit = buckets[i].limit,
			.take = 1};
	}
	int admitted = 0;
	int result = rate_lease_take(context->db, wants, bucket_count, context->now_s, got, &admitted);
	if (result != DB_OK)
		return result;
	rate->bucket_count = bucket_count;
	rate->admitted = admitted;
	uint32_t hits[2];
	for (size_t i = 0; i < bucket_count; i++)
		hits[i] = got[i].count > UINT32_MAX ? UINT32_MAX : (uint32_t)got[i].count;
	ratelimit_evaluate(buckets, hits, bucket_count, context->now_s, &rate->outcome);
	rate->counted = 1;
	return DB_OK;
}

static int pipeline_authenticate(struct request_context *context, const struct route *route,
	const struct route_table *table, struct pipeline_rate *rate, int use_cache)
{
	if (route->credentials == ROUTE_PUBLIC)
		return 0;
	if (route->credentials & ROUTE_CRED_OPERATOR)
		return pipeline_authenticate_operator(context);
	struct request *request = context->request;
	const char *token = pipeline_bearer_token(request->authorization);
	if (token != NULL && api_key_type_of(token) != API_KEY_NONE)
		return pipeline_authenticate_key(context, route, token, use_cache);
	if (token == NULL || !(route->credentials & ROUTE_CRED_JWT)) {
		pipeline_unauthorized(context, "Authentication required");
		return -1;
	}
	struct jwt_expectations expect = {
		.issuer = context->config->jwt_issuer,
		.audience = context->config->jwt_audience,
		.now_s = context->now_s,
		.leeway_s = context->config->jwt_leeway_s,
	};
	struct jwt_claims claims;
	enum jwt_result verdict = jwt_verify(context->keyring, token, strlen(token), &expect, &claims);
	if (verdict != JWT_OK) {
		log_msg(LOG_LEVEL_INFO, request->request_id, "access token refused: %s", jwt_result_text(verdict));
		pipeline_unauthorized(context, "Invalid or expired token");
		return -1;
	}
	uint64_t user_id = strtoull(claims.sub, NULL, 10);
	enum principal_outcome outcome = PRINCIPAL_GONE;
	if (use_cache && route->principal_cache)
		outcome = principal_cached(claims.tenant_id, user_id, claims.session_id, request->arena, &request->auth);
	if (outcome != PRINCIPAL_OK)
		outcome = principal_load(context->db, claims.tenant_id, user_id, claims.session_id, request->arena,
			&request->auth);
	/* The gate counts with its own limits; the platform API here. */
	if (outcome == PRINCIPAL_OK && table->gate == NULL) {
		int result = pipeline_count_user(context, claims.tenant_id, user_id, rate);
		if (result != DB_OK) {
			respond_db_failure(context, result, "rate limit");
			return -1;
		}
	}
	switch (outcome) {
	case PRINCIPAL_OK:
		request->auth.kind = AUTH_JWT;
		return 0;
	case PRINCIPAL_GONE:
		pipeline_unauthorized(context, "Session is no longer valid");
		return -1;
	case PRINCIPAL_TENANT_SUSPENDED:
		response_error(context->response, STATUS_TENANT_SUSPENDED, PIPELINE_SUSPENDED_MESSAGE);
		return -1;
	case PRINCIPAL_DB_UNAVAILABLE:
		respond_db_failure(context, DB_UNAVAILABLE, "authenticate");
		return -1;
	default:
		respond_db_failure(context, DB_ERROR, "authenticate");
		return -1;
	}
}

/* A token works only on its own tenant's host: a token of tenant A sent to
 * b.<base_domain> is refused even though it is genuine. */
static int pipeline_resolve_tenant(struct request_context *context, const struct route *route)
{
	if (route->credentials == ROUTE_PUBLIC || context->request->auth.kind == AUTH_OPERATOR)
		return 0;
	char host_slug[64];
	const struct request *request = context->request;
	if (tenant_host_slug(request->host, context->config->base_domain, host_slug, sizeof(host_slug)) &&
		strcmp(host_slug, request->auth.tenant_slug) != 0) {
		pipeline_unauthorized(context, "Token not valid for this tenant");
		return -1;
	}
	return 0;
}

/* The route table's gate, or the platform API's own rate limit. */
static int pipeline_admit(struct request_context *context, const struct route *route, const struct route_table *table,
	const struct pipeline_rate *rate)
{
	if (route->credentials == ROUTE_PUBLIC)
		return 0; /* public routes with a cost (login, forgot) count in their handler */
	if (context->request->auth.kind == AUTH_OPERATOR)
		return 0; /* failed operator attempts counted while authenticating */
	if (table->gate != NULL)
		return table->gate->admit(context, route);
	if (!rate->counted) {
		respond_db_failure(context, DB_ERROR, "rate limit not counted");
		return -1;
	}
	const struct ratelimit_outcome *outcome = &rate->outcome;
	/* Headers go on the refusal, or on the response the handler builds. */
	ratelimit_add_headers(context->response, outcome, context->now_s);
	if (!outcome->allowed) {
		response_error(context->response, STATUS_RATE_LIMITED, "Too many requests");
		return -1;
	}
	/* Old windows go away a little at a time, by this tenant's key prefix. */
	if ((random() & 1023) == 0)
		ratelimit_purge(context->db, context->request->auth.tenant_id, context->now_s, 2 * 86400);
	return 0;
}

static int pipeline_check_permission(struct request_context *context, const struct route *route)
{
	if (route->permission == NULL || rbac_list_grants(context->request->auth.permissions, route->permission))
		return 0;
	response_error(context->response, STATUS_FORBIDDEN, "Permission denied");
	response_add_detail(context->response, "permission", "requires %s", route->permission);
	return -1;
}

/* Every query parameter must be one the route declares: an ignored filter
 * would answer the whole list as if it were the filtered one. */
static int pipeline_validate_query(struct request_context *context, const struct route *route)
{
	return query_validate(context->request, route->query, route->data, context->response);
}

static int pipeline_validate_input(struct request_context *context, const struct route *route)
{
	if (route->input == NULL)
		return 0;
	return validate_input(context->request, route->input, context->response);
}

void pipeline_limits_from_config(const struct config *config, struct request_limits *limits)
{
	limits->max_body_bytes = (size_t)config->max_body_bytes;
	limits->max_header_bytes = (size_t)config->max_header_bytes;
	limits->max_path_bytes = (size_t)config->max_path_bytes;
	limits->max_json_depth = config->max_json_depth;
	limits->max_query_params = (size_t)config->max_query_params;
}

/* The request owns its transaction: a handler begins and commits it, and
 * whatever it leaves open is rolled back here, so error paths just return.
 * An open transaction under a success answer is a handler's bug: nothing
 * may be reported done that was not committed. */
static void pipeline_close_transaction(struct request_context *context)
{
	if (!db_in_transaction(context->db))
		return;
	db_rollback(context->db);
	if (status_is_success(context->response->status)) {
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "%s %s: handler answered success inside an open "
			"transaction; rolled back", context->request->method_text, context->route->pattern);
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
	}
}

/* If-None-Match on a read that answered with an ETag (a record's version, a
 * list page's hash): when one of the client's tags matches, 304 and no
 * body, the ETag kept. Handlers only set ETags; the rule lives here once. */
static void pipeline_answer_not_modified(struct request_context *context)
{
	const struct request *request = context->request;
	char etag[128];
	if (request->if_none_match == NULL || (request->method != HTTP_GET && request->method != HTTP_HEAD) ||
		context->response->status != STATUS_OK ||
		response_header_value(context->response, "ETag", etag, sizeof(etag)) != 0)
		return;
	if (etag_none_match_hits(request->if_none_match, etag))
		response_not_modified(context->response, context->response->cache_control);
}

/* The handler's run failed on a certification conflict (or on a node that
 * was lost or not ready) before anything was committed: the server rolled
 * it all back, so running the handler again from the start is sound, as
 * long as nothing went to the client yet. Another failure of that kind, or
 * one after a commit, is a 503 naming the request id: never a 500, never
 * a write half made. Returns 1 when the handler is to run again. */
static int pipeline_repeat_or_refuse(struct request_context *context, unsigned runs, size_t headers_length)
{
	const struct db_attempt *attempt = db_attempt_record(context->db);
	if (status_is_success(context->response->status) || stream_started(context))
		return 0;
	if (attempt->conflicts == 0 && attempt->unavailable == 0)
		return 0;
	const char *request_id = context->request->request_id;
	if (runs < DB_ATTEMPTS_MAX && db_attempt_repeatable(attempt, db_host_count(context->db))) {
		unsigned delay_ms = db_repeat_delay_ms(runs, (uint32_t)random());
		log_msg(LOG_LEVEL_INFO, request_id, "%s %s: run %u failed (%s) before anything was applied; again in %u ms",
			context->request->method_text, context->route->pattern, runs,
			attempt->conflicts > 0 ? "write conflict" : "database node lost", delay_ms);
		struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)delay_ms * 1000000L};
		nanosleep(&pause, NULL);
		response_rewind(context->response, headers_length);
		context->after_response = NULL;
		return 1;
	}
	if (attempt->conflicts == 0)
		return 0; /* the handler answered the lost database already: 503 */
	log_msg(LOG_LEVEL_WARN, request_id, "%s %s: write conflict after %u run(s)%s", context->request->method_text,
		context->route->pattern, runs, attempt->applied_writes > 0 ? ", a commit before it" : "");
	respond_db_failure(context, DB_DEADLOCK, context->route->pattern);
	return 0;
}

/* OPTIONS: a browser's preflight, answered for routes open to browsers. */
static void pipeline_preflight(struct request_context *context, const struct route_table *const *tables,
	size_t table_count)
{
	enum cors_verdict verdict = cors_preflight(context->db, context->request, tables, table_count);
	switch (verdict) {
	case CORS_ALLOWED:
		response_ok(context->response, STATUS_OK, NULL, "Preflight accepted");
		cors_preflight_headers(context->response, context->request->origin);
		return;
	case CORS_DB_UNAVAILABLE:
		respond_db_failure(context, DB_UNAVAILABLE, "CORS preflight");
		return;
	case CORS_DB_ERROR:
		respond_db_failure(context, DB_ERROR, "CORS preflight");
		return;
	default:
		response_error(context->response, STATUS_FORBIDDEN, "CORS preflight refused");
		response_add_detail(context->response, "Origin", "%s", cors_verdict_reason(verdict));
		return;
	}
}

/* Authentication to the answer, for a matched route; use_cache: whether the
 * caller may come from the worker's cache (on a route that allows it). */
static void pipeline_route(struct request_context *context, const struct route *route, const struct route_table *table,
	int use_cache, struct pipeline_rate *rate)
{
	struct response *response = context->response;
	if (pipeline_authenticate(context, route, table, rate, use_cache) != 0 ||
		pipeline_resolve_tenant(context, route) != 0 || pipeline_admit(context, route, table, rate) != 0 ||
		pipeline_check_permission(context, route) != 0 || pipeline_validate_query(context, route) != 0 ||
		pipeline_validate_input(context, route) != 0)
		return;

	size_t headers_length = response->extra_headers_length;
	unsigned runs = 0;
	do {
		db_attempt_start(context->db);
		runs++;
		route->handler(context);
		pipeline_close_transaction(context);
	} while (pipeline_repeat_or_refuse(context, runs, headers_length));
	pipeline_answer_not_modified(context);
}

/* A caller served from the cache is confirmed before its answer leaves: by
 * a handler's statement, or here. Returns 1 when the answer stands (the
 * caller did not change, or the database could not say: then a 503 in its
 * place), 0 when the request must start again. */
static int pipeline_principal_stands(struct request_context *context)
{
	struct auth_context *auth = &context->request->auth;
	if (auth->principal_unconfirmed) {
		int result = principal_confirm_now(context->db, auth);
		if (result != DB_OK) {
			response_reset(context->response);
			context->after_response = NULL;
			respond_db_failure(context, result, "confirm caller");
			return 1;
		}
	}
	return !auth->principal_changed;
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

	context->gate_state = NULL;
	size_t table_count = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	if (request->method == HTTP_OPTIONS) {
		pipeline_preflight(context, tables, table_count);
		return;
	}

	const struct route *route = NULL;
	const struct route_table *table = NULL;
	char allow[128];
	switch (router_match(tables, table_count, request->method, request->path, request->arena, &route, &table,
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

	context->route = route;
	struct pipeline_rate rate = {0};
	pipeline_route(context, route, table, 1, &rate);
	struct auth_context *auth = &request->auth;
	if (auth->principal_unconfirmed || auth->principal_changed) {
		if (pipeline_principal_stands(context))
			return;
		/* The caller's row changed since this worker read it: whatever was
		 * answered from the old one goes, and the request starts again
		 * from a fresh lookup (which refuses a revoked key or session). */
		int is_key = auth->kind == AUTH_SECRET_KEY || auth->kind == AUTH_PUBLISHABLE_KEY;
		log_msg(LOG_LEVEL_INFO, request->request_id, "%s %llu changed since this worker read it: request run "
			"again after a fresh lookup", is_key ? "API key" : "session",
			(unsigned long long)(is_key ? auth->api_key_id : auth->session_id));
		if (is_key)
			key_principal_forget(pipeline_bearer_token(request->authorization));
		else
			principal_forget(auth->tenant_id, auth->user_id, auth->session_id);
		if (table->gate != NULL && table->gate->withdraw != NULL && context->gate_state != NULL)
			table->gate->withdraw(context);
		if (rate.counted && rate.admitted)
			rate_lease_put_back(rate.wants, rate.bucket_count);
		response_reset(response);
		context->after_response = NULL;
		context->gate_state = NULL;
		memset(auth, 0, sizeof(*auth));
		memset(&rate, 0, sizeof(rate));
		pipeline_route(context, route, table, 0, &rate);
	}
}

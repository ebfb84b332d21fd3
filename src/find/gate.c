/* The find gate: origin, plan, workspace, metering and envelope members. */
#include "find/gate.h"
#include "auth/api_key.h"
#include "auth/cors.h"
#include "auth/ratelimit.h"
#include "core/arena.h"
#include "core/config.h"
#include "db/db.h"
#include "find/meter.h"
#include "find/workspace.h"
#include "handler/context.h"
#include "handler/respond.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int find_gate_admit(struct request_context *context, const struct route *route);
static void find_gate_withdraw(struct request_context *context);

const struct route_gate find_gate = {.name = "find", .admit = find_gate_admit, .withdraw = find_gate_withdraw};

struct find_request *find_request_of(const struct request_context *context)
{
	return context->gate_state;
}

static const struct find_route_terms find_gate_no_terms = {.meter = FIND_METER_NONE};

static const struct find_route_terms *find_gate_terms(const struct route *route)
{
	return route->gate_data ? route->gate_data : &find_gate_no_terms;
}

/* Refuses a publishable key's request from an origin it may not serve. */
static int find_gate_origin(struct request_context *context)
{
	const struct request *request = context->request;
	const char *allowed = request->auth.key_allowed_origins;
	switch (api_key_origin_check(allowed, request->origin)) {
	case API_KEY_ORIGIN_OK:
		return 0;
	case API_KEY_ORIGIN_MISSING:
		if (allowed == NULL || allowed[0] == '\0') {
			/* Without an Origin such a key would name no workspace. */
			response_error(context->response, STATUS_FORBIDDEN,
				"Origin required: this publishable key serves the workspace of the site that calls it");
			response_add_detail(context->response, "Origin", "required with a publishable key; its host names "
				"the workspace");
			return -1;
		}
		response_error(context->response, STATUS_FORBIDDEN, "Origin not allowed for this key");
		response_add_detail(context->response, "Origin", "required with a publishable key");
		return -1;
	case API_KEY_ORIGIN_INVALID:
		response_error(context->response, STATUS_FORBIDDEN, "Origin not allowed for this key");
		response_add_detail(context->response, "Origin", "must be an http(s) origin (scheme://host[:port])");
		return -1;
	case API_KEY_ORIGIN_NOT_ALLOWED:
	default:
		response_error(context->response, STATUS_FORBIDDEN, "Origin not allowed for this key");
		response_add_detail(context->response, "Origin", "not among the key's allowed origins");
		return -1;
	}
}

/* Publishable keys work from their registered origins (or, made without
 * any, from every origin), and their workspace is the origin's host;
 * everyone else names it in X-Workspace-ID. */
static int find_gate_origin_and_workspace(struct request_context *context, struct find_request *state)
{
	struct request *request = context->request;
	char workspace[WORKSPACE_MAX + 1];
	state->workspace = "";
	if (request->auth.kind == AUTH_PUBLISHABLE_KEY) {
		if (find_gate_origin(context) != 0)
			return -1;
		cors_allow(context->response, request->origin);
		if (workspace_from_origin(request->origin, workspace, sizeof(workspace)) != 0) {
			response_error(context->response, STATUS_VALIDATION_ERROR, "Origin does not name a usable workspace");
			return -1;
		}
	} else if (request->workspace_header == NULL) {
		return 0;
	} else if (workspace_normalize(request->workspace_header, workspace, sizeof(workspace)) != 0) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid X-Workspace-ID");
		response_add_detail(context->response, "X-Workspace-ID",
			"use 1-%d lowercase letters, digits and hyphens (dots become hyphens)", WORKSPACE_MAX);
		return -1;
	}
	state->workspace = arena_strdup(request->arena, workspace);
	return state->workspace ? 0 : -1;
}

static int find_gate_plan(struct request_context *context, struct find_request *state)
{
	struct find_plan *plan = arena_alloc(context->request->arena, sizeof(*plan));
	const struct auth_context *auth = &context->request->auth;
	int result = find_plan_load_known(context->db, auth->tenant_id, context->config->find_default_plan,
		auth->plan_changed_ms, plan);
	if (result != DB_OK) {
		respond_db_failure(context, result, "find plan");
		return -1;
	}
	state->plan = plan;
	return 0;
}

static int find_gate_subscription(struct request_context *context, const struct route *route,
	const struct find_plan *plan)
{
	enum find_plan_verdict verdict = find_plan_check(plan, context->now_s);
	/* A client asks the tenant routes precisely to learn that its plan
	 * lapsed; they read the plan and counters only, never content, and use
	 * no allowance, so they answer (valid: false) where others refuse. */
	if (verdict != FIND_PLAN_OK && find_gate_terms(route)->serves_lapsed_plan)
		return 0;
	switch (verdict) {
	case FIND_PLAN_OK:
		return 0;
	case FIND_PLAN_TRIAL_EXPIRED: {
		char ended[32];
		time_t ended_s = (time_t)plan->trial_ends_at_s;
		struct tm calendar;
		gmtime_r(&ended_s, &calendar);
		strftime(ended, sizeof(ended), "%Y-%m-%dT%H:%M:%SZ", &calendar);
		/* The data stays; only its use waits for a subscription. The SDK
		 * reads both members beside "error"; inside it they stay for
		 * clients that learnt them there. */
		response_error(context->response, STATUS_PAYMENT_REQUIRED, "Your free trial has ended");
		response_set_error_member(context->response, "trial_ended_at", json_object_new_string(ended));
		response_set_error_member(context->response, "upgrade_url",
			json_object_new_string(context->config->find_upgrade_url));
		response_set_envelope_member(context->response, "trial_ended_at", json_object_new_string(ended));
		response_set_envelope_member(context->response, "upgrade_url",
			json_object_new_string(context->config->find_upgrade_url));
		return -1;
	}
	case FIND_PLAN_INACTIVE:
	default:
		response_error(context->response, STATUS_SUBSCRIPTION_INACTIVE, "Subscription is inactive");
		return -1;
	}
}

static const char *find_gate_feature(enum find_meter meter)
{
	switch (meter) {
	case FIND_METER_CHAT:
		return "chat";
	case FIND_METER_RECOMMENDATIONS:
		return "recommendations";
	default:
		return "search";
	}
}

static json_object *find_gate_usage(const struct find_meter_outcome *outcome, uint32_t allowance)
{
	json_object *remaining = json_object_new_object();
	json_object_object_add(remaining, "perMinute", json_object_new_int64(outcome->remaining_per_minute));
	json_object_object_add(remaining, "perHour", json_object_new_int64(outcome->remaining_per_hour));
	json_object *rate = json_object_new_object();
	json_object_object_add(rate, "remaining", remaining);
	json_object_object_add(rate, "resetTime", json_object_new_int64(outcome->minute_reset_s * 1000));
	json_object *quota = json_object_new_object();
	json_object_object_add(quota, "current", json_object_new_int64((int64_t)outcome->quota_used));
	json_object_object_add(quota, "limit", json_object_new_int64(allowance));
	json_object_object_add(quota, "resetDate", json_object_new_string(outcome->quota_reset_date));
	json_object *usage = json_object_new_object();
	json_object_object_add(usage, "rateLimit", rate);
	json_object_object_add(usage, "quota", quota);
	return usage;
}

static int find_gate_meter(struct request_context *context, const struct route *route, const struct find_plan *plan)
{
	const struct auth_context *auth = &context->request->auth;
	enum find_meter counted = find_gate_terms(route)->meter;
	struct find_meter_request meter = {
		.tenant_id = auth->tenant_id,
		.per_minute = plan->rate_per_minute,
		.per_hour = plan->rate_per_hour,
		.feature = find_gate_feature(counted),
		.counts = counted != FIND_METER_NONE,
		.now_s = context->now_s,
	};
	/* Routes without an allowance of their own report the search one. */
	meter.allowance = find_plan_allowance(plan, counted == FIND_METER_NONE ? FIND_METER_SEARCH : counted);
	/* Keys are limited each on its own; a signed-in user on their own. */
	if (auth->kind == AUTH_JWT)
		snprintf(meter.caller, sizeof(meter.caller), "u%llu", (unsigned long long)auth->user_id);
	else
		snprintf(meter.caller, sizeof(meter.caller), "k%llu", (unsigned long long)auth->api_key_id);
	struct find_meter_outcome outcome;
	int result = find_meter_hit(context->db, &meter, &outcome);
	if (result != DB_OK) {
		respond_db_failure(context, result, "find meter");
		return -1;
	}
	find_request_of(context)->meter_taken = outcome.taken;
	response_set_envelope_member(context->response, "usage", find_gate_usage(&outcome, meter.allowance));
	ratelimit_add_headers(context->response, &outcome.rate, context->now_s);
	if (!outcome.rate.allowed) {
		response_error(context->response, STATUS_RATE_LIMITED, "Too many requests");
		return -1;
	}
	if (outcome.quota_exceeded) {
		response_error(context->response, STATUS_QUOTA_EXCEEDED, "Monthly quota exceeded");
		response_add_detail(context->response, meter.feature, "%u per month on plan %s; resets %s", meter.allowance,
			plan->code, outcome.quota_reset_date);
		return -1;
	}
	if ((random() & 1023) == 0)
		ratelimit_purge(context->db, auth->tenant_id, context->now_s, 2 * 86400);
	return 0;
}

/* A request run again from the start hands back the units it took. */
static void find_gate_withdraw(struct request_context *context)
{
	struct find_request *state = find_request_of(context);
	if (state != NULL)
		find_meter_put_back(&state->meter_taken);
}

static int find_gate_admit(struct request_context *context, const struct route *route)
{
	struct find_request *state = arena_alloc(context->request->arena, sizeof(*state));
	memset(state, 0, sizeof(*state));
	state->plan = NULL;
	state->workspace = "";
	context->gate_state = state;
	if (find_gate_origin_and_workspace(context, state) != 0 || find_gate_plan(context, state) != 0 ||
		find_gate_subscription(context, route, state->plan) != 0)
		return -1;
	response_set_envelope_member(context->response, "tierLimits", find_plan_tier_limits(state->plan));
	return find_gate_meter(context, route, state->plan);
}

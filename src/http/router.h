/* Router: method + path pattern ("/api/v1/things/{id}") to a route entry.
 * Modules declare their routes as tables; the router only matches. */
#ifndef INTUKA_HTTP_ROUTER_H
#define INTUKA_HTTP_ROUTER_H

#include <stddef.h>

#include "core/arena.h"
#include "http/request.h"

struct request_context;
struct input_spec;
struct query_spec;

typedef void (*route_handler)(struct request_context *context);

/* Which credentials a route accepts; ROUTE_PUBLIC needs none. */
enum route_credential {
	ROUTE_PUBLIC = 0,
	ROUTE_CRED_JWT = 1u << 0,
	ROUTE_CRED_SECRET_KEY = 1u << 1,
	ROUTE_CRED_PUBLISHABLE_KEY = 1u << 2,
	/* The installation's operator key (secrets file), alone: a route that
	 * takes it takes nothing else, and no tenant's route takes it. */
	ROUTE_CRED_OPERATOR = 1u << 3,
};

struct route {
	enum http_method method;
	const char *pattern;
	const char *permission; /* "module.action", NULL when none is needed */
	unsigned credentials;   /* bit set of enum route_credential */
	const struct input_spec *input; /* JSON body checked before the handler; NULL = no body expected */
	const struct query_spec *query; /* query parameters checked before the handler; NULL = none accepted */
	route_handler handler;
	const void *data; /* handler-specific, e.g. the resource a generic handler serves */
	const void *gate_data; /* what the table's gate needs of this route (its own type) */
	/* The caller (API key, or JWT session) may come from the worker's
	 * cache (auth/principal_confirm.h), confirmed by the handler's reads or
	 * after it: only for routes that write nothing and stream nothing,
	 * whose answer can be thrown away. */
	int principal_cache;
};

/* How an API surface plugs into the request flow. The pipeline calls admit
 * after authentication and the tenant host check, in place of the platform
 * API's rate limit: the surface's own checks (origins, plans, metering) and
 * the members its envelope carries. admit returns 0 to go on, or -1 with
 * the refusal set in the response. What it keeps for its handlers goes in
 * the context's gate_state. */
struct route_gate {
	const char *name;
	int (*admit)(struct request_context *context, const struct route *route);
	/* Undoes what admit counted, for a request run again from the start
	 * (a cached API key that changed); may be NULL. */
	void (*withdraw)(struct request_context *context);
};

struct route_table {
	const char *module_name;
	const struct route *routes;
	size_t route_count;
	const struct route_gate *gate; /* NULL: the platform API's own steps */
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Match path against every table. On ROUTER_FOUND *route, *table (may be
 * NULL when not wanted) and params are set (values percent-decoded into the
 * arena). On ROUTER_METHOD_NOT_ALLOWED, allow receives the methods the path
 * does accept ("GET, POST"). */
enum router_result router_match(const struct route_table *const *tables, size_t table_count,
	enum http_method method, const char *path, struct arena *arena, const struct route **route,
	const struct route_table **table, struct path_params *params, char *allow, size_t allow_size);

#endif

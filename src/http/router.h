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
};

/* The monthly allowance a route counts against (find API). */
enum route_meter { ROUTE_METER_NONE = 0, ROUTE_METER_SEARCH, ROUTE_METER_CHAT, ROUTE_METER_RECOMMENDATIONS };

struct route {
	enum http_method method;
	const char *pattern;
	const char *permission; /* "module.action", NULL when none is needed */
	unsigned credentials;   /* bit set of enum route_credential */
	const struct input_spec *input; /* JSON body checked before the handler; NULL = no body expected */
	const struct query_spec *query; /* query parameters checked before the handler; NULL = none accepted */
	route_handler handler;
	const void *data; /* handler-specific, e.g. the resource a generic handler serves */
	enum route_meter meter;
	/* Find API: served even when the plan refuses (trial over, subscription
	 * inactive), for the routes that only report the plan's state. */
	int serves_lapsed_plan;
};

struct route_table {
	const char *module_name;
	const struct route *routes;
	size_t route_count;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Match path against every table. On ROUTER_FOUND *route and params are set
 * (values percent-decoded into the arena). On ROUTER_METHOD_NOT_ALLOWED,
 * allow receives the methods the path does accept ("GET, POST"). */
enum router_result router_match(const struct route_table *const *tables, size_t table_count,
	enum http_method method, const char *path, struct arena *arena, const struct route **route,
	struct path_params *params, char *allow, size_t allow_size);

#endif

/* Router: literal and parameter segments, 404 versus 405, Allow lists. */
#include "unit_suites.h"
#include "core/arena.h"
#include "http/router.h"

#include <string.h>

static void handler_stub(struct request_context *context)
{
	(void)context;
}

static const struct route thing_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/things", .handler = handler_stub},
	{.method = HTTP_POST, .pattern = "/api/v1/things", .handler = handler_stub},
	{.method = HTTP_GET, .pattern = "/api/v1/things/{id}", .handler = handler_stub},
	{.method = HTTP_DELETE, .pattern = "/api/v1/things/{id}", .handler = handler_stub},
	{.method = HTTP_POST, .pattern = "/api/v1/things/{id}/parts/{part}", .handler = handler_stub},
	{.method = HTTP_GET, .pattern = "/api/v1/things/ids", .handler = handler_stub},
};
static const struct route_table thing_table = {"things", thing_routes, sizeof(thing_routes) / sizeof(thing_routes[0])};
static const struct route_table *const tables[] = {&thing_table};

struct match {
	enum router_result result;
	const struct route *route;
	struct path_params params;
	char allow[128];
};

static void match(struct arena *arena, enum http_method method, const char *path, struct match *out)
{
	out->result = router_match(tables, 1, method, path, arena, &out->route, NULL, &out->params, out->allow,
		sizeof(out->allow));
}

static void router_matches_literal_paths_by_method(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	match(&arena, HTTP_POST, "/api/v1/things", &m);
	CU_ASSERT_EQUAL(m.result, ROUTER_FOUND);
	CU_ASSERT_PTR_EQUAL(m.route, &thing_routes[1]);
	CU_ASSERT_EQUAL(m.params.count, 0);
	arena_destroy(&arena);
}

static void router_extracts_and_decodes_parameters(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	match(&arena, HTTP_POST, "/api/v1/things/a%20b/parts/7", &m);
	CU_ASSERT_EQUAL_FATAL(m.result, ROUTER_FOUND);
	CU_ASSERT_EQUAL_FATAL(m.params.count, 2);
	CU_ASSERT_STRING_EQUAL(m.params.names[0], "id");
	CU_ASSERT_STRING_EQUAL(m.params.values[0], "a b");
	CU_ASSERT_STRING_EQUAL(m.params.names[1], "part");
	CU_ASSERT_STRING_EQUAL(m.params.values[1], "7");
	arena_destroy(&arena);
}

static void router_prefers_the_first_matching_route(void)
{
	/* "/things/ids" also fits "/things/{id}"; table order decides, so
	 * modules list literal routes before parameter routes. */
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	match(&arena, HTTP_GET, "/api/v1/things/ids", &m);
	CU_ASSERT_EQUAL(m.result, ROUTER_FOUND);
	CU_ASSERT_PTR_EQUAL(m.route, &thing_routes[2]);
	arena_destroy(&arena);
}

static void router_unknown_paths_are_not_found(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	const char *paths[] = {"/", "/api/v1", "/api/v1/", "/api/v1/thing", "/api/v1/things/1/parts",
		"/api/v1/things//", "/api/v1/things/1/extra/deep/path", "/api/v1/things/%zz"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		match(&arena, HTTP_GET, paths[i], &m);
		CU_ASSERT_EQUAL(m.result, ROUTER_NOT_FOUND);
	}
	arena_destroy(&arena);
}

static void router_trailing_slash_is_tolerated(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	match(&arena, HTTP_GET, "/api/v1/things/", &m);
	CU_ASSERT_EQUAL(m.result, ROUTER_FOUND);
	CU_ASSERT_PTR_EQUAL(m.route, &thing_routes[0]);
	arena_destroy(&arena);
}

static void router_wrong_method_is_405_with_allow(void)
{
	struct arena arena;
	arena_init(&arena, 1024);
	struct match m;
	match(&arena, HTTP_PUT, "/api/v1/things/9", &m);
	CU_ASSERT_EQUAL(m.result, ROUTER_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(m.allow, "GET, DELETE");
	match(&arena, HTTP_DELETE, "/api/v1/things", &m);
	CU_ASSERT_EQUAL(m.result, ROUTER_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(m.allow, "GET, POST");
	arena_destroy(&arena);
}

static const struct unit_test router_tests[] = {
	{"router_matches_literal_paths_by_method", router_matches_literal_paths_by_method},
	{"router_extracts_and_decodes_parameters", router_extracts_and_decodes_parameters},
	{"router_prefers_the_first_matching_route", router_prefers_the_first_matching_route},
	{"router_unknown_paths_are_not_found", router_unknown_paths_are_not_found},
	{"router_trailing_slash_is_tolerated", router_trailing_slash_is_tolerated},
	{"router_wrong_method_is_405_with_allow", router_wrong_method_is_405_with_allow},
};

int register_router_suite(void)
{
	return UNIT_SUITE("router", router_tests);
}

/* Declared query parameters: unknown, repeated and malformed parameters are
 * refused with one detail each; objects arrive as JSON or as brackets. */
#include "unit_suites.h"
#include "core/arena.h"
#include "http/query.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>

static const char *const colours[] = {"red", "green", NULL};

static const struct query_field filter_members[] = {
	{.name = "rating", .type = QUERY_ENUM, .enum_values = colours},
	{.name = "count", .type = QUERY_INTEGER, .min_value = 0, .max_value = 9},
	{.name = "open", .type = QUERY_BOOLEAN},
	{.name = "tags", .type = QUERY_LIST, .max_length = 8, .max_value = 3},
};
static const struct query_spec filter_spec = QUERY_SPEC(filter_members);

static const struct query_field fields[] = {
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = 100},
	{.name = "q", .type = QUERY_TEXT, .min_length = 1, .max_length = 5},
	{.name = "flag", .type = QUERY_BOOLEAN},
	{.name = "colour", .type = QUERY_ENUM, .enum_values = colours},
	{.name = "day", .type = QUERY_DATE},
	{.name = "since", .type = QUERY_TIMESTAMP},
	{.name = "tags", .type = QUERY_LIST, .max_length = 4, .max_value = 2},
	{.name = "filters", .type = QUERY_OBJECT, .members = &filter_spec},
};
static const struct query_spec spec = QUERY_SPEC(fields);

/* A parsed request and its validation outcome; released by query_case_end. */
struct query_case {
	struct arena arena;
	struct request request;
	struct response response;
	int result;
};

static int accepts_extra(const void *route_data, const char *name)
{
	return route_data != NULL && strcmp(name, route_data) == 0;
}

static void query_case_run(struct query_case *c, const char *query, const struct query_spec *query_spec,
	const void *route_data)
{
	arena_init(&c->arena, 8192);
	request_init(&c->request, &c->arena);
	response_init(&c->response);
	char uri[2048];
	char method[] = "REQUEST_METHOD=GET";
	snprintf(uri, sizeof(uri), "REQUEST_URI=/api/v1/x?%s", query);
	char *envp[] = {method, uri, NULL};
	struct request_limits limits = {1024, 4096, 4096, 32, 64};
	c->result = request_parse(&c->request, envp, NULL, NULL, &limits, &c->response);
	CU_ASSERT_EQUAL_FATAL(c->result, 0);
	c->result = query_validate(&c->request, query_spec, route_data, &c->response);
}

static void query_case_end(struct query_case *c)
{
	response_reset(&c->response);
	request_reset(&c->request);
	arena_destroy(&c->arena);
}

/* 1 when some detail names field. */
static int query_case_names(const struct query_case *c, const char *field)
{
	size_t count = c->response.details ? json_object_array_length(c->response.details) : 0;
	for (size_t i = 0; i < count; i++) {
		json_object *name = NULL;
		json_object_object_get_ex(json_object_array_get_idx(c->response.details, i), "field", &name);
		if (name != NULL && strcmp(json_object_get_string(name), field) == 0)
			return 1;
	}
	return 0;
}

static size_t query_case_detail_count(const struct query_case *c)
{
	return c->response.details ? json_object_array_length(c->response.details) : 0;
}

static void query_accepts_every_declared_parameter_in_range(void)
{
	struct query_case c;
	query_case_run(&c,
		"limit=100&q=abc&flag=true&colour=green&day=2026-02-28&since=2026-11-23T08:00:00.5%2B01:00&tags=a,bb",
		&spec, NULL);
	CU_ASSERT_EQUAL(c.result, 0);
	CU_ASSERT_EQUAL(query_case_detail_count(&c), 0);
	CU_ASSERT_EQUAL(query_integer(&c.request, "limit", 0), 100);
	CU_ASSERT_EQUAL(query_boolean(&c.request, "flag", 0), 1);
	CU_ASSERT_STRING_EQUAL(query_text(&c.request, "colour"), "green");
	CU_ASSERT_PTR_NULL(query_object(&c.request, "filters"));
	query_case_end(&c);
}

static void query_refuses_unknown_parameters_by_name(void)
{
	struct query_case c;
	query_case_run(&c, "limit=5&company=Navy&bogus=1", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT_EQUAL(c.response.status, STATUS_VALIDATION_ERROR);
	CU_ASSERT_EQUAL(query_case_detail_count(&c), 2);
	CU_ASSERT(query_case_names(&c, "company"));
	CU_ASSERT(query_case_names(&c, "bogus"));
	query_case_end(&c);
}

static void query_without_a_spec_takes_no_parameter(void)
{
	struct query_case c;
	query_case_run(&c, "x=1", NULL, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "x"));
	query_case_end(&c);
	query_case_run(&c, "", NULL, NULL);
	CU_ASSERT_EQUAL(c.result, 0);
	query_case_end(&c);
}

static void query_run_time_names_are_accepted_through_the_spec_callback(void)
{
	static const struct query_spec open_spec = {.fields = fields, .field_count = 1, .accepts = accepts_extra};
	struct query_case c;
	query_case_run(&c, "limit=3&status=won", &open_spec, "status");
	CU_ASSERT_EQUAL(c.result, 0);
	query_case_end(&c);
	query_case_run(&c, "status=won&stage=x", &open_spec, "status");
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "stage"));
	CU_ASSERT_EQUAL(query_case_detail_count(&c), 1);
	query_case_end(&c);
}

static void query_reports_every_malformed_value(void)
{
	struct query_case c;
	query_case_run(&c, "limit=0&q=toolong&flag=yes&colour=blue&day=2026-02-30&since=2026-11-23T08:00:00&tags=a,,b", &spec,
		NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	const char *const named[] = {"limit", "q", "flag", "colour", "day", "since", "tags"};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		CU_ASSERT(query_case_names(&c, named[i]));
	CU_ASSERT_EQUAL(query_case_detail_count(&c), 7);
	query_case_end(&c);
}

static void query_integers_are_strict_decimals(void)
{
	const char *const bad[] = {"limit=1e2", "limit=+5", "limit=%205", "limit=", "limit=0x10", "limit=101",
		"limit=99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct query_case c;
		query_case_run(&c, bad[i], &spec, NULL);
		CU_ASSERT_EQUAL(c.result, -1);
		CU_ASSERT(query_case_names(&c, "limit"));
		query_case_end(&c);
	}
}

static void query_refuses_a_repeated_parameter(void)
{
	struct query_case c;
	query_case_run(&c, "limit=1&limit=2", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "limit"));
	query_case_end(&c);
}

static void query_lists_are_bounded_in_items_and_item_length(void)
{
	struct query_case c;
	query_case_run(&c, "tags=a,b,c", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	query_case_end(&c);
	query_case_run(&c, "tags=abcde", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	query_case_end(&c);
}

static void query_object_from_json_text_is_typed(void)
{
	struct query_case c;
	query_case_run(&c,
		"filters=%7B%22rating%22%3A%22red%22%2C%22count%22%3A3%2C%22open%22%3Atrue%2C%22tags%22%3A%5B%22x%22%2C%22y%22%5D%7D",
		&spec, NULL);
	CU_ASSERT_EQUAL_FATAL(c.result, 0);
	json_object *filters = query_object(&c.request, "filters"), *value = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(filters);
	CU_ASSERT(json_object_object_get_ex(filters, "rating", &value) && strcmp(json_object_get_string(value), "red") == 0);
	CU_ASSERT(json_object_object_get_ex(filters, "count", &value) && json_object_is_type(value, json_type_int) &&
		json_object_get_int(value) == 3);
	CU_ASSERT(json_object_object_get_ex(filters, "open", &value) && json_object_get_boolean(value));
	CU_ASSERT(json_object_object_get_ex(filters, "tags", &value) && json_object_array_length(value) == 2);
	query_case_end(&c);
}

static void query_object_from_brackets_matches_the_json_form(void)
{
	struct query_case c;
	query_case_run(&c, "filters%5Brating%5D=red&filters[count]=3&filters[open]=false&filters[tags]=x,y", &spec, NULL);
	CU_ASSERT_EQUAL_FATAL(c.result, 0);
	json_object *filters = query_object(&c.request, "filters"), *value = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(filters);
	CU_ASSERT(json_object_object_get_ex(filters, "rating", &value) && strcmp(json_object_get_string(value), "red") == 0);
	CU_ASSERT(json_object_object_get_ex(filters, "count", &value) && json_object_get_int(value) == 3);
	CU_ASSERT(json_object_object_get_ex(filters, "open", &value) && !json_object_get_boolean(value));
	CU_ASSERT(json_object_object_get_ex(filters, "tags", &value) && json_object_array_length(value) == 2);
	query_case_end(&c);
}

/* What a client that stringifies an object sends: never taken as no filter. */
static void query_object_refuses_object_object_and_names_the_parameter(void)
{
	struct query_case c;
	query_case_run(&c, "filters=%5Bobject+Object%5D", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "filters"));
	query_case_end(&c);
}

static void query_object_refuses_unknown_members_and_wrong_types(void)
{
	struct query_case c;
	query_case_run(&c, "filters=%7B%22rating%22%3A%22blue%22%2C%22count%22%3A%223%22%2C%22size%22%3A1%7D", &spec,
		NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "filters.rating"));
	CU_ASSERT(query_case_names(&c, "filters.count"));
	CU_ASSERT(query_case_names(&c, "filters.size"));
	query_case_end(&c);
	query_case_run(&c, "filters[size]=1&filters[count]=10", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "filters.size"));
	CU_ASSERT(query_case_names(&c, "filters.count"));
	query_case_end(&c);
}

static void query_object_takes_one_form_and_one_level(void)
{
	const char *const bad[] = {
		"filters=%7B%7D&filters[rating]=red",
		"filters[rating]=red&filters=%7B%7D",
		"filters[rating][x]=red",
		"filters[]=red",
		"filters[rating=red",
		"filters[rating]=red&filters[rating]=green",
		"filters=%7B%22rating%22%3A%22red%22%2C%22rating%22%3A%22green%22%7D",
		"filters=%7B%22rating%22%3A%22red%22%7Dx",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct query_case c;
		query_case_run(&c, bad[i], &spec, NULL);
		CU_ASSERT_EQUAL(c.result, -1);
		if (c.result != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		query_case_end(&c);
	}
}

static void query_brackets_on_a_plain_parameter_are_unknown(void)
{
	struct query_case c;
	query_case_run(&c, "limit[x]=1", &spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "limit[x]"));
	query_case_end(&c);
}

static const struct query_field extra_fields[] = {
	{.name = "amountMin", .type = QUERY_INTEGER, .min_value = -1000, .max_value = 1000},
	{.name = "dueBefore", .type = QUERY_DATE},
};
static const struct query_spec extra_spec = QUERY_SPEC(extra_fields);

static const struct query_spec *extra_of(const void *route_data)
{
	return route_data != NULL ? &extra_spec : NULL;
}

static const struct query_spec spec_with_extra = {.fields = fields, .field_count = sizeof(fields) / sizeof(fields[0]),
	.extra = extra_of};

static void query_route_data_declares_typed_parameters(void)
{
	struct query_case c;
	query_case_run(&c, "limit=5&amountMin=-20&dueBefore=2026-12-31", &spec_with_extra, "invoices");
	CU_ASSERT_EQUAL(c.result, 0);
	CU_ASSERT_EQUAL(query_integer(&c.request, "amountMin", 0), -20);
	query_case_end(&c);

	query_case_run(&c, "amountMin=2000&dueBefore=31.12.2026", &spec_with_extra, "invoices");
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT_EQUAL(query_case_detail_count(&c), 2);
	CU_ASSERT(query_case_names(&c, "amountMin"));
	CU_ASSERT(query_case_names(&c, "dueBefore"));
	query_case_end(&c);

	/* without the route's data, its parameters are unknown */
	query_case_run(&c, "amountMin=5", &spec_with_extra, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	CU_ASSERT(query_case_names(&c, "amountMin"));
	query_case_end(&c);
}

static const char *const field_names[] = {"id", "name", "total", NULL};
static const struct query_field list_fields[] = {
	{.name = "fields", .type = QUERY_LIST, .max_length = 64, .enum_values = field_names},
};
static const struct query_spec list_spec = QUERY_SPEC(list_fields);

static void query_list_names_its_unknown_item(void)
{
	struct query_case c;
	query_case_run(&c, "fields=name,salary,total", &list_spec, NULL);
	CU_ASSERT_EQUAL(c.result, -1);
	json_object *detail = json_object_array_get_idx(c.response.details, 0);
	json_object *issue = NULL;
	CU_ASSERT_FATAL(json_object_object_get_ex(detail, "issue", &issue));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(issue), "unknown item \"salary\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(issue), "id, name or total"));
	query_case_end(&c);
}

int register_query_suite(void)
{
	static const struct unit_test tests[] = {
		{"accepts_every_declared_parameter_in_range", query_accepts_every_declared_parameter_in_range},
		{"refuses_unknown_parameters_by_name", query_refuses_unknown_parameters_by_name},
		{"without_a_spec_takes_no_parameter", query_without_a_spec_takes_no_parameter},
		{"run_time_names_are_accepted_through_the_spec_callback",
			query_run_time_names_are_accepted_through_the_spec_callback},
		{"reports_every_malformed_value", query_reports_every_malformed_value},
		{"integers_are_strict_decimals", query_integers_are_strict_decimals},
		{"refuses_a_repeated_parameter", query_refuses_a_repeated_parameter},
		{"lists_are_bounded_in_items_and_item_length", query_lists_are_bounded_in_items_and_item_length},
		{"object_from_json_text_is_typed", query_object_from_json_text_is_typed},
		{"object_from_brackets_matches_the_json_form", query_object_from_brackets_matches_the_json_form},
		{"object_refuses_object_object_and_names_the_parameter",
			query_object_refuses_object_object_and_names_the_parameter},
		{"object_refuses_unknown_members_and_wrong_types", query_object_refuses_unknown_members_and_wrong_types},
		{"object_takes_one_form_and_one_level", query_object_takes_one_form_and_one_level},
		{"brackets_on_a_plain_parameter_are_unknown", query_brackets_on_a_plain_parameter_are_unknown},
		{"route_data_declares_typed_parameters", query_route_data_declares_typed_parameters},
		{"list_names_its_unknown_item", query_list_names_its_unknown_item},
	};
	return UNIT_SUITE("query", tests);
}

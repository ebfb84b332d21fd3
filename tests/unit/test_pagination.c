/* Pagination maths and list-parameter validation. */
#include "unit_suites.h"
#include "core/arena.h"
#include "http/pagination.h"
#include "http/request.h"
#include "http/response.h"

#include <string.h>

static const struct sort_field lead_sort_fields[] = {
	{"created_at", "created_at"},
	{"name", "name"},
};
static const struct sort_whitelist lead_sorts = {lead_sort_fields, 2, "created_at"};

/* Build a request whose query holds the given pairs. */
static int parse_query(const char *query, struct page_request *page_request, struct response *response)
{
	struct arena arena;
	arena_init(&arena, 4096);
	struct request request;
	request_init(&request, &arena);
	char uri[512];
	char method[] = "REQUEST_METHOD=GET";
	snprintf(uri, sizeof(uri), "REQUEST_URI=/api/v1/x?%s", query);
	char *envp[] = {method, uri, NULL};
	struct request_limits limits = {1024, 1024, 1024, 32, 64};
	int result = request_parse(&request, envp, NULL, NULL, &limits, response);
	if (result == 0)
		result = pagination_parse_or_reply(&request, &lead_sorts, page_request, response);
	request_reset(&request);
	arena_destroy(&arena);
	return result;
}

static void pagination_defaults_are_page_1_limit_20_created_at_desc(void)
{
	struct page_request page_request;
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL_FATAL(parse_query("", &page_request, &response), 0);
	CU_ASSERT_EQUAL(page_request.page, 1);
	CU_ASSERT_EQUAL(page_request.limit, 20);
	CU_ASSERT_STRING_EQUAL(page_request.sort_field->api_name, "created_at");
	CU_ASSERT_EQUAL(page_request.sort_descending, 1);
	response_reset(&response);
}

static void pagination_reads_valid_parameters(void)
{
	struct page_request page_request;
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL_FATAL(parse_query("page=2&limit=25&sortBy=name&sortOrder=asc", &page_request, &response), 0);
	CU_ASSERT_EQUAL(page_request.page, 2);
	CU_ASSERT_EQUAL(page_request.limit, 25);
	CU_ASSERT_STRING_EQUAL(page_request.sort_field->sql_fragment, "name");
	CU_ASSERT_EQUAL(page_request.sort_descending, 0);
	CU_ASSERT_EQUAL(pagination_offset(&page_request), 25);
	response_reset(&response);
}

static void pagination_reports_every_bad_parameter(void)
{
	struct page_request page_request;
	struct response response;
	response_init(&response);
	CU_ASSERT_EQUAL(parse_query("page=0&limit=101&sortBy=password&sortOrder=up", &page_request, &response), -1);
	CU_ASSERT_EQUAL(response.status, STATUS_VALIDATION_ERROR);
	CU_ASSERT_EQUAL(json_object_array_length(response.details), 4);
	response_reset(&response);

	const char *bad[] = {"page=-1", "page=abc", "page=1.5", "limit=0", "limit= 5", "page=99999999999", "sortBy="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		response_init(&response);
		CU_ASSERT_EQUAL(parse_query(bad[i], &page_request, &response), -1);
		CU_ASSERT_EQUAL(response.status, STATUS_VALIDATION_ERROR);
		response_reset(&response);
	}
}

static void pagination_total_pages_rounds_up(void)
{
	CU_ASSERT_EQUAL(pagination_total_pages(0, 20), 0);
	CU_ASSERT_EQUAL(pagination_total_pages(1, 20), 1);
	CU_ASSERT_EQUAL(pagination_total_pages(20, 20), 1);
	CU_ASSERT_EQUAL(pagination_total_pages(21, 20), 2);
	CU_ASSERT_EQUAL(pagination_total_pages(142, 25), 6);
}

static void pagination_block_has_the_four_fields(void)
{
	struct page_request page_request = {.page = 2, .limit = 25};
	json_object *block = pagination_block(&page_request, 142);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(block, JSON_C_TO_STRING_PLAIN),
		"{\"page\":2,\"limit\":25,\"total\":142,\"totalPages\":6}");
	json_object_put(block);
}

static void pagination_offset_of_the_deepest_page_does_not_overflow(void)
{
	struct page_request page_request = {.page = PAGINATION_MAX_PAGE, .limit = PAGINATION_MAX_LIMIT};
	CU_ASSERT_EQUAL(pagination_offset(&page_request), (uint64_t)(PAGINATION_MAX_PAGE - 1) * PAGINATION_MAX_LIMIT);
}

static const struct unit_test pagination_tests[] = {
	{"pagination_defaults_are_page_1_limit_20_created_at_desc", pagination_defaults_are_page_1_limit_20_created_at_desc},
	{"pagination_reads_valid_parameters", pagination_reads_valid_parameters},
	{"pagination_reports_every_bad_parameter", pagination_reports_every_bad_parameter},
	{"pagination_total_pages_rounds_up", pagination_total_pages_rounds_up},
	{"pagination_block_has_the_four_fields", pagination_block_has_the_four_fields},
	{"pagination_offset_of_the_deepest_page_does_not_overflow", pagination_offset_of_the_deepest_page_does_not_overflow},
};

int register_pagination_suite(void)
{
	return UNIT_SUITE("pagination", pagination_tests);
}

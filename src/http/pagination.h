/* List parameters (page, limit, sortBy, sortOrder) and the pagination block.
 * sortBy maps through a per-resource whitelist to a fixed SQL fragment, so no
 * client text ever reaches an ORDER BY. */
#ifndef INTUKA_HTTP_PAGINATION_H
#define INTUKA_HTTP_PAGINATION_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/query.h"

struct request;
struct response;

#define PAGINATION_DEFAULT_LIMIT 20
#define PAGINATION_MAX_LIMIT 100
/* Deep enough for any real client, small enough that page*limit cannot overflow. */
#define PAGINATION_MAX_PAGE 1000000

/* The query parameters of every paginated list, for a route's query spec;
 * their values are checked again, against the sort whitelist, by
 * pagination_parse_or_reply. */
#define PAGINATION_QUERY_FIELDS                                                                             \
	{.name = "page", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_PAGE},              \
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = PAGINATION_MAX_LIMIT},            \
	{.name = "sortBy", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},                              \
	{.name = "sortOrder", .type = QUERY_ENUM, .enum_values = pagination_sort_orders}

extern const char *const pagination_sort_orders[];

struct sort_field {
	const char *api_name;     /* what clients send in sortBy */
	const char *sql_fragment; /* fixed column expression */
};

struct sort_whitelist {
	const struct sort_field *fields;
	unsigned field_count;
	const char *default_api_name; /* usually "created_at" */
};

struct page_request {
	uint32_t page;
	uint32_t limit;
	const struct sort_field *sort_field;
	int sort_descending;
};

/* Parse from the query; on a bad value sets VALIDATION_ERROR with one detail
 * per offending parameter and returns -1. whitelist may be NULL (no sorting). */
int pagination_parse_or_reply(const struct request *request, const struct sort_whitelist *whitelist,
	struct page_request *page_request, struct response *response);
uint64_t pagination_offset(const struct page_request *page_request);
uint64_t pagination_total_pages(uint64_t total_items, uint32_t limit);
json_object *pagination_block(const struct page_request *page_request, uint64_t total_items);

#endif

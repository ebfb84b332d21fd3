/* Pagination maths and list-parameter validation. */
#include "http/pagination.h"
#include "http/request.h"
#include "http/response.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const pagination_sort_orders[] = {"asc", "desc", NULL};

/* Strict decimal: digits only, no sign, no spaces, within [min, max]. */
static int pagination_parse_number(const char *text, uint32_t min_value, uint32_t max_value, uint32_t *out)
{
	if (text == NULL || *text == '\0' || strlen(text) > 10)
		return -1;
	for (const char *p = text; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	unsigned long value = strtoul(text, NULL, 10);
	if (errno != 0 || value < min_value || value > max_value)
		return -1;
	*out = (uint32_t)value;
	return 0;
}

int pagination_parse_or_reply(const struct request *request, const struct sort_whitelist *whitelist,
	struct page_request *page_request, struct response *response)
{
	int failures = 0;
	page_request->page = 1;
	page_request->limit = PAGINATION_DEFAULT_LIMIT;
	page_request->sort_field = NULL;
	page_request->sort_descending = 1;

	const char *page_text = request_query(request, "page");
	const char *limit_text = request_query(request, "limit");
	const char *sort_by_text = request_query(request, "sortBy");
	const char *sort_order_text = request_query(request, "sortOrder");

	/* Collect every problem before answering, so a client fixes them at once. */
	if (page_text != NULL && pagination_parse_number(page_text, 1, PAGINATION_MAX_PAGE, &page_request->page) != 0) {
		if (failures++ == 0)
			response_error(response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		response_add_detail(response, "page", "must be an integer from 1 to %d", PAGINATION_MAX_PAGE);
	}
	if (limit_text != NULL &&
		pagination_parse_number(limit_text, 1, PAGINATION_MAX_LIMIT, &page_request->limit) != 0) {
		if (failures++ == 0)
			response_error(response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		response_add_detail(response, "limit", "must be an integer from 1 to %d", PAGINATION_MAX_LIMIT);
	}
	if (sort_order_text != NULL) {
		if (strcmp(sort_order_text, "asc") == 0)
			page_request->sort_descending = 0;
		else if (strcmp(sort_order_text, "desc") == 0)
			page_request->sort_descending = 1;
		else {
			if (failures++ == 0)
				response_error(response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
			response_add_detail(response, "sortOrder", "must be asc or desc");
		}
	}
	if (whitelist != NULL) {
		const char *wanted = sort_by_text ? sort_by_text : whitelist->default_api_name;
		for (unsigned i = 0; i < whitelist->field_count; i++)
			if (strcmp(whitelist->fields[i].api_name, wanted) == 0)
				page_request->sort_field = &whitelist->fields[i];
		if (page_request->sort_field == NULL) {
			if (failures++ == 0)
				response_error(response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
			response_add_detail(response, "sortBy", "is not a sortable field");
		}
	} else if (sort_by_text != NULL) {
		if (failures++ == 0)
			response_error(response, STATUS_VALIDATION_ERROR, "Invalid list parameters");
		response_add_detail(response, "sortBy", "this list cannot be sorted");
	}
	return failures ? -1 : 0;
}

uint64_t pagination_offset(const struct page_request *page_request)
{
	return (uint64_t)(page_request->page - 1) * page_request->limit;
}

uint64_t pagination_total_pages(uint64_t total_items, uint32_t limit)
{
	if (limit == 0)
		return 0;
	return total_items / limit + (total_items % limit != 0);
}

json_object *pagination_block(const struct page_request *page_request, uint64_t total_items)
{
	json_object *block = json_object_new_object();
	json_object_object_add(block, "page", json_object_new_int64(page_request->page));
	json_object_object_add(block, "limit", json_object_new_int64(page_request->limit));
	json_object_object_add(block, "total", json_object_new_int64((int64_t)total_items));
	json_object_object_add(block, "totalPages",
		json_object_new_int64((int64_t)pagination_total_pages(total_items, page_request->limit)));
	return block;
}

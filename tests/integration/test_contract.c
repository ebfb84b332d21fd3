/*
 * The HTTP contract as a table: one row per behaviour, each row a CUnit test.
 * Every response is also held to the common invariants (JSON content type,
 * X-Request-Id, JSON body, envelope shape) by check_common_response().
 * Negative cases outnumber positive ones on purpose: the limits are the contract.
 * Rows with a credential run as a Tenant Admin (JWT) or with a secret find
 * key of one tenant made for the suite, so a refused body is shown refused
 * where an authorised client would otherwise reach the handler.
 * Sizes assume the default limits of the contract's configuration
 * (max_body_bytes 1 MiB, max_path_bytes 2048, max_header_bytes 16384,
 * max_json_depth 32, max_query_params 64).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "http_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "response_checks.h"
#include "suites.h"
#include "test_environment.h"

enum {
	MAX_BODY_BYTES = 1048576,
	OVERSIZED_PATH_BYTES = 3000,
	LARGE_HEADER_COUNT = 3,
	/* 18 KB in all: over intukad's 16 KiB, under lighttpd's 20 KiB for the
	 * request line and headers together (past which lighttpd answers). */
	LARGE_HEADER_VALUE_BYTES = 6000,
	MAX_JSON_DEPTH = 32,
	MAX_QUERY_PARAMS = 64,
};

/* Inputs too large or too regular to write as literals; owned by the runner. */
struct generated_request {
	char *path_and_query;
	char *body;
	size_t body_length;
	char *header_lines[LARGE_HEADER_COUNT];
};

/* Who sends the request; the fixture behind the last two is made on first use. */
enum contract_credential {
	CONTRACT_ANONYMOUS,      /* no Authorization header */
	CONTRACT_TENANT_ADMIN,   /* the access token of a Tenant Admin */
	CONTRACT_FIND_SECRET,    /* a secret find key of that tenant, with X-Workspace-ID */
};

typedef bool (*request_generator)(struct generated_request *generated);
typedef void (*response_data_check)(const char *request_label, const struct http_response *response,
									json_object *root);

struct contract_case {
	const char *name;                   /* the behaviour proven; also the CUnit test name */
	const char *method;
	const char *path_and_query;         /* NULL when generate supplies it */
	const char *content_type;           /* NULL: no Content-Type header */
	const char *body;                   /* NUL-terminated literal body, or NULL */
	request_generator generate;         /* fills what the literals above leave NULL */
	const char *request_id;             /* X-Request-Id to send, or NULL */
	bool request_id_echoed;             /* the sent id is valid and must come back */
	enum contract_credential credential;
	long expected_status;
	const char *expected_error_code;    /* NULL: success envelope */
	const char *expected_body_issue;    /* error.details must hold {"field":"body","issue":this}, or NULL */
	response_data_check check_data;     /* case-specific assertions, or NULL */
};

/* ---- generators ---------------------------------------------------------- */

/* A JSON string of exactly total_length bytes: valid JSON of a chosen size. */
static char *json_string_of_length(size_t total_length)
{
	char *body = malloc(total_length + 1);

	if (body == NULL)
		return NULL;
	body[0] = '"';
	memset(body + 1, 'a', total_length - 2);
	body[total_length - 1] = '"';
	body[total_length] = '\0';
	return body;
}

static bool generate_body_one_byte_over_limit(struct generated_request *generated)
{
	generated->body_length = MAX_BODY_BYTES + 1;
	generated->body = json_string_of_length(generated->body_length);
	return generated->body != NULL;
}

static bool generate_body_exactly_at_limit(struct generated_request *generated)
{
	generated->body_length = MAX_BODY_BYTES;
	generated->body = json_string_of_length(generated->body_length);
	return generated->body != NULL;
}

static bool generate_nested_arrays(struct generated_request *generated, size_t depth)
{
	generated->body_length = 2 * depth;
	generated->body = malloc(generated->body_length + 1);
	if (generated->body == NULL)
		return false;
	memset(generated->body, '[', depth);
	memset(generated->body + depth, ']', depth);
	generated->body[generated->body_length] = '\0';
	return true;
}

static bool generate_nesting_one_over_limit(struct generated_request *generated)
{
	return generate_nested_arrays(generated, MAX_JSON_DEPTH + 1);
}

static bool generate_nesting_at_limit(struct generated_request *generated)
{
	return generate_nested_arrays(generated, MAX_JSON_DEPTH);
}

static bool generate_oversized_path(struct generated_request *generated)
{
	static const char prefix[] = "/api/v1/";

	generated->path_and_query = malloc(OVERSIZED_PATH_BYTES + 1);
	if (generated->path_and_query == NULL)
		return false;
	memcpy(generated->path_and_query, prefix, sizeof prefix - 1);
	memset(generated->path_and_query + sizeof prefix - 1, 'a', OVERSIZED_PATH_BYTES - (sizeof prefix - 1));
	generated->path_and_query[OVERSIZED_PATH_BYTES] = '\0';
	return true;
}

/* Apache refuses any single header over 8190 bytes by itself, so the excess
 * is spread over three headers that each pass the web server (and together
 * stay under lighttpd's 20 KiB). */
static bool generate_large_headers(struct generated_request *generated)
{
	for (size_t i = 0; i < LARGE_HEADER_COUNT; i++) {
		char *line;
		int prefix_length;

		line = malloc(64 + LARGE_HEADER_VALUE_BYTES + 1);
		if (line == NULL)
			return false;
		generated->header_lines[i] = line;
		prefix_length = snprintf(line, 64, "X-Itest-Padding-%zu: ", i + 1);
		memset(line + prefix_length, 'h', LARGE_HEADER_VALUE_BYTES);
		line[prefix_length + LARGE_HEADER_VALUE_BYTES] = '\0';
	}
	return true;
}

static bool generate_query_with_parameters(struct generated_request *generated, size_t parameter_count)
{
	size_t capacity = 32 + parameter_count * 16, used;

	generated->path_and_query = malloc(capacity);
	if (generated->path_and_query == NULL)
		return false;
	used = (size_t)snprintf(generated->path_and_query, capacity, "/api/v1/health");
	for (size_t i = 1; i <= parameter_count; i++) {
		used += (size_t)snprintf(generated->path_and_query + used, capacity - used, "%cp%zu=%zu",
								 i == 1 ? '?' : '&', i, i);
	}
	return used < capacity;
}

static bool generate_query_at_parameter_limit(struct generated_request *generated)
{
	return generate_query_with_parameters(generated, MAX_QUERY_PARAMS);
}

static bool generate_query_over_parameter_limit(struct generated_request *generated)
{
	return generate_query_with_parameters(generated, MAX_QUERY_PARAMS + 1);
}

static void generated_request_free(struct generated_request *generated)
{
	free(generated->path_and_query);
	free(generated->body);
	for (size_t i = 0; i < LARGE_HEADER_COUNT; i++)
		free(generated->header_lines[i]);
	memset(generated, 0, sizeof *generated);
}

/* ---- case-specific checks ------------------------------------------------ */

static void check_string_equals(const char *label, json_object *root, const char *path, const char *expected)
{
	const char *actual = json_path_string(root, path);

	ITEST_CHECK(actual != NULL && strcmp(actual, expected) == 0, "%s: %s should be \"%s\", got %s%s%s", label,
				path, expected, actual != NULL ? "\"" : "", actual != NULL ? actual : "(missing or not a string)",
				actual != NULL ? "\"" : "");
}

static void check_health_data(const char *label, const struct http_response *response, json_object *root)
{
	int64_t schema_version = 0, worker_pid = 0, requests_served = -1;

	(void)response;
	check_string_equals(label, root, "data.status", "ok");
	check_string_equals(label, root, "data.database.status", "ok");
	ITEST_CHECK(json_path_int64(root, "data.database.schemaVersion", &schema_version) && schema_version >= 1,
				"%s: data.database.schemaVersion should be an integer >= 1, got %lld", label,
				(long long)schema_version);
	ITEST_CHECK(json_path_int64(root, "data.worker.pid", &worker_pid) && worker_pid > 0,
				"%s: data.worker.pid should be an integer > 0, got %lld", label, (long long)worker_pid);
	ITEST_CHECK(json_path_int64(root, "data.worker.requestsServed", &requests_served) && requests_served >= 0,
				"%s: data.worker.requestsServed should be an integer >= 0, got %lld", label,
				(long long)requests_served);
}

/* "x.y.z" with decimal components and nothing else. */
static bool version_is_semantic(const char *version)
{
	int component_count = 0;
	const char *cursor = version;

	if (version == NULL)
		return false;
	for (;;) {
		if (*cursor < '0' || *cursor > '9')
			return false;
		while (*cursor >= '0' && *cursor <= '9')
			cursor++;
		component_count++;
		if (*cursor == '\0')
			return component_count == 3;
		if (*cursor != '.')
			return false;
		cursor++;
	}
}

static void check_version_data(const char *label, const struct http_response *response, json_object *root)
{
	const char *version = json_path_string(root, "data.version");

	(void)response;
	check_string_equals(label, root, "data.name", "intuka");
	check_string_equals(label, root, "data.apiVersion", "v1");
	ITEST_CHECK(version_is_semantic(version), "%s: data.version should be x.y.z, got %s", label,
				version != NULL ? version : "(missing)");
}

static void check_allow_includes_get(const char *label, const struct http_response *response, json_object *root)
{
	const char *allow = http_response_header(response, "Allow");
	bool lists_get = false;

	(void)root;
	if (!ITEST_CHECK(allow != NULL, "%s: a 405 must carry an Allow header", label))
		return;
	/* Allow is a comma-separated list of tokens: "GET" inside "TARGET" is not GET. */
	for (const char *cursor = allow; *cursor != '\0';) {
		size_t token_length;

		cursor += strspn(cursor, ", \t");
		token_length = strcspn(cursor, ", \t");
		if (token_length == 3 && strncmp(cursor, "GET", 3) == 0)
			lists_get = true;
		cursor += token_length;
	}
	ITEST_CHECK(lists_get, "%s: Allow should list GET, got \"%s\"", label, allow);
}

static void check_body_issue(const char *label, json_object *root, const char *expected_issue)
{
	json_object *details = json_path_get(root, "error.details");
	bool found = false;

	for (size_t i = 0; details != NULL && json_object_is_type(details, json_type_array)
					   && i < json_object_array_length(details); i++) {
		json_object *detail = json_object_array_get_idx(details, i);
		const char *field = json_path_string(detail, "field");
		const char *issue = json_path_string(detail, "issue");

		if (field != NULL && issue != NULL && strcmp(field, "body") == 0 && strcmp(issue, expected_issue) == 0)
			found = true;
	}
	ITEST_CHECK(found, "%s: error.details should hold {\"field\":\"body\",\"issue\":\"%s\"}, got %s", label,
				expected_issue, details != NULL ? json_object_to_json_string(details) : "(missing)");
}

/* ---- credentials ---------------------------------------------------------- */

#define CONTRACT_WORKSPACE "contract"

static struct {
	bool attempted;
	bool ready;
	char slug[64];
	char access_token[4097];
	char secret_key[128];
} contract_fixture;

/* One tenant for every row that needs a credential, made by the first of them. */
static bool contract_fixture_ready(void)
{
	if (!contract_fixture.attempted) {
		contract_fixture.attempted = true;
		contract_fixture.ready =
			find_make_tenant_admin("ctr", "Contract", "contract-password-1", contract_fixture.slug,
								   sizeof contract_fixture.slug, contract_fixture.access_token)
			&& find_create_key(contract_fixture.access_token, "{\"label\":\"contract\",\"keyType\":\"secret\"}",
							   contract_fixture.secret_key, sizeof contract_fixture.secret_key, NULL, 0) == 201;
	}
	return contract_fixture.ready;
}

/* The field of error.details[index], or "" when there is none. */
static const char *detail_field(json_object *root, size_t index)
{
	json_object *details = json_path_get(root, "error.details");
	json_object *detail = details != NULL && json_object_is_type(details, json_type_array)
							  && index < json_object_array_length(details)
							  ? json_object_array_get_idx(details, index) : NULL;
	const char *field = detail != NULL ? json_path_string(detail, "field") : NULL;
	return field != NULL ? field : "";
}

/* 64 parameters pass the parser's limit; the route then names each unknown one. */
static void check_every_unknown_parameter_named(const char *label, const struct http_response *response,
												json_object *root)
{
	json_object *details = json_path_get(root, "error.details");
	size_t count = details != NULL && json_object_is_type(details, json_type_array)
					   ? json_object_array_length(details) : 0;

	(void)response;
	ITEST_CHECK(count == MAX_QUERY_PARAMS, "%s: expected %d details, got %zu", label, MAX_QUERY_PARAMS, count);
	ITEST_CHECK(strcmp(detail_field(root, 0), "p1") == 0 && strcmp(detail_field(root, count ? count - 1 : 0), "p64") == 0,
				"%s: details should name p1 .. p64, got %s .. %s", label, detail_field(root, 0),
				detail_field(root, count ? count - 1 : 0));
}

/* Over the limit the parser refuses before any name is looked at. */
static void check_query_limit_named(const char *label, const struct http_response *response, json_object *root)
{
	(void)response;
	ITEST_CHECK(strcmp(detail_field(root, 0), "query") == 0, "%s: the detail should name \"query\", got \"%s\"",
				label, detail_field(root, 0));
}

static void check_bogus_named(const char *label, const struct http_response *response, json_object *root)
{
	(void)response;
	ITEST_CHECK(strcmp(detail_field(root, 0), "bogus") == 0, "%s: the detail should name \"bogus\", got \"%s\"",
				label, detail_field(root, 0));
}

/* ---- the table ----------------------------------------------------------- */

#define JSON "application/json"
/* 64 characters drawn from the whole allowed alphabet [A-Za-z0-9._-]. */
#define REQUEST_ID_64 "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._"

static const struct contract_case contract_cases[] = {
	/* Routes that exist. */
	{ .name = "health_is_200_with_ok_database_schema_version_and_worker_pid",
	  .method = "GET", .path_and_query = "/api/v1/health",
	  .expected_status = 200, .check_data = check_health_data },
	{ .name = "version_is_200_with_name_intuka_and_api_version_v1",
	  .method = "GET", .path_and_query = "/api/v1/version",
	  .expected_status = 200, .check_data = check_version_data },

	/* Routing refusals. */
	{ .name = "unknown_path_is_404_with_error_envelope",
	  .method = "GET", .path_and_query = "/api/v1/no-such-resource",
	  .expected_status = 404, .expected_error_code = "NOT_FOUND" },
	{ .name = "api_root_is_404_with_error_envelope",
	  .method = "GET", .path_and_query = "/api/v1/",
	  .expected_status = 404, .expected_error_code = "NOT_FOUND" },
	{ .name = "path_below_a_known_route_is_404",
	  .method = "GET", .path_and_query = "/api/v1/health/extra",
	  .expected_status = 404, .expected_error_code = "NOT_FOUND" },
	{ .name = "delete_on_health_is_405_with_allow_header_listing_get",
	  .method = "DELETE", .path_and_query = "/api/v1/health",
	  .expected_status = 405, .expected_error_code = "METHOD_NOT_ALLOWED",
	  .check_data = check_allow_includes_get },
	{ .name = "post_without_body_to_health_is_405_not_415",
	  .method = "POST", .path_and_query = "/api/v1/health",
	  .expected_status = 405, .expected_error_code = "METHOD_NOT_ALLOWED",
	  .check_data = check_allow_includes_get },

	/* Body size: checked before routing, so POST to a GET-only route shows it. */
	{ .name = "body_one_byte_over_1mib_is_413",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .generate = generate_body_one_byte_over_limit,
	  .expected_status = 413, .expected_error_code = "PAYLOAD_TOO_LARGE" },
	{ .name = "body_of_exactly_1mib_passes_size_check_and_reaches_router_405",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .generate = generate_body_exactly_at_limit,
	  .expected_status = 405, .expected_error_code = "METHOD_NOT_ALLOWED" },

	/* Media type. */
	{ .name = "text_plain_body_is_415",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = "text/plain",
	  .body = "hello",
	  .expected_status = 415, .expected_error_code = "UNSUPPORTED_MEDIA_TYPE" },
	{ .name = "body_without_content_type_is_415",
	  .method = "POST", .path_and_query = "/api/v1/health", .body = "{}",
	  .expected_status = 415, .expected_error_code = "UNSUPPORTED_MEDIA_TYPE" },
	{ .name = "json_content_type_with_charset_parameter_is_accepted_and_reaches_router_405",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = "application/json; charset=utf-8",
	  .body = "{}",
	  .expected_status = 405, .expected_error_code = "METHOD_NOT_ALLOWED" },

	/* JSON syntax and depth. */
	{ .name = "truncated_json_body_is_400_with_details",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON, .body = "{\"a\":",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 5: unexpected end of input (expected a value)" },
	{ .name = "json_with_trailing_garbage_is_400_with_details",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON, .body = "{} x",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 3: unexpected data after the JSON value" },
	{ .name = "json_nested_33_deep_is_400_with_details",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .generate = generate_nesting_one_over_limit,
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 32: nesting deeper than 32 levels" },
	{ .name = "json_nested_32_deep_passes_validation_and_reaches_router_405",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .generate = generate_nesting_at_limit,
	  .expected_status = 405, .expected_error_code = "METHOD_NOT_ALLOWED" },
	/* Stored text is a C string: an escaped NUL would cut it short. */
	{ .name = "escaped_nul_in_json_string_is_400_naming_its_byte",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .body = "{\"a\":\"x\\u0000y\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 7: \\u0000 is not accepted (text is stored as C strings)" },
	{ .name = "raw_invalid_utf8_byte_in_json_string_is_400_with_details",
	  .method = "POST", .path_and_query = "/api/v1/health", .content_type = JSON,
	  .body = "{\"a\":\"x\xffy\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 7: invalid UTF-8 byte" },

	/* Strict JSON on a platform route, sent by an authorised Tenant Admin:
	 * each body is refused before the handler (or MariaDB) sees it. The
	 * lead bodies start {"lastName":"a, so byte 14 follows the "a". */
	{ .name = "lead_with_valid_unicode_edges_is_created",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN,
	  .body = "{\"lastName\":\"a\\u00e9\\ud83d\\ude00\xf4\x8f\xbf\xbf\",\"company\":\"\xe2\x82\xac\"}",
	  .expected_status = 201 },
	{ .name = "lead_with_duplicate_last_name_is_400_naming_the_repeat",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\",\"lastName\":\"b\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 16: duplicate member \"lastName\"" },
	{ .name = "lead_with_raw_tab_in_a_string_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\tb\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: raw control character U+0009 in a string (escape it)" },
	{ .name = "lead_with_raw_0x01_in_a_string_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\x01\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: raw control character U+0001 in a string (escape it)" },
	{ .name = "lead_with_raw_line_feed_in_a_string_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\nb\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: raw control character U+000A in a string (escape it)" },
	{ .name = "lead_with_lone_high_surrogate_escape_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\\ud800\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: unpaired surrogate \\uD800" },
	{ .name = "lead_with_lone_low_surrogate_escape_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\\udc00b\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: unpaired surrogate \\uDC00" },
	{ .name = "lead_with_cesu8_surrogate_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\xed\xa0\x80\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: UTF-8 encoded surrogate" },
	{ .name = "lead_with_escaped_nul_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\\u0000b\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: \\u0000 is not accepted (text is stored as C strings)" },
	{ .name = "lead_with_overlong_c0_af_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\xc0\xaf\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: overlong UTF-8" },
	{ .name = "lead_with_code_point_above_u10ffff_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\xf4\x90\x80\x80\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 14: invalid UTF-8 (beyond U+10FFFF)" },
	{ .name = "lead_with_integer_beyond_int64_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"lastName\":\"a\",\"x\":99999999999999999999}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 20: integer outside the signed 64-bit range" },
	{ .name = "lead_with_single_quotes_is_400",
	  .method = "POST", .path_and_query = "/api/v1/sales/leads", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{'lastName':'a'}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 1: single quotes are not JSON" },
	{ .name = "opportunity_with_overlong_c0_af_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/sales/opportunities", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"name\":\"\xc0\xaf\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 9: overlong UTF-8" },
	{ .name = "expense_with_code_point_above_u10ffff_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/finance/expenses", .content_type = JSON,
	  .credential = CONTRACT_TENANT_ADMIN, .body = "{\"description\":\"\xf4\x90\x80\x80\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 16: invalid UTF-8 (beyond U+10FFFF)" },

	/* The same on the find API with a secret key. The product bodies start
	 * {"id":"p-1","name":"a, so byte 21 follows the "a". */
	{ .name = "find_product_with_valid_unicode_edges_is_indexed",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET,
	  .body = "{\"id\":\"p-1\",\"name\":\"a\\ud83d\\ude00\xf4\x8f\xbf\xbf\"}",
	  .expected_status = 200 },
	{ .name = "find_product_with_duplicate_name_is_400_naming_the_repeat",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\",\"name\":\"b\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 23: duplicate member \"name\"" },
	{ .name = "find_product_with_overlong_c0_af_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\xc0\xaf\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 21: overlong UTF-8" },
	{ .name = "find_product_with_code_point_above_u10ffff_is_400_not_500",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\xf4\x90\x80\x80\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 21: invalid UTF-8 (beyond U+10FFFF)" },
	{ .name = "find_product_with_cesu8_surrogate_is_400",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\xed\xa0\x80\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 21: UTF-8 encoded surrogate" },
	{ .name = "find_product_with_raw_tab_is_400",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\t\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 21: raw control character U+0009 in a string (escape it)" },
	{ .name = "find_product_with_lone_surrogate_escape_is_400",
	  .method = "POST", .path_and_query = "/api/v1/find/products", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"id\":\"p-1\",\"name\":\"a\\ud800\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 21: unpaired surrogate \\uD800" },
	{ .name = "find_search_text_with_escaped_nul_is_400_not_cut",
	  .method = "POST", .path_and_query = "/api/v1/find/products/search", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"text\":\"a\\u0000b\"}",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .expected_body_issue = "byte 10: \\u0000 is not accepted (text is stored as C strings)" },
	{ .name = "find_search_with_valid_text_answers_200",
	  .method = "POST", .path_and_query = "/api/v1/find/products/search", .content_type = JSON,
	  .credential = CONTRACT_FIND_SECRET, .body = "{\"text\":\"a\"}",
	  .expected_status = 200 },

	/* Path, headers, query. */
	{ .name = "path_of_3000_chars_is_414",
	  .method = "GET", .generate = generate_oversized_path,
	  .expected_status = 414, .expected_error_code = "URI_TOO_LONG" },
	{ .name = "three_headers_of_6000_bytes_are_431",
	  .method = "GET", .path_and_query = "/api/v1/health", .generate = generate_large_headers,
	  .expected_status = 431, .expected_error_code = "HEADERS_TOO_LARGE" },
	{ .name = "query_with_64_parameters_passes_the_limit_and_each_unknown_one_is_named",
	  .method = "GET", .generate = generate_query_at_parameter_limit,
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR",
	  .check_data = check_every_unknown_parameter_named },
	{ .name = "query_with_65_parameters_is_400",
	  .method = "GET", .generate = generate_query_over_parameter_limit,
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR", .check_data = check_query_limit_named },
	{ .name = "unknown_query_parameter_is_400_naming_it",
	  .method = "GET", .path_and_query = "/api/v1/health?bogus=1",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR", .check_data = check_bogus_named },
	{ .name = "bad_percent_escape_in_query_is_400",
	  .method = "GET", .path_and_query = "/api/v1/health?a=%zz",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR" },
	{ .name = "truncated_percent_escape_in_query_is_400",
	  .method = "GET", .path_and_query = "/api/v1/health?a=%4",
	  .expected_status = 400, .expected_error_code = "VALIDATION_ERROR" },

	/* X-Request-Id. */
	{ .name = "valid_request_id_is_echoed",
	  .method = "GET", .path_and_query = "/api/v1/version", .request_id = "abc-123", .request_id_echoed = true,
	  .expected_status = 200, .check_data = check_version_data },
	{ .name = "request_id_of_64_allowed_chars_is_echoed",
	  .method = "GET", .path_and_query = "/api/v1/version", .request_id = REQUEST_ID_64,
	  .request_id_echoed = true,
	  .expected_status = 200, .check_data = check_version_data },
	{ .name = "request_id_of_65_chars_is_replaced_by_generated_id",
	  .method = "GET", .path_and_query = "/api/v1/version", .request_id = REQUEST_ID_64 "-",
	  .expected_status = 200, .check_data = check_version_data },
	{ .name = "request_id_with_markup_is_replaced_by_generated_id",
	  .method = "GET", .path_and_query = "/api/v1/version", .request_id = "<script>",
	  .expected_status = 200, .check_data = check_version_data },
	{ .name = "error_response_echoes_valid_request_id",
	  .method = "GET", .path_and_query = "/api/v1/no-such-resource", .request_id = "err.case_42",
	  .request_id_echoed = true,
	  .expected_status = 404, .expected_error_code = "NOT_FOUND" },
};

#undef JSON

enum { CONTRACT_CASE_COUNT = sizeof contract_cases / sizeof contract_cases[0] };

static void contract_case_run(size_t case_index)
{
	const struct contract_case *contract_case = &contract_cases[case_index];
	struct generated_request generated = { 0 };
	const char *header_pointers[LARGE_HEADER_COUNT + 4] = { 0 };
	size_t header_count = 0;
	char request_id_line[128], request_label[160], error_text[512], authorization_line[4200];
	struct http_request request = {
		.method = contract_case->method,
		.path_and_query = contract_case->path_and_query,
		.content_type = contract_case->content_type,
		.body = contract_case->body,
		.body_length = contract_case->body != NULL ? strlen(contract_case->body) : 0,
	};
	struct http_response response;
	struct expected_response expected = {
		.status = contract_case->expected_status,
		.error_code = contract_case->expected_error_code,
		.sent_request_id = contract_case->request_id,
		.request_id_echoed = contract_case->request_id_echoed,
	};
	json_object *root;

	if (contract_case->generate != NULL
		&& !ITEST_CHECK(contract_case->generate(&generated), "%s: out of memory generating the request",
						contract_case->name)) {
		generated_request_free(&generated);
		return;
	}
	if (generated.path_and_query != NULL)
		request.path_and_query = generated.path_and_query;
	if (generated.body != NULL) {
		request.body = generated.body;
		request.body_length = generated.body_length;
	}
	if (contract_case->credential != CONTRACT_ANONYMOUS) {
		if (!ITEST_CHECK(contract_fixture_ready(), "%s: could not make the contract tenant and its secret key",
						 contract_case->name)) {
			generated_request_free(&generated);
			return;
		}
		snprintf(authorization_line, sizeof authorization_line, "Authorization: Bearer %s",
				 contract_case->credential == CONTRACT_TENANT_ADMIN ? contract_fixture.access_token
																	 : contract_fixture.secret_key);
		header_pointers[header_count++] = authorization_line;
		if (contract_case->credential == CONTRACT_FIND_SECRET)
			header_pointers[header_count++] = "X-Workspace-ID: " CONTRACT_WORKSPACE;
	}
	if (contract_case->request_id != NULL) {
		snprintf(request_id_line, sizeof request_id_line, "X-Request-Id: %s", contract_case->request_id);
		header_pointers[header_count++] = request_id_line;
	}
	for (size_t i = 0; i < LARGE_HEADER_COUNT; i++) {
		if (generated.header_lines[i] != NULL)
			header_pointers[header_count++] = generated.header_lines[i];
	}
	request.extra_headers = header_pointers;
	/* Long paths are cut in messages: the length is what matters, not the bytes. */
	snprintf(request_label, sizeof request_label, "%s %.80s%s (body %zu bytes)", request.method,
			 request.path_and_query, strlen(request.path_and_query) > 80 ? "..." : "", request.body_length);

	if (ITEST_CHECK(http_client_send(&request, &response, error_text, sizeof error_text), "%s: %s",
					contract_case->name, error_text)) {
		root = check_common_response(request_label, &response, &expected);
		if (root != NULL && contract_case->expected_body_issue != NULL)
			check_body_issue(request_label, root, contract_case->expected_body_issue);
		if (root != NULL && contract_case->check_data != NULL)
			contract_case->check_data(request_label, &response, root);
		json_object_put(root);
	}
	http_response_free(&response);
	generated_request_free(&generated);
}

/*
 * CUnit test functions take no arguments, so each row gets a tiny runner that
 * knows its index. The static assert keeps the runner list long enough.
 */
#define CONTRACT_RUNNER(index) \
	static void contract_case_runner_##index(void) { contract_case_run(index); }
CONTRACT_RUNNER(0) CONTRACT_RUNNER(1) CONTRACT_RUNNER(2) CONTRACT_RUNNER(3) CONTRACT_RUNNER(4)
CONTRACT_RUNNER(5) CONTRACT_RUNNER(6) CONTRACT_RUNNER(7) CONTRACT_RUNNER(8) CONTRACT_RUNNER(9)
CONTRACT_RUNNER(10) CONTRACT_RUNNER(11) CONTRACT_RUNNER(12) CONTRACT_RUNNER(13) CONTRACT_RUNNER(14)
CONTRACT_RUNNER(15) CONTRACT_RUNNER(16) CONTRACT_RUNNER(17) CONTRACT_RUNNER(18) CONTRACT_RUNNER(19)
CONTRACT_RUNNER(20) CONTRACT_RUNNER(21) CONTRACT_RUNNER(22) CONTRACT_RUNNER(23) CONTRACT_RUNNER(24)
CONTRACT_RUNNER(25) CONTRACT_RUNNER(26) CONTRACT_RUNNER(27) CONTRACT_RUNNER(28) CONTRACT_RUNNER(29)
CONTRACT_RUNNER(30) CONTRACT_RUNNER(31) CONTRACT_RUNNER(32) CONTRACT_RUNNER(33) CONTRACT_RUNNER(34)
CONTRACT_RUNNER(35) CONTRACT_RUNNER(36) CONTRACT_RUNNER(37) CONTRACT_RUNNER(38) CONTRACT_RUNNER(39)
CONTRACT_RUNNER(40) CONTRACT_RUNNER(41) CONTRACT_RUNNER(42) CONTRACT_RUNNER(43) CONTRACT_RUNNER(44)
CONTRACT_RUNNER(45) CONTRACT_RUNNER(46) CONTRACT_RUNNER(47) CONTRACT_RUNNER(48) CONTRACT_RUNNER(49)
CONTRACT_RUNNER(50) CONTRACT_RUNNER(51) CONTRACT_RUNNER(52) CONTRACT_RUNNER(53) CONTRACT_RUNNER(54)
CONTRACT_RUNNER(55) CONTRACT_RUNNER(56) CONTRACT_RUNNER(57) CONTRACT_RUNNER(58) CONTRACT_RUNNER(59)
#undef CONTRACT_RUNNER

static const CU_TestFunc contract_case_runners[] = {
	contract_case_runner_0, contract_case_runner_1, contract_case_runner_2, contract_case_runner_3,
	contract_case_runner_4, contract_case_runner_5, contract_case_runner_6, contract_case_runner_7,
	contract_case_runner_8, contract_case_runner_9, contract_case_runner_10, contract_case_runner_11,
	contract_case_runner_12, contract_case_runner_13, contract_case_runner_14, contract_case_runner_15,
	contract_case_runner_16, contract_case_runner_17, contract_case_runner_18, contract_case_runner_19,
	contract_case_runner_20, contract_case_runner_21, contract_case_runner_22, contract_case_runner_23,
	contract_case_runner_24, contract_case_runner_25, contract_case_runner_26, contract_case_runner_27,
	contract_case_runner_28, contract_case_runner_29, contract_case_runner_30, contract_case_runner_31,
	contract_case_runner_32, contract_case_runner_33, contract_case_runner_34, contract_case_runner_35,
	contract_case_runner_36, contract_case_runner_37, contract_case_runner_38, contract_case_runner_39,
	contract_case_runner_40, contract_case_runner_41, contract_case_runner_42, contract_case_runner_43,
	contract_case_runner_44, contract_case_runner_45, contract_case_runner_46, contract_case_runner_47,
	contract_case_runner_48, contract_case_runner_49, contract_case_runner_50, contract_case_runner_51,
	contract_case_runner_52, contract_case_runner_53, contract_case_runner_54, contract_case_runner_55,
	contract_case_runner_56, contract_case_runner_57, contract_case_runner_58, contract_case_runner_59,
};

_Static_assert(CONTRACT_CASE_COUNT <= sizeof contract_case_runners / sizeof contract_case_runners[0],
			   "add CONTRACT_RUNNER lines for the new contract cases");

/* Not a table row: it needs two responses to compare. */
static void two_requests_get_different_generated_ids(void)
{
	const struct http_request request = { .method = "GET", .path_and_query = "/api/v1/version" };
	const struct expected_response expected = { .status = 200 };
	struct http_response first, second;
	char error_text[512];
	bool first_sent, second_sent;

	first_sent = http_client_send(&request, &first, error_text, sizeof error_text);
	ITEST_CHECK(first_sent, "first request: %s", error_text);
	second_sent = http_client_send(&request, &second, error_text, sizeof error_text);
	ITEST_CHECK(second_sent, "second request: %s", error_text);
	if (first_sent && second_sent) {
		const char *first_id = http_response_header(&first, "X-Request-Id");
		const char *second_id = http_response_header(&second, "X-Request-Id");

		json_object_put(check_common_response("GET /api/v1/version (first)", &first, &expected));
		json_object_put(check_common_response("GET /api/v1/version (second)", &second, &expected));
		ITEST_CHECK(first_id != NULL && second_id != NULL && strcmp(first_id, second_id) != 0,
					"two requests should get different X-Request-Id values, got \"%s\" and \"%s\"",
					first_id != NULL ? first_id : "(none)", second_id != NULL ? second_id : "(none)");
	}
	http_response_free(&first);
	http_response_free(&second);
}

bool contract_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("contract", NULL, NULL);

	if (suite == NULL)
		return false;
	bool can_make_tenants = test_environment_has(test_environment.config_file)
							&& test_environment_has(test_environment.admin_binary);

	for (size_t i = 0; i < CONTRACT_CASE_COUNT; i++) {
		const char *skip_reason = contract_cases[i].credential != CONTRACT_ANONYMOUS && !can_make_tenants
									  ? "needs INTUKA_TEST_CONFIG and INTUKA_TEST_ADMIN to make its tenant"
									  : NULL;

		if (!itest_add_test(suite, contract_cases[i].name, contract_case_runners[i], skip_reason))
			return false;
	}
	return itest_add_test(suite, "two_requests_get_different_generated_ids", two_requests_get_different_generated_ids,
						  NULL);
}

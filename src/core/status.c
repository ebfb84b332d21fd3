/* Table from status to HTTP code, envelope code and reason phrase. */
#include "core/status.h"

#include <stddef.h>

struct status_info {
	int http_code;
	const char *error_code;
	const char *reason;
};

static const struct status_info status_table[STATUS__MAX] = {
	[STATUS_OK] = {200, NULL, "OK"},
	[STATUS_CREATED] = {201, NULL, "Created"},
	[STATUS_VALIDATION_ERROR] = {400, "VALIDATION_ERROR", "Bad Request"},
	[STATUS_UNAUTHORIZED] = {401, "UNAUTHORIZED", "Unauthorized"},
	[STATUS_FORBIDDEN] = {403, "FORBIDDEN", "Forbidden"},
	[STATUS_NOT_FOUND] = {404, "NOT_FOUND", "Not Found"},
	[STATUS_METHOD_NOT_ALLOWED] = {405, "METHOD_NOT_ALLOWED", "Method Not Allowed"},
	[STATUS_CONFLICT] = {409, "CONFLICT", "Conflict"},
	[STATUS_PAYLOAD_TOO_LARGE] = {413, "PAYLOAD_TOO_LARGE", "Payload Too Large"},
	[STATUS_URI_TOO_LONG] = {414, "URI_TOO_LONG", "URI Too Long"},
	[STATUS_UNSUPPORTED_MEDIA_TYPE] = {415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"},
	[STATUS_UNPROCESSABLE] = {422, "UNPROCESSABLE", "Unprocessable Entity"},
	[STATUS_RATE_LIMITED] = {429, "RATE_LIMITED", "Too Many Requests"},
	[STATUS_PAYMENT_REQUIRED] = {402, "TRIAL_EXPIRED", "Payment Required"},
	[STATUS_SUBSCRIPTION_INACTIVE] = {403, "SUBSCRIPTION_INACTIVE", "Forbidden"},
	[STATUS_PLAN_LIMIT_REACHED] = {403, "PLAN_LIMIT_REACHED", "Forbidden"},
	[STATUS_QUOTA_EXCEEDED] = {429, "QUOTA_EXCEEDED", "Too Many Requests"},
	[STATUS_TENANT_SUSPENDED] = {403, "TENANT_SUSPENDED", "Forbidden"},
	[STATUS_HEADERS_TOO_LARGE] = {431, "HEADERS_TOO_LARGE", "Request Header Fields Too Large"},
	[STATUS_INTERNAL_ERROR] = {500, "INTERNAL_ERROR", "Internal Server Error"},
	[STATUS_SERVICE_UNAVAILABLE] = {503, "SERVICE_UNAVAILABLE", "Service Unavailable"},
};

static const struct status_info *status_lookup(enum status status)
{
	if ((unsigned)status >= STATUS__MAX)
		return &status_table[STATUS_INTERNAL_ERROR];
	return &status_table[status];
}

int status_http_code(enum status status)
{
	return status_lookup(status)->http_code;
}

const char *status_error_code(enum status status)
{
	return status_lookup(status)->error_code;
}

const char *status_reason(enum status status)
{
	return status_lookup(status)->reason;
}

int status_is_success(enum status status)
{
	return status_lookup(status)->error_code == NULL;
}

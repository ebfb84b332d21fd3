/* The closed set of outcomes a request can have, each with its HTTP status
 * and the error code clients see in the envelope. */
#ifndef INTUKA_CORE_STATUS_H
#define INTUKA_CORE_STATUS_H

enum status {
	STATUS_OK,
	STATUS_CREATED,
	STATUS_VALIDATION_ERROR,
	STATUS_UNAUTHORIZED,
	STATUS_FORBIDDEN,
	STATUS_NOT_FOUND,
	STATUS_METHOD_NOT_ALLOWED,
	STATUS_CONFLICT,
	STATUS_PAYLOAD_TOO_LARGE,
	STATUS_URI_TOO_LONG,
	STATUS_UNSUPPORTED_MEDIA_TYPE,
	STATUS_UNPROCESSABLE,
	STATUS_RATE_LIMITED,
	STATUS_PAYMENT_REQUIRED, /* 402 TRIAL_EXPIRED (find API) */
	STATUS_SUBSCRIPTION_INACTIVE, /* 403 (find API) */
	STATUS_PLAN_LIMIT_REACHED, /* 403: an indexing cap of the plan */
	STATUS_QUOTA_EXCEEDED, /* 429: the monthly allowance is used up */
	STATUS_TENANT_SUSPENDED, /* 403: the tenant is suspended by its operator */
	STATUS_HEADERS_TOO_LARGE,
	STATUS_INTERNAL_ERROR,
	STATUS_SERVICE_UNAVAILABLE,
	STATUS__MAX
};

int status_http_code(enum status status);
/* Error code for the envelope ("NOT_FOUND"); NULL for success statuses. */
const char *status_error_code(enum status status);
/* Reason phrase for the FastCGI Status header ("Not Found"). */
const char *status_reason(enum status status);
int status_is_success(enum status status);

#endif

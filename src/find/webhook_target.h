/* Where a webhook delivers and the one way to send to it: the URL is parsed
 * with libcurl's own parser (no disagreement between what we check and what
 * curl connects to), its host is resolved and every address must pass the
 * SSRF rule (find/webhook_policy.h), and the connection is pinned to the
 * address that was checked (CURLOPT_RESOLVE) and checked again at connect
 * time (CURLOPT_OPENSOCKETFUNCTION), so a DNS answer that changes between
 * check and connect cannot reach a refused address. Used by the /test route
 * and by the delivery process. */
#ifndef INTUKA_FIND_WEBHOOK_TARGET_H
#define INTUKA_FIND_WEBHOOK_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define WEBHOOK_HOST_MAX 255
#define WEBHOOK_RESPONSE_BODY_MAX 2048
#define WEBHOOK_ERROR_MAX 256

struct webhook_target {
	char host[WEBHOOK_HOST_MAX + 1]; /* without IPv6 brackets */
	int host_is_literal;             /* an IP address: nothing to resolve, nothing to rebind */
	int port;
	char pinned_address[INET6_ADDRSTRLEN]; /* set by webhook_target_resolve */
	int pinned_family;
};

/* http(s), a host, no user or password, no IPv6 zone, at most 2048 bytes.
 * NULL when acceptable (target filled), else the reason. */
const char *webhook_url_problem(const char *url, struct webhook_target *target);

enum webhook_target_result { WEBHOOK_TARGET_OK, WEBHOOK_TARGET_UNRESOLVED, WEBHOOK_TARGET_REFUSED };

/* Resolves the host; every address must be allowed (one refused address
 * refuses the URL). Pins the first. why receives the reason otherwise. */
enum webhook_target_result webhook_target_resolve(struct webhook_target *target, int allow_private_targets,
	char *why, size_t why_size);

struct webhook_request {
	const char *url;
	const char *secret;
	const char *event;
	const char *delivery_id;  /* X-Webhook-Id */
	const char *headers_json; /* {"Name":"value"} extra headers, or NULL */
	const char *auth_type;    /* webhook_policy.h: "none" (or NULL), "bearer", "basic", "api_key" */
	const char *auth_config;  /* its stored JSON, or NULL */
	const char *body;
	size_t body_length;
	int timeout_ms;
	int allow_private_targets;
};

struct webhook_outcome {
	int delivered;          /* 1 on a 2xx answer */
	int refused;            /* the SSRF rule stopped it: retrying will not help until DNS changes */
	long response_code;     /* 0 when no HTTP answer came */
	int64_t response_ms;
	char response_body[WEBHOOK_RESPONSE_BODY_MAX + 1]; /* first bytes, cut at a UTF-8 boundary */
	char error[WEBHOOK_ERROR_MAX];                     /* "" on a 2xx answer */
};

/* Signs and POSTs the body once, with the receiver's authentication header
 * when the webhook has one (an unusable auth config fails the attempt
 * rather than sending without it). Never follows redirects, never uses a
 * proxy, reads at most 64 KiB of the answer. */
void webhook_send(const struct webhook_request *request, struct webhook_outcome *outcome);

#endif

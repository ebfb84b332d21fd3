/*
 * A tiny libcurl wrapper: one request in, status + headers + body out.
 * Everything a response holds is owned by struct http_response and released
 * by http_response_free(), so a test frees in exactly one place.
 */
#ifndef INTUKA_ITEST_HTTP_CLIENT_H
#define INTUKA_ITEST_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct http_request {
	const char *method;              /* "GET", "POST", "DELETE", ... */
	const char *path_and_query;      /* appended verbatim to the base URL, starts with '/' */
	const char *content_type;        /* NULL: no Content-Type header at all */
	const char *body;                /* NULL: no body; may contain any bytes */
	size_t body_length;
	const char *const *extra_headers; /* NULL-terminated "Name: value" lines, or NULL */
};

struct http_header {
	char *name;
	char *value;                     /* surrounding whitespace and CRLF removed */
};

struct http_response {
	long status;                     /* 0 when no response arrived */
	struct http_header *headers;     /* of the final response only (not of a 100 Continue) */
	size_t header_count;
	char *body;                      /* always NUL-terminated for convenience; may be "" */
	size_t body_length;              /* excludes that terminator */
};

/* Call once before any request (not thread-safe, like curl_global_init). */
bool http_client_global_init(const char *base_url);
void http_client_global_cleanup(void);

/*
 * Sends one request on a fresh connection (a fresh handle, so forked children
 * never share a socket with their parent). Returns false on a transport error
 * (refused, timeout, ...) and writes why into error_text; the response is then
 * still safe to free. 10 s timeout, no proxy, no redirects, path sent as is.
 */
bool http_client_send(const struct http_request *request, struct http_response *response,
					  char *error_text, size_t error_text_size);

/* First header with that name (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *response, const char *name);

void http_response_free(struct http_response *response);

#endif

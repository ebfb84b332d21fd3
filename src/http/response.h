/* The one way out of a request: handlers and pipeline steps set a status and
 * data here, and response_write() renders the envelope once. Handlers never
 * print. The response owns its JSON trees and releases them in response_reset. */
#ifndef INTUKA_HTTP_RESPONSE_H
#define INTUKA_HTTP_RESPONSE_H

#include <stddef.h>

#include <json-c/json.h>

#include "core/status.h"

#define RESPONSE_HEADERS_MAX 2048

/* Seconds a client should wait after a 503 (database away, answer lost):
 * about how long a MariaDB restart takes. */
#define RESPONSE_UNAVAILABLE_RETRY_AFTER_S "5"

struct response {
	enum status status;
	json_object *data;       /* success payload, owned */
	json_object *details;    /* error details array, owned */
	json_object *pagination; /* list metadata, owned */
	/* Members added at the top level of either envelope (the find API's
	 * tierLimits and usage); kept when a handler replaces the outcome. */
	json_object *envelope_extra;
	/* Members added inside "error" (e.g. trial_ended_at); set after response_error. */
	json_object *error_extra;
	char message[256];
	/* A document answered as it is instead of the envelope (the API's own
	 * description): static bytes, not owned, with their type and caching. */
	const unsigned char *document;
	size_t document_length;
	const char *document_type;
	const char *cache_control; /* NULL: no-store */
	char extra_headers[RESPONSE_HEADERS_MAX]; /* "Name: value\r\n" lines */
	size_t extra_headers_length;
};

void response_init(struct response *response);
void response_reset(struct response *response);
/* Forgets a handler's outcome (status, data, error, the header lines after
 * the first headers_length bytes) and keeps what came before it (the gate's
 * envelope members, rate limit headers): the handler is run again. */
void response_rewind(struct response *response, size_t headers_length);

/* Success with data (ownership of data moves to the response). */
void response_ok(struct response *response, enum status status, json_object *data, const char *message);
/* A value already written as JSON text (core/json_text.h), to put where a
 * json-c value goes (data, a member): it is written out as it is. Takes
 * bytes (malloc'd). */
json_object *response_json_text(char *bytes, size_t length);
/* Success with a document as the body instead of the envelope: bytes (not
 * owned, they must outlive the response) of content_type, with
 * Cache-Control: cache_control. */
void response_document(struct response *response, const unsigned char *bytes, size_t length,
	const char *content_type, const char *cache_control);
/* 304 Not Modified: no body; cache_control as for the document it stands for. */
void response_not_modified(struct response *response, const char *cache_control);
void response_list(struct response *response, json_object *items, json_object *pagination, const char *message);
/* Error: replaces any earlier success data. */
void response_error(struct response *response, enum status status, const char *message);
void response_add_detail(struct response *response, const char *field, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds name: value (owned by the response afterwards) to envelope_extra or error_extra. */
void response_set_envelope_member(struct response *response, const char *name, json_object *value);
void response_set_error_member(struct response *response, const char *name, json_object *value);
/* Adds a header line; refuses (returns -1) names or values with CR/LF. */
int response_add_header(struct response *response, const char *name, const char *value);
/* Removes every header line called name (any case). */
void response_remove_header(struct response *response, const char *name);

/* The value of a header added with response_add_header (names compared
 * without case), copied to out: 0, or -1 when absent or too long. */
int response_header_value(const struct response *response, const char *name, char *out, size_t out_size);

/* Render the JSON envelope. The returned string belongs to *holder, which the
 * caller releases with json_object_put. */
const char *response_render_body(const struct response *response, json_object **holder, size_t *length);
/* Render the CGI header block (Status, Content-Type, X-Request-Id, extras, blank line). */
size_t response_render_headers(const struct response *response, const char *request_id, size_t body_length,
	char *out, size_t out_size);

#endif

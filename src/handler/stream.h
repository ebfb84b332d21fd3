/* Streamed responses (newline-delimited JSON for chat): the handler sends
 * the headers once, then one JSON value per line, each flushed through
 * FastCGI to the web server as soon as it is produced. The envelope is not
 * used: the status is 200 and the body is the lines. The worker supplies
 * the sink; tests can supply a buffer. */
#ifndef INTUKA_HANDLER_STREAM_H
#define INTUKA_HANDLER_STREAM_H

#include <stddef.h>

#include <json-c/json.h>

struct request_context;

struct response_stream {
	void *sink;
	/* 0 when written, -1 when the client is gone */
	int (*write)(void *sink, const char *data, size_t length);
	int (*flush)(void *sink);
	int started;
	int failed;          /* after a failed write, later chunks are dropped */
	/* Set by a handler that cannot finish a body it started (a database
	 * failure halfway through a CSV export): the worker cuts the connection
	 * so the client sees an incomplete answer, never a short complete one. */
	int cut;
	size_t body_bytes;   /* for the access log */
	unsigned chunk_count;
};

#define STREAM_NDJSON_TYPE "application/x-ndjson; charset=utf-8"

/* Sends "Status: 200", the content type, X-Request-Id, no-cache and
 * anti-buffering headers and the response's extra headers (rate limits,
 * CORS). Returns 0, or -1 when no stream is available or it failed. */
int stream_begin(struct request_context *context, const char *content_type);
/* One JSON value and "\n", flushed. Returns 0 or -1 (client gone). */
int stream_send_json(struct request_context *context, json_object *chunk);
/* Bytes as they are (CSV rows), flushed. Returns 0 or -1 (client gone). */
int stream_send_bytes(struct request_context *context, const char *data, size_t length);
/* Ends a started body as incomplete (see cut). */
void stream_cut(struct request_context *context);
/* Whether this request's response went out as a stream. */
int stream_started(const struct request_context *context);

#endif

/* NDJSON lines through the request's stream sink. */
#include "handler/stream.h"
#include "auth/principal_confirm.h"
#include "handler/context.h"
#include "http/request.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>

int stream_begin(struct request_context *context, const char *content_type)
{
	struct response_stream *stream = context->stream;
	if (stream == NULL || stream->write == NULL || stream->started)
		return -1;
	/* Nothing streams on behalf of a cached caller not confirmed yet: once
	 * started, an answer cannot be taken back (auth/principal_confirm.h). */
	if (!principal_stands_now(context->db, &context->request->auth))
		return -1;
	const struct response *response = context->response;
	char headers[RESPONSE_HEADERS_MAX + 512];
	/* No Content-Length: the web server ends the body when the request ends.
	 * X-Accel-Buffering asks proxies in front (nginx) not to hold lines back. */
	int written = snprintf(headers, sizeof(headers),
		"Status: 200 OK\r\n"
		"Content-Type: %s\r\n"
		"X-Request-Id: %s\r\n"
		"Cache-Control: no-store\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"X-Accel-Buffering: no\r\n"
		"%s\r\n",
		content_type, context->request->request_id, response->extra_headers);
	if (written < 0 || (size_t)written >= sizeof(headers))
		return -1;
	stream->started = 1;
	if (stream->write(stream->sink, headers, (size_t)written) != 0 ||
		(stream->flush != NULL && stream->flush(stream->sink) != 0)) {
		stream->failed = 1;
		return -1;
	}
	return 0;
}

int stream_send_json(struct request_context *context, json_object *chunk)
{
	struct response_stream *stream = context->stream;
	if (stream == NULL || !stream->started || stream->failed)
		return -1;
	size_t length = 0;
	const char *text = json_object_to_json_string_length(chunk, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&length);
	if (stream->write(stream->sink, text, length) != 0 || stream->write(stream->sink, "\n", 1) != 0 ||
		(stream->flush != NULL && stream->flush(stream->sink) != 0)) {
		stream->failed = 1;
		return -1;
	}
	stream->body_bytes += length + 1;
	stream->chunk_count++;
	return 0;
}

int stream_send_bytes(struct request_context *context, const char *data, size_t length)
{
	struct response_stream *stream = context->stream;
	if (stream == NULL || !stream->started || stream->failed)
		return -1;
	if ((length > 0 && stream->write(stream->sink, data, length) != 0) ||
		(stream->flush != NULL && stream->flush(stream->sink) != 0)) {
		stream->failed = 1;
		return -1;
	}
	stream->body_bytes += length;
	stream->chunk_count++;
	return 0;
}

void stream_cut(struct request_context *context)
{
	if (context->stream != NULL && context->stream->started)
		context->stream->cut = 1;
}

int stream_started(const struct request_context *context)
{
	return context->stream != NULL && context->stream->started;
}

/* Streamed NDJSON responses: headers once, then one flushed line per chunk. */
#include "unit_suites.h"
#include "handler/context.h"
#include "http/request.h"
#include "http/response.h"
#include "handler/stream.h"

#include <string.h>

struct stream_buffer {
	char data[4096];
	size_t length;
	unsigned flushes;
	int fail_after_bytes; /* -1: never fail */
};

static int buffer_write(void *sink, const char *data, size_t length)
{
	struct stream_buffer *buffer = sink;
	if (buffer->fail_after_bytes >= 0 && buffer->length + length > (size_t)buffer->fail_after_bytes)
		return -1;
	if (buffer->length + length >= sizeof(buffer->data))
		return -1;
	memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
	return 0;
}

static int buffer_flush(void *sink)
{
	((struct stream_buffer *)sink)->flushes++;
	return 0;
}

static void chunks_follow_the_headers_one_flushed_line_each(void)
{
	struct arena arena;
	arena_init(&arena, 4096);
	struct request request;
	request_init(&request, &arena);
	strcpy(request.request_id, "abc123");
	struct response response;
	response_init(&response);
	response_add_header(&response, "X-RateLimit-Remaining", "9");
	struct stream_buffer buffer = {.fail_after_bytes = -1};
	struct response_stream stream = {.sink = &buffer, .write = buffer_write, .flush = buffer_flush};
	struct request_context context = {.request = &request, .response = &response, .stream = &stream};

	CU_ASSERT_FALSE(stream_started(&context));
	json_object *early = json_object_new_object();
	CU_ASSERT_EQUAL(stream_send_json(&context, early), -1); /* nothing before the headers */
	json_object_put(early);
	CU_ASSERT_EQUAL_FATAL(stream_begin(&context, STREAM_NDJSON_TYPE), 0);
	CU_ASSERT_TRUE(stream_started(&context));
	CU_ASSERT_EQUAL(stream_begin(&context, STREAM_NDJSON_TYPE), -1); /* headers go once */
	const char *end_of_headers = strstr(buffer.data, "\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(end_of_headers);
	CU_ASSERT_PTR_NOT_NULL(strstr(buffer.data, "Status: 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buffer.data, "Content-Type: application/x-ndjson"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buffer.data, "X-Request-Id: abc123\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buffer.data, "X-RateLimit-Remaining: 9\r\n"));
	CU_ASSERT_PTR_NULL(strstr(buffer.data, "Content-Length"));
	unsigned flushes_after_headers = buffer.flushes;

	for (int i = 0; i < 3; i++) {
		json_object *chunk = json_object_new_object();
		json_object_object_add(chunk, "type", json_object_new_string("text_delta"));
		json_object_object_add(chunk, "data", json_object_new_string(i == 1 ? "line\nbreak" : "word"));
		CU_ASSERT_EQUAL(stream_send_json(&context, chunk), 0);
		json_object_put(chunk);
	}
	CU_ASSERT_EQUAL(buffer.flushes, flushes_after_headers + 3);
	CU_ASSERT_STRING_EQUAL(end_of_headers + 4,
		"{\"type\":\"text_delta\",\"data\":\"word\"}\n"
		"{\"type\":\"text_delta\",\"data\":\"line\\nbreak\"}\n"
		"{\"type\":\"text_delta\",\"data\":\"word\"}\n");
	CU_ASSERT_EQUAL(stream.chunk_count, 3);
	CU_ASSERT_EQUAL(stream.body_bytes, strlen(end_of_headers + 4));

	/* A client that went away: the failing chunk and every later one are dropped. */
	buffer.fail_after_bytes = (int)buffer.length;
	json_object *late = json_object_new_object();
	CU_ASSERT_EQUAL(stream_send_json(&context, late), -1);
	buffer.fail_after_bytes = -1;
	CU_ASSERT_EQUAL(stream_send_json(&context, late), -1);
	json_object_put(late);
	response_reset(&response);
	request_reset(&request);
	arena_destroy(&arena);
}

static void no_sink_means_no_stream(void)
{
	struct request_context context = {0};
	CU_ASSERT_EQUAL(stream_begin(&context, STREAM_NDJSON_TYPE), -1);
	CU_ASSERT_FALSE(stream_started(&context));
}

static const struct unit_test stream_tests[] = {
	{"chunks_follow_the_headers_one_flushed_line_each", chunks_follow_the_headers_one_flushed_line_each},
	{"no_sink_means_no_stream", no_sink_means_no_stream},
};

int register_stream_suite(void)
{
	return UNIT_SUITE("stream", stream_tests);
}

/* FastCGI record framing (FastCGI 1.0 specification, sections 3.3, 5.3, 5.5). */
#include "server/fcgi_frame.h"

#include <string.h>

#define FCGI_VERSION_1 1
#define FCGI_END_REQUEST 3
#define FCGI_STDOUT 6
#define FCGI_HEADER_BYTES 8
#define FCGI_END_REQUEST_BODY_BYTES 8

static size_t fcgi_frame_header(unsigned char *out, unsigned type, uint16_t request_id, size_t content_length,
	size_t padding_length)
{
	out[0] = FCGI_VERSION_1;
	out[1] = (unsigned char)type;
	out[2] = (unsigned char)(request_id >> 8);
	out[3] = (unsigned char)(request_id & 0xff);
	out[4] = (unsigned char)(content_length >> 8);
	out[5] = (unsigned char)(content_length & 0xff);
	out[6] = (unsigned char)padding_length;
	out[7] = 0;
	return FCGI_HEADER_BYTES;
}

size_t fcgi_frame_response_size(size_t answer_length)
{
	size_t records = (answer_length + FCGI_FRAME_RECORD_CONTENT_MAX - 1) / FCGI_FRAME_RECORD_CONTENT_MAX;
	size_t padded = (answer_length + 7) / 8 * 8;
	/* stdout records, the empty stdout record, end-request */
	return records * FCGI_HEADER_BYTES + padded + FCGI_HEADER_BYTES + FCGI_HEADER_BYTES +
		FCGI_END_REQUEST_BODY_BYTES;
}

size_t fcgi_frame_response(uint16_t request_id, const char *head, size_t head_length, const char *body,
	size_t body_length, char *out)
{
	unsigned char *cursor = (unsigned char *)out;
	size_t answer_length = head_length + body_length;
	for (size_t offset = 0; offset < answer_length;) {
		size_t content = answer_length - offset < FCGI_FRAME_RECORD_CONTENT_MAX ? answer_length - offset
											: FCGI_FRAME_RECORD_CONTENT_MAX;
		size_t padding = (8 - content % 8) % 8;
		cursor += fcgi_frame_header(cursor, FCGI_STDOUT, request_id, content, padding);
		/* The record's content may straddle the head and the body. */
		for (size_t copied = 0; copied < content;) {
			size_t at = offset + copied;
			const char *source = at < head_length ? head + at : body + (at - head_length);
			size_t available = at < head_length ? head_length - at : answer_length - at;
			size_t piece = content - copied < available ? content - copied : available;
			memcpy(cursor, source, piece);
			cursor += piece;
			copied += piece;
		}
		memset(cursor, 0, padding);
		cursor += padding;
		offset += content;
	}
	cursor += fcgi_frame_header(cursor, FCGI_STDOUT, request_id, 0, 0);
	cursor += fcgi_frame_header(cursor, FCGI_END_REQUEST, request_id, FCGI_END_REQUEST_BODY_BYTES, 0);
	/* appStatus 0, protocolStatus FCGI_REQUEST_COMPLETE (0), three reserved bytes */
	memset(cursor, 0, FCGI_END_REQUEST_BODY_BYTES);
	cursor += FCGI_END_REQUEST_BODY_BYTES;
	return (size_t)(cursor - (unsigned char *)out);
}

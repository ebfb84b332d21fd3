/* FastCGI output records written by the worker itself: a finished answer
 * becomes one buffer of FCGI_STDOUT records, the empty record that ends the
 * stream, and FCGI_END_REQUEST, so it can be sent without libfcgi's 8 KiB
 * pieces and, when the web server is slow to take it, finished by the
 * response sender while the worker serves the next request. */
#ifndef INTUKA_SERVER_FCGI_FRAME_H
#define INTUKA_SERVER_FCGI_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Content bytes per FCGI_STDOUT record: the protocol allows 65535; a multiple
 * of 8 keeps every record but the last without padding. */
#define FCGI_FRAME_RECORD_CONTENT_MAX 65528

/* Bytes fcgi_frame_response writes for an answer of that many bytes. */
size_t fcgi_frame_response_size(size_t answer_length);

/* Writes the records of request request_id carrying head then body (the
 * HTTP head and body of the answer) into out, which holds
 * fcgi_frame_response_size(head_length + body_length) bytes; returns the
 * bytes written. */
size_t fcgi_frame_response(uint16_t request_id, const char *head, size_t head_length, const char *body,
	size_t body_length, char *out);

#endif

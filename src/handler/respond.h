/* Shared refusals for handlers: database failures mapped to the envelope
 * codes in one place, logged once with the request id. */
#ifndef INTUKA_HANDLER_RESPOND_H
#define INTUKA_HANDLER_RESPOND_H

struct request_context;

/* result is an enum db_result; what names the operation for the log. */
void respond_db_failure(struct request_context *context, int result, const char *what);

/* After response_list: an ETag hashed from the page as it will be sent (its
 * items and pagination), so If-None-Match (answered in the pipeline) can
 * spare the client a list it already has. For lists built as json-c trees;
 * the record engine hashes its page text itself. */
void respond_tag_list(struct request_context *context);

#endif

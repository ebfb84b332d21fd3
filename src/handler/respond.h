/* Shared refusals for handlers: database failures mapped to the envelope
 * codes in one place, logged once with the request id. */
#ifndef INTUKA_HANDLER_RESPOND_H
#define INTUKA_HANDLER_RESPOND_H

struct request_context;

/* result is an enum db_result; what names the operation for the log. */
void respond_db_failure(struct request_context *context, int result, const char *what);

#endif

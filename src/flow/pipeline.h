/* The way of one request, readable top to bottom in pipeline.c:
 * parse -> route -> authenticate -> tenant -> rate limit -> permission ->
 * handler. Each refusal goes through one reject path into the response. */
#ifndef INTUKA_FLOW_PIPELINE_H
#define INTUKA_FLOW_PIPELINE_H

#include "handler/context.h"
#include "http/request.h"

/* Fill context->response for the request described by envp and the body
 * reader. Never writes output; the caller renders the response. */
void pipeline_process(struct request_context *context, char **envp, request_body_reader read_body,
	void *reader_context);

/* Limits from the configuration, as the request parser wants them. */
void pipeline_limits_from_config(const struct config *config, struct request_limits *limits);

#endif

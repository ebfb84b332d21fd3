/* What a route handler gets: the request, the response it fills, and the
 * worker's long-lived resources. Owned by the worker; valid for one request. */
#ifndef INTUKA_HANDLER_CONTEXT_H
#define INTUKA_HANDLER_CONTEXT_H

#include <stdint.h>

struct request;
struct response;
struct db;
struct config;
struct jwt_keyring;
struct route;
struct response_stream;

struct worker_info {
	long pid;
	uint64_t requests_served;
};

struct request_context {
	struct request *request;
	struct response *response;
	struct db *db;
	const struct config *config;
	const struct worker_info *worker;
	const struct jwt_keyring *keyring;
	const struct route *route; /* the matched route, set by the pipeline */
	int64_t now_s; /* wall clock at the start of the request */
	/* What the route table's gate kept for its handlers (in the arena; the
	 * gate's own type), NULL on routes without a gate. */
	void *gate_state;
	/* Where a streaming handler writes (http/stream.h); set by the worker. */
	struct response_stream *stream;
	/* Work to do after the response is sent (e.g. mail), so its duration
	 * does not show in the response time. One slot is enough for now. */
	void (*after_response)(struct request_context *context);
	char after_response_data[1024];
};

#endif

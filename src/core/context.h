/* What a route handler gets: the request, the response it fills, and the
 * worker's long-lived resources. Owned by the worker; valid for one request. */
#ifndef INTUKA_CORE_CONTEXT_H
#define INTUKA_CORE_CONTEXT_H

#include <stdint.h>

struct request;
struct response;
struct db;
struct config;

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
};

#endif

/* Database failure to response mapping. */
#include "handler/respond.h"
#include "handler/context.h"
#include "core/log.h"
#include "db/db.h"
#include "http/etag.h"
#include "http/request.h"
#include "http/response.h"

#include <string.h>

void respond_tag_list(struct request_context *context)
{
	const struct response *response = context->response;
	if (response->status != STATUS_OK)
		return;
	json_object *parts[] = {response->data, response->pagination};
	uint64_t hash = ETAG_HASH_SEED;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t length = 0;
		const char *text = parts[i] ? json_object_to_json_string_length(parts[i], JSON_C_TO_STRING_PLAIN, &length) : "";
		hash = etag_hash(hash, text, length);
		hash = etag_hash(hash, "\n", 1); /* keeps the parts apart */
	}
	char etag[ETAG_HASH_SIZE];
	etag_format_hash(hash, etag);
	response_add_header(context->response, "ETag", etag);
}

void respond_db_failure(struct request_context *context, int result, const char *what)
{
	const char *request_id = context->request->request_id;
	switch ((enum db_result)result) {
	case DB_UNAVAILABLE:
		log_msg(LOG_LEVEL_WARN, request_id, "%s: database unavailable: %s", what, db_last_error(context->db));
		response_error(context->response, STATUS_SERVICE_UNAVAILABLE, "Database unavailable, try again shortly");
		break;
	case DB_OUTCOME_UNKNOWN:
		log_msg(LOG_LEVEL_WARN, request_id, "%s: connection lost, outcome unknown: %s", what,
			db_last_error(context->db));
		response_error(context->response, STATUS_SERVICE_UNAVAILABLE,
			"The database connection was lost while saving; the change may or may not have been made. "
			"Retry with the same Idempotency-Key, or check before repeating it");
		break;
	case DB_DUPLICATE:
		response_error(context->response, STATUS_CONFLICT, "Resource already exists");
		break;
	case DB_DEADLOCK:
		/* A deadlock, or on Galera a write certified first on another node:
		 * the transaction was rolled back whole (the pipeline has already
		 * run the handler again where that was sound). Nothing was saved;
		 * the client may retry, and quotes X-Request-Id when reporting it. */
		log_msg(LOG_LEVEL_WARN, request_id, "%s: write conflict: %s", what, db_last_error(context->db));
		response_error(context->response, STATUS_SERVICE_UNAVAILABLE,
			"Concurrent writes to the same data; nothing was saved, retry the request");
		break;
	default:
		log_msg(LOG_LEVEL_ERROR, request_id, "%s: database error: %s", what, db_last_error(context->db));
		response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		break;
	}
}

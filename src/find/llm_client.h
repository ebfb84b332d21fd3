/* The one way a worker talks to a language model: POST <base>/chat/completions
 * with stream:true through libcurl, the server-sent events fed to an
 * llm_completion as they arrive (so the first token reaches the client at
 * once), bounded by a total timeout and a stall timeout (no byte for that
 * long ends the call). An endpoint a tenant configured is held to the
 * webhook SSRF rule (find/webhook_target.h): resolved, every address
 * checked, the connection pinned and checked again at connect time. The
 * installation's own endpoint is the operator's choice and is not checked:
 * a local Ollama on 127.0.0.1 is a normal set-up. */
#ifndef INTUKA_FIND_LLM_CLIENT_H
#define INTUKA_FIND_LLM_CLIENT_H

#include <stddef.h>

#include "find/llm_sse.h"

#define LLM_BASE_URL_MAX 1023
#define LLM_MODEL_MAX 255
#define LLM_API_KEY_MAX 255
#define LLM_ANSWER_MAX_BYTES (4 * 1024 * 1024) /* a stream longer than this is cut */

struct llm_endpoint {
	char base_url[LLM_BASE_URL_MAX + 1]; /* ".../v1", without the trailing path */
	char model[LLM_MODEL_MAX + 1];
	char api_key[LLM_API_KEY_MAX + 1]; /* "" sends no Authorization header */
	int timeout_ms;                    /* whole call */
	int stall_ms;                      /* longest silence */
	int tenant_set;                    /* the SSRF rule applies */
	int allow_private_targets;         /* for tenant_set: loopback/private allowed (tests) */
};

enum llm_call_result {
	LLM_CALL_OK,
	LLM_CALL_REFUSED,    /* the address rule stopped it */
	LLM_CALL_FAILED,     /* no connection, or a transport error */
	LLM_CALL_HTTP_ERROR, /* a non-2xx answer */
	LLM_CALL_TIMEOUT,    /* over timeout_ms */
	LLM_CALL_STALLED,    /* silent for stall_ms */
	LLM_CALL_BAD_STREAM, /* not an event stream, over a cap, or an error event */
	LLM_CALL_CLIENT_GONE /* the text callback stopped it */
};

/* Streams one completion for body (the request JSON, stream:true already
 * in it) into completion. why receives a short reason (never the key). */
enum llm_call_result llm_chat_stream(const struct llm_endpoint *endpoint, const char *body,
	struct llm_completion *completion, char *why, size_t why_size);

/* The URL of path under the endpoint's base URL, with a tenant's endpoint
 * held to the webhook address rule and pinned (*pin: a curl resolve list
 * or NULL, the caller's to free): LLM_CALL_OK, REFUSED or FAILED with why. */
struct curl_slist;
enum llm_call_result llm_endpoint_prepare(const struct llm_endpoint *endpoint, const char *path, char *url,
	size_t url_size, struct curl_slist **pin, char *why, size_t why_size);

/* Milliseconds a whole call may take: the endpoint's timeout, 30 s unset. */
long llm_endpoint_timeout_ms(const struct llm_endpoint *endpoint);

/* The options both model calls share on curl: a JSON POST of body to url
 * with the endpoint's key, http(s) only, no redirect, no proxy, the
 * endpoint's timeout (connect at most connect_max_ms), no "Expect:" wait,
 * and accept (or none) as Accept. Returns the header list, the caller's to
 * free after the transfer; the caller adds its reader and socket check. */
struct curl_slist *llm_post_setup(void *curl, const struct llm_endpoint *endpoint, const char *url, const char *body,
	const char *accept, const char *user_agent, long connect_max_ms);

const char *llm_call_result_name(enum llm_call_result result);

#endif

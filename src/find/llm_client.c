/* libcurl transfer of one streamed completion; see llm_client.h. */
#include "find/llm_client.h"
#include "core/alloc.h"
#include "find/webhook_policy.h"
#include "find/webhook_target.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#define LLM_CONNECT_TIMEOUT_MS 5000

struct llm_transfer {
	struct llm_sse *sse;
	struct llm_completion *completion;
	size_t read;
	int64_t last_byte_ms;
	int stall_ms;
	int stalled;
	int bad_stream;
	int allow_private_targets;
	int tenant_set;
	int refused_at_connect;
	long status; /* learnt from the first body byte */
	CURL *curl;
	char error_body[512]; /* first bytes of a non-2xx answer, for the log */
	size_t error_kept;
};

static int64_t llm_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static size_t llm_on_body(char *data, size_t size, size_t count, void *user_data)
{
	struct llm_transfer *transfer = user_data;
	size_t length = size * count;
	transfer->last_byte_ms = llm_now_ms();
	transfer->read += length;
	if (transfer->read > LLM_ANSWER_MAX_BYTES) {
		transfer->bad_stream = 1;
		return 0;
	}
	if (transfer->status == 0)
		curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &transfer->status);
	if (transfer->status < 200 || transfer->status >= 300) {
		size_t room = sizeof(transfer->error_body) - 1 - transfer->error_kept;
		size_t take = length < room ? length : room;
		memcpy(transfer->error_body + transfer->error_kept, data, take);
		transfer->error_kept += take;
		transfer->error_body[transfer->error_kept] = '\0';
		return length;
	}
	if (llm_sse_feed(transfer->sse, data, length, llm_completion_event, transfer->completion) != 0) {
		if (!transfer->completion->stopped)
			transfer->bad_stream = 1;
		return 0;
	}
	return length;
}

/* Called by libcurl while the transfer waits too: ends a silent stream. */
static int llm_on_progress(void *user_data, curl_off_t download_total, curl_off_t downloaded,
	curl_off_t upload_total, curl_off_t uploaded)
{
	struct llm_transfer *transfer = user_data;
	(void)download_total, (void)downloaded, (void)upload_total, (void)uploaded;
	if (transfer->stall_ms > 0 && llm_now_ms() - transfer->last_byte_ms > transfer->stall_ms) {
		transfer->stalled = 1;
		return 1;
	}
	return 0;
}

static curl_socket_t llm_on_open_socket(void *user_data, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct llm_transfer *transfer = user_data;
	(void)purpose;
	if (transfer->tenant_set &&
		!webhook_address_allowed(webhook_address_classify(&address->addr), transfer->allow_private_targets)) {
		transfer->refused_at_connect = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

const char *llm_call_result_name(enum llm_call_result result)
{
	static const char *const names[] = {
		[LLM_CALL_OK] = "ok",
		[LLM_CALL_REFUSED] = "refused",
		[LLM_CALL_FAILED] = "failed",
		[LLM_CALL_HTTP_ERROR] = "http_error",
		[LLM_CALL_TIMEOUT] = "timeout",
		[LLM_CALL_STALLED] = "stalled",
		[LLM_CALL_BAD_STREAM] = "bad_stream",
		[LLM_CALL_CLIENT_GONE] = "client_gone",
	};
	return (size_t)result < sizeof(names) / sizeof(names[0]) ? names[result] : "unknown";
}

/* The URL of path under the endpoint's base URL (its trailing slashes
 * dropped). A tenant's endpoint is held to the webhook address rule, and
 * its host pinned in *pin (a curl resolve list, NULL otherwise) to the
 * address that passed, so a second lookup cannot lead elsewhere. */
enum llm_call_result llm_endpoint_prepare(const struct llm_endpoint *endpoint, const char *path, char *url,
	size_t url_size, struct curl_slist **pin, char *why, size_t why_size)
{
	*pin = NULL;
	size_t base_length = strlen(endpoint->base_url);
	while (base_length > 0 && endpoint->base_url[base_length - 1] == '/')
		base_length--;
	snprintf(url, url_size, "%.*s%s", (int)base_length, endpoint->base_url, path);
	if (!endpoint->tenant_set)
		return LLM_CALL_OK;
	struct webhook_target target;
	const char *problem = webhook_url_problem(url, &target);
	if (problem != NULL) {
		snprintf(why, why_size, "base url %s", problem);
		return LLM_CALL_REFUSED;
	}
	enum webhook_target_result resolved =
		webhook_target_resolve(&target, endpoint->allow_private_targets, why, why_size);
	if (resolved != WEBHOOK_TARGET_OK)
		return resolved == WEBHOOK_TARGET_REFUSED ? LLM_CALL_REFUSED : LLM_CALL_FAILED;
	if (!target.host_is_literal) {
		char entry[WEBHOOK_HOST_MAX + INET6_ADDRSTRLEN + 16];
		if (target.pinned_family == AF_INET6)
			snprintf(entry, sizeof(entry), "%s:%d:[%s]", target.host, target.port, target.pinned_address);
		else
			snprintf(entry, sizeof(entry), "%s:%d:%s", target.host, target.port, target.pinned_address);
		*pin = curl_slist_append(NULL, entry);
	}
	return LLM_CALL_OK;
}

long llm_endpoint_timeout_ms(const struct llm_endpoint *endpoint)
{
	return endpoint->timeout_ms > 0 ? endpoint->timeout_ms : 30000;
}

struct curl_slist *llm_post_setup(void *curl, const struct llm_endpoint *endpoint, const char *url, const char *body,
	const char *accept, const char *user_agent, long connect_max_ms)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" wait (a second) before a larger body. */
	headers = curl_slist_append(headers, "Expect:");
	if (accept != NULL) {
		char accept_line[128];
		snprintf(accept_line, sizeof(accept_line), "Accept: %s", accept);
		headers = curl_slist_append(headers, accept_line);
	}
	if (endpoint->api_key[0] != '\0') {
		char authorization[LLM_API_KEY_MAX + 32];
		snprintf(authorization, sizeof(authorization), "Authorization: Bearer %s", endpoint->api_key);
		headers = curl_slist_append(headers, authorization);
		explicit_bzero(authorization, sizeof(authorization));
	}
	long timeout_ms = llm_endpoint_timeout_ms(endpoint);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < connect_max_ms ? timeout_ms : connect_max_ms);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	return headers;
}

enum llm_call_result llm_chat_stream(const struct llm_endpoint *endpoint, const char *body,
	struct llm_completion *completion, char *why, size_t why_size)
{
	why[0] = '\0';
	char url[LLM_BASE_URL_MAX + 32];
	struct curl_slist *pin = NULL;
	enum llm_call_result prepared = llm_endpoint_prepare(endpoint, "/chat/completions", url, sizeof(url), &pin, why,
		why_size);
	if (prepared != LLM_CALL_OK)
		return prepared;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		curl_slist_free_all(pin);
		snprintf(why, why_size, "could not start a transfer");
		return LLM_CALL_FAILED;
	}
	struct llm_sse *sse = xmalloc(sizeof(*sse));
	llm_sse_init(sse);
	struct llm_transfer transfer = {
		.sse = sse,
		.completion = completion,
		.last_byte_ms = llm_now_ms(),
		.stall_ms = endpoint->stall_ms,
		.allow_private_targets = endpoint->allow_private_targets,
		.tenant_set = endpoint->tenant_set,
		.curl = curl,
	};
	struct curl_slist *headers =
		llm_post_setup(curl, endpoint, url, body, "text/event-stream", "Intuka-Chat/1", LLM_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, llm_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, llm_on_open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &transfer);
	if (pin != NULL)
		curl_easy_setopt(curl, CURLOPT_RESOLVE, pin);
	CURLcode code = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	/* The last event needs no blank line after it to count. */
	if (code == CURLE_OK && status >= 200 && status < 300)
		llm_sse_feed(sse, "\n\n", 2, llm_completion_event, completion);
	enum llm_call_result result = LLM_CALL_OK;
	if (transfer.refused_at_connect) {
		snprintf(why, why_size, "connection refused by the address rule");
		result = LLM_CALL_REFUSED;
	} else if (completion->stopped) {
		result = LLM_CALL_CLIENT_GONE;
	} else if (transfer.stalled) {
		snprintf(why, why_size, "no data for %d ms", endpoint->stall_ms);
		result = LLM_CALL_STALLED;
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, why_size, "no answer within %ld ms", llm_endpoint_timeout_ms(endpoint));
		result = LLM_CALL_TIMEOUT;
	} else if (transfer.bad_stream) {
		snprintf(why, why_size, "the answer is not a usable event stream");
		result = LLM_CALL_BAD_STREAM;
	} else if (code != CURLE_OK) {
		snprintf(why, why_size, "%s", curl_easy_strerror(code));
		result = LLM_CALL_FAILED;
	} else if (status < 200 || status >= 300) {
		snprintf(why, why_size, "HTTP %ld: %.160s", status, transfer.error_body);
		result = LLM_CALL_HTTP_ERROR;
	} else if (completion->error[0] != '\0') {
		snprintf(why, why_size, "error event: %.200s", completion->error);
		result = LLM_CALL_BAD_STREAM;
	}
	free(sse);
	curl_slist_free_all(pin);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return result;
}

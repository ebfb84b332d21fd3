/* The /embeddings call: a plain JSON POST, its answer read whole. */
#include "find/llm_embed.h"
#include "core/alloc.h"
#include "core/config.h"
#include "db/db.h"
#include "find/embedding.h"
#include "find/webhook_policy.h"
#include "find/webhook_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#define LLM_EMBED_CONNECT_TIMEOUT_MS 5000

struct llm_embed_answer {
	char *data;
	size_t length;
	size_t capacity;
	int too_long;
};

static size_t llm_embed_on_body(char *data, size_t size, size_t count, void *user_data)
{
	struct llm_embed_answer *answer = user_data;
	size_t length = size * count;
	if (answer->length + length > LLM_EMBED_ANSWER_MAX_BYTES) {
		answer->too_long = 1;
		return 0;
	}
	if (answer->length + length + 1 > answer->capacity) {
		size_t capacity = answer->capacity ? answer->capacity : 16384;
		while (capacity < answer->length + length + 1)
			capacity *= 2;
		answer->data = xrealloc(answer->data, capacity);
		answer->capacity = capacity;
	}
	memcpy(answer->data + answer->length, data, length);
	answer->length += length;
	answer->data[answer->length] = '\0';
	return length;
}

static const struct db_statement_def llm_embed_statements[] = {
	{.name = "find_embeddings.provider",
		.sql = "SELECT enabled, base_url, embedding_model, api_key FROM find_llm_providers WHERE tenant_id = ?",
		.tenant_bound = 1},
};

const struct db_statement_def *llm_embed_statement_table(size_t *count)
{
	*count = sizeof(llm_embed_statements) / sizeof(llm_embed_statements[0]);
	return llm_embed_statements;
}

struct llm_embed_row {
	const struct config *config;
	struct llm_endpoint *endpoint;
};

static int llm_embed_provider_row(void *callback_context, const struct db_row *row)
{
	struct llm_embed_row *found = callback_context;
	struct llm_endpoint *endpoint = found->endpoint;
	if (row->column_count != 4 || row->values[0] == NULL)
		return 0;
	const char *const *v = row->values;
	if (strcmp(v[0], "0") == 0) {
		endpoint->model[0] = '\0'; /* the tenant's model is off: text ranking */
		return 0;
	}
	if (v[2] == NULL || v[2][0] == '\0')
		return 0; /* the installation's embeddings stand */
	snprintf(endpoint->model, sizeof(endpoint->model), "%s", v[2]);
	if (v[1] != NULL && v[1][0] != '\0') {
		/* The tenant's endpoint with its own key only, as for chat. */
		snprintf(endpoint->base_url, sizeof(endpoint->base_url), "%s", v[1]);
		snprintf(endpoint->api_key, sizeof(endpoint->api_key), "%s", v[3] ? v[3] : "");
		endpoint->tenant_set = 1;
	} else if (found->config->chat_llm_base_url[0] == '\0') {
		endpoint->model[0] = '\0'; /* no URL anywhere */
	}
	return 0;
}

int llm_embed_endpoint(struct db *db, const struct config *config, uint64_t tenant_id, int timeout_ms,
	struct llm_endpoint *endpoint)
{
	memset(endpoint, 0, sizeof(*endpoint));
	if (config->chat_llm_base_url[0] != '\0')
		snprintf(endpoint->model, sizeof(endpoint->model), "%s", config->chat_llm_embedding_model);
	snprintf(endpoint->base_url, sizeof(endpoint->base_url), "%s", config->chat_llm_base_url);
	snprintf(endpoint->api_key, sizeof(endpoint->api_key), "%s", config->chat_llm_api_key);
	endpoint->timeout_ms = timeout_ms;
	endpoint->stall_ms = timeout_ms;
	endpoint->allow_private_targets = config->chat_llm_allow_private_targets;
	struct llm_embed_row found = {config, endpoint};
	struct db_param params[] = {DB_UINT(tenant_id)};
	return db_query(db, &llm_embed_statements[0], params, 1, llm_embed_provider_row, &found);
}

/* Endpoints this worker read, by tenant (direct-mapped: a collision only
 * costs a read). They hold the tenant's provider key, as the rows do. */
#define LLM_EMBED_CACHE_SLOTS 64

struct llm_embed_cached {
	uint64_t tenant_id;
	int64_t changed_ms;
	struct llm_endpoint endpoint;
};

static struct llm_embed_cached llm_embed_cache[LLM_EMBED_CACHE_SLOTS];

int llm_embed_endpoint_known(struct db *db, const struct config *config, uint64_t tenant_id, int timeout_ms,
	int64_t changed_ms, struct llm_endpoint *endpoint)
{
	struct llm_embed_cached *slot = &llm_embed_cache[tenant_id % LLM_EMBED_CACHE_SLOTS];
	if (changed_ms != 0 && slot->tenant_id == tenant_id && slot->changed_ms == changed_ms) {
		*endpoint = slot->endpoint;
		endpoint->timeout_ms = timeout_ms;
		endpoint->stall_ms = timeout_ms;
		return DB_OK;
	}
	int result = llm_embed_endpoint(db, config, tenant_id, timeout_ms, endpoint);
	if (result == DB_OK && changed_ms != 0) {
		OPENSSL_cleanse(&slot->endpoint, sizeof(slot->endpoint));
		slot->tenant_id = tenant_id;
		slot->changed_ms = changed_ms;
		slot->endpoint = *endpoint;
	}
	return result;
}

struct llm_embed_socket_check {
	int allow_private_targets;
	int refused;
};

/* A tenant's endpoint: the address is checked again when the socket opens. */
static curl_socket_t llm_embed_on_open_socket(void *user_data, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct llm_embed_socket_check *check = user_data;
	(void)purpose;
	if (!webhook_address_allowed(webhook_address_classify(&address->addr), check->allow_private_targets)) {
		check->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

enum llm_call_result llm_embed(const struct llm_endpoint *endpoint, const char *const *texts,
	const size_t *lengths, size_t count, float **vectors, size_t *dimension, char *why, size_t why_size)
{
	why[0] = '\0';
	*vectors = NULL;
	*dimension = 0;
	char url[LLM_BASE_URL_MAX + 32];
	struct curl_slist *pin = NULL;
	struct llm_embed_socket_check check = {.allow_private_targets = endpoint->allow_private_targets};
	enum llm_call_result prepared = llm_endpoint_prepare(endpoint, "/embeddings", url, sizeof(url), &pin, why,
		why_size);
	if (prepared != LLM_CALL_OK)
		return prepared;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		curl_slist_free_all(pin);
		snprintf(why, why_size, "could not start a transfer");
		return LLM_CALL_FAILED;
	}
	char *body = embedding_request_json(endpoint->model, texts, lengths, count);
	struct curl_slist *headers =
		llm_post_setup(curl, endpoint, url, body, NULL, "Intuka-Embed/1", LLM_EMBED_CONNECT_TIMEOUT_MS);
	struct llm_embed_answer answer = {0};
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_embed_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	if (endpoint->tenant_set) {
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, llm_embed_on_open_socket);
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &check);
		if (pin != NULL)
			curl_easy_setopt(curl, CURLOPT_RESOLVE, pin);
	}
	CURLcode code = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	enum llm_call_result result = LLM_CALL_OK;
	if (check.refused) {
		snprintf(why, why_size, "connection refused by the address rule");
		result = LLM_CALL_REFUSED;
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, why_size, "no answer within %ld ms", llm_endpoint_timeout_ms(endpoint));
		result = LLM_CALL_TIMEOUT;
	} else if (answer.too_long) {
		snprintf(why, why_size, "the answer is over %d bytes", LLM_EMBED_ANSWER_MAX_BYTES);
		result = LLM_CALL_BAD_STREAM;
	} else if (code != CURLE_OK) {
		snprintf(why, why_size, "%s", curl_easy_strerror(code));
		result = LLM_CALL_FAILED;
	} else if (status < 200 || status >= 300) {
		snprintf(why, why_size, "HTTP %ld: %.160s", status, answer.data ? answer.data : "");
		result = LLM_CALL_HTTP_ERROR;
	} else if (embedding_parse_answer(answer.data ? answer.data : "", count, vectors, dimension, why, why_size) != 0) {
		result = LLM_CALL_BAD_STREAM;
	}
	free(answer.data);
	free(body);
	curl_slist_free_all(pin);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return result;
}

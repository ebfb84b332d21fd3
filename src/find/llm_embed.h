/* One POST <base>/embeddings to the installation's provider
 * (chat_llm_base_url, chat_llm_embedding_model, chat_llm_api_key): the
 * answer's vectors for a list of texts. Used by intukad --embed for
 * documents and by the search for the query's vector (with a short
 * timeout). The URL is the operator's, as for chat, so it is not held to
 * the address rule; a tenant's own chat provider is never used here: every
 * vector of the installation must come from one model to be comparable. */
#ifndef INTUKA_FIND_LLM_EMBED_H
#define INTUKA_FIND_LLM_EMBED_H

#include <stddef.h>

#include "find/llm_client.h"

struct config;

#define LLM_EMBED_ANSWER_MAX_BYTES (32 * 1024 * 1024) /* a longer answer is refused */

/* The installation's embeddings endpoint with timeout_ms; 0, or -1 when
 * no embeddings model is configured. */
int llm_embed_endpoint(const struct config *config, int timeout_ms, struct llm_endpoint *endpoint);

/* Embeds count texts: 0 with *vectors (count * *dimension floats, caller
 * frees), or the failure with why (never the key). */
enum llm_call_result llm_embed(const struct llm_endpoint *endpoint, const char *const *texts,
	const size_t *lengths, size_t count, float **vectors, size_t *dimension, char *why, size_t why_size);

#endif

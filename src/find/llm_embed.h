/* One POST <base>/embeddings: the answer's vectors for a list of texts.
 * Used by intukad --embed for documents and by the search for the query's
 * vector (with a short timeout). A tenant's embeddings come from its own
 * row (find_llm_providers.embedding_model, at the row's base_url and key,
 * held to the address rule like its chat calls, or at the installation's
 * when the row has no URL), else from the installation's
 * chat_llm_base_url, chat_llm_embedding_model and chat_llm_api_key. Every
 * vector is stored with its model, and only vectors of the query's model
 * are compared with it. */
#ifndef INTUKA_FIND_LLM_EMBED_H
#define INTUKA_FIND_LLM_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "find/llm_client.h"

struct config;

#define LLM_EMBED_ANSWER_MAX_BYTES (32 * 1024 * 1024) /* a longer answer is refused */

struct db;

/* The tenant's embeddings endpoint with timeout_ms: endpoint->model is ""
 * when the tenant has none (no model anywhere, or its row turns the model
 * off). Returns an enum db_result. */
int llm_embed_endpoint(struct db *db, const struct config *config, uint64_t tenant_id, int timeout_ms,
	struct llm_endpoint *endpoint);
/* The same, kept by this worker while the tenant's provider row has the
 * change stamp changed_ms (milliseconds, -1 for no row; read with an API key,
 * auth_context.llm_changed_ms): a search reads the row only when it changed.
 * changed_ms 0 (unknown: a JWT caller) always reads it. */
int llm_embed_endpoint_known(struct db *db, const struct config *config, uint64_t tenant_id, int timeout_ms,
	int64_t changed_ms, struct llm_endpoint *endpoint);
const struct db_statement_def *llm_embed_statement_table(size_t *count);

/* Embeds count texts: 0 with *vectors (count * *dimension floats, caller
 * frees), or the failure with why (never the key). */
enum llm_call_result llm_embed(const struct llm_endpoint *endpoint, const char *const *texts,
	const size_t *lengths, size_t count, float **vectors, size_t *dimension, char *why, size_t why_size);

#endif

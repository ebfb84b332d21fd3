/* Embedding loop. Signals only set a flag: the batch in flight is finished
 * (its call is bounded by chat_llm_timeout_ms), what was claimed and not
 * started is given back, and the process exits 0. A batch whose call fails
 * is retried per document with a growing delay (find/embedding.h) and
 * given up after EMBEDDING_ATTEMPTS_MAX attempts; anything this process
 * could not record stays claimed until the lease ends and is then taken
 * again. Each tenant's documents go to its own embeddings endpoint
 * (find/llm_embed.h); rows of tenants without one stay queued untouched
 * until a model is configured, so the service can run whatever the
 * configuration. */
#include "server/embedder.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"
#include "find/embedding.h"
#include "find/embedding_store.h"
#include "find/llm_embed.h"
#include "server/pid_file.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After a database error, wait before claiming again (not a busy loop). */
#define EMBEDDER_ERROR_PAUSE_MS 2000

static volatile sig_atomic_t embedder_stop_requested;
static volatile sig_atomic_t embedder_reopen_requested;

static void embedder_on_stop_signal(int signal_number)
{
	(void)signal_number;
	embedder_stop_requested = 1;
}

static void embedder_on_reopen_signal(int signal_number)
{
	(void)signal_number;
	embedder_reopen_requested = 1;
}

static int embedder_install_signals(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = embedder_on_stop_signal;
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART: a stop request cuts the idle sleep short. */
	if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0)
		return -1;
	action.sa_handler = embedder_on_reopen_signal;
	action.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &action, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	return 0;
}

static void embedder_sleep_ms(int milliseconds)
{
	struct timespec remaining = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
	while (!embedder_stop_requested && nanosleep(&remaining, &remaining) != 0 && errno == EINTR)
		;
}

static int64_t embedder_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void embedder_log_db(const char *what, const struct embedding_claim *claim, struct db *db)
{
	log_error("embedder: %s %s %u of tenant %llu failed (retried after the lease): %s", what, claim->entity,
		(unsigned)claim->doc, (unsigned long long)claim->tenant_id, db_last_error(db));
}

/* One claimed batch: documents gone or unchanged are settled without a
 * call, the rest embedded in one call. */
static void embedder_run_batch(struct db *db, const struct llm_endpoint *endpoint, struct embedding_claim *claims,
	size_t claimed, const char *token)
{
	struct embedding_document *documents = xcalloc(claimed, sizeof(*documents));
	const char **texts = xcalloc(claimed, sizeof(*texts));
	size_t *lengths = xcalloc(claimed, sizeof(*lengths));
	size_t *positions = xcalloc(claimed, sizeof(*positions));
	char (*hashes)[EMBEDDING_HASH_LENGTH + 1] = xcalloc(claimed, sizeof(*hashes));
	size_t wanted = 0, gone = 0, unchanged = 0, stored = 0;
	for (size_t i = 0; i < claimed; i++) {
		if (embedding_store_load(db, &claims[i], endpoint->model, &documents[i]) != DB_OK) {
			embedder_log_db("loading", &claims[i], db);
			continue;
		}
		if (!documents[i].found) {
			if (embedding_store_done(db, &claims[i], token, 1) != DB_OK)
				embedder_log_db("dequeuing the deleted", &claims[i], db);
			gone++;
			continue;
		}
		embedding_content_hash(endpoint->model, documents[i].text, documents[i].text_length, hashes[i]);
		if (strcmp(hashes[i], documents[i].stored_hash) == 0) {
			if (embedding_store_done(db, &claims[i], token, 0) != DB_OK)
				embedder_log_db("dequeuing the unchanged", &claims[i], db);
			unchanged++;
			continue;
		}
		texts[wanted] = documents[i].text;
		lengths[wanted] = documents[i].text_length;
		positions[wanted++] = i;
	}
	if (wanted > 0) {
		float *vectors = NULL;
		size_t dimension = 0;
		char why[256];
		int64_t started_ms = embedder_now_ms();
		enum llm_call_result called = llm_embed(endpoint, texts, lengths, wanted, &vectors, &dimension, why, sizeof(why));
		int64_t took_ms = embedder_now_ms() - started_ms;
		for (size_t k = 0; k < wanted; k++) {
			struct embedding_claim *claim = &claims[positions[k]];
			if (called == LLM_CALL_OK) {
				if (embedding_store_save(db, claim, token, endpoint->model, vectors + k * dimension, dimension,
					    hashes[positions[k]]) != DB_OK)
					embedder_log_db("storing the vector of", claim, db);
				else
					stored++;
				continue;
			}
			int delay_s = embedding_retry_delay_s(claim->attempts + 1);
			if (embedding_store_fail(db, claim, token, delay_s, why) != DB_OK)
				embedder_log_db("recording the failure of", claim, db);
			if (delay_s < 0)
				log_error("embedder: %s %u of tenant %llu given up after %u attempts: %s (queued again by its "
					"next upsert)", claim->entity, (unsigned)claim->doc, (unsigned long long)claim->tenant_id,
					claim->attempts + 1, why);
		}
		if (called == LLM_CALL_OK)
			log_info("embedder: tenant %llu: %zu embedded with %s (%zu dimensions) in %lld ms, %zu unchanged, "
				"%zu deleted", (unsigned long long)claims[0].tenant_id, stored, endpoint->model, dimension,
				(long long)took_ms, unchanged, gone);
		else
			log_warn("embedder: tenant %llu: a call for %zu documents failed after %lld ms (%s): %s; retried "
				"with back-off", (unsigned long long)claims[0].tenant_id, wanted, (long long)took_ms,
				llm_call_result_name(called), why);
		free(vectors);
	} else if (gone + unchanged > 0) {
		log_info("embedder: tenant %llu: nothing to embed, %zu unchanged, %zu deleted",
			(unsigned long long)claims[0].tenant_id, unchanged, gone);
	}
	for (size_t i = 0; i < claimed; i++)
		embedding_store_document_free(&documents[i]);
	free(hashes);
	free(positions);
	free(lengths);
	free(texts);
	free(documents);
}

static int embedder_by_tenant(const void *left, const void *right)
{
	const struct embedding_claim *a = left, *b = right;
	return a->tenant_id < b->tenant_id ? -1 : a->tenant_id > b->tenant_id;
}

/* The claimed rows, one call per tenant: each tenant's own endpoint. */
static void embedder_run_claims(struct db *db, const struct config *config, struct embedding_claim *claims,
	size_t claimed, const char *token)
{
	qsort(claims, claimed, sizeof(*claims), embedder_by_tenant);
	for (size_t first = 0; first < claimed && !embedder_stop_requested;) {
		size_t end = first + 1;
		while (end < claimed && claims[end].tenant_id == claims[first].tenant_id)
			end++;
		struct llm_endpoint endpoint;
		if (llm_embed_endpoint(db, config, claims[first].tenant_id, config->chat_llm_timeout_ms, &endpoint) !=
			DB_OK) {
			log_error("embedder: reading the provider of tenant %llu failed (retried after the lease): %s",
				(unsigned long long)claims[first].tenant_id, db_last_error(db));
		} else if (endpoint.model[0] == '\0') {
			/* Its model was turned off since the claim: nothing to compute. */
			for (size_t i = first; i < end; i++)
				if (embedding_store_done(db, &claims[i], token, 0) != DB_OK)
					embedder_log_db("dequeuing", &claims[i], db);
		} else {
			embedder_run_batch(db, &endpoint, claims + first, end - first, token);
		}
		first = end;
	}
}

int embedder_run(const struct config *config, const char *pid_file)
{
	if (embedder_install_signals() != 0) {
		log_error("embedder: cannot install signal handlers: %s", strerror(errno));
		return 1;
	}
	if (pid_file != NULL && pid_file_write(pid_file) != 0) {
		log_error("embedder: cannot write %s: %s", pid_file, strerror(errno));
		return 1;
	}
	int installation_model = config->chat_llm_base_url[0] != '\0' && config->chat_llm_embedding_model[0] != '\0';
	struct db *db = db_new(config);
	struct embedding_claim *claims = xcalloc((size_t)config->embed_batch_size, sizeof(*claims));
	log_info("embedder started (pid %ld, installation model %s, batch %d, lease %d s, poll %d ms)", (long)getpid(),
		installation_model ? config->chat_llm_embedding_model : "none (tenants' own only)", config->embed_batch_size,
		config->embed_lease_s, config->embed_poll_interval_ms);
	while (!embedder_stop_requested) {
		if (embedder_reopen_requested) {
			embedder_reopen_requested = 0;
			char reopen_error[CONFIG_ERROR_MAX];
			if (log_reopen(reopen_error, sizeof(reopen_error)) != 0)
				log_error("embedder: cannot reopen the log, still writing to the old one: %s", reopen_error);
			else
				log_info("embedder: log reopened");
		}
		char token[EMBEDDING_CLAIM_TOKEN_MAX];
		size_t claimed = 0;
		if (embedding_store_new_token(token, sizeof(token)) != 0) {
			log_error("embedder: no randomness for a claim token");
			embedder_sleep_ms(EMBEDDER_ERROR_PAUSE_MS);
			continue;
		}
		enum db_result result = embedding_store_claim(db, installation_model, token, config->embed_lease_s,
			(size_t)config->embed_batch_size, claims, &claimed);
		if (result != DB_OK) {
			log_error("embedder: claiming failed: %s", db_last_error(db));
			embedder_sleep_ms(EMBEDDER_ERROR_PAUSE_MS);
			continue;
		}
		if (claimed == 0) {
			embedder_sleep_ms(config->embed_poll_interval_ms);
			continue;
		}
		if (embedder_stop_requested) {
			for (size_t i = 0; i < claimed; i++)
				if (embedding_store_release(db, &claims[i], token) != DB_OK)
					log_warn("embedder: %s %u stays claimed until its lease ends", claims[i].entity,
						(unsigned)claims[i].doc);
			break;
		}
		embedder_run_claims(db, config, claims, claimed, token);
	}
	log_info("embedder stopping");
	free(claims);
	db_free(db);
	if (pid_file != NULL && unlink(pid_file) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", pid_file, strerror(errno));
	return 0;
}

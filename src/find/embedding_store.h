/* The embeddings in MariaDB (migration 0014): the queue a product's or
 * post's write fills in its own transaction, the claims intukad --embed
 * takes on it (compare-and-set leases, no row locks held between
 * statements, so it works on Galera as on one server), the stored vectors,
 * and the reads search and recommendations make of them. entity is
 * "product" or "post"; doc is the document's search number (search_doc). */
#ifndef INTUKA_FIND_EMBEDDING_STORE_H
#define INTUKA_FIND_EMBEDDING_STORE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_statement_def;

#define EMBEDDING_CLAIM_TOKEN_MAX 33 /* 32 hex characters + NUL */
#define EMBEDDING_CLAIM_BATCH_MAX 256

/* In the caller's transaction: (re)queue a document after its upsert. */
int embedding_store_enqueue(struct db *db, uint64_t tenant_id, const char *entity, uint32_t doc);
/* In the caller's transaction: a deleted document's vector and queue row go. */
int embedding_store_forget(struct db *db, uint64_t tenant_id, const char *entity, uint32_t doc);

struct embedding_claim {
	uint64_t tenant_id;
	char entity[8];
	uint32_t doc;
	uint32_t version;  /* the queue row's version when claimed */
	unsigned attempts; /* failures so far */
};

/* A fresh random claim token; 0, or -1 without randomness. */
int embedding_store_new_token(char *token, size_t token_size);
/* Claims up to limit due rows for lease_s, of tenants with an embeddings
 * model (installation_model: the installation has one): each by one
 * UPDATE that only succeeds while the row is unclaimed or its lease has
 * ended; a row another process took meanwhile (0 rows changed, or a
 * certification conflict on Galera) is skipped. Returns an enum db_result. */
int embedding_store_claim(struct db *db, int installation_model, const char *token, int lease_s, size_t limit,
	struct embedding_claim *claims, size_t *claimed);

/* The text to embed for a claimed document (found 0 when it is gone). */
struct embedding_document {
	int found;
	char *text; /* owned */
	size_t text_length;
	char stored_hash[17]; /* of its stored vector with this model; "" when none */
};
int embedding_store_load(struct db *db, const struct embedding_claim *claim, const char *model,
	struct embedding_document *document);
void embedding_store_document_free(struct embedding_document *document);

/* Stores the vector and, when the queue row still has the claimed version
 * and token, removes it (a newer upsert's row stays queued). */
int embedding_store_save(struct db *db, const struct embedding_claim *claim, const char *token, const char *model,
	const float *vector, size_t dimension, const char *content_hash);
/* The document needs no call (gone, or its text unchanged): its queue row
 * goes (and, gone, its vector). */
int embedding_store_done(struct db *db, const struct embedding_claim *claim, const char *token, int document_gone);
/* A failed attempt: retried after delay_s, or (delay_s < 0) given up and
 * dequeued; the next upsert queues it again. */
int embedding_store_fail(struct db *db, const struct embedding_claim *claim, const char *token, int delay_s,
	const char *error);
/* Gives an unstarted claim back, due now. */
int embedding_store_release(struct db *db, const struct embedding_claim *claim, const char *token);

/* The stored vectors of docs (model only) for one tenant and entity:
 * callback(context, doc, data, length) for each found. */
typedef int (*embedding_vector_callback)(void *context, uint32_t doc, const unsigned char *data, size_t length);
int embedding_store_vectors(struct db *db, uint64_t tenant_id, const char *entity, const char *model,
	const uint32_t *docs, size_t count, embedding_vector_callback callback, void *context);

const struct db_statement_def *embedding_store_statement_table(size_t *count);

#endif

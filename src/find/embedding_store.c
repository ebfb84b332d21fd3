/* The embeddings tables: queue, claims, vectors. */
#include "find/embedding_store.h"
#include "core/alloc.h"
#include "core/hex.h"
#include "db/db.h"
#include "find/embedding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum embedding_statement {
	EMB_STMT_ENQUEUE,
	EMB_STMT_FORGET_VECTOR,
	EMB_STMT_FORGET_QUEUED,
	EMB_STMT_DUE,
	EMB_STMT_CLAIM,
	EMB_STMT_PRODUCT_TEXT,
	EMB_STMT_POST_TEXT,
	EMB_STMT_STORED_HASH,
	EMB_STMT_SAVE,
	EMB_STMT_DEQUEUE,
	EMB_STMT_UNCLAIM,
	EMB_STMT_FAIL,
	EMB_STMT_VECTORS,
	EMB_STMT__MAX
};

#define EMB_KEY "tenant_id = ? AND entity = ? AND doc = ?"
/* A claim is free when nobody holds it or its holder's lease has ended. */
#define EMB_FREE "(claim_token IS NULL OR lease_until < NOW(3))"

static const struct db_statement_def embedding_statements[EMB_STMT__MAX] = {
	/* A re-upsert while queued makes the row due now with a new version. */
	[EMB_STMT_ENQUEUE] = {.name = "find_embeddings.enqueue",
		.sql = "INSERT INTO find_embedding_queue (tenant_id, entity, doc) VALUES (?, ?, ?) "
		"ON DUPLICATE KEY UPDATE version = version + 1, attempts = 0, next_attempt_at = NOW(3), last_error = '', "
		"queued_at = NOW(3)",
		.tenant_bound = 1},
	[EMB_STMT_FORGET_VECTOR] = {.name = "find_embeddings.forget_vector",
		.sql = "DELETE FROM find_embeddings WHERE " EMB_KEY, .tenant_bound = 1},
	[EMB_STMT_FORGET_QUEUED] = {.name = "find_embeddings.forget_queued",
		.sql = "DELETE FROM find_embedding_queue WHERE " EMB_KEY, .tenant_bound = 1},
	/* Global by nature: the process serves every tenant. A plain read (no
	 * FOR UPDATE): the claim itself is the compare-and-set below. */
	/* Rows of tenants without embeddings are left alone (no churn): they
	 * become due when the installation or the tenant's row gets a model.
	 * The first parameter: 1 when the installation has one. */
	[EMB_STMT_DUE] = {.name = "find_embeddings.due",
		.sql = "SELECT q.tenant_id, q.entity, q.doc, q.version, q.attempts FROM find_embedding_queue q "
		"LEFT JOIN find_llm_providers p ON p.tenant_id = q.tenant_id "
		"WHERE q.next_attempt_at <= NOW(3) AND (q.claim_token IS NULL OR q.lease_until < NOW(3)) "
		"AND ((p.tenant_id IS NULL AND ? = 1) OR (p.enabled = 1 AND (p.embedding_model <> '' OR ? = 1))) "
		"ORDER BY q.next_attempt_at LIMIT ?",
		.tenant_bound = 0},
	[EMB_STMT_CLAIM] = {.name = "find_embeddings.claim",
		.sql = "UPDATE find_embedding_queue SET claim_token = ?, lease_until = NOW(3) + INTERVAL ? SECOND "
		"WHERE " EMB_KEY " AND " EMB_FREE " AND next_attempt_at <= NOW(3)",
		.tenant_bound = 1},
	/* What a visitor would search: the name first, then the rest. */
	[EMB_STMT_PRODUCT_TEXT] = {.name = "find_embeddings.product_text",
		.sql = "SELECT CONCAT_WS('\\n', name, NULLIF(excerpt, ''), NULLIF(categories_text, ''), "
		"NULLIF(brands_text, ''), NULLIF(tags_text, ''), LEFT(content, 8000)) FROM find_products "
		"WHERE tenant_id = ? AND search_doc = ? LIMIT 1",
		.tenant_bound = 1},
	[EMB_STMT_POST_TEXT] = {.name = "find_embeddings.post_text",
		.sql = "SELECT CONCAT_WS('\\n', title, NULLIF(excerpt, ''), NULLIF(categories_text, ''), "
		"NULLIF(tags_text, ''), LEFT(content, 8000)) FROM find_posts WHERE tenant_id = ? AND search_doc = ? LIMIT 1",
		.tenant_bound = 1},
	[EMB_STMT_STORED_HASH] = {.name = "find_embeddings.stored_hash",
		.sql = "SELECT content_hash FROM find_embeddings WHERE " EMB_KEY " AND model = ?", .tenant_bound = 1},
	[EMB_STMT_SAVE] = {.name = "find_embeddings.save",
		.sql = "INSERT INTO find_embeddings (tenant_id, entity, doc, model, dimension, vector, content_hash) "
		"VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE model = VALUES(model), dimension = VALUES(dimension), "
		"vector = VALUES(vector), content_hash = VALUES(content_hash), updated_at = NOW(3)",
		.tenant_bound = 1, .retry_safe = 1},
	/* Only the version this process embedded, and only while it holds the claim. */
	[EMB_STMT_DEQUEUE] = {.name = "find_embeddings.dequeue",
		.sql = "DELETE FROM find_embedding_queue WHERE " EMB_KEY " AND claim_token = ? AND version = ?",
		.tenant_bound = 1, .retry_safe = 1},
	[EMB_STMT_UNCLAIM] = {.name = "find_embeddings.unclaim",
		.sql = "UPDATE find_embedding_queue SET claim_token = NULL, lease_until = NULL WHERE " EMB_KEY
		" AND claim_token = ?",
		.tenant_bound = 1, .retry_safe = 1},
	[EMB_STMT_FAIL] = {.name = "find_embeddings.fail",
		.sql = "UPDATE find_embedding_queue SET attempts = LEAST(attempts + 1, 255), "
		"next_attempt_at = NOW(3) + INTERVAL ? SECOND, claim_token = NULL, lease_until = NULL, last_error = ? "
		"WHERE " EMB_KEY " AND claim_token = ?",
		.tenant_bound = 1},
	[EMB_STMT_VECTORS] = {.name = "find_embeddings.vectors",
		.sql = "SELECT doc, vector FROM find_embeddings WHERE tenant_id = ? AND entity = ? AND model = ? "
		"AND doc IN (SELECT d.doc FROM JSON_TABLE(?, '$[*]' COLUMNS (doc INT UNSIGNED PATH '$')) d)",
		.tenant_bound = 1},
};

const struct db_statement_def *embedding_store_statement_table(size_t *count)
{
	*count = EMB_STMT__MAX;
	return embedding_statements;
}

int embedding_store_enqueue(struct db *db, uint64_t tenant_id, const char *entity, uint32_t doc)
{
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(entity), DB_UINT(doc)};
	return db_exec(db, &embedding_statements[EMB_STMT_ENQUEUE], params, 3, NULL, NULL);
}

int embedding_store_forget(struct db *db, uint64_t tenant_id, const char *entity, uint32_t doc)
{
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(entity), DB_UINT(doc)};
	int result = db_exec(db, &embedding_statements[EMB_STMT_FORGET_VECTOR], params, 3, NULL, NULL);
	if (result == DB_OK)
		result = db_exec(db, &embedding_statements[EMB_STMT_FORGET_QUEUED], params, 3, NULL, NULL);
	return result;
}

int embedding_store_new_token(char *token, size_t token_size)
{
	if (token_size < EMBEDDING_CLAIM_TOKEN_MAX)
		return -1;
	return hex_random(16, token, token_size);
}

struct embedding_due_list {
	struct embedding_claim *claims;
	size_t count;
	size_t limit;
};

static int embedding_store_due_row(void *callback_context, const struct db_row *row)
{
	struct embedding_due_list *list = callback_context;
	if (row->column_count != 5 || list->count >= list->limit || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	struct embedding_claim *claim = &list->claims[list->count++];
	memset(claim, 0, sizeof(*claim));
	claim->tenant_id = strtoull(row->values[0], NULL, 10);
	snprintf(claim->entity, sizeof(claim->entity), "%s", row->values[1]);
	claim->doc = (uint32_t)strtoul(row->values[2], NULL, 10);
	claim->version = (uint32_t)strtoul(row->values[3], NULL, 10);
	claim->attempts = (unsigned)strtoul(row->values[4], NULL, 10);
	return 0;
}

int embedding_store_claim(struct db *db, int installation_model, const char *token, int lease_s, size_t limit,
	struct embedding_claim *claims, size_t *claimed)
{
	*claimed = 0;
	if (limit > EMBEDDING_CLAIM_BATCH_MAX)
		limit = EMBEDDING_CLAIM_BATCH_MAX;
	struct embedding_due_list list = {claims, 0, limit};
	struct db_param due_params[] = {DB_INT(installation_model), DB_INT(installation_model), DB_INT((int64_t)limit)};
	int result = db_query(db, &embedding_statements[EMB_STMT_DUE], due_params, 3, embedding_store_due_row, &list);
	if (result != DB_OK)
		return result;
	size_t kept = 0;
	for (size_t i = 0; i < list.count; i++) {
		struct db_param params[] = {DB_TEXT(token), DB_INT(lease_s), DB_UINT(claims[i].tenant_id),
			DB_TEXT(claims[i].entity), DB_UINT(claims[i].doc)};
		uint64_t changed = 0;
		result = db_exec(db, &embedding_statements[EMB_STMT_CLAIM], params, 5, &changed, NULL);
		if (result == DB_DEADLOCK || (result == DB_OK && changed == 0))
			continue; /* another process won this row */
		if (result != DB_OK)
			break;
		claims[kept++] = claims[i];
	}
	*claimed = kept;
	return result == DB_DEADLOCK ? DB_OK : result;
}

struct embedding_text_row {
	struct embedding_document *document;
};

static int embedding_store_text_row(void *callback_context, const struct db_row *row)
{
	struct embedding_document *document = callback_context;
	if (row->column_count != 1 || row->values[0] == NULL || document->found)
		return 0;
	document->found = 1;
	size_t length = embedding_text_cut(row->values[0], row->lengths[0], EMBEDDING_TEXT_MAX);
	document->text = xstrndup(row->values[0], length);
	document->text_length = length;
	return 0;
}

static int embedding_store_hash_row(void *callback_context, const struct db_row *row)
{
	struct embedding_document *document = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL)
		snprintf(document->stored_hash, sizeof(document->stored_hash), "%s", row->values[0]);
	return 0;
}

int embedding_store_load(struct db *db, const struct embedding_claim *claim, const char *model,
	struct embedding_document *document)
{
	memset(document, 0, sizeof(*document));
	struct db_param params[] = {DB_UINT(claim->tenant_id), DB_UINT(claim->doc)};
	const struct db_statement_def *statement =
		&embedding_statements[strcmp(claim->entity, "post") == 0 ? EMB_STMT_POST_TEXT : EMB_STMT_PRODUCT_TEXT];
	int result = db_query(db, statement, params, 2, embedding_store_text_row, document);
	if (result == DB_OK && document->found) {
		struct db_param key[] = {DB_UINT(claim->tenant_id), DB_TEXT(claim->entity), DB_UINT(claim->doc),
			DB_TEXT(model)};
		result = db_query(db, &embedding_statements[EMB_STMT_STORED_HASH], key, 4, embedding_store_hash_row, document);
	}
	return result;
}

void embedding_store_document_free(struct embedding_document *document)
{
	free(document->text);
	document->text = NULL;
}

/* Removes the queue row of the claimed version, or lets a newer one go
 * back to the queue unclaimed. */
static int embedding_store_finish(struct db *db, const struct embedding_claim *claim, const char *token)
{
	struct db_param params[] = {DB_UINT(claim->tenant_id), DB_TEXT(claim->entity), DB_UINT(claim->doc),
		DB_TEXT(token), DB_UINT(claim->version)};
	uint64_t removed = 0;
	int result = db_exec(db, &embedding_statements[EMB_STMT_DEQUEUE], params, 5, &removed, NULL);
	if (result == DB_OK && removed == 0)
		result = db_exec(db, &embedding_statements[EMB_STMT_UNCLAIM], params, 4, NULL, NULL);
	return result;
}

int embedding_store_save(struct db *db, const struct embedding_claim *claim, const char *token, const char *model,
	const float *vector, size_t dimension, const char *content_hash)
{
	unsigned char *packed = xmalloc(dimension * 4);
	embedding_encode(vector, dimension, packed);
	struct db_param params[] = {DB_UINT(claim->tenant_id), DB_TEXT(claim->entity), DB_UINT(claim->doc),
		DB_TEXT(model), DB_UINT(dimension), DB_BLOB(packed, dimension * 4), DB_TEXT(content_hash)};
	int result = db_exec(db, &embedding_statements[EMB_STMT_SAVE], params, 7, NULL, NULL);
	free(packed);
	if (result == DB_OK)
		result = embedding_store_finish(db, claim, token);
	return result;
}

int embedding_store_done(struct db *db, const struct embedding_claim *claim, const char *token, int document_gone)
{
	int result = DB_OK;
	if (document_gone) {
		struct db_param key[] = {DB_UINT(claim->tenant_id), DB_TEXT(claim->entity), DB_UINT(claim->doc)};
		result = db_exec(db, &embedding_statements[EMB_STMT_FORGET_VECTOR], key, 3, NULL, NULL);
	}
	if (result == DB_OK)
		result = embedding_store_finish(db, claim, token);
	return result;
}

int embedding_store_fail(struct db *db, const struct embedding_claim *claim, const char *token, int delay_s,
	const char *error)
{
	if (delay_s < 0)
		return embedding_store_finish(db, claim, token);
	char kept[256];
	snprintf(kept, sizeof(kept), "%s", error);
	struct db_param params[] = {DB_INT(delay_s), DB_TEXT(kept), DB_UINT(claim->tenant_id), DB_TEXT(claim->entity),
		DB_UINT(claim->doc), DB_TEXT(token)};
	return db_exec(db, &embedding_statements[EMB_STMT_FAIL], params, 6, NULL, NULL);
}

int embedding_store_release(struct db *db, const struct embedding_claim *claim, const char *token)
{
	struct db_param params[] = {DB_UINT(claim->tenant_id), DB_TEXT(claim->entity), DB_UINT(claim->doc),
		DB_TEXT(token)};
	return db_exec(db, &embedding_statements[EMB_STMT_UNCLAIM], params, 4, NULL, NULL);
}

struct embedding_vector_rows {
	embedding_vector_callback callback;
	void *context;
};

static int embedding_store_vector_row(void *callback_context, const struct db_row *row)
{
	struct embedding_vector_rows *rows = callback_context;
	if (row->column_count != 2 || row->values[0] == NULL || row->values[1] == NULL)
		return 0;
	return rows->callback(rows->context, (uint32_t)strtoul(row->values[0], NULL, 10),
		(const unsigned char *)row->values[1], row->lengths[1]);
}

int embedding_store_vectors(struct db *db, uint64_t tenant_id, const char *entity, const char *model,
	const uint32_t *docs, size_t count, embedding_vector_callback callback, void *context)
{
	if (count == 0)
		return DB_OK;
	char *list = xmalloc(count * 11 + 3);
	size_t used = 0;
	list[used++] = '[';
	for (size_t i = 0; i < count; i++)
		used += (size_t)snprintf(list + used, 12, i ? ",%u" : "%u", (unsigned)docs[i]);
	list[used++] = ']';
	list[used] = '\0';
	struct db_param params[] = {DB_UINT(tenant_id), DB_TEXT(entity), DB_TEXT(model), DB_TEXT(list)};
	struct embedding_vector_rows rows = {callback, context};
	int result = db_query(db, &embedding_statements[EMB_STMT_VECTORS], params, 4, embedding_store_vector_row, &rows);
	free(list);
	return result;
}

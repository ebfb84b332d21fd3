/* Idempotency keys stored next to the records they protect. */
#include "modules/idempotency.h"
#include "handler/context.h"
#include "core/log.h"
#include "handler/respond.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum idempotency_statement {
	IDEMPOTENCY_STMT_EXPIRE,
	IDEMPOTENCY_STMT_RESERVE,
	IDEMPOTENCY_STMT_FIND,
	IDEMPOTENCY_STMT_STORE,
	IDEMPOTENCY_STMT_PURGE,
	IDEMPOTENCY_STMT__MAX
};

static const struct db_statement_def idempotency_statements[IDEMPOTENCY_STMT__MAX] = {
	[IDEMPOTENCY_STMT_EXPIRE] = {.name = "idempotency.expire",
		.sql = "DELETE FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ? AND created_at < NOW(3) - INTERVAL 1 DAY",
		.tenant_bound = 1},
	[IDEMPOTENCY_STMT_RESERVE] = {.name = "idempotency.reserve",
		.sql = "INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash, user_id) VALUES (?, ?, ?, ?)",
		.tenant_bound = 1},
	[IDEMPOTENCY_STMT_FIND] = {.name = "idempotency.find",
		.sql = "SELECT request_hash, status_code, response_data, response_message FROM idempotency_keys "
		"WHERE tenant_id = ? AND key_hash = ?",
		.tenant_bound = 1},
	[IDEMPOTENCY_STMT_STORE] = {.name = "idempotency.store",
		.sql = "UPDATE idempotency_keys SET status_code = ?, response_data = ?, response_message = ? "
		"WHERE tenant_id = ? AND key_hash = ?",
		.tenant_bound = 1},
	[IDEMPOTENCY_STMT_PURGE] = {.name = "idempotency.purge",
		.sql = "DELETE FROM idempotency_keys WHERE tenant_id = ? AND created_at < NOW(3) - INTERVAL 1 DAY LIMIT 1000",
		.tenant_bound = 1},
};

const struct db_statement_def *idempotency_statement_table(size_t *count)
{
	*count = IDEMPOTENCY_STMT__MAX;
	return idempotency_statements;
}

static void idempotency_sha256(const char *a, size_t a_length, const char *b, size_t b_length, unsigned char out[32])
{
	EVP_MD_CTX *digest = EVP_MD_CTX_new();
	unsigned int length = 0;
	EVP_DigestInit_ex(digest, EVP_sha256(), NULL);
	EVP_DigestUpdate(digest, a, a_length);
	EVP_DigestUpdate(digest, "\n", 1);
	EVP_DigestUpdate(digest, b, b_length);
	EVP_DigestFinal_ex(digest, out, &length);
	EVP_MD_CTX_free(digest);
}

static void idempotency_hashes(const struct request *request, unsigned char key_hash[32], unsigned char request_hash[32])
{
	idempotency_sha256("key", 3, request->idempotency_key, strlen(request->idempotency_key), key_hash);
	char target[2200];
	int length = snprintf(target, sizeof(target), "%s %s", request->method_text, request->path);
	idempotency_sha256(target, (size_t)length, request->body ? request->body : "", request->body_length, request_hash);
}

struct idempotency_row {
	int found;
	unsigned char request_hash[32];
	int status_code;
	char *data;
	char message[256];
};

static int idempotency_read(void *callback_context, const struct db_row *row)
{
	struct idempotency_row *out = callback_context;
	if (row->column_count != 4 || row->values[0] == NULL || row->lengths[0] != 32)
		return 0;
	out->found = 1;
	memcpy(out->request_hash, row->values[0], 32);
	out->status_code = row->values[1] ? atoi(row->values[1]) : 0;
	free(out->data);
	out->data = row->values[2] ? strdup(row->values[2]) : NULL;
	snprintf(out->message, sizeof(out->message), "%s", row->values[3] ? row->values[3] : "");
	return 0;
}

static int idempotency_key_is_acceptable(const char *key)
{
	size_t length = strlen(key);
	if (length == 0 || length > IDEMPOTENCY_KEY_MAX)
		return 0;
	for (const char *p = key; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

enum idempotency_outcome idempotency_begin(struct request_context *context, int *reserved)
{
	const struct request *request = context->request;
	*reserved = 0;
	if (request->idempotency_key == NULL)
		return IDEMPOTENCY_PROCEED;
	if (!idempotency_key_is_acceptable(request->idempotency_key)) {
		response_error(context->response, STATUS_VALIDATION_ERROR, "Invalid Idempotency-Key");
		response_add_detail(context->response, "Idempotency-Key", "1 to %d printable characters", IDEMPOTENCY_KEY_MAX);
		return IDEMPOTENCY_ANSWERED;
	}
	unsigned char key_hash[32], request_hash[32];
	idempotency_hashes(request, key_hash, request_hash);
	struct db_param key[] = {DB_UINT(request->auth.tenant_id), DB_BLOB(key_hash, 32)};
	struct db_param reserve[] = {DB_UINT(request->auth.tenant_id), DB_BLOB(key_hash, 32), DB_BLOB(request_hash, 32),
		DB_UINT(request->auth.user_id)};
	int result = db_exec(context->db, &idempotency_statements[IDEMPOTENCY_STMT_EXPIRE], key, 2, NULL, NULL);
	/* Now and then, clear this tenant's expired keys (tenant_id, created_at index). */
	if (result == DB_OK && (random() & 255) == 0)
		result = db_exec(context->db, &idempotency_statements[IDEMPOTENCY_STMT_PURGE], key, 1, NULL, NULL);
	if (result == DB_OK)
		result = db_exec(context->db, &idempotency_statements[IDEMPOTENCY_STMT_RESERVE], reserve, 4, NULL, NULL);
	if (result == DB_OK) {
		*reserved = 1;
		return IDEMPOTENCY_PROCEED;
	}
	if (result != DB_DUPLICATE) {
		respond_db_failure(context, result, "idempotency");
		return IDEMPOTENCY_ANSWERED;
	}
	/* The key exists: the earlier request committed (we waited for it).
	 * This request writes nothing, so its transaction ends here and the
	 * read below sees the committed row, not an older snapshot. */
	db_rollback(context->db);
	struct idempotency_row row = {0};
	result = db_query(context->db, &idempotency_statements[IDEMPOTENCY_STMT_FIND], key, 2, idempotency_read, &row);
	if (result != DB_OK) {
		free(row.data);
		respond_db_failure(context, result, "idempotency");
		return IDEMPOTENCY_ANSWERED;
	}
	if (!row.found || memcmp(row.request_hash, request_hash, 32) != 0) {
		response_error(context->response, STATUS_UNPROCESSABLE,
			"Idempotency-Key was already used for a different request");
	} else if (row.status_code == 0 || row.data == NULL) {
		response_error(context->response, STATUS_CONFLICT, "A request with this Idempotency-Key is still in progress");
	} else {
		enum json_tokener_error parse_error = json_tokener_success;
		json_object *data = json_tokener_parse_verbose(row.data, &parse_error);
		if (data == NULL) {
			/* Never a success without the stored answer (a client would take
			 * it for the record and find no id in it): say so, and why. */
			log_msg(LOG_LEVEL_ERROR, request->request_id, "idempotency: the stored answer (%zu bytes, status %d) "
				"does not parse: %s; starts %.48s", strlen(row.data), row.status_code,
				json_tokener_error_desc(parse_error), row.data);
			response_error(context->response, STATUS_INTERNAL_ERROR, "Internal error");
		} else {
			response_ok(context->response, row.status_code == 201 ? STATUS_CREATED : STATUS_OK, data,
				row.message);
			response_add_header(context->response, "Idempotent-Replayed", "true");
		}
	}
	free(row.data);
	return IDEMPOTENCY_ANSWERED;
}

int idempotency_finish(struct request_context *context)
{
	const struct request *request = context->request;
	const struct response *response = context->response;
	unsigned char key_hash[32], request_hash[32];
	idempotency_hashes(request, key_hash, request_hash);
	const char *data = response->data ? json_object_to_json_string_ext(response->data, JSON_C_TO_STRING_PLAIN) : "{}";
	struct db_param params[] = {DB_INT(status_http_code(response->status)), DB_TEXT(data), DB_TEXT(response->message),
		DB_UINT(request->auth.tenant_id), DB_BLOB(key_hash, 32)};
	return db_exec(context->db, &idempotency_statements[IDEMPOTENCY_STMT_STORE], params, 5, NULL, NULL);
}

/* The bench's minimal C peer: what a user could write instead of Intuka's
 * lead list, doing less. GET ...?page=P&limit=L with "Authorization: Bearer
 * <Intuka access token>". Per request: verify the HS256 JWT (alg, signature
 * with CRYPTO_memcmp, exp; reads tid and sub), upsert a per-user rate
 * counter on an InnoDB table (a durable commit, the count read back from the
 * OK packet), read one page of the tenant's live leads, answer JSON built
 * with json-c. No total, no session or revocation check, no RBAC, no access
 * log. Adapted from the reference peer (anchors/api.c) to the bench's data.
 * Environment: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, JWT_KEY_BASE64. */
#include <fcgiapp.h>
#include <json-c/json.h>
#include <mysql.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PEER_RATE_LIMIT 1000000000L /* checked on every request, never reached in the bench */
#define PEER_COLUMNS 7              /* text columns after the id */

static EVP_MAC_CTX *peer_mac; /* HMAC-SHA256 keyed once; duplicated per request */
static MYSQL *peer_db;
static MYSQL_STMT *peer_upsert, *peer_page;
static char peer_key[160];
static unsigned long peer_key_length;
static unsigned int peer_window;
static long long peer_tenant;
static int peer_limit, peer_offset;
static long long peer_row_id;
static char peer_row_text[PEER_COLUMNS][512];
static unsigned long peer_row_length[PEER_COLUMNS];
static const char *const peer_column_names[PEER_COLUMNS] = {"firstName", "lastName", "email", "company", "status",
	"source", "createdAt"};

static int peer_base64url_decode(const char *in, size_t length, unsigned char *out, size_t capacity)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static signed char table[256];
	if (!table['B']) {
		memset(table, -1, sizeof(table));
		for (int i = 0; i < 64; i++)
			table[(unsigned char)alphabet[i]] = (signed char)i;
	}
	size_t used = 0;
	unsigned value = 0;
	int bits = 0;
	for (size_t i = 0; i < length; i++) {
		int digit = table[(unsigned char)in[i]];
		if (digit < 0)
			return -1;
		value = (value << 6) | (unsigned)digit;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (used >= capacity)
				return -1;
			out[used++] = (unsigned char)((value >> bits) & 0xff);
		}
	}
	return (int)used;
}

static json_object *peer_base64url_json(const char *in, size_t length)
{
	unsigned char buffer[2048];
	int decoded = peer_base64url_decode(in, length, buffer, sizeof(buffer) - 1);
	if (decoded < 0)
		return NULL;
	buffer[decoded] = 0;
	return json_tokener_parse((char *)buffer);
}

/* 1 and tenant/sub set when the header holds a valid, unexpired HS256 JWT. */
static int peer_verify(const char *authorization, long long *tenant, char *sub, size_t sub_size)
{
	if (authorization == NULL || strncmp(authorization, "Bearer ", 7) != 0)
		return 0;
	const char *token = authorization + 7, *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return 0;
	json_object *header = peer_base64url_json(token, (size_t)(dot1 - token)), *value;
	int ok = header && json_object_object_get_ex(header, "alg", &value) &&
		strcmp(json_object_get_string(value), "HS256") == 0;
	json_object_put(header);
	if (!ok)
		return 0;
	unsigned char mac[EVP_MAX_MD_SIZE], signature[64];
	size_t mac_length = 0;
	EVP_MAC_CTX *context = EVP_MAC_CTX_dup(peer_mac);
	ok = context && EVP_MAC_update(context, (const unsigned char *)token, (size_t)(dot2 - token)) &&
		EVP_MAC_final(context, mac, &mac_length, sizeof(mac));
	EVP_MAC_CTX_free(context);
	int signature_length = peer_base64url_decode(dot2 + 1, strlen(dot2 + 1), signature, sizeof(signature));
	if (!ok || signature_length != (int)mac_length || CRYPTO_memcmp(signature, mac, mac_length) != 0)
		return 0;
	json_object *payload = peer_base64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1)), *exp, *tid, *subject;
	ok = payload && json_object_object_get_ex(payload, "exp", &exp) && json_object_object_get_ex(payload, "tid", &tid) &&
		json_object_object_get_ex(payload, "sub", &subject) && json_object_get_int64(exp) > (int64_t)time(NULL);
	if (ok) {
		*tenant = json_object_get_int64(tid);
		snprintf(sub, sub_size, "%s", json_object_get_string(subject));
	}
	json_object_put(payload);
	return ok;
}

static MYSQL_STMT *peer_prepare(const char *sql, MYSQL_BIND *params, MYSQL_BIND *results)
{
	MYSQL_STMT *statement = mysql_stmt_init(peer_db);
	if (statement == NULL || mysql_stmt_prepare(statement, sql, strlen(sql)) != 0 ||
		mysql_stmt_bind_param(statement, params) != 0 || (results && mysql_stmt_bind_result(statement, results) != 0)) {
		fprintf(stderr, "peer_list: prepare failed: %s\n", mysql_error(peer_db));
		exit(1);
	}
	return statement;
}

static void peer_bind(MYSQL_BIND *bind, enum enum_field_types type, void *buffer, unsigned long capacity,
	unsigned long *length)
{
	memset(bind, 0, sizeof(*bind));
	bind->buffer_type = type;
	bind->buffer = buffer;
	bind->buffer_length = capacity;
	bind->length = length;
}

static void peer_connect(void)
{
	const char *host = getenv("DB_HOST"), *user = getenv("DB_USER"), *password = getenv("DB_PASSWORD"),
		   *name = getenv("DB_NAME"), *port = getenv("DB_PORT");
	peer_db = mysql_init(NULL);
	if (!mysql_real_connect(peer_db, host, user, password, name, port ? (unsigned)atoi(port) : 0, NULL, 0)) {
		fprintf(stderr, "peer_list: connect failed: %s\n", mysql_error(peer_db));
		exit(1);
	}
	MYSQL_BIND upsert_params[2], page_params[3], page_results[1 + PEER_COLUMNS];
	peer_bind(&upsert_params[0], MYSQL_TYPE_STRING, peer_key, sizeof(peer_key), &peer_key_length);
	peer_bind(&upsert_params[1], MYSQL_TYPE_LONG, &peer_window, 0, NULL);
	upsert_params[1].is_unsigned = 1;
	peer_upsert = peer_prepare("INSERT INTO bench_peer_rate_counters (bucket_key, window_start, hits) VALUES (?, ?, 1) "
				   "ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + 1)",
		upsert_params, NULL);
	peer_bind(&page_params[0], MYSQL_TYPE_LONGLONG, &peer_tenant, 0, NULL);
	peer_bind(&page_params[1], MYSQL_TYPE_LONG, &peer_limit, 0, NULL);
	peer_bind(&page_params[2], MYSQL_TYPE_LONG, &peer_offset, 0, NULL);
	peer_bind(&page_results[0], MYSQL_TYPE_LONGLONG, &peer_row_id, 0, NULL);
	for (int i = 0; i < PEER_COLUMNS; i++)
		peer_bind(&page_results[1 + i], MYSQL_TYPE_STRING, peer_row_text[i], sizeof(peer_row_text[i]),
			&peer_row_length[i]);
	peer_page = peer_prepare("SELECT lead_id, first_name, last_name, email, company, status, source, created_at "
				 "FROM sales_leads WHERE tenant_id = ? AND deleted_at IS NULL "
				 "ORDER BY created_at DESC, lead_id DESC LIMIT ? OFFSET ?",
		page_params, page_results);
}

static long peer_query_int(const char *query, const char *name, long fallback)
{
	size_t length = strlen(name);
	for (const char *at = query; at && *at; at = strchr(at, '&') ? strchr(at, '&') + 1 : NULL)
		if (strncmp(at, name, length) == 0 && at[length] == '=')
			return atol(at + length + 1);
	return fallback;
}

static void peer_reply(FCGX_Request *request, const char *status, const char *extra, const char *body, size_t length)
{
	FCGX_FPrintF(request->out, "Status: %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n", status,
		extra, (int)length);
	FCGX_PutStr(body, (int)length, request->out);
}

static void peer_fail(FCGX_Request *request, const char *status, const char *message)
{
	char body[160];
	int length = snprintf(body, sizeof(body), "{\"success\":false,\"error\":\"%s\"}", message);
	peer_reply(request, status, "", body, (size_t)length);
}

static void peer_handle(FCGX_Request *request)
{
	const char *query = FCGX_GetParam("QUERY_STRING", request->envp);
	char sub[96], extra[64] = "";
	long long tenant;
	if (!peer_verify(FCGX_GetParam("HTTP_AUTHORIZATION", request->envp), &tenant, sub, sizeof(sub))) {
		peer_fail(request, "401 Unauthorized", "invalid token");
		return;
	}
	long page = peer_query_int(query, "page", 1), limit = peer_query_int(query, "limit", 25);
	if (page < 1)
		page = 1;
	if (limit < 1 || limit > 100)
		limit = 25;
	time_t now = time(NULL);
	peer_key_length = (unsigned long)snprintf(peer_key, sizeof(peer_key), "t%lld:%s", tenant, sub);
	peer_window = (unsigned int)(now - now % 60);
	if (mysql_stmt_execute(peer_upsert) != 0) {
		peer_fail(request, "500 Internal Server Error", "db");
		return;
	}
	long hits = mysql_stmt_affected_rows(peer_upsert) == 1 ? 1 : (long)mysql_stmt_insert_id(peer_upsert);
	if (hits > PEER_RATE_LIMIT) {
		peer_fail(request, "429 Too Many Requests", "rate limited");
		return;
	}
	snprintf(extra, sizeof(extra), "X-RateLimit-Remaining: %ld\r\n", PEER_RATE_LIMIT - hits);
	peer_tenant = tenant;
	peer_limit = (int)limit;
	peer_offset = (int)((page - 1) * limit);
	if (mysql_stmt_execute(peer_page) != 0) {
		peer_fail(request, "500 Internal Server Error", "db");
		return;
	}
	json_object *data = json_object_new_array_ext((int)limit);
	int status;
	while ((status = mysql_stmt_fetch(peer_page)) == 0 || status == MYSQL_DATA_TRUNCATED) {
		json_object *lead = json_object_new_object();
		json_object_object_add(lead, "id", json_object_new_int64(peer_row_id));
		for (int i = 0; i < PEER_COLUMNS; i++)
			json_object_object_add(lead, peer_column_names[i],
				json_object_new_string_len(peer_row_text[i], (int)peer_row_length[i]));
		json_object_array_add(data, lead);
	}
	mysql_stmt_free_result(peer_page);
	json_object *root = json_object_new_object(), *pagination = json_object_new_object();
	json_object_object_add(root, "success", json_object_new_boolean(1));
	json_object_object_add(root, "data", data);
	json_object_object_add(pagination, "page", json_object_new_int64(page));
	json_object_object_add(pagination, "limit", json_object_new_int64(limit));
	json_object_object_add(root, "pagination", pagination);
	size_t length;
	const char *text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &length);
	peer_reply(request, "200 OK", extra, text, length);
	json_object_put(root);
}

int main(void)
{
	const char *key_base64 = getenv("JWT_KEY_BASE64");
	unsigned char key[256];
	int key_length = key_base64 ? EVP_DecodeBlock(key, (const unsigned char *)key_base64, (int)strlen(key_base64)) : -1;
	if (key_length <= 0) {
		fprintf(stderr, "peer_list: set JWT_KEY_BASE64\n");
		return 1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	for (const char *end = key_base64 + strlen(key_base64); end > key_base64 && end[-1] == '='; end--)
		key_length--;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end()};
	peer_mac = EVP_MAC_CTX_new(hmac);
	if (peer_mac == NULL || !EVP_MAC_init(peer_mac, key, (size_t)key_length, params))
		return 1;
	mysql_library_init(0, NULL, NULL);
	peer_connect();
	FCGX_Request request;
	FCGX_Init();
	FCGX_InitRequest(&request, 0, 0);
	while (FCGX_Accept_r(&request) >= 0) {
		peer_handle(&request);
		FCGX_Finish_r(&request);
	}
	return 0;
}

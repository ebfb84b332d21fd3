/* FastCGI parameters and body into struct request, each limit checked on the
 * way in so a handler never sees an oversized or malformed input. */
#include "http/request.h"
#include "core/json_strict.h"
#include "core/hex.h"
#include "http/json_body.h"
#include "http/response.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const http_method_names[HTTP_METHOD__MAX] = {
	[HTTP_GET] = "GET",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_PATCH] = "PATCH",
	[HTTP_DELETE] = "DELETE",
	[HTTP_OPTIONS] = "OPTIONS",
	[HTTP_HEAD] = "HEAD",
	[HTTP_METHOD_OTHER] = "OTHER",
};

enum http_method http_method_parse(const char *text)
{
	for (int i = 0; i < HTTP_METHOD_OTHER; i++)
		if (strcmp(text, http_method_names[i]) == 0)
			return (enum http_method)i;
	return HTTP_METHOD_OTHER;
}

const char *http_method_name(enum http_method method)
{
	if ((unsigned)method >= HTTP_METHOD__MAX)
		return "OTHER";
	return http_method_names[method];
}

void request_init(struct request *request, struct arena *arena)
{
	memset(request, 0, sizeof(*request));
	request->arena = arena;
}

void request_reset(struct request *request)
{
	if (request->json_body != NULL)
		json_object_put(request->json_body);
	if (request->query_objects != NULL)
		json_object_put(request->query_objects);
	struct arena *arena = request->arena;
	request_init(request, arena);
}

const char *request_param(char **envp, const char *name)
{
	size_t name_length = strlen(name);
	for (char **entry = envp; entry != NULL && *entry != NULL; entry++)
		if (strncmp(*entry, name, name_length) == 0 && (*entry)[name_length] == '=')
			return *entry + name_length + 1;
	return NULL;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *request_percent_decode(struct arena *arena, const char *text, size_t length, int plus_is_space)
{
	char *decoded = arena_alloc(arena, length + 1);
	size_t out = 0;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if (c == '%') {
			int high = i + 1 < length ? hex_value(text[i + 1]) : -1;
			int low = i + 2 < length ? hex_value(text[i + 2]) : -1;
			if (high < 0 || low < 0)
				return NULL;
			char byte = (char)(high * 16 + low);
			if (byte == '\0')
				return NULL; /* an encoded NUL would truncate every C string after it */
			decoded[out++] = byte;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			decoded[out++] = ' ';
		} else {
			decoded[out++] = c;
		}
	}
	decoded[out] = '\0';
	return decoded;
}

static int request_id_is_acceptable(const char *candidate)
{
	size_t length = strlen(candidate);
	if (length == 0 || length > REQUEST_ID_MAX)
		return 0;
	for (const char *p = candidate; *p != '\0'; p++) {
		char c = *p;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			c == '_' || c == '.';
		if (!plain)
			return 0;
	}
	return 1;
}

void request_assign_id(struct request *request, const char *client_request_id)
{
	if (client_request_id != NULL && request_id_is_acceptable(client_request_id)) {
		snprintf(request->request_id, sizeof(request->request_id), "%s", client_request_id);
		return;
	}
	unsigned char random_bytes[16];
	if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1) {
		/* An id only needs to be unique enough to find log lines. */
		for (size_t i = 0; i < sizeof(random_bytes); i++)
			random_bytes[i] = (unsigned char)random();
	}
	hex_encode(random_bytes, sizeof(random_bytes), request->request_id);
}

/* 1 when text is UTF-8 throughout (json_strict_utf8_length): what the
 * database stores and a JSON answer can carry back. */
static int request_is_utf8(const char *text)
{
	size_t length = strlen(text);
	for (size_t at = 0; at < length;) {
		size_t sequence = json_strict_utf8_length(text + at, length - at);
		if (sequence == 0)
			return 0;
		at += sequence;
	}
	return 1;
}

/* Split "a=1&b=2" into decoded pairs, bounded by max_params. */
static int request_parse_query(struct request *request, const struct request_limits *limits,
	struct response *response)
{
	const char *query = request->query_string;
	size_t count = 0;
	if (*query != '\0') {
		count = 1;
		for (const char *p = query; *p != '\0'; p++)
			count += *p == '&';
	}
	if (count > limits->max_query_params) {
		response_error(response, STATUS_VALIDATION_ERROR, "Too many query parameters");
		response_add_detail(response, "query", "at most %zu parameters are accepted", limits->max_query_params);
		return -1;
	}
	request->query_params = arena_alloc(request->arena, (count ? count : 1) * sizeof(struct query_param));
	size_t stored = 0;
	const char *cursor = query;
	while (*query != '\0') {
		const char *end = strchr(cursor, '&');
		size_t pair_length = end ? (size_t)(end - cursor) : strlen(cursor);
		if (pair_length > 0) {
			const char *equals = memchr(cursor, '=', pair_length);
			size_t name_length = equals ? (size_t)(equals - cursor) : pair_length;
			const char *value_start = equals ? equals + 1 : cursor + pair_length;
			size_t value_length = pair_length - (size_t)(value_start - cursor);
			char *name = request_percent_decode(request->arena, cursor, name_length, 1);
			char *value = request_percent_decode(request->arena, value_start, value_length, 1);
			if (name == NULL || value == NULL) {
				response_error(response, STATUS_VALIDATION_ERROR, "Malformed query string");
				response_add_detail(response, "query", "invalid percent-encoding");
				return -1;
			}
			/* Every parameter is text: bytes that are not UTF-8 could be
			 * neither stored, nor compared, nor named back in an answer. */
			if (!request_is_utf8(name) || !request_is_utf8(value)) {
				response_error(response, STATUS_VALIDATION_ERROR, "Malformed query string");
				response_add_detail(response, "query", "names and values must be UTF-8 once percent-decoded");
				return -1;
			}
			request->query_params[stored].name = name;
			request->query_params[stored].value = value;
			stored++;
		}
		if (end == NULL)
			break;
		cursor = end + 1;
	}
	request->query_param_count = stored;
	return 0;
}

/* A body without CONTENT_LENGTH: mod_proxy_fcgi streams a large chunked
 * request body that way, to the end of the FastCGI stdin. Read to that end,
 * one byte past the limit to tell "too large" from "exactly the limit". */
static int request_read_body_to_end(struct request *request, request_body_reader read_body, void *reader_context,
	const struct request_limits *limits, struct response *response)
{
	char *body = arena_alloc(request->arena, limits->max_body_bytes + 2);
	size_t received = 0;
	while (received <= limits->max_body_bytes) {
		long got = read_body(reader_context, body + received, limits->max_body_bytes + 1 - received);
		if (got <= 0)
			break;
		received += (size_t)got;
	}
	if (received > limits->max_body_bytes) {
		response_error(response, STATUS_PAYLOAD_TOO_LARGE, "Request body too large");
		response_add_detail(response, "body", "at most %zu bytes are accepted", limits->max_body_bytes);
		return -1;
	}
	if (received == 0)
		return 0;
	body[received] = '\0';
	request->body = body;
	request->body_length = received;
	return 0;
}

static int request_read_body(struct request *request, request_body_reader read_body, void *reader_context,
	const char *content_length_text, int body_without_length, const struct request_limits *limits,
	struct response *response)
{
	if (content_length_text == NULL || *content_length_text == '\0')
		return body_without_length
			? request_read_body_to_end(request, read_body, reader_context, limits, response)
			: 0;
	char *end = NULL;
	unsigned long long declared = strtoull(content_length_text, &end, 10);
	if (end == content_length_text || *end != '\0') {
		response_error(response, STATUS_VALIDATION_ERROR, "Invalid Content-Length");
		return -1;
	}
	if (declared > limits->max_body_bytes) {
		response_error(response, STATUS_PAYLOAD_TOO_LARGE, "Request body too large");
		response_add_detail(response, "body", "at most %zu bytes are accepted", limits->max_body_bytes);
		return -1;
	}
	if (declared == 0)
		return 0;
	char *body = arena_alloc(request->arena, (size_t)declared + 1);
	size_t received = 0;
	while (received < declared) {
		long got = read_body(reader_context, body + received, (size_t)declared - received);
		if (got <= 0)
			break;
		received += (size_t)got;
	}
	if (received != declared) {
		response_error(response, STATUS_VALIDATION_ERROR, "Request body shorter than its Content-Length");
		return -1;
	}
	body[received] = '\0';
	request->body = body;
	request->body_length = received;
	return 0;
}

static int request_content_type_is_json(const char *content_type)
{
	if (content_type == NULL)
		return 0;
	static const char json_type[] = "application/json";
	if (strncasecmp(content_type, json_type, sizeof(json_type) - 1) != 0)
		return 0;
	char after = content_type[sizeof(json_type) - 1];
	return after == '\0' || after == ';' || after == ' ';
}

static size_t request_header_bytes(char **envp)
{
	/* Only what the client sent: HTTP_* parameters, name and value. */
	size_t total = 0;
	for (char **entry = envp; entry != NULL && *entry != NULL; entry++)
		if (strncmp(*entry, "HTTP_", 5) == 0)
			total += strlen(*entry) - 5;
	return total;
}

/* A parameter copied into the request's arena: libfcgi frees its own copy
 * when the answer is finished, and work after the answer (an audit entry,
 * a mail) still reads the request. NULL when absent. */
static const char *request_env_copy(struct request *request, char **envp, const char *name)
{
	const char *value = request_param(envp, name);
	return value ? arena_strdup(request->arena, value) : NULL;
}

int request_parse(struct request *request, char **envp, request_body_reader read_body, void *reader_context,
	const struct request_limits *limits, struct response *response)
{
	request_assign_id(request, request_param(envp, "HTTP_X_REQUEST_ID"));

	const char *method = request_param(envp, "REQUEST_METHOD");
	request->method_text = arena_strdup(request->arena, method ? method : "");
	request->method = http_method_parse(request->method_text);

	/* REQUEST_URI is set alike by lighttpd, mod_proxy_fcgi and mod_fcgid,
	 * unlike SCRIPT_NAME/PATH_INFO which each server splits differently. */
	const char *uri = request_param(envp, "REQUEST_URI");
	if (uri == NULL || uri[0] != '/')
		uri = "/";
	const char *question = strchr(uri, '?');
	size_t path_length = question ? (size_t)(question - uri) : strlen(uri);
	if (path_length > limits->max_path_bytes) {
		request->path = arena_strndup(request->arena, uri, 64);
		response_error(response, STATUS_URI_TOO_LONG, "Request path too long");
		response_add_detail(response, "path", "at most %zu bytes are accepted", limits->max_path_bytes);
		return -1;
	}
	request->path = arena_strndup(request->arena, uri, path_length);
	request->query_string = question ? arena_strdup(request->arena, question + 1) : "";

	if (request_header_bytes(envp) > limits->max_header_bytes) {
		response_error(response, STATUS_HEADERS_TOO_LARGE, "Request headers too large");
		response_add_detail(response, "headers", "at most %zu bytes are accepted", limits->max_header_bytes);
		return -1;
	}
	request->content_type = request_env_copy(request, envp, "CONTENT_TYPE");
	request->host = request_env_copy(request, envp, "HTTP_HOST");
	request->origin = request_env_copy(request, envp, "HTTP_ORIGIN");
	request->authorization = request_env_copy(request, envp, "HTTP_AUTHORIZATION");
	request->remote_addr = request_env_copy(request, envp, "REMOTE_ADDR");
	request->if_match = request_env_copy(request, envp, "HTTP_IF_MATCH");
	request->idempotency_key = request_env_copy(request, envp, "HTTP_IDEMPOTENCY_KEY");
	request->workspace_header = request_env_copy(request, envp, "HTTP_X_WORKSPACE_ID");
	request->cors_request_method = request_env_copy(request, envp, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	request->user_agent = request_env_copy(request, envp, "HTTP_USER_AGENT");

	if (request_parse_query(request, limits, response) != 0)
		return -1;
	/* Only a Transfer-Encoding announces a body that has no length (RFC 9112
	 * 6.1); without either there is none to read. */
	if (request_read_body(request, read_body, reader_context, request_param(envp, "CONTENT_LENGTH"),
		    request_param(envp, "HTTP_TRANSFER_ENCODING") != NULL, limits, response) != 0)
		return -1;
	if (request->body_length == 0)
		return 0;
	if (!request_content_type_is_json(request->content_type)) {
		response_error(response, STATUS_UNSUPPORTED_MEDIA_TYPE, "Request body must be application/json");
		return -1;
	}
	return json_body_parse(request->body, request->body_length, limits->max_json_depth, &request->json_body,
		response);
}

const char *request_query(const struct request *request, const char *name)
{
	for (size_t i = 0; i < request->query_param_count; i++)
		if (strcmp(request->query_params[i].name, name) == 0)
			return request->query_params[i].value;
	return NULL;
}

const char *request_path_param(const struct request *request, const char *name)
{
	for (size_t i = 0; i < request->path_params.count; i++)
		if (strcmp(request->path_params.names[i], name) == 0)
			return request->path_params.values[i];
	return NULL;
}

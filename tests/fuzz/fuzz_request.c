/* Fuzz target for the request parser (request_parse, http/request.c) with
 * the product's default limits (core/config.c). The input is a request
 * written much like HTTP, so seeds can be read and written by hand:
 *   first line     METHOD SP REQUEST_URI   (the URI with its query string)
 *   header lines   Name: value             up to the first empty line;
 *                  Content-Type and Content-Length become CONTENT_TYPE and
 *                  CONTENT_LENGTH, any other name HTTP_<NAME> (upper case,
 *                  '-' as '_'), as the web servers pass them
 *   body           every byte after the empty line; without a
 *                  Content-Length header, CONTENT_LENGTH is its length
 * Lines end at LF, and a CR before it is dropped. Parameters are C strings,
 * so a NUL byte ends the field it is in (the body may hold any byte).
 * Properties: it never crashes, leaks or reads past a field; a refusal is a
 * 4xx whose envelope is strict JSON; an accepted request has a path within
 * the limit, at most the allowed number of query parameters, a plain
 * request id, a body within the limit whose JSON tree, written back, is
 * strict JSON again; and its query parameters, percent-encoded again and
 * parsed again, come back the same, in the same order. */
#include "fuzz_check.h"

#include "core/arena.h"
#include "core/config.h"
#include "http/request.h"

#include <stdio.h>

#define FUZZ_REQUEST_MAX_PARAMS 64

struct fuzz_request_body {
	const char *data;
	size_t length;
	size_t position;
};

static long fuzz_request_read(void *context, char *buffer, size_t buffer_size)
{
	struct fuzz_request_body *body = context;
	size_t left = body->length - body->position;
	/* Short reads, as a slow client gives them: the parser must loop. */
	size_t chunk = left < buffer_size ? left : buffer_size;
	if (chunk > 1000)
		chunk = 1000;
	memcpy(buffer, body->data + body->position, chunk);
	body->position += chunk;
	return (long)chunk;
}

/* The product's defaults, read as the pipeline reads its configuration. */
static const struct request_limits *fuzz_request_limits(void)
{
	static struct request_limits limits;
	static int ready;
	if (!ready) {
		struct config config;
		config_set_defaults(&config);
		limits.max_body_bytes = (size_t)config.max_body_bytes;
		limits.max_header_bytes = (size_t)config.max_header_bytes;
		limits.max_path_bytes = (size_t)config.max_path_bytes;
		limits.max_json_depth = config.max_json_depth;
		limits.max_query_params = (size_t)config.max_query_params;
		ready = 1;
	}
	return &limits;
}

/* "NAME=value" in the arena; a NUL in value ends it. */
static char *fuzz_request_param(struct arena *arena, const char *name, const char *value, size_t value_length)
{
	size_t name_length = strlen(name);
	char *entry = arena_alloc(arena, name_length + 1 + value_length + 1);
	memcpy(entry, name, name_length);
	entry[name_length] = '=';
	memcpy(entry + name_length + 1, value, value_length);
	entry[name_length + 1 + value_length] = '\0';
	return entry;
}

/* HTTP_<NAME> for a header name: upper case, '-' as '_'. */
static char *fuzz_request_header_name(struct arena *arena, const char *name, size_t length)
{
	char *converted = arena_alloc(arena, 5 + length + 1);
	memcpy(converted, "HTTP_", 5);
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		converted[5 + i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	converted[5 + length] = '\0';
	return converted;
}

/* One line from *cursor (LF excluded, a CR before it dropped); 0 at the end. */
static int fuzz_request_line(const char **cursor, const char *end, const char **line, size_t *length)
{
	if (*cursor >= end)
		return 0;
	const char *newline = memchr(*cursor, '\n', (size_t)(end - *cursor));
	const char *stop = newline ? newline : end;
	*line = *cursor;
	*length = (size_t)(stop - *cursor);
	if (*length > 0 && (*line)[*length - 1] == '\r')
		(*length)--;
	*cursor = newline ? newline + 1 : end;
	return 1;
}

/* Splits the input into envp (in the arena) and the body. */
static void fuzz_request_split(struct arena *arena, const char *input, size_t size, char **envp,
	struct fuzz_request_body *body)
{
	const char *cursor = input, *end = input + size, *line = NULL;
	size_t length = 0, count = 0, max_entries = FUZZ_REQUEST_MAX_PARAMS - 2;
	int has_content_length = 0;
	envp[count++] = "REMOTE_ADDR=127.0.0.1";
	if (fuzz_request_line(&cursor, end, &line, &length)) {
		const char *space = memchr(line, ' ', length);
		size_t method_length = space ? (size_t)(space - line) : length;
		envp[count++] = fuzz_request_param(arena, "REQUEST_METHOD", line, method_length);
		if (space != NULL)
			envp[count++] = fuzz_request_param(arena, "REQUEST_URI", space + 1, length - method_length - 1);
	}
	while (fuzz_request_line(&cursor, end, &line, &length) && length > 0) {
		if (count >= max_entries)
			continue;
		const char *colon = memchr(line, ':', length);
		size_t name_length = colon ? (size_t)(colon - line) : length;
		const char *value = colon ? colon + 1 : line + length;
		while (value < line + length && (*value == ' ' || *value == '\t'))
			value++;
		size_t value_length = (size_t)(line + length - value);
		char *name = fuzz_request_header_name(arena, line, name_length);
		if (strcmp(name, "HTTP_CONTENT_TYPE") == 0) {
			name = "CONTENT_TYPE";
		} else if (strcmp(name, "HTTP_CONTENT_LENGTH") == 0) {
			name = "CONTENT_LENGTH";
			has_content_length = 1;
		}
		envp[count++] = fuzz_request_param(arena, name, value, value_length);
	}
	body->data = cursor;
	body->length = (size_t)(end - cursor);
	body->position = 0;
	if (!has_content_length) {
		char text[32];
		int written = snprintf(text, sizeof(text), "%zu", body->length);
		envp[count++] = fuzz_request_param(arena, "CONTENT_LENGTH", text, (size_t)written);
	}
	envp[count] = NULL;
}

static int fuzz_request_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		c == '_' || c == '~';
}

/* Appends text percent-encoded (every byte but the unreserved ones). */
static size_t fuzz_request_encode(char *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t used = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (fuzz_request_unreserved(*p)) {
			out[used++] = (char)*p;
		} else {
			out[used++] = '%';
			out[used++] = hex[*p >> 4];
			out[used++] = hex[*p & 0xf];
		}
	}
	return used;
}

/* Accept => re-serialise => accept: the decoded parameters, encoded again
 * behind the same path, parse to the same list. */
static void fuzz_request_query_round_trip(const struct request *first, const struct request_limits *limits)
{
	size_t capacity = strlen("REQUEST_URI=") + strlen(first->path) + 2;
	for (size_t i = 0; i < first->query_param_count; i++)
		capacity += 3 * (strlen(first->query_params[i].name) + strlen(first->query_params[i].value)) + 2;
	char *uri = malloc(capacity);
	FUZZ_REQUIRE(uri != NULL);
	size_t used = (size_t)snprintf(uri, capacity, "REQUEST_URI=%s", first->path);
	for (size_t i = 0; i < first->query_param_count; i++) {
		uri[used++] = i == 0 ? '?' : '&';
		used += fuzz_request_encode(uri + used, first->query_params[i].name);
		uri[used++] = '=';
		used += fuzz_request_encode(uri + used, first->query_params[i].value);
	}
	uri[used] = '\0';
	FUZZ_REQUIRE(used < capacity);

	char *envp[] = {"REQUEST_METHOD=GET", uri, NULL};
	struct arena arena;
	arena_init(&arena, 4096);
	struct request again;
	struct response response;
	request_init(&again, &arena);
	response_init(&response);
	FUZZ_REQUIRE(request_parse(&again, envp, NULL, NULL, limits, &response) == 0);
	FUZZ_REQUIRE(strcmp(again.path, first->path) == 0);
	FUZZ_REQUIRE(again.query_param_count == first->query_param_count);
	for (size_t i = 0; i < first->query_param_count; i++) {
		FUZZ_REQUIRE(strcmp(again.query_params[i].name, first->query_params[i].name) == 0);
		FUZZ_REQUIRE(strcmp(again.query_params[i].value, first->query_params[i].value) == 0);
	}
	request_reset(&again);
	response_reset(&response);
	arena_destroy(&arena);
	free(uri);
}

static void fuzz_request_require_accepted(const struct request *request, const struct request_limits *limits)
{
	FUZZ_REQUIRE(request->path != NULL && request->path[0] == '/');
	FUZZ_REQUIRE(strlen(request->path) <= limits->max_path_bytes && strchr(request->path, '?') == NULL);
	FUZZ_REQUIRE(request->query_string != NULL && request->query_param_count <= limits->max_query_params);
	FUZZ_REQUIRE(request->method_text != NULL && request->method < HTTP_METHOD__MAX);

	size_t id_length = strlen(request->request_id);
	FUZZ_REQUIRE(id_length > 0 && id_length <= REQUEST_ID_MAX);
	FUZZ_REQUIRE(strspn(request->request_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
		id_length);

	FUZZ_REQUIRE(request->body_length <= limits->max_body_bytes);
	FUZZ_REQUIRE(request->body_length == 0 || request->body[request->body_length] == '\0');
	if (request->json_body != NULL) {
		size_t written_length = 0;
		const char *written = json_object_to_json_string_length(request->json_body, JSON_C_TO_STRING_PLAIN,
			&written_length);
		FUZZ_REQUIRE(json_strict_check(written, written_length, limits->max_json_depth, NULL) == 0);
	}
	for (size_t i = 0; i < request->query_param_count; i++)
		FUZZ_REQUIRE(request_query(request, request->query_params[i].name) != NULL);
	fuzz_request_query_round_trip(request, limits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct request_limits *limits = fuzz_request_limits();
	char *input = fuzz_copy(data, size);
	struct arena arena;
	arena_init(&arena, 4096);
	char *envp[FUZZ_REQUEST_MAX_PARAMS + 1];
	struct fuzz_request_body body;
	fuzz_request_split(&arena, input, size, envp, &body);

	struct request request;
	struct response response;
	request_init(&request, &arena);
	response_init(&response);
	int result = request_parse(&request, envp, fuzz_request_read, &body, limits, &response);
	FUZZ_REQUIRE(result == 0 || result == -1);
	if (result == 0) {
		FUZZ_REQUIRE(response.status == STATUS_OK && response.details == NULL);
		fuzz_request_require_accepted(&request, limits);
	} else {
		fuzz_require_refusal(&response);
	}
	request_reset(&request);
	response_reset(&response);
	arena_destroy(&arena);
	free(input);
	return 0;
}

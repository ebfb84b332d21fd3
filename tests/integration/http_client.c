/*
 * libcurl wrapper for the integration tests (see http_client.h). Response
 * buffers grow as data arrives and are capped, so a misbehaving server cannot
 * make the test program itself run out of memory.
 */
#include "http_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

enum {
	HTTP_CLIENT_TIMEOUT_MS = 10000,
	HTTP_CLIENT_MAX_BODY_BYTES = 8 * 1024 * 1024,
	HTTP_CLIENT_MAX_HEADERS = 128,
};

static char *http_client_base_url;

bool http_client_global_init(const char *base_url)
{
	size_t length = strlen(base_url);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return false;
	/* Tests write paths with their leading '/', so drop a trailing one here
	 * rather than producing "//api/v1/..." which a router may treat differently. */
	while (length > 0 && base_url[length - 1] == '/')
		length--;
	http_client_base_url = strndup(base_url, length);
	if (http_client_base_url == NULL) {
		curl_global_cleanup();
		return false;
	}
	return true;
}

void http_client_global_cleanup(void)
{
	free(http_client_base_url);
	http_client_base_url = NULL;
	curl_global_cleanup();
}

/* Collects the body and remembers that it overflowed instead of aborting mid-transfer. */
struct body_sink {
	struct http_response *response;
	size_t capacity;
	bool overflowed;
};

static size_t http_client_on_body(char *data, size_t size, size_t count, void *context)
{
	struct body_sink *sink = context;
	struct http_response *response = sink->response;
	size_t chunk_length = size * count;

	if (response->body_length + chunk_length > HTTP_CLIENT_MAX_BODY_BYTES) {
		sink->overflowed = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (response->body_length + chunk_length + 1 > sink->capacity) {
		size_t new_capacity = sink->capacity == 0 ? 4096 : sink->capacity;
		char *grown;

		while (new_capacity < response->body_length + chunk_length + 1)
			new_capacity *= 2;
		grown = realloc(response->body, new_capacity);
		if (grown == NULL)
			return 0;
		response->body = grown;
		sink->capacity = new_capacity;
	}
	memcpy(response->body + response->body_length, data, chunk_length);
	response->body_length += chunk_length;
	response->body[response->body_length] = '\0';
	return chunk_length;
}

static void http_response_free_headers(struct http_response *response)
{
	for (size_t i = 0; i < response->header_count; i++) {
		free(response->headers[i].name);
		free(response->headers[i].value);
	}
	free(response->headers);
	response->headers = NULL;
	response->header_count = 0;
}

static size_t http_client_on_header(char *data, size_t size, size_t count, void *context)
{
	struct http_response *response = context;
	size_t line_length = size * count;
	const char *colon;
	size_t name_length, value_start, value_end;
	struct http_header *grown;

	/* A status line starts a new response (after "100 Continue"): only the
	 * headers of the final one describe what the test receives. */
	if (line_length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		http_response_free_headers(response);
		return line_length;
	}
	colon = memchr(data, ':', line_length);
	if (colon == NULL)
		return line_length; /* the blank line ending the header block */
	if (response->header_count >= HTTP_CLIENT_MAX_HEADERS)
		return line_length;

	name_length = (size_t)(colon - data);
	value_start = name_length + 1;
	value_end = line_length;
	while (value_start < value_end && isspace((unsigned char)data[value_start]))
		value_start++;
	while (value_end > value_start && isspace((unsigned char)data[value_end - 1]))
		value_end--;

	grown = realloc(response->headers, (response->header_count + 1) * sizeof *grown);
	if (grown == NULL)
		return 0;
	response->headers = grown;
	grown[response->header_count].name = strndup(data, name_length);
	grown[response->header_count].value = strndup(data + value_start, value_end - value_start);
	if (grown[response->header_count].name == NULL || grown[response->header_count].value == NULL) {
		free(grown[response->header_count].name);
		free(grown[response->header_count].value);
		return 0;
	}
	response->header_count++;
	return line_length;
}

/* Builds the curl header list; NULL with *failed set when out of memory. */
static struct curl_slist *http_client_header_list(const struct http_request *request, bool *failed)
{
	struct curl_slist *list = NULL, *appended;
	char content_type_line[256];

	*failed = false;
	/* Without this curl sends "Expect: 100-continue" for large bodies and
	 * waits for the server; sending the whole body keeps the exchange simple
	 * and identical across lighttpd and Apache. */
	appended = curl_slist_append(list, "Expect:");
	if (appended == NULL)
		goto out_of_memory;
	list = appended;

	if (request->content_type != NULL) {
		snprintf(content_type_line, sizeof content_type_line, "Content-Type: %s", request->content_type);
	} else {
		/* curl would otherwise add application/x-www-form-urlencoded to a
		 * POST, and the test would not be sending what it claims. */
		snprintf(content_type_line, sizeof content_type_line, "Content-Type:");
	}
	appended = curl_slist_append(list, content_type_line);
	if (appended == NULL)
		goto out_of_memory;
	list = appended;

	for (const char *const *line = request->extra_headers; line != NULL && *line != NULL; line++) {
		appended = curl_slist_append(list, *line);
		if (appended == NULL)
			goto out_of_memory;
		list = appended;
	}
	return list;

out_of_memory:
	curl_slist_free_all(list);
	*failed = true;
	return NULL;
}

bool http_client_send(const struct http_request *request, struct http_response *response,
					  char *error_text, size_t error_text_size)
{
	CURL *handle = NULL;
	struct curl_slist *header_list = NULL;
	struct body_sink sink = { .response = response, .capacity = 0, .overflowed = false };
	char curl_error[CURL_ERROR_SIZE] = "";
	char *url = NULL;
	bool header_list_failed = false, sent = false;
	CURLcode result;

	memset(response, 0, sizeof *response);
	if (http_client_base_url == NULL) {
		snprintf(error_text, error_text_size, "http_client_global_init was not called");
		return false;
	}
	/* An empty body buffer lets callers use response->body as a string even
	 * when the server sent nothing. */
	response->body = calloc(1, 1);
	if (response->body == NULL)
		goto out_of_memory;
	sink.capacity = 1;

	if (asprintf(&url, "%s%s", http_client_base_url, request->path_and_query) < 0) {
		url = NULL;
		goto out_of_memory;
	}
	header_list = http_client_header_list(request, &header_list_failed);
	if (header_list_failed)
		goto out_of_memory;
	handle = curl_easy_init();
	if (handle == NULL) {
		snprintf(error_text, error_text_size, "curl_easy_init failed");
		goto done;
	}

#define SET_OPTION(option, value)                                                         \
	do {                                                                                  \
		if (curl_easy_setopt(handle, option, value) != CURLE_OK) {                        \
			snprintf(error_text, error_text_size, "curl_easy_setopt(%s) failed", #option); \
			goto done;                                                                    \
		}                                                                                 \
	} while (0)

	SET_OPTION(CURLOPT_URL, url);
	SET_OPTION(CURLOPT_ERRORBUFFER, curl_error);
	SET_OPTION(CURLOPT_NOSIGNAL, 1L);
	SET_OPTION(CURLOPT_TIMEOUT_MS, (long)HTTP_CLIENT_TIMEOUT_MS);
	SET_OPTION(CURLOPT_NOPROXY, "*");
	/* The base URL is plain http on loopback (test_environment.c checks). */
	SET_OPTION(CURLOPT_PROTOCOLS_STR, "http");
	SET_OPTION(CURLOPT_FOLLOWLOCATION, 0L);
	/* The contract cases send odd paths on purpose; curl must not squash "/../". */
	SET_OPTION(CURLOPT_PATH_AS_IS, 1L);
	SET_OPTION(CURLOPT_HTTPHEADER, header_list);
	SET_OPTION(CURLOPT_WRITEFUNCTION, http_client_on_body);
	SET_OPTION(CURLOPT_WRITEDATA, &sink);
	SET_OPTION(CURLOPT_HEADERFUNCTION, http_client_on_header);
	SET_OPTION(CURLOPT_HEADERDATA, response);

	if (request->body != NULL) {
		SET_OPTION(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
		SET_OPTION(CURLOPT_POSTFIELDS, request->body);
	} else if (strcmp(request->method, "POST") == 0) {
		SET_OPTION(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		SET_OPTION(CURLOPT_POSTFIELDS, "");
	}
	/* POSTFIELDS makes curl say POST; the custom request keeps the method the
	 * test asked for (e.g. a GET with a body) while still sending the body. */
	if (strcmp(request->method, "GET") != 0 || request->body != NULL)
		SET_OPTION(CURLOPT_CUSTOMREQUEST, request->method);
#undef SET_OPTION

	result = curl_easy_perform(handle);
	if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response->status) != CURLE_OK)
		response->status = 0;
	if (result != CURLE_OK) {
		snprintf(error_text, error_text_size, "%s %s: %s%s", request->method, url,
				 curl_error[0] != '\0' ? curl_error : curl_easy_strerror(result),
				 sink.overflowed ? " (response body over the test client's cap)" : "");
		goto done;
	}
	sent = true;
	goto done;

out_of_memory:
	snprintf(error_text, error_text_size, "out of memory building the request");
done:
	if (handle != NULL)
		curl_easy_cleanup(handle);
	curl_slist_free_all(header_list);
	free(url);
	return sent;
}

const char *http_response_header(const struct http_response *response, const char *name)
{
	for (size_t i = 0; i < response->header_count; i++) {
		if (strcasecmp(response->headers[i].name, name) == 0)
			return response->headers[i].value;
	}
	return NULL;
}

void http_response_free(struct http_response *response)
{
	http_response_free_headers(response);
	free(response->body);
	response->body = NULL;
	response->body_length = 0;
	response->status = 0;
}

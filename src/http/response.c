/* Envelope rendering: {"success":true,"data",...} or {"success":false,"error":{...}}. */
#include "http/response.h"
#include "core/alloc.h"
#include "core/json_strict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* U+FFFD REPLACEMENT CHARACTER, for a byte that begins no UTF-8 character. */
#define RESPONSE_REPLACEMENT "\xef\xbf\xbd"
#define RESPONSE_REPLACEMENT_BYTES 3

/* Copies text into out (out_size >= 1) as valid UTF-8: a byte that begins
 * no valid sequence becomes U+FFFD, and a cut at out_size falls between
 * characters. Details echo what the client sent (a parameter's name may
 * hold any byte, a member name cut to fit may end inside a character), and
 * an envelope must stay JSON, which is UTF-8. */
static void response_copy_utf8(char *out, size_t out_size, const char *text)
{
	size_t used = 0, length = strlen(text);
	for (size_t at = 0; at < length;) {
		size_t sequence = json_strict_utf8_length(text + at, length - at);
		const char *piece = sequence ? text + at : RESPONSE_REPLACEMENT;
		size_t piece_length = sequence ? sequence : RESPONSE_REPLACEMENT_BYTES;
		if (used + piece_length >= out_size)
			break;
		memcpy(out + used, piece, piece_length);
		used += piece_length;
		at += sequence ? sequence : 1;
	}
	out[used] = '\0';
}

/* A JSON string of text made valid UTF-8 (see response_copy_utf8). */
static json_object *response_utf8_string(const char *text)
{
	size_t size = RESPONSE_REPLACEMENT_BYTES * strlen(text) + 1;
	char *clean = xmalloc(size);
	response_copy_utf8(clean, size, text);
	json_object *string = json_object_new_string(clean);
	free(clean);
	return string;
}

void response_init(struct response *response)
{
	memset(response, 0, sizeof(*response));
	response->status = STATUS_OK;
}

static void response_drop_trees(struct response *response)
{
	if (response->data != NULL)
		json_object_put(response->data);
	if (response->details != NULL)
		json_object_put(response->details);
	if (response->pagination != NULL)
		json_object_put(response->pagination);
	if (response->error_extra != NULL)
		json_object_put(response->error_extra);
	response->error_extra = NULL;
	response->data = NULL;
	response->details = NULL;
	response->pagination = NULL;
	/* Whatever answers next replaces a document too. */
	response->document = NULL;
	response->document_length = 0;
	response->document_type = NULL;
	response->cache_control = NULL;
}

void response_rewind(struct response *response, size_t headers_length)
{
	response_drop_trees(response);
	response->status = STATUS_OK;
	response->message[0] = '\0';
	response->document = NULL;
	response->document_length = 0;
	response->document_type = NULL;
	response->cache_control = NULL;
	if (headers_length < response->extra_headers_length) {
		response->extra_headers_length = headers_length;
		response->extra_headers[headers_length] = '\0';
	}
}

void response_reset(struct response *response)
{
	response_drop_trees(response);
	if (response->envelope_extra != NULL)
		json_object_put(response->envelope_extra);
	response_init(response);
}

struct response_text {
	char *bytes;
	size_t length;
};

static int response_text_serialize(json_object *object, struct printbuf *buffer, int level, int flags)
{
	(void)level;
	(void)flags;
	const struct response_text *text = json_object_get_userdata(object);
	printbuf_memappend(buffer, text->bytes, (int)text->length);
	return 0;
}

static void response_text_free(json_object *object, void *userdata)
{
	(void)object;
	struct response_text *text = userdata;
	free(text->bytes);
	free(text);
}

json_object *response_json_text(char *bytes, size_t length)
{
	json_object *value = json_object_new_object();
	struct response_text *text = xmalloc(sizeof(*text));
	text->bytes = bytes;
	text->length = length;
	json_object_set_serializer(value, response_text_serialize, text, response_text_free);
	return value;
}

void response_ok(struct response *response, enum status status, json_object *data, const char *message)
{
	response_drop_trees(response);
	response->status = status;
	response->data = data;
	response_copy_utf8(response->message, sizeof(response->message), message ? message : "OK");
}

void response_document(struct response *response, const unsigned char *bytes, size_t length,
	const char *content_type, const char *cache_control)
{
	response_drop_trees(response);
	response->status = STATUS_OK;
	response->document = bytes;
	response->document_length = length;
	response->document_type = content_type;
	response->cache_control = cache_control;
	response->message[0] = '\0';
}

void response_not_modified(struct response *response, const char *cache_control)
{
	response_drop_trees(response);
	response->status = STATUS_NOT_MODIFIED;
	response->document = NULL;
	response->document_length = 0;
	response->document_type = NULL;
	response->cache_control = cache_control;
	response->message[0] = '\0';
}

void response_list(struct response *response, json_object *items, json_object *pagination, const char *message)
{
	response_ok(response, STATUS_OK, items, message);
	response->pagination = pagination;
}

void response_error(struct response *response, enum status status, const char *message)
{
	response_drop_trees(response);
	response->status = status;
	response->details = json_object_new_array();
	response_copy_utf8(response->message, sizeof(response->message), message);
}

void response_add_detail(struct response *response, const char *field, const char *format, ...)
{
	char issue[512];
	va_list args;
	va_start(args, format);
	vsnprintf(issue, sizeof(issue), format, args);
	va_end(args);
	if (response->details == NULL)
		response->details = json_object_new_array();
	json_object *detail = json_object_new_object();
	json_object_object_add(detail, "field", response_utf8_string(field));
	json_object_object_add(detail, "issue", response_utf8_string(issue));
	json_object_array_add(response->details, detail);
}

static void response_set_member(json_object **holder, const char *name, json_object *value)
{
	if (*holder == NULL)
		*holder = json_object_new_object();
	json_object_object_add(*holder, name, value);
}

void response_set_envelope_member(struct response *response, const char *name, json_object *value)
{
	response_set_member(&response->envelope_extra, name, value);
}

void response_set_error_member(struct response *response, const char *name, json_object *value)
{
	response_set_member(&response->error_extra, name, value);
}

/* Copies every member of extra into target (references, not deep copies). */
static void response_merge_members(json_object *target, json_object *extra)
{
	if (extra == NULL)
		return;
	json_object_object_foreach(extra, name, value)
	{
		json_object_object_add(target, name, json_object_get(value));
	}
}

int response_add_header(struct response *response, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return -1;
	size_t room = sizeof(response->extra_headers) - response->extra_headers_length;
	int written = snprintf(response->extra_headers + response->extra_headers_length, room, "%s: %s\r\n", name,
		value);
	if (written < 0 || (size_t)written >= room) {
		response->extra_headers[response->extra_headers_length] = '\0';
		return -1;
	}
	response->extra_headers_length += (size_t)written;
	return 0;
}

/* The line of extra_headers starting at line is called name (any case). */
static int response_line_is(const char *line, const char *name)
{
	size_t length = strlen(name);
	return strncasecmp(line, name, length) == 0 && line[length] == ':';
}

int response_header_value(const struct response *response, const char *name, char *out, size_t out_size)
{
	size_t name_length = strlen(name);
	for (const char *line = response->extra_headers; *line != '\0';) {
		const char *end = strstr(line, "\r\n");
		if (end == NULL)
			return -1;
		if ((size_t)(end - line) > name_length + 1 && strncasecmp(line, name, name_length) == 0 &&
			line[name_length] == ':') {
			const char *value = line + name_length + 1;
			value += strspn(value, " ");
			size_t length = (size_t)(end - value);
			if (length >= out_size)
				return -1;
			memcpy(out, value, length);
			out[length] = '\0';
			return 0;
		}
		line = end + 2;
	}
	return -1;
}

void response_remove_header(struct response *response, const char *name)
{
	char *line = response->extra_headers;
	while (*line != '\0') {
		char *end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		end += 2;
		if (response_line_is(line, name)) {
			size_t rest = response->extra_headers_length - (size_t)(end - response->extra_headers);
			memmove(line, end, rest + 1);
			response->extra_headers_length -= (size_t)(end - line);
		} else {
			line = end;
		}
	}
}

const char *response_render_body(const struct response *response, json_object **holder, size_t *length)
{
	/* A 304 has no body; a document goes out as it is. */
	if (response->status == STATUS_NOT_MODIFIED) {
		*holder = NULL;
		*length = 0;
		return "";
	}
	if (response->document != NULL && status_is_success(response->status)) {
		*holder = NULL;
		*length = response->document_length;
		return (const char *)response->document;
	}
	json_object *envelope = json_object_new_object();
	if (status_is_success(response->status)) {
		json_object_object_add(envelope, "success", json_object_new_boolean(1));
		json_object_object_add(envelope, "data",
			response->data ? json_object_get(response->data) : json_object_new_object());
		if (response->pagination != NULL)
			json_object_object_add(envelope, "pagination", json_object_get(response->pagination));
		json_object_object_add(envelope, "message", json_object_new_string(response->message));
	} else {
		json_object *error = json_object_new_object();
		json_object_object_add(error, "code", json_object_new_string(status_error_code(response->status)));
		json_object_object_add(error, "message", json_object_new_string(response->message));
		json_object_object_add(error, "details",
			response->details ? json_object_get(response->details) : json_object_new_array());
		response_merge_members(error, response->error_extra);
		json_object_object_add(envelope, "success", json_object_new_boolean(0));
		json_object_object_add(envelope, "error", error);
	}
	response_merge_members(envelope, response->envelope_extra);
	*holder = envelope;
	return json_object_to_json_string_length(envelope, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		length);
}

size_t response_render_headers(const struct response *response, const char *request_id, size_t body_length,
	char *out, size_t out_size)
{
	/* A 503 says when to come back unless its handler said it already. */
	const char *retry_after = response->status == STATUS_SERVICE_UNAVAILABLE &&
			strstr(response->extra_headers, "Retry-After:") == NULL
		? "Retry-After: " RESPONSE_UNAVAILABLE_RETRY_AFTER_S "\r\n"
		: "";
	/* A 304 describes a body it does not carry: no type and no length. */
	char content[160] = "";
	if (response->status != STATUS_NOT_MODIFIED)
		snprintf(content, sizeof(content), "Content-Type: %s\r\nContent-Length: %zu\r\n",
			response->document != NULL && status_is_success(response->status) ? response->document_type
											    : "application/json; charset=utf-8",
			body_length);
	int written = snprintf(out, out_size,
		"Status: %d %s\r\n"
		"%s"
		"X-Request-Id: %s\r\n"
		"Cache-Control: %s\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"%s%s\r\n",
		status_http_code(response->status), status_reason(response->status), content, request_id,
		response->cache_control != NULL ? response->cache_control : "no-store", retry_after,
		response->extra_headers);
	if (written < 0)
		return 0;
	return (size_t)written < out_size ? (size_t)written : out_size - 1;
}

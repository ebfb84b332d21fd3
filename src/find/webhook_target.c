/* Webhook targets: URL checks, resolution under the SSRF rule, and the
 * pinned, signed POST. */
#include "find/webhook_target.h"
#include "find/webhook_policy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Bytes of an answer we read before giving up on it; only the first
 * WEBHOOK_RESPONSE_BODY_MAX are kept. */
#define WEBHOOK_READ_MAX_BYTES (64 * 1024)
#define WEBHOOK_CONNECT_TIMEOUT_MS 5000

const char *webhook_url_problem(const char *url, struct webhook_target *target)
{
	memset(target, 0, sizeof(*target));
	if (strlen(url) > WEBHOOK_URL_MAX)
		return "must be at most 2048 characters";
	for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return "must not contain spaces or control characters";
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return "must be an http:// or https:// URL";
	/* curl reads "http:///x" as host "x"; a URL without its host is a mistake. */
	const char *authority = strstr(url, "://") + 3;
	if (*authority == '/' || *authority == '\0' || *authority == '?' || *authority == '#')
		return "must name a host";
	CURLU *parsed = curl_url();
	if (parsed == NULL)
		return "could not be parsed";
	const char *problem = NULL;
	char *host = NULL, *port = NULL, *user = NULL, *password = NULL, *zone = NULL;
	if (curl_url_set(parsed, CURLUPART_URL, url, 0) != CURLUE_OK)
		problem = "is not a valid URL";
	else if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		problem = "must name a host";
	else if (curl_url_get(parsed, CURLUPART_USER, &user, 0) == CURLUE_OK ||
		curl_url_get(parsed, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		problem = "must not carry a user or password (use headers for credentials)";
	else if (curl_url_get(parsed, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK)
		problem = "must not name an IPv6 zone";
	else if (curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		problem = "has no usable port";
	if (problem == NULL) {
		size_t length = strlen(host);
		const char *start = host;
		if (host[0] == '[' && length > 2 && host[length - 1] == ']') {
			start = host + 1;
			length -= 2;
		}
		if (length > WEBHOOK_HOST_MAX) {
			problem = "has a host name that is too long";
		} else {
			memcpy(target->host, start, length);
			target->host[length] = '\0';
			unsigned char scratch[sizeof(struct in6_addr)];
			target->host_is_literal = inet_pton(AF_INET, target->host, scratch) == 1 ||
				inet_pton(AF_INET6, target->host, scratch) == 1;
			target->port = atoi(port);
			if (target->port <= 0 || target->port > 65535)
				problem = "has no usable port";
		}
	}
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(password);
	curl_free(zone);
	curl_url_cleanup(parsed);
	return problem;
}

enum webhook_target_result webhook_target_resolve(struct webhook_target *target, int allow_private_targets,
	char *why, size_t why_size)
{
	struct addrinfo hints, *addresses = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = target->host_is_literal ? AI_NUMERICHOST : 0;
	char port[16];
	snprintf(port, sizeof(port), "%d", target->port);
	int failure = getaddrinfo(target->host, port, &hints, &addresses);
	if (failure != 0 || addresses == NULL) {
		/* One answer for "no such name" and "not allowed": the API must not
		 * tell callers which internal names exist or where they point. */
		snprintf(why, why_size, "host %.100s is not a public address webhooks may reach", target->host);
		return WEBHOOK_TARGET_UNRESOLVED;
	}
	enum webhook_target_result result = WEBHOOK_TARGET_OK;
	target->pinned_address[0] = '\0';
	for (struct addrinfo *address = addresses; address != NULL; address = address->ai_next) {
		enum webhook_address_class address_class = webhook_address_classify(address->ai_addr);
		char text[INET6_ADDRSTRLEN] = "?";
		const void *raw = address->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)(void *)address->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)(void *)address->ai_addr)->sin6_addr;
		if (address->ai_family == AF_INET || address->ai_family == AF_INET6)
			inet_ntop(address->ai_family, raw, text, sizeof(text));
		if (!webhook_address_allowed(address_class, allow_private_targets)) {
			snprintf(why, why_size, "host %.100s is not a public address webhooks may reach", target->host);
			result = WEBHOOK_TARGET_REFUSED;
			break;
		}
		if (target->pinned_address[0] == '\0') {
			memcpy(target->pinned_address, text, sizeof(text));
			target->pinned_family = address->ai_family;
		}
	}
	freeaddrinfo(addresses);
	return result;
}

struct webhook_transfer {
	struct webhook_outcome *outcome;
	size_t kept;
	size_t read;
	int too_long;
	int allow_private_targets;
	int refused_at_connect;
};

static size_t webhook_on_body(char *data, size_t size, size_t count, void *user_data)
{
	struct webhook_transfer *transfer = user_data;
	size_t length = size * count;
	transfer->read += length;
	if (transfer->read > WEBHOOK_READ_MAX_BYTES) {
		transfer->too_long = 1;
		return 0; /* stop reading: the status line is all we need */
	}
	size_t room = WEBHOOK_RESPONSE_BODY_MAX - transfer->kept;
	size_t take = length < room ? length : room;
	memcpy(transfer->outcome->response_body + transfer->kept, data, take);
	transfer->kept += take;
	transfer->outcome->response_body[transfer->kept] = '\0';
	return length;
}

/* The last check before a connection exists: whatever curl is about to
 * connect to must pass the rule too. */
static curl_socket_t webhook_on_open_socket(void *user_data, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct webhook_transfer *transfer = user_data;
	(void)purpose;
	if (!webhook_address_allowed(webhook_address_classify(&address->addr), transfer->allow_private_targets)) {
		transfer->refused_at_connect = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

/* Cuts a partial UTF-8 sequence off the end, so the text stays valid JSON. */
static void webhook_trim_utf8(char *text, size_t length)
{
	size_t end = length;
	size_t back = 0;
	while (end > 0 && back < 4 && ((unsigned char)text[end - 1] & 0xc0) == 0x80) {
		end--;
		back++;
	}
	if (end > 0 && ((unsigned char)text[end - 1] & 0x80)) {
		unsigned char lead = (unsigned char)text[end - 1];
		size_t needed = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 1;
		if (needed != back + 1)
			text[end - 1] = '\0';
	}
	for (size_t i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			text[i] = ' ';
}

static struct curl_slist *webhook_headers(const struct webhook_request *request, int64_t timestamp_s,
	const char *signature, const struct webhook_auth_header *auth)
{
	char line[WEBHOOK_HEADER_NAME_MAX + WEBHOOK_HEADER_VALUE_MAX + 8];
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Webhook-Event: %s", request->event);
	headers = curl_slist_append(headers, line);
	snprintf(line, sizeof(line), "X-Webhook-Id: %s", request->delivery_id);
	headers = curl_slist_append(headers, line);
	snprintf(line, sizeof(line), "X-Webhook-Timestamp: %lld", (long long)timestamp_s);
	headers = curl_slist_append(headers, line);
	snprintf(line, sizeof(line), "X-Webhook-Signature: %s", signature);
	headers = curl_slist_append(headers, line);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	headers = curl_slist_append(headers, "Expect:");
	json_object *extra = request->headers_json ? json_tokener_parse(request->headers_json) : NULL;
	if (extra != NULL && json_object_is_type(extra, json_type_object)) {
		json_object_object_foreach(extra, name, value)
		{
			const char *text = json_object_get_string(value);
			/* Checked when stored; checked again because a header is a
			 * place where a stray CR/LF would do real harm. */
			if (text == NULL || webhook_header_problem(name, text) != NULL)
				continue;
			/* The authentication header is the auth config's alone. */
			if (auth->name[0] != '\0' && strcasecmp(name, auth->name) == 0)
				continue;
			snprintf(line, sizeof(line), "%s: %s", name, text);
			headers = curl_slist_append(headers, line);
		}
	}
	json_object_put(extra);
	if (auth->name[0] != '\0') {
		snprintf(line, sizeof(line), "%s: %s", auth->name, auth->value);
		headers = curl_slist_append(headers, line);
		explicit_bzero(line, sizeof(line));
	}
	return headers;
}

static int64_t webhook_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void webhook_send(const struct webhook_request *request, struct webhook_outcome *outcome)
{
	memset(outcome, 0, sizeof(*outcome));
	struct webhook_target target;
	const char *problem = webhook_url_problem(request->url, &target);
	if (problem != NULL) {
		snprintf(outcome->error, sizeof(outcome->error), "url %s", problem);
		outcome->refused = 1;
		return;
	}
	enum webhook_target_result resolved =
		webhook_target_resolve(&target, request->allow_private_targets, outcome->error, sizeof(outcome->error));
	if (resolved != WEBHOOK_TARGET_OK) {
		outcome->refused = resolved == WEBHOOK_TARGET_REFUSED;
		return;
	}
	int64_t timestamp_s = (int64_t)time(NULL);
	char signature[WEBHOOK_SIGNATURE_TEXT_MAX];
	if (webhook_signature(request->secret, timestamp_s, request->body, request->body_length, signature,
		sizeof(signature)) != 0) {
		snprintf(outcome->error, sizeof(outcome->error), "could not compute the signature");
		return;
	}
	struct webhook_auth_header auth;
	if (webhook_auth_header(request->auth_type, request->auth_config, &auth) != 0) {
		snprintf(outcome->error, sizeof(outcome->error), "the webhook's auth_config cannot make its header");
		return;
	}
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		explicit_bzero(&auth, sizeof(auth));
		snprintf(outcome->error, sizeof(outcome->error), "could not start a transfer");
		return;
	}
	struct curl_slist *headers = webhook_headers(request, timestamp_s, signature, &auth);
	explicit_bzero(&auth, sizeof(auth));
	struct curl_slist *pin = NULL;
	if (!target.host_is_literal) {
		char entry[WEBHOOK_HOST_MAX + INET6_ADDRSTRLEN + 16];
		if (target.pinned_family == AF_INET6)
			snprintf(entry, sizeof(entry), "%s:%d:[%s]", target.host, target.port, target.pinned_address);
		else
			snprintf(entry, sizeof(entry), "%s:%d:%s", target.host, target.port, target.pinned_address);
		pin = curl_slist_append(NULL, entry);
	}
	struct webhook_transfer transfer = {.outcome = outcome, .allow_private_targets = request->allow_private_targets};
	int timeout_ms = request->timeout_ms > 0 ? request->timeout_ms : WEBHOOK_DEFAULT_TIMEOUT_MS;
	curl_easy_setopt(curl, CURLOPT_URL, request->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(timeout_ms < WEBHOOK_CONNECT_TIMEOUT_MS ? timeout_ms : WEBHOOK_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "Intuka-Webhooks/1");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, webhook_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, webhook_on_open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &transfer);
	if (pin != NULL)
		curl_easy_setopt(curl, CURLOPT_RESOLVE, pin);
	int64_t started_ms = webhook_now_ms();
	CURLcode result = curl_easy_perform(curl);
	outcome->response_ms = webhook_now_ms() - started_ms;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &outcome->response_code);
	webhook_trim_utf8(outcome->response_body, transfer.kept);
	if (transfer.refused_at_connect) {
		outcome->refused = 1;
		snprintf(outcome->error, sizeof(outcome->error), "connection refused by the webhook address rule");
	} else if (result != CURLE_OK && !(result == CURLE_WRITE_ERROR && transfer.too_long)) {
		snprintf(outcome->error, sizeof(outcome->error), "%s", curl_easy_strerror(result));
	} else if (outcome->response_code >= 200 && outcome->response_code < 300) {
		outcome->delivered = 1;
	} else {
		snprintf(outcome->error, sizeof(outcome->error), "receiver answered HTTP %ld", outcome->response_code);
	}
	curl_slist_free_all(pin);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
}

/*
 * Find API webhooks over real HTTP, with a receiver inside this program (a
 * socket server thread on 127.0.0.1, on a free port) that records every
 * request; signatures are checked here with OpenSSL's HMAC, independently of
 * the server's code. Covers CRUD and validation, the publishable-key
 * refusal, the SSRF rule, the plan cap, the synchronous /test delivery, and
 * the outbox end to end: an event put in the outbox (by writes of products,
 * posts, taxonomies and prompts, by a chat handoff or feedback, or by intuka-admin
 * find-webhook-emit, which calls find_events_emit the same way) is
 * delivered signed;
 * a failing receiver gets retries, failed deliveries and a suspended
 * webhook; a SIGKILLed delivery process loses no event.
 *
 * Receiver paths: /ok/... answers 200, /fail/... 500, /slow/... 200 after
 * two seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum { TOKEN_MAX = 4097, RECEIVED_MAX = 512, RECEIVED_BODY_MAX = 65536 };

static char tenant[64], other_tenant[64], capped_tenant[64];
static char admin_token[TOKEN_MAX], other_token[TOKEN_MAX], capped_token[TOKEN_MAX];
static char secret_key[256], publishable_key[256];
static const char password[] = "webhooks-password-123";
static int suspend_after = 5;
static bool private_targets_allowed;

/* ------------------------------------------------------------ receiver */

struct received_request {
	char path[256];
	char event[64];
	char webhook_id[64];
	char timestamp[32];
	char signature[128];
	char custom_header[128];
	char authorization[600];
	char shop_key[600];
	char *body;
};

static struct {
	int listen_fd;
	int port;
	pthread_t thread;
	bool running;
	volatile sig_atomic_t stop;
	pthread_mutex_t lock;
	struct received_request requests[RECEIVED_MAX];
	size_t count;
} receiver = { .listen_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static void header_value(const char *headers, const char *name, char *out, size_t out_size)
{
	out[0] = '\0';
	size_t name_length = strlen(name);
	for (const char *line = headers; line != NULL && *line != '\0';) {
		const char *end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		if ((size_t)(end - line) > name_length && strncasecmp(line, name, name_length) == 0 && line[name_length] == ':') {
			const char *value = line + name_length + 1;
			while (*value == ' ')
				value++;
			snprintf(out, out_size, "%.*s", (int)(end - value), value);
			return;
		}
		line = end + 2;
	}
}

static void receiver_answer(int fd, int status, const char *text)
{
	char response[512];
	int length = snprintf(response, sizeof response,
						  "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
						  status, status == 200 ? "OK" : "Internal Server Error", strlen(text), text);
	(void)send(fd, response, (size_t)length, MSG_NOSIGNAL);
}

static void receiver_handle(int fd)
{
	struct timeval timeout = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	char *buffer = malloc(RECEIVED_BODY_MAX + 8192);
	size_t used = 0, capacity = RECEIVED_BODY_MAX + 8191;
	char *header_end = NULL;
	bool complete = false;
	while (used < capacity) {
		ssize_t got = recv(fd, buffer + used, capacity - used, 0);
		if (got <= 0)
			break;
		used += (size_t)got;
		buffer[used] = '\0';
		header_end = strstr(buffer, "\r\n\r\n");
		if (header_end != NULL) {
			char length_text[32];
			header_value(buffer, "Content-Length", length_text, sizeof length_text);
			size_t body_length = (size_t)strtoul(length_text, NULL, 10);
			if (used >= (size_t)(header_end + 4 - buffer) + body_length) {
				complete = true;
				break;
			}
		}
	}
	/* A request cut off before its whole body (a sender that gave up on a
	 * slow receiver, and will send again) is no delivery: it is not
	 * recorded, and its truncated body is never checked as one. */
	if (header_end == NULL || !complete) {
		if (header_end != NULL)
			printf("    receiver: a request ended before its body was whole (%zu bytes read)\n", used);
		free(buffer);
		return;
	}
	struct received_request request;
	memset(&request, 0, sizeof request);
	const char *path = strchr(buffer, ' ');
	if (path != NULL)
		snprintf(request.path, sizeof request.path, "%.*s", (int)strcspn(path + 1, " "), path + 1);
	*header_end = '\0';
	char *headers = strstr(buffer, "\r\n");
	size_t header_text_length = strlen(buffer);
	if (headers != NULL) {
		/* header_value wants every line to end in CRLF */
		buffer[header_text_length] = '\r';
		buffer[header_text_length + 1] = '\n';
		char saved = buffer[header_text_length + 2];
		buffer[header_text_length + 2] = '\0';
		header_value(headers + 2, "X-Webhook-Event", request.event, sizeof request.event);
		header_value(headers + 2, "X-Webhook-Id", request.webhook_id, sizeof request.webhook_id);
		header_value(headers + 2, "X-Webhook-Timestamp", request.timestamp, sizeof request.timestamp);
		header_value(headers + 2, "X-Webhook-Signature", request.signature, sizeof request.signature);
		header_value(headers + 2, "X-Test-Header", request.custom_header, sizeof request.custom_header);
		header_value(headers + 2, "Authorization", request.authorization, sizeof request.authorization);
		header_value(headers + 2, "X-Shop-Key", request.shop_key, sizeof request.shop_key);
		buffer[header_text_length + 2] = saved;
	}
	const char *body = buffer + header_text_length + 4;
	request.body = strndup(body, used - (size_t)(body - buffer));
	free(buffer);
	pthread_mutex_lock(&receiver.lock);
	if (receiver.count < RECEIVED_MAX)
		receiver.requests[receiver.count++] = request;
	else
		free(request.body);
	pthread_mutex_unlock(&receiver.lock);
	if (strncmp(request.path, "/fail/", 6) == 0) {
		receiver_answer(fd, 500, "receiver says no");
	} else {
		if (strncmp(request.path, "/slow/", 6) == 0)
			sleep(2);
		receiver_answer(fd, 200, "ok");
	}
}

/* One connection at a time: deliveries are sequential anyway, and the
 * /slow/ path is meant to hold the deliverer while the test kills it. */
static void *receiver_main(void *unused)
{
	(void)unused;
	while (!receiver.stop) {
		struct pollfd poll_fd = { .fd = receiver.listen_fd, .events = POLLIN };
		if (poll(&poll_fd, 1, 100) <= 0)
			continue;
		int fd = accept4(receiver.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		receiver_handle(fd);
		close(fd);
	}
	return NULL;
}

static bool receiver_start(void)
{
	/* CLOEXEC: the delivery process this suite restarts must not inherit the
	 * listener (it would hold the port open, unserved, after we exit). */
	receiver.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (receiver.listen_fd < 0)
		return false;
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t length = sizeof address;
	if (bind(receiver.listen_fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(receiver.listen_fd, 16) != 0
		|| getsockname(receiver.listen_fd, (struct sockaddr *)&address, &length) != 0)
		return false;
	receiver.port = ntohs(address.sin_port);
	receiver.stop = 0;
	receiver.running = pthread_create(&receiver.thread, NULL, receiver_main, NULL) == 0;
	return receiver.running;
}

static void receiver_stop(void)
{
	if (receiver.running) {
		receiver.stop = 1;
		pthread_join(receiver.thread, NULL);
		receiver.running = false;
	}
	if (receiver.listen_fd >= 0)
		close(receiver.listen_fd);
	receiver.listen_fd = -1;
	for (size_t i = 0; i < receiver.count; i++)
		free(receiver.requests[i].body);
	receiver.count = 0;
}

/* Receiver paths carry this run's tag ("/ok/e2e" is served as "/ok/e2e-<tag>"),
 * so a delivery for a webhook of an earlier run against the same stack that
 * reaches a reused port is never counted as one of ours. */
static char run_tag[64];

static void tagged_path(const char *path, char *out, size_t out_size)
{
	snprintf(out, out_size, "%.64s-%s", path, run_tag);
}

/* Copies of the requests received on path (exact, before tagging), up to max; returns how many there were. */
static size_t receiver_requests_on(const char *path, struct received_request *out, size_t max)
{
	size_t found = 0;
	char wanted[160];
	tagged_path(path, wanted, sizeof wanted);
	pthread_mutex_lock(&receiver.lock);
	for (size_t i = 0; i < receiver.count; i++) {
		if (strcmp(receiver.requests[i].path, wanted) != 0)
			continue;
		if (out != NULL && found < max) {
			out[found] = receiver.requests[i];
			out[found].body = strdup(receiver.requests[i].body ? receiver.requests[i].body : "");
		}
		found++;
	}
	pthread_mutex_unlock(&receiver.lock);
	return found;
}

static void received_free(struct received_request *requests, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(requests[i].body);
}

static bool wait_for_requests(const char *path, size_t wanted, int timeout_s)
{
	for (int waited_ms = 0; waited_ms < timeout_s * 1000; waited_ms += 100) {
		if (receiver_requests_on(path, NULL, 0) >= wanted)
			return true;
		usleep(100 * 1000);
	}
	return receiver_requests_on(path, NULL, 0) >= wanted;
}

/* The receiver's side of the scheme: sha256=hex(HMAC-SHA256(secret, timestamp "." body)). */
static bool signature_valid(const struct received_request *request, const char *secret)
{
	if (strncmp(request->signature, "sha256=", 7) != 0 || request->timestamp[0] == '\0')
		return false;
	size_t signed_length = strlen(request->timestamp) + 1 + strlen(request->body);
	char *signed_text = malloc(signed_length + 1);
	snprintf(signed_text, signed_length + 1, "%s.%s", request->timestamp, request->body);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text, signed_length, mac, &mac_length);
	free(signed_text);
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < mac_length; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	long long timestamp = strtoll(request->timestamp, NULL, 10);
	long long now = (long long)time(NULL);
	return strcmp(hex, request->signature + 7) == 0 && timestamp > now - 600 && timestamp <= now + 5;
}

/* ------------------------------------------------------------ helpers */

static void expect(const char *label, const struct api_reply *reply, long status, const char *code)
{
	ITEST_CHECK(reply->status == status, "%s: expected %ld, got %ld (%s)", label, status, reply->status,
				api_error_code(reply));
	if (code != NULL)
		ITEST_CHECK(strcmp(api_error_code(reply), code) == 0, "%s: expected %s, got \"%s\"", label, code,
					api_error_code(reply));
}

static bool error_detail_names(const struct api_reply *reply, const char *field)
{
	json_object *details = json_path_get(reply->body, "error.details");
	for (size_t i = 0; details && i < json_object_array_length(details); i++) {
		const char *name = json_path_string(json_object_array_get_idx(details, i), "field");
		if (name != NULL && strcmp(name, field) == 0)
			return true;
	}
	return false;
}

static void receiver_url(const char *path, char *out, size_t out_size)
{
	char tagged[160];
	tagged_path(path, tagged, sizeof tagged);
	snprintf(out, out_size, "http://127.0.0.1:%d%s", receiver.port, tagged);
}

/* Creates a webhook; returns its id (0 on failure) and copies the generated secret. */
static long long create_webhook(const char *token, const char *name, const char *path, const char *events_json,
								const char *extra_members, char *secret_out, size_t secret_size)
{
	char url[256], body[2048];
	receiver_url(path, url, sizeof url);
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"url\":\"%s\",\"events\":%s%s%s}", name, url, events_json,
			 extra_members ? "," : "", extra_members ? extra_members : "");
	struct api_reply reply;
	long long id = 0;
	if (!api_call("POST", "/api/v1/find/webhooks", body, token, NULL, &reply))
		return 0;
	if (ITEST_CHECK(reply.status == 201, "create webhook %s: expected 201, got %ld %s", name, reply.status,
					api_error_code(&reply))) {
		const char *id_text = json_path_string(reply.body, "data.id");
		id = id_text ? strtoll(id_text, NULL, 10) : 0;
		const char *secret = json_path_string(reply.body, "data.secret");
		if (secret_out != NULL)
			snprintf(secret_out, secret_size, "%s", secret ? secret : "");
	}
	api_reply_free(&reply);
	return id;
}

static bool read_config_int(const char *key, int *value)
{
	FILE *file = fopen(test_environment.config_file, "r");
	if (file == NULL)
		return false;
	char line[512];
	bool found = false;
	size_t key_length = strlen(key);
	while (!found && fgets(line, sizeof line, file) != NULL) {
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, key_length) != 0)
			continue;
		p += key_length;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		*value = atoi(p + 1);
		found = true;
	}
	fclose(file);
	return found;
}

/* GET /webhooks/{id}/stats into *stats (caller puts), polled until check passes or timeout_s. */
static json_object *stats_when(long long id, const char *token, bool (*check)(json_object *), int timeout_s)
{
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/stats", id);
	json_object *last = NULL;
	for (int waited_ms = 0; waited_ms <= timeout_s * 1000; waited_ms += 200) {
		struct api_reply reply;
		if (api_call("GET", path, NULL, token, NULL, &reply) && reply.status == 200) {
			if (last != NULL)
				json_object_put(last);
			last = reply.body;
			reply.body = NULL;
			if (check == NULL || check(last))
				return last;
		}
		api_reply_free(&reply);
		usleep(200 * 1000);
	}
	return last;
}

/* A counter of a stats answer (the whole envelope): data.<name>, -1 when absent. */
static int64_t stat_of(json_object *stats, const char *name)
{
	char path[96];
	int64_t value = -1;
	snprintf(path, sizeof path, "data.%s", name);
	json_path_int64(stats, path, &value);
	return value;
}

/* ------------------------------------------------------------ setup */

static int webhooks_login(const char *slug, char *token)
{
	char email[128];
	snprintf(email, sizeof email, "admin@%s.test", slug);
	const char *create[] = { "tenant", "create", slug, "Webhook Co", NULL };
	const char *user[] = { "user", "create", slug, email, NULL };
	if (admin_command(create, NULL) || admin_command(user, password))
		return 1;
	long status = api_login(email, password, slug, token, NULL);
	if (status != 200)
		fprintf(stderr, "find_webhooks: login to %s answered %ld\n", slug, status);
	return status == 200 ? 0 : 1;
}

static int create_key(const char *body, char *out, size_t out_size)
{
	struct api_reply reply;
	if (!api_call("POST", "/api/v1/find/provision/keys", body, admin_token, NULL, &reply))
		return 1;
	const char *key = json_path_string(reply.body, "data.key");
	int failed = reply.status != 201 || key == NULL;
	if (!failed)
		snprintf(out, out_size, "%s", key);
	else
		fprintf(stderr, "find_webhooks: creating a key failed: %ld %s\n", reply.status, api_error_code(&reply));
	api_reply_free(&reply);
	return failed;
}

static int webhooks_suite_init(void)
{
	identity_unique_slug("whk", tenant, sizeof tenant);
	identity_unique_slug("who", other_tenant, sizeof other_tenant);
	identity_unique_slug("whc", capped_tenant, sizeof capped_tenant);
	snprintf(run_tag, sizeof run_tag, "%s", tenant);
	if (webhooks_login(tenant, admin_token) || webhooks_login(other_tenant, other_token)
		|| webhooks_login(capped_tenant, capped_token))
		return 1;
	/* Room for every webhook this suite makes; the capped tenant gets two. */
	const char *plan[] = { "find-plan", "set", tenant, "pro", "--max-webhooks", "40", "--rate-per-minute", "5000", NULL };
	const char *capped_plan[] = { "find-plan", "set", capped_tenant, "starter", "--max-webhooks", "2", NULL };
	if (admin_command(plan, NULL) || admin_command(capped_plan, NULL))
		return 1;
	if (create_key("{\"label\":\"server\",\"keyType\":\"secret\"}", secret_key, sizeof secret_key)
		|| create_key("{\"label\":\"x\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"https://shop.example\"]}",
					  publishable_key, sizeof publishable_key))
		return 1;
	int allowed = 0;
	private_targets_allowed = read_config_int("webhook_allow_private_targets", &allowed) && allowed == 1;
	read_config_int("webhook_suspend_after_failures", &suspend_after);
	return receiver_start() ? 0 : 1;
}

static int webhooks_suite_cleanup(void)
{
	receiver_stop();
	return 0;
}

/* ------------------------------------------------------------ tests */

/* The SDK's events() reads string[]: data is the list of names. */
static void events_route_lists_the_ten_event_names(void)
{
	struct api_reply reply;
	if (!api_call("GET", "/api/v1/find/webhooks/events", NULL, secret_key, NULL, &reply))
		return;
	expect("GET /webhooks/events", &reply, 200, NULL);
	json_object *events = json_path_get(reply.body, "data");
	bool is_array = events && json_object_is_type(events, json_type_array);
	ITEST_CHECK(is_array && json_object_array_length(events) == 10, "data is an array of ten events, got %s",
				events ? json_object_to_json_string(events) : "(none)");
	static const char *const expected[] = { "product.upsert", "product.delete", "post.upsert", "post.delete",
											"taxonomy.upsert", "taxonomy.delete", "prompt.upsert", "prompt.delete",
											"feedback.submit", "chat.handoff" };
	for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++) {
		bool found = false;
		for (size_t i = 0; is_array && i < json_object_array_length(events); i++) {
			json_object *item = json_object_array_get_idx(events, i);
			found |= json_object_is_type(item, json_type_string) && strcmp(json_object_get_string(item), expected[e]) == 0;
		}
		ITEST_CHECK(found, "event %s listed by name", expected[e]);
	}
	api_reply_free(&reply);
}

static void create_refuses_invalid_fields_with_details(void)
{
	char url[256];
	receiver_url("/ok/invalid", url, sizeof url);
	struct {
		const char *label;
		char body[1024];
		const char *field;
	} cases[] = {
		{ "missing name, url and events", "{}", "name" },
		{ "unknown event", "", "events" },
		{ "ftp url", "{\"name\":\"n\",\"url\":\"ftp://example.com/\",\"events\":[\"product.upsert\"]}", "url" },
		{ "url without host", "{\"name\":\"n\",\"url\":\"http:///x\",\"events\":[\"product.upsert\"]}", "url" },
		{ "max_attempts 11", "", "retry_policy.max_attempts" },
		{ "backoff linear", "", "retry_policy.backoff" },
		{ "initial delay too long", "", "retry_policy.initial_delay_ms" },
		{ "CR LF in a header value", "", "headers.X-Test-Header" },
		{ "Host header", "", "headers.Host" },
		{ "signature header", "", "headers.X-Webhook-Signature" },
		{ "timeout 99999", "", "timeout_ms" },
		{ "status suspended", "", "status" },
		{ "unknown field", "", "color" },
		{ "short secret", "", "secret" },
		{ "backoff_type linear", "", "retry_policy.backoff_type" },
		{ "backoff and backoff_type disagree", "", "retry_policy.backoff_type" },
		{ "auth_type oauth", "", "auth_type" },
		{ "bearer without auth_config", "", "auth_config" },
		{ "bearer token with a space", "", "auth_config.token" },
		{ "basic without a password", "", "auth_config.password" },
		{ "api_key header the delivery sets", "", "auth_config.header" },
		{ "auth_config member of another type", "", "auth_config.token" },
		{ "auth_config without auth_type", "", "auth_config" },
		{ "Authorization both from bearer and headers", "", "headers.Authorization" },
		{ "metadata not an object", "", "metadata" },
	};
	const char *suffixes[] = {
		NULL,
		"\"events\":[\"product.explode\"]",
		NULL,
		NULL,
		"\"events\":[\"product.upsert\"],\"retry_policy\":{\"max_attempts\":11}",
		"\"events\":[\"product.upsert\"],\"retry_policy\":{\"backoff\":\"linear\"}",
		"\"events\":[\"product.upsert\"],\"retry_policy\":{\"initial_delay_ms\":99999999}",
		"\"events\":[\"product.upsert\"],\"headers\":{\"X-Test-Header\":\"a\\r\\nInjected: 1\"}",
		"\"events\":[\"product.upsert\"],\"headers\":{\"Host\":\"evil.example\"}",
		"\"events\":[\"product.upsert\"],\"headers\":{\"X-Webhook-Signature\":\"sha256=00\"}",
		"\"events\":[\"product.upsert\"],\"timeout_ms\":99999",
		"\"events\":[\"product.upsert\"],\"status\":\"suspended\"",
		"\"events\":[\"product.upsert\"],\"color\":\"blue\"",
		"\"events\":[\"product.upsert\"],\"secret\":\"short\"",
		"\"events\":[\"product.upsert\"],\"retry_policy\":{\"backoff_type\":\"linear\"}",
		"\"events\":[\"product.upsert\"],\"retry_policy\":{\"backoff\":\"fixed\",\"backoff_type\":\"exponential\"}",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"oauth\"",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"bearer\"",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"bearer\",\"auth_config\":{\"token\":\"a b\"}",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"basic\",\"auth_config\":{\"username\":\"u\"}",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"api_key\",\"auth_config\":{\"key\":\"k\",\"header\":\"X-Webhook-Id\"}",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"api_key\",\"auth_config\":{\"key\":\"k\",\"token\":\"t\"}",
		"\"events\":[\"product.upsert\"],\"auth_config\":{\"token\":\"t\"}",
		"\"events\":[\"product.upsert\"],\"auth_type\":\"bearer\",\"auth_config\":{\"token\":\"t\"},"
		"\"headers\":{\"Authorization\":\"Bearer other\"}",
		"\"events\":[\"product.upsert\"],\"metadata\":[1]",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (suffixes[i] != NULL)
			snprintf(cases[i].body, sizeof cases[i].body, "{\"name\":\"n\",\"url\":\"%s\",%s}", url, suffixes[i]);
		struct api_reply reply;
		if (!api_call("POST", "/api/v1/find/webhooks", cases[i].body, secret_key, NULL, &reply))
			continue;
		expect(cases[i].label, &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(error_detail_names(&reply, cases[i].field), "%s: a detail names %s", cases[i].label,
					cases[i].field);
		api_reply_free(&reply);
	}
	/* Nothing of the above was stored. */
	struct api_reply reply;
	if (api_call("GET", "/api/v1/find/webhooks?limit=100", NULL, secret_key, NULL, &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		for (size_t i = 0; results && i < json_object_array_length(results); i++) {
			const char *stored = json_path_string(json_object_array_get_idx(results, i), "url");
			ITEST_CHECK(stored == NULL || strcmp(stored, url) != 0, "a refused webhook was stored");
		}
		api_reply_free(&reply);
	}
}

static void crud_round_trip_keeps_the_secret_hidden(void)
{
	char secret[128];
	long long id = create_webhook(secret_key, "crud", "/ok/crud", "[\"product.upsert\",\"post.delete\",\"product.upsert\"]",
								  "\"description\":\"first\",\"headers\":{\"X-Test-Header\":\"crud\"}", secret,
								  sizeof secret);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	ITEST_CHECK(strncmp(secret, "whsec_", 6) == 0 && strlen(secret) >= 6 + 64,
				"a generated secret of 32 random bytes is returned at creation, got \"%s\"", secret);
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld", id);
	struct api_reply reply;
	if (api_call("GET", path, NULL, admin_token, NULL, &reply)) {
		expect("GET webhook (JWT)", &reply, 200, NULL);
		ITEST_CHECK(json_path_get(reply.body, "data.secret") == NULL, "GET never shows the secret");
		ITEST_CHECK(strstr(json_object_to_json_string(reply.body), secret) == NULL, "the secret appears nowhere");
		json_object *events = json_path_get(reply.body, "data.events");
		ITEST_CHECK(events && json_object_array_length(events) == 2, "duplicate events are stored once");
		const char *backoff = json_path_string(reply.body, "data.retry_policy.backoff");
		int64_t attempts = 0, delay = 0, timeout = 0;
		json_path_int64(reply.body, "data.retry_policy.max_attempts", &attempts);
		json_path_int64(reply.body, "data.retry_policy.initial_delay_ms", &delay);
		json_path_int64(reply.body, "data.timeout_ms", &timeout);
		ITEST_CHECK(backoff && strcmp(backoff, "exponential") == 0 && attempts == 5 && delay == 1000 && timeout == 10000,
					"defaults: exponential, 5 attempts, 1000 ms, timeout 10000 (got %s %lld %lld %lld)",
					backoff ? backoff : "-", (long long)attempts, (long long)delay, (long long)timeout);
		const char *status = json_path_string(reply.body, "data.status");
		ITEST_CHECK(status && strcmp(status, "active") == 0, "a new webhook is active");
		const char *header = json_path_string(reply.body, "data.headers.X-Test-Header");
		ITEST_CHECK(header && strcmp(header, "crud") == 0, "extra headers are kept");
		/* The SDK's Webhook, member by member. */
		const char *backoff_type = json_path_string(reply.body, "data.retry_policy.backoff_type");
		const char *auth_type = json_path_string(reply.body, "data.auth_type");
		json_object *auth_config = json_path_get(reply.body, "data.auth_config");
		json_object *metadata = json_path_get(reply.body, "data.metadata");
		const char *created_by = json_path_string(reply.body, "data.created_by");
		json_object *data = json_path_get(reply.body, "data"), *last_delivery = NULL;
		ITEST_CHECK(backoff_type && strcmp(backoff_type, "exponential") == 0, "retry_policy.backoff_type");
		ITEST_CHECK(auth_type && strcmp(auth_type, "none") == 0 && auth_config &&
						json_object_is_type(auth_config, json_type_object) && json_object_object_length(auth_config) == 0,
					"auth_type none, auth_config {}");
		ITEST_CHECK(metadata && json_object_is_type(metadata, json_type_object), "metadata is an object");
		ITEST_CHECK(created_by && strncmp(created_by, "key:", 4) == 0, "created_by names the key: %s",
					created_by ? created_by : "(none)");
		ITEST_CHECK(data && !json_object_object_get_ex(data, "last_delivery_at", &last_delivery),
					"last_delivery_at is absent before the first delivery");
		api_reply_free(&reply);
	}
	/* Partial update: only the name and the retry backoff change. */
	if (api_call("PUT", path, "{\"name\":\"renamed\",\"retry_policy\":{\"backoff\":\"fixed\"}}", secret_key, NULL,
				 &reply)) {
		expect("PUT partial", &reply, 200, NULL);
		const char *name = json_path_string(reply.body, "data.name");
		const char *description = json_path_string(reply.body, "data.description");
		const char *backoff = json_path_string(reply.body, "data.retry_policy.backoff");
		int64_t attempts = 0;
		json_path_int64(reply.body, "data.retry_policy.max_attempts", &attempts);
		ITEST_CHECK(name && strcmp(name, "renamed") == 0 && description && strcmp(description, "first") == 0
						&& backoff && strcmp(backoff, "fixed") == 0 && attempts == 5,
					"PUT changes what it names and keeps the rest");
		ITEST_CHECK(json_path_get(reply.body, "data.secret") == NULL, "PUT answer has no secret");
		api_reply_free(&reply);
	}
	if (api_call("PUT", path, "{\"url\":\"gopher://example.com/\"}", secret_key, NULL, &reply)) {
		expect("PUT validates like create", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	/* The SDK's names: backoff_type, metadata, and status suspended on update. */
	if (api_call("PUT", path, "{\"retry_policy\":{\"backoff_type\":\"exponential\"},\"metadata\":{\"team\":\"ops\"},"
				 "\"status\":\"suspended\"}", secret_key, NULL, &reply)) {
		expect("PUT backoff_type, metadata, suspended", &reply, 200, NULL);
		const char *backoff_type = json_path_string(reply.body, "data.retry_policy.backoff_type");
		const char *backoff = json_path_string(reply.body, "data.retry_policy.backoff");
		const char *team = json_path_string(reply.body, "data.metadata.team");
		const char *status = json_path_string(reply.body, "data.status");
		ITEST_CHECK(backoff_type && strcmp(backoff_type, "exponential") == 0 && backoff &&
						strcmp(backoff, "exponential") == 0 && team && strcmp(team, "ops") == 0 && status &&
						strcmp(status, "suspended") == 0,
					"backoff_type, metadata and status suspended are stored");
		api_reply_free(&reply);
	}
	if (api_call("PUT", path, "{\"status\":\"inactive\"}", secret_key, NULL, &reply)) {
		expect("PUT status inactive", &reply, 200, NULL);
		api_reply_free(&reply);
	}
	/* List with filters: status and event. */
	bool listed = false;
	if (api_call("GET", "/api/v1/find/webhooks?status=inactive&event=post.delete&page=1&limit=50", NULL, secret_key,
				 NULL, &reply)) {
		expect("GET list filtered", &reply, 200, NULL);
		json_object *results = json_path_get(reply.body, "data.results");
		int64_t total = -1, page = 0, limit = 0;
		json_path_int64(reply.body, "data.total", &total);
		json_path_int64(reply.body, "data.page", &page);
		json_path_int64(reply.body, "data.limit", &limit);
		ITEST_CHECK(page == 1 && limit == 50 && total >= 1, "list answers total, page and limit");
		for (size_t i = 0; results && i < json_object_array_length(results); i++) {
			json_object *item = json_object_array_get_idx(results, i);
			const char *item_id = json_path_string(item, "id");
			listed |= item_id && strtoll(item_id, NULL, 10) == id;
			const char *status = json_path_string(item, "status");
			ITEST_CHECK(status && strcmp(status, "inactive") == 0, "status filter holds");
			ITEST_CHECK(json_path_get(item, "secret") == NULL, "list results carry no secret");
		}
		api_reply_free(&reply);
	}
	ITEST_CHECK(listed, "the inactive webhook is in the filtered list");
	if (api_call("GET", "/api/v1/find/webhooks?event=chat.handoff", NULL, secret_key, NULL, &reply)) {
		json_object *results = json_path_get(reply.body, "data.results");
		for (size_t i = 0; results && i < json_object_array_length(results); i++) {
			const char *item_id = json_path_string(json_object_array_get_idx(results, i), "id");
			ITEST_CHECK(!item_id || strtoll(item_id, NULL, 10) != id, "event filter excludes other subscriptions");
		}
		api_reply_free(&reply);
	}
	if (api_call("GET", "/api/v1/find/webhooks?status=paused", NULL, secret_key, NULL, &reply)) {
		expect("list with an unknown status", &reply, 400, "VALIDATION_ERROR");
		api_reply_free(&reply);
	}
	/* Another tenant sees nothing of it. */
	if (api_call("GET", path, NULL, other_token, NULL, &reply)) {
		expect("GET from another tenant", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	if (api_call("DELETE", path, NULL, other_token, NULL, &reply)) {
		expect("DELETE from another tenant", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
	if (api_call("DELETE", path, NULL, secret_key, NULL, &reply)) {
		expect("DELETE", &reply, 200, NULL);
		const char *answered_id = json_path_string(reply.body, "data.id");
		const char *message = json_path_string(reply.body, "data.message");
		ITEST_CHECK(answered_id && strtoll(answered_id, NULL, 10) == id && message && message[0] != '\0' &&
						json_object_get_boolean(json_path_get(reply.body, "data.deleted")),
					"DELETE answers {id, message, deleted}");
		api_reply_free(&reply);
	}
	if (api_call("GET", path, NULL, secret_key, NULL, &reply)) {
		expect("GET after DELETE", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
}

static void given_secret_is_not_echoed(void)
{
	char secret[128] = "unset";
	long long id = create_webhook(secret_key, "own-secret", "/ok/own", "[\"post.upsert\"]",
								  "\"secret\":\"my-own-secret-0123456789\"", secret, sizeof secret);
	ITEST_CHECK(id > 0 && secret[0] == '\0', "a secret the client chose is not sent back (got \"%s\")", secret);
}

static void publishable_keys_are_refused_on_every_webhook_route(void)
{
	static const struct {
		const char *method, *path;
	} routes[] = {
		{ "GET", "/api/v1/find/webhooks" },        { "POST", "/api/v1/find/webhooks" },
		{ "GET", "/api/v1/find/webhooks/events" }, { "GET", "/api/v1/find/webhooks/1" },
		{ "PUT", "/api/v1/find/webhooks/1" },      { "DELETE", "/api/v1/find/webhooks/1" },
		{ "POST", "/api/v1/find/webhooks/1/test" }, { "GET", "/api/v1/find/webhooks/1/stats" },
	};
	char authorization[300];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", publishable_key);
	const char *headers[] = { authorization, "Origin: https://shop.example", NULL };
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		bool has_body = strcmp(routes[i].method, "POST") == 0 || strcmp(routes[i].method, "PUT") == 0;
		struct http_request request = { .method = routes[i].method, .path_and_query = routes[i].path,
										.content_type = has_body ? "application/json" : NULL,
										.body = has_body ? "{}" : NULL, .body_length = has_body ? 2 : 0,
										.extra_headers = headers };
		struct http_response response;
		char error_text[128];
		memset(&response, 0, sizeof response);
		bool sent = http_client_send(&request, &response, error_text, sizeof error_text);
		ITEST_CHECK(sent && response.status == 403, "%s %s with a publishable key: expected 403, got %ld",
					routes[i].method, routes[i].path, response.status);
		http_response_free(&response);
	}
}

static void ssrf_rule_refuses_unreachable_kinds_of_address(void)
{
	/* Refused whatever webhook_allow_private_targets says. */
	static const char *const always_refused[] = {
		"http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:8080/", "http://[::ffff:169.254.169.254]/",
		"http://[ff02::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
	};
	for (size_t i = 0; i < sizeof always_refused / sizeof always_refused[0]; i++) {
		char body[512];
		snprintf(body, sizeof body, "{\"name\":\"ssrf\",\"url\":\"%s\",\"events\":[\"product.upsert\"]}",
				 always_refused[i]);
		struct api_reply reply;
		if (!api_call("POST", "/api/v1/find/webhooks", body, secret_key, NULL, &reply))
			continue;
		expect(always_refused[i], &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(error_detail_names(&reply, "url"), "%s: the detail names url", always_refused[i]);
		api_reply_free(&reply);
	}
	/* Loopback follows the setting (this stack's config says which). */
	struct api_reply reply;
	if (api_call("POST", "/api/v1/find/webhooks",
				 "{\"name\":\"loop\",\"url\":\"http://127.0.0.1:9/\",\"events\":[\"product.upsert\"]}", secret_key,
				 NULL, &reply)) {
		if (private_targets_allowed)
			expect("loopback with webhook_allow_private_targets = 1", &reply, 201, NULL);
		else
			expect("loopback with webhook_allow_private_targets = 0", &reply, 400, "VALIDATION_ERROR");
		const char *id = json_path_string(reply.body, "data.id");
		if (id != NULL) {
			char path[96];
			snprintf(path, sizeof path, "/api/v1/find/webhooks/%s", id);
			struct api_reply deleted;
			if (api_call("DELETE", path, NULL, secret_key, NULL, &deleted))
				api_reply_free(&deleted);
		}
		api_reply_free(&reply);
	}
}

static void plan_cap_refuses_the_webhook_over_the_limit(void)
{
	long long first = create_webhook(capped_token, "cap1", "/ok/cap", "[\"product.upsert\"]", NULL, NULL, 0);
	long long second = create_webhook(capped_token, "cap2", "/ok/cap", "[\"product.upsert\"]", NULL, NULL, 0);
	ITEST_CHECK(first > 0 && second > 0, "two webhooks within the cap of 2");
	char url[256], body[512];
	receiver_url("/ok/cap", url, sizeof url);
	snprintf(body, sizeof body, "{\"name\":\"cap3\",\"url\":\"%s\",\"events\":[\"product.upsert\"]}", url);
	struct api_reply reply;
	if (api_call("POST", "/api/v1/find/webhooks", body, capped_token, NULL, &reply)) {
		expect("third webhook on a plan with max_webhooks 2", &reply, 403, "PLAN_LIMIT_REACHED");
		api_reply_free(&reply);
	}
}

static void test_route_sends_a_signed_test_event_to_the_receiver(void)
{
	if (!private_targets_allowed) {
		ITEST_CHECK(false, "this test needs webhook_allow_private_targets = 1 (deploy/test.sh sets it)");
		return;
	}
	char secret[128];
	long long id = create_webhook(secret_key, "tested", "/ok/test-route", "[\"product.upsert\"]",
								  "\"headers\":{\"X-Test-Header\":\"hello\"}", secret, sizeof secret);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/test", id);
	struct api_reply reply;
	if (!api_call("POST", path, NULL, secret_key, NULL, &reply))
		return;
	expect("POST /webhooks/{id}/test", &reply, 200, NULL);
	json_object *success = json_path_get(reply.body, "data.success");
	int64_t code = 0;
	json_path_int64(reply.body, "data.responseCode", &code);
	const char *response_time = json_path_string(reply.body, "data.responseTime");
	const char *response_body = json_path_string(reply.body, "data.responseBody");
	ITEST_CHECK(success && json_object_get_boolean(success) && code == 200,
				"test delivery: success true, 200 (got %lld)", (long long)code);
	ITEST_CHECK(response_time && response_time[0] >= '0' && response_time[0] <= '9' &&
					strcmp(response_time + strspn(response_time, "0123456789"), "ms") == 0,
				"responseTime is milliseconds as text: %s", response_time ? response_time : "(none)");
	ITEST_CHECK(response_body && strcmp(response_body, "ok") == 0, "responseBody is the receiver's answer");
	ITEST_CHECK(json_path_get(reply.body, "data.errorMessage") == NULL, "no errorMessage on success");
	api_reply_free(&reply);
	struct received_request received[4];
	size_t count = receiver_requests_on("/ok/test-route", received, 4);
	if (ITEST_CHECK(count == 1, "the receiver got exactly one request, got %zu", count)) {
		ITEST_CHECK(strcmp(received[0].event, "webhook.test") == 0, "X-Webhook-Event: webhook.test, got %s",
					received[0].event);
		ITEST_CHECK(signature_valid(&received[0], secret), "X-Webhook-Signature verifies with the secret");
		ITEST_CHECK(!signature_valid(&received[0], "some-other-secret"), "and not with another secret");
		ITEST_CHECK(strcmp(received[0].custom_header, "hello") == 0, "the extra header arrives");
		json_object *body = json_tokener_parse(received[0].body);
		const char *event = body ? json_path_string(body, "event") : NULL;
		const char *body_id = body ? json_path_string(body, "id") : NULL;
		ITEST_CHECK(event && strcmp(event, "webhook.test") == 0, "body names the event");
		ITEST_CHECK(body_id && strcmp(body_id, received[0].webhook_id) == 0, "X-Webhook-Id is the body's id");
		if (body != NULL)
			json_object_put(body);
	}
	received_free(received, count < 4 ? count : 4);
	/* A test delivery is not counted in the statistics. */
	json_object *stats = stats_when(id, secret_key, NULL, 0);
	ITEST_CHECK(stats && stat_of(stats, "total_deliveries") == 0, "stats of a webhook only tested are zero");
	if (stats)
		json_object_put(stats);
}

static void test_route_reports_a_failing_receiver(void)
{
	if (!private_targets_allowed) {
		ITEST_CHECK(false, "this test needs webhook_allow_private_targets = 1 (deploy/test.sh sets it)");
		return;
	}
	long long id = create_webhook(admin_token, "tested-fail", "/fail/test-route", "[\"product.upsert\"]", NULL, NULL, 0);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/test", id);
	struct api_reply reply;
	if (!api_call("POST", path, NULL, admin_token, NULL, &reply))
		return;
	expect("POST /test against a 500 receiver answers 200 with the outcome", &reply, 200, NULL);
	json_object *success = json_path_get(reply.body, "data.success");
	int64_t code = 0;
	json_path_int64(reply.body, "data.responseCode", &code);
	const char *response_body = json_path_string(reply.body, "data.responseBody");
	const char *error = json_path_string(reply.body, "data.errorMessage");
	ITEST_CHECK(success && !json_object_get_boolean(success) && code == 500, "success false, responseCode 500");
	ITEST_CHECK(response_body && strcmp(response_body, "receiver says no") == 0, "responseBody is kept");
	ITEST_CHECK(error && strstr(error, "500"), "errorMessage says why");
	api_reply_free(&reply);
	snprintf(path, sizeof path, "/api/v1/find/webhooks/999999999/test");
	if (api_call("POST", path, NULL, admin_token, NULL, &reply)) {
		expect("POST /test of an unknown webhook", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
}

static void stats_of_a_new_webhook_are_zero(void)
{
	long long id = create_webhook(secret_key, "quiet", "/ok/quiet", "[\"chat.handoff\"]", NULL, NULL, 0);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	json_object *stats = stats_when(id, secret_key, NULL, 0);
	if (!ITEST_CHECK(stats != NULL, "stats answered"))
		return;
	ITEST_CHECK(stat_of(stats, "total_deliveries") == 0 && stat_of(stats, "successful") == 0
					&& stat_of(stats, "failed") == 0 && stat_of(stats, "pending") == 0
					&& stat_of(stats, "consecutive_failures") == 0,
				"every counter is 0");
	ITEST_CHECK(json_path_get(stats, "data.last_delivery_at") == NULL
					&& json_path_get(stats, "data.average_response_time_ms") == NULL,
				"no delivery time, no average yet");
	const char *status = json_path_string(stats, "data.status");
	ITEST_CHECK(status && strcmp(status, "active") == 0, "status active");
	json_object_put(stats);
	struct api_reply reply;
	if (api_call("GET", "/api/v1/find/webhooks/999999999/stats", NULL, secret_key, NULL, &reply)) {
		expect("stats of an unknown webhook", &reply, 404, "NOT_FOUND");
		api_reply_free(&reply);
	}
}

/* ------------------------------------------------------------ outbox end to end */

static int emit_event(const char *slug, const char *event, const char *data_json)
{
	const char *arguments[] = { "find-webhook-emit", slug, event, "--workspace", "shop-example", "--data", data_json,
								NULL };
	return admin_command(arguments, NULL);
}

static bool stats_have_one_success(json_object *stats)
{
	return stat_of(stats, "successful") == 1 && stat_of(stats, "pending") == 0;
}

static void emitted_event_reaches_subscribers_signed_and_only_them(void)
{
	char secret[128];
	long long id = create_webhook(secret_key, "e2e", "/ok/e2e", "[\"product.upsert\"]", NULL, secret, sizeof secret);
	long long other = create_webhook(secret_key, "e2e-other", "/ok/e2e-other", "[\"post.delete\"]", NULL, NULL, 0);
	long long inactive = create_webhook(secret_key, "e2e-inactive", "/ok/e2e-inactive", "[\"product.upsert\"]",
										"\"status\":\"inactive\"", NULL, 0);
	if (!ITEST_CHECK(id > 0 && other > 0 && inactive > 0, "webhooks created"))
		return;
	if (!ITEST_CHECK(emit_event(tenant, "product.upsert", "{\"id\":\"sku-1\",\"name\":\"Lamp\"}") == 0,
					 "intuka-admin find-webhook-emit"))
		return;
	ITEST_CHECK(wait_for_requests("/ok/e2e", 1, 20), "the subscribed webhook got the event within 20 s");
	struct received_request received[4];
	size_t count = receiver_requests_on("/ok/e2e", received, 4);
	if (count >= 1) {
		ITEST_CHECK(strcmp(received[0].event, "product.upsert") == 0, "X-Webhook-Event product.upsert");
		ITEST_CHECK(signature_valid(&received[0], secret), "the outbox delivery's signature verifies");
		json_object *body = json_tokener_parse(received[0].body);
		const char *workspace = body ? json_path_string(body, "workspace") : NULL;
		const char *product = body ? json_path_string(body, "data.id") : NULL;
		const char *body_id = body ? json_path_string(body, "id") : NULL;
		ITEST_CHECK(workspace && strcmp(workspace, "shop-example") == 0 && product && strcmp(product, "sku-1") == 0,
					"body carries the workspace and the payload");
		ITEST_CHECK(body_id && strncmp(body_id, "evt_", 4) == 0 && strcmp(body_id, received[0].webhook_id) == 0,
					"X-Webhook-Id is the event id");
		if (body != NULL)
			json_object_put(body);
	}
	received_free(received, count < 4 ? count : 4);
	json_object *stats = stats_when(id, secret_key, stats_have_one_success, 10);
	ITEST_CHECK(stats && stats_have_one_success(stats) && stat_of(stats, "total_deliveries") == 1
					&& json_path_get(stats, "data.last_success_at") != NULL,
				"stats: one successful delivery, none pending");
	if (stats)
		json_object_put(stats);
	usleep(500 * 1000);
	ITEST_CHECK(receiver_requests_on("/ok/e2e-other", NULL, 0) == 0, "a webhook of another event got nothing");
	ITEST_CHECK(receiver_requests_on("/ok/e2e-inactive", NULL, 0) == 0, "an inactive webhook got nothing");
	/* Another tenant's event never reaches this tenant's webhooks. */
	ITEST_CHECK(emit_event(other_tenant, "product.upsert", "{\"id\":\"sku-other\"}") == 0, "emit for another tenant");
	usleep(800 * 1000);
	ITEST_CHECK(receiver_requests_on("/ok/e2e", NULL, 0) == 1, "no delivery crossed tenants");
}

static bool stats_all_failed(json_object *stats)
{
	return stat_of(stats, "failed") >= suspend_after && stat_of(stats, "pending") == 0;
}

static void failing_receiver_gets_retries_then_the_webhook_is_suspended(void)
{
	long long id = create_webhook(secret_key, "failing", "/fail/suspend", "[\"post.upsert\"]",
								  "\"retry_policy\":{\"max_attempts\":2,\"backoff\":\"fixed\",\"initial_delay_ms\":100}",
								  NULL, 0);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	for (int i = 0; i < suspend_after; i++) {
		char data[64];
		snprintf(data, sizeof data, "{\"id\":\"post-%d\"}", i);
		ITEST_CHECK(emit_event(tenant, "post.upsert", data) == 0, "emit %d", i);
	}
	json_object *stats = stats_when(id, secret_key, stats_all_failed, 40);
	ITEST_CHECK(stats && stats_all_failed(stats), "every delivery failed after its retries (failed %lld)",
				(long long)(stats ? stat_of(stats, "failed") : -1));
	if (stats != NULL) {
		ITEST_CHECK(stat_of(stats, "successful") == 0, "nothing succeeded");
		ITEST_CHECK(stat_of(stats, "total_attempts") == 2 * suspend_after,
					"two attempts each: %lld", (long long)stat_of(stats, "total_attempts"));
		const char *status = json_path_string(stats, "data.status");
		ITEST_CHECK(status && strcmp(status, "suspended") == 0, "after %d failed deliveries in a row: suspended, got %s",
					suspend_after, status ? status : "-");
		ITEST_CHECK(json_path_get(stats, "data.last_failure_at") != NULL, "last_failure_at set");
		json_object_put(stats);
	}
	size_t attempts = receiver_requests_on("/fail/suspend", NULL, 0);
	ITEST_CHECK(attempts == (size_t)(2 * suspend_after), "the receiver saw %d attempts, got %zu", 2 * suspend_after,
				attempts);
	/* Suspended: new events are not queued for it. */
	ITEST_CHECK(emit_event(tenant, "post.upsert", "{\"id\":\"post-late\"}") == 0, "emit after suspension");
	usleep(800 * 1000);
	ITEST_CHECK(receiver_requests_on("/fail/suspend", NULL, 0) == attempts, "a suspended webhook gets nothing");
	/* A PUT resumes it with a fresh failure count. */
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld", id);
	struct api_reply reply;
	if (api_call("PUT", path, "{\"status\":\"active\"}", secret_key, NULL, &reply)) {
		expect("PUT status active", &reply, 200, NULL);
		const char *status = json_path_string(reply.body, "data.status");
		int64_t failures = -1;
		json_path_int64(reply.body, "data.consecutive_failures", &failures);
		ITEST_CHECK(status && strcmp(status, "active") == 0 && failures == 0, "active again, failure count 0");
		api_reply_free(&reply);
	}
}

static bool deliverer_kill_setup(pid_t *pid)
{
	char why[256];
	if (!stack_read_master_pid(getenv("INTUKA_TEST_DELIVERY_PIDFILE"), pid, why, sizeof why)) {
		ITEST_CHECK(false, "delivery pid file: %s", why);
		return false;
	}
	char path[64], cmdline[512] = "";
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)*pid);
	FILE *file = fopen(path, "r");
	size_t length = file ? fread(cmdline, 1, sizeof cmdline - 1, file) : 0;
	if (file)
		fclose(file);
	for (size_t i = 0; i < length; i++)
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	return ITEST_CHECK(strstr(cmdline, "--deliver-webhooks") != NULL, "pid %ld is the delivery process (%s)",
					   (long)*pid, cmdline);
}

static bool stats_three_successes(json_object *stats)
{
	return stat_of(stats, "successful") == 3 && stat_of(stats, "pending") == 0;
}

static void killed_delivery_process_loses_no_event(void)
{
	long long id = create_webhook(secret_key, "slow", "/slow/kill", "[\"taxonomy.upsert\"]", NULL, NULL, 0);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	pid_t pid = 0;
	if (!deliverer_kill_setup(&pid))
		return;
	for (int i = 0; i < 3; i++) {
		char data[64];
		snprintf(data, sizeof data, "{\"id\":\"term-%d\"}", i);
		ITEST_CHECK(emit_event(tenant, "taxonomy.upsert", data) == 0, "emit %d", i);
	}
	/* The receiver holds the first request two seconds: kill while it waits. */
	if (!ITEST_CHECK(wait_for_requests("/slow/kill", 1, 20), "the first delivery started"))
		return;
	ITEST_CHECK(kill(pid, SIGKILL) == 0, "SIGKILL the delivery process");
	for (int i = 0; i < 50 && stack_process_is_alive(pid); i++)
		usleep(100 * 1000);
	ITEST_CHECK(!stack_process_is_alive(pid), "the delivery process is gone");
	ITEST_CHECK(stack_run_command(getenv("INTUKA_TEST_DELIVERY_START_CMD")) == 0, "the delivery process restarts");
	/* Its claims come back when the lease (webhook_lease_s) ends. */
	int lease_s = 60;
	read_config_int("webhook_lease_s", &lease_s);
	json_object *stats = stats_when(id, secret_key, stats_three_successes, lease_s + 30);
	ITEST_CHECK(stats && stats_three_successes(stats), "all three deliveries succeeded after the restart (%lld)",
				(long long)(stats ? stat_of(stats, "successful") : -1));
	if (stats)
		json_object_put(stats);
	/* At least once: every event id arrived; the interrupted one perhaps twice. */
	struct received_request received[16];
	size_t count = receiver_requests_on("/slow/kill", received, 16);
	size_t stored = count < 16 ? count : 16;
	int seen[3] = { 0, 0, 0 };
	for (size_t i = 0; i < stored; i++) {
		json_object *body = json_tokener_parse(received[i].body);
		const char *term = body ? json_path_string(body, "data.id") : NULL;
		for (int t = 0; term && t < 3; t++) {
			char expected[16];
			snprintf(expected, sizeof expected, "term-%d", t);
			seen[t] += strcmp(term, expected) == 0;
		}
		if (body)
			json_object_put(body);
	}
	ITEST_CHECK(seen[0] >= 1 && seen[1] >= 1 && seen[2] >= 1, "every event arrived (%d %d %d times)", seen[0], seen[1],
				seen[2]);
	received_free(received, stored);
}

/* A content request with the secret key and a workspace; returns the status. */
static long content_call(const char *method, const char *path, const char *body)
{
	char authorization[300];
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", secret_key);
	const char *headers[] = { authorization, "X-Workspace-ID: hooks-shop", NULL };
	struct http_request request = { .method = method, .path_and_query = path,
									.content_type = body ? "application/json" : NULL, .body = body,
									.body_length = body ? strlen(body) : 0, .extra_headers = headers };
	struct http_response response;
	char error_text[128];
	memset(&response, 0, sizeof response);
	long status = http_client_send(&request, &response, error_text, sizeof error_text) ? response.status : 0;
	if (status == 0 || status >= 500)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, status, response.body ? response.body : "");
	http_response_free(&response);
	return status;
}

/* The delivered event whose data.id (or data.ids, joined) is the given text. */
static const struct received_request *find_delivery(const struct received_request *received, size_t count,
													const char *event, const char *member, const char *value)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(received[i].event, event) != 0)
			continue;
		json_object *body = json_tokener_parse(received[i].body);
		json_object *data = body ? json_path_get(body, "data") : NULL;
		json_object *field = NULL;
		bool match = false;
		if (data != NULL && json_object_object_get_ex(data, member, &field)) {
			if (json_object_is_type(field, json_type_array)) {
				char joined[512] = "";
				for (size_t j = 0; j < json_object_array_length(field); j++) {
					size_t used = strlen(joined);
					snprintf(joined + used, sizeof joined - used, "%s%s", j ? "," : "",
							 json_object_get_string(json_object_array_get_idx(field, j)));
				}
				match = strcmp(joined, value) == 0;
			} else {
				match = strcmp(json_object_get_string(field), value) == 0;
			}
		}
		if (body != NULL)
			json_object_put(body);
		if (match)
			return &received[i];
	}
	return NULL;
}

static bool created_flag(const struct received_request *request, bool expected)
{
	json_object *body = json_tokener_parse(request->body);
	json_object *created = body ? json_path_get(body, "data.created") : NULL;
	bool holds = created && json_object_is_type(created, json_type_boolean) && json_object_get_boolean(created) == expected;
	if (body != NULL)
		json_object_put(body);
	return holds;
}

static void content_writes_emit_events_in_their_transaction(void)
{
	char secret[128];
	long long id = create_webhook(secret_key, "content", "/ok/content",
								  "[\"product.upsert\",\"product.delete\",\"taxonomy.upsert\"]", NULL, secret,
								  sizeof secret);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	ITEST_CHECK(content_call("POST", "/api/v1/find/products",
							 "{\"id\":\"hook-lamp\",\"name\":\"Hook lamp\",\"content\":\"A lamp\",\"price\":12.5,"
							 "\"status\":\"draft\"}") == 200, "product created");
	ITEST_CHECK(content_call("POST", "/api/v1/find/products",
							 "{\"id\":\"hook-lamp\",\"name\":\"Hook lamp 2\",\"content\":\"A lamp\",\"price\":13,"
							 "\"status\":\"draft\"}") == 200, "product updated");
	ITEST_CHECK(content_call("DELETE", "/api/v1/find/products/hook-lamp", NULL) == 200, "product deleted");
	ITEST_CHECK(content_call("POST", "/api/v1/find/products/bulk",
							 "{\"entities\":[{\"id\":\"q1\",\"name\":\"Q one\",\"status\":\"gone\"},"
							 "{\"id\":\"q2\",\"name\":\"Q two\",\"status\":\"gone\"}]}") == 200, "bulk upsert");
	ITEST_CHECK(content_call("POST", "/api/v1/find/products/delete-by-query",
							 "{\"filters\":[{\"field\":\"status\",\"value\":\"gone\"}]}") == 200,
				"delete-by-query");
	ITEST_CHECK(content_call("POST", "/api/v1/find/taxonomies", "{\"id\":\"cat-1\",\"name\":\"Lamps\"}") == 200,
				"taxonomy upsert");
	/* A post is written too, but this webhook does not subscribe to posts. */
	ITEST_CHECK(content_call("POST", "/api/v1/find/posts", "{\"id\":\"p-1\",\"title\":\"Lamps\"}") == 200,
				"post upsert");
	/* A refused write (no name) is rolled back with its event. */
	ITEST_CHECK(content_call("POST", "/api/v1/find/products", "{\"id\":\"no-name\"}") == 400, "invalid product refused");
	ITEST_CHECK(wait_for_requests("/ok/content", 7, 30), "seven events delivered, got %zu",
				receiver_requests_on("/ok/content", NULL, 0));
	usleep(500 * 1000);
	struct received_request received[16];
	size_t count = receiver_requests_on("/ok/content", received, 16);
	size_t stored = count < 16 ? count : 16;
	ITEST_CHECK(count == 7, "exactly seven deliveries (2 upserts, 1 delete, 2 bulk upserts, 1 delete-by-query, "
				"1 taxonomy), got %zu", count);
	for (size_t i = 0; i < stored; i++)
		ITEST_CHECK(signature_valid(&received[i], secret), "delivery %zu (%s) verifies", i, received[i].event);
	const struct received_request *first = find_delivery(received, stored, "product.upsert", "id", "hook-lamp");
	ITEST_CHECK(first != NULL, "product.upsert for hook-lamp");
	bool created_seen = false, updated_seen = false;
	for (size_t i = 0; i < stored; i++) {
		if (strcmp(received[i].event, "product.upsert") != 0 || !strstr(received[i].body, "\"hook-lamp\""))
			continue;
		created_seen |= created_flag(&received[i], true);
		updated_seen |= created_flag(&received[i], false);
	}
	ITEST_CHECK(created_seen && updated_seen, "one upsert says created, the other updated");
	ITEST_CHECK(find_delivery(received, stored, "product.delete", "id", "hook-lamp") != NULL,
				"product.delete for hook-lamp");
	ITEST_CHECK(find_delivery(received, stored, "product.upsert", "id", "q1") != NULL
					&& find_delivery(received, stored, "product.upsert", "id", "q2") != NULL,
				"each bulk upsert is an event");
	ITEST_CHECK(find_delivery(received, stored, "product.delete", "ids", "q1,q2") != NULL,
				"delete-by-query: one product.delete naming both ids");
	const struct received_request *taxonomy = find_delivery(received, stored, "taxonomy.upsert", "id", "cat-1");
	if (ITEST_CHECK(taxonomy != NULL, "taxonomy.upsert for cat-1")) {
		json_object *body = json_tokener_parse(taxonomy->body);
		const char *workspace = body ? json_path_string(body, "workspace") : NULL;
		ITEST_CHECK(workspace && strcmp(workspace, "hooks-shop") == 0, "the event names the write's workspace");
		if (body)
			json_object_put(body);
	}
	ITEST_CHECK(find_delivery(received, stored, "product.upsert", "id", "no-name") == NULL,
				"no event for the refused write");
	received_free(received, stored);
}

static void prompt_writes_chat_handoff_and_feedback_emit_events(void)
{
	char secret[128];
	long long id = create_webhook(secret_key, "conversation", "/ok/conversation",
								  "[\"prompt.upsert\",\"prompt.delete\",\"chat.handoff\",\"feedback.submit\"]", NULL, secret,
								  sizeof secret);
	if (!ITEST_CHECK(id > 0, "webhook created"))
		return;
	long status = content_call("POST", "/api/v1/find/prompts",
							   "{\"id\":\"hook-prompt\",\"prompt\":\"Do you gift wrap?\",\"title\":\"Gift wrap\","
							   "\"canned_response\":\"Yes, for free.\"}");
	ITEST_CHECK(status == 200 || status == 201, "prompt upsert: %ld", status);
	ITEST_CHECK(content_call("DELETE", "/api/v1/find/prompts/hook-prompt", NULL) == 200, "prompt delete");
	ITEST_CHECK(content_call("POST", "/api/v1/find/chat",
							 "{\"message\":\"Can I talk to a human please\",\"threadId\":\"hook-thread\","
							 "\"visitorId\":\"v-hook\"}") == 200, "chat asking for a human");
	ITEST_CHECK(content_call("POST", "/api/v1/find/chat",
							 "{\"message\":\"Do you gift wrap?\",\"threadId\":\"hook-thread-2\"}") == 200,
				"chat without a handoff");
	ITEST_CHECK(content_call("POST", "/api/v1/find/feedback",
							 "{\"threadId\":\"hook-thread\",\"rating\":\"positive\",\"comment\":\"helpful\"}") == 201,
				"feedback submitted");
	ITEST_CHECK(wait_for_requests("/ok/conversation", 4, 20), "four events delivered, got %zu",
				receiver_requests_on("/ok/conversation", NULL, 0));
	usleep(500 * 1000);
	struct received_request received[8];
	size_t count = receiver_requests_on("/ok/conversation", received, 8);
	size_t stored = count < 8 ? count : 8;
	ITEST_CHECK(count == 4, "exactly four deliveries (upsert, delete, one handoff, feedback), got %zu", count);
	for (size_t i = 0; i < stored; i++)
		ITEST_CHECK(signature_valid(&received[i], secret), "delivery %zu (%s) verifies", i, received[i].event);
	const struct received_request *upsert = find_delivery(received, stored, "prompt.upsert", "id", "hook-prompt");
	ITEST_CHECK(upsert != NULL && created_flag(upsert, true), "prompt.upsert, created");
	ITEST_CHECK(find_delivery(received, stored, "prompt.delete", "ids", "hook-prompt") != NULL, "prompt.delete");
	ITEST_CHECK(find_delivery(received, stored, "chat.handoff", "thread_id", "hook-thread") != NULL,
				"chat.handoff names the thread");
	ITEST_CHECK(find_delivery(received, stored, "chat.handoff", "thread_id", "hook-thread-2") == NULL,
				"an ordinary chat message is no handoff");
	ITEST_CHECK(find_delivery(received, stored, "feedback.submit", "threadId", "hook-thread") != NULL,
				"feedback.submit names the thread");
	received_free(received, stored);
}

/* auth_type and auth_config: the header reaches the receiver with the test
 * delivery and with an outbox delivery; the credentials are never shown;
 * an update changes or clears them. */
static void auth_config_adds_its_header_to_every_delivery(void)
{
	if (!private_targets_allowed) {
		ITEST_CHECK(false, "this test needs webhook_allow_private_targets = 1 (deploy/test.sh sets it)");
		return;
	}
	const struct {
		const char *path, *members, *authorization, *shop_key, *shown;
	} cases[] = {
		{ "/ok/auth-bearer", "\"auth_type\":\"bearer\",\"auth_config\":{\"token\":\"tok-secret-1\"}",
		  "Bearer tok-secret-1", "", "{ }" },
		/* base64("shop:pa ss") */
		{ "/ok/auth-basic", "\"auth_type\":\"basic\",\"auth_config\":{\"username\":\"shop\",\"password\":\"pa ss\"}",
		  "Basic c2hvcDpwYSBzcw==", "", "{ \"username\": \"shop\" }" },
		{ "/ok/auth-key", "\"auth_type\":\"api_key\",\"auth_config\":{\"key\":\"key-secret-2\",\"header\":\"X-Shop-Key\"}",
		  "", "key-secret-2", "{ \"header\": \"X-Shop-Key\" }" },
	};
	long long ids[3] = { 0 };
	for (size_t i = 0; i < 3; i++) {
		ids[i] = create_webhook(secret_key, "auth", cases[i].path, "[\"taxonomy.delete\"]", cases[i].members, NULL, 0);
		if (!ITEST_CHECK(ids[i] > 0, "webhook %s created", cases[i].path))
			return;
		char path[96];
		snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld", ids[i]);
		struct api_reply reply;
		if (api_call("GET", path, NULL, secret_key, NULL, &reply)) {
			const char *text = json_object_to_json_string(reply.body);
			json_object *shown = json_path_get(reply.body, "data.auth_config");
			ITEST_CHECK(shown && strcmp(json_object_to_json_string(shown), cases[i].shown) == 0,
						"%s: auth_config shown as %s, got %s", cases[i].path, cases[i].shown,
						shown ? json_object_to_json_string(shown) : "(none)");
			ITEST_CHECK(strstr(text, "tok-secret-1") == NULL && strstr(text, "pa ss") == NULL &&
							strstr(text, "key-secret-2") == NULL,
						"%s: no credential in the answer", cases[i].path);
			api_reply_free(&reply);
		}
		snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/test", ids[i]);
		if (api_call("POST", path, NULL, secret_key, NULL, &reply)) {
			expect("POST test with auth", &reply, 200, NULL);
			api_reply_free(&reply);
		}
	}
	/* The same header with a delivery from the outbox. */
	ITEST_CHECK(emit_event(tenant, "taxonomy.delete", "{\"ids\":[\"t-auth\"]}") == 0, "emit taxonomy.delete");
	for (size_t i = 0; i < 3; i++) {
		ITEST_CHECK(wait_for_requests(cases[i].path, 2, 20), "%s: test and outbox deliveries arrived", cases[i].path);
		struct received_request received[4];
		size_t count = receiver_requests_on(cases[i].path, received, 4);
		for (size_t r = 0; r < count && r < 4; r++)
			ITEST_CHECK(strcmp(received[r].authorization, cases[i].authorization) == 0 &&
							strcmp(received[r].shop_key, cases[i].shop_key) == 0,
						"%s delivery %zu (%s): Authorization \"%s\", X-Shop-Key \"%s\"", cases[i].path, r,
						received[r].event, received[r].authorization, received[r].shop_key);
		received_free(received, count < 4 ? count : 4);
	}
	/* Updates: a new token alone keeps the type; a new type needs its config; none clears it. */
	char path[96];
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld", ids[0]);
	struct api_reply reply;
	if (api_call("PUT", path, "{\"auth_config\":{\"token\":\"tok-new\"}}", secret_key, NULL, &reply)) {
		const char *type = json_path_string(reply.body, "data.auth_type");
		ITEST_CHECK(reply.status == 200 && type && strcmp(type, "bearer") == 0, "a new token keeps bearer");
		api_reply_free(&reply);
	}
	if (api_call("PUT", path, "{\"auth_type\":\"basic\"}", secret_key, NULL, &reply)) {
		expect("PUT a new auth_type without its config", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(error_detail_names(&reply, "auth_config"), "the detail names auth_config");
		api_reply_free(&reply);
	}
	if (api_call("PUT", path, "{\"headers\":{\"authorization\":\"Bearer x\"}}", secret_key, NULL, &reply)) {
		expect("PUT an Authorization header beside bearer", &reply, 400, "VALIDATION_ERROR");
		ITEST_CHECK(error_detail_names(&reply, "headers.authorization"), "the detail names the header");
		api_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/test", ids[0]);
	if (api_call("POST", path, NULL, secret_key, NULL, &reply))
		api_reply_free(&reply);
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld", ids[0]);
	if (api_call("PUT", path, "{\"auth_type\":\"none\"}", secret_key, NULL, &reply)) {
		const char *type = json_path_string(reply.body, "data.auth_type");
		json_object *shown = json_path_get(reply.body, "data.auth_config");
		ITEST_CHECK(reply.status == 200 && type && strcmp(type, "none") == 0 && shown &&
						json_object_object_length(shown) == 0,
					"auth_type none clears the config");
		api_reply_free(&reply);
	}
	snprintf(path, sizeof path, "/api/v1/find/webhooks/%lld/test", ids[0]);
	if (api_call("POST", path, NULL, secret_key, NULL, &reply))
		api_reply_free(&reply);
	struct received_request received[6];
	size_t count = receiver_requests_on(cases[0].path, received, 6);
	ITEST_CHECK(count == 4 && strcmp(received[2].authorization, "Bearer tok-new") == 0 &&
					received[3].authorization[0] == '\0',
				"after the updates: the new token, then no Authorization (%zu requests)", count);
	received_free(received, count < 6 ? count : 6);
}

bool find_webhooks_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("find_webhooks", webhooks_suite_init, webhooks_suite_cleanup);
	if (suite == NULL)
		return false;
	const char *no_admin = test_environment_has(test_environment.admin_binary)
								   && test_environment_has(test_environment.config_file)
							   ? NULL
							   : "needs INTUKA_TEST_ADMIN and INTUKA_TEST_CONFIG";
	const char *no_deliverer = test_environment_has(getenv("INTUKA_TEST_DELIVERY_PIDFILE"))
									   && test_environment_has(getenv("INTUKA_TEST_DELIVERY_START_CMD"))
								   ? no_admin
								   : "needs INTUKA_TEST_DELIVERY_PIDFILE and INTUKA_TEST_DELIVERY_START_CMD";
	return itest_add_test(suite, "events_route_lists_the_ten_event_names",
						  events_route_lists_the_ten_event_names, no_admin)
		   && itest_add_test(suite, "create_refuses_invalid_fields_with_details",
							 create_refuses_invalid_fields_with_details, no_admin)
		   && itest_add_test(suite, "crud_round_trip_keeps_the_secret_hidden", crud_round_trip_keeps_the_secret_hidden,
							 no_admin)
		   && itest_add_test(suite, "given_secret_is_not_echoed", given_secret_is_not_echoed, no_admin)
		   && itest_add_test(suite, "publishable_keys_are_refused_on_every_webhook_route",
							 publishable_keys_are_refused_on_every_webhook_route, no_admin)
		   && itest_add_test(suite, "ssrf_rule_refuses_unreachable_kinds_of_address",
							 ssrf_rule_refuses_unreachable_kinds_of_address, no_admin)
		   && itest_add_test(suite, "plan_cap_refuses_the_webhook_over_the_limit",
							 plan_cap_refuses_the_webhook_over_the_limit, no_admin)
		   && itest_add_test(suite, "test_route_sends_a_signed_test_event_to_the_receiver",
							 test_route_sends_a_signed_test_event_to_the_receiver, no_admin)
		   && itest_add_test(suite, "test_route_reports_a_failing_receiver", test_route_reports_a_failing_receiver,
							 no_admin)
		   && itest_add_test(suite, "stats_of_a_new_webhook_are_zero", stats_of_a_new_webhook_are_zero, no_admin)
		   && itest_add_test(suite, "emitted_event_reaches_subscribers_signed_and_only_them",
							 emitted_event_reaches_subscribers_signed_and_only_them, no_admin)
		   && itest_add_test(suite, "failing_receiver_gets_retries_then_the_webhook_is_suspended",
							 failing_receiver_gets_retries_then_the_webhook_is_suspended, no_admin)
		   && itest_add_test(suite, "killed_delivery_process_loses_no_event", killed_delivery_process_loses_no_event,
							 no_deliverer)
		   && itest_add_test(suite, "content_writes_emit_events_in_their_transaction",
							 content_writes_emit_events_in_their_transaction, no_admin)
		   && itest_add_test(suite, "prompt_writes_chat_handoff_and_feedback_emit_events",
							 prompt_writes_chat_handoff_and_feedback_emit_events, no_admin)
		   && itest_add_test(suite, "auth_config_adds_its_header_to_every_delivery",
							 auth_config_adds_its_header_to_every_delivery, no_admin);
}

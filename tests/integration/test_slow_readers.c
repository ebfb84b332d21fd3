/*
 * Clients that ask for a large answer and never read it: more of them than
 * the stack has workers must not stop the service. Health answers within
 * 1 s throughout behind lighttpd (it takes whole answers from intukad) and
 * Apache mod_proxy_fcgi (intukad's response sender holds what Apache does
 * not take); behind mod_fcgid, which keeps a process busy until the answer
 * is through or Apache's Timeout passes (INTUKA_TEST_WEB_CLIENT_TIMEOUT_S),
 * within that Timeout and two seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "find_client.h"
#include "health_probe.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "suites.h"
#include "test_environment.h"

enum {
	TOKEN_MAX = 4097,
	PRODUCT_CONTENT_BYTES = 60000, /* under the 64 KiB a document may hold */
	PRODUCT_COUNT = 100,           /* the most one search page returns */
	PRODUCTS_PER_BULK = 14,        /* keeps each bulk body under the 1 MiB request limit */
	SLOW_READER_RECEIVE_BUFFER = 4096,
	FAST_HEALTH_MS = 1000,
};

static char tenant[64], token[TOKEN_MAX];
static const char password[] = "slow-readers-password-1";

/* An integer setting of the stack's configuration file, or fallback. */
static long stack_setting(const char *name, long fallback)
{
	FILE *file = fopen(test_environment.config_file, "r");
	char line[512];
	long value = fallback;
	size_t name_length = strlen(name);
	while (file != NULL && fgets(line, sizeof line, file) != NULL) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, name, name_length) == 0 && strchr(" \t=", p[name_length]) != NULL)
			value = strtol(strchr(p, '=') ? strchr(p, '=') + 1 : p + name_length, NULL, 10);
	}
	if (file != NULL)
		fclose(file);
	return value;
}

static bool seed_large_products(void)
{
	size_t body_size = (size_t)PRODUCTS_PER_BULK * (PRODUCT_CONTENT_BYTES + 200) + 64;
	char *body = malloc(body_size);
	char *content = malloc(PRODUCT_CONTENT_BYTES + 1);
	if (!ITEST_CHECK(body != NULL && content != NULL, "out of memory")) {
		free(body);
		free(content);
		return false;
	}
	memset(content, 'w', PRODUCT_CONTENT_BYTES);
	content[PRODUCT_CONTENT_BYTES] = '\0';
	bool seeded = true;
	const struct find_headers shop = { .workspace = "slow-shop" };
	for (int first = 0; first < PRODUCT_COUNT && seeded; first += PRODUCTS_PER_BULK) {
		size_t used = (size_t)snprintf(body, body_size, "{\"entities\":[");
		for (int i = first; i < first + PRODUCTS_PER_BULK && i < PRODUCT_COUNT; i++)
			used += (size_t)snprintf(body + used, body_size - used, "%s{\"id\":\"big-%03d\",\"name\":\"Big %d\","
									 "\"content\":\"%s\"}", i == first ? "" : ",", i, i, content);
		snprintf(body + used, body_size - used, "]}");
		struct find_reply reply;
		seeded = find_call("POST", "/products/bulk", body, token, &shop, &reply) &&
				 ITEST_CHECK(reply.status == 200, "bulk of big products: %ld", reply.status);
		find_reply_free(&reply);
	}
	free(body);
	free(content);
	return seeded;
}

/* A connection that sends the search and will not read its answer. */
static int slow_reader_open(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int receive_buffer = SLOW_READER_RECEIVE_BUFFER;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &address.sin_addr);
	if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		close(fd);
		return -1;
	}
	static const char search[] = "{\"text\":\"\",\"limit\":100}";
	char request[8192];
	int length = snprintf(request, sizeof request,
						  "POST /api/v1/find/products/search HTTP/1.1\r\nHost: %s:%d\r\n"
						  "Authorization: Bearer %s\r\nX-Workspace-ID: slow-shop\r\n"
						  "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
						  host, port, token, strlen(search), search);
	if (length <= 0 || (size_t)length >= sizeof request || send(fd, request, (size_t)length, 0) != length) {
		close(fd);
		return -1;
	}
	return fd;
}

static int slow_readers_suite_init(void)
{
	if (!find_make_tenant_admin("slw", "Slow Co", password, tenant, sizeof tenant, token))
		return 1;
	return 0;
}

static void more_slow_readers_than_workers_leave_health_answering(void)
{
	char host[64] = "";
	int port = 0;
	if (!ITEST_CHECK(sscanf(test_environment.base_url, "http://%63[^:]:%d", host, &port) == 2,
					 "base URL %s is not http://HOST:PORT", test_environment.base_url) ||
		!seed_large_products())
		return;
	long workers = stack_setting("workers", 4), send_timeout_ms = stack_setting("send_timeout_ms", 10000);
	bool fcgid = strcmp(test_environment.flavour, "fcgid") == 0;
	const char *client_timeout_text = getenv("INTUKA_TEST_WEB_CLIENT_TIMEOUT_S");
	long client_timeout_ms = client_timeout_text ? 1000 * strtol(client_timeout_text, NULL, 10) : 60000;
	long allowed_ms = fcgid ? client_timeout_ms + 2 * FAST_HEALTH_MS : FAST_HEALTH_MS;
	int readers[64];
	int reader_count = (int)workers + 1;
	if (!ITEST_CHECK(reader_count <= 64, "%ld workers: too many for this test", workers))
		return;
	for (int i = 0; i < reader_count; i++) {
		readers[i] = slow_reader_open(host, port);
		ITEST_CHECK(readers[i] >= 0, "slow reader %d: cannot connect or send: %s", i, strerror(errno));
	}
	/* Probe for longer than a worker could be held, so a held one would show. */
	int64_t started = itest_clock_now_ms(), slowest_ms = 0;
	int probes = 0, failed = 0;
	char why[512] = "";
	while (itest_clock_now_ms() - started < 2 * send_timeout_ms + 2000) {
		int64_t sent = itest_clock_now_ms();
		struct health_observation observation;
		health_probe(&observation);
		int64_t took_ms = itest_clock_now_ms() - sent;
		probes++;
		if (took_ms > slowest_ms)
			slowest_ms = took_ms;
		if (!health_observation_is_healthy(&observation) && failed++ == 0)
			health_observation_describe(&observation, why, sizeof why);
		itest_clock_sleep_ms(250);
	}
	for (int i = 0; i < reader_count; i++)
		if (readers[i] >= 0)
			close(readers[i]);
	printf("    %s: %d slow readers, %ld workers: %d health probes, slowest %lld ms, %d failed\n",
		   test_environment.flavour, reader_count, workers, probes, (long long)slowest_ms, failed);
	ITEST_CHECK(failed == 0, "%d of %d health probes failed; first: %s", failed, probes, why);
	ITEST_CHECK(slowest_ms <= allowed_ms, "slowest health answer %lld ms, allowed %ld ms behind %s",
				(long long)slowest_ms, allowed_ms, test_environment.flavour);
}

bool slow_readers_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("slow_readers", slow_readers_suite_init, NULL);
	return suite != NULL &&
		   itest_add_test(suite, "more_slow_readers_than_workers_leave_health_answering",
						  more_slow_readers_than_workers_leave_health_answering,
						  test_environment_has(test_environment.config_file) ? NULL
																			  : "INTUKA_TEST_CONFIG is empty");
}

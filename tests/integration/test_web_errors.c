/*
 * What the web server in front of intukad answers itself, behind each
 * flavour: a POST without a body or Content-Length, requests over the web
 * server's own size limits, paths and methods it refuses, intukad stopped,
 * and a worker killed in the middle of a request. Every answer must be the
 * API's JSON error envelope with the code intukad uses for that status. The
 * tables say per flavour which status comes back and who gives it: an answer
 * of intukad carries an X-Request-Id, one of the web server none, so a limit
 * that stops applying (or starts to) shows. docs/operations.md has the same
 * table ("What the web server answers itself").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "health_probe.h"
#include "http_client.h"
#include "itest_check.h"
#include "itest_clock.h"
#include "json_path.h"
#include "response_checks.h"
#include "sql_session.h"
#include "stack_control.h"
#include "suites.h"
#include "test_environment.h"

enum web_flavour { FLAVOUR_LIGHTTPD, FLAVOUR_APACHE, FLAVOUR_FCGID, FLAVOUR__MAX };

enum answerer { BY_INTUKAD, BY_WEB_SERVER };

struct expected_answer {
	long status;
	const char *code;
	enum answerer by;
};

/* The expected answer behind each flavour, indexed by enum web_flavour. */
struct expected_answers {
	struct expected_answer by_flavour[FLAVOUR__MAX];
};

/* The same answer, from intukad, behind every flavour. */
#define FROM_INTUKAD_EVERYWHERE(status_value, code_value)                          \
	{                                                                              \
		.by_flavour = {                                                            \
			[FLAVOUR_LIGHTTPD] = { .status = (status_value), .code = (code_value), \
								   .by = BY_INTUKAD },                             \
			[FLAVOUR_APACHE] = { .status = (status_value), .code = (code_value),   \
								 .by = BY_INTUKAD },                               \
			[FLAVOUR_FCGID] = { .status = (status_value), .code = (code_value),    \
								.by = BY_INTUKAD },                                \
		}                                                                          \
	}

/*
 * Sizes against the limits in deploy/: intukad's (1 MiB body, 16 KiB of
 * headers, 2 KiB path; deploy/lib/stack.sh) and the web servers' looser ones
 * (lighttpd: 20 KiB for the request line and headers together, 4 MiB body;
 * Apache: 8190 bytes per request line and per header field, 4 MiB body, and
 * under mod_fcgid FcgidMaxRequestLen 4 MiB).
 */
enum {
	PATH_OVER_INTUKAD_BYTES = 4 * 1024,
	PATH_OVER_WEB_SERVER_BYTES = 24 * 1024,
	HEADER_FIELD_OVER_WEB_SERVER_BYTES = 24 * 1024,
	/* Three of these are over intukad's 16 KiB and under every web server's limits. */
	HEADER_FIELD_UNDER_WEB_SERVER_BYTES = 6 * 1024,
	HEADER_FIELDS_OVER_INTUKAD = 3,
	BODY_OVER_INTUKAD_BYTES = 2 * 1024 * 1024,
	BODY_OVER_WEB_SERVER_BYTES = 5 * 1024 * 1024,
	/* Large enough that mod_proxy_fcgi streams a chunked body on without a
	 * Content-Length (a small one it reads whole and sends with its length). */
	CHUNKED_BODY_PADDING_BYTES = 100 * 1024,
	MASTER_STOP_DEADLINE_MS = 20000,
	RECOVERY_DEADLINE_MS = 20000,
	IN_FLIGHT_DEADLINE_MS = 5000,
	POLL_INTERVAL_MS = 100,
	/* The table lock ends when the test kills its session; this only bounds
	 * it should the test itself die. */
	TABLE_LOCK_HOLD_S = 30,
	HOLDER_EXIT_DEADLINE_MS = 5000,
};

/* What intukad says in Retry-After on its own 503, and the Apache configs on theirs. */
static const char expected_retry_after[] = "5";

static enum web_flavour web_errors_flavour(void)
{
	if (strcmp(test_environment.flavour, "apache") == 0)
		return FLAVOUR_APACHE;
	if (strcmp(test_environment.flavour, "fcgid") == 0)
		return FLAVOUR_FCGID;
	return FLAVOUR_LIGHTTPD;
}

static const char *web_errors_answerer_name(enum answerer by)
{
	return by == BY_INTUKAD ? "intukad" : "the web server";
}

/* The checks for an answer the web server gives itself: no X-Request-Id, and
 * on Apache a Retry-After on 502-504 as intukad sends on its 503. */
static void web_errors_check_web_server_answer(const char *label, const struct http_response *response,
											   const struct expected_answer *expected)
{
	const char *content_type = http_response_header(response, "Content-Type");
	const char *request_id = http_response_header(response, "X-Request-Id");
	const char *retry_after = http_response_header(response, "Retry-After");
	const char *code;
	json_object *root, *success;
	char why[512];

	ITEST_CHECK(response->status == expected->status, "%s: expected status %ld, got %ld; body: %.300s", label,
				expected->status, response->status, response->body);
	ITEST_CHECK(content_type_is_json(content_type), "%s: Content-Type should start with application/json, got \"%s\"",
				label, content_type != NULL ? content_type : "(none)");
	ITEST_CHECK(request_id == NULL,
				"%s: the web server was expected to answer, but X-Request-Id \"%s\" says intukad did", label,
				request_id != NULL ? request_id : "");
	if (response->status >= 502 && response->status <= 504 && web_errors_flavour() != FLAVOUR_LIGHTTPD) {
		ITEST_CHECK(retry_after != NULL && strcmp(retry_after, expected_retry_after) == 0,
					"%s: Retry-After should be \"%s\", got \"%s\"", label, expected_retry_after,
					retry_after != NULL ? retry_after : "(none)");
	}
	root = json_parse_whole(response->body, response->body_length, why, sizeof why);
	if (!ITEST_CHECK(root != NULL, "%s: %s; body: %.300s", label, why, response->body))
		return;
	ITEST_CHECK(envelope_is_well_formed(root, why, sizeof why), "%s: envelope: %s; body: %.300s", label, why,
				response->body);
	success = json_path_get(root, "success");
	ITEST_CHECK(success != NULL && !json_object_get_boolean(success), "%s: expected success false; body: %.300s",
				label, response->body);
	code = json_path_string(root, "error.code");
	ITEST_CHECK(code != NULL && strcmp(code, expected->code) == 0, "%s: expected error.code %s, got %s", label,
				expected->code, code != NULL ? code : "(none)");
	json_object_put(root);
}

static void web_errors_check_answer(const char *label, const struct http_response *response,
									const struct expected_answer *expected)
{
	const char *code = NULL;
	json_object *root;
	char why[64];

	root = json_parse_whole(response->body, response->body_length, why, sizeof why);
	if (root != NULL)
		code = json_path_string(root, "error.code");
	printf("    %s: %ld %s from %s\n", label, response->status, code != NULL ? code : "(no error code)",
		   http_response_header(response, "X-Request-Id") != NULL ? "intukad" : "the web server");
	json_object_put(root);

	if (expected->by == BY_INTUKAD) {
		const struct expected_response common = { .status = expected->status, .error_code = expected->code };

		json_object_put(check_common_response(label, response, &common));
		return;
	}
	web_errors_check_web_server_answer(label, response, expected);
}

static void web_errors_expect(const char *label, const struct http_request *request,
							  const struct expected_answers *expected)
{
	const struct expected_answer *answer = &expected->by_flavour[web_errors_flavour()];
	struct http_response response;
	char error_text[512];

	if (ITEST_CHECK(http_client_send(request, &response, error_text, sizeof error_text),
					"%s (expected %ld %s from %s): no answer: %s", label, answer->status, answer->code,
					web_errors_answerer_name(answer->by), error_text))
		web_errors_check_answer(label, &response, answer);
	http_response_free(&response);
}

/* A path of /api/v1/ and length_bytes of 'a'; the caller frees it. */
static char *web_errors_long_path(size_t length_bytes)
{
	static const char prefix[] = "/api/v1/";
	char *path = malloc(sizeof prefix + length_bytes);

	if (path == NULL)
		return NULL;
	memcpy(path, prefix, sizeof prefix - 1);
	memset(path + sizeof prefix - 1, 'a', length_bytes);
	path[sizeof prefix - 1 + length_bytes] = '\0';
	return path;
}

/* "X-Web-Errors-Padding-N: bbb..." with value_bytes of value; the caller frees it. */
static char *web_errors_header_line(int number, size_t value_bytes)
{
	char name[64];
	int name_length = snprintf(name, sizeof name, "X-Web-Errors-Padding-%d: ", number);
	char *line = malloc((size_t)name_length + value_bytes + 1);

	if (line == NULL)
		return NULL;
	memcpy(line, name, (size_t)name_length);
	memset(line + name_length, 'b', value_bytes);
	line[(size_t)name_length + value_bytes] = '\0';
	return line;
}

/* length_bytes of spaces: refused by size before anyone parses it. */
static char *web_errors_blank_body(size_t length_bytes)
{
	char *body = malloc(length_bytes);

	if (body != NULL)
		memset(body, ' ', length_bytes);
	return body;
}

/* ---- a POST without a body ----------------------------------------------- */

/* The SDK's apiKeys.revoke, apiKeys.rotate and threads.endHandoff POST with no
 * body at all. lighttpd requires a Content-Length on every POST (1.4.69 has
 * no setting to waive it) and answers 411 itself; Apache passes the request
 * on, and intukad takes it as an empty body. */
static void post_without_body_or_length_is_passed_on_or_refused_in_json(void)
{
	static const char *const no_length[] = { "Content-Length:", NULL };
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 411, .code = "LENGTH_REQUIRED", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 401, .code = "UNAUTHORIZED", .by = BY_INTUKAD },
			[FLAVOUR_FCGID] = { .status = 401, .code = "UNAUTHORIZED", .by = BY_INTUKAD },
		},
	};
	const struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/logout", .extra_headers = no_length,
	};

	web_errors_expect("POST /api/v1/auth/logout without body or Content-Length", &request, &expected);
}

/* ---- the path ----------------------------------------------------------- */

static void path_over_intukad_limit_is_its_414(void)
{
	static const struct expected_answers expected = FROM_INTUKAD_EVERYWHERE(414, "URI_TOO_LONG");
	char *path = web_errors_long_path(PATH_OVER_INTUKAD_BYTES);

	if (!ITEST_CHECK(path != NULL, "out of memory"))
		return;
	const struct http_request request = { .method = "GET", .path_and_query = path };
	web_errors_expect("GET with a 4 KiB path", &request, &expected);
	free(path);
}

/* lighttpd counts the request line into its header limit and answers 431. */
static void path_over_web_server_limit_is_refused_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 431, .code = "HEADERS_TOO_LARGE", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 414, .code = "URI_TOO_LONG", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 414, .code = "URI_TOO_LONG", .by = BY_WEB_SERVER },
		},
	};
	char *path = web_errors_long_path(PATH_OVER_WEB_SERVER_BYTES);

	if (!ITEST_CHECK(path != NULL, "out of memory"))
		return;
	const struct http_request request = { .method = "GET", .path_and_query = path };
	web_errors_expect("GET with a 24 KiB path", &request, &expected);
	free(path);
}

/* ---- the headers --------------------------------------------------------- */

static void headers_over_intukad_limit_are_its_431(void)
{
	static const struct expected_answers expected = FROM_INTUKAD_EVERYWHERE(431, "HEADERS_TOO_LARGE");
	char *lines[HEADER_FIELDS_OVER_INTUKAD + 1] = { NULL };
	bool built = true;

	for (int i = 0; i < HEADER_FIELDS_OVER_INTUKAD; i++) {
		lines[i] = web_errors_header_line(i, HEADER_FIELD_UNDER_WEB_SERVER_BYTES);
		built = built && lines[i] != NULL;
	}
	if (ITEST_CHECK(built, "out of memory")) {
		const struct http_request request = {
			.method = "GET", .path_and_query = "/api/v1/health", .extra_headers = (const char *const *)lines,
		};
		web_errors_expect("GET with three 6 KiB header fields", &request, &expected);
	}
	for (int i = 0; i < HEADER_FIELDS_OVER_INTUKAD; i++)
		free(lines[i]);
}

/* Apache refuses a header field over LimitRequestFieldSize with 400. */
static void header_field_over_web_server_limit_is_refused_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 431, .code = "HEADERS_TOO_LARGE", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 400, .code = "VALIDATION_ERROR", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 400, .code = "VALIDATION_ERROR", .by = BY_WEB_SERVER },
		},
	};
	char *lines[2] = { web_errors_header_line(0, HEADER_FIELD_OVER_WEB_SERVER_BYTES), NULL };

	if (ITEST_CHECK(lines[0] != NULL, "out of memory")) {
		const struct http_request request = {
			.method = "GET", .path_and_query = "/api/v1/health", .extra_headers = (const char *const *)lines,
		};
		web_errors_expect("GET with one 24 KiB header field", &request, &expected);
	}
	free(lines[0]);
}

/* ---- the body ------------------------------------------------------------ */

static void body_over_intukad_limit_is_its_413(void)
{
	static const struct expected_answers expected = FROM_INTUKAD_EVERYWHERE(413, "PAYLOAD_TOO_LARGE");
	char *body = web_errors_blank_body(BODY_OVER_INTUKAD_BYTES);

	if (!ITEST_CHECK(body != NULL, "out of memory"))
		return;
	const struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/login", .content_type = "application/json",
		.body = body, .body_length = BODY_OVER_INTUKAD_BYTES,
	};
	web_errors_expect("POST of 2 MiB with Content-Length", &request, &expected);
	free(body);
}

/* Apache passes the request on and intukad refuses it by its Content-Length;
 * under mod_fcgid a rewrite rule refuses it before mod_fcgid reads it. */
static void body_over_web_server_limit_is_refused_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 413, .code = "PAYLOAD_TOO_LARGE", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 413, .code = "PAYLOAD_TOO_LARGE", .by = BY_INTUKAD },
			[FLAVOUR_FCGID] = { .status = 413, .code = "PAYLOAD_TOO_LARGE", .by = BY_WEB_SERVER },
		},
	};
	char *body = web_errors_blank_body(BODY_OVER_WEB_SERVER_BYTES);

	if (!ITEST_CHECK(body != NULL, "out of memory"))
		return;
	const struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/login", .content_type = "application/json",
		.body = body, .body_length = BODY_OVER_WEB_SERVER_BYTES,
	};
	web_errors_expect("POST of 5 MiB with Content-Length", &request, &expected);
	free(body);
}

/* Without a Content-Length nobody can refuse up front. mod_proxy_fcgi streams
 * the body on and intukad stops reading past its limit; mod_fcgid reads it
 * and fails at FcgidMaxRequestLen with a 500 (Apache cannot make that a 413). */
static void chunked_body_over_web_server_limit_is_refused_in_json(void)
{
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 413, .code = "PAYLOAD_TOO_LARGE", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 413, .code = "PAYLOAD_TOO_LARGE", .by = BY_INTUKAD },
			[FLAVOUR_FCGID] = { .status = 500, .code = "INTERNAL_ERROR", .by = BY_WEB_SERVER },
		},
	};
	char *body = web_errors_blank_body(BODY_OVER_WEB_SERVER_BYTES);

	if (!ITEST_CHECK(body != NULL, "out of memory"))
		return;
	const struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/login", .content_type = "application/json",
		.body = body, .body_length = BODY_OVER_WEB_SERVER_BYTES, .extra_headers = chunked,
	};
	web_errors_expect("POST of 5 MiB, chunked", &request, &expected);
	free(body);
}

/* A chunked body arrives whole: the sign-in is judged on its fields (401 for
 * an unknown account), not refused as empty (400). */
static void chunked_body_reaches_intukad_whole(void)
{
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	static const struct expected_answers expected = FROM_INTUKAD_EVERYWHERE(401, "UNAUTHORIZED");
	char fields[256];
	int fields_length = snprintf(fields, sizeof fields,
								 "{\"email\":\"nobody-%ld@web-errors.test\",\"password\":\"not-a-password\","
								 "\"tenantSlug\":\"web-errors-no-such-tenant\"}",
								 (long)getpid());
	size_t body_length = (size_t)fields_length + CHUNKED_BODY_PADDING_BYTES;
	char *body = web_errors_blank_body(body_length);

	if (!ITEST_CHECK(body != NULL, "out of memory"))
		return;
	/* JSON allows the trailing whitespace. */
	memcpy(body, fields, (size_t)fields_length);
	const struct http_request request = {
		.method = "POST", .path_and_query = "/api/v1/auth/login", .content_type = "application/json",
		.body = body, .body_length = body_length, .extra_headers = chunked,
	};
	web_errors_expect("POST /api/v1/auth/login of 100 KiB, chunked", &request, &expected);
	free(body);
}

/* ---- paths and methods the web server refuses ----------------------------- */

/* Apache refuses an encoded slash or NUL in the path itself (404); lighttpd
 * passes the slash on and refuses the NUL as malformed (400). Dot paths under
 * /api/ reach intukad everywhere (lighttpd used to deny them with a 403). */
static void paths_the_web_server_refuses_are_answered_in_json(void)
{
	static const struct expected_answers encoded_slash = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 404, .code = "NOT_FOUND", .by = BY_INTUKAD },
			[FLAVOUR_APACHE] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
		},
	};
	static const struct expected_answers encoded_nul = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 400, .code = "VALIDATION_ERROR", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
		},
	};
	static const struct expected_answers dot_path = FROM_INTUKAD_EVERYWHERE(404, "NOT_FOUND");
	const struct http_request slash_request = { .method = "GET", .path_and_query = "/api/v1/health%2Fx" };
	const struct http_request nul_request = { .method = "GET", .path_and_query = "/api/v1/health%00x" };
	const struct http_request dot_request = { .method = "GET", .path_and_query = "/api/v1/.env" };
	const struct http_request conf_request = { .method = "GET", .path_and_query = "/api/v1/intuka.conf" };

	web_errors_expect("GET /api/v1/health%2Fx", &slash_request, &encoded_slash);
	web_errors_expect("GET /api/v1/health%00x", &nul_request, &encoded_nul);
	web_errors_expect("GET /api/v1/.env", &dot_request, &dot_path);
	web_errors_expect("GET /api/v1/intuka.conf", &conf_request, &dot_path);
}

/* A path outside /api/ is the web server's, and it has no such file: its
 * 404 is the API's envelope too (lighttpd's error document, Apache's
 * ErrorDocument). /api without its slash is outside as well; a path under
 * /api/ that no route serves is intukad's 404. */
static void paths_outside_the_api_are_404_in_json(void)
{
	static const struct expected_answers outside = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 404, .code = "NOT_FOUND", .by = BY_WEB_SERVER },
		},
	};
	static const struct expected_answers inside = FROM_INTUKAD_EVERYWHERE(404, "NOT_FOUND");
	const struct http_request page_request = { .method = "GET", .path_and_query = "/no-such-page" };
	const struct http_request api_request = { .method = "GET", .path_and_query = "/api" };
	const struct http_request nested_request = { .method = "GET", .path_and_query = "/docs/v1/no-such-page.html" };
	const struct http_request version_request = { .method = "GET", .path_and_query = "/api/v2/health" };

	web_errors_expect("GET /no-such-page", &page_request, &outside);
	web_errors_expect("GET /api", &api_request, &outside);
	web_errors_expect("GET /docs/v1/no-such-page.html", &nested_request, &outside);
	web_errors_expect("GET /api/v2/health", &version_request, &inside);
}

/* Apache would echo a TRACE back as message/http; it is refused (TraceEnable
 * Off). lighttpd passes it on to intukad. */
static void trace_is_refused_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 405, .code = "METHOD_NOT_ALLOWED", .by = BY_INTUKAD },
			[FLAVOUR_APACHE] = { .status = 405, .code = "METHOD_NOT_ALLOWED", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 405, .code = "METHOD_NOT_ALLOWED", .by = BY_WEB_SERVER },
		},
	};
	const struct http_request request = { .method = "TRACE", .path_and_query = "/api/v1/health" };

	web_errors_expect("TRACE /api/v1/health", &request, &expected);
}

/* ---- intukad not answering ------------------------------------------------ */

/* Polls health until it is 200 again; the elapsed ms, or -1 at the deadline. */
static int64_t web_errors_wait_until_healthy(struct health_observation *last)
{
	int64_t started_ms = itest_clock_now_ms();

	for (;;) {
		health_probe(last);
		if (health_observation_is_healthy(last))
			return itest_clock_now_ms() - started_ms;
		if (itest_clock_now_ms() - started_ms >= RECOVERY_DEADLINE_MS)
			return -1;
		itest_clock_sleep_ms(POLL_INTERVAL_MS);
	}
}

static void web_errors_expect_healthy_again(const char *after_what)
{
	struct health_observation observation;
	char description[512];
	int64_t recovery_ms = web_errors_wait_until_healthy(&observation);

	if (ITEST_CHECK(recovery_ms >= 0, "health not 200 within %d ms after %s: %s", RECOVERY_DEADLINE_MS, after_what,
					health_observation_describe(&observation, description, sizeof description)))
		printf("    healthy again %lld ms after %s\n", (long long)recovery_ms, after_what);
}

static bool web_errors_wait_until_gone(pid_t pid, int64_t deadline_ms)
{
	int64_t started_ms = itest_clock_now_ms();

	while (stack_process_is_alive(pid)) {
		if (itest_clock_now_ms() - started_ms >= deadline_ms)
			return false;
		itest_clock_sleep_ms(POLL_INTERVAL_MS);
	}
	return true;
}

/* The master drains and exits on SIGTERM and its socket goes with it: the web
 * server cannot connect and answers 503 itself. The master is always started
 * again, whatever failed, so the suites after this one have a stack. */
static void stopped_intukad_is_answered_503_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 503, .code = "SERVICE_UNAVAILABLE", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 503, .code = "SERVICE_UNAVAILABLE", .by = BY_WEB_SERVER },
			/* No master under mod_fcgid: the test is inactive there. */
		},
	};
	const struct http_request health_request = { .method = "GET", .path_and_query = "/api/v1/health" };
	const struct http_request logout_request = { .method = "POST", .path_and_query = "/api/v1/auth/logout" };
	struct health_observation observation;
	char why[512], description[512];
	pid_t master_pid;
	int exit_status;

	health_probe(&observation);
	if (!ITEST_CHECK(health_observation_is_healthy(&observation), "precondition: health should be 200, got %s",
					 health_observation_describe(&observation, description, sizeof description)))
		return;
	if (!ITEST_CHECK(stack_read_master_pid(test_environment.master_pid_file, &master_pid, why, sizeof why), "%s",
					 why))
		return;
	if (ITEST_CHECK(kill(master_pid, SIGTERM) == 0, "kill(%d, SIGTERM): %s", (int)master_pid, strerror(errno))
		&& ITEST_CHECK(web_errors_wait_until_gone(master_pid, MASTER_STOP_DEADLINE_MS),
					   "master %d still running %d ms after SIGTERM", (int)master_pid, MASTER_STOP_DEADLINE_MS)) {
		web_errors_expect("GET /api/v1/health with intukad stopped", &health_request, &expected);
		web_errors_expect("POST /api/v1/auth/logout with intukad stopped", &logout_request, &expected);
	}

	exit_status = stack_run_command(test_environment.intukad_start_command);
	if (ITEST_CHECK(exit_status == 0, "INTUKA_TEST_INTUKAD_START_CMD (%s) exited %d",
					test_environment.intukad_start_command, exit_status))
		web_errors_expect_healthy_again("intukad was started again");
}

/* ---- a worker killed mid-request ----------------------------------------- */

struct in_flight_request {
	struct http_request request;
	struct http_response response;
	bool answered;
	char error_text[512];
};

/* Runs in its own thread: no CUnit calls here. */
static void *web_errors_in_flight_main(void *context)
{
	struct in_flight_request *in_flight = context;

	in_flight->answered = http_client_send(&in_flight->request, &in_flight->response, in_flight->error_text,
										   sizeof in_flight->error_text);
	return NULL;
}

/* SIGKILLs every worker that could hold the request (which one does is not
 * known from outside); the number killed, or -1 when they cannot be listed. */
static int web_errors_kill_workers(void)
{
	struct pid_set workers = { 0 };
	char why[512];
	int killed = 0;

	if (web_errors_flavour() == FLAVOUR_FCGID) {
		if (!ITEST_CHECK(stack_list_single_processes(test_environment.config_file, &workers),
						 "cannot list the intukad --single processes of %s", test_environment.config_file))
			return -1;
	} else {
		pid_t master_pid;

		if (!ITEST_CHECK(stack_read_master_pid(test_environment.master_pid_file, &master_pid, why, sizeof why),
						 "%s", why)
			|| !ITEST_CHECK(stack_list_children(master_pid, &workers), "cannot list the children of master %d",
							(int)master_pid))
			return -1;
	}
	for (size_t i = 0; i < workers.count; i++) {
		if (kill(workers.pids[i], SIGKILL) == 0)
			killed++;
	}
	pid_set_free(&workers);
	return killed;
}

/*
 * A health request waits on a locked table inside a worker; the worker is
 * killed. The web server then has a request and no answer: lighttpd and
 * mod_fcgid say 500, mod_proxy_fcgi 503, all in the API's envelope.
 */
static void worker_killed_mid_request_is_answered_in_json(void)
{
	static const struct expected_answers expected = {
		.by_flavour = {
			[FLAVOUR_LIGHTTPD] = { .status = 500, .code = "INTERNAL_ERROR", .by = BY_WEB_SERVER },
			[FLAVOUR_APACHE] = { .status = 503, .code = "SERVICE_UNAVAILABLE", .by = BY_WEB_SERVER },
			[FLAVOUR_FCGID] = { .status = 500, .code = "INTERNAL_ERROR", .by = BY_WEB_SERVER },
		},
	};
	static const char lock_held_sql[] =
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
		"AND INFO LIKE 'SELECT SLEEP(%'";
	static const char request_waiting_sql[] =
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
		"AND STATE LIKE 'Waiting for table%' AND INFO LIKE '%schema_migrations%'";
	const struct expected_answer *answer = &expected.by_flavour[web_errors_flavour()];
	struct in_flight_request in_flight = {
		.request = { .method = "GET", .path_and_query = "/api/v1/health" },
	};
	struct health_observation observation;
	char description[512];
	pthread_t thread;
	bool thread_started = false;
	pid_t holder;
	int killed = 0;

	health_probe(&observation);
	if (!ITEST_CHECK(health_observation_is_healthy(&observation), "precondition: health should be 200, got %s",
					 health_observation_describe(&observation, description, sizeof description)))
		return;
	holder = sql_session_hold("LOCK TABLES schema_migrations WRITE", TABLE_LOCK_HOLD_S);
	if (!ITEST_CHECK(holder > 0, "cannot start INTUKA_TEST_DB_SQL_CMD to lock schema_migrations"))
		return;
	if (!ITEST_CHECK(sql_wait_for_positive(lock_held_sql, IN_FLIGHT_DEADLINE_MS), "the table lock was not taken within %d ms",
					 IN_FLIGHT_DEADLINE_MS))
		goto release;
	thread_started = pthread_create(&thread, NULL, web_errors_in_flight_main, &in_flight) == 0;
	if (!ITEST_CHECK(thread_started, "cannot start the request thread"))
		goto release;
	if (!ITEST_CHECK(sql_wait_for_positive(request_waiting_sql, IN_FLIGHT_DEADLINE_MS),
					 "no worker was waiting on schema_migrations within %d ms", IN_FLIGHT_DEADLINE_MS))
		goto release;
	killed = web_errors_kill_workers();
	ITEST_CHECK(killed > 0, "no worker was killed");

release:
	/* The lock goes first: without a killed worker the request is waiting on it. */
	sql_session_end(holder, HOLDER_EXIT_DEADLINE_MS);
	if (thread_started) {
		pthread_join(thread, NULL);
		if (killed > 0
			&& ITEST_CHECK(in_flight.answered, "GET /api/v1/health with its worker killed (expected %ld %s): %s",
						   answer->status, answer->code, in_flight.error_text))
			web_errors_check_answer("GET /api/v1/health with its worker killed", &in_flight.response, answer);
		http_response_free(&in_flight.response);
	}
	if (killed > 0)
		printf("    killed %d worker(s) while one waited on a locked table\n", killed);
	web_errors_expect_healthy_again("the workers were killed");
}

/* ---- registration -------------------------------------------------------- */

static const char *web_errors_flavour_skip_reason(void)
{
	if (strcmp(test_environment.flavour, "lighttpd") != 0 && strcmp(test_environment.flavour, "apache") != 0
		&& strcmp(test_environment.flavour, "fcgid") != 0)
		return "INTUKA_TEST_FLAVOUR is not set: the expected answers depend on the web server";
	return NULL;
}

static const char *web_errors_stop_skip_reason(void)
{
	if (web_errors_flavour_skip_reason() != NULL)
		return web_errors_flavour_skip_reason();
	if (!test_environment_has(test_environment.master_pid_file))
		return "no intukad master (under mod_fcgid Apache starts the processes; the killed-worker test covers it)";
	if (!test_environment_has(test_environment.intukad_start_command))
		return "INTUKA_TEST_INTUKAD_START_CMD is empty: the stopped master could not be started again";
	return NULL;
}

static const char *web_errors_kill_skip_reason(void)
{
	if (web_errors_flavour_skip_reason() != NULL)
		return web_errors_flavour_skip_reason();
	if (!test_environment_has(test_environment.db_sql_command))
		return "INTUKA_TEST_DB_SQL_CMD is empty: no way to hold a request inside a worker";
	if (web_errors_flavour() == FLAVOUR_FCGID ? !test_environment_has(test_environment.config_file)
											  : !test_environment_has(test_environment.master_pid_file))
		return "the workers cannot be found (INTUKA_TEST_CONFIG or INTUKA_TEST_MASTER_PIDFILE is empty)";
	return NULL;
}

bool web_errors_suite_register(void)
{
	static const struct {
		const char *name;
		CU_TestFunc function;
	} request_tests[] = {
		{ "post_without_body_or_length_is_passed_on_or_refused_in_json",
		  post_without_body_or_length_is_passed_on_or_refused_in_json },
		{ "path_over_intukad_limit_is_its_414", path_over_intukad_limit_is_its_414 },
		{ "path_over_web_server_limit_is_refused_in_json", path_over_web_server_limit_is_refused_in_json },
		{ "headers_over_intukad_limit_are_its_431", headers_over_intukad_limit_are_its_431 },
		{ "header_field_over_web_server_limit_is_refused_in_json",
		  header_field_over_web_server_limit_is_refused_in_json },
		{ "body_over_intukad_limit_is_its_413", body_over_intukad_limit_is_its_413 },
		{ "body_over_web_server_limit_is_refused_in_json", body_over_web_server_limit_is_refused_in_json },
		{ "chunked_body_over_web_server_limit_is_refused_in_json",
		  chunked_body_over_web_server_limit_is_refused_in_json },
		{ "chunked_body_reaches_intukad_whole", chunked_body_reaches_intukad_whole },
		{ "paths_the_web_server_refuses_are_answered_in_json", paths_the_web_server_refuses_are_answered_in_json },
		{ "paths_outside_the_api_are_404_in_json", paths_outside_the_api_are_404_in_json },
		{ "trace_is_refused_in_json", trace_is_refused_in_json },
	};
	CU_pSuite suite = CU_add_suite("web_errors", NULL, NULL);

	if (suite == NULL)
		return false;
	for (size_t i = 0; i < sizeof request_tests / sizeof request_tests[0]; i++) {
		if (!itest_add_test(suite, request_tests[i].name, request_tests[i].function,
							web_errors_flavour_skip_reason()))
			return false;
	}
	return itest_add_test(suite, "stopped_intukad_is_answered_503_in_json", stopped_intukad_is_answered_503_in_json,
						  web_errors_stop_skip_reason())
		&& itest_add_test(suite, "worker_killed_mid_request_is_answered_in_json",
						  worker_killed_mid_request_is_answered_in_json, web_errors_kill_skip_reason());
}

/*
 * The API's description of itself, through the web server: /openapi.json
 * and /openapi.yaml describe the running version, publicly, with an ETag
 * that a client can send back for a 304; /docs is an HTML reference that a
 * real browser (headless Chromium) renders with a section for every
 * operation and no console message at all (the page has no script, so a
 * message can only be a refused or failed load). The screenshot is saved in
 * INTUKA_TEST_ARTEFACTS_DIR (deploy/test.sh keeps it after the run).
 * Chromium missing is a failure, not a skip: CI installs it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "command_runner.h"
#include "http_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "suites.h"
#include "test_environment.h"

enum {
	PATH_MAX_BYTES = 4096,
	/* A screenshot of a page with text on it is larger than an empty one. */
	SCREENSHOT_MIN_BYTES = 20000,
	DOCUMENT_MAX_BYTES = 64 * 1024 * 1024,
};

static const char *const http_methods[] = { "get", "put", "post", "delete", "patch", "options", "head", "trace" };

/* The Chromium to drive; INTUKA_TEST_CHROMIUM overrides Debian's. */
static const char *api_docs_chromium(void)
{
	const char *chromium = getenv("INTUKA_TEST_CHROMIUM");
	return test_environment_has(chromium) ? chromium : "/usr/bin/chromium";
}

static const char *api_docs_artefacts_dir(void)
{
	const char *dir = getenv("INTUKA_TEST_ARTEFACTS_DIR");
	return test_environment_has(dir) ? dir : ".";
}

/* GET path with the extra header lines (NULL-terminated, or NULL). */
static bool api_docs_get(const char *path, const char *const *headers, struct http_response *response)
{
	const struct http_request request = { .method = "GET", .path_and_query = path, .extra_headers = headers };
	char error_text[256];

	memset(response, 0, sizeof *response);
	return ITEST_CHECK(http_client_send(&request, response, error_text, sizeof error_text),
					   "GET %s: no answer: %s", path, error_text);
}

static bool api_docs_starts_with(const char *text, const char *prefix)
{
	return text != NULL && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Occurrences of needle in the first length bytes of text. */
static size_t api_docs_count(const char *text, size_t length, const char *needle)
{
	size_t count = 0, needle_length = strlen(needle);

	for (const char *at = text; at != NULL && (size_t)(at - text) + needle_length <= length;) {
		at = memmem(at, length - (size_t)(at - text), needle, needle_length);
		if (at == NULL)
			break;
		count++;
		at += needle_length;
	}
	return count;
}

/* The operations of an OpenAPI document: methods under paths. */
static size_t api_docs_operation_count(json_object *document)
{
	json_object *paths = json_path_get(document, "paths");
	size_t count = 0;

	if (paths == NULL || !json_object_is_type(paths, json_type_object))
		return 0;
	json_object_object_foreach(paths, path, item)
	{
		(void)path;
		for (size_t i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++)
			if (json_object_object_get_ex(item, http_methods[i], NULL))
				count++;
	}
	return count;
}

/* The answer is the server's public, cacheable description: 200, the
 * content type, an X-Request-Id, a strong ETag, Cache-Control public. */
static void api_docs_check_document(const char *label, const struct http_response *response,
									const char *content_type_prefix)
{
	const char *content_type = http_response_header(response, "Content-Type");
	const char *etag = http_response_header(response, "ETag");
	const char *cache_control = http_response_header(response, "Cache-Control");

	ITEST_CHECK(response->status == 200, "%s: expected 200, got %ld; body: %.200s", label, response->status,
				response->body);
	ITEST_CHECK(api_docs_starts_with(content_type, content_type_prefix), "%s: Content-Type \"%s\", expected %s",
				label, content_type != NULL ? content_type : "(none)", content_type_prefix);
	ITEST_CHECK(http_response_header(response, "X-Request-Id") != NULL, "%s: no X-Request-Id", label);
	ITEST_CHECK(etag != NULL && etag[0] == '"' && strlen(etag) > 2 && etag[strlen(etag) - 1] == '"',
				"%s: a strong ETag expected, got \"%s\"", label, etag != NULL ? etag : "(none)");
	ITEST_CHECK(cache_control != NULL && strstr(cache_control, "public") != NULL &&
					strstr(cache_control, "no-store") == NULL,
				"%s: Cache-Control \"%s\" should let caches keep it", label,
				cache_control != NULL ? cache_control : "(none)");
}

/* If-None-Match with the ETag (as it is, weak, or in a list) is a 304
 * without a body; another tag gets the document again. */
static void api_docs_check_revalidation(const char *path, const char *etag)
{
	char exact[256], weak[256], listed[320];
	const char *const exact_headers[] = { exact, NULL };
	const char *const weak_headers[] = { weak, NULL };
	const char *const listed_headers[] = { listed, NULL };
	const char *const other_headers[] = { "If-None-Match: \"not-this-one\"", NULL };
	const char *const *cases[] = { exact_headers, weak_headers, listed_headers };
	struct http_response response;

	snprintf(exact, sizeof exact, "If-None-Match: %s", etag);
	snprintf(weak, sizeof weak, "If-None-Match: W/%s", etag);
	snprintf(listed, sizeof listed, "If-None-Match: \"older\", %s", etag);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!api_docs_get(path, cases[i], &response))
			return;
		const char *answered_etag = http_response_header(&response, "ETag");
		ITEST_CHECK(response.status == 304, "GET %s with %s: expected 304, got %ld", path, cases[i][0],
					response.status);
		ITEST_CHECK(response.body_length == 0, "GET %s with %s: a 304 has no body, got %zu bytes", path, cases[i][0],
					response.body_length);
		ITEST_CHECK(answered_etag != NULL && strcmp(answered_etag, etag) == 0, "GET %s 304: ETag \"%s\", expected %s",
					path, answered_etag != NULL ? answered_etag : "(none)", etag);
		http_response_free(&response);
	}
	if (!api_docs_get(path, other_headers, &response))
		return;
	ITEST_CHECK(response.status == 200 && response.body_length > 0,
				"GET %s with another ETag: expected the document (200), got %ld with %zu bytes", path, response.status,
				response.body_length);
	http_response_free(&response);
}

static void openapi_json_and_yaml_describe_the_running_version_publicly(void)
{
	struct http_response version_response, json_response, yaml_response, response;
	char why[256], version_line[128];
	json_object *version_root = NULL, *document = NULL;

	if (!api_docs_get("/api/v1/version", NULL, &version_response))
		return;
	version_root = json_parse_whole(version_response.body, version_response.body_length, why, sizeof why);
	const char *version = version_root != NULL ? json_path_string(version_root, "data.version") : NULL;
	if (!ITEST_CHECK(version != NULL, "GET /version: no data.version (%s)", why))
		goto done;

	/* No credential at all: the description is public. */
	if (!api_docs_get("/api/v1/openapi.json", NULL, &json_response))
		goto done;
	api_docs_check_document("GET /openapi.json", &json_response, "application/json");
	document = json_parse_whole(json_response.body, json_response.body_length, why, sizeof why);
	if (ITEST_CHECK(document != NULL, "GET /openapi.json: not JSON: %s", why)) {
		const char *openapi = json_path_string(document, "openapi");
		const char *described = json_path_string(document, "info.version");
		ITEST_CHECK(api_docs_starts_with(openapi, "3.1"), "openapi.json: openapi \"%s\", expected 3.1.x",
					openapi != NULL ? openapi : "(none)");
		ITEST_CHECK(described != NULL && strcmp(described, version) == 0,
					"openapi.json: info.version \"%s\", but the server is %s", described != NULL ? described : "(none)",
					version);
		json_object *paths = json_path_get(document, "paths"), *own = NULL;
		ITEST_CHECK(paths != NULL && json_object_object_get_ex(paths, "/openapi.json", &own) &&
						json_object_object_get_ex(own, "get", NULL) &&
						json_object_object_get_ex(paths, "/docs", &own) && json_object_object_get_ex(own, "get", NULL),
					"openapi.json describes /openapi.json and /docs themselves");
		ITEST_CHECK(api_docs_operation_count(document) > 100, "openapi.json: only %zu operations",
					api_docs_operation_count(document));
	}
	const char *json_etag = http_response_header(&json_response, "ETag");
	if (json_etag != NULL)
		api_docs_check_revalidation("/api/v1/openapi.json", json_etag);

	if (api_docs_get("/api/v1/openapi.yaml", NULL, &yaml_response)) {
		api_docs_check_document("GET /openapi.yaml", &yaml_response, "application/yaml");
		snprintf(version_line, sizeof version_line, "\n  version: %s\n", version);
		ITEST_CHECK(api_docs_starts_with(yaml_response.body, "openapi: 3.1"),
					"openapi.yaml starts with \"%.20s\"", yaml_response.body);
		ITEST_CHECK(strstr(yaml_response.body, version_line) != NULL, "openapi.yaml: no info line \"version: %s\"",
					version);
		const char *yaml_etag = http_response_header(&yaml_response, "ETag");
		ITEST_CHECK(yaml_etag == NULL || json_etag == NULL || strcmp(yaml_etag, json_etag) != 0,
					"openapi.yaml and openapi.json share the ETag %s", yaml_etag);
		if (yaml_etag != NULL)
			api_docs_check_revalidation("/api/v1/openapi.yaml", yaml_etag);
		http_response_free(&yaml_response);
	}

	/* Like every route: an undeclared query parameter and another method are refused in JSON. */
	if (api_docs_get("/api/v1/openapi.json?format=xml", NULL, &response)) {
		ITEST_CHECK(response.status == 400, "GET /openapi.json?format=xml: expected 400, got %ld", response.status);
		http_response_free(&response);
	}
	const struct http_request post = { .method = "POST", .path_and_query = "/api/v1/docs",
									   .content_type = "application/json", .body = "{}", .body_length = 2 };
	memset(&response, 0, sizeof response);
	if (ITEST_CHECK(http_client_send(&post, &response, why, sizeof why), "POST /docs: no answer: %s", why)) {
		const char *content_type = http_response_header(&response, "Content-Type");
		ITEST_CHECK(response.status == 405 && api_docs_starts_with(content_type, "application/json"),
					"POST /docs: expected a 405 in JSON, got %ld (%s)", response.status,
					content_type != NULL ? content_type : "no Content-Type");
	}
	http_response_free(&response);
	json_object_put(document);
	http_response_free(&json_response);
done:
	json_object_put(version_root);
	http_response_free(&version_response);
}

/* Reads a whole file (up to DOCUMENT_MAX_BYTES) into a NUL-terminated
 * buffer the caller frees; NULL when it cannot. */
static char *api_docs_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	char *text = NULL;
	size_t capacity = 0, used = 0;

	*length = 0;
	if (file == NULL)
		return NULL;
	for (;;) {
		if (used + 65536 + 1 > capacity) {
			size_t grown_capacity = capacity == 0 ? 262144 : capacity * 2;
			char *grown = grown_capacity <= DOCUMENT_MAX_BYTES ? realloc(text, grown_capacity) : NULL;
			if (grown == NULL) {
				free(text);
				fclose(file);
				return NULL;
			}
			text = grown;
			capacity = grown_capacity;
		}
		size_t got = fread(text + used, 1, 65536, file);
		used += got;
		if (got == 0)
			break;
	}
	fclose(file);
	text[used] = '\0';
	*length = used;
	return text;
}

/* Runs Chromium headless on url with the extra arguments, its stdout into
 * out_path and its stderr into err_path. */
static bool api_docs_run_chromium(const char *profile_dir, const char *url, const char *mode_argument,
								  const char *out_path, const char *err_path)
{
	static const char script[] =
		"exec \"$1\" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
		"--no-default-browser-check --disable-extensions --hide-scrollbars --window-size=1280,2000 "
		"--user-data-dir=\"$2\" --enable-logging=stderr --v=0 \"$3\" \"$4\" >\"$5\" 2>\"$6\"";
	const char *const argv[] = { "/bin/sh", "-c", script, "sh", api_docs_chromium(), profile_dir, mode_argument, url,
								 out_path, err_path, NULL };
	struct command_result result;
	char description[512];
	bool ran = command_run(argv, NULL, NULL, &result);
	bool ok = ITEST_CHECK(ran && result.exit_status == 0, "chromium %s %s: %s", mode_argument, url,
						  ran ? command_result_describe(&result, description, sizeof description)
							  : "could not be started");

	command_result_free(&result);
	return ok;
}

/* Every console line Chromium logged for the page ("...:CONSOLE..."), one
 * per line into report; how many. */
static size_t api_docs_console_lines(const char *log, char *report, size_t report_size)
{
	size_t count = 0, used = 0;

	report[0] = '\0';
	for (const char *line = log; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
		if (memmem(line, length, ":CONSOLE", 8) != NULL) {
			count++;
			if (used + 2 < report_size) {
				int wrote = snprintf(report + used, report_size - used, "%.*s\n", (int)(length > 400 ? 400 : length),
									 line);
				if (wrote > 0)
					used += (size_t)wrote < report_size - used ? (size_t)wrote : report_size - used - 1;
			}
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return count;
}

static void docs_page_renders_every_operation_in_chromium_without_console_messages(void)
{
	struct http_response json_response, html_response;
	char why[256], url[PATH_MAX_BYTES], profile_dir[] = "/tmp/intuka-itest-chromium.XXXXXX";
	char dom_path[PATH_MAX_BYTES], log_path[PATH_MAX_BYTES], shot_path[PATH_MAX_BYTES], shot_log_path[PATH_MAX_BYTES];
	json_object *document = NULL;
	char *dom = NULL, *log = NULL;
	size_t operations = 0, dom_length = 0, log_length = 0;
	bool have_profile = false;

	if (!api_docs_get("/api/v1/openapi.json", NULL, &json_response))
		return;
	document = json_parse_whole(json_response.body, json_response.body_length, why, sizeof why);
	operations = document != NULL ? api_docs_operation_count(document) : 0;
	if (!ITEST_CHECK(operations > 0, "openapi.json: no operations (%s)", why))
		goto done;

	/* The page as served: HTML, self-contained, one section per operation. */
	if (api_docs_get("/api/v1/docs", NULL, &html_response)) {
		const char *policy = http_response_header(&html_response, "Content-Security-Policy");
		api_docs_check_document("GET /docs", &html_response, "text/html");
		ITEST_CHECK(policy != NULL && strstr(policy, "default-src 'none'") != NULL,
					"GET /docs: Content-Security-Policy \"%s\" should allow loading nothing",
					policy != NULL ? policy : "(none)");
		ITEST_CHECK(api_docs_count(html_response.body, html_response.body_length, "<script") == 0 &&
						api_docs_count(html_response.body, html_response.body_length, "<link") == 0 &&
						api_docs_count(html_response.body, html_response.body_length, " src=") == 0 &&
						api_docs_count(html_response.body, html_response.body_length, "@import") == 0 &&
						api_docs_count(html_response.body, html_response.body_length, "url(") == 0,
					"GET /docs: the page must load no script, style sheet, font or image");
		ITEST_CHECK(api_docs_count(html_response.body, html_response.body_length, "<section class=\"operation\"") ==
						operations,
					"GET /docs: %zu operation sections served, %zu operations described",
					api_docs_count(html_response.body, html_response.body_length, "<section class=\"operation\""),
					operations);
		const char *etag = http_response_header(&html_response, "ETag");
		if (etag != NULL)
			api_docs_check_revalidation("/api/v1/docs", etag);
		http_response_free(&html_response);
	}

	/* The page as a browser renders it. */
	have_profile = mkdtemp(profile_dir) != NULL;
	if (!ITEST_CHECK(have_profile, "mkdtemp for Chromium's profile: %s", strerror(errno)))
		goto done;
	if (!ITEST_CHECK(access(api_docs_chromium(), X_OK) == 0,
					 "%s is not there: the docs test needs Chromium (Debian package chromium)", api_docs_chromium()))
		goto done;
	snprintf(url, sizeof url, "%s/api/v1/docs", test_environment.base_url);
	snprintf(dom_path, sizeof dom_path, "%s/dom.html", profile_dir);
	snprintf(log_path, sizeof log_path, "%s/dom.log", profile_dir);
	snprintf(shot_log_path, sizeof shot_log_path, "%s/screenshot.log", profile_dir);
	if (api_docs_run_chromium(profile_dir, url, "--dump-dom", dom_path, log_path)) {
		char report[2048];
		dom = api_docs_read_file(dom_path, &dom_length);
		log = api_docs_read_file(log_path, &log_length);
		if (ITEST_CHECK(dom != NULL && dom_length > 0, "chromium --dump-dom wrote no DOM")) {
			size_t sections = api_docs_count(dom, dom_length, "<section class=\"operation\"");
			ITEST_CHECK(sections == operations, "rendered page: %zu operation sections, %zu operations described",
						sections, operations);
			ITEST_CHECK(api_docs_count(dom, dom_length, "class=\"example-request\"") == operations &&
							api_docs_count(dom, dom_length, "class=\"example-answer\"") == operations &&
							api_docs_count(dom, dom_length, "<dt>Permission</dt>") == operations,
						"rendered page: every operation shows its permission, an example request and an answer");
			/* Every operation by its method and path, as the description names them. */
			json_object *paths = json_path_get(document, "paths");
			size_t missing = 0;
			json_object_object_foreach(paths, path, item)
			{
				for (size_t i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++) {
					char needle[PATH_MAX_BYTES], method[8];
					size_t c;
					if (!json_object_object_get_ex(item, http_methods[i], NULL))
						continue;
					for (c = 0; http_methods[i][c] != '\0' && c + 1 < sizeof method; c++)
						method[c] = (char)toupper((unsigned char)http_methods[i][c]);
					method[c] = '\0';
					snprintf(needle, sizeof needle, "data-method=\"%s\" data-path=\"/api/v1%s\"", method, path);
					if (api_docs_count(dom, dom_length, needle) != 1) {
						if (missing < 5)
							printf("    rendered page: no section for %s /api/v1%s\n", method, path);
						missing++;
					}
				}
			}
			ITEST_CHECK(missing == 0, "rendered page: %zu operations without their section", missing);
		}
		ITEST_CHECK(log != NULL && api_docs_console_lines(log, report, sizeof report) == 0,
					"rendered page: console messages (refused or failed loads):\n%s", log != NULL ? report : "(no log)");
	}
	/* The screenshot, kept for people to look at. */
	if (ITEST_CHECK(mkdir(api_docs_artefacts_dir(), 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
					api_docs_artefacts_dir(), strerror(errno))) {
		char argument[PATH_MAX_BYTES + 32];
		struct stat shot;
		snprintf(shot_path, sizeof shot_path, "%s/api-docs-%s.png", api_docs_artefacts_dir(), test_environment.flavour);
		snprintf(argument, sizeof argument, "--screenshot=%s", shot_path);
		unlink(shot_path);
		if (api_docs_run_chromium(profile_dir, url, argument, "/dev/null", shot_log_path)) {
			ITEST_CHECK(stat(shot_path, &shot) == 0 && shot.st_size >= SCREENSHOT_MIN_BYTES,
						"screenshot %s: missing or under %d bytes", shot_path, SCREENSHOT_MIN_BYTES);
			printf("    screenshot of /api/v1/docs: %s\n", shot_path);
		}
	}

done:
	if (have_profile) {
		const char *const argv[] = { "/bin/rm", "-rf", profile_dir, NULL };
		struct command_result result;
		command_run(argv, NULL, NULL, &result);
		command_result_free(&result);
	}
	free(dom);
	free(log);
	json_object_put(document);
	http_response_free(&json_response);
}

bool api_docs_suite_register(void)
{
	CU_pSuite suite = CU_add_suite("api_docs", NULL, NULL);

	if (suite == NULL)
		return false;
	return itest_add_test(suite, "openapi_json_and_yaml_describe_the_running_version_publicly",
						  openapi_json_and_yaml_describe_the_running_version_publicly, NULL) &&
		   itest_add_test(suite, "docs_page_renders_every_operation_in_chromium_without_console_messages",
						  docs_page_renders_every_operation_in_chromium_without_console_messages, NULL);
}

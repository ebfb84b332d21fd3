/*
 * Suite "sdk_contract": every public method of the Intufind TypeScript SDK v2
 * (and the v1 tenant calls), one row or more each in
 * tests/integration/contracts/intufind-sdk-v2.json: the request exactly as
 * the SDK builds it, and the JSON types of what the SDK reads from the
 * answer. Rows run in file order: earlier rows seed what later rows read and
 * capture ids for them. contract_table.c reads the file, contract_path.c
 * checks answers against it; this file owns the fixtures and the requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "contract_path.h"
#include "contract_table.h"
#include "find_client.h"
#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"
#include "response_checks.h"
#include "suites.h"
#include "test_environment.h"

#ifndef ITEST_CONTRACT_DIR
#define ITEST_CONTRACT_DIR "tests/integration/contracts"
#endif
#define CONTRACT_FILE "intufind-sdk-v2.json"
#define CONTRACT_ORIGIN "https://sdk-contract.example"
/* The origin's host with dots as hyphens: what a publishable key from the
 * origin sees is what the secret key writes. */
#define CONTRACT_WORKSPACE "sdk-contract-example"
#define CONTRACT_OTHER_WORKSPACE "sdk-contract-other"

enum { TOKEN_MAX = 4097, KEY_MAX = 128, NAMED_VALUE_MAX = 64, RATE_LIMIT_TRIES = 200 };

static const char password[] = "sdk-contract-password-1";
/* Well formed, never issued. */
static const char wrong_key[] = "if_sk_0000000000000000000000000000000000000000";

static struct contract_table table;

static struct {
	char admin_token[TOKEN_MAX]; /* "jwt": the Tenant Admin of the main tenant */
	char secret[KEY_MAX];
	char publishable[KEY_MAX];   /* registered for CONTRACT_ORIGIN */
	char expired_trial[KEY_MAX]; /* secret key of a tenant whose trial has ended */
	char rate_limited[KEY_MAX];  /* secret key of a tenant on the free plan (60 a minute) */
} credentials;

/* Fixtures and captures by name, for ${name} placeholders. */
static struct named_value {
	char name[64];
	char text[512];
} named_values[NAMED_VALUE_MAX];
static size_t named_value_count;

static bool named_value_set(const char *name, const char *text)
{
	size_t i = 0;

	while (i < named_value_count && strcmp(named_values[i].name, name) != 0)
		i++;
	if (i == NAMED_VALUE_MAX)
		return false;
	if (i == named_value_count)
		named_value_count++;
	snprintf(named_values[i].name, sizeof named_values[i].name, "%s", name);
	snprintf(named_values[i].text, sizeof named_values[i].text, "%s", text);
	return true;
}

static const char *named_value_lookup(void *context, const char *name)
{
	(void)context;
	for (size_t i = 0; i < named_value_count; i++) {
		if (strcmp(named_values[i].name, name) == 0)
			return named_values[i].text;
	}
	return NULL;
}

/* Every failure of a row names the row's test first. */
struct row_report {
	const char *test_name;
};

static void row_report_failure(void *context, const char *message)
{
	const struct row_report *report = context;

	ITEST_CHECK(false, "%s: %s", report->test_name, message);
}

/* ---------------------------------------------------------------- requests */

struct contract_request {
	const char *method;
	const char *url;       /* below the base URL, query included */
	const char *bearer;    /* NULL: no Authorization header */
	const char *workspace; /* NULL: no X-Workspace-ID */
	const char *origin;    /* NULL: no Origin */
	const char *body;      /* NULL: no body at all (a POST then carries Content-Length: 0) */
};

/* Sends as the SDK does: Content-Type: application/json on every request,
 * with or without a body. A transport failure is a recorded failure. */
static bool contract_send(const struct contract_request *outgoing, struct http_response *response,
						  const char *test_name)
{
	char authorization[TOKEN_MAX + 32], workspace[160], origin[160], error_text[512];
	const char *lines[4] = { NULL };
	size_t count = 0;

	if (outgoing->bearer != NULL) {
		snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", outgoing->bearer);
		lines[count++] = authorization;
	}
	if (outgoing->workspace != NULL) {
		snprintf(workspace, sizeof workspace, "X-Workspace-ID: %s", outgoing->workspace);
		lines[count++] = workspace;
	}
	if (outgoing->origin != NULL) {
		snprintf(origin, sizeof origin, "Origin: %s", outgoing->origin);
		lines[count++] = origin;
	}
	struct http_request request = {
		.method = outgoing->method,
		.path_and_query = outgoing->url,
		.content_type = "application/json",
		.body = outgoing->body,
		.body_length = outgoing->body != NULL ? strlen(outgoing->body) : 0,
		.extra_headers = lines,
	};
	if (!http_client_send(&request, response, error_text, sizeof error_text)) {
		ITEST_CHECK(false, "%s: %s %s: no answer: %s", test_name, outgoing->method, outgoing->url, error_text);
		http_response_free(response);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- fixtures */

static bool set_plan(const char *slug, const char *plan, const char *option, const char *value)
{
	const char *arguments[] = { "find-plan", "set", slug, plan, option, value, NULL };

	return ITEST_CHECK(admin_command(arguments, NULL) == 0, "fixtures: intuka-admin find-plan set %s %s %s %s", slug,
					   plan, option ? option : "", value ? value : "");
}

static bool make_tenant(const char *prefix, char *slug, size_t slug_size, char *token)
{
	return ITEST_CHECK(find_make_tenant_admin(prefix, "SDK contract", password, slug, slug_size, token),
					   "fixtures: tenant %s with its Tenant Admin", prefix);
}

/* Keys are made with the admin's JWT: that path is not what the rows test. */
static bool mint_key(const char *token, const char *body, char *key, const char *what)
{
	char id[64];
	long status = find_create_key(token, body, key, KEY_MAX, id, sizeof id);

	return ITEST_CHECK(status >= 200 && status <= 299 && key[0] != '\0',
					   "fixtures: %s: POST /provision/keys answered %ld", what, status);
}

static void sdk_contract_fixtures(void)
{
	static const char secret_body[] = "{\"label\":\"sdk contract server\",\"keyType\":\"secret\"}";
	char slug[64], trial_slug[64], limited_slug[64], trial_token[TOKEN_MAX], limited_token[TOKEN_MAX], today[16];
	time_t now = time(NULL);
	struct tm utc;

	gmtime_r(&now, &utc);
	strftime(today, sizeof today, "%Y-%m-%d", &utc);
	named_value_set("workspace", CONTRACT_WORKSPACE);
	named_value_set("other_workspace", CONTRACT_OTHER_WORKSPACE);
	named_value_set("origin", CONTRACT_ORIGIN);
	named_value_set("today", today);

	if (make_tenant("sdkc", slug, sizeof slug, credentials.admin_token)) {
		named_value_set("tenant", slug);
		/* The rows make some 150 requests in a minute; the business plan's
		 * 1200 a minute keeps the rate limit out of rows that do not test it. */
		set_plan(slug, "business", NULL, NULL);
		mint_key(credentials.admin_token, secret_body, credentials.secret, "secret key");
		mint_key(credentials.admin_token,
				 "{\"label\":\"sdk contract widget\",\"keyType\":\"publishable\",\"allowedOrigins\":[\"" CONTRACT_ORIGIN
				 "\"]}",
				 credentials.publishable, "publishable key");
	}
	/* The key comes first: once the trial is over, provisioning is refused too. */
	if (make_tenant("sdkt", trial_slug, sizeof trial_slug, trial_token) &&
		mint_key(trial_token, secret_body, credentials.expired_trial, "key of the trial tenant"))
		set_plan(trial_slug, "pro", "--trial-ends", "2020-01-01");
	if (make_tenant("sdkl", limited_slug, sizeof limited_slug, limited_token) &&
		mint_key(limited_token, secret_body, credentials.rate_limited, "key of the free tenant"))
		set_plan(limited_slug, "free", NULL, NULL);
}

/* The key of the row's credential; "" when its fixture failed, NULL for none. */
static const char *credential_bearer(const char *credential)
{
	if (strcmp(credential, "secret") == 0)
		return credentials.secret;
	if (strcmp(credential, "publishable") == 0)
		return credentials.publishable;
	if (strcmp(credential, "jwt") == 0)
		return credentials.admin_token;
	if (strcmp(credential, "expired_trial") == 0)
		return credentials.expired_trial;
	if (strcmp(credential, "rate_limited") == 0)
		return credentials.rate_limited;
	if (strcmp(credential, "wrong") == 0)
		return wrong_key;
	return NULL; /* "none" */
}

/* Spends the free tenant's minute allowance so the row's request meets the limit. */
static bool use_up_rate_limit(const char *test_name)
{
	/* The burst and the row's own request must fall in one minute window. */
	if (time(NULL) % 60 >= 50)
		sleep((unsigned)(61 - time(NULL) % 60));
	for (int i = 0; i < RATE_LIMIT_TRIES; i++) {
		struct contract_request burst = {
			.method = "GET", .url = "/api/v1/find/products/ids", .bearer = credentials.rate_limited,
		};
		struct http_response response;
		if (!contract_send(&burst, &response, test_name))
			return false;
		long status = response.status;
		http_response_free(&response);
		if (status == 429)
			return true;
		if (!ITEST_CHECK(status == 200, "%s: request %d of the burst answered %ld", test_name, i + 1, status))
			return false;
	}
	return ITEST_CHECK(false, "%s: no 429 after %d requests on the free plan", test_name, RATE_LIMIT_TRIES);
}

/* ---------------------------------------------------------------- checks */

static const char *member_string(json_object *object, const char *name)
{
	json_object *member;

	if (!json_object_object_get_ex(object, name, &member) || !json_object_is_type(member, json_type_string))
		return NULL;
	return json_object_get_string(member);
}

/* A detail names field when its "field" is field or lies below it ("filters.rating"). */
static bool details_name(json_object *details, const char *field, char *named, size_t named_size)
{
	size_t length = strlen(field), used = 0;

	named[0] = '\0';
	for (size_t i = 0; json_object_is_type(details, json_type_array) && i < json_object_array_length(details); i++) {
		const char *name = member_string(json_object_array_get_idx(details, i), "field");
		if (name == NULL)
			continue;
		if (strncmp(name, field, length) == 0 && (name[length] == '\0' || name[length] == '.' || name[length] == '['))
			return true;
		if (used < named_size)
			used += (size_t)snprintf(named + used, named_size - used, "%s%s", used ? ", " : "", name);
	}
	return false;
}

static void check_error_answer(json_object *body, json_object *expect, struct row_report *report)
{
	json_object *wanted, *details = json_path_get(body, "error.details");
	const char *code = json_path_string(body, "error.code");
	char named[256];

	json_object_object_get_ex(expect, "code", &wanted);
	ITEST_CHECK(code != NULL && strcmp(code, json_object_get_string(wanted)) == 0, "%s: error.code is %s, wanted %s",
				report->test_name, code ? code : "(none)", json_object_get_string(wanted));
	ITEST_CHECK(json_path_string(body, "error.message") != NULL, "%s: error.message is not a string",
				report->test_name);
	if (json_object_object_get_ex(expect, "details", &wanted)) {
		for (size_t i = 0; i < json_object_array_length(wanted); i++) {
			const char *field = json_object_get_string(json_object_array_get_idx(wanted, i));
			ITEST_CHECK(details_name(details, field, named, sizeof named),
						"%s: error.details name no \"%s\" (they name: %s)", report->test_name, field,
						named[0] ? named : "nothing");
		}
	}
	if (json_object_object_get_ex(expect, "top", &wanted))
		contract_check_types(table.types, body, wanted, "body", row_report_failure, report);
}

static void capture_values(json_object *body, json_object *captures, struct row_report *report)
{
	json_object_object_foreach(captures, name, path_object) {
		const char *path = json_object_get_string(path_object);
		json_object *value = json_path_get(body, path);
		if (json_object_is_type(value, json_type_string) || json_object_is_type(value, json_type_int)) {
			/* An id the SDK types as a string but sent as a number has already
			 * failed its type check; later rows still get to run with it. */
			ITEST_CHECK(named_value_set(name, json_object_get_string(value)), "%s: too many captures for %s",
						report->test_name, name);
		} else {
			ITEST_CHECK(false, "%s: capture %s: no string or integer at %s", report->test_name, name, path);
		}
	}
}

static void check_success_answer(json_object *body, json_object *row, json_object *expect, struct row_report *report)
{
	json_object *data, *wanted;
	char why[256];

	if (!ITEST_CHECK(json_object_object_get_ex(body, "data", &data), "%s: the body has no \"data\" member",
					 report->test_name))
		return;
	json_object_object_get_ex(expect, "data", &wanted);
	contract_check_types(table.types, data, wanted, "data", row_report_failure, report);
	if (json_object_object_get_ex(expect, "equals", &wanted)) {
		json_object *expanded = contract_expand_json(wanted, named_value_lookup, NULL, why, sizeof why);
		if (ITEST_CHECK(expanded != NULL, "%s: expect.equals: %s", report->test_name, why))
			contract_check_equals(table.types, data, expanded, "data", row_report_failure, report);
		json_object_put(expanded);
	}
	if (json_object_object_get_ex(expect, "nonempty", &wanted))
		contract_check_nonempty(table.types, data, wanted, "data", row_report_failure, report);
	/* After the row's own data, so a row's first failure is about its method. */
	contract_check_types(table.types, body, table.envelope, "body", row_report_failure, report);
	if (json_object_object_get_ex(row, "capture", &wanted))
		capture_values(body, wanted, report);
}

static int stream_type_index(json_object *types, const char *type)
{
	for (size_t i = 0; i < json_object_array_length(types); i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(types, i)), type) == 0)
			return (int)i;
	}
	return -1;
}

/* A broken stream breaks every line the same way: the first failures say
 * enough, the rest are counted. */
enum { STREAM_FAILURES_SHOWN = 5 };

struct stream_report {
	struct row_report *row;
	size_t shown;
	size_t suppressed;
};

static void stream_report_failure(void *context, const char *message)
{
	struct stream_report *stream = context;

	if (stream->shown == STREAM_FAILURES_SHOWN) {
		stream->suppressed++;
		return;
	}
	stream->shown++;
	row_report_failure(stream->row, message);
}

/* One line as the SDK's parser reads it: a StreamChunk {type, data} whose type
 * is one of StreamChunkType; returns its type's index, or -1. */
static int check_stream_line(const char *line, size_t line_number, struct stream_report *stream, char *type_out,
							 size_t type_size)
{
	json_object *types, *data_types, *chunk, *data, *data_type;
	char why[256], message[512], label[80];
	const char *type;
	int index = -1;

	json_object_object_get_ex(table.stream, "types", &types);
	json_object_object_get_ex(table.stream, "data", &data_types);
	type_out[0] = '\0';
	chunk = json_parse_whole(line, strlen(line), why, sizeof why);
	if (chunk == NULL) {
		snprintf(message, sizeof message, "line %zu: %s", line_number, why);
		stream_report_failure(stream, message);
		return -1;
	}
	type = member_string(chunk, "type");
	snprintf(type_out, type_size, "%s", type ? type : "");
	index = type != NULL ? stream_type_index(types, type) : -1;
	if (index < 0) {
		snprintf(message, sizeof message, "line %zu: type %s is not a StreamChunkType", line_number,
				 type ? type : "(none)");
		stream_report_failure(stream, message);
	} else if (!json_object_object_get_ex(chunk, "data", &data)) {
		snprintf(message, sizeof message, "line %zu: a %s chunk without data", line_number, type);
		stream_report_failure(stream, message);
	} else if (json_object_object_get_ex(data_types, type, &data_type)) {
		snprintf(label, sizeof label, "line %zu (%s) data", line_number, type);
		contract_check_value(table.types, data, json_object_get_string(data_type), label, stream_report_failure,
							 stream);
	}
	json_object_put(chunk);
	return index;
}

/* NDJSON as the SDK reads it: blank lines skipped, every other line a chunk. */
static void check_stream(char *text, json_object *ndjson, struct row_report *report)
{
	struct stream_report stream = { .row = report };
	json_object *types, *wanted;
	size_t counts[64] = { 0 }, line_number = 0;
	char last_type[64] = "";

	json_object_object_get_ex(table.stream, "types", &types);
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		line += strspn(line, " \t\r");
		if (*line == '\0')
			continue;
		int index = check_stream_line(line, ++line_number, &stream, last_type, sizeof last_type);
		if (index >= 0 && (size_t)index < sizeof counts / sizeof counts[0])
			counts[index]++;
	}
	ITEST_CHECK(stream.suppressed == 0, "%s: and %zu more failures in later lines", report->test_name,
				stream.suppressed);
	ITEST_CHECK(line_number > 0, "%s: the stream has no chunk", report->test_name);
	if (json_object_object_get_ex(ndjson, "present", &wanted)) {
		for (size_t i = 0; i < json_object_array_length(wanted); i++) {
			const char *type = json_object_get_string(json_object_array_get_idx(wanted, i));
			int index = stream_type_index(types, type);
			ITEST_CHECK(index >= 0 && (size_t)index < sizeof counts / sizeof counts[0] && counts[index] > 0,
						"%s: no %s chunk in the stream", report->test_name, type);
		}
	}
	if (json_object_object_get_ex(ndjson, "last", &wanted))
		ITEST_CHECK(strcmp(last_type, json_object_get_string(wanted)) == 0, "%s: the last chunk is %s, wanted %s",
					report->test_name, last_type[0] ? last_type : "(none)", json_object_get_string(wanted));
}

/* ---------------------------------------------------------------- one row */

static bool status_matches(json_object *wanted, long status)
{
	if (json_object_is_type(wanted, json_type_string))
		return status >= 200 && status <= 299;
	return status == json_object_get_int(wanted);
}

/* "VALIDATION_ERROR: Invalid request [limit: must be ...]" or the start of the body. */
static void describe_answer(const struct http_response *response, char *out, size_t out_size)
{
	char why[64];
	json_object *body = json_parse_whole(response->body, response->body_length, why, sizeof why);
	json_object *details = body ? json_path_get(body, "error.details") : NULL;
	const char *code = body ? json_path_string(body, "error.code") : NULL;
	const char *message = body ? json_path_string(body, "error.message") : NULL;
	size_t used;

	if (code == NULL) {
		snprintf(out, out_size, "%.200s", response->body);
		json_object_put(body);
		return;
	}
	used = (size_t)snprintf(out, out_size, "%s: %.120s", code, message ? message : "");
	for (size_t i = 0; json_object_is_type(details, json_type_array) && i < json_object_array_length(details) &&
					   used < out_size; i++) {
		json_object *detail = json_object_array_get_idx(details, i);
		const char *field = member_string(detail, "field");
		const char *issue = member_string(detail, "issue");
		if (issue == NULL)
			issue = member_string(detail, "message");
		used += (size_t)snprintf(out + used, out_size - used, "%s%s: %s", i == 0 ? " [" : "; ", field ? field : "?",
								 issue ? issue : "?");
	}
	if (json_object_is_type(details, json_type_array) && json_object_array_length(details) > 0 && used < out_size)
		snprintf(out + used, out_size - used, "]");
	json_object_put(body);
}

/* The request of the row with its placeholders filled in; false (recorded) when one is unknown. */
static bool build_request(json_object *row, struct contract_request *outgoing, char **url, char **body,
						  char **workspace, struct row_report *report)
{
	json_object *request, *member = NULL, *expanded;
	const char *credential = member_string(row, "credential");
	char why[256], *path = NULL, *query = NULL;

	json_object_object_get_ex(row, "request", &request);
	outgoing->method = member_string(request, "method");
	outgoing->bearer = credential_bearer(credential);
	if (!ITEST_CHECK(outgoing->bearer == NULL || outgoing->bearer[0] != '\0',
					 "%s: the %s credential was not set up (see the fixtures test)", report->test_name, credential))
		return false;
	path = contract_expand_text(member_string(request, "path"), true, named_value_lookup, NULL, why, sizeof why);
	if (path != NULL && member_string(request, "query") != NULL)
		query = contract_expand_text(member_string(request, "query"), true, named_value_lookup, NULL, why, sizeof why);
	if (!ITEST_CHECK(path != NULL && (query != NULL || member_string(request, "query") == NULL), "%s: %s",
					 report->test_name, why)) {
		free(path);
		return false;
	}
	if (asprintf(url, "/api/v1/find%s%s%s", path, query ? "?" : "", query ? query : "") < 0)
		abort();
	free(path);
	free(query);
	outgoing->url = *url;
	if (!json_object_object_get_ex(request, "workspace", &member))
		member = NULL;
	if (json_object_is_type(member, json_type_string)) {
		*workspace = contract_expand_text(json_object_get_string(member), false, named_value_lookup, NULL, why,
										  sizeof why);
		if (!ITEST_CHECK(*workspace != NULL, "%s: request.workspace: %s", report->test_name, why))
			return false;
		outgoing->workspace = *workspace;
	} else if (json_object_get_boolean(member)) {
		outgoing->workspace = CONTRACT_WORKSPACE;
	}
	if (json_object_object_get_ex(row, "origin", &member) && json_object_get_boolean(member))
		outgoing->origin = CONTRACT_ORIGIN;
	if (json_object_object_get_ex(request, "body", &member)) {
		expanded = contract_expand_json(member, named_value_lookup, NULL, why, sizeof why);
		if (!ITEST_CHECK(expanded != NULL, "%s: request.body: %s", report->test_name, why))
			return false;
		/* JSON.stringify's form: compact, '/' not escaped, members in order. */
		*body = strdup(
			json_object_to_json_string_ext(expanded, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(expanded);
		if (*body == NULL)
			abort();
		outgoing->body = *body;
	}
	return true;
}

static void run_row(json_object *row, struct row_report *report)
{
	struct contract_request outgoing = { 0 };
	struct http_response response;
	json_object *expect, *status, *member, *body;
	char *url = NULL, *request_body = NULL, *workspace = NULL, answer[640], why[256], content_type[128];
	long answered;

	json_object_object_get_ex(row, "expect", &expect);
	json_object_object_get_ex(expect, "status", &status);
	if (!build_request(row, &outgoing, &url, &request_body, &workspace, report))
		goto done;
	if (strcmp(member_string(row, "credential"), "rate_limited") == 0 && !use_up_rate_limit(report->test_name))
		goto done;
	if (!contract_send(&outgoing, &response, report->test_name))
		goto done;
	if (!status_matches(status, response.status)) {
		describe_answer(&response, answer, sizeof answer);
		ITEST_CHECK(false, "%s: %s %s answered %ld, wanted %s (%s)", report->test_name, outgoing.method, url,
					response.status, json_object_get_string(status), answer);
		http_response_free(&response);
		goto done;
	}
	if (json_object_object_get_ex(expect, "headers", &member)) {
		for (size_t i = 0; i < json_object_array_length(member); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(member, i));
			const char *value = http_response_header(&response, name);
			ITEST_CHECK(value != NULL && value[0] != '\0', "%s: no %s header", report->test_name, name);
		}
	}
	if (json_object_object_get_ex(expect, "ndjson", &member)) {
		check_stream(response.body, member, report);
		http_response_free(&response);
		goto done;
	}
	answered = response.status;
	snprintf(content_type, sizeof content_type, "%s",
			 http_response_header(&response, "Content-Type") ? http_response_header(&response, "Content-Type") : "");
	body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	http_response_free(&response);
	if (!ITEST_CHECK(body != NULL, "%s: %s", report->test_name, why))
		goto done;
	if (answered >= 200 && answered <= 299)
		check_success_answer(body, row, expect, report);
	else
		check_error_answer(body, expect, report);
	/* The house envelope around what the SDK reads. */
	ITEST_CHECK(envelope_is_well_formed(body, why, sizeof why), "%s: envelope: %s", report->test_name, why);
	ITEST_CHECK(content_type_is_json(content_type), "%s: Content-Type %s", report->test_name, content_type);
	json_object_put(body);
done:
	free(url);
	free(request_body);
	free(workspace);
}

static void sdk_contract_row(void)
{
	CU_pTest test = CU_get_current_test();
	const char *name = test != NULL ? test->pName : "";
	const struct contract_row *entry = contract_table_find_row(&table, name);
	struct row_report report = { .test_name = name };

	if (!ITEST_CHECK(entry != NULL, "no row of %s is named \"%s\"", CONTRACT_FILE, name))
		return;
	if (!ITEST_CHECK(entry->problem[0] == '\0', "%s: malformed row in %s: %s", name, CONTRACT_FILE, entry->problem))
		return;
	run_row(entry->row, &report);
}

static void sdk_contract_data_file(void)
{
	ITEST_CHECK(table.problem[0] == '\0', "%s", table.problem);
}

static int sdk_contract_cleanup(void)
{
	contract_table_free(&table);
	return 0;
}

bool sdk_contract_suite_register(void)
{
	const char *directory = getenv("INTUKA_TEST_CONTRACT_DIR");
	const char *skip = NULL;
	char file_path[1024];
	CU_pSuite suite;

	if (!test_environment_has(test_environment.admin_binary) || !test_environment_has(test_environment.config_file))
		skip = "needs INTUKA_TEST_ADMIN and INTUKA_TEST_CONFIG (tenants and plans come from intuka-admin)";
	snprintf(file_path, sizeof file_path, "%s/%s", test_environment_has(directory) ? directory : ITEST_CONTRACT_DIR,
			 CONTRACT_FILE);
	/* A file that cannot be used leaves only the data_file test, which fails with the reason. */
	contract_table_load(file_path, &table);
	suite = CU_add_suite("sdk_contract", NULL, sdk_contract_cleanup);
	if (suite == NULL || !itest_add_test(suite, "data_file", sdk_contract_data_file, NULL) ||
		!itest_add_test(suite, "fixtures", sdk_contract_fixtures, skip))
		return false;
	for (size_t i = 0; i < table.row_count; i++) {
		if (!itest_add_test(suite, table.rows[i].test_name, sdk_contract_row, skip))
			return false;
	}
	return true;
}

/*
 * find_call: one request to /api/v1/find with the find API's headers.
 */
#include "find_client.h"

#include <stdio.h>
#include <string.h>

#include "http_client.h"
#include "identity_client.h"
#include "itest_check.h"
#include "json_path.h"

bool find_call(const char *method, const char *path, const char *json_body, const char *bearer,
			   const struct find_headers *headers, struct find_reply *reply)
{
	char authorization[4200], workspace[200], origin[300], request_method[80], url[1024];
	const char *lines[5] = { NULL };
	size_t line_count = 0;
	memset(reply, 0, sizeof *reply);
	if (bearer != NULL) {
		snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
		lines[line_count++] = authorization;
	}
	if (headers != NULL && headers->workspace != NULL) {
		snprintf(workspace, sizeof workspace, "X-Workspace-ID: %s", headers->workspace);
		lines[line_count++] = workspace;
	}
	if (headers != NULL && headers->origin != NULL) {
		snprintf(origin, sizeof origin, "Origin: %s", headers->origin);
		lines[line_count++] = origin;
	}
	if (headers != NULL && headers->request_method != NULL) {
		snprintf(request_method, sizeof request_method, "Access-Control-Request-Method: %s", headers->request_method);
		lines[line_count++] = request_method;
	}
	snprintf(url, sizeof url, "/api/v1/find%s", path);
	/* Web servers want a length on every POST; an empty JSON-less body has one. */
	const char *body = json_body ? json_body : (strcmp(method, "POST") == 0 ? "" : NULL);
	struct http_request request = {
		.method = method,
		.path_and_query = url,
		.content_type = json_body ? "application/json" : NULL,
		.body = body,
		.body_length = body ? strlen(body) : 0,
		.extra_headers = lines,
	};
	struct http_response response;
	char error_text[256];
	memset(&response, 0, sizeof response);
	if (!http_client_send(&request, &response, error_text, sizeof error_text)) {
		/* A lost answer is a failed test, never a quiet skip of its checks. */
		ITEST_CHECK(false, "%s %s: no answer: %s", method, url, error_text);
		http_response_free(&response);
		return false;
	}
	reply->status = response.status;
	char why[128];
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	const char *value = http_response_header(&response, "Access-Control-Allow-Origin");
	snprintf(reply->allow_origin, sizeof reply->allow_origin, "%s", value ? value : "");
	value = http_response_header(&response, "Retry-After");
	snprintf(reply->retry_after, sizeof reply->retry_after, "%s", value ? value : "");
	http_response_free(&response);
	return true;
}

void find_reply_free(struct find_reply *reply)
{
	if (reply->body != NULL)
		json_object_put(reply->body);
	reply->body = NULL;
}

const char *find_error_code(const struct find_reply *reply)
{
	const char *code = reply->body ? json_path_string(reply->body, "error.code") : NULL;
	return code ? code : "";
}

long find_status(const char *method, const char *path, const char *json_body, const char *bearer,
				 const struct find_headers *headers, const char *expected_code)
{
	struct find_reply reply;
	if (!find_call(method, path, json_body, bearer, headers, &reply))
		return 0;
	long status = reply.status;
	if (expected_code != NULL)
		ITEST_CHECK(strcmp(find_error_code(&reply), expected_code) == 0, "%s %s: code %s, wanted %s", method, path,
					find_error_code(&reply), expected_code);
	find_reply_free(&reply);
	return status;
}

bool find_make_tenant_admin(const char *prefix, const char *name, const char *password, char *slug,
							size_t slug_size, char *token)
{
	identity_unique_slug(prefix, slug, slug_size);
	char email[160];
	snprintf(email, sizeof email, "admin@%s.test", slug);
	const char *create[] = { "tenant", "create", slug, name, NULL };
	const char *user[] = { "user", "create", slug, email, NULL };
	if (admin_command(create, NULL) != 0 || admin_command(user, password) != 0)
		return false;
	return api_login(email, password, slug, token, NULL) == 200;
}

long find_create_key(const char *bearer, const char *body, char *key, size_t key_size, char *id, size_t id_size)
{
	struct find_reply reply;
	if (!find_call("POST", "/provision/keys", body, bearer, NULL, &reply))
		return 0;
	long status = reply.status;
	const char *text = reply.body ? json_path_string(reply.body, "data.key") : NULL;
	const char *key_id = reply.body ? json_path_string(reply.body, "data.id") : NULL;
	snprintf(key, key_size, "%s", text ? text : "");
	if (id != NULL)
		snprintf(id, id_size, "%s", key_id ? key_id : "");
	if (status != 201)
		fprintf(stderr, "find_create_key: %ld %s\n", status, reply.body ? json_object_to_json_string(reply.body) : "");
	find_reply_free(&reply);
	return status;
}

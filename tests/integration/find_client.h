/*
 * Requests to the find API: a bearer (JWT or API key) plus the headers the
 * find API reads (X-Workspace-ID, Origin, preflight headers), and the
 * response headers its tests look at.
 */
#ifndef INTUKA_ITEST_FIND_CLIENT_H
#define INTUKA_ITEST_FIND_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct find_reply {
	long status;
	json_object *body; /* parsed envelope, or NULL; freed by find_reply_free */
	char allow_origin[256];
	char retry_after[32];
};

struct find_headers {
	const char *workspace;      /* X-Workspace-ID, or NULL */
	const char *origin;         /* Origin, or NULL */
	const char *request_method; /* Access-Control-Request-Method, or NULL */
};

/* path is below /api/v1/find ("/products"); body NULL sends none (POST gets an empty one).
 * A transport failure is recorded as a CUnit failure and returns false. */
bool find_call(const char *method, const char *path, const char *json_body, const char *bearer,
			   const struct find_headers *headers, struct find_reply *reply);
void find_reply_free(struct find_reply *reply);
const char *find_error_code(const struct find_reply *reply);

/* One call for its status (0 when no answer came); with expected_code, also
 * records a check that the error envelope carries that code. */
long find_status(const char *method, const char *path, const char *json_body, const char *bearer,
				 const struct find_headers *headers, const char *expected_code);

/* A new tenant (slug "<prefix>-<time>-<pid>", display name name) whose first
 * user admin@<slug>.test (password) is its Tenant Admin; copies the access
 * token (4097 bytes). */
bool find_make_tenant_admin(const char *prefix, const char *name, const char *password, char *slug,
							size_t slug_size, char *token);

/* POST /provision/keys with the given JSON body; copies data.key and data.id. */
long find_create_key(const char *bearer, const char *body, char *key, size_t key_size, char *id, size_t id_size);

#endif

/* The request struct: everything a handler may read about one FastCGI
 * request, parsed once with hard limits before routing. Strings live in the
 * request's arena; the parsed JSON body and the parsed object parameters of
 * the query are released by request_reset(). */
#ifndef INTUKA_HTTP_REQUEST_H
#define INTUKA_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "core/arena.h"

struct response;

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_HEAD,
	HTTP_METHOD_OTHER,
	HTTP_METHOD__MAX
};

#define REQUEST_ID_MAX 64
#define ROUTE_MAX_PARAMS 8

struct request_limits {
	size_t max_body_bytes;
	size_t max_header_bytes;
	size_t max_path_bytes;
	int max_json_depth;
	size_t max_query_params;
};

struct query_param {
	const char *name;
	const char *value;
};

struct path_params {
	size_t count;
	const char *names[ROUTE_MAX_PARAMS];
	const char *values[ROUTE_MAX_PARAMS];
};

enum auth_kind { AUTH_NONE, AUTH_JWT, AUTH_SECRET_KEY, AUTH_PUBLISHABLE_KEY, AUTH_OPERATOR };

/* Who the request speaks for; filled by the authentication step from the
 * verified token and the current database state. Strings are in the arena. */
struct auth_context {
	uint64_t tenant_id; /* 0 until a tenant is resolved */
	const char *tenant_slug;
	uint64_t user_id;
	uint64_t session_id;
	const char *email;
	const char *display_name;
	uint64_t profile_id;
	const char *profile_name;
	const char *permissions; /* normalized list, see auth/rbac.h */
	int64_t profile_version;
	enum auth_kind kind;
	uint64_t api_key_id; /* set for API keys */
	const char *key_allowed_origins; /* publishable keys: space-separated origins */
	/* API keys: when the tenant's find plan last changed (milliseconds, -1
	 * for none), read with the key, so the gate may keep the plan it read
	 * before while it has not changed. 0 when unknown (JWTs). */
	int64_t plan_changed_ms;
	/* The same for the tenant's own model provider row (find_llm_providers). */
	int64_t llm_changed_ms;
	/* API keys served from the worker's cache (auth/key_principal.h): the
	 * row's fingerprint when it was last read, and whether this request
	 * has yet to read it again (principal_unconfirmed) or found it changed. */
	const char *principal_fingerprint;
	int principal_unconfirmed;
	int principal_changed;
};

struct request {
	struct arena *arena;
	enum http_method method;
	const char *method_text;
	const char *path;         /* REQUEST_URI without the query string, not decoded */
	const char *query_string; /* raw, may be "" */
	struct query_param *query_params;
	size_t query_param_count;
	json_object *query_objects; /* validated object parameters by name (http/query.h); owned here */
	const char *content_type;
	const char *host;
	const char *origin;
	const char *authorization;
	const char *remote_addr;
	const char *if_match;        /* If-Match header, raw */
	const char *if_none_match;   /* If-None-Match header, raw (http/etag.h) */
	const char *accept;          /* Accept header, raw (a list answers CSV for text/csv) */
	const char *idempotency_key; /* Idempotency-Key header, raw */
	const char *workspace_header; /* X-Workspace-ID header, raw */
	const char *cors_request_method; /* Access-Control-Request-Method (preflight) */
	const char *user_agent;       /* User-Agent header, raw (what a session shows as its device) */
	char request_id[REQUEST_ID_MAX + 1];
	const char *body;
	size_t body_length;
	json_object *json_body; /* NULL when the body is empty; owned here */
	struct path_params path_params;
	struct auth_context auth;
};

/* Reads bytes of the body; returns bytes read (0 at end) or -1. */
typedef long (*request_body_reader)(void *reader_context, char *buffer, size_t buffer_size);

void request_init(struct request *request, struct arena *arena);
/* Releases what the request owns (the JSON tree); the arena is reset by its owner. */
void request_reset(struct request *request);

/* Parse FastCGI parameters (envp), enforce path/header/query limits and read
 * the body. On refusal returns non-zero with the error set in response. */
int request_parse(struct request *request, char **envp, request_body_reader read_body, void *reader_context,
	const struct request_limits *limits, struct response *response);

const char *request_param(char **envp, const char *name);
const char *request_query(const struct request *request, const char *name);
const char *request_path_param(const struct request *request, const char *name);
enum http_method http_method_parse(const char *text);
const char *http_method_name(enum http_method method);

/* Decode %XX and '+' (when plus_is_space) in place-free fashion into the arena.
 * Returns NULL on a malformed escape or an encoded NUL byte. */
char *request_percent_decode(struct arena *arena, const char *text, size_t length, int plus_is_space);
/* Accept the client's id when it is short and plain, else generate one. */
void request_assign_id(struct request *request, const char *client_request_id);

#endif

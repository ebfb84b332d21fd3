/*
 * Helpers for the identity suite: JSON requests with a bearer token, logins,
 * intuka-admin calls for fixtures, and a test-side HS256 signer that reads the
 * stack's own key from its secrets file (to forge expired and hostile tokens
 * the way an attacker with a stolen key, or without one, would).
 */
#ifndef INTUKA_ITEST_IDENTITY_CLIENT_H
#define INTUKA_ITEST_IDENTITY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "http_client.h"

struct api_reply {
	long status;
	json_object *body;            /* parsed envelope, or NULL; freed by api_reply_free */
	char retry_after[32];
	char rate_remaining[32];
	char www_authenticate[64];
};

/* method, path, optional JSON body text, optional bearer token, optional Host. */
bool api_call(const char *method, const char *path, const char *json_body, const char *bearer, const char *host,
			  struct api_reply *reply);
void api_reply_free(struct api_reply *reply);
const char *api_error_code(const struct api_reply *reply);

/* POST /auth/login; on 200 copies the tokens (buffers of 4097 and 128). */
long api_login(const char *email, const char *password, const char *tenant_slug, char *access_token,
			   char *refresh_token);

/* intuka-admin -c CONFIG args...; 0 on exit status 0. password may be NULL. */
int admin_command(const char *const arguments[], const char *password);

/* Unique per run: "<prefix>-<time>-<pid>", valid as a tenant slug. */
void identity_unique_slug(const char *prefix, char *out, size_t out_size);

/* The value of key in the stack's configuration file (INTUKA_TEST_CONFIG), or
 * in its secrets file when in_secrets; false when absent. */
bool identity_config_lookup(const char *key, bool in_secrets, char *out, size_t out_size);

/* Loads the signing key (first jwt_key.*) from the stack's secrets file. */
bool identity_load_signing_key(char *kid, size_t kid_size, unsigned char *secret, size_t *secret_length);
/* header and payload JSON texts -> a compact token signed with secret. */
void identity_sign(const char *header_json, const char *payload_json, const unsigned char *secret,
				   size_t secret_length, char *out, size_t out_size);
void identity_base64url(const unsigned char *data, size_t length, char *out, size_t out_size);

#endif

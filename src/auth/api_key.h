/* API keys (they open the find API): "if_sk_" (secret, server side) or "if_pk_" (publishable,
 * browsers) followed by 40 random base62 characters. Only the SHA-256 of the
 * whole key is stored; a request's key is found by that hash and then
 * compared in constant time. */
#ifndef INTUKA_AUTH_API_KEY_H
#define INTUKA_AUTH_API_KEY_H

#include <stddef.h>
#include <stdint.h>

#define API_KEY_RANDOM_CHARS 40
#define API_KEY_TEXT_MAX 64 /* prefix + random + NUL, with room */
#define API_KEY_HASH_BYTES 32
#define API_KEY_DISPLAY_PREFIX_CHARS 12 /* "if_sk_" + 6: enough to tell keys apart */

enum api_key_type { API_KEY_NONE, API_KEY_SECRET, API_KEY_PUBLISHABLE };

/* The type a presented bearer token claims by its prefix, or API_KEY_NONE
 * when it is not shaped like one of our keys (then it may be a JWT). */
enum api_key_type api_key_type_of(const char *token);
/* Whether the token is exactly prefix + 32..64 base62 characters. */
int api_key_well_formed(const char *token);
/* A new key of the type; returns 0, -1 if the random source fails. */
int api_key_generate(enum api_key_type type, char *out, size_t out_size);
void api_key_hash(const char *key, unsigned char out[API_KEY_HASH_BYTES]);
/* The first characters shown in listings ("if_sk_Ab12Cd"). */
void api_key_display_prefix(const char *key, char *out, size_t out_size);
const char *api_key_type_name(enum api_key_type type); /* "secret" | "publishable" */
enum api_key_type api_key_type_parse(const char *name);
/* Whether origin is one of the space-separated allowed origins (scheme and
 * host compared without case; a trailing slash is ignored). */
int api_key_origin_allowed(const char *allowed_origins, const char *origin);

enum api_key_origin_verdict {
	API_KEY_ORIGIN_OK,
	API_KEY_ORIGIN_MISSING,     /* no Origin header */
	API_KEY_ORIGIN_NOT_ALLOWED, /* not among the key's origins */
	API_KEY_ORIGIN_INVALID,     /* a key without origins, and no http(s) origin ("null", ...) */
};

/* Whether a publishable key may be used from origin. A key with allowed
 * origins works from those only; a key without any ("" allowed_origins)
 * works from every http(s) origin, its workspace being that origin's. */
enum api_key_origin_verdict api_key_origin_check(const char *allowed_origins, const char *origin);
/* "https://Shop.example.com/" -> "https://shop.example.com"; -1 when not an
 * http(s) origin without path, query or credentials. */
int api_key_origin_normalize(const char *origin, char *out, size_t out_size);

#endif

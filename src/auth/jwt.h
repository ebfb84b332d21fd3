/* HS256 access tokens: a ring of named keys (one signs, all verify, so keys
 * rotate without logging anyone out), signing, and a verifier that names the
 * exact reason for every refusal so logs can tell an attack from a clock. */
#ifndef INTUKA_AUTH_JWT_H
#define INTUKA_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_KID_MAX 32
#define JWT_SECRET_MIN_BYTES 32 /* RFC 7518 3.2: at least the hash size */
#define JWT_SECRET_MAX_BYTES 64
#define JWT_KEYRING_MAX_KEYS 8
#define JWT_TOKEN_MAX 4096 /* longer tokens are refused before any decoding */
#define JWT_MAX_JSON_DEPTH 5 /* the header or payload object itself is depth 1 */
#define JWT_SIGNATURE_BYTES 32
#define JWT_SUB_MAX_DIGITS 20 /* a uint64 user id */
#define JWT_JTI_MAX 47
#define JWT_TEXT_CLAIM_MAX 127 /* iss, aud */
#define JWT_LEEWAY_MAX_S 300 /* larger leeways are clamped: clock skew, not a grace period */

struct jwt_key {
	char kid[JWT_KID_MAX + 1];
	unsigned char secret[JWT_SECRET_MAX_BYTES];
	size_t secret_length;
};

/* Filled from configuration lines "jwt_key.<kid> = <base64 secret>" and
 * "jwt_signing_kid = <kid>". The first key added signs until
 * jwt_keyring_set_signing() picks another. */
struct jwt_keyring {
	struct jwt_key keys[JWT_KEYRING_MAX_KEYS];
	size_t key_count;
	size_t signing_index;
};

struct jwt_claims {
	char sub[32]; /* user id as decimal text, 1-20 digits, no leading zero */
	uint64_t tenant_id; /* "tid", a positive JSON integer (at most INT64_MAX) */
	int64_t iat;
	int64_t exp;
	char jti[JWT_JTI_MAX + 1]; /* 1-47 printable ASCII characters, no space */
	char iss[JWT_TEXT_CLAIM_MAX + 1];
	char aud[JWT_TEXT_CLAIM_MAX + 1]; /* one string; arrays are refused */
	int64_t profile_version; /* "pv", >= 0 */
	uint64_t session_id; /* "sid", a positive JSON integer (at most INT64_MAX): the login session, revocable */
};

struct jwt_expectations {
	const char *issuer;
	const char *audience;
	int64_t now_s;
	int64_t leeway_s; /* clamped to 0..JWT_LEEWAY_MAX_S */
};

/* One value per refusal reason; jwt_verify() checks in this order: size,
 * structure and base64url, header JSON, alg, typ, crit, kid, signature,
 * payload JSON, then claims (presence and type in the order of the struct,
 * then the type of nbf when present, then iss, aud, exp, iat, nbf). Claims
 * are never read before the signature holds. */
enum jwt_result {
	JWT_OK,
	JWT_TOO_LARGE, /* over JWT_TOKEN_MAX bytes */
	JWT_MALFORMED, /* not three non-empty strict base64url parts (no '=', canonical last character) */
	JWT_BAD_JSON, /* header or payload not one strict JSON object (core/json_strict.h): depth <= 5,
	               * valid UTF-8, no escaped NUL, integers within int64, nothing after it */
	JWT_DUPLICATE_KEY, /* a member name appears twice in one object, at any depth (escapes decoded) */
	JWT_BAD_ALG, /* "alg" missing, not a string, or not exactly "HS256" */
	JWT_BAD_TYPE, /* "typ" present and not exactly "JWT" */
	JWT_UNSUPPORTED_CRIT, /* a "crit" header: we understand no extensions */
	JWT_UNKNOWN_KID, /* "kid" missing, not a string, or not in the ring */
	JWT_BAD_SIGNATURE, /* not 32 bytes, or not the HMAC of the key named by kid */
	JWT_MISSING_CLAIM,
	JWT_INVALID_CLAIM, /* wrong JSON type (floats and strings for integers, nbf included), or out of range */
	JWT_BAD_ISSUER,
	JWT_BAD_AUDIENCE,
	JWT_EXPIRED, /* exp <= now - leeway */
	JWT_NOT_YET_VALID, /* iat > now + leeway, or nbf (when present) > now + leeway */
	JWT_INTERNAL_ERROR, /* a NULL argument or a library failure, not the token's fault */
	JWT_RESULT__MAX
};

void jwt_keyring_init(struct jwt_keyring *ring);
/* Adds a key from its configuration text: base64url or standard base64
 * (padding optional, alphabets not mixed, canonical) decoding to 32-64 bytes;
 * `openssl rand -base64 48` gives one line of 64 characters. kid is 1-32
 * characters of [A-Za-z0-9._-]. Returns 0, or -1 with a reason in error that
 * never contains the secret. */
int jwt_keyring_add(struct jwt_keyring *ring, const char *kid, const char *secret_text, char *error,
	size_t error_size);
/* Returns 0, or -1 when kid is not in the ring. */
int jwt_keyring_set_signing(struct jwt_keyring *ring, const char *kid);
/* Retires a key: tokens it signed fail with JWT_UNKNOWN_KID. The signing key
 * cannot be removed (-1); neither can a kid that is not there. */
int jwt_keyring_remove(struct jwt_keyring *ring, const char *kid);
/* Wipes every secret. */
void jwt_keyring_clear(struct jwt_keyring *ring);
int jwt_kid_is_valid(const char *kid);

/* Writes a NUL-terminated token into out with header exactly
 * {"alg":"HS256","typ":"JWT","kid":"<signing kid>"}. Returns 0, or -1 when
 * the ring has no signing key, a claim is out of its bounds (iss and aud must
 * be non-empty printable ASCII, tid and sid at most INT64_MAX, exp > iat), or
 * out is too small (JWT_TOKEN_MAX + 1 bytes is always enough). */
int jwt_sign(const struct jwt_keyring *ring, const struct jwt_claims *claims, char *out, size_t out_size);
/* token need not be NUL-terminated. out (may be NULL) is filled only on
 * JWT_OK and zeroed otherwise. Unknown extra claims are ignored. */
enum jwt_result jwt_verify(const struct jwt_keyring *ring, const char *token, size_t token_length,
	const struct jwt_expectations *expect, struct jwt_claims *out);
/* Short English text for logs; never NULL. */
const char *jwt_result_text(enum jwt_result result);

/* The layers under jwt_sign() and jwt_verify(), exposed for the RFC 7515 test. */
/* Unpadded base64url; returns the text length, or -1 when out is too small. */
int jwt_base64url_encode(const unsigned char *data, size_t length, char *out, size_t out_size);
/* Strict unpadded base64url (no '=', unused bits zero); returns the decoded
 * length, or -1 when malformed or longer than out_size. */
int jwt_base64url_decode(const char *text, size_t text_length, unsigned char *out, size_t out_size);
/* HMAC-SHA256 of signing_input; returns 0 or -1. */
int jwt_hs256(const unsigned char *secret, size_t secret_length, const char *signing_input, size_t input_length,
	unsigned char signature[JWT_SIGNATURE_BYTES]);

#endif

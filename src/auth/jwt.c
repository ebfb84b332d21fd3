/* HS256 JSON Web Tokens: key ring, signing and strict verification. The
 * verifier is stricter than RFC 7519 wherever a laxity would let one token be
 * read two ways, and says which rule a refused token broke. */
#include "auth/jwt.h"
#include "core/json_strict.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Configuration text of a 64-byte secret is 88 characters; anything much
 * longer is a mistake, not a key. */
#define JWT_SECRET_TEXT_MAX 128
#define JWT_DECODED_MAX (JWT_TOKEN_MAX / 4 * 3)

enum jwt_alphabet { JWT_ALPHABET_URL, JWT_ALPHABET_STANDARD };

static const char *const jwt_result_texts[JWT_RESULT__MAX] = {
	[JWT_OK] = "ok",
	[JWT_TOO_LARGE] = "token too large",
	[JWT_MALFORMED] = "malformed token",
	[JWT_BAD_JSON] = "header or payload is not a strict JSON object",
	[JWT_DUPLICATE_KEY] = "duplicate member in header or payload",
	[JWT_BAD_ALG] = "algorithm is not HS256",
	[JWT_BAD_TYPE] = "typ is not JWT",
	[JWT_UNSUPPORTED_CRIT] = "crit header is not supported",
	[JWT_UNKNOWN_KID] = "unknown or missing key id",
	[JWT_BAD_SIGNATURE] = "bad signature",
	[JWT_MISSING_CLAIM] = "required claim missing",
	[JWT_INVALID_CLAIM] = "claim has the wrong type or is out of range",
	[JWT_BAD_ISSUER] = "wrong issuer",
	[JWT_BAD_AUDIENCE] = "wrong audience",
	[JWT_EXPIRED] = "token expired",
	[JWT_NOT_YET_VALID] = "token issued in the future or not yet valid (nbf)",
	[JWT_INTERNAL_ERROR] = "internal error",
};

const char *jwt_result_text(enum jwt_result result)
{
	if ((unsigned)result >= JWT_RESULT__MAX || jwt_result_texts[result] == NULL)
		return "unknown result";
	return jwt_result_texts[result];
}

static void jwt_set_error(char *error, size_t error_size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void jwt_set_error(char *error, size_t error_size, const char *format, ...)
{
	if (error == NULL || error_size == 0)
		return;
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(error, error_size, format, arguments);
	va_end(arguments);
}

/* ---- base64 ---------------------------------------------------------- */

static int jwt_base64_value(char c, enum jwt_alphabet alphabet)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (alphabet == JWT_ALPHABET_URL ? '-' : '+'))
		return 62;
	if (c == (alphabet == JWT_ALPHABET_URL ? '_' : '/'))
		return 63;
	return -1;
}

/* Unpadded decoding that accepts one text per byte string: a length of 4n+1
 * or a last character with non-zero unused bits would give a second spelling
 * of the same token, which the signature would not cover. */
static int jwt_base64_decode(const char *text, size_t text_length, enum jwt_alphabet alphabet, unsigned char *out,
	size_t out_size)
{
	if (text_length % 4 == 1)
		return -1;
	size_t decoded_length = text_length / 4 * 3 + (text_length % 4 == 0 ? 0 : text_length % 4 - 1);
	if (decoded_length > out_size || decoded_length > INT_MAX)
		return -1;
	uint32_t pending = 0;
	unsigned pending_bits = 0;
	size_t written = 0;
	for (size_t i = 0; i < text_length; i++) {
		int value = jwt_base64_value(text[i], alphabet);
		if (value < 0)
			return -1;
		pending = (pending << 6) | (uint32_t)value;
		pending_bits += 6;
		if (pending_bits >= 8) {
			pending_bits -= 8;
			out[written++] = (unsigned char)(pending >> pending_bits);
			pending &= (1u << pending_bits) - 1;
		}
	}
	if (pending != 0)
		return -1;
	return (int)written;
}

int jwt_base64url_decode(const char *text, size_t text_length, unsigned char *out, size_t out_size)
{
	return jwt_base64_decode(text, text_length, JWT_ALPHABET_URL, out, out_size);
}

int jwt_base64url_encode(const unsigned char *data, size_t length, char *out, size_t out_size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t text_length = length / 3 * 4 + (length % 3 == 0 ? 0 : length % 3 + 1);
	if (text_length >= out_size || text_length > INT_MAX)
		return -1;
	size_t position = 0;
	for (size_t i = 0; i < length; i += 3) {
		uint32_t group = (uint32_t)data[i] << 16;
		if (i + 1 < length)
			group |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < length)
			group |= data[i + 2];
		size_t characters = length - i >= 3 ? 4 : length - i + 1;
		for (size_t c = 0; c < characters; c++)
			out[position++] = alphabet[(group >> (18 - 6 * c)) & 0x3f];
	}
	out[position] = '\0';
	return (int)position;
}

int jwt_hs256(const unsigned char *secret, size_t secret_length, const char *signing_input, size_t input_length,
	unsigned char signature[JWT_SIGNATURE_BYTES])
{
	unsigned int signature_length = 0;
	if (secret_length == 0 || secret_length > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), secret, (int)secret_length, (const unsigned char *)signing_input, input_length,
		    signature, &signature_length) == NULL ||
		signature_length != JWT_SIGNATURE_BYTES)
		return -1;
	return 0;
}

/* ---- key ring -------------------------------------------------------- */

int jwt_kid_is_valid(const char *kid)
{
	size_t length = kid == NULL ? 0 : strlen(kid);
	if (length == 0 || length > JWT_KID_MAX)
		return 0;
	for (size_t i = 0; i < length; i++) {
		char c = kid[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static const struct jwt_key *jwt_keyring_find(const struct jwt_keyring *ring, const char *kid, size_t kid_length)
{
	for (size_t i = 0; i < ring->key_count && i < JWT_KEYRING_MAX_KEYS; i++)
		if (strlen(ring->keys[i].kid) == kid_length && memcmp(ring->keys[i].kid, kid, kid_length) == 0)
			return &ring->keys[i];
	return NULL;
}

void jwt_keyring_init(struct jwt_keyring *ring)
{
	memset(ring, 0, sizeof(*ring));
}

void jwt_keyring_clear(struct jwt_keyring *ring)
{
	OPENSSL_cleanse(ring, sizeof(*ring));
}

/* Decodes secret_text into out; returns the length or -1 with reason set. */
static int jwt_secret_decode(const char *secret_text, unsigned char *out, size_t out_size, const char **reason)
{
	size_t length = strnlen(secret_text, JWT_SECRET_TEXT_MAX + 1);
	if (length > JWT_SECRET_TEXT_MAX) {
		*reason = "is longer than a 64-byte secret in base64";
		return -1;
	}
	int url = strpbrk(secret_text, "-_") != NULL;
	int standard = strpbrk(secret_text, "+/") != NULL;
	if (url && standard) {
		*reason = "mixes the base64 and base64url alphabets";
		return -1;
	}
	size_t padding = 0;
	while (padding < length && secret_text[length - 1 - padding] == '=')
		padding++;
	if (padding > 2 || (padding > 0 && length % 4 != 0)) {
		*reason = "has wrong base64 padding";
		return -1;
	}
	int decoded = jwt_base64_decode(secret_text, length - padding, url ? JWT_ALPHABET_URL : JWT_ALPHABET_STANDARD,
		out, out_size);
	if (decoded < 0)
		*reason = "is not canonical base64 or base64url";
	return decoded;
}

int jwt_keyring_add(struct jwt_keyring *ring, const char *kid, const char *secret_text, char *error,
	size_t error_size)
{
	if (ring == NULL || kid == NULL || secret_text == NULL) {
		jwt_set_error(error, error_size, "missing key id or secret");
		return -1;
	}
	if (!jwt_kid_is_valid(kid)) {
		jwt_set_error(error, error_size, "key id must be 1-%d characters of A-Z a-z 0-9 . _ -", JWT_KID_MAX);
		return -1;
	}
	if (jwt_keyring_find(ring, kid, strlen(kid)) != NULL) {
		jwt_set_error(error, error_size, "key id %s is defined twice", kid);
		return -1;
	}
	if (ring->key_count >= JWT_KEYRING_MAX_KEYS) {
		jwt_set_error(error, error_size, "at most %d keys", JWT_KEYRING_MAX_KEYS);
		return -1;
	}
	unsigned char secret[JWT_SECRET_TEXT_MAX];
	const char *reason = NULL;
	int secret_length = jwt_secret_decode(secret_text, secret, sizeof(secret), &reason);
	if (secret_length >= 0 && secret_length < JWT_SECRET_MIN_BYTES)
		reason = "decodes to fewer than 32 bytes";
	else if (secret_length > JWT_SECRET_MAX_BYTES)
		reason = "decodes to more than 64 bytes";
	if (reason != NULL) {
		OPENSSL_cleanse(secret, sizeof(secret));
		jwt_set_error(error, error_size, "secret of key %s %s", kid, reason);
		return -1;
	}
	struct jwt_key *key = &ring->keys[ring->key_count];
	memset(key, 0, sizeof(*key));
	memcpy(key->kid, kid, strlen(kid));
	memcpy(key->secret, secret, (size_t)secret_length);
	key->secret_length = (size_t)secret_length;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (ring->key_count == 0)
		ring->signing_index = 0;
	ring->key_count++;
	return 0;
}

int jwt_keyring_set_signing(struct jwt_keyring *ring, const char *kid)
{
	if (ring == NULL || kid == NULL)
		return -1;
	const struct jwt_key *key = jwt_keyring_find(ring, kid, strlen(kid));
	if (key == NULL)
		return -1;
	ring->signing_index = (size_t)(key - ring->keys);
	return 0;
}

int jwt_keyring_remove(struct jwt_keyring *ring, const char *kid)
{
	if (ring == NULL || kid == NULL)
		return -1;
	const struct jwt_key *key = jwt_keyring_find(ring, kid, strlen(kid));
	if (key == NULL)
		return -1;
	size_t index = (size_t)(key - ring->keys);
	if (index == ring->signing_index)
		return -1;
	memmove(&ring->keys[index], &ring->keys[index + 1], (ring->key_count - index - 1) * sizeof(ring->keys[0]));
	ring->key_count--;
	OPENSSL_cleanse(&ring->keys[ring->key_count], sizeof(ring->keys[0]));
	if (ring->signing_index > index)
		ring->signing_index--;
	return 0;
}

/* ---- claim shapes shared by signing and verifying --------------------- */

/* 1-20 digits, no leading zero, at most UINT64_MAX: one spelling per user id,
 * so the text compares like the number. */
static int jwt_sub_is_valid(const char *text, size_t length)
{
	static const char uint64_max[] = "18446744073709551615";
	if (length == 0 || length > JWT_SUB_MAX_DIGITS || text[0] == '0')
		return 0;
	for (size_t i = 0; i < length; i++)
		if (text[i] < '0' || text[i] > '9')
			return 0;
	return length < sizeof(uint64_max) - 1 || memcmp(text, uint64_max, length) <= 0;
}

static int jwt_is_printable(const char *text, size_t length, int allow_space)
{
	for (size_t i = 0; i < length; i++)
		if (text[i] < (allow_space ? 0x20 : 0x21) || text[i] > 0x7e)
			return 0;
	return 1;
}

static int jwt_jti_is_valid(const char *text, size_t length)
{
	return length >= 1 && length <= JWT_JTI_MAX && jwt_is_printable(text, length, 0);
}

/* Length of a NUL-terminated field that fills at most array_size - 1 bytes,
 * or -1 when unterminated. */
static long jwt_field_length(const char *field, size_t array_size)
{
	const char *end = memchr(field, '\0', array_size);
	return end == NULL ? -1 : (long)(end - field);
}

static int jwt_claims_are_signable(const struct jwt_claims *claims)
{
	long sub_length = jwt_field_length(claims->sub, sizeof(claims->sub));
	long jti_length = jwt_field_length(claims->jti, sizeof(claims->jti));
	long iss_length = jwt_field_length(claims->iss, sizeof(claims->iss));
	long aud_length = jwt_field_length(claims->aud, sizeof(claims->aud));
	if (sub_length < 0 || !jwt_sub_is_valid(claims->sub, (size_t)sub_length))
		return 0;
	if (jti_length < 0 || !jwt_jti_is_valid(claims->jti, (size_t)jti_length))
		return 0;
	if (iss_length <= 0 || !jwt_is_printable(claims->iss, (size_t)iss_length, 1))
		return 0;
	if (aud_length <= 0 || !jwt_is_printable(claims->aud, (size_t)aud_length, 1))
		return 0;
	/* tid and sid are JSON integers, which the verifier holds to int64. */
	return claims->tenant_id > 0 && claims->tenant_id <= (uint64_t)INT64_MAX && claims->session_id > 0 &&
		claims->session_id <= (uint64_t)INT64_MAX && claims->profile_version >= 0 && claims->exp > claims->iat;
}

/* Printable ASCII only reaches here, so quote and backslash are the only
 * characters JSON needs escaped. */
static void jwt_json_escape_printable(const char *text, char *out)
{
	for (; *text != '\0'; text++) {
		if (*text == '"' || *text == '\\')
			*out++ = '\\';
		*out++ = *text;
	}
	*out = '\0';
}

int jwt_sign(const struct jwt_keyring *ring, const struct jwt_claims *claims, char *out, size_t out_size)
{
	if (ring == NULL || claims == NULL || out == NULL || out_size == 0)
		return -1;
	out[0] = '\0';
	if (ring->key_count == 0 || ring->key_count > JWT_KEYRING_MAX_KEYS || ring->signing_index >= ring->key_count ||
		!jwt_claims_are_signable(claims))
		return -1;
	const struct jwt_key *key = &ring->keys[ring->signing_index];

	char header[sizeof("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"\"}") + JWT_KID_MAX];
	int header_length =
		snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", key->kid);
	char jti[2 * sizeof(claims->jti)], iss[2 * sizeof(claims->iss)], aud[2 * sizeof(claims->aud)];
	jwt_json_escape_printable(claims->jti, jti);
	jwt_json_escape_printable(claims->iss, iss);
	jwt_json_escape_printable(claims->aud, aud);
	char payload[1024];
	int payload_length = snprintf(payload, sizeof(payload),
		"{\"sub\":\"%s\",\"tid\":%" PRIu64 ",\"iat\":%" PRId64 ",\"exp\":%" PRId64
		",\"jti\":\"%s\",\"iss\":\"%s\",\"aud\":\"%s\",\"pv\":%" PRId64 ",\"sid\":%" PRIu64 "}",
		claims->sub, claims->tenant_id, claims->iat, claims->exp, jti, iss, aud, claims->profile_version,
		claims->session_id);
	if (header_length <= 0 || (size_t)header_length >= sizeof(header) || payload_length <= 0 ||
		(size_t)payload_length >= sizeof(payload))
		return -1;

	char token[JWT_TOKEN_MAX + 1];
	int encoded = jwt_base64url_encode((const unsigned char *)header, (size_t)header_length, token, sizeof(token));
	if (encoded < 0 || (size_t)encoded + 1 >= sizeof(token))
		return -1;
	size_t position = (size_t)encoded;
	token[position++] = '.';
	encoded = jwt_base64url_encode((const unsigned char *)payload, (size_t)payload_length, token + position,
		sizeof(token) - position);
	if (encoded < 0)
		return -1;
	position += (size_t)encoded;
	unsigned char signature[JWT_SIGNATURE_BYTES];
	if (position + 1 >= sizeof(token) ||
		jwt_hs256(key->secret, key->secret_length, token, position, signature) != 0)
		return -1;
	token[position++] = '.';
	encoded = jwt_base64url_encode(signature, sizeof(signature), token + position, sizeof(token) - position);
	if (encoded < 0)
		return -1;
	position += (size_t)encoded;
	if (position >= out_size)
		return -1;
	memcpy(out, token, position + 1);
	return 0;
}

/* ---- strict JSON ----------------------------------------------------- */

/* Header and payload go through the shared strict recogniser: a token that
 * two JSON readers could read differently (duplicate names, escapes that
 * cut C strings, integers json-c would saturate) is refused before any
 * member is looked at. Duplicates keep their own result for the logs. */
static enum jwt_result jwt_json_parse_object(const char *text, size_t length, json_object **out)
{
	struct json_strict_fault fault;
	if (json_strict_parse(text, length, JWT_MAX_JSON_DEPTH, out, &fault) != 0)
		return fault.kind == JSON_STRICT_FAULT_DUPLICATE_MEMBER ? JWT_DUPLICATE_KEY : JWT_BAD_JSON;
	if (!json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return JWT_BAD_JSON;
	}
	return JWT_OK;
}

static int jwt_json_string_equals(json_object *value, const char *expected, size_t expected_length)
{
	return json_object_is_type(value, json_type_string) &&
		(size_t)json_object_get_string_len(value) == expected_length &&
		memcmp(json_object_get_string(value), expected, expected_length) == 0;
}

/* ---- verification ---------------------------------------------------- */

struct jwt_parts {
	const char *header;
	size_t header_length;
	const char *payload;
	size_t payload_length;
	const char *signature;
	size_t signature_length;
	size_t signing_input_length; /* "header.payload" */
};

static enum jwt_result jwt_split(const char *token, size_t token_length, struct jwt_parts *parts)
{
	const char *first_dot = memchr(token, '.', token_length);
	if (first_dot == NULL)
		return JWT_MALFORMED;
	const char *payload = first_dot + 1;
	const char *second_dot = memchr(payload, '.', token_length - (size_t)(payload - token));
	if (second_dot == NULL)
		return JWT_MALFORMED;
	const char *signature = second_dot + 1;
	size_t signature_length = token_length - (size_t)(signature - token);
	if (memchr(signature, '.', signature_length) != NULL)
		return JWT_MALFORMED;
	parts->header = token;
	parts->header_length = (size_t)(first_dot - token);
	parts->payload = payload;
	parts->payload_length = (size_t)(second_dot - payload);
	parts->signature = signature;
	parts->signature_length = signature_length;
	parts->signing_input_length = (size_t)(second_dot - token);
	if (parts->header_length == 0 || parts->payload_length == 0 || parts->signature_length == 0)
		return JWT_MALFORMED;
	return JWT_OK;
}

static enum jwt_result jwt_check_header(json_object *header, const struct jwt_keyring *ring,
	const struct jwt_key **key)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(header, "alg", &value) || !jwt_json_string_equals(value, "HS256", 5))
		return JWT_BAD_ALG;
	if (json_object_object_get_ex(header, "typ", &value) && !jwt_json_string_equals(value, "JWT", 3))
		return JWT_BAD_TYPE;
	if (json_object_object_get_ex(header, "crit", NULL))
		return JWT_UNSUPPORTED_CRIT;
	if (!json_object_object_get_ex(header, "kid", &value) || !json_object_is_type(value, json_type_string))
		return JWT_UNKNOWN_KID;
	*key = jwt_keyring_find(ring, json_object_get_string(value), (size_t)json_object_get_string_len(value));
	return *key == NULL ? JWT_UNKNOWN_KID : JWT_OK;
}

static enum jwt_result jwt_claim_string(json_object *payload, const char *name, const char **text, size_t *length)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(payload, name, &value))
		return JWT_MISSING_CLAIM;
	if (!json_object_is_type(value, json_type_string))
		return JWT_INVALID_CLAIM;
	*text = json_object_get_string(value);
	*length = (size_t)json_object_get_string_len(value);
	return JWT_OK;
}

/* A JSON integer (never a float or a string). The strict recogniser has
 * already refused integers outside int64, so json-c's int64 view is exact. */
static enum jwt_result jwt_claim_int64(json_object *payload, const char *name, int64_t *out)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(payload, name, &value))
		return JWT_MISSING_CLAIM;
	if (!json_object_is_type(value, json_type_int))
		return JWT_INVALID_CLAIM;
	*out = json_object_get_int64(value);
	return JWT_OK;
}

/* An optional integer claim: *present is 0 when the member is absent. */
static enum jwt_result jwt_claim_optional_int64(json_object *payload, const char *name, int *present,
	int64_t *out)
{
	*present = json_object_object_get_ex(payload, name, NULL);
	return *present ? jwt_claim_int64(payload, name, out) : JWT_OK;
}

static enum jwt_result jwt_claim_positive(json_object *payload, const char *name, uint64_t *out)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(payload, name, &value))
		return JWT_MISSING_CLAIM;
	if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) <= 0)
		return JWT_INVALID_CLAIM;
	*out = (uint64_t)json_object_get_int64(value);
	return JWT_OK;
}

static enum jwt_result jwt_read_claims(json_object *payload, const struct jwt_expectations *expect,
	struct jwt_claims *claims)
{
	const char *sub, *jti, *iss, *aud;
	size_t sub_length, jti_length, iss_length, aud_length;
	enum jwt_result result;
	if ((result = jwt_claim_string(payload, "sub", &sub, &sub_length)) != JWT_OK)
		return result;
	if (!jwt_sub_is_valid(sub, sub_length))
		return JWT_INVALID_CLAIM;
	if ((result = jwt_claim_positive(payload, "tid", &claims->tenant_id)) != JWT_OK ||
		(result = jwt_claim_int64(payload, "iat", &claims->iat)) != JWT_OK ||
		(result = jwt_claim_int64(payload, "exp", &claims->exp)) != JWT_OK ||
		(result = jwt_claim_string(payload, "jti", &jti, &jti_length)) != JWT_OK)
		return result;
	if (!jwt_jti_is_valid(jti, jti_length))
		return JWT_INVALID_CLAIM;
	if ((result = jwt_claim_string(payload, "iss", &iss, &iss_length)) != JWT_OK ||
		(result = jwt_claim_string(payload, "aud", &aud, &aud_length)) != JWT_OK ||
		(result = jwt_claim_int64(payload, "pv", &claims->profile_version)) != JWT_OK)
		return result;
	if (claims->profile_version < 0)
		return JWT_INVALID_CLAIM;
	if ((result = jwt_claim_positive(payload, "sid", &claims->session_id)) != JWT_OK)
		return result;
	/* RFC 7519 4.1.5: optional, but when present it is honoured. */
	int has_not_before;
	int64_t not_before = 0;
	if ((result = jwt_claim_optional_int64(payload, "nbf", &has_not_before, &not_before)) != JWT_OK)
		return result;

	size_t expected_iss_length = strlen(expect->issuer);
	size_t expected_aud_length = strlen(expect->audience);
	if (iss_length != expected_iss_length || memcmp(iss, expect->issuer, iss_length) != 0)
		return JWT_BAD_ISSUER;
	if (aud_length != expected_aud_length || memcmp(aud, expect->audience, aud_length) != 0)
		return JWT_BAD_AUDIENCE;

	int64_t leeway_s = expect->leeway_s < 0 ? 0
		: expect->leeway_s > JWT_LEEWAY_MAX_S ? JWT_LEEWAY_MAX_S
						       : expect->leeway_s;
	int64_t expiry_floor = expect->now_s < INT64_MIN + leeway_s ? INT64_MIN : expect->now_s - leeway_s;
	int64_t issue_ceiling = expect->now_s > INT64_MAX - leeway_s ? INT64_MAX : expect->now_s + leeway_s;
	if (claims->exp <= expiry_floor)
		return JWT_EXPIRED;
	if (claims->iat > issue_ceiling)
		return JWT_NOT_YET_VALID;
	/* Valid from nbf on; the leeway that lets iat run ahead of our clock
	 * lets nbf do the same. */
	if (has_not_before && not_before > issue_ceiling)
		return JWT_NOT_YET_VALID;

	memcpy(claims->sub, sub, sub_length);
	memcpy(claims->jti, jti, jti_length);
	memcpy(claims->iss, iss, iss_length);
	memcpy(claims->aud, aud, aud_length);
	return JWT_OK;
}

/* Header and key, then the signature over the exact bytes received, then the
 * payload: nothing in the payload is parsed before the MAC holds. */
static enum jwt_result jwt_verify_decoded(const struct jwt_keyring *ring, const char *token,
	const struct jwt_parts *parts, const struct jwt_expectations *expect, struct jwt_claims *claims)
{
	unsigned char header_text[JWT_DECODED_MAX], payload_text[JWT_DECODED_MAX], signature[JWT_DECODED_MAX];
	int header_length = jwt_base64url_decode(parts->header, parts->header_length, header_text, sizeof(header_text));
	int payload_length =
		jwt_base64url_decode(parts->payload, parts->payload_length, payload_text, sizeof(payload_text));
	int signature_length =
		jwt_base64url_decode(parts->signature, parts->signature_length, signature, sizeof(signature));
	if (header_length < 0 || payload_length < 0 || signature_length < 0)
		return JWT_MALFORMED;

	json_object *header = NULL;
	enum jwt_result result = jwt_json_parse_object((const char *)header_text, (size_t)header_length, &header);
	if (result != JWT_OK)
		return result;
	const struct jwt_key *key = NULL;
	result = jwt_check_header(header, ring, &key);
	json_object_put(header);
	if (result != JWT_OK)
		return result;

	unsigned char expected[JWT_SIGNATURE_BYTES];
	if (signature_length != JWT_SIGNATURE_BYTES)
		return JWT_BAD_SIGNATURE;
	if (jwt_hs256(key->secret, key->secret_length, token, parts->signing_input_length, expected) != 0)
		return JWT_INTERNAL_ERROR;
	if (CRYPTO_memcmp(expected, signature, JWT_SIGNATURE_BYTES) != 0)
		return JWT_BAD_SIGNATURE;

	json_object *payload = NULL;
	result = jwt_json_parse_object((const char *)payload_text, (size_t)payload_length, &payload);
	if (result != JWT_OK)
		return result;
	result = jwt_read_claims(payload, expect, claims);
	json_object_put(payload);
	return result;
}

enum jwt_result jwt_verify(const struct jwt_keyring *ring, const char *token, size_t token_length,
	const struct jwt_expectations *expect, struct jwt_claims *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (ring == NULL || token == NULL || expect == NULL || expect->issuer == NULL || expect->audience == NULL ||
		strlen(expect->issuer) > JWT_TEXT_CLAIM_MAX || strlen(expect->audience) > JWT_TEXT_CLAIM_MAX ||
		ring->key_count > JWT_KEYRING_MAX_KEYS)
		return JWT_INTERNAL_ERROR;
	if (token_length > JWT_TOKEN_MAX)
		return JWT_TOO_LARGE;
	struct jwt_parts parts;
	enum jwt_result result = jwt_split(token, token_length, &parts);
	if (result != JWT_OK)
		return result;
	struct jwt_claims claims;
	memset(&claims, 0, sizeof(claims));
	result = jwt_verify_decoded(ring, token, &parts, expect, &claims);
	if (result == JWT_OK && out != NULL)
		*out = claims;
	return result;
}

/* Fuzz target for access tokens (jwt_verify and jwt_sign, auth/jwt.c) with
 * a fixed ring of two keys, the second signing. The first input byte picks
 * what the rest is:
 *   't'  a token, verified as it is (any other first byte: the whole input is
 *        the token)
 *   'p'  a payload JSON text, signed by the signing key under the header
 *        {"alg":"HS256","typ":"JWT","kid":"k-2025-b"}, so the claim checks
 *        behind the signature are reached
 *   'h'  a header JSON text, LF, a payload JSON text, signed the same way
 *   'c'  claims, one per line: sub, tid, iat, exp, jti, iss, aud, pv, sid
 *        (text as it is, numbers in decimal), signed by jwt_sign
 * Tokens are verified at 2025-06-15 (1750000000) with 60 s of leeway for
 * issuer https://auth.intuka.test and audience intuka-api ('c': for the
 * claims' own issuer and audience, at their iat, without leeway).
 * Properties: it never crashes, leaks or reads past the token; every result
 * is a named one, never an internal error; a refusal leaves the claims
 * zeroed; accepted claims have their documented shapes, and are signable
 * unless exp <= iat; what jwt_sign writes is accepted with the same claims
 * (accept => re-sign => accept); and a signed token with any one character
 * changed is refused. */
#include "fuzz_check.h"

#include "auth/jwt.h"

#include <inttypes.h>

#define FUZZ_JWT_NOW_S 1750000000
#define FUZZ_JWT_LEEWAY_S 60
#define FUZZ_JWT_ISSUER "https://auth.intuka.test"
#define FUZZ_JWT_AUDIENCE "intuka-api"
#define FUZZ_JWT_KID_OLD "k-2024-a"
#define FUZZ_JWT_KID_SIGNER "k-2025-b"
/* Test-only secrets (the unit tests' own), never used outside tests. */
#define FUZZ_JWT_SECRET_OLD "S82yrzKMY5LidiFJRw5w-1BY2lS9eI24lnpCT6ObG7037YRt-ycoMsn8KJUN3LOm"
#define FUZZ_JWT_SECRET_SIGNER "ZPvT38SPFvzvW8uO5glOQ__NMg9T1tsQTeVXw5s_lDyB7uSMZixMy9fMBMprijwS"
#define FUZZ_JWT_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" FUZZ_JWT_KID_SIGNER "\"}"

static const struct jwt_keyring *fuzz_jwt_ring(void)
{
	static struct jwt_keyring ring;
	static int ready;
	if (!ready) {
		char error[128];
		jwt_keyring_init(&ring);
		FUZZ_REQUIRE(jwt_keyring_add(&ring, FUZZ_JWT_KID_OLD, FUZZ_JWT_SECRET_OLD, error, sizeof(error)) == 0);
		FUZZ_REQUIRE(jwt_keyring_add(&ring, FUZZ_JWT_KID_SIGNER, FUZZ_JWT_SECRET_SIGNER, error, sizeof(error)) == 0);
		FUZZ_REQUIRE(jwt_keyring_set_signing(&ring, FUZZ_JWT_KID_SIGNER) == 0);
		ready = 1;
	}
	return &ring;
}

static const struct jwt_expectations fuzz_jwt_expect = {
	.issuer = FUZZ_JWT_ISSUER,
	.audience = FUZZ_JWT_AUDIENCE,
	.now_s = FUZZ_JWT_NOW_S,
	.leeway_s = FUZZ_JWT_LEEWAY_S,
};

static int fuzz_jwt_printable(const char *text, int allow_space)
{
	for (const char *p = text; *p != '\0'; p++)
		if (*p < (allow_space ? 0x20 : 0x21) || *p > 0x7e)
			return 0;
	return 1;
}

static int fuzz_jwt_claims_equal(const struct jwt_claims *left, const struct jwt_claims *right)
{
	return strcmp(left->sub, right->sub) == 0 && left->tenant_id == right->tenant_id && left->iat == right->iat &&
		left->exp == right->exp && strcmp(left->jti, right->jti) == 0 && strcmp(left->iss, right->iss) == 0 &&
		strcmp(left->aud, right->aud) == 0 && left->profile_version == right->profile_version &&
		left->session_id == right->session_id;
}

/* The verdict is one of the named results; a refusal leaves out zeroed. */
static void fuzz_jwt_require_verdict(enum jwt_result result, const struct jwt_claims *out)
{
	FUZZ_REQUIRE((unsigned)result < JWT_RESULT__MAX && result != JWT_INTERNAL_ERROR);
	FUZZ_REQUIRE(strcmp(jwt_result_text(result), "unknown result") != 0);
	if (result != JWT_OK) {
		static const struct jwt_claims zero;
		FUZZ_REQUIRE(memcmp(out, &zero, sizeof(zero)) == 0);
	}
}

/* A one-character change anywhere in a signed token is refused. */
static void fuzz_jwt_require_tamper_refused(const char *token, size_t length, const struct jwt_expectations *expect,
	size_t position)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	char *changed = malloc(length);
	FUZZ_REQUIRE(changed != NULL);
	memcpy(changed, token, length);
	position %= length;
	const char *at = strchr(alphabet, changed[position]);
	size_t index = at ? (size_t)(at - alphabet) : 0;
	changed[position] = alphabet[(index + 1 + position % 7) % (sizeof(alphabet) - 1)];
	struct jwt_claims claims;
	enum jwt_result result = jwt_verify(fuzz_jwt_ring(), changed, length, expect, &claims);
	if (result == JWT_OK) {
		fprintf(stderr, "%.*s\nstill verifies with byte %zu changed\n", (int)length, token, position);
		FUZZ_REQUIRE(!"a changed token is refused");
	}
	fuzz_jwt_require_verdict(result, &claims);
	free(changed);
}

/* Claims a token was accepted with hold their documented shapes, and unless
 * exp <= iat (the verifier does not ask exp > iat) jwt_sign writes them
 * again as a token accepted with the same claims. */
static void fuzz_jwt_require_accepted(const struct jwt_claims *claims, const struct jwt_expectations *expect)
{
	size_t sub_length = strlen(claims->sub);
	FUZZ_REQUIRE(sub_length >= 1 && sub_length <= JWT_SUB_MAX_DIGITS && claims->sub[0] != '0');
	FUZZ_REQUIRE(strspn(claims->sub, "0123456789") == sub_length);
	FUZZ_REQUIRE(claims->tenant_id > 0 && claims->tenant_id <= (uint64_t)INT64_MAX);
	FUZZ_REQUIRE(claims->session_id > 0 && claims->session_id <= (uint64_t)INT64_MAX);
	FUZZ_REQUIRE(claims->profile_version >= 0);
	FUZZ_REQUIRE(strlen(claims->jti) >= 1 && strlen(claims->jti) <= JWT_JTI_MAX && fuzz_jwt_printable(claims->jti, 0));
	FUZZ_REQUIRE(strcmp(claims->iss, expect->issuer) == 0 && strcmp(claims->aud, expect->audience) == 0);
	int64_t leeway = expect->leeway_s;
	FUZZ_REQUIRE(claims->exp > expect->now_s - leeway && claims->iat <= expect->now_s + leeway);

	char token[JWT_TOKEN_MAX + 1];
	if (jwt_sign(fuzz_jwt_ring(), claims, token, sizeof(token)) != 0) {
		FUZZ_REQUIRE(claims->exp <= claims->iat && token[0] == '\0');
		return;
	}
	struct jwt_claims again;
	enum jwt_result result = jwt_verify(fuzz_jwt_ring(), token, strlen(token), expect, &again);
	FUZZ_REQUIRE(result == JWT_OK && fuzz_jwt_claims_equal(claims, &again));
}

static void fuzz_jwt_verify(const char *token, size_t length)
{
	struct jwt_claims claims;
	enum jwt_result result = jwt_verify(fuzz_jwt_ring(), token, length, &fuzz_jwt_expect, &claims);
	fuzz_jwt_require_verdict(result, &claims);
	if (result == JWT_OK)
		fuzz_jwt_require_accepted(&claims, &fuzz_jwt_expect);
	if (length > JWT_TOKEN_MAX)
		FUZZ_REQUIRE(result == JWT_TOO_LARGE);
}

/* base64url(header) "." base64url(payload) "." HMAC by the signing key. */
static void fuzz_jwt_sign_and_verify(const char *header, size_t header_length, const char *payload,
	size_t payload_length)
{
	/* Both parts encoded, two dots, the signature and a NUL, with room. */
	size_t capacity = (header_length + payload_length) / 3 * 4 + 128;
	char *token = malloc(capacity);
	FUZZ_REQUIRE(token != NULL);
	int written = jwt_base64url_encode((const unsigned char *)header, header_length, token, capacity);
	FUZZ_REQUIRE(written >= 0);
	size_t length = (size_t)written;
	token[length++] = '.';
	written = jwt_base64url_encode((const unsigned char *)payload, payload_length, token + length,
		capacity - length);
	FUZZ_REQUIRE(written >= 0);
	length += (size_t)written;
	const struct jwt_key *key = &fuzz_jwt_ring()->keys[fuzz_jwt_ring()->signing_index];
	unsigned char signature[JWT_SIGNATURE_BYTES];
	FUZZ_REQUIRE(jwt_hs256(key->secret, key->secret_length, token, length, signature) == 0);
	token[length++] = '.';
	written = jwt_base64url_encode(signature, sizeof(signature), token + length, capacity - length);
	FUZZ_REQUIRE(written >= 0);
	length += (size_t)written;

	struct jwt_claims claims;
	enum jwt_result result = jwt_verify(fuzz_jwt_ring(), token, length, &fuzz_jwt_expect, &claims);
	fuzz_jwt_require_verdict(result, &claims);
	if (result == JWT_OK) {
		fuzz_jwt_require_accepted(&claims, &fuzz_jwt_expect);
		fuzz_jwt_require_tamper_refused(token, length, &fuzz_jwt_expect, header_length + payload_length);
	}
	free(token);
}

/* The next line of the claims text into out (cut to fit, NUL-terminated). */
static void fuzz_jwt_claim_line(const char **cursor, const char *end, char *out, size_t out_size)
{
	const char *newline = memchr(*cursor, '\n', (size_t)(end - *cursor));
	const char *stop = newline ? newline : end;
	size_t length = (size_t)(stop - *cursor);
	if (length >= out_size)
		length = out_size - 1;
	memcpy(out, *cursor, length);
	out[length] = '\0';
	*cursor = newline ? newline + 1 : end;
}

static void fuzz_jwt_claims_round_trip(const char *text, size_t length)
{
	const char *cursor = text, *end = text + length;
	char number[32];
	struct jwt_claims claims;
	memset(&claims, 0, sizeof(claims));
	fuzz_jwt_claim_line(&cursor, end, claims.sub, sizeof(claims.sub));
	fuzz_jwt_claim_line(&cursor, end, number, sizeof(number));
	claims.tenant_id = strtoull(number, NULL, 10);
	fuzz_jwt_claim_line(&cursor, end, number, sizeof(number));
	claims.iat = strtoll(number, NULL, 10);
	fuzz_jwt_claim_line(&cursor, end, number, sizeof(number));
	claims.exp = strtoll(number, NULL, 10);
	fuzz_jwt_claim_line(&cursor, end, claims.jti, sizeof(claims.jti));
	fuzz_jwt_claim_line(&cursor, end, claims.iss, sizeof(claims.iss));
	fuzz_jwt_claim_line(&cursor, end, claims.aud, sizeof(claims.aud));
	fuzz_jwt_claim_line(&cursor, end, number, sizeof(number));
	claims.profile_version = strtoll(number, NULL, 10);
	fuzz_jwt_claim_line(&cursor, end, number, sizeof(number));
	claims.session_id = strtoull(number, NULL, 10);

	char token[JWT_TOKEN_MAX + 1];
	if (jwt_sign(fuzz_jwt_ring(), &claims, token, sizeof(token)) != 0) {
		FUZZ_REQUIRE(token[0] == '\0');
		return;
	}
	struct jwt_expectations expect = {.issuer = claims.iss, .audience = claims.aud, .now_s = claims.iat, .leeway_s = 0};
	struct jwt_claims verified;
	size_t token_length = strlen(token);
	enum jwt_result result = jwt_verify(fuzz_jwt_ring(), token, token_length, &expect, &verified);
	if (result != JWT_OK || !fuzz_jwt_claims_equal(&claims, &verified)) {
		fprintf(stderr, "%s\nsigned, then verified as: %s\n", token, jwt_result_text(result));
		FUZZ_REQUIRE(!"what jwt_sign writes is accepted with the same claims");
	}
	fuzz_jwt_require_accepted(&verified, &expect);
	fuzz_jwt_require_tamper_refused(token, token_length, &expect, length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_copy(data, size);
	char mode = size > 0 ? input[0] : 't';
	const char *rest = size > 0 ? input + 1 : input;
	size_t rest_length = size > 0 ? size - 1 : 0;
	switch (mode) {
	case 'p':
		fuzz_jwt_sign_and_verify(FUZZ_JWT_HEADER, strlen(FUZZ_JWT_HEADER), rest, rest_length);
		break;
	case 'h': {
		const char *newline = memchr(rest, '\n', rest_length);
		size_t header_length = newline ? (size_t)(newline - rest) : rest_length;
		const char *payload = newline ? newline + 1 : rest + rest_length;
		fuzz_jwt_sign_and_verify(rest, header_length, payload, rest_length - (size_t)(payload - rest));
		break;
	}
	case 'c':
		fuzz_jwt_claims_round_trip(rest, rest_length);
		break;
	case 't':
		fuzz_jwt_verify(rest, rest_length);
		break;
	default:
		fuzz_jwt_verify(input, size);
		break;
	}
	free(input);
	return 0;
}

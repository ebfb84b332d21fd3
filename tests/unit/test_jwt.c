/* JWT: the RFC 7515 HS256 vector, sign/verify round trip, key rotation,
 * leeway bounds (exp, iat, nbf), key ring parsing, and an attack corpus in
 * which every forged or malformed token must fail for exactly the expected
 * reason. */
#include "unit_suites.h"
#include "auth/jwt.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Until unit_suites.h lists it alongside the others. */
int register_jwt_suite(void);

#define TEST_NOW_S 1750000000
#define TEST_LEEWAY_S 60
#define TEST_ISSUER "https://auth.intuka.test"
#define TEST_AUDIENCE "intuka-api"
#define TEST_KID_OLD "k-2024-a"
#define TEST_KID_SIGNER "k-2025-b"
/* Test-only secrets (48 random bytes each), never used outside this file. */
#define TEST_SECRET_OLD "S82yrzKMY5LidiFJRw5w-1BY2lS9eI24lnpCT6ObG7037YRt-ycoMsn8KJUN3LOm"
#define TEST_SECRET_SIGNER "ZPvT38SPFvzvW8uO5glOQ__NMg9T1tsQTeVXw5s_lDyB7uSMZixMy9fMBMprijwS"
#define TEST_TOKEN_CAPACITY 8192

/* ---- fixtures -------------------------------------------------------- */

static void test_ring(struct jwt_keyring *ring)
{
	char error[128];
	jwt_keyring_init(ring);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_add(ring, TEST_KID_OLD, TEST_SECRET_OLD, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_add(ring, TEST_KID_SIGNER, TEST_SECRET_SIGNER, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_set_signing(ring, TEST_KID_SIGNER), 0);
}

static struct jwt_expectations test_expectations(void)
{
	struct jwt_expectations expect = {
		.issuer = TEST_ISSUER,
		.audience = TEST_AUDIENCE,
		.now_s = TEST_NOW_S,
		.leeway_s = TEST_LEEWAY_S,
	};
	return expect;
}

static void test_claims(struct jwt_claims *claims)
{
	memset(claims, 0, sizeof(*claims));
	strcpy(claims->sub, "42");
	claims->tenant_id = 7;
	claims->iat = TEST_NOW_S - 60;
	claims->exp = TEST_NOW_S + 900;
	strcpy(claims->jti, "01HZX3JTI");
	strcpy(claims->iss, TEST_ISSUER);
	strcpy(claims->aud, TEST_AUDIENCE);
	claims->profile_version = 3;
	claims->session_id = 5;
}

static const struct jwt_key *test_find_key(const struct jwt_keyring *ring, const char *kid)
{
	for (size_t i = 0; i < ring->key_count; i++)
		if (strcmp(ring->keys[i].kid, kid) == 0)
			return &ring->keys[i];
	CU_FAIL_FATAL("test key missing from the ring");
	return NULL;
}

static enum jwt_result test_verify_text(const struct jwt_keyring *ring, const char *token, struct jwt_claims *out)
{
	struct jwt_expectations expect = test_expectations();
	return jwt_verify(ring, token, strlen(token), &expect, out);
}

/* ---- hand-built tokens ----------------------------------------------- */

struct built_token {
	char *text;
	size_t length;
	size_t capacity;
};

static void token_init(struct built_token *token)
{
	token->capacity = TEST_TOKEN_CAPACITY;
	token->text = xmalloc(token->capacity);
	token->length = 0;
	token->text[0] = '\0';
}

static void token_append(struct built_token *token, const char *text, size_t length)
{
	CU_ASSERT_FATAL(token->length + length < token->capacity);
	memcpy(token->text + token->length, text, length);
	token->length += length;
	token->text[token->length] = '\0';
}

static void token_append_base64url(struct built_token *token, const void *data, size_t length)
{
	int written = jwt_base64url_encode(data, length, token->text + token->length, token->capacity - token->length);
	CU_ASSERT_FATAL(written >= 0);
	token->length += (size_t)written;
}

/* base64url(header) "." base64url(payload) "." signature, the JSON texts
 * used byte for byte; key NULL leaves the signature part empty. */
static void token_build(struct built_token *token, const char *header_json, const char *payload_json,
	const struct jwt_key *key)
{
	token->length = 0;
	token_append_base64url(token, header_json, strlen(header_json));
	token_append(token, ".", 1);
	token_append_base64url(token, payload_json, strlen(payload_json));
	size_t signing_input_length = token->length;
	token_append(token, ".", 1);
	if (key == NULL)
		return;
	unsigned char signature[JWT_SIGNATURE_BYTES];
	CU_ASSERT_EQUAL_FATAL(
		jwt_hs256(key->secret, key->secret_length, token->text, signing_input_length, signature), 0);
	token_append_base64url(token, signature, sizeof(signature));
}

/* Start and length of part index (0 header, 1 payload, 2 signature). */
static void token_part(const struct built_token *token, int index, size_t *start, size_t *length)
{
	size_t position = 0;
	for (int part = 0; part < index; part++) {
		const char *dot = memchr(token->text + position, '.', token->length - position);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
		position = (size_t)(dot - token->text) + 1;
	}
	const char *end = memchr(token->text + position, '.', token->length - position);
	*start = position;
	*length = (end == NULL ? token->length : (size_t)(end - token->text)) - position;
}

static void token_splice(struct built_token *token, size_t start, size_t remove_length, const char *insert,
	size_t insert_length)
{
	CU_ASSERT_FATAL(token->length - remove_length + insert_length < token->capacity);
	memmove(token->text + start + insert_length, token->text + start + remove_length,
		token->length - start - remove_length + 1);
	memcpy(token->text + start, insert, insert_length);
	token->length = token->length - remove_length + insert_length;
}

static void token_set(struct built_token *token, const char *text)
{
	token->length = 0;
	token_append(token, text, strlen(text));
}

static void token_replace_char(struct built_token *token, int part, size_t offset, char replacement)
{
	size_t start, length;
	token_part(token, part, &start, &length);
	CU_ASSERT_FATAL(offset < length);
	token->text[start + offset] = replacement;
}

static const char test_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Sets unused low bits of the part's last character: the same bytes decode,
 * but the text is a second spelling of them. */
static void token_make_last_char_non_canonical(struct built_token *token, int part)
{
	size_t start, length;
	token_part(token, part, &start, &length);
	CU_ASSERT_FATAL(length % 4 == 2 || length % 4 == 3);
	char *last = &token->text[start + length - 1];
	int value = (int)(strchr(test_alphabet, *last) - test_alphabet);
	*last = test_alphabet[value | 1];
}

static void token_replace_signature(struct built_token *token, const unsigned char *bytes, size_t length)
{
	size_t start, old_length;
	token_part(token, 2, &start, &old_length);
	token->length = start;
	token->text[start] = '\0';
	token_append_base64url(token, bytes, length);
}

/* ---- mutations applied after signing ---------------------------------- */

static void mutate_to_empty(struct built_token *token) { token_set(token, ""); }
static void mutate_to_one_dot(struct built_token *token) { token_set(token, "."); }
static void mutate_to_two_dots(struct built_token *token) { token_set(token, ".."); }
static void mutate_to_three_dots(struct built_token *token) { token_set(token, "..."); }

static void mutate_drop_signature_part(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	token->length = start - 1;
	token->text[token->length] = '\0';
}

static void mutate_keep_header_only(struct built_token *token)
{
	size_t start, length;
	token_part(token, 0, &start, &length);
	token->length = length;
	token->text[token->length] = '\0';
}

static void mutate_append_dot(struct built_token *token) { token_append(token, ".", 1); }

static void mutate_append_fourth_part(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	char signature[64];
	memcpy(signature, token->text + start, length);
	token_append(token, ".", 1);
	token_append(token, signature, length);
}

static void mutate_to_jwe_shape(struct built_token *token) { token_append(token, ".AAAA.AAAA", 10); }

static void mutate_empty_header(struct built_token *token)
{
	size_t start, length;
	token_part(token, 0, &start, &length);
	token_splice(token, start, length, "", 0);
}

static void mutate_empty_payload(struct built_token *token)
{
	size_t start, length;
	token_part(token, 1, &start, &length);
	token_splice(token, start, length, "", 0);
}

static void mutate_empty_signature(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	token_splice(token, start, length, "", 0);
}

static void mutate_pad_signature(struct built_token *token) { token_append(token, "=", 1); }

static void mutate_pad_header(struct built_token *token)
{
	size_t start, length;
	token_part(token, 0, &start, &length);
	token_splice(token, start + length, 0, "=", 1);
}

static void mutate_non_canonical_signature(struct built_token *token) { token_make_last_char_non_canonical(token, 2); }
static void mutate_non_canonical_header(struct built_token *token) { token_make_last_char_non_canonical(token, 0); }
static void mutate_non_canonical_payload(struct built_token *token) { token_make_last_char_non_canonical(token, 1); }
static void mutate_space_in_signature(struct built_token *token) { token_replace_char(token, 2, 5, ' '); }
static void mutate_plus_in_signature(struct built_token *token) { token_replace_char(token, 2, 5, '+'); }
static void mutate_slash_in_signature(struct built_token *token) { token_replace_char(token, 2, 5, '/'); }
static void mutate_space_in_header(struct built_token *token) { token_replace_char(token, 0, 3, ' '); }
static void mutate_nul_in_payload(struct built_token *token) { token_replace_char(token, 1, 4, '\0'); }
static void mutate_percent_in_payload(struct built_token *token) { token_replace_char(token, 1, 4, '%'); }
static void mutate_leading_space(struct built_token *token) { token_splice(token, 0, 0, " ", 1); }
static void mutate_trailing_newline(struct built_token *token) { token_append(token, "\n", 1); }
static void mutate_bearer_prefix(struct built_token *token) { token_splice(token, 0, 0, "Bearer ", 7); }

static void mutate_flip_signature_char(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	char *first = &token->text[start];
	*first = *first == 'A' ? 'B' : 'A';
}

static void mutate_truncate_signature_to_30_bytes(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	token->length = start + 40; /* 40 characters: exactly 30 bytes, canonical */
	token->text[token->length] = '\0';
}

static void mutate_extend_signature_to_33_bytes(struct built_token *token)
{
	size_t start, length;
	token_part(token, 2, &start, &length);
	unsigned char signature[64];
	CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(token->text + start, length, signature, sizeof(signature)), 32);
	signature[32] = 0;
	token_replace_signature(token, signature, 33);
}

static void mutate_zero_signature(struct built_token *token)
{
	static const unsigned char zeros[JWT_SIGNATURE_BYTES];
	token_replace_signature(token, zeros, sizeof(zeros));
}

static void mutate_grow_to_4097(struct built_token *token)
{
	while (token->length < JWT_TOKEN_MAX + 1)
		token_append(token, "A", 1);
}

static void mutate_grow_to_5000(struct built_token *token)
{
	while (token->length < 5000)
		token_append(token, "A", 1);
}

static void mutate_swap_header_and_payload(struct built_token *token)
{
	size_t header_start, header_length, payload_start, payload_length;
	token_part(token, 0, &header_start, &header_length);
	token_part(token, 1, &payload_start, &payload_length);
	char *header = xstrndup(token->text + header_start, header_length);
	char *payload = xstrndup(token->text + payload_start, payload_length);
	token_splice(token, payload_start, payload_length, header, header_length);
	token_splice(token, header_start, header_length, payload, payload_length);
	free(header);
	free(payload);
}

/* ---- the attack corpus ------------------------------------------------ */

#define HEADER_VALID "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}"
#define HEADER_ALG(alg) "{\"alg\":" alg ",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}"
#define HEADER_TYP(typ) "{\"alg\":\"HS256\",\"typ\":" typ ",\"kid\":\"" TEST_KID_SIGNER "\"}"
#define HEADER_KID(kid) "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" kid "}"
#define HEADER_PLUS(extra) "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"," extra "}"

/* TEST_NOW_S is 1750000000: issued a minute ago, expires in 15 minutes. */
#define C_SUB "\"sub\":\"42\""
#define C_TID "\"tid\":7"
#define C_IAT "\"iat\":1749999940"
#define C_EXP "\"exp\":1750000900"
#define C_JTI "\"jti\":\"01HZX3JTI\""
#define C_ISS "\"iss\":\"" TEST_ISSUER "\""
#define C_AUD "\"aud\":\"" TEST_AUDIENCE "\""
/* pv and sid travel together at the end of every payload here */
#define C_PV "\"pv\":3,\"sid\":5"
#define C_NONE "\"unrelated\":0" /* stands in for a removed claim */
#define PAYLOAD(sub, tid, iat, exp, jti, iss, aud, pv) \
	"{" sub "," tid "," iat "," exp "," jti "," iss "," aud "," pv "}"
#define PAYLOAD_VALID PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV)
#define PAYLOAD_PLUS(extra) "{" C_SUB "," C_TID "," C_IAT "," C_EXP "," C_JTI "," C_ISS "," C_AUD "," C_PV "," extra "}"

#define OPEN10 "[[[[[[[[[["
#define CLOSE10 "]]]]]]]]]]"
#define OPEN100 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10 OPEN10
#define CLOSE100 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10 CLOSE10

enum corpus_signing {
	CORPUS_SIGNER, /* a valid MAC with the signing key over whatever the parts say */
	CORPUS_OTHER_KEY, /* a valid MAC, but with the other key in the ring */
	CORPUS_ORIGINAL_SIGNATURE, /* the signature of the untouched token, replayed */
	CORPUS_NO_SIGNATURE, /* empty signature part */
};

struct corpus_recipe {
	const char *name;
	const char *header_json; /* NULL: HEADER_VALID */
	const char *payload_json; /* NULL: PAYLOAD_VALID */
	enum corpus_signing signing;
	void (*mutate)(struct built_token *token); /* NULL: none */
	enum jwt_result expected;
};

static const struct corpus_recipe jwt_corpus[] = {
	/* Shape: three non-empty parts of strict base64url, at most 4096 bytes. */
	{"empty token", NULL, NULL, CORPUS_SIGNER, mutate_to_empty, JWT_MALFORMED},
	{"only one dot", NULL, NULL, CORPUS_SIGNER, mutate_to_one_dot, JWT_MALFORMED},
	{"only two dots", NULL, NULL, CORPUS_SIGNER, mutate_to_two_dots, JWT_MALFORMED},
	{"only three dots", NULL, NULL, CORPUS_SIGNER, mutate_to_three_dots, JWT_MALFORMED},
	{"header part alone", NULL, NULL, CORPUS_SIGNER, mutate_keep_header_only, JWT_MALFORMED},
	{"signature part missing", NULL, NULL, CORPUS_SIGNER, mutate_drop_signature_part, JWT_MALFORMED},
	{"extra trailing dot", NULL, NULL, CORPUS_SIGNER, mutate_append_dot, JWT_MALFORMED},
	{"fourth part", NULL, NULL, CORPUS_SIGNER, mutate_append_fourth_part, JWT_MALFORMED},
	{"five parts like a JWE", NULL, NULL, CORPUS_SIGNER, mutate_to_jwe_shape, JWT_MALFORMED},
	{"empty header part", NULL, NULL, CORPUS_SIGNER, mutate_empty_header, JWT_MALFORMED},
	{"empty payload part", NULL, NULL, CORPUS_SIGNER, mutate_empty_payload, JWT_MALFORMED},
	{"empty signature part", NULL, NULL, CORPUS_SIGNER, mutate_empty_signature, JWT_MALFORMED},
	{"padding on the signature", NULL, NULL, CORPUS_SIGNER, mutate_pad_signature, JWT_MALFORMED},
	{"padding on the header", NULL, NULL, CORPUS_SIGNER, mutate_pad_header, JWT_MALFORMED},
	{"non-canonical last char of the signature", NULL, NULL, CORPUS_SIGNER, mutate_non_canonical_signature,
		JWT_MALFORMED},
	{"non-canonical last char of the header", NULL, NULL, CORPUS_SIGNER, mutate_non_canonical_header,
		JWT_MALFORMED},
	{"non-canonical last char of the payload", NULL, NULL, CORPUS_SIGNER, mutate_non_canonical_payload,
		JWT_MALFORMED},
	{"space inside the signature", NULL, NULL, CORPUS_SIGNER, mutate_space_in_signature, JWT_MALFORMED},
	{"plus (standard base64) in the signature", NULL, NULL, CORPUS_SIGNER, mutate_plus_in_signature,
		JWT_MALFORMED},
	{"slash (standard base64) in the signature", NULL, NULL, CORPUS_SIGNER, mutate_slash_in_signature,
		JWT_MALFORMED},
	{"space inside the header", NULL, NULL, CORPUS_SIGNER, mutate_space_in_header, JWT_MALFORMED},
	{"NUL byte inside the payload part", NULL, NULL, CORPUS_SIGNER, mutate_nul_in_payload, JWT_MALFORMED},
	{"percent sign inside the payload part", NULL, NULL, CORPUS_SIGNER, mutate_percent_in_payload, JWT_MALFORMED},
	{"leading space", NULL, NULL, CORPUS_SIGNER, mutate_leading_space, JWT_MALFORMED},
	{"trailing newline", NULL, NULL, CORPUS_SIGNER, mutate_trailing_newline, JWT_MALFORMED},
	{"Bearer prefix left on", NULL, NULL, CORPUS_SIGNER, mutate_bearer_prefix, JWT_MALFORMED},
	{"4097-byte token", NULL, NULL, CORPUS_SIGNER, mutate_grow_to_4097, JWT_TOO_LARGE},
	{"5000-byte token", NULL, NULL, CORPUS_SIGNER, mutate_grow_to_5000, JWT_TOO_LARGE},

	/* Header JSON. */
	{"header not JSON", "hello", NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header a JSON array", "[\"HS256\"]", NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header a JSON string", "\"HS256\"", NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header with trailing data", HEADER_VALID "x", NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header followed by a second object", HEADER_VALID "{}", NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header with single quotes", "{'alg':'HS256','typ':'JWT','kid':'" TEST_KID_SIGNER "'}", NULL, CORPUS_SIGNER,
		NULL, JWT_BAD_JSON},
	{"header with a trailing comma", HEADER_PLUS("\"x\":1,"), NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header nesting bomb", HEADER_PLUS("\"x\":" OPEN100 CLOSE100), NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header with an escaped NUL in alg", HEADER_ALG("\"HS256\\u0000\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"header swapped with the payload", NULL, NULL, CORPUS_SIGNER, mutate_swap_header_and_payload, JWT_BAD_ALG},
	{"duplicate alg, none first", "{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER
					   "\"}",
		NULL, CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"duplicate alg, none last", HEADER_PLUS("\"alg\":\"none\""), NULL, CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"duplicate alg spelled with escapes", HEADER_PLUS("\"a\\u006c\\u0067\":\"none\""), NULL, CORPUS_SIGNER, NULL,
		JWT_DUPLICATE_KEY},
	{"duplicate kid", HEADER_PLUS("\"kid\":\"" TEST_KID_OLD "\""), NULL, CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},

	/* alg: exactly "HS256" or nothing. */
	{"alg none with an empty signature", HEADER_ALG("\"none\""), NULL, CORPUS_NO_SIGNATURE, NULL, JWT_MALFORMED},
	{"alg none with a valid MAC", HEADER_ALG("\"none\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg NONE", HEADER_ALG("\"NONE\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg None", HEADER_ALG("\"None\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg HS384", HEADER_ALG("\"HS384\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg HS512", HEADER_ALG("\"HS512\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg RS256", HEADER_ALG("\"RS256\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg ES256", HEADER_ALG("\"ES256\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg PS256", HEADER_ALG("\"PS256\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg lower-case hs256", HEADER_ALG("\"hs256\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg with a trailing space", HEADER_ALG("\"HS256 \""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg empty", HEADER_ALG("\"\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg null", HEADER_ALG("null"), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg a number", HEADER_ALG("256"), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg an array", HEADER_ALG("[\"HS256\"]"), NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"alg missing", "{\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}", NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},
	{"empty header object", "{}", NULL, CORPUS_SIGNER, NULL, JWT_BAD_ALG},

	/* typ, crit, kid. */
	{"typ JWS", HEADER_TYP("\"JWS\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_TYPE},
	{"typ lower-case jwt", HEADER_TYP("\"jwt\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_TYPE},
	{"typ at+jwt", HEADER_TYP("\"at+jwt\""), NULL, CORPUS_SIGNER, NULL, JWT_BAD_TYPE},
	{"typ null", HEADER_TYP("null"), NULL, CORPUS_SIGNER, NULL, JWT_BAD_TYPE},
	{"typ changed, original signature", HEADER_TYP("\"JWS\""), NULL, CORPUS_ORIGINAL_SIGNATURE, NULL,
		JWT_BAD_TYPE},
	{"crit naming exp", HEADER_PLUS("\"crit\":[\"exp\"]"), NULL, CORPUS_SIGNER, NULL, JWT_UNSUPPORTED_CRIT},
	{"crit empty", HEADER_PLUS("\"crit\":[]"), NULL, CORPUS_SIGNER, NULL, JWT_UNSUPPORTED_CRIT},
	{"crit with unencoded payload (b64 false)", HEADER_PLUS("\"b64\":false,\"crit\":[\"b64\"]"), NULL,
		CORPUS_SIGNER, NULL, JWT_UNSUPPORTED_CRIT},
	{"kid missing", "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid unknown", HEADER_KID("\"k-2099-z\""), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid in other case", HEADER_KID("\"K-2025-B\""), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid empty", HEADER_KID("\"\""), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid a path", HEADER_KID("\"../../etc/passwd\""), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid a number", HEADER_KID("1"), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},
	{"kid null", HEADER_KID("null"), NULL, CORPUS_SIGNER, NULL, JWT_UNKNOWN_KID},

	/* Signature. */
	{"signature made with the other key", NULL, NULL, CORPUS_OTHER_KEY, NULL, JWT_BAD_SIGNATURE},
	{"header names the other key", HEADER_KID("\"" TEST_KID_OLD "\""), NULL, CORPUS_SIGNER, NULL,
		JWT_BAD_SIGNATURE},
	{"one signature character changed", NULL, NULL, CORPUS_SIGNER, mutate_flip_signature_char, JWT_BAD_SIGNATURE},
	{"signature truncated to 30 bytes", NULL, NULL, CORPUS_SIGNER, mutate_truncate_signature_to_30_bytes,
		JWT_BAD_SIGNATURE},
	{"signature extended to 33 bytes", NULL, NULL, CORPUS_SIGNER, mutate_extend_signature_to_33_bytes,
		JWT_BAD_SIGNATURE},
	{"signature all zero bytes", NULL, NULL, CORPUS_SIGNER, mutate_zero_signature, JWT_BAD_SIGNATURE},
	{"issuer changed, original signature", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI,
							     "\"iss\":\"https://evil.test\"", C_AUD, C_PV),
		CORPUS_ORIGINAL_SIGNATURE, NULL, JWT_BAD_SIGNATURE},
	{"tenant changed, original signature",
		NULL, PAYLOAD(C_SUB, "\"tid\":8", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_ORIGINAL_SIGNATURE,
		NULL, JWT_BAD_SIGNATURE},
	{"expired token with the expiry pushed, original signature",
		NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":1760000000", C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_ORIGINAL_SIGNATURE, NULL, JWT_BAD_SIGNATURE},

	/* Payload JSON, re-signed with the real key so the parser is what refuses. */
	{"payload a JSON array", NULL, "[" C_SUB "]", CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload not JSON", NULL, "hello", CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload a JSON number", NULL, "42", CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with trailing data", NULL, PAYLOAD_VALID " x", CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with a comment", NULL, PAYLOAD_PLUS("\"x\":1 /* c */"), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with NaN", NULL, PAYLOAD_PLUS("\"x\":NaN"), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with a leading-zero number", NULL, PAYLOAD_PLUS("\"x\":007"), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with a raw tab inside a string", NULL, PAYLOAD_PLUS("\"x\":\"a\tb\""), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"payload with invalid UTF-8", NULL, PAYLOAD_PLUS("\"x\":\"\xff\xfe\""), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with overlong UTF-8 for a slash", NULL, PAYLOAD_PLUS("\"x\":\"\xc0\xaf\""), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"payload with a UTF-8 encoded surrogate", NULL, PAYLOAD_PLUS("\"x\":\"\xed\xa0\x80\""), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"payload with a lone escaped surrogate", NULL, PAYLOAD_PLUS("\"x\":\"\\ud800\""), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"payload with an escaped NUL in a claim name", NULL, PAYLOAD_PLUS("\"sub\\u0000x\":\"1\""), CORPUS_SIGNER,
		NULL, JWT_BAD_JSON},
	{"payload one level too deep", NULL, PAYLOAD_PLUS("\"x\":[[[[[0]]]]]"), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload nesting bomb", NULL, PAYLOAD_PLUS("\"x\":" OPEN100 OPEN100 OPEN100 CLOSE100 CLOSE100 CLOSE100),
		CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"exp beyond 64 bits", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":99999999999999999999", C_JTI, C_ISS, C_AUD,
					     C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"duplicate exp, later one far off", NULL, PAYLOAD_PLUS("\"exp\":4102444800"), CORPUS_SIGNER, NULL,
		JWT_DUPLICATE_KEY},
	{"duplicate sub spelled with escapes", NULL, PAYLOAD_PLUS("\"s\\u0075b\":\"1\""), CORPUS_SIGNER, NULL,
		JWT_DUPLICATE_KEY},
	{"duplicate tid with the same value", NULL, PAYLOAD_PLUS(C_TID), CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"duplicate name inside a payload member", NULL, PAYLOAD_PLUS("\"x\":{\"role\":\"user\",\"role\":\"admin\"}"),
		CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"duplicate name inside a header member", HEADER_PLUS("\"jwk\":{\"k\":\"a\",\"k\":\"b\"}"), NULL,
		CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"payload with a code point above U+10FFFF", NULL, PAYLOAD_PLUS("\"x\":\"\xf4\x90\x80\x80\""),
		CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"payload with a raw 0x01 inside a string", NULL, PAYLOAD_PLUS("\"x\":\"a\x01\""), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"payload with a lone escaped low surrogate", NULL, PAYLOAD_PLUS("\"x\":\"\\udc00\""), CORPUS_SIGNER,
		NULL, JWT_BAD_JSON},
	{"payload with a float overflowing to infinity", NULL, PAYLOAD_PLUS("\"x\":1e400"), CORPUS_SIGNER, NULL,
		JWT_BAD_JSON},
	{"tid above int64", NULL, PAYLOAD(C_SUB, "\"tid\":9223372036854775808", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD,
					  C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_JSON},

	/* Every required claim, missing. */
	{"sub missing", NULL, PAYLOAD(C_NONE, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"tid missing", NULL, PAYLOAD(C_SUB, C_NONE, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"iat missing", NULL, PAYLOAD(C_SUB, C_TID, C_NONE, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"exp missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_NONE, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"jti missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_NONE, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"iss missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_NONE, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"aud missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_NONE, C_PV), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"pv missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_NONE), CORPUS_SIGNER, NULL,
		JWT_MISSING_CLAIM},
	{"payload an empty object", NULL, "{}", CORPUS_SIGNER, NULL, JWT_MISSING_CLAIM},

	/* Claims of the wrong type or out of range. */
	{"exp as a string", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":\"1750000900\"", C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"exp as a float", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":1750000900.0", C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"exp with an exponent", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":1.7500009e9", C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"exp true", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":true", C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"exp null", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":null", C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	/* The strict JSON recogniser holds every integer to int64, so this never
	 * reaches the claim reader. */
	{"exp above int64", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, "\"exp\":9223372036854775808", C_JTI, C_ISS, C_AUD,
					  C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"iat as a string", NULL, PAYLOAD(C_SUB, C_TID, "\"iat\":\"1749999940\"", C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"tid 0", NULL, PAYLOAD(C_SUB, "\"tid\":0", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER, NULL,
		JWT_INVALID_CLAIM},
	{"tid negative", NULL, PAYLOAD(C_SUB, "\"tid\":-7", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"tid as a string", NULL, PAYLOAD(C_SUB, "\"tid\":\"7\"", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"tid as a float", NULL, PAYLOAD(C_SUB, "\"tid\":7.0", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"tid an object", NULL, PAYLOAD(C_SUB, "\"tid\":{\"id\":7}", C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sub a number", NULL, PAYLOAD("\"sub\":42", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"sub empty", NULL, PAYLOAD("\"sub\":\"\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"sub not decimal", NULL, PAYLOAD("\"sub\":\"4a2\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sub negative", NULL, PAYLOAD("\"sub\":\"-1\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sub with a leading zero", NULL, PAYLOAD("\"sub\":\"042\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sub of 21 digits", NULL,
		PAYLOAD("\"sub\":\"123456789012345678901\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sub above uint64", NULL, PAYLOAD("\"sub\":\"18446744073709551616\"", C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD,
					   C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"jti of 48 characters", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP,
						 "\"jti\":\"012345678901234567890123456789012345678901234567\"", C_ISS,
						 C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"jti empty", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, "\"jti\":\"\"", C_ISS, C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"jti with a newline", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, "\"jti\":\"a\\nb\"", C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"pv negative", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":-1"), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"pv as a string", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":\"3\""),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"pv as a float", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":3.5"), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"sid missing", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":3"), CORPUS_SIGNER,
		NULL, JWT_MISSING_CLAIM},
	{"sid zero", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":3,\"sid\":0"),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"sid as a string", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, C_AUD, "\"pv\":3,\"sid\":\"5\""),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"iss a number", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, "\"iss\":1", C_AUD, C_PV), CORPUS_SIGNER,
		NULL, JWT_INVALID_CLAIM},
	{"aud an array holding the audience", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS,
							    "\"aud\":[\"" TEST_AUDIENCE "\"]", C_PV),
		CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},

	/* Issuer, audience, time. */
	{"wrong issuer", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, "\"iss\":\"https://evil.test\"", C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_ISSUER},
	{"issuer with a trailing slash", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI,
						       "\"iss\":\"" TEST_ISSUER "/\"", C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_ISSUER},
	{"issuer prefix only", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, "\"iss\":\"https://auth\"", C_AUD,
					     C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_ISSUER},
	{"wrong audience", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, "\"aud\":\"intuka-admin\"", C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_AUDIENCE},
	{"audience empty", NULL, PAYLOAD(C_SUB, C_TID, C_IAT, C_EXP, C_JTI, C_ISS, "\"aud\":\"\"", C_PV),
		CORPUS_SIGNER, NULL, JWT_BAD_AUDIENCE},
	{"expired an hour ago", NULL, PAYLOAD(C_SUB, C_TID, "\"iat\":1749992800", "\"exp\":1749996400", C_JTI, C_ISS,
					      C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_EXPIRED},
	{"exp at the epoch", NULL, PAYLOAD(C_SUB, C_TID, "\"iat\":0", "\"exp\":0", C_JTI, C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_EXPIRED},
	{"iat a day in the future", NULL, PAYLOAD(C_SUB, C_TID, "\"iat\":1750086400", "\"exp\":1750087300", C_JTI,
						  C_ISS, C_AUD, C_PV),
		CORPUS_SIGNER, NULL, JWT_NOT_YET_VALID},

	/* nbf (RFC 7519 4.1.5): optional, an integer when present, honoured. */
	{"nbf a day from now", NULL, PAYLOAD_PLUS("\"nbf\":1750086400"), CORPUS_SIGNER, NULL, JWT_NOT_YET_VALID},
	{"nbf one second beyond the leeway", NULL, PAYLOAD_PLUS("\"nbf\":1750000061"), CORPUS_SIGNER, NULL,
		JWT_NOT_YET_VALID},
	{"nbf at the end of time", NULL, PAYLOAD_PLUS("\"nbf\":9223372036854775807"), CORPUS_SIGNER, NULL,
		JWT_NOT_YET_VALID},
	{"nbf as a string", NULL, PAYLOAD_PLUS("\"nbf\":\"1749999940\""), CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"nbf as a float", NULL, PAYLOAD_PLUS("\"nbf\":1749999940.5"), CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"nbf null", NULL, PAYLOAD_PLUS("\"nbf\":null"), CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"nbf true", NULL, PAYLOAD_PLUS("\"nbf\":true"), CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"nbf an array", NULL, PAYLOAD_PLUS("\"nbf\":[1]"), CORPUS_SIGNER, NULL, JWT_INVALID_CLAIM},
	{"nbf above int64", NULL, PAYLOAD_PLUS("\"nbf\":9223372036854775808"), CORPUS_SIGNER, NULL, JWT_BAD_JSON},
	{"nbf twice", NULL, PAYLOAD_PLUS("\"nbf\":1,\"nbf\":1750086400"), CORPUS_SIGNER, NULL, JWT_DUPLICATE_KEY},
	{"nbf in the future on an expired token: expiry first", NULL,
		PAYLOAD(C_SUB, C_TID, "\"iat\":1749992800", "\"exp\":1749996400", C_JTI, C_ISS, C_AUD,
			C_PV ",\"nbf\":1750086400"),
		CORPUS_SIGNER, NULL, JWT_EXPIRED},
};

#define JWT_CORPUS_SIZE (sizeof(jwt_corpus) / sizeof(jwt_corpus[0]))

static void corpus_build(const struct corpus_recipe *recipe, const struct jwt_keyring *ring,
	struct built_token *token)
{
	const struct jwt_key *signer = test_find_key(ring, TEST_KID_SIGNER);
	const struct jwt_key *other = test_find_key(ring, TEST_KID_OLD);
	const char *header = recipe->header_json != NULL ? recipe->header_json : HEADER_VALID;
	const char *payload = recipe->payload_json != NULL ? recipe->payload_json : PAYLOAD_VALID;
	switch (recipe->signing) {
	case CORPUS_SIGNER:
		token_build(token, header, payload, signer);
		break;
	case CORPUS_OTHER_KEY:
		token_build(token, header, payload, other);
		break;
	case CORPUS_NO_SIGNATURE:
		token_build(token, header, payload, NULL);
		break;
	case CORPUS_ORIGINAL_SIGNATURE: {
		struct built_token original;
		token_init(&original);
		token_build(&original, HEADER_VALID, PAYLOAD_VALID, signer);
		size_t start, length;
		token_part(&original, 2, &start, &length);
		token_build(token, header, payload, NULL);
		token_append(token, original.text + start, length);
		free(original.text);
		break;
	}
	}
	if (recipe->mutate != NULL)
		recipe->mutate(token);
}

static void jwt_corpus_baseline_token_verifies(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct built_token token;
	token_init(&token);
	token_build(&token, HEADER_VALID, PAYLOAD_VALID, test_find_key(&ring, TEST_KID_SIGNER));
	struct jwt_claims claims;
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, &claims), JWT_OK);
	CU_ASSERT_STRING_EQUAL(claims.sub, "42");
	free(token.text);
	jwt_keyring_clear(&ring);
}

static void jwt_corpus_each_attack_fails_for_its_own_reason(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_expectations expect = test_expectations();
	CU_ASSERT(JWT_CORPUS_SIZE >= 40);
	for (size_t i = 0; i < JWT_CORPUS_SIZE; i++) {
		const struct corpus_recipe *recipe = &jwt_corpus[i];
		struct built_token token;
		token_init(&token);
		corpus_build(recipe, &ring, &token);
		struct jwt_claims claims;
		memset(&claims, 0xa5, sizeof(claims));
		enum jwt_result result = jwt_verify(&ring, token.text, token.length, &expect, &claims);
		char message[256];
		snprintf(message, sizeof(message), "corpus \"%s\": expected %s, got %s", recipe->name,
			jwt_result_text(recipe->expected), jwt_result_text(result));
		CU_assertImplementation(result == recipe->expected, __LINE__, message, __FILE__, "", CU_FALSE);
		/* A refusal never leaves attacker data in the caller's claims. */
		static const struct jwt_claims zero_claims;
		CU_ASSERT_EQUAL(memcmp(&claims, &zero_claims, sizeof(claims)), 0);
		free(token.text);
	}
	jwt_keyring_clear(&ring);
}

/* ---- RFC 7515 and the base64url layer ---------------------------------- */

/* RFC 7515 Appendix A.1: JWS using HMAC SHA-256. The example has no kid and
 * expired in 2011, so the HMAC and base64url layers are tested against it. */
static void jwt_hs256_matches_the_rfc_7515_appendix_a1_example(void)
{
	static const char jwk_k[] =
		"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	static const char encoded_header[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
	static const char signing_input[] =
		"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
		"."
		"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
	static const char expected_signature[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	static const unsigned char expected_octets[JWT_SIGNATURE_BYTES] = {116, 24, 223, 180, 151, 153, 224, 37,
		79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141,
		121};

	unsigned char key[64];
	CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(jwk_k, strlen(jwk_k), key, sizeof(key)), 64);
	unsigned char header[64];
	static const char header_json[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	CU_ASSERT_EQUAL_FATAL(jwt_base64url_decode(encoded_header, strlen(encoded_header), header, sizeof(header)),
		(int)strlen(header_json));
	CU_ASSERT_EQUAL(memcmp(header, header_json, strlen(header_json)), 0);

	unsigned char signature[JWT_SIGNATURE_BYTES];
	CU_ASSERT_EQUAL_FATAL(jwt_hs256(key, sizeof(key), signing_input, strlen(signing_input), signature), 0);
	CU_ASSERT_EQUAL(memcmp(signature, expected_octets, sizeof(expected_octets)), 0);
	char encoded[64];
	CU_ASSERT_EQUAL(jwt_base64url_encode(signature, sizeof(signature), encoded, sizeof(encoded)), 43);
	CU_ASSERT_STRING_EQUAL(encoded, expected_signature);

	/* The same key loaded into a ring: the example token names no kid. */
	struct jwt_keyring ring;
	jwt_keyring_init(&ring);
	char error[128];
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_add(&ring, "rfc7515", jwk_k, error, sizeof(error)), 0);
	char token[256];
	snprintf(token, sizeof(token), "%s.%s", signing_input, expected_signature);
	struct jwt_expectations expect = {.issuer = "joe", .audience = "x", .now_s = 1300819370, .leeway_s = 0};
	CU_ASSERT_EQUAL(jwt_verify(&ring, token, strlen(token), &expect, NULL), JWT_UNKNOWN_KID);
	jwt_keyring_clear(&ring);
}

static void jwt_base64url_accepts_only_the_canonical_unpadded_form(void)
{
	unsigned char out[8];
	char text[16];
	CU_ASSERT_EQUAL(jwt_base64url_decode("QQ", 2, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(out[0], 'A');
	CU_ASSERT_EQUAL(jwt_base64url_decode("QR", 2, out, sizeof(out)), -1); /* same byte, unused bits set */
	CU_ASSERT_EQUAL(jwt_base64url_decode("QUI", 3, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(jwt_base64url_decode("QUJ", 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(jwt_base64url_decode("QQ==", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(jwt_base64url_decode("QUJD", 4, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(jwt_base64url_decode("QUJDR", 5, out, sizeof(out)), -1); /* 4n+1 characters */
	CU_ASSERT_EQUAL(jwt_base64url_decode("+/==", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(jwt_base64url_decode("-_8", 3, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(out[0], 0xfb);
	CU_ASSERT_EQUAL(out[1], 0xff);
	CU_ASSERT_EQUAL(jwt_base64url_decode("QUJDQUJDQUJD", 12, out, 8), -1); /* 9 bytes do not fit */
	CU_ASSERT_EQUAL(jwt_base64url_encode((const unsigned char *)"", 0, text, sizeof(text)), 0);
	CU_ASSERT_STRING_EQUAL(text, "");
	CU_ASSERT_EQUAL(jwt_base64url_encode(out, 2, text, sizeof(text)), 3);
	CU_ASSERT_STRING_EQUAL(text, "-_8");
	CU_ASSERT_EQUAL(jwt_base64url_encode(out, 2, text, 3), -1); /* no room for the NUL */
}

/* ---- signing and verifying -------------------------------------------- */

static void jwt_sign_then_verify_returns_the_same_claims(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_claims claims, verified;
	test_claims(&claims);
	char token[JWT_TOKEN_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL_FATAL(test_verify_text(&ring, token, &verified), JWT_OK);
	CU_ASSERT_STRING_EQUAL(verified.sub, claims.sub);
	CU_ASSERT_EQUAL(verified.tenant_id, claims.tenant_id);
	CU_ASSERT_EQUAL(verified.iat, claims.iat);
	CU_ASSERT_EQUAL(verified.exp, claims.exp);
	CU_ASSERT_STRING_EQUAL(verified.jti, claims.jti);
	CU_ASSERT_STRING_EQUAL(verified.iss, claims.iss);
	CU_ASSERT_STRING_EQUAL(verified.aud, claims.aud);
	CU_ASSERT_EQUAL(verified.profile_version, claims.profile_version);
	CU_ASSERT_EQUAL(verified.session_id, claims.session_id);
	CU_ASSERT_EQUAL(memcmp(&verified, &claims, sizeof(claims)), 0);

	/* The header is exactly the documented text; the payload is plain JSON. */
	const char *dot = strchr(token, '.');
	CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
	unsigned char decoded[1024];
	int decoded_length = jwt_base64url_decode(token, (size_t)(dot - token), decoded, sizeof(decoded) - 1);
	CU_ASSERT_FATAL(decoded_length > 0);
	decoded[decoded_length] = '\0';
	CU_ASSERT_STRING_EQUAL(
		(const char *)decoded, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}");
	const char *payload = dot + 1;
	const char *second_dot = strchr(payload, '.');
	CU_ASSERT_PTR_NOT_NULL_FATAL(second_dot);
	decoded_length = jwt_base64url_decode(payload, (size_t)(second_dot - payload), decoded, sizeof(decoded) - 1);
	CU_ASSERT_FATAL(decoded_length > 0);
	decoded[decoded_length] = '\0';
	CU_ASSERT_STRING_EQUAL((const char *)decoded, PAYLOAD_VALID);
	CU_ASSERT_EQUAL(strlen(second_dot + 1), 43);
	jwt_keyring_clear(&ring);
}

static void jwt_sign_escapes_quotes_in_text_claims(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_claims claims, verified;
	test_claims(&claims);
	strcpy(claims.iss, "issuer \"quoted\" \\ back");
	strcpy(claims.jti, "a\"b\\c");
	char token[JWT_TOKEN_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	struct jwt_expectations expect = test_expectations();
	expect.issuer = claims.iss;
	CU_ASSERT_EQUAL_FATAL(jwt_verify(&ring, token, strlen(token), &expect, &verified), JWT_OK);
	CU_ASSERT_STRING_EQUAL(verified.iss, claims.iss);
	CU_ASSERT_STRING_EQUAL(verified.jti, claims.jti);
	jwt_keyring_clear(&ring);
}

static void jwt_sign_refuses_claims_it_would_not_verify(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_claims claims;
	char token[JWT_TOKEN_MAX + 1];

	test_claims(&claims);
	strcpy(claims.sub, "007");
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	CU_ASSERT_STRING_EQUAL(token, "");
	test_claims(&claims);
	strcpy(claims.sub, "12a");
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.tenant_id = 0;
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	/* integers beyond int64 would not pass the verifier's JSON reader */
	test_claims(&claims);
	claims.tenant_id = (uint64_t)INT64_MAX + 1;
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.session_id = UINT64_MAX;
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.tenant_id = (uint64_t)INT64_MAX;
	claims.session_id = (uint64_t)INT64_MAX;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	struct jwt_claims verified;
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, &verified), JWT_OK);
	CU_ASSERT(verified.tenant_id == (uint64_t)INT64_MAX && verified.session_id == (uint64_t)INT64_MAX);
	test_claims(&claims);
	claims.profile_version = -1;
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.exp = claims.iat;
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.jti[0] = '\0';
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	memset(claims.jti, 'j', sizeof(claims.jti)); /* unterminated */
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	strcpy(claims.aud, "tab\there");
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);
	test_claims(&claims);
	claims.iss[0] = '\0';
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, sizeof(token)), -1);

	test_claims(&claims);
	CU_ASSERT_EQUAL(jwt_sign(&ring, &claims, token, 100), -1); /* too small for the token */
	struct jwt_keyring empty;
	jwt_keyring_init(&empty);
	CU_ASSERT_EQUAL(jwt_sign(&empty, &claims, token, sizeof(token)), -1);
	jwt_keyring_clear(&ring);
}

static void jwt_verify_ignores_unknown_claims_and_header_members(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct built_token token;
	token_init(&token);
	token_build(&token, HEADER_PLUS("\"cty\":\"JWT\",\"x5u\":\"https://evil.test/k\""),
		PAYLOAD_PLUS("\"role\":\"admin\",\"nbf\":1,\"scope\":{\"a\":[1,-2.5e-3,true,null,"
			     "\"\\u00e9\\ud83d\\ude00 \xc3\xa9\xf0\x9f\x98\x80\"]}"),
		test_find_key(&ring, TEST_KID_SIGNER));
	struct jwt_claims claims;
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, &claims), JWT_OK);
	CU_ASSERT_EQUAL(claims.tenant_id, 7);

	/* typ may be absent; whitespace between JSON tokens is JSON. */
	token_build(&token, "{ \"alg\" : \"HS256\" , \"kid\" : \"" TEST_KID_SIGNER "\" }", PAYLOAD_VALID,
		test_find_key(&ring, TEST_KID_SIGNER));
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, &claims), JWT_OK);
	free(token.text);
	jwt_keyring_clear(&ring);
}

static void jwt_verify_accepts_nesting_up_to_the_depth_limit(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct built_token token;
	token_init(&token);
	/* The payload object is depth 1, so four arrays reach the limit of 5. */
	token_build(&token, HEADER_VALID, PAYLOAD_PLUS("\"x\":[[[[0]]]]"), test_find_key(&ring, TEST_KID_SIGNER));
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, NULL), JWT_OK);
	token_build(&token, HEADER_VALID, PAYLOAD_PLUS("\"x\":[[[{\"y\":0}]]]"), test_find_key(&ring, TEST_KID_SIGNER));
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, NULL), JWT_OK);
	token_build(&token, HEADER_VALID, PAYLOAD_PLUS("\"x\":[[[[{}]]]]"), test_find_key(&ring, TEST_KID_SIGNER));
	CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, NULL), JWT_BAD_JSON);
	free(token.text);
	jwt_keyring_clear(&ring);
}

/* The size cap is on the token as received: 4096 bytes pass, 4097 do not,
 * both carrying a valid signature. */
static void jwt_verify_takes_4096_bytes_and_refuses_4097(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	const struct jwt_key *signer = test_find_key(&ring, TEST_KID_SIGNER);
	/* Spaces in the header shift the length by one, so every total is reachable. */
	static const char *const headers[] = {HEADER_VALID,
		"{ \"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}",
		"{  \"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TEST_KID_SIGNER "\"}"};
	struct built_token token;
	token_init(&token);
	char *payload = xmalloc(4096);
	int found_4096 = 0, found_4097 = 0;
	for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
		for (size_t pad = 2700; pad < 3000 && !(found_4096 && found_4097); pad++) {
			int written = snprintf(payload, 4096, "%.*s,\"pad\":\"%0*d\"}", (int)strlen(PAYLOAD_VALID) - 1,
				PAYLOAD_VALID, (int)pad, 0);
			CU_ASSERT_FATAL(written > 0 && written < 4096);
			token_build(&token, headers[h], payload, signer);
			if (token.length == JWT_TOKEN_MAX && !found_4096) {
				CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, NULL), JWT_OK);
				found_4096 = 1;
			} else if (token.length == JWT_TOKEN_MAX + 1 && !found_4097) {
				CU_ASSERT_EQUAL(test_verify_text(&ring, token.text, NULL), JWT_TOO_LARGE);
				found_4097 = 1;
			}
		}
	}
	CU_ASSERT(found_4096);
	CU_ASSERT(found_4097);
	free(payload);
	free(token.text);
	jwt_keyring_clear(&ring);
}

/* exp is the first second the token is no longer valid (RFC 7519 4.1.4);
 * leeway extends it, and iat may run ahead of our clock by as much. */
static void jwt_leeway_bounds_expiry_and_issue_time(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_claims claims;
	char token[JWT_TOKEN_MAX + 1];

	test_claims(&claims);
	claims.iat = TEST_NOW_S - 900;
	claims.exp = TEST_NOW_S - TEST_LEEWAY_S + 1;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, NULL), JWT_OK);
	claims.exp = TEST_NOW_S - TEST_LEEWAY_S;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, NULL), JWT_EXPIRED);
	claims.exp = TEST_NOW_S - TEST_LEEWAY_S - 1;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, NULL), JWT_EXPIRED);

	test_claims(&claims);
	claims.iat = TEST_NOW_S + TEST_LEEWAY_S;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, NULL), JWT_OK);
	claims.iat = TEST_NOW_S + TEST_LEEWAY_S + 1;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL(test_verify_text(&ring, token, NULL), JWT_NOT_YET_VALID);

	/* A negative leeway counts as none; a huge one is clamped. */
	struct jwt_expectations expect = test_expectations();
	test_claims(&claims);
	claims.iat = TEST_NOW_S - 900;
	claims.exp = TEST_NOW_S;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	expect.leeway_s = -5;
	CU_ASSERT_EQUAL(jwt_verify(&ring, token, strlen(token), &expect, NULL), JWT_EXPIRED);
	claims.exp = TEST_NOW_S - JWT_LEEWAY_MAX_S;
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, token, sizeof(token)), 0);
	expect.leeway_s = INT64_MAX;
	CU_ASSERT_EQUAL(jwt_verify(&ring, token, strlen(token), &expect, NULL), JWT_EXPIRED);
	jwt_keyring_clear(&ring);
}

/* nbf is the first second the token is valid (RFC 7519 4.1.5); the leeway
 * that lets iat run ahead of our clock lets nbf do the same. */
static void jwt_not_before_is_honoured_with_the_leeway(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	const struct jwt_key *signer = test_find_key(&ring, TEST_KID_SIGNER);
	struct built_token token;
	token_init(&token);
	static const struct {
		const char *payload;
		int64_t leeway_s;
		enum jwt_result expected;
	} cases[] = {
		{.payload = PAYLOAD_PLUS("\"nbf\":1749999000"), .leeway_s = 0, .expected = JWT_OK}, /* in the past */
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000000"), .leeway_s = 0, .expected = JWT_OK}, /* now */
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000001"), .leeway_s = 0, .expected = JWT_NOT_YET_VALID},
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000060"), .leeway_s = 60, .expected = JWT_OK}, /* at the edge */
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000061"), .leeway_s = 60, .expected = JWT_NOT_YET_VALID},
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000300"), .leeway_s = 100000, .expected = JWT_OK}, /* clamped */
		{.payload = PAYLOAD_PLUS("\"nbf\":1750000301"), .leeway_s = 100000, .expected = JWT_NOT_YET_VALID},
		{.payload = PAYLOAD_PLUS("\"nbf\":-9223372036854775808"), .leeway_s = 60, .expected = JWT_OK},
		{.payload = PAYLOAD_PLUS("\"nbf\":\"1749999000\""), .leeway_s = 60, .expected = JWT_INVALID_CLAIM},
		{.payload = PAYLOAD_PLUS("\"nbf\":1749999000.0"), .leeway_s = 60, .expected = JWT_INVALID_CLAIM},
		{.payload = PAYLOAD_VALID, .leeway_s = 0, .expected = JWT_OK}, /* absent */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		token_build(&token, HEADER_VALID, cases[i].payload, signer);
		struct jwt_expectations expect = test_expectations();
		expect.leeway_s = cases[i].leeway_s;
		struct jwt_claims claims;
		enum jwt_result result = jwt_verify(&ring, token.text, token.length, &expect, &claims);
		char message[256];
		snprintf(message, sizeof(message), "nbf case %zu: expected %s, got %s", i,
			jwt_result_text(cases[i].expected), jwt_result_text(result));
		CU_assertImplementation(result == cases[i].expected, __LINE__, message, __FILE__, "", CU_FALSE);
		if (result == JWT_OK)
			CU_ASSERT_STRING_EQUAL(claims.sub, "42");
	}
	free(token.text);
	jwt_keyring_clear(&ring);
}

/* ---- key ring --------------------------------------------------------- */

static void jwt_rotation_keeps_old_tokens_until_the_old_key_is_removed(void)
{
	char error[128];
	struct jwt_keyring ring;
	jwt_keyring_init(&ring);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_add(&ring, TEST_KID_OLD, TEST_SECRET_OLD, error, sizeof(error)), 0);
	struct jwt_claims claims;
	test_claims(&claims);
	char old_token[JWT_TOKEN_MAX + 1], new_token[JWT_TOKEN_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, old_token, sizeof(old_token)), 0);

	/* Rotate: the new key signs, the old one still verifies. */
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_add(&ring, TEST_KID_SIGNER, TEST_SECRET_SIGNER, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_set_signing(&ring, TEST_KID_SIGNER), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_sign(&ring, &claims, new_token, sizeof(new_token)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(old_token, new_token);
	CU_ASSERT_EQUAL(test_verify_text(&ring, old_token, NULL), JWT_OK);
	CU_ASSERT_EQUAL(test_verify_text(&ring, new_token, NULL), JWT_OK);

	/* The signing key cannot be retired; the old one can. */
	CU_ASSERT_EQUAL(jwt_keyring_remove(&ring, TEST_KID_SIGNER), -1);
	CU_ASSERT_EQUAL_FATAL(jwt_keyring_remove(&ring, TEST_KID_OLD), 0);
	CU_ASSERT_EQUAL(ring.key_count, 1);
	CU_ASSERT_STRING_EQUAL(ring.keys[ring.signing_index].kid, TEST_KID_SIGNER);
	CU_ASSERT_EQUAL(test_verify_text(&ring, old_token, NULL), JWT_UNKNOWN_KID);
	CU_ASSERT_EQUAL(test_verify_text(&ring, new_token, NULL), JWT_OK);
	CU_ASSERT_EQUAL(jwt_keyring_remove(&ring, TEST_KID_OLD), -1);
	jwt_keyring_clear(&ring);
}

static void jwt_keyring_add_validates_kid_and_secret(void)
{
	/* 31, 32 and 65 random bytes; 32 with the unused bits of its last character set. */
	static const char secret_31[] = "smg4mQQh7Edn13Y9XRI_haG6imk0YG6y3JbAb2x8dg";
	static const char secret_32[] = "KJSBmpV4rsQlD_bzLLGt5B7uK7rOoYzQe1hUPTk12aA";
	static const char secret_32_non_canonical[] = "KJSBmpV4rsQlD_bzLLGt5B7uK7rOoYzQe1hUPTk12aB";
	static const char secret_65[] =
		"mgEn02FGXlqXLmriBXOAxaUIm91dIsbNh5VCPHOK9d2DTo8xJhm-ZASPF2R2D0jbCWgXcCF8gZKdRF78Vj9ChUI";
	static const char rfc_url[] =
		"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	static const char rfc_standard[] =
		"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ+EstJQLr/T+1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow==";
	char error[128];
	struct jwt_keyring ring;
	jwt_keyring_init(&ring);

	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "short", secret_31, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NULL(strstr(error, secret_31));
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "32"));
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "long", secret_65, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NULL(strstr(error, "mgEn02"));
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "bits", secret_32_non_canonical, error, sizeof(error)), -1);
	static const char mixed_alphabets[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ+EstJQLr_T-1qS0gZH75aKtMN3Yj0i";
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "mixed", mixed_alphabets, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "padded-wrong", "KJSBmpV4rsQlD_bzLLGt5B7uK7rOoYzQe1hUPTk12aA==", error,
				sizeof(error)),
		-1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "space", "KJSBmpV4rsQlD_bzLLGt5B7u K7rOoYzQe1hUPTk12aA", error,
				sizeof(error)),
		-1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "", secret_32, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "has space", secret_32, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "k/slash", secret_32, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "k\xc3\xa9", secret_32, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "k234567890123456789012345678901233", secret_32, error, sizeof(error)),
		-1);
	CU_ASSERT_EQUAL(ring.key_count, 0);

	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "k2345678901234567890123456789012", secret_32, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(ring.keys[0].secret_length, 32);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "k2345678901234567890123456789012", secret_32, error, sizeof(error)),
		-1);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "rfc-url", rfc_url, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "rfc.standard_padded", rfc_standard, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(ring.key_count, 3);
	CU_ASSERT_EQUAL(ring.keys[1].secret_length, 64);
	CU_ASSERT_EQUAL(memcmp(ring.keys[1].secret, ring.keys[2].secret, 64), 0);
	CU_ASSERT_EQUAL(ring.signing_index, 0); /* the first key signs until told otherwise */
	CU_ASSERT_EQUAL(jwt_keyring_set_signing(&ring, "rfc-url"), 0);
	CU_ASSERT_EQUAL(ring.signing_index, 1);
	CU_ASSERT_EQUAL(jwt_keyring_set_signing(&ring, "absent"), -1);
	CU_ASSERT_EQUAL(ring.signing_index, 1);

	/* Removing a key before the signing one keeps the signer pointed at. */
	CU_ASSERT_EQUAL(jwt_keyring_remove(&ring, "k2345678901234567890123456789012"), 0);
	CU_ASSERT_STRING_EQUAL(ring.keys[ring.signing_index].kid, "rfc-url");

	for (size_t i = ring.key_count; i < JWT_KEYRING_MAX_KEYS; i++) {
		char kid[16];
		snprintf(kid, sizeof(kid), "fill-%zu", i);
		CU_ASSERT_EQUAL(jwt_keyring_add(&ring, kid, secret_32, error, sizeof(error)), 0);
	}
	CU_ASSERT_EQUAL(jwt_keyring_add(&ring, "one-too-many", secret_32, error, sizeof(error)), -1);
	jwt_keyring_clear(&ring);
	CU_ASSERT_EQUAL(ring.key_count, 0);
}

static void jwt_result_texts_are_distinct_and_never_null(void)
{
	for (int i = 0; i < JWT_RESULT__MAX; i++) {
		const char *text = jwt_result_text((enum jwt_result)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		CU_ASSERT(text[0] != '\0');
		CU_ASSERT_STRING_NOT_EQUAL(text, "unknown result");
		for (int j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(text, jwt_result_text((enum jwt_result)j));
	}
	CU_ASSERT_STRING_EQUAL(jwt_result_text(JWT_RESULT__MAX), "unknown result");
}

static void jwt_verify_refuses_missing_arguments(void)
{
	struct jwt_keyring ring;
	test_ring(&ring);
	struct jwt_expectations expect = test_expectations();
	CU_ASSERT_EQUAL(jwt_verify(NULL, "a.b.c", 5, &expect, NULL), JWT_INTERNAL_ERROR);
	CU_ASSERT_EQUAL(jwt_verify(&ring, NULL, 0, &expect, NULL), JWT_INTERNAL_ERROR);
	CU_ASSERT_EQUAL(jwt_verify(&ring, "a.b.c", 5, NULL, NULL), JWT_INTERNAL_ERROR);
	expect.audience = NULL;
	CU_ASSERT_EQUAL(jwt_verify(&ring, "a.b.c", 5, &expect, NULL), JWT_INTERNAL_ERROR);
	jwt_keyring_clear(&ring);
}

static const struct unit_test jwt_tests[] = {
	{"jwt_hs256_matches_the_rfc_7515_appendix_a1_example", jwt_hs256_matches_the_rfc_7515_appendix_a1_example},
	{"jwt_base64url_accepts_only_the_canonical_unpadded_form",
		jwt_base64url_accepts_only_the_canonical_unpadded_form},
	{"jwt_sign_then_verify_returns_the_same_claims", jwt_sign_then_verify_returns_the_same_claims},
	{"jwt_sign_escapes_quotes_in_text_claims", jwt_sign_escapes_quotes_in_text_claims},
	{"jwt_sign_refuses_claims_it_would_not_verify", jwt_sign_refuses_claims_it_would_not_verify},
	{"jwt_rotation_keeps_old_tokens_until_the_old_key_is_removed",
		jwt_rotation_keeps_old_tokens_until_the_old_key_is_removed},
	{"jwt_leeway_bounds_expiry_and_issue_time", jwt_leeway_bounds_expiry_and_issue_time},
	{"jwt_not_before_is_honoured_with_the_leeway", jwt_not_before_is_honoured_with_the_leeway},
	{"jwt_keyring_add_validates_kid_and_secret", jwt_keyring_add_validates_kid_and_secret},
	{"jwt_verify_ignores_unknown_claims_and_header_members", jwt_verify_ignores_unknown_claims_and_header_members},
	{"jwt_verify_accepts_nesting_up_to_the_depth_limit", jwt_verify_accepts_nesting_up_to_the_depth_limit},
	{"jwt_verify_takes_4096_bytes_and_refuses_4097", jwt_verify_takes_4096_bytes_and_refuses_4097},
	{"jwt_verify_refuses_missing_arguments", jwt_verify_refuses_missing_arguments},
	{"jwt_result_texts_are_distinct_and_never_null", jwt_result_texts_are_distinct_and_never_null},
	{"jwt_corpus_baseline_token_verifies", jwt_corpus_baseline_token_verifies},
	{"jwt_corpus_each_attack_fails_for_its_own_reason", jwt_corpus_each_attack_fails_for_its_own_reason},
};

int register_jwt_suite(void)
{
	return UNIT_SUITE("jwt", jwt_tests);
}

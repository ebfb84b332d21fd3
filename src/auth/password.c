/* Argon2id through libargon2, and PBKDF2-HMAC-SHA256 through OpenSSL for
 * hashes stored before Argon2id. */
#include "auth/password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_SALT_BYTES 16
#define PASSWORD_DIGEST_BYTES 32
#define PASSWORD_ARGON2_PREFIX "$argon2id$"
#define PASSWORD_PBKDF2_PREFIX "$pbkdf2-sha256$i="
#define PASSWORD_MAX_ITERATIONS 100000000u
/* What a stored Argon2id hash may ask of this server: a corrupted or hostile
 * row must not make one login take a gigabyte. */
#define PASSWORD_ARGON2_MAX_MEMORY_KIB (256u * 1024u)
#define PASSWORD_ARGON2_MAX_PASSES 10u
#define PASSWORD_ARGON2_MAX_LANES 8u

/* ---------------------------------------------------------------- Argon2id */

int password_hash(const char *password, char *out, size_t out_size)
{
	size_t length = strlen(password);
	unsigned char salt[PASSWORD_SALT_BYTES];
	if (length > PASSWORD_MAX_BYTES || RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	int result = argon2id_hash_encoded(PASSWORD_ARGON2_PASSES, PASSWORD_ARGON2_MEMORY_KIB, PASSWORD_ARGON2_LANES,
		password, length, salt, sizeof(salt), PASSWORD_DIGEST_BYTES, out, out_size);
	return result == ARGON2_OK ? 0 : -1;
}

/* The parameters of an encoded Argon2id hash; 0 when they are readable and
 * within this server's bounds. */
static int password_argon2_parameters(const char *encoded, unsigned *memory_kib, unsigned *passes, unsigned *lanes)
{
	int consumed = 0;
	if (sscanf(encoded, PASSWORD_ARGON2_PREFIX "v=19$m=%u,t=%u,p=%u$%n", memory_kib, passes, lanes, &consumed) != 3 ||
		consumed == 0)
		return -1;
	return *memory_kib <= PASSWORD_ARGON2_MAX_MEMORY_KIB && *passes >= 1 && *passes <= PASSWORD_ARGON2_MAX_PASSES &&
			*lanes >= 1 && *lanes <= PASSWORD_ARGON2_MAX_LANES
		? 0
		: -1;
}

static int password_verify_argon2(const char *password, const char *encoded)
{
	unsigned memory_kib, passes, lanes;
	if (password_argon2_parameters(encoded, &memory_kib, &passes, &lanes) != 0)
		return -1;
	/* Over-long passwords are refused, but only after the same work, so the
	 * answer's timing does not tell them apart. */
	int too_long = strlen(password) > PASSWORD_MAX_BYTES;
	const char *checked = too_long ? "" : password;
	int result = argon2id_verify(encoded, checked, strlen(checked));
	if (result == ARGON2_OK)
		return !too_long;
	return result == ARGON2_VERIFY_MISMATCH ? 0 : -1;
}

/* ------------------------------------------------------------ PBKDF2-SHA256 */

static int password_derive(const char *password, const unsigned char *salt, size_t salt_length,
	unsigned iterations, unsigned char *digest)
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_length, (int)iterations,
		       EVP_sha256(), PASSWORD_DIGEST_BYTES, digest) == 1
		? 0
		: -1;
}

int password_hash_pbkdf2(const char *password, unsigned iterations, char *out, size_t out_size)
{
	if (strlen(password) > PASSWORD_MAX_BYTES || iterations == 0 || iterations > PASSWORD_MAX_ITERATIONS)
		return -1;
	unsigned char salt[PASSWORD_SALT_BYTES];
	unsigned char digest[PASSWORD_DIGEST_BYTES];
	if (RAND_bytes(salt, sizeof(salt)) != 1 || password_derive(password, salt, sizeof(salt), iterations, digest) != 0)
		return -1;
	unsigned char salt_b64[4 * ((PASSWORD_SALT_BYTES + 2) / 3) + 1];
	unsigned char digest_b64[4 * ((PASSWORD_DIGEST_BYTES + 2) / 3) + 1];
	EVP_EncodeBlock(salt_b64, salt, sizeof(salt));
	EVP_EncodeBlock(digest_b64, digest, sizeof(digest));
	OPENSSL_cleanse(digest, sizeof(digest));
	int written = snprintf(out, out_size, PASSWORD_PBKDF2_PREFIX "%u$%s$%s", iterations, salt_b64, digest_b64);
	return written > 0 && (size_t)written < out_size ? 0 : -1;
}

/* Decode standard base64 of a known decoded length (padding included). */
static int password_decode(const char *text, size_t text_length, unsigned char *out, size_t expected_length)
{
	unsigned char buffer[64];
	if (text_length == 0 || text_length % 4 != 0 || text_length / 4 * 3 > sizeof(buffer))
		return -1;
	int decoded = EVP_DecodeBlock(buffer, (const unsigned char *)text, (int)text_length);
	if (decoded < 0)
		return -1;
	size_t padding = (text[text_length - 1] == '=') + (text[text_length - 2] == '=');
	if ((size_t)decoded - padding != expected_length)
		return -1;
	memcpy(out, buffer, expected_length);
	return 0;
}

static unsigned password_pbkdf2_iterations(const char *encoded)
{
	if (strncmp(encoded, PASSWORD_PBKDF2_PREFIX, sizeof(PASSWORD_PBKDF2_PREFIX) - 1) != 0)
		return 0;
	const char *number = encoded + sizeof(PASSWORD_PBKDF2_PREFIX) - 1;
	char *end = NULL;
	unsigned long iterations = strtoul(number, &end, 10);
	if (end == number || *end != '$' || iterations == 0 || iterations > PASSWORD_MAX_ITERATIONS)
		return 0;
	return (unsigned)iterations;
}

static int password_verify_pbkdf2(const char *password, const char *encoded)
{
	unsigned iterations = password_pbkdf2_iterations(encoded);
	if (iterations == 0)
		return -1;
	const char *salt_text = strchr(encoded + sizeof(PASSWORD_PBKDF2_PREFIX) - 1, '$');
	if (salt_text == NULL)
		return -1;
	salt_text++;
	const char *digest_text = strchr(salt_text, '$');
	if (digest_text == NULL)
		return -1;
	digest_text++;
	unsigned char salt[PASSWORD_SALT_BYTES];
	unsigned char expected[PASSWORD_DIGEST_BYTES];
	unsigned char actual[PASSWORD_DIGEST_BYTES];
	if (password_decode(salt_text, (size_t)(digest_text - 1 - salt_text), salt, sizeof(salt)) != 0 ||
		password_decode(digest_text, strlen(digest_text), expected, sizeof(expected)) != 0)
		return -1;
	int too_long = strlen(password) > PASSWORD_MAX_BYTES;
	if (password_derive(too_long ? "" : password, salt, sizeof(salt), iterations, actual) != 0)
		return -1;
	int matches = CRYPTO_memcmp(expected, actual, sizeof(actual)) == 0 && !too_long;
	OPENSSL_cleanse(actual, sizeof(actual));
	return matches;
}

/* ------------------------------------------------------------------ both */

int password_verify(const char *password, const char *encoded)
{
	if (strncmp(encoded, PASSWORD_ARGON2_PREFIX, sizeof(PASSWORD_ARGON2_PREFIX) - 1) == 0)
		return password_verify_argon2(password, encoded);
	return password_verify_pbkdf2(password, encoded);
}

int password_needs_rehash(const char *encoded)
{
	unsigned memory_kib, passes, lanes;
	if (strncmp(encoded, PASSWORD_ARGON2_PREFIX, sizeof(PASSWORD_ARGON2_PREFIX) - 1) != 0 ||
		password_argon2_parameters(encoded, &memory_kib, &passes, &lanes) != 0)
		return 1;
	return memory_kib < PASSWORD_ARGON2_MEMORY_KIB || passes < PASSWORD_ARGON2_PASSES ||
		lanes != PASSWORD_ARGON2_LANES;
}

/* PBKDF2-HMAC-SHA256 hashing and verification through OpenSSL. */
#include "auth/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_SALT_BYTES 16
#define PASSWORD_DIGEST_BYTES 32
#define PASSWORD_PREFIX "$pbkdf2-sha256$i="
#define PASSWORD_MAX_ITERATIONS 100000000u

static int password_derive(const char *password, const unsigned char *salt, size_t salt_length,
	unsigned iterations, unsigned char *digest)
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_length, (int)iterations,
		       EVP_sha256(), PASSWORD_DIGEST_BYTES, digest) == 1
		? 0
		: -1;
}

int password_hash(const char *password, unsigned iterations, char *out, size_t out_size)
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
	int written = snprintf(out, out_size, PASSWORD_PREFIX "%u$%s$%s", iterations, salt_b64, digest_b64);
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

unsigned password_iterations(const char *encoded)
{
	if (strncmp(encoded, PASSWORD_PREFIX, sizeof(PASSWORD_PREFIX) - 1) != 0)
		return 0;
	const char *number = encoded + sizeof(PASSWORD_PREFIX) - 1;
	char *end = NULL;
	unsigned long iterations = strtoul(number, &end, 10);
	if (end == number || *end != '$' || iterations == 0 || iterations > PASSWORD_MAX_ITERATIONS)
		return 0;
	return (unsigned)iterations;
}

int password_verify(const char *password, const char *encoded)
{
	unsigned iterations = password_iterations(encoded);
	if (iterations == 0)
		return -1;
	const char *salt_text = strchr(encoded + sizeof(PASSWORD_PREFIX) - 1, '$');
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
	/* Over-long passwords are refused, but only after the same work, so the
	 * answer's timing does not tell them apart. */
	int too_long = strlen(password) > PASSWORD_MAX_BYTES;
	if (password_derive(too_long ? "" : password, salt, sizeof(salt), iterations, actual) != 0)
		return -1;
	int matches = CRYPTO_memcmp(expected, actual, sizeof(actual)) == 0 && !too_long;
	OPENSSL_cleanse(actual, sizeof(actual));
	return matches;
}

/* Constant-time operator key check. */
#include "auth/operator_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

static int operator_key_digest(const char *text, unsigned char digest[32])
{
	unsigned int length = 0;
	return EVP_Digest(text, strlen(text), digest, &length, EVP_sha256(), NULL) == 1 && length == 32 ? 0 : -1;
}

int operator_key_matches(const char *configured, const char *presented)
{
	if (configured == NULL || presented == NULL || configured[0] == '\0')
		return 0;
	unsigned char expected[32], given[32];
	if (operator_key_digest(configured, expected) != 0 || operator_key_digest(presented, given) != 0)
		return 0;
	int same = CRYPTO_memcmp(expected, given, sizeof(expected)) == 0;
	OPENSSL_cleanse(expected, sizeof(expected));
	OPENSSL_cleanse(given, sizeof(given));
	return same;
}

/* Random token creation and parsing. */
#include "auth/secret_token.h"
#include "auth/jwt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_TOKEN_RANDOM_BYTES 32
#define SECRET_TOKEN_RANDOM_CHARS 43 /* base64url of 32 bytes, unpadded */

size_t secret_token_base64url(const unsigned char *bytes, size_t length, char *out)
{
	/* Same alphabet and no padding as JWT parts; out is sized by the caller. */
	int written = jwt_base64url_encode(bytes, length, out, 4 * ((length + 2) / 3) + 1);
	return written < 0 ? 0 : (size_t)written;
}

static void secret_token_hash(const char *token, unsigned char hash_out[SECRET_TOKEN_HASH_BYTES])
{
	unsigned int length = 0;
	EVP_Digest(token, strlen(token), hash_out, &length, EVP_sha256(), NULL);
}

int secret_token_new(const char *prefix, uint64_t tenant_id, char *token_out, size_t token_size,
	unsigned char hash_out[SECRET_TOKEN_HASH_BYTES])
{
	unsigned char random_bytes[SECRET_TOKEN_RANDOM_BYTES];
	if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1)
		return -1;
	char encoded[SECRET_TOKEN_RANDOM_CHARS + 2];
	secret_token_base64url(random_bytes, sizeof(random_bytes), encoded);
	int written = snprintf(token_out, token_size, "%s.%llu.%s", prefix, (unsigned long long)tenant_id, encoded);
	if (written < 0 || (size_t)written >= token_size)
		return -1;
	secret_token_hash(token_out, hash_out);
	return 0;
}

int secret_token_parse(const char *prefix, const char *token, uint64_t *tenant_id,
	unsigned char hash_out[SECRET_TOKEN_HASH_BYTES])
{
	size_t prefix_length = strlen(prefix);
	if (strlen(token) >= SECRET_TOKEN_TEXT_MAX || strncmp(token, prefix, prefix_length) != 0 ||
		token[prefix_length] != '.')
		return -1;
	const char *number = token + prefix_length + 1;
	const char *dot = strchr(number, '.');
	if (dot == NULL || dot == number || dot - number > 20 || number[0] == '0')
		return -1;
	for (const char *p = number; p < dot; p++)
		if (*p < '0' || *p > '9')
			return -1;
	const char *secret = dot + 1;
	if (strlen(secret) != SECRET_TOKEN_RANDOM_CHARS)
		return -1;
	for (const char *p = secret; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	*tenant_id = strtoull(number, NULL, 10);
	if (*tenant_id == 0)
		return -1;
	secret_token_hash(token, hash_out);
	return 0;
}

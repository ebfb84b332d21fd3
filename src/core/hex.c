/* See hex.h. */
#include "core/hex.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

void hex_encode(const unsigned char *bytes, size_t length, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < length; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * length] = '\0';
}

int hex_random(size_t byte_count, char *out, size_t out_size)
{
	unsigned char bytes[64];
	if (byte_count > sizeof(bytes) || out_size < 2 * byte_count + 1 || RAND_bytes(bytes, (int)byte_count) != 1)
		return -1;
	hex_encode(bytes, byte_count, out);
	return 0;
}

int hex_sha256(const char *text, size_t text_length, char out[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	out[0] = '\0';
	if (EVP_Digest(text, text_length, digest, &digest_length, EVP_sha256(), NULL) != 1 || digest_length != 32)
		return -1;
	hex_encode(digest, 32, out);
	return 0;
}

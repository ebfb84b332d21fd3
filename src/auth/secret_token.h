/* Opaque secrets handed to clients (refresh and reset tokens): random
 * bytes from RAND_bytes in base64url, stored only as SHA-256 hashes. The
 * tenant id travels in clear in front ("<prefix>.<tenant>.<secret>") so the
 * lookup is by (tenant_id, hash), like every other tenant-bound query. */
#ifndef INTUKA_AUTH_SECRET_TOKEN_H
#define INTUKA_AUTH_SECRET_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_TOKEN_TEXT_MAX 96
#define SECRET_TOKEN_HASH_BYTES 32

/* New token "<prefix>.<tenant_id>.<43 base64url chars>" with its hash. */
int secret_token_new(const char *prefix, uint64_t tenant_id, char *token_out, size_t token_size,
	unsigned char hash_out[SECRET_TOKEN_HASH_BYTES]);
/* Split a presented token: checks prefix and shape, returns the tenant id
 * and the hash of the whole token. -1 when it cannot be one of ours. */
int secret_token_parse(const char *prefix, const char *token, uint64_t *tenant_id,
	unsigned char hash_out[SECRET_TOKEN_HASH_BYTES]);
/* base64url without padding; out needs 4*ceil(n/3)+1 bytes. */
size_t secret_token_base64url(const unsigned char *bytes, size_t length, char *out);

#endif

/* Lower-case hex: bytes as text, random identifiers and SHA-256 digests.
 * One encoder for ids, claim tokens, signatures and checksums. */
#ifndef INTUKA_CORE_HEX_H
#define INTUKA_CORE_HEX_H

#include <stddef.h>

/* Writes 2 * length digits and a terminator into out. */
void hex_encode(const unsigned char *bytes, size_t length, char *out);
/* byte_count random bytes from the CSPRNG as 2 * byte_count digits and a
 * terminator; 0, or -1 when out is too small or no randomness came. */
int hex_random(size_t byte_count, char *out, size_t out_size);
/* The SHA-256 of text as 64 digits and a terminator; 0, or -1 (out "") when
 * the digest could not be made. */
int hex_sha256(const char *text, size_t text_length, char out[65]);

#endif

/* Password hashing with PBKDF2-HMAC-SHA256. The stored string carries its
 * own parameters ("$pbkdf2-sha256$i=600000$salt$hash", base64) so the
 * iteration count can be raised later and old hashes still verify. */
#ifndef INTUKA_AUTH_PASSWORD_H
#define INTUKA_AUTH_PASSWORD_H

#include <stddef.h>

/* OWASP Password Storage Cheat Sheet figure for PBKDF2-HMAC-SHA256. */
#define PASSWORD_DEFAULT_ITERATIONS 600000
#define PASSWORD_HASH_TEXT_MAX 160
#define PASSWORD_MAX_BYTES 1024 /* longer inputs are refused, not truncated */

/* Writes the encoded hash into out (PASSWORD_HASH_TEXT_MAX bytes). */
int password_hash(const char *password, unsigned iterations, char *out, size_t out_size);
/* 1 when password matches encoded, 0 when not, -1 when encoded is malformed.
 * The digest comparison takes constant time. */
int password_verify(const char *password, const char *encoded);
/* Iterations recorded in encoded, or 0 when malformed; lets login rehash. */
unsigned password_iterations(const char *encoded);

#endif

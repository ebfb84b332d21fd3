/* Password hashing with Argon2id (OWASP's first choice) at m=19 MiB, t=2,
 * p=1, stored as the PHC string "$argon2id$v=19$m=19456,t=2,p=1$salt$hash".
 * Hashes of the earlier scheme, PBKDF2-HMAC-SHA256
 * ("$pbkdf2-sha256$i=600000$salt$hash", base64), still verify, and a login
 * replaces them (password_needs_rehash). */
#ifndef INTUKA_AUTH_PASSWORD_H
#define INTUKA_AUTH_PASSWORD_H

#include <stddef.h>

#define PASSWORD_ARGON2_MEMORY_KIB 19456
#define PASSWORD_ARGON2_PASSES 2
#define PASSWORD_ARGON2_LANES 1
#define PASSWORD_HASH_TEXT_MAX 160
#define PASSWORD_MAX_BYTES 1024 /* longer inputs are refused, not truncated */

/* Writes the encoded Argon2id hash into out (PASSWORD_HASH_TEXT_MAX bytes); 0 or -1. */
int password_hash(const char *password, char *out, size_t out_size);
/* 1 when password matches encoded (either scheme), 0 when not, -1 when
 * encoded is malformed or asks for more work than this server allows. The
 * comparison takes constant time. */
int password_verify(const char *password, const char *encoded);
/* 1 when encoded is not Argon2id with today's parameters: a login that
 * holds the right password then stores a fresh hash. */
int password_needs_rehash(const char *encoded);
/* The earlier scheme, kept to verify stored hashes (and to make them in tests). */
int password_hash_pbkdf2(const char *password, unsigned iterations, char *out, size_t out_size);

#endif

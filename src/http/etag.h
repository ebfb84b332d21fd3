/* Entity tags: the validators a read answers with (ETag) and the
 * conditional request that asks for the body only when it changed
 * (If-None-Match, RFC 9110 13.1.2: weak comparison, a list of tags or "*").
 * The tag of a record is its version; the tag of a list page is a hash of
 * what the page says, so it changes whenever any of its rows does. */
#ifndef INTUKA_HTTP_ETAG_H
#define INTUKA_HTTP_ETAG_H

#include <stddef.h>
#include <stdint.h>

/* "\"" + 16 hex digits + "\"" and the NUL. */
#define ETAG_HASH_SIZE 19

/* 1 when the If-None-Match value matches etag (one of its tags equals it
 * under weak comparison, or it is "*"), 0 otherwise: absent, no tag equal,
 * or malformed (a malformed header must not turn a read into a 304). */
int etag_none_match_hits(const char *if_none_match, const char *etag);

/* An FNV-1a style 64-bit hash over bytes, continuing from hash (start with ETAG_HASH_SEED). */
#define ETAG_HASH_SEED UINT64_C(0xcbf29ce484222325)
uint64_t etag_hash(uint64_t hash, const void *bytes, size_t length);
/* The quoted tag of a hash: "\"0123456789abcdef\"". */
void etag_format_hash(uint64_t hash, char out[ETAG_HASH_SIZE]);

#endif

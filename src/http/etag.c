/* If-None-Match matching and the hash behind list tags. */
#include "http/etag.h"

#include <stdio.h>
#include <string.h>

/* The opaque part of a tag, without W/ and quotes: start and length. 0 or -1. */
static int etag_opaque(const char *tag, size_t tag_length, const char **opaque, size_t *opaque_length)
{
	if (tag_length >= 2 && tag[0] == 'W' && tag[1] == '/') {
		tag += 2;
		tag_length -= 2;
	}
	if (tag_length < 2 || tag[0] != '"' || tag[tag_length - 1] != '"')
		return -1;
	if (memchr(tag + 1, '"', tag_length - 2) != NULL)
		return -1;
	*opaque = tag + 1;
	*opaque_length = tag_length - 2;
	return 0;
}

int etag_none_match_hits(const char *if_none_match, const char *etag)
{
	const char *ours;
	size_t ours_length;
	if (if_none_match == NULL || etag == NULL || etag_opaque(etag, strlen(etag), &ours, &ours_length) != 0)
		return 0;
	const char *cursor = if_none_match;
	int hit = 0, entries = 0;
	for (;;) {
		cursor += strspn(cursor, " \t");
		const char *end = strchr(cursor, ',');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
		while (length > 0 && (cursor[length - 1] == ' ' || cursor[length - 1] == '\t'))
			length--;
		if (length == 1 && cursor[0] == '*') {
			/* "*" stands alone: "*, \"1\"" is not a valid field */
			if (entries > 0 || end != NULL)
				return 0;
			return 1;
		}
		/* Empty list elements (",,") are allowed by the list syntax. */
		if (length > 0) {
			const char *theirs;
			size_t theirs_length;
			if (etag_opaque(cursor, length, &theirs, &theirs_length) != 0)
				return 0;
			entries++;
			hit |= theirs_length == ours_length && memcmp(theirs, ours, ours_length) == 0;
		}
		if (end == NULL)
			return entries > 0 && hit;
		cursor = end + 1;
	}
}

/* FNV-1a taken eight bytes at a time: a page is hashed on every list
 * answer, and a word per multiply keeps that to a couple of microseconds. */
uint64_t etag_hash(uint64_t hash, const void *bytes, size_t length)
{
	const unsigned char *byte = bytes;
	size_t i = 0;
	for (; i + 8 <= length; i += 8) {
		uint64_t word;
		memcpy(&word, byte + i, 8);
		hash ^= word;
		hash *= UINT64_C(0x100000001b3);
		hash ^= hash >> 29;
	}
	for (; i < length; i++) {
		hash ^= byte[i];
		hash *= UINT64_C(0x100000001b3);
	}
	return hash;
}

void etag_format_hash(uint64_t hash, char out[ETAG_HASH_SIZE])
{
	snprintf(out, ETAG_HASH_SIZE, "\"%016llx\"", (unsigned long long)hash);
}

/* Key text, hashing and origin matching; no database here. */
#include "auth/api_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define API_KEY_PREFIX_CHARS 6
#define API_KEY_RANDOM_MIN 32
#define API_KEY_RANDOM_MAX 64

static const char api_key_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

enum api_key_type api_key_type_of(const char *token)
{
	if (token == NULL)
		return API_KEY_NONE;
	if (strncmp(token, "if_sk_", API_KEY_PREFIX_CHARS) == 0)
		return API_KEY_SECRET;
	if (strncmp(token, "if_pk_", API_KEY_PREFIX_CHARS) == 0)
		return API_KEY_PUBLISHABLE;
	return API_KEY_NONE;
}

int api_key_well_formed(const char *token)
{
	if (api_key_type_of(token) == API_KEY_NONE)
		return 0;
	const char *random_part = token + API_KEY_PREFIX_CHARS;
	size_t length = strlen(random_part);
	if (length < API_KEY_RANDOM_MIN || length > API_KEY_RANDOM_MAX)
		return 0;
	for (size_t i = 0; i < length; i++)
		if (strchr(api_key_alphabet, random_part[i]) == NULL || random_part[i] == '\0')
			return 0;
	return 1;
}

int api_key_generate(enum api_key_type type, char *out, size_t out_size)
{
	if (type == API_KEY_NONE || out_size < API_KEY_PREFIX_CHARS + API_KEY_RANDOM_CHARS + 1)
		return -1;
	memcpy(out, type == API_KEY_SECRET ? "if_sk_" : "if_pk_", API_KEY_PREFIX_CHARS);
	size_t written = 0;
	unsigned char pool[64];
	while (written < API_KEY_RANDOM_CHARS) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			return -1;
		for (size_t i = 0; i < sizeof(pool) && written < API_KEY_RANDOM_CHARS; i++) {
			/* 248 = 4 * 62: dropping bytes above it keeps every character equally likely. */
			if (pool[i] >= 248)
				continue;
			out[API_KEY_PREFIX_CHARS + written++] = api_key_alphabet[pool[i] % 62];
		}
	}
	out[API_KEY_PREFIX_CHARS + API_KEY_RANDOM_CHARS] = '\0';
	return 0;
}

void api_key_hash(const char *key, unsigned char out[API_KEY_HASH_BYTES])
{
	unsigned int length = 0;
	EVP_Digest(key, strlen(key), out, &length, EVP_sha256(), NULL);
}

void api_key_display_prefix(const char *key, char *out, size_t out_size)
{
	snprintf(out, out_size, "%.*s", API_KEY_DISPLAY_PREFIX_CHARS, key);
}

const char *api_key_type_name(enum api_key_type type)
{
	return type == API_KEY_PUBLISHABLE ? "publishable" : "secret";
}

enum api_key_type api_key_type_parse(const char *name)
{
	if (name == NULL)
		return API_KEY_NONE;
	if (strcmp(name, "secret") == 0)
		return API_KEY_SECRET;
	if (strcmp(name, "publishable") == 0)
		return API_KEY_PUBLISHABLE;
	return API_KEY_NONE;
}

int api_key_origin_normalize(const char *origin, char *out, size_t out_size)
{
	if (origin == NULL)
		return -1;
	size_t scheme_length;
	if (strncasecmp(origin, "https://", 8) == 0)
		scheme_length = 8;
	else if (strncasecmp(origin, "http://", 7) == 0)
		scheme_length = 7;
	else
		return -1;
	size_t length = strlen(origin);
	if (length > scheme_length && origin[length - 1] == '/')
		length--;
	if (length == scheme_length || length >= out_size)
		return -1;
	for (size_t i = 0; i < length; i++) {
		char c = origin[i];
		if (i >= scheme_length) {
			int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
				c == '-' || c == ':' || c == '[' || c == ']';
			if (!ok)
				return -1; /* a path, query, user info or anything odd */
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[length] = '\0';
	return 0;
}

int api_key_origin_allowed(const char *allowed_origins, const char *origin)
{
	char wanted[256];
	if (allowed_origins == NULL || api_key_origin_normalize(origin, wanted, sizeof(wanted)) != 0)
		return 0;
	size_t wanted_length = strlen(wanted);
	for (const char *cursor = allowed_origins; *cursor != '\0';) {
		while (*cursor == ' ')
			cursor++;
		size_t length = strcspn(cursor, " ");
		if (length == wanted_length && length > 0 && memcmp(cursor, wanted, length) == 0)
			return 1;
		cursor += length;
	}
	return 0;
}

enum api_key_origin_verdict api_key_origin_check(const char *allowed_origins, const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return API_KEY_ORIGIN_MISSING;
	if (allowed_origins == NULL || allowed_origins[0] == '\0') {
		char normalized[256];
		return api_key_origin_normalize(origin, normalized, sizeof(normalized)) == 0 ? API_KEY_ORIGIN_OK
											 : API_KEY_ORIGIN_INVALID;
	}
	return api_key_origin_allowed(allowed_origins, origin) ? API_KEY_ORIGIN_OK : API_KEY_ORIGIN_NOT_ALLOWED;
}

/* Identifier shape checks. */
#include "core/identifiers.h"

#include <string.h>

int identifier_is_valid_slug(const char *slug)
{
	size_t length = strlen(slug);
	if (length == 0 || length > IDENTIFIER_SLUG_MAX || slug[0] == '-' || slug[length - 1] == '-')
		return 0;
	for (size_t i = 0; i < length; i++) {
		char c = slug[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int identifier_is_plausible_email(const char *email)
{
	size_t length = strlen(email);
	if (length < 3 || length > IDENTIFIER_EMAIL_MAX)
		return 0;
	const char *at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
		return 0;
	const char *domain = at + 1;
	const char *dot = strrchr(domain, '.');
	if (*domain == '\0' || dot == NULL || dot == domain || dot[1] == '\0' || domain[0] == '.')
		return 0;
	for (const char *p = email; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

int identifier_lowercase(const char *text, char *out, size_t out_size)
{
	size_t length = strlen(text);
	if (length >= out_size)
		return -1;
	for (size_t i = 0; i <= length; i++) {
		char c = text[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return 0;
}

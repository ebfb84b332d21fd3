/* Workspace names from the X-Workspace-ID header or a browser's Origin. */
#include "find/workspace.h"

#include <string.h>
#include <strings.h>

static int workspace_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int workspace_normalize(const char *header_value, char *out, size_t out_size)
{
	size_t length = header_value ? strlen(header_value) : 0;
	if (length == 0 || length > WORKSPACE_MAX || length >= out_size)
		return -1;
	for (size_t i = 0; i < length; i++) {
		char c = header_value[i] == '.' ? '-' : header_value[i];
		if (!workspace_char_ok(c))
			return -1;
		out[i] = c;
	}
	out[length] = '\0';
	return 0;
}

int workspace_from_origin(const char *origin, char *out, size_t out_size)
{
	if (origin == NULL)
		return -1;
	const char *host;
	if (strncasecmp(origin, "https://", 8) == 0)
		host = origin + 8;
	else if (strncasecmp(origin, "http://", 7) == 0)
		host = origin + 7;
	else
		return -1;
	size_t host_length = strcspn(host, ":/");
	const char *rest = host + host_length;
	if (*rest == ':') { /* a port: digits only, then the end */
		rest++;
		size_t digits = strspn(rest, "0123456789");
		if (digits == 0 || digits > 5)
			return -1;
		rest += digits;
	}
	if (*rest != '\0' || host_length == 0 || host_length > WORKSPACE_MAX || host_length >= out_size)
		return -1;
	for (size_t i = 0; i < host_length; i++) {
		char c = host[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.')
			c = '-';
		if (!workspace_char_ok(c))
			return -1;
		out[i] = c;
	}
	out[host_length] = '\0';
	return 0;
}

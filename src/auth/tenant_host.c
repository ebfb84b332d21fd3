/* Host header parsing for tenant subdomains. */
#include "auth/tenant_host.h"
#include "core/identifiers.h"

#include <string.h>
#include <strings.h>

int tenant_host_slug(const char *host, const char *base_domain, char *slug_out, size_t slug_size)
{
	if (host == NULL || base_domain == NULL || base_domain[0] == '\0')
		return 0;
	size_t host_length = strcspn(host, ":"); /* drop the port */
	size_t base_length = strlen(base_domain);
	if (host_length > 253 || host_length <= base_length + 1)
		return 0;
	const char *suffix = host + host_length - base_length;
	if (suffix[-1] != '.' || strncasecmp(suffix, base_domain, base_length) != 0)
		return 0;
	size_t label_length = (size_t)(suffix - 1 - host);
	if (label_length == 0 || label_length >= slug_size || memchr(host, '.', label_length) != NULL)
		return 0;
	for (size_t i = 0; i < label_length; i++) {
		char c = host[i];
		slug_out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	slug_out[label_length] = '\0';
	return identifier_is_valid_slug(slug_out);
}

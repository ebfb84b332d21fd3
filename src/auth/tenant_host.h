/* Tenant from the Host header: "<slug>.<base_domain>[:port]". */
#ifndef INTUKA_AUTH_TENANT_HOST_H
#define INTUKA_AUTH_TENANT_HOST_H

#include <stddef.h>

/* 1 and the slug in slug_out when host names a tenant under base_domain;
 * 0 when it does not (other host, bare base domain, no base_domain set). */
int tenant_host_slug(const char *host, const char *base_domain, char *slug_out, size_t slug_size);

#endif

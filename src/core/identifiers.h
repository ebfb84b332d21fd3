/* Shape rules for identifiers that clients and sysadmins type: tenant
 * slugs (they become DNS labels in <slug>.<base-domain>) and emails. */
#ifndef INTUKA_CORE_IDENTIFIERS_H
#define INTUKA_CORE_IDENTIFIERS_H

#include <stddef.h>

#define IDENTIFIER_SLUG_MAX 63
#define IDENTIFIER_EMAIL_MAX 254

/* Lowercase letters, digits and inner hyphens, 1..63 bytes. */
int identifier_is_valid_slug(const char *slug);
/* local@domain.tld with printable ASCII, no spaces, at most 254 bytes.
 * Deliverability is proven by mail, not by a pattern. */
int identifier_is_plausible_email(const char *email);
/* Lowercase ASCII copy into out; returns -1 if it does not fit. */
int identifier_lowercase(const char *text, char *out, size_t out_size);

#endif

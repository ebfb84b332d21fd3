/* The operator's credential: one key from the secrets file (operator_key)
 * that opens the operator API (tenants across the installation), and no
 * tenant's API. Compared in constant time; never logged. */
#ifndef INTUKA_AUTH_OPERATOR_KEY_H
#define INTUKA_AUTH_OPERATOR_KEY_H

/* 1 when presented is the configured key. Both are hashed first, so the
 * comparison takes the same time whatever the length or the first
 * differing byte; an empty configured key matches nothing. */
int operator_key_matches(const char *configured, const char *presented);

#endif

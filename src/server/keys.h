/* The JWT key ring built from the configuration's jwt_key.<kid> secrets.
 * Used at start (so --check and a reload refuse bad keys) and by each worker. */
#ifndef INTUKA_SERVER_KEYS_H
#define INTUKA_SERVER_KEYS_H

#include <stddef.h>

struct config;
struct jwt_keyring;

int server_keyring_from_config(const struct config *config, struct jwt_keyring *ring, char *error, size_t error_size);

#endif

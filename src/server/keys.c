/* Configuration secrets into a key ring. */
#include "server/keys.h"
#include "auth/jwt.h"
#include "core/config.h"

#include <stdio.h>

int server_keyring_from_config(const struct config *config, struct jwt_keyring *ring, char *error, size_t error_size)
{
	jwt_keyring_init(ring);
	for (int i = 0; i < config->jwt_key_count; i++) {
		char reason[256];
		if (jwt_keyring_add(ring, config->jwt_keys[i].kid, config->jwt_keys[i].secret, reason, sizeof(reason)) != 0) {
			snprintf(error, error_size, "jwt_key.%s: %s", config->jwt_keys[i].kid, reason);
			jwt_keyring_clear(ring);
			return -1;
		}
	}
	if (config->jwt_signing_kid[0] != '\0' && jwt_keyring_set_signing(ring, config->jwt_signing_kid) != 0) {
		snprintf(error, error_size, "jwt_signing_kid: %s is not a configured key", config->jwt_signing_kid);
		jwt_keyring_clear(ring);
		return -1;
	}
	return 0;
}

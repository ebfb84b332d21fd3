/* Confirming a caller served from a worker's cache. */
#include "auth/principal_confirm.h"
#include "auth/key_principal.h"
#include "auth/principal.h"
#include "db/db.h"
#include "http/request.h"

#include <string.h>

void principal_confirm_read(struct auth_context *auth, const char *value, size_t length)
{
	if (!auth->principal_unconfirmed)
		return;
	int same = value != NULL && auth->principal_fingerprint != NULL && length == PRINCIPAL_FINGERPRINT_CHARS &&
		strlen(auth->principal_fingerprint) == length && memcmp(value, auth->principal_fingerprint, length) == 0;
	auth->principal_unconfirmed = 0;
	auth->principal_changed = !same;
}

int principal_confirm_now(struct db *db, struct auth_context *auth)
{
	if (!auth->principal_unconfirmed)
		return DB_OK;
	if (auth->kind == AUTH_SECRET_KEY || auth->kind == AUTH_PUBLISHABLE_KEY)
		return key_principal_confirm(db, auth);
	return principal_confirm_session(db, auth);
}

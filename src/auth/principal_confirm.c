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

static int principal_confirm_row(void *callback_context, const struct db_row *row)
{
	if (row->column_count != 1)
		return 1;
	principal_confirm_read(callback_context, row->values[0], row->lengths[0]);
	return 0;
}

int principal_confirm_by(struct db *db, const struct db_statement_def *statement, const struct db_param *params,
	size_t param_count, struct auth_context *auth)
{
	int result = db_query(db, statement, params, param_count, principal_confirm_row, auth);
	/* No row cannot happen (a scalar subquery answers NULL): say changed
	 * rather than trust a caller nothing confirmed. */
	if (result == DB_OK && auth->principal_unconfirmed) {
		auth->principal_unconfirmed = 0;
		auth->principal_changed = 1;
	}
	return result;
}

int principal_confirm_now(struct db *db, struct auth_context *auth)
{
	if (!auth->principal_unconfirmed)
		return DB_OK;
	if (auth->kind == AUTH_SECRET_KEY || auth->kind == AUTH_PUBLISHABLE_KEY)
		return key_principal_confirm(db, auth);
	return principal_confirm_session(db, auth);
}

int principal_stands_now(struct db *db, struct auth_context *auth)
{
	if (auth->principal_unconfirmed && principal_confirm_now(db, auth) != DB_OK)
		return 0;
	return !auth->principal_changed;
}

/* Invitations by email, as stored: issued with a single-use token (kept as
 * its SHA-256 hash) valid ACCOUNT_LINK_TTL_S, renewed with a new token,
 * revoked, and taken once to create the user. Shared by the invitations
 * routes, the operator API (a tenant's first admin) and the accept flow;
 * holds no routes. */
#ifndef INTUKA_MODULES_INVITATION_H
#define INTUKA_MODULES_INVITATION_H

#include <stddef.h>
#include <stdint.h>

#include "auth/secret_token.h"
#include "core/identifiers.h"
#include "db/db.h"

#define INVITATION_TOKEN_PREFIX "iv1"

enum invitation_outcome {
	INVITATION_OK,
	INVITATION_USER_EXISTS,    /* a user of the tenant has this email */
	INVITATION_PENDING_EXISTS, /* a pending invitation has it: resend that one */
	INVITATION_NOT_RENEWABLE,  /* accepted or revoked */
	INVITATION_NOT_FOUND,
	INVITATION_FAILED,         /* see *result */
};

/* Inside the caller's transaction: a new pending invitation. invited_by is
 * the inviting user, 0 for the operator. token receives the text to mail. */
enum invitation_outcome invitation_issue(struct db *db, uint64_t tenant_id, const char *email, const char *name,
	uint64_t profile_id, uint64_t invited_by, char token[SECRET_TOKEN_TEXT_MAX], uint64_t *invitation_id, int *result);

/* Inside the caller's transaction: a new token and 72 more hours for a
 * pending or expired invitation (the old link stops working). */
enum invitation_outcome invitation_renew(struct db *db, uint64_t tenant_id, uint64_t invitation_id,
	char token[SECRET_TOKEN_TEXT_MAX], int *result);

/* What an invitation holds, for the routes and the accept flow. */
struct invitation_info {
	uint64_t invitation_id;
	char email[IDENTIFIER_EMAIL_MAX + 1];
	char name[201];
	uint64_t profile_id;
	char status[16]; /* pending, accepted, revoked, expired */
	int profile_exists;
	char profile_permissions[2000];
	int64_t profile_version;
	int tenant_active;
};

/* Inside the caller's transaction: the invitation by id (*found 0 when not
 * in this tenant), its row locked. */
int invitation_lock(struct db *db, uint64_t tenant_id, uint64_t invitation_id, struct invitation_info *out, int *found);
/* Inside the caller's transaction: the invitation a presented token names,
 * its row locked; *found 0 when none. */
int invitation_lock_by_token(struct db *db, uint64_t tenant_id, const unsigned char hash[SECRET_TOKEN_HASH_BYTES],
	struct invitation_info *out, int *found);
int invitation_revoke(struct db *db, uint64_t tenant_id, uint64_t invitation_id);
int invitation_mark_accepted(struct db *db, uint64_t tenant_id, uint64_t invitation_id, uint64_t user_id);

/* The tenant's display name and slug, for messages. Returns a db_result. */
int invitation_tenant_names(struct db *db, uint64_t tenant_id, char *name, size_t name_size, char *slug,
	size_t slug_size);

extern const struct statement_table invitation_statement_table;

#endif

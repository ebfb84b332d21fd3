/* Mail an administrator's action sends to a person: an invitation to join
 * a tenant, or the link to choose a new password after a forced reset.
 * Sent after the response (the mail command's time is not the client's),
 * through mail_command; a failure is logged with the request id. Holds no
 * routes. */
#ifndef INTUKA_MODULES_ACCOUNT_MAIL_H
#define INTUKA_MODULES_ACCOUNT_MAIL_H

#include <stdint.h>

struct request_context;

/* How long the links of these messages work. */
#define ACCOUNT_LINK_TTL_S (72 * 3600)

enum account_mail_kind {
	ACCOUNT_MAIL_INVITATION,   /* token "iv1...": POST /auth/invitations/accept */
	ACCOUNT_MAIL_FORCED_RESET, /* token "pr1...": POST /auth/password/reset */
};

/* Schedules the message for after the response (the request's one
 * after-response slot). to is a validated address; tenant_name and
 * tenant_slug appear in the body only, never in a header. */
void account_mail_later(struct request_context *context, enum account_mail_kind kind, const char *to,
	const char *token, const char *tenant_name, const char *tenant_slug);

#endif

/* Invitation and forced-reset messages, sent after the response. */
#include "modules/account_mail.h"
#include "auth/mailer.h"
#include "auth/secret_token.h"
#include "core/config.h"
#include "core/identifiers.h"
#include "core/log.h"
#include "handler/context.h"
#include "http/request.h"

#include <stdio.h>
#include <string.h>

#define ACCOUNT_MAIL_TIMEOUT_MS 10000

/* What the after-response step needs, kept in after_response_data. */
struct account_mail_job {
	enum account_mail_kind kind;
	char to[IDENTIFIER_EMAIL_MAX + 1];
	char token[SECRET_TOKEN_TEXT_MAX];
	char tenant_name[201];
	char tenant_slug[IDENTIFIER_SLUG_MAX + 1];
};
_Static_assert(sizeof(struct account_mail_job) <= sizeof(((struct request_context *)0)->after_response_data),
	"the mail job must fit after_response_data");

static void account_mail_send(struct request_context *context)
{
	struct account_mail_job job;
	memcpy(&job, context->after_response_data, sizeof(job));
	explicit_bzero(context->after_response_data, sizeof(context->after_response_data));
	const struct config *config = context->config;
	char body[2048];
	const char *subject;
	if (job.kind == ACCOUNT_MAIL_INVITATION) {
		subject = "You are invited";
		snprintf(body, sizeof(body),
			"You are invited to join %s (%s).\n\nOpen this link within 72 hours to choose your password:\n%s%s\n\n"
			"The link works once. If you did not expect this, ignore this message.\n",
			job.tenant_name, job.tenant_slug, config->invitation_url, job.token);
	} else {
		subject = "Choose a new password";
		snprintf(body, sizeof(body),
			"An administrator of %s (%s) asked you to choose a new password; your current password no longer "
			"works.\n\nOpen this link within 72 hours:\n%s%s\n\nThe link works once.\n",
			job.tenant_name, job.tenant_slug, config->password_reset_url, job.token);
	}
	struct mail_message message = {config->mail_from, job.to, subject, body};
	if (mailer_send(config->mail_command, &message, ACCOUNT_MAIL_TIMEOUT_MS) != 0)
		log_msg(LOG_LEVEL_ERROR, context->request->request_id, "%s mail could not be sent",
			job.kind == ACCOUNT_MAIL_INVITATION ? "invitation" : "password reset");
	explicit_bzero(body, sizeof(body));
	explicit_bzero(&job, sizeof(job));
}

void account_mail_later(struct request_context *context, enum account_mail_kind kind, const char *to,
	const char *token, const char *tenant_name, const char *tenant_slug)
{
	struct account_mail_job job;
	memset(&job, 0, sizeof(job));
	job.kind = kind;
	snprintf(job.to, sizeof(job.to), "%s", to);
	snprintf(job.token, sizeof(job.token), "%s", token);
	snprintf(job.tenant_name, sizeof(job.tenant_name), "%s", tenant_name ? tenant_name : "");
	snprintf(job.tenant_slug, sizeof(job.tenant_slug), "%s", tenant_slug ? tenant_slug : "");
	memcpy(context->after_response_data, &job, sizeof(job));
	explicit_bzero(&job, sizeof(job));
	context->after_response = account_mail_send;
}

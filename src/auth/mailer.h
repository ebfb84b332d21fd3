/* Outgoing mail through a sendmail-compatible command (`mail_command`,
 * e.g. "/usr/sbin/sendmail -t -i"): the message, headers included, is
 * written to its standard input. Tests point the command at a script that
 * captures the message. */
#ifndef INTUKA_AUTH_MAILER_H
#define INTUKA_AUTH_MAILER_H

struct mail_message {
	const char *from;
	const char *to;      /* validated address: no CR, LF or spaces */
	const char *subject;
	const char *body;
};

/* Runs command through /bin/sh and waits at most timeout_ms. 0 when the
 * command read the message and exited 0. */
int mailer_send(const char *command, const struct mail_message *message, int timeout_ms);

#endif

/* Service manager notifications (the sd_notify protocol): one datagram per
 * state change to the socket systemd names in NOTIFY_SOCKET. Written here in
 * a few lines rather than linked from libsystemd, so the same binary runs
 * unchanged where there is no systemd (shared hosting, mod_fcgid, lighttpd
 * bin-path) and a build needs no systemd headers. */
#ifndef INTUKA_SERVER_NOTIFY_H
#define INTUKA_SERVER_NOTIFY_H

/* Sends state (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET. Returns 1
 * when sent, 0 when no service manager listens (NOTIFY_SOCKET unset), -1 on
 * error with errno set (EINVAL for an address we cannot use). */
int notify_send(const char *state);

#endif

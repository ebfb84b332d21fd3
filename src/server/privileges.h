/* Dropping root after the socket is bound and the secrets are read. */
#ifndef INTUKA_SERVER_PRIVILEGES_H
#define INTUKA_SERVER_PRIVILEGES_H

#include <stddef.h>
#include <sys/types.h>

/* Look up user_name; fills uid/gid. Returns -1 with a reason if unknown. */
int privileges_lookup(const char *user_name, uid_t *uid, gid_t *gid, char *error, size_t error_size);
/* setgid + initgroups + setuid, verified (a drop that can be undone is refused). */
int privileges_drop(const char *user_name, uid_t uid, gid_t gid, char *error, size_t error_size);

#endif

/* Identity change for the master and its workers. */
#include "server/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privileges_lookup(const char *user_name, uid_t *uid, gid_t *gid, char *error, size_t error_size)
{
	errno = 0;
	struct passwd *entry = getpwnam(user_name);
	if (entry == NULL) {
		snprintf(error, error_size, "user \"%s\" does not exist", user_name);
		return -1;
	}
	*uid = entry->pw_uid;
	*gid = entry->pw_gid;
	return 0;
}

int privileges_drop(const char *user_name, uid_t uid, gid_t gid, char *error, size_t error_size)
{
	if (setgid(gid) != 0 || initgroups(user_name, gid) != 0 || setuid(uid) != 0) {
		snprintf(error, error_size, "cannot switch to user %s: %s", user_name, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		snprintf(error, error_size, "privilege drop to %s could be undone; refusing to run", user_name);
		return -1;
	}
	return 0;
}

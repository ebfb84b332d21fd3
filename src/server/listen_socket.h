/* The listening socket: bound by the master (unix path or HOST:PORT) or
 * inherited on fd 0 from a web server that spawned us. */
#ifndef INTUKA_SERVER_LISTEN_SOCKET_H
#define INTUKA_SERVER_LISTEN_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

/* 1 when fd is a listening stream socket (FastCGI spawn convention on fd 0). */
int listen_socket_is_inherited(int fd);
/* Bind and listen. A stale unix socket file is replaced; a live one is an
 * error. owner_uid/gid (-1 to keep) chown a unix socket for the service user. */
int listen_socket_open(const char *address, int backlog, int socket_mode, uid_t owner_uid, gid_t owner_gid,
	char *error, size_t error_size);
int listen_socket_is_unix_path(const char *address);

#endif

/* Socket creation for the master. */
#include "server/listen_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int listen_socket_is_inherited(int fd)
{
	int accepting = 0;
	socklen_t length = sizeof(accepting);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) != 0)
		return 0;
	return accepting != 0;
}

int listen_socket_is_unix_path(const char *address)
{
	return strchr(address, '/') != NULL;
}

static int listen_socket_open_unix(const char *path, int backlog, int socket_mode, uid_t owner_uid,
	gid_t owner_gid, char *error, size_t error_size)
{
	struct sockaddr_un socket_address;
	memset(&socket_address, 0, sizeof(socket_address));
	socket_address.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(socket_address.sun_path)) {
		snprintf(error, error_size, "listen: unix socket path longer than %zu bytes",
			sizeof(socket_address.sun_path) - 1);
		return -1;
	}
	memcpy(socket_address.sun_path, path, strlen(path) + 1);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(error, error_size, "socket: %s", strerror(errno));
		return -1;
	}
	struct stat info;
	if (lstat(path, &info) == 0) {
		if (!S_ISSOCK(info.st_mode)) {
			snprintf(error, error_size, "listen: %s exists and is not a socket", path);
			close(fd);
			return -1;
		}
		/* Only a socket nobody answers on is stale; never steal a live one. */
		if (connect(fd, (struct sockaddr *)&socket_address, sizeof(socket_address)) == 0) {
			snprintf(error, error_size, "listen: %s is in use by another running server", path);
			close(fd);
			return -1;
		}
		unlink(path);
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(error, error_size, "socket: %s", strerror(errno));
			return -1;
		}
	}
	/* Create the socket with no access, then open it up once it has the
	 * intended owner and mode. */
	mode_t old_mask = umask(0777);
	int bound = bind(fd, (struct sockaddr *)&socket_address, sizeof(socket_address));
	umask(old_mask);
	if (bound != 0) {
		snprintf(error, error_size, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((owner_uid != (uid_t)-1 || owner_gid != (gid_t)-1) && chown(path, owner_uid, owner_gid) != 0) {
		snprintf(error, error_size, "chown %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (chmod(path, (mode_t)socket_mode) != 0 || listen(fd, backlog) != 0) {
		snprintf(error, error_size, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int listen_socket_open_tcp(const char *address, int backlog, char *error, size_t error_size)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	if (colon == NULL || colon == address || (size_t)(colon - address) >= sizeof(host) || colon[1] == '\0') {
		snprintf(error, error_size, "listen: expected a unix socket path or HOST:PORT, got \"%s\"", address);
		return -1;
	}
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	/* "[::1]:9000" */
	char *host_start = host;
	size_t host_length = strlen(host);
	if (host[0] == '[' && host[host_length - 1] == ']') {
		host[host_length - 1] = '\0';
		host_start = host + 1;
	}
	struct addrinfo hints, *results = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int lookup = getaddrinfo(host_start, colon + 1, &hints, &results);
	if (lookup != 0) {
		snprintf(error, error_size, "listen %s: %s", address, gai_strerror(lookup));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *candidate = results; candidate != NULL; candidate = candidate->ai_next) {
		fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, candidate->ai_protocol);
		if (fd < 0)
			continue;
		int reuse = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
		if (bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && listen(fd, backlog) == 0)
			break;
		snprintf(error, error_size, "bind %s: %s", address, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(results);
	return fd;
}

int listen_socket_open(const char *address, int backlog, int socket_mode, uid_t owner_uid, gid_t owner_gid,
	char *error, size_t error_size)
{
	if (listen_socket_is_unix_path(address))
		return listen_socket_open_unix(address, backlog, socket_mode, owner_uid, owner_gid, error, error_size);
	return listen_socket_open_tcp(address, backlog, error, error_size);
}

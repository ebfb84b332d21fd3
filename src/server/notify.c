/* The sd_notify datagram: a unix socket path, or an abstract one written
 * with a leading '@'. */
#include "server/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_send(const char *state)
{
	const char *address = getenv("NOTIFY_SOCKET");
	if (address == NULL || address[0] == '\0')
		return 0;
	struct sockaddr_un destination;
	memset(&destination, 0, sizeof(destination));
	destination.sun_family = AF_UNIX;
	size_t address_length = strlen(address);
	/* Only absolute paths and abstract names: a relative path would depend
	 * on our working directory, not on what the manager meant. */
	if ((address[0] != '/' && address[0] != '@') || address_length < 2 ||
		address_length >= sizeof(destination.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(destination.sun_path, address, address_length);
	if (address[0] == '@')
		destination.sun_path[0] = '\0';
	socklen_t destination_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + address_length +
		(address[0] == '/' ? 1 : 0));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	size_t state_length = strlen(state);
	ssize_t sent = sendto(fd, state, state_length, MSG_NOSIGNAL, (const struct sockaddr *)&destination,
		destination_length);
	int saved_errno = errno;
	close(fd);
	if (sent < 0 || (size_t)sent != state_length) {
		errno = sent < 0 ? saved_errno : EMSGSIZE;
		return -1;
	}
	return 1;
}

/* sd_notify by hand: what reaches the socket systemd names in NOTIFY_SOCKET. */
#include "unit_suites.h"
#include "server/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A datagram socket bound where a service manager would listen. address is
 * a path, or "@name" for an abstract socket. Returns the fd or -1. */
static int notify_test_listen(const char *address)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un local;
	memset(&local, 0, sizeof(local));
	local.sun_family = AF_UNIX;
	size_t length = strlen(address);
	memcpy(local.sun_path, address, length);
	if (address[0] == '@')
		local.sun_path[0] = '\0';
	socklen_t local_length =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + (address[0] == '@' ? 0 : 1));
	if (bind(fd, (struct sockaddr *)&local, local_length) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void notify_test_receive(int fd, char *buffer, size_t buffer_size)
{
	ssize_t received = recv(fd, buffer, buffer_size - 1, MSG_DONTWAIT);
	buffer[received > 0 ? received : 0] = '\0';
}

static void notify_sends_the_state_to_a_path_socket(void)
{
	char directory[] = "/tmp/intuka-notify-test.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char path[256], received[256];
	snprintf(path, sizeof(path), "%s/notify", directory);
	int fd = notify_test_listen(path);
	CU_ASSERT_FATAL(fd >= 0);
	setenv("NOTIFY_SOCKET", path, 1);
	CU_ASSERT_EQUAL(notify_send("READY=1\nSTATUS=serving"), 1);
	notify_test_receive(fd, received, sizeof(received));
	CU_ASSERT_STRING_EQUAL(received, "READY=1\nSTATUS=serving");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	rmdir(directory);
}

static void notify_sends_the_state_to_an_abstract_socket(void)
{
	char address[64], received[256];
	snprintf(address, sizeof(address), "@intuka-notify-test-%ld", (long)getpid());
	int fd = notify_test_listen(address);
	CU_ASSERT_FATAL(fd >= 0);
	setenv("NOTIFY_SOCKET", address, 1);
	CU_ASSERT_EQUAL(notify_send("STOPPING=1"), 1);
	notify_test_receive(fd, received, sizeof(received));
	CU_ASSERT_STRING_EQUAL(received, "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void notify_without_a_service_manager_does_nothing(void)
{
	unsetenv("NOTIFY_SOCKET");
	CU_ASSERT_EQUAL(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CU_ASSERT_EQUAL(notify_send("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void notify_refuses_unusable_addresses(void)
{
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	errno = 0;
	CU_ASSERT_EQUAL(notify_send("READY=1"), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	char too_long[200];
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[0] = '/';
	too_long[sizeof(too_long) - 1] = '\0';
	setenv("NOTIFY_SOCKET", too_long, 1);
	CU_ASSERT_EQUAL(notify_send("READY=1"), -1);
	/* Nobody listens there: an error, not a silent success. */
	setenv("NOTIFY_SOCKET", "/nonexistent-dir/notify", 1);
	CU_ASSERT_EQUAL(notify_send("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

int register_notify_suite(void)
{
	static const struct unit_test tests[] = {
		{.name = "notify: the state reaches a path socket", .function = notify_sends_the_state_to_a_path_socket},
		{.name = "notify: the state reaches an abstract socket",
			.function = notify_sends_the_state_to_an_abstract_socket},
		{.name = "notify: without a service manager nothing is sent",
			.function = notify_without_a_service_manager_does_nothing},
		{.name = "notify: unusable addresses are refused", .function = notify_refuses_unusable_addresses},
	};
	return UNIT_SUITE("notify", tests);
}

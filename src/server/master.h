/* The pre-forking master: keeps N workers alive on one listening socket,
 * recycles, reloads and drains them. Signal handlers only set flags; the
 * loop in master_run acts on them. */
#ifndef INTUKA_SERVER_MASTER_H
#define INTUKA_SERVER_MASTER_H

#include "core/config.h"

struct master_options {
	const char *config_path;
	int listen_fd;
	int owns_socket_path; /* remove the unix socket on exit */
};

/* Runs until SIGTERM/SIGINT; returns the process exit status. config is the
 * master's copy and is replaced on a successful reload. */
int master_run(const struct master_options *options, struct config *config);

#endif

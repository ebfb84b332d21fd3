/* A worker: accepts FastCGI requests on the shared socket and runs each
 * through the pipeline until told to stop or recycled. */
#ifndef INTUKA_SERVER_WORKER_H
#define INTUKA_SERVER_WORKER_H

struct config;

/* Exit status the master must not answer with a respawn (bad setup that a
 * restart cannot fix). Matches EX_CONFIG. */
#define WORKER_EXIT_FATAL 78

/* Serve until SIGTERM or max_requests_per_worker; returns the exit status. */
int worker_run(const struct config *config, int listen_fd);

#endif

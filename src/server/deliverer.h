/* The webhook delivery process (intukad --deliver-webhooks): a loop that
 * claims due deliveries from MariaDB, sends them and records the outcome,
 * until SIGTERM or SIGINT. Several may run, on one node or many: claims
 * never overlap (compare-and-set claims, claim tokens; also across the nodes
 * of a Galera cluster) and a process that dies leaves
 * its claims to be retried when their lease ends. */
#ifndef INTUKA_SERVER_DELIVERER_H
#define INTUKA_SERVER_DELIVERER_H

struct config;

/* Runs until asked to stop; 0 on a clean stop. pid_file may be NULL. */
int deliverer_run(const struct config *config, const char *pid_file);

#endif

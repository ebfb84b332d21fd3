/* The embedding process (intukad --embed): a loop that claims queued
 * products and posts (find/embedding_store.h), asks the installation's
 * provider for their vectors in batches and stores them, until SIGTERM or
 * SIGINT. Several may run, on one node or many: a claim is a
 * compare-and-set on the queue row with a lease, and the rows of a process
 * that dies are taken again when their lease ends. */
#ifndef INTUKA_SERVER_EMBEDDER_H
#define INTUKA_SERVER_EMBEDDER_H

struct config;

/* Runs until asked to stop; 0 on a clean stop. pid_file may be NULL. */
int embedder_run(const struct config *config, const char *pid_file);

#endif

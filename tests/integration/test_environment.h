/*
 * The INTUKA_TEST_* variables that describe the stack under test, read once at
 * start-up. Empty strings mean "not available here" (e.g. no master pid file
 * under mod_fcgid), never an error by themselves.
 */
#ifndef INTUKA_ITEST_TEST_ENVIRONMENT_H
#define INTUKA_ITEST_TEST_ENVIRONMENT_H

#include <stdbool.h>

struct test_environment {
	const char *base_url;          /* e.g. http://127.0.0.1:8080, no trailing slash needed */
	const char *flavour;           /* lighttpd | apache | fcgid | package | shared */
	const char *master_pid_file;   /* "" under fcgid: Apache owns the processes */
	const char *intukad_start_command; /* shell command starting the master again; "" under fcgid */
	const char *db_stop_command;   /* shell command, must exit 0 once MariaDB is down */
	const char *db_start_command;  /* shell command, must exit 0 once MariaDB accepts again */
	const char *db_sql_command;    /* shell command running SQL from stdin on the app database */
	const char *config_file;       /* intukad/intuka-admin configuration of this stack */
	const char *admin_binary;      /* path of intuka-admin */
	/* Database nodes the stack's workers may move between (db_hosts of a
	 * Galera cluster): 1 for a single server. */
	int db_nodes;
};

/* Points at getenv() storage: valid for the whole run, nothing to free. */
extern struct test_environment test_environment;

/*
 * Fills test_environment. Returns false (after printing why) when the
 * environment cannot describe a usable stack; main then exits 64.
 */
bool test_environment_load(void);

void test_environment_print_usage(const char *program_name);

static inline bool test_environment_has(const char *value)
{
	return value != 0 && value[0] != '\0';
}

#endif

/*
 * Reads and sanity-checks the INTUKA_TEST_* variables. Requests only ever go
 * to a loopback base URL: the anomaly tests signal local processes by pid, so
 * a remote stack could never be the one being tested.
 */
#include "test_environment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_environment test_environment;

static const char *environment_value(const char *name)
{
	const char *value = getenv(name);
	return value != NULL ? value : "";
}

static bool base_url_is_loopback(const char *base_url)
{
	static const char *const loopback_prefixes[] = {
		"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
		"http://[::1]:", "http://[::1]/",
	};
	static const char *const loopback_exact[] = {
		"http://127.0.0.1", "http://localhost", "http://[::1]",
	};

	for (size_t i = 0; i < sizeof loopback_prefixes / sizeof loopback_prefixes[0]; i++) {
		if (strncmp(base_url, loopback_prefixes[i], strlen(loopback_prefixes[i])) == 0)
			return true;
	}
	for (size_t i = 0; i < sizeof loopback_exact / sizeof loopback_exact[0]; i++) {
		if (strcmp(base_url, loopback_exact[i]) == 0)
			return true;
	}
	return false;
}

bool test_environment_load(void)
{
	test_environment.base_url = environment_value("INTUKA_TEST_BASE_URL");
	test_environment.flavour = environment_value("INTUKA_TEST_FLAVOUR");
	test_environment.master_pid_file = environment_value("INTUKA_TEST_MASTER_PIDFILE");
	test_environment.intukad_start_command = environment_value("INTUKA_TEST_INTUKAD_START_CMD");
	test_environment.db_stop_command = environment_value("INTUKA_TEST_DB_STOP_CMD");
	test_environment.db_sql_command = environment_value("INTUKA_TEST_DB_SQL_CMD");
	test_environment.db_start_command = environment_value("INTUKA_TEST_DB_START_CMD");
	test_environment.config_file = environment_value("INTUKA_TEST_CONFIG");
	test_environment.admin_binary = environment_value("INTUKA_TEST_ADMIN");
	test_environment.db_nodes = atoi(environment_value("INTUKA_TEST_DB_NODES"));
	if (test_environment.db_nodes < 1)
		test_environment.db_nodes = 1;

	if (!test_environment_has(test_environment.base_url)) {
		fprintf(stderr, "intuka-itest: INTUKA_TEST_BASE_URL is not set\n");
		return false;
	}
	if (!base_url_is_loopback(test_environment.base_url)) {
		fprintf(stderr, "intuka-itest: INTUKA_TEST_BASE_URL must be a plain http:// loopback URL "
						"(127.0.0.1, localhost or [::1]), got \"%s\"\n",
				test_environment.base_url);
		return false;
	}
	if (test_environment_has(test_environment.flavour)
		&& strcmp(test_environment.flavour, "lighttpd") != 0
		&& strcmp(test_environment.flavour, "apache") != 0
		&& strcmp(test_environment.flavour, "fcgid") != 0
		&& strcmp(test_environment.flavour, "package") != 0
		&& strcmp(test_environment.flavour, "shared") != 0) {
		fprintf(stderr, "intuka-itest: INTUKA_TEST_FLAVOUR must be lighttpd, apache, fcgid, package or shared, "
						"got \"%s\"\n",
				test_environment.flavour);
		return false;
	}
	return true;
}

void test_environment_print_usage(const char *program_name)
{
	fprintf(stderr,
			"usage: %s [SUITE...]   (contract, anomaly, admin, identity, sales, hr, finance, find_access,\n"
			"       find_insights, find_content, find_chat, find_webhooks, find_queries,\n"
			"       slow_readers, web_errors, sdk_contract, smoke; none: all)\n"
			"Runs the Intuka integration tests against a running stack (all suites when no name is given).\n"
			"Environment:\n"
			"  INTUKA_TEST_BASE_URL        required, loopback, e.g. http://127.0.0.1:8080\n"
			"  INTUKA_TEST_FLAVOUR         lighttpd | apache | fcgid\n"
			"  INTUKA_TEST_MASTER_PIDFILE  pid file of the intukad master (empty under fcgid)\n"
			"  INTUKA_TEST_INTUKAD_START_CMD  shell command starting that master again (exit 0)\n"
			"  INTUKA_TEST_DB_STOP_CMD     shell command stopping MariaDB (exit 0)\n"
			"  INTUKA_TEST_DB_SQL_CMD      shell command running SQL from stdin on the app database\n"
			"  INTUKA_TEST_DB_START_CMD    shell command starting MariaDB (exit 0)\n"
			"  INTUKA_TEST_CONFIG          configuration file of the stack (for intuka-admin -c)\n"
			"  INTUKA_TEST_ADMIN           path of the intuka-admin binary\n"
			"  INTUKA_TEST_DB_NODES        database nodes of db_hosts (a Galera cluster; default 1)\n"
			"  INTUKA_TEST_DELIVERY_PIDFILE    pid file of the webhook delivery process\n"
			"  INTUKA_TEST_DELIVERY_START_CMD  shell command starting it again (exit 0)\n"
			"  INTUKA_TEST_CONTRACT_DIR    directory of the SDK contract tables (default: the source tree's)\n"
			"Tests whose variables are empty are reported as skipped (CUnit: inactive).\n"
			"Exit status: 0 all passed, 1 a test failed, 64 usage error.\n",
			program_name);
}

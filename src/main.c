/* intukad: reads arguments and configuration, then picks the launch mode:
 * bind and pre-fork; pre-fork on a socket inherited on fd 0 (lighttpd
 * bin-path, spawn-fcgi); serve in this one process (--single, for Apache
 * mod_fcgid, which manages processes itself); or send webhook deliveries
 * (--deliver-webhooks: a process of its own beside whichever of the others
 * serves the API, so it runs the same way under every web server); or
 * compute the embeddings of products and posts (--embed, the same way). */
#include "config.h"
#include "core/config.h"
#include "core/log.h"
#include "flow/registry.h"
#include "auth/jwt.h"
#include "server/keys.h"
#include "server/listen_socket.h"
#include "server/deliverer.h"
#include "server/embedder.h"
#include "server/master.h"
#include "server/pid_file.h"
#include "server/privileges.h"
#include "server/worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 64
#define EXIT_CONFIG 78

static void main_usage(FILE *out)
{
	fprintf(out,
		"usage: intukad -c FILE [--check] [--single | --deliver-webhooks | --embed [--pid-file FILE]]\n"
		"  -c, --config FILE  configuration file (default " INTUKA_DEFAULT_CONFIG ")\n"
		"      --check        validate the configuration and secrets file, then exit\n"
		"      --single       serve on the socket inherited on fd 0 in this process (mod_fcgid)\n"
		"      --deliver-webhooks  send the find API's webhook deliveries until SIGTERM\n"
		"      --embed             compute the embeddings of queued products and posts until SIGTERM\n"
		"      --pid-file FILE     with --deliver-webhooks or --embed: write its pid there\n"
		"  -V, --version      print the version\n");
}

/* From here on log lines go where the configuration says; a log file that
 * cannot be opened is a configuration error, said on stderr. */
static int main_apply_logging(const struct config *config)
{
	char error[CONFIG_ERROR_MAX];
	if (log_configure(config->log_target, config->log_level, config->log_file, "intukad", error, sizeof(error)) !=
		0) {
		log_error("configuration error: %s", error);
		return -1;
	}
	return 0;
}

/* The delivery and embedding processes drop to the service user like the
 * master does; they need no socket and no privileged resource. */
static int main_background(const struct config *config, const char *pid_file, int embed)
{
	char error[CONFIG_ERROR_MAX];
	if (config->user[0] != '\0' && geteuid() == 0) {
		uid_t service_uid;
		gid_t service_gid;
		if (privileges_lookup(config->user, &service_uid, &service_gid, error, sizeof(error)) != 0 ||
			privileges_drop(config->user, service_uid, service_gid, error, sizeof(error)) != 0) {
			log_error("configuration error: user: %s", error);
			return EXIT_CONFIG;
		}
	}
	return embed ? embedder_run(config, pid_file) : deliverer_run(config, pid_file);
}

int main(int argc, char **argv)
{
	const char *config_path = INTUKA_DEFAULT_CONFIG;
	int check_only = 0;
	int single_process = 0;
	int deliver_webhooks = 0;
	int embed = 0;
	const char *deliverer_pid_file = NULL;
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"single", no_argument, NULL, 's'},
		{"deliver-webhooks", no_argument, NULL, 'w'},
		{"embed", no_argument, NULL, 'e'},
		{"pid-file", required_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int option;
	while ((option = getopt_long(argc, argv, "c:Vh", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			config_path = optarg;
			break;
		case 'k':
			check_only = 1;
			break;
		case 's':
			single_process = 1;
			break;
		case 'w':
			deliver_webhooks = 1;
			break;
		case 'e':
			embed = 1;
			break;
		case 'p':
			deliverer_pid_file = optarg;
			break;
		case 'V':
			printf("intukad %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			main_usage(stdout);
			return 0;
		default:
			main_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || deliver_webhooks + single_process + embed > 1 ||
		(deliverer_pid_file && !deliver_webhooks && !embed)) {
		main_usage(stderr);
		return EXIT_USAGE;
	}

	static struct config config; /* the master's copy; workers inherit it */
	char error[CONFIG_ERROR_MAX];
	log_init(LOG_TARGET_STDERR, LOG_LEVEL_INFO, "intukad");
	if (config_load(&config, config_path, error, sizeof(error)) != 0 ||
		registry_prepare(&config, error, sizeof(error)) != 0) {
		log_error("configuration error: %s", error);
		return EXIT_CONFIG;
	}
	static struct jwt_keyring keyring;
	if (server_keyring_from_config(&config, &keyring, error, sizeof(error)) != 0) {
		log_error("configuration error: %s", error);
		return EXIT_CONFIG;
	}
	jwt_keyring_clear(&keyring);
	if (check_only) {
		printf("%s: configuration ok\n", config_path);
		return 0;
	}
	if (main_apply_logging(&config) != 0)
		return EXIT_CONFIG;
	/* Once, before any fork: workers send /test deliveries, the deliverer all others. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("libcurl initialisation failed");
		return 1;
	}
	if (deliver_webhooks || embed)
		return main_background(&config, deliverer_pid_file, embed);

	int inherited = listen_socket_is_inherited(STDIN_FILENO);
	if (single_process) {
		if (!inherited) {
			log_error("--single needs a listening socket on fd 0 (as mod_fcgid provides)");
			return EXIT_USAGE;
		}
		return worker_run(&config, STDIN_FILENO);
	}

	uid_t service_uid = (uid_t)-1;
	gid_t service_gid = (gid_t)-1;
	int drop_privileges = config.user[0] != '\0' && geteuid() == 0;
	if (drop_privileges &&
		privileges_lookup(config.user, &service_uid, &service_gid, error, sizeof(error)) != 0) {
		log_error("configuration error: user: %s", error);
		return EXIT_CONFIG;
	}

	int listen_fd = STDIN_FILENO;
	int owns_socket_path = 0;
	if (!inherited) {
		listen_fd = listen_socket_open(config.listen, config.listen_backlog, config.socket_mode, service_uid,
			service_gid, error, sizeof(error));
		if (listen_fd < 0) {
			log_error("%s", error);
			return 1;
		}
		owns_socket_path = listen_socket_is_unix_path(config.listen);
	}
	if (config.pid_file[0] != '\0' && pid_file_write(config.pid_file) != 0) {
		log_error("cannot write pid_file %s: %s", config.pid_file, strerror(errno));
		return 1;
	}
	if (drop_privileges && privileges_drop(config.user, service_uid, service_gid, error, sizeof(error)) != 0) {
		log_error("%s", error);
		return 1;
	}

	struct master_options options = {
		.config_path = config_path, .listen_fd = listen_fd, .owns_socket_path = owns_socket_path};
	int exit_status = master_run(&options, &config);

	if (owns_socket_path && unlink(config.listen) != 0)
		log_warn("cannot remove socket %s: %s", config.listen, strerror(errno));
	if (config.pid_file[0] != '\0' && unlink(config.pid_file) != 0)
		log_warn("cannot remove pid_file %s: %s", config.pid_file, strerror(errno));
	return exit_status;
}

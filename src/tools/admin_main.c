/* intuka-admin: the sysadmin's command line for schema migrations, tenants,
 * users, find API plans and a health check. Clear messages on stderr, sysexits-style codes. */
#include "config.h"
#include "core/config.h"
#include "flow/registry.h"
#include "core/log.h"
#include "db/db.h"
#include "tools/admin.h"

#include <stdio.h>
#include <string.h>

static void admin_usage(FILE *out)
{
	fprintf(out,
		"usage: intuka-admin [-c FILE] COMMAND ...\n"
		"  migrate [--dir DIR]                     apply pending schema migrations\n"
		"  tenant create SLUG NAME                 create a tenant\n"
		"  tenant list                             list tenants\n"
		"  tenant suspend SLUG [--reason TEXT]     refuse the tenant's users and keys (403 TENANT_SUSPENDED)\n"
		"  tenant resume SLUG                      reactivate a suspended tenant\n"
		"  tenant export SLUG DIR                  every row of the tenant, one JSON-lines file per table in DIR\n"
		"  tenant delete SLUG --export-dir DIR     a suspended tenant: export to DIR, then erase every row\n"
		"  user create TENANT_SLUG EMAIL [--name NAME]\n"
		"                                          create a user (password from INTUKA_USER_PASSWORD or stdin)\n"
		"  find-plan show SLUG                     the tenant's find API plan\n"
		"  find-plan set SLUG PLAN [OPTIONS]       set it: PLAN is free, starter, pro or business; options\n"
		"      --trial-ends DATE|none --trial-days N --status active|inactive --search-quota N\n"
		"      --chat-quota N --recommendations-quota N --max-products N --max-posts N --max-prompts N\n"
		"      --max-taxonomies N --max-webhooks N --rate-per-minute N --rate-per-hour N\n"
		"  find-webhook-emit SLUG EVENT [--workspace NAME] [--data JSON]\n"
		"                                          queue an event for the tenant's webhooks (as a content write would)\n"
		"  find-chat-model set SLUG [--base-url URL] [--model NAME] [--api-key-file FILE] [--timeout-ms N] [--off]\n"
		"                                          the tenant's own language model for chat (docs/chat.md)\n"
		"  find-chat-model clear SLUG              back to the installation's chat_llm_* settings\n"
		"  find-reindex [SLUG]                     rebuild the find search index of every tenant, or of one\n"
		"  health                                  check the database and the schema version\n"
		"  -c FILE   configuration file (default " INTUKA_DEFAULT_CONFIG ")\n");
}

void admin_report_db_error(const struct admin_context *context, const char *what)
{
	const struct config *config = context->config;
	if (config->db_socket[0] != '\0')
		fprintf(stderr, "intuka-admin: %s: database %s via %s as %s: %s\n", what, config->db_name,
			config->db_socket, config->db_user, db_last_error(context->db));
	else
		fprintf(stderr, "intuka-admin: %s: database %s at %s:%d as %s: %s\n", what, config->db_name,
			config->db_host, config->db_port, config->db_user, db_last_error(context->db));
}

int admin_health(struct admin_context *context)
{
	if (db_ensure_connected(context->db) != DB_OK) {
		admin_report_db_error(context, "health");
		return ADMIN_EXIT_FAILURE;
	}
	long long version = 0;
	if (admin_schema_version(context, &version) != 0) {
		admin_report_db_error(context, "reading the schema version (has migrate run?)");
		return ADMIN_EXIT_FAILURE;
	}
	int latest = admin_latest_available_version(context->migrations_dir);
	printf("database: ok\nschema version: %lld\n", version);
	if (latest >= 0)
		printf("latest available migration: %d\n", latest);
	if (latest > version) {
		fprintf(stderr, "intuka-admin: schema is behind; run intuka-admin migrate\n");
		return ADMIN_EXIT_FAILURE;
	}
	return ADMIN_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *config_path = INTUKA_DEFAULT_CONFIG;
	int next = 1;
	if (next < argc && (strcmp(argv[next], "-h") == 0 || strcmp(argv[next], "--help") == 0)) {
		admin_usage(stdout);
		return ADMIN_EXIT_OK;
	}
	if (next + 1 < argc && strcmp(argv[next], "-c") == 0) {
		config_path = argv[next + 1];
		next += 2;
	}
	if (next >= argc) {
		admin_usage(stderr);
		return ADMIN_EXIT_USAGE;
	}
	const char *command = argv[next++];
	int rest_count = argc - next;
	char **rest = argv + next;

	static struct config config;
	char error[CONFIG_ERROR_MAX];
	log_init(LOG_TARGET_STDERR, LOG_LEVEL_ERROR, "intuka-admin");
	if (config_load(&config, config_path, error, sizeof(error)) != 0 ||
		registry_prepare(&config, error, sizeof(error)) != 0) {
		fprintf(stderr, "intuka-admin: configuration error: %s\n", error);
		return ADMIN_EXIT_CONFIG;
	}
	struct admin_context context = {.config = &config, .db = db_new(&config), .migrations_dir = config.migrations_dir};
	int status;
	if (strcmp(command, "migrate") == 0) {
		if (rest_count == 2 && strcmp(rest[0], "--dir") == 0) {
			context.migrations_dir = rest[1];
			status = admin_migrate(&context);
		} else if (rest_count == 0) {
			status = admin_migrate(&context);
		} else {
			admin_usage(stderr);
			status = ADMIN_EXIT_USAGE;
		}
	} else if (strcmp(command, "tenant") == 0) {
		status = admin_tenant(&context, rest_count, rest);
	} else if (strcmp(command, "user") == 0) {
		status = admin_user(&context, rest_count, rest);
	} else if (strcmp(command, "find-plan") == 0) {
		status = admin_find_plan(&context, rest_count, rest);
	} else if (strcmp(command, "find-chat-model") == 0) {
		status = admin_find_chat_model(&context, rest_count, rest);
	} else if (strcmp(command, "find-webhook-emit") == 0) {
		status = admin_find_webhook_emit(&context, rest_count, rest);
	} else if (strcmp(command, "find-reindex") == 0) {
		status = admin_find_reindex(&context, rest_count, rest);
	} else if (strcmp(command, "health") == 0 && rest_count == 0) {
		status = admin_health(&context);
	} else {
		fprintf(stderr, "intuka-admin: unknown command \"%s\"\n", command);
		admin_usage(stderr);
		status = ADMIN_EXIT_USAGE;
	}
	db_free(context.db);
	explicit_bzero(&config, sizeof(config));
	return status;
}

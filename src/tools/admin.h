/* intuka-admin commands, one file each; they share the loaded configuration
 * and one database handle. Each returns a process exit status. */
#ifndef INTUKA_TOOLS_ADMIN_H
#define INTUKA_TOOLS_ADMIN_H

#include <stdint.h>

struct config;
struct db;

#define ADMIN_EXIT_OK 0
#define ADMIN_EXIT_FAILURE 1
#define ADMIN_EXIT_USAGE 64
#define ADMIN_EXIT_CONFIG 78

struct admin_context {
	const struct config *config;
	struct db *db;
	const char *migrations_dir;
};

int admin_migrate(struct admin_context *context);
/* Highest version found in the migrations directory, or -1 on error. */
int admin_latest_available_version(const char *migrations_dir);
int admin_schema_version(struct admin_context *context, long long *version);
int admin_health(struct admin_context *context);
int admin_tenant(struct admin_context *context, int argc, char **argv);
int admin_user(struct admin_context *context, int argc, char **argv);
int admin_find_plan(struct admin_context *context, int argc, char **argv);
int admin_find_webhook_emit(struct admin_context *context, int argc, char **argv);
int admin_find_chat_model(struct admin_context *context, int argc, char **argv);
int admin_find_reindex(struct admin_context *context, int argc, char **argv);
/* Insert or refresh the built-in role profiles of one tenant (0 = all). */
int admin_seed_builtin_profiles(struct admin_context *context, uint64_t tenant_id);
/* Prints why the database cannot be reached, without secrets. */
void admin_report_db_error(const struct admin_context *context, const char *what);

#endif

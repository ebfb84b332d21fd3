/* System module: liveness and version, public and cheap, for load balancers
 * and monitoring. */
#include "config.h"
#include "handler/context.h"
#include "core/log.h"
#include "db/db.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/modules.h"

#include <stdlib.h>
#include <string.h>

static void system_health(struct request_context *context);
static void system_version(struct request_context *context);

static const struct route system_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/health", .credentials = ROUTE_PUBLIC, .handler = system_health},
	{.method = HTTP_GET, .pattern = "/api/v1/version", .credentials = ROUTE_PUBLIC, .handler = system_version},
};

const struct route_table system_route_table = {
	.module_name = "system",
	.routes = system_routes,
	.route_count = sizeof(system_routes) / sizeof(system_routes[0]),
};

enum system_statement { SYSTEM_STMT_SCHEMA_VERSION, SYSTEM_STMT__MAX };

static const struct db_statement_def system_statements[SYSTEM_STMT__MAX] = {
	[SYSTEM_STMT_SCHEMA_VERSION] = {.name = "system.schema_version",
		.sql = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", .tenant_bound = 0},
};

const struct statement_table system_statement_table = {
	.module_name = "system",
	.statements = system_statements,
	.statement_count = SYSTEM_STMT__MAX,
};

static int system_read_version(void *callback_context, const struct db_row *row)
{
	long long *schema_version = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL)
		*schema_version = strtoll(row->values[0], NULL, 10);
	return 0;
}

static void system_health(struct request_context *context)
{
	long long schema_version = -1;
	enum db_result result = db_query(context->db, &system_statements[SYSTEM_STMT_SCHEMA_VERSION], NULL, 0,
		system_read_version, &schema_version);
	if (result != DB_OK || schema_version < 0) {
		/* The reason goes to the log only: it may name hosts and users. */
		log_msg(LOG_LEVEL_WARN, context->request->request_id, "health: database check failed: %s",
			db_last_error(context->db));
		response_error(context->response, STATUS_SERVICE_UNAVAILABLE, "Database unavailable");
		response_add_detail(context->response, "database", "%s",
			result == DB_UNAVAILABLE ? "unreachable" : "query failed");
		return;
	}
	json_object *database = json_object_new_object();
	json_object_object_add(database, "status", json_object_new_string("ok"));
	json_object_object_add(database, "schemaVersion", json_object_new_int64(schema_version));
	json_object *worker = json_object_new_object();
	json_object_object_add(worker, "pid", json_object_new_int64(context->worker->pid));
	json_object_object_add(worker, "requestsServed", json_object_new_int64((int64_t)context->worker->requests_served));
	json_object *data = json_object_new_object();
	json_object_object_add(data, "status", json_object_new_string("ok"));
	json_object_object_add(data, "database", database);
	json_object_object_add(data, "worker", worker);
	response_ok(context->response, STATUS_OK, data, "Service healthy");
}

static void system_version(struct request_context *context)
{
	json_object *data = json_object_new_object();
	json_object_object_add(data, "name", json_object_new_string(PACKAGE_NAME));
	json_object_object_add(data, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(data, "apiVersion", json_object_new_string("v1"));
	response_ok(context->response, STATUS_OK, data, "Version");
}

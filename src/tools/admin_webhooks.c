/* intuka-admin find-webhook-emit: puts one event of the catalogue into a
 * tenant's webhook outbox through find_events_emit, exactly as a content
 * write would, so an operator can check a receiver end to end (and the
 * tests can drive the delivery process without content routes). */
#include "tools/admin.h"
#include "core/config.h"
#include "db/db.h"
#include "find/events.h"
#include "find/webhook_policy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_statement_def admin_webhooks_tenant = {.name = "admin.webhook_tenant",
	.sql = "SELECT tenant_id FROM tenants WHERE slug = ?", .tenant_bound = 0};

static int admin_webhooks_read_id(void *callback_context, const struct db_row *row)
{
	uint64_t *tenant_id = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL)
		*tenant_id = strtoull(row->values[0], NULL, 10);
	return 0;
}

static int admin_webhooks_usage(void)
{
	fprintf(stderr, "usage: intuka-admin find-webhook-emit SLUG EVENT [--workspace NAME] [--data JSON-OBJECT]\n");
	return ADMIN_EXIT_USAGE;
}

int admin_find_webhook_emit(struct admin_context *context, int argc, char **argv)
{
	if (argc < 2 || argc % 2 != 0)
		return admin_webhooks_usage();
	const char *slug = argv[0], *event = argv[1], *workspace = "", *data_text = "{}";
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--workspace") == 0)
			workspace = argv[i + 1];
		else if (strcmp(argv[i], "--data") == 0)
			data_text = argv[i + 1];
		else
			return admin_webhooks_usage();
	}
	if (!webhook_event_known(event)) {
		fprintf(stderr, "intuka-admin: \"%s\" is not a webhook event; events:", event);
		for (const struct webhook_event_type *known = webhook_event_catalogue(); known->name; known++)
			fprintf(stderr, " %s", known->name);
		fprintf(stderr, "\n");
		return ADMIN_EXIT_USAGE;
	}
	json_object *data = json_tokener_parse(data_text);
	if (data == NULL || !json_object_is_type(data, json_type_object)) {
		json_object_put(data);
		fprintf(stderr, "intuka-admin: --data must be a JSON object\n");
		return ADMIN_EXIT_USAGE;
	}
	uint64_t tenant_id = 0;
	struct db_param slug_param[] = {DB_TEXT(slug)};
	enum db_result result =
		db_query(context->db, &admin_webhooks_tenant, slug_param, 1, admin_webhooks_read_id, &tenant_id);
	if (result == DB_OK && tenant_id == 0) {
		json_object_put(data);
		fprintf(stderr, "intuka-admin: no tenant \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	/* The same shape as a content write: the emit inside a transaction. */
	if (result == DB_OK)
		result = db_begin(context->db);
	if (result == DB_OK)
		result = find_events_emit(context->db, tenant_id, workspace, event, data);
	if (result == DB_OK)
		result = db_commit(context->db);
	json_object_put(data);
	if (result != DB_OK) {
		db_rollback(context->db);
		admin_report_db_error(context, "emit the event");
		return ADMIN_EXIT_FAILURE;
	}
	printf("event %s queued for the active webhooks of %s subscribed to it\n", event, slug);
	return ADMIN_EXIT_OK;
}

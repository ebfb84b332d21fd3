/* intuka-admin find-chat-model: a tenant's own language-model provider
 * (find_llm_providers, docs/chat.md), in place of the installation's. The
 * row is the tenant's setting, so its URL is held to the tenant rule at
 * every call (no loopback or private address unless
 * chat_llm_allow_private_targets = 1), whoever wrote it. The API key is
 * read from a file, never from the command line (ps would show it). */
#include "tools/admin.h"
#include "core/config.h"
#include "db/db.h"
#include "find/llm_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_statement_def admin_chat_tenant = {.name = "admin.chat_tenant",
	.sql = "SELECT tenant_id FROM tenants WHERE slug = ?", .tenant_bound = 0};
static const struct db_statement_def admin_chat_set = {.name = "admin.chat_model_set",
	.sql = "INSERT INTO find_llm_providers (tenant_id, enabled, base_url, model, embedding_model, api_key, timeout_ms) "
	"VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE enabled = VALUES(enabled), base_url = VALUES(base_url), "
	"model = VALUES(model), embedding_model = VALUES(embedding_model), api_key = VALUES(api_key), "
	"timeout_ms = VALUES(timeout_ms)",
	.tenant_bound = 1};
/* A new embeddings model: every document of the tenant is queued (one row
 * each; a text already embedded with that model costs no call). */
static const struct db_statement_def admin_chat_queue_products = {.name = "admin.embed_queue_products",
	.sql = "INSERT IGNORE INTO find_embedding_queue (tenant_id, entity, doc) SELECT tenant_id, 'product', search_doc "
	"FROM find_products WHERE tenant_id = ? AND search_doc IS NOT NULL",
	.tenant_bound = 1};
static const struct db_statement_def admin_chat_queue_posts = {.name = "admin.embed_queue_posts",
	.sql = "INSERT IGNORE INTO find_embedding_queue (tenant_id, entity, doc) SELECT tenant_id, 'post', search_doc "
	"FROM find_posts WHERE tenant_id = ? AND search_doc IS NOT NULL",
	.tenant_bound = 1};
static const struct db_statement_def admin_chat_clear = {.name = "admin.chat_model_clear",
	.sql = "DELETE FROM find_llm_providers WHERE tenant_id = ?", .tenant_bound = 1};

static int admin_chat_read_id(void *callback_context, const struct db_row *row)
{
	uint64_t *tenant_id = callback_context;
	if (row->column_count == 1 && row->values[0] != NULL)
		*tenant_id = strtoull(row->values[0], NULL, 10);
	return 0;
}

static int admin_chat_usage(void)
{
	fprintf(stderr, "usage: intuka-admin find-chat-model set SLUG [--base-url URL] [--model NAME] "
			"[--embedding-model NAME] [--api-key-file FILE] [--timeout-ms N] [--off]\n"
			"       intuka-admin find-chat-model clear SLUG\n");
	return ADMIN_EXIT_USAGE;
}

/* The first line of path, without its newline. */
static int admin_chat_read_key(const char *path, char *key, size_t key_size)
{
	FILE *file = fopen(path, "r");
	if (file == NULL || fgets(key, (int)key_size, file) == NULL) {
		if (file != NULL)
			fclose(file);
		return -1;
	}
	fclose(file);
	key[strcspn(key, "\r\n")] = '\0';
	return 0;
}

int admin_find_chat_model(struct admin_context *context, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[0], "set") != 0 && strcmp(argv[0], "clear") != 0))
		return admin_chat_usage();
	int set = strcmp(argv[0], "set") == 0, enabled = 1;
	const char *slug = argv[1], *base_url = "", *model = "", *embedding_model = "";
	char api_key[LLM_API_KEY_MAX + 2] = "";
	long timeout_ms = 0;
	for (int i = 2; i < argc; i++) {
		int has_value = i + 1 < argc;
		if (set && strcmp(argv[i], "--off") == 0) {
			enabled = 0;
		} else if (set && has_value && strcmp(argv[i], "--base-url") == 0) {
			base_url = argv[++i];
		} else if (set && has_value && strcmp(argv[i], "--model") == 0) {
			model = argv[++i];
		} else if (set && has_value && strcmp(argv[i], "--embedding-model") == 0) {
			embedding_model = argv[++i];
		} else if (set && has_value && strcmp(argv[i], "--api-key-file") == 0) {
			if (admin_chat_read_key(argv[++i], api_key, sizeof(api_key)) != 0 || strlen(api_key) > LLM_API_KEY_MAX) {
				fprintf(stderr, "intuka-admin: --api-key-file: cannot read a key of at most %d bytes\n",
					LLM_API_KEY_MAX);
				return ADMIN_EXIT_USAGE;
			}
		} else if (set && has_value && strcmp(argv[i], "--timeout-ms") == 0) {
			char *end = NULL;
			timeout_ms = strtol(argv[++i], &end, 10);
			if (*end != '\0' || timeout_ms < 500 || timeout_ms > 600000) {
				fprintf(stderr, "intuka-admin: --timeout-ms: 500 to 600000\n");
				return ADMIN_EXIT_USAGE;
			}
		} else {
			return admin_chat_usage();
		}
	}
	if (base_url[0] != '\0' && ((strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) ||
		strlen(base_url) > LLM_BASE_URL_MAX)) {
		fprintf(stderr, "intuka-admin: --base-url: an http:// or https:// URL of at most %d bytes\n",
			LLM_BASE_URL_MAX);
		return ADMIN_EXIT_USAGE;
	}
	if (strlen(model) > 128 || strlen(embedding_model) > 128) {
		fprintf(stderr, "intuka-admin: --model, --embedding-model: at most 128 bytes\n");
		return ADMIN_EXIT_USAGE;
	}
	uint64_t tenant_id = 0;
	struct db_param slug_param[] = {DB_TEXT(slug)};
	enum db_result result = db_query(context->db, &admin_chat_tenant, slug_param, 1, admin_chat_read_id, &tenant_id);
	if (result == DB_OK && tenant_id == 0) {
		fprintf(stderr, "intuka-admin: no tenant \"%s\"\n", slug);
		return ADMIN_EXIT_FAILURE;
	}
	if (result == DB_OK && set) {
		struct db_param params[] = {DB_UINT(tenant_id), DB_INT(enabled), DB_TEXT(base_url), DB_TEXT(model),
			DB_TEXT(embedding_model), DB_TEXT(api_key), timeout_ms > 0 ? DB_INT((int)timeout_ms) : DB_NULL};
		result = db_exec(context->db, &admin_chat_set, params, 7, NULL, NULL);
		struct db_param tenant[] = {DB_UINT(tenant_id)};
		if (result == DB_OK && enabled && embedding_model[0] != '\0')
			result = db_exec(context->db, &admin_chat_queue_products, tenant, 1, NULL, NULL);
		if (result == DB_OK && enabled && embedding_model[0] != '\0')
			result = db_exec(context->db, &admin_chat_queue_posts, tenant, 1, NULL, NULL);
	} else if (result == DB_OK) {
		struct db_param params[] = {DB_UINT(tenant_id)};
		result = db_exec(context->db, &admin_chat_clear, params, 1, NULL, NULL);
	}
	explicit_bzero(api_key, sizeof(api_key));
	if (result != DB_OK) {
		admin_report_db_error(context, "store the chat model");
		return ADMIN_EXIT_FAILURE;
	}
	if (set)
		printf("chat model of %s: %s\n", slug, !enabled ? "off (retrieval answers)"
				: base_url[0] ? "the tenant's own provider"
					      : "the installation's provider");
	else
		printf("chat model of %s: the installation's settings\n", slug);
	return ADMIN_EXIT_OK;
}

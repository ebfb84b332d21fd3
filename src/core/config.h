/* Typed configuration: one table lists every key with its type, bounds and
 * default. Loaded from the config file, then the secrets file, then
 * INTUKA_<KEY> environment overrides, and validated as a whole. */
#ifndef INTUKA_CORE_CONFIG_H
#define INTUKA_CORE_CONFIG_H

#include <stddef.h>

#define CONFIG_TEXT_MAX 256
#define CONFIG_PATH_MAX 1024
#define CONFIG_ERROR_MAX 512
#define CONFIG_JWT_KEYS_MAX 8
#define CONFIG_JWT_KID_MAX 33
#define CONFIG_JWT_SECRET_MAX 256
#define CONFIG_OPERATOR_KEY_MIN 32
/* Database nodes in db_hosts (a Galera cluster is rarely above 9). */
#define CONFIG_DB_HOSTS_MAX 16

struct config {
	char listen[CONFIG_PATH_MAX];
	int listen_backlog;
	int socket_mode;
	int workers;
	int max_requests_per_worker;
	int send_timeout_ms; /* longest a worker spends writing one response to a client that does not read */
	int password_hash_concurrency; /* password hashes at once across workers; 0 = half the workers */
	int shutdown_timeout_s;
	char user[CONFIG_TEXT_MAX];
	char pid_file[CONFIG_PATH_MAX];
	char log_target[CONFIG_TEXT_MAX];
	char log_level[CONFIG_TEXT_MAX];
	char log_file[CONFIG_PATH_MAX]; /* log_target = file: appended to, reopened on SIGUSR1 */
	char db_host[CONFIG_TEXT_MAX];
	int db_port;
	/* "host:port,host:port": the nodes of a Galera cluster in the order this
	 * node prefers them; a worker moves to the next when one is lost or not
	 * ready. "" = db_host and db_port alone. */
	char db_hosts[CONFIG_PATH_MAX];
	char db_socket[CONFIG_PATH_MAX];
	char db_name[CONFIG_TEXT_MAX];
	char db_user[CONFIG_TEXT_MAX];
	char db_password[CONFIG_TEXT_MAX];
	int db_connect_timeout_s;
	int db_read_timeout_s;
	char secrets_file[CONFIG_PATH_MAX];
	char migrations_dir[CONFIG_PATH_MAX];
	int max_body_bytes;
	int max_header_bytes;
	int max_path_bytes;
	int max_json_depth;
	int max_query_params;
	/* identity */
	char base_domain[CONFIG_TEXT_MAX];
	char jwt_issuer[CONFIG_TEXT_MAX];
	char jwt_audience[CONFIG_TEXT_MAX];
	char jwt_signing_kid[CONFIG_TEXT_MAX];
	int jwt_leeway_s;
	int access_token_ttl_s;
	int refresh_token_ttl_s;
	int refresh_reuse_grace_s; /* a retired refresh token answers its successor pair this long */
	int rate_limit_per_minute;
	int rate_limit_tenant_per_minute;
	int login_rate_limit;
	int login_address_rate_limit;
	int login_rate_window_s;
	int forgot_rate_limit;
	int forgot_rate_window_s;
	char mail_command[CONFIG_PATH_MAX];
	char mail_from[CONFIG_TEXT_MAX];
	char password_reset_url[CONFIG_PATH_MAX];
	char invitation_url[CONFIG_PATH_MAX]; /* the invitation token is appended; "" = the bare token */
	/* operator API */
	char operator_key[CONFIG_TEXT_MAX]; /* secrets file; "" = no operator API (404) */
	int operator_rate_limit;            /* failed operator-key attempts per address and window */
	int operator_rate_window_s;
	char tenant_export_dir[CONFIG_PATH_MAX]; /* where an API deletion writes its export; "" = none */
	/* find API */
	char find_default_plan[CONFIG_TEXT_MAX]; /* plan of tenants without a plan row */
	char find_upgrade_url[CONFIG_PATH_MAX];  /* sent with 402 TRIAL_EXPIRED */
	int chat_stream_pace_ms; /* pause between streamed text_delta chunks (typing effect) */
	/* chat's language model (find/llm_client.h, docs/chat.md): any
	 * OpenAI-compatible endpoint; "" = none, chat answers by retrieval */
	char chat_llm_base_url[CONFIG_PATH_MAX];
	char chat_llm_model[CONFIG_TEXT_MAX];
	char chat_llm_api_key[CONFIG_TEXT_MAX]; /* secrets file; "" = no Authorization header */
	int chat_llm_timeout_ms;                /* the model's whole work on one message, every call */
	int chat_llm_stall_ms;                  /* silence that ends a model call */
	int chat_llm_max_tokens;                /* max_tokens of every model call */
	int chat_llm_tool_rounds;               /* model calls that may use tools, per chat message */
	int chat_llm_tokens_per_chat;           /* monthly tokens per chat of the plan's allowance; 0 = no cap */
	int chat_llm_allow_private_targets;     /* 1: a tenant's provider may be on loopback/private addresses */
	char chat_llm_embedding_model[CONFIG_TEXT_MAX]; /* "" = no embeddings, text ranking only */
	int chat_llm_embedding_timeout_ms;      /* the search's one call for the query's vector */
	int embed_batch_size;                   /* documents per /embeddings call of intukad --embed */
	int embed_poll_interval_ms;             /* its sleep when nothing is queued */
	int embed_lease_s;                      /* how long a claimed queue row stays with its process */
	/* find webhooks (src/find/webhook_*.c, src/server/deliverer.c) */
	int webhook_allow_private_targets;  /* 1: loopback, RFC 1918/ULA and CGNAT targets allowed */
	int webhook_suspend_after_failures; /* failed deliveries in a row that suspend a webhook */
	int webhook_poll_interval_ms;       /* deliverer's sleep when nothing is due */
	int webhook_lease_s;                /* how long a claimed delivery stays with its deliverer */
	int webhook_batch_size;             /* deliveries claimed per transaction */
	int webhook_retention_days;         /* finished deliveries kept this long */
	/* secrets file: "jwt_key.<kid> = <base64 secret>", several for rotation */
	struct config_jwt_key {
		char kid[CONFIG_JWT_KID_MAX];
		char secret[CONFIG_JWT_SECRET_MAX];
	} jwt_keys[CONFIG_JWT_KEYS_MAX];
	int jwt_key_count;
};

/* One database node of db_hosts. */
struct config_db_host {
	char host[CONFIG_TEXT_MAX];
	int port;
};

void config_set_defaults(struct config *config);
/* Parses a db_hosts list: host[:port] or [ipv6]:port items separated by
 * commas (spaces around them allowed); a missing port is default_port.
 * Returns 0 with *count items (at least one), or -1 with a reason. */
int config_parse_db_hosts(const char *text, int default_port, struct config_db_host *hosts, size_t capacity,
	size_t *count, char *error, size_t error_size);
/* Full load: defaults, file, secrets file, environment, validation.
 * Returns 0, or -1 with a one-line reason in error (never a secret value). */
int config_load(struct config *config, const char *path, char *error, size_t error_size);
/* Parse one "key = value" text (a file's contents) into config; exposed for tests.
 * allow_secrets selects which keys may appear: secret keys only in the secrets file. */
int config_parse_text(struct config *config, const char *text, const char *source_name, int allow_secrets,
	char *error, size_t error_size);
int config_apply_environment(struct config *config, char *error, size_t error_size);
int config_validate(const struct config *config, char *error, size_t error_size);
/* The keys of the configuration table, for the test that the manual page
 * describes each: the name of key index, or NULL past the last. */
const char *config_key_name(size_t index);

#endif

/* Configuration table, parser and validation. */
#include "core/config.h"
#include "core/alloc.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_MODE };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t string_capacity;
	long min_value;
	long max_value;
	const char *default_value;
	int is_secret; /* only accepted from the secrets file or the environment */
};

#define STRING_KEY(field, def) \
	{#field, CONFIG_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0, def, 0}
#define SECRET_KEY(field) \
	{#field, CONFIG_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0, "", 1}
#define INT_KEY(field, lo, hi, def) {#field, CONFIG_INT, offsetof(struct config, field), 0, lo, hi, def, 0}
#define MODE_KEY(field, def) {#field, CONFIG_MODE, offsetof(struct config, field), 0, 0, 0777, def, 0}

static const struct config_key config_keys[] = {
	STRING_KEY(listen, "/run/intuka/intuka.sock"),
	INT_KEY(listen_backlog, 1, 65535, "128"),
	MODE_KEY(socket_mode, "0660"),
	INT_KEY(workers, 1, 256, "4"),
	INT_KEY(max_requests_per_worker, 0, 100000000, "10000"),
	INT_KEY(send_timeout_ms, 100, 600000, "10000"),
	INT_KEY(password_hash_concurrency, 0, 256, "0"),
	INT_KEY(shutdown_timeout_s, 1, 3600, "15"),
	STRING_KEY(user, ""),
	STRING_KEY(pid_file, ""),
	STRING_KEY(log_target, "stderr"),
	STRING_KEY(log_level, "info"),
	STRING_KEY(log_file, ""),
	STRING_KEY(db_host, "127.0.0.1"),
	INT_KEY(db_port, 1, 65535, "3306"),
	STRING_KEY(db_hosts, ""),
	STRING_KEY(db_socket, ""),
	STRING_KEY(db_name, "intuka"),
	STRING_KEY(db_user, "intuka"),
	SECRET_KEY(db_password),
	INT_KEY(db_connect_timeout_s, 1, 300, "3"),
	INT_KEY(db_read_timeout_s, 1, 3600, "10"),
	STRING_KEY(secrets_file, ""),
	STRING_KEY(migrations_dir, INTUKA_MIGRATIONS_DIR),
	INT_KEY(max_body_bytes, 1024, 64 * 1024 * 1024, "1048576"),
	INT_KEY(max_header_bytes, 1024, 1024 * 1024, "16384"),
	INT_KEY(max_path_bytes, 64, 65536, "2048"),
	INT_KEY(max_json_depth, 2, 1000, "32"),
	INT_KEY(max_query_params, 1, 1000, "64"),
	STRING_KEY(base_domain, ""),
	STRING_KEY(jwt_issuer, "intuka"),
	STRING_KEY(jwt_audience, "intuka-api"),
	STRING_KEY(jwt_signing_kid, ""),
	INT_KEY(jwt_leeway_s, 0, 300, "30"),
	INT_KEY(access_token_ttl_s, 60, 86400, "900"),
	INT_KEY(refresh_token_ttl_s, 300, 31536000, "2592000"),
	INT_KEY(refresh_reuse_grace_s, 0, 60, "10"),
	INT_KEY(rate_limit_per_minute, 1, 1000000, "200"),
	INT_KEY(rate_limit_tenant_per_minute, 0, 100000000, "0"),
	INT_KEY(login_rate_limit, 1, 100000, "10"),
	INT_KEY(login_address_rate_limit, 1, 1000000, "10"),
	INT_KEY(login_rate_window_s, 1, 86400, "900"),
	INT_KEY(forgot_rate_limit, 1, 100000, "5"),
	INT_KEY(forgot_rate_window_s, 1, 86400, "3600"),
	STRING_KEY(mail_command, "/usr/sbin/sendmail -t -i"),
	STRING_KEY(mail_from, "intuka@localhost"),
	STRING_KEY(password_reset_url, ""),
	STRING_KEY(invitation_url, ""),
	SECRET_KEY(operator_key),
	INT_KEY(operator_rate_limit, 1, 100000, "10"),
	INT_KEY(operator_rate_window_s, 1, 86400, "900"),
	STRING_KEY(tenant_export_dir, ""),
	STRING_KEY(find_default_plan, "starter"),
	STRING_KEY(find_upgrade_url, "/pricing"),
	INT_KEY(chat_stream_pace_ms, 0, 1000, "0"),
	STRING_KEY(chat_llm_base_url, ""),
	STRING_KEY(chat_llm_model, ""),
	SECRET_KEY(chat_llm_api_key),
	INT_KEY(chat_llm_timeout_ms, 500, 600000, "30000"),
	INT_KEY(chat_llm_stall_ms, 200, 600000, "15000"),
	INT_KEY(chat_llm_max_tokens, 16, 65536, "1024"),
	INT_KEY(chat_llm_tool_rounds, 0, 5, "2"),
	INT_KEY(chat_llm_tokens_per_chat, 0, 1000000, "4000"),
	INT_KEY(chat_llm_allow_private_targets, 0, 1, "0"),
	STRING_KEY(chat_llm_embedding_model, ""),
	INT_KEY(chat_llm_embedding_timeout_ms, 100, 10000, "800"),
	INT_KEY(embed_batch_size, 1, 256, "32"),
	INT_KEY(embed_poll_interval_ms, 50, 60000, "1000"),
	INT_KEY(embed_lease_s, 10, 3600, "120"),
	INT_KEY(webhook_allow_private_targets, 0, 1, "0"),
	INT_KEY(webhook_suspend_after_failures, 1, 1000, "5"),
	INT_KEY(webhook_poll_interval_ms, 50, 60000, "1000"),
	/* Longer than the longest delivery timeout (30 s), so a live deliverer
	 * never loses a claim it is still working on. */
	INT_KEY(webhook_lease_s, 35, 3600, "60"),
	INT_KEY(webhook_batch_size, 1, 100, "10"),
	INT_KEY(webhook_retention_days, 1, 3650, "30"),
};

static const size_t config_key_count = sizeof(config_keys) / sizeof(config_keys[0]);

const char *config_key_name(size_t index)
{
	return index < config_key_count ? config_keys[index].name : NULL;
}

static const struct config_key *config_find_key(const char *name)
{
	for (size_t i = 0; i < config_key_count; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* Store one value; the reason for a refusal goes to error without the value
 * itself when the key is secret. */
static int config_store(struct config *config, const struct config_key *key, const char *value, char *error,
	size_t error_size)
{
	char *field = (char *)config + key->offset;
	if (key->type == CONFIG_STRING) {
		size_t length = strlen(value);
		if (length >= key->string_capacity) {
			snprintf(error, error_size, "%s: value longer than %zu bytes", key->name, key->string_capacity - 1);
			return -1;
		}
		memcpy(field, value, length + 1);
		return 0;
	}
	int base = key->type == CONFIG_MODE ? 8 : 10;
	char *end = NULL;
	errno = 0;
	long number = strtol(value, &end, base);
	if (errno != 0 || end == value || *end != '\0' || number < key->min_value || number > key->max_value) {
		if (key->type == CONFIG_MODE)
			snprintf(error, error_size, "%s: expected an octal file mode such as 0660, got \"%s\"", key->name,
				value);
		else
			snprintf(error, error_size, "%s: expected an integer from %ld to %ld, got \"%s\"", key->name,
				key->min_value, key->max_value, value);
		return -1;
	}
	*(int *)(void *)field = (int)number;
	return 0;
}

void config_set_defaults(struct config *config)
{
	memset(config, 0, sizeof(*config));
	char ignored[CONFIG_ERROR_MAX];
	for (size_t i = 0; i < config_key_count; i++)
		if (config_store(config, &config_keys[i], config_keys[i].default_value, ignored, sizeof(ignored)) != 0)
			abort(); /* a bad default is a programming error */
}

static int config_add_jwt_key(struct config *config, const char *kid, const char *secret)
{
	size_t kid_length = strlen(kid);
	if (kid_length == 0 || kid_length >= CONFIG_JWT_KID_MAX || strlen(secret) >= CONFIG_JWT_SECRET_MAX ||
		config->jwt_key_count >= CONFIG_JWT_KEYS_MAX)
		return -1;
	for (const char *p = kid; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return -1;
	for (int i = 0; i < config->jwt_key_count; i++)
		if (strcmp(config->jwt_keys[i].kid, kid) == 0)
			return -1;
	struct config_jwt_key *key = &config->jwt_keys[config->jwt_key_count++];
	memcpy(key->kid, kid, kid_length + 1);
	memcpy(key->secret, secret, strlen(secret) + 1);
	return 0;
}

static char *config_trim(char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	char *end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return text;
}

int config_parse_text(struct config *config, const char *text, const char *source_name, int allow_secrets,
	char *error, size_t error_size)
{
	char *copy = xstrdup(text);
	char *cursor = copy;
	int line_number = 0;
	int result = 0;
	while (cursor != NULL && result == 0) {
		char *line = cursor;
		char *newline = strchr(cursor, '\n');
		if (newline != NULL) {
			*newline = '\0';
			cursor = newline + 1;
		} else {
			cursor = NULL;
		}
		line_number++;
		/* '#' starts a comment only at the start of a line or after blank,
		 * so a password may contain '#'. */
		char *trimmed = config_trim(line);
		if (*trimmed == '\0' || *trimmed == '#')
			continue;
		for (char *hash = strchr(trimmed, '#'); hash != NULL; hash = strchr(hash + 1, '#')) {
			if (hash > trimmed && isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		}
		char *equals = strchr(trimmed, '=');
		if (equals == NULL) {
			snprintf(error, error_size, "%s:%d: expected \"key = value\"", source_name, line_number);
			result = -1;
			break;
		}
		*equals = '\0';
		char *name = config_trim(trimmed);
		char *value = config_trim(equals + 1);
		if (strncmp(name, "jwt_key.", 8) == 0) {
			if (!allow_secrets) {
				snprintf(error, error_size, "%s:%d: %s is a secret and belongs in secrets_file", source_name,
					line_number, name);
				result = -1;
			} else if (config_add_jwt_key(config, name + 8, value) != 0) {
				snprintf(error, error_size,
					"%s:%d: jwt_key.<kid>: kid must be 1-32 of A-Z a-z 0-9 . _ -, unique, at most %d keys, "
					"secret at most %d characters",
					source_name, line_number, CONFIG_JWT_KEYS_MAX, CONFIG_JWT_SECRET_MAX - 1);
				result = -1;
			}
			continue;
		}
		const struct config_key *key = config_find_key(name);
		if (key == NULL) {
			snprintf(error, error_size, "%s:%d: unknown key \"%.64s\"", source_name, line_number, name);
			result = -1;
			break;
		}
		if (key->is_secret && !allow_secrets) {
			snprintf(error, error_size, "%s:%d: %s is a secret and belongs in secrets_file", source_name,
				line_number, name);
			result = -1;
			break;
		}
		if (!key->is_secret && allow_secrets) {
			snprintf(error, error_size, "%s:%d: %s is not a secret; put it in the main configuration",
				source_name, line_number, name);
			result = -1;
			break;
		}
		char reason[CONFIG_ERROR_MAX];
		if (config_store(config, key, value, reason, sizeof(reason)) != 0) {
			snprintf(error, error_size, "%s:%d: %s", source_name, line_number,
				key->is_secret ? "secret value is too long" : reason);
			result = -1;
		}
	}
	free(copy);
	return result;
}

/* Reads a whole small file; config files larger than this are a mistake. */
#define CONFIG_FILE_MAX_BYTES (256 * 1024)

static char *config_read_file(const char *path, char *error, size_t error_size)
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = xmalloc(CONFIG_FILE_MAX_BYTES + 1);
	size_t length = fread(text, 1, CONFIG_FILE_MAX_BYTES + 1, file);
	int read_failed = ferror(file);
	fclose(file);
	if (read_failed || length > CONFIG_FILE_MAX_BYTES) {
		snprintf(error, error_size, "%s: %s", path, read_failed ? "read error" : "file larger than 256 KiB");
		free(text);
		return NULL;
	}
	text[length] = '\0';
	return text;
}

static int config_check_secrets_permissions(const char *path, char *error, size_t error_size)
{
	struct stat info;
	if (stat(path, &info) != 0) {
		snprintf(error, error_size, "secrets_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (info.st_mode & (S_IROTH | S_IWOTH | S_IXOTH | S_IWGRP)) {
		snprintf(error, error_size,
			"secrets_file %s has mode %04o: it must not be accessible by others nor writable by its group "
			"(chmod 0600 or 0640)",
			path, (unsigned)(info.st_mode & 07777));
		return -1;
	}
	return 0;
}

int config_apply_environment(struct config *config, char *error, size_t error_size)
{
	for (size_t i = 0; i < config_key_count; i++) {
		char variable[96] = "INTUKA_";
		size_t used = strlen(variable);
		for (const char *p = config_keys[i].name; *p != '\0' && used + 1 < sizeof(variable); p++)
			variable[used++] = (char)toupper((unsigned char)*p);
		variable[used] = '\0';
		const char *value = getenv(variable);
		if (value == NULL)
			continue;
		char reason[CONFIG_ERROR_MAX];
		if (config_store(config, &config_keys[i], value, reason, sizeof(reason)) != 0) {
			snprintf(error, error_size, "environment %s: %s", variable,
				config_keys[i].is_secret ? "secret value is too long" : reason);
			return -1;
		}
	}
	return 0;
}

/* One "host[:port]" item of length length, without surrounding spaces. */
static int config_parse_db_host(const char *item, size_t length, int default_port, struct config_db_host *host,
	char *error, size_t error_size)
{
	const char *name = item;
	size_t name_length = length;
	const char *port_text = NULL;
	size_t port_length = 0;
	if (length > 0 && item[0] == '[') {
		/* [ipv6]:port: the colons inside the brackets are the address's. */
		const char *close = memchr(item, ']', length);
		if (close == NULL) {
			snprintf(error, error_size, "\"%.*s\": no closing ]", (int)length, item);
			return -1;
		}
		name = item + 1;
		name_length = (size_t)(close - name);
		size_t rest = length - (size_t)(close + 1 - item);
		if (rest > 0) {
			if (close[1] != ':') {
				snprintf(error, error_size, "\"%.*s\": expected :port after ]", (int)length, item);
				return -1;
			}
			port_text = close + 2;
			port_length = rest - 1;
		}
	} else {
		const char *colon = memchr(item, ':', length);
		if (colon != NULL) {
			if (memchr(colon + 1, ':', length - (size_t)(colon + 1 - item)) != NULL) {
				snprintf(error, error_size, "\"%.*s\": write an IPv6 address as [address]:port", (int)length,
					item);
				return -1;
			}
			name_length = (size_t)(colon - item);
			port_text = colon + 1;
			port_length = length - name_length - 1;
		}
	}
	if (name_length == 0 || name_length >= sizeof(host->host)) {
		snprintf(error, error_size, "\"%.*s\": host name empty or longer than %zu bytes", (int)length, item,
			sizeof(host->host) - 1);
		return -1;
	}
	for (size_t i = 0; i < name_length; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) {
			snprintf(error, error_size, "\"%.*s\": unexpected character in the host name", (int)length, item);
			return -1;
		}
	}
	int port = default_port;
	if (port_text != NULL) {
		port = 0;
		if (port_length == 0 || port_length > 5) {
			snprintf(error, error_size, "\"%.*s\": port must be 1-65535", (int)length, item);
			return -1;
		}
		for (size_t i = 0; i < port_length; i++) {
			if (port_text[i] < '0' || port_text[i] > '9') {
				snprintf(error, error_size, "\"%.*s\": port must be 1-65535", (int)length, item);
				return -1;
			}
			port = port * 10 + (port_text[i] - '0');
		}
		if (port < 1 || port > 65535) {
			snprintf(error, error_size, "\"%.*s\": port must be 1-65535", (int)length, item);
			return -1;
		}
	}
	memcpy(host->host, name, name_length);
	host->host[name_length] = '\0';
	host->port = port;
	return 0;
}

int config_parse_db_hosts(const char *text, int default_port, struct config_db_host *hosts, size_t capacity,
	size_t *count, char *error, size_t error_size)
{
	*count = 0;
	const char *cursor = text;
	for (;;) {
		const char *end = strchr(cursor, ',');
		size_t length = end != NULL ? (size_t)(end - cursor) : strlen(cursor);
		const char *item = cursor;
		while (length > 0 && isspace((unsigned char)*item)) {
			item++;
			length--;
		}
		while (length > 0 && isspace((unsigned char)item[length - 1]))
			length--;
		if (length == 0) {
			snprintf(error, error_size, "empty item in the list (expected host:port,host:port)");
			return -1;
		}
		if (*count == capacity) {
			snprintf(error, error_size, "more than %zu hosts", capacity);
			return -1;
		}
		if (config_parse_db_host(item, length, default_port, &hosts[*count], error, error_size) != 0)
			return -1;
		(*count)++;
		if (end == NULL)
			break;
		cursor = end + 1;
	}
	return 0;
}

int config_validate(const struct config *config, char *error, size_t error_size)
{
	enum log_level level;
	enum log_target target;
	if (config->listen[0] == '\0') {
		snprintf(error, error_size, "listen: must name a unix socket path or HOST:PORT");
		return -1;
	}
	if (log_level_parse(config->log_level, &level) != 0) {
		snprintf(error, error_size, "log_level: expected error, warn, info or debug, got \"%s\"",
			config->log_level);
		return -1;
	}
	if (log_target_parse(config->log_target, &target) != 0) {
		snprintf(error, error_size, "log_target: expected stderr, file or syslog, got \"%s\"", config->log_target);
		return -1;
	}
	if (target == LOG_TARGET_FILE && config->log_file[0] != '/') {
		snprintf(error, error_size, "log_file: log_target = file needs an absolute path, got \"%s\"",
			config->log_file);
		return -1;
	}
	if (config->jwt_signing_kid[0] != '\0') {
		int found = 0;
		for (int i = 0; i < config->jwt_key_count; i++)
			found |= strcmp(config->jwt_keys[i].kid, config->jwt_signing_kid) == 0;
		if (!found) {
			snprintf(error, error_size, "jwt_signing_kid: no jwt_key.%s in secrets_file", config->jwt_signing_kid);
			return -1;
		}
	} else if (config->jwt_key_count == 0) {
		snprintf(error, error_size,
			"no jwt_key.<kid> in secrets_file: add one such as \"jwt_key.k1 = <output of openssl rand -base64 48>\"");
		return -1;
	} else if (config->jwt_key_count > 1) {
		snprintf(error, error_size, "jwt_signing_kid: several jwt_key entries; name the one that signs");
		return -1;
	}
	if (strlen(config->jwt_issuer) == 0 || strlen(config->jwt_issuer) > 127 || strlen(config->jwt_audience) == 0 ||
		strlen(config->jwt_audience) > 127) {
		snprintf(error, error_size, "jwt_issuer and jwt_audience must be 1 to 127 characters");
		return -1;
	}
	if (config->operator_key[0] != '\0') {
		size_t length = strlen(config->operator_key);
		int printable = 1;
		for (const char *p = config->operator_key; *p != '\0'; p++)
			printable &= *p > 0x20 && *p < 0x7f;
		/* Never the value: it is a secret. */
		if (length < CONFIG_OPERATOR_KEY_MIN || !printable) {
			snprintf(error, error_size,
				"operator_key: at least %d printable characters without spaces (e.g. openssl rand -hex 32)",
				CONFIG_OPERATOR_KEY_MIN);
			return -1;
		}
	}
	if (config->chat_llm_base_url[0] != '\0') {
		if (strncmp(config->chat_llm_base_url, "http://", 7) != 0 &&
			strncmp(config->chat_llm_base_url, "https://", 8) != 0) {
			snprintf(error, error_size, "chat_llm_base_url: must start with http:// or https://");
			return -1;
		}
		/* A base URL serves chat, embeddings or both; it must serve one. */
		if (config->chat_llm_model[0] == '\0' && config->chat_llm_embedding_model[0] == '\0') {
			snprintf(error, error_size, "chat_llm_model: required with chat_llm_base_url "
				"(or chat_llm_embedding_model alone)");
			return -1;
		}
	} else if (config->chat_llm_embedding_model[0] != '\0') {
		snprintf(error, error_size, "chat_llm_embedding_model: needs chat_llm_base_url");
		return -1;
	}
	if (config->db_hosts[0] != '\0') {
		struct config_db_host hosts[CONFIG_DB_HOSTS_MAX];
		size_t host_count = 0;
		char reason[CONFIG_ERROR_MAX];
		if (config_parse_db_hosts(config->db_hosts, config->db_port, hosts, CONFIG_DB_HOSTS_MAX, &host_count, reason,
			sizeof(reason)) != 0) {
			snprintf(error, error_size, "db_hosts: %s", reason);
			return -1;
		}
	}
	if (config->db_name[0] == '\0' || config->db_user[0] == '\0') {
		snprintf(error, error_size, "db_name and db_user must not be empty");
		return -1;
	}
	return 0;
}

int config_load(struct config *config, const char *path, char *error, size_t error_size)
{
	config_set_defaults(config);
	char *text = config_read_file(path, error, error_size);
	if (text == NULL)
		return -1;
	int result = config_parse_text(config, text, path, 0, error, error_size);
	free(text);
	if (result != 0)
		return -1;
	/* The environment may name the secrets file too, so apply it first for that key. */
	const char *secrets_override = getenv("INTUKA_SECRETS_FILE");
	if (secrets_override != NULL && strlen(secrets_override) < sizeof(config->secrets_file))
		snprintf(config->secrets_file, sizeof(config->secrets_file), "%s", secrets_override);
	if (config->secrets_file[0] != '\0') {
		if (config_check_secrets_permissions(config->secrets_file, error, error_size) != 0)
			return -1;
		char *secrets = config_read_file(config->secrets_file, error, error_size);
		if (secrets == NULL)
			return -1;
		result = config_parse_text(config, secrets, config->secrets_file, 1, error, error_size);
		/* Wipe the secret text before giving the memory back. */
		explicit_bzero(secrets, strlen(secrets));
		free(secrets);
		if (result != 0)
			return -1;
	}
	if (config_apply_environment(config, error, error_size) != 0)
		return -1;
	return config_validate(config, error, error_size);
}

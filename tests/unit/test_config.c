/* Configuration: defaults, parsing, bounds, secrets placement, environment. */
#include "unit_suites.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void config_defaults_are_valid(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX];
	config_set_defaults(&config);
	CU_ASSERT_EQUAL(config.workers, 4);
	CU_ASSERT_EQUAL(config.max_body_bytes, 1048576);
	CU_ASSERT_EQUAL(config.socket_mode, 0660);
	CU_ASSERT_EQUAL(config.access_token_ttl_s, 900);
	CU_ASSERT_EQUAL(config.rate_limit_per_minute, 200);
	/* the only thing a working setup must add is a signing key */
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "jwt_key"));
	CU_ASSERT_EQUAL(config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "secrets", 1, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
}

static void config_parses_keys_comments_and_blank_lines(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	const char *text = "# comment\n\nworkers = 7\n  listen = 127.0.0.1:9000   # trailing comment\n"
			   "socket_mode = 0600\nlog_level = debug\n";
	CU_ASSERT_EQUAL_FATAL(config_parse_text(&config, text, "test.conf", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.workers, 7);
	CU_ASSERT_STRING_EQUAL(config.listen, "127.0.0.1:9000");
	CU_ASSERT_EQUAL(config.socket_mode, 0600);
	CU_ASSERT_STRING_EQUAL(config.log_level, "debug");
}

static void config_refuses_out_of_range_and_non_numeric_values(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "workers = banana\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "t:1: workers"));
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "workers = 0\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "workers = 12x\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "socket_mode = 0999\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.workers, 4);
}

static void config_refuses_unknown_keys_and_lines_without_equals(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "wrokers = 3\n", "t", 0, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "unknown key"));
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "workers 3\n", "t", 0, error, sizeof(error)), 0);
}

static void config_keeps_secrets_out_of_the_main_file_and_out_of_errors(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "db_password = hunter2\n", "main", 0, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NULL(strstr(error, "hunter2"));
	CU_ASSERT_EQUAL(config_parse_text(&config, "db_password = pa#ss word\n", "secrets", 1, error, sizeof(error)), 0);
	CU_ASSERT_STRING_EQUAL(config.db_password, "pa#ss word");
	/* and ordinary keys do not belong in the secrets file */
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "workers = 2\n", "secrets", 1, error, sizeof(error)), 0);
}

static void config_environment_overrides_the_file(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	setenv("INTUKA_DB_PORT", "3307", 1);
	setenv("INTUKA_DB_PASSWORD", "from-env", 1);
	CU_ASSERT_EQUAL(config_apply_environment(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.db_port, 3307);
	CU_ASSERT_STRING_EQUAL(config.db_password, "from-env");
	setenv("INTUKA_DB_PORT", "70000", 1);
	CU_ASSERT_NOT_EQUAL(config_apply_environment(&config, error, sizeof(error)), 0);
	unsetenv("INTUKA_DB_PORT");
	unsetenv("INTUKA_DB_PASSWORD");
}

static void config_jwt_keys_live_in_the_secrets_file_and_need_a_signer(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "jwt_key.k1 = abc\n", "main", 0, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NULL(strstr(error, "abc"));
	CU_ASSERT_EQUAL(config_parse_text(&config, "jwt_key.old = a\njwt_key.new = b\n", "s", 1, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.jwt_key_count, 2);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0); /* two keys, no signer named */
	CU_ASSERT_EQUAL(config_parse_text(&config, "jwt_signing_kid = new\n", "m", 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_parse_text(&config, "jwt_signing_kid = gone\n", "m", 0, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "jwt_key.old = again\n", "s", 1, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "jwt_key.b@d = x\n", "s", 1, error, sizeof(error)), 0);
}

static void config_operator_key_is_a_long_secret_or_nothing(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "s", 1, error, sizeof(error));
	CU_ASSERT_STRING_EQUAL(config.operator_key, ""); /* default: no operator API */
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(
		config_parse_text(&config, "operator_key = 0123456789abcdef0123456789abcdef\n", "main", 0, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NULL(strstr(error, "0123456789"));
	CU_ASSERT_EQUAL(config_parse_text(&config, "operator_key = too-short-key\n", "s", 1, error, sizeof(error)), 0);
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "operator_key"));
	CU_ASSERT_PTR_NULL(strstr(error, "too-short-key"));
	CU_ASSERT_EQUAL(
		config_parse_text(&config, "operator_key = 0123456789abcdef0123456789abcdef\n", "s", 1, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.operator_rate_limit, 10);
	CU_ASSERT_EQUAL(config.operator_rate_window_s, 900);
}

static void config_embeddings_model_needs_a_url_and_may_stand_alone(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "s", 1, error, sizeof(error));
	CU_ASSERT_STRING_EQUAL(config.chat_llm_embedding_model, ""); /* default: text ranking only */
	CU_ASSERT_EQUAL(config.chat_llm_embedding_timeout_ms, 800);
	/* A URL serving embeddings only, without a chat model. */
	CU_ASSERT_EQUAL(config_parse_text(&config,
				"chat_llm_base_url = http://127.0.0.1:11434/v1\nchat_llm_embedding_model = nomic-embed-text\n",
				"main", 0, error, sizeof(error)),
		0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	/* A URL serving neither. */
	snprintf(config.chat_llm_embedding_model, sizeof(config.chat_llm_embedding_model), "%s", "");
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "chat_llm_model"));
	/* A model without a URL. */
	snprintf(config.chat_llm_base_url, sizeof(config.chat_llm_base_url), "%s", "");
	snprintf(config.chat_llm_embedding_model, sizeof(config.chat_llm_embedding_model), "%s", "m");
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "chat_llm_embedding_model"));
	CU_ASSERT_NOT_EQUAL(config_parse_text(&config, "chat_llm_embedding_timeout_ms = 50\n", "main", 0, error,
				    sizeof(error)),
		0);
}

static void config_validate_rejects_unknown_log_level(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	config_set_defaults(&config);
	config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "s", 1, error, sizeof(error));
	snprintf(config.log_level, sizeof(config.log_level), "loud");
	CU_ASSERT_NOT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "log_level"));
}

static void config_load_refuses_a_world_readable_secrets_file(void)
{
	char directory[] = "/tmp/intuka-config-test-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(directory));
	char config_path[256], secrets_path[256];
	snprintf(config_path, sizeof(config_path), "%s/intuka.conf", directory);
	snprintf(secrets_path, sizeof(secrets_path), "%s/secrets.conf", directory);
	FILE *file = fopen(config_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	fprintf(file, "workers = 3\nsecrets_file = %s\n", secrets_path);
	fclose(file);
	file = fopen(secrets_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	fprintf(file, "db_password = s3cret\njwt_key.k1 = c2VjcmV0\n");
	fclose(file);

	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	chmod(secrets_path, 0644);
	CU_ASSERT_NOT_EQUAL(config_load(&config, config_path, error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "0644"));
	chmod(secrets_path, 0600);
	CU_ASSERT_EQUAL(config_load(&config, config_path, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(config.workers, 3);
	CU_ASSERT_STRING_EQUAL(config.db_password, "s3cret");

	unlink(config_path);
	unlink(secrets_path);
	rmdir(directory);
}

static void config_load_reports_a_missing_file(void)
{
	struct config config;
	char error[CONFIG_ERROR_MAX] = "";
	CU_ASSERT_NOT_EQUAL(config_load(&config, "/nonexistent/intuka.conf", error, sizeof(error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "/nonexistent/intuka.conf"));
}

static void config_db_hosts_parses_a_list_in_order(void)
{
	struct config_db_host hosts[CONFIG_DB_HOSTS_MAX];
	size_t count = 0;
	char error[CONFIG_ERROR_MAX] = "";
	CU_ASSERT_EQUAL_FATAL(config_parse_db_hosts("db1.example:3307, 10.0.0.2 ,[::1]:3309,db-4", 3306, hosts,
				      CONFIG_DB_HOSTS_MAX, &count, error, sizeof(error)),
		0);
	CU_ASSERT_EQUAL_FATAL(count, 4);
	CU_ASSERT_STRING_EQUAL(hosts[0].host, "db1.example");
	CU_ASSERT_EQUAL(hosts[0].port, 3307);
	CU_ASSERT_STRING_EQUAL(hosts[1].host, "10.0.0.2");
	CU_ASSERT_EQUAL(hosts[1].port, 3306); /* no port: db_port */
	CU_ASSERT_STRING_EQUAL(hosts[2].host, "::1");
	CU_ASSERT_EQUAL(hosts[2].port, 3309);
	CU_ASSERT_STRING_EQUAL(hosts[3].host, "db-4");
	CU_ASSERT_EQUAL(hosts[3].port, 3306);
	CU_ASSERT_EQUAL(config_parse_db_hosts("127.0.0.1:1", 3306, hosts, CONFIG_DB_HOSTS_MAX, &count, error,
				sizeof(error)),
		0);
	CU_ASSERT_EQUAL(count, 1);
}

static void config_db_hosts_refuses_malformed_lists(void)
{
	static const char *const bad[] = {"", ",", "a:1,,b:2", "a:1,", "a:0", "a:65536", "a:", "a:12x", "a:123456",
		":3306", "::1:3306", "[::1", "[::1]3306", "a b:1", "a;drop:1", "[]:1"};
	struct config_db_host hosts[CONFIG_DB_HOSTS_MAX];
	size_t count = 0;
	char error[CONFIG_ERROR_MAX];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error[0] = '\0';
		CU_ASSERT_EQUAL(config_parse_db_hosts(bad[i], 3306, hosts, CONFIG_DB_HOSTS_MAX, &count, error,
					sizeof(error)),
			-1);
		CU_ASSERT_NOT_EQUAL(error[0], '\0');
	}
	/* More hosts than the array holds. */
	CU_ASSERT_EQUAL(config_parse_db_hosts("a,b,c", 3306, hosts, 2, &count, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "more than 2"));
	/* A bad list fails validation, so intukad --check refuses it. */
	struct config config;
	config_set_defaults(&config);
	CU_ASSERT_EQUAL_FATAL(config_parse_text(&config, "jwt_key.k1 = c2VjcmV0\n", "secrets", 1, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(config_parse_text(&config, "db_hosts = a:1,b:99999\n", "test.conf", 0, error,
				      sizeof(error)),
		0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "db_hosts"));
	CU_ASSERT_EQUAL_FATAL(config_parse_text(&config, "db_hosts = a:1,b:2\n", "test.conf", 0, error,
				      sizeof(error)),
		0);
	CU_ASSERT_EQUAL(config_validate(&config, error, sizeof(error)), 0);
}

/* intuka.conf(5) names each key as ".Cm key" (mdoc): a key added to the
 * table without a word in the manual page fails here. */
static void config_every_key_is_described_in_the_manual_page(void)
{
	FILE *page = fopen(INTUKA_CONF_MAN_PAGE, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	static char text[128 * 1024];
	size_t length = fread(text, 1, sizeof(text) - 1, page);
	text[length] = '\0';
	fclose(page);
	size_t described = 0;
	for (size_t i = 0; config_key_name(i) != NULL; i++) {
		char needle[128];
		snprintf(needle, sizeof(needle), "Cm %s ", config_key_name(i));
		if (strstr(text, needle) != NULL)
			described++;
		else {
			printf("\n    %s is not described in man/intuka.conf.5 (no \".It Cm %s\")\n", config_key_name(i),
				config_key_name(i));
			CU_FAIL("a configuration key is missing from man/intuka.conf.5");
		}
	}
	CU_ASSERT(described > 50);
}

static const struct unit_test config_tests[] = {
	{"config_db_hosts_parses_a_list_in_order", config_db_hosts_parses_a_list_in_order},
	{"config_db_hosts_refuses_malformed_lists", config_db_hosts_refuses_malformed_lists},
	{"config_operator_key_is_a_long_secret_or_nothing", config_operator_key_is_a_long_secret_or_nothing},
	{"config_defaults_are_valid", config_defaults_are_valid},
	{"config_parses_keys_comments_and_blank_lines", config_parses_keys_comments_and_blank_lines},
	{"config_refuses_out_of_range_and_non_numeric_values", config_refuses_out_of_range_and_non_numeric_values},
	{"config_refuses_unknown_keys_and_lines_without_equals", config_refuses_unknown_keys_and_lines_without_equals},
	{"config_keeps_secrets_out_of_the_main_file_and_out_of_errors",
		config_keeps_secrets_out_of_the_main_file_and_out_of_errors},
	{"config_environment_overrides_the_file", config_environment_overrides_the_file},
	{"config_jwt_keys_live_in_the_secrets_file_and_need_a_signer", config_jwt_keys_live_in_the_secrets_file_and_need_a_signer},
	{"config_validate_rejects_unknown_log_level", config_validate_rejects_unknown_log_level},
	{"config_embeddings_model_needs_a_url_and_may_stand_alone", config_embeddings_model_needs_a_url_and_may_stand_alone},
	{"config_load_refuses_a_world_readable_secrets_file", config_load_refuses_a_world_readable_secrets_file},
	{"config_load_reports_a_missing_file", config_load_reports_a_missing_file},
	{"config_every_key_is_described_in_the_manual_page", config_every_key_is_described_in_the_manual_page},
};

int register_config_suite(void)
{
	return UNIT_SUITE("config", config_tests);
}

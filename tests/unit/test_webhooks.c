/* Webhook rules: the delivery signature, retry delays, the SSRF address
 * classification, target URL checks, extra header checks and the
 * receiver's authentication header. */
#include "unit_suites.h"
#include "find/events.h"
#include "find/webhook_policy.h"
#include "find/webhook_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex_of(const unsigned char *bytes, size_t length, char *out)
{
	for (size_t i = 0; i < length; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
}

/* The independent computation: OpenSSL's one-shot HMAC(), first proven on
 * RFC 4231 test case 2, then applied to "timestamp.body". */
static void independent_hmac_sha256(const char *key, const char *data, char *hex_out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, strlen(data), mac, &mac_length);
	hex_of(mac, mac_length, hex_out);
}

static void independent_hmac_matches_rfc_4231_case_2(void)
{
	char hex[65];
	independent_hmac_sha256("Jefe", "what do ya want for nothing?", hex);
	CU_ASSERT_STRING_EQUAL(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void signature_is_hmac_sha256_of_timestamp_dot_body(void)
{
	const char *body = "{\"id\":\"evt_1\",\"event\":\"product.upsert\"}";
	char signature[WEBHOOK_SIGNATURE_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(webhook_signature("whsec_test_secret", 1700000000, body, strlen(body), signature,
		sizeof(signature)), 0);
	/* Fixed vector, computed with: printf '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test_secret */
	CU_ASSERT_STRING_EQUAL(signature, "sha256=f79ae9c4df469946c036cd1bf0b860209daaf1810752c894e16eaa02acfb0438");
	char expected[65], signed_text[256];
	snprintf(signed_text, sizeof(signed_text), "1700000000.%s", body);
	independent_hmac_sha256("whsec_test_secret", signed_text, expected);
	CU_ASSERT_STRING_EQUAL(signature + 7, expected);
	/* Another timestamp or body gives another signature. */
	char other[WEBHOOK_SIGNATURE_TEXT_MAX];
	CU_ASSERT_EQUAL(webhook_signature("whsec_test_secret", 1700000001, body, strlen(body), other, sizeof(other)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(signature, other);
	CU_ASSERT_EQUAL(webhook_signature("whsec_test_secret", 1700000000, body, strlen(body), other, 10), -1);
}

static void generated_secrets_are_fresh_and_long_enough(void)
{
	char first[WEBHOOK_SECRET_TEXT_MAX], second[WEBHOOK_SECRET_TEXT_MAX];
	CU_ASSERT_EQUAL(webhook_secret_generate(first, sizeof(first)), 0);
	CU_ASSERT_EQUAL(webhook_secret_generate(second, sizeof(second)), 0);
	CU_ASSERT_EQUAL(strlen(first), 6 + 64);
	CU_ASSERT_EQUAL(strncmp(first, "whsec_", 6), 0);
	CU_ASSERT_STRING_NOT_EQUAL(first, second);
}

static void exponential_backoff_doubles_from_the_initial_delay_and_is_capped(void)
{
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 1000, 1), 1000);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 1000, 2), 2000);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 1000, 3), 4000);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 1000, 10), 512000);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 3600000, 9), WEBHOOK_MAX_RETRY_DELAY_MS);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 3600000, 1000), WEBHOOK_MAX_RETRY_DELAY_MS);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_EXPONENTIAL, 100, 0), 100);
}

static void fixed_backoff_waits_the_initial_delay_each_time(void)
{
	for (int attempt = 1; attempt <= 10; attempt++)
		CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_FIXED, 250, attempt), 250);
	CU_ASSERT_EQUAL(webhook_retry_delay_ms(WEBHOOK_BACKOFF_FIXED, WEBHOOK_MAX_RETRY_DELAY_MS * 2, 1),
		WEBHOOK_MAX_RETRY_DELAY_MS);
}

static enum webhook_address_class classify_text(const char *text)
{
	struct sockaddr_storage storage;
	memset(&storage, 0, sizeof(storage));
	struct sockaddr_in *ipv4 = (struct sockaddr_in *)&storage;
	struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&storage;
	if (inet_pton(AF_INET, text, &ipv4->sin_addr) == 1) {
		ipv4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, text, &ipv6->sin6_addr) == 1) {
		ipv6->sin6_family = AF_INET6;
	} else {
		CU_FAIL("test address does not parse");
		return WEBHOOK_ADDRESS_RESERVED;
	}
	return webhook_address_classify((const struct sockaddr *)&storage);
}

static void ssrf_classification_of_ipv4_addresses(void)
{
	static const struct {
		const char *address;
		enum webhook_address_class expected;
	} cases[] = {
		{"8.8.8.8", WEBHOOK_ADDRESS_PUBLIC},
		{"93.184.216.34", WEBHOOK_ADDRESS_PUBLIC},
		{"172.15.255.255", WEBHOOK_ADDRESS_PUBLIC},
		{"172.32.0.1", WEBHOOK_ADDRESS_PUBLIC},
		{"100.63.255.255", WEBHOOK_ADDRESS_PUBLIC},
		{"100.128.0.1", WEBHOOK_ADDRESS_PUBLIC},
		{"127.0.0.1", WEBHOOK_ADDRESS_LOOPBACK},
		{"127.255.255.254", WEBHOOK_ADDRESS_LOOPBACK},
		{"10.0.0.1", WEBHOOK_ADDRESS_PRIVATE},
		{"10.255.255.255", WEBHOOK_ADDRESS_PRIVATE},
		{"172.16.0.1", WEBHOOK_ADDRESS_PRIVATE},
		{"172.31.255.255", WEBHOOK_ADDRESS_PRIVATE},
		{"192.168.1.1", WEBHOOK_ADDRESS_PRIVATE},
		{"100.64.0.1", WEBHOOK_ADDRESS_CGNAT},
		{"100.127.255.255", WEBHOOK_ADDRESS_CGNAT},
		{"169.254.169.254", WEBHOOK_ADDRESS_LINK_LOCAL},
		{"169.254.0.1", WEBHOOK_ADDRESS_LINK_LOCAL},
		{"0.0.0.0", WEBHOOK_ADDRESS_UNSPECIFIED},
		{"0.1.2.3", WEBHOOK_ADDRESS_UNSPECIFIED},
		{"224.0.0.1", WEBHOOK_ADDRESS_MULTICAST},
		{"239.255.255.250", WEBHOOK_ADDRESS_MULTICAST},
		{"255.255.255.255", WEBHOOK_ADDRESS_MULTICAST},
		{"240.0.0.1", WEBHOOK_ADDRESS_RESERVED},
		{"198.18.0.1", WEBHOOK_ADDRESS_RESERVED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum webhook_address_class got = classify_text(cases[i].address);
		if (got != cases[i].expected)
			fprintf(stderr, "%s: got %s\n", cases[i].address, webhook_address_class_name(got));
		CU_ASSERT_EQUAL(got, cases[i].expected);
	}
}

static void ssrf_classification_of_ipv6_and_mapped_addresses(void)
{
	static const struct {
		const char *address;
		enum webhook_address_class expected;
	} cases[] = {
		{"2606:4700:4700::1111", WEBHOOK_ADDRESS_PUBLIC},
		{"2a00:1450:4001:80b::200e", WEBHOOK_ADDRESS_PUBLIC},
		{"::1", WEBHOOK_ADDRESS_LOOPBACK},
		{"::", WEBHOOK_ADDRESS_UNSPECIFIED},
		{"fc00::1", WEBHOOK_ADDRESS_PRIVATE},
		{"fd12:3456:789a::1", WEBHOOK_ADDRESS_PRIVATE},
		{"fe80::1", WEBHOOK_ADDRESS_LINK_LOCAL},
		{"febf::1", WEBHOOK_ADDRESS_LINK_LOCAL},
		{"ff02::1", WEBHOOK_ADDRESS_MULTICAST},
		{"ff05::2", WEBHOOK_ADDRESS_MULTICAST},
		/* IPv4-mapped: classified by the IPv4 address inside */
		{"::ffff:127.0.0.1", WEBHOOK_ADDRESS_LOOPBACK},
		{"::ffff:10.1.2.3", WEBHOOK_ADDRESS_PRIVATE},
		{"::ffff:169.254.169.254", WEBHOOK_ADDRESS_LINK_LOCAL},
		{"::ffff:100.64.1.1", WEBHOOK_ADDRESS_CGNAT},
		{"::ffff:0.0.0.0", WEBHOOK_ADDRESS_UNSPECIFIED},
		{"::ffff:8.8.8.8", WEBHOOK_ADDRESS_PUBLIC},
		/* IPv4-compatible and NAT64 forms as well */
		{"::127.0.0.1", WEBHOOK_ADDRESS_LOOPBACK},
		{"64:ff9b::192.168.0.1", WEBHOOK_ADDRESS_PRIVATE},
		{"64:ff9b::8.8.4.4", WEBHOOK_ADDRESS_PUBLIC},
		/* 6to4 carrying a private address */
		{"2002:0a00:0001::1", WEBHOOK_ADDRESS_PRIVATE},
		{"2001:db8::1", WEBHOOK_ADDRESS_RESERVED},
		{"100::1", WEBHOOK_ADDRESS_RESERVED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum webhook_address_class got = classify_text(cases[i].address);
		if (got != cases[i].expected)
			fprintf(stderr, "%s: got %s\n", cases[i].address, webhook_address_class_name(got));
		CU_ASSERT_EQUAL(got, cases[i].expected);
	}
}

static void ssrf_rule_lets_the_setting_open_private_ranges_but_never_link_local(void)
{
	CU_ASSERT_TRUE(webhook_address_allowed(WEBHOOK_ADDRESS_PUBLIC, 0));
	CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_LOOPBACK, 0));
	CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_PRIVATE, 0));
	CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_CGNAT, 0));
	CU_ASSERT_TRUE(webhook_address_allowed(WEBHOOK_ADDRESS_LOOPBACK, 1));
	CU_ASSERT_TRUE(webhook_address_allowed(WEBHOOK_ADDRESS_PRIVATE, 1));
	CU_ASSERT_TRUE(webhook_address_allowed(WEBHOOK_ADDRESS_CGNAT, 1));
	for (int allow = 0; allow <= 1; allow++) {
		CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_LINK_LOCAL, allow));
		CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_UNSPECIFIED, allow));
		CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_MULTICAST, allow));
		CU_ASSERT_FALSE(webhook_address_allowed(WEBHOOK_ADDRESS_RESERVED, allow));
	}
}

static void target_urls_must_be_http_with_a_host_and_no_credentials(void)
{
	struct webhook_target target;
	CU_ASSERT_PTR_NULL(webhook_url_problem("https://hooks.example.com/intuka", &target));
	CU_ASSERT_STRING_EQUAL(target.host, "hooks.example.com");
	CU_ASSERT_EQUAL(target.port, 443);
	CU_ASSERT_FALSE(target.host_is_literal);
	CU_ASSERT_PTR_NULL(webhook_url_problem("http://127.0.0.1:8099/x?y=1", &target));
	CU_ASSERT_EQUAL(target.port, 8099);
	CU_ASSERT_TRUE(target.host_is_literal);
	CU_ASSERT_PTR_NULL(webhook_url_problem("http://[::1]:9000/", &target));
	CU_ASSERT_STRING_EQUAL(target.host, "::1");
	CU_ASSERT_TRUE(target.host_is_literal);
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("ftp://example.com/", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("file:///etc/passwd", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("gopher://example.com/", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("example.com/hook", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("http:///path-only", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("http://user:pass@example.com/", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("http://example.com/a b", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("http://example.com/\r\nX: y", &target));
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem("http://[fe80::1%25eth0]/", &target));
	char long_url[2100] = "https://example.com/";
	memset(long_url + 20, 'a', 2060);
	long_url[2080] = '\0';
	CU_ASSERT_PTR_NOT_NULL(webhook_url_problem(long_url, &target));
}

static void literal_targets_are_refused_or_allowed_by_the_rule(void)
{
	struct webhook_target target;
	char why[WEBHOOK_ERROR_MAX];
	static const char *const refused_always[] = {"http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
		"http://[::ffff:169.254.169.254]/", "http://[ff02::1]/", "http://[fe80::1]/", "http://224.0.0.1/"};
	for (size_t i = 0; i < sizeof(refused_always) / sizeof(refused_always[0]); i++) {
		CU_ASSERT_PTR_NULL_FATAL(webhook_url_problem(refused_always[i], &target));
		CU_ASSERT_EQUAL(webhook_target_resolve(&target, 1, why, sizeof(why)), WEBHOOK_TARGET_REFUSED);
	}
	static const char *const private_targets[] = {"http://127.0.0.1:9/", "http://[::1]/", "http://10.0.0.5/",
		"http://[::ffff:127.0.0.1]/", "http://192.168.0.10:8080/", "http://100.64.0.1/", "http://[fd00::1]/"};
	for (size_t i = 0; i < sizeof(private_targets) / sizeof(private_targets[0]); i++) {
		CU_ASSERT_PTR_NULL_FATAL(webhook_url_problem(private_targets[i], &target));
		CU_ASSERT_EQUAL(webhook_target_resolve(&target, 0, why, sizeof(why)), WEBHOOK_TARGET_REFUSED);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a public address"));
		CU_ASSERT_EQUAL(webhook_target_resolve(&target, 1, why, sizeof(why)), WEBHOOK_TARGET_OK);
	}
	/* Decimal and hexadecimal spellings of loopback reach loopback too. */
	CU_ASSERT_PTR_NULL_FATAL(webhook_url_problem("http://2130706433/", &target));
	CU_ASSERT_EQUAL(webhook_target_resolve(&target, 0, why, sizeof(why)), WEBHOOK_TARGET_REFUSED);
	CU_ASSERT_PTR_NULL_FATAL(webhook_url_problem("http://0x7f000001/", &target));
	CU_ASSERT_EQUAL(webhook_target_resolve(&target, 0, why, sizeof(why)), WEBHOOK_TARGET_REFUSED);
	CU_ASSERT_PTR_NULL_FATAL(webhook_url_problem("http://localhost:8080/", &target));
	CU_ASSERT_EQUAL(webhook_target_resolve(&target, 0, why, sizeof(why)), WEBHOOK_TARGET_REFUSED);
}

static void sending_to_a_refused_address_never_connects(void)
{
	struct webhook_request request = {.url = "http://127.0.0.1:9/", .secret = "s", .event = "product.upsert",
		.delivery_id = "evt_x", .body = "{}", .body_length = 2, .timeout_ms = 1000, .allow_private_targets = 0};
	struct webhook_outcome outcome;
	webhook_send(&request, &outcome);
	CU_ASSERT_FALSE(outcome.delivered);
	CU_ASSERT_TRUE(outcome.refused);
	CU_ASSERT_EQUAL(outcome.response_code, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(outcome.error, "not a public address"));
}

static void extra_headers_are_checked_by_name_and_value(void)
{
	CU_ASSERT_PTR_NULL(webhook_header_problem("Authorization", "Bearer abc"));
	CU_ASSERT_PTR_NULL(webhook_header_problem("X-Shop", "one\ttwo"));
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("X-Shop", "a\r\nInjected: yes"));
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("X-Shop", "a\nb"));
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("Bad Name", "x"));
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("Bad:Name", "x"));
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("", "x"));
	static const char *const refused[] = {"Host", "content-length", "Content-Type", "Transfer-Encoding",
		"Connection", "Keep-Alive", "Upgrade", "TE", "Proxy-Authorization", "X-Webhook-Signature",
		"x-webhook-timestamp", "X-Webhook-Id", "X-Webhook-Event"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CU_ASSERT_PTR_NOT_NULL(webhook_header_problem(refused[i], "x"));
	char long_value[600];
	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem("X-Long", long_value));
	char long_name[80];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CU_ASSERT_PTR_NOT_NULL(webhook_header_problem(long_name, "x"));
}

static void event_catalogue_has_the_ten_find_events(void)
{
	size_t count = 0;
	for (const struct webhook_event_type *event = webhook_event_catalogue(); event->name != NULL; event++) {
		CU_ASSERT_TRUE(strlen(event->description) > 0);
		count++;
	}
	CU_ASSERT_EQUAL(count, 10);
	CU_ASSERT_TRUE(webhook_event_known("product.upsert"));
	CU_ASSERT_TRUE(webhook_event_known("chat.handoff"));
	CU_ASSERT_FALSE(webhook_event_known("product.*"));
	CU_ASSERT_FALSE(webhook_event_known("webhook.test"));
}

static void event_body_carries_id_event_workspace_and_data(void)
{
	json_object *payload = json_object_new_object();
	json_object_object_add(payload, "id", json_object_new_string("sku-1"));
	char *body = find_events_body("evt_0123", "product.upsert", "shop-example", payload, 1700000000123LL);
	json_object_put(payload);
	json_object *parsed = json_tokener_parse(body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
	json_object *value = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "id", &value));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(value), "evt_0123");
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "created_at", &value));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(value), "2023-11-14T22:13:20.123Z");
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "workspace", &value));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(value), "shop-example");
	CU_ASSERT_TRUE(json_object_object_get_ex(parsed, "data", &value));
	json_object *id = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(value, "id", &id));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(id), "sku-1");
	json_object_put(parsed);
	free(body);
	char event_id[40];
	CU_ASSERT_EQUAL(find_events_new_id(event_id, sizeof(event_id)), 0);
	CU_ASSERT_EQUAL(strlen(event_id), 36);
}

/* The header each auth_type sends, built from the stored config; the
 * Basic credentials decoded independently with OpenSSL's decoder. */
static void auth_types_make_their_header(void)
{
	struct webhook_auth_header header;
	CU_ASSERT_EQUAL(webhook_auth_header("none", NULL, &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, "");
	CU_ASSERT_EQUAL(webhook_auth_header(NULL, NULL, &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, "");

	CU_ASSERT_EQUAL(webhook_auth_header("bearer", "{\"token\":\"tok_123\"}", &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, "Authorization");
	CU_ASSERT_STRING_EQUAL(header.value, "Bearer tok_123");

	CU_ASSERT_EQUAL(webhook_auth_header("basic", "{\"username\":\"shop\",\"password\":\"p4ss word\"}", &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, "Authorization");
	CU_ASSERT_EQUAL(strncmp(header.value, "Basic ", 6), 0);
	unsigned char decoded[64] = {0};
	int length = EVP_DecodeBlock(decoded, (const unsigned char *)header.value + 6, (int)strlen(header.value + 6));
	CU_ASSERT_TRUE(length >= 14);
	CU_ASSERT_EQUAL(memcmp(decoded, "shop:p4ss word", 14), 0);

	CU_ASSERT_EQUAL(webhook_auth_header("api_key", "{\"key\":\"k-1\"}", &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, WEBHOOK_API_KEY_DEFAULT_HEADER);
	CU_ASSERT_STRING_EQUAL(header.value, "k-1");
	CU_ASSERT_EQUAL(webhook_auth_header("api_key", "{\"key\":\"k-2\",\"header\":\"X-Shop-Key\"}", &header), 0);
	CU_ASSERT_STRING_EQUAL(header.name, "X-Shop-Key");

	/* A stored config that cannot make the header fails the delivery. */
	CU_ASSERT_EQUAL(webhook_auth_header("bearer", NULL, &header), -1);
	CU_ASSERT_EQUAL(webhook_auth_header("bearer", "{\"token\":\"a b\"}", &header), -1);
	CU_ASSERT_EQUAL(webhook_auth_header("oauth", "{}", &header), -1);
	CU_ASSERT_STRING_EQUAL(header.name, "");

	/* The longest credentials still fit in one header value. */
	char config[1024], username[WEBHOOK_AUTH_USERNAME_MAX + 1], password[WEBHOOK_AUTH_PASSWORD_MAX + 1];
	memset(username, 'u', sizeof(username) - 1);
	username[sizeof(username) - 1] = '\0';
	memset(password, 'p', sizeof(password) - 1);
	password[sizeof(password) - 1] = '\0';
	snprintf(config, sizeof(config), "{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
	CU_ASSERT_EQUAL(webhook_auth_header("basic", config, &header), 0);
	CU_ASSERT_PTR_NULL(webhook_header_problem(header.name, header.value));
	char token[WEBHOOK_AUTH_SECRET_MAX + 1];
	memset(token, 't', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	snprintf(config, sizeof(config), "{\"token\":\"%s\"}", token);
	CU_ASSERT_EQUAL(webhook_auth_header("bearer", config, &header), 0);
	CU_ASSERT_EQUAL(strlen(header.value), 7 + WEBHOOK_AUTH_SECRET_MAX);
}

static const char *auth_problem(const char *type_name, const char *config_json, char *member, size_t member_size)
{
	enum webhook_auth_type type = WEBHOOK_AUTH_NONE;
	CU_ASSERT_EQUAL_FATAL(webhook_auth_type_parse(type_name, &type), 0);
	json_object *config = config_json ? json_tokener_parse(config_json) : NULL;
	const char *problem = webhook_auth_config_problem(type, config, member, member_size);
	json_object_put(config);
	return problem;
}

static void auth_configs_are_checked_member_by_member(void)
{
	char member[64];
	CU_ASSERT_PTR_NULL(auth_problem("none", NULL, member, sizeof(member)));
	CU_ASSERT_PTR_NULL(auth_problem("none", "{}", member, sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("none", "{\"token\":\"x\"}", member, sizeof(member)));
	CU_ASSERT_PTR_NULL(auth_problem("bearer", "{\"token\":\"abc.def-ghi\"}", member, sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("bearer", NULL, member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("bearer", "{}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "token");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("bearer", "{\"token\":\"x\",\"scheme\":\"y\"}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "scheme");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("bearer", "{\"token\":\"a\\r\\nb\"}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "token");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("bearer", "{\"token\":5}", member, sizeof(member)));
	CU_ASSERT_PTR_NULL(auth_problem("basic", "{\"username\":\"u\",\"password\":\"\"}", member, sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("basic", "{\"username\":\"a:b\",\"password\":\"p\"}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "username");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("basic", "{\"username\":\"u\"}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "password");
	CU_ASSERT_PTR_NULL(auth_problem("api_key", "{\"key\":\"k\",\"header\":\"X-Key\"}", member, sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("api_key", "{\"key\":\"k\",\"header\":\"Host\"}", member, sizeof(member)));
	CU_ASSERT_STRING_EQUAL(member, "header");
	CU_ASSERT_PTR_NOT_NULL(auth_problem("api_key", "{\"key\":\"k\",\"header\":\"X-Webhook-Id\"}", member,
		sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("api_key", "{\"key\":\"k\",\"header\":\"authorization\"}", member,
		sizeof(member)));
	CU_ASSERT_PTR_NOT_NULL(auth_problem("api_key", "{\"key\":\"k\",\"header\":\"Bad Name\"}", member, sizeof(member)));
	enum webhook_auth_type type;
	CU_ASSERT_EQUAL(webhook_auth_type_parse("oauth2", &type), -1);
	CU_ASSERT_STRING_EQUAL(webhook_auth_type_name(WEBHOOK_AUTH_API_KEY), "api_key");
}

/* Clients see the auth config without its credentials. */
static void auth_config_is_shown_without_credentials(void)
{
	const struct {
		const char *type, *config, *shown;
	} cases[] = {
		{"none", NULL, "{}"},
		{"bearer", "{\"token\":\"t\"}", "{}"},
		{"basic", "{\"username\":\"shop\",\"password\":\"p\"}", "{\"username\":\"shop\"}"},
		{"api_key", "{\"key\":\"k\"}", "{\"header\":\"X-API-Key\"}"},
		{"api_key", "{\"key\":\"k\",\"header\":\"X-Shop-Key\"}", "{\"header\":\"X-Shop-Key\"}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *shown = webhook_auth_config_public(cases[i].type, cases[i].config);
		CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(shown, JSON_C_TO_STRING_PLAIN), cases[i].shown);
		json_object_put(shown);
	}
}

static const struct unit_test webhook_tests[] = {
	{"independent_hmac_matches_rfc_4231_case_2", independent_hmac_matches_rfc_4231_case_2},
	{"signature_is_hmac_sha256_of_timestamp_dot_body", signature_is_hmac_sha256_of_timestamp_dot_body},
	{"generated_secrets_are_fresh_and_long_enough", generated_secrets_are_fresh_and_long_enough},
	{"exponential_backoff_doubles_from_the_initial_delay_and_is_capped",
		exponential_backoff_doubles_from_the_initial_delay_and_is_capped},
	{"fixed_backoff_waits_the_initial_delay_each_time", fixed_backoff_waits_the_initial_delay_each_time},
	{"ssrf_classification_of_ipv4_addresses", ssrf_classification_of_ipv4_addresses},
	{"ssrf_classification_of_ipv6_and_mapped_addresses", ssrf_classification_of_ipv6_and_mapped_addresses},
	{"ssrf_rule_lets_the_setting_open_private_ranges_but_never_link_local",
		ssrf_rule_lets_the_setting_open_private_ranges_but_never_link_local},
	{"target_urls_must_be_http_with_a_host_and_no_credentials",
		target_urls_must_be_http_with_a_host_and_no_credentials},
	{"literal_targets_are_refused_or_allowed_by_the_rule", literal_targets_are_refused_or_allowed_by_the_rule},
	{"sending_to_a_refused_address_never_connects", sending_to_a_refused_address_never_connects},
	{"extra_headers_are_checked_by_name_and_value", extra_headers_are_checked_by_name_and_value},
	{"event_catalogue_has_the_ten_find_events", event_catalogue_has_the_ten_find_events},
	{"event_body_carries_id_event_workspace_and_data", event_body_carries_id_event_workspace_and_data},
	{"auth_types_make_their_header", auth_types_make_their_header},
	{"auth_configs_are_checked_member_by_member", auth_configs_are_checked_member_by_member},
	{"auth_config_is_shown_without_credentials", auth_config_is_shown_without_credentials},
};

int register_webhooks_suite(void)
{
	return UNIT_SUITE("webhooks", webhook_tests);
}

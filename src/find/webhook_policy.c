/* Webhook rules without I/O: events, retry delays, the SSRF address rule,
 * extra header checks, the receiver's authentication header and the
 * delivery signature. */
#include "find/webhook_policy.h"
#include "core/hex.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct webhook_event_type webhook_events[] = {
	{"product.upsert", "A product was created or updated (single or bulk upsert)"},
	{"product.delete", "A product was deleted (by id, in bulk or by query)"},
	{"post.upsert", "A post was created or updated"},
	{"post.delete", "A post was deleted"},
	{"taxonomy.upsert", "A taxonomy term was created or updated"},
	{"taxonomy.delete", "A taxonomy term was deleted"},
	{"prompt.upsert", "A chat prompt was created or updated"},
	{"prompt.delete", "A chat prompt was deleted"},
	{"feedback.submit", "A visitor submitted feedback on a chat answer"},
	{"chat.handoff", "A chat conversation asked for a human"},
	{NULL, NULL},
};

const struct webhook_event_type *webhook_event_catalogue(void)
{
	return webhook_events;
}

int webhook_event_known(const char *name)
{
	for (const struct webhook_event_type *event = webhook_events; event->name != NULL; event++)
		if (strcmp(event->name, name) == 0)
			return 1;
	return 0;
}

int64_t webhook_retry_delay_ms(enum webhook_backoff backoff, int64_t initial_delay_ms, int failed_attempts)
{
	if (initial_delay_ms < 0)
		initial_delay_ms = 0;
	if (initial_delay_ms > WEBHOOK_MAX_RETRY_DELAY_MS)
		return WEBHOOK_MAX_RETRY_DELAY_MS;
	if (backoff == WEBHOOK_BACKOFF_FIXED || failed_attempts <= 1)
		return initial_delay_ms;
	int64_t delay = initial_delay_ms;
	/* Doubling stops at the cap, so no shift can overflow. */
	for (int i = 1; i < failed_attempts && delay < WEBHOOK_MAX_RETRY_DELAY_MS; i++)
		delay *= 2;
	return delay > WEBHOOK_MAX_RETRY_DELAY_MS ? WEBHOOK_MAX_RETRY_DELAY_MS : delay;
}

static enum webhook_address_class webhook_classify_ipv4(uint32_t address)
{
	uint8_t first = (uint8_t)(address >> 24), second = (uint8_t)(address >> 16);
	if (first == 0)
		return WEBHOOK_ADDRESS_UNSPECIFIED;
	if (first == 127)
		return WEBHOOK_ADDRESS_LOOPBACK;
	if (first == 10 || (first == 172 && (second & 0xf0) == 16) || (first == 192 && second == 168))
		return WEBHOOK_ADDRESS_PRIVATE;
	if (first == 100 && (second & 0xc0) == 64)
		return WEBHOOK_ADDRESS_CGNAT;
	if (first == 169 && second == 254)
		return WEBHOOK_ADDRESS_LINK_LOCAL;
	if (address == 0xffffffffu || (first & 0xf0) == 224)
		return WEBHOOK_ADDRESS_MULTICAST;
	if ((first & 0xf0) == 240)
		return WEBHOOK_ADDRESS_RESERVED;
	/* 192.0.0.0/24 (protocol assignments) and 198.18.0.0/15 (benchmarking)
	 * are nobody's public web server. */
	if ((first == 192 && second == 0 && (uint8_t)(address >> 8) == 0) || (first == 198 && (second & 0xfe) == 18))
		return WEBHOOK_ADDRESS_RESERVED;
	return WEBHOOK_ADDRESS_PUBLIC;
}

static uint32_t webhook_ipv4_from_bytes(const uint8_t *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

static enum webhook_address_class webhook_classify_ipv6(const uint8_t *bytes)
{
	static const uint8_t zeros[16] = {0};
	static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64_prefix[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	if (memcmp(bytes, zeros, 16) == 0)
		return WEBHOOK_ADDRESS_UNSPECIFIED;
	if (memcmp(bytes, zeros, 15) == 0 && bytes[15] == 1)
		return WEBHOOK_ADDRESS_LOOPBACK;
	/* ::ffff:a.b.c.d, ::a.b.c.d (deprecated compatible form) and
	 * 64:ff9b::a.b.c.d all reach the IPv4 address they carry. */
	if (memcmp(bytes, mapped_prefix, 12) == 0 || memcmp(bytes, zeros, 12) == 0 ||
		memcmp(bytes, nat64_prefix, 12) == 0)
		return webhook_classify_ipv4(webhook_ipv4_from_bytes(bytes + 12));
	if (bytes[0] == 0xff)
		return WEBHOOK_ADDRESS_MULTICAST;
	if ((bytes[0] & 0xfe) == 0xfc)
		return WEBHOOK_ADDRESS_PRIVATE;
	if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80)
		return WEBHOOK_ADDRESS_LINK_LOCAL;
	if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0xc0)
		return WEBHOOK_ADDRESS_PRIVATE; /* deprecated site-local fec0::/10 */
	/* 2002::/16 (6to4) embeds an IPv4 address in bytes 2-5. */
	if (bytes[0] == 0x20 && bytes[1] == 0x02) {
		enum webhook_address_class embedded = webhook_classify_ipv4(webhook_ipv4_from_bytes(bytes + 2));
		if (embedded != WEBHOOK_ADDRESS_PUBLIC)
			return embedded;
	}
	/* Everything outside 2000::/3 is unassigned or special: not a web server. */
	if ((bytes[0] & 0xe0) != 0x20)
		return WEBHOOK_ADDRESS_RESERVED;
	/* 2001:db8::/32 documentation */
	if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8)
		return WEBHOOK_ADDRESS_RESERVED;
	return WEBHOOK_ADDRESS_PUBLIC;
}

enum webhook_address_class webhook_address_classify(const struct sockaddr *address)
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)(const void *)address;
		return webhook_classify_ipv4(ntohl(ipv4->sin_addr.s_addr));
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)(const void *)address;
		return webhook_classify_ipv6(ipv6->sin6_addr.s6_addr);
	}
	return WEBHOOK_ADDRESS_RESERVED;
}

const char *webhook_address_class_name(enum webhook_address_class address_class)
{
	switch (address_class) {
	case WEBHOOK_ADDRESS_PUBLIC:
		return "public";
	case WEBHOOK_ADDRESS_LOOPBACK:
		return "loopback";
	case WEBHOOK_ADDRESS_PRIVATE:
		return "private";
	case WEBHOOK_ADDRESS_CGNAT:
		return "carrier-grade NAT";
	case WEBHOOK_ADDRESS_LINK_LOCAL:
		return "link-local";
	case WEBHOOK_ADDRESS_UNSPECIFIED:
		return "unspecified";
	case WEBHOOK_ADDRESS_MULTICAST:
		return "multicast or broadcast";
	case WEBHOOK_ADDRESS_RESERVED:
	default:
		return "reserved";
	}
}

int webhook_address_allowed(enum webhook_address_class address_class, int allow_private_targets)
{
	switch (address_class) {
	case WEBHOOK_ADDRESS_PUBLIC:
		return 1;
	case WEBHOOK_ADDRESS_LOOPBACK:
	case WEBHOOK_ADDRESS_PRIVATE:
	case WEBHOOK_ADDRESS_CGNAT:
		return allow_private_targets != 0;
	default:
		return 0;
	}
}

/* Names the delivery sets itself, or that only the transport may set. */
static const char *const webhook_reserved_headers[] = {
	"host", "content-length", "content-type", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
	"proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "upgrade", "expect", "user-agent",
	NULL,
};

const char *webhook_header_problem(const char *name, const char *value)
{
	static const char token_characters[] = "!#$%&'*+-.^_`|~0123456789"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t name_length = strlen(name);
	if (name_length == 0 || name_length > WEBHOOK_HEADER_NAME_MAX)
		return "header names are 1 to 64 characters";
	if (strspn(name, token_characters) != name_length)
		return "header names use letters, digits and !#$%&'*+-.^_`|~ only";
	for (const char *const *reserved = webhook_reserved_headers; *reserved != NULL; reserved++)
		if (strcasecmp(name, *reserved) == 0)
			return "this header is set by the delivery itself or by the transport";
	if (strncasecmp(name, "x-webhook-", 10) == 0)
		return "X-Webhook-* headers are set by the delivery (event, id, timestamp, signature)";
	if (strlen(value) > WEBHOOK_HEADER_VALUE_MAX)
		return "header values are at most 512 characters";
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return "header values must not contain CR, LF or other control characters";
	return NULL;
}

int webhook_signature(const char *secret, int64_t timestamp_s, const char *body, size_t body_length, char *out,
	size_t out_size)
{
	if (out_size < WEBHOOK_SIGNATURE_TEXT_MAX)
		return -1;
	char prefix[32];
	int prefix_length = snprintf(prefix, sizeof(prefix), "%lld.", (long long)timestamp_s);
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mac_length = 0;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *context = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
	int ok = context != NULL && EVP_MAC_init(context, (const unsigned char *)secret, strlen(secret), params) == 1 &&
		EVP_MAC_update(context, (const unsigned char *)prefix, (size_t)prefix_length) == 1 &&
		EVP_MAC_update(context, (const unsigned char *)body, body_length) == 1 &&
		EVP_MAC_final(context, mac, &mac_length, sizeof(mac)) == 1 && mac_length == 32;
	EVP_MAC_CTX_free(context);
	EVP_MAC_free(hmac);
	if (!ok)
		return -1;
	memcpy(out, "sha256=", 7);
	hex_encode(mac, mac_length, out + 7);
	return 0;
}

/* ------------------------------------------------------------ auth */

static const char *const webhook_auth_type_names[WEBHOOK_AUTH__MAX] = {"none", "bearer", "basic", "api_key"};

int webhook_auth_type_parse(const char *name, enum webhook_auth_type *type)
{
	for (int i = 0; i < WEBHOOK_AUTH__MAX; i++) {
		if (name != NULL && strcmp(name, webhook_auth_type_names[i]) == 0) {
			*type = (enum webhook_auth_type)i;
			return 0;
		}
	}
	return -1;
}

const char *webhook_auth_type_name(enum webhook_auth_type type)
{
	return type < WEBHOOK_AUTH__MAX ? webhook_auth_type_names[type] : "none";
}

/* The members each type takes, and which are required. */
static const struct {
	const char *name;
	int required;
} webhook_auth_members[WEBHOOK_AUTH__MAX][3] = {
	[WEBHOOK_AUTH_BEARER] = {{"token", 1}},
	[WEBHOOK_AUTH_BASIC] = {{"username", 1}, {"password", 1}},
	[WEBHOOK_AUTH_API_KEY] = {{"key", 1}, {"header", 0}},
};

/* A credential: 1-max bytes; visible ASCII only when visible_ascii (it
 * goes into a header as is), otherwise no control characters. */
static const char *webhook_auth_text_problem(json_object *value, size_t min_length, size_t max_length,
	int visible_ascii)
{
	if (!json_object_is_type(value, json_type_string))
		return "must be a string";
	size_t length = (size_t)json_object_get_string_len(value);
	const unsigned char *text = (const unsigned char *)json_object_get_string(value);
	if (length < min_length || length > max_length || strlen((const char *)text) != length)
		return visible_ascii ? "must be 1 to 400 visible ASCII characters" : "too long (at most 128 bytes)";
	for (size_t i = 0; i < length; i++) {
		if (visible_ascii && (text[i] <= 0x20 || text[i] >= 0x7f))
			return "must be 1 to 400 visible ASCII characters (no spaces)";
		if (!visible_ascii && (text[i] < 0x20 || text[i] == 0x7f))
			return "must not contain control characters";
	}
	return NULL;
}

const char *webhook_auth_config_problem(enum webhook_auth_type type, json_object *config, char *member,
	size_t member_size)
{
	snprintf(member, member_size, "%s", "");
	if (type == WEBHOOK_AUTH_NONE) {
		if (config != NULL && json_object_object_length(config) > 0)
			return "auth_type none takes no auth_config";
		return NULL;
	}
	if (config == NULL || !json_object_is_type(config, json_type_object))
		return type == WEBHOOK_AUTH_BEARER ? "bearer needs {\"token\"}"
			: type == WEBHOOK_AUTH_BASIC ? "basic needs {\"username\", \"password\"}"
						     : "api_key needs {\"key\"} (and optionally \"header\")";
	json_object_object_foreach(config, key, unused)
	{
		(void)unused;
		int known = 0;
		for (int i = 0; i < 3 && webhook_auth_members[type][i].name != NULL; i++)
			known |= strcmp(webhook_auth_members[type][i].name, key) == 0;
		if (!known) {
			snprintf(member, member_size, "%.48s", key);
			return "is not a member of this auth_type's config";
		}
	}
	for (int i = 0; i < 3 && webhook_auth_members[type][i].name != NULL; i++) {
		json_object *value = NULL;
		const char *name = webhook_auth_members[type][i].name;
		if (!json_object_object_get_ex(config, name, &value) || value == NULL) {
			if (!webhook_auth_members[type][i].required)
				continue;
			snprintf(member, member_size, "%s", name);
			return "is required";
		}
		const char *problem = NULL;
		if (strcmp(name, "token") == 0 || strcmp(name, "key") == 0) {
			problem = webhook_auth_text_problem(value, 1, WEBHOOK_AUTH_SECRET_MAX, 1);
		} else if (strcmp(name, "username") == 0) {
			problem = webhook_auth_text_problem(value, 1, WEBHOOK_AUTH_USERNAME_MAX, 0);
			if (problem == NULL && strchr(json_object_get_string(value), ':') != NULL)
				problem = "must not contain ':'";
		} else if (strcmp(name, "password") == 0) {
			problem = webhook_auth_text_problem(value, 0, WEBHOOK_AUTH_PASSWORD_MAX, 0);
		} else if (strcmp(name, "header") == 0) {
			problem = json_object_is_type(value, json_type_string)
				? webhook_header_problem(json_object_get_string(value), "")
				: "must be a header name";
			if (problem == NULL && strcasecmp(json_object_get_string(value), "authorization") == 0)
				problem = "use auth_type bearer or basic for Authorization";
		}
		if (problem != NULL) {
			snprintf(member, member_size, "%s", name);
			return problem;
		}
	}
	return NULL;
}

static const char *webhook_auth_member(json_object *config, const char *name)
{
	json_object *value = NULL;
	if (config == NULL || !json_object_object_get_ex(config, name, &value) ||
		!json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

void webhook_auth_header_name(enum webhook_auth_type type, json_object *config, char *out, size_t out_size)
{
	const char *header = webhook_auth_member(config, "header");
	switch (type) {
	case WEBHOOK_AUTH_BEARER:
	case WEBHOOK_AUTH_BASIC:
		snprintf(out, out_size, "Authorization");
		break;
	case WEBHOOK_AUTH_API_KEY:
		snprintf(out, out_size, "%s", header ? header : WEBHOOK_API_KEY_DEFAULT_HEADER);
		break;
	default:
		snprintf(out, out_size, "%s", "");
		break;
	}
}

int webhook_auth_header(const char *type_name, const char *config_json, struct webhook_auth_header *out)
{
	memset(out, 0, sizeof(*out));
	enum webhook_auth_type type = WEBHOOK_AUTH_NONE;
	if (type_name != NULL && type_name[0] != '\0' && webhook_auth_type_parse(type_name, &type) != 0)
		return -1;
	if (type == WEBHOOK_AUTH_NONE)
		return 0;
	json_object *config = config_json ? json_tokener_parse(config_json) : NULL;
	char member[64];
	int result = -1;
	if (webhook_auth_config_problem(type, config, member, sizeof(member)) == NULL) {
		webhook_auth_header_name(type, config, out->name, sizeof(out->name));
		if (type == WEBHOOK_AUTH_BEARER) {
			snprintf(out->value, sizeof(out->value), "Bearer %s", webhook_auth_member(config, "token"));
			result = 0;
		} else if (type == WEBHOOK_AUTH_API_KEY) {
			snprintf(out->value, sizeof(out->value), "%s", webhook_auth_member(config, "key"));
			result = 0;
		} else {
			char pair[WEBHOOK_AUTH_USERNAME_MAX + 1 + WEBHOOK_AUTH_PASSWORD_MAX + 1];
			int length = snprintf(pair, sizeof(pair), "%s:%s", webhook_auth_member(config, "username"),
				webhook_auth_member(config, "password"));
			memcpy(out->value, "Basic ", 6);
			/* 4 * ceil(257 / 3) = 344 characters: inside the value. */
			EVP_EncodeBlock((unsigned char *)out->value + 6, (const unsigned char *)pair, length);
			explicit_bzero(pair, sizeof(pair));
			result = 0;
		}
	}
	json_object_put(config);
	if (result != 0)
		memset(out, 0, sizeof(*out));
	return result;
}

json_object *webhook_auth_config_public(const char *type_name, const char *config_json)
{
	json_object *shown = json_object_new_object();
	enum webhook_auth_type type = WEBHOOK_AUTH_NONE;
	if (type_name == NULL || webhook_auth_type_parse(type_name, &type) != 0 || type == WEBHOOK_AUTH_NONE)
		return shown;
	json_object *config = config_json ? json_tokener_parse(config_json) : NULL;
	const char *visible = type == WEBHOOK_AUTH_BASIC ? "username" : type == WEBHOOK_AUTH_API_KEY ? "header" : NULL;
	const char *value = visible ? webhook_auth_member(config, visible) : NULL;
	if (value != NULL)
		json_object_object_add(shown, visible, json_object_new_string(value));
	else if (type == WEBHOOK_AUTH_API_KEY)
		json_object_object_add(shown, "header", json_object_new_string(WEBHOOK_API_KEY_DEFAULT_HEADER));
	json_object_put(config);
	return shown;
}

int webhook_secret_generate(char *out, size_t out_size)
{
	unsigned char random_bytes[32];
	if (out_size < 6 + 64 + 1 || RAND_bytes(random_bytes, sizeof(random_bytes)) != 1)
		return -1;
	memcpy(out, "whsec_", 6);
	hex_encode(random_bytes, sizeof(random_bytes), out + 6);
	return 0;
}

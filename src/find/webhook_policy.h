/* Webhook rules that need no database or network: the event catalogue, the
 * retry schedule, which addresses a webhook may reach (SSRF), which extra
 * headers a webhook may send, and the signature every delivery carries.
 * Pure functions, so unit tests are their specification. */
#ifndef INTUKA_FIND_WEBHOOK_POLICY_H
#define INTUKA_FIND_WEBHOOK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <json-c/json.h>

#define WEBHOOK_MAX_ATTEMPTS_LIMIT 10
#define WEBHOOK_DEFAULT_MAX_ATTEMPTS 5
#define WEBHOOK_DEFAULT_INITIAL_DELAY_MS 1000
#define WEBHOOK_MIN_INITIAL_DELAY_MS 100
#define WEBHOOK_MAX_INITIAL_DELAY_MS 3600000 /* one hour */
/* No retry waits longer than a day, whatever the policy says. */
#define WEBHOOK_MAX_RETRY_DELAY_MS 86400000LL
#define WEBHOOK_DEFAULT_TIMEOUT_MS 10000
#define WEBHOOK_MIN_TIMEOUT_MS 1000
#define WEBHOOK_MAX_TIMEOUT_MS 30000
#define WEBHOOK_MAX_HEADERS 10
#define WEBHOOK_HEADER_NAME_MAX 64
#define WEBHOOK_HEADER_VALUE_MAX 512
#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_EVENT_NAME_MAX 32
/* "sha256=" and 64 hex digits */
#define WEBHOOK_SIGNATURE_TEXT_MAX 72

struct webhook_event_type {
	const char *name;
	const char *description;
};

/* The events a webhook may subscribe to, NULL-terminated. */
const struct webhook_event_type *webhook_event_catalogue(void);
/* 1 when name is in the catalogue. */
int webhook_event_known(const char *name);

enum webhook_backoff { WEBHOOK_BACKOFF_FIXED, WEBHOOK_BACKOFF_EXPONENTIAL };

/* Delay before attempt number failed_attempts + 1, after failed_attempts
 * failures (1-based): fixed waits initial_delay_ms each time; exponential
 * waits initial_delay_ms * 2^(failed_attempts - 1). Capped at
 * WEBHOOK_MAX_RETRY_DELAY_MS. */
int64_t webhook_retry_delay_ms(enum webhook_backoff backoff, int64_t initial_delay_ms, int failed_attempts);

/* What an address is, for the SSRF rule. IPv4-mapped, IPv4-compatible and
 * NAT64 (64:ff9b::/96) IPv6 forms are classified by the IPv4 they carry. */
enum webhook_address_class {
	WEBHOOK_ADDRESS_PUBLIC,
	WEBHOOK_ADDRESS_LOOPBACK,    /* 127/8, ::1 */
	WEBHOOK_ADDRESS_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	WEBHOOK_ADDRESS_CGNAT,       /* 100.64/10 */
	WEBHOOK_ADDRESS_LINK_LOCAL,  /* 169.254/16 (cloud metadata lives here), fe80::/10 */
	WEBHOOK_ADDRESS_UNSPECIFIED, /* 0/8, :: */
	WEBHOOK_ADDRESS_MULTICAST,   /* 224/4, 255.255.255.255, ff00::/8 */
	WEBHOOK_ADDRESS_RESERVED,    /* 240/4, other special-purpose ranges */
};

enum webhook_address_class webhook_address_classify(const struct sockaddr *address);
const char *webhook_address_class_name(enum webhook_address_class address_class);
/* The rule: public addresses always; loopback, private and CGNAT only when
 * allow_private_targets; link-local, unspecified, multicast and reserved
 * never (a webhook has no business with the metadata service). */
int webhook_address_allowed(enum webhook_address_class address_class, int allow_private_targets);

/* An extra header a webhook sends: a token name of at most 64 bytes that is
 * not one we set or a hop-by-hop one, a value of at most 512 bytes without
 * control characters. NULL when acceptable, else the reason. */
const char *webhook_header_problem(const char *name, const char *value);

/* hex(HMAC-SHA256(secret, timestamp + "." + body)) prefixed "sha256="; out
 * needs WEBHOOK_SIGNATURE_TEXT_MAX bytes. 0 or -1. */
int webhook_signature(const char *secret, int64_t timestamp_s, const char *body, size_t body_length, char *out,
	size_t out_size);

/* Authentication a webhook's receiver asks for: one header sent with every
 * delivery (beside the signature), built from the webhook's auth_type and
 * auth_config. The config holds credentials: stored like the secret, never
 * returned (webhook_auth_config_public shows the rest). Shapes:
 *   bearer   {"token": t}                    Authorization: Bearer t
 *   basic    {"username": u, "password": p}  Authorization: Basic base64(u:p)
 *   api_key  {"key": k, "header"?: name}     <name, default X-API-Key>: k */
enum webhook_auth_type { WEBHOOK_AUTH_NONE, WEBHOOK_AUTH_BEARER, WEBHOOK_AUTH_BASIC, WEBHOOK_AUTH_API_KEY,
	WEBHOOK_AUTH__MAX };
#define WEBHOOK_AUTH_SECRET_MAX 400   /* token, key */
#define WEBHOOK_AUTH_USERNAME_MAX 128
#define WEBHOOK_AUTH_PASSWORD_MAX 128
#define WEBHOOK_AUTH_CONFIG_TEXT_MAX 1024 /* the stored JSON */
#define WEBHOOK_API_KEY_DEFAULT_HEADER "X-API-Key"

/* "none", "bearer", "basic", "api_key"; 0, or -1 for another name. */
int webhook_auth_type_parse(const char *name, enum webhook_auth_type *type);
const char *webhook_auth_type_name(enum webhook_auth_type type);

/* NULL when config (a JSON object; NULL for none) fits the type; else the
 * reason, and member names the member at fault ("" for the whole config). */
const char *webhook_auth_config_problem(enum webhook_auth_type type, json_object *config, char *member,
	size_t member_size);

struct webhook_auth_header {
	char name[WEBHOOK_HEADER_NAME_MAX + 1]; /* "" when the webhook sends none */
	char value[WEBHOOK_HEADER_VALUE_MAX + 1];
};

/* The header of a stored auth_type and auth_config text. 0, or -1 when
 * they cannot make one (a delivery must then fail, not go without it). */
int webhook_auth_header(const char *type_name, const char *config_json, struct webhook_auth_header *out);

/* The name of the header a type and config send ("" for none), to keep the
 * webhook's extra headers from setting it too. */
void webhook_auth_header_name(enum webhook_auth_type type, json_object *config, char *out, size_t out_size);

/* What clients are shown of a stored config: the members that are not
 * credentials (basic: username; api_key: header). A new object. */
json_object *webhook_auth_config_public(const char *type_name, const char *config_json);

/* A fresh secret, "whsec_" and 64 hex digits of 32 random bytes. 0 or -1. */
#define WEBHOOK_SECRET_TEXT_MAX 80
int webhook_secret_generate(char *out, size_t out_size);

#endif

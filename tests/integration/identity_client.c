/*
 * Identity suite helpers; see identity_client.h.
 */
#include "identity_client.h"
#include "itest_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "command_runner.h"
#include "json_path.h"
#include "test_environment.h"

bool api_call(const char *method, const char *path, const char *json_body, const char *bearer, const char *host,
			  struct api_reply *reply)
{
	char authorization[4200], host_header[300];
	const char *headers[3] = { NULL, NULL, NULL };
	size_t header_count = 0;
	struct http_response response;
	char error_text[256];

	memset(reply, 0, sizeof *reply);
	if (bearer != NULL) {
		snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
		headers[header_count++] = authorization;
	}
	if (host != NULL) {
		snprintf(host_header, sizeof host_header, "Host: %s", host);
		headers[header_count++] = host_header;
	}
	struct http_request request = {
		.method = method,
		.path_and_query = path,
		.content_type = json_body ? "application/json" : NULL,
		.body = json_body,
		.body_length = json_body ? strlen(json_body) : 0,
		.extra_headers = headers,
	};
	memset(&response, 0, sizeof response);
	if (!http_client_send(&request, &response, error_text, sizeof error_text)) {
		/* A lost answer is a failed test, never a quiet skip of its checks. */
		ITEST_CHECK(false, "%s %s: no answer: %s", method, path, error_text);
		http_response_free(&response);
		return false;
	}
	reply->status = response.status;
	char why[128];
	reply->body = json_parse_whole(response.body, response.body_length, why, sizeof why);
	const char *value = http_response_header(&response, "Retry-After");
	snprintf(reply->retry_after, sizeof reply->retry_after, "%s", value ? value : "");
	value = http_response_header(&response, "X-RateLimit-Remaining");
	snprintf(reply->rate_remaining, sizeof reply->rate_remaining, "%s", value ? value : "");
	value = http_response_header(&response, "WWW-Authenticate");
	snprintf(reply->www_authenticate, sizeof reply->www_authenticate, "%s", value ? value : "");
	http_response_free(&response);
	return true;
}

void api_reply_free(struct api_reply *reply)
{
	if (reply->body != NULL)
		json_object_put(reply->body);
	reply->body = NULL;
}

const char *api_error_code(const struct api_reply *reply)
{
	const char *code = reply->body ? json_path_string(reply->body, "error.code") : NULL;
	return code ? code : "";
}

long api_login(const char *email, const char *password, const char *tenant_slug, char *access_token,
			   char *refresh_token)
{
	json_object *body = json_object_new_object();
	json_object_object_add(body, "email", json_object_new_string(email));
	json_object_object_add(body, "password", json_object_new_string(password));
	if (tenant_slug != NULL)
		json_object_object_add(body, "tenantSlug", json_object_new_string(tenant_slug));
	struct api_reply reply;
	bool sent = api_call("POST", "/api/v1/auth/login", json_object_to_json_string(body), NULL, NULL, &reply);
	json_object_put(body);
	if (!sent)
		return 0;
	long status = reply.status;
	if (status == 200) {
		const char *access = json_path_string(reply.body, "data.accessToken");
		const char *refresh = json_path_string(reply.body, "data.refreshToken");
		if (access_token != NULL)
			snprintf(access_token, 4097, "%s", access ? access : "");
		if (refresh_token != NULL)
			snprintf(refresh_token, 128, "%s", refresh ? refresh : "");
	}
	api_reply_free(&reply);
	return status;
}

int admin_command(const char *const arguments[], const char *password)
{
	const char *argv[16] = { test_environment.admin_binary, "-c", test_environment.config_file };
	size_t count = 3;
	for (const char *const *argument = arguments; *argument != NULL && count < 15; argument++)
		argv[count++] = *argument;
	argv[count] = NULL;
	char password_variable[256];
	const char *environment[2] = { NULL, NULL };
	if (password != NULL) {
		snprintf(password_variable, sizeof password_variable, "INTUKA_USER_PASSWORD=%s", password);
		environment[0] = password_variable;
	}
	struct command_result result;
	bool started = command_run(argv, environment, NULL, &result);
	int status = started ? result.exit_status : -1;
	if (status != 0)
		fprintf(stderr, "intuka-admin %s failed: %s\n", arguments[0], started ? result.stderr_text : "not started");
	command_result_free(&result);
	return status;
}

void identity_unique_slug(const char *prefix, char *out, size_t out_size)
{
	static unsigned counter;
	snprintf(out, out_size, "%s-%ld-%ld-%u", prefix, (long)time(NULL) % 100000000, (long)getpid(), counter++);
}

/* Value of "key = value" in a small config file, into out. */
static bool identity_config_value(const char *path, const char *key_prefix, char *key_out, size_t key_size,
								  char *out, size_t out_size)
{
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof line, file) != NULL) {
		char *equals = strchr(line, '=');
		if (line[0] == '#' || equals == NULL)
			continue;
		char *key = line;
		while (*key == ' ' || *key == '\t')
			key++;
		if (strncmp(key, key_prefix, strlen(key_prefix)) != 0)
			continue;
		char *key_end = equals;
		while (key_end > key && (key_end[-1] == ' ' || key_end[-1] == '\t'))
			key_end--;
		char *value = equals + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		value[strcspn(value, "\r\n")] = '\0';
		char *value_end = value + strlen(value);
		while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
			*--value_end = '\0';
		if (key_out != NULL)
			snprintf(key_out, key_size, "%.*s", (int)(key_end - key), key);
		snprintf(out, out_size, "%s", value);
		found = true;
	}
	fclose(file);
	return found;
}

bool identity_config_lookup(const char *key, bool in_secrets, char *out, size_t out_size)
{
	char path[1024], name[128];
	if (!in_secrets)
		snprintf(path, sizeof path, "%s", test_environment.config_file);
	else if (!identity_config_value(test_environment.config_file, "secrets_file", NULL, 0, path, sizeof path))
		return false;
	/* The prefix match would take "a_b" for "a": ask for the exact name. */
	if (!identity_config_value(path, key, name, sizeof name, out, out_size))
		return false;
	return strcmp(name, key) == 0;
}

bool identity_load_signing_key(char *kid, size_t kid_size, unsigned char *secret, size_t *secret_length)
{
	char secrets_path[1024], key_name[128], encoded[512];
	if (!identity_config_value(test_environment.config_file, "secrets_file", NULL, 0, secrets_path,
							   sizeof secrets_path))
		return false;
	if (!identity_config_value(secrets_path, "jwt_key.", key_name, sizeof key_name, encoded, sizeof encoded))
		return false;
	snprintf(kid, kid_size, "%s", key_name + strlen("jwt_key."));
	/* Accept both alphabets, with or without padding, as the server does. */
	for (char *p = encoded; *p != '\0'; p++) {
		if (*p == '-')
			*p = '+';
		else if (*p == '_')
			*p = '/';
	}
	size_t length = strlen(encoded);
	while (length % 4 != 0 && length + 1 < sizeof encoded)
		encoded[length++] = '=';
	encoded[length] = '\0';
	unsigned char decoded[512];
	int decoded_length = EVP_DecodeBlock(decoded, (const unsigned char *)encoded, (int)length);
	if (decoded_length < 0)
		return false;
	size_t padding = (length >= 1 && encoded[length - 1] == '=') + (length >= 2 && encoded[length - 2] == '=');
	*secret_length = (size_t)decoded_length - padding;
	memcpy(secret, decoded, *secret_length);
	return true;
}

void identity_base64url(const unsigned char *data, size_t length, char *out, size_t out_size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t used = 0;
	for (size_t i = 0; i < length && used + 5 < out_size; i += 3) {
		unsigned block = (unsigned)data[i] << 16;
		if (i + 1 < length)
			block |= (unsigned)data[i + 1] << 8;
		if (i + 2 < length)
			block |= data[i + 2];
		out[used++] = alphabet[(block >> 18) & 63];
		out[used++] = alphabet[(block >> 12) & 63];
		if (i + 1 < length)
			out[used++] = alphabet[(block >> 6) & 63];
		if (i + 2 < length)
			out[used++] = alphabet[block & 63];
	}
	out[used] = '\0';
}

void identity_sign(const char *header_json, const char *payload_json, const unsigned char *secret,
				   size_t secret_length, char *out, size_t out_size)
{
	char header[1024], payload[4096];
	identity_base64url((const unsigned char *)header_json, strlen(header_json), header, sizeof header);
	identity_base64url((const unsigned char *)payload_json, strlen(payload_json), payload, sizeof payload);
	char signing_input[5200];
	snprintf(signing_input, sizeof signing_input, "%s.%s", header, payload);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	HMAC(EVP_sha256(), secret, (int)secret_length, (const unsigned char *)signing_input, strlen(signing_input), mac,
		 &mac_length);
	char signature[64];
	identity_base64url(mac, mac_length, signature, sizeof signature);
	snprintf(out, out_size, "%s.%s", signing_input, signature);
}

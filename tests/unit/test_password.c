/* Password hashing: known PBKDF2 vectors, round trip, malformed input. */
#include "unit_suites.h"
#include "auth/password.h"

#include <openssl/evp.h>
#include <string.h>

/* PBKDF2-HMAC-SHA256 test vector (RFC 7914 section 11): P="passwd", S="salt", c=1. */
static void pbkdf2_sha256_matches_the_rfc_7914_vector(void)
{
	unsigned char out[64];
	static const unsigned char expected[16] = {0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91,
		0xc2, 0x25, 0x44, 0xb6, 0x05};
	CU_ASSERT_EQUAL_FATAL(PKCS5_PBKDF2_HMAC("passwd", 6, (const unsigned char *)"salt", 4, 1, EVP_sha256(), 64, out), 1);
	CU_ASSERT_EQUAL(memcmp(out, expected, sizeof(expected)), 0);
}

static void password_round_trip_verifies_and_rejects_wrong_ones(void)
{
	char stored[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(password_hash("correct horse battery", 1000, stored, sizeof(stored)), 0);
	CU_ASSERT_EQUAL(strncmp(stored, "$pbkdf2-sha256$i=1000$", 22), 0);
	CU_ASSERT_EQUAL(password_iterations(stored), 1000);
	CU_ASSERT_EQUAL(password_verify("correct horse battery", stored), 1);
	CU_ASSERT_EQUAL(password_verify("correct horse batterY", stored), 0);
	CU_ASSERT_EQUAL(password_verify("", stored), 0);
}

static void password_hashes_of_the_same_password_differ_by_salt(void)
{
	char first[PASSWORD_HASH_TEXT_MAX], second[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(password_hash("same password", 1000, first, sizeof(first)), 0);
	CU_ASSERT_EQUAL_FATAL(password_hash("same password", 1000, second, sizeof(second)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(first, second);
}

static void password_default_cost_is_the_owasp_figure(void)
{
	CU_ASSERT_EQUAL(PASSWORD_DEFAULT_ITERATIONS, 600000);
}

static void password_verify_refuses_malformed_stored_strings(void)
{
	CU_ASSERT_EQUAL(password_verify("x", ""), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=0$AAAA$AAAA"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=1000$not-base64$AAAA"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA==$short"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$md5$whatever"), -1);
}

static void password_over_the_length_limit_never_matches(void)
{
	static char long_password[PASSWORD_MAX_BYTES + 2];
	memset(long_password, 'a', sizeof(long_password) - 1);
	char stored[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL(password_hash(long_password, 1000, stored, sizeof(stored)), -1);
	CU_ASSERT_EQUAL_FATAL(password_hash("short one", 1000, stored, sizeof(stored)), 0);
	CU_ASSERT_EQUAL(password_verify(long_password, stored), 0);
}

static const struct unit_test password_tests[] = {
	{"pbkdf2_sha256_matches_the_rfc_7914_vector", pbkdf2_sha256_matches_the_rfc_7914_vector},
	{"password_round_trip_verifies_and_rejects_wrong_ones", password_round_trip_verifies_and_rejects_wrong_ones},
	{"password_hashes_of_the_same_password_differ_by_salt", password_hashes_of_the_same_password_differ_by_salt},
	{"password_default_cost_is_the_owasp_figure", password_default_cost_is_the_owasp_figure},
	{"password_verify_refuses_malformed_stored_strings", password_verify_refuses_malformed_stored_strings},
	{"password_over_the_length_limit_never_matches", password_over_the_length_limit_never_matches},
};

int register_password_suite(void)
{
	return UNIT_SUITE("password", password_tests);
}

/* Password hashing: Argon2id round trips and parameters, the earlier PBKDF2
 * scheme still verifying, malformed and over-demanding stored strings, and
 * the cap on hashes at once. */
#include "unit_suites.h"
#include "auth/hash_slots.h"
#include "auth/password.h"

#include <openssl/evp.h>
#include <string.h>
#include <time.h>

/* PBKDF2-HMAC-SHA256 test vector (RFC 7914 section 11): P="passwd", S="salt", c=1. */
static void pbkdf2_sha256_matches_the_rfc_7914_vector(void)
{
	unsigned char out[64];
	static const unsigned char expected[16] = {0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91,
		0xc2, 0x25, 0x44, 0xb6, 0x05};
	CU_ASSERT_EQUAL_FATAL(PKCS5_PBKDF2_HMAC("passwd", 6, (const unsigned char *)"salt", 4, 1, EVP_sha256(), 64, out), 1);
	CU_ASSERT_EQUAL(memcmp(out, expected, sizeof(expected)), 0);
}

static void password_hashes_with_argon2id_at_the_owasp_parameters(void)
{
	char stored[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(password_hash("correct horse battery", stored, sizeof(stored)), 0);
	CU_ASSERT_EQUAL(strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	CU_ASSERT_EQUAL(password_verify("correct horse battery", stored), 1);
	CU_ASSERT_EQUAL(password_verify("correct horse batterY", stored), 0);
	CU_ASSERT_EQUAL(password_verify("", stored), 0);
	CU_ASSERT_EQUAL(password_needs_rehash(stored), 0);
}

/* A hash made once with a fixed salt: the same password verifies, forever. */
static void password_verifies_a_known_argon2id_string(void)
{
	static const char known[] =
		"$argon2id$v=19$m=19456,t=2,p=1$Zml4ZWRzYWx0Zml4ZWRzYQ$z6odVJyJ+9cvvbb2/W6tJpSLjwlEPExVmkZSVO9squQ";
	CU_ASSERT_EQUAL(password_verify("correct horse battery", known), 1);
	CU_ASSERT_EQUAL(password_verify("correct horse batter", known), 0);
}

static void password_hashes_of_the_same_password_differ_by_salt(void)
{
	char first[PASSWORD_HASH_TEXT_MAX], second[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(password_hash("same password", first, sizeof(first)), 0);
	CU_ASSERT_EQUAL_FATAL(password_hash("same password", second, sizeof(second)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(first, second);
}

static void password_earlier_schemes_verify_and_ask_for_a_rehash(void)
{
	char legacy[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL_FATAL(password_hash_pbkdf2("correct horse battery", 1000, legacy, sizeof(legacy)), 0);
	CU_ASSERT_EQUAL(strncmp(legacy, "$pbkdf2-sha256$i=1000$", 22), 0);
	CU_ASSERT_EQUAL(password_verify("correct horse battery", legacy), 1);
	CU_ASSERT_EQUAL(password_verify("wrong", legacy), 0);
	CU_ASSERT_EQUAL(password_needs_rehash(legacy), 1);
	/* Argon2id with weaker parameters than today's is upgraded too. */
	static const char weaker[] =
		"$argon2id$v=19$m=4096,t=1,p=1$Zml4ZWRzYWx0Zml4ZWRzYQ$Wew5+kXSk7bBY1TbeCNm3wrKC6KZxgxkcfhzaB/UpG8";
	CU_ASSERT_EQUAL(password_verify("old params", weaker), 1);
	CU_ASSERT_EQUAL(password_needs_rehash(weaker), 1);
}

static void password_verify_refuses_malformed_stored_strings(void)
{
	CU_ASSERT_EQUAL(password_verify("x", ""), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=0$AAAA$AAAA"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=1000$not-base64$AAAA"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA==$short"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$md5$whatever"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$argon2id$v=19$m=19456,t=2,p=1$bad$bad"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$argon2id$v=16$m=19456,t=2,p=1$Zml4ZWRzYWx0Zml4ZWRzYQ$AAAA"), -1);
}

/* A stored string may not make one login take a gigabyte or minutes. */
static void password_verify_refuses_over_demanding_parameters(void)
{
	CU_ASSERT_EQUAL(password_verify("x", "$argon2id$v=19$m=1048576,t=2,p=1$Zml4ZWRzYWx0Zml4ZWRzYQ$"
					     "z6odVJyJ+9cvvbb2/W6tJpSLjwlEPExVmkZSVO9squQ"), -1);
	CU_ASSERT_EQUAL(password_verify("x", "$argon2id$v=19$m=19456,t=1000,p=1$Zml4ZWRzYWx0Zml4ZWRzYQ$"
					     "z6odVJyJ+9cvvbb2/W6tJpSLjwlEPExVmkZSVO9squQ"), -1);
	CU_ASSERT_EQUAL(password_needs_rehash("$argon2id$v=19$m=1048576,t=2,p=1$x$y"), 1);
}

static void password_over_the_length_limit_never_matches(void)
{
	static char long_password[PASSWORD_MAX_BYTES + 2];
	memset(long_password, 'a', sizeof(long_password) - 1);
	char stored[PASSWORD_HASH_TEXT_MAX];
	CU_ASSERT_EQUAL(password_hash(long_password, stored, sizeof(stored)), -1);
	CU_ASSERT_EQUAL_FATAL(password_hash("short one", stored, sizeof(stored)), 0);
	CU_ASSERT_EQUAL(password_verify(long_password, stored), 0);
}

static void hash_slots_cap_hashes_at_once_and_free_on_give(void)
{
	CU_ASSERT_EQUAL(hash_slot_take(0), 0); /* no cap made: always free */
	hash_slot_give();
	CU_ASSERT_EQUAL_FATAL(hash_slots_create(1), 0);
	CU_ASSERT_EQUAL(hash_slot_take(0), 0);
	struct timespec started, ended;
	clock_gettime(CLOCK_MONOTONIC, &started);
	CU_ASSERT_EQUAL(hash_slot_take(150), -1); /* the only slot is held */
	clock_gettime(CLOCK_MONOTONIC, &ended);
	long waited_ms = (ended.tv_sec - started.tv_sec) * 1000 + (ended.tv_nsec - started.tv_nsec) / 1000000;
	CU_ASSERT_TRUE(waited_ms >= 100 && waited_ms < 2000);
	hash_slot_give();
	CU_ASSERT_EQUAL(hash_slot_take(0), 0);
	hash_slot_give();
	hash_slots_destroy();
	CU_ASSERT_EQUAL(hash_slot_take(0), 0);
	hash_slot_give();
}

static const struct unit_test password_tests[] = {
	{"pbkdf2_sha256_matches_the_rfc_7914_vector", pbkdf2_sha256_matches_the_rfc_7914_vector},
	{"password_hashes_with_argon2id_at_the_owasp_parameters", password_hashes_with_argon2id_at_the_owasp_parameters},
	{"password_verifies_a_known_argon2id_string", password_verifies_a_known_argon2id_string},
	{"password_hashes_of_the_same_password_differ_by_salt", password_hashes_of_the_same_password_differ_by_salt},
	{"password_earlier_schemes_verify_and_ask_for_a_rehash", password_earlier_schemes_verify_and_ask_for_a_rehash},
	{"password_verify_refuses_malformed_stored_strings", password_verify_refuses_malformed_stored_strings},
	{"password_verify_refuses_over_demanding_parameters", password_verify_refuses_over_demanding_parameters},
	{"password_over_the_length_limit_never_matches", password_over_the_length_limit_never_matches},
	{"hash_slots_cap_hashes_at_once_and_free_on_give", hash_slots_cap_hashes_at_once_and_free_on_give},
};

int register_password_suite(void)
{
	return UNIT_SUITE("password", password_tests);
}

/* Hex: the one encoder of ids, tokens, signatures and checksums. */
#include "unit_suites.h"
#include "core/hex.h"

#include <string.h>

static void hex_encodes_every_byte_in_lower_case(void)
{
	const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[9];
	hex_encode(bytes, sizeof(bytes), out);
	CU_ASSERT_STRING_EQUAL(out, "000fa5ff");
	hex_encode(bytes, 0, out);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void hex_sha256_matches_the_fips_180_example(void)
{
	char out[65];
	CU_ASSERT_EQUAL(hex_sha256("abc", 3, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void hex_random_fills_exactly_and_refuses_small_buffers(void)
{
	char first[33], second[33], small[32];
	CU_ASSERT_EQUAL(hex_random(16, first, sizeof(first)), 0);
	CU_ASSERT_EQUAL(hex_random(16, second, sizeof(second)), 0);
	CU_ASSERT_EQUAL(strlen(first), 32);
	CU_ASSERT_EQUAL(strspn(first, "0123456789abcdef"), 32);
	CU_ASSERT_STRING_NOT_EQUAL(first, second);
	CU_ASSERT_EQUAL(hex_random(16, small, sizeof(small)), -1);
	CU_ASSERT_EQUAL(hex_random(65, small, sizeof(small)), -1);
}

int register_hex_suite(void)
{
	static const struct unit_test tests[] = {
		{"encodes_every_byte_in_lower_case", hex_encodes_every_byte_in_lower_case},
		{"sha256_matches_the_fips_180_example", hex_sha256_matches_the_fips_180_example},
		{"random_fills_exactly_and_refuses_small_buffers", hex_random_fills_exactly_and_refuses_small_buffers},
	};
	return UNIT_SUITE("hex", tests);
}

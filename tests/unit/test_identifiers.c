/* Slug and email shape rules. */
#include "unit_suites.h"
#include "core/identifiers.h"

static void slugs_accept_dns_labels_only(void)
{
	CU_ASSERT_TRUE(identifier_is_valid_slug("demo"));
	CU_ASSERT_TRUE(identifier_is_valid_slug("acme-2"));
	CU_ASSERT_TRUE(identifier_is_valid_slug("a"));
	CU_ASSERT_FALSE(identifier_is_valid_slug(""));
	CU_ASSERT_FALSE(identifier_is_valid_slug("Bad Slug!"));
	CU_ASSERT_FALSE(identifier_is_valid_slug("-lead"));
	CU_ASSERT_FALSE(identifier_is_valid_slug("trail-"));
	CU_ASSERT_FALSE(identifier_is_valid_slug("UPPER"));
	CU_ASSERT_FALSE(identifier_is_valid_slug("dot.ted"));
	CU_ASSERT_TRUE(identifier_is_valid_slug("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 63 */
	CU_ASSERT_FALSE(identifier_is_valid_slug("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 64 */
}

static void emails_need_one_at_and_a_dotted_domain(void)
{
	CU_ASSERT_TRUE(identifier_is_plausible_email("admin@demo.test"));
	CU_ASSERT_TRUE(identifier_is_plausible_email("a.b+tag@sub.example.org"));
	CU_ASSERT_FALSE(identifier_is_plausible_email("no-at-sign.test"));
	CU_ASSERT_FALSE(identifier_is_plausible_email("two@@demo.test"));
	CU_ASSERT_FALSE(identifier_is_plausible_email("@demo.test"));
	CU_ASSERT_FALSE(identifier_is_plausible_email("user@nodot"));
	CU_ASSERT_FALSE(identifier_is_plausible_email("user@demo."));
	CU_ASSERT_FALSE(identifier_is_plausible_email("sp ace@demo.test"));
}

static void lowercase_copies_and_refuses_overflow(void)
{
	char out[8];
	CU_ASSERT_EQUAL(identifier_lowercase("AbC@X.Y", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "abc@x.y");
	CU_ASSERT_EQUAL(identifier_lowercase("TOO-LONG!", out, sizeof(out)), -1);
}

static const struct unit_test identifier_tests[] = {
	{"slugs_accept_dns_labels_only", slugs_accept_dns_labels_only},
	{"emails_need_one_at_and_a_dotted_domain", emails_need_one_at_and_a_dotted_domain},
	{"lowercase_copies_and_refuses_overflow", lowercase_copies_and_refuses_overflow},
};

int register_identifiers_suite(void)
{
	return UNIT_SUITE("identifiers", identifier_tests);
}

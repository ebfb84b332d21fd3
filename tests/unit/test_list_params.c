/* The pure parts of list parameters: CSV cells (RFC 4180, formula-safe),
 * the CSV/JSON choice, If-None-Match rules, q's LIKE pattern, fields=
 * selections, and the bodiless 304. */
#include "unit_suites.h"
#include "core/json_text.h"
#include "http/csv.h"
#include "http/etag.h"
#include "http/list_params.h"
#include "http/response.h"

#include <string.h>

/* The cell text writes for value, NUL-terminated in out. */
static void cell_of(const char *value, char *out, size_t out_size)
{
	struct json_text text;
	json_text_init(&text);
	csv_text_cell(&text, value);
	snprintf(out, out_size, "%s", text.length ? text.bytes : "");
	json_text_release(&text);
}

static void csv_plain_text_stays_as_it_is(void)
{
	char cell[128];
	cell_of("Acme Ltd", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "Acme Ltd");
	cell_of("", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "");
	cell_of(NULL, cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "");
	/* a formula character inside a cell is harmless */
	cell_of("a=b+c", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "a=b+c");
}

static void csv_quotes_commas_quotes_and_line_breaks(void)
{
	char cell[128];
	cell_of("Smith, John", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"Smith, John\"");
	cell_of("say \"hi\"", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"say \"\"hi\"\"\"");
	cell_of("two\nlines", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"two\nlines\"");
	cell_of("cr\rhere", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"cr\rhere\"");
}

static void csv_cells_that_a_spreadsheet_would_run_are_prefixed(void)
{
	char cell[128];
	cell_of("=HYPERLINK(\"http://x\")", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"'=HYPERLINK(\"\"http://x\"\")\"");
	cell_of("+1+1", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "'+1+1");
	cell_of("-2+3", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "'-2+3");
	cell_of("@SUM(A1)", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "'@SUM(A1)");
	cell_of("\tcmd", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "'\tcmd");
	cell_of("\r=1", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"'\r=1\"");
	cell_of("=1,2", cell, sizeof(cell));
	CU_ASSERT_STRING_EQUAL(cell, "\"'=1,2\"");
}

static void csv_rows_end_in_crlf(void)
{
	struct json_text text;
	json_text_init(&text);
	csv_plain_cell(&text, "id");
	csv_separator(&text);
	csv_text_cell(&text, "a,b");
	csv_separator(&text);
	csv_plain_cell(&text, NULL);
	csv_row_end(&text);
	CU_ASSERT_STRING_EQUAL(text.bytes, "id,\"a,b\",\r\n");
	json_text_release(&text);
}

static void csv_is_chosen_by_format_or_by_accept_ranking(void)
{
	CU_ASSERT_TRUE(csv_requested("csv", NULL));
	CU_ASSERT_FALSE(csv_requested("json", "text/csv"));
	CU_ASSERT_TRUE(csv_requested("csv", "application/json"));
	CU_ASSERT_FALSE(csv_requested(NULL, NULL));
	CU_ASSERT_FALSE(csv_requested(NULL, "*/*"));
	CU_ASSERT_FALSE(csv_requested(NULL, "application/json"));
	CU_ASSERT_TRUE(csv_requested(NULL, "text/csv"));
	CU_ASSERT_TRUE(csv_requested(NULL, "Text/CSV; charset=utf-8"));
	CU_ASSERT_TRUE(csv_requested(NULL, "application/json;q=0.5, text/csv"));
	CU_ASSERT_FALSE(csv_requested(NULL, "text/csv;q=0.5, application/json"));
	CU_ASSERT_FALSE(csv_requested(NULL, "text/csv;q=0"));
	CU_ASSERT_FALSE(csv_requested(NULL, "text/csv, application/json")); /* a tie keeps JSON */
	CU_ASSERT_TRUE(csv_requested(NULL, "text/html, text/csv;q=0.9, */*;q=0.1"));
	CU_ASSERT_FALSE(csv_requested(NULL, "text/csvx"));
}

static void etag_matches_one_tag_or_a_list_of_them(void)
{
	CU_ASSERT_TRUE(etag_none_match_hits("\"3\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"4\"", "\"3\""));
	CU_ASSERT_TRUE(etag_none_match_hits("\"1\", \"2\" ,\"3\"", "\"3\""));
	CU_ASSERT_TRUE(etag_none_match_hits("\"1\",,\"3\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"1\", \"2\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits(NULL, "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("", "\"3\""));
	/* the opaque part is compared whole, not as a prefix */
	CU_ASSERT_FALSE(etag_none_match_hits("\"33\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"\"", "\"3\""));
}

static void etag_comparison_is_weak(void)
{
	CU_ASSERT_TRUE(etag_none_match_hits("W/\"3\"", "\"3\""));
	CU_ASSERT_TRUE(etag_none_match_hits("\"3\"", "W/\"3\""));
	CU_ASSERT_TRUE(etag_none_match_hits("W/\"1\", W/\"3\"", "W/\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("w/\"3\"", "\"3\"")); /* W is case-sensitive */
}

static void etag_star_matches_any_and_only_alone(void)
{
	CU_ASSERT_TRUE(etag_none_match_hits("*", "\"3\""));
	CU_ASSERT_TRUE(etag_none_match_hits(" * ", "\"abc\""));
	CU_ASSERT_FALSE(etag_none_match_hits("*, \"3\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"3\", *", "\"3\""));
}

static void etag_malformed_headers_never_match(void)
{
	CU_ASSERT_FALSE(etag_none_match_hits("3", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"3", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"3\", 4", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("\"3\"\"", "\"3\""));
	CU_ASSERT_FALSE(etag_none_match_hits("W/3", "\"3\""));
}

static void etag_hash_changes_with_any_byte(void)
{
	char a[ETAG_HASH_SIZE], b[ETAG_HASH_SIZE];
	const char page[] = "[{\"id\":1,\"name\":\"Acme\",\"version\":1}]";
	char changed[sizeof(page)];
	memcpy(changed, page, sizeof(page));
	etag_format_hash(etag_hash(ETAG_HASH_SEED, page, sizeof(page) - 1), a);
	CU_ASSERT_EQUAL(strlen(a), 18);
	CU_ASSERT_EQUAL(a[0], '"');
	for (size_t i = 0; i < sizeof(page) - 1; i++) {
		changed[i] ^= 1;
		etag_format_hash(etag_hash(ETAG_HASH_SEED, changed, sizeof(page) - 1), b);
		CU_ASSERT_STRING_NOT_EQUAL(a, b);
		changed[i] ^= 1;
	}
	etag_format_hash(etag_hash(ETAG_HASH_SEED, changed, sizeof(page) - 1), b);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_TRUE(etag_none_match_hits(a, b));
}

static void like_prefix_escapes_its_own_characters(void)
{
	char pattern[64];
	CU_ASSERT_EQUAL(list_like_prefix("Acme", pattern, sizeof(pattern)), 0);
	CU_ASSERT_STRING_EQUAL(pattern, "Acme%");
	CU_ASSERT_EQUAL(list_like_prefix("50%_off!", pattern, sizeof(pattern)), 0);
	CU_ASSERT_STRING_EQUAL(pattern, "50!%!_off!!%");
	CU_ASSERT_EQUAL(list_like_prefix("a\\b", pattern, sizeof(pattern)), 0);
	CU_ASSERT_STRING_EQUAL(pattern, "a\\b%"); /* backslash is no escape under ESCAPE '!' */
	/* the worst case fits 2 * length + 2 and no less */
	CU_ASSERT_EQUAL(list_like_prefix("%%%", pattern, 8), 0);
	CU_ASSERT_STRING_EQUAL(pattern, "!%!%!%%");
	CU_ASSERT_EQUAL(list_like_prefix("%%%", pattern, 7), -1);
}

static void select_sets_a_bit_per_named_field(void)
{
	static const char *const names[] = {"id", "name", "amount", "createdAt", NULL};
	uint64_t mask = 0;
	char unknown[16] = "";
	CU_ASSERT_EQUAL(list_select("name,createdAt", names, &mask, unknown, sizeof(unknown)), 0);
	CU_ASSERT_EQUAL(mask, (UINT64_C(1) << 1) | (UINT64_C(1) << 3));
	CU_ASSERT_EQUAL(list_select("id", names, &mask, unknown, sizeof(unknown)), 0);
	CU_ASSERT_EQUAL(mask, 1);
}

static void select_names_the_first_unknown_field(void)
{
	static const char *const names[] = {"id", "name", NULL};
	uint64_t mask = 0;
	char unknown[16] = "";
	CU_ASSERT_EQUAL(list_select("name,salary,bogus", names, &mask, unknown, sizeof(unknown)), -1);
	CU_ASSERT_STRING_EQUAL(unknown, "salary");
	CU_ASSERT_EQUAL(list_select("nam", names, &mask, unknown, sizeof(unknown)), -1);
	CU_ASSERT_STRING_EQUAL(unknown, "nam");
	CU_ASSERT_EQUAL(list_select("name,", names, &mask, unknown, sizeof(unknown)), -1);
	CU_ASSERT_STRING_EQUAL(unknown, "");
}

static void not_modified_has_no_body_type_or_length(void)
{
	struct response response;
	response_init(&response);
	response_add_header(&response, "ETag", "\"7\"");
	response_ok(&response, STATUS_NOT_MODIFIED, NULL, "Not modified");
	json_object *holder = NULL;
	size_t length = 99;
	const char *body = response_render_body(&response, &holder, &length);
	CU_ASSERT_EQUAL(length, 0);
	CU_ASSERT_STRING_EQUAL(body, "");
	char head[1024];
	response_render_headers(&response, "rid", length, head, sizeof(head));
	CU_ASSERT_PTR_NOT_NULL(strstr(head, "Status: 304 Not Modified\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(head, "ETag: \"7\"\r\n"));
	CU_ASSERT_PTR_NULL(strstr(head, "\nContent-Type:"));
	CU_ASSERT_PTR_NULL(strstr(head, "\nContent-Length:"));
	char etag[16];
	CU_ASSERT_EQUAL(response_header_value(&response, "etag", etag, sizeof(etag)), 0);
	CU_ASSERT_STRING_EQUAL(etag, "\"7\"");
	CU_ASSERT_EQUAL(response_header_value(&response, "ETa", etag, sizeof(etag)), -1);
	json_object_put(holder);
	response_reset(&response);
}

int register_list_params_suite(void)
{
	static const struct unit_test tests[] = {
		{"csv_plain_text_stays_as_it_is", csv_plain_text_stays_as_it_is},
		{"csv_quotes_commas_quotes_and_line_breaks", csv_quotes_commas_quotes_and_line_breaks},
		{"csv_cells_that_a_spreadsheet_would_run_are_prefixed", csv_cells_that_a_spreadsheet_would_run_are_prefixed},
		{"csv_rows_end_in_crlf", csv_rows_end_in_crlf},
		{"csv_is_chosen_by_format_or_by_accept_ranking", csv_is_chosen_by_format_or_by_accept_ranking},
		{"etag_matches_one_tag_or_a_list_of_them", etag_matches_one_tag_or_a_list_of_them},
		{"etag_comparison_is_weak", etag_comparison_is_weak},
		{"etag_star_matches_any_and_only_alone", etag_star_matches_any_and_only_alone},
		{"etag_malformed_headers_never_match", etag_malformed_headers_never_match},
		{"etag_hash_changes_with_any_byte", etag_hash_changes_with_any_byte},
		{"like_prefix_escapes_its_own_characters", like_prefix_escapes_its_own_characters},
		{"select_sets_a_bit_per_named_field", select_sets_a_bit_per_named_field},
		{"select_names_the_first_unknown_field", select_names_the_first_unknown_field},
		{"not_modified_has_no_body_type_or_length", not_modified_has_no_body_type_or_length},
	};
	return UNIT_SUITE("list_params", tests);
}

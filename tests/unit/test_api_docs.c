/* The description compiled into intukad (modules/api_documents.h) and the
 * If-None-Match comparison its routes make. The documents are checked
 * against each other: the JSON says what the YAML says (same version, same
 * operations) and the HTML has a section for each operation. */
#include "unit_suites.h"
#include "config.h"
#include "http/etag.h"
#include "http/response.h"
#include "modules/api_documents.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static const char *const api_docs_methods[] = {"get", "put", "post", "delete", "patch"};

static size_t api_docs_occurrences(const struct api_document *document, const char *needle)
{
	size_t count = 0, length = strlen(needle);
	const char *text = (const char *)document->bytes;
	for (const char *at = memmem(text, document->length, needle, length); at != NULL;
		at = memmem(at + length, document->length - (size_t)(at + length - text), needle, length))
		count++;
	return count;
}

static void served_documents_agree_with_each_other_and_this_version(void)
{
	CU_ASSERT_TRUE_FATAL(api_document_yaml.length > 0 && api_document_json.length > 0 &&
		api_document_html.length > 0);
	CU_ASSERT_EQUAL(strncmp((const char *)api_document_yaml.bytes, "openapi: 3.1", 12), 0);
	json_tokener *tokener = json_tokener_new();
	json_object *document =
		json_tokener_parse_ex(tokener, (const char *)api_document_json.bytes, (int)api_document_json.length);
	CU_ASSERT_EQUAL(json_tokener_get_error(tokener), json_tokener_success);
	json_tokener_free(tokener);
	CU_ASSERT_PTR_NOT_NULL_FATAL(document);
	json_object *info = NULL, *version = NULL, *paths = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(document, "info", &info) &&
		json_object_object_get_ex(info, "version", &version));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(version), PACKAGE_VERSION);
	size_t operations = 0;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(document, "paths", &paths));
	json_object_object_foreach(paths, path, item)
	{
		(void)path;
		for (size_t i = 0; i < sizeof(api_docs_methods) / sizeof(api_docs_methods[0]); i++)
			operations += json_object_object_get_ex(item, api_docs_methods[i], NULL);
	}
	CU_ASSERT_TRUE(operations > 100);
	CU_ASSERT_EQUAL(api_docs_occurrences(&api_document_html, "<section class=\"operation\""), operations);
	CU_ASSERT_EQUAL(api_docs_occurrences(&api_document_html, "<script"), 0);
	CU_ASSERT_EQUAL(api_docs_occurrences(&api_document_html, "<link"), 0);
	json_object_put(document);
	/* Three different documents, three different tags. */
	CU_ASSERT_STRING_NOT_EQUAL(api_document_yaml.etag, api_document_json.etag);
	CU_ASSERT_STRING_NOT_EQUAL(api_document_json.etag, api_document_html.etag);
	CU_ASSERT_EQUAL(api_document_html.etag[0], '"');
}

/* The documents' tags go through the pipeline's one If-None-Match rule. */
static void if_none_match_lists_the_tag_weakly_or_by_star(void)
{
	static const char tag[] = "\"0123abcd\"";
	CU_ASSERT_TRUE(etag_none_match_hits("\"0123abcd\"", tag));
	CU_ASSERT_TRUE(etag_none_match_hits("W/\"0123abcd\"", tag));
	CU_ASSERT_TRUE(etag_none_match_hits("\"old\", \"0123abcd\"", tag));
	CU_ASSERT_TRUE(etag_none_match_hits("\"old\",W/\"0123abcd\" ", tag));
	CU_ASSERT_TRUE(etag_none_match_hits("*", tag));
	CU_ASSERT_FALSE(etag_none_match_hits(NULL, tag));
	CU_ASSERT_FALSE(etag_none_match_hits("", tag));
	CU_ASSERT_FALSE(etag_none_match_hits("0123abcd", tag));
	CU_ASSERT_FALSE(etag_none_match_hits("\"0123abcd", tag));
	CU_ASSERT_FALSE(etag_none_match_hits("\"0123abcde\"", tag));
	CU_ASSERT_FALSE(etag_none_match_hits("\"x\", *x", tag));
}

static void documents_go_out_as_they_are_and_a_304_bare(void)
{
	static const unsigned char page[] = "<!DOCTYPE html><p>hi</p>";
	struct response response;
	json_object *holder = NULL;
	size_t length = 0;
	char headers[4096];
	response_init(&response);
	response_add_header(&response, "ETag", "\"t\"");
	response_document(&response, page, sizeof(page) - 1, "text/html; charset=utf-8", "public, no-cache");
	const char *body = response_render_body(&response, &holder, &length);
	CU_ASSERT_PTR_NULL(holder);
	CU_ASSERT_EQUAL(length, sizeof(page) - 1);
	CU_ASSERT_EQUAL(memcmp(body, page, length), 0);
	response_render_headers(&response, "req-d", length, headers, sizeof(headers));
	CU_ASSERT_EQUAL(strncmp(headers, "Status: 200 OK\r\n", 16), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Content-Type: text/html; charset=utf-8\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Cache-Control: public, no-cache\r\n"));
	CU_ASSERT_PTR_NULL(strstr(headers, "no-store"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "ETag: \"t\"\r\n"));
	/* An error after it is an envelope again, not to be cached. */
	response_error(&response, STATUS_INTERNAL_ERROR, "Internal error");
	body = response_render_body(&response, &holder, &length);
	CU_ASSERT_EQUAL(strncmp(body, "{\"success\":false", 16), 0);
	json_object_put(holder);
	response_render_headers(&response, "req-e", length, headers, sizeof(headers));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Content-Type: application/json; charset=utf-8\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Cache-Control: no-store\r\n"));
	response_reset(&response);

	response_init(&response);
	response_not_modified(&response, "public, no-cache");
	body = response_render_body(&response, &holder, &length);
	CU_ASSERT_EQUAL(length, 0);
	CU_ASSERT_PTR_NULL(holder);
	response_render_headers(&response, "req-n", length, headers, sizeof(headers));
	CU_ASSERT_EQUAL(strncmp(headers, "Status: 304 Not Modified\r\n", 26), 0);
	CU_ASSERT_PTR_NULL(strstr(headers, "Content-Type:"));
	CU_ASSERT_PTR_NULL(strstr(headers, "Content-Length:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(headers, "Cache-Control: public, no-cache\r\n"));
	response_reset(&response);
}

int register_api_docs_suite(void)
{
	static const struct unit_test tests[] = {
		{"served_documents_agree_with_each_other_and_this_version",
			served_documents_agree_with_each_other_and_this_version},
		{"if_none_match_lists_the_tag_weakly_or_by_star", if_none_match_lists_the_tag_weakly_or_by_star},
		{"documents_go_out_as_they_are_and_a_304_bare", documents_go_out_as_they_are_and_a_304_bare},
	};
	return UNIT_SUITE("api_docs", tests);
}

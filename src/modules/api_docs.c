/* The API's description of itself: GET /api/v1/openapi.yaml and
 * /openapi.json (docs/openapi.yaml as this build was made from it) and
 * /docs (the HTML reference made from it). Public and cacheable: each
 * document has a strong ETag, and a client that sends it back in
 * If-None-Match gets 304 without the bytes. The documents are compiled in
 * (modules/api_documents.h): nothing is read from disk. */
#include "handler/context.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/api_documents.h"
#include "modules/modules.h"

#include <string.h>

/* Caches may keep the documents but ask again each time: a new build
 * answers its own description at once, an unchanged one a 304. */
#define API_DOCS_CACHE_CONTROL "public, no-cache"

/* The HTML reference loads nothing: its style is inline and it has no
 * script, so a browser is told to fetch nothing else either. */
#define API_DOCS_HTML_POLICY                                                                                  \
	"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void api_docs_yaml(struct request_context *context);
static void api_docs_json(struct request_context *context);
static void api_docs_html(struct request_context *context);

static const struct route api_docs_routes[] = {
	{.method = HTTP_GET, .pattern = "/api/v1/openapi.yaml", .credentials = ROUTE_PUBLIC, .handler = api_docs_yaml},
	{.method = HTTP_GET, .pattern = "/api/v1/openapi.json", .credentials = ROUTE_PUBLIC, .handler = api_docs_json},
	{.method = HTTP_GET, .pattern = "/api/v1/docs", .credentials = ROUTE_PUBLIC, .handler = api_docs_html},
};

const struct route_table api_docs_route_table = {
	.module_name = "api_docs",
	.routes = api_docs_routes,
	.route_count = sizeof(api_docs_routes) / sizeof(api_docs_routes[0]),
};

static void api_docs_answer(struct request_context *context, const struct api_document *document)
{
	struct response *response = context->response;
	/* If-None-Match is answered by the pipeline, as for every tagged read. */
	response_add_header(response, "ETag", document->etag);
	response_document(response, document->bytes, document->length, document->content_type,
		API_DOCS_CACHE_CONTROL);
}

static void api_docs_yaml(struct request_context *context)
{
	api_docs_answer(context, &api_document_yaml);
}

static void api_docs_json(struct request_context *context)
{
	api_docs_answer(context, &api_document_json);
}

static void api_docs_html(struct request_context *context)
{
	response_add_header(context->response, "Content-Security-Policy", API_DOCS_HTML_POLICY);
	api_docs_answer(context, &api_document_html);
}

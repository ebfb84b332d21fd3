/* The API's description as intukad serves it (GET /api/v1/openapi.yaml,
 * /openapi.json, /docs): made from docs/openapi.yaml at build time by
 * docs/openapi_docs.py into api_documents.c, so nothing is read from disk
 * at run time. */
#ifndef INTUKA_MODULES_API_DOCUMENTS_H
#define INTUKA_MODULES_API_DOCUMENTS_H

#include <stddef.h>

struct api_document {
	const unsigned char *bytes;
	size_t length;
	const char *content_type;
	const char *etag; /* strong, quoted: a digest of the bytes */
};

extern const struct api_document api_document_yaml;
extern const struct api_document api_document_json;
extern const struct api_document api_document_html;

#endif

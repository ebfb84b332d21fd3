/* docs/openapi.yaml and the route tables describe the same API: every route
 * is an operation and every operation a route, and each operation lists
 * exactly the query parameters its route declares. A route added without
 * its documentation, or a documented parameter the code refuses, fails here.
 * The description is read line by line: it is written in one regular shape
 * (paths at two spaces, methods at four, parameters as "- name:" or
 * "- $ref: #/components/parameters/X" items). */
#include "unit_suites.h"
#include "http/query.h"
#include "http/router.h"
#include "flow/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INTUKA_OPENAPI_FILE
#error "INTUKA_OPENAPI_FILE names docs/openapi.yaml"
#endif

#define OPENAPI_MAX_OPERATIONS 256
#define OPENAPI_MAX_PARAMETERS 24
#define OPENAPI_MAX_COMPONENTS 96
#define OPENAPI_TEXT 160

struct openapi_operation {
	char method[8];           /* "GET" */
	char path[OPENAPI_TEXT];  /* "/api/v1/find/products/{}" */
	char query[OPENAPI_MAX_PARAMETERS][72]; /* a name, or "$ref:<component>" until resolved */
	size_t query_count;
	int matched;
};

struct openapi_component {
	char key[64];  /* components.parameters.<key> */
	char name[64];
	int in_query;
};

struct openapi_document {
	struct openapi_operation operations[OPENAPI_MAX_OPERATIONS];
	size_t operation_count;
	struct openapi_component components[OPENAPI_MAX_COMPONENTS];
	size_t component_count;
	/* Path-level parameters apply to every method of the path. */
	char path_query[OPENAPI_MAX_PARAMETERS][64];
	size_t path_query_count;
	char path_refs[OPENAPI_MAX_PARAMETERS][64];
	size_t path_ref_count;
};

static size_t openapi_indent(const char *line)
{
	return strspn(line, " ");
}

/* "/find/x/{keyId}" -> "/api/v1/find/x/{}": parameter names differ between
 * the router and the description; their places must not. */
static void openapi_normalise_path(const char *path, const char *prefix, char *out, size_t out_size)
{
	size_t used = (size_t)snprintf(out, out_size, "%s", prefix);
	for (const char *p = path; *p != '\0' && used + 3 < out_size; p++) {
		if (*p == '{') {
			out[used++] = '{';
			out[used++] = '}';
			const char *end = strchr(p, '}');
			p = end ? end : p + strlen(p) - 1;
		} else {
			out[used++] = *p;
		}
	}
	out[used] = '\0';
}

static void openapi_upper(const char *word, char *out, size_t out_size)
{
	size_t i = 0;
	for (; word[i] != '\0' && i + 1 < out_size; i++)
		out[i] = (char)(word[i] >= 'a' && word[i] <= 'z' ? word[i] - 32 : word[i]);
	out[i] = '\0';
}

/* The value after "key: " on a line, unquoted, into out; 0 when absent. */
static int openapi_value(const char *line, const char *key, char *out, size_t out_size)
{
	const char *found = strstr(line, key);
	if (found == NULL)
		return 0;
	found += strlen(key);
	found += strspn(found, " \"'");
	size_t length = strcspn(found, "\"',}\n");
	snprintf(out, out_size, "%.*s", (int)length, found);
	return 1;
}

static int openapi_read(struct openapi_document *document)
{
	FILE *file = fopen(INTUKA_OPENAPI_FILE, "r");
	if (file == NULL)
		return -1;
	char line[1024];
	enum { OUTSIDE, PATHS, PARAMETER_COMPONENTS } section = OUTSIDE;
	struct openapi_operation *operation = NULL;
	char current_path[OPENAPI_TEXT] = "";
	int in_path_parameters = 0, in_parameters = 0, pending_query = 0;
	char pending_name[64] = "";
	while (fgets(line, sizeof(line), file) != NULL) {
		size_t indent = openapi_indent(line);
		const char *text = line + indent;
		if (*text == '\n' || *text == '#')
			continue;
		if (indent == 0) {
			section = strncmp(text, "paths:", 6) == 0 ? PATHS : OUTSIDE;
			operation = NULL;
			continue;
		}
		if (indent == 2 && section != PATHS)
			section = strncmp(text, "parameters:", 11) == 0 ? PARAMETER_COMPONENTS : OUTSIDE;
		if (section == PARAMETER_COMPONENTS) {
			if (indent == 4 && document->component_count < OPENAPI_MAX_COMPONENTS) {
				struct openapi_component *component = &document->components[document->component_count++];
				snprintf(component->key, sizeof(component->key), "%.*s", (int)strcspn(text, ":"), text);
			} else if (indent == 6 && document->component_count > 0) {
				struct openapi_component *component = &document->components[document->component_count - 1];
				if (strncmp(text, "name:", 5) == 0)
					openapi_value(text, "name:", component->name, sizeof(component->name));
				else if (strncmp(text, "in:", 3) == 0)
					component->in_query = strstr(text, "query") != NULL;
			}
			continue;
		}
		if (section != PATHS)
			continue;
		if (indent == 2 && text[0] == '/') {
			snprintf(current_path, sizeof(current_path), "%.*s", (int)strcspn(text, ":"), text);
			operation = NULL;
			document->path_query_count = document->path_ref_count = 0;
			in_path_parameters = in_parameters = 0;
			continue;
		}
		if (indent == 4) {
			in_path_parameters = strncmp(text, "parameters:", 11) == 0;
			char method[16];
			snprintf(method, sizeof(method), "%.*s", (int)strcspn(text, ":"), text);
			static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
			operation = NULL;
			for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
				if (strcmp(method, methods[i]) == 0 && document->operation_count < OPENAPI_MAX_OPERATIONS) {
					operation = &document->operations[document->operation_count++];
					memset(operation, 0, sizeof(*operation));
					openapi_upper(method, operation->method, sizeof(operation->method));
					openapi_normalise_path(current_path, "/api/v1", operation->path, sizeof(operation->path));
					/* The path's own parameters hold for this method too. */
					for (size_t q = 0; q < document->path_query_count; q++)
						snprintf(operation->query[operation->query_count++], 64, "%s", document->path_query[q]);
					for (size_t r = 0; r < document->path_ref_count; r++)
						snprintf(operation->query[operation->query_count++], 72, "$ref:%s", document->path_refs[r]);
				}
			in_parameters = 0;
			continue;
		}
		if (indent == 6 && operation != NULL) {
			in_parameters = strncmp(text, "parameters:", 11) == 0;
			continue;
		}
		/* A parameter item: "- name: x" then "in: query", or a $ref. */
		int collecting = (in_parameters && operation != NULL && indent == 8) ||
			(in_path_parameters && operation == NULL && indent == 6);
		if (!collecting && !(pending_query && (indent == 10 || indent == 8)))
			continue;
		char value[64];
		if (strncmp(text, "- ", 2) == 0) {
			pending_query = 0;
			if (openapi_value(text, "$ref:", value, sizeof(value))) {
				const char *key = strrchr(value, '/');
				key = key ? key + 1 : value;
				if (operation != NULL && operation->query_count < OPENAPI_MAX_PARAMETERS)
					snprintf(operation->query[operation->query_count++], 72, "$ref:%.63s", key);
				else if (operation == NULL && document->path_ref_count < OPENAPI_MAX_PARAMETERS)
					snprintf(document->path_refs[document->path_ref_count++], 64, "%s", key);
			} else if (openapi_value(text, "name:", pending_name, sizeof(pending_name))) {
				pending_query = 1;
			}
			continue;
		}
		if (pending_query && strncmp(text, "in:", 3) == 0) {
			pending_query = 0;
			if (strstr(text, "query") == NULL)
				continue;
			if (operation != NULL && operation->query_count < OPENAPI_MAX_PARAMETERS)
				snprintf(operation->query[operation->query_count++], 64, "%s", pending_name);
			else if (operation == NULL && document->path_query_count < OPENAPI_MAX_PARAMETERS)
				snprintf(document->path_query[document->path_query_count++], 64, "%s", pending_name);
		}
	}
	fclose(file);
	return 0;
}

/* Resolves "$ref:Key" entries to query parameter names; header refs vanish. */
static void openapi_resolve_refs(struct openapi_document *document)
{
	for (size_t o = 0; o < document->operation_count; o++) {
		struct openapi_operation *operation = &document->operations[o];
		size_t kept = 0;
		for (size_t q = 0; q < operation->query_count; q++) {
			const char *entry = operation->query[q];
			if (strncmp(entry, "$ref:", 5) != 0) {
				memmove(operation->query[kept++], entry, strlen(entry) + 1);
				continue;
			}
			for (size_t c = 0; c < document->component_count; c++)
				if (strcmp(document->components[c].key, entry + 5) == 0 && document->components[c].in_query) {
					memcpy(operation->query[kept++], document->components[c].name, sizeof(document->components[c].name));
					break;
				}
		}
		operation->query_count = kept;
	}
}

static struct openapi_document openapi_document;

static struct openapi_operation *openapi_find(const char *method, const char *pattern)
{
	char path[OPENAPI_TEXT];
	openapi_normalise_path(pattern, "", path, sizeof(path));
	for (size_t i = 0; i < openapi_document.operation_count; i++)
		if (strcmp(openapi_document.operations[i].method, method) == 0 &&
			strcmp(openapi_document.operations[i].path, path) == 0)
			return &openapi_document.operations[i];
	return NULL;
}

static int openapi_loaded(void)
{
	static int loaded = -1;
	if (loaded < 0) {
		loaded = openapi_read(&openapi_document) == 0;
		if (loaded)
			openapi_resolve_refs(&openapi_document);
	}
	return loaded;
}

static void openapi_describes_every_route_and_no_other(void)
{
	CU_ASSERT_TRUE_FATAL(openapi_loaded());
	CU_ASSERT_TRUE_FATAL(openapi_document.operation_count > 100);
	size_t table_count = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	for (size_t t = 0; t < table_count; t++)
		for (size_t r = 0; r < tables[t]->route_count; r++) {
			const struct route *route = &tables[t]->routes[r];
			const char *method = http_method_name(route->method);
			struct openapi_operation *operation = openapi_find(method, route->pattern);
			if (operation == NULL) {
				fprintf(stderr, "\n    route %s %s has no operation in docs/openapi.yaml", method, route->pattern);
				CU_FAIL("a route is not in docs/openapi.yaml");
				continue;
			}
			operation->matched = 1;
		}
	for (size_t i = 0; i < openapi_document.operation_count; i++)
		if (!openapi_document.operations[i].matched) {
			fprintf(stderr, "\n    docs/openapi.yaml has %s %s, which no route serves",
				openapi_document.operations[i].method, openapi_document.operations[i].path);
			CU_FAIL("docs/openapi.yaml describes a route that does not exist");
		}
}

static int openapi_lists(const struct openapi_operation *operation, const char *name)
{
	for (size_t i = 0; i < operation->query_count; i++)
		if (strcmp(operation->query[i], name) == 0)
			return 1;
	return 0;
}

static void openapi_lists_exactly_the_query_each_route_declares(void)
{
	CU_ASSERT_TRUE_FATAL(openapi_loaded());
	size_t table_count = 0;
	const struct route_table *const *tables = registry_route_tables(&table_count);
	for (size_t t = 0; t < table_count; t++)
		for (size_t r = 0; r < tables[t]->route_count; r++) {
			const struct route *route = &tables[t]->routes[r];
			const char *method = http_method_name(route->method);
			const struct openapi_operation *operation = openapi_find(method, route->pattern);
			if (operation == NULL)
				continue; /* reported by the test above */
			const struct query_spec *spec = route->query;
			/* The route's own fields, then those its data declares (a list's ranges). */
			const struct query_spec *extra = spec != NULL && spec->extra != NULL ? spec->extra(route->data) : NULL;
			const struct query_spec *specs[] = {spec, extra};
			for (size_t s = 0; s < 2; s++)
				for (size_t f = 0; specs[s] != NULL && f < specs[s]->field_count; f++)
					if (!openapi_lists(operation, specs[s]->fields[f].name)) {
						fprintf(stderr, "\n    %s %s takes ?%s, which docs/openapi.yaml does not list", method,
							route->pattern, specs[s]->fields[f].name);
						CU_FAIL("a declared query parameter is not documented");
					}
			for (size_t q = 0; q < operation->query_count; q++) {
				const char *name = operation->query[q];
				int declared = 0;
				for (size_t s = 0; s < 2; s++)
					for (size_t f = 0; specs[s] != NULL && f < specs[s]->field_count; f++)
						declared |= strcmp(specs[s]->fields[f].name, name) == 0;
				if (!declared && spec != NULL && spec->accepts != NULL)
					declared = spec->accepts(route->data, name);
				if (!declared) {
					fprintf(stderr, "\n    docs/openapi.yaml lists ?%s on %s %s, which the route refuses", name,
						method, route->pattern);
					CU_FAIL("a documented query parameter is not declared by its route");
				}
			}
		}
}

int register_openapi_routes_suite(void)
{
	static const struct unit_test tests[] = {
		{"describes_every_route_and_no_other", openapi_describes_every_route_and_no_other},
		{"lists_exactly_the_query_each_route_declares", openapi_lists_exactly_the_query_each_route_declares},
	};
	return UNIT_SUITE("openapi_routes", tests);
}

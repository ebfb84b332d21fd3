/* Segment-by-segment matching of request paths against route patterns. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Compare one pattern with a path; fill params on a match. A trailing slash
 * on the path is tolerated; empty segments ("//") never match. */
static int router_pattern_matches(const char *pattern, const char *path, struct arena *arena,
	struct path_params *params)
{
	params->count = 0;
	const char *p = pattern;
	const char *s = path;
	size_t path_length = strlen(path);
	if (path_length > 1 && path[path_length - 1] == '/')
		path_length--;
	const char *path_end = path + path_length;
	while (*p != '\0' && s < path_end) {
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		const char *pattern_segment_end = strchr(p, '/');
		if (pattern_segment_end == NULL)
			pattern_segment_end = p + strlen(p);
		const char *path_segment_end = memchr(s, '/', (size_t)(path_end - s));
		if (path_segment_end == NULL)
			path_segment_end = path_end;
		size_t pattern_segment_length = (size_t)(pattern_segment_end - p);
		size_t path_segment_length = (size_t)(path_segment_end - s);
		if (path_segment_length == 0)
			return 0;
		if (pattern_segment_length >= 2 && p[0] == '{' && p[pattern_segment_length - 1] == '}') {
			if (params->count == ROUTE_MAX_PARAMS)
				return 0;
			char *value = request_percent_decode(arena, s, path_segment_length, 0);
			if (value == NULL)
				return 0;
			params->names[params->count] = arena_strndup(arena, p + 1, pattern_segment_length - 2);
			params->values[params->count] = value;
			params->count++;
		} else if (pattern_segment_length != path_segment_length || memcmp(p, s, path_segment_length) != 0) {
			return 0;
		}
		p = pattern_segment_end;
		s = path_segment_end;
	}
	return *p == '\0' && s == path_end;
}

enum router_result router_match(const struct route_table *const *tables, size_t table_count,
	enum http_method method, const char *path, struct arena *arena, const struct route **route,
	const struct route_table **table, struct path_params *params, char *allow, size_t allow_size)
{
	int path_known = 0;
	unsigned allowed_methods = 0;
	*route = NULL;
	for (size_t t = 0; t < table_count; t++) {
		const struct route_table *candidate_table = tables[t];
		for (size_t r = 0; r < candidate_table->route_count; r++) {
			const struct route *candidate = &candidate_table->routes[r];
			struct path_params candidate_params;
			if (!router_pattern_matches(candidate->pattern, path, arena, &candidate_params))
				continue;
			if (candidate->method == method) {
				*route = candidate;
				if (table != NULL)
					*table = candidate_table;
				*params = candidate_params;
				return ROUTER_FOUND;
			}
			path_known = 1;
			allowed_methods |= 1u << candidate->method;
		}
	}
	if (!path_known)
		return ROUTER_NOT_FOUND;
	size_t used = 0;
	if (allow_size > 0)
		allow[0] = '\0';
	for (int m = 0; m < HTTP_METHOD__MAX; m++) {
		if (!(allowed_methods & (1u << m)))
			continue;
		int written = snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "",
			http_method_name((enum http_method)m));
		if (written < 0 || (size_t)written >= allow_size - used)
			break;
		used += (size_t)written;
	}
	return ROUTER_METHOD_NOT_ALLOWED;
}

/* Fuzz target for query-string validation (query_validate, http/query.c).
 * The input is a query string, the part of a URI after '?' (a NUL byte ends
 * it, as it would end REQUEST_URI); request_parse splits and decodes it with
 * the product's default limits, then query_validate checks it against a
 * spec with every query type, an object parameter ("filters", given as JSON
 * text or as filters[member]=value pairs) whose members have every type, and
 * an accepts callback for names known only at run time.
 * Properties: it never crashes, leaks or reads past a value; a refusal is a
 * VALIDATION_ERROR whose envelope is strict JSON (whatever bytes the names
 * held) with a detail per fault; an acceptance holds every declared bound
 * when read back through the accessors; and what was accepted, written again
 * (the object as JSON text, everything percent-encoded) and validated again,
 * is accepted with the same values and the same object. */
#include "fuzz_check.h"

#include "core/arena.h"
#include "core/config.h"
#include "http/query.h"
#include "http/request.h"
#include "http/timestamp.h"

static const char *const fuzz_query_orders[] = {"asc", "desc", NULL};
static const char *const fuzz_query_ratings[] = {"positive", "negative", NULL};
static const char *const fuzz_query_colours[] = {"red", "green", "blue", NULL};

static const struct query_field fuzz_query_filter_members[] = {
	{.name = "rating", .type = QUERY_ENUM, .enum_values = fuzz_query_ratings},
	{.name = "thread_id", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},
	{.name = "score", .type = QUERY_INTEGER, .min_value = -5, .max_value = 5},
	{.name = "count", .type = QUERY_INTEGER},
	{.name = "flag", .type = QUERY_BOOLEAN},
	{.name = "names", .type = QUERY_LIST, .max_length = 16, .max_value = 4},
	{.name = "colours", .type = QUERY_LIST, .enum_values = fuzz_query_colours},
	{.name = "day", .type = QUERY_DATE},
	{.name = "created_after", .type = QUERY_TIMESTAMP},
	/* An object inside an object is refused as an unknown member. */
	{.name = "inner", .type = QUERY_OBJECT},
};
static const struct query_spec fuzz_query_filters = QUERY_SPEC(fuzz_query_filter_members);

static const struct query_field fuzz_query_fields[] = {
	{.name = "q", .type = QUERY_TEXT, .max_length = 50},
	{.name = "threadId", .type = QUERY_TEXT, .min_length = 1, .max_length = 64},
	{.name = "limit", .type = QUERY_INTEGER, .min_value = 1, .max_value = 100},
	{.name = "offset", .type = QUERY_INTEGER, .min_value = 0, .max_value = 100000},
	{.name = "since_id", .type = QUERY_INTEGER},
	{.name = "includeDeleted", .type = QUERY_BOOLEAN},
	{.name = "order", .type = QUERY_ENUM, .enum_values = fuzz_query_orders},
	{.name = "dateFrom", .type = QUERY_DATE},
	{.name = "createdFrom", .type = QUERY_TIMESTAMP},
	{.name = "ids", .type = QUERY_LIST, .max_length = 20, .max_value = 5},
	{.name = "colours", .type = QUERY_LIST, .enum_values = fuzz_query_colours},
	{.name = "filters", .type = QUERY_OBJECT, .members = &fuzz_query_filters},
};

/* The route data the callback sees: names a generic list filters on. */
static const char *const fuzz_query_route_filters[] = {"status", "customer_id", "q2", NULL};

static int fuzz_query_accepts(const void *route_data, const char *name)
{
	for (const char *const *known = route_data; *known != NULL; known++)
		if (strcmp(*known, name) == 0)
			return 1;
	return 0;
}

static const struct query_spec fuzz_query_spec = {
	.fields = fuzz_query_fields,
	.field_count = sizeof(fuzz_query_fields) / sizeof(fuzz_query_fields[0]),
	.accepts = fuzz_query_accepts,
};

static const struct request_limits *fuzz_query_limits(void)
{
	static struct request_limits limits;
	static int ready;
	if (!ready) {
		struct config config;
		config_set_defaults(&config);
		limits.max_body_bytes = (size_t)config.max_body_bytes;
		limits.max_header_bytes = (size_t)config.max_header_bytes;
		limits.max_path_bytes = (size_t)config.max_path_bytes;
		limits.max_json_depth = config.max_json_depth;
		limits.max_query_params = (size_t)config.max_query_params;
		ready = 1;
	}
	return &limits;
}

static const struct query_field *fuzz_query_field(const struct query_spec *spec, const char *name, size_t length)
{
	for (size_t i = 0; i < spec->field_count; i++)
		if (strlen(spec->fields[i].name) == length && strncmp(spec->fields[i].name, name, length) == 0)
			return &spec->fields[i];
	return NULL;
}

static int fuzz_query_in(const char *const *values, const char *text, size_t length)
{
	for (; *values != NULL; values++)
		if (strlen(*values) == length && strncmp(*values, text, length) == 0)
			return 1;
	return 0;
}

/* What an accepted value of field must be, as text. */
static void fuzz_query_require_text(const struct query_field *field, const char *text)
{
	size_t length = strlen(text);
	size_t max_length = field->max_length ? field->max_length : 200;
	switch (field->type) {
	case QUERY_TEXT:
		FUZZ_REQUIRE(length >= field->min_length && length <= max_length);
		for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
			FUZZ_REQUIRE(*p >= 0x20 && *p != 0x7f);
		break;
	case QUERY_INTEGER: {
		char *end = NULL;
		long long value = strtoll(text, &end, 10);
		FUZZ_REQUIRE(end != text && *end == '\0');
		if (field->min_value != 0 || field->max_value != 0)
			FUZZ_REQUIRE(value >= field->min_value && value <= field->max_value);
		break;
	}
	case QUERY_BOOLEAN:
		FUZZ_REQUIRE(strcmp(text, "true") == 0 || strcmp(text, "false") == 0);
		break;
	case QUERY_ENUM:
		FUZZ_REQUIRE(fuzz_query_in(field->enum_values, text, length));
		break;
	case QUERY_DATE:
		FUZZ_REQUIRE(timestamp_is_date(text));
		break;
	case QUERY_TIMESTAMP: {
		char instant[TIMESTAMP_SQL_SIZE];
		FUZZ_REQUIRE(timestamp_parse(text, TIMESTAMP_OR_DATE, instant) == 0);
		break;
	}
	case QUERY_LIST: {
		size_t items = 0, max_items = field->max_value > 0 ? (size_t)field->max_value : 50;
		for (const char *item = text;; items++) {
			const char *comma = strchr(item, ',');
			size_t item_length = comma ? (size_t)(comma - item) : strlen(item);
			FUZZ_REQUIRE(item_length >= 1 && item_length <= max_length);
			FUZZ_REQUIRE(field->enum_values == NULL || fuzz_query_in(field->enum_values, item, item_length));
			if (comma == NULL)
				break;
			item = comma + 1;
		}
		FUZZ_REQUIRE(items + 1 <= max_items);
		break;
	}
	case QUERY_OBJECT:
		FUZZ_REQUIRE(!"an object parameter is read through query_object");
		break;
	}
}

/* The parsed object: declared members only, typed as documented. */
static void fuzz_query_require_object(const struct query_field *object_field, json_object *object)
{
	FUZZ_REQUIRE(json_object_is_type(object, json_type_object));
	json_object_object_foreach(object, name, value)
	{
		const struct query_field *member = fuzz_query_field(object_field->members, name, strlen(name));
		FUZZ_REQUIRE(member != NULL && member->type != QUERY_OBJECT);
		switch (member->type) {
		case QUERY_INTEGER: {
			FUZZ_REQUIRE(json_object_is_type(value, json_type_int));
			int64_t number = json_object_get_int64(value);
			if (member->min_value != 0 || member->max_value != 0)
				FUZZ_REQUIRE(number >= member->min_value && number <= member->max_value);
			break;
		}
		case QUERY_BOOLEAN:
			FUZZ_REQUIRE(json_object_is_type(value, json_type_boolean));
			break;
		case QUERY_LIST:
			FUZZ_REQUIRE(json_object_is_type(value, json_type_array) && json_object_array_length(value) > 0);
			for (size_t i = 0; i < json_object_array_length(value); i++) {
				json_object *item = json_object_array_get_idx(value, i);
				FUZZ_REQUIRE(json_object_is_type(item, json_type_string));
			}
			break;
		default:
			FUZZ_REQUIRE(json_object_is_type(value, json_type_string));
			fuzz_query_require_text(member, json_object_get_string(value));
			break;
		}
	}
}

static void fuzz_query_require_accepted(const struct request *request)
{
	for (size_t i = 0; i < request->query_param_count; i++) {
		const char *name = request->query_params[i].name;
		const char *bracket = strchr(name, '[');
		const struct query_field *field =
			fuzz_query_field(&fuzz_query_spec, name, bracket ? (size_t)(bracket - name) : strlen(name));
		if (field == NULL) {
			FUZZ_REQUIRE(fuzz_query_accepts(fuzz_query_route_filters, name));
			continue;
		}
		if (field->type == QUERY_OBJECT) {
			fuzz_query_require_object(field, query_object(request, field->name));
			continue;
		}
		FUZZ_REQUIRE(bracket == NULL);
		fuzz_query_require_text(field, query_text(request, name));
		if (field->type == QUERY_INTEGER)
			FUZZ_REQUIRE(query_integer(request, name, INT64_MIN) == strtoll(query_text(request, name), NULL, 10));
		if (field->type == QUERY_BOOLEAN)
			FUZZ_REQUIRE(query_boolean(request, name, -1) == (strcmp(query_text(request, name), "true") == 0));
	}
}

struct fuzz_query_parsed {
	struct arena arena;
	struct request request;
	struct response response;
	int parsed;    /* request_parse's result */
	int validated; /* query_validate's result */
};

static void fuzz_query_run(struct fuzz_query_parsed *run, const char *query, size_t length)
{
	char *uri = malloc(strlen("REQUEST_URI=/fuzz?") + length + 1);
	FUZZ_REQUIRE(uri != NULL);
	memcpy(uri, "REQUEST_URI=/fuzz?", strlen("REQUEST_URI=/fuzz?"));
	memcpy(uri + strlen("REQUEST_URI=/fuzz?"), query, length);
	uri[strlen("REQUEST_URI=/fuzz?") + length] = '\0';
	char *envp[] = {"REQUEST_METHOD=GET", uri, NULL};
	arena_init(&run->arena, 4096);
	request_init(&run->request, &run->arena);
	response_init(&run->response);
	run->validated = -1;
	run->parsed = request_parse(&run->request, envp, NULL, NULL, fuzz_query_limits(), &run->response);
	if (run->parsed == 0)
		run->validated = query_validate(&run->request, &fuzz_query_spec, fuzz_query_route_filters, &run->response);
	free(uri);
}

static void fuzz_query_release(struct fuzz_query_parsed *run)
{
	request_reset(&run->request);
	response_reset(&run->response);
	arena_destroy(&run->arena);
}

/* Appends "name=value" percent-encoded, '&' before all but the first. */
static void fuzz_query_append(char **out, size_t *used, size_t *capacity, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t needed = 3 * (strlen(name) + strlen(value)) + 3;
	if (*used + needed >= *capacity) {
		*capacity = 2 * (*used + needed);
		*out = realloc(*out, *capacity);
		FUZZ_REQUIRE(*out != NULL);
	}
	if (*used > 0)
		(*out)[(*used)++] = '&';
	for (int part = 0; part < 2; part++) {
		for (const unsigned char *p = (const unsigned char *)(part ? value : name); *p != '\0'; p++) {
			int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				*p == '-' || *p == '.' || *p == '_' || *p == '~';
			if (plain) {
				(*out)[(*used)++] = (char)*p;
			} else {
				(*out)[(*used)++] = '%';
				(*out)[(*used)++] = hex[*p >> 4];
				(*out)[(*used)++] = hex[*p & 0xf];
			}
		}
		if (part == 0)
			(*out)[(*used)++] = '=';
	}
	(*out)[*used] = '\0';
}

/* Accept => re-serialise => accept: plain parameters as they were, the
 * object once as JSON text, in the order they first appeared. */
static void fuzz_query_round_trip(const struct request *first)
{
	size_t used = 0, capacity = 256;
	char *query = malloc(capacity);
	FUZZ_REQUIRE(query != NULL);
	query[0] = '\0';
	int object_written = 0;
	for (size_t i = 0; i < first->query_param_count; i++) {
		const char *name = first->query_params[i].name;
		const char *bracket = strchr(name, '[');
		const struct query_field *field =
			fuzz_query_field(&fuzz_query_spec, name, bracket ? (size_t)(bracket - name) : strlen(name));
		if (field == NULL || field->type != QUERY_OBJECT) {
			fuzz_query_append(&query, &used, &capacity, name, first->query_params[i].value);
			continue;
		}
		if (object_written++)
			continue;
		const char *json = json_object_to_json_string_ext(query_object(first, field->name), JSON_C_TO_STRING_PLAIN);
		fuzz_query_append(&query, &used, &capacity, field->name, json);
	}

	struct fuzz_query_parsed again;
	fuzz_query_run(&again, query, used);
	if (again.validated != 0) {
		fprintf(stderr, "written again as %s, refused\n", query);
		FUZZ_REQUIRE(!"what was accepted is accepted again");
	}
	for (size_t i = 0; i < first->query_param_count; i++) {
		const char *name = first->query_params[i].name;
		if (strchr(name, '[') == NULL && query_object(first, name) == NULL)
			FUZZ_REQUIRE(strcmp(query_text(&again.request, name), first->query_params[i].value) == 0);
	}
	json_object *before = query_object(first, "filters"), *after = query_object(&again.request, "filters");
	FUZZ_REQUIRE((before == NULL) == (after == NULL));
	if (before != NULL && !json_object_equal(before, after)) {
		fprintf(stderr, "object %s came back as %s\n", json_object_to_json_string(before),
			json_object_to_json_string(after));
		FUZZ_REQUIRE(!"the object comes back the same");
	}
	fuzz_query_release(&again);
	free(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_copy(data, size);
	/* A NUL ends REQUEST_URI. */
	const char *nul = memchr(input, '\0', size);
	size_t length = nul ? (size_t)(nul - input) : size;
	struct fuzz_query_parsed run;
	fuzz_query_run(&run, input, length);
	if (run.parsed != 0) {
		fuzz_require_refusal(&run.response);
	} else if (run.validated != 0) {
		FUZZ_REQUIRE(run.validated == -1 && run.response.status == STATUS_VALIDATION_ERROR);
		FUZZ_REQUIRE(run.response.details != NULL && json_object_array_length(run.response.details) > 0);
		fuzz_require_refusal(&run.response);
	} else {
		FUZZ_REQUIRE(run.response.status == STATUS_OK && run.response.details == NULL);
		fuzz_query_require_accepted(&run.request);
		fuzz_query_round_trip(&run.request);
	}
	fuzz_query_release(&run);
	free(input);
	return 0;
}

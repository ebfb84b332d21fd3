/*
 * The path language of the SDK contract table (see contract_path.h): walking
 * a JSON value along a path, type, equality and non-emptiness checks, and
 * ${name} placeholders.
 */
#include "contract_path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	CONTRACT_WHERE_MAX = 512,
	CONTRACT_NAME_MAX = 128,
	/* Named types refer to each other (ChatResponse -> Product); a cycle in
	 * the file must end as a failure, not as a stack overflow. */
	CONTRACT_MAX_TYPE_DEPTH = 16,
};

/* ---------------------------------------------------------------- path language */

struct path_segment {
	char name[CONTRACT_NAME_MAX]; /* "" for the value itself, "*" for every member */
	bool optional;
	unsigned arrays;              /* how many "[]" follow the name */
	const char *next;             /* the text after '.', or NULL for the last segment */
};

static bool path_segment_parse(const char *text, bool first, struct path_segment *segment)
{
	size_t length = 0;

	memset(segment, 0, sizeof *segment);
	while (text[length] != '\0' && strchr(".?[]", text[length]) == NULL)
		length++;
	if (length >= sizeof segment->name || (length == 0 && !first))
		return false;
	memcpy(segment->name, text, length);
	if (strchr(segment->name, '*') != NULL && strcmp(segment->name, "*") != 0)
		return false;
	text += length;
	if (*text == '?') {
		if (length == 0 || strcmp(segment->name, "*") == 0)
			return false;
		segment->optional = true;
		text++;
	}
	while (text[0] == '[' && text[1] == ']') {
		segment->arrays++;
		text += 2;
	}
	if (*text == '\0')
		return true;
	/* "" followed by ".a" would be a second way of writing "a". */
	if (*text != '.' || (length == 0 && segment->arrays == 0))
		return false;
	segment->next = text + 1;
	return true;
}

bool contract_path_is_valid(const char *path)
{
	struct path_segment segment;
	bool first = true;

	for (const char *text = path; text != NULL; text = segment.next, first = false) {
		if (!path_segment_parse(text, first, &segment))
			return false;
	}
	return true;
}

static bool word_is_one_of(const char *word, const char *const words[])
{
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], word) == 0)
			return true;
	}
	return false;
}

bool contract_types_are_valid(json_object *types, const char *text, char *why, size_t why_size)
{
	static const char *const plain[] = { "string", "number", "integer", "boolean", "object", "array", "null", NULL };
	unsigned named_count = 0;

	if (text[0] == '\0') {
		snprintf(why, why_size, "empty type");
		return false;
	}
	for (const char *token = text; *token != '\0';) {
		size_t length = strcspn(token, "|");
		char word[CONTRACT_NAME_MAX];
		if (length == 0 || length >= sizeof word) {
			snprintf(why, why_size, "bad type \"%s\"", text);
			return false;
		}
		snprintf(word, sizeof word, "%.*s", (int)length, token);
		if (word[0] == '@') {
			if (++named_count > 1 || !json_object_object_get_ex(types, word + 1, NULL)) {
				snprintf(why, why_size, "type \"%s\": %s", text,
						 named_count > 1 ? "at most one named type" : "unknown named type");
				return false;
			}
		} else if (!word_is_one_of(word, plain)) {
			snprintf(why, why_size, "type \"%s\": unknown \"%s\"", text, word);
			return false;
		}
		token += length + (token[length] == '|' ? 1 : 0);
		if (token[-1] == '|' && *token == '\0') {
			snprintf(why, why_size, "bad type \"%s\"", text);
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------- walking */

struct contract_walk;
typedef void (*contract_at_end_fn)(struct contract_walk *walk, json_object *value, const char *where);

struct contract_walk {
	json_object *named_types;
	contract_report_fn report;
	void *context;
	contract_at_end_fn at_end;
	const char *types;     /* type checks */
	json_object *expected; /* equals */
	size_t reached;        /* values the path led to */
	unsigned depth;        /* named types entered */
	bool ok;
};

static void walk_fail(struct contract_walk *walk, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void walk_fail(struct contract_walk *walk, const char *format, ...)
{
	char message[1024];
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	walk->report(walk->context, message);
	walk->ok = false;
}

/* "string \"abc\"" or "object {...}": what a value is, for failure messages. */
static const char *describe_value(json_object *value, char *out, size_t out_size)
{
	const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (json_object_get_type(value) == json_type_null)
		snprintf(out, out_size, "null");
	else
		snprintf(out, out_size, "%s %.80s%s", json_type_to_name(json_object_get_type(value)), text,
				 strlen(text) > 80 ? "..." : "");
	return out;
}

static size_t where_append(char *where, size_t used, const char *format, ...) __attribute__((format(printf, 3, 4)));

static size_t where_append(char *where, size_t used, const char *format, ...)
{
	va_list arguments;
	int written;

	if (used >= CONTRACT_WHERE_MAX - 1)
		return 0;
	va_start(arguments, format);
	written = vsnprintf(where + used, CONTRACT_WHERE_MAX - used, format, arguments);
	va_end(arguments);
	if (written < 0)
		return 0;
	return (size_t)written < CONTRACT_WHERE_MAX - used ? (size_t)written : CONTRACT_WHERE_MAX - used - 1;
}

static void walk_segment(struct contract_walk *walk, json_object *node, const char *text, bool first, char *where,
						 size_t used);

static void walk_value(struct contract_walk *walk, json_object *value, const struct path_segment *segment,
					   unsigned arrays_left, bool optional, char *where, size_t used)
{
	char seen[128];

	if (arrays_left == 0 && segment->next == NULL) {
		walk->reached++;
		walk->at_end(walk, value, where);
		return;
	}
	/* Below an optional member that is absent or null there is nothing to check. */
	if (optional && json_object_get_type(value) == json_type_null)
		return;
	if (arrays_left > 0) {
		if (!json_object_is_type(value, json_type_array)) {
			walk_fail(walk, "%s is %s, wanted an array", where, describe_value(value, seen, sizeof seen));
			return;
		}
		for (size_t i = 0; i < json_object_array_length(value); i++) {
			size_t added = where_append(where, used, "[%zu]", i);
			walk_value(walk, json_object_array_get_idx(value, i), segment, arrays_left - 1, false, where, used + added);
			where[used] = '\0';
		}
		return;
	}
	walk_segment(walk, value, segment->next, false, where, used);
}

static void walk_segment(struct contract_walk *walk, json_object *node, const char *text, bool first, char *where,
						 size_t used)
{
	struct path_segment segment;
	json_object *member;
	char seen[128];
	size_t added;

	if (!path_segment_parse(text, first, &segment)) {
		walk_fail(walk, "%s: malformed path \"%s\"", where, text);
		return;
	}
	if (segment.name[0] == '\0') {
		walk_value(walk, node, &segment, segment.arrays, false, where, used);
		return;
	}
	if (!json_object_is_type(node, json_type_object)) {
		walk_fail(walk, "%s is %s, wanted an object with \"%s\"", where, describe_value(node, seen, sizeof seen),
				  segment.name);
		return;
	}
	if (strcmp(segment.name, "*") == 0) {
		json_object_object_foreach(node, key, each) {
			added = where_append(where, used, ".%s", key);
			walk_value(walk, each, &segment, segment.arrays, false, where, used + added);
			where[used] = '\0';
		}
		return;
	}
	added = where_append(where, used, ".%s", segment.name);
	if (!json_object_object_get_ex(node, segment.name, &member)) {
		if (!segment.optional)
			walk_fail(walk, "%s is missing", where);
	} else {
		walk_value(walk, member, &segment, segment.arrays, segment.optional, where, used + added);
	}
	where[used] = '\0';
}

static bool type_token_matches(json_object *value, const char *token, size_t length)
{
	enum json_type type = json_object_get_type(value);

#define TOKEN_IS(word) (length == sizeof word - 1 && strncmp(token, word, length) == 0)
	if (TOKEN_IS("string"))
		return type == json_type_string;
	if (TOKEN_IS("number"))
		return type == json_type_int || type == json_type_double;
	if (TOKEN_IS("integer"))
		return type == json_type_int;
	if (TOKEN_IS("boolean"))
		return type == json_type_boolean;
	if (TOKEN_IS("object"))
		return type == json_type_object;
	if (TOKEN_IS("array"))
		return type == json_type_array;
	if (TOKEN_IS("null"))
		return type == json_type_null;
#undef TOKEN_IS
	return false;
}

static bool spec_holds(json_object *named_types, json_object *root, json_object *spec, const char *label,
					   contract_report_fn report, void *context, unsigned depth);

/* Checks value against a type text; reports and returns false when it does not hold. */
static bool types_accept(struct contract_walk *walk, json_object *value, const char *types, const char *where)
{
	const char *named = NULL;
	size_t named_length = 0;
	char name[CONTRACT_NAME_MAX], seen[128];
	json_object *spec;

	for (const char *token = types; *token != '\0';) {
		size_t length = strcspn(token, "|");
		if (token[0] == '@') {
			named = token + 1;
			named_length = length - 1;
		} else if (type_token_matches(value, token, length)) {
			return true;
		}
		token += length + (token[length] == '|' ? 1 : 0);
	}
	if (named == NULL) {
		walk_fail(walk, "%s is %s, wanted %s", where, describe_value(value, seen, sizeof seen), types);
		return false;
	}
	snprintf(name, sizeof name, "%.*s", (int)named_length, named);
	if (!json_object_object_get_ex(walk->named_types, name, &spec)) {
		walk_fail(walk, "%s: no type named %s", where, name);
		return false;
	}
	if (walk->depth >= CONTRACT_MAX_TYPE_DEPTH) {
		walk_fail(walk, "%s: named types nest deeper than %d (a cycle?)", where, CONTRACT_MAX_TYPE_DEPTH);
		return false;
	}
	if (!spec_holds(walk->named_types, value, spec, where, walk->report, walk->context, walk->depth + 1)) {
		walk->ok = false;
		return false;
	}
	return true;
}

static void at_end_types(struct contract_walk *walk, json_object *value, const char *where)
{
	types_accept(walk, value, walk->types, where);
}

static void at_end_equals(struct contract_walk *walk, json_object *value, const char *where)
{
	char seen[128], wanted[128];

	if (!json_object_equal(value, walk->expected))
		walk_fail(walk, "%s is %s, wanted %s", where, describe_value(value, seen, sizeof seen),
				  describe_value(walk->expected, wanted, sizeof wanted));
}

static void at_end_nonempty(struct contract_walk *walk, json_object *value, const char *where)
{
	char seen[128];
	bool filled = (json_object_is_type(value, json_type_array) && json_object_array_length(value) > 0) ||
				  (json_object_is_type(value, json_type_object) && json_object_object_length(value) > 0);

	if (!filled)
		walk_fail(walk, "%s is %s, wanted a non-empty array or object", where,
				  describe_value(value, seen, sizeof seen));
}

static bool walk_path(struct contract_walk *walk, json_object *root, const char *path, const char *label)
{
	char where[CONTRACT_WHERE_MAX];

	snprintf(where, sizeof where, "%s", label);
	walk_segment(walk, root, path, true, where, strlen(where));
	return walk->ok;
}

static bool spec_holds(json_object *named_types, json_object *root, json_object *spec, const char *label,
					   contract_report_fn report, void *context, unsigned depth)
{
	bool ok = true;

	json_object_object_foreach(spec, path, types) {
		struct contract_walk walk = {
			.named_types = named_types, .report = report, .context = context, .at_end = at_end_types,
			.types = json_object_get_string(types), .depth = depth, .ok = true,
		};
		if (!walk_path(&walk, root, path, label))
			ok = false;
	}
	return ok;
}

/* A failure found in many array elements is one problem: reported once per
 * shape (the message with its indexes as "[]"), with a count of the repeats
 * at the end, so a 30-day series does not bury the other failures. */
enum { REPORT_FILTER_SHAPES = 64, REPORT_SHAPE_MAX = 256 };

struct report_filter {
	contract_report_fn report;
	void *context;
	char shapes[REPORT_FILTER_SHAPES][REPORT_SHAPE_MAX];
	size_t shape_count;
	size_t repeats;
};

/* "data.ids[3] is string \"a\", wanted number" -> "data.ids[] is string, wanted number". */
static void message_shape(const char *message, char *shape, size_t shape_size)
{
	const char *value = strstr(message, " is ");
	const char *wanted = value != NULL ? strstr(value, ", wanted ") : NULL;
	size_t used = 0;

	/* The value follows its type name: keep "is <type>", drop the value. */
	if (wanted != NULL)
		value = strchr(value + 4, ' ');
	for (const char *cursor = message; *cursor != '\0' && used + 1 < shape_size; cursor++) {
		size_t digits = cursor[0] == '[' ? strspn(cursor + 1, "0123456789") : 0;
		if (wanted != NULL && value != NULL && cursor == value && value < wanted)
			cursor = wanted;
		/* "[12]" becomes "[]": copy the '[' and continue at the ']'. */
		shape[used++] = *cursor;
		if (digits > 0 && cursor[1 + digits] == ']')
			cursor += digits;
	}
	shape[used] = '\0';
}

static void report_filter_report(void *context, const char *message)
{
	struct report_filter *filter = context;
	char shape[REPORT_SHAPE_MAX];

	message_shape(message, shape, sizeof shape);
	for (size_t i = 0; i < filter->shape_count; i++) {
		if (strcmp(filter->shapes[i], shape) == 0) {
			filter->repeats++;
			return;
		}
	}
	if (filter->shape_count < REPORT_FILTER_SHAPES)
		memcpy(filter->shapes[filter->shape_count++], shape, sizeof shape);
	filter->report(filter->context, message);
}

static bool report_filter_finish(struct report_filter *filter, const char *label, bool ok)
{
	char message[160];

	if (filter->repeats > 0) {
		snprintf(message, sizeof message, "%s: and %zu more failures like those above (in other elements or members)",
				 label, filter->repeats);
		filter->report(filter->context, message);
	}
	return ok;
}

bool contract_check_types(json_object *named_types, json_object *root, json_object *spec, const char *label,
						  contract_report_fn report, void *context)
{
	struct report_filter filter = { .report = report, .context = context };

	return report_filter_finish(&filter, label,
								spec_holds(named_types, root, spec, label, report_filter_report, &filter, 0));
}

bool contract_check_value(json_object *named_types, json_object *value, const char *types, const char *label,
						  contract_report_fn report, void *context)
{
	struct report_filter filter = { .report = report, .context = context };
	struct contract_walk walk = {
		.named_types = named_types, .report = report_filter_report, .context = &filter, .ok = true,
	};

	return report_filter_finish(&filter, label, types_accept(&walk, value, types, label) && walk.ok);
}

bool contract_check_equals(json_object *named_types, json_object *root, json_object *expected, const char *label,
						   contract_report_fn report, void *context)
{
	struct report_filter filter = { .report = report, .context = context };
	bool ok = true;

	json_object_object_foreach(expected, path, value) {
		struct contract_walk walk = {
			.named_types = named_types, .report = report_filter_report, .context = &filter,
			.at_end = at_end_equals, .expected = value, .ok = true,
		};
		if (walk_path(&walk, root, path, label) && walk.reached == 0)
			walk_fail(&walk, "%s: nothing at \"%s\" to compare", label, path);
		ok = ok && walk.ok;
	}
	return report_filter_finish(&filter, label, ok);
}

bool contract_check_nonempty(json_object *named_types, json_object *root, json_object *paths, const char *label,
							 contract_report_fn report, void *context)
{
	struct report_filter filter = { .report = report, .context = context };
	bool ok = true;

	for (size_t i = 0; i < json_object_array_length(paths); i++) {
		const char *path = json_object_get_string(json_object_array_get_idx(paths, i));
		struct contract_walk walk = {
			.named_types = named_types, .report = report_filter_report, .context = &filter,
			.at_end = at_end_nonempty, .ok = true,
		};
		if (walk_path(&walk, root, path, label) && walk.reached == 0)
			walk_fail(&walk, "%s: nothing at \"%s\"", label, path);
		ok = ok && walk.ok;
	}
	return report_filter_finish(&filter, label, ok);
}

/* ---------------------------------------------------------------- placeholders */

struct text_buffer {
	char *text;
	size_t used, capacity;
};

static void text_buffer_add(struct text_buffer *buffer, const char *bytes, size_t length)
{
	if (buffer->used + length + 1 > buffer->capacity) {
		size_t capacity = buffer->capacity == 0 ? 64 : buffer->capacity;
		while (capacity < buffer->used + length + 1)
			capacity *= 2;
		char *grown = realloc(buffer->text, capacity);
		if (grown == NULL)
			abort(); /* the test program has no better answer to out of memory */
		buffer->text = grown;
		buffer->capacity = capacity;
	}
	memcpy(buffer->text + buffer->used, bytes, length);
	buffer->used += length;
	buffer->text[buffer->used] = '\0';
}

/* What encodeURIComponent leaves alone. */
static bool uri_component_keeps(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.!~*'()", c) != NULL;
}

char *contract_expand_text(const char *text, bool encode, contract_lookup_fn lookup, void *context, char *why,
						   size_t why_size)
{
	struct text_buffer out = { 0 };

	text_buffer_add(&out, "", 0);
	for (const char *cursor = text; *cursor != '\0';) {
		if (cursor[0] != '$' || cursor[1] != '{') {
			text_buffer_add(&out, cursor++, 1);
			continue;
		}
		const char *close = strchr(cursor + 2, '}');
		char name[CONTRACT_NAME_MAX];
		if (close == NULL || (size_t)(close - cursor - 2) >= sizeof name || close == cursor + 2) {
			snprintf(why, why_size, "malformed placeholder in \"%s\"", text);
			free(out.text);
			return NULL;
		}
		snprintf(name, sizeof name, "%.*s", (int)(close - cursor - 2), cursor + 2);
		const char *value = lookup(context, name);
		if (value == NULL) {
			snprintf(why, why_size, "unknown placeholder ${%s} (no fixture or earlier capture has that name)", name);
			free(out.text);
			return NULL;
		}
		for (const unsigned char *byte = (const unsigned char *)value; *byte != '\0'; byte++) {
			char escaped[4];
			if (!encode || uri_component_keeps(*byte)) {
				text_buffer_add(&out, (const char *)byte, 1);
			} else {
				snprintf(escaped, sizeof escaped, "%%%02X", *byte);
				text_buffer_add(&out, escaped, 3);
			}
		}
		cursor = close + 1;
	}
	return out.text;
}

static bool expand_strings(json_object *value, contract_lookup_fn lookup, void *context, char *why, size_t why_size)
{
	switch (json_object_get_type(value)) {
	case json_type_string: {
		if (strstr(json_object_get_string(value), "${") == NULL)
			return true;
		char *expanded = contract_expand_text(json_object_get_string(value), false, lookup, context, why, why_size);
		if (expanded == NULL)
			return false;
		json_object_set_string(value, expanded);
		free(expanded);
		return true;
	}
	case json_type_object: {
		json_object_object_foreach(value, key, member) {
			(void)key;
			if (!expand_strings(member, lookup, context, why, why_size))
				return false;
		}
		return true;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(value); i++) {
			if (!expand_strings(json_object_array_get_idx(value, i), lookup, context, why, why_size))
				return false;
		}
		return true;
	default:
		return true;
	}
}

json_object *contract_expand_json(json_object *value, contract_lookup_fn lookup, void *context, char *why,
								  size_t why_size)
{
	json_object *copy = NULL;

	if (value == NULL)
		return NULL;
	if (json_object_deep_copy(value, &copy, NULL) != 0) {
		snprintf(why, why_size, "out of memory copying JSON");
		return NULL;
	}
	if (!expand_strings(copy, lookup, context, why, why_size)) {
		json_object_put(copy);
		return NULL;
	}
	return copy;
}

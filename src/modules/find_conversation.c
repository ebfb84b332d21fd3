/* Thread ids, the handoff rule, prompt documents, chat filters and CSV text
 * for the find conversation modules; no database, no request. */
#include "modules/find_conversation.h"
#include "core/alloc.h"
#include "core/hex.h"
#include "http/timestamp.h"
#include "http/validate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

int find_thread_id_valid(const char *id)
{
	size_t length = id ? strlen(id) : 0;
	if (length == 0 || length > FIND_THREAD_ID_MAX)
		return 0;
	for (size_t i = 0; i < length; i++)
		if (!isalnum((unsigned char)id[i]) || (unsigned char)id[i] >= 0x80)
			if (id[i] != '_' && id[i] != '-')
				return 0;
	return 1;
}

/* A three-character prefix and 24 random hex digits. */
static int find_conversation_random_id(const char *prefix, char *out, size_t out_size)
{
	if (out_size < 3)
		return -1;
	memcpy(out, prefix, 3);
	return hex_random(12, out + 3, out_size - 3);
}

int find_thread_id_generate(char *out, size_t out_size)
{
	return find_conversation_random_id("th_", out, out_size);
}

int find_prompt_id_generate(char *out, size_t out_size)
{
	return find_conversation_random_id("pr_", out, out_size);
}

/* ---------------------------------------------------------------- handoff */

static const char *find_conversation_find_word(const char *haystack, const char *word)
{
	size_t word_length = strlen(word);
	for (const char *at = haystack; (at = strstr(at, word)) != NULL; at++) {
		int starts = at == haystack || !isalpha((unsigned char)at[-1]);
		int ends = !isalpha((unsigned char)at[word_length]) ||
			(at[word_length] == 's' && !isalpha((unsigned char)at[word_length + 1]));
		if (starts && ends)
			return at;
	}
	return NULL;
}

int find_conversation_is_handoff(const char *message)
{
	static const char *const reach[] = {"talk to", "speak to", "speak with", "talk with", "connect me",
		"transfer me", "chat with", NULL};
	static const char *const people[] = {"human", "person", "agent", "representative", "someone", "staff",
		"operator", NULL};
	char lowered[512];
	size_t length = 0;
	/* Collapse runs of whitespace so "talk   to" counts too. */
	for (const char *c = message; *c && length + 1 < sizeof(lowered); c++) {
		char next = isspace((unsigned char)*c) ? ' ' : (char)tolower((unsigned char)*c);
		if (next == ' ' && (length == 0 || lowered[length - 1] == ' '))
			continue;
		lowered[length++] = next;
	}
	while (length > 0 && (lowered[length - 1] == ' ' || ispunct((unsigned char)lowered[length - 1])))
		length--;
	lowered[length] = '\0';
	if (strcmp(lowered, "human") == 0 || strcmp(lowered, "agent") == 0 || strcmp(lowered, "operator") == 0)
		return 1;
	for (size_t r = 0; reach[r]; r++) {
		const char *verb = find_conversation_find_word(lowered, reach[r]);
		if (verb == NULL)
			continue;
		for (size_t p = 0; people[p]; p++)
			if (find_conversation_find_word(verb + strlen(reach[r]), people[p]) != NULL)
				return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- prompts */

static int find_conversation_fail(char *field, size_t field_size, const char *name, char *problem,
	size_t problem_size, const char *what)
{
	snprintf(field, field_size, "%s", name);
	snprintf(problem, problem_size, "%s", what);
	return -1;
}

/* A string member within bounds; *out stays as given when absent or null. */
static int find_prompt_string(json_object *entity, const char *name, size_t max_bytes, int required,
	const char **out, char *field, size_t field_size, char *problem, size_t problem_size)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(entity, name, &value) || value == NULL) {
		if (required)
			return find_conversation_fail(field, field_size, name, problem, problem_size, "is required");
		return 0;
	}
	if (!json_object_is_type(value, json_type_string))
		return find_conversation_fail(field, field_size, name, problem, problem_size, "must be a string");
	const char *text = json_object_get_string(value);
	size_t length = (size_t)json_object_get_string_len(value);
	if (strlen(text) != length)
		return find_conversation_fail(field, field_size, name, problem, problem_size, "must not contain NUL");
	if ((required && length == 0) || length > max_bytes) {
		snprintf(field, field_size, "%s", name);
		snprintf(problem, problem_size, "must be %d to %zu bytes", required ? 1 : 0, max_bytes);
		return -1;
	}
	*out = text;
	return 0;
}

/* An array of strings (or numbers, for ids) joined by spaces into *joined
 * when joined is not NULL. */
static int find_prompt_list(json_object *entity, const char *name, char **joined, char *field, size_t field_size,
	char *problem, size_t problem_size)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(entity, name, &value) || value == NULL)
		return 0;
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > FIND_PROMPT_LIST_MAX) {
		snprintf(field, field_size, "%s", name);
		snprintf(problem, problem_size, "must be an array of at most %d strings", FIND_PROMPT_LIST_MAX);
		return -1;
	}
	size_t count = json_object_array_length(value), used = 0;
	char *text = joined ? xmalloc(count * (FIND_PROMPT_ID_MAX + 1) + 1) : NULL;
	for (size_t i = 0; i < count; i++) {
		json_object *item = json_object_array_get_idx(value, i);
		int is_text = json_object_is_type(item, json_type_string);
		if (!is_text && !json_object_is_type(item, json_type_int)) {
			free(text);
			return find_conversation_fail(field, field_size, name, problem, problem_size,
				"every item must be a string");
		}
		const char *item_text = json_object_get_string(item);
		size_t length = strlen(item_text);
		if (length == 0 || length > FIND_PROMPT_ID_MAX) {
			free(text);
			return find_conversation_fail(field, field_size, name, problem, problem_size,
				"every item must be 1 to 191 bytes");
		}
		if (text) {
			if (used > 0)
				text[used++] = ' ';
			memcpy(text + used, item_text, length);
			used += length;
		}
	}
	if (text) {
		text[used] = '\0';
		free(*joined);
		*joined = text;
	}
	return 0;
}

/* A prompt's window bound: a date alone covers the whole day (active_from
 * from its start, active_to through its end). */
static int find_prompt_time(json_object *entity, const char *name, enum timestamp_form form,
	char out[TIMESTAMP_SQL_SIZE], char *field, size_t field_size, char *problem, size_t problem_size)
{
	const char *text = NULL;
	out[0] = '\0';
	if (find_prompt_string(entity, name, 40, 0, &text, field, field_size, problem, problem_size) != 0)
		return -1;
	if (text == NULL || text[0] == '\0')
		return 0;
	if (timestamp_parse(text, form, out) != 0)
		return find_conversation_fail(field, field_size, name, problem, problem_size,
			"must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	return 0;
}

int find_prompt_parse(json_object *entity, struct find_prompt_fields *out, char *field, size_t field_size,
	char *problem, size_t problem_size)
{
	memset(out, 0, sizeof(*out));
	out->title = out->description = out->canned_response = out->response_format = out->override_mode = "";
	out->status = "active";
	if (entity == NULL || !json_object_is_type(entity, json_type_object))
		return find_conversation_fail(field, field_size, "body", problem, problem_size, "must be a JSON object");
	json_object *id = NULL;
	char generated[FIND_PROMPT_ID_MAX + 1];
	/* The SDK's Prompt has an optional id: without one the server makes it
	 * (the upsert answers it, and the stored document carries it). */
	if (!json_object_object_get_ex(entity, "id", &id) || id == NULL) {
		if (find_prompt_id_generate(generated, sizeof(generated)) != 0)
			return find_conversation_fail(field, field_size, "id", problem, problem_size,
				"could not be generated; send one");
		out->id_generated = 1;
	} else if (!(json_object_is_type(id, json_type_string) || json_object_is_type(id, json_type_int))) {
		return find_conversation_fail(field, field_size, "id", problem, problem_size, "must be a string");
	}
	const char *id_text = out->id_generated ? generated : json_object_get_string(id);
	size_t id_length = strlen(id_text);
	if (id_length == 0 || id_length > FIND_PROMPT_ID_MAX)
		return find_conversation_fail(field, field_size, "id", problem, problem_size, "must be 1 to 191 bytes");
	for (size_t i = 0; i < id_length; i++)
		if ((unsigned char)id_text[i] < 0x20 || id_text[i] == 0x7f)
			return find_conversation_fail(field, field_size, "id", problem, problem_size,
				"must not contain control characters");
	if (!validate_path_segment_reachable(id_text))
		return find_conversation_fail(field, field_size, "id", problem, problem_size,
			"must not be \".\" or \"..\": no URL can name it, so the prompt could not be read or deleted by id");
	memcpy(out->id, id_text, id_length + 1);

	if (find_prompt_string(entity, "prompt", FIND_PROMPT_TEXT_MAX, 1, &out->prompt, field, field_size, problem,
		    problem_size) != 0 ||
		find_prompt_string(entity, "title", 500, 0, &out->title, field, field_size, problem, problem_size) != 0 ||
		find_prompt_string(entity, "description", FIND_PROMPT_TEXT_MAX, 0, &out->description, field, field_size,
			problem, problem_size) != 0 ||
		find_prompt_string(entity, "canned_response", FIND_PROMPT_CANNED_MAX, 0, &out->canned_response, field,
			field_size, problem, problem_size) != 0 ||
		find_prompt_string(entity, "response_format", 32, 0, &out->response_format, field, field_size, problem,
			problem_size) != 0 ||
		find_prompt_string(entity, "override_mode", 32, 0, &out->override_mode, field, field_size, problem,
			problem_size) != 0 ||
		find_prompt_string(entity, "status", 32, 0, &out->status, field, field_size, problem, problem_size) != 0)
		return -1;
	if (out->override_mode[0] && strcmp(out->override_mode, "override") != 0 &&
		strcmp(out->override_mode, "fallback") != 0)
		return find_conversation_fail(field, field_size, "override_mode", problem, problem_size,
			"must be override or fallback");
	if (out->status[0] == '\0')
		out->status = "active";
	json_object *priority = NULL;
	if (json_object_object_get_ex(entity, "priority", &priority) && priority != NULL) {
		if (!json_object_is_type(priority, json_type_int) || json_object_get_int64(priority) < -1000000 ||
			json_object_get_int64(priority) > 1000000)
			return find_conversation_fail(field, field_size, "priority", problem, problem_size,
				"must be an integer from -1000000 to 1000000");
		out->priority = json_object_get_int64(priority);
	}
	if (find_prompt_time(entity, "active_from", TIMESTAMP_OR_DATE, out->active_from, field, field_size,
		    problem, problem_size) != 0 ||
		find_prompt_time(entity, "active_to", TIMESTAMP_OR_DATE_END, out->active_to, field, field_size, problem,
			problem_size) != 0)
		return -1;
	if (find_prompt_list(entity, "tags", &out->tags_text, field, field_size, problem, problem_size) != 0 ||
		find_prompt_list(entity, "categories", &out->categories_text, field, field_size, problem, problem_size) !=
			0 ||
		find_prompt_list(entity, "post_ids", NULL, field, field_size, problem, problem_size) != 0 ||
		find_prompt_list(entity, "product_ids", NULL, field, field_size, problem, problem_size) != 0 ||
		find_prompt_list(entity, "follow_up_ids", NULL, field, field_size, problem, problem_size) != 0) {
		find_prompt_release(out);
		return -1;
	}
	if (!out->tags_text)
		out->tags_text = xstrdup("");
	if (!out->categories_text)
		out->categories_text = xstrdup("");
	size_t document_length = 0;
	json_object_to_json_string_length(entity, JSON_C_TO_STRING_PLAIN, &document_length);
	if (document_length > FIND_PROMPT_DOCUMENT_MAX) {
		find_prompt_release(out);
		snprintf(field, field_size, "body");
		snprintf(problem, problem_size, "a prompt document is at most %d bytes", FIND_PROMPT_DOCUMENT_MAX);
		return -1;
	}
	return 0;
}

void find_prompt_release(struct find_prompt_fields *fields)
{
	free(fields->tags_text);
	free(fields->categories_text);
	fields->tags_text = fields->categories_text = NULL;
}

/* ---------------------------------------------------------------- filters */

static const char *const find_filter_facet_names[FIND_FILTER__FACETS] = {"categories", "brands", "tags"};

static int find_filter_terms(json_object *value, json_object **out, char *problem, size_t problem_size,
	const char *name)
{
	json_object *terms = json_object_new_array();
	size_t count = json_object_is_type(value, json_type_array) ? json_object_array_length(value) : 1;
	if (!json_object_is_type(value, json_type_array) && !json_object_is_type(value, json_type_string))
		goto bad;
	if (count > FIND_FILTER_TERMS_MAX)
		goto bad;
	for (size_t i = 0; i < count; i++) {
		json_object *item = json_object_is_type(value, json_type_array) ? json_object_array_get_idx(value, i) : value;
		if (!json_object_is_type(item, json_type_string))
			goto bad;
		size_t length = (size_t)json_object_get_string_len(item);
		if (length == 0 || length > FIND_FILTER_TERM_MAX || strlen(json_object_get_string(item)) != length)
			goto bad;
		json_object_array_add(terms, json_object_new_string(json_object_get_string(item)));
	}
	if (count == 0) { /* an empty list filters nothing */
		json_object_put(terms);
		terms = NULL;
	}
	json_object_put(*out);
	*out = terms;
	return 0;
bad:
	json_object_put(terms);
	snprintf(problem, problem_size, "%s: a string or up to %d strings of 1 to %d bytes", name,
		FIND_FILTER_TERMS_MAX, FIND_FILTER_TERM_MAX);
	return -1;
}

static int find_filter_price(json_object *value, double *out, char *problem, size_t problem_size, const char *name)
{
	if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
		goto bad;
	double price = json_object_get_double(value);
	if (!isfinite(price) || price < 0 || price > 1e12)
		goto bad;
	*out = price;
	return 0;
bad:
	snprintf(problem, problem_size, "%s: a number from 0 to 1e12", name);
	return -1;
}

int find_filter_parse(json_object *value, int for_products, struct find_filter *out, char *problem,
	size_t problem_size)
{
	memset(out, 0, sizeof(*out));
	out->on_sale = -1;
	if (value == NULL)
		return 0;
	if (!json_object_is_type(value, json_type_object)) {
		snprintf(problem, problem_size, "must be an object");
		return -1;
	}
	json_object_object_foreach(value, key, member)
	{
		int done = 0, result = 0;
		for (int facet = 0; facet < FIND_FILTER__FACETS && !done; facet++) {
			if (strcmp(key, find_filter_facet_names[facet]) != 0 || (!for_products && facet == FIND_FILTER_BRANDS))
				continue;
			done = 1;
			if (member != NULL)
				result = find_filter_terms(member, &out->terms[facet], problem, problem_size, key);
		}
		if (!done && for_products && member != NULL) {
			/* min_price / max_price: the names product search and recommendations use. */
			if (!strcmp(key, "priceMin") || !strcmp(key, "minPrice") || !strcmp(key, "price_min") ||
				!strcmp(key, "min_price")) {
				done = 1, out->has_price_min = 1;
				result = find_filter_price(member, &out->price_min, problem, problem_size, key);
			} else if (!strcmp(key, "priceMax") || !strcmp(key, "maxPrice") || !strcmp(key, "price_max") ||
				!strcmp(key, "max_price")) {
				done = 1, out->has_price_max = 1;
				result = find_filter_price(member, &out->price_max, problem, problem_size, key);
			} else if (!strcmp(key, "price") && json_object_is_type(member, json_type_object)) {
				done = 1;
				json_object *bound = NULL;
				if (result == 0 && json_object_object_get_ex(member, "min", &bound) && bound != NULL) {
					out->has_price_min = 1;
					result = find_filter_price(bound, &out->price_min, problem, problem_size, "price.min");
				}
				if (result == 0 && json_object_object_get_ex(member, "max", &bound) && bound != NULL) {
					out->has_price_max = 1;
					result = find_filter_price(bound, &out->price_max, problem, problem_size, "price.max");
				}
			} else if (!strcmp(key, "onSale") || !strcmp(key, "on_sale")) {
				done = 1;
				if (!json_object_is_type(member, json_type_boolean)) {
					snprintf(problem, problem_size, "%s: true or false", key);
					result = -1;
				} else {
					out->on_sale = json_object_get_boolean(member) ? 1 : 0;
				}
			} else if (!strcmp(key, "stockStatus") || !strcmp(key, "stock_status")) {
				done = 1;
				if (!json_object_is_type(member, json_type_string) || json_object_get_string_len(member) == 0 ||
					json_object_get_string_len(member) >= (int)sizeof(out->stock_status)) {
					snprintf(problem, problem_size, "%s: a string of 1 to %zu bytes", key,
						sizeof(out->stock_status) - 1);
					result = -1;
				} else {
					snprintf(out->stock_status, sizeof(out->stock_status), "%s", json_object_get_string(member));
				}
			}
		}
		if (!done && member == NULL && for_products) { /* null = no condition */
			static const char *const nullable[] = {"priceMin", "minPrice", "price_min", "min_price", "priceMax",
				"maxPrice", "price_max", "max_price", "price", "onSale", "on_sale", "stockStatus", "stock_status", NULL};
			for (size_t i = 0; nullable[i] && !done; i++)
				done = strcmp(key, nullable[i]) == 0;
		}
		if (!done) {
			snprintf(problem, problem_size, "%.60s: not a known filter (%s)", key,
				for_products ? "categories, brands, tags, priceMin, priceMax, price{min,max}, onSale, stockStatus"
					     : "categories, tags");
			result = -1;
		}
		if (result != 0) {
			find_filter_release(out);
			return -1;
		}
	}
	if (out->has_price_min && out->has_price_max && out->price_min > out->price_max) {
		snprintf(problem, problem_size, "priceMin must not exceed priceMax");
		find_filter_release(out);
		return -1;
	}
	return 0;
}

void find_filter_release(struct find_filter *filter)
{
	for (int facet = 0; facet < FIND_FILTER__FACETS; facet++) {
		json_object_put(filter->terms[facet]);
		filter->terms[facet] = NULL;
	}
}

const char *find_filter_terms_json(const struct find_filter *filter, enum find_filter_facet facet)
{
	if (filter->terms[facet] == NULL)
		return NULL;
	return json_object_to_json_string_ext(filter->terms[facet], JSON_C_TO_STRING_PLAIN);
}

/* ---------------------------------------------------------------- text, CSV */

void find_text_init(struct find_text *text, size_t max_bytes)
{
	memset(text, 0, sizeof(*text));
	text->max_bytes = max_bytes;
	text->capacity = 256;
	text->data = xmalloc(text->capacity);
	text->data[0] = '\0';
}

int find_text_append(struct find_text *text, const char *data, size_t length)
{
	if (text->overflowed || text->length + length > text->max_bytes) {
		text->overflowed = 1;
		return -1;
	}
	if (text->length + length + 1 > text->capacity) {
		while (text->length + length + 1 > text->capacity)
			text->capacity *= 2;
		text->data = xrealloc(text->data, text->capacity);
	}
	memcpy(text->data + text->length, data, length);
	text->length += length;
	text->data[text->length] = '\0';
	return 0;
}

void find_text_release(struct find_text *text)
{
	free(text->data);
	memset(text, 0, sizeof(*text));
}

int find_csv_field(struct find_text *text, const char *value)
{
	if (value == NULL)
		value = "";
	size_t length = strlen(value);
	/* OWASP's list: a leading = + - @ TAB or CR makes a spreadsheet formula. */
	int formula = length > 0 && strchr("=+-@\t\r", value[0]) != NULL;
	int quoted = strpbrk(value, ",\"\r\n\t") != NULL || (length > 0 && (value[0] == ' ' || value[length - 1] == ' '));
	int result = 0;
	if (quoted)
		result |= find_text_append(text, "\"", 1);
	if (formula)
		result |= find_text_append(text, "'", 1);
	for (const char *cursor = value; *cursor && result == 0;) {
		size_t run = strcspn(cursor, "\"");
		result |= find_text_append(text, cursor, run);
		cursor += run;
		if (*cursor == '"') {
			result |= find_text_append(text, "\"\"", 2);
			cursor++;
		}
	}
	if (quoted)
		result |= find_text_append(text, "\"", 1);
	return result ? -1 : 0;
}

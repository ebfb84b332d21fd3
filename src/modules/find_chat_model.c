/* Chat with a language model, the parts without I/O: see find_chat_model.h. */
#include "modules/find_chat_model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ constraints */

#define FIND_CHAT_TOKENS_MAX 256
#define FIND_CHAT_WORD_MAX 24

struct find_chat_token {
	size_t start, end; /* bytes of the message, for blanking */
	char word[FIND_CHAT_WORD_MAX + 1]; /* lower case, without currency signs and trailing punctuation */
	int is_number;
	double value;
	int is_range; /* "50-80" */
	double range_low, range_high;
	int removed;
};

static int find_chat_number(const char *word, double *value)
{
	if (!isdigit((unsigned char)word[0]))
		return 0;
	char *end = NULL;
	double number = strtod(word, &end);
	if (end == word || *end != '\0' || !isfinite(number) || number < 0 || number > 1e9)
		return 0;
	*value = number;
	return 1;
}

static size_t find_chat_tokenize(const char *message, struct find_chat_token *tokens, size_t max_tokens)
{
	size_t count = 0, i = 0;
	while (message[i] != '\0' && count < max_tokens) {
		while (message[i] != '\0' && isspace((unsigned char)message[i]))
			i++;
		if (message[i] == '\0')
			break;
		struct find_chat_token *token = &tokens[count];
		memset(token, 0, sizeof(*token));
		token->start = i;
		while (message[i] != '\0' && !isspace((unsigned char)message[i]))
			i++;
		token->end = i;
		/* "$120," → "120"; "€" is two bytes, "£" two: skipped as any non-ASCII prefix. */
		size_t from = token->start, to = token->end;
		while (from < to && (message[from] == '$' || (unsigned char)message[from] >= 0x80 || message[from] == '('))
			from++;
		while (to > from && strchr(",.!?;:)\"'", message[to - 1]) != NULL)
			to--;
		while (to > from && (unsigned char)message[to - 1] >= 0x80) /* "120€" */
			to--;
		size_t length = to - from < FIND_CHAT_WORD_MAX ? to - from : FIND_CHAT_WORD_MAX;
		for (size_t k = 0; k < length; k++)
			token->word[k] = (char)tolower((unsigned char)message[from + k]);
		token->word[length] = '\0';
		if (length > 0 && token->word[length - 1] == '$')
			token->word[length - 1] = '\0';
		token->is_number = find_chat_number(token->word, &token->value);
		char *dash = strchr(token->word, '-');
		if (!token->is_number && dash != NULL) {
			*dash = '\0';
			double low, high;
			const char *right = dash + 1;
			while (*right == '$')
				right++;
			if (find_chat_number(token->word, &low) && find_chat_number(right, &high) && low <= high) {
				token->is_range = 1;
				token->range_low = low;
				token->range_high = high;
			}
			*dash = '-';
		}
		count++;
	}
	return count;
}

static int find_chat_word_is(const struct find_chat_token *tokens, size_t count, size_t at, const char *word)
{
	return at < count && strcmp(tokens[at].word, word) == 0;
}

static int find_chat_currency_word(const char *word)
{
	static const char *const words[] = {"dollar", "dollars", "usd", "bucks", "eur", "euro", "euros", "pound",
		"pounds", "gbp", NULL};
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcmp(word, words[i]) == 0)
			return 1;
	return 0;
}

/* Marks tokens [from, to) removed, and a currency word right after them. */
static void find_chat_remove(struct find_chat_token *tokens, size_t count, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < count; i++)
		tokens[i].removed = 1;
	if (to < count && find_chat_currency_word(tokens[to].word))
		tokens[to].removed = 1;
}

/* How many words of a bound phrase start at i ("under" 1, "less than" 2),
 * 0 when none; *is_max says which bound. */
static size_t find_chat_bound_phrase(const struct find_chat_token *tokens, size_t count, size_t i, int *is_max)
{
	static const char *const max_one[] = {"under", "below", "beneath", "max", "maximum", "cheaper", NULL};
	static const char *const min_one[] = {"over", "above", "min", "minimum", NULL};
	static const char *const max_two[][2] = {{"less", "than"}, {"cheaper", "than"}, {"up", "to"}, {"at", "most"},
		{"lower", "than"}, {"no", "more"}};
	static const char *const min_two[][2] = {{"more", "than"}, {"at", "least"}, {"greater", "than"},
		{"higher", "than"}, {"starting", "at"}};
	for (size_t k = 0; k < sizeof(max_two) / sizeof(max_two[0]); k++)
		if (find_chat_word_is(tokens, count, i, max_two[k][0]) && find_chat_word_is(tokens, count, i + 1, max_two[k][1])) {
			*is_max = 1;
			/* "no more than" */
			return strcmp(max_two[k][0], "no") == 0 && find_chat_word_is(tokens, count, i + 2, "than") ? 3 : 2;
		}
	for (size_t k = 0; k < sizeof(min_two) / sizeof(min_two[0]); k++)
		if (find_chat_word_is(tokens, count, i, min_two[k][0]) && find_chat_word_is(tokens, count, i + 1, min_two[k][1])) {
			*is_max = 0;
			return 2;
		}
	for (size_t k = 0; max_one[k] != NULL; k++)
		if (find_chat_word_is(tokens, count, i, max_one[k])) {
			*is_max = 1;
			return 1;
		}
	for (size_t k = 0; min_one[k] != NULL; k++)
		if (find_chat_word_is(tokens, count, i, min_one[k])) {
			*is_max = 0;
			return 1;
		}
	return 0;
}

int find_chat_query_constraints(const char *message, struct find_filter *filter, char *text, size_t text_size)
{
	struct find_chat_token tokens[FIND_CHAT_TOKENS_MAX];
	size_t count = find_chat_tokenize(message, tokens, FIND_CHAT_TOKENS_MAX);
	int have_min = filter->has_price_min, have_max = filter->has_price_max;
	double low = 0, high = 0;
	int set_min = 0, set_max = 0, in_stock = 0, on_sale = 0;
	for (size_t i = 0; i < count; i++) {
		int is_max = 0;
		size_t phrase;
		/* between N and M, from N to M */
		if ((find_chat_word_is(tokens, count, i, "between") || find_chat_word_is(tokens, count, i, "from")) &&
			i + 3 < count && tokens[i + 1].is_number && tokens[i + 3].is_number &&
			(find_chat_word_is(tokens, count, i + 2, "and") || find_chat_word_is(tokens, count, i + 2, "to")) &&
			tokens[i + 1].value <= tokens[i + 3].value) {
			low = tokens[i + 1].value, high = tokens[i + 3].value;
			set_min = set_max = 1;
			find_chat_remove(tokens, count, i, i + 4);
			i += 3;
		} else if (tokens[i].is_number && i + 2 < count && find_chat_word_is(tokens, count, i + 1, "to") &&
			tokens[i + 2].is_number && tokens[i].value <= tokens[i + 2].value) {
			low = tokens[i].value, high = tokens[i + 2].value;
			set_min = set_max = 1;
			find_chat_remove(tokens, count, i, i + 3);
			i += 2;
		} else if (tokens[i].is_range) {
			low = tokens[i].range_low, high = tokens[i].range_high;
			set_min = set_max = 1;
			find_chat_remove(tokens, count, i, i + 1);
		} else if ((phrase = find_chat_bound_phrase(tokens, count, i, &is_max)) > 0 && i + phrase < count &&
			tokens[i + phrase].is_number) {
			if (is_max)
				high = tokens[i + phrase].value, set_max = 1;
			else
				low = tokens[i + phrase].value, set_min = 1;
			find_chat_remove(tokens, count, i, i + phrase + 1);
			i += phrase;
		} else if ((find_chat_word_is(tokens, count, i, "in") && find_chat_word_is(tokens, count, i + 1, "stock")) ||
			find_chat_word_is(tokens, count, i, "in-stock")) {
			in_stock = 1;
			find_chat_remove(tokens, count, i, strcmp(tokens[i].word, "in") == 0 ? i + 2 : i + 1);
		} else if ((find_chat_word_is(tokens, count, i, "on") && find_chat_word_is(tokens, count, i + 1, "sale")) ||
			find_chat_word_is(tokens, count, i, "discounted")) {
			on_sale = 1;
			find_chat_remove(tokens, count, i, strcmp(tokens[i].word, "on") == 0 ? i + 2 : i + 1);
		}
	}
	int constraints = 0;
	if (set_min && !have_min) {
		filter->has_price_min = 1, filter->price_min = low;
		constraints++;
	}
	if (set_max && !have_max) {
		filter->has_price_max = 1, filter->price_max = high;
		constraints++;
	}
	if (in_stock && filter->stock_status[0] == '\0') {
		snprintf(filter->stock_status, sizeof(filter->stock_status), "instock");
		constraints++;
	}
	if (on_sale && filter->on_sale < 0) {
		filter->on_sale = 1;
		constraints++;
	}
	if (text_size == 0)
		return constraints;
	size_t length = strlen(message) < text_size - 1 ? strlen(message) : text_size - 1;
	memcpy(text, message, length);
	text[length] = '\0';
	for (size_t i = 0; i < count; i++)
		if (tokens[i].removed)
			for (size_t k = tokens[i].start; k < tokens[i].end && k < length; k++)
				text[k] = ' ';
	return constraints;
}

/* ------------------------------------------------------------------ tools */

static json_object *find_chat_schema_terms(const char *description)
{
	json_object *terms = json_object_new_object();
	json_object_object_add(terms, "type", json_object_new_string("array"));
	json_object *items = json_object_new_object();
	json_object_object_add(items, "type", json_object_new_string("string"));
	json_object_object_add(items, "maxLength", json_object_new_int(FIND_CHAT_TOOL_TERM_MAX));
	json_object_object_add(terms, "items", items);
	json_object_object_add(terms, "maxItems", json_object_new_int(FIND_CHAT_TOOL_TERMS_MAX));
	json_object_object_add(terms, "description", json_object_new_string(description));
	return terms;
}

static json_object *find_chat_schema_simple(const char *type, const char *description)
{
	json_object *member = json_object_new_object();
	json_object_object_add(member, "type", json_object_new_string(type));
	if (strcmp(type, "number") == 0)
		json_object_object_add(member, "minimum", json_object_new_int(0));
	if (strcmp(type, "string") == 0)
		json_object_object_add(member, "maxLength", json_object_new_int(FIND_CHAT_TOOL_TEXT_MAX));
	json_object_object_add(member, "description", json_object_new_string(description));
	return member;
}

static json_object *find_chat_tool_json(const char *name, const char *description, json_object *properties)
{
	json_object *parameters = json_object_new_object();
	json_object_object_add(parameters, "type", json_object_new_string("object"));
	json_object_object_add(parameters, "properties", properties);
	json_object_object_add(parameters, "additionalProperties", json_object_new_boolean(0));
	json_object *function = json_object_new_object();
	json_object_object_add(function, "name", json_object_new_string(name));
	json_object_object_add(function, "description", json_object_new_string(description));
	json_object_object_add(function, "parameters", parameters);
	json_object *tool = json_object_new_object();
	json_object_object_add(tool, "type", json_object_new_string("function"));
	json_object_object_add(tool, "function", function);
	return tool;
}

json_object *find_chat_tools_json(void)
{
	json_object *products = json_object_new_object();
	json_object_object_add(products, "text", find_chat_schema_simple("string", "Words to look for"));
	json_object_object_add(products, "min_price", find_chat_schema_simple("number", "Lowest price"));
	json_object_object_add(products, "max_price", find_chat_schema_simple("number", "Highest price"));
	json_object_object_add(products, "categories", find_chat_schema_terms("Any of these categories"));
	json_object_object_add(products, "brands", find_chat_schema_terms("Any of these brands"));
	json_object_object_add(products, "in_stock", find_chat_schema_simple("boolean", "Only products in stock"));
	json_object_object_add(products, "on_sale", find_chat_schema_simple("boolean", "Only products on sale"));
	json_object *posts = json_object_new_object();
	json_object_object_add(posts, "text", find_chat_schema_simple("string", "Words to look for"));
	json_object_object_add(posts, "categories", find_chat_schema_terms("Any of these categories"));
	json_object *tools = json_object_new_array();
	json_object_array_add(tools, find_chat_tool_json("search_products",
		"Search the shop's products. Returns up to 3 products as JSON data.", products));
	json_object_array_add(tools, find_chat_tool_json("search_posts",
		"Search the shop's articles and pages. Returns up to 2 posts as JSON data.", posts));
	return tools;
}

static int find_chat_tool_problem(char *problem, size_t problem_size, const char *field, const char *what)
{
	snprintf(problem, problem_size, "%s %s", field, what);
	return -1;
}

static int find_chat_tool_terms(json_object *value, const char *field, struct find_filter *filter,
	enum find_filter_facet facet, char *problem, size_t problem_size)
{
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > FIND_CHAT_TOOL_TERMS_MAX)
		return find_chat_tool_problem(problem, problem_size, field, "must be an array of at most 10 strings");
	json_object *terms = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *term = json_object_array_get_idx(value, i);
		if (!json_object_is_type(term, json_type_string) || json_object_get_string_len(term) == 0 ||
			json_object_get_string_len(term) > FIND_CHAT_TOOL_TERM_MAX) {
			json_object_put(terms);
			return find_chat_tool_problem(problem, problem_size, field, "items must be strings of 1 to 100 bytes");
		}
		json_object_array_add(terms, json_object_new_string(json_object_get_string(term)));
	}
	if (json_object_array_length(terms) == 0) {
		json_object_put(terms);
		return 0;
	}
	json_object_put(filter->terms[facet]);
	filter->terms[facet] = terms;
	return 0;
}

static int find_chat_tool_price(json_object *value, const char *field, double *out, char *problem,
	size_t problem_size)
{
	if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
		return find_chat_tool_problem(problem, problem_size, field, "must be a number");
	double number = json_object_get_double(value);
	if (!isfinite(number) || number < 0 || number > 1e9)
		return find_chat_tool_problem(problem, problem_size, field, "must be from 0 to 1e9");
	*out = number;
	return 0;
}

int find_chat_tool_parse(const char *name, const char *arguments, struct find_chat_tool_query *query, char *problem,
	size_t problem_size)
{
	memset(query, 0, sizeof(*query));
	query->filter.on_sale = -1;
	if (strcmp(name, "search_products") == 0)
		query->tool = FIND_CHAT_TOOL_PRODUCTS;
	else if (strcmp(name, "search_posts") == 0)
		query->tool = FIND_CHAT_TOOL_POSTS;
	else
		return find_chat_tool_problem(problem, problem_size, "tool", "is not search_products or search_posts");
	/* Some models send "" for a call without arguments. */
	json_object *object = arguments[0] == '\0' ? json_object_new_object() : json_tokener_parse(arguments);
	if (object == NULL || !json_object_is_type(object, json_type_object)) {
		json_object_put(object);
		return find_chat_tool_problem(problem, problem_size, "arguments", "must be a JSON object");
	}
	int products = query->tool == FIND_CHAT_TOOL_PRODUCTS, result = 0;
	json_object_object_foreach(object, key, value)
	{
		if (result != 0)
			break;
		if (value == NULL)
			continue; /* null: not given */
		if (strcmp(key, "text") == 0) {
			if (!json_object_is_type(value, json_type_string) ||
				json_object_get_string_len(value) > FIND_CHAT_TOOL_TEXT_MAX ||
				strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value))
				result = find_chat_tool_problem(problem, problem_size, "text", "must be a string of at most 200 bytes");
			else
				snprintf(query->text, sizeof(query->text), "%s", json_object_get_string(value));
		} else if (strcmp(key, "categories") == 0) {
			result = find_chat_tool_terms(value, key, &query->filter, FIND_FILTER_CATEGORIES, problem, problem_size);
		} else if (products && strcmp(key, "brands") == 0) {
			result = find_chat_tool_terms(value, key, &query->filter, FIND_FILTER_BRANDS, problem, problem_size);
		} else if (products && strcmp(key, "min_price") == 0) {
			result = find_chat_tool_price(value, key, &query->filter.price_min, problem, problem_size);
			query->filter.has_price_min = result == 0;
		} else if (products && strcmp(key, "max_price") == 0) {
			result = find_chat_tool_price(value, key, &query->filter.price_max, problem, problem_size);
			query->filter.has_price_max = result == 0;
		} else if (products && (strcmp(key, "in_stock") == 0 || strcmp(key, "on_sale") == 0)) {
			if (!json_object_is_type(value, json_type_boolean))
				result = find_chat_tool_problem(problem, problem_size, key, "must be true or false");
			else if (strcmp(key, "on_sale") == 0)
				query->filter.on_sale = json_object_get_boolean(value) ? 1 : -1;
			else if (json_object_get_boolean(value))
				snprintf(query->filter.stock_status, sizeof(query->filter.stock_status), "instock");
		} else {
			char field[80];
			snprintf(field, sizeof(field), "%.60s", key);
			result = find_chat_tool_problem(problem, problem_size, field, "is not a parameter of this tool");
		}
	}
	if (result == 0 && query->filter.has_price_min && query->filter.has_price_max &&
		query->filter.price_min > query->filter.price_max)
		result = find_chat_tool_problem(problem, problem_size, "min_price", "must not exceed max_price");
	json_object_put(object);
	if (result != 0) {
		find_filter_release(&query->filter);
		memset(query, 0, sizeof(*query));
		query->filter.on_sale = -1;
	}
	return result;
}

/* -------------------------------------------------------------- citations */

static const char *const find_chat_cite_prefixes[] = {"[[product:", "[[post:"};

void find_chat_cites_init(struct find_chat_cites *cites)
{
	memset(cites, 0, sizeof(*cites));
	cites->products = json_object_new_array();
	cites->posts = json_object_new_array();
}

void find_chat_cites_release(struct find_chat_cites *cites)
{
	json_object_put(cites->products);
	json_object_put(cites->posts);
	memset(cites, 0, sizeof(*cites));
}

/* 1: held text may still become a marker; 2: it is a complete marker; 0: it cannot be one. */
static int find_chat_cite_state(const struct find_chat_cites *cites, int *kind, size_t *id_start)
{
	for (int k = 0; k < 2; k++) {
		const char *prefix = find_chat_cite_prefixes[k];
		size_t prefix_length = strlen(prefix);
		size_t compare = cites->held_length < prefix_length ? cites->held_length : prefix_length;
		if (memcmp(cites->held, prefix, compare) != 0)
			continue;
		if (cites->held_length <= prefix_length)
			return 1;
		/* the id: up to 191 bytes without brackets or whitespace, then "]]" */
		for (size_t i = prefix_length; i < cites->held_length; i++) {
			char c = cites->held[i];
			if (c == ']') {
				if (i == prefix_length)
					return 0;
				if (i + 1 == cites->held_length)
					return 1;
				if (cites->held[i + 1] == ']' && i + 2 == cites->held_length) {
					*kind = k;
					*id_start = prefix_length;
					return 2;
				}
				return 0;
			}
			if (c == '[' || isspace((unsigned char)c) || i - prefix_length >= 191)
				return 0;
		}
		return 1;
	}
	return 0;
}

static void find_chat_cite_record(struct find_chat_cites *cites, int kind, const char *id, size_t length)
{
	json_object *list = kind == 0 ? cites->products : cites->posts;
	if (json_object_array_length(list) >= FIND_CHAT_CITES_MAX)
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *seen = json_object_array_get_idx(list, i);
		if ((size_t)json_object_get_string_len(seen) == length && memcmp(json_object_get_string(seen), id, length) == 0)
			return;
	}
	json_object_array_add(list, json_object_new_string_len(id, (int)length));
}

size_t find_chat_cites_feed(struct find_chat_cites *cites, const char *text, size_t length, char *out,
	size_t out_size)
{
	size_t written = 0;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if (cites->held_length == 0 && c != '[') {
			if (written + 1 < out_size)
				out[written++] = c;
			continue;
		}
		cites->held[cites->held_length++] = c;
		int kind = 0;
		size_t id_start = 0;
		int state = find_chat_cite_state(cites, &kind, &id_start);
		if (state == 2) {
			find_chat_cite_record(cites, kind, cites->held + id_start, cites->held_length - id_start - 2);
			cites->held_length = 0;
		} else if (state == 0 || cites->held_length >= FIND_CHAT_CITE_HOLD_MAX) {
			/* Not a marker: give it back as text, but a "[" that ended it may start one. */
			int restart = cites->held_length > 1 && c == '[';
			size_t give = cites->held_length - (restart ? 1 : 0);
			for (size_t k = 0; k < give && written + 1 < out_size; k++)
				out[written++] = cites->held[k];
			cites->held_length = 0;
			if (restart)
				cites->held[cites->held_length++] = '[';
		}
	}
	if (out_size > 0)
		out[written < out_size ? written : out_size - 1] = '\0';
	return written;
}

size_t find_chat_cites_finish(struct find_chat_cites *cites, char *out, size_t out_size)
{
	size_t written = 0;
	for (size_t k = 0; k < cites->held_length && written + 1 < out_size; k++)
		out[written++] = cites->held[k];
	cites->held_length = 0;
	if (out_size > 0)
		out[written] = '\0';
	return written;
}

json_object *find_chat_cards_select(json_object *cited_ids, json_object *returned_ids,
	json_object *returned_documents, size_t fallback_count, size_t *dropped)
{
	json_object *cards = json_object_new_array();
	*dropped = 0;
	size_t cited = cited_ids ? json_object_array_length(cited_ids) : 0;
	size_t returned = json_object_array_length(returned_ids);
	if (cited == 0) {
		for (size_t i = 0; i < returned && i < fallback_count; i++)
			json_object_array_add(cards, json_object_get(json_object_array_get_idx(returned_documents, i)));
		return cards;
	}
	for (size_t c = 0; c < cited; c++) {
		const char *id = json_object_get_string(json_object_array_get_idx(cited_ids, c));
		size_t found = returned;
		for (size_t r = 0; r < returned && found == returned; r++)
			if (strcmp(id, json_object_get_string(json_object_array_get_idx(returned_ids, r))) == 0)
				found = r;
		if (found == returned)
			(*dropped)++;
		else
			json_object_array_add(cards, json_object_get(json_object_array_get_idx(returned_documents, found)));
	}
	return cards;
}

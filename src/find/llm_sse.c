/* Server-sent events and the OpenAI-compatible completion stream. A stream
 * is untrusted input: lines, events, text and tool arguments are capped,
 * and a chunk that is not the expected JSON is skipped, not believed. */
#include "find/llm_sse.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

void llm_sse_init(struct llm_sse *sse)
{
	sse->line_length = 0;
	sse->after_cr = 0;
	sse->data_length = 0;
	sse->has_data = 0;
	sse->failed = 0;
	sse->data[0] = '\0';
}

/* One complete line: a field to keep, a comment, or the blank line that
 * ends an event. Only "data" matters to a completion stream. */
static int llm_sse_line(struct llm_sse *sse, llm_sse_event_fn on_event, void *user)
{
	const char *line = sse->line;
	size_t length = sse->line_length;
	sse->line_length = 0;
	if (length == 0) {
		if (!sse->has_data)
			return 0;
		sse->data[sse->data_length] = '\0';
		size_t data_length = sse->data_length;
		sse->data_length = 0;
		sse->has_data = 0;
		return on_event(user, sse->data, data_length);
	}
	if (line[0] == ':')
		return 0;
	if (length < 4 || memcmp(line, "data", 4) != 0 || (length > 4 && line[4] != ':'))
		return 0; /* event, id, retry: nothing a completion needs */
	size_t start = length > 4 ? 5 : 4;
	if (start < length && line[start] == ' ')
		start++;
	size_t piece = length - start;
	size_t needed = piece + (sse->has_data ? 1 : 0);
	if (sse->data_length + needed > LLM_SSE_EVENT_MAX)
		return -1;
	if (sse->has_data)
		sse->data[sse->data_length++] = '\n';
	memcpy(sse->data + sse->data_length, line + start, piece);
	sse->data_length += piece;
	sse->has_data = 1;
	return 0;
}

int llm_sse_feed(struct llm_sse *sse, const char *bytes, size_t length, llm_sse_event_fn on_event, void *user)
{
	if (sse->failed)
		return -1;
	for (size_t i = 0; i < length; i++) {
		char c = bytes[i];
		if (c == '\n' && sse->after_cr) {
			sse->after_cr = 0;
			continue;
		}
		sse->after_cr = c == '\r';
		if (c == '\n' || c == '\r') {
			if (llm_sse_line(sse, on_event, user) != 0) {
				sse->failed = 1;
				return -1;
			}
			continue;
		}
		if (sse->line_length >= LLM_SSE_LINE_MAX) {
			sse->failed = 1;
			return -1;
		}
		sse->line[sse->line_length++] = c;
	}
	return 0;
}

void llm_completion_init(struct llm_completion *completion, llm_text_fn on_text, void *user)
{
	memset(completion, 0, sizeof(*completion));
	completion->on_text = on_text;
	completion->user = user;
	completion->prompt_tokens = completion->completion_tokens = -1;
}

static void llm_completion_copy(char *out, size_t out_size, json_object *value)
{
	if (value != NULL && json_object_is_type(value, json_type_string))
		snprintf(out, out_size, "%s", json_object_get_string(value));
}

/* One fragment of a tool call: the first names it, the rest add arguments. */
static void llm_completion_tool_delta(struct llm_completion *completion, json_object *delta)
{
	json_object *index_value = NULL, *function = NULL, *member = NULL;
	int64_t index = (int64_t)completion->call_count - 1;
	if (json_object_object_get_ex(delta, "index", &index_value) && json_object_is_type(index_value, json_type_int))
		index = json_object_get_int64(index_value);
	if (index < 0 || index >= LLM_TOOL_CALLS_MAX) {
		completion->too_many_calls = 1;
		return;
	}
	/* Indexes come in order; a gap would leave an empty call behind. */
	if ((size_t)index > completion->call_count)
		return;
	if ((size_t)index == completion->call_count)
		completion->call_count++;
	struct llm_tool_call *call = &completion->calls[index];
	if (json_object_object_get_ex(delta, "id", &member))
		llm_completion_copy(call->id, sizeof(call->id), member);
	if (!json_object_object_get_ex(delta, "function", &function) || !json_object_is_type(function, json_type_object))
		return;
	if (json_object_object_get_ex(function, "name", &member) && json_object_is_type(member, json_type_string) &&
		json_object_get_string_len(member) > 0)
		llm_completion_copy(call->name, sizeof(call->name), member);
	if (json_object_object_get_ex(function, "arguments", &member) && json_object_is_type(member, json_type_string)) {
		size_t piece = (size_t)json_object_get_string_len(member);
		if (call->arguments_length + piece > LLM_TOOL_ARGUMENTS_MAX) {
			call->too_long = 1;
			return;
		}
		memcpy(call->arguments + call->arguments_length, json_object_get_string(member), piece);
		call->arguments_length += piece;
		call->arguments[call->arguments_length] = '\0';
	}
}

static int llm_completion_text(struct llm_completion *completion, const char *text, size_t length)
{
	if (length == 0)
		return 0;
	size_t room = LLM_TEXT_MAX - completion->text_length;
	size_t kept = length < room ? length : room;
	memcpy(completion->text + completion->text_length, text, kept);
	completion->text_length += kept;
	completion->text[completion->text_length] = '\0';
	if (completion->on_text != NULL && completion->on_text(completion->user, text, length) != 0) {
		completion->stopped = 1;
		return -1;
	}
	return 0;
}

int llm_completion_event(void *user, const char *data, size_t length)
{
	struct llm_completion *completion = user;
	if (length == 6 && memcmp(data, "[DONE]", 6) == 0) {
		completion->done = 1;
		return 0;
	}
	json_tokener *tokener = json_tokener_new_ex(16);
	if (tokener == NULL)
		return -1;
	json_object *chunk = json_tokener_parse_ex(tokener, data, (int)length);
	json_tokener_free(tokener);
	if (chunk == NULL || !json_object_is_type(chunk, json_type_object)) {
		json_object_put(chunk);
		return 0; /* not a completion chunk: skipped */
	}
	int result = 0;
	json_object *error = NULL, *usage = NULL, *choices = NULL;
	if (json_object_object_get_ex(chunk, "error", &error) && error != NULL) {
		json_object *message = NULL;
		if (json_object_is_type(error, json_type_object) && json_object_object_get_ex(error, "message", &message))
			llm_completion_copy(completion->error, sizeof(completion->error), message);
		if (completion->error[0] == '\0')
			snprintf(completion->error, sizeof(completion->error), "the provider reported an error");
	}
	if (json_object_object_get_ex(chunk, "usage", &usage) && json_object_is_type(usage, json_type_object)) {
		json_object *number = NULL;
		if (json_object_object_get_ex(usage, "prompt_tokens", &number) && json_object_is_type(number, json_type_int))
			completion->prompt_tokens = json_object_get_int64(number);
		if (json_object_object_get_ex(usage, "completion_tokens", &number) &&
			json_object_is_type(number, json_type_int))
			completion->completion_tokens = json_object_get_int64(number);
	}
	if (json_object_object_get_ex(chunk, "choices", &choices) && json_object_is_type(choices, json_type_array) &&
		json_object_array_length(choices) > 0) {
		json_object *choice = json_object_array_get_idx(choices, 0), *delta = NULL, *member = NULL;
		if (json_object_is_type(choice, json_type_object)) {
			if (json_object_object_get_ex(choice, "finish_reason", &member))
				llm_completion_copy(completion->finish_reason, sizeof(completion->finish_reason), member);
			if (json_object_object_get_ex(choice, "delta", &delta) && json_object_is_type(delta, json_type_object)) {
				json_object *calls = NULL;
				if (json_object_object_get_ex(delta, "tool_calls", &calls) &&
					json_object_is_type(calls, json_type_array)) {
					for (size_t i = 0; i < json_object_array_length(calls); i++) {
						json_object *call = json_object_array_get_idx(calls, i);
						if (json_object_is_type(call, json_type_object))
							llm_completion_tool_delta(completion, call);
					}
				}
				if (json_object_object_get_ex(delta, "content", &member) &&
					json_object_is_type(member, json_type_string))
					result = llm_completion_text(completion, json_object_get_string(member),
						(size_t)json_object_get_string_len(member));
			}
		}
	}
	json_object_put(chunk);
	return result;
}

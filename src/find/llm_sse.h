/* The language model's streamed answer without I/O: server-sent events cut
 * into lines and events (llm_sse), and the events of an OpenAI-compatible
 * /chat/completions stream gathered into one completion (llm_completion):
 * text deltas handed on as they come, tool calls assembled from their
 * fragments, the finish reason and the token usage. Every piece is bounded:
 * a provider cannot make a worker hold more than these caps. */
#ifndef INTUKA_FIND_LLM_SSE_H
#define INTUKA_FIND_LLM_SSE_H

#include <stddef.h>
#include <stdint.h>

#define LLM_SSE_LINE_MAX 65536  /* bytes of one line; a longer one fails the stream */
#define LLM_SSE_EVENT_MAX 65536 /* bytes of one event's data */

/* Called once per complete event with its data lines joined by "\n"
 * (NUL-terminated). Returns 0 to go on, -1 to stop the stream. */
typedef int (*llm_sse_event_fn)(void *user, const char *data, size_t length);

struct llm_sse {
	char line[LLM_SSE_LINE_MAX];
	size_t line_length;
	int after_cr; /* the previous byte ended a line with CR: a following LF belongs to it */
	char data[LLM_SSE_EVENT_MAX + 1];
	size_t data_length;
	int has_data;
	int failed;
};

void llm_sse_init(struct llm_sse *sse);
/* Feeds bytes as they arrive (any cut). Returns 0, or -1 when a line or an
 * event is over its cap or the callback stopped the stream (and from then on). */
int llm_sse_feed(struct llm_sse *sse, const char *bytes, size_t length, llm_sse_event_fn on_event, void *user);

#define LLM_TOOL_CALLS_MAX 4
#define LLM_TOOL_NAME_MAX 64
#define LLM_TOOL_ID_MAX 64
#define LLM_TOOL_ARGUMENTS_MAX 4096
#define LLM_TEXT_MAX 16384 /* the answer's text kept for the thread */

struct llm_tool_call {
	char id[LLM_TOOL_ID_MAX + 1];
	char name[LLM_TOOL_NAME_MAX + 1];
	char arguments[LLM_TOOL_ARGUMENTS_MAX + 1];
	size_t arguments_length;
	int too_long; /* arguments over the cap: the call is refused, not cut */
};

/* Text as it arrives: 0 to go on, -1 to stop (the client is gone). */
typedef int (*llm_text_fn)(void *user, const char *text, size_t length);

struct llm_completion {
	llm_text_fn on_text; /* may be NULL */
	void *user;
	char text[LLM_TEXT_MAX + 1];
	size_t text_length;
	struct llm_tool_call calls[LLM_TOOL_CALLS_MAX];
	size_t call_count;
	int too_many_calls; /* calls past LLM_TOOL_CALLS_MAX were dropped */
	char finish_reason[32];
	int64_t prompt_tokens, completion_tokens; /* -1 until the provider reports them */
	int done;           /* "[DONE]" seen */
	int stopped;        /* on_text asked to stop */
	char error[256];    /* an error event's message, "" when none */
};

void llm_completion_init(struct llm_completion *completion, llm_text_fn on_text, void *user);
/* An llm_sse_event_fn: the user pointer is the completion. */
int llm_completion_event(void *completion, const char *data, size_t length);

#endif

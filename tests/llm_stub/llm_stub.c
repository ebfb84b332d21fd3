/*
 * A language-model provider for the tests: speaks the OpenAI-compatible
 * POST /v1/chat/completions (stream:true, server-sent events) and
 * POST /v1/embeddings on a loopback port, so the chat tests need no network.
 * What it answers depends on the request's model:
 *   stub-text      three text deltas, usage, [DONE]
 *   stub-slow      one delta, a pause of 1.2 s, the rest (streaming reaches the client unbuffered)
 *   stub-tools     first a search_products call (its text: the visitor's message, arguments cut in
 *                  two fragments), then, given the tool's result, an answer citing the first product
 *                  returned and an invented id, the marker cut across deltas
 *   stub-bad-tool  a search_products call with a parameter the schema lacks, then the tool's error as text
 *   stub-error     HTTP 500 with an error object
 *   stub-stall     headers and one delta, then silence for 30 s
 *   stub-recite    "Sure: " then the first system message, word by word (a model disclosing its instructions)
 * Embeddings (any model): a hashed bag of words with a few synonyms folded
 * (answer_embeddings); "embedfail" in an input is an HTTP 500, "embedstall" a 5 s pause.
 * Every request body is appended to the log file as one line, for the
 * tests to check what Intuka sent.
 *   llm-stub --port-file FILE --log FILE [--pid-file FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define STUB_REQUEST_MAX (1024 * 1024)

static const char *log_path;

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return -1;
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

static void pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

static void send_head(int fd, int status, const char *content_type)
{
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", status,
             status == 200 ? "OK" : status == 404 ? "Not Found" : "Internal Server Error", content_type);
    write_all(fd, head, strlen(head));
}

static void send_event(int fd, json_object *chunk)
{
    const char *text = json_object_to_json_string_ext(chunk, JSON_C_TO_STRING_PLAIN);
    write_all(fd, "data: ", 6);
    write_all(fd, text, strlen(text));
    write_all(fd, "\n\n", 2);
    json_object_put(chunk);
}

static json_object *chunk_with(json_object *delta, const char *finish_reason)
{
    json_object *choice = json_object_new_object();
    json_object_object_add(choice, "index", json_object_new_int(0));
    json_object_object_add(choice, "delta", delta);
    json_object_object_add(choice, "finish_reason", finish_reason ? json_object_new_string(finish_reason) : NULL);
    json_object *choices = json_object_new_array();
    json_object_array_add(choices, choice);
    json_object *chunk = json_object_new_object();
    json_object_object_add(chunk, "id", json_object_new_string("chatcmpl-stub"));
    json_object_object_add(chunk, "object", json_object_new_string("chat.completion.chunk"));
    json_object_object_add(chunk, "choices", choices);
    return chunk;
}

static void send_text(int fd, const char *text)
{
    json_object *delta = json_object_new_object();
    json_object_object_add(delta, "content", json_object_new_string(text));
    send_event(fd, chunk_with(delta, NULL));
}

static void send_end(int fd, const char *finish_reason, int prompt_tokens, int completion_tokens)
{
    send_event(fd, chunk_with(json_object_new_object(), finish_reason));
    json_object *usage = json_object_new_object();
    json_object_object_add(usage, "prompt_tokens", json_object_new_int(prompt_tokens));
    json_object_object_add(usage, "completion_tokens", json_object_new_int(completion_tokens));
    json_object_object_add(usage, "total_tokens", json_object_new_int(prompt_tokens + completion_tokens));
    json_object *chunk = json_object_new_object();
    json_object_object_add(chunk, "choices", json_object_new_array());
    json_object_object_add(chunk, "usage", usage);
    send_event(fd, chunk);
    write_all(fd, "data: [DONE]\n\n", 14);
}

/* A tool call in two fragments: the name with the first half of the
 * arguments, then the rest. */
static void send_tool_call(int fd, const char *name, const char *arguments)
{
    size_t half = strlen(arguments) / 2;
    for (int part = 0; part < 2; part++) {
        json_object *function = json_object_new_object();
        if (part == 0)
            json_object_object_add(function, "name", json_object_new_string(name));
        json_object_object_add(function, "arguments",
                               part == 0 ? json_object_new_string_len(arguments, (int)half)
                                         : json_object_new_string(arguments + half));
        json_object *call = json_object_new_object();
        json_object_object_add(call, "index", json_object_new_int(0));
        if (part == 0) {
            json_object_object_add(call, "id", json_object_new_string("call_stub_1"));
            json_object_object_add(call, "type", json_object_new_string("function"));
        }
        json_object_object_add(call, "function", function);
        json_object *calls = json_object_new_array();
        json_object_array_add(calls, call);
        json_object *delta = json_object_new_object();
        json_object_object_add(delta, "tool_calls", calls);
        send_event(fd, chunk_with(delta, NULL));
    }
    send_end(fd, "tool_calls", 40, 12);
}

/* The last message of a role, or NULL. */
static json_object *last_message(json_object *messages, const char *role)
{
    json_object *found = NULL;
    for (size_t i = 0; i < json_object_array_length(messages); i++) {
        json_object *message = json_object_array_get_idx(messages, i), *value = NULL;
        if (json_object_object_get_ex(message, "role", &value) && strcmp(json_object_get_string(value), role) == 0)
            found = message;
    }
    return found;
}

static const char *content_of(json_object *message)
{
    json_object *content = NULL;
    if (message == NULL || !json_object_object_get_ex(message, "content", &content) || content == NULL)
        return "";
    return json_object_get_string(content);
}

static void answer_chat(int fd, json_object *request)
{
    json_object *model = NULL, *messages = NULL;
    json_object_object_get_ex(request, "model", &model);
    json_object_object_get_ex(request, "messages", &messages);
    const char *name = model ? json_object_get_string(model) : "";
    if (messages == NULL || !json_object_is_type(messages, json_type_array)) {
        send_head(fd, 500, "application/json");
        write_all(fd, "{\"error\":{\"message\":\"no messages\"}}", 35);
        return;
    }
    json_object *tool_result = last_message(messages, "tool");
    if (strcmp(name, "stub-error") == 0) {
        send_head(fd, 500, "application/json");
        const char *body = "{\"error\":{\"message\":\"the stub is overloaded\",\"type\":\"server_error\"}}";
        write_all(fd, body, strlen(body));
        return;
    }
    send_head(fd, 200, "text/event-stream");
    if (strcmp(name, "stub-text") == 0) {
        send_text(fd, "Hello");
        send_text(fd, " from");
        send_text(fd, " the model.");
        send_end(fd, "stop", 30, 5);
    } else if (strcmp(name, "stub-slow") == 0) {
        send_text(fd, "First words");
        pause_ms(1200);
        send_text(fd, ", then the rest.");
        send_end(fd, "stop", 30, 6);
    } else if (strcmp(name, "stub-recite") == 0) {
        send_text(fd, "Sure: ");
        const char *instructions = content_of(json_object_array_get_idx(messages, 0));
        char word[256];
        for (const char *cursor = instructions; *cursor != '\0';) {
            size_t length = strcspn(cursor, " ");
            length += cursor[length] == ' ';
            snprintf(word, sizeof word, "%.*s", (int)(length < 255 ? length : 255), cursor);
            send_text(fd, word);
            cursor += length;
        }
        send_end(fd, "stop", 50, 90);
    } else if (strcmp(name, "stub-stall") == 0) {
        send_text(fd, "Thinking");
        pause_ms(30000);
    } else if (strcmp(name, "stub-tools") == 0 && tool_result == NULL) {
        json_object *arguments = json_object_new_object();
        json_object_object_add(arguments, "text", json_object_new_string(content_of(last_message(messages, "user"))));
        json_object_object_add(arguments, "max_price", json_object_new_int(120));
        send_tool_call(fd, "search_products", json_object_to_json_string_ext(arguments, JSON_C_TO_STRING_PLAIN));
        json_object_put(arguments);
    } else if (strcmp(name, "stub-tools") == 0) {
        json_object *result = json_tokener_parse(content_of(tool_result)), *products = NULL, *id = NULL;
        const char *first = "none";
        if (result && json_object_object_get_ex(result, "products", &products) &&
            json_object_array_length(products) > 0 &&
            json_object_object_get_ex(json_object_array_get_idx(products, 0), "id", &id))
            first = json_object_get_string(id);
        char text[512];
        snprintf(text, sizeof text, "Here is one for you: [[product:%s]]", first);
        send_text(fd, text);
        send_text(fd, " and another [[prod");
        send_text(fd, "uct:invented-999]] too.");
        json_object_put(result);
        send_end(fd, "stop", 80, 20);
    } else if (strcmp(name, "stub-bad-tool") == 0 && tool_result == NULL) {
        send_tool_call(fd, "search_products", "{\"text\":\"shoes\",\"colour\":\"red\"}");
    } else if (strcmp(name, "stub-bad-tool") == 0) {
        char text[1024];
        snprintf(text, sizeof text, "The tool said: %s", content_of(tool_result));
        send_text(fd, text);
        send_end(fd, "stop", 60, 10);
    } else {
        send_text(fd, "Unknown stub model.");
        send_end(fd, "stop", 1, 1);
    }
}

/* Deterministic vectors that mean something: a hashed bag of words
 * (STUB_DIMENSIONS buckets), stop words dropped and a few synonyms folded
 * into one concept, so "sneakers" and "footwear" are close where a text
 * search sees different words. An input holding "embedfail" makes the
 * whole call answer HTTP 500; "embedstall" makes it wait 5 s first. */
#define STUB_DIMENSIONS 256

static const struct { const char *word, *concept; } stub_concepts[] = {
    { "shoe", "footwear" },    { "shoes", "footwear" },    { "sneaker", "footwear" }, { "sneakers", "footwear" },
    { "trainer", "footwear" }, { "trainers", "footwear" }, { "boot", "footwear" },    { "boots", "footwear" },
    { "lamp", "light" },       { "lamps", "light" },       { "lantern", "light" },    { "lanterns", "light" },
    { "torch", "light" },      { "flashlight", "light" },  { "coat", "jacket" },      { "raincoat", "jacket" },
    { "parka", "jacket" },
};
static const char *const stub_stop_words[] = { "a", "an", "and", "for", "in", "of", "on", "the", "to", "with" };

static void stub_embed_text(const char *text, double *vector)
{
    char word[64];
    size_t length = 0;
    for (size_t k = 0;; k++) {
        unsigned char c = (unsigned char)text[k];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (letter && length + 1 < sizeof word) {
            word[length++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (!letter && length > 0) {
            word[length] = '\0';
            length = 0;
            const char *term = word;
            bool stop = false;
            for (size_t s = 0; s < sizeof stub_stop_words / sizeof stub_stop_words[0]; s++)
                stop = stop || strcmp(word, stub_stop_words[s]) == 0;
            for (size_t s = 0; s < sizeof stub_concepts / sizeof stub_concepts[0]; s++)
                if (strcmp(word, stub_concepts[s].word) == 0)
                    term = stub_concepts[s].concept;
            if (!stop) {
                unsigned long hash = 2166136261ul;
                for (const char *p = term; *p; p++)
                    hash = (hash ^ (unsigned char)*p) * 16777619ul;
                vector[hash % STUB_DIMENSIONS] += 1.0;
            }
        }
        if (c == '\0')
            break;
    }
}

static void answer_embeddings(int fd, json_object *request)
{
    json_object *input = NULL;
    json_object_object_get_ex(request, "input", &input);
    json_object *inputs = json_object_new_array();
    if (input && json_object_is_type(input, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(input); i++)
            json_object_array_add(inputs, json_object_get(json_object_array_get_idx(input, i)));
    } else if (input) {
        json_object_array_add(inputs, json_object_get(input));
    }
    for (size_t i = 0; i < json_object_array_length(inputs); i++) {
        const char *text = json_object_get_string(json_object_array_get_idx(inputs, i));
        if (strstr(text, "embedstall") != NULL)
            pause_ms(5000);
        if (strstr(text, "embedfail") != NULL) {
            json_object_put(inputs);
            send_head(fd, 500, "application/json");
            const char *error = "{\"error\":{\"message\":\"stub embeddings failure\",\"type\":\"server_error\"}}";
            write_all(fd, error, strlen(error));
            return;
        }
    }
    json_object *data = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(inputs); i++) {
        const char *text = json_object_get_string(json_object_array_get_idx(inputs, i));
        double vector[STUB_DIMENSIONS] = { 0 };
        stub_embed_text(text, vector);
        json_object *embedding = json_object_new_array();
        for (int k = 0; k < STUB_DIMENSIONS; k++)
            json_object_array_add(embedding, json_object_new_double(vector[k]));
        json_object *item = json_object_new_object();
        json_object_object_add(item, "object", json_object_new_string("embedding"));
        json_object_object_add(item, "index", json_object_new_int((int)i));
        json_object_object_add(item, "embedding", embedding);
        json_object_array_add(data, item);
    }
    json_object *answer = json_object_new_object();
    json_object_object_add(answer, "object", json_object_new_string("list"));
    json_object_object_add(answer, "data", data);
    json_object_put(inputs);
    send_head(fd, 200, "application/json");
    const char *text = json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN);
    write_all(fd, text, strlen(text));
    json_object_put(answer);
}

static void serve(int fd)
{
    char *request = malloc(STUB_REQUEST_MAX + 1);
    size_t length = 0;
    char *body = NULL;
    size_t content_length = 0;
    if (request == NULL)
        return;
    while (length < STUB_REQUEST_MAX) {
        ssize_t got = read(fd, request + length, STUB_REQUEST_MAX - length);
        if (got <= 0)
            break;
        length += (size_t)got;
        request[length] = '\0';
        if (body == NULL) {
            char *end = strstr(request, "\r\n\r\n");
            if (end == NULL)
                continue;
            body = end + 4;
            for (char *line = strstr(request, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n"))
                if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
                    content_length = strtoul(line + 17, NULL, 10);
        }
        if (body != NULL && (size_t)(request + length - body) >= content_length)
            break;
    }
    if (body == NULL) {
        free(request);
        return;
    }
    body[content_length < (size_t)(request + length - body) ? content_length : (size_t)(request + length - body)] = '\0';
    FILE *log = fopen(log_path, "a");
    if (log != NULL) {
        fprintf(log, "%s\n", body);
        fclose(log);
    }
    json_object *parsed = json_tokener_parse(body);
    if (strncmp(request, "POST /v1/chat/completions ", 26) == 0 && parsed != NULL)
        answer_chat(fd, parsed);
    else if (strncmp(request, "POST /v1/embeddings ", 20) == 0 && parsed != NULL)
        answer_embeddings(fd, parsed);
    else
        send_head(fd, 404, "application/json");
    json_object_put(parsed);
    free(request);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *pid_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--log") == 0)
            log_path = argv[i + 1];
        else if (strcmp(argv[i], "--pid-file") == 0)
            pid_file = argv[i + 1];
    }
    if (port_file == NULL || log_path == NULL) {
        fprintf(stderr, "usage: llm-stub --port-file FILE --log FILE [--pid-file FILE]\n");
        return 2;
    }
    signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel */
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t address_length = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &address_length) != 0) {
        perror("llm-stub: listen");
        return 1;
    }
    FILE *file = fopen(port_file, "w");
    if (file == NULL)
        return 1;
    fprintf(file, "%d\n", ntohs(address.sin_port));
    fclose(file);
    if (pid_file != NULL && (file = fopen(pid_file, "w")) != NULL) {
        fprintf(file, "%d\n", (int)getpid());
        fclose(file);
    }
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        pid_t child = fork();
        if (child == 0) {
            close(listener);
            serve(client);
            shutdown(client, SHUT_RDWR);
            close(client);
            _exit(0);
        }
        close(client);
    }
}

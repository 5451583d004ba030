// response.c — building the JSON and server-sent-event bodies of the server's answers with cJSON.
#include "serve/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/utf8.h"
#include "data/dataset.h"
#include "text/answer.h"

static char *json_print_and_delete(cJSON *root) {
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static const char *error_type(int status) {
    switch (status) {
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429:
    case 503: return "overloaded_error";
    case 504: return "timeout_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

char *response_error_json(int status, const char *message) {
    cJSON *root = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(error, "message", message);
    cJSON_AddStringToObject(error, "type", error_type(status));
    cJSON_AddNumberToObject(error, "code", status);
    return json_print_and_delete(root);
}

static const char *finish_reason(const ScreenRequest *request, const ScreenOutput *output) {
    (void)request;
    return output->truncated ? "length" : "stop";
}

void response_apply_stop(const ScreenRequest *request, ScreenOutput *outputs) {
    for (int i = 0; i < request->choices; i++) {
        char *text = outputs[i].text, *cut = NULL;
        for (int k = 0; text && k < request->stop_count; k++) {
            char *at = strstr(text, request->stop[k]);
            if (at && (!cut || at < cut)) cut = at;
        }
        if (!cut) continue;
        *cut = 0;
        outputs[i].truncated = 0;
        outputs[i].answer = answer_parse(text);
    }
}

static void add_usage(cJSON *parent, const ResponseContext *context, const ScreenRequest *request,
                      const ScreenOutput *outputs) {
    int completion = 0;
    for (int i = 0; i < request->choices; i++) completion += outputs[i].completion_tokens;
    // The prompt is what the model read: the images' positions, then the prompt text (the n
    // completions share it, as in the OpenAI API's usage).
    int prompt = outputs[0].prompt_tokens + context->image_tokens;
    cJSON *usage = cJSON_AddObjectToObject(parent, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", prompt);
    cJSON_AddNumberToObject(usage, "completion_tokens", completion);
    cJSON_AddNumberToObject(usage, "total_tokens", prompt + completion);
    cJSON *details = cJSON_AddObjectToObject(usage, "prompt_tokens_details");
    cJSON_AddNumberToObject(details, "image_tokens", context->image_tokens);
    cJSON_AddNumberToObject(details, "text_tokens", outputs[0].prompt_tokens);
}

static cJSON *chat_object(const ResponseContext *context, const char *object) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", context->id);
    cJSON_AddStringToObject(root, "object", object);
    cJSON_AddNumberToObject(root, "created", (double)context->created);
    cJSON_AddStringToObject(root, "model", context->model_id);
    cJSON_AddStringToObject(root, "system_fingerprint", "iar-native");
    return root;
}

char *response_chat_json(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *outputs) {
    cJSON *root = chat_object(context, "chat.completion");
    cJSON *choices = cJSON_AddArrayToObject(root, "choices");
    for (int i = 0; i < request->choices; i++) {
        cJSON *choice = cJSON_CreateObject();
        cJSON_AddNumberToObject(choice, "index", i);
        cJSON *message = cJSON_AddObjectToObject(choice, "message");
        cJSON_AddStringToObject(message, "role", "assistant");
        char *content = utf8_sanitize(outputs[i].text);
        cJSON_AddStringToObject(message, "content", content ? content : "");
        free(content);
        cJSON_AddNullToObject(choice, "logprobs");
        cJSON_AddStringToObject(choice, "finish_reason", finish_reason(request, &outputs[i]));
        cJSON_AddItemToArray(choices, choice);
    }
    add_usage(root, context, request, outputs);
    return json_print_and_delete(root);
}

// Appends "data: JSON\n\n" for one chunk; frees the chunk. Returns -1 when out of memory.
static int stream_append(char **body, size_t *size, cJSON *chunk) {
    char *json = json_print_and_delete(chunk);
    if (!json) return -1;
    size_t add = strlen(json);
    char *grown = realloc(*body, *size + add + 9);
    if (!grown) {
        free(json);
        return -1;
    }
    memcpy(grown + *size, "data: ", 6);
    memcpy(grown + *size + 6, json, add);
    memcpy(grown + *size + 6 + add, "\n\n", 3);
    *size += add + 8;
    *body = grown;
    free(json);
    return 0;
}

// One chunk of choice `index`: a delta with `role` and/or `content` (either may be NULL), or the
// closing chunk with `finish` set.
static cJSON *stream_chunk(const ResponseContext *context, int index, const char *role, const char *content,
                           size_t content_size, const char *finish) {
    cJSON *root = chat_object(context, "chat.completion.chunk");
    cJSON *choices = cJSON_AddArrayToObject(root, "choices");
    cJSON *choice = cJSON_CreateObject();
    cJSON_AddNumberToObject(choice, "index", index);
    cJSON *delta = cJSON_AddObjectToObject(choice, "delta");
    if (role) cJSON_AddStringToObject(delta, "role", role);
    if (content) {
        char *piece = strndup(content, content_size);
        cJSON_AddStringToObject(delta, "content", piece ? piece : "");
        free(piece);
    }
    cJSON_AddNullToObject(choice, "logprobs");
    if (finish) cJSON_AddStringToObject(choice, "finish_reason", finish);
    else cJSON_AddNullToObject(choice, "finish_reason");
    cJSON_AddItemToArray(choices, choice);
    return root;
}

// Length of the next streamed piece: up to and including the next space or tag end, at most 24
// bytes, never splitting a UTF-8 sequence.
static size_t stream_piece_size(const char *text) {
    size_t n = 0;
    while (text[n] && n < 24) {
        char c = text[n++];
        if (c == ' ' || c == '>' || c == '\n') break;
    }
    while (text[n] && ((unsigned char)text[n] & 0xC0) == 0x80) n++;
    return n;
}

int response_stream_delta(char **body, size_t *size, const ResponseContext *context, int index, const char *role,
                          const char *content, size_t content_size) {
    char *piece = content ? strndup(content, content_size) : NULL;
    char *clean = piece ? utf8_sanitize(piece) : NULL;
    free(piece);
    if (content && !clean) return -1;
    int rc = stream_append(body, size, stream_chunk(context, index, role, clean, clean ? strlen(clean) : 0, NULL));
    free(clean);
    return rc;
}

int response_stream_end(char **body, size_t *size, const ResponseContext *context, const ScreenRequest *request,
                        const ScreenOutput *outputs, const size_t *text_sent) {
    int failed = 0;
    for (int i = 0; i < request->choices && !failed; i++) {
        const char *text = outputs[i].text ? outputs[i].text : "";
        size_t length = strlen(text), at = text_sent ? text_sent[i] : 0;
        // what was not streamed yet, in pieces of a few characters (a whole reply when not streamed)
        for (size_t n; !failed && at < length; at += n) {
            n = stream_piece_size(text + at);
            failed |= response_stream_delta(body, size, context, i, NULL, text + at, n);
        }
        if (!failed)
            failed |= stream_append(body, size, stream_chunk(context, i, NULL, NULL, 0, finish_reason(request, &outputs[i])));
    }
    if (!failed && request->include_usage) {
        cJSON *chunk = chat_object(context, "chat.completion.chunk");
        cJSON_AddArrayToObject(chunk, "choices");
        add_usage(chunk, context, request, outputs);
        failed |= stream_append(body, size, chunk);
    }
    char *grown = failed ? NULL : realloc(*body, *size + 15);
    if (!grown) return -1;
    memcpy(grown + *size, "data: [DONE]\n\n", 15);
    *size += 14;
    *body = grown;
    return 0;
}

char *response_chat_stream(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *outputs,
                           size_t *out_size) {
    char *body = NULL;
    size_t size = 0;
    int failed = 0;
    for (int i = 0; i < request->choices && !failed; i++)
        failed |= response_stream_delta(&body, &size, context, i, "assistant", "", 0);
    if (failed || response_stream_end(&body, &size, context, request, outputs, NULL) != 0) {
        free(body);
        return NULL;
    }
    *out_size = size;
    return body;
}

// The text between <think> and </think> (or the whole text before <answer> when untagged); malloc'd.
static char *extract_reasoning(const char *text) {
    const char *start = strstr(text, "<think>");
    const char *end = start ? strstr(start, "</think>") : NULL;
    if (start && end) return strndup(start + 7, (size_t)(end - start - 7));
    const char *answer = strstr(text, "<answer>");
    return strndup(text, answer ? (size_t)(answer - text) : strlen(text));
}

char *response_screen_json(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *output) {
    char *text = utf8_sanitize(output->text);
    if (!text) return NULL;
    ParsedAnswer parsed = answer_parse(text);
    int ok = parsed.status != ANSWER_PARSE_FAILED;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", context->id);
    cJSON_AddStringToObject(root, "object", "screen.result");
    cJSON_AddNumberToObject(root, "created", (double)context->created);
    cJSON_AddStringToObject(root, "model", context->model_id);
    if (request->dimension >= 0) cJSON_AddStringToObject(root, "dimension", dimension_id((Dimension)request->dimension));
    else cJSON_AddNullToObject(root, "dimension");
    cJSON *flawed = ok ? cJSON_AddArrayToObject(root, "flawed") : cJSON_AddNullToObject(root, "flawed");
    cJSON *verdicts = cJSON_AddArrayToObject(root, "verdicts");
    AnswerSet disputed = screen_output_disputed(output);
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        char letter[2] = {(char)('A' + i), 0};
        int bad = ok && (parsed.set >> i & 1);
        if (bad) cJSON_AddItemToArray(flawed, cJSON_CreateString(letter));
        cJSON *verdict = cJSON_CreateObject();
        cJSON_AddStringToObject(verdict, "candidate", letter);
        cJSON_AddStringToObject(verdict, "verdict", !ok ? "unknown" : bad ? "flawed" : "ok");
        // the candidate head's P(flawed): evidence beside the text's verdict, null without a head
        if (output->has_evidence) cJSON_AddNumberToObject(verdict, "p_flawed", output->evidence[i]);
        else cJSON_AddNullToObject(verdict, "p_flawed");
        // false where the text's verdict and its evidence disagree (the text is then often wrong)
        if (ok && output->has_evidence) cJSON_AddBoolToObject(verdict, "evidence_agrees", !(disputed >> i & 1));
        else cJSON_AddNullToObject(verdict, "evidence_agrees");
        cJSON_AddItemToArray(verdicts, verdict);
    }
    char *reasoning = extract_reasoning(text);
    cJSON_AddStringToObject(root, "reasoning", reasoning ? reasoning : "");
    free(reasoning);
    cJSON_AddStringToObject(root, "text", text);
    free(text);
    cJSON_AddStringToObject(root, "parse_status", answer_parse_status_name(parsed.status));
    if (!ok) cJSON_AddStringToObject(root, "parse_error", parsed.reason);
    cJSON *timing = cJSON_AddObjectToObject(root, "timing");
    cJSON_AddNumberToObject(timing, "decode_ms", request->decode_seconds * 1000);
    cJSON_AddNumberToObject(timing, "queue_ms", context->queue_seconds * 1000);
    cJSON_AddNumberToObject(timing, "inference_ms", context->inference_seconds * 1000);
    cJSON_AddNumberToObject(timing, "total_ms", context->total_seconds * 1000);
    cJSON_AddBoolToObject(root, "truncated", output->truncated);
    add_usage(root, context, request, output);
    return json_print_and_delete(root);
}

static cJSON *model_object(const char *model_id, long long created) {
    cJSON *model = cJSON_CreateObject();
    cJSON_AddStringToObject(model, "id", model_id);
    cJSON_AddStringToObject(model, "object", "model");
    cJSON_AddNumberToObject(model, "created", (double)created);
    cJSON_AddStringToObject(model, "owned_by", "iar");
    return model;
}

char *response_models_json(const char *model_id, long long created) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    cJSON_AddItemToArray(data, model_object(model_id, created));
    return json_print_and_delete(root);
}

char *response_model_json(const char *model_id, long long created) {
    return json_print_and_delete(model_object(model_id, created));
}

// response.h — JSON bodies the server sends: OpenAI-style errors, chat completions (whole or as
// server-sent events), the /v1/screen verdict, the model list. Pure functions: text in, text out.
#ifndef IAR_SERVE_RESPONSE_H
#define IAR_SERVE_RESPONSE_H

#include <stddef.h>

#include "screen/screen.h"
#include "serve/request.h"

// {"error":{"message":…,"type":…,"code":…}} as the OpenAI API sends; malloc'd.
char *response_error_json(int status, const char *message);

typedef struct ResponseContext {
    const char *id;       // "chatcmpl-…" / "screen-…"
    const char *model_id; // the served model's name
    long long created;    // Unix seconds
    double queue_seconds, inference_seconds, total_seconds;
    int image_tokens;     // positions the five images take in the model's sequence (counted in usage)
} ResponseContext;

// Cuts each output before the first of the request's `stop` strings (then it ended by a stop, not
// by the length cap). finish_reason is "length" for an output cut by max_tokens or by the model's
// context, else "stop".
void response_apply_stop(const ScreenRequest *request, ScreenOutput *outputs);

// A chat.completion object with request->choices choices; malloc'd.
char *response_chat_json(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *outputs);
// The whole text/event-stream body of a streamed completion: a role chunk, content chunks of a few
// characters each, a finish chunk per choice, the usage chunk when asked, then "data: [DONE]".
char *response_chat_stream(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *outputs,
                           size_t *out_size);
// Streaming as it is generated: appends one "data: {chunk}\n\n" event with a delta (role and/or
// content, made valid UTF-8) for choice `index` to a growing buffer; -1 when out of memory.
int response_stream_delta(char **body, size_t *size, const ResponseContext *context, int index, const char *role,
                          const char *content, size_t content_size);
// The closing events: each choice's text past text_sent[i] bytes (NULL: all of it), its finish
// chunk, the usage chunk when asked, then "data: [DONE]".
int response_stream_end(char **body, size_t *size, const ResponseContext *context, const ScreenRequest *request,
                        const ScreenOutput *outputs, const size_t *text_sent);
// The /v1/screen answer: flawed letters, a verdict per candidate, reasoning, raw text, timing.
char *response_screen_json(const ResponseContext *context, const ScreenRequest *request, const ScreenOutput *output);
// {"object":"list","data":[{"id":model_id,…}]}
char *response_models_json(const char *model_id, long long created);
// One model object, for GET /v1/models/ID.
char *response_model_json(const char *model_id, long long created);

#endif

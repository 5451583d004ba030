// openai.h — the pieces of the OpenAI-compatible backend that are pure functions (request body, response
// parsing, retry policy, prompt template), kept apart from the libcurl loop so tests can check them.
#ifndef IAR_EVAL_OPENAI_H
#define IAR_EVAL_OPENAI_H

#include <stdint.h>

#include "data/dataset.h"
#include "eval/backend.h"

#define OPENAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

// A prompt template: the system prompt and the user text, with {question}, {dimension} and
// {dimension_title} replaced per sample. File format (docs/EVAL.md): a "[system]" line, its text,
// a "[user]" line, its text.
typedef struct ChatTemplate {
    char *system;
    char *user;
} ChatTemplate;

int chat_template_load(ChatTemplate *out, const char *path, Error *err); // path NULL: the built-in prompts
void chat_template_free(ChatTemplate *chat);
char *chat_template_user_text(const ChatTemplate *chat, const Sample *sample); // malloc'd

// "data:image/png;base64,…" of an image file: PNG and JPEG bytes go as they are, anything else is
// decoded and re-encoded as PNG. malloc'd.
int image_file_data_url(const char *path, char **out, Error *err);

// The Chat Completions body for one sample (system message; one user message with the question and
// the five images as image_url parts) and its cache key: SHA-256 hex of (base URL, body).
int openai_request_build(char **body, char key[65], const char *model, const char *base_url, const ChatTemplate *chat,
                         const Dataset *dataset, const Sample *sample, const BackendOptions *options, Error *err);
// choices[0].message.content (a string or a list of text parts) and usage; -1 with a reason when the
// body is not a usable completion.
int openai_response_parse(const char *body, char **text, int *prompt_tokens, int *completion_tokens, Error *err);
// 1 for HTTP statuses worth retrying (408, 409, 425, 429, 5xx).
int openai_status_retryable(long status);
// 1 for HTTP statuses that refuse this request itself (400, 413, 415, 422): the next run does not
// ask again unless told to (--retry-failed). Every other failure, 401 and 403 included, it does.
int openai_status_permanent(long status);
// Backoff before attempt `attempt` + 1 (attempt >= 1): base·2^(attempt-1), capped, with counter-based
// jitter in [0.5, 1) of it; at least `retry_after` (from the server) when that is > 0, capped too.
double openai_retry_delay(const BackendOptions *options, uint64_t request_key, int attempt, double retry_after);

#endif

// layout.c — the shared text layout (layout.h): prompt tokens, completion, row builders, targets.
#include "text/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/prompt.h"

int text_prompt_tokens(const Tokenizer *tokenizer, int dimension, int *out, int max, Error *err) {
    char *prompt = prompt_native_text(dimension);
    if (!prompt) return error_set(err, "out of memory");
    if (max < 1) {
        free(prompt);
        return error_set(err, "the prompt does not fit in %d tokens", max);
    }
    out[0] = TOKEN_BOS;
    int n = tokenizer_encode(tokenizer, prompt, out + 1, max - 1);
    free(prompt);
    if (n + 1 > max) return error_set(err, "the prompt needs %d tokens, over the model's %d", n + 1, max);
    return n + 1;
}

char *text_completion(const char *rationale, AnswerSet answer) {
    if (rationale && rationale[0]) return strdup(rationale);
    char letters[16], *out = NULL;
    answer_set_format(answer, letters, sizeof letters);
    if (asprintf(&out, "<think></think><answer>%s</answer>", letters) < 0) return NULL;
    return out;
}

// Pads a row of text_len tokens to max_len and sets its targets: tokens[t+1] on the completion,
// predicted from the last prompt position on.
static void text_row_finish(int *tokens, int *targets, int prefix_len, int text_len, int max_len) {
    for (int t = 0; t < max_len; t++) targets[t] = (t >= prefix_len - 1 && t < text_len - 1) ? tokens[t + 1] : -1;
    for (int t = text_len; t < max_len; t++) tokens[t] = TOKEN_PAD;
}

int text_row_build(const Tokenizer *tokenizer, int dimension, const char *completion, int max_len, int *tokens,
                   int *targets, int *text_len, int *prefix_len, int *truncated, Error *err) {
    int prefix = text_prompt_tokens(tokenizer, dimension, tokens, max_len, err);
    if (prefix < 0) return -1;
    int room = max_len - prefix;
    int n = tokenizer_encode(tokenizer, completion, tokens + prefix, room);
    *truncated = n + 1 > room;
    if (n > room) n = room;
    int len = prefix + n;
    if (len < max_len) tokens[len++] = TOKEN_EOS;
    text_row_finish(tokens, targets, prefix, len, max_len);
    *text_len = len;
    *prefix_len = prefix;
    return 0;
}

int text_row_from_tokens(const int *prompt, int prompt_len, const int *completion, int completion_len, int max_len,
                         int *tokens, int *targets) {
    memcpy(tokens, prompt, (size_t)prompt_len * sizeof *tokens);
    memcpy(tokens + prompt_len, completion, (size_t)completion_len * sizeof *tokens);
    int text_len = prompt_len + completion_len;
    text_row_finish(tokens, targets, prompt_len, text_len, max_len);
    return text_len;
}

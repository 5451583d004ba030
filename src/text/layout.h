// layout.h — the text layout every user of the native model shares (SFT rows, GRPO rollouts,
// generation, serving). A row is the prompt tokens,
//   TOKEN_BOS, tokenizer_encode(prompt_native_text(dimension))
// then the completion tokens,
//   tokenizer_encode(rationale), TOKEN_EOS
// then TOKEN_PAD up to the row's capacity. prefix_len = number of prompt tokens (BOS included);
// targets[t] = tokens[t+1] for prefix_len-1 <= t < text_len-1, else -1. model_generate(images,
// prompt tokens) continues exactly this layout and stops at TOKEN_EOS.
#ifndef IAR_TEXT_LAYOUT_H
#define IAR_TEXT_LAYOUT_H

#include "core/error.h"
#include "text/answer_set.h"
#include "text/tokenizer.h"

// Prompt tokens (BOS + encoded native prompt) for a dimension (-1: unknown). Returns the count, or
// -1 with err when it does not fit in `max`.
int text_prompt_tokens(const Tokenizer *tokenizer, int dimension, int *out, int max, Error *err);
// What the model must write for a sample: its rationale, or "<think></think><answer>X</answer>"
// built from the gold answer when it has none (NULL or empty). malloc'd. data/dataset.h's
// sample_completion_text applies it to a Sample.
char *text_completion(const char *rationale, AnswerSet answer);
// Builds one row (tokens, targets) of at most max_len positions from a completion's text. When the
// completion does not fit, it is cut (EOS included in the cut) and *truncated is set to 1. Returns
// 0, or -1 when even the prompt does not fit.
int text_row_build(const Tokenizer *tokenizer, int dimension, const char *completion, int max_len, int *tokens,
                   int *targets, int *text_len, int *prefix_len, int *truncated, Error *err);
// Builds one row from prompt tokens and already generated completion tokens (EOS, when generated,
// is among them): tokens, padding and targets. The caller guarantees prompt_len + completion_len
// <= max_len. Returns text_len.
int text_row_from_tokens(const int *prompt, int prompt_len, const int *completion, int completion_len, int max_len,
                         int *tokens, int *targets);

#endif

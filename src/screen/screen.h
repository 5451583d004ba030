// screen.h — inference with the native model, written once: the prompt in the shared text layout
// (text/layout.h), generation sharing the image+prompt prefix, decoding, the parsed answer and the
// candidate head's per-candidate evidence. Used by the native eval backend, the server, validation
// during training and GRPO rollouts.
#ifndef IAR_SCREEN_SCREEN_H
#define IAR_SCREEN_SCREEN_H

#include "core/error.h"
#include "data/dataset.h"
#include "image/image.h"
#include "model/model.h"
#include "text/answer.h"
#include "text/tokenizer.h"

// One completion.
typedef struct ScreenOutput {
    char *text;             // malloc'd decoded completion; free with screen_outputs_free
    ParsedAnswer answer;    // answer_parse(text)
    int prompt_tokens;
    int completion_tokens;  // EOS included when generated
    int truncated;          // 1: stopped by the token cap before EOS
    int has_evidence;       // 1 when the model has a vision tower or a candidate head
    float evidence[CANDIDATE_COUNT]; // P(candidate A-D flawed) from either (NaN without one)
} ScreenOutput;

void screen_outputs_free(ScreenOutput *outputs, int count);
// The letters on which the text's verdict and its own evidence disagree: named flawed with P(flawed)
// ≤ 0.5, or left out with P > 0.5. 0 without evidence or without a readable answer. Where the two
// disagree the text is right only about one time in three (docs/RESULTS.md), so callers show it.
AnswerSet screen_output_disputed(const ScreenOutput *output);

// Buffers for screening, allocated once for up to `max_samples` completions per call. After a call,
// prompt[0..prompt_len) and the generated tokens (row i at tokens + i * max_new_tokens, lengths[i]
// long) stay readable until the next call: GRPO builds its training rows from them. logprobs has
// the same layout: each generated token's log-probability under the model at temperature 1 (the
// policy itself, whatever temperature sampled it: what model_forward scores), which GRPO compares
// with its trainer's.
typedef struct ScreenScratch {
    int max_samples, max_text_len;
    int prompt_len, max_new_tokens; // of the last call
    int *prompt;                    // (max_text_len)
    int *tokens;                    // (max_samples, max_text_len)
    float *logprobs;                // (max_samples, max_text_len)
    int *lengths;                   // (max_samples)
    float *images;                  // (5, 3, S, S): a place for callers to prepare the images
} ScreenScratch;

int screen_scratch_create(ScreenScratch *scratch, const ModelConfig *config, int max_samples, Error *err);
void screen_scratch_free(ScreenScratch *scratch);

// Screens one sample from its prepared images ((5, 3, S, S) as model_prepare_images writes them):
// n completions for the prompt of `dimension` (-1: unknown). options NULL: greedy; max_new_tokens
// <= 0 or more than fit: as many as the model's text length leaves after the prompt. The EOS token
// is always TOKEN_EOS. Writes n outputs, or none (all freed) on failure.
int screen_prepared(Model *model, const Tokenizer *tokenizer, ScreenScratch *scratch, const float *images,
                    int dimension, const GenerateOptions *options, int n, ScreenOutput *outputs, Error *err);

// A model folder loaded for screening: model, tokenizer and buffers for `max_samples` completions.
typedef struct ScreenModel {
    Model model;
    Tokenizer *tokenizer;
    ScreenScratch scratch;
} ScreenModel;

int screen_model_load(ScreenModel *screen, const char *dir, int max_samples, Error *err);
void screen_model_free(ScreenModel *screen);

// Screens five decoded images (original, A, B, C, D): resized and scaled, then screen_prepared.
// The native model reads only its dimension's short prompt: a free-form question is not part of
// what it was trained on, so callers have none to pass.
int screen_images(ScreenModel *screen, const Image *images[MODEL_IMAGE_COUNT], int dimension,
                  const GenerateOptions *options, int n, ScreenOutput *outputs, Error *err);

#endif

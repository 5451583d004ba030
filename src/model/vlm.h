// vlm.h — a trained screener ready to use: model + tokenizer loaded from a checkpoint folder,
// turning five images and a question into the model's "<think>…</think><answer>…</answer>" text.
// Used by the native eval backend, the server, and GRPO rollouts.
#ifndef IAR_MODEL_VLM_H
#define IAR_MODEL_VLM_H

#include "core/error.h"
#include "data/dataset.h"
#include "image/image.h"
#include "model/model.h"
#include "text/tokenizer.h"

typedef struct Vlm {
    Model model;
    Tokenizer *tokenizer;
} Vlm;

int vlm_load(Vlm *vlm, const char *checkpoint_dir, int max_batch, Error *err);
void vlm_free(Vlm *vlm);

typedef struct VlmOutput {
    char *text; // malloc'd; caller frees
    int prompt_tokens;
    int completion_tokens;
} VlmOutput;

// `dimension` may be -1 when unknown; `question` may be NULL (default question).
// Writes n_samples outputs (all sharing the image+prompt prefix).
int vlm_screen(Vlm *vlm, const Image *images[MODEL_IMAGE_COUNT], int dimension, const char *question,
               const GenerateOptions *options, int n_samples, VlmOutput *outputs, Error *err);

#endif

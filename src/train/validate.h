// validate.h — greedy screening of held-out samples (screen/screen.h), scored with the evaluator's
// scores (exact, prop, parse failures). Shared by SFT and GRPO.
#ifndef IAR_TRAIN_VALIDATE_H
#define IAR_TRAIN_VALIDATE_H

#include <stddef.h>

#include "core/error.h"
#include "data/dataset.h"
#include "model/model.h"
#include "text/tokenizer.h"
#include "train/image_shard.h"

typedef struct ValidationResult {
    size_t samples;
    double exact, prop;          // means in [0, 1]
    size_t parse_failures;
    size_t per_dimension_samples[DIMENSION_COUNT];
    double per_dimension_exact[DIMENSION_COUNT];
    double mean_completion_tokens;
    double seconds;
} ValidationResult;

// Screens (greedy) dataset samples `indices` with images from `shard`, each completion at most
// max_new_tokens long (0: as many as the model's text length allows). `progress` may be NULL.
int validate_generate(Model *model, const Tokenizer *tokenizer, const Dataset *dataset, const ImageShard *shard,
                      const size_t *indices, size_t count, int max_new_tokens, ValidationResult *out,
                      Progress *progress, Error *err);

#endif

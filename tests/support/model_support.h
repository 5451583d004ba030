// model_support.h — test helpers of the model: a tiny config with a small vocabulary, a random
// batch in the shared text layout, and tolerance comparisons that print the worst difference.
#ifndef IAR_TESTS_MODEL_SUPPORT_H
#define IAR_TESTS_MODEL_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

// The "tiny" preset with `vocab` tokens.
ModelConfig model_support_tiny_config(int vocab);

// A batch with owned buffers: rows of different lengths and prefixes, padding filled with junk
// tokens (which must not matter), targets per the shared layout (next token from prefix_len-1 on).
typedef struct ModelSupportBatch {
    ModelBatch batch;
    float *images;
    int *tokens, *targets, *text_len, *prefix_len;
} ModelSupportBatch;

// rows: (text_len, prefix_len) pairs; T = the largest text_len.
void model_support_batch(ModelSupportBatch *out, const ModelConfig *config, int rows, const int *text_len,
                         const int *prefix_len, uint64_t seed);
void model_support_batch_free(ModelSupportBatch *batch);

// Fills v[0..n) with uniform values in [-scale, scale] from the counter-based RNG.
void model_support_random(float *v, size_t n, float scale, uint64_t seed);
// Max |a - b|; prints it with `what`; returns it.
double model_support_max_diff(const char *what, const float *a, const float *b, size_t n);

#endif

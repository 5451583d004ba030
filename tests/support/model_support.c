// model_support.c — see model_support.h.
#include "model_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

ModelConfig model_support_tiny_config(int vocab) {
    ModelConfig config;
    Error err;
    if (model_config_preset(&config, "tiny", vocab, &err) != 0) {
        fprintf(stderr, "tiny preset: %s\n", err.message);
        abort();
    }
    return config;
}

void model_support_random(float *v, size_t n, float scale, uint64_t seed) {
    Rng rng = rng_stream(seed, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_next_range(&rng, -scale, scale);
}

void model_support_batch(ModelSupportBatch *out, const ModelConfig *config, int rows, const int *text_len,
                         const int *prefix_len, uint64_t seed) {
    memset(out, 0, sizeof *out);
    int T = 1;
    for (int b = 0; b < rows; b++)
        if (text_len[b] > T) T = text_len[b];
    size_t S = (size_t)config->image_size;
    out->images = malloc(sizeof(float) * rows * MODEL_IMAGE_COUNT * 3 * S * S);
    out->tokens = malloc(sizeof(int) * rows * T);
    out->targets = malloc(sizeof(int) * rows * T);
    out->text_len = malloc(sizeof(int) * rows);
    out->prefix_len = malloc(sizeof(int) * rows);
    if (!out->images || !out->tokens || !out->targets || !out->text_len || !out->prefix_len) abort();
    model_support_random(out->images, (size_t)rows * MODEL_IMAGE_COUNT * 3 * S * S, 1.0f, seed);
    Rng rng = rng_stream(seed, 1, RNG_PURPOSE_SYNTH);
    for (int b = 0; b < rows; b++) {
        out->text_len[b] = text_len[b];
        out->prefix_len[b] = prefix_len[b];
        for (int t = 0; t < T; t++) {
            // real tokens avoid the specials; padding gets junk ids the model must ignore
            out->tokens[b * T + t] = t < text_len[b] ? 3 + rng_next_int(&rng, config->vocab_size - 3)
                                                     : rng_next_int(&rng, config->vocab_size);
        }
        out->tokens[b * T] = 1; // BOS
        for (int t = 0; t < T; t++)
            out->targets[b * T + t] =
                (t >= prefix_len[b] - 1 && t < text_len[b] - 1) ? out->tokens[b * T + t + 1] : -1;
    }
    out->batch = (ModelBatch){.batch_size = rows, .text_len_max = T, .images = out->images, .tokens = out->tokens,
                              .targets = out->targets, .text_len = out->text_len, .prefix_len = out->prefix_len};
}

void model_support_batch_free(ModelSupportBatch *batch) {
    free(batch->images);
    free(batch->tokens);
    free(batch->targets);
    free(batch->text_len);
    free(batch->prefix_len);
    memset(batch, 0, sizeof *batch);
}

double model_support_max_diff(const char *what, const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst)) worst = d; // NaN propagates as the worst
    }
    printf("  %-40s max abs diff %.3g\n", what, worst);
    return worst;
}

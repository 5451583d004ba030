// cuda_mpi_batch.h — a synthetic training batch for bench/cuda_bench.c and bench/mpi_bench.c: full
// length rows (a 40-token prompt, then the completion), random pixels and tokens from the
// counter-based RNG, targets in the shared text layout.
#ifndef IAR_BENCH_CUDA_MPI_BATCH_H
#define IAR_BENCH_CUDA_MPI_BATCH_H

#include <stdlib.h>

#include "core/rng.h"
#include "model/model.h"

typedef struct BenchBatch {
    ModelBatch batch;
    float *images;
    int *tokens, *targets, *text_len, *prefix_len;
} BenchBatch;

// Full-length rows: a 40-token prompt, then the completion; random pixels and tokens.
static inline void bench_batch(BenchBatch *b, const ModelConfig *c, int rows) {
    int T = c->max_text_len, prompt = 40 < T ? 40 : T / 2;
    size_t pixels = (size_t)rows * MODEL_IMAGE_COUNT * 3 * c->image_size * c->image_size;
    b->images = malloc(sizeof(float) * pixels);
    b->tokens = malloc(sizeof(int) * rows * T);
    b->targets = malloc(sizeof(int) * rows * T);
    b->text_len = malloc(sizeof(int) * rows);
    b->prefix_len = malloc(sizeof(int) * rows);
    Rng rng = rng_stream(1, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < pixels; i++) b->images[i] = (float)rng_next_range(&rng, -1, 1);
    for (int r = 0; r < rows; r++) {
        b->text_len[r] = T;
        b->prefix_len[r] = prompt;
        for (int t = 0; t < T; t++) b->tokens[r * T + t] = 3 + rng_next_int(&rng, c->vocab_size - 3);
        for (int t = 0; t < T; t++) b->targets[r * T + t] = t >= prompt - 1 && t < T - 1 ? b->tokens[r * T + t + 1] : -1;
    }
    b->batch = (ModelBatch){.batch_size = rows, .text_len_max = T, .images = b->images, .tokens = b->tokens,
                            .targets = b->targets, .text_len = b->text_len, .prefix_len = b->prefix_len};
}

// d(loss)/d(logprob) of the mean token loss over the batch's targets.
static inline void bench_dlogprobs(float *dlogprobs, const ModelBatch *batch) {
    size_t n = (size_t)batch->batch_size * batch->text_len_max;
    long targets = 0;
    for (size_t i = 0; i < n; i++) targets += batch->targets[i] >= 0;
    for (size_t i = 0; i < n; i++) dlogprobs[i] = batch->targets[i] >= 0 ? -1.0f / (float)targets : 0.0f;
}

#endif

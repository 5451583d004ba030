// model_bench.c — speed of the native model on this machine (docs/perf/model.md):
//   sgemm   OpenBLAS sgemm GFLOP/s at the shapes the small config's step uses (the peak for MFU)
//   train   forward + backward time of one batch, samples/s, GFLOP/s and MFU against that peak
//   generate tokens/s of greedy generation with the KV cache (1 and 8 samples per prompt)
// and the process's peak resident memory. Build and run with bench/model_bench.sh.
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/rng.h"
#include "model/model.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void fill_random(float *v, size_t n, uint64_t seed) {
    Rng rng = rng_stream(seed, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_next_range(&rng, -1, 1);
}

// Best-of-`repeats` GFLOP/s of C (m, n) = A (m, k) · Bᵀ (n, k), the layout of matmul_forward.
static double sgemm_gflops(int m, int n, int k, int repeats) {
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * m * n);
    fill_random(a, (size_t)m * k, 1);
    fill_random(b, (size_t)n * k, 2);
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t0 = now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        double t = now_seconds() - t0;
        if (t < best) best = t;
    }
    free(a), free(b), free(c);
    return 2.0 * m * n * k / best * 1e-9;
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "small";
    int batch = argc > 2 ? atoi(argv[2]) : 16, steps = argc > 3 ? atoi(argv[3]) : 5, vocab = 512;
    if (batch < 1 || steps < 1) {
        fprintf(stderr, "usage: model_bench [tiny|small|base] [BATCH >= 1] [STEPS >= 1]\n");
        return 1;
    }
    ModelConfig config;
    Error err;
    if (model_config_preset(&config, preset, vocab, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int T = config.max_text_len, N = MODEL_IMAGE_COUNT * model_image_tokens(&config) + T, rows = batch * N;
    printf("config %s: %zu parameters, %.1f MFLOP per text token (train), batch %d x (%d image + %d text tokens), "
           "%d OpenMP threads\n",
           preset, model_parameter_count(&config), model_flops_per_token(&config) * 1e-6, batch, N - T, T,
           omp_get_max_threads());

    // sgemm at the step's shapes: qkv, attention proj, MLP up, MLP down, tied head
    int shapes[5][3] = {{rows, 3 * config.dim, config.dim},
                        {rows, config.dim, config.dim},
                        {rows, config.mlp_hidden, config.dim},
                        {rows, config.dim, config.mlp_hidden},
                        {batch * T, vocab, config.dim}};
    double peak = 0.0;
    for (int i = 0; i < 5; i++) {
        double g = sgemm_gflops(shapes[i][0], shapes[i][1], shapes[i][2], 5);
        printf("sgemm %5d x %4d x %4d: %6.1f GFLOP/s\n", shapes[i][0], shapes[i][1], shapes[i][2], g);
        if (g > peak) peak = g;
    }
    double big = sgemm_gflops(2048, 2048, 2048, 3);
    if (big > peak) peak = big;
    printf("sgemm 2048^3: %.1f GFLOP/s; MFU below is against the best sgemm rate measured here, %.1f GFLOP/s\n", big,
           peak);

    Model model;
    if (model_create(&model, &config, batch, 1, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    size_t S = (size_t)config.image_size;
    float *images = malloc(sizeof(float) * batch * MODEL_IMAGE_COUNT * 3 * S * S);
    int *tokens = malloc(sizeof(int) * batch * T), *targets = malloc(sizeof(int) * batch * T);
    int *text_len = malloc(sizeof(int) * batch), *prefix_len = malloc(sizeof(int) * batch);
    float *logprobs = malloc(sizeof(float) * batch * T), *dlogprobs = malloc(sizeof(float) * batch * T);
    fill_random(images, (size_t)batch * MODEL_IMAGE_COUNT * 3 * S * S, 3);
    Rng rng = rng_stream(4, 0, RNG_PURPOSE_SYNTH);
    for (int b = 0; b < batch; b++) {
        text_len[b] = T;
        prefix_len[b] = 24;
        for (int t = 0; t < T; t++) tokens[b * T + t] = 3 + rng_next_int(&rng, vocab - 3);
        for (int t = 0; t < T; t++) targets[b * T + t] = (t >= 23 && t < T - 1) ? tokens[b * T + t + 1] : -1;
        for (int t = 0; t < T; t++) dlogprobs[b * T + t] = targets[b * T + t] >= 0 ? -1.0f / (batch * (T - 24)) : 0.0f;
    }
    ModelBatch mb = {.batch_size = batch, .text_len_max = T, .images = images, .tokens = tokens, .targets = targets,
                     .text_len = text_len, .prefix_len = prefix_len};
    double best = 1e30, total = 0.0, best_forward = 1e30;
    for (int s = 0; s < steps + 1; s++) {
        double t0 = now_seconds();
        model_zero_grad(&model);
        int rc = model_forward(&model, &mb, logprobs, NULL, &err);
        double t1 = now_seconds();
        if (rc != 0 || model_backward(&model, &mb, dlogprobs, &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t = now_seconds() - t0;
        if (s > 0) total += t; // the first step warms caches and thread pools
        if (s > 0 && t < best) best = t;
        if (s > 0 && t1 - t0 < best_forward) best_forward = t1 - t0;
    }
    double flops = model_flops_per_token(&config) * T * batch;
    printf("train step (forward+backward): best %.1f ms (forward %.1f ms), mean %.1f ms, %.1f samples/s, %.1f GFLOP/s, "
           "MFU %.0f%%\n",
           best * 1e3, best_forward * 1e3, total / steps * 1e3, batch / best, flops / best * 1e-9, 100.0 * flops / best * 1e-9 / peak);

    // generation: a 24-token prompt, 64 new tokens, no EOS so every sample runs to the end
    GenerateOptions options = {.max_new_tokens = 64, .temperature = 0.0f, .top_p = 1.0f, .seed = 1, .eos_token = -1};
    int out_tokens[8 * 64], lengths[8];
    for (int samples = 1; samples <= 8; samples *= 8) {
        double t0 = now_seconds();
        int reps = 3;
        for (int r = 0; r < reps; r++)
            if (model_generate(&model, images, tokens, 24, samples, &options, out_tokens, lengths, NULL, &err) != 0) {
                fprintf(stderr, "%s\n", err.message);
                return 1;
            }
        double t = (now_seconds() - t0) / reps;
        int generated = 0;
        for (int s = 0; s < samples; s++) generated += lengths[s];
        printf("generate %d sample(s) x %d tokens (prefix %d tokens once): %.1f ms, %.0f tokens/s\n", samples,
               lengths[0], N - T + 24, t * 1e3, generated / t);
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("peak resident memory: %.0f MB\n", usage.ru_maxrss / 1024.0);
    model_free(&model);
    free(images), free(tokens), free(targets), free(text_len), free(prefix_len), free(logprobs), free(dlogprobs);
    return 0;
}

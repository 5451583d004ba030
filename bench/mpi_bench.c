// mpi_bench.c — data-parallel step time at N MPI processes on this machine, with the time spent in
// collectives (the communication share), through src/train/distributed.c exactly as the trainers
// call it: every rank slices the same global batch, forward/backward on its rows with the global
// loss normaliser, gradient allreduce, AdamW.
//   sft:  one global batch of BATCH full-length rows per step.
//   grpo: PROMPTS prompts per step, each rank rolls out GROUP completions (temperature 1, up to
//         NEW tokens) for its slice of the prompts, then forward/backward per group and the allreduce.
//   usage: mpirun -np N mpi_bench sft|grpo [PRESET=small] [STEPS=4] [BATCH=16 | PROMPTS=4] [GROUP=8] [NEW=32]
// Built and run by bench/mpi_bench.sh; results in docs/perf/scale.md.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "train/adamw.h"
#include "train/distributed.h"

#include "cuda_mpi_batch.h"

static Distributed world;

static void fail(const char *what, const Error *err) {
    fprintf(stderr, "mpi_bench rank %d: %s: %s\n", world.rank, what, err->message);
    distributed_abort(&world, 1);
    exit(1);
}

// Forward + backward of `local` rows with d(logprob) given; accumulates into model->grads.
static void forward_backward(Model *model, const ModelBatch *local, float *logprobs, const float *dlogprobs) {
    Error err;
    if (local->batch_size == 0) return;
    if (model_forward(model, local, logprobs, NULL, &err) != 0) fail("forward", &err);
    if (model_backward(model, local, dlogprobs, &err) != 0) fail("backward", &err);
}

// The barrier first separates waiting for the slower rank (load imbalance) from the transfer itself.
static void sync_and_step(Model *model, AdamW *opt, double *wait) {
    Error err;
    double t0 = world.comm_seconds;
    if (distributed_barrier(&world, &err) != 0) fail("barrier", &err);
    *wait += world.comm_seconds - t0;
    if (distributed_sync_gradients(&world, model, &err) != 0) fail("allreduce", &err);
    adamw_update(opt, model, 1e-4f);
}

typedef struct StepTimes {
    double total, rollout, comm, wait; // comm: the allreduce alone; wait: the barrier before it
} StepTimes;

static StepTimes sft_step(Model *model, AdamW *opt, const BenchBatch *b, float *logprobs, const float *dlogprobs) {
    StepTimes t = {0, 0, world.comm_seconds, 0};
    double t0 = time_now_seconds();
    model_zero_grad(model);
    ModelBatch local;
    int begin = distributed_batch_slice(&local, &b->batch, &model->config, world.rank, world.size);
    forward_backward(model, &local, logprobs, dlogprobs + (size_t)begin * b->batch.text_len_max);
    sync_and_step(model, opt, &t.wait);
    t.total = time_now_seconds() - t0;
    t.comm = world.comm_seconds - t.comm - t.wait;
    return t;
}

// One GRPO-shaped step: this rank's prompts rolled out (G completions each), then one
// forward/backward per group with advantage-weighted d(logprob), then the allreduce and AdamW.
static StepTimes grpo_step(Model *model, AdamW *opt, const BenchBatch *prompts, int prompt_count, int G, int new_tokens,
                           long step, int *rows_tokens, int *rows_targets, int *text_len, int *prefix_len, float *images,
                           float *logprobs, float *dlogprobs, int *generated, int *lengths) {
    Error err;
    StepTimes t = {0, 0, world.comm_seconds, 0};
    const ModelConfig *c = &model->config;
    int prompt_len = prompts->batch.prefix_len[0], T = prompt_len + new_tokens;
    size_t image_floats = (size_t)MODEL_IMAGE_COUNT * 3 * c->image_size * c->image_size, begin, count;
    distributed_slice((size_t)prompt_count, world.rank, world.size, &begin, &count);
    double t0 = time_now_seconds(), rollout = 0;
    model_zero_grad(model);
    for (size_t p = begin; p < begin + count; p++) {
        const float *image = prompts->images + p * image_floats;
        const int *prompt = prompts->tokens + p * prompts->batch.text_len_max;
        GenerateOptions o = {.max_new_tokens = new_tokens, .temperature = 1.0f, .top_p = 1.0f, .seed = (uint64_t)(step * 1000 + p), .eos_token = -1};
        double r0 = time_now_seconds();
        if (model_generate(model, image, prompt, prompt_len, G, &o, generated, lengths, NULL, &err) != 0)
            fail("generate", &err);
        rollout += time_now_seconds() - r0;
        // (G, T) rows: prompt + completion; loss on the completion with advantages ±1
        for (int i = 0; i < G; i++) {
            int len = prompt_len + lengths[i];
            text_len[i] = len;
            prefix_len[i] = prompt_len;
            memcpy(images + (size_t)i * image_floats, image, sizeof(float) * image_floats);
            for (int k = 0; k < T; k++) {
                rows_tokens[i * T + k] = k < prompt_len ? prompt[k] : (k < len ? generated[i * new_tokens + k - prompt_len] : 0);
                rows_targets[i * T + k] = k >= prompt_len - 1 && k < len - 1 ? rows_tokens[i * T + k + 1] : -1;
            }
            for (int k = 0; k < T; k++)
                dlogprobs[i * T + k] = rows_targets[i * T + k] >= 0 ? (i % 2 ? 1.0f : -1.0f) / (float)(G * prompt_count) : 0.0f;
        }
        ModelBatch group = {.batch_size = G, .text_len_max = T, .images = images, .tokens = rows_tokens,
                            .targets = rows_targets, .text_len = text_len, .prefix_len = prefix_len};
        forward_backward(model, &group, logprobs, dlogprobs);
    }
    sync_and_step(model, opt, &t.wait);
    t.total = time_now_seconds() - t0;
    t.rollout = rollout;
    t.comm = world.comm_seconds - t.comm - t.wait;
    return t;
}

int main(int argc, char **argv) {
    Error err;
    if (distributed_init(&world, &argc, &argv, &err) != 0) {
        fprintf(stderr, "mpi_bench: %s\n", err.message);
        return 1;
    }
    const char *mode = argc > 1 ? argv[1] : "sft", *preset = argc > 2 ? argv[2] : "small";
    int steps = argc > 3 ? atoi(argv[3]) : 4, size_arg = argc > 4 ? atoi(argv[4]) : 0;
    int G = argc > 5 ? atoi(argv[5]) : 8, new_tokens = argc > 6 ? atoi(argv[6]) : 32;
    int grpo = strcmp(mode, "grpo") == 0;
    int rows = size_arg > 0 ? size_arg : (grpo ? 4 : 16);
    ModelConfig config;
    if (model_config_preset(&config, preset, 1024, &err) != 0) fail("config", &err);
    Model model;
    if (model_create(&model, &config, grpo ? G : rows, 1, &err) != 0) fail("model", &err);
    if (distributed_sync_parameters(&world, &model, &err) != 0) fail("broadcast", &err);
    AdamWConfig ac;
    adamw_config_default(&ac);
    AdamW opt;
    if (adamw_create(&opt, &model, &ac, &err) != 0) fail("adamw", &err);
    BenchBatch b;
    bench_batch(&b, &config, rows);
    size_t cells = (size_t)(grpo ? G : rows) * config.max_text_len;
    float *logprobs = malloc(sizeof(float) * cells), *dlogprobs = malloc(sizeof(float) * cells);
    size_t image_floats = (size_t)MODEL_IMAGE_COUNT * 3 * config.image_size * config.image_size;
    int *rows_tokens = malloc(sizeof(int) * cells), *rows_targets = malloc(sizeof(int) * cells);
    int *text_len = malloc(sizeof(int) * G), *prefix_len = malloc(sizeof(int) * G), *lengths = malloc(sizeof(int) * G);
    int *generated = malloc(sizeof(int) * G * new_tokens);
    float *images = malloc(sizeof(float) * image_floats * G);
    if (!grpo) bench_dlogprobs(dlogprobs, &b.batch);
    int prompt_len = b.batch.prefix_len[0];
    if (grpo && prompt_len + new_tokens > config.max_text_len) new_tokens = config.max_text_len - prompt_len;
    StepTimes sum = {0, 0, 0, 0};
    for (int s = 0; s <= steps; s++) { // step 0 warms up
        StepTimes t = grpo ? grpo_step(&model, &opt, &b, rows, G, new_tokens, s, rows_tokens, rows_targets, text_len,
                                       prefix_len, images, logprobs, dlogprobs, generated, lengths)
                           : sft_step(&model, &opt, &b, logprobs, dlogprobs);
        if (s > 0) sum.total += t.total, sum.rollout += t.rollout, sum.comm += t.comm, sum.wait += t.wait;
    }
    if (distributed_check_identical(&world, model.params, model.param_count, &err) != 0) fail("replicas", &err);
    // means over ranks (the allreduce at the end of every step keeps them in step)
    double totals[4] = {sum.total, sum.rollout, sum.comm, sum.wait};
    if (distributed_allreduce_sum_doubles(&world, totals, 4, &err) != 0) fail("stats", &err);
    double per_step = 1e3 / world.size / steps;
    if (distributed_is_root(&world))
        printf("| %s | %s | %d | %d | %.1f | %.1f | %.2f (%.1f%%) | %.1f (%.1f%%) |\n", mode, preset, world.size,
               omp_get_max_threads(), totals[0] * per_step, totals[1] * per_step, totals[2] * per_step,
               100 * totals[2] / totals[0], totals[3] * per_step, 100 * totals[3] / totals[0]);
    distributed_finalize(&world);
    return 0;
}

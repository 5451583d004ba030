// cuda_bench.c — GPU vs CPU on the same machine: one SFT training step (forward, backward, AdamW)
// of a preset at full text length, on the CPU's fast kernels (all cores) and on the GPU (FP32 and
// TF32 sgemm), with MFU; then rollout throughput (tokens/s) of model_generate (CPU, KV cache) vs
// cuda_model_generate (GPU, no KV cache).
//   usage: cuda_bench [PRESET=small] [BATCH=16] [GPU_STEPS=20] [CPU_STEPS=2] [FP32_TFLOPS=67] [TF32_TFLOPS=494.7]
// The peaks default to the H100 SXM's dense figures (FP32 non-tensor 67, TF32 tensor 494.7 TFLOP/s).
// Built and run by bench/cuda_gpu.sh; results in docs/perf/scale.md.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/rng.h"
#include "cuda/cuda.h"
#include "train/adamw.h"
#include "train/peak.h"

#include "cuda_mpi_batch.h"

static void fail(const char *what, const Error *err) {
    fprintf(stderr, "cuda_bench: %s: %s\n", what, err->message);
    exit(1);
}

static double cpu_step_seconds(Model *model, AdamW *opt, const ModelBatch *batch, float *lp, float *dlp, int steps) {
    Error err;
    double best = INFINITY;
    for (int s = 0; s < steps + 1; s++) { // the first is a warm-up
        double t0 = time_now_seconds();
        model_zero_grad(model);
        if (model_forward(model, batch, lp, NULL, &err) != 0) fail("CPU forward", &err);
        if (model_backward(model, batch, dlp, &err) != 0) fail("CPU backward", &err);
        adamw_update(opt, model, 1e-4f);
        double dt = time_now_seconds() - t0;
        if (s > 0 && dt < best) best = dt;
    }
    return best;
}

static double gpu_step_seconds(CudaModel *gpu, const CudaAdamWConfig *ac, const ModelBatch *batch, float *lp, float *dlp,
                               int steps) {
    Error err;
    for (int s = 0; s < 2; s++) { // warm-up: cuBLAS heuristics, workspace growth
        cuda_model_zero_grad(gpu);
        if (cuda_model_forward(gpu, batch, lp, NULL, &err) != 0) fail("GPU forward", &err);
        if (cuda_model_backward(gpu, batch, dlp, &err) != 0) fail("GPU backward", &err);
        cuda_model_adamw_update(gpu, ac, 1e-4f);
    }
    if (cuda_synchronize(&err) != 0) fail("GPU", &err);
    double t0 = time_now_seconds();
    for (int s = 0; s < steps; s++) {
        cuda_model_zero_grad(gpu);
        if (cuda_model_forward(gpu, batch, lp, NULL, &err) != 0) fail("GPU forward", &err);
        if (cuda_model_backward(gpu, batch, dlp, &err) != 0) fail("GPU backward", &err);
        cuda_model_adamw_update(gpu, ac, 1e-4f);
    }
    if (cuda_synchronize(&err) != 0) fail("GPU", &err);
    return (time_now_seconds() - t0) / steps;
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "small";
    int batch_size = argc > 2 ? atoi(argv[2]) : 16, gpu_steps = argc > 3 ? atoi(argv[3]) : 20;
    int cpu_steps = argc > 4 ? atoi(argv[4]) : 2;
    double fp32_peak = argc > 5 ? atof(argv[5]) : 67.0, tf32_peak = argc > 6 ? atof(argv[6]) : 494.7;
    Error err;
    char name[256] = "?";
    int sms = 0;
    double gib = 0;
    if (cuda_device_describe(name, sizeof name, &sms, &gib, &err) != 0) fail("device", &err);
    ModelConfig config;
    if (model_config_preset(&config, preset, 1024, &err) != 0) fail("config", &err);
    config.candidate_head = config.candidate_pointer = 0; // the GPU build runs the plain model
    Model model;
    if (model_create(&model, &config, batch_size, 1, &err) != 0) fail("model", &err);
    BenchBatch b;
    bench_batch(&b, &config, batch_size);
    size_t positions = (size_t)batch_size * config.max_text_len;
    float *lp = malloc(sizeof(float) * positions), *dlp = malloc(sizeof(float) * positions);
    bench_dlogprobs(dlp, &b.batch);
    double flops = model_flops_per_token(&config) * config.max_text_len * batch_size;
    printf("device: %s (%d SMs, %.0f GiB); CPU: %d OpenMP threads\n", name, sms, gib, omp_get_max_threads());
    printf("config %s: %zu parameters, batch %d x %d text tokens, %.2f GFLOP per training step\n", preset,
           model.param_count, batch_size, config.max_text_len, flops / 1e9);

    AdamWConfig ac;
    adamw_config_default(&ac);
    AdamW opt;
    if (adamw_create(&opt, &model, &ac, &err) != 0) fail("adamw", &err);
    double cpu_peak = train_measure_peak_gflops(512, 0.3);
    double cpu = cpu_step_seconds(&model, &opt, &b.batch, lp, dlp, cpu_steps);
    CudaModel gpu;
    if (cuda_model_create(&gpu, &model, batch_size, &err) != 0) fail("GPU model", &err);
    cuda_set_tf32(0);
    CudaAdamWConfig gpu_ac = {.beta1 = ac.beta1, .beta2 = ac.beta2, .epsilon = ac.epsilon,
                              .weight_decay = ac.weight_decay, .clip_norm = ac.clip_norm};
    double fp32 = gpu_step_seconds(&gpu, &gpu_ac, &b.batch, lp, dlp, gpu_steps);
    cuda_set_tf32(1);
    double tf32 = gpu_step_seconds(&gpu, &gpu_ac, &b.batch, lp, dlp, gpu_steps);
    cuda_set_tf32(0);
    printf("| path | step ms | samples/s | speed-up vs CPU | MFU |\n|---|---|---|---|---|\n");
    printf("| CPU fast kernels (%d threads) | %.1f | %.1f | 1.0x | %.1f%% of measured sgemm %.0f GFLOP/s |\n",
           omp_get_max_threads(), cpu * 1e3, batch_size / cpu, 100 * flops / cpu / (cpu_peak * 1e9), cpu_peak);
    printf("| GPU FP32 | %.2f | %.0f | %.1fx | %.2f%% of %.1f TFLOP/s FP32 |\n", fp32 * 1e3, batch_size / fp32,
           cpu / fp32, 100 * flops / fp32 / (fp32_peak * 1e12), fp32_peak);
    printf("| GPU TF32 sgemm | %.2f | %.0f | %.1fx | %.2f%% of %.1f TFLOP/s TF32 |\n", tf32 * 1e3, batch_size / tf32,
           cpu / tf32, 100 * flops / tf32 / (tf32_peak * 1e12), tf32_peak);

    // rollouts: one prompt, G samples, fixed length (no EOS), temperature 1
    enum { GROUP = 8 };
    int prompt_len = 40 < config.max_text_len ? 40 : config.max_text_len / 2;
    int new_tokens = config.max_text_len - prompt_len;
    GenerateOptions o = {.max_new_tokens = new_tokens, .temperature = 1.0f, .top_p = 1.0f, .seed = 3, .eos_token = -1};
    int *tokens = malloc(sizeof(int) * GROUP * new_tokens), lengths[GROUP];
    double t0 = time_now_seconds();
    if (model_generate(&model, b.images, b.tokens, prompt_len, GROUP, &o, tokens, lengths, NULL, &err) != 0)
        fail("CPU generate", &err);
    double cpu_gen = time_now_seconds() - t0;
    if (cuda_model_generate(&gpu, b.images, b.tokens, prompt_len, GROUP, &o, tokens, lengths, &err) != 0)
        fail("GPU generate (warm-up)", &err);
    t0 = time_now_seconds();
    if (cuda_model_generate(&gpu, b.images, b.tokens, prompt_len, GROUP, &o, tokens, lengths, &err) != 0)
        fail("GPU generate", &err);
    double gpu_gen = time_now_seconds() - t0;
    double total = (double)GROUP * new_tokens;
    printf("rollouts (%d samples x %d new tokens): CPU KV cache %.0f tokens/s, GPU no KV cache %.0f tokens/s (%.1fx)\n",
           GROUP, new_tokens, total / cpu_gen, total / gpu_gen, cpu_gen / gpu_gen);
    cuda_model_free(&gpu);
    adamw_free(&opt);
    model_free(&model);
    return 0;
}

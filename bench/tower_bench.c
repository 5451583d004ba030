// tower_bench.c — speed of the vision tower's training step and of the in-memory generator that
// feeds it (docs/perf/tower.md):
//   peak    OpenBLAS sgemm GFLOP/s at this thread count (train_measure_peak_gflops: the MFU denominator)
//   train   forward + tower_loss + backward of one batch: median ms/step (and forward + loss alone),
//           samples/s, GFLOP/s, MFU; and the process's CPU ms per step (user + system, all threads:
//           the steadier figure on a shared machine)
//   render  vision_batch_render (render → resize → tensor, as `iar train vision` does): samples/s
// Run by bench/tower_torch.py, which times PyTorch on the same step in the same run and thread count.
//   build/bench/tower_bench [PRESET] [IMAGE_SIZE] [BATCH] [STEPS] [THREADS] [RENDER_REPEATS]
// The lines "train_ms ...", "train_cpu_ms ...", "forward_ms ..." and "render_samples_per_second ..." are for
// the driver.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/progress.h"
#include "core/rng.h"
#include "model/tower.h"
#include "train/peak.h"
#include "train/vision.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { KIND_CLASSES = 8, MAX_REPEATS = 64 };

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n) {
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * t.tv_nsec;
}

static int usage(void) {
    fprintf(stderr, "usage: tower_bench [tiny|small|base] [IMAGE_SIZE] [BATCH >= 1] [STEPS 1..%d] [THREADS >= 1] "
                    "[RENDER_REPEATS 0..%d]\n  e.g. tower_bench small 128 16 5 2 3\n",
            MAX_REPEATS, MAX_REPEATS);
    return 2;
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "small";
    int image_size = argc > 2 ? atoi(argv[2]) : 128, batch = argc > 3 ? atoi(argv[3]) : 16;
    int steps = argc > 4 ? atoi(argv[4]) : 5, threads = argc > 5 ? atoi(argv[5]) : 0;
    int render_repeats = argc > 6 ? atoi(argv[6]) : 3;
    if (batch < 1 || steps < 1 || steps > MAX_REPEATS || threads < 0 || render_repeats < 0 ||
        render_repeats > MAX_REPEATS)
        return usage();
    train_set_threads(threads);
    TowerConfig config;
    Error err = {0};
    if (tower_config_preset(&config, preset, KIND_CLASSES, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return usage();
    }
    config.image_size = image_size;
    if (tower_config_validate(&config, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return usage();
    }
    int omp_threads = 1;
#ifdef _OPENMP
    omp_threads = omp_get_max_threads();
#endif
    double flops = tower_flops_per_sample(&config) * batch;
    printf("config %s at %d px: %zu parameters, %d tokens per image, %.2f GFLOP per sample (train), batch %d, "
           "%d OpenMP threads\n",
           preset, image_size, tower_parameter_count(&config), tower_tokens(&config),
           tower_flops_per_sample(&config) * 1e-9, batch, omp_threads);
    double peak = train_measure_peak_gflops(1024, 1.0);
    printf("peak: sgemm 1024^3 best %.1f GFLOP/s\n", peak);

    Tower tower;
    if (tower_create(&tower, &config, batch, 1, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    size_t S = (size_t)image_size, R = (size_t)batch * TOWER_CANDIDATES, P = (size_t)tower_tokens(&config);
    size_t pixels = (size_t)batch * TOWER_IMAGES * 3 * S * S, token_count = R * P * TOWER_TOKEN_TARGETS;
    float *images = malloc(sizeof(float) * pixels), *flawed = malloc(sizeof(float) * R);
    float *token_targets = malloc(sizeof(float) * token_count);
    int *dimension = malloc(sizeof(int) * batch), *classes = malloc(sizeof(int) * 3 * R);
    if (!images || !flawed || !token_targets || !dimension || !classes) {
        fprintf(stderr, "tower_bench: out of memory\n");
        return 1;
    }
    Rng rng = rng_stream(11, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < pixels; i++) images[i] = (float)rng_next_range(&rng, -1, 1);
    for (size_t i = 0; i < token_count; i++) token_targets[i] = rng_next_double(&rng) < 0.2;
    for (size_t i = 0; i < R; i++) {
        flawed[i] = rng_next_double(&rng) < 0.5;
        classes[i] = rng_next_int(&rng, TOWER_LIGHT_CLASSES);
        classes[R + i] = rng_next_int(&rng, TOWER_SHADOW_CLASSES);
        classes[2 * R + i] = rng_next_int(&rng, KIND_CLASSES);
    }
    for (int b = 0; b < batch; b++) dimension[b] = b % 5 - 1;
    TowerTargets targets = {.flawed = flawed, .token_targets = token_targets, .light = classes,
                            .shadow = classes + R, .kind = classes + 2 * R};
    TowerLossWeights weights;
    tower_loss_weights_default(&weights);

    double times[MAX_REPEATS], forward_times[MAX_REPEATS], cpu_times[MAX_REPEATS];
    for (int s = 0; s < steps + 1; s++) { // the first step warms caches and thread pools
        double t0 = time_now_seconds(), c0 = cpu_seconds();
        tower_zero_grad(&tower);
        if (tower_forward(&tower, images, dimension, batch, 1, NULL, &err) != 0) break;
        tower_loss(&tower, &targets, &weights);
        double t1 = time_now_seconds();
        if (tower_backward(&tower, &err) != 0) break;
        if (s > 0) {
            times[s - 1] = time_now_seconds() - t0, forward_times[s - 1] = t1 - t0;
            cpu_times[s - 1] = cpu_seconds() - c0;
        }
    }
    if (err.message[0]) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("train_ms");
    for (int s = 0; s < steps; s++) printf(" %.2f", times[s] * 1e3);
    printf("\ntrain_cpu_ms");
    for (int s = 0; s < steps; s++) printf(" %.2f", cpu_times[s] * 1e3);
    printf("\nforward_ms");
    for (int s = 0; s < steps; s++) printf(" %.2f", forward_times[s] * 1e3);
    printf("\n");
    double t = median(times, steps);
    printf("train: median %.1f ms/step (forward + loss %.1f ms, CPU %.1f ms), %.1f samples/s, %.1f GFLOP/s, "
           "MFU %.0f%%\n",
           t * 1e3, median(forward_times, steps) * 1e3, median(cpu_times, steps) * 1e3, batch / t, flops / t * 1e-9,
           100.0 * flops / t * 1e-9 / peak);

    if (render_repeats > 0) { // the generator as `iar train vision` runs it: canvas = the tower's size
        SynthConfig synth;
        synth_config_default(&synth);
        synth.seed = 1000;
        synth.size = image_size < SYNTH_MIN_SIZE ? SYNTH_MIN_SIZE : image_size;
        VisionBatch vb;
        if (vision_batch_create(&vb, batch, &config, &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double rates[MAX_REPEATS];
        for (int r = 0; r < render_repeats; r++) {
            double t0 = time_now_seconds();
            if (vision_batch_render(&vb, &synth, (size_t)r * batch, batch, &config, 0.2, &err) != 0) {
                fprintf(stderr, "%s\n", err.message);
                return 1;
            }
            rates[r] = batch / (time_now_seconds() - t0);
        }
        printf("render_samples_per_second");
        for (int r = 0; r < render_repeats; r++) printf(" %.1f", rates[r]);
        printf("\nrender: median %.1f samples/s at %d px\n", median(rates, render_repeats), synth.size);
        vision_batch_free(&vb);
    }
    tower_free(&tower);
    free(images), free(flawed), free(token_targets), free(dimension), free(classes);
    return 0;
}

// model_kernels_bench.c — time of each fast kernel at the small config's training shapes (batch
// 16, 80 image + 128 text tokens, dim 128, 4 heads, MLP 512, vocab 512), forward and backward, per
// layer of the step, to see where a step's time goes. Run: bench/model_bench.sh builds it too.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/rng.h"
#include "model/kernels.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_block(size_t n, uint64_t seed) {
    float *v = malloc(sizeof(float) * n);
    Rng rng = rng_stream(seed, 0, RNG_PURPOSE_SYNTH);
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_next_range(&rng, -1, 1);
    return v;
}

#define TIME_BEST(label, flops, statement)                                                                         \
    do {                                                                                                           \
        double best = 1e30;                                                                                        \
        for (int rep = 0; rep < 5; rep++) {                                                                        \
            double t0 = now_seconds();                                                                             \
            statement;                                                                                             \
            double t = now_seconds() - t0;                                                                         \
            if (t < best) best = t;                                                                                \
        }                                                                                                          \
        printf("%-34s %8.2f ms %7.1f GFLOP/s\n", label, best * 1e3, (flops) / best * 1e-9);                       \
    } while (0)

int main(void) {
    int B = 16, I = 80, T = 128, N = I + T, D = 128, H = getenv("HEADS") ? atoi(getenv("HEADS")) : 2, F = 512, V = 512;
    int rows = B * N;
    size_t big = (size_t)rows * F;
    float *x = random_block(big, 1), *y = random_block(big, 2), *g = random_block(big, 3), *w = random_block((size_t)F * D * 3, 4);
    float *b = random_block(F * 3, 5), *dw = random_block((size_t)F * D * 3, 6), *db = random_block(F * 3, 7);
    float *qkv = random_block((size_t)rows * 3 * D, 8), *probs = random_block((size_t)B * H * N * N, 9);
    float *scratch = random_block((size_t)B * H * N * N, 10), *mean = random_block(rows, 11), *rstd = random_block(rows, 12);
    int text_len[16], prefix_len[16];
    for (int i = 0; i < B; i++) text_len[i] = T, prefix_len[i] = 24;
    AttentionMask mask = {I, text_len, prefix_len};
    printf("%d OpenMP threads, rows %d\n", omp_get_max_threads(), rows);
    int shapes[4][2] = {{D, 3 * D}, {D, D}, {D, F}, {F, D}};
    const char *names[4] = {"qkv", "attn proj", "mlp fc", "mlp proj"};
    for (int s = 0; s < 4; s++) {
        double flops = 2.0 * rows * shapes[s][0] * shapes[s][1];
        char label[64];
        snprintf(label, sizeof label, "matmul fwd %s", names[s]);
        TIME_BEST(label, flops, matmul_forward_fast(y, x, w, b, rows, shapes[s][0], shapes[s][1]));
        snprintf(label, sizeof label, "matmul bwd %s", names[s]);
        TIME_BEST(label, 2 * flops, matmul_backward_fast(x, dw, db, g, y, w, rows, shapes[s][0], shapes[s][1]));
    }
    double att = 4.0 * B * N * (double)N * D;
    TIME_BEST("attention fwd", att, attention_forward_fast(y, probs, qkv, &mask, B, N, D, H));
    TIME_BEST("attention bwd", 2 * att, attention_backward_fast(x, scratch, g, probs, qkv, &mask, B, N, D, H));
    TIME_BEST("layernorm fwd", 0, layernorm_forward_fast(y, mean, rstd, x, w, b, rows, D));
    TIME_BEST("layernorm bwd", 0, layernorm_backward_fast(y, dw, db, g, x, w, mean, rstd, rows, D));
    TIME_BEST("gelu fwd", 0, gelu_forward_fast(y, x, big));
    TIME_BEST("gelu bwd", 0, gelu_backward_fast(y, x, g, big));
    double head = 2.0 * B * T * D * V;
    TIME_BEST("head matmul fwd", head, matmul_forward_fast(y, x, w, NULL, B * T, D, V));
    TIME_BEST("head matmul bwd", 2 * head, matmul_backward_fast(x, dw, NULL, g, y, w, B * T, D, V));
    // the small stem: 80 images of 64 px, channels 3 -> 16 -> 32 -> 64 -> 128
    int side = 64, in_ch = 3, out_chs[4] = {16, 32, 64, 128};
    for (int l = 0; l < 4; l++) {
        int out = side / 2, images = getenv("IMAGES") ? atoi(getenv("IMAGES")) : B * 5;
        double flops = 2.0 * images * out * out * 9.0 * in_ch * out_chs[l];
        float *inp = random_block((size_t)images * side * side * in_ch, 20 + l);
        float *col = malloc(sizeof(float) * images * out * out * 9 * in_ch), *dinp = malloc(sizeof(float) * images * side * side * in_ch);
        float *o = malloc(sizeof(float) * images * out * out * out_chs[l]), *go = random_block((size_t)images * out * out * out_chs[l], 30 + l);
        char label[64];
        snprintf(label, sizeof label, "conv %d fwd (%d->%d ch, %d px)", l, in_ch, out_chs[l], side);
        TIME_BEST(label, flops, conv2d_forward_fast(o, col, inp, w, b, images, side, side, in_ch, out_chs[l], 2));
        snprintf(label, sizeof label, "conv %d bwd", l);
        TIME_BEST(label, 2 * flops, (conv2d_forward_fast(o, col, inp, w, b, images, side, side, in_ch, out_chs[l], 2),
                                     conv2d_backward_fast(l ? dinp : NULL, dw, db, go, col, inp, w, images, side, side, in_ch, out_chs[l], 2)));
        free(inp), free(col), free(dinp), free(o), free(go);
        side = out, in_ch = out_chs[l];
    }
    return 0;
}

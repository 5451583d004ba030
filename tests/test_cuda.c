// test_cuda.c — the GPU build against the CPU oracle: every device kernel's forward and backward
// (src/cuda) against kernel_ops_reference on the same random inputs (the conv at stride 2 and 1),
// then the whole tiny model (with and without the stem's instance norm: forward log-probs and
// entropy, every parameter tensor's gradient, two AdamW steps), and rollout sampling/generation
// against model_generate.
// Tolerances are per tensor, relative to the tensor's largest value (float32 on both sides; only
// summation orders differ).
// Without a GPU (or built with CUDA=0) it prints why and exits 0, so the suite passes on CPU-only
// machines; bench/cuda_gpu.sh runs it where there is one.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef IAR_HAVE_CUDA
#include "core/rng.h"
#include "cuda/cuda.h"
#include "support/model_support.h"
#include "train/adamw.h"

// ---- helpers -------------------------------------------------------------------------------------

static void *to_device(const void *host, size_t bytes) {
    Error err;
    void *d = cuda_malloc(bytes, &err);
    if (!d) fail_msg("%s", err.message);
    if (host && cuda_upload(d, host, bytes, &err) != 0) fail_msg("%s", err.message);
    return d;
}

static float *floats_to_device(const float *host, size_t n) { return to_device(host, n * sizeof(float)); }

static float *random_floats(size_t n, float scale, uint64_t seed) {
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    model_support_random(v, n, scale, seed);
    return v;
}

static void from_device(float *host, const float *device, size_t n) {
    Error err;
    if (cuda_synchronize(&err) != 0) fail_msg("%s", err.message);
    if (cuda_download(host, device, n * sizeof(float), &err) != 0) fail_msg("%s", err.message);
}

// max |got − want| / max(|want|_∞, floor) must be <= tolerance; prints the figure.
static void expect_close(const char *what, const float *got, const float *want, size_t n, double tolerance) {
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < n; i++) {
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= worst)) worst = d; // NaN is the worst
    }
    printf("  %-44s rel err %.2e (tol %.0e)\n", what, worst / scale, tolerance);
    if (!(worst / scale <= tolerance)) fail_msg("%s: relative error %.3g over %.1g", what, worst / scale, tolerance);
}

// Downloads a device array and compares it with the CPU's.
static void expect_device_close(const char *what, const float *device, const float *want, size_t n, double tolerance) {
    float *got = malloc(n * sizeof *got);
    assert_non_null(got);
    from_device(got, device, n);
    expect_close(what, got, want, n, tolerance);
    free(got);
}

#define FORWARD_TOL 1e-5
#define BACKWARD_TOL 1e-4

// ---- kernels one by one ------------------------------------------------------------------------

static void test_matmul(void **state) {
    (void)state;
    int rows = 37, in = 29, out = 45;
    float *x = random_floats((size_t)rows * in, 1, 1), *w = random_floats((size_t)out * in, 1, 2);
    float *b = random_floats(out, 1, 3), *g = random_floats((size_t)rows * out, 1, 4);
    float *y = calloc((size_t)rows * out, 4);
    // backward accumulates: start every gradient from the same non-zero values on both sides
    float *dx = random_floats((size_t)rows * in, 1, 5), *dw = random_floats((size_t)out * in, 1, 6);
    float *db = random_floats(out, 1, 7);
    float *x_d = floats_to_device(x, (size_t)rows * in), *w_d = floats_to_device(w, (size_t)out * in);
    float *b_d = floats_to_device(b, out), *g_d = floats_to_device(g, (size_t)rows * out);
    float *y_d = floats_to_device(NULL, (size_t)rows * out), *dx_d = floats_to_device(dx, (size_t)rows * in);
    float *dw_d = floats_to_device(dw, (size_t)out * in), *db_d = floats_to_device(db, out);
    kernel_ops_reference.matmul_forward(y, x, w, b, rows, in, out);
    kernel_ops_cuda.matmul_forward(y_d, x_d, w_d, b_d, rows, in, out);
    expect_device_close("matmul forward (bias)", y_d, y, (size_t)rows * out, FORWARD_TOL);
    kernel_ops_reference.matmul_forward(y, x, w, NULL, rows, in, out);
    kernel_ops_cuda.matmul_forward(y_d, x_d, w_d, NULL, rows, in, out);
    expect_device_close("matmul forward (no bias)", y_d, y, (size_t)rows * out, FORWARD_TOL);
    kernel_ops_reference.matmul_backward(dx, dw, db, g, x, w, rows, in, out);
    kernel_ops_cuda.matmul_backward(dx_d, dw_d, db_d, g_d, x_d, w_d, rows, in, out);
    expect_device_close("matmul backward d(input)", dx_d, dx, (size_t)rows * in, BACKWARD_TOL);
    expect_device_close("matmul backward d(weight)", dw_d, dw, (size_t)out * in, BACKWARD_TOL);
    expect_device_close("matmul backward d(bias)", db_d, db, out, BACKWARD_TOL);
    void *device[] = {x_d, w_d, b_d, g_d, y_d, dx_d, dw_d, db_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(x), free(w), free(b), free(g), free(y), free(dx), free(dw), free(db);
}

// One conv shape at one stride (the col2im gather's stride test and the output size both vary).
static void conv_case(int images, int h, int w, int in, int out, int stride, uint64_t seed) {
    int oh = conv2d_output_size(h, stride), ow = conv2d_output_size(w, stride);
    printf(" conv %dx%d, %d -> %d channels, stride %d\n", h, w, in, out, stride);
    size_t n_in = (size_t)images * h * w * in, n_out = (size_t)images * oh * ow * out;
    size_t n_col = (size_t)images * oh * ow * in * 9, n_w = (size_t)out * in * 9;
    float *x = random_floats(n_in, 1, seed), *wt = random_floats(n_w, 0.5f, seed + 1);
    float *b = random_floats(out, 1, seed + 2), *g = random_floats(n_out, 1, seed + 3), *y = calloc(n_out, 4);
    float *dx = random_floats(n_in, 1, seed + 4), *dw = random_floats(n_w, 1, seed + 5);
    float *db = random_floats(out, 1, seed + 6);
    float *x_d = floats_to_device(x, n_in), *w_d = floats_to_device(wt, n_w), *b_d = floats_to_device(b, out);
    float *g_d = floats_to_device(g, n_out), *y_d = floats_to_device(NULL, n_out);
    float *col_d = floats_to_device(NULL, n_col);
    float *dx_d = floats_to_device(dx, n_in), *dw_d = floats_to_device(dw, n_w), *db_d = floats_to_device(db, out);
    kernel_ops_reference.conv2d_forward(y, NULL, x, wt, b, images, h, w, in, out, stride);
    kernel_ops_cuda.conv2d_forward(y_d, col_d, x_d, w_d, b_d, images, h, w, in, out, stride);
    expect_device_close("conv2d forward", y_d, y, n_out, FORWARD_TOL);
    kernel_ops_reference.conv2d_backward(dx, dw, db, g, NULL, x, wt, images, h, w, in, out, stride);
    kernel_ops_cuda.conv2d_backward(dx_d, dw_d, db_d, g_d, col_d, x_d, w_d, images, h, w, in, out, stride);
    expect_device_close("conv2d backward d(input)", dx_d, dx, n_in, BACKWARD_TOL);
    expect_device_close("conv2d backward d(weight)", dw_d, dw, n_w, BACKWARD_TOL);
    expect_device_close("conv2d backward d(bias)", db_d, db, out, BACKWARD_TOL);
    void *device[] = {x_d, w_d, b_d, g_d, y_d, col_d, dx_d, dw_d, db_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(x), free(wt), free(b), free(g), free(y), free(dx), free(dw), free(db);
}

static void test_conv(void **state) {
    (void)state;
    conv_case(3, 10, 8, 3, 5, 2, 11); // the stem's downsampling convs
    conv_case(2, 9, 7, 4, 6, 2, 21);  // odd sides: the last window overhangs the padding edge
    conv_case(3, 7, 6, 5, 5, 1, 31);  // stride 1, same channels (the kernel keeps its stride argument)
    conv_case(2, 5, 9, 3, 4, 1, 41);
}

static void test_layernorm_and_gelu(void **state) {
    (void)state;
    int rows = 33, dim = 70;
    size_t n = (size_t)rows * dim;
    float *x = random_floats(n, 2, 21), *w = random_floats(dim, 1, 22), *b = random_floats(dim, 1, 23);
    float *g = random_floats(n, 1, 24), *y = calloc(n, 4), *mean = calloc(rows, 4), *rstd = calloc(rows, 4);
    float *dx = random_floats(n, 1, 25), *dw = random_floats(dim, 1, 26), *db = random_floats(dim, 1, 27);
    float *x_d = floats_to_device(x, n), *w_d = floats_to_device(w, dim), *b_d = floats_to_device(b, dim);
    float *g_d = floats_to_device(g, n), *y_d = floats_to_device(NULL, n), *mean_d = floats_to_device(NULL, rows);
    float *rstd_d = floats_to_device(NULL, rows), *dx_d = floats_to_device(dx, n), *dw_d = floats_to_device(dw, dim);
    float *db_d = floats_to_device(db, dim);
    kernel_ops_reference.layernorm_forward(y, mean, rstd, x, w, b, rows, dim);
    kernel_ops_cuda.layernorm_forward(y_d, mean_d, rstd_d, x_d, w_d, b_d, rows, dim);
    expect_device_close("layernorm forward", y_d, y, n, FORWARD_TOL);
    expect_device_close("layernorm mean", mean_d, mean, rows, FORWARD_TOL);
    expect_device_close("layernorm rstd", rstd_d, rstd, rows, FORWARD_TOL);
    kernel_ops_reference.layernorm_backward(dx, dw, db, g, x, w, mean, rstd, rows, dim);
    kernel_ops_cuda.layernorm_backward(dx_d, dw_d, db_d, g_d, x_d, w_d, mean_d, rstd_d, rows, dim);
    expect_device_close("layernorm backward d(input)", dx_d, dx, n, BACKWARD_TOL);
    expect_device_close("layernorm backward d(weight)", dw_d, dw, dim, BACKWARD_TOL);
    expect_device_close("layernorm backward d(bias)", db_d, db, dim, BACKWARD_TOL);
    // GELU on the same buffers: x as input, g as upstream gradient
    kernel_ops_reference.gelu_forward(y, x, n);
    kernel_ops_cuda.gelu_forward(y_d, x_d, n);
    expect_device_close("gelu forward", y_d, y, n, FORWARD_TOL);
    kernel_ops_reference.gelu_backward(dx, x, g, n);
    kernel_ops_cuda.gelu_backward(dx_d, x_d, g_d, n);
    expect_device_close("gelu backward", dx_d, dx, n, BACKWARD_TOL);
    void *device[] = {x_d, w_d, b_d, g_d, y_d, mean_d, rstd_d, dx_d, dw_d, db_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(x), free(w), free(b), free(g), free(y), free(mean), free(rstd), free(dx), free(dw), free(db);
}

// The stem's InstanceNorm: channels over one block's 32 and positions not a multiple of the 8 rows.
static void test_instancenorm(void **state) {
    (void)state;
    int images = 3, positions = 37, channels = 45;
    size_t n = (size_t)images * positions * channels, stats = (size_t)images * channels;
    float *x = random_floats(n, 2, 51), *w = random_floats(channels, 1, 52), *b = random_floats(channels, 1, 53);
    float *g = random_floats(n, 1, 54), *y = calloc(n, 4), *mean = calloc(stats, 4), *rstd = calloc(stats, 4);
    float *dx = random_floats(n, 1, 55), *dw = random_floats(channels, 1, 56), *db = random_floats(channels, 1, 57);
    for (size_t i = 0; i < n; i++) x[i] += (float)(i % channels) * 0.25f; // a per-channel offset to remove
    float *x_d = floats_to_device(x, n), *w_d = floats_to_device(w, channels), *b_d = floats_to_device(b, channels);
    float *g_d = floats_to_device(g, n), *y_d = floats_to_device(NULL, n), *mean_d = floats_to_device(NULL, stats);
    float *rstd_d = floats_to_device(NULL, stats), *dx_d = floats_to_device(dx, n);
    float *dw_d = floats_to_device(dw, channels), *db_d = floats_to_device(db, channels);
    kernel_ops_reference.instancenorm_forward(y, mean, rstd, x, w, b, images, positions, channels);
    kernel_ops_cuda.instancenorm_forward(y_d, mean_d, rstd_d, x_d, w_d, b_d, images, positions, channels);
    expect_device_close("instancenorm forward", y_d, y, n, FORWARD_TOL);
    expect_device_close("instancenorm mean", mean_d, mean, stats, FORWARD_TOL);
    expect_device_close("instancenorm rstd", rstd_d, rstd, stats, FORWARD_TOL);
    kernel_ops_reference.instancenorm_backward(dx, dw, db, g, x, w, mean, rstd, images, positions, channels);
    kernel_ops_cuda.instancenorm_backward(dx_d, dw_d, db_d, g_d, x_d, w_d, mean_d, rstd_d, images, positions,
                                          channels);
    expect_device_close("instancenorm backward d(input)", dx_d, dx, n, BACKWARD_TOL);
    expect_device_close("instancenorm backward d(weight)", dw_d, dw, channels, BACKWARD_TOL);
    expect_device_close("instancenorm backward d(bias)", db_d, db, channels, BACKWARD_TOL);
    // any gradient may be NULL: d(input) alone, then the parameter gradients alone (still accumulating)
    kernel_ops_reference.instancenorm_backward(dx, NULL, NULL, g, x, w, mean, rstd, images, positions, channels);
    kernel_ops_cuda.instancenorm_backward(dx_d, NULL, NULL, g_d, x_d, w_d, mean_d, rstd_d, images, positions,
                                          channels);
    expect_device_close("instancenorm backward d(input) only", dx_d, dx, n, BACKWARD_TOL);
    kernel_ops_reference.instancenorm_backward(NULL, dw, db, g, x, w, mean, rstd, images, positions, channels);
    kernel_ops_cuda.instancenorm_backward(NULL, dw_d, db_d, g_d, x_d, w_d, mean_d, rstd_d, images, positions,
                                          channels);
    expect_device_close("instancenorm backward d(weight) only", dw_d, dw, channels, BACKWARD_TOL);
    expect_device_close("instancenorm backward d(bias) only", db_d, db, channels, BACKWARD_TOL);
    void *device[] = {x_d, w_d, b_d, g_d, y_d, mean_d, rstd_d, dx_d, dw_d, db_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(x), free(w), free(b), free(g), free(y), free(mean), free(rstd), free(dx), free(dw), free(db);
}

static void attention_case(int batch, int image_tokens, int T, int dim, int heads, const int *text_len,
                           const int *prefix_len) {
    int seq = image_tokens + T;
    size_t n_qkv = (size_t)batch * seq * 3 * dim, n_out = (size_t)batch * seq * dim;
    size_t n_probs = (size_t)batch * heads * seq * seq;
    float *qkv = random_floats(n_qkv, 1, 31), *g = random_floats(n_out, 1, 32), *out = calloc(n_out, 4);
    float *probs = calloc(n_probs, 4), *dqkv = random_floats(n_qkv, 1, 33);
    float *qkv_d = floats_to_device(qkv, n_qkv), *g_d = floats_to_device(g, n_out), *out_d = floats_to_device(NULL, n_out);
    float *probs_d = floats_to_device(NULL, n_probs), *dscores_d = floats_to_device(NULL, n_probs);
    float *dqkv_d = floats_to_device(dqkv, n_qkv);
    int *text_len_d = to_device(text_len, sizeof(int) * batch), *prefix_d = to_device(prefix_len, sizeof(int) * batch);
    AttentionMask mask = {image_tokens, text_len, prefix_len}, mask_d = {image_tokens, text_len_d, prefix_d};
    kernel_ops_reference.attention_forward(out, probs, qkv, &mask, batch, seq, dim, heads);
    kernel_ops_cuda.attention_forward(out_d, probs_d, qkv_d, &mask_d, batch, seq, dim, heads);
    char what[64];
    snprintf(what, sizeof what, "attention forward (N=%d)", seq);
    expect_device_close(what, out_d, out, n_out, FORWARD_TOL);
    snprintf(what, sizeof what, "attention probabilities (N=%d)", seq);
    expect_device_close(what, probs_d, probs, n_probs, FORWARD_TOL);
    kernel_ops_reference.attention_backward(dqkv, NULL, g, probs, qkv, &mask, batch, seq, dim, heads);
    kernel_ops_cuda.attention_backward(dqkv_d, dscores_d, g_d, probs_d, qkv_d, &mask_d, batch, seq, dim, heads);
    snprintf(what, sizeof what, "attention backward d(qkv) (N=%d)", seq);
    expect_device_close(what, dqkv_d, dqkv, n_qkv, BACKWARD_TOL);
    void *device[] = {qkv_d, g_d, out_d, probs_d, dscores_d, dqkv_d, text_len_d, prefix_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(qkv), free(g), free(out), free(probs), free(dqkv);
}

static void test_attention(void **state) {
    (void)state;
    int text_len[2] = {9, 5}, prefix_len[2] = {3, 5};
    attention_case(2, 6, 9, 16, 2, text_len, prefix_len);
    int long_len[3] = {50, 31, 12}, long_prefix[3] = {20, 7, 12};
    attention_case(3, 100, 50, 64, 4, long_len, long_prefix); // more keys than threads per block
}

static void test_softmax_logprob(void **state) {
    (void)state;
    int rows = 7, vocab = 300;
    size_t n = (size_t)rows * vocab;
    int targets[7] = {0, 299, -1, 17, 150, -1, 3};
    float *logits = random_floats(n, 4, 41), *dlogprob = random_floats(rows, 1, 42);
    float *logprob = calloc(rows, 4), *entropy = calloc(rows, 4), *dlogits = calloc(n, 4);
    float *probs_d = floats_to_device(logits, n), *logprob_d = floats_to_device(NULL, rows);
    float *entropy_d = floats_to_device(NULL, rows), *dlogprob_d = floats_to_device(dlogprob, rows);
    float *dlogits_d = floats_to_device(NULL, n);
    int *targets_d = to_device(targets, sizeof targets);
    kernel_ops_reference.softmax_logprob_forward(logprob, entropy, logits, targets, rows, vocab);
    kernel_ops_cuda.softmax_logprob_forward(logprob_d, entropy_d, probs_d, targets_d, rows, vocab);
    expect_device_close("softmax log-prob", logprob_d, logprob, rows, FORWARD_TOL);
    expect_device_close("softmax entropy", entropy_d, entropy, rows, FORWARD_TOL);
    expect_device_close("softmax probabilities", probs_d, logits, n, FORWARD_TOL);
    kernel_ops_reference.softmax_logprob_backward(dlogits, dlogprob, logits, targets, rows, vocab);
    kernel_ops_cuda.softmax_logprob_backward(dlogits_d, dlogprob_d, probs_d, targets_d, rows, vocab);
    expect_device_close("softmax backward d(logits)", dlogits_d, dlogits, n, BACKWARD_TOL);
    void *device[] = {probs_d, logprob_d, entropy_d, dlogprob_d, dlogits_d, targets_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(logits), free(dlogprob), free(logprob), free(entropy), free(dlogits);
}

// generate.c's sampling rule, written out plainly as the oracle of sample_tokens_cuda.
static int sample_compare_probs(const void *a, const void *b, void *probs_arg) {
    const float *p = probs_arg;
    int i = *(const int *)a, j = *(const int *)b;
    if (p[i] != p[j]) return p[i] > p[j] ? -1 : 1;
    return i - j;
}

static int sample_reference(const float *x, int V, float temperature, float top_p, double uniform, float *logprob) {
    float max = -INFINITY;
    int argmax = 0;
    for (int v = 0; v < V; v++)
        if (x[v] > max) max = x[v], argmax = v;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += exp((double)x[v] - max);
    int token = argmax;
    if (temperature > 0) {
        float *p = malloc(sizeof(float) * V);
        int *order = malloc(sizeof(int) * V), kept = V;
        double total = 0, kept_mass = 1.0, cumulative = 0;
        for (int v = 0; v < V; v++) total += (p[v] = (float)exp(((double)x[v] - max) / temperature));
        for (int v = 0; v < V; v++) p[v] = (float)(p[v] / total), order[v] = v;
        if (top_p < 1.0f) {
            qsort_r(order, (size_t)V, sizeof *order, sample_compare_probs, p);
            for (kept = 0; kept < V;) {
                cumulative += p[order[kept++]];
                if (cumulative >= top_p) break;
            }
            kept_mass = cumulative;
        }
        double u = uniform * kept_mass;
        token = order[kept - 1];
        cumulative = 0;
        for (int i = 0; i < kept; i++)
            if (u < (cumulative += p[order[i]])) {
                token = order[i];
                break;
            }
        free(p);
        free(order);
    }
    *logprob = (float)((double)x[token] - max - log(sum));
    return token;
}

static void test_sampling(void **state) {
    (void)state;
    enum { ROWS = 64, VOCAB = 500 };
    float *logits = random_floats((size_t)ROWS * VOCAB, 3, 51);
    double uniforms[ROWS];
    for (int r = 0; r < ROWS; r++) uniforms[r] = (double)(rng_hash(5, r, RNG_PURPOSE_SAMPLING, 0) >> 11) * 0x1p-53;
    float *logits_d = floats_to_device(logits, (size_t)ROWS * VOCAB), *scratch_d = floats_to_device(NULL, (size_t)ROWS * VOCAB * 3);
    float *logprobs_d = floats_to_device(NULL, ROWS);
    double *uniforms_d = to_device(uniforms, sizeof uniforms);
    int *tokens_d = to_device(NULL, sizeof(int) * ROWS), tokens[ROWS];
    float logprobs[ROWS];
    const float settings[3][2] = {{0.0f, 1.0f}, {1.0f, 1.0f}, {0.7f, 0.9f}};
    for (int k = 0; k < 3; k++) {
        sample_tokens_cuda(tokens_d, logprobs_d, logits_d, uniforms_d, scratch_d, ROWS, VOCAB, settings[k][0],
                           settings[k][1]);
        Error err;
        if (cuda_synchronize(&err) != 0 || cuda_download(tokens, tokens_d, sizeof tokens, &err) != 0)
            fail_msg("%s", err.message);
        from_device(logprobs, logprobs_d, ROWS);
        int same = 0;
        for (int r = 0; r < ROWS; r++) {
            float want_logprob;
            int want = sample_reference(logits + (size_t)r * VOCAB, VOCAB, settings[k][0], settings[k][1], uniforms[r],
                                        &want_logprob);
            same += tokens[r] == want;
            if (tokens[r] == want) assert_float_equal(logprobs[r], want_logprob, 1e-4);
        }
        printf("  sampling T=%.1f top-p=%.1f: %d/%d tokens as the CPU rule\n", settings[k][0], settings[k][1], same, ROWS);
        // the device sums in another order: a uniform within ~1e-7 of a boundary may pick the neighbour
        assert_true(same >= ROWS - 1);
    }
    void *device[] = {logits_d, scratch_d, logprobs_d, uniforms_d, tokens_d};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) cuda_free(device[i]);
    free(logits);
}

// ---- the whole model ---------------------------------------------------------------------------

typedef struct TinySetup {
    Model cpu;
    CudaModel gpu;
    ModelSupportBatch batch;
    float *logprobs, *dlogprobs, *entropy, *gpu_logprobs, *gpu_entropy, *host;
} TinySetup;

// stem_norm: 1 keeps the preset's (instance norm after every stem conv), 0 turns it off.
static void tiny_setup(TinySetup *t, int stem_norm) {
    Error err;
    memset(t, 0, sizeof *t);
    ModelConfig config = model_support_tiny_config(48);
    config.candidate_head = config.candidate_pointer = 0; // the GPU build runs the plain model
    if (!stem_norm) config.stem_norm = 0;
    int len[3] = {20, 14, 9}, prefix[3] = {5, 4, 9};
    if (model_create(&t->cpu, &config, 4, 3, &err) != 0) fail_msg("%s", err.message);
    t->cpu.use_reference = 1; // the plain loops are the oracle
    // larger weights than the init: logits spread out, so differences would show
    model_support_random(t->cpu.params, t->cpu.param_count, 0.3f, 77);
    model_support_batch(&t->batch, &config, 3, len, prefix, 9);
    if (cuda_model_create(&t->gpu, &t->cpu, 4, &err) != 0) fail_msg("%s", err.message);
    size_t positions = (size_t)4 * config.max_text_len;
    t->logprobs = calloc(positions, 4), t->dlogprobs = calloc(positions, 4), t->entropy = calloc(positions, 4);
    t->gpu_logprobs = calloc(positions, 4), t->gpu_entropy = calloc(positions, 4);
    t->host = calloc(t->cpu.param_count, 4);
}

static void tiny_free(TinySetup *t) {
    model_free(&t->cpu);
    cuda_model_free(&t->gpu);
    model_support_batch_free(&t->batch);
    free(t->logprobs), free(t->dlogprobs), free(t->entropy), free(t->gpu_logprobs), free(t->gpu_entropy), free(t->host);
}

// Every parameter tensor on its own scale.
static void expect_tensors_close(const char *kind, const Model *cpu, const float *got, const float *want, double tol) {
    for (int i = 0; i < cpu->tensor_count; i++) {
        const ModelTensor *tensor = &cpu->tensors[i];
        char what[128];
        snprintf(what, sizeof what, "%s %s", kind, tensor->name);
        expect_close(what, got + tensor->offset, want + tensor->offset, tensor->count, tol);
    }
}

static void training_step_case(int stem_norm) {
    Error err;
    TinySetup t;
    tiny_setup(&t, stem_norm);
    printf(" tiny model, stem_norm %d\n", t.cpu.config.stem_norm);
    const ModelBatch *batch = &t.batch.batch;
    size_t positions = (size_t)batch->batch_size * batch->text_len_max;
    AdamWConfig ac;
    adamw_config_default(&ac);
    ac.clip_norm = 0.5f; // the random weights' gradient is larger: the clip path runs too
    CudaAdamWConfig gpu_ac = {.beta1 = ac.beta1, .beta2 = ac.beta2, .epsilon = ac.epsilon,
                              .weight_decay = ac.weight_decay, .clip_norm = ac.clip_norm};
    AdamW opt;
    assert_int_equal(adamw_create(&opt, &t.cpu, &ac, &err), 0);
    for (int step = 0; step < 2; step++) {
        model_zero_grad(&t.cpu);
        cuda_model_zero_grad(&t.gpu);
        if (model_forward(&t.cpu, batch, t.logprobs, t.entropy, &err) != 0) fail_msg("%s", err.message);
        if (cuda_model_forward(&t.gpu, batch, t.gpu_logprobs, t.gpu_entropy, &err) != 0) fail_msg("%s", err.message);
        printf(" step %d\n", step + 1);
        expect_close("model log-probs", t.gpu_logprobs, t.logprobs, positions, FORWARD_TOL * 10);
        expect_close("model entropy", t.gpu_entropy, t.entropy, positions, FORWARD_TOL * 10);
        long targets = 0;
        for (size_t i = 0; i < positions; i++) targets += batch->targets[i] >= 0;
        for (size_t i = 0; i < positions; i++) t.dlogprobs[i] = batch->targets[i] >= 0 ? -1.0f / targets : 0.0f;
        if (model_backward(&t.cpu, batch, t.dlogprobs, &err) != 0) fail_msg("%s", err.message);
        if (cuda_model_backward(&t.gpu, batch, t.dlogprobs, &err) != 0) fail_msg("%s", err.message);
        if (cuda_model_download_gradients(&t.gpu, t.host, &err) != 0) fail_msg("%s", err.message);
        expect_tensors_close("grad", &t.cpu, t.host, t.cpu.grads, 1e-3);
        double norm_cpu = adamw_update(&opt, &t.cpu, 1e-2f), norm_gpu = cuda_model_adamw_update(&t.gpu, &gpu_ac, 1e-2f);
        printf("  gradient norm CPU %.6f GPU %.6f\n", norm_cpu, norm_gpu);
        assert_true(fabs(norm_cpu - norm_gpu) <= 1e-4 * norm_cpu);
        if (cuda_model_download_parameters(&t.gpu, t.host, &err) != 0) fail_msg("%s", err.message);
        // AdamW moves a weight by ~lr·sign(g) early on: where |g| is at rounding level its sign (and so
        // its move) is not determined by float32, so such weights may differ by ~lr; count them apart.
        double worst = 0, g_max = 0;
        size_t moved_apart = 0;
        for (size_t i = 0; i < t.cpu.param_count; i++) g_max = fmax(g_max, fabs(t.cpu.grads[i]));
        for (size_t i = 0; i < t.cpu.param_count; i++) {
            double d = fabs((double)t.host[i] - t.cpu.params[i]);
            if (fabs(t.cpu.grads[i]) < 1e-5 * g_max) {
                moved_apart += d > 1e-4;
                continue;
            }
            if (!(d <= worst)) worst = d;
        }
        printf("  weights after AdamW: max abs diff %.2e; %zu of %zu weights with |g| at rounding level moved apart\n",
               worst, moved_apart, t.cpu.param_count);
        assert_true(worst <= 1e-4); // lr 1e-2: a wrong sign or moment would show as ~1e-2
        assert_true(moved_apart <= t.cpu.param_count / 1000);
        // the next step starts both sides from the CPU's weights (the moments stay each side's own)
        if (cuda_model_upload_parameters(&t.gpu, t.cpu.params, &err) != 0) fail_msg("%s", err.message);
    }
    adamw_free(&opt);
    tiny_free(&t);
}

static void test_training_step(void **state) {
    (void)state;
    training_step_case(1); // the presets' stem (instance norm after every conv)
    training_step_case(0); // without it: stem_normed aliases stem_conv
}

static void test_generation(void **state) {
    (void)state;
    Error err;
    TinySetup t;
    tiny_setup(&t, 1);
    enum { SAMPLES = 4, NEW = 12 };
    int prompt_len = 6, cpu_tokens[SAMPLES * NEW], gpu_tokens[SAMPLES * NEW], cpu_len[SAMPLES], gpu_len[SAMPLES];
    const float temperatures[2] = {0.0f, 1.0f};
    for (int k = 0; k < 2; k++) {
        GenerateOptions o = {.max_new_tokens = NEW, .temperature = temperatures[k], .top_p = k ? 0.9f : 1.0f, .seed = 11, .eos_token = 2};
        if (model_generate(&t.cpu, t.batch.images, t.batch.tokens, prompt_len, SAMPLES, &o, cpu_tokens, cpu_len, NULL,
                           &err) != 0)
            fail_msg("%s", err.message);
        if (cuda_model_generate(&t.gpu, t.batch.images, t.batch.tokens, prompt_len, SAMPLES, &o, gpu_tokens, gpu_len,
                                &err) != 0)
            fail_msg("%s", err.message);
        int same = 0;
        for (int s = 0; s < SAMPLES; s++)
            same += cpu_len[s] == gpu_len[s] &&
                    memcmp(cpu_tokens + s * NEW, gpu_tokens + s * NEW, sizeof(int) * cpu_len[s]) == 0;
        printf("  generation T=%.0f: %d/%d completions identical to model_generate\n", temperatures[k], same, SAMPLES);
        assert_true(same >= SAMPLES - 1);
    }
    tiny_free(&t);
}

int main(void) {
    if (cuda_device_count() < 1) {
        printf("skipped: no CUDA device (the CUDA build compiled; run bench/cuda_gpu.sh on a GPU machine)\n");
        return 0;
    }
    char name[256];
    int sms = 0;
    double gib = 0;
    Error err;
    if (cuda_device_describe(name, sizeof name, &sms, &gib, &err) == 0)
        printf("device: %s, %d SMs, %.1f GiB\n", name, sms, gib);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul),           cmocka_unit_test(test_conv),
        cmocka_unit_test(test_layernorm_and_gelu), cmocka_unit_test(test_instancenorm),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_softmax_logprob),  cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_training_step),    cmocka_unit_test(test_generation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
int main(void) {
    printf("skipped: built without CUDA (make CUDA=1 builds it)\n");
    return 0;
}
#endif

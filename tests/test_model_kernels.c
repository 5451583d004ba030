// test_model_kernels.c — each fast kernel (sgemm, im2col, OpenMP, SIMD) against its plain
// reference loop, forward and backward, on awkward sizes and with the prefix-LM mask.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "support/model_support.h"

static float *random_array(size_t n, float scale, uint64_t seed) {
    float *v = malloc(sizeof(float) * n);
    model_support_random(v, n, scale, seed);
    return v;
}

static float *copy_array(const float *v, size_t n) {
    float *c = malloc(sizeof(float) * n);
    memcpy(c, v, sizeof(float) * n);
    return c;
}

static void expect_close(const char *what, const float *a, const float *b, size_t n, double tolerance) {
    double diff = model_support_max_diff(what, a, b, n);
    if (!(diff <= tolerance)) fail_msg("%s: fast and reference differ by %g", what, diff);
}

static double max_abs(const float *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(v[i]) > m ? fabs(v[i]) : m;
    return m;
}

static void test_matmul_fast_matches_reference(void **state) {
    (void)state;
    int rows = 300, in = 29, out = 23; // several row blocks
    float *x = random_array((size_t)rows * in, 1, 1), *w = random_array((size_t)out * in, 1, 2), *b = random_array(out, 1, 3);
    float *g = random_array((size_t)rows * out, 1, 4);
    float *y_ref = malloc(sizeof(float) * rows * out), *y_fast = malloc(sizeof(float) * rows * out);
    matmul_forward_reference(y_ref, x, w, b, rows, in, out);
    matmul_forward_fast(y_fast, x, w, b, rows, in, out);
    expect_close("matmul forward", y_ref, y_fast, (size_t)rows * out, 1e-4);
    matmul_forward_fast(y_fast, x, w, NULL, rows, in, out); // no bias
    matmul_forward_reference(y_ref, x, w, NULL, rows, in, out);
    expect_close("matmul forward, no bias", y_ref, y_fast, (size_t)rows * out, 1e-4);
    // backward accumulates onto what is there
    float *dx_ref = random_array((size_t)rows * in, 1, 5), *dw_ref = random_array((size_t)out * in, 1, 6), *db_ref = random_array(out, 1, 7);
    float *dx_fast = copy_array(dx_ref, (size_t)rows * in), *dw_fast = copy_array(dw_ref, (size_t)out * in), *db_fast = copy_array(db_ref, out);
    matmul_backward_reference(dx_ref, dw_ref, db_ref, g, x, w, rows, in, out);
    matmul_backward_fast(dx_fast, dw_fast, db_fast, g, x, w, rows, in, out);
    expect_close("matmul dinp", dx_ref, dx_fast, (size_t)rows * in, 1e-4);
    expect_close("matmul dweight", dw_ref, dw_fast, (size_t)out * in, 1e-4);
    expect_close("matmul dbias", db_ref, db_fast, out, 1e-4);
    free(x), free(w), free(b), free(g), free(y_ref), free(y_fast), free(dx_ref), free(dw_ref), free(db_ref);
    free(dx_fast), free(dw_fast), free(db_fast);
}

static void conv2d_case(int stride, int images, int h, int w, int in_ch, int out_ch) {
    int oh = conv2d_output_size(h, stride), ow = conv2d_output_size(w, stride);
    size_t n_in = (size_t)images * h * w * in_ch, n_w = (size_t)out_ch * in_ch * 9, n_out = (size_t)images * oh * ow * out_ch;
    float *x = random_array(n_in, 1, 8), *weight = random_array(n_w, 1, 9), *bias = random_array(out_ch, 1, 10);
    float *g = random_array(n_out, 1, 11), *col = malloc(sizeof(float) * (size_t)images * oh * ow * 9 * in_ch);
    float *y_ref = malloc(sizeof(float) * n_out), *y_fast = malloc(sizeof(float) * n_out);
    conv2d_forward_reference(y_ref, NULL, x, weight, bias, images, h, w, in_ch, out_ch, stride);
    conv2d_forward_fast(y_fast, col, x, weight, bias, images, h, w, in_ch, out_ch, stride);
    expect_close("conv2d forward", y_ref, y_fast, n_out, 1e-4);
    // backward accumulates onto what is there
    float *dx_ref = random_array(n_in, 1, 12), *dw_ref = random_array(n_w, 1, 13), *db_ref = random_array(out_ch, 1, 14);
    float *dx_fast = copy_array(dx_ref, n_in), *dw_fast = copy_array(dw_ref, n_w), *db_fast = copy_array(db_ref, out_ch);
    conv2d_backward_reference(dx_ref, dw_ref, db_ref, g, NULL, x, weight, images, h, w, in_ch, out_ch, stride);
    conv2d_backward_fast(dx_fast, dw_fast, db_fast, g, col, x, weight, images, h, w, in_ch, out_ch, stride);
    expect_close("conv2d dinp", dx_ref, dx_fast, n_in, 1e-4);
    // d(weight) and d(bias) sum over every position: the reference adds thousands of float terms
    // one by one, so the tolerance scales with their size
    expect_close("conv2d dweight", dw_ref, dw_fast, n_w, 1e-4 * (1 + max_abs(dw_ref, n_w)));
    expect_close("conv2d dbias", db_ref, db_fast, out_ch, 1e-4 * (1 + max_abs(db_ref, out_ch)));
    free(x), free(weight), free(bias), free(g), free(col), free(y_ref), free(y_fast);
    free(dx_ref), free(dw_ref), free(db_ref), free(dx_fast), free(dw_fast), free(db_fast);
}

// stride 2 (the stem's downsampling convs) and 1 (the vision tower has both), odd height for the
// padding edge; then enough rows for several tasks of whole images (the last one partial), with
// bands that cross images (400 of 5x5) or cut them (23x21 = 483 positions: a full band and a part)
static void test_conv2d_fast_matches_reference(void **state) {
    (void)state;
    conv2d_case(2, 3, 9, 8, 5, 7);
    conv2d_case(1, 3, 9, 8, 5, 7);
    conv2d_case(2, 400, 9, 9, 3, 8);
    conv2d_case(1, 20, 23, 21, 6, 4);
    conv2d_case(2, 20, 45, 41, 6, 4);
}

// 1300 rows (three 512-row chunks, the last partial) x 19 channels
static void test_batchnorm_fast_matches_reference(void **state) {
    (void)state;
    int rows = 1300, channels = 19;
    size_t n = (size_t)rows * channels;
    float *x = random_array(n, 3, 51), *w = random_array(channels, 1, 52), *b = random_array(channels, 1, 53);
    float *g = random_array(n, 1, 54), *y_ref = malloc(4 * n), *y_fast = malloc(4 * n);
    float mean_ref[19], rstd_ref[19], mean_fast[19], rstd_fast[19];
    batchnorm_forward_reference(y_ref, mean_ref, rstd_ref, x, w, b, rows, channels, NULL);
    batchnorm_forward_fast(y_fast, mean_fast, rstd_fast, x, w, b, rows, channels, NULL);
    expect_close("batchnorm forward", y_ref, y_fast, n, 1e-5);
    expect_close("batchnorm mean", mean_ref, mean_fast, channels, 1e-6);
    expect_close("batchnorm rstd", rstd_ref, rstd_fast, channels, 1e-6);
    // backward accumulates onto what is there
    float *dx_ref = random_array(n, 1, 55), *dw_ref = random_array(channels, 1, 56), *db_ref = random_array(channels, 1, 57);
    float *dx_fast = copy_array(dx_ref, n), *dw_fast = copy_array(dw_ref, channels), *db_fast = copy_array(db_ref, channels);
    batchnorm_backward_reference(dx_ref, dw_ref, db_ref, g, x, w, mean_ref, rstd_ref, rows, channels, NULL);
    batchnorm_backward_fast(dx_fast, dw_fast, db_fast, g, x, w, mean_ref, rstd_ref, rows, channels, NULL);
    expect_close("batchnorm dinp", dx_ref, dx_fast, n, 1e-5);
    expect_close("batchnorm dweight", dw_ref, dw_fast, channels, 1e-3);
    expect_close("batchnorm dbias", db_ref, db_fast, channels, 1e-3);
    free(x), free(w), free(b), free(g), free(y_ref), free(y_fast);
    free(dx_ref), free(dw_ref), free(db_ref), free(dx_fast), free(dw_fast), free(db_fast);
}

// Synchronised batch norm: two "processes" (threads) with 700 and 600 of the 1300 rows, whose sums
// meet through a barrier, compute the statistics, outputs and input gradients of the whole batch;
// their parameter gradients are their own rows' (they add up to the whole batch's).
#define SYNC_CHANNELS 19
typedef struct SyncPair {
    pthread_barrier_t barrier;
    double shared[2][2 * SYNC_CHANNELS];
} SyncPair;
typedef struct SyncRank {
    SyncPair *pair;
    int rank, rows, fast;
    const float *x, *g, *w, *b;
    float *y, *dx, mean[SYNC_CHANNELS], rstd[SYNC_CHANNELS], dw[SYNC_CHANNELS], db[SYNC_CHANNELS];
} SyncRank;

static int pair_sum(void *user, double *values, int count) {
    SyncRank *r = user;
    memcpy(r->pair->shared[r->rank], values, sizeof(double) * count);
    pthread_barrier_wait(&r->pair->barrier);
    for (int i = 0; i < count; i++) values[i] = r->pair->shared[0][i] + r->pair->shared[1][i];
    pthread_barrier_wait(&r->pair->barrier); // nobody overwrites `shared` before both have read it
    return 0;
}

static void *sync_rank_run(void *arg) {
    SyncRank *r = arg;
    BatchnormSync sync = {pair_sum, r, 1300, 0};
    memset(r->dw, 0, sizeof r->dw), memset(r->db, 0, sizeof r->db);
    (r->fast ? batchnorm_forward_fast : batchnorm_forward_reference)(r->y, r->mean, r->rstd, r->x, r->w, r->b, r->rows,
                                                                     SYNC_CHANNELS, &sync);
    (r->fast ? batchnorm_backward_fast : batchnorm_backward_reference)(r->dx, r->dw, r->db, r->g, r->x, r->w, r->mean,
                                                                       r->rstd, r->rows, SYNC_CHANNELS, &sync);
    return sync.failed ? r : NULL;
}

static void test_batchnorm_sync_matches_whole_batch(void **state) {
    (void)state;
    int rows = 1300, channels = SYNC_CHANNELS, split = 700;
    size_t n = (size_t)rows * channels;
    float *x = random_array(n, 3, 61), *w = random_array(channels, 1, 62), *b = random_array(channels, 1, 63);
    float *g = random_array(n, 1, 64), *y = malloc(4 * n), *dx = calloc(n, 4);
    float mean[SYNC_CHANNELS], rstd[SYNC_CHANNELS], dw[SYNC_CHANNELS] = {0}, db[SYNC_CHANNELS] = {0};
    batchnorm_forward_reference(y, mean, rstd, x, w, b, rows, channels, NULL);
    batchnorm_backward_reference(dx, dw, db, g, x, w, mean, rstd, rows, channels, NULL);
    for (int fast = 0; fast < 2; fast++) {
        SyncPair pair;
        pthread_barrier_init(&pair.barrier, NULL, 2);
        float *ys = malloc(4 * n), *dxs = calloc(n, 4);
        SyncRank ranks[2];
        pthread_t threads[2];
        for (int k = 0; k < 2; k++) {
            size_t first = k == 0 ? 0 : (size_t)split * channels;
            ranks[k] = (SyncRank){.pair = &pair, .rank = k, .rows = k == 0 ? split : rows - split, .fast = fast,
                                  .x = x + first, .g = g + first, .w = w, .b = b, .y = ys + first, .dx = dxs + first};
            pthread_create(&threads[k], NULL, sync_rank_run, &ranks[k]);
        }
        for (int k = 0; k < 2; k++) {
            void *failed = NULL;
            pthread_join(threads[k], &failed);
            assert_null(failed);
            expect_close("synced mean", mean, ranks[k].mean, channels, 1e-6);
            expect_close("synced rstd", rstd, ranks[k].rstd, channels, 1e-5);
        }
        expect_close("synced forward", y, ys, n, 1e-5);
        expect_close("synced dinp", dx, dxs, n, 1e-5);
        float dw2[SYNC_CHANNELS], db2[SYNC_CHANNELS];
        for (int c = 0; c < channels; c++) dw2[c] = ranks[0].dw[c] + ranks[1].dw[c], db2[c] = ranks[0].db[c] + ranks[1].db[c];
        expect_close("synced dweight (summed over ranks)", dw, dw2, channels, 1e-3);
        expect_close("synced dbias (summed over ranks)", db, db2, channels, 1e-3);
        pthread_barrier_destroy(&pair.barrier);
        free(ys), free(dxs);
    }
    free(x), free(w), free(b), free(g), free(y), free(dx);
}

// 2 images x 37 positions x 300 channels: more than one 256-channel chunk and a partial 16-block
static void test_instancenorm_fast_matches_reference(void **state) {
    (void)state;
    int images = 2, positions = 37, channels = 300;
    size_t n = (size_t)images * positions * channels, stats = (size_t)images * channels;
    float *x = random_array(n, 3, 41), *w = random_array(channels, 1, 42), *b = random_array(channels, 1, 43);
    float *g = random_array(n, 1, 44), *y_ref = malloc(4 * n), *y_fast = malloc(4 * n);
    float *mean_ref = malloc(4 * stats), *rstd_ref = malloc(4 * stats), *mean_fast = malloc(4 * stats),
          *rstd_fast = malloc(4 * stats);
    instancenorm_forward_reference(y_ref, mean_ref, rstd_ref, x, w, b, images, positions, channels);
    instancenorm_forward_fast(y_fast, mean_fast, rstd_fast, x, w, b, images, positions, channels);
    expect_close("instancenorm forward", y_ref, y_fast, n, 1e-5);
    expect_close("instancenorm rstd", rstd_ref, rstd_fast, stats, 1e-5);
    float *dx_ref = calloc(n, 4), *dx_fast = calloc(n, 4), *dw_ref = calloc(channels, 4), *db_ref = calloc(channels, 4),
          *dw_fast = calloc(channels, 4), *db_fast = calloc(channels, 4);
    instancenorm_backward_reference(dx_ref, dw_ref, db_ref, g, x, w, mean_ref, rstd_ref, images, positions, channels);
    instancenorm_backward_fast(dx_fast, dw_fast, db_fast, g, x, w, mean_fast, rstd_fast, images, positions, channels);
    expect_close("instancenorm dinp", dx_ref, dx_fast, n, 1e-5);
    expect_close("instancenorm dweight", dw_ref, dw_fast, channels, 1e-4);
    expect_close("instancenorm dbias", db_ref, db_fast, channels, 1e-4);
    free(x), free(w), free(b), free(g), free(y_ref), free(y_fast), free(mean_ref), free(rstd_ref), free(mean_fast);
    free(rstd_fast), free(dx_ref), free(dx_fast), free(dw_ref), free(db_ref), free(dw_fast), free(db_fast);
}

static void test_layernorm_and_gelu_fast_match_reference(void **state) {
    (void)state;
    int rows = 33, dim = 19;
    size_t n = (size_t)rows * dim;
    float *x = random_array(n, 3, 12), *w = random_array(dim, 1, 13), *b = random_array(dim, 1, 14), *g = random_array(n, 1, 15);
    float *y_ref = malloc(4 * n), *y_fast = malloc(4 * n), mean_ref[33], rstd_ref[33], mean_fast[33], rstd_fast[33];
    layernorm_forward_reference(y_ref, mean_ref, rstd_ref, x, w, b, rows, dim);
    layernorm_forward_fast(y_fast, mean_fast, rstd_fast, x, w, b, rows, dim);
    expect_close("layernorm forward", y_ref, y_fast, n, 1e-5);
    float *dx_ref = calloc(n, 4), *dx_fast = calloc(n, 4), dw_ref[19] = {0}, db_ref[19] = {0}, dw_fast[19] = {0}, db_fast[19] = {0};
    layernorm_backward_reference(dx_ref, dw_ref, db_ref, g, x, w, mean_ref, rstd_ref, rows, dim);
    layernorm_backward_fast(dx_fast, dw_fast, db_fast, g, x, w, mean_fast, rstd_fast, rows, dim);
    expect_close("layernorm dinp", dx_ref, dx_fast, n, 1e-5);
    expect_close("layernorm dweight", dw_ref, dw_fast, dim, 1e-4);
    expect_close("layernorm dbias", db_ref, db_fast, dim, 1e-4);
    gelu_forward_reference(y_ref, x, n);
    gelu_forward_fast(y_fast, x, n);
    expect_close("gelu forward", y_ref, y_fast, n, 2e-6);
    memset(dx_ref, 0, 4 * n), memset(dx_fast, 0, 4 * n);
    gelu_backward_reference(dx_ref, x, g, n);
    gelu_backward_fast(dx_fast, x, g, n);
    expect_close("gelu backward", dx_ref, dx_fast, n, 2e-6);
    free(x), free(w), free(b), free(g), free(y_ref), free(y_fast), free(dx_ref), free(dx_fast);
}

static void test_attention_fast_matches_reference(void **state) {
    (void)state;
    // 7 image tokens + 10 text; rows: long completion, prompt only, padded, one-token prompt
    static const int text_len[4] = {10, 6, 7, 4}, prefix_len[4] = {3, 6, 2, 1};
    AttentionMask mask = {7, text_len, prefix_len};
    int B = 4, N = 17, D = 12, H = 3;
    size_t n_qkv = (size_t)B * N * 3 * D, n_out = (size_t)B * N * D, n_probs = (size_t)B * H * N * N;
    float *qkv = random_array(n_qkv, 2, 16), *g = random_array(n_out, 1, 17);
    float *o_ref = malloc(4 * n_out), *o_fast = malloc(4 * n_out), *p_ref = malloc(4 * n_probs), *p_fast = malloc(4 * n_probs);
    attention_forward_reference(o_ref, p_ref, qkv, &mask, B, N, D, H);
    attention_forward_fast(o_fast, p_fast, qkv, &mask, B, N, D, H);
    expect_close("attention forward", o_ref, o_fast, n_out, 1e-5);
    expect_close("attention probs", p_ref, p_fast, n_probs, 1e-6);
    // the mask: row 0 query at text 4 sees images, prefix (0..2) and text 3..4, not text 5
    const float *p = p_ref + ((size_t)0 * H * N + 7 + 4) * N;
    assert_true(p[0] > 0 && p[7 + 2] > 0 && p[7 + 4] > 0);
    assert_true(p[7 + 5] == 0.0f);
    // a prefix query of row 0 (text 1) sees text 2 (bidirectional) but not 3
    p = p_ref + ((size_t)7 + 1) * N;
    assert_true(p[7 + 2] > 0 && p[7 + 3] == 0.0f);
    float *d_ref = calloc(n_qkv, 4), *d_fast = calloc(n_qkv, 4);
    float *scratch = malloc(4 * n_probs);
    attention_backward_reference(d_ref, NULL, g, p_ref, qkv, &mask, B, N, D, H);
    attention_backward_fast(d_fast, scratch, g, p_fast, qkv, &mask, B, N, D, H);
    free(scratch);
    expect_close("attention dqkv", d_ref, d_fast, n_qkv, 1e-5);
    // a decode row equals the full attention's last causal row (row 0, text position 9)
    float decoded[12], scores[17], keys[17 * 12], values[17 * 12];
    for (int j = 0; j < 17; j++) {
        memcpy(keys + j * D, qkv + (size_t)j * 3 * D + D, 4 * D);
        memcpy(values + j * D, qkv + (size_t)j * 3 * D + 2 * D, 4 * D);
    }
    attention_decode_row(decoded, scores, qkv + (size_t)16 * 3 * D, keys, values, (size_t)D, 17, D, H);
    expect_close("attention decode row", decoded, o_ref + (size_t)16 * D, (size_t)D, 1e-5);
    free(qkv), free(g), free(o_ref), free(o_fast), free(p_ref), free(p_fast), free(d_ref), free(d_fast);
}

static void test_softmax_logprob_fast_matches_reference(void **state) {
    (void)state;
    int rows = 9, vocab = 31;
    int targets[9] = {0, 5, -1, 30, 2, -1, 7, 7, 1};
    size_t n = (size_t)rows * vocab;
    float *x_ref = random_array(n, 5, 18), *x_fast = copy_array(x_ref, n), *g = random_array(rows, 1, 19);
    float lp_ref[9], lp_fast[9], ent_ref[9], ent_fast[9];
    softmax_logprob_forward_reference(lp_ref, ent_ref, x_ref, targets, rows, vocab);
    softmax_logprob_forward_fast(lp_fast, ent_fast, x_fast, targets, rows, vocab);
    expect_close("softmax logprob", lp_ref, lp_fast, rows, 2e-6);
    expect_close("softmax entropy", ent_ref, ent_fast, rows, 2e-6);
    assert_true(lp_ref[2] == 0.0f && lp_ref[5] == 0.0f);
    double sum = 0;
    for (int v = 0; v < vocab; v++) sum += x_ref[v];
    assert_true(fabs(sum - 1.0) < 1e-5);
    float *d_ref = malloc(4 * n), *d_fast = malloc(4 * n);
    softmax_logprob_backward_reference(d_ref, g, x_ref, targets, rows, vocab);
    softmax_logprob_backward_fast(d_fast, g, x_fast, targets, rows, vocab);
    expect_close("softmax dlogits", d_ref, d_fast, n, 1e-6);
    for (int v = 0; v < vocab; v++) assert_true(d_ref[2 * vocab + v] == 0.0f); // no target, no gradient
    free(x_ref), free(x_fast), free(g), free(d_ref), free(d_fast);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_fast_matches_reference),
        cmocka_unit_test(test_conv2d_fast_matches_reference),
        cmocka_unit_test(test_batchnorm_fast_matches_reference),
        cmocka_unit_test(test_batchnorm_sync_matches_whole_batch),
        cmocka_unit_test(test_instancenorm_fast_matches_reference),
        cmocka_unit_test(test_layernorm_and_gelu_fast_match_reference),
        cmocka_unit_test(test_attention_fast_matches_reference),
        cmocka_unit_test(test_softmax_logprob_fast_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

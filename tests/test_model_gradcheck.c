// test_model_gradcheck.c — finite-difference checks of every layer's backward (reference kernels,
// then the whole tiny model): for a loss L = Σ out·r with random r, each checked input or weight
// entry must satisfy (L(x+ε) − L(x−ε)) / 2ε ≈ the analytic gradient.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "model/model.h"
#include "support/model_support.h"


// A layer under test: `run` recomputes the scalar loss from the current inputs.
typedef double (*LossFunction)(void *context);

static double dot_double(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// Compares numerical and analytic gradients on up to `limit` spread-out entries of x.
static void gradcheck_entries(const char *what, float *x, size_t n, const float *analytic, LossFunction loss,
                              void *context, size_t limit, float epsilon) {
    double worst = 0.0;
    size_t checks = n < limit ? n : limit;
    for (size_t c = 0; c < checks; c++) {
        size_t i = (c * 7919u + 13u) % n;
        float saved = x[i];
        x[i] = saved + epsilon;
        double plus = loss(context);
        x[i] = saved - epsilon;
        double minus = loss(context);
        x[i] = saved;
        double numeric = (plus - minus) / (2.0 * epsilon), error = fabs(numeric - analytic[i]);
        double allowed = 3e-3 + 3e-2 * fmax(fabs(numeric), fabs(analytic[i]));
        if (error > allowed)
            fail_msg("%s[%zu]: numeric %.6g vs analytic %.6g", what, i, numeric, (double)analytic[i]);
        worst = fmax(worst, error);
    }
    printf("  %-28s %zu entries, max |numeric - analytic| %.3g\n", what, checks, worst);
}

static void gradcheck(const char *what, float *x, size_t n, const float *analytic, LossFunction loss, void *context) {
    gradcheck_entries(what, x, n, analytic, loss, context, 24, 1e-2f);
}

static float *random_array(size_t n, float scale, uint64_t seed) {
    float *v = malloc(sizeof(float) * n);
    model_support_random(v, n, scale, seed);
    return v;
}

// ---- matmul ----
typedef struct MatmulCase {
    float *out, *inp, *weight, *bias, *r;
    int rows, in_dim, out_dim;
} MatmulCase;

static double matmul_loss(void *p) {
    MatmulCase *m = p;
    matmul_forward_reference(m->out, m->inp, m->weight, m->bias, m->rows, m->in_dim, m->out_dim);
    return dot_double(m->out, m->r, (size_t)m->rows * m->out_dim);
}

static void test_matmul_gradient(void **state) {
    (void)state;
    MatmulCase m = {NULL, random_array(5 * 7, 1, 1), random_array(6 * 7, 1, 2), random_array(6, 1, 3), random_array(5 * 6, 1, 4), 5, 7, 6};
    m.out = malloc(sizeof(float) * 30);
    float *dinp = calloc(35, 4), *dw = calloc(42, 4), *db = calloc(6, 4);
    matmul_backward_reference(dinp, dw, db, m.r, m.inp, m.weight, 5, 7, 6);
    gradcheck("matmul input", m.inp, 35, dinp, matmul_loss, &m);
    gradcheck("matmul weight", m.weight, 42, dw, matmul_loss, &m);
    gradcheck("matmul bias", m.bias, 6, db, matmul_loss, &m);
    free(m.out), free(m.inp), free(m.weight), free(m.bias), free(m.r), free(dinp), free(dw), free(db);
}

// ---- conv2d ----
typedef struct ConvCase {
    float *out, *inp, *weight, *bias, *r;
    int images, height, width, in_ch, out_ch, stride;
} ConvCase;

static double conv_loss(void *p) {
    ConvCase *c = p;
    conv2d_forward_reference(c->out, NULL, c->inp, c->weight, c->bias, c->images, c->height, c->width, c->in_ch, c->out_ch,
                             c->stride);
    size_t n = (size_t)c->images * conv2d_output_size(c->height, c->stride) * conv2d_output_size(c->width, c->stride) *
               c->out_ch;
    return dot_double(c->out, c->r, n);
}

static void conv2d_gradient_case(int stride) {
    ConvCase c = {NULL, NULL, NULL, NULL, NULL, 2, 6, 5, 3, 4, stride}; // odd width exercises the padding edge
    size_t n_in = 2 * 6 * 5 * 3, n_w = 4 * 3 * 9;
    size_t n_out = 2 * (size_t)conv2d_output_size(6, stride) * conv2d_output_size(5, stride) * 4;
    c.inp = random_array(n_in, 1, 5), c.weight = random_array(n_w, 0.5f, 6), c.bias = random_array(4, 1, 7);
    c.r = random_array(n_out, 1, 8), c.out = malloc(sizeof(float) * n_out);
    float *dinp = calloc(n_in, 4), *dw = calloc(n_w, 4), *db = calloc(4, 4);
    conv2d_backward_reference(dinp, dw, db, c.r, NULL, c.inp, c.weight, 2, 6, 5, 3, 4, stride);
    gradcheck(stride == 2 ? "conv2d input" : "conv2d stride 1 input", c.inp, n_in, dinp, conv_loss, &c);
    gradcheck(stride == 2 ? "conv2d weight" : "conv2d stride 1 weight", c.weight, n_w, dw, conv_loss, &c);
    gradcheck(stride == 2 ? "conv2d bias" : "conv2d stride 1 bias", c.bias, 4, db, conv_loss, &c);
    free(c.out), free(c.inp), free(c.weight), free(c.bias), free(c.r), free(dinp), free(dw), free(db);
}

static void test_conv2d_gradient(void **state) {
    (void)state;
    conv2d_gradient_case(2);
    conv2d_gradient_case(1);
}

// ---- layernorm ----
typedef struct NormCase {
    float *out, *mean, *rstd, *inp, *weight, *bias, *r;
    int rows, dim;
} NormCase;

static double layernorm_loss(void *p) {
    NormCase *c = p;
    layernorm_forward_reference(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->rows, c->dim);
    return dot_double(c->out, c->r, (size_t)c->rows * c->dim);
}

static void test_layernorm_gradient(void **state) {
    (void)state;
    NormCase c = {malloc(4 * 40), malloc(4 * 4), malloc(4 * 4), random_array(40, 2, 9), random_array(10, 1, 10),
                  random_array(10, 1, 11), random_array(40, 1, 12), 4, 10};
    float *dinp = calloc(40, 4), *dw = calloc(10, 4), *db = calloc(10, 4);
    layernorm_forward_reference(c.out, c.mean, c.rstd, c.inp, c.weight, c.bias, 4, 10);
    layernorm_backward_reference(dinp, dw, db, c.r, c.inp, c.weight, c.mean, c.rstd, 4, 10);
    gradcheck("layernorm input", c.inp, 40, dinp, layernorm_loss, &c);
    gradcheck("layernorm weight", c.weight, 10, dw, layernorm_loss, &c);
    gradcheck("layernorm bias", c.bias, 10, db, layernorm_loss, &c);
    free(c.out), free(c.mean), free(c.rstd), free(c.inp), free(c.weight), free(c.bias), free(c.r);
    free(dinp), free(dw), free(db);
}

// ---- instance norm (the stem's): NormCase with rows = images, dim = channels, 6 positions ----
#define INORM_POSITIONS 6

static double instancenorm_loss(void *p) {
    NormCase *c = p;
    instancenorm_forward_reference(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->rows, INORM_POSITIONS,
                                   c->dim);
    return dot_double(c->out, c->r, (size_t)c->rows * INORM_POSITIONS * c->dim);
}

static void test_instancenorm_gradient(void **state) {
    (void)state;
    size_t n = 3 * INORM_POSITIONS * 5; // 3 images, 5 channels
    NormCase c = {malloc(4 * n), malloc(4 * 15), malloc(4 * 15), random_array(n, 2, 31), random_array(5, 1, 32),
                  random_array(5, 1, 33), random_array(n, 1, 34), 3, 5};
    float *dinp = calloc(n, 4), *dw = calloc(5, 4), *db = calloc(5, 4);
    instancenorm_forward_reference(c.out, c.mean, c.rstd, c.inp, c.weight, c.bias, 3, INORM_POSITIONS, 5);
    instancenorm_backward_reference(dinp, dw, db, c.r, c.inp, c.weight, c.mean, c.rstd, 3, INORM_POSITIONS, 5);
    gradcheck("instancenorm input", c.inp, n, dinp, instancenorm_loss, &c);
    gradcheck("instancenorm weight", c.weight, 5, dw, instancenorm_loss, &c);
    gradcheck("instancenorm bias", c.bias, 5, db, instancenorm_loss, &c);
    free(c.out), free(c.mean), free(c.rstd), free(c.inp), free(c.weight), free(c.bias), free(c.r);
    free(dinp), free(dw), free(db);
}

// ---- gelu ----
typedef struct GeluCase {
    float *out, *inp, *r;
    size_t n;
} GeluCase;

static double gelu_loss(void *p) {
    GeluCase *c = p;
    gelu_forward_reference(c->out, c->inp, c->n);
    return dot_double(c->out, c->r, c->n);
}

static void test_gelu_gradient(void **state) {
    (void)state;
    GeluCase c = {malloc(4 * 30), random_array(30, 3, 13), random_array(30, 1, 14), 30};
    float *dinp = calloc(30, 4);
    gelu_backward_reference(dinp, c.inp, c.r, 30);
    gradcheck("gelu input", c.inp, 30, dinp, gelu_loss, &c);
    free(c.out), free(c.inp), free(c.r), free(dinp);
}

// ---- attention with the prefix-LM mask ----
typedef struct AttentionCase {
    float *out, *probs, *qkv, *r;
    AttentionMask mask;
    int batch, seq, dim, heads;
} AttentionCase;

static double attention_loss(void *p) {
    AttentionCase *c = p;
    attention_forward_reference(c->out, c->probs, c->qkv, &c->mask, c->batch, c->seq, c->dim, c->heads);
    return dot_double(c->out, c->r, (size_t)c->batch * c->seq * c->dim);
}

static void test_attention_gradient(void **state) {
    (void)state;
    // 3 image tokens + 6 text positions; row 0: prefix 2 of 6; row 1: prefix 3 of 4 (2 padding)
    static const int text_len[2] = {6, 4}, prefix_len[2] = {2, 3};
    int B = 2, N = 9, D = 8, H = 2;
    size_t n_qkv = (size_t)B * N * 3 * D, n_out = (size_t)B * N * D;
    AttentionCase c = {malloc(4 * n_out), malloc(4 * (size_t)B * H * N * N), random_array(n_qkv, 1, 15),
                       random_array(n_out, 1, 16), {3, text_len, prefix_len}, B, N, D, H};
    // the loss only reads real positions, as the model does (padding outputs feed nothing)
    for (int t = 4; t < 6; t++)
        for (int d = 0; d < D; d++) c.r[((size_t)N + 3 + t) * D + d] = 0.0f;
    float *dqkv = calloc(n_qkv, 4);
    attention_forward_reference(c.out, c.probs, c.qkv, &c.mask, B, N, D, H);
    attention_backward_reference(dqkv, NULL, c.r, c.probs, c.qkv, &c.mask, B, N, D, H);
    gradcheck("attention qkv", c.qkv, n_qkv, dqkv, attention_loss, &c);
    // padding keys/values of row 1 get exactly zero gradient
    for (int t = 4; t < 6; t++)
        for (int d = 0; d < 3 * D; d++) assert_true(dqkv[((size_t)N + 3 + t) * 3 * D + d] == 0.0f);
    free(c.out), free(c.probs), free(c.qkv), free(c.r), free(dqkv);
}

// ---- softmax + log-prob head ----
typedef struct SoftmaxCase {
    float *logprob, *probs, *logits, *r;
    const int *targets;
    int rows, vocab;
} SoftmaxCase;

static double softmax_loss(void *p) {
    SoftmaxCase *c = p;
    memcpy(c->probs, c->logits, sizeof(float) * c->rows * c->vocab);
    softmax_logprob_forward_reference(c->logprob, NULL, c->probs, c->targets, c->rows, c->vocab);
    return dot_double(c->logprob, c->r, (size_t)c->rows);
}

static void test_softmax_logprob_gradient(void **state) {
    (void)state;
    static const int targets[3] = {4, -1, 0};
    SoftmaxCase c = {malloc(4 * 3), malloc(4 * 3 * 7), random_array(21, 3, 17), random_array(3, 1, 18), targets, 3, 7};
    float *dlogits = calloc(21, 4);
    softmax_loss(&c);
    softmax_logprob_backward_reference(dlogits, c.r, c.probs, targets, 3, 7);
    gradcheck("softmax logits", c.logits, 21, dlogits, softmax_loss, &c);
    free(c.logprob), free(c.probs), free(c.logits), free(c.r), free(dlogits);
}

// ---- the whole model: embeddings, stem, blocks, tied head (and the candidate parts) ----
typedef struct ModelCase {
    Model model;
    ModelSupportBatch sb;
    float *logprobs, *weights;
} ModelCase;

// Σ weights·logprobs, plus aux_weight × the auxiliary loss when the batch has labels: the loss
// whose gradient model_backward computes when given dlogprobs = weights.
static double model_loss(void *p) {
    ModelCase *c = p;
    Error err;
    if (model_forward(&c->model, &c->sb.batch, c->logprobs, NULL, &err) != 0) fail_msg("%s", err.message);
    double aux = c->sb.batch.candidate_flawed ? (double)c->sb.batch.aux_weight * c->model.last_aux_loss : 0.0;
    return dot_double(c->logprobs, c->weights, (size_t)c->sb.batch.batch_size * c->sb.batch.text_len_max) + aux;
}

static void whole_model_gradient(int candidate_head, int candidate_pointer) {
    ModelCase c;
    Error err;
    // tiny, shrunk further: 2x2 tokens per image, width 16 (every layer kind, a fraction of the cost)
    ModelConfig config = model_support_tiny_config(20);
    config.image_size = 8, config.dim = 16, config.mlp_hidden = 32, config.max_text_len = 12;
    config.candidate_head = candidate_head, config.candidate_pointer = candidate_pointer;
    assert_int_equal(model_create(&c.model, &config, 2, 21, &err), 0);
    c.model.use_reference = 1;
    static const int len[2] = {9, 6}, prefix[2] = {3, 4};
    static const float flawed[8] = {1, 0, 0, 1, 0, 1, 1, 0};
    model_support_batch(&c.sb, &config, 2, len, prefix, 22);
    if (candidate_head) c.sb.batch.candidate_flawed = flawed, c.sb.batch.aux_weight = 2.0f;
    size_t n = (size_t)2 * c.sb.batch.text_len_max;
    c.logprobs = malloc(sizeof(float) * n);
    c.weights = random_array(n, 1, 23);
    for (size_t i = 0; i < n; i++)
        if (c.sb.targets[i] < 0) c.weights[i] = 0.0f;
    // larger weights than the init so every path carries gradient
    for (size_t i = 0; i < c.model.param_count; i++) c.model.params[i] *= 2.0f;
    model_zero_grad(&c.model);
    model_loss(&c);
    assert_int_equal(model_backward(&c.model, &c.sb.batch, c.weights, &err), 0);
    for (int i = 0; i < c.model.tensor_count; i++) {
        const ModelTensor *t = &c.model.tensors[i];
        // one tensor of each kind is enough: block 0 and the embeddings/stem/head (with the
        // candidate parts, the last block too: the pooling reads the stream entering it)
        if (strncmp(t->name, "blocks.1.", 9) == 0 && !candidate_head) continue;
        gradcheck_entries(t->name, c.model.params + t->offset, t->count, c.model.grads + t->offset, model_loss, &c, 12, 2e-3f);
    }
    free(c.logprobs), free(c.weights);
    model_support_batch_free(&c.sb);
    model_free(&c.model);
}

static void test_whole_model_gradient(void **state) {
    (void)state;
    whole_model_gradient(0, 0);
}

static void test_whole_model_gradient_candidate_head(void **state) {
    (void)state;
    whole_model_gradient(1, 0);
}

static void test_whole_model_gradient_candidate_pointer(void **state) {
    (void)state;
    whole_model_gradient(1, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_gradient),      cmocka_unit_test(test_conv2d_gradient),
        cmocka_unit_test(test_layernorm_gradient),   cmocka_unit_test(test_instancenorm_gradient),
        cmocka_unit_test(test_gelu_gradient),
        cmocka_unit_test(test_attention_gradient),   cmocka_unit_test(test_softmax_logprob_gradient),
        cmocka_unit_test(test_whole_model_gradient),  cmocka_unit_test(test_whole_model_gradient_candidate_head),
        cmocka_unit_test(test_whole_model_gradient_candidate_pointer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

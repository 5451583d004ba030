// test_tower.c — the vision tower: fast kernels against the reference loops, gradients against
// finite differences, batch norm's running statistics, save/load, and the tower under the model.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "core/rng.h"
#include "model/model.h"
#include "model/tower.h"
#include "support/check.h"
#include "support/train_fixture.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { B = 3, KINDS = 6 };

typedef struct Fixture {
    TowerConfig config;
    float *images;
    int dimension[B];
    float flawed[B * 4];
    float *tokens;
    int light[B * 4], shadow[B * 4], kind[B * 4];
} Fixture;

static void fixture_make(Fixture *f) {
    Error err = {0};
    if (tower_config_preset(&f->config, "tiny", KINDS, &err) != 0) abort();
    f->config.image_size = 16; // 2x2 tokens: small enough for finite differences
    size_t S = 16, P = (size_t)tower_tokens(&f->config);
    f->images = malloc(sizeof(float) * B * 5 * 3 * S * S);
    f->tokens = malloc(sizeof(float) * B * 4 * P * TOWER_TOKEN_TARGETS);
    Rng rng = rng_stream(7, 0, 0);
    for (size_t i = 0; i < B * 5 * 3 * S * S; i++) f->images[i] = (float)rng_next_range(&rng, -1, 1);
    for (size_t i = 0; i < B * 4 * P * TOWER_TOKEN_TARGETS; i++) f->tokens[i] = rng_next_double(&rng) < 0.3;
    for (int i = 0; i < B * 4; i++) {
        f->flawed[i] = rng_next_double(&rng) < 0.5;
        f->light[i] = rng_next_int(&rng, 2);
        f->shadow[i] = i == 1 ? -1 : rng_next_int(&rng, 4);
        f->kind[i] = rng_next_int(&rng, KINDS);
    }
    f->dimension[0] = 1, f->dimension[1] = -1, f->dimension[2] = 3;
}

static double loss_of(Tower *t, const Fixture *f, int backward) {
    Error err = {0};
    if (tower_forward(t, f->images, f->dimension, B, 1, NULL, &err) != 0) abort();
    TowerTargets targets = {f->flawed, f->tokens, f->light, f->shadow, f->kind};
    TowerLossWeights w;
    tower_loss_weights_default(&w);
    TowerLoss loss = tower_loss(t, &targets, &w);
    if (backward && tower_backward(t, &err) != 0) abort();
    return loss.total;
}

// The reference loops against finite differences of the loss, in double-checked float.
static void test_gradients(const Fixture *f) {
    Tower t;
    Error err = {0};
    if (tower_create(&t, &f->config, B, 3, &err) != 0) abort();
    t.use_reference = 1;
    // a non-trivial dimension embedding and heads so every path carries gradient
    Rng rng = rng_stream(9, 0, 0);
    for (size_t i = 0; i < t.param_count; i++)
        if (t.params[i] == 0.0f) t.params[i] = (float)(0.05 * rng_next_normal(&rng));
    tower_zero_grad(&t);
    loss_of(&t, f, 1);
    float *analytic = malloc(sizeof(float) * t.param_count);
    memcpy(analytic, t.grads, sizeof(float) * t.param_count);
    int checked = 0, bad = 0;
    for (int k = 0; k < t.tensor_count; k++) {
        const ModelTensor *tensor = &t.tensors[k];
        for (int j = 0; j < 3; j++) {
            size_t i = tensor->offset + (size_t)(rng_next_u64(&rng) % tensor->count);
            float saved = t.params[i], h = 1e-2f;
            t.params[i] = saved + h;
            double up = loss_of(&t, f, 0);
            t.params[i] = saved - h;
            double down = loss_of(&t, f, 0);
            t.params[i] = saved;
            double numeric = (up - down) / (2 * h), a = analytic[i];
            double tolerance = 2e-3 + 0.05 * fabs(numeric);
            checked++;
            if (fabs(numeric - a) > tolerance) {
                bad++;
                fprintf(stderr, "  %s[%zu]: analytic %.6f numeric %.6f\n", tensor->name, i - tensor->offset, a, numeric);
            }
        }
    }
    // max pooling and ReLU kinks may break a rare central difference; the rest must agree
    CHECK(bad <= checked / 20, "%d of %d gradients disagree with finite differences", bad, checked);
    free(analytic);
    tower_free(&t);
}

static void test_fast_matches_reference(const Fixture *f) {
    Tower a, b;
    Error err = {0};
    if (tower_create(&a, &f->config, B, 5, &err) != 0 || tower_create(&b, &f->config, B, 5, &err) != 0) abort();
    a.use_reference = 1;
    double la = loss_of(&a, f, 1), lb = loss_of(&b, f, 1);
    CHECK(fabs(la - lb) < 1e-4, "loss reference %.6f fast %.6f", la, lb);
    double worst = 0;
    for (size_t i = 0; i < a.param_count; i++) {
        double d = fabs(a.grads[i] - b.grads[i]) / (1e-3 + fabs(a.grads[i]));
        if (d > worst) worst = d;
    }
    CHECK(worst < 1e-2, "fast gradients differ from the reference by %.3g (relative)", worst);
    for (size_t i = 0; i < a.buffer_count; i++)
        CHECK(fabs(a.buffers[i] - b.buffers[i]) < 1e-4, "running statistic %zu differs", i);
    tower_free(&a);
    tower_free(&b);
}

// Inference uses running statistics: after many training forwards on one batch, they converge to
// the batch's, so the inference output approaches the training output.
static void test_running_statistics(const Fixture *f) {
    Tower t;
    Error err = {0};
    if (tower_create(&t, &f->config, B, 5, &err) != 0) abort();
    TowerOutput out;
    float train[B * 4], infer[B * 4];
    for (int i = 0; i < 200; i++)
        if (tower_forward(&t, f->images, f->dimension, B, 1, &out, &err) != 0) abort();
    memcpy(train, out.flaw_logit, sizeof train);
    if (tower_forward(&t, f->images, f->dimension, B, 0, &out, &err) != 0) abort();
    memcpy(infer, out.flaw_logit, sizeof infer);
    for (int i = 0; i < B * 4; i++) CHECK(fabs(train[i] - infer[i]) < 1e-2, "logit %d: train %.5f infer %.5f", i, train[i], infer[i]);
    // one sample alone gives the same inference output as inside the batch
    if (tower_forward(&t, f->images + 5 * 3 * 16 * 16, f->dimension + 1, 1, 0, &out, &err) != 0) abort();
    for (int c = 0; c < 4; c++) CHECK(fabs(out.flaw_logit[c] - infer[4 + c]) < 1e-5, "one-sample inference differs");
    CHECK(tower_backward(&t, &err) != 0, "backward after an inference forward must be refused");
    tower_free(&t);
}

static void test_save_load(const Fixture *f) {
    Tower t, u;
    Error err = {0};
    if (tower_create(&t, &f->config, B, 5, &err) != 0) abort();
    for (int i = 0; i < 3; i++) loss_of(&t, f, 0); // move the running statistics
    char *dir = train_fixture_tempdir("tower");
    CHECK(tower_save(&t, dir, &err) == 0, "save: %s", err.message);
    CHECK(tower_load(&u, dir, B, &err) == 0, "load: %s", err.message);
    TowerOutput out;
    float expected[B * 4];
    tower_forward(&t, f->images, f->dimension, B, 0, &out, &err);
    memcpy(expected, out.flaw_logit, sizeof expected);
    tower_forward(&u, f->images, f->dimension, B, 0, &out, &err);
    CHECK(memcmp(expected, out.flaw_logit, sizeof expected) == 0, "a loaded tower computes another function");
    tower_free(&u);
    // a model with the tower under it: save, load, same log-probabilities, and only the projection
    // and the language side learn
    ModelConfig config;
    if (model_config_preset(&config, "tiny", 40, &err) != 0) abort();
    if (model_config_attach_tower(&config, &t.config, &err) != 0) abort();
    Model m, n;
    CHECK(model_create(&m, &config, B, 4, &err) == 0, "model with tower: %s", err.message);
    memcpy(m.tower->params, t.params, sizeof(float) * t.param_count);
    memcpy(m.tower->buffers, t.buffers, sizeof(float) * t.buffer_count);
    int tokens[B * 6], targets[B * 6], len[B], prefix[B];
    for (int i = 0; i < B * 6; i++) tokens[i] = 4 + i % 30, targets[i] = i % 6 >= 2 && i % 6 < 5 ? 4 + (i + 1) % 30 : -1;
    for (int b = 0; b < B; b++) len[b] = 6, prefix[b] = 3;
    ModelBatch batch = {.batch_size = B, .text_len_max = 6, .images = f->images, .tokens = tokens,
                        .targets = targets, .text_len = len, .prefix_len = prefix, .dimension = f->dimension};
    float lp1[B * 6], lp2[B * 6], dlp[B * 6];
    CHECK(model_forward(&m, &batch, lp1, NULL, &err) == 0, "forward: %s", err.message);
    for (int i = 0; i < B * 6; i++) dlp[i] = targets[i] >= 0 ? -1.0f : 0.0f;
    model_zero_grad(&m);
    CHECK(model_backward(&m, &batch, dlp, &err) == 0, "backward: %s", err.message);
    const ModelTensor *proj = model_find_tensor(&m, "vision.proj.weight");
    double norm = 0;
    for (size_t i = 0; proj && i < proj->count; i++) norm += fabs(m.grads[proj->offset + i]);
    CHECK(proj && norm > 0, "the vision projection gets no gradient");
    for (int c = 0; c < 4; c++)
        CHECK(fabs(m.candidate_flaw_prob[4 + c] - 1 / (1 + expf(-expected[4 + c]))) < 1e-5,
              "candidate_flaw_prob is not the tower's");
    CHECK(model_save(&m, dir, &err) == 0, "model save: %s", err.message);
    CHECK(model_load(&n, dir, B, &err) == 0, "model load: %s", err.message);
    CHECK(model_forward(&n, &batch, lp2, NULL, &err) == 0, "forward: %s", err.message);
    CHECK(memcmp(lp1, lp2, sizeof lp1) == 0, "a loaded model with a tower computes another function");
    model_free(&m);
    model_free(&n);
    tower_free(&t);
    free(dir);
}

// The fast kernels cut work by shape, never by thread count: 1 and 3 threads give the same bytes.
// 64 px so the first conv's 15 images of 32x32 make several tasks of whole images.
static void test_thread_count_invariance(void) {
#ifdef _OPENMP
    TowerConfig config;
    Error err = {0};
    if (tower_config_preset(&config, "tiny", KINDS, &err) != 0) abort();
    config.image_size = 64;
    size_t S = 64, P = (size_t)tower_tokens(&config), pixels = B * 5 * 3 * S * S;
    size_t cells = B * 4 * P * TOWER_TOKEN_TARGETS;
    float *images = malloc(sizeof(float) * pixels), *tokens = malloc(sizeof(float) * cells), flawed[B * 4];
    int light[B * 4], shadow[B * 4], kind[B * 4], dimension[B] = {0, -1, 2};
    Rng rng = rng_stream(13, 0, 0);
    for (size_t i = 0; i < pixels; i++) images[i] = (float)rng_next_range(&rng, -1, 1);
    for (size_t i = 0; i < cells; i++) tokens[i] = rng_next_double(&rng) < 0.3;
    for (int i = 0; i < B * 4; i++) {
        flawed[i] = i % 2;
        light[i] = i % 2, shadow[i] = i % 4, kind[i] = i % KINDS;
    }
    TowerTargets targets = {flawed, tokens, light, shadow, kind};
    TowerLossWeights w;
    tower_loss_weights_default(&w);
    Tower t[2];
    double loss[2];
    int before = omp_get_max_threads();
    for (int run = 0; run < 2; run++) {
        omp_set_num_threads(run == 0 ? 1 : 3);
        if (tower_create(&t[run], &config, B, 5, &err) != 0) abort();
        tower_zero_grad(&t[run]);
        if (tower_forward(&t[run], images, dimension, B, 1, NULL, &err) != 0) abort();
        loss[run] = tower_loss(&t[run], &targets, &w).total;
        if (tower_backward(&t[run], &err) != 0) abort();
    }
    omp_set_num_threads(before);
    CHECK(loss[0] == loss[1], "loss at 1 thread %.9g, at 3 threads %.9g", loss[0], loss[1]);
    CHECK(memcmp(t[0].grads, t[1].grads, sizeof(float) * t[0].param_count) == 0, "gradients depend on the threads");
    CHECK(memcmp(t[0].buffers, t[1].buffers, sizeof(float) * t[0].buffer_count) == 0,
          "running statistics depend on the threads");
    tower_free(&t[0]);
    tower_free(&t[1]);
    free(images);
    free(tokens);
#endif
}

int main(void) {
    Fixture f;
    fixture_make(&f);
    test_fast_matches_reference(&f);
    test_gradients(&f);
    test_running_statistics(&f);
    test_save_load(&f);
    test_thread_count_invariance();
    free(f.images);
    free(f.tokens);
    if (failures) fprintf(stderr, "%d failure(s)\n", failures);
    return failures != 0;
}

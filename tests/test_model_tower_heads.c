// test_model_tower_heads.c — the tower's heads training under the language model: a model with a
// tower and a product-view tower (which runs live on the views the heads find) computes the same
// function from cached tokens as from images, its backward reaches the tower's heads with the
// gradients finite differences give (and leaves the convolutions and the position embedding alone),
// and nothing reaches the tower while the heads are frozen; with and without the 2×2 pooling.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "support/check.h"
#include "support/model_support.h"

enum { B = 2 };

typedef struct Case {
    Model model;
    ModelSupportBatch sb;
    float *tokens, *logprobs, *weights;
    ModelBatch batch; // sb.batch reading the cached tokens
} Case;

// pool: the model's vision_pool (1: every tower token; 2: 2×2 blocks averaged, the region maximised).
static void case_make(Case *c, int pool) {
    Error err = {0};
    TowerConfig frame, product;
    if (tower_config_preset(&frame, "tiny", 6, &err) != 0) abort();
    frame.image_size = 16;
    product = frame;
    product.view = 1, product.view_source = 16, product.view_grid = tower_token_side(&frame);
    ModelConfig config = model_support_tiny_config(30);
    config.dim = 16, config.mlp_hidden = 32, config.max_text_len = 10;
    if (model_config_attach_tower(&config, &frame, &err) != 0 ||
        model_config_attach_product_tower(&config, &product, &err) != 0)
        abort();
    config.vision_pool = pool;
    CHECK(model_create(&c->model, &config, B, 7, &err) == 0, "model: %s", err.message);
    c->model.use_reference = 1;
    c->model.tower->use_reference = 1;
    // towers with weights of a trained size, so every head carries gradient
    model_support_random(c->model.tower->params, c->model.tower->param_count, 0.3f, 8);
    model_support_random(c->model.product_tower->params, c->model.product_tower->param_count, 0.3f, 9);
    static const int len[B] = {8, 6}, prefix[B] = {3, 4};
    model_support_batch(&c->sb, &config, B, len, prefix, 10);
    static int dimension[B] = {1, 0}; // lighting; deformation (the product tower's row)
    c->sb.batch.dimension = dimension;
    size_t n = (size_t)B * c->sb.batch.text_len_max;
    c->logprobs = malloc(sizeof(float) * n);
    c->weights = malloc(sizeof(float) * n);
    model_support_random(c->weights, n, 1.0f, 11);
    for (size_t i = 0; i < n; i++)
        if (c->sb.targets[i] < 0) c->weights[i] = 0.0f;
    c->tokens = malloc(sizeof(float) * B * model_vision_token_count(&config));
    CHECK(model_vision_tokens(&c->model, c->sb.images, dimension, B, c->tokens, &err) == 0, "tokens: %s", err.message);
    c->batch = c->sb.batch;
    c->batch.tower_tokens = c->tokens;
}

static void case_free(Case *c) {
    free(c->tokens), free(c->logprobs), free(c->weights);
    model_support_batch_free(&c->sb);
    model_free(&c->model);
}

static double loss_of(Case *c) {
    Error err = {0};
    if (model_forward(&c->model, &c->batch, c->logprobs, NULL, &err) != 0) abort();
    double s = 0;
    for (size_t i = 0; i < (size_t)B * c->batch.text_len_max; i++) s += (double)c->logprobs[i] * c->weights[i];
    return s;
}

static void test_tokens_give_the_images_function(int pool) {
    Case c;
    case_make(&c, pool);
    Error err = {0};
    size_t n = (size_t)B * c.sb.batch.text_len_max;
    float *from_images = malloc(sizeof(float) * n);
    float prob[B * 4];
    CHECK(model_forward(&c.model, &c.sb.batch, from_images, NULL, &err) == 0, "forward: %s", err.message);
    memcpy(prob, c.model.candidate_flaw_prob, sizeof prob);
    CHECK(model_forward(&c.model, &c.batch, c.logprobs, NULL, &err) == 0, "forward: %s", err.message);
    CHECK(memcmp(from_images, c.logprobs, sizeof(float) * n) == 0, "the cached tokens give another function");
    CHECK(memcmp(prob, c.model.candidate_flaw_prob, sizeof prob) == 0, "the cached tokens give another P(flawed)");
    free(from_images);
    case_free(&c);
}

static void test_heads_gradient(int pool) {
    Case c;
    case_make(&c, pool);
    printf("vision_pool %d:\n", pool);
    Error err = {0};
    Tower *t = c.model.tower;
    c.model.train_tower_heads = 1;
    model_zero_grad(&c.model);
    tower_zero_grad(t);
    loss_of(&c);
    CHECK(model_backward(&c.model, &c.batch, c.weights, &err) == 0, "backward: %s", err.message);
    int first = tower_heads_first_tensor(t);
    CHECK(first > 0 && strcmp(t->tensors[first].name, "cross.query.weight") == 0, "the heads start at %d", first);
    double frozen = 0;
    for (size_t i = 0; i < t->tensors[first].offset; i++) frozen += fabs(t->grads[i]);
    CHECK(frozen == 0, "the convolutions or the position got gradient (%g)", frozen);
    // finite differences on entries of every head tensor the language side reads. ε = 1e-2 keeps the
    // float noise near 1e-5; mlp1.bias and mlp2.bias are left out: a step of a bias moves the ReLUs of
    // every token at once, so no ε is both above the noise and below the kinks (their gradient takes
    // the path of mlp1.weight and mlp2.weight, checked). The class head feeds nothing there.
    int checked = 0;
    for (int k = first; k < t->tensor_count; k++) {
        const ModelTensor *tensor = &t->tensors[k];
        if (!strcmp(tensor->name, "mlp1.bias") || !strcmp(tensor->name, "mlp2.bias")) continue;
        double worst = 0, largest = 0;
        for (int e = 0; e < 8; e++) {
            size_t i = tensor->offset + ((size_t)e * 7919u + 5u) % tensor->count;
            float saved = t->params[i], eps = 1e-2f;
            t->params[i] = saved + eps;
            double plus = loss_of(&c);
            t->params[i] = saved - eps;
            double minus = loss_of(&c);
            t->params[i] = saved;
            double numeric = (plus - minus) / (2.0 * eps), analytic = t->grads[i];
            double allowed = 5e-5 + 3e-2 * fmax(fabs(numeric), fabs(analytic));
            CHECK(fabs(numeric - analytic) <= allowed, "%s[%zu]: numeric %.6g, analytic %.6g", tensor->name,
                  i - tensor->offset, numeric, analytic);
            worst = fmax(worst, fabs(numeric - analytic));
            largest = fmax(largest, fabs(analytic));
        }
        if (largest > 2e-4) checked++; // four times the tolerance's floor
        printf("  tower.%-24s max |numeric - analytic| %.3g (largest gradient %.3g)\n", tensor->name, worst, largest);
    }
    CHECK(checked >= 6, "only %d head tensors carry gradient above 2e-4", checked);
    // frozen heads: the tower's gradient stays zero
    c.model.train_tower_heads = 0;
    tower_zero_grad(t);
    loss_of(&c);
    CHECK(model_backward(&c.model, &c.batch, c.weights, &err) == 0, "backward: %s", err.message);
    double any = 0;
    for (size_t i = 0; i < t->param_count; i++) any += fabs(t->grads[i]);
    CHECK(any == 0, "a frozen tower got gradient (%g)", any);
    case_free(&c);
}

int main(void) {
    for (int pool = 1; pool <= 2; pool++) {
        test_tokens_give_the_images_function(pool);
        test_heads_gradient(pool);
    }
    if (failures) fprintf(stderr, "%d failure(s)\n", failures);
    return failures != 0;
}

// model_vision.c — the vision tower under the language model: one tower forward (running
// statistics, so training, generation and serving compute the same function) over the whole batch,
// then each image token's feature row [tower token (C), evidence (H), flaw logit, region logit]
// for the projection in model_stem_forward. With vision_pool > 1 a token is a pool×pool block of
// the tower's: tokens and evidence averaged, the region logit max-pooled (where the flaw is). The
// original's evidence columns are zero. With a product-view tower, each candidate's view is found
// from the tower's product-token logits (> 0) and read by that tower; its flaw logit is the last
// column, and a deformation row's P(flawed) is the product tower's (the appearance specialist).
// While the tower's heads train (Model.train_tower_heads) the trainers give each row's cached
// tokens (model_vision_tokens), the heads run on them, and model_vision_backward goes back into them.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"
#include "model/product_view.h"

size_t model_vision_feature_count(const ModelConfig *c) {
    return c->vision_tower ? (size_t)MODEL_IMAGE_COUNT * model_image_tokens(c) * model_vision_width(c) : 0;
}

size_t model_vision_token_count(const ModelConfig *c) {
    return c->vision_tower ? (size_t)MODEL_IMAGE_COUNT * tower_tokens(&c->tower) * tower_dim(&c->tower) : 0;
}

// The features of B samples from the tower's outputs (the product column, when there is one, is
// left to the caller).
static void features_from_tower(const ModelConfig *c, const TowerOutput *out, int B, float *features) {
    int P = model_image_tokens(c), C = tower_dim(&c->tower), H = c->tower.hidden;
    int U = model_vision_width(c), pool = c->vision_pool, side = tower_token_side(&c->tower), out_side = side / pool;
    int TP = tower_tokens(&c->tower);
    float scale = 1.0f / (float)(pool * pool);
    // (B*5, P, U), one image per iteration
#pragma omp parallel for schedule(static) if ((size_t)B * MODEL_IMAGE_COUNT * P * U > 65536)
    for (int n = 0; n < B * MODEL_IMAGE_COUNT; n++) {
        int b = n / MODEL_IMAGE_COUNT, i = n % MODEL_IMAGE_COUNT, r = b * TOWER_CANDIDATES + i - 1;
        for (int p = 0; p < P; p++) {
            float *u = features + ((size_t)n * P + p) * U;
            memset(u, 0, sizeof(float) * U);
            float region = -INFINITY;
            for (int dy = 0; dy < pool; dy++)
                for (int dx = 0; dx < pool; dx++) {
                    int q = ((p / out_side) * pool + dy) * side + (p % out_side) * pool + dx;
                    const float *t = out->image_tokens + ((size_t)n * TP + q) * C;
                    for (int d = 0; d < C; d++) u[d] += scale * t[d];
                    if (i == 0) continue;
                    const float *e = out->evidence + ((size_t)r * TP + q) * H;
                    for (int h = 0; h < H; h++) u[C + h] += scale * e[h];
                    float g = out->token_logit[((size_t)r * TP + q) * TOWER_TOKEN_TARGETS + TOWER_TOKEN_REGION];
                    if (g > region) region = g;
                }
            if (i == 0) continue;
            u[C + H] = out->flaw_logit[r];
            u[C + H + 1] = region;
        }
    }
}

// With a product-view tower: it reads the views the tower's last forward found (from its product-
// token logits) in `images`; its flaw logits go into the last feature column of every candidate
// token, its P(flawed) into deformation rows.
static int product_columns(Model *model, const float *images, const int *dimension, int B, float *features,
                           Error *err) {
    if (!model->product_tower) return 0;
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    int P = model_image_tokens(c), U = model_vision_width(c);
    TowerOutput product;
    if (product_view_forward(model->product_tower, images, &s->tower_out, dimension, B, &product, err) != 0) return -1;
    for (int b = 0; b < B; b++)
        for (int i = 1; i < MODEL_IMAGE_COUNT; i++)
            for (int t = 0; t < P; t++)
                features[(((size_t)b * MODEL_IMAGE_COUNT + i) * P + t) * U + U - 1] =
                    product.flaw_logit[b * TOWER_CANDIDATES + i - 1];
    product_view_merge_probabilities(model->candidate_flaw_prob, product.flaw_logit, dimension, B);
    return 0;
}

int model_vision_forward(Model *model, const ModelBatch *batch, Error *err) {
    ModelState *s = model->activations;
    const ModelConfig *c = &model->config;
    int B = batch->batch_size;
    if (batch->vision_features) {
        memcpy(s->vision_features, batch->vision_features, sizeof(float) * B * model_vision_feature_count(c));
        return 0;
    }
    if (!batch->tower_tokens) return model_vision_features(model, batch->images, batch->dimension, B, s->vision_features, err);
    if (tower_forward_tokens(model->tower, batch->tower_tokens, batch->dimension, B, &s->tower_out, err) != 0)
        return error_prefix(err, "vision tower: ");
    tower_flaw_probabilities(model->tower, model->candidate_flaw_prob, B);
    features_from_tower(c, &s->tower_out, B, s->vision_features);
    // the product views are found from the heads' product-token logits, which move as the heads
    // learn: the product tower runs live on them
    return product_columns(model, batch->images, batch->dimension, B, s->vision_features, err);
}

// The tower over B samples from their images (running statistics).
static int tower_run(Model *model, const float *images, const int *dimension, int B, Error *err) {
    ModelState *s = model->activations;
    if (!model->tower) return error_set(err, "model_vision_features: the model has no vision tower");
    if (B > model->max_batch) return error_set(err, "model_vision_features: %d samples, at most %d", B, model->max_batch);
    if (tower_forward(model->tower, images, dimension, B, 0, &s->tower_out, err) != 0)
        return error_prefix(err, "vision tower: ");
    tower_flaw_probabilities(model->tower, model->candidate_flaw_prob, B);
    return 0;
}

int model_vision_features(Model *model, const float *images, const int *dimension, int B, float *features,
                          Error *err) {
    ModelState *s = model->activations;
    if (tower_run(model, images, dimension, B, err) != 0) return -1;
    features_from_tower(&model->config, &s->tower_out, B, features);
    return product_columns(model, images, dimension, B, features, err);
}

int model_vision_tokens(Model *model, const float *images, const int *dimension, int B, float *tokens, Error *err) {
    ModelState *s = model->activations;
    if (tower_run(model, images, dimension, B, err) != 0) return -1;
    memcpy(tokens, s->tower_out.image_tokens, sizeof(float) * B * model_vision_token_count(&model->config));
    return 0;
}

// d(features) of the last forward (ModelState.dvision_features) back through features_from_tower
// into the tower's outputs, then through its heads. The token columns (the frozen convolutions'
// output) and the product column (the frozen product tower's) carry no gradient further.
int model_vision_backward(Model *model, int B, Error *err) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const TowerOutput *out = &s->tower_out;
    int P = model_image_tokens(c), C = tower_dim(&c->tower), H = c->tower.hidden, U = model_vision_width(c);
    int pool = c->vision_pool, side = tower_token_side(&c->tower), out_side = side / pool, TP = tower_tokens(&c->tower);
    size_t R = (size_t)B * TOWER_CANDIDATES;
    float *dflaw = calloc(R, sizeof(float)), *dtoken = calloc(R * TP * TOWER_TOKEN_TARGETS, sizeof(float));
    float *devidence = calloc(R * TP * H, sizeof(float));
    if (!dflaw || !dtoken || !devidence) {
        free(dflaw), free(dtoken), free(devidence);
        return error_set(err, "vision tower: out of memory for the heads' gradients");
    }
    float scale = 1.0f / (float)(pool * pool);
    for (int n = 0; n < B * MODEL_IMAGE_COUNT; n++) {
        int b = n / MODEL_IMAGE_COUNT, i = n % MODEL_IMAGE_COUNT;
        if (i == 0) continue; // the original has only token columns
        size_t r = (size_t)b * TOWER_CANDIDATES + i - 1;
        for (int p = 0; p < P; p++) {
            const float *du = s->dvision_features + ((size_t)n * P + p) * U;
            float region = -INFINITY;
            int arg = 0;
            for (int dy = 0; dy < pool; dy++)
                for (int dx = 0; dx < pool; dx++) {
                    int q = ((p / out_side) * pool + dy) * side + (p % out_side) * pool + dx;
                    float *de = devidence + (r * TP + q) * H;
                    for (int h = 0; h < H; h++) de[h] += scale * du[C + h];
                    float g = out->token_logit[(r * TP + q) * TOWER_TOKEN_TARGETS + TOWER_TOKEN_REGION];
                    if (g > region) region = g, arg = q;
                }
            dflaw[r] += du[C + H];
            dtoken[(r * TP + arg) * TOWER_TOKEN_TARGETS + TOWER_TOKEN_REGION] += du[C + H + 1];
        }
    }
    tower_set_output_grads(model->tower, dflaw, dtoken, NULL, devidence);
    free(dflaw), free(dtoken), free(devidence);
    return tower_backward_heads(model->tower, err);
}

// Copies the weights and statistics of the tower saved in `dir` into `into` (same config).
static int tower_copy_from(Tower *into, const char *dir, Error *err) {
    Tower loaded;
    if (tower_load(&loaded, dir, 1, err) != 0) return -1;
    const TowerConfig *a = &loaded.config, *b = &into->config;
    int same = memcmp(a->channels, b->channels, sizeof a->channels) == 0 &&
               memcmp(a->strides, b->strides, sizeof a->strides) == 0 && a->convs == b->convs &&
               a->image_size == b->image_size && a->hidden == b->hidden && a->kind_classes == b->kind_classes &&
               a->view == b->view && a->view_source == b->view_source && a->view_grid == b->view_grid;
    if (!same) {
        tower_free(&loaded);
        return error_set(err, "%s: the tower's config differs from the model's", dir);
    }
    memcpy(into->params, loaded.params, sizeof(float) * loaded.param_count);
    memcpy(into->buffers, loaded.buffers, sizeof(float) * loaded.buffer_count);
    tower_free(&loaded);
    return 0;
}

int model_tower_load(Model *model, const char *dir, Error *err) {
    if (!model->tower) return error_set(err, "model_tower_load: the model's config has no vision tower");
    return tower_copy_from(model->tower, dir, err);
}

int model_product_tower_load(Model *model, const char *dir, Error *err) {
    if (!model->product_tower) return error_set(err, "model_product_tower_load: the model's config has no product tower");
    return tower_copy_from(model->product_tower, dir, err);
}

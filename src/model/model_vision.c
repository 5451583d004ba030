// model_vision.c — the frozen vision tower under the language model: one tower forward (running
// statistics, so training, generation and serving compute the same function) over the whole batch,
// then each image token's feature row [tower token (C), evidence (H), flaw logit, region logit]
// for the projection in model_stem_forward. With vision_pool > 1 a token is a pool×pool block of
// the tower's: tokens and evidence averaged, the region logit max-pooled (where the flaw is). The
// original's evidence columns are zero.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

size_t model_vision_feature_count(const ModelConfig *c) {
    return c->vision_tower ? (size_t)MODEL_IMAGE_COUNT * model_image_tokens(c) * model_vision_width(c) : 0;
}

int model_vision_forward(Model *model, const ModelBatch *batch, Error *err) {
    ModelState *s = model->activations;
    if (batch->vision_features) {
        memcpy(s->vision_features, batch->vision_features,
               sizeof(float) * batch->batch_size * model_vision_feature_count(&model->config));
        return 0;
    }
    return model_vision_features(model, batch->images, batch->dimension, batch->batch_size, s->vision_features, err);
}

int model_vision_features(Model *model, const float *images, const int *dimension, int B, float *features,
                          Error *err) {
    const ModelConfig *c = &model->config;
    Tower *tower = model->tower;
    if (!tower) return error_set(err, "model_vision_features: the model has no vision tower");
    if (B > model->max_batch) return error_set(err, "model_vision_features: %d samples, at most %d", B, model->max_batch);
    int P = model_image_tokens(c), C = tower_dim(&c->tower), H = c->tower.hidden;
    int U = model_vision_width(c), pool = c->vision_pool, side = tower_token_side(&c->tower), out_side = side / pool;
    int TP = tower_tokens(&c->tower);
    TowerOutput out;
    if (tower_forward(tower, images, dimension, B, 0, &out, err) != 0)
        return error_prefix(err, "vision tower: ");
    tower_flaw_probabilities(tower, model->candidate_flaw_prob, B);
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
                    const float *t = out.image_tokens + ((size_t)n * TP + q) * C;
                    for (int d = 0; d < C; d++) u[d] += scale * t[d];
                    if (i == 0) continue;
                    const float *e = out.evidence + ((size_t)r * TP + q) * H;
                    for (int h = 0; h < H; h++) u[C + h] += scale * e[h];
                    float g = out.token_logit[((size_t)r * TP + q) * TOWER_TOKEN_TARGETS + TOWER_TOKEN_REGION];
                    if (g > region) region = g;
                }
            if (i == 0) continue;
            u[C + H] = out.flaw_logit[r];
            u[C + H + 1] = region;
        }
    }
    return 0;
}

int model_tower_load(Model *model, const char *dir, Error *err) {
    if (!model->tower) return error_set(err, "model_tower_load: the model's config has no vision tower");
    Tower loaded;
    if (tower_load(&loaded, dir, 1, err) != 0) return -1;
    int same = memcmp(&loaded.config.channels, &model->tower->config.channels, sizeof loaded.config.channels) == 0 &&
               memcmp(&loaded.config.strides, &model->tower->config.strides, sizeof loaded.config.strides) == 0 &&
               loaded.config.convs == model->tower->config.convs &&
               loaded.config.image_size == model->tower->config.image_size &&
               loaded.config.hidden == model->tower->config.hidden &&
               loaded.config.kind_classes == model->tower->config.kind_classes;
    if (!same) {
        tower_free(&loaded);
        return error_set(err, "%s: the tower's config differs from the model's", dir);
    }
    memcpy(model->tower->params, loaded.params, sizeof(float) * loaded.param_count);
    memcpy(model->tower->buffers, loaded.buffers, sizeof(float) * loaded.buffer_count);
    tower_free(&loaded);
    return 0;
}

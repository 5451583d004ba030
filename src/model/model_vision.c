// model_vision.c — the frozen vision tower under the language model: one tower forward (running
// statistics, so training, generation and serving compute the same function) over the whole batch,
// then each image token's feature row [tower token (C), evidence (H), flaw logit, region logit]
// for the projection in model_stem_forward. The original's evidence columns are zero.
#include <math.h>
#include <string.h>

#include "model/model_internal.h"

int model_vision_forward(Model *model, const ModelBatch *batch, Error *err) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    Tower *tower = model->tower;
    int B = batch->batch_size, P = model_image_tokens(c), C = tower_dim(&c->tower), H = c->tower.hidden;
    int U = model_vision_width(c);
    TowerOutput out;
    if (tower_forward(tower, batch->images, batch->dimension, B, 0, &out, err) != 0)
        return error_prefix(err, "vision tower: ");
    tower_flaw_probabilities(tower, model->candidate_flaw_prob, B);
    // (B*5, P, U), one image per iteration
#pragma omp parallel for schedule(static) if ((size_t)B * MODEL_IMAGE_COUNT * P * U > 65536)
    for (int n = 0; n < B * MODEL_IMAGE_COUNT; n++) {
        int b = n / MODEL_IMAGE_COUNT, i = n % MODEL_IMAGE_COUNT, r = b * TOWER_CANDIDATES + i - 1;
        for (int p = 0; p < P; p++) {
            float *u = s->vision_features + ((size_t)n * P + p) * U;
            memcpy(u, out.image_tokens + ((size_t)n * P + p) * C, sizeof(float) * C);
            if (i == 0) {
                memset(u + C, 0, sizeof(float) * (H + 2));
                continue;
            }
            memcpy(u + C, out.evidence + ((size_t)r * P + p) * H, sizeof(float) * H);
            u[C + H] = out.flaw_logit[r];
            u[C + H + 1] = out.token_logit[((size_t)r * P + p) * TOWER_TOKEN_TARGETS + TOWER_TOKEN_REGION];
        }
    }
    return 0;
}

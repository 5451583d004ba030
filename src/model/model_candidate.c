// model_candidate.c — the candidate parts (docs/MODEL.md, "Candidate head and pointer"):
//
//   pool     p_i = mean of image i's tokens, per channel, in the residual stream entering the last
//            block (B, 5, D)
//   head     u_i = LN(p_i); features z_i = [u_i, u_i − u_0] (B, 5, 2D); flaw logit a_c = w·z_c + b
//            for c = 1..4 (A-D), trained by an auxiliary binary cross-entropy against the gold set
//   pointer  q_i = W_value z_i + b, r_i = W_fuse q_i; each text row h_t picks images by
//            s_t = softmax(W_select h_t + b) over 5 fixed slots and becomes h_t + Σ_i s_t,i r_i,
//            the input of the final LayerNorm
//
// Why: a verdict token must gather its candidate's evidence from that candidate's tokens, a
// routing plain attention learns slowly from scratch; the pointer's keys are fixed per-image
// slots, so choosing "the candidate this clause is about" is an easy function of the text.
// The projections go through KernelOps (reference or fast); the rest is O(B·T·5·D) plain loops.
#include <math.h>
#include <string.h>

#include "model/model_internal.h"

#define CANDIDATES (MODEL_IMAGE_COUNT - 1)

static float sigmoid(float x) { return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x)); }

// Binary cross-entropy of logit a against label y, computed without overflow.
static float binary_cross_entropy(float a, float y) { return fmaxf(a, 0.0f) - a * y + log1pf(expf(-fabsf(a))); }

void candidate_forward(Model *model, const ModelBatch *sub, int b0, const float *stream, int N) {
    if (!model->config.candidate_head) return;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int B = sub->batch_size, D = model->config.dim, P = model_image_tokens(&model->config);
    int images = B * MODEL_IMAGE_COUNT;
    size_t i0 = (size_t)b0 * MODEL_IMAGE_COUNT;
    float *pool = s->cand_pool + i0 * D, *ln = s->cand_ln + i0 * D, *feat = s->cand_feat + i0 * 2 * D;
    float *logit = s->cand_logit + i0;
    // (B, N, D) image rows -> (B, 5, D) means
    for (int b = 0; b < B; b++)
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            float *out = pool + ((size_t)b * MODEL_IMAGE_COUNT + i) * D;
            const float *first = stream + ((size_t)b * N + (size_t)i * P) * D;
            memset(out, 0, sizeof(float) * D);
            for (int j = 0; j < P; j++)
                for (int d = 0; d < D; d++) out[d] += first[(size_t)j * D + d];
            for (int d = 0; d < D; d++) out[d] /= (float)P;
        }
    k->layernorm_forward(ln, s->cand_mean + i0, s->cand_rstd + i0, pool, s->params.candidate_ln_weight,
                         s->params.candidate_ln_bias, images, D);
    // (B, 5, D) -> (B, 5, 2D) = [u_i, u_i − u_0]
    for (int b = 0; b < B; b++)
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            const float *u = ln + ((size_t)b * MODEL_IMAGE_COUNT + i) * D, *u0 = ln + (size_t)b * MODEL_IMAGE_COUNT * D;
            float *z = feat + ((size_t)b * MODEL_IMAGE_COUNT + i) * 2 * D;
            for (int d = 0; d < D; d++) z[d] = u[d], z[D + d] = u[d] - u0[d];
        }
    k->matmul_forward(logit, feat, s->params.candidate_aux_weight, s->params.candidate_aux_bias, images, 2 * D, 1);
    for (int b = 0; b < B; b++) {
        float loss = 0.0f;
        for (int j = 0; j < CANDIDATES; j++) {
            float a = logit[(size_t)b * MODEL_IMAGE_COUNT + 1 + j];
            model->candidate_flaw_prob[(size_t)(b0 + b) * CANDIDATES + j] = sigmoid(a);
            if (sub->candidate_flawed) loss += binary_cross_entropy(a, sub->candidate_flawed[(size_t)b * CANDIDATES + j]);
        }
        s->cand_loss[b0 + b] = loss;
    }
    if (!model->config.candidate_pointer) return;
    // (B*5, 2D) -> q (B*5, D) -> r = W_fuse q (B*5, D)
    k->matmul_forward(s->cand_value + i0 * D, feat, s->params.candidate_value_weight, s->params.candidate_value_bias,
                      images, 2 * D, D);
    k->matmul_forward(s->cand_fused_value + i0 * D, s->cand_value + i0 * D, s->params.candidate_fuse_weight, NULL,
                      images, D, D);
}

// Softmax over the 5 slots of each of `rows` logit rows, in place.
static void select_softmax(float *select, int rows) {
    for (int r = 0; r < rows; r++) {
        float *x = select + (size_t)r * MODEL_IMAGE_COUNT, max = x[0], sum = 0.0f;
        for (int i = 1; i < MODEL_IMAGE_COUNT; i++) max = fmaxf(max, x[i]);
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) sum += (x[i] = expf(x[i] - max));
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) x[i] /= sum;
    }
}

// out (rows, D) = x + Σ_i select[r, i] · values[i] for `rows` rows sharing one image set `values` (5, D).
static void pointer_mix(float *out, const float *x, const float *select, const float *values, int rows, int D) {
    for (int r = 0; r < rows; r++) {
        const float *sel = select + (size_t)r * MODEL_IMAGE_COUNT;
        float *y = out + (size_t)r * D;
        if (y != x + (size_t)r * D) memcpy(y, x + (size_t)r * D, sizeof(float) * D);
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            const float *v = values + (size_t)i * D;
            for (int d = 0; d < D; d++) y[d] += sel[i] * v[d];
        }
    }
}

const float *candidate_pointer_forward(Model *model, int b0, int B, int T, const float *text) {
    const ModelConfig *c = &model->config;
    if (!c->candidate_head || !c->candidate_pointer) return text;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int D = c->dim;
    size_t rows0 = (size_t)b0 * T;
    float *select = s->cand_select + rows0 * MODEL_IMAGE_COUNT, *fused = s->cand_fused + rows0 * D;
    // (B*T, D) -> (B*T, 5) slot logits -> softmax -> fused rows
    k->matmul_forward(select, text, s->params.candidate_select_weight, s->params.candidate_select_bias, B * T, D,
                      MODEL_IMAGE_COUNT);
    select_softmax(select, B * T);
    for (int b = 0; b < B; b++)
        pointer_mix(fused + (size_t)b * T * D, text + (size_t)b * T * D, select + (size_t)b * T * MODEL_IMAGE_COUNT,
                    s->cand_fused_value + (size_t)(b0 + b) * MODEL_IMAGE_COUNT * D, T, D);
    return fused;
}

void candidate_pointer_backward(Model *model, int b0, int B, int T, const float *text, float *dtext, ModelParams *g) {
    const ModelConfig *c = &model->config;
    if (!c->candidate_head || !c->candidate_pointer) return;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int D = c->dim, images = B * MODEL_IMAGE_COUNT;
    size_t i0 = (size_t)b0 * MODEL_IMAGE_COUNT, rows0 = (size_t)b0 * T;
    const float *select = s->cand_select + rows0 * MODEL_IMAGE_COUNT;
    float *dselect = s->dcand_select + rows0 * MODEL_IMAGE_COUNT, *dr = s->dcand_fused_value + i0 * D;
    memset(dr, 0, sizeof(float) * (size_t)images * D);
    // (B, T, D) · (B, 5, D) -> d(select logits) (B, T, 5) and d(r) (B, 5, D)
    for (int b = 0; b < B; b++) {
        const float *r = s->cand_fused_value + (i0 + (size_t)b * MODEL_IMAGE_COUNT) * D;
        float *dr_b = dr + (size_t)b * MODEL_IMAGE_COUNT * D;
        for (int t = 0; t < T; t++) {
            size_t row = (size_t)b * T + t;
            const float *gt = dtext + row * D, *sel = select + row * MODEL_IMAGE_COUNT;
            float dsel[MODEL_IMAGE_COUNT], mean = 0.0f;
            for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
                float dot = 0.0f;
                for (int d = 0; d < D; d++) {
                    dot += gt[d] * r[(size_t)i * D + d];
                    dr_b[(size_t)i * D + d] += sel[i] * gt[d];
                }
                dsel[i] = dot;
                mean += sel[i] * dot;
            }
            for (int i = 0; i < MODEL_IMAGE_COUNT; i++) dselect[row * MODEL_IMAGE_COUNT + i] = sel[i] * (dsel[i] - mean);
        }
    }
    k->matmul_backward(dtext, g->candidate_select_weight, g->candidate_select_bias, dselect, text,
                       s->params.candidate_select_weight, B * T, D, MODEL_IMAGE_COUNT);
    float *dq = s->dcand_value + i0 * D;
    memset(dq, 0, sizeof(float) * (size_t)images * D);
    k->matmul_backward(dq, g->candidate_fuse_weight, NULL, dr, s->cand_value + i0 * D, s->params.candidate_fuse_weight,
                       images, D, D);
    memset(s->dcand_feat + i0 * 2 * D, 0, sizeof(float) * (size_t)images * 2 * D);
    k->matmul_backward(s->dcand_feat + i0 * 2 * D, g->candidate_value_weight, g->candidate_value_bias, dq,
                       s->cand_feat + i0 * 2 * D, s->params.candidate_value_weight, images, 2 * D, D);
}

void candidate_head_backward(Model *model, const ModelBatch *sub, int b0, int batch_size, float *dstream, int N,
                             ModelParams *g) {
    if (!model->config.candidate_head) return;
    ModelState *s = model->activations;
    int B = sub->batch_size, D = model->config.dim, images = B * MODEL_IMAGE_COUNT;
    size_t i0 = (size_t)b0 * MODEL_IMAGE_COUNT;
    float *dfeat = s->dcand_feat + i0 * 2 * D, *dlogit = s->dcand_logit + i0;
    if (!model->config.candidate_pointer) memset(dfeat, 0, sizeof(float) * (size_t)images * 2 * D);
    // aux loss = aux_weight · mean over (batch, 4) of BCE: d/d(logit) = aux_weight (σ(a) − y) / (4 · batch)
    memset(dlogit, 0, sizeof(float) * images);
    if (sub->candidate_flawed && sub->aux_weight != 0.0f) {
        float scale = sub->aux_weight / (float)(CANDIDATES * batch_size);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < CANDIDATES; j++) {
                size_t slot = (size_t)b * MODEL_IMAGE_COUNT + 1 + j;
                float y = sub->candidate_flawed[(size_t)b * CANDIDATES + j];
                dlogit[slot] = scale * (sigmoid(s->cand_logit[i0 + slot]) - y);
            }
        model_kernels(model)->matmul_backward(dfeat, g->candidate_aux_weight, g->candidate_aux_bias, dlogit,
                                              s->cand_feat + i0 * 2 * D, s->params.candidate_aux_weight, images, 2 * D, 1);
    }
    // [u_i, u_i − u_0] -> du (B, 5, D)
    float *du = s->dcand_ln + i0 * D, *dpool = s->dcand_pool + i0 * D;
    for (int b = 0; b < B; b++) {
        float *du0 = du + (size_t)b * MODEL_IMAGE_COUNT * D;
        memset(du0, 0, sizeof(float) * MODEL_IMAGE_COUNT * D);
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            const float *dz = dfeat + ((size_t)b * MODEL_IMAGE_COUNT + i) * 2 * D;
            float *dui = du0 + (size_t)i * D;
            for (int d = 0; d < D; d++) {
                dui[d] += dz[d] + dz[D + d];
                du0[d] -= dz[D + d];
            }
        }
    }
    memset(dpool, 0, sizeof(float) * (size_t)images * D);
    model_kernels(model)->layernorm_backward(dpool, g->candidate_ln_weight, g->candidate_ln_bias, du,
                                             s->cand_pool + i0 * D, s->params.candidate_ln_weight, s->cand_mean + i0,
                                             s->cand_rstd + i0, images, D);
    // mean pooling: each of image i's P rows gets d(p_i) / P
    int P = model_image_tokens(&model->config);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
            const float *dp = dpool + ((size_t)b * MODEL_IMAGE_COUNT + i) * D;
            float *rows = dstream + ((size_t)b * N + (size_t)i * P) * D;
            for (int j = 0; j < P; j++)
                for (int d = 0; d < D; d++) rows[(size_t)j * D + d] += dp[d] / (float)P;
        }
}

void candidate_pointer_decode(Model *model, float *x, float *scratch, int rows) {
    const ModelConfig *c = &model->config;
    if (!c->candidate_head || !c->candidate_pointer) return;
    ModelState *s = model->activations;
    model_kernels(model)->matmul_forward(scratch, x, s->params.candidate_select_weight,
                                         s->params.candidate_select_bias, rows, c->dim, MODEL_IMAGE_COUNT);
    select_softmax(scratch, rows);
    // the prefix's forward (batch row 0) left the fused values r in place
    pointer_mix(x, x, scratch, s->cand_fused_value, rows, c->dim);
}

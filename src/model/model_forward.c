// model_forward.c — the transformer: batch validation, forward through the blocks to the tied
// output head, and the backward pass in exact reverse. Activations live in ModelState (allocated
// once by model_create); nothing is allocated here.
#include <math.h>
#include <string.h>

#include "model/model_encoder.h"

static int model_batch_validate(const Model *model, const ModelBatch *batch, Error *err) {
    const ModelConfig *c = &model->config;
    if (batch->batch_size < 1 || batch->batch_size > model->max_batch)
        return error_set(err, "model: batch of %d rows, this model was created for 1 to %d", batch->batch_size,
                         model->max_batch);
    if (batch->text_len_max < 1 || batch->text_len_max > c->max_text_len)
        return error_set(err, "model: text length %d out of range [1, %d] (config max_text_len)",
                         batch->text_len_max, c->max_text_len);
    if (!batch->images || !batch->tokens || !batch->text_len || !batch->prefix_len)
        return error_set(err, "model: batch is missing images, tokens, text_len or prefix_len");
    for (int b = 0; b < batch->batch_size; b++) {
        int len = batch->text_len[b], prefix = batch->prefix_len[b];
        if (len < 1 || len > batch->text_len_max || prefix < 1 || prefix > len)
            return error_set(err, "model: row %d has text_len %d and prefix_len %d; need 1 <= prefix <= text_len <= %d",
                             b, len, prefix, batch->text_len_max);
        for (int t = 0; t < len; t++) {
            int token = batch->tokens[(size_t)b * batch->text_len_max + t];
            if (token < 0 || token >= c->vocab_size)
                return error_set(err, "model: row %d position %d has token %d outside the vocabulary of %d", b, t,
                                 token, c->vocab_size);
        }
        if (batch->targets)
            for (int t = 0; t < batch->text_len_max; t++) {
                int target = batch->targets[(size_t)b * batch->text_len_max + t];
                if (target < -1 || target >= c->vocab_size || (target >= 0 && t >= len))
                    return error_set(err, "model: row %d position %d has target %d (must be -1 or a token id, and -1 on padding)",
                                     b, t, target);
            }
    }
    return 0;
}

static AttentionMask model_mask(const Model *model, const ModelBatch *batch) {
    AttentionMask mask = {MODEL_IMAGE_COUNT * model_image_tokens(&model->config), batch->text_len, batch->prefix_len};
    return mask;
}

static void residual_add(float *out, const float *a, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] += a[i];
}

int model_forward_hidden(Model *model, const ModelBatch *batch, Error *err) {
    if (model_batch_validate(model, batch, err) != 0) return -1;
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int B = batch->batch_size, T = batch->text_len_max, D = c->dim, F = c->mlp_hidden;
    AttentionMask mask = model_mask(model, batch);
    int N = mask.image_tokens + T, rows = B * N;
    model_stem_forward(model, batch);
    model_embedding_forward(model, batch);
    const float *residual = s->encoded;
    for (int l = 0; l < c->layers; l++) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        // (B, N, D) -> LN -> (B, N, 3D) -> attention -> (B, N, D) -> proj + residual
        k->layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, residual, p->ln1_weight, p->ln1_bias, rows, D);
        k->matmul_forward(a->qkv, a->ln1, p->qkv_weight, p->qkv_bias, rows, D, 3 * D);
        k->attention_forward(a->attention, a->probs, a->qkv, &mask, B, N, D, c->heads);
        k->matmul_forward(a->residual_attention, a->attention, p->proj_weight, p->proj_bias, rows, D, D);
        residual_add(a->residual_attention, residual, (size_t)rows * D);
        // (B, N, D) -> LN -> (B, N, F) -> GELU -> (B, N, D) + residual
        k->layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->residual_attention, p->ln2_weight, p->ln2_bias,
                             rows, D);
        k->matmul_forward(a->fc, a->ln2, p->fc_weight, p->fc_bias, rows, D, F);
        k->gelu_forward(a->fc_gelu, a->fc, (size_t)rows * F);
        k->matmul_forward(a->residual_mlp, a->fc_gelu, p->fc_proj_weight, p->fc_proj_bias, rows, F, D);
        residual_add(a->residual_mlp, a->residual_attention, (size_t)rows * D);
        residual = a->residual_mlp;
    }
    // final LayerNorm of the text rows only: (B, T, D)
    for (int b = 0; b < B; b++)
        k->layernorm_forward(s->final_ln + (size_t)b * T * D, s->final_mean + (size_t)b * T,
                             s->final_rstd + (size_t)b * T, residual + ((size_t)b * N + mask.image_tokens) * D,
                             s->params.final_ln_weight, s->params.final_ln_bias, T, D);
    s->last_batch = B;
    s->last_text_len = T;
    return 0;
}

int model_forward(Model *model, const ModelBatch *batch, float *logprobs, float *entropy, Error *err) {
    if (!batch->targets) return error_set(err, "model_forward: batch has no targets");
    if (model_forward_hidden(model, batch, err) != 0) return -1;
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int rows = batch->batch_size * batch->text_len_max;
    // tied head: (B*T, D) · token_embeddingᵀ -> (B*T, V), then softmax in place
    k->matmul_forward(s->probs, s->final_ln, s->params.token_embedding, NULL, rows, c->dim, c->vocab_size);
    k->softmax_logprob_forward(logprobs, entropy, s->probs, batch->targets, rows, c->vocab_size);
    for (int i = 0; i < rows; i++)
        if (!isfinite(logprobs[i])) return error_set(err, "model_forward: non-finite log-probability at row %d", i);
    return 0;
}

int model_backward(Model *model, const ModelBatch *batch, const float *dlogprobs, Error *err) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    if (s->last_batch != batch->batch_size || s->last_text_len != batch->text_len_max)
        return error_set(err, "model_backward: batch shape differs from the last model_forward (call forward first)");
    int B = batch->batch_size, T = batch->text_len_max, D = c->dim, F = c->mlp_hidden, V = c->vocab_size;
    AttentionMask mask = model_mask(model, batch);
    int N = mask.image_tokens + T, rows = B * N;
    size_t nd = (size_t)rows * D;
    // head: d(logits) -> d(final LN) and the tied embedding's gradient
    k->softmax_logprob_backward(s->dlogits, dlogprobs, s->probs, batch->targets, B * T, V);
    memset(s->dfinal_ln, 0, sizeof(float) * (size_t)B * T * D);
    k->matmul_backward(s->dfinal_ln, s->grads.token_embedding, NULL, s->dlogits, s->final_ln,
                       s->params.token_embedding, B * T, D, V);
    memset(s->dresidual, 0, sizeof(float) * nd);
    const float *last = c->layers > 0 ? s->layers[c->layers - 1].residual_mlp : s->encoded;
    for (int b = 0; b < B; b++) {
        size_t text = ((size_t)b * N + mask.image_tokens) * D;
        k->layernorm_backward(s->dresidual + text, s->grads.final_ln_weight, s->grads.final_ln_bias,
                              s->dfinal_ln + (size_t)b * T * D, last + text, s->params.final_ln_weight,
                              s->final_mean + (size_t)b * T, s->final_rstd + (size_t)b * T, T, D);
    }
    // blocks in reverse; dresidual carries d(residual stream) through every residual add
    for (int l = c->layers - 1; l >= 0; l--) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        LayerParams *g = &s->grads.layers[l];
        const float *residual = l == 0 ? s->encoded : s->layers[l - 1].residual_mlp;
        memset(s->dfc_gelu, 0, sizeof(float) * (size_t)rows * F);
        k->matmul_backward(s->dfc_gelu, g->fc_proj_weight, g->fc_proj_bias, s->dresidual, a->fc_gelu,
                           p->fc_proj_weight, rows, F, D);
        memset(s->dfc, 0, sizeof(float) * (size_t)rows * F);
        k->gelu_backward(s->dfc, a->fc, s->dfc_gelu, (size_t)rows * F);
        memset(s->dln, 0, sizeof(float) * nd);
        k->matmul_backward(s->dln, g->fc_weight, g->fc_bias, s->dfc, a->ln2, p->fc_weight, rows, D, F);
        k->layernorm_backward(s->dresidual, g->ln2_weight, g->ln2_bias, s->dln, a->residual_attention, p->ln2_weight,
                              a->ln2_mean, a->ln2_rstd, rows, D);
        memset(s->dattention, 0, sizeof(float) * nd);
        k->matmul_backward(s->dattention, g->proj_weight, g->proj_bias, s->dresidual, a->attention, p->proj_weight,
                           rows, D, D);
        memset(s->dqkv, 0, sizeof(float) * nd * 3);
        k->attention_backward(s->dqkv, s->dattention, a->probs, a->qkv, &mask, B, N, D, c->heads);
        memset(s->dln, 0, sizeof(float) * nd);
        k->matmul_backward(s->dln, g->qkv_weight, g->qkv_bias, s->dqkv, a->ln1, p->qkv_weight, rows, D, 3 * D);
        k->layernorm_backward(s->dresidual, g->ln1_weight, g->ln1_bias, s->dln, residual, p->ln1_weight, a->ln1_mean,
                              a->ln1_rstd, rows, D);
    }
    model_embedding_backward(model, batch);
    model_stem_backward(model, batch);
    return 0;
}

// model_forward.c — the transformer: batch validation, forward through the blocks to the tied
// output head, and the backward pass in exact reverse. Activations live in ModelState (allocated
// once by model_create); nothing is allocated here.
//
// The fast path splits the batch into up to MODEL_MAX_TASKS groups of rows (the split depends only
// on the batch size) and runs each group through the whole network on its own OpenMP thread, the
// kernels inside running serially: no barrier per layer, which matters on two shared cores where a
// descheduled thread stalls every barrier. Each group's parameter gradient goes to its own block,
// and the blocks are added in group order, so results do not depend on the thread count.
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
    if (batch->candidate_flawed)
        for (int i = 0; i < batch->batch_size * (MODEL_IMAGE_COUNT - 1); i++)
            if (!(batch->candidate_flawed[i] >= 0.0f && batch->candidate_flawed[i] <= 1.0f))
                return error_set(err, "model: candidate_flawed[%d] = %g; labels must be in [0, 1]", i,
                                 (double)batch->candidate_flawed[i]);
    if (!(isfinite(batch->aux_weight) && batch->aux_weight >= 0.0f))
        return error_set(err, "model: aux_weight %g must be finite and >= 0", (double)batch->aux_weight);
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


static void residual_add(float *out, const float *a, size_t n) {
#pragma omp parallel for schedule(dynamic, 4096) if (n > 32768)
    for (size_t i = 0; i < n; i++) out[i] += a[i];
}

// The last block's output is only read at the text rows (the head), so after its attention the
// block runs on those rows alone: (B, N, D) -> (B, T, D) moved to the front of the same buffer, in
// place (a destination never passes its source).
static void rows_gather_text(float *x, int B, int N, int I, int T, int D) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            if (b * T + t != b * N + I + t)
                memmove(x + ((size_t)b * T + t) * D, x + ((size_t)b * N + I + t) * D, sizeof(float) * D);
}

// The inverse for gradients: (B, T, D) at the front back to the text rows of (B, N, D), image rows 0.
static void rows_scatter_text(float *x, int B, int N, int I, int T, int D) {
    for (int b = B - 1; b >= 0; b--) {
        for (int t = T - 1; t >= 0; t--)
            if (b * T + t != b * N + I + t)
                memmove(x + ((size_t)b * N + I + t) * D, x + ((size_t)b * T + t) * D, sizeof(float) * D);
        memset(x + (size_t)b * N * D, 0, sizeof(float) * I * D);
    }
}

// out (B*T, D) += the text rows of full (B, N, D)
static void residual_add_text(float *out, const float *full, int B, int N, int I, int T, int D) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *y = out + ((size_t)b * T + t) * D;
            const float *x = full + ((size_t)b * N + I + t) * D;
            for (int d = 0; d < D; d++) y[d] += x[d];
        }
}

static int model_task_count(const Model *model, int batch_size) {
    const ModelState *s = model->activations;
    if (model->use_reference) return 1;
    return batch_size < s->task_count ? batch_size : s->task_count;
}

// The view of rows [b0, b1) of a batch.
static ModelBatch batch_rows(const ModelBatch *batch, const ModelConfig *c, int b0, int b1) {
    size_t T = (size_t)batch->text_len_max, S = (size_t)c->image_size;
    ModelBatch sub = {
        .batch_size = b1 - b0,
        .text_len_max = batch->text_len_max,
        .images = batch->images + (size_t)b0 * MODEL_IMAGE_COUNT * 3 * S * S,
        .tokens = batch->tokens + b0 * T,
        .targets = batch->targets ? batch->targets + b0 * T : NULL,
        .text_len = batch->text_len + b0,
        .prefix_len = batch->prefix_len + b0,
        .candidate_flawed =
            batch->candidate_flawed ? batch->candidate_flawed + (size_t)b0 * (MODEL_IMAGE_COUNT - 1) : NULL,
        .aux_weight = batch->aux_weight,
        .dimension = batch->dimension ? batch->dimension + b0 : NULL,
        .vision_features = NULL, // the tower's features were made for the whole batch (model_vision_forward)
        .tower_tokens = NULL,
    };
    return sub;
}

// Offsets (in floats) of batch row b0 in each family of activation buffers, named by the buffers'
// shape: the whole sequence (N = image + text rows) or the text rows alone (T).
typedef struct RowOffsets {
    size_t sequence;       // (B, N, D): residual stream, LN outputs, attention (qkv: 3 times this)
    size_t sequence_stats; // (B, N): LayerNorm mean and rstd
    size_t sequence_mlp;   // (B, N, F): MLP hidden layer
    size_t attention_maps; // (B, heads, N, N): attention probabilities and their gradient
    size_t text;           // (B, T, D): final LayerNorm and its gradient
    size_t text_stats;     // (B, T): final LayerNorm mean and rstd
    size_t text_vocab;     // (B, T, V): output probabilities and logit gradients
} RowOffsets;

static RowOffsets row_offsets(const ModelConfig *c, int b0, int N, int T) {
    size_t b = (size_t)b0;
    return (RowOffsets){.sequence = b * N * c->dim,
                        .sequence_stats = b * N,
                        .sequence_mlp = b * N * c->mlp_hidden,
                        .attention_maps = b * c->heads * N * N,
                        .text = b * T * c->dim,
                        .text_stats = b * T,
                        .text_vocab = b * T * c->vocab_size};
}

// Forward of the rows of `sub` (rows b0.. of the batch): stem, embeddings, blocks, final LN of the
// text rows and, when logprobs is not NULL, the tied head and its softmax.
static void forward_rows(Model *model, const ModelBatch *sub, int b0, float *logprobs, float *entropy) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int B = sub->batch_size, T = sub->text_len_max, D = c->dim, F = c->mlp_hidden;
    AttentionMask mask = {MODEL_IMAGE_COUNT * model_image_tokens(c), sub->text_len, sub->prefix_len};
    int N = mask.image_tokens + T, rows = B * N;
    RowOffsets o = row_offsets(c, b0, N, T);
    model_stem_forward(model, sub, b0);
    model_embedding_forward(model, sub, b0);
    const float *residual = s->encoded + o.sequence;
    int I = mask.image_tokens, text_rows = B * T;
    for (int l = 0; l < c->layers; l++) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        float *qkv = a->qkv + 3 * o.sequence, *attention = a->attention + o.sequence;
        float *after_attention = a->residual_attention + o.sequence;
        float *ln1 = a->ln1 + o.sequence, *ln2 = a->ln2 + o.sequence;
        float *fc = a->fc + o.sequence_mlp, *fc_gelu = a->fc_gelu + o.sequence_mlp;
        float *ln1_mean = a->ln1_mean + o.sequence_stats, *ln1_rstd = a->ln1_rstd + o.sequence_stats;
        float *ln2_mean = a->ln2_mean + o.sequence_stats, *ln2_rstd = a->ln2_rstd + o.sequence_stats;
        // (B, N, D) -> LN -> (B, N, 3D) -> attention -> (B, N, D) -> proj + residual
        k->layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, p->ln1_weight, p->ln1_bias, rows, D);
        k->matmul_forward(qkv, ln1, p->qkv_weight, p->qkv_bias, rows, D, 3 * D);
        k->attention_forward(attention, a->probs + o.attention_maps, qkv, &mask, B, N, D, c->heads);
        int m = rows; // rows the rest of the block runs on: all, or the text rows of the last block
        if (l == c->layers - 1) {
            candidate_forward(model, sub, b0, residual, N);
            rows_gather_text(attention, B, N, I, T, D);
            m = text_rows;
        }
        k->matmul_forward(after_attention, attention, p->proj_weight, p->proj_bias, m, D, D);
        if (m == rows)
            residual_add(after_attention, residual, (size_t)rows * D);
        else
            residual_add_text(after_attention, residual, B, N, I, T, D);
        // (m, D) -> LN -> (m, F) -> GELU -> (m, D) + residual
        k->layernorm_forward(ln2, ln2_mean, ln2_rstd, after_attention, p->ln2_weight, p->ln2_bias, m, D);
        k->matmul_forward(fc, ln2, p->fc_weight, p->fc_bias, m, D, F);
        k->gelu_forward(fc_gelu, fc, (size_t)m * F);
        k->matmul_forward(a->residual_mlp + o.sequence, fc_gelu, p->fc_proj_weight, p->fc_proj_bias, m, F, D);
        residual_add(a->residual_mlp + o.sequence, after_attention, (size_t)m * D);
        residual = a->residual_mlp + o.sequence;
    }
    // final LayerNorm of the text rows, which the last block left compact (B, T, D), after the
    // candidate pointer when the config has one
    residual = candidate_pointer_forward(model, b0, B, T, residual);
    k->layernorm_forward(s->final_ln + o.text, s->final_mean + o.text_stats, s->final_rstd + o.text_stats, residual,
                         s->params.final_ln_weight, s->params.final_ln_bias, text_rows, D);
    if (!logprobs) return;
    // tied head: (B*T, D) · token_embeddingᵀ -> (B*T, V), then softmax in place
    k->matmul_forward(s->probs + o.text_vocab, s->final_ln + o.text, s->params.token_embedding, NULL, B * T, D,
                      c->vocab_size);
    k->softmax_logprob_forward(logprobs, entropy, s->probs + o.text_vocab, sub->targets, B * T, c->vocab_size);
}

static int model_run_forward(Model *model, const ModelBatch *batch, float *logprobs, float *entropy, Error *err) {
    if (model_batch_validate(model, batch, err) != 0) return -1;
    ModelState *s = model->activations;
    int B = batch->batch_size, T = batch->text_len_max, tasks = model_task_count(model, B);
    if (model->tower && model_vision_forward(model, batch, err) != 0) return -1;
    int previous = kernels_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (tasks > 1)
    for (int task = 0; task < tasks; task++) {
        int b0 = task * B / tasks, b1 = (task + 1) * B / tasks;
        ModelBatch sub = batch_rows(batch, &model->config, b0, b1);
        forward_rows(model, &sub, b0, logprobs ? logprobs + (size_t)b0 * T : NULL,
                     entropy ? entropy + (size_t)b0 * T : NULL);
    }
    kernels_blas_serial_end(previous);
    model->last_aux_loss = 0.0f;
    if (model->config.candidate_head && batch->candidate_flawed) {
        double sum = 0.0; // in row order: the same at any thread count
        for (int b = 0; b < B; b++) sum += s->cand_loss[b];
        model->last_aux_loss = (float)(sum / (4.0 * B));
    }
    s->last_batch = B;
    s->last_text_len = T;
    return 0;
}

int model_forward_hidden(Model *model, const ModelBatch *batch, Error *err) {
    return model_run_forward(model, batch, NULL, NULL, err);
}

int model_forward(Model *model, const ModelBatch *batch, float *logprobs, float *entropy, Error *err) {
    if (!batch->targets) return error_set(err, "model_forward: batch has no targets");
    if (model_run_forward(model, batch, logprobs, entropy, err) != 0) return -1;
    int rows = batch->batch_size * batch->text_len_max;
    for (int i = 0; i < rows; i++)
        if (!isfinite(logprobs[i])) return error_set(err, "model_forward: non-finite log-probability at row %d", i);
    return 0;
}

// Backward of the rows of `sub` (rows b0.. of the batch), accumulating parameter grads into `g`.
static void backward_rows(Model *model, const ModelBatch *sub, int b0, int batch_size, const float *dlogprobs,
                          ModelParams *g) {
    const ModelConfig *c = &model->config;
    ModelState *s = model->activations;
    const KernelOps *k = model_kernels(model);
    int B = sub->batch_size, T = sub->text_len_max, D = c->dim, F = c->mlp_hidden, V = c->vocab_size;
    AttentionMask mask = {MODEL_IMAGE_COUNT * model_image_tokens(c), sub->text_len, sub->prefix_len};
    int N = mask.image_tokens + T, rows = B * N;
    RowOffsets o = row_offsets(c, b0, N, T);
    size_t sequence_floats = (size_t)rows * D;
    float *dresidual = s->dresidual + o.sequence, *dln = s->dln + o.sequence, *dqkv = s->dqkv + 3 * o.sequence;
    float *dattention = s->dattention + o.sequence;
    float *dfc = s->dfc + o.sequence_mlp, *dfc_gelu = s->dfc_gelu + o.sequence_mlp;
    // head: d(logits) -> d(final LN) and the tied embedding's gradient
    k->softmax_logprob_backward(s->dlogits + o.text_vocab, dlogprobs, s->probs + o.text_vocab, sub->targets, B * T, V);
    memset(s->dfinal_ln + o.text, 0, sizeof(float) * (size_t)B * T * D);
    k->matmul_backward(s->dfinal_ln + o.text, g->token_embedding, NULL, s->dlogits + o.text_vocab, s->final_ln + o.text,
                       s->params.token_embedding, B * T, D, V);
    // the final LayerNorm's input is the last block's compact (B, T, D) output
    int I = mask.image_tokens, text_rows = B * T;
    const float *text_out = s->layers[c->layers - 1].residual_mlp + o.sequence;
    const float *final_in = c->candidate_head && c->candidate_pointer ? s->cand_fused + o.text : text_out;
    memset(dresidual, 0, sizeof(float) * sequence_floats);
    k->layernorm_backward(dresidual, g->final_ln_weight, g->final_ln_bias, s->dfinal_ln + o.text, final_in,
                          s->params.final_ln_weight, s->final_mean + o.text_stats, s->final_rstd + o.text_stats,
                          text_rows, D);
    candidate_pointer_backward(model, b0, B, T, text_out, dresidual, g);
    // blocks in reverse; dresidual carries d(residual stream) through every residual add
    for (int l = c->layers - 1; l >= 0; l--) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        LayerParams *lg = &g->layers[l];
        const float *residual = l == 0 ? s->encoded + o.sequence : s->layers[l - 1].residual_mlp + o.sequence;
        int m = l == c->layers - 1 ? text_rows : rows; // as in forward_rows
        memset(dfc_gelu, 0, sizeof(float) * (size_t)m * F);
        k->matmul_backward(dfc_gelu, lg->fc_proj_weight, lg->fc_proj_bias, dresidual, a->fc_gelu + o.sequence_mlp,
                           p->fc_proj_weight, m, F, D);
        memset(dfc, 0, sizeof(float) * (size_t)m * F);
        k->gelu_backward(dfc, a->fc + o.sequence_mlp, dfc_gelu, (size_t)m * F);
        memset(dln, 0, sizeof(float) * (size_t)m * D);
        k->matmul_backward(dln, lg->fc_weight, lg->fc_bias, dfc, a->ln2 + o.sequence, p->fc_weight, m, D, F);
        k->layernorm_backward(dresidual, lg->ln2_weight, lg->ln2_bias, dln, a->residual_attention + o.sequence,
                              p->ln2_weight, a->ln2_mean + o.sequence_stats, a->ln2_rstd + o.sequence_stats, m, D);
        memset(dattention, 0, sizeof(float) * (size_t)m * D);
        k->matmul_backward(dattention, lg->proj_weight, lg->proj_bias, dresidual, a->attention + o.sequence,
                           p->proj_weight, m, D, D);
        if (m != rows) {
            // back to all rows: image rows get no gradient from above the last attention
            rows_scatter_text(dattention, B, N, I, T, D);
            rows_scatter_text(dresidual, B, N, I, T, D);
        }
        memset(dqkv, 0, sizeof(float) * sequence_floats * 3);
        k->attention_backward(dqkv, s->dscores + o.attention_maps, dattention, a->probs + o.attention_maps,
                              a->qkv + 3 * o.sequence, &mask, B, N, D, c->heads);
        memset(dln, 0, sizeof(float) * sequence_floats);
        k->matmul_backward(dln, lg->qkv_weight, lg->qkv_bias, dqkv, a->ln1 + o.sequence, p->qkv_weight, rows, D, 3 * D);
        k->layernorm_backward(dresidual, lg->ln1_weight, lg->ln1_bias, dln, residual, p->ln1_weight,
                              a->ln1_mean + o.sequence_stats, a->ln1_rstd + o.sequence_stats, rows, D);
        if (l == c->layers - 1) candidate_head_backward(model, sub, b0, batch_size, dresidual, N, g);
    }
    model_embedding_backward(model, sub, b0, g);
    model_stem_backward(model, sub, b0, g);
}

int model_backward(Model *model, const ModelBatch *batch, const float *dlogprobs, Error *err) {
    ModelState *s = model->activations;
    if (s->last_batch != batch->batch_size || s->last_text_len != batch->text_len_max)
        return error_set(err, "model_backward: batch shape differs from the last model_forward (call forward first)");
    int B = batch->batch_size, T = batch->text_len_max, tasks = model_task_count(model, B);
    size_t count = model->param_count;
    int previous = kernels_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (tasks > 1)
    for (int task = 0; task < tasks; task++) {
        int b0 = task * B / tasks, b1 = (task + 1) * B / tasks;
        ModelBatch sub = batch_rows(batch, &model->config, b0, b1);
        if (tasks > 1) memset(s->task_grads + count * task, 0, sizeof(float) * count);
        backward_rows(model, &sub, b0, B, dlogprobs + (size_t)b0 * T, tasks > 1 ? &s->task_views[task] : &s->grads);
    }
    kernels_blas_serial_end(previous);
    if (tasks > 1) {
        // grads += Σ task blocks, in task order for every element
#pragma omp parallel for schedule(static) if (count > 65536)
        for (size_t i = 0; i < count; i++) {
            float sum = 0.0f;
            for (int task = 0; task < tasks; task++) sum += s->task_grads[count * task + i];
            model->grads[i] += sum;
        }
    }
    if (model->train_tower_heads && model->tower) return model_vision_backward(model, B, err);
    return 0;
}

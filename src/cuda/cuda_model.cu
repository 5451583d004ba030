// cuda_model.cu — the whole model on the device: memory (one block for parameters, one for
// gradients, one for AdamW moments, one for activations), batch upload, and forward/backward in
// exactly model_forward.c's order with the kernels of this folder, so the CPU is the oracle.
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model_internal.cuh"

// Views of one device block, grouped by size class (every view 256-byte aligned).
typedef struct ViewGroup {
    float **views[8];
    size_t count; // floats per view
} ViewGroup;

static size_t place_groups(const ViewGroup *groups, int group_count, float *base, size_t used) {
    for (int g = 0; g < group_count; g++)
        for (int v = 0; v < 8 && groups[g].views[v]; v++) {
            *groups[g].views[v] = base ? base + used : NULL;
            used += (groups[g].count + 63) & ~(size_t)63;
        }
    return used;
}

// Points the activation views of st->s (model_internal.h's ModelState, the CPU's names) and the
// batch buffers into `base` (NULL: only measures); returns the float count.
static size_t cuda_state_layout(CudaModelState *st, const ModelConfig *c, int max_batch, float *base) {
    ModelState *s = &st->s;
    size_t B = (size_t)max_batch, D = c->dim, F = c->mlp_hidden, T = c->max_text_len, V = c->vocab_size;
    size_t N = (size_t)MODEL_IMAGE_COUNT * model_image_tokens(c) + T, images = B * MODEL_IMAGE_COUNT;
    size_t side = (size_t)c->image_size, H = (size_t)c->heads, used = 0;
    const ViewGroup inputs[] = {{{&st->images, &s->stem_input}, images * 3 * side * side}};
    used = place_groups(inputs, 1, base, used);
    int convs = model_stem_convs(c);
    for (int l = 0; l < convs; l++) {
        StemConv conv = model_stem_conv(c, l);
        size_t out_side = (size_t)conv.out_side, out_ch = (size_t)conv.out_ch, in_ch = (size_t)conv.in_ch;
        int last = l == convs - 1, k = 0;
        // conv output, its instance norm (stem_norm; else stem_normed aliases stem_conv), then GELU
        // (not after the last conv, whose stem_normed rows are the image tokens)
        ViewGroup stem[] = {{{&s->stem_col[l]}, images * out_side * out_side * 9 * in_ch},
                            {{NULL}, images * out_side * out_side * out_ch},
                            {{&s->stem_norm_mean[l], &s->stem_norm_rstd[l]}, images * out_ch}};
        float ***outputs = stem[1].views;
        outputs[k++] = &s->stem_conv[l], outputs[k++] = &s->dstem_conv[l];
        if (c->stem_norm) outputs[k++] = &s->stem_normed[l], outputs[k++] = &s->dstem_normed[l];
        if (!last) outputs[k++] = &s->stem_gelu[l], outputs[k++] = &s->dstem_gelu[l];
        used = place_groups(stem, c->stem_norm ? 3 : 2, base, used);
        if (!c->stem_norm) {
            s->stem_normed[l] = s->stem_conv[l], s->dstem_normed[l] = s->dstem_conv[l];
            s->stem_norm_mean[l] = s->stem_norm_rstd[l] = NULL;
        }
        if (last) s->stem_gelu[l] = s->dstem_gelu[l] = NULL;
    }
    for (int l = 0; l < c->layers; l++) {
        LayerActivations *a = &s->layers[l];
        const ViewGroup layer[] = {
            {{&a->ln1, &a->attention, &a->residual_attention, &a->ln2, &a->residual_mlp}, B * N * D},
            {{&a->ln1_mean, &a->ln1_rstd, &a->ln2_mean, &a->ln2_rstd}, B * N},
            {{&a->qkv}, B * N * 3 * D},
            {{&a->probs}, B * H * N * N},
            {{&a->fc, &a->fc_gelu}, B * N * F},
        };
        used = place_groups(layer, 5, base, used);
    }
    // ints and doubles live in the float block too (counted in floats): placed as floats, then cast
    float *ints_bt[4], *ints_b[3], *offsets, *uniforms;
    const ViewGroup rest[] = {
        {{&s->encoded, &s->dresidual, &s->dln, &s->dattention}, B * N * D},
        {{&s->final_ln, &s->dfinal_ln}, B * T * D},
        {{&s->final_mean, &s->final_rstd, &st->logprobs, &st->entropy, &st->dlogprobs}, B * T},
        {{&s->probs, &s->dlogits}, B * T * V},
        {{&s->dqkv}, B * N * 3 * D},
        {{&s->dscores}, B * H * N * N},
        {{&s->dfc, &s->dfc_gelu}, B * N * F},
        {{&ints_bt[0], &ints_bt[1], &ints_bt[2], &ints_bt[3]}, B * T},
        {{&offsets}, B * T + 1},
        {{&ints_b[0], &ints_b[1], &ints_b[2], &st->sampled_logprobs}, B},
        {{&st->logits}, B * V},
        {{&st->sample_scratch}, B * V * 3},
        {{&uniforms}, 2 * B},
    };
    used = place_groups(rest, (int)(sizeof rest / sizeof rest[0]), base, used);
    st->tokens = (int *)ints_bt[0], st->targets = (int *)ints_bt[1];
    st->token_ids = (int *)ints_bt[2], st->token_rows = (int *)ints_bt[3], st->token_offsets = (int *)offsets;
    st->text_len = (int *)ints_b[0], st->prefix_len = (int *)ints_b[1], st->sampled = (int *)ints_b[2];
    st->uniforms = (double *)uniforms;
    return used;
}

static CudaModelState *state_of(const CudaModel *gpu) { return (CudaModelState *)gpu->state; }

extern "C" void cuda_model_free(CudaModel *gpu) {
    if (!gpu) return;
    CudaModelState *st = state_of(gpu);
    if (st) {
        cudaFree(st->s.block);
        free(st->s.params.layers);
        free(st->s.grads.layers);
        free(st->s.layers);
        free(st->host_token_ids);
        free(st->host_token_offsets);
        free(st->host_token_rows);
        free(st->host_sort);
        free(st);
    }
    cudaFree(gpu->params);
    cudaFree(gpu->grads);
    cudaFree(gpu->moments);
    free(gpu->tensors);
    memset(gpu, 0, sizeof *gpu);
}

extern "C" int cuda_model_create(CudaModel *gpu, const Model *host, int max_batch, Error *err) {
    memset(gpu, 0, sizeof *gpu);
    if (cuda_device_count() < 1) return error_set(err, "no CUDA device");
    if (max_batch < 1) return error_set(err, "CUDA model: max_batch %d must be at least 1", max_batch);
    const ModelConfig *c = &host->config;
    if (c->candidate_head || c->candidate_pointer)
        return error_set(err, "CUDA model: config '%s' has the candidate head/pointer, which the GPU build does not "
                              "implement yet; use the plain variant (e.g. --config %s:plain)",
                         c->name, c->name);
    if (c->vision_tower)
        return error_set(err, "CUDA model: config '%s' reads images through a vision tower, which the GPU build "
                              "does not implement yet; train it on the CPU", c->name);
    gpu->config = *c;
    gpu->max_batch = max_batch;
    gpu->param_count = host->param_count;
    gpu->tensor_count = host->tensor_count;
    gpu->tensors = (ModelTensor *)malloc(sizeof(ModelTensor) * host->tensor_count);
    CudaModelState *st = (CudaModelState *)calloc(1, sizeof *st);
    gpu->state = st;
    size_t BT = (size_t)max_batch * c->max_text_len;
    if (!gpu->tensors || !st) goto out_of_memory;
    memcpy(gpu->tensors, host->tensors, sizeof(ModelTensor) * host->tensor_count);
    st->s.params.layers = (LayerParams *)calloc(c->layers, sizeof(LayerParams));
    st->s.grads.layers = (LayerParams *)calloc(c->layers, sizeof(LayerParams));
    st->s.layers = (LayerActivations *)calloc(c->layers, sizeof(LayerActivations));
    st->host_token_ids = (int *)malloc(sizeof(int) * BT);
    st->host_token_offsets = (int *)malloc(sizeof(int) * (BT + 1));
    st->host_token_rows = (int *)malloc(sizeof(int) * BT);
    st->host_sort = (int *)malloc(sizeof(int) * 2 * BT);
    if (!st->s.params.layers || !st->s.grads.layers || !st->s.layers || !st->host_token_ids ||
        !st->host_token_offsets || !st->host_token_rows || !st->host_sort)
        goto out_of_memory;
    if (!(gpu->params = (float *)cuda_malloc(sizeof(float) * gpu->param_count, err)) ||
        !(gpu->grads = (float *)cuda_malloc(sizeof(float) * gpu->param_count, err)) ||
        !(gpu->moments = (float *)cuda_malloc(sizeof(float) * 2 * gpu->param_count, err)))
        goto device_failed;
    // the CPU model's views, pointed at device blocks: same offsets, other base
    model_point_parameters(&st->s.params, host, gpu->params);
    model_point_parameters(&st->s.grads, host, gpu->grads);
    st->s.block_floats = cuda_state_layout(st, c, max_batch, NULL);
    if (!(st->s.block = (float *)cuda_malloc(sizeof(float) * st->s.block_floats, err))) goto device_failed;
    cuda_state_layout(st, c, max_batch, st->s.block);
    if (cuda_model_upload_parameters(gpu, host->params, err) != 0) goto device_failed;
    return 0;
out_of_memory:
    cuda_model_free(gpu);
    return error_set(err, "CUDA model: out of host memory");
device_failed:
    cuda_model_free(gpu);
    return error_prefix(err, "CUDA model (config '%s', max_batch %d): ", c->name, max_batch);
}

extern "C" int cuda_model_upload_parameters(CudaModel *gpu, const float *host_params, Error *err) {
    return cuda_upload(gpu->params, host_params, sizeof(float) * gpu->param_count, err);
}

extern "C" int cuda_model_download_parameters(const CudaModel *gpu, float *host_params, Error *err) {
    return cuda_download(host_params, gpu->params, sizeof(float) * gpu->param_count, err);
}

extern "C" int cuda_model_download_gradients(const CudaModel *gpu, float *host_grads, Error *err) {
    return cuda_download(host_grads, gpu->grads, sizeof(float) * gpu->param_count, err);
}

extern "C" void cuda_model_zero_grad(CudaModel *gpu) { cudaMemset(gpu->grads, 0, sizeof(float) * gpu->param_count); }

// The checks model_forward makes before touching memory (token ids index the embedding on the device).
static int cuda_batch_validate(const CudaModel *gpu, const ModelBatch *batch, Error *err) {
    const ModelConfig *c = &gpu->config;
    if (batch->batch_size < 1 || batch->batch_size > gpu->max_batch)
        return error_set(err, "CUDA model: batch of %d rows, created for 1 to %d", batch->batch_size, gpu->max_batch);
    if (batch->text_len_max < 1 || batch->text_len_max > c->max_text_len)
        return error_set(err, "CUDA model: text length %d out of range [1, %d]", batch->text_len_max, c->max_text_len);
    if (!batch->images || !batch->tokens || !batch->text_len || !batch->prefix_len)
        return error_set(err, "CUDA model: batch is missing images, tokens, text_len or prefix_len");
    for (int b = 0; b < batch->batch_size; b++) {
        int len = batch->text_len[b], prefix = batch->prefix_len[b];
        if (len < 1 || len > batch->text_len_max || prefix < 1 || prefix > len)
            return error_set(err, "CUDA model: row %d has text_len %d and prefix_len %d", b, len, prefix);
        for (int t = 0; t < batch->text_len_max; t++) {
            int token = batch->tokens[(size_t)b * batch->text_len_max + t];
            int target = batch->targets ? batch->targets[(size_t)b * batch->text_len_max + t] : -1;
            if ((t < len && (token < 0 || token >= c->vocab_size)) || target < -1 || target >= c->vocab_size)
                return error_set(err, "CUDA model: row %d position %d has token %d / target %d outside [0, %d)", b, t,
                                 token, target, c->vocab_size);
        }
    }
    return 0;
}

static AttentionMask cuda_mask(const CudaModel *gpu) {
    CudaModelState *st = state_of(gpu);
    AttentionMask mask = {MODEL_IMAGE_COUNT * model_image_tokens(&gpu->config), st->text_len, st->prefix_len};
    return mask;
}

// Uploads the batch (the images only when upload_images: generation keeps them) and runs the
// network to the final LayerNorm of the text rows (s.final_ln).
int cuda_forward_hidden(CudaModel *gpu, const ModelBatch *batch, int upload_images, Error *err) {
    if (cuda_batch_validate(gpu, batch, err) != 0) return -1;
    const ModelConfig *c = &gpu->config;
    CudaModelState *st = state_of(gpu);
    ModelState *s = &st->s;
    int B = batch->batch_size, T = batch->text_len_max, D = c->dim, F = c->mlp_hidden, S = c->image_size;
    AttentionMask mask = cuda_mask(gpu);
    int N = mask.image_tokens + T, rows = B * N, images = B * MODEL_IMAGE_COUNT;
    size_t BT = (size_t)B * T;
    if ((upload_images && cuda_upload(st->images, batch->images, sizeof(float) * images * 3 * S * S, err) != 0) ||
        cuda_upload(st->tokens, batch->tokens, sizeof(int) * BT, err) != 0 ||
        cuda_upload(st->text_len, batch->text_len, sizeof(int) * B, err) != 0 ||
        cuda_upload(st->prefix_len, batch->prefix_len, sizeof(int) * B, err) != 0)
        return -1;
    if (batch->targets && cuda_upload(st->targets, batch->targets, sizeof(int) * BT, err) != 0) return -1;
    // stem (model_stem_forward)
    cuda_stem_input(s->stem_input, st->images, images, S);
    const float *input = s->stem_input;
    int convs = model_stem_convs(c);
    for (int l = 0; l < convs; l++) {
        StemConv v = model_stem_conv(c, l);
        int out_plane = v.out_side * v.out_side;
        conv2d_forward_cuda(s->stem_conv[l], s->stem_col[l], input, s->params.stem_weight[l], s->params.stem_bias[l],
                            images, v.in_side, v.in_side, v.in_ch, v.out_ch, v.stride);
        if (c->stem_norm)
            instancenorm_forward_cuda(s->stem_normed[l], s->stem_norm_mean[l], s->stem_norm_rstd[l], s->stem_conv[l],
                                      s->params.stem_norm_weight[l], s->params.stem_norm_bias[l], images, out_plane,
                                      v.out_ch);
        if (l < convs - 1) {
            gelu_forward_cuda(s->stem_gelu[l], s->stem_normed[l], (size_t)images * out_plane * v.out_ch);
            input = s->stem_gelu[l];
        }
    }
    cuda_embedding_forward(s->encoded, s->stem_normed[convs - 1], &s->params, st->tokens, st->text_len, B,
                           model_image_tokens(c), T, D);
    const float *residual = s->encoded;
    for (int l = 0; l < c->layers; l++) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        layernorm_forward_cuda(a->ln1, a->ln1_mean, a->ln1_rstd, residual, p->ln1_weight, p->ln1_bias, rows, D);
        matmul_forward_cuda(a->qkv, a->ln1, p->qkv_weight, p->qkv_bias, rows, D, 3 * D);
        attention_forward_cuda(a->attention, a->probs, a->qkv, &mask, B, N, D, c->heads);
        matmul_forward_cuda(a->residual_attention, a->attention, p->proj_weight, p->proj_bias, rows, D, D);
        residual_add_cuda(a->residual_attention, residual, (size_t)rows * D);
        layernorm_forward_cuda(a->ln2, a->ln2_mean, a->ln2_rstd, a->residual_attention, p->ln2_weight, p->ln2_bias,
                               rows, D);
        matmul_forward_cuda(a->fc, a->ln2, p->fc_weight, p->fc_bias, rows, D, F);
        gelu_forward_cuda(a->fc_gelu, a->fc, (size_t)rows * F);
        matmul_forward_cuda(a->residual_mlp, a->fc_gelu, p->fc_proj_weight, p->fc_proj_bias, rows, F, D);
        residual_add_cuda(a->residual_mlp, a->residual_attention, (size_t)rows * D);
        residual = a->residual_mlp;
    }
    for (int b = 0; b < B; b++)
        layernorm_forward_cuda(s->final_ln + (size_t)b * T * D, s->final_mean + (size_t)b * T,
                               s->final_rstd + (size_t)b * T, residual + ((size_t)b * N + mask.image_tokens) * D,
                               s->params.final_ln_weight, s->params.final_ln_bias, T, D);
    s->last_batch = B;
    s->last_text_len = T;
    return cuda_check("CUDA forward", err);
}

extern "C" int cuda_model_forward(CudaModel *gpu, const ModelBatch *batch, float *logprobs, float *entropy,
                                  Error *err) {
    if (!batch->targets) return error_set(err, "cuda_model_forward: batch has no targets");
    if (cuda_forward_hidden(gpu, batch, 1, err) != 0) return -1;
    CudaModelState *st = state_of(gpu);
    ModelState *s = &st->s;
    int rows = batch->batch_size * batch->text_len_max, V = gpu->config.vocab_size;
    matmul_forward_cuda(s->probs, s->final_ln, s->params.token_embedding, NULL, rows, gpu->config.dim, V);
    softmax_logprob_forward_cuda(st->logprobs, entropy ? st->entropy : NULL, s->probs, st->targets, rows, V);
    if (cuda_check("CUDA head", err) != 0 || cuda_download(logprobs, st->logprobs, sizeof(float) * rows, err) != 0)
        return -1;
    if (entropy && cuda_download(entropy, st->entropy, sizeof(float) * rows, err) != 0) return -1;
    for (int i = 0; i < rows; i++)
        if (!isfinite(logprobs[i])) return error_set(err, "cuda_model_forward: non-finite log-probability at row %d", i);
    return 0;
}

// The batch's text positions grouped by token id (ascending), each group in (row, position) order.
static int cuda_token_groups(CudaModel *gpu, const ModelBatch *batch, Error *err) {
    CudaModelState *st = state_of(gpu);
    int B = batch->batch_size, T = batch->text_len_max, N = MODEL_IMAGE_COUNT * model_image_tokens(&gpu->config) + T;
    int V = gpu->config.vocab_size, count = 0, unique = 0;
    // counting sort by token id: host_sort holds (token, sequence row) pairs
    int *pairs = st->host_sort;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < batch->text_len[b]; t++) {
            pairs[2 * count] = batch->tokens[(size_t)b * T + t];
            pairs[2 * count + 1] = b * N + MODEL_IMAGE_COUNT * model_image_tokens(&gpu->config) + t;
            count++;
        }
    int *bucket = (int *)calloc((size_t)V + 1, sizeof(int));
    if (!bucket) return error_set(err, "CUDA model: out of memory");
    for (int k = 0; k < count; k++) bucket[pairs[2 * k] + 1]++;
    for (int v = 0; v < V; v++) bucket[v + 1] += bucket[v];
    for (int v = 0; v < V; v++)
        if (bucket[v + 1] > bucket[v]) {
            st->host_token_ids[unique] = v;
            st->host_token_offsets[unique++] = bucket[v];
        }
    st->host_token_offsets[unique] = count;
    for (int k = 0; k < count; k++) st->host_token_rows[bucket[pairs[2 * k]]++] = pairs[2 * k + 1];
    free(bucket);
    st->unique_tokens = unique;
    if (cuda_upload(st->token_ids, st->host_token_ids, sizeof(int) * (unique > 0 ? unique : 1), err) != 0 ||
        cuda_upload(st->token_offsets, st->host_token_offsets, sizeof(int) * (unique + 1), err) != 0 ||
        cuda_upload(st->token_rows, st->host_token_rows, sizeof(int) * (count > 0 ? count : 1), err) != 0)
        return -1;
    return 0;
}

// model_stem_backward: dstem_normed of the last conv was written by cuda_embedding_backward.
static void cuda_stem_backward(CudaModel *gpu, int B) {
    const ModelConfig *c = &gpu->config;
    ModelState *s = &state_of(gpu)->s;
    int images = B * MODEL_IMAGE_COUNT;
    for (int l = model_stem_convs(c) - 1; l >= 0; l--) {
        StemConv v = model_stem_conv(c, l);
        int out_plane = v.out_side * v.out_side;
        size_t n = (size_t)images * v.in_side * v.in_side * v.in_ch;
        if (c->stem_norm) {
            cudaMemsetAsync(s->dstem_conv[l], 0, sizeof(float) * (size_t)images * out_plane * v.out_ch);
            instancenorm_backward_cuda(s->dstem_conv[l], s->grads.stem_norm_weight[l], s->grads.stem_norm_bias[l],
                                       s->dstem_normed[l], s->stem_conv[l], s->params.stem_norm_weight[l],
                                       s->stem_norm_mean[l], s->stem_norm_rstd[l], images, out_plane, v.out_ch);
        }
        const float *input = l == 0 ? s->stem_input : s->stem_gelu[l - 1];
        float *dinput = l == 0 ? NULL : s->dstem_gelu[l - 1];
        if (dinput) cudaMemsetAsync(dinput, 0, sizeof(float) * n);
        conv2d_backward_cuda(dinput, s->grads.stem_weight[l], s->grads.stem_bias[l], s->dstem_conv[l], s->stem_col[l],
                             input, s->params.stem_weight[l], images, v.in_side, v.in_side, v.in_ch, v.out_ch,
                             v.stride);
        if (l > 0) {
            cudaMemsetAsync(s->dstem_normed[l - 1], 0, sizeof(float) * n);
            gelu_backward_cuda(s->dstem_normed[l - 1], s->stem_normed[l - 1], s->dstem_gelu[l - 1], n);
        }
    }
}

extern "C" int cuda_model_backward(CudaModel *gpu, const ModelBatch *batch, const float *dlogprobs, Error *err) {
    const ModelConfig *c = &gpu->config;
    CudaModelState *st = state_of(gpu);
    ModelState *s = &st->s;
    if (s->last_batch != batch->batch_size || s->last_text_len != batch->text_len_max)
        return error_set(err, "cuda_model_backward: batch shape differs from the last forward (call forward first)");
    int B = batch->batch_size, T = batch->text_len_max, D = c->dim, F = c->mlp_hidden, V = c->vocab_size;
    AttentionMask mask = cuda_mask(gpu);
    int N = mask.image_tokens + T, rows = B * N;
    size_t nd = (size_t)rows * D;
    if (cuda_upload(st->dlogprobs, dlogprobs, sizeof(float) * B * T, err) != 0) return -1;
    if (cuda_token_groups(gpu, batch, err) != 0) return -1;
    softmax_logprob_backward_cuda(s->dlogits, st->dlogprobs, s->probs, st->targets, B * T, V);
    cudaMemsetAsync(s->dfinal_ln, 0, sizeof(float) * (size_t)B * T * D);
    matmul_backward_cuda(s->dfinal_ln, s->grads.token_embedding, NULL, s->dlogits, s->final_ln,
                         s->params.token_embedding, B * T, D, V);
    cudaMemsetAsync(s->dresidual, 0, sizeof(float) * nd);
    const float *last = c->layers > 0 ? s->layers[c->layers - 1].residual_mlp : s->encoded;
    for (int b = 0; b < B; b++) {
        size_t text = ((size_t)b * N + mask.image_tokens) * D;
        layernorm_backward_cuda(s->dresidual + text, s->grads.final_ln_weight, s->grads.final_ln_bias,
                                s->dfinal_ln + (size_t)b * T * D, last + text, s->params.final_ln_weight,
                                s->final_mean + (size_t)b * T, s->final_rstd + (size_t)b * T, T, D);
    }
    for (int l = c->layers - 1; l >= 0; l--) {
        LayerActivations *a = &s->layers[l];
        const LayerParams *p = &s->params.layers[l];
        LayerParams *g = &s->grads.layers[l];
        const float *residual = l == 0 ? s->encoded : s->layers[l - 1].residual_mlp;
        cudaMemsetAsync(s->dfc_gelu, 0, sizeof(float) * (size_t)rows * F);
        matmul_backward_cuda(s->dfc_gelu, g->fc_proj_weight, g->fc_proj_bias, s->dresidual, a->fc_gelu,
                             p->fc_proj_weight, rows, F, D);
        cudaMemsetAsync(s->dfc, 0, sizeof(float) * (size_t)rows * F);
        gelu_backward_cuda(s->dfc, a->fc, s->dfc_gelu, (size_t)rows * F);
        cudaMemsetAsync(s->dln, 0, sizeof(float) * nd);
        matmul_backward_cuda(s->dln, g->fc_weight, g->fc_bias, s->dfc, a->ln2, p->fc_weight, rows, D, F);
        layernorm_backward_cuda(s->dresidual, g->ln2_weight, g->ln2_bias, s->dln, a->residual_attention, p->ln2_weight,
                                a->ln2_mean, a->ln2_rstd, rows, D);
        cudaMemsetAsync(s->dattention, 0, sizeof(float) * nd);
        matmul_backward_cuda(s->dattention, g->proj_weight, g->proj_bias, s->dresidual, a->attention, p->proj_weight,
                             rows, D, D);
        cudaMemsetAsync(s->dqkv, 0, sizeof(float) * nd * 3);
        attention_backward_cuda(s->dqkv, s->dscores, s->dattention, a->probs, a->qkv, &mask, B, N, D, c->heads);
        cudaMemsetAsync(s->dln, 0, sizeof(float) * nd);
        matmul_backward_cuda(s->dln, g->qkv_weight, g->qkv_bias, s->dqkv, a->ln1, p->qkv_weight, rows, D, 3 * D);
        layernorm_backward_cuda(s->dresidual, g->ln1_weight, g->ln1_bias, s->dln, residual, p->ln1_weight, a->ln1_mean,
                                a->ln1_rstd, rows, D);
    }
    cuda_embedding_backward(s->dstem_normed[model_stem_convs(c) - 1], &s->grads, s->dresidual, st->text_len,
                            st->token_ids, st->token_offsets, st->token_rows, st->unique_tokens, B,
                            model_image_tokens(c), T, D);
    cuda_stem_backward(gpu, B);
    return cuda_check("CUDA backward", err);
}

extern "C" double cuda_model_adamw_update(CudaModel *gpu, const CudaAdamWConfig *c, float learning_rate) {
    double norm = grad_norm_cuda(gpu->grads, gpu->param_count);
    if (!isfinite(norm)) return norm;
    float scale = 1.0f;
    if (c->clip_norm > 0 && norm > c->clip_norm) scale = (float)(c->clip_norm / norm);
    double t = (double)(gpu->adam_step + 1);
    float correction1 = (float)(1.0 - pow(c->beta1, t)), correction2 = (float)(1.0 - pow(c->beta2, t));
    float *m = gpu->moments, *v = gpu->moments + gpu->param_count;
    for (int k = 0; k < gpu->tensor_count; k++) {
        const ModelTensor *tensor = &gpu->tensors[k];
        float decay = tensor->rank >= 2 ? c->weight_decay : 0.0f;
        size_t o = tensor->offset;
        adamw_update_cuda(gpu->params + o, gpu->grads + o, m + o, v + o, tensor->count, learning_rate, c->beta1,
                          c->beta2, c->epsilon, decay, scale, correction1, correction2);
    }
    gpu->adam_step++;
    return norm;
}

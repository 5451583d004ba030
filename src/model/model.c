// model.c — the model's memory: the parameter layout (names, shapes, initialisation), one block
// for parameters, one for gradients, one for all activations, and views into them.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

int model_layout(const ModelConfig *c, ModelTensor *tensors, float *init_std, size_t *total) {
    TensorLayout cur = {tensors, init_std, 0, 0};
    char name[64];
    int D = c->dim, F = c->mlp_hidden;
    const float embedding_std = 0.02f, residual_std = 0.02f / sqrtf(2.0f * c->layers);
    if (c->vision_tower) {
        int U = model_vision_width(c);
        tensor_layout_add(&cur, "vision.proj.weight", 1.0f / sqrtf((float)U), 2, D, U, 0, 0);
        tensor_layout_add(&cur, "vision.proj.bias", 0.0f, 1, D, 0, 0, 0);
    }
    for (int l = 0; l < model_stem_convs(c); l++) {
        StemConv conv = model_stem_conv(c, l);
        int in_ch = conv.in_ch, out_ch = conv.out_ch;
        snprintf(name, sizeof name, "stem.%d.weight", l);
        tensor_layout_add(&cur, name, 1.0f / sqrtf(9.0f * in_ch), 4, out_ch, in_ch, 3, 3);
        if (!c->stem_norm) { // a bias before the norm would cancel out (and Adam would drift it on noise)
            snprintf(name, sizeof name, "stem.%d.bias", l);
            tensor_layout_add(&cur, name, 0.0f, 1, out_ch, 0, 0, 0);
        } else {
            snprintf(name, sizeof name, "stem.%d.norm.weight", l);
            tensor_layout_add(&cur, name, -1.0f, 1, out_ch, 0, 0, 0);
            snprintf(name, sizeof name, "stem.%d.norm.bias", l);
            tensor_layout_add(&cur, name, 0.0f, 1, out_ch, 0, 0, 0);
        }
    }
    tensor_layout_add(&cur, "image_index_embedding", embedding_std, 2, MODEL_IMAGE_COUNT, D, 0, 0);
    tensor_layout_add(&cur, "image_position_embedding", embedding_std, 2, model_image_tokens(c), D, 0, 0);
    tensor_layout_add(&cur, "token_embedding", embedding_std, 2, c->vocab_size, D, 0, 0);
    tensor_layout_add(&cur, "text_position_embedding", embedding_std, 2, c->max_text_len, D, 0, 0);
    static const char *const suffixes[12] = {"ln1.weight",      "ln1.bias",      "attn.qkv.weight", "attn.qkv.bias",
                                             "attn.proj.weight", "attn.proj.bias", "ln2.weight",      "ln2.bias",
                                             "mlp.fc.weight",    "mlp.fc.bias",    "mlp.proj.weight", "mlp.proj.bias"};
    // rows, columns (0: a vector) and init of each tensor of a block, in suffixes' order
    int rows[12] = {D, D, 3 * D, 3 * D, D, D, D, D, F, F, D, D};
    int cols[12] = {0, 0, D, 0, D, 0, 0, 0, D, 0, F, 0};
    float stds[12] = {-1, 0, embedding_std, 0, residual_std, 0, -1, 0, embedding_std, 0, residual_std, 0};
    for (int l = 0; l < c->layers; l++)
        for (int i = 0; i < 12; i++) {
            snprintf(name, sizeof name, "blocks.%d.%s", l, suffixes[i]);
            tensor_layout_add(&cur, name, stds[i], cols[i] ? 2 : 1, rows[i], cols[i], 0, 0);
        }
    tensor_layout_add(&cur, "final_ln.weight", -1.0f, 1, D, 0, 0, 0);
    tensor_layout_add(&cur, "final_ln.bias", 0.0f, 1, D, 0, 0, 0);
    if (c->candidate_head) {
        tensor_layout_add(&cur, "candidate.ln.weight", -1.0f, 1, D, 0, 0, 0);
        tensor_layout_add(&cur, "candidate.ln.bias", 0.0f, 1, D, 0, 0, 0);
        tensor_layout_add(&cur, "candidate.aux.weight", embedding_std, 2, 1, 2 * D, 0, 0);
        tensor_layout_add(&cur, "candidate.aux.bias", 0.0f, 1, 1, 0, 0, 0);
    }
    if (c->candidate_head && c->candidate_pointer) {
        // the value reads unit-scale LN features at unit scale; the fusion starts as small as a residual branch
        tensor_layout_add(&cur, "candidate.value.weight", 1.0f / sqrtf(2.0f * D), 2, D, 2 * D, 0, 0);
        tensor_layout_add(&cur, "candidate.value.bias", 0.0f, 1, D, 0, 0, 0);
        tensor_layout_add(&cur, "candidate.fuse.weight", residual_std, 2, D, D, 0, 0);
        tensor_layout_add(&cur, "candidate.select.weight", embedding_std, 2, MODEL_IMAGE_COUNT, D, 0, 0);
        tensor_layout_add(&cur, "candidate.select.bias", 0.0f, 1, MODEL_IMAGE_COUNT, 0, 0, 0);
    }
    if (total) *total = cur.offset;
    return cur.count;
}

void model_point_parameters(ModelParams *view, const Model *model, float *base) {
    const ModelConfig *c = &model->config;
    const ModelTensor *t = model->tensors;
    int i = 0;
    view->vision_weight = c->vision_tower ? base + t[i++].offset : NULL;
    view->vision_bias = c->vision_tower ? base + t[i++].offset : NULL;
    for (int l = 0; l < model_stem_convs(c); l++) {
        view->stem_weight[l] = base + t[i++].offset;
        view->stem_bias[l] = c->stem_norm ? NULL : base + t[i++].offset;
        view->stem_norm_weight[l] = c->stem_norm ? base + t[i++].offset : NULL;
        view->stem_norm_bias[l] = c->stem_norm ? base + t[i++].offset : NULL;
    }
    view->image_index_embedding = base + t[i++].offset;
    view->image_position_embedding = base + t[i++].offset;
    view->token_embedding = base + t[i++].offset;
    view->text_position_embedding = base + t[i++].offset;
    for (int l = 0; l < c->layers; l++) {
        LayerParams *p = &view->layers[l];
        float **fields[12] = {&p->ln1_weight, &p->ln1_bias, &p->qkv_weight, &p->qkv_bias,
                              &p->proj_weight, &p->proj_bias, &p->ln2_weight, &p->ln2_bias,
                              &p->fc_weight, &p->fc_bias, &p->fc_proj_weight, &p->fc_proj_bias};
        for (int f = 0; f < 12; f++) *fields[f] = base + t[i++].offset;
    }
    view->final_ln_weight = base + t[i++].offset;
    view->final_ln_bias = base + t[i++].offset;
    float **candidate[9] = {&view->candidate_ln_weight,    &view->candidate_ln_bias,
                            &view->candidate_aux_weight,   &view->candidate_aux_bias,
                            &view->candidate_value_weight, &view->candidate_value_bias,
                            &view->candidate_fuse_weight,  &view->candidate_select_weight,
                            &view->candidate_select_bias};
    for (int f = 0; f < 9; f++) *candidate[f] = i < model->tensor_count ? base + t[i++].offset : NULL;
}

// Points every activation view into `base` (NULL: only measures); returns the float count.
static size_t model_state_layout(ModelState *s, const ModelConfig *c, int max_batch, float *base) {
    BlockCursor cur = {base, 0};
    size_t B = (size_t)max_batch, D = c->dim, F = c->mlp_hidden, T = c->max_text_len, V = c->vocab_size;
    size_t N = (size_t)MODEL_IMAGE_COUNT * model_image_tokens(c) + T, images = B * MODEL_IMAGE_COUNT;
    size_t side = (size_t)c->image_size;
    s->stem_input = c->vision_tower ? NULL : block_take(&cur, images * side * side * 3);
    if (c->vision_tower) {
        size_t rows = images * model_image_tokens(c);
        s->vision_features = block_take(&cur, rows * model_vision_width(c));
        s->vision_tokens = block_take(&cur, rows * D);
        s->dvision_tokens = block_take(&cur, rows * D);
        s->dvision_features = block_take(&cur, rows * model_vision_width(c));
    }
    for (int l = 0; l < model_stem_convs(c); l++) {
        StemConv conv = model_stem_conv(c, l);
        size_t out_side = (size_t)conv.out_side, out_ch = (size_t)conv.out_ch, in_ch = (size_t)conv.in_ch;
        size_t outputs = images * out_side * out_side * out_ch;
        s->stem_col[l] = block_take(&cur, images * out_side * out_side * 9 * in_ch);
        s->stem_conv[l] = block_take(&cur, outputs);
        s->dstem_conv[l] = block_take(&cur, outputs);
        if (c->stem_norm) {
            s->stem_normed[l] = block_take(&cur, outputs);
            s->dstem_normed[l] = block_take(&cur, outputs);
            s->stem_norm_mean[l] = block_take(&cur, images * out_ch);
            s->stem_norm_rstd[l] = block_take(&cur, images * out_ch);
        } else {
            s->stem_normed[l] = s->stem_conv[l], s->dstem_normed[l] = s->dstem_conv[l];
            s->stem_norm_mean[l] = s->stem_norm_rstd[l] = NULL;
        }
        int last = l == model_stem_convs(c) - 1;
        s->stem_gelu[l] = last ? NULL : block_take(&cur, outputs);
        s->dstem_gelu[l] = last ? NULL : block_take(&cur, outputs);
    }
    s->encoded = block_take(&cur, B * N * D);
    for (int l = 0; l < c->layers; l++) {
        LayerActivations *a = &s->layers[l];
        a->ln1 = block_take(&cur, B * N * D);
        a->ln1_mean = block_take(&cur, B * N);
        a->ln1_rstd = block_take(&cur, B * N);
        a->qkv = block_take(&cur, B * N * 3 * D);
        a->probs = block_take(&cur, B * (size_t)c->heads * N * N);
        a->attention = block_take(&cur, B * N * D);
        a->residual_attention = block_take(&cur, B * N * D);
        a->ln2 = block_take(&cur, B * N * D);
        a->ln2_mean = block_take(&cur, B * N);
        a->ln2_rstd = block_take(&cur, B * N);
        a->fc = block_take(&cur, B * N * F);
        a->fc_gelu = block_take(&cur, B * N * F);
        a->residual_mlp = block_take(&cur, B * N * D);
    }
    s->final_ln = block_take(&cur, B * T * D);
    s->final_mean = block_take(&cur, B * T);
    s->final_rstd = block_take(&cur, B * T);
    s->probs = block_take(&cur, B * T * V);
    s->dlogits = block_take(&cur, B * T * V);
    s->dfinal_ln = block_take(&cur, B * T * D);
    s->dresidual = block_take(&cur, B * N * D);
    s->dln = block_take(&cur, B * N * D);
    s->dqkv = block_take(&cur, B * N * 3 * D);
    s->dscores = block_take(&cur, B * (size_t)c->heads * N * N);
    s->dattention = block_take(&cur, B * N * D);
    s->dfc = block_take(&cur, B * N * F);
    s->dfc_gelu = block_take(&cur, B * N * F);
    if (c->candidate_head) {
        size_t I5 = B * MODEL_IMAGE_COUNT;
        s->cand_pool = block_take(&cur, I5 * D);
        s->cand_ln = block_take(&cur, I5 * D);
        s->cand_mean = block_take(&cur, I5);
        s->cand_rstd = block_take(&cur, I5);
        s->cand_feat = block_take(&cur, I5 * 2 * D);
        s->cand_logit = block_take(&cur, I5);
        s->cand_loss = block_take(&cur, B);
        s->cand_value = block_take(&cur, I5 * D);
        s->cand_fused_value = block_take(&cur, I5 * D);
        s->cand_select = block_take(&cur, B * T * MODEL_IMAGE_COUNT);
        s->cand_fused = block_take(&cur, B * T * D);
        s->dcand_pool = block_take(&cur, I5 * D);
        s->dcand_ln = block_take(&cur, I5 * D);
        s->dcand_feat = block_take(&cur, I5 * 2 * D);
        s->dcand_logit = block_take(&cur, I5);
        s->dcand_value = block_take(&cur, I5 * D);
        s->dcand_fused_value = block_take(&cur, I5 * D);
        s->dcand_select = block_take(&cur, B * T * MODEL_IMAGE_COUNT);
    }
    return cur.used;
}

// A heap tower in *slot (NULL on failure).
static int tower_new(Tower **slot, const TowerConfig *config, int max_batch, uint64_t seed, Error *err) {
    *slot = calloc(1, sizeof **slot);
    if (!*slot) return error_set(err, "model: out of memory for a vision tower");
    if (tower_create(*slot, config, max_batch, seed, err) == 0) return 0;
    free(*slot);
    *slot = NULL;
    return -1;
}

int model_create(Model *model, const ModelConfig *config, int max_batch, uint64_t seed, Error *err) {
    memset(model, 0, sizeof *model);
    if (model_config_validate(config, err) != 0) return -1;
    if (max_batch < 1 || max_batch > 65536) return error_set(err, "model: max_batch %d out of range [1, 65536]", max_batch);
    model->config = *config;
    model->max_batch = max_batch;
    model->tensor_count = model_layout(config, NULL, NULL, &model->param_count);
    model->tensors = calloc((size_t)model->tensor_count, sizeof *model->tensors);
    float *init_std = calloc((size_t)model->tensor_count, sizeof *init_std);
    model->params = malloc(sizeof(float) * model->param_count);
    model->grads = calloc(model->param_count, sizeof(float));
    ModelState *s = calloc(1, sizeof *s);
    model->activations = s;
    if (!model->tensors || !init_std || !model->params || !model->grads || !s) goto out_of_memory;
    model_layout(config, model->tensors, init_std, NULL);
    tensor_block_init(model->params, model->tensors, init_std, model->tensor_count, seed);
    free(init_std);
    init_std = NULL;
    s->params.layers = calloc((size_t)config->layers, sizeof(LayerParams));
    s->grads.layers = calloc((size_t)config->layers, sizeof(LayerParams));
    s->layers = calloc((size_t)config->layers, sizeof(LayerActivations));
    if (!s->params.layers || !s->grads.layers || !s->layers) goto out_of_memory;
    model_point_parameters(&s->params, model, model->params);
    model_point_parameters(&s->grads, model, model->grads);
    s->block_floats = model_state_layout(s, config, max_batch, NULL);
    s->block = calloc(s->block_floats, sizeof(float));
    s->task_count = max_batch < MODEL_MAX_TASKS ? max_batch : MODEL_MAX_TASKS;
    s->task_grads = s->task_count > 1 ? malloc(sizeof(float) * model->param_count * s->task_count) : NULL;
    s->task_views = calloc((size_t)s->task_count, sizeof(ModelParams));
    if (!s->block || !s->task_views || (s->task_count > 1 && !s->task_grads)) goto out_of_memory;
    for (int t = 0; t < s->task_count; t++) {
        s->task_views[t].layers = calloc((size_t)config->layers, sizeof(LayerParams));
        if (!s->task_views[t].layers) goto out_of_memory;
        model_point_parameters(&s->task_views[t], model, s->task_grads ? s->task_grads + model->param_count * t
                                                                      : model->grads);
    }
    model_state_layout(s, config, max_batch, s->block);
    if (config->candidate_head || config->vision_tower) {
        model->candidate_flaw_prob = calloc((size_t)max_batch * 4, sizeof(float));
        if (!model->candidate_flaw_prob) goto out_of_memory;
    }
    // the towers' parameters are set by model_load or model_tower_load / model_product_tower_load
    if ((config->vision_tower && tower_new(&model->tower, &config->tower, max_batch, seed, err) != 0) ||
        (config->product_tower && tower_new(&model->product_tower, &config->product, max_batch, seed, err) != 0)) {
        model_free(model);
        return -1;
    }
    return 0;
out_of_memory:
    free(init_std);
    model_free(model);
    return error_set(err, "model: out of memory for config '%s' with max_batch %d; lower --batch", config->name,
                     max_batch);
}

void model_free(Model *model) {
    if (!model) return;
    ModelState *s = model->activations;
    if (s) {
        free(s->params.layers);
        free(s->grads.layers);
        for (int t = 0; s->task_views && t < s->task_count; t++) free(s->task_views[t].layers);
        free(s->task_views);
        free(s->task_grads);
        free(s->layers);
        free(s->block);
        free(s);
    }
    free(model->params);
    free(model->grads);
    free(model->tensors);
    free(model->kv_cache);
    free(model->candidate_flaw_prob);
    if (model->tower) tower_free(model->tower);
    free(model->tower);
    if (model->product_tower) tower_free(model->product_tower);
    free(model->product_tower);
    memset(model, 0, sizeof *model);
}

void model_zero_grad(Model *model) { memset(model->grads, 0, sizeof(float) * model->param_count); }

const ModelTensor *model_find_tensor(const Model *model, const char *name) {
    for (int i = 0; i < model->tensor_count; i++)
        if (strcmp(model->tensors[i].name, name) == 0) return &model->tensors[i];
    return NULL;
}

const KernelOps *model_kernels(const Model *model) {
    return model->use_reference ? &kernel_ops_reference : &kernel_ops_fast;
}

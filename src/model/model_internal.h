// model_internal.h — what the model's own files share and no one else needs: the parameter
// layout, views of the parameter block, and the activation buffers (Model.activations).
#ifndef IAR_MODEL_MODEL_INTERNAL_H
#define IAR_MODEL_MODEL_INTERNAL_H

#include "model/kernels.h"
#include "model/model.h"

#define MODEL_MAX_STEM_LAYERS 6

// Fills `tensors` (may be NULL) with every parameter tensor in block order and `init_std` (may be
// NULL) with its initialisation: > 0 normal with that std, 0 zeros, -1 ones. Returns the tensor
// count; *total (may be NULL) gets the float count.
int model_layout(const ModelConfig *config, ModelTensor *tensors, float *init_std, size_t *total);
int model_stem_out_channels(const ModelConfig *config, int layer);

typedef struct LayerParams {
    float *ln1_weight, *ln1_bias, *qkv_weight, *qkv_bias, *proj_weight, *proj_bias;
    float *ln2_weight, *ln2_bias, *fc_weight, *fc_bias, *fc_proj_weight, *fc_proj_bias;
} LayerParams;

// Pointers into params or grads, in the order model_layout lays them out.
typedef struct ModelParams {
    float *stem_weight[MODEL_MAX_STEM_LAYERS], *stem_bias[MODEL_MAX_STEM_LAYERS];
    float *image_index_embedding, *image_position_embedding, *token_embedding, *text_position_embedding;
    LayerParams *layers; // config.layers
    float *final_ln_weight, *final_ln_bias;
} ModelParams;

typedef struct LayerActivations {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *attention, *residual_attention;
    float *ln2, *ln2_mean, *ln2_rstd, *fc, *fc_gelu, *residual_mlp;
} LayerActivations;

typedef struct ModelState {
    ModelParams params, grads;
    float *block; // everything below lives in this one allocation
    size_t block_floats;
    // stem, channel-last (B*5, h, w, c): input pixels, im2col scratch, conv output, GELU output
    float *stem_input, *stem_col[MODEL_MAX_STEM_LAYERS], *stem_conv[MODEL_MAX_STEM_LAYERS],
        *stem_gelu[MODEL_MAX_STEM_LAYERS];
    float *encoded; // (B, N, D)
    LayerActivations *layers;
    float *final_ln, *final_mean, *final_rstd; // text rows only: (B, T, D)
    float *probs;                              // (B, T, V)
    // backward scratch
    float *dlogits, *dfinal_ln, *dresidual, *dln, *dqkv, *dscores, *dattention, *dfc, *dfc_gelu;
    float *dstem_conv[MODEL_MAX_STEM_LAYERS], *dstem_gelu[MODEL_MAX_STEM_LAYERS];
    // the shape of the last forward, checked by backward
    int last_batch, last_text_len;
    // The fast path splits a batch into row groups that run on OpenMP threads with no barrier
    // between layers; each group accumulates its gradient in its own block (task_grads, one
    // param_count block per group), summed in group order afterwards.
    float *task_grads;
    ModelParams *task_views;
    int task_count; // blocks allocated: min(max_batch, MODEL_MAX_TASKS)
} ModelState;

#define MODEL_MAX_TASKS 8

void model_point_parameters(ModelParams *view, const Model *model, float *base);

// Validates the batch and runs the network up to the final LayerNorm of the text rows
// (ModelState.final_ln); every layer's qkv stays in its activations. Used by model_forward and,
// for the images + prompt prefix, by generation. batch->targets may be NULL.
int model_forward_hidden(Model *model, const ModelBatch *batch, Error *err);
const KernelOps *model_kernels(const Model *model);

#endif

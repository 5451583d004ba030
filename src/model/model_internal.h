// model_internal.h — what the model's own files share and no one else needs: the parameter
// layout, views of the parameter block, and the activation buffers (Model.activations).
#ifndef IAR_MODEL_MODEL_INTERNAL_H
#define IAR_MODEL_MODEL_INTERNAL_H

#include "model/kernels.h"
#include "model/model.h"

#define MODEL_MAX_STEM_LAYERS 6
// The candidate parts the presets get without a ":variant" (docs/perf/model_accuracy.md).
#define MODEL_DEFAULT_CANDIDATE_HEAD 0
#define MODEL_DEFAULT_CANDIDATE_POINTER 0

// Fills `tensors` (may be NULL) with every parameter tensor in block order and `init_std` (may be
// NULL) with its initialisation: > 0 normal with that std, 0 zeros, -1 ones. Returns the tensor
// count; *total (may be NULL) gets the float count.
int model_layout(const ModelConfig *config, ModelTensor *tensors, float *init_std, size_t *total);

// The stem's stride-2 convolutions: stem_layers of them (0 with a vision tower); conv l has
// parameters stem.{l}.* and the channels and sides below.
typedef struct StemConv {
    int in_ch, out_ch, stride, in_side, out_side;
} StemConv;
int model_stem_convs(const ModelConfig *config);
StemConv model_stem_conv(const ModelConfig *config, int l);

typedef struct LayerParams {
    float *ln1_weight, *ln1_bias, *qkv_weight, *qkv_bias, *proj_weight, *proj_bias;
    float *ln2_weight, *ln2_bias, *fc_weight, *fc_bias, *fc_proj_weight, *fc_proj_bias;
} LayerParams;

// Pointers into params or grads, in the order model_layout lays them out.
typedef struct ModelParams {
    float *vision_weight, *vision_bias; // (D, model_vision_width), (D); NULL without vision_tower
    float *stem_weight[MODEL_MAX_STEM_LAYERS], *stem_bias[MODEL_MAX_STEM_LAYERS];
    float *stem_norm_weight[MODEL_MAX_STEM_LAYERS], *stem_norm_bias[MODEL_MAX_STEM_LAYERS]; // NULL: no stem_norm
    float *image_index_embedding, *image_position_embedding, *token_embedding, *text_position_embedding;
    LayerParams *layers; // config.layers
    float *final_ln_weight, *final_ln_bias;
    // candidate parts (NULL when the config has none): LN of the pooled image vectors, the flaw
    // logit (1, 2D), and the pointer's value (D, 2D), fusion (D, D) and slot selector (5, D)
    float *candidate_ln_weight, *candidate_ln_bias, *candidate_aux_weight, *candidate_aux_bias;
    float *candidate_value_weight, *candidate_value_bias, *candidate_fuse_weight, *candidate_select_weight,
        *candidate_select_bias;
} ModelParams;

typedef struct LayerActivations {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *attention, *residual_attention;
    float *ln2, *ln2_mean, *ln2_rstd, *fc, *fc_gelu, *residual_mlp;
} LayerActivations;

typedef struct ModelState {
    ModelParams params, grads;
    float *block; // everything below lives in this one allocation
    size_t block_floats;
    // stem, channel-last (B*5, h, w, c): input pixels, im2col scratch, conv output, its instance
    // norm (stem_norm; stem_normed[l] aliases stem_conv[l] without it) with mean/rstd (B*5, c),
    // GELU output (not for the last layer, whose stem_normed rows are the image tokens)
    float *stem_input, *stem_col[MODEL_MAX_STEM_LAYERS], *stem_conv[MODEL_MAX_STEM_LAYERS],
        *stem_normed[MODEL_MAX_STEM_LAYERS], *stem_norm_mean[MODEL_MAX_STEM_LAYERS],
        *stem_norm_rstd[MODEL_MAX_STEM_LAYERS], *stem_gelu[MODEL_MAX_STEM_LAYERS];
    // vision tower (config.vision_tower): per image token the frozen tower's features
    // [token (C), evidence (H), flaw logit, region logit] (B*5, P, U), their projection (B*5, P, D);
    // d(features) is filled only while the tower's heads train (Model.train_tower_heads)
    float *vision_features, *vision_tokens, *dvision_tokens, *dvision_features;
    TowerOutput tower_out; // the tower's outputs of the last forward (views into it, valid until its next)
    float *encoded; // (B, N, D)
    LayerActivations *layers;
    float *final_ln, *final_mean, *final_rstd; // text rows only: (B, T, D)
    float *probs;                              // (B, T, V)
    // backward scratch
    float *dlogits, *dfinal_ln, *dresidual, *dln, *dqkv, *dscores, *dattention, *dfc, *dfc_gelu;
    float *dstem_conv[MODEL_MAX_STEM_LAYERS], *dstem_normed[MODEL_MAX_STEM_LAYERS], *dstem_gelu[MODEL_MAX_STEM_LAYERS];
    // candidate parts (model_candidate.c), per batch row: pooled (5, D), its LN (5, D) + stats (5),
    // features [u_i, u_i - u_0] (5, 2D), flaw logits (5; slot 0 unused), per-row aux loss, pointer
    // values q (5, D) and fused values r = W_fuse q (5, D); per text row: selection (T, 5) and the
    // fused residual (T, D) the final LN reads; and the matching gradients
    float *cand_pool, *cand_ln, *cand_mean, *cand_rstd, *cand_feat, *cand_logit, *cand_loss, *cand_value,
        *cand_fused_value, *cand_select, *cand_fused;
    float *dcand_pool, *dcand_ln, *dcand_feat, *dcand_logit, *dcand_value, *dcand_fused_value, *dcand_select;
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
// Width U of a vision feature row: tower tokens C + evidence H + flaw logit + region logit.
int model_vision_width(const ModelConfig *config);
// Fills ModelState.vision_features for the whole batch: from batch->vision_features, or by running
// the frozen tower (running statistics), which also sets candidate_flaw_prob (model_vision.c).
int model_vision_forward(Model *model, const ModelBatch *batch, Error *err);
// Back from ModelState.dvision_features into the tower's heads (Model.train_tower_heads).
int model_vision_backward(Model *model, int batch_size, Error *err);
const KernelOps *model_kernels(const Model *model);

// Candidate parts (model_candidate.c), for rows [b0, b0 + B) of a batch whose full size is
// `batch_size` (the aux loss is a mean over all rows). `stream` is the residual stream entering
// the last block (B, N, D); `text` the last block's compact text output (B, T, D).
void candidate_forward(Model *model, const ModelBatch *sub, int b0, const float *stream, int N);
// Returns the input of the final LayerNorm: `text` itself, or the pointer's fused rows.
const float *candidate_pointer_forward(Model *model, int b0, int B, int T, const float *text);
// dtext (B, T, D) holds d(final LN input) and gets the pointer's gradient added (call it first);
// the head's gradient (pooling, aux loss, and the pointer's value path) then lands in dstream's
// image rows (B, N, D), accumulated: call it once dstream is d(residual entering the last block).
void candidate_pointer_backward(Model *model, int b0, int B, int T, const float *text, float *dtext, ModelParams *grads);
void candidate_head_backward(Model *model, const ModelBatch *sub, int b0, int batch_size, float *dstream, int N,
                             ModelParams *grads);
// Generation: adds the pointer's evidence to `rows` residual rows x (rows, D) of batch row 0.
void candidate_pointer_decode(Model *model, float *x, float *scratch, int rows);

#endif

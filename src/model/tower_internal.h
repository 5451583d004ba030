// tower_internal.h — what the tower's own files share: views of the parameter block and the
// activation buffers (Tower.activations), laid out once for max_batch samples.
#ifndef IAR_MODEL_TOWER_INTERNAL_H
#define IAR_MODEL_TOWER_INTERNAL_H

#include "model/kernels.h"
#include "model/tower.h"

// Pointers into params or grads, in layout order.
typedef struct TowerParams {
    float *conv_weight[TOWER_MAX_CONVS], *bn_weight[TOWER_MAX_CONVS], *bn_bias[TOWER_MAX_CONVS];
    float *position;                  // (P, C)
    float *query, *key, *value;       // (C, C) each
    float *mlp1_weight, *mlp1_bias;   // (H, 3C), (H)
    float *dimension_embedding;       // (TOWER_DIMENSIONS, H)
    float *mlp2_weight, *mlp2_bias;   // (H, H), (H)
    float *flaw_weight, *flaw_bias;   // (1, 2H), (1)
    float *token_weight, *token_bias; // (TOWER_TOKEN_TARGETS, H)
    float *class_weight, *class_bias; // (classes, 2H)
} TowerParams;

typedef struct TowerState {
    TowerParams params, grads;
    float *running_mean[TOWER_MAX_CONVS], *running_var[TOWER_MAX_CONVS]; // views into Tower.buffers
    float *block;
    size_t block_floats;
    // conv tower, channel-last (B*5, h, w, c): input pixels, im2col scratch, conv output, batch-norm
    // + ReLU output, batch statistics (c); and their gradients
    float *input, *col[TOWER_MAX_CONVS], *conv[TOWER_MAX_CONVS], *act[TOWER_MAX_CONVS];
    float *bn_mean[TOWER_MAX_CONVS], *bn_rstd[TOWER_MAX_CONVS];
    float *dconv[TOWER_MAX_CONVS], *dact[TOWER_MAX_CONVS];
    // tokens (B*5, P, C) = last act + position; candidates' (B, 4, P, C) and the original's (B, P, C)
    float *tokens, *cand, *orig, *query, *key, *value, *probs, *attended; // probs (B, 4, P, P)
    float *dprobs;                  // (B, P, P): one sample's attention backward scratch
    float *features;                // (B, 4, P, 3C) [cand, attended, cand − attended]
    float *hidden_pre, *hidden;     // (B, 4, P, H): mlp1 output, ReLU(.)·(1 + E[dim])
    float *evidence;                // (B, 4, P, H): g = ReLU(mlp2)
    float *pool;                    // (B, 4, 2H): [max, mean]
    int *argmax;                    // (B, 4, H)
    float *flaw_logit, *token_logit, *class_logit;
    int *dimension;                 // (B) rows of the dimension embedding used
    // gradients of the outputs (set by tower_loss or tower_set_output_grads) and backward scratch
    float *dflaw_logit, *dtoken_logit, *dclass_logit, *devidence_in;
    float *dpool, *devidence, *dhidden, *dhidden_pre, *dfeatures, *dattended, *dquery, *dkey, *dvalue, *dcand,
        *dorig, *dtokens;
    int last_batch, last_training, has_devidence;
    int has_heads; // a forward's heads are there for a backward (cleared by it)
} TowerState;

void tower_point_parameters(TowerParams *view, const Tower *tower, float *base);

// tower_attention.c: one candidate's cross-attention (queries q (P, C), the original's keys k and
// values v (P, C)); backward accumulates into dq, dk, dv and uses scratch (P, P).
void tower_attention_forward_reference(float *out, float *probs, const float *q, const float *k, const float *v,
                                       int P, int C);
void tower_attention_forward_fast(float *out, float *probs, const float *q, const float *k, const float *v, int P,
                                  int C);
void tower_attention_backward_reference(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                        const float *probs, const float *q, const float *k, const float *v, int P,
                                        int C);
void tower_attention_backward_fast(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                   const float *probs, const float *q, const float *k, const float *v, int P, int C);

#endif

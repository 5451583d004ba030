// tower.h — the vision tower: the model's eyes. A conv tower with batch norm reads each of the five
// images into tokens; every candidate token attends to the original's tokens; a per-token MLP over
// [candidate, attended original, difference], scaled by a dimension embedding, gives evidence
// tokens; max + mean pooling gives one flaw logit per candidate. Auxiliary heads read the same
// features: per-token targets (defect region, product box, frame box, below the surface line,
// below the product's base) and per-candidate classes (light side, shadow side, defect kind).
// Pretrained alone (`iar train vision`, src/train/vision.c), then frozen under the language model.
//
//   images (B, 5, 3, S, S) ─ per image: convs × [3×3 conv (no bias), batch norm, ReLU] ─▶ (B·5, P, C)
//   + position embedding (P, C) = t
//   per candidate c, token p:  a = softmax(q kᵀ/√C) v,  q = W_q t_c,  k = W_k t_0,  v = W_v t_0
//   h = ReLU(W_1 [t_c, a, t_c − a] + b_1) ⊙ (1 + E_dim[dimension]);  g = ReLU(W_2 h + b_2)  (P, H)
//   flaw logit = w_f · [max_p g, mean_p g] + b_f;  token logits = W_t g + b_t;  class logits = W_k · pool
//
// Batch norm uses the batch's statistics while training and the running statistics otherwise, so
// one-sample screening, the server and evaluation compute one function. Parameters are one float
// block (with a gradient block of the same layout); running statistics are a separate buffer block.
#ifndef IAR_MODEL_TOWER_H
#define IAR_MODEL_TOWER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/tensor.h"

#define TOWER_MAX_CONVS 8
#define TOWER_IMAGES 5 // original + 4 candidates, as MODEL_IMAGE_COUNT
#define TOWER_CANDIDATES (TOWER_IMAGES - 1)
#define TOWER_DIMENSIONS 5 // the four dimensions, then "unknown"
#define TOWER_FORMAT_VERSION 1

// Per-token targets of a candidate (multi-label, BCE), in this order.
enum { TOWER_TOKEN_REGION = 0, TOWER_TOKEN_PRODUCT, TOWER_TOKEN_FRAME, TOWER_TOKEN_BELOW_SURFACE,
       TOWER_TOKEN_BELOW_BASE, TOWER_TOKEN_TARGETS };
// Per-candidate class groups (softmax each), laid out in the class logits in this order.
#define TOWER_LIGHT_CLASSES 2  // light from the left, from the right
#define TOWER_SHADOW_CLASSES 4 // cast shadow left, none, right, both

typedef struct TowerConfig {
    char name[16];   // "tiny", "small", "base" or "custom"
    int image_size;  // pixels per side
    int convs;       // 3x3 convolutions, each + batch norm + ReLU
    int channels[TOWER_MAX_CONVS];
    int strides[TOWER_MAX_CONVS]; // 1 or 2
    int hidden;      // width H of the evidence MLP
    int kind_classes; // defect kinds incl. "none" (the last group of class logits)
    // What the tower reads of a candidate: 0 the whole image; 1 its product view (model/product_view.h),
    // resampled from the view_source-pixel input of a frame tower with a view_grid² token grid.
    int view, view_source, view_grid;
} TowerConfig;

int tower_config_preset(TowerConfig *out, const char *name, int kind_classes, Error *err);
int tower_config_validate(const TowerConfig *config, Error *err);
int tower_token_side(const TowerConfig *config);       // tokens per side of one image
int tower_tokens(const TowerConfig *config);           // P
int tower_dim(const TowerConfig *config);              // C, the last conv's channels
int tower_class_count(const TowerConfig *config);      // light + shadow + kind classes
size_t tower_parameter_count(const TowerConfig *config);
double tower_flops_per_sample(const TowerConfig *config); // forward + backward, for MFU

// Data-parallel training (`mpirun … iar train vision`): this process holds a slice of a global batch
// of `global_batch` samples, and batch norm uses the statistics of the whole global batch: `sum`
// adds the other processes' values into `values` (every process makes the same calls in the same
// order). sum NULL (the default): the batch is this process's own.
typedef struct TowerSync {
    int (*sum)(void *user, double *values, int count);
    void *user;
    int global_batch;
} TowerSync;

typedef struct Tower {
    TowerConfig config;
    float *params, *grads; // one block each, same layout
    size_t param_count;
    ModelTensor *tensors;  // names, shapes and offsets into params
    int tensor_count;
    float *buffers;        // running mean and variance of every batch norm (not trained by AdamW)
    size_t buffer_count;
    ModelTensor *buffer_tensors;
    int buffer_tensor_count;
    int max_batch;         // samples
    void *activations;     // private
    int use_reference;     // 1: plain loops instead of the fast kernels
    float bn_momentum;     // PyTorch's 0.1
    TowerSync sync;        // zero: one process
} Tower;

// Outputs of the last tower_forward (views into the tower's activations, valid until the next).
typedef struct TowerOutput {
    const float *flaw_logit;   // (B, 4)
    const float *token_logit;  // (B, 4, P, TOWER_TOKEN_TARGETS)
    const float *class_logit;  // (B, 4, classes)
    const float *image_tokens; // (B, 5, P, C) conv tokens + position embedding
    const float *evidence;     // (B, 4, P, H) g, the per-token evidence of each candidate
} TowerOutput;

// Training targets for tower_loss. Class targets are -1 where unknown.
typedef struct TowerTargets {
    const float *flawed;        // (B, 4) 1 = flawed
    const float *token_targets; // (B, 4, P, TOWER_TOKEN_TARGETS) 0/1; NULL: no token loss
    const int *light;           // (B, 4) 0 left, 1 right, -1 unknown; NULL: none
    const int *shadow;          // (B, 4) 0 left, 1 none, 2 right, 3 both, -1 unknown; NULL: none
    const int *kind;            // (B, 4) 0..kind_classes-1, -1 unknown; NULL: none
} TowerTargets;

typedef struct TowerLossWeights {
    float flaw, token, light, shadow, kind;
} TowerLossWeights;
void tower_loss_weights_default(TowerLossWeights *weights); // 1, 1, 0.3, 0.3, 0.3

typedef struct TowerLoss {
    double total, flaw, token, light, shadow, kind; // unweighted means (total is weighted)
} TowerLoss;

int tower_create(Tower *tower, const TowerConfig *config, int max_batch, uint64_t seed, Error *err);
void tower_free(Tower *tower);
void tower_zero_grad(Tower *tower);

// images (B, 5, 3, S, S) in [-1, 1]; dimension (B) 0..3 or -1 unknown. training 1: batch
// statistics (and running statistics updated), 0: running statistics.
int tower_forward(Tower *tower, const float *images, const int *dimension, int batch_size, int training,
                  TowerOutput *out, Error *err);
// The heads alone (everything after the convolutions) on given tokens (B, 5, P, C): the image_tokens
// of an earlier tower_forward (convs + position). For training the heads over frozen convolutions
// (the language model's trainers cache the tokens once per sample); then tower_backward_heads.
int tower_forward_tokens(Tower *tower, const float *tokens, const int *dimension, int batch_size, TowerOutput *out,
                         Error *err);
// Loss of the last forward against targets; fills d(loss)/d(outputs) for tower_backward.
TowerLoss tower_loss(Tower *tower, const TowerTargets *targets, const TowerLossWeights *weights);
// What each loss term is a mean over: candidates, tokens, and the known light, shadow and kind labels.
typedef struct TowerLossCounts {
    double candidates, tokens, classes[3];
} TowerLossCounts;
// The counts of `targets` for `batch_size` samples (a data-parallel step sums them over processes).
void tower_loss_counts(const Tower *tower, const TowerTargets *targets, int batch_size, TowerLossCounts *out);
// tower_loss with the means over `counts` (the global batch's): the terms and gradients are this
// process's share, whose sum over processes is the global batch's loss and gradient.
TowerLoss tower_loss_global(Tower *tower, const TowerTargets *targets, const TowerLossWeights *weights,
                            const TowerLossCounts *counts);
// Backward of the last (training) forward from the gradients tower_loss left; accumulates into grads.
int tower_backward(Tower *tower, Error *err);
// Backward of the last forward (either kind) through the heads only: the gradients of the cross-
// attention, evidence MLP, dimension embedding and heads accumulate; the convolutions' and the
// position embedding's are untouched (see tower_heads_first_tensor).
int tower_backward_heads(Tower *tower, Error *err);
// The index in `tensors` of the heads' first tensor: the heads are tensors [index, tensor_count),
// the last part of the parameter block.
int tower_heads_first_tensor(const Tower *tower);
// Sets d(loss)/d(flaw logit) etc. directly (tests, finite differences): any may be NULL (zero).
void tower_set_output_grads(Tower *tower, const float *dflaw, const float *dtoken, const float *dclass,
                            const float *devidence);

// DIR/tower.safetensors (parameters, then "buffers.*") + DIR/tower.json.
int tower_save(const Tower *tower, const char *dir, Error *err);
int tower_load(Tower *tower, const char *dir, int max_batch, Error *err);
int tower_config_load(TowerConfig *out, const char *dir, Error *err);
// The tensors of one tower inside another safetensors file, names prefixed (the language model
// stores its frozen tower as "tower.*"). Used by model_save / model_load.
int tower_config_to_json(const TowerConfig *config, void *cjson_object);
int tower_config_from_json(TowerConfig *out, const void *cjson_object, const char *path, Error *err);

// P(flawed) of the last forward, (B, 4).
void tower_flaw_probabilities(const Tower *tower, float *out, int batch_size);

#endif

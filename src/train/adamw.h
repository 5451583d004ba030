// adamw.h — AdamW over the model's contiguous parameter and gradient blocks, with global
// gradient-norm clipping. The two moments (m then v) live in one contiguous block; weight decay
// is applied only to matrices (tensors of rank >= 2), never to biases, norms or embeddings' gains.
#ifndef IAR_TRAIN_ADAMW_H
#define IAR_TRAIN_ADAMW_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

typedef struct AdamWConfig {
    float beta1;        // default 0.9
    float beta2;        // default 0.95
    float epsilon;      // default 1e-8
    float weight_decay; // default 0.1 (decoupled, on matrices only)
    float clip_norm;    // global L2 gradient-norm clip; 0 = off; default 1.0
} AdamWConfig;

void adamw_config_default(AdamWConfig *config);

typedef struct AdamW {
    AdamWConfig config;
    size_t count;     // floats in the parameter block
    float *moments;   // one block of 2 * count floats: m then v
    float *m, *v;     // views into `moments`
    uint8_t *decays;  // per tensor of the model: 1 when weight decay applies (rank >= 2)
    int tensor_count;
    int64_t step;     // updates done so far (bias correction uses step + 1)
} AdamW;

// Sizes the optimizer for `model` (moments zeroed, step 0).
int adamw_create(AdamW *opt, const Model *model, const AdamWConfig *config, Error *err);
// The same for any parameter block described by `tensors` (the vision tower's).
int adamw_create_tensors(AdamW *opt, const ModelTensor *tensors, int tensor_count, size_t param_count,
                         const AdamWConfig *config, Error *err);
void adamw_free(AdamW *opt);

// The optimizer's state as bytes — its step, then its moments — for a second optimizer riding in a
// checkpoint's extra blob (the tower heads' under SFT and GRPO).
size_t adamw_state_size(const AdamW *opt);
void adamw_state_write(const AdamW *opt, unsigned char *out);
void adamw_state_read(AdamW *opt, const unsigned char *in);

// L2 norm of a float block (double accumulation in a fixed order: deterministic at any thread count).
double adamw_grad_norm(const float *grads, size_t count);

// One update of model->params from model->grads at this learning rate: clips the gradient to
// config.clip_norm (scaling model->grads in place), then AdamW. Returns the gradient norm before
// clipping (NaN/Inf when the gradient is not finite: then nothing is updated, step is unchanged).
double adamw_update(AdamW *opt, Model *model, float learning_rate);
// The same over any parameter block laid out by `tensors` (as given to adamw_create_tensors).
double adamw_update_tensors(AdamW *opt, float *params, float *grads, const ModelTensor *tensors, float learning_rate);

#endif

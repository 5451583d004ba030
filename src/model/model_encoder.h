// model_encoder.h — the stem and embeddings (model_encoder.c), called by model_forward.c for the
// rows [b0, b0 + batch->batch_size) of a batch (`batch` is the view of those rows).
#ifndef IAR_MODEL_MODEL_ENCODER_H
#define IAR_MODEL_MODEL_ENCODER_H

#include "model/model_internal.h"

void model_stem_forward(Model *model, const ModelBatch *batch, int b0);
void model_embedding_forward(Model *model, const ModelBatch *batch, int b0);
// Reads ModelState.dresidual; writes the stem's output gradient and accumulates embedding grads.
void model_embedding_backward(Model *model, const ModelBatch *batch, int b0, ModelParams *grads);
void model_stem_backward(Model *model, const ModelBatch *batch, int b0, ModelParams *grads);

#endif

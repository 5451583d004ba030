// model_encoder.h — the stem and embeddings (model_encoder.c), called by model_forward.c.
#ifndef IAR_MODEL_MODEL_ENCODER_H
#define IAR_MODEL_MODEL_ENCODER_H

#include "model/model_internal.h"

void model_stem_forward(Model *model, const ModelBatch *batch);
void model_embedding_forward(Model *model, const ModelBatch *batch);
// Reads ModelState.dresidual; writes the stem's output gradient and accumulates embedding grads.
void model_embedding_backward(Model *model, const ModelBatch *batch);
void model_stem_backward(Model *model, const ModelBatch *batch);

#endif

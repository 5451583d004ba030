// tensor.h — a named tensor inside a contiguous float block (for safetensors and the PyTorch
// comparison); shared by the language model and the vision tower.
#ifndef IAR_MODEL_TENSOR_H
#define IAR_MODEL_TENSOR_H

#include <stddef.h>

typedef struct ModelTensor {
    char name[64];
    int rank;
    int shape[4];
    size_t offset; // in floats, into the block
    size_t count;
} ModelTensor;

#endif

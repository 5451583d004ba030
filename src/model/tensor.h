// tensor.h — a named tensor inside a contiguous float block (for safetensors and the PyTorch
// comparison); shared by the language model and the vision tower.
#ifndef IAR_MODEL_TENSOR_H
#define IAR_MODEL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ModelTensor {
    char name[64];
    int rank;
    int shape[4];
    size_t offset; // in floats, into the block
    size_t count;
} ModelTensor;

// A cursor that lays tensors out one after the other in a block. With `tensors` NULL it only counts;
// init_std (may be NULL) gets each tensor's initialisation: > 0 normal with that std, 0 zeros, -1 ones.
typedef struct TensorLayout {
    ModelTensor *tensors;
    float *init_std;
    int count;     // tensors laid out so far
    size_t offset; // floats laid out so far
} TensorLayout;

void tensor_layout_add(TensorLayout *layout, const char *name, float std, int rank, int d0, int d1, int d2, int d3);
// Views into one activation block, laid out by a first pass with base NULL (which only measures)
// and a second with the allocated block; every view starts 64-byte aligned.
typedef struct BlockCursor {
    float *base;
    size_t used; // floats taken so far
} BlockCursor;

static inline float *block_take(BlockCursor *cursor, size_t count) {
    float *p = cursor->base ? cursor->base + cursor->used : NULL;
    cursor->used += (count + 15) & ~(size_t)15;
    return p;
}

// Fills each tensor of the block from its init_std, with a counter-based stream per tensor.
void tensor_block_init(float *block, const ModelTensor *tensors, const float *init_std, int count, uint64_t seed);

#endif

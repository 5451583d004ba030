// tensor.c — laying out named tensors in one float block and initialising the block, shared by the
// language model (model.c) and the vision tower (tower.c).
#include <stdio.h>
#include <string.h>

#include "core/rng.h"
#include "model/tensor.h"

void tensor_layout_add(TensorLayout *layout, const char *name, float std, int rank, int d0, int d1, int d2, int d3) {
    int shape[4] = {d0, d1, d2, d3};
    size_t count = 1;
    for (int i = 0; i < rank; i++) count *= (size_t)shape[i];
    if (layout->tensors) {
        ModelTensor *t = &layout->tensors[layout->count];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
        t->rank = rank;
        for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
        t->offset = layout->offset;
        t->count = count;
    }
    if (layout->init_std) layout->init_std[layout->count] = std;
    layout->count++;
    layout->offset += count;
}

void tensor_block_init(float *block, const ModelTensor *tensors, const float *init_std, int count, uint64_t seed) {
    for (int i = 0; i < count; i++) {
        float *p = block + tensors[i].offset;
        // one counter-based stream per tensor: the init does not depend on the order tensors are visited
        Rng rng = rng_stream(seed, (uint64_t)i, RNG_PURPOSE_INIT);
        for (size_t j = 0; j < tensors[i].count; j++)
            p[j] = init_std[i] > 0 ? (float)(init_std[i] * rng_next_normal(&rng)) : (init_std[i] < 0 ? 1.0f : 0.0f);
    }
}

// safetensors.h — the safetensors file format over our named tensors: one file may hold several
// parts (the language model's parameters, its frozen tower's, the tower's batch-norm buffers),
// each a list of ModelTensor views into one float block, names prefixed per part.
#ifndef IAR_MODEL_SAFETENSORS_H
#define IAR_MODEL_SAFETENSORS_H

#include "core/error.h"
#include "model/model.h"

typedef struct SafetensorsPart {
    const char *prefix;         // prepended to every tensor name ("" for none)
    const ModelTensor *tensors; // offsets are into `data`
    int count;
    float *data;                // written from (save) or read into (load)
} SafetensorsPart;

// Writes `path` atomically with the parts in order; metadata "format_version" = version.
int safetensors_write(const char *path, const SafetensorsPart *parts, int part_count, int version, Error *err);
// Reads every tensor of every part from `path` (dtype, shape and bounds checked; a missing tensor
// is an error naming it). The file's "format_version" must equal `version`.
int safetensors_read(const char *path, const SafetensorsPart *parts, int part_count, int version, Error *err);

#endif

// loader.h — training batches: a deterministic, resumable endless order over the training
// samples, rows in the shared text layout (text/layout.h) with images from the image shard
// (train/image_shard.h), assembled by a prefetch thread.
#ifndef IAR_TRAIN_LOADER_H
#define IAR_TRAIN_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "model/model.h"
#include "text/tokenizer.h"
#include "train/image_shard.h"

// ---- batches -----------------------------------------------------------------------------------
// Where the loader is in its endless sequence of epochs: the next row is order(epoch)[index].
// order(epoch) is a permutation of the loader's indices from rng_hash(seed, epoch, RNG_PURPOSE_DATA_ORDER, .).
typedef struct LoaderPosition {
    uint64_t epoch;
    uint64_t index;
} LoaderPosition;

typedef struct LoaderBatch {
    ModelBatch batch;        // views into the arrays below, ready for model_forward
    float *images;           // (capacity, 5, 3, S, S)
    int *tokens, *targets;   // (capacity, max_text_len)
    int *text_len, *prefix_len;
    size_t *sample_indices;  // dataset index of each row
    float *candidate_flawed; // (capacity, 4) 1 = candidate A-D flawed in the gold answer (auxiliary loss)
    int *dimension;          // (capacity) each row's dimension (read by a vision tower)
    int capacity;
    int max_text_len;
    long target_count;       // positions with a target (the SFT loss normaliser)
    int truncated_rows;
    LoaderPosition next;     // loader position after this batch
} LoaderBatch;

int loader_batch_create(LoaderBatch *out, int capacity, const ModelConfig *config, Error *err);
void loader_batch_free(LoaderBatch *batch);

typedef struct LoaderOptions {
    int batch_size;
    uint64_t seed;
    int prefetch; // 1: assemble the next batch on a background thread while the caller trains
} LoaderOptions;

typedef struct Loader Loader;

// Iterates over `indices` (dataset indices, e.g. the training split) for ever, epoch after epoch.
// The loader keeps pointers to dataset, shard and tokenizer: they must outlive it. Every row is
// tokenized once here.
int loader_open(Loader **out, const Dataset *dataset, const ImageShard *shard, const Tokenizer *tokenizer,
                const ModelConfig *config, const size_t *indices, size_t count, const LoaderOptions *options,
                Error *err);
// The next batch; *batch stays valid until the next call of loader_next or loader_seek.
int loader_next(Loader *loader, const LoaderBatch **batch, Error *err);
// Position of the next batch loader_next will return (save it in the checkpoint).
LoaderPosition loader_position(const Loader *loader);
// Continues from a saved position (drops any prefetched batch).
int loader_seek(Loader *loader, LoaderPosition position, Error *err);
// Rows whose completion had to be cut to fit max_text_len, over all the loader's samples.
size_t loader_truncated_rows(const Loader *loader);
void loader_close(Loader *loader);

#endif

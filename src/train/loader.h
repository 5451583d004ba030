// loader.h — training data: an image shard (every sample's five images decoded, resized and scaled
// ONCE into a binary cache file reused by later runs), text rows in the shared layout, and a batch
// loader with a deterministic, resumable order and a prefetch thread.
//
// Text layout (shared by SFT, GRPO, generation and serving): a row is the prompt tokens,
//   TOKEN_BOS, tokenizer_encode(prompt_native_text(dimension))
// then the completion tokens,
//   tokenizer_encode(rationale), TOKEN_EOS.
// prefix_len = number of prompt tokens (BOS included); targets[t] = tokens[t+1] for
// prefix_len-1 <= t < text_len-1, else -1. model_generate(images, prompt tokens) continues exactly
// this layout and stops at TOKEN_EOS.
#ifndef IAR_TRAIN_LOADER_H
#define IAR_TRAIN_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "model/model.h"
#include "text/tokenizer.h"

// ---- image shard -------------------------------------------------------------------------------
// File "iar-shard-<hash>.bin" where hash covers the dataset's absolute path, its size and mtime, the
// image paths of its samples in order (so a split of the file gets its own cache) and config.image_size. Pixels are stored as bytes q = round((v + 1) * 127.5) of the model_prepare_images
// values v (exact for 8-bit images), or as floats when that quantisation would not be exact.
typedef struct ImageShard {
    char *path;               // the cache file
    int image_size;
    size_t sample_count;      // = dataset->count, in dataset order
    size_t values_per_sample; // MODEL_IMAGE_COUNT * 3 * S * S
    int stores_floats;        // 0: bytes, 1: floats
    const unsigned char *data;
    void *mapping;            // private: mmap of the file
    size_t mapping_size;
    int reused;               // 1 when an existing cache file was found and used
} ImageShard;

// Opens the cached shard in `cache_dir` (NULL: the dataset's folder, falling back to nothing) or
// builds it (decoding with up to `threads` OpenMP threads, counting samples on `progress`, which
// may be NULL). A corrupt or stale cache file is rebuilt.
int image_shard_open(ImageShard *out, const Dataset *dataset, const ModelConfig *config, const char *cache_dir,
                     int threads, Progress *progress, Error *err);
// Writes sample `sample_index`'s (5, 3, S, S) floats in [-1, 1] to out.
void image_shard_read(const ImageShard *shard, size_t sample_index, float *out);
void image_shard_close(ImageShard *shard);

// ---- text rows ---------------------------------------------------------------------------------
// Prompt tokens (BOS + encoded native prompt) for a dimension (-1: unknown). Returns the count, or
// -1 with err when it does not fit in `max`.
int text_prompt_tokens(const Tokenizer *tokenizer, int dimension, int *out, int max, Error *err);
// What the model must write for a sample: its rationale, or "<think></think><answer>X</answer>"
// built from the gold answer when the sample has none. malloc'd.
char *text_sample_completion(const Sample *sample);
// Builds one row (tokens, targets) of at most max_len positions. When the completion does not fit,
// it is cut (EOS included in the cut) and *truncated is set to 1. Returns 0, or -1 when even the
// prompt does not fit.
int text_row_build(const Tokenizer *tokenizer, int dimension, const char *completion, int max_len, int *tokens,
                   int *targets, int *text_len, int *prefix_len, int *truncated, Error *err);

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
    int capacity;
    int max_text_len;
    long target_count;       // positions with a target (the SFT loss normaliser)
    int truncated_rows;
    LoaderPosition next;     // loader position after this batch
} LoaderBatch;

int loader_batch_create(LoaderBatch *out, int capacity, const ModelConfig *config, Error *err);
void loader_batch_free(LoaderBatch *batch);
// Fills `out` with the given samples (any order, count <= capacity): images from the shard, text
// rows of each sample's completion. For validation, GRPO and hard-case sampling.
int loader_batch_fill(LoaderBatch *out, const Dataset *dataset, const ImageShard *shard, const Tokenizer *tokenizer,
                      const size_t *sample_indices, int count, Error *err);

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

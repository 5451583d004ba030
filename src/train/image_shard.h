// image_shard.h — the image cache of a training run: every sample's five images decoded, resized
// and scaled ONCE into a binary file reused by later runs, then read by mmap.
#ifndef IAR_TRAIN_IMAGE_SHARD_H
#define IAR_TRAIN_IMAGE_SHARD_H

#include <stddef.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "model/model.h"

// File "iar-shard-<hash>.bin" where hash covers the dataset's absolute path, its size and mtime, the
// image paths of its samples in order (so a split of the file gets its own cache) and config.image_size. Pixels are stored as bytes q = round((v + 1) * 127.5) of the
// model_prepare_images values v (exact for 8-bit images), or as floats when that quantisation would not be exact.
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

#endif

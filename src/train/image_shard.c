// image_shard.c — every sample's five images decoded and resized once into a cache file
// (iar-shard-<key>.bin) that later runs map instead of decoding again.
// File: "IARSHARD", u32 version, u32 image_size, u64 sample_count, u64 values_per_sample,
// u32 stores_floats, u32 zero, u64 key, then sample_count * values_per_sample bytes (or floats).
#include "train/image_shard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/files.h"
#include "core/fnv1a.h"
#include "image/image.h"

#define SHARD_VERSION 1
#define SHARD_HEADER_BYTES 48
static const char SHARD_MAGIC[8] = {'I', 'A', 'R', 'S', 'H', 'A', 'R', 'D'};

// What the cache depends on: the dataset file (path, size, mtime), its samples' image paths and the size.
static uint64_t shard_key(const Dataset *dataset, const ModelConfig *config) {
    uint64_t h = FNV1A_START;
    char *real = realpath(dataset->path, NULL);
    const char *name = real ? real : dataset->path;
    h = fnv1a_bytes(h, name, strlen(name));
    free(real);
    struct stat st;
    if (stat(dataset->path, &st) == 0) {
        int64_t facts[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
        h = fnv1a_bytes(h, facts, sizeof facts);
    }
    uint64_t more[3] = {dataset->count, (uint64_t)config->image_size, SHARD_VERSION};
    h = fnv1a_bytes(h, more, sizeof more);
    // the image paths in order: a subset (a split) of the same file gets its own cache
    for (size_t i = 0; i < dataset->count; i++) {
        const Sample *s = &dataset->samples[i];
        h = fnv1a_bytes(h, s->original, strlen(s->original) + 1);
        for (int c = 0; c < CANDIDATE_COUNT; c++) h = fnv1a_bytes(h, s->candidates[c], strlen(s->candidates[c]) + 1);
    }
    return h;
}

static void shard_write_header(unsigned char *p, const ImageShard *s, uint64_t key) {
    uint32_t version = SHARD_VERSION, size = (uint32_t)s->image_size, floats = (uint32_t)s->stores_floats, zero = 0;
    uint64_t count = s->sample_count, values = s->values_per_sample;
    memcpy(p, SHARD_MAGIC, 8);
    memcpy(p + 8, &version, 4);
    memcpy(p + 12, &size, 4);
    memcpy(p + 16, &count, 8);
    memcpy(p + 24, &values, 8);
    memcpy(p + 32, &floats, 4);
    memcpy(p + 36, &zero, 4);
    memcpy(p + 40, &key, 8);
}

static size_t shard_value_bytes(const ImageShard *s) { return s->stores_floats ? sizeof(float) : 1; }

// Maps an existing cache file when its header matches; returns 0 on success, -1 when absent or stale.
static int shard_try_map(ImageShard *s, uint64_t key) {
    FILE *f = fopen(s->path, "rb");
    if (!f) return -1;
    unsigned char header[SHARD_HEADER_BYTES];
    int ok = fread(header, 1, sizeof header, f) == sizeof header;
    fseek(f, 0, SEEK_END);
    long file_size = ftell(f);
    fclose(f);
    if (!ok || memcmp(header, SHARD_MAGIC, 8) != 0) return -1;
    ImageShard expect = *s;
    uint32_t floats;
    memcpy(&floats, header + 32, 4);
    expect.stores_floats = floats == 1;
    unsigned char want[SHARD_HEADER_BYTES];
    shard_write_header(want, &expect, key);
    size_t size = SHARD_HEADER_BYTES + s->sample_count * s->values_per_sample * shard_value_bytes(&expect);
    if (memcmp(header, want, sizeof want) != 0 || file_size < 0 || (size_t)file_size != size) return -1;
    FILE *g = fopen(s->path, "rb");
    if (!g) return -1;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fileno(g), 0);
    fclose(g);
    if (map == MAP_FAILED) return -1;
    s->stores_floats = expect.stores_floats;
    s->mapping = map;
    s->mapping_size = size;
    s->data = (const unsigned char *)map + SHARD_HEADER_BYTES;
    s->reused = 1;
    return 0;
}

// Decodes one sample's images into its (5, 3, S, S) floats.
static int shard_prepare_sample(const Dataset *dataset, size_t index, const ModelConfig *config, float *out,
                                Error *err) {
    Image images[MODEL_IMAGE_COUNT];
    memset(images, 0, sizeof images);
    const Image *views[MODEL_IMAGE_COUNT];
    int rc = 0;
    for (int i = 0; i < MODEL_IMAGE_COUNT && rc == 0; i++) {
        char *path = dataset_image_path(dataset, &dataset->samples[index], i);
        rc = path ? image_load(&images[i], path, 0, err) : error_set(err, "out of memory");
        free(path);
        views[i] = &images[i];
    }
    if (rc == 0) rc = model_prepare_images(config, views, out, err);
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&images[i]);
    if (rc != 0) error_prefix(err, "sample %s (line %zu): ", dataset->samples[index].id, dataset->samples[index].line);
    return rc;
}

// Builds the pixel block in memory; sets *inexact when some value is not an 8-bit level.
static int shard_build(ImageShard *s, unsigned char *data, const Dataset *dataset, const ModelConfig *config,
                       int threads, Progress *progress, Error *err) {
    size_t values = s->values_per_sample;
    long first_failure = -1;
    Error failure = {{0}};
    int inexact = 0;
#pragma omp parallel num_threads(threads > 0 ? threads : 1)
    {
        float *buffer = malloc(values * sizeof *buffer);
        Error local = {{0}};
#pragma omp for schedule(dynamic, 4)
        for (long i = 0; i < (long)s->sample_count; i++) {
            int rc = buffer ? shard_prepare_sample(dataset, (size_t)i, config, buffer, &local)
                            : error_set(&local, "out of memory");
            if (rc != 0) {
#pragma omp critical(shard_failure)
                if (first_failure < 0 || i < first_failure) first_failure = i, failure = local;
                continue;
            }
            if (s->stores_floats) {
                memcpy(data + (size_t)i * values * sizeof(float), buffer, values * sizeof(float));
            } else {
                unsigned char *q = data + (size_t)i * values;
                int bad = 0;
                for (size_t k = 0; k < values; k++) {
                    float level = rintf((buffer[k] + 1.0f) * 127.5f);
                    bad |= !(level >= 0 && level <= 255 && fabsf(level / 127.5f - 1.0f - buffer[k]) <= 2e-6f);
                    q[k] = (unsigned char)(level < 0 ? 0 : level > 255 ? 255 : level);
                }
                if (bad) {
#pragma omp atomic write
                    inexact = 1;
                }
            }
            if (progress) progress_advance(progress, 1, 0);
        }
        free(buffer);
    }
    if (first_failure >= 0) {
        *err = failure;
        return -1;
    }
    return inexact ? 1 : 0;
}

int image_shard_open(ImageShard *out, const Dataset *dataset, const ModelConfig *config, const char *cache_dir,
                     int threads, Progress *progress, Error *err) {
    memset(out, 0, sizeof *out);
    out->image_size = config->image_size;
    out->sample_count = dataset->count;
    out->values_per_sample = (size_t)MODEL_IMAGE_COUNT * 3 * config->image_size * config->image_size;
    uint64_t key = shard_key(dataset, config);
    char name[64];
    snprintf(name, sizeof name, "iar-shard-%016llx.bin", (unsigned long long)key);
    out->path = path_join(cache_dir ? cache_dir : dataset->root, name);
    if (!out->path) return error_set(err, "out of memory");
    if (shard_try_map(out, key) == 0) {
        if (progress) progress_advance(progress, out->sample_count, 0);
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        out->stores_floats = attempt; // bytes first; floats when the model's values are not 8-bit levels
        size_t bytes = out->sample_count * out->values_per_sample * shard_value_bytes(out);
        unsigned char *buffer = malloc(SHARD_HEADER_BYTES + bytes);
        if (!buffer) return error_set(err, "out of memory for the image cache (%zu bytes)", bytes);
        int rc = shard_build(out, buffer + SHARD_HEADER_BYTES, dataset, config, threads, progress, err);
        if (rc < 0) {
            free(buffer);
            image_shard_close(out);
            return -1;
        }
        if (rc == 1) {
            free(buffer);
            continue;
        }
        shard_write_header(buffer, out, key);
        Error ignored;
        if (file_write_atomic(out->path, buffer, SHARD_HEADER_BYTES + bytes, &ignored) == 0 &&
            shard_try_map(out, key) == 0) {
            out->reused = 0;
            free(buffer);
            return 0;
        }
        // The cache could not be written (read-only folder): keep the pixels in memory.
        out->mapping = NULL;
        out->mapping_size = 0;
        out->data = buffer + SHARD_HEADER_BYTES;
        return 0;
    }
    image_shard_close(out);
    return error_set(err, "image cache: the model's pixel values are not stable (NaN?)");
}

void image_shard_read(const ImageShard *shard, size_t sample_index, float *out) {
    size_t n = shard->values_per_sample;
    if (shard->stores_floats) {
        memcpy(out, shard->data + sample_index * n * sizeof(float), n * sizeof(float));
        return;
    }
    const unsigned char *q = shard->data + sample_index * n;
    // (5*3*S*S) one affine map per value
    for (size_t k = 0; k < n; k++) out[k] = (float)q[k] / 127.5f - 1.0f;
}

void image_shard_close(ImageShard *shard) {
    if (shard->mapping) munmap(shard->mapping, shard->mapping_size);
    else if (shard->data) free((unsigned char *)shard->data - SHARD_HEADER_BYTES);
    free(shard->path);
    memset(shard, 0, sizeof *shard);
}

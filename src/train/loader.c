// loader.c — batches for training: a deterministic endless order (one counter-based shuffle per
// epoch), rows tokenized once at open, and the next batch assembled on a background thread.
#include "train/loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "text/layout.h"

int loader_batch_create(LoaderBatch *out, int capacity, const ModelConfig *config, Error *err) {
    memset(out, 0, sizeof *out);
    size_t pixels = (size_t)MODEL_IMAGE_COUNT * 3 * config->image_size * config->image_size;
    size_t text = (size_t)capacity * config->max_text_len;
    out->images = malloc((size_t)capacity * pixels * sizeof *out->images);
    out->tokens = malloc(text * sizeof *out->tokens);
    out->targets = malloc(text * sizeof *out->targets);
    out->text_len = malloc((size_t)capacity * sizeof *out->text_len);
    out->prefix_len = malloc((size_t)capacity * sizeof *out->prefix_len);
    out->sample_indices = malloc((size_t)capacity * sizeof *out->sample_indices);
    out->candidate_flawed = malloc((size_t)capacity * 4 * sizeof *out->candidate_flawed);
    out->dimension = malloc((size_t)capacity * sizeof *out->dimension);
    out->capacity = capacity;
    out->max_text_len = config->max_text_len;
    if (!out->images || !out->tokens || !out->targets || !out->text_len || !out->prefix_len || !out->sample_indices ||
        !out->candidate_flawed || !out->dimension) {
        loader_batch_free(out);
        return error_set(err, "out of memory for a batch of %d rows", capacity);
    }
    return 0;
}

void loader_batch_free(LoaderBatch *batch) {
    free(batch->images);
    free(batch->tokens);
    free(batch->targets);
    free(batch->text_len);
    free(batch->prefix_len);
    free(batch->sample_indices);
    free(batch->candidate_flawed);
    free(batch->dimension);
    memset(batch, 0, sizeof *batch);
}

// One sample's training row in the shared text layout: tokens at row[0..L), targets at row[L..2L).
// *truncated is set when its completion had to be cut.
static int sample_row_build(const Sample *sample, const Tokenizer *tokenizer, int L, int *row, int *text_len,
                            int *prefix_len, int *truncated, Error *err) {
    char *completion = sample_completion_text(sample);
    int rc = completion ? text_row_build(tokenizer, (int)sample->dimension, completion, L, row, row + L, text_len,
                                         prefix_len, truncated, err)
                        : error_set(err, "out of memory");
    free(completion);
    if (rc != 0) error_prefix(err, "sample %s: ", sample->id);
    return rc;
}

// Lays out `count` rows given as full-length (max_text_len) token rows into the batch with the
// tightest T, then points the ModelBatch view at it.
static void batch_pack(LoaderBatch *out, const Dataset *dataset, const ImageShard *shard, const size_t *sample_indices, int count,
                       const int *const *row_tokens, const int *const *row_targets, const int *text_len,
                       const int *prefix_len) {
    int T = 1;
    for (int b = 0; b < count; b++)
        if (text_len[b] > T) T = text_len[b];
    out->target_count = 0;
    // (B, T) rows copied with the batch's stride; images (B, 5, 3, S, S) from the shard
    for (int b = 0; b < count; b++) {
        memcpy(out->tokens + (size_t)b * T, row_tokens[b], (size_t)T * sizeof(int));
        memcpy(out->targets + (size_t)b * T, row_targets[b], (size_t)T * sizeof(int));
        for (int t = 0; t < T; t++) out->target_count += row_targets[b][t] >= 0;
        out->text_len[b] = text_len[b];
        out->prefix_len[b] = prefix_len[b];
        out->sample_indices[b] = sample_indices[b];
        out->dimension[b] = (int)dataset->samples[sample_indices[b]].dimension;
        for (int c = 0; c < 4; c++)
            out->candidate_flawed[b * 4 + c] = (dataset->samples[sample_indices[b]].answer >> c) & 1 ? 1.0f : 0.0f;
        image_shard_read(shard, sample_indices[b], out->images + (size_t)b * shard->values_per_sample);
    }
    out->batch = (ModelBatch){.batch_size = count,
                              .text_len_max = T,
                              .images = out->images,
                              .tokens = out->tokens,
                              .targets = out->targets,
                              .text_len = out->text_len,
                              .prefix_len = out->prefix_len,
                              .candidate_flawed = out->candidate_flawed,
                              .dimension = out->dimension};
}

// ---- the loader ----------------------------------------------------------------------------------

// One producer's cache of an epoch's order (the main thread and the prefetch thread each have one).
typedef struct EpochOrder {
    uint64_t epoch;
    int valid;
    size_t *order; // positions into loader->indices
} EpochOrder;

struct Loader {
    const Dataset *dataset;
    const ImageShard *shard;
    LoaderOptions options;
    size_t *indices;
    size_t count;
    int max_text_len;
    int *rows;          // (count, 2, L): tokens then targets of each loader row
    int *text_len, *prefix_len;
    size_t truncated;
    LoaderBatch front, back;
    EpochOrder main_order, worker_order;
    LoaderPosition position; // of the next batch to return
    // prefetch: the worker fills `back` for `back_position` when asked
    pthread_t thread;
    int thread_started;
    int sync_ready; // lock and condition initialised
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int back_requested, back_ready, stopping;
    LoaderPosition back_position;
};

static void epoch_order_get(const Loader *loader, EpochOrder *cache, uint64_t epoch) {
    if (cache->valid && cache->epoch == epoch) return;
    for (size_t i = 0; i < loader->count; i++) cache->order[i] = i;
    Rng rng = rng_stream(loader->options.seed, epoch, RNG_PURPOSE_DATA_ORDER);
    rng_shuffle_size(&rng, cache->order, loader->count);
    cache->epoch = epoch;
    cache->valid = 1;
}

// Assembles the batch that starts at `at` into `out`; deterministic given (seed, at).
static void loader_produce(const Loader *loader, EpochOrder *cache, LoaderPosition at, LoaderBatch *out) {
    int B = loader->options.batch_size, L = loader->max_text_len;
    size_t samples[B];
    const int *tokens[B], *targets[B];
    int lens[B], prefixes[B];
    for (int b = 0; b < B; b++) {
        if (at.index >= loader->count) at.epoch++, at.index = 0;
        epoch_order_get(loader, cache, at.epoch);
        size_t row = cache->order[at.index++];
        samples[b] = loader->indices[row];
        tokens[b] = loader->rows + row * 2 * L;
        targets[b] = tokens[b] + L;
        lens[b] = loader->text_len[row];
        prefixes[b] = loader->prefix_len[row];
    }
    if (at.index >= loader->count) at.epoch++, at.index = 0;
    batch_pack(out, loader->dataset, loader->shard, samples, B, tokens, targets, lens, prefixes);
    out->truncated_rows = 0;
    out->next = at;
}

static void *loader_worker(void *arg) {
    Loader *loader = arg;
    pthread_mutex_lock(&loader->lock);
    for (;;) {
        while (!loader->back_requested && !loader->stopping) pthread_cond_wait(&loader->changed, &loader->lock);
        if (loader->stopping) break;
        LoaderPosition at = loader->back_position;
        pthread_mutex_unlock(&loader->lock);
        loader_produce(loader, &loader->worker_order, at, &loader->back);
        pthread_mutex_lock(&loader->lock);
        loader->back_requested = 0;
        loader->back_ready = 1;
        pthread_cond_broadcast(&loader->changed);
    }
    pthread_mutex_unlock(&loader->lock);
    return NULL;
}

int loader_open(Loader **out, const Dataset *dataset, const ImageShard *shard, const Tokenizer *tokenizer,
                const ModelConfig *config, const size_t *indices, size_t count, const LoaderOptions *options,
                Error *err) {
    *out = NULL;
    if (count == 0) return error_set(err, "no training samples (is the validation fraction 1?)");
    if (options->batch_size < 1 || options->batch_size > 4096)
        return error_set(err, "batch size %d is outside 1..4096", options->batch_size);
    Loader *loader = calloc(1, sizeof *loader);
    if (!loader) return error_set(err, "out of memory");
    loader->dataset = dataset;
    loader->shard = shard;
    loader->options = *options;
    loader->count = count;
    int L = loader->max_text_len = config->max_text_len;
    loader->indices = malloc(count * sizeof *loader->indices);
    loader->rows = malloc(count * 2 * (size_t)L * sizeof *loader->rows);
    loader->text_len = malloc(count * sizeof *loader->text_len);
    loader->prefix_len = malloc(count * sizeof *loader->prefix_len);
    loader->main_order.order = malloc(count * sizeof(size_t));
    loader->worker_order.order = malloc(count * sizeof(size_t));
    if (!loader->indices || !loader->rows || !loader->text_len || !loader->prefix_len || !loader->main_order.order ||
        !loader->worker_order.order) {
        loader_close(loader);
        return error_set(err, "out of memory for %zu rows", count);
    }
    memcpy(loader->indices, indices, count * sizeof *indices);
    for (size_t i = 0; i < count; i++) {
        int truncated = 0;
        if (sample_row_build(&dataset->samples[indices[i]], tokenizer, L, loader->rows + i * 2 * L,
                             &loader->text_len[i], &loader->prefix_len[i], &truncated, err) != 0) {
            loader_close(loader);
            return -1;
        }
        loader->truncated += (size_t)truncated;
    }
    if (loader_batch_create(&loader->front, options->batch_size, config, err) != 0 ||
        loader_batch_create(&loader->back, options->batch_size, config, err) != 0) {
        loader_close(loader);
        return -1;
    }
    pthread_mutex_init(&loader->lock, NULL);
    pthread_cond_init(&loader->changed, NULL);
    loader->sync_ready = 1;
    if (options->prefetch && pthread_create(&loader->thread, NULL, loader_worker, loader) == 0)
        loader->thread_started = 1;
    *out = loader;
    return 0;
}

// Waits until the worker is idle (no request in flight).
static void loader_wait_idle(Loader *loader) {
    while (loader->back_requested) pthread_cond_wait(&loader->changed, &loader->lock);
}

int loader_next(Loader *loader, const LoaderBatch **batch, Error *err) {
    (void)err;
    if (!loader->thread_started) {
        loader_produce(loader, &loader->main_order, loader->position, &loader->front);
    } else {
        pthread_mutex_lock(&loader->lock);
        loader_wait_idle(loader);
        int have = loader->back_ready && loader->back_position.epoch == loader->position.epoch &&
                   loader->back_position.index == loader->position.index;
        pthread_mutex_unlock(&loader->lock);
        if (have) {
            LoaderBatch swap = loader->front;
            loader->front = loader->back;
            loader->back = swap;
        } else {
            loader_produce(loader, &loader->main_order, loader->position, &loader->front);
        }
        pthread_mutex_lock(&loader->lock);
        loader->back_ready = 0;
        loader->back_position = loader->front.next;
        loader->back_requested = 1;
        pthread_cond_broadcast(&loader->changed);
        pthread_mutex_unlock(&loader->lock);
    }
    loader->position = loader->front.next;
    *batch = &loader->front;
    return 0;
}

LoaderPosition loader_position(const Loader *loader) { return loader->position; }

int loader_seek(Loader *loader, LoaderPosition position, Error *err) {
    if (position.index >= loader->count)
        return error_set(err, "data position %llu is past the %zu training rows (a different dataset or split?)",
                         (unsigned long long)position.index, loader->count);
    if (loader->thread_started) {
        pthread_mutex_lock(&loader->lock);
        loader_wait_idle(loader);
        loader->back_ready = 0;
        pthread_mutex_unlock(&loader->lock);
    }
    loader->position = position;
    return 0;
}

size_t loader_truncated_rows(const Loader *loader) { return loader->truncated; }

void loader_close(Loader *loader) {
    if (!loader) return;
    if (loader->thread_started) {
        pthread_mutex_lock(&loader->lock);
        loader->stopping = 1;
        pthread_cond_broadcast(&loader->changed);
        pthread_mutex_unlock(&loader->lock);
        pthread_join(loader->thread, NULL);
    }
    if (loader->sync_ready) {
        pthread_mutex_destroy(&loader->lock);
        pthread_cond_destroy(&loader->changed);
    }
    loader_batch_free(&loader->front);
    loader_batch_free(&loader->back);
    free(loader->indices);
    free(loader->rows);
    free(loader->text_len);
    free(loader->prefix_len);
    free(loader->main_order.order);
    free(loader->worker_order.order);
    free(loader);
}

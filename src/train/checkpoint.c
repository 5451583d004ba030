// checkpoint.c — checkpoint folders: model + tokenizer + state.bin (layout in checkpoint.h).
#include "train/checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "core/files.h"

static const char STATE_MAGIC[8] = {'I', 'A', 'R', 'S', 'T', 'A', 'T', 'E'};

uint64_t checkpoint_hash_bytes(uint64_t hash, const void *data, size_t size) {
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}

// The fixed part of state.bin after magic, version and header size.
typedef struct StateHeader {
    char trainer[16];
    int64_t step;
    uint64_t seed;
    uint64_t data_epoch, data_index;
    uint64_t options_hash;
    double elapsed_seconds;
    int64_t adam_step;
    uint64_t param_count;
    uint64_t params_checksum;
    uint64_t extra_size;
} StateHeader;

static uint64_t params_checksum(const Model *model) {
    return checkpoint_hash_bytes(CHECKPOINT_HASH_START, model->params, model->param_count * sizeof(float));
}

static int write_state(const char *path, const Model *model, const AdamW *opt, const TrainState *state,
                       const void *extra, size_t extra_size, Error *err) {
    StateHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.trainer, state->trainer, sizeof h.trainer - 1);
    h.step = state->step;
    h.seed = state->seed;
    h.data_epoch = state->data.epoch;
    h.data_index = state->data.index;
    h.options_hash = state->options_hash;
    h.elapsed_seconds = state->elapsed_seconds;
    h.adam_step = opt->step;
    h.param_count = model->param_count;
    h.params_checksum = params_checksum(model);
    h.extra_size = extra_size;
    uint32_t version = CHECKPOINT_STATE_VERSION, header_bytes = sizeof h;
    size_t moments = 2 * opt->count * sizeof(float);
    size_t size = sizeof STATE_MAGIC + 8 + sizeof h + moments + extra_size + 8;
    unsigned char *buffer = malloc(size), *p = buffer;
    if (!buffer) return error_set(err, "%s: out of memory (%zu bytes)", path, size);
    memcpy(p, STATE_MAGIC, sizeof STATE_MAGIC), p += sizeof STATE_MAGIC;
    memcpy(p, &version, 4), p += 4;
    memcpy(p, &header_bytes, 4), p += 4;
    memcpy(p, &h, sizeof h), p += sizeof h;
    memcpy(p, opt->moments, moments), p += moments;
    if (extra_size) memcpy(p, extra, extra_size), p += extra_size;
    uint64_t sum = checkpoint_hash_bytes(CHECKPOINT_HASH_START, buffer, (size_t)(p - buffer));
    memcpy(p, &sum, 8);
    int rc = file_write_atomic(path, buffer, size, err);
    free(buffer);
    return rc;
}

int checkpoint_save(const char *dir, const Model *model, const Tokenizer *tokenizer, const AdamW *opt,
                    const TrainState *state, const void *extra, size_t extra_size, Error *err) {
    if (dir_create_all(dir, err) != 0) return -1;
    if (model_save(model, dir, err) != 0) return -1;
    char *path = path_join(dir, "tokenizer.json");
    int rc = tokenizer ? tokenizer_save(tokenizer, path, err) : 0;
    free(path);
    if (rc != 0 || !opt || !state) return rc;
    path = path_join(dir, "state.bin");
    rc = write_state(path, model, opt, state, extra, extra_size, err);
    free(path);
    return rc;
}

int checkpoint_load_model(const char *dir, Model *model, int max_batch, Tokenizer **tokenizer, Error *err) {
    if (tokenizer) {
        *tokenizer = NULL;
        char *path = path_join(dir, "tokenizer.json");
        int rc = tokenizer_load(tokenizer, path, err);
        free(path);
        if (rc != 0) return -1;
    }
    if (model && model_load(model, dir, max_batch, err) != 0) {
        if (tokenizer) {
            tokenizer_free(*tokenizer);
            *tokenizer = NULL;
        }
        return -1;
    }
    if (model && tokenizer && model->config.vocab_size < tokenizer_vocab_size(*tokenizer)) {
        error_set(err, "%s: the model's vocabulary (%d) is smaller than tokenizer.json's (%d): they do not belong together",
                  dir, model->config.vocab_size, tokenizer_vocab_size(*tokenizer));
        model_free(model);
        tokenizer_free(*tokenizer);
        *tokenizer = NULL;
        return -1;
    }
    return 0;
}

int checkpoint_has_state(const char *dir) {
    char *path = path_join(dir, "state.bin");
    int exists = path && file_exists(path);
    free(path);
    return exists;
}

static int state_fail(char *buffer, Error *err, const char *path, const char *what) {
    free(buffer);
    return error_set(err, "%s: %s", path, what);
}

int checkpoint_load_state(const char *dir, const Model *model, AdamW *opt, TrainState *state, void **extra,
                          size_t *extra_size, Error *err) {
    if (extra) *extra = NULL;
    if (extra_size) *extra_size = 0;
    char *path = path_join(dir, "state.bin"), *buffer = NULL;
    size_t size = 0;
    char where[1100];
    snprintf(where, sizeof where, "%s", path);
    free(path);
    if (file_read_all(where, 0, &buffer, &size, err) != 0) return -1;
    StateHeader h;
    uint32_t version = 0, header_bytes = 0;
    if (size < sizeof STATE_MAGIC + 8 + 8 || memcmp(buffer, STATE_MAGIC, sizeof STATE_MAGIC) != 0)
        return state_fail(buffer, err, where, "not an iar training state (bad magic)");
    memcpy(&version, buffer + 8, 4);
    memcpy(&header_bytes, buffer + 12, 4);
    if (version != CHECKPOINT_STATE_VERSION) {
        free(buffer);
        return error_set(err, "%s: training state v%u, this build reads v%d; start a new run (without --resume)",
                         where, version, CHECKPOINT_STATE_VERSION);
    }
    uint64_t stored_sum;
    memcpy(&stored_sum, buffer + size - 8, 8);
    if (header_bytes != sizeof h || checkpoint_hash_bytes(CHECKPOINT_HASH_START, buffer, size - 8) != stored_sum)
        return state_fail(buffer, err, where, "checksum mismatch (truncated or corrupt file)");
    memcpy(&h, buffer + 16, sizeof h);
    size_t moments = 2 * (size_t)h.param_count * sizeof(float);
    if (h.param_count != model->param_count || h.param_count != opt->count)
        return state_fail(buffer, err, where, "its parameter count differs from the model's: they do not belong together");
    if (16 + sizeof h + moments + h.extra_size + 8 != size)
        return state_fail(buffer, err, where, "size does not match its header (corrupt file)");
    if (h.params_checksum != params_checksum(model))
        return state_fail(buffer, err, where,
                          "does not belong to the model.safetensors beside it (saved at a different step?)");
    memcpy(opt->moments, buffer + 16 + sizeof h, moments);
    opt->step = h.adam_step;
    memset(state, 0, sizeof *state);
    memcpy(state->trainer, h.trainer, sizeof state->trainer - 1);
    state->step = h.step;
    state->seed = h.seed;
    state->data.epoch = h.data_epoch;
    state->data.index = h.data_index;
    state->options_hash = h.options_hash;
    state->elapsed_seconds = h.elapsed_seconds;
    if (extra && h.extra_size) {
        *extra = malloc(h.extra_size);
        if (!*extra) return state_fail(buffer, err, where, "out of memory for the extra state");
        memcpy(*extra, buffer + 16 + sizeof h + moments, h.extra_size);
        if (extra_size) *extra_size = h.extra_size;
    }
    free(buffer);
    return 0;
}

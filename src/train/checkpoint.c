// checkpoint.c — training checkpoints: a model folder + state.bin, written as one unit (layout and
// commit protocol in checkpoint.h).
#include "train/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"
#include "core/fnv1a.h"
#include "screen/model_folder.h"

static const char STATE_MAGIC[8] = {'I', 'A', 'R', 'S', 'T', 'A', 'T', 'E'};
static const char STAGING_NAME[] = ".checkpoint-new";  // being written; dropped when a kill interrupts it
static const char COMMITTED_NAME[] = ".checkpoint-ready"; // complete; its files still to move into OUT

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
    return fnv1a_bytes(FNV1A_START, model->params, model->param_count * sizeof(float));
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
    uint64_t sum = fnv1a_bytes(FNV1A_START, buffer, (size_t)(p - buffer));
    memcpy(p, &sum, 8);
    int rc = file_write_atomic(path, buffer, size, err);
    free(buffer);
    return rc;
}

// Flushes a file or folder to disk, so that the commit rename never publishes unwritten data.
static int sync_path(const char *path, Error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return error_set(err, "%s: cannot open to sync: %s", path, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : error_set(err, "%s: cannot sync: %s", path, strerror(errno));
}

// Removes a flat folder of files (the staging folder of an interrupted write).
static int remove_flat_folder(const char *path, Error *err) {
    DIR *dir = opendir(path);
    if (!dir) return errno == ENOENT ? 0 : error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct dirent *entry;
    int rc = 0;
    while (rc == 0 && (entry = readdir(dir))) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
        char *file = path_join(path, entry->d_name);
        if (!file || unlink(file) != 0) rc = error_set(err, "%s/%s: cannot remove: %s", path, entry->d_name, strerror(errno));
        free(file);
    }
    closedir(dir);
    if (rc == 0 && rmdir(path) != 0) rc = error_set(err, "%s: cannot remove: %s", path, strerror(errno));
    return rc;
}

// Moves every file of the committed folder up into dir, state.bin last (it is what marks a
// checkpoint as resumable), then removes the folder. Safe to repeat after a kill.
static int move_committed(const char *dir, const char *committed, Error *err) {
    DIR *folder = opendir(committed);
    if (!folder) return error_set(err, "%s: cannot open: %s", committed, strerror(errno));
    struct dirent *entry;
    int rc = 0, has_state = 0;
    while (rc == 0 && (entry = readdir(folder))) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
        if (!strcmp(entry->d_name, "state.bin")) {
            has_state = 1;
            continue;
        }
        char *from = path_join(committed, entry->d_name), *to = path_join(dir, entry->d_name);
        if (!from || !to || rename(from, to) != 0)
            rc = error_set(err, "%s: cannot move into %s: %s", entry->d_name, dir, strerror(errno));
        free(from), free(to);
    }
    closedir(folder);
    if (rc == 0 && has_state) {
        char *from = path_join(committed, "state.bin"), *to = path_join(dir, "state.bin");
        if (!from || !to || rename(from, to) != 0) rc = error_set(err, "state.bin: cannot move into %s: %s", dir, strerror(errno));
        free(from), free(to);
    }
    if (rc == 0 && rmdir(committed) != 0) rc = error_set(err, "%s: cannot remove: %s", committed, strerror(errno));
    return rc == 0 ? sync_path(dir, err) : rc;
}

int checkpoint_recover(const char *dir, Error *err) {
    char *staging = path_join(dir, STAGING_NAME), *committed = path_join(dir, COMMITTED_NAME);
    int rc = staging && committed ? 0 : error_set(err, "out of memory");
    if (rc == 0 && file_exists(committed)) rc = move_committed(dir, committed, err);
    if (rc == 0) rc = remove_flat_folder(staging, err);
    free(staging), free(committed);
    return rc;
}

int checkpoint_save(const char *dir, const Model *model, const Tokenizer *tokenizer, const AdamW *opt,
                    const TrainState *state, const void *extra, size_t extra_size, Error *err) {
    if (dir_create_all(dir, err) != 0 || checkpoint_recover(dir, err) != 0) return -1;
    char *staging = path_join(dir, STAGING_NAME), *committed = path_join(dir, COMMITTED_NAME);
    char *state_path = staging ? path_join(staging, "state.bin") : NULL;
    int rc = staging && committed && state_path ? 0 : error_set(err, "out of memory");
    if (rc == 0) rc = model_folder_save(staging, model, tokenizer, err);
    if (rc == 0) rc = write_state(state_path, model, opt, state, extra, extra_size, err);
    DIR *folder = rc == 0 ? opendir(staging) : NULL;
    if (rc == 0 && !folder) rc = error_set(err, "%s: cannot open: %s", staging, strerror(errno));
    for (struct dirent *entry; rc == 0 && (entry = readdir(folder));) {
        if (entry->d_name[0] == '.') continue;
        char *file = path_join(staging, entry->d_name);
        rc = file ? sync_path(file, err) : error_set(err, "out of memory");
        free(file);
    }
    if (folder) closedir(folder);
    if (rc == 0) rc = sync_path(staging, err);
    // the commit point: before it OUT keeps the previous checkpoint, after it the new one
    if (rc == 0 && rename(staging, committed) != 0)
        rc = error_set(err, "%s: cannot commit the checkpoint: %s", dir, strerror(errno));
    if (rc == 0) rc = sync_path(dir, err);
    if (rc == 0) rc = move_committed(dir, committed, err);
    free(staging), free(committed), free(state_path);
    return rc;
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
    if (header_bytes != sizeof h || fnv1a_bytes(FNV1A_START, buffer, size - 8) != stored_sum)
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

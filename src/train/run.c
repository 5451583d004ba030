// run.c — the run folder shared by SFT and GRPO: claim or resume, the image cache under MPI,
// state saving and restoring, and the logs' resume rule (run.h).
#include "train/run.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/files.h"
#include "train/distributed.h"

int train_run_lock(const char *out_dir, const char *trainer, struct Distributed *dist, TrainRunLock *lock, Error *err) {
    lock->fd = -1;
    lock->created = 0;
    if (!out_dir) return error_set(err, "%s: no output folder", trainer);
    if (!distributed_is_root(dist)) return 0;
    lock->created = !file_exists(out_dir);
    if (dir_create_all(out_dir, err) != 0) return -1;
    long holder = 0;
    int status = dir_lock(out_dir, "train.lock", &lock->fd, &holder, err);
    if (status != 1) return status;
    if (holder > 0)
        return error_set(err, "%s: another `iar train %s` (pid %ld) is writing this run folder; wait for it to end or "
                              "choose another --out",
                         out_dir, trainer, holder);
    return error_set(err, "%s: another `iar train %s` is writing this run folder; wait for it to end or choose another --out",
                     out_dir, trainer);
}

// 1 when DIR holds no entry but train.lock.
static int run_dir_holds_only_lock(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int only = 1;
    for (struct dirent *e; only && (e = readdir(d));)
        only = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "train.lock");
    closedir(d);
    return only;
}

void train_run_unlock(const char *out_dir, TrainRunLock *lock, int failed) {
    if (lock->fd < 0) return;
    if (failed && run_dir_holds_only_lock(out_dir)) {
        char *lock_path = path_join(out_dir, "train.lock");
        if (lock_path) unlink(lock_path);
        free(lock_path);
        if (lock->created) rmdir(out_dir);
    }
    dir_unlock(lock->fd);
    lock->fd = -1;
}

int train_run_begin(const char *out_dir, int resume, Error *err) {
    if (dir_create_all(out_dir, err) != 0 || checkpoint_recover(out_dir, err) != 0) return -1;
    int has_state = checkpoint_has_state(out_dir);
    if (has_state && !resume)
        return error_set(err, "%s already holds a training run; pass --resume to continue it, or choose another --out",
                         out_dir);
    return has_state;
}

int train_run_open_shard(ImageShard *shard, const Dataset *dataset, const ModelConfig *config, const char *cache_dir,
                         int threads, Progress *progress, struct Distributed *dist, Error *err) {
    int root = distributed_is_root(dist);
    if (root && image_shard_open(shard, dataset, config, cache_dir, threads, progress, err) != 0) return -1;
    if (distributed_barrier(dist, err) != 0) return -1;
    if (!root && image_shard_open(shard, dataset, config, cache_dir, threads, NULL, err) != 0) return -1;
    return 0;
}

int train_run_save(const char *out_dir, const TrainRunState *run, const Model *model, const Tokenizer *tokenizer,
                   const AdamW *opt, const void *extra, size_t extra_size, Error *err) {
    TrainState state;
    memset(&state, 0, sizeof state);
    snprintf(state.trainer, sizeof state.trainer, "%s", run->trainer);
    state.step = run->step;
    state.seed = run->seed;
    state.data = run->data;
    state.options_hash = run->options_hash;
    state.elapsed_seconds = run->elapsed_seconds;
    return checkpoint_save(out_dir, model, tokenizer, opt, &state, extra, extra_size, err);
}

int train_run_restore(const char *out_dir, const char *trainer, uint64_t options_hash, uint64_t options_hash_with_steps,
                      const char *options_hint, long total_steps, const Model *model, AdamW *opt, TrainState *state,
                      void **extra, size_t *extra_size, Error *err) {
    if (extra) *extra = NULL;
    if (checkpoint_load_state(out_dir, model, opt, state, extra, extra_size, err) != 0) return -1;
    int rc = 0;
    if (strcmp(state->trainer, trainer) != 0)
        rc = error_set(err, "%s holds a '%s' run, not a '%s' run; choose another --out", out_dir, state->trainer,
                       trainer);
    else if (state->options_hash != options_hash &&
             !(options_hash_with_steps && state->options_hash == options_hash_with_steps))
        rc = error_set(err, "%s: --resume needs the same %s as the run it continues", out_dir, options_hint);
    else if (state->step > total_steps)
        rc = error_set(err, "%s: the run is at step %lld, past the %ld steps asked; --resume can extend a run, "
                            "not shorten it", out_dir, (long long)state->step, total_steps);
    if (rc != 0 && extra) {
        free(*extra);
        *extra = NULL;
    }
    return rc;
}

int train_run_open_log(TrainLog *log, const char *out_dir, const char *name, long resume_step, Error *err) {
    char *path = path_join(out_dir, name);
    if (!path) return error_set(err, "out of memory");
    int rc = train_log_open(log, path, resume_step, err);
    free(path);
    return rc;
}

// run.h — what SFT and GRPO share about a run folder: claiming OUT (or resuming the run in it),
// the image cache under MPI, saving and restoring the training state, and the logs' resume rule.
//
// The resume rule, the same for every log of a run (train_log.jsonl, rollouts.jsonl): a line
// carries the step it belongs to, counted from 1 (the line of step N describes update N and is
// written before checkpoint N); resuming from a checkpoint at step S keeps the lines with
// step <= S, and the resumed run writes only lines with step > S. So a run killed at any moment
// and resumed reads as if it had never stopped: no step missing, none twice.
#ifndef IAR_TRAIN_RUN_H
#define IAR_TRAIN_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "model/model.h"
#include "text/tokenizer.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/image_shard.h"
#include "train/train_log.h"

struct Distributed; // train/distributed.h

// Creates OUT and takes its lock (OUT/train.lock, an flock held until train_run_unlock), so a
// second trainer started on the same folder refuses at once instead of both writing it. Only rank 0
// locks (lock->fd is -1 on the others). `trainer` names the command in the message ("sft", "grpo",
// "vision").
typedef struct {
    int fd;      // the lock's descriptor, -1 when not held
    int created; // OUT did not exist before this run
} TrainRunLock;
int train_run_lock(const char *out_dir, const char *trainer, struct Distributed *dist, TrainRunLock *lock, Error *err);
// Releases the lock. After a run that failed (`failed`) and left the folder empty but for the lock
// file (a refused start: a bad --init, a missing dataset), removes the lock file, and the folder
// too when this run created it, so a mistyped command leaves nothing behind.
void train_run_unlock(const char *out_dir, TrainRunLock *lock, int failed);

// Prepares OUT for a run: creates it, finishes or drops a checkpoint write a kill interrupted, and
// refuses a folder that already holds a training run unless `resume`. Returns 1 when there is a
// run to resume (resume and a state in OUT), 0 for a new run, -1 on error.
int train_run_begin(const char *out_dir, int resume, Error *err);

// Opens the run's image cache: rank 0 builds (or finds) it, the other ranks open it once it is
// there, so one process writes each cache file. `progress` (rank 0 only) may be NULL.
int train_run_open_shard(ImageShard *shard, const Dataset *dataset, const ModelConfig *config, const char *cache_dir,
                         int threads, Progress *progress, struct Distributed *dist, Error *err);

// What a run saves besides the model: its trainer name, the step, the seed, the data position and
// a hash of the options a resume must not change.
typedef struct TrainRunState {
    const char *trainer;   // "sft" or "grpo"
    long step;             // updates done
    uint64_t seed;
    LoaderPosition data;
    uint64_t options_hash;
    double elapsed_seconds;
} TrainRunState;

int train_run_save(const char *out_dir, const TrainRunState *run, const Model *model, const Tokenizer *tokenizer,
                   const AdamW *opt, const void *extra, size_t extra_size, Error *err);

// Restores OUT's state into model's optimizer and *state; refuses another trainer's state and a
// state saved with other options (`options_hint` names them in the message). The step count is no
// part of `options_hash`, so a run may be extended; a state saved before that hashed its step count
// in, and `options_hash_with_steps` (0: none) accepts it when the count is unchanged. Refuses a run
// already past `total_steps`. *extra is malloc'd (NULL when none); extra may be NULL.
int train_run_restore(const char *out_dir, const char *trainer, uint64_t options_hash, uint64_t options_hash_with_steps,
                      const char *options_hint, long total_steps, const Model *model, AdamW *opt, TrainState *state,
                      void **extra, size_t *extra_size, Error *err);

// Opens OUT/name as a log under the resume rule: resume_step < 0 starts it afresh, else the lines
// with a step above resume_step are dropped first.
int train_run_open_log(TrainLog *log, const char *out_dir, const char *name, long resume_step, Error *err);

#endif

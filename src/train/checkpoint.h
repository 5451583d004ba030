// checkpoint.h — a training checkpoint: a model folder (screen/model_folder.h: model.safetensors,
// config.json, tokenizer.json) plus state.bin (optimizer moments, step, seed, data position, extra
// blob), in the run folder OUT.
// state.bin (little-endian) = "IARSTATE" magic, u32 version, u32 header bytes, the header fields
// below, then AdamW's m and v (2 * param_count floats), then `extra_size` bytes of the caller's
// blob (GRPO keeps its frozen reference policy and sampler state there), then a u64 FNV-1a
// checksum of everything before it. The header records a checksum of the saved parameters, so a
// state.bin that does not belong to the model beside it is refused instead of silently resumed.
//
// A checkpoint is written as one unit. Every file goes into OUT/.checkpoint-new; one rename turns
// that folder into OUT/.checkpoint-ready (the commit point); then the files move up into OUT, and
// the folder is removed. checkpoint_recover finishes a committed write (moving what is left) or
// drops an uncommitted one, so after a kill at any moment OUT holds the last complete checkpoint.
#ifndef IAR_TRAIN_CHECKPOINT_H
#define IAR_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"
#include "text/tokenizer.h"
#include "train/adamw.h"
#include "train/loader.h"

#define CHECKPOINT_STATE_VERSION 1

typedef struct TrainState {
    char trainer[16];       // "sft" or "grpo": a resume refuses another trainer's state
    int64_t step;           // optimizer updates done
    uint64_t seed;          // all randomness is rng_hash(seed, ...): seed + step is the whole RNG state
    LoaderPosition data;    // the loader's next position
    uint64_t options_hash;  // the caller's hash of options that must not change on resume (0: unchecked)
    double elapsed_seconds; // training time before this checkpoint (for logs)
} TrainState;

// Writes a checkpoint into DIR (created if needed) as one unit (see above); tokenizer may be NULL
// (no tokenizer.json), extra may be NULL with extra_size 0. Load the model with model_folder_load.
int checkpoint_save(const char *dir, const Model *model, const Tokenizer *tokenizer, const AdamW *opt,
                    const TrainState *state, const void *extra, size_t extra_size, Error *err);
// Finishes or drops a checkpoint write that a kill interrupted (see above). Call it before reading
// DIR's checkpoint; it does nothing when no write was interrupted.
int checkpoint_recover(const char *dir, Error *err);
// 1 when DIR/state.bin exists.
int checkpoint_has_state(const char *dir);
// Reads DIR/state.bin into opt (already created for `model`, whose params must be the ones saved
// with it) and state; *extra is malloc'd (NULL when none), extra may be NULL to ignore it.
int checkpoint_load_state(const char *dir, const Model *model, AdamW *opt, TrainState *state, void **extra,
                          size_t *extra_size, Error *err);

#endif

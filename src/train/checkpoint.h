// checkpoint.h — a training checkpoint folder (DESIGN §3):
//   model.safetensors + config.json   via model_save / model_load
//   tokenizer.json                    via tokenizer_save / tokenizer_load
//   state.bin                         optimizer moments, step, seed, data position, extra blob
// state.bin (little-endian) = "IARSTATE" magic, u32 version, u32 header bytes, the header fields
// below, then AdamW's m and v (2 * param_count floats), then `extra_size` bytes of the caller's
// blob (GRPO keeps its frozen reference policy and sampler state there), then a u64 FNV-1a
// checksum of everything before it. The header records a checksum of the saved parameters, so a
// state.bin that does not belong to the model beside it is refused instead of silently resumed.
// Every file is written through a temporary file and a rename; state.bin goes last.
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

// Writes the whole folder (created if needed). opt and state may be NULL (an inference-only
// checkpoint: no state.bin); extra may be NULL with extra_size 0.
int checkpoint_save(const char *dir, const Model *model, const Tokenizer *tokenizer, const AdamW *opt,
                    const TrainState *state, const void *extra, size_t extra_size, Error *err);
// Loads model and tokenizer (either output may be NULL to skip it).
int checkpoint_load_model(const char *dir, Model *model, int max_batch, Tokenizer **tokenizer, Error *err);
// 1 when DIR/state.bin exists.
int checkpoint_has_state(const char *dir);
// Reads DIR/state.bin into opt (already created for `model`, whose params must be the ones saved
// with it) and state; *extra is malloc'd (NULL when none), extra may be NULL to ignore it.
int checkpoint_load_state(const char *dir, const Model *model, AdamW *opt, TrainState *state, void **extra,
                          size_t *extra_size, Error *err);
// FNV-1a 64 over bytes, chainable (start with CHECKPOINT_HASH_START): for options_hash and checksums.
#define CHECKPOINT_HASH_START 0xcbf29ce484222325ull
uint64_t checkpoint_hash_bytes(uint64_t hash, const void *data, size_t size);

#endif

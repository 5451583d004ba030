// sft.h — chain-of-thought supervised fine-tuning of the native model (`iar train sft`): loss on the
// completion tokens only, AdamW + clipping + warmup/cosine, validation by greedy generation on a
// held-out split, per-step train_log.jsonl, checkpoints with bit-for-bit resume.
#ifndef IAR_TRAIN_SFT_H
#define IAR_TRAIN_SFT_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "train/validate.h"

struct Distributed; // train/distributed.h

typedef struct SftOptions {
    const char *data_path;
    const char *out_dir;
    const char *config_name;    // tiny | small | base (ignored with init_dir: the init's config is used)
    const char *init_dir;       // start from this checkpoint's weights (and its tokenizer); NULL: from scratch
    const char *init_vision;    // a pretrained tower folder (`iar train vision`): the model reads images through
                                // it, frozen; NULL: the config's own stem
    const char *init_product;   // with init_vision: a product-view tower (`iar train vision --product-view`)
                                // beside it, frozen; NULL: none
    long tower_heads_after;     // with a vision tower: -1 (default) it stays frozen; N >= 0 its heads (cross-
                                // attention, evidence MLP, flaw and token heads) train from step N on, the
                                // convolutions frozen
    float tower_lr;             // the heads' peak learning rate (default 1e-4), on the run's schedule
    const char *tokenizer_path; // use this tokenizer.json; NULL: the init's, else trained on the data
    const char *cache_dir;      // image cache folder; NULL: the dataset's folder
    int vocab_size;             // when the tokenizer is trained here (default 1024)
    long steps;                 // optimizer updates (default 900); 0: from epochs
    double epochs;              // used when steps is 0
    long stop_at;               // stop after this step as if interrupted (0: run to the end); for tests and time boxes
    int batch_size;             // default 16
    float learning_rate;        // peak (default 2e-3)
    float min_lr_ratio;         // cosine floor (default 0.1)
    long warmup_steps;          // default 20
    float weight_decay;         // default 0.1
    float clip_norm;            // default 1.0
    float aux_weight;           // auxiliary per-candidate flaw loss (default 0.5; needs config candidate_head)
    uint64_t seed;              // default 1
    double val_fraction;        // held-out share of the data (default 0.05)
    long val_every;             // validate every N steps (0: only at the end)
    int val_samples;            // at most this many held-out samples per validation (default 64)
    long save_every;            // checkpoint every N steps (0: only at the end)
    int resume;                 // continue OUT's state.bin when it exists (else start a new run)
    int threads;                // 0: leave OpenMP/OpenBLAS defaults
    double peak_gflops;         // for MFU; 0: measured at start with sgemm
    struct Distributed *dist;   // data-parallel world (mpirun); NULL: one process (docs/SCALE.md)
} SftOptions;

void sft_options_default(SftOptions *options);

typedef struct SftStartInfo {
    const char *config_name;
    size_t parameters;
    double flops_per_token;
    double peak_gflops;
    size_t train_samples, validation_samples;
    size_t truncated_rows;   // training rows whose completion was cut to fit max_text_len
    int vocab_size;
    int tokenizer_trained;   // 1 when the tokenizer was trained by this run
    int image_cache_reused;
    long start_step, total_steps;
    int resumed;             // 1 when OUT's state was continued
} SftStartInfo;

typedef struct SftEvents {
    Progress *progress;      // counts steps (label/total set by sft_train); NULL: silent
    Progress *cache_progress; // counts samples while the image cache is built; may be NULL
    void (*on_start)(void *user, const SftStartInfo *info);
    void (*on_validation)(void *user, long step, const ValidationResult *result);
    void *user;
} SftEvents;

typedef struct SftResult {
    long steps_done;
    double final_loss; // mean over the last 10 steps
    ValidationResult validation; // the last one (samples 0 when none ran)
    double seconds;
} SftResult;

int sft_train(const SftOptions *options, const SftEvents *events, SftResult *result, Error *err);

#endif

// vision.h — pretraining of the vision tower without text (`iar train vision`): per-candidate
// flawed/ok plus every dense target the generator's `meta` offers (defect region per token,
// product box, frame box, surface and base rows, light side, shadow side, defect kind). Training
// samples are rendered by the generator in memory (render → resize → tensor, no PNG round trip),
// a fresh one for every step, so the data never runs out; validation uses a fixed set rendered
// from its own seed. AdamW + warmup/cosine, train_log.jsonl, checkpoints with exact resume.
// Under mpirun every rank renders and trains its slice of each global batch, batch norm uses the
// global batch's statistics (synchronised over ranks) and gradients are summed before the update,
// so N processes compute the one-process run (docs/SCALE.md); rank 0 validates, logs and saves.
#ifndef IAR_TRAIN_VISION_H
#define IAR_TRAIN_VISION_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "model/tower.h"
#include "synth/synth.h"
#include "train/distributed.h"

// ---- data ---------------------------------------------------------------------------------------
// A batch of rendered samples with the tower's inputs and targets.
typedef struct VisionBatch {
    int capacity, count, image_size;
    int jitter;           // 1: a product view's centre moves by up to 10% of its side (training)
    float *images;        // (count, 5, 3, S, S) in [-1, 1]
    int *dimension;       // (count) what the tower is told (-1 when dropped out)
    int *true_dimension;  // (count) the sample's dimension
    int *difficulty;      // (count) SynthDifficulty
    float *flawed;        // (count, 4)
    float *token_targets; // (count, 4, P, TOWER_TOKEN_TARGETS)
    int *light, *shadow, *kind; // (count, 4)
} VisionBatch;

int vision_batch_create(VisionBatch *batch, int capacity, const TowerConfig *tower, Error *err);
void vision_batch_free(VisionBatch *batch);
// Renders samples first..first+count-1 of `synth` (OpenMP over samples; deterministic) into the
// batch. A sample's dimension is hidden from the tower (-1) with probability `dimension_dropout`.
int vision_batch_render(VisionBatch *batch, const SynthConfig *synth, size_t first, int count,
                        const TowerConfig *tower, double dimension_dropout, Error *err);

// ---- evaluation ---------------------------------------------------------------------------------
typedef struct VisionScore {
    size_t candidates, candidates_correct; // per-candidate flawed/ok at p > 0.5
    size_t samples, samples_exact;         // the set of p > 0.5, forced to 1..3 letters, equals the gold set
} VisionScore;

typedef struct VisionEvaluation {
    double loss;                                   // mean BCE of the flaw logit
    VisionScore overall, dimension[4], difficulty[3];
    VisionScore kind[DEFECT_KIND_COUNT];           // candidates of each defect kind (none = good ones)
} VisionEvaluation;

double vision_score_accuracy(const VisionScore *score);
double vision_score_exact(const VisionScore *score);
// Scores the tower (running statistics) on a rendered set; with a product-view tower (else NULL),
// deformation samples are scored by it, on the views the tower finds (as a model with both does).
int vision_evaluate(Tower *tower, Tower *product, const VisionBatch *set, int batch_size, VisionEvaluation *out,
                    Error *err);

// ---- training -----------------------------------------------------------------------------------
typedef struct VisionOptions {
    const char *out_dir;
    const char *config_name;   // tower preset (default "small")
    int image_size;            // 0: the preset's
    long steps;                // optimizer updates (default 4000)
    long stop_at;              // stop after this step as if interrupted (0: run to the end)
    int batch_size;            // samples per step (default 16)
    float learning_rate;       // peak (default 2e-3)
    float min_lr_ratio;        // cosine floor (default 0.05)
    long warmup_steps;         // default 100
    float weight_decay;        // default 0.01
    float clip_norm;           // default 1.0
    uint64_t seed;             // initialisation and dimension dropout (default 1)
    uint64_t data_seed;        // generator seed of the training stream (default 1000)
    uint64_t val_seed;         // generator seed of the validation set (default 999)
    int val_samples;           // default 200
    long val_every;            // default 500 (0: only at the end)
    long save_every;           // default 250
    int render_size;           // generator canvas (0: the tower's image size)
    SynthDifficulty difficulty;
    SynthStyle style;          // render (default), photo or mix
    unsigned dimensions;       // generated dimensions (bit d; 0: all four)
    int product_view_from;     // > 0: a new tower reads the product view of a frame tower's input of
                               // this many pixels (model/product_view.h); 0: whole candidates
    const PhotoLibrary *photos; // required by photo and mix; not owned
    const char *init_dir;      // start from this tower's weights (fresh optimizer); NULL: random init
    const char *product_dir;   // vision_evaluate_checkpoint: score with this product-view tower beside
    double dimension_dropout;  // default 0.2
    TowerLossWeights weights;
    int resume;                // continue OUT's state when it exists
    int threads;               // 0: OpenMP default
    Distributed *dist;         // data-parallel ranks (mpirun); NULL: one process
} VisionOptions;

void vision_options_default(VisionOptions *options);

typedef struct VisionStepInfo {
    long step, total_steps;
    TowerLoss loss;
    float learning_rate;
    double grad_norm;
    double render_seconds, train_seconds; // this step's
} VisionStepInfo;

typedef struct VisionEvents {
    Progress *progress; // counts steps; NULL: silent
    void (*on_start)(void *user, const TowerConfig *config, size_t parameters, long start_step, long total_steps,
                     int resumed);
    void (*on_validation)(void *user, long step, const VisionEvaluation *evaluation);
    void *user;
} VisionEvents;

typedef struct VisionResult {
    long steps_done;
    VisionEvaluation validation; // the last one
    double render_samples_per_second, train_samples_per_second;
    double seconds;
} VisionResult;

int vision_train(const VisionOptions *options, const VisionEvents *events, VisionResult *result, Error *err);
// Scores the tower saved in options->out_dir on a fresh set of options->val_samples samples rendered
// from options->val_seed (difficulty, render size as given); writes nothing.
int vision_evaluate_checkpoint(const VisionOptions *options, VisionEvaluation *out, Error *err);

#endif

// grpo_internal.h — (private to src/train/grpo*.c) the state of one GRPO run and the steps of its
// loop, split by file: grpo.c (setup, loop, checkpoints), grpo_update.c (the policy update),
// grpo_log.c (train_log, rollouts.jsonl), grpo_validate.c (held-out validation), grpo_hcm.c (the
// hard-case pool refresh). Every line a run logs carries the step it belongs to (train/run.h).
#ifndef IAR_TRAIN_GRPO_INTERNAL_H
#define IAR_TRAIN_GRPO_INTERNAL_H

#include "data/dataset.h"
#include "model/model.h"
#include "text/tokenizer.h"
#include "train/adamw.h"
#include "train/grpo.h"
#include "train/grpo_rollout.h"
#include "train/hcm.h"
#include "train/loader.h"
#include "train/schedule.h"
#include "train/train_log.h"

typedef struct GrpoStepStats {
    double lambda, learning_rate;
    double reward_mean, reward_std, format_mean, format_std, accuracy_mean, accuracy_std;
    double exact_mean, prop_mean, parse_fail_fraction;
    double zero_signal_fraction, truncated_fraction, completion_len_mean;
    GrpoLossSummary loss;
    double entropy, grad_norm;
    double tower_grad_norm; // the tower's heads' (0 while they are frozen)
    // |sampler − trainer| log-prob of the same sampled tokens (the KV-cache decode against the
    // full forward that gives the "old" log-probs), over the groups the update forwarded; NaN: none
    double logprob_gap_max, logprob_gap_mean;
    int skipped_updates; // updates refused for a non-finite gradient or log-prob
    double rollout_seconds, update_seconds;
} GrpoStepStats;

typedef struct GrpoRun {
    const GrpoOptions *options;
    Dataset train, val;
    int has_val;
    ImageShard train_shard, val_shard;
    Tokenizer *tokenizer;
    Model policy, reference;
    int has_reference;        // beta > 0: the frozen SFT policy, its own contiguous parameter block
    AdamW opt;
    int train_tower_heads;    // --tower-heads-after given: the heads train from that step on
    AdamW tower_opt;          // their optimizer (train_tower_heads)
    LrSchedule lr;
    RewardConfig reward;      // the options' reward, with the external server when there is one
    RewardHttp *reward_http;  // NULL: no --reward-url
    HcmPool pool;
    int has_pool;
    GrpoRows rows;            // (P·G, T) the step's rollouts
    GrpoRows probe;           // hard-case scoring and validation
    GrpoSampler sampler;
    GrpoSource train_source, val_source;
    float *logprobs, *old_logprobs, *ref_logprobs, *dlogprobs, *entropy; // (P·G, T)
    float *group_images;      // (G, 5, 3, S, S)
    int *group_tokens, *group_targets; // (G, T): one group's rows packed to its longest row
    int *group_dimension;              // (G): the group's sample dimension (a vision tower reads it)
    float *group_vision;               // (G, model_vision_feature_count): the frozen tower's features of
                                       // the group's one sample, computed once and repeated (with
                                       // train_tower_heads its tokens, model_vision_token_count); NULL: no tower
    size_t image_values;      // floats per sample's five images
    size_t *order;            // this epoch's permutation of the training set
    uint64_t order_epoch;     // epoch `order` belongs to (UINT64_MAX: none yet)
    LoaderPosition position;  // next draw in the epoch order
    size_t *step_samples;     // (P) dataset indices of this step
    size_t *scratch_indices;  // (train count)
    TrainLog log;             // train_log.jsonl
    TrainLog rollouts;        // rollouts.jsonl
    struct Distributed *dist; // data-parallel world; NULL: one process
    long step;                // updates done
    double elapsed_before;    // seconds of earlier invocations (from state.bin)
} GrpoRun;

// grpo_update.c: old/reference log-probs and `iterations` AdamW updates on the step's rollouts.
int grpo_update_policy(GrpoRun *run, GrpoStepStats *stats, Error *err);
// grpo_log.c
void grpo_step_stats_rewards(const GrpoRows *rows, int zero_signal_groups, int group_count, GrpoStepStats *stats);
int grpo_log_step(GrpoRun *run, long step, const GrpoStepStats *stats, Error *err);
int grpo_log_rollouts(GrpoRun *run, long step, int prompts, Error *err);
// grpo_validate.c: greedy exact/prop on the first val_limit samples of --val, logged at `step`.
int grpo_validate(GrpoRun *run, long step, double *exact, double *prop, Error *err);
// grpo_hcm.c: rescores a subset of the pool before update step + 1 and reweights it.
int grpo_hcm_refresh(GrpoRun *run, long step, double lambda, Error *err);
// Per-prompt sampling seed: distinct for every (step, purpose, slot).
uint64_t grpo_rollout_seed(uint64_t seed, long step, uint64_t slot);

#endif

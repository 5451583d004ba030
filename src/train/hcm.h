// hcm.h — hard-case mining (HCM-GRPO, arXiv 2511.10055): every `period` GRPO steps the current
// policy scores (a subset of) the training pool with a few rollouts per case; cases whose mean
// reward is low are then drawn more often as GRPO prompts until the next scoring. A case no rollout
// gets any reward on is not "hard but learnable": its group has no signal, so it is not boosted.
// The pool only keeps numbers; the GRPO loop does the rollouts and calls hcm_pool_record.
#ifndef IAR_TRAIN_HCM_H
#define IAR_TRAIN_HCM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct HcmOptions {
    int period;           // GRPO steps between two scorings of the pool; default 20
    int rollouts;         // sampled completions per case when scoring; default 4
    size_t subset;        // cases scored at each refresh (0: the whole pool); default 64
    double threshold;     // hard: mean accuracy reward below this; default 0.5
    double hard_weight;   // sampling weight of a hard case (others weigh 1); default 4
    double solved_weight; // weight of a case solved by every rollout (reward 1: no GRPO signal); default 0.5
    double failed_weight; // weight of a case failed by every rollout (reward 0: no GRPO signal either); default 1
} HcmOptions;

void hcm_options_default(HcmOptions *options);
int hcm_options_validate(const HcmOptions *options, Error *err);

typedef struct HcmPool {
    size_t count;
    float *mean_reward; // last measured mean reward per case; NaN: never scored
    long *scored_step;  // step of that measurement (-1: never)
    double *weights;    // sampling weights, from hcm_pool_reweight
} HcmPool;

int hcm_pool_create(HcmPool *pool, size_t count, Error *err); // all unscored, weight 1
void hcm_pool_free(HcmPool *pool);

// The cases to score at the refresh of `step`: `options->subset` distinct cases (all when 0 or
// larger than the pool), least recently scored first, ties broken by a hash of (seed, step).
// Writes the indices into out (capacity pool->count); returns how many.
size_t hcm_pool_select_subset(const HcmPool *pool, const HcmOptions *options, uint64_t seed, long step,
                              size_t *out);
void hcm_pool_record(HcmPool *pool, size_t index, double mean_reward, long step);
// Recomputes every weight from the recorded mean rewards.
void hcm_pool_reweight(HcmPool *pool, const HcmOptions *options);
// Draws `count` distinct cases (count <= pool->count) with probability proportional to weight,
// without replacement (Efraimidis-Spirakis keys from rng_hash(seed, step, RNG_PURPOSE_HARD_CASES, i)).
void hcm_pool_sample(const HcmPool *pool, uint64_t seed, long step, size_t count, size_t *out);

typedef struct HcmPoolStats {
    size_t scored;          // cases measured at least once
    size_t hard;            // scored cases below the threshold, not failed
    size_t solved;          // scored cases with mean reward 1
    size_t failed;          // scored cases with mean reward 0
    double mean_reward;     // over scored cases
    double hard_mean_reward;
    double hard_share;      // probability mass of hard cases under the current weights
} HcmPoolStats;

void hcm_pool_stats(const HcmPool *pool, const HcmOptions *options, HcmPoolStats *out);

#endif

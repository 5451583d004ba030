// hcm.c — the hard-case pool: per-case mean rewards, sampling weights, weighted draws.
#include "train/hcm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

void hcm_options_default(HcmOptions *options) {
    options->period = 20;
    options->rollouts = 4;
    options->subset = 64;
    options->threshold = 0.5;
    options->hard_weight = 4.0;
    options->solved_weight = 0.5;
    options->failed_weight = 1.0;
}

int hcm_options_validate(const HcmOptions *options, Error *err) {
    if (options->period < 1) return error_set(err, "hard-case mining: period %d must be >= 1", options->period);
    if (options->rollouts < 1 || options->rollouts > 64)
        return error_set(err, "hard-case mining: rollouts %d must be within 1..64", options->rollouts);
    if (!(options->hard_weight > 0) || !(options->solved_weight > 0) || !(options->failed_weight > 0))
        return error_set(err, "hard-case mining: weights must be positive (hard %g, solved %g, failed %g)",
                         options->hard_weight, options->solved_weight, options->failed_weight);
    if (!(options->threshold >= 0 && options->threshold <= 1))
        return error_set(err, "hard-case mining: threshold %g must be within 0..1", options->threshold);
    return 0;
}

int hcm_pool_create(HcmPool *pool, size_t count, Error *err) {
    memset(pool, 0, sizeof *pool);
    if (count == 0) return error_set(err, "hard-case mining: the training pool is empty");
    pool->count = count;
    pool->mean_reward = malloc(count * sizeof *pool->mean_reward);
    pool->scored_step = malloc(count * sizeof *pool->scored_step);
    pool->weights = malloc(count * sizeof *pool->weights);
    if (!pool->mean_reward || !pool->scored_step || !pool->weights) {
        hcm_pool_free(pool);
        return error_set(err, "hard-case mining: out of memory for a pool of %zu cases", count);
    }
    for (size_t i = 0; i < count; i++) {
        pool->mean_reward[i] = NAN;
        pool->scored_step[i] = -1;
        pool->weights[i] = 1.0;
    }
    return 0;
}

void hcm_pool_free(HcmPool *pool) {
    free(pool->mean_reward);
    free(pool->scored_step);
    free(pool->weights);
    memset(pool, 0, sizeof *pool);
}

typedef struct KeyedIndex {
    double key; // larger first
    long tie;
    size_t index;
} KeyedIndex;

static int keyed_index_compare(const void *a, const void *b) {
    const KeyedIndex *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    if (x->tie != y->tie) return x->tie < y->tie ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

// Uniform in (0, 1], never 0 (log of it is finite).
static double hash_unit(uint64_t seed, uint64_t sample, uint64_t index) {
    return ((double)(rng_hash(seed, sample, RNG_PURPOSE_HARD_CASES, index) >> 11) + 1.0) / 9007199254740992.0;
}

// Sorts keys and writes the first `count` indices; `keys` has pool->count entries.
static size_t keyed_take(KeyedIndex *keys, size_t n, size_t count, size_t *out) {
    qsort(keys, n, sizeof *keys, keyed_index_compare);
    if (count > n) count = n;
    for (size_t i = 0; i < count; i++) out[i] = keys[i].index;
    return count;
}

size_t hcm_pool_select_subset(const HcmPool *pool, const HcmOptions *options, uint64_t seed, long step,
                              size_t *out) {
    size_t n = pool->count, want = options->subset && options->subset < n ? options->subset : n;
    KeyedIndex *keys = malloc(n * sizeof *keys);
    if (!keys) { // without scratch memory, fall back to a deterministic stride
        for (size_t i = 0; i < want; i++) out[i] = (i * (n / want)) % n;
        return want;
    }
    // Sample indices 2·step and 2·step+1 keep the subset draw and the prompt draw apart.
    for (size_t i = 0; i < n; i++) {
        keys[i].key = -(double)pool->scored_step[i]; // least recently scored first
        keys[i].tie = (long)(rng_hash(seed, 2 * (uint64_t)step, RNG_PURPOSE_HARD_CASES, i) >> 2);
        keys[i].index = i;
    }
    size_t got = keyed_take(keys, n, want, out);
    free(keys);
    return got;
}

void hcm_pool_record(HcmPool *pool, size_t index, double mean_reward, long step) {
    if (index >= pool->count) return;
    pool->mean_reward[index] = (float)mean_reward;
    pool->scored_step[index] = step;
}

static int case_is_failed(const HcmPool *pool, size_t i) {
    return !isnan(pool->mean_reward[i]) && pool->mean_reward[i] <= 1e-6f;
}

// Hard: scored, below the threshold, but not failed by every rollout.
static int case_is_hard(const HcmPool *pool, const HcmOptions *options, size_t i) {
    return !isnan(pool->mean_reward[i]) && pool->mean_reward[i] < options->threshold && !case_is_failed(pool, i);
}

static int case_is_solved(const HcmPool *pool, size_t i) {
    return !isnan(pool->mean_reward[i]) && pool->mean_reward[i] >= 1.0f - 1e-6f;
}

void hcm_pool_reweight(HcmPool *pool, const HcmOptions *options) {
    for (size_t i = 0; i < pool->count; i++) {
        double w = 1.0;
        if (case_is_hard(pool, options, i)) w = options->hard_weight;
        else if (case_is_solved(pool, i)) w = options->solved_weight;
        else if (case_is_failed(pool, i)) w = options->failed_weight;
        pool->weights[i] = w;
    }
}

void hcm_pool_sample(const HcmPool *pool, uint64_t seed, long step, size_t count, size_t *out) {
    size_t n = pool->count;
    KeyedIndex *keys = malloc(n * sizeof *keys);
    if (!keys) {
        for (size_t i = 0; i < count && i < n; i++) out[i] = ((size_t)step * count + i) % n;
        return;
    }
    // Efraimidis-Spirakis: the `count` largest u^(1/w) are a weighted draw without replacement;
    // log(u)/w orders the same way and stays finite.
    for (size_t i = 0; i < n; i++) {
        double w = pool->weights[i] > 0 ? pool->weights[i] : 1e-12;
        keys[i].key = log(hash_unit(seed, 2 * (uint64_t)step + 1, i)) / w;
        keys[i].tie = 0;
        keys[i].index = i;
    }
    keyed_take(keys, n, count, out);
    free(keys);
}

void hcm_pool_stats(const HcmPool *pool, const HcmOptions *options, HcmPoolStats *out) {
    memset(out, 0, sizeof *out);
    double sum = 0, hard_sum = 0, weight_sum = 0, hard_weight = 0;
    for (size_t i = 0; i < pool->count; i++) {
        weight_sum += pool->weights[i];
        if (isnan(pool->mean_reward[i])) continue;
        out->scored++;
        sum += pool->mean_reward[i];
        if (case_is_hard(pool, options, i)) {
            out->hard++;
            hard_sum += pool->mean_reward[i];
            hard_weight += pool->weights[i];
        }
        if (case_is_solved(pool, i)) out->solved++;
        if (case_is_failed(pool, i)) out->failed++;
    }
    out->mean_reward = out->scored ? sum / (double)out->scored : 0.0;
    out->hard_mean_reward = out->hard ? hard_sum / (double)out->hard : 0.0;
    out->hard_share = weight_sum > 0 ? hard_weight / weight_sum : 0.0;
}

// summary.h — the numbers of a run (per dimension and overall, every score, the random-guess
// baseline computed exactly), summary.json, and paired bootstrap comparisons between runs.
// Schema of summary.json: docs/EVAL.md.
#ifndef IAR_EVAL_SUMMARY_H
#define IAR_EVAL_SUMMARY_H

#include <stdint.h>

#include "eval/eval.h"

#define SUMMARY_OVERALL DIMENSION_COUNT // index of the "overall" row in the per-dimension arrays
#define SUMMARY_GROUPS (DIMENSION_COUNT + 1)

typedef struct EvalSummary {
    size_t samples;
    size_t count[SUMMARY_GROUPS];                          // labelled samples per dimension; [4] overall
    size_t unlabelled;         // inference-only samples: predicted, never scored
    double mean[SUMMARY_GROUPS][SCORE_KIND_COUNT];         // 0..1
    double random_mean[SUMMARY_GROUPS][SCORE_KIND_COUNT];  // expected score of a uniform non-empty guess
    double prior_exact;        // exact of guessing from the dataset's own answer-set distribution: Σ p(s)²
    size_t parse_failures;     // outputs that could not be parsed (requests that failed included)
    size_t fallback_parses;    // parsed without tags
    size_t request_errors;     // requests that failed
    size_t transient_errors;   // of those, the ones the next run asks again (transport, auth, server)
    size_t format_ok;          // outputs passing the strict format check
    size_t cached;
    size_t answer_size_histogram[CANDIDATE_COUNT + 1]; // gold sets of size 0..4
    double latency_mean_seconds;
    double latency_p50_seconds, latency_p95_seconds;
    long long prompt_tokens, completion_tokens; // totals over known counts
    double cost_usd;           // estimated; < 0 when the price is unknown
} EvalSummary;

void eval_summary_compute(EvalSummary *out, const EvalRecords *records, const EvalRunInfo *info);
char *eval_summary_to_json(const EvalSummary *summary, const EvalRunInfo *info); // malloc'd, pretty
int eval_summary_write(const EvalSummary *summary, const EvalRunInfo *info, const char *path, Error *err);

// A run folder read back: run.json, predictions.jsonl, and the summary computed from them.
typedef struct EvalRunData {
    char *dir;
    EvalRunInfo info;
    EvalRecords records;
    EvalSummary summary;
} EvalRunData;

int eval_run_data_load(EvalRunData *out, const char *run_dir, Error *err);
void eval_run_data_free(EvalRunData *run);

typedef struct BootstrapInterval {
    double difference;  // mean(other) - mean(base) over the paired samples, 0..1 units
    double low, high;   // 95% percentile interval
    size_t paired;      // samples present in both runs (and in the dimension)
} BootstrapInterval;

// Paired bootstrap over the ids both runs share: resamples ids with replacement (counter-based RNG,
// so the interval is a pure function of the inputs and seed). dimension -1: overall.
int eval_bootstrap_difference(const EvalRunData *base, const EvalRunData *other, ScoreKind kind, int dimension,
                              int resamples, uint64_t seed, BootstrapInterval *out, Error *err);

#endif

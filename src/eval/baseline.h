// baseline.h — helpers of the baseline backends (the backends themselves open through backend.h),
// and the exact expected scores of random guessing.
#ifndef IAR_EVAL_BASELINE_H
#define IAR_EVAL_BASELINE_H

#include <stdint.h>

#include "data/dataset.h"
#include "eval/score.h"

// The `random` baseline's guess for a sample: non-empty, uniform over the 15 subsets, a pure
// function of (seed, id).
AnswerSet baseline_random_guess(uint64_t seed, const char *sample_id);
// Expected score of a uniform guess over the 15 non-empty subsets against `gold`, exactly.
double baseline_random_expected(ScoreKind kind, AnswerSet gold);

#endif

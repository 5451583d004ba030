// grpo_loss.h — the arithmetic of GRPO, independent of any model: group-normalised advantages and
// the PPO-style clipped-ratio loss with a k3 KL penalty to a frozen reference policy, returning
// d(loss)/d(logprob) per token for model_backward.
//
// Per completion token t of sequence i, with π = log π_θ(token), π_old the log-prob when the
// rollouts were scored, π_ref the reference (SFT) policy and A_i the sequence's advantage:
//   ρ = exp(π − π_old)
//   ℓ = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·(exp(π_ref − π) − (π_ref − π) − 1)
// aggregated as the mean over tokens of each sequence then over sequences (`sequence`, GRPO) or
// as one mean over all tokens of the batch (`token`, DAPO/Dr.GRPO style).
#ifndef IAR_TRAIN_GRPO_LOSS_H
#define IAR_TRAIN_GRPO_LOSS_H

#include <stddef.h>

typedef enum GrpoScaleRewards {
    GRPO_SCALE_GROUP = 0, // (r − group mean) / (group std + ε)
    GRPO_SCALE_BATCH = 1, // (r − group mean) / (batch std + ε)
    GRPO_SCALE_NONE = 2,  // r − group mean (Dr. GRPO)
    GRPO_SCALE_KIND_COUNT
} GrpoScaleRewards;

typedef enum GrpoLossAgg {
    GRPO_LOSS_AGG_SEQUENCE = 0, // mean over each sequence's tokens, then over sequences
    GRPO_LOSS_AGG_TOKEN = 1,    // mean over all completion tokens of the batch
    GRPO_LOSS_AGG_KIND_COUNT
} GrpoLossAgg;

const char *grpo_scale_rewards_name(GrpoScaleRewards kind);
int grpo_scale_rewards_parse(const char *name, GrpoScaleRewards *out);
const char *grpo_loss_agg_name(GrpoLossAgg kind);
int grpo_loss_agg_parse(const char *name, GrpoLossAgg *out);

// rewards, advantages: (group_count, group_size), group-major. Standard deviations are unbiased
// (n − 1), as in TRL. A group whose rewards are all equal gets advantage 0 everywhere and is counted
// as zero-signal; returns the number of such groups.
int grpo_advantages_compute(const float *rewards, int group_count, int group_size, GrpoScaleRewards scale,
                            float epsilon, float *advantages);

typedef struct GrpoLossOptions {
    float epsilon_low;  // default 0.2
    float epsilon_high; // default 0.28 (DAPO's clip-higher)
    float beta;         // KL weight; 0 disables the reference entirely
    GrpoLossAgg agg;
} GrpoLossOptions;

void grpo_loss_options_default(GrpoLossOptions *options);

// Sums over the tokens seen so far; grpo_loss_stats_finish turns them into means.
typedef struct GrpoLossStats {
    double loss;          // the aggregated loss (sum of contributions of the rows seen)
    double kl_sum;        // Σ k3 over tokens
    double ratio_sum;     // Σ ρ
    size_t clipped_low;   // tokens with ρ < 1 − ε_low and A < 0 (the gradient is cut)
    size_t clipped_high;  // tokens with ρ > 1 + ε_high and A > 0
    size_t tokens;
} GrpoLossStats;

// The normaliser of the whole optimisation batch, which may be processed in several chunks: the
// number of sequences (`sequence`) or of completion tokens (`token`) in it.
typedef struct GrpoLossScale {
    size_t sequences;
    size_t tokens;
} GrpoLossScale;

// Rows in the model's (B, T) layout: a position counts when targets[b*T+t] >= 0.
// logprobs, old_logprobs, ref_logprobs: (B, T); ref_logprobs may be NULL when beta is 0.
// advantages: (B). Writes dlogprobs (B, T) (0 where there is no target) and adds this chunk's
// contribution to the loss and the token counts in *stats. Returns 0, or -1 when a log-prob is not
// finite (dlogprobs is then all zero: the caller skips the update).
int grpo_loss_backward(const GrpoLossOptions *options, const GrpoLossScale *scale, int B, int T,
                       const int *targets, const float *logprobs, const float *old_logprobs,
                       const float *ref_logprobs, const float *advantages, float *dlogprobs,
                       GrpoLossStats *stats);

// Means for logging: KL per token, clip fraction, mean ratio.
typedef struct GrpoLossSummary {
    double loss, kl, clip_fraction, clip_low_fraction, clip_high_fraction, ratio_mean;
} GrpoLossSummary;
void grpo_loss_stats_summary(const GrpoLossStats *stats, GrpoLossSummary *out);

#endif

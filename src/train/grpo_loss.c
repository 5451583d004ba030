// grpo_loss.c — group-normalised advantages and the clipped-ratio + k3-KL loss with its analytic
// gradient with respect to each token's log-prob.
#include "train/grpo_loss.h"

#include <math.h>
#include <string.h>

static const char *const SCALE_NAMES[GRPO_SCALE_KIND_COUNT] = {"group", "batch", "none"};
static const char *const AGG_NAMES[GRPO_LOSS_AGG_KIND_COUNT] = {"sequence", "token"};

static int name_lookup(const char *const *names, int count, const char *name) {
    for (int i = 0; i < count; i++)
        if (name && strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *grpo_scale_rewards_name(GrpoScaleRewards kind) {
    return (unsigned)kind < GRPO_SCALE_KIND_COUNT ? SCALE_NAMES[kind] : "?";
}

int grpo_scale_rewards_parse(const char *name, GrpoScaleRewards *out) {
    int i = name_lookup(SCALE_NAMES, GRPO_SCALE_KIND_COUNT, name);
    if (i < 0) return -1;
    *out = (GrpoScaleRewards)i;
    return 0;
}

const char *grpo_loss_agg_name(GrpoLossAgg kind) {
    return (unsigned)kind < GRPO_LOSS_AGG_KIND_COUNT ? AGG_NAMES[kind] : "?";
}

int grpo_loss_agg_parse(const char *name, GrpoLossAgg *out) {
    int i = name_lookup(AGG_NAMES, GRPO_LOSS_AGG_KIND_COUNT, name);
    if (i < 0) return -1;
    *out = (GrpoLossAgg)i;
    return 0;
}

// Unbiased standard deviation of n values around `mean` (0 for n < 2).
static double values_std(const float *values, size_t n, double mean) {
    if (n < 2) return 0.0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += ((double)values[i] - mean) * ((double)values[i] - mean);
    return sqrt(sum / (double)(n - 1));
}

int grpo_advantages_compute(const float *rewards, int group_count, int group_size, GrpoScaleRewards scale,
                            float epsilon, float *advantages) {
    size_t total = (size_t)group_count * (size_t)group_size;
    double batch_mean = 0;
    for (size_t i = 0; i < total; i++) batch_mean += rewards[i];
    batch_mean = total ? batch_mean / (double)total : 0.0;
    double batch_std = values_std(rewards, total, batch_mean);
    int zero_signal = 0;
    // (group_count, group_size)
    for (int g = 0; g < group_count; g++) {
        const float *r = rewards + (size_t)g * group_size;
        float *a = advantages + (size_t)g * group_size;
        double mean = 0;
        int all_equal = 1;
        for (int i = 0; i < group_size; i++) {
            mean += r[i];
            if (r[i] != r[0]) all_equal = 0;
        }
        mean /= group_size;
        if (all_equal) {
            zero_signal++;
            for (int i = 0; i < group_size; i++) a[i] = 0.0f;
            continue;
        }
        double denominator = 1.0;
        if (scale == GRPO_SCALE_GROUP) denominator = values_std(r, (size_t)group_size, mean) + epsilon;
        else if (scale == GRPO_SCALE_BATCH) denominator = batch_std + epsilon;
        for (int i = 0; i < group_size; i++) a[i] = (float)(((double)r[i] - mean) / denominator);
    }
    return zero_signal;
}

void grpo_loss_options_default(GrpoLossOptions *options) {
    options->epsilon_low = 0.2f;
    options->epsilon_high = 0.28f;
    options->beta = 0.0f;
    options->agg = GRPO_LOSS_AGG_SEQUENCE;
}

int grpo_loss_backward(const GrpoLossOptions *options, const GrpoLossScale *scale, int B, int T,
                       const int *targets, const float *logprobs, const float *old_logprobs,
                       const float *ref_logprobs, const float *advantages, float *dlogprobs,
                       GrpoLossStats *stats) {
    size_t n = (size_t)B * (size_t)T;
    memset(dlogprobs, 0, n * sizeof *dlogprobs);
    for (size_t i = 0; i < n; i++)
        if (targets[i] >= 0 && (!isfinite(logprobs[i]) || !isfinite(old_logprobs[i]) ||
                                (options->beta != 0 && ref_logprobs && !isfinite(ref_logprobs[i]))))
            return -1;
    double low = 1.0 - options->epsilon_low, high = 1.0 + options->epsilon_high;
    // (B, T): each row's tokens weigh 1/(sequences · row tokens) or 1/(batch tokens)
    for (int b = 0; b < B; b++) {
        const int *row_targets = targets + (size_t)b * T;
        size_t row_tokens = 0;
        for (int t = 0; t < T; t++) row_tokens += row_targets[t] >= 0;
        if (row_tokens == 0) continue;
        double weight = options->agg == GRPO_LOSS_AGG_TOKEN
                            ? 1.0 / (double)(scale->tokens ? scale->tokens : 1)
                            : 1.0 / ((double)(scale->sequences ? scale->sequences : 1) * (double)row_tokens);
        double advantage = advantages[b];
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            if (row_targets[t] < 0) continue;
            double ratio = exp((double)logprobs[i] - (double)old_logprobs[i]);
            double clipped = ratio < low ? low : (ratio > high ? high : ratio);
            double unclipped_term = ratio * advantage, clipped_term = clipped * advantage;
            // The min picks the clipped branch only when the ratio left the trust region in the
            // direction the advantage pushes: there the gradient is cut.
            int cut = clipped_term < unclipped_term;
            double surrogate = cut ? clipped_term : unclipped_term;
            double token_loss = -surrogate;
            double gradient = cut ? 0.0 : -unclipped_term; // d(−ρA)/dπ = −ρA
            if (options->beta != 0 && ref_logprobs) {
                double delta = (double)ref_logprobs[i] - (double)logprobs[i];
                double k3 = exp(delta) - delta - 1.0;
                token_loss += options->beta * k3;
                gradient += options->beta * (1.0 - exp(delta)); // d k3/dπ
                stats->kl_sum += k3;
            }
            stats->loss += weight * token_loss;
            stats->ratio_sum += ratio;
            stats->tokens++;
            if (ratio < low && advantage < 0) stats->clipped_low++;
            if (ratio > high && advantage > 0) stats->clipped_high++;
            dlogprobs[i] = (float)(weight * gradient);
        }
    }
    return 0;
}

void grpo_loss_stats_summary(const GrpoLossStats *stats, GrpoLossSummary *out) {
    double tokens = stats->tokens ? (double)stats->tokens : 1.0;
    out->loss = stats->loss;
    out->kl = stats->kl_sum / tokens;
    out->clip_low_fraction = (double)stats->clipped_low / tokens;
    out->clip_high_fraction = (double)stats->clipped_high / tokens;
    out->clip_fraction = out->clip_low_fraction + out->clip_high_fraction;
    out->ratio_mean = stats->ratio_sum / tokens;
}

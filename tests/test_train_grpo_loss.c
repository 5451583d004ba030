// test_train_grpo_loss.c — GRPO arithmetic without a model: advantages on hand-made groups, the
// clipped-ratio + k3 loss gradient against finite differences, chunking, and a bandit policy that
// GRPO must teach to pick the exact answer set.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "train/grpo_loss.h"
#include "train/lambda_schedule.h"
#include "train/reward.h"

static void test_advantages_on_hand_made_groups(void **state) {
    (void)state;
    // group 0: one success among four; group 1: all equal (no signal); group 2: two levels
    const float rewards[12] = {1, 0, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 1, 1, 0, 0};
    float a[12];
    int zero = grpo_advantages_compute(rewards, 3, 4, GRPO_SCALE_GROUP, 0.0f, a);
    assert_int_equal(zero, 1);
    // mean 0.25, unbiased std 0.5
    assert_true(fabsf(a[0] - 1.5f) < 1e-6f && fabsf(a[1] + 0.5f) < 1e-6f && fabsf(a[3] + 0.5f) < 1e-6f);
    for (int i = 4; i < 8; i++) assert_true(a[i] == 0.0f);
    // mean 0.5, unbiased std sqrt(1/3)
    float expected = (float)(0.5 / sqrt(1.0 / 3.0));
    assert_true(fabsf(a[8] - expected) < 1e-5f && fabsf(a[11] + expected) < 1e-5f);
    // advantages of a signal group sum to zero
    assert_true(fabsf(a[0] + a[1] + a[2] + a[3]) < 1e-6f);

    zero = grpo_advantages_compute(rewards, 3, 4, GRPO_SCALE_NONE, 1e-4f, a);
    assert_int_equal(zero, 1);
    assert_true(fabsf(a[0] - 0.75f) < 1e-6f && fabsf(a[9] - 0.5f) < 1e-6f && a[5] == 0.0f);

    // batch: one standard deviation for the whole batch (mean 0.5 over 12 values)
    double batch_mean = 0, sq = 0;
    for (int i = 0; i < 12; i++) batch_mean += rewards[i] / 12.0;
    for (int i = 0; i < 12; i++) sq += (rewards[i] - batch_mean) * (rewards[i] - batch_mean);
    double batch_std = sqrt(sq / 11.0);
    grpo_advantages_compute(rewards, 3, 4, GRPO_SCALE_BATCH, 0.0f, a);
    assert_true(fabs(a[0] - 0.75 / batch_std) < 1e-5 && fabs(a[8] - 0.5 / batch_std) < 1e-5);

    // ε keeps a tiny spread finite
    const float close[2] = {1.0f, 1.0f + 1e-7f};
    grpo_advantages_compute(close, 1, 2, GRPO_SCALE_GROUP, 1e-4f, a);
    assert_true(isfinite(a[0]) && fabsf(a[0]) < 1e-2f);

    GrpoScaleRewards s;
    assert_int_equal(grpo_scale_rewards_parse("batch", &s), 0);
    assert_int_equal(s, GRPO_SCALE_BATCH);
    assert_int_equal(grpo_scale_rewards_parse("sequence", &s), -1);
    GrpoLossAgg g;
    assert_int_equal(grpo_loss_agg_parse("token", &g), 0);
    assert_int_equal(g, GRPO_LOSS_AGG_TOKEN);
}

enum { B = 3, T = 7 };

typedef struct LossCase {
    int targets[B * T];
    float logprobs[B * T], old_logprobs[B * T], ref_logprobs[B * T];
    float advantages[B];
} LossCase;

// Rows of different lengths; ratios spread over [0.5, 1.6] so some tokens sit outside the clip range.
static void loss_case_fill(LossCase *c) {
    const int first[B] = {1, 3, 0}, last[B] = {6, 5, 6};
    Rng rng = rng_stream(11, 0, RNG_PURPOSE_SAMPLING);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int i = b * T + t;
            c->targets[i] = (t >= first[b] && t < last[b]) ? 5 + t : -1;
            c->old_logprobs[i] = (float)rng_next_range(&rng, -3.0, -0.1);
            double log_ratio = rng_next_range(&rng, -0.7, 0.47);
            // keep away from the kinks at 1 − ε_low and 1 + ε_high (finite differences need smoothness)
            if (fabs(exp(log_ratio) - 0.8) < 0.02 || fabs(exp(log_ratio) - 1.28) < 0.02) log_ratio += 0.05;
            c->logprobs[i] = c->old_logprobs[i] + (float)log_ratio;
            c->ref_logprobs[i] = c->logprobs[i] + (float)rng_next_range(&rng, -0.5, 0.5);
        }
    c->advantages[0] = 1.3f;
    c->advantages[1] = -0.8f;
    c->advantages[2] = 0.4f;
}

static GrpoLossScale loss_case_scale(const LossCase *c) {
    GrpoLossScale scale = {B, 0};
    for (int i = 0; i < B * T; i++) scale.tokens += c->targets[i] >= 0;
    return scale;
}

static double loss_value(const GrpoLossOptions *o, const LossCase *c, const GrpoLossScale *scale) {
    float d[B * T];
    GrpoLossStats stats = {0};
    assert_int_equal(grpo_loss_backward(o, scale, B, T, c->targets, c->logprobs, c->old_logprobs,
                                        c->ref_logprobs, c->advantages, d, &stats),
                     0);
    return stats.loss;
}

static void check_gradient_against_finite_differences(GrpoLossAgg agg, float beta) {
    GrpoLossOptions o;
    grpo_loss_options_default(&o);
    o.agg = agg;
    o.beta = beta;
    LossCase c;
    loss_case_fill(&c);
    GrpoLossScale scale = loss_case_scale(&c);
    float d[B * T];
    GrpoLossStats stats = {0};
    assert_int_equal(grpo_loss_backward(&o, &scale, B, T, c.targets, c.logprobs, c.old_logprobs, c.ref_logprobs,
                                        c.advantages, d, &stats),
                     0);
    assert_true(stats.clipped_low + stats.clipped_high > 0); // the case exercises clipping
    int nonzero = 0;
    for (int i = 0; i < B * T; i++) {
        if (c.targets[i] < 0) {
            assert_true(d[i] == 0.0f);
            continue;
        }
        const float h = 1e-3f;
        float saved = c.logprobs[i];
        c.logprobs[i] = saved + h;
        double plus = loss_value(&o, &c, &scale);
        c.logprobs[i] = saved - h;
        double minus = loss_value(&o, &c, &scale);
        c.logprobs[i] = saved;
        double numeric = (plus - minus) / (2.0 * ((double)(saved + h) - (double)saved));
        if (fabs(numeric - d[i]) > 2e-4 + 1e-2 * fabs(numeric))
            fail_msg("agg %s beta %g token %d: analytic %.6g numeric %.6g", grpo_loss_agg_name(agg), beta, i, d[i],
                     numeric);
        nonzero += d[i] != 0.0f;
    }
    assert_true(nonzero > 5);
}

static void test_gradient_sequence_with_kl(void **state) {
    (void)state;
    check_gradient_against_finite_differences(GRPO_LOSS_AGG_SEQUENCE, 0.04f);
}
static void test_gradient_token_with_kl(void **state) {
    (void)state;
    check_gradient_against_finite_differences(GRPO_LOSS_AGG_TOKEN, 0.1f);
}
static void test_gradient_without_kl(void **state) {
    (void)state;
    check_gradient_against_finite_differences(GRPO_LOSS_AGG_SEQUENCE, 0.0f);
}

static void test_clipping_cuts_the_gradient_and_is_counted(void **state) {
    (void)state;
    GrpoLossOptions o;
    grpo_loss_options_default(&o);
    const int targets[4] = {1, 1, 1, 1};
    const float old_lp[4] = {-1, -1, -1, -1};
    // ratios 1.5 (A>0: cut), 1.5 (A<0: kept), 0.5 (A<0: cut), 0.5 (A>0: kept)
    const float lp[4] = {-1 + logf(1.5f), -1 + logf(1.5f), -1 + logf(0.5f), -1 + logf(0.5f)};
    const float adv[4] = {1, -1, -1, 1};
    float d[4];
    GrpoLossScale scale = {4, 4};
    GrpoLossStats stats = {0};
    assert_int_equal(grpo_loss_backward(&o, &scale, 4, 1, targets, lp, old_lp, NULL, adv, d, &stats), 0);
    assert_true(d[0] == 0.0f && d[2] == 0.0f);
    assert_true(fabsf(d[1] - 1.5f / 4) < 1e-6f && fabsf(d[3] + 0.5f / 4) < 1e-6f);
    GrpoLossSummary s;
    grpo_loss_stats_summary(&stats, &s);
    assert_true(stats.clipped_high == 1 && stats.clipped_low == 1);
    assert_true(fabs(s.clip_fraction - 0.5) < 1e-12 && s.kl == 0.0);
    // on-policy (ratio 1) the gradient is −A / (sequences · length)
    const float same[4] = {-1, -1, -1, -1};
    memset(&stats, 0, sizeof stats);
    grpo_loss_backward(&o, &scale, 4, 1, targets, same, old_lp, same, adv, d, &stats);
    assert_true(d[0] == -0.25f && d[1] == 0.25f);
    // a non-finite log-prob refuses the update
    const float bad[4] = {-1, NAN, -1, -1};
    assert_int_equal(grpo_loss_backward(&o, &scale, 4, 1, targets, bad, old_lp, NULL, adv, d, &stats), -1);
    for (int i = 0; i < 4; i++) assert_true(d[i] == 0.0f);
}

// The trainer processes a rollout batch in chunks of rows; with the whole batch's scale the
// chunks' gradients and losses add up to the single call's.
static void test_chunks_add_up(void **state) {
    (void)state;
    for (int agg = 0; agg < GRPO_LOSS_AGG_KIND_COUNT; agg++) {
        GrpoLossOptions o;
        grpo_loss_options_default(&o);
        o.agg = (GrpoLossAgg)agg;
        o.beta = 0.05f;
        LossCase c;
        loss_case_fill(&c);
        GrpoLossScale scale = loss_case_scale(&c);
        float whole[B * T], part[B * T];
        GrpoLossStats s1 = {0}, s2 = {0};
        grpo_loss_backward(&o, &scale, B, T, c.targets, c.logprobs, c.old_logprobs, c.ref_logprobs, c.advantages,
                           whole, &s1);
        grpo_loss_backward(&o, &scale, 1, T, c.targets, c.logprobs, c.old_logprobs, c.ref_logprobs, c.advantages,
                           part, &s2);
        grpo_loss_backward(&o, &scale, B - 1, T, c.targets + T, c.logprobs + T, c.old_logprobs + T,
                           c.ref_logprobs + T, c.advantages + 1, part + T, &s2);
        for (int i = 0; i < B * T; i++) assert_true(fabsf(whole[i] - part[i]) < 1e-7f);
        assert_true(fabs(s1.loss - s2.loss) < 1e-9 && s1.tokens == s2.tokens && fabs(s1.kl_sum - s2.kl_sum) < 1e-9);
    }
}

// A bandit: per prompt a softmax over the 16 answer sets (one "token"). GRPO with the DPA reward,
// two iterations per rollout batch and clipping must move the policy to the gold sets.
enum { PROMPTS = 4, ACTIONS = 16, GROUP = 8, STEPS = 60 };

static void softmax_logprobs(const float *logits, float *out) {
    float max = logits[0];
    for (int a = 1; a < ACTIONS; a++) max = logits[a] > max ? logits[a] : max;
    double sum = 0;
    for (int a = 0; a < ACTIONS; a++) sum += exp(logits[a] - max);
    for (int a = 0; a < ACTIONS; a++) out[a] = (float)(logits[a] - max - log(sum));
}

static double bandit_mean_exact(float logits[PROMPTS][ACTIONS], const AnswerSet *gold) {
    double total = 0;
    for (int p = 0; p < PROMPTS; p++) {
        float lp[ACTIONS];
        softmax_logprobs(logits[p], lp);
        total += exp(lp[gold[p]]);
    }
    return total / PROMPTS;
}

static void test_bandit_learns_the_gold_sets(void **state) {
    (void)state;
    const AnswerSet gold[PROMPTS] = {0x2, 0x5, 0xb, 0x6}; // B; A,C; A,B,D; B,C
    float logits[PROMPTS][ACTIONS] = {{0}};
    GrpoLossOptions o;
    grpo_loss_options_default(&o);
    o.beta = 0.0f;
    LambdaSchedule schedule;
    lambda_schedule_default(&schedule);
    const RewardEntry *dpa = reward_find("dpa");
    double before = bandit_mean_exact(logits, gold);
    for (int step = 0; step < STEPS; step++) {
        int actions[PROMPTS * GROUP];
        float rewards[PROMPTS * GROUP], advantages[PROMPTS * GROUP], old_lp[PROMPTS * GROUP];
        double lambda = lambda_schedule_value(&schedule, step, STEPS);
        for (int p = 0; p < PROMPTS; p++) {
            float lp[ACTIONS];
            softmax_logprobs(logits[p], lp);
            for (int g = 0; g < GROUP; g++) { // inverse-CDF sample from a counter-based hash
                Rng rng = rng_stream(5, (uint64_t)step * 1000 + p * GROUP + g, RNG_PURPOSE_SAMPLING);
                double u = rng_next_double(&rng), c = 0;
                int a = ACTIONS - 1;
                for (int k = 0; k < ACTIONS; k++)
                    if ((c += exp(lp[k])) > u) {
                        a = k;
                        break;
                    }
                actions[p * GROUP + g] = a;
                old_lp[p * GROUP + g] = lp[a];
                rewards[p * GROUP + g] = (float)dpa->fn((AnswerSet)a, gold[p], lambda);
            }
        }
        grpo_advantages_compute(rewards, PROMPTS, GROUP, GRPO_SCALE_GROUP, 1e-4f, advantages);
        GrpoLossScale scale = {PROMPTS * GROUP, PROMPTS * GROUP};
        for (int iteration = 0; iteration < 2; iteration++) {
            float grad[PROMPTS][ACTIONS] = {{0}};
            float lp_now[PROMPTS * GROUP], dlp[PROMPTS * GROUP];
            for (int i = 0; i < PROMPTS * GROUP; i++) {
                float lp[ACTIONS];
                softmax_logprobs(logits[i / GROUP], lp);
                lp_now[i] = lp[actions[i]];
            }
            GrpoLossStats stats = {0};
            assert_int_equal(grpo_loss_backward(&o, &scale, PROMPTS * GROUP, 1, actions, lp_now, old_lp, NULL,
                                                advantages, dlp, &stats),
                             0);
            // d logprob(a) / d logits = onehot(a) − softmax
            for (int i = 0; i < PROMPTS * GROUP; i++) {
                float lp[ACTIONS];
                softmax_logprobs(logits[i / GROUP], lp);
                for (int k = 0; k < ACTIONS; k++) grad[i / GROUP][k] += dlp[i] * ((k == actions[i]) - expf(lp[k]));
            }
            for (int p = 0; p < PROMPTS; p++)
                for (int k = 0; k < ACTIONS; k++) logits[p][k] -= 2.0f * grad[p][k];
        }
    }
    double after = bandit_mean_exact(logits, gold);
    if (!(after > 0.8 && before < 0.1)) fail_msg("P(exact) %.3f -> %.3f", before, after);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advantages_on_hand_made_groups),
        cmocka_unit_test(test_gradient_sequence_with_kl),
        cmocka_unit_test(test_gradient_token_with_kl),
        cmocka_unit_test(test_gradient_without_kl),
        cmocka_unit_test(test_clipping_cuts_the_gradient_and_is_counted),
        cmocka_unit_test(test_chunks_add_up),
        cmocka_unit_test(test_bandit_learns_the_gold_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// test_train_grpo_model.c — the GRPO loss end to end through the tiny model: the parameter
// gradient that model_backward accumulates from grpo_loss_backward's d(loss)/d(logprob) matches
// finite differences of the loss, for both loss aggregations, with clipping and the KL term active.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "model/model.h"
#include "support/model_support.h"
#include "train/grpo_loss.h"

enum { ROWS = 3 };

typedef struct GradientCase {
    Model model;
    ModelSupportBatch data;
    int T;
    float *logprobs, *old_logprobs, *ref_logprobs, *dlogprobs;
    float advantages[ROWS];
    GrpoLossScale scale;
    GrpoLossOptions options;
} GradientCase;

static double case_loss(GradientCase *c, int backward) {
    Error err;
    size_t cells = (size_t)ROWS * c->T;
    if (model_forward(&c->model, &c->data.batch, c->logprobs, NULL, &err) != 0) fail_msg("forward: %s", err.message);
    GrpoLossStats stats = {0};
    assert_int_equal(grpo_loss_backward(&c->options, &c->scale, ROWS, c->T, c->data.targets, c->logprobs,
                                        c->old_logprobs, c->ref_logprobs, c->advantages, c->dlogprobs, &stats),
                     0);
    if (backward) {
        model_zero_grad(&c->model);
        if (model_backward(&c->model, &c->data.batch, c->dlogprobs, &err) != 0) fail_msg("backward: %s", err.message);
    }
    (void)cells;
    return stats.loss;
}

// Checks one entry of every `stride`-th tensor.
static void check_model_gradient(GrpoLossAgg agg, int stride) {
    GradientCase c;
    memset(&c, 0, sizeof c);
    ModelConfig config = model_support_tiny_config(40);
    Error err;
    if (model_create(&c.model, &config, ROWS, 7, &err) != 0) fail_msg("model_create: %s", err.message);
    c.model.use_reference = 1; // the plain loops: the most precise float path
    const int text_len[ROWS] = {20, 14, 24}, prefix_len[ROWS] = {9, 6, 12};
    model_support_batch(&c.data, &config, ROWS, text_len, prefix_len, 3);
    c.T = c.data.batch.text_len_max;
    size_t cells = (size_t)ROWS * c.T;
    c.logprobs = calloc(cells, sizeof(float));
    c.old_logprobs = calloc(cells, sizeof(float));
    c.ref_logprobs = calloc(cells, sizeof(float));
    c.dlogprobs = calloc(cells, sizeof(float));
    grpo_loss_options_default(&c.options);
    c.options.agg = agg;
    c.options.beta = 0.1f;
    c.advantages[0] = 1.2f;
    c.advantages[1] = -0.9f;
    c.advantages[2] = 0.5f;
    c.scale.sequences = ROWS;
    for (size_t i = 0; i < cells; i++) c.scale.tokens += c.data.targets[i] >= 0;
    // old and reference policies a little away from the current one: ratios spread over ~[0.6, 1.5]
    if (model_forward(&c.model, &c.data.batch, c.logprobs, NULL, &err) != 0) fail_msg("forward: %s", err.message);
    Rng rng = rng_stream(9, 0, RNG_PURPOSE_SAMPLING);
    int clipped = 0;
    for (size_t i = 0; i < cells; i++) {
        double log_ratio = rng_next_range(&rng, -0.5, 0.4);
        double ratio = exp(log_ratio);
        if (fabs(ratio - 0.8) < 0.05 || fabs(ratio - 1.28) < 0.05) log_ratio = 0.0; // away from the kinks
        clipped += c.data.targets[i] >= 0 && (exp(log_ratio) < 0.8 || exp(log_ratio) > 1.28);
        c.old_logprobs[i] = c.logprobs[i] - (float)log_ratio;
        c.ref_logprobs[i] = c.logprobs[i] + (float)rng_next_range(&rng, -0.3, 0.3);
    }
    assert_true(clipped > 3);
    case_loss(&c, 1);
    float *analytic = malloc(c.model.param_count * sizeof(float));
    memcpy(analytic, c.model.grads, c.model.param_count * sizeof(float));
    // a few entries of every tensor, chosen by hash
    int checked = 0, worst_tensor = -1;
    double worst = 0;
    for (int k = 0; k < c.model.tensor_count; k += stride) {
        const ModelTensor *tensor = &c.model.tensors[k];
        for (int j = 0; j < 1; j++) {
            size_t i = tensor->offset + rng_hash(4, (uint64_t)k, RNG_PURPOSE_INIT, (uint64_t)j) % tensor->count;
            float saved = c.model.params[i];
            const float h = 2e-3f;
            c.model.params[i] = saved + h;
            double plus = case_loss(&c, 0);
            c.model.params[i] = saved - h;
            double minus = case_loss(&c, 0);
            c.model.params[i] = saved;
            double numeric = (plus - minus) / (2.0 * h);
            double error = fabs(numeric - analytic[i]) / (1e-3 + fabs(numeric) + fabs(analytic[i]));
            if (error > worst) {
                worst = error;
                worst_tensor = k;
            }
            if (error > 0.05)
                fail_msg("%s[%zu] (%s agg): analytic %.6g numeric %.6g", tensor->name, i - tensor->offset,
                         grpo_loss_agg_name(agg), analytic[i], numeric);
            checked++;
        }
    }
    printf("checked %d parameters (%s agg); worst relative error %.3g in %s\n", checked, grpo_loss_agg_name(agg), worst,
           worst_tensor >= 0 ? c.model.tensors[worst_tensor].name : "-");
    assert_true(checked >= 10 || (stride > 1 && checked >= 5));
    free(analytic);
    free(c.logprobs);
    free(c.old_logprobs);
    free(c.ref_logprobs);
    free(c.dlogprobs);
    model_support_batch_free(&c.data);
    model_free(&c.model);
}

static void test_gradient_through_the_model_sequence(void **state) {
    (void)state;
    check_model_gradient(GRPO_LOSS_AGG_SEQUENCE, 1);
}

static void test_gradient_through_the_model_token(void **state) {
    (void)state;
    check_model_gradient(GRPO_LOSS_AGG_TOKEN, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_through_the_model_sequence),
        cmocka_unit_test(test_gradient_through_the_model_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

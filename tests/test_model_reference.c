// test_model_reference.c — the C model against PyTorch (tools/reference_model.py, `make reference`):
// the same tiny model and weights, one forward + backward on a fixed batch; every log-prob, the
// entropy, the loss and every gradient must match (max abs diff printed per tensor), with both the
// reference and the fast kernels. Also checks the trainer's AdamW step against torch.optim.AdamW.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "support/reference_records.h"
#include "model/model.h"
#include "train/adamw.h"

static RecordFile fixture;

static const Record *record_find(const char *name) {
    const Record *r = record_file_find(&fixture, name);
    if (!r) fail_msg("fixture has no tensor '%s'; regenerate it with `make reference`", name);
    return r;
}

static int fixture_load(void **state) {
    (void)state;
    const char *path = getenv("IAR_MODEL_FIXTURE") ? getenv("IAR_MODEL_FIXTURE") : "tests/fixtures/model_reference.bin";
    return record_file_load(&fixture, path, 16u << 20);
}

static int fixture_free(void **state) {
    (void)state;
    record_file_free(&fixture);
    return 0;
}

// The record `prefix` + name (prefix "" is the plain model, "candidate." the one with the
// candidate head and pointer).
static const Record *record_find_model(const char *prefix, const char *name) {
    char full[128];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    return record_find(full);
}

// The model of the fixture, with the fixture's weights; the batch points into the fixture.
static void fixture_model(Model *model, ModelBatch *batch, const char *prefix) {
    const Record *config = record_find_model(prefix, "config");
    const int32_t *c = config->data;
    assert_int_equal(config->count, 12);
    ModelConfig mc = {.name = "tiny", .image_size = c[0], .stem_layers = c[1], .stem_channels = c[2], .vocab_size = c[3],
                      .max_text_len = c[4], .dim = c[5], .layers = c[6], .heads = c[7], .mlp_hidden = c[8],
                      .candidate_head = c[9], .candidate_pointer = c[10], .stem_norm = c[11]};
    Error err;
    const Record *tokens = record_find("input.tokens");
    if (model_create(model, &mc, tokens->shape[0], 0, &err) != 0) fail_msg("%s", err.message);
    for (int i = 0; i < model->tensor_count; i++) {
        const ModelTensor *t = &model->tensors[i];
        char name[128];
        snprintf(name, sizeof name, "param.%s", t->name);
        const Record *r = record_find_model(prefix, name);
        assert_int_equal(r->rank, t->rank);
        for (int d = 0; d < t->rank; d++) assert_int_equal(r->shape[d], t->shape[d]);
        memcpy(model->params + t->offset, r->data, sizeof(float) * t->count);
    }
    ModelBatch b = {.batch_size = tokens->shape[0], .text_len_max = tokens->shape[1],
                    .images = record_find("input.images")->data, .tokens = tokens->data,
                    .targets = record_find("input.targets")->data, .text_len = record_find("input.text_len")->data,
                    .prefix_len = record_find("input.prefix_len")->data};
    if (mc.candidate_head) {
        b.candidate_flawed = record_find_model(prefix, "input.flawed")->data;
        b.aux_weight = *(const float *)record_find_model(prefix, "input.aux_weight")->data;
    }
    *batch = b;
}

static double compare(const char *what, const float *c_values, const float *torch_values, size_t n, double tolerance) {
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)c_values[i] - torch_values[i]);
        if (!(d <= worst)) worst = d;
        scale = fmax(scale, fabs(torch_values[i]));
    }
    printf("  %-34s max abs diff %.3g (max |value| %.3g)\n", what, worst, scale);
    if (!(worst <= tolerance)) fail_msg("%s differs from PyTorch by %g (tolerance %g)", what, worst, tolerance);
    return worst;
}

static void check_against_pytorch(int use_reference, const char *prefix) {
    Model model;
    ModelBatch batch;
    fixture_model(&model, &batch, prefix);
    model.use_reference = use_reference;
    int n = batch.batch_size * batch.text_len_max, count = 0;
    float *logprobs = calloc((size_t)n, sizeof(float)), *entropy = calloc((size_t)n, sizeof(float));
    float *dlogprobs = calloc((size_t)n, sizeof(float));
    Error err;
    assert_int_equal(model_forward(&model, &batch, logprobs, entropy, &err), 0);
    double loss = 0.0;
    for (int i = 0; i < n; i++)
        if (batch.targets[i] >= 0) loss -= logprobs[i], count++;
    loss /= count;
    for (int i = 0; i < n; i++) dlogprobs[i] = batch.targets[i] >= 0 ? -1.0f / count : 0.0f;
    compare("logprobs", logprobs, record_find_model(prefix, "output.logprobs")->data, (size_t)n, 2e-5);
    compare("entropy", entropy, record_find_model(prefix, "output.entropy")->data, (size_t)n, 2e-5);
    if (model.config.candidate_head) {
        compare("aux loss", &model.last_aux_loss, record_find_model(prefix, "output.aux_loss")->data, 1, 1e-5);
        compare("flaw probabilities", model.candidate_flaw_prob, record_find_model(prefix, "output.flaw_prob")->data,
                (size_t)batch.batch_size * 4, 1e-5);
    } else {
        float loss_f = (float)loss;
        compare("loss", &loss_f, record_find("output.loss")->data, 1, 1e-5);
    }
    model_zero_grad(&model);
    assert_int_equal(model_backward(&model, &batch, dlogprobs, &err), 0);
    for (int i = 0; i < model.tensor_count; i++) {
        const ModelTensor *t = &model.tensors[i];
        char name[128];
        snprintf(name, sizeof name, "grad.%s", t->name);
        const Record *r = record_find_model(prefix, name);
        // relative to the tensor's largest gradient, with a floor for tensors whose gradient is ~0
        double scale = 0.0;
        for (size_t j = 0; j < t->count; j++) scale = fmax(scale, fabs(((const float *)r->data)[j]));
        compare(name, model.grads + t->offset, r->data, t->count, 1e-6 + 2e-4 * scale);
    }
    free(logprobs);
    free(entropy);
    free(dlogprobs);
    model_free(&model);
}

static void test_reference_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(1, "");
}

static void test_fast_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(0, "");
}

// The candidate head + pointer, with the auxiliary loss in the gradient (model_backward adds it).
static void test_candidate_reference_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(1, "candidate.");
}

static void test_candidate_fast_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(0, "candidate.");
}

// PyTorch's gradients through the trainer's AdamW (no clipping) give PyTorch's updated weights.
static void test_adamw_step_matches_pytorch(void **state) {
    (void)state;
    Model model;
    ModelBatch batch;
    fixture_model(&model, &batch, "");
    const float *h = record_find("adamw.hparams")->data;
    AdamWConfig config;
    adamw_config_default(&config);
    config.beta1 = h[1], config.beta2 = h[2], config.epsilon = h[3], config.weight_decay = h[4], config.clip_norm = 0;
    AdamW opt;
    Error err;
    assert_int_equal(adamw_create(&opt, &model, &config, &err), 0);
    char name[128];
    for (int i = 0; i < model.tensor_count; i++) {
        snprintf(name, sizeof name, "grad.%s", model.tensors[i].name);
        memcpy(model.grads + model.tensors[i].offset, record_find(name)->data, sizeof(float) * model.tensors[i].count);
    }
    adamw_update(&opt, &model, h[0]);
    for (int i = 0; i < model.tensor_count; i++) {
        snprintf(name, sizeof name, "adamw.%s", model.tensors[i].name);
        compare(name, model.params + model.tensors[i].offset, record_find(name)->data, model.tensors[i].count, 2e-6);
    }
    adamw_free(&opt);
    model_free(&model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_kernels_match_pytorch),
        cmocka_unit_test(test_fast_kernels_match_pytorch),
        cmocka_unit_test(test_candidate_reference_kernels_match_pytorch),
        cmocka_unit_test(test_candidate_fast_kernels_match_pytorch),
        cmocka_unit_test(test_adamw_step_matches_pytorch),
    };
    return cmocka_run_group_tests(tests, fixture_load, fixture_free);
}

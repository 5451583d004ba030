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
#include "model/model.h"
#include "train/adamw.h"

typedef struct Record {
    char name[96];
    int dtype, rank, shape[8];
    size_t count;
    const void *data;
} Record;

static char *fixture_bytes;
static Record records[256];
static int record_count;

static const Record *record_find(const char *name) {
    for (int i = 0; i < record_count; i++)
        if (strcmp(records[i].name, name) == 0) return &records[i];
    fail_msg("fixture has no tensor '%s'; regenerate it with `make reference`", name);
    return NULL;
}

static uint32_t read_u32(const char **p) {
    uint32_t v;
    memcpy(&v, *p, 4);
    *p += 4;
    return v;
}

static int fixture_load(void **state) {
    (void)state;
    const char *path = getenv("IAR_MODEL_FIXTURE") ? getenv("IAR_MODEL_FIXTURE") : "tests/fixtures/model_reference.bin";
    size_t size;
    Error err;
    if (file_read_all(path, 16u << 20, &fixture_bytes, &size, &err) != 0) {
        fprintf(stderr, "%s (run from the repository root, or `make reference`)\n", err.message);
        return -1;
    }
    const char *p = fixture_bytes, *end = fixture_bytes + size;
    if (size < 12 || memcmp(p, "IARMREF1", 8) != 0) return -1;
    p += 8;
    uint32_t count = read_u32(&p);
    for (uint32_t i = 0; i < count && i < 256; i++) {
        Record *r = &records[record_count++];
        uint32_t length = read_u32(&p);
        if (length >= sizeof r->name || p + length > end) return -1;
        memcpy(r->name, p, length);
        r->name[length] = '\0';
        p += length;
        r->dtype = (int)read_u32(&p);
        r->rank = (int)read_u32(&p);
        if (r->rank > 8) return -1;
        r->count = 1;
        for (int d = 0; d < r->rank; d++) r->count *= (r->shape[d] = (int)read_u32(&p));
        if (p + 4 * r->count > end) return -1;
        // copied: records sit at any byte offset, and floats/ints must be read aligned
        void *copy = malloc(4 * r->count + 1);
        if (!copy) return -1;
        memcpy(copy, p, 4 * r->count);
        r->data = copy;
        p += 4 * r->count;
    }
    return 0;
}

static int fixture_free(void **state) {
    (void)state;
    for (int i = 0; i < record_count; i++) free((void *)records[i].data);
    free(fixture_bytes);
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
    ModelBatch b = {tokens->shape[0], tokens->shape[1], record_find("input.images")->data, tokens->data,
                    record_find("input.targets")->data, record_find("input.text_len")->data,
                    record_find("input.prefix_len")->data, NULL, 0.0f, NULL, NULL};
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

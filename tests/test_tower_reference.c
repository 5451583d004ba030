// test_tower_reference.c — the vision tower against PyTorch (tools/reference_tower.py, `make reference`):
// the same tiny tower at 16 px with the fixture's parameters and running statistics, one training
// forward + tower_loss + backward on a fixed batch; the flaw, token and class logits, every loss part,
// every parameter gradient and the updated running statistics must match (max abs diff printed per
// tensor), then an eval-mode forward with PyTorch's running statistics; with both the reference and
// the fast kernels.
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
#include "model/tower.h"

// ---- the fixture: records in tools/reference_model.py's format ------------------------------------

static RecordFile fixture;

static const Record *record_find(const char *name) {
    const Record *r = record_file_find(&fixture, name);
    if (!r) fail_msg("fixture has no tensor '%s'; regenerate it with `make reference`", name);
    return r;
}

static const float *record_floats(const char *prefix, const char *name, size_t count) {
    char full[128];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const Record *r = record_find(full);
    if (r->dtype != 0 || r->count != count)
        fail_msg("fixture tensor '%s' has %zu values (dtype %d), the C tower wants %zu floats", full, r->count, r->dtype,
                 count);
    return r->data;
}

static const int *record_ints(const char *name, size_t count) {
    const Record *r = record_find(name);
    if (r->dtype != 1 || r->count != count)
        fail_msg("fixture tensor '%s' has %zu values (dtype %d), the C tower wants %zu ints", name, r->count, r->dtype,
                 count);
    return r->data;
}

static int fixture_load(void **state) {
    (void)state;
    const char *path = getenv("IAR_TOWER_FIXTURE") ? getenv("IAR_TOWER_FIXTURE") : "tests/fixtures/tower_reference.bin";
    return record_file_load(&fixture, path, 4u << 20);
}

static int fixture_free(void **state) {
    (void)state;
    record_file_free(&fixture);
    return 0;
}

// ---- the tower of the fixture -----------------------------------------------------------------------

typedef struct TowerFixture {
    int batch;
    const float *images, *flawed, *token_targets;
    const int *dimension, *light, *shadow, *kind;
} TowerFixture;

// Copies `prefix`<tensor name> of every tensor in `tensors` into `block`.
static void block_load(float *block, const ModelTensor *tensors, int count, const char *prefix) {
    for (int i = 0; i < count; i++) {
        const ModelTensor *t = &tensors[i];
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        const Record *r = record_find(name);
        assert_int_equal(r->rank, t->rank);
        for (int d = 0; d < t->rank; d++) assert_int_equal(r->shape[d], t->shape[d]);
        memcpy(block + t->offset, record_floats("", name, t->count), sizeof(float) * t->count);
    }
}

static void fixture_tower(Tower *tower, TowerFixture *f) {
    const Record *config = record_find("config");
    assert_int_equal(config->count, 4);
    const int *c = config->data;
    TowerConfig tc = {.name = "custom", .image_size = c[0], .convs = c[1], .hidden = c[2], .kind_classes = c[3]};
    assert_in_range(tc.convs, 1, TOWER_MAX_CONVS);
    memcpy(tc.channels, record_ints("config.channels", (size_t)tc.convs), sizeof(int) * tc.convs);
    memcpy(tc.strides, record_ints("config.strides", (size_t)tc.convs), sizeof(int) * tc.convs);
    const Record *images = record_find("input.images");
    f->batch = images->shape[0];
    Error err;
    if (tower_create(tower, &tc, f->batch, 1, &err) != 0) fail_msg("%s", err.message);
    block_load(tower->params, tower->tensors, tower->tensor_count, "param.");
    block_load(tower->buffers, tower->buffer_tensors, tower->buffer_tensor_count, "buffer.");
    size_t B = (size_t)f->batch, S = (size_t)tc.image_size, R = B * TOWER_CANDIDATES;
    f->images = record_floats("", "input.images", B * TOWER_IMAGES * 3 * S * S);
    f->dimension = record_ints("input.dimension", B);
    f->flawed = record_floats("", "input.flawed", R);
    f->token_targets = record_floats("", "input.token_targets", R * tower_tokens(&tc) * TOWER_TOKEN_TARGETS);
    f->light = record_ints("input.light", R);
    f->shadow = record_ints("input.shadow", R);
    f->kind = record_ints("input.kind", R);
}

// Max abs difference, printed; fails above `tolerance` (NaN fails too).
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

static double max_abs(const float *values, size_t n) {
    double scale = 0.0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(values[i]));
    return scale;
}

// The three logit tensors of the last forward against `prefix` ("train." or "eval.").
static void compare_outputs(const Tower *tower, const TowerOutput *out, int batch, const char *prefix) {
    size_t R = (size_t)batch * TOWER_CANDIDATES, P = (size_t)tower_tokens(&tower->config);
    size_t counts[3] = {R, R * P * TOWER_TOKEN_TARGETS, R * (size_t)tower_class_count(&tower->config)};
    const float *c_values[3] = {out->flaw_logit, out->token_logit, out->class_logit};
    const char *names[3] = {"flaw_logit", "token_logit", "class_logit"};
    for (int i = 0; i < 3; i++) {
        const float *expected = record_floats(prefix, names[i], counts[i]);
        char what[64];
        snprintf(what, sizeof what, "%s%s", prefix, names[i]);
        compare(what, c_values[i], expected, counts[i], 1e-5 + 2e-5 * max_abs(expected, counts[i]));
    }
}

static void check_against_pytorch(int use_reference) {
    Tower tower;
    TowerFixture f;
    fixture_tower(&tower, &f);
    tower.use_reference = use_reference;
    Error err;
    TowerOutput out;
    if (tower_forward(&tower, f.images, f.dimension, f.batch, 1, &out, &err) != 0) fail_msg("%s", err.message);
    compare_outputs(&tower, &out, f.batch, "train.");
    TowerTargets targets = {.flawed = f.flawed, .token_targets = f.token_targets, .light = f.light,
                            .shadow = f.shadow, .kind = f.kind};
    TowerLossWeights weights;
    tower_loss_weights_default(&weights);
    TowerLoss loss = tower_loss(&tower, &targets, &weights);
    const double parts[6] = {loss.total, loss.flaw, loss.token, loss.light, loss.shadow, loss.kind};
    const char *part_names[6] = {"total", "flaw", "token", "light", "shadow", "kind"};
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "loss.%s", part_names[i]);
        float value = (float)parts[i];
        compare(name, &value, record_floats("", name, 1), 1, 2e-5);
    }
    tower_zero_grad(&tower);
    if (tower_backward(&tower, &err) != 0) fail_msg("%s", err.message);
    for (int i = 0; i < tower.tensor_count; i++) {
        const ModelTensor *t = &tower.tensors[i];
        char name[128];
        snprintf(name, sizeof name, "grad.%s", t->name);
        const float *expected = record_floats("", name, t->count);
        // relative to the tensor's largest gradient, with a floor for tensors whose gradient is ~0
        compare(name, tower.grads + t->offset, expected, t->count, 1e-6 + 2e-4 * max_abs(expected, t->count));
    }
    for (int i = 0; i < tower.buffer_tensor_count; i++) {
        const ModelTensor *t = &tower.buffer_tensors[i];
        char name[128];
        snprintf(name, sizeof name, "running.%s", t->name);
        compare(name, tower.buffers + t->offset, record_floats("", name, t->count), t->count, 1e-5);
    }
    // eval mode with PyTorch's running statistics, so this check stands apart from the update's
    block_load(tower.buffers, tower.buffer_tensors, tower.buffer_tensor_count, "running.");
    if (tower_forward(&tower, f.images, f.dimension, f.batch, 0, &out, &err) != 0) fail_msg("%s", err.message);
    compare_outputs(&tower, &out, f.batch, "eval.");
    tower_free(&tower);
}

static void test_reference_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(1);
}

static void test_fast_kernels_match_pytorch(void **state) {
    (void)state;
    check_against_pytorch(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_kernels_match_pytorch),
        cmocka_unit_test(test_fast_kernels_match_pytorch),
    };
    return cmocka_run_group_tests(tests, fixture_load, fixture_free);
}

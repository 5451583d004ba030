// test_train_parts.c — the trainer's building blocks: warmup + cosine schedule, AdamW (decay on
// matrices only, clipping, bias correction), train_log.jsonl trimming on resume, and state.bin
// round trips and refusals.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/files.h"
#include "train/adamw.h"
#include "screen/model_folder.h"
#include "train/checkpoint.h"
#include "train/schedule.h"
#include "train/train_log.h"
#include "support/train_fixture.h"

static void test_schedule_warmup_then_cosine(void **state) {
    (void)state;
    LrSchedule s = {.peak = 1.0f, .min_ratio = 0.1f, .warmup_steps = 10, .total_steps = 110};
    assert_float_equal(schedule_learning_rate(&s, 0), 0.1f, 1e-6);
    assert_float_equal(schedule_learning_rate(&s, 9), 1.0f, 1e-6);
    assert_float_equal(schedule_learning_rate(&s, 10), 1.0f, 1e-6);
    assert_float_equal(schedule_learning_rate(&s, 60), 0.55f, 1e-6); // half way down the cosine
    assert_float_equal(schedule_learning_rate(&s, 110), 0.1f, 1e-6);
    assert_float_equal(schedule_learning_rate(&s, 500), 0.1f, 1e-6);
    for (long t = 10; t < 110; t++) assert_true(schedule_learning_rate(&s, t + 1) <= schedule_learning_rate(&s, t));
    LrSchedule none = {.peak = 0.5f, .min_ratio = 1.0f, .warmup_steps = 0, .total_steps = 5};
    assert_float_equal(schedule_learning_rate(&none, 3), 0.5f, 1e-7);
}

// A model made by hand: a 2x2 matrix and a 2-vector bias.
typedef struct FakeModel {
    Model model;
    float params[6], grads[6];
    ModelTensor tensors[2];
} FakeModel;

static void fake_model_init(FakeModel *f) {
    memset(f, 0, sizeof *f);
    f->tensors[0] = (ModelTensor){"w", 2, {2, 2}, 0, 4};
    f->tensors[1] = (ModelTensor){"b", 1, {2}, 4, 2};
    f->model.params = f->params;
    f->model.grads = f->grads;
    f->model.param_count = 6;
    f->model.tensors = f->tensors;
    f->model.tensor_count = 2;
    for (int i = 0; i < 6; i++) f->params[i] = 1.0f, f->grads[i] = 0.5f;
}

static void test_adamw_first_step_and_decay_on_matrices_only(void **state) {
    (void)state;
    FakeModel f;
    fake_model_init(&f);
    AdamW opt;
    AdamWConfig c = {.beta1 = 0.9f, .beta2 = 0.95f, .epsilon = 0, .weight_decay = 0.5f, .clip_norm = 0};
    Error err = {{0}};
    assert_int_equal(adamw_create(&opt, &f.model, &c, &err), 0);
    double norm = adamw_update(&opt, &f.model, 0.1f);
    assert_float_equal(norm, sqrt(6 * 0.25), 1e-9);
    // bias-corrected first step moves each weight by lr * sign(g); matrices also decay by lr*wd*p
    for (int i = 0; i < 4; i++) assert_float_equal(f.params[i], 1.0f - 0.1f * (1.0f + 0.5f), 1e-6);
    for (int i = 4; i < 6; i++) assert_float_equal(f.params[i], 1.0f - 0.1f, 1e-6);
    assert_int_equal(opt.step, 1);
    assert_true(opt.v == opt.m + 6); // one block: m then v
    adamw_free(&opt);
}

static void test_adamw_clips_and_refuses_non_finite(void **state) {
    (void)state;
    FakeModel f;
    fake_model_init(&f);
    f.grads[0] = 30.0f;
    AdamW opt;
    AdamWConfig c;
    adamw_config_default(&c);
    c.clip_norm = 1.0f;
    Error err = {{0}};
    assert_int_equal(adamw_create(&opt, &f.model, &c, &err), 0);
    double norm = adamw_update(&opt, &f.model, 0.01f);
    assert_true(norm > 29.0);
    assert_float_equal(adamw_grad_norm(f.grads, 6), 1.0, 1e-5); // grads scaled in place to the clip
    float before[6];
    memcpy(before, f.params, sizeof before);
    f.grads[3] = NAN;
    assert_true(isnan(adamw_update(&opt, &f.model, 0.01f)));
    assert_memory_equal(before, f.params, sizeof before);
    assert_int_equal(opt.step, 1);
    adamw_free(&opt);
}

static void test_train_log_trims_on_resume(void **state) {
    (void)state;
    char *dir = train_fixture_tempdir("iar-log");
    char *path = path_join(dir, "train_log.jsonl");
    TrainLog log;
    Error err = {{0}};
    assert_int_equal(train_log_open(&log, path, -1, &err), 0);
    for (long s = 1; s <= 5; s++) {
        TrainLogField fields[] = {{"loss", 1.0 / s}, {"bad", NAN}};
        assert_int_equal(train_log_write(&log, s, fields, 2, &err), 0);
    }
    assert_int_equal(train_log_write_tagged(&log, 5, "event", "valid\"ation", NULL, 0, &err), 0);
    train_log_close(&log);
    assert_int_equal(train_log_open(&log, path, 3, &err), 0);
    TrainLogField f4[] = {{"loss", 0.125}};
    assert_int_equal(train_log_write(&log, 4, f4, 1, &err), 0);
    train_log_close(&log);
    char *text;
    assert_int_equal(file_read_all(path, 0, &text, NULL, &err), 0);
    assert_string_equal(text, "{\"step\":1,\"loss\":1,\"bad\":null}\n"
                              "{\"step\":2,\"loss\":0.5,\"bad\":null}\n"
                              "{\"step\":3,\"loss\":0.333333,\"bad\":null}\n"
                              "{\"step\":4,\"loss\":0.125}\n");
    free(text);
    free(path);
    train_fixture_remove(dir);
    free(dir);
}

static void test_checkpoint_state_round_trip_and_refusals(void **state) {
    (void)state;
    ModelConfig config;
    Error err = {{0}};
    assert_int_equal(model_config_preset(&config, "tiny", 300, &err), 0);
    Model model;
    assert_int_equal(model_create(&model, &config, 2, 5, &err), 0);
    AdamW opt;
    AdamWConfig c;
    adamw_config_default(&c);
    assert_int_equal(adamw_create(&opt, &model, &c, &err), 0);
    for (size_t i = 0; i < 2 * opt.count; i++) opt.moments[i] = (float)i * 1e-3f;
    opt.step = 42;
    char *dir = train_fixture_tempdir("iar-ckpt");
    TrainState st = {.trainer = "grpo", .step = 42, .seed = 9, .data = {3, 17}, .options_hash = 77,
                     .elapsed_seconds = 1.5};
    const char extra[] = "reference policy bytes";
    assert_int_equal(checkpoint_save(dir, &model, NULL, &opt, &st, extra, sizeof extra, &err), 0);
    assert_true(checkpoint_has_state(dir));
    Model back;
    assert_int_equal(model_folder_load(dir, &back, 2, NULL, &err), 0);
    assert_memory_equal(back.params, model.params, model.param_count * sizeof(float));
    AdamW opt2;
    assert_int_equal(adamw_create(&opt2, &back, &c, &err), 0);
    TrainState st2;
    void *blob = NULL;
    size_t blob_size = 0;
    assert_int_equal(checkpoint_load_state(dir, &back, &opt2, &st2, &blob, &blob_size, &err), 0);
    assert_memory_equal(opt2.moments, opt.moments, 2 * opt.count * sizeof(float));
    assert_int_equal(opt2.step, 42);
    assert_string_equal(st2.trainer, "grpo");
    assert_int_equal(st2.step, 42);
    assert_int_equal(st2.data.epoch, 3);
    assert_int_equal(st2.data.index, 17);
    assert_int_equal(st2.options_hash, 77);
    assert_int_equal(blob_size, sizeof extra);
    assert_memory_equal(blob, extra, sizeof extra);
    free(blob);
    // a state that does not belong to the weights beside it is refused
    back.params[0] += 1.0f;
    assert_int_equal(checkpoint_load_state(dir, &back, &opt2, &st2, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "does not belong"));
    back.params[0] -= 1.0f;
    // a corrupt file is refused by its checksum
    char *path = path_join(dir, "state.bin"), *bytes;
    size_t size;
    assert_int_equal(file_read_all(path, 0, &bytes, &size, &err), 0);
    bytes[size / 2] ^= 1;
    assert_int_equal(file_write_atomic(path, bytes, size, &err), 0);
    assert_int_equal(checkpoint_load_state(dir, &back, &opt2, &st2, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "checksum"));
    // a future version says what to do
    bytes[size / 2] ^= 1;
    bytes[8] = 9;
    assert_int_equal(file_write_atomic(path, bytes, size, &err), 0);
    assert_int_equal(checkpoint_load_state(dir, &back, &opt2, &st2, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "v9"));
    free(bytes);
    free(path);
    adamw_free(&opt);
    adamw_free(&opt2);
    model_free(&model);
    model_free(&back);
    train_fixture_remove(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_warmup_then_cosine),
        cmocka_unit_test(test_adamw_first_step_and_decay_on_matrices_only),
        cmocka_unit_test(test_adamw_clips_and_refuses_non_finite),
        cmocka_unit_test(test_train_log_trims_on_resume),
        cmocka_unit_test(test_checkpoint_state_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

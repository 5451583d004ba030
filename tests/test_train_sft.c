// test_train_sft.c — the SFT loop on the tiny config: N steps straight equal N/2 + --resume + N/2
// bit for bit (weights and logged losses), the loss falls on a learnable toy set, 1 thread equals
// 2 threads, and a finished run refuses to be overwritten.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/files.h"
#include "screen/model_folder.h"
#include "train/checkpoint.h"
#include "train/sft.h"
#include "support/train_fixture.h"

typedef struct Fixture {
    char *dir, *jsonl;
} Fixture;

static int fixture_setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = train_fixture_tempdir("iar-sft");
    f->jsonl = train_fixture_dataset(f->dir, 24, 16, 5);
    *state = f;
    return f->jsonl ? 0 : -1;
}

static int fixture_teardown(void **state) {
    Fixture *f = *state;
    train_fixture_remove(f->dir);
    free(f->dir);
    free(f->jsonl);
    free(f);
    return 0;
}

static void tiny_options(SftOptions *o, const Fixture *f, const char *out) {
    sft_options_default(o);
    o->data_path = f->jsonl;
    o->out_dir = out;
    o->config_name = "tiny";
    o->vocab_size = 320;
    o->steps = 8;
    o->batch_size = 4;
    o->learning_rate = 3e-3f;
    o->warmup_steps = 2;
    o->val_fraction = 0.2;
    o->val_samples = 3;
    o->peak_gflops = 10; // skip the sgemm measurement
    o->threads = 1;
}

static char *out_path(const Fixture *f, const char *name) { return path_join(f->dir, name); }

static void run_ok(const SftOptions *o, SftResult *result) {
    Error err = {{0}};
    int rc = sft_train(o, NULL, result, &err);
    if (rc != 0) fprintf(stderr, "sft: %s\n", err.message);
    assert_int_equal(rc, 0);
}

static void load_params(const char *dir, Model *model) {
    Error err = {{0}};
    int rc = model_folder_load(dir, model, 1, NULL, &err);
    if (rc != 0) fprintf(stderr, "load: %s\n", err.message);
    assert_int_equal(rc, 0);
}

// The "loss" values of the step lines of a train_log.jsonl, in order.
static int read_losses(const char *dir, double *out, int max) {
    char *path = path_join(dir, "train_log.jsonl"), *text = NULL;
    Error err = {{0}};
    assert_int_equal(file_read_all(path, 0, &text, NULL, &err), 0);
    int n = 0;
    for (char *p = strstr(text, "\"loss\":"); p && n < max; p = strstr(p + 1, "\"loss\":")) out[n++] = strtod(p + 7, NULL);
    free(text);
    free(path);
    return n;
}

static void test_resume_is_bit_for_bit(void **state) {
    Fixture *f = *state;
    char *straight = out_path(f, "straight"), *split = out_path(f, "split");
    SftOptions o;
    SftResult result;
    tiny_options(&o, f, straight);
    run_ok(&o, &result);
    assert_int_equal(result.steps_done, 8);
    assert_int_equal(result.validation.samples, 3);
    tiny_options(&o, f, split);
    o.stop_at = 4;
    o.resume = 1; // nothing to resume yet: starts a new run
    run_ok(&o, &result);
    assert_int_equal(result.steps_done, 4);
    assert_int_equal(result.validation.samples, 0); // validation belongs to the end of the whole run
    o.stop_at = 0;
    o.resume = 1;
    run_ok(&o, &result);
    assert_int_equal(result.steps_done, 8);
    Model a, b;
    load_params(straight, &a);
    load_params(split, &b);
    assert_int_equal(a.param_count, b.param_count);
    assert_memory_equal(a.params, b.params, a.param_count * sizeof(float));
    double la[16], lb[16];
    assert_int_equal(read_losses(straight, la, 16), 8);
    assert_int_equal(read_losses(split, lb, 16), 8);
    assert_memory_equal(la, lb, sizeof(double) * 8);
    // the tokenizer travels with the checkpoint
    char *tok = path_join(split, "tokenizer.json");
    assert_true(file_exists(tok));
    free(tok);
    // resuming with other options is refused with the reason; so is a run shorter than the steps done
    o.learning_rate *= 2;
    Error err = {{0}};
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "--resume needs the same"));
    o.learning_rate /= 2;
    o.steps = 7;
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "not shorten"));
    // starting over an existing run without --resume is refused
    o.resume = 0;
    o.steps = 8;
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "--resume"));
    // a second trainer on a folder another one is writing is refused at once, naming its pid
    int held;
    long holder = 0;
    assert_int_equal(dir_lock(split, "train.lock", &held, &holder, &err), 0);
    o.resume = 1;
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "another `iar train sft`"));
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err.message, pid));
    dir_unlock(held);
    run_ok(&o, &result); // released: the finished run resumes to its end again
    assert_int_equal(result.steps_done, 8);
    model_free(&a);
    model_free(&b);
    free(straight);
    free(split);
}

static void test_loss_falls(void **state) {
    Fixture *f = *state;
    char *out = out_path(f, "falls");
    SftOptions o;
    SftResult result;
    tiny_options(&o, f, out);
    o.steps = 40;
    o.batch_size = 8;
    o.val_fraction = 0;
    run_ok(&o, &result);
    double losses[64];
    assert_int_equal(read_losses(out, losses, 64), 40);
    double first = (losses[0] + losses[1] + losses[2]) / 3;
    assert_true(isfinite(result.final_loss));
    assert_true(result.final_loss < 0.6 * first);
    free(out);
}

static void test_thread_count_does_not_change_the_weights(void **state) {
    Fixture *f = *state;
    char *one = out_path(f, "one"), *two = out_path(f, "two");
    SftOptions o;
    SftResult result;
    tiny_options(&o, f, one);
    o.steps = 3;
    o.val_fraction = 0;
    run_ok(&o, &result);
    o.out_dir = two;
    o.threads = 2;
    run_ok(&o, &result);
    Model a, b;
    load_params(one, &a);
    load_params(two, &b);
    assert_memory_equal(a.params, b.params, a.param_count * sizeof(float));
    model_free(&a);
    model_free(&b);
    free(one);
    free(two);
}

static void test_bad_input_is_reported(void **state) {
    Fixture *f = *state;
    char *out = out_path(f, "bad");
    SftOptions o;
    SftResult result;
    Error err = {{0}};
    tiny_options(&o, f, out);
    o.config_name = "huge";
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "huge"));
    tiny_options(&o, f, out);
    o.data_path = "/nonexistent/data.jsonl";
    assert_int_equal(sft_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/data.jsonl"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_is_bit_for_bit),
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_thread_count_does_not_change_the_weights),
        cmocka_unit_test(test_bad_input_is_reported),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

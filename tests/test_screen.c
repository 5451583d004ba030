// test_screen.c — a trained checkpoint used as a screener (screen_model_load/screen_images) and
// behind the evaluator's `native:CKPT` backend: outputs decode to text and parse, greedy is
// repeatable, sampling follows the seed, tokens are counted, the candidate head's evidence comes
// with every completion, and bad checkpoints are refused with a reason.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/files.h"
#include "eval/backend.h"
#include "screen/screen.h"
#include "text/answer.h"
#include "train/sft.h"
#include "support/train_fixture.h"

typedef struct Fixture {
    char *dir, *jsonl, *ckpt;
    Dataset dataset;
} Fixture;

static int fixture_setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = train_fixture_tempdir("iar-screen");
    f->jsonl = train_fixture_dataset(f->dir, 16, 16, 9);
    f->ckpt = path_join(f->dir, "ckpt");
    SftOptions o;
    sft_options_default(&o);
    o.data_path = f->jsonl;
    o.out_dir = f->ckpt;
    o.config_name = "tiny";
    o.vocab_size = 320;
    o.steps = 30;
    o.batch_size = 8;
    o.learning_rate = 3e-3f;
    o.val_fraction = 0;
    o.peak_gflops = 10;
    o.threads = 1; // tiny matrices: threads only add barrier waits
    SftResult result;
    Error err = {{0}};
    if (sft_train(&o, NULL, &result, &err) != 0 || dataset_load(&f->dataset, f->jsonl, &err) != 0) {
        fprintf(stderr, "fixture: %s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int fixture_teardown(void **state) {
    Fixture *f = *state;
    dataset_free(&f->dataset);
    train_fixture_remove(f->dir);
    free(f->dir);
    free(f->jsonl);
    free(f->ckpt);
    free(f);
    return 0;
}

static void load_images(const Fixture *f, size_t index, Image images[MODEL_IMAGE_COUNT],
                        const Image *views[MODEL_IMAGE_COUNT]) {
    Error err = {{0}};
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) {
        char *path = dataset_image_path(&f->dataset, &f->dataset.samples[index], i);
        assert_int_equal(image_load(&images[i], path, 0, &err), 0);
        views[i] = &images[i];
        free(path);
    }
}

static void test_screen_greedy_and_sampled(void **state) {
    Fixture *f = *state;
    ScreenModel screen;
    Error err = {{0}};
    assert_int_equal(screen_model_load(&screen, f->ckpt, 3, &err), 0);
    Image images[MODEL_IMAGE_COUNT];
    const Image *views[MODEL_IMAGE_COUNT];
    load_images(f, 0, images, views);
    ScreenOutput a, b;
    GenerateOptions greedy = {.max_new_tokens = 40, .temperature = 0, .top_p = 1, .seed = 0, .eos_token = 2};
    assert_int_equal(screen_images(&screen, views, 0, &greedy, 1, &a, &err), 0);
    assert_int_equal(screen_images(&screen, views, 0, &greedy, 1, &b, &err), 0);
    assert_non_null(a.text);
    assert_string_equal(a.text, b.text);
    assert_true(a.prompt_tokens > 1);
    assert_true(a.completion_tokens >= 1 && a.completion_tokens <= 40);
    // the parsed answer is the parser's reading of the text
    ParsedAnswer parsed = answer_parse(a.text);
    assert_int_equal(a.answer.status, parsed.status);
    assert_int_equal(a.answer.set, parsed.set);
    // evidence comes from the candidate head when the model has one
    assert_int_equal(a.has_evidence, screen.model.config.candidate_head != 0);
    for (int c = 0; a.has_evidence && c < CANDIDATE_COUNT; c++)
        assert_true(a.evidence[c] >= 0.0f && a.evidence[c] <= 1.0f);
    // from prepared images (the training path), the same completion
    ScreenOutput prepared;
    assert_int_equal(model_prepare_images(&screen.model.config, views, screen.scratch.images, &err), 0);
    assert_int_equal(screen_prepared(&screen.model, screen.tokenizer, &screen.scratch, screen.scratch.images, 0,
                                     &greedy, 1, &prepared, &err), 0);
    assert_string_equal(prepared.text, a.text);
    screen_outputs_free(&prepared, 1);
    screen_outputs_free(&a, 1);
    screen_outputs_free(&b, 1);
    // several samples share the prefix; the same seed gives the same samples
    ScreenOutput s1[3], s2[3];
    GenerateOptions sampled = {.max_new_tokens = 30, .temperature = 1.0f, .top_p = 0.9f, .seed = 4, .eos_token = 2};
    assert_int_equal(screen_images(&screen, views, 2, &sampled, 3, s1, &err), 0);
    assert_int_equal(screen_images(&screen, views, 2, &sampled, 3, s2, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(s1[i].text, s2[i].text);
        assert_true(s1[i].prompt_tokens > 1 && s1[i].completion_tokens <= 30);
    }
    screen_outputs_free(s1, 3);
    screen_outputs_free(s2, 3);
    assert_int_equal(screen_images(&screen, views, 0, &greedy, 0, &a, &err), -1);
    assert_int_equal(screen_images(&screen, views, 0, &greedy, 4, s1, &err), -1); // more than loaded for
    for (int i = 0; i < MODEL_IMAGE_COUNT; i++) image_free(&images[i]);
    screen_model_free(&screen);
}

typedef struct Collected {
    int calls, texts, parsed;
    long prompt_tokens;
} Collected;

static void collect(void *user, size_t index, const BackendResult *result) {
    (void)index;
    Collected *c = user;
    c->calls++;
    if (result->text) {
        c->texts++;
        c->parsed += answer_parse(result->text).status != ANSWER_PARSE_FAILED;
        c->prompt_tokens += result->prompt_tokens;
        assert_true(result->completion_tokens > 0);
    }
}

static void test_native_backend_runs_a_dataset(void **state) {
    Fixture *f = *state;
    char spec[1100];
    snprintf(spec, sizeof spec, "native:%s", f->ckpt);
    Backend backend;
    Error err = {{0}};
    // the constructor itself, then through the evaluator's dispatch on the spec
    assert_int_equal(backend_native_open(&backend, f->ckpt, NULL, &err), 0);
    assert_string_equal(backend.name, "native-ckpt");
    backend_close(&backend);
    int opened = backend_open(&backend, spec, NULL, &err);
    if (opened != 0) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(opened, 0);
    assert_string_equal(backend.name, "native-ckpt");
    size_t indices[5] = {0, 3, 6, 9, 12};
    Collected c = {0};
    Progress progress;
    progress_begin(&progress, "eval", 5, NULL, NULL);
    assert_int_equal(backend.run(&backend, &f->dataset, indices, 5, collect, &c, &progress, &err), 0);
    assert_int_equal(c.calls, 5);
    assert_int_equal(c.texts, 5);
    assert_true(c.prompt_tokens > 5);
    assert_int_equal(progress.done, 5);
    backend_close(&backend);
    // a folder that is not a checkpoint is refused, naming it
    assert_int_equal(backend_open(&backend, "native:/nonexistent/ckpt", NULL, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/ckpt"));
}

// The letters where the text's verdict and its evidence disagree, both ways; none without evidence
// or without a readable answer.
static void test_disputed_letters(void **state) {
    (void)state;
    ScreenOutput output = {.has_evidence = 1, .evidence = {0.9f, 0.7f, 0.2f, 0.5f}};
    output.answer.status = ANSWER_PARSED_TAGGED;
    output.answer.set = 0x5; // A, C
    assert_int_equal(screen_output_disputed(&output), 0x6); // B left out at 0.7, C named at 0.2
    output.answer.set = 0x3; // A, B: as the evidence says (D at exactly 0.5 is not flawed)
    assert_int_equal(screen_output_disputed(&output), 0);
    output.answer.status = ANSWER_PARSE_FAILED;
    assert_int_equal(screen_output_disputed(&output), 0);
    output.answer.status = ANSWER_PARSED_TAGGED;
    output.has_evidence = 0;
    assert_int_equal(screen_output_disputed(&output), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screen_greedy_and_sampled),
        cmocka_unit_test(test_disputed_letters),
        cmocka_unit_test(test_native_backend_runs_a_dataset),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

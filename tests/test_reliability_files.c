// test_reliability_files.c — what iar refuses to open and how it reads what it does: a FIFO where an
// image should be is refused without blocking (every reader of image files), a symbolic link out of
// the dataset folder is refused by every reader of dataset images unless allowed, a dataset read from
// a pipe arrives byte for byte, and invalid UTF-8 never passes validation or reaches written JSON.
// Blocking reads would hang, so a watchdog alarm fails the program instead of waiting for ever.
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/files.h"
#include "core/utf8.h"
#include "data/dataset.h"
#include "eval/eval.h"
#include "eval/openai.h"
#include "eval/summary.h"
#include "image/image.h"
#include "serve/example.h"
#include "support/eval_fixture.h"

static void watchdog_fired(int signal_number) {
    (void)signal_number;
    static const char message[] = "test_reliability_files: a read blocked (a FIFO was opened)\n";
    ssize_t written = write(2, message, sizeof message - 1);
    (void)written;
    _exit(1);
}

typedef struct Fixture {
    char *dir, *data, *outside;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = eval_fixture_dir("files");
    EvalFixtureOptions options = {.count = 3, .pixels = 8, .distinct_images = 1};
    f->data = eval_fixture_dataset(f->dir, &options);
    // A secret beside the dataset folder, and links to it from inside.
    f->outside = eval_fixture_dir("files-outside");
    char *secret = path_join(f->outside, "secret.png");
    Error err;
    assert_int_equal(file_write_atomic(secret, "not for you\n", 12, &err), 0);
    char *link = path_join(f->dir, "img/1_2.png");
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink(secret, link), 0); // sample s00001, candidate B
    free(link);
    link = path_join(f->dir, "img/2_3.png");
    assert_int_equal(unlink(link), 0);
    assert_int_equal(mkfifo(link, 0600), 0); // sample s00002, candidate C
    free(link);
    free(secret);
    *state = f;
    signal(SIGALRM, watchdog_fired);
    alarm(120);
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    alarm(0);
    eval_fixture_remove(f->dir);
    eval_fixture_remove(f->outside);
    free(f->dir);
    free(f->data);
    free(f->outside);
    free(f);
    return 0;
}

static void test_fifo_is_refused_without_blocking(void **state) {
    Fixture *f = *state;
    char *fifo = path_join(f->dir, "img/2_3.png");
    Error err = {{0}};
    char *bytes = NULL;
    assert_int_equal(file_read_all(fifo, 0, &bytes, NULL, &err), -1);
    assert_non_null(strstr(err.message, "not a regular file"));
    Image image;
    assert_int_equal(image_load(&image, fifo, 0, &err), -1);
    assert_non_null(strstr(err.message, "not a regular file"));
    char *url = NULL;
    assert_int_equal(image_file_data_url(fifo, &url, &err), -1);
    free(fifo);

    // The evaluator and its HTML thumbnails read the same images: the FIFO sample fails cleanly.
    char *out = path_join(f->dir, "run-fifo");
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = "random";
    options.out_dir = out;
    options.allow_outside = 1; // only the FIFO is under test here
    EvalRunResult result;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.evaluated, 3);
    free(out);
}

static void test_dataset_check_reports_fifo_and_outside_link(void **state) {
    Fixture *f = *state;
    DatasetCheck check;
    Error err = {{0}};
    DatasetCheckOptions options = {.check_images = 1};
    assert_int_equal(dataset_check_run(&check, f->data, &options, &err), 0);
    int outside = 0, fifo = 0;
    for (size_t i = 0; i < check.problem_count; i++) {
        const char *m = check.problems[i].message;
        if (check.problems[i].line == 2 && strstr(m, "candidate B image 'img/1_2.png' leads outside the dataset folder"))
            outside++;
        if (check.problems[i].line == 3 && strstr(m, "candidate C image 'img/2_3.png' is not a regular file")) fifo++;
    }
    assert_int_equal(outside, 1);
    assert_int_equal(fifo, 1);
    assert_int_equal(check.problem_count, 2);
    dataset_check_free(&check);

    // --allow-outside lets the link through (it then fails to decode: it is not an image).
    options.allow_outside = 1;
    assert_int_equal(dataset_check_run(&check, f->data, &options, &err), 0);
    assert_int_equal(check.problem_count, 2);
    assert_non_null(strstr(check.problems[0].message, "does not decode"));
    dataset_check_free(&check);
}

static void test_outside_link_refused_by_every_reader(void **state) {
    Fixture *f = *state;
    Dataset dataset;
    Error err = {{0}};
    assert_int_equal(dataset_load(&dataset, f->data, &err), 0);
    const Sample *linked = dataset_find(&dataset, "s00001");
    assert_non_null(linked);
    char *path = NULL;
    assert_int_equal(dataset_image_resolve(&dataset, linked, 2, &path, &err), -1);
    assert_null(path);
    assert_non_null(strstr(err.message, "leads outside the dataset folder"));
    assert_non_null(strstr(err.message, "--allow-outside"));
    assert_null(strstr(err.message, f->outside)); // the target is not revealed
    assert_int_equal(dataset_image_resolve(&dataset, linked, 1, &path, &err), 0); // its neighbours are fine
    free(path);

    // The web page's example button: never serves the linked file.
    char *json = example_json(&dataset, 1, &err);
    assert_null(json);
    assert_non_null(strstr(err.message, "leads outside"));
    json = example_json(&dataset, 0, &err);
    assert_non_null(json);
    free(json);
    assert_null(example_json(&dataset, 3, &err)); // no wrapping around
    assert_non_null(strstr(err.message, "no sample 3"));

    // The OpenAI backend: never uploads it.
    ChatTemplate chat;
    assert_int_equal(chat_template_load(&chat, NULL, &err), 0);
    BackendOptions backend;
    backend_options_default(&backend);
    char *body = NULL, key[65];
    assert_int_equal(openai_request_build(&body, key, "m", "http://127.0.0.1:1/v1", &chat, &dataset, linked, &backend, &err), -1);
    assert_null(body);
    assert_non_null(strstr(err.message, "leads outside"));

    // Allowed by the user: they read it.
    dataset.allow_outside = 1;
    assert_int_equal(dataset_image_resolve(&dataset, linked, 2, &path, &err), 0);
    assert_non_null(strstr(path, "secret.png"));
    free(path);
    // (read, then refused as no image: it is a text file)
    assert_int_equal(openai_request_build(&body, key, "m", "http://127.0.0.1:1/v1", &chat, &dataset, linked, &backend, &err), -1);
    assert_non_null(strstr(err.message, "not a PNG or JPEG"));
    chat_template_free(&chat);
    dataset_free(&dataset);
}

static void test_eval_records_outside_link_as_failed_sample(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "run-openai-policy");
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = "openai:m@http://127.0.0.1:1/v1";
    options.out_dir = out;
    options.backend.max_retries = 0;
    options.limit = 2;
    EvalRunResult result;
    Error err = {{0}};
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    int refused = 0;
    for (size_t i = 0; i < run.records.count; i++) {
        const EvalRecord *r = &run.records.items[i];
        if (strcmp(r->id, "s00001") == 0) {
            assert_non_null(r->error);
            assert_non_null(strstr(r->error, "leads outside"));
            assert_int_equal(r->error_permanent, 1);
            refused++;
        }
    }
    assert_int_equal(refused, 1);
    eval_run_data_free(&run);
    free(out);
}

// A dataset whose first bytes are `prefix` then one valid line, written into a pipe.
static void load_from_pipe(const char *prefix, size_t prefix_size, Dataset *out, Error *err, int *rc) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const char line[] = "{\"id\":\"p1\",\"dimension\":\"lighting\",\"original\":\"o.png\",\"candidates\":[\"a.png\",\"b.png\","
                        "\"c.png\",\"d.png\"],\"answer\":[\"B\"]}\n";
    assert_int_equal(write(fds[1], prefix, prefix_size), (ssize_t)prefix_size);
    assert_int_equal(write(fds[1], line, sizeof line - 1), (ssize_t)(sizeof line - 1));
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    *rc = dataset_load(out, path, err);
    close(fds[0]);
}

static void test_dataset_from_a_pipe_is_read_exactly(void **state) {
    (void)state;
    Dataset dataset;
    Error err = {{0}};
    int rc;
    load_from_pipe("", 0, &dataset, &err, &rc);
    if (rc != 0) fail_msg("%s", err.message);
    assert_int_equal(dataset.count, 1);
    assert_string_equal(dataset.samples[0].id, "p1");
    assert_string_equal(dataset.root, "."); // a stream's images are relative to the current folder
    dataset_free(&dataset);
    load_from_pipe("\xEF\xBB\xBF", 3, &dataset, &err, &rc); // a byte-order mark is still skipped
    if (rc != 0) fail_msg("%s", err.message);
    assert_string_equal(dataset.samples[0].id, "p1");
    dataset_free(&dataset);
    load_from_pipe("\n", 1, &dataset, &err, &rc); // a blank first line: its newline is not lost either
    if (rc != 0) fail_msg("%s", err.message);
    assert_int_equal(dataset.samples[0].line, 2);
    dataset_free(&dataset);
}

static void test_invalid_utf8_refused_and_never_written(void **state) {
    Fixture *f = *state;
    char *bad = path_join(f->dir, "bad.jsonl");
    const char line[] = "{\"id\":\"s\xff\xfe\",\"dimension\":\"lighting\",\"original\":\"img/0_0.png\",\"candidates\":[\"img/0_1.png\","
                        "\"img/0_2.png\",\"img/0_3.png\",\"img/0_4.png\"],\"answer\":[\"B\"]}\n";
    Error err = {{0}};
    assert_int_equal(file_write_atomic(bad, line, sizeof line - 1, &err), 0);
    Dataset dataset;
    assert_int_equal(dataset_load(&dataset, bad, &err), -1);
    assert_non_null(strstr(err.message, "not valid UTF-8"));
    DatasetCheck check;
    DatasetCheckOptions options = {.check_images = 0};
    assert_int_equal(dataset_check_run(&check, bad, &options, &err), 0);
    assert_int_equal(check.problem_count, 1);
    assert_non_null(strstr(check.problems[0].message, "not valid UTF-8 (byte 9: 0xFF)"));
    dataset_check_free(&check);
    free(bad);

    // A model's reply and a server's error are bytes: predictions.jsonl gets valid UTF-8 either way.
    EvalRecord record = {0};
    record.id = string_duplicate("s1");
    record.raw = string_duplicate("<answer>B</answer> caf\xc3 \xed\xa0\x80 \xf4\x90\x80\x80 ok \xe2\x82\xac");
    record.error = string_duplicate("HTTP 500: \xe2\x82");
    char *json = eval_record_to_json(&record);
    assert_non_null(json);
    assert_true(utf8_is_valid(json, strlen(json), NULL));
    assert_non_null(strstr(json, "ok \xe2\x82\xac")); // valid characters are kept
    free(json);
    eval_record_clear(&record);
}

static void test_utf8_helpers(void **state) {
    (void)state;
    const char *good = "plain \xc3\xa9 \xf0\x9f\x98\x80";
    assert_true(utf8_is_valid(good, strlen(good), NULL));
    size_t bad = 0;
    assert_false(utf8_is_valid("ab\xc0\xaf", 4, &bad)); // overlong '/'
    assert_int_equal(bad, 2);
    assert_false(utf8_is_valid("\xe2\x82", 2, &bad)); // cut short
    assert_int_equal(bad, 0);
    char *clean = utf8_sanitize("a\xffz");
    assert_string_equal(clean, "a\xef\xbf\xbdz");
    free(clean);
    assert_int_equal(utf8_cut("ab\xe2\x82\xac", 4), 2); // never inside the euro sign
    assert_int_equal(utf8_cut("ab\xe2\x82\xac", 5), 5);
    assert_int_equal(utf8_cut("ab", 10), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_is_refused_without_blocking),
        cmocka_unit_test(test_dataset_check_reports_fifo_and_outside_link),
        cmocka_unit_test(test_outside_link_refused_by_every_reader),
        cmocka_unit_test(test_eval_records_outside_link_as_failed_sample),
        cmocka_unit_test(test_dataset_from_a_pipe_is_read_exactly),
        cmocka_unit_test(test_invalid_utf8_refused_and_never_written),
        cmocka_unit_test(test_utf8_helpers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

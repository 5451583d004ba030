// test_reliability_eval.c — a run folder keeps every id once and says when it is incomplete: a second
// eval on a locked folder refuses at once, readers fold duplicated lines into one record per id,
// failed requests of transport, key or server are asked again by the next run (a refusal of the
// request itself only with --retry-failed), and report.html stays bounded whatever a model replies.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/files.h"
#include "core/utf8.h"
#include "eval/eval.h"
#include "eval/report.h"
#include "eval/summary.h"
#include "support/eval_fake_server.h"
#include "support/eval_fixture.h"

#define SAMPLES 12

typedef struct Fixture {
    char *dir, *data;
    EvalFakeServer *server;
    char model[128];
} Fixture;

// s00000..s00003: a refused key once; s00004, s00005: the request refused for good (HTTP 400);
// the others answer at once.
static void question(size_t index, char *buffer, size_t size) {
    const char *mode = index < 4 ? "mode=401 n=1" : index < 6 ? "mode=400 n=99" : "mode=ok";
    snprintf(buffer, size, "[[id=s%05zu %s answer=B]]", index, mode);
}

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = eval_fixture_dir("reliable");
    EvalFixtureOptions options = {.count = SAMPLES, .pixels = 8, .question = question};
    f->data = eval_fixture_dataset(f->dir, &options);
    f->server = eval_fake_server_start(100);
    if (!f->server) return -1;
    snprintf(f->model, sizeof f->model, "openai:fake@http://127.0.0.1:%d/v1", eval_fake_server_port(f->server));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    eval_fake_server_stop(f->server);
    eval_fixture_remove(f->dir);
    free(f->dir);
    free(f->data);
    free(f);
    return 0;
}

static void options_for(EvalRunOptions *options, const Fixture *f, const char *out, const char *model) {
    eval_run_options_default(options);
    options->data_path = f->data;
    options->model_spec = model;
    options->out_dir = out;
    options->backend.concurrency = 1; // the refused key stops the run after exactly one request
    options->backend.max_retries = 0;
    options->backend.retry_base_seconds = 0.01;
}

static size_t count_lines(const char *path) {
    char *text = NULL;
    size_t size = 0, lines = 0;
    assert_int_equal(file_read_all(path, 0, &text, &size, NULL), 0);
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

static void test_second_eval_on_a_locked_folder_refuses(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "locked");
    Error err = {{0}};
    assert_int_equal(dir_create_all(out, &err), 0);
    int held = -1;
    long holder = 0;
    assert_int_equal(dir_lock(out, "eval.lock", &held, &holder, &err), 0); // as a running `iar eval` does
    EvalRunOptions options;
    options_for(&options, f, out, "random");
    EvalRunResult result;
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "another `iar eval`"));
    assert_null(strchr(err.message, '\n'));
    assert_string_equal(result.run_dir, ""); // nothing of the refused run is in the folder
    char *predictions = path_join(out, "predictions.jsonl");
    assert_false(file_exists(predictions));
    // A second taker in this process sees the holder too (flock is per open file).
    int again = -1;
    assert_int_equal(dir_lock(out, "eval.lock", &again, &holder, &err), 1);
    assert_int_equal(holder, (long)getpid());
    dir_unlock(held);
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(count_lines(predictions), SAMPLES);
    free(predictions);
    free(out);
}

static void test_readers_keep_each_id_once(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "doubled");
    EvalRunOptions options;
    options_for(&options, f, out, "all");
    EvalRunResult result;
    Error err = {{0}};
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    // What two unlocked writers left behind: every line twice, and one id failed in one copy.
    char *predictions = path_join(out, "predictions.jsonl");
    char *text = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(predictions, 0, &text, &size, &err), 0);
    char *doubled = malloc(2 * size + 256);
    memcpy(doubled, text, size);
    memcpy(doubled + size, text, size);
    size_t n = 2 * size;
    n += (size_t)sprintf(doubled + n, "{\"id\":\"s00003\",\"gold\":[\"D\"],\"parse\":\"failed\",\"error\":\"HTTP 500\"}\n");
    assert_int_equal(file_write_atomic(predictions, doubled, n, &err), 0);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    assert_int_equal(run.records.count, SAMPLES);
    assert_int_equal(run.summary.samples, SAMPLES);
    assert_int_equal(run.summary.request_errors, 0); // a failure never replaces an answer
    assert_string_equal(run.records.items[3].id, "s00003");
    assert_int_equal(run.records.items[3].predicted, ANSWER_SET_ALL);
    eval_run_data_free(&run);
    free(doubled);
    free(text);
    free(predictions);
    free(out);
}

static void test_refused_key_is_asked_again_and_leaves_errors_counted(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "key");
    EvalRunOptions options;
    options_for(&options, f, out, f->model);
    options.limit = 8;
    EvalRunResult result;
    Error err = {{0}};
    // 401 on the first request of s00000: the run stops with that one id failed.
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "HTTP 401"));
    assert_int_equal(result.failed, 1);
    // The next run asks s00000 again without being told to, and goes on; s00001..s00003 meet their
    // own single 401 and stop it again, one id at a time.
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = eval_run(&options, NULL, &result, &err);
        if (rc == 0) break;
        assert_non_null(strstr(err.message, "HTTP 401"));
    }
    assert_int_equal(eval_fake_server_requests(f->server, "s00000"), 2);
    assert_int_equal(eval_fake_server_requests(f->server, "s00003"), 2);
    // Finished: the two ids refused for good (HTTP 400) remain, and count as errors left.
    assert_int_equal(result.selected, 8);
    assert_int_equal(result.errors_left, 2);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    assert_int_equal(run.records.count, 8);
    assert_int_equal(run.summary.request_errors, 2);
    assert_int_equal(run.summary.transient_errors, 0);
    for (size_t i = 0; i < run.records.count; i++) {
        const EvalRecord *r = &run.records.items[i];
        int refused = strcmp(r->id, "s00004") == 0 || strcmp(r->id, "s00005") == 0;
        assert_int_equal(r->error != NULL, refused);
        if (refused) assert_int_equal(r->error_permanent, 1);
    }
    eval_run_data_free(&run);
    // A plain re-run does not send them again; --retry-failed does.
    int before = eval_fake_server_total(f->server);
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(eval_fake_server_total(f->server), before);
    assert_int_equal(result.errors_left, 2);
    options.retry_failed = 1;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(eval_fake_server_total(f->server), before + 2);
    assert_int_equal(result.errors_left, 2);
    free(out);
}

static void test_transport_failures_are_asked_again(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "refused-connection");
    EvalRunOptions options;
    options_for(&options, f, out, "openai:fake@http://127.0.0.1:1/v1");
    options.limit = 3;
    EvalRunResult result;
    Error err = {{0}};
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.errors_left, 3);
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.evaluated, 3); // asked again, not skipped
    assert_int_equal(result.skipped, 0);
    assert_int_equal(result.errors_left, 3);
    char *predictions = path_join(out, "predictions.jsonl");
    assert_int_equal(count_lines(predictions), 3);
    free(predictions);
    free(out);
}

static void test_report_html_is_bounded(void **state) {
    Fixture *f = *state;
    EvalRunData run;
    memset(&run, 0, sizeof run);
    snprintf(run.info.name, sizeof run.info.name, "chatty");
    run.records.items = calloc(3, sizeof *run.records.items);
    run.records.count = run.records.capacity = 3;
    size_t reply_size = (size_t)4 << 20;
    for (int i = 0; i < 3; i++) {
        EvalRecord *r = &run.records.items[i];
        char id[16];
        snprintf(id, sizeof id, "s%05d", i);
        r->id = string_duplicate(id);
        r->raw = malloc(reply_size + 1);
        for (size_t k = 0; k < reply_size; k++) r->raw[k] = (char)("<&\xe2\x82\xac\xff"[k % 6]);
        r->raw[reply_size] = 0;
    }
    ReportOptions options;
    report_options_default(&options);
    options.thumbnail_pixels = 0;
    char *html = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&html, &size);
    Error err = {{0}};
    assert_int_equal(report_html_write(out, &run, 1, NULL, &options, &err), 0);
    fclose(out);
    assert_true(size < 64 * 1024); // 12 MB of replies
    assert_true(utf8_is_valid(html, size, NULL));
    assert_non_null(strstr(html, "more bytes in predictions.jsonl"));
    free(html);
    eval_run_data_free(&run);
    (void)f;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_eval_on_a_locked_folder_refuses),
        cmocka_unit_test(test_readers_keep_each_id_once),
        cmocka_unit_test(test_refused_key_is_asked_again_and_leaves_errors_counted),
        cmocka_unit_test(test_transport_failures_are_asked_again),
        cmocka_unit_test(test_report_html_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

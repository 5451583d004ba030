// test_eval_run.c — `iar eval` as a library call with the baselines: scores of `all` and `random`, the
// run folder, resuming, torn-line repair, --ids/--limit, and a clear error for a mismatched folder.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/files.h"
#include "eval/baseline.h"
#include "eval/eval.h"
#include "eval/summary.h"
#include "support/eval_fixture.h"

typedef struct Fixture {
    char *dir;
    char *data;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = eval_fixture_dir("run");
    EvalFixtureOptions options = {.count = 56, .pixels = 8};
    f->data = eval_fixture_dataset(f->dir, &options);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    eval_fixture_remove(f->dir);
    free(f->dir);
    free(f->data);
    free(f);
    return 0;
}

static char *run_dir(const Fixture *f, const char *name) {
    char *path = path_join(f->dir, name);
    assert_non_null(path);
    return path;
}

static void run_baseline(const Fixture *f, const char *model, const char *out, EvalRunResult *result) {
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = model;
    options.out_dir = out;
    Error err = {{0}};
    if (eval_run(&options, NULL, result, &err) != 0) fail_msg("eval_run: %s", err.message);
}

static size_t count_lines(const char *path) {
    char *text = NULL;
    size_t size = 0, lines = 0;
    assert_int_equal(file_read_all(path, 0, &text, &size, NULL), 0);
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

static void test_all_baseline_scores_zero(void **state) {
    Fixture *f = *state;
    char *out = run_dir(f, "all");
    EvalRunResult result;
    run_baseline(f, "all", out, &result);
    assert_int_equal(result.evaluated, 56);
    EvalRunData run;
    Error err;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    const EvalSummary *s = &run.summary;
    assert_int_equal(s->samples, 56);
    assert_int_equal(s->parse_failures, 0);
    assert_int_equal(s->format_ok, 56);
    assert_float_equal(s->mean[SUMMARY_OVERALL][SCORE_EXACT], 0.0, 0);
    assert_float_equal(s->mean[SUMMARY_OVERALL][SCORE_PROP], 0.0, 0);
    assert_true(s->mean[SUMMARY_OVERALL][SCORE_JACCARD] > 0.0);
    for (int d = 0; d < DIMENSION_COUNT; d++) assert_int_equal(s->count[d], 14);
    // the random-guess baseline is exact: every gold set is non-empty, so 1/15
    assert_float_equal(s->random_mean[SUMMARY_OVERALL][SCORE_EXACT], 1.0 / 15, 1e-12);
    for (size_t i = 0; i < run.records.count; i++) assert_int_equal(run.records.items[i].predicted, ANSWER_SET_ALL);
    eval_run_data_free(&run);
    const char *files[] = {"summary.json", "report.md", "report.html", "run.json", "predictions.jsonl"};
    for (int i = 0; i < 5; i++) {
        char *p = path_join(out, files[i]);
        assert_true(file_exists(p));
        free(p);
    }
    free(out);
}

static void test_random_baseline_matches_its_guesses(void **state) {
    Fixture *f = *state;
    char *out = run_dir(f, "random");
    EvalRunResult result;
    run_baseline(f, "random", out, &result);
    EvalRunData run;
    Error err;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    double exact = 0;
    for (size_t i = 0; i < run.records.count; i++) {
        const EvalRecord *r = &run.records.items[i];
        assert_int_equal(r->predicted, baseline_random_guess(0, r->id));
        assert_int_equal(r->parse, ANSWER_PARSED_TAGGED);
        exact += r->predicted == r->gold;
    }
    assert_float_equal(run.summary.mean[SUMMARY_OVERALL][SCORE_EXACT], exact / 56, 1e-12);
    eval_run_data_free(&run);
    free(out);
}

static void test_rerun_resumes_without_duplicates(void **state) {
    Fixture *f = *state;
    char *out = run_dir(f, "resume");
    EvalRunResult result;
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = "random";
    options.out_dir = out;
    options.limit = 20;
    Error err;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.evaluated, 20);
    char *predictions = path_join(out, "predictions.jsonl");
    // Tear the last line as a SIGKILL mid-write would.
    char *text = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(predictions, 0, &text, &size, NULL), 0);
    assert_int_equal(file_write_atomic(predictions, text, size - 7, NULL), 0);
    free(text);
    options.limit = 0;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.skipped, 19);
    assert_int_equal(result.evaluated, 37);
    assert_int_equal(count_lines(predictions), 56);
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.evaluated, 0);
    assert_int_equal(result.skipped, 56);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    assert_int_equal(run.records.count, 56);
    for (size_t i = 0; i < run.records.count; i++)
        for (size_t j = i + 1; j < run.records.count; j++) assert_string_not_equal(run.records.items[i].id, run.records.items[j].id);
    eval_run_data_free(&run);
    // Other settings in the same folder are refused too: a run never mixes them.
    options.backend.seed = 9;
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "--seed 0"));
    options.backend.seed = 0;
    // A different model in the same folder is refused with a clear message.
    options.model_spec = "all";
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "holds a run of random"));
    free(predictions);
    free(out);
}

static void test_ids_file_and_limit(void **state) {
    Fixture *f = *state;
    char *out = run_dir(f, "ids");
    char *ids = path_join(f->dir, "ids.txt");
    assert_int_equal(file_write_atomic(ids, "s00003\n\ns00007\r\ns00003\n# comment\ns00011\n", 40, NULL), 0);
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = "all";
    options.out_dir = out;
    options.ids_path = ids;
    options.limit = 2;
    EvalRunResult result;
    Error err;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.selected, 2);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    assert_int_equal(run.records.count, 2);
    assert_string_equal(run.records.items[0].id, "s00003");
    assert_string_equal(run.records.items[1].id, "s00007");
    eval_run_data_free(&run);
    assert_int_equal(file_write_atomic(ids, "s00003\nnope\n", 12, NULL), 0);
    char *out2 = run_dir(f, "ids2");
    options.out_dir = out2;
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "ids.txt:2: id 'nope'"));
    free(out2);
    free(ids);
    free(out);
}

static void test_bad_inputs_fail_clearly(void **state) {
    Fixture *f = *state;
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = f->data;
    options.model_spec = "gpt-4o";
    char *out = run_dir(f, "bad");
    options.out_dir = out;
    EvalRunResult result;
    Error err;
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "unknown model"));
    options.model_spec = "random";
    options.data_path = "/nonexistent/data.jsonl";
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_true(err.message[0] != 0);
    free(out);
}

static void test_predictions_roundtrip(void **state) {
    (void)state;
    Sample sample = {.id = "x1", .dimension = DIMENSION_LIGHTING, .answer = 0x0a};
    BackendResult result = {.text = "<think>t</think><answer>B</answer>", .prompt_tokens = 12, .completion_tokens = 3,
                            .latency_seconds = 0.25, .attempts = 2, .has_evidence = 1,
                            .evidence = {0.01f, 0.987654f, 0.5f, 0.0f}};
    EvalRecord record, back;
    Error err;
    assert_int_equal(eval_record_from_result(&record, &sample, &result, &err), 0);
    assert_float_equal(record.scores[SCORE_PROP], 0.5, 1e-12);
    char *line = eval_record_to_json(&record);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    assert_int_equal(eval_record_from_json(&back, line, &err), 0);
    assert_string_equal(back.id, "x1");
    assert_int_equal(back.dimension, DIMENSION_LIGHTING);
    assert_int_equal(back.gold, 0x0a);
    assert_int_equal(back.predicted, 0x02);
    assert_int_equal(back.attempts, 2);
    assert_int_equal(back.prompt_tokens, 12);
    assert_float_equal(back.scores[SCORE_OPTION], 0.75, 1e-12);
    assert_int_equal(back.has_evidence, 1); // kept to 4 decimals
    assert_float_equal(back.evidence[1], 0.9877, 1e-6);
    assert_float_equal(back.evidence[3], 0.0, 0);
    free(line);
    eval_record_clear(&back);
    // a line without evidence (another backend, or written before it existed) has none
    assert_int_equal(eval_record_from_json(&back, "{\"id\":\"x2\",\"gold\":[\"B\"],\"parse\":\"failed\"}", &err), 0);
    assert_int_equal(back.has_evidence, 0);
    eval_record_clear(&back);
    eval_record_clear(&record);
    // a failed request scores 0 and counts as a parse failure, never a guess
    BackendResult failed = {.text = NULL, .error = "HTTP 500 (after 7 attempts)", .attempts = 7};
    assert_int_equal(eval_record_from_result(&record, &sample, &failed, &err), 0);
    assert_int_equal(record.parse, ANSWER_PARSE_FAILED);
    for (int k = 0; k < SCORE_KIND_COUNT; k++) assert_float_equal(record.scores[k], 0.0, 0);
    eval_record_clear(&record);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predictions_roundtrip),
        cmocka_unit_test(test_all_baseline_scores_zero),
        cmocka_unit_test(test_random_baseline_matches_its_guesses),
        cmocka_unit_test(test_rerun_resumes_without_duplicates),
        cmocka_unit_test(test_ids_file_and_limit),
        cmocka_unit_test(test_bad_inputs_fail_clearly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

// test_eval_resume.c — kill-and-resume: an eval is SIGKILLed mid-run (twice, at different moments),
// then re-run; every id ends in predictions.jsonl exactly once, with its correct answer.
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/files.h"
#include "eval/eval.h"
#include "eval/summary.h"
#include "support/eval_fake_server.h"
#include "support/eval_fixture.h"

#define SAMPLES 60

static void question(size_t index, char *buffer, size_t size) {
    AnswerSet gold = eval_fixture_gold(index);
    char letters[8] = "";
    for (int b = 0; b < 4; b++)
        if (gold & (1u << b)) snprintf(letters + strlen(letters), sizeof letters - strlen(letters), "%c", 'A' + b);
    snprintf(buffer, size, "[[id=s%05zu mode=ok sleep=25 answer=%s]]", index, letters);
}

static size_t count_complete_lines(const char *path) {
    char *text = NULL;
    size_t size = 0, lines = 0;
    if (file_read_all(path, 0, &text, &size, NULL) != 0) return 0;
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

static void test_kill_and_resume(void **state) {
    (void)state;
    char *dir = eval_fixture_dir("resume");
    EvalFixtureOptions fixture = {.count = SAMPLES, .pixels = 8, .question = question};
    char *data = eval_fixture_dataset(dir, &fixture);
    EvalFakeServer *server = eval_fake_server_start(100);
    assert_non_null(server);
    char model[128];
    snprintf(model, sizeof model, "openai:fake@http://127.0.0.1:%d/v1", eval_fake_server_port(server));
    char *out = path_join(dir, "run"), *predictions = path_join(out, "predictions.jsonl");
    EvalRunOptions options;
    eval_run_options_default(&options);
    options.data_path = data;
    options.model_spec = model;
    options.out_dir = out;
    options.backend.concurrency = 2;
    options.backend.timeout_seconds = 5;

    // Kill once a few more lines have appeared (polling, so a loaded machine does not make it flaky).
    const size_t kill_after_new_lines[2] = {5, 9};
    size_t previous = 0;
    for (int round = 0; round < 2; round++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            EvalRunResult result;
            Error err;
            _exit(eval_run(&options, NULL, &result, &err) == 0 ? 0 : 1);
        }
        for (int waited = 0; waited < 4000 && count_complete_lines(predictions) < previous + kill_after_new_lines[round]; waited++)
            usleep(2500);
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        assert_true(WIFSIGNALED(status)); // killed mid-run, not finished
        size_t lines = count_complete_lines(predictions);
        assert_true(lines > previous && lines < SAMPLES);
        previous = lines;
    }
    EvalRunResult result;
    Error err = {{0}};
    if (eval_run(&options, NULL, &result, &err) != 0) fail_msg("resume: %s", err.message);
    assert_true(result.skipped >= previous - 1 && result.skipped <= previous);
    assert_int_equal(result.skipped + result.evaluated, SAMPLES);
    assert_int_equal(count_complete_lines(predictions), SAMPLES);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    int seen[SAMPLES] = {0};
    for (size_t i = 0; i < run.records.count; i++) {
        const EvalRecord *r = &run.records.items[i];
        int index = atoi(r->id + 1);
        assert_true(index >= 0 && index < SAMPLES);
        seen[index]++;
        assert_null(r->error);
        assert_int_equal(r->predicted, r->gold);
    }
    for (int i = 0; i < SAMPLES; i++) assert_int_equal(seen[i], 1);
    assert_float_equal(run.summary.mean[SUMMARY_OVERALL][SCORE_EXACT], 1.0, 0);
    eval_run_data_free(&run);
    eval_fake_server_stop(server);
    eval_fixture_remove(dir);
    free(out);
    free(predictions);
    free(data);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_and_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
// The kills land within the first ~15 answers; the rest answer slowly (40 x 150 ms over 2 connections, ~3 s), so a
// parent descheduled for a moment on a loaded machine cannot miss the run's middle and find it complete.
#define FAST_SAMPLES 20

static void question(size_t index, char *buffer, size_t size) {
    AnswerSet gold = eval_fixture_gold(index);
    char letters[8] = "";
    for (int b = 0; b < 4; b++)
        if (gold & (1u << b)) snprintf(letters + strlen(letters), sizeof letters - strlen(letters), "%c", 'A' + b);
    snprintf(buffer, size, "[[id=s%05zu mode=ok sleep=%d answer=%s]]", index, index < FAST_SAMPLES ? 25 : 150, letters);
}

static size_t count_complete_lines(const char *path) {
    char *text = NULL;
    size_t size = 0, lines = 0;
    if (file_read_all(path, 0, &text, &size, NULL) != 0) return 0;
    for (size_t i = 0; i < size; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

// The fake server lives in its own process: the test forks eval children, and a fork taken while a server thread
// holds a lock (the allocator's, under ASan) hands the child a lock nobody will release.
static pid_t server_process_start(int *port) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        EvalFakeServer *server = eval_fake_server_start(100);
        int value = server ? eval_fake_server_port(server) : -1;
        ssize_t written = write(fds[1], &value, sizeof value);
        close(fds[1]);
        if (!server || written != (ssize_t)sizeof value) _exit(1);
        for (;;) pause();
    }
    close(fds[1]);
    ssize_t got = pid > 0 ? read(fds[0], port, sizeof *port) : -1;
    close(fds[0]);
    if (got != (ssize_t)sizeof *port || *port <= 0) {
        if (pid > 0) kill(pid, SIGKILL), waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void server_process_stop(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_kill_and_resume(void **state) {
    (void)state;
    char *dir = eval_fixture_dir("resume");
    EvalFixtureOptions fixture = {.count = SAMPLES, .pixels = 8, .question = question};
    char *data = eval_fixture_dataset(dir, &fixture);
    int port = 0;
    pid_t server = server_process_start(&port);
    assert_true(server > 0);
    char model[128];
    snprintf(model, sizeof model, "openai:fake@http://127.0.0.1:%d/v1", port);
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
        if (!(lines > previous && lines < SAMPLES))
            fail_msg("round %d: %zu answers after the kill, %zu before it (want more, and fewer than %d)", round, lines,
                     previous, SAMPLES);
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
    server_process_stop(server);
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

// test_eval_http.c — the OpenAI-compatible backend against a local misbehaving server: 429 with
// Retry-After, 500s, replies slower than the timeout, malformed JSON, dropped connections, persistent
// failures and unparseable answers. Every id ends exactly once with the right status; the key goes
// only into the Authorization header; a repeated run is served from the cache.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/files.h"
#include "core/progress.h"
#include "eval/eval.h"
#include "eval/openai.h"
#include "eval/summary.h"
#include "support/eval_fake_server.h"
#include "support/eval_fixture.h"

#define SAMPLES 24
#define MAX_RETRIES 3

// Behaviour per sample (index % 8) and the attempts it should take.
static const char *const MODES[8] = {"mode=ok", "mode=429 n=1 ra=1", "mode=500 n=2", "mode=slow n=1",
                                     "mode=malformed n=1", "mode=drop n=1", "mode=500 n=99", "mode=unparseable n=99"};
static const int ATTEMPTS[8] = {1, 2, 3, 2, 2, 2, MAX_RETRIES + 1, 1};

static void question(size_t index, char *buffer, size_t size) {
    AnswerSet gold = eval_fixture_gold(index);
    char letters[8] = "";
    for (int b = 0; b < 4; b++)
        if (gold & (1u << b)) snprintf(letters + strlen(letters), sizeof letters - strlen(letters), "%c", 'A' + b);
    snprintf(buffer, size, "Which are flawed? [[id=s%05zu %s answer=%s]]", index, MODES[index % 8], letters);
}

typedef struct Fixture {
    char *dir, *data;
    EvalFakeServer *server;
    char model[128];
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = eval_fixture_dir("http");
    EvalFixtureOptions options = {.count = SAMPLES, .pixels = 8, .question = question};
    f->data = eval_fixture_dataset(f->dir, &options);
    f->server = eval_fake_server_start(700);
    if (!f->server) return -1;
    snprintf(f->model, sizeof f->model, "openai:fake-vlm@http://127.0.0.1:%d/v1", eval_fake_server_port(f->server));
    setenv("IAR_TEST_FAKE_KEY", "sk-test-secret-4242", 1);
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

static void options_for(EvalRunOptions *options, const Fixture *f, const char *out, const char *cache) {
    eval_run_options_default(options);
    options->data_path = f->data;
    options->model_spec = f->model;
    options->out_dir = out;
    options->backend.concurrency = 4;
    options->backend.timeout_seconds = 0.4;
    options->backend.max_retries = MAX_RETRIES;
    options->backend.retry_base_seconds = 0.02;
    options->backend.retry_max_seconds = 2.0;
    options->backend.cache_path = cache;
    options->backend.api_key_env = "IAR_TEST_FAKE_KEY";
    options->price_in_per_million = 1.0;
    options->price_out_per_million = 2.0;
}

static int file_contains(const char *path, const char *needle) {
    char *text = NULL;
    if (file_read_all(path, 0, &text, NULL, NULL) != 0) return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

static void test_faults_end_once_with_right_status(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "run1"), *cache = path_join(f->dir, "cache.sqlite");
    EvalRunOptions options;
    options_for(&options, f, out, cache);
    EvalRunResult result;
    Error err = {{0}};
    Progress progress;
    progress_begin(&progress, "eval", 0, NULL, NULL);
    double start = time_now_seconds();
    if (eval_run(&options, &progress, &result, &err) != 0) fail_msg("eval_run: %s", err.message);
    double elapsed = time_now_seconds() - start;
    assert_true(elapsed >= 1.0); // the 429 with Retry-After: 1 was honoured
    assert_int_equal(progress.done, SAMPLES);
    assert_int_equal(result.evaluated, SAMPLES);
    assert_int_equal(result.failed, SAMPLES / 8); // the always-500 ids
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    assert_int_equal(run.records.count, SAMPLES);
    int seen[SAMPLES] = {0};
    for (size_t i = 0; i < run.records.count; i++) {
        const EvalRecord *r = &run.records.items[i];
        int index = atoi(r->id + 1);
        assert_true(index >= 0 && index < SAMPLES);
        seen[index]++;
        int mode = index % 8;
        // libcurl itself resends once when a reused connection is dropped, so a drop may cost 1 or 2 of ours.
        if (r->attempts != ATTEMPTS[mode] && !(mode == 5 && r->attempts == 1)) fail_msg("%s (%s): %d attempts, expected %d", r->id, MODES[mode], r->attempts, ATTEMPTS[mode]);
        assert_int_equal(eval_fake_server_requests(f->server, r->id), ATTEMPTS[mode]);
        if (mode == 6) {
            assert_non_null(r->error);
            assert_non_null(strstr(r->error, "HTTP 500"));
            assert_int_equal(r->parse, ANSWER_PARSE_FAILED);
            assert_null(r->raw);
        } else if (mode == 7) {
            assert_null(r->error);
            assert_non_null(r->raw);
            assert_int_equal(r->parse, ANSWER_PARSE_FAILED);
            assert_float_equal(r->scores[SCORE_EXACT], 0.0, 0);
        } else {
            if (r->error) fail_msg("%s (%s): %s", r->id, MODES[mode], r->error);
            assert_int_equal(r->parse, ANSWER_PARSED_TAGGED);
            assert_int_equal(r->predicted, r->gold);
            assert_int_equal(r->prompt_tokens, 1000);
            assert_int_equal(r->completion_tokens, 20);
        }
        assert_int_equal(r->cached, 0);
    }
    for (int i = 0; i < SAMPLES; i++) assert_int_equal(seen[i], 1);
    const EvalSummary *s = &run.summary;
    assert_int_equal(s->request_errors, 3);
    assert_int_equal(s->parse_failures, 6);
    assert_float_equal(s->mean[SUMMARY_OVERALL][SCORE_EXACT], 18.0 / 24.0, 1e-12);
    assert_int_equal(s->prompt_tokens, 21 * 1000);
    assert_float_equal(s->cost_usd, (21 * 1000 * 1.0 + 21 * 20 * 2.0) / 1e6, 1e-12);
    eval_run_data_free(&run);

    // The key went into the Authorization header, and nowhere into the run folder.
    char authorization[256];
    eval_fake_server_last_authorization(f->server, authorization, sizeof authorization);
    assert_string_equal(authorization, "Bearer sk-test-secret-4242");
    const char *files[] = {"predictions.jsonl", "run.json", "summary.json", "report.md", "report.html"};
    for (int i = 0; i < 5; i++) {
        char *p = path_join(out, files[i]);
        assert_true(file_exists(p));
        assert_false(file_contains(p, "sk-test-secret"));
        free(p);
    }

    // A repeated run (new folder, same cache) sends only the requests that failed before.
    int before = eval_fake_server_total(f->server);
    char *out2 = path_join(f->dir, "run2");
    options.out_dir = out2;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(eval_fake_server_total(f->server) - before, (SAMPLES / 8) * (MAX_RETRIES + 1));
    assert_int_equal(eval_run_data_load(&run, out2, &err), 0);
    size_t cached = 0;
    for (size_t i = 0; i < run.records.count; i++) cached += run.records.items[i].cached;
    assert_int_equal(cached, SAMPLES - SAMPLES / 8);
    assert_float_equal(run.summary.mean[SUMMARY_OVERALL][SCORE_EXACT], 18.0 / 24.0, 1e-12);
    eval_run_data_free(&run);

    // --retry-failed re-runs only the failed ids, and each id still appears once.
    options.retry_failed = 1;
    before = eval_fake_server_total(f->server);
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.evaluated, SAMPLES / 8);
    assert_int_equal(eval_run_data_load(&run, out2, &err), 0);
    assert_int_equal(run.records.count, SAMPLES);
    eval_run_data_free(&run);
    free(out2);
    free(out);
    free(cache);
}

static void test_connection_refused_is_an_error_per_id(void **state) {
    Fixture *f = *state;
    char *out = path_join(f->dir, "refused");
    EvalRunOptions options;
    options_for(&options, f, out, NULL);
    options.model_spec = "openai:fake@http://127.0.0.1:1/v1";
    options.limit = 3;
    options.backend.max_retries = 1;
    EvalRunResult result;
    Error err;
    assert_int_equal(eval_run(&options, NULL, &result, &err), 0);
    assert_int_equal(result.failed, 3);
    EvalRunData run;
    assert_int_equal(eval_run_data_load(&run, out, &err), 0);
    for (size_t i = 0; i < run.records.count; i++) {
        assert_non_null(run.records.items[i].error);
        assert_int_equal(run.records.items[i].attempts, 2);
    }
    eval_run_data_free(&run);
    free(out);
}

static void question_401(size_t index, char *buffer, size_t size) {
    snprintf(buffer, size, "[[id=k%05zu mode=401 n=99]]", index);
}

// A refused key stops the run early with a message naming the variable; nothing is lost, and the run
// resumes once the key is fixed.
static void test_refused_key_stops_the_run(void **state) {
    Fixture *f = *state;
    char *dir = path_join(f->dir, "key");
    EvalFixtureOptions fixture = {.count = 40, .pixels = 8, .question = question_401};
    char *data = eval_fixture_dataset(dir, &fixture);
    char *out = path_join(dir, "run");
    EvalRunOptions options;
    options_for(&options, f, out, NULL);
    options.data_path = data;
    EvalRunResult result;
    Error err;
    assert_int_equal(eval_run(&options, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "HTTP 401"));
    assert_non_null(strstr(err.message, "IAR_TEST_FAKE_KEY"));
    assert_null(strstr(err.message, "sk-test-secret"));
    assert_true(result.evaluated >= 1 && result.evaluated <= 4); // only what was in flight
    free(out);
    free(data);
    free(dir);
}

static void test_missing_key_for_openai_is_refused(void **state) {
    (void)state;
    Backend backend;
    BackendOptions options;
    backend_options_default(&options);
    options.api_key_env = "IAR_TEST_NO_SUCH_KEY";
    Error err;
    assert_int_equal(backend_open(&backend, "openai:gpt-4o", &options, &err), -1);
    assert_non_null(strstr(err.message, "IAR_TEST_NO_SUCH_KEY"));
    assert_int_equal(backend_open(&backend, "openai:gpt-4o@ftp://x", &options, &err), -1);
    assert_int_equal(backend_open(&backend, "openai:@http://x", &options, &err), -1);
}

static void test_retry_delay_policy(void **state) {
    (void)state;
    BackendOptions options;
    backend_options_default(&options);
    for (int attempt = 1; attempt <= 10; attempt++) {
        double d = openai_retry_delay(&options, 5, attempt, 0);
        double nominal = options.retry_base_seconds * (1 << (attempt - 1));
        if (nominal > options.retry_max_seconds) nominal = options.retry_max_seconds;
        assert_true(d >= 0.5 * nominal && d < nominal);
        assert_float_equal(d, openai_retry_delay(&options, 5, attempt, 0), 0); // counter-based: reproducible
    }
    assert_true(openai_retry_delay(&options, 5, 1, 0) != openai_retry_delay(&options, 6, 1, 0));
    assert_float_equal(openai_retry_delay(&options, 5, 1, 30), 30, 0);   // Retry-After wins
    assert_float_equal(openai_retry_delay(&options, 5, 1, 3600), 60, 0); // but is capped
    assert_true(openai_status_retryable(429) && openai_status_retryable(503) && !openai_status_retryable(400) &&
                !openai_status_retryable(401));
}

static void test_response_parsing(void **state) {
    (void)state;
    char *text;
    int p, c;
    Error err;
    assert_int_equal(openai_response_parse("{\"choices\":[{\"message\":{\"content\":\"hi\"}}],\"usage\":{\"prompt_tokens\":5,"
                                           "\"completion_tokens\":2}}", &text, &p, &c, &err), 0);
    assert_string_equal(text, "hi");
    assert_int_equal(p, 5);
    free(text);
    assert_int_equal(openai_response_parse("{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                                           "{\"type\":\"text\",\"text\":\"b\"}]}}]}", &text, &p, &c, &err), 0);
    assert_string_equal(text, "ab");
    assert_int_equal(p, -1);
    free(text);
    assert_int_equal(openai_response_parse("{\"choices\":[", &text, &p, &c, &err), -1);
    assert_int_equal(openai_response_parse("{\"error\":{}}", &text, &p, &c, &err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_delay_policy),
        cmocka_unit_test(test_response_parsing),
        cmocka_unit_test(test_missing_key_for_openai_is_refused),
        cmocka_unit_test(test_faults_end_once_with_right_status),
        cmocka_unit_test(test_connection_refused_is_an_error_per_id),
        cmocka_unit_test(test_refused_key_stops_the_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

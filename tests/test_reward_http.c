// test_reward_http.c — the external GRPO reward client against a reward server started here: each
// completion is one POST carrying the documented fields and gets the server's reward back; a 5xx is
// retried then reported; a reply that is not JSON or too large, and a timeout, are errors naming the
// server.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "support/reward_server.h"
#include "train/reward_http.h"

static RewardServer *server;

static int server_setup(void **state) {
    (void)state;
    server = reward_server_start(0.25, 0.01); // reward = 0.25 + 0.01 per completion byte
    return server ? 0 : -1;
}

static int server_teardown(void **state) {
    (void)state;
    reward_server_stop(server);
    return 0;
}

static RewardHttp *client_open(int retries, double timeout_seconds) {
    RewardHttpOptions options;
    reward_http_options_default(&options);
    options.url = reward_server_url(server);
    options.retries = retries;
    options.timeout_seconds = timeout_seconds;
    options.retry_delay_seconds = 0.01;
    RewardHttp *client = NULL;
    Error err = {{0}};
    if (reward_http_open(&client, &options, &err) != 0) fail_msg("%s", err.message);
    return client;
}

static RewardHttpQuery query_for(const char *sample_id, const char *completion) {
    return (RewardHttpQuery){.prompt = "Which candidates have a lighting flaw?", .completion = completion,
                             .ground_truth = (AnswerSet)((1u << 1) | (1u << 3)), .dimension = "lighting",
                             .sample_id = sample_id};
}

static void test_each_completion_gets_the_server_reward(void **state) {
    (void)state;
    RewardHttp *client = client_open(0, 5);
    const char *completions[3] = {"<answer>B</answer>", "<think>the shadow of D is wrong</think><answer>B, D</answer>",
                                  "caf\xc3\xa9 \xff"}; // the last one is not valid UTF-8
    int before = reward_server_requests(server);
    for (int i = 0; i < 3; i++) {
        RewardHttpQuery query = query_for("s000042", completions[i]);
        double reward = -1;
        Error err = {{0}};
        if (reward_http_score(client, &query, &reward, &err) != 0) fail_msg("%s", err.message);
        size_t sent = i == 2 ? strlen("caf\xc3\xa9 \xef\xbf\xbd") : strlen(completions[i]); // U+FFFD for the bad byte
        assert_float_equal(reward, 0.25 + 0.01 * (double)sent, 1e-12);
    }
    assert_int_equal(reward_server_requests(server) - before, 3);
    // the last request carries every documented field
    char body[4096];
    reward_server_last_body(server, body, sizeof body);
    cJSON *json = cJSON_Parse(body);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItem(json, "prompt")->valuestring, "Which candidates have a lighting flaw?");
    assert_string_equal(cJSON_GetObjectItem(json, "completion")->valuestring, "caf\xc3\xa9 \xef\xbf\xbd");
    assert_string_equal(cJSON_GetObjectItem(json, "dimension")->valuestring, "lighting");
    assert_string_equal(cJSON_GetObjectItem(json, "sample_id")->valuestring, "s000042");
    const cJSON *truth = cJSON_GetObjectItem(json, "ground_truth");
    assert_int_equal(cJSON_GetArraySize(truth), 2);
    assert_string_equal(cJSON_GetArrayItem(truth, 0)->valuestring, "B");
    assert_string_equal(cJSON_GetArrayItem(truth, 1)->valuestring, "D");
    cJSON_Delete(json);
    reward_http_close(client);
}

// Scores one completion of `sample_id`, which must fail (the reward left alone); returns the
// requests it took.
static int requests_of_a_failure(RewardHttp *client, const char *sample_id, Error *err) {
    RewardHttpQuery query = query_for(sample_id, "<answer>B</answer>");
    double reward = -1;
    int before = reward_server_requests(server);
    assert_int_equal(reward_http_score(client, &query, &reward, err), -1);
    assert_true(reward == -1);
    return reward_server_requests(server) - before;
}

static void test_a_server_error_is_retried_then_reported(void **state) {
    (void)state;
    RewardHttp *client = client_open(2, 5);
    Error err = {{0}};
    assert_int_equal(requests_of_a_failure(client, "fail500", &err), 3);
    assert_non_null(strstr(err.message, reward_server_url(server)));
    assert_non_null(strstr(err.message, "HTTP 500"));
    assert_non_null(strstr(err.message, "3 attempts"));
    // a passing failure is retried away
    RewardHttpQuery query = query_for("flaky", "<answer>B</answer>");
    double reward = -1;
    if (reward_http_score(client, &query, &reward, &err) != 0) fail_msg("%s", err.message);
    assert_float_equal(reward, 0.25 + 0.01 * strlen("<answer>B</answer>"), 1e-12);
    reward_http_close(client);
}

static void test_a_reply_that_is_not_json_is_an_error(void **state) {
    (void)state;
    RewardHttp *client = client_open(2, 5);
    Error err = {{0}};
    assert_int_equal(requests_of_a_failure(client, "badjson", &err), 1); // a broken reply is not retried
    assert_non_null(strstr(err.message, "{\"reward\""));
    assert_non_null(strstr(err.message, "reward=1"));
    // nor is one over the size limit
    assert_int_equal(requests_of_a_failure(client, "huge", &err), 1);
    assert_non_null(strstr(err.message, "the reply is over 1048576 bytes"));
    // and the client still works after them
    RewardHttpQuery query = query_for("s1", "");
    double reward = -1;
    if (reward_http_score(client, &query, &reward, &err) != 0) fail_msg("%s", err.message);
    assert_float_equal(reward, 0.25, 1e-12);
    reward_http_close(client);
}

static void test_a_slow_server_times_out(void **state) {
    (void)state;
    RewardHttp *client = client_open(0, 0.2);
    Error err = {{0}};
    assert_int_equal(requests_of_a_failure(client, "slow", &err), 1);
    assert_non_null(strstr(err.message, "no reply within 0.2 s"));
    reward_http_close(client);
    // nobody listening: a connection error, after the retries
    RewardHttpOptions options;
    reward_http_options_default(&options);
    options.url = "http://127.0.0.1:1/reward";
    options.retries = 1;
    options.retry_delay_seconds = 0.01;
    assert_int_equal(reward_http_open(&client, &options, &err), 0);
    RewardHttpQuery query = query_for("s1", "<answer>B</answer>");
    double reward = -1;
    assert_int_equal(reward_http_score(client, &query, &reward, &err), -1);
    assert_non_null(strstr(err.message, "127.0.0.1:1"));
    assert_non_null(strstr(err.message, "2 attempts"));
    reward_http_close(client);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_completion_gets_the_server_reward),
        cmocka_unit_test(test_a_server_error_is_retried_then_reported),
        cmocka_unit_test(test_a_reply_that_is_not_json_is_an_error),
        cmocka_unit_test(test_a_slow_server_times_out),
    };
    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}

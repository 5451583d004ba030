// test_train_grpo_run.c — whole GRPO runs on a toy task with the tiny model: an SFT model that
// answers A, B, C or D about equally often, and a training set whose gold answer is always B.
// GRPO must raise the mean reward; a run stopped and resumed must end bit-for-bit where a straight
// run ends (reference policy, hard-case pool, optimizer and sampling included).
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>
#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
static void omp_set_num_threads(int n) { (void)n; }
#endif

#include "core/files.h"
#include "core/rng.h"
#include "core/utf8.h"
#include "image/image.h"
#include "support/reward_server.h"
#include "support/train_fixture.h"
#include "train/grpo.h"
#include "train/sft.h"

enum { TOY_SAMPLES = 16, TOY_SIZE = 16 };

static char *toy_dir;
static char *toy_init;     // the SFT checkpoint
static char *toy_grpo_data; // gold always B

static void toy_write_image(const char *dir, const char *name, uint64_t seed) {
    Image image;
    if (image_create(&image, TOY_SIZE, TOY_SIZE, 3, NULL) != 0) abort();
    Rng rng = rng_stream(seed, 0, RNG_PURPOSE_SYNTH);
    for (int i = 0; i < TOY_SIZE * TOY_SIZE * 3; i++) image.data[i] = (uint8_t)rng_next_int(&rng, 256);
    char *path = path_join(dir, name);
    Error err;
    if (image_save_png(&image, path, &err) != 0) fail_msg("%s", err.message);
    free(path);
    image_free(&image);
}

// SFT data: answer letter cycles A..D; GRPO data: the same samples, gold always B.
static void toy_write_jsonl(const char *path, int gold_always_b) {
    static const char *const dims[4] = {"deformation", "lighting", "placement", "extension"};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int s = 0; s < TOY_SAMPLES; s++) {
        char letter = gold_always_b ? 'B' : (char)('A' + s % 4);
        fprintf(f,
                "{\"id\":\"t%02d\",\"dimension\":\"%s\",\"original\":\"img/t%02d_o.png\",\"candidates\":"
                "[\"img/t%02d_a.png\",\"img/t%02d_b.png\",\"img/t%02d_c.png\",\"img/t%02d_d.png\"],"
                "\"answer\":[\"%c\"],\"rationale\":\"<think>one</think><answer>%c</answer>\"}\n",
                s, dims[s % 4], s, s, s, s, s, letter, letter);
    }
    fclose(f);
}

static int toy_setup(void **state) {
    (void)state;
    toy_dir = train_fixture_tempdir("grpo_run");
    char *img = path_join(toy_dir, "img");
    Error err;
    if (dir_create_all(img, &err) != 0) fail_msg("%s", err.message);
    const char letters[5] = {'o', 'a', 'b', 'c', 'd'};
    for (int s = 0; s < TOY_SAMPLES; s++)
        for (int i = 0; i < 5; i++) {
            char name[32];
            snprintf(name, sizeof name, "t%02d_%c.png", s, letters[i]);
            toy_write_image(img, name, (uint64_t)(s * 5 + i));
        }
    free(img);
    char *sft_data = path_join(toy_dir, "sft.jsonl");
    toy_grpo_data = path_join(toy_dir, "grpo.jsonl");
    toy_write_jsonl(sft_data, 0);
    toy_write_jsonl(toy_grpo_data, 1);
    toy_init = path_join(toy_dir, "sft");
    SftOptions sft;
    sft_options_default(&sft);
    sft.data_path = sft_data;
    sft.out_dir = toy_init;
    sft.config_name = "tiny";
    sft.vocab_size = 300;
    sft.steps = 60;
    sft.batch_size = 8;
    sft.learning_rate = 1e-2f;
    sft.warmup_steps = 5;
    sft.val_fraction = 0.0;
    sft.threads = 1;
    SftEvents events;
    memset(&events, 0, sizeof events);
    SftResult result;
    if (sft_train(&sft, &events, &result, &err) != 0) fail_msg("SFT of the toy model: %s", err.message);
    free(sft_data);
    return 0;
}

static int toy_teardown(void **state) {
    (void)state;
    train_fixture_remove(toy_dir);
    free(toy_dir);
    free(toy_init);
    free(toy_grpo_data);
    return 0;
}

static void toy_options(GrpoOptions *o, const char *out) {
    grpo_options_default(o);
    o->data_path = toy_grpo_data;
    o->init_dir = toy_init;
    o->out_dir = out;
    o->reward.accuracy = reward_find("exact");
    o->steps = 24;
    o->group_size = 8;
    o->prompts_per_step = 2;
    o->learning_rate = 3e-3f;
    o->warmup_steps = 0;
    o->loss.beta = 0.02f;
    o->iterations = 2;
    o->max_new_tokens = 16;
    o->save_every = 0;
    o->dump_every = 5;
    o->threads = 1;
}

static char *read_file_text(const char *dir, const char *name, size_t *size) {
    char *path = path_join(dir, name), *text = NULL;
    Error err;
    if (file_read_all(path, 0, &text, size, &err) != 0) fail_msg("%s", err.message);
    free(path);
    return text;
}

static void test_grpo_raises_the_reward_on_a_toy_task(void **state) {
    (void)state;
    char *out = path_join(toy_dir, "grpo");
    GrpoOptions o;
    toy_options(&o, out);
    GrpoResult result;
    Error err;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("grpo_train: %s", err.message);
    printf("mean reward: first 10 steps %.3f, last 10 steps %.3f\n", result.mean_reward_first10,
           result.mean_reward_last10);
    assert_int_equal(result.steps_done, 24);
    // reward = 0.5·format + exact (at most 1.5); the SFT policy answers B only part of the time
    assert_true(result.mean_reward_first10 < 1.0);
    if (!(result.mean_reward_last10 > result.mean_reward_first10 + 0.2 && result.mean_reward_last10 > 1.0))
        fail_msg("GRPO did not raise the reward: %.3f -> %.3f", result.mean_reward_first10, result.mean_reward_last10);
    const char *files[] = {"train_log.jsonl", "rollouts.jsonl", "curve.svg", "model.safetensors", "state.bin"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = path_join(out, files[i]);
        if (!file_exists(path)) fail_msg("missing %s", path);
        free(path);
    }
    // JSON readers refuse anything but UTF-8, whatever bytes the policy sampled
    for (int i = 0; i < 2; i++) {
        size_t size = 0;
        char *text = read_file_text(out, files[i], &size);
        assert_true(utf8_is_valid(text, size, NULL));
        free(text);
    }
    // a second run into the same folder without --resume is refused
    assert_int_equal(grpo_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "--resume"));
    free(out);
}


// Drops the wall-clock fields so two logs of the same run compare equal.
static void strip_timings(char *text) {
    const char *keys[] = {"\"rollout_seconds\":", "\"update_seconds\":", "\"hcm_seconds\":"};
    for (size_t k = 0; k < 3; k++)
        for (char *p = strstr(text, keys[k]); p; p = strstr(p + 1, keys[k]))
        {
            char *value = p + strlen(keys[k]), *end = value;
            while (*end && *end != ',' && *end != '}') end++;
            memmove(value, end, strlen(end) + 1);
        }
}

static void test_resume_continues_bit_for_bit(void **state) {
    (void)state;
    char *straight = path_join(toy_dir, "straight"), *resumed = path_join(toy_dir, "resumed");
    GrpoOptions o;
    GrpoResult result;
    Error err;
    toy_options(&o, straight);
    o.steps = 6;
    o.reward.accuracy = reward_find("dpa");
    o.hcm = 1;
    o.hcm_options.period = 2;
    o.hcm_options.rollouts = 2;
    o.hcm_options.subset = 4;
    o.learning_rate = 1e-3f;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("straight: %s", err.message);
    o.out_dir = resumed;
    o.stop_at = 3;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("first half: %s", err.message);
    assert_int_equal(result.steps_done, 3);
    o.stop_at = 0;
    o.resume = 1;
    o.learning_rate *= 2; // a changed option is refused
    assert_int_equal(grpo_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "--resume needs the same options"));
    o.learning_rate /= 2;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("resume: %s", err.message);
    assert_int_equal(result.steps_done, 3);
    size_t a_size, b_size;
    char *a = read_file_text(straight, "model.safetensors", &a_size);
    char *b = read_file_text(resumed, "model.safetensors", &b_size);
    assert_int_equal(a_size, b_size);
    assert_memory_equal(a, b, a_size);
    free(a);
    free(b);
    a = read_file_text(straight, "train_log.jsonl", &a_size);
    b = read_file_text(resumed, "train_log.jsonl", &b_size);
    strip_timings(a);
    strip_timings(b);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"event\":\"hcm\""));
    free(a);
    free(b);
    a = read_file_text(straight, "rollouts.jsonl", &a_size);
    b = read_file_text(resumed, "rollouts.jsonl", &b_size);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(straight);
    free(resumed);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name) {
    size_t size;
    char *text = read_file_text(from_dir, name, &size), *path = path_join(to_dir, name);
    Error err;
    if (file_write_atomic(path, text, size, &err) != 0) fail_msg("%s", err.message);
    free(text);
    free(path);
}

// A kill after step 3's log lines but before checkpoint 3 lands (simulated by putting checkpoint 2
// back): the resumed run redoes step 3, and every log still holds each step exactly once.
static void test_resume_after_a_lost_checkpoint_logs_each_step_once(void **state) {
    (void)state;
    char *straight = path_join(toy_dir, "straight-lost"), *resumed = path_join(toy_dir, "resumed-lost");
    char *saved = path_join(toy_dir, "checkpoint-2");
    const char *files[] = {"model.safetensors", "config.json", "tokenizer.json", "state.bin"};
    GrpoOptions o;
    GrpoResult result;
    Error err;
    toy_options(&o, straight);
    o.steps = 5;
    o.dump_every = 1;
    o.hcm = 1;
    o.hcm_options.period = 3; // a refresh opens step 4 (after update 3): its line must not repeat either
    o.hcm_options.rollouts = 2;
    o.hcm_options.subset = 4;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("straight: %s", err.message);
    o.out_dir = resumed;
    o.stop_at = 2;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("to step 2: %s", err.message);
    Error dir_err;
    assert_int_equal(dir_create_all(saved, &dir_err), 0);
    for (size_t i = 0; i < 4; i++) copy_file(resumed, saved, files[i]);
    o.resume = 1;
    o.stop_at = 3;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("to step 3: %s", err.message);
    for (size_t i = 0; i < 4; i++) copy_file(saved, resumed, files[i]); // checkpoint 3 never landed
    o.stop_at = 0;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("resume: %s", err.message);
    assert_int_equal(result.steps_done, 3);
    const char *logs[] = {"train_log.jsonl", "rollouts.jsonl"};
    for (size_t i = 0; i < 2; i++) {
        size_t a_size, b_size;
        char *a = read_file_text(straight, logs[i], &a_size), *b = read_file_text(resumed, logs[i], &b_size);
        strip_timings(a);
        strip_timings(b);
        assert_string_equal(a, b);
        // steps count updates from 1: the first line is step 1's, the last step 5's
        assert_non_null(strstr(a, "{\"step\":1,"));
        assert_null(strstr(a, "{\"step\":0,"));
        assert_non_null(strstr(a, "{\"step\":5,"));
        if (i == 1) { // rollouts: the field types of predictions.jsonl, never "B, C" or "(unparsed)"
            assert_non_null(strstr(a, "\"gold\":["));
            assert_non_null(strstr(a, "\"group_std\":"));
            assert_non_null(strstr(a, "\"rewards\":{\"format\":"));
            assert_null(strstr(a, "(unparsed)"));
            assert_true(strstr(a, "\"predicted\":[") || strstr(a, "\"predicted\":null"));
        }
        free(a);
        free(b);
    }
    free(straight);
    free(resumed);
    free(saved);
}

// Randomness is a hash of (seed, step, slot), never a shared stream: the thread count must not
// change a single bit of the trained model.
static void test_thread_count_does_not_change_the_run(void **state) {
    (void)state;
    char *one = path_join(toy_dir, "threads1"), *two = path_join(toy_dir, "threads2");
    GrpoOptions o;
    GrpoResult result;
    Error err;
    toy_options(&o, one);
    o.steps = 3;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("1 thread: %s", err.message);
    omp_set_num_threads(2);
    o.out_dir = two;
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("2 threads: %s", err.message);
    omp_set_num_threads(saved);
    size_t a_size, b_size;
    char *a = read_file_text(one, "model.safetensors", &a_size);
    char *b = read_file_text(two, "model.safetensors", &b_size);
    assert_int_equal(a_size, b_size);
    assert_memory_equal(a, b, a_size);
    free(a);
    free(b);
    free(one);
    free(two);
}

// --reward-url: the server's reward is every rollout's total (here a constant), one request per
// completion; a server that cannot be reached stops the run with an error naming it.
static void test_an_external_reward_replaces_the_total(void **state) {
    (void)state;
    RewardServer *server = reward_server_start(0.75, 0);
    assert_non_null(server);
    char *out = path_join(toy_dir, "external"), *unreachable = path_join(toy_dir, "unreachable");
    GrpoOptions o;
    GrpoResult result;
    Error err;
    toy_options(&o, out);
    o.steps = 2;
    o.reward_http.url = reward_server_url(server);
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("external reward: %s", err.message);
    assert_int_equal(reward_server_requests(server), 2 * o.prompts_per_step * o.group_size);
    assert_float_equal(result.first_reward_mean, 0.75, 1e-12);
    assert_float_equal(result.last_reward_mean, 0.75, 1e-12);
    size_t size;
    char *rollouts = read_file_text(out, "rollouts.jsonl", &size);
    assert_non_null(strstr(rollouts, "\"reward\":0.75"));
    free(rollouts);
    o.out_dir = unreachable;
    o.reward_http.url = "http://127.0.0.1:1/reward";
    o.reward_http.retries = 0;
    assert_int_equal(grpo_train(&o, NULL, &result, &err), -1);
    assert_non_null(strstr(err.message, "reward server http://127.0.0.1:1/reward"));
    reward_server_stop(server);
    free(out);
    free(unreachable);
}

// The sampler (KV-cache decode) and the trainer (full forward) score the same sampled tokens under
// the same weights at temperature 1: each step's logged gap is float rounding, and stays so when
// the rollouts are sampled at another temperature (the log-prob is the policy's, not the sampler's).
static void test_sampler_and_trainer_log_probs_agree(void **state) {
    (void)state;
    char *out = path_join(toy_dir, "logprob-gap");
    GrpoOptions o;
    GrpoResult result;
    Error err;
    toy_options(&o, out);
    o.steps = 3;
    o.temperature = 0.7f; // beta > 0 (toy_options): every group is forwarded, so every step measures
    if (grpo_train(&o, NULL, &result, &err) != 0) fail_msg("grpo_train: %s", err.message);
    size_t size;
    char *log = read_file_text(out, "train_log.jsonl", &size);
    int steps = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *json = cJSON_Parse(line);
        assert_non_null(json);
        const cJSON *gap_max = cJSON_GetObjectItemCaseSensitive(json, "logprob_gap_max");
        const cJSON *gap_mean = cJSON_GetObjectItemCaseSensitive(json, "logprob_gap_mean");
        if (!cJSON_GetObjectItemCaseSensitive(json, "event")) {
            if (!cJSON_IsNumber(gap_max) || !cJSON_IsNumber(gap_mean)) fail_msg("no log-prob gap in: %s", line);
            printf("step %d: log-prob gap max %.3g, mean %.3g\n", steps + 1, gap_max->valuedouble,
                   gap_mean->valuedouble);
            if (!(gap_max->valuedouble < 1e-3)) fail_msg("sampler and trainer disagree: %s", line);
            assert_true(gap_mean->valuedouble >= 0 && gap_mean->valuedouble <= gap_max->valuedouble);
            steps++;
        }
        cJSON_Delete(json);
    }
    assert_int_equal(steps, 3);
    free(log);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grpo_raises_the_reward_on_a_toy_task),
        cmocka_unit_test(test_resume_continues_bit_for_bit),
        cmocka_unit_test(test_resume_after_a_lost_checkpoint_logs_each_step_once),
        cmocka_unit_test(test_thread_count_does_not_change_the_run),
        cmocka_unit_test(test_an_external_reward_replaces_the_total),
        cmocka_unit_test(test_sampler_and_trainer_log_probs_agree),
    };
    return cmocka_run_group_tests(tests, toy_setup, toy_teardown);
}

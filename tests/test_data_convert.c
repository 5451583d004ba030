// test_data_convert.c — the conversational messages + images form: its exact layout, the round
// trip dataset -> messages -> dataset, reading ShareGPT and content-part variants, and refusals.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/files.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "support/data_fixture.h"
#include "text/prompt.h"

// A dataset exercising every optional field: rationale, custom question, meta, empty answer.
static char *write_dataset(const char *dir, const char *name) {
    char *l1 = data_fixture_line("s1", "lighting", "[\"B\",\"D\"]");
    char *l1r = data_fixture_replace(l1, "}", ",\"rationale\":\"<think>A casts its shadow away from the lamp; "
                                              "B and D do not.</think><answer>B, D</answer>\",\"meta\":{\"light\":[0.5,-1]}}");
    char *l2 = data_fixture_line("s2", "extension", "[]");
    char *l3 = data_fixture_line("s3", "deformation", "[\"A\",\"B\",\"C\",\"D\"]");
    char *l3q = data_fixture_replace(l3, "}", ",\"question\":\"Which boxes are \\\"warped\\\"?\\nList them.\"}");
    char *l4 = data_fixture_line("s4", "placement", "[\"C\"]");
    // The template's own question, written out explicitly, must stay explicit.
    char *template_question = prompt_question_text(NULL, DIMENSION_PLACEMENT);
    char *l4q_field = NULL;
    assert_true(asprintf(&l4q_field, ",\"question\":\"%s\"}", template_question) > 0);
    char *l4q = data_fixture_replace(l4, "}", l4q_field);
    free(l4);
    free(l4q_field);
    free(template_question);
    l4 = l4q;
    char *text = malloc(strlen(l1r) + strlen(l2) + strlen(l3q) + strlen(l4) + 8);
    sprintf(text, "%s\n%s\n%s\n%s\n", l1r, l2, l3q, l4);
    data_fixture_write(dir, name, text);
    free(text);
    free(l1);
    free(l1r);
    free(l2);
    free(l3);
    free(l3q);
    free(l4);
    return data_fixture_path(dir, name);
}

static void assert_same_samples(const char *path_a, const char *path_b) {
    Dataset a, b;
    Error err = {{0}};
    if (dataset_load(&a, path_a, &err) != 0) fail_msg("%s", err.message);
    if (dataset_load(&b, path_b, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        char *x = sample_to_json(&a.samples[i]), *y = sample_to_json(&b.samples[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    dataset_free(&a);
    dataset_free(&b);
}

static void test_round_trip_keeps_every_field(void **state) {
    DataScratch *s = *state;
    char *data = write_dataset(s->dir, "data.jsonl");
    char *messages = data_fixture_path(s->dir, "messages.jsonl");
    char *back = data_fixture_path(s->dir, "back.jsonl");
    Error err = {{0}};
    size_t written = 0;
    ConvertOptions options = {0};
    if (convert_file_to_messages(data, messages, &options, &written, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(written, 4);
    if (convert_file_from_messages(messages, back, &written, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(written, 4);
    assert_same_samples(data, back);
    // With a system message, and with content as parts, the round trip is the same.
    options.system_prompt = 1;
    assert_int_equal(convert_file_to_messages(data, messages, &options, &written, &err), 0);
    assert_int_equal(convert_file_from_messages(messages, back, &written, &err), 0);
    assert_same_samples(data, back);
    options.content_parts = 1;
    assert_int_equal(convert_file_to_messages(data, messages, &options, &written, &err), 0);
    char *text;
    assert_int_equal(file_read_all(messages, 0, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "{\"role\":\"user\",\"content\":[{\"type\":\"image\"},{\"type\":\"image\"},"
                                 "{\"type\":\"image\"},{\"type\":\"image\"},{\"type\":\"image\"},{\"type\":\"text\","
                                 "\"text\":\"The first image"));
    assert_null(strstr(text, "<image>"));
    free(text);
    assert_int_equal(convert_file_from_messages(messages, back, &written, &err), 0);
    assert_same_samples(data, back);
    free(data);
    free(messages);
    free(back);
}

static void test_messages_layout(void **state) {
    DataScratch *s = *state;
    char *data = write_dataset(s->dir, "data.jsonl");
    // Written into a sub-folder, the image paths are rewritten relative to it.
    char *messages = data_fixture_path(s->dir, "out/messages.jsonl");
    char *out_dir = data_fixture_path(s->dir, "out");
    Error err = {{0}};
    assert_int_equal(dir_create_all(out_dir, &err), 0);
    ConvertOptions options = {0};
    assert_int_equal(convert_file_to_messages(data, messages, &options, NULL, &err), 0);
    char *text;
    assert_int_equal(file_read_all(messages, 0, &text, NULL, &err), 0);
    char *first_end = strchr(text, '\n');
    *first_end = 0;
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON *list = cJSON_GetObjectItem(root, "messages");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON *user = cJSON_GetArrayItem(list, 0), *assistant = cJSON_GetArrayItem(list, 1);
    assert_string_equal(cJSON_GetObjectItem(user, "role")->valuestring, "user");
    const char *question = cJSON_GetObjectItem(user, "content")->valuestring;
    assert_memory_equal(question, "<image><image><image><image><image>The first image", 50);
    assert_non_null(strstr(question, "Physical Lighting and Shadow"));
    assert_string_equal(cJSON_GetObjectItem(assistant, "role")->valuestring, "assistant");
    assert_non_null(strstr(cJSON_GetObjectItem(assistant, "content")->valuestring, "<answer>B, D</answer>"));
    cJSON *images = cJSON_GetObjectItem(root, "images");
    assert_int_equal(cJSON_GetArraySize(images), 5);
    assert_string_equal(cJSON_GetArrayItem(images, 0)->valuestring, "../img/o.png");
    assert_string_equal(cJSON_GetArrayItem(images, 4)->valuestring, "../img/d.png");
    assert_string_equal(cJSON_GetObjectItem(root, "id")->valuestring, "s1");
    assert_string_equal(cJSON_GetObjectItem(root, "dimension")->valuestring, "lighting");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "meta")));
    cJSON_Delete(root);
    // A sample without a rationale has the bare answer block as the assistant turn.
    root = cJSON_Parse(first_end + 1);
    assistant = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "messages"), 1);
    assert_string_equal(cJSON_GetObjectItem(assistant, "content")->valuestring, "<answer>none</answer>");
    cJSON_Delete(root);
    free(text);
    // Back from the sub-folder into the dataset's own folder: paths come home unchanged.
    char *back = data_fixture_path(s->dir, "back.jsonl");
    if (convert_file_from_messages(messages, back, NULL, &err) != 0) fail_msg("%s", err.message);
    assert_same_samples(data, back);
    // Absolute image paths, when asked for.
    options.absolute_images = 1;
    assert_int_equal(convert_file_to_messages(data, messages, &options, NULL, &err), 0);
    assert_int_equal(file_read_all(messages, 0, &text, NULL, &err), 0);
    char expected[600];
    snprintf(expected, sizeof expected, "\"images\":[\"%s/img/o.png\"", s->dir);
    if (s->dir[0] == '/' && !strstr(text, expected)) fail_msg("no absolute paths in %.300s", text);
    free(text);
    free(back);
    free(out_dir);
    free(messages);
    free(data);
}

static void test_reads_sharegpt_and_content_parts(void **state) {
    (void)state;
    Sample sample;
    Error err = {{0}};
    // ShareGPT, no dimension field: the dimension comes from the question's wording.
    const char *sharegpt =
        "{\"conversations\":[{\"from\":\"human\",\"value\":\"<image><image><image><image><image>Check Placement Layout.\"},"
        "{\"from\":\"gpt\",\"value\":\"<think>C floats.</think><answer>C</answer>\"}],"
        "\"image\":[\"o.png\",\"a.png\",\"b.png\",\"c.png\",\"d.png\"],\"id\":17}";
    if (convert_messages_to_sample(&sample, sharegpt, 3, &err) != 0) fail_msg("%s", err.message);
    assert_string_equal(sample.id, "17");
    assert_int_equal(sample.dimension, DIMENSION_PLACEMENT);
    assert_int_equal(sample.answer, 1 << 2);
    assert_string_equal(sample.question, "Check Placement Layout.");
    assert_string_equal(sample.rationale, "<think>C floats.</think><answer>C</answer>");
    assert_string_equal(sample.candidates[3], "d.png");
    sample_free(&sample);
    // TRL-style content parts, a system turn, no id (one is made from the line number).
    const char *parts =
        "{\"messages\":[{\"role\":\"system\",\"content\":\"be careful\"},{\"role\":\"user\",\"content\":["
        "{\"type\":\"image\"},{\"type\":\"image\"},{\"type\":\"image\"},{\"type\":\"image\"},{\"type\":\"image\"},"
        "{\"type\":\"text\",\"text\":\"Which are flawed?\"}]},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"<answer>A, D</answer>\"}]}],\"images\":[\"o.png\",\"a.png\",\"b.png\",\"c.png\",\"d.png\"],"
        "\"dimension\":\"extension\"}";
    if (convert_messages_to_sample(&sample, parts, 12, &err) != 0) fail_msg("%s", err.message);
    assert_string_equal(sample.id, "line000012");
    assert_int_equal(sample.dimension, DIMENSION_EXTENSION);
    assert_int_equal(sample.answer, 0x9);
    assert_null(sample.rationale); // a bare answer is not a chain of thought
    assert_string_equal(sample.question, "Which are flawed?");
    sample_free(&sample);
}

static void expect_record_error(const char *line, const char *expected) {
    Sample sample;
    Error err = {{0}};
    assert_int_equal(convert_messages_to_sample(&sample, line, 5, &err), -1);
    if (!strstr(err.message, expected)) fail_msg("error \"%s\" lacks \"%s\"", err.message, expected);
    assert_non_null(strstr(err.message, "line 5: "));
}

static void test_refuses_bad_records(void **state) {
    (void)state;
    const char *images = "\"images\":[\"o.png\",\"a.png\",\"b.png\",\"c.png\",\"d.png\"]";
    char line[1024];
    snprintf(line, sizeof line,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"<image><image><image><image><image>q\"},"
             "{\"role\":\"assistant\",\"content\":\"<think>hmm</think><answer>maybe E</answer>\"}],%s,"
             "\"dimension\":\"lighting\"}", images);
    expect_record_error(line, "no readable answer"); // never a guess
    snprintf(line, sizeof line,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"<image><image>q\"},"
             "{\"role\":\"assistant\",\"content\":\"<answer>B</answer>\"}],%s,\"dimension\":\"lighting\"}", images);
    expect_record_error(line, "5 image placeholders");
    snprintf(line, sizeof line,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
             "{\"role\":\"assistant\",\"content\":\"<answer>B</answer>\"}],%s}", images);
    expect_record_error(line, "no dimension named");
    expect_record_error("{\"messages\":[],\"images\":[\"o.png\"]}", "exactly 5 paths");
    snprintf(line, sizeof line, "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],%s,\"dimension\":\"lighting\"}", images);
    expect_record_error(line, "no assistant message");
    expect_record_error("[1]", "not a JSON object");
}

static void test_refuses_images_outside_and_wrong_rationale(void **state) {
    DataScratch *s = *state;
    // A messages file whose images lie above the output dataset's folder.
    const char *record =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"<image><image><image><image><image>q\"},"
        "{\"role\":\"assistant\",\"content\":\"<answer>B</answer>\"}],\"images\":[\"img/o.png\",\"img/a.png\","
        "\"img/b.png\",\"img/c.png\",\"img/d.png\"],\"dimension\":\"lighting\",\"id\":\"x\"}\n";
    data_fixture_write(s->dir, "m.jsonl", record);
    char *messages = data_fixture_path(s->dir, "m.jsonl");
    char *inside = data_fixture_path(s->dir, "inside.jsonl");
    char *below = data_fixture_path(s->dir, "deeper/out.jsonl");
    char *deeper = data_fixture_path(s->dir, "deeper");
    Error err = {{0}};
    assert_int_equal(dir_create_all(deeper, &err), 0);
    assert_int_equal(convert_file_from_messages(messages, inside, NULL, &err), 0);
    assert_int_equal(convert_file_from_messages(messages, below, NULL, &err), -1);
    assert_non_null(strstr(err.message, "m.jsonl:1: image 'img/o.png' is outside the output dataset's folder"));
    assert_false(file_exists(below)); // nothing half-written
    // Duplicate ids in the messages file are refused like in a dataset.
    char twice[2048];
    snprintf(twice, sizeof twice, "%s%s", record, record);
    data_fixture_write(s->dir, "m2.jsonl", twice);
    char *messages2 = data_fixture_path(s->dir, "m2.jsonl");
    assert_int_equal(convert_file_from_messages(messages2, inside, NULL, &err), -1);
    assert_non_null(strstr(err.message, "m2.jsonl:2: duplicate id 'x'"));
    // A rationale whose conclusion is not the gold answer cannot be exported.
    char *l = data_fixture_line("r1", "lighting", "[\"B\"]");
    char *lr = data_fixture_replace(l, "}", ",\"rationale\":\"<think>t</think><answer>C</answer>\"}");
    data_fixture_write(s->dir, "wrong.jsonl", lr);
    char *wrong = data_fixture_path(s->dir, "wrong.jsonl");
    char *out = data_fixture_path(s->dir, "wrong_messages.jsonl");
    ConvertOptions options = {0};
    assert_int_equal(convert_file_to_messages(wrong, out, &options, NULL, &err), -1);
    assert_non_null(strstr(err.message, "wrong.jsonl:1: sample r1: the rationale concludes C but the answer is B"));
    free(out);
    free(wrong);
    free(l);
    free(lr);
    free(messages2);
    free(deeper);
    free(below);
    free(inside);
    free(messages);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_keeps_every_field, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_messages_layout, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test(test_reads_sharegpt_and_content_parts),
        cmocka_unit_test(test_refuses_bad_records),
        cmocka_unit_test_setup_teardown(test_refuses_images_outside_and_wrong_rationale, data_fixture_setup, data_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

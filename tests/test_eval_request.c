// test_eval_request.c — SHA-256 (FIPS 180-4 vectors), the Chat Completions request body and its cache
// key, prompt templates, image data URLs, and the SQLite response cache.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/files.h"
#include "eval/cache.h"
#include "eval/hash.h"
#include "eval/openai.h"
#include "support/eval_fixture.h"

static void hex_of(const char *text, size_t repeat, char hex[65]) {
    Sha256 hash;
    uint8_t digest[32];
    sha256_begin(&hash);
    for (size_t i = 0; i < repeat; i++) sha256_update(&hash, text, strlen(text));
    sha256_finish(&hash, digest);
    sha256_hex(digest, hex);
}

static void test_sha256_vectors(void **state) {
    (void)state;
    char hex[65];
    hex_of("", 1, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 1, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    hex_of("a", 1000000, hex); // one million 'a', fed one byte at a time
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // length-prefixed fields keep ("ab","c") apart from ("a","bc")
    Sha256 h1, h2;
    uint8_t d1[32], d2[32];
    sha256_begin(&h1);
    sha256_update_field(&h1, "ab", 2);
    sha256_update_field(&h1, "c", 1);
    sha256_finish(&h1, d1);
    sha256_begin(&h2);
    sha256_update_field(&h2, "a", 1);
    sha256_update_field(&h2, "bc", 2);
    sha256_finish(&h2, d2);
    assert_memory_not_equal(d1, d2, 32);
}

typedef struct Fixture {
    char *dir, *data;
    Dataset dataset;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    f->dir = eval_fixture_dir("request");
    EvalFixtureOptions options = {.count = 3, .pixels = 8, .distinct_images = 1};
    f->data = eval_fixture_dataset(f->dir, &options);
    Error err;
    if (dataset_load(&f->dataset, f->data, &err) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    dataset_free(&f->dataset);
    eval_fixture_remove(f->dir);
    free(f->dir);
    free(f->data);
    free(f);
    return 0;
}

static void test_request_body_and_key(void **state) {
    Fixture *f = *state;
    ChatTemplate chat;
    Error err;
    assert_int_equal(chat_template_load(&chat, NULL, &err), 0);
    BackendOptions options;
    backend_options_default(&options);
    char *body = NULL, key[65], key2[65];
    const Sample *sample = &f->dataset.samples[0];
    assert_int_equal(openai_request_build(&body, key, "m1", "http://h/v1", &chat, &f->dataset, sample, &options, &err), 0);
    cJSON *root = cJSON_Parse(body);
    assert_non_null(root);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(root, "model")), "m1");
    cJSON *messages = cJSON_GetObjectItem(root, "messages");
    assert_int_equal(cJSON_GetArraySize(messages), 2);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(messages, 0), "role")), "system");
    cJSON *content = cJSON_GetObjectItem(cJSON_GetArrayItem(messages, 1), "content");
    int images = 0;
    cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(part, "type"));
        if (strcmp(type, "image_url") == 0) {
            const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(part, "image_url"), "url"));
            assert_int_equal(strncmp(url, "data:image/png;base64,iVBORw0KGgo", 33), 0); // the PNG bytes as they are
            images++;
        }
    }
    assert_int_equal(images, 5);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 0), "text")), "Appearance Deformation"));
    assert_float_equal(cJSON_GetObjectItem(root, "max_tokens")->valuedouble, 512, 0);
    cJSON_Delete(root);
    free(body);
    // the key is stable, and changes with the model, base URL, parameters, sample and images
    assert_int_equal(openai_request_build(&body, key2, "m1", "http://h/v1", &chat, &f->dataset, sample, &options, &err), 0);
    free(body);
    assert_string_equal(key, key2);
    assert_int_equal(openai_request_build(&body, key2, "m2", "http://h/v1", &chat, &f->dataset, sample, &options, &err), 0);
    free(body);
    assert_string_not_equal(key, key2);
    assert_int_equal(openai_request_build(&body, key2, "m1", "http://other/v1", &chat, &f->dataset, sample, &options, &err), 0);
    free(body);
    assert_string_not_equal(key, key2);
    options.temperature = 0.7f;
    assert_int_equal(openai_request_build(&body, key2, "m1", "http://h/v1", &chat, &f->dataset, sample, &options, &err), 0);
    free(body);
    assert_string_not_equal(key, key2);
    options.temperature = 0;
    assert_int_equal(openai_request_build(&body, key2, "m1", "http://h/v1", &chat, &f->dataset, &f->dataset.samples[1], &options, &err), 0);
    free(body);
    assert_string_not_equal(key, key2);
    // a missing image is a clear error naming the sample
    char *missing = path_join(f->dir, "img/0_3.png");
    assert_int_equal(remove(missing), 0);
    assert_int_equal(openai_request_build(&body, key2, "m1", "http://h/v1", &chat, &f->dataset, sample, &options, &err), -1);
    assert_non_null(strstr(err.message, "sample s00000"));
    free(missing);
    chat_template_free(&chat);
}

static void test_template_file(void **state) {
    Fixture *f = *state;
    char *path = path_join(f->dir, "template.txt");
    const char *text = "[system]\nYou grade images.\n[user]\nDimension {dimension} ({dimension_title}): {question}\n";
    assert_int_equal(file_write_atomic(path, text, strlen(text), NULL), 0);
    ChatTemplate chat;
    Error err;
    assert_int_equal(chat_template_load(&chat, path, &err), 0);
    assert_string_equal(chat.system, "You grade images.");
    Sample sample = {.id = "x", .dimension = DIMENSION_LIGHTING, .question = "Which?"};
    char *user = chat_template_user_text(&chat, &sample);
    assert_string_equal(user, "Dimension lighting (Physical Lighting and Shadow): Which?");
    free(user);
    chat_template_free(&chat);
    assert_int_equal(file_write_atomic(path, "no sections", 11, NULL), 0);
    assert_int_equal(chat_template_load(&chat, path, &err), -1);
    assert_non_null(strstr(err.message, "[system]"));
    free(path);
}

static void test_non_png_images_are_reencoded(void **state) {
    Fixture *f = *state;
    char *path = path_join(f->dir, "raw.ppm");
    const char ppm[] = "P6\n1 1\n255\n\x10\x20\x30";
    assert_int_equal(file_write_atomic(path, ppm, sizeof ppm - 1, NULL), 0);
    char *url = NULL;
    Error err;
    // Either re-encoded as PNG (when the decoder reads it) or refused with the file's name: never sent raw.
    if (image_file_data_url(path, &url, &err) == 0) assert_int_equal(strncmp(url, "data:image/png;base64,", 22), 0);
    else assert_non_null(strstr(err.message, "raw.ppm"));
    free(url);
    free(path);
}

static void test_response_cache(void **state) {
    Fixture *f = *state;
    char *path = path_join(f->dir, "cache.sqlite");
    ResponseCache *cache;
    Error err;
    assert_int_equal(response_cache_open(&cache, path, &err), 0);
    char *text = NULL;
    int p, c;
    assert_int_equal(response_cache_get(cache, "k1", &text, &p, &c, &err), 0);
    assert_int_equal(response_cache_put(cache, "k1", "<answer>B</answer>", 10, 3, &err), 0);
    response_cache_close(cache);
    assert_int_equal(response_cache_open(&cache, path, &err), 0); // persisted
    assert_int_equal(response_cache_get(cache, "k1", &text, &p, &c, &err), 1);
    assert_string_equal(text, "<answer>B</answer>");
    assert_int_equal(p, 10);
    assert_int_equal(c, 3);
    free(text);
    response_cache_close(cache);
    assert_int_equal(file_write_atomic(path, "not a database, just text that is long enough to be read", 56, NULL), 0);
    assert_int_equal(response_cache_open(&cache, path, &err), -1);
    assert_non_null(strstr(err.message, "--no-cache"));
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_request_body_and_key),
        cmocka_unit_test(test_template_file),
        cmocka_unit_test(test_non_png_images_are_reencoded),
        cmocka_unit_test(test_response_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

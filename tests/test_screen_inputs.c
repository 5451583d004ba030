// test_screen_inputs.c — what `iar screen` feeds the model: letterboxed (never stretched) images,
// image sets from a CSV or a folder of folders, and samples without an answer (parsed, written back,
// predicted with null gold and null scores, refused for training).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/files.h"
#include "data/dataset.h"
#include "data/image_sets.h"
#include "eval/eval.h"
#include "image/image.h"
#include "model/model.h"
#include "synth/contact_sheet.h"
#include "synth/synth.h"

static Image solid(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
    Image image;
    Error err = {{0}};
    assert_int_equal(image_create(&image, width, height, 3, &err), 0);
    for (int p = 0; p < width * height; p++) image.data[p * 3] = r, image.data[p * 3 + 1] = g, image.data[p * 3 + 2] = b;
    return image;
}

// A 2:1 white image in an 8x8 input: rows 2..5 white (1.0), rows 0-1 and 6-7 the mid-grey pad (0.0),
// every column filled; a 1:2 image is padded left and right instead.
static void test_letterbox_keeps_aspect(void **state) {
    (void)state;
    ModelConfig config = {.image_size = 8};
    Image wide = solid(40, 20, 255, 255, 255), tall = solid(10, 20, 255, 255, 255);
    const Image *images[MODEL_IMAGE_COUNT] = {&wide, &tall, &wide, &tall, &wide};
    float *out = malloc(sizeof(float) * MODEL_IMAGE_COUNT * 3 * 64);
    Error err = {{0}};
    assert_int_equal(model_prepare_images(&config, images, out, &err), 0);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                float expected_wide = y >= 2 && y < 6 ? 1.0f : 0.0f, expected_tall = x >= 2 && x < 6 ? 1.0f : 0.0f;
                assert_float_equal(out[(0 * 3 + c) * 64 + y * 8 + x], expected_wide, 1e-5);
                assert_float_equal(out[(1 * 3 + c) * 64 + y * 8 + x], expected_tall, 1e-5);
            }
    free(out);
    image_free(&wide);
    image_free(&tall);
}

// A square image fills the square: the same values as a plain resize.
static void test_letterbox_square_is_a_resize(void **state) {
    (void)state;
    ModelConfig config = {.image_size = 4};
    Image square = solid(16, 16, 0, 128, 255);
    for (int p = 0; p < 16 * 16; p++) square.data[p * 3] = (uint8_t)(p * 7);
    const Image *images[MODEL_IMAGE_COUNT] = {&square, &square, &square, &square, &square};
    float out[MODEL_IMAGE_COUNT * 3 * 16];
    Error err = {{0}};
    assert_int_equal(model_prepare_images(&config, images, out, &err), 0);
    Image resized;
    assert_int_equal(image_resize(&resized, &square, 4, 4, &err), 0);
    for (int p = 0; p < 16; p++)
        for (int c = 0; c < 3; c++)
            assert_float_equal(out[c * 16 + p], resized.data[p * 3 + c] * (2.0f / 255.0f) - 1.0f, 1e-6);
    image_free(&resized);
    image_free(&square);
}

static char *temp_dir(const char *name);
static void write_text(const char *dir, const char *name, const char *text);

// `iar show` letterboxes too: a 2:1 red image fills the tile's width and leaves grey bars above
// and below (tile 64 at (4, 17): bars 16 px high), and an unlabelled sample's gold is "unknown".
static void test_contact_sheet_letterboxes(void **state) {
    (void)state;
    char *dir = temp_dir("sheet");
    Image wide = solid(40, 20, 255, 0, 0);
    Error err = {{0}};
    char *path = path_join(dir, "w.png");
    assert_int_equal(image_save_png(&wide, path, &err), 0);
    write_text(dir, "data.jsonl",
               "{\"id\":\"w1\",\"dimension\":\"lighting\",\"original\":\"w.png\",\"candidates\":[\"w.png\",\"w.png\",\"w.png\",\"w.png\"]}\n");
    char *data = path_join(dir, "data.jsonl");
    Dataset dataset;
    assert_int_equal(dataset_load(&dataset, data, &err), 0);
    const Sample *rows[1] = {&dataset.samples[0]};
    Image sheet;
    if (contact_sheet_render(&sheet, &dataset, rows, 1, 64, &err) != 0) fail_msg("%s", err.message);
    const uint8_t *bar = sheet.data + ((size_t)(17 + 4) * sheet.width + (4 + 20)) * sheet.channels;
    const uint8_t *inside = sheet.data + ((size_t)(17 + 32) * sheet.width + (4 + 20)) * sheet.channels;
    assert_int_equal(bar[0], 128);
    assert_int_equal(bar[1], 128);
    assert_int_equal(inside[0], 255);
    assert_int_equal(inside[1], 0);
    image_free(&sheet);
    dataset_free(&dataset);
    image_free(&wide);
    free(data), free(path), free(dir);
    synth_release_static_data(); // the fonts the sheet's captions loaded (as `iar show` does)
}

static char *temp_dir(const char *name) {
    const char *base = getenv("IAR_TEST_TMP") ? getenv("IAR_TEST_TMP") : "/tmp";
    char *dir = malloc(512);
    snprintf(dir, 512, "%s/%s-%d", base, name, (int)getpid());
    Error err = {{0}};
    assert_int_equal(dir_create_all(dir, &err), 0);
    return dir;
}

static void write_text(const char *dir, const char *name, const char *text) {
    char *path = path_join(dir, name);
    Error err = {{0}};
    assert_int_equal(file_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static void test_sets_from_csv(void **state) {
    (void)state;
    char *dir = temp_dir("sets-csv");
    write_text(dir, "sets.csv",
               "Original,A,B,C,D,id,dimension\r\n"
               "o.png,a.png,\"b, with comma.png\",c.png,/abs/d.png,first,lighting\r\n"
               "\n"
               "o.png,a.png,b.png,c.png,d.png,,\r\n");
    char *csv = path_join(dir, "sets.csv");
    Dataset sets;
    Error err = {{0}};
    assert_int_equal(image_sets_load(&sets, csv, -1, &err), 0);
    // the first row names its dimension; the second is screened for all four
    assert_int_equal(sets.count, 1 + DIMENSION_COUNT);
    assert_string_equal(sets.samples[0].id, "first");
    assert_int_equal(sets.samples[0].dimension, DIMENSION_LIGHTING);
    assert_true(sets.samples[0].answer_unknown);
    assert_true(sets.samples[0].original[0] == '/');
    assert_non_null(strstr(sets.samples[0].candidates[1], "/b, with comma.png"));
    assert_string_equal(sets.samples[0].candidates[3], "/abs/d.png");
    assert_string_equal(sets.samples[1].id, "row000003:deformation");
    assert_string_equal(sets.samples[4].id, "row000003:extension");
    dataset_free(&sets);
    write_text(dir, "bad.csv", "original,a,b,c\nx,y,z,w\n");
    char *bad = path_join(dir, "bad.csv");
    assert_int_equal(image_sets_load(&sets, bad, -1, &err), -1);
    assert_non_null(strstr(err.message, "missing d"));
    free(bad);
    free(csv);
    free(dir);
}

static void test_sets_from_folders(void **state) {
    (void)state;
    char *dir = temp_dir("sets-dir");
    const char *names[] = {"two/original.JPG", "two/a.png", "two/b.png", "two/c.png", "two/d.jpeg",
                           "one/original.png", "one/a.png", "one/b.png", "one/c.png", "one/d.png",
                           "partial/original.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = path_join(dir, names[i]);
        char *parent = path_dirname(path);
        Error err = {{0}};
        assert_int_equal(dir_create_all(parent, &err), 0);
        write_text(dir, names[i], "x");
        free(parent);
        free(path);
    }
    Dataset sets;
    Error err = {{0}};
    assert_int_equal(image_sets_load(&sets, dir, DIMENSION_PLACEMENT, &err), 0);
    assert_int_equal(sets.count, 2); // sorted by folder name; the partial one is not a set
    assert_string_equal(sets.samples[0].id, "one");
    assert_string_equal(sets.samples[1].id, "two");
    assert_non_null(strstr(sets.samples[1].original, "two/original.JPG"));
    assert_int_equal(sets.samples[1].dimension, DIMENSION_PLACEMENT);
    dataset_free(&sets);
    free(dir);
}

static void test_unlabelled_sample(void **state) {
    (void)state;
    const char *line = "{\"id\":\"u1\",\"dimension\":\"lighting\",\"original\":\"o.png\","
                       "\"candidates\":[\"a.png\",\"b.png\",\"c.png\",\"d.png\"]}";
    Sample sample;
    Error err = {{0}};
    assert_int_equal(sample_parse_json(&sample, line, 1, &err), 0);
    assert_true(sample.answer_unknown);
    char *json = sample_to_json(&sample);
    assert_null(strstr(json, "\"answer\"")); // written back without inventing a label
    free(json);

    BackendResult result = {.text = "<think>x</think><answer>B</answer>", .prompt_tokens = 3, .completion_tokens = 4};
    EvalRecord record;
    assert_int_equal(eval_record_from_result(&record, &sample, &result, &err), 0);
    char *line_out = eval_record_to_json(&record);
    assert_non_null(strstr(line_out, "\"gold\":null"));
    assert_non_null(strstr(line_out, "\"scores\":null"));
    assert_non_null(strstr(line_out, "\"predicted\":[\"B\"]"));
    EvalRecord back;
    assert_int_equal(eval_record_from_json(&back, line_out, &err), 0);
    assert_true(back.gold_unknown);
    eval_record_clear(&back);
    free(line_out);
    eval_record_clear(&record);

    Dataset dataset = {0};
    assert_int_equal(dataset_add(&dataset, &sample, &err), 0);
    assert_int_equal(dataset_require_answers(&dataset, &err), -1);
    assert_non_null(strstr(err.message, "u1"));
    dataset_free(&dataset);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letterbox_keeps_aspect), cmocka_unit_test(test_letterbox_square_is_a_resize),
        cmocka_unit_test(test_sets_from_csv),          cmocka_unit_test(test_sets_from_folders),
        cmocka_unit_test(test_unlabelled_sample),      cmocka_unit_test(test_contact_sheet_letterboxes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// test_data_check.c — datasets on disk: dataset_load (first problem, line numbers, duplicates,
// oversized lines, blank lines, CRLF, BOM), dataset_save, and dataset_check (every problem with its
// line, missing / corrupt / truncated PNG and JPEG images, statistics, the problem cap).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/files.h"
#include "data/dataset.h"
#include "support/data_fixture.h"

// Joins lines with '\n' into dir/name and returns the full path (malloc'd).
static char *write_lines(const char *dir, const char *name, const char *const *lines, int count) {
    size_t n = 1;
    for (int i = 0; i < count; i++) n += strlen(lines[i]) + 1;
    char *text = malloc(n);
    text[0] = 0;
    for (int i = 0; i < count; i++) {
        strcat(text, lines[i]);
        strcat(text, "\n");
    }
    data_fixture_write(dir, name, text);
    free(text);
    return data_fixture_path(dir, name);
}

static void test_load_valid_file(void **state) {
    DataScratch *s = *state;
    char *l1 = data_fixture_line("s1", "lighting", "[\"B\",\"D\"]");
    char *l2 = data_fixture_line("s2", "extension", "[]");
    char *text = malloc(strlen(l1) + strlen(l2) + 16);
    // A byte-order mark, a CRLF line end and a blank line are all accepted.
    sprintf(text, "\xef\xbb\xbf%s\r\n\n  \n%s", l1, l2);
    data_fixture_write(s->dir, "sub/../data.jsonl", text);
    char *path = data_fixture_path(s->dir, "data.jsonl");
    Dataset d;
    Error err = {{0}};
    if (dataset_load(&d, path, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(d.count, 2);
    assert_string_equal(d.path, path);
    assert_string_equal(d.root, s->dir);
    assert_int_equal(d.samples[0].line, 1);
    assert_int_equal(d.samples[1].line, 4);
    assert_int_equal(d.samples[1].answer, 0);
    const Sample *found = dataset_find(&d, "s2");
    assert_ptr_equal(found, &d.samples[1]);
    char *image = dataset_image_path(&d, found, 2);
    char *expected = data_fixture_path(s->dir, "img/b.png");
    assert_string_equal(image, expected);
    assert_null(dataset_image_path(&d, found, 5));
    free(expected);
    free(image);

    // dataset_save writes what dataset_load reads back, line for line.
    char *saved = data_fixture_path(s->dir, "saved.jsonl");
    assert_int_equal(dataset_save(&d, saved, &err), 0);
    Dataset again;
    assert_int_equal(dataset_load(&again, saved, &err), 0);
    assert_int_equal(again.count, 2);
    for (size_t i = 0; i < 2; i++) {
        char *a = sample_to_json(&d.samples[i]), *b = sample_to_json(&again.samples[i]);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    dataset_free(&again);
    dataset_free(&d);
    free(saved);
    free(path);
    free(text);
    free(l1);
    free(l2);
}

static void expect_load_error(const char *path, const char *expected) {
    Dataset d;
    Error err = {{0}};
    assert_int_equal(dataset_load(&d, path, &err), -1);
    if (!strstr(err.message, expected)) fail_msg("error \"%s\" lacks \"%s\"", err.message, expected);
    assert_null(d.samples);
}

static void test_load_stops_at_first_problem_with_file_and_line(void **state) {
    DataScratch *s = *state;
    char *good = data_fixture_line("s1", "lighting", "[\"B\"]");
    char *bad = data_fixture_line("s2", "lighting", "[\"B\",\"B\"]");
    char *dup = data_fixture_line("s1", "placement", "[\"A\"]");
    const char *lines[] = {good, "", bad, dup};
    char *path = write_lines(s->dir, "bad.jsonl", lines, 4);
    char expected[512];
    snprintf(expected, sizeof expected, "%s:3: answer has repeated letter 'B'", path);
    expect_load_error(path, expected);
    const char *dups[] = {good, dup};
    char *dup_path = write_lines(s->dir, "dup.jsonl", dups, 2);
    snprintf(expected, sizeof expected, "%s:2: duplicate id 's1' (first on line 1)", dup_path);
    expect_load_error(dup_path, expected);
    expect_load_error("/nonexistent/data.jsonl", "cannot open");
    expect_load_error(s->dir, "is a folder");
    // A caller's line may still carry its newline.
    size_t n = strlen(good);
    char *with_newline = malloc(n + 3);
    snprintf(with_newline, n + 3, "%s\r\n", good);
    Sample sample;
    Error err = {{0}};
    assert_int_equal(sample_parse_json(&sample, with_newline, 1, &err), 0);
    sample_free(&sample);
    free(with_newline);
    char *empty_path = write_lines(s->dir, "empty.jsonl", lines + 1, 1);
    expect_load_error(empty_path, "no samples");
    free(empty_path);
    free(dup_path);
    free(path);
    free(good);
    free(bad);
    free(dup);
}

static void test_load_refuses_oversized_line(void **state) {
    DataScratch *s = *state;
    size_t n = DATASET_MAX_LINE_BYTES + 100;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = 0;
    char *good = data_fixture_line("s1", "lighting", "[\"B\"]");
    const char *lines[] = {good, big};
    char *path = write_lines(s->dir, "big.jsonl", lines, 2);
    expect_load_error(path, ":2: line is 1048676 bytes, over the limit");
    DatasetCheck check;
    Error err = {{0}};
    assert_int_equal(dataset_check(&check, path, 0, &err), 0);
    assert_int_equal(check.problem_count, 1);
    assert_int_equal(check.problems[0].line, 2);
    dataset_check_free(&check);
    free(path);
    free(good);
    free(big);
}

static void test_check_valid_file_statistics(void **state) {
    DataScratch *s = *state;
    const char *answers[] = {"[\"A\"]", "[\"B\",\"C\"]", "[\"A\",\"B\",\"D\"]", "[]", "[\"C\"]", "[\"A\",\"B\",\"C\",\"D\"]"};
    const char *dims[] = {"lighting", "lighting", "placement", "extension", "deformation", "lighting"};
    char *lines[6];
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i);
        lines[i] = data_fixture_line(id, dims[i], answers[i]);
    }
    char *with_rationale = data_fixture_replace(lines[1], "}", ",\"rationale\":\"<think>t</think><answer>B, C</answer>\"}");
    char *jpeg = data_fixture_replace(lines[4], "img/c.png", "img/j.jpg");
    free(lines[1]);
    free(lines[4]);
    lines[1] = with_rationale;
    lines[4] = jpeg;
    char *path = write_lines(s->dir, "valid.jsonl", (const char *const *)lines, 6);
    DatasetCheck check;
    Error err = {{0}};
    assert_int_equal(dataset_check(&check, path, 1, &err), 0);
    for (size_t i = 0; i < check.problem_count; i++) printf("unexpected: %zu %s\n", check.problems[i].line, check.problems[i].message);
    assert_int_equal(check.problem_count, 0);
    const DatasetStats *st = &check.stats;
    assert_int_equal(st->samples, 6);
    assert_int_equal(st->per_dimension[DIMENSION_LIGHTING], 3);
    assert_int_equal(st->per_dimension[DIMENSION_PLACEMENT], 1);
    assert_int_equal(st->per_dimension[DIMENSION_EXTENSION], 1);
    assert_int_equal(st->per_dimension[DIMENSION_DEFORMATION], 1);
    size_t expected_histogram[5] = {1, 2, 1, 1, 1};
    for (int k = 0; k < 5; k++) assert_int_equal(st->answer_size_histogram[k], expected_histogram[k]);
    assert_int_equal(st->with_rationale, 1);
    assert_float_equal(st->random_exact, 5.0 / 15.0 / 6.0, 1e-12);
    assert_int_equal(st->min_width, 20);
    assert_int_equal(st->max_width, 20);
    assert_int_equal(st->min_height, 12);
    assert_int_equal(st->max_height, 12);
    dataset_check_free(&check);
    // Without decoding, the sizes stay unknown but the counts are the same.
    assert_int_equal(dataset_check(&check, path, 0, &err), 0);
    assert_int_equal(check.problem_count, 0);
    assert_int_equal(check.stats.samples, 6);
    assert_int_equal(check.stats.max_width, 0);
    dataset_check_free(&check);
    for (int i = 0; i < 6; i++) free(lines[i]);
    free(path);
}

// Writes a copy of a good image truncated to `keep` bytes (or with its middle overwritten).
static void write_broken_copy(const char *dir, const char *from, const char *to, long keep, int scramble) {
    char *source = data_fixture_path(dir, from);
    char *bytes;
    size_t size;
    Error err = {{0}};
    assert_int_equal(file_read_all(source, 0, &bytes, &size, &err), 0);
    if (scramble)
        for (size_t i = size / 4; i < size; i++) bytes[i] = (char)(i * 37 + 11);
    data_fixture_write_bytes(dir, to, bytes, keep > 0 ? (unsigned long)keep : size);
    free(bytes);
    free(source);
}

static void test_check_reports_every_problem_with_its_line(void **state) {
    DataScratch *s = *state;
    write_broken_copy(s->dir, "img/a.png", "img/trunc.png", 60, 0);
    write_broken_copy(s->dir, "img/b.png", "img/scrambled.png", 0, 1);
    write_broken_copy(s->dir, "img/j.jpg", "img/trunc.jpg", 200, 0);
    write_broken_copy(s->dir, "img/j.jpg", "img/scrambled.jpg", 0, 1);
    data_fixture_write(s->dir, "img/text.png", "this is not an image\n");
    char *good1 = data_fixture_line("g1", "lighting", "[\"A\"]");
    char *base2 = data_fixture_line("b2", "lighting", "[\"A\"]");
    char *bad2 = data_fixture_replace(base2, "img/a.png", "img/trunc.png");
    char *base3 = data_fixture_line("b3", "lighting", "[\"A\",\"A\"]");
    char *bad3a = data_fixture_replace(base3, "img/b.png", "img/trunc.jpg");
    char *bad3 = data_fixture_replace(bad3a, "img/c.png", "img/missing.png");
    char *base5 = data_fixture_line("b5", "lighting", "[\"C\"]");
    char *bad5a = data_fixture_replace(base5, "img/o.png", "img/scrambled.png");
    char *bad5b = data_fixture_replace(bad5a, "img/a.png", "img/scrambled.jpg");
    char *bad5 = data_fixture_replace(bad5b, "img/d.png", "img/text.png");
    char *dup = data_fixture_line("g1", "placement", "[\"B\"]");
    char *escape = data_fixture_line("b8", "lighting", "[\"B\"]");
    char *bad8 = data_fixture_replace(escape, "img/o.png", "../img/o.png");
    const char *lines[] = {good1, bad2, bad3, "{broken", bad5, "", dup, bad8, "[]"};
    char *path = write_lines(s->dir, "many.jsonl", lines, 9);
    DatasetCheck check;
    Error err = {{0}};
    assert_int_equal(dataset_check(&check, path, 1, &err), 0);
    struct {
        size_t line;
        const char *text;
    } expected[] = {
        {2, "candidate A image 'img/trunc.png' does not decode"},
        {3, "answer has repeated letter 'A'"},
        {3, "candidate B image 'img/trunc.jpg' does not decode"},
        {3, "candidate C image 'img/missing.png' is missing"},
        {4, "bad JSON"},
        {5, "original image 'img/scrambled.png' does not decode"},
        {5, "candidate A image 'img/scrambled.jpg' does not decode"},
        {5, "candidate D image 'img/text.png' does not decode"},
        {7, "duplicate id 'g1' (first on line 1)"},
        {8, "original '../img/o.png' leaves the dataset folder"},
        {9, "must be a JSON object, not an array"},
    };
    size_t n = sizeof expected / sizeof expected[0];
    for (size_t i = 0; i < check.problem_count; i++) printf("%zu: %s\n", check.problems[i].line, check.problems[i].message);
    assert_int_equal(check.problem_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(check.problems[i].line, expected[i].line);
        if (!strstr(check.problems[i].message, expected[i].text))
            fail_msg("problem %zu \"%s\" lacks \"%s\"", i, check.problems[i].message, expected[i].text);
    }
    dataset_check_free(&check);

    // Without decoding, broken images pass (only existence is checked); the missing one does not.
    assert_int_equal(dataset_check(&check, path, 0, &err), 0);
    assert_int_equal(check.problem_count, n - 5);
    assert_non_null(strstr(check.problems[1].message, "img/missing.png' is missing"));
    dataset_check_free(&check);

    char *frees[] = {good1, base2, bad2, base3, bad3a, bad3, base5, bad5a, bad5b, bad5, dup, escape, bad8, path};
    for (size_t i = 0; i < sizeof frees / sizeof frees[0]; i++) free(frees[i]);
}

static void test_check_caps_the_problem_list(void **state) {
    DataScratch *s = *state;
    size_t lines = DATASET_CHECK_MAX_PROBLEMS + 50;
    char *text = malloc(lines * 3 + 1);
    for (size_t i = 0; i < lines; i++) memcpy(text + 3 * i, "[]\n", 3);
    text[lines * 3] = 0;
    data_fixture_write(s->dir, "junk.jsonl", text);
    char *path = data_fixture_path(s->dir, "junk.jsonl");
    DatasetCheck check;
    Error err = {{0}};
    assert_int_equal(dataset_check(&check, path, 0, &err), 0);
    assert_int_equal(check.problem_count, DATASET_CHECK_MAX_PROBLEMS + 1);
    assert_int_equal(check.problems[DATASET_CHECK_MAX_PROBLEMS - 1].line, DATASET_CHECK_MAX_PROBLEMS);
    assert_non_null(strstr(check.problems[DATASET_CHECK_MAX_PROBLEMS].message, "50 more problems"));
    dataset_check_free(&check);
    // An empty file is one problem; an unreadable one is an error.
    data_fixture_write(s->dir, "empty.jsonl", "\n\n");
    char *empty = data_fixture_path(s->dir, "empty.jsonl");
    assert_int_equal(dataset_check(&check, empty, 1, &err), 0);
    assert_int_equal(check.problem_count, 1);
    assert_non_null(strstr(check.problems[0].message, "no samples"));
    dataset_check_free(&check);
    assert_int_equal(dataset_check(&check, "/nonexistent.jsonl", 1, &err), -1);
    assert_non_null(strstr(err.message, "cannot open"));
    free(empty);
    free(path);
    free(text);
}

static uint32_t crc32_of(const unsigned char *bytes, size_t size) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= bytes[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void put_be32(unsigned char *at, uint32_t v) {
    at[0] = (unsigned char)(v >> 24), at[1] = (unsigned char)(v >> 16), at[2] = (unsigned char)(v >> 8);
    at[3] = (unsigned char)v;
}

// A real PNG whose header claims 100000 x 100000 pixels (with a correct CRC): check must refuse it
// by the pixel limit, before allocating anything of that size.
static void test_check_refuses_decompression_bomb(void **state) {
    DataScratch *s = *state;
    char *source = data_fixture_path(s->dir, "img/a.png");
    char *bytes;
    size_t size;
    Error err = {{0}};
    assert_int_equal(file_read_all(source, 0, &bytes, &size, &err), 0);
    unsigned char *png = (unsigned char *)bytes;
    assert_memory_equal(png + 12, "IHDR", 4);
    put_be32(png + 16, 100000);
    put_be32(png + 20, 100000);
    put_be32(png + 29, crc32_of(png + 12, 17));
    data_fixture_write_bytes(s->dir, "img/bomb.png", bytes, size);
    char *base = data_fixture_line("s1", "lighting", "[\"A\"]");
    char *line = data_fixture_replace(base, "img/c.png", "img/bomb.png");
    data_fixture_write(s->dir, "bomb.jsonl", line);
    char *path = data_fixture_path(s->dir, "bomb.jsonl");
    DatasetCheck check;
    assert_int_equal(dataset_check(&check, path, 1, &err), 0);
    assert_int_equal(check.problem_count, 1);
    assert_int_equal(check.problems[0].line, 1);
    if (!strstr(check.problems[0].message, "candidate C image 'img/bomb.png' does not decode") ||
        !strstr(check.problems[0].message, "over the limit"))
        fail_msg("unexpected: %s", check.problems[0].message);
    dataset_check_free(&check);
    free(path);
    free(line);
    free(base);
    free(bytes);
    free(source);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_valid_file, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_load_stops_at_first_problem_with_file_and_line, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_oversized_line, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_check_valid_file_statistics, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_check_reports_every_problem_with_its_line, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_check_caps_the_problem_list, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_check_refuses_decompression_bomb, data_fixture_setup, data_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// test_data_import.c — `iar import`'s library side: flawed letters, labels from CSV / JSON array /
// JSON Lines, joining labels with image sets (a CSV or a folder of set folders, the layout of
// `iar screen --batch`), ids per dimension, image paths relative to the output or copied next to
// it, and one-line errors that name the labels file and line; nothing written on error.
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
#include "data/import.h"
#include "support/data_fixture.h"

// The sets CSV of these tests: two sets whose images are img/o.png and img/a..d.png of the fixture;
// set "p" screens placement, set "q" names no dimension.
static const char SETS_CSV[] = "id,original,a,b,c,d,dimension\n"
                               "p,img/o.png,img/a.png,img/b.png,img/c.png,img/d.png,placement\n"
                               "q,img/o.png,img/a.png,img/b.png,img/c.png,img/d.png,\n";

static int import_files(DataScratch *s, const char *labels_name, const char *labels_text, const char *out_name, int copy,
                        ImportResult *result, Error *err) {
    data_fixture_write(s->dir, "sets.csv", SETS_CSV);
    char *sets = data_fixture_path(s->dir, "sets.csv");
    char *labels = labels_name ? data_fixture_path(s->dir, labels_name) : NULL;
    if (labels_name) data_fixture_write(s->dir, labels_name, labels_text);
    char *out = data_fixture_path(s->dir, out_name);
    ImportOptions options = {.sets_path = sets, .labels_path = labels, .out_path = out, .dimension = -1, .copy_images = copy};
    int rc = dataset_import(&options, result, err);
    free(out);
    free(labels);
    free(sets);
    return rc;
}

static Dataset load_output(DataScratch *s, const char *out_name) {
    char *path = data_fixture_path(s->dir, out_name);
    Dataset d;
    Error err = {{0}};
    if (dataset_load(&d, path, &err) != 0) fail_msg("%s", err.message);
    DatasetCheck check;
    if (dataset_check(&check, path, 1, &err) != 0) fail_msg("%s", err.message);
    if (check.problem_count) fail_msg("line %zu: %s", check.problems[0].line, check.problems[0].message);
    dataset_check_free(&check);
    free(path);
    return d;
}

static void test_letters(void **state) {
    (void)state;
    AnswerSet set;
    Error err = {{0}};
    assert_int_equal(import_letters_parse("B, D", &set, &err), 0);
    assert_int_equal(set, 0x0a);
    assert_int_equal(import_letters_parse(" bd ", &set, &err), 0);
    assert_int_equal(set, 0x0a);
    assert_int_equal(import_letters_parse("A;C|D", &set, &err), 0);
    assert_int_equal(set, 0x0d);
    assert_int_equal(import_letters_parse("None", &set, &err), 0);
    assert_int_equal(set, 0);
    assert_int_equal(import_letters_parse("B E", &set, &err), -1);
    assert_non_null(strstr(err.message, "'E'"));
    assert_int_equal(import_letters_parse("B,b", &set, &err), -1);
    assert_non_null(strstr(err.message, "repeated"));
    assert_int_equal(import_letters_parse("  ", &set, &err), -1);
    assert_non_null(strstr(err.message, "none"));
}

// A set labelled for two dimensions gets one sample per dimension ("q:lighting", "q:extension");
// a set labelled once keeps its id; the sets CSV's dimension applies when the label names none.
static void test_csv_labels_make_a_valid_dataset(void **state) {
    DataScratch *s = *state;
    ImportResult result;
    Error err = {{0}};
    const char *labels = "id,flawed,dimension\np,A,\nq,\"B, D\",lighting\nq,none,extension\n";
    if (import_files(s, "labels.csv", labels, "data.jsonl", 0, &result, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(result.samples, 3);
    assert_int_equal(result.sets, 2);
    assert_int_equal(result.sets_unlabelled, 0);
    Dataset d = load_output(s, "data.jsonl");
    assert_int_equal(d.count, 3);
    assert_string_equal(d.samples[0].id, "p");
    assert_int_equal(d.samples[0].dimension, DIMENSION_PLACEMENT);
    assert_int_equal(d.samples[0].answer, 0x01);
    assert_string_equal(d.samples[1].id, "q:lighting");
    assert_int_equal(d.samples[1].dimension, DIMENSION_LIGHTING);
    assert_int_equal(d.samples[1].answer, 0x0a);
    assert_string_equal(d.samples[2].id, "q:extension");
    assert_int_equal(d.samples[2].answer, 0);
    assert_int_equal(d.samples[2].answer_unknown, 0);
    assert_string_equal(d.samples[1].original, "img/o.png");
    assert_string_equal(d.samples[1].candidates[3], "img/d.png");
    assert_non_null(strstr(d.samples[1].meta_json, "labels.csv:3"));
    dataset_free(&d);
}

static void test_json_array_and_lines_agree_with_csv(void **state) {
    DataScratch *s = *state;
    ImportResult result;
    Error err = {{0}};
    const char *array = "[{\"id\":\"p\",\"flawed\":[\"A\"]},\n {\"id\":\"q\",\"dimension\":\"lighting\",\"flawed\":\"B,D\"}]";
    if (import_files(s, "labels.json", array, "a.jsonl", 0, &result, &err) != 0) fail_msg("%s", err.message);
    const char *lines = "{\"id\":\"p\",\"answer\":\"a\"}\n\n{\"id\":\"q\",\"dimension\":\"lighting\",\"flawed\":[\"D\",\"B\"]}\n";
    if (import_files(s, "labels.jsonl", lines, "b.jsonl", 0, &result, &err) != 0) fail_msg("%s", err.message);
    Dataset a = load_output(s, "a.jsonl"), b = load_output(s, "b.jsonl");
    assert_int_equal(a.count, 2);
    assert_int_equal(b.count, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(a.samples[i].id, b.samples[i].id);
        assert_int_equal(a.samples[i].dimension, b.samples[i].dimension);
        assert_int_equal(a.samples[i].answer, b.samples[i].answer);
    }
    assert_string_equal(a.samples[1].id, "q");
    assert_int_equal(a.samples[1].answer, 0x0a);
    dataset_free(&a);
    dataset_free(&b);
}

// Each bad labels file fails with its file and line (or entry), and writes nothing.
static void test_errors_name_file_and_line(void **state) {
    DataScratch *s = *state;
    static const struct {
        const char *name, *text, *expect;
    } CASES[] = {
        {"l.csv", "id,flawed\np,B\nzz,C\n", "l.csv:3: no image set 'zz'"},
        {"l.csv", "id,flawed,dimension\np,B,\nq,C,lighting\np,D,placement\n", "l.csv:4: set 'p' is labelled twice for placement (first at"},
        {"l.csv", "id,flawed\nq,C\n", "l.csv:2: set 'q' has no dimension"},
        {"l.csv", "id,flawed\np,B\np2,X\n", "l.csv:3: unknown letter 'X'"},
        {"l.csv", "id,flawed,dimension\np,B,shiny\n", "l.csv:2: unknown dimension 'shiny'"},
        {"l.csv", "id,letters\np,B\n", "l.csv:1: the header needs a column flawed"},
        {"l.json", "[{\"id\":\"p\",\"flawed\":[\"B\"]},{\"id\":\"q\"}]", "l.json: entry 2: no \"flawed\""},
        {"l.jsonl", "{\"id\":\"p\",\"flawed\":\"B\"}\n\n{\"id\":\"q\",\"flawed\":[\"BC\"]}\n", "l.jsonl:3: \"flawed\" entries must be single letters"},
        {"l.jsonl", "{\"id\":\"p\",\"flawed\":\"B\"}\n{\"id\":\n", "l.jsonl:2: bad JSON"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        ImportResult result;
        Error err = {{0}};
        assert_int_equal(import_files(s, CASES[i].name, CASES[i].text, "bad.jsonl", 0, &result, &err), -1);
        if (!strstr(err.message, CASES[i].expect)) fail_msg("case %zu: '%s' lacks '%s'", i, err.message, CASES[i].expect);
        assert_null(strchr(err.message, '\n'));
        char *out = data_fixture_path(s->dir, "bad.jsonl");
        assert_false(file_exists(out));
        free(out);
    }
}

// Images outside the output's folder are refused, or copied with --copy (then the dataset stands
// alone: it stays valid after the originals are gone).
static void test_outside_images_refused_or_copied(void **state) {
    DataScratch *s = *state;
    ImportResult result;
    Error err = {{0}};
    const char *labels = "id,flawed\np,C\n";
    assert_int_equal(import_files(s, "labels.csv", labels, "out/data.jsonl", 0, &result, &err), -1);
    assert_non_null(strstr(err.message, "lies outside the output's folder"));
    assert_non_null(strstr(err.message, "--copy"));
    if (import_files(s, "labels.csv", labels, "out/data.jsonl", 1, &result, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(result.images_copied, 5);
    assert_int_equal(result.sets_unlabelled, 1);
    assert_string_equal(result.first_unlabelled, "q");
    for (const char *const *name = (const char *const[]){"img/o.png", "img/a.png", "img/b.png", "img/c.png", "img/d.png", NULL};
         *name; name++) {
        char *path = data_fixture_path(s->dir, *name);
        assert_int_equal(remove(path), 0);
        free(path);
    }
    Dataset d = load_output(s, "out/data.jsonl");
    assert_int_equal(d.count, 1);
    assert_int_equal(strncmp(d.samples[0].original, "img/", 4), 0);
    assert_non_null(strstr(d.samples[0].original, "_o.png"));
    assert_string_not_equal(d.samples[0].candidates[0], d.samples[0].candidates[1]);
    dataset_free(&d);
}

// No labels file: the sets CSV carries them; a folder of set folders works the same way.
static void test_labels_in_sets_csv_and_set_folders(void **state) {
    DataScratch *s = *state;
    const char *csv = "original,a,b,c,d,dimension,flawed\n"
                      "img/o.png,img/a.png,img/b.png,img/c.png,img/d.png,lighting,D\n";
    data_fixture_write(s->dir, "own.csv", csv);
    char *sets = data_fixture_path(s->dir, "own.csv"), *out = data_fixture_path(s->dir, "own.jsonl");
    ImportOptions options = {.sets_path = sets, .out_path = out, .dimension = -1};
    ImportResult result;
    Error err = {{0}};
    if (dataset_import(&options, &result, &err) != 0) fail_msg("%s", err.message);
    Dataset d = load_output(s, "own.jsonl");
    assert_int_equal(d.count, 1);
    assert_string_equal(d.samples[0].id, "row000001");
    assert_int_equal(d.samples[0].answer, 0x08);
    dataset_free(&d);
    free(out);
    free(sets);

    // sets/x and sets/y, each with original.png a.png b.png c.png d.png; labels with --dimension
    char *root = data_fixture_path(s->dir, "sets");
    for (const char *const *set = (const char *const[]){"x", "y", NULL}; *set; set++) {
        char *dir = data_fixture_path(root, *set);
        data_fixture_images(dir, 8, 8);
        for (int i = 0; i < 5; i++) {
            char from[64], to[64];
            snprintf(from, sizeof from, "img/%s.png", i ? (const char[]){(char)('a' + i - 1), 0} : "o");
            snprintf(to, sizeof to, "%s.png", i ? (const char[]){(char)('a' + i - 1), 0} : "original");
            char *a = data_fixture_path(dir, from), *b = data_fixture_path(dir, to);
            assert_int_equal(rename(a, b), 0);
            free(a);
            free(b);
        }
        free(dir);
    }
    data_fixture_write(root, "labels.csv", "id,flawed\ny,A B C\n");
    char *labels = data_fixture_path(root, "labels.csv");
    out = data_fixture_path(root, "data.jsonl");
    options = (ImportOptions){.sets_path = root, .labels_path = labels, .out_path = out, .dimension = DIMENSION_EXTENSION};
    if (dataset_import(&options, &result, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(result.sets, 2);
    assert_int_equal(result.sets_unlabelled, 1);
    assert_string_equal(result.first_unlabelled, "x");
    d = load_output(s, "sets/data.jsonl");
    assert_int_equal(d.count, 1);
    assert_string_equal(d.samples[0].id, "y");
    assert_int_equal(d.samples[0].dimension, DIMENSION_EXTENSION);
    assert_int_equal(d.samples[0].answer, 0x07);
    assert_string_equal(d.samples[0].original, "y/original.png");
    dataset_free(&d);
    free(out);
    free(labels);
    free(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letters),
        cmocka_unit_test_setup_teardown(test_csv_labels_make_a_valid_dataset, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_json_array_and_lines_agree_with_csv, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_outside_images_refused_or_copied, data_fixture_setup, data_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_labels_in_sets_csv_and_set_folders, data_fixture_setup, data_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

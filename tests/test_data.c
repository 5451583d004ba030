// test_data.c — the sample format without files: every validation rule with a good and a bad line,
// JSON round trip, answer-set helpers, the random-guess baseline against brute force, the hashed
// train/validation split, the id index and path arithmetic.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "data/id_index.h"
#include "data/paths.h"
#include "data/sample_parse.h"
#include "data/split.h"
#include "support/data_fixture.h"

// Parses `line`; expects failure with `expected` in the message (or success when expected is NULL).
static void expect_parse(const char *line, const char *expected) {
    Sample sample;
    Error err = {{0}};
    int status = sample_parse_json(&sample, line, 7, &err);
    if (!expected) {
        if (status != 0) fail_msg("expected a valid line, got: %s\n  line: %s", err.message, line);
        sample_free(&sample);
        return;
    }
    if (status == 0) fail_msg("expected an error containing \"%s\"\n  line: %s", expected, line);
    if (!strstr(err.message, expected)) fail_msg("error \"%s\" lacks \"%s\"", err.message, expected);
    if (strncmp(err.message, "line 7: ", 8) != 0) fail_msg("error \"%s\" lacks the line number", err.message);
}

// The good line with `from` replaced by `to` must fail with `expected` (NULL: must stay valid).
static void expect_mutation(const char *from, const char *to, const char *expected) {
    char *good = data_fixture_line("s1", "lighting", "[\"B\",\"D\"]");
    char *line = data_fixture_replace(good, from, to);
    expect_parse(line, expected);
    free(line);
    free(good);
}

typedef struct Mutation {
    const char *from, *to; // the good line with `from` replaced by `to`...
    const char *expected;  // ...fails with this in the message (NULL: stays valid)
} Mutation;

static void expect_mutations(const Mutation *cases, size_t count) {
    for (size_t i = 0; i < count; i++) expect_mutation(cases[i].from, cases[i].to, cases[i].expected);
}

static void test_good_line_parses_every_field(void **state) {
    (void)state;
    char *good = data_fixture_line("s000123", "lighting", "[\"D\",\"B\"]");
    char *line = data_fixture_replace(good, "}", ",\"question\":\"Which?\",\"rationale\":\"<think>x</think><answer>B, D</answer>\","
                                                 "\"meta\":{\"kind\":[1,2],\"x\":\"y\"},\"extra\":5}");
    Sample s;
    Error err = {{0}};
    assert_int_equal(sample_parse_json(&s, line, 3, &err), 0);
    assert_string_equal(s.id, "s000123");
    assert_int_equal(s.dimension, DIMENSION_LIGHTING);
    assert_string_equal(s.original, "img/o.png");
    assert_string_equal(s.candidates[0], "img/a.png");
    assert_string_equal(s.candidates[3], "img/d.png");
    assert_int_equal(s.answer, (1 << 1) | (1 << 3));
    assert_string_equal(s.question, "Which?");
    assert_string_equal(s.rationale, "<think>x</think><answer>B, D</answer>");
    assert_string_equal(s.meta_json, "{\"kind\":[1,2],\"x\":\"y\"}");
    assert_int_equal(s.line, 3);
    sample_free(&s);
    free(line);
    free(good);
}

static void test_rule_candidates_exactly_four(void **state) {
    (void)state;
    static const Mutation cases[] = {
        {",\"img/d.png\"]", "]", "candidates has 3 images, expected exactly 4"},
        {"\"img/d.png\"]", "\"img/d.png\",\"img/a.png\"]", "candidates has 5 images"},
        {"[\"img/a.png\",\"img/b.png\",\"img/c.png\",\"img/d.png\"]", "\"img/a.png\"", "candidates must be an array"},
        {"\"img/c.png\"", "7", "candidate C must be a string path"},
        {"\"candidates\"", "\"candidate\"", "missing field \"candidates\""},
        {"\"img/d.png\"", "\"img/other dir/d.png\"", NULL}, // spaces are fine
    };
    expect_mutations(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule_known_dimension(void **state) {
    (void)state;
    static const Mutation cases[] = {
        {"\"lighting\"", "\"light\"", "unknown dimension 'light'"},
        {"\"lighting\"", "\"Lighting\"", "unknown dimension"},
        {"\"lighting\"", "2", "dimension must be a string"},
        {"\"dimension\"", "\"dim\"", "missing field \"dimension\""},
        {"\"lighting\"", "\"deformation\"", NULL},
        {"\"lighting\"", "\"lighting\"", NULL},
        {"\"lighting\"", "\"placement\"", NULL},
        {"\"lighting\"", "\"extension\"", NULL},
    };
    expect_mutations(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule_answer_letters(void **state) {
    (void)state;
    static const Mutation cases[] = {
        {"[\"B\",\"D\"]", "[\"B\",\"E\"]", "answer has unknown letter 'E'"},
        {"[\"B\",\"D\"]", "[\"b\"]", "answer has unknown letter 'b'"},
        {"[\"B\",\"D\"]", "[\"BD\"]", "unknown letter 'BD'"},
        {"[\"B\",\"D\"]", "[\"\"]", "unknown letter ''"},
        {"[\"B\",\"D\"]", "[\"B\",\"D\",\"B\"]", "answer has repeated letter 'B'"},
        {"[\"B\",\"D\"]", "[\"B\",2]", "answer entry 2 is a number"},
        {"[\"B\",\"D\"]", "\"B, D\"", "answer must be an array"},
        {"\"answer\"", "\"answers\"", "unknown field \"answers\""},
        {"[\"B\",\"D\"]", "[]", NULL}, // none
        {"[\"B\",\"D\"]", "[\"A\",\"B\",\"C\",\"D\"]", NULL},
    };
    expect_mutations(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule_id(void **state) {
    (void)state;
    char long_id[400];
    memset(long_id, 'x', sizeof long_id);
    long_id[0] = '"';
    long_id[sizeof long_id - 2] = '"';
    long_id[sizeof long_id - 1] = 0;
    const Mutation cases[] = {
        {"\"s1\"", "\"\"", "id must be a non-empty string"},
        {"\"s1\"", "12", "id must be a non-empty string, not a number"},
        {"\"s1\"", "\"a\\u0001b\"", "id contains a control character"},
        {"\"id\"", "\"ident\"", "missing field \"id\""},
        {"\"s1\"", long_id, "over the limit"},
        {"\"s1\"", "\"s\\u00e9-1 \\\"q\\\"\"", NULL}, // UTF-8 and quotes are fine
    };
    expect_mutations(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule_paths_relative_and_inside(void **state) {
    (void)state;
    static const Mutation cases[] = {
        {"\"img/o.png\"", "\"/etc/passwd\"", "original '/etc/passwd' is absolute"},
        {"\"img/o.png\"", "\"../o.png\"", "original '../o.png' leaves the dataset folder"},
        {"\"img/b.png\"", "\"img/../../b.png\"", "candidate B 'img/../../b.png' leaves"},
        {"\"img/b.png\"", "\"img\\\\..\\\\..\\\\b.png\"", "uses '\\' or ':'"},
        {"\"img/d.png\"", "\"C:/d.png\"", "candidate D 'C:/d.png' uses"},
        {"\"img/o.png\"", "\"\"", "original is an empty path"},
        {"\"img/o.png\"", "\".\"", "leaves the dataset folder"},
        {"\"img/o.png\"", "\"img/../o.png\"", NULL}, // climbs back but stays inside
        {"\"img/o.png\"", "\"./img/o.png\"", NULL},
    };
    expect_mutations(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule_json_and_optional_fields(void **state) {
    (void)state;
    expect_parse("{\"id\":\"s1\",", "bad JSON");
    expect_parse("not json", "bad JSON near byte 1");
    expect_parse("[1,2]", "must be a JSON object, not an array");
    char *good = data_fixture_line("s1", "lighting", "[\"B\"]");
    char *trailing = malloc(strlen(good) + 8);
    sprintf(trailing, "%s xyz", good);
    expect_parse(trailing, "bad JSON");
    free(trailing);
    free(good);
    expect_mutation("}", ",\"meta\":[1]}", "meta must be an object, not an array");
    expect_mutation("}", ",\"rationale\":5}", "rationale must be a string");
    expect_mutation("}", ",\"question\":{}}", "question must be a string");
    expect_mutation("}", ",\"question\":null,\"rationale\":null,\"meta\":null}", NULL);
}

static void test_oversized_line_refused(void **state) {
    (void)state;
    char *good = data_fixture_line("s1", "lighting", "[\"B\"]");
    size_t pad = DATASET_MAX_LINE_BYTES;
    char *big = malloc(strlen(good) + pad + 32);
    char *filler = malloc(pad + 1);
    memset(filler, 'x', pad);
    filler[pad] = 0;
    sprintf(big, "%.*s,\"question\":\"%s\"}", (int)(strlen(good) - 1), good, filler);
    expect_parse(big, "over the limit");
    free(filler);
    free(big);
    free(good);
}

static void test_every_problem_on_a_line_is_collected(void **state) {
    (void)state;
    Sample s;
    SampleProblems problems;
    const char *line = "{\"id\":\"\",\"dimension\":\"x\",\"original\":\"/a.png\",\"candidates\":[\"a.png\"],"
                       "\"answer\":[\"Z\",\"A\",\"A\"]}";
    assert_int_equal(sample_parse_collect(&s, line, &problems), -1);
    assert_int_equal(problems.count, 6);
    assert_non_null(strstr(problems.message[0], "id must be"));
    assert_non_null(strstr(problems.message[1], "unknown dimension"));
    assert_non_null(strstr(problems.message[2], "is absolute"));
    assert_non_null(strstr(problems.message[3], "candidates has 1"));
    assert_non_null(strstr(problems.message[4], "unknown letter 'Z'"));
    assert_non_null(strstr(problems.message[5], "repeated letter 'A'"));
    sample_free(&s);
}

static void test_json_round_trip(void **state) {
    (void)state;
    Sample s = {0};
    s.id = "s\xc3\xa9-9 \"q\"";
    s.dimension = DIMENSION_EXTENSION;
    s.original = "o.png";
    const char *c[4] = {"a.png", "b b.png", "c.png", "d.png"};
    for (int i = 0; i < 4; i++) s.candidates[i] = (char *)c[i];
    s.answer = 0x5;
    s.question = "line one\nline two\ttab \\ back";
    s.rationale = "<think>r</think><answer>A, C</answer>";
    s.meta_json = "{\"a\":{\"b\":[1,2.5,\"x\"]}}";
    char *text = sample_to_json(&s);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    Sample back;
    Error err = {{0}};
    assert_int_equal(sample_parse_json(&back, text, 1, &err), 0);
    assert_string_equal(back.id, s.id);
    assert_int_equal(back.dimension, s.dimension);
    assert_string_equal(back.candidates[1], "b b.png");
    assert_int_equal(back.answer, s.answer);
    assert_string_equal(back.question, s.question);
    assert_string_equal(back.rationale, s.rationale);
    assert_string_equal(back.meta_json, s.meta_json);
    char *again = sample_to_json(&back);
    assert_string_equal(again, text);
    Sample copy;
    assert_int_equal(sample_copy(&copy, &back, &err), 0);
    char *third = sample_to_json(&copy);
    assert_string_equal(third, text);
    free(third);
    sample_free(&copy);
    free(again);
    sample_free(&back);
    free(text);
    // An empty answer is written as [] and optional fields are left out.
    s.answer = 0;
    s.question = s.rationale = s.meta_json = NULL;
    text = sample_to_json(&s);
    assert_non_null(strstr(text, "\"answer\":[]"));
    assert_null(strstr(text, "question"));
    free(text);
}

static void test_dimension_and_answer_helpers(void **state) {
    (void)state;
    Dimension d;
    assert_int_equal(dimension_parse("placement", &d), 0);
    assert_int_equal(d, DIMENSION_PLACEMENT);
    assert_int_equal(dimension_parse("nope", &d), -1);
    assert_int_equal(dimension_parse(NULL, &d), -1);
    assert_string_equal(dimension_id(DIMENSION_DEFORMATION), "deformation");
    assert_string_equal(dimension_title(DIMENSION_LIGHTING), "Physical Lighting and Shadow");
    char buffer[16];
    answer_set_format(0, buffer, sizeof buffer);
    assert_string_equal(buffer, "none");
    answer_set_format(0xA, buffer, sizeof buffer);
    assert_string_equal(buffer, "B, D");
    answer_set_format(ANSWER_SET_ALL, buffer, sizeof buffer);
    assert_string_equal(buffer, "A, B, C, D");
    // evidence → answer: above 0.5, at least the most likely letter, at most the three most likely
    assert_int_equal(answer_set_from_probabilities((const float[]){0.1f, 0.9f, 0.2f, 0.7f}), 0xA);
    assert_int_equal(answer_set_from_probabilities((const float[]){0.1f, 0.3f, 0.45f, 0.2f}), 0x4);
    assert_int_equal(answer_set_from_probabilities((const float[]){0.9f, 0.6f, 0.8f, 0.95f}), 0xD);
    for (int set = 0; set < 16; set++) {
        int bits = 0;
        for (int i = 0; i < 4; i++) bits += (set >> i) & 1;
        assert_int_equal(answer_set_size((AnswerSet)set), bits);
    }
}

// The random baseline's exact score, by enumerating every gold set of each size against every one of
// the 15 non-empty guesses.
static double random_exact_brute_force(const size_t histogram[CANDIDATE_COUNT + 1]) {
    double hits = 0, total = 0;
    for (int size = 0; size <= CANDIDATE_COUNT; size++) {
        if (!histogram[size]) continue;
        // Average over every gold set of that size (the result must not depend on which).
        double per_set = 0;
        int sets = 0;
        for (int gold = 0; gold < 16; gold++) {
            if (answer_set_size((AnswerSet)gold) != size) continue;
            int matches = 0;
            for (int guess = 1; guess < 16; guess++) matches += guess == gold;
            per_set += matches / 15.0;
            sets++;
        }
        hits += (double)histogram[size] * per_set / sets;
        total += (double)histogram[size];
    }
    return total ? hits / total : 0;
}

static void test_random_exact_matches_brute_force(void **state) {
    (void)state;
    size_t balanced[5] = {0, 100, 100, 100, 0};
    assert_float_equal(dataset_random_exact(balanced), 1.0 / 15.0, 1e-12);
    size_t empty[5] = {0};
    assert_float_equal(dataset_random_exact(empty), 0.0, 1e-12);
    Rng rng = rng_stream(1, 0, RNG_PURPOSE_BASELINE);
    for (int trial = 0; trial < 200; trial++) {
        size_t histogram[5];
        for (int k = 0; k < 5; k++) histogram[k] = (size_t)rng_next_int(&rng, 4) * (size_t)rng_next_int(&rng, 50);
        assert_float_equal(dataset_random_exact(histogram), random_exact_brute_force(histogram), 1e-12);
    }
}

static Dataset make_dataset(size_t count, size_t offset) {
    Dataset dataset = {0};
    Error err = {{0}};
    for (size_t i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "s%06zu", (i + offset) % count);
        char *line = data_fixture_line(id, "placement", "[\"A\"]");
        Sample s;
        assert_int_equal(sample_parse_json(&s, line, i + 1, &err), 0);
        assert_int_equal(dataset_add(&dataset, &s, &err), 0);
        free(line);
    }
    return dataset;
}

static void test_split_is_deterministic_and_order_free(void **state) {
    (void)state;
    enum { N = 4000 };
    Dataset a = make_dataset(N, 0), b = make_dataset(N, 1234); // same ids, rotated order
    Error err = {{0}};
    size_t *train, *val, n_train, n_val;
    assert_int_equal(dataset_split_indices(&a, 0.1, 42, &train, &n_train, &val, &n_val, &err), 0);
    assert_int_equal(n_train + n_val, N);
    assert_true(n_val > N * 0.08 && n_val < N * 0.12);
    for (size_t i = 1; i < n_val; i++) assert_true(val[i] > val[i - 1]);
    // Each id's side is the same in the rotated dataset, and the same again on a second call.
    size_t in_b = 0;
    for (size_t i = 0; i < b.count; i++) in_b += split_is_validation(b.samples[i].id, 0.1, 42);
    assert_int_equal(in_b, n_val);
    for (size_t i = 0; i < n_val; i++) assert_true(split_is_validation(a.samples[val[i]].id, 0.1, 42));
    for (size_t i = 0; i < n_train; i++) assert_false(split_is_validation(a.samples[train[i]].id, 0.1, 42));
    // Another seed gives another split; growing the fraction only moves samples into validation.
    size_t moved = 0;
    for (size_t i = 0; i < n_val; i++) moved += !split_is_validation(a.samples[val[i]].id, 0.1, 43);
    assert_true(moved > n_val / 2);
    for (size_t i = 0; i < n_val; i++) assert_true(split_is_validation(a.samples[val[i]].id, 0.3, 42));
    free(train);
    free(val);
    // Edges: 0 keeps everything for training, 1 everything for validation, others are refused.
    assert_int_equal(dataset_split_indices(&a, 0.0, 1, &train, &n_train, &val, &n_val, &err), 0);
    assert_int_equal(n_train, N);
    assert_null(val);
    free(train);
    assert_int_equal(dataset_split_indices(&a, 1.0, 1, &train, &n_train, &val, &n_val, &err), 0);
    assert_int_equal(n_val, N);
    free(val);
    assert_int_equal(dataset_split_indices(&a, 1.5, 1, &train, &n_train, &val, &n_val, &err), -1);
    assert_non_null(strstr(err.message, "outside 0..1"));
    Dataset tr, va;
    assert_int_equal(dataset_split(&a, 0.25, 7, &tr, &va, &err), 0);
    assert_int_equal(tr.count + va.count, N);
    for (size_t i = 0; i < va.count; i++) {
        assert_true(split_is_validation(va.samples[i].id, 0.25, 7));
        assert_ptr_not_equal(dataset_find(&a, va.samples[i].id), &va.samples[i]); // deep copies
    }
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&a);
    dataset_free(&b);
}

static void test_id_index_and_find(void **state) {
    (void)state;
    IdIndex index = {0};
    char ids[500][16];
    for (int i = 0; i < 500; i++) {
        snprintf(ids[i], sizeof ids[i], "id-%d", i);
        assert_int_equal(id_index_insert(&index, ids[i], (size_t)i, NULL), 1);
    }
    size_t existing = 0;
    assert_int_equal(id_index_insert(&index, "id-321", 9999, &existing), 0);
    assert_int_equal(existing, 321);
    size_t value;
    assert_int_equal(id_index_find(&index, "id-7", &value), 1);
    assert_int_equal(value, 7);
    assert_int_equal(id_index_find(&index, "id-500", &value), 0);
    id_index_free(&index);
    Dataset d = make_dataset(10, 0);
    assert_non_null(dataset_find(&d, "s000003"));
    assert_null(dataset_find(&d, "s000011"));
    dataset_free(&d);
}

static void expect_relative(const char *from, const char *to, const char *expected) {
    char *got = data_path_relative(from, to);
    assert_non_null(got);
    if (strcmp(got, expected) != 0) fail_msg("relative(%s, %s) = %s, expected %s", from, to, got, expected);
    free(got);
}

static void test_path_arithmetic(void **state) {
    (void)state;
    expect_relative("/a/b", "/a/b/img/x.png", "img/x.png");
    expect_relative("/a/b", "/a/c/x.png", "../c/x.png");
    expect_relative("/a/b/", "/a/bc/x", "../bc/x");
    expect_relative("/", "/x/y", "x/y");
    expect_relative("/a/b/c", "/a", "../..");
    expect_relative("/a/b", "/a/b", ".");
    expect_relative("/a/./b/../b", "/a//b/img/../img/x", "img/x");
    char *absolute = data_path_absolute("/../a/./b//c/..");
    assert_string_equal(absolute, "/a/b");
    free(absolute);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_line_parses_every_field),
        cmocka_unit_test(test_rule_candidates_exactly_four),
        cmocka_unit_test(test_rule_known_dimension),
        cmocka_unit_test(test_rule_answer_letters),
        cmocka_unit_test(test_rule_id),
        cmocka_unit_test(test_rule_paths_relative_and_inside),
        cmocka_unit_test(test_rule_json_and_optional_fields),
        cmocka_unit_test(test_oversized_line_refused),
        cmocka_unit_test(test_every_problem_on_a_line_is_collected),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_dimension_and_answer_helpers),
        cmocka_unit_test(test_random_exact_matches_brute_force),
        cmocka_unit_test(test_split_is_deterministic_and_order_free),
        cmocka_unit_test(test_id_index_and_find),
        cmocka_unit_test(test_path_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

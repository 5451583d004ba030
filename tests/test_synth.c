// test_synth.c — the generator as a whole: byte-identical output at 1 and 2 threads, balanced
// dimensions and answer sizes, rationales whose conclusion is the gold answer, every defect kind
// rendering for every product, and output that the dataset loader accepts.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/files.h"
#include "support/test_files.h"
#include "synth/paint.h"
#include "synth/plan.h"
#include "text/answer.h"

static char *make_temp_dir(void) {
    char pattern[] = "/tmp/iar_test_synth_XXXXXX";
    char *dir = mkdtemp(pattern);
    assert_non_null(dir);
    return string_duplicate(dir);
}

static void remove_tree(const char *dir) {
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

static void test_output_identical_at_one_and_two_threads(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 64;
    config.seed = 42;
    char *one = make_temp_dir(), *two = make_temp_dir();
    Error err;
    assert_int_equal(synth_generate(&config, one, 8, 1, NULL, &err), 0);
    assert_int_equal(synth_generate(&config, two, 8, 2, NULL, &err), 0);
    assert_true(test_files_same(one, two, "data.jsonl"));
    for (int i = 0; i < 8; i++)
        for (const char *s = "oabcd"; *s; s++) {
            char name[64];
            snprintf(name, sizeof name, "img/s%06d_%c.png", i, *s);
            assert_true(test_files_same(one, two, name));
        }
    // a different seed gives a different benchmark
    config.seed = 43;
    assert_int_equal(synth_generate(&config, two, 2, 2, NULL, &err), 0);
    assert_false(test_files_same(one, two, "img/s000000_a.png"));
    // the loader accepts what the generator wrote, images included
    char *jsonl = path_join(one, "data.jsonl");
    DatasetCheck check;
    assert_int_equal(dataset_check(&check, jsonl, 1, &err), 0);
    for (size_t i = 0; i < check.problem_count; i++) fprintf(stderr, "problem: %s\n", check.problems[i].message);
    assert_int_equal(check.problem_count, 0);
    assert_int_equal(check.stats.samples, 8);
    assert_int_equal(check.stats.with_rationale, 8);
    dataset_check_free(&check);
    free(jsonl);
    remove_tree(one);
    remove_tree(two);
    free(one);
    free(two);
}

// Hash of one image's pixels (FNV-1a), to compare renders without keeping them.
static uint64_t image_hash(const Image *image) {
    uint64_t h = 1469598103934665603ull;
    size_t n = (size_t)image->width * image->height * image->channels;
    for (size_t i = 0; i < n; i++) h = (h ^ image->data[i]) * 1099511628211ull;
    return h;
}

// Draws one line of label text at `pixels` high on a scratch surface: the first text a process
// draws must not decide how later text looks.
static void draw_text_at_size(double pixels) {
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 64, 64);
    cairo_t *cr = cairo_create(surface);
    paint_text_centred(cr, "Calvex 20 mg", 32, 32, 60, pixels, 1);
    paint_text_centred(cr, "Calvex 20 mg", 32, 32, 60, pixels, 0);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
}

static void render_hashes(const SynthConfig *config, size_t index, uint64_t hashes[1 + CANDIDATE_COUNT]) {
    SynthSample sample;
    Error err;
    assert_int_equal(synth_sample_render(&sample, config, index, 0, &err), 0);
    for (int i = 0; i <= CANDIDATE_COUNT; i++) hashes[i] = image_hash(&sample.images[i]);
    synth_sample_free(&sample);
}

// Which thread draws the first text after start-up is up to the scheduler, so a sample's text must
// look the same whatever text came first: tiny text first (below the size where fontconfig turns
// hinting off), then large text first, from a fresh font state each time.
static void test_label_text_independent_of_what_was_drawn_first(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 256;
    uint64_t after_tiny[1 + CANDIDATE_COUNT], after_large[1 + CANDIDATE_COUNT];
    synth_release_static_data();
    draw_text_at_size(4.0);
    render_hashes(&config, 3, after_tiny);
    synth_release_static_data();
    draw_text_at_size(24.0);
    render_hashes(&config, 3, after_large);
    for (int i = 0; i <= CANDIDATE_COUNT; i++) assert_true(after_tiny[i] == after_large[i]);
}

// Five runs of 1 against 2 threads at 256 px, where label text is large enough to be hinted.
static void test_output_identical_at_one_and_two_threads_repeated(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 256;
    config.seed = 5;
    char *one = make_temp_dir(), *two = make_temp_dir();
    Error err;
    assert_int_equal(synth_generate(&config, one, 6, 1, NULL, &err), 0);
    for (int run = 0; run < 5; run++) {
        synth_release_static_data(); // each run starts from a cold font state, as a new process does
        assert_int_equal(synth_generate(&config, two, 6, 2, NULL, &err), 0);
        assert_true(test_files_same(one, two, "data.jsonl"));
        for (int i = 0; i < 6; i++)
            for (const char *s = "oabcd"; *s; s++) {
                char name[64];
                snprintf(name, sizeof name, "img/s%06d_%c.png", i, *s);
                assert_true(test_files_same(one, two, name));
            }
    }
    remove_tree(one);
    remove_tree(two);
    free(one);
    free(two);
}

static void test_dimensions_and_answer_sizes_are_balanced(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    size_t per_pair[DIMENSION_COUNT][CANDIDATE_COUNT + 1] = {{0}};
    size_t per_letter[CANDIDATE_COUNT] = {0};
    for (size_t i = 0; i < 240; i++) {
        Dimension d;
        AnswerSet answer;
        synth_sample_plan_answer(&config, i, &d, &answer);
        int size = answer_set_size(answer);
        assert_true(size >= 1 && size <= 3);
        assert_true(answer <= ANSWER_SET_ALL);
        per_pair[d][size]++;
        for (int c = 0; c < CANDIDATE_COUNT; c++) per_letter[c] += (answer >> c) & 1;
    }
    for (int d = 0; d < DIMENSION_COUNT; d++)
        for (int s = 1; s <= 3; s++) assert_int_equal(per_pair[d][s], 20); // 240 = 20 blocks of 12
    for (int c = 0; c < CANDIDATE_COUNT; c++) assert_true(per_letter[c] > 90 && per_letter[c] < 150); // 120 expected
    // a subset of dimensions
    Error err;
    assert_int_equal(synth_dimensions_parse("lighting, placement", &config.dimensions, &err), 0);
    size_t per_dimension[DIMENSION_COUNT] = {0};
    for (size_t i = 0; i < 60; i++) {
        Dimension d;
        AnswerSet answer;
        synth_sample_plan_answer(&config, i, &d, &answer);
        per_dimension[d]++;
    }
    assert_int_equal(per_dimension[DIMENSION_LIGHTING], 30);
    assert_int_equal(per_dimension[DIMENSION_PLACEMENT], 30);
    assert_int_equal(synth_dimensions_parse("lighting,shadows", &config.dimensions, &err), -1);
    assert_non_null(strstr(err.message, "shadows"));
    // none_share: that share of the sets has no flaw, the others are the benchmark's sets unchanged
    synth_config_default(&config);
    config.none_share = 0.25;
    SynthConfig plain;
    synth_config_default(&plain);
    size_t nones[DIMENSION_COUNT] = {0};
    for (size_t i = 0; i < 1200; i++) {
        Dimension d, d0;
        AnswerSet answer, answer0;
        synth_sample_plan_answer(&config, i, &d, &answer);
        synth_sample_plan_answer(&plain, i, &d0, &answer0);
        assert_int_equal(d, d0);
        if (answer == 0) nones[d]++;
        else assert_int_equal(answer, answer0);
    }
    for (int d = 0; d < DIMENSION_COUNT; d++) assert_true(nones[d] > 50 && nones[d] < 100); // 75 expected
}

// Each candidate's sentence ends with its verdict; the verdicts and the final answer must all
// equal the gold set.
static void assert_rationale_matches(const SynthSampleMeta *meta, const char *text) {
    assert_true(strlen(text) <= SYNTH_RATIONALE_MAX);
    assert_true(answer_format_ok(text));
    ParsedAnswer parsed = answer_parse(text);
    assert_int_equal(parsed.status, ANSWER_PARSED_TAGGED);
    assert_int_equal(parsed.set, meta->answer);
    for (int c = 0; c < CANDIDATE_COUNT; c++) {
        char start[4] = {(char)('A' + c), ':', ' ', 0};
        const char *at = strstr(text, start);
        assert_non_null(at);
        const char *end = strchr(at, '.');
        assert_non_null(end);
        int says_flawed = (end - at >= 6 && (strncmp(end - 5, "wrong", 5) == 0 || strncmp(end - 6, "flawed", 6) == 0));
        assert_int_equal(says_flawed, (meta->answer >> c) & 1);
        // the stated fact is the candidate's own: its light side, for the lighting dimension
        if (meta->dimension == DIMENSION_LIGHTING) {
            const char *side = meta->candidates[c].light_side < 0 ? "left" : "right";
            char expect[32];
            snprintf(expect, sizeof expect, "from the %s", side);
            char expect_short[32];
            snprintf(expect_short, sizeof expect_short, "light %s", side);
            char sentence[200];
            snprintf(sentence, sizeof sentence, "%.*s", (int)(end - at), at);
            assert_true(strstr(sentence, expect) || strstr(sentence, expect_short));
        }
    }
}

// Renders samples 0..count-1 and checks each rationale against its gold set and meta; returns the
// rationales' bytes and counts the sets with no flaw (their answer written "none").
static size_t rationales_match(const SynthConfig *config, size_t count, int *nones) {
    size_t total = 0;
    *nones = 0;
    for (size_t i = 0; i < count; i++) {
        SynthSample sample;
        Error err;
        assert_int_equal(synth_sample_render(&sample, config, i, 0, &err), 0);
        assert_rationale_matches(&sample.meta, sample.sample.rationale);
        total += strlen(sample.sample.rationale);
        // meta agrees with the answer: flawed exactly where a defect of the sample's dimension is
        for (int c = 0; c < CANDIDATE_COUNT; c++) {
            DefectKind kind = sample.meta.candidates[c].defect;
            assert_int_equal(kind != DEFECT_NONE, (sample.meta.answer >> c) & 1);
            if (kind != DEFECT_NONE) assert_int_equal(defect_kind_dimension(kind), sample.meta.dimension);
        }
        if (sample.meta.answer == 0) {
            (*nones)++;
            assert_non_null(strstr(sample.sample.rationale, "<answer>none</answer>"));
        }
        synth_sample_free(&sample);
    }
    return total;
}

static void test_rationale_conclusion_equals_gold(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 64;
    config.seed = 9;
    int nones;
    assert_true(rationales_match(&config, 36, &nones) / 36 <= 300); // short enough for a small model to generate
    assert_int_equal(nones, 0);
    config.none_share = 0.5; // sets with no flaw: every verdict "fine", the answer "none"
    rationales_match(&config, 16, &nones);
    assert_true(nones >= 3 && nones <= 13);
    // a rationale that cannot fit is refused, never truncated
    SynthSample sample;
    Error err;
    assert_int_equal(synth_sample_render(&sample, &config, 0, 0, &err), 0);
    char tiny[40];
    assert_int_equal(synth_rationale_write(&sample.meta, 0, tiny, sizeof tiny), -1);
    synth_sample_free(&sample);
}

static void test_every_kind_renders_for_every_product(void **state) {
    (void)state;
    const int S = 64;
    for (int product_kind = 0; product_kind < PRODUCT_KIND_COUNT; product_kind++) {
        ProductSpec product;
        for (uint64_t i = 0;; i++) { // the first random product of this kind
            Rng rng = rng_stream(5, i, SYNTH_STREAM(STREAM_PRODUCT));
            product_spec_random(&product, &rng);
            if ((int)product.kind == product_kind) break;
        }
        for (int kind = 0; kind < DEFECT_KIND_COUNT; kind++) {
            Rng rng = rng_stream(5, (uint64_t)kind, SYNTH_STREAM(STREAM_PLAN));
            CandidatePlan plan;
            plan_candidate_layout(&plan, &product, plan_original_height(&product, S), S, 1, &rng);
            plan_apply_defect(&plan, (DefectKind)kind, 0.5, S, &rng);
            Image image;
            CandidateMeta meta;
            Error err;
            assert_int_equal(render_candidate(&image, &meta, &plan, S, 0, &err), 0);
            assert_int_equal(image.width, S);
            assert_int_equal(meta.defect, kind);
            assert_true(meta.region.x1 > meta.region.x0 && meta.region.y1 > meta.region.y0);
            assert_true(meta.product.x1 > meta.product.x0);
            image_free(&image);
        }
    }
}

static void test_severity_follows_difficulty(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 64;
    for (int d = SYNTH_EASY; d <= SYNTH_HARD; d++) {
        config.difficulty = (SynthDifficulty)d;
        double lo = 1, hi = 0;
        for (size_t i = 0; i < 6; i++) {
            SynthSample sample;
            Error err;
            assert_int_equal(synth_sample_render(&sample, &config, i, 0, &err), 0);
            assert_int_equal(sample.meta.difficulty, d);
            for (int c = 0; c < CANDIDATE_COUNT; c++) {
                if (sample.meta.candidates[c].defect == DEFECT_NONE) continue;
                double s = sample.meta.candidates[c].severity;
                lo = s < lo ? s : lo;
                hi = s > hi ? s : hi;
            }
            synth_sample_free(&sample);
        }
        if (d == SYNTH_EASY) assert_true(lo >= 0.65);
        if (d == SYNTH_HARD) assert_true(hi <= 0.4);
    }
    SynthDifficulty parsed;
    assert_int_equal(synth_difficulty_parse("medium", &parsed), 0);
    assert_int_equal(parsed, SYNTH_MEDIUM);
    assert_int_equal(synth_difficulty_parse("extreme", &parsed), -1);
}

static void test_bad_configuration_refused(void **state) {
    (void)state;
    SynthConfig config;
    synth_config_default(&config);
    config.size = 32;
    SynthSample sample;
    Error err;
    assert_int_equal(synth_sample_render(&sample, &config, 0, 0, &err), -1);
    assert_non_null(strstr(err.message, "size"));
    config.size = 64;
    assert_int_equal(synth_generate(&config, "/proc/iar-cannot-write-here", 1, 1, NULL, &err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_identical_at_one_and_two_threads),
        cmocka_unit_test(test_label_text_independent_of_what_was_drawn_first),
        cmocka_unit_test(test_output_identical_at_one_and_two_threads_repeated),
        cmocka_unit_test(test_dimensions_and_answer_sizes_are_balanced),
        cmocka_unit_test(test_rationale_conclusion_equals_gold),
        cmocka_unit_test(test_every_kind_renders_for_every_product),
        cmocka_unit_test(test_severity_follows_difficulty),
        cmocka_unit_test(test_bad_configuration_refused),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    synth_release_static_data();
    return failed;
}

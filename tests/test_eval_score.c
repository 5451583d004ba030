// test_eval_score.c — the scores of DESIGN §2 on hand-checked tables, the select-all property, and the
// exact expected scores of random guessing.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>

#include <cmocka.h>

#include "eval/baseline.h"
#include "eval/score.h"

#define A 1
#define B 2
#define C 4
#define D 8

typedef struct ScoreCase {
    AnswerSet predicted, gold;
    double exact, prop, jaccard, option;
} ScoreCase;

static const ScoreCase CASES[] = {
    {B | D, B | D, 1, 1, 1, 1},
    {B, B | D, 0, 0.5, 0.5, 0.75},
    {B | C, B | D, 0, 0, 1.0 / 3, 0.5},       // one wrong pick: no partial credit under prop
    {A | B | C | D, B | D, 0, 0, 0.5, 0.5},   // select-all trap
    {A | B | C | D, A | B | C, 0, 0, 0.75, 0.75},
    {0, B, 0, 0, 0, 0.75},
    {0, 0, 1, 1, 1, 1},                       // "none" when none is flawed
    {A, 0, 0, 0, 0, 0.75},
    {A | C, A | B | C, 0, 2.0 / 3, 2.0 / 3, 0.75},
    {D, A, 0, 0, 0, 0.5},
    {A | B | C | D, A | B | C | D, 1, 1, 1, 1},
    {C, A | B | C, 0, 1.0 / 3, 1.0 / 3, 0.5},
};

static void test_score_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const ScoreCase *c = &CASES[i];
        assert_float_equal(score_exact(c->predicted, c->gold), c->exact, 1e-12);
        assert_float_equal(score_prop(c->predicted, c->gold), c->prop, 1e-12);
        assert_float_equal(score_jaccard(c->predicted, c->gold), c->jaccard, 1e-12);
        assert_float_equal(score_option(c->predicted, c->gold), c->option, 1e-12);
        assert_float_equal(score_compute(SCORE_PROP, c->predicted, c->gold), c->prop, 1e-12);
    }
}

// For every gold set with 1-3 flawed candidates and every correct partial answer P (non-empty P ⊆ G),
// "select all four" never scores more than P under exact, prop, and every DPA mix of the two.
static void test_select_all_never_beats_correct_partial(void **state) {
    (void)state;
    int checked = 0;
    for (int gold = 1; gold < 15; gold++)
        for (int partial = 1; partial <= 15; partial++) {
            if ((partial & ~gold) != 0) continue;
            for (int step = 0; step <= 10; step++) {
                double lambda = step / 10.0;
                double all = (1 - lambda) * score_prop(ANSWER_SET_ALL, (AnswerSet)gold) + lambda * score_exact(ANSWER_SET_ALL, (AnswerSet)gold);
                double part = (1 - lambda) * score_prop((AnswerSet)partial, (AnswerSet)gold) + lambda * score_exact((AnswerSet)partial, (AnswerSet)gold);
                if (all > part + 1e-12) fail_msg("dpa(%g): all=%g beats partial 0x%x=%g for gold 0x%x", lambda, all, partial, part, gold);
                checked++;
            }
        }
    assert_true(checked > 100);
    for (int gold = 1; gold < 15; gold++) {
        assert_float_equal(score_exact(ANSWER_SET_ALL, (AnswerSet)gold), 0.0, 0);
        assert_float_equal(score_prop(ANSWER_SET_ALL, (AnswerSet)gold), 0.0, 0);
    }
}

// jaccard and option, as DESIGN §2 defines them, do NOT have that property: with three flawed
// candidates, "all four" beats a correct single pick. They are reported, never to be used as rewards
// on their own (docs/EVAL.md). This test pins the known counterexample, so a change of definition shows.
static void test_jaccard_and_option_pay_select_all(void **state) {
    (void)state;
    AnswerSet gold = A | B | C;
    assert_true(score_jaccard(ANSWER_SET_ALL, gold) > score_jaccard(A, gold)); // 0.75 > 0.333
    assert_true(score_option(ANSWER_SET_ALL, gold) > score_option(A, gold));   // 0.75 > 0.5
    // …but never beat the exact answer.
    for (int g = 1; g < 15; g++) {
        assert_true(score_jaccard(ANSWER_SET_ALL, (AnswerSet)g) < score_jaccard((AnswerSet)g, (AnswerSet)g));
        assert_true(score_option(ANSWER_SET_ALL, (AnswerSet)g) < score_option((AnswerSet)g, (AnswerSet)g));
    }
}

static void test_score_names(void **state) {
    (void)state;
    for (int k = 0; k < SCORE_KIND_COUNT; k++) {
        ScoreKind parsed;
        assert_int_equal(score_parse(score_name((ScoreKind)k), &parsed), 0);
        assert_int_equal(parsed, k);
    }
    ScoreKind unused;
    assert_int_equal(score_parse("accuracy", &unused), -1);
}

static void test_random_expected_exact(void **state) {
    (void)state;
    for (int gold = 1; gold < 16; gold++) assert_float_equal(baseline_random_expected(SCORE_EXACT, (AnswerSet)gold), 1.0 / 15, 1e-12);
    assert_float_equal(baseline_random_expected(SCORE_EXACT, 0), 0.0, 1e-12);
    // prop for a single flawed candidate: only the guess {G} pays, 1/15.
    assert_float_equal(baseline_random_expected(SCORE_PROP, B), 1.0 / 15, 1e-12);
    // prop for |G| = 2: guesses {x} (2 of them) pay 1/2, {G} pays 1: (2·0.5 + 1)/15.
    assert_float_equal(baseline_random_expected(SCORE_PROP, B | D), 2.0 / 15, 1e-12);
    // option: every guess's per-letter accuracy averaged: for |G| = 1 … computed by brute force.
    double sum = 0;
    for (int guess = 1; guess < 16; guess++) sum += (4.0 - __builtin_popcount((unsigned)(guess ^ A))) / 4.0;
    assert_float_equal(baseline_random_expected(SCORE_OPTION, A), sum / 15, 1e-12);
}

static void test_random_guess_uniform_and_stable(void **state) {
    (void)state;
    int histogram[16] = {0};
    char id[32];
    for (int i = 0; i < 30000; i++) {
        snprintf(id, sizeof id, "s%06d", i);
        AnswerSet guess = baseline_random_guess(7, id);
        assert_true(guess >= 1 && guess <= 15);
        histogram[guess]++;
        assert_int_equal(guess, baseline_random_guess(7, id)); // a pure function of (seed, id)
    }
    assert_int_equal(histogram[0], 0);
    for (int s = 1; s < 16; s++) assert_true(fabs(histogram[s] - 2000.0) < 250.0); // ~5.6 sigma
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "s%06d", i);
        differ += baseline_random_guess(7, id) != baseline_random_guess(8, id);
    }
    assert_true(differ > 70);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_table),
        cmocka_unit_test(test_select_all_never_beats_correct_partial),
        cmocka_unit_test(test_jaccard_and_option_pay_select_all),
        cmocka_unit_test(test_score_names),
        cmocka_unit_test(test_random_expected_exact),
        cmocka_unit_test(test_random_guess_uniform_and_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// test_reward.c — the GRPO reward table, the format + accuracy total, and the DPA λ schedules.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "train/lambda_schedule.h"
#include "train/reward.h"

#define SET(a, b, c, d) ((AnswerSet)((a) | (b) << 1 | (c) << 2 | (d) << 3))

static void test_table_names_and_lookup(void **state) {
    (void)state;
    size_t count = 0;
    const RewardEntry *table = reward_table(&count);
    assert_int_equal(count, 6);
    const char *names[] = {"exact", "prop", "jaccard", "option", "dpa", "dpa-option"};
    for (size_t i = 0; i < 6; i++) {
        const RewardEntry *entry = reward_find(names[i]);
        assert_non_null(entry);
        assert_string_equal(entry->name, names[i]);
        assert_ptr_equal(entry, &table[i]);
    }
    assert_null(reward_find("accuracy"));
    assert_null(reward_find(NULL));
}

// For every gold set other than "all four", every reward at every λ pays "select all four" no more
// than any correct partial answer (a non-empty subset of the gold set, or "none" when gold is empty).
static void test_select_all_never_beats_a_correct_partial_answer(void **state) {
    (void)state;
    size_t count = 0;
    const RewardEntry *table = reward_table(&count);
    int checked = 0;
    for (size_t r = 0; r < count; r++)
        for (int lambda_step = 0; lambda_step <= 10; lambda_step++) {
            double lambda = lambda_step / 10.0;
            for (int gold = 0; gold < 15; gold++) {
                double hedge = table[r].fn(ANSWER_SET_ALL, (AnswerSet)gold, lambda);
                for (int partial = 0; partial <= gold; partial++) {
                    if ((partial & ~gold) != 0) continue;      // not a subset: a wrong pick
                    if (partial == 0 && gold != 0) continue;   // "none" is not a partial answer
                    double value = table[r].fn((AnswerSet)partial, (AnswerSet)gold, lambda);
                    if (hedge > value) fail_msg("%s at λ=%.1f: all four %.3f beats %d ⊆ %d worth %.3f", table[r].name,
                                                lambda, hedge, partial, gold, value);
                    checked++;
                }
            }
        }
    assert_true(checked > 1000);
}

static void test_values_of_each_reward(void **state) {
    (void)state;
    AnswerSet gold = SET(0, 1, 0, 1); // B, D
    assert_true(reward_exact(gold, gold, 0) == 1.0);
    assert_true(reward_exact(SET(0, 1, 0, 0), gold, 0) == 0.0);
    assert_true(reward_prop(SET(0, 1, 0, 0), gold, 0) == 0.5);
    assert_true(reward_prop(SET(1, 1, 0, 0), gold, 0) == 0.0); // a wrong pick is never paid
    assert_true(fabs(reward_jaccard(SET(1, 1, 0, 0), gold, 0) - 1.0 / 3.0) < 1e-12);
    assert_true(reward_option(SET(1, 1, 0, 0), gold, 0) == 0.5);
    assert_true(reward_jaccard(ANSWER_SET_ALL, gold, 0) == 0.0);
    assert_true(reward_option(ANSWER_SET_ALL, gold, 0) == 0.0);
    assert_true(reward_jaccard(ANSWER_SET_ALL, ANSWER_SET_ALL, 0) == 1.0);
    assert_true(reward_option(0, 0, 0) == 1.0);
}

static void test_dpa_moves_from_prop_to_exact(void **state) {
    (void)state;
    AnswerSet gold = SET(1, 1, 1, 0);
    AnswerSet partial = SET(1, 0, 0, 0);
    for (int p = 0; p < 16; p++) {
        assert_true(reward_dpa((AnswerSet)p, gold, 0.0) == reward_prop((AnswerSet)p, gold, 0));
        assert_true(reward_dpa((AnswerSet)p, gold, 1.0) == reward_exact((AnswerSet)p, gold, 0));
    }
    assert_true(fabs(reward_dpa(partial, gold, 0.25) - 0.75 / 3.0) < 1e-12);
    assert_true(reward_dpa(gold, gold, 0.5) == 1.0);
    // λ outside [0, 1] is clamped rather than producing negative or >1 rewards
    assert_true(reward_dpa(partial, gold, -3.0) == reward_dpa(partial, gold, 0.0));
    assert_true(reward_dpa(partial, gold, 7.0) == 0.0);
}

// Per-candidate partial credit: a wrong pick costs a quarter instead of everything, so adding a
// letter pays when it is more likely flawed than not; λ moves it to exact as with `dpa`.
static void test_dpa_option_moves_from_option_to_exact(void **state) {
    (void)state;
    AnswerSet gold = SET(1, 1, 0, 0);
    for (int p = 0; p < 16; p++) {
        assert_true(reward_dpa_option((AnswerSet)p, gold, 0.0) == reward_option((AnswerSet)p, gold, 0));
        assert_true(reward_dpa_option((AnswerSet)p, gold, 1.0) == reward_exact((AnswerSet)p, gold, 0));
    }
    assert_true(reward_dpa_option(SET(1, 0, 0, 0), gold, 0.0) == 0.75);    // one right, one missed
    assert_true(reward_dpa_option(SET(1, 1, 1, 0), gold, 0.0) == 0.75);    // both right, one wrong pick
    assert_true(reward_dpa_option(SET(1, 0, 1, 0), gold, 0.0) == 0.5);     // where `prop` pays 0
    assert_true(fabs(reward_dpa_option(SET(1, 0, 0, 0), gold, 0.5) - 0.375) < 1e-12);
    assert_true(reward_dpa_option(gold, gold, 0.3) == 1.0);
    assert_true(reward_dpa_option(ANSWER_SET_ALL, gold, 0.0) == 0.0);       // the hedge rule of `option`
    assert_true(reward_dpa_option(SET(1, 0, 0, 0), gold, -1.0) == 0.75);   // λ clamped to [0, 1]
    assert_true(reward_dpa_option(SET(1, 0, 0, 0), gold, 4.0) == 0.0);
}

static void test_score_text_format_accuracy_and_total(void **state) {
    (void)state;
    RewardConfig config;
    reward_config_default(&config);
    assert_string_equal(config.accuracy->name, "dpa");
    config.weight_format = 0.25;
    config.weight_accuracy = 2.0;
    AnswerSet gold = SET(0, 1, 0, 1);
    RewardResult r;

    reward_score_text(&config, "<think>B is warped; D floats.</think><answer>B, D</answer>", gold, 0.0, &r);
    assert_int_equal(r.parsed, 1);
    assert_true(r.format == 1.0 && r.accuracy == 1.0 && r.exact == 1.0 && r.prop == 1.0);
    assert_true(fabs(r.total - 2.25) < 1e-12);
    assert_int_equal(r.predicted, gold);

    reward_score_text(&config, "<think>only B</think><answer>B</answer>", gold, 0.0, &r);
    assert_true(r.format == 1.0 && r.accuracy == 0.5 && r.exact == 0.0);
    reward_score_text(&config, "<think>only B</think><answer>B</answer>", gold, 1.0, &r);
    assert_true(r.accuracy == 0.0); // late in training only the exact set pays

    // unparseable: no accuracy, no format, flagged — never a guessed set
    reward_score_text(&config, "I think it is B and maybe D", gold, 0.0, &r);
    assert_int_equal(r.parsed, 0);
    assert_true(r.format == 0.0 && r.accuracy == 0.0 && r.total == 0.0);
    reward_score_text(&config, NULL, gold, 0.0, &r);
    assert_int_equal(r.parsed, 0);
    reward_score_text(&config, "<think>x</think><answer>B, Q</answer>", gold, 0.0, &r);
    assert_true(r.format == 0.0 && r.total == config.weight_accuracy * r.accuracy);

    config.accuracy = reward_find("exact");
    reward_score_text(&config, "<think></think><answer>none</answer>", 0, 0.0, &r);
    assert_true(r.parsed && r.accuracy == 1.0);
}

static void test_lambda_schedules(void **state) {
    (void)state;
    LambdaSchedule s;
    lambda_schedule_default(&s);
    assert_int_equal(s.kind, LAMBDA_SCHEDULE_LINEAR);
    const long total = 101;
    for (int kind = 0; kind < LAMBDA_SCHEDULE_KIND_COUNT; kind++) {
        s.kind = (LambdaScheduleKind)kind;
        assert_true(lambda_schedule_value(&s, 0, total) == 0.0);
        assert_true(fabs(lambda_schedule_value(&s, total - 1, total) - 1.0) < 1e-12);
        assert_true(fabs(lambda_schedule_value(&s, total + 50, total) - 1.0) < 1e-12);
        double previous = -1;
        for (long step = 0; step < total; step++) { // monotone, within [0, 1]
            double v = lambda_schedule_value(&s, step, total);
            assert_true(v >= previous && v >= 0 && v <= 1);
            previous = v;
        }
        LambdaScheduleKind parsed;
        assert_int_equal(lambda_schedule_parse(lambda_schedule_name(s.kind), &parsed), 0);
        assert_int_equal(parsed, s.kind);
    }
    s.kind = LAMBDA_SCHEDULE_LINEAR;
    assert_true(fabs(lambda_schedule_value(&s, 25, total) - 0.25) < 1e-12);
    s.kind = LAMBDA_SCHEDULE_COSINE;
    assert_true(fabs(lambda_schedule_value(&s, 50, total) - 0.5) < 1e-12);
    assert_true(lambda_schedule_value(&s, 10, total) < 0.1); // slow start
    s.kind = LAMBDA_SCHEDULE_STEP;
    assert_true(lambda_schedule_value(&s, 49, total) == 0.0);
    assert_true(lambda_schedule_value(&s, 50, total) == 1.0);
    s.stages = 3; // 0, 0.5, 1 on thirds
    assert_true(lambda_schedule_value(&s, 40, total) == 0.5);
    assert_true(lambda_schedule_value(&s, 20, total) == 0.0);
    s.start = 0.2;
    s.end = 0.8;
    s.kind = LAMBDA_SCHEDULE_LINEAR;
    assert_true(fabs(lambda_schedule_value(&s, 50, total) - 0.5) < 1e-12);
    assert_true(lambda_schedule_value(&s, 0, 1) == 0.8); // a one-step run is at its end
    LambdaScheduleKind parsed;
    assert_int_equal(lambda_schedule_parse("exponential", &parsed), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_names_and_lookup),
        cmocka_unit_test(test_select_all_never_beats_a_correct_partial_answer),
        cmocka_unit_test(test_values_of_each_reward),
        cmocka_unit_test(test_dpa_moves_from_prop_to_exact),
        cmocka_unit_test(test_dpa_option_moves_from_option_to_exact),
        cmocka_unit_test(test_score_text_format_accuracy_and_total),
        cmocka_unit_test(test_lambda_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

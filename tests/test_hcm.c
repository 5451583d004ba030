// test_hcm.c — hard-case mining pool: subset selection, weights from mean rewards, weighted draws
// without replacement, statistics.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "train/hcm.h"

enum { N = 40 };

static void test_subset_prefers_least_recently_scored(void **state) {
    (void)state;
    HcmPool pool;
    HcmOptions o;
    hcm_options_default(&o);
    o.subset = 10;
    Error err;
    assert_int_equal(hcm_pool_create(&pool, N, &err), 0);
    size_t picked[N], again[N];
    int seen[N] = {0};
    // four refreshes of 10 cover all 40 cases exactly once
    for (long step = 0; step < 4; step++) {
        size_t got = hcm_pool_select_subset(&pool, &o, 3, step, picked);
        assert_int_equal(got, 10);
        assert_int_equal(hcm_pool_select_subset(&pool, &o, 3, step, again), 10); // deterministic
        assert_memory_equal(picked, again, sizeof(size_t) * 10);
        for (size_t i = 0; i < got; i++) {
            assert_int_equal(seen[picked[i]], 0);
            seen[picked[i]] = 1;
            hcm_pool_record(&pool, picked[i], 0.5, step);
        }
    }
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    o.subset = 0; // whole pool
    assert_int_equal(hcm_pool_select_subset(&pool, &o, 3, 9, picked), N);
    hcm_pool_free(&pool);
    assert_int_equal(hcm_pool_create(&pool, 0, &err), -1);
    assert_true(strstr(err.message, "empty") != NULL);
}

static void test_weights_and_stats(void **state) {
    (void)state;
    HcmPool pool;
    HcmOptions o;
    hcm_options_default(&o);
    o.threshold = 0.5;
    o.hard_weight = 4;
    o.solved_weight = 0.5;
    Error err;
    assert_int_equal(hcm_pool_create(&pool, 5, &err), 0);
    o.failed_weight = 0.75;
    hcm_pool_record(&pool, 0, 0.0, 1);  // failed by every rollout: no signal, not boosted
    hcm_pool_record(&pool, 1, 0.25, 1); // hard
    hcm_pool_record(&pool, 2, 1.0, 1);  // solved
    hcm_pool_record(&pool, 4, 0.4, 1);  // hard
    // case 3 never scored
    hcm_pool_reweight(&pool, &o);
    assert_true(pool.weights[0] == 0.75 && pool.weights[1] == 4 && pool.weights[2] == 0.5 && pool.weights[3] == 1 &&
                pool.weights[4] == 4);
    HcmPoolStats s;
    hcm_pool_stats(&pool, &o, &s);
    assert_int_equal(s.scored, 4);
    assert_int_equal(s.hard, 2);
    assert_int_equal(s.solved, 1);
    assert_int_equal(s.failed, 1);
    assert_true(fabs(s.mean_reward - 1.65 / 4) < 1e-6);
    assert_true(fabs(s.hard_mean_reward - 0.325) < 1e-6);
    assert_true(fabs(s.hard_share - 8.0 / 10.25) < 1e-9);
    hcm_pool_free(&pool);

    o.rollouts = 0;
    assert_int_equal(hcm_options_validate(&o, &err), -1);
    hcm_options_default(&o);
    assert_int_equal(hcm_options_validate(&o, &err), 0);
}

// Hard cases weigh 4, others 1: over many steps, a hard case is drawn about 4× as often when the
// draw is small compared with the pool (and never twice in one draw).
static void test_weighted_draws(void **state) {
    (void)state;
    HcmPool pool;
    HcmOptions o;
    hcm_options_default(&o);
    Error err;
    assert_int_equal(hcm_pool_create(&pool, N, &err), 0);
    for (size_t i = 0; i < N; i++) hcm_pool_record(&pool, i, i < 8 ? 0.1 : 0.7, 0); // 8 hard cases
    hcm_pool_reweight(&pool, &o);
    long counts[N] = {0};
    const int draws = 2000, per_draw = 4;
    for (long step = 0; step < draws; step++) {
        size_t picked[per_draw], again[per_draw];
        hcm_pool_sample(&pool, 17, step, per_draw, picked);
        hcm_pool_sample(&pool, 17, step, per_draw, again);
        assert_memory_equal(picked, again, sizeof picked);
        for (int i = 0; i < per_draw; i++) {
            for (int j = 0; j < i; j++) assert_true(picked[i] != picked[j]);
            counts[picked[i]]++;
        }
    }
    double hard = 0, easy = 0;
    for (int i = 0; i < N; i++) {
        if (i < 8) hard += counts[i];
        else easy += counts[i];
    }
    double ratio = (hard / 8) / (easy / 32);
    if (!(ratio > 3.0 && ratio < 4.6)) fail_msg("hard/easy draw ratio %.2f, expected about 4", ratio);
    // a draw of the whole pool is a permutation
    size_t all[N];
    hcm_pool_sample(&pool, 17, 0, N, all);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) seen[all[i]]++;
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    hcm_pool_free(&pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subset_prefers_least_recently_scored),
        cmocka_unit_test(test_weights_and_stats),
        cmocka_unit_test(test_weighted_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

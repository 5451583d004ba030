// test_distributed.c — the data-parallel layer (src/train/distributed.c): batch slicing, the
// collectives and, on the tiny model, that N ranks (real MPI ranks under mpirun, or simulated ranks
// in one process) reproduce the single-process training steps: same loss, same gradients and weights
// within float tolerance, and bit-identical replicas on every rank.
// Run alone it is a one-process world; tests/cli/test_mpi.sh runs it under `mpirun -np 2` and 3.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/model_support.h"
#include "train/adamw.h"
#include "train/distributed.h"

static Distributed world; // one MPI world per process: initialised in main

static void test_slice_partitions_in_order(void **state) {
    (void)state;
    for (size_t rows = 0; rows <= 40; rows++)
        for (int size = 1; size <= 7; size++) {
            size_t next = 0, smallest = rows, largest = 0;
            for (int rank = 0; rank < size; rank++) {
                size_t begin, count;
                distributed_slice(rows, rank, size, &begin, &count);
                assert_int_equal(begin, next); // contiguous, in rank order, no gap or overlap
                next = begin + count;
                if (count < smallest) smallest = count;
                if (count > largest) largest = count;
            }
            assert_int_equal(next, rows);
            assert_true(largest - smallest <= 1);
        }
}

static void test_batch_slice_views(void **state) {
    (void)state;
    ModelConfig config = model_support_tiny_config(40);
    int len[5] = {9, 7, 12, 5, 8}, prefix[5] = {3, 2, 4, 5, 3};
    ModelSupportBatch global;
    model_support_batch(&global, &config, 5, len, prefix, 3);
    float labels[5 * (MODEL_IMAGE_COUNT - 1)] = {0};
    global.batch.candidate_flawed = labels;
    global.batch.aux_weight = 0.5f;
    size_t image_floats = (size_t)MODEL_IMAGE_COUNT * 3 * config.image_size * config.image_size;
    int T = global.batch.text_len_max, seen = 0;
    for (int rank = 0; rank < 3; rank++) {
        ModelBatch local;
        int begin = distributed_batch_slice(&local, &global.batch, &config, rank, 3);
        assert_int_equal(begin, seen);
        assert_int_equal(local.text_len_max, T);
        assert_ptr_equal(local.images, global.images + (size_t)begin * image_floats);
        assert_ptr_equal(local.tokens, global.tokens + (size_t)begin * T);
        assert_ptr_equal(local.targets, global.targets + (size_t)begin * T);
        assert_ptr_equal(local.text_len, global.text_len + begin);
        assert_ptr_equal(local.prefix_len, global.prefix_len + begin);
        assert_ptr_equal(local.candidate_flawed, labels + (size_t)begin * (MODEL_IMAGE_COUNT - 1));
        assert_float_equal(local.aux_weight, 0.5f * (float)local.batch_size / 5.0f, 1e-7);
        seen += local.batch_size;
    }
    assert_int_equal(seen, 5);
    ModelBatch empty;
    distributed_batch_slice(&empty, &global.batch, &config, 6, 7); // more ranks than rows
    assert_int_equal(empty.batch_size, 0);
    model_support_batch_free(&global);
}

static void test_allreduce_buckets(void **state) {
    (void)state;
    Error err;
    size_t count = 1003;
    float *data = malloc(count * sizeof *data);
    assert_non_null(data);
    for (size_t i = 0; i < count; i++) data[i] = (float)(world.rank + 1) + 0.5f * (float)i;
    size_t saved = world.bucket_floats;
    world.bucket_floats = 7; // many buckets, the last one partial
    assert_int_equal(distributed_allreduce_sum(&world, data, count, &err), 0);
    world.bucket_floats = saved;
    float rank_sum = (float)(world.size * (world.size + 1) / 2);
    for (size_t i = 0; i < count; i++) assert_float_equal(data[i], rank_sum + (float)world.size * 0.5f * i, 0.0);
    for (size_t i = 0; i < count; i++) data[i] = (float)(2 * world.rank);
    assert_int_equal(distributed_allreduce_mean(&world, data, count, &err), 0);
    for (size_t i = 0; i < count; i++) assert_float_equal(data[i], (float)(world.size - 1), 1e-6);
    double stats[2] = {1.0, (double)world.rank};
    assert_int_equal(distributed_allreduce_sum_doubles(&world, stats, 2, &err), 0);
    assert_float_equal(stats[0], world.size, 0.0);
    assert_float_equal(stats[1], world.size * (world.size - 1) / 2.0, 0.0);
    free(data);
}

static void test_broadcast_and_identity_check(void **state) {
    (void)state;
    Error err;
    float values[64];
    for (int i = 0; i < 64; i++) values[i] = world.rank == 0 ? (float)i * 0.25f : -1.0f;
    assert_int_equal(distributed_broadcast_floats(&world, values, 64, &err), 0);
    for (int i = 0; i < 64; i++) assert_float_equal(values[i], (float)i * 0.25f, 0.0);
    assert_int_equal(distributed_check_identical(&world, values, 64, &err), 0);
    if (world.size > 1) {
        if (world.rank == world.size - 1) values[17] = nextafterf(values[17], 100.0f); // one ulp on one rank
        assert_int_equal(distributed_check_identical(&world, values, 64, &err), -1);
        assert_non_null(strstr(err.message, "diverged"));
    }
    assert_int_equal(distributed_barrier(&world, &err), 0);
}

static void test_allgather_slices(void **state) {
    (void)state;
    Error err;
    enum { ITEMS = 7, WIDTH = 3 }; // uneven slices for 2 and 3 ranks
    int data[ITEMS][WIDTH];
    size_t begin, count;
    distributed_slice(ITEMS, world.rank, world.size, &begin, &count);
    for (int i = 0; i < ITEMS; i++)
        for (int k = 0; k < WIDTH; k++) data[i][k] = (size_t)i >= begin && (size_t)i < begin + count ? 100 * i + k : -1;
    assert_int_equal(distributed_allgather_slices(&world, data, sizeof data[0], ITEMS, &err), 0);
    for (int i = 0; i < ITEMS; i++)
        for (int k = 0; k < WIDTH; k++) assert_int_equal(data[i][k], 100 * i + k);
}

// ---- data-parallel training vs one process -----------------------------------------------------

typedef struct StepScratch {
    float *logprobs, *dlogprobs;
} StepScratch;

// Forward + backward of rows [slice of `rank` of `size`] with the loss normalised by the GLOBAL
// target count (as the trainers do under MPI); returns this slice's share of the loss.
static double slice_forward_backward(Model *model, const ModelBatch *global, int rank, int size, StepScratch *s) {
    Error err;
    long targets = 0;
    for (int i = 0; i < global->batch_size * global->text_len_max; i++) targets += global->targets[i] >= 0;
    ModelBatch local;
    distributed_batch_slice(&local, global, &model->config, rank, size);
    if (local.batch_size == 0) return 0.0;
    if (model_forward(model, &local, s->logprobs, NULL, &err) != 0) fail_msg("forward: %s", err.message);
    double sum = 0;
    for (int i = 0; i < local.batch_size * local.text_len_max; i++) {
        int on = local.targets[i] >= 0;
        sum += on ? s->logprobs[i] : 0.0;
        s->dlogprobs[i] = on ? (float)(-1.0 / (double)targets) : 0.0f;
    }
    if (model_backward(model, &local, s->dlogprobs, &err) != 0) fail_msg("backward: %s", err.message);
    return -sum / (double)targets;
}

// One optimizer step: `ranks` slices (simulated == 1: all of them in this process, accumulating;
// else this process's slice of the real world, then the gradient sum over ranks).
static double data_parallel_step(Model *model, AdamW *opt, const ModelBatch *global, int ranks, int simulated,
                                 StepScratch *s) {
    Error err;
    model_zero_grad(model);
    double loss = 0;
    if (simulated) {
        for (int r = 0; r < ranks; r++) loss += slice_forward_backward(model, global, r, ranks, s);
    } else {
        loss = slice_forward_backward(model, global, world.rank, world.size, s);
        assert_int_equal(distributed_allreduce_sum_doubles(&world, &loss, 1, &err), 0);
        if (distributed_sync_gradients(&world, model, &err) != 0) fail_msg("%s", err.message);
    }
    double norm = adamw_update(opt, model, 1e-2f);
    assert_true(isfinite(norm));
    return loss;
}

// Runs `steps` steps on the same global batches twice: one process, and `ranks` slices; compares
// the loss curve and the final weights; returns the worst relative weight difference.
static void compare_with_single_process(int ranks, int simulated, int candidate_parts) {
    Error err;
    ModelConfig config = model_support_tiny_config(48);
    // with the candidate head and pointer, the auxiliary per-candidate loss (a mean over rows) too
    config.candidate_head = config.candidate_pointer = candidate_parts;
    enum { ROWS = 6, STEPS = 4 };
    int len[ROWS] = {20, 14, 9, 17, 11, 6}, prefix[ROWS] = {5, 4, 3, 6, 2, 6};
    Model single, parallel;
    assert_int_equal(model_create(&single, &config, ROWS, 7, &err), 0);
    assert_int_equal(model_create(&parallel, &config, ROWS, world.rank == 0 ? 7 : 99, &err), 0);
    // every rank starts from rank 0's weights (the other ranks were seeded differently on purpose)
    assert_int_equal(distributed_sync_parameters(&world, &parallel, &err), 0);
    if (simulated || world.size == 1) memcpy(parallel.params, single.params, single.param_count * sizeof(float));
    AdamWConfig ac;
    adamw_config_default(&ac);
    AdamW opt_single, opt_parallel;
    assert_int_equal(adamw_create(&opt_single, &single, &ac, &err), 0);
    assert_int_equal(adamw_create(&opt_parallel, &parallel, &ac, &err), 0);
    StepScratch s = {malloc(sizeof(float) * ROWS * config.max_text_len),
                     malloc(sizeof(float) * ROWS * config.max_text_len)};
    for (int step = 0; step < STEPS; step++) {
        ModelSupportBatch batch;
        model_support_batch(&batch, &config, ROWS, len, prefix, 100 + (uint64_t)step);
        float labels[ROWS * (MODEL_IMAGE_COUNT - 1)];
        for (int i = 0; i < ROWS * (MODEL_IMAGE_COUNT - 1); i++) labels[i] = (float)((i * 7 + step) % 3 == 0);
        if (candidate_parts) batch.batch.candidate_flawed = labels, batch.batch.aux_weight = 0.5f;
        double a = data_parallel_step(&single, &opt_single, &batch.batch, 1, 1, &s);
        double b = data_parallel_step(&parallel, &opt_parallel, &batch.batch, ranks, simulated, &s);
        printf("  step %d: loss %.6f (1 process) vs %.6f (%d %s ranks)\n", step + 1, a, b, ranks,
               simulated ? "simulated" : "MPI");
        assert_true(fabs(a - b) <= 1e-5 * fabs(a));
        model_support_batch_free(&batch);
    }
    // documented tolerance (docs/SCALE.md): |Δw| <= 1e-4 · (1 + |w|) after 4 AdamW steps at lr 1e-2
    double worst = 0;
    for (size_t i = 0; i < single.param_count; i++) {
        double d = fabs((double)single.params[i] - parallel.params[i]) / (1.0 + fabs(single.params[i]));
        if (!(d <= worst)) worst = d;
    }
    printf("  final weights: worst |dw|/(1+|w|) = %.3g\n", worst);
    assert_true(worst <= 1e-4);
    if (!simulated) assert_int_equal(distributed_check_identical(&world, parallel.params, parallel.param_count, &err), 0);
    free(s.logprobs);
    free(s.dlogprobs);
    adamw_free(&opt_single);
    adamw_free(&opt_parallel);
    model_free(&single);
    model_free(&parallel);
}

static void test_simulated_ranks_match_one_process(void **state) {
    (void)state;
    if (world.size > 1) skip(); // the one-process run of the suite covers it
    compare_with_single_process(2, 1, 0);
    compare_with_single_process(4, 1, 0);
    compare_with_single_process(3, 1, 1);
}

static void test_mpi_ranks_match_one_process(void **state) {
    (void)state;
    if (world.size == 1) printf("  one-process world: the MPI path runs as its N=1 case\n");
    compare_with_single_process(world.size, 0, 0);
    compare_with_single_process(world.size, 0, 1);
}

int main(int argc, char **argv) {
    Error err;
    if (distributed_init(&world, &argc, &argv, &err) != 0) {
        fprintf(stderr, "distributed_init: %s\n", err.message);
        return 1;
    }
    printf("rank %d of %d (MPI %s in this build, %s)\n", world.rank, world.size,
           distributed_compiled() ? "present" : "absent", world.mpi_active ? "launched by mpirun" : "not launched");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_partitions_in_order),
        cmocka_unit_test(test_batch_slice_views),
        cmocka_unit_test(test_allreduce_buckets),
        cmocka_unit_test(test_broadcast_and_identity_check),
        cmocka_unit_test(test_allgather_slices),
        cmocka_unit_test(test_simulated_ranks_match_one_process),
        cmocka_unit_test(test_mpi_ranks_match_one_process),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    // a rank that failed must not leave the others waiting in a collective
    if (failed) distributed_abort(&world, 1);
    distributed_finalize(&world);
    return failed ? 1 : 0;
}

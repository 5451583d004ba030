// distributed.c — the MPI layer of data-parallel training (distributed.h). Every collective goes
// through one of the functions here, which time themselves into Distributed.comm_seconds. Without
// IAR_HAVE_MPI the same functions run a one-process world.
#include "train/distributed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/fnv1a.h"

#ifdef IAR_HAVE_MPI
#include <mpi.h>
#endif

int distributed_compiled(void) {
#ifdef IAR_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int distributed_launcher_size(void) {
    // OpenMPI's mpirun, MPICH/Intel Hydra (PMI), PMIx launchers, Slurm's srun
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *value = getenv(names[i]);
        if (value && atoi(value) > 0) return atoi(value);
    }
    return 0;
}

#ifdef IAR_HAVE_MPI
static int distributed_mpi_error(Error *err, int code, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
    return error_set(err, "MPI %s failed: %s", what, text);
}
#endif

int distributed_init(Distributed *dist, int *argc, char ***argv, Error *err) {
    memset(dist, 0, sizeof *dist);
    dist->size = 1;
    dist->bucket_floats = DISTRIBUTED_DEFAULT_BUCKET_FLOATS;
    int launched = distributed_launcher_size();
#ifdef IAR_HAVE_MPI
    if (launched == 0) return 0;
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
        int provided = 0;
        // the loader's prefetch thread never calls MPI: only the main thread does
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return error_set(err, "MPI_Init_thread failed (code %d); check the mpirun command", rc);
        dist->mpi_active = 1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &dist->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist->size);
    return 0;
#else
    (void)argc;
    (void)argv;
    if (launched > 1)
        return error_set(err, "launched by mpirun with %d processes, but this iar was built without MPI; install "
                              "libopenmpi-dev and rebuild (make MPI=1), or run without mpirun",
                         launched);
    return 0;
#endif
}

void distributed_finalize(Distributed *dist) {
#ifdef IAR_HAVE_MPI
    if (dist && dist->mpi_active) {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
        dist->mpi_active = 0;
    }
#else
    (void)dist;
#endif
}

void distributed_abort(Distributed *dist, int code) {
#ifdef IAR_HAVE_MPI
    if (dist && dist->mpi_active && dist->size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)dist;
    (void)code;
#endif
}

void distributed_slice(size_t global_rows, int rank, int size, size_t *begin, size_t *count) {
    if (size < 1) size = 1;
    if (rank < 0) rank = 0;
    size_t base = global_rows / (size_t)size, extra = global_rows % (size_t)size, r = (size_t)rank;
    *begin = r * base + (r < extra ? r : extra);
    *count = r < (size_t)size ? base + (r < extra ? 1 : 0) : 0;
}

int distributed_batch_slice(ModelBatch *local, const ModelBatch *global, const ModelConfig *config, int rank,
                            int size) {
    size_t begin, count;
    distributed_slice((size_t)global->batch_size, rank, size, &begin, &count);
    size_t image_floats = (size_t)MODEL_IMAGE_COUNT * 3 * config->image_size * config->image_size;
    size_t text = begin * (size_t)global->text_len_max;
    *local = *global;
    local->batch_size = (int)count;
    local->images = global->images ? global->images + begin * image_floats : NULL;
    local->tokens = global->tokens ? global->tokens + text : NULL;
    local->targets = global->targets ? global->targets + text : NULL;
    local->text_len = global->text_len ? global->text_len + begin : NULL;
    local->prefix_len = global->prefix_len ? global->prefix_len + begin : NULL;
    local->candidate_flawed =
        global->candidate_flawed ? global->candidate_flawed + begin * (MODEL_IMAGE_COUNT - 1) : NULL;
    // the auxiliary loss is a mean over the batch's rows: weighted by this slice's share of them, the
    // slices' gradients sum to the global batch's
    local->aux_weight = global->batch_size > 0 ? global->aux_weight * (float)count / (float)global->batch_size : 0.0f;
    return (int)begin;
}

static int distributed_single(const Distributed *dist) {
#ifdef IAR_HAVE_MPI
    return !dist || !dist->mpi_active || dist->size <= 1;
#else
    (void)dist;
    return 1;
#endif
}

// One blocking collective, timed: `what` names it in the error.
#ifdef IAR_HAVE_MPI
static int distributed_finish(Distributed *dist, double t0, int rc, const char *what, Error *err) {
    dist->comm_seconds += time_now_seconds() - t0;
    dist->collective_calls++;
    return rc == MPI_SUCCESS ? 0 : distributed_mpi_error(err, rc, what);
}
#endif

int distributed_allreduce_sum(Distributed *dist, float *data, size_t count, Error *err) {
    if (distributed_single(dist) || count == 0) return 0;
#ifdef IAR_HAVE_MPI
    double t0 = time_now_seconds();
    size_t bucket = dist->bucket_floats > 0 ? dist->bucket_floats : DISTRIBUTED_DEFAULT_BUCKET_FLOATS;
    if (bucket > (size_t)INT32_MAX) bucket = (size_t)INT32_MAX;
    int rc = MPI_SUCCESS;
    // Blocking buckets, one after the other: measured on two processes of one machine, a 4 MiB
    // MPI_Allreduce took 4 ms and the same data as two MPI_Iallreduce 12 ms, while the step is
    // ~500 ms, so overlapping with the backward pass could win < 1% (docs/SCALE.md).
    for (size_t offset = 0; offset < count && rc == MPI_SUCCESS; offset += bucket) {
        size_t n = count - offset < bucket ? count - offset : bucket;
        rc = MPI_Allreduce(MPI_IN_PLACE, data + offset, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    return distributed_finish(dist, t0, rc, "gradient allreduce", err);
#else
    return 0;
#endif
}

int distributed_allreduce_mean(Distributed *dist, float *data, size_t count, Error *err) {
    if (distributed_allreduce_sum(dist, data, count, err) != 0) return -1;
    if (!dist || dist->size <= 1) return 0;
    float inverse = 1.0f / (float)dist->size;
    for (size_t i = 0; i < count; i++) data[i] *= inverse;
    return 0;
}

// A few doubles reduced in place over ranks: sum (maximum = 0) or maximum (1).
static int allreduce_doubles(Distributed *dist, double *values, int count, int maximum, Error *err) {
    if (distributed_single(dist) || count <= 0) return 0;
#ifdef IAR_HAVE_MPI
    double t0 = time_now_seconds();
    int rc = MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, maximum ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD);
    return distributed_finish(dist, t0, rc, "allreduce of statistics", err);
#else
    (void)maximum;
    return 0;
#endif
}

int distributed_allreduce_sum_doubles(Distributed *dist, double *values, int count, Error *err) {
    return allreduce_doubles(dist, values, count, 0, err);
}

int distributed_allreduce_max_doubles(Distributed *dist, double *values, int count, Error *err) {
    return allreduce_doubles(dist, values, count, 1, err);
}

int distributed_broadcast_bytes(Distributed *dist, void *data, size_t size, Error *err) {
    if (distributed_single(dist) || size == 0) return 0;
#ifdef IAR_HAVE_MPI
    double t0 = time_now_seconds();
    int rc = MPI_SUCCESS;
    // MPI counts are ints: send in pieces of at most 1 GiB
    for (size_t offset = 0; offset < size && rc == MPI_SUCCESS; offset += (size_t)1 << 30) {
        size_t n = size - offset < ((size_t)1 << 30) ? size - offset : ((size_t)1 << 30);
        rc = MPI_Bcast((char *)data + offset, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
    return distributed_finish(dist, t0, rc, "broadcast", err);
#else
    return 0;
#endif
}

int distributed_broadcast_floats(Distributed *dist, float *data, size_t count, Error *err) {
    return distributed_broadcast_bytes(dist, data, count * sizeof *data, err);
}

int distributed_barrier(Distributed *dist, Error *err) {
    if (distributed_single(dist)) return 0;
#ifdef IAR_HAVE_MPI
    double t0 = time_now_seconds();
    return distributed_finish(dist, t0, MPI_Barrier(MPI_COMM_WORLD), "barrier", err);
#else
    return 0;
#endif
}

int distributed_allgather_slices(Distributed *dist, void *data, size_t item_bytes, size_t items, Error *err) {
    if (distributed_single(dist) || items == 0 || item_bytes == 0) return 0;
#ifdef IAR_HAVE_MPI
    if (items * item_bytes > (size_t)INT32_MAX)
        return error_set(err, "allgather of %zu bytes: over MPI's int count; gather in pieces", items * item_bytes);
    int *counts = malloc(sizeof(int) * 2 * (size_t)dist->size), *displacements = counts + dist->size;
    if (!counts) return error_set(err, "allgather: out of memory");
    for (int r = 0; r < dist->size; r++) {
        size_t begin, count;
        distributed_slice(items, r, dist->size, &begin, &count);
        counts[r] = (int)(count * item_bytes);
        displacements[r] = (int)(begin * item_bytes);
    }
    double t0 = time_now_seconds();
    int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts, displacements, MPI_BYTE, MPI_COMM_WORLD);
    free(counts);
    return distributed_finish(dist, t0, rc, "allgather", err);
#else
    return 0;
#endif
}

int distributed_sync_parameters(Distributed *dist, Model *model, Error *err) {
    if (distributed_broadcast_floats(dist, model->params, model->param_count, err) != 0)
        return error_prefix(err, "sending rank 0's parameters: ");
    return 0;
}

int distributed_sync_gradients(Distributed *dist, Model *model, Error *err) {
    if (distributed_allreduce_sum(dist, model->grads, model->param_count, err) != 0)
        return error_prefix(err, "summing gradients over ranks: ");
    return 0;
}

int distributed_check_identical(Distributed *dist, const float *data, size_t count, Error *err) {
    if (distributed_single(dist)) return 0;
    uint64_t hash = fnv1a_bytes(FNV1A_START, data, count * sizeof *data);
    // the hash split in two exact doubles: min and max over ranks differ iff some rank differs
    double halves[4] = {(double)(hash >> 32), (double)(hash & 0xffffffffu), 0, 0};
    halves[2] = -halves[0];
    halves[3] = -halves[1];
#ifdef IAR_HAVE_MPI
    double t0 = time_now_seconds();
    int rc = MPI_Allreduce(MPI_IN_PLACE, halves, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (distributed_finish(dist, t0, rc, "consistency check", err) != 0) return -1;
#endif
    if (halves[0] != -halves[2] || halves[1] != -halves[3])
        return error_set(err, "ranks hold different parameters (rank %d of %d): the data-parallel replicas diverged",
                         dist->rank, dist->size);
    return 0;
}

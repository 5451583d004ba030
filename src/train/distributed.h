// distributed.h — data-parallel training across processes with MPI. Every rank holds
// the whole model; each global batch is cut into one contiguous slice of rows per rank; gradients
// are summed over ranks with bucketed MPI_Allreduce before the optimizer step, so every rank applies
// the same update and parameters stay identical. Checkpoints and logs are written by rank 0 only.
//
// Without MPI in the build, or when the process was not launched by mpirun (no launcher variables
// in the environment), everything works as one process: size 1, rank 0, collectives are no-ops.
// A build without MPI that is launched by mpirun with N > 1 fails in distributed_init with a
// message saying how to rebuild.
//
// Reproducing a single-process run: the loss normaliser must be the GLOBAL one (e.g. the target
// token count of the whole global batch, see distributed_allreduce_sum_doubles) and gradients are
// SUMMED (distributed_sync_gradients), so the N-process gradient equals the single-process one up
// to float summation order (docs/SCALE.md gives the tolerance).
#ifndef IAR_TRAIN_DISTRIBUTED_H
#define IAR_TRAIN_DISTRIBUTED_H

#include <stddef.h>

#include "core/error.h"
#include "model/model.h"

#define DISTRIBUTED_DEFAULT_BUCKET_FLOATS ((size_t)1 << 22) // 16 MiB per MPI_Allreduce

typedef struct Distributed {
    int rank, size;
    int mpi_active;            // 1 when distributed_init initialised MPI (launched by a launcher)
    size_t bucket_floats;      // floats per allreduce bucket (DISTRIBUTED_DEFAULT_BUCKET_FLOATS)
    double comm_seconds;       // wall time spent inside collectives since init (the communication share)
    long collective_calls;
} Distributed;

// 1 when this build has MPI (IAR_HAVE_MPI).
int distributed_compiled(void);
// The world size a launcher (mpirun/mpiexec of OpenMPI, MPICH/Hydra, PMIx, Slurm's srun with PMI)
// announced in the environment; 0 when the process was not started by one.
int distributed_launcher_size(void);

// Initialises MPI when launched by a launcher (argc/argv may be NULL), else a one-process world.
// Call once per process, before any thread is started that could call MPI.
int distributed_init(Distributed *dist, int *argc, char ***argv, Error *err);
// Finalises MPI if distributed_init started it. Safe on a zeroed or one-process struct.
void distributed_finalize(Distributed *dist);
// Aborts every rank (MPI_Abort) after an error on one of them, so the others do not hang in a
// collective; a no-op in a one-process world. Returns only there.
void distributed_abort(Distributed *dist, int code);

// Rank 0 is the one that writes checkpoints, logs and progress.
static inline int distributed_is_root(const Distributed *dist) { return !dist || dist->rank == 0; }

// Rows [*begin, *begin + *count) of a global batch of `global_rows` that rank `rank` of `size` works
// on: contiguous, in order, the first (global_rows % size) ranks get one row more. The union over
// ranks is the global batch in its order, so what is computed does not depend on `size`.
void distributed_slice(size_t global_rows, int rank, int size, size_t *begin, size_t *count);

// A view of this rank's rows of `global` (no copy). images advance by the per-row image floats of
// `config`. local->batch_size may be 0 (more ranks than rows): then skip forward/backward but still
// join the collectives. candidate_flawed is sliced too and aux_weight scaled by the slice's share of
// the rows (the auxiliary loss is a mean over rows). Returns the first global row of the slice.
int distributed_batch_slice(ModelBatch *local, const ModelBatch *global, const ModelConfig *config, int rank,
                            int size);

// In-place sum over ranks, in buckets of dist->bucket_floats floats (one MPI_Allreduce each).
int distributed_allreduce_sum(Distributed *dist, float *data, size_t count, Error *err);
// Sum, then divided by the number of ranks.
int distributed_allreduce_mean(Distributed *dist, float *data, size_t count, Error *err);
// In-place sum of a few doubles (loss sums, token counts, reward statistics).
int distributed_allreduce_sum_doubles(Distributed *dist, double *values, int count, Error *err);
// In-place maximum of a few doubles (the worst of a per-rank statistic).
int distributed_allreduce_max_doubles(Distributed *dist, double *values, int count, Error *err);
// Rank 0's floats / bytes to every rank.
int distributed_broadcast_floats(Distributed *dist, float *data, size_t count, Error *err);
int distributed_broadcast_bytes(Distributed *dist, void *data, size_t size, Error *err);
int distributed_barrier(Distributed *dist, Error *err);
// `data` holds `items` items of `item_bytes` each; every rank has filled its distributed_slice of
// them (e.g. the rollouts of its prompts). Afterwards every rank holds all of them (MPI_Allgatherv).
int distributed_allgather_slices(Distributed *dist, void *data, size_t item_bytes, size_t items, Error *err);

// Model helpers: rank 0's parameters to every rank (call once after creating or loading the model),
// and the gradient sum over ranks (call after backward, before the optimizer step).
int distributed_sync_parameters(Distributed *dist, Model *model, Error *err);
int distributed_sync_gradients(Distributed *dist, Model *model, Error *err);
// Fails (on every rank) unless every rank holds bit-identical floats (compares a 64-bit hash).
int distributed_check_identical(Distributed *dist, const float *data, size_t count, Error *err);

#endif

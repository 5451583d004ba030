#!/bin/sh
# mpi_bench.sh [STEPS] — SFT and GRPO data-parallel step time at 1 and 2 MPI processes on this
# machine (bench/mpi_bench.c through src/train/distributed.c), with the communication share.
# Compared at equal cores: 1 process x 2 OpenMP threads, 1 x 1, and 2 processes x 1 thread.
# Results: docs/perf/scale.md.
set -e
cd "$(dirname "$0")/.."
STEPS=${1:-4}
make -s -j2 MPI=1 build/bench/mpi_bench
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader"
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
echo "| mode | preset | processes | threads each | step ms | rollout ms | allreduce ms (share) | wait for slower rank ms (share) |"
echo "|---|---|---|---|---|---|---|---|"
for mode in sft grpo; do
    OMP_NUM_THREADS=2 build/bench/mpi_bench $mode small "$STEPS"
    OMP_NUM_THREADS=1 build/bench/mpi_bench $mode small "$STEPS"
    $MPIRUN -np 2 -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS build/bench/mpi_bench $mode small "$STEPS"
done

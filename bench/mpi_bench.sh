#!/bin/sh
# mpi_bench.sh [STEPS] — SFT and GRPO data-parallel step time at 1 and 2 MPI processes on this
# machine (bench/mpi_bench.c through src/train/distributed.c), with the communication share.
# Compared at equal cores: 1 process x 2 OpenMP threads, 1 x 1, and 2 processes x 1 thread.
# Results: docs/perf/scale.md.
set -e
cd "$(dirname "$0")/.."
STEPS=${1:-4}
make -s -j2 build/libiar.a
PKGS="cairo libpng libjpeg libcjson libcurl libmicrohttpd sqlite3 openblas"
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -march=x86-64-v3 -Isrc -DIAR_HAVE_MPI $(pkg-config --cflags $PKGS ompi-c) \
    -o build/mpi_bench bench/mpi_bench.c build/libiar.a -Wl,--as-needed $(pkg-config --libs $PKGS ompi-c) \
    -L/usr/local/cuda/lib64 -lcublas -lcudart -lstdc++ -fopenmp -lm -lpthread
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader"
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
echo "| mode | preset | processes | threads each | step ms | rollout ms | allreduce ms (share) | wait for slower rank ms (share) |"
echo "|---|---|---|---|---|---|---|---|"
for mode in sft grpo; do
    OMP_NUM_THREADS=2 build/mpi_bench $mode small "$STEPS"
    OMP_NUM_THREADS=1 build/mpi_bench $mode small "$STEPS"
    $MPIRUN -np 2 -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS build/mpi_bench $mode small "$STEPS"
done

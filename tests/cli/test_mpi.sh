#!/bin/sh
# test_mpi.sh — data-parallel training under a real MPI launcher: runs test_distributed with
# `mpirun -np 2` and `-np 3` (uneven slices), where every rank must reproduce the one-process
# training steps and hold bit-identical weights. Skipped, with a message, where mpirun or MPI is absent.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
BUILD=$(dirname "$IAR")
TEST="$BUILD/tests/test_distributed"
if ! command -v mpirun >/dev/null 2>&1; then echo "skipped: mpirun not found"; exit 0; fi
if [ ! -x "$TEST" ]; then echo "FAIL: $TEST not built (make all-tests)"; exit 1; fi
# does this build have MPI? the one-process run says so in its first line
if ! "$TEST" 2>&1 | head -1 | grep -q "MPI present"; then echo "skipped: this build has no MPI"; exit 0; fi
fails=0
# sanitizer builds: OpenMPI's own allocations are reported as leaks; only the leak check is relaxed
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 # one core per rank: two cores, no spinning threads
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader"
export OMPI_MCA_btl_vader_single_copy_mechanism=none # no CMA in containers
for n in 2 3; do
    if timeout 300 $MPIRUN -np $n "$TEST" > "${IAR_TEST_TMP:-/tmp}/mpi-$n.log" 2>&1; then
        grep -q "rank 1 of $n" "${IAR_TEST_TMP:-/tmp}/mpi-$n.log" || { echo "FAIL: -np $n did not start $n ranks"; fails=$((fails+1)); }
        echo "ok: mpirun -np $n test_distributed"
    else
        echo "FAIL: mpirun -np $n test_distributed"; tail -40 "${IAR_TEST_TMP:-/tmp}/mpi-$n.log"; fails=$((fails+1))
    fi
done
[ $fails -eq 0 ] || exit 1

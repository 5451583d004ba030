#!/bin/sh
# cuda_gpu.sh bundle|run — the CUDA build's checks on a GPU machine, as one prepared script.
#   bundle (here, on the build machine): builds tests/test_cuda.c and bench/cuda_bench.c with
#          make CUDA=1 (in build-gpu/) and copies them into gpu-bundle/ (git-ignored) with the
#          non-CUDA shared libraries they need (OpenBLAS, cJSON, cmocka, libgomp, libgfortran), rpath
#          $ORIGIN/lib, so a GPU machine without the project's -dev packages runs them;
#          cuBLAS/cudart come from that machine's CUDA.
#   run    (on the GPU machine, repository root, carrying gpu-bundle): nvidia-smi, test_cuda, then
#          cuda_bench on the small and base presets; output to $OUT (or gpu-out/).
# Results and the exact commands: docs/perf/scale.md.
set -eu
cd "$(dirname "$0")/.."
case "${1:-}" in
bundle)
    # its own build folder: CUDA=1 objects never mix with the main build's; the rpath lets the
    # binaries find the libraries copied beside them
    make -s -j2 CUDA=1 MPI=0 BUILD=build-gpu LDFLAGS='-Wl,--as-needed -Wl,-rpath,\$$ORIGIN/lib' \
        build-gpu/tests/test_cuda build-gpu/bench/cuda_bench
    rm -rf gpu-bundle && mkdir -p gpu-bundle/lib
    cp build-gpu/tests/test_cuda build-gpu/bench/cuda_bench gpu-bundle/
    for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libcmocka.so.0 libgomp.so.1 libcjson.so.1; do
        cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')" gpu-bundle/lib/
    done
    du -sh gpu-bundle
    ;;
run)
    OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
    CUBLAS=$(ldconfig -p | awk '/libcublas\.so\.13 / {print $NF; exit}')
    [ -n "$CUBLAS" ] || CUBLAS=$(find /usr/local /opt /usr/lib -name 'libcublas.so.13' 2>/dev/null | head -1)
    CUDART=$(find /usr/local /opt /usr/lib -name 'libcudart.so.13' 2>/dev/null | head -1)
    export LD_LIBRARY_PATH="$PWD/gpu-bundle/lib:$(dirname "$CUBLAS"):$(dirname "${CUDART:-$CUBLAS}"):${LD_LIBRARY_PATH:-}"
    { nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; nproc; } 2>&1 | tee "$OUT/device.txt"
    set +e
    timeout 120 gpu-bundle/test_cuda > "$OUT/test_cuda.txt" 2>&1
    echo "test_cuda exit: $?" >> "$OUT/test_cuda.txt"
    cat "$OUT/test_cuda.txt"
    for preset in small base; do
        timeout 150 gpu-bundle/cuda_bench $preset 16 20 2 2>&1 | tee "$OUT/bench_$preset.txt"
    done
    # out-of-bounds and uninitialised reads in the kernels, where the sanitizer runs
    if command -v compute-sanitizer >/dev/null 2>&1; then
        timeout 120 compute-sanitizer --tool memcheck --print-limit 20 gpu-bundle/test_cuda > "$OUT/sanitizer.txt" 2>&1
        echo "compute-sanitizer exit: $?" | tee -a "$OUT/sanitizer.txt"; tail -5 "$OUT/sanitizer.txt"
    fi
    ;;
*) echo "usage: bench/cuda_gpu.sh bundle|run" >&2; exit 2 ;;
esac

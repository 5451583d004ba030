#!/bin/sh
# model_device.sh — bench/model_bench.c and the PyTorch reference on an otherwise idle machine,
# pinned to 2 cores (taskset) like the 2-core development box, whose shared load made timings
# unreliable. Builds src/core + src/model alone through make (the model_bench_alone target: OpenBLAS,
# cJSON and OpenSSL's headers are all it needs), so it runs where the other -dev packages are
# missing. Usage: bench/model_device.sh [PRESET] [BATCH] [STEPS]
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/model_device}
echo "cpus: $(nproc); $(lscpu | grep 'Model name' | sed 's/  */ /g')"
make -s -j"$(nproc)" BUILD="$OUT" CUDA=0 MPI=0 "$OUT/bench/model_bench_alone" || exit 1
for threads in 2 1; do
    echo "== C, $threads thread(s), cores 0-$((threads - 1))"
    OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads taskset -c 0-$((threads - 1)) \
        "$OUT/bench/model_bench_alone" "${1:-small}" "${2:-16}" "${3:-5}"
done
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__, torch.__config__.parallel_info().splitlines()[0])'), 2 threads, cores 0-1"
    OMP_NUM_THREADS=2 taskset -c 0-1 /usr/bin/python3 tools/reference_bench.py "${1:-small}" "${2:-16}" "${3:-5}" 2
else
    echo "== PyTorch: not installed here"
fi

#!/bin/sh
# model_device.sh — bench/model_bench.c and the PyTorch reference on an otherwise idle machine,
# pinned to 2 cores (taskset) like the 2-core development box, whose shared load made timings
# unreliable. Builds only src/core + src/model (+ OpenBLAS), so it runs where the other -dev
# packages are missing. Usage: bench/model_device.sh [PRESET] [BATCH] [STEPS]
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/model_device}
mkdir -p "$OUT/obj"
echo "cpus: $(nproc); $(lscpu | grep 'Model name' | sed 's/  */ /g')"
BLAS_CFLAGS=$(pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLAS_LIBS=$(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
for f in src/core/*.c src/model/kernels*.c src/model/model.c src/model/model_config.c src/model/model_encoder.c \
         src/model/model_forward.c src/model/generate.c; do
    cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -march=x86-64-v3 -Isrc $BLAS_CFLAGS -c "$f" -o "$OUT/obj/$(basename "$f" .c).o" || exit 1
done
ar rcs "$OUT/libmodel.a" "$OUT"/obj/*.o
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -march=x86-64-v3 -Isrc $BLAS_CFLAGS -o "$OUT/model_bench" bench/model_bench.c \
    "$OUT/libmodel.a" $BLAS_LIBS -fopenmp -lm -lpthread || exit 1
for threads in 2 1; do
    echo "== C, $threads thread(s), cores 0-$((threads - 1))"
    OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads taskset -c 0-$((threads - 1)) \
        "$OUT/model_bench" "${1:-small}" "${2:-16}" "${3:-5}"
done
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__, torch.__config__.parallel_info().splitlines()[0])'), 2 threads, cores 0-1"
    OMP_NUM_THREADS=2 taskset -c 0-1 /usr/bin/python3 tools/reference_bench.py "${1:-small}" "${2:-16}" "${3:-5}" 2
else
    echo "== PyTorch: not installed here"
fi

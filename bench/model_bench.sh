#!/bin/sh
# model_bench.sh [PRESET] [BATCH] [STEPS] — builds bench/model_bench.c against build/libiar.a and
# runs it, then the PyTorch reference on the same config, batch and thread count
# (tools/reference_bench.py, Debian's /usr/bin/python3 + python3-torch). Results: docs/perf/model.md.
set -e
cd "$(dirname "$0")/.."
make -s -j2 build/libiar.a
PKGS="cairo libpng libjpeg libcjson libcurl libmicrohttpd sqlite3 openblas"
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -march=x86-64-v3 -Isrc $(pkg-config --cflags $PKGS) \
    -o build/model_bench bench/model_bench.c build/libiar.a $(pkg-config --libs $PKGS) -fopenmp -lm -lpthread
THREADS=${THREADS:-2}
echo "== C (OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS)"
OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS build/model_bench "${1:-small}" "${2:-16}" "${3:-5}"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') ($THREADS threads)"
    OMP_NUM_THREADS=$THREADS /usr/bin/python3 tools/reference_bench.py "${1:-small}" "${2:-16}" "${3:-5}" "$THREADS"
fi

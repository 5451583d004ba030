#!/bin/sh
# model_bench.sh [PRESET] [BATCH] [STEPS] — builds bench/model_bench.c (make build/bench/model_bench) and
# runs it, then the PyTorch reference on the same config, batch and thread count
# (tools/reference_bench.py, Debian's /usr/bin/python3 + python3-torch). Results: docs/perf/model.md.
set -e
cd "$(dirname "$0")/.."
make -s -j2 build/bench/model_bench
THREADS=${THREADS:-2}
echo "== C (OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS)"
OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS build/bench/model_bench "${1:-small}" "${2:-16}" "${3:-5}"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') ($THREADS threads)"
    OMP_NUM_THREADS=$THREADS /usr/bin/python3 tools/reference_bench.py "${1:-small}" "${2:-16}" "${3:-5}" "$THREADS"
fi

#!/bin/sh
# realset.sh [MODEL_DIR] — the real-photo check set: fetches its held-out photographs
# (tools/fetch_realset_photos.sh), builds 80 samples (20 per dimension) with bench/realset_build.c,
# validates them, and runs `iar eval` for the baselines random and all, and native:MODEL_DIR when
# a model folder is given (the shipped one: models/iar-small). Never used for training.
#   BUILD=build OUT=runs/realset PER_DIMENSION=20 SIZE=256 bench/realset.sh [models/iar-small]
# IAR=PATH evaluates with that iar binary instead of building $BUILD/iar (the builder is built in $BUILD).
set -eu
BUILD=${BUILD:-build}
OUT=${OUT:-runs/realset}
PER_DIMENSION=${PER_DIMENSION:-20}
SIZE=${SIZE:-256}
PHOTOS=${IAR_REALSET_PHOTOS:-${XDG_CACHE_HOME:-$HOME/.cache}/iar/realset-photos}
if [ -n "${IAR:-}" ]; then
    make --no-print-directory BUILD="$BUILD" "$BUILD/bench/realset_build" > /dev/null
else
    IAR=$BUILD/iar
    make --no-print-directory BUILD="$BUILD" "$IAR" "$BUILD/bench/realset_build" > /dev/null
fi
tools/fetch_realset_photos.sh "$PHOTOS"
DATA="$OUT/data-$PER_DIMENSION-$SIZE"
if [ ! -f "$DATA/data.jsonl" ]; then
    rm -rf "$DATA.partial"
    "$BUILD/bench/realset_build" "$PHOTOS" "$DATA.partial" "$PER_DIMENSION" "$SIZE"
    mv "$DATA.partial" "$DATA"
fi
"$IAR" check "$DATA/data.jsonl" | grep -E "valid|random-guess"
for model in random all ${1:+native:$1}; do
    name=$(echo "$model" | tr ':/' '__')
    "$IAR" eval --data "$DATA/data.jsonl" --model "$model" --out "$OUT/eval-$name" > /dev/null
    echo "== $model"
    sed -n '/^| Model | Overall/,/^$/p' "$OUT/eval-$name/report.md" | head -4
done

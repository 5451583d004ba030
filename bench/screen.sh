#!/bin/sh
# screen.sh [MODEL_DIR] [RUNS] — wall time of the one-shot `iar screen` on five files of mixed sizes
# and formats (a 1024x768 JPEG original, 512x512 and 1024x512 PNGs), end to end: process start,
# model load, decoding, letterboxing, generation, printing. All four dimensions, then one.
# Without MODEL_DIR it uses $IAR_MODEL or the shipped models/iar-small, else it trains a `small`
# model for one step (same compute as a trained one; the verdicts do not matter here).
# Prints the median of RUNS (default 5) runs each; the figures go to docs/perf/screen.md by hand.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${2:-5}
out="$root/bench-out/screen"
mkdir -p "$out"
build=${BUILD:-build}
nice -n 19 make -s -C "$root" BUILD="$build" all "$build/bench/screen_inputs" >/dev/null
iar="$root/$build/iar"
model=${1:-${IAR_MODEL:-}}
[ -z "$model" ] && [ -f "$root/models/iar-small/config.json" ] && model="$root/models/iar-small"
if [ -z "$model" ]; then
    [ -f "$out/data/data.jsonl" ] || "$iar" synth --style render --out "$out/data" --n 16 --size 256 --seed 5 > /dev/null 2>&1
    [ -f "$out/small/config.json" ] || "$iar" train sft --data "$out/data/data.jsonl" --out "$out/small" --config small \
        --steps 1 --batch 2 --val-fraction 0.2 > /dev/null 2>&1
    model="$out/small"
fi
# five files: synth renders at 512 and 1024 px; the original becomes a 4:3 JPEG through
# the library's encoder (build/bench/screen_inputs, built above)
[ -f "$out/set/d.png" ] || {
    "$iar" synth --style render --out "$out/big" --n 2 --size 1024 --seed 9 > /dev/null 2>&1
    "$iar" synth --style render --out "$out/mid" --n 2 --size 512 --seed 9 > /dev/null 2>&1
    mkdir -p "$out/set"
    "$root/$build/bench/screen_inputs" "$out/big/$(sed -n 's/.*"original":"\([^"]*\)".*/\1/p' "$out/big/data.jsonl" | head -1)" \
        "$out/mid/$(sed -n 's/.*"candidates":\["\([^"]*\)".*/\1/p' "$out/mid/data.jsonl" | head -1)" "$out/set"
    cp "$out/mid/$(sed -n 's/.*"candidates":\["[^"]*","\([^"]*\)".*/\1/p' "$out/mid/data.jsonl" | head -1)" "$out/set/b.png"
    cp "$out/set/a.png" "$out/set/c.png"
    cp "$out/set/b.png" "$out/set/d.png"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
time_runs() { # ARGS...: prints the median wall seconds of `iar screen ARGS`
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(date +%s.%N)
        "$iar" screen "$out/set/original.jpg" "$out/set/a.png" "$out/set/b.png" "$out/set/c.png" "$out/set/d.png" \
            --model "$model" "$@" > /dev/null 2>&1
        t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc
        i=$((i + 1))
    done | median
}
echo "model: $model ($(sed -n 's/.*"preset": *"\([^"]*\)".*/\1/p' "$model/config.json" | head -1))"
echo "cores: $(nproc), OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}; load before: $(cut -d' ' -f1 /proc/loadavg)"
echo "iar screen, all four dimensions: $(time_runs) s (median of $runs)"
echo "iar screen --dimension lighting: $(time_runs --dimension lighting) s (median of $runs)"
echo "iar screen --dimension lighting --json: $(time_runs --dimension lighting --json) s (median of $runs)"

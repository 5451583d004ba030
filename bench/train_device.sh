#!/bin/sh
# bench/train_device.sh — the accuracy experiments of docs/perf/train.md, run side by side on a
# 16-core machine with each job pinned to its own 2 cores (taskset, --threads 2), so every job sees
# what the demo's 2-core machine sees. Results are identical at any thread count (tested), so only
# the wall times depend on the machine; the step rate is also measured on the 2-core machine.
#   bench/train_device.sh OUT BUDGET_SECONDS     (e.g. bench/train_device.sh /tmp/out 300)
# Needs IAR (the binary) and, on a machine without the Debian libraries, LD_LIBRARY_PATH and
# FONTCONFIG_FILE set by the caller (see docs/perf/train.md). COPY_TO (e.g. the device tool's
# $OUT): each job appends its result to COPY_TO/jobs.txt as soon as it finishes, so a run cut by a
# time limit still returns what was done.
set -u
IAR=${IAR:?set IAR to the iar binary}
OUT=${1:?usage: bench/train_device.sh OUT BUDGET_SECONDS}
BUDGET=${2:-300}
TRAIN_N=${TRAIN_N:-3000}; TEST_N=${TEST_N:-400}; SIZE=${SIZE:-128} # as in the demo
PINNING=${PINNING:-1} # 0: no taskset (a quick check of this script on a small machine)
export IAR
mkdir -p "$OUT/data"
cores=$(nproc)
per_core=$(lscpu 2>/dev/null | awk -F: '/Thread\(s\) per core/ { gsub(/ /, "", $2); print $2 }')
per_core=${per_core:-1}
# one job per 2 physical cores, so that no two jobs share a core through hyper-threading
jobs=$(( cores / per_core / 2 )); [ "$jobs" -gt 8 ] && jobs=8; [ "$jobs" -lt 1 ] && jobs=1
echo "machine: $cores logical CPUs, $per_core thread(s) per core, $jobs jobs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
S=$(date +%s)
"$IAR" synth --style render --out "$OUT/data/train" --n "$TRAIN_N" --seed 101 --size "$SIZE" --difficulty mix --threads "$cores" >/dev/null &
"$IAR" synth --style render --out "$OUT/data/test" --n "$TEST_N" --seed 202 --size "$SIZE" --difficulty mix --threads "$cores" >/dev/null &
"$IAR" synth --style render --out "$OUT/data/easy" --n 1000 --seed 103 --size "$SIZE" --difficulty easy --threads "$cores" >/dev/null &
wait
echo "data: $(( $(date +%s) - S )) s"
# rate probe on 2 pinned cores (also builds the image caches)
"$IAR" train sft --data "$OUT/data/easy/data.jsonl" --out "$OUT/probe_easy" --config small --steps 2 --val-samples 0 --threads 2 >/dev/null 2>&1
pin() { [ "$PINNING" = 1 ] && echo "taskset -c $1"; }
$(pin 0,1) "$IAR" train sft --data "$OUT/data/train/data.jsonl" --out "$OUT/probe" --config small --steps 12 --batch 16 \
    --val-samples 0 --threads 2 > "$OUT/probe.log" 2>&1
step=$(awk -F'"step_seconds":' 'NF > 1 { split($2, a, /[,}]/); n++; if (n > 2) { t += a[1]; k++ } } END { printf "%.4f", t / k }' "$OUT/probe/train_log.jsonl")
N=$(awk -v b="$BUDGET" -v s="$step" 'BEGIN { printf "%d", b / s }')
echo "probe: $step s/step at batch 16 on 2 pinned cores -> $N steps fit in $BUDGET s"
slot=0
run() { # name "VAR=value ..." "sft options": the next free pair of physical cores, if any
    [ "$slot" -ge "$jobs" ] && return 0
    a=$(( slot * 2 )); b=$(( slot * 2 + 1 ))
    pair="$a,$b"
    ( env $2 PIN="$(pin "$pair")" DATA="$OUT/data" TRAIN_N="$TRAIN_N" TEST_N="$TEST_N" SIZE="$SIZE" \
        sh bench/train_accuracy.sh "$OUT/$1" --threads 2 --val-samples 32 $3 > "$OUT/$1.txt" 2>&1
      [ -n "${COPY_TO:-}" ] && { echo "=== $1"; cat "$OUT/$1.txt"; } >> "$COPY_TO/jobs.txt" ) &
    slot=$(( slot + 1 ))
}
"$IAR" train tokenizer --data "$OUT/data/train/data.jsonl" --out "$OUT/words.json" --vocab 512 --pretokenizer iar-chunks-v1 >/dev/null
# in order of interest: later ones are dropped on machines with fewer cores
run base       X=1 "--steps $N --batch 16 --lr 2e-3"
run curriculum CURRICULUM_STEPS=$((N / 4)) "--steps $((N * 3 / 4)) --batch 16 --lr 2e-3"
run lr4e-3     X=1 "--steps $N --batch 16 --lr 4e-3"
run words      X=1 "--steps $N --batch 16 --lr 2e-3 --tokenizer $OUT/words.json"
run batch32    X=1 "--steps $((N / 2)) --batch 32 --lr 3e-3"
run half       X=1 "--steps $((N / 2)) --batch 16 --lr 2e-3"
run batch8     X=1 "--steps $((N * 2)) --batch 8 --lr 2e-3"
run lr1e-3     X=1 "--steps $N --batch 16 --lr 1e-3"
wait
echo "total: $(( $(date +%s) - S )) s"
for f in "$OUT"/*.txt; do echo "=== $(basename "$f" .txt)"; cat "$f"; done

#!/bin/sh
# bench/train_accuracy.sh — accuracy of `small` SFT (docs/perf/train.md): generates a training set
# and a separately seeded test set, trains, evaluates the checkpoint with `iar eval --model native:`
# next to the random baseline, and prints the step rate that sizes the demo's time budget.
#
#   bench/train_accuracy.sh OUT [sft options...]
#   e.g. bench/train_accuracy.sh bench-out/acc --steps 600 --batch 16 --lr 2e-3 --threads 2
# Environment: IAR (binary, default build/iar), TRAIN_N (2000), TEST_N (400), TRAIN_SEED (101),
# TEST_SEED (202), CURRICULUM_STEPS (0: none; N: first N steps on an easy set, then the rest on mix),
# SIZE (image side, default 128 as in the demo), SYNTH_THREADS (2), DATA (a folder that already holds train/ test/ easy/: used instead of OUT's),
# PIN (e.g. "taskset -c 2,3": a prefix for the training and evaluation commands).
set -eu
IAR=${IAR:-build/iar}
OUT=${1:?usage: bench/train_accuracy.sh OUT [sft options...]}
shift
TRAIN_N=${TRAIN_N:-2000}; TEST_N=${TEST_N:-400}
TRAIN_SEED=${TRAIN_SEED:-101}; TEST_SEED=${TEST_SEED:-202}
CURRICULUM_STEPS=${CURRICULUM_STEPS:-0}
T=${SYNTH_THREADS:-2}
SIZE=${SIZE:-128}
PIN=${PIN:-}
mkdir -p "$OUT"
if [ -n "${DATA:-}" ]; then
    for d in train test easy; do [ -e "$OUT/$d" ] || ln -s "$DATA/$d" "$OUT/$d"; done
fi
[ -s "$OUT/train/data.jsonl" ] || "$IAR" synth --style render --out "$OUT/train" --n "$TRAIN_N" --seed "$TRAIN_SEED" --size "$SIZE" --difficulty mix --threads "$T" >/dev/null
[ -s "$OUT/test/data.jsonl" ] || "$IAR" synth --style render --out "$OUT/test" --n "$TEST_N" --seed "$TEST_SEED" --size "$SIZE" --difficulty mix --threads "$T" >/dev/null
[ "$CURRICULUM_STEPS" -eq 0 ] || [ -s "$OUT/easy/data.jsonl" ] ||
    "$IAR" synth --style render --out "$OUT/easy" --n 1000 --seed $((TRAIN_SEED + 2)) --size "$SIZE" --difficulty easy --threads "$T" >/dev/null
start=$(date +%s.%N)
if [ "$CURRICULUM_STEPS" -gt 0 ]; then
    # the options first: this stage's own --steps must win over the ones meant for the mix stage
    $PIN "$IAR" train sft "$@" --data "$OUT/easy/data.jsonl" --out "$OUT/sft_easy" --config small --steps "$CURRICULUM_STEPS" --val-samples 0 >"$OUT/sft_easy.log" 2>&1
    $PIN "$IAR" train sft --data "$OUT/train/data.jsonl" --out "$OUT/sft" --init "$OUT/sft_easy" --warmup 0 "$@" >"$OUT/sft.log" 2>&1
else
    $PIN "$IAR" train sft --data "$OUT/train/data.jsonl" --out "$OUT/sft" --config small "$@" >"$OUT/sft.log" 2>&1
fi
end=$(date +%s.%N)
$PIN "$IAR" eval --data "$OUT/test/data.jsonl" --model "native:$OUT/sft" --out "$OUT/eval_sft" >"$OUT/eval_sft.log" 2>&1
"$IAR" eval --data "$OUT/test/data.jsonl" --model random --out "$OUT/eval_random" >"$OUT/eval_random.log" 2>&1
echo "command: bench/train_accuracy.sh $OUT $* (CURRICULUM_STEPS=$CURRICULUM_STEPS TRAIN_N=$TRAIN_N)"
grep -E "^sft: (config|[0-9]|.*steps,)" "$OUT/sft.log" || true
awk -v s="$start" -v e="$end" 'BEGIN { printf "training wall time: %.1f s\n", e - s }'
# mean step seconds after warm-up, from the log
awk -F'"step_seconds":' 'NF > 1 { split($2, a, /[,}]/); n++; if (n > 3) { t += a[1]; k++ } }
    END { if (k) printf "mean step: %.3f s over %d steps\n", t / k, k }' "$OUT/sft/train_log.jsonl"
grep -E "^\| (native|\*random)" "$OUT/eval_sft.log" || tail -5 "$OUT/eval_sft.log"

#!/bin/sh
# bench/model_accuracy.sh — what the candidate parts buy (docs/perf/model_accuracy.md): trains
# `small` SFT with one variant of the candidate parts on an existing train set, evaluates it on a
# separately generated test set, and prints the eval table row next to the random baseline.
#
#   bench/model_accuracy.sh DATA OUT VARIANT AUX_WEIGHT [sft options...]
#   e.g. bench/model_accuracy.sh /tmp/tw/acc1 /tmp/fx/pointer pointer 0.5 --steps 600 --batch 16 --threads 2
# DATA holds train/data.jsonl and test/data.jsonl (bench/train_accuracy.sh or `iar synth` makes them);
# VARIANT: plain (no candidate parts), head (pooled flaw head + auxiliary loss), pointer (head + pointer).
set -eu
IAR=${IAR:-build/iar}
DATA=${1:?usage: bench/model_accuracy.sh DATA OUT VARIANT AUX_WEIGHT [sft options...]}
OUT=${2:?missing OUT}
VARIANT=${3:?missing VARIANT}
AUX=${4:?missing AUX_WEIGHT}
shift 4
mkdir -p "$OUT"
start=$(date +%s.%N)
"$IAR" train sft --data "$DATA/train/data.jsonl" --out "$OUT/sft" --config "small:$VARIANT" --aux-weight "$AUX" \
    "$@" >"$OUT/sft.log" 2>&1
end=$(date +%s.%N)
"$IAR" eval --data "$DATA/test/data.jsonl" --model "native:$OUT/sft" --out "$OUT/eval" >"$OUT/eval.log" 2>&1
echo "command: bench/model_accuracy.sh $DATA $OUT $VARIANT $AUX $*"
grep -E "^sft: [0-9]+ steps" "$OUT/sft.log" || true
awk -v s="$start" -v e="$end" 'BEGIN { printf "training wall time: %.1f s\n", e - s }'
# mean auxiliary loss of the last 50 steps (0 without the head)
awk -F'"aux_loss":' 'NF > 1 { split($2, a, /[,}]/); v[n++] = a[1] }
    END { for (i = n - 50; i < n; i++) if (i >= 0) { t += v[i]; k++ } if (k) printf "aux loss (last %d steps): %.4f\n", k, t / k }' \
    "$OUT/sft/train_log.jsonl"
grep -E "^\| (native|\*random)" "$OUT/eval.log" || tail -5 "$OUT/eval.log"

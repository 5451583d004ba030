#!/bin/sh
# bench/train_bench.sh — trainer speed figures for docs/perf/train.md: tokenizer (tokens per
# completion, encode rate), and `small` SFT step time, tokens/s, MFU against the sgemm peak
# measured in the same run, and peak memory.
#   bench/train_bench.sh [OUT]          (default bench-out/train; needs `make` first)
# Environment: IAR (default build/iar), STEPS (40), BATCH (16), THREADS (2).
set -eu
IAR=${IAR:-build/iar}
OUT=${1:-bench-out/train}
STEPS=${STEPS:-40}; BATCH=${BATCH:-16}; THREADS=${THREADS:-2}
mkdir -p "$OUT"
[ -s "$OUT/data/data.jsonl" ] || "$IAR" synth --style render --out "$OUT/data" --n 1000 --seed 101 --size 64 --difficulty mix --threads "$THREADS" >/dev/null
make -s build/bench/train_tokenizer_bench
echo "== tokenizer (1000 completions of iar synth --seed 101 --difficulty mix)"
build/bench/train_tokenizer_bench "$OUT/data/data.jsonl"
echo "== small SFT: $STEPS steps, batch $BATCH, $THREADS threads"
rm -rf "$OUT/sft"
# the image cache is built by a first short run so the timed run measures training only
"$IAR" train sft --data "$OUT/data/data.jsonl" --out "$OUT/sft_warm" --config small --steps 1 --val-samples 0 --threads "$THREADS" >/dev/null 2>&1 || true
rm -rf "$OUT/sft_warm"
/usr/bin/time -v "$IAR" train sft --data "$OUT/data/data.jsonl" --out "$OUT/sft" --config small --steps "$STEPS" \
    --batch "$BATCH" --threads "$THREADS" --val-samples 0 >"$OUT/sft.log" 2>&1
grep -E "^sft: config" "$OUT/sft.log"
awk -F'[:,}]' '/"step_seconds"/ { n++; if (n <= 3) next; for (i = 1; i < NF; i++) {
        if ($i == "\"step_seconds\"") t += $(i+1); if ($i == "\"tokens_per_s\"") r += $(i+1); if ($i == "\"mfu\"") m += $(i+1) }
        k++ }
    END { printf "mean over steps 4..%d: %.3f s/step, %.0f text tokens/s, MFU %.1f%%\n", n, t / k, r / k, 100 * m / k }' \
    "$OUT/sft/train_log.jsonl"
grep -E "Maximum resident set size" "$OUT/sft.log" | awk '{ printf "peak memory: %.0f MB\n", $NF / 1024 }'

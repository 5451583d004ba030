#!/bin/sh
# grpo_tower_ablation.sh [DEMO_DIR] — GRPO with the `dpa` and `exact` rewards, 3 seeds each, from the
# SFT that `iar demo` trains on the shipped model's tower (DEMO_DIR/sft), each evaluated on the
# demo's test set, then one report against that SFT with paired bootstrap intervals
# (docs/RESULTS.md, "SFT and DPA-GRPO on the shipped tower"). Resumes: finished runs are kept.
#   make demo && bench/grpo_tower_ablation.sh demo
# Environment: IAR (binary), OUT (default DIR/ablation), STEPS (GRPO steps, default 80), LR (default
# 1e-4, the demo's), SEEDS (default "1 2 3"), THREADS (GRPO threads; default: the trainer's).
set -eu
IAR=${IAR:-build/iar}
D=${1:-demo}
OUT=${OUT:-$D/ablation}
STEPS=${STEPS:-80}
LR=${LR:-1e-4}
mkdir -p "$OUT"
runs=""
for seed in ${SEEDS:-1 2 3}; do
    for reward in dpa exact; do
        name=grpo-$reward-$seed
        [ -f "$OUT/$name/model.safetensors" ] || "$IAR" train grpo --data "$D/train/data.jsonl" --init "$D/sft" \
            --out "$OUT/$name" --reward "$reward" --hcm --steps "$STEPS" --group 8 --prompts-per-step 4 --lr "$LR" \
            --max-new-tokens 112 --hcm-period 20 --hcm-subset 32 --seed "$seed" ${THREADS:+--threads $THREADS} --resume \
            > "$OUT/$name.log" 2>&1
        "$IAR" eval --data "$D/test/data.jsonl" --model "native:$OUT/$name" --name "$name" --out "$OUT/eval-$name" \
            > /dev/null
        runs="$runs $OUT/eval-$name"
    done
done
"$IAR" report "$D/runs/sft" $runs -o "$OUT/report"

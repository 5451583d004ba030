#!/bin/sh
# grpo_tower_ablation.sh [DEMO_DIR] — GRPO with the `dpa` and `exact` rewards, 3 seeds each, from the
# SFT that `iar demo` trains on the shipped model's tower (DEMO_DIR/sft), each evaluated on the
# demo's test set, then one report against that SFT with paired bootstrap intervals
# (docs/RESULTS.md, "SFT and DPA-GRPO on the shipped tower"). Resumes: finished runs are kept.
#   make demo && bench/grpo_tower_ablation.sh demo
#   # GRPO on prompts the SFT never saw, scored on 2,000 fresh samples, without hard-case mining:
#   build/iar synth --out demo/rl --n 2000 --seed 21 --size 128 && build/iar synth --out demo/test2000 --n 2000 --seed 22 --size 128
#   DATA=demo/rl/data.jsonl TEST=demo/test2000/data.jsonl STEPS=150 HCM=0 OUT=demo/ablation-fresh \
#       bench/grpo_tower_ablation.sh demo
# Environment: IAR (binary), OUT (default DIR/ablation), DATA (GRPO prompts, default the SFT's own
# DIR/train/data.jsonl), TEST (default DIR/test/data.jsonl), INIT (default DIR/sft), STEPS (GRPO steps,
# default 80), LR (default 1e-4, the demo's), HCM (1: hard-case mining, the demo's; 0: none), SEEDS
# (default "1 2 3"), THREADS (GRPO and eval threads; default: the trainer's), GRPO_ARGS (more `train grpo`
# options, e.g. "--tower-heads-after 0 --tower-lr 1e-4" to train the tower's heads too), DPA (the partial-credit
# reward set against `exact`: dpa, the default, or dpa-option).
set -eu
IAR=${IAR:-build/iar}
D=${1:-demo}
OUT=${OUT:-$D/ablation}
DATA=${DATA:-$D/train/data.jsonl}
TEST=${TEST:-$D/test/data.jsonl}
INIT=${INIT:-$D/sft}
STEPS=${STEPS:-80}
LR=${LR:-1e-4}
HCM_ARGS="--hcm --hcm-period 20 --hcm-subset 32"
[ "${HCM:-1}" = 1 ] || HCM_ARGS=
mkdir -p "$OUT"
# the SFT on this test set (the demo's own run when the test set is the demo's)
BASE=$D/runs/sft
if [ "$TEST" != "$D/test/data.jsonl" ] || [ "$INIT" != "$D/sft" ]; then
    BASE=$OUT/eval-sft
    [ -f "$BASE/summary.json" ] || "$IAR" eval --data "$TEST" --model "native:$INIT" --name SFT --out "$BASE" \
        ${THREADS:+--threads $THREADS} > /dev/null
fi
runs=""
for seed in ${SEEDS:-1 2 3}; do
    for reward in ${DPA:-dpa} exact; do
        name=grpo-$reward-$seed
        [ -f "$OUT/$name/model.safetensors" ] || "$IAR" train grpo --data "$DATA" --init "$INIT" \
            --out "$OUT/$name" --reward "$reward" $HCM_ARGS --steps "$STEPS" --group 8 --prompts-per-step 4 --lr "$LR" \
            --max-new-tokens 112 --seed "$seed" ${THREADS:+--threads $THREADS} ${GRPO_ARGS:-} --resume > "$OUT/$name.log" 2>&1
        [ -f "$OUT/eval-$name/summary.json" ] || "$IAR" eval --data "$TEST" --model "native:$OUT/$name" --name "$name" \
            --out "$OUT/eval-$name" ${THREADS:+--threads $THREADS} > /dev/null
        runs="$runs $OUT/eval-$name"
    done
done
"$IAR" report "$BASE" $runs -o "$OUT/report"

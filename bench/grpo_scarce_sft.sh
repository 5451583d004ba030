#!/bin/sh
# grpo_scarce_sft.sh [DIR] — the paper's setting for its GRPO ablation: an SFT that has only begun to
# read the towers' evidence (the demo's SFT on the shipped towers, cut to SFT_STEPS = 400 steps with
# its full schedule), then GRPO with a DPA reward (`dpa`; DPA= picks another) and `exact`, 3 seeds
# each, 150 steps on 2,000 fresh prompts, every model scored on 2,000 fresh samples; then the report
# with paired bootstrap intervals against the SFT and the seed-mean differences, with a second
# interval that resamples the seeds too (docs/RESULTS.md, "The paper's ordering").
# Resumes: what exists is kept.
#   bench/grpo_scarce_sft.sh runs/scarce          # about 35 min of 2 cores
#   STEPS=300 LR=5e-5 bench/grpo_scarce_sft.sh runs/scarce   # the longer run, where `exact` overtakes DPA
#   SFT_SEED=2 SEEDS=1 bench/grpo_scarce_sft.sh runs/scarce-s2
#   STEPS=300 BETA=0.04 bench/grpo_scarce_sft.sh runs/scarce   # a KL penalty to the SFT, both rewards
#   STEPS=300 TAG=step2 GRPO_ARGS="--lambda-schedule step --lambda-stages 2" bench/grpo_scarce_sft.sh runs/scarce
#   SEEDS="1 2 3 4 5 6" bench/grpo_scarce_sft.sh runs/scarce   # 6 seeds; the means' second interval resamples them
#   SEEDS="1 2 3 4 5 6" TAG=hcm GRPO_ARGS=--hcm bench/grpo_scarce_sft.sh runs/scarce   # hard-case mining, both rewards
#   SEEDS="$(seq -s ' ' 1 12)" DPA=dpa-option bench/grpo_scarce_sft.sh runs/scarce   # DPA with per-candidate credit
# Environment: IAR (binary), MODEL (the shipped model whose towers the SFT reads, default
# models/iar-small), SFT_STEPS (default 400), SFT_SEED (default 1), STEPS (GRPO steps, default 150),
# LR (GRPO learning rate, default 1e-4), BETA (the KL penalty's weight, default 0: none), SEEDS (GRPO
# seeds, default "1 2 3"), DPA (the partial-credit reward: dpa, the default, or dpa-option), THREADS
# (per process; default: all cores). The GRPO runs go to DIR/ablation-STEPS-LR, or
# DIR/ablation-STEPS-LR-klBETA with a KL penalty, with -TAG appended when TAG is set (for runs that
# GRPO_ARGS, more `train grpo` options, make different).
set -eu
IAR=${IAR:-build/iar}
MODEL=${MODEL:-models/iar-small}
D=${1:-runs/scarce}
SFT_STEPS=${SFT_STEPS:-400}
SFT_SEED=${SFT_SEED:-1}
STEPS=${STEPS:-150}
LR=${LR:-1e-4}
BETA=${BETA:-0}
[ -x "$IAR" ] || { echo "grpo_scarce_sft: $IAR not found; run make first" >&2; exit 1; }
[ -f "$MODEL/tower/tower.safetensors" ] || { echo "grpo_scarce_sft: $MODEL has no tower/" >&2; exit 1; }
mkdir -p "$D"
# the demo's SFT set, GRPO prompts and a test set from seeds no other step uses
synth() { # NAME SEED
    [ -f "$D/$1/data.jsonl" ] || "$IAR" synth --out "$D/$1" --n 2000 --seed "$2" --size 128 --difficulty mix \
        --style render > /dev/null
}
synth train 1
synth rl 21
synth test2000 22
PRODUCT=
[ -f "$MODEL/product_tower/tower.safetensors" ] && PRODUCT="--init-product $MODEL/product_tower"
[ -f "$D/sft/model.safetensors" ] || "$IAR" train sft --data "$D/train/data.jsonl" --tokenizer "$MODEL/tokenizer.json" \
    --init-vision "$MODEL/tower" $PRODUCT --config small --out "$D/sft" --steps "$SFT_STEPS" --batch 16 \
    --val-every 0 --val-samples 16 --seed "$SFT_SEED" ${THREADS:+--threads $THREADS} --resume > "$D/sft.log" 2>&1
A="$D/ablation-$STEPS-$LR"
KL=
if [ "$BETA" != 0 ]; then A="$A-kl$BETA"; KL="--beta $BETA"; fi
A="$A${TAG:+-$TAG}"
INIT="$D/sft" DATA="$D/rl/data.jsonl" TEST="$D/test2000/data.jsonl" HCM=0 STEPS="$STEPS" LR="$LR" OUT="$A" \
    GRPO_ARGS="${GRPO_ARGS:-} $KL" IAR="$IAR" bench/grpo_tower_ablation.sh "$D"
runs() { # REWARD: the seeds' eval folders, comma-separated
    list=
    for s in ${SEEDS:-1 2 3}; do list="$list${list:+,}$A/eval-grpo-$1-$s"; done
    echo "$list"
}
DPA=${DPA:-dpa}
echo "$DPA-GRPO - SFT: $(python3 bench/seed_mean_diff.py "$(runs "$DPA")" "$A/eval-sft" --seeds-too)"
echo "exact-GRPO - SFT:  $(python3 bench/seed_mean_diff.py "$(runs exact)" "$A/eval-sft" --seeds-too)"
echo "$DPA - exact: $(python3 bench/seed_mean_diff.py "$(runs "$DPA")" "$(runs exact)" --seeds-too)"
echo "report: $A/report/report.md"

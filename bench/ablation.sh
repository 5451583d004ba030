#!/bin/sh
# bench/ablation.sh — the paper's ablation (issue 5): one SFT initialisation, then GRPO variants
# with the same data, steps and rollouts, all scored on a separately generated test set.
#
#   rows: random · all · SFT only · GRPO exact · GRPO prop · DPA-GRPO · DPA-GRPO + HCM
#   columns: exact ×100 overall and per dimension, prop; paired bootstrap CIs against SFT
#
# usage: bench/ablation.sh [WORKDIR]          (default bench-out/ablation; re-running resumes)
# Sizes come from the environment (defaults fit ~1 h on 2 shared cores; see docs/RESULTS.md):
#   NTRAIN NTEST NVAL SIZE SFT_STEPS SFT_BATCH GRPO_STEPS GROUP PROMPTS LR TEMP MAX_NEW BETA ITER
#   VARIANTS (default "grpo-exact grpo-prop dpa dpa-hcm"), SFT_INIT (reuse an existing SFT checkpoint)
set -eu

IAR=${IAR:-build/iar}
W=${1:-bench-out/ablation}
NTRAIN=${NTRAIN:-2000}
NTEST=${NTEST:-400}
NVAL=${NVAL:-64}
SIZE=${SIZE:-128}
SFT_STEPS=${SFT_STEPS:-800}
SFT_BATCH=${SFT_BATCH:-16}
GRPO_STEPS=${GRPO_STEPS:-60}
GROUP=${GROUP:-8}
PROMPTS=${PROMPTS:-4}
LR=${LR:-5e-5}
TEMP=${TEMP:-1.0}
MAX_NEW=${MAX_NEW:-0}
BETA=${BETA:-0.0}
ITER=${ITER:-1}
VAL_EVERY=${VAL_EVERY:-10}
VARIANTS=${VARIANTS:-grpo-exact grpo-prop dpa dpa-hcm}
SEED=${SEED:-1}

[ -x "$IAR" ] || { echo "ablation: $IAR not found (run make first)" >&2; exit 1; }
mkdir -p "$W"
log() { echo "[ablation $(date +%H:%M:%S)] $*" >&2; }

# 1. data: training set (seed 1), GRPO validation set (seed 3), test set (seed 2, never trained on)
synth() { # name n seed
    if [ ! -f "$W/$1/data.jsonl" ]; then
        log "synth $1 ($2 samples, seed $3)"
        "$IAR" synth --out "$W/$1" --n "$2" --seed "$3" --size "$SIZE" --difficulty mix >/dev/null
    fi
}
synth train "$NTRAIN" 1
synth val "$NVAL" 3
synth test "$NTEST" 2

# 2. SFT (the shared initialisation)
SFT=${SFT_INIT:-$W/sft}
if [ -z "${SFT_INIT:-}" ]; then
    resume=""
    [ -f "$SFT/state.bin" ] && resume="--resume"
    log "SFT small, $SFT_STEPS steps of $SFT_BATCH"
    "$IAR" train sft --data "$W/train/data.jsonl" --out "$SFT" --config small --steps "$SFT_STEPS" \
        --batch "$SFT_BATCH" --seed "$SEED" $resume >/dev/null
fi

# 3. GRPO variants: identical except for the reward (and hard-case mining)
COMMON="--data $W/train/data.jsonl --val $W/val/data.jsonl --init $SFT --steps $GRPO_STEPS --group $GROUP
 --prompts-per-step $PROMPTS --lr $LR --temperature $TEMP --max-new-tokens $MAX_NEW --beta $BETA
 --iterations $ITER --val-every $VAL_EVERY --val-limit $NVAL --save-every 20 --seed $SEED"
for v in $VARIANTS; do
    case $v in
    grpo-exact) extra="--reward exact" ;;
    grpo-prop) extra="--reward prop" ;;
    dpa) extra="--reward dpa --lambda-schedule linear" ;;
    dpa-cosine) extra="--reward dpa --lambda-schedule cosine" ;;
    dpa-hcm) extra="--reward dpa --lambda-schedule linear --hcm --hcm-period 20 --hcm-rollouts 4 --hcm-subset 64" ;;
    *) echo "ablation: unknown variant $v" >&2; exit 2 ;;
    esac
    resume=""
    [ -f "$W/$v/state.bin" ] && resume="--resume"
    log "GRPO $v: $extra"
    # shellcheck disable=SC2086
    "$IAR" train grpo $COMMON $extra --out "$W/$v" $resume >/dev/null
done

# 4. evaluation on the test set (greedy), resumable run folders
evaluate() { # name spec
    log "eval $1"
    "$IAR" eval --data "$W/test/data.jsonl" --model "$2" --name "$1" --out "$W/eval/$1" >/dev/null
}
evaluate random random
evaluate all all
evaluate sft "native:$SFT"
runs="$W/eval/sft $W/eval/random $W/eval/all"
for v in $VARIANTS; do
    evaluate "$v" "native:$W/$v"
    runs="$runs $W/eval/$v"
done

# 5. the table with paired bootstrap CIs against SFT (the first run), and the training curves
# shellcheck disable=SC2086
"$IAR" report $runs -o "$W/report"
curves=""
for v in $VARIANTS; do curves="$curves $W/$v=$v"; done
# shellcheck disable=SC2086
"$IAR" train grpo --curve "$W/curves.svg" $curves >/dev/null
log "done: $W/report/report.md, $W/curves.svg"

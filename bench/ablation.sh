#!/bin/sh
# bench/ablation.sh — the paper's ablation: one SFT initialisation, then GRPO variants
# with the same data, steps and rollouts, all scored on a separately generated test set.
#
#   rows: random · all · SFT only · GRPO exact · GRPO prop · DPA-GRPO · DPA-GRPO + HCM
#   columns: exact ×100 overall and per dimension, prop; paired bootstrap CIs against SFT
#
# usage: bench/ablation.sh [WORKDIR]          (default bench-out/ablation; re-running resumes)
# Sizes come from the environment; the defaults are docs/RESULTS.md's 120-step run (≈ 25 min on 2
# cores: SFT ≈ 13 min of it; GRPO_STEPS=400 gave the main table):
#   NTRAIN NTEST NVAL SIZE SFT_CONFIG SFT_STEPS SFT2_STEPS SFT_BATCH GRPO_STEPS GROUP PROMPTS LR TEMP MAX_NEW BETA ITER
#   HCM_PERIOD HCM_SUBSET
#   VARIANTS (default "grpo-exact grpo-prop dpa dpa-hcm"), SFT_INIT (reuse an existing SFT checkpoint)
#   JOBS: GRPO runs and evaluations run JOBS at a time (default 2; every job is single-stream and
#   deterministic, so this only changes the wall time)
set -eu

IAR=${IAR:-build/iar}
W=${1:-bench-out/ablation}
NTRAIN=${NTRAIN:-2000}
NTEST=${NTEST:-400}
NVAL=${NVAL:-64}
SIZE=${SIZE:-128}
SFT_STEPS=${SFT_STEPS:-300}
SFT2_STEPS=${SFT2_STEPS:-1500} # a second SFT stage from the first (0: none)
SFT_BATCH=${SFT_BATCH:-16}
SFT_CONFIG=${SFT_CONFIG:-small} # small:pointer adds the model's per-candidate head and pointer (docs/MODEL.md)
GRPO_STEPS=${GRPO_STEPS:-120}
GROUP=${GROUP:-8}
PROMPTS=${PROMPTS:-4}
LR=${LR:-1e-4}
TEMP=${TEMP:-1.0}
MAX_NEW=${MAX_NEW:-64}
BETA=${BETA:-0.0}
ITER=${ITER:-1}
VAL_EVERY=${VAL_EVERY:-20}
VARIANTS=${VARIANTS:-grpo-exact grpo-prop dpa dpa-hcm}
SEED=${SEED:-1}
JOBS=${JOBS:-2}
HCM_PERIOD=${HCM_PERIOD:-20}
HCM_SUBSET=${HCM_SUBSET:-32}

# JOBS processes at a time, one thread each: OpenMP threads spinning on an oversubscribed machine
# cost far more than they bring
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
[ -x "$IAR" ] || { echo "ablation: $IAR not found (run make first)" >&2; exit 1; }
mkdir -p "$W"
log() { echo "[ablation $(date +%H:%M:%S)] $*" >&2; }

# 1. data: training set (seed 1), GRPO validation set (seed 3), test set (seed 2, never trained on)
synth() { # name n seed
    if [ ! -f "$W/$1/data.jsonl" ]; then
        log "synth $1 ($2 samples, seed $3)"
        "$IAR" synth --style render --out "$W/$1" --n "$2" --seed "$3" --size "$SIZE" --difficulty mix >/dev/null
    fi
}
synth train "$NTRAIN" 1
synth val "$NVAL" 3
synth test "$NTEST" 2

# 2. SFT (the shared initialisation): a first stage, then a second one started from it
sft_stage() { # out steps log [extra options]
    out=$1 steps=$2 logfile=$3
    shift 3
    if [ -f "$logfile" ] && grep -q -- "-> $out\$" "$logfile"; then return 0; fi # finished earlier
    resume=""
    [ -f "$out/state.bin" ] && resume="--resume"
    log "SFT $SFT_CONFIG -> $out, $steps steps of $SFT_BATCH $*"
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$IAR" train sft --data "$W/train/data.jsonl" --out "$out" --config "$SFT_CONFIG" \
        --steps "$steps" --batch "$SFT_BATCH" --val-samples 32 --threads 2 "$@" $resume >"$logfile" 2>&1
}
SFT=${SFT_INIT:-$W/sft}
if [ -z "${SFT_INIT:-}" ]; then
    if [ "$SFT2_STEPS" -gt 0 ]; then
        sft_stage "$W/sft1" "$SFT_STEPS" "$W/sft1.log" --seed "$SEED"
        sft_stage "$SFT" "$SFT2_STEPS" "$W/sft.log" --init "$W/sft1" --lr 2e-3 --warmup 20 --seed 2 --val-every 500
    else
        sft_stage "$SFT" "$SFT_STEPS" "$W/sft.log" --seed "$SEED"
    fi
fi

running=0
throttle() { # waits for the batch of background jobs once JOBS are running
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait; running=0; fi
}

# evaluation on the test set (greedy), resumable run folders
evaluate() { # name spec
    log "eval $1"
    "$IAR" eval --data "$W/test/data.jsonl" --model "$2" --name "$1" --out "$W/eval/$1" --max-tokens 128 \
        >"$W/eval-$1.log" 2>&1 &
    throttle
}
evaluate random random
evaluate all all
evaluate sft "native:$SFT"

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
    dpa-hcm) extra="--reward dpa --lambda-schedule linear --hcm --hcm-period $HCM_PERIOD --hcm-rollouts 4 --hcm-subset $HCM_SUBSET" ;;
    *) echo "ablation: unknown variant $v" >&2; exit 2 ;;
    esac
    resume=""
    [ -f "$W/$v/state.bin" ] && resume="--resume"
    log "GRPO $v: $extra"
    # shellcheck disable=SC2086
    "$IAR" train grpo $COMMON $extra --out "$W/$v" $resume >"$W/$v.log" 2>&1 &
    throttle
done
wait

# 4. the GRPO checkpoints on the test set
runs="$W/eval/sft $W/eval/random $W/eval/all"
for v in $VARIANTS; do
    evaluate "$v" "native:$W/$v"
    runs="$runs $W/eval/$v"
done
wait

for v in $VARIANTS; do
    [ -f "$W/$v/model.safetensors" ] || { echo "ablation: GRPO $v failed, see $W/$v.log" >&2; exit 1; }
done
for r in $runs; do
    [ -f "$r/summary.json" ] || { echo "ablation: evaluation $r failed, see its log in $W" >&2; exit 1; }
done

# 5. the table with paired bootstrap CIs against SFT (the first run), and the training curves
# shellcheck disable=SC2086
"$IAR" report $runs -o "$W/report"
curves=""
for v in $VARIANTS; do curves="$curves $W/$v=$v"; done
# shellcheck disable=SC2086
"$IAR" plot --field exact_mean "$W/curves.svg" $curves >/dev/null
log "done: $W/report/report.md, $W/curves.svg"

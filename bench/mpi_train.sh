#!/bin/sh
# mpi_train.sh [STEPS] — the real `iar train sft`, `iar train grpo` and `iar train vision` (small
# preset) at 1 process × 2 threads, 1 × 1 and 2 processes × 1 thread (SFT and GRPO on a generated
# 24-sample benchmark, the tower on its rendered stream): mean step time from train_log.jsonl
# (first step dropped). Results: docs/perf/scale.md.
set -e
cd "$(dirname "$0")/.."
STEPS=${1:-5}
IAR=${IAR:-build/iar}
T=${TMPDIR:-/tmp}/iar-mpi-train-bench
rm -rf "$T"; mkdir -p "$T"
"$IAR" synth --style render --out "$T/data" --n 24 --seed 3 > /dev/null 2>&1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader"
mean_step() { grep -v '"event"' "$1" | sed -n 's/.*"step_seconds":[[:space:]]*\([0-9.eE+-]*\).*/\1/p' | tail -n +2 |
    awk '{s += $1; n++} END {printf "%.1f", n ? 1000 * s / n : 0}'; }
S="--data $T/data/data.jsonl --config small --batch 8 --steps $STEPS --val-fraction 0.1 --val-samples 0 --peak-gflops 10"
"$IAR" train sft $S --threads 1 --out "$T/init" > /dev/null 2>&1
G="--data $T/data/data.jsonl --init $T/init --steps $STEPS --group 4 --prompts-per-step 4 --max-new-tokens 24 --save-every 1000"
echo "| trainer | processes × threads | mean step ms |"
echo "|---|---|---|"
for run in "1 2" "1 1" "2 1"; do
    set -- $run
    if [ "$1" -eq 1 ]; then launch=""; else launch="$MPIRUN -np $1 -x OMP_NUM_THREADS=$2 -x OPENBLAS_NUM_THREADS"; fi
    OMP_NUM_THREADS=$2 $launch "$IAR" train sft $S --threads "$2" --out "$T/sft_$1_$2" > /dev/null 2>&1
    echo "| sft | $1 × $2 | $(mean_step "$T/sft_$1_$2/train_log.jsonl") |"
    OMP_NUM_THREADS=$2 $launch "$IAR" train grpo $G --threads "$2" --out "$T/grpo_$1_$2" > /dev/null 2>&1 || true
    if [ -f "$T/grpo_$1_$2/train_log.jsonl" ]; then
        echo "| grpo | $1 × $2 | $(grep -v '"event"' "$T/grpo_$1_$2/train_log.jsonl" | sed -n 's/.*"rollout_seconds":[[:space:]]*\([0-9.eE+-]*\).*"update_seconds":[[:space:]]*\([0-9.eE+-]*\).*/\1 \2/p' |
            tail -n +2 | awk '{s += $1 + $2; n++} END {printf "%.1f", n ? 1000 * s / n : 0}') (rollout + update) |"
    fi
    OMP_NUM_THREADS=$2 $launch "$IAR" train vision --config small --batch 16 --steps "$STEPS" --val-samples 0 \
        --save-every 1000 --threads "$2" --out "$T/vision_$1_$2" > /dev/null 2>&1
    echo "| vision (128 px, batch 16) | $1 × $2 | $(grep -v '"split"' "$T/vision_$1_$2/train_log.jsonl" |
        sed -n 's/.*"render_s":[[:space:]]*\([0-9.eE+-]*\),"train_s":[[:space:]]*\([0-9.eE+-]*\).*/\1 \2/p' |
        tail -n +2 | awk '{s += $1 + $2; n++} END {printf "%.1f", n ? 1000 * s / n : 0}') (render + train) |"
done

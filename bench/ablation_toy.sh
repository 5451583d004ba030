#!/bin/sh
# bench/ablation_toy.sh — the reward ablation where the answer is learnable without vision: does the
# DPA reward reach the exact answer set faster than the exact reward when exact hits are rare?
#
# Every GRPO and test sample has the same gold set {A, B, D}; the images are irrelevant. The `tiny`
# model is first fine-tuned (SFT) on rationales that end in a uniformly random non-empty subset, so it
# starts near 1/15 exact. Then GRPO with exact · prop · dpa (same steps, rollouts, seed), evaluated
# greedily on a separately generated set. With G = 4 completions per prompt, a group holds an exact
# hit only ~24% of the time at the start: the regime DPA's partial credit is meant for.
#
# usage: bench/ablation_toy.sh [WORKDIR]      (default bench-out/ablation_toy; re-running resumes)
# env: STEPS (60) GROUP (4) PROMPTS (4) LR (1e-3) SEEDS (1..10)
# Variants: exact · prop · dpa (λ 0 -> 1) · dpa50 (λ 0.5 -> 1). Prints, per variant, how many seeds
# reach the exact set on the test set and the mean exact.
set -eu
IAR=${IAR:-build/iar}
W=${1:-bench-out/ablation_toy}
STEPS=${STEPS:-60}
GROUP=${GROUP:-4}
PROMPTS=${PROMPTS:-4}
LR=${LR:-1e-3}
SEEDS=${SEEDS:-1 2 3 4 5 6 7 8 9 10}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
PY=${PY:-/usr/bin/python3}
mkdir -p "$W"
log() { echo "[toy $(date +%H:%M:%S)] $*" >&2; }

# images: any synthetic scenes; answers and rationales rewritten below
for spec in "imgs-train 256 21" "imgs-test 200 22"; do
    set -- $spec
    [ -f "$W/$1/data.jsonl" ] || "$IAR" synth --style render --out "$W/$1" --n "$2" --seed "$3" --size 64 >/dev/null
done
# sft.jsonl: a random subset per sample (answer = that subset); grpo.jsonl / test.jsonl: gold {A, B, D}
"$PY" - "$W" <<'EOF'
import json, random, sys
w = sys.argv[1]
subsets = [[c for i, c in enumerate("ABCD") if m >> i & 1] for m in range(1, 16)]
def rewrite(src, dst, mode, seed):
    rng = random.Random(seed)
    with open(f"{w}/{src}/data.jsonl") as f, open(f"{w}/{src}/{dst}", "w") as out:
        for line in f:
            s = json.loads(line)
            answer = rng.choice(subsets) if mode == "sft" else ["A", "B", "D"]
            letters = ", ".join(answer)
            s["answer"] = answer
            s["rationale"] = f"<think>check</think><answer>{letters}</answer>"
            s.pop("meta", None)
            out.write(json.dumps(s) + "\n")
rewrite("imgs-train", "sft.jsonl", "sft", 1)
rewrite("imgs-train", "grpo.jsonl", "gold", 1)
rewrite("imgs-test", "test.jsonl", "gold", 2)
EOF

if ! [ -f "$W/sft/model.safetensors" ]; then
    log "SFT tiny on random subsets"
    "$IAR" train sft --data "$W/imgs-train/sft.jsonl" --out "$W/sft" --config tiny --vocab 300 --steps 300 \
        --batch 16 --lr 3e-3 --val-fraction 0.05 --seed 1 >"$W/sft.log" 2>&1
fi
"$IAR" eval --data "$W/imgs-test/test.jsonl" --model "native:$W/sft" --name sft --out "$W/eval/sft" >/dev/null 2>&1

runs="$W/eval/sft"
for seed in $SEEDS; do
    for variant in exact prop dpa dpa50; do
        case $variant in
        dpa50) extra="--reward dpa --lambda-start 0.5" ;;
        *) extra="--reward $variant" ;;
        esac
        v=$variant-s$seed
        if ! [ -f "$W/$v/model.safetensors" ]; then
            log "GRPO $v"
            # shellcheck disable=SC2086
            "$IAR" train grpo --data "$W/imgs-train/grpo.jsonl" --init "$W/sft" --out "$W/$v" $extra \
                --steps "$STEPS" --group "$GROUP" --prompts-per-step "$PROMPTS" --lr "$LR" --warmup 0 \
                --max-new-tokens 24 --dump-every 0 --save-every 0 --seed "$seed" >"$W/$v.log" 2>&1
        fi
        "$IAR" eval --data "$W/imgs-test/test.jsonl" --model "native:$W/$v" --name "$v" --out "$W/eval/$v" \
            >/dev/null 2>&1
        runs="$runs $W/eval/$v"
    done
done
# per variant: seeds that reach the exact set on the test set, mean test exact over seeds
"$PY" - "$W" $SEEDS <<'EOF'
import json, sys
w, seeds = sys.argv[1], sys.argv[2:]
for variant in ["exact", "prop", "dpa", "dpa50"]:
    values = [json.load(open(f"{w}/eval/{variant}-s{s}/summary.json"))["overall"]["scores"]["exact"] for s in seeds]
    print(f"{variant:6s} seeds reaching the exact set: {sum(v >= 99 for v in values)}/{len(values)}, "
          f"mean test exact {sum(values) / len(values):.1f}")
EOF
# shellcheck disable=SC2086
"$IAR" report $runs -o "$W/report" --gallery 0 >"$W/report.log"
curves=""
for variant in exact prop dpa dpa50; do curves="$curves $W/$variant-s1=$variant"; done
# shellcheck disable=SC2086
"$IAR" plot --field exact_mean "$W/curves.svg" $curves >/dev/null
log "done: $W/report/report.md"

#!/bin/sh
# train_model.sh — the one command that produces the shipped model models/iar-small (docs/MODEL.md,
# models/iar-small/README.md): pretrain the vision tower on generated samples streamed in memory,
# SFT a small language side on top of the frozen tower, evaluate on a fresh test set, and copy the
# result with its model card into models/. Every step resumes: run it again after an interruption
# (or in several sittings) and it continues where it stopped.
#
#   tools/train_model.sh                       # all defaults (about 3 h of 2 busy cores)
#   WORK=runs/model OUT=models/iar-small TOWER_STEPS=10000 SFT_STEPS=1000 tools/train_model.sh
#
# Environment: IAR (the binary, default build/iar), WORK (scratch folder, default runs/model),
# OUT (default models/iar-small), TOWER_STEPS, SFT_STEPS, SEED (tower + SFT seed, default 1),
# NTRAIN (SFT samples, default 4000), NTEST (test samples, default 400), THREADS (OpenMP threads; default: all cores).
set -e
cd "$(dirname "$0")/.."
IAR=${IAR:-build/iar}
WORK=${WORK:-runs/model}
OUT=${OUT:-models/iar-small}
TOWER_STEPS=${TOWER_STEPS:-10000}
SFT_STEPS=${SFT_STEPS:-1000}
SEED=${SEED:-1}
NTRAIN=${NTRAIN:-4000}
NTEST=${NTEST:-400}
THREADS=${THREADS:-}
[ -x "$IAR" ] || { echo "train_model: $IAR not found; run make first" >&2; exit 1; }
mkdir -p "$WORK"
say() { echo "[train_model] $*" >&2; }

# 1. The vision tower: per-candidate flaws + dense targets, fresh rendered samples every step.
say "vision tower: $TOWER_STEPS steps (resumes)"
"$IAR" train vision --out "$WORK/tower" --config small --steps "$TOWER_STEPS" --seed "$SEED" \
    --val-every 500 --save-every 100 --val-samples 200 ${THREADS:+--threads $THREADS} --resume

# 2. Text data for the language side (render style, 128 px: what the tower was trained on) and a
# test set from a seed no training step uses (the tower streams seeds 1000 and 999).
[ -f "$WORK/train/data.jsonl" ] || "$IAR" synth --out "$WORK/train" --n "$NTRAIN" --seed 1 --size 128 --style render
[ -f "$WORK/test/data.jsonl" ] || "$IAR" synth --out "$WORK/test" --n "$NTEST" --seed 2 --size 128 --style render
[ -f "$WORK/tokenizer.json" ] || "$IAR" train tokenizer --data "$WORK/train/data.jsonl" --out "$WORK/tokenizer.json" --vocab 1024

# 3. SFT of the language side on the frozen tower.
say "SFT on the tower: $SFT_STEPS steps (resumes)"
"$IAR" train sft --data "$WORK/train/data.jsonl" --tokenizer "$WORK/tokenizer.json" --init-vision "$WORK/tower" \
    --config small --out "$WORK/sft" --steps "$SFT_STEPS" --batch 16 --seed "$SEED" --val-every 500 \
    --val-samples 32 ${THREADS:+--threads $THREADS} --resume

# 4. Evaluation on the fresh test set, then the model folder with its card.
"$IAR" eval --data "$WORK/test/data.jsonl" --model random --out "$WORK/eval/random" >/dev/null
"$IAR" eval --data "$WORK/test/data.jsonl" --model "native:$WORK/sft" --name iar-small --out "$WORK/eval/model" >/dev/null
mkdir -p "$OUT/tower"
for f in model.safetensors config.json tokenizer.json; do cp "$WORK/sft/$f" "$OUT/$f"; done
# the tower alone too: `iar demo` and `iar train sft --init-vision` train new language sides on it
for f in tower.safetensors tower.json; do cp "$WORK/tower/$f" "$OUT/tower/$f"; done
"$IAR" train vision --out "$WORK/tower" --evaluate --val-seed 2 --val-samples 400 ${THREADS:+--threads $THREADS} \
    > "$WORK/eval/tower.md"
"$IAR" report "$WORK/eval/random" "$WORK/eval/model" -o "$WORK/eval/report" > "$WORK/eval/table.md"
say "done: $OUT ($(du -sh "$OUT" | cut -f1)); tables in $WORK/eval/table.md and $WORK/eval/tower.md"

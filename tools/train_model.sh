#!/bin/sh
# train_model.sh — the one command that produces the shipped model models/iar-small (docs/MODEL.md,
# models/iar-small/README.md): pretrain the vision tower on generated samples streamed in memory,
# SFT a small language side on top of the frozen tower, evaluate on a fresh test set, and copy the
# result with its model card into models/. Every step resumes: run it again after an interruption
# (or in several sittings) and it continues where it stopped.
#
#   tools/train_model.sh                       # all defaults (about 5 h of 2 busy cores)
#   WORK=runs/model OUT=models/iar-small TOWER_STEPS=10000 MIX_STEPS=6000 MIX2_STEPS=2000 MIX3_STEPS=3000 \
#       PRODUCT_STEPS=7000 PRODUCT2_STEPS=12000 PRODUCT3_STEPS=8000 PRODUCT4_STEPS=12000 SFT_STEPS=2000 \
#       tools/train_model.sh
#
# Environment: IAR (the binary, default build/iar), WORK (scratch folder, default runs/model),
# OUT (default models/iar-small), TOWER_STEPS (drawn scenes), MIX_STEPS (then drawn + photographed
# scenes, from tools/fetch_photos.sh; 0: a drawings-only model), MIX2_STEPS and MIX3_STEPS (a second
# and third photo sitting at half the learning rate, each from its own data seed; 0: none),
# PRODUCT_STEPS (the product-view tower for the product's appearance; 0: none), PRODUCT2_STEPS,
# PRODUCT3_STEPS and PRODUCT4_STEPS (its second, third and fourth sittings, each from its own data seed,
# at half, a quarter and a quarter of the learning rate; 0: none), SFT_STEPS, SEED (tower + SFT seed, default 1),
# NTRAIN (SFT samples, default 4000), NTEST (test samples, default 400), THREADS (OpenMP threads; default: all cores),
# MPIRUN (a launcher for the tower sittings, e.g. "mpirun -np 2 --bind-to none" with THREADS=1: the
# same run, its batches split over the processes; docs/SCALE.md).
set -e
cd "$(dirname "$0")/.."
IAR=${IAR:-build/iar}
WORK=${WORK:-runs/model}
OUT=${OUT:-models/iar-small}
TOWER_STEPS=${TOWER_STEPS:-10000}
MIX_STEPS=${MIX_STEPS:-6000}
MIX2_STEPS=${MIX2_STEPS:-2000}
MIX3_STEPS=${MIX3_STEPS:-3000}
PRODUCT_STEPS=${PRODUCT_STEPS:-7000}
PRODUCT2_STEPS=${PRODUCT2_STEPS:-12000}
PRODUCT3_STEPS=${PRODUCT3_STEPS:-8000}
PRODUCT4_STEPS=${PRODUCT4_STEPS:-12000}
SFT_STEPS=${SFT_STEPS:-2000}
SEED=${SEED:-1}
NTRAIN=${NTRAIN:-4000}
NTEST=${NTEST:-400}
THREADS=${THREADS:-}
MPIRUN=${MPIRUN:-}
[ -x "$IAR" ] || { echo "train_model: $IAR not found; run make first" >&2; exit 1; }
mkdir -p "$WORK"
say() { echo "[train_model] $*" >&2; }

# 1. The vision tower: per-candidate flaws + dense targets, fresh rendered samples every step.
say "vision tower: $TOWER_STEPS steps (resumes)"
$MPIRUN "$IAR" train vision --out "$WORK/tower" --config small --steps "$TOWER_STEPS" --seed "$SEED" \
    --val-every 500 --save-every 100 --val-samples 200 ${THREADS:+--threads $THREADS} --resume

# 2. The same tower taught photographs: fine-tuned on --style mix (half drawn, half photographed
# scenes through a random camera) from another data seed, with a fresh schedule, in sittings that
# each start from the last one's tower (the shipped tower's stages: models/iar-small/README.md).
TOWER="$WORK/tower"
STYLE=render
mix_sitting() { # NAME DATA_SEED STEPS LR
    [ "$3" -gt 0 ] || return 0
    say "vision tower on drawn + photographed scenes, $1: $3 steps (resumes)"
    $MPIRUN "$IAR" train vision --out "$WORK/$1" --init "$TOWER" --style mix --data-seed "$2" --steps "$3" \
        --lr "$4" --warmup 50 --seed "$SEED" --val-every 500 --save-every 100 --val-samples 200 \
        ${THREADS:+--threads $THREADS} --resume
    TOWER="$WORK/$1"
    STYLE=mix
}
if [ "$MIX_STEPS" -gt 0 ]; then
    tools/fetch_photos.sh
    mix_sitting tower-mix 1001 "$MIX_STEPS" 0.001
    mix_sitting tower-mix2 1002 "$MIX2_STEPS" 0.0005 # after the photo-style seam fix
    mix_sitting tower-mix3 1003 "$MIX3_STEPS" 0.0005 # after the composite layout joined the photo style
fi

# 3. The product view (docs/MODEL.md): a second tower that reads each candidate's product at the
# original's scale, found on the first tower's grid; deformation samples only, in the tower's style.
# Further sittings start from the last one with a fresh schedule and another data seed.
product_sitting() { # NAME DATA_SEED STEPS LR
    [ "$3" -gt 0 ] || return 0
    say "product-view tower, sitting $1: $3 steps (resumes)"
    $MPIRUN "$IAR" train vision --out "$WORK/$1" --init "$PRODUCT" --product-view 128 --dims deformation --style "$STYLE" \
        --data-seed "$2" --steps "$3" --lr "$4" --warmup 50 --seed "$SEED" --val-every 1000 --save-every 100 \
        --val-samples 400 ${THREADS:+--threads $THREADS} --resume
    PRODUCT="$WORK/$1"
}
PRODUCT_ARGS=
if [ "$PRODUCT_STEPS" -gt 0 ]; then
    say "product-view tower: $PRODUCT_STEPS steps (resumes)"
    $MPIRUN "$IAR" train vision --out "$WORK/product" --config small --image-size 64 --product-view 128 --dims deformation \
        --style "$STYLE" --data-seed 1004 --steps "$PRODUCT_STEPS" --seed "$SEED" --val-every 1000 --save-every 100 \
        --val-samples 400 ${THREADS:+--threads $THREADS} --resume
    PRODUCT="$WORK/product"
    product_sitting product2 1005 "$PRODUCT2_STEPS" 0.001
    product_sitting product3 1006 "$PRODUCT3_STEPS" 0.0005
    product_sitting product4 1007 "$PRODUCT4_STEPS" 0.0005
    PRODUCT_ARGS="--init-product $PRODUCT"
fi

# 4. Text data for the language side (128 px, the tower's style; an eighth of its sets with no flaw,
# so that the model can answer "none") and test sets from seeds no training step uses (the towers
# stream seeds 1000-1007 and 999): drawn (seed 2) and photographed (seed 3), the benchmark's 1-3 flaws.
[ -f "$WORK/train/data.jsonl" ] || "$IAR" synth --out "$WORK/train" --n "$NTRAIN" --seed 1 --size 128 --style "$STYLE" \
    --none-share 0.125
[ -f "$WORK/test/data.jsonl" ] || "$IAR" synth --out "$WORK/test" --n "$NTEST" --seed 2 --size 128 --style render
[ "$STYLE" = render ] || [ -f "$WORK/test-photo/data.jsonl" ] || \
    "$IAR" synth --out "$WORK/test-photo" --n "$NTEST" --seed 3 --size 128 --style photo
[ -f "$WORK/tokenizer.json" ] || "$IAR" train tokenizer --data "$WORK/train/data.jsonl" --out "$WORK/tokenizer.json" --vocab 1024

# 5. SFT of the language side on the frozen tower(s).
say "SFT on the tower: $SFT_STEPS steps (resumes)"
"$IAR" train sft --data "$WORK/train/data.jsonl" --tokenizer "$WORK/tokenizer.json" --init-vision "$TOWER" \
    $PRODUCT_ARGS --config small --out "$WORK/sft" --steps "$SFT_STEPS" --batch 16 --seed "$SEED" --val-every 500 \
    --val-samples 32 ${THREADS:+--threads $THREADS} --resume

# 6. Evaluation on the fresh test sets and the real-photo check set, then the model folder with its card.
"$IAR" eval --data "$WORK/test/data.jsonl" --model random --out "$WORK/eval/random" >/dev/null
"$IAR" eval --data "$WORK/test/data.jsonl" --model "native:$WORK/sft" --name iar-small --out "$WORK/eval/model" >/dev/null
if [ "$STYLE" = mix ]; then
    "$IAR" eval --data "$WORK/test-photo/data.jsonl" --model random --out "$WORK/eval/photo-random" >/dev/null
    "$IAR" eval --data "$WORK/test-photo/data.jsonl" --model "native:$WORK/sft" --name iar-small --out "$WORK/eval/photo-model" >/dev/null
fi
mkdir -p "$OUT/tower"
for f in model.safetensors config.json tokenizer.json; do cp "$WORK/sft/$f" "$OUT/$f"; done
# the tower alone too: `iar demo` and `iar train sft --init-vision` train new language sides on it
for f in tower.safetensors tower.json; do cp "$TOWER/$f" "$OUT/tower/$f"; done
PAIR=
if [ -n "$PRODUCT_ARGS" ]; then
    mkdir -p "$OUT/product_tower"
    for f in tower.safetensors tower.json; do cp "$PRODUCT/$f" "$OUT/product_tower/$f"; done
    PAIR="--product $PRODUCT"
fi
"$IAR" train vision --out "$TOWER" --evaluate $PAIR --val-seed 2 --val-samples 400 ${THREADS:+--threads $THREADS} \
    > "$WORK/eval/tower.md"
"$IAR" report "$WORK/eval/random" "$WORK/eval/model" -o "$WORK/eval/report" > "$WORK/eval/table.md"
[ "$STYLE" = render ] || "$IAR" train vision --out "$TOWER" --evaluate $PAIR --val-seed 3 --val-samples 400 --style photo \
    ${THREADS:+--threads $THREADS} > "$WORK/eval/tower-photo.md"
IAR="$IAR" OUT="$WORK/realset" bench/realset.sh "$OUT" > "$WORK/eval/realset.md"
say "done: $OUT ($(du -sh "$OUT" | cut -f1)); tables in $WORK/eval/: table.md, tower.md, tower-photo.md, realset.md"

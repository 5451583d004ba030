#!/bin/sh
# test_train_vision.sh — `iar train vision` from the command line: help, one-line errors, a tiny
# run stopped half way and resumed to the same tower as an uninterrupted one, an extended run, a run
# started from a trained tower on photo-style samples (--init, --style),
# SFT reading images through the tower (--init-vision) evaluated with `iar eval --model native:`, and
# SFT and GRPO training the tower's heads after their first steps (--tower-heads-after).
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/train-vision-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
TINY="--config tiny --batch 4 --val-samples 8 --val-every 4 --save-every 2 --threads 1"

"$IAR" train vision --help > "$TMP/help.txt" 2>&1 || fail "train vision --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "train vision --help has no example"
"$IAR" train vision --steps 3 > /dev/null 2>"$TMP/err.txt" && fail "train vision without --out succeeded"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "missing --out: not a one-line error"
"$IAR" train vision --out "$TMP/x" --config huge > /dev/null 2>"$TMP/err.txt" && fail "unknown preset accepted"
grep -q "huge" "$TMP/err.txt" || fail "unknown preset error does not name it"
"$IAR" train vision --out "$TMP/x" --difficulty brutal > /dev/null 2>&1 && fail "unknown difficulty accepted"
# training runs under mpirun (tests/cli/test_mpi_train.sh); scoring a checkpoint is one process's work
OMPI_COMM_WORLD_SIZE=2 "$IAR" train vision --out "$TMP/x" --evaluate > /dev/null 2>"$TMP/err.txt" && fail "--evaluate under a launcher accepted"
grep -q "mpirun" "$TMP/err.txt" || fail "the --evaluate refusal under mpirun does not say why"

# uninterrupted 6 steps vs 3 + resume to 6: the same tower, bit for bit, and six step lines
"$IAR" train vision --out "$TMP/full" --steps 6 $TINY > "$TMP/full.log" 2>&1 || { cat "$TMP/full.log"; fail "tiny run failed"; }
"$IAR" train vision --out "$TMP/half" --steps 6 --stop-at 3 $TINY > "$TMP/half.log" 2>&1 || fail "stopped run failed"
"$IAR" train vision --out "$TMP/half" --steps 6 $TINY > "$TMP/half2.log" 2>&1 && fail "a second run into a used folder without --resume succeeded"
"$IAR" train vision --out "$TMP/half" --steps 6 $TINY --resume > "$TMP/half2.log" 2>&1 || { cat "$TMP/half2.log"; fail "resume failed"; }
cmp -s "$TMP/full/tower.safetensors" "$TMP/half/tower.safetensors" || fail "stop + resume gives another tower than one run"
[ "$(grep -c '"lr"' "$TMP/half/train_log.jsonl")" -eq 6 ] || fail "the resumed log does not hold each of 6 steps once"
grep -q '"split":"validation"' "$TMP/half/train_log.jsonl" || fail "no validation line in the log"
"$IAR" train vision --out "$TMP/half" --steps 6 $TINY --resume --seed 5 > /dev/null 2>"$TMP/err.txt" && fail "resume with another seed accepted"
# extending a finished run
"$IAR" train vision --out "$TMP/half" --steps 8 $TINY --resume > "$TMP/ext.log" 2>&1 || fail "extending the run failed"
[ "$(grep -c '"lr"' "$TMP/half/train_log.jsonl")" -eq 8 ] || fail "the extended log does not hold 8 steps"

# --init: a new run from a trained tower (its config, not the preset's), here on photo-style samples
# from a small photo library made of drawn images (no download)
"$IAR" synth --out "$TMP/p" --n 2 --seed 9 --size 256 --style render > /dev/null 2>&1 || fail "synth for photos failed"
mkdir -p "$TMP/photos"
cp "$TMP/p/img/s000000_a.png" "$TMP/photos/wall.png"; cp "$TMP/p/img/s000001_b.png" "$TMP/photos/floor.png"
printf 'wall.png\twall\t0\t1\ttest\tCC0-1.0\nfloor.png\tsurface\t0\t1\ttest\tCC0-1.0\n' > "$TMP/photos/MANIFEST.tsv"
"$IAR" train vision --out "$TMP/init" --init "$TMP/full" --config small --style photo --photos "$TMP/photos" --steps 2 \
    --batch 4 --val-samples 4 --threads 1 > "$TMP/init.log" 2>&1 || { cat "$TMP/init.log"; fail "--init run on photo style failed"; }
cmp -s "$TMP/full/tower.json" "$TMP/init/tower.json" || fail "--init did not keep the initial tower's config"
"$IAR" train vision --out "$TMP/init2" --init "$TMP/full" --image-size 96 --steps 1 $TINY > /dev/null 2>"$TMP/err.txt" \
    && fail "--init with another --image-size accepted"
"$IAR" train vision --out "$TMP/init2" --init "$TMP/nope" --steps 1 $TINY > /dev/null 2>"$TMP/err.txt" && fail "missing --init tower accepted"
grep -q "nope" "$TMP/err.txt" || fail "missing --init tower error does not name the folder"
# --init --resume: the run in --out continues (one command that resumes); --init is not read again
"$IAR" train vision --out "$TMP/init" --init "$TMP/nope" --resume --config small --style photo --photos "$TMP/photos" \
    --steps 3 --batch 4 --val-samples 4 --threads 1 > "$TMP/init3.log" 2>&1 || { cat "$TMP/init3.log"; fail "--init --resume did not continue the run"; }
[ "$(grep -c '"lr"' "$TMP/init/train_log.jsonl")" -eq 3 ] || fail "--init --resume: the log does not hold 3 steps"
"$IAR" train vision --out "$TMP/init2" --style photo --photos "$TMP/none" --steps 1 $TINY > /dev/null 2>"$TMP/err.txt" \
    && fail "--style photo without photographs accepted"
grep -q "fetch_photos" "$TMP/err.txt" || fail "--style photo without photographs does not say how to fetch them"
"$IAR" train vision --out "$TMP/init2" --style oil --steps 1 $TINY > /dev/null 2>&1 && fail "unknown --style accepted"

# a tiny dataset rendered by the generator, SFT on the frozen tower, evaluation
"$IAR" synth --out "$TMP/d" --n 12 --seed 3 --size 64 --style render > /dev/null 2>&1 || fail "synth failed"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/sft" --config tiny --init-vision "$TMP/full" --steps 4 \
    --batch 4 --vocab 300 --threads 1 > "$TMP/sft.log" 2>&1 || { cat "$TMP/sft.log"; fail "SFT on the tower failed"; }
grep -q '"vision_tower":[[:space:]]*1' "$TMP/sft/config.json" || fail "the SFT model's config does not name its tower"
"$IAR" eval --data "$TMP/d/data.jsonl" --model "native:$TMP/sft" --out "$TMP/ev" --threads 1 > "$TMP/ev.log" 2>&1 \
    || { cat "$TMP/ev.log"; fail "eval of the SFT model failed"; }
[ "$(wc -l < "$TMP/ev/predictions.jsonl")" -eq 12 ] || fail "eval did not write 12 predictions"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/sft2" --config tiny --init-vision "$TMP/nope" --steps 1 \
    > /dev/null 2>"$TMP/err.txt" && fail "a missing tower accepted"
grep -q "nope" "$TMP/err.txt" || fail "missing tower error does not name the folder"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/sft3" --config tiny:pointer --init-vision "$TMP/full" \
    --steps 1 > /dev/null 2>"$TMP/err.txt" && fail "the candidate pointer on a vision tower accepted"
grep -q "pointer" "$TMP/err.txt" || fail "the candidate-variant error does not name the pointer"

# the product view: a second tower on the views of the first one's 32 px input, scored beside it,
# and a language side on both
"$IAR" train vision --out "$TMP/prod" --steps 2 $TINY --product-view 32 --dims deformation > "$TMP/prod.log" 2>&1 \
    || { cat "$TMP/prod.log"; fail "product-view run failed"; }
grep -q '"view":[[:space:]]*"product"' "$TMP/prod/tower.json" || fail "the product tower's config does not say its view"
"$IAR" train vision --out "$TMP/full" --evaluate --product "$TMP/prod" --val-samples 4 --dims deformation \
    --threads 1 > "$TMP/pair.md" 2>&1 || { cat "$TMP/pair.md"; fail "--evaluate --product failed"; }
grep -q "| deformation | 4 |" "$TMP/pair.md" || fail "--evaluate --product did not score 4 deformation samples"
"$IAR" train vision --out "$TMP/full" --evaluate --product "$TMP/full" --val-samples 4 --threads 1 > /dev/null \
    2>"$TMP/err.txt" && fail "a frame tower accepted as a product tower"
grep -q "not a product-view tower" "$TMP/err.txt" || fail "a frame tower as --product: unclear error"
"$IAR" train vision --out "$TMP/prod2" --steps 1 $TINY --dims colour > /dev/null 2>"$TMP/err.txt" && fail "unknown --dims accepted"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/sftp" --config tiny --init-vision "$TMP/full" \
    --init-product "$TMP/prod" --steps 2 --batch 4 --vocab 300 --threads 1 > "$TMP/sftp.log" 2>&1 \
    || { cat "$TMP/sftp.log"; fail "SFT on both towers failed"; }
grep -q '"product_tower":[[:space:]]*1' "$TMP/sftp/config.json" || fail "the SFT model's config does not name its product tower"
"$IAR" eval --data "$TMP/d/data.jsonl" --model "native:$TMP/sftp" --out "$TMP/evp" > "$TMP/evp.log" 2>&1 \
    || { cat "$TMP/evp.log"; fail "eval of the model with a product tower failed"; }
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/sftp2" --config tiny --init-product "$TMP/prod" --steps 1 \
    > /dev/null 2>"$TMP/err.txt" && fail "--init-product without --init-vision accepted"

# the towers' heads trained with the language side after the first steps (--tower-heads-after):
# frozen to the end it is the frozen run (the same losses: the heads then run on cached tokens, in
# other batches, so the last float bits may differ); unfrozen at step 2 the heads learn (a gradient
# from step 3 on) and the model differs; stopped and resumed it is the uninterrupted run, bit for bit
BOTH="--data $TMP/d/data.jsonl --config tiny --init-vision $TMP/full --init-product $TMP/prod --batch 4 --vocab 300 --threads 1"
"$IAR" train sft $BOTH --out "$TMP/h0" --steps 4 > "$TMP/h0.log" 2>&1 || { cat "$TMP/h0.log"; fail "frozen SFT failed"; }
"$IAR" train sft $BOTH --out "$TMP/h4" --steps 4 --tower-heads-after 4 > "$TMP/h4.log" 2>&1 || { cat "$TMP/h4.log"; fail "SFT with heads after 4 failed"; }
losses() { sed 's/.*"loss":\([^,]*\),.*/\1/' "$1"; }
[ "$(losses "$TMP/h0/train_log.jsonl")" = "$(losses "$TMP/h4/train_log.jsonl")" ] || fail "heads frozen to the end differ from the frozen run"
"$IAR" train sft $BOTH --out "$TMP/h2" --steps 4 --tower-heads-after 2 --tower-lr 0.1 > "$TMP/h2.log" 2>&1 || { cat "$TMP/h2.log"; fail "SFT with heads after 2 failed"; }
[ "$(losses "$TMP/h0/train_log.jsonl" | tail -n 1)" = "$(losses "$TMP/h2/train_log.jsonl" | tail -n 1)" ] \
    && fail "training the heads changed nothing"
[ "$(grep -c '"tower_grad_norm":0}' "$TMP/h2/train_log.jsonl")" -eq 2 ] || fail "the heads got a gradient before step 3"
"$IAR" train sft $BOTH --out "$TMP/h2s" --steps 4 --tower-heads-after 2 --tower-lr 0.1 --stop-at 3 > /dev/null 2>&1 || fail "stopped SFT with heads failed"
"$IAR" train sft $BOTH --out "$TMP/h2s" --steps 4 --tower-heads-after 2 --tower-lr 0.1 --resume > "$TMP/h2s.log" 2>&1 || { cat "$TMP/h2s.log"; fail "resumed SFT with heads failed"; }
cmp -s "$TMP/h2/model.safetensors" "$TMP/h2s/model.safetensors" || fail "stop + resume with training heads gives another model"
"$IAR" train sft $BOTH --out "$TMP/h2s" --steps 4 --tower-heads-after 1 --resume > /dev/null 2>"$TMP/err.txt" && fail "resume with another --tower-heads-after accepted"
# GRPO the same way: the heads learn from step 1 on (a tower gradient in the log), and a stopped and
# resumed run is the uninterrupted one; a KL reference would read through the moving heads: --beta is refused
# (from an SFT on short rationales that fit the tiny model's text, so that sampled completions have
# the format and rewards vary)
sed 's|"rationale":"<think>[^<]*</think>|"rationale":"<think>Look.</think>|' "$TMP/d/data.jsonl" > "$TMP/d/short.jsonl"
"$IAR" train sft $BOTH --data "$TMP/d/short.jsonl" --out "$TMP/hg" --steps 60 --batch 8 --lr 1e-2 --warmup 5 > "$TMP/hg.log" 2>&1 \
    || { cat "$TMP/hg.log"; fail "SFT of the GRPO init failed"; }
GR="--data $TMP/d/short.jsonl --init $TMP/hg --steps 3 --group 4 --prompts-per-step 2 --max-new-tokens 16 --tower-heads-after 1 --tower-lr 0.01 --threads 1"
"$IAR" train grpo $GR --out "$TMP/g" > "$TMP/g.log" 2>&1 || { cat "$TMP/g.log"; fail "GRPO with training heads failed"; }
grep '"step":1,' "$TMP/g/train_log.jsonl" | grep -q '"tower_grad_norm":0}' || fail "GRPO: the heads got a gradient at step 1"
grep '"step":3,' "$TMP/g/train_log.jsonl" | grep -q '"tower_grad_norm":0}' && fail "GRPO: the heads got no gradient at step 3"
"$IAR" train grpo $GR --out "$TMP/gs" --stop-at 2 > /dev/null 2>&1 || fail "stopped GRPO with heads failed"
"$IAR" train grpo $GR --out "$TMP/gs" --resume > "$TMP/gs.log" 2>&1 || { cat "$TMP/gs.log"; fail "resumed GRPO with heads failed"; }
cmp -s "$TMP/g/model.safetensors" "$TMP/gs/model.safetensors" || fail "stop + resume of GRPO with training heads gives another model"
"$IAR" train grpo $GR --out "$TMP/gb" --beta 0.04 > /dev/null 2>"$TMP/err.txt" && fail "--tower-heads-after with --beta accepted"
grep -q "beta" "$TMP/err.txt" || fail "--tower-heads-after with --beta: unclear error"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/h9" --config tiny --steps 1 --tower-heads-after 0 --vocab 300 \
    > /dev/null 2>"$TMP/err.txt" && fail "--tower-heads-after without a tower accepted"
grep -q "vision tower" "$TMP/err.txt" || fail "--tower-heads-after without a tower: unclear error"

[ $fails -eq 0 ] && rm -rf "$TMP"
[ $fails -eq 0 ]

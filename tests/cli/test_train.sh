#!/bin/sh
# test_train.sh — `iar train` from the command line: help with examples, one-line errors with a
# non-zero exit, tokenizer training, a tiny SFT run stopped half way and resumed, finished SFT and
# GRPO runs extended with --resume --steps, options from --config FILE.json, and the result
# evaluated through `iar eval --model native:CKPT`.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/train-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# 1x1 PNGs (the model resizes them) and twelve samples with rationales.
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
    printf '{"id":"s%s","dimension":"lighting","original":"img/o.png","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":["B"],"rationale":"<think>The light comes from the left. B casts its shadow toward the light.</think><answer>B</answer>"}\n' "$i"
done > "$TMP/d/data.jsonl"

# help and usage errors
"$IAR" train --help > "$TMP/help.txt" 2>&1 || fail "train --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "train --help has no example"
"$IAR" train sft --help > "$TMP/help.txt" 2>&1 || fail "train sft --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "train sft --help has no example"
"$IAR" train tokenizer --help > "$TMP/help.txt" 2>&1 || fail "train tokenizer --help exited non-zero"
"$IAR" train > /dev/null 2>&1 && fail "train without a stage succeeded"
"$IAR" train bake > /dev/null 2>"$TMP/err.txt" && fail "unknown stage succeeded"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "unknown stage: not a one-line error"
"$IAR" train sft --data "$TMP/d/data.jsonl" > /dev/null 2>&1 && fail "sft without --out succeeded"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/x" --batch 0 > /dev/null 2>"$TMP/err.txt" && fail "--batch 0 accepted"
grep -q -- "--batch" "$TMP/err.txt" || fail "--batch error does not name the option"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/x" --frobnicate > /dev/null 2>&1 && fail "unknown option accepted"
"$IAR" train sft --data "$TMP/nope.jsonl" --out "$TMP/x" > /dev/null 2>"$TMP/err.txt" && fail "missing data accepted"
grep -q "nope.jsonl" "$TMP/err.txt" || fail "missing data error does not name the file"
"$IAR" train sft --data "$TMP/d/data.jsonl" --init "$TMP/no-model" --out "$TMP/refused" > /dev/null 2>&1 && fail "a missing --init accepted"
[ -e "$TMP/refused" ] && fail "a refused start left its --out folder behind"

# tokenizer
"$IAR" train tokenizer --data "$TMP/d/data.jsonl" --out "$TMP/tok.json" --vocab 300 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "train tokenizer failed"; }
grep -q '"iar-bpe"' "$TMP/tok.json" || fail "tokenizer.json has no format field"

# tiny SFT: stop after 3 of 6 steps, then resume; the log holds exactly 6 steps
S="--data $TMP/d/data.jsonl --out $TMP/ck --config tiny --steps 6 --batch 4 --val-fraction 0.2 --threads 1 --peak-gflops 10"
"$IAR" train sft $S --stop-at 3 --resume > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "sft (first half) failed"; }
grep -q "starting at step 0" "$TMP/out.txt" || fail "--resume without a state did not start a new run"
grep -q "parameters" "$TMP/out.txt" || fail "sft did not print the parameter count"
"$IAR" train sft $S > /dev/null 2>"$TMP/err.txt" && fail "sft over an existing run without --resume succeeded"
"$IAR" train sft $S --resume > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "sft --resume failed"; }
grep -q "resuming at step 3" "$TMP/out.txt" || fail "--resume did not continue at step 3"
"$IAR" train sft $S --resume > "$TMP/out.txt" 2>&1 || fail "sft --resume of a finished run failed"
for f in model.safetensors config.json tokenizer.json state.bin train_log.jsonl; do
    [ -s "$TMP/ck/$f" ] || fail "checkpoint lacks $f"
done
[ "$(grep -c '"loss"' "$TMP/ck/train_log.jsonl")" -eq 6 ] || fail "train_log.jsonl does not hold 6 steps"
grep -q '"event":"validation"' "$TMP/ck/train_log.jsonl" || fail "no validation in the log"

# a finished run extended: 4 steps, then --resume --steps 6 trains steps 5 and 6 on the 6-step
# schedule (the learning rates of a straight 6-step run), and its checkpoint is at step 6
E="--data $TMP/d/data.jsonl --config tiny --batch 4 --warmup 1 --val-fraction 0.2 --threads 1 --peak-gflops 10"
"$IAR" train sft $E --out "$TMP/ext" --steps 4 > /dev/null 2>&1 || fail "sft (4 steps) failed"
"$IAR" train sft $E --out "$TMP/ext" --steps 6 --resume > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "extending a finished sft run failed"; }
grep -q "resuming at step 4 of 6" "$TMP/out.txt" || fail "the extended sft run did not continue at step 4 of 6"
[ "$(grep -c '"loss"' "$TMP/ext/train_log.jsonl")" -eq 6 ] || fail "the extended sft log does not hold 6 steps"
"$IAR" train sft $E --out "$TMP/straight" --steps 6 > /dev/null 2>&1 || fail "sft (6 steps) failed"
lr_at() { grep "\"step\":$2,\"loss\"" "$1/train_log.jsonl" | sed 's/.*"lr":\([^,]*\),.*/\1/'; }
[ -n "$(lr_at "$TMP/ext" 6)" ] && [ "$(lr_at "$TMP/ext" 5) $(lr_at "$TMP/ext" 6)" = "$(lr_at "$TMP/straight" 5) $(lr_at "$TMP/straight" 6)" ] \
    || fail "the extended run's learning rates are not the 6-step schedule's"
"$IAR" train sft $E --out "$TMP/ext" --steps 6 --resume > "$TMP/out.txt" 2>&1 || fail "re-running the extended run failed"
grep -q "resuming at step 6 of 6" "$TMP/out.txt" || fail "the extended run's checkpoint is not at step 6"
"$IAR" train sft $E --out "$TMP/ext" --steps 5 --resume > /dev/null 2>"$TMP/err.txt" && fail "a resume shorter than the run succeeded"
grep -q "not shorten" "$TMP/err.txt" || fail "shortening a run: the error does not say why"
"$IAR" train sft $E --out "$TMP/ext" --steps 8 --lr 1e-3 --resume > /dev/null 2>"$TMP/err.txt" && fail "a resume with another --lr succeeded"
G="--data $TMP/d/data.jsonl --init $TMP/ck --out $TMP/grpo --group 2 --prompts-per-step 1 --max-new-tokens 8 --threads 1"
"$IAR" train grpo $G --steps 2 > /dev/null 2>&1 || fail "grpo (2 steps) failed"
"$IAR" train grpo $G --steps 3 --resume > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "extending a finished grpo run failed"; }
[ "$(grep -c '"reward_mean"' "$TMP/grpo/train_log.jsonl")" -eq 3 ] || fail "the extended grpo log does not hold 3 steps"
tail -n 1 "$TMP/grpo/train_log.jsonl" | grep -q '"step":3,' || fail "the extended grpo run did not reach step 3"
"$IAR" train grpo $G --steps 2 --resume > /dev/null 2>"$TMP/err.txt" && fail "a shorter grpo resume succeeded"

# options from a --config file, under the command line's (--opt=value included); the later of
# --steps/--epochs wins across the two
printf '{"data": "%s", "config": "tiny", "steps": 50, "batch": 4, "val-fraction": 0.2, "threads": 1, "peak-gflops": 10, "grad-clip": 0.5, "resume": false}\n' \
    "$TMP/d/data.jsonl" > "$TMP/sft.json"
"$IAR" train sft --config "$TMP/sft.json" --out="$TMP/cf" --steps=2 > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "sft --config FILE.json failed"; }
grep -q "config tiny" "$TMP/out.txt" || fail "the file's model preset was not used"
grep -q "starting at step 0 of 2" "$TMP/out.txt" || fail "--steps=2 on the command line did not override the file"
[ "$(grep -c '"loss"' "$TMP/cf/train_log.jsonl")" -eq 2 ] || fail "sft --config: the log does not hold 2 steps"
"$IAR" train sft --config="$TMP/sft.json" --out "$TMP/cf2" --epochs 0.1 > "$TMP/out.txt" 2>&1 || fail "sft --config with --epochs failed"
grep -q "starting at step 0 of 1" "$TMP/out.txt" || fail "--epochs on the command line did not win over the file's steps"
printf '{"stepz": 2}\n' > "$TMP/bad.json"
"$IAR" train sft --config "$TMP/bad.json" --data "$TMP/d/data.jsonl" --out "$TMP/x" > /dev/null 2>"$TMP/err.txt" && fail "an unknown key was accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] && grep -q stepz "$TMP/err.txt" && grep -q bad.json "$TMP/err.txt" \
    || fail "unknown key: not a one-line error naming the key and the file"
printf '{"steps": "two"}\n' > "$TMP/bad2.json"
"$IAR" train sft --config "$TMP/bad2.json" --data "$TMP/d/data.jsonl" --out "$TMP/x" > /dev/null 2>"$TMP/err.txt" && fail "a string for --steps was accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] && grep -q '"steps"' "$TMP/err.txt" && grep -q bad2.json "$TMP/err.txt" \
    || fail "wrong type: not a one-line error naming the key and the file"

# the checkpoint through the evaluator
"$IAR" eval --data "$TMP/d/data.jsonl" --model "native:$TMP/ck" --out "$TMP/run" --limit 3 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "iar eval --model native: failed"; }
[ "$(find "$TMP/run" -name predictions.jsonl -exec cat {} + | wc -l)" -eq 3 ] || fail "eval did not write 3 predictions"
# an image the native model cannot read (a link out of the dataset folder) fails for good: a rerun does not ask again
mkdir -p "$TMP/elsewhere" && echo "$PNG" | base64 -d > "$TMP/elsewhere/o.png" && ln -s "$TMP/elsewhere/o.png" "$TMP/d/img/out.png"
sed -n 1p "$TMP/d/data.jsonl" | sed 's#"original":"img/o.png"#"original":"img/out.png"#' > "$TMP/d/link.jsonl"
"$IAR" eval --data "$TMP/d/link.jsonl" --model "native:$TMP/ck" --out "$TMP/link-run" > /dev/null 2>&1
grep -q '"error_kind":"permanent"' "$TMP/link-run/predictions.jsonl" \
    || fail "native: an unreadable image is not a permanent error: $(cat "$TMP/link-run/predictions.jsonl")"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

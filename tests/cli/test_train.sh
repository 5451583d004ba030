#!/bin/sh
# test_train.sh — `iar train` from the command line: help with examples, one-line errors with a
# non-zero exit, tokenizer training, a tiny SFT run stopped half way and resumed, and the result
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

# the checkpoint through the evaluator
"$IAR" eval --data "$TMP/d/data.jsonl" --model "native:$TMP/ck" --out "$TMP/run" --limit 3 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "iar eval --model native: failed"; }
[ "$(find "$TMP/run" -name predictions.jsonl -exec cat {} + | wc -l)" -eq 3 ] || fail "eval did not write 3 predictions"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

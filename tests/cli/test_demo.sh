#!/bin/sh
# test_demo.sh — `iar demo` without running its training: --help, usage errors, and --dry-run, which
# prints each step's command line (the folder quoted when it has a space, --seed reaching the tower,
# SFT and GRPO steps and nothing else) and creates nothing.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/demo-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$IAR" demo --help > "$TMP/help.txt" 2>&1 || fail "demo --help exited non-zero"
for o in --seed --dry-run --from-scratch; do grep -q -- "$o" "$TMP/help.txt" || fail "demo --help does not list $o"; done
"$IAR" demo --seed x --dry-run > /dev/null 2>"$TMP/err.txt" && fail "--seed x accepted"
grep -q -- "--seed" "$TMP/err.txt" || fail "--seed error does not name the option"
"$IAR" demo --dry-run extra > /dev/null 2>&1 && fail "an unexpected argument accepted"

"$IAR" demo --from-scratch --seed 7 --dry-run --out "$TMP/my demo" > "$TMP/plan.txt" 2>"$TMP/err.txt" \
    || { cat "$TMP/err.txt"; fail "demo --dry-run failed"; }
[ -e "$TMP/my demo" ] && fail "--dry-run created the demo folder"
[ "$(grep -c '^iar ' "$TMP/plan.txt")" -eq "$(grep -c '^# ' "$TMP/plan.txt")" ] || fail "not one command per step"
grep -q "^iar train vision --out '$TMP/my demo/tower' .*--seed 7 " "$TMP/plan.txt" || fail "the tower step lacks --seed 7"
for t in sft grpo; do grep -q "^iar train $t .*--seed 7 " "$TMP/plan.txt" || fail "the $t step lacks --seed 7"; done
[ "$(grep -c -- "--seed 7" "$TMP/plan.txt")" -eq 3 ] || fail "--seed reached a step other than the three trainers"
grep -q "^iar synth --out '$TMP/my demo/test' .*--seed 2 " "$TMP/plan.txt" || fail "the test benchmark's seed moved"
"$IAR" demo --from-scratch --dry-run --out "$TMP/d" | grep -q "^iar train sft .*--seed 1 " || fail "the default seed is not 1"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

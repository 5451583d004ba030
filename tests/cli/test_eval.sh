#!/bin/sh
# test_eval.sh — `iar eval` and `iar report` from the command line: help, one-line errors, the baseline
# tables, resuming, and comparing two runs.
set -u
IAR=${IAR_BIN:-build/iar}
TMP=${IAR_TEST_TMP:-/tmp}/cli-eval-$$
mkdir -p "$TMP/img"
fail() { echo "FAIL: $*"; exit 1; }

# A 1x1 PNG shared by every image of a 30-sample dataset.
echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC' | base64 -d > "$TMP/img/p.png"
i=0
while [ $i -lt 30 ]; do
    case $((i % 4)) in 0) d=deformation;; 1) d=lighting;; 2) d=placement;; *) d=extension;; esac
    case $((i % 3)) in 0) a='["B"]';; 1) a='["A","C"]';; *) a='["B","C","D"]';; esac
    printf '{"id":"c%03d","dimension":"%s","original":"img/p.png","candidates":["img/p.png","img/p.png","img/p.png","img/p.png"],"answer":%s}\n' $i $d "$a"
    i=$((i + 1))
done > "$TMP/data.jsonl"

"$IAR" eval --help > "$TMP/help.txt" || fail "eval --help exits non-zero"
grep -q "example" "$TMP/help.txt" || fail "eval --help has no example"
"$IAR" report --help | grep -q "example" || fail "report --help has no example"

"$IAR" eval --model random 2> "$TMP/err.txt" && fail "eval without --data succeeded"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "error is not one line: $(cat "$TMP/err.txt")"
grep -q "^iar: eval: --data" "$TMP/err.txt" || fail "unexpected error: $(cat "$TMP/err.txt")"
"$IAR" eval --data "$TMP/data.jsonl" --model gpt5 --out "$TMP/x" 2> "$TMP/err.txt" && fail "unknown model accepted"
grep -q "unknown model" "$TMP/err.txt" || fail "unexpected error: $(cat "$TMP/err.txt")"
"$IAR" eval --data "$TMP/data.jsonl" --model random --limit 0 2> "$TMP/err.txt" && fail "--limit 0 accepted"
"$IAR" eval --data "$TMP/data.jsonl" --model openai:gpt-4o --api-key sk-123 2> "$TMP/err.txt" && fail "--api-key accepted"
grep -q "environment variable" "$TMP/err.txt" || fail "--api-key error unclear"
"$IAR" eval --data "$TMP/missing.jsonl" --model random --out "$TMP/y" 2> "$TMP/err.txt" && fail "missing data accepted"

"$IAR" eval --data "$TMP/data.jsonl" --model all --out "$TMP/all" > "$TMP/all.txt" 2> "$TMP/all.err" || fail "eval all: $(cat "$TMP/all.err")"
grep -q "| Model | Overall | Appearance Deformation | Lighting & Shadow | Placement Layout | Extension Rationality |" "$TMP/all.txt" || fail "no paper-style table"
grep -q "^| all | 0.0 | 0.0 | 0.0 | 0.0 | 0.0 | 0.0 | 0 (0.0%) | 6.7 |" "$TMP/all.txt" || fail "all baseline row wrong: $(cat "$TMP/all.txt")"
grep -q "random guess (expected)" "$TMP/all.txt" || fail "no random baseline row"
for f in predictions.jsonl summary.json report.md report.html run.json; do
    [ -s "$TMP/all/$f" ] || fail "missing $f"
done
[ "$(wc -l < "$TMP/all/predictions.jsonl")" -eq 30 ] || fail "predictions.jsonl does not have 30 lines"

"$IAR" eval --data "$TMP/data.jsonl" --model random --seed 3 --out "$TMP/random" --limit 10 > /dev/null 2>&1 || fail "eval random --limit"
"$IAR" eval --data "$TMP/data.jsonl" --model random --seed 3 --out "$TMP/random" > "$TMP/random.txt" 2>&1 || fail "eval random resume"
grep -q "20 evaluated now, 10 already done" "$TMP/random.txt" || fail "resume did not skip: $(cat "$TMP/random.txt")"
[ "$(wc -l < "$TMP/random/predictions.jsonl")" -eq 30 ] || fail "resume duplicated lines"

# The default folder: runs/<model>_<dataset>_<date>, relative to the working directory.
(cd "$TMP" && "$IAR" eval --data data.jsonl --model all > /dev/null 2>&1) || fail "eval with the default folder"
ls "$TMP/runs" | grep -q "^all_data_[0-9]\{8\}$" || fail "default run folder not found: $(ls "$TMP/runs")"

"$IAR" report "$TMP/random" "$TMP/all" -o "$TMP/compare" > "$TMP/report.txt" 2>&1 || fail "report: $(cat "$TMP/report.txt")"
grep -q "^| random |" "$TMP/report.txt" || fail "report has no random row"
grep -q "Differences against random" "$TMP/report.txt" || fail "report has no comparison"
[ -s "$TMP/compare/report.html" ] || fail "no comparison report.html"
"$IAR" report "$TMP/nowhere" 2> "$TMP/err.txt" && fail "report of a missing folder succeeded"
grep -q "not an eval run folder" "$TMP/err.txt" || fail "unclear report error: $(cat "$TMP/err.txt")"

rm -rf "$TMP"
echo "ok"

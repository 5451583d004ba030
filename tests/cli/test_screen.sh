#!/bin/sh
# test_screen.sh — `iar screen`: five files of mixed formats and sizes (PNG, JPEG, non-square) judged
# in one command, --json valid JSON, model resolution (--model, $IAR_MODEL, one-line error), and
# --batch over a CSV, a folder of sets and an unlabelled JSONL, resumed after kill -9 with nothing
# lost or duplicated.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/screen-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img" "$TMP/mine"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# A tiny checkpoint trained in seconds (the verdicts are not the point; the plumbing is).
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
for i in 01 02 03 04 05 06 07 08; do
    printf '{"id":"s%s","dimension":"lighting","original":"img/o.png","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":["B"],"rationale":"<think>B casts its shadow toward the light.</think><answer>B</answer>"}\n' "$i"
done > "$TMP/d/data.jsonl"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/ck" --config tiny --steps 2 --batch 4 --val-fraction 0.2 \
    --threads 1 --peak-gflops 10 > "$TMP/train.txt" 2>&1 || { cat "$TMP/train.txt"; fail "tiny sft failed"; exit 1; }

# the user's own files: a JPEG, a non-square PNG, 1x1 PNGs, in a folder outside any dataset
echo "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAQABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDmtcsl8H/FXVtPgjENjLKLu0VYwiCKX5gqAcbVJZBj+5Xe/EnTT4o+Fcl1bFftuit/aCEgZaNVIlXJ6DaS3uYwKz/jrZm98LaD4ltlLSadP9muCiZ/dS42szdgrqFHvLWx8KNWiurZbe5VJYJUMckbjKupGCCO4IpKL5HHqtv0/T5juoyUls/+Gf6mJ8H9d/1Hz+lFcfpVq/g3x7qugM7lLK5KwtIwZmhOGjZiMDJRlJ4HJorWL5kmjJqzsf/Z" | base64 -d > "$TMP/mine/photo.jpg"
echo "iVBORw0KGgoAAAANSUhEUgAAABQAAAAMCAIAAADtbgqsAAAAHUlEQVQoU2Nk4JVSJxcw8VAARjWTGHijAUZigAEA4hQn3lyNYGgAAAAASUVORK5CYII=" | base64 -d > "$TMP/mine/wide.png"
for n in b c d; do cp "$TMP/d/img/$n.png" "$TMP/mine/$n.png"; done
M="$TMP/mine"

"$IAR" screen --help > "$TMP/help.txt" || fail "screen --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "screen --help has no example"
"$IAR" screen "$M/photo.jpg" "$M/wide.png" > /dev/null 2>"$TMP/err.txt" && fail "two images accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "wrong image count: not a one-line error"
"$IAR" screen "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/nope.png" --model "$TMP/ck" > /dev/null 2>"$TMP/err.txt" \
    && fail "a missing image was accepted"
grep -q "nope.png" "$TMP/err.txt" || fail "missing image error does not name the file"
IAR_MODEL= "$IAR" screen "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/d.png" > /dev/null 2>"$TMP/err.txt"
if [ ! -d "$(dirname "$IAR")/../models/iar-small" ]; then
    grep -q "IAR_MODEL" "$TMP/err.txt" || fail "no model: the error does not say how to get one"
    [ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "no model: not a one-line error"
fi
"$IAR" screen "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/d.png" --dimension shiny --model "$TMP/ck" \
    > /dev/null 2>&1 && fail "unknown dimension accepted"

# one set, all four dimensions, text; then --json (with --opt=value) through $IAR_MODEL
"$IAR" screen "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/d.png" --model "$TMP/ck" > "$TMP/out.txt" 2>"$TMP/err.txt" \
    || { cat "$TMP/err.txt"; fail "screen failed"; }
grep -q "^verdict: " "$TMP/out.txt" || fail "no verdict line"
[ "$(grep -c "flawed:" "$TMP/out.txt")" -eq 4 ] || fail "not one line per dimension"
IAR_MODEL="$TMP/ck" "$IAR" screen --json --dimension=lighting "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/d.png" \
    > "$TMP/out.json" 2>"$TMP/err.txt" || { cat "$TMP/err.txt"; fail "screen --json failed"; }
python3 - "$TMP/out.json" <<'PY' || fail "--json output is not the documented JSON"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert [r["dimension"] for r in o["results"]] == ["lighting"], o
assert isinstance(o["flawed"], list) and isinstance(o["seconds"], (int, float)), o
assert o["original"].endswith("photo.jpg") and len(o["candidates"]) == 4, o
PY

# --batch: a CSV (relative and absolute paths), a folder of sets, an unlabelled JSONL
printf 'id,original,a,b,c,d,dimension\nfirst,mine/photo.jpg,mine/wide.png,mine/b.png,mine/c.png,mine/d.png,lighting\nsecond,%s,mine/b.png,mine/c.png,mine/d.png,mine/wide.png,placement\n' "$M/photo.jpg" > "$TMP/sets.csv"
"$IAR" screen --batch "$TMP/sets.csv" --out "$TMP/run-csv" --model "$TMP/ck" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "batch csv failed"; }
[ "$(wc -l < "$TMP/run-csv/predictions.jsonl")" -eq 2 ] || fail "batch csv: not two predictions"
grep -q '"gold":null' "$TMP/run-csv/predictions.jsonl" || fail "batch csv: unlabelled predictions do not say gold null"
# --batch --json: one JSON summary, valid whatever the run folder's name holds
"$IAR" screen --batch "$TMP/sets.csv" --out "$TMP/run \"quoted\" \\ folder" --model "$TMP/ck" --json > "$TMP/out.json" 2>"$TMP/err.txt" \
    || { cat "$TMP/err.txt"; fail "batch --json failed"; }
python3 - "$TMP/out.json" "$TMP/run \"quoted\" \\ folder" <<'PY' || fail "batch --json summary is not valid JSON naming the run"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["run"] == sys.argv[2] and o["predictions"] == sys.argv[2] + "/predictions.jsonl", o
assert o["selected"] == 2 and o["screened"] == 2 and o["failed"] == 0, o
PY
mkdir -p "$TMP/sets/one" "$TMP/sets/two"
for s in one two; do cp "$M/photo.jpg" "$TMP/sets/$s/original.jpg"; for n in a b c d; do cp "$M/b.png" "$TMP/sets/$s/$n.png"; done; done
"$IAR" screen --batch "$TMP/sets" --out "$TMP/run-dir" --model "$TMP/ck" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "batch folder failed"; }
[ "$(wc -l < "$TMP/run-dir/predictions.jsonl")" -eq 8 ] || fail "batch folder: not 2 sets x 4 dimensions"
grep -q '"id":"one:lighting"' "$TMP/run-dir/predictions.jsonl" || fail "batch folder: ids are not SET:dimension"
sed 's/,"answer":\["B"\]//' "$TMP/d/data.jsonl" > "$TMP/d/unlabelled.jsonl"
"$IAR" check "$TMP/d/unlabelled.jsonl" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "iar check refuses an unlabelled dataset"; }
"$IAR" screen --batch "$TMP/d/unlabelled.jsonl" --out "$TMP/run-jsonl" --model "$TMP/ck" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "batch jsonl failed"; }
[ "$(wc -l < "$TMP/run-jsonl/predictions.jsonl")" -eq 8 ] || fail "batch jsonl: not 8 predictions"
"$IAR" train sft --data "$TMP/d/unlabelled.jsonl" --out "$TMP/ck2" --config tiny --steps 1 > /dev/null 2>"$TMP/err.txt" \
    && fail "training accepted an unlabelled dataset"
grep -q "answer" "$TMP/err.txt" || fail "unlabelled training error does not name the missing answer"

# `iar eval --model native` is the same default model (here through $IAR_MODEL), with --opt=value
IAR_MODEL="$TMP/ck" "$IAR" eval --data="$TMP/d/data.jsonl" --model=native --out="$TMP/run-eval" --limit=2 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "eval --model native failed"; }
grep -q "\"model\":[[:space:]]*\"native:$TMP/ck\"" "$TMP/run-eval/run.json" || fail "eval --model native did not use \$IAR_MODEL"
"$IAR" eval --data "$TMP/d/data.jsonl" --model random --frobnicate > /dev/null 2>"$TMP/err.txt" && fail "eval: unknown option accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] && grep -q -- "--frobnicate" "$TMP/err.txt" || fail "eval: unknown option error: $(cat "$TMP/err.txt")"
"$IAR" screen --json=yes "$M/photo.jpg" "$M/wide.png" "$M/b.png" "$M/c.png" "$M/d.png" > /dev/null 2>"$TMP/err.txt" \
    && fail "a flag with a value was accepted"
"$IAR" report "$TMP/run-eval" --resamples=abc > /dev/null 2>"$TMP/err.txt" && fail "report --resamples=abc accepted"
grep -q -- "--resamples" "$TMP/err.txt" || fail "report: a bad value's error does not name the option"

# `iar plot` draws curves from a run's train_log.jsonl, titled by the kind of run
"$IAR" plot "$TMP/curve.svg" "$TMP/ck=tiny" --field=loss > /dev/null 2>"$TMP/err.txt" || { cat "$TMP/err.txt"; fail "iar plot failed"; }
grep -q "<svg" "$TMP/curve.svg" && grep -q "tiny" "$TMP/curve.svg" || fail "iar plot: no SVG with the run's label"
grep -q ">SFT: " "$TMP/curve.svg" || fail "iar plot: an SFT run's chart is not titled SFT"
"$IAR" train grpo --curve x.svg "$TMP/ck" > /dev/null 2>"$TMP/err.txt" && fail "train grpo --curve still accepted"
grep -q "iar plot" "$TMP/err.txt" || fail "train grpo --curve does not point to iar plot"

# training stages share the grammar and the names: --opt=value, --clip/--val-samples/--cache-dir
# for sft and grpo alike (grpo's older --grad-clip still works)
"$IAR" train grpo --data="$TMP/d/data.jsonl" --init="$TMP/ck" --out="$TMP/grpo" --steps=1 --group=2 \
    --prompts-per-step=1 --clip=0.5 --val-samples=0 --cache-dir="$TMP/cache" --threads=1 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "train grpo with --opt=value and the shared names failed"; }
"$IAR" train grpo --data "$TMP/d/data.jsonl" --init "$TMP/ck" --out "$TMP/grpo2" --steps 1 --group 2 \
    --prompts-per-step 1 --grad-clip 0.5 --threads 1 > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "grpo --grad-clip alias"; }
"$IAR" train sft --data="$TMP/d/data.jsonl" --out="$TMP/ck2b" --config=tiny --steps=1 --batch=2 --clip=0.5 \
    --val-samples=0 --cache-dir="$TMP/cache2" --threads=1 --peak-gflops=10 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "train sft with --opt=value failed"; }

# `iar report` draws the training curves behind the runs it compares: the native model folder an
# eval run names in run.json (SFT), or a train_log.jsonl in the run folder itself (GRPO here)
cp -r "$TMP/run-eval" "$TMP/run-eval-grpo" && cp "$TMP/grpo/train_log.jsonl" "$TMP/run-eval-grpo/"
"$IAR" report "$TMP/run-eval" "$TMP/run-eval-grpo" -o "$TMP/report" --thumbnail 0 > "$TMP/out.txt" 2>&1 \
    || { cat "$TMP/out.txt"; fail "report failed"; }
for kind in sft grpo; do
    [ -f "$TMP/report/curves-$kind.svg" ] || fail "report: no curves-$kind.svg"
    grep -q "](curves-$kind.svg)" "$TMP/report/report.md" || fail "report.md does not link curves-$kind.svg"
done
grep -q '>SFT: training and validation<' "$TMP/report/report.html" || fail "report.html does not inline the SFT curves"
grep -q '>GRPO: rollouts and validation<' "$TMP/report/report.html" || fail "report.html does not inline the GRPO curves"
grep -q '<h2>By what the data knows</h2>' "$TMP/report/report.html" || fail "report.html has no breakdown by what the data knows"

# resumable: 100 sets, killed with SIGKILL part way, re-run: each id exactly once
printf 'id,original,a,b,c,d,dimension\n' > "$TMP/many.csv"
i=0; while [ $i -lt 100 ]; do printf 's%03d,mine/photo.jpg,mine/wide.png,mine/b.png,mine/c.png,mine/d.png,extension\n' $i >> "$TMP/many.csv"; i=$((i+1)); done
"$IAR" screen --batch "$TMP/many.csv" --out "$TMP/run-many" --model "$TMP/ck" > /dev/null 2>&1 &
pid=$!
n=0; while [ $n -lt 500 ]; do # kill as soon as a few sets are done: the rest must be left to resume
    [ -f "$TMP/run-many/predictions.jsonl" ] && [ "$(wc -l < "$TMP/run-many/predictions.jsonl")" -ge 3 ] && break
    sleep 0.02; n=$((n+1))
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
# the kill must have cut the run short, or the resume below proves nothing
killed_at=$(wc -l < "$TMP/run-many/predictions.jsonl" 2>/dev/null || echo 0)
[ "$killed_at" -lt 100 ] || fail "kill -9 came after all 100 sets were screened: the resume was not exercised"
"$IAR" screen --batch "$TMP/many.csv" --out "$TMP/run-many" --model "$TMP/ck" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "batch resume failed"; }
python3 - "$TMP/run-many/predictions.jsonl" <<'PY' || fail "batch resume lost or duplicated ids"
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1], encoding="utf-8")]
assert len(ids) == 100 and len(set(ids)) == 100, (len(ids), len(set(ids)))
PY

[ $fails -eq 0 ] && rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

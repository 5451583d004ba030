#!/bin/sh
# test_import.sh — `iar import` end to end: --help with an example, a folder of set folders + a
# labels CSV into a dataset that `iar check` accepts and `iar eval` scores, --copy, and one-line
# errors (naming the labels file and line) that write nothing.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/import-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$IAR" import --help > "$TMP/help.txt" || fail "import --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "import --help has no example"
"$IAR" --help | grep -q "^  import " || fail "iar --help does not list import"

# two generated samples laid out as the user's own folders: shots/<set>/original.png, a.png ... d.png
"$IAR" synth --out "$TMP/syn" --n 2 --size 64 --style render --threads 1 > /dev/null 2>&1 || fail "synth failed"
for i in 0 1; do
    mkdir -p "$TMP/shots/set$i"
    cp "$TMP/syn/img/s00000${i}_o.png" "$TMP/shots/set$i/original.png"
    for c in a b c d; do cp "$TMP/syn/img/s00000${i}_$c.png" "$TMP/shots/set$i/$c.png"; done
done
printf 'id,dimension,flawed\nset0,lighting,"B, D"\nset1,placement,none\nset1,extension,c\n' > "$TMP/shots/labels.csv"
"$IAR" import "$TMP/shots" --labels "$TMP/shots/labels.csv" -o "$TMP/shots/data.jsonl" 2> "$TMP/err.txt" \
    || { cat "$TMP/err.txt"; fail "import failed"; }
grep -q "wrote 3 samples from 2 sets" "$TMP/err.txt" || fail "import did not report what it wrote"
"$IAR" check "$TMP/shots/data.jsonl" > "$TMP/check.txt" 2>&1 || { cat "$TMP/check.txt"; fail "iar check refused the import"; }
grep -q '"id":"set1:extension","dimension":"extension".*"answer":\["C"\]' "$TMP/shots/data.jsonl" || fail "set1:extension wrong"
grep -q '"id":"set0","dimension":"lighting".*"answer":\["B","D"\]' "$TMP/shots/data.jsonl" || fail "set0 wrong"
"$IAR" eval --data "$TMP/shots/data.jsonl" --model all --out "$TMP/run" > /dev/null 2>&1 || fail "eval on the import failed"
[ "$(wc -l < "$TMP/run/predictions.jsonl")" -eq 3 ] || fail "eval did not score 3 samples"

# --copy makes a dataset that stands alone; without it, images outside the output's folder are refused
"$IAR" import "$TMP/shots" --labels "$TMP/shots/labels.csv" -o "$TMP/alone/data.jsonl" 2> "$TMP/err.txt" \
    && fail "images outside the output's folder accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] && grep -q -- "--copy" "$TMP/err.txt" || fail "outside images: not a one-line error naming --copy"
[ -e "$TMP/alone/data.jsonl" ] && fail "a refused import wrote its output"
"$IAR" import "$TMP/shots" --labels "$TMP/shots/labels.csv" -o "$TMP/alone/data.jsonl" --copy 2> /dev/null || fail "--copy failed"
mv "$TMP/shots" "$TMP/gone"
"$IAR" check "$TMP/alone/data.jsonl" > /dev/null 2>&1 || fail "the copied dataset does not stand alone"
mv "$TMP/gone" "$TMP/shots"

# bad input: one line naming the file and line, non-zero exit, nothing written
printf 'id,dimension,flawed\nset0,lighting,B\nset9,lighting,A\n' > "$TMP/bad.csv"
"$IAR" import "$TMP/shots" --labels "$TMP/bad.csv" -o "$TMP/shots/bad.jsonl" 2> "$TMP/err.txt" && fail "unknown set accepted"
grep -q "bad.csv:3: no image set 'set9'" "$TMP/err.txt" || fail "unknown set: message lacks file:line ($(cat "$TMP/err.txt"))"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "unknown set: not one line"
[ -e "$TMP/shots/bad.jsonl" ] && fail "a failed import wrote its output"
printf 'id,dimension,flawed\nset0,lighting,BE\n' > "$TMP/bad.csv"
"$IAR" import "$TMP/shots" --labels "$TMP/bad.csv" -o "$TMP/shots/bad.jsonl" 2> "$TMP/err.txt" && fail "letter E accepted"
grep -q "bad.csv:2: unknown letter 'E'" "$TMP/err.txt" || fail "bad letter: message lacks file:line"
"$IAR" import "$TMP/shots" -o "$TMP/x.jsonl" --dimension shiny 2> "$TMP/err.txt" && fail "unknown --dimension accepted"
"$IAR" import "$TMP/shots" --labels "$TMP/shots/labels.csv" 2> "$TMP/err.txt" && fail "no -o accepted"
[ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "no -o: not a one-line error"
"$IAR" import "$TMP/nowhere" --labels "$TMP/shots/labels.csv" -o "$TMP/x.jsonl" 2> "$TMP/err.txt" && fail "missing sets accepted"
grep -q "nowhere" "$TMP/err.txt" || fail "missing sets: message does not name the path"

rm -rf "$TMP"
[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "import cli: all passed"

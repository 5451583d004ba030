#!/bin/sh
# test_synth.sh — `iar synth` and `iar show` from the command line: help with an example, one-line
# errors and non-zero exits on bad input, a small benchmark that `iar check` accepts, the same
# bytes at 1 and 2 threads, and contact sheets (one sample, a grid) that decode as PNGs.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/synth-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

for cmd in synth show; do
    "$IAR" $cmd --help > "$TMP/help.txt" 2>&1 || fail "$cmd --help exited non-zero"
    grep -q "example" "$TMP/help.txt" || fail "$cmd --help has no example"
done

# Bad input: non-zero exit and exactly one line on stderr.
expect_error() { # description, then the command
    what=$1; shift
    if "$@" > "$TMP/out.txt" 2> "$TMP/err.txt"; then fail "$what: exit 0"; fi
    [ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || { cat "$TMP/err.txt"; fail "$what: not a one-line error"; }
}
expect_error "missing --out" "$IAR" synth --n 2
expect_error "missing --n" "$IAR" synth --out "$TMP/x"
expect_error "zero samples" "$IAR" synth --out "$TMP/x" --n 0
expect_error "size too small" "$IAR" synth --out "$TMP/x" --n 1 --size 32
expect_error "unknown dimension" "$IAR" synth --out "$TMP/x" --n 1 --dims lighting,colour
expect_error "unknown difficulty" "$IAR" synth --out "$TMP/x" --n 1 --difficulty brutal
expect_error "unknown option" "$IAR" synth --out "$TMP/x" --n 1 --colour red
expect_error "unwritable folder" "$IAR" synth --out /proc/iar-no --n 1 --size 64

# Styles: photo without photographs is a one-line error that says how to fetch them; mix without
# them warns and renders drawn scenes; an unknown style is refused.
expect_error "unknown style" "$IAR" synth --out "$TMP/x" --n 1 --style painting
expect_error "photo without photographs" "$IAR" synth --out "$TMP/x" --n 1 --size 64 --style photo --photos "$TMP/none"
grep -q "fetch_photos" "$TMP/err.txt" || fail "photo error does not say how to fetch"
"$IAR" synth --out "$TMP/mix" --n 2 --size 64 --style mix --photos "$TMP/none" > /dev/null 2> "$TMP/err.txt" || fail "mix without photographs failed"
grep -q "warning: .*fetch_photos" "$TMP/err.txt" || fail "mix without photographs did not warn"
grep -q "style render" "$TMP/err.txt" || fail "mix without photographs did not fall back to render"

# A small benchmark, twice, with 1 and 2 threads: identical bytes, valid for `iar check`.
"$IAR" synth --out "$TMP/one" --n 6 --size 64 --seed 3 --threads 1 2> "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "synth failed"; }
"$IAR" synth --out "$TMP/two" --n 6 --size 64 --seed 3 --threads 2 2> "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "synth failed"; }
grep -q "wrote 6 samples" "$TMP/err.txt" || fail "no summary line"
[ "$(wc -l < "$TMP/one/data.jsonl")" -eq 6 ] || fail "data.jsonl does not hold 6 lines"
[ "$(ls "$TMP/one/img" | wc -l)" -eq 30 ] || fail "expected 30 images"
diff -r "$TMP/one" "$TMP/two" > /dev/null || fail "1 and 2 threads differ"
"$IAR" check "$TMP/one/data.jsonl" > "$TMP/check.txt" 2>&1 || { cat "$TMP/check.txt"; fail "iar check rejects the benchmark"; }
"$IAR" synth --out "$TMP/dims" --n 4 --size 64 --dims placement --difficulty hard 2>/dev/null || fail "synth --dims failed"
[ "$(grep -c '"dimension":"placement"' "$TMP/dims/data.jsonl")" -eq 4 ] || fail "--dims placement not honoured"
grep -q '"difficulty":"hard"' "$TMP/dims/data.jsonl" || fail "--difficulty hard not in meta"

# Contact sheets.
"$IAR" show "$TMP/one/data.jsonl" --id s000002 -o "$TMP/sheet.png" 2> "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "show --id failed"; }
head -c 8 "$TMP/sheet.png" | od -An -c | grep -q "P   N   G" || fail "sheet is not a PNG"
"$IAR" show "$TMP/one/data.jsonl" --grid 6 --tile 48 -o "$TMP/grid.png" 2>/dev/null || fail "show --grid failed"
[ -s "$TMP/grid.png" ] || fail "grid sheet missing"
expect_error "unknown id" "$IAR" show "$TMP/one/data.jsonl" --id nope -o "$TMP/x.png"
expect_error "no output" "$IAR" show "$TMP/one/data.jsonl" --id s000001
expect_error "missing dataset" "$IAR" show "$TMP/none.jsonl" --id s000001 -o "$TMP/x.png"
rm "$TMP/one/img/s000001_b".* # .png (drawn) or .jpg (photo style)
expect_error "missing image" "$IAR" show "$TMP/one/data.jsonl" --id s000001 -o "$TMP/x.png"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok: synth and show" || echo "$fails failure(s)"
[ $fails -eq 0 ]

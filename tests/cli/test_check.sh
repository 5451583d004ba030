#!/bin/sh
# test_check.sh — `iar check` and `iar convert` from the command line: help with an example, every
# problem listed as FILE:LINE: with a non-zero exit, statistics of a valid file, one-line errors for
# bad usage, and a messages round trip that changes nothing.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/check-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# A tiny valid 1x1 PNG and 1x1 JPEG, and a truncated PNG.
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
head -c 30 "$TMP/d/img/a.png" > "$TMP/d/img/short.png"
line() { # id dimension answer [original]
    printf '{"id":"%s","dimension":"%s","original":"%s","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":%s}\n' \
        "$1" "$2" "${4:-img/o.png}" "$3"
}
{ line s1 lighting '["B","D"]'; line s2 placement '["A"]'; line s3 extension '["A","B","C"]'; } > "$TMP/d/data.jsonl"

# --help: exit 0, usage and an example.
"$IAR" check --help > "$TMP/help.txt" 2>&1 || fail "check --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "check --help has no example"
"$IAR" convert --help > "$TMP/help.txt" 2>&1 || fail "convert --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "convert --help has no example"

# A valid file: exit 0 and the statistics.
"$IAR" check "$TMP/d/data.jsonl" > "$TMP/out.txt" 2>"$TMP/err.txt" || { cat "$TMP/out.txt" "$TMP/err.txt"; fail "valid file rejected"; }
grep -q "valid, 3 samples" "$TMP/out.txt" || fail "no sample count"
grep -q "random-guess exact score: 6.67" "$TMP/out.txt" || fail "wrong random-guess score"
grep -q "width 1..1, height 1..1" "$TMP/out.txt" || fail "no image sizes"
"$IAR" check --json "$TMP/d/data.jsonl" > "$TMP/out.json" 2>/dev/null || fail "check --json failed"
grep -q '"answer_size_histogram":\[0,1,1,1,0\]' "$TMP/out.json" || fail "--json histogram"
python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); assert o["samples"] == 3 and abs(o["random_exact"] - 1 / 15) < 1e-6, o' \
    "$TMP/out.json" || fail "check --json is not the documented JSON"

# An invalid file: every problem, with its line, and a non-zero exit.
{ line s1 lighting '["B","B"]'; line s2 light '["A"]'; echo '{oops'; line s1 placement '["A"]' img/short.png; line s5 lighting '["A"]' /etc/passwd; } > "$TMP/d/bad.jsonl"
"$IAR" check "$TMP/d/bad.jsonl" > "$TMP/out.txt" 2>"$TMP/err.txt" && fail "invalid file accepted"
for expected in \
    "bad.jsonl:1: answer has repeated letter 'B'" \
    "bad.jsonl:2: unknown dimension 'light'" \
    "bad.jsonl:3: bad JSON" \
    "bad.jsonl:4: duplicate id 's1' (first on line 1)" \
    "bad.jsonl:4: original image 'img/short.png' does not decode" \
    "bad.jsonl:5: original '/etc/passwd' is absolute"; do
    grep -qF "$expected" "$TMP/out.txt" || fail "missing: $expected"
done
[ "$(wc -l < "$TMP/out.txt")" -eq 6 ] || fail "expected exactly 6 problems, got $(wc -l < "$TMP/out.txt")"
grep -q "6 problems on 5 lines" "$TMP/err.txt" || fail "no summary line"
# --no-images skips decoding: the truncated image is no longer a problem.
"$IAR" check --no-images "$TMP/d/bad.jsonl" > "$TMP/out.txt" 2>/dev/null
grep -q "does not decode" "$TMP/out.txt" && fail "--no-images decoded images"

# Bad usage: one line on stderr, non-zero exit.
for args in "" "--bogus $TMP/d/data.jsonl" "$TMP/missing.jsonl" "$TMP/d/data.jsonl $TMP/d/bad.jsonl"; do
    # shellcheck disable=SC2086
    "$IAR" check $args > /dev/null 2>"$TMP/err.txt" && fail "check $args succeeded"
    [ "$(wc -l < "$TMP/err.txt")" -eq 1 ] || fail "check $args: not a one-line error: $(cat "$TMP/err.txt")"
done

# convert: to messages and back gives the same dataset; the second export is byte-identical.
mkdir -p "$TMP/d/out"
"$IAR" convert "$TMP/d/data.jsonl" --to messages -o "$TMP/d/out/m.jsonl" 2>/dev/null || fail "convert --to failed"
grep -q '"images":\["../img/o.png"' "$TMP/d/out/m.jsonl" || fail "image paths not relative to the output folder"
grep -q '<image><image><image><image><image>' "$TMP/d/out/m.jsonl" || fail "no image placeholders"
"$IAR" convert "$TMP/d/out/m.jsonl" --from messages -o "$TMP/d/back.jsonl" 2>/dev/null || fail "convert --from failed"
"$IAR" check "$TMP/d/back.jsonl" > /dev/null 2>&1 || fail "round-trip file is not valid"
cmp -s "$TMP/d/data.jsonl" "$TMP/d/back.jsonl" || fail "round trip changed the dataset"
"$IAR" convert "$TMP/d/back.jsonl" --to messages -o "$TMP/d/out/m2.jsonl" 2>/dev/null || fail "second export failed"
cmp -s "$TMP/d/out/m.jsonl" "$TMP/d/out/m2.jsonl" || fail "round trip changed the conversations"
"$IAR" convert "$TMP/d/bad.jsonl" --to messages -o "$TMP/d/out/x.jsonl" 2>"$TMP/err.txt" && fail "converted an invalid file"
grep -q "bad.jsonl:1: answer has repeated letter" "$TMP/err.txt" || fail "convert error lacks file:line"
[ -e "$TMP/d/out/x.jsonl" ] && fail "convert left a partial output"
"$IAR" convert "$TMP/d/data.jsonl" --to csv -o "$TMP/x" 2>/dev/null && fail "accepted an unknown format"
"$IAR" convert "$TMP/d/data.jsonl" -o "$TMP/x" 2>/dev/null && fail "accepted no direction"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

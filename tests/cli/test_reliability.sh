#!/bin/sh
# test_reliability.sh — the promises of docs/RELIABILITY.md that need the binary: a dataset piped
# into `iar check /dev/stdin` is read exactly, a FIFO where an image should be never hangs `iar eval`
# (nor its HTML thumbnails), a symbolic link out of the dataset folder is refused unless
# --allow-outside, two evals on one --out never write an id twice, and the exit status stays non-zero
# while failed requests remain.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/reliability-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img" "$TMP/elsewhere"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
# Every command runs under a watchdog: a hang is a failure, not a stuck suite.
run() { timeout 300 "$@"; }

PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
line() { # id original
    printf '{"id":"%s","dimension":"lighting","original":"%s","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":["B"]}\n' "$1" "$2"
}
i=0
while [ $i -lt 40 ]; do line "r$i" img/o.png; i=$((i + 1)); done > "$TMP/d/data.jsonl"

# A dataset read from a pipe: every byte arrives (the first line's "{" included).
(cd "$TMP/d" && cat data.jsonl | run "$IAR" check /dev/stdin) > "$TMP/out.txt" 2>&1 || fail "piped dataset refused: $(cat "$TMP/out.txt")"
grep -q "valid, 40 samples" "$TMP/out.txt" || fail "piped dataset not read exactly: $(cat "$TMP/out.txt")"

# A FIFO as an image: eval ends (the thumbnailer refuses it) and the report is written.
mkfifo "$TMP/d/img/fifo.png"
{ line f1 img/fifo.png; line f2 img/o.png; } > "$TMP/d/fifo.jsonl"
run "$IAR" eval --data "$TMP/d/fifo.jsonl" --model random --out "$TMP/fifo-run" > "$TMP/out.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "eval with a FIFO image: exit $rc: $(tail -3 "$TMP/out.txt")"
[ -s "$TMP/fifo-run/report.html" ] || fail "no report.html beside a FIFO image"
run "$IAR" check "$TMP/d/fifo.jsonl" > "$TMP/out.txt" 2>&1 && fail "check accepted a FIFO image"
grep -q "fifo.jsonl:1: original image 'img/fifo.png' is not a regular file" "$TMP/out.txt" || fail "FIFO not named: $(cat "$TMP/out.txt")"

# A symbolic link out of the dataset folder: refused by check and eval unless --allow-outside.
echo "$PNG" | base64 -d > "$TMP/elsewhere/x.png"
ln -s "$TMP/elsewhere/x.png" "$TMP/d/img/link.png"
ln -s ../img/o.png "$TMP/d/img/inside.png" # a link that stays inside is fine
{ line l1 img/link.png; line l2 img/inside.png; } > "$TMP/d/link.jsonl"
run "$IAR" check "$TMP/d/link.jsonl" > "$TMP/out.txt" 2>&1 && fail "check followed a link out of the dataset folder"
grep -q "link.jsonl:1: original image 'img/link.png' leads outside the dataset folder" "$TMP/out.txt" || fail "outside link not named: $(cat "$TMP/out.txt")"
grep -q "link.jsonl:2" "$TMP/out.txt" && fail "a link inside the folder was refused"
run "$IAR" check --allow-outside "$TMP/d/link.jsonl" > "$TMP/out.txt" 2>&1 || fail "--allow-outside refused: $(cat "$TMP/out.txt")"
run "$IAR" eval --data "$TMP/d/link.jsonl" --model openai:m@http://127.0.0.1:1/v1 --retries 0 --no-cache --out "$TMP/link-run" > /dev/null 2>&1
grep -q '"id":"l1".*leads outside the dataset folder' "$TMP/link-run/predictions.jsonl" || fail "eval sent an image from outside the folder"

# Two evals on one --out at the same time: each id once; a refused one says why in one line.
run "$IAR" eval --data "$TMP/d/data.jsonl" --model random --out "$TMP/both" > "$TMP/one.txt" 2> "$TMP/one.err" &
p1=$!
run "$IAR" eval --data "$TMP/d/data.jsonl" --model random --out "$TMP/both" > "$TMP/two.txt" 2> "$TMP/two.err" &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
[ $rc1 -eq 0 ] || [ $rc2 -eq 0 ] || fail "neither eval finished: $(cat "$TMP/one.err" "$TMP/two.err")"
for n in one two; do
    # (stderr also carries the progress line of a run that went ahead)
    if grep -q "^iar:" "$TMP/$n.err"; then
        grep -q "^iar: .*another \`iar eval\`" "$TMP/$n.err" || fail "unexpected error: $(cat "$TMP/$n.err")"
        [ "$(grep -c "^iar:" "$TMP/$n.err")" -eq 1 ] || fail "refusal is not one line: $(cat "$TMP/$n.err")"
    fi
done
[ "$(wc -l < "$TMP/both/predictions.jsonl")" -eq 40 ] || fail "concurrent evals wrote $(wc -l < "$TMP/both/predictions.jsonl") lines for 40 samples"
[ "$(grep -o '"id":"[^"]*"' "$TMP/both/predictions.jsonl" | sort -u | wc -l)" -eq 40 ] || fail "an id is missing or doubled"

# Failed requests: exit 3 while they remain; a re-run asks again instead of skipping them.
run "$IAR" eval --data "$TMP/d/data.jsonl" --model openai:m@http://127.0.0.1:1/v1 --retries 0 --limit 3 --no-cache --out "$TMP/down" > /dev/null 2> "$TMP/err.txt"
rc=$?
[ $rc -eq 3 ] || fail "eval with every request failed exited $rc"
grep -q "3 requests failed (3 will be asked again" "$TMP/err.txt" || fail "no count of failures: $(cat "$TMP/err.txt")"
run "$IAR" eval --data "$TMP/d/data.jsonl" --model openai:m@http://127.0.0.1:1/v1 --retries 0 --limit 3 --no-cache --out "$TMP/down" > "$TMP/out.txt" 2>&1
rc=$?
[ $rc -eq 3 ] || fail "re-run with failures left exited $rc"
grep -q "3 evaluated now, 0 already done" "$TMP/out.txt" || fail "re-run skipped the failed ids: $(cat "$TMP/out.txt")"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo ok
[ $fails -eq 0 ]

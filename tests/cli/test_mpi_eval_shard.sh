#!/bin/sh
# test_mpi_eval_shard.sh — tools/eval_shard.sh: a dataset evaluated in 3 shards and merged gives the
# same predictions (as a set of lines) and the same summary as one unsharded run, also with one
# shard per MPI rank (--mpi); bad options fail.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/eval-shard-$$
rm -rf "$TMP"; mkdir -p "$TMP/img"
fail() { echo "FAIL: $*"; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC' | base64 -d > "$TMP/img/p.png"
i=0
while [ $i -lt 20 ]; do
    case $((i % 4)) in 0) d=deformation;; 1) d=lighting;; 2) d=placement;; *) d=extension;; esac
    case $((i % 3)) in 0) a='["B"]';; 1) a='["A","C"]';; *) a='["B","C","D"]';; esac
    printf '{"id":"s%03d","dimension":"%s","original":"img/p.png","candidates":["img/p.png","img/p.png","img/p.png","img/p.png"],"answer":%s}\n' $i $d "$a"
    i=$((i + 1))
done > "$TMP/data.jsonl"
export IAR="$IAR"
"$ROOT/tools/eval_shard.sh" --help | grep -q example || fail "--help has no example"
"$ROOT/tools/eval_shard.sh" --data "$TMP/data.jsonl" --out "$TMP/x" 2>/dev/null && fail "no --model accepted"
"$ROOT/tools/eval_shard.sh" --data "$TMP/data.jsonl" --out "$TMP/x" --model random --shards 0 2>/dev/null && fail "--shards 0 accepted"
# the seeded random baseline: a per-sample guess, so sharding must not change any line
"$IAR" eval --data "$TMP/data.jsonl" --model random --seed 3 --out "$TMP/one" > /dev/null 2>&1 || fail "unsharded eval failed"
"$ROOT/tools/eval_shard.sh" --data "$TMP/data.jsonl" --out "$TMP/sharded" --shards 3 --model random -- --seed 3 \
    > "$TMP/sharded.txt" 2>&1 || { cat "$TMP/sharded.txt"; fail "sharded eval failed"; }
for k in 0 1 2; do [ -s "$TMP/sharded/shards/$k/predictions.jsonl" ] || fail "shard $k wrote no predictions"; done
[ "$(wc -l < "$TMP/sharded/predictions.jsonl")" -eq 20 ] || fail "merged run does not hold 20 lines"
# compare the lines without the timing fields
strip() { sed 's/"latency[^,}]*[,]\{0,1\}//g' "$1" | sort; }
strip "$TMP/one/predictions.jsonl" > "$TMP/a.txt"; strip "$TMP/sharded/predictions.jsonl" > "$TMP/b.txt"
cmp -s "$TMP/a.txt" "$TMP/b.txt" || { diff "$TMP/a.txt" "$TMP/b.txt" | head -5; fail "sharded predictions differ from the unsharded run"; }
for f in summary.json report.md report.html; do [ -s "$TMP/sharded/$f" ] || fail "merged run has no $f"; done
# every score of the summary (timing lines aside) as in the unsharded run
grep -v -e latency -e seconds "$TMP/one/summary.json" > "$TMP/s1.txt"
grep -v -e latency -e seconds "$TMP/sharded/summary.json" > "$TMP/s2.txt"
cmp -s "$TMP/s1.txt" "$TMP/s2.txt" || { diff "$TMP/s1.txt" "$TMP/s2.txt" | head -5; fail "summaries differ"; }
# re-running resumes: nothing is evaluated again, the merged file keeps 20 lines
"$ROOT/tools/eval_shard.sh" --data "$TMP/data.jsonl" --out "$TMP/sharded" --shards 3 --model random -- --seed 3 > /dev/null 2>&1 \
    || fail "re-run failed"
[ "$(wc -l < "$TMP/sharded/predictions.jsonl")" -eq 20 ] || fail "re-run changed the merged lines"
# one shard per MPI rank, merged by rank 0
if command -v mpirun >/dev/null 2>&1; then
    timeout 120 mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 -x IAR \
        "$ROOT/tools/eval_shard.sh" --mpi --data "$TMP/data.jsonl" --out "$TMP/ranks" --model random -- --seed 3 \
        > "$TMP/ranks.txt" 2>&1 || { cat "$TMP/ranks.txt"; fail "eval_shard.sh --mpi failed"; }
    strip "$TMP/ranks/predictions.jsonl" > "$TMP/c.txt"
    cmp -s "$TMP/a.txt" "$TMP/c.txt" || fail "--mpi predictions differ from the unsharded run"
    [ -s "$TMP/ranks/shards/1/predictions.jsonl" ] || fail "rank 1 evaluated no shard"
fi
[ -n "${KEEP:-}" ] || rm -rf "$TMP"
echo "ok: 3 shards merged into one run, identical to the unsharded run"

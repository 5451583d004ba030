#!/bin/sh
# eval_shard.sh — `iar eval` sharded across processes or endpoints, merged into one run folder.
#   tools/eval_shard.sh --data DATA.jsonl --out RUN --shards N --model SPEC [--model SPEC2 …] [-- EVAL OPTIONS]
# Splits the dataset's ids into N contiguous shards, runs one `iar eval --ids SHARD` per shard in
# parallel (shard k uses the k-th --model, cycling: several endpoints serving the same model), each
# into RUN/shards/k (each resumable on its own), then merges: every shard's predictions.jsonl into
# RUN/predictions.jsonl and one `iar eval` over the whole dataset with the first --model, which finds
# every id done, skips them all, and writes summary.json and the reports. Re-running resumes.
# With --mpi, under `mpirun -np N tools/eval_shard.sh --mpi …` (one machine or several sharing the
# RUN folder), rank k evaluates shard k of N; rank 0 waits for every shard's done-marker, then merges.
# IAR (default build/iar) names the binary.
set -eu
IAR=${IAR:-build/iar}
data= out= shards=2 models= mpi=0
while [ $# -gt 0 ]; do
    case "$1" in
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --model) models="$models $2"; shift 2 ;;
    --mpi) mpi=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        echo "example: tools/eval_shard.sh --data bench1/data.jsonl --out runs/qwen --shards 2 --model openai:qwen@http://a:8000/v1 --model openai:qwen@http://b:8000/v1"; exit 0 ;;
    *) echo "eval_shard.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$data" ] && [ -n "$out" ] && [ -n "$models" ] || { echo "eval_shard.sh: needs --data, --out and --model" >&2; exit 2; }
[ -f "$data" ] || { echo "eval_shard.sh: $data: no such file" >&2; exit 2; }
case "$shards" in ''|*[!0-9]*|0) echo "eval_shard.sh: --shards must be a positive integer" >&2; exit 2 ;; esac
rank=0
if [ $mpi -eq 1 ]; then
    shards=${OMPI_COMM_WORLD_SIZE:-${PMI_SIZE:-}}; rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-}}
    [ -n "$shards" ] && [ -n "$rank" ] || { echo "eval_shard.sh: --mpi needs to run under mpirun" >&2; exit 2; }
fi
mkdir -p "$out/shards"
# ids in file order: the "id" member of each line (JSON escapes are not expected in ids)
ids="$out/shards/ids.rank$rank.txt" # one file per rank: ranks may run this at the same time
sed -n 's/.*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$data" > "$ids"
total=$(wc -l < "$ids")
[ "$total" -gt 0 ] || { echo "eval_shard.sh: $data has no ids" >&2; exit 2; }
set -- "$@" # the options passed through to every `iar eval`
k=0; pids=
first_shard=0; last_shard=$((shards - 1))
[ $mpi -eq 1 ] && first_shard=$rank && last_shard=$rank
for k in $(seq $first_shard $last_shard); do
    rm -f "$out/shards/$k.done"
    # contiguous shards, the first (total % shards) one id longer (as distributed_slice)
    base=$((total / shards)); extra=$((total % shards))
    begin=$((k * base + (k < extra ? k : extra))); count=$((base + (k < extra ? 1 : 0)))
    sed -n "$((begin + 1)),$((begin + count))p" "$ids" > "$out/shards/ids_$k.txt"
    [ "$count" -gt 0 ] || continue
    n=$(echo $models | wc -w); model=$(echo $models | cut -d' ' -f$((k % n + 1)))
    "$IAR" eval --data "$data" --model "$model" --ids "$out/shards/ids_$k.txt" --out "$out/shards/$k" "$@" \
        > "$out/shards/$k.log" 2>&1 &
    pids="$pids $!"
done
failed=0
for pid in $pids; do wait "$pid" || failed=1; done
if [ $failed -ne 0 ]; then
    echo "eval_shard.sh: a shard failed; see $out/shards/*.log, then re-run to resume" >&2; exit 1
fi
for k in $(seq $first_shard $last_shard); do touch "$out/shards/$k.done"; done
[ $rank -eq 0 ] || exit 0 # under --mpi, rank 0 merges
waited=0
for k in $(seq 0 $((shards - 1))); do
    while [ ! -e "$out/shards/$k.done" ]; do
        sleep 1; waited=$((waited + 1))
        [ $waited -lt "${EVAL_SHARD_WAIT:-86400}" ] || { echo "eval_shard.sh: shard $k never finished" >&2; exit 1; }
    done
done
# merge: the union of the shards' lines (each id once: shards are disjoint)
for k in $(seq 0 $((shards - 1))); do [ -f "$out/shards/$k/predictions.jsonl" ] && cat "$out/shards/$k/predictions.jsonl"; done \
    > "$out/predictions.jsonl.tmp" && mv "$out/predictions.jsonl.tmp" "$out/predictions.jsonl"
first=$(echo $models | cut -d' ' -f1)
"$IAR" eval --data "$data" --model "$first" --out "$out" "$@"

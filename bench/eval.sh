#!/bin/sh
# bench/eval.sh — harness overhead of `iar eval` against an instant local OpenAI-compatible server:
# samples/s at concurrency 1 and 32 for 1,000 samples of 256 px (five distinct PNGs each), the
# no-network `all` baseline over the same samples as the floor, and peak RSS for 10,000 samples.
# Usage: bench/eval.sh [BUILD]   (run `make` first). Prints a Markdown table for docs/perf/eval.md.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IAR="$ROOT/$BUILD/iar"
TMP=${TMPDIR:-/tmp}/iar-bench-eval-$$
mkdir -p "$TMP"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$TMP"' EXIT

make -s -C "$ROOT" BUILD="$BUILD" "$BUILD/bench/eval_bench_tool"
cp "$ROOT/$BUILD/bench/eval_bench_tool" "$TMP/tool"

"$TMP/tool" serve "$TMP/port" &
SERVER=$!
while [ ! -s "$TMP/port" ]; do sleep 0.1; done
PORT=$(cat "$TMP/port")
MODEL="openai:bench@http://127.0.0.1:$PORT/v1"

"$TMP/tool" dataset "$TMP/d1k" 1000 256 1 > /dev/null
"$TMP/tool" dataset "$TMP/d10k" 10000 256 0 > /dev/null

rate() { # N SECONDS
    awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}
timed() { # OUT_DIR ARGS… — prints wall seconds
    out=$1; shift
    start=$(date +%s.%N)
    "$IAR" eval --out "$out" "$@" > /dev/null 2> "$out.log" || { cat "$out.log" >&2; exit 1; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

t_all=$(timed "$TMP/r_all" --data "$TMP/d1k/data.jsonl" --model all)
t_c1=$(timed "$TMP/r_c1" --data "$TMP/d1k/data.jsonl" --model "$MODEL" --no-cache --concurrency 1)
t_c32=$(timed "$TMP/r_c32" --data "$TMP/d1k/data.jsonl" --model "$MODEL" --no-cache --concurrency 32)
t_cached=$(timed "$TMP/r_cached_warm" --data "$TMP/d1k/data.jsonl" --model "$MODEL" --cache "$TMP/cache.sqlite" --concurrency 32)
t_cached=$(timed "$TMP/r_cached" --data "$TMP/d1k/data.jsonl" --model "$MODEL" --cache "$TMP/cache.sqlite" --concurrency 32)

start=$(date +%s.%N)
"$IAR" report "$TMP/r_c32" > /dev/null
t_report=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')

/usr/bin/time -f "%M %e" -o "$TMP/rss" "$IAR" eval --out "$TMP/r_10k" --data "$TMP/d10k/data.jsonl" --model "$MODEL" --no-cache \
    --concurrency 32 > /dev/null 2> "$TMP/r_10k.log" || { cat "$TMP/r_10k.log" >&2; exit 1; }
rss_kb=$(cut -d' ' -f1 "$TMP/rss")
t_10k=$(cut -d' ' -f2 "$TMP/rss")

net() { # N WALL — samples/s once the report's fixed cost is taken out
    awk -v n="$1" -v t="$2" -v r="$t_report" 'BEGIN { printf "%.0f", n / (t - r) }'
}
echo "| run | samples | wall (s) | samples/s | samples/s without the report ($t_report s) | ratio vs concurrency 1 |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| \`all\` baseline (no HTTP, same 1,000 samples) | 1000 | $t_all | $(rate 1000 "$t_all") | $(net 1000 "$t_all") | – |"
echo "| openai, instant server, concurrency 1 | 1000 | $t_c1 | $(rate 1000 "$t_c1") | $(net 1000 "$t_c1") | 1.00 |"
echo "| openai, instant server, concurrency 32 | 1000 | $t_c32 | $(rate 1000 "$t_c32") | $(net 1000 "$t_c32") | $(awk -v a="$t_c1" -v b="$t_c32" 'BEGIN { printf "%.2f", a / b }') |"
echo "| openai, all from the response cache | 1000 | $t_cached | $(rate 1000 "$t_cached") | $(net 1000 "$t_cached") | $(awk -v a="$t_c1" -v b="$t_cached" 'BEGIN { printf "%.2f", a / b }') |"
echo "| openai, concurrency 32, 10,000 samples | 10000 | $t_10k | $(rate 10000 "$t_10k") | $(net 10000 "$t_10k") | peak RSS $(awk -v k="$rss_kb" 'BEGIN { printf "%.1f MB", k / 1024 }') |"

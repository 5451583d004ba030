#!/bin/sh
# serve.sh CKPT DATA.jsonl — latency and throughput of POST /v1/screen, and resident memory over
# many requests (docs/perf/serve.md). Starts `iar serve` (pinned to $CPUS when taskset exists),
# drives it with build/bench/serve_load (bench/serve_load.c) at concurrency 1, 4 and 32 for each
# worker count in $WORKERS, then measures VmRSS before and after $RSS_REQUESTS short requests.
# Environment: IAR (default build/iar), LOAD (default build/bench/serve_load, compiled here), CPUS (default 0,1), WORKERS (default "1 2"),
#   N1 N4 N32 (requests per level; default 20 40 64), RSS_REQUESTS (default 10000),
#   RSS_TOKENS (max_tokens of the memory run; default 1 so that it is about the server, not decoding),
#   RSS_SECONDS (stop the memory run early after this long; default 300), BASELINE_N (default 20).
# Baseline in the same run: `iar eval --model native:CKPT` (no HTTP) on the same sample BASELINE_N times.
# Prints one JSON line per measurement and a markdown table at the end.
# This bench raises --max-concurrent to 64, so it never sees a 503. For a flood against the
# default limits (statuses, /health and memory under 64 clients), see bench/serve_load.sh.
set -eu
CKPT=${1:?usage: bench/serve.sh CKPT DATA.jsonl}
DATA=${2:?usage: bench/serve.sh CKPT DATA.jsonl}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IAR=${IAR:-$ROOT/build/iar}
CPUS=${CPUS:-0,1}
WORKERS=${WORKERS:-"1 2"}
N1=${N1:-20}; N4=${N4:-40}; N32=${N32:-64}
RSS_REQUESTS=${RSS_REQUESTS:-10000}; RSS_TOKENS=${RSS_TOKENS:-1}; RSS_SECONDS=${RSS_SECONDS:-300}
BASELINE_N=${BASELINE_N:-20}
TMP=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
if [ -z "${LOAD:-}" ]; then
    LOAD=$ROOT/build/bench/serve_load
    make -s -C "$ROOT" build/bench/serve_load
fi
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPUS"

# Request bodies from the first sample: a full screening, and a short one (max_tokens) for the memory run.
python3 - "$DATA" "$TMP" "$RSS_TOKENS" "$BASELINE_N" <<'PY'
import base64, json, os, sys
data, out, tokens, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sample = json.loads(open(data).readline())
root = os.path.dirname(os.path.abspath(data))
# The same sample under BASELINE_N ids, with absolute-free paths: a copy of the dataset file beside it.
with open(os.path.join(root, "serve_bench_baseline.jsonl"), "w") as f:
    for i in range(repeats):
        f.write(json.dumps(dict(sample, id="bench%03d" % i)) + "\n")
url = lambda p: "data:image/png;base64," + base64.b64encode(open(os.path.join(root, p), "rb").read()).decode()
body = {"original": url(sample["original"]), "candidates": [url(c) for c in sample["candidates"]],
        "dimension": sample["dimension"]}
json.dump(body, open(os.path.join(out, "full.json"), "w"))
body["max_tokens"] = tokens
json.dump(body, open(os.path.join(out, "short.json"), "w"))
PY

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/$1/status; }
start_server() { # WORKERS
    $PIN "$IAR" serve --model "$CKPT" --port 0 --quiet --workers "$1" --max-concurrent 64 --timeout 600 2>"$TMP/serve.log" &
    PID=$!
    for _ in $(seq 1 300); do
        URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$TMP/serve.log")
        [ -n "$URL" ] && return 0
        sleep 0.1
    done
    cat "$TMP/serve.log" >&2; exit 1
}
stop_server() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }

echo "# iar serve bench: $(basename "$CKPT") on CPUs $CPUS, $(nproc) cores visible, $(date -u +%Y-%m-%dT%H:%MZ)"
BASE_DATA=$(dirname "$DATA")/serve_bench_baseline.jsonl
$PIN "$IAR" eval --data "$BASE_DATA" --model "native:$CKPT" --out "$TMP/baseline" > "$TMP/baseline.log" 2>&1 \
    || { cat "$TMP/baseline.log" >&2; exit 1; }
rm -f "$BASE_DATA"
BASELINE=$(python3 - "$TMP/baseline/predictions.jsonl" <<'PY'
import json, sys
rows = [json.loads(line.decode("utf-8", "replace")) for line in open(sys.argv[1], "rb")]
ms = sorted(r["latency_s"] * 1000 for r in rows)
tokens = sum(r["completion_tokens"] for r in rows) / len(rows)
print('{"baseline":"iar eval native (no HTTP)","samples":%d,"p50_ms":%.1f,"mean_ms":%.1f,"completion_tokens":%.1f}'
      % (len(ms), ms[(len(ms) - 1) // 2], sum(ms) / len(ms), tokens))
PY
)
echo "$BASELINE"
BASE_P50=$(echo "$BASELINE" | python3 -c "import json,sys; print(json.load(sys.stdin)['p50_ms'])")
TABLE=$TMP/table.md
for workers in $WORKERS; do
    start_server "$workers"
    "$LOAD" "$URL/v1/screen" "$TMP/full.json" 1 3 > /dev/null # warm-up
    for c in 1 4 32; do
        n=$N1; [ "$c" = 4 ] && n=$N4; [ "$c" = 32 ] && n=$N32
        line=$("$LOAD" "$URL/v1/screen" "$TMP/full.json" "$c" "$n")
        echo "{\"workers\":$workers,${line#\{}"
        echo "$line" | python3 -c "import json,sys; r=json.load(sys.stdin); print('| %d | %d | %d | %.2f | %.0f | %.0f | %.2f |' % ($workers, r['concurrency'], r['ok'], r['requests_per_second'], r['p50_ms'], r['p99_ms'], r['p50_ms'] / $BASE_P50))" >> "$TABLE"
    done
    if [ "$workers" = "$(echo $WORKERS | cut -d' ' -f1)" ] && [ "$RSS_REQUESTS" -gt 0 ]; then
        before=$(rss_kib "$PID")
        line=$("$LOAD" "$URL/v1/screen" "$TMP/short.json" 4 "$RSS_REQUESTS" - "$RSS_SECONDS")
        sent=$(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'])")
        after=$(rss_kib "$PID")
        echo "{\"rss_run\":true,\"workers\":$workers,\"rss_before_kib\":$before,\"rss_after_kib\":$after,${line#\{}"
        RSS_LINE="RSS over $sent requests (max_tokens $RSS_TOKENS, concurrency 4, $workers worker): $before KiB before, $after KiB after ($(python3 -c "print('%+.1f%%' % (100.0 * ($after - $before) / $before))"))"
    fi
    stop_server
done
echo
echo "baseline (no HTTP, same sample, same CPUs): p50 $BASE_P50 ms per screening"
echo "| workers | concurrency | ok | req/s | p50 ms | p99 ms | p50 / baseline |"
echo "|---|---|---|---|---|---|---|"
cat "$TABLE"
echo
echo "${RSS_LINE:-RSS run skipped}"

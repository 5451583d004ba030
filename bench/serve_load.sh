#!/bin/sh
# serve_load.sh [MODEL [DATA.jsonl]] — hostile load on `iar serve` at its default limits
# (docs/perf/serve.md "Hostile load", docs/RELIABILITY.md S8). Starts `iar serve --model MODEL`
# with no limit changed (--max-concurrent 16, --per-ip 32, pixel budgets as shipped), then CLIENTS
# clients (bench/serve_load.c) post /v1/screen with the first sample of DATA.jsonl, each asking
# again the moment it is answered, 503 or not: WARMUP seconds, then DURATION seconds measured.
# HEAVY_CLIENTS of them send five HEAVY_SIZE² PNGs instead (as large as one request may be by
# default), which the server's decoded-pixel budget must hold back.
# Meanwhile a separate client asks GET /health once a second, and the server's VmRSS is read
# from /proc once a second.
# Fails (exit 1) when any answer is neither 200 nor 503 (a request without an HTTP answer counts),
# when a /health probe is not answered 200 within PROBE_TIMEOUT s, when the server dies, or when
# its RSS after the run is more than RSS_LIMIT_PERCENT above its RSS after the warm-up, or (when
# RSS_MAX_KIB is set) its RSS during the run ever passes RSS_MAX_KIB.
# MODEL defaults to the shipped models/iar-small; DATA to one 128 px `iar synth` sample (seed 1).
# Environment: IAR (default build/iar), LOAD (default build/bench/serve_load, compiled here),
#   CLIENTS (64), DURATION (60), WARMUP (10), ADDRESSES (4: the clients connect from 127.0.0.1..N,
#   CLIENTS/N each; 1 puts them all on one address, where --per-ip refuses those past 32),
#   HEAVY_CLIENTS (0), HEAVY_SIZE (2048), PROBE_TIMEOUT (2), RSS_LIMIT_PERCENT (10), RSS_MAX_KIB (0: none),
#   SERVE_ARGS (extra `iar serve` options; default none).
# Prints one JSON line with every figure, then a short summary.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-$ROOT/models/iar-small}
DATA=${2:-}
IAR=${IAR:-$ROOT/build/iar}
CLIENTS=${CLIENTS:-64}; DURATION=${DURATION:-60}; WARMUP=${WARMUP:-10}; ADDRESSES=${ADDRESSES:-4}
HEAVY_CLIENTS=${HEAVY_CLIENTS:-0}; HEAVY_SIZE=${HEAVY_SIZE:-2048}
PROBE_TIMEOUT=${PROBE_TIMEOUT:-2}; RSS_LIMIT_PERCENT=${RSS_LIMIT_PERCENT:-10}; RSS_MAX_KIB=${RSS_MAX_KIB:-0}
SERVE_ARGS=${SERVE_ARGS:-}
TMP=$(mktemp -d)
PID=""; LOAD_PIDS=""
# shellcheck disable=SC2086 # LOAD_PIDS is a list
trap '[ -n "$LOAD_PIDS" ] && kill $LOAD_PIDS 2>/dev/null; [ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
[ "$HEAVY_CLIENTS" -lt "$CLIENTS" ] || { echo "serve_load.sh: HEAVY_CLIENTS must be below CLIENTS" >&2; exit 2; }
if [ -z "${LOAD:-}" ]; then
    LOAD=$ROOT/build/bench/serve_load
    make -s -C "$ROOT" build/bench/serve_load >/dev/null
fi
if [ -z "$DATA" ]; then
    "$IAR" synth --out "$TMP/data" --n 1 --size 128 --seed 1 --style render --threads 1 >/dev/null 2>&1
    DATA=$TMP/data/data.jsonl
fi

# The request bodies: the first sample as data URLs (max_tokens left to the server's default), and
# the heavy one: five HEAVY_SIZE² gradients, small PNGs (each row stored with the Sub filter, so
# nearly all zeros) that decode to 12 MB each at 2048²: a lot of pixels for few bytes sent.
python3 - "$DATA" "$TMP" "$HEAVY_SIZE" "$HEAVY_CLIENTS" <<'PY'
import base64, json, os, struct, sys, zlib
data, out, heavy, heavy_clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sample = json.loads(open(data).readline())
root = os.path.dirname(os.path.abspath(data))
url = lambda png: "data:image/png;base64," + base64.b64encode(png).decode()
read = lambda p: open(os.path.join(root, p), "rb").read()
json.dump({"original": url(read(sample["original"])), "candidates": [url(read(c)) for c in sample["candidates"]],
           "dimension": sample["dimension"]}, open(os.path.join(out, "body.json"), "w"))
def gradient_png(side, shift):
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ramp = bytes((x * 255 // max(side - 1, 1) + shift) % 256 for x in range(side))
    def row(y):
        raw = bytes(v for x in ramp for v in (x, (x + y) % 256, y % 256))
        return b"\1" + raw[:3] + bytes((raw[i] - raw[i - 3]) % 256 for i in range(3, len(raw)))
    rows = b"".join(row(y) for y in range(256))
    pixels = zlib.compress(rows * (side // 256) + rows[:(side % 256) * (1 + 3 * side)], 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
if heavy_clients > 0:
    images = [url(gradient_png(heavy, 40 * i)) for i in range(5)]
    json.dump({"original": images[0], "candidates": images[1:], "dimension": sample["dimension"]},
              open(os.path.join(out, "heavy.json"), "w"))
PY

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
# Background: until $TMP/stop exists, one line a second: "RSS_KIB HEALTH_STATUS HEALTH_SECONDS".
# The probe connects from 127.0.0.254, an address no load client uses.
monitor() {
    while [ ! -e "$TMP/stop" ]; do
        probe=$(curl -s -o /dev/null --interface 127.0.0.254 --max-time "$PROBE_TIMEOUT" \
            -w '%{http_code} %{time_total}' "$URL/health" || true)
        echo "$(rss_kib "$PID" 2>/dev/null || echo 0) ${probe:-000 $PROBE_TIMEOUT}" >> "$1"
        sleep 1
    done
}
load_run() { # SECONDS PHASE: writes $TMP/PHASE.json, $TMP/PHASE_heavy.json, $TMP/PHASE.monitor
    rm -f "$TMP/stop"
    echo '{"statuses":{},"no_answer":{},"requests":0}' > "$TMP/$2_heavy.json"
    "$LOAD" "$URL/v1/screen" "$TMP/body.json" $((CLIENTS - HEAVY_CLIENTS)) 0 - "$1" "$ADDRESSES" > "$TMP/$2.json" &
    LOAD_PIDS=$!
    if [ "$HEAVY_CLIENTS" -gt 0 ]; then
        "$LOAD" "$URL/v1/screen" "$TMP/heavy.json" "$HEAVY_CLIENTS" 0 - "$1" "$ADDRESSES" > "$TMP/$2_heavy.json" &
        LOAD_PIDS="$LOAD_PIDS $!"
    fi
    monitor "$TMP/$2.monitor" &
    MONITOR_PID=$!
    status=0
    for load_pid in $LOAD_PIDS; do wait "$load_pid" || status=1; done
    LOAD_PIDS=""
    touch "$TMP/stop"
    wait "$MONITOR_PID" || true
    return $status
}

# shellcheck disable=SC2086 # SERVE_ARGS is a list of options
"$IAR" serve --model "$MODEL" --port 0 --quiet $SERVE_ARGS 2>"$TMP/serve.log" &
PID=$!
URL=""
for _ in $(seq 1 300); do
    URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$TMP/serve.log")
    [ -n "$URL" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$URL" ] || { cat "$TMP/serve.log" >&2; exit 1; }
echo "# iar serve hostile load: $(basename "$MODEL"), $CLIENTS clients ($HEAVY_CLIENTS heavy: five ${HEAVY_SIZE}² PNGs)" \
     "from $ADDRESSES address(es), ${WARMUP} s warm-up + ${DURATION} s," \
     "$(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
sleep 1
RSS_START=$(rss_kib "$PID" 2>/dev/null || echo 0)
load_run "$WARMUP" warmup || true # its answers are judged below
sleep 1
RSS_WARM=$(rss_kib "$PID" 2>/dev/null || echo 0)
load_run "$DURATION" run || true
sleep 2
RSS_AFTER=$(rss_kib "$PID" 2>/dev/null || echo 0)
curl -s --max-time 5 "$URL/metrics" > "$TMP/metrics.txt" || true
ALIVE=0; curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$URL/health" | grep -q '^200$' && ALIVE=1
STOP_START=$(date +%s.%N)
kill -TERM "$PID" 2>/dev/null || true
wait "$PID" || true
PID=""
STOP_SECONDS=$(echo "$(date +%s.%N) $STOP_START" | awk '{printf "%.2f", $1 - $2}')

python3 - "$TMP" "$RSS_START" "$RSS_WARM" "$RSS_AFTER" "$RSS_LIMIT_PERCENT" "$ALIVE" "$STOP_SECONDS" "$PROBE_TIMEOUT" \
    "$RSS_MAX_KIB" <<'PY'
import json, os, re, sys
tmp, start, warm, after, limit, alive, stop_s, probe_timeout, ceiling = sys.argv[1:]
start, warm, after, limit, probe_timeout, ceiling = int(start), int(warm), int(after), float(limit), float(probe_timeout), int(ceiling)
def monitor(phase): # (rss_kib, health status, health seconds) once a second
    rows = [line.split() for line in open(os.path.join(tmp, phase + ".monitor")) if line.strip()]
    return [(int(r[0]), r[1], float(r[2])) for r in rows]
def load(name): # one serve_load line; empty when it printed nothing (it could not start)
    text = open(os.path.join(tmp, name)).read().strip()
    return json.loads(text) if text else {"statuses": {}, "no_answer": {}, "requests": 0}
def add(into, counts):
    for key, n in counts.items(): into[key] = into.get(key, 0) + n
phases = {phase: {"light": load(phase + ".json"), "heavy": load(phase + "_heavy.json")} for phase in ("warmup", "run")}
statuses, run_statuses, no_answer = {}, {}, {}
for phase, parts in phases.items():
    for part in parts.values():
        add(statuses, part["statuses"])
        add(no_answer, part["no_answer"])
        if phase == "run": add(run_statuses, part["statuses"])
server_counts = {}
for line in open(os.path.join(tmp, "metrics.txt")):
    m = re.match(r'iar_http_requests_total\{route="/v1/screen",status="(\w+)"\} (\d+)', line)
    if m: server_counts[m.group(1)] = int(m.group(2))
probes = monitor("warmup") + monitor("run")
answered = [p for p in probes if p[1] == "200" and p[2] < probe_timeout]
run_rss = [p[0] for p in monitor("run")]
rss_max = max(run_rss or [0])
growth = 100.0 * (after - warm) / warm if warm else float("inf")
other = {code: n for code, n in statuses.items() if code not in ("200", "503")}
failures = []
if other: failures.append("answers other than 200/503: %s (no HTTP answer, by curl error: %s)" % (other, no_answer))
if not statuses: failures.append("no request was answered")
if not probes or len(answered) != len(probes):
    failures.append("%d of %d /health probes not answered 200 within %g s" % (len(probes) - len(answered), len(probes), probe_timeout))
if alive != "1": failures.append("the server did not answer /health after the run")
if ceiling and rss_max > ceiling: failures.append("RSS during the run reached %d KiB, over RSS_MAX_KIB %d" % (rss_max, ceiling))
if growth > limit: failures.append("RSS after the run %+.1f%% over its level after the warm-up (limit %g%%)" % (growth, limit))
health_s = sorted(p[2] for p in probes)
result = {"phases": phases, "statuses_total": statuses, "statuses_run": run_statuses, "server_screen_statuses": server_counts,
          "health_probes": len(probes), "health_answered": len(answered),
          "health_p50_s": health_s[(len(health_s) - 1) // 2] if health_s else 0, "health_max_s": health_s[-1] if health_s else 0,
          "rss_start_kib": start, "rss_after_warmup_kib": warm, "rss_max_during_kib": rss_max,
          "rss_every_10s_during_kib": run_rss[::10], "rss_after_kib": after, "rss_growth_percent": round(growth, 2),
          "shutdown_s": float(stop_s), "failures": failures}
print(json.dumps(result))
print()
run = phases["run"]
print("statuses, warm-up + run: %s (the server's own count: %s); run alone: %s in %.0f s" %
      (statuses, server_counts, run_statuses, run["light"].get("seconds", 0)))
for kind in ("light", "heavy"):
    part = run[kind]
    if part.get("concurrency"):
        print("  %s clients (%d): %s, 200 answers %.2f/s, p50 %.0f ms, p99 %.0f ms" % (kind, part["concurrency"],
              part["statuses"], part["requests_per_second"], part["p50_ms"], part["p99_ms"]))
print("/health: %d/%d probes answered 200 within %g s (p50 %.3f s, max %.3f s)" %
      (len(answered), len(probes), probe_timeout, result["health_p50_s"], result["health_max_s"]))
print("RSS: %d KiB at start, %d KiB after warm-up, %d KiB max during the run%s, %d KiB after (%+.1f%%; limit %g%%)" %
      (start, warm, rss_max, " (ceiling %d KiB)" % ceiling if ceiling else "", after, growth, limit))
print("SIGTERM to exit: %s s" % stop_s)
print("FAIL: " + "; ".join(failures) if failures else "PASS")
sys.exit(1 if failures else 0)
PY

#!/bin/sh
# test_serve.sh — `iar serve` on a real (tiny, briefly trained) checkpoint from the command line:
# --help and bad usage; /health, /v1/screen; `iar eval --model openai:iar@URL` gives exactly the
# raw outputs of `--model native:CKPT` (greedy); the official `openai` npm client and the web page in
# headless Chromium (screenshot: build/test-artefacts/serve_page_model.png); the API key (401);
# 404, 405, 413, 400s with the server still serving; SIGTERM answers the request in flight and
# exits 0. Every server started here is killed on exit; ports are picked by the kernel (--port 0).
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=${IAR_TEST_TMP:-/tmp}/serve-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

# start_server LOG ARGS...: starts `iar serve --port 0`, sets PID and URL (fails the test if it does not come up).
start_server() {
    log=$1; shift
    "$IAR" serve --port 0 "$@" 2>"$log" &
    PID=$!
    URL=""
    for _ in $(seq 1 100); do
        URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$log")
        [ -n "$URL" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log"; fail "server did not start: $*"; return 1
}
# status METHOD PATH [BODY_FILE] [KEY]: prints the HTTP status of a request to the running server.
status() {
    set -- "$1" "$2" "${3:-}" "${4:-}"
    curl -s -o "$TMP/body.txt" -w "%{http_code}" -X "$1" ${3:+--data-binary @"$3"} -H "Content-Type: application/json" \
        ${4:+-H "Authorization: Bearer $4"} "$URL$2"
}
expect() { # EXPECTED METHOD PATH [BODY_FILE] [KEY]
    want=$1; shift
    got=$(status "$@")
    cp "$TMP/body.txt" "$TMP/answer.txt"
    [ "$got" = "$want" ] || fail "$1 $2: expected $want, got $got: $(head -c 300 "$TMP/answer.txt")"
    [ "$(status GET /health)" = 200 ] || fail "server stopped serving after $1 $2"
}

# Usage errors: one line, non-zero exit.
"$IAR" serve --help > "$TMP/help.txt" 2>&1 || fail "serve --help exited non-zero"
grep -q "example" "$TMP/help.txt" || fail "serve --help has no example"
if [ ! -d "$(dirname "$IAR")/../models/iar-small" ]; then # without a shipped model: a one-line error
    IAR_MODEL= "$IAR" serve > "$TMP/err.txt" 2>&1 && fail "serve without a model succeeded"
    [ "$(wc -l < "$TMP/err.txt")" = 1 ] || fail "serve without a model: not one line: $(cat "$TMP/err.txt")"
    grep -q "IAR_MODEL" "$TMP/err.txt" || fail "serve without a model: the error does not say how to get one"
fi
"$IAR" serve --port=0 --per-ip 0 > "$TMP/err.txt" 2>&1 && fail "--per-ip 0 accepted"
grep -q -- "--per-ip" "$TMP/err.txt" || fail "--per-ip error does not name the option"
"$IAR" serve --model x --port 70000 > "$TMP/err.txt" 2>&1 && fail "port 70000 accepted"
"$IAR" serve --model "$TMP/missing" --port 0 > "$TMP/err.txt" 2>&1 && fail "a missing checkpoint was served"

# A dataset (iar synth when it is built, else the test's own generator) and a tiny checkpoint.
if "$IAR" synth --out "$TMP/data" --n 8 --size 64 --seed 3 --style render > "$TMP/synth.log" 2>&1 && [ -f "$TMP/data/data.jsonl" ]; then
    echo "dataset from iar synth"
else
    python3 "$ROOT/tests/serve/make_dataset.py" "$TMP/data" 8 || fail "make_dataset.py failed"
fi
DATA=$TMP/data/data.jsonl
"$IAR" train sft --data "$DATA" --out "$TMP/ckpt" --config tiny --steps 3 --batch 4 > "$TMP/train.log" 2>&1 \
    || { tail -5 "$TMP/train.log"; fail "train sft failed"; exit 1; }

export IAR_TEST_KEY=test-key-42
start_server "$TMP/serve.log" --model "$TMP/ckpt" --example "$DATA" --api-key-env IAR_TEST_KEY --max-body 1 || exit 1
expect 200 GET /health
expect 200 GET /
expect 401 GET /v1/models
expect 200 GET /v1/models "" "$IAR_TEST_KEY"
expect 200 GET "/v1/example?index=1" "" "$IAR_TEST_KEY"

# One sample's images, as files for the node client and as a /v1/screen body.
python3 - "$DATA" "$TMP/images" "$TMP/screen.json" <<'PY' || fail "could not prepare the request"
import base64, json, os, shutil, sys
data, out, body = sys.argv[1:]
sample = json.loads(open(data).readline())
root = os.path.dirname(data)
os.makedirs(out, exist_ok=True)
paths = [sample["original"]] + sample["candidates"]
for name, path in zip(["original", "A", "B", "C", "D"], paths):
    shutil.copy(os.path.join(root, path), os.path.join(out, name + ".png"))
url = lambda p: "data:image/png;base64," + base64.b64encode(open(os.path.join(root, p), "rb").read()).decode()
json.dump({"original": url(paths[0]), "candidates": [url(p) for p in paths[1:]], "dimension": sample["dimension"]},
          open(body, "w"))
PY
expect 401 POST /v1/screen "$TMP/screen.json"
expect 200 POST /v1/screen "$TMP/screen.json" "$IAR_TEST_KEY"
grep -q '"verdicts"' "$TMP/answer.txt" || fail "/v1/screen answer has no verdicts"
printf '{"original":' > "$TMP/bad.json"; expect 400 POST /v1/screen "$TMP/bad.json" "$IAR_TEST_KEY"
sed 's|data:image/png;base64,[^"]*|file:///etc/passwd|' "$TMP/screen.json" > "$TMP/file.json"
expect 400 POST /v1/screen "$TMP/file.json" "$IAR_TEST_KEY"
grep -q "never fetches" "$TMP/answer.txt" || fail "file:// URL refusal has no reason"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$TMP/big.json"
expect 413 POST /v1/screen "$TMP/big.json" "$IAR_TEST_KEY"
expect 404 GET /v2/anything
expect 405 GET /v1/chat/completions "" "$IAR_TEST_KEY"

# The official openai npm client (installs into tests/serve/node_modules on first use).
if [ ! -f "$ROOT/tests/serve/node_modules/openai/package.json" ]; then
    (cd "$ROOT/tests/serve" && npm install --no-audit --no-fund --loglevel=error) || fail "npm install failed"
fi
node "$ROOT/tests/serve/openai_client.mjs" "$URL/v1" "$TMP/images" "" "$IAR_TEST_KEY" || fail "openai client failed"
# The page in headless Chromium on the real model (any verdict: this model is barely trained).
ARTEFACTS=${IAR_ARTEFACT_DIR:-$ROOT/build/test-artefacts}
mkdir -p "$ARTEFACTS"
node "$ROOT/tests/serve/page_test.mjs" "$URL/" "$TMP/images" "$ARTEFACTS/serve_page_model.png" "" "$IAR_TEST_KEY" \
    || fail "page test on the real model failed"

# Both sides of the API: eval through the server == eval of the checkpoint itself (greedy).
"$IAR" eval --data "$DATA" --model "native:$TMP/ckpt" --out "$TMP/run_native" > "$TMP/eval_native.log" 2>&1 \
    || { tail -3 "$TMP/eval_native.log"; fail "native eval failed"; }
OPENAI_API_KEY=$IAR_TEST_KEY "$IAR" eval --data "$DATA" --model "openai:iar@$URL/v1" --out "$TMP/run_openai" --no-cache \
    > "$TMP/eval_openai.log" 2>&1 || { tail -3 "$TMP/eval_openai.log"; fail "openai eval against the server failed"; }
python3 - "$TMP/run_native/predictions.jsonl" "$TMP/run_openai/predictions.jsonl" <<'PY' || fail "native and served predictions differ"
# The server sends valid UTF-8 (broken byte sequences of the model become U+FFFD); the native run
# keeps the bytes. Both are compared with the broken parts removed.
import json, sys
def rows(path):
    for line in open(path, "rb"):
        row = json.loads(line.decode("utf-8", "replace"))
        row["raw"] = (row["raw"] or "").replace("\ufffd", "")
        yield row
native, served = ({r["id"]: r for r in rows(p)} for p in sys.argv[1:])
assert native and set(native) == set(served), "different ids"
for i in native:
    assert served[i]["error"] is None, "%s: %s" % (i, served[i]["error"])
    assert native[i]["raw"] == served[i]["raw"], "%s:\n native %r\n served %r" % (i, native[i]["raw"], served[i]["raw"])
    assert native[i]["predicted"] == served[i]["predicted"]
print("identical raw outputs on %d samples (%d distinct)" % (len(native), len({r["raw"] for r in native.values()})))
PY

# SIGTERM while a request is in flight: it is answered, then the server exits 0. The body is
# padded and sent at 40 kB/s, so the request is surely in flight (uploading) when the signal lands.
{ cat "$TMP/screen.json"; head -c 60000 /dev/zero | tr '\0' ' '; } > "$TMP/screen_slow.json"
curl -s -o "$TMP/inflight.txt" -w "%{http_code}" -H "Authorization: Bearer $IAR_TEST_KEY" --limit-rate 40k \
    --data-binary @"$TMP/screen_slow.json" "$URL/v1/screen" > "$TMP/inflight.status" &
CURL=$!
sleep 0.5
kill -TERM "$PID"
wait "$CURL"
wait "$PID"; rc=$?
PID=""
[ "$rc" = 0 ] || fail "server exit status $rc after SIGTERM"
[ "$(cat "$TMP/inflight.status")" = 200 ] || fail "request in flight at SIGTERM got $(cat "$TMP/inflight.status")"
grep -q "stopped" "$TMP/serve.log" || fail "no clean stop in the log"

[ $fails -eq 0 ] && rm -rf "$TMP"
[ $fails -eq 0 ]

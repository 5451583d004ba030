#!/bin/sh
# serve_ttfc.sh [DATA.jsonl] — time to first chunk of the OpenAI streaming endpoint with a real model
# (docs/perf/serve.md): starts `iar serve --model $MODEL`, sends N streamed chat completions of the
# first sample one after another, each on a fresh connection, and times every one from the moment
# its request is sent: the response headers, the first chunk (the role-only delta), the first
# content chunk and the end of the stream. Prints one line per request and the medians.
# Without DATA.jsonl, one 256 px sample is drawn with `iar synth` (seed 3).
# Environment: IAR (default build/iar), MODEL (default models/iar-small), N (default 10, after one
#   warm-up request), PORT (default 8097), MAX_TOKENS (default 512), PIN (e.g. "taskset -c 0,1").
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IAR=${IAR:-$ROOT/build/iar}
MODEL=${MODEL:-$ROOT/models/iar-small}
N=${N:-10}; PORT=${PORT:-8097}; MAX_TOKENS=${MAX_TOKENS:-512}; PIN=${PIN:-}
TMP=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
DATA=${1:-}
if [ -z "$DATA" ]; then
    "$IAR" synth --out "$TMP/d" --n 1 --size 256 --seed 3 --style render --threads 1 > /dev/null 2>&1
    DATA=$TMP/d/data.jsonl
fi
$PIN "$IAR" serve --model "$MODEL" --port "$PORT" --quiet 2> "$TMP/serve.log" &
PID=$!
n=0
until curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1; do
    n=$((n+1)); [ $n -lt 300 ] || { cat "$TMP/serve.log"; echo "iar serve did not start" >&2; exit 1; }
    sleep 0.1
done

node - "http://127.0.0.1:$PORT" "$DATA" "$N" "$MAX_TOKENS" "$MODEL" <<'JS'
const fs = require("node:fs"), path = require("node:path"), http = require("node:http");
const [base, data, count, maxTokens, model] = process.argv.slice(2);
const sample = JSON.parse(fs.readFileSync(data, "utf8").split("\n")[0]);
const root = path.dirname(path.resolve(data));
const url = (p) => "data:image/" + (p.endsWith(".png") ? "png" : "jpeg") + ";base64," +
  fs.readFileSync(path.resolve(root, p)).toString("base64");
const titles = { deformation: "Appearance Deformation", lighting: "Physical Lighting and Shadow",
                 placement: "Placement Layout", extension: "Extension Rationality" };
const text = "The first image is the original product photo. Check this dimension: " + titles[sample.dimension] +
  ". Which of A, B, C, D are flawed?";
const content = [{ type: "text", text }].concat([sample.original, ...sample.candidates].map(
  (p) => ({ type: "image_url", image_url: { url: url(p) } })));
const body = JSON.stringify({ model: "iar", messages: [{ role: "user", content }], temperature: 0,
  max_tokens: Number(maxTokens), stream: true, stream_options: { include_usage: true } });

// One streamed request on a fresh connection; every time is measured from just before the send.
function once() {
  return new Promise((resolve, reject) => {
    const t = { headers: 0, role: 0, content: 0, total: 0, tokens: 0, text: "" };
    const request = http.request(base + "/v1/chat/completions", { method: "POST", agent: false,
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } });
    let sent = 0, pending = "";
    request.on("response", (response) => {
      t.headers = performance.now() - sent;
      if (response.statusCode !== 200) reject(new Error("HTTP " + response.statusCode));
      response.setEncoding("utf8");
      response.on("data", (piece) => {
        pending += piece;
        let end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
          const chunk = JSON.parse(event.slice(6));
          const delta = chunk.choices && chunk.choices.length ? chunk.choices[0].delta : {};
          const now = performance.now() - sent;
          if (delta.role && !t.role) t.role = now;
          if (delta.content && !t.content) t.content = now;
          if (delta.content) t.text += delta.content;
          if (chunk.usage) t.tokens = chunk.usage.completion_tokens;
        }
      });
      response.on("end", () => { t.total = performance.now() - sent; resolve(t); });
    });
    request.on("error", reject);
    sent = performance.now();
    request.end(body);
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1;
                         return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
(async () => {
  await once(); // warm-up: the first request pays for page faults in the model's weights
  const runs = [];
  for (let i = 0; i < Number(count); i++) {
    const t = await once();
    runs.push(t);
    console.log(`request ${i + 1}: headers ${t.headers.toFixed(1)} ms, role chunk ${t.role.toFixed(1)} ms, ` +
      `first content ${t.content.toFixed(1)} ms, total ${t.total.toFixed(1)} ms ` +
      `(${(100 * t.content / t.total).toFixed(0)}%), ${t.tokens} tokens`);
  }
  const m = (k) => median(runs.map((t) => t[k]));
  const ratio = median(runs.map((t) => t.content / t.total));
  console.log(`reply: ${JSON.stringify(runs[0].text)}`);
  console.log(`median of ${runs.length}: headers ${m("headers").toFixed(1)} ms | role chunk ${m("role").toFixed(1)} ms | ` +
    `first content chunk ${m("content").toFixed(1)} ms | total ${m("total").toFixed(1)} ms | ` +
    `first content at ${(100 * ratio).toFixed(0)}% of the total | ${m("tokens")} tokens`);
  console.log(JSON.stringify({ bench: "serve_ttfc", model, requests: runs.length, headers_ms: m("headers"),
    role_ms: m("role"), first_content_ms: m("content"), total_ms: m("total"), first_content_fraction: ratio,
    completion_tokens: m("tokens") }));
})().catch((e) => { console.error("serve_ttfc: " + e.message); process.exit(1); });
JS

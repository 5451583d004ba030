#!/bin/sh
# test_eval_browser.sh — an eval's report.html loads in headless Chromium without console errors, and
# its filters work (tests/browser/check_report.mjs). playwright-core is installed from npm into
# tests/browser/node_modules on first use (gitignored). Skips only when Chromium is absent.
set -u
IAR=${IAR_BIN:-build/iar}
TMP=${IAR_TEST_TMP:-/tmp}/cli-eval-browser-$$
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BROWSER_DIR="$ROOT/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
fail() { echo "FAIL: $*"; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
    echo "SKIP: $CHROMIUM not found (apt-get install chromium); the report was not checked in a browser"
    exit 0
fi
command -v node > /dev/null || fail "node is not installed (tools/bootstrap.sh installs it)"
if [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
    (cd "$BROWSER_DIR" && npm install --no-audit --no-fund --silent > /dev/null 2>&1) || fail "npm install of playwright-core failed in $BROWSER_DIR"
fi

mkdir -p "$TMP/img"
echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC' | base64 -d > "$TMP/img/p.png"
i=0
while [ $i -lt 16 ]; do
    case $((i % 4)) in 0) d=deformation;; 1) d=lighting;; 2) d=placement;; *) d=extension;; esac
    printf '{"id":"b%03d","dimension":"%s","original":"img/p.png","candidates":["img/p.png","img/p.png","img/p.png","img/p.png"],"answer":["B"]}\n' $i $d
    i=$((i + 1))
done > "$TMP/data.jsonl"
"$IAR" eval --data "$TMP/data.jsonl" --model random --out "$TMP/run" > /dev/null 2>&1 || fail "iar eval failed"
"$IAR" eval --data "$TMP/data.jsonl" --model all --out "$TMP/all" > /dev/null 2>&1 || fail "iar eval failed"
"$IAR" report "$TMP/run" "$TMP/all" -o "$TMP/compare" > /dev/null 2>&1 || fail "iar report failed"
for report in "$TMP/run/report.html" "$TMP/compare/report.html"; do
    CHROMIUM="$CHROMIUM" timeout 120 node "$BROWSER_DIR/check_report.mjs" "$report" || fail "$report does not load cleanly"
done
rm -rf "$TMP"
echo "ok"

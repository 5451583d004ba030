#!/bin/sh
# serve_fuzz.sh [SECONDS] — bounded libFuzzer run of the server's request parsers (clang, ASan +
# UBSan). Builds build/fuzz/serve_fuzz_request from the parser's sources, seeds a corpus with
# fuzz/serve_make_seeds.py, runs for SECONDS (default 120) on one core; non-zero exit on a crash.
set -e
seconds=${1:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/fuzz"
mkdir -p "$out/serve_corpus"
make -s -C "$root" BUILD=build build/fuzz/serve_fuzz_request
python3 "$root/fuzz/serve_make_seeds.py" "$out/serve_corpus"
"$out/serve_fuzz_request" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$out/serve_corpus"

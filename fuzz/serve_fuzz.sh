#!/bin/sh
# serve_fuzz.sh [SECONDS] — bounded libFuzzer run of the server's request parsers (clang, ASan +
# UBSan). Builds build/fuzz/serve_fuzz_request from the parser's sources, seeds a corpus with
# fuzz/serve_make_seeds.py, runs for SECONDS (default 120) on one core; non-zero exit on a crash.
set -e
seconds=${1:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/fuzz"
mkdir -p "$out/serve_corpus"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$root/src $(pkg-config --cflags libcjson libpng)"
clang $cflags -o "$out/serve_fuzz_request" "$root/fuzz/serve_fuzz_request.c" \
    "$root/src/serve/request.c" "$root/src/core/base64.c" \
    "$root"/src/image/*.c "$root"/src/core/*.c "$root"/src/data/*.c "$root/src/text/answer.c" "$root/src/text/prompt.c" \
    $(pkg-config --libs libcjson libpng libjpeg) -lm
python3 "$root/fuzz/serve_make_seeds.py" "$out/serve_corpus"
"$out/serve_fuzz_request" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$out/serve_corpus"

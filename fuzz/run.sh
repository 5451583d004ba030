#!/bin/sh
# fuzz/run.sh — builds the libFuzzer harnesses with clang (-fsanitize=fuzzer,address,undefined)
# against the library sources they need, writes seed corpora, and runs each fuzzer for a bounded time.
#   fuzz/run.sh [SECONDS]          (default 60 per fuzzer; not part of `make test`)
# Work folder: build/fuzz (corpora grow there between runs; crashes are written there as crash-*).
# Exit status: non-zero when a fuzzer found a crash, a leak or a failed property.
set -eu
SECONDS_EACH=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
mkdir -p "$WORK/obj"
cd "$ROOT"

PKGS="libpng libjpeg libcjson"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Isrc $(pkg-config --cflags $PKGS) -fno-omit-frame-pointer"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
LIBS="$(pkg-config --libs $PKGS) -lm"
# The library sources the loaders reach: core, image codecs, the data layer and the answer parser.
SOURCES="src/core/error.c src/core/files.c src/core/progress.c src/core/rng.c $(ls src/image/*.c) \
$(ls src/data/*.c) src/text/answer.c src/text/prompt.c"

echo "fuzz: building with $($CC --version | head -1)"
$CC $CFLAGS $SAN -o "$WORK/fuzz_jsonl" fuzz/fuzz_jsonl.c $SOURCES $LIBS
$CC $CFLAGS $SAN -o "$WORK/fuzz_image" fuzz/fuzz_image.c $SOURCES $LIBS
$CC $CFLAGS -o "$WORK/make_seeds" fuzz/make_seeds.c $SOURCES $LIBS
"$WORK/make_seeds" "$WORK/seeds"
mkdir -p "$WORK/corpus/jsonl" "$WORK/corpus/image"

status=0
run_one() { # name seeds max_len [extra args]
    name=$1; seeds=$2; max_len=$3; shift 3
    echo "fuzz: $name for ${SECONDS_EACH}s"
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$WORK/$name" \
        -max_total_time="$SECONDS_EACH" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$WORK/$name-" "$@" \
        "$WORK/corpus/${name#fuzz_}" "$seeds" > "$WORK/$name.log" 2>&1; then
        status=1
        echo "fuzz: $name FAILED, see $WORK/$name.log"; tail -30 "$WORK/$name.log"
    fi
    grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$WORK/$name.log" | sed "s/^/  $name: /"
    echo "  $name: corpus $(ls "$WORK/corpus/${name#fuzz_}" | wc -l) files"
}
run_one fuzz_jsonl "$WORK/seeds/jsonl" 4096 -dict=fuzz/jsonl.dict
run_one fuzz_image "$WORK/seeds/image" 65536
exit $status

#!/bin/sh
# fuzz/run.sh — builds the libFuzzer harnesses (make fuzz: clang, -fsanitize=fuzzer,address,undefined),
# writes seed corpora, and runs each fuzzer for a bounded time.
#   fuzz/run.sh [SECONDS]          (default 60 per fuzzer; not part of `make test`)
# Work folder: build/fuzz (corpora grow there between runs; crashes are written there as crash-*).
# Exit status: non-zero when a fuzzer found a crash, a leak or a failed property.
set -eu
SECONDS_EACH=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/build/fuzz
cd "$ROOT"
echo "fuzz: building with make fuzz (FUZZ_CC=${FUZZ_CC:-clang})"
make -s BUILD=build ${FUZZ_CC:+FUZZ_CC=$FUZZ_CC} fuzz
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

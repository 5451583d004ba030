#!/bin/sh
# bench/bench_check.sh — speed of `iar check` (every image decoded) on an `iar synth` benchmark,
# with 1 and 2 OpenMP threads; best of 3 runs each. Usage: bench/bench_check.sh [N_SAMPLES] [BUILD]
set -eu
N=${1:-400}
BUILD=${2:-build}
IAR=$BUILD/iar
WORK=${TMPDIR:-/tmp}/iar-bench-check-$$
trap 'rm -rf "$WORK"' EXIT
"$IAR" synth --style render --out "$WORK" --n "$N" --seed 7 > /dev/null 2>&1
best() { # threads mode
    b=""
    for run in 1 2 3; do
        t0=$(date +%s.%N)
        OMP_NUM_THREADS=$1 "$IAR" check $2 "$WORK/data.jsonl" > /dev/null 2>&1
        t=$(echo "$(date +%s.%N) - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
t1=$(best 1 "")
t2=$(best 2 "")
tn=$(best 2 --no-images)
echo "iar check, $N samples ($((N * 5)) images of 256 px), best of 3:"
printf "  decode all, 1 thread : %.3f s  %.0f samples/s\n" "$t1" "$(echo "$N / $t1" | bc -l)"
printf "  decode all, 2 threads: %.3f s  %.0f samples/s  (%.2fx the 1-thread speed)\n" "$t2" "$(echo "$N / $t2" | bc -l)" "$(echo "$t1 / $t2" | bc -l)"
printf "  --no-images          : %.3f s  %.0f samples/s\n" "$tn" "$(echo "$N / $tn" | bc -l)"

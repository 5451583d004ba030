#!/bin/sh
# bench/synth.sh — generator throughput: samples per second at 256 px with 1 and 2 threads, the
# 2-thread scaling, and CPU time per sample (which a shared machine's load does not inflate).
# Each run is repeated REPEAT times and the best wall time kept (the machine is shared).
#
# usage: bench/synth.sh [N]      (default N=400 samples per run; SIZE=256 REPEAT=3 STYLE=render from
#                               the env; STYLE=photo needs tools/fetch_photos.sh first)
set -eu
IAR=${IAR:-build/iar}
N=${1:-400}
SIZE=${SIZE:-256}
REPEAT=${REPEAT:-3}
STYLE=${STYLE:-render}
OUT=${TMPDIR:-/tmp}/iar-bench-synth-$$
[ -x "$IAR" ] || { echo "synth bench: $IAR not found (run make first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "synth bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

run() { # threads -> "wall user sys" of the fastest of REPEAT runs
    best=""
    i=0
    while [ $i -lt "$REPEAT" ]; do
        rm -rf "$OUT"
        /usr/bin/time -f "%e %U %S" -o "$OUT.time" "$IAR" synth --out "$OUT" --n "$N" --size "$SIZE" --seed 1 \
            --style "$STYLE" --threads "$1" 2>/dev/null
        t=$(cat "$OUT.time")
        if [ -z "$best" ] || [ "$(echo "$t $best" | awk '{print ($1 < $4)}')" = 1 ]; then best=$t; fi
        i=$((i + 1))
    done
    echo "$best"
}

echo "iar synth: $N samples at ${SIZE}px, style $STYLE, best of $REPEAT; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
one=$(run 1)
two=$(run 2)
bytes=$(du -sk "$OUT" | cut -f1)
rm -rf "$OUT" "$OUT.time"
echo "$one $two" | awk -v n="$N" -v kb="$bytes" '{
    r1 = n / $1; r2 = n / $4;
    printf "1 thread : %6.1f samples/s  (wall %.2f s, cpu %.1f ms/sample)\n", r1, $1, 1000 * ($2 + $3) / n;
    printf "2 threads: %6.1f samples/s  (wall %.2f s, cpu %.1f ms/sample)\n", r2, $4, 1000 * ($5 + $6) / n;
    printf "scaling  : %.2fx\n", r2 / r1;
    printf "output   : %.1f KiB/sample (5 images)\n", kb / n;
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/bin/sh
# tower_seeds.sh MODEL_DIR... — the vision towers of several training seeds scored alone on the same
# fresh test sets (400 drawn samples of seed 2; with STYLES="render photo", also 400 photo-style ones
# of seed 3), one column per model folder, then mean ± sd over them: the towers' seed spread.
# A model folder holds tower/ and product_tower/ (models/iar-small, or the OUT of tools/train_model.sh):
#   SEED=2 WORK=runs/seed2 OUT=runs/seed2/out tools/train_model.sh      # and SEED=3 (resumable, ~8 h each on 1 core)
#   bench/tower_seeds.sh models/iar-small runs/seed2/out runs/seed3/out
# Environment: IAR (binary), N (samples, default 400), STYLES (default "render"), THREADS.
set -eu
IAR=${IAR:-build/iar}
N=${N:-400}
[ $# -ge 1 ] || { echo "usage: bench/tower_seeds.sh MODEL_DIR..." >&2; exit 2; }
T=${TMPDIR:-/tmp}/iar-tower-seeds
mkdir -p "$T"
for style in ${STYLES:-render}; do
    seed=2; [ "$style" = render ] || seed=3
    i=0
    for dir in "$@"; do
        i=$((i + 1))
        [ -d "$dir/tower" ] && [ -d "$dir/product_tower" ] || { echo "$dir: no tower/ and product_tower/" >&2; exit 1; }
        "$IAR" train vision --out "$dir/tower" --evaluate --product "$dir/product_tower" --val-seed "$seed" \
            --val-samples "$N" --style "$style" ${THREADS:+--threads $THREADS} > "$T/$style-$i.md"
    done
    echo "### $style, $N samples (seed $seed): per candidate / exact ×100"
    echo
    printf '| split |'; for dir in "$@"; do printf ' %s |' "$dir"; done; echo ' mean ± sd |'
    printf '|---|'; for dir in "$@"; do printf '%s' '---:|'; done; printf '%s\n' '---:|'
    for split in overall deformation lighting placement extension easy medium hard; do
        printf '| %s |' "$split"
        for k in $(seq 1 $#); do
            awk -F'|' -v s="$split" '$2 ~ "^ " s " $" {gsub(/ /, "", $4); gsub(/ /, "", $5); printf " %s / %s |", $4, $5}' \
                "$T/$style-$k.md"
        done
        for k in $(seq 1 $#); do awk -F'|' -v s="$split" '$2 ~ "^ " s " $" {print $4, $5}' "$T/$style-$k.md"; done |
            awk '{a += $1; aa += $1 * $1; e += $2; ee += $2 * $2; n++}
                 END {va = n > 1 ? (aa - a * a / n) / (n - 1) : 0; ve = n > 1 ? (ee - e * e / n) / (n - 1) : 0;
                      printf " %.3f ± %.3f / %.1f ± %.1f |\n", a / n, sqrt(va > 0 ? va : 0), e / n, sqrt(ve > 0 ? ve : 0)}'
    done
    echo
done

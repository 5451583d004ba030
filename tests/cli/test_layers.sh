#!/bin/sh
# test_layers.sh — the folders of src/ are layers (docs/ARCHITECTURE.md); a file may include its own
# folder, a folder on its layer, or a layer below, never one above:
#   0 core   1 image, text   2 data   3 synth, model, cuda   4 screen   5 train, eval, serve   6 cli
# Fails naming every include that reaches up, and every folder this table does not know.
set -u
cd "$(dirname "$0")/../.."
layer() {
    case "$1" in
    core) echo 0 ;; image | text) echo 1 ;; data) echo 2 ;; synth | model | cuda) echo 3 ;;
    screen) echo 4 ;; train | eval | serve) echo 5 ;; cli) echo 6 ;; *) echo "" ;;
    esac
}
fails=0
for dir in src/*/; do
    folder=$(basename "$dir")
    own=$(layer "$folder")
    if [ -z "$own" ]; then echo "FAIL: src/$folder is not in the layer table (tests/cli/test_layers.sh, docs/ARCHITECTURE.md)"; fails=$((fails+1)); continue; fi
    for file in "$dir"*; do
        case "$file" in *.c | *.h | *.cu | *.cuh) ;; *) continue ;; esac
        for target in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*/\1/p' "$file" | sort -u); do
            other=$(layer "$target")
            [ -n "$other" ] || continue # a file beside it in another tree (e.g. tests' support/)
            if [ "$other" -gt "$own" ]; then
                echo "FAIL: $file (src/$folder, layer $own) includes $target/ (layer $other)"
                grep -n "#[[:space:]]*include[[:space:]]*\"$target/" "$file" | sed 's/^/    /'
                fails=$((fails+1))
            fi
        done
    done
done
[ $fails -eq 0 ] && echo "ok: no folder includes a layer above it" || { echo "$fails include(s) reach up"; exit 1; }

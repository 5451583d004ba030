#!/bin/sh
# fetch_realset_photos.sh [DIR] — fetches the photographs of the real-photo check set
# (bench/realset.sh): files of the same pinned Debian packages as tools/fetch_photos.sh (which does
# the fetching, with its pins and sha256 checks, given this list) that it does NOT copy by default,
# so no crop of them is ever training material for `iar synth --style photo|mix`. Writes DIR/
# MANIFEST.tsv in fetch_photos.sh's format and SHA256SUMS. DIR: $IAR_REALSET_PHOTOS, else
# ~/.cache/iar/realset-photos. Sources and licences: docs/PHOTOS.md. Safe to re-run.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-${IAR_REALSET_PHOTOS:-${XDG_CACHE_HOME:-$HOME/.cache}/iar/realset-photos}}

# package | path inside the package | name in DIR | roles | usable rows (fractions)
M=usr/share/backgrounds/mate/nature
R=usr/share/mypaint/backgrounds/ramon
K=usr/share/mypaint/backgrounds/mrmamurk
PHOTOS="plasma-workspace-wallpapers|usr/share/wallpapers/ColdRipple/contents/images/1280x800.jpg|real-fog.jpg|wall|0|0.5
plasma-workspace-wallpapers|usr/share/wallpapers/ColdRipple/contents/images/1280x800.jpg|real-planks.jpg|surface|0.62|1
mate-backgrounds|$M/Blinds.jpg|real-leaf-veins.jpg|wall|0|1
mate-backgrounds|$M/FreshFlower.jpg|real-flower.jpg|wall|0|1
mate-backgrounds|$M/LadyBird.jpg|real-ladybird.jpg|wall|0|1
lomiri-wallpapers-20.04|usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg|real-night-sea.jpg|wall|0|1
mypaint-data-extras|$R/HR_SketchPaper.png|real-sketch-paper.png|surface,wall|0|1
mypaint-data-extras|$R/HR_SketchPaper 02.png|real-sketch-paper-2.png|surface|0|1
mypaint-data-extras|$R/HR_Canvas 02.png|real-canvas-2.png|surface,wall|0|1
mypaint-data-extras|$R/HR_PastelPaper 02.png|real-pastel-paper-2.png|surface,wall|0|1
mypaint-data-extras|$K/mamurk_a_1.png|real-mamurk-a1.png|surface|0|1
mypaint-data-extras|$K/mamurk_b_1.png|real-mamurk-b1.png|surface,wall|0|1
mypaint-data-extras|$K/mamurk_c_3.png|real-mamurk-c3.png|wall|0|1
mypaint-data-extras|$K/mamurk_f_1.png|real-mamurk-f1.png|surface|0|1"

export IAR_PHOTO_LIST="$PHOTOS"
exec "$HERE/fetch_photos.sh" "$DIR"

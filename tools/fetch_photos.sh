#!/bin/sh
# fetch_photos.sh [DIR] — fetches the photographs that `iar synth --style photo|mix` uses as scene
# material: pinned Debian packages (apt-get download, sha256-checked, dpkg-deb -x), the listed files
# copied into DIR with a MANIFEST.tsv (file, roles, usable row band, package, licence) and
# SHA256SUMS. Nothing goes into the git tree. DIR: $IAR_PHOTOS, else ~/.cache/iar/photos.
# Sources and licences: docs/PHOTOS.md. Safe to re-run: an intact DIR is left as it is.
set -eu
DIR=${1:-${IAR_PHOTOS:-${XDG_CACHE_HOME:-$HOME/.cache}/iar/photos}}

# package version sha256-of-the-.deb licence
PACKAGES="mate-backgrounds 1.26.0-1 7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04 GPL-2+
plasma-workspace-wallpapers 4:5.27.5-2 32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b GPL-2+
lomiri-wallpapers-20.04 20.04.0-2 d44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709 CC-BY-SA-3.0
mypaint-data-extras 2.0.1-9 9d5971baa5eb411309940ea2cfe11aa7f6ec2c39e7f9ecd2bbef81fc6404b1d1 CC0-1.0"

# package | path inside the package | name in DIR | roles | usable rows (fractions)
M=usr/share/backgrounds/mate/nature
K=usr/share/wallpapers
R=usr/share/mypaint/backgrounds/ramon
# IAR_PHOTO_LIST replaces this list (tools/fetch_realset_photos.sh: the held-out check-set photographs)
PHOTOS=${IAR_PHOTO_LIST:-}
[ -n "$PHOTOS" ] || PHOTOS="mate-backgrounds|$M/Wood.jpg|mate-wood.jpg|surface,wall|0|1
mate-backgrounds|$M/Dune.jpg|mate-dune.jpg|wall|0|1
mate-backgrounds|$M/Aqua.jpg|mate-aqua.jpg|wall|0|1
mate-backgrounds|$M/GreenMeadow.jpg|mate-meadow.jpg|wall|0|1
mate-backgrounds|$M/RainDrops.jpg|mate-raindrops.jpg|wall|0|1
mate-backgrounds|$M/Storm.jpg|mate-storm.jpg|wall|0|0.7
mate-backgrounds|$M/TwoWings.jpg|mate-leaf.jpg|wall|0|1
mate-backgrounds|$M/Garden.jpg|mate-garden.jpg|wall|0|1
mate-backgrounds|$M/YellowFlower.jpg|mate-flower.jpg|wall|0|1
plasma-workspace-wallpapers|$K/BytheWater/contents/images/1280x800.jpg|kde-jetty.jpg|surface|0.5|1
plasma-workspace-wallpapers|$K/Grey/contents/images/1280x800.jpg|kde-grey-jetty.jpg|surface|0.55|1
plasma-workspace-wallpapers|$K/DarkestHour/contents/images/1280x800.jpg|kde-dusk.jpg|wall|0|1
plasma-workspace-wallpapers|$K/EveningGlow/contents/images/1280x800.jpg|kde-boats.jpg|wall|0|0.6
plasma-workspace-wallpapers|$K/FallenLeaf/contents/images/1280x800.jpg|kde-leaf.jpg|surface,wall|0.2|1
plasma-workspace-wallpapers|$K/ColorfulCups/contents/images/2560x1600.jpg|kde-cups.jpg|wall|0|1
plasma-workspace-wallpapers|$K/OneStandsOut/contents/images/1280x800.jpg|kde-moss.jpg|surface|0|1
plasma-workspace-wallpapers|$K/Path/contents/images/1280x800.jpg|kde-forest.jpg|wall|0|1
plasma-workspace-wallpapers|$K/Volna/contents/images/5120x2880.jpg|kde-beach.jpg|surface|0|1
plasma-workspace-wallpapers|$K/summer_1am/contents/images/1280x800.jpg|kde-lake.jpg|wall|0|1
plasma-workspace-wallpapers|$K/Kite/contents/images/1280x800.jpg|kde-sky.jpg|wall|0|1
plasma-workspace-wallpapers|$K/Flow/contents/images/5120x2880.jpg|kde-facade.jpg|wall|0|1
lomiri-wallpapers-20.04|usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg|lomiri-bark.jpg|wall|0|1
mypaint-data-extras|$R/HR_Cork.png|mypaint-cork.png|surface,wall|0|1
mypaint-data-extras|$R/HR_Canvas 01.png|mypaint-canvas.png|surface,wall|0|1
mypaint-data-extras|$R/HR_RoughPaper.png|mypaint-rough-paper.png|wall|0|1
mypaint-data-extras|$R/HR_PastelPaper 01.png|mypaint-pastel-paper.png|wall|0|1
mypaint-data-extras|$R/HR_DecoPaper.png|mypaint-deco-paper.png|wall|0|1
mypaint-data-extras|$R/HR_WaterColor.png|mypaint-watercolour-paper.png|surface,wall|0|1"

say() { echo "fetch_photos: $*" >&2; }

if [ -f "$DIR/MANIFEST.tsv" ] && [ -f "$DIR/SHA256SUMS" ] && (cd "$DIR" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    say "$DIR is complete ($(grep -vc '^#' "$DIR/MANIFEST.tsv") photographs)"
    exit 0
fi
for tool in apt-get dpkg-deb sha256sum; do
    command -v $tool >/dev/null 2>&1 || { say "needs $tool (a Debian system)"; exit 1; }
done
mkdir -p "$DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/iar-photos.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "$PACKAGES" | while read -r package version sha licence; do
    (cd "$WORK" && apt-get download -q "$package=$version" >/dev/null 2>"$WORK/apt.log") || {
        say "cannot download $package=$version ($(tail -1 "$WORK/apt.log")); offline? Photographs are only needed for iar synth --style photo or mix; the render style works without them."
        exit 1
    }
    deb=$(ls "$WORK"/"$package"_*.deb)
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || { say "$package: sha256 $got, expected $sha; refusing it"; exit 1; }
    mkdir -p "$WORK/x/$package"
    dpkg-deb -x "$deb" "$WORK/x/$package"
    rm -f "$deb"
done
{
    echo "# file	roles	row_from	row_to	package	licence — written by tools/fetch_photos.sh; see docs/PHOTOS.md"
    echo "$PHOTOS" | while IFS='|' read -r package path name roles y0 y1; do
        licence=$(echo "$PACKAGES" | awk -v p="$package" '$1 == p {print $4}')
        cp "$WORK/x/$package/$path" "$DIR/$name"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$roles" "$y0" "$y1" "$package" "$licence"
    done
} > "$DIR/MANIFEST.tsv.partial"
(cd "$DIR" && grep -v '^#' MANIFEST.tsv.partial | cut -f1 | xargs -d '\n' sha256sum > SHA256SUMS)
mv "$DIR/MANIFEST.tsv.partial" "$DIR/MANIFEST.tsv"
say "wrote $(grep -vc '^#' "$DIR/MANIFEST.tsv") photographs to $DIR"

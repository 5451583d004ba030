#!/bin/sh
# bootstrap.sh — installs the Debian packages iar needs that are missing (when root), or prints the
# exact apt-get line to run (otherwise). Called by `make test` and `make demo`.
#   tools/bootstrap.sh            build + test packages
#   tools/bootstrap.sh --reference  also python3-torch (for `make reference` and bench comparisons)
#   tools/bootstrap.sh --photos     also the photographs of `iar synth --style photo` (tools/fetch_photos.sh)
set -e
if [ "${1:-}" = "--photos" ]; then "$(dirname "$0")/bootstrap.sh" && exec "$(dirname "$0")/fetch_photos.sh"; fi
PACKAGES="build-essential pkg-config libcairo2-dev libfontconfig-dev libpng-dev libjpeg-dev libcjson-dev \
libcurl4-openssl-dev libssl-dev libmicrohttpd-dev libopenblas-dev libopenblas0-pthread libcmocka-dev libsqlite3-dev \
fonts-dejavu-core libopenmpi-dev openmpi-bin chromium nodejs npm python3"
if [ "$1" = "--reference" ]; then PACKAGES="$PACKAGES python3-torch python3-numpy"; fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
# Node.js may come from elsewhere than Debian; it is fine if `node` and `npm` already run.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | sed -e 's/ nodejs//' -e 's/ npm//')
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ]; then
    echo "bootstrap: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "bootstrap: missing Debian packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

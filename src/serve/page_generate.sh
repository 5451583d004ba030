#!/bin/sh
# page_generate.sh — turns src/serve/page.html into src/serve/page.c (the page embedded in the
# binary, one C string literal per line so it stays readable). Run after editing page.html:
#   sh src/serve/page_generate.sh
# tests/test_serve.c checks that page.c is up to date; tests/test_serve_clients.c drives the page in
# headless Chromium.
dir=$(dirname "$0")
{
    echo "// page.c — GENERATED from page.html by page_generate.sh; edit page.html and rerun the script."
    echo "// The offline web page served at GET /: pick or drop five images, Screen, see the verdict."
    echo '#include "serve/page.h"'
    echo
    echo "const char SERVE_PAGE_HTML[] ="
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' -e 's/??/?\\?/g' "$dir/page.html"
    echo "    ;"
} > "$dir/page.c"

#!/bin/sh
# test_install.sh — `make install` into a staging folder (DESTDIR): the binary, LICENSE and docs
# land under PREFIX; `iar --version` names the git revision; the installed binary finds a model in
# PREFIX/share/iar/models/iar-small without --model or $IAR_MODEL (the shipped-model path), and
# $IAR_MODEL wins over it.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$IAR")" && pwd)
TMP=${IAR_TEST_TMP:-/tmp}/install-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$IAR" --version > "$TMP/version.txt" || fail "iar --version exited non-zero"
grep -Eq '^iar [0-9a-f]{7}|^iar v?[0-9]' "$TMP/version.txt" || fail "iar --version: $(cat "$TMP/version.txt")"
# the version and PREFIX the binary was built with, so nothing is rebuilt (a relink with other flags,
# say without the sanitizers of `make test-asan`, would break the binary the other tests use);
# DESTDIR stages the install elsewhere
prefix=$(sed -n 's/.* prefix //p' "$BUILD/build-info.txt" 2>/dev/null)
version=$(sed -n 's/^version \(.*\) prefix .*/\1/p' "$BUILD/build-info.txt" 2>/dev/null)
make -s -C "$ROOT" BUILD="$BUILD" PREFIX="${prefix:-/usr/local}" IAR_VERSION="${version:-unknown}" DESTDIR="$TMP/stage" \
    install > "$TMP/make.txt" 2>&1 \
    || { cat "$TMP/make.txt"; fail "make install failed"; }
P="$TMP/stage${prefix:-/usr/local}"
[ -x "$P/bin/iar" ] || fail "no bin/iar"
[ -f "$P/share/doc/iar/LICENSE" ] && grep -q "MIT License" "$P/share/doc/iar/LICENSE" || fail "no MIT LICENSE installed"

# a model where the shipped one goes: a tiny checkpoint trained in seconds
mkdir -p "$TMP/d/img"
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
for i in 1 2 3 4 5 6; do
    printf '{"id":"s%s","dimension":"lighting","original":"img/o.png","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":["B"]}\n' "$i"
done > "$TMP/d/data.jsonl"
"$IAR" train sft --data "$TMP/d/data.jsonl" --out "$TMP/ck" --config tiny --steps 1 --batch 2 --val-fraction 0.2 \
    --threads 1 --peak-gflops 10 > "$TMP/train.txt" 2>&1 || { cat "$TMP/train.txt"; fail "tiny sft failed"; }
[ -d "$P/share/iar/models/iar-small" ] || cp -r "$TMP/ck" "$P/share/iar/models/iar-small"
I="$TMP/d/img"
IAR_MODEL= "$P/bin/iar" screen "$I/o.png" "$I/a.png" "$I/b.png" "$I/c.png" "$I/d.png" --dimension lighting --json \
    > "$TMP/out.json" 2>"$TMP/err.txt" || { cat "$TMP/err.txt"; fail "the installed iar did not find its model"; }
grep -q 'share/iar/models/iar-small' "$TMP/out.json" || fail "not the installed model: $(head -c 200 "$TMP/out.json")"
IAR_MODEL="$TMP/ck" "$P/bin/iar" screen "$I/o.png" "$I/a.png" "$I/b.png" "$I/c.png" "$I/d.png" --dimension lighting --json \
    > "$TMP/out.json" 2>&1 || fail "IAR_MODEL run failed"
grep -q "\"model\":\"$TMP/ck\"" "$TMP/out.json" || fail "IAR_MODEL did not win over the installed model"

[ $fails -eq 0 ] && rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

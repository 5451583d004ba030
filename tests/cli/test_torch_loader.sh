#!/bin/sh
# test_torch_loader.sh — tools/iar_torch.py runs the shipped model in PyTorch and agrees with
# `iar screen`: on one generated sample and on a letterboxed set (non-square, RGBA, upscaled,
# interlaced PNGs), all four dimensions give the identical completion text, the same token counts,
# and the tower's P(flawed) per candidate within the CLI's 3-decimal rounding. Skips where
# /usr/bin/python3 cannot import torch (tools/bootstrap.sh --reference installs python3-torch).
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
MODEL="$ROOT/models/iar-small"
if ! [ -x "$PY" ] || ! "$PY" -c "import torch, numpy" 2>/dev/null; then
    echo "skipped: $PY cannot import torch and numpy (tools/bootstrap.sh --reference installs them)"
    exit 0
fi
TMP=${IAR_TEST_TMP:-/tmp}/torch-loader-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$IAR" synth --out "$TMP/d" --n 1 --seed 3 --size 256 --style render --threads 1 > "$TMP/synth.txt" 2>&1 \
    || { cat "$TMP/synth.txt"; fail "iar synth failed"; exit 1; }
I="$TMP/d/img/s000000"

# The letterboxed set, written with the PNG features the loader decodes itself: a 250x180 crop
# (fractional box filter), an RGBA one (alpha over white), an 86x60 one (bilinear upscale), Adam7.
"$PY" - "$ROOT/tools" "$I" "$TMP" <<'PY' || fail "could not write the letterboxed set"
import struct, sys, zlib
import numpy as np
sys.path.insert(0, sys.argv[1])
import iar_image

def write_png(path, pixels, interlace=0):
    h, w, c = pixels.shape
    passes = iar_image.ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b"".join(b"\0" + row.tobytes() for x0, y0, dx, dy in passes for row in pixels[y0::dy, x0::dx]
                   if pixels[y0::dy, x0::dx].size)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body
                                + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    header = struct.pack(">IIBBBBB", w, h, 8, 6 if c == 4 else 2, 0, 0, interlace)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))

prefix, out = sys.argv[2], sys.argv[3]
load = lambda name: iar_image.image_load(f"{prefix}_{name}.png")
write_png(f"{out}/wide.png", load("o")[10:190, 3:253])
a = load("a")[20:236, 40:200]
alpha = (np.arange(a.shape[1])[None, :] * 3 + np.arange(a.shape[0])[:, None]) % 256
write_png(f"{out}/tall_rgba.png", np.concatenate([a, alpha[..., None].astype(np.uint8)], axis=2))
write_png(f"{out}/small.png", load("b")[::3, ::3][:60, :86], interlace=1)
PY

compare() { # NAME ORIGINAL A B C D
    name=$1; shift
    "$IAR" screen --json --dimension all "$@" --model "$MODEL" > "$TMP/$name.c.json" 2> "$TMP/$name.c.err" \
        || { cat "$TMP/$name.c.err"; fail "$name: iar screen failed"; return; }
    "$PY" "$ROOT/tools/iar_torch.py" "$MODEL" "$@" --json > "$TMP/$name.py.json" 2> "$TMP/$name.py.err" \
        || { cat "$TMP/$name.py.err"; fail "$name: tools/iar_torch.py failed"; return; }
    "$PY" - "$TMP/$name.c.json" "$TMP/$name.py.json" "$name" <<'PY' \
        || fail "$name: the PyTorch loader disagrees with iar screen"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))["results"]
py = json.load(open(sys.argv[2], encoding="utf-8"))["results"]
assert [r["dimension"] for r in c] == [r["dimension"] for r in py], (c, py)
for a, b in zip(c, py):
    print(f"{sys.argv[3]} {a['dimension']:12s} C:     {a['text']}\n{'':25s}torch: {b['text']}")
    for key in ("text", "prompt_tokens", "completion_tokens", "truncated"):
        assert a[key] == b[key], f"{a['dimension']}: {key} differs: {a[key]!r} vs {b[key]!r}"
    # the CLI rounds P(flawed) to 3 decimals
    worst = max(abs(a["evidence"][k] - b["evidence"][k]) for k in "ABCD")
    print(f"{'':25s}evidence max difference {worst:.1e}")
    assert worst <= 6e-4, (a["evidence"], b["evidence"])
PY
}
compare sample "$I"_o.png "$I"_a.png "$I"_b.png "$I"_c.png "$I"_d.png
compare letterboxed "$TMP/wide.png" "$TMP/tall_rgba.png" "$TMP/small.png" "$I"_c.png "$I"_d.png

# the prepared tensor round-trips: --save-images then --images-f32 gives the same reply
"$PY" "$ROOT/tools/iar_torch.py" "$MODEL" "$I"_o.png "$I"_a.png "$I"_b.png "$I"_c.png "$I"_d.png --dimension lighting \
    --save-images "$TMP/images.f32" > "$TMP/files.txt" 2>&1 || fail "--save-images failed"
"$PY" "$ROOT/tools/iar_torch.py" "$MODEL" --images-f32 "$TMP/images.f32" --dimension lighting > "$TMP/tensor.txt" 2>&1 \
    || fail "--images-f32 failed"
cmp -s "$TMP/files.txt" "$TMP/tensor.txt" || fail "--images-f32 does not give the reply of the image files"
"$PY" "$ROOT/tools/iar_torch.py" "$MODEL" "$I"_o.png "$I"_a.png > /dev/null 2>&1 && fail "two images accepted"

if [ $fails -ne 0 ]; then echo "$fails failure(s); files in $TMP"; exit 1; fi
rm -rf "$TMP"
echo "ok: tools/iar_torch.py matches iar screen"

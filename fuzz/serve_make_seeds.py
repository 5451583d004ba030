#!/usr/bin/env python3
"""serve_make_seeds.py OUT_DIR — seed corpus for serve_fuzz_request: valid and near-valid bodies of
both routes with tiny PNG images (written with zlib only, no imaging library)."""
import base64, json, os, struct, sys, zlib

def png(width, height, level):
    raw = b"".join(b"\x00" + bytes([level]) * (3 * width) for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def url(level, size=4):
    return "data:image/png;base64," + base64.b64encode(png(size, size, level)).decode()

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
images = [url(128), url(128), url(200), url(128), url(40)]
parts = [{"type": "text", "text": "Check Physical Lighting and Shadow."}] + \
        [{"type": "image_url", "image_url": {"url": u}} for u in images]
seeds = {
    "chat": b"\x01" + json.dumps({"model": "iar", "messages": [{"role": "user", "content": parts}],
                                  "max_tokens": 32, "stream": True, "stream_options": {"include_usage": True}}).encode(),
    "chat_string": b"\x01" + json.dumps({"messages": [{"role": "system", "content": "x"},
                                                      {"role": "user", "content": parts[:3]}], "n": 2}).encode(),
    "screen": b"\x00" + json.dumps({"original": images[0], "candidates": images[1:], "dimension": "lighting",
                                    "seed": 3}).encode(),
    "screen_bare": b"\x00" + json.dumps({"original": images[0].split(",")[1], "candidates": images[1:],
                                         "question": "q"}).encode(),
    "screen_remote": b"\x00" + json.dumps({"original": "https://x/y.png", "candidates": images[1:]}).encode(),
}

def form(fields):
    """A multipart/form-data body with boundary b0 (as the harness declares it)."""
    body = b"preamble\r\n"
    for name, value in fields:
        file = isinstance(value, bytes) and value.startswith(b"\x89PNG")
        body += b"--b0\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\""
        body += (b"; filename=\"" + name.encode() + b".png\"\r\nContent-Type: image/png" if file else b"") + b"\r\n\r\n"
        body += value + b"\r\n"
    return body + b"--b0--\r\n"

pngs = [png(4, 4, level) for level in (128, 128, 200, 128, 40)]
seeds["form"] = b"\x02" + form(list(zip(["original", "a", "b", "c", "d"], pngs)) + [("dimension", b"lighting"), ("seed", b"3")])
seeds["form_candidates"] = b"\x02" + form([("original", pngs[0])] + [("candidates", p) for p in pngs[1:]])
seeds["form_missing"] = b"\x02" + form(list(zip(["original", "a", "b"], pngs)))
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

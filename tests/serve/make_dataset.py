#!/usr/bin/env python3
"""make_dataset.py OUT_DIR N — a tiny screening dataset (DESIGN §3) for the serve tests when
`iar synth` is not available: 32x32 PNGs (zlib only) of a box on a table; flawed candidates have
the box shifted or recoloured. Writes OUT_DIR/data.jsonl and OUT_DIR/img/*.png."""
import json, os, struct, sys, zlib

DIMENSIONS = ["deformation", "lighting", "placement", "extension"]

def png(pixels, size):
    raw = b"".join(b"\x00" + bytes(pixels[y * size * 3:(y + 1) * size * 3]) for y in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def scene(size, box_x, box_colour, seed):
    pixels = []
    for y in range(size):
        for x in range(size):
            if y > size * 2 // 3:
                colour = (120 + (x * 3 + seed) % 20, 90, 60)          # table
            elif box_x <= x < box_x + 8 and size // 3 <= y <= size * 2 // 3:
                colour = box_colour                                     # product
            else:
                colour = (200, 210, 220 - (y * 2 + seed) % 30)          # wall
            pixels.extend(colour)
    return png(pixels, size)

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(out, "img"), exist_ok=True)
with open(os.path.join(out, "data.jsonl"), "w") as jsonl:
    for i in range(n):
        sid = "t%03d" % i
        flawed = [(i >> k) & 1 for k in range(4)]
        if not any(flawed):
            flawed[i % 4] = 1
        if all(flawed):
            flawed[(i + 1) % 4] = 0
        names = []
        for k, label in enumerate(["o", "a", "b", "c", "d"]):
            bad = k > 0 and flawed[k - 1]
            data = scene(32, 12 + (9 if bad and i % 2 else 0), (230, 40, 40) if not (bad and i % 2 == 0) else (40, 40, 230), i)
            name = "img/%s_%s.png" % (sid, label)
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
            names.append(name)
        answer = [chr(65 + k) for k in range(4) if flawed[k]]
        jsonl.write(json.dumps({"id": sid, "dimension": DIMENSIONS[i % 4], "original": names[0], "candidates": names[1:],
                                "answer": answer,
                                "rationale": "<think>compare each candidate with the original</think><answer>%s</answer>"
                                             % ", ".join(answer)}) + "\n")

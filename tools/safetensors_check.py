#!/usr/bin/python3
"""safetensors_check.py FILE [FILE2] — reads a model.safetensors with json + numpy the way the
Hugging Face `safetensors` library does (Debian 12 does not package it) and checks what the library
checks: header length, a JSON object header, F32 dtype, data_offsets contiguous in order, covering
the whole data section, shapes matching the byte counts, and metadata values that are strings.
Prints one line per tensor (shape, mean, std). With FILE2, also checks both hold the same tensors
and reports the largest difference. Exits non-zero on any problem.
"""
import json
import struct
import sys

import numpy as np


def read(path):
    data = open(path, "rb").read()
    if len(data) < 8:
        sys.exit(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        sys.exit(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        sys.exit(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in meta.values()):
        sys.exit(f"{path}: __metadata__ values must be strings")
    body = data[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = info["data_offsets"]
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name}: dtype {info['dtype']}, expected F32")
        if begin != end:
            sys.exit(f"{path}: {name}: data_offsets start at {begin}, previous tensor ended at {end} (holes are invalid)")
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        if stop - begin != 4 * count:
            sys.exit(f"{path}: {name}: {stop - begin} bytes for shape {info['shape']}")
        tensors[name] = np.frombuffer(body[begin:stop], dtype="<f4").reshape(info["shape"])
        end = stop
    if end != len(body):
        sys.exit(f"{path}: data section has {len(body)} bytes, tensors cover {end}")
    return meta, tensors


def main(argv):
    if len(argv) not in (1, 2):
        sys.exit(__doc__)
    meta, tensors = read(argv[0])
    print(f"{argv[0]}: metadata {meta}, {len(tensors)} tensors, {sum(t.size for t in tensors.values())} floats")
    for name, t in tensors.items():
        print(f"  {name:40s} {str(list(t.shape)):18s} mean {t.mean():+.4f} std {t.std():.4f}")
    if len(argv) == 2:
        _, other = read(argv[1])
        if set(other) != set(tensors):
            sys.exit("the two files hold different tensor names")
        worst = max(float(np.abs(tensors[k] - other[k]).max()) for k in tensors)
        print(f"max abs difference between the files: {worst:.3g}")


if __name__ == "__main__":
    main(sys.argv[1:])

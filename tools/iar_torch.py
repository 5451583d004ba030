#!/usr/bin/python3
"""iar_torch.py — runs an iar model folder (models/iar-small, or any `iar train` checkpoint) in PyTorch.

    /usr/bin/python3 tools/iar_torch.py MODEL_DIR ORIGINAL A B C D [--dimension NAME|all] [--json]
        [--max-tokens N] [--logits] [--images-f32 FILE] [--save-images FILE]

Prints, per dimension, the greedy `<think>…</think><answer>…</answer>` completion — the text
`iar screen MODEL_DIR …` prints for the same images — and the per-candidate evidence (the tower's
P(flawed), or the candidate head's). --json writes one object shaped like `iar screen --json`'s
"results" (text, evidence, token counts, truncated), plus each generated token's log-prob and, with
--logits, the full first-step logits.

Nothing here re-implements the network: the transformer is tools/reference_model.py's
sequence_forward and the tower tools/reference_tower.py's tower_forward (the PyTorch oracles the C
tests compare against); this file adds what a checkpoint needs around them:

- model.safetensors, read with json + numpy (tools/safetensors_check.py's reader; Debian 12 has no
  python3-safetensors), and config.json, refused when its format_version is not 1;
- tokenizer.json: the byte-level BPE of src/text/tokenizer.c (pre-split into chunks, lowest-rank
  merge first inside each chunk);
- the images: tools/iar_image.py reproduces model_prepare_images bit for bit (PNG natively, JPEG
  with Pillow), or --images-f32 reads the (5, 3, S, S) little-endian float32 tensor directly;
- the vision tower's features under the language model (src/model/model_vision.c) and greedy
  decoding (src/model/generate.c at temperature 0: argmax, lowest id on ties, stop after <eos> or
  when the next token would fall past max_text_len). Sampling (temperature > 0) is not provided.

As a module (tools/ on sys.path): `m = IarModel("models/iar-small"); m.screen(images, dimension)`.
Needs Debian's python3-torch and python3-numpy (tools/bootstrap.sh --reference).
"""
import argparse
import json
import os
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    sys.exit(f"iar_torch.py: {e}; install Debian's python3-torch and python3-numpy "
             "(tools/bootstrap.sh --reference) and run it with /usr/bin/python3")

import iar_image
import reference_model
import reference_tower
from reference_model import IMAGES, sequence_forward, stem_forward
from reference_tower import tower_forward, token_side
from safetensors_check import read as read_safetensors

FORMAT_VERSION = 1  # config.json's format_version this file reads (MODEL_FORMAT_VERSION)
TOKEN_BOS, TOKEN_EOS, TOKEN_FIRST_BYTE = 1, 2, 3
DIMENSIONS = ["deformation", "lighting", "placement", "extension"]  # DIMENSION_IDS in src/data/sample.c
CANDIDATES = "ABCD"
CHUNK_MAX = 64


class Tokenizer:
    """tokenizer.json: ids 0 <pad>, 1 <bos>, 2 <eos>, 3..258 the bytes, then one id per merge."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            t = json.load(f)
        if t.get("format") != "iar-bpe":
            raise ValueError(f'{path}: not an iar tokenizer ("format" is not "iar-bpe")')
        if t.get("version") != 1:
            raise ValueError(f"{path}: tokenizer v{t.get('version')}, this tool reads v1")
        if t.get("pretokenizer") not in ("iar-chunks-v1", "iar-phrases-v1"):
            raise ValueError(f"{path}: unknown pretokenizer {t.get('pretokenizer')!r}")
        self.phrases = t["pretokenizer"] == "iar-phrases-v1"
        self.ranks = {}
        self.bytes = [b""] * TOKEN_FIRST_BYTE + [bytes([b]) for b in range(256)]
        for rank, (left, right) in enumerate(t["merges"]):
            self.ranks[(left, right)] = rank
            self.bytes.append(self.bytes[left] + self.bytes[right])
        self.vocab_size = len(self.bytes)
        if t.get("vocab_size") != self.vocab_size:
            raise ValueError(f'{path}: "vocab_size" does not match the number of merges')

    def chunk_length(self, text, at):
        """chunk_length_phrases / chunk_length_words of tokenizer.c, on bytes from `at`."""
        i, n = 0, len(text) - at
        if self.phrases:
            while i < n and i < CHUNK_MAX:
                c = text[at + i]
                if c == ord("<") and i > 0:
                    break
                i += 1
                if c in b".,:;?!>\n":
                    break
            return i

        def kind(c):
            if chr(c).isascii() and chr(c).isalpha() or c >= 128:
                return 1
            if ord("0") <= c <= ord("9"):
                return 2
            return 3 if c in b" \t\n\r\v\f" else 4

        if text[at] == ord(" ") and n > 1 and kind(text[at + 1]) != 3:
            i = 1
        cls, start = kind(text[at + i]), i
        while i < n and kind(text[at + i]) == cls and i - start < CHUNK_MAX:
            if cls == 3 and text[at + i] == ord(" ") and i + 1 < n and kind(text[at + i + 1]) != 3 and i > start:
                break
            i += 1
        return i

    def encode(self, text):
        data, out, at = text.encode("utf-8"), [], 0
        while at < len(data):
            n = self.chunk_length(data, at)
            symbols = [TOKEN_FIRST_BYTE + b for b in data[at:at + n]]
            while len(symbols) > 1:  # the lowest-rank pair, merged at every occurrence left to right
                pairs = [self.ranks.get(pair, -1) for pair in zip(symbols, symbols[1:])]
                ranked = [r for r in pairs if r >= 0]
                if not ranked:
                    break
                best = min(ranked)
                merged, i, pair = [], 0, (symbols[pairs.index(best)], symbols[pairs.index(best) + 1])
                while i < len(symbols):
                    if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                        merged.append(256 + TOKEN_FIRST_BYTE + best)
                        i += 2
                    else:
                        merged.append(symbols[i])
                        i += 1
                symbols = merged
            out += symbols
            at += n
        return out

    def decode(self, ids):
        """Bytes of the ids, special tokens skipped (tokenizer_decode)."""
        return b"".join(self.bytes[i] for i in ids if TOKEN_FIRST_BYTE <= i < self.vocab_size)


def load_config(directory):
    path = os.path.join(directory, "config.json")
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    if c.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format v{c.get('format_version')}, this tool reads v{FORMAT_VERSION}")
    for removed in ("stem_refine", "candidate_max_pool"):  # variants removed from the C model (docs/MODEL.md)
        if c.get(removed):
            raise ValueError(f"{path}: {removed} is no longer supported")
    for key in ("candidate_head", "candidate_pointer", "stem_norm", "vision_tower"):
        c.setdefault(key, 0)  # absent in older checkpoints: off, as model_config_load reads them
    c.setdefault("vision_pool", 1)
    c.setdefault("product_tower", 0)
    return c


PRODUCT_VIEW_MARGIN, PRODUCT_VIEW_MIN_SIDE = 1.4, 16  # src/model/product_view.h


def product_view(cells, grid, size):
    """product_view_from_cells without jitter: the square (x, y, side) around the marked cells."""
    ys, xs = np.nonzero(np.asarray(cells).reshape(grid, grid))
    if len(xs) == 0:
        return 0, 0, size
    cell = size / grid
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    side = int(np.floor(max((x1 - x0) * cell, (y1 - y0) * cell) * PRODUCT_VIEW_MARGIN + 0.5))
    side = min(max(side, PRODUCT_VIEW_MIN_SIDE), size)
    cx, cy = 0.5 * (x0 + x1) * cell, 0.5 * (y0 + y1) * cell
    x, y = int(np.floor(cx - 0.5 * side + 0.5)), int(np.floor(cy - 0.5 * side + 0.5))
    return min(max(x, 0), size - side), min(max(y, 0), size - side), side


def area_matrix(start, side, out_size, size):
    """(out_size, size) weights: output o is the mean of source [start + o·s, start + (o+1)·s)."""
    s, m = side / out_size, np.zeros((out_size, size))
    for o in range(out_size):
        a, b = start + o * s, start + (o + 1) * s
        for j in range(int(np.floor(a)), min(int(np.ceil(b)), size)):
            m[o, j] = max(0.0, min(b, j + 1) - max(a, j)) / s
    return torch.tensor(m, dtype=torch.float32)


def product_view_sample(image, view, out_size):
    """product_view_sample: (3, S, S) -> (3, out, out) by exact area averaging."""
    x, y, side = view
    size = image.shape[-1]
    return area_matrix(y, side, out_size, size) @ image @ area_matrix(x, side, out_size, size).T


class IarModel:
    """A model folder in PyTorch: weights, config and tokenizer, float32 on the CPU."""

    def __init__(self, directory):
        self.directory = directory
        self.config = load_config(directory)
        self.tokenizer = Tokenizer(os.path.join(directory, "tokenizer.json"))
        path = os.path.join(directory, "model.safetensors")
        _, arrays = read_safetensors(path)
        tensors = {name: torch.from_numpy(a.copy()) for name, a in arrays.items()}
        c = self.config
        expected = reference_model.layout(c)
        if c["vision_tower"]:
            tower = dict(c["tower"], image_size=c["image_size"])
            tower_tensors = reference_tower.layout(tower) + reference_tower.buffer_layout(tower)
            expected += [("tower." + n, s) for n, s in tower_tensors]
        if c["product_tower"]:
            product = c["product_tower_config"]
            expected += [("product_tower." + n, s)
                         for n, s in reference_tower.layout(product) + reference_tower.buffer_layout(product)]
        for name, shape in expected:  # what model_load checks: presence and shape of every tensor
            if name not in tensors:
                raise ValueError(f"{path}: no tensor {name} (config.json asks for it)")
            if tuple(tensors[name].shape) != tuple(shape):
                raise ValueError(f"{path}: {name} has shape {list(tensors[name].shape)}, "
                                 f"config.json gives {list(shape)}")
        self.weights = {n: t for n, t in tensors.items() if not n.startswith(("tower.", "product_tower."))}

        def split(prefix):  # a tower's weights and its batch-norm buffers
            tower = {n[len(prefix):]: t for n, t in tensors.items() if n.startswith(prefix)}
            buffers = {n: t for n, t in tower.items() if n.endswith(("running_mean", "running_var"))}
            return {n: t for n, t in tower.items() if n not in buffers}, buffers

        self.tower_weights, self.tower_buffers = split("tower.")
        self.product_weights, self.product_buffers = split("product_tower.")
        if c["vocab_size"] < self.tokenizer.vocab_size:
            raise ValueError(f"{directory}: the model's vocabulary ({c['vocab_size']}) is smaller than "
                             f"tokenizer.json's ({self.tokenizer.vocab_size}): they do not belong together")

    def prompt_tokens(self, dimension):
        """text_prompt_tokens: <bos> + the native prompt of the dimension (-1: any)."""
        name = DIMENSIONS[dimension] if 0 <= dimension < len(DIMENSIONS) else "any"
        return [TOKEN_BOS] + self.tokenizer.encode(f"check {name}: which of A B C D are flawed?")

    def image_tokens(self, images, dimension):
        """images (5, 3, S, S) -> the transformer's image tokens (1, 5, P, D) before the embeddings, and
        the tower's P(flawed) per candidate (None without a tower)."""
        c, w = self.config, self.weights
        images = images[None]
        if not c["vision_tower"]:
            return stem_forward(c, w, images), None
        tower = dict(c["tower"], image_size=c["image_size"])
        parts = {}
        flaw, token, _ = tower_forward(tower, self.tower_weights, self.tower_buffers, images,
                                       torch.tensor([dimension]), training=False, intermediates=parts)
        # model_vision_features: each token a pool×pool block of the tower's — tokens and evidence
        # averaged, the region logit max-pooled; the original's evidence columns stay zero
        side, pool = token_side(tower), c["vision_pool"]
        grid = side // pool

        def blocks(x):  # (1, n, side², K) -> (1, n, grid², pool², K)
            n, k = x.shape[1], x.shape[3]
            x = x.reshape(1, n, grid, pool, grid, pool, k).permute(0, 1, 2, 4, 3, 5, 6)
            return x.reshape(1, n, grid * grid, pool * pool, k)

        tokens = blocks(parts["image_tokens"]).mean(3)
        candidates = torch.cat([blocks(parts["evidence"]).mean(3),
                                flaw[:, :, None, None].expand(1, IMAGES - 1, grid * grid, 1),
                                blocks(token[..., :1]).amax(3)], dim=3)
        probability = torch.sigmoid(flaw[0])
        if c["product_tower"]:  # the product view: one more column, and a deformation row's evidence
            product = c["product_tower_config"]
            V, cells = product["image_size"], (token[0, :, :, 1] > 0).numpy()
            views = [product_view_sample(images[0, 0], (0, 0, c["image_size"]), V)]
            views += [product_view_sample(images[0, 1 + k], product_view(cells[k], product["view_grid"],
                                                                          c["image_size"]), V) for k in range(4)]
            view_flaw, _, _ = tower_forward(product, self.product_weights, self.product_buffers,
                                            torch.stack(views)[None], torch.tensor([dimension]), training=False)
            candidates = torch.cat([candidates, view_flaw[:, :, None, None].expand(1, IMAGES - 1, grid * grid, 1)],
                                   dim=3)
            if dimension == 0:
                probability = torch.sigmoid(view_flaw[0])
        original = torch.zeros(1, 1, grid * grid, candidates.shape[3])
        features = torch.cat([tokens, torch.cat([original, candidates], dim=1)], dim=3)
        projected = torch.nn.functional.linear(features, w["vision.proj.weight"], w["vision.proj.bias"])
        return projected, probability

    @torch.no_grad()
    def screen(self, images, dimension=-1, max_new_tokens=512):
        """Greedy completion for the (5, 3, S, S) float32 images (numpy or torch) and a dimension index
        (-1: unknown). Returns a dict: text, evidence (4 floats or None), prompt_tokens,
        completion_tokens, truncated, tokens, logprobs (each token's, at temperature 1) and
        first_logits (V floats, the distribution of the first completion token)."""
        c = self.config
        images = torch.as_tensor(np.asarray(images, np.float32))
        S = c["image_size"]
        if tuple(images.shape) != (IMAGES, 3, S, S):
            raise ValueError(f"images of shape {tuple(images.shape)}, the model reads {(IMAGES, 3, S, S)}")
        image_tokens, evidence = self.image_tokens(images, dimension)
        prompt = self.prompt_tokens(dimension)
        limit = c["max_text_len"] - len(prompt)  # the last token still needs a position embedding
        if limit <= 0:
            raise ValueError(f"the prompt needs {len(prompt)} tokens, the model reads {c['max_text_len']}")
        max_new = limit if max_new_tokens <= 0 else min(max_new_tokens, limit)
        ids, logprobs, first_logits = list(prompt), [], None
        for step in range(max_new):
            # the whole row again each step: prompt rows never see later tokens (prefix-LM mask), so
            # this is the function generation's KV cache computes, written plainly
            aux = []
            _, logits = sequence_forward(c, self.weights, image_tokens, torch.tensor([ids]), [len(ids)],
                                         [len(prompt)], aux_out=aux)
            row = logits[0, -1]
            if step == 0:
                first_logits = row.clone()
                if aux:  # the candidate head's flaw logits, read once from the prefix
                    evidence = torch.sigmoid(aux[0][0])
            token = int(torch.argmax(row))  # the first of equal maxima: the lowest id, as generate.c
            logprobs.append(float(torch.log_softmax(row.double(), dim=0)[token]))
            ids.append(token)
            if token == TOKEN_EOS:
                break
        completion = ids[len(prompt):]
        return {
            "text": self.tokenizer.decode(completion).decode("utf-8", errors="replace"),
            "evidence": None if evidence is None else [float(p) for p in evidence],
            "prompt_tokens": len(prompt),
            "completion_tokens": len(completion),
            "truncated": len(completion) == max_new and (not completion or completion[-1] != TOKEN_EOS),
            "tokens": completion,
            "logprobs": logprobs,
            "first_logits": first_logits.tolist(),
        }


def main(argv):
    parser = argparse.ArgumentParser(prog="iar_torch.py", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "example:\n  /usr/bin/python3 tools/iar_torch.py models/iar-small photo.png a.png b.png c.png d.png "
        "--dimension lighting --json"))
    parser.add_argument("model", help="model folder (model.safetensors, config.json, tokenizer.json)")
    parser.add_argument("images", nargs="*", help="ORIGINAL A B C D (PNG, or JPEG with python3-pil)")
    parser.add_argument("--dimension", default="all", help="deformation, lighting, placement, extension, any or all")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--max-tokens", type=int, default=512, help="reply length limit (default 512)")
    parser.add_argument("--logits", action="store_true", help="--json: add each result's first-step logits")
    parser.add_argument("--images-f32", metavar="FILE", help="read the prepared (5, 3, S, S) little-endian "
                        "float32 tensor instead of image files")
    parser.add_argument("--save-images", metavar="FILE", help="write the prepared tensor to FILE")
    args = parser.parse_args(argv)
    if args.dimension == "all":
        dimensions = list(range(len(DIMENSIONS)))
    elif args.dimension in DIMENSIONS + ["any"]:
        dimensions = [DIMENSIONS.index(args.dimension) if args.dimension != "any" else -1]
    else:
        parser.error(f"unknown dimension {args.dimension!r}")
    if len(args.images) != (0 if args.images_f32 else IMAGES):
        parser.error("give five images (ORIGINAL A B C D) or --images-f32 FILE")
    try:
        model = IarModel(args.model)
        S = model.config["image_size"]
        if args.images_f32:
            images = np.fromfile(args.images_f32, "<f4")
            if images.size != IMAGES * 3 * S * S:
                raise ValueError(f"{args.images_f32}: {images.size} floats, the model reads 5x3x{S}x{S}")
            images = images.reshape(IMAGES, 3, S, S)
        else:
            images = iar_image.prepare_images(args.images, S)
        if args.save_images:
            images.astype("<f4").tofile(args.save_images)
        results = []
        for d in dimensions:
            r = model.screen(images, d, args.max_tokens)
            r["dimension"] = DIMENSIONS[d] if d >= 0 else "any"
            if not args.logits:
                del r["first_logits"]
            results.append(r)
    except (OSError, ValueError, iar_image.ImageError) as e:
        sys.exit(f"iar_torch: {e}")
    if args.json:
        for r in results:
            if r["evidence"] is not None:
                r["evidence"] = dict(zip(CANDIDATES, r["evidence"]))
        print(json.dumps({"model": args.model, "images": args.images or args.images_f32, "results": results}))
        return
    for r in results:
        evidence = "" if r["evidence"] is None else "  evidence " + " ".join(
            f"{k}:{p:.3f}" for k, p in zip(CANDIDATES, r["evidence"]))
        print(f"{r['dimension']}: {r['text']}{evidence}")


if __name__ == "__main__":
    main(sys.argv[1:])

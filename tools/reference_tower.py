#!/usr/bin/python3
"""reference_tower.py — the vision tower (src/model/tower*.c) re-written in PyTorch, used as the oracle.

Builds the `tiny` tower at 16 px (2x2 tokens) with deterministic random parameters and running
statistics, runs one training forward (batch statistics, running statistics updated with momentum
0.1), the training loss exactly as tower_loss computes it, and one backward; then one eval-mode
forward (running statistics) of the same images. Dumps config, inputs, targets, parameters, the
running statistics before and after, the three logit tensors of both forwards, the loss parts and
every parameter gradient to a small binary fixture that tests/test_tower_reference.c compares
against the C tower.

    /usr/bin/python3 tools/reference_tower.py tests/fixtures/tower_reference.bin   # part of `make reference`

Layouts follow the C code: images (B, 5, 3, S, S); conv weights in PyTorch's (out, in, 3, 3); the
C activations are channel-last, so token p of an image is pixel (y, x) = (p / side, p % side) of the
last conv's output; linear weights are (out, in) as F.linear takes them.

Fixture format: that of tools/reference_model.py (little-endian): b"IARMREF1", u32 record count,
then per record: u32 name length, name bytes, u32 dtype (0 = f32, 1 = i32), u32 rank,
u32 shape[rank], the data. Records: "config" i32 [image_size, convs, hidden, kind_classes],
"config.channels", "config.strides"; "input.*"; "param.<name>" and "grad.<name>" for every tensor
of the C parameter layout; "buffer.<name>" (before) and "running.<name>" (after the training
forward) for every running statistic; "train.*" and "eval.*" logits; "loss.*".
"""
import math
import sys

import torch
import torch.nn.functional as F

from reference_model import FixtureWriter  # one record format for both fixtures (tools/ is on sys.path)

IMAGES, CANDIDATES, DIMENSIONS, TOKEN_TARGETS = 5, 4, 5, 5
LIGHT_CLASSES, SHADOW_CLASSES = 2, 4
TOKEN_CHANNEL_WEIGHT = [1.0, 0.3, 0.3, 0.3, 0.3]  # token_channel_weight in src/model/tower_forward.c
LOSS_WEIGHTS = dict(flaw=1.0, token=1.0, light=0.3, shadow=0.3, kind=0.3)  # tower_loss_weights_default
BN_MOMENTUM, BN_EPS = 0.1, 1e-5
PRESETS = {  # must match tower_config_preset in src/model/tower.c
    "tiny": dict(image_size=32, channels=[8, 16, 16], strides=[2, 2, 2], hidden=16),
    "small": dict(image_size=128, channels=[24, 48, 48, 96, 96, 96, 96], strides=[2, 2, 1, 2, 1, 2, 1], hidden=96),
    "base": dict(image_size=128, channels=[48, 96, 96, 192, 192, 192, 192], strides=[2, 2, 1, 2, 1, 2, 1],
                 hidden=192),
}


def config(preset, kind_classes, image_size=None):
    c = dict(PRESETS[preset], kind_classes=kind_classes)
    c["channels"], c["strides"] = list(c["channels"]), list(c["strides"])
    if image_size:
        c["image_size"] = image_size
    return c


def token_side(c):
    side = c["image_size"]
    for s in c["strides"]:
        side = (side - 1) // s + 1
    return side


def class_count(c):
    return LIGHT_CLASSES + SHADOW_CLASSES + c["kind_classes"]


def layout(c):
    """(name, shape) in the C parameter block's order (tower_layout in src/model/tower.c)."""
    out, in_ch = [], 3
    C, H, P, K = c["channels"][-1], c["hidden"], token_side(c) ** 2, class_count(c)
    for l, o in enumerate(c["channels"]):
        out += [(f"conv.{l}.weight", (o, in_ch, 3, 3)), (f"bn.{l}.weight", (o,)), (f"bn.{l}.bias", (o,))]
        in_ch = o
    out += [("position", (P, C)), ("cross.query.weight", (C, C)), ("cross.key.weight", (C, C)),
            ("cross.value.weight", (C, C)), ("mlp1.weight", (H, 3 * C)), ("mlp1.bias", (H,)),
            ("dimension_embedding", (DIMENSIONS, H)), ("mlp2.weight", (H, H)), ("mlp2.bias", (H,)),
            ("flaw.weight", (1, 2 * H)), ("flaw.bias", (1,)), ("token_head.weight", (TOKEN_TARGETS, H)),
            ("token_head.bias", (TOKEN_TARGETS,)), ("class_head.weight", (K, 2 * H)), ("class_head.bias", (K,))]
    return out


def buffer_layout(c):
    """(name, shape) of the running statistics (tower_buffer_layout): per conv, mean then variance."""
    out = []
    for l, o in enumerate(c["channels"]):
        out += [(f"bn.{l}.running_mean", (o,)), (f"bn.{l}.running_var", (o,))]
    return out


def random_parameters(c, generator):
    """Deterministic parameters, larger than the C init (zero biases and embedding, 0.01 heads) so
    every path carries gradient."""
    w = {}
    for name, shape in layout(c):
        t = torch.randn(shape, generator=generator, dtype=torch.float32)
        if name.startswith("bn.") and name.endswith(".weight"):
            t = 1.0 + 0.1 * t
        elif name.startswith("conv."):
            t = t * math.sqrt(2.0 / (shape[1] * 9))
        elif name == "dimension_embedding":
            t = 0.3 * t
        elif len(shape) == 1:
            t = 0.1 * t
        elif name == "position":
            t = 0.1 * t
        else:
            t = t / math.sqrt(shape[1])
        w[name] = t.requires_grad_(True)
    return w


def random_buffers(c, generator):
    b = {}
    for name, shape in buffer_layout(c):
        if name.endswith("running_mean"):
            b[name] = 0.1 * torch.randn(shape, generator=generator)
        else:
            b[name] = 0.5 + torch.rand(shape, generator=generator)
    return b


def tower_forward(c, w, buffers, images, dimension, training, intermediates=None):
    """images (B, 5, 3, S, S), dimension (B) long -> flaw (B, 4), token (B, 4, P, 5), class (B, 4, K)
    logits. Training: batch statistics, `buffers` updated in place as BatchNorm2d does. `intermediates`
    (a dict), when given, receives what the language model reads besides the logits (TowerOutput):
    "image_tokens" (B, 5, P, C) and "evidence" (B, 4, P, H)."""
    B, S = images.shape[0], c["image_size"]
    x = images.reshape(B * IMAGES, 3, S, S)
    for l, stride in enumerate(c["strides"]):
        x = F.conv2d(x, w[f"conv.{l}.weight"], None, stride=stride, padding=1)
        x = F.batch_norm(x, buffers[f"bn.{l}.running_mean"], buffers[f"bn.{l}.running_var"], w[f"bn.{l}.weight"],
                         w[f"bn.{l}.bias"], training=training, momentum=BN_MOMENTUM, eps=BN_EPS)
        x = F.relu(x)
    C, P = x.shape[1], x.shape[2] * x.shape[3]
    # channel-first (N, C, h, w) -> the C code's channel-last tokens (N, P, C), p = y * side + x
    tokens = x.permute(0, 2, 3, 1).reshape(B, IMAGES, P, C) + w["position"]
    orig, cand = tokens[:, 0], tokens[:, 1:]  # (B, P, C), (B, 4, P, C)
    q = F.linear(cand, w["cross.query.weight"])
    k = F.linear(orig, w["cross.key.weight"])[:, None]
    v = F.linear(orig, w["cross.value.weight"])[:, None]
    probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(C), dim=-1)  # (B, 4, P, P)
    attended = probs @ v
    features = torch.cat([cand, attended, cand - attended], dim=-1)
    row = torch.where((dimension >= 0) & (dimension < DIMENSIONS - 1), dimension,
                      torch.full_like(dimension, DIMENSIONS - 1))
    scale = 1.0 + w["dimension_embedding"][row][:, None, None, :]  # (B, 1, 1, H)
    hidden = F.relu(F.linear(features, w["mlp1.weight"], w["mlp1.bias"])) * scale
    evidence = F.relu(F.linear(hidden, w["mlp2.weight"], w["mlp2.bias"]))  # (B, 4, P, H)
    if intermediates is not None:
        intermediates.update(image_tokens=tokens, evidence=evidence)
    # max keeps one index (the C code's argmax) where amax would split the gradient among ties
    pool = torch.cat([evidence.max(dim=2).values, evidence.mean(dim=2)], dim=-1)  # (B, 4, 2H)
    flaw = F.linear(pool, w["flaw.weight"], w["flaw.bias"])[..., 0]
    token = F.linear(evidence, w["token_head.weight"], w["token_head.bias"])
    classes = F.linear(pool, w["class_head.weight"], w["class_head.bias"])
    return flaw, token, classes


def tower_loss(c, flaw, token, classes, targets):
    """tower_loss: flaw BCE mean over candidates; token BCE weighted per channel, summed over
    channels, averaged over tokens; softmax CE per class group, averaged over its valid targets."""
    parts = {"flaw": F.binary_cross_entropy_with_logits(flaw, targets["flawed"])}
    per_token = F.binary_cross_entropy_with_logits(token, targets["tokens"], reduction="none")
    channel_weight = torch.tensor(TOKEN_CHANNEL_WEIGHT)
    parts["token"] = (per_token * channel_weight).sum() / (per_token.numel() // TOKEN_TARGETS)
    groups = [("light", 0, LIGHT_CLASSES), ("shadow", LIGHT_CLASSES, SHADOW_CLASSES),
              ("kind", LIGHT_CLASSES + SHADOW_CLASSES, c["kind_classes"])]
    for name, offset, count in groups:
        y = targets[name].reshape(-1)
        logits = classes.reshape(-1, classes.shape[-1])[:, offset:offset + count]
        valid = (y >= 0) & (y < count)
        parts[name] = F.cross_entropy(logits[valid], y[valid]) if valid.any() else torch.zeros(())
    total = sum(LOSS_WEIGHTS[k] * v for k, v in parts.items())
    return total, parts


def fixed_batch(c, B, generator):
    """Images in [-1, 1], dimensions [1, -1, 3, ...] (-1 reads the "unknown" row), targets with a
    few unknown (-1) classes so the per-group averages count only the valid ones."""
    S, P, K = c["image_size"], token_side(c) ** 2, c["kind_classes"]
    images = torch.rand((B, IMAGES, 3, S, S), generator=generator) * 2 - 1
    dimension = torch.tensor([[1, -1, 3, 0, 2][b % 5] for b in range(B)], dtype=torch.int64)
    t = {
        "flawed": (torch.rand((B, CANDIDATES), generator=generator) < 0.5).float(),
        "tokens": (torch.rand((B, CANDIDATES, P, TOKEN_TARGETS), generator=generator) < 0.3).float(),
        "light": torch.randint(0, LIGHT_CLASSES, (B, CANDIDATES), generator=generator),
        "shadow": torch.randint(0, SHADOW_CLASSES, (B, CANDIDATES), generator=generator),
        "kind": torch.randint(0, K, (B, CANDIDATES), generator=generator),
    }
    t["light"][0, 2] = -1
    t["shadow"][1, 0] = -1
    t["shadow"][1, 3] = -1
    t["kind"][B - 1, 1] = -1
    return images, dimension, t


def make_fixture(path, batch=3, kind_classes=6):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(2026)
    c = config("tiny", kind_classes, image_size=16)
    w = random_parameters(c, generator)
    buffers = random_buffers(c, generator)
    images, dimension, targets = fixed_batch(c, batch, generator)
    out = FixtureWriter()
    out.add("config", torch.tensor([c["image_size"], len(c["channels"]), c["hidden"], c["kind_classes"]]), "i32")
    out.add("config.channels", torch.tensor(c["channels"]), "i32")
    out.add("config.strides", torch.tensor(c["strides"]), "i32")
    out.add("input.images", images)
    out.add("input.dimension", dimension, "i32")
    out.add("input.flawed", targets["flawed"])
    out.add("input.token_targets", targets["tokens"])
    for name in ("light", "shadow", "kind"):
        out.add("input." + name, targets[name], "i32")
    for name, t in w.items():
        out.add("param." + name, t)
    for name, t in buffers.items():
        out.add("buffer." + name, t)
    flaw, token, classes = tower_forward(c, w, buffers, images, dimension, training=True)
    total, parts = tower_loss(c, flaw, token, classes, targets)
    total.backward()
    out.add("train.flaw_logit", flaw)
    out.add("train.token_logit", token)
    out.add("train.class_logit", classes)
    out.add("loss.total", total.reshape(1))
    for name, v in parts.items():
        out.add("loss." + name, v.reshape(1))
    for name, t in w.items():
        out.add("grad." + name, t.grad)
    for name, t in buffers.items():
        out.add("running." + name, t)
    with torch.no_grad():  # eval mode reads the running statistics the training forward left
        flaw, token, classes = tower_forward(c, w, buffers, images, dimension, training=False)
    out.add("eval.flaw_logit", flaw)
    out.add("eval.token_logit", token)
    out.add("eval.class_logit", classes)
    out.write(path)
    print(f"wrote {path}: {len(out.records)} tensors, loss {total.item():.6f}")


if __name__ == "__main__":
    if len(sys.argv) == 2:
        make_fixture(sys.argv[1])
    else:
        sys.exit(__doc__)

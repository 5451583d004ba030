#!/usr/bin/python3
"""reference_model.py — the native model (src/model) re-written in PyTorch, used as the oracle.

Builds the `tiny` config with deterministic random weights, runs one forward + backward on a fixed
batch (two rows, different prompt/text lengths, junk in the padding) and one AdamW step, and dumps
inputs, weights, log-probs, entropy, loss, every gradient and the updated weights to a small binary
fixture that tests/test_model_reference.c compares against the C implementation. Then the same for
`tiny` with the candidate head and pointer (records "candidate.*"), whose loss adds the auxiliary
per-candidate binary cross-entropy.

    /usr/bin/python3 tools/reference_model.py tests/fixtures/model_reference.bin   # = make reference

Also usable as a timing baseline: `--bench CONFIG` times training steps / generation (bench/).

Fixture format (little-endian): b"IARMREF1", u32 record count, then per record: u32 name length,
name bytes, u32 dtype (0 = f32, 1 = i32), u32 rank, u32 shape[rank], the data.
"""
import math
import struct
import sys

import torch
import torch.nn.functional as F

IMAGES = 5
PRESETS = {  # must match model_config_preset in src/model/model_config.c
    "tiny": dict(image_size=16, stem_layers=2, stem_channels=8, max_text_len=48, dim=32, layers=2, heads=2, mlp_hidden=128, stem_norm=1),
    "small": dict(image_size=64, stem_layers=4, stem_channels=16, max_text_len=128, dim=128, layers=4, heads=2, mlp_hidden=512, stem_norm=1),
    "base": dict(image_size=128, stem_layers=4, stem_channels=32, max_text_len=192, dim=256, layers=8, heads=4, mlp_hidden=1024, stem_norm=1),
}
CONFIG_FIELDS = ["image_size", "stem_layers", "stem_channels", "vocab_size", "max_text_len", "dim", "layers", "heads",
                 "mlp_hidden", "candidate_head", "candidate_pointer", "stem_norm"]
ADAMW = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1)


def stem_channels_out(c, layer):
    return c["dim"] if layer == c["stem_layers"] - 1 else c["stem_channels"] << layer


def stem_convs(c):
    """(in_ch, out_ch, stride) of each stem conv (model_stem_conv in src/model/model_config.c): one
    stride-2 conv per stem layer, channels doubling, the last one `dim` wide; none under a vision
    tower, which replaces the stem."""
    if c.get("vision_tower"):
        return []
    out, in_ch = [], 3
    for s in range(c["stem_layers"]):
        o = stem_channels_out(c, s)
        out.append((in_ch, o, 2))
        in_ch = o
    return out


def layout(c):
    """(name, shape) in the C parameter block's order (model_layout in src/model/model.c)."""
    D, Fh = c["dim"], c["mlp_hidden"]
    out = []
    if c.get("vision_tower"):  # the projection of [tower token, evidence, flaw logit, region logit
        # (, the product tower's flaw logit)]
        width = c["tower"]["channels"][-1] + c["tower"]["hidden"] + 2 + (1 if c.get("product_tower") else 0)
        out += [("vision.proj.weight", (D, width)), ("vision.proj.bias", (D,))]
    for l, (in_ch, o, _) in enumerate(stem_convs(c)):
        out += [(f"stem.{l}.weight", (o, in_ch, 3, 3))]
        if c.get("stem_norm"):  # no conv bias before the norm (it would cancel out)
            out += [(f"stem.{l}.norm.weight", (o,)), (f"stem.{l}.norm.bias", (o,))]
        else:
            out += [(f"stem.{l}.bias", (o,))]
    out += [("image_index_embedding", (IMAGES, D)), ("image_position_embedding", (image_tokens_per_image(c), D)),
            ("token_embedding", (c["vocab_size"], D)), ("text_position_embedding", (c["max_text_len"], D))]
    for l in range(c["layers"]):
        p = f"blocks.{l}."
        out += [(p + "ln1.weight", (D,)), (p + "ln1.bias", (D,)), (p + "attn.qkv.weight", (3 * D, D)),
                (p + "attn.qkv.bias", (3 * D,)), (p + "attn.proj.weight", (D, D)), (p + "attn.proj.bias", (D,)),
                (p + "ln2.weight", (D,)), (p + "ln2.bias", (D,)), (p + "mlp.fc.weight", (Fh, D)),
                (p + "mlp.fc.bias", (Fh,)), (p + "mlp.proj.weight", (D, Fh)), (p + "mlp.proj.bias", (D,))]
    out += [("final_ln.weight", (D,)), ("final_ln.bias", (D,))]
    if c.get("candidate_head"):
        out += [("candidate.ln.weight", (D,)), ("candidate.ln.bias", (D,)), ("candidate.aux.weight", (1, 2 * D)),
                ("candidate.aux.bias", (1,))]
        if c.get("candidate_pointer"):
            out += [("candidate.value.weight", (D, 2 * D)), ("candidate.value.bias", (D,)),
                    ("candidate.fuse.weight", (D, D)), ("candidate.select.weight", (IMAGES, D)),
                    ("candidate.select.bias", (IMAGES,))]
    return out


def random_weights(c, generator):
    """Deterministic weights, larger than the C init so every path carries signal."""
    w = {}
    for name, shape in layout(c):
        t = torch.randn(shape, generator=generator, dtype=torch.float32)
        if name.endswith(("ln1.weight", "ln2.weight", "norm.weight")) or name in ("final_ln.weight", "candidate.ln.weight"):
            t = 1.0 + 0.1 * t
        elif len(shape) == 1:
            t = 0.05 * t
        elif name.startswith("stem."):
            t = t / math.sqrt(shape[1] * 9)
        else:
            t = 0.1 * t
        w[name] = t.requires_grad_(True)
    return w


def image_tokens_per_image(c):
    """P of model_image_tokens (src/model/model_config.c): the stem's output grid, or with a vision
    tower its token grid pooled vision_pool × vision_pool."""
    if c.get("vision_tower"):
        side = c["image_size"]
        for stride in c["tower"]["strides"]:
            side = (side - 1) // stride + 1
        return (side // c["vision_pool"]) ** 2
    return (c["image_size"] >> c["stem_layers"]) ** 2


def attention_mask(c, text_len, prefix_len, T):
    """(B, N, N) bool: query row may attend key column (the prefix-LM mask of kernels.h)."""
    I = IMAGES * image_tokens_per_image(c)
    N = I + T
    pos = torch.arange(N)
    t = pos - I  # text position, negative for image tokens
    masks = []
    for b in range(len(text_len)):
        tq, tk = t[:, None], t[None, :]
        key_image = tk < 0
        key_valid = tk < text_len[b]
        key_prefix = tk < prefix_len[b]
        causal = (tq >= prefix_len[b]) & (tk <= tq)
        masks.append(key_image | (key_valid & (key_prefix | causal)))
    return torch.stack(masks)


def candidate_head(c, w, stream):
    """Pooled images of the stream entering the last block -> features (B, 5, 2D), flaw logits (B, 4)."""
    D, B = c["dim"], stream.shape[0]
    P = image_tokens_per_image(c)
    tokens = stream[:, :IMAGES * P].reshape(B, IMAGES, P, D)
    pool = tokens.mean(2)
    u = F.layer_norm(pool, (D,), w["candidate.ln.weight"], w["candidate.ln.bias"], eps=1e-5)
    feat = torch.cat([u, u - u[:, :1]], dim=2)
    logits = F.linear(feat, w["candidate.aux.weight"], w["candidate.aux.bias"])[:, 1:, 0]
    return feat, logits


def candidate_pointer(w, feat, h):
    """Each text row (B, T, D) adds Σ_i softmax(W_select h)_i · W_fuse (W_value z_i + b)."""
    r = F.linear(F.linear(feat, w["candidate.value.weight"], w["candidate.value.bias"]), w["candidate.fuse.weight"])
    select = torch.softmax(F.linear(h, w["candidate.select.weight"], w["candidate.select.bias"]), dim=-1)
    return h + select @ r


def stem_forward(c, w, images):
    """The convolutional stem: images (B, 5, 3, S, S) -> image tokens (B, 5, P, D), before embeddings."""
    B, D, S = images.shape[0], c["dim"], c["image_size"]
    x = images.reshape(B * IMAGES, 3, S, S)
    convs = stem_convs(c)
    for l, (_, _, stride) in enumerate(convs):
        x = F.conv2d(x, w[f"stem.{l}.weight"], w.get(f"stem.{l}.bias"), stride=stride, padding=1)
        if c.get("stem_norm"):  # GroupNorm(C, C): per image and channel over the positions
            x = F.group_norm(x, x.shape[1], w[f"stem.{l}.norm.weight"], w[f"stem.{l}.norm.bias"], eps=1e-5)
        if l < len(convs) - 1:
            x = F.gelu(x, approximate="tanh")
    P = x.shape[2] * x.shape[3]
    return x.reshape(B, IMAGES, D, P).permute(0, 1, 3, 2)


def model_forward(c, w, images, tokens, text_len, prefix_len, kv_out=None, aux_out=None):
    """Returns the final-LN text rows (B, T, D) and logits (B, T, V); appends each layer's (k, v)
    (B, heads, N, head_dim) to kv_out when given (generation's cache), and the candidate flaw
    logits (B, 4) to aux_out when the config has the candidate head."""
    return sequence_forward(c, w, stem_forward(c, w, images), tokens, text_len, prefix_len, kv_out, aux_out)


def sequence_forward(c, w, image_tokens, tokens, text_len, prefix_len, kv_out=None, aux_out=None):
    """model_forward from the image tokens (B, 5, P, D) on: what the stem or a vision tower's
    projection produced (tools/iar_torch.py passes the latter)."""
    B, T = tokens.shape
    D, H = c["dim"], c["heads"]
    P = image_tokens.shape[2]
    x = image_tokens + w["image_index_embedding"][None, :, None, :] + w["image_position_embedding"][None, None, :, :]
    x = x.reshape(B, IMAGES * P, D)
    valid = torch.arange(T)[None, :] < torch.tensor(text_len)[:, None]
    safe_tokens = torch.where(valid, tokens, torch.zeros_like(tokens))  # padding reads token 0
    text = w["token_embedding"][safe_tokens] + w["text_position_embedding"][:T][None]
    x = torch.cat([x, text], dim=1)
    N = x.shape[1]
    mask = attention_mask(c, text_len, prefix_len, T)[:, None]  # (B, 1, N, N)
    hd = D // H
    feat = None
    for l in range(c["layers"]):
        p = f"blocks.{l}."
        if l == c["layers"] - 1 and c.get("candidate_head"):
            feat, logits = candidate_head(c, w, x)
            if aux_out is not None:
                aux_out.append(logits)
        h = F.layer_norm(x, (D,), w[p + "ln1.weight"], w[p + "ln1.bias"], eps=1e-5)
        qkv = F.linear(h, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        q, k, v = qkv.split(D, dim=2)
        q, k, v = (z.reshape(B, N, H, hd).transpose(1, 2) for z in (q, k, v))
        if kv_out is not None:
            kv_out.append((k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        scores = scores.masked_fill(~mask, float("-inf"))
        att = torch.softmax(scores, dim=-1) @ v
        att = att.transpose(1, 2).reshape(B, N, D)
        x = x + F.linear(att, w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        h = F.layer_norm(x, (D,), w[p + "ln2.weight"], w[p + "ln2.bias"], eps=1e-5)
        h = F.gelu(F.linear(h, w[p + "mlp.fc.weight"], w[p + "mlp.fc.bias"]), approximate="tanh")
        x = x + F.linear(h, w[p + "mlp.proj.weight"], w[p + "mlp.proj.bias"])
    h = x[:, N - T:]
    if c.get("candidate_pointer"):
        h = candidate_pointer(w, feat, h)
    h = F.layer_norm(h, (D,), w["final_ln.weight"], w["final_ln.bias"], eps=1e-5)
    return h, h @ w["token_embedding"].t()


def logprobs_entropy(logits, targets):
    logp = torch.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, targets.clamp(min=0)[..., None])[..., 0]
    logprobs = torch.where(targets >= 0, picked, torch.zeros_like(picked))
    entropy = -(logp.exp() * logp).sum(-1)
    return logprobs, entropy


def fixed_batch(c, generator):
    """Two rows: (text_len 20, prefix 6) and (13, 5); T = 20; padding holds junk tokens."""
    text_len, prefix_len, T, B = [20, 13], [6, 5], 20, 2
    S, V = c["image_size"], c["vocab_size"]
    images = torch.rand((B, IMAGES, 3, S, S), generator=generator) * 2 - 1
    tokens = torch.randint(3, V, (B, T), generator=generator, dtype=torch.int64)
    tokens[:, 0] = 1  # BOS
    targets = torch.full((B, T), -1, dtype=torch.int64)
    for b in range(B):
        for t in range(prefix_len[b] - 1, text_len[b] - 1):
            targets[b, t] = tokens[b, t + 1]
        tokens[b, text_len[b]:] = torch.randint(0, V, (T - text_len[b],), generator=generator)  # junk padding
    return images, tokens, targets, text_len, prefix_len


class FixtureWriter:
    def __init__(self):
        self.records = []

    def add(self, name, tensor, dtype="f32"):
        t = tensor.detach().contiguous()
        t = t.to(torch.float32) if dtype == "f32" else t.to(torch.int32)
        self.records.append((name, 0 if dtype == "f32" else 1, tuple(t.shape), t.numpy().tobytes()))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"IARMREF1" + struct.pack("<I", len(self.records)))
            for name, dtype, shape, data in self.records:
                raw = name.encode()
                f.write(struct.pack("<I", len(raw)) + raw + struct.pack("<II", dtype, len(shape)))
                f.write(struct.pack(f"<{len(shape)}I", *shape) + data)


# The candidate model's extra inputs: gold flaw labels (B, 4) and the auxiliary loss weight.
CANDIDATE_FLAWED = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]
AUX_WEIGHT = 0.7


def add_candidate_model(out, images, tokens, targets, text_len, prefix_len):
    """The tiny model with the candidate head and pointer, its SFT + auxiliary loss, every gradient;
    records prefixed "candidate." (the batch is the plain model's)."""
    generator = torch.Generator().manual_seed(4321)
    c = dict(PRESETS["tiny"], vocab_size=64, candidate_head=1, candidate_pointer=1)
    w = random_weights(c, generator)
    aux = []
    _, logits = model_forward(c, w, images, tokens, text_len, prefix_len, aux_out=aux)
    logprobs, entropy = logprobs_entropy(logits, targets)
    count = int((targets >= 0).sum())
    flawed = torch.tensor(CANDIDATE_FLAWED)
    aux_loss = F.binary_cross_entropy_with_logits(aux[0], flawed)
    loss = -logprobs.sum() / count + AUX_WEIGHT * aux_loss
    loss.backward()
    out.add("candidate.config", torch.tensor([c[k] for k in CONFIG_FIELDS]), "i32")
    out.add("candidate.input.flawed", flawed)
    out.add("candidate.input.aux_weight", torch.tensor([AUX_WEIGHT]))
    for name, t in w.items():
        out.add("candidate.param." + name, t)
    out.add("candidate.output.logprobs", logprobs)
    out.add("candidate.output.entropy", entropy)
    out.add("candidate.output.aux_loss", aux_loss.reshape(1))
    out.add("candidate.output.flaw_prob", torch.sigmoid(aux[0]))
    for name, t in w.items():
        out.add("candidate.grad." + name, t.grad)


def make_fixture(path):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1234)
    c = dict(PRESETS["tiny"], vocab_size=64, candidate_head=0, candidate_pointer=0)
    w = random_weights(c, generator)
    images, tokens, targets, text_len, prefix_len = fixed_batch(c, generator)
    _, logits = model_forward(c, w, images, tokens, text_len, prefix_len)
    logprobs, entropy = logprobs_entropy(logits, targets)
    count = int((targets >= 0).sum())
    loss = -logprobs.sum() / count  # SFT: d(loss)/d(logprob) = -1/count on target positions
    loss.backward()
    out = FixtureWriter()
    out.add("config", torch.tensor([c[k] for k in CONFIG_FIELDS]), "i32")
    out.add("input.images", images)
    out.add("input.tokens", tokens, "i32")
    out.add("input.targets", targets, "i32")
    out.add("input.text_len", torch.tensor(text_len), "i32")
    out.add("input.prefix_len", torch.tensor(prefix_len), "i32")
    for name, t in w.items():
        out.add("param." + name, t)
    out.add("output.logprobs", logprobs)
    out.add("output.entropy", entropy)
    out.add("output.loss", loss.reshape(1))
    for name, t in w.items():
        out.add("grad." + name, t.grad)
    # one AdamW step (docs/MODEL.md): decoupled weight decay on tensors of rank >= 2 only, no clipping
    decay = [t for name, t in w.items() if t.dim() >= 2]
    no_decay = [t for name, t in w.items() if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ADAMW["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["eps"])
    opt.step()
    out.add("adamw.hparams", torch.tensor([ADAMW[k] for k in ("lr", "beta1", "beta2", "eps", "weight_decay")]))
    for name, t in w.items():
        out.add("adamw." + name, t)
    add_candidate_model(out, images, tokens, targets, text_len, prefix_len)
    out.write(path)
    print(f"wrote {path}: {len(out.records)} tensors, loss {loss.item():.6f}")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--bench":
        import reference_bench  # tools/reference_bench.py
        reference_bench.main(sys.argv[2:])
    elif len(sys.argv) == 2:
        make_fixture(sys.argv[1])
    else:
        sys.exit(__doc__)

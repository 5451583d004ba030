#!/usr/bin/python3
"""bench/model_stem_probe.py — which stem normalisation lets a from-scratch CNN see the flaws?

An independent PyTorch check (docs/perf/model_accuracy.md, "Stem normalisation"), not used by the
build. A per-candidate flaw classifier: a conv stem per image (ARCH=c4: the native model's 4 stride-2
3x3 convs 16/32/64/128, GELU between; ARCH=deep: 7 convs with stride-1 ones between, width W), then
per candidate [max-pool, mean-pool − the original's mean-pool] + a dimension embedding → MLP → one
logit; BCE against the gold answer, AdamW + one-cycle lr, batch B samples (5 images each), 2 threads.
NORM after every conv: none | bn (BatchNorm2d) | in (GroupNorm(C, C) = instance norm, what the
native model uses) | ln (GroupNorm(1, C)) | cln (LayerNorm over channels per pixel).
HEAD=lin swaps the head for the native model's candidate head (LayerNorm of each image's mean-pooled
features, [u_c, u_c − u_0], one linear logit); HEAD=maxlin the same with max pooling. Held-out = the last 500 samples; prints per-candidate accuracy and exact-set accuracy (the top
1–3 logits, at least one) overall and per dimension (deformation, lighting, placement, extension).

    build/iar synth --out /tmp/exp/d6k --n 6000 --seed 11 --size 128
    S=64 ARCH=c4 NORM=in /usr/bin/python3 bench/model_stem_probe.py /tmp/exp/d6k 1000
The decoded images are cached next to the data (DATA/probe_cache_128.npz).
"""
import json, os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image

DIMS = ["deformation", "lighting", "placement", "extension"]


def load(root):
    rows = [json.loads(l) for l in open(root + "/data.jsonl")]
    size = rows[0]["meta"]["size"]
    cache = f"{root}/probe_cache_{size}.npz"
    if not os.path.exists(cache):
        img = lambda p: np.asarray(Image.open(root + "/" + p).convert("RGB"), dtype=np.uint8)
        X = np.stack([np.stack([img(r["original"])] + [img(c) for c in r["candidates"]]) for r in rows])
        Y = np.array([[1 if L in r["answer"] else 0 for L in "ABCD"] for r in rows], dtype=np.uint8)
        D = np.array([DIMS.index(r["dimension"]) for r in rows])
        np.savez(cache, X=X, Y=Y, D=D)
    z = np.load(cache)
    return z["X"], z["Y"], z["D"]


torch.set_num_threads(2); torch.manual_seed(0)
root, steps = sys.argv[1], int(sys.argv[2])
env = lambda k, d: os.environ.get(k, d)
S, W, NORM, ARCH, B = int(env("S", "64")), int(env("W", "32")), env("NORM", "in"), env("ARCH", "c4"), int(env("B", "16"))
LR, EVERY, HEAD = float(env("LR", "2e-3")), int(env("EVERY", "250")), env("HEAD", "mlp")
Xn, Yn, Dn = load(root)
X = torch.tensor(Xn).permute(0, 1, 4, 2, 3).contiguous()  # (N, 5, 3, H, W) uint8
if X.shape[-1] != S:
    X = F.interpolate(X.float().reshape(-1, 3, X.shape[-2], X.shape[-1]), size=(S, S), mode="area")
    X = X.round().to(torch.uint8).reshape(-1, 5, 3, S, S)
Y, D = torch.tensor(Yn).float(), torch.tensor(Dn)
N = len(Y); NT = N - 500


class ChannelLN(nn.Module):
    def __init__(s, c): super().__init__(); s.n = nn.LayerNorm(c)
    def forward(s, x): return s.n(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def norm(c):
    return {"bn": lambda: nn.BatchNorm2d(c), "in": lambda: nn.GroupNorm(c, c), "ln": lambda: nn.GroupNorm(1, c),
            "cln": lambda: ChannelLN(c), "none": lambda: nn.Identity()}[NORM]()


class Probe(nn.Module):
    def __init__(s):
        super().__init__()
        if ARCH == "deep":
            spec = [(3, W, 2), (W, W, 1), (W, 2 * W, 2), (2 * W, 2 * W, 1), (2 * W, 4 * W, 2), (4 * W, 4 * W, 1), (4 * W, 4 * W, 2)]
            gelu_last = True
        else:
            ch = [3, 16, 32, 64, 128]
            spec = [(ch[i], ch[i + 1], 2) for i in range(4)]
            gelu_last = False
        layers = []
        for i, (a, b, stride) in enumerate(spec):
            layers += [nn.Conv2d(a, b, 3, stride, 1, bias=NORM == "none"), norm(b)]
            if i < len(spec) - 1 or gelu_last: layers.append(nn.GELU())
        s.stem = nn.Sequential(*layers); C = spec[-1][1]
        s.dim = nn.Embedding(4, 2 * C)
        s.head = nn.Sequential(nn.Linear(2 * C, 128), nn.GELU(), nn.Linear(128, 1))
        s.ln = nn.LayerNorm(C)
        s.lin = nn.Linear(2 * C, 1)

    def forward(s, x, d):
        n = x.shape[0]
        h = s.stem(x.reshape(n * 5, 3, S, S).float() / 127.5 - 1)
        h = h.reshape(n, 5, h.shape[1], -1)
        if HEAD in ("lin", "maxlin"):  # the native model's candidate head: LN(pool), [u_c, u_c - u_0], linear
            u = s.ln(h.amax(-1) if HEAD == "maxlin" else h.mean(-1))
            return s.lin(torch.cat([u[:, 1:], u[:, 1:] - u[:, :1]], 2))[..., 0]
        f = torch.cat([h[:, 1:].amax(-1), h[:, 1:].mean(-1) - h[:, :1].mean(-1)], 2) + s.dim(d)[:, None]
        return s.head(f)[..., 0]


def evaluate(m):
    m.eval()
    with torch.no_grad():
        logits = torch.cat([m(X[i:i + 50], D[i:i + 50]) for i in range(NT, N, 50)])
    m.train()
    y, d = Y[NT:], D[NT:]
    cand = ((logits > 0).float() == y).float().mean(1)
    order, k = logits.argsort(1, descending=True), (logits > 0).sum(1).clamp(1, 3)
    pick = torch.zeros_like(logits)
    for i in range(len(pick)): pick[i, order[i, :k[i]]] = 1
    exact = (pick == y).all(1).float()
    per = lambda v: " ".join(f"{v[d == j].mean().item():.3f}" for j in range(4))
    return f"cand {cand.mean().item():.3f} exact {exact.mean().item():.3f} | per-dim cand {per(cand)} exact {per(exact)}"


m = Probe()
opt = torch.optim.AdamW(m.parameters(), LR, weight_decay=0.05)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, LR, total_steps=steps, pct_start=0.05)
g = torch.Generator().manual_seed(1); t0 = time.time(); run = 0.0
print(f"{sum(p.numel() for p in m.parameters())} parameters, ARCH={ARCH} NORM={NORM} S={S}", flush=True)
for step in range(1, steps + 1):
    idx = torch.randint(0, NT, (B,), generator=g)
    loss = F.binary_cross_entropy_with_logits(m(X[idx], D[idx]), Y[idx])
    opt.zero_grad(); loss.backward(); opt.step(); sched.step(); run += loss.item()
    if step % EVERY == 0:
        print(f"step {step} train bce {run / EVERY:.4f} held-out {evaluate(m)} ({time.time() - t0:.0f}s)", flush=True)
        run = 0.0

#!/usr/bin/python3
"""bench/model_flaw_probe.py — can per-candidate flaws be learned from these images at all?

An independent PyTorch check (docs/perf/model_accuracy.md), not used by the build: the native model's
4-conv stem per image, then mean-pooled (or, with FLAT=1, flattened) features, an MLP on
[f_c, f_c - f_0], binary cross-entropy against the gold answer, AdamW 2e-3, batch 16; prints the
held-out (last 200 samples) BCE and per-candidate accuracy every 50 steps. With a 4th argument
`sanity` the labels become "candidate brighter than the median candidate", which any working probe
learns within 50 steps.

    /usr/bin/python3 bench/model_flaw_probe.py DATA_DIR STEPS [SIZE] [sanity]
    e.g. /usr/bin/python3 bench/model_flaw_probe.py /tmp/tw/acc1/train 600 64
"""
import os
import json, sys, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
torch.set_num_threads(1); torch.manual_seed(0)
root = sys.argv[1]; steps = int(sys.argv[2]); S = int(sys.argv[3]) if len(sys.argv) > 3 else 64
rows = [json.loads(l) for l in open(root + '/data.jsonl')]
def img(p): return np.asarray(Image.open(root + '/' + p).convert('RGB').resize((S, S), Image.BILINEAR), dtype=np.float32) / 127.5 - 1
X = np.stack([np.stack([img(r['original'])] + [img(c) for c in r['candidates']]) for r in rows]).transpose(0, 1, 4, 2, 3)
Y = np.array([[1.0 if L in r['answer'] else 0.0 for L in 'ABCD'] for r in rows], dtype=np.float32)
X, Y = torch.tensor(X), torch.tensor(Y)
if len(sys.argv) > 4 and sys.argv[4] == "sanity":
    m = X[:, 1:].mean((2, 3, 4))
    Y = (m > m.median(1, keepdim=True).values).float()
FLAT = os.environ.get("FLAT") == "1"
n = len(rows); ntr = n - 200
class Probe(nn.Module):
    def __init__(s):
        super().__init__()
        ch = [3, 16, 32, 64, 128]
        s.convs = nn.ModuleList([nn.Conv2d(ch[i], ch[i + 1], 3, 2, 1) for i in range(4)])
        width = 2 * 128 * ((S >> 4) ** 2 if FLAT else 1)
        s.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 128), nn.GELU(), nn.Linear(128, 1))
    def forward(s, x):
        B = x.shape[0]; h = x.reshape(B * 5, 3, S, S)
        for i, c in enumerate(s.convs):
            h = c(h); h = F.gelu(h)
        f = (h.flatten(1) if FLAT else h.mean((2, 3))).reshape(B, 5, -1)
        z = torch.cat([f[:, 1:], f[:, 1:] - f[:, :1]], 2)
        return s.head(z)[..., 0]
m = Probe(); opt = torch.optim.AdamW(m.parameters(), 2e-3, weight_decay=0.1)
g = torch.Generator().manual_seed(1); t0 = time.time(); run = 0
for step in range(1, steps + 1):
    idx = torch.randint(0, ntr, (16,), generator=g)
    loss = F.binary_cross_entropy_with_logits(m(X[idx]), Y[idx])
    opt.zero_grad(); loss.backward(); opt.step(); run += loss.item()
    if step % 50 == 0:
        with torch.no_grad():
            lt = m(X[ntr:]); vl = F.binary_cross_entropy_with_logits(lt, Y[ntr:]).item(); acc = ((lt > 0).float() == Y[ntr:]).float().mean().item()
            ex = ((lt > 0).float() == Y[ntr:]).all(1).float().mean().item()
        print(f"step {step} train {run/50:.4f} heldout bce {vl:.4f} per-cand acc {acc:.3f} exact {ex:.3f} ({time.time()-t0:.0f}s)", flush=True); run = 0

#!/usr/bin/python3
"""bench/model_flaw_probe_patches.py — do dense per-patch targets from meta make the flaws learnable?

An independent PyTorch check (docs/perf/model_accuracy.md, "Dense per-patch targets: a probe"), not used
by the build. Same data loading as bench/model_flaw_probe.py (held-out = the last 200 samples). Each of
the 5 images goes through the native model's 4-conv stem (3x3, stride 2, 16/32/64/128 channels, GELU),
leaving an 8x8 patch grid at 128 px. Per patch of each candidate, [patch feature, patch feature - the
original's mean feature] -> LayerNorm -> MLP -> per-patch flaw logit; the candidate logit is the
logsumexp over its 64 patches. Loss = BCE(candidate logit, flawed) + BCE(patch logits, patch target),
where a patch's target is 1 iff the candidate is flawed and the patch overlaps meta.candidates[i].region
(scaled from meta.size px to the 8x8 grid). Variant B (4th argument `tf`) adds a 2-layer transformer
(d=128, 4 heads, pre-norm) over all 5x64 patch tokens, with learned image-index and position
embeddings, before the per-patch head. AdamW 2e-3 (weight decay 0.1), batch 16, 2 threads; prints
held-out per-candidate accuracy and exact-set accuracy every 100 steps, and per dimension at the end.

    /usr/bin/python3 bench/model_flaw_probe_patches.py DATA_DIR STEPS [SIZE] [tf]
    e.g. /usr/bin/python3 bench/model_flaw_probe_patches.py /tmp/tw/acc1/train 600 128
         /usr/bin/python3 bench/model_flaw_probe_patches.py /tmp/tw/acc1/train 600 128 tf
Env: PATCH_W (weight of the per-patch BCE, default 1), AGG (lse | lsemean = logsumexp - log 64 | max), LR (default 2e-3), CACHE (an .npz to store/reuse the decoded images).
"""
import os, json, sys, time, math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
torch.set_num_threads(2); torch.manual_seed(0)
root = sys.argv[1]; steps = int(sys.argv[2]); S = int(sys.argv[3]) if len(sys.argv) > 3 else 128
TF = len(sys.argv) > 4 and sys.argv[4] == "tf"
PW = float(os.environ.get("PATCH_W", "1")); LR = float(os.environ.get("LR", "2e-3"))
AGG = os.environ.get("AGG", "lse")  # lse: logsumexp; lsemean: logsumexp - log(64) (a soft mean/max); max
G = S >> 4  # patch grid side (8 at 128 px)
rows = [json.loads(l) for l in open(root + '/data.jsonl')]
def img(p): return np.asarray(Image.open(root + '/' + p).convert('RGB').resize((S, S), Image.BILINEAR), dtype=np.float32) / 127.5 - 1
cache = os.environ.get("CACHE")
t0 = time.time()
if cache and os.path.exists(cache):
    X = np.load(cache)["X"]
else:
    X = np.stack([np.stack([img(r['original'])] + [img(c) for c in r['candidates']]) for r in rows]).transpose(0, 1, 4, 2, 3)
    X = np.ascontiguousarray(X)
    if cache: np.savez(cache, X=X)
Y = np.array([[1.0 if L in r['answer'] else 0.0 for L in 'ABCD'] for r in rows], dtype=np.float32)
# per-patch targets: 1 iff the candidate is flawed and the patch overlaps its defect region
P = np.zeros((len(rows), 4, G, G), dtype=np.float32)
for n_, r in enumerate(rows):
    sc = G / float(r['meta']['size'])
    for i, c in enumerate(r['meta']['candidates']):
        if Y[n_, i] == 0: continue
        x0, y0, x1, y1 = [v * sc for v in c['region']]
        j0, j1 = int(math.floor(x0)), int(math.ceil(x1)); i0, i1 = int(math.floor(y0)), int(math.ceil(y1))
        j0, i0 = max(0, min(G - 1, j0)), max(0, min(G - 1, i0)); j1, i1 = max(j0 + 1, min(G, j1)), max(i0 + 1, min(G, i1))
        P[n_, i, i0:i1, j0:j1] = 1
X, Y, P = torch.tensor(X), torch.tensor(Y), torch.tensor(P).flatten(2)
dims = [r['dimension'] for r in rows]
n = len(rows); ntr = n - 200
pp = P[:ntr].mean().item(); prior = -(pp * math.log(pp) + (1 - pp) * math.log(1 - pp))
print(f"loaded {n} samples at {S} px in {time.time()-t0:.0f}s; variant {'B (transformer)' if TF else 'A (patch MLP)'}; "
      f"patch weight {PW}; positive patches among flawed candidates {P[Y > 0].mean().item():.3f}, of all patches {pp:.3f} (constant-prior patch BCE {prior:.4f}); aggregation {AGG}; lr {LR}", flush=True)

class Probe(nn.Module):
    def __init__(s):
        super().__init__()
        ch = [3, 16, 32, 64, 128]
        s.convs = nn.ModuleList([nn.Conv2d(ch[i], ch[i + 1], 3, 2, 1) for i in range(4)])
        if TF:
            s.img_emb = nn.Parameter(torch.zeros(5, 1, 128)); s.pos_emb = nn.Parameter(torch.zeros(1, G * G, 128))
            nn.init.normal_(s.img_emb, std=0.02); nn.init.normal_(s.pos_emb, std=0.02)
            layer = nn.TransformerEncoderLayer(128, 4, 256, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
            s.tf = nn.TransformerEncoder(layer, 2)
        s.head = nn.Sequential(nn.LayerNorm(256), nn.Linear(256, 128), nn.GELU(), nn.Linear(128, 1))
    def forward(s, x):
        B = x.shape[0]; h = x.reshape(B * 5, 3, S, S)
        for c in s.convs: h = F.gelu(c(h))
        t = h.flatten(2).transpose(1, 2).reshape(B, 5, G * G, 128)  # patch tokens
        if TF:
            t = (t + s.img_emb + s.pos_emb).reshape(B, 5 * G * G, 128)
            t = s.tf(t).reshape(B, 5, G * G, 128)
        f0 = t[:, :1].mean(2, keepdim=True)
        z = torch.cat([t[:, 1:], t[:, 1:] - f0], 3)
        pl = s.head(z)[..., 0]                  # B x 4 x 64 patch logits
        if AGG == "max": return pl.max(2).values, pl
        lc = torch.logsumexp(pl, 2)
        return (lc - math.log(G * G) if AGG == "lsemean" else lc), pl  # candidate logit, patch logits

m = Probe(); opt = torch.optim.AdamW(m.parameters(), LR, weight_decay=0.1)
def evaluate():
    m.eval(); out = []; pb = 0.0
    with torch.no_grad():
        for a in range(ntr, n, 50):
            lc, pl = m(X[a:a + 50]); out.append(lc); pb += F.binary_cross_entropy_with_logits(pl, P[a:a + 50], reduction='sum').item()
    m.train(); return torch.cat(out), pb / P[ntr:].numel()
g = torch.Generator().manual_seed(1); t0 = time.time(); run = [0.0, 0.0]
for step in range(1, steps + 1):
    idx = torch.randint(0, ntr, (16,), generator=g)
    lc, pl = m(X[idx])
    l1 = F.binary_cross_entropy_with_logits(lc, Y[idx]); l2 = F.binary_cross_entropy_with_logits(pl, P[idx])
    loss = l1 + PW * l2
    opt.zero_grad(); loss.backward(); opt.step(); run[0] += l1.item(); run[1] += l2.item()
    if step % 100 == 0 or step == steps:
        lt, vpb = evaluate(); yt = Y[ntr:]
        vl = F.binary_cross_entropy_with_logits(lt, yt).item(); ok = (lt > 0).float() == yt
        k = 100 if step % 100 == 0 else step % 100
        print(f"step {step} train cand {run[0]/k:.4f} patch {run[1]/k:.4f} | heldout bce {vl:.4f} patch bce {vpb:.4f} per-cand acc {ok.float().mean().item():.3f} "
              f"exact {ok.all(1).float().mean().item():.3f} ({time.time()-t0:.0f}s)", flush=True); run = [0.0, 0.0]
pred = (lt > 0).float(); yt = Y[ntr:]
print(f"predicted-flawed rate {pred.mean().item():.3f} (gold {yt.mean().item():.3f})")
for d in sorted(set(dims)):
    sel = torch.tensor([dims[i] == d for i in range(ntr, n)])
    ok = pred[sel] == yt[sel]
    print(f"  {d:12s} n={int(sel.sum()):3d} per-cand acc {ok.float().mean().item():.3f} exact {ok.all(1).float().mean().item():.3f}")

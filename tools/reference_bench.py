#!/usr/bin/python3
"""reference_bench.py PRESET BATCH STEPS THREADS — the PyTorch side of bench/model_bench.sh.

Times the same model as src/model (tools/reference_model.py) on the same shapes as
bench/model_bench.c: one training step (forward + backward, T = max_text_len, prompt 24 tokens) and
greedy generation of 64 tokens after a 24-token prompt with a KV cache (1 and 8 samples).
"""
import math
import sys
import time

import torch
import torch.nn.functional as F

from reference_model import PRESETS, IMAGES, model_forward, logprobs_entropy, random_weights


def decode_step(c, w, caches, tokens, position):
    """One token per sample through the blocks with cached keys/values; returns logits (n, V)."""
    D, H = c["dim"], c["heads"]
    hd = D // H
    n = tokens.shape[0]
    x = (w["token_embedding"][tokens] + w["text_position_embedding"][position])[:, None]  # (n, 1, D)
    for l in range(c["layers"]):
        p = f"blocks.{l}."
        h = F.layer_norm(x, (D,), w[p + "ln1.weight"], w[p + "ln1.bias"], eps=1e-5)
        q, k, v = F.linear(h, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"]).split(D, dim=2)
        q, k, v = (z.reshape(n, 1, H, hd).transpose(1, 2) for z in (q, k, v))
        K, V = caches[l]
        K, V = torch.cat([K, k], dim=2), torch.cat([V, v], dim=2)
        caches[l] = (K, V)
        att = torch.softmax((q @ K.transpose(-1, -2)) / math.sqrt(hd), dim=-1) @ V
        x = x + F.linear(att.transpose(1, 2).reshape(n, 1, D), w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        h = F.layer_norm(x, (D,), w[p + "ln2.weight"], w[p + "ln2.bias"], eps=1e-5)
        h = F.gelu(F.linear(h, w[p + "mlp.fc.weight"], w[p + "mlp.fc.bias"]), approximate="tanh")
        x = x + F.linear(h, w[p + "mlp.proj.weight"], w[p + "mlp.proj.bias"])
    h = F.layer_norm(x[:, 0], (D,), w["final_ln.weight"], w["final_ln.bias"], eps=1e-5)
    return h @ w["token_embedding"].t()


def generate(c, w, images, prompt, samples, new_tokens):
    with torch.no_grad():
        kv = []
        P = prompt.shape[1]
        _, logits = model_forward(c, w, images, prompt, [P], [P], kv_out=kv)
        caches = [(k.expand(samples, -1, -1, -1), v.expand(samples, -1, -1, -1)) for k, v in kv]
        token = logits[0, -1].argmax().expand(samples)
        for step in range(new_tokens - 1):
            token = decode_step(c, w, caches, token, P + step).argmax(-1)


def main(argv):
    preset, batch, steps, threads = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    torch.set_num_threads(threads)
    c = dict(PRESETS[preset], vocab_size=512)
    g = torch.Generator().manual_seed(0)
    w = random_weights(c, g)
    T, S = c["max_text_len"], c["image_size"]
    images = torch.rand((batch, IMAGES, 3, S, S), generator=g) * 2 - 1
    tokens = torch.randint(3, 512, (batch, T), generator=g)
    targets = torch.full((batch, T), -1, dtype=torch.int64)
    targets[:, 23:T - 1] = tokens[:, 24:]
    times, forward_times = [], []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        for t in w.values():
            t.grad = None
        _, logits = model_forward(c, w, images, tokens, [T] * batch, [24] * batch)
        logprobs, _ = logprobs_entropy(logits, targets)
        loss = -logprobs.sum() / (batch * (T - 24))
        forward_times.append(time.perf_counter() - t0)
        loss.backward()
        times.append(time.perf_counter() - t0)
    best, mean = min(times[1:]), sum(times[1:]) / steps
    print(f"train step (forward+backward): best {best * 1e3:.1f} ms (forward {min(forward_times[1:]) * 1e3:.1f} ms), "
          f"mean {mean * 1e3:.1f} ms, {batch / best:.1f} samples/s")
    new_tokens = min(64, T - 24)  # as the C side: generation stops at max_text_len
    for samples in (1, 8):
        reps = 3
        t0 = time.perf_counter()
        for r in range(reps):
            generate(c, w, images[:1], tokens[:1, :24], samples, new_tokens)
        t = (time.perf_counter() - t0) / reps
        print(f"generate {samples} sample(s) x {new_tokens} tokens: {t * 1e3:.1f} ms, {samples * new_tokens / t:.0f} tokens/s")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/python3
"""tower_torch.py — the vision tower's training step in C against PyTorch, same run, same threads.

Alternates, round by round and at each thread count, build/bench/tower_bench (forward + tower_loss +
backward, the sgemm peak, the generator's samples/s) and the same step in PyTorch (the tower of
tools/reference_tower.py: conv + BatchNorm2d + ReLU, cross-attention, MLP, pooling, heads, loss),
each in its own process with OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = threads. Reports medians per
round and the ratio C / PyTorch measured in each round, of wall time and of each process's CPU
time (the machine may be shared: the ratio of the same round is the figure to trust, not the
absolute times). Results: docs/perf/tower.md.

    make build/bench/tower_bench
    /usr/bin/python3 bench/tower_torch.py --bench build/bench/tower_bench --threads 1,2 --rounds 3 --steps 3

    /usr/bin/python3 bench/tower_torch.py --worker small 128 16 3 2   # PyTorch alone: "torch_train_ms ..."
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(preset, image_size, batch, steps, threads):
    """One process, one thread count: warm-up step, then `steps` timed training steps."""
    import torch
    sys.path.insert(0, os.path.join(HERE, "..", "tools"))
    from reference_tower import (CANDIDATES, IMAGES, LIGHT_CLASSES, SHADOW_CLASSES, TOKEN_TARGETS, config,
                                 random_buffers, random_parameters, token_side, tower_forward, tower_loss)
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    kinds = 8  # as tower_bench.c
    c = config(preset, kinds, image_size)
    g = torch.Generator().manual_seed(0)
    w, buffers = random_parameters(c, g), random_buffers(c, g)
    P = token_side(c) ** 2
    images = torch.rand((batch, IMAGES, 3, image_size, image_size), generator=g) * 2 - 1
    dimension = torch.tensor([b % 5 - 1 for b in range(batch)])
    targets = {
        "flawed": (torch.rand((batch, CANDIDATES), generator=g) < 0.5).float(),
        "tokens": (torch.rand((batch, CANDIDATES, P, TOKEN_TARGETS), generator=g) < 0.2).float(),
        "light": torch.randint(0, LIGHT_CLASSES, (batch, CANDIDATES), generator=g),
        "shadow": torch.randint(0, SHADOW_CLASSES, (batch, CANDIDATES), generator=g),
        "kind": torch.randint(0, kinds, (batch, CANDIDATES), generator=g),
    }
    times, forward_times, cpu_times = [], [], []
    for step in range(steps + 1):  # the first step warms caches and thread pools
        t0, c0 = time.perf_counter(), time.process_time()
        for t in w.values():
            t.grad = None
        flaw, token, classes = tower_forward(c, w, buffers, images, dimension, training=True)
        total, _ = tower_loss(c, flaw, token, classes, targets)
        t1 = time.perf_counter()
        total.backward()
        if step > 0:
            times.append(time.perf_counter() - t0)
            forward_times.append(t1 - t0)
            cpu_times.append(time.process_time() - c0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("torch_train_ms " + " ".join(f"{t * 1e3:.2f}" for t in times))
    print("torch_forward_ms " + " ".join(f"{t * 1e3:.2f}" for t in forward_times))
    print("torch_train_cpu_ms " + " ".join(f"{t * 1e3:.2f}" for t in cpu_times))


def parse_line(text, key):
    for line in text.splitlines():
        if line.startswith(key + " "):
            return [float(v) for v in line.split()[1:]]
    raise RuntimeError(f"no '{key}' line in:\n{text}")


def run(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return out.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", nargs=5, metavar=("PRESET", "SIZE", "BATCH", "STEPS", "THREADS"))
    ap.add_argument("--bench", default="build/bench/tower_bench")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3, help="timed steps per process (after one warm-up)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--render", type=int, default=2, help="generator batches timed per C process")
    a = ap.parse_args()
    if a.worker:
        p, s, b, n, t = a.worker
        worker(p, int(s), int(b), int(n), int(t))
        return
    thread_counts = [int(t) for t in a.threads.split(",")]
    rows = {t: dict(c=[], torch=[], c_forward=[], torch_forward=[], ratio=[], cpu_ratio=[], render=[], peak=[],
                    header="") for t in thread_counts}
    for r in range(a.rounds):
        for t in thread_counts:
            c_cmd = [a.bench, a.preset, str(a.size), str(a.batch), str(a.steps), str(t), str(a.render)]
            t_cmd = [sys.executable, os.path.abspath(__file__), "--worker", a.preset, str(a.size), str(a.batch),
                     str(a.steps), str(t)]
            order = [("c", c_cmd), ("torch", t_cmd)] if r % 2 == 0 else [("torch", t_cmd), ("c", c_cmd)]
            out = {}
            for name, cmd in order:
                out[name] = run(cmd, t)
            c_ms = statistics.median(parse_line(out["c"], "train_ms"))
            torch_ms = statistics.median(parse_line(out["torch"], "torch_train_ms"))
            # CPU time of the process (all its threads): steadier than wall time on a shared machine
            c_cpu = statistics.median(parse_line(out["c"], "train_cpu_ms"))
            torch_cpu = statistics.median(parse_line(out["torch"], "torch_train_cpu_ms"))
            row = rows[t]
            row["c"].append(c_ms)
            row["torch"].append(torch_ms)
            row["ratio"].append(c_ms / torch_ms)
            row["cpu_ratio"].append(c_cpu / torch_cpu)
            row["c_forward"].append(statistics.median(parse_line(out["c"], "forward_ms")))
            row["torch_forward"].append(statistics.median(parse_line(out["torch"], "torch_forward_ms")))
            row["peak"].append(float(out["c"].split("peak: sgemm 1024^3 best ")[1].split()[0]))
            if a.render:
                row["render"].append(statistics.median(parse_line(out["c"], "render_samples_per_second")))
            row["header"] = out["c"].splitlines()[0]
            gflop = float(row["header"].split(" GFLOP per sample")[0].split(", ")[-1])
            row["gflop"] = gflop
            print(f"round {r + 1} threads {t} (load {os.getloadavg()[0]:.1f}): C {c_ms:.0f} ms (forward "
                  f"{row['c_forward'][-1]:.0f}), PyTorch {torch_ms:.0f} ms (forward {row['torch_forward'][-1]:.0f}), "
                  f"C/PyTorch "
                  f"{c_ms / torch_ms:.2f}; CPU ms/step C {c_cpu:.0f}, PyTorch {torch_cpu:.0f}, C/PyTorch "
                  f"{c_cpu / torch_cpu:.2f}; peak {row['peak'][-1]:.1f} GFLOP/s"
                  + (f", render {row['render'][-1]:.1f} samples/s" if a.render else ""), flush=True)
    print()
    print(rows[thread_counts[0]]["header"].rsplit(", ", 1)[0])  # without the thread count
    print(f"medians over {a.rounds} rounds ({a.steps} timed steps each, after a warm-up step):")
    print("| threads | C ms/step (forward) | PyTorch ms/step (forward) | C/PyTorch time, per round "
          "| C/PyTorch CPU time, per round | C samples/s "
          "| PyTorch samples/s | sgemm peak GFLOP/s | C MFU | PyTorch MFU | generator samples/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for t in thread_counts:
        row = rows[t]
        c_ms, torch_ms = statistics.median(row["c"]), statistics.median(row["torch"])
        peak = statistics.median(row["peak"])
        flops = row["gflop"] * a.batch
        mfu = lambda ms: 100.0 * flops / (ms / 1e3) / peak
        render = f"{statistics.median(row['render']):.1f}" if row["render"] else "-"
        c_fwd, torch_fwd = statistics.median(row["c_forward"]), statistics.median(row["torch_forward"])
        print(f"| {t} | {c_ms:.0f} ({c_fwd:.0f}) | {torch_ms:.0f} ({torch_fwd:.0f}) | {statistics.median(row['ratio']):.2f} "
              f"({', '.join(f'{x:.2f}' for x in row['ratio'])}) | {statistics.median(row['cpu_ratio']):.2f} "
              f"({', '.join(f'{x:.2f}' for x in row['cpu_ratio'])}) | {a.batch / c_ms * 1e3:.1f} | "
              f"{a.batch / torch_ms * 1e3:.1f} | {peak:.1f} | {mfu(c_ms):.0f}% | {mfu(torch_ms):.0f}% | {render} |")


if __name__ == "__main__":
    main()

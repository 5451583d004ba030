#!/usr/bin/env python3
"""seed_mean_diff.py A1,A2,A3 B1,B2,B3 [--metric exact] [--resamples 2000]

The difference of two models' seed means on one test set, with a 95% paired bootstrap interval
over the test samples: each resample draws sample ids with replacement and takes, for every seed s,
mean(metric of A_s − metric of B_s) over the drawn ids, then the mean over seeds. So the interval
is the test set's sampling error of the 3-seed mean difference (the spread between seeds is the sd
printed beside it, not part of the interval). Each argument is a comma-separated list of `iar eval`
run folders (predictions.jsonl), paired by position: A_s with B_s; a single B is paired with every
A (e.g. one SFT against three GRPO seeds). Only ids present in every folder are used.
"""
import json
import random
import statistics
import sys


def load(folder, metric):
    scores = {}
    with open(folder + "/predictions.jsonl") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("error"):
                continue
            scores[r["id"]] = float(r["scores"][metric]) if r.get("scores") else 0.0
    return scores


def main(argv):
    metric, resamples, args = "exact", 2000, []
    i = 0
    while i < len(argv):
        if argv[i] in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if argv[i] == "--metric":
            metric, i = argv[i + 1], i + 2
        elif argv[i] == "--resamples":
            resamples, i = int(argv[i + 1]), i + 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 2:
        print("usage: seed_mean_diff.py A1,A2,A3 B1,B2,B3 [--metric exact] [--resamples 2000]", file=sys.stderr)
        return 2
    a_runs, b_runs = args[0].split(","), args[1].split(",")
    if len(b_runs) == 1:
        b_runs = b_runs * len(a_runs)
    if len(a_runs) != len(b_runs):
        print("seed_mean_diff: A and B need the same number of runs (or B one)", file=sys.stderr)
        return 2
    a = [load(r, metric) for r in a_runs]
    b = [load(r, metric) for r in b_runs]
    ids = sorted(set.intersection(*(set(x) for x in a + b)))
    if not ids:
        print("seed_mean_diff: no sample id is in every run", file=sys.stderr)
        return 1
    diffs = [[a[s][k] - b[s][k] for k in ids] for s in range(len(a))]  # per seed, per id
    per_seed = [100 * statistics.fmean(d) for d in diffs]
    n = len(ids)
    rng = random.Random(1)
    means = []
    for _ in range(resamples):
        draw = [rng.randrange(n) for _ in range(n)]
        means.append(100 * statistics.fmean(statistics.fmean(d[j] for j in draw) for d in diffs))
    means.sort()
    lo, hi = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
    sd = statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0
    print(f"{metric} x100, A - B over {n} paired samples, {len(a)} seeds: "
          f"{statistics.fmean(per_seed):+.2f} [{lo:+.2f}, {hi:+.2f}] (sd over seeds {sd:.2f}; "
          f"per seed {', '.join(f'{x:+.2f}' for x in per_seed)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

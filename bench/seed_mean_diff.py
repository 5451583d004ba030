#!/usr/bin/env python3
"""seed_mean_diff.py A1,A2,A3 B1,B2,B3 [--metric exact] [--resamples 2000] [--seeds-too]

The difference of two models' seed means on one test set, with a 95% paired bootstrap interval
over the test samples: each resample draws sample ids with replacement and takes, for every seed s,
mean(metric of A_s − metric of B_s) over the drawn ids, then the mean over seeds. So the interval
is the test set's sampling error of the 3-seed mean difference (the spread between seeds is the sd
printed beside it, not part of the interval). Each argument is a comma-separated list of `iar eval`
run folders (predictions.jsonl), paired by position: A_s with B_s; a single B is paired with every
A (e.g. one SFT against three GRPO seeds). Only ids present in every folder are used.

--seeds-too adds a second interval that also resamples the seeds (a two-level bootstrap: each
resample draws the seed pairs with replacement, then the sample ids): the uncertainty of the mean
over training seeds, which the first interval leaves out. With few seeds it is wide, as it should be.
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


def interval(diffs, resamples, resample_seeds):
    """95% bootstrap interval of the mean over seeds of the mean difference over sample ids (x100)."""
    rng = random.Random(1)
    n, seeds = len(diffs[0]), len(diffs)
    means = []
    for _ in range(resamples):
        drawn_seeds = [rng.randrange(seeds) for _ in range(seeds)] if resample_seeds else range(seeds)
        draw = [rng.randrange(n) for _ in range(n)]
        means.append(100 * statistics.fmean(statistics.fmean(diffs[s][j] for j in draw) for s in drawn_seeds))
    means.sort()
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def main(argv):
    metric, resamples, args, seeds_too = "exact", 2000, [], False
    i = 0
    while i < len(argv):
        if argv[i] in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if argv[i] == "--metric":
            metric, i = argv[i + 1], i + 2
        elif argv[i] == "--resamples":
            resamples, i = int(argv[i + 1]), i + 2
        elif argv[i] == "--seeds-too":
            seeds_too, i = True, i + 1
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 2:
        print("usage: seed_mean_diff.py A1,A2,A3 B1,B2,B3 [--metric exact] [--resamples 2000] [--seeds-too]",
              file=sys.stderr)
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
    lo, hi = interval(diffs, resamples, False)
    sd = statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0
    over_seeds = ""
    if seeds_too:
        slo, shi = interval(diffs, resamples, True)
        over_seeds = f"; seeds and samples resampled [{slo:+.2f}, {shi:+.2f}]"
    print(f"{metric} x100, A - B over {n} paired samples, {len(a)} seeds: "
          f"{statistics.fmean(per_seed):+.2f} [{lo:+.2f}, {hi:+.2f}] (sd over seeds {sd:.2f}; "
          f"per seed {', '.join(f'{x:+.2f}' for x in per_seed)}{over_seeds})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

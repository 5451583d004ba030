#!/bin/sh
# screen_other_dims.sh [N] [MODEL_DIR] — what `iar screen --dimension all` says about the dimensions a
# generated set was not made for (a model trained without no-flaw sets always names a candidate
# there; the shipped one learnt to say "none"); this counts, over N
# fresh drawn sets (default 60, seed 2), the other three dimensions' answers that name a candidate
# (the text) and those whose own evidence is above 0.5 (the towers), and the own dimension's exact
# for comparison. Figures: models/iar-small/README.md ("Limits").
set -eu
cd "$(dirname "$0")/.."
N=${1:-60}
MODEL=$(cd "${2:-models/iar-small}" && pwd)
IAR=$(cd "$(dirname "${IAR:-build/iar}")" && pwd)/$(basename "${IAR:-build/iar}")
T=${TMPDIR:-/tmp}/iar-screen-other-dims
rm -rf "$T"; mkdir -p "$T"
"$IAR" synth --out "$T/data" --n "$N" --seed 2 --size 128 --style render > /dev/null 2>&1
/usr/bin/python3 - "$T/data/data.jsonl" > "$T/list.txt" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(d["id"], d["dimension"], "".join(d["answer"]), d["original"], " ".join(d["candidates"]))
PY
while read -r id dim gold o a b c d; do
    (cd "$T/data" && "$IAR" screen "$o" "$a" "$b" "$c" "$d" --model "$MODEL" --json) |
        sed "s/^{/{\"id\":\"$id\",\"set_dimension\":\"$dim\",\"gold\":\"$gold\",/"
done < "$T/list.txt" > "$T/screened.jsonl"
/usr/bin/python3 - "$T/screened.jsonl" <<'PY'
import json, sys
other = text = evidence = own = own_exact = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    for v in r["results"]:
        named = set(v["flawed"] or [])
        if v["dimension"] == r["set_dimension"]:
            own += 1
            own_exact += named == set(r["gold"])
            continue
        other += 1
        text += len(named) > 0
        evidence += any(p > 0.5 for p in v["evidence"].values())
print("| sets | own dimension: exact | other dimensions | text names a candidate | evidence > 0.5 somewhere |")
print("|---:|---:|---:|---:|---:|")
print("| %d | %.1f | %d | %d (%.0f%%) | %d (%.0f%%) |" % (own, 100.0 * own_exact / own, other, text,
      100.0 * text / other, evidence, 100.0 * evidence / other))
PY

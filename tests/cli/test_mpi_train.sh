#!/bin/sh
# test_mpi_train.sh — `mpirun -np 2 iar train sft`, `… grpo` and `… vision` against the one-process run with the same global
# batch: the loss curve within 1e-4 relative and the final weights within 1e-4·(1+|w|)
# (docs/SCALE.md), and a 2-process run stopped half way and resumed under mpirun is identical to
# the uninterrupted 2-process run. Skipped, with a message, where mpirun or MPI is absent.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/mpi-train-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
if ! command -v mpirun >/dev/null 2>&1; then echo "skipped: mpirun not found"; exit 0; fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
MPIRUN="timeout 300 mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader -np 2"

# real rendered images: a uniform one would make the stem's instance norm divide by ~sqrt(eps) and
# turn summation-order noise into weight differences
"$IAR" synth --out "$TMP/s" --n 1 --size 64 --seed 3 --style render > /dev/null 2>&1 || fail "synth failed"
for n in o a b c d; do cp "$TMP/s/img/s000000_$n.png" "$TMP/d/img/$n.png" || fail "no synth image $n"; done
i=0
for dim in lighting placement deformation extension lighting placement deformation extension lighting placement deformation extension; do
    i=$((i + 1))
    case $((i % 3)) in 0) a='"B"' t=B;; 1) a='"A","C"' t='A, C';; *) a='"D"' t=D;; esac
    printf '{"id":"s%02d","dimension":"%s","original":"img/o.png","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":[%s],"rationale":"<think>Candidate %s differs from the original.</think><answer>%s</answer>"}\n' "$i" "$dim" "$a" "$t" "$t"
done > "$TMP/d/data.jsonl"

S="--data $TMP/d/data.jsonl --config tiny --steps 6 --batch 5 --val-fraction 0.2 --threads 1 --peak-gflops 10 --lr 3e-3"
"$IAR" train sft $S --out "$TMP/one" > "$TMP/one.txt" 2>&1 || { cat "$TMP/one.txt"; fail "one-process sft failed"; }
if ! $MPIRUN "$IAR" train sft $S --out "$TMP/two" > "$TMP/two.txt" 2>&1; then
    if grep -q "built without MPI" "$TMP/two.txt"; then echo "skipped: this build has no MPI"; rm -rf "$TMP"; exit 0; fi
    cat "$TMP/two.txt"; fail "mpirun -np 2 sft failed"
fi
grep -q "on 2 MPI processes" "$TMP/two.txt" || fail "the 2-process run did not report 2 processes"
[ "$(grep -c "^sft:.*steps" "$TMP/two.txt")" -eq 1 ] || fail "more than one rank printed the summary"

# loss curves: step by step within 1e-4 relative
losses() { grep '"loss"' "$1" | sed 's/.*"loss":[[:space:]]*\([-0-9.eE+]*\).*/\1/'; }
losses "$TMP/one/train_log.jsonl" > "$TMP/l1.txt"; losses "$TMP/two/train_log.jsonl" > "$TMP/l2.txt"
[ "$(wc -l < "$TMP/l1.txt")" -eq 6 ] && [ "$(wc -l < "$TMP/l2.txt")" -eq 6 ] || fail "a log does not hold 6 steps"
paste "$TMP/l1.txt" "$TMP/l2.txt" | awk '{d = $1 - $2; if (d < 0) d = -d; a = $1 < 0 ? -$1 : $1;
    printf "  step %d: loss %s (1 process) vs %s (2 processes)\n", NR, $1, $2; if (d > 1e-4 * a) bad = 1} END {exit bad}' \
    || fail "loss curves differ by more than 1e-4 relative"

# final weights (safetensors: u64 header size, JSON header, little-endian F32 data)
weights_close() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, struct, sys
def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__": continue
        a, b = t["data_offsets"]
        out[name] = struct.unpack("<%df" % ((b - a) // 4), body[a:b])
    return out
x, y = load(sys.argv[1]), load(sys.argv[2])
assert x.keys() == y.keys(), "different tensors"
worst = max(abs(p - q) / (1 + abs(p)) for k in x for p, q in zip(x[k], y[k]))
print("  final weights: worst |dw|/(1+|w|) = %.3g" % worst)
sys.exit(0 if worst <= 1e-4 else 1)
PY
}
if [ -x /usr/bin/python3 ]; then
    weights_close "$TMP/one/model.safetensors" "$TMP/two/model.safetensors" || fail "final weights differ beyond 1e-4"
else
    echo "  /usr/bin/python3 absent: final weights not compared"
fi

# with the candidate head and pointer: the auxiliary loss is a mean over rows, sliced and re-weighted
"$IAR" train sft $S --config tiny:pointer --out "$TMP/one_aux" > "$TMP/one_aux.txt" 2>&1 || { cat "$TMP/one_aux.txt"; fail "one-process sft tiny:pointer failed"; }
$MPIRUN "$IAR" train sft $S --config tiny:pointer --out "$TMP/two_aux" > "$TMP/two_aux.txt" 2>&1 || { cat "$TMP/two_aux.txt"; fail "mpirun sft tiny:pointer failed"; }
aux() { grep '"aux_loss"' "$1" | sed 's/.*"aux_loss":[[:space:]]*\([-0-9.eE+]*\).*/\1/'; }
for f in one_aux two_aux; do losses "$TMP/$f/train_log.jsonl" > "$TMP/$f.l"; aux "$TMP/$f/train_log.jsonl" > "$TMP/$f.a"; done
paste "$TMP/one_aux.l" "$TMP/two_aux.l" "$TMP/one_aux.a" "$TMP/two_aux.a" | awk '{for (k = 1; k <= 3; k += 2) {
    d = $k - $(k + 1); if (d < 0) d = -d; a = $k < 0 ? -$k : $k; if (d > 1e-4 * a + 1e-6) bad = 1 }} END {exit bad || NR != 6}' \
    || { paste "$TMP/one_aux.l" "$TMP/two_aux.l" "$TMP/one_aux.a" "$TMP/two_aux.a"; fail "tiny:pointer losses differ between 1 and 2 processes"; }
if [ -x /usr/bin/python3 ]; then
    weights_close "$TMP/one_aux/model.safetensors" "$TMP/two_aux/model.safetensors" || fail "tiny:pointer weights differ"
fi

# resume under MPI: stop at 3, resume to 6: identical to the uninterrupted 2-process run
$MPIRUN "$IAR" train sft $S --out "$TMP/resumed" --stop-at 3 > "$TMP/r1.txt" 2>&1 || { cat "$TMP/r1.txt"; fail "mpirun sft --stop-at 3 failed"; }
$MPIRUN "$IAR" train sft $S --out "$TMP/resumed" --resume > "$TMP/r2.txt" 2>&1 || { cat "$TMP/r2.txt"; fail "mpirun sft --resume failed"; }
grep -q "resuming at step 3" "$TMP/r2.txt" || fail "the MPI resume did not continue at step 3"
losses "$TMP/resumed/train_log.jsonl" > "$TMP/l3.txt"
cmp -s "$TMP/l2.txt" "$TMP/l3.txt" || { paste "$TMP/l2.txt" "$TMP/l3.txt"; fail "resumed loss curve differs from the uninterrupted run"; }
cmp -s "$TMP/two/model.safetensors" "$TMP/resumed/model.safetensors" || fail "resumed weights differ from the uninterrupted run"

# GRPO from the one-process SFT checkpoint: 3 prompts a step (uneven over 2 ranks), hard-case
# mining and the KL term on; the 2-process run matches one process; stopped and resumed under mpirun
# it matches the uninterrupted 2-process run.
# (a longer one-process SFT first, so that sampled completions have the format and rewards vary)
"$IAR" train sft $S --out "$TMP/init" --steps 150 --batch 8 --lr 1e-2 --warmup 5 > "$TMP/init.txt" 2>&1 \
    || { cat "$TMP/init.txt"; fail "SFT of the GRPO init failed"; }
G="--data $TMP/d/data.jsonl --init $TMP/init --steps 4 --group 4 --prompts-per-step 3 --max-new-tokens 40 --beta 0.04
   --hcm --hcm-period 2 --hcm-rollouts 2 --hcm-subset 4 --threads 1 --save-every 2 --dump-every 1 --lr 1e-3"
"$IAR" train grpo $G --out "$TMP/g1" > "$TMP/g1.txt" 2>&1 || { cat "$TMP/g1.txt"; fail "one-process grpo failed"; }
$MPIRUN "$IAR" train grpo $G --out "$TMP/g2" > "$TMP/g2.txt" 2>&1 || { cat "$TMP/g2.txt"; fail "mpirun -np 2 grpo failed"; }
grep -q "on 2 MPI processes" "$TMP/g2.txt" || fail "the 2-process GRPO run did not report 2 processes"
rewards() { grep -v '"event"' "$1" | sed -n 's/.*"reward_mean":[[:space:]]*\([-0-9.eE+]*\).*/\1/p'; }
rewards "$TMP/g1/train_log.jsonl" > "$TMP/r1.txt"; rewards "$TMP/g2/train_log.jsonl" > "$TMP/r2.txt"
[ "$(wc -l < "$TMP/r1.txt")" -eq 4 ] || fail "the GRPO log does not hold 4 steps"
awk '{ if ($1 != 0) nonzero = 1 } END { exit !nonzero }' "$TMP/r1.txt" || fail "GRPO rewards are all 0: the test has no signal"
paste "$TMP/r1.txt" "$TMP/r2.txt" | awk '{d = $1 - $2; if (d < 0) d = -d;
    printf "  grpo step %d: reward %s (1 process) vs %s (2 processes)\n", NR, $1, $2; if (d > 1e-6) bad = 1} END {exit bad}' \
    || fail "GRPO rewards differ between 1 and 2 processes"
[ "$(grep -c '"event":"hcm"' "$TMP/g2/train_log.jsonl")" -eq "$(grep -c '"event":"hcm"' "$TMP/g1/train_log.jsonl")" ] \
    || fail "hard-case refreshes differ between 1 and 2 processes"
if [ -x /usr/bin/python3 ]; then
    weights_close "$TMP/g1/model.safetensors" "$TMP/g2/model.safetensors" || fail "GRPO weights differ beyond 1e-4"
fi
$MPIRUN "$IAR" train grpo $G --out "$TMP/g3" --stop-at 2 > "$TMP/g3.txt" 2>&1 || { cat "$TMP/g3.txt"; fail "mpirun grpo --stop-at 2 failed"; }
$MPIRUN "$IAR" train grpo $G --out "$TMP/g3" --resume > "$TMP/g3.txt" 2>&1 || { cat "$TMP/g3.txt"; fail "mpirun grpo --resume failed"; }
rewards "$TMP/g3/train_log.jsonl" > "$TMP/r3.txt"
cmp -s "$TMP/r2.txt" "$TMP/r3.txt" || { paste "$TMP/r2.txt" "$TMP/r3.txt"; fail "resumed GRPO rewards differ"; }
cmp -s "$TMP/g2/model.safetensors" "$TMP/g3/model.safetensors" || fail "resumed GRPO weights differ from the uninterrupted run"

# the vision tower: 5 samples a step (3 + 2 over the ranks), batch norm synchronised over the ranks;
# loss curve and final weights (batch-norm statistics included) as one process; resumed under mpirun
# it matches the uninterrupted 2-process run
V="--config tiny --steps 4 --batch 5 --val-samples 6 --val-every 2 --save-every 2 --threads 1"
"$IAR" train vision $V --out "$TMP/v1" > "$TMP/v1.txt" 2>&1 || { cat "$TMP/v1.txt"; fail "one-process train vision failed"; }
$MPIRUN "$IAR" train vision $V --out "$TMP/v2" > "$TMP/v2.txt" 2>&1 || { cat "$TMP/v2.txt"; fail "mpirun -np 2 train vision failed"; }
grep -q "on 2 MPI processes" "$TMP/v2.txt" || fail "the 2-process vision run did not report 2 processes"
for v in v1 v2; do grep -v '"split"' "$TMP/$v/train_log.jsonl" | losses /dev/stdin > "$TMP/$v.l"; done
[ "$(wc -l < "$TMP/v1.l")" -eq 4 ] || fail "the vision log does not hold 4 steps"
paste "$TMP/v1.l" "$TMP/v2.l" | awk '{d = $1 - $2; if (d < 0) d = -d; a = $1 < 0 ? -$1 : $1;
    printf "  vision step %d: loss %s (1 process) vs %s (2 processes)\n", NR, $1, $2; if (d > 1e-4 * a) bad = 1}
    END {exit bad || NR != 4}' || fail "vision loss curves differ by more than 1e-4 relative"
if [ -x /usr/bin/python3 ]; then
    weights_close "$TMP/v1/tower.safetensors" "$TMP/v2/tower.safetensors" || fail "tower weights differ beyond 1e-4"
fi
$MPIRUN "$IAR" train vision $V --out "$TMP/v3" --stop-at 2 > "$TMP/v3.txt" 2>&1 || { cat "$TMP/v3.txt"; fail "mpirun vision --stop-at 2 failed"; }
$MPIRUN "$IAR" train vision $V --out "$TMP/v3" --resume > "$TMP/v3.txt" 2>&1 || { cat "$TMP/v3.txt"; fail "mpirun vision --resume failed"; }
cmp -s "$TMP/v2/tower.safetensors" "$TMP/v3/tower.safetensors" || fail "resumed tower differs from the uninterrupted run"

[ -n "${KEEP:-}" ] || rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok: mpirun -np 2 train sft, grpo and vision match one process and resume" || { echo "$fails failure(s)"; exit 1; }

#!/bin/sh
# test_checkpoint_kill.sh — a kill at any moment of a checkpoint write never makes --resume
# impossible, and a resumed run logs every step exactly once. An LD_PRELOAD shim
# (tests/faults/kill_in_rename.c) SIGKILLs `iar train sft` and `iar train grpo` just before or just
# after their k-th rename, for every k a run makes; each killed run is resumed and must end with
# the model an uninterrupted run trains, bit for bit, and logs without a repeated or missing step.
set -u
export LC_ALL=C # completions may hold any bytes: match them as bytes
IAR=${IAR_BIN:?IAR_BIN not set}
SHIM=$(dirname "$IAR")/tests/kill_in_rename.so
TMP=${IAR_TEST_TMP:-/tmp}/checkpoint-kill-$$
rm -rf "$TMP"; mkdir -p "$TMP/d/img"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
[ -f "$SHIM" ] || { echo "FAIL: $SHIM is not built (make all-tests builds it)"; exit 1; }
# under the sanitizers the preloaded shim comes before ASan's runtime, which ASan refuses by default
[ -n "${IAR_SANITIZED:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC
for n in o a b c d; do echo "$PNG" | base64 -d > "$TMP/d/img/$n.png"; done
for i in 01 02 03 04 05 06 07 08; do
    printf '{"id":"s%s","dimension":"lighting","original":"img/o.png","candidates":["img/a.png","img/b.png","img/c.png","img/d.png"],"answer":["B"],"rationale":"<think>B casts its shadow toward the light.</think><answer>B</answer>"}\n' "$i"
done > "$TMP/d/data.jsonl"

SFT="train sft --data $TMP/d/data.jsonl --config tiny --vocab 300 --steps 2 --batch 4 --val-fraction 0 --threads 1 --peak-gflops 10 --save-every 1"
GRPO="train grpo --data $TMP/d/data.jsonl --init $TMP/sft-ref --steps 2 --group 2 --prompts-per-step 2 --max-new-tokens 8 --save-every 1 --dump-every 1 --threads 1"

# Distinct step values of the lines holding FIELD, and all of them: equal counts = no repeats.
steps_distinct() { grep "\"$2\"" "$1" | sed 's/^{"step":\([0-9]*\),.*/\1/' | sort -u | tr '\n' ' '; }
steps_all() { grep "\"$2\"" "$1" | sed 's/^{"step":\([0-9]*\),.*/\1/' | tr '\n' ' '; }

# check_logs DIR STAGE: train_log.jsonl holds steps 1 and 2 once each (and rollouts.jsonl, for GRPO)
check_logs() {
    field=loss; [ "$2" = grpo ] && field=reward_mean
    [ "$(steps_all "$1/train_log.jsonl" $field)" = "1 2 " ] \
        || fail "$2 $3: train_log.jsonl steps are '$(steps_all "$1/train_log.jsonl" $field)', not '1 2 '"
    if [ "$2" = grpo ]; then
        [ "$(steps_distinct "$1/rollouts.jsonl" completion)" = "1 2 " ] \
            || fail "$2 $3: rollouts.jsonl steps '$(steps_distinct "$1/rollouts.jsonl" completion)'"
        [ "$(grep -c completion "$1/rollouts.jsonl")" -eq 4 ] \
            || fail "$2 $3: rollouts.jsonl holds $(grep -c completion "$1/rollouts.jsonl") lines, not 4"
    fi
}

# run_kills STAGE "ARGS": a reference run counts the renames; then a kill at each of them, resumed
run_kills() {
    stage=$1; args=$2
    IAR_KILL_RENAME_COUNT_FILE="$TMP/count" LD_PRELOAD="$SHIM" "$IAR" $args --out "$TMP/$stage-ref" \
        > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "$stage: the uninterrupted run failed"; return; }
    renames=$(cat "$TMP/count")
    [ "$renames" -ge 8 ] || fail "$stage: only $renames renames in two checkpoints (is the shim loaded?)"
    check_logs "$TMP/$stage-ref" $stage reference
    k=1
    while [ $k -le "$renames" ]; do
        for when in before after; do
            out="$TMP/$stage-$when-$k"
            IAR_KILL_RENAME_AT=$k IAR_KILL_RENAME_WHEN=$when LD_PRELOAD="$SHIM" "$IAR" $args --out "$out" --resume \
                > "$TMP/out.txt" 2>&1
            rc=$?
            [ $rc -eq 137 ] || fail "$stage: rename $k ($when) was not killed (exit $rc)"
            "$IAR" $args --out "$out" --resume > "$TMP/out.txt" 2>&1 \
                || { tail -3 "$TMP/out.txt"; fail "$stage: --resume after a kill $when rename $k failed"; continue; }
            cmp -s "$TMP/$stage-ref/model.safetensors" "$out/model.safetensors" \
                || fail "$stage: kill $when rename $k: the resumed model differs from the uninterrupted one"
            check_logs "$out" $stage "kill $when rename $k"
            rm -rf "$out"
        done
        k=$((k+1))
    done
    echo "$stage: killed before and after each of $renames renames, every run resumed"
}

# the image cache is built once, so the counted renames are the checkpoints' and the logs'
"$IAR" $SFT --out "$TMP/warm" > /dev/null 2>&1 || fail "warm-up run failed"
run_kills sft "$SFT"
run_kills grpo "$GRPO"

rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }

#!/bin/sh
# run_tests.sh BUILD — runs every test binary in BUILD/tests and every script in tests/cli;
# prints one line per test (ok, skip or FAIL) and exits non-zero when any failed. A test that
# cannot run here (no GPU, no MPI) prints a line starting with "skipped:" and exits 0.
BUILD=${1:-build}
export IAR_BIN="$(cd "$(dirname "$BUILD/iar")" && pwd)/iar"
export IAR_TEST_TMP="${TMPDIR:-/tmp}/iar-tests-$$"
mkdir -p "$IAR_TEST_TMP"
pass=0; fail=0; skip=0; failed=""
start=$(date +%s)
for t in "$BUILD"/tests/test_* tests/cli/test_*.sh; do
    [ -x "$t" ] || [ -f "$t" ] || continue
    name=$(basename "$t")
    log="$IAR_TEST_TMP/$name.log"
    t0=$(date +%s)
    case "$t" in *.sh) sh "$t" >"$log" 2>&1 ;; *) "$t" >"$log" 2>&1 ;; esac
    rc=$?
    t1=$(date +%s)
    if [ $rc -eq 0 ] && grep -q '^skipped:' "$log"; then
        skip=$((skip+1)); echo "skip  $name ($(grep -m1 '^skipped:' "$log" | cut -c10-))"
    elif [ $rc -eq 0 ]; then pass=$((pass+1)); echo "ok    $name ($((t1-t0))s)";
    else fail=$((fail+1)); failed="$failed $name"; echo "FAIL  $name (exit $rc, log below)"; tail -40 "$log" | sed 's/^/    /'; fi
done
echo "$pass passed, $skip skipped, $fail failed in $(( $(date +%s) - start ))s"
[ $fail -eq 0 ] && rm -rf "$IAR_TEST_TMP"
[ $fail -eq 0 ]

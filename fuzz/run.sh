#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   fuzz/run.sh [SECONDS_PER_TARGET]     default 60
# Exits non-zero if a target crashed; the crashing input lands in fuzz/crashes/<target>/. Each
# crash found is fixed and its input copied into tests/data/fuzz/<target>/, where the regression
# test (tests/test_fuzz_regressions.cpp) replays it in every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
BUILD=${TAPEGRAD_FUZZ_BUILD_DIR:-build-fuzz}
# The fuzz preset (CMakePresets.json): clang, everything instrumented for coverage and the
# sanitizers; the targets link libFuzzer's main.
cmake --preset fuzz -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target fuzz_checkpoint fuzz_csv >/dev/null
status=0
for target in fuzz_checkpoint fuzz_csv; do
    corpus="$BUILD/corpus/$target"
    mkdir -p "$corpus" "fuzz/crashes/$target"
    cp fuzz/seeds/"$target"/* tests/data/fuzz/"$target"/* "$corpus"/ 2>/dev/null || true
    echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
    if "$BUILD/fuzz/$target" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 \
        -artifact_prefix="fuzz/crashes/$target/" -print_final_stats=1 >"$BUILD/$target.log" 2>&1; then
        grep -E "stat::number_of_executed_units" "$BUILD/$target.log" || true
    else
        status=1
        grep -E "ERROR|SUMMARY|Test unit written" "$BUILD/$target.log" || tail -20 "$BUILD/$target.log"
    fi
done
exit $status

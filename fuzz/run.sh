#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   fuzz/run.sh [SECONDS_PER_TARGET]     default 60
# Crashes land in fuzz/crashes/<target>/; each one found is fixed and copied into
# tests/data/fuzz/<target>/ where the regression test replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
BUILD=build-fuzz
# Everything is instrumented for coverage and the sanitizers; the targets link libFuzzer's main.
CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_BUILD_FUZZ=ON \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
    -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_BENCH=OFF -DTAPEGRAD_BUILD_TOOLS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target fuzz_checkpoint fuzz_csv >/dev/null
for target in fuzz_checkpoint fuzz_csv; do
    corpus="$BUILD/corpus/$target"
    mkdir -p "$corpus" "fuzz/crashes/$target"
    cp -n fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
    echo "== $target for ${SECONDS_PER_TARGET}s"
    "$BUILD/fuzz/$target" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 \
        -artifact_prefix="fuzz/crashes/$target/" -print_final_stats=1 2>&1 |
        grep -E "stat::number_of_executed_units|Done|ERROR|SUMMARY" || true
done

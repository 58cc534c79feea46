#!/bin/sh
# Runs the benchmarks and prints one table of medians and ratios (markdown; JSON beside it).
#
#   bench/run.sh [--quick] [build-dir]     (build-dir defaults to build-bench)
#
# --quick: every benchmark once, briefly, so that CI knows they still work (not a measurement).
# Otherwise the tapegrad and libtorch binaries run in alternation, ROUNDS times (default 3), and
# bench/compare.py takes the median of each figure over the rounds; results go to
# <build-dir>/bench-results/ (table.md, table.json and each run's raw JSON).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build-bench}
tg="$build/bench/tapegrad_bench"
torch="$build/bench/tapegrad_bench_torch"
[ -x "$tg" ] || { echo "run.sh: $tg not found; build with -DTAPEGRAD_BUILD_BENCH=ON" >&2; exit 1; }

if [ "$quick" = 1 ]; then
    "$tg" --quick
    if [ -x "$torch" ]; then "$torch" --quick; fi
    exit 0
fi

out="$build/bench-results"
mkdir -p "$out"
rm -f "$out"/run-*.json "$out"/hvp-torch-*.json
rounds=${ROUNDS:-3}
r=1
while [ "$r" -le "$rounds" ]; do
    "$tg" --benchmark_out="$out/run-tapegrad-$r.json" --benchmark_out_format=json >&2
    if [ -x "$torch" ]; then
        "$torch" --benchmark_out="$out/run-torch-$r.json" --benchmark_out_format=json >&2
    fi
    # H1 on PyTorch (Debian's python3-torch), when it is installed.
    if /usr/bin/python3 -c "import torch" 2>/dev/null; then
        /usr/bin/python3 "$here/hvp_torch.py" --json "$out/hvp-torch-$r.json" >&2
    fi
    r=$((r + 1))
done
python3 "$here/compare.py" "$out"

#!/bin/sh
# D1 (WORKLOADS.md): T2 data-parallel on 1 and 2 ranks, tapegrad beside PyTorch DDP (gloo) when
# Debian's python3-torch is installed. Prints each run's figures and the ratios.
#
#   bench/distributed.sh [--quick] [build-dir]     (build-dir defaults to build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
quick=""
if [ "${1:-}" = "--quick" ]; then quick=--quick; shift; fi
build=${1:-build}
bin="$build/bench/tapegrad_bench_distributed"
[ -x "$bin" ] || { echo "distributed.sh: $bin not found; build with MPI found" >&2; exit 1; }
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TAPEGRAD_NUM_THREADS=1
one=$($mpirun -np 1 "$bin" $quick)
two=$($mpirun -np 2 "$bin" $quick)
# Two independent 1-rank runs at once: two processes' compute on the machine, no communication.
"$bin" $quick > "${TMPDIR:-/tmp}/d1-alone.$$" &
pair=$($mpirun -np 1 "$bin" $quick)
wait
rm -f "${TMPDIR:-/tmp}/d1-alone.$$"
echo "tapegrad $one"
echo "tapegrad $two"
echo "tapegrad two independent 1-rank runs at once: $pair"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo "tapegrad step(2 ranks) / step(1 rank) = $(ratio "$(field "$two" step_ms)" "$(field "$one" step_ms)")"
echo "tapegrad step(2 ranks) / step(two independent runs at once) = $(ratio "$(field "$two" step_ms)" "$(field "$pair" step_ms)")"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    tone=$($mpirun -np 1 /usr/bin/python3 "$here/ddp_torch.py" $quick)
    ttwo=$($mpirun -np 2 /usr/bin/python3 "$here/ddp_torch.py" $quick)
    echo "torch-ddp $tone"
    echo "torch-ddp $ttwo"
    echo "torch step(2 ranks) / step(1 rank) = $(ratio "$(field "$ttwo" step_ms)" "$(field "$tone" step_ms)")"
    echo "tapegrad step / torch DDP step, 2 ranks = $(ratio "$(field "$two" step_ms)" "$(field "$ttwo" step_ms)")"
else
    echo "(python3-torch not installed: no DDP side by side)"
fi
